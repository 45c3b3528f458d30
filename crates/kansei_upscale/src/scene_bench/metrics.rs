//! The harness's scores of one method on one scene: per-frame fidelity (PSNR, SSIM, FLIP)
//! against the supersampled ground truth, temporal flicker where the ground truth is static,
//! and ghosting behind a moving object.
//!
//! - **PSNR**: RGB, 8-bit peak, mean over the scored frames of each frame's PSNR.
//! - **SSIM**: on BT.601 Y, the usual 11x11 Gaussian window ([`crate::eval::ssim`]).
//! - **FLIP**: LDR-FLIP ([`crate::eval::flip_mean`]) at its default viewing conditions.
//! - **Flicker**: over the pixels whose ground-truth luma does not change across the frames it
//!   is measured on (the last 32 by default, the steady state) (standard deviation at most [`STATIC_GROUND_TRUTH_STD`]), the mean of the method's
//!   per-pixel luma standard deviation over those frames, in 8-bit levels. A perfectly stable
//!   method scores 0; Bevy's TAA at native resolution is the bar.
//! - **Ghosting**: behind a moving object, the pixels it covered exactly [`GHOST_LAG`] frames
//!   earlier and has not covered since (the trail): the mean of the output's error projected on
//!   the direction from the true colour now to the object's colour then, in 8-bit levels,
//!   averaged over frames. A ghost (the object's colour lingering) makes it positive; noise and
//!   blur, which are not pulled towards the object, average out. The trail's mean absolute
//!   error and that of the never-covered pixels of the same rows are reported beside it, to
//!   show how far the revealed pixels have re-converged. Coverage comes from the ground truth:
//!   a pixel is covered where it differs from its median over all frames (the background,
//!   since the object covers any pixel for well under half of them) by more than
//!   [`COVERAGE_THRESHOLD`] in some channel.

use super::BenchError;
use crate::{
    ImageF32,
    eval::{FLIP_DEFAULT_PPD, Luma, flip_mean, psnr_rgb, ssim_y},
};

/// Ground-truth luma standard deviation (8-bit levels) under which a pixel counts as static.
pub const STATIC_GROUND_TRUTH_STD: f64 = 0.5;
/// Frames after the object covered a pixel at which its trail is scored.
pub const GHOST_LAG: usize = 8;
/// Difference from the background (per channel, `[0, 1]`) that marks a pixel as covered.
pub const COVERAGE_THRESHOLD: f32 = 0.1;
/// Fewer static pixels than this fraction of the frame: no flicker score (the scene moves).
const MIN_STATIC_FRACTION: f64 = 0.01;

/// Fidelity of one method's frames against the ground truth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameScores {
    /// Mean PSNR (dB) over the scored frames.
    pub psnr: f64,
    /// Mean SSIM-Y over the scored frames.
    pub ssim: f64,
    /// Mean LDR-FLIP over the scored frames (0 identical, 1 maximally different).
    pub flip: f64,
    /// PSNR (dB) of the first frame after the camera cut (convergence starts here).
    pub first_frame_psnr: f64,
}

/// Scores `frames[from..]` against `truth[from..]` (`frames[0]` is the first frame after the
/// cut).
pub fn frame_scores(
    truth: &[ImageF32],
    frames: &[ImageF32],
    from: usize,
) -> Result<FrameScores, BenchError> {
    if truth.len() != frames.len() || from >= truth.len() {
        return Err(BenchError::Frames(format!(
            "{} method frames for {} ground-truth frames, scored from frame {from}",
            frames.len(),
            truth.len()
        )));
    }
    let count = (truth.len() - from) as f64;
    let (mut psnr, mut ssim, mut flip) = (0.0, 0.0, 0.0);
    for (t, f) in truth[from..].iter().zip(&frames[from..]) {
        psnr += psnr_rgb(f, t)?;
        ssim += ssim_y(f, t, Luma::Bt601)?;
        flip += flip_mean(t, f, FLIP_DEFAULT_PPD)?;
    }
    Ok(FrameScores {
        psnr: psnr / count,
        ssim: ssim / count,
        flip: flip / count,
        first_frame_psnr: psnr_rgb(&frames[0], &truth[0])?,
    })
}

