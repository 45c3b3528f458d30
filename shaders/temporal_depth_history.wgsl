// Second pass of the temporal resolve (crates/kansei_upscale/src/temporal): stores, for every
// render texel, what the next frame's disocclusion test needs from this frame's 3x3 around it,
// after `temporal_resolve.wgsl` has read the previous frame's. A separate dispatch because one
// dispatch cannot both read the texture at reprojected positions and overwrite it. The history
// has one depth texture instead of a ping-pong pair to stay inside the memory budget (see the
// module docs).
//
// The moved flag lets the resolve skip its disocclusion test where the pixel and the previous
// frame's texels around it were all static: nothing can have been uncovered there, while a wire
// thinner than a render pixel, in some frames' samples and not others, would otherwise make the
// closest depth jump and the history be dropped every few frames. Taking the 3x3 here, once per
// render texel, rather than in the resolve, once per display pixel, is what keeps the resolve's
// test to one load.

// Prepended at build time: shaders/common/temporal_params.wgsl (`TemporalParams`, the same
// buffer the resolve binds, and `inside_render`) and shaders/common/temporal_depth.wgsl (the
// encoding, `depth_code`, `MOVED_BIT`).

@group(0) @binding(0) var<uniform> params: TemporalParams;
@group(0) @binding(1) var depth_texture: texture_2d<f32>;
@group(0) @binding(2) var depth_history: texture_storage_2d<r32uint, write>;
@group(0) @binding(3) var motion_texture: texture_2d<f32>;

@compute @workgroup_size(8, 8, 1)
fn store_depth(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.render_size.x || id.y >= params.render_size.y {
        return;
    }
    let display = vec2<f32>(params.display_size);
    // A texel moved when its motion reaches `static_motion` display pixels (compared squared).
    let static2 = params.static_motion * params.static_motion;
    var closest = 0.0;
    var farthest = 2.0;
    var moved = 0u;
    for (var k = 0; k < 9; k++) {
        let i = vec2<i32>(id.xy) + vec2<i32>(k % 3 - 1, k / 3 - 1);
        if !inside_render(i) {
            continue;
        }
        // `vec4<f32>(..)` accepts both declarations of `depth_texture`, as in
        // `temporal_resolve.wgsl`.
        let depth = vec4<f32>(textureLoad(depth_texture, i, 0)).x;
        closest = max(closest, depth);
        farthest = min(farthest, depth);
        let motion = textureLoad(motion_texture, i, 0).xy * display;
        if dot(motion, motion) >= static2 {
            moved = MOVED_BIT;
        }
    }
    // Depth is never negative; the clamp keeps a bad input from setting the flag bits.
    let packed = depth_code(closest) | (depth_code(max(farthest, 0.0)) << 15u) | moved;
    textureStore(depth_history, id.xy, vec4<u32>(packed, 0u, 0u, 0u));
}
