//! Training data: images loaded once into memory as aligned low-resolution luma and
//! high-resolution luma residual, and random augmented patch batches drawn from them.
//!
//! # Preparation (once per image)
//!
//! 1. Load the RGB image (PNG or BMP) and crop it to a multiple of the scale `s` (top-left
//!    corner kept, as MATLAB's `modcrop`).
//! 2. Degrade it: by default [`matlab_bicubic_lr`], MATLAB `imresize(hr, 1/s, 'bicubic')` with
//!    antialiasing, quantised to 8 bits, exactly how the Set5 / Set14 LR files were made.
//! 3. Luma of both (MATLAB `rgb2ycbcr`, divided by 255, unrounded: [`crate::net::luma`]).
//! 4. The target is the residual `Y(HR) - bicubic(Y(LR))`, the bicubic upscale of the *whole*
//!    LR image ([`resample_cpu`], what inference adds the network's output to). Computing it on
//!    the whole image rather than per patch keeps patch borders free of edge effects.
//!
//! LR pixel `(x, y)` covers HR pixels `[s x, s x + s) x [s y, s y + s)`, so an LR patch at
//! `(x, y)` of size `p` lines up with the HR patch at `(s x, s y)` of size `s p`.
//!
//! # Batches
//!
//! Each patch is drawn from an image chosen with probability proportional to its number of
//! possible patch positions, at a uniform position, then transformed by one of the 8 symmetries
//! of the square (flips and 90° rotations; both kernels are symmetric, so LR and HR stay
//! aligned). The LR patch carries a `margin` of extra pixels on every side so that the network
//! sees real context everywhere it is scored: the loss covers only the HR pixels under the
//! central `p x p`.

use std::path::{Path, PathBuf};

use rand::Rng;

use super::TrainError;
use crate::eval::{EvalError, downscale_antialiased, quantize_rgb8};
use crate::image::ImageF32;
use crate::net::luma;
use crate::resample::{ResampleFilter, resample_cpu};

/// Makes the LR image for scale `s` from an HR image whose sides are multiples of `s`.
pub type Degradation = fn(&ImageF32, u32) -> Result<ImageF32, EvalError>;

/// The test sets' degradation: MATLAB-style antialiased bicubic downscaling
/// ([`downscale_antialiased`]) quantised to 8 bits ([`quantize_rgb8`]).
///
/// # Errors
///
/// If the image is smaller than the scale.
pub fn matlab_bicubic_lr(hr: &ImageF32, scale: u32) -> Result<ImageF32, EvalError> {
    quantize_rgb8(&downscale_antialiased(hr, scale)?)
}

/// Image files under `dir` (recursively): `.png` and `.bmp`, any case, sorted by path.
///
/// # Errors
///
/// [`TrainError::Data`] if `dir` cannot be listed or holds no image.
pub fn list_images(dir: &Path) -> Result<Vec<PathBuf>, TrainError> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), TrainError> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| TrainError::Data(format!("cannot list `{}`: {e}", dir.display())))?;
        for entry in entries {
            let path = entry
                .map_err(|e| TrainError::Data(format!("cannot list `{}`: {e}", dir.display())))?
                .path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("png") || e.eq_ignore_ascii_case("bmp"))
            {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, &mut out)?;
    out.sort();
    if out.is_empty() {
        return Err(TrainError::Data(format!(
            "`{}` holds no .png or .bmp images",
            dir.display()
        )));
    }
    Ok(out)
}

/// Loads an 8-bit (or deeper) PNG or BMP as RGBA `f32` in `[0, 1]` (alpha 1).
///
/// # Errors
///
/// [`TrainError::Data`] naming the file if it cannot be read or decoded.
pub fn load_rgb(path: &Path) -> Result<ImageF32, TrainError> {
    let fail = |e: &dyn std::fmt::Display| TrainError::Data(format!("`{}`: {e}", path.display()));
    let decoded = ::image::ImageReader::open(path)
        .map_err(|e| fail(&e))?
        .with_guessed_format()
        .map_err(|e| fail(&e))?
        .decode()
        .map_err(|e| fail(&e))?
        .to_rgb8();
    let pixels = decoded
        .pixels()
        .map(|p| {
            let [r, g, b] = p.0.map(|c| f32::from(c) / 255.0);
            [r, g, b, 1.0]
        })
        .collect();
    ImageF32::new(decoded.width(), decoded.height(), pixels).map_err(|e| fail(&e))
}

/// `image` cropped to a multiple of `scale` on each side, keeping the top-left corner.
///
/// # Errors
///
/// [`TrainError::Data`] if a side is shorter than `scale`.
pub fn modcrop(image: &ImageF32, scale: u32) -> Result<ImageF32, TrainError> {
    let (w, h) = (
        image.width() / scale * scale,
        image.height() / scale * scale,
    );
    let pixels = image.pixels();
    let stride = image.width() as usize;
    ImageF32::from_fn(w, h, |x, y| pixels[y as usize * stride + x as usize])
        .map_err(|e| TrainError::Data(format!("image too small for scale {scale}: {e}")))
}

