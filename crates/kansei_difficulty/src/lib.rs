//! Adaptive difficulty: keep each player in the flow channel and say why every change happened.
//!
//! - [`controller`]: Kansei's [`FlowController`](controller::FlowController) and the
//!   benchmark's baselines.
//! - [`population`], [`sim`], [`metrics`]: the simulated-player benchmark of
//!   `kansei difficulty simulate`.
//! - [`quit_risk`]: the quit-risk model.
//! - [`knobs`]: the designer's difficulty knobs, tiers and limits, from RON.
//! - [`director`]: the pacing director (intensity and Build-up / Peak / Fade / Relax phases).

pub mod controller;
pub mod director;
pub mod knobs;
pub mod metrics;
pub mod population;
pub mod quit_risk;
pub mod rng;
pub mod sim;
