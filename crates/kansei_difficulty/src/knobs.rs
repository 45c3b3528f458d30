//! [`DifficultyKnobs`]: the difficulty knobs designers declare in RON, and how one difficulty
//! value in `[0, 1]` maps onto all of them.
//!
//! Each knob is piecewise linear through three points: its easiest value at difficulty 0, its
//! default value at the default difficulty, and its hardest value at difficulty 1. The easiest
//! value may be the larger one (a time limit shrinks as difficulty rises). The file also
//! declares the player-choosable tiers the controller must stay inside, the success rate it
//! aims for, how far one change may move, and the quit-risk ceiling. The shipped file is
//! `assets/difficulty/knobs.ron`, equal to [`DifficultyKnobs::default`].

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The success rate the controller aims for unless the file says otherwise.
pub const DEFAULT_TARGET_SUCCESS: f32 = 0.70;

/// The lowest and highest target success rate a file may ask for: below half, most
/// encounters fail; above 0.85, the game stops being a challenge.
pub const TARGET_SUCCESS_RANGE: (f32, f32) = (0.50, 0.85);

/// The quit-risk ceiling unless the file says otherwise.
pub const DEFAULT_QUIT_RISK_CEILING: f32 = 0.15;

/// Search steps for [`DifficultyKnobs::limit_step`]; 64 halvings of an `f32` interval always
/// end on adjacent values.
const BISECTION_STEPS: usize = 64;

/// One designer-declared knob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnobSpec {
    /// The knob's name, unique in its file; games look values up by it.
    pub name: String,
    /// The value at difficulty 0.
    pub easiest: f32,
    /// The value at the default difficulty; must lie between `easiest` and `hardest`.
    pub default: f32,
    /// The value at difficulty 1.
    pub hardest: f32,
    /// The largest change of this knob's value (in its own units) one difficulty change may
    /// cause. For an integer knob it must be a whole number, so that the rounded value obeys
    /// it too.
    pub max_step: f32,
    /// Round values to the nearest whole number (half away from zero), e.g. a spawn count.
    #[serde(default)]
    pub integer: bool,
}

impl KnobSpec {
    /// The unrounded value at `difficulty` (already clamped into `[0, 1]`).
    ///
    /// The ends return the declared values exactly; in between, interpolation runs in `f64`
    /// so that rounding back to `f32` keeps the mapping monotone.
    fn continuous_value(&self, difficulty: f32, default_difficulty: f32) -> f32 {
        if difficulty <= 0.0 {
            return self.easiest;
        }
        if difficulty >= 1.0 {
            return self.hardest;
        }
        let (d, pivot) = (f64::from(difficulty), f64::from(default_difficulty));
        let (from, to, t) = if d <= pivot {
            (self.easiest, self.default, d / pivot)
        } else {
            (self.default, self.hardest, (d - pivot) / (1.0 - pivot))
        };
        let (from, to) = (f64::from(from), f64::from(to));
        (from + (to - from) * t) as f32
    }

    fn value(&self, difficulty: f32, default_difficulty: f32) -> f32 {
        let value = self.continuous_value(difficulty, default_difficulty);
        if self.integer { value.round() } else { value }
    }

    /// The largest change of the continuous value that keeps the shown value within
    /// `max_step`: rounding can turn a change just over a whole number `k` into `k + 1`, but
    /// never a change of at most `k`.
    fn continuous_step(&self) -> f32 {
        if self.integer {
            self.max_step.floor()
        } else {
            self.max_step
        }
    }

    /// The knob's whole range of values, for comparing changes between knobs.
    fn span(&self) -> f32 {
        (self.hardest - self.easiest).abs()
    }

    fn check(&self) -> Result<(), KnobProblem> {
        for (field, value) in [
            ("easiest", self.easiest),
            ("default", self.default),
            ("hardest", self.hardest),
            ("max_step", self.max_step),
        ] {
            if !value.is_finite() {
                return Err(KnobProblem::NotFinite { field, value });
            }
        }
        if self.max_step <= 0.0 {
            return Err(KnobProblem::StepNotPositive(self.max_step));
        }
        let (low, high) = if self.easiest <= self.hardest {
            (self.easiest, self.hardest)
        } else {
            (self.hardest, self.easiest)
        };
        if !(low..=high).contains(&self.default) {
            return Err(KnobProblem::DefaultNotBetween {
                easiest: self.easiest,
                default: self.default,
                hardest: self.hardest,
            });
        }
        if self.integer {
            for (field, value) in [
                ("easiest", self.easiest),
                ("default", self.default),
                ("hardest", self.hardest),
                ("max_step", self.max_step),
            ] {
                if value.fract() != 0.0 {
                    return Err(KnobProblem::NotWhole { field, value });
                }
            }
        }
        Ok(())
    }
}

/// A difficulty tier the player chooses; the controller keeps difficulty inside its range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// The name shown to the player, unique in its file.
    pub name: String,
    /// The lowest difficulty allowed in this tier.
    pub min: f32,
    /// The highest difficulty allowed in this tier.
    pub max: f32,
}

