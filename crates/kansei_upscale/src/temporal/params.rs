//! [`TemporalParams`], what one resolve does, and [`GpuTemporalParams`], the uniform block of
//! `shaders/temporal_resolve.wgsl` it becomes.

use bytemuck::{Pod, Zeroable};

use super::TemporalError;

/// Gaussian standard deviation of a current-frame sample's weight, in display pixels
/// (`SAMPLE_SIGMA` in the shader). Close to the standard deviation of a one-pixel box
/// (0.29) widened a little so that the frame's samples overlap. Measured on the static and moving
/// scenes of `tests/temporal_resolve.rs`: 0.3 to 0.35 is best, 0.5 loses 1.3 dB to blur.
pub const SAMPLE_SIGMA: f32 = 0.35;
/// Fraction of the history's confidence lost when it is resampled half-way between texels on
/// both axes (`RESAMPLE_DECAY` in the shader); the loss scales with the Catmull-Rom blur,
/// `2 (tx (1 - tx) + ty (1 - ty))` for the fractional position `(tx, ty)`, and is zero for a
/// static history. Without it a moving history is resampled for dozens of frames and blurs
/// away (18.4 dB on the moving test scene); 0.3 to 0.35 measured best (22.5 dB), 0.6 gave
/// 21.6 dB.
pub const RESAMPLE_DECAY: f32 = 0.35;
/// The history's confidence is stored in steps of `1 / CONFIDENCE_STEPS` in its 8-bit alpha.
pub const CONFIDENCE_STEPS: f32 = 4.0;
/// The largest confidence the 8-bit alpha holds: `255 / CONFIDENCE_STEPS`.
pub const CONFIDENCE_MAX: f32 = 31.75;
/// How much more a static pixel's confidence counts once it reaches [`CONFIDENCE_MAX`]
/// (`STATIC_CONFIDENCE_GAIN` in the shader): the blend uses
/// `n (1 + gain * stillness * n / CONFIDENCE_MAX)`, so a converged static pixel averages over
/// about 500 frames' worth of samples instead of 32 while a fresh one (small `n`) is unchanged.
/// At 2x a texel of a fine texture, or a wire thinner than a render pixel, is sampled
/// differently by each of the 32 jitter phases, and what is left of the flicker once the clip
/// leaves static detail alone ([`AGREEMENT_DEVIATION`]) is the running average of those samples:
/// the longer it is, the steadier. Replaying the saved `Performance` sequences on the CPU, gains
/// 3 / 7 / 10 / 15 / 31 gave flicker 0.79 / 0.66 / 0.59 / 0.52 / 0.39 levels, 30.3 / 30.2 /
/// 30.1 / 29.9 / 29.3 dB and ghosting 1.90 / 1.91 / 1.92 / 1.97 / 2.09 levels (a converging
/// pixel trusts its early, rougher history longer). What a long average cannot follow, a change
/// of lighting, the clip follows (the shadow trail of `tests/temporal_resolve.rs` 0.0102).
pub const STATIC_CONFIDENCE_GAIN: f32 = 15.0;
/// How far a static pixel keeps its history unclipped (`STATIC_AGREEMENT` in the shader): by
/// `trust = stillness * clamp(1 - |a - m| / (STATIC_AGREEMENT * (max(a, m) + 0.01)), 0, 1)`
/// (the luma's term; the full test, per `YCoCg` channel, is at [`AGREEMENT_DEVIATION`]),
/// with `a` the luma of the history's local mean (the plain mean of the 4x4 texels its
/// Catmull-Rom sample reads) and `m` the luma of this frame's 3x3 mean, the clipped history is
/// moved back towards the unclipped one. Missed sub-pixel detail (a wire, a fine texture
/// sampled by some jitter phases only) barely moves the local mean and keeps its history; a
/// change of lighting on a static surface moves it and is clipped as before.
pub const STATIC_AGREEMENT: f32 = 0.5;
/// How much of this frame's local contrast the static agreement test tolerates
/// (`AGREEMENT_DEVIATION` in the shader): the disagreement is, over the three `YCoCg` channels
/// `c`, `max_c |a_c - m_c| / (STATIC_AGREEMENT * (max(a_Y, m_Y) + 0.01) + AGREEMENT_DEVIATION *
/// d_c)`, with `d_c` the channel's deviation over this frame's 3x3 (the one its clip box uses). On a high-contrast texture
/// the two means differ by sampling alone, by up to about the deviation: the 3x3's nine jittered
/// samples and the history's 4x4 see different parts of it. On a flat surface `d` is near 0 and
/// the test is as strict as without it, so a change of lighting there is still clipped.
/// Measured by replaying the saved `Performance` sequences on the CPU (textures, thin geometry,
/// moving object, disocclusion): flicker 0.947 -> 0.793 levels and 27.33 -> 30.31 dB; the
/// shadow trail of `tests/temporal_resolve.rs` 0.0089 -> 0.0093 (0.0103 at 4, 0.0156 at 8).
pub const AGREEMENT_DEVIATION: f32 = 2.0;
/// The clip is undone on a static pixel ([`STATIC_AGREEMENT`]) unless its scaled disagreement
/// (see [`AGREEMENT_DEVIATION`]) exceeded this in the previous frame too
/// (`DISAGREEMENT_PERSISTS` in the shader; the flag lives in the lowest bit of the history's
/// alpha, [`encode_confidence`](super::encode_confidence)). Aliasing makes a texel of a
/// fine texture disagree in scattered frames, a change of lighting in every frame from the one
/// it starts in; so the clip waits one frame for lighting and mostly leaves missed detail alone.
pub const DISAGREEMENT_PERSISTS: f32 = 0.3;
/// History colour is clamped to `[0, COLOR_MAX]` before it is encoded.
pub const COLOR_MAX: f32 = 64.0;

