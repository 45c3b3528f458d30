//! Buffer creation and read-back.
//!
//! Read-back goes through a separate `MAP_READ` staging buffer because storage buffers cannot
//! also be mappable on most backends.

use std::sync::mpsc;

use bytemuck::Pod;
use wgpu::util::DeviceExt as _;

use super::{GpuContext, GpuError};

/// Creates a buffer holding `contents`, with `usage` plus `COPY_SRC` (so it can be read back)
/// and `COPY_DST` (so it can be rewritten with `Queue::write_buffer`).
pub fn create_buffer_init<T: Pod>(
    ctx: &GpuContext,
    label: &str,
    contents: &[T],
    usage: wgpu::BufferUsages,
) -> Result<wgpu::Buffer, GpuError> {
    let bytes: &[u8] = bytemuck::cast_slice(contents);
    check_buffer_size(ctx, bytes.len() as u64)?;
    ctx.capture_errors(label, || {
        ctx.device()
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytes,
                usage: usage | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            })
    })
}

/// Creates a zero-filled buffer of `size` bytes, with `usage` plus `COPY_SRC | COPY_DST`.
pub fn create_buffer(
    ctx: &GpuContext,
    label: &str,
    size: u64,
    usage: wgpu::BufferUsages,
) -> Result<wgpu::Buffer, GpuError> {
    check_buffer_size(ctx, size)?;
    ctx.capture_errors(label, || {
        ctx.device().create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage: usage | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    })
}

/// Copies `buffer` (which needs `COPY_SRC`) back to the CPU as `T`s.
///
/// Blocks until the GPU has finished all work submitted before the copy.
pub fn read_buffer<T: Pod>(ctx: &GpuContext, buffer: &wgpu::Buffer) -> Result<Vec<T>, GpuError> {
    let bytes = read_buffer_bytes(ctx, buffer)?;
    // `pod_collect_to_vec` copies, so the result is aligned for `T` whatever the byte vector was.
    Ok(bytemuck::pod_collect_to_vec(&bytes))
}

/// Copies the whole of `buffer` (which needs `COPY_SRC`) back to the CPU.
pub fn read_buffer_bytes(ctx: &GpuContext, buffer: &wgpu::Buffer) -> Result<Vec<u8>, GpuError> {
    let size = buffer.size();
    let staging = create_staging_buffer(ctx, "kansei:gpu:read_buffer:staging", size)?;
    ctx.capture_errors("kansei:gpu:read_buffer: copy", || {
        let mut encoder = ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("kansei:gpu:read_buffer:encoder"),
            });
        encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, size);
        ctx.queue().submit([encoder.finish()]);
    })?;
    map_staging(ctx, &staging)
}

/// A `MAP_READ | COPY_DST` buffer to copy GPU results into.
pub(crate) fn create_staging_buffer(
    ctx: &GpuContext,
    label: &str,
    size: u64,
) -> Result<wgpu::Buffer, GpuError> {
    check_buffer_size(ctx, size)?;
    ctx.capture_errors(label, || {
        ctx.device().create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    })
}

/// Maps a staging buffer whose copy has been submitted, waits, and returns its bytes.
pub(crate) fn map_staging(ctx: &GpuContext, staging: &wgpu::Buffer) -> Result<Vec<u8>, GpuError> {
    let (sender, receiver) = mpsc::channel();
    staging.map_async(wgpu::MapMode::Read, .., move |result| {
        // The receiver only disappears if this function already returned; nothing to report then.
        let _ = sender.send(result);
    });
    ctx.wait_idle()?;
    receiver
        .recv()
        .map_err(|_| GpuError::MapCallbackDropped)??;
    let bytes = staging.get_mapped_range(..).to_vec();
    staging.unmap();
    Ok(bytes)
}

/// Rejects sizes wgpu would refuse (zero-sized mappings, sizes over the device limit).
fn check_buffer_size(ctx: &GpuContext, size: u64) -> Result<(), GpuError> {
    let max = ctx.device().limits().max_buffer_size;
    if size == 0 || size > max {
        return Err(GpuError::BufferSize { size, max });
    }
    Ok(())
}
