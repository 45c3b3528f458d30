//! The validation metric that early stopping watches: sampled NDCG@10 on the validation split.

use rand::rngs::StdRng;
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};

use crate::data::LeaveLastOut;
use crate::error::RecommendError;
use crate::model::Recommender;

/// Sampled-protocol HR@10 and NDCG@10 of predicting each user's validation item from their
/// training history, against 100 random items the user never touched, over at most `max_users`
/// users drawn with `seed`.
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
            let mut above = 0;
            let mut drawn = 0;
            while drawn < 100 {
                let item = rng.random_range(1..=split.num_items);
                if touched.contains(&item) {
                    continue;
                }
                drawn += 1;
                if row[item as usize] > target_score {
                    above += 1;
                }
            }
            if above < 10 {
                hits += 1.0;
                ndcg += 1.0 / f64::from(above + 2).log2();
            }
        }
    }
    let n = users.len().max(1) as f64;
    Ok((hits / n, ndcg / n))
}