/// Full-range luma (BT.601 weights) of a pixel, in 8-bit levels.
fn luma(p: [f32; 4]) -> f64 {
    255.0 * (0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
}

/// A picture of the flicker of `frames` for looking at: each pixel's luma standard deviation
/// over the frames, 8 levels of deviation to full white.
pub fn flicker_image(frames: &[ImageF32]) -> Option<ImageF32> {
    let first = frames.first()?;
    let std = luma_std(frames);
    ImageF32::from_fn(first.width(), first.height(), |x, y| {
        let v = (std[(y * first.width() + x) as usize] / 8.0).min(1.0) as f32;
        [v, v, v, 1.0]
    })
    .ok()
}

/// Per-pixel luma standard deviation over `frames` (8-bit levels), in two passes (mean, then
/// squared deviations) so a constant pixel scores exactly 0.
fn luma_std(frames: &[ImageF32]) -> Vec<f64> {
    let n = frames.len() as f64;
    let pixels = frames.first().map_or(0, |f| f.pixels().len());
    let mut mean = vec![0.0; pixels];
    for frame in frames {
        for (m, p) in mean.iter_mut().zip(frame.pixels()) {
            *m += luma(*p) / n;
        }
    }
    let mut variance = vec![0.0; pixels];
    for frame in frames {
        for ((v, m), p) in variance.iter_mut().zip(&mean).zip(frame.pixels()) {
            *v += (luma(*p) - m).powi(2) / n;
        }
    }
    variance.into_iter().map(f64::sqrt).collect()
}

/// The flicker of `frames[from..]` (see the [module docs](self)), or `None` where less than
/// 1% of the ground truth is static.
pub fn flicker(truth: &[ImageF32], frames: &[ImageF32], from: usize) -> Option<f64> {
    if from + 2 > truth.len() || truth.len() != frames.len() {
        return None;
    }
    let truth_std = luma_std(&truth[from..]);
    let method_std = luma_std(&frames[from..]);
    let (sum, count) = truth_std
        .iter()
        .zip(&method_std)
        .filter(|(t, _)| **t <= STATIC_GROUND_TRUTH_STD)
        .fold((0.0, 0_usize), |(sum, count), (_, m)| (sum + m, count + 1));
    (count as f64 >= MIN_STATIC_FRACTION * truth_std.len() as f64).then(|| sum / count as f64)
}

/// Which pixels the moving object covers in each ground-truth frame.
pub fn coverage(truth: &[ImageF32]) -> Vec<Vec<bool>> {
    let Some(first) = truth.first() else {
        return Vec::new();
    };
    let pixels = first.pixels().len();
    let background: Vec<[f32; 3]> = (0..pixels)
        .map(|i| {
            let mut median = [0.0; 3];
            for (c, m) in median.iter_mut().enumerate() {
                let mut values: Vec<f32> = truth.iter().map(|f| f.pixels()[i][c]).collect();
                values.sort_by(f32::total_cmp);
                *m = values[values.len() / 2];
            }
            median
        })
        .collect();
    truth
        .iter()
        .map(|frame| {
            frame
                .pixels()
                .iter()
                .zip(&background)
                .map(|(p, b)| (0..3).any(|c| (p[c] - b[c]).abs() > COVERAGE_THRESHOLD))
                .collect()
        })
        .collect()
}

/// Ghosting of `frames` behind the object whose `coverage` is given, scored on frames from
/// `max(from, GHOST_LAG)` on (see the [module docs](self)); `None` when no frame has a trail.
pub fn ghosting(
    truth: &[ImageF32],
    frames: &[ImageF32],
    coverage: &[Vec<bool>],
    from: usize,
) -> Option<Ghosting> {
    let pixels = coverage.first()?.len();
    let width = truth.first()?.width() as usize;
    let never: Vec<bool> = (0..pixels)
        .map(|i| coverage.iter().all(|c| !c[i]))
        .collect();
    let rgb = |image: &ImageF32, i: usize| {
        let p = image.pixels()[i];
        [f64::from(p[0]), f64::from(p[1]), f64::from(p[2])]
    };
    let abs_error = |k: usize, i: usize| -> f64 {
        let (t, f) = (rgb(&truth[k], i), rgb(&frames[k], i));
        (0..3).map(|c| (t[c] - f[c]).abs()).sum::<f64>() * 255.0 / 3.0
    };
    let mut sums = [0.0; 3];
    let mut scored = 0_usize;
    for k in from.max(GHOST_LAG)..truth.len().min(frames.len()) {
        let lag = k - GHOST_LAG;
        let trail: Vec<usize> = (0..pixels)
            .filter(|&i| coverage[lag][i] && (lag + 1..=k).all(|j| !coverage[j][i]))
            .collect();
        let mut rows = vec![false; pixels / width.max(1)];
        for &i in &trail {
            rows[i / width] = true;
        }
        let background: Vec<usize> = (0..pixels)
            .filter(|&i| never[i] && rows[i / width])
            .collect();
        if trail.is_empty() || background.is_empty() {
            continue;
        }
        // How far the output sits from the truth towards the colour the object had there.
        let ghost = trail
            .iter()
            .map(|&i| {
                let (object, now, out) =
                    (rgb(&truth[lag], i), rgb(&truth[k], i), rgb(&frames[k], i));
                let towards: [f64; 3] = std::array::from_fn(|c| object[c] - now[c]);
                let length = towards.iter().map(|d| d * d).sum::<f64>().sqrt();
                if length == 0.0 {
                    return 0.0;
                }
                (0..3).map(|c| (out[c] - now[c]) * towards[c]).sum::<f64>() / length * 255.0
            })
            .sum::<f64>()
            / trail.len() as f64;
        let mean_error =
            |set: &[usize]| set.iter().map(|&i| abs_error(k, i)).sum::<f64>() / set.len() as f64;
        sums[0] += ghost;
        sums[1] += mean_error(&trail);
        sums[2] += mean_error(&background);
        scored += 1;
    }
    (scored > 0).then(|| {
        let n = scored as f64;
        Ghosting {
            ghost: sums[0] / n,
            trail_error: sums[1] / n,
            background_error: sums[2] / n,
        }
    })
}

/// What remains in a moving object's trail [`GHOST_LAG`] frames after it passed (8-bit
/// levels).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ghosting {
    /// The ghosting score: the output's error along the direction from the background's
    /// colour to the object's, averaged over the trail. Noise averages out of it; a ghost
    /// (the object's colour lingering) makes it positive.
    pub ghost: f64,
    /// Mean absolute error over the trail.
    pub trail_error: f64,
    /// Mean absolute error over the never-covered pixels of the trail's rows.
    pub background_error: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(width: u32, value: impl Fn(u32) -> f32) -> ImageF32 {
        ImageF32::from_fn(width, 1, |x, _| {
            let v = value(x);
            [v, v, v, 1.0]
        })
        .expect("non-empty")
    }

    #[test]
    fn flicker_counts_only_static_ground_truth_pixels() {
        // Pixel 0 is static in the truth, pixel 1 changes; the method flickers on pixel 0
        // by +-2 levels and follows the truth on pixel 1.
        let truth: Vec<ImageF32> = (0..10)
            .map(|k| grey(2, |x| if x == 0 { 0.5 } else { k as f32 / 10.0 }))
            .collect();
        let frames: Vec<ImageF32> = (0..10)
            .map(|k| {
                grey(2, |x| {
                    if x == 0 {
                        0.5 + if k % 2 == 0 { 2.0 } else { -2.0 } / 255.0
                    } else {
                        k as f32 / 10.0
                    }
                })
            })
            .collect();
        let f = flicker(&truth, &frames, 0).expect("half the frame is static");
        assert!((f - 2.0).abs() < 1e-3, "{f}");
        assert_eq!(flicker(&truth, &truth, 0), Some(0.0));
    }

    #[test]
    fn a_ghost_behind_the_object_scores_and_a_clean_trail_does_not() {
        // A one-pixel object moves right one pixel a frame over a black 40-pixel row.
        let truth: Vec<ImageF32> = (0..30)
            .map(|k| grey(40, |x| if x == k { 1.0 } else { 0.0 }))
            .collect();
        let cover = coverage(&truth);
        assert!(cover[5][5] && !cover[5][4]);
        let clean = ghosting(&truth, &truth, &cover, 0).expect("trails exist");
        assert_eq!(clean.ghost, 0.0);
        // The method keeps half the object's brightness for 10 frames after it left.
        let ghosted: Vec<ImageF32> = (0..30)
            .map(|k| {
                grey(40, |x| {
                    if x == k {
                        1.0
                    } else if x < k && k - x <= 10 {
                        0.5
                    } else {
                        0.0
                    }
                })
            })
            .collect();
        let ghost = ghosting(&truth, &ghosted, &cover, 0).expect("trails exist");
        // Half the object's colour difference (255 levels along grey's diagonal, sqrt(3)
        // times a channel's) remains: 0.5 * 255 * sqrt(3).
        let expected = 0.5 * 255.0 * 3.0_f64.sqrt();
        assert!((ghost.ghost - expected).abs() < 1e-3, "{ghost:?}");
        assert!(ghost.trail_error > ghost.background_error);
        // Noise around the truth, as much above as below it over the scored frames (8 to 29),
        // is not a ghost.
        let on_grey: Vec<ImageF32> = (0..30)
            .map(|k| grey(40, |x| if x == k { 1.0 } else { 0.5 }))
            .collect();
        let noisy: Vec<ImageF32> = (0..30)
            .map(|k| {
                grey(40, |x| {
                    if x == k {
                        1.0
                    } else if k % 2 == 0 {
                        0.6
                    } else {
                        0.4
                    }
                })
            })
            .collect();
        let noise = ghosting(&on_grey, &noisy, &coverage(&on_grey), 0).expect("trails exist");
        assert!(noise.ghost.abs() < 1e-3, "{noise:?}");
        assert!(noise.trail_error > 20.0, "{noise:?}");
    }

    #[test]
    fn identical_frames_score_perfectly() {
        let truth: Vec<ImageF32> = (0..4)
            .map(|k| {
                ImageF32::from_fn(16, 16, |x, y| {
                    let v = (x + y + k) as f32 / 40.0;
                    [v, v, v, 1.0]
                })
                .expect("non-empty")
            })
            .collect();
        let scores = frame_scores(&truth, &truth, 1).expect("same sizes");
        assert!(scores.psnr.is_infinite() || scores.psnr > 90.0);
        assert!((scores.ssim - 1.0).abs() < 1e-9 && scores.flip == 0.0);
        assert!(frame_scores(&truth, &truth[1..], 0).is_err());
    }
}
