//! The sub-pixel camera jitter sequence a temporal upscaler accumulates over.
//!
//! Halton(2, 3), the sequence DLSS and FSR 2 use: low-discrepancy in both axes, so any run of
//! consecutive frames covers the pixel evenly. The sequence repeats after
//! `ceil(8 * ratio^2)` phases, as FSR 2 recommends: at ratio `r` every display pixel needs about
//! `r^2` render samples, and 8 per display pixel is enough to converge.

use bevy::math::Vec2;

/// The radical inverse of `index` in `base`: `index`'s digits mirrored about the point.
///
/// `halton(1, 2) = 0.5`, `halton(2, 2) = 0.25`, `halton(1, 3) = 1/3`; always in `[0, 1)`.
pub fn halton(mut index: u32, base: u32) -> f32 {
    let base = base.max(2);
    let mut fraction = 1.0_f64;
    let mut result = 0.0_f64;
    while index > 0 {
        fraction /= f64::from(base);
        result += fraction * f64::from(index % base);
        index /= base;
    }
    result as f32
}

/// The number of phases of the jitter sequence at `ratio`: `ceil(8 * ratio^2)`, so 8 at native
/// resolution and 32 at 2x. `ratio` is clamped to `[1, 4]` first.
pub fn jitter_phase_count(ratio: f32) -> u32 {
    let ratio = if ratio.is_nan() {
        1.0
    } else {
        ratio.clamp(1.0, 4.0)
    };
    (8.0 * ratio * ratio).ceil() as u32
}

/// The jitter of frame `frame` at `ratio`, in render-resolution pixels, each axis in
/// `[-0.5, 0.5]`: the format of Bevy's `TemporalJitter::offset`.
///
/// Index 0 of Halton is skipped: it is `(0, 0)` for every base, which would put the same
/// sample on the pixel corner in each period.
pub fn jitter_offset(frame: u32, ratio: f32) -> Vec2 {
    let index = frame % jitter_phase_count(ratio) + 1;
    Vec2::new(halton(index, 2) - 0.5, halton(index, 3) - 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halton_radical_inverse() {
        let base2: Vec<f32> = (1..=4).map(|i| halton(i, 2)).collect();
        assert_eq!(base2, [0.5, 0.25, 0.75, 0.125]);
        let base3: Vec<f32> = (1..=4).map(|i| halton(i, 3)).collect();
        let want = [1.0 / 3.0, 2.0 / 3.0, 1.0 / 9.0, 4.0 / 9.0];
        for (got, want) in base3.iter().zip(want) {
            assert!((got - want).abs() < 1e-7, "{got} vs {want}");
        }
        assert_eq!(halton(0, 2), 0.0);
    }

    #[test]
    fn phase_count_is_ceil_of_8_ratio_squared() {
        assert_eq!(jitter_phase_count(1.0), 8);
        assert_eq!(jitter_phase_count(1.5), 18);
        assert_eq!(jitter_phase_count(1.7), 24);
        assert_eq!(jitter_phase_count(2.0), 32);
        assert_eq!(jitter_phase_count(3.0), 72);
        assert_eq!(jitter_phase_count(4.0), 128);
        assert_eq!(jitter_phase_count(10.0), 128);
        assert_eq!(jitter_phase_count(f32::NAN), 8);
    }

    #[test]
    fn offsets_stay_in_half_a_pixel_and_repeat_each_period() {
        for ratio in [1.0, 1.5, 1.7, 2.0, 3.0] {
            let phases = jitter_phase_count(ratio);
            let period: Vec<Vec2> = (0..phases).map(|f| jitter_offset(f, ratio)).collect();
            for offset in &period {
                assert!(offset.x.abs() <= 0.5 && offset.y.abs() <= 0.5, "{offset}");
            }
            // No sample repeats within a period.
            for (i, a) in period.iter().enumerate() {
                for b in &period[i + 1..] {
                    assert!(a.distance(*b) > 1e-4, "{a} repeats at ratio {ratio}");
                }
            }
            // The next period starts over, and the samples are centred on the pixel.
            assert_eq!(jitter_offset(phases, ratio), period[0]);
            assert_eq!(jitter_offset(3 * phases + 5, ratio), period[5]);
            let mean = period.iter().copied().sum::<Vec2>() / phases as f32;
            assert!(
                mean.abs().max_element() < 0.07,
                "mean {mean} at ratio {ratio}"
            );
        }
    }
}
