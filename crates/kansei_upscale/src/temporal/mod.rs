//! The temporal resolve of a TAA upscaler (in the manner of FSR 2 and DLSS 2): each frame is
//! rendered at a lower resolution with a sub-pixel jitter, and one compute pass reconstructs the
//! display-resolution frame from it and the history of earlier frames. On the CPU
//! ([`resolve_cpu`], the reference) and on the GPU ([`GpuTemporalResolver`],
//! `shaders/temporal_resolve.wgsl` and `shaders/temporal_depth_history.wgsl`); the two follow
//! each other operation for operation and agree to float rounding (checked in
//! `tests/temporal_resolve.rs`). Nothing here depends on Bevy.
//!
//! # Usage
//!
//! 1. Once per device: [`GpuTemporalResolver::new`] with the output texture's format.
//! 2. Once per view and display size: the history, either a [`TemporalHistory`] or, for a
//!    renderer that owns its textures, two [`HISTORY_COLOR_FORMAT`] textures and one
//!    [`HISTORY_DEPTH_FORMAT`] texture of the display size, with `TEXTURE_BINDING |
//!    STORAGE_BINDING` ([`memory_bytes`] of them: 99.5 MB at 4K).
//! 3. Every frame: [`GpuTemporalResolver::encode`] with this frame's colour, depth and motion
//!    vectors, the colour history written last frame, the other colour history to write, the
//!    output, and [`TemporalParams`] (sizes, jitter, `reset` on a camera cut or resize). Then
//!    swap the two colour histories. [`GpuTemporalResolver::resolve`] does all of this for CPU
//!    images, for tests and tools.
//!
//! # Conventions
//!
//! As Bevy's: render texel `i` holds the scene sampled at `i + 0.5 + jitter` (render pixels,
//! jitter in `[-0.5, 0.5]`); motion vectors are in UV units of the render rectangle, +y down,
//! current minus previous (`prev_uv = uv - motion`); depth is reverse-Z (larger is closer).
//! Inputs may be larger than the frame: only their top-left render rectangle is read, and only
//! the top-left display rectangle of the output and history is written.
//!
//! # The resolve, per display pixel `p`
//!
//! With `scale = display / render`, texel `i`'s sample sits at render position
//! `i + 0.5 + jitter`, that is display position `(i + 0.5 + jitter) * scale`; `base`, the texel
//! whose sample lies nearest the pixel centre `p + 0.5`, is `floor((p + 0.5) / scale - jitter)`,
//! clamped into the frame.
//!
//! 1. **Neighbourhood.** The 3x3 render texels around `base` (those inside the frame): their
//!    colour's first and second moments and min/max box in `YCoCg`, and their closest and
//!    farthest depth with the closest texel.
//! 2. **Current samples.** The same nine samples, each weighted `exp(-d^2 / (2 sigma^2))` with
//!    `d` its distance to the pixel centre in display pixels and `sigma = `[`SAMPLE_SIGMA`], so
//!    samples count where they were actually taken. The weight is separable
//!    (`d^2 = dx^2 + dy^2`), so three exponentials per axis serve all nine samples; they are
//!    computed relative to the middle column and row, the nearest, so the mean never divides by
//!    an underflowed sum. `current` is their normalised weighted mean; the frame's weight `w` is
//!    the sum of the absolute weights (at most 1).
//! 3. **Reprojection.** The motion vector of the closest-depth texel of the 3x3 (dilated motion
//!    vectors, so edges move with the foreground); the history is sampled at `uv - motion` with
//!    Catmull-Rom (Keys, `a = -0.5`, 4x4 texels) on the *encoded* colour
//!    ([`encode_channel`]), clamped to the encoding's `[0, 1]` and decoded once (a filter in the
//!    perceptual encoding costs one decode instead of sixteen and rings less on HDR edges), and
//!    its confidence bilinearly, times `1 - RESAMPLE_DECAY * blur` where `blur` measures how far
//!    between texel centres the position falls ([`RESAMPLE_DECAY`]): a moving history is
//!    resampled every frame and would otherwise blur away. A position off the screen has no
//!    history.
//! 4. **Disocclusion.** The history is rejected when the closest previous depth in the 3x3 render
//!    texels around the previous position differs from the closest current depth (of step 1)
//!    by more than [`TemporalParams::depth_threshold`] relative to the larger of the two. With
//!    reverse-Z perspective depth (`near / z`) that is a relative difference in view depth.
//!    Taking the closest of a 3x3 on both sides keeps jitter and one-texel offsets from
//!    rejecting static edges. The previous frame's 3x3 is summarised once per render texel by
//!    the depth-history pass (below), so the resolve reads one texel for it. The previous depth
//!    is the raw previous frame's, so a camera moving along its axis by more than the threshold
//!    of the distance per frame rejects too much; FSR 2 instead reprojects the current depth
//!    into the previous frame, which needs an extra pass and texture. Where the pixel is static
//!    (speed under [`TemporalParams::static_motion`]) and nothing in the previous 3x3 moved,
//!    the closest depths may differ only because a wire thinner than a render pixel was in one
//!    frame's samples and not the other's; there the history is rejected only if the
//!    *farthest* depths of the two 3x3s differ as well, which is what an object that covered
//!    the neighbourhood and vanished without motion vectors (a despawn) leaves. Without this
//!    the thin-geometry scene of `kansei upscale bench-scenes` lost its history every few
//!    frames at 2x (flicker 4.6 levels; with it 0.48).
//! 5. **Rectification.** The history is clamped, in `YCoCg`, into the 3x3's box
//!    `mean ± clip_gamma * deviation`, intersected with its min/max box. On a static pixel
//!    the clamp is then partly undone, by `trust = stillness * clamp(1 - max_c |a_c - m_c| /
//!    (STATIC_AGREEMENT * (max(a_Y, m_Y) + 0.01) + AGREEMENT_DEVIATION * d_c), 0, 1)`
//!    ([`STATIC_AGREEMENT`], [`AGREEMENT_DEVIATION`]) over the three `YCoCg` channels `c`,
//!    where `a` is the history's local mean (the plain mean of the 4x4 texels of step 3), `m`
//!    the 3x3's mean and `d_c` the 3x3's deviation: the history keeps detail that only some jitter phases sample (a
//!    sub-pixel wire, a fine texture), which the clamp erased in every frame that missed it,
//!    while a change of lighting on a static surface, which has no motion vectors, moves the
//!    local mean and is still clamped. Keeping static history wholly unclamped held sub-pixel
//!    wires at 2x (34.5 dB on the thin-geometry scene of `kansei upscale bench-scenes` against
//!    24.6 clamped) but made moving shadows on a static floor smear in the showcase; with the
//!    agreement test, `tests/temporal_resolve.rs` measures the trail of a shadow edge moving
//!    half a pixel per frame over a textured wall at 0.009 (0.004 always clamped, 0.021 with
//!    `STATIC_AGREEMENT = 1`), and the bench scenes gain 1.5 to 2 dB where the camera is
//!    still. The limit: a lighting change smaller than about `STATIC_AGREEMENT / 2` of the
//!    local luma is followed at the accumulation's pace, which the 8-bit history can stall a
//!    few steps short. The chroma channels count since session 14: a light changing colour at
//!    the same brightness went unclipped before (`tests/temporal_resolve.rs`: a green tint
//!    kept whole; now it goes more than half way in 24 frames, the rest at the accumulation's
//!    pace). The deviation term tolerates what sampling alone makes the two means
//!    differ by on a high-contrast texture (on a flat surface `d` is near 0 and the test as
//!    strict as without it): +3 dB and 16% less flicker replaying the bench scenes, shadow
//!    trail 0.0093. And the clamp waits one frame: it applies only where the scaled
//!    disagreement (the fraction above, before `1 -`) exceeded
//!    [`DISAGREEMENT_PERSISTS`] in the previous frame too (a flag in the lowest bit of the
//!    history's alpha, [`encode_confidence`]); otherwise a static pixel keeps its history
//!    unclamped. Aliasing makes a texel of a fine texture disagree in scattered frames, a
//!    change of lighting in every frame from the one it starts in: on the textures and
//!    thin-geometry scenes this gains 1.5 dB at 2x and 1.8 dB at 1.5x, and the shadow trail
//!    above is unchanged (0.0089).
//! 6. **Accumulation.** With `n` the history's confidence (0 when rejected or on `reset`), a
//!    pixel with `n = 0` shows `spread`: the mean of step 2 with `sigma` times the larger scale
//!    factor, which interpolates between this frame's samples instead of picking the nearest
//!    (18.6 dB on the static test scene, bicubic 18.7 dB; computed only for such pixels).
//!    Otherwise
//!    `alpha = max(w / (n' + w), alpha_min * w * (1 - stillness))` with
//!    `n' = n (1 + STATIC_CONFIDENCE_GAIN * stillness * n / CONFIDENCE_MAX)` (a converged
//!    static pixel averages about 500 frames' worth, a moving one 32),
//!    which is the usual `max(1 / (n + 1), alpha_min)` when every frame has a sample on the
//!    pixel centre (`w = 1`) and trusts the history more in frames whose samples fall far from
//!    the pixel, and the output is `rectified + alpha (current - rectified)`, clamped at 0.
//!    The new confidence is `min(n + w, CONFIDENCE_MAX)`. Output alpha is this frame's
//!    (`current`'s or `spread`'s; alpha has no history).
//! 7. **The learned blend** ([`BlendNet`], off by default, `KanseiTemporalBlend`): on a pixel with
//!    history, a 10-8-2 MLP reads eight scale-free descriptions of the pixel
//!    ([`BlendInputs::features`]: stillness, confidence, sample weight, how far the clip moved
//!    the history, the agreement test's luma difference, the 3x3's contrast, the speed, this
//!    frame's difference from the history) and the rule's trust (step 5) and alpha (step 6),
//!    and adds a correction to each, clamped to `[0, 1]`. It was trained with candle on the
//!    harness's own frames (`kansei upscale bench-scenes --sequences`, then
//!    `kansei upscale train-blend`) against the supersampled ground truth, replaying the
//!    resolve on the CPU; its weights are written into the shader as literals
//!    ([`with_blend_net`]), and the CPU reference evaluates the same network
//!    ([`resolve_cpu_with`]). Where it pays: the rule clips a wire thinner than a render pixel
//!    on every moving pixel and trusts a static history only as far as one agreement test
//!    allows; the network learned when the history is right anyway. See the README for what it
//!    gains per scene, held out, and what it costs (0.6 ms at 4K).
//!
//! A second dispatch then stores, per render texel, the closest and farthest depth of this
//! frame's 3x3 around it and whether any texel of that 3x3 moved (motion of at least
//! `static_motion` display pixels), for the next frame's step 4.

