//! LDR-FLIP, NVIDIA's perceptual difference metric for rendered images (Andersson et al.,
//! "FLIP: A Difference Evaluator for Alternating Images", HPG 2020): a per-pixel error in
//! `[0, 1]` that models what a viewer sees when flipping between a reference and a test image
//! at a given viewing distance. PSNR and SSIM on Y miss colour shifts and weigh every pixel
//! alike; FLIP is what real-time rendering papers report for upscalers and anti-aliasing.
//!
//! # The algorithm, per image pair
//!
//! Inputs are sRGB in `[0, 1]` (values outside are clamped, NaN and infinities are rejected);
//! the viewing condition is the number of pixels per degree of visual angle, `ppd`
//! ([`FLIP_DEFAULT_PPD`]: a 0.7 m wide 3840-pixel monitor seen from 0.7 m, about 67).
//!
//! **Colour pipeline.**
//!
//! 1. sRGB → linear RGB → CIE XYZ (D65) → `YyCxCz`, the linearised opponent space of CIELAB:
//!    `Yy = 116 Y/Yw - 16`, `Cx = 500 (X/Xw - Y/Yw)`, `Cz = 200 (Y/Yw - Z/Zw)` with `(Xw, Yw,
//!    Zw)` the XYZ of linear RGB white.
//! 2. Each channel is filtered with its contrast sensitivity function, a sum of two Gaussians
//!    in visual degrees, `a1 sqrt(pi/b1) exp(-pi² r²/b1) + a2 sqrt(pi/b2) exp(-pi² r²/b2)`:
//!    achromatic `(1, 0.0047, 0, 1e-5)`, red-green `(1, 0.0053, 0, 1e-5)`, blue-yellow
//!    `(34.1, 0.04, 13.5, 0.025)`. Every kernel is square with radius
//!    `ceil(3 sqrt(0.04 / (2 pi²)) ppd)` pixels (10 at 67 ppd; 0.04 is the widest scale of the
//!    three) and normalised to sum 1. Each Gaussian term is separable, so the filter runs as
//!    horizontal then vertical 1D passes, one pair per term.
//! 3. Back to linear RGB, clamped to `[0, 1]`, to CIELAB, then Hunt-adjusted:
//!    `(L, a, b) → (L, 0.01 L a, 0.01 L b)` (chroma is seen less in the dark).
//! 4. `HyAB` distance `|ΔL| + sqrt(Δa² + Δb²)`, raised to `qc = 0.7`, and mapped to `[0, 1]`
//!    against `cmax`, the same power of the `HyAB` distance between Hunt-adjusted pure green and
//!    pure blue (the largest in the RGB cube): values below `pc cmax` (`pc = 0.4`) map linearly
//!    onto `[0, pt]` (`pt = 0.95`), the rest linearly onto `[pt, 1]`. That is the colour error
//!    `ΔEc`.
//!
//! **Feature pipeline** (on the unfiltered images).
//!
//! 5. The achromatic channel normalised to `[0, 1]`, `(Yy + 16) / 116 = Y/Yw`.
//! 6. Edge and point detectors: the first and second derivatives of a Gaussian with standard
//!    deviation `sd = 0.5 * 0.082 * ppd` pixels (0.082° is the peak-to-trough width of the human
//!    edge detector), radius `ceil(3 sd)`, positive weights normalised to sum 1 and negative ones
//!    to sum -1, applied along x and along y; a feature's strength is the length of the
//!    `(x, y)` response. Both kernels sum to 0, so flat regions have no features.
//! 7. `ΔEf = (max(|edges_ref - edges_test|, |points_ref - points_test|) / sqrt(2)) ^ qf` with
//!    `qf = 0.5`.
//!
//! **Error.** `ΔE = ΔEc ^ (1 - ΔEf)` per pixel ([`flip_map`]); FLIP is its mean
//! ([`flip_mean`]). Features only ever raise the error: where the test image loses or adds an
//! edge, even a small colour difference counts.
//!
//! # Conventions
//!
//! Filters are correlations with clamp-to-edge (replicate) padding, in `f64`. Every step treats
//! the two images alike and compares them with symmetric distances, so as defined here the
//! score does not change when they are swapped (up to rounding); the names only say which image
//! is the ground truth.

use super::{EvalError, Plane, srgb_to_linear};
use crate::image::ImageF32;