/// What one temporal resolve does: sizes, this frame's jitter, and the blending controls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TemporalParams {
    /// Render resolution `[width, height]`: the top-left rectangle of the colour, depth and
    /// motion textures that holds this frame (the textures may be larger).
    pub render_size: [u32; 2],
    /// Display resolution `[width, height]`: the top-left rectangle of the output and history
    /// textures that is written. At least `render_size` on each axis.
    pub display_size: [u32; 2],
    /// Sub-pixel jitter of this frame in render pixels, each component in `[-0.5, 0.5]`:
    /// render texel `i` holds the scene sampled at `i + 0.5 + jitter`.
    pub jitter: [f32; 2],
    /// Ignore the history (first frame, camera cut, resize). The default is `false`.
    pub reset: bool,
    /// Smallest weight of the current frame once the history has converged, for a frame whose
    /// samples sit on the pixel centre (it scales with the frame's sample weight). Between 0.0
    /// and 1.0; smaller converges further and ghosts longer. The default value is 0.05.
    pub alpha_min: f32,
    /// Relative depth difference above which the history is rejected as disoccluded, between
    /// the closest current depth around the pixel and the closest previous depth around its
    /// reprojected position. Positive; the default value is 0.1 (10 %).
    pub depth_threshold: f32,
    /// Width of the variance box the history is clamped into, in standard deviations of the
    /// 3x3 neighbourhood (`YCoCg`). Positive; the default value is 1.25.
    pub clip_gamma: f32,
    /// Speed (display pixels per frame, of the pixel's dilated motion vector) below which a
    /// pixel counts as static, its `stillness` fading in linearly between this speed and 0. A
    /// static pixel averages up to [`STATIC_CONFIDENCE_GAIN`] times longer without the
    /// `alpha_min` floor, and where its previous neighbourhood was static too the disocclusion
    /// test needs the farthest depths to change as well (see the module docs). It is still
    /// clamped: a moving shadow changes a static surface without any motion vector.
    /// Non-negative, 0 turns it off; the default value is 0.05.
    pub static_motion: f32,
}

impl TemporalParams {
    /// Parameters for one frame of `render_size` upscaled to `display_size` with `jitter`, with
    /// the default blending controls and no reset.
    pub fn new(render_size: [u32; 2], display_size: [u32; 2], jitter: [f32; 2]) -> Self {
        Self {
            render_size,
            display_size,
            jitter,
            reset: false,
            alpha_min: 0.05,
            depth_threshold: 0.1,
            clip_gamma: 1.25,
            static_motion: 0.05,
        }
    }

