//! The simulated population of `kansei difficulty simulate`: every parameter of the simulated
//! players and the seed, read from RON. Unknown fields and out-of-range values are errors that
//! name the field and its line and column.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Defines a number type that only deserialises inside its range, so that RON reports the
/// position of an out-of-range value.
macro_rules! bounded {
    ($(#[$doc:meta])* $name:ident, $ty:ty, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
        #[serde(try_from = "f64", into = "f64")]
        pub struct $name(pub $ty);

        impl TryFrom<f64> for $name {
            type Error = String;

            fn try_from(value: f64) -> Result<Self, String> {
                #[allow(clippy::manual_range_contains)]
                if value.is_finite() && value >= $min as f64 && value <= $max as f64 {
                    let converted = value as $ty;
                    // An integer type drops a fraction; refuse it rather than truncate.
                    if converted as f64 != value {
                        return Err(format!("expected a whole number, got {value}"));
                    }
                    Ok(Self(converted))
                } else {
                    Err(format!(
                        "{value} is out of range: expected {} to {}",
                        $min, $max
                    ))
                }
            }
        }

        impl From<$name> for f64 {
            fn from(value: $name) -> f64 {
                value.0 as f64
            }
        }
    };
}

bounded!(
    /// A probability, `0..=1`.
    Probability, f64, 0.0, 1.0
);
bounded!(
    /// The target success rate, `0.5..=0.85`.
    TargetSuccess, f64, 0.5, 0.85
);
bounded!(
    /// A finite number, `-1e3..=1e3` on the latent skill scale.
    Latent, f64, -1.0e3, 1.0e3
);
bounded!(
    /// A standard deviation or rate, `0..=10`.
    Spread, f64, 0.0, 10.0
);
bounded!(
    /// The slope of success in latent skill, `0.01..=10`.
    Discrimination, f64, 0.01, 10.0
);
bounded!(
    /// Simulated players, `1..=1,000,000`.
    PlayerCount, u32, 1, 1_000_000
);
bounded!(
    /// Encounters per player, `1..=10,000`.
    EncounterCount, u32, 1, 10_000
);
bounded!(
    /// A window or count of encounters, `1..=1,000`.
    Window, u32, 1, 1_000
);

/// A distribution over players.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Distribution {
    /// Gaussian.
    Normal {
        /// Mean.
        mean: Latent,
        /// Standard deviation.
        sd: Spread,
    },
    /// The same value for everyone.
    Constant(Latent),
}

impl Distribution {
    /// One draw.
    pub fn sample(&self, rng: &mut crate::rng::Rng) -> f64 {
        match *self {
            Distribution::Normal { mean, sd } => mean.0 + sd.0 * rng.normal(),
            Distribution::Constant(value) => value.0,
        }
    }

    /// The mean.
    pub fn mean(&self) -> f64 {
        match *self {
            Distribution::Normal { mean, .. } => mean.0,
            Distribution::Constant(value) => value.0,
        }
    }

    /// The standard deviation.
    pub fn sd(&self) -> f64 {
        match *self {
            Distribution::Normal { sd, .. } => sd.0,
            Distribution::Constant(_) => 0.0,
        }
    }
}

/// Abrupt changes of skill: a break, a new weapon, a friend's advice.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepChange {
    /// Chance per encounter.
    pub probability: Probability,
    /// Size, in latent skill.
    pub size: Distribution,
}

/// When simulated players quit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuitRule {
    /// Frustration looks at this many recent encounters...
    pub frustration_window: Window,
    /// ...and is triggered by at least this many failures among them.
    pub frustration_failures: Window,
    /// Boredom looks at this many recent encounters...
    pub boredom_window: Window,
    /// ...and is triggered by at least this many successes among them.
    pub boredom_successes: Window,
    /// Chance to quit after each encounter while frustrated or bored.
    pub probability: Probability,
}

