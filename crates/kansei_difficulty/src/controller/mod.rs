//! Difficulty controllers: what chooses the next encounter's difficulty from the outcomes so
//! far. [`FlowController`] is Kansei's; the others are the baselines of the benchmark.

mod bandit;
mod fixed;
mod flow;
mod rank;
mod staircase;

pub use bandit::{BANDIT_LEVELS, Thompson, Ucb1};
pub use fixed::Fixed;
pub use flow::{Decision, FlowConfig, FlowController};
pub use rank::Rank;
pub use staircase::Staircase;

use kansei_player::EncounterOutcome;

/// Chooses difficulties on the `[0, 1]` scale, one encounter at a time.
pub trait Controller {
    /// The difficulty of the next encounter.
    fn next_difficulty(&mut self) -> f64;

    /// The probability that the player succeeds at `difficulty`, for controllers that model
    /// it (used to measure calibration).
    fn predicted_success(&self, difficulty: f64) -> Option<f64> {
        let _ = difficulty;
        None
    }

    /// Learns from a finished encounter (played at the difficulty last returned).
    fn observe(&mut self, outcome: &EncounterOutcome);
}

/// The controllers `kansei difficulty simulate --controller NAME` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControllerKind {
    /// [`FlowController`].
    Kansei,
    /// [`Fixed`] at the default difficulty.
    Static,
    /// [`Staircase`].
    Staircase,
    /// [`Rank`].
    Rank,
    /// [`Ucb1`].
    Ucb1,
    /// [`Thompson`].
    Thompson,
}

impl ControllerKind {
    /// Every controller, Kansei's first.
    pub const ALL: [ControllerKind; 6] = [
        ControllerKind::Kansei,
        ControllerKind::Static,
        ControllerKind::Staircase,
        ControllerKind::Rank,
        ControllerKind::Ucb1,
        ControllerKind::Thompson,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ControllerKind::Kansei => "kansei",
            ControllerKind::Static => "static",
            ControllerKind::Staircase => "staircase",
            ControllerKind::Rank => "rank",
            ControllerKind::Ucb1 => "ucb1",
            ControllerKind::Thompson => "thompson",
        }
    }
}

impl std::str::FromStr for ControllerKind {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        ControllerKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = ControllerKind::ALL.iter().map(|k| k.name()).collect();
                format!("unknown controller `{name}`; known: {}", known.join(", "))
            })
    }
}

impl std::fmt::Display for ControllerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
