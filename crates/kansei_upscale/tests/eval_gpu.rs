//! The evaluation's GPU path on a real device (lavapipe where there is no GPU): it must give the
//! CPU reference's output, and timing must produce the runs it promises.

mod common;

use kansei_upscale::ImageF32;
use kansei_upscale::eval::{Method, Scale, TIMING_OUTPUT, time_gpu, timing_frame};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn gpu_methods_match_their_cpu_reference() -> TestResult {
    let ctx = common::context();
    let input = ImageF32::from_fn(23, 17, |x, y| {
        [
            ((x * 7 + y * 3) % 11) as f32 / 10.0,
            x as f32 / 23.0,
            y as f32 / 17.0,
            1.0,
        ]
    })?;
    for method in Method::AVAILABLE {
        for scale in [Scale::X2, Scale::X3, Scale::X4] {
            if !method.is_ready(scale) {
                continue; // a neural method without a trained model for this scale
            }
            let gpu = method.gpu(ctx, scale)?;
            assert_eq!(gpu.method(), method);
            let on_gpu = gpu.run(ctx, &input, scale)?;
            let on_cpu = method.run_cpu(&input, scale)?;
            let diff = on_gpu
                .max_abs_diff(&on_cpu)
                .ok_or("GPU and CPU output sizes differ")?;
            // The two-pass spatial upscaler uses sqrt and division, which GPUs need not round
            // correctly; the resampling filters are plain multiply-adds.
            let tolerance = if method == Method::Fsr1 { 1e-4 } else { 1e-5 };
            assert!(
                diff < tolerance,
                "{} {scale}: max diff {diff}",
                method.name()
            );
        }
    }
    Ok(())
}

#[test]
fn timing_runs_the_requested_number_of_times_on_a_1080p_frame() -> TestResult {
    let ctx = common::context();
    let gpu = Method::Bilinear.gpu(ctx, Scale::X2)?;
    let frame = timing_frame(Scale::X4)?;
    let timing = time_gpu(&gpu, ctx, &frame, Scale::X4, 3)?;
    assert_eq!(timing.runs.len(), 3);
    assert_eq!(timing.input, [480, 270]);
    assert_eq!(timing.output, TIMING_OUTPUT);
    assert!(timing.median() > std::time::Duration::ZERO);
    assert_eq!(timing.adapter, ctx.adapter_summary());
    // A frame can also be executed and read back directly.
    let small = gpu.frame(ctx, &ImageF32::filled(3, 2, [0.25; 4])?, Scale::X2)?;
    assert!(small.intermediate().is_none(), "bilinear is one pass");
    gpu.execute(ctx, &small)?;
    let out = small.read_output(ctx)?;
    assert_eq!((out.width(), out.height()), (6, 4));
    assert!(out.pixels().iter().all(|&p| p == [0.25; 4]));
    Ok(())
}