/// One training image, prepared: LR luma and the HR luma residual over bicubic.
#[derive(Debug, Clone)]
pub struct TrainImage {
    /// The file it came from.
    pub path: PathBuf,
    /// LR width.
    pub width: usize,
    /// LR height.
    pub height: usize,
    /// LR luma (`Y / 255`), row-major, `width * height`.
    pub lr_luma: Vec<f32>,
    /// `Y(HR) - bicubic(Y(LR))`, row-major, `s width * s height`.
    pub residual: Vec<f32>,
}

/// A held-out image for validation: HR (cropped to a multiple of the scale) and its LR.
#[derive(Debug, Clone)]
pub struct ValImage {
    /// The file it came from.
    pub path: PathBuf,
    /// The HR image.
    pub hr: ImageF32,
    /// The degraded LR image.
    pub lr: ImageF32,
}

/// Prepares one image for training at `scale` (see the [module docs](self)).
///
/// # Errors
///
/// [`TrainError::Data`] if the image cannot be loaded or is smaller than the scale.
pub fn prepare_image(
    path: &Path,
    scale: u32,
    degrade: Degradation,
) -> Result<(TrainImage, ValImage), TrainError> {
    let hr = modcrop(&load_rgb(path)?, scale)?;
    let lr =
        degrade(&hr, scale).map_err(|e| TrainError::Data(format!("`{}`: {e}", path.display())))?;
    let (w, h) = (lr.width() as usize, lr.height() as usize);
    if (w * scale as usize, h * scale as usize) != (hr.width() as usize, hr.height() as usize) {
        return Err(TrainError::Data(format!(
            "`{}`: the degradation made a {w}x{h} image from {}x{}",
            path.display(),
            hr.width(),
            hr.height()
        )));
    }
    let lr_luma: Vec<f32> = lr.pixels().iter().map(|&p| luma(p)).collect();
    let lr_y_image = ImageF32::new(
        lr.width(),
        lr.height(),
        lr_luma.iter().map(|&y| [y, 0.0, 0.0, 0.0]).collect(),
    )
    .map_err(|e| TrainError::Data(e.to_string()))?;
    let base = resample_cpu(
        &lr_y_image,
        hr.width(),
        hr.height(),
        ResampleFilter::Bicubic,
    )
    .map_err(|e| TrainError::Data(e.to_string()))?;
    let residual = hr
        .pixels()
        .iter()
        .zip(base.pixels())
        .map(|(&p, b)| luma(p) - b[0])
        .collect();
    Ok((
        TrainImage {
            path: path.to_owned(),
            width: w,
            height: h,
            lr_luma,
            residual,
        },
        ValImage {
            path: path.to_owned(),
            hr,
            lr,
        },
    ))
}

/// Which of the sorted `paths` are held out for validation: `count` images spread evenly over
/// those in a folder named `t91` (the small-image half of the 291-image set), or over all images
/// when there is no such folder. Returns their indices, ascending.
pub fn holdout_indices(paths: &[PathBuf], count: usize) -> Vec<usize> {
    let in_t91: Vec<usize> = paths
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n.eq_ignore_ascii_case("t91"))
        })
        .map(|(i, _)| i)
        .collect();
    let pool: Vec<usize> = if in_t91.is_empty() {
        (0..paths.len()).collect()
    } else {
        in_t91
    };
    // Never hold out everything: at least one image must remain for training.
    let count = count.min(pool.len()).min(paths.len().saturating_sub(1));
    (0..count)
        .map(|k| pool[(2 * k + 1) * pool.len() / (2 * count)])
        .collect()
}

/// A batch of training patches, as flat row-major arrays.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Patches in the batch.
    pub size: usize,
    /// Side of each LR input patch, margin included: `patch + 2 margin`.
    pub lr_side: usize,
    /// Side of each HR target patch: `scale * patch`.
    pub hr_side: usize,
    /// LR luma, `size * lr_side²`.
    pub lr: Vec<f32>,
    /// Target residual, `size * hr_side²`.
    pub target: Vec<f32>,
}

/// The training images with a sampler of augmented patch pairs.
#[derive(Debug, Clone)]
pub struct PatchSampler {
    images: Vec<TrainImage>,
    scale: usize,
    patch: usize,
    margin: usize,
    /// Cumulative patch-position counts, for choosing images by area.
    cumulative: Vec<u64>,
}

impl PatchSampler {
    /// A sampler of `patch x patch` LR patches (plus `margin` on every side) at `scale`.
    /// Images with no room for one patch are dropped.
    ///
    /// # Errors
    ///
    /// [`TrainError::Data`] if no image has room for a patch.
    pub fn new(
        images: Vec<TrainImage>,
        scale: usize,
        patch: usize,
        margin: usize,
    ) -> Result<Self, TrainError> {
        let side = patch + 2 * margin;
        let images: Vec<TrainImage> = images
            .into_iter()
            .filter(|im| im.width >= side && im.height >= side)
            .collect();
        let mut cumulative = Vec::with_capacity(images.len());
        let mut total = 0u64;
        for im in &images {
            total += ((im.width - side + 1) * (im.height - side + 1)) as u64;
            cumulative.push(total);
        }
        if images.is_empty() {
            return Err(TrainError::Data(format!(
                "no training image is large enough for a {side}x{side} LR patch \
                 ({patch} + 2 x {margin} margin)"
            )));
        }
        Ok(Self {
            images,
            scale,
            patch,
            margin,
            cumulative,
        })
    }

