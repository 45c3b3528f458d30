// Temporal resolve: one display-resolution frame from a jittered render-resolution frame plus the
// history (crates/kansei_upscale/src/temporal, whose module docs define the maths). The CPU
// reference (temporal/cpu.rs) follows this file operation for operation, loop order included, so
// the two agree to float rounding; every filter uses `textureLoad`, never a hardware sampler,
// because samplers round their weights to a few bits.
//
// Prepended at build time: shaders/common/temporal_params.wgsl (`TemporalParams`) and
// shaders/common/sampling.wgsl (keys_weight, the Catmull-Rom kernel: Keys with a = -0.5).


// Gaussian standard deviation of a current-frame sample's weight, in display pixels.
const SAMPLE_SIGMA: f32 = 0.35;
// Fraction of the history's confidence lost when it is resampled half-way between texels.
const RESAMPLE_DECAY: f32 = 0.35;
// The history's confidence is stored in its 8-bit alpha in steps of 1 / CONFIDENCE_STEPS, so it
// saturates at 255 / CONFIDENCE_STEPS = 31.875 frames' worth of centred samples.
const CONFIDENCE_STEPS: f32 = 8.0;
const CONFIDENCE_MAX: f32 = 31.875;
// A static pixel's confidence counts up to 1 + STATIC_CONFIDENCE_GAIN times more at the cap.
const STATIC_CONFIDENCE_GAIN: f32 = 3.0;
// Colour stored in the history is clamped to [0, COLOR_MAX] before its perceptual encoding.
const COLOR_MAX: f32 = 64.0;

@group(0) @binding(0) var<uniform> params: TemporalParams;
@group(0) @binding(1) var color_texture: texture_2d<f32>;
@group(0) @binding(2) var depth_texture: texture_2d<f32>;
@group(0) @binding(3) var motion_texture: texture_2d<f32>;
@group(0) @binding(4) var history_in: texture_2d<f32>;
@group(0) @binding(5) var depth_history: texture_2d<f32>;
@group(0) @binding(6) var history_out: texture_storage_2d<rgba8unorm, write>;
@group(0) @binding(7) var output: texture_storage_2d<rgba32float, write>;

// History colour encoding: e = sqrt(c / (1 + c)), an invertible tone curve (Reinhard) followed
// by a gamma-2 curve, so 8 bits go where the eye sees steps; quantised here, explicitly, so the
// stored value is exactly k / 255 and the unorm conversion of the store cannot round it.
fn encode_channel(c: f32) -> f32 {
    let x = clamp(c, 0.0, COLOR_MAX);
    return floor(sqrt(x / (1.0 + x)) * 255.0 + 0.5) / 255.0;
}

fn decode_channel(e: f32) -> f32 {
    let y = e * e;
    return y / max(1.0 - y, 1.0 / 256.0);
}

fn decode_color(e: vec4<f32>) -> vec3<f32> {
    return vec3<f32>(decode_channel(e.x), decode_channel(e.y), decode_channel(e.z));
}

fn rgb_to_ycocg(c: vec3<f32>) -> vec3<f32> {
    return vec3<f32>(
        0.25 * c.x + 0.5 * c.y + 0.25 * c.z,
        0.5 * c.x - 0.5 * c.z,
        -0.25 * c.x + 0.5 * c.y - 0.25 * c.z
    );
}

fn ycocg_to_rgb(c: vec3<f32>) -> vec3<f32> {
    return vec3<f32>(c.x + c.y - c.z, c.x + c.z, c.x - c.y - c.z);
}

fn inside_render(i: vec2<i32>) -> bool {
    return all(i >= vec2<i32>(0)) && all(i < vec2<i32>(params.render_size));
}

fn load_history(i: vec2<i32>) -> vec4<f32> {
    let last = vec2<i32>(params.display_size) - vec2<i32>(1);
    return textureLoad(history_in, clamp(i, vec2<i32>(0), last), 0);
}

