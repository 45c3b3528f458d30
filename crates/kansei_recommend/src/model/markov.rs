//! The first-order Markov baseline: what players played right after the player's last play.
//!
//! Fitting counts every consecutive pair `a, b` of the training sequences. A history is scored
//! from its last item `a` alone: item `b` scores `count(a → b)` plus its training popularity
//! scaled into `[0, 1)`, so the transition counts decide and popularity only breaks their ties
//! (most items never follow `a`, and without the tie-break they would all tie at zero and the
//! sampled HR@10 on the Amazon games data falls from 0.49 to 0.14). If `a` never had a
//! successor in training (it was only ever a last play), the most recent history item that had
//! one stands in for it; an empty history, or one with no such item, is scored by popularity
//! alone. With these choices the baseline reproduces the reference figures of
//! `../shared/data/README.md` (see `tests/baselines.rs`).
//!
//! [`Recommender::item_similarity`] is the transition share `count(a → b) / count(a → ·)`, which
//! reasons ("because you played X") use.

use std::collections::HashMap;

use candle_core::{Device, Tensor};

use crate::error::RecommendError;
use crate::model::{Recommender, check_history, check_inputs};

/// First-order item-to-item transitions, with popularity breaking ties.
#[derive(Debug, Clone, PartialEq)]
pub struct Markov {
    num_items: u32,
    /// Successors of item `a` are `successors[offsets[a]..offsets[a + 1]]` (sorted by id), with
    /// counts in the same positions of `counts`.
    offsets: Vec<usize>,
    successors: Vec<u32>,
    counts: Vec<u32>,
    /// `popularity[i]`: occurrences of item `i` in training, scaled into `[0, 1)`.
    popularity: Vec<f32>,
}

impl Markov {
    /// Counts the transitions of `train` (one sequence per user), for items `1..=num_items`.
    ///
    /// # Errors
    ///
    /// [`RecommendError::UnknownItem`] if a sequence holds an id outside `1..=num_items`.
    pub fn fit(train: &[Vec<u32>], num_items: u32) -> Result<Self, RecommendError> {
        let mut pairs = Vec::new();
        for sequence in train {
            check_history(sequence, num_items)?;
            pairs.extend(sequence.windows(2).map(|pair| (pair[0], pair[1])));
        }
        pairs.sort_unstable();
        let n = num_items as usize;
        let mut offsets = vec![0usize; n + 2];
        let mut successors = Vec::new();
        let mut counts: Vec<u32> = Vec::new();
        let mut previous = None;
        for (a, b) in pairs {
            if previous == Some((a, b)) {
                if let Some(count) = counts.last_mut() {
                    *count += 1;
                }
                continue;
            }
            previous = Some((a, b));
            successors.push(b);
            counts.push(1);
            offsets[a as usize + 1] += 1;
        }
        for a in 1..offsets.len() {
            offsets[a] += offsets[a - 1];
        }
        let item_counts = crate::data::count_items(num_items, train.iter());
        let scale = 1.0 / (item_counts.iter().copied().max().unwrap_or(0) as f32 + 1.0);
        let popularity = item_counts.iter().map(|&c| c as f32 * scale).collect();
        Ok(Self {
            num_items,
            offsets,
            successors,
            counts,
            popularity,
        })
    }

    /// The model as named tensors (`{prefix}offsets`, `{prefix}successors`, `{prefix}counts`
    /// as u32, `{prefix}popularity` as f32), to store it inside another model file.
    ///
    /// # Errors
    ///
    /// On a candle error, or more transitions than u32 can index.
    pub fn to_tensors(&self, prefix: &str) -> Result<HashMap<String, Tensor>, RecommendError> {
        let offsets: Vec<u32> = self
            .offsets
            .iter()
            .map(|&o| u32::try_from(o))
            .collect::<Result<_, _>>()
            .map_err(|_| RecommendError::Invalid("too many transitions to store".into()))?;
        let device = Device::Cpu;
        Ok(HashMap::from([
            (
                format!("{prefix}offsets"),
                Tensor::new(offsets.as_slice(), &device)?,
            ),
            (
                format!("{prefix}successors"),
                Tensor::new(self.successors.as_slice(), &device)?,
            ),
            (
                format!("{prefix}counts"),
                Tensor::new(self.counts.as_slice(), &device)?,
            ),
            (
                format!("{prefix}popularity"),
                Tensor::new(self.popularity.as_slice(), &device)?,
            ),
        ]))
    }