impl Tier {
    /// Whether `difficulty` lies inside the tier (bounds included).
    pub fn contains(&self, difficulty: f32) -> bool {
        (self.min..=self.max).contains(&difficulty)
    }

    /// The difficulty in the tier nearest to `difficulty`; NaN maps to the tier's lower bound.
    pub fn clamp(&self, difficulty: f32) -> f32 {
        if difficulty.is_nan() {
            self.min
        } else {
            difficulty.clamp(self.min, self.max)
        }
    }

    fn check(&self) -> Result<(), TierProblem> {
        for (field, value) in [("min", self.min), ("max", self.max)] {
            if !value.is_finite() {
                return Err(TierProblem::NotFinite { field, value });
            }
        }
        if !(0.0 <= self.min && self.min <= self.max && self.max <= 1.0) {
            return Err(TierProblem::Bounds {
                min: self.min,
                max: self.max,
            });
        }
        Ok(())
    }
}

/// The knobs file: how difficulty maps onto the game and how the controller may move it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DifficultyKnobs {
    /// The success rate the controller aims for, within [`TARGET_SUCCESS_RANGE`]; defaults to
    /// [`DEFAULT_TARGET_SUCCESS`] when the file leaves it out.
    #[serde(default = "default_target_success")]
    pub target_success: f32,
    /// The difficulty at which every knob takes its `default` value, strictly inside
    /// `(0, 1)` so that both the easiest and hardest values stay reachable ends of a segment.
    /// It need not lie inside every tier: a tier that excludes it is entered by
    /// [`limit_step`](Self::limit_step) at the tier's nearest bound.
    pub default_difficulty: f32,
    /// The largest change of difficulty per encounter, `> 0`.
    pub max_difficulty_step: f32,
    /// The quit risk above which the controller eases off, in `(0, 1)`; defaults to
    /// [`DEFAULT_QUIT_RISK_CEILING`] when the file leaves it out.
    #[serde(default = "default_quit_risk_ceiling")]
    pub quit_risk_ceiling: f32,
    /// The knobs, in the order games and overlays list them. May be empty.
    pub knobs: Vec<KnobSpec>,
    /// The tiers the player can choose from; at least one.
    pub tiers: Vec<Tier>,
}

fn default_target_success() -> f32 {
    DEFAULT_TARGET_SUCCESS
}

fn default_quit_risk_ceiling() -> f32 {
    DEFAULT_QUIT_RISK_CEILING
}

impl Default for DifficultyKnobs {
    /// The shipped `assets/difficulty/knobs.ron`.
    fn default() -> Self {
        let knob = |name: &str, easiest, default, hardest, max_step, integer| KnobSpec {
            name: name.to_owned(),
            easiest,
            default,
            hardest,
            max_step,
            integer,
        };
        let tier = |name: &str, min, max| Tier {
            name: name.to_owned(),
            min,
            max,
        };
        Self {
            target_success: DEFAULT_TARGET_SUCCESS,
            default_difficulty: 0.5,
            max_difficulty_step: 0.10,
            quit_risk_ceiling: DEFAULT_QUIT_RISK_CEILING,
            knobs: vec![
                knob("enemy_damage", 0.5, 1.0, 1.8, 0.15, false),
                knob("spawn_count", 2.0, 5.0, 10.0, 2.0, true),
                knob("time_limit_s", 180.0, 120.0, 75.0, 15.0, false),
            ],
            tiers: vec![
                tier("Story", 0.0, 0.4),
                tier("Normal", 0.15, 0.85),
                tier("Hard", 0.5, 1.0),
            ],
        }
    }
}

impl DifficultyKnobs {
    /// Parses a knobs file and validates it.
    ///
    /// # Errors
    /// [`KnobsError::Parse`] (with line and column) for text that is not a `DifficultyKnobs`,
    /// unknown fields included; otherwise whatever [`validate`](Self::validate) reports.
    pub fn from_ron(text: &str) -> Result<Self, KnobsError> {
        let knobs: Self = ron::from_str(text).map_err(|error| KnobsError::Parse {
            line: error.span.start.line,
            column: error.span.start.col,
            message: error.code.to_string(),
        })?;
        knobs.validate()?;
        Ok(knobs)
    }

