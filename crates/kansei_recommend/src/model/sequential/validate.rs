//! The validation metric that early stopping watches: sampled NDCG@10 on the validation split.

use rand::rngs::StdRng;
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};

use crate::data::LeaveLastOut;
use crate::error::RecommendError;
use crate::eval::ranking::ranks_above;
use crate::model::Recommender;

/// Negatives per user, as in the evaluation's sampled protocol.
const NEGATIVES: usize = 100;

/// Sampled-protocol HR@10 and NDCG@10 of predicting each user's validation item from their
/// training history, against 100 distinct random items the user never touched (all of them in a
/// smaller catalogue), over at most `max_users` users drawn with `seed`. Ties rank by item id as
/// in [`crate::eval`]; this is that module's protocol on the validation split, computed without
/// its full-ranking half, which early stopping does not need.
///
/// # Errors
///
/// From the model.
pub fn validation_metrics(
    model: &dyn Recommender,
    split: &LeaveLastOut,
    max_users: usize,
    seed: u64,
) -> Result<(f64, f64), RecommendError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut users: Vec<usize> = (0..split.train.len())
        .filter(|&u| split.valid[u].is_some() && !split.train[u].is_empty())
        .collect();
    if users.len() > max_users {
        users = sample(&mut rng, users.len(), max_users)
            .into_iter()
            .map(|i| users[i])
            .collect();
        users.sort_unstable();
    }
    let (mut hits, mut ndcg) = (0.0, 0.0);
    for chunk in users.chunks(256) {
        let histories: Vec<&[u32]> = chunk.iter().map(|&u| split.train[u].as_slice()).collect();
        let scores = model.score_batch(&histories)?;
        for (&user, row) in chunk.iter().zip(&scores) {
            let Some(target) = split.valid[user] else {
                continue;
            };
            let touched: std::collections::HashSet<u32> = split.train[user]
                .iter()
                .copied()
                .chain([target])
                .chain(split.test[user])
                .collect();
            let target_score = row[target as usize];
            let above = negatives(&touched, split.num_items, &mut rng)
                .into_iter()
                .filter(|&item| ranks_above(item, row[item as usize], target, target_score))
                .count();
            if above < 10 {
                hits += 1.0;
                ndcg += 1.0 / ((above + 2) as f64).log2();
            }
        }
    }
    let n = users.len().max(1) as f64;
    Ok((hits / n, ndcg / n))
}

/// `NEGATIVES` distinct items of `1..=num_items` outside `touched`, or every such item when there
/// are fewer.
fn negatives(
    touched: &std::collections::HashSet<u32>,
    num_items: u32,
    rng: &mut StdRng,
) -> Vec<u32> {
    let free = num_items as usize
        - touched
            .iter()
            .filter(|&&i| i >= 1 && i <= num_items)
            .count();
    if free <= NEGATIVES * 2 {
        let all: Vec<u32> = (1..=num_items).filter(|i| !touched.contains(i)).collect();
        if all.len() <= NEGATIVES {
            return all;
        }
        return sample(rng, all.len(), NEGATIVES)
            .into_iter()
            .map(|i| all[i])
            .collect();
    }
    let mut drawn = std::collections::HashSet::with_capacity(NEGATIVES);
    while drawn.len() < NEGATIVES {
        let item = rng.random_range(1..=num_items);
        if !touched.contains(&item) {
            drawn.insert(item);
        }
    }
    let mut drawn: Vec<u32> = drawn.into_iter().collect();
    drawn.sort_unstable();
    drawn
}
