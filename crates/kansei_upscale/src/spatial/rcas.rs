//! The CPU reference of RCAS, the contrast-adaptive sharpening pass (maths in the
//! [module docs](crate::spatial)); mirrored by `shaders/rcas.wgsl`.

use super::SpatialError;
use crate::image::{ImageF32, Rgba};

/// Unsharp-mask amount at `sharpness = 0`: the result is `e + 2 (e - mean of the 4 neighbours)`
/// before the limiter. Strong, but the limiter keeps it from overshooting anywhere, and it keeps
/// the equivalent negative lobe weight (`-amount / (4 (1 + amount)) = -1/6`) far from the
/// `-1/4` where a normalised 5-tap cross degenerates.
pub const RCAS_MAX_AMOUNT: f32 = 2.0;

/// The starting unsharp-mask amount for `sharpness` stops: `RCAS_MAX_AMOUNT * 2^-sharpness`.
///
/// `0.0` is the strongest, every stop halves the amount, `f32::INFINITY` gives 0 (RCAS becomes
/// the identity). Negative and NaN values are rejected.
pub fn rcas_amount(sharpness: f32) -> Result<f32, SpatialError> {
    if sharpness.is_nan() || sharpness < 0.0 {
        return Err(SpatialError::InvalidSharpness { sharpness });
    }
    Ok(RCAS_MAX_AMOUNT * (-sharpness).exp2())
}

/// Sharpens `input` with RCAS at `sharpness` stops (see [`rcas_amount`]); same size out.
pub fn rcas_cpu(input: &ImageF32, sharpness: f32) -> Result<ImageF32, SpatialError> {
    let amount = rcas_amount(sharpness)?;
    let (width, height) = (input.width(), input.height());
    let mut pixels = Vec::with_capacity(input.pixels().len());
    for y in 0..height {
        for x in 0..width {
            let (x, y) = (i64::from(x), i64::from(y));
            let centre = input.get_clamped(x, y);
            // Above, left, right, below: the order every sum below follows.
            let ring = [
                input.get_clamped(x, y - 1),
                input.get_clamped(x - 1, y),
                input.get_clamped(x + 1, y),
                input.get_clamped(x, y + 1),
            ];
            pixels.push(rcas_pixel(centre, &ring, amount));
        }
    }
    // Same size as `input`, which is never empty.
    ImageF32::new(width, height, pixels).map_err(|_| SpatialError::EmptyOutput { width, height })
}

