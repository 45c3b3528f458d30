//! The player's profile in a Bevy app (feature `bevy`): one [`SavedProfile`] resource that every
//! Kansei plugin reads and writes, loaded at start and saved atomically whenever it changed.
//!
//! Kansei's plugins each learn something about the player (the difficulty plugin their skill
//! and encounters, the recommendation plugin what they played) and all of it belongs in the
//! same [`PlayerProfile`], so there is exactly one copy of it in the app:
//!
//! | who | does what |
//! |---|---|
//! | the game | gives a [`ProfileLocation`] to the plugins that should keep the profile (or adds [`SavedProfilePlugin`] itself) |
//! | [`SavedProfilePlugin`] | loads the profile once when the app is built, however many plugins ask for it, and inserts [`SavedProfile`] |
//! | each Kansei plugin, in its [`PostUpdate`] systems | writes what it learnt through [`SavedProfile::profile_mut`], which marks the profile changed |
//! | [`SavedProfileSystems`], last in [`PostUpdate`] | saves a changed profile atomically, once a frame at most |
//! | the game's settings screen | [`SavedProfile::forget_player`] or a plugin's forget message |
//!
//! A save that fails (a full disk, a read-only folder) is warned about once per streak of
//! failures and retried on the next change; play never stops for it.
//!
//! # Usage
//!
//! ```
//! use bevy::prelude::*;
//! use kansei_player::plugin::{ProfileLocation, SavedProfile, SavedProfilePlugin};
//!
//! let saves = tempfile::tempdir()?;
//! let mut app = App::new();
//! app.add_plugins((
//!     MinimalPlugins,
//!     SavedProfilePlugin(ProfileLocation::new(saves.path(), "player-1")),
//! ))
//! .add_systems(Update, opt_out);
//! app.update();
//!
//! fn opt_out(mut saved: ResMut<SavedProfile>, mut done: Local<bool>) {
//!     if !*done {
//!         // The settings screen: marked changed, saved at the end of this frame.
//!         saved.profile_mut().consent.personalisation = false;
//!         *done = true;
//!     }
//! }
//!
//! let on_disk = kansei_player::ProfileStore::open(saves.path())?.load("player-1")?;
//! assert!(!on_disk.profile.consent.personalisation);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Defaults
//!
//! Nothing is kept on disk unless a [`ProfileLocation`] is given: without one no
//! [`SavedProfile`] exists and each plugin keeps what it needs in memory for the run.

use std::path::PathBuf;

use bevy::log::warn;
use bevy::prelude::*;

use crate::{PlayerProfile, ProfileStore, StoreError};

/// Where a player's profile is kept: a folder the game chooses and the player's id (also the
/// file name, `ID.ron`; 1 to 64 ASCII letters, digits, `-` and `_`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileLocation {
    /// The folder, e.g. the game's save folder plus `players`. Created if missing.
    pub dir: PathBuf,
    /// The local player's id.
    pub player_id: String,
}

impl ProfileLocation {
    /// The profile of `player_id` in `dir`.
    pub fn new(dir: impl Into<PathBuf>, player_id: impl Into<String>) -> Self {
        Self {
            dir: dir.into(),
            player_id: player_id.into(),
        }
    }
}

/// The local player's profile and the store it is saved in: the one copy every Kansei plugin
/// shares (see the [module docs](self)). Present when a plugin was given a [`ProfileLocation`]
/// and its folder could be used.
///
/// Read it with [`profile`](Self::profile); change it with [`profile_mut`](Self::profile_mut),
/// which marks it to be saved at the end of the frame.
#[derive(Resource, Debug, Clone)]
pub struct SavedProfile {
    location: ProfileLocation,
    store: ProfileStore,
    profile: PlayerProfile,
    dirty: bool,
    save_failed: bool,
    forgotten: u64,
}

impl SavedProfile {
    /// Opens the store and loads the player's profile: the saved one, or a fresh one when there
    /// is no file. An unusable file was set aside by the store (see [`ProfileStore::load`]); it
    /// is reported with a warning and a fresh profile starts.
    ///
    /// # Errors
    /// A [`StoreError`] when the folder cannot be created or read, or the id is not a valid
    /// file name.
    pub fn open(location: &ProfileLocation) -> Result<Self, StoreError> {
        let store = ProfileStore::open(&location.dir)?;
        let loaded = store.load(&location.player_id)?;
        if let Some(issue) = &loaded.issue {
            warn!(
                "kansei_player: the profile of `{}` could not be used ({}); it was kept at {} and \
                 a fresh profile starts",
                location.player_id,
                issue.reason,
                issue.backup.display()
            );
        }
        Ok(Self {
            location: location.clone(),
            store,
            profile: loaded.profile,
            dirty: false,
            save_failed: false,
            forgotten: 0,
        })
    }

    /// Where the profile is kept.
    pub fn location(&self) -> &ProfileLocation {
        &self.location
    }

    /// The profile's file, `DIR/ID.ron`.
    pub fn path(&self) -> PathBuf {
        self.location
            .dir
            .join(format!("{}.ron", self.location.player_id))
    }

    /// The profile as last saved or about to be.
    pub fn profile(&self) -> &PlayerProfile {
        &self.profile
    }

