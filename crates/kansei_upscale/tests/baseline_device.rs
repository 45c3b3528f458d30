//! Everything `KanseiUpscale` runs on the GPU, on a device opened with no optional features and
//! only WebGPU's baseline limits (`wgpu::Limits::default()`: 16 KiB of workgroup memory, 8
//! storage textures per stage...): what the weakest adapter wgpu reaches guarantees. The temporal
//! resolve (moving and static pixels), the spatial EASU + RCAS fallback and the fused `fast` and
//! `balanced` networks must build there and match their CPU references as they do on the full
//! device, so the plugin never needs a feature-dependent fallback.
//!
//! It runs on whatever adapter wgpu finds (lavapipe in CI) and fails, never skips, when there is
//! none.

use kansei_upscale::eval::{Method, Scale};
use kansei_upscale::temporal::{
    GpuTemporalResolver, TemporalFrame, TemporalHistory, TemporalParams, resolve_cpu,
};
use kansei_upscale::{GpuContext, ImageF32};
use rand::{Rng, SeedableRng, rngs::StdRng};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A device with `Features::empty()` and `Limits::default()` on the first adapter found.
fn baseline_context() -> Result<GpuContext, Box<dyn std::error::Error>> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::from_env().unwrap_or(wgpu::Backends::PRIMARY),
        ..wgpu::InstanceDescriptor::new_without_display_handle_from_env()
    });
    let adapter = pollster::block_on(
        instance.request_adapter(&wgpu::RequestAdapterOptions::default()),
    )
    .map_err(|e| {
        format!("no GPU adapter ({e}); install Mesa's software Vulkan driver (mesa-vulkan-drivers)")
    })?;
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("test:baseline-device"),
        required_features: wgpu::Features::empty(),
        required_limits: wgpu::Limits::default(),
        ..Default::default()
    }))?;
    assert!(device.features().is_empty(), "{:?}", device.features());
    eprintln!("baseline device on {}", adapter.get_info().name);
    Ok(GpuContext::from_parts(device, queue))
}

fn random_image(rng: &mut StdRng, size: [u32; 2], range: std::ops::Range<f32>) -> ImageF32 {
    let pixels = (0..size[0] * size[1])
        .map(|_| {
            std::array::from_fn(|c| {
                if c == 3 {
                    1.0
                } else {
                    rng.random_range(range.clone())
                }
            })
        })
        .collect();
    ImageF32::new(size[0], size[1], pixels).expect("non-empty")
}

#[test]
fn every_gpu_path_runs_without_optional_features() -> TestResult {
    let ctx = baseline_context()?;
    let mut rng = StdRng::seed_from_u64(5);

    // Temporal resolve: a cut, two frames with random motion, two static frames (no motion:
    // the unclamped static path).
    let resolver = GpuTemporalResolver::new(&ctx, wgpu::TextureFormat::Rgba32Float)?;
    let (render, display) = ([37, 29], [74, 58]);
    let mut history = TemporalHistory::new(&ctx, display)?;
    let mut worst = 0.0_f32;
    for t in 0..5 {
        let color = random_image(&mut rng, render, 0.0..1.0);
        let depth = random_image(&mut rng, render, 0.4..0.6);
        let motion = if t < 3 {
            random_image(&mut rng, render, -0.02..0.02)
        } else {
            ImageF32::filled(render[0], render[1], [0.0; 4])?
        };
        let jitter = [rng.random_range(-0.5..0.5), rng.random_range(-0.5..0.5)];
        let mut params = TemporalParams::new(render, display, jitter);
        params.reset = t == 0;
        let frame = TemporalFrame {
            color: &color,
            depth: &depth,
            motion: &motion,
        };
        let before = history.read(&ctx)?;
        let (cpu, _) = resolve_cpu(&frame, &before, &params)?;
        let gpu = resolver.resolve(&ctx, &mut history, &frame, &params)?;
        worst = worst.max(gpu.max_abs_diff(&cpu).ok_or("output sizes differ")?);
    }
    assert!(
        worst < 1e-3,
        "temporal resolve differs from the CPU by {worst}"
    );

    // The spatial fallback and the fused networks, at 2x.
    let input = random_image(&mut rng, [41, 23], 0.0..1.0);
    for method in [Method::Fsr1, Method::Fast, Method::Balanced] {
        let cpu = method.run_cpu(&input, Scale::X2)?;
        let gpu = method.run_gpu(&ctx, &input, Scale::X2)?;
        let difference = gpu.max_abs_diff(&cpu).ok_or("output sizes differ")?;
        assert!(
            difference < 1e-3,
            "{}: GPU differs from the CPU by {difference}",
            method.name()
        );
    }
    Ok(())
}
