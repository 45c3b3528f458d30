//! [`DifficultyPlugin`]: adaptive difficulty and pacing for Bevy games (feature `bevy`, on by
//! default).
//!
//! The plugin is a thin layer over the engine-agnostic [`AdaptiveDifficulty`] session and the
//! [`PacingDirector`]: the game reports what happened with messages and reads the knob values
//! and the pacing phase from resources.
//!
//! | the game writes | the plugin answers with |
//! |---|---|
//! | [`EncounterFinished`] after every encounter | [`DifficultyChanged`] when the difficulty moves, new [`DifficultyKnobValues`] |
//! | [`PacingEvent`] on damage and kills | [`PhaseChanged`] on each phase change, the [`Pacing`] resource |
//! | [`DifficultyState::set_adaptive`] from its settings screen | [`DifficultyChanged`] back to the designer's default |
//! | the [`CompetitiveMode`] resource during ranked play | the same, and no adaptation while it exists |
//! | [`Pacing::engaged`] while the player is in combat | intensity stops decaying |
//! | a [`ProfileLocation`] in [`DifficultyPlugin::profile`] | the profile loaded at start into the shared [`SavedProfile`], saved atomically after every learnt encounter and consent change |
//! | a consent change in [`SavedProfile`] (e.g. from the recommendations screen) | the same as [`DifficultyState::set_consent`] |
//! | [`SavedProfile::forget_player`] | a fresh start at the designer's default, announced with [`FORGOTTEN_REASON`] |
//!
//! Everything runs in [`PostUpdate`], in [`DifficultySystems`] (before `kansei_player`'s
//! [`SavedProfileSystems`], which writes the profile), so what the game writes in [`Update`] is
//! answered in the same frame and read by the game's systems in the next one.
//!
//! # Usage
//!
//! ```
//! use bevy::prelude::*;
//! use kansei_difficulty::plugin::{
//!     DifficultyChanged, DifficultyKnobValues, DifficultyPlugin, EncounterFinished,
//! };
//! use kansei_player::EncounterOutcome;
//!
//! let mut app = App::new();
//! app.add_plugins((
//!     MinimalPlugins,
//!     DifficultyPlugin {
//!         tier: "Story".to_owned(),
//!         ..default()
//!     },
//! ))
//! .add_systems(Update, (finish_encounter, show_changes));
//! app.update();
//!
//! fn finish_encounter(
//!     knobs: Res<DifficultyKnobValues>,
//!     mut finished: MessageWriter<EncounterFinished>,
//! ) {
//!     // The game scales its enemies by the knob...
//!     let _damage = knobs.get("enemy_damage").unwrap_or(1.0);
//!     // ...and reports each encounter when it ends.
//!     finished.write(EncounterFinished(EncounterOutcome {
//!         difficulty: knobs.difficulty(),
//!         success: false,
//!         seconds: 42.0,
//!         damage_taken: 100.0,
//!         ..default()
//!     }));
//! }
//!
//! fn show_changes(mut changes: MessageReader<DifficultyChanged>) {
//!     for change in changes.read() {
//!         info!("{}", change.reason);
//!     }
//! }
//! ```
//!
//! # Defaults
//!
//! [`DifficultyPlugin::default`] uses the shipped files' contents without reading them:
//! [`DifficultyKnobs::default`] (`assets/difficulty/knobs.ron`: target success 70%, default
//! difficulty 0.5, difficulty step 0.10, quit-risk ceiling 0.15, the knobs `enemy_damage`,
//! `spawn_count`, `time_limit_s`, the tiers Story, Normal, Hard), the tier
//! [`DEFAULT_TIER`] (`"Normal"`), [`DirectorConfig::default`]
//! (`assets/difficulty/director.ron`), [`Consent::default`] (adaptive difficulty and
//! personalisation both on), no saved profile and no quit-risk model. [`DifficultyPlugin::from_ron_files`] reads
//! the designer's files instead.