/// Pixels per degree of a 0.7 m wide, 3840-pixel-wide monitor seen from 0.7 m, FLIP's default
/// viewing condition (about 67.02).
pub const FLIP_DEFAULT_PPD: f64 = 0.7 * (3840.0 / 0.7) * std::f64::consts::PI / 180.0;

/// Largest pixels per degree [`flip_map`] accepts (kernels grow linearly with it; 1000 is far
/// beyond any display).
pub const FLIP_MAX_PPD: f64 = 1000.0;

/// Exponent of the `HyAB` colour distance (`qc`).
pub const FLIP_QC: f64 = 0.7;
/// Exponent of the feature difference (`qf`).
pub const FLIP_QF: f64 = 0.5;
/// Fraction of `cmax` below which colour errors are mapped onto `[0, pt]` (`pc`).
pub const FLIP_PC: f64 = 0.4;
/// Error that the colour distance `pc * cmax` maps to (`pt`).
pub const FLIP_PT: f64 = 0.95;

/// Peak-to-trough width of the human edge detector, degrees (`w` in the paper).
const EDGE_WIDTH_DEGREES: f64 = 0.082;

/// Linear RGB → CIE XYZ (D65) as exact rationals, the sRGB primaries.
const RGB_TO_XYZ: [[f64; 3]; 3] = [
    [
        10_135_552.0 / 24_577_794.0,
        8_788_810.0 / 24_577_794.0,
        4_435_075.0 / 24_577_794.0,
    ],
    [
        2_613_072.0 / 12_288_897.0,
        8_788_810.0 / 12_288_897.0,
        887_015.0 / 12_288_897.0,
    ],
    [
        1_425_312.0 / 73_733_382.0,
        8_788_810.0 / 73_733_382.0,
        70_074_185.0 / 73_733_382.0,
    ],
];

/// CIE XYZ → linear RGB: the inverse of [`RGB_TO_XYZ`].
const XYZ_TO_RGB: [[f64; 3]; 3] = invert3(RGB_TO_XYZ);

/// XYZ of linear RGB white `(1, 1, 1)`: the row sums of [`RGB_TO_XYZ`].
const WHITE_XYZ: [f64; 3] = [
    RGB_TO_XYZ[0][0] + RGB_TO_XYZ[0][1] + RGB_TO_XYZ[0][2],
    RGB_TO_XYZ[1][0] + RGB_TO_XYZ[1][1] + RGB_TO_XYZ[1][2],
    RGB_TO_XYZ[2][0] + RGB_TO_XYZ[2][1] + RGB_TO_XYZ[2][2],
];

/// One contrast sensitivity function: `a1 sqrt(pi/b1) exp(-pi² r²/b1) + a2 sqrt(pi/b2)
/// exp(-pi² r²/b2)`, `r` in degrees.
#[derive(Debug, Clone, Copy)]
struct Csf {
    a1: f64,
    b1: f64,
    a2: f64,
    b2: f64,
}

/// The achromatic (`Yy`), red-green (`Cx`) and blue-yellow (`Cz`) CSFs.
const CSFS: [Csf; 3] = [
    Csf {
        a1: 1.0,
        b1: 0.0047,
        a2: 0.0,
        b2: 1e-5,
    },
    Csf {
        a1: 1.0,
        b1: 0.0053,
        a2: 0.0,
        b2: 1e-5,
    },
    Csf {
        a1: 34.1,
        b1: 0.04,
        a2: 13.5,
        b2: 0.025,
    },
];

/// The widest Gaussian scale of all three CSFs; it sets the one kernel radius they share.
const CSF_MAX_SCALE: f64 = 0.04;

