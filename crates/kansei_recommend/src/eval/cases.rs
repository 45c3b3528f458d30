//! The evaluation cases: which users are evaluated, with which history and held-out item, and
//! the sampled protocol's negative items for each.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::data::LeaveLastOut;
use crate::eval::Split;
use crate::eval::ranking::Marks;

/// One evaluated user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Index into the split's per-user vectors (user id minus 1).
    pub user: usize,
    /// What the model sees, oldest first.
    pub history: Vec<u32>,
    /// The held-out item.
    pub target: u32,
    /// The sampled protocol's negatives (distinct items the user never interacted with), if the
    /// user is in the sampled protocol's sample.
    pub negatives: Option<Vec<u32>>,
    /// Whether the user is in the full ranking's sample.
    pub full: bool,
}

/// How many users each protocol evaluates, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sampling {
    /// At most this many users in the sampled protocol.
    pub sampled_users: usize,
    /// At most this many users in full ranking.
    pub full_users: usize,
    /// Negatives per user of the sampled protocol.
    pub negatives: usize,
    /// Seed of the user samples and the negatives.
    pub seed: u64,
}

/// The users of `split` that have a held-out item for `mode` and a non-empty history, in user
/// order. Each protocol takes at most its number of them, drawn at random with the seed (the
/// sampled protocol's draw comes first, so it does not depend on the full ranking's cap); the
/// sampled protocol's users get their negatives from the same seeded generator, in user order.
/// Users in neither sample are left out.
pub fn cases(split: &LeaveLastOut, mode: Split, sampling: &Sampling) -> Vec<Case> {
    let mut rng = StdRng::seed_from_u64(sampling.seed);
    let eligible: Vec<usize> = (0..split.train.len())
        .filter(|&u| target(split, mode, u).is_some() && !split.train[u].is_empty())
        .collect();
    let in_sampled = pick(&mut rng, eligible.len(), sampling.sampled_users);
    let mut full_rng = StdRng::seed_from_u64(sampling.seed ^ 0x9e37_79b9_7f4a_7c15);
    let in_full = pick(&mut full_rng, eligible.len(), sampling.full_users);
    let mut touched = Marks::new(split.num_items);
    eligible
        .into_iter()
        .enumerate()
        .filter(|&(i, _)| in_sampled[i] || in_full[i])
        .filter_map(|(i, user)| {
            let target = target(split, mode, user)?;
            let history = match mode {
                Split::Test => split.test_history(user),
                Split::Valid => split.train[user].clone(),
            };
            if !in_sampled[i] {
                return Some(Case {
                    user,
                    history,
                    target,
                    negatives: None,
                    full: in_full[i],
                });
            }
            // "Never interacted with": the whole sequence, later held-out items included.
            let mut taken = touched.reset_to(&split.train[user]);
            for held_out in [split.valid[user], split.test[user]].into_iter().flatten() {
                taken += usize::from(touched.insert(held_out));
            }
            let free = (split.num_items as usize).saturating_sub(taken);
            let negatives = sample_negatives(&mut rng, &mut touched, free, sampling.negatives);
            Some(Case {
                user,
                history,
                target,
                negatives: Some(negatives),
                full: in_full[i],
            })
        })
        .collect()
}

/// Which of `n` candidates a random draw of at most `max` keeps (all of them if `n <= max`).
fn pick(rng: &mut StdRng, n: usize, max: usize) -> Vec<bool> {
    if n <= max {
        return vec![true; n];
    }
    let mut keep = vec![false; n];
    for i in rand::seq::index::sample(rng, n, max) {
        keep[i] = true;
    }
    keep
}

fn target(split: &LeaveLastOut, mode: Split, user: usize) -> Option<u32> {
    match mode {
        Split::Test => split.test[user],
        Split::Valid => split.valid[user],
    }
}