    /// Rebuilds a model stored by [`to_tensors`](Self::to_tensors), checking that the parts
    /// describe transitions between items `1..=num_items`.
    ///
    /// # Errors
    ///
    /// [`RecommendError::Invalid`] naming what is inconsistent.
    pub fn from_tensors(
        tensors: &HashMap<String, Tensor>,
        prefix: &str,
    ) -> Result<Self, RecommendError> {
        let get = |name: &str| {
            tensors.get(&format!("{prefix}{name}")).ok_or_else(|| {
                RecommendError::Invalid(format!("transitions: tensor `{prefix}{name}` missing"))
            })
        };
        let offsets: Vec<usize> = get("offsets")?
            .to_vec1::<u32>()?
            .into_iter()
            .map(|o| o as usize)
            .collect();
        let successors = get("successors")?.to_vec1::<u32>()?;
        let counts = get("counts")?.to_vec1::<u32>()?;
        let popularity = get("popularity")?.to_vec1::<f32>()?;
        let bad = |why: &str| Err(RecommendError::Invalid(format!("transitions: {why}")));
        if popularity.len() < 2 || offsets.len() != popularity.len() + 1 {
            return bad("offsets and popularity do not describe the same items");
        }
        let num_items = (popularity.len() - 1) as u32;
        if offsets.windows(2).any(|w| w[0] > w[1])
            || offsets.last() != Some(&successors.len())
            || offsets[0] != 0
            || offsets[1] != 0
        {
            return bad("offsets are not a valid index of the successors");
        }
        if counts.len() != successors.len() || successors.iter().any(|&b| b == 0 || b > num_items) {
            return bad("successors and counts disagree or name unknown items");
        }
        if popularity.iter().any(|p| !p.is_finite()) {
            return bad("popularity is not finite");
        }
        Ok(Self {
            num_items,
            offsets,
            successors,
            counts,
            popularity,
        })
    }

    /// The play whose successors score a history: the most recent one that was ever followed
    /// by another item in training.
    pub fn transition_source(&self, history: &[u32]) -> Option<u32> {
        history
            .iter()
            .rev()
            .copied()
            .find(|&a| !self.range(a).is_empty())
    }

    /// The items that followed `a` in training and how often, sorted by id (empty for unknown
    /// ids).
    pub fn transitions(&self, a: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let range = self.range(a);
        self.successors[range.clone()]
            .iter()
            .copied()
            .zip(self.counts[range].iter().copied())
    }

    /// How often `a` was followed by `b` in training.
    pub fn count(&self, a: u32, b: u32) -> u32 {
        let range = self.range(a);
        let start = range.start;
        match self.successors[range].binary_search(&b) {
            Ok(i) => self.counts[start + i],
            Err(_) => 0,
        }
    }

    fn range(&self, a: u32) -> std::ops::Range<usize> {
        let a = a as usize;
        if a == 0 || a > self.num_items as usize {
            return 0..0;
        }
        self.offsets[a]..self.offsets[a + 1]
    }
}

impl Recommender for Markov {
    fn name(&self) -> &str {
        "markov"
    }

    fn num_items(&self) -> u32 {
        self.num_items
    }

    fn score_into(&self, history: &[u32], scores: &mut [f32]) -> Result<(), RecommendError> {
        check_inputs(history, scores, self.num_items)?;
        scores.copy_from_slice(&self.popularity);
        if let Some(from) = self.transition_source(history) {
            for (b, count) in self.transitions(from) {
                scores[b as usize] += count as f32;
            }
        }
        scores[0] = f32::NEG_INFINITY;
        Ok(())
    }

