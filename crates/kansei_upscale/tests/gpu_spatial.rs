//! `shaders/easu.wgsl` and `shaders/rcas.wgsl` run on a real device (Mesa's lavapipe where there
//! is no GPU) and compared with the CPU reference.

mod common;

use std::sync::OnceLock;

use kansei_upscale::gpu::{RGBA32F, create_texture_2d, read_image, upload_image};
use kansei_upscale::spatial::{easu_cpu, rcas_cpu};
use kansei_upscale::{
    GpuSpatialUpscaler, ImageError, ImageF32, SpatialError, SpatialUpscaleParams,
    spatial_upscale_cpu,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Largest allowed per-channel difference between the GPU and the CPU reference. Looser than
/// the resamplers' 1e-5: EASU divides by a weight sum and takes a square root, and the GPU's
/// `sqrt` and division need not be correctly rounded.
const TOLERANCE: f32 = 1e-4;

/// `(input, output)` sizes: 1x1 input, odd sizes, 2x, 3x and 4x upscales, a non-integer ratio,
/// the identity and an upscale on one axis with a downscale on the other.
const CASES: &[([u32; 2], [u32; 2])] = &[
    ([1, 1], [1, 1]),
    ([1, 1], [7, 513]),
    ([7, 513], [21, 1539]),
    ([7, 513], [97, 61]),
    ([97, 61], [194, 122]),
    ([97, 61], [291, 183]),
    ([97, 61], [388, 244]),
    ([97, 61], [160, 101]),
    ([97, 61], [97, 61]),
];

/// Sharpness values the RCAS cases cycle through: strongest, half a stop, two stops.
const SHARPNESS: [f32; 3] = [0.0, 0.5, 2.0];

/// The test binary's upscaler: both pipelines compile once (seconds on lavapipe).
fn upscaler() -> &'static GpuSpatialUpscaler {
    static UPSCALER: OnceLock<Result<GpuSpatialUpscaler, String>> = OnceLock::new();
    match UPSCALER
        .get_or_init(|| GpuSpatialUpscaler::new(common::context()).map_err(|e| e.to_string()))
    {
        Ok(upscaler) => upscaler,
        Err(message) => panic!("building the EASU/RCAS pipelines failed: {message}"),
    }
}

/// Random pixels with negative and above-one values, so nothing relies on a `[0, 1]` range.
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

/// A smooth image with edges: a soft disc over a diagonal ramp, closer to rendered content than
/// noise, so the edge analysis sees coherent structure.
fn edge_image([width, height]: [u32; 2]) -> Result<ImageF32, ImageError> {
    ImageF32::from_fn(width, height, |x, y| {
        let (fx, fy) = (
            x as f32 - width as f32 * 0.4,
            y as f32 - height as f32 * 0.6,
        );
        let r = (fx * fx + fy * fy).sqrt();
        let disc = (((width.min(height) as f32) * 0.3 - r) * 0.7).clamp(0.0, 1.0);
        let ramp = (x + 2 * y) as f32 / (width + 2 * height) as f32;
        [disc, ramp, 1.0 - disc * ramp, 1.0]
    })
}

fn check(label: &str, actual: &ImageF32, expected: &ImageF32) -> Result<f32, String> {
    let error = actual
        .max_abs_diff(expected)
        .ok_or_else(|| format!("{label}: GPU output has the wrong size"))?;
    eprintln!("{label}: max |gpu - cpu| = {error:e}");
    if error <= TOLERANCE {
        Ok(error)
    } else {
        Err(format!("{label}: max abs error {error} > {TOLERANCE}"))
    }
}

#[test]
fn gpu_easu_matches_cpu() -> TestResult {
    let ctx = common::context();
    eprintln!("adapter: {}", ctx.adapter_summary());
    let mut rng = StdRng::seed_from_u64(0x6561_7375);
    let mut worst = 0.0_f32;
    for &(input_size, [out_w, out_h]) in CASES {
        for (kind, input) in [
            ("noise", random_image(&mut rng, input_size)?),
            ("edges", edge_image(input_size)?),
        ] {
            let expected = easu_cpu(&input, out_w, out_h)?;
            let actual = upscaler().easu(ctx, &input, out_w, out_h)?;
            let label = format!(
                "EASU {kind} {}x{} -> {out_w}x{out_h}",
                input_size[0], input_size[1]
            );
            worst = worst.max(check(&label, &actual, &expected)?);
        }
    }
    eprintln!("EASU: worst max abs error: {worst:e}");
    Ok(())
}

