//! The resampler and the spatial upscaler compiled for `rgba16float` (Bevy's HDR main texture)
//! and recorded with `encode`, the way the Bevy pass uses them: the frame sits in the top-left
//! corner of a larger source, and the result goes to the top-left corner of a larger
//! destination. Compared with the CPU references, to `f16` precision.

mod common;

use kansei_upscale::gpu::{create_texture_2d, read_texture_bytes, upload_image};
use kansei_upscale::resample::GpuResampleParams;
use kansei_upscale::spatial::{GpuEasuParams, easu_cpu, rcas_cpu};
use kansei_upscale::{
    GpuResampler, GpuSpatialUpscaler, ImageF32, ResampleFilter, SpatialUpscaleParams, resample_cpu,
    spatial_upscale_cpu,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const F16: wgpu::TextureFormat = wgpu::TextureFormat::Rgba16Float;
/// The frame, and the display it is upscaled to.
const RENDER: [u32; 2] = [23, 17];
const DISPLAY: [u32; 2] = [46, 34];
/// The textures are larger than the frame and the display, as Bevy's main textures are
/// larger than the render-resolution sub-rectangle.
const SOURCE_TEXTURE: [u32; 2] = [46, 34];
const DESTINATION_TEXTURE: [u32; 2] = [50, 37];
/// One `f16` step: storing to `rgba16float` may truncate rather than round, and a step is 2^-11
/// in [0.5, 1) and 2^-10 in [1, 2), where bicubic overshoots. Measured on lavapipe: 4.9e-4
/// for EASU, 9.4e-4 for bicubic; 2e-3 leaves room for the GPU's own arithmetic (the
/// `rgba32float` tests allow 1e-4) and is still far below any wrong-texel error.
const F16_TOLERANCE: f32 = 2e-3;
/// With RCAS, EASU's `f16`-rounded result is the input of a 5-tap unsharp mask that scales
/// differences by up to `1 + amount` (2 at the sharpness used here) per tap, on random noise,
/// the worst case for it; measured 5.5e-3 on lavapipe.
const RCAS_TOLERANCE: f32 = 1e-2;
/// What the source holds outside the frame; any of it in the output fails the comparison.
const OUTSIDE: f32 = 50.0;

/// A random frame in the top-left `RENDER` texels of a `SOURCE_TEXTURE` image, and the frame
/// on its own.
fn frame_in_larger_source() -> Result<(ImageF32, ImageF32), Box<dyn std::error::Error>> {
    let mut rng = StdRng::seed_from_u64(7);
    let frame = ImageF32::from_fn(RENDER[0], RENDER[1], |_, _| {
        [
            rng.random_range(0.0..1.0),
            rng.random_range(0.0..1.0),
            rng.random_range(0.0..1.0),
            1.0,
        ]
    })?;
    let source = ImageF32::from_fn(SOURCE_TEXTURE[0], SOURCE_TEXTURE[1], |x, y| {
        frame.get(x, y).unwrap_or([OUTSIDE; 4])
    })?;
    Ok((source, frame))
}

fn f16_to_f32(bits: u16) -> f32 {
    let sign = if bits & 0x8000 == 0 { 1.0 } else { -1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let mantissa = f32::from(bits & 0x3ff);
    match exponent {
        0 => sign * mantissa * (-24_f32).exp2(),
        31 if mantissa == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        _ => sign * (1.0 + mantissa / 1024.0) * ((exponent - 15) as f32).exp2(),
    }
}

/// Records `encode` into a fresh encoder, runs it and reads the `rgba16float` destination back
/// as `f32` texels, row-major over the whole texture.
fn run(
    encode: impl FnOnce(
        &mut wgpu::CommandEncoder,
        &wgpu::TextureView,
        &wgpu::TextureView,
        &wgpu::TextureView,
    ) -> TestResult,
    source: &ImageF32,
) -> Result<Vec<[f32; 4]>, Box<dyn std::error::Error>> {
    let ctx = common::context();
    let source = upload_image(
        ctx,
        "test:source",
        source,
        wgpu::TextureUsages::TEXTURE_BINDING,
    )?;
    let intermediate = create_texture_2d(
        ctx,
        "test:intermediate",
        DISPLAY[0],
        DISPLAY[1],
        F16,
        wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::TEXTURE_BINDING,
    )?;
    let destination = create_texture_2d(
        ctx,
        "test:destination",
        DESTINATION_TEXTURE[0],
        DESTINATION_TEXTURE[1],
        F16,
        wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_SRC,
    )?;
    let view = |texture: &wgpu::Texture| texture.create_view(&Default::default());
    let mut encoder = ctx
        .device()
        .create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
    encode(
        &mut encoder,
        &view(&source),
        &view(&intermediate),
        &view(&destination),
    )?;
    ctx.queue().submit([encoder.finish()]);
    let bytes = read_texture_bytes(ctx, &destination)?;
    let halves: Vec<u16> = bytemuck::pod_collect_to_vec(&bytes);
    Ok(halves
        .chunks_exact(4)
        .map(|t| [t[0], t[1], t[2], t[3]].map(f16_to_f32))
        .collect())
}

/// The display rectangle matches `want`; the rest of the destination is untouched (zero).
fn check(got: &[[f32; 4]], want: &ImageF32, tolerance: f32, what: &str) {
    let mut worst = 0.0_f32;
    for y in 0..DESTINATION_TEXTURE[1] {
        for x in 0..DESTINATION_TEXTURE[0] {
            let texel = got[(y * DESTINATION_TEXTURE[0] + x) as usize];
            match want.get(x, y).filter(|_| x < DISPLAY[0] && y < DISPLAY[1]) {
                Some(expected) => {
                    for (g, e) in texel.iter().zip(expected) {
                        worst = worst.max((g - e).abs());
                    }
                }
                None => assert_eq!(texel, [0.0; 4], "{what}: ({x}, {y}) outside the display"),
            }
        }
    }
    println!("{what}: largest difference from the CPU reference {worst}");
    assert!(
        worst <= tolerance,
        "{what}: largest difference from the CPU reference {worst} > {tolerance}"
    );
}

#[test]
fn spatial_upscaler_writes_rgba16float_from_a_sub_rectangle() -> TestResult {
    let ctx = common::context();
    let upscaler = GpuSpatialUpscaler::with_output_format(ctx, F16)?;
    assert_eq!(upscaler.output_format(), F16);
    let (source, frame) = frame_in_larger_source()?;
    let sharpness = 1.0;

    let got = run(
        |encoder, source, intermediate, destination| {
            let params = SpatialUpscaleParams {
                in_size: RENDER,
                out_size: DISPLAY,
                sharpness,
            };
            Ok(upscaler.encode(ctx, encoder, source, intermediate, destination, &params)?)
        },
        &source,
    )?;
    let want = spatial_upscale_cpu(&frame, DISPLAY[0], DISPLAY[1], sharpness)?;
    check(&got, &want, RCAS_TOLERANCE, "EASU + RCAS");

    let got = run(
        |encoder, source, _, destination| {
            let params = GpuEasuParams {
                in_size: RENDER,
                out_size: DISPLAY,
            };
            Ok(upscaler.encode_easu(ctx, encoder, source, destination, &params)?)
        },
        &source,
    )?;
    let want = easu_cpu(&frame, DISPLAY[0], DISPLAY[1])?;
    check(&got, &want, F16_TOLERANCE, "EASU alone");

    // The read-back helpers copy `rgba32float`; they refuse other formats instead of misreading.
    assert!(upscaler.upscale(ctx, &frame, 8, 8, 0.0).is_err());
    Ok(())
}

#[test]
fn resampler_writes_rgba16float_from_a_sub_rectangle() -> TestResult {
    let ctx = common::context();
    let resampler = GpuResampler::with_output_format(ctx, F16)?;
    assert_eq!(resampler.output_format(), F16);
    let (source, frame) = frame_in_larger_source()?;
    let got = run(
        |encoder, source, _, destination| {
            let params = GpuResampleParams::new(RENDER, DISPLAY, ResampleFilter::Bicubic);
            Ok(resampler.encode(ctx, encoder, source, destination, &params)?)
        },
        &source,
    )?;
    let want = resample_cpu(&frame, DISPLAY[0], DISPLAY[1], ResampleFilter::Bicubic)?;
    check(&got, &want, F16_TOLERANCE, "bicubic");
    assert!(
        resampler
            .resample(ctx, &frame, 8, 8, ResampleFilter::Bicubic)
            .is_err()
    );
    Ok(())
}

/// RCAS alone, as the plugin runs it after the temporal resolve: the image to sharpen sits in
/// the top-left `DISPLAY` texels of a larger source (the rest holds `OUTSIDE`, which the edge
/// clamp must never read), and the result goes to the top-left of a larger destination.
#[test]
fn rcas_alone_writes_rgba16float_from_a_sub_rectangle() -> TestResult {
    let ctx = common::context();
    let upscaler = GpuSpatialUpscaler::with_output_format(ctx, F16)?;
    let mut rng = StdRng::seed_from_u64(11);
    let image = ImageF32::from_fn(DISPLAY[0], DISPLAY[1], |_, _| {
        [
            rng.random_range(0.0..1.0),
            rng.random_range(0.0..1.0),
            rng.random_range(0.0..1.0),
            1.0,
        ]
    })?;
    let source = ImageF32::from_fn(DESTINATION_TEXTURE[0], DESTINATION_TEXTURE[1], |x, y| {
        image.get(x, y).unwrap_or([OUTSIDE; 4])
    })?;
    for sharpness in [0.0, 1.0] {
        let got = run(
            |encoder, source, _, destination| {
                Ok(upscaler.encode_rcas(ctx, encoder, source, destination, DISPLAY, sharpness)?)
            },
            &source,
        )?;
        let want = rcas_cpu(&image, sharpness)?;
        // The input is `f32` here, so only the final store rounds: measured 4.9e-4 at both
        // sharpnesses on lavapipe, one `f16` step, as for EASU alone.
        check(
            &got,
            &want,
            F16_TOLERANCE,
            &format!("RCAS alone at {sharpness} stops"),
        );
    }
    // An empty size is refused before anything is recorded.
    let mut encoder = ctx
        .device()
        .create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
    let texture = create_texture_2d(
        ctx,
        "test:empty",
        4,
        4,
        F16,
        wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::TEXTURE_BINDING,
    )?;
    let view = texture.create_view(&Default::default());
    assert!(
        upscaler
            .encode_rcas(ctx, &mut encoder, &view, &view, [0, 4], 0.0)
            .is_err()
    );
    Ok(())
}
