//! The scenes' procedural textures: grey, repeating, trilinearly filtered, with a full mip
//! chain (box-filtered in linear light) as a game's textures have. Minification is then the
//! renderer's business, as in a game, and the upscalers' mip bias matters: what aliases is what
//! aliases in games, geometry edges and detail at the limit of the sampled mip.

use crate::eval::{linear_to_srgb, srgb_to_linear};
use bevy::{
    asset::RenderAssetUsages,
    image::{ImageAddressMode, ImageFilterMode, ImageSampler, ImageSamplerDescriptor},
    prelude::*,
    render::render_resource::{Extent3d, TextureDimension, TextureFormat},
};

/// Ink and paper of the glyph texture, and the dark and light checks (sRGB bytes).
const DARK: u8 = 35;
const LIGHT: u8 = 220;

/// A `size` x `size` checkerboard of `check` x `check`-texel checks.
pub fn checkerboard_image(size: u32, check: u32) -> Image {
    let check = check.max(1);
    grey_image(size, |x, y| {
        if (x / check + y / check).is_multiple_of(2) {
            LIGHT
        } else {
            DARK
        }
    })
}

/// A `size` x `size` zone plate: rings around the centre whose frequency grows linearly with
/// the radius, reaching one cycle per two texels at the edge midpoints, so every frequency up
/// to the texture's limit is on screen at once. The scenes use 128 texels on a 5 m wall, about
/// one texel per display pixel at 320x180: the display resolves nearly all of it, half the
/// resolution a quarter.
pub fn zone_plate_image(size: u32) -> Image {
    let half = size as f32 / 2.0;
    grey_image(size, |x, y| {
        let (dx, dy) = (x as f32 + 0.5 - half, y as f32 + 0.5 - half);
        // Phase pi r^2 / (2 half): its derivative pi r / half is pi (Nyquist) at r = half.
        let phase = std::f32::consts::PI * (dx * dx + dy * dy) / (2.0 * half);
        (127.5 + 92.5 * phase.cos()).round() as u8
    })
}

/// A `size` x `size` page of text-like glyph lines in bands of decreasing size: 5x7-texel
/// glyphs drawn at 4, 3, 2 and then 1 texel per glyph pixel, one blank texel column between
/// glyphs, gaps between words. The glyphs are pseudo-random bitmaps (a fixed hash), dense
/// enough to read like text; an upscaler that keeps them apart keeps text legible.
pub fn glyph_image(size: u32) -> Image {
    let mut ink = vec![false; (size * size) as usize];
    let mut top = 2;
    let mut line = 0_u64;
    // Two lines at each size, the cycle repeated down the page.
    for scale in [4_u32, 3, 2, 1].into_iter().cycle().take(64) {
        let line_height = 9 * scale;
        if top + 2 * line_height > size {
            break;
        }
        for _ in 0..2 {
            draw_line(&mut ink, size, top, scale, line);
            top += line_height;
            line += 1;
        }
    }
    grey_image(size, |x, y| {
        if ink[(y * size + x) as usize] {
            DARK
        } else {
            LIGHT
        }
    })
}

/// One line of glyphs at `scale` with its top at texel row `top`.
fn draw_line(ink: &mut [bool], size: u32, top: u32, scale: u32, line: u64) {
    let cell = 6 * scale;
    let mut left = 2 * scale;
    let mut index = 0_u64;
    while left + cell <= size {
        let hash = splitmix64(line << 32 | index);
        index += 1;
        // About one cell in six is a word gap.
        if hash.is_multiple_of(6) {
            left += cell;
            continue;
        }
        let bits = hash >> 8;
        for gy in 0..7 {
            for gx in 0..5 {
                // Mirror the left columns onto the right ones on a third of the glyphs, as
                // many letters are symmetric; the rest are free.
                let column = if hash.is_multiple_of(3) {
                    gx.min(4 - gx)
                } else {
                    gx
                };
                if bits >> (gy * 5 + column) & 1 == 0 {
                    continue;
                }
                for sy in 0..scale {
                    for sx in 0..scale {
                        let x = left + gx * scale + sx;
                        let y = top + gy * scale + sy;
                        ink[(y * size + x) as usize] = true;
                    }
                }
            }
        }
        left += cell;
    }
}

