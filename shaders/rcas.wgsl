// RCAS, the sharpening pass of Kansei's spatial upscaler: a 5-tap unsharp mask whose strength is
// lowered per pixel so that no colour channel leaves the min/max of its five taps.
//
// The maths is defined once, in the docs of `kansei_upscale::spatial`
// (crates/kansei_upscale/src/spatial/mod.rs), and the CPU reference (spatial/rcas.rs) follows it
// operation for operation, including the order of additions, so the two agree to float rounding.

// Mirrors `GpuRcasParams` in crates/kansei_upscale/src/spatial/params.rs (16 bytes).
struct RcasParams {
    size: vec2<u32>,
    // The starting unsharp-mask amount, `rcas_amount(sharpness)`, computed on the host.
    amount: f32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> params: RcasParams;
@group(0) @binding(1) var source: texture_2d<f32>;
@group(0) @binding(2) var destination: texture_storage_2d<rgba32float, write>;

// Clamp to edge.
fn load_clamped(p: vec2<i32>) -> vec4<f32> {
    return textureLoad(source, clamp(p, vec2<i32>(0), vec2<i32>(params.size) - vec2<i32>(1)), 0);
}

@compute @workgroup_size(8, 8, 1)
fn rcas(@builtin(global_invocation_id) id: vec3<u32>) {
    // The dispatch rounds up to whole 8x8 workgroups; the extra invocations do nothing.
    if id.x >= params.size.x || id.y >= params.size.y {
        return;
    }
    let p = vec2<i32>(id.xy);
    let centre = load_clamped(p);
    // Above, left, right, below: the order every sum follows.
    var ring = array<vec4<f32>, 4>(
        load_clamped(p + vec2<i32>(0, -1)),
        load_clamped(p + vec2<i32>(-1, 0)),
        load_clamped(p + vec2<i32>(1, 0)),
        load_clamped(p + vec2<i32>(0, 1)),
    );
    var lo = centre;
    var hi = centre;
    // S = sum_k (n_k - e), per channel; zero exactly for a flat neighbourhood.
    var spread = vec4<f32>(0.0);
    for (var k = 0; k < 4; k++) {
        lo = min(lo, ring[k]);
        hi = max(hi, ring[k]);
        spread += ring[k] - centre;
    }
    // Lower the shared amount until no colour channel would leave its [lo, hi]. Alpha takes no
    // part: a constant alpha that varies by a rounding step (a resolve's weighted average of
    // opaque samples) would otherwise stop the sharpening of whichever pixels it lands on,
    // differently every frame.
    var amount = params.amount;
    for (var ch = 0; ch < 3; ch++) {
        if spread[ch] > 0.0 {
            amount = min(amount, 4.0 * (centre[ch] - lo[ch]) / spread[ch]);
        } else if spread[ch] < 0.0 {
            amount = min(amount, 4.0 * (hi[ch] - centre[ch]) / -spread[ch]);
        }
    }
    // The clamp only trims float rounding; the limit above already keeps the value inside.
    // Alpha passes through unsharpened.
    let sharpened = clamp(centre.xyz - 0.25 * amount * spread.xyz, lo.xyz, hi.xyz);
    textureStore(destination, id.xy, vec4<f32>(sharpened, centre.w));
}
