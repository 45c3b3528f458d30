//! The CPU reference of EASU, the edge-adaptive upscaling pass (maths in the
//! [module docs](crate::spatial)); mirrored by `shaders/easu.wgsl`.

use super::SpatialError;
use crate::image::{ImageF32, Rgba};
use crate::resample::{SourcePosition, source_position};

/// How much longer than wide the kernel gets on a perfect edge (coherence 1).
///
/// Chosen with [`EASU_LOBE_EDGE`] by measuring 4x upscales of antialiased discs, tilted edges,
/// thin stripes and smooth texture against renders at 4x resolution: without a stretch the deep
/// edge lobe turns tilted edges into staircases, while 2 blurs curved edges and weakens the
/// sharpening across them. At 1.5 a tap 1.5 texels along the edge sits exactly at the edge of
/// the positive core (`s = 1.5^2 / 1.5^2 = 1`).
pub const EASU_MAX_STRETCH: f32 = 1.5;

/// Depth of the negative ring where there is no edge: `0.25` makes its minimum `-1/16`, the
/// same as the Keys cubic's negative lobe, a mild sharpening.
pub const EASU_LOBE_FLAT: f32 = 0.25;

/// Depth of the negative ring on a perfect edge: three times [`EASU_LOBE_FLAT`] (minimum
/// `-3/16`) for a crisp edge profile; the deringing clamp removes the overshoot this would
/// otherwise add. Deeper lobes sharpen edges further but overshoot in smooth gradients (which
/// the coherence cannot tell from edges), and from about 1.25 the weight sum can reach zero.
pub const EASU_LOBE_EDGE: f32 = 0.75;

/// The 12 taps `(i, j)`, offsets from `base`: the 4x4 block `-1 ..= 2` without its corners, row
/// by row. Every sum over the taps visits them in this order.
pub const EASU_FOOTPRINT: [(i32, i32); 12] = [
    (0, -1),
    (1, -1),
    (-1, 0),
    (0, 0),
    (1, 0),
    (2, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
    (2, 1),
    (0, 2),
    (1, 2),
];

/// F, G, J, K: the quad of texels nearest the sample, offsets from `base`.
const QUAD: [(i32, i32); 4] = [(0, 0), (1, 0), (0, 1), (1, 1)];

/// Lower bound for `(a + c)^2` in the coherence, so a flat area (`a = b = c = 0`) gives 0
/// instead of 0/0. Far below any real gradient energy.
const MIN_ENERGY: f32 = 1e-30;

/// Upscales `input` to `out_width x out_height` with EASU alone (no sharpening).
pub fn easu_cpu(
    input: &ImageF32,
    out_width: u32,
    out_height: u32,
) -> Result<ImageF32, SpatialError> {
    if out_width == 0 || out_height == 0 {
        return Err(SpatialError::EmptyOutput {
            width: out_width,
            height: out_height,
        });
    }
    let columns: Vec<SourcePosition> = (0..out_width)
        .map(|x| source_position(x, input.width(), out_width))
        .collect();
    let mut pixels = Vec::with_capacity(columns.len() * out_height as usize);
    for y in 0..out_height {
        let row = source_position(y, input.height(), out_height);
        pixels.extend(columns.iter().map(|&column| easu_pixel(input, column, row)));
    }
    // `pixels` holds exactly out_width * out_height entries and both sides are non-zero.
    ImageF32::new(out_width, out_height, pixels).map_err(|_| SpatialError::EmptyOutput {
        width: out_width,
        height: out_height,
    })
}

/// The footprint's colours and lumas on a 4x4 grid indexed `[j + 1][i + 1]`; the corners are
/// never read.
struct Footprint {
    color: [[Rgba; 4]; 4],
    luma: [[f32; 4]; 4],
}

impl Footprint {
    fn load(input: &ImageF32, column: SourcePosition, row: SourcePosition) -> Self {
        let mut footprint = Self {
            color: [[[0.0; 4]; 4]; 4],
            luma: [[0.0; 4]; 4],
        };
        for (i, j) in EASU_FOOTPRINT {
            let p = input.get_clamped(column.base + i64::from(i), row.base + i64::from(j));
            let (gx, gy) = grid(i, j);
            footprint.color[gy][gx] = p;
            footprint.luma[gy][gx] = luma(p);
        }
        footprint
    }

    fn color(&self, i: i32, j: i32) -> Rgba {
        let (gx, gy) = grid(i, j);
        self.color[gy][gx]
    }

    fn luma(&self, i: i32, j: i32) -> f32 {
        let (gx, gy) = grid(i, j);
        self.luma[gy][gx]
    }
}

/// Grid indices of offset `(i, j)`; offsets are in `-1 ..= 2`, so both are in `0..4`.
fn grid(i: i32, j: i32) -> (usize, usize) {
    ((i + 1) as usize, (j + 1) as usize)
}

/// Luma used for edge analysis only: `0.25 r + 0.5 g + 0.25 b`.
fn luma(p: Rgba) -> f32 {
    0.25 * p[0] + 0.5 * p[1] + 0.25 * p[2]
}

/// The local edge: gradient direction as the doubled angle `(cos 2theta, sin 2theta)` and the
/// coherence in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct EdgeShape {
    cos2: f32,
    sin2: f32,
    coherence: f32,
}

