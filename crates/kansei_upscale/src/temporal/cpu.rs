//! The CPU reference of the temporal resolve: `shaders/temporal_resolve.wgsl` and
//! `shaders/temporal_depth_history.wgsl`, written plainly, in the same order of operations.

use super::encoding::{
    decode_channel, decode_confidence, encode_channel, encode_confidence, rgb_to_ycocg,
    ycocg_to_rgb,
};
use super::params::{
    CONFIDENCE_MAX, RESAMPLE_DECAY, SAMPLE_SIGMA, STATIC_CONFIDENCE_GAIN, TemporalParams,
};
use super::{TemporalError, check_covers};
use crate::image::{ImageF32, Rgba};
use crate::resample::keys_weight;

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
/// `rgba8unorm` texture stores them (every value `k / 255`), and the last frame's depth.
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
    /// `depth` in channel 0. Both must have the same size, the display size.
    pub fn from_parts(color: ImageF32, depth: ImageF32) -> Result<Self, TemporalError> {
        check_covers("depth history", &depth, [color.width(), color.height()])?;
        Ok(Self { color, depth })
    }

    /// Encoded colour (channels 0-2, [`encode_channel`](super::encode_channel)) and
    /// confidence (channel 3, [`encode_confidence`](super::encode_confidence)).
    pub fn color(&self) -> &ImageF32 {
        &self.color
    }

    /// The previous frame's depth in channel 0, in the top-left render rectangle.
    pub fn depth(&self) -> &ImageF32 {
        &self.depth
    }

    /// `[width, height]` of the display this history belongs to.
    pub fn display_size(&self) -> [u32; 2] {
        [self.color.width(), self.color.height()]
    }
}

