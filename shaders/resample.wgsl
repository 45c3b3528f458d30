// Bilinear / bicubic (Keys, a = -0.5) resampling of an rgba32float image to any size.
//
// The maths is defined once, in the docs of `kansei_upscale::resample`
// (crates/kansei_upscale/src/resample/mod.rs). This shader and the CPU reference
// (resample/cpu.rs, resample/weights.rs) follow it operation for operation, including the order of
// additions, so the two agree to float rounding. Filtering is done here with `textureLoad` rather
// than a hardware sampler for the same reason: samplers round their weights to a few bits.

// Mirrors `GpuResampleParams` in crates/kansei_upscale/src/resample/gpu.rs (32 bytes).
struct ResampleParams {
    in_size: vec2<u32>,
    out_size: vec2<u32>,
    // FILTER_BILINEAR or FILTER_BICUBIC (`ResampleFilter::gpu_id`); `filter` is reserved in WGSL.
    filter_id: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

const FILTER_BILINEAR: u32 = 0u;
const FILTER_BICUBIC: u32 = 1u;
const KEYS_A: f32 = -0.5;

@group(0) @binding(0) var<uniform> params: ResampleParams;
@group(0) @binding(1) var source: texture_2d<f32>;
@group(0) @binding(2) var destination: texture_storage_2d<rgba32float, write>;

// Where an output pixel samples the source along one axis: sx = base + t, t in [0, 1).
struct SourcePosition {
    base: i32,
    t: f32,
}

// sx = (dst + 0.5) * in_len / out_len - 0.5 = n / d with n = (2 dst + 1) in_len - out_len and
// d = 2 out_len, split with integer division so `base` is exact. The host rejects sizes where
// (2 dst + 1) * in_len overflows u32.
fn source_position(dst: u32, in_len: u32, out_len: u32) -> SourcePosition {
    let scaled = (2u * dst + 1u) * in_len;
    let d = 2u * out_len;
    if scaled >= out_len {
        let n = scaled - out_len;
        return SourcePosition(i32(n / d), f32(n % d) / f32(d));
    }
    // n < 0 only for the first pixels of an upscale, and then -d < n < 0: floor is -1.
    return SourcePosition(-1, f32(d - (out_len - scaled)) / f32(d));
}

// Keys cubic convolution kernel W(x).
fn keys_weight(x: f32) -> f32 {
    let ax = abs(x);
    if ax <= 1.0 {
        return ((KEYS_A + 2.0) * ax - (KEYS_A + 3.0)) * ax * ax + 1.0;
    }
    if ax < 2.0 {
        return ((KEYS_A * ax - 5.0 * KEYS_A) * ax + 8.0 * KEYS_A) * ax - 4.0 * KEYS_A;
    }
    return 0.0;
}

// Weights of the taps at base - 1, base, base + 1, base + 2. Bilinear uses the same four-tap
// layout with zero outer weights so both filters share one code path.
fn tap_weights(t: f32) -> vec4<f32> {
    if params.filter_id == FILTER_BICUBIC {
        return vec4<f32>(keys_weight(1.0 + t), keys_weight(t), keys_weight(1.0 - t), keys_weight(2.0 - t));
    }
    return vec4<f32>(0.0, 1.0 - t, t, 0.0);
}

// Clamp to edge.
fn load_clamped(x: i32, y: i32) -> vec4<f32> {
    let last = vec2<i32>(params.in_size) - vec2<i32>(1);
    return textureLoad(source, clamp(vec2<i32>(x, y), vec2<i32>(0), last), 0);
}

// Horizontal pass over one source row: p_ref + sum_k w_k (p_k - p_ref), p_ref the tap at base.
fn filter_row(y: i32, column: SourcePosition, weights: vec4<f32>) -> vec4<f32> {
    let reference = load_clamped(column.base, y);
    var acc = reference;
    for (var k = 0; k < 4; k++) {
        acc += weights[k] * (load_clamped(column.base - 1 + k, y) - reference);
    }
    return acc;
}

@compute @workgroup_size(8, 8, 1)
fn resample(@builtin(global_invocation_id) id: vec3<u32>) {
    // The dispatch rounds up to whole 8x8 workgroups; the extra invocations do nothing.
    if id.x >= params.out_size.x || id.y >= params.out_size.y {
        return;
    }
    let column = source_position(id.x, params.in_size.x, params.out_size.x);
    let row = source_position(id.y, params.in_size.y, params.out_size.y);
    let column_weights = tap_weights(column.t);
    let row_weights = tap_weights(row.t);

    var rows: array<vec4<f32>, 4>;
    for (var k = 0; k < 4; k++) {
        rows[k] = filter_row(row.base - 1 + k, column, column_weights);
    }
    // Vertical pass over the four filtered rows, relative to the row at base (index 1).
    let reference = rows[1];
    var acc = reference;
    for (var k = 0; k < 4; k++) {
        acc += row_weights[k] * (rows[k] - reference);
    }
    textureStore(destination, id.xy, acc);
}
