//! [`RecommendEngine`]: a model, its catalogue and an optional re-ranker, giving a player's
//! top-k with a reason for each.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalogue::Catalogue;
use crate::error::RecommendError;
use crate::eval::ranking::{Marks, top_k};
use crate::model::Recommender;
use crate::rerank::{RerankConfig, Reranker};

/// The history items a reason may point at: the most recent plays, which are what the
/// sequential model reads.
const REASON_WINDOW: usize = 50;

/// Why an item is recommended, in words the player can read (see its `Display`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reason {
    /// The item is most like one the player played (by the model's item similarity).
    BecauseYouPlayed {
        /// The played item.
        item: u32,
        /// Its name.
        name: String,
    },
    /// A new player's pick: popular among the items with a tag they prefer.
    PopularIn {
        /// The tag.
        tag: String,
    },
    /// Popular with players (no history, no preferred tag, or a model without similarity).
    Popular,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BecauseYouPlayed { name, .. } => write!(f, "because you played {name}"),
            Self::PopularIn { tag } => write!(f, "popular in {tag}"),
            Self::Popular => write!(f, "popular with players"),
        }
    }
}

/// One recommended item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// Catalogue id.
    pub item: u32,
    /// Its name.
    pub name: String,
    /// Why.
    pub reason: Reason,
}

/// A model with its catalogue, ready to recommend.
pub struct RecommendEngine {
    model: Box<dyn Recommender>,
    catalogue: Catalogue,
    reranker: Option<Reranker>,
    /// Catalogue ids by plays, most played first (ties by id), for cold start.
    by_popularity: Vec<u32>,
    /// `unlisted[id]`: the model scores `id` but the catalogue skips it (never recommended).
    unlisted: Vec<u32>,
}

impl fmt::Debug for RecommendEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecommendEngine")
            .field("model", &self.model.name())
            .field("items", &self.catalogue.len())
            .field("reranker", &self.reranker.as_ref().map(Reranker::config))
            .finish_non_exhaustive()
    }
}

impl RecommendEngine {
    /// Pairs `model` with `catalogue`.
    ///
    /// # Errors
    ///
    /// [`RecommendError::CatalogueMismatch`] when the model scores another number of items
    /// than the catalogue's largest id.
    pub fn new(model: Box<dyn Recommender>, catalogue: Catalogue) -> Result<Self, RecommendError> {
        if model.num_items() != catalogue.max_id() {
            return Err(RecommendError::CatalogueMismatch {
                model: model.name().to_owned(),
                model_items: model.num_items(),
                catalogue_items: catalogue.max_id(),
            });
        }
        let mut by_popularity: Vec<u32> = catalogue.items().iter().map(|i| i.id).collect();
        by_popularity.sort_by_key(|&id| {
            let plays = catalogue.get(id).map_or(0, |i| i.plays);
            (std::cmp::Reverse(plays), id)
        });
        let unlisted = (1..=catalogue.max_id())
            .filter(|&id| !catalogue.contains(id))
            .collect();
        Ok(Self {
            model,
            catalogue,
            reranker: None,
            by_popularity,
            unlisted,
        })
    }

    /// Turns the long-tail re-ranker on (`Some`) or off (`None`).
    #[must_use]
    pub fn with_reranker(mut self, config: Option<RerankConfig>) -> Self {
        self.reranker = config.map(|c| Reranker::new(c, &self.catalogue.play_counts()));
        self
    }

    /// The catalogue.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The model.
    pub fn model(&self) -> &dyn Recommender {
        self.model.as_ref()
    }

    /// The `k` best items for a player who played `history` (oldest first), leaving out what
    /// they played, each with its reason. An empty history gets [`cold_start`](Self::cold_start)
    /// picks without preferred tags.
    ///
    /// # Errors
    ///
    /// [`RecommendError::UnknownItem`] for a history item the catalogue does not hold.
    pub fn recommend(
        &self,
        history: &[u32],
        k: usize,
    ) -> Result<Vec<Recommendation>, RecommendError> {
        if let Some(&id) = history.iter().find(|&&id| !self.catalogue.contains(id)) {
            return Err(RecommendError::UnknownItem {
                id,
                num_items: self.catalogue.max_id(),
            });
        }
        if history.is_empty() {
            return Ok(self.cold_start(&[], k));
        }
        let mut scores = vec![0.0; self.catalogue.max_id() as usize + 1];
        self.model.score_into(history, &mut scores)?;
        // Ids the catalogue skips are never recommended.
        for &id in &self.unlisted {
            scores[id as usize] = f32::NEG_INFINITY;
        }
        let mut played = Marks::new(self.catalogue.max_id());
        for &id in history {
            played.insert(id);
        }
        let items = match &self.reranker {
            Some(reranker) => {
                let mut items = reranker.rerank(&scores, &played);
                items.truncate(k);
                items
            }
            None => top_k(&scores, k, &played),
        };
        Ok(items
            .into_iter()
            .filter(|&id| scores[id as usize].is_finite())
            .map(|item| self.recommendation(item, self.explain(history, item)))
            .collect())
    }

