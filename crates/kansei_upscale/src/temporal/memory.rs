//! The history's texture formats and their GPU memory.
//!
//! Budget: at most 100 MB (10^8 bytes) for history and intermediates at 4K output
//! (3840x2160, 8.29 M pixels), that is 12 bytes per display pixel. An `rgba16float` ping-pong
//! pair alone is 16 bytes per pixel (133 MB), so:
//!
//! - **Colour and confidence**: a ping-pong pair of [`HISTORY_COLOR_FORMAT`] (`rgba8unorm`,
//!   4 bytes), RGB in the perceptual encoding of [`encode_channel`](super::encode_channel),
//!   alpha the confidence (upper 7 bits) and whether the static clip test disagreed (lowest
//!   bit, [`encode_confidence`](super::encode_confidence)). Without optional features wgpu 29 (WebGPU) guarantees write-only
//!   storage for `r32float`/`r32uint`, `rgba8unorm`/`snorm`/`uint`/`sint`, `rg32*`, `rgba16*`
//!   and `rgba32*` only: `rg11b10ufloat`, `rgb9e5ufloat`, `r16float` and `bgra8unorm` need
//!   features (`TEXTURE_FORMATS_TIER1`, `BGRA8UNORM_STORAGE`), so `rgba8unorm` is the only
//!   4-byte colour format every device can write, and it is also filterable as a sampled
//!   texture for a later sampler-based path.
//! - **Depth**: one [`HISTORY_DEPTH_FORMAT`] (`r32uint`, 4 bytes) texture, not a pair: per
//!   render texel the closest and farthest depth of its 3x3 as 15-bit floats and a moved flag
//!   ([`pack_depth_pair`](super::pack_depth_pair)). The resolve reads the previous frame's from
//!   it, then a second dispatch overwrites it with this frame's. It is display-sized so that
//!   any render resolution up to the display fits without reallocating; only the render
//!   rectangle is used.
//! - **Intermediates**: none; the resolve is one pass.
//!
//! Total: `4 + 4 + 4 = 12` bytes per display pixel, 99.5 MB at 4K. The renderer's own
//! textures (colour, depth, motion vectors, output) are not counted.

/// Format of the two colour-and-confidence history textures.
pub const HISTORY_COLOR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
/// Format of the depth history texture.
pub const HISTORY_DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::R32Uint;

/// Bytes of GPU memory the temporal resolver's history takes for a `display` of
/// `[width, height]`: two colour textures and one depth texture, all display-sized.
pub fn memory_bytes(display: [u32; 2]) -> u64 {
    let pixels = u64::from(display[0]) * u64::from(display[1]);
    let texel = |format: wgpu::TextureFormat| u64::from(format.block_copy_size(None).unwrap_or(0));
    pixels * (2 * texel(HISTORY_COLOR_FORMAT) + texel(HISTORY_DEPTH_FORMAT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_the_budget_at_4k() {
        let bytes = memory_bytes([3840, 2160]);
        assert_eq!(bytes, 99_532_800);
        assert!(bytes <= 100_000_000, "{bytes} bytes at 4K");
    }

    #[test]
    fn formats_are_storage_writable_without_features() {
        for format in [HISTORY_COLOR_FORMAT, HISTORY_DEPTH_FORMAT] {
            let features = format.guaranteed_format_features(wgpu::Features::empty());
            assert!(
                features
                    .flags
                    .contains(wgpu::TextureFormatFeatureFlags::STORAGE_WRITE_ONLY),
                "{format:?}"
            );
            assert!(
                features.allowed_usages.contains(
                    wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::TEXTURE_BINDING
                ),
                "{format:?}"
            );
        }
        // The smaller HDR formats would not do without optional features.
        for format in [
            wgpu::TextureFormat::Rg11b10Ufloat,
            wgpu::TextureFormat::R16Float,
        ] {
            let features = format.guaranteed_format_features(wgpu::Features::empty());
            assert!(
                !features
                    .allowed_usages
                    .contains(wgpu::TextureUsages::STORAGE_BINDING),
                "{format:?}"
            );
        }
    }
}
