// Nearest, bilinear, bicubic (Keys, a = -0.5) and Lanczos3 resampling of an rgba32float image to
// any size.
//
// The maths is defined once, in the docs of `kansei_upscale::resample`
// (crates/kansei_upscale/src/resample/mod.rs). This shader and the CPU reference
// (resample/cpu.rs, resample/weights.rs) follow it operation for operation, including the order of
// additions, so the two agree to float rounding. Filtering is done here with `textureLoad` rather
// than a hardware sampler for the same reason: samplers round their weights to a few bits. For
// the same reason again `sin` is a written-out polynomial (`sin_pi`): GPU `sin` is only required
// to be accurate to about 2^-11.
//
// Prepended at build time: shaders/common/sampling.wgsl (KEYS_A, SourcePosition, source_position,
// keys_weight).

// Mirrors `GpuResampleParams` in crates/kansei_upscale/src/resample/gpu.rs (32 bytes).
struct ResampleParams {
    in_size: vec2<u32>,
    out_size: vec2<u32>,
    // One of the FILTER_* constants (`ResampleFilter::gpu_id`); `filter` is reserved in WGSL.
    filter_id: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

const FILTER_BILINEAR: u32 = 0u;
const FILTER_BICUBIC: u32 = 1u;
const FILTER_NEAREST: u32 = 2u;
const FILTER_LANCZOS3: u32 = 3u;
const PI: f32 = 3.14159265358979;

// Six weight slots: slot k holds the tap at base + k - 2. BASE_SLOT is the tap at base.
const TAP_SLOTS: i32 = 6;
const BASE_SLOT: i32 = 2;

@group(0) @binding(0) var<uniform> params: ResampleParams;
@group(0) @binding(1) var source: texture_2d<f32>;
@group(0) @binding(2) var destination: texture_storage_2d<rgba32float, write>;

// floor((dst + 0.5) * in_len / out_len) in integers, clamped into the source.
fn nearest_index(dst: u32, in_len: u32, out_len: u32) -> u32 {
    return min((2u * dst + 1u) * in_len / (2u * out_len), in_len - 1u);
}

// sin(pi x), exactly 0 at integers: x = n + r, r in [-0.5, 0.5], (-1)^n times a degree-13
// Taylor polynomial of sin(pi r). floor(x + 0.5) because `round` breaks ties to even.
fn sin_pi(x: f32) -> f32 {
    let n = floor(x + 0.5);
    let r = x - n;
    let a = PI * r;
    let z = a * a;
    let poly = 1.0
        + z * (-0.16666667
            + z * (0.008333334
                + z * (-1.984127e-4
                    + z * (2.7557319e-6 + z * (-2.5052108e-8 + z * 1.6059044e-10)))));
    let value = a * poly;
    if (i32(n) & 1) == 1 {
        return -value;
    }
    return value;
}

// Lanczos kernel, a = 3: sinc(x) sinc(x / 3) on |x| < 3.
fn lanczos3_weight(x: f32) -> f32 {
    if x == 0.0 {
        return 1.0;
    }
    if abs(x) >= 3.0 {
        return 0.0;
    }
    let pi2 = PI * PI;
    return 3.0 * sin_pi(x) * sin_pi(x / 3.0) / (pi2 * x * x);
}

// Weights of the taps at base - 2 ..= base + 3 (slot k is base + k - 2).
fn tap_weights(t: f32) -> array<f32, 6> {
    if params.filter_id == FILTER_LANCZOS3 {
        var weights: array<f32, 6>;
        var sum = 0.0;
        for (var k = 0; k < TAP_SLOTS; k++) {
            weights[k] = lanczos3_weight(t - f32(k - BASE_SLOT));
            sum += weights[k];
        }
        for (var k = 0; k < TAP_SLOTS; k++) {
            weights[k] /= sum;
        }
        return weights;
    }
    if params.filter_id == FILTER_BICUBIC {
        return array<f32, 6>(0.0, keys_weight(1.0 + t), keys_weight(t), keys_weight(1.0 - t), keys_weight(2.0 - t), 0.0);
    }
    return array<f32, 6>(0.0, 0.0, 1.0 - t, t, 0.0, 0.0);
}

// The slots a filter reads: [first, last). Lanczos3 uses all six, the others base - 1 ..= base + 2.
fn first_slot() -> i32 {
    return select(1, 0, params.filter_id == FILTER_LANCZOS3);
}

fn end_slot() -> i32 {
    return select(5, 6, params.filter_id == FILTER_LANCZOS3);
}

// Clamp to edge.
fn load_clamped(x: i32, y: i32) -> vec4<f32> {
    let last = vec2<i32>(params.in_size) - vec2<i32>(1);
    return textureLoad(source, clamp(vec2<i32>(x, y), vec2<i32>(0), last), 0);
}

// Horizontal pass over one source row: p_ref + sum_k w_k (p_k - p_ref), p_ref the tap at base.
fn filter_row(y: i32, column: SourcePosition, weights: array<f32, 6>) -> vec4<f32> {
    // A local copy: only variables, not array values, may be indexed dynamically everywhere.
    var w = weights;
    let reference = load_clamped(column.base, y);
    var acc = reference;
    for (var k = first_slot(); k < end_slot(); k++) {
        acc += w[k] * (load_clamped(column.base + k - BASE_SLOT, y) - reference);
    }
    return acc;
}

@compute @workgroup_size(8, 8, 1)
fn resample(@builtin(global_invocation_id) id: vec3<u32>) {
    // The dispatch rounds up to whole 8x8 workgroups; the extra invocations do nothing.
    if id.x >= params.out_size.x || id.y >= params.out_size.y {
        return;
    }
    if params.filter_id == FILTER_NEAREST {
        // A plain copy of one texel, so nearest is exact.
        let column = nearest_index(id.x, params.in_size.x, params.out_size.x);
        let row = nearest_index(id.y, params.in_size.y, params.out_size.y);
        textureStore(destination, id.xy, textureLoad(source, vec2<u32>(column, row), 0));
        return;
    }
    let column = source_position(id.x, params.in_size.x, params.out_size.x);
    let row = source_position(id.y, params.in_size.y, params.out_size.y);
    let column_weights = tap_weights(column.t);
    var row_weights = tap_weights(row.t);

    var rows: array<vec4<f32>, 6>;
    for (var k = first_slot(); k < end_slot(); k++) {
        rows[k] = filter_row(row.base + k - BASE_SLOT, column, column_weights);
    }
    // Vertical pass over the filtered rows, relative to the row at base.
    let reference = rows[BASE_SLOT];
    var acc = reference;
    for (var k = first_slot(); k < end_slot(); k++) {
        acc += row_weights[k] * (rows[k] - reference);
    }
    textureStore(destination, id.xy, acc);
}