    /// The images patches are drawn from.
    pub fn images(&self) -> &[TrainImage] {
        &self.images
    }

    /// Draws `size` augmented patch pairs.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R, size: usize) -> Batch {
        let (s, p, m) = (self.scale, self.patch, self.margin);
        let lr_side = p + 2 * m;
        let hr_side = s * p;
        let mut batch = Batch {
            size,
            lr_side,
            hr_side,
            lr: Vec::with_capacity(size * lr_side * lr_side),
            target: Vec::with_capacity(size * hr_side * hr_side),
        };
        let total = self.cumulative.last().copied().unwrap_or(0);
        for _ in 0..size {
            let pick = rng.random_range(0..total);
            let index = self.cumulative.partition_point(|&c| c <= pick);
            let im = &self.images[index];
            let x = rng.random_range(0..=im.width - lr_side);
            let y = rng.random_range(0..=im.height - lr_side);
            let symmetry = rng.random_range(0..8u8);
            push_patch(
                &mut batch.lr,
                &im.lr_luma,
                im.width,
                (x, y),
                lr_side,
                symmetry,
            );
            push_patch(
                &mut batch.target,
                &im.residual,
                im.width * s,
                (s * (x + m), s * (y + m)),
                hr_side,
                symmetry,
            );
        }
        batch
    }
}

/// Appends the `side x side` square at `(x0, y0)` of a row-major plane of width `stride`,
/// transformed by `symmetry` (bit 0: transpose, bit 1: flip horizontally, bit 2: flip
/// vertically; the 8 symmetries of the square).
fn push_patch(
    out: &mut Vec<f32>,
    plane: &[f32],
    stride: usize,
    (x0, y0): (usize, usize),
    side: usize,
    symmetry: u8,
) {
    for i in 0..side {
        for j in 0..side {
            let (mut u, mut v) = if symmetry & 1 != 0 { (i, j) } else { (j, i) };
            if symmetry & 2 != 0 {
                u = side - 1 - u;
            }
            if symmetry & 4 != 0 {
                v = side - 1 - v;
            }
            out.push(plane[(y0 + v) * stride + x0 + u]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn symmetries_are_eight_distinct_permutations() {
        let plane: Vec<f32> = (0..9).map(|v| v as f32).collect();
        let mut seen = Vec::new();
        for s in 0..8 {
            let mut out = Vec::new();
            push_patch(&mut out, &plane, 3, (0, 0), 3, s);
            let mut sorted = out.clone();
            sorted.sort_by(f32::total_cmp);
            assert_eq!(sorted, plane);
            assert!(!seen.contains(&out), "symmetry {s} repeats");
            seen.push(out);
        }
    }

    #[test]
    fn lr_and_hr_patches_stay_aligned_under_every_symmetry() -> Result<(), TrainError> {
        // LR pixel value = its index; HR residual = the index of the LR pixel it lies in. After
        // any symmetry, HR pixel (X, Y) of the target must lie in LR pixel (X / s + m, Y / s + m)
        // of the input.
        let (w, h, s, p, m) = (9, 7, 3, 3, 1);
        let lr_luma: Vec<f32> = (0..w * h).map(|v| v as f32).collect();
        let residual: Vec<f32> = (0..w * s * h * s)
            .map(|i| {
                let (x, y) = (i % (w * s), i / (w * s));
                (y / s * w + x / s) as f32
            })
            .collect();
        let image = TrainImage {
            path: PathBuf::new(),
            width: w,
            height: h,
            lr_luma,
            residual,
        };
        let sampler = PatchSampler::new(vec![image], s, p, m)?;
        let batch = sampler.sample(&mut StdRng::seed_from_u64(1), 64);
        let (ls, hs) = (batch.lr_side, batch.hr_side);
        for b in 0..batch.size {
            let lr = &batch.lr[b * ls * ls..][..ls * ls];
            let hr = &batch.target[b * hs * hs..][..hs * hs];
            for yy in 0..hs {
                for xx in 0..hs {
                    let expected = lr[(yy / s + m) * ls + xx / s + m];
                    assert_eq!(hr[yy * hs + xx], expected);
                }
            }
        }
        Ok(())
    }

    #[test]
    fn holdout_spreads_over_t91_and_keeps_a_training_image() {
        let paths: Vec<PathBuf> = (0..4)
            .map(|i| PathBuf::from(format!("d/bsd200/{i}.png")))
            .chain((0..10).map(|i| PathBuf::from(format!("d/t91/t{i}.bmp"))))
            .collect();
        assert_eq!(holdout_indices(&paths, 2), [6, 11]);
        let two = [PathBuf::from("a.png"), PathBuf::from("b.png")];
        assert_eq!(holdout_indices(&two, 5).len(), 1);
    }
}
