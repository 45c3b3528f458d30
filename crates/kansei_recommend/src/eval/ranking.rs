//! Ranking one score row: the held-out item's rank among candidates, and the top `k` items.
//!
//! Order is by score, higher first; equal scores are ordered by item id, lower first, so ranks
//! and top-k lists agree (the held-out item is in the top `k` exactly when its rank is below
//! `k`) and every result is deterministic. A NaN score ranks below everything.

use std::cmp::Ordering;

/// Whether item `a` (score `sa`) ranks above item `b` (score `sb`).
#[inline]
pub fn ranks_above(a: u32, sa: f32, b: u32, sb: f32) -> bool {
    if sa > sb {
        return true;
    }
    if sa == sb {
        return a < b;
    }
    // `sa < sb`, or a NaN is involved: NaN ranks below every number, -inf included.
    sb.is_nan() && (!sa.is_nan() || a < b)
}

/// The ranking order of `(item, score)` pairs: `Less` means `a` comes first.
pub fn order(a: u32, sa: f32, b: u32, sb: f32) -> Ordering {
    if ranks_above(a, sa, b, sb) {
        Ordering::Less
    } else if ranks_above(b, sb, a, sa) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

/// The 0-based rank of `target` among `candidates` (which should not contain it): how many of
/// them rank above it.
pub fn rank_among(scores: &[f32], target: u32, candidates: &[u32]) -> usize {
    let st = scores[target as usize];
    candidates
        .iter()
        .filter(|&&c| ranks_above(c, scores[c as usize], target, st))
        .count()
}

/// The 0-based rank of `target` among all items `1..scores.len()` except those `excluded` (the
/// target itself is never excluded).
pub fn rank_in_catalogue(scores: &[f32], target: u32, excluded: &Marks) -> usize {
    let t = target as usize;
    let st = scores[t];
    let above = |item: u32| item != target && ranks_above(item, scores[item as usize], target, st);
    if st.is_nan() {
        return (1..scores.len() as u32)
            .filter(|&item| !excluded.contains(item) && above(item))
            .count();
    }
    // Branch-free counts over the whole row, then the excluded items taken back. Wrapping adds
    // (a count cannot overflow) keep the loops vectorised where overflow checks are on.
    let higher = count(&scores[1..], |s| s > st);
    let tied_before = count(&scores[1..t], |s| s == st);
    let excluded_above = excluded
        .items()
        .iter()
        .filter(|&&i| i >= 1 && (i as usize) < scores.len() && above(i))
        .count();
    (higher + tied_before).saturating_sub(excluded_above)
}

/// How many of `row` satisfy `hit`.
#[inline]
fn count(row: &[f32], hit: impl Fn(f32) -> bool) -> usize {
    row.iter()
        .fold(0u32, |n, &s| n.wrapping_add(u32::from(hit(s)))) as usize
}

/// The 0-based rank of `target` among all items `1..scores.len()` except those `excluded` (the
/// target itself is never excluded), and the `k` best of those items, best first.
pub fn rank_and_top_k(
    scores: &[f32],
    target: u32,
    k: usize,
    excluded: &Marks,
) -> (usize, Vec<u32>) {
    let rank = rank_in_catalogue(scores, target, excluded);
    let top = best_of(scores, k, |item| item != target && excluded.contains(item));
    (rank, top)
}

/// The `k` best items of `1..scores.len()` that are not `excluded`, best first.
pub fn top_k(scores: &[f32], k: usize, excluded: &Marks) -> Vec<u32> {
    best_of(scores, k, |item| excluded.contains(item))
}

/// The `k` best items of `1..scores.len()` for which `skip` is false.
fn best_of(scores: &[f32], k: usize, skip: impl Fn(u32) -> bool) -> Vec<u32> {
    /// Items tested together: a block whose every score is below the current `k`-th best is
    /// passed over with one vectorised comparison.
    const BLOCK: usize = 64;
    let mut best = TopK::new(k);
    for (first, block) in (0u32..).step_by(BLOCK).zip(scores.chunks(BLOCK)) {
        if !best.is_full() {
            for (item, &s) in (first..).zip(block) {
                if item != 0 && !skip(item) {
                    best.offer(item, s);
                }
            }
            continue;
        }
        // Most blocks hold nothing that can enter: one vectorised test passes them over.
        let threshold = best.threshold;
        if !block.iter().fold(false, |any, &s| any | (s >= threshold)) {
            continue;
        }
        // Bit i: item `first + i` is not below the bar's score (NaN never is).
        let mut mask = block.iter().enumerate().fold(0u64, |mask, (i, &s)| {
            mask | (u64::from(s >= threshold) << i)
        });
        while mask != 0 {
            let i = mask.trailing_zeros();
            mask &= mask - 1;
            let item = first + i;
            if item != 0 && !skip(item) {
                best.offer(item, block[i as usize]);
            }
        }
    }
    best.into_items()
}

/// A sort key that orders `(item, score)` pairs as [`ranks_above`] does: higher key, higher
/// rank. The score's bits, mapped so that integer order is numeric order (NaN lowest, -0 as +0),
/// above the complemented id (lower id first among equal scores).
#[inline]
pub fn rank_key(item: u32, score: f32) -> u64 {
    let bits = if score.is_nan() {
        0
    } else if score == 0.0 {
        0x8000_0000
    } else {
        let bits = score.to_bits();
        if bits & 0x8000_0000 != 0 {
            !bits
        } else {
            bits | 0x8000_0000
        }
    };
    (u64::from(bits) << 32) | u64::from(!item)
}

/// The item of a [`rank_key`].
#[inline]
fn key_item(key: u64) -> u32 {
    !(key as u32)
}

/// The `k` best of the items offered: an unsorted buffer of up to `2k` [`rank_key`]s, cut back
/// to the `k` best (a linear-time selection) whenever it fills, whose `k`-th best then bars
/// every item that does not beat it. Linear in the items offered, whatever `k`.
struct TopK {
    k: usize,
    buffer: Vec<u64>,
    /// The `k`-th best key so far, once `k` items have been seen and cut back.
    bar: Option<u64>,
    /// The bar's score, a quick filter: what scores below it cannot enter (-inf if it is NaN).
    threshold: f32,
}

impl TopK {
    fn new(k: usize) -> Self {
        Self {
            k,
            buffer: Vec::with_capacity(2 * k),
            bar: None,
            threshold: f32::NEG_INFINITY,
        }
    }

    fn is_full(&self) -> bool {
        self.bar.is_some()
    }

    #[inline]
    fn offer(&mut self, item: u32, score: f32) {
        if self.k == 0 {
            return;
        }
        let key = rank_key(item, score);
        if self.bar.is_some_and(|bar| key <= bar) {
            return;
        }
        self.buffer.push(key);
        if self.buffer.len() >= 2 * self.k {
            self.cut();
        }
    }

    /// Keeps the `k` best and raises the bar to the `k`-th of them.
    fn cut(&mut self) {
        let (_, &mut bar, _) = self
            .buffer
            .select_nth_unstable_by(self.k - 1, |a, b| b.cmp(a));
        self.buffer.truncate(self.k);
        let score = {
            let bits = (bar >> 32) as u32;
            if bits == 0 {
                f32::NEG_INFINITY
            } else if bits & 0x8000_0000 != 0 {
                f32::from_bits(bits & 0x7fff_ffff)
            } else {
                f32::from_bits(!bits)
            }
        };
        self.threshold = score;
        self.bar = Some(bar);
    }

    fn into_items(mut self) -> Vec<u32> {
        if self.buffer.len() > self.k {
            self.cut();
        }
        self.buffer.sort_unstable_by(|a, b| b.cmp(a));
        self.buffer.into_iter().map(key_item).collect()
    }
}

/// A reusable set of item ids: marking is O(1) and clearing is O(1) amortised (a generation
/// counter), so one allocation serves every user of an evaluation.
#[derive(Debug, Clone)]
pub struct Marks {
    stamp: Vec<u32>,
    generation: u32,
    /// The ids in the set, in insertion order.
    items: Vec<u32>,
}

impl Marks {
    /// An empty set for ids `0..=num_items`.
    pub fn new(num_items: u32) -> Self {
        Self {
            stamp: vec![0; num_items as usize + 1],
            generation: 1,
            items: Vec::new(),
        }
    }

    /// The largest id it can hold.
    pub fn num_items(&self) -> u32 {
        u32::try_from(self.stamp.len().saturating_sub(1)).unwrap_or(u32::MAX)
    }

    /// Empties the set.
    pub fn clear(&mut self) {
        self.items.clear();
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.fill(0);
            self.generation = 1;
        }
    }

    /// Adds `item` (ids beyond the catalogue are ignored); returns whether it was new.
    pub fn insert(&mut self, item: u32) -> bool {
        match self.stamp.get_mut(item as usize) {
            Some(s) if *s != self.generation => {
                *s = self.generation;
                self.items.push(item);
                true
            }
            _ => false,
        }
    }

    /// Removes `item`.
    pub fn remove(&mut self, item: u32) {
        if let Some(s) = self.stamp.get_mut(item as usize)
            && *s == self.generation
        {
            *s = 0;
            self.items.retain(|&i| i != item);
        }
    }

    /// The ids in the set, in insertion order.
    pub fn items(&self) -> &[u32] {
        &self.items
    }

    /// Whether `item` is in the set.
    pub fn contains(&self, item: u32) -> bool {
        self.stamp.get(item as usize) == Some(&self.generation)
    }

    /// Empties the set and adds `items`; returns how many distinct ids it then holds.
    pub fn reset_to(&mut self, items: &[u32]) -> usize {
        self.clear();
        items.iter().filter(|&&i| self.insert(i)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_lower_id_and_nan_is_last() {
        assert!(ranks_above(1, 2.0, 0, 1.0));
        assert!(ranks_above(1, 1.0, 2, 1.0));
        assert!(!ranks_above(2, 1.0, 1, 1.0));
        assert!(ranks_above(5, f32::NEG_INFINITY, 1, f32::NAN));
        assert!(!ranks_above(1, f32::NAN, 5, f32::NEG_INFINITY));
    }

    #[test]
    fn ranks_and_top_k_agree() {
        let scores = [f32::NEG_INFINITY, 0.5, 0.9, 0.5, 0.1, 0.7];
        let mut excluded = Marks::new(5);
        assert_eq!(top_k(&scores, 3, &excluded), vec![2, 5, 1]);
        assert_eq!(rank_and_top_k(&scores, 1, 3, &excluded), (2, vec![2, 5, 1]));
        assert_eq!(rank_and_top_k(&scores, 3, 3, &excluded).0, 3);
        assert_eq!(rank_among(&scores, 3, &[1, 4]), 1);
        excluded.reset_to(&[2]);
        assert_eq!(top_k(&scores, 3, &excluded), vec![5, 1, 3]);
        assert_eq!(rank_and_top_k(&scores, 1, 3, &excluded), (1, vec![5, 1, 3]));
        // The target is ranked (and listed) even if excluded, against the others.
        assert_eq!(rank_and_top_k(&scores, 2, 2, &excluded), (0, vec![2, 5]));
        assert_eq!(top_k(&scores, 0, &excluded), Vec::<u32>::new());
        assert_eq!(top_k(&scores, 9, &excluded).len(), 4);
    }

    #[test]
    fn rank_and_top_k_agree_on_random_rows() {
        let mut state = 12345u32;
        let mut next = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 28) as f32 // few distinct values: many ties
        };
        let mut scores: Vec<f32> = (0..200).map(|_| next()).collect();
        scores[0] = f32::NEG_INFINITY;
        scores[5] = f32::NAN;
        scores[150] = f32::NAN;
        let mut excluded = Marks::new(199);
        excluded.reset_to(&[3, 50, 77]);
        for target in [1, 20, 77, 150] {
            let (rank, top) = rank_and_top_k(&scores, target, 10, &excluded);
            let by_definition = (1..200u32)
                .filter(|&i| i != target && !excluded.contains(i))
                .filter(|&i| ranks_above(i, scores[i as usize], target, scores[target as usize]))
                .count();
            assert_eq!(rank, by_definition);
            assert_eq!(
                rank < 10,
                top.contains(&target),
                "target {target} rank {rank}"
            );
            if rank < 10 {
                assert_eq!(top[rank], target);
            }
            assert!(!top.iter().any(|&i| i != target && excluded.contains(i)));
        }
    }

    #[test]
    fn rank_keys_order_like_ranks_above() {
        let scores = [
            f32::NAN,
            f32::NEG_INFINITY,
            -3.5,
            -0.0,
            0.0,
            1e-30,
            2.0,
            2.0,
            f32::INFINITY,
        ];
        for (a, &sa) in scores.iter().enumerate() {
            for (b, &sb) in scores.iter().enumerate() {
                let (a, b) = (a as u32, b as u32);
                assert_eq!(
                    rank_key(a, sa) > rank_key(b, sb),
                    ranks_above(a, sa, b, sb),
                    "{a}:{sa} vs {b}:{sb}"
                );
            }
            assert_eq!(key_item(rank_key(a as u32, sa)), a as u32);
        }
    }

    #[test]
    fn top_k_of_many_with_a_large_k() {
        // Increasing scores: every item beats the bar, the worst case for the buffer.
        let scores: Vec<f32> = (0..5000).map(|i| i as f32 * 0.5).collect();
        let top = top_k(&scores, 300, &Marks::new(4999));
        assert_eq!(top.len(), 300);
        assert!(top.iter().copied().eq((4700..5000).rev()));
    }

    #[test]
    fn marks_reset() {
        let mut marks = Marks::new(4);
        assert_eq!(marks.reset_to(&[1, 1, 3, 9]), 2);
        assert!(marks.contains(1) && marks.contains(3) && !marks.contains(2));
        marks.remove(1);
        assert!(!marks.contains(1) && marks.contains(3));
        assert_eq!(marks.items(), &[3]);
        marks.clear();
        assert!(!marks.contains(3));
        assert!(!marks.insert(9));
    }
}
