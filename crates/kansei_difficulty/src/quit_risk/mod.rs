//! Quit risk: the probability that a player quits within the next [`HORIZON`] encounters,
//! predicted from their last [`WINDOW`] outcomes.
//!
//! - [`features`]: what the models see (one vector per decision).
//! - [`QuitRiskNet`]: the candle MLP (33 -> 32 -> 16 -> 1, 1,633 parameters) and
//!   [`LogisticBaseline`], the logistic regression it has to beat.
//! - [`QuitRiskModel`]: the trained MLP behind the [`QuitRisk`] trait, loaded from
//!   `assets/models/kansei-quit-risk.safetensors` with its model card.
//! - [`dataset`] and [`train`]: examples from simulated players, training and ROC AUC, used by
//!   `kansei difficulty train`.

pub mod dataset;
mod features;
mod model;
pub mod train;

pub use features::{FEATURES, WINDOW, features};
pub use model::{
    DEFAULT_MODEL_PATH, LogisticBaseline, MODEL_NAME, QuitRiskError, QuitRiskModel, QuitRiskNet,
};

use kansei_player::EncounterOutcome;

/// Encounters ahead the risk looks at.
pub const HORIZON: usize = 3;

/// Anything that predicts quit risk from a player's outcomes (oldest first).
pub trait QuitRisk: Send + Sync {
    /// Probability, `[0, 1]`, that the player quits within the next [`HORIZON`] encounters.
    fn risk(&self, recent: &[EncounterOutcome]) -> f64;
}