/// A 64-bit mixing function (Steele et al.'s `SplitMix64` finaliser): neighbouring inputs give
/// unrelated outputs.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A square grey texture whose texel `(x, y)` is `value(x, y)` (sRGB), repeating, trilinearly
/// filtered, with every mip level down to 1x1.
fn grey_image(size: u32, value: impl Fn(u32, u32) -> u8) -> Image {
    let size = size.max(1);
    let mut level: Vec<f64> = (0..size * size)
        .map(|i| srgb_to_linear(f64::from(value(i % size, i / size)) / 255.0))
        .collect();
    let mut side = size;
    let mut data = Vec::new();
    let mut levels = 0;
    loop {
        for &v in &level {
            let byte = (linear_to_srgb(v) * 255.0).round() as u8;
            data.extend_from_slice(&[byte, byte, byte, 255]);
        }
        levels += 1;
        if side == 1 {
            break;
        }
        // A 2x2 box in linear light; an odd side keeps its last row and column.
        let next = (side / 2).max(1);
        level = (0..next * next)
            .map(|i| {
                let (x, y) = (2 * (i % next), 2 * (i / next));
                let at = |dx: u32, dy: u32| {
                    level[((y + dy).min(side - 1) * side + (x + dx).min(side - 1)) as usize]
                };
                (at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4.0
            })
            .collect();
        side = next;
    }
    // `Image::new` checks the data against the base level only; the mip chain follows it.
    let mut image = Image::new_uninit(
        Extent3d {
            width: size,
            height: size,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    image.data = Some(data);
    image.texture_descriptor.mip_level_count = levels;
    image.sampler = ImageSampler::Descriptor(ImageSamplerDescriptor {
        address_mode_u: ImageAddressMode::Repeat,
        address_mode_v: ImageAddressMode::Repeat,
        mipmap_filter: ImageFilterMode::Linear,
        ..ImageSamplerDescriptor::linear()
    });
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The base level's grey values.
    fn texels(image: &Image) -> Vec<u8> {
        let side = image.width() as usize;
        image
            .data
            .as_ref()
            .expect("CPU data")
            .chunks(4)
            .take(side * side)
            .map(|p| p[0])
            .collect()
    }

    #[test]
    fn mip_chains_are_complete_and_average_in_linear_light() {
        let image = checkerboard_image(8, 1);
        assert_eq!(image.texture_descriptor.mip_level_count, 4);
        let data = image.data.as_ref().expect("CPU data");
        assert_eq!(data.len(), 4 * (64 + 16 + 4 + 1));
        // Every 2x2 block of the level-1 source is half light, half dark.
        let linear = |byte: u8| srgb_to_linear(f64::from(byte) / 255.0);
        let mid = 0.5 * (linear(LIGHT) + linear(DARK));
        let expected = (linear_to_srgb(mid) * 255.0).round() as u8;
        assert_eq!(data[4 * 64], expected);
        assert_eq!(data[data.len() - 4], expected);
    }

    #[test]
    fn checkerboard_alternates() {
        let t = texels(&checkerboard_image(8, 2));
        assert_eq!(
            &t[..8],
            &[LIGHT, LIGHT, DARK, DARK, LIGHT, LIGHT, DARK, DARK]
        );
        assert_eq!(t[2 * 8], DARK);
    }

    #[test]
    fn glyphs_are_text_like() {
        let t = texels(&glyph_image(256));
        let inked = t.iter().filter(|&&v| v == DARK).count() as f64 / t.len() as f64;
        // Text on a page: some ink, mostly paper.
        assert!((0.1..0.5).contains(&inked), "ink coverage {inked}");
        // Deterministic.
        assert_eq!(t, texels(&glyph_image(256)));
    }

    #[test]
    fn zone_plate_spans_the_grey_range() {
        let t = texels(&zone_plate_image(64));
        let (lo, hi) = (t.iter().min().copied(), t.iter().max().copied());
        assert!(lo < Some(50) && hi > Some(200), "{lo:?} {hi:?}");
    }
}