/// The per-pixel FLIP error of `test` against `reference`, both sRGB in `[0, 1]` (alpha is
/// ignored), seen at `ppd` pixels per degree ([`FLIP_DEFAULT_PPD`] for the usual setting).
///
/// Every value lies in `[0, 1]`; 0 where the images agree. Fails when the sizes differ, when a
/// colour channel is NaN or infinite, or when `ppd` is not in `(0, FLIP_MAX_PPD]`.
pub fn flip_map(reference: &ImageF32, test: &ImageF32, ppd: f64) -> Result<Plane, EvalError> {
    let size = [reference.width(), reference.height()];
    let test_size = [test.width(), test.height()];
    if size != test_size {
        return Err(EvalError::SizeMismatch {
            a: size,
            b: test_size,
        });
    }
    if !(ppd.is_finite() && ppd > 0.0 && ppd <= FLIP_MAX_PPD) {
        return Err(EvalError::PixelsPerDegree {
            ppd,
            max: FLIP_MAX_PPD,
        });
    }
    let reference = Opponent::from_srgb("FLIP's reference image", reference)?;
    let test = Opponent::from_srgb("FLIP's test image", test)?;

    let csf = csf_kernels(ppd);
    let reference_lab = reference.filtered_lab(&csf);
    let test_lab = test.filtered_lab(&csf);
    let cmax = hyab(hunt_lab([0.0, 1.0, 0.0]), hunt_lab([0.0, 0.0, 1.0])).powf(FLIP_QC);

    let features = FeatureKernels::new(ppd);
    let reference_features = features.detect(&reference);
    let test_features = features.detect(&test);

    let errors = reference_lab
        .iter()
        .zip(&test_lab)
        .zip(reference_features.iter().zip(&test_features))
        .map(|((r, t), (rf, tf))| {
            let colour = compress(hyab(*r, *t).powf(FLIP_QC), cmax);
            let edge = (rf.edge - tf.edge).abs();
            let point = (rf.point - tf.point).abs();
            let feature = (edge.max(point) / std::f64::consts::SQRT_2).powf(FLIP_QF);
            // The clamp only absorbs rounding: the colour error is at most 1 because `cmax` is
            // the largest distance in the RGB cube, and `feature <= 1` because each detector's
            // response to values in [0, 1] lies in [-1, 1].
            colour.powf(1.0 - feature).clamp(0.0, 1.0)
        })
        .collect();
    Plane::new(reference.width, reference.height, errors)
}

/// Mean of [`flip_map`]: the FLIP score of `test` against `reference`, in `[0, 1]`.
pub fn flip_mean(reference: &ImageF32, test: &ImageF32, ppd: f64) -> Result<f64, EvalError> {
    let map = flip_map(reference, test, ppd)?;
    Ok(map.data().iter().sum::<f64>() / map.data().len() as f64)
}

/// An image in `YyCxCz`, one plane per channel.
struct Opponent {
    width: usize,
    height: usize,
    /// `Yy`, `Cx`, `Cz` planes, row-major.
    channels: [Vec<f64>; 3],
}

impl Opponent {
    /// Converts an sRGB image, rejecting non-finite colour channels; `what` names it in errors.
    fn from_srgb(what: &'static str, image: &ImageF32) -> Result<Self, EvalError> {
        let width = image.width() as usize;
        let height = image.height() as usize;
        let mut channels = [(); 3].map(|()| Vec::with_capacity(width * height));
        for (i, pixel) in image.pixels().iter().enumerate() {
            if pixel[..3].iter().any(|c| !c.is_finite()) {
                return Err(EvalError::NonFinite {
                    what,
                    x: (i % width) as u32,
                    y: (i / width) as u32,
                });
            }
            let linear = [0, 1, 2].map(|c| srgb_to_linear(f64::from(pixel[c]).clamp(0.0, 1.0)));
            let ycxcz = xyz_to_ycxcz(mul3(&RGB_TO_XYZ, linear));
            for (plane, value) in channels.iter_mut().zip(ycxcz) {
                plane.push(value);
            }
        }
        Ok(Self {
            width,
            height,
            channels,
        })
    }

    /// CSF-filtered, back in linear RGB clamped to `[0, 1]`, then Hunt-adjusted CIELAB.
    fn filtered_lab(&self, csf: &[Vec<GaussianTerm>; 3]) -> Vec<[f64; 3]> {
        let filtered: Vec<Vec<f64>> = self
            .channels
            .iter()
            .zip(csf)
            .map(|(plane, terms)| {
                let mut sum = vec![0.0; plane.len()];
                for term in terms {
                    let part = filter(plane, self.width, self.height, &term.taps, &term.taps);
                    for (s, p) in sum.iter_mut().zip(part) {
                        *s += term.weight * p;
                    }
                }
                sum
            })
            .collect();
        (0..self.width * self.height)
            .map(|i| {
                let ycxcz = [filtered[0][i], filtered[1][i], filtered[2][i]];
                let rgb = mul3(&XYZ_TO_RGB, ycxcz_to_xyz(ycxcz)).map(|c| c.clamp(0.0, 1.0));
                hunt_lab(rgb)
            })
            .collect()
    }
}

