//! The recommendation models, behind one trait.
//!
//! - [`popular`]: the most played items (the baseline every recommender must beat).
//! - [`markov`]: first-order item-to-item transitions from the player's last play.
//! - [`sequential`]: a small self-attentive sequence model (`SASRec`-style) in candle.

pub mod markov;
pub mod popular;
pub mod sequential;

use crate::error::RecommendError;

/// A model that scores every item of the catalogue for a player's history.
///
/// Item ids are `1..=num_items()`; id 0 means "no item". A history lists the player's plays,
/// oldest first, and may be empty (a new player).
pub trait Recommender: Send + Sync {
    /// Short name (`popular`, `markov`, `sequential`), for reports.
    fn name(&self) -> &str;

    /// Items are `1..=num_items()`.
    fn num_items(&self) -> u32;

    /// Writes a score for every item id into `scores` (length `num_items() + 1`; higher is
    /// more recommended; `scores[0]` is set to negative infinity).
    ///
    /// # Errors
    ///
    /// [`RecommendError::UnknownItem`] for an id outside `1..=num_items()`,
    /// [`RecommendError::ScoreBuffer`] for a buffer of the wrong length.
    fn score_into(&self, history: &[u32], scores: &mut [f32]) -> Result<(), RecommendError>;

    /// How strongly playing item `a` suggests item `b`, if the model can say (item-embedding
    /// cosine for `sequential`, transition share for `markov`; `None` for `popular`). Reasons
    /// ("because you played X") pick the history item with the highest similarity.
    fn item_similarity(&self, a: u32, b: u32) -> Option<f32> {
        let _ = (a, b);
        None
    }

    /// Scores for several histories at once (evaluation uses this; models that batch override
    /// it). Each row has `num_items() + 1` values.
    ///
    /// # Errors
    ///
    /// As [`Recommender::score_into`].
    fn score_batch(&self, histories: &[&[u32]]) -> Result<Vec<Vec<f32>>, RecommendError> {
        histories
            .iter()
            .map(|history| {
                let mut scores = vec![0.0; self.num_items() as usize + 1];
                self.score_into(history, &mut scores)?;
                Ok(scores)
            })
            .collect()
    }
}

/// Checks that `history` names only items `1..=num_items` and `scores` has room for them all.
///
/// # Errors
///
/// [`RecommendError::UnknownItem`] or [`RecommendError::ScoreBuffer`].
pub fn check_inputs(history: &[u32], scores: &[f32], num_items: u32) -> Result<(), RecommendError> {
    check_history(history, num_items)?;
    if scores.len() != num_items as usize + 1 {
        return Err(RecommendError::ScoreBuffer {
            found: scores.len(),
            num_items,
        });
    }
    Ok(())
}

/// Checks that `history` names only items `1..=num_items`.
///
/// # Errors
///
/// [`RecommendError::UnknownItem`] for the first id outside that range.
pub fn check_history(history: &[u32], num_items: u32) -> Result<(), RecommendError> {
    match history.iter().find(|&&id| id == 0 || id > num_items) {
        Some(&id) => Err(RecommendError::UnknownItem { id, num_items }),
        None => Ok(()),
    }
}
