// EASU, the edge-adaptive upscaling pass of Kansei's spatial upscaler: a 12-tap Lanczos-like
// kernel stretched along the local edge, clamped to the 4 nearest texels.
//
// The maths is defined once, in the docs of `kansei_upscale::spatial`
// (crates/kansei_upscale/src/spatial/mod.rs), and the CPU reference (spatial/easu.rs) follows it
// operation for operation, including the order of additions, so the two agree to float rounding.
// Texels are read with `textureLoad` (no sampler, no gather) for the same reason.
//
// Prepended at build time: shaders/common/sampling.wgsl (SourcePosition, source_position).

// Mirrors `GpuEasuParams` in crates/kansei_upscale/src/spatial/params.rs (16 bytes).
struct EasuParams {
    in_size: vec2<u32>,
    out_size: vec2<u32>,
}

// `EASU_MAX_STRETCH`, `EASU_LOBE_FLAT`, `EASU_LOBE_EDGE` in spatial/easu.rs.
const MAX_STRETCH: f32 = 1.5;
const LOBE_FLAT: f32 = 0.25;
const LOBE_EDGE: f32 = 0.75;
// Floor for (a + c)^2 in the coherence, so a flat area gives 0 instead of 0 / 0.
const MIN_ENERGY: f32 = 1e-30;

// The 12 taps, offsets from base: the 4x4 block -1..=2 without its corners, row by row
// (`EASU_FOOTPRINT`). Every sum visits them in this order.
const FOOTPRINT = array<vec2<i32>, 12>(
    vec2<i32>(0, -1), vec2<i32>(1, -1),
    vec2<i32>(-1, 0), vec2<i32>(0, 0), vec2<i32>(1, 0), vec2<i32>(2, 0),
    vec2<i32>(-1, 1), vec2<i32>(0, 1), vec2<i32>(1, 1), vec2<i32>(2, 1),
    vec2<i32>(0, 2), vec2<i32>(1, 2),
);

// F, G, J, K: the quad of texels nearest the sample.
const QUAD = array<vec2<i32>, 4>(vec2<i32>(0, 0), vec2<i32>(1, 0), vec2<i32>(0, 1), vec2<i32>(1, 1));

@group(0) @binding(0) var<uniform> params: EasuParams;
@group(0) @binding(1) var source: texture_2d<f32>;
@group(0) @binding(2) var destination: texture_storage_2d<rgba32float, write>;

// The footprint on a 4x4 grid, index (j + 1) * 4 + (i + 1); the corners are never read.
var<private> colors: array<vec4<f32>, 16>;
var<private> lumas: array<f32, 16>;

fn grid(offset: vec2<i32>) -> i32 {
    return (offset.y + 1) * 4 + (offset.x + 1);
}

fn color_at(i: i32, j: i32) -> vec4<f32> {
    return colors[grid(vec2<i32>(i, j))];
}

fn luma_at(i: i32, j: i32) -> f32 {
    return lumas[grid(vec2<i32>(i, j))];
}

// Luma for the edge analysis only.
fn luma(p: vec4<f32>) -> f32 {
    return 0.25 * p.r + 0.5 * p.g + 0.25 * p.b;
}

fn load_footprint(base: vec2<i32>) {
    let last = vec2<i32>(params.in_size) - vec2<i32>(1);
    // Local copies: only variables, not constant arrays, may be indexed dynamically everywhere.
    var footprint = FOOTPRINT;
    for (var n = 0; n < 12; n++) {
        let offset = footprint[n];
        let p = textureLoad(source, clamp(base + offset, vec2<i32>(0), last), 0);
        colors[grid(offset)] = p;
        lumas[grid(offset)] = luma(p);
    }
}

// The kernel's shape for one output pixel: the gradient direction as (cos 2theta, sin 2theta),
// `k` (how much along-edge distances shrink) and `lobe` (depth of the negative ring).
struct Kernel {
    cos2: f32,
    sin2: f32,
    k: f32,
    lobe: f32,
}