/// One separable term of a CSF kernel: `weight * taps(x) * taps(y)`.
struct GaussianTerm {
    weight: f64,
    taps: Vec<f64>,
}

/// The three CSF kernels at `ppd`, each a list of separable Gaussian terms whose 2D weights
/// together sum to 1.
fn csf_kernels(ppd: f64) -> [Vec<GaussianTerm>; 3] {
    let radius =
        (3.0 * (CSF_MAX_SCALE / (2.0 * std::f64::consts::PI.powi(2))).sqrt() * ppd).ceil() as usize;
    let pi2 = std::f64::consts::PI.powi(2);
    CSFS.map(|csf| {
        let mut terms = Vec::with_capacity(2);
        for (a, b) in [(csf.a1, csf.b1), (csf.a2, csf.b2)] {
            if a == 0.0 {
                continue;
            }
            // exp(-pi² (x² + y²) / b) = e(x) e(y) with x, y in degrees.
            let taps: Vec<f64> = (0..=2 * radius)
                .map(|i| {
                    let x = (i as f64 - radius as f64) / ppd;
                    (-pi2 * x * x / b).exp()
                })
                .collect();
            terms.push(GaussianTerm {
                weight: a * (std::f64::consts::PI / b).sqrt(),
                taps,
            });
        }
        // The 2D kernel's sum is the sum over terms of weight * (sum of taps)².
        let total: f64 = terms
            .iter()
            .map(|t| t.weight * t.taps.iter().sum::<f64>().powi(2))
            .sum();
        for term in &mut terms {
            term.weight /= total;
        }
        terms
    })
}

/// The edge and point detectors at one `ppd`, each separable: its profile along the direction
/// it detects in (`edge`, `point`) times the normalised Gaussian `across` it; the y-direction
/// kernels are the transposes of the x-direction ones.
struct FeatureKernels {
    edge: Vec<f64>,
    point: Vec<f64>,
    across: Vec<f64>,
}

/// Edge and point strength at one pixel.
struct Features {
    edge: f64,
    point: f64,
}

impl FeatureKernels {
    /// The kernels for `ppd` pixels per degree.
    fn new(ppd: f64) -> Self {
        let sd = 0.5 * EDGE_WIDTH_DEGREES * ppd;
        let radius = (3.0 * sd).ceil() as usize;
        let xs: Vec<f64> = (0..=2 * radius).map(|i| i as f64 - radius as f64).collect();
        let gauss: Vec<f64> = xs
            .iter()
            .map(|x| (-x * x / (2.0 * sd * sd)).exp())
            .collect();
        let gauss_sum: f64 = gauss.iter().sum();
        let profile = |h: &dyn Fn(f64) -> f64| -> Vec<f64> {
            let raw: Vec<f64> = xs.iter().zip(&gauss).map(|(x, g)| h(*x) * g).collect();
            normalise_signed(&raw)
        };
        Self {
            edge: profile(&|x| -x),
            point: profile(&|x| x * x / (sd * sd) - 1.0),
            across: gauss.iter().map(|g| g / gauss_sum).collect(),
        }
    }

    /// Edge and point strengths of the normalised achromatic channel `Y/Yw` of `image`.
    fn detect(&self, image: &Opponent) -> Vec<Features> {
        let (w, h) = (image.width, image.height);
        let y: Vec<f64> = image.channels[0]
            .iter()
            .map(|v| (v + 16.0) / 116.0)
            .collect();
        let edge_x = filter(&y, w, h, &self.edge, &self.across);
        let edge_y = filter(&y, w, h, &self.across, &self.edge);
        let point_x = filter(&y, w, h, &self.point, &self.across);
        let point_y = filter(&y, w, h, &self.across, &self.point);
        (0..w * h)
            .map(|i| Features {
                edge: edge_x[i].hypot(edge_y[i]),
                point: point_x[i].hypot(point_y[i]),
            })
            .collect()
    }
}

/// Scales the positive values of `raw` to sum 1 and the negative ones to sum -1.
fn normalise_signed(raw: &[f64]) -> Vec<f64> {
    let positive: f64 = raw.iter().filter(|v| **v > 0.0).sum();
    let negative: f64 = -raw.iter().filter(|v| **v < 0.0).sum::<f64>();
    raw.iter()
        .map(|&v| {
            if v > 0.0 {
                v / positive
            } else if v < 0.0 {
                v / negative
            } else {
                0.0
            }
        })
        .collect()
}