mod messages;
mod profile;
mod resources;
mod systems;

use std::path::Path;
use std::sync::Arc;

use bevy::prelude::*;
use kansei_player::plugin::SavedProfilePlugin;
use kansei_player::{Consent, PlayerProfile};

pub use kansei_player::plugin::{ProfileLocation, SavedProfile, SavedProfileSystems};
pub use messages::{DifficultyChanged, EncounterFinished, PacingEvent, PhaseChanged};
pub use profile::FORGOTTEN_REASON;
pub use resources::{CompetitiveMode, DifficultyKnobValues, DifficultyState, Pacing};

use crate::director::{DirectorConfig, DirectorError, PacingDirector};
use crate::knobs::{DifficultyKnobs, KnobsError};
use crate::quit_risk::{QuitRisk, QuitRiskError, QuitRiskModel};
use crate::session::AdaptiveDifficulty;

/// The tier a [`DifficultyPlugin::default`] player starts in.
pub const DEFAULT_TIER: &str = "Normal";

/// Adaptive difficulty and pacing (see the [module docs](self)).
///
/// # Panics
/// When the plugin is built with knobs that fail [`DifficultyKnobs::validate`], a tier the knobs
/// do not declare, or a director config that fails [`DirectorConfig::validate`]: these are
/// mistakes in the game's code or files, reported with the offending field. Use
/// [`from_ron_files`](Self::from_ron_files) to handle errors in the files yourself.
#[derive(Clone)]
pub struct DifficultyPlugin {
    /// The designer's knobs, tiers and limits. Default [`DifficultyKnobs::default`], equal to
    /// `assets/difficulty/knobs.ron`.
    pub knobs: DifficultyKnobs,
    /// The tier the player picked, by name. Default [`DEFAULT_TIER`] (`"Normal"`).
    pub tier: String,
    /// The pacing director's config. Default [`DirectorConfig::default`], equal to
    /// `assets/difficulty/director.ron`.
    pub director: DirectorConfig,
    /// What the player agreed to. Default [`Consent::default`]: both on. Change it at run time
    /// with [`DifficultyState::set_consent`].
    pub consent: Consent,
    /// Where to keep the player's profile (skill, recent outcomes, consent). Default `None`:
    /// nothing is written, and the player starts fresh every run. With a location the plugin
    /// loads the profile at start into the [`SavedProfile`] it shares with the other Kansei
    /// plugins (the saved consent wins over [`consent`](Self::consent), so an opt-out survives
    /// a restart), and it is saved atomically after every learnt encounter and consent change;
    /// an unusable file is set aside with a warning.
    pub profile: Option<ProfileLocation>,
    /// A quit-risk model for the controller. Default `None`: the controller works from the
    /// skill estimate alone; [`with_quit_risk_model`](Self::with_quit_risk_model) loads the
    /// shipped one.
    pub quit_risk: Option<Arc<dyn QuitRisk>>,
}

impl Default for DifficultyPlugin {
    fn default() -> Self {
        Self {
            knobs: DifficultyKnobs::default(),
            tier: DEFAULT_TIER.to_owned(),
            director: DirectorConfig::default(),
            consent: Consent::default(),
            profile: None,
            quit_risk: None,
        }
    }
}

/// Why [`DifficultyPlugin::from_ron_files`] failed.
#[derive(Debug, thiserror::Error)]
pub enum PluginConfigError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The knobs file is not valid.
    #[error("{path}: {source}")]
    Knobs {
        /// The file.
        path: String,
        /// What is wrong with it.
        source: KnobsError,
    },
    /// The director file is not valid.
    #[error("{path}: {source}")]
    Director {
        /// The file.
        path: String,
        /// What is wrong with it.
        source: DirectorError,
    },
}