    /// Picks for a player without history: the most played items carrying one of
    /// `preferred_tags` (in the order the player ranked the tags), then the most played overall.
    pub fn cold_start(&self, preferred_tags: &[&str], k: usize) -> Vec<Recommendation> {
        let mut picks: Vec<Recommendation> = Vec::with_capacity(k);
        let mut taken = std::collections::HashSet::new();
        for tag in preferred_tags {
            for &id in &self.by_popularity {
                if picks.len() == k {
                    return picks;
                }
                let tagged = self
                    .catalogue
                    .get(id)
                    .is_some_and(|item| item.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)));
                if tagged && taken.insert(id) {
                    let reason = Reason::PopularIn {
                        tag: (*tag).to_owned(),
                    };
                    picks.push(self.recommendation(id, reason));
                }
            }
        }
        for &id in &self.by_popularity {
            if picks.len() == k {
                break;
            }
            if taken.insert(id) {
                picks.push(self.recommendation(id, Reason::Popular));
            }
        }
        picks
    }

    /// Why `item` suits a player who played `history`: the recent play the model finds most
    /// similar to it (ties go to the more recent play), or [`Reason::Popular`] when the model
    /// cannot compare items or finds none of the plays similar (similarity 0 or less).
    pub fn explain(&self, history: &[u32], item: u32) -> Reason {
        let recent = &history[history.len().saturating_sub(REASON_WINDOW)..];
        let best = recent
            .iter()
            .rev()
            .filter_map(|&played| {
                let similarity = self.model.item_similarity(played, item)?;
                // Zero or less is no evidence of a link (no transition seen, embeddings
                // unrelated): such a play is not a reason.
                (similarity.is_finite() && similarity > 0.0).then_some((played, similarity))
            })
            // Most similar; among equals the most recent (iterated first).
            .fold(
                None,
                |best: Option<(u32, f32)>, (played, similarity)| match best {
                    Some((_, s)) if s >= similarity => best,
                    _ => Some((played, similarity)),
                },
            );
        match best {
            Some((played, _)) => Reason::BecauseYouPlayed {
                item: played,
                name: self.name(played),
            },
            None => Reason::Popular,
        }
    }

    fn recommendation(&self, item: u32, reason: Reason) -> Recommendation {
        Recommendation {
            item,
            name: self.name(item),
            reason,
        }
    }

    fn name(&self, item: u32) -> String {
        self.catalogue
            .get(item)
            .map_or_else(|| format!("item {item}"), |i| i.name.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::CatalogueItem;
    use crate::model::markov::Markov;
    use crate::model::popular::Popular;

    /// Six games in two series: players go 1 -> 2 -> 3 (puzzle) and 4 -> 5 -> 6 (racing).
    fn catalogue() -> Catalogue {
        let game = |id: u32, name: &str, tag: &str, plays: u32| CatalogueItem {
            id,
            name: name.to_owned(),
            tags: vec![tag.to_owned()],
            plays,
            metadata: Default::default(),
        };
        Catalogue::new(vec![
            game(1, "Gears I", "puzzle", 30),
            game(2, "Gears II", "puzzle", 20),
            game(3, "Gears III", "puzzle", 10),
            game(4, "Drift I", "racing", 40),
            game(5, "Drift II", "racing", 25),
            game(6, "Drift III", "racing", 5),
        ])
        .expect("catalogue")
    }

    fn markov_engine() -> RecommendEngine {
        let train = vec![
            vec![1, 2, 3],
            vec![4, 5, 6],
            vec![1, 2],
            vec![4, 5],
            vec![4, 5, 6],
        ];
        let model = Markov::fit(&train, 6).expect("fit");
        RecommendEngine::new(Box::new(model), catalogue()).expect("engine")
    }

    #[test]
    fn recommends_the_next_game_because_of_the_right_play() {
        let engine = markov_engine();
        // Played Drift I then Gears I and Gears II: next is Gears III, because of Gears II.
        let picks = engine.recommend(&[4, 1, 2], 3).expect("recommend");
        assert_eq!(picks[0].item, 3);
        assert_eq!(picks[0].reason.to_string(), "because you played Gears II");
        assert!(
            picks.iter().all(|p| ![4, 1, 2].contains(&p.item)),
            "played games are left out"
        );
        // Drift II follows Drift I, the older play.
        assert_eq!(
            engine.explain(&[4, 1, 2], 5).to_string(),
            "because you played Drift I"
        );
    }

    #[test]
    fn unrelated_plays_are_not_reasons() {
        let engine = markov_engine();
        // Nothing ever followed Gears III or Drift III: no play explains Drift I.
        assert_eq!(engine.explain(&[3, 6], 4), Reason::Popular);
    }

    #[test]
    fn new_players_get_popular_picks_in_their_tags() {
        let engine = markov_engine();
        let picks = engine.cold_start(&["puzzle"], 4);
        let items: Vec<u32> = picks.iter().map(|p| p.item).collect();
        assert_eq!(items, [1, 2, 3, 4]);
        assert_eq!(picks[0].reason.to_string(), "popular in puzzle");
        assert_eq!(picks[3].reason, Reason::Popular);
        // No history and no tags: the most played overall.
        let picks = engine.recommend(&[], 2).expect("recommend");
        assert_eq!(picks.iter().map(|p| p.item).collect::<Vec<_>>(), [4, 1]);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let engine = markov_engine();
        assert!(matches!(
            engine.recommend(&[1, 99], 3),
            Err(RecommendError::UnknownItem { id: 99, .. })
        ));
        let small = Popular::from_counts(vec![0, 1, 2]);
        assert!(matches!(
            RecommendEngine::new(Box::new(small), catalogue()),
            Err(RecommendError::CatalogueMismatch {
                model_items: 2,
                catalogue_items: 6,
                ..
            })
        ));
    }

    #[test]
    fn models_without_similarity_say_popular() {
        let popular = Popular::from_counts(catalogue().play_counts());
        let engine = RecommendEngine::new(Box::new(popular), catalogue()).expect("engine");
        let picks = engine.recommend(&[4], 2).expect("recommend");
        assert_eq!(picks.iter().map(|p| p.item).collect::<Vec<_>>(), [1, 5]);
        assert_eq!(picks[0].reason, Reason::Popular);
    }
}
