//! Offline evaluation on the leave-last-out split: the `SASRec` paper's protocol, and full
//! ranking.
//!
//! Each evaluated user's held-out item (the test item, or the validation item for early
//! stopping) is predicted from the history before it: [`Split::Test`] uses training plus
//! validation items as history, [`Split::Valid`] the training items alone. Users without a
//! held-out item (fewer than 3 interactions) or with an empty history are not evaluated.
//!
//! - **Sampled protocol** (the `SASRec` paper's): at most [`EvalConfig::max_users`] (10,000)
//!   users drawn at random with [`EvalConfig::seed`]; each one's held-out item is ranked against
//!   [`EvalConfig::negatives`] (100) distinct items drawn uniformly from those the user never
//!   interacted with (the whole sequence, held-out items included); HR@10 and NDCG@10.
//! - **Full ranking**: every user (at most [`EvalConfig::max_full_users`], by default no cap);
//!   the held-out item is ranked against every catalogue item except the user's own history
//!   (already played items are not recommendations; a held-out item that re-plays a history
//!   item would stay in the ranking, though the Amazon games file has none). HR@10, NDCG@10, and
//!   from the same top-10 lists: catalogue coverage@10 (share of items in at least one list),
//!   Gini@10 of how often each item appears in them, and the mean popularity (training count)
//!   of the recommended items.
//! - **Re-ranked**: with [`EvalConfig::rerank`] set, the full-ranking figures again with the
//!   long-tail [`Reranker`] applied to the model's scores.
//!
//! Ties are broken by item id, lower first, everywhere (see [`ranking`]), which no baseline
//! relies on: popularity and Markov scores rarely tie. Popularity ("training count") is counted
//! over the split's training sequences, the data the models are fit on. Everything is
//! deterministic given the seed (whatever the batch size or thread count). Scores come from
//! [`Recommender::score_batch`] in chunks of [`EvalConfig::batch_size`] users, so memory stays
//! bounded by one chunk of score rows; ranking runs on all cores.
//!
//! # Reproducing the reference figures
//!
//! `../shared/data/README.md` gives, on `recsys/amazon_games.txt`: sampled popularity 0.4684 /
//! 0.2753 and Markov 0.4940 / 0.3223, full ranking popularity 0.0190 / 0.0099 and Markov 0.0738
//! / 0.0447 (HR@10 / NDCG@10). With the defaults, and both baselines fit on the training split
//! only (counts and transitions without the validation item), this gives sampled 0.4705 /
//! 0.2749 and 0.4954 / 0.3221 (10,000 users, seed 2018; other seeds move them by about 0.005),
//! and full ranking 0.0190 / 0.0099 and 0.0737 / 0.0445 over all 30,901 users with a held-out
//! item. The variants that do not reproduce them: fitting popularity on training plus
//! validation (sampled HR@10 0.49) or on all data (0.53); full ranking over a 10,000-user
//! sample (popularity 0.0183, Markov 0.0713: within noise, but the reference matches every
//! user exactly); Markov without its popularity tie-break (sampled 0.14 / 0.12). See
//! `tests/baselines.rs`.

pub mod cases;
pub mod metrics;
pub mod ranking;
pub mod report;
pub mod tally;

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use serde::Serialize;

use crate::data::{LeaveLastOut, count_items};
use crate::error::RecommendError;
use crate::model::Recommender;
use crate::rerank::{RerankConfig, Reranker};
use cases::Case;
pub use report::{EvalReport, FullMetrics, RerankedMetrics, SampledMetrics};
use tally::FullTally;

/// Which held-out item is predicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// The last item, from training plus validation items.
    Test,
    /// The second-to-last item, from the training items (early stopping).
    Valid,
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Test => "test",
            Self::Valid => "valid",
        })
    }
}

impl FromStr for Split {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "test" => Ok(Self::Test),
            "valid" | "validation" => Ok(Self::Valid),
            _ => Err(format!("unknown split `{s}`: expected `test` or `valid`")),
        }
    }
}

