//! Online Bayesian skill estimation: a one-parameter logistic item-response model (the Rasch
//! model, as in Elo and Glicko), with a Gaussian belief over the player's skill updated after
//! every encounter.
//!
//! ```text
//! P(success | skill s, difficulty d) = sigmoid(k (s - d))          k = SLOPE
//! ```
//!
//! Skill and difficulty share the `[0, 1]` difficulty scale. The belief `N(mean, std²)` is
//! updated in closed form by assumed-density filtering with a Laplace step (Glicko's update):
//!
//! ```text
//! variance += DRIFT²                                  skill drifts between encounters
//! p = sigmoid(k (mean - d)),  information = k² p (1 - p)
//! variance' = 1 / (1 / variance + information)
//! mean'     = mean + variance' k (outcome - p)
//! ```
//!
//! Predictions integrate over the belief with the probit approximation
//! `P = sigmoid(k (mean - d) / sqrt(1 + pi k² variance / 8))`, so an uncertain estimate predicts
//! closer to 50%. [`SkillEstimate::difficulty_for`] inverts it: the difficulty at which the
//! player is expected to succeed with a target probability.

use crate::SkillEstimate;

/// Slope of the logistic curve on the `[0, 1]` scale: one tenth of the scale moves the success
/// probability from 50% to about 69%.
pub const SLOPE: f64 = 8.0;
/// Standard deviation of the skill's drift per encounter: players improve (or tire), so the
/// belief never becomes certain and keeps following them.
pub const DRIFT: f64 = 0.02;
/// Smallest and largest standard deviation kept.
const STD_RANGE: (f64, f64) = (1e-3, 1.0);

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `sqrt(1 + pi k² variance / 8)`: how much uncertainty flattens the predicted curve.
fn flattening(std: f64) -> f64 {
    (1.0 + std::f64::consts::PI * SLOPE * SLOPE * std * std / 8.0).sqrt()
}

impl SkillEstimate {
    /// The expected probability that the player succeeds at `difficulty`.
    pub fn success_probability(&self, difficulty: f64) -> f64 {
        sigmoid(SLOPE * (self.mean - difficulty) / flattening(self.std))
    }

    /// The difficulty at which the expected success probability is `target` (clamped to
    /// `(0, 1)`), on the `[0, 1]` scale (clamped).
    pub fn difficulty_for(&self, target: f64) -> f64 {
        let target = target.clamp(1e-6, 1.0 - 1e-6);
        let logit = (target / (1.0 - target)).ln();
        (self.mean - logit * flattening(self.std) / SLOPE).clamp(0.0, 1.0)
    }

    /// The belief after one encounter at `difficulty` that the player won (`success`) or not.
    pub fn updated(&self, difficulty: f64, success: bool) -> Self {
        let variance = self.std * self.std + DRIFT * DRIFT;
        let p = sigmoid(SLOPE * (self.mean - difficulty));
        let information = SLOPE * SLOPE * p * (1.0 - p);
        let posterior = 1.0 / (1.0 / variance + information);
        let outcome = if success { 1.0 } else { 0.0 };
        Self {
            mean: (self.mean + posterior * SLOPE * (outcome - p)).clamp(0.0, 1.0),
            std: posterior.sqrt().clamp(STD_RANGE.0, STD_RANGE.1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (`SplitMix64`) so the simulated players repeat exactly.
    struct Dice(u64);

    impl Dice {
        fn uniform(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1_u64 << 53) as f64
        }
    }

    #[test]
    fn the_estimate_finds_a_simulated_player_and_grows_confident() {
        for (true_skill, seed) in [(0.2, 1), (0.55, 2), (0.85, 3)] {
            let mut dice = Dice(seed);
            let mut belief = SkillEstimate::default();
            for _ in 0..300 {
                let difficulty = dice.uniform();
                let wins = dice.uniform() < sigmoid(SLOPE * (true_skill - difficulty));
                belief = belief.updated(difficulty, wins);
            }
            // Within its own uncertainty (which the drift keeps from vanishing), and close.
            let error = (belief.mean - true_skill).abs();
            assert!(
                error < 2.5 * belief.std && error < 0.15,
                "true {true_skill}, estimated {belief:?}"
            );
            assert!(belief.std < 0.1, "{belief:?}");
        }
    }

    #[test]
    fn wins_raise_and_losses_lower_the_estimate() {
        let start = SkillEstimate::default();
        assert!(start.updated(0.5, true).mean > start.mean);
        assert!(start.updated(0.5, false).mean < start.mean);
        // Winning an easy encounter says less than winning a hard one.
        let easy = start.updated(0.1, true).mean - start.mean;
        let hard = start.updated(0.9, true).mean - start.mean;
        assert!(hard > easy && easy > 0.0);
    }

    #[test]
    fn difficulty_for_inverts_the_prediction() {
        for belief in [
            SkillEstimate::default(),
            SkillEstimate {
                mean: 0.7,
                std: 0.05,
            },
            SkillEstimate {
                mean: 0.3,
                std: 0.2,
            },
        ] {
            for target in [0.5, 0.7, 0.85] {
                let d = belief.difficulty_for(target);
                if (0.0..1.0).contains(&d) && d > 0.0 {
                    assert!((belief.success_probability(d) - target).abs() < 1e-9);
                }
            }
            // Harder targets (higher success) mean easier encounters.
            assert!(belief.difficulty_for(0.85) <= belief.difficulty_for(0.5));
        }
    }

    #[test]
    fn predictions_are_calibrated() {
        // Simulated players of random skill; bucket the predictions before each encounter and
        // compare with the success rate that followed.
        let mut dice = Dice(9);
        let (mut predicted, mut observed, mut count) = ([0.0; 5], [0.0; 5], [0.0; 5]);
        for _ in 0..60 {
            let true_skill = dice.uniform();
            let mut belief = SkillEstimate::default();
            for _ in 0..80 {
                let difficulty = dice.uniform();
                let p = belief.success_probability(difficulty);
                let wins = dice.uniform() < sigmoid(SLOPE * (true_skill - difficulty));
                let bucket = ((p * 5.0) as usize).min(4);
                predicted[bucket] += p;
                observed[bucket] += if wins { 1.0 } else { 0.0 };
                count[bucket] += 1.0;
                belief = belief.updated(difficulty, wins);
            }
        }
        for b in 0..5 {
            let (p, o) = (predicted[b] / count[b], observed[b] / count[b]);
            assert!(
                (p - o).abs() < 0.06,
                "bucket {b}: predicted {p:.3}, observed {o:.3}"
            );
        }
    }
}
