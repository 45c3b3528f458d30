// The uniform block both temporal shaders bind (temporal_resolve.wgsl and
// temporal_depth_history.wgsl bind the same buffer, each as `params`), and the render-rectangle
// test both use; prepended to each at build time (crates/kansei_upscale/src/temporal/gpu.rs).

// Mirrors `GpuTemporalParams` in crates/kansei_upscale/src/temporal/params.rs (48 bytes).
struct TemporalParams {
    render_size: vec2<u32>,
    display_size: vec2<u32>,
    // Render texel i was sampled at scene position i + 0.5 + jitter (render pixels).
    jitter: vec2<f32>,
    alpha_min: f32,
    depth_threshold: f32,
    clip_gamma: f32,
    // 1: ignore the history (camera cut, resize, first frame).
    reset: u32,
    // Display pixels per frame below which a pixel counts as static (0: none does).
    static_motion: f32,
    _pad0: u32,
}

// Whether render texel `i` lies inside the render rectangle (`params` is each shader's binding).
fn inside_render(i: vec2<i32>) -> bool {
    return all(i >= vec2<i32>(0)) && all(i < vec2<i32>(params.render_size));
}