/// Structure tensor of the F/G/J/K gradients, blended with bilinear weights of `(tx, ty)`.
fn analyse(footprint: &Footprint, tx: f32, ty: f32) -> EdgeShape {
    let quad_weights = [
        (1.0 - tx) * (1.0 - ty),
        tx * (1.0 - ty),
        (1.0 - tx) * ty,
        tx * ty,
    ];
    let (mut a, mut b, mut c) = (0.0_f32, 0.0_f32, 0.0_f32);
    for ((i, j), w) in QUAD.into_iter().zip(quad_weights) {
        // Central differences over the plus-shaped neighbours; all lie inside the footprint.
        let gx = footprint.luma(i + 1, j) - footprint.luma(i - 1, j);
        let gy = footprint.luma(i, j + 1) - footprint.luma(i, j - 1);
        a += w * (gx * gx);
        b += w * (gx * gy);
        c += w * (gy * gy);
    }
    let diff = a - c;
    let d = diff * diff + 4.0 * (b * b);
    let trace = a + c;
    let coherence = (d / (trace * trace).max(MIN_ENERGY)).min(1.0);
    let (cos2, sin2) = if d > 0.0 {
        let inv = 1.0 / d.sqrt();
        (diff * inv, (2.0 * b) * inv)
    } else {
        (1.0, 0.0)
    };
    EdgeShape {
        cos2,
        sin2,
        coherence,
    }
}

/// The kernel's shape for one output pixel: `k` shrinks along-edge distances, `lobe` scales the
/// negative ring.
#[derive(Debug, Clone, Copy)]
struct Kernel {
    cos2: f32,
    sin2: f32,
    k: f32,
    lobe: f32,
}

impl Kernel {
    fn new(shape: EdgeShape) -> Self {
        let stretch = 1.0 + (EASU_MAX_STRETCH - 1.0) * shape.coherence;
        Self {
            cos2: shape.cos2,
            sin2: shape.sin2,
            k: 1.0 - 1.0 / (stretch * stretch),
            lobe: EASU_LOBE_FLAT + (EASU_LOBE_EDGE - EASU_LOBE_FLAT) * shape.coherence,
        }
    }

    /// Weight of a tap at `(dx, dy)` from the sample.
    fn weight(&self, dx: f32, dy: f32) -> f32 {
        let along = 0.5
            * ((1.0 - self.cos2) * (dx * dx) - 2.0 * self.sin2 * (dx * dy)
                + (1.0 + self.cos2) * (dy * dy));
        let s = dx * dx + dy * dy - self.k * along;
        let q = 1.0 - 0.25 * s;
        let base = (1.0 - s) * (q * q);
        if s < 1.0 {
            base
        } else if s < 4.0 {
            self.lobe * base
        } else {
            0.0
        }
    }
}

