//! `shaders/resample.wgsl` run on a real device (Mesa's lavapipe where there is no GPU) and
//! compared with the CPU reference.

mod common;

use std::sync::OnceLock;

use kansei_upscale::gpu::{GpuError, RGBA32F, create_texture_2d};
use kansei_upscale::{
    GpuResampler, ImageError, ImageF32, ResampleError, ResampleFilter, resample_cpu,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Largest allowed per-channel difference between the GPU and the CPU reference.
const TOLERANCE: f32 = 1e-5;

/// `(input, output)` sizes: odd sizes as both input and output, 1x1 at either end, 2x, 3x and 4x
/// upscales, a downscale, the identity and very different aspect ratios.
const CASES: &[([u32; 2], [u32; 2])] = &[
    ([1, 1], [1, 1]),
    ([1, 1], [7, 513]),
    ([7, 513], [1, 1]),
    ([7, 513], [7, 513]),
    ([7, 513], [97, 61]),
    ([97, 61], [7, 513]),
    ([97, 61], [1, 1]),
    ([1, 1], [97, 61]),
    ([97, 61], [194, 122]),
    ([97, 61], [291, 183]),
    ([97, 61], [388, 244]),
    ([7, 513], [21, 1539]),
    ([97, 61], [31, 20]),
    ([97, 61], [97, 61]),
];

/// The test binary's resampler: the pipeline compiles once (seconds on lavapipe).
fn resampler() -> &'static GpuResampler {
    static RESAMPLER: OnceLock<Result<GpuResampler, String>> = OnceLock::new();
    match RESAMPLER.get_or_init(|| GpuResampler::new(common::context()).map_err(|e| e.to_string()))
    {
        Ok(resampler) => resampler,
        Err(message) => panic!("building the resample pipeline failed: {message}"),
    }
}

fn random_image(rng: &mut StdRng, [width, height]: [u32; 2]) -> Result<ImageF32, ImageError> {
    ImageF32::from_fn(width, height, |_, _| {
        [
            rng.random_range(-1.0..2.0),
            rng.random_range(-1.0..2.0),
            rng.random_range(-1.0..2.0),
            rng.random_range(0.0..1.0),
        ]
    })
}

fn assert_gpu_matches_cpu(filter: ResampleFilter, seed: u64) -> TestResult {
    let ctx = common::context();
    eprintln!("adapter: {}", ctx.adapter_summary());
    let mut rng = StdRng::seed_from_u64(seed);
    let mut worst = 0.0_f32;
    for &(input_size, [out_w, out_h]) in CASES {
        let input = random_image(&mut rng, input_size)?;
        let expected = resample_cpu(&input, out_w, out_h, filter)?;
        let actual = resampler().resample(ctx, &input, out_w, out_h, filter)?;
        let error = actual
            .max_abs_diff(&expected)
            .ok_or("GPU output has the wrong size")?;
        eprintln!(
            "{filter:?} {}x{} -> {out_w}x{out_h}: max |gpu - cpu| = {error:e}",
            input_size[0], input_size[1]
        );
        assert!(
            error <= TOLERANCE,
            "{filter:?} {input_size:?} -> {out_w}x{out_h}: max abs error {error} > {TOLERANCE}"
        );
        worst = worst.max(error);
    }
    eprintln!(
        "{filter:?}: worst max abs error over {} cases: {worst:e}",
        CASES.len()
    );
    Ok(())
}

#[test]
fn gpu_resample_matches_cpu_bilinear() -> TestResult {
    assert_gpu_matches_cpu(ResampleFilter::Bilinear, 0x6b61_6e73_6569)
}

#[test]
fn gpu_resample_matches_cpu_bicubic() -> TestResult {
    assert_gpu_matches_cpu(ResampleFilter::Bicubic, 0x6b61_6e73_6569 + 1)
}

#[test]
fn gpu_resample_matches_cpu_nearest() -> TestResult {
    assert_gpu_matches_cpu(ResampleFilter::Nearest, 0x6b61_6e73_6569 + 2)
}

#[test]
fn gpu_resample_matches_cpu_lanczos3() -> TestResult {
    assert_gpu_matches_cpu(ResampleFilter::Lanczos3, 0x6b61_6e73_6569 + 3)
}

#[test]
fn gpu_resample_nearest_is_bit_exact() -> TestResult {
    // Nearest copies texels, so the GPU result equals the CPU's bit for bit, whatever the values.
    let mut rng = StdRng::seed_from_u64(7);
    let input = ImageF32::from_fn(97, 61, |_, _| {
        [
            rng.random(),
            rng.random_range(-1e30..1e30),
            f32::MIN_POSITIVE,
            1.0 / 3.0,
        ]
    })?;
    for (w, h) in [(1, 1), (7, 513), (291, 183), (160, 101), (31, 20)] {
        let expected = resample_cpu(&input, w, h, ResampleFilter::Nearest)?;
        let actual =
            resampler().resample(common::context(), &input, w, h, ResampleFilter::Nearest)?;
        assert_eq!(actual, expected, "97x61 -> {w}x{h}");
    }
    Ok(())
}

#[test]
fn gpu_resample_reproduces_constant_image_exactly() -> TestResult {
    let value = [0.25, -3.0, 7.5, 1.0];
    let input = ImageF32::filled(7, 5, value)?;
    for filter in ResampleFilter::ALL {
        let out = resampler().resample(common::context(), &input, 19, 3, filter)?;
        assert!(out.pixels().iter().all(|&p| p == value), "{filter:?}");
    }
    Ok(())
}

#[test]
fn gpu_resample_rejects_zero_size() -> TestResult {
    let input = ImageF32::filled(4, 4, [1.0; 4])?;
    for (w, h) in [(0, 4), (4, 0), (0, 0)] {
        let result =
            resampler().resample(common::context(), &input, w, h, ResampleFilter::Bilinear);
        assert!(
            matches!(result, Err(ResampleError::EmptyOutput { .. })),
            "{w}x{h} gave {result:?}"
        );
    }
    Ok(())
}

#[test]
fn gpu_resample_rejects_output_over_device_limit() -> TestResult {
    let ctx = common::context();
    let max = ctx.device().limits().max_texture_dimension_2d;
    let input = ImageF32::filled(2, 2, [1.0; 4])?;
    let result = resampler().resample(ctx, &input, max + 1, 1, ResampleFilter::Bicubic);
    match result {
        Err(ResampleError::Gpu(GpuError::TextureSize {
            width, max: limit, ..
        })) => {
            assert_eq!((width, limit), (max + 1, max));
            Ok(())
        }
        other => Err(format!("expected a texture size error, got {other:?}").into()),
    }
}

#[test]
fn gpu_texture_rejects_zero_and_over_limit_sizes() {
    let ctx = common::context();
    let max = ctx.device().limits().max_texture_dimension_2d;
    for (w, h) in [
        (0, 1),
        (1, 0),
        (max + 1, 1),
        (1, max + 1),
        (u32::MAX, u32::MAX),
    ] {
        let result = create_texture_2d(
            ctx,
            "kansei:test:oversized",
            w,
            h,
            RGBA32F,
            wgpu::TextureUsages::STORAGE_BINDING,
        );
        let message = match result {
            Err(error @ GpuError::TextureSize { .. }) => error.to_string(),
            other => panic!("{w}x{h}: expected a texture size error, got {other:?}"),
        };
        assert!(message.contains("max_texture_dimension_2d"), "{message}");
    }
}
