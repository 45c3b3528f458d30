//! Compiling the storage-writing shaders for a destination format other than `rgba32float`.
//!
//! The resample, EASU and RCAS shaders declare their output as
//! `texture_storage_2d<rgba32float, write>`: `rgba32float` keeps the GPU results equal to the CPU
//! references, and it is what the tests and tools read back. A renderer's own textures are
//! usually `rgba16float` (Bevy's HDR main texture), and WGSL fixes a storage texture's format in
//! the declaration, so the same source is compiled once per format with that one token replaced.

use super::GpuError;

/// The declaration every storage-writing shader in `shaders/` uses for its output.
pub const RGBA32F_STORAGE_DECLARATION: &str = "texture_storage_2d<rgba32float, write>";

/// The WGSL texel format name of a format the shaders can write: `rgba32float`, `rgba16float` or
/// `rgba8unorm` (the write-only storage formats every WebGPU adapter supports that hold colour).
pub fn wgsl_storage_format(format: wgpu::TextureFormat) -> Result<&'static str, GpuError> {
    match format {
        wgpu::TextureFormat::Rgba32Float => Ok("rgba32float"),
        wgpu::TextureFormat::Rgba16Float => Ok("rgba16float"),
        wgpu::TextureFormat::Rgba8Unorm => Ok("rgba8unorm"),
        format => Err(GpuError::UnsupportedStorageFormat { format }),
    }
}

/// `wgsl` with every [`RGBA32F_STORAGE_DECLARATION`] rewritten to write `format`.
///
/// Fails with [`GpuError::UnsupportedStorageFormat`] for a format [`wgsl_storage_format`] does not
/// know. A shader without the declaration comes back unchanged; the tests of each shader check
/// that it has one.
pub fn with_storage_format(wgsl: &str, format: wgpu::TextureFormat) -> Result<String, GpuError> {
    let name = wgsl_storage_format(format)?;
    Ok(wgsl.replace(
        RGBA32F_STORAGE_DECLARATION,
        &format!("texture_storage_2d<{name}, write>"),
    ))
}

/// The declaration of the depth input in the temporal shaders: depth as a float colour texture
/// (`r32float` in the tests and tools).
pub const FLOAT_DEPTH_DECLARATION: &str = "var depth_texture: texture_2d<f32>;";

/// The same input as a depth texture, which a depth format (Bevy's `Depth32Float` prepass) needs.
pub const DEPTH_TEXTURE_DECLARATION: &str = "var depth_texture: texture_depth_2d;";

/// `wgsl` with its [`FLOAT_DEPTH_DECLARATION`] rewritten to [`DEPTH_TEXTURE_DECLARATION`], for
/// binding a depth-format texture with [`BindingKind::DepthTexture2d`](super::BindingKind).
///
/// WGSL has no type that takes both, and `textureLoad` returns a `vec4<f32>` from one and an
/// `f32` from the other; the shaders read it through `vec4<f32>(textureLoad(..)).x`, which
/// accepts both, so the declaration is the only token that changes. A shader without the
/// declaration comes back unchanged; the temporal tests check that both shaders have one.
pub fn with_depth_texture(wgsl: &str) -> String {
    wgsl.replace(FLOAT_DEPTH_DECLARATION, DEPTH_TEXTURE_DECLARATION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_only_the_depth_declaration() {
        let wgsl = "@binding(1) var color_texture: texture_2d<f32>;\n\
                    @binding(2) var depth_texture: texture_2d<f32>;";
        assert_eq!(
            with_depth_texture(wgsl),
            "@binding(1) var color_texture: texture_2d<f32>;\n\
             @binding(2) var depth_texture: texture_depth_2d;"
        );
    }

    #[test]
    fn rewrites_only_the_output_declaration() -> Result<(), GpuError> {
        let wgsl = "@binding(1) var source: texture_2d<f32>;\n\
                    @binding(2) var destination: texture_storage_2d<rgba32float, write>;";
        let rewritten = with_storage_format(wgsl, wgpu::TextureFormat::Rgba16Float)?;
        assert_eq!(
            rewritten,
            "@binding(1) var source: texture_2d<f32>;\n\
             @binding(2) var destination: texture_storage_2d<rgba16float, write>;"
        );
        assert_eq!(
            with_storage_format(wgsl, wgpu::TextureFormat::Rgba32Float)?,
            wgsl
        );
        Ok(())
    }

    #[test]
    fn rejects_formats_the_shaders_cannot_write() {
        for format in [
            wgpu::TextureFormat::Rgba8UnormSrgb,
            wgpu::TextureFormat::Bgra8Unorm,
            wgpu::TextureFormat::Rg11b10Ufloat,
        ] {
            assert!(matches!(
                with_storage_format("", format),
                Err(GpuError::UnsupportedStorageFormat { format: f }) if f == format
            ));
        }
    }
}
