//! The bandit baselines: the difficulty range cut into [`BANDIT_LEVELS`] arms, each arm's
//! success rate learnt from its own plays, and the arm expected closest to the target played
//! next. `ucb1` adds an optimism bonus to rarely played arms (Auer et al. 2002); `thompson`
//! samples each arm's rate from its Beta posterior. Neither knows that neighbouring arms are
//! related, which is why they need many encounters to settle.

use kansei_player::EncounterOutcome;

use super::Controller;
use crate::rng::Rng;

/// Arms of the bandit baselines.
pub const BANDIT_LEVELS: usize = 10;

/// Successes and plays per arm.
#[derive(Debug, Clone, Default)]
struct Arms {
    wins: [f64; BANDIT_LEVELS],
    plays: [f64; BANDIT_LEVELS],
    last: usize,
}

impl Arms {
    fn difficulty(arm: usize) -> f64 {
        (arm as f64 + 0.5) / BANDIT_LEVELS as f64
    }

    fn record(&mut self, outcome: &EncounterOutcome) {
        self.plays[self.last] += 1.0;
        if outcome.success && !outcome.quit {
            self.wins[self.last] += 1.0;
        }
    }

    /// Posterior mean success rate of the arm nearest `difficulty` (uniform prior).
    fn mean(&self, difficulty: f64) -> f64 {
        let arm = ((difficulty * BANDIT_LEVELS as f64) as usize).min(BANDIT_LEVELS - 1);
        (self.wins[arm] + 1.0) / (self.plays[arm] + 2.0)
    }
}

/// UCB1 on closeness to the target: play the arm maximising
/// `-|rate - target| + c sqrt(ln t / plays)`.
#[derive(Debug, Clone)]
pub struct Ucb1 {
    arms: Arms,
    target: f64,
    /// Exploration constant (0.5 in the benchmark: rewards span 1).
    pub exploration: f64,
}

impl Ucb1 {
    /// A fresh bandit aiming at `target`.
    pub fn new(target: f64) -> Self {
        Self {
            arms: Arms::default(),
            target,
            exploration: 0.5,
        }
    }
}

impl Controller for Ucb1 {
    fn next_difficulty(&mut self) -> f64 {
        let total: f64 = self.arms.plays.iter().sum::<f64>().max(1.0);
        let arm = (0..BANDIT_LEVELS)
            .map(|arm| {
                let plays = self.arms.plays[arm];
                let score = if plays == 0.0 {
                    f64::INFINITY
                } else {
                    let rate = self.arms.wins[arm] / plays;
                    -(rate - self.target).abs() + self.exploration * (total.ln() / plays).sqrt()
                };
                (arm, score)
            })
            // Ties (unplayed arms) go to the middle of the range first.
            .max_by(|a, b| {
                a.1.total_cmp(&b.1).then_with(|| {
                    let mid = BANDIT_LEVELS as f64 / 2.0;
                    (b.0 as f64 - mid)
                        .abs()
                        .total_cmp(&(a.0 as f64 - mid).abs())
                })
            })
            .map_or(BANDIT_LEVELS / 2, |(arm, _)| arm);
        self.arms.last = arm;
        Arms::difficulty(arm)
    }

    fn predicted_success(&self, difficulty: f64) -> Option<f64> {
        Some(self.arms.mean(difficulty))
    }

    fn observe(&mut self, outcome: &EncounterOutcome) {
        self.arms.record(outcome);
    }
}

/// Thompson sampling: draw each arm's rate from `Beta(wins + 1, losses + 1)` and play the arm
/// whose draw is closest to the target.
#[derive(Debug, Clone)]
pub struct Thompson {
    arms: Arms,
    target: f64,
    rng: Rng,
}

impl Thompson {
    /// A fresh bandit aiming at `target`, drawing from `rng`.
    pub fn new(target: f64, rng: Rng) -> Self {
        Self {
            arms: Arms::default(),
            target,
            rng,
        }
    }
}

impl Controller for Thompson {
    fn next_difficulty(&mut self) -> f64 {
        let mut best = (BANDIT_LEVELS / 2, f64::INFINITY);
        for arm in 0..BANDIT_LEVELS {
            let (wins, plays) = (self.arms.wins[arm], self.arms.plays[arm]);
            let draw = self.rng.beta(wins + 1.0, plays - wins + 1.0);
            let distance = (draw - self.target).abs();
            if distance < best.1 {
                best = (arm, distance);
            }
        }
        self.arms.last = best.0;
        Arms::difficulty(best.0)
    }

    fn predicted_success(&self, difficulty: f64) -> Option<f64> {
        Some(self.arms.mean(difficulty))
    }

    fn observe(&mut self, outcome: &EncounterOutcome) {
        self.arms.record(outcome);
    }
}
