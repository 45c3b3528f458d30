//! The metric arithmetic of evaluation, on plain numbers: hit rate and NDCG of a rank, and the
//! exposure statistics (coverage, Gini) of how often each item was recommended.

/// 1 if the held-out item's 0-based `rank` is within the top `k`, else 0.
pub fn hit_at(rank: usize, k: usize) -> f64 {
    if rank < k { 1.0 } else { 0.0 }
}

/// NDCG@k of one held-out item at 0-based `rank`: `1 / log2(rank + 2)` within the top `k`, else 0
/// (one relevant item, so the ideal DCG is 1).
pub fn ndcg_at(rank: usize, k: usize) -> f64 {
    if rank < k {
        1.0 / ((rank + 2) as f64).log2()
    } else {
        0.0
    }
}

/// The share of items recommended at least once: `exposure[i]` counts how often item `i` was
/// recommended, over the whole catalogue (0 for an empty one).
pub fn coverage(exposure: &[u64]) -> f64 {
    if exposure.is_empty() {
        return 0.0;
    }
    exposure.iter().filter(|&&n| n > 0).count() as f64 / exposure.len() as f64
}

/// The Gini coefficient of `exposure` (how often each catalogue item was recommended): 0 when
/// every item is recommended equally often, approaching 1 when one item takes every slot. 0 for
/// an empty catalogue or no recommendations.
pub fn gini(exposure: &[u64]) -> f64 {
    let n = exposure.len();
    let total: u64 = exposure.iter().sum();
    if n == 0 || total == 0 {
        return 0.0;
    }
    let mut sorted = exposure.to_vec();
    sorted.sort_unstable();
    // G = Σ (2i - n - 1) x_i / (n Σ x), with x ascending and i = 1..=n.
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| (2.0 * (i + 1) as f64 - n as f64 - 1.0) * x as f64)
        .sum();
    weighted / (n as f64 * total as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndcg_of_the_first_ranks() {
        assert_eq!(ndcg_at(0, 10), 1.0);
        assert!((ndcg_at(1, 10) - 1.0 / 3f64.log2()).abs() < 1e-12);
        assert!((ndcg_at(9, 10) - 1.0 / 11f64.log2()).abs() < 1e-12);
        assert_eq!(ndcg_at(10, 10), 0.0);
        assert_eq!(hit_at(9, 10), 1.0);
        assert_eq!(hit_at(10, 10), 0.0);
    }

    #[test]
    fn gini_of_uniform_and_concentrated_exposure() {
        assert_eq!(gini(&[3, 3, 3, 3]), 0.0);
        // One of n items takes everything: (n - 1) / n.
        assert!((gini(&[0, 0, 0, 8]) - 0.75).abs() < 1e-12);
        assert!((gini(&[8, 0, 0, 0]) - 0.75).abs() < 1e-12);
        // Two of four items equally: 0.5.
        assert!((gini(&[0, 5, 0, 5]) - 0.5).abs() < 1e-12);
        assert_eq!(gini(&[]), 0.0);
        assert_eq!(gini(&[0, 0]), 0.0);
    }

    #[test]
    fn coverage_is_the_share_recommended() {
        assert_eq!(coverage(&[0, 1, 0, 7]), 0.5);
        assert_eq!(coverage(&[1, 1]), 1.0);
        assert_eq!(coverage(&[]), 0.0);
    }
}
