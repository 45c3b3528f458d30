//! SSIM as in Wang et al.'s reference `ssim_index.m`, the version SR papers report: an 11x11
//! Gaussian window with sigma 1.5, `K1 = 0.01`, `K2 = 0.03`, dynamic range `L = 255`, 'valid'
//! filtering (no padding) and the mean of the SSIM map.

use super::{EvalError, Plane};

/// Side of the Gaussian window.
pub const SSIM_WINDOW: usize = 11;
/// Standard deviation of the Gaussian window, in pixels.
pub const SSIM_SIGMA: f64 = 1.5;
/// Stabiliser of the luminance term, as a fraction of the dynamic range.
pub const SSIM_K1: f64 = 0.01;
/// Stabiliser of the contrast-structure term, as a fraction of the dynamic range.
pub const SSIM_K2: f64 = 0.03;
/// Dynamic range of the inputs (8-bit values).
pub const SSIM_RANGE: f64 = 255.0;

/// The normalised 1D Gaussian whose outer product with itself is MATLAB's
/// `fspecial('gaussian', 11, 1.5)`.
///
/// The 2D window is `exp(-(x² + y²) / 2σ²)` normalised to sum 1, which factors exactly into two
/// normalised 1D windows, so the 'valid' 2D filter is computed as a horizontal then a vertical
/// pass (22 instead of 121 multiply-adds per value).
pub fn gaussian_window() -> [f64; SSIM_WINDOW] {
    let half = (SSIM_WINDOW / 2) as f64;
    let mut window = [0.0; SSIM_WINDOW];
    for (i, w) in window.iter_mut().enumerate() {
        let x = i as f64 - half;
        *w = (-x * x / (2.0 * SSIM_SIGMA * SSIM_SIGMA)).exp();
    }
    let sum: f64 = window.iter().sum();
    window.map(|w| w / sum)
}

/// Mean SSIM of two planes on the 0-255 scale (see the module docs for the definition).
///
/// Both planes must have the same size, at least [`SSIM_WINDOW`] on each side.
pub fn ssim(a: &Plane, b: &Plane) -> Result<f64, EvalError> {
    if a.size() != b.size() {
        return Err(EvalError::SizeMismatch {
            a: a.size(),
            b: b.size(),
        });
    }
    let (width, height) = (a.width(), a.height());
    if width < SSIM_WINDOW || height < SSIM_WINDOW {
        return Err(EvalError::TooSmall {
            what: "SSIM's 11x11 window",
            min: SSIM_WINDOW as u32,
            width: width as u32,
            height: height as u32,
        });
    }
    let window = gaussian_window();
    let filter = |values: Vec<f64>| filter_valid(&values, width, height, &window);
    let (x, y) = (a.data(), b.data());
    let mu_x = filter(x.to_vec());
    let mu_y = filter(y.to_vec());
    let xx = filter(x.iter().map(|v| v * v).collect());
    let yy = filter(y.iter().map(|v| v * v).collect());
    let xy = filter(x.iter().zip(y).map(|(p, q)| p * q).collect());

    let c1 = (SSIM_K1 * SSIM_RANGE).powi(2);
    let c2 = (SSIM_K2 * SSIM_RANGE).powi(2);
    let mut sum = 0.0;
    for i in 0..mu_x.len() {
        let (mx, my) = (mu_x[i], mu_y[i]);
        // Variances as E[x²] - E[x]², exactly as the reference code forms them.
        let var_x = xx[i] - mx * mx;
        let var_y = yy[i] - my * my;
        let cov = xy[i] - mx * my;
        sum += ((2.0 * mx * my + c1) * (2.0 * cov + c2))
            / ((mx * mx + my * my + c1) * (var_x + var_y + c2));
    }
    Ok(sum / mu_x.len() as f64)
}

/// Correlates `values` (`width x height`) with `window` along both axes, keeping only outputs
/// whose window lies fully inside ('valid'): the result is
/// `(width - n + 1) x (height - n + 1)`, row-major.
fn filter_valid(values: &[f64], width: usize, height: usize, window: &[f64]) -> Vec<f64> {
    let n = window.len();
    let out_w = width - n + 1;
    let out_h = height - n + 1;
    let mut rows = Vec::with_capacity(out_w * height);
    for row in values.chunks_exact(width) {
        for x in 0..out_w {
            rows.push(dot(&row[x..x + n], window));
        }
    }
    let mut out = Vec::with_capacity(out_w * out_h);
    let mut column = vec![0.0; n];
    for y in 0..out_h {
        for x in 0..out_w {
            for (k, c) in column.iter_mut().enumerate() {
                *c = rows[(y + k) * out_w + x];
            }
            out.push(dot(&column, window));
        }
    }
    out
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| p * q).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(width: usize, height: usize, f: impl FnMut(usize, usize) -> f64) -> Plane {
        Plane::from_fn(width, height, f).expect("test planes are non-empty")
    }

    #[test]
    fn window_is_normalised_and_symmetric() {
        let w = gaussian_window();
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        for i in 0..SSIM_WINDOW {
            assert_eq!(w[i], w[SSIM_WINDOW - 1 - i]);
        }
        // Ratio of neighbouring taps is the Gaussian's: exp(-1 / 4.5) between 0 and 1 pixel.
        assert!((w[6] / w[5] - (-1.0_f64 / 4.5).exp()).abs() < 1e-15);
    }

    #[test]
    fn identical_planes_score_one() -> Result<(), EvalError> {
        let a = plane(23, 17, |x, y| ((x * 37 + y * 11) % 256) as f64);
        assert!((ssim(&a, &a)? - 1.0).abs() < 1e-12);
        Ok(())
    }

    #[test]
    fn constant_planes_score_the_luminance_term() -> Result<(), EvalError> {
        // Flat 100 vs flat 110: both variances and the covariance are 0, so the structure term is
        // C2 / C2 = 1 and SSIM = (2 * 100 * 110 + C1) / (100² + 110² + C1), C1 = 2.55² = 6.5025.
        let a = plane(11, 11, |_, _| 100.0);
        let b = plane(11, 11, |_, _| 110.0);
        let expected = (22_000.0 + 6.5025) / (10_000.0 + 12_100.0 + 6.5025);
        assert!((ssim(&a, &b)? - expected).abs() < 1e-9);
        Ok(())
    }

    #[test]
    fn valid_filtering_shrinks_by_the_window() {
        // A 12x11 plane has a 2x1 valid region; a ramp in x averages to its centre.
        let values: Vec<f64> = (0..12 * 11).map(|i| (i % 12) as f64).collect();
        let out = filter_valid(&values, 12, 11, &gaussian_window());
        assert_eq!(out.len(), 2);
        assert!((out[0] - 5.0).abs() < 1e-12 && (out[1] - 6.0).abs() < 1e-12);
    }

    #[test]
    fn sizes_are_checked() {
        let small = plane(10, 30, |_, _| 0.0);
        assert!(matches!(
            ssim(&small, &small),
            Err(EvalError::TooSmall { min: 11, .. })
        ));
        let a = plane(12, 12, |_, _| 0.0);
        let b = plane(12, 13, |_, _| 0.0);
        assert!(matches!(ssim(&a, &b), Err(EvalError::SizeMismatch { .. })));
    }
}
