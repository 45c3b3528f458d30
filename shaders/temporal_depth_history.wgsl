// Second pass of the temporal resolve (crates/kansei_upscale/src/temporal): copies this frame's
// depth into the depth history after `temporal_resolve.wgsl` has read the previous frame's from
// it. A separate dispatch because one dispatch cannot both read the texture at reprojected
// positions and overwrite it; a copy command cannot do it either, because the renderer's depth
// is a depth format and the history is r32float. The history has one depth texture instead of a
// ping-pong pair to stay inside the memory budget (see the module docs).

// The first field of `TemporalParams` (temporal_resolve.wgsl); bound to the same buffer.
struct DepthHistoryParams {
    render_size: vec2<u32>,
}

@group(0) @binding(0) var<uniform> params: DepthHistoryParams;
@group(0) @binding(1) var depth_texture: texture_2d<f32>;
@group(0) @binding(2) var depth_history: texture_storage_2d<r32float, write>;

@compute @workgroup_size(8, 8, 1)
fn store_depth(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.render_size.x || id.y >= params.render_size.y {
        return;
    }
    // `vec4<f32>(..)` accepts both declarations of `depth_texture`, as in `temporal_resolve.wgsl`.
    let depth = vec4<f32>(textureLoad(depth_texture, id.xy, 0)).x;
    textureStore(depth_history, id.xy, vec4<f32>(depth, 0.0, 0.0, 0.0));
}
