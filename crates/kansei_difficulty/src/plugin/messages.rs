//! The messages the game and the plugin exchange.

use bevy::prelude::*;
use kansei_player::EncounterOutcome;

use crate::director::PhaseChange;
use crate::knobs::KnobValues;
use crate::session::{ChangeCause, DifficultyChange};

/// The game finished an encounter; write one per encounter. Outcomes that fail
/// [`EncounterOutcome::validate`] are refused: a warning is logged once per kind of problem,
/// every refusal is counted in [`DifficultyState::rejected`](super::DifficultyState::rejected),
/// and nothing is learnt from them.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct EncounterFinished(pub EncounterOutcome);

/// The difficulty in force changed; [`DifficultyKnobValues`](super::DifficultyKnobValues)
/// already holds the new values.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct DifficultyChanged {
    /// The difficulty before, `[0, 1]`.
    pub from: f32,
    /// The difficulty now, `[0, 1]`.
    pub to: f32,
    /// One sentence built from the real inputs, for the player or a debug overlay, e.g.
    /// `"enemy_damage -10%: 4 failures in the last 5 encounters; expected success 70%
    /// (aiming at 70%)"`.
    pub reason: String,
    /// Every knob's value at `to`.
    pub knobs: KnobValues,
    /// What caused the change.
    pub cause: ChangeCause,
}

impl From<DifficultyChange> for DifficultyChanged {
    fn from(change: DifficultyChange) -> Self {
        Self {
            from: change.from,
            to: change.to,
            reason: change.reason,
            knobs: change.knob_values,
            cause: change.cause,
        }
    }
}

/// Something that moves the pacing director's intensity; write them as they happen. Events
/// with values out of range are refused: a warning is logged once per kind, and each refusal
/// is counted in [`Pacing::rejected_events`](super::Pacing::rejected_events).
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub enum PacingEvent {
    /// The player took damage.
    Damage {
        /// The damage as a fraction of max health, `[0, 1]`.
        fraction: f32,
        /// The health left as a fraction of max health, `[0, 1]`.
        health_left: f32,
    },
    /// An enemy died.
    Kill {
        /// Its distance from the player in metres (kills within the director's
        /// `kill_radius` raise intensity).
        distance_m: f32,
    },
}

/// The pacing director changed phase; the reason quotes the values that decided it.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct PhaseChanged(pub PhaseChange);