/// A simulated population (see the crate docs for the model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// Seed of every random draw.
    pub seed: u64,
    /// Number of players.
    pub players: PlayerCount,
    /// Encounters each player plays unless they quit.
    pub encounters: EncounterCount,
    /// The success rate controllers aim for.
    pub target_success: TargetSuccess,
    /// `a` in `P(success) = sigmoid(a (skill - difficulty))`, latent units.
    pub discrimination: Discrimination,
    /// Skill at the first encounter, latent units.
    pub skill: Distribution,
    /// Skill gained per encounter played, per player (drawn once).
    pub learning_per_encounter: Distribution,
    /// Abrupt changes of skill.
    pub step_change: StepChange,
    /// Effective skill lost per encounter played (tiring).
    pub fatigue_per_encounter: Spread,
    /// When players quit.
    pub quit: QuitRule,
    /// Standard deviation of the graded performance the game reports around the true success
    /// probability (see `EncounterOutcome::performance`). Default 0.1.
    #[serde(default = "default_performance_noise")]
    pub performance_noise: Spread,
    /// The latent difficulty at the easiest (0) and hardest (1) end of the game's difficulty
    /// scale. Default `(-3.5, 3.5)`.
    #[serde(default = "default_difficulty_scale")]
    pub difficulty_scale: (Latent, Latent),
}

fn default_performance_noise() -> Spread {
    Spread(0.1)
}

fn default_difficulty_scale() -> (Latent, Latent) {
    (Latent(-3.5), Latent(3.5))
}