impl DifficultyPlugin {
    /// The default plugin with the knobs and director config read from RON files, e.g.
    /// `assets/difficulty/knobs.ron` and `assets/difficulty/director.ron`.
    ///
    /// # Errors
    /// A [`PluginConfigError`] naming the file and, for invalid content, the line and column or
    /// the field at fault.
    pub fn from_ron_files(
        knobs: impl AsRef<Path>,
        director: impl AsRef<Path>,
    ) -> Result<Self, PluginConfigError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| PluginConfigError::Read {
                path: path.display().to_string(),
                source,
            })
        };
        let (knobs, director) = (knobs.as_ref(), director.as_ref());
        Ok(Self {
            knobs: DifficultyKnobs::from_ron(&read(knobs)?).map_err(|source| {
                PluginConfigError::Knobs {
                    path: knobs.display().to_string(),
                    source,
                }
            })?,
            director: DirectorConfig::from_ron(&read(director)?).map_err(|source| {
                PluginConfigError::Director {
                    path: director.display().to_string(),
                    source,
                }
            })?,
            ..Self::default()
        })
    }

    /// This plugin with the quit-risk model at `path` (the shipped one is
    /// [`DEFAULT_MODEL_PATH`](crate::quit_risk::DEFAULT_MODEL_PATH), relative to the working
    /// directory), checked against its model card.
    ///
    /// # Errors
    /// A [`QuitRiskError`] naming the file when it is missing, corrupt or another model.
    pub fn with_quit_risk_model(mut self, path: impl AsRef<Path>) -> Result<Self, QuitRiskError> {
        self.quit_risk = Some(Arc::new(QuitRiskModel::load(path)?));
        Ok(self)
    }

    fn session(&self, profile: Option<&PlayerProfile>) -> AdaptiveDifficulty {
        let session = match profile {
            Some(profile) => {
                AdaptiveDifficulty::for_profile(self.knobs.clone(), &self.tier, profile)
            }
            None => AdaptiveDifficulty::new(self.knobs.clone(), &self.tier)
                .map(|session| session.with_consent(self.consent)),
        }
        .unwrap_or_else(|error| panic!("DifficultyPlugin: {error}"));
        match &self.quit_risk {
            Some(model) => session.with_quit_risk(model.clone()),
            None => session,
        }
    }
}

/// The plugin's systems, in [`PostUpdate`]; order the game's systems against it if they must see
/// this frame's answers.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct DifficultySystems;

impl Plugin for DifficultyPlugin {
    fn build(&self, app: &mut App) {
        // A save folder that cannot be used must not stop the game: `SavedProfilePlugin` warns
        // and the game plays on without saving.
        if let Some(location) = &self.profile {
            app.add_plugins(SavedProfilePlugin(location.clone()));
        }
        let saved = self
            .profile
            .as_ref()
            .and_then(|_| app.world().get_resource::<SavedProfile>());
        let session = self.session(saved.map(SavedProfile::profile));
        let link = saved.map(|saved| profile::ProfileLink::new(self.clone(), saved));
        let director = PacingDirector::new(self.director.clone())
            .unwrap_or_else(|error| panic!("DifficultyPlugin: {error}"));
        app.insert_resource(DifficultyKnobValues::new(
            session.difficulty(),
            session.knob_values(),
        ))
        .insert_resource(DifficultyState::new(session))
        .insert_resource(Pacing::new(director))
        .add_message::<EncounterFinished>()
        .add_message::<DifficultyChanged>()
        .add_message::<PacingEvent>()
        .add_message::<PhaseChanged>()
        // What this frame learnt is saved at its end.
        .configure_sets(PostUpdate, DifficultySystems.before(SavedProfileSystems))
        .add_systems(
            PostUpdate,
            (
                profile::sync_profile.run_if(resource_exists::<profile::ProfileLink>),
                systems::follow_competitive_mode,
                systems::record_encounters,
                systems::publish_changes,
                systems::run_director,
            )
                .chain()
                .in_set(DifficultySystems),
        );
        if let Some(link) = link {
            app.insert_resource(link);
        }
    }
}
