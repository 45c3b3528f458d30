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
//!
//! Nothing here leaves the device, every change carries a one-sentence reason built from the
//! numbers behind it, and a player's opt-out returns the game to the designer's default at once.
//!
//! # Usage
//!
//! Without Bevy (the plugin does the same from messages):
//!
//! ```
//! use kansei_difficulty::knobs::DifficultyKnobs;
//! use kansei_difficulty::session::AdaptiveDifficulty;
//! use kansei_player::EncounterOutcome;
//!
//! let mut difficulty = AdaptiveDifficulty::new(DifficultyKnobs::default(), "Normal")?;
//! for _ in 0..4 {
//!     let lost = EncounterOutcome {
//!         difficulty: difficulty.difficulty(),
//!         success: false,
//!         seconds: 95.0,
//!         damage_taken: 100.0,
//!         performance: Some(0.1),
//!         ..EncounterOutcome::default()
//!     };
//!     if let Some(change) = difficulty.record(&lost)? {
//!         // e.g. "enemy_damage -8%: 2 failures in the last 2 encounters; expected success 70% ..."
//!         println!("{}", change.reason);
//!     }
//! }
//! assert!(difficulty.difficulty() < 0.5);
//! assert!(difficulty.knob_values().get("enemy_damage") < Some(1.0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

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
