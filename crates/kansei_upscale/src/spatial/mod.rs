//! An edge-adaptive spatial upscaler with contrast-adaptive sharpening: this crate's own
//! implementation of the ideas AMD published for FSR 1 (`FidelityFX` Super Resolution 1), on the
//! CPU ([`spatial_upscale_cpu`], [`easu_cpu`], [`rcas_cpu`]) and on the GPU
//! ([`GpuSpatialUpscaler`], `shaders/easu.wgsl` and `shaders/rcas.wgsl`).
//!
//! It is written from FSR 1's public description, not from AMD's source, and is not
//! bit-compatible with it; the differences are listed [below](#how-this-follows-and-departs-from-fsr-1).
//! Like FSR 1 it runs two passes, both at output resolution:
//!
//! 1. **EASU** (edge-adaptive spatial upsampling): a 12-tap Lanczos-like filter whose kernel is
//!    stretched along the local edge direction, then clamped to the 4 nearest texels.
//! 2. **RCAS** (robust contrast-adaptive sharpening): a 5-tap unsharp mask whose strength is
//!    limited per pixel so the result never leaves the local min/max.
//!
//! The GPU shaders follow the CPU reference operation for operation; they agree to float
//! rounding (the GPU may fuse multiply-adds and its `sqrt` and division are not always correctly
//! rounded), checked to `1e-4` in `tests/gpu_spatial.rs`.
//!
//! # EASU
//!
//! **Position.** Output pixel `(x, y)` samples the source at `(base_x + tx, base_y + ty)`, with
//! the same pixel-centre convention and integer maths as the [resamplers](crate::resample)
//! ([`source_position`](crate::resample::source_position)); `tx, ty` are in `[0, 1)`.
//!
//! **Footprint.** Twelve taps: the 4x4 block at offsets `-1 ..= 2` from `base`, minus its four
//! corners ([`EASU_FOOTPRINT`]), clamped to the image edge. The four texels nearest the sample,
//! at offsets `(0, 0), (1, 0), (0, 1), (1, 1)`, are called F, G, J and K.
//!
//! **Edge analysis.** Luma is `l = 0.25 r + 0.5 g + 0.25 b` (alpha is filtered but never
//! analysed). At each of F, G, J, K the central differences over its plus-shaped neighbours
//! (all inside the footprint; together a 2x2 quad of 3x3 neighbourhoods) give a gradient
//! `(gx, gy)`, and the four are combined, with the bilinear weights of `(tx, ty)`, into a
//! structure tensor
//!
//! ```text
//! a = sum w gx^2,   b = sum w gx gy,   c = sum w gy^2
//! ```
//!
//! Its dominant eigenvector is the gradient direction at angle `theta`, the edge runs
//! perpendicular to it, and how much one direction dominates is the coherence
//!
//! ```text
//! cos 2theta = (a - c) / sqrt(D),   sin 2theta = 2b / sqrt(D),   D = (a - c)^2 + 4b^2
//! coherence  = D / (a + c)^2       (= ((l1 - l2) / (l1 + l2))^2 for eigenvalues l1 >= l2)
//! ```
//!
//! `coherence` is 1 on a straight edge or line, 0 in flat areas, at corners and in isotropic
//! texture, and does not depend on the image's brightness scale. (`D = 0` gives
//! `cos 2theta = 1, sin 2theta = 0`, and coherence is 0 whenever `a + c = 0`.)
//!
//! **Kernel.** For the tap at offset `(i, j)`, `d = (i - tx, j - ty)` is its position relative
//! to the sample, and the squared distance along the edge is
//!
//! ```text
//! v^2 = (d . e)^2 = 0.5 ((1 - cos 2theta) dx^2 - 2 sin 2theta dx dy + (1 + cos 2theta) dy^2)
//! ```
//!
//! The kernel is stretched along the edge by `sigma = 1 + (EASU_MAX_STRETCH - 1) coherence`, so
//! the tap's effective squared distance is
//!
//! ```text
//! s = |d|^2 - k v^2,   k = 1 - 1 / sigma^2     (|d|^2 with the along-edge part divided by sigma^2)
//! ```
//!
//! and its weight a radial Lanczos-2-like window in `s`, with no square root or sine:
//!
//! ```text
//! base(s) = (1 - s) (1 - s / 4)^2
//! w(s)    = base(s)             for s < 1        (the positive core, 1 at the sample)
//!           lobe * base(s)      for 1 <= s < 4   (the negative ring, deepest at s = 2)
//!           0                   for s >= 4       (reached with zero slope)
//! lobe    = EASU_LOBE_FLAT + (EASU_LOBE_EDGE - EASU_LOBE_FLAT) coherence
//! ```
//!
//! Across an edge the negative ring sharpens (more strongly the more edge-like the area is);
//! along it the stretched core averages neighbouring texels, which smooths staircases.
//!
//! **Combining.** Relative to F, taps in [`EASU_FOOTPRINT`] order:
//! `out = F + (sum w_i (p_i - F)) / (sum w_i)`, so a constant image is reproduced exactly.
//! (The weight sum stays well above zero, at least 0.8: the nearest quad texel is within
//! `sqrt(0.5)` of the sample and always lands in the positive core; a unit test checks the
//! bound over a dense grid of positions, directions and coherences.)
//!
//! **Deringing.** Each channel of the result is clamped to the min/max of F, G, J, K, which
//! removes the ringing the negative lobe would otherwise add next to edges.
//!
//! # RCAS
//!
//! For each output pixel with centre value `e` and the four edge neighbours `n_k` above, left,
//! right and below (clamped to the image), per colour channel:
//!
//! ```text
//! out = e + amount * (e - mean(n_k)) = e - amount / 4 * sum_k (n_k - e)
//! ```
//!
//! Alpha passes through unsharpened. The `amount` is shared by the three colour channels. It
//! starts at `RCAS_MAX_AMOUNT * 2^-sharpness` ([`rcas_amount`]; `sharpness` is in stops, 0 is the
//! strongest, each stop halves it, infinity turns sharpening off), and is then lowered, per
//! pixel, until no colour channel leaves `[min, max]` of its five taps: with `S = sum_k (n_k - e)`,
//!
//! ```text
//! S > 0:  amount <= 4 (e - min) / S        (the result moves down, towards min)
//! S < 0:  amount <= 4 (max - e) / -S       (the result moves up, towards max)
//! ```
//!
//! so a local extremum (one-pixel dot) is never sharpened further, while a soft edge is
//! sharpened until it reaches its neighbours' values. A final clamp to `[min, max]` only
//! removes float rounding. A constant image is returned unchanged (`S = 0`).
//!
//! # How this follows and departs from FSR 1
//!
//! Follows: two passes at output resolution (EASU then RCAS); EASU's 12-tap footprint, its edge
//! direction and "edge-ness" estimated from luma gradients of the F/G/J/K quad blended with
//! bilinear weights, a Lanczos-2-like kernel approximated by a polynomial in the squared
//! distance, stretched along the edge and with a negative lobe that grows on edges, the
//! deringing clamp to F/G/J/K; RCAS's 5-tap cross, one sharpening strength per pixel for all
//! channels, limited so the output stays within the local min/max, `sharpness` in stops with 0
//! the strongest.
//!
//! Departs:
//! - Direction and edge-ness come from a structure tensor (sign-free, so thin lines and both
//!   sides of an edge agree) and its coherence, not FSR's summed gradients and its separate
//!   edge-length measure. The stretch does not depend on the edge angle.
//! - The kernel polynomial and its constants ([`EASU_MAX_STRETCH`], [`EASU_LOBE_FLAT`],
//!   [`EASU_LOBE_EDGE`]) are this crate's own; weights are normalised by their exact sum.
//! - Everything is plain `f32` with exact division and `sqrt`: no packed half floats and no
//!   approximate reciprocals, so CPU and GPU agree closely.
//! - RCAS is written as an unsharp-mask amount instead of a negative lobe weight `w` (they are
//!   related by `amount = -4w / (1 + 4w)`), its limit uses the min/max of all five taps, alpha
//!   is passed through, and there is no noise-detection term.
//! - The passes read textures with `textureLoad` (no sampler, no gather), clamp to edge, and
//!   work on any size and ratio; EASU is meant for upscaling and does not antialias downscales.