/// Settings of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvalConfig {
    /// Seed of the user samples and the negatives.
    pub seed: u64,
    /// At most this many users in the sampled protocol (drawn at random if there are more).
    pub max_users: usize,
    /// At most this many users in full ranking (drawn at random if there are more; by default
    /// every user).
    pub max_full_users: usize,
    /// Negatives per user in the sampled protocol.
    pub negatives: usize,
    /// The cut-off of every metric (HR@k, NDCG@k, coverage@k, Gini@k).
    pub k: usize,
    /// Users scored per [`Recommender::score_batch`] call (64: larger chunks of 23,715-item
    /// score rows fall out of cache and evaluate the baselines over twice as slowly).
    pub batch_size: usize,
    /// Also report full ranking with the long-tail re-ranker.
    pub rerank: Option<RerankConfig>,
}

impl EvalConfig {
    /// The default seed.
    pub const DEFAULT_SEED: u64 = 2018;
}

impl Default for EvalConfig {
    fn default() -> Self {
        Self {
            seed: Self::DEFAULT_SEED,
            max_users: 10_000,
            max_full_users: usize::MAX,
            negatives: 100,
            k: 10,
            batch_size: 64,
            rerank: None,
        }
    }
}

/// What one user's score row gives.
struct RowResult {
    /// Rank among the negatives (sampled protocol users only).
    sampled: Option<usize>,
    /// Rank in the catalogue and the top-k list (full-ranking users only).
    full: Option<(usize, Vec<u32>)>,
    /// The same with the re-ranker.
    reranked: Option<(usize, Vec<u32>)>,
}

fn rank_row(
    case: &Case,
    row: &[f32],
    k: usize,
    reranker: Option<&Reranker>,
    excluded: &mut ranking::Marks,
) -> RowResult {
    let sampled = case
        .negatives
        .as_deref()
        .map(|negatives| ranking::rank_among(row, case.target, negatives));
    if !case.full {
        return RowResult {
            sampled,
            full: None,
            reranked: None,
        };
    }
    excluded.reset_to(&case.history);
    excluded.remove(case.target);
    let full = ranking::rank_and_top_k(row, case.target, k, excluded);
    let reranked = reranker.map(|reranker| {
        let list = reranker.rerank(row, excluded);
        let rank = list
            .iter()
            .position(|&i| i == case.target)
            .unwrap_or(list.len().max(k));
        (rank, list)
    });
    RowResult {
        sampled,
        full: Some(full),
        reranked,
    }
}