#[test]
fn gpu_rcas_matches_cpu() -> TestResult {
    let ctx = common::context();
    let mut rng = StdRng::seed_from_u64(0x7263_6173);
    let mut worst = 0.0_f32;
    for (&(_, size), sharpness) in CASES.iter().zip(SHARPNESS.iter().cycle()) {
        for (kind, input) in [
            ("noise", random_image(&mut rng, size)?),
            ("edges", edge_image(size)?),
        ] {
            let expected = rcas_cpu(&input, *sharpness)?;
            let actual = upscaler().rcas(ctx, &input, *sharpness)?;
            let label = format!("RCAS {kind} {}x{} sharpness {sharpness}", size[0], size[1]);
            worst = worst.max(check(&label, &actual, &expected)?);
        }
    }
    eprintln!("RCAS: worst max abs error: {worst:e}");
    Ok(())
}

#[test]
fn gpu_spatial_upscale_matches_cpu() -> TestResult {
    let ctx = common::context();
    let mut rng = StdRng::seed_from_u64(0x6673_7231);
    let mut worst = 0.0_f32;
    for (&(input_size, [out_w, out_h]), sharpness) in CASES.iter().zip(SHARPNESS.iter().cycle()) {
        for (kind, input) in [
            ("noise", random_image(&mut rng, input_size)?),
            ("edges", edge_image(input_size)?),
        ] {
            let expected = spatial_upscale_cpu(&input, out_w, out_h, *sharpness)?;
            let actual = upscaler().upscale(ctx, &input, out_w, out_h, *sharpness)?;
            let label = format!(
                "EASU+RCAS {kind} {}x{} -> {out_w}x{out_h} sharpness {sharpness}",
                input_size[0], input_size[1]
            );
            worst = worst.max(check(&label, &actual, &expected)?);
        }
    }
    eprintln!("EASU+RCAS: worst max abs error: {worst:e}");
    Ok(())
}

#[test]
fn gpu_spatial_reproduces_constant_image_exactly() -> TestResult {
    let value = [0.25, -3.0, 7.5, 1.0];
    let input = ImageF32::filled(7, 5, value)?;
    let ctx = common::context();
    let out = upscaler().upscale(ctx, &input, 19, 13, 0.0)?;
    assert!(out.pixels().iter().all(|&p| p == value));
    let out = upscaler().rcas(ctx, &input, 0.0)?;
    assert_eq!(out, input);
    Ok(())
}

#[test]
fn gpu_spatial_encode_records_into_the_callers_encoder() -> TestResult {
    // The render-graph path: caller-owned textures and encoder, one submit for both passes.
    let ctx = common::context();
    let input = edge_image([31, 17])?;
    let params = SpatialUpscaleParams {
        in_size: [31, 17],
        out_size: [62, 34],
        sharpness: 0.25,
    };
    let source = upload_image(
        ctx,
        "kansei:test:spatial:source",
        &input,
        wgpu::TextureUsages::TEXTURE_BINDING,
    )?;
    let make = |label: &str, usage: wgpu::TextureUsages| {
        create_texture_2d(
            ctx,
            label,
            62,
            34,
            RGBA32F,
            wgpu::TextureUsages::STORAGE_BINDING | usage,
        )
    };
    let intermediate = make(
        "kansei:test:spatial:intermediate",
        wgpu::TextureUsages::TEXTURE_BINDING,
    )?;
    let destination = make(
        "kansei:test:spatial:destination",
        wgpu::TextureUsages::COPY_SRC,
    )?;
    let view = |t: &wgpu::Texture| t.create_view(&wgpu::TextureViewDescriptor::default());
    let mut encoder = ctx
        .device()
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("kansei:test:spatial:encoder"),
        });
    upscaler().encode(
        ctx,
        &mut encoder,
        &view(&source),
        &view(&intermediate),
        &view(&destination),
        &params,
    )?;
    ctx.queue().submit([encoder.finish()]);
    let actual = read_image(ctx, &destination)?;
    let expected = spatial_upscale_cpu(&input, 62, 34, 0.25)?;
    check("encode 31x17 -> 62x34", &actual, &expected)?;
    Ok(())
}

#[test]
fn gpu_spatial_rejects_bad_arguments() -> TestResult {
    let ctx = common::context();
    let input = ImageF32::filled(4, 4, [1.0; 4])?;
    for (w, h) in [(0, 4), (4, 0)] {
        let result = upscaler().upscale(ctx, &input, w, h, 0.0);
        assert!(
            matches!(result, Err(SpatialError::EmptyOutput { .. })),
            "{w}x{h} gave {result:?}"
        );
    }
    for sharpness in [-1.0, f32::NAN] {
        let result = upscaler().upscale(ctx, &input, 8, 8, sharpness);
        assert!(
            matches!(result, Err(SpatialError::InvalidSharpness { .. })),
            "sharpness {sharpness} gave {result:?}"
        );
    }
    let max = ctx.device().limits().max_texture_dimension_2d;
    let result = upscaler().upscale(ctx, &input, max + 1, 1, 0.0);
    assert!(
        matches!(result, Err(SpatialError::Gpu(_))),
        "over the size limit gave {result:?}"
    );
    Ok(())
}
