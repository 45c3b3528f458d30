//! The compute harness on a real device: buffer and texture round trips (including the 256-byte
//! row padding of texture read-back), a storage-buffer dispatch, and wgpu errors surfacing as
//! `GpuError` values instead of panics.

mod common;

use kansei_upscale::gpu::{
    BindingKind, ComputeKernel, GpuError, KernelDescriptor, create_buffer, create_buffer_init,
    create_texture_2d, read_buffer, read_image, read_texture_bytes, upload_image,
};
use kansei_upscale::{GpuContext, ImageF32};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A test-only kernel (the crate's own kernels live in `shaders/`): `output = input * scale + i`.
const SCALE_WGSL: &str = "
struct Params { scale: f32, count: u32, _pad0: u32, _pad1: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;

@compute @workgroup_size(64)
fn scale(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.count { return; }
    output[id.x] = input[id.x] * params.scale + f32(id.x);
}
";

const SCALE_BINDINGS: [BindingKind; 3] = [
    BindingKind::Uniform,
    BindingKind::Storage { read_only: true },
    BindingKind::Storage { read_only: false },
];

#[test]
fn gpu_adapter_is_available() {
    let ctx = common::context();
    let info = ctx.adapter_info();
    eprintln!(
        "adapter: {} | backend {} | type {:?} | driver {} {}",
        info.name, info.backend, info.device_type, info.driver, info.driver_info
    );
    assert!(!info.name.is_empty());
}

#[test]
fn gpu_storage_buffer_dispatch_round_trip() -> TestResult {
    let ctx = common::context();
    let kernel = ComputeKernel::new(
        ctx,
        &KernelDescriptor {
            label: "kansei:test:scale",
            wgsl: SCALE_WGSL,
            entry_point: "scale",
            bindings: &SCALE_BINDINGS,
        },
    )?;
    let count = 1000_u32; // not a multiple of the workgroup size
    let input: Vec<f32> = (0..count).map(|i| i as f32 * 0.5 - 3.0).collect();
    let params = [3.0_f32.to_bits(), count, 0, 0];
    let uniform = create_buffer_init(
        ctx,
        "kansei:test:params",
        &params,
        wgpu::BufferUsages::UNIFORM,
    )?;
    let input_buffer = create_buffer_init(
        ctx,
        "kansei:test:input",
        &input,
        wgpu::BufferUsages::STORAGE,
    )?;
    let output_buffer = create_buffer(
        ctx,
        "kansei:test:output",
        u64::from(count) * 4,
        wgpu::BufferUsages::STORAGE,
    )?;
    kernel.dispatch(
        ctx,
        &[
            uniform.as_entire_binding(),
            input_buffer.as_entire_binding(),
            output_buffer.as_entire_binding(),
        ],
        [count.div_ceil(64), 1, 1],
    )?;
    let output: Vec<f32> = read_buffer(ctx, &output_buffer)?;
    let expected: Vec<f32> = (0..count)
        .map(|i| input[i as usize] * 3.0 + i as f32)
        .collect();
    assert_eq!(output, expected);
    Ok(())
}

#[test]
fn gpu_texture_round_trip_odd_widths() -> TestResult {
    // rgba32float rows of 7, 97 and 513 texels are 112, 1552 and 8208 bytes: none is a multiple
    // of 256, so each exercises the padded read-back.
    let ctx = common::context();
    for (width, height) in [(1, 1), (7, 3), (16, 2), (97, 5), (513, 2), (7, 513)] {
        let image = ImageF32::from_fn(width, height, |x, y| {
            [x as f32, y as f32, (x * 31 + y) as f32 * 0.125, -1.0]
        })?;
        let texture = upload_image(
            ctx,
            "kansei:test:round_trip",
            &image,
            wgpu::TextureUsages::COPY_SRC,
        )?;
        assert_eq!(read_image(ctx, &texture)?, image, "{width}x{height}");
    }
    Ok(())
}

#[test]
fn gpu_read_back_unpads_four_byte_texels() -> TestResult {
    // 7 rgba8 texels are 28 bytes per row, padded to 256 in the staging buffer.
    let ctx = common::context();
    let (width, height) = (7_u32, 5_u32);
    let texture = create_texture_2d(
        ctx,
        "kansei:test:rgba8",
        width,
        height,
        wgpu::TextureFormat::Rgba8Unorm,
        wgpu::TextureUsages::COPY_SRC | wgpu::TextureUsages::COPY_DST,
    )?;
    let bytes: Vec<u8> = (0..width * height * 4).map(|i| (i % 251) as u8).collect();
    ctx.queue().write_texture(
        texture.as_image_copy(),
        &bytes,
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(width * 4),
            rows_per_image: Some(height),
        },
        texture.size(),
    );
    assert_eq!(read_texture_bytes(ctx, &texture)?, bytes);
    Ok(())
}

#[test]
fn gpu_invalid_wgsl_is_an_error_not_a_panic() {
    let result = ComputeKernel::new(
        common::context(),
        &KernelDescriptor {
            label: "kansei:test:broken",
            wgsl: "@compute @workgroup_size(1) fn main() { let x: u32 = ; }",
            entry_point: "main",
            bindings: &[],
        },
    );
    match result {
        Err(error @ GpuError::Wgpu { .. }) => {
            let message = error.to_string();
            eprintln!("{message}");
            assert!(
                message.starts_with("kansei:test:broken: build pipeline failed"),
                "{message}"
            );
        }
        other => panic!("expected a wgpu error, got {other:?}"),
    }
}

#[test]
fn gpu_wrong_binding_is_an_error_not_a_panic() -> TestResult {
    // The scale kernel wants a uniform and two storage buffers; hand it a texture in the middle.
    let ctx = common::context();
    let kernel = ComputeKernel::new(
        ctx,
        &KernelDescriptor {
            label: "kansei:test:scale_for_binding",
            wgsl: SCALE_WGSL,
            entry_point: "scale",
            bindings: &SCALE_BINDINGS,
        },
    )?;
    let buffer = create_buffer(ctx, "kansei:test:small", 16, wgpu::BufferUsages::UNIFORM)?;
    let image = ImageF32::filled(2, 2, [0.0; 4])?;
    let texture = upload_image(
        ctx,
        "kansei:test:not_a_buffer",
        &image,
        wgpu::TextureUsages::TEXTURE_BINDING,
    )?;
    let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
    let result = kernel.bind_group(
        ctx,
        &[
            buffer.as_entire_binding(),
            wgpu::BindingResource::TextureView(&view),
            buffer.as_entire_binding(),
        ],
    );
    assert!(
        matches!(result, Err(GpuError::Wgpu { .. })),
        "expected a validation error, got {result:?}"
    );
    let too_few = kernel.bind_group(ctx, &[buffer.as_entire_binding()]);
    assert!(matches!(
        too_few,
        Err(GpuError::BindingCount {
            expected: 3,
            actual: 1,
            ..
        })
    ));
    Ok(())
}

#[test]
fn gpu_zero_sized_buffer_is_an_error() {
    let result = create_buffer(
        common::context(),
        "kansei:test:empty",
        0,
        wgpu::BufferUsages::STORAGE,
    );
    assert!(matches!(result, Err(GpuError::BufferSize { size: 0, .. })));
}

#[test]
fn gpu_context_from_parts_shares_the_device() -> TestResult {
    // What the Bevy integration does with the renderer's device and queue.
    let ctx = common::context();
    let shared = GpuContext::from_parts(ctx.device().clone(), ctx.queue().clone());
    assert_eq!(shared.adapter_info().name, ctx.adapter_info().name);
    let image = ImageF32::filled(3, 3, [0.5; 4])?;
    let texture = upload_image(
        &shared,
        "kansei:test:shared",
        &image,
        wgpu::TextureUsages::COPY_SRC,
    )?;
    assert_eq!(read_image(ctx, &texture)?, image);
    Ok(())
}
