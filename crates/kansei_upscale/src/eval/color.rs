//! The Y channel every SR paper's PSNR-Y and SSIM-Y are computed on: BT.601 luma exactly as
//! MATLAB's `rgb2ycbcr` computes it for colour images, the grey level itself for greyscale ones.

use super::{EvalError, Plane};
use crate::image::ImageF32;

/// Weights of R, G and B (each in `[0, 1]`) in MATLAB's `rgb2ycbcr` luma, giving Y on the
/// 0-255 scale: `Y = 16 + 65.481 R + 128.553 G + 24.966 B`.
pub const BT601_Y_WEIGHTS: [f64; 3] = [65.481, 128.553, 24.966];

/// Offset of MATLAB's `rgb2ycbcr` luma on the 0-255 scale (black is Y = 16, white Y = 235).
pub const BT601_Y_OFFSET: f64 = 16.0;

/// How an image's Y channel is formed, following the MATLAB scripts behind the published tables,
/// which convert colour images with `rgb2ycbcr` and use one-channel images as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Luma {
    /// A colour image: BT.601 luma ([`rgb_to_y`], 16 to 235), rounded to integers.
    Bt601,
    /// A greyscale image (Set14's `img_003` is one): the grey level itself, 0 to 255. Scoring
    /// such an image through BT.601 instead would shrink its range to 219 levels and raise its
    /// PSNR by `20 log10(255 / 219) = 1.32` dB (0.09 dB on the Set14 mean).
    Grey,
}

/// The sRGB transfer function's inverse (IEC 61966-2-1): an encoded value in `[0, 1]` to linear
/// light.
pub fn srgb_to_linear(v: f64) -> f64 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

/// The sRGB transfer function (IEC 61966-2-1): linear light in `[0, 1]` to its encoded value.
pub fn linear_to_srgb(v: f64) -> f64 {
    if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

/// Luma of one RGB colour with channels in `[0, 1]`, on the 0-255 scale, unrounded.
pub fn rgb_to_y([r, g, b]: [f64; 3]) -> f64 {
    let [wr, wg, wb] = BT601_Y_WEIGHTS;
    BT601_Y_OFFSET + wr * r + wg * g + wb * b
}

/// The Y channel of `image` on the 0-255 scale, as the MATLAB scripts see a `uint8` image:
///
/// - [`Luma::Bt601`]: [`rgb_to_y`] rounded to the nearest integer (halves away from zero), because
///   `rgb2ycbcr` of a `uint8` image returns `uint8`. The rounding matters: without it bicubic
///   scores 0.03 dB higher on Set5 x2, away from the published figure.
/// - [`Luma::Grey`]: the mean of R, G and B (equal for a loaded greyscale image) times 255,
///   rounded likewise.
///
/// Alpha is ignored.
pub fn y_plane(image: &ImageF32, luma: Luma) -> Result<Plane, EvalError> {
    let data = image
        .pixels()
        .iter()
        .map(|&[r, g, b, _]| {
            let rgb = [f64::from(r), f64::from(g), f64::from(b)];
            match luma {
                Luma::Bt601 => rgb_to_y(rgb).round(),
                Luma::Grey => ((rgb[0] + rgb[1] + rgb[2]) / 3.0 * 255.0).round(),
            }
        })
        .collect();
    Plane::new(image.width() as usize, image.height() as usize, data)
}

#[cfg(test)]
mod tests {
    #[test]
    fn srgb_transfer_functions_round_trip() {
        for v in [0.0, 0.002, 0.04, 0.2, 0.5, 1.0] {
            assert!((linear_to_srgb(srgb_to_linear(v)) - v).abs() < 1e-12, "{v}");
        }
        // Mid grey: sRGB 0.5 is 21.4% linear light.
        assert!((srgb_to_linear(0.5) - 0.214_041).abs() < 1e-6);
    }

    use super::*;

    #[test]
    fn grey_images_use_the_grey_level() -> Result<(), EvalError> {
        // Levels 0, 128 and 255 stay 0, 128 and 255 (BT.601 would give 16, 126 and 235).
        let image = ImageF32::from_fn(3, 1, |x, _| {
            let v = [0.0, 128.0, 255.0][x as usize] / 255.0;
            [v, v, v, 1.0]
        })?;
        assert_eq!(y_plane(&image, Luma::Grey)?.data(), [0.0, 128.0, 255.0]);
        assert_eq!(y_plane(&image, Luma::Bt601)?.data(), [16.0, 126.0, 235.0]);
        Ok(())
    }

    #[test]
    fn known_colours() {
        // Black and white are the BT.601 studio-swing limits 16 and 235.
        assert_eq!(rgb_to_y([0.0, 0.0, 0.0]), 16.0);
        assert!((rgb_to_y([1.0, 1.0, 1.0]) - 235.0).abs() < 1e-12);
        // Pure primaries add their weight to the offset.
        assert!((rgb_to_y([1.0, 0.0, 0.0]) - 81.481).abs() < 1e-12);
        assert!((rgb_to_y([0.0, 1.0, 0.0]) - 144.553).abs() < 1e-12);
        assert!((rgb_to_y([0.0, 0.0, 1.0]) - 40.966).abs() < 1e-12);
        // Mid grey 128/255: 16 + 219 * 128 / 255 = 125.9294...
        let grey = 128.0 / 255.0;
        assert!((rgb_to_y([grey; 3]) - (16.0 + 219.0 * 128.0 / 255.0)).abs() < 1e-12);
    }

    #[test]
    fn y_plane_rounds_like_matlab_uint8() -> Result<(), EvalError> {
        // Red 255 -> 81.481 -> 81; mid grey 128 -> 125.93 -> 126; the alpha channel is ignored.
        let image = ImageF32::new(
            2,
            1,
            vec![
                [1.0, 0.0, 0.0, 0.0],
                [128.0 / 255.0, 128.0 / 255.0, 128.0 / 255.0, 1.0],
            ],
        )?;
        assert_eq!(y_plane(&image, Luma::Bt601)?.data(), [81.0, 126.0]);
        Ok(())
    }
}
