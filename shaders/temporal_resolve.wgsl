// Temporal resolve: one display-resolution frame from a jittered render-resolution frame plus the
// history (crates/kansei_upscale/src/temporal, whose module docs define the maths). The CPU
// reference (temporal/cpu.rs) follows this file operation for operation, loop order included, so
// the two agree to float rounding; every filter uses `textureLoad`, never a hardware sampler,
// because samplers round their weights to a few bits.
//
// Prepended at build time: shaders/common/temporal_params.wgsl (`TemporalParams`,
// `inside_render`) and shaders/common/temporal_depth.wgsl (the depth history's encoding).


// Gaussian standard deviation of a current-frame sample's weight, in display pixels.
const SAMPLE_SIGMA: f32 = 0.35;
// Fraction of the history's confidence lost when it is resampled half-way between texels.
const RESAMPLE_DECAY: f32 = 0.35;
// The history's confidence is stored in the upper 7 bits of its alpha in steps of
// 1 / CONFIDENCE_STEPS, so it saturates at 127 / CONFIDENCE_STEPS = 31.75 frames' worth of
// centred samples.
const CONFIDENCE_STEPS: f32 = 4.0;
const CONFIDENCE_MAX: f32 = 31.75;
// A static pixel's confidence counts up to 1 + STATIC_CONFIDENCE_GAIN times more at the cap.
const STATIC_CONFIDENCE_GAIN: f32 = 15.0;
// Colour stored in the history is clamped to [0, COLOR_MAX] before its perceptual encoding.
const COLOR_MAX: f32 = 64.0;
// A static pixel keeps its history unclipped as far as the history's local mean luma agrees
// with this frame's: fully when equal, not at all when they differ by this fraction.
const STATIC_AGREEMENT: f32 = 0.5;
// ... plus this many times the 3x3's luma deviation: on a high-contrast texture the two means
// differ by sampling alone, by up to about the deviation.
const AGREEMENT_DEVIATION: f32 = 2.0;
// The clip is undone on a static pixel unless its disagreement (above, scaled so that 1 means
// no trust) exceeded this in the previous frame too: aliasing disagrees in scattered frames, a
// change of lighting in every frame from the one it starts in.
const DISAGREEMENT_PERSISTS: f32 = 0.3;

// The learned blend (crates/kansei_upscale/src/temporal/blend_net.rs): a 10-8-2 MLP that
// corrects the rule's trust (step 5) and alpha (step 6) per pixel with history. As written here
// there is none; `with_blend_net` replaces the block between the markers with the trained
// network's weights written into the code when the pipeline is built.
// BEGIN BLEND_NET
const BLEND_NET: bool = false;
fn blend_corrections(a: vec4<f32>, b: vec4<f32>, c: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(0.0);
}
// END BLEND_NET

@group(0) @binding(0) var<uniform> params: TemporalParams;
@group(0) @binding(1) var color_texture: texture_2d<f32>;
@group(0) @binding(2) var depth_texture: texture_2d<f32>;
@group(0) @binding(3) var motion_texture: texture_2d<f32>;
@group(0) @binding(4) var history_in: texture_2d<f32>;
@group(0) @binding(5) var depth_history: texture_2d<u32>;
@group(0) @binding(6) var history_out: texture_storage_2d<rgba8unorm, write>;
@group(0) @binding(7) var output: texture_storage_2d<rgba32float, write>;

// History colour encoding: e = sqrt(c / (1 + c)), an invertible tone curve (Reinhard) followed
// by a gamma-2 curve, so 8 bits go where the eye sees steps; quantised here, explicitly, so the
// stored value is exactly k / 255 and the unorm conversion of the store cannot round it.
fn encode_channel(c: f32) -> f32 {
    let x = clamp(c, 0.0, COLOR_MAX);
    return floor(sqrt(x / (1.0 + x)) * 255.0 + 0.5) / 255.0;
}

