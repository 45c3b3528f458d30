//! [`Plane`]: one channel of an image as `f64`, the form the metrics work on.

use super::EvalError;

/// A single-channel `f64` image, row-major, top row first.
///
/// Metrics run in `f64` so that sums over hundreds of thousands of pixels do not lose the
/// precision the reference MATLAB code (which works in `double`) keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Plane {
    width: usize,
    height: usize,
    data: Vec<f64>,
}

impl Plane {
    /// Wraps `data` (row-major, `width * height` long) as a plane.
    pub fn new(width: usize, height: usize, data: Vec<f64>) -> Result<Self, EvalError> {
        if data.len() != width * height || width == 0 || height == 0 {
            return Err(EvalError::SizeMismatch {
                a: [to_u32(width), to_u32(height)],
                b: [to_u32(data.len()), 1],
            });
        }
        Ok(Self {
            width,
            height,
            data,
        })
    }

    /// A plane whose value at column `x`, row `y` is `f(x, y)`.
    pub fn from_fn(
        width: usize,
        height: usize,
        mut f: impl FnMut(usize, usize) -> f64,
    ) -> Result<Self, EvalError> {
        let mut data = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                data.push(f(x, y));
            }
        }
        Self::new(width, height, data)
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// All values, row-major.
    pub fn data(&self) -> &[f64] {
        &self.data
    }

    /// `[width, height]` as `u32`, for error messages.
    pub fn size(&self) -> [u32; 2] {
        [to_u32(self.width), to_u32(self.height)]
    }
}

/// Saturating `usize` → `u32` for sizes in messages (planes come from `u32`-sized images).
fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}