// Structure tensor of the F/G/J/K luma gradients with bilinear weights, its direction and
// coherence, and the kernel they select.
fn analyse(tx: f32, ty: f32) -> Kernel {
    var quad_weights = array<f32, 4>((1.0 - tx) * (1.0 - ty), tx * (1.0 - ty), (1.0 - tx) * ty, tx * ty);
    var quad = QUAD;
    var a = 0.0;
    var b = 0.0;
    var c = 0.0;
    for (var q = 0; q < 4; q++) {
        let i = quad[q].x;
        let j = quad[q].y;
        let w = quad_weights[q];
        // Central differences over the plus-shaped neighbours; all lie inside the footprint.
        let gx = luma_at(i + 1, j) - luma_at(i - 1, j);
        let gy = luma_at(i, j + 1) - luma_at(i, j - 1);
        a += w * (gx * gx);
        b += w * (gx * gy);
        c += w * (gy * gy);
    }
    let diff = a - c;
    let d = diff * diff + 4.0 * (b * b);
    let trace = a + c;
    let coherence = min(d / max(trace * trace, MIN_ENERGY), 1.0);
    var cos2 = 1.0;
    var sin2 = 0.0;
    if d > 0.0 {
        let inv = 1.0 / sqrt(d);
        cos2 = diff * inv;
        sin2 = (2.0 * b) * inv;
    }
    let stretch = 1.0 + (MAX_STRETCH - 1.0) * coherence;
    return Kernel(
        cos2,
        sin2,
        1.0 - 1.0 / (stretch * stretch),
        LOBE_FLAT + (LOBE_EDGE - LOBE_FLAT) * coherence,
    );
}

// Weight of a tap at (dx, dy) from the sample: the Lanczos-2-like window in the stretched
// squared distance s.
fn kernel_weight(kernel: Kernel, dx: f32, dy: f32) -> f32 {
    let along = 0.5
        * ((1.0 - kernel.cos2) * (dx * dx) - 2.0 * kernel.sin2 * (dx * dy)
            + (1.0 + kernel.cos2) * (dy * dy));
    let s = dx * dx + dy * dy - kernel.k * along;
    let q = 1.0 - 0.25 * s;
    let base = (1.0 - s) * (q * q);
    if s < 1.0 {
        return base;
    }
    if s < 4.0 {
        return kernel.lobe * base;
    }
    return 0.0;
}

@compute @workgroup_size(8, 8, 1)
fn easu(@builtin(global_invocation_id) id: vec3<u32>) {
    // The dispatch rounds up to whole 8x8 workgroups; the extra invocations do nothing.
    if id.x >= params.out_size.x || id.y >= params.out_size.y {
        return;
    }
    let column = source_position(id.x, params.in_size.x, params.out_size.x);
    let row = source_position(id.y, params.in_size.y, params.out_size.y);
    let tx = column.t;
    let ty = row.t;
    load_footprint(vec2<i32>(column.base, row.base));
    let kernel = analyse(tx, ty);

    let reference = color_at(0, 0);
    var acc = vec4<f32>(0.0);
    var weight_sum = 0.0;
    var footprint = FOOTPRINT;
    for (var n = 0; n < 12; n++) {
        let offset = footprint[n];
        let w = kernel_weight(kernel, f32(offset.x) - tx, f32(offset.y) - ty);
        weight_sum += w;
        acc += w * (colors[grid(offset)] - reference);
    }

    // Deringing: stay within the four nearest texels.
    var lo = reference;
    var hi = reference;
    var quad = QUAD;
    for (var q = 0; q < 4; q++) {
        let p = color_at(quad[q].x, quad[q].y);
        lo = min(lo, p);
        hi = max(hi, p);
    }
    textureStore(destination, id.xy, clamp(reference + acc / weight_sum, lo, hi));
}
