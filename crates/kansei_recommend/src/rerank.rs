//! A long-tail re-ranker: trades a little accuracy for exposure of less played items.
//!
//! It works on any [`Recommender`](crate::Recommender)'s scores. The model's best
//! [`RerankConfig::candidates`] items (the player's history left out) are re-scored as
//!
//! ```text
//! z(score) - strength * z(ln(1 + popularity))
//! ```
//!
//! where `z(score)` standardises the model's scores over those candidates (so a strength means
//! the same for models whose scores have very different scales: Markov counts, logits) and
//! `z(ln(1 + popularity))` standardises the items' log training counts over the catalogue. Only
//! the order within the candidates changes: an item the model ranks below the candidates is never
//! recommended, which bounds the accuracy lost. Strength 0 keeps the model's order.
//!
//! The defaults (strength 0.15 over 200 candidates) were tuned on Markov's scores for
//! `../shared/data/recsys/amazon_games.txt` (full ranking, all 30,901 test users): coverage@10
//! 56.7% → 74.8%, Gini@10 0.911 → 0.842, NDCG@10 0.0445 → 0.0426 (95.7% kept). Strength 0.1
//! keeps 97.5% for 69% coverage, 0.2 keeps 94.9%. A sharper model may need another strength:
//! `kansei recommend eval --rerank STRENGTH` reports both sides of the trade.

use serde::Serialize;

use crate::eval::ranking::{Marks, order, top_k};

/// How strongly to favour the long tail.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RerankConfig {
    /// Weight of the popularity penalty against the standardised model score (0 = off).
    pub strength: f32,
    /// How many of the model's best items are re-ordered.
    pub candidates: usize,
}

impl RerankConfig {
    /// The default strength (the `--rerank` flag without a value).
    pub const DEFAULT_STRENGTH: f32 = 0.15;
    /// The default number of candidates.
    pub const DEFAULT_CANDIDATES: usize = 200;

    /// The default candidates with `strength`.
    pub fn with_strength(strength: f32) -> Self {
        Self {
            strength,
            ..Self::default()
        }
    }
}

impl Default for RerankConfig {
    fn default() -> Self {
        Self {
            strength: Self::DEFAULT_STRENGTH,
            candidates: Self::DEFAULT_CANDIDATES,
        }
    }
}

/// The re-ranker, with the popularity penalty of every item precomputed.
#[derive(Debug, Clone, PartialEq)]
pub struct Reranker {
    config: RerankConfig,
    /// `penalty[i]`: item `i`'s standardised log training count.
    penalty: Vec<f32>,
}

impl Reranker {
    /// A re-ranker for items `0..item_counts.len()`, `item_counts[i]` being item `i`'s training
    /// count (index 0 unused).
    pub fn new(config: RerankConfig, item_counts: &[u32]) -> Self {
        let logs: Vec<f64> = item_counts
            .iter()
            .map(|&c| (1.0 + f64::from(c)).ln())
            .collect();
        let items = &logs[logs.len().min(1)..];
        let (mean, std) = mean_std(items.iter().copied());
        let penalty = logs.iter().map(|&l| ((l - mean) / std) as f32).collect();
        Self { config, penalty }
    }

    /// Its configuration.
    pub fn config(&self) -> RerankConfig {
        self.config
    }

    /// The re-ranked candidates for one score row (`scores[i]` for item `i`), leaving out the
    /// `excluded` items: the model's best `candidates` items, best first after re-ranking. The
    /// first `k` are the recommendations.
    pub fn rerank(&self, scores: &[f32], excluded: &Marks) -> Vec<u32> {
        let candidates = top_k(scores, self.config.candidates, excluded);
        if self.config.strength == 0.0 || candidates.is_empty() {
            return candidates;
        }
        let finite = || {
            candidates
                .iter()
                .map(|&i| f64::from(scores[i as usize]))
                .filter(|s| s.is_finite())
        };
        let (mean, std) = mean_std(finite());
        let strength = f64::from(self.config.strength);
        let adjusted = |item: u32| -> f32 {
            let s = f64::from(scores[item as usize]);
            if !s.is_finite() {
                return scores[item as usize];
            }
            let penalty = self.penalty.get(item as usize).copied().unwrap_or(0.0);
            ((s - mean) / std - strength * f64::from(penalty)) as f32
        };
        let mut rescored: Vec<(u32, f32)> = candidates.iter().map(|&i| (i, adjusted(i))).collect();
        rescored.sort_unstable_by(|&(a, sa), &(b, sb)| order(a, sa, b, sb));
        rescored.into_iter().map(|(item, _)| item).collect()
    }
}

/// Mean and standard deviation (1 where it is 0 or undefined, so dividing by it is safe).
fn mean_std(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let (n, sum) = values
        .clone()
        .fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
    if n == 0 {
        return (0.0, 1.0);
    }
    let mean = sum / n as f64;
    let var = values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
    let std = var.sqrt();
    (mean, if std > 1e-12 { std } else { 1.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts() -> Vec<u32> {
        // Item 1 is a hit, items 2..=5 less and less played.
        vec![0, 1000, 100, 10, 1, 0]
    }

    #[test]
    fn strength_zero_keeps_the_model_order() {
        let reranker = Reranker::new(RerankConfig::with_strength(0.0), &counts());
        let scores = [f32::NEG_INFINITY, 5.0, 4.0, 3.0, 2.0, 1.0];
        assert_eq!(
            reranker.rerank(&scores, &Marks::new(5)),
            vec![1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn a_strong_penalty_lifts_the_long_tail() {
        let reranker = Reranker::new(RerankConfig::with_strength(10.0), &counts());
        let scores = [f32::NEG_INFINITY, 5.0, 4.9, 4.8, 4.7, 4.6];
        let order = reranker.rerank(&scores, &Marks::new(5));
        assert_eq!(order, vec![5, 4, 3, 2, 1]);
    }

    #[test]
    fn only_the_candidates_are_reordered_and_history_is_left_out() {
        let config = RerankConfig {
            strength: 10.0,
            candidates: 2,
        };
        let reranker = Reranker::new(config, &counts());
        let scores = [f32::NEG_INFINITY, 5.0, 4.0, 3.0, 2.0, 1.0];
        let mut excluded = Marks::new(5);
        excluded.reset_to(&[2]);
        assert_eq!(reranker.rerank(&scores, &excluded), vec![3, 1]);
    }

    #[test]
    fn a_mild_penalty_keeps_clear_winners() {
        let reranker = Reranker::new(RerankConfig::with_strength(0.1), &counts());
        let scores = [f32::NEG_INFINITY, 100.0, 1.0, 1.0, 1.0, 1.0];
        let order = reranker.rerank(&scores, &Marks::new(5));
        assert_eq!(order[0], 1);
        assert_eq!(&order[1..], &[5, 4, 3, 2]);
    }

    #[test]
    fn penalties_are_standardised() {
        let reranker = Reranker::new(RerankConfig::default(), &counts());
        let mean: f32 = reranker.penalty[1..].iter().sum::<f32>() / 5.0;
        assert!(mean.abs() < 1e-5);
        assert!(reranker.penalty[1] > reranker.penalty[5]);
        let empty = Reranker::new(RerankConfig::default(), &[]);
        assert!(empty.rerank(&[], &Marks::new(0)).is_empty());
    }
}
