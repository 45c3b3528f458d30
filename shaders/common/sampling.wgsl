// Shared by every shader that maps output pixels onto a source image: resample.wgsl, easu.wgsl
// and upscale_net_fused.wgsl. WGSL has no includes, so the crates prepend this file to those
// shaders when they embed them (`kansei_upscale::gpu::shader_with_common!`): one definition, so
// the bicubic of the resampler, of EASU's positions and of the network's base cannot drift apart.
// The maths is defined in the docs of `kansei_upscale::resample`; the CPU reference follows it
// operation for operation.

// Keys cubic convolution parameter (bicubic as in MATLAB's imresize and most SR papers).
const KEYS_A: f32 = -0.5;

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

// Keys cubic convolution kernel K(x).
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
