//! Online Bayesian skill estimation: a one-parameter logistic item-response model (the Rasch
//! model behind Elo and Glicko) whose skill follows the player as they learn, tire, or change
//! abruptly, tracked by an extended Kalman filter.
//!
//! ```text
//! P(success | skill s, difficulty d) = sigmoid(k (s - d))          k = SkillModel::slope
//! ```
//!
//! Skill and difficulty share the `[0, 1]` difficulty scale. The belief is Gaussian over two
//! numbers: the skill `s` and its trend `v` per encounter (players improve as they play and
//! slow down as they tire). Between encounters `s += v`, and both wander a little
//! (`level_drift`, `trend_drift`), so the belief never becomes certain. Each encounter is two
//! observations of the success probability `p = sigmoid(k (s - d))`, each linearised at the
//! current mean (`dp/ds = k p (1 - p)`):
//!
//! - the success itself, a Bernoulli draw: value 0 or 1, variance `p (1 - p)` (alone, this
//!   is Glicko's update);
//! - if the game reports one, the graded [`performance`](crate::EncounterOutcome::performance)
//!   in `[0, 1]`, a noisier but far more informative reading of `p` (variance
//!   `performance_noise²`): how much health was left says more than won-or-lost.
//!
//! A surprise (one reading more than `change_threshold` standard deviations off, or two in a
//! row in the same direction) means the player changed: a break, a new weapon. The skill's
//! variance then grows by `change_std²`, so the estimate re-converges in a few encounters
//! instead of dozens.
//!
//! Predictions integrate over the belief with the probit approximation
//! `P = sigmoid(k (mean - d) / sqrt(1 + pi k² std² / 8))`, so an uncertain estimate predicts
//! closer to 50%. [`SkillModel::difficulty_for`] inverts it: the difficulty at which the
//! player is expected to succeed with a target probability.

use serde::{Deserialize, Serialize};

use crate::{EncounterOutcome, SkillEstimate};

/// Slope of the logistic curve on the `[0, 1]` scale used by [`SkillModel::default`]: one
/// tenth of the scale moves the success probability from 50% to about 69%.
pub const SLOPE: f64 = 8.0;
/// Standard deviation of the skill's random drift per encounter in [`SkillModel::default`].
pub const DRIFT: f64 = 0.02;
/// Smallest and largest standard deviation kept.
const STD_RANGE: (f64, f64) = (1e-3, 1.0);
/// Largest trend kept, per encounter: nobody masters a whole difficulty scale in 20 encounters.
const MAX_TREND: f64 = 0.05;

/// How a game's difficulty scale relates to success, and how players change on it: the
/// parameters of the estimate's model. [`Default`] suits a scale where one tenth of it is a
/// clear step; a game calibrates its own from playtests (`kansei difficulty simulate` derives
/// one from a simulated population).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillModel {
    /// `k`: how sharply success falls as difficulty passes skill. Default [`SLOPE`].
    pub slope: f64,
    /// Random change of the skill per encounter, one standard deviation. Default [`DRIFT`].
    pub level_drift: f64,
    /// Random change of the trend per encounter. Default 0.0005.
    pub trend_drift: f64,
    /// Standard deviation of the graded performance around the success probability.
    /// Default 0.12.
    pub performance_noise: f64,
    /// A reading this many standard deviations off counts as a surprise. Default 3.0.
    pub change_threshold: f64,
    /// Standard deviation added to the skill when the player seems to have changed.
    /// Default 0.1.
    pub change_std: f64,
}