    /// Checks the whole file, reporting the first problem found.
    ///
    /// # Errors
    /// A [`KnobsError`] naming the field, knob or tier at fault: every number finite,
    /// `target_success` within [`TARGET_SUCCESS_RANGE`], `default_difficulty` in `(0, 1)`,
    /// `max_difficulty_step > 0`, `quit_risk_ceiling` in `(0, 1)`; knob names non-empty and
    /// unique, `max_step > 0`, `default` between `easiest` and `hardest` (either order),
    /// integer knobs declared in whole numbers; at least one tier, names non-empty and unique,
    /// `0 <= min <= max <= 1`.
    pub fn validate(&self) -> Result<(), KnobsError> {
        for (field, value) in [
            ("target_success", self.target_success),
            ("default_difficulty", self.default_difficulty),
            ("max_difficulty_step", self.max_difficulty_step),
            ("quit_risk_ceiling", self.quit_risk_ceiling),
        ] {
            if !value.is_finite() {
                return Err(KnobsError::NotFinite { field, value });
            }
        }
        let (lowest, highest) = TARGET_SUCCESS_RANGE;
        if !(lowest..=highest).contains(&self.target_success) {
            return Err(KnobsError::TargetSuccess(self.target_success));
        }
        for (field, value) in [
            ("default_difficulty", self.default_difficulty),
            ("quit_risk_ceiling", self.quit_risk_ceiling),
        ] {
            if value <= 0.0 || value >= 1.0 {
                return Err(KnobsError::NotAFraction { field, value });
            }
        }
        if self.max_difficulty_step <= 0.0 {
            return Err(KnobsError::DifficultyStep(self.max_difficulty_step));
        }

        let mut knob_names = HashSet::new();
        for (index, knob) in self.knobs.iter().enumerate() {
            if knob.name.trim().is_empty() {
                return Err(KnobsError::UnnamedKnob { index });
            }
            if !knob_names.insert(knob.name.as_str()) {
                return Err(KnobsError::DuplicateKnob(knob.name.clone()));
            }
            knob.check().map_err(|problem| KnobsError::Knob {
                knob: knob.name.clone(),
                problem,
            })?;
        }

        if self.tiers.is_empty() {
            return Err(KnobsError::NoTiers);
        }
        let mut tier_names = HashSet::new();
        for (index, tier) in self.tiers.iter().enumerate() {
            if tier.name.trim().is_empty() {
                return Err(KnobsError::UnnamedTier { index });
            }
            if !tier_names.insert(tier.name.as_str()) {
                return Err(KnobsError::DuplicateTier(tier.name.clone()));
            }
            tier.check().map_err(|problem| KnobsError::Tier {
                tier: tier.name.clone(),
                problem,
            })?;
        }
        Ok(())
    }

    /// The value of the knob called `knob` at `difficulty`, rounded for integer knobs;
    /// `None` for an unknown knob. Difficulty is clamped into `[0, 1]`, and NaN counts as the
    /// default difficulty.
    pub fn value(&self, knob: &str, difficulty: f32) -> Option<f32> {
        let difficulty = self.sanitize(difficulty);
        self.knobs
            .iter()
            .find(|spec| spec.name == knob)
            .map(|spec| spec.value(difficulty, self.default_difficulty))
    }

    /// Every knob's value at `difficulty`, in declaration order (difficulty handled as in
    /// [`value`](Self::value)).
    pub fn values(&self, difficulty: f32) -> KnobValues {
        let difficulty = self.sanitize(difficulty);
        KnobValues(
            self.knobs
                .iter()
                .map(|spec| {
                    (
                        spec.name.clone(),
                        spec.value(difficulty, self.default_difficulty),
                    )
                })
                .collect(),
        )
    }

