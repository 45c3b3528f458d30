//! Side-by-side PNG crops of the last frame of a scene, ground truth first, then every method,
//! magnified with nearest-neighbour so each display pixel stays visible.

use std::path::Path;

use crate::{
    ImageF32,
    eval::{EvalError, save_png_rgb8},
    scenes::BenchScene,
};

/// Magnification of the crops.
pub const CROP_ZOOM: u32 = 3;
/// Gap between tiles, in output pixels.
const GAP: u32 = 4;
/// Colour of the gaps.
const GAP_COLOR: [f32; 4] = [0.08, 0.08, 0.08, 1.0];

/// Writes `dir/<scene>.png`: the crop of `scene` (its [`BenchScene::crop`] region) from each
/// of `tiles` (`(name, frame)`, all the display's size), left to right.
pub fn write_crop_strip(
    dir: &Path,
    scene: BenchScene,
    tiles: &[(String, &ImageF32)],
) -> Result<(), EvalError> {
    let Some((_, first)) = tiles.first() else {
        return Ok(());
    };
    let (width, height) = (first.width() as f32, first.height() as f32);
    let [fx, fy, fw, fh] = scene.crop();
    let x0 = (fx * width) as u32;
    let y0 = (fy * height) as u32;
    let cw = ((fw * width) as u32).max(1);
    let ch = ((fh * height) as u32).max(1);
    let tile_w = cw * CROP_ZOOM;
    let n = tiles.len() as u32;
    let strip_w = n * tile_w + (n - 1) * GAP;
    let strip_h = ch * CROP_ZOOM;
    let strip = ImageF32::from_fn(strip_w, strip_h, |x, y| {
        let tile = x / (tile_w + GAP);
        let within = x % (tile_w + GAP);
        if within >= tile_w {
            return GAP_COLOR;
        }
        let frame = tiles[tile as usize].1;
        frame.get_clamped(
            i64::from(x0 + within / CROP_ZOOM),
            i64::from(y0 + y / CROP_ZOOM),
        )
    })?;
    save_png_rgb8(&strip, &dir.join(format!("{}.png", scene.name())))
}
