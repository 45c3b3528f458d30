//! The uniform blocks of `shaders/easu.wgsl` and `shaders/rcas.wgsl`, and the size and
//! sharpness checks both GPU passes rely on.

use bytemuck::{Pod, Zeroable};

use super::{SpatialError, rcas_amount};

/// What one EASU → RCAS run does: the sizes and the sharpening strength.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpatialUpscaleParams {
    /// Source `[width, height]`; must equal the source texture's size.
    pub in_size: [u32; 2],
    /// Output `[width, height]`; must equal the intermediate and destination textures' size.
    pub out_size: [u32; 2],
    /// RCAS sharpness in stops: `0.0` is the strongest, `f32::INFINITY` turns RCAS into a copy
    /// (see [`rcas_amount`]).
    pub sharpness: f32,
}

impl SpatialUpscaleParams {
    /// Checks everything the shaders rely on and returns their two uniform blocks.
    pub fn to_gpu(&self) -> Result<(GpuEasuParams, GpuRcasParams), SpatialError> {
        let easu = GpuEasuParams {
            in_size: self.in_size,
            out_size: self.out_size,
        };
        easu.validate()?;
        let rcas = GpuRcasParams::new(self.out_size, self.sharpness)?;
        Ok((easu, rcas))
    }
}

/// Uniform block of `easu.wgsl`. Mirrors, field for field:
///
/// ```wgsl
/// struct EasuParams {
///     in_size: vec2<u32>,
///     out_size: vec2<u32>,
/// }
/// ```
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
pub struct GpuEasuParams {
    /// Source `[width, height]`; must equal the bound source texture's size.
    pub in_size: [u32; 2],
    /// Output `[width, height]`; must equal the bound destination texture's size.
    pub out_size: [u32; 2],
}

const _: () = assert!(size_of::<GpuEasuParams>() == 16);

impl GpuEasuParams {
    /// Checks what the shader relies on: a non-empty output and no `u32` overflow in its
    /// coordinate maths (the same as the resampler's).
    pub fn validate(&self) -> Result<(), SpatialError> {
        let [out_w, out_h] = self.out_size;
        if out_w == 0 || out_h == 0 {
            return Err(SpatialError::EmptyOutput {
                width: out_w,
                height: out_h,
            });
        }
        for (input, output) in self.in_size.into_iter().zip(self.out_size) {
            // The largest product the shader forms is (2 * (output - 1) + 1) * input.
            let largest = (2 * u64::from(output) - 1) * u64::from(input);
            if largest > u64::from(u32::MAX) {
                return Err(SpatialError::AxisTooLong { input, output });
            }
        }
        Ok(())
    }
}

/// Uniform block of `rcas.wgsl`. Mirrors, field for field:
///
/// ```wgsl
/// struct RcasParams {
///     size: vec2<u32>,
///     amount: f32,
///     _pad0: u32,
/// }
/// ```
///
/// Padded to 16 bytes so the uniform's size is a multiple of 16 on every backend.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct GpuRcasParams {
    /// Image `[width, height]` (input and output are the same size).
    pub size: [u32; 2],
    /// The starting unsharp-mask amount, [`rcas_amount`] of the sharpness; computed here, not
    /// in the shader, so CPU and GPU start from the same `f32`.
    pub amount: f32,
    pad: u32,
}

const _: () = assert!(size_of::<GpuRcasParams>() == 16);

impl GpuRcasParams {
    /// Parameters for sharpening a `size` image at `sharpness` stops.
    pub fn new(size: [u32; 2], sharpness: f32) -> Result<Self, SpatialError> {
        let [width, height] = size;
        if width == 0 || height == 0 {
            return Err(SpatialError::EmptyOutput { width, height });
        }
        Ok(Self {
            size,
            amount: rcas_amount(sharpness)?,
            pad: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_validation() {
        let ok = SpatialUpscaleParams {
            in_size: [97, 61],
            out_size: [291, 183],
            sharpness: 0.2,
        };
        assert!(ok.to_gpu().is_ok());
        let empty = SpatialUpscaleParams {
            out_size: [0, 183],
            ..ok
        };
        assert!(matches!(
            empty.to_gpu(),
            Err(SpatialError::EmptyOutput { .. })
        ));
        let huge = SpatialUpscaleParams {
            in_size: [70_000, 1],
            out_size: [70_000, 1],
            ..ok
        };
        assert!(matches!(
            huge.to_gpu(),
            Err(SpatialError::AxisTooLong { .. })
        ));
        let blunt = SpatialUpscaleParams {
            sharpness: -1.0,
            ..ok
        };
        assert!(matches!(
            blunt.to_gpu(),
            Err(SpatialError::InvalidSharpness { .. })
        ));
    }
}
