//! Quit risk: the probability that a player quits within the next few encounters, predicted
//! from their recent outcomes.

use kansei_player::EncounterOutcome;

/// Anything that predicts quit risk from a player's outcomes (oldest first).
pub trait QuitRisk: Send + Sync {
    /// Probability, `[0, 1]`, that the player quits within the next few encounters.
    fn risk(&self, recent: &[EncounterOutcome]) -> f64;
}