//! # History formats and memory
//!
//! See [`memory`]: colour in `rgba8unorm` with a perceptual encoding ([`encode_channel`]) and
//! the confidence in alpha, ping-ponged; the depth neighbourhoods in one `r32uint`
//! ([`pack_depth_pair`]). 12 bytes per display pixel,
//! 99.5 MB at 4K. 8-bit history is the cost of the budget: a blend that moves a channel by
//! less than half a step (about `alpha * difference < 1/510` in encoded units) is lost, so the
//! history converges to within a few steps of the running mean rather than exactly onto it.
//! Measured on the test scenes of `tests/temporal_resolve.rs` against an unquantised history:
//! at most 0.07 dB lost, far below what the sample kernel and rectification cost.
//!
//! # Depth formats
//!
//! [`GpuTemporalResolver::new`] reads depth from channel 0 of a float colour texture
//! (`r32float`). A renderer's depth buffer (Bevy's `Depth32Float` prepass depth) must be bound
//! as `texture_depth_2d` instead: [`GpuTemporalResolver::with_depth_input`] with
//! [`DepthInput::DepthTexture`] compiles the same shaders with that one declaration swapped
//! ([`with_depth_texture`](crate::gpu::with_depth_texture)) and binds it with
//! [`BindingKind::DepthTexture2d`](crate::gpu::BindingKind). `tests/temporal_resolve.rs`
//! checks that both give the same output.
//!
//! # Not yet
//!
//! - A reactive mask for transparencies.