    /// The tier called `name` (exact, case-sensitive match).
    ///
    /// # Errors
    /// [`KnobsError::UnknownTier`], listing the tiers the file declares.
    pub fn tier(&self, name: &str) -> Result<&Tier, KnobsError> {
        self.tiers
            .iter()
            .find(|tier| tier.name == name)
            .ok_or_else(|| KnobsError::UnknownTier {
                name: name.to_owned(),
                known: self
                    .tiers
                    .iter()
                    .map(|tier| tier.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The difficulty closest to `to` that one change may reach from `from` inside `tier`.
    ///
    /// The move goes toward `to` (clamped into the tier) as far as every limit allows:
    /// difficulty moves by at most `max_difficulty_step`, and every knob's value by at most
    /// its `max_step` (for an integer knob, the unrounded value moves at most the whole
    /// `max_step`, so the rounded value does too). Knobs are monotone in difficulty, so the
    /// limits shrink one interval of allowed moves and the search finds its end to within one
    /// `f32` step.
    ///
    /// The tier wins over the step limits: when `from` lies outside the tier (the player just
    /// picked another one) the result is the tier's nearest bound, however far that is.
    /// A NaN `from` counts as the default difficulty, and a NaN `to` as "stay at `from`".
    pub fn limit_step(&self, from: f32, to: f32, tier: &Tier) -> f32 {
        let from = self.sanitize(from);
        if !tier.contains(from) {
            return tier.clamp(from);
        }
        let to = if to.is_nan() { from } else { tier.clamp(to) };
        let step = self.max_difficulty_step;
        let target = to.clamp(from - step, from + step);
        if self.change_allowed(from, target) {
            return target;
        }
        // `allowed` always satisfies every limit and `refused` never does; halve the gap.
        let (mut allowed, mut refused) = (from, target);
        for _ in 0..BISECTION_STEPS {
            let middle = allowed + (refused - allowed) / 2.0;
            if middle == allowed || middle == refused {
                break;
            }
            if self.change_allowed(from, middle) {
                allowed = middle;
            } else {
                refused = middle;
            }
        }
        allowed
    }

    /// The knob whose value changes most, relative to its whole range, when difficulty moves
    /// from `from` to `to`, with its shown (rounded) values: the material for a sentence like
    /// "`enemy_damage` -10%". `None` when no knob's value changes. Ties go to the knob
    /// declared first. Difficulties are handled as in [`value`](Self::value).
    pub fn largest_change(&self, from: f32, to: f32) -> Option<KnobChange> {
        let (from, to) = (self.sanitize(from), self.sanitize(to));
        let mut largest: Option<(f32, KnobChange)> = None;
        for spec in &self.knobs {
            let before = spec.value(from, self.default_difficulty);
            let after = spec.value(to, self.default_difficulty);
            let span = spec.span();
            if before == after || span == 0.0 {
                continue;
            }
            let share = (after - before).abs() / span;
            if largest.as_ref().is_none_or(|(best, _)| share > *best) {
                let change = KnobChange {
                    name: spec.name.clone(),
                    before,
                    after,
                    share_of_range: share,
                };
                largest = Some((share, change));
            }
        }
        largest.map(|(_, change)| change)
    }

    fn sanitize(&self, difficulty: f32) -> f32 {
        if difficulty.is_nan() {
            self.default_difficulty
        } else {
            difficulty.clamp(0.0, 1.0)
        }
    }

    /// Whether moving from `from` to `to` stays within the difficulty step and every knob's
    /// step. Compared in `f64` so that the `f32` subtraction cannot hide an overshoot.
    fn change_allowed(&self, from: f32, to: f32) -> bool {
        let moved = (f64::from(to) - f64::from(from)).abs();
        if moved > f64::from(self.max_difficulty_step) {
            return false;
        }
        self.knobs.iter().all(|spec| {
            let before = spec.continuous_value(from, self.default_difficulty);
            let after = spec.continuous_value(to, self.default_difficulty);
            (f64::from(after) - f64::from(before)).abs() <= f64::from(spec.continuous_step())
        })
    }
}

/// Every knob's value at one difficulty, in declaration order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KnobValues(Vec<(String, f32)>);

impl KnobValues {
    /// The value of the knob called `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<f32> {
        self.0
            .iter()
            .find(|(knob, _)| knob == name)
            .map(|(_, value)| *value)
    }

    /// `(name, value)` pairs in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f32)> {
        self.0.iter().map(|(name, value)| (name.as_str(), *value))
    }

    /// How many knobs there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no knobs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One knob's change between two difficulties, as [`DifficultyKnobs::largest_change`] finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct KnobChange {
    /// The knob.
    pub name: String,
    /// Its shown value before the change.
    pub before: f32,
    /// Its shown value after the change.
    pub after: f32,
    /// The size of the change as a share of the knob's whole range (`|hardest - easiest|`),
    /// `(0, 1]`.
    pub share_of_range: f32,
}

impl KnobChange {
    /// The change as a percentage of the old value (-10.0 for 1.0 → 0.9); `None` when the
    /// old value is 0, where no percentage means anything.
    pub fn percent(&self) -> Option<f32> {
        (self.before != 0.0).then(|| (self.after - self.before) / self.before.abs() * 100.0)
    }
}

impl fmt::Display for KnobChange {
    /// `enemy_damage -10%`, or `spawn_count 0 -> 2` when the old value is 0.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.percent() {
            Some(percent) => write!(f, "{} {percent:+.0}%", self.name),
            None => write!(f, "{} {} -> {}", self.name, self.before, self.after),
        }
    }
}

/// What is wrong with one knob (see [`KnobsError::Knob`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KnobProblem {
    /// A value is NaN or infinite.
    #[error("`{field}` must be finite, got {value}")]
    NotFinite {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f32,
    },
    /// `max_step` is zero or negative.
    #[error("max_step must be > 0, got {0}")]
    StepNotPositive(f32),
    /// `default` lies outside the easiest–hardest range, so the knob would not be monotone.
    #[error("default {default} must lie between easiest {easiest} and hardest {hardest}")]
    DefaultNotBetween {
        /// The declared easiest value.
        easiest: f32,
        /// The declared default value.
        default: f32,
        /// The declared hardest value.
        hardest: f32,
    },
    /// An integer knob declares a fractional value.
    #[error("an integer knob needs whole numbers, but `{field}` is {value}")]
    NotWhole {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f32,
    },
}

/// What is wrong with one tier (see [`KnobsError::Tier`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TierProblem {
    /// A bound is NaN or infinite.
    #[error("`{field}` must be finite, got {value}")]
    NotFinite {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f32,
    },
    /// The bounds are out of order or outside `[0, 1]`.
    #[error("needs 0 <= min <= max <= 1, got min {min} and max {max}")]
    Bounds {
        /// The declared lower bound.
        min: f32,
        /// The declared upper bound.
        max: f32,
    },
}

