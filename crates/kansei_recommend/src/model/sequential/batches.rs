//! Training batches: users grouped by history length, so little of each batch is padding.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Users per sorting window: batches are cut from windows of this many batches sorted by length,
/// which keeps batches random while their lengths stay similar.
const WINDOW_BATCHES: usize = 32;

/// The batches of one epoch: lists of user indices. Every user in `users` appears exactly once.
/// Deterministic in `(seed, epoch)`, so a resumed run sees the same batches.
pub fn epoch_batches(
    users: &[usize],
    lengths: &[usize],
    batch: usize,
    seed: u64,
    epoch: u64,
) -> Vec<Vec<usize>> {
    let batch = batch.max(1);
    let mut rng = StdRng::seed_from_u64(seed ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut order = users.to_vec();
    order.shuffle(&mut rng);
    let mut batches = Vec::with_capacity(order.len().div_ceil(batch));
    for window in order.chunks_mut(batch * WINDOW_BATCHES) {
        window.sort_by_key(|&user| lengths[user]);
        batches.extend(window.chunks(batch).map(<[usize]>::to_vec));
    }
    batches.shuffle(&mut rng);
    batches
}

/// Batches per epoch for `users` users.
pub fn batches_per_epoch(users: usize, batch: usize) -> u64 {
    let batch = batch.max(1);
    let windows = users / (batch * WINDOW_BATCHES);
    let rest = users % (batch * WINDOW_BATCHES);
    (windows * WINDOW_BATCHES + rest.div_ceil(batch)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_user_once_per_epoch_and_reproducible() {
        let users: Vec<usize> = (0..1000).collect();
        let lengths: Vec<usize> = (0..1000).map(|u| (u * 7919) % 97).collect();
        let batches = epoch_batches(&users, &lengths, 16, 3, 5);
        assert_eq!(batches.len() as u64, batches_per_epoch(1000, 16));
        let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, users);
        assert_eq!(batches, epoch_batches(&users, &lengths, 16, 3, 5));
        assert_ne!(batches, epoch_batches(&users, &lengths, 16, 3, 6));
        // Sorted windows: a batch's lengths are close together.
        let spread: usize = batches
            .iter()
            .map(|b| {
                let l: Vec<usize> = b.iter().map(|&u| lengths[u]).collect();
                l.iter().max().unwrap_or(&0) - l.iter().min().unwrap_or(&0)
            })
            .sum();
        assert!(
            spread / batches.len() < 10,
            "mean spread {}",
            spread / batches.len()
        );
    }
}