/// Why a population file was refused.
#[derive(Debug, thiserror::Error)]
pub enum PopulationError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Malformed RON, an unknown field or an out-of-range value, with its position.
    #[error("{origin}:{line}:{column}: {message}")]
    Invalid {
        /// The file (or `<text>`).
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

impl Population {
    /// The population shipped in `assets/difficulty/population.ron`.
    pub fn shipped() -> Self {
        Self::from_ron(
            include_str!("../../../assets/difficulty/population.ron"),
            "population.ron",
        )
        .expect("the shipped population is valid (tested)")
    }

    /// Reads and checks a population file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, PopulationError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| PopulationError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_ron(&text, &path.display().to_string())
    }

    /// Parses and checks population RON; `origin` names it in errors.
    pub fn from_ron(text: &str, origin: &str) -> Result<Self, PopulationError> {
        let population: Self = ron::from_str(text).map_err(|e| PopulationError::Invalid {
            origin: origin.to_string(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })?;
        population.check_relations().map_err(|(field, message)| {
            let (line, column) = locate(text, field);
            PopulationError::Invalid {
                origin: origin.to_string(),
                line,
                column,
                message,
            }
        })?;
        Ok(population)
    }

    /// Checks what single-field ranges cannot: values that must agree with each other.
    fn check_relations(&self) -> Result<(), (&'static str, String)> {
        let q = &self.quit;
        if q.frustration_failures.0 > q.frustration_window.0 {
            return Err((
                "frustration_failures",
                format!(
                    "frustration_failures ({}) exceeds frustration_window ({})",
                    q.frustration_failures.0, q.frustration_window.0
                ),
            ));
        }
        if q.boredom_successes.0 > q.boredom_window.0 {
            return Err((
                "boredom_successes",
                format!(
                    "boredom_successes ({}) exceeds boredom_window ({})",
                    q.boredom_successes.0, q.boredom_window.0
                ),
            ));
        }
        let (easiest, hardest) = self.difficulty_scale;
        if easiest.0 >= hardest.0 {
            return Err((
                "difficulty_scale",
                format!(
                    "difficulty_scale must rise from easiest to hardest, got ({}, {})",
                    easiest.0, hardest.0
                ),
            ));
        }
        Ok(())
    }

    /// The latent difficulty of a value on the game's `[0, 1]` scale.
    pub fn latent_difficulty(&self, difficulty: f64) -> f64 {
        let (easiest, hardest) = (self.difficulty_scale.0.0, self.difficulty_scale.1.0);
        easiest + difficulty.clamp(0.0, 1.0) * (hardest - easiest)
    }

    /// Latent units per unit of the game's difficulty scale.
    pub fn scale_width(&self) -> f64 {
        self.difficulty_scale.1.0 - self.difficulty_scale.0.0
    }
}

/// The 1-based line and column of the first `field:` in `text` (1:1 if absent).
fn locate(text: &str, field: &str) -> (usize, usize) {
    let needle = format!("{field}:");
    for (i, line) in text.lines().enumerate() {
        if let Some(column) = line.find(&needle) {
            return (i + 1, column + 1);
        }
    }
    (1, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../../assets/difficulty/population.ron");

    #[test]
    fn the_shipped_population_matches_the_issue_format() {
        let p = Population::shipped();
        assert_eq!((p.seed, p.players.0, p.encounters.0), (7, 1000, 60));
        assert_eq!(p.target_success.0, 0.70);
        assert_eq!(p.discrimination.0, 1.7);
        assert_eq!(p.quit.frustration_window.0, 5);
        assert_eq!(p.step_change.size.sd(), 0.8);
    }

    #[test]
    fn the_issue_example_without_optional_fields_parses_with_defaults() {
        let text = "Population(
            seed: 7, players: 1000, encounters: 60, target_success: 0.70, discrimination: 1.7,
            skill: Normal(mean: 0.0, sd: 1.0),
            learning_per_encounter: Normal(mean: 0.02, sd: 0.01),
            step_change: (probability: 0.02, size: Normal(mean: 0.0, sd: 0.8)),
            fatigue_per_encounter: 0.005,
            quit: (frustration_window: 5, frustration_failures: 4, boredom_window: 8, boredom_successes: 8, probability: 0.3),
        )";
        let p = Population::from_ron(text, "example").expect("valid");
        assert_eq!(p.performance_noise.0, 0.1);
        assert_eq!(p.latent_difficulty(0.5), 0.0);
    }

    fn error_of(text: &str) -> (usize, usize, String) {
        match Population::from_ron(text, "t.ron") {
            Err(PopulationError::Invalid {
                line,
                column,
                message,
                ..
            }) => (line, column, message),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn out_of_range_and_unknown_fields_report_their_position() {
        let bad_target = SHIPPED.replace("target_success: 0.70", "target_success: 0.95");
        let (line, _, message) = error_of(&bad_target);
        let expected = SHIPPED
            .lines()
            .position(|l| l.contains("target_success"))
            .expect("field")
            + 1;
        assert_eq!(line, expected, "{message}");
        assert!(
            message.contains("0.95") && message.contains("0.85"),
            "{message}"
        );

        let unknown = SHIPPED.replace("seed: 7,", "seed: 7, sede: 8,");
        let (line, column, message) = error_of(&unknown);
        assert!(message.contains("sede"), "{message}");
        assert!(line > 1 && column > 1, "{line}:{column}");

        let negative_sd = SHIPPED.replace("sd: 1.0", "sd: -1.0");
        assert!(error_of(&negative_sd).2.contains("-1"));
        let fractional = SHIPPED.replace("players: 1000", "players: 10.5");
        assert!(error_of(&fractional).2.contains("whole"));
        let malformed = SHIPPED.replace("seed: 7,", "seed: 7,,");
        assert!(error_of(&malformed).0 > 1);
    }

    #[test]
    fn inconsistent_fields_are_located() {
        let text = SHIPPED.replace("frustration_failures: 4", "frustration_failures: 6");
        let (line, column, message) = error_of(&text);
        assert!(message.contains("frustration_failures"), "{message}");
        let expected = text
            .lines()
            .position(|l| l.contains("frustration_failures"))
            .expect("field");
        assert_eq!(line, expected + 1);
        assert!(column > 1);
    }
}