/// Resolves one frame on the CPU: the display-resolution output (RGB resolved, alpha the
/// current frame's reconstructed alpha) and the history for the next frame.
pub fn resolve_cpu(
    frame: &TemporalFrame<'_>,
    history: &TemporalHistoryCpu,
    params: &TemporalParams,
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
            let (out, stored) = resolver.pixel(x, y);
            output.push(out);
            encoded.push(stored);
        }
    }
    // The depth pass: this frame's depth over the render rectangle, each texel flagged moving
    // or static, the rest kept.
    let [rw, rh] = params.render_size;
    let depth = ImageF32::from_fn(width, height, |x, y| {
        if x < rw && y < rh {
            let depth = load(frame.depth, x as i64, y as i64)[0];
            let motion = load(frame.motion, x as i64, y as i64);
            [encode_depth(depth, motion, params), 0.0, 0.0, 0.0]
        } else {
            load(&history.depth, x as i64, y as i64)
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

/// A depth history texel (`temporal_depth_history.wgsl`): the depth of a texel that was static
/// this frame (its motion under [`TemporalParams::static_motion`] display pixels), or
/// `-(depth + 1)` for one that moved; reverse-Z depth is in `[0, 1]`, so the sign is free.
fn encode_depth(depth: f32, motion: Rgba, params: &TemporalParams) -> f32 {
    let [dw, dh] = params.display_size;
    let speed = (motion[0] * dw as f32).hypot(motion[1] * dh as f32);
    if speed >= params.static_motion {
        -(depth + 1.0)
    } else {
        depth
    }
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

    fn inside_render(&self, i: [i64; 2]) -> bool {
        let r = self.render_size();
        (0..r[0]).contains(&i[0]) && (0..r[1]).contains(&i[1])
    }

    fn load_history(&self, i: [i64; 2]) -> Rgba {
        let [dw, dh] = self.params.display_size.map(i64::from);
        load(
            &self.history.color,
            i[0].clamp(0, dw - 1),
            i[1].clamp(0, dh - 1),
        )
    }

    /// `sample_history` of the shader: Catmull-Rom colour, bilinear confidence reduced by the
    /// blur of the resampling.
    fn sample_history(&self, position: [f32; 2]) -> [f32; 4] {
        let base = position.map(f32::floor);
        let t = [position[0] - base[0], position[1] - base[1]];
        let b = base.map(|v| v as i64);
        let weights = |t: f32| {
            [
                keys_weight(1.0 + t),
                keys_weight(t),
                keys_weight(1.0 - t),
                keys_weight(2.0 - t),
            ]
        };
        let (wx, wy) = (weights(t[0]), weights(t[1]));
        let mut color = [0.0; 3];
        for (j, wj) in (0_i64..).zip(wy) {
            let mut row = [0.0; 3];
            for (i, wi) in (0_i64..).zip(wx) {
                let e = self.load_history([b[0] + i - 1, b[1] + j - 1]);
                for c in 0..3 {
                    row[c] += wi * decode_channel(e[c]);
                }
            }
            for c in 0..3 {
                color[c] += wj * row[c];
            }
        }
        let c00 = self.load_history(b)[3];
        let c10 = self.load_history([b[0] + 1, b[1]])[3];
        let c01 = self.load_history([b[0], b[1] + 1])[3];
        let c11 = self.load_history([b[0] + 1, b[1] + 1])[3];
        let top = c00 + t[0] * (c10 - c00);
        let bottom = c01 + t[0] * (c11 - c01);
        let blur = 2.0 * (t[0] * (1.0 - t[0]) + t[1] * (1.0 - t[1]));
        let confidence =
            decode_confidence(top + t[1] * (bottom - top)) * (1.0 - RESAMPLE_DECAY * blur);
        [color[0], color[1], color[2], confidence]
    }

    /// `previous_depth` of the shader: the closest and the farthest previous depth of the 3x3
    /// and whether all of its texels were static (see [`encode_depth`]).
    fn previous_depth(&self, texel: [i64; 2]) -> (f32, f32, bool) {
        let r = self.render_size();
        let centre = [texel[0].clamp(0, r[0] - 1), texel[1].clamp(0, r[1] - 1)];
        let mut closest = 0.0_f32;
        let mut farthest = 2.0_f32;
        let mut all_static = true;
        for y in -1..=1 {
            for x in -1..=1 {
                let i = [centre[0] + x, centre[1] + y];
                if self.inside_render(i) {
                    let mut stored = load(&self.history.depth, i[0], i[1])[0];
                    if stored < 0.0 {
                        all_static = false;
                        stored = -stored - 1.0;
                    }
                    closest = closest.max(stored);
                    farthest = farthest.min(stored);
                }
            }
        }
        (closest, farthest, all_static)
    }

    /// One invocation of `resolve`: the output texel and the history texel.
    fn pixel(&self, x: u32, y: u32) -> (Rgba, Rgba) {
        let p = self.params;
        let render = p.render_size.map(|v| v as f32);
        let display = p.display_size.map(|v| v as f32);
        let scale = [display[0] / render[0], display[1] / render[1]];
        let centre = [x as f32 + 0.5, y as f32 + 0.5];
        let nearest = [
            centre[0] / scale[0] - p.jitter[0],
            centre[1] / scale[1] - p.jitter[1],
        ];
        let r = self.render_size();
        let base = [
            (nearest[0].floor() as i64).clamp(0, r[0] - 1),
            (nearest[1].floor() as i64).clamp(0, r[1] - 1),
        ];

        // 1. The 3x3 render neighbourhood.
        let mut colors = [[0.0_f32; 4]; 9];
        let mut distances = [0.0_f32; 9];
        let mut valid = [false; 9];
        let mut nearest_distance = 1e30_f32;
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
            let k = k as usize;
            valid[k] = self.inside_render(i);
            if !valid[k] {
                continue;
            }
            colors[k] = load(self.frame.color, i[0], i[1]);
            let offset = [
                ((i[0] as f32 + 0.5) + p.jitter[0]) * scale[0] - centre[0],
                ((i[1] as f32 + 0.5) + p.jitter[1]) * scale[1] - centre[1],
            ];
            distances[k] = offset[0] * offset[0] + offset[1] * offset[1];
            nearest_distance = nearest_distance.min(distances[k]);
            let ycocg = rgb_to_ycocg(rgb(colors[k]));
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
        let inv_two_sigma2 = 1.0 / (2.0 * SAMPLE_SIGMA * SAMPLE_SIGMA);
        let widest = scale[0].max(scale[1]);
        let inv_two_sigma2_wide = inv_two_sigma2 / (widest * widest);
        let mut weighted = [0.0_f32; 4];
        let mut weight_sum = 0.0_f32;
        let mut weighted_wide = [0.0_f32; 4];
        let mut weight_sum_wide = 0.0_f32;
        for k in 0..9 {
            if !valid[k] {
                continue;
            }
            let w = (-(distances[k] - nearest_distance) * inv_two_sigma2).exp();
            let w_wide = (-(distances[k] - nearest_distance) * inv_two_sigma2_wide).exp();
            for c in 0..4 {
                weighted[c] += w * colors[k][c];
                weighted_wide[c] += w_wide * colors[k][c];
            }
            weight_sum += w;
            weight_sum_wide += w_wide;
        }
        let current = weighted.map(|v| v / weight_sum);
        let spread = weighted_wide.map(|v| v / weight_sum_wide);
        let sample_weight = ((-nearest_distance * inv_two_sigma2).exp() * weight_sum).min(1.0);

        // 2. Reprojection with the closest texel's motion.
        let motion = load(self.frame.motion, closest_texel[0], closest_texel[1]);
        let previous_uv = [
            centre[0] / display[0] - motion[0],
            centre[1] / display[1] - motion[1],
        ];
        let mut history = [current[0], current[1], current[2], 0.0];
        let on_screen = previous_uv.iter().all(|uv| (0.0..=1.0).contains(uv));
        if !p.reset && on_screen {
            // 3. Disocclusion.
            let (before, before_far, all_static) = self.previous_depth([
                (previous_uv[0] * render[0]).floor() as i64,
                (previous_uv[1] * render[1]).floor() as i64,
            ]);
            let difference = (closest_depth - before).abs() / closest_depth.max(before).max(1e-6);
            let far_difference =
                (farthest_depth - before_far).abs() / farthest_depth.max(before_far).max(1e-6);
            let speed = (motion[0] * display[0]).hypot(motion[1] * display[1]);
            let unmoved = speed < p.static_motion && all_static;
            if difference <= p.depth_threshold || (unmoved && far_difference <= p.depth_threshold) {
                history = self.sample_history([
                    previous_uv[0] * display[0] - 0.5,
                    previous_uv[1] * display[1] - 0.5,
                ]);
            }
        }

        // 4. Rectification (static pixels too).
        let mut target = rgb_to_ycocg([history[0], history[1], history[2]]);
        for c in 0..3 {
            let mean = moment1[c] / count;
            let deviation = (moment2[c] / count - mean * mean).max(0.0).sqrt();
            let low = (mean - p.clip_gamma * deviation).max(lowest[c]);
            let high = (mean + p.clip_gamma * deviation).min(highest[c]);
            // WGSL `clamp(e, low, high)` is `min(max(e, low), high)`.
            target[c] = target[c].max(low).min(high);
        }
        let rectified = ycocg_to_rgb(target);
        let mut stillness = 0.0;
        if p.static_motion > 0.0 {
            let speed = (motion[0] * display[0]).hypot(motion[1] * display[1]);
            stillness = (1.0 - speed / p.static_motion).clamp(0.0, 1.0);
        }

        // 5. Accumulation.
        let confidence = history[3];
        let mut alpha = 1.0;
        let mut incoming = spread;
        if confidence > 0.0 {
            let trusted = confidence
                * (1.0 + STATIC_CONFIDENCE_GAIN * stillness * confidence / CONFIDENCE_MAX);
            alpha = (sample_weight / (trusted + sample_weight))
                .max(p.alpha_min * sample_weight * (1.0 - stillness));
            incoming = current;
        }
        let resolved =
            [0, 1, 2].map(|c| (rectified[c] + alpha * (incoming[c] - rectified[c])).max(0.0));
        let new_confidence = (confidence + sample_weight).min(CONFIDENCE_MAX);
        (
            [resolved[0], resolved[1], resolved[2], incoming[3]],
            [
                encode_channel(resolved[0]),
                encode_channel(resolved[1]),
                encode_channel(resolved[2]),
                encode_confidence(new_confidence),
            ],
        )
    }
}