mod easu;
mod gpu;
mod params;
mod rcas;

pub use easu::{EASU_FOOTPRINT, EASU_LOBE_EDGE, EASU_LOBE_FLAT, EASU_MAX_STRETCH, easu_cpu};
pub use gpu::{EASU_WGSL, GpuSpatialUpscaler, RCAS_WGSL};
pub use params::{GpuEasuParams, GpuRcasParams, SpatialUpscaleParams};
pub use rcas::{RCAS_MAX_AMOUNT, rcas_amount, rcas_cpu};

use crate::gpu::GpuError;
use crate::image::ImageF32;

/// Upscales `input` to `out_width x out_height` with EASU, then sharpens the result with RCAS at
/// `sharpness` stops (see the [module docs](crate::spatial)); the CPU reference for
/// [`GpuSpatialUpscaler::upscale`].
pub fn spatial_upscale_cpu(
    input: &ImageF32,
    out_width: u32,
    out_height: u32,
    sharpness: f32,
) -> Result<ImageF32, SpatialError> {
    // Check the cheap argument first so a bad sharpness fails before the EASU pass runs.
    rcas_amount(sharpness)?;
    let upscaled = easu_cpu(input, out_width, out_height)?;
    rcas_cpu(&upscaled, sharpness)
}

/// Why a spatial upscale request failed.
#[derive(Debug, thiserror::Error)]
pub enum SpatialError {
    /// The requested output size has a zero side.
    #[error("spatial upscale output size must be at least 1x1, got {width}x{height}")]
    EmptyOutput {
        /// Requested output width.
        width: u32,
        /// Requested output height.
        height: u32,
    },
    /// The shader's integer coordinate maths (`(2 * x + 1) * in` in `u32`) would overflow.
    #[error("upscaling {input} to {output} pixels along one axis overflows the shader's u32 maths")]
    AxisTooLong {
        /// Source length on the offending axis.
        input: u32,
        /// Output length on the offending axis.
        output: u32,
    },
    /// `sharpness` was negative or NaN; it is in stops, `0.0` (strongest) to `f32::INFINITY`
    /// (off).
    #[error("RCAS sharpness must be a number >= 0 (stops below the strongest), got {sharpness}")]
    InvalidSharpness {
        /// The rejected value.
        sharpness: f32,
    },
    /// The GPU path failed (no device, size above the device limit, wgpu validation error...).
    #[error(transparent)]
    Gpu(#[from] GpuError),
}
