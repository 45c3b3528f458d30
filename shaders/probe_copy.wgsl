// A copy of the top-left texels of any float, depth or motion texture into an rgba32float
// storage texture, for reading back textures that the renderer made without COPY_SRC (Bevy's
// prepass depth and motion vectors, the upscaler's intermediate). Used by the quality harness's
// resolve check (crates/kansei_upscale/src/scene_bench/probe.rs); the harness rewrites the
// source declaration to `texture_depth_2d` for a depth texture, whose `textureLoad` gives an
// f32 that `vec4<f32>(..)` splats.

@group(0) @binding(0) var source: texture_2d<f32>;
@group(0) @binding(1) var copy: texture_storage_2d<rgba32float, write>;

@compute @workgroup_size(8, 8, 1)
fn copy_texels(@builtin(global_invocation_id) id: vec3<u32>) {
    if any(id.xy >= textureDimensions(copy)) {
        return;
    }
    textureStore(copy, id.xy, vec4<f32>(textureLoad(source, vec2<i32>(id.xy), 0)));
}
