// The depth history's encoding, written by temporal_depth_history.wgsl and read by
// temporal_resolve.wgsl; prepended to both at build time (crates/kansei_upscale/src/temporal/gpu.rs).
// The CPU twins are `pack_depth_pair` and `unpack_depth_pair` in
// crates/kansei_upscale/src/temporal/encoding.rs.
//
// One r32uint per render texel: the closest (largest reverse-Z) and the farthest depth of the 3x3
// around it, each as a 15-bit float (`depth_code`, closest in bits 0-14, farthest in bits
// 15-29), and MOVED_BIT when any texel of that 3x3 moved that frame.

const MOVED_BIT: u32 = 0x80000000u;

// A depth in [0, 2) as 15 bits: its f32 bits from 15 up (sign 0, the exponent's top bit 0
// below 2), that is the whole exponent and the top 8 bits of the mantissa, truncated. The
// disocclusion test compares relative differences against a threshold of several percent;
// this keeps them to 0.4% at every depth, where half precision would lose the far depths of
// reverse-Z (below 6e-5) and needs a capability (`pack2x16float`) some downlevel devices lack.
fn depth_code(depth: f32) -> u32 {
    return bitcast<u32>(depth) >> 15u;
}

// The closest and farthest depth of a stored texel, back to f32 (truncated by `depth_code`).
fn depth_pair(stored: u32) -> vec2<f32> {
    return vec2<f32>(bitcast<f32>((stored & 0x7fffu) << 15u), bitcast<f32>(stored & 0x3fff8000u));
}