/// `count` distinct items of the catalogue outside `taken`, uniformly at random (all of them if
/// fewer remain), `free` being how many items are not taken. Adds them to `taken`.
fn sample_negatives(rng: &mut StdRng, taken: &mut Marks, free: usize, count: usize) -> Vec<u32> {
    let num_items = taken.num_items();
    if free <= count {
        return (1..=num_items).filter(|&i| taken.insert(i)).collect();
    }
    let mut negatives = Vec::with_capacity(count);
    while negatives.len() < count {
        let item = rng.random_range(1..=num_items);
        if taken.insert(item) {
            negatives.push(item);
        }
    }
    negatives
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Interactions;

    fn split() -> LeaveLastOut {
        let mut text = String::new();
        for user in 1..=30u32 {
            for step in 0..(2 + user % 4) {
                text.push_str(&format!("{user} {}\n", 1 + (user * 7 + step * 3) % 40));
            }
        }
        LeaveLastOut::new(&Interactions::parse(&text).expect("parses"))
    }

    fn sampling(users: usize, negatives: usize, seed: u64) -> Sampling {
        Sampling {
            sampled_users: users,
            full_users: users,
            negatives,
            seed,
        }
    }

    #[test]
    fn test_and_valid_cases() {
        let split = split();
        let all = cases(&split, Split::Test, &sampling(1000, 5, 1));
        // Users with at least 3 interactions: user % 4 != 0.
        assert_eq!(all.len(), split.test.iter().flatten().count());
        for case in &all {
            assert_eq!(Some(case.target), split.test[case.user]);
            assert_eq!(case.history, split.test_history(case.user));
            assert!(case.full);
            let negatives = case.negatives.clone().unwrap_or_default();
            assert_eq!(negatives.len(), 5);
            let mut seen = negatives.clone();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), 5, "distinct");
            for n in &negatives {
                assert!(!case.history.contains(n) && *n != case.target);
                assert!((1..=split.num_items).contains(n));
            }
        }
        let valid = cases(&split, Split::Valid, &sampling(1000, 5, 1));
        for case in &valid {
            assert_eq!(Some(case.target), split.valid[case.user]);
            assert_eq!(case.history, split.train[case.user]);
            let negatives = case.negatives.as_deref().unwrap_or_default();
            assert!(!negatives.contains(&split.test[case.user].unwrap_or(0)));
        }
    }

    #[test]
    fn the_sample_is_seeded_and_capped() {
        let split = split();
        let a = cases(&split, Split::Test, &sampling(7, 5, 42));
        let sampled = |cases: &[Case]| cases.iter().filter(|c| c.negatives.is_some()).count();
        let full = |cases: &[Case]| cases.iter().filter(|c| c.full).count();
        assert_eq!((sampled(&a), full(&a)), (7, 7));
        assert!(a.windows(2).all(|w| w[0].user < w[1].user));
        assert_eq!(a, cases(&split, Split::Test, &sampling(7, 5, 42)));
        assert_ne!(a, cases(&split, Split::Test, &sampling(7, 5, 43)));
        // Capping full ranking leaves the sampled protocol's users and negatives alone.
        let all_full = Sampling {
            full_users: usize::MAX,
            ..sampling(7, 5, 42)
        };
        let b = cases(&split, Split::Test, &all_full);
        assert_eq!(full(&b), split.test.iter().flatten().count());
        let with_negatives = |cases: &[Case]| -> Vec<Case> {
            cases
                .iter()
                .filter(|c| c.negatives.is_some())
                .cloned()
                .map(|c| Case { full: true, ..c })
                .collect()
        };
        assert_eq!(with_negatives(&a), with_negatives(&b));
    }

    #[test]
    fn a_small_catalogue_gives_every_free_item() {
        let split = LeaveLastOut::new(&Interactions::parse("1 1\n1 2\n1 3\n2 4\n").expect("ok"));
        let all = cases(&split, Split::Test, &sampling(10, 100, 1));
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].negatives, Some(vec![4]));
    }
}