/// One output pixel at source position `(column, row)`.
fn easu_pixel(input: &ImageF32, column: SourcePosition, row: SourcePosition) -> Rgba {
    let (tx, ty) = (column.t, row.t);
    let footprint = Footprint::load(input, column, row);
    let kernel = Kernel::new(analyse(&footprint, tx, ty));

    let reference = footprint.color(0, 0);
    let mut acc = [0.0_f32; 4];
    let mut weight_sum = 0.0_f32;
    for (i, j) in EASU_FOOTPRINT {
        let w = kernel.weight(i as f32 - tx, j as f32 - ty);
        let p = footprint.color(i, j);
        weight_sum += w;
        for ch in 0..4 {
            acc[ch] += w * (p[ch] - reference[ch]);
        }
    }

    // Deringing: stay within the four nearest texels.
    let mut out = reference;
    for ch in 0..4 {
        let (mut lo, mut hi) = (reference[ch], reference[ch]);
        for (i, j) in QUAD {
            let v = footprint.color(i, j)[ch];
            lo = lo.min(v);
            hi = hi.max(v);
        }
        // max-then-min rather than `clamp`, which panics on NaN; WGSL's clamp is the same.
        out[ch] = (reference[ch] + acc[ch] / weight_sum).max(lo).min(hi);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn position(t: f32) -> SourcePosition {
        SourcePosition { base: 1, t }
    }

    /// The footprint around `(1 + tx, 1 + ty)` of the 4x4 image `f`.
    fn footprint_of(
        f: impl FnMut(u32, u32) -> Rgba,
        tx: f32,
        ty: f32,
    ) -> Result<Footprint, Box<dyn std::error::Error>> {
        let image = ImageF32::from_fn(4, 4, f)?;
        Ok(Footprint::load(&image, position(tx), position(ty)))
    }

    fn gray(v: f32) -> Rgba {
        [v, v, v, 1.0]
    }

    #[test]
    fn analysis_finds_vertical_horizontal_and_diagonal_edges() -> TestResult {
        // A vertical edge (dark left, bright right): the gradient is along x, cos 2theta = 1.
        // (Exact equality would be too strict: the bilinear quad weights only sum to 1 within
        // rounding, and cos 2theta is a * (1 / sqrt(a^2)).)
        let close = |shape: EdgeShape, expected: [f32; 3]| {
            let got = [shape.cos2, shape.sin2, shape.coherence];
            got.iter().zip(expected).all(|(g, e)| (g - e).abs() < 1e-6)
        };
        let vertical = footprint_of(|x, _| gray(if x >= 2 { 1.0 } else { 0.0 }), 0.5, 0.3)?;
        let shape = analyse(&vertical, 0.5, 0.3);
        assert!(close(shape, [1.0, 0.0, 1.0]), "{shape:?}");
        // A horizontal edge: gradient along y, cos 2theta = -1.
        let horizontal = footprint_of(|_, y| gray(if y >= 2 { 1.0 } else { 0.0 }), 0.2, 0.5)?;
        let shape = analyse(&horizontal, 0.2, 0.5);
        assert!(close(shape, [-1.0, 0.0, 1.0]), "{shape:?}");
        // A diagonal ramp x + y: gradient at 45 degrees, 2theta = 90 degrees.
        let diagonal = footprint_of(|x, y| gray((x + y) as f32), 0.4, 0.7)?;
        let shape = analyse(&diagonal, 0.4, 0.7);
        assert!(close(shape, [0.0, 1.0, 1.0]), "{shape:?}");
        // The other diagonal flips the sign of sin 2theta.
        let anti = footprint_of(|x, y| gray(x as f32 - y as f32), 0.4, 0.7)?;
        let shape = analyse(&anti, 0.4, 0.7);
        assert!(close(shape, [0.0, -1.0, 1.0]), "{shape:?}");
        Ok(())
    }

    #[test]
    fn analysis_sees_no_edge_in_flat_areas_and_checkerboards() -> TestResult {
        let flat = footprint_of(|_, _| gray(0.7), 0.5, 0.5)?;
        let shape = analyse(&flat, 0.5, 0.5);
        assert_eq!((shape.cos2, shape.sin2, shape.coherence), (1.0, 0.0, 0.0));
        // A single bright texel at F: gradients point in all four directions around it.
        let dot = footprint_of(
            |x, y| gray(if (x, y) == (1, 1) { 1.0 } else { 0.0 }),
            0.5,
            0.5,
        )?;
        let shape = analyse(&dot, 0.5, 0.5);
        assert!(shape.coherence < 0.01, "{shape:?}");
        // Alpha does not take part.
        let alpha_only = footprint_of(|x, _| [0.5, 0.5, 0.5, x as f32], 0.5, 0.5)?;
        assert_eq!(analyse(&alpha_only, 0.5, 0.5).coherence, 0.0);
        Ok(())
    }

    #[test]
    fn weight_sum_stays_well_above_zero() {
        // The division by the weight sum is safe for every position, direction and coherence.
        let mut smallest = f32::MAX;
        for ix in 0..=16 {
            for iy in 0..=16 {
                let (tx, ty) = (ix as f32 / 17.0, iy as f32 / 17.0);
                for angle in 0..32 {
                    let two_theta = angle as f32 * std::f32::consts::PI / 16.0;
                    for coherence in [0.0, 0.25, 0.5, 0.75, 1.0] {
                        let kernel = Kernel::new(EdgeShape {
                            cos2: two_theta.cos(),
                            sin2: two_theta.sin(),
                            coherence,
                        });
                        let sum: f32 = EASU_FOOTPRINT
                            .iter()
                            .map(|&(i, j)| kernel.weight(i as f32 - tx, j as f32 - ty))
                            .sum();
                        smallest = smallest.min(sum);
                    }
                }
            }
        }
        eprintln!("smallest EASU weight sum: {smallest}");
        assert!(smallest > 0.8, "{smallest}");
    }

    #[test]
    fn kernel_is_one_at_the_sample_and_zero_at_unit_distance_without_an_edge() {
        let kernel = Kernel::new(EdgeShape {
            cos2: 1.0,
            sin2: 0.0,
            coherence: 0.0,
        });
        assert_eq!(kernel.weight(0.0, 0.0), 1.0);
        assert_eq!(kernel.weight(1.0, 0.0), 0.0);
        assert_eq!(kernel.weight(0.0, -1.0), 0.0);
        assert_eq!(kernel.weight(2.0, 0.0), 0.0);
        // The ring is deepest at s = 2: lobe * (1 - 2) * 0.5^2.
        assert_eq!(kernel.weight(1.0, 1.0), -0.25 * EASU_LOBE_FLAT);
    }

    #[test]
    fn kernel_stretches_along_the_edge_only() {
        // A vertical edge (gradient along x): y distances are shrunk by the stretch, x are not.
        let kernel = Kernel::new(EdgeShape {
            cos2: 1.0,
            sin2: 0.0,
            coherence: 1.0,
        });
        assert_eq!(kernel.weight(1.0, 0.0), 0.0);
        // 1.5 texels along the edge: s = 1.5^2 / 1.5^2 = 1, the edge of the positive core.
        assert!(kernel.weight(0.0, 1.5).abs() < 1e-6);
        assert!(kernel.weight(0.0, 1.0) > 0.3);
        // Across the edge the ring is three times as deep as without an edge.
        let flat = Kernel::new(EdgeShape {
            cos2: 1.0,
            sin2: 0.0,
            coherence: 0.0,
        });
        let ratio = kernel.weight(1.5, 0.0) / flat.weight(1.5, 0.0);
        assert!(
            (ratio - EASU_LOBE_EDGE / EASU_LOBE_FLAT).abs() < 1e-6,
            "{ratio}"
        );
    }

    #[test]
    fn constant_image_is_reproduced_exactly() -> TestResult {
        let value = [0.3, -1.7, 12.5, 0.9];
        let input = ImageF32::filled(13, 7, value)?;
        for (w, h) in [(1, 1), (5, 3), (13, 7), (40, 21), (97, 61)] {
            let out = easu_cpu(&input, w, h)?;
            assert!(out.pixels().iter().all(|&p| p == value), "{w}x{h}");
        }
        Ok(())
    }

    #[test]
    fn output_stays_within_the_nearest_four_texels() -> TestResult {
        // A hard checkerboard of 0 and 1 would ring badly without the deringing clamp.
        let input = ImageF32::from_fn(9, 7, |x, y| gray(((x / 2 + y) % 2) as f32))?;
        let out = easu_cpu(&input, 31, 22)?;
        for p in out.pixels() {
            assert!(p.iter().all(|v| (0.0..=1.0).contains(v)), "{p:?}");
        }
        Ok(())
    }

    #[test]
    fn transposing_the_input_transposes_the_output() -> TestResult {
        // The footprint, the analysis and the kernel treat x and y alike.
        let f = |x: u32, y: u32| {
            let v = ((x * 7 + y * 13) % 11) as f32 / 10.0;
            [v, (x as f32 * 0.3).sin(), y as f32 * 0.1, 1.0]
        };
        let input = ImageF32::from_fn(11, 6, f)?;
        let transposed = ImageF32::from_fn(6, 11, |x, y| f(y, x))?;
        let out = easu_cpu(&input, 25, 17)?;
        let out_t = easu_cpu(&transposed, 17, 25)?;
        let mut worst = 0.0_f32;
        for y in 0..17 {
            for x in 0..25 {
                let a = out.get(x, y).ok_or("pixel out of range")?;
                let b = out_t.get(y, x).ok_or("pixel out of range")?;
                for ch in 0..4 {
                    worst = worst.max((a[ch] - b[ch]).abs());
                }
            }
        }
        assert!(worst < 1e-5, "{worst}");
        Ok(())
    }

    #[test]
    fn zero_sized_output_is_an_error() -> TestResult {
        let input = ImageF32::filled(3, 3, [1.0; 4])?;
        for (w, h) in [(0, 3), (3, 0), (0, 0)] {
            assert!(matches!(
                easu_cpu(&input, w, h),
                Err(SpatialError::EmptyOutput { .. })
            ));
        }
        Ok(())
    }
}
