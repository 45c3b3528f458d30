//! PSNR and SSIM under the standard SR protocol, and the cropping that protocol prescribes.
//!
//! [`score`] is the protocol in one call:
//!
//! 1. The SR output is quantised to 8 bits per channel ([`quantize_rgb8`]), exactly as saving it
//!    as a PNG would, so scores computed in memory equal those of the saved image.
//! 2. The HR image is cropped to a multiple of the scale (MATLAB `modcrop`, keeping the top-left
//!    corner) and the SR output to the same size.
//! 3. `scale` pixels are shaved from each border of both (some published methods do not predict
//!    the border, so every method is scored without it).
//! 4. PSNR-Y and SSIM-Y on the Y channel ([`y_plane`]: BT.601 luma of colour images, the grey
//!    level of greyscale ones), PSNR-RGB on all three colour channels, all on the 0-255 scale
//!    with peak 255.

use super::{EvalError, Luma, Plane, Scale, quantize_rgb8, ssim, y_plane};
use crate::image::ImageF32;

/// Peak value of 8-bit data, the numerator of every PSNR here.
pub const PSNR_PEAK: f64 = 255.0;

/// The three scores the protocol reports for one image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// PSNR of the Y channel, dB (`f64::INFINITY` for identical images).
    pub psnr_y: f64,
    /// Mean SSIM of the Y channel, at most 1.
    pub ssim_y: f64,
    /// PSNR over R, G and B together, dB (`f64::INFINITY` for identical images).
    pub psnr_rgb: f64,
}

/// PSNR in dB for a mean squared error `mse` on the 0-255 scale: `10 log10(255² / mse)`.
///
/// Identical images (`mse == 0`) give `f64::INFINITY`: it is the exact limit, compares greater
/// than every finite score, and a mean over a set that contains it is infinite too, which is
/// the honest summary. Callers that print it show `inf`; JSON has no infinity, so the command
/// line writes `null` there.
pub fn psnr_from_mse(mse: f64) -> f64 {
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (PSNR_PEAK * PSNR_PEAK / mse).log10()
    }
}

/// Mean squared difference of two equally sized planes.
pub fn mse(a: &Plane, b: &Plane) -> Result<f64, EvalError> {
    if a.size() != b.size() {
        return Err(EvalError::SizeMismatch {
            a: a.size(),
            b: b.size(),
        });
    }
    let sum: f64 = a
        .data()
        .iter()
        .zip(b.data())
        .map(|(p, q)| (p - q) * (p - q))
        .sum();
    Ok(sum / a.data().len() as f64)
}

/// PSNR of the Y channels ([`y_plane`]) of two equally sized images, as given (no cropping).
pub fn psnr_y(sr: &ImageF32, hr: &ImageF32, luma: Luma) -> Result<f64, EvalError> {
    Ok(psnr_from_mse(mse(
        &y_plane(sr, luma)?,
        &y_plane(hr, luma)?,
    )?))
}

/// SSIM of the Y channels ([`y_plane`]) of two equally sized images, as given (no cropping).
pub fn ssim_y(sr: &ImageF32, hr: &ImageF32, luma: Luma) -> Result<f64, EvalError> {
    ssim(&y_plane(sr, luma)?, &y_plane(hr, luma)?)
}

/// PSNR over the R, G and B channels of two equally sized images, values scaled to 0-255.
pub fn psnr_rgb(sr: &ImageF32, hr: &ImageF32) -> Result<f64, EvalError> {
    let rgb_255 = |image: &ImageF32| -> Result<Plane, EvalError> {
        let data = image
            .pixels()
            .iter()
            .flat_map(|p| p[..3].iter().map(|&c| f64::from(c) * PSNR_PEAK))
            .collect();
        Plane::new(image.width() as usize * 3, image.height() as usize, data)
    };
    Ok(psnr_from_mse(mse(&rgb_255(sr)?, &rgb_255(hr)?)?))
}

