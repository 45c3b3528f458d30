//! Training the quit-risk models and scoring them (ROC AUC), for `kansei difficulty train`.

use std::ops::ControlFlow;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{ParamsAdamW, VarMap};
use kansei_nn::{LrSchedule, Progress, ResumableAdamW, Trainer, seeded_var_builder};
use rand::Rng;

use super::dataset::Dataset;
use super::{FEATURES, LogisticBaseline, QuitRiskNet};

/// How to train.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Optimizer steps. Default 4,000.
    pub steps: u64,
    /// Examples per step. Default 256.
    pub batch: usize,
    /// Peak learning rate (cosine schedule with warm-up). Default 3e-3.
    pub learning_rate: f64,
    /// `AdamW` weight decay. Default 1e-4.
    pub weight_decay: f64,
    /// Seed of the initial weights and the batches. Default 1.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            steps: 4_000,
            batch: 256,
            learning_rate: 3e-3,
            weight_decay: 1e-4,
            seed: 1,
        }
    }
}

/// Errors of training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// No examples, or only one class.
    #[error(
        "the training set has {examples} examples and {positives} positives: need both classes"
    )]
    Degenerate {
        /// Examples.
        examples: usize,
        /// Positives among them.
        positives: usize,
    },
    /// Training failed.
    #[error(transparent)]
    Train(#[from] kansei_nn::TrainError),
    /// candle failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// The examples as tensors.
fn tensors(data: &Dataset, device: &Device) -> candle_core::Result<(Tensor, Tensor)> {
    let flat: Vec<f32> = data.features.iter().flatten().copied().collect();
    let xs = Tensor::from_vec(flat, (data.len(), FEATURES), device)?;
    let ys = Tensor::from_vec(data.labels.clone(), (data.len(), 1), device)?;
    Ok((xs, ys))
}

/// Trains `model` (whose variables live in `varmap`) with binary cross-entropy on random
/// batches of `data`. `progress` sees every step.
pub fn fit(
    model: &dyn Module,
    varmap: &VarMap,
    data: &Dataset,
    config: &TrainConfig,
    mut progress: impl FnMut(&Progress),
) -> Result<(), TrainError> {
    let positives = data.labels.iter().filter(|l| **l > 0.5).count();
    if positives == 0 || positives == data.len() {
        return Err(TrainError::Degenerate {
            examples: data.len(),
            positives,
        });
    }
    let device = Device::Cpu;
    let (xs, ys) = tensors(data, &device)?;
    let params = ParamsAdamW {
        lr: config.learning_rate,
        weight_decay: config.weight_decay,
        ..ParamsAdamW::default()
    };
    Trainer::<ResumableAdamW>::new(varmap, params, config.steps)
        .seed(config.seed)
        .schedule(LrSchedule::CosineWithWarmup {
            peak: config.learning_rate,
            floor: config.learning_rate * 0.01,
            warmup_steps: (config.steps / 20).max(1),
            total_steps: config.steps,
        })
        .run(
            |step| {
                let rows: Vec<u32> = (0..config.batch)
                    .map(|_| step.rng.random_range(0..data.len() as u32))
                    .collect();
                let rows = Tensor::new(rows.as_slice(), &device)?;
                let logits = model.forward(&xs.index_select(&rows, 0)?)?;
                candle_nn::loss::binary_cross_entropy_with_logit(
                    &logits,
                    &ys.index_select(&rows, 0)?,
                )
            },
            |p| {
                progress(p);
                ControlFlow::Continue(())
            },
        )?;
    Ok(())
}

/// A fresh MLP and its variables, seeded.
pub fn new_net(seed: u64) -> candle_core::Result<(QuitRiskNet, VarMap)> {
    let varmap = VarMap::new();
    let net = QuitRiskNet::new(seeded_var_builder(&varmap, seed, DType::F32, &Device::Cpu))?;
    Ok((net, varmap))
}

/// A fresh logistic baseline and its variables, seeded.
pub fn new_baseline(seed: u64) -> candle_core::Result<(LogisticBaseline, VarMap)> {
    let varmap = VarMap::new();
    let model = LogisticBaseline::new(seeded_var_builder(&varmap, seed, DType::F32, &Device::Cpu))?;
    Ok((model, varmap))
}

/// `model`'s scores (logits) on every example of `data`.
pub fn scores(model: &dyn Module, data: &Dataset) -> candle_core::Result<Vec<f32>> {
    let (xs, _) = tensors(data, &Device::Cpu)?;
    model.forward(&xs)?.flatten_all()?.to_vec1::<f32>()
}

/// Area under the ROC curve of `scores` for `labels` (1 positive, 0 negative): the chance
/// that a random positive scores above a random negative, ties counting half (Mann-Whitney).
/// NaN when a class is missing.
pub fn roc_auc(scores: &[f32], labels: &[f32]) -> f64 {
    let mut ranked: Vec<(f32, bool)> = scores
        .iter()
        .zip(labels)
        .map(|(s, l)| (*s, *l > 0.5))
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    let positives = ranked.iter().filter(|(_, p)| *p).count() as f64;
    let negatives = ranked.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return f64::NAN;
    }
    // Sum of the positives' ranks (1-based, ties sharing their mean rank).
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < ranked.len() {
        let mut j = i;
        while j < ranked.len() && ranked[j].0 == ranked[i].0 {
            j += 1;
        }
        let mean_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += mean_rank * ranked[i..j].iter().filter(|(_, p)| *p).count() as f64;
        i = j;
    }
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_known_rankings() {
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &[0.0, 0.0, 1.0, 1.0]), 1.0);
        assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &[0.0, 0.0, 1.0, 1.0]), 0.0);
        assert_eq!(roc_auc(&[0.5; 4], &[0.0, 1.0, 0.0, 1.0]), 0.5);
        // One positive above two of three negatives.
        let auc = roc_auc(&[0.1, 0.3, 0.2, 0.5], &[0.0, 0.0, 1.0, 0.0]);
        assert!((auc - 1.0 / 3.0).abs() < 1e-12, "{auc}");
        assert!(roc_auc(&[0.1, 0.2], &[1.0, 1.0]).is_nan());
    }

    #[test]
    fn every_layer_learns() {
        let (net, varmap) = new_net(3).expect("net");
        let data = Dataset {
            features: (0..64)
                .map(|i| {
                    let mut row = [0.0; FEATURES];
                    row[i % FEATURES] = 1.0;
                    row[FEATURES - 1] = (i % 3) as f32;
                    row
                })
                .collect(),
            labels: (0..64).map(|i| (i % 2) as f32).collect(),
        };
        let (xs, ys) = tensors(&data, &Device::Cpu).expect("tensors");
        kansei_nn::check_gradient_flow(&varmap, || {
            candle_nn::loss::binary_cross_entropy_with_logit(&net.forward(&xs)?, &ys)
        })
        .expect("every variable gets a gradient and changes");
    }
}