    fn item_similarity(&self, a: u32, b: u32) -> Option<f32> {
        let total: u32 = self.transitions(a).map(|(_, count)| count).sum();
        if a == 0 || a > self.num_items || b == 0 || b > self.num_items {
            return None;
        }
        if total == 0 {
            return Some(0.0);
        }
        Some(self.count(a, b) as f32 / total as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Result<Markov, RecommendError> {
        // 1 → 2 twice, 1 → 3 once, 2 → 3 once; item 3 is the most popular.
        Markov::fit(&[vec![1, 2, 3], vec![1, 2], vec![1, 3], vec![3, 3, 4]], 5)
    }

    #[test]
    fn counts_consecutive_pairs() -> Result<(), RecommendError> {
        let m = model()?;
        assert_eq!(m.count(1, 2), 2);
        assert_eq!(m.count(1, 3), 1);
        assert_eq!(m.count(2, 3), 1);
        assert_eq!(m.count(3, 1), 0);
        assert_eq!(m.count(3, 3), 1);
        assert_eq!(m.transitions(1).collect::<Vec<_>>(), vec![(2, 2), (3, 1)]);
        assert_eq!(m.transitions(5).count(), 0);
        assert_eq!(m.transitions(99).count(), 0);
        Ok(())
    }

    #[test]
    fn the_last_item_decides_and_popularity_breaks_ties() -> Result<(), RecommendError> {
        let m = model()?;
        let mut scores = vec![0.0; 6];
        m.score_into(&[3, 1], &mut scores)?;
        assert_eq!(scores[0], f32::NEG_INFINITY);
        // 2 (two transitions) > 3 (one) > 4, 1 (none; 4 and 1 by popularity) > 5 (never played).
        assert!(scores[2] > scores[3], "{scores:?}");
        assert!(scores[3] > scores[1] && scores[1] > scores[4] && scores[4] > scores[5]);
        // The popularity term never outweighs one transition.
        assert!(scores[3] - scores[1] > 0.0 && scores[1] < 1.0);
        Ok(())
    }

    #[test]
    fn without_transitions_it_is_popularity() -> Result<(), RecommendError> {
        let m = model()?;
        for history in [&[][..], &[4][..], &[5][..]] {
            let mut scores = vec![0.0; 6];
            m.score_into(history, &mut scores)?;
            assert!(scores[3] > scores[1] && scores[1] > scores[5], "{scores:?}");
        }
        Ok(())
    }

    #[test]
    fn a_last_item_without_successors_backs_off() -> Result<(), RecommendError> {
        let m = model()?;
        // 4 never had a successor: 2 before it decides (2 → 3).
        let mut scores = vec![0.0; 6];
        m.score_into(&[2, 4], &mut scores)?;
        let mut direct = vec![0.0; 6];
        m.score_into(&[2], &mut direct)?;
        assert_eq!(scores, direct);
        assert!(scores[3] > 1.0);
        Ok(())
    }

    #[test]
    fn similarity_is_the_transition_share() -> Result<(), Box<dyn std::error::Error>> {
        let m = model()?;
        let share = m.item_similarity(1, 2).ok_or("similarity")?;
        assert!((share - 2.0 / 3.0).abs() < 1e-6);
        assert_eq!(m.item_similarity(2, 1), Some(0.0));
        assert_eq!(m.item_similarity(5, 1), Some(0.0));
        assert_eq!(m.item_similarity(1, 9), None);
        Ok(())
    }

    #[test]
    fn unknown_ids_are_errors() {
        assert!(matches!(
            Markov::fit(&[vec![1, 7]], 3),
            Err(RecommendError::UnknownItem { id: 7, .. })
        ));
        let m = model().expect("fits");
        assert!(m.score_into(&[6], &mut [0.0; 6]).is_err());
    }

    #[test]
    fn stored_transitions_round_trip_and_are_checked() -> Result<(), RecommendError> {
        let model = Markov::fit(&[vec![1, 2, 3], vec![2, 3], vec![3, 1]], 4)?;
        let tensors = model.to_tensors("t.")?;
        assert_eq!(Markov::from_tensors(&tensors, "t.")?, model);
        let mut broken = tensors.clone();
        broken.insert(
            "t.successors".into(),
            Tensor::new(&[9u32, 9, 9, 9], &Device::Cpu)?,
        );
        assert!(Markov::from_tensors(&broken, "t.").is_err());
        let mut missing = tensors;
        missing.remove("t.counts");
        let error = Markov::from_tensors(&missing, "t.").expect_err("missing");
        assert!(error.to_string().contains("t.counts"), "{error}");
        Ok(())
    }
}