// Catmull-Rom (Keys, a = -0.5) over the 4x4 history texels around `position` (display pixels,
// texel centres at integers), rows then columns, on decoded colour. `.w` is the confidence,
// interpolated bilinearly over the inner 2x2 so it cannot overshoot, then reduced by the blur.
fn sample_history(position: vec2<f32>) -> vec4<f32> {
    let base = floor(position);
    let t = position - base;
    let b = vec2<i32>(base);
    let wx = array<f32, 4>(keys_weight(1.0 + t.x), keys_weight(t.x), keys_weight(1.0 - t.x), keys_weight(2.0 - t.x));
    let wy = array<f32, 4>(keys_weight(1.0 + t.y), keys_weight(t.y), keys_weight(1.0 - t.y), keys_weight(2.0 - t.y));
    var color = vec3<f32>(0.0);
    for (var j = 0; j < 4; j++) {
        var row = vec3<f32>(0.0);
        for (var i = 0; i < 4; i++) {
            row += wx[i] * decode_color(load_history(b + vec2<i32>(i - 1, j - 1)));
        }
        color += wy[j] * row;
    }
    let c00 = load_history(b).w;
    let c10 = load_history(b + vec2<i32>(1, 0)).w;
    let c01 = load_history(b + vec2<i32>(0, 1)).w;
    let c11 = load_history(b + vec2<i32>(1, 1)).w;
    let top = c00 + t.x * (c10 - c00);
    let bottom = c01 + t.x * (c11 - c01);
    // Each resampling between texel centres blurs the history a little more, so a history that
    // keeps moving must keep being refreshed: its confidence shrinks with the blur, which is
    // 0 on a texel centre and 1 half-way between centres on both axes.
    let blur = 2.0 * (t.x * (1.0 - t.x) + t.y * (1.0 - t.y));
    let confidence = floor((top + t.y * (bottom - top)) * 255.0 + 0.5) / CONFIDENCE_STEPS * (1.0 - RESAMPLE_DECAY * blur);
    return vec4<f32>(color, confidence);
}

// The closest (largest reverse-Z) depth of the previous frame in the 3x3 render texels around
// `texel`, which is clamped into the render rectangle.
// The closest and the farthest previous depth in the 3x3 render texels around `texel`, and 1.0
// if every one of them was static in the previous frame (0.0 otherwise); see
// temporal_depth_history.wgsl for the encoding.
fn previous_depth(texel: vec2<i32>) -> vec3<f32> {
    let last = vec2<i32>(params.render_size) - vec2<i32>(1);
    let centre = clamp(texel, vec2<i32>(0), last);
    var closest = 0.0;
    var farthest = 2.0;
    var all_static = 1.0;
    for (var y = -1; y <= 1; y++) {
        for (var x = -1; x <= 1; x++) {
            let i = centre + vec2<i32>(x, y);
            if inside_render(i) {
                var stored = textureLoad(depth_history, i, 0).x;
                if stored < 0.0 {
                    all_static = 0.0;
                    stored = -stored - 1.0;
                }
                closest = max(closest, stored);
                farthest = min(farthest, stored);
            }
        }
    }
    return vec3<f32>(closest, farthest, all_static);
}

