//! Bilinear and bicubic resampling of [`ImageF32`](crate::image::ImageF32) images to any size,
//! on the CPU ([`resample_cpu`]) and on the GPU ([`GpuResampler`]).
//!
//! Both implementations follow the definition below operation for operation (including the
//! order of additions), so they agree to within float rounding (the GPU may fuse multiply-adds).
//! The CPU one is the reference the GPU one is tested against.
//!
//! # The maths
//!
//! Each axis is handled the same way; shown here for x, with `in_w` source and `out_w` output
//! columns.
//!
//! **Pixel centres.** Pixel `i` covers `[i, i + 1)` and has its centre at `i + 0.5`. Output pixel
//! `x` therefore samples the source at
//!
//! ```text
//! sx = (x + 0.5) * in_w / out_w - 0.5
//! ```
//!
//! so at scale 1 every output pixel lands exactly on its source pixel. `sx` is split into
//! `base = floor(sx)` and `t = sx - base` in `[0, 1)`. Both are computed from integers, as
//! `n = (2x + 1) * in_w - out_w`, `d = 2 * out_w`, `base = floor(n / d)`,
//! `t = (n mod d) / d`, so `base` is exact and `t` is a single rounded division on every device.
//!
//! **Taps.** Four taps per axis at `base - 1, base, base + 1, base + 2`, with weights
//!
//! ```text
//! bilinear: [0, 1 - t, t, 0]
//! bicubic:  [W(1 + t), W(t), W(1 - t), W(2 - t)]
//! ```
//!
//! where `W` is the Keys cubic convolution kernel with `a = -0.5` ([`KEYS_A`]):
//!
//! ```text
//! W(x) = (a + 2)|x|^3 - (a + 3)|x|^2 + 1        for |x| <= 1
//!        a|x|^3 - 5a|x|^2 + 8a|x| - 4a          for 1 < |x| < 2
//!        0                                      otherwise
//! ```
//!
//! Bilinear uses the same four-tap layout with zero outer weights, so both filters share one
//! code path; a zero weight contributes exactly nothing.
//!
//! **Edges.** Tap coordinates are clamped into the image ("clamp to edge"), per axis, before
//! loading.
//!
//! **Combining.** The filter is separable: each of the four source rows `base_y - 1 ..= base_y + 2`
//! is first filtered horizontally, then the four row results are filtered vertically. Each 1D
//! step is written relative to the tap at `base` (`p_ref`):
//!
//! ```text
//! out = p_ref + w0 (p0 - p_ref) + w1 (p1 - p_ref) + w2 (p2 - p_ref) + w3 (p3 - p_ref)
//! ```
//!
//! which equals `sum(w_k p_k)` because the weights sum to 1, but in floating point reproduces a
//! constant image, and the input at scale 1, exactly (every difference is then zero).
//!
//! **No clamping of overshoot.** Bicubic weights are negative near `|x| = 1.5`, so results can
//! leave the range of the input (ringing at sharp edges). Values are returned as computed; clamp
//! afterwards if the consumer needs a bounded range.
//!
//! All four channels, alpha included, are filtered independently (no premultiplication).

mod cpu;
mod gpu;
mod weights;

pub use cpu::resample_cpu;
pub use gpu::{GpuResampleParams, GpuResampler, RESAMPLE_WGSL};
pub use weights::{KEYS_A, SourcePosition, keys_weight, source_position, tap_weights};

use crate::gpu::GpuError;

/// Which interpolation filter to resample with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResampleFilter {
    /// 2x2 linear interpolation (as four taps with zero outer weights).
    Bilinear,
    /// 4x4 Keys cubic convolution, `a = -0.5`.
    Bicubic,
}

impl ResampleFilter {
    /// The value of `ResampleParams.filter_id` in `shaders/resample.wgsl` selecting this filter.
    pub fn gpu_id(self) -> u32 {
        match self {
            Self::Bilinear => 0,
            Self::Bicubic => 1,
        }
    }
}

/// Why a resample request failed.
#[derive(Debug, thiserror::Error)]
pub enum ResampleError {
    /// The requested output size has a zero side.
    #[error("resample output size must be at least 1x1, got {width}x{height}")]
    EmptyOutput {
        /// Requested output width.
        width: u32,
        /// Requested output height.
        height: u32,
    },
    /// The shader's integer coordinate maths (`(2 * x + 1) * in` in `u32`) would overflow.
    #[error(
        "resampling {input} to {output} pixels along one axis overflows the shader's u32 maths"
    )]
    AxisTooLong {
        /// Source length on the offending axis.
        input: u32,
        /// Output length on the offending axis.
        output: u32,
    },
    /// The GPU path failed (no device, size above the device limit, wgpu validation error...).
    #[error(transparent)]
    Gpu(#[from] GpuError),
}
