//! The CPU reference of the temporal resolve: `shaders/temporal_resolve.wgsl` and
//! `shaders/temporal_depth_history.wgsl`, written plainly, in the same order of operations.

use super::encoding::{
    catmull_rom_weights, decode_channel, decode_confidence, decode_disagreed, encode_channel,
    encode_confidence, pack_depth_pair, rgb_to_ycocg, unpack_depth_pair, ycocg_to_rgb,
};
use super::params::{
    AGREEMENT_DEVIATION, CONFIDENCE_MAX, DISAGREEMENT_PERSISTS, RESAMPLE_DECAY, SAMPLE_SIGMA,
    STATIC_AGREEMENT, STATIC_CONFIDENCE_GAIN, TemporalParams,
};
use super::{TemporalError, check_covers};
use crate::image::{ImageF32, Rgba};

/// One rendered frame on the CPU. Each image covers at least the render size; only its
/// top-left render rectangle is read.
#[derive(Debug, Clone, Copy)]
pub struct TemporalFrame<'a> {
    /// Linear colour (HDR allowed, negative values are treated as 0 by the history).
    pub color: &'a ImageF32,
    /// Reverse-Z depth in channel 0: 1 at the near plane, 0 at infinity.
    pub depth: &'a ImageF32,
    /// Motion vectors in channels 0 and 1, in UV units of the render rectangle, +y down, current
    /// minus previous position (so the previous position is `uv - motion`).
    pub motion: &'a ImageF32,
}

/// The history on the CPU, as the GPU holds it: colour and confidence encoded as the
/// `rgba8unorm` texture stores them (every value `k / 255`), and the last frame's depth
/// neighbourhoods as the `r32uint` depth history packs them, unpacked (see
/// [`TemporalHistoryCpu::depth`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TemporalHistoryCpu {
    color: ImageF32,
    depth: ImageF32,
}

impl TemporalHistoryCpu {
    /// An empty history (zero confidence everywhere) for a display of `[width, height]`.
    pub fn new(display: [u32; 2]) -> Result<Self, TemporalError> {
        let [width, height] = display;
        Ok(Self {
            color: ImageF32::filled(width, height, [0.0; 4])?,
            depth: ImageF32::filled(width, height, [0.0; 4])?,
        })
    }

    /// A history from its two images: `color` encoded (see [`TemporalHistoryCpu::color`]),
    /// `depth` as [`TemporalHistoryCpu::depth`] describes. Both must have the same size, the
    /// display size.
    pub fn from_parts(color: ImageF32, depth: ImageF32) -> Result<Self, TemporalError> {
        check_covers("depth history", &depth, [color.width(), color.height()])?;
        Ok(Self { color, depth })
    }

    /// Encoded colour (channels 0-2, [`encode_channel`](super::encode_channel)) and
    /// confidence (channel 3, [`encode_confidence`](super::encode_confidence)).
    pub fn color(&self) -> &ImageF32 {
        &self.color
    }

    /// The previous frame's depth neighbourhoods, in the top-left render rectangle: per render
    /// texel the closest (channel 0) and the farthest (channel 1) reverse-Z depth of its 3x3,
    /// both truncated to 15-bit floats as the GPU packs them
    /// ([`pack_depth_pair`](super::pack_depth_pair)), and 1.0 in channel 2 if any texel of the
    /// 3x3 moved that frame (0.0 otherwise).
    pub fn depth(&self) -> &ImageF32 {
        &self.depth
    }

    /// `[width, height]` of the display this history belongs to.
    pub fn display_size(&self) -> [u32; 2] {
        [self.color.width(), self.color.height()]
    }
}

/// Number of [`BlendInputs::features`].
pub const BLEND_FEATURES: usize = 8;

/// What the blend of steps 5 and 6 sees at one pixel that has history: the inputs a learned
/// blend ([`super::BlendNet`]) is given, the hand-written rule's choices, and the colours the
/// choices mix (for training).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlendInputs {
    /// The display pixel.
    pub pixel: [u32; 2],
    /// Scale-free descriptions of the pixel, each about `[0, 1]`: stillness; history
    /// confidence over its maximum; this frame's sample weight; how far the clip moved the
    /// history (`YCoCg` L1 over the 3x3 mean luma); the static agreement test's relative luma
    /// difference; the 3x3's luma deviation over its mean; the speed in display pixels over
    /// 8 (at most 1); the relative luma difference of this frame's estimate and the history.
    pub features: [f32; BLEND_FEATURES],
    /// The rule's trust (how much of the clip is undone, step 5).
    pub trust: f32,
    /// The rule's weight of this frame's estimate (step 6).
    pub alpha: f32,
    /// The history clipped to this frame's box (trust 0), linear RGB.
    pub clipped: [f32; 3],
    /// The history as sampled (trust 1), linear RGB.
    pub history: [f32; 3],
    /// This frame's estimate, linear RGB.
    pub current: [f32; 3],
}

