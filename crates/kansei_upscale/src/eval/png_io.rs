//! PNG files to and from [`ImageF32`], and the 8-bit quantisation that saving implies.
//!
//! Loading accepts 8- and 16-bit grey, grey + alpha, RGB and RGBA (and palette images, which the
//! decoder expands): grey is copied to R, G and B, a missing alpha is 1, and every channel is
//! divided by its maximum (255 or 65535), so values lie in `[0, 1]`.
//!
//! Saving writes 8-bit RGB (alpha is dropped) with [`quantize_channel`]: clamp to `[0, 1]`,
//! then round half up to the nearest of the 256 levels.

use std::path::Path;

use ::image::{DynamicImage, ExtendedColorType, ImageFormat};

use super::{EvalError, Luma};
use crate::image::{ImageF32, Rgba};

/// Reads and decodes the PNG at `path` (see the [module docs](self) for the conversion).
pub fn load_png(path: &Path) -> Result<ImageF32, EvalError> {
    Ok(load_png_with_luma(path)?.0)
}

/// [`load_png`], and how the image's Y channel is to be formed: [`Luma::Grey`] for a grey or
/// grey + alpha file, [`Luma::Bt601`] for any other.
pub fn load_png_with_luma(path: &Path) -> Result<(ImageF32, Luma), EvalError> {
    let bytes = std::fs::read(path).map_err(|source| EvalError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    let decoded =
        ::image::load_from_memory_with_format(&bytes, ImageFormat::Png).map_err(|source| {
            EvalError::Decode {
                path: path.to_owned(),
                source,
            }
        })?;
    let luma = if decoded.color().has_color() {
        Luma::Bt601
    } else {
        Luma::Grey
    };
    Ok((to_image_f32(&decoded)?, luma))
}

/// Converts a decoded image to RGBA `f32` in `[0, 1]`, keeping 16-bit precision.
fn to_image_f32(decoded: &DynamicImage) -> Result<ImageF32, EvalError> {
    let (width, height) = (decoded.width(), decoded.height());
    let pixels: Vec<Rgba> = match decoded {
        DynamicImage::ImageLuma16(_)
        | DynamicImage::ImageLumaA16(_)
        | DynamicImage::ImageRgb16(_)
        | DynamicImage::ImageRgba16(_) => decoded
            .to_rgba16()
            .pixels()
            .map(|p| p.0.map(|c| f32::from(c) / 65535.0))
            .collect(),
        _ => decoded
            .to_rgba8()
            .pixels()
            .map(|p| p.0.map(|c| f32::from(c) / 255.0))
            .collect(),
    };
    Ok(ImageF32::new(width, height, pixels)?)
}

/// One channel value as an 8-bit level: `floor(clamp(v, 0, 1) * 255 + 0.5)`.
///
/// Round half up (which for non-negative values is also MATLAB's `uint8` rounding, half away
/// from zero). Out-of-range values, such as bicubic overshoot, saturate; NaN becomes 0.
pub fn quantize_channel(value: f32) -> u8 {
    // f64 so that `k / 255` stored as f32 maps back to exactly `k`.
    let scaled = (f64::from(value.clamp(0.0, 1.0)) * 255.0 + 0.5).floor();
    // In 0..=255 after the clamp; `as` maps NaN to 0.
    scaled as u8
}

/// `image` as it will be after saving and loading it as an 8-bit PNG: every colour channel
/// replaced by `quantize_channel(v) / 255`, alpha set to 1.
///
/// The values are bit-identical to what [`load_png`] returns for the file [`save_png_rgb8`]
/// writes, so metrics on the result equal metrics on the saved file.
pub fn quantize_rgb8(image: &ImageF32) -> Result<ImageF32, EvalError> {
    let pixels = image
        .pixels()
        .iter()
        .map(|&[r, g, b, _]| {
            let level = |c: f32| f32::from(quantize_channel(c)) / 255.0;
            [level(r), level(g), level(b), 1.0]
        })
        .collect();
    Ok(ImageF32::new(image.width(), image.height(), pixels)?)
}

/// Writes `image` to `path` as an 8-bit RGB PNG, quantised with [`quantize_channel`].
pub fn save_png_rgb8(image: &ImageF32, path: &Path) -> Result<(), EvalError> {
    let bytes: Vec<u8> = image
        .pixels()
        .iter()
        .flat_map(|p| p[..3].iter().map(|&c| quantize_channel(c)))
        .collect();
    ::image::save_buffer_with_format(
        path,
        &bytes,
        image.width(),
        image.height(),
        ExtendedColorType::Rgb8,
        ImageFormat::Png,
    )
    .map_err(|source| EvalError::Encode {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::image::{GrayImage, ImageBuffer, Rgb};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn quantisation_rounds_half_up_and_clamps() {
        assert_eq!(quantize_channel(0.0), 0);
        assert_eq!(quantize_channel(1.0), 255);
        // Exactly half a level (0.5 * 255 = 127.5, exact in binary) rounds up; below rounds down.
        assert_eq!(quantize_channel(0.5), 128);
        assert_eq!(quantize_channel(0.49 / 255.0), 0);
        assert_eq!(quantize_channel(0.51 / 255.0), 1);
        assert_eq!(quantize_channel(-0.2), 0);
        assert_eq!(quantize_channel(1.3), 255);
        assert_eq!(quantize_channel(f32::NAN), 0);
        for k in 0..=255_u8 {
            assert_eq!(quantize_channel(f32::from(k) / 255.0), k);
        }
    }

    #[test]
    fn save_then_load_equals_quantize() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("out.png");
        let image = ImageF32::from_fn(7, 5, |x, y| {
            [
                x as f32 / 6.0,
                y as f32 * 0.3 - 0.1,
                1.1 - x as f32 * 0.01,
                0.5,
            ]
        })?;
        save_png_rgb8(&image, &path)?;
        assert_eq!(load_png(&path)?, quantize_rgb8(&image)?);
        Ok(())
    }

    #[test]
    fn grey_and_sixteen_bit_pngs_load_as_rgba() -> TestResult {
        let dir = tempfile::tempdir()?;
        let grey_path = dir.path().join("grey.png");
        GrayImage::from_raw(2, 1, vec![0, 51])
            .ok_or("bad buffer")?
            .save(&grey_path)?;
        let (grey, luma) = load_png_with_luma(&grey_path)?;
        assert_eq!(grey.pixels(), [[0.0, 0.0, 0.0, 1.0], [0.2, 0.2, 0.2, 1.0]]);
        assert_eq!(luma, Luma::Grey);

        let deep_path = dir.path().join("deep.png");
        let deep: ImageBuffer<Rgb<u16>, Vec<u16>> =
            ImageBuffer::from_raw(1, 1, vec![65535, 0, 257]).ok_or("bad buffer")?;
        deep.save(&deep_path)?;
        assert_eq!(
            load_png(&deep_path)?.pixels(),
            [[1.0, 0.0, 257.0 / 65535.0, 1.0]]
        );
        assert_eq!(load_png_with_luma(&deep_path)?.1, Luma::Bt601);

        let grey16_path = dir.path().join("grey16.png");
        let grey16: ImageBuffer<::image::Luma<u16>, Vec<u16>> =
            ImageBuffer::from_raw(1, 1, vec![32768]).ok_or("bad buffer")?;
        grey16.save(&grey16_path)?;
        let v = 32768.0 / 65535.0;
        assert_eq!(load_png(&grey16_path)?.pixels(), [[v, v, v, 1.0]]);
        Ok(())
    }

    #[test]
    fn missing_and_corrupt_files_name_the_path() -> TestResult {
        let dir = tempfile::tempdir()?;
        let missing = dir.path().join("absent.png");
        let err = load_png(&missing).err().ok_or("loaded a missing file")?;
        assert!(matches!(err, EvalError::ReadFile { .. }));
        assert!(err.to_string().contains("absent.png"));

        let corrupt = dir.path().join("corrupt.png");
        std::fs::write(&corrupt, b"\x89PNG\r\n\x1a\nnot really")?;
        let err = load_png(&corrupt).err().ok_or("decoded garbage")?;
        assert!(matches!(err, EvalError::Decode { .. }));
        assert!(err.to_string().starts_with("cannot decode PNG `"));
        assert!(err.to_string().contains("corrupt.png"));
        Ok(())
    }
}
