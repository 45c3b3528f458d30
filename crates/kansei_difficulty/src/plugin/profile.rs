//! Keeping the player's profile: what the plugin learns (encounters, skill) and what the player
//! chose (consent) go into the shared [`SavedProfile`], which `kansei_player` saves atomically.

use bevy::prelude::*;
use kansei_player::plugin::SavedProfile;
use kansei_player::{Consent, EncounterOutcome};

use super::DifficultyPlugin;
use super::resources::DifficultyState;

/// The reason of the [`DifficultyChanged`](super::DifficultyChanged) sent when the player's
/// profile was forgotten and the difficulty starts over.
pub const FORGOTTEN_REASON: &str =
    "the player's profile was forgotten: back to the designer's default";

/// Present when this plugin keeps its state in the [`SavedProfile`] (it was given a
/// [`ProfileLocation`](kansei_player::plugin::ProfileLocation)): what the profile held when the
/// plugin last looked, to tell who changed what.
#[derive(Resource)]
pub(super) struct ProfileLink {
    /// To build a fresh session when the profile is forgotten.
    plugin: DifficultyPlugin,
    /// The consent the session and the profile last agreed on.
    consent: Consent,
    /// [`SavedProfile::forgotten`] when last seen.
    forgotten: u64,
}

impl ProfileLink {
    pub(super) fn new(plugin: DifficultyPlugin, saved: &SavedProfile) -> Self {
        Self {
            plugin,
            consent: saved.profile().consent,
            forgotten: saved.forgotten(),
        }
    }
}

/// Keeps the session and the profile's consent in step, first in the plugin's systems: a consent
/// change made through [`DifficultyState`] is written to the profile, one made in the profile
/// (by the game or another plugin, e.g. personalisation switched off on the recommendations
/// screen) is applied to the session, and a forgotten profile starts a fresh session.
pub(super) fn sync_profile(
    mut state: ResMut<DifficultyState>,
    saved: Option<ResMut<SavedProfile>>,
    mut link: ResMut<ProfileLink>,
) {
    let Some(mut saved) = saved else {
        return;
    };
    if saved.forgotten() != link.forgotten {
        let session = link.plugin.session(Some(saved.profile()));
        state.replace_session(session, FORGOTTEN_REASON);
        link.forgotten = saved.forgotten();
        link.consent = saved.profile().consent;
        return;
    }
    let session = state.session().consent();
    let profile = saved.profile().consent;
    if session != link.consent {
        // The game changed it through `DifficultyState`.
        link.consent = session;
        if profile != session {
            saved.profile_mut().consent = session;
        }
    } else if profile != session {
        // Changed in the profile; a change of difficulty it causes is published next frame.
        state.set_consent(profile);
        link.consent = profile;
    }
}

/// Adds an outcome the session learnt from to the profile's history, with the session's new
/// skill estimate.
pub(super) fn record(
    saved: &mut SavedProfile,
    state: &DifficultyState,
    outcome: &EncounterOutcome,
) {
    let profile = saved.profile_mut();
    // Already validated by the session; the profile checks again and keeps its history.
    if profile.record(outcome.clone()).is_ok() {
        profile.skill = *state.session().skill();
    }
}