// The history's alpha holds the confidence in steps of 1 / CONFIDENCE_STEPS in its upper 7 bits
// and, in its lowest, whether the pixel's static clip test disagreed in the frame that wrote it
// (see DISAGREEMENT_PERSISTS).
fn alpha_code(a: f32) -> u32 {
    return u32(floor(a * 255.0 + 0.5));
}

fn decode_channel(e: f32) -> f32 {
    let y = e * e;
    return y / max(1.0 - y, 1.0 / 256.0);
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

// The four Catmull-Rom (Keys, a = -0.5) weights of the texels at -1, 0, 1, 2 from a position
// `t` in [0, 1) past texel 0, as polynomials in `t` (keys_weight(1 + t), keys_weight(t), ...);
// they sum to 1.
fn catmull_rom_weights(t: f32) -> vec4<f32> {
    let t2 = t * t;
    return vec4<f32>(
        t * (t * (1.0 - 0.5 * t) - 0.5),
        t2 * (1.5 * t - 2.5) + 1.0,
        t * (t * (2.0 - 1.5 * t) + 0.5),
        t2 * (0.5 * t - 0.5)
    );
}

// A history sample: the resampled colour and confidence, and the plain mean colour of the 4x4
// texels it was filtered from (the history's local mean, for the static agreement test).
struct HistorySample {
    color: vec4<f32>,
    area: vec3<f32>,
    disagreed: bool,
}

// Catmull-Rom over the 4x4 history texels around `position` (display pixels, texel centres at
// integers), rows then columns, on the *encoded* colour, decoded once: a filter in the
// perceptual encoding costs one decode instead of sixteen and rings less on HDR edges. `.w` is
// the confidence, interpolated bilinearly over the inner 2x2 so it cannot overshoot, then
// reduced by the blur. The 4x4's plain mean is decoded too.
fn sample_history(position: vec2<f32>) -> HistorySample {
    let base = floor(position);
    let t = position - base;
    let b = vec2<i32>(base);
    let last = vec2<i32>(params.display_size) - vec2<i32>(1);
    // The clamped columns and rows, once for all sixteen taps.
    let xs = clamp(vec4<i32>(b.x) + vec4<i32>(-1, 0, 1, 2), vec4<i32>(0), vec4<i32>(last.x));
    let ys = clamp(vec4<i32>(b.y) + vec4<i32>(-1, 0, 1, 2), vec4<i32>(0), vec4<i32>(last.y));
    let wx = catmull_rom_weights(t.x);
    let wy = catmull_rom_weights(t.y);
    var encoded = vec3<f32>(0.0);
    var sum = vec3<f32>(0.0);
    for (var j = 0; j < 4; j++) {
        var row = vec3<f32>(0.0);
        for (var i = 0; i < 4; i++) {
            let e = textureLoad(history_in, vec2<i32>(xs[i], ys[j]), 0).xyz;
            row += wx[i] * e;
            sum += e;
        }
        encoded += wy[j] * row;
    }
    // The cubic overshoots at edges; the encoding's domain is [0, 1].
    let e = clamp(encoded, vec3<f32>(0.0), vec3<f32>(1.0));
    let color = vec3<f32>(decode_channel(e.x), decode_channel(e.y), decode_channel(e.z));
    let c00 = textureLoad(history_in, vec2<i32>(xs[1], ys[1]), 0).w;
    let c10 = textureLoad(history_in, vec2<i32>(xs[2], ys[1]), 0).w;
    let c01 = textureLoad(history_in, vec2<i32>(xs[1], ys[2]), 0).w;
    let c11 = textureLoad(history_in, vec2<i32>(xs[2], ys[2]), 0).w;
    let top = c00 + t.x * (c10 - c00);
    let bottom = c01 + t.x * (c11 - c01);
    // Each resampling between texel centres blurs the history a little more, so a history that
    // keeps moving must keep being refreshed: its confidence shrinks with the blur, which is
    // 0 on a texel centre and 1 half-way between centres on both axes.
    let blur = 2.0 * (t.x * (1.0 - t.x) + t.y * (1.0 - t.y));
    // The interpolated code is 2 k + f with f the interpolated flags (0 to 1): a quarter step
    // below half of it rounds to k on a texel centre whatever the flag.
    let confidence = floor((top + t.y * (bottom - top)) * 127.5 + 0.25) / CONFIDENCE_STEPS * (1.0 - RESAMPLE_DECAY * blur);
    let mean = sum * (1.0 / 16.0);
    let area = vec3<f32>(decode_channel(mean.x), decode_channel(mean.y), decode_channel(mean.z));
    return HistorySample(vec4<f32>(color, confidence), area, (alpha_code(c00) & 1u) == 1u);
}

// Gaussian weights exp(-d^2 / (2 sigma^2)) of the three sample columns (or rows) of the 3x3
// around the nearest sample, from their display-pixel offsets to the pixel centre, relative to
// the middle one, the nearest (which weighs 1, so no sum can underflow); `inv_two_sigma2` is
// 1 / (2 sigma^2).
fn axis_weights(offsets: vec3<f32>, inv_two_sigma2: f32) -> vec3<f32> {
    let d2 = offsets * offsets;
    return exp(-(d2 - vec3<f32>(d2.y)) * inv_two_sigma2);
}

@compute @workgroup_size(8, 8, 1)
fn resolve(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.display_size.x || id.y >= params.display_size.y {
        return;
    }
    let render = vec2<f32>(params.render_size);
    let display = vec2<f32>(params.display_size);
    let scale = display / render;
    let last = vec2<i32>(params.render_size) - vec2<i32>(1);
    let centre = vec2<f32>(id.xy) + 0.5;
    // The render texel whose sample lies nearest the pixel centre (texel i's sample lies at
    // i + 0.5 + jitter), clamped into the frame.
    let base = clamp(vec2<i32>(floor(centre / scale - params.jitter)), vec2<i32>(0), last);

    // This frame's samples are weighted by a Gaussian of their distance to the pixel centre in
    // display pixels. The weight is separable, exp(-(dx^2 + dy^2) / 2 sigma^2) = wx * wy, so
    // three exps per axis serve the nine samples of the 3x3.
    let offset_x = (vec3<f32>(f32(base.x)) + vec3<f32>(-0.5, 0.5, 1.5) + params.jitter.x) * scale.x - centre.x;
    let offset_y = (vec3<f32>(f32(base.y)) + vec3<f32>(-0.5, 0.5, 1.5) + params.jitter.y) * scale.y - centre.y;
    let inv_two_sigma2 = 1.0 / (2.0 * SAMPLE_SIGMA * SAMPLE_SIGMA);
    let wx = axis_weights(offset_x, inv_two_sigma2);
    let wy = axis_weights(offset_y, inv_two_sigma2);

    // 1. The 3x3 render neighbourhood of the nearest sample: colour moments and min/max box
    // in YCoCg, closest and farthest depth, and the weighted sum of the samples.
    var moment1 = vec3<f32>(0.0);
    var moment2 = vec3<f32>(0.0);
    var lowest = vec3<f32>(1e30);
    var highest = vec3<f32>(-1e30);
    var count = 0.0;
    var closest_depth = -1.0;
    var farthest_depth = 2.0;
    var closest_texel = base;
    var weighted = vec4<f32>(0.0);
    var weight_sum = 0.0;
    for (var k = 0; k < 9; k++) {
        let i = base + vec2<i32>(k % 3 - 1, k / 3 - 1);
        if !inside_render(i) {
            continue;
        }
        let color = textureLoad(color_texture, i, 0);
        let w = wx[k % 3] * wy[k / 3];
        weighted += w * color;
        weight_sum += w;
        let ycocg = rgb_to_ycocg(color.xyz);
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
    // 2. This frame's estimate, and its weight: the relative sum times the nearest sample's own
    // weight.
    let current = weighted / weight_sum;
    let nearest2 = offset_x.y * offset_x.y + offset_y.y * offset_y.y;
    let sample_weight = min(exp(-nearest2 * inv_two_sigma2) * weight_sum, 1.0);

    // 3. Reprojection with the motion of the closest texel (dilated motion vectors).
    let motion = textureLoad(motion_texture, closest_texel, 0).xy;
    let previous_uv = centre / display - motion;
    var history = vec4<f32>(current.xyz, 0.0);
    var history_area = vec3<f32>(0.0);
    var disagreed_before = false;
    let on_screen = all(previous_uv >= vec2<f32>(0.0)) && all(previous_uv <= vec2<f32>(1.0));
    let speed = length(motion * display);
    if params.reset == 0u && on_screen {
        // 4. Disocclusion: the closest depth of the previous frame's 3x3 around the previous
        // position (stored per texel by temporal_depth_history.wgsl) must agree with the
        // closest depth here, relative to the larger of the two.
        // Where the pixel and the previous texels around it were all static, the closest depths
        // may differ only because a sub-pixel wire was in one frame's samples and not the
        // other's: there the history goes only if the farthest depths differ too (something
        // that covered the whole neighbourhood is gone without motion vectors, a despawn).
        let previous_texel = clamp(vec2<i32>(floor(previous_uv * render)), vec2<i32>(0), last);
        let stored = textureLoad(depth_history, previous_texel, 0).x;
        let before = depth_pair(stored);
        let difference = abs(closest_depth - before.x) / max(max(closest_depth, before.x), 1e-6);
        let far_difference = abs(farthest_depth - before.y)
            / max(max(farthest_depth, before.y), 1e-6);
        let unmoved = speed < params.static_motion && (stored & MOVED_BIT) == 0u;
        if difference <= params.depth_threshold
            || (unmoved && far_difference <= params.depth_threshold) {
            let resampled = sample_history(previous_uv * display - 0.5);
            history = resampled.color;
            history_area = resampled.area;
            disagreed_before = resampled.disagreed;
        }
    }

    // 5. Rectification: clamp the history into the neighbourhood's variance box in YCoCg,
    // intersected with its min/max box.
    let mean = moment1 / count;
    let deviation = sqrt(max(moment2 / count - mean * mean, vec3<f32>(0.0)));
    let low = max(mean - params.clip_gamma * deviation, lowest);
    let high = min(mean + params.clip_gamma * deviation, highest);
    var stillness = 0.0;
    if params.static_motion > 0.0 {
        stillness = clamp(1.0 - speed / params.static_motion, 0.0, 1.0);
    }
    let history_ycocg = rgb_to_ycocg(history.xyz);
    var clipped = clamp(history_ycocg, low, high);
    let confidence = history.w;
    var alpha = 1.0;
    var incoming = current;
    var disagrees = false;
    if confidence > 0.0 {
        // A static pixel's history holds detail this frame's 3x3 may have missed: a wire or a
        // texel of a fine texture that only some jitter phases sample. Clipping it to this
        // frame's box erases that detail in every frame that misses it. But a light or shadow
        // changing on a static surface changes its colour without motion vectors, and only the
        // clip follows it. The two differ in area: a change of lighting moves the history's
        // local mean (its 4x4) away from this frame's 3x3 mean, missed detail barely does. So
        // the clip is undone in proportion to how well the two means agree, per YCoCg channel
        // (a change of colour at the same brightness disagrees too), the largest difference
        // counting: relative to the brighter luma (plus 0.01 so that near-black areas do not
        // divide by zero) plus the channel's deviation, which sampling alone moves them by.
        let area = rgb_to_ycocg(history_area);
        let area_luma = area.x;
        let tolerance = STATIC_AGREEMENT * (max(area_luma, mean.x) + 0.01);
        let scaled = abs(area - mean) / (vec3<f32>(tolerance) + AGREEMENT_DEVIATION * deviation);
        let disagreement = max(scaled.x, max(scaled.y, scaled.z));
        disagrees = disagreement > DISAGREEMENT_PERSISTS;
        var trust = stillness;
        if disagreed_before {
            trust = stillness * clamp(1.0 - disagreement, 0.0, 1.0);
        }
        // 6. Accumulation; static pixels drop the alpha_min floor and average longer. A
        // converged static pixel averages over up to 16x the stored confidence (about 500
        // frames' worth), so the jitter phases' different samples of a fine texture, or of a
        // sub-pixel wire, each move it only a little.
        let trusted = confidence
            * (1.0 + STATIC_CONFIDENCE_GAIN * stillness * confidence / CONFIDENCE_MAX);
        alpha = max(
            sample_weight / (trusted + sample_weight),
            params.alpha_min * sample_weight * (1.0 - stillness)
        );
        if BLEND_NET {
            // The network's inputs (BlendInputs::features in temporal/cpu.rs), then the rule's
            // two choices, which it corrects.
            let luma_floor = mean.x + 0.01;
            let moved = history_ycocg - clipped;
            let clip_moved = abs(moved.x) + abs(moved.y) + abs(moved.z);
            let current_luma = rgb_to_ycocg(current.xyz).x;
            let d = blend_corrections(
                vec4<f32>(
                    stillness,
                    confidence / CONFIDENCE_MAX,
                    sample_weight,
                    clip_moved / luma_floor
                ),
                vec4<f32>(
                    abs(area_luma - mean.x) / (max(area_luma, mean.x) + 0.01),
                    deviation.x / luma_floor,
                    min(speed / 8.0, 1.0),
                    abs(current_luma - history_ycocg.x)
                        / (max(current_luma, history_ycocg.x) + 0.01)
                ),
                vec2<f32>(trust, alpha)
            );
            trust = clamp(trust + d.x, 0.0, 1.0);
            alpha = clamp(alpha + d.y, 0.0, 1.0);
        }
        clipped += trust * (history_ycocg - clipped);
    } else {
        // Without history a pixel has only this frame, whose samples are a render pixel apart:
        // the kernel widened by the scale interpolates between them instead of picking the
        // nearest. Computed only here, so a converged frame does not pay for it.
        let widest = max(scale.x, scale.y);
        let inv_two_sigma2_wide = inv_two_sigma2 / (widest * widest);
        let wide_x = axis_weights(offset_x, inv_two_sigma2_wide);
        let wide_y = axis_weights(offset_y, inv_two_sigma2_wide);
        var spread = vec4<f32>(0.0);
        var spread_sum = 0.0;
        for (var k = 0; k < 9; k++) {
            let i = base + vec2<i32>(k % 3 - 1, k / 3 - 1);
            if !inside_render(i) {
                continue;
            }
            let w = wide_x[k % 3] * wide_y[k / 3];
            spread += w * textureLoad(color_texture, i, 0);
            spread_sum += w;
        }
        incoming = spread / spread_sum;
    }
    let rectified = ycocg_to_rgb(clipped);
    let resolved = max(rectified + alpha * (incoming.xyz - rectified), vec3<f32>(0.0));
    let new_confidence = min(confidence + sample_weight, CONFIDENCE_MAX);

    textureStore(output, id.xy, vec4<f32>(resolved, incoming.w));
    textureStore(history_out, id.xy, vec4<f32>(
        encode_channel(resolved.x),
        encode_channel(resolved.y),
        encode_channel(resolved.z),
        (2.0 * floor(new_confidence * CONFIDENCE_STEPS + 0.5) + select(0.0, 1.0, disagrees)) / 255.0
    ));
}