mod blend_net;
pub mod cost;
mod cpu;
mod encoding;
mod gpu;
mod history;
pub mod memory;
mod params;

pub use blend_net::{
    BLEND_HIDDEN, BLEND_INPUTS, BlendNet, BlendNetCpu, blend_from_safetensors, blend_row,
    shipped_blend, with_blend_net,
};
pub use cost::{
    DEPTH_HISTORY_COST, PassCost, PassProjection, RCAS_COST, RESOLVE_COST, RESOLVE_WITH_BLEND_COST,
    TemporalProjection, project_temporal, temporal_pass_costs,
};
pub use cpu::{
    BLEND_FEATURES, BlendInputs, BlendPolicy, RuleBlend, TemporalFrame, TemporalHistoryCpu,
    resolve_cpu, resolve_cpu_with,
};
pub use encoding::{
    catmull_rom_weights, decode_channel, decode_confidence, decode_disagreed, encode_channel,
    encode_confidence, pack_depth_pair, rgb_to_ycocg, unpack_depth_pair, ycocg_to_rgb,
};
pub use gpu::{
    DepthInput, GpuTemporalResolver, TEMPORAL_DEPTH_HISTORY_WGSL, TEMPORAL_RESOLVE_WGSL,
    TemporalInputs,
};
pub use history::TemporalHistory;
pub use memory::{HISTORY_COLOR_FORMAT, HISTORY_DEPTH_FORMAT, memory_bytes};
pub use params::{
    AGREEMENT_DEVIATION, COLOR_MAX, CONFIDENCE_MAX, CONFIDENCE_STEPS, DISAGREEMENT_PERSISTS,
    GpuTemporalParams, RESAMPLE_DECAY, SAMPLE_SIGMA, STATIC_AGREEMENT, STATIC_CONFIDENCE_GAIN,
    TemporalParams,
};

