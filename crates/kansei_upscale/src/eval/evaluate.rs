//! Evaluating a method on a data set: per-image and mean scores, its cost, its measured GPU
//! time and its projected console time, gathered in one [`MethodReport`].

use super::{
    Dataset, EvalError, FRAME_540P_TO_1080P, FRAME_1080P_TO_4K, GpuTiming, Method, MethodCost,
    PS5_CLASS, Projection, Sample, Scale, Scores, TIMING_RUNS, load_sample, score_with_luma,
    time_gpu, timing_frame,
};
use crate::gpu::GpuContext;

/// The scores of one image.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageScore {
    /// [`Sample::name`].
    pub name: String,
    /// Its scores under the standard protocol ([`score_with_luma`]).
    pub scores: Scores,
}

/// Everything `kansei upscale eval` reports about one method.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodReport {
    /// The method.
    pub method: Method,
    /// Its cost at the evaluated scale.
    pub cost: MethodCost,
    /// Scores of every image, in data set order.
    pub images: Vec<ImageScore>,
    /// Measured GPU time, when a device was given.
    pub gpu: Option<GpuTiming>,
    /// Roofline projection on [`PS5_CLASS`] for 1080p → 4K.
    pub ps5_1080p_to_4k: Projection,
    /// Roofline projection on [`PS5_CLASS`] for 540p → 1080p.
    pub ps5_540p_to_1080p: Projection,
}

impl MethodReport {
    /// Mean of each score over the images (the figure SR papers report); infinite if any image
    /// was reproduced exactly.
    pub fn mean(&self) -> Scores {
        let n = self.images.len().max(1) as f64;
        let sum = |f: fn(&Scores) -> f64| self.images.iter().map(|i| f(&i.scores)).sum::<f64>();
        Scores {
            psnr_y: sum(|s| s.psnr_y) / n,
            ssim_y: sum(|s| s.ssim_y) / n,
            psnr_rgb: sum(|s| s.psnr_rgb) / n,
        }
    }
}

/// Loads every image of `dataset` for upscaling by `scale`, failing on the first bad one.
pub fn load_samples(dataset: &Dataset, scale: Scale) -> Result<Vec<Sample>, EvalError> {
    dataset
        .entries
        .iter()
        .map(|entry| load_sample(entry, scale))
        .collect()
}

/// Scores `method`'s CPU output on every sample.
pub fn score_method(
    method: Method,
    samples: &[Sample],
    scale: Scale,
) -> Result<Vec<ImageScore>, EvalError> {
    samples
        .iter()
        .map(|sample| {
            let sr = method.run_cpu(&sample.lr, scale)?;
            Ok(ImageScore {
                name: sample.name.clone(),
                scores: score_with_luma(&sr, &sample.hr, scale, sample.luma)?,
            })
        })
        .collect()
}

/// The console projections of `method`. Both frames are x2 upscales, so the cost is taken at
/// scale 2 whatever scale was evaluated.
pub fn project_ps5(method: Method) -> [Projection; 2] {
    let cost = method.cost(Scale::X2);
    [FRAME_1080P_TO_4K, FRAME_540P_TO_1080P].map(|frame| PS5_CLASS.project(&cost.workload(frame)))
}

/// Evaluates `method` on `samples` at `scale`: quality from the CPU path, and, when `gpu` is
/// given, the median GPU time of upscaling a [`timing_frame`] to 1080p ([`TIMING_RUNS`] runs).
pub fn evaluate(
    method: Method,
    samples: &[Sample],
    scale: Scale,
    gpu: Option<&GpuContext>,
) -> Result<MethodReport, EvalError> {
    let images = score_method(method, samples, scale)?;
    let gpu = match gpu {
        Some(ctx) => {
            let pipelines = method.gpu(ctx, scale)?;
            Some(time_gpu(
                &pipelines,
                ctx,
                &timing_frame(scale)?,
                scale,
                TIMING_RUNS,
            )?)
        }
        None => None,
    };
    let [ps5_1080p_to_4k, ps5_540p_to_1080p] = project_ps5(method);
    Ok(MethodReport {
        method,
        cost: method.cost(scale),
        images,
        gpu,
        ps5_1080p_to_4k,
        ps5_540p_to_1080p,
    })
}