/// Correlates `values` (`width x height`, row-major) with `along_x` horizontally then `along_y`
/// vertically (odd lengths, centred), replicating edge pixels.
fn filter(
    values: &[f64],
    width: usize,
    height: usize,
    along_x: &[f64],
    along_y: &[f64],
) -> Vec<f64> {
    let rx = along_x.len() / 2;
    let ry = along_y.len() / 2;
    let mut rows = Vec::with_capacity(values.len());
    for row in values.chunks_exact(width) {
        for x in 0..width {
            let sum: f64 = along_x
                .iter()
                .enumerate()
                .map(|(k, w)| w * row[(x + k).saturating_sub(rx).min(width - 1)])
                .sum();
            rows.push(sum);
        }
    }
    let mut out = Vec::with_capacity(values.len());
    for y in 0..height {
        for x in 0..width {
            let sum: f64 = along_y
                .iter()
                .enumerate()
                .map(|(k, w)| w * rows[(y + k).saturating_sub(ry).min(height - 1) * width + x])
                .sum();
            out.push(sum);
        }
    }
    out
}

/// XYZ → `YyCxCz` relative to [`WHITE_XYZ`].
fn xyz_to_ycxcz(xyz: [f64; 3]) -> [f64; 3] {
    let [x, y, z] = [0, 1, 2].map(|c| xyz[c] / WHITE_XYZ[c]);
    [116.0 * y - 16.0, 500.0 * (x - y), 200.0 * (y - z)]
}

/// `YyCxCz` → XYZ, the inverse of [`xyz_to_ycxcz`].
fn ycxcz_to_xyz(ycxcz: [f64; 3]) -> [f64; 3] {
    let y = (ycxcz[0] + 16.0) / 116.0;
    let x = y + ycxcz[1] / 500.0;
    let z = y - ycxcz[2] / 200.0;
    [x * WHITE_XYZ[0], y * WHITE_XYZ[1], z * WHITE_XYZ[2]]
}

/// Linear RGB → CIELAB (D65 white of [`WHITE_XYZ`]) → Hunt adjustment.
fn hunt_lab(rgb: [f64; 3]) -> [f64; 3] {
    let xyz = mul3(&RGB_TO_XYZ, rgb);
    let [fx, fy, fz] = [0, 1, 2].map(|c| lab_f(xyz[c] / WHITE_XYZ[c]));
    let l = 116.0 * fy - 16.0;
    let a = 500.0 * (fx - fy);
    let b = 200.0 * (fy - fz);
    [l, 0.01 * l * a, 0.01 * l * b]
}

/// CIELAB's compressive function: a cube root with a linear toe below `(6/29)³`.
fn lab_f(t: f64) -> f64 {
    let delta = 6.0 / 29.0;
    if t > delta * delta * delta {
        t.cbrt()
    } else {
        t / (3.0 * delta * delta) + 4.0 / 29.0
    }
}

/// `HyAB` distance: `|ΔL| + sqrt(Δa² + Δb²)`.
fn hyab(p: [f64; 3], q: [f64; 3]) -> f64 {
    (p[0] - q[0]).abs() + (p[1] - q[1]).hypot(p[2] - q[2])
}

/// Maps a powered `HyAB` distance onto `[0, 1]`: `[0, pc cmax)` linearly onto `[0, pt)`,
/// `[pc cmax, cmax]` linearly onto `[pt, 1]`.
fn compress(distance: f64, cmax: f64) -> f64 {
    let knee = FLIP_PC * cmax;
    if distance < knee {
        FLIP_PT / knee * distance
    } else {
        FLIP_PT + (distance - knee) / (cmax - knee) * (1.0 - FLIP_PT)
    }
}