    /// Checks what the shader relies on and returns its uniform block.
    pub fn to_gpu(&self) -> Result<GpuTemporalParams, TemporalError> {
        let [rw, rh] = self.render_size;
        let [dw, dh] = self.display_size;
        if rw == 0 || rh == 0 || dw < rw || dh < rh {
            return Err(TemporalError::Sizes {
                render: self.render_size,
                display: self.display_size,
            });
        }
        let in_range = |v: f32, lo: f32, hi: f32| v.is_finite() && (lo..=hi).contains(&v);
        if !self.jitter.iter().all(|&j| in_range(j, -0.5, 0.5))
            || !in_range(self.alpha_min, 0.0, 1.0)
            || !in_range(self.depth_threshold, 0.0, f32::MAX)
            || !in_range(self.clip_gamma, 0.0, f32::MAX)
            || !in_range(self.static_motion, 0.0, f32::MAX)
        {
            return Err(TemporalError::Params { params: *self });
        }
        Ok(GpuTemporalParams {
            render_size: self.render_size,
            display_size: self.display_size,
            jitter: self.jitter,
            alpha_min: self.alpha_min,
            depth_threshold: self.depth_threshold,
            clip_gamma: self.clip_gamma,
            reset: u32::from(self.reset),
            static_motion: self.static_motion,
            pad: 0,
        })
    }
}

/// Uniform block of the temporal shaders. Mirrors, field for field:
///
/// ```wgsl
/// struct TemporalParams {
///     render_size: vec2<u32>,
///     display_size: vec2<u32>,
///     jitter: vec2<f32>,
///     alpha_min: f32,
///     depth_threshold: f32,
///     clip_gamma: f32,
///     reset: u32,
///     static_motion: f32,
///     _pad0: u32,
/// }
/// ```
///
/// (`shaders/common/temporal_params.wgsl`, prepended to both temporal shaders, which bind the
/// same buffer).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct GpuTemporalParams {
    /// [`TemporalParams::render_size`].
    pub render_size: [u32; 2],
    /// [`TemporalParams::display_size`].
    pub display_size: [u32; 2],
    /// [`TemporalParams::jitter`].
    pub jitter: [f32; 2],
    /// [`TemporalParams::alpha_min`].
    pub alpha_min: f32,
    /// [`TemporalParams::depth_threshold`].
    pub depth_threshold: f32,
    /// [`TemporalParams::clip_gamma`].
    pub clip_gamma: f32,
    /// [`TemporalParams::reset`] as 0 or 1.
    pub reset: u32,
    /// [`TemporalParams::static_motion`].
    pub static_motion: f32,
    pad: u32,
}

const _: () = assert!(size_of::<GpuTemporalParams>() == 48);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        let ok = TemporalParams::new([37, 29], [74, 58], [0.25, -0.5]);
        assert!(ok.to_gpu().is_ok());
        for (render, display) in [([0, 29], [74, 58]), ([37, 29], [36, 58]), ([8, 8], [8, 7])] {
            let bad = TemporalParams::new(render, display, [0.0; 2]);
            assert!(matches!(bad.to_gpu(), Err(TemporalError::Sizes { .. })));
        }
        for tweak in [
            |p: &mut TemporalParams| p.jitter[0] = 0.6,
            |p: &mut TemporalParams| p.jitter[1] = f32::NAN,
            |p: &mut TemporalParams| p.alpha_min = 1.5,
            |p: &mut TemporalParams| p.depth_threshold = -0.1,
            |p: &mut TemporalParams| p.clip_gamma = f32::INFINITY,
            |p: &mut TemporalParams| p.static_motion = -1.0,
        ] {
            let mut bad = ok;
            tweak(&mut bad);
            assert!(matches!(bad.to_gpu(), Err(TemporalError::Params { .. })));
        }
    }

    #[test]
    fn reset_is_a_zero_or_one() -> Result<(), TemporalError> {
        let mut params = TemporalParams::new([4, 4], [8, 8], [0.0; 2]);
        assert_eq!(params.to_gpu()?.reset, 0);
        params.reset = true;
        assert_eq!(params.to_gpu()?.reset, 1);
        Ok(())
    }
}
