//! Running sums of the full-ranking figures over the evaluated users.

use crate::eval::metrics::{coverage, gini, hit_at, ndcg_at};
use crate::eval::report::FullMetrics;

/// Accumulates ranks and top-`k` lists, one user at a time.
#[derive(Debug, Clone)]
pub struct FullTally {
    k: usize,
    users: usize,
    hits: f64,
    ndcg: f64,
    /// `exposure[i]`: how often item `i` was recommended (index 0 unused).
    exposure: Vec<u64>,
    recommended: u64,
    popularity_sum: f64,
}

impl FullTally {
    /// An empty tally for items `1..=num_items` and cut-off `k`.
    pub fn new(num_items: u32, k: usize) -> Self {
        Self {
            k,
            users: 0,
            hits: 0.0,
            ndcg: 0.0,
            exposure: vec![0; num_items as usize + 1],
            recommended: 0,
            popularity_sum: 0.0,
        }
    }

    /// Adds one user: the held-out item's 0-based `rank` and the user's recommendations (only the
    /// first `k` count), with `item_counts[i]` the training count of item `i`.
    pub fn add(&mut self, rank: usize, recommended: &[u32], item_counts: &[u32]) {
        self.users += 1;
        self.hits += hit_at(rank, self.k);
        self.ndcg += ndcg_at(rank, self.k);
        for &item in recommended.iter().take(self.k) {
            if let Some(n) = self.exposure.get_mut(item as usize) {
                *n += 1;
            }
            self.recommended += 1;
            self.popularity_sum += f64::from(item_counts.get(item as usize).copied().unwrap_or(0));
        }
    }

    /// Users added so far.
    pub fn users(&self) -> usize {
        self.users
    }

    /// The figures so far (all 0 before the first user).
    pub fn metrics(&self) -> FullMetrics {
        let users = self.users.max(1) as f64;
        let items = &self.exposure[self.exposure.len().min(1)..];
        FullMetrics {
            hr: self.hits / users,
            ndcg: self.ndcg / users,
            coverage: coverage(items),
            gini: gini(items),
            mean_popularity: self.popularity_sum / self.recommended.max(1) as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_ranks_and_exposure() {
        let counts = [0, 10, 20, 30, 40];
        let mut tally = FullTally::new(4, 2);
        tally.add(0, &[1, 2, 3], &counts);
        tally.add(5, &[1, 4], &counts);
        let m = tally.metrics();
        assert_eq!(m.hr, 0.5);
        assert_eq!(m.ndcg, 0.5);
        assert_eq!(m.coverage, 0.75);
        assert_eq!(m.mean_popularity, (10.0 + 20.0 + 10.0 + 40.0) / 4.0);
        // Exposure [2, 1, 0, 1]: ascending [0, 1, 1, 2], G = (-3*0 - 1 + 1 + 3*2) / (4*4).
        assert!((m.gini - 6.0 / 16.0).abs() < 1e-12);
    }

    #[test]
    fn empty_tally_is_zero() {
        let m = FullTally::new(3, 10).metrics();
        assert_eq!((m.hr, m.ndcg, m.coverage, m.gini), (0.0, 0.0, 0.0, 0.0));
    }
}
