//! Nearest, bilinear, bicubic and Lanczos3 resampling of [`ImageF32`](crate::image::ImageF32)
//! images to any size, on the CPU ([`resample_cpu`]) and on the GPU ([`GpuResampler`]).
//!
//! Both implementations follow the definition below operation for operation (including the
//! order of additions), so they agree to within float rounding (the GPU may fuse multiply-adds).
//! The CPU one is the reference the GPU one is tested against.
//!
//! These are the classical baselines for upscaling. Downscaling works with the same formulas but
//! without any antialiasing (the kernels are not widened by the scale factor), so a downscale
//! aliases; nothing in Kansei needs an antialiased downscale here.
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
//! **Nearest.** Output pixel `x` is a copy of source pixel
//! `floor((x + 0.5) * in_w / out_w) = floor((2x + 1) * in_w / (2 * out_w))`, clamped to
//! `in_w - 1` ([`nearest_index`]); computed in integers, so the choice and the values are exact.
//! (This is `floor(sx + 0.5)`: a sample exactly half way between two centres takes the right one.)
//!
//! **Taps.** The weighted filters read taps at offsets `-2 ..= 3` from `base` (six weight slots,
//! [`TAP_SLOTS`]); bilinear and bicubic only use `-1 ..= 2`. The weights, slot by slot, are
//!
//! ```text
//! bilinear: [0, 0, 1 - t, t, 0, 0]
//! bicubic:  [0, K(1 + t), K(t), K(1 - t), K(2 - t), 0]
//! lanczos3: [L(t + 2), L(t + 1), L(t), L(t - 1), L(t - 2), L(t - 3)] / (sum of the six)
//! ```
//!
//! where `K` is the Keys cubic convolution kernel with `a = -0.5` ([`KEYS_A`]):
//!
//! ```text
//! K(x) = (a + 2)|x|^3 - (a + 3)|x|^2 + 1        for |x| <= 1
//!        a|x|^3 - 5a|x|^2 + 8a|x| - 4a          for 1 < |x| < 2
//!        0                                      otherwise
//! ```
//!
//! and `L` the Lanczos kernel with `a = 3` (a sinc windowed by a three times wider sinc):
//!
//! ```text
//! L(x) = sinc(x) sinc(x / 3) = 3 sin(pi x) sin(pi x / 3) / (pi^2 x^2)   for 0 < |x| < 3
//!        1                                                               for x = 0
//!        0                                                               otherwise
//! ```
//!
//! `L` is 1 at 0 and exactly 0 at every other integer, but its six samples only sum to about 1,
//! so the Lanczos3 weights are divided by their sum. `sin(pi x)` is evaluated by [`sin_pi`], a
//! written-out polynomial, rather than the platform `sin`, so the GPU computes the same weights.
//!
//! A zero weight contributes exactly nothing, so bilinear and bicubic share the six-slot layout
//! with Lanczos3; the implementations only visit the slots a filter uses
//! ([`ResampleFilter::tap_slots`]).
//!
//! **Edges.** Tap coordinates are clamped into the image ("clamp to edge"), per axis, before
//! loading.
//!
//! **Combining.** The weighted filters are separable: each source row used
//! (`base_y - 2 ..= base_y + 3` for Lanczos3, `base_y - 1 ..= base_y + 2` otherwise) is first
//! filtered horizontally, then the row results are filtered vertically. Each 1D step is written
//! relative to the tap at `base` (`p_ref`), slots ascending:
//!
//! ```text
//! out = p_ref + w0 (p0 - p_ref) + w1 (p1 - p_ref) + ... + w5 (p5 - p_ref)
//! ```
//!
//! which equals `sum(w_k p_k)` because the weights sum to 1, but in floating point reproduces a
//! constant image, and the input at scale 1, exactly (every difference is then zero).
//!
//! **No clamping of overshoot.** Bicubic and Lanczos3 weights are negative in places, so results
//! can leave the range of the input (ringing at sharp edges). Values are returned as computed;
//! clamp afterwards if the consumer needs a bounded range.
//!
//! All four channels, alpha included, are filtered independently (no premultiplication).

mod cpu;
mod gpu;
mod weights;

pub use cpu::resample_cpu;
pub use gpu::{GpuResampleParams, GpuResampler, RESAMPLE_WGSL};
pub use weights::{
    BASE_SLOT, KEYS_A, SourcePosition, TAP_SLOTS, keys_weight, lanczos3_weight, nearest_index,
    sin_pi, source_position, tap_weights,
};

use crate::gpu::GpuError;

/// Which interpolation filter to resample with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResampleFilter {
    /// Copy of the source pixel whose area contains the sample point; exact values.
    Nearest,
    /// 2x2 linear interpolation (as four taps with zero outer weights).
    Bilinear,
    /// 4x4 Keys cubic convolution, `a = -0.5`.
    Bicubic,
    /// 6x6 Lanczos (windowed sinc, `a = 3`), weights normalised to sum to 1.
    Lanczos3,
}

impl ResampleFilter {
    /// Every filter, in the order of [`ResampleFilter::gpu_id`].
    pub const ALL: [Self; 4] = [Self::Bilinear, Self::Bicubic, Self::Nearest, Self::Lanczos3];

    /// The value of `ResampleParams.filter_id` in `shaders/resample.wgsl` selecting this filter.
    pub fn gpu_id(self) -> u32 {
        match self {
            Self::Bilinear => 0,
            Self::Bicubic => 1,
            Self::Nearest => 2,
            Self::Lanczos3 => 3,
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