/// The region both images are scored on: `(sr, hr)` cropped as in steps 2 and 3 of the
/// [module docs](self).
///
/// Fails if the SR output is smaller than the cropped HR image, or if nothing is left after
/// shaving.
pub fn crop_for_scoring(
    sr: &ImageF32,
    hr: &ImageF32,
    scale: Scale,
) -> Result<(ImageF32, ImageF32), EvalError> {
    let s = scale.get();
    let (width, height) = (hr.width() / s * s, hr.height() / s * s);
    if sr.width() < width || sr.height() < height {
        return Err(EvalError::SizeMismatch {
            a: [sr.width(), sr.height()],
            b: [width, height],
        });
    }
    let min = 2 * s + 1;
    if width < min || height < min {
        return Err(EvalError::TooSmall {
            what: "shaving the border",
            min,
            width: hr.width(),
            height: hr.height(),
        });
    }
    let region = [s, s, width - 2 * s, height - 2 * s];
    Ok((crop(sr, region)?, crop(hr, region)?))
}

/// The `[x, y, width, height]` rectangle of `image`; it must lie inside the image.
pub fn crop(image: &ImageF32, [x0, y0, width, height]: [u32; 4]) -> Result<ImageF32, EvalError> {
    if x0 + width > image.width() || y0 + height > image.height() {
        return Err(EvalError::SizeMismatch {
            a: [image.width(), image.height()],
            b: [x0 + width, y0 + height],
        });
    }
    let stride = image.width() as usize;
    let pixels = image.pixels();
    Ok(ImageF32::from_fn(width, height, |x, y| {
        pixels[(y0 + y) as usize * stride + (x0 + x) as usize]
    })?)
}

/// Scores an SR output against a colour HR image with the full protocol of the
/// [module docs](self), quantisation of `sr` to 8 bits included: [`score_with_luma`] with
/// [`Luma::Bt601`]. Use [`score_with_luma`] with [`Sample::luma`](super::Sample::luma) when the
/// HR image may be greyscale.
pub fn score(sr: &ImageF32, hr: &ImageF32, scale: Scale) -> Result<Scores, EvalError> {
    score_with_luma(sr, hr, scale, Luma::Bt601)
}

