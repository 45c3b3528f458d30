//! The plugin's systems, run in order in [`PostUpdate`].

use std::collections::HashSet;
use std::mem::{Discriminant, discriminant};

use bevy::log::{info_span, warn};
use bevy::prelude::*;

use super::messages::{DifficultyChanged, EncounterFinished, PacingEvent, PhaseChanged};
use super::profile::{self, ProfileLink};
use super::resources::{CompetitiveMode, DifficultyKnobValues, DifficultyState, Pacing};
use crate::director::DirectorError;
use kansei_player::TelemetryError;
use kansei_player::plugin::SavedProfile;

/// Starts or ends competitive mode as the [`CompetitiveMode`] resource appears or goes.
pub(super) fn follow_competitive_mode(
    competitive: Option<Res<CompetitiveMode>>,
    mut state: ResMut<DifficultyState>,
) {
    let on = competitive.is_some();
    if on != state.session().competitive() {
        let change = state.session_mut().set_competitive(on);
        if let Some(change) = change {
            state.push(change);
        }
    }
}

/// Feeds finished encounters to the session; refuses bad telemetry with one warning per kind.
pub(super) fn record_encounters(
    mut finished: MessageReader<EncounterFinished>,
    mut state: ResMut<DifficultyState>,
    mut saved: Option<ResMut<SavedProfile>>,
    linked: Option<Res<ProfileLink>>,
    mut warned: Local<HashSet<Discriminant<TelemetryError>>>,
) {
    if finished.is_empty() {
        return;
    }
    let _span = info_span!("kansei_difficulty::record_encounters").entered();
    for EncounterFinished(outcome) in finished.read() {
        let learnt_before = state.session().recorded();
        let result = state.session_mut().record(outcome);
        if let Some(saved) = saved.as_mut()
            && linked.is_some()
            && state.session().recorded() > learnt_before
        {
            profile::record(saved, &state, outcome);
        }
        match result {
            Ok(Some(change)) => state.push(change),
            Ok(None) => {}
            Err(error) => {
                if warned.insert(discriminant(&error)) {
                    warn!(
                        "kansei_difficulty: refused an encounter outcome ({error}); it is counted \
                         in DifficultyState::rejected and not learnt from (warning once per kind)"
                    );
                }
            }
        }
    }
}

/// Publishes the changes of this frame: new knob values and one [`DifficultyChanged`] each.
pub(super) fn publish_changes(
    mut state: ResMut<DifficultyState>,
    mut knobs: ResMut<DifficultyKnobValues>,
    mut changed: MessageWriter<DifficultyChanged>,
) {
    // Read through `Deref` first, so that `DifficultyState` is not marked changed every frame.
    if !state.has_pending() {
        return;
    }
    let pending = state.take_pending();
    if let Some(last) = pending.last() {
        *knobs = DifficultyKnobValues::new(last.to, last.knob_values.clone());
    }
    for change in pending {
        info!(
            "kansei_difficulty: difficulty {:.2} -> {:.2}: {}",
            change.from, change.to, change.reason
        );
        changed.write(change.into());
    }
}

/// Feeds pacing events to the director and ticks it.
pub(super) fn run_director(
    time: Res<Time>,
    mut events: MessageReader<PacingEvent>,
    mut pacing: ResMut<Pacing>,
    mut phases: MessageWriter<PhaseChanged>,
    mut warned: Local<HashSet<(&'static str, &'static str)>>,
) {
    for event in events.read() {
        let director = pacing.director_mut();
        let result = match *event {
            PacingEvent::Damage {
                fraction,
                health_left,
            } => director.on_damage(fraction, health_left),
            PacingEvent::Kill { distance_m } => director.on_kill(distance_m),
        };
        if let Err(error) = result {
            pacing.count_rejected();
            let kind = match &error {
                DirectorError::BadEvent {
                    event, argument, ..
                } => (*event, *argument),
                _ => ("event", "unknown"),
            };
            if warned.insert(kind) {
                warn!(
                    "kansei_difficulty: refused a pacing event ({error}); counted in \
                     Pacing::rejected_events (warning once per kind)"
                );
            }
        }
    }
    let engaged = pacing.engaged;
    if let Some(change) = pacing.director_mut().tick(time.delta_secs(), engaged) {
        debug!("kansei_difficulty: {}", change.reason);
        phases.write(PhaseChanged(change));
    }
}
