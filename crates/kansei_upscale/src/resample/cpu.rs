//! The CPU reference resampler: the definition in the module docs, written plainly.

use std::ops::Range;

use super::weights::{
    BASE_SLOT, SourcePosition, TAP_SLOTS, nearest_index, source_position, tap_weights,
};
use super::{ResampleError, ResampleFilter};
use crate::image::{ImageF32, Rgba};

/// Resamples `input` to `out_width x out_height` with `filter` (see the
/// [module docs](crate::resample) for the exact definition).
pub fn resample_cpu(
    input: &ImageF32,
    out_width: u32,
    out_height: u32,
    filter: ResampleFilter,
) -> Result<ImageF32, ResampleError> {
    if out_width == 0 || out_height == 0 {
        return Err(ResampleError::EmptyOutput {
            width: out_width,
            height: out_height,
        });
    }
    let pixels = if filter == ResampleFilter::Nearest {
        nearest(input, out_width, out_height)
    } else {
        weighted(input, out_width, out_height, filter)
    };
    // `pixels` holds exactly out_width * out_height entries and both sides are non-zero.
    ImageF32::new(out_width, out_height, pixels).map_err(|_| ResampleError::EmptyOutput {
        width: out_width,
        height: out_height,
    })
}

/// Nearest neighbour: a plain copy of the chosen source pixel, so values are exact.
fn nearest(input: &ImageF32, out_width: u32, out_height: u32) -> Vec<Rgba> {
    let columns: Vec<i64> = (0..out_width)
        .map(|x| i64::from(nearest_index(x, input.width(), out_width)))
        .collect();
    let mut pixels = Vec::with_capacity(columns.len() * out_height as usize);
    for y in 0..out_height {
        let row = i64::from(nearest_index(y, input.height(), out_height));
        pixels.extend(columns.iter().map(|&column| input.get_clamped(column, row)));
    }
    pixels
}

/// The separable weighted filters: bilinear, bicubic, Lanczos3.
fn weighted(
    input: &ImageF32,
    out_width: u32,
    out_height: u32,
    filter: ResampleFilter,
) -> Vec<Rgba> {
    let slots = filter.tap_slots();
    // Per-column positions and weights are the same for every row; compute them once.
    let columns: Vec<(SourcePosition, [f32; TAP_SLOTS])> = (0..out_width)
        .map(|x| {
            let pos = source_position(x, input.width(), out_width);
            (pos, tap_weights(filter, pos.t))
        })
        .collect();

    let mut rows = [[0.0; 4]; TAP_SLOTS];
    let mut pixels = Vec::with_capacity(columns.len() * out_height as usize);
    for y in 0..out_height {
        let row_pos = source_position(y, input.height(), out_height);
        let row_weights = tap_weights(filter, row_pos.t);
        for &(col_pos, col_weights) in &columns {
            for k in slots.clone() {
                let row = row_pos.base + slot_offset(k);
                rows[k] = combine(&col_weights, slots.clone(), |j| {
                    input.get_clamped(col_pos.base + slot_offset(j), row)
                });
            }
            pixels.push(combine(&row_weights, slots.clone(), |j| rows[j]));
        }
    }
    pixels
}

/// Offset from `base` of the tap in weight slot `k`.
fn slot_offset(k: usize) -> i64 {
    k as i64 - BASE_SLOT as i64
}

