//! Render resolution and texture mip bias from the display viewport and the upscale ratio.

use bevy::math::UVec2;

/// The resolution the main pass renders at: `display / ratio` per axis, rounded to the nearest
/// pixel, at least 1 and at most `display` (so a ratio below 1 cannot render above display).
///
/// `display` is the camera's physical viewport size; a zero side stays zero (nothing to draw).
pub fn render_resolution(display: UVec2, ratio: f32) -> UVec2 {
    let ratio = if ratio.is_nan() { 1.0 } else { ratio.max(1.0) };
    let axis = |side: u32| -> u32 {
        // `as` saturates, and `side / ratio` never exceeds `side`, so this cannot overflow.
        let scaled = (side as f32 / ratio).round() as u32;
        scaled.clamp(side.min(1), side)
    };
    UVec2::new(axis(display.x), axis(display.y))
}

/// The texture LOD bias for a main pass at `render` resolution shown at `display` resolution.
///
/// A spatial upscaler only has the rendered pixels, so textures are sampled as sharply as the
/// display would sample them, `log2(render / display)` (-1 at 2x). A temporal upscaler
/// (`accumulates_history`) gathers several jittered frames per display pixel and goes one level
/// sharper still, `log2(render / display) - 1`, the bias DLSS and FSR 2 document. Measured on
/// the horizontal axis; the render resolution keeps the display's aspect ratio up to rounding.
pub fn mip_bias(render: UVec2, display: UVec2, accumulates_history: bool) -> f32 {
    if render.x == 0 || display.x == 0 {
        return 0.0;
    }
    let bias = (render.x as f32 / display.x as f32).log2();
    if accumulates_history {
        bias - 1.0
    } else {
        bias
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_resolution_divides_and_rounds() {
        let display = UVec2::new(1920, 1080);
        assert_eq!(render_resolution(display, 1.0), display);
        assert_eq!(render_resolution(display, 1.5), UVec2::new(1280, 720));
        assert_eq!(render_resolution(display, 1.7), UVec2::new(1129, 635));
        assert_eq!(render_resolution(display, 2.0), UVec2::new(960, 540));
        assert_eq!(render_resolution(display, 3.0), UVec2::new(640, 360));
        assert_eq!(
            render_resolution(UVec2::new(161, 121), 2.0),
            UVec2::new(81, 61)
        );
    }

    #[test]
    fn render_resolution_is_never_zero_nor_above_display() {
        assert_eq!(render_resolution(UVec2::new(1, 1), 4.0), UVec2::new(1, 1));
        assert_eq!(render_resolution(UVec2::new(3, 2), 4.0), UVec2::new(1, 1));
        assert_eq!(
            render_resolution(UVec2::new(640, 480), 0.5),
            UVec2::new(640, 480)
        );
        assert_eq!(
            render_resolution(UVec2::new(640, 480), f32::NAN),
            UVec2::new(640, 480)
        );
        assert_eq!(
            render_resolution(UVec2::new(0, 480), 2.0),
            UVec2::new(0, 240)
        );
        for width in 1..200 {
            for ratio in [1.0, 1.3, 1.5, 1.7, 2.0, 3.0, 3.9, 4.0] {
                let render = render_resolution(UVec2::new(width, 7), ratio);
                assert!((1..=width).contains(&render.x), "{width} / {ratio}");
            }
        }
    }

    #[test]
    fn mip_bias_follows_the_ratio() {
        let display = UVec2::new(1920, 1080);
        assert_eq!(mip_bias(display, display, false), 0.0);
        assert_eq!(mip_bias(UVec2::new(960, 540), display, false), -1.0);
        assert_eq!(mip_bias(UVec2::new(960, 540), display, true), -2.0);
        assert_eq!(mip_bias(UVec2::new(480, 270), display, true), -3.0);
        let quality = mip_bias(UVec2::new(1280, 720), display, false);
        assert!((quality - (1.0_f32 / 1.5).log2()).abs() < 1e-6);
        assert_eq!(mip_bias(UVec2::ZERO, display, true), 0.0);
    }
}
