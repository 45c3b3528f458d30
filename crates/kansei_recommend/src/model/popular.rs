//! The popularity baseline: every player gets the most played items.
//!
//! An item's score is how often it occurs in the training sequences. It ignores the player's
//! history entirely (evaluation leaves out what the player already has), so it is the floor every
//! personalised model must clear, and the cold-start fallback for a new player.

use crate::error::RecommendError;
use crate::model::{Recommender, check_inputs};

/// Recommends the items played most often in the training data.
#[derive(Debug, Clone, PartialEq)]
pub struct Popular {
    /// `counts[i]`: occurrences of item `i` in the training sequences (`counts[0] == 0`).
    counts: Vec<u32>,
}

impl Popular {
    /// Counts the items of `train` (one sequence per user), for items `1..=num_items`. Ids outside
    /// that range are ignored.
    pub fn fit(train: &[Vec<u32>], num_items: u32) -> Self {
        Self::from_counts(crate::data::count_items(num_items, train.iter()))
    }

    /// A model from item counts: `counts[i]` is item `i`'s count, `counts.len() - 1` items
    /// (`counts[0]` is ignored; an empty vector makes a model of no items).
    pub fn from_counts(mut counts: Vec<u32>) -> Self {
        if counts.is_empty() {
            counts.push(0);
        }
        counts[0] = 0;
        Self { counts }
    }

    /// Each item's training count, indexed by item id (index 0 is 0).
    pub fn counts(&self) -> &[u32] {
        &self.counts
    }
}

impl Recommender for Popular {
    fn name(&self) -> &str {
        "popular"
    }

    fn num_items(&self) -> u32 {
        // `counts` holds one entry per item id plus index 0; ids are bounded by `data::MAX_ID`.
        u32::try_from(self.counts.len() - 1).unwrap_or(u32::MAX)
    }

    fn score_into(&self, history: &[u32], scores: &mut [f32]) -> Result<(), RecommendError> {
        check_inputs(history, scores, self.num_items())?;
        for (score, &count) in scores.iter_mut().zip(&self.counts) {
            *score = count as f32;
        }
        scores[0] = f32::NEG_INFINITY;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_training_counts() -> Result<(), RecommendError> {
        let model = Popular::fit(&[vec![1, 2, 2], vec![2, 3]], 4);
        assert_eq!(model.num_items(), 4);
        assert_eq!(model.counts(), &[0, 1, 3, 1, 0]);
        let mut scores = vec![0.0; 5];
        model.score_into(&[1], &mut scores)?;
        assert_eq!(scores[0], f32::NEG_INFINITY);
        assert_eq!(&scores[1..], &[1.0, 3.0, 1.0, 0.0]);
        Ok(())
    }

    #[test]
    fn bad_inputs_are_errors() {
        let model = Popular::fit(&[vec![1, 2]], 2);
        let mut scores = vec![0.0; 3];
        assert!(matches!(
            model.score_into(&[3], &mut scores),
            Err(RecommendError::UnknownItem { id: 3, .. })
        ));
        assert!(matches!(
            model.score_into(&[1], &mut [0.0; 2]),
            Err(RecommendError::ScoreBuffer { found: 2, .. })
        ));
    }

    #[test]
    fn an_empty_history_is_fine() -> Result<(), RecommendError> {
        let model = Popular::fit(&[vec![2, 2, 1]], 2);
        let scores = model.score_batch(&[&[]])?;
        assert_eq!(scores[0][1..], [1.0, 2.0]);
        assert_eq!(model.item_similarity(1, 2), None);
        Ok(())
    }

    #[test]
    fn from_counts_ignores_index_zero() {
        let model = Popular::from_counts(vec![7, 1]);
        assert_eq!(model.counts(), &[0, 1]);
        assert_eq!(Popular::from_counts(Vec::new()).num_items(), 0);
    }
}