/// Why a knobs file was refused, or a tier not found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KnobsError {
    /// The RON text could not be read as a [`DifficultyKnobs`].
    #[error("knobs file is not valid RON at {line}:{column}: {message}")]
    Parse {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What RON said was wrong.
        message: String,
    },
    /// A top-level value is NaN or infinite.
    #[error("`{field}` must be finite, got {value}")]
    NotFinite {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f32,
    },
    /// `target_success` lies outside [`TARGET_SUCCESS_RANGE`].
    #[error(
        "`target_success` must lie between {lowest} and {highest}, got {0}",
        lowest = TARGET_SUCCESS_RANGE.0,
        highest = TARGET_SUCCESS_RANGE.1
    )]
    TargetSuccess(f32),
    /// A top-level value that must lie strictly inside `(0, 1)` does not.
    #[error("`{field}` must lie strictly between 0 and 1, got {value}")]
    NotAFraction {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f32,
    },
    /// `max_difficulty_step` is zero or negative.
    #[error("`max_difficulty_step` must be > 0, got {0}")]
    DifficultyStep(f32),
    /// A knob has an empty name.
    #[error("knob #{index} (counting from 0): name must not be empty")]
    UnnamedKnob {
        /// Its position in `knobs`.
        index: usize,
    },
    /// Two knobs share a name.
    #[error("knob `{0}` is declared twice")]
    DuplicateKnob(String),
    /// A knob's values are invalid.
    #[error("knob `{knob}`: {problem}")]
    Knob {
        /// The knob's name.
        knob: String,
        /// What is wrong.
        problem: KnobProblem,
    },
    /// The file declares no tiers.
    #[error("`tiers` must declare at least one tier")]
    NoTiers,
    /// A tier has an empty name.
    #[error("tier #{index} (counting from 0): name must not be empty")]
    UnnamedTier {
        /// Its position in `tiers`.
        index: usize,
    },
    /// Two tiers share a name.
    #[error("tier `{0}` is declared twice")]
    DuplicateTier(String),
    /// A tier's bounds are invalid.
    #[error("tier `{tier}`: {problem}")]
    Tier {
        /// The tier's name.
        tier: String,
        /// What is wrong.
        problem: TierProblem,
    },
    /// No tier has the requested name.
    #[error("unknown tier `{name}`; known tiers: {known}")]
    UnknownTier {
        /// The name asked for.
        name: String,
        /// The declared tier names, comma-separated.
        known: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knobs() -> DifficultyKnobs {
        DifficultyKnobs::default()
    }

    fn value(knobs: &DifficultyKnobs, knob: &str, difficulty: f32) -> f32 {
        knobs.value(knob, difficulty).expect("declared knob")
    }

    #[test]
    fn mapping_hits_the_declared_points_exactly() {
        let knobs = knobs();
        for spec in &knobs.knobs {
            assert_eq!(
                value(&knobs, &spec.name, 0.0),
                spec.easiest,
                "{}",
                spec.name
            );
            assert_eq!(
                value(&knobs, &spec.name, 0.5),
                spec.default,
                "{}",
                spec.name
            );
            assert_eq!(
                value(&knobs, &spec.name, 1.0),
                spec.hardest,
                "{}",
                spec.name
            );
        }
        // Halfway along each segment.
        assert!((value(&knobs, "enemy_damage", 0.25) - 0.75).abs() < 1e-6);
        assert!((value(&knobs, "enemy_damage", 0.75) - 1.4).abs() < 1e-6);
        // Out-of-range and NaN difficulties.
        assert_eq!(value(&knobs, "enemy_damage", -3.0), 0.5);
        assert_eq!(value(&knobs, "enemy_damage", 7.0), 1.8);
        assert_eq!(value(&knobs, "enemy_damage", f32::NAN), 1.0);
        assert_eq!(knobs.value("gravity", 0.5), None);
    }

    #[test]
    fn mapping_is_monotone_and_the_time_limit_is_inverted() {
        let knobs = knobs();
        let samples: Vec<KnobValues> = (0..=1000)
            .map(|i| knobs.values(i as f32 / 1000.0))
            .collect();
        for pair in samples.windows(2) {
            let (lower, higher) = (&pair[0], &pair[1]);
            assert!(higher.get("enemy_damage") >= lower.get("enemy_damage"));
            assert!(higher.get("spawn_count") >= lower.get("spawn_count"));
            assert!(higher.get("time_limit_s") <= lower.get("time_limit_s"));
        }
        assert!(value(&knobs, "time_limit_s", 0.25) > value(&knobs, "time_limit_s", 0.75));
    }

    #[test]
    fn integer_knobs_round_to_whole_numbers() {
        let knobs = knobs();
        for i in 0..=100 {
            let count = value(&knobs, "spawn_count", i as f32 / 100.0);
            assert_eq!(count.fract(), 0.0, "{count}");
        }
        // 2 + 3 * 0.3 / 0.5 = 3.8, shown as 4; 5 + 5 * 0.05 / 0.5 = 5.5, rounds up to 6.
        assert_eq!(value(&knobs, "spawn_count", 0.3), 4.0);
        assert_eq!(value(&knobs, "spawn_count", 0.55), 6.0);
    }

    #[test]
    fn values_keep_declaration_order() {
        let values = knobs().values(0.5);
        let names: Vec<&str> = values.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["enemy_damage", "spawn_count", "time_limit_s"]);
        assert_eq!(values.len(), 3);
        assert_eq!(values.get("time_limit_s"), Some(120.0));
        assert_eq!(values.get("nope"), None);
    }

    /// Asserts that a move from `from` to `result` obeys every limit.
    fn assert_within_limits(knobs: &DifficultyKnobs, from: f32, result: f32, tier: &Tier) {
        assert!(tier.contains(result), "{result} outside {tier:?}");
        assert!((result - from).abs() <= knobs.max_difficulty_step + 1e-6);
        for spec in &knobs.knobs {
            let change = (value(knobs, &spec.name, result) - value(knobs, &spec.name, from)).abs();
            assert!(
                change <= spec.max_step + 1e-4,
                "{}: {change} > {} ({from} -> {result})",
                spec.name,
                spec.max_step
            );
        }
    }

    #[test]
    fn limit_step_is_bound_by_the_difficulty_step() {
        let knobs = DifficultyKnobs {
            knobs: Vec::new(),
            ..knobs()
        };
        let normal = knobs.tier("Normal").expect("declared").clone();
        assert!((knobs.limit_step(0.5, 0.9, &normal) - 0.6).abs() < 1e-6);
        assert!((knobs.limit_step(0.5, 0.0, &normal) - 0.4).abs() < 1e-6);
        assert_eq!(knobs.limit_step(0.5, 0.55, &normal), 0.55);
        // Near the tier's edge the tier stops the move first.
        assert_eq!(knobs.limit_step(0.8, 1.0, &normal), 0.85);
    }

    #[test]
    fn limit_step_is_bound_by_the_tightest_knob_and_moves_as_far_as_it_allows() {
        let knobs = knobs();
        let normal = knobs.tier("Normal").expect("declared").clone();
        // Above the default, enemy_damage moves 1.6 per unit of difficulty, so its 0.15 step
        // allows 0.09375; spawn_count (10 per unit, step 2) allows 0.2; the time limit
        // (90 per unit, step 15) allows 0.1667. The difficulty step is 0.1.
        let up = knobs.limit_step(0.5, 1.0, &normal);
        assert!((up - 0.59375).abs() < 1e-5, "{up}");
        assert_within_limits(&knobs, 0.5, up, &normal);
        let damage_change = value(&knobs, "enemy_damage", up) - 1.0;
        assert!((damage_change - 0.15).abs() < 1e-5, "{damage_change}");

        // Below the default the time limit is tightest: 120 per unit, step 15 -> 0.125; but
        // spawn_count (6 per unit, step 2) and damage (1 per unit) are looser, and the
        // difficulty step of 0.1 binds first.
        let down = knobs.limit_step(0.5, 0.0, &normal);
        assert!((down - 0.4).abs() < 1e-6, "{down}");
        assert_within_limits(&knobs, 0.5, down, &normal);

        // A move across the default uses both segments' slopes: from 0.49, damage rises 0.01
        // to the default, and the remaining 0.14 of its step takes 0.0875 more difficulty.
        let across = knobs.limit_step(0.49, 1.0, &normal);
        assert_within_limits(&knobs, 0.49, across, &normal);
        assert!((across - 0.5875).abs() < 1e-5, "{across}");

        for i in 0..=40 {
            let from = 0.15 + 0.7 * i as f32 / 40.0;
            for to in [0.0, 0.3, 0.5, 0.77, 1.0] {
                let result = knobs.limit_step(from, to, &normal);
                assert_within_limits(&knobs, from, result, &normal);
                // Never away from the target, never past it.
                let target = normal.clamp(to);
                assert!((result - from) * (target - from) >= 0.0);
                assert!((result - target).abs() <= (from - target).abs() + 1e-7);
            }
        }
    }

    #[test]
    fn limit_step_keeps_integer_knobs_within_their_step_after_rounding() {
        let knobs = DifficultyKnobs {
            knobs: vec![KnobSpec {
                name: "spawn_count".to_owned(),
                easiest: 0.0,
                default: 10.0,
                hardest: 20.0,
                max_step: 1.0,
                integer: true,
            }],
            max_difficulty_step: 1.0,
            ..knobs()
        };
        let all = Tier {
            name: "All".to_owned(),
            min: 0.0,
            max: 1.0,
        };
        for i in 0..=100 {
            let from = i as f32 / 100.0;
            let result = knobs.limit_step(from, 1.0, &all);
            let shown_change =
                value(&knobs, "spawn_count", result) - value(&knobs, "spawn_count", from);
            assert!(
                shown_change.abs() <= 1.0,
                "{from} -> {result}: {shown_change}"
            );
            assert!(result > from || from == 1.0);
        }
    }

    #[test]
    fn limit_step_lets_the_tier_win() {
        let knobs = knobs();
        let story = knobs.tier("Story").expect("declared").clone();
        let hard = knobs.tier("Hard").expect("declared").clone();
        // From the default 0.5, Story is entered at its top, beyond the step limits.
        assert_eq!(knobs.limit_step(0.5, 0.5, &story), 0.4);
        assert_eq!(knobs.limit_step(0.9, 0.0, &story), 0.4);
        assert_eq!(knobs.limit_step(0.1, 0.3, &hard), 0.5);
        // Targets beyond the tier stop at its bound.
        assert_eq!(knobs.limit_step(0.35, 0.9, &story), 0.4);
        assert_eq!(knobs.limit_step(0.55, 0.0, &hard), 0.5);
        // NaN: from counts as the default, to as no move.
        assert_eq!(knobs.limit_step(0.6, f32::NAN, &hard), 0.6);
        assert_eq!(knobs.limit_step(f32::NAN, 0.5, &hard), 0.5);
    }

    #[test]
    fn largest_change_picks_the_knob_moving_most_of_its_range() {
        let knobs = knobs();
        // 0.5 -> 0.45: damage 1.0 -> 0.95 (0.05 of 1.3), spawns 5 -> 5 (rounded),
        // time 120 -> 126 (6 of 105).
        let change = knobs.largest_change(0.5, 0.45).expect("something changes");
        assert_eq!(change.name, "time_limit_s");
        assert_eq!(change.before, 120.0);
        assert!((change.after - 126.0).abs() < 1e-3);
        assert!((change.share_of_range - 6.0 / 105.0).abs() < 1e-4);
        assert_eq!(change.to_string(), "time_limit_s +5%");

        // 0.5 -> 0.6: damage +0.16 (12% of range), spawns +1 (12.5%), time -9 (8.6%).
        let change = knobs.largest_change(0.5, 0.6).expect("something changes");
        assert_eq!(change.name, "spawn_count");
        assert_eq!((change.before, change.after), (5.0, 6.0));
        assert_eq!(change.to_string(), "spawn_count +20%");

        assert_eq!(knobs.largest_change(0.3, 0.3), None);

        let zero_start = KnobChange {
            name: "boss_count".to_owned(),
            before: 0.0,
            after: 2.0,
            share_of_range: 1.0,
        };
        assert_eq!(zero_start.percent(), None);
        assert_eq!(zero_start.to_string(), "boss_count 0 -> 2");
        let damage_down = KnobChange {
            name: "enemy_damage".to_owned(),
            before: 1.0,
            after: 0.9,
            share_of_range: 0.1,
        };
        assert_eq!(damage_down.to_string(), "enemy_damage -10%");
    }

    #[test]
    fn unknown_tier_lists_the_known_ones() {
        let knobs = knobs();
        assert_eq!(knobs.tier("Hard").expect("declared").min, 0.5);
        let message = knobs.tier("hard").expect_err("case-sensitive").to_string();
        assert_eq!(
            message,
            "unknown tier `hard`; known tiers: Story, Normal, Hard"
        );
    }

    #[test]
    fn each_validation_rule_is_reported() {
        type Edit = fn(&mut DifficultyKnobs);
        let cases: [(Edit, &str); 19] = [
            (
                |k| k.target_success = 0.4,
                "`target_success` must lie between 0.5 and 0.85, got 0.4",
            ),
            (
                |k| k.target_success = 0.9,
                "`target_success` must lie between",
            ),
            (
                |k| k.target_success = f32::NAN,
                "`target_success` must be finite",
            ),
            (
                |k| k.default_difficulty = 0.0,
                "`default_difficulty` must lie strictly",
            ),
            (
                |k| k.default_difficulty = 1.5,
                "`default_difficulty` must lie strictly",
            ),
            (
                |k| k.max_difficulty_step = 0.0,
                "`max_difficulty_step` must be > 0, got 0",
            ),
            (
                |k| k.quit_risk_ceiling = 1.0,
                "`quit_risk_ceiling` must lie strictly",
            ),
            (
                |k| k.quit_risk_ceiling = f32::INFINITY,
                "`quit_risk_ceiling` must be finite",
            ),
            (
                |k| k.knobs[1].max_step = 0.0,
                "knob `spawn_count`: max_step must be > 0, got 0",
            ),
            (
                |k| k.knobs[0].hardest = f32::NAN,
                "knob `enemy_damage`: `hardest` must be finite",
            ),
            (
                |k| k.knobs[0].default = 2.0,
                "knob `enemy_damage`: default 2 must lie between",
            ),
            (
                |k| k.knobs[2].default = 60.0,
                "knob `time_limit_s`: default 60 must lie between",
            ),
            (
                |k| k.knobs[1].default = 5.5,
                "knob `spawn_count`: an integer knob needs whole",
            ),
            (|k| k.knobs[1].max_step = 1.5, "but `max_step` is 1.5"),
            (
                |k| k.knobs[2].name = String::new(),
                "knob #2 (counting from 0): name must not",
            ),
            (
                |k| k.knobs[2].name = "spawn_count".to_owned(),
                "knob `spawn_count` is declared twice",
            ),
            (
                |k| k.tiers.clear(),
                "`tiers` must declare at least one tier",
            ),
            (
                |k| k.tiers[1].name = "Story".to_owned(),
                "tier `Story` is declared twice",
            ),
            (
                |k| k.tiers[2].max = 1.1,
                "tier `Hard`: needs 0 <= min <= max <= 1",
            ),
        ];
        for (edit, expected) in cases {
            let mut knobs = knobs();
            edit(&mut knobs);
            let message = knobs.validate().expect_err("invalid").to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }
        for edit in [
            |k: &mut DifficultyKnobs| k.tiers[0].min = 0.5,
            |k: &mut DifficultyKnobs| k.tiers[0].min = -0.1,
            |k: &mut DifficultyKnobs| k.tiers[0].max = f32::NAN,
            |k: &mut DifficultyKnobs| k.tiers[0].name = " ".to_owned(),
        ] {
            let mut knobs = knobs();
            edit(&mut knobs);
            let message = knobs.validate().expect_err("invalid").to_string();
            assert!(message.starts_with("tier "), "{message}");
        }
        // Accepted edge cases: no knobs, a one-point tier, a flat knob.
        let mut edge = knobs();
        edge.knobs.clear();
        edge.tiers[0].max = 0.0;
        assert_eq!(edge.validate(), Ok(()));
        let mut flat = knobs();
        flat.knobs[0].easiest = 1.0;
        flat.knobs[0].hardest = 1.0;
        assert_eq!(flat.validate(), Ok(()));
        assert_eq!(
            flat.largest_change(0.0, 1.0).map(|c| c.name),
            Some("spawn_count".into())
        );
    }

    #[test]
    fn shipped_knobs_ron_is_the_default() {
        let text = include_str!("../../../assets/difficulty/knobs.ron");
        let knobs = DifficultyKnobs::from_ron(text).expect("shipped knobs load");
        assert_eq!(knobs, DifficultyKnobs::default());
        assert_eq!(DifficultyKnobs::default().validate(), Ok(()));
    }

    #[test]
    fn omitted_optional_fields_take_their_defaults() {
        let text = r#"DifficultyKnobs(
            default_difficulty: 0.5,
            max_difficulty_step: 0.1,
            knobs: [(name: "enemy_damage", easiest: 0.5, default: 1.0, hardest: 1.8, max_step: 0.15)],
            tiers: [(name: "Normal", min: 0.0, max: 1.0)],
        )"#;
        let knobs = DifficultyKnobs::from_ron(text).expect("loads");
        assert_eq!(knobs.target_success, DEFAULT_TARGET_SUCCESS);
        assert_eq!(knobs.quit_risk_ceiling, DEFAULT_QUIT_RISK_CEILING);
        assert!(!knobs.knobs[0].integer);
    }

    #[test]
    fn unknown_fields_and_malformed_ron_report_line_and_column() {
        let unknown = "DifficultyKnobs(\n    default_difficulty: 0.5,\n    max_difficulty_step: 0.1,\n    knobs: [(name: \"a\", easiest: 0.0, default: 0.5, hardest: 1.0, max_step: 0.1, integr: true)],\n    tiers: [],\n)";
        let error = DifficultyKnobs::from_ron(unknown).expect_err("unknown field");
        let KnobsError::Parse {
            line,
            column,
            message,
        } = &error
        else {
            panic!("expected a parse error, got {error:?}");
        };
        assert_eq!(*line, 4);
        assert!(*column > 70, "column {column}");
        assert!(message.contains("integr"), "{message}");
        assert!(
            error
                .to_string()
                .starts_with(&format!("knobs file is not valid RON at 4:{column}:"))
        );

        let malformed = "DifficultyKnobs(\n    default_difficulty: 0.5,\n    knobs: [\n        (name: \"a\" easiest: 0.0),\n    ],\n)";
        match DifficultyKnobs::from_ron(malformed) {
            Err(KnobsError::Parse { line, column, .. }) => {
                assert_eq!(line, 4);
                assert!(column > 1);
            }
            other => panic!("expected a parse error, got {other:?}"),
        }

        // Well-formed but invalid files reach validation.
        let invalid = ron::to_string(&DifficultyKnobs {
            target_success: 0.95,
            ..knobs()
        })
        .expect("serialises");
        assert_eq!(
            DifficultyKnobs::from_ron(&invalid),
            Err(KnobsError::TargetSuccess(0.95))
        );
    }
}
