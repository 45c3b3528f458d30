//! Source positions and tap weights, shared by the CPU resampler and mirrored in
//! `shaders/resample.wgsl` (`source_position`, `nearest_index`, `keys_weight`, `sin_pi`,
//! `lanczos3_weight`, `tap_weights`).

use std::ops::Range;

use super::ResampleFilter;

/// The Keys kernel's free parameter; `-0.5` makes the cubic reproduce quadratics exactly.
pub const KEYS_A: f32 = -0.5;

/// Number of weight slots [`tap_weights`] returns: the taps at `base - 2 ..= base + 3`, enough
/// for Lanczos3's six taps. Slot `k` holds the weight of the tap at `base + k - 2`.
pub const TAP_SLOTS: usize = 6;

/// Slot of the tap at `base` itself, the reference every weighted sum is written relative to.
pub const BASE_SLOT: usize = 2;

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

/// The source pixel [`ResampleFilter::Nearest`] copies for output pixel `dst`:
/// `floor((dst + 0.5) * in_len / out_len)`, clamped to `in_len - 1`.
///
/// Computed as `floor((2 dst + 1) in_len / (2 out_len))` in integers, so it is exact (a sample
/// exactly half way between two pixel centres takes the right-hand one). `in_len` and `out_len`
/// must be non-zero.
pub fn nearest_index(dst: u32, in_len: u32, out_len: u32) -> u32 {
    let n = (2 * u64::from(dst) + 1) * u64::from(in_len);
    let index = n / (2 * u64::from(out_len));
    // Only reachable for `dst >= out_len`; the clamp keeps the function total. Lossless cast:
    // the value is below `in_len`.
    index.min(u64::from(in_len) - 1) as u32
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

/// `sin(pi * x)`, exactly `0.0` at every integer `x`.
///
/// Written out (argument reduction plus a degree-13 Taylor polynomial, truncation error below
/// `1e-9`) instead of calling `sin` so the CPU and WGSL get the same value: GPU `sin` is only
/// required to be accurate to about `2^-11` and varies between drivers.
pub fn sin_pi(x: f32) -> f32 {
    // x = n + r with n an integer and r in [-0.5, 0.5]; sin(pi x) = (-1)^n sin(pi r).
    // `floor(x + 0.5)` rather than `round` because WGSL's `round` breaks ties to even.
    let n = (x + 0.5).floor();
    let r = x - n;
    let a = std::f32::consts::PI * r;
    let z = a * a;
    let poly = 1.0
        + z * (-0.166_666_67
            + z * (0.008_333_334
                + z * (-1.984_127e-4
                    + z * (2.755_731_9e-6 + z * (-2.505_210_8e-8 + z * 1.605_904_4e-10)))));
    let value = a * poly;
    // n fits easily in i32 for every argument used here (|x| < 3).
    if (n as i32) & 1 == 1 { -value } else { value }
}

/// The Lanczos kernel with `a = 3`: `L(x) = sinc(x) sinc(x / 3)` for `|x| < 3`, else `0`, with
/// `sinc(x) = sin(pi x) / (pi x)` and `L(0) = 1`. Exactly `0.0` at every other integer.
pub fn lanczos3_weight(x: f32) -> f32 {
    if x == 0.0 {
        return 1.0;
    }
    if x.abs() >= 3.0 {
        return 0.0;
    }
    // sinc(x) sinc(x / 3) = 3 sin(pi x) sin(pi x / 3) / (pi^2 x^2).
    let pi2 = std::f32::consts::PI * std::f32::consts::PI;
    3.0 * sin_pi(x) * sin_pi(x / 3.0) / (pi2 * x * x)
}

impl ResampleFilter {
    /// The weight slots (see [`TAP_SLOTS`]) this filter reads: the taps it loads and sums.
    ///
    /// Bilinear and bicubic use the four taps `base - 1 ..= base + 2`, Lanczos3 all six, nearest
    /// the two it chooses between (the resamplers copy that pixel directly instead of summing).
    pub fn tap_slots(self) -> Range<usize> {
        match self {
            Self::Nearest => 2..4,
            Self::Bilinear | Self::Bicubic => 1..5,
            Self::Lanczos3 => 0..6,
        }
    }
}

/// Weights of the taps at `base - 2 ..= base + 3` (slot `k` is the tap at `base + k - 2`) for
/// fraction `t`; slots outside [`ResampleFilter::tap_slots`] are zero.
pub fn tap_weights(filter: ResampleFilter, t: f32) -> [f32; TAP_SLOTS] {
    match filter {
        // floor(base + t + 0.5) is base + 1 exactly when t >= 0.5.
        ResampleFilter::Nearest if t >= 0.5 => [0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
        ResampleFilter::Nearest => [0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
        ResampleFilter::Bilinear => [0.0, 0.0, 1.0 - t, t, 0.0, 0.0],
        ResampleFilter::Bicubic => [
            0.0,
            keys_weight(1.0 + t),
            keys_weight(t),
            keys_weight(1.0 - t),
            keys_weight(2.0 - t),
            0.0,
        ],
        ResampleFilter::Lanczos3 => lanczos3_tap_weights(t),
    }
}

/// The six Lanczos3 weights `L(t + 2), L(t + 1), L(t), L(t - 1), L(t - 2), L(t - 3)`, divided
/// by their sum so that they add up to 1 (the truncated sinc's own sum is only close to 1).
fn lanczos3_tap_weights(t: f32) -> [f32; TAP_SLOTS] {
    let mut weights = [0.0; TAP_SLOTS];
    let mut sum = 0.0;
    // The tap at base + j is `t - j` away from the sample; slot k holds j = k - 2.
    for (weight, j) in weights.iter_mut().zip(-2_i8..) {
        *weight = lanczos3_weight(t - f32::from(j));
        sum += *weight;
    }
    for weight in &mut weights {
        *weight /= sum;
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ResampleFilter; 4] = [
        ResampleFilter::Nearest,
        ResampleFilter::Bilinear,
        ResampleFilter::Bicubic,
        ResampleFilter::Lanczos3,
    ];

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
    fn nearest_index_matches_the_formula_and_the_weights() {
        for (in_len, out_len) in [
            (1, 1),
            (7, 513),
            (513, 7),
            (97, 61),
            (61, 97),
            (4, 8),
            (3, 9),
        ] {
            for dst in 0..out_len {
                let exact = (f64::from(dst) + 0.5) * f64::from(in_len) / f64::from(out_len);
                let index = nearest_index(dst, in_len, out_len);
                assert_eq!(index, exact.floor() as u32, "{dst} of {in_len}->{out_len}");
                // The one-hot weights pick the same pixel (before clamping to the image).
                let pos = source_position(dst, in_len, out_len);
                let weights = tap_weights(ResampleFilter::Nearest, pos.t);
                let slot = weights.iter().position(|&w| w == 1.0).unwrap_or(usize::MAX);
                assert_eq!(pos.base + slot as i64 - BASE_SLOT as i64, i64::from(index));
            }
        }
        // 2 -> 4 picks 0, 0, 1, 1; 3 -> 2 picks 0 and 2 (x = 0.75 and 2.25).
        let picks: Vec<u32> = (0..4).map(|x| nearest_index(x, 2, 4)).collect();
        assert_eq!(picks, [0, 0, 1, 1]);
        assert_eq!([nearest_index(0, 3, 2), nearest_index(1, 3, 2)], [0, 2]);
        // Past the end of the output, the index stays inside the source.
        assert_eq!(nearest_index(10, 3, 2), 2);
    }

    #[test]
    fn weights_sum_to_one() {
        for i in 0..=1000 {
            let t = i as f32 / 1000.0;
            for filter in ALL {
                let sum: f32 = tap_weights(filter, t).iter().sum();
                assert!((sum - 1.0).abs() < 1e-6, "{filter:?} t = {t}: sum = {sum}");
            }
        }
    }

    #[test]
    fn weights_outside_the_tap_slots_are_zero() {
        for i in 0..=100 {
            let t = i as f32 / 101.0;
            for filter in ALL {
                let weights = tap_weights(filter, t);
                for (k, weight) in weights.iter().enumerate() {
                    if !filter.tap_slots().contains(&k) {
                        assert_eq!(*weight, 0.0, "{filter:?} t = {t} slot {k}");
                    }
                }
            }
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
            [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
        );
    }

    #[test]
    fn sin_pi_is_accurate_and_exact_at_integers() {
        for k in -3..=3 {
            assert_eq!(sin_pi(k as f32), 0.0, "x = {k}");
            let half = k as f32 + 0.5;
            assert!((sin_pi(half).abs() - 1.0).abs() < 1e-6, "x = {half}");
        }
        for i in -3000..=3000 {
            let x = i as f32 / 1000.0;
            let expected = (std::f64::consts::PI * f64::from(x)).sin();
            let error = (f64::from(sin_pi(x)) - expected).abs();
            assert!(error < 5e-7, "x = {x}: error {error}");
        }
    }

    #[test]
    fn lanczos3_kernel_known_values() {
        // Interpolating, before any normalisation: 1 at 0 and exactly 0 at the other integers.
        assert_eq!(lanczos3_weight(0.0), 1.0);
        for x in [1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 3.5, -10.0] {
            assert_eq!(lanczos3_weight(x), 0.0, "L({x})");
        }
        // L(0.5) = sinc(0.5) sinc(1/6) = (2 / pi) * (sin(pi / 6) / (pi / 6)) = 6 / pi^2.
        let pi = std::f64::consts::PI;
        let expected = 6.0 / (pi * pi);
        assert!((f64::from(lanczos3_weight(0.5)) - expected).abs() < 1e-6);
        // The negative first side lobe: L(1.5) = sinc(1.5) sinc(0.5) = (-2 / (3 pi)) (2 / pi).
        let expected = -4.0 / (3.0 * pi * pi);
        assert!((f64::from(lanczos3_weight(-1.5)) - expected).abs() < 1e-6);
        // Symmetric, and matches the f64 definition everywhere in its support.
        for i in -300..=300 {
            let x = i as f32 / 100.0;
            assert_eq!(lanczos3_weight(x), lanczos3_weight(-x));
            let xd = f64::from(x);
            let sinc = |v: f64| {
                if v == 0.0 {
                    1.0
                } else {
                    (pi * v).sin() / (pi * v)
                }
            };
            let reference = if xd.abs() < 3.0 {
                sinc(xd) * sinc(xd / 3.0)
            } else {
                0.0
            };
            assert!(
                (f64::from(lanczos3_weight(x)) - reference).abs() < 1e-6,
                "x = {x}"
            );
        }
    }

    #[test]
    fn lanczos3_tap_weights_at_t_zero_pick_the_base_tap() {
        assert_eq!(
            tap_weights(ResampleFilter::Lanczos3, 0.0),
            [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
        );
        // At t = 0.5 the weights are symmetric about the middle of base and base + 1.
        let w = tap_weights(ResampleFilter::Lanczos3, 0.5);
        for k in 0..3 {
            assert!((w[k] - w[5 - k]).abs() < 1e-7, "{w:?}");
        }
        assert!(w[1] < 0.0 && w[0] > 0.0, "{w:?}");
    }
}