/// Chooses, per pixel with history, the trust (step 5) and the weight of this frame (step 6);
/// both are clamped to `[0, 1]` after.
pub trait BlendPolicy {
    /// `(trust, alpha)` for one pixel.
    fn blend(&mut self, inputs: &BlendInputs) -> (f32, f32);
}

/// The hand-written rule of the shader's steps 5 and 6.
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleBlend;

impl BlendPolicy for RuleBlend {
    fn blend(&mut self, inputs: &BlendInputs) -> (f32, f32) {
        (inputs.trust, inputs.alpha)
    }
}

/// Resolves one frame on the CPU: the display-resolution output (RGB resolved, alpha the
/// current frame's reconstructed alpha) and the history for the next frame.
pub fn resolve_cpu(
    frame: &TemporalFrame<'_>,
    history: &TemporalHistoryCpu,
    params: &TemporalParams,
) -> Result<(ImageF32, TemporalHistoryCpu), TemporalError> {
    resolve_cpu_with(frame, history, params, &mut RuleBlend)
}

/// [`resolve_cpu`] with `policy` choosing the blend of each pixel that has history.
pub fn resolve_cpu_with(
    frame: &TemporalFrame<'_>,
    history: &TemporalHistoryCpu,
    params: &TemporalParams,
    policy: &mut dyn BlendPolicy,
) -> Result<(ImageF32, TemporalHistoryCpu), TemporalError> {
    params.to_gpu()?;
    check_covers("colour", frame.color, params.render_size)?;
    check_covers("depth", frame.depth, params.render_size)?;
    check_covers("motion", frame.motion, params.render_size)?;
    if history.display_size() != params.display_size {
        return Err(TemporalError::HistorySize {
            history: history.display_size(),
            display: params.display_size,
        });
    }
    let resolver = Resolver {
        frame,
        history,
        params,
    };
    let [width, height] = params.display_size;
    let mut output = Vec::with_capacity(width as usize * height as usize);
    let mut encoded = Vec::with_capacity(output.capacity());
    for y in 0..height {
        for x in 0..width {
            let (out, stored) = resolver.pixel(x, y, policy);
            output.push(out);
            encoded.push(stored);
        }
    }
    // The depth pass: this frame's 3x3 depth neighbourhoods over the render rectangle, the rest
    // kept.
    let [rw, rh] = params.render_size;
    let depth = ImageF32::from_fn(width, height, |x, y| {
        if x < rw && y < rh {
            depth_neighbourhood(frame, params, [i64::from(x), i64::from(y)])
        } else {
            load(&history.depth, i64::from(x), i64::from(y))
        }
    })?;
    Ok((
        ImageF32::new(width, height, output)?,
        TemporalHistoryCpu {
            color: ImageF32::new(width, height, encoded)?,
            depth,
        },
    ))
}

/// One depth history texel (`temporal_depth_history.wgsl`) in the CPU representation of
/// [`TemporalHistoryCpu::depth`]: the closest and farthest depth of the 3x3 around `texel`
/// (texels outside the render rectangle skipped), truncated as the GPU packs them, and whether any of
/// them moved this frame (its motion at least [`TemporalParams::static_motion`] display pixels).
fn depth_neighbourhood(
    frame: &TemporalFrame<'_>,
    params: &TemporalParams,
    texel: [i64; 2],
) -> Rgba {
    let [dw, dh] = params.display_size.map(|v| v as f32);
    let static2 = params.static_motion * params.static_motion;
    let mut closest = 0.0_f32;
    let mut farthest = 2.0_f32;
    let mut moved = false;
    for k in 0..9 {
        let i = [texel[0] + k % 3 - 1, texel[1] + k / 3 - 1];
        if !inside_render(params, i) {
            continue;
        }
        let depth = load(frame.depth, i[0], i[1])[0];
        closest = closest.max(depth);
        farthest = farthest.min(depth);
        let motion = load(frame.motion, i[0], i[1]);
        let (mx, my) = (motion[0] * dw, motion[1] * dh);
        if mx * mx + my * my >= static2 {
            moved = true;
        }
    }
    let (closest, farthest, moved) = unpack_depth_pair(pack_depth_pair(closest, farthest, moved));
    [closest, farthest, if moved { 1.0 } else { 0.0 }, 0.0]
}

