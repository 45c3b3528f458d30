//! [`EncounterOutcome`]: what a game reports after each encounter, and the checks that keep
//! bad telemetry out of the player model.

use serde::{Deserialize, Serialize};

/// Longest encounter accepted, in seconds (a day): anything longer is a clock bug.
pub const MAX_SECONDS: f32 = 86_400.0;
/// Most damage accepted in one encounter, in the game's own units.
pub const MAX_DAMAGE: f32 = 1.0e9;
/// Most retries accepted for one encounter.
pub const MAX_RETRIES: u32 = 10_000;

/// One finished encounter, as the game reports it. [`Default`] is a zero-second win at
/// difficulty 0 with no damage: a base for struct-update syntax.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EncounterOutcome {
    /// The difficulty it was played at, in `[0, 1]` (the difficulty controller's scale).
    pub difficulty: f32,
    /// Whether the player succeeded.
    pub success: bool,
    /// How long it took, in seconds: finite, `0..=MAX_SECONDS`.
    pub seconds: f32,
    /// Damage the player took: finite, `0..=MAX_DAMAGE`.
    pub damage_taken: f32,
    /// Attempts before this one: `0..=MAX_RETRIES`.
    pub retries: u32,
    /// Whether the player quit the encounter (or the game) instead of finishing it.
    pub quit: bool,
    /// Optional graded result in `[0, 1]`, 1 for a flawless run, whose average over many plays
    /// at one difficulty tracks the success rate there: for a fight, the share of health left,
    /// rescaled by the game. A much sharper signal of skill than won-or-lost (see
    /// [`crate::skill`]); `None` when the game has none.
    #[serde(default)]
    pub performance: Option<f32>,
}

/// Why an outcome was refused. Each refusal is counted in the profile
/// ([`RejectedTelemetry`](crate::RejectedTelemetry)), never averaged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TelemetryError {
    /// A value was NaN or infinite.
    #[error("`{field}` is NaN or infinite")]
    NotFinite {
        /// The field.
        field: &'static str,
    },
    /// A value was below its range (negative time or damage, difficulty below 0).
    #[error("`{field}` is below its range")]
    Negative {
        /// The field.
        field: &'static str,
    },
    /// A value was above any plausible range (see the `MAX_*` constants).
    #[error("`{field}` is above any plausible value")]
    Absurd {
        /// The field.
        field: &'static str,
    },
}

impl EncounterOutcome {
    /// Checks every field against its documented range.
    pub fn validate(&self) -> Result<(), TelemetryError> {
        check("difficulty", self.difficulty, 1.0)?;
        check("seconds", self.seconds, MAX_SECONDS)?;
        check("damage_taken", self.damage_taken, MAX_DAMAGE)?;
        if let Some(performance) = self.performance {
            check("performance", performance, 1.0)?;
        }
        if self.retries > MAX_RETRIES {
            return Err(TelemetryError::Absurd { field: "retries" });
        }
        Ok(())
    }
}

fn check(field: &'static str, value: f32, max: f32) -> Result<(), TelemetryError> {
    if !value.is_finite() {
        Err(TelemetryError::NotFinite { field })
    } else if value < 0.0 {
        Err(TelemetryError::Negative { field })
    } else if value > max {
        Err(TelemetryError::Absurd { field })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn win() -> EncounterOutcome {
        EncounterOutcome {
            difficulty: 0.5,
            success: true,
            seconds: 42.0,
            damage_taken: 10.0,
            retries: 0,
            quit: false,
            performance: Some(0.8),
        }
    }

    #[test]
    fn plausible_outcomes_pass_and_bad_ones_name_their_field() {
        assert_eq!(win().validate(), Ok(()));
        type Spoil = fn(&mut EncounterOutcome);
        let cases: [(Spoil, TelemetryError); 7] = [
            (
                |o| o.performance = Some(1.2),
                TelemetryError::Absurd {
                    field: "performance",
                },
            ),
            (
                |o| o.seconds = f32::NAN,
                TelemetryError::NotFinite { field: "seconds" },
            ),
            (
                |o| o.damage_taken = -1.0,
                TelemetryError::Negative {
                    field: "damage_taken",
                },
            ),
            (
                |o| o.difficulty = 1.5,
                TelemetryError::Absurd {
                    field: "difficulty",
                },
            ),
            (
                |o| o.seconds = 1e7,
                TelemetryError::Absurd { field: "seconds" },
            ),
            (
                |o| o.retries = 1_000_000,
                TelemetryError::Absurd { field: "retries" },
            ),
            (
                |o| o.difficulty = f32::INFINITY,
                TelemetryError::NotFinite {
                    field: "difficulty",
                },
            ),
        ];
        for (spoil, error) in cases {
            let mut outcome = win();
            spoil(&mut outcome);
            assert_eq!(outcome.validate(), Err(error));
        }
    }
}
