//! What an evaluation reports.

use serde::Serialize;

use crate::eval::Split;
use crate::rerank::RerankConfig;

/// The sampled protocol's figures: the held-out item ranked against sampled negatives.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SampledMetrics {
    /// Share of users whose held-out item ranks in the top `k`.
    pub hr: f64,
    /// Mean NDCG@k.
    pub ndcg: f64,
}

/// Full-ranking figures: the held-out item ranked against the whole catalogue (the user's own
/// history left out), and the exposure of the top-`k` lists.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FullMetrics {
    /// Share of users whose held-out item ranks in the top `k`.
    pub hr: f64,
    /// Mean NDCG@k.
    pub ndcg: f64,
    /// Share of catalogue items in at least one user's top `k`.
    pub coverage: f64,
    /// Gini coefficient of how often each catalogue item appears in the top-`k` lists (0 =
    /// every item equally often).
    pub gini: f64,
    /// Mean training count of the recommended items (over every top-`k` slot).
    pub mean_popularity: f64,
}

/// Full-ranking figures with the long-tail re-ranker on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RerankedMetrics {
    /// The re-ranker's settings.
    pub config: RerankConfig,
    /// Full-ranking figures of the re-ranked lists.
    pub full: FullMetrics,
    /// Re-ranked NDCG@k over the model's own (0 if that is 0).
    pub ndcg_kept: f64,
}

/// One model's evaluation on one split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// The model's name.
    pub model: String,
    /// Which held-out item was predicted.
    pub split: Split,
    /// Users in the sampled protocol.
    pub sampled_users: usize,
    /// Users in full ranking.
    pub full_users: usize,
    /// Items in the catalogue.
    pub num_items: u32,
    /// The cut-off `k` of every metric.
    pub k: usize,
    /// Negatives per user in the sampled protocol.
    pub negatives: usize,
    /// The seed of the user sample and the negatives.
    pub seed: u64,
    /// The sampled protocol.
    pub sampled: SampledMetrics,
    /// Full ranking.
    pub full: FullMetrics,
    /// Full ranking with the re-ranker, if it was on.
    pub reranked: Option<RerankedMetrics>,
    /// Wall-clock seconds the evaluation took.
    pub seconds: f64,
}