@compute @workgroup_size(8, 8, 1)
fn resolve(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.display_size.x || id.y >= params.display_size.y {
        return;
    }
    let render = vec2<f32>(params.render_size);
    let display = vec2<f32>(params.display_size);
    let scale = display / render;
    let centre = vec2<f32>(id.xy) + 0.5;
    // The render texel whose sample lies nearest the pixel centre, clamped into the frame.
    let nearest = (centre / scale) - params.jitter;
    let base = clamp(vec2<i32>(floor(nearest)), vec2<i32>(0), vec2<i32>(params.render_size) - vec2<i32>(1));

    // 1. The 3x3 render neighbourhood: sample distances, colour moments, closest depth.
    var colors: array<vec4<f32>, 9>;
    var distances: array<f32, 9>;
    var valid: array<bool, 9>;
    var nearest_distance = 1e30;
    var moment1 = vec3<f32>(0.0);
    var moment2 = vec3<f32>(0.0);
    var lowest = vec3<f32>(1e30);
    var highest = vec3<f32>(-1e30);
    var count = 0.0;
    var closest_depth = -1.0;
    var farthest_depth = 2.0;
    var closest_texel = base;
    for (var k = 0; k < 9; k++) {
        let i = base + vec2<i32>(k % 3 - 1, k / 3 - 1);
        valid[k] = inside_render(i);
        if !valid[k] {
            continue;
        }
        colors[k] = textureLoad(color_texture, i, 0);
        let offset = (vec2<f32>(i) + 0.5 + params.jitter) * scale - centre;
        distances[k] = dot(offset, offset);
        nearest_distance = min(nearest_distance, distances[k]);
        let ycocg = rgb_to_ycocg(colors[k].xyz);
        moment1 += ycocg;
        moment2 += ycocg * ycocg;
        lowest = min(lowest, ycocg);
        highest = max(highest, ycocg);
        count += 1.0;
        // `vec4<f32>(..)` accepts both declarations of `depth_texture` (see
        // `gpu::with_depth_texture`): a vec4 from `texture_2d<f32>`, a splatted f32 from
        // `texture_depth_2d`.
        let depth = vec4<f32>(textureLoad(depth_texture, i, 0)).x;
        farthest_depth = min(farthest_depth, depth);
        if depth > closest_depth {
            closest_depth = depth;
            closest_texel = i;
        }
    }
    // Weights relative to the nearest sample's, so their sum is at least 1 whatever the scale;
    // the absolute weight of the frame is that sum times the nearest sample's weight.
    // Without history a pixel has only this frame, whose samples are a render pixel apart: the
    // kernel widened by the scale interpolates between them instead of picking the nearest.
    let inv_two_sigma2 = 1.0 / (2.0 * SAMPLE_SIGMA * SAMPLE_SIGMA);
    let widest = max(scale.x, scale.y);
    let inv_two_sigma2_wide = inv_two_sigma2 / (widest * widest);
    var weighted = vec4<f32>(0.0);
    var weight_sum = 0.0;
    var weighted_wide = vec4<f32>(0.0);
    var weight_sum_wide = 0.0;
    for (var k = 0; k < 9; k++) {
        if !valid[k] {
            continue;
        }
        let w = exp(-(distances[k] - nearest_distance) * inv_two_sigma2);
        weighted += w * colors[k];
        weight_sum += w;
        let w_wide = exp(-(distances[k] - nearest_distance) * inv_two_sigma2_wide);
        weighted_wide += w_wide * colors[k];
        weight_sum_wide += w_wide;
    }
    let current = weighted / weight_sum;
    let spread = weighted_wide / weight_sum_wide;
    let sample_weight = min(exp(-nearest_distance * inv_two_sigma2) * weight_sum, 1.0);

    // 2. Reprojection with the motion of the closest texel (dilated motion vectors).
    let motion = textureLoad(motion_texture, closest_texel, 0).xy;
    let previous_uv = centre / display - motion;
    var history = vec4<f32>(current.xyz, 0.0);
    let on_screen = all(previous_uv >= vec2<f32>(0.0)) && all(previous_uv <= vec2<f32>(1.0));
    if params.reset == 0u && on_screen {
        // 3. Disocclusion: the closest depth around the previous position must agree with the
        // closest depth here, relative to the larger of the two.
        // Where the pixel and the previous texels around it were all static, the closest depths
        // may differ only because a sub-pixel wire was in one frame's samples and not the
        // other's: there the history goes only if the farthest depths differ too (something
        // that covered the whole neighbourhood is gone without motion vectors, a despawn).
        let previous = previous_depth(vec2<i32>(floor(previous_uv * render)));
        let before = previous.x;
        let difference = abs(closest_depth - before) / max(max(closest_depth, before), 1e-6);
        let far_difference = abs(farthest_depth - previous.y)
            / max(max(farthest_depth, previous.y), 1e-6);
        let speed = length(motion * display);
        let unmoved = speed < params.static_motion && previous.z > 0.5;
        if difference <= params.depth_threshold
            || (unmoved && far_difference <= params.depth_threshold) {
            history = sample_history(previous_uv * display - 0.5);
        }
    }

    // 4. Rectification: clamp the history into the neighbourhood's variance box in YCoCg,
    // intersected with its min/max box. Static pixels are clamped too: a moving shadow or
    // light on a static surface changes its colour without any motion vector.
    let mean = moment1 / count;
    let deviation = sqrt(max(moment2 / count - mean * mean, vec3<f32>(0.0)));
    let low = max(mean - params.clip_gamma * deviation, lowest);
    let high = min(mean + params.clip_gamma * deviation, highest);
    let rectified = ycocg_to_rgb(clamp(rgb_to_ycocg(history.xyz), low, high));
    var stillness = 0.0;
    if params.static_motion > 0.0 {
        let speed = length(motion * display);
        stillness = clamp(1.0 - speed / params.static_motion, 0.0, 1.0);
    }

    // 5. Accumulation; static pixels drop the alpha_min floor and average longer.
    let confidence = history.w;
    var alpha = 1.0;
    var incoming = spread;
    if confidence > 0.0 {
        // A converged static pixel averages over up to 4x the stored confidence (128 frames'
        // worth), so samples that hit a sub-pixel wire in a few phases only move it a little.
        let trusted = confidence
            * (1.0 + STATIC_CONFIDENCE_GAIN * stillness * confidence / CONFIDENCE_MAX);
        alpha = max(
            sample_weight / (trusted + sample_weight),
            params.alpha_min * sample_weight * (1.0 - stillness)
        );
        incoming = current;
    }
    let resolved = max(rectified + alpha * (incoming.xyz - rectified), vec3<f32>(0.0));
    let new_confidence = min(confidence + sample_weight, CONFIDENCE_MAX);

    textureStore(output, id.xy, vec4<f32>(resolved, incoming.w));
    textureStore(history_out, id.xy, vec4<f32>(
        encode_channel(resolved.x),
        encode_channel(resolved.y),
        encode_channel(resolved.z),
        floor(new_confidence * CONFIDENCE_STEPS + 0.5) / 255.0
    ));
}