/// One 1D filter step over the taps in `slots`: `p_ref + sum_k w_k (p_k - p_ref)` with
/// `p_ref = tap(BASE_SLOT)`, channel by channel, `k` ascending.
fn combine(weights: &[f32; TAP_SLOTS], slots: Range<usize>, tap: impl Fn(usize) -> Rgba) -> Rgba {
    let reference = tap(BASE_SLOT);
    let mut acc = reference;
    for k in slots {
        let p = tap(k);
        for c in 0..4 {
            acc[c] += weights[k] * (p[c] - reference[c]);
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::ImageError;

    const FILTERS: [ResampleFilter; 4] = [
        ResampleFilter::Nearest,
        ResampleFilter::Bilinear,
        ResampleFilter::Bicubic,
        ResampleFilter::Lanczos3,
    ];

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn ramp(width: u32, height: u32) -> Result<ImageF32, ImageError> {
        ImageF32::from_fn(width, height, |x, y| {
            [
                x as f32 * 0.1,
                y as f32 * 0.05,
                x as f32 * 0.02 - y as f32 * 0.03,
                1.0,
            ]
        })
    }

    #[test]
    fn constant_image_is_reproduced_exactly() -> TestResult {
        let value = [0.3, -1.7, 12.5, 0.9];
        let input = ImageF32::filled(13, 7, value)?;
        for filter in FILTERS {
            for (w, h) in [(1, 1), (5, 3), (13, 7), (40, 21), (97, 61)] {
                let out = resample_cpu(&input, w, h, filter)?;
                assert!(
                    out.pixels().iter().all(|&p| p == value),
                    "{filter:?} {w}x{h}"
                );
            }
        }
        Ok(())
    }

    #[test]
    fn scale_one_is_the_identity() -> TestResult {
        let input = ImageF32::from_fn(9, 5, |x, y| {
            [(x * 7 + y * 3) as f32 % 5.0, x as f32, -(y as f32), 0.25]
        })?;
        for filter in FILTERS {
            assert_eq!(resample_cpu(&input, 9, 5, filter)?, input, "{filter:?}");
        }
        Ok(())
    }

    #[test]
    fn linear_ramp_is_reproduced_in_the_interior() -> TestResult {
        // Bilinear and bicubic reproduce linear functions wherever no tap is clamped at the
        // edge (nearest does not interpolate; normalised Lanczos3 only approximately).
        let (in_w, in_h) = (16, 9);
        let input = ramp(in_w, in_h)?;
        for filter in [ResampleFilter::Bilinear, ResampleFilter::Bicubic] {
            // Taps reach 1 pixel left / 2 right for bicubic; bilinear only needs base, base + 1.
            let margin = if filter == ResampleFilter::Bicubic {
                1
            } else {
                0
            };
            let (out_w, out_h) = (37, 23);
            let out = resample_cpu(&input, out_w, out_h, filter)?;
            let mut checked = 0;
            for y in 0..out_h {
                for x in 0..out_w {
                    let px = source_position(x, in_w, out_w);
                    let py = source_position(y, in_h, out_h);
                    let interior = |p: SourcePosition, len: u32| {
                        p.base - margin >= 0 && p.base + 1 + margin < i64::from(len)
                    };
                    if !(interior(px, in_w) && interior(py, in_h)) {
                        continue;
                    }
                    let (sx, sy) = (px.base as f32 + px.t, py.base as f32 + py.t);
                    let expected = [sx * 0.1, sy * 0.05, sx * 0.02 - sy * 0.03, 1.0];
                    let got = out.get(x, y).ok_or("pixel out of range")?;
                    for c in 0..4 {
                        assert!(
                            (got[c] - expected[c]).abs() < 1e-5,
                            "{filter:?} ({x}, {y}) channel {c}: {} vs {}",
                            got[c],
                            expected[c]
                        );
                    }
                    checked += 1;
                }
            }
            assert!(checked > 200, "{filter:?}: only {checked} interior pixels");
        }
        Ok(())
    }

    #[test]
    fn bilinear_hand_computed_upscale() -> TestResult {
        // 2x1 [0, 1] -> 4x1: sx = -0.25, 0.25, 0.75, 1.25 -> 0 (clamped), 0.25, 0.75, 1 (clamped).
        let input = ImageF32::new(2, 1, vec![[0.0, 0.0, 0.0, 1.0], [1.0, 2.0, -1.0, 1.0]])?;
        let out = resample_cpu(&input, 4, 1, ResampleFilter::Bilinear)?;
        let red: Vec<f32> = out.pixels().iter().map(|p| p[0]).collect();
        assert_eq!(red, [0.0, 0.25, 0.75, 1.0]);
        assert_eq!(out.get(1, 0), Some([0.25, 0.5, -0.25, 1.0]));
        Ok(())
    }

    #[test]
    fn bicubic_hand_computed_value() -> TestResult {
        // 4x1 [0, 1, 0, 0] -> 8x1. Output 2: sx = 2.5 * 4 / 8 - 0.5 = 0.75, so base 0, t = 0.75,
        // taps at -1, 0, 1, 2 read [0, 0, 1, 0] (the -1 tap clamps to pixel 0). Only the tap at
        // 1 is non-zero: W(1 - 0.75) = W(0.25) = (1.5 * 0.25 - 2.5) * 0.0625 + 1 = 0.8671875.
        let input = ImageF32::from_fn(4, 1, |x, _| [if x == 1 { 1.0 } else { 0.0 }; 4])?;
        let out = resample_cpu(&input, 8, 1, ResampleFilter::Bicubic)?;
        assert_eq!(out.get(2, 0), Some([0.8671875; 4]));
        // Output 4: sx = 1.75, the 1 is the base tap: W(0.75) = -1.375 * 0.5625 + 1 = 0.2265625.
        assert_eq!(out.get(4, 0), Some([0.2265625; 4]));
        // Output 6: sx = 2.75, taps at 1..=4 read [1, 0, 0, 0] (4 clamps to 3), so the result is
        // W(1.75) = -0.0234375: the overshoot below the input's range is kept, not clamped.
        assert_eq!(out.get(6, 0), Some([-0.0234375; 4]));
        Ok(())
    }

    #[test]
    fn nearest_copies_exact_source_values() -> TestResult {
        // Values that any arithmetic would perturb: nearest must copy bits, not interpolate.
        let input = ImageF32::from_fn(3, 2, |x, y| {
            let v = 1.0e8 + (x + 3 * y) as f32 * 8.0;
            [
                v,
                -v,
                1.0 / (1.0 + x as f32),
                f32::MIN_POSITIVE * (1 + y) as f32,
            ]
        })?;
        // 3 -> 7 columns: floor((x + 0.5) * 3 / 7) = 0, 0, 1, 1, 1, 2, 2.
        // 2 -> 5 rows: floor((y + 0.5) * 2 / 5) = 0, 0, 1, 1, 1.
        let out = resample_cpu(&input, 7, 5, ResampleFilter::Nearest)?;
        let columns = [0, 0, 1, 1, 1, 2, 2];
        let rows = [0, 0, 1, 1, 1];
        for (y, &sy) in (0..).zip(&rows) {
            for (x, &sx) in (0..).zip(&columns) {
                assert_eq!(out.get(x, y), input.get(sx, sy), "({x}, {y})");
            }
        }
        // A downscale 3x2 -> 2x1 picks columns floor(0.75) = 0 and floor(2.25) = 2 of row
        // floor(0.5 * 2 / 1) = 1.
        let out = resample_cpu(&input, 2, 1, ResampleFilter::Nearest)?;
        assert_eq!(out.pixels(), [input.pixels()[3], input.pixels()[5]]);
        Ok(())
    }

    #[test]
    fn lanczos3_hand_computed_value() -> TestResult {
        // A single 1 at column 3 of 8, upscaled 2x: output 7 samples sx = 7.5 * 8 / 16 - 0.5 =
        // 3.25, base 3, t = 0.25. Only the base tap is non-zero, so the result is the base
        // weight L(0.25) / (L(2.25) + L(1.25) + L(0.25) + L(0.75) + L(1.75) + L(2.75)).
        let input = ImageF32::from_fn(8, 1, |x, _| [if x == 3 { 1.0 } else { 0.0 }; 4])?;
        let out = resample_cpu(&input, 16, 1, ResampleFilter::Lanczos3)?;
        let pi = std::f64::consts::PI;
        let sinc = |v: f64| (pi * v).sin() / (pi * v);
        let l = |v: f64| sinc(v) * sinc(v / 3.0);
        let sum: f64 = [2.25, 1.25, 0.25, 0.75, 1.75, 2.75]
            .iter()
            .map(|&v| l(v))
            .sum();
        let expected = l(0.25) / sum;
        let got = out.get(7, 0).ok_or("pixel out of range")?;
        assert!(
            (f64::from(got[0]) - expected).abs() < 1e-6,
            "{got:?} vs {expected}"
        );
        // Lanczos3 rings: two pixels further the sample sits in the negative lobe.
        let ring = out.get(10, 0).ok_or("pixel out of range")?;
        assert!(ring[0] < 0.0, "{ring:?}");
        Ok(())
    }

    #[test]
    fn zero_sized_output_is_an_error() -> TestResult {
        let input = ImageF32::filled(3, 3, [1.0; 4])?;
        for (w, h) in [(0, 3), (3, 0), (0, 0)] {
            assert!(matches!(
                resample_cpu(&input, w, h, ResampleFilter::Bicubic),
                Err(ResampleError::EmptyOutput { .. })
            ));
        }
        Ok(())
    }
}