use crate::gpu::GpuError;
use crate::image::{ImageError, ImageF32};

/// Why a temporal resolve failed.
#[derive(Debug, thiserror::Error)]
pub enum TemporalError {
    /// The render size is empty or larger than the display on some axis.
    #[error(
        "temporal resolve needs a non-empty render size no larger than the display, got \
         render {render:?} and display {display:?}"
    )]
    Sizes {
        /// Render `[width, height]`.
        render: [u32; 2],
        /// Display `[width, height]`.
        display: [u32; 2],
    },
    /// A blending control or the jitter is out of its documented range.
    #[error("temporal resolve parameters out of range: {params:?}")]
    Params {
        /// The offending parameters.
        params: TemporalParams,
    },
    /// An input image is smaller than the size it must cover.
    #[error("the {what} image is {size:?}, smaller than the {needed:?} it must cover")]
    ImageSize {
        /// Which input.
        what: &'static str,
        /// Its `[width, height]`.
        size: [u32; 2],
        /// The size it must cover.
        needed: [u32; 2],
    },
    /// The history was made for another display size.
    #[error("the history is {history:?} but the display is {display:?}")]
    HistorySize {
        /// The history's `[width, height]`.
        history: [u32; 2],
        /// [`TemporalParams::display_size`].
        display: [u32; 2],
    },
    /// An image could not be built (zero size).
    #[error(transparent)]
    Image(#[from] ImageError),
    /// The GPU path failed.
    #[error(transparent)]
    Gpu(#[from] GpuError),
}

/// Checks that `image` covers `needed` (its top-left rectangle is read).
fn check_covers(
    what: &'static str,
    image: &ImageF32,
    needed: [u32; 2],
) -> Result<(), TemporalError> {
    if image.width() >= needed[0] && image.height() >= needed[1] {
        Ok(())
    } else {
        Err(TemporalError::ImageSize {
            what,
            size: [image.width(), image.height()],
            needed,
        })
    }
}
