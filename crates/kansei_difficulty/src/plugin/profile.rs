//! Keeping the player's profile on disk: what the plugin learnt and what the player chose
//! (consent) survive a restart, written atomically by [`ProfileStore`].

use std::path::PathBuf;

use bevy::log::warn;
use bevy::prelude::*;
use kansei_player::{PlayerProfile, ProfileStore};

use super::resources::DifficultyState;

/// Where the plugin keeps a player's profile: a folder the game chooses and the player's id
/// (also the file name, `ID.ron`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileLocation {
    /// The folder, e.g. the game's save folder plus `players`.
    pub dir: PathBuf,
    /// The local player's id.
    pub player_id: String,
}

/// The saved profile and its store, present when the plugin was given a [`ProfileLocation`].
/// The plugin records every learnt encounter into it and saves it, and saves consent changes
/// at once.
#[derive(Resource, Debug, Clone)]
pub struct SavedProfile {
    store: ProfileStore,
    profile: PlayerProfile,
    dirty: bool,
    save_failed: bool,
}

impl SavedProfile {
    /// Opens the store and loads the player's profile. An unusable file was set aside by the
    /// store (and is reported here with a warning); play continues with a fresh profile.
    pub(super) fn open(location: &ProfileLocation) -> Result<Self, kansei_player::StoreError> {
        let store = ProfileStore::open(&location.dir)?;
        let loaded = store.load(&location.player_id)?;
        if let Some(issue) = &loaded.issue {
            warn!(
                "kansei_difficulty: the profile of `{}` could not be used ({}); it was kept at \
                 {} and a fresh profile starts",
                location.player_id,
                issue.reason,
                issue.backup.display()
            );
        }
        Ok(Self {
            store,
            profile: loaded.profile,
            dirty: false,
            save_failed: false,
        })
    }

    /// The profile as last saved (or about to be).
    pub fn profile(&self) -> &PlayerProfile {
        &self.profile
    }

    /// Adds an outcome the session learnt from to the profile's history (saved this frame).
    pub(super) fn record(&mut self, outcome: &kansei_player::EncounterOutcome) {
        // Already validated by the session; the profile checks again and keeps its history.
        if self.profile.record(outcome.clone()).is_ok() {
            self.dirty = true;
        }
    }

    fn save(&mut self) {
        match self.store.save(&self.profile) {
            Ok(_) => self.save_failed = false,
            Err(error) => {
                // Once per failure streak: a full disk should not flood the log.
                if !self.save_failed {
                    warn!("kansei_difficulty: could not save the player profile: {error}");
                }
                self.save_failed = true;
            }
        }
    }
}

/// Brings the saved profile up to date with the session (skill, consent) and saves it when an
/// encounter was learnt or the consent changed.
pub(super) fn save_profile(state: Res<DifficultyState>, mut saved: ResMut<SavedProfile>) {
    let session = state.session();
    let consent_changed = saved.profile.consent != session.consent();
    if !saved.dirty && !consent_changed {
        return;
    }
    let saved = saved.as_mut();
    saved.profile.skill = *session.skill();
    saved.profile.consent = session.consent();
    saved.dirty = false;
    saved.save();
}
