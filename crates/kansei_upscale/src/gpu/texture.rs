//! 2D texture creation, upload and read-back, with sizes checked before wgpu sees them.
//!
//! Texture-to-buffer copies need each row to start at a multiple of
//! [`wgpu::COPY_BYTES_PER_ROW_ALIGNMENT`] (256 bytes), so read-back copies into a padded staging
//! buffer and strips the padding on the CPU. Uploads use `Queue::write_texture`, which has no such
//! rule, so they stay tightly packed.

use super::buffer::{create_staging_buffer, map_staging};
use super::{GpuContext, GpuError};
use crate::image::{ImageF32, Rgba};

/// Format used for every `f32` image the harness moves to and from the GPU.
pub const RGBA32F: wgpu::TextureFormat = wgpu::TextureFormat::Rgba32Float;

/// Checks a requested 2D size against `max` (the device's `max_texture_dimension_2d`).
pub fn check_texture_size(width: u32, height: u32, max: u32) -> Result<(), GpuError> {
    let fits = |side: u32| (1..=max).contains(&side);
    if fits(width) && fits(height) {
        Ok(())
    } else {
        Err(GpuError::TextureSize { width, height, max })
    }
}

/// Row pitch of a texture-to-buffer copy: `unpadded` rounded up to
/// [`wgpu::COPY_BYTES_PER_ROW_ALIGNMENT`].
pub fn padded_bytes_per_row(unpadded: u32) -> u32 {
    unpadded.next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT)
}

/// Creates a single-mip, single-sample 2D texture, or explains why the size is not allowed.
pub fn create_texture_2d(
    ctx: &GpuContext,
    label: &str,
    width: u32,
    height: u32,
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
) -> Result<wgpu::Texture, GpuError> {
    check_texture_size(
        width,
        height,
        ctx.device().limits().max_texture_dimension_2d,
    )?;
    ctx.capture_errors(label, || {
        ctx.device().create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: extent(width, height),
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage,
            view_formats: &[],
        })
    })
}

/// Uploads `image` into a new [`RGBA32F`] texture with `usage` plus `COPY_DST`.
pub fn upload_image(
    ctx: &GpuContext,
    label: &str,
    image: &ImageF32,
    usage: wgpu::TextureUsages,
) -> Result<wgpu::Texture, GpuError> {
    let (width, height) = (image.width(), image.height());
    let texture = create_texture_2d(
        ctx,
        label,
        width,
        height,
        RGBA32F,
        usage | wgpu::TextureUsages::COPY_DST,
    )?;
    let bytes_per_row = width * size_of::<Rgba>() as u32;
    ctx.capture_errors(label, || {
        ctx.queue().write_texture(
            texture.as_image_copy(),
            bytemuck::cast_slice(image.pixels()),
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(bytes_per_row),
                rows_per_image: Some(height),
            },
            extent(width, height),
        );
    })?;
    Ok(texture)
}

/// Reads an [`RGBA32F`] texture (which needs `COPY_SRC`) back as an [`ImageF32`].
pub fn read_image(ctx: &GpuContext, texture: &wgpu::Texture) -> Result<ImageF32, GpuError> {
    if texture.format() != RGBA32F {
        return Err(GpuError::UnsupportedFormat {
            format: texture.format(),
        });
    }
    let bytes = read_texture_bytes(ctx, texture)?;
    let pixels: Vec<Rgba> = bytemuck::pod_collect_to_vec(&bytes);
    // A texture is never empty and `bytes` holds exactly width * height texels, so this cannot
    // fail; map the error anyway rather than unwrap.
    ImageF32::new(texture.width(), texture.height(), pixels).map_err(|_| GpuError::TextureSize {
        width: texture.width(),
        height: texture.height(),
        max: ctx.device().limits().max_texture_dimension_2d,
    })
}

/// Reads mip 0 of a 2D texture (which needs `COPY_SRC`) back as tightly packed rows.
///
/// Works for any format with a fixed texel size; compressed and depth/stencil formats give
/// [`GpuError::UnsupportedFormat`].
pub fn read_texture_bytes(ctx: &GpuContext, texture: &wgpu::Texture) -> Result<Vec<u8>, GpuError> {
    let format = texture.format();
    let texel_size = format
        .block_copy_size(None)
        .filter(|_| format.block_dimensions() == (1, 1))
        .ok_or(GpuError::UnsupportedFormat { format })?;
    let (width, height) = (texture.width(), texture.height());
    let unpadded = width * texel_size;
    let padded = padded_bytes_per_row(unpadded);

    let staging = create_staging_buffer(
        ctx,
        "kansei:gpu:read_texture:staging",
        u64::from(padded) * u64::from(height),
    )?;
    ctx.capture_errors("kansei:gpu:read_texture: copy", || {
        let mut encoder = ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("kansei:gpu:read_texture:encoder"),
            });
        encoder.copy_texture_to_buffer(
            texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &staging,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(padded),
                    rows_per_image: Some(height),
                },
            },
            extent(width, height),
        );
        ctx.queue().submit([encoder.finish()]);
    })?;
    let padded_bytes = map_staging(ctx, &staging)?;
    Ok(strip_row_padding(
        &padded_bytes,
        unpadded as usize,
        padded as usize,
    ))
}

/// Drops the padding at the end of every `padded`-byte row, keeping the first `unpadded` bytes.
pub fn strip_row_padding(bytes: &[u8], unpadded: usize, padded: usize) -> Vec<u8> {
    bytes
        .chunks(padded)
        .flat_map(|row| &row[..unpadded.min(row.len())])
        .copied()
        .collect()
}

fn extent(width: u32, height: u32) -> wgpu::Extent3d {
    wgpu::Extent3d {
        width,
        height,
        depth_or_array_layers: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_padded_to_256_bytes() {
        // rgba32float is 16 bytes per texel.
        assert_eq!(padded_bytes_per_row(7 * 16), 256);
        assert_eq!(padded_bytes_per_row(16 * 16), 256);
        assert_eq!(padded_bytes_per_row(97 * 16), 1792);
        assert_eq!(padded_bytes_per_row(513 * 16), 8448);
        assert_eq!(padded_bytes_per_row(1), 256);
    }

    #[test]
    fn strip_row_padding_keeps_row_prefixes() {
        let padded: Vec<u8> = (0..12).collect();
        assert_eq!(
            strip_row_padding(&padded, 3, 4),
            [0, 1, 2, 4, 5, 6, 8, 9, 10]
        );
    }

    #[test]
    fn texture_size_must_be_positive_and_within_limit() {
        assert!(check_texture_size(1, 1, 8192).is_ok());
        assert!(check_texture_size(8192, 8192, 8192).is_ok());
        for (width, height) in [(0, 1), (1, 0), (8193, 1), (1, 8193), (0, 0)] {
            assert!(
                matches!(
                    check_texture_size(width, height, 8192),
                    Err(GpuError::TextureSize { max: 8192, .. })
                ),
                "{width}x{height} should be rejected"
            );
        }
    }
}