/// [`score`], with `luma` saying how Y is formed ([`Luma::Grey`] for a greyscale HR file).
pub fn score_with_luma(
    sr: &ImageF32,
    hr: &ImageF32,
    scale: Scale,
    luma: Luma,
) -> Result<Scores, EvalError> {
    let sr = quantize_rgb8(sr)?;
    let (sr, hr) = crop_for_scoring(&sr, hr, scale)?;
    Ok(Scores {
        psnr_y: psnr_y(&sr, &hr, luma)?,
        ssim_y: ssim_y(&sr, &hr, luma)?,
        psnr_rgb: psnr_rgb(&sr, &hr)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn psnr_of_a_known_error() {
        // MSE 1 on the 0-255 scale: 20 log10(255) = 48.1308... dB.
        assert!((psnr_from_mse(1.0) - 48.130_803_608_679_1).abs() < 1e-9);
        // MSE 255² is 0 dB; every factor 10 in MSE costs 10 dB.
        assert_eq!(psnr_from_mse(255.0 * 255.0), 0.0);
        assert!((psnr_from_mse(10.0) - (psnr_from_mse(1.0) - 10.0)).abs() < 1e-12);
    }

    #[test]
    fn identical_images_have_infinite_psnr() -> TestResult {
        let image = ImageF32::from_fn(4, 3, |x, y| [x as f32 / 4.0, y as f32 / 3.0, 0.5, 1.0])?;
        assert_eq!(psnr_rgb(&image, &image)?, f64::INFINITY);
        assert_eq!(psnr_y(&image, &image, Luma::Bt601)?, f64::INFINITY);
        assert_eq!(psnr_from_mse(0.0), f64::INFINITY);
        Ok(())
    }

    #[test]
    fn rgb_psnr_of_a_uniform_offset() -> TestResult {
        // Every channel off by 5 levels: MSE 25, PSNR = 20 log10(255 / 5) = 34.1514 dB.
        let hr = ImageF32::filled(6, 5, [100.0 / 255.0, 50.0 / 255.0, 200.0 / 255.0, 1.0])?;
        let sr = ImageF32::filled(6, 5, [105.0 / 255.0, 45.0 / 255.0, 205.0 / 255.0, 1.0])?;
        let expected = 20.0 * (255.0_f64 / 5.0).log10();
        assert!((psnr_rgb(&sr, &hr)? - expected).abs() < 1e-4);
        Ok(())
    }

    #[test]
    fn y_psnr_of_a_grey_offset() -> TestResult {
        // Grey k maps to Y = 16 + 219 k / 255: grey 0 -> 16, grey 255 -> 235, so on a half-black,
        // half-white pair the Y error is 219 on half the pixels: MSE 219² / 2.
        let hr = ImageF32::from_fn(4, 2, |x, _| [if x < 2 { 0.0 } else { 1.0 }; 4])?;
        let sr = ImageF32::filled(4, 2, [0.0, 0.0, 0.0, 1.0])?;
        let expected = 10.0 * (255.0_f64 * 255.0 / (219.0 * 219.0 / 2.0)).log10();
        assert!((psnr_y(&sr, &hr, Luma::Bt601)? - expected).abs() < 1e-12);
        // Scored as a greyscale image the error is the full 255 levels: exactly 3.0103 dB.
        let grey = 10.0 * (2.0_f64).log10();
        assert!((psnr_y(&sr, &hr, Luma::Grey)? - grey).abs() < 1e-12);
        Ok(())
    }

    #[test]
    fn crop_keeps_top_left_multiple_and_shaves_scale_pixels() -> TestResult {
        // HR 14x11 at scale 3 -> modcrop 12x9 -> shave 3 -> 6x3 starting at (3, 3).
        let hr = ImageF32::from_fn(14, 11, |x, y| [x as f32, y as f32, 0.0, 1.0])?;
        let sr = ImageF32::from_fn(12, 9, |x, y| [x as f32, y as f32, 1.0, 1.0])?;
        let (sr_c, hr_c) = crop_for_scoring(&sr, &hr, Scale::new(3)?)?;
        assert_eq!((hr_c.width(), hr_c.height()), (6, 3));
        assert_eq!((sr_c.width(), sr_c.height()), (6, 3));
        assert_eq!(hr_c.get(0, 0), Some([3.0, 3.0, 0.0, 1.0]));
        assert_eq!(hr_c.get(5, 2), Some([8.0, 5.0, 0.0, 1.0]));
        assert_eq!(sr_c.get(0, 0), Some([3.0, 3.0, 1.0, 1.0]));
        Ok(())
    }

    #[test]
    fn crop_rejects_a_small_sr_or_an_all_border_image() -> TestResult {
        let hr = ImageF32::filled(8, 8, [0.0; 4])?;
        let sr = ImageF32::filled(8, 7, [0.0; 4])?;
        assert!(matches!(
            crop_for_scoring(&sr, &hr, Scale::new(2)?),
            Err(EvalError::SizeMismatch { .. })
        ));
        let tiny = ImageF32::filled(4, 8, [0.0; 4])?;
        assert!(matches!(
            crop_for_scoring(&tiny, &tiny, Scale::new(2)?),
            Err(EvalError::TooSmall { .. })
        ));
        Ok(())
    }

    #[test]
    fn score_quantises_the_sr_output_first() -> TestResult {
        // An SR error of 0.4 levels rounds away: the quantised output equals the HR image.
        let hr = ImageF32::from_fn(24, 24, |x, y| {
            let v = ((x * 7 + y * 13) % 256) as f32 / 255.0;
            [v, v, v, 1.0]
        })?;
        let sr = ImageF32::from_fn(24, 24, |x, y| {
            let v = ((x * 7 + y * 13) % 256) as f32 / 255.0 + 0.4 / 255.0;
            [v, v, v, 0.3]
        })?;
        let scores = score(&sr, &hr, Scale::new(2)?)?;
        assert_eq!(scores.psnr_y, f64::INFINITY);
        assert_eq!(scores.psnr_rgb, f64::INFINITY);
        assert!((scores.ssim_y - 1.0).abs() < 1e-12);
        Ok(())
    }
}
