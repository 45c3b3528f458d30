//! The `static` baseline: the designer's difficulty, whoever plays.

use kansei_player::EncounterOutcome;

use super::Controller;

/// Always the same difficulty.
#[derive(Debug, Clone)]
pub struct Fixed {
    /// The difficulty.
    pub difficulty: f64,
}

impl Controller for Fixed {
    fn next_difficulty(&mut self) -> f64 {
        self.difficulty
    }

    fn observe(&mut self, _outcome: &EncounterOutcome) {}
}
