//! The `staircase` baseline: the streak heuristic many games ship. Two wins in a row make the
//! game harder by one step, each loss makes it easier by one step. It settles where a rise and a
//! fall are equally likely, `p² = 0.5`: a success rate of about 0.71 (Levitt's transformed
//! up-down method), whatever the target.

use kansei_player::EncounterOutcome;

use super::Controller;

/// Two-wins-up, one-loss-down staircase.
#[derive(Debug, Clone)]
pub struct Staircase {
    difficulty: f64,
    step: f64,
    streak: u32,
}

impl Staircase {
    /// Starts at `difficulty`, moving by `step` (default in the benchmark: 0.05).
    pub fn new(difficulty: f64, step: f64) -> Self {
        Self {
            difficulty,
            step,
            streak: 0,
        }
    }
}

impl Controller for Staircase {
    fn next_difficulty(&mut self) -> f64 {
        self.difficulty
    }

    fn observe(&mut self, outcome: &EncounterOutcome) {
        if outcome.success && !outcome.quit {
            self.streak += 1;
            if self.streak == 2 {
                self.difficulty = (self.difficulty + self.step).min(1.0);
                self.streak = 0;
            }
        } else {
            self.difficulty = (self.difficulty - self.step).max(0.0);
            self.streak = 0;
        }
    }
}
