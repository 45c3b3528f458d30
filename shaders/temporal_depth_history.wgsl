// Second pass of the temporal resolve (crates/kansei_upscale/src/temporal): copies this frame's
// depth into the depth history after `temporal_resolve.wgsl` has read the previous frame's from
// it. A separate dispatch because one dispatch cannot both read the texture at reprojected
// positions and overwrite it; a copy command cannot do it either, because the renderer's depth
// is a depth format and the history is r32float. The history has one depth texture instead of a
// ping-pong pair to stay inside the memory budget (see the module docs).

//
// Each texel also records whether it moved this frame: a moving texel is stored as
// -(depth + 1) (reverse-Z depth is in [0, 1], so the sign is free), a static one as its depth.
// The resolve skips its disocclusion test where the pixel and the previous frame's texels around
// it were all static: nothing can have been uncovered there, while a wire thinner than a render
// pixel, in some frames' samples and not others, would otherwise make the closest depth jump
// and the history be dropped every few frames.

// Prepended at build time: shaders/common/temporal_params.wgsl (`TemporalParams`, the same
// buffer the resolve binds).

@group(0) @binding(0) var<uniform> params: TemporalParams;
@group(0) @binding(1) var depth_texture: texture_2d<f32>;
@group(0) @binding(2) var depth_history: texture_storage_2d<r32float, write>;
@group(0) @binding(3) var motion_texture: texture_2d<f32>;

@compute @workgroup_size(8, 8, 1)
fn store_depth(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.render_size.x || id.y >= params.render_size.y {
        return;
    }
    // `vec4<f32>(..)` accepts both declarations of `depth_texture`, as in `temporal_resolve.wgsl`.
    let depth = vec4<f32>(textureLoad(depth_texture, id.xy, 0)).x;
    let motion = textureLoad(motion_texture, id.xy, 0).xy;
    let speed = length(motion * vec2<f32>(params.display_size));
    var stored = depth;
    if speed >= params.static_motion {
        stored = -(depth + 1.0);
    }
    textureStore(depth_history, id.xy, vec4<f32>(stored, 0.0, 0.0, 0.0));
}
