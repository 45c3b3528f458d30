//! Source positions and tap weights, shared by the CPU resampler and mirrored in
//! `shaders/resample.wgsl` (`source_axis`, `keys`, `tap_weights`).

use super::ResampleFilter;

/// The Keys kernel's free parameter; `-0.5` makes the cubic reproduce quadratics exactly.
pub const KEYS_A: f32 = -0.5;

/// Where one output pixel samples the source along one axis: `sx = base + t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourcePosition {
    /// `floor(sx)`; `-1` for the first output pixel of most upscales, never below.
    pub base: i64,
    /// `sx - base`, in `[0, 1)`.
    pub t: f32,
}

/// Source position of output pixel `dst` when `in_len` pixels are resampled to `out_len`:
/// `sx = (dst + 0.5) * in_len / out_len - 0.5`, computed from integers so `base` is exact.
///
/// `out_len` must be non-zero (checked by every caller before any pixel is computed).
pub fn source_position(dst: u32, in_len: u32, out_len: u32) -> SourcePosition {
    // sx = n / d with n = (2 dst + 1) in - out and d = 2 out; i64 cannot overflow for u32 inputs.
    let n = (2 * i64::from(dst) + 1) * i64::from(in_len) - i64::from(out_len);
    let d = 2 * i64::from(out_len);
    SourcePosition {
        base: n.div_euclid(d),
        // Both are exact in f32 while below 2^24 (images up to ~8 million pixels per side).
        t: n.rem_euclid(d) as f32 / d as f32,
    }
}

/// The Keys cubic convolution kernel `W(x)` with `a = KEYS_A`.
pub fn keys_weight(x: f32) -> f32 {
    let ax = x.abs();
    if ax <= 1.0 {
        ((KEYS_A + 2.0) * ax - (KEYS_A + 3.0)) * ax * ax + 1.0
    } else if ax < 2.0 {
        ((KEYS_A * ax - 5.0 * KEYS_A) * ax + 8.0 * KEYS_A) * ax - 4.0 * KEYS_A
    } else {
        0.0
    }
}

/// Weights of the taps at `base - 1, base, base + 1, base + 2` for fraction `t`.
pub fn tap_weights(filter: ResampleFilter, t: f32) -> [f32; 4] {
    match filter {
        ResampleFilter::Bilinear => [0.0, 1.0 - t, t, 0.0],
        ResampleFilter::Bicubic => [
            keys_weight(1.0 + t),
            keys_weight(t),
            keys_weight(1.0 - t),
            keys_weight(2.0 - t),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_one_lands_on_pixel_centres() {
        for x in 0..7 {
            assert_eq!(
                source_position(x, 7, 7),
                SourcePosition {
                    base: i64::from(x),
                    t: 0.0
                }
            );
        }
    }

    #[test]
    fn source_position_matches_the_formula() {
        for (in_len, out_len) in [(1, 1), (7, 513), (513, 7), (97, 61), (61, 97), (4, 8)] {
            for dst in 0..out_len {
                let sx = (f64::from(dst) + 0.5) * f64::from(in_len) / f64::from(out_len) - 0.5;
                let pos = source_position(dst, in_len, out_len);
                assert_eq!(pos.base, sx.floor() as i64, "{dst} of {in_len}->{out_len}");
                assert!((0.0..1.0).contains(&pos.t));
                assert!((f64::from(pos.t) - (sx - sx.floor())).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn first_pixel_of_an_upscale_starts_left_of_the_image() {
        // 2 -> 4: sx = 0.5 * 2 / 4 - 0.5 = -0.25 = -1 + 0.75.
        assert_eq!(
            source_position(0, 2, 4),
            SourcePosition { base: -1, t: 0.75 }
        );
    }

    #[test]
    fn keys_weights_sum_to_one() {
        for i in 0..=1000 {
            let t = i as f32 / 1000.0;
            let sum: f32 = tap_weights(ResampleFilter::Bicubic, t).iter().sum();
            assert!((sum - 1.0).abs() < 1e-6, "t = {t}: sum = {sum}");
            let sum: f32 = tap_weights(ResampleFilter::Bilinear, t).iter().sum();
            assert!((sum - 1.0).abs() < 1e-6, "t = {t}: sum = {sum}");
        }
    }

    #[test]
    fn keys_kernel_known_values() {
        // Interpolating: 1 at 0, 0 at the other integers.
        assert_eq!(keys_weight(0.0), 1.0);
        assert_eq!(keys_weight(1.0), 0.0);
        assert_eq!(keys_weight(-1.0), 0.0);
        assert_eq!(keys_weight(2.0), 0.0);
        assert_eq!(keys_weight(3.5), 0.0);
        // Hand-computed: W(0.5) = 1.5/8 - 2.5/4 + 1 = 0.5625; W(1.5) = -0.0625 (the overshoot lobe).
        assert_eq!(keys_weight(0.5), 0.5625);
        assert_eq!(keys_weight(1.5), -0.0625);
        assert_eq!(keys_weight(-1.5), -0.0625);
        // At t = 0 the weights pick exactly the base tap.
        assert_eq!(
            tap_weights(ResampleFilter::Bicubic, 0.0),
            [0.0, 1.0, 0.0, 0.0]
        );
    }
}