/// Whether render texel `i` lies inside the render rectangle (`inside_render` of the shaders).
fn inside_render(params: &TemporalParams, i: [i64; 2]) -> bool {
    let [rw, rh] = params.render_size.map(i64::from);
    (0..rw).contains(&i[0]) && (0..rh).contains(&i[1])
}

/// The texel at `(x, y)`, which the caller has clamped into the image.
fn load(image: &ImageF32, x: i64, y: i64) -> Rgba {
    image.get_clamped(x, y)
}

fn add3(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

fn rgb(c: Rgba) -> [f32; 3] {
    [c[0], c[1], c[2]]
}

struct Resolver<'a> {
    frame: &'a TemporalFrame<'a>,
    history: &'a TemporalHistoryCpu,
    params: &'a TemporalParams,
}

impl Resolver<'_> {
    fn render_size(&self) -> [i64; 2] {
        self.params.render_size.map(i64::from)
    }

    /// `sample_history` of the shader: Catmull-Rom on the encoded colour (decoded once),
    /// bilinear confidence reduced by the blur of the resampling; and the 4x4's plain mean
    /// colour, decoded.
    fn sample_history(&self, position: [f32; 2]) -> ([f32; 4], [f32; 3], bool) {
        let base = position.map(f32::floor);
        let t = [position[0] - base[0], position[1] - base[1]];
        let b = base.map(|v| v as i64);
        let [dw, dh] = self.params.display_size.map(i64::from);
        let xs = [-1, 0, 1, 2].map(|o| (b[0] + o).clamp(0, dw - 1));
        let ys = [-1, 0, 1, 2].map(|o| (b[1] + o).clamp(0, dh - 1));
        let (wx, wy) = (catmull_rom_weights(t[0]), catmull_rom_weights(t[1]));
        let mut encoded = [0.0_f32; 3];
        let mut sum = [0.0_f32; 3];
        for (&y, wj) in ys.iter().zip(wy) {
            let mut row = [0.0_f32; 3];
            for (&x, wi) in xs.iter().zip(wx) {
                let e = load(&self.history.color, x, y);
                for c in 0..3 {
                    row[c] += wi * e[c];
                    sum[c] += e[c];
                }
            }
            for c in 0..3 {
                encoded[c] += wj * row[c];
            }
        }
        let color = encoded.map(|e| decode_channel(e.clamp(0.0, 1.0)));
        let c00 = load(&self.history.color, xs[1], ys[1])[3];
        let c10 = load(&self.history.color, xs[2], ys[1])[3];
        let c01 = load(&self.history.color, xs[1], ys[2])[3];
        let c11 = load(&self.history.color, xs[2], ys[2])[3];
        let top = c00 + t[0] * (c10 - c00);
        let bottom = c01 + t[0] * (c11 - c01);
        let blur = 2.0 * (t[0] * (1.0 - t[0]) + t[1] * (1.0 - t[1]));
        let confidence =
            decode_confidence(top + t[1] * (bottom - top)) * (1.0 - RESAMPLE_DECAY * blur);
        let area = sum.map(|s| decode_channel(s * (1.0 / 16.0)));
        (
            [color[0], color[1], color[2], confidence],
            area,
            decode_disagreed(c00),
        )
    }

    /// The mean of this frame's 3x3 samples around `base` weighted `wx[column] * wy[row]`
    /// (texels outside the render rectangle skipped), and the sum of those weights: the
    /// shader's `current` (step 2) and `spread` (step 6), which add in this order.
    fn weighted_mean(&self, base: [i64; 2], wx: [f32; 3], wy: [f32; 3]) -> (Rgba, f32) {
        let mut weighted = [0.0_f32; 4];
        let mut weight_sum = 0.0_f32;
        for k in 0..9 {
            let i = [base[0] + k % 3 - 1, base[1] + k / 3 - 1];
            if !inside_render(self.params, i) {
                continue;
            }
            let color = load(self.frame.color, i[0], i[1]);
            let w = wx[(k % 3) as usize] * wy[(k / 3) as usize];
            for c in 0..4 {
                weighted[c] += w * color[c];
            }
            weight_sum += w;
        }
        (weighted.map(|v| v / weight_sum), weight_sum)
    }

    /// One invocation of `resolve`: the output texel and the history texel.
    fn pixel(&self, x: u32, y: u32, policy: &mut dyn BlendPolicy) -> (Rgba, Rgba) {
        let p = self.params;
        let render = p.render_size.map(|v| v as f32);
        let display = p.display_size.map(|v| v as f32);
        let scale = [display[0] / render[0], display[1] / render[1]];
        let r = self.render_size();
        let last = [r[0] - 1, r[1] - 1];
        let centre = [x as f32 + 0.5, y as f32 + 0.5];
        let base = [
            ((centre[0] / scale[0] - p.jitter[0]).floor() as i64).clamp(0, last[0]),
            ((centre[1] / scale[1] - p.jitter[1]).floor() as i64).clamp(0, last[1]),
        ];
        let offsets = |axis: usize| {
            [-0.5, 0.5, 1.5]
                .map(|o| ((base[axis] as f32 + o) + p.jitter[axis]) * scale[axis] - centre[axis])
        };
        let (offset_x, offset_y) = (offsets(0), offsets(1));
        let inv_two_sigma2 = 1.0 / (2.0 * SAMPLE_SIGMA * SAMPLE_SIGMA);
        let (wx, wy) = (
            axis_weights(offset_x, inv_two_sigma2),
            axis_weights(offset_y, inv_two_sigma2),
        );

        // 1. The 3x3 render neighbourhood of the nearest sample. (The shader also accumulates
        // the weighted sum of step 2 in this loop; `weighted_mean` adds in the same order.)
        let mut moment1 = [0.0_f32; 3];
        let mut moment2 = [0.0_f32; 3];
        let mut lowest = [1e30_f32; 3];
        let mut highest = [-1e30_f32; 3];
        let mut count = 0.0_f32;
        let mut closest_depth = -1.0_f32;
        let mut farthest_depth = 2.0_f32;
        let mut closest_texel = base;
        for k in 0..9 {
            let i = [base[0] + k % 3 - 1, base[1] + k / 3 - 1];
            if !inside_render(self.params, i) {
                continue;
            }
            let color = load(self.frame.color, i[0], i[1]);
            let ycocg = rgb_to_ycocg(rgb(color));
            moment1 = add3(moment1, ycocg);
            moment2 = add3(moment2, ycocg.map(|v| v * v));
            for c in 0..3 {
                lowest[c] = lowest[c].min(ycocg[c]);
                highest[c] = highest[c].max(ycocg[c]);
            }
            count += 1.0;
            let depth = load(self.frame.depth, i[0], i[1])[0];
            farthest_depth = farthest_depth.min(depth);
            if depth > closest_depth {
                closest_depth = depth;
                closest_texel = i;
            }
        }
        // 2. This frame's estimate and its weight.
        let (current, weight_sum) = self.weighted_mean(base, wx, wy);
        let nearest2 = offset_x[1] * offset_x[1] + offset_y[1] * offset_y[1];
        let sample_weight = ((-nearest2 * inv_two_sigma2).exp() * weight_sum).min(1.0);

        // 3. Reprojection with the closest texel's motion.
        let motion = load(self.frame.motion, closest_texel[0], closest_texel[1]);
        let previous_uv = [
            centre[0] / display[0] - motion[0],
            centre[1] / display[1] - motion[1],
        ];
        let mut history = [current[0], current[1], current[2], 0.0];
        let mut history_area = [0.0_f32; 3];
        let mut disagreed_before = false;
        let on_screen = previous_uv.iter().all(|uv| (0.0..=1.0).contains(uv));
        let speed = (motion[0] * display[0]).hypot(motion[1] * display[1]);
        if !p.reset && on_screen {
            // 4. Disocclusion, against the previous frame's 3x3 around the previous position.
            let previous_texel = [
                ((previous_uv[0] * render[0]).floor() as i64).clamp(0, last[0]),
                ((previous_uv[1] * render[1]).floor() as i64).clamp(0, last[1]),
            ];
            let before = load(&self.history.depth, previous_texel[0], previous_texel[1]);
            let difference =
                (closest_depth - before[0]).abs() / closest_depth.max(before[0]).max(1e-6);
            let far_difference =
                (farthest_depth - before[1]).abs() / farthest_depth.max(before[1]).max(1e-6);
            let unmoved = speed < p.static_motion && before[2] == 0.0;
            if difference <= p.depth_threshold || (unmoved && far_difference <= p.depth_threshold) {
                (history, history_area, disagreed_before) = self.sample_history([
                    previous_uv[0] * display[0] - 0.5,
                    previous_uv[1] * display[1] - 0.5,
                ]);
            }
        }

        // 5. Rectification, undone on static pixels as far as the history's local mean agrees
        // with this frame's (see the shader for why).
        let mean = moment1.map(|m| m / count);
        let mut stillness = 0.0;
        if p.static_motion > 0.0 {
            stillness = (1.0 - speed / p.static_motion).clamp(0.0, 1.0);
        }
        let history_ycocg = rgb_to_ycocg([history[0], history[1], history[2]]);
        let mut clipped = [0.0_f32; 3];
        let mut deviation = [0.0_f32; 3];
        for c in 0..3 {
            deviation[c] = (moment2[c] / count - mean[c] * mean[c]).max(0.0).sqrt();
            let low = (mean[c] - p.clip_gamma * deviation[c]).max(lowest[c]);
            let high = (mean[c] + p.clip_gamma * deviation[c]).min(highest[c]);
            // WGSL `clamp(e, low, high)` is `min(max(e, low), high)`.
            clipped[c] = history_ycocg[c].max(low).min(high);
        }
        let deviation_luma = deviation[0];
        let confidence = history[3];
        let mut alpha = 1.0;
        let mut incoming = current;
        let mut disagrees = false;
        if confidence > 0.0 {
            let area = rgb_to_ycocg(history_area);
            let area_luma = area[0];
            let relative_difference = (area_luma - mean[0]).abs() / (area_luma.max(mean[0]) + 0.01);
            // Per YCoCg channel, each against the brightness and its own deviation; the largest
            // counts, so a change of colour at the same brightness disagrees too.
            let tolerance = STATIC_AGREEMENT * (area_luma.max(mean[0]) + 0.01);
            let disagreement = (0..3)
                .map(|c| {
                    (area[c] - mean[c]).abs() / (tolerance + AGREEMENT_DEVIATION * deviation[c])
                })
                .fold(0.0_f32, f32::max);
            disagrees = disagreement > DISAGREEMENT_PERSISTS;
            let rule_trust = if disagreed_before {
                stillness * (1.0 - disagreement).clamp(0.0, 1.0)
            } else {
                stillness
            };
            // 6. Accumulation: the rule's weight of this frame.
            let trusted = confidence
                * (1.0 + STATIC_CONFIDENCE_GAIN * stillness * confidence / CONFIDENCE_MAX);
            let rule_alpha = (sample_weight / (trusted + sample_weight))
                .max(p.alpha_min * sample_weight * (1.0 - stillness));
            let luma_floor = mean[0] + 0.01;
            let clip_moved: f32 = (0..3).map(|c| (history_ycocg[c] - clipped[c]).abs()).sum();
            let current_luma = rgb_to_ycocg([current[0], current[1], current[2]])[0];
            let inputs = BlendInputs {
                pixel: [x, y],
                features: [
                    stillness,
                    confidence / CONFIDENCE_MAX,
                    sample_weight,
                    clip_moved / luma_floor,
                    relative_difference,
                    deviation_luma / luma_floor,
                    (speed / 8.0).min(1.0),
                    (current_luma - history_ycocg[0]).abs()
                        / (current_luma.max(history_ycocg[0]) + 0.01),
                ],
                trust: rule_trust,
                alpha: rule_alpha,
                clipped: ycocg_to_rgb(clipped),
                history: ycocg_to_rgb(history_ycocg),
                current: [current[0], current[1], current[2]],
            };
            let (trust, chosen_alpha) = policy.blend(&inputs);
            let trust = trust.clamp(0.0, 1.0);
            for c in 0..3 {
                clipped[c] += trust * (history_ycocg[c] - clipped[c]);
            }
            alpha = chosen_alpha.clamp(0.0, 1.0);
        } else {
            let widest = scale[0].max(scale[1]);
            let inv_two_sigma2_wide = inv_two_sigma2 / (widest * widest);
            (incoming, _) = self.weighted_mean(
                base,
                axis_weights(offset_x, inv_two_sigma2_wide),
                axis_weights(offset_y, inv_two_sigma2_wide),
            );
        }
        let rectified = ycocg_to_rgb(clipped);

        let resolved =
            [0, 1, 2].map(|c| (rectified[c] + alpha * (incoming[c] - rectified[c])).max(0.0));
        let new_confidence = (confidence + sample_weight).min(CONFIDENCE_MAX);
        (
            [resolved[0], resolved[1], resolved[2], incoming[3]],
            [
                encode_channel(resolved[0]),
                encode_channel(resolved[1]),
                encode_channel(resolved[2]),
                encode_confidence(new_confidence, disagrees),
            ],
        )
    }
}

/// `axis_weights` of the shader: the Gaussian weights of the 3x3's three sample columns (or
/// rows) from their display-pixel offsets to the pixel centre, relative to the middle one.
fn axis_weights(offsets: [f32; 3], inv_two_sigma2: f32) -> [f32; 3] {
    let d2 = offsets.map(|o| o * o);
    d2.map(|d| (-(d - d2[1]) * inv_two_sigma2).exp())
}