/// `m v` for a 3x3 matrix.
fn mul3(m: &[[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
    m.map(|row| row[0] * v[0] + row[1] * v[1] + row[2] * v[2])
}

/// Inverse of a 3x3 matrix by cofactors (only used on [`RGB_TO_XYZ`], which is invertible).
const fn invert3(m: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let c00 = m[1][1] * m[2][2] - m[1][2] * m[2][1];
    let c01 = m[1][2] * m[2][0] - m[1][0] * m[2][2];
    let c02 = m[1][0] * m[2][1] - m[1][1] * m[2][0];
    let det = m[0][0] * c00 + m[0][1] * c01 + m[0][2] * c02;
    [
        [
            c00 / det,
            (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / det,
            (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / det,
        ],
        [
            c01 / det,
            (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det,
            (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / det,
        ],
        [
            c02 / det,
            (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / det,
            (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det,
        ],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uniform(width: u32, height: u32, rgb: [f32; 3]) -> ImageF32 {
        ImageF32::filled(width, height, [rgb[0], rgb[1], rgb[2], 1.0]).expect("non-empty")
    }

    /// A smooth colour gradient with some texture, so that features are present.
    fn textured(width: u32, height: u32) -> ImageF32 {
        ImageF32::from_fn(width, height, |x, y| {
            let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
            let stripes = if (x / 4 + y / 3) % 2 == 0 { 0.15 } else { 0.0 };
            [
                0.2 + 0.6 * fx + stripes,
                0.3 + 0.4 * fy,
                0.7 - 0.5 * fx * fy,
                1.0,
            ]
        })
        .expect("non-empty")
    }

    /// Deterministic pseudo-random noise in `[-1, 1]` (a 32-bit integer hash).
    fn noise(x: u32, y: u32, channel: u32) -> f32 {
        let mut h = x
            .wrapping_mul(0x8da6_b343)
            .wrapping_add(y.wrapping_mul(0xd816_3841))
            .wrapping_add(channel.wrapping_mul(0xcb1a_b31f));
        h ^= h >> 13;
        h = h.wrapping_mul(0x5bd1_e995);
        h ^= h >> 15;
        (h as f32 / u32::MAX as f32) * 2.0 - 1.0
    }

    fn with_noise(image: &ImageF32, amplitude: f32) -> ImageF32 {
        ImageF32::from_fn(image.width(), image.height(), |x, y| {
            let p = image.get(x, y).expect("inside");
            let n = |c: u32| (p[c as usize] + amplitude * noise(x, y, c)).clamp(0.0, 1.0);
            [n(0), n(1), n(2), 1.0]
        })
        .expect("non-empty")
    }

    fn at(map: &Plane, x: usize, y: usize) -> f64 {
        map.data()[y * map.width() + x]
    }

    #[test]
    fn default_viewing_condition_is_67_ppd() {
        assert!((FLIP_DEFAULT_PPD - 67.020_643_276_582_25).abs() < 1e-12);
    }

    #[test]
    fn kernels_have_the_published_sizes_and_sums() {
        let csf = csf_kernels(FLIP_DEFAULT_PPD);
        for terms in &csf {
            // ceil(3 sqrt(0.04 / (2 pi²)) 67.02) = ceil(9.05) = 10.
            assert!(terms.iter().all(|t| t.taps.len() == 21));
            let sum: f64 = terms
                .iter()
                .map(|t| t.weight * t.taps.iter().sum::<f64>().powi(2))
                .sum();
            assert!((sum - 1.0).abs() < 1e-12);
        }
        assert_eq!(csf.iter().map(Vec::len).collect::<Vec<_>>(), [1, 1, 2]);

        // sd = 0.5 * 0.082 * 67.02 = 2.75 pixels, radius ceil(8.24) = 9.
        let features = FeatureKernels::new(FLIP_DEFAULT_PPD);
        for profile in [&features.edge, &features.point] {
            assert_eq!(profile.len(), 19);
            let positive: f64 = profile.iter().filter(|v| **v > 0.0).sum();
            let negative: f64 = profile.iter().filter(|v| **v < 0.0).sum();
            assert!((positive - 1.0).abs() < 1e-12 && (negative + 1.0).abs() < 1e-12);
        }
        assert!((features.across.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn colour_round_trip_is_the_identity() {
        let rgb = [0.8, 0.2, 0.1];
        let back = mul3(
            &XYZ_TO_RGB,
            ycxcz_to_xyz(xyz_to_ycxcz(mul3(&RGB_TO_XYZ, rgb))),
        );
        for (a, b) in rgb.iter().zip(back) {
            assert!((a - b).abs() < 1e-14);
        }
    }

    #[test]
    fn identical_images_score_zero_everywhere() -> Result<(), EvalError> {
        let image = textured(40, 30);
        let map = flip_map(&image, &image, FLIP_DEFAULT_PPD)?;
        assert_eq!(map.size(), [40, 30]);
        assert!(map.data().iter().all(|v| *v == 0.0));
        Ok(())
    }

    /// Uniform images: the CSF filters (normalised, replicate padding) leave them unchanged and
    /// both feature detectors (zero-sum kernels) give 0, so every pixel's error is the
    /// compressed `HyAB` distance of the two colours, worked out by hand:
    ///
    /// - Hunt-adjusted green `(87.736211, -75.609930, 72.981231)`, blue
    ///   `(32.298170, 25.578083, -34.836366)`: `HyAB` 203.301655, `cmax = 203.301655^0.7 =
    ///   41.276098`, knee `pc cmax = 16.510439`.
    /// - Grey 0.5 and 0.55 are linear 0.214041 and 0.263273, `L* = 53.388965` and `58.346465`,
    ///   `a* = b* = 0`: `HyAB = 4.957500`, `^0.7 = 3.066789`, below the knee, so
    ///   `0.95 / 16.510439 * 3.066789 = 0.176461`.
    /// - Black and white: `HyAB = 100`, `^0.7 = 25.118864`, above the knee:
    ///   `0.95 + (25.118864 - 16.510439) / (41.276098 - 16.510439) * 0.05 = 0.967380`.
    /// - sRGB `(0.8, 0.2, 0.1)` and `(0.7, 0.3, 0.2)`: Hunt-Lab `(46.014707, 26.861889,
    ///   22.993400)` and `(45.637976, 18.197453, 16.067593)`, `HyAB = 11.469036`, 0.317420.
    #[test]
    fn uniform_images_score_the_compressed_colour_distance() -> Result<(), EvalError> {
        let cases = [
            ([0.5; 3], [0.55; 3], 0.176_461_054_897),
            ([0.0; 3], [1.0; 3], 0.967_379_761_492),
            ([0.8, 0.2, 0.1], [0.7, 0.3, 0.2], 0.317_419_659_417),
        ];
        for (a, b, expected) in cases {
            let map = flip_map(&uniform(24, 20, a), &uniform(24, 20, b), FLIP_DEFAULT_PPD)?;
            for v in map.data() {
                assert!(
                    (v - expected).abs() < 1e-6,
                    "{a:?} vs {b:?}: {v} != {expected}"
                );
            }
        }
        Ok(())
    }

    /// A 12x10 pair of patterned colour images against an independent direct 2D
    /// implementation (unfactored kernels, written from the same description, in `f64` from the
    /// same `f32` inputs): the separable filters here must agree with it to rounding.
    #[test]
    fn matches_a_direct_2d_implementation() -> Result<(), EvalError> {
        let pattern = |f: fn(u32, u32) -> [f32; 3]| {
            ImageF32::from_fn(12, 10, |x, y| {
                let [r, g, b] = f(x, y);
                [r, g, b, 1.0]
            })
            .expect("non-empty")
        };
        let reference = pattern(|x, y| {
            [
                ((x * 7 + y * 3) % 11) as f32 / 10.0,
                ((x * 2 + y * 5) % 7) as f32 / 6.0,
                ((x + y) % 5) as f32 / 4.0,
            ]
        });
        let test = pattern(|x, y| {
            [
                ((x * 3 + y * 2) % 9) as f32 / 8.0,
                ((x * 5 + y) % 7) as f32 / 6.0,
                ((2 * x + y) % 6) as f32 / 5.0,
            ]
        });
        let map = flip_map(&reference, &test, FLIP_DEFAULT_PPD)?;
        for (x, y, expected) in [
            (0, 0, 0.278_451_905_243),
            (5, 4, 0.154_429_279_952),
            (11, 9, 0.805_735_938_654),
            (3, 7, 0.427_484_406_322),
        ] {
            let got = at(&map, x, y);
            assert!(
                (got - expected).abs() < 1e-9,
                "({x}, {y}): {got} != {expected}"
            );
        }
        let mean = flip_mean(&reference, &test, FLIP_DEFAULT_PPD)?;
        assert!((mean - 0.360_514_571_096).abs() < 1e-9, "{mean}");
        Ok(())
    }

    #[test]
    fn black_against_white_is_close_to_one() -> Result<(), EvalError> {
        let score = flip_mean(
            &uniform(16, 16, [0.0; 3]),
            &uniform(16, 16, [1.0; 3]),
            FLIP_DEFAULT_PPD,
        )?;
        assert!(score > 0.95 && score <= 1.0, "{score}");
        Ok(())
    }

    #[test]
    fn a_small_uniform_shift_scores_small_but_nonzero() -> Result<(), EvalError> {
        let score = flip_mean(
            &uniform(16, 16, [0.5; 3]),
            &uniform(16, 16, [0.55; 3]),
            FLIP_DEFAULT_PPD,
        )?;
        assert!(score > 0.05 && score < 0.3, "{score}");
        Ok(())
    }

    #[test]
    fn errors_lie_in_the_unit_interval() -> Result<(), EvalError> {
        let reference = textured(48, 40);
        for (a, b) in [
            (reference.clone(), with_noise(&reference, 1.0)),
            (with_noise(&uniform(48, 40, [0.5; 3]), 1.0), reference),
            (
                uniform(48, 40, [0.0, 1.0, 0.0]),
                uniform(48, 40, [0.0, 0.0, 1.0]),
            ),
        ] {
            let map = flip_map(&a, &b, FLIP_DEFAULT_PPD)?;
            assert!(map.data().iter().all(|v| (0.0..=1.0).contains(v)));
        }
        Ok(())
    }

    #[test]
    fn more_noise_scores_higher() -> Result<(), EvalError> {
        let reference = textured(48, 40);
        let mut previous = 0.0;
        for amplitude in [0.01, 0.03, 0.1, 0.3] {
            let score = flip_mean(
                &reference,
                &with_noise(&reference, amplitude),
                FLIP_DEFAULT_PPD,
            )?;
            println!("noise amplitude {amplitude}: FLIP {score:.4}");
            assert!(score > previous, "noise {amplitude}: {score} <= {previous}");
            previous = score;
        }
        Ok(())
    }

    #[test]
    fn a_thin_line_shows_where_it_is() -> Result<(), EvalError> {
        let reference = uniform(64, 48, [0.5; 3]);
        let test = ImageF32::from_fn(64, 48, |x, _| {
            let v = if x == 40 { 0.8 } else { 0.5 };
            [v, v, v, 1.0]
        })
        .expect("non-empty");
        let map = flip_map(&reference, &test, FLIP_DEFAULT_PPD)?;
        let on_line = at(&map, 40, 24);
        // 30 pixels away is beyond both the CSF (10) and the feature (9) kernels' reach.
        let far = at(&map, 10, 24);
        println!(
            "line: {on_line:.4} on it, {:.4} two pixels off",
            at(&map, 42, 24)
        );
        assert!(on_line > 0.2, "{on_line}");
        assert!(far < 1e-9, "{far}");
        assert!(at(&map, 42, 24) < on_line && at(&map, 42, 24) > far);
        Ok(())
    }

    #[test]
    fn tiny_images_do_not_panic() -> Result<(), EvalError> {
        let score = flip_mean(
            &uniform(1, 1, [0.2; 3]),
            &uniform(1, 1, [0.3; 3]),
            FLIP_DEFAULT_PPD,
        )?;
        assert!(score > 0.0 && score < 1.0);
        Ok(())
    }

    #[test]
    fn bad_input_is_rejected() {
        let a = uniform(8, 8, [0.5; 3]);
        let b = uniform(8, 9, [0.5; 3]);
        assert!(matches!(
            flip_map(&a, &b, FLIP_DEFAULT_PPD),
            Err(EvalError::SizeMismatch {
                a: [8, 8],
                b: [8, 9]
            })
        ));
        let nan = ImageF32::from_fn(8, 8, |x, y| {
            let v = if (x, y) == (3, 5) { f32::NAN } else { 0.5 };
            [0.5, v, 0.5, 1.0]
        })
        .expect("non-empty");
        assert!(matches!(
            flip_mean(&a, &nan, FLIP_DEFAULT_PPD),
            Err(EvalError::NonFinite { x: 3, y: 5, .. })
        ));
        for ppd in [0.0, -1.0, f64::NAN, f64::INFINITY, FLIP_MAX_PPD * 2.0] {
            assert!(matches!(
                flip_mean(&a, &a, ppd),
                Err(EvalError::PixelsPerDegree { .. })
            ));
        }
    }
}
