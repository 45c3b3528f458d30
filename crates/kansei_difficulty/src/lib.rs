//! Adaptive difficulty: keep each player in the flow channel and say why every change happened.
//!
//! - [`controller`]: Kansei's [`FlowController`](controller::FlowController) and the
//!   benchmark's baselines.
//! - [`population`], [`sim`], [`metrics`]: the simulated-player benchmark of
//!   `kansei difficulty simulate`.
//! - [`quit_risk`]: the quit-risk model.
//! - [`knobs`]: the designer's difficulty knobs, tiers and limits, from RON.
//! - [`director`]: the pacing director (intensity and Build-up / Peak / Fade / Relax phases).
//! - [`session`]: [`AdaptiveDifficulty`](session::AdaptiveDifficulty), one player's adaptive
//!   difficulty: controller, knobs, tier, consent and competitive mode, with explained changes.
//! - `plugin` (feature `bevy`, on by default): the Bevy plugin, `DifficultyPlugin`, over the
//!   session and the pacing director.

pub mod controller;
pub mod director;
pub mod knobs;
pub mod metrics;
#[cfg(feature = "bevy")]
pub mod plugin;
pub mod population;
pub mod quit_risk;
pub mod rng;
pub mod session;
pub mod sim;
