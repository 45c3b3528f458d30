//! [`ImageF32`]: the CPU-side RGBA `f32` image every resampler and upscaler in this crate reads
//! and writes.
//!
//! Pixels are stored row-major, top row first, one `[r, g, b, a]` per pixel, which is also the
//! byte layout of an `rgba32float` texture row, so uploads and read-backs are plain casts.

/// One RGBA pixel, channels in `r, g, b, a` order.
pub type Rgba = [f32; 4];

/// Why an [`ImageF32`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Width or height was zero; an image always has at least one pixel.
    #[error("image size must be at least 1x1, got {width}x{height}")]
    Empty {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// `width * height` does not fit in `usize`.
    #[error("image size {width}x{height} overflows the address space")]
    TooLarge {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// The pixel buffer length does not match `width * height`.
    #[error("image {width}x{height} needs {expected} pixels, got {actual}")]
    LengthMismatch {
        /// Image width.
        width: u32,
        /// Image height.
        height: u32,
        /// `width * height`.
        expected: usize,
        /// Length of the buffer that was passed in.
        actual: usize,
    },
}

/// A non-empty RGBA image with `f32` channels, stored row-major (top row first).
///
/// The fields are private so that `pixels.len() == width * height` and `width, height >= 1`
/// always hold; every consumer can index without re-checking.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageF32 {
    width: u32,
    height: u32,
    pixels: Vec<Rgba>,
}

impl ImageF32 {
    /// Wraps `pixels` (row-major, `width * height` long) as an image.
    pub fn new(width: u32, height: u32, pixels: Vec<Rgba>) -> Result<Self, ImageError> {
        let expected = pixel_count(width, height)?;
        if pixels.len() != expected {
            return Err(ImageError::LengthMismatch {
                width,
                height,
                expected,
                actual: pixels.len(),
            });
        }
        Ok(Self {
            width,
            height,
            pixels,
        })
    }

    /// An image with every pixel set to `value`.
    pub fn filled(width: u32, height: u32, value: Rgba) -> Result<Self, ImageError> {
        let count = pixel_count(width, height)?;
        Ok(Self {
            width,
            height,
            pixels: vec![value; count],
        })
    }

    /// An image whose pixel at column `x`, row `y` is `f(x, y)`.
    pub fn from_fn(
        width: u32,
        height: u32,
        mut f: impl FnMut(u32, u32) -> Rgba,
    ) -> Result<Self, ImageError> {
        let count = pixel_count(width, height)?;
        let mut pixels = Vec::with_capacity(count);
        for y in 0..height {
            for x in 0..width {
                pixels.push(f(x, y));
            }
        }
        Ok(Self {
            width,
            height,
            pixels,
        })
    }

    /// Width in pixels (at least 1).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels (at least 1).
    pub fn height(&self) -> u32 {
        self.height
    }

    /// All pixels, row-major, top row first.
    pub fn pixels(&self) -> &[Rgba] {
        &self.pixels
    }

    /// Consumes the image and returns its row-major pixel buffer.
    pub fn into_pixels(self) -> Vec<Rgba> {
        self.pixels
    }

    /// The pixel at column `x`, row `y`, or `None` outside the image.
    pub fn get(&self, x: u32, y: u32) -> Option<Rgba> {
        if x < self.width && y < self.height {
            self.pixels.get(self.index(x, y)).copied()
        } else {
            None
        }
    }

    /// The pixel at (`x`, `y`) with both coordinates clamped into the image ("clamp to edge").
    ///
    /// Signed so that filters can ask for taps left of or above the image directly.
    pub fn get_clamped(&self, x: i64, y: i64) -> Rgba {
        // Both casts are lossless: the clamped values lie in `0..width` / `0..height`.
        let cx = x.clamp(0, i64::from(self.width) - 1) as u32;
        let cy = y.clamp(0, i64::from(self.height) - 1) as u32;
        self.pixels[self.index(cx, cy)]
    }

    /// Largest absolute per-channel difference to `other`, or `None` when the sizes differ.
    pub fn max_abs_diff(&self, other: &Self) -> Option<f32> {
        if self.width != other.width || self.height != other.height {
            return None;
        }
        let diff = self
            .pixels
            .iter()
            .zip(&other.pixels)
            .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs()))
            .fold(0.0_f32, f32::max);
        Some(diff)
    }

    fn index(&self, x: u32, y: u32) -> usize {
        y as usize * self.width as usize + x as usize
    }
}

/// `width * height`, rejecting empty and overflowing sizes.
fn pixel_count(width: u32, height: u32) -> Result<usize, ImageError> {
    if width == 0 || height == 0 {
        return Err(ImageError::Empty { width, height });
    }
    (width as usize)
        .checked_mul(height as usize)
        .ok_or(ImageError::TooLarge { width, height })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_checks_length_and_size() {
        assert_eq!(
            ImageF32::new(2, 2, vec![[0.0; 4]; 3]),
            Err(ImageError::LengthMismatch {
                width: 2,
                height: 2,
                expected: 4,
                actual: 3
            })
        );
        assert_eq!(
            ImageF32::new(0, 3, Vec::new()),
            Err(ImageError::Empty {
                width: 0,
                height: 3
            })
        );
        assert!(ImageF32::new(1, 1, vec![[1.0; 4]]).is_ok());
    }

    #[test]
    fn from_fn_is_row_major() -> Result<(), ImageError> {
        let image = ImageF32::from_fn(3, 2, |x, y| [x as f32, y as f32, 0.0, 1.0])?;
        assert_eq!(image.pixels()[4], [1.0, 1.0, 0.0, 1.0]);
        assert_eq!(image.get(2, 1), Some([2.0, 1.0, 0.0, 1.0]));
        assert_eq!(image.get(3, 0), None);
        Ok(())
    }

    #[test]
    fn get_clamped_clamps_to_edge() -> Result<(), ImageError> {
        let image = ImageF32::from_fn(3, 2, |x, y| [x as f32, y as f32, 0.0, 1.0])?;
        assert_eq!(image.get_clamped(-5, -1), [0.0, 0.0, 0.0, 1.0]);
        assert_eq!(image.get_clamped(7, 9), [2.0, 1.0, 0.0, 1.0]);
        Ok(())
    }
}