/// Ranks every row of a chunk, on up to `threads` threads; results in row order.
fn rank_rows(
    cases: &[Case],
    rows: &[Vec<f32>],
    k: usize,
    reranker: Option<&Reranker>,
    num_items: u32,
    threads: usize,
) -> Vec<RowResult> {
    let part = cases.len().div_ceil(threads.max(1)).max(1);
    let work = move |cases: &[Case], rows: &[Vec<f32>]| -> Vec<RowResult> {
        let mut excluded = ranking::Marks::new(num_items);
        cases
            .iter()
            .zip(rows)
            .map(|(case, row)| rank_row(case, row, k, reranker, &mut excluded))
            .collect()
    };
    if part >= cases.len() {
        return work(cases, rows);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(part)
            .zip(rows.chunks(part))
            .map(|(cases, rows)| scope.spawn(move || work(cases, rows)))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Evaluates `model` on `split`, predicting the `mode` held-out item.
///
/// # Errors
///
/// [`RecommendError::CatalogueMismatch`] if the model and the data disagree on the number of
/// items, [`RecommendError::Invalid`] for a zero `k` or a model that returns the wrong number of
/// score rows, and whatever the model's scoring returns.
pub fn evaluate(
    model: &dyn Recommender,
    split: &LeaveLastOut,
    mode: Split,
    config: &EvalConfig,
) -> Result<EvalReport, RecommendError> {
    let start = Instant::now();
    let num_items = split.num_items;
    if model.num_items() != num_items {
        return Err(RecommendError::CatalogueMismatch {
            model: model.name().to_owned(),
            model_items: model.num_items(),
            catalogue_items: num_items,
        });
    }
    if config.k == 0 {
        return Err(RecommendError::Invalid("evaluation needs k >= 1".into()));
    }
    let k = config.k;
    let sampling = cases::Sampling {
        sampled_users: config.max_users,
        full_users: config.max_full_users,
        negatives: config.negatives,
        seed: config.seed,
    };
    let cases = cases::cases(split, mode, &sampling);
    let counts = count_items(num_items, split.train.iter());
    let reranker = config.rerank.map(|c| Reranker::new(c, &counts));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mut full = FullTally::new(num_items, k);
    let mut reranked = FullTally::new(num_items, k);
    let (mut sampled_users, mut sampled_hits, mut sampled_ndcg) = (0usize, 0.0, 0.0);
    for chunk in cases.chunks(config.batch_size.max(1)) {
        let histories: Vec<&[u32]> = chunk.iter().map(|c| c.history.as_slice()).collect();
        let rows = model.score_batch(&histories)?;
        if rows.len() != chunk.len() {
            return Err(RecommendError::Invalid(format!(
                "model `{}` returned {} score rows for {} histories",
                model.name(),
                rows.len(),
                chunk.len()
            )));
        }
        if let Some(row) = rows.iter().find(|r| r.len() != num_items as usize + 1) {
            return Err(RecommendError::ScoreBuffer {
                found: row.len(),
                num_items,
            });
        }
        // Tallied in user order whatever the threads, so the sums are deterministic.
        for result in rank_rows(chunk, &rows, k, reranker.as_ref(), num_items, threads) {
            if let Some(rank) = result.sampled {
                sampled_users += 1;
                sampled_hits += metrics::hit_at(rank, k);
                sampled_ndcg += metrics::ndcg_at(rank, k);
            }
            if let Some((rank, top)) = result.full {
                full.add(rank, &top, &counts);
            }
            if let Some((rank, list)) = result.reranked {
                reranked.add(rank, &list, &counts);
            }
        }
    }
    let full_users = full.users();
    let full = full.metrics();
    let reranked = reranker.map(|r| {
        let metrics = reranked.metrics();
        RerankedMetrics {
            config: r.config(),
            full: metrics,
            ndcg_kept: if full.ndcg > 0.0 {
                metrics.ndcg / full.ndcg
            } else {
                0.0
            },
        }
    });
    Ok(EvalReport {
        model: model.name().to_owned(),
        split: mode,
        sampled_users,
        full_users,
        num_items,
        k,
        negatives: config.negatives,
        seed: config.seed,
        sampled: SampledMetrics {
            hr: sampled_hits / sampled_users.max(1) as f64,
            ndcg: sampled_ndcg / sampled_users.max(1) as f64,
        },
        full,
        reranked,
        seconds: start.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Interactions;
    use crate::model::markov::Markov;
    use crate::model::popular::Popular;

    /// A model that always puts the held-out item first: a perfect oracle for a fixed target.
    struct Oracle {
        target: u32,
        num_items: u32,
    }

    impl Recommender for Oracle {
        fn name(&self) -> &str {
            "oracle"
        }
        fn num_items(&self) -> u32 {
            self.num_items
        }
        fn score_into(&self, _: &[u32], scores: &mut [f32]) -> Result<(), RecommendError> {
            scores.fill(0.0);
            scores[self.target as usize] = 1.0;
            scores[0] = f32::NEG_INFINITY;
            Ok(())
        }
    }

    /// 40 users who all end on item 9, through varied histories over 30 items.
    fn split() -> LeaveLastOut {
        let mut text = String::new();
        for user in 1..=40u32 {
            for step in 0..4 {
                text.push_str(&format!("{user} {}\n", 10 + (user + step * 5) % 21));
            }
            text.push_str(&format!("{user} 9\n"));
        }
        LeaveLastOut::new(&Interactions::parse(&text).expect("parses"))
    }

    #[test]
    fn an_oracle_scores_one() -> Result<(), RecommendError> {
        let split = split();
        let oracle = Oracle {
            target: 9,
            num_items: split.num_items,
        };
        let report = evaluate(&oracle, &split, Split::Test, &EvalConfig::default())?;
        assert_eq!((report.sampled_users, report.full_users), (40, 40));
        assert_eq!((report.sampled.hr, report.sampled.ndcg), (1.0, 1.0));
        assert_eq!((report.full.hr, report.full.ndcg), (1.0, 1.0));
        Ok(())
    }

    #[test]
    fn an_oracle_of_the_wrong_split_misses() -> Result<(), RecommendError> {
        let split = split();
        let oracle = Oracle {
            target: 9,
            num_items: split.num_items,
        };
        let config = EvalConfig {
            negatives: 5,
            ..EvalConfig::default()
        };
        let report = evaluate(&oracle, &split, Split::Valid, &config)?;
        assert_eq!(report.split, Split::Valid);
        assert!(report.full.hr < 1.0, "{report:?}");
        Ok(())
    }

    #[test]
    fn popular_recommends_the_same_list_to_everyone() -> Result<(), RecommendError> {
        let split = split();
        let model = Popular::fit(&split.train, split.num_items);
        let config = EvalConfig {
            rerank: Some(RerankConfig::with_strength(0.0)),
            ..EvalConfig::default()
        };
        let report = evaluate(&model, &split, Split::Test, &config)?;
        // Item 9 is never in training, so it ranks below every played item.
        assert_eq!(report.full.hr, 0.0);
        assert!(
            report.full.coverage < 0.7 && report.full.gini > 0.3,
            "{report:?}"
        );
        assert!(report.full.mean_popularity > 1.0);
        let reranked = report
            .reranked
            .ok_or(RecommendError::Invalid("rerank".into()))?;
        assert_eq!(reranked.full, report.full, "strength 0 changes nothing");
        Ok(())
    }

    #[test]
    fn it_is_deterministic_and_batch_size_does_not_matter() -> Result<(), RecommendError> {
        let split = split();
        let model = Markov::fit(&split.train, split.num_items)?;
        let config = EvalConfig {
            max_users: 25,
            max_full_users: 30,
            negatives: 10,
            rerank: Some(RerankConfig::default()),
            ..EvalConfig::default()
        };
        let a = evaluate(&model, &split, Split::Test, &config)?;
        let b = evaluate(
            &model,
            &split,
            Split::Test,
            &EvalConfig {
                batch_size: 3,
                ..config
            },
        )?;
        assert_eq!((a.sampled_users, a.full_users), (25, 30));
        assert_eq!(
            (a.sampled, a.full, a.reranked),
            (b.sampled, b.full, b.reranked)
        );
        Ok(())
    }

    #[test]
    fn a_mismatched_model_is_an_error() {
        let split = split();
        let model = Popular::fit(&split.train, split.num_items + 3);
        let error = evaluate(&model, &split, Split::Test, &EvalConfig::default());
        assert!(matches!(
            error,
            Err(RecommendError::CatalogueMismatch { .. })
        ));
        let model = Popular::fit(&split.train, split.num_items);
        let config = EvalConfig {
            k: 0,
            ..EvalConfig::default()
        };
        assert!(evaluate(&model, &split, Split::Test, &config).is_err());
    }

    #[test]
    fn splits_parse_and_print() {
        assert_eq!("test".parse(), Ok(Split::Test));
        assert_eq!("valid".parse(), Ok(Split::Valid));
        assert!("train".parse::<Split>().is_err());
        assert_eq!(Split::Valid.to_string(), "valid");
    }
}
