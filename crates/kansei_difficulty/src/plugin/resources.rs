//! The resources games read and write.

use std::ops::Deref;

use bevy::prelude::*;
use kansei_player::{Consent, RejectedTelemetry};

use crate::director::PacingDirector;
use crate::knobs::{KnobValues, Tier};
use crate::session::{AdaptiveDifficulty, DifficultyChange};

/// The knob values in force: what the game scales its encounters by.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct DifficultyKnobValues {
    difficulty: f32,
    values: KnobValues,
}

impl DifficultyKnobValues {
    pub(super) fn new(difficulty: f32, values: KnobValues) -> Self {
        Self { difficulty, values }
    }

    /// The value of the knob called `name`, or `None` if the knobs declare no such knob.
    pub fn get(&self, name: &str) -> Option<f32> {
        self.values.get(name)
    }

    /// The difficulty these values belong to, `[0, 1]`: what to report as
    /// [`EncounterOutcome::difficulty`](kansei_player::EncounterOutcome::difficulty).
    pub fn difficulty(&self) -> f32 {
        self.difficulty
    }

    /// Every knob's value, in declaration order.
    pub fn values(&self) -> &KnobValues {
        &self.values
    }
}

/// The player's adaptive difficulty: the difficulty in force, tier, latest explanation,
/// consent and competitive mode, read by overlays and settings screens. Switch adaptive
/// difficulty off with [`set_adaptive`](Self::set_adaptive); it takes effect in this frame's
/// [`PostUpdate`].
#[derive(Resource, Debug, Clone)]
pub struct DifficultyState {
    session: AdaptiveDifficulty,
    pending: Vec<DifficultyChange>,
}

impl DifficultyState {
    pub(super) fn new(session: AdaptiveDifficulty) -> Self {
        Self {
            session,
            pending: Vec::new(),
        }
    }

    /// The engine-agnostic session behind the plugin.
    pub fn session(&self) -> &AdaptiveDifficulty {
        &self.session
    }

    /// Replaces the session, e.g. with
    /// [`AdaptiveDifficulty::for_profile`] once the player's profile has loaded. If the
    /// difficulty in force differs, the plugin announces the new one with a
    /// [`DifficultyChanged`](super::DifficultyChanged) whose reason is `reason`.
    pub fn replace_session(&mut self, session: AdaptiveDifficulty, reason: &str) {
        let from = self.session.difficulty();
        let to = session.difficulty();
        if from != to {
            self.pending.push(DifficultyChange {
                from,
                to,
                knob_values: session.knob_values(),
                reason: reason.to_owned(),
                cause: crate::session::ChangeCause::Adapted,
            });
        }
        self.session = session;
    }

    /// Switches adaptive difficulty on or off at once (see
    /// [`AdaptiveDifficulty::set_adaptive`]): off returns to the designer's default.
    pub fn set_adaptive(&mut self, on: bool) {
        let change = self.session.set_adaptive(on);
        self.pending.extend(change);
    }

    /// Sets the player's consent as a whole (see [`AdaptiveDifficulty::set_consent`]).
    pub fn set_consent(&mut self, consent: Consent) {
        let change = self.session.set_consent(consent);
        self.pending.extend(change);
    }

    /// The difficulty in force, `[0, 1]`.
    pub fn difficulty(&self) -> f32 {
        self.session.difficulty()
    }

    /// The player's tier.
    pub fn tier(&self) -> &Tier {
        self.session.tier()
    }

    /// The reason of the latest change, if there was one.
    pub fn explanation(&self) -> Option<&str> {
        self.session.explanation()
    }

    /// Whether the player has adaptive difficulty on.
    pub fn adaptive(&self) -> bool {
        self.session.consent().adaptive_difficulty
    }

    /// Whether competitive mode is on (the [`CompetitiveMode`] resource exists).
    pub fn competitive(&self) -> bool {
        self.session.competitive()
    }

    /// Encounters refused as bad telemetry, by reason.
    pub fn rejected(&self) -> RejectedTelemetry {
        self.session.rejected()
    }

    pub(super) fn session_mut(&mut self) -> &mut AdaptiveDifficulty {
        &mut self.session
    }

    pub(super) fn push(&mut self, change: DifficultyChange) {
        self.pending.push(change);
    }

    pub(super) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    pub(super) fn take_pending(&mut self) -> Vec<DifficultyChange> {
        std::mem::take(&mut self.pending)
    }
}

/// While this resource exists, the difficulty stays at the designer's default for every player
/// (ranked matches, leaderboards, shared play). Inserting it returns the difficulty to the
/// default at once; removing it lets adaptation resume with the next encounter.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompetitiveMode;

/// The pacing director: read its [`phase`](PacingDirector::phase),
/// [`intensity`](PacingDirector::intensity) and
/// [`spawns_allowed`](PacingDirector::spawns_allowed) through `Deref`; feed it with
/// [`PacingEvent`](super::PacingEvent)s, and set [`engaged`](Self::engaged) while the player is
/// in combat. The plugin ticks it with [`Time`] every frame.
#[derive(Resource, Debug, Clone)]
pub struct Pacing {
    director: PacingDirector,
    /// Whether the player is in combat: intensity does not decay while it is set. Default
    /// `false`.
    pub engaged: bool,
    rejected_events: u64,
}

impl Pacing {
    pub(super) fn new(director: PacingDirector) -> Self {
        Self {
            director,
            engaged: false,
            rejected_events: 0,
        }
    }

    /// Pacing events refused for values out of range.
    pub fn rejected_events(&self) -> u64 {
        self.rejected_events
    }

    pub(super) fn director_mut(&mut self) -> &mut PacingDirector {
        &mut self.director
    }

    pub(super) fn count_rejected(&mut self) {
        self.rejected_events += 1;
    }
}

impl Deref for Pacing {
    type Target = PacingDirector;

    fn deref(&self) -> &PacingDirector {
        &self.director
    }
}