impl Default for SkillModel {
    fn default() -> Self {
        Self {
            slope: SLOPE,
            level_drift: DRIFT,
            trend_drift: 0.0005,
            performance_noise: 0.12,
            change_threshold: 3.0,
            change_std: 0.1,
        }
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl SkillModel {
    /// Checks that every parameter is finite and positive.
    pub fn validate(&self) -> Result<(), String> {
        let fields = [
            ("slope", self.slope),
            ("level_drift", self.level_drift),
            ("trend_drift", self.trend_drift),
            ("performance_noise", self.performance_noise),
            ("change_threshold", self.change_threshold),
            ("change_std", self.change_std),
        ];
        for (name, value) in fields {
            if !value.is_finite() || value <= 0.0 {
                return Err(format!(
                    "skill model `{name}` must be finite and > 0, got {value}"
                ));
            }
        }
        Ok(())
    }

    /// `sqrt(1 + pi k² std² / 8)`: how much uncertainty flattens the predicted curve.
    fn flattening(&self, std: f64) -> f64 {
        (1.0 + std::f64::consts::PI * self.slope * self.slope * std * std / 8.0).sqrt()
    }

    /// The belief about the next encounter: the trend applied and the drift added.
    pub fn ahead(&self, belief: &SkillEstimate) -> SkillEstimate {
        let (var_s, var_v, cov) = (
            belief.std * belief.std,
            belief.trend_std * belief.trend_std,
            belief.covariance,
        );
        SkillEstimate {
            mean: (belief.mean + belief.trend).clamp(0.0, 1.0),
            std: (var_s + 2.0 * cov + var_v + self.level_drift * self.level_drift)
                .sqrt()
                .clamp(STD_RANGE.0, STD_RANGE.1),
            trend: belief.trend,
            trend_std: (var_v + self.trend_drift * self.trend_drift).sqrt(),
            covariance: cov + var_v,
            surprise: belief.surprise,
        }
    }

    /// The expected probability that a player with `belief` succeeds at `difficulty`.
    pub fn success_probability(&self, belief: &SkillEstimate, difficulty: f64) -> f64 {
        sigmoid(self.slope * (belief.mean - difficulty) / self.flattening(belief.std))
    }

    /// The difficulty at which the expected success probability is `target` (clamped to
    /// `(0, 1)`), on the `[0, 1]` scale (clamped).
    pub fn difficulty_for(&self, belief: &SkillEstimate, target: f64) -> f64 {
        let target = target.clamp(1e-6, 1.0 - 1e-6);
        let logit = (target / (1.0 - target)).ln();
        (belief.mean - logit * self.flattening(belief.std) / self.slope).clamp(0.0, 1.0)
    }

    /// The belief after `outcome` (a quit counts as a failure), starting from the belief held
    /// before the previous encounter was played: the drift to this encounter is applied first.
    pub fn update(&self, belief: &SkillEstimate, outcome: &EncounterOutcome) -> SkillEstimate {
        let difficulty = f64::from(outcome.difficulty);
        let mut state = Kalman::from(&self.ahead(belief));
        let won = if outcome.success && !outcome.quit {
            1.0
        } else {
            0.0
        };
        let p = state.probability(self.slope, difficulty);
        let mut surprise = state.observe(self.slope, difficulty, won, p * (1.0 - p));
        if let Some(performance) = outcome.performance {
            let noise = self.performance_noise * self.performance_noise;
            // The graded reading is the sharper witness of a change; it decides alone.
            surprise = state.observe(self.slope, difficulty, f64::from(performance), noise);
        }
        let changed = surprise.abs() > self.change_threshold
            || (surprise * belief.surprise > 0.0
                && (surprise + belief.surprise).abs() / 2f64.sqrt() > self.change_threshold * 0.9);
        if changed {
            state.var_s += self.change_std * self.change_std;
        }
        state.into_estimate(if changed { 0.0 } else { surprise })
    }
}

/// The two-number Gaussian belief as the filter works on it.
struct Kalman {
    s: f64,
    v: f64,
    var_s: f64,
    var_v: f64,
    cov: f64,
}

impl From<&SkillEstimate> for Kalman {
    fn from(b: &SkillEstimate) -> Self {
        Self {
            s: b.mean,
            v: b.trend,
            var_s: b.std * b.std,
            var_v: b.trend_std * b.trend_std,
            cov: b.covariance,
        }
    }
}

impl Kalman {
    fn probability(&self, slope: f64, difficulty: f64) -> f64 {
        sigmoid(slope * (self.s - difficulty))
    }

    /// One reading `y` of the success probability with variance `noise`, linearised at the
    /// current mean. Returns how surprising it was, in standard deviations (signed).
    fn observe(&mut self, slope: f64, difficulty: f64, y: f64, noise: f64) -> f64 {
        let p = self.probability(slope, difficulty);
        let h = slope * p * (1.0 - p);
        let innovation_var = h * h * self.var_s + noise;
        if innovation_var <= 1e-12 {
            return 0.0;
        }
        let residual = y - p;
        let (gain_s, gain_v) = (
            self.var_s * h / innovation_var,
            self.cov * h / innovation_var,
        );
        self.s += gain_s * residual;
        self.v += gain_v * residual;
        // (I - K H) P with H = [h, 0].
        let (var_s, cov) = (self.var_s, self.cov);
        self.var_s = var_s - gain_s * h * var_s;
        self.cov = cov - gain_s * h * cov;
        self.var_v -= gain_v * h * cov;
        residual / innovation_var.sqrt()
    }

    fn into_estimate(self, surprise: f64) -> SkillEstimate {
        let std = self.var_s.max(0.0).sqrt().clamp(STD_RANGE.0, STD_RANGE.1);
        let trend_std = self.var_v.max(1e-12).sqrt();
        // Keep the covariance a valid correlation after the clamps.
        let limit = 0.999 * std * trend_std;
        SkillEstimate {
            mean: self.s.clamp(0.0, 1.0),
            std,
            trend: self.v.clamp(-MAX_TREND, MAX_TREND),
            trend_std,
            covariance: self.cov.clamp(-limit, limit),
            surprise,
        }
    }
}

impl SkillEstimate {
    /// The expected probability that the player succeeds at `difficulty`, under
    /// [`SkillModel::default`].
    pub fn success_probability(&self, difficulty: f64) -> f64 {
        SkillModel::default().success_probability(self, difficulty)
    }

    /// The difficulty at which the expected success probability is `target`, under
    /// [`SkillModel::default`].
    pub fn difficulty_for(&self, target: f64) -> f64 {
        SkillModel::default().difficulty_for(self, target)
    }

    /// The belief after one encounter at `difficulty` that the player won (`success`) or not,
    /// with no graded performance, under [`SkillModel::default`].
    pub fn updated(&self, difficulty: f64, success: bool) -> Self {
        let outcome = EncounterOutcome {
            difficulty: difficulty as f32,
            success,
            ..EncounterOutcome::default()
        };
        SkillModel::default().update(self, &outcome)
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

        fn normal(&mut self) -> f64 {
            let (u, v) = (self.uniform().max(1e-12), self.uniform());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
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
            assert!(belief.std < 0.12, "{belief:?}");
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
        let model = SkillModel::default();
        for belief in [
            SkillEstimate::default(),
            SkillEstimate {
                mean: 0.7,
                std: 0.05,
                ..SkillEstimate::default()
            },
            SkillEstimate {
                mean: 0.3,
                std: 0.2,
                ..SkillEstimate::default()
            },
        ] {
            for target in [0.5, 0.7, 0.85] {
                let d = model.difficulty_for(&belief, target);
                if d > 0.0 && d < 1.0 {
                    assert!((model.success_probability(&belief, d) - target).abs() < 1e-9);
                }
            }
            // Harder targets (higher success) mean easier encounters.
            assert!(model.difficulty_for(&belief, 0.85) <= model.difficulty_for(&belief, 0.5));
        }
    }

    #[test]
    fn predictions_are_calibrated() {
        // Simulated players of random skill; bucket the predictions before each encounter and
        // compare with the success rate that followed.
        let model = SkillModel::default();
        let mut dice = Dice(9);
        let (mut predicted, mut observed, mut count) = ([0.0; 5], [0.0; 5], [0.0; 5]);
        for _ in 0..60 {
            let true_skill = dice.uniform();
            let mut belief = SkillEstimate::default();
            for _ in 0..80 {
                let difficulty = dice.uniform();
                let p = model.success_probability(&model.ahead(&belief), difficulty);
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

    /// Plays `encounters` at the difficulty the estimate recommends for 70% and returns the
    /// absolute error of the skill estimate at the end.
    fn track(
        model: &SkillModel,
        dice: &mut Dice,
        skill: &mut dyn FnMut(usize) -> f64,
        encounters: usize,
        graded: bool,
    ) -> Vec<f64> {
        let mut belief = SkillEstimate::default();
        let mut errors = Vec::new();
        for t in 0..encounters {
            let d = model.difficulty_for(&model.ahead(&belief), 0.7);
            let p = sigmoid(model.slope * (skill(t) - d));
            let outcome = EncounterOutcome {
                difficulty: d as f32,
                success: dice.uniform() < p,
                performance: graded
                    .then(|| (p + model.performance_noise * dice.normal()).clamp(0.0, 1.0) as f32),
                ..EncounterOutcome::default()
            };
            belief = model.update(&belief, &outcome);
            errors.push((model.ahead(&belief).mean - skill(t + 1)).abs());
        }
        errors
    }

    #[test]
    fn graded_performance_converges_faster_than_success_alone() {
        let model = SkillModel::default();
        let (mut graded, mut binary) = (0.0, 0.0);
        for seed in 0..40 {
            let true_skill = 0.2 + 0.015 * seed as f64;
            let mut dice = Dice(seed);
            graded += track(&model, &mut dice, &mut |_| true_skill, 15, true)[14];
            binary += track(&model, &mut dice, &mut |_| true_skill, 15, false)[14];
        }
        assert!(
            graded < 0.5 * binary,
            "graded {graded:.3}, binary {binary:.3}"
        );
        assert!(graded / 40.0 < 0.03, "mean error {:.3}", graded / 40.0);
    }

    #[test]
    fn the_trend_follows_a_learning_player() {
        let model = SkillModel::default();
        let mut total = 0.0;
        for seed in 0..20 {
            let mut dice = Dice(100 + seed);
            let errors = track(&model, &mut dice, &mut |t| 0.3 + 0.004 * t as f64, 60, true);
            total += errors[59];
        }
        // 0.24 of the scale gained over 60 encounters; the estimate keeps up.
        assert!(total / 20.0 < 0.03, "mean error {:.3}", total / 20.0);
    }

    #[test]
    fn a_step_change_is_detected_and_followed_quickly() {
        let model = SkillModel::default();
        let mut late = 0.0;
        for seed in 0..20 {
            let mut dice = Dice(200 + seed);
            let step = if seed % 2 == 0 { 0.15 } else { -0.15 };
            let errors = track(
                &model,
                &mut dice,
                &mut |t| if t < 30 { 0.5 } else { 0.5 + step },
                40,
                true,
            );
            late += errors[37];
        }
        // Eight encounters after a step of 0.15 the estimate is back within a few hundredths.
        assert!(late / 20.0 < 0.04, "mean error {:.3}", late / 20.0);
    }
}
