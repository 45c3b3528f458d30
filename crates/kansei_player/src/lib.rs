//! The player model: what Kansei knows about each local player, kept on the device and shared by
//! the adaptive difficulty, recommendation and NPC plugins.
//!
//! - [`EncounterOutcome`]: what a game reports after each encounter; [`EncounterOutcome::validate`]
//!   refuses NaN, negative and absurd values.
//! - [`PlayerProfile`]: one player's recent outcomes (a ring buffer, [`DEFAULT_HISTORY_CAPACITY`]),
//!   consent flags ([`Consent`]: adaptive difficulty and personalisation, both switchable at any
//!   time), the skill estimate with its uncertainty, and the count of refused telemetry.
//! - [`skill`]: the skill estimate, a Gaussian belief over skill and its trend on a
//!   one-parameter logistic model, updated after every encounter ([`PlayerProfile::record`]
//!   does it) from the success and the optional graded performance, with change detection,
//!   calibrated success predictions and the difficulty that hits a target success rate.
//! - [`ProfileStore`]: profiles as versioned RON files in a folder the game chooses, written
//!   atomically; an unreadable or newer file is set aside and reported, never silently dropped.
//! - `plugin` (feature `bevy`): the profile as one Bevy resource, `SavedProfile`, shared by every
//!   Kansei plugin and saved whenever it changes.
//!
//! Nothing here leaves the device: the store writes only to the folder it is given.
//!
//! # Usage
//!
//! ```no_run
//! use kansei_player::{EncounterOutcome, ProfileStore};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = ProfileStore::open("saves/players")?;
//! let loaded = store.load("player-1")?;
//! if let Some(issue) = &loaded.issue {
//!     eprintln!("profile reset ({}); old file kept at {}", issue.reason, issue.backup.display());
//! }
//! let mut profile = loaded.profile;
//! profile.record(EncounterOutcome {
//!     difficulty: 0.6,
//!     success: true,
//!     seconds: 95.0,
//!     damage_taken: 40.0,
//!     retries: 1,
//!     quit: false,
//!     performance: Some(0.6),
//! })?;
//! store.save(&profile)?;
//! # Ok(())
//! # }
//! ```
//!
//! The adaptive difficulty (`kansei_difficulty`) reads and updates it, and the recommendations
//! (`kansei_recommend`) keep the player's plays in it. In a Bevy app they share one copy through
//! `plugin::SavedProfile` (feature `bevy`).

mod outcome;
#[cfg(feature = "bevy")]
pub mod plugin;
mod profile;
pub mod skill;
mod store;

pub use outcome::{EncounterOutcome, MAX_DAMAGE, MAX_RETRIES, MAX_SECONDS, TelemetryError};
pub use profile::{
    Consent, DEFAULT_HISTORY_CAPACITY, PLAY_HISTORY_CAPACITY, PROFILE_VERSION, PlayerProfile,
    RejectedTelemetry, SkillEstimate,
};
pub use store::{LoadIssue, Loaded, MAX_PLAYER_ID_LEN, ProfileStore, StoreError};
