//! The `rank` baseline, after Resident Evil 4's hidden rank: a number pushed up by good play
//! (wins, little damage) and down by bad play (losses, retries), always pulled back towards the
//! designer's default so one lucky streak does not stick.

use kansei_player::EncounterOutcome;

use super::Controller;

/// A mean-reverting rank, mapped linearly to difficulty.
#[derive(Debug, Clone)]
pub struct Rank {
    default: f64,
    target: f64,
    rank: f64,
    /// Change per encounter per unit of result above the target.
    pub gain: f64,
    /// Share of the distance to the default closed per encounter.
    pub reversion: f64,
}

impl Rank {
    /// A rank at `default` aiming at `target` success, with the benchmark's gain (0.1) and
    /// reversion (0.05).
    pub fn new(default: f64, target: f64) -> Self {
        Self {
            default,
            target,
            rank: default,
            gain: 0.1,
            reversion: 0.05,
        }
    }
}

impl Controller for Rank {
    fn next_difficulty(&mut self) -> f64 {
        self.rank
    }

    fn observe(&mut self, outcome: &EncounterOutcome) {
        // The result (graded when the game reports it) against the target: on average zero
        // for a player held at the target.
        let won = outcome.success && !outcome.quit;
        let result = match outcome.performance {
            Some(performance) => f64::from(performance),
            None => f64::from(u8::from(won)),
        };
        let score = result - self.target;
        let pushed = self.rank + self.gain * score;
        self.rank = (pushed + self.reversion * (self.default - pushed)).clamp(0.0, 1.0);
    }
}