    /// The profile, to change: marks it to be saved at the end of this frame's [`PostUpdate`]
    /// (by [`SavedProfileSystems`]). Call it only when something changes.
    pub fn profile_mut(&mut self) -> &mut PlayerProfile {
        self.dirty = true;
        &mut self.profile
    }

    /// Whether the profile changed since it was last saved.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// How many times [`forget_player`](Self::forget_player) replaced the profile: plugins that
    /// keep state derived from the profile (the difficulty plugin's skill estimate) compare it
    /// with the value they last saw and start over when it moved.
    pub fn forgotten(&self) -> u64 {
        self.forgotten
    }

    /// Saves the profile now (atomically), whether or not it changed. The save system calls
    /// this for changed profiles; call it directly when the file must be written before the
    /// frame ends.
    ///
    /// # Errors
    /// A [`StoreError`] when the file cannot be written; the profile stays marked changed.
    pub fn save_now(&mut self) -> Result<PathBuf, StoreError> {
        let path = self.store.save(&self.profile)?;
        self.dirty = false;
        self.save_failed = false;
        Ok(path)
    }

    /// Forgets the player's plays (see [`PlayerProfile::forget_plays`]) in memory and on disk:
    /// the profile file and every copy of it the store set aside are deleted
    /// ([`ProfileStore::forget`]), then the profile, without its plays, is written again at once.
    /// Returns the files deleted.
    ///
    /// # Errors
    /// A [`StoreError`] when a file cannot be deleted or written; the plays are forgotten in
    /// memory regardless, and the profile is saved again at the end of the frame.
    pub fn forget_plays(&mut self) -> Result<Vec<PathBuf>, StoreError> {
        self.profile_mut().forget_plays();
        let deleted = self.store.forget(&self.location.player_id)?;
        self.save_now()?;
        Ok(deleted)
    }

    /// Forgets the player: every file of theirs is deleted ([`ProfileStore::forget`]) and a fresh
    /// profile replaces the one in memory, with no history, plays or skill estimate.
    ///
    /// The player's [`consent`](PlayerProfile::consent) is kept, and the fresh profile (its id
    /// and consent, nothing else) is written at once: forgetting must not switch back on what
    /// the player switched off. Plugins notice the replacement through
    /// [`forgotten`](Self::forgotten). Returns the files deleted.
    ///
    /// # Errors
    /// A [`StoreError`] when a file cannot be deleted or written; the profile in memory is fresh
    /// regardless, and is saved again at the end of the frame.
    pub fn forget_player(&mut self) -> Result<Vec<PathBuf>, StoreError> {
        let mut fresh = PlayerProfile::new(self.location.player_id.clone());
        fresh.consent = self.profile.consent;
        self.profile = fresh;
        self.dirty = true;
        self.forgotten += 1;
        let deleted = self.store.forget(&self.location.player_id)?;
        self.save_now()?;
        Ok(deleted)
    }

    /// Saves when changed; warns once per streak of failures.
    fn save_if_dirty(&mut self) {
        if !self.dirty {
            return;
        }
        match self.store.save(&self.profile) {
            Ok(_) => {
                self.dirty = false;
                self.save_failed = false;
            }
            Err(error) => {
                // Once per failure streak: a full disk should not flood the log. Not retried
                // every frame: the next change tries again.
                if !self.save_failed {
                    warn!("kansei_player: could not save the player profile: {error}");
                }
                self.save_failed = true;
                self.dirty = false;
            }
        }
    }
}

/// The system that saves a changed [`SavedProfile`], in [`PostUpdate`].
///
/// Kansei's plugins order their own sets before it, so what they learn in a frame is on disk
/// at the end of that frame. Game systems that change the profile in [`PostUpdate`] should run
/// `.before(SavedProfileSystems)` too (changes made in [`Update`] are always in time).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct SavedProfileSystems;

/// Loads the player's profile at the [`ProfileLocation`] into [`SavedProfile`] and saves it
/// whenever it changes (see the [module docs](self)).
///
/// It may be added any number of times (each Kansei plugin given a location adds it): the first
/// one that can open its location loads the profile, the others use that one, with a warning
/// if their location differs. A folder that cannot be used is warned about and the game plays
/// on without saving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedProfilePlugin(pub ProfileLocation);

impl Plugin for SavedProfilePlugin {
    fn build(&self, app: &mut App) {
        let location = &self.0;
        if let Some(saved) = app.world().get_resource::<SavedProfile>() {
            if saved.location() != location {
                warn!(
                    "kansei_player: two profile locations were given ({} in {} and {} in {}); \
                     every plugin uses the first",
                    saved.location().player_id,
                    saved.location().dir.display(),
                    location.player_id,
                    location.dir.display(),
                );
            }
            return;
        }
        match SavedProfile::open(location) {
            Ok(saved) => {
                app.insert_resource(saved)
                    .add_systems(PostUpdate, save_profile.in_set(SavedProfileSystems));
            }
            Err(error) => warn!(
                "kansei_player: cannot use the profile folder {} ({error}); the player's profile \
                 will not be saved this run",
                location.dir.display()
            ),
        }
    }

    fn is_unique(&self) -> bool {
        false
    }
}

/// Saves the profile when it changed.
fn save_profile(saved: Option<ResMut<SavedProfile>>) {
    let Some(mut saved) = saved else {
        return;
    };
    // Through `Deref` first, so the resource is not marked changed every frame.
    if saved.is_dirty() {
        saved.save_if_dirty();
    }
}