/// One output pixel: the limited unsharp mask of `centre` against its four neighbours.
fn rcas_pixel(centre: Rgba, ring: &[Rgba; 4], max_amount: f32) -> Rgba {
    let mut lo = centre;
    let mut hi = centre;
    // S = sum_k (n_k - e), per channel; zero exactly for a flat neighbourhood.
    let mut spread = [0.0_f32; 4];
    for n in ring {
        for ch in 0..4 {
            lo[ch] = lo[ch].min(n[ch]);
            hi[ch] = hi[ch].max(n[ch]);
            spread[ch] += n[ch] - centre[ch];
        }
    }
    // Lower the shared amount until no colour channel would leave its [lo, hi]. Alpha takes no
    // part: a constant alpha that varies by a rounding step would otherwise stop the
    // sharpening of whichever pixels it lands on.
    let mut amount = max_amount;
    for ch in 0..3 {
        if spread[ch] > 0.0 {
            amount = amount.min(4.0 * (centre[ch] - lo[ch]) / spread[ch]);
        } else if spread[ch] < 0.0 {
            amount = amount.min(4.0 * (hi[ch] - centre[ch]) / -spread[ch]);
        }
    }
    // Alpha passes through unsharpened.
    let mut out = centre;
    for ch in 0..3 {
        // The clamp only trims float rounding; the limit above already keeps the value inside.
        // max-then-min rather than `clamp`, which panics on NaN; WGSL's clamp is the same.
        out[ch] = (centre[ch] - 0.25 * amount * spread[ch])
            .max(lo[ch])
            .min(hi[ch]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn amount_halves_per_stop_and_rejects_bad_values() -> TestResult {
        assert_eq!(rcas_amount(0.0)?, RCAS_MAX_AMOUNT);
        assert_eq!(rcas_amount(1.0)?, RCAS_MAX_AMOUNT / 2.0);
        assert_eq!(rcas_amount(3.0)?, RCAS_MAX_AMOUNT / 8.0);
        assert_eq!(rcas_amount(f32::INFINITY)?, 0.0);
        for bad in [-0.5, f32::NAN, f32::NEG_INFINITY] {
            assert!(matches!(
                rcas_amount(bad),
                Err(SpatialError::InvalidSharpness { .. })
            ));
        }
        Ok(())
    }

    #[test]
    fn constant_image_is_returned_unchanged() -> TestResult {
        let input = ImageF32::filled(7, 5, [0.3, -1.7, 12.5, 0.9])?;
        for sharpness in [0.0, 0.5, 2.0] {
            assert_eq!(rcas_cpu(&input, sharpness)?, input);
        }
        Ok(())
    }

    #[test]
    fn infinite_sharpness_is_the_identity() -> TestResult {
        let input = ImageF32::from_fn(9, 4, |x, y| [(x * y) as f32 % 3.0, x as f32, 0.5, 1.0])?;
        assert_eq!(rcas_cpu(&input, f32::INFINITY)?, input);
        Ok(())
    }

    #[test]
    fn soft_edge_is_sharpened_up_to_its_neighbours() -> TestResult {
        // 0 0 0.3 1 1 along x: the 0.3 is pulled down towards 0, the limit stops it exactly
        // there (amount 3 would be allowed; the maximum of 2 gives 0.3 - 0.5 * 0.4 = 0.1).
        let row = [0.0, 0.0, 0.3, 1.0, 1.0];
        let input = ImageF32::from_fn(5, 3, |x, _| [row[x as usize]; 4])?;
        let out = rcas_cpu(&input, 0.0)?;
        let got = out.get(2, 1).ok_or("pixel out of range")?;
        assert!((got[0] - 0.1).abs() < 1e-6, "{got:?}");
        // One stop softer: amount 1, 0.3 - 0.25 * 0.4 = 0.2.
        let out = rcas_cpu(&input, 1.0)?;
        let got = out.get(2, 1).ok_or("pixel out of range")?;
        assert!((got[0] - 0.2).abs() < 1e-6, "{got:?}");
        Ok(())
    }

    #[test]
    fn alpha_neither_limits_nor_is_sharpened() -> TestResult {
        // The soft edge above with an alpha that is 1 give or take a half-float step, as a
        // resolve's weighted average of opaque samples gives: with alpha in the limit, a pixel
        // whose alpha is its neighbourhood's minimum would not be sharpened at all.
        let row = [0.0, 0.0, 0.3, 1.0, 1.0];
        let alpha = |x: u32, y: u32| {
            if (x + y).is_multiple_of(2) {
                1.0
            } else {
                1.0 - 1.0 / 2048.0
            }
        };
        let noisy = ImageF32::from_fn(5, 3, |x, y| {
            let v = row[x as usize];
            [v, v, v, alpha(x, y)]
        })?;
        let opaque = ImageF32::from_fn(5, 3, |x, _| {
            let v = row[x as usize];
            [v, v, v, 1.0]
        })?;
        let (from_noisy, from_opaque) = (rcas_cpu(&noisy, 0.0)?, rcas_cpu(&opaque, 0.0)?);
        for (y, (a, b)) in (0..).zip(
            from_noisy
                .pixels()
                .chunks(5)
                .zip(from_opaque.pixels().chunks(5)),
        ) {
            for (x, (a, b)) in (0..).zip(a.iter().zip(b)) {
                assert_eq!(a[..3], b[..3], "({x}, {y})");
                assert_eq!(a[3], alpha(x, y), "alpha passes through at ({x}, {y})");
            }
        }
        let got = from_noisy.get(2, 1).ok_or("pixel out of range")?;
        assert!((got[0] - 0.1).abs() < 1e-6, "{got:?}");
        Ok(())
    }

    #[test]
    fn local_extremum_is_not_sharpened() -> TestResult {
        // A lone bright dot: pushing it further up would leave the local max.
        let input = ImageF32::from_fn(5, 5, |x, y| [if (x, y) == (2, 2) { 1.0 } else { 0.2 }; 4])?;
        let out = rcas_cpu(&input, 0.0)?;
        assert_eq!(out.get(2, 2), Some([1.0; 4]));
        Ok(())
    }
}
