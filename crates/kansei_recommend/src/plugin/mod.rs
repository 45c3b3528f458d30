//! [`RecommendPlugin`]: "recommended for you" for Bevy games (feature `bevy`, on by default).
//!
//! The plugin is a thin layer over the engine-agnostic [`RecommendEngine`]: the game reports
//! what the player plays with messages and reads the top-k, each with a reason, from a
//! resource. The plays live in the player's profile, the one `kansei_player`'s
//! [`SavedProfile`] shares with the other Kansei plugins, so they survive a restart and a new
//! play is used at once, without retraining.
//!
//! | the game writes | the plugin answers with |
//! |---|---|
//! | [`PlayRecorded`] when the player plays a game | new [`Recommendations`] and [`RecommendationsUpdated`], in the same frame |
//! | [`PreferredTags`] from its onboarding screen | cold-start picks: the most played games with those tags |
//! | [`SetPersonalisation`] from its settings screen | off: cold-start picks only, and no play recorded; saved in the profile's consent |
//! | [`ForgetPlayerHistory`] | the plays gone from memory and disk, cold-start picks |
//! | a [`ProfileLocation`] in [`RecommendPlugin::profile`] | the plays loaded at start and saved atomically with the shared [`SavedProfile`] |
//!
//! [`RecommendState`] says which model is in use and counts refused plays. Everything runs in
//! [`PostUpdate`], in [`RecommendSystems`] (before `kansei_player`'s [`SavedProfileSystems`],
//! which writes the profile), so what the game writes in [`Update`] is answered in the same
//! frame and read by the game's systems in the next one.
//!
//! # Usage
//!
//! ```
//! use bevy::prelude::*;
//! use kansei_recommend::plugin::{PlayRecorded, Recommendations, RecommendPlugin};
//!
//! let mut app = App::new();
//! app.add_plugins((MinimalPlugins, RecommendPlugin::default()))
//!     .add_systems(Update, (play_a_game, show_row));
//! app.update();
//! app.update();
//!
//! fn play_a_game(mut plays: MessageWriter<PlayRecorded>, mut done: Local<bool>) {
//!     if !*done {
//!         // The player launched "Ember Saga: The Ashen Crown" from the library screen.
//!         plays.write(PlayRecorded(1));
//!         *done = true;
//!     }
//! }
//!
//! fn show_row(recommendations: Res<Recommendations>) {
//!     for pick in recommendations.items() {
//!         // e.g. "Ember Saga II: Cinderfall (because you played Ember Saga: The Ashen Crown)"
//!         info!("{} ({})", pick.name, pick.reason);
//!     }
//! }
//! ```
//!
//! # Defaults
//!
//! [`RecommendPlugin::default`] recommends from the demo game library
//! ([`CatalogueSource::Library`], `assets/recommend/library.catalogue.ron`, built in) with the
//! sequential model trained on it ([`DEFAULT_MODEL_PATH`], read at start relative to the working
//! directory), the top [`DEFAULT_K`] (10), no re-ranker and no saved profile: the plays are kept
//! in memory for the run. A game sets its own catalogue and model. A model that cannot be loaded
//! or does not match the catalogue is reported once with a warning and replaced by popularity
//! over the catalogue (its games' `plays`); the game keeps running.

mod messages;
mod resources;
mod systems;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use bevy::log::{info_span, warn};
use bevy::prelude::*;
use kansei_player::plugin::{SavedProfile, SavedProfilePlugin, SavedProfileSystems};

pub use kansei_player::plugin::ProfileLocation;
pub use messages::{ForgetPlayerHistory, PlayRecorded, RecommendationsUpdated, SetPersonalisation};
pub use resources::{PreferredTags, RecommendState, Recommendations};

use crate::catalogue::Catalogue;
use crate::engine::RecommendEngine;
use crate::error::RecommendError;
use crate::model::Recommender;
use crate::model::popular::Popular;
use crate::model::sequential::SequentialModel;
use crate::rerank::RerankConfig;

/// The sequential model trained on the demo library, relative to the working directory (the
/// repository root for the examples).
pub const DEFAULT_MODEL_PATH: &str = "assets/models/kansei-recommend-library.safetensors";

/// Recommendations kept by [`RecommendPlugin::default`].
pub const DEFAULT_K: usize = 10;

/// Which model scores the games.
#[derive(Clone)]
pub enum ModelSource {
    /// A sequential model file (and its `.model.ron` card), loaded and checked at start.
    File(PathBuf),
    /// A model the game built or loaded itself (e.g. a
    /// [`Markov`](crate::model::markov::Markov) fitted on its own data).
    Model(Arc<dyn Recommender>),
    /// The catalogue's most played games (its items' `plays`), for everyone: no model file.
    Popularity,
}

impl fmt::Debug for ModelSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Model(model) => f.debug_tuple("Model").field(&model.name()).finish(),
            Self::Popularity => f.write_str("Popularity"),
        }
    }
}

impl Default for ModelSource {
    /// [`DEFAULT_MODEL_PATH`].
    fn default() -> Self {
        Self::File(PathBuf::from(DEFAULT_MODEL_PATH))
    }
}

/// What can be recommended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CatalogueSource {
    /// The demo game library, built in ([`demo::library_catalogue`](crate::demo::library_catalogue)).
    #[default]
    Library,
    /// A catalogue file (see [`Catalogue::load`]), read at start.
    File(PathBuf),
    /// A catalogue the game built.
    Catalogue(Catalogue),
}

/// Recommendations for the local player (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct RecommendPlugin {
    /// The model. Default [`ModelSource::File`] at [`DEFAULT_MODEL_PATH`]; one that cannot be
    /// used is replaced by [`ModelSource::Popularity`] with a warning.
    pub model: ModelSource,
    /// The games. Default [`CatalogueSource::Library`]. One that cannot be read is reported
    /// with a warning and nothing is recommended.
    pub catalogue: CatalogueSource,
    /// Where to keep the player's profile (plays and consent). Default `None`: the plays are
    /// kept in memory for this run, unless another Kansei plugin was given a location (the
    /// profile is shared). With a location the profile is loaded at start and saved atomically
    /// after every recorded play and consent change.
    pub profile: Option<ProfileLocation>,
    /// How many recommendations to keep, best first. Default [`DEFAULT_K`] (10).
    pub k: usize,
    /// The long-tail re-ranker (more exposure for rarely played games). Default `None`.
    pub rerank: Option<RerankConfig>,
}

impl Default for RecommendPlugin {
    fn default() -> Self {
        Self {
            model: ModelSource::default(),
            catalogue: CatalogueSource::default(),
            profile: None,
            k: DEFAULT_K,
            rerank: None,
        }
    }
}

impl RecommendPlugin {
    /// Loads the catalogue and the model, falling back to popularity (see the
    /// [module docs](self)). Returns the engine and why it fell back, if it did.
    pub fn load(&self) -> (RecommendEngine, Option<String>) {
        let _span = info_span!("kansei_recommend::load").entered();
        let mut problems = Vec::new();
        let catalogue = match &self.catalogue {
            CatalogueSource::Library => crate::demo::library_catalogue(),
            CatalogueSource::File(path) => Catalogue::load(path).unwrap_or_else(|error| {
                problems.push(format!("cannot read the catalogue: {error}"));
                Catalogue::default()
            }),
            CatalogueSource::Catalogue(catalogue) => catalogue.clone(),
        };
        let model: Result<Box<dyn Recommender>, RecommendError> = match &self.model {
            ModelSource::File(path) => SequentialModel::load(path)
                .map(|model| Box::new(model) as Box<dyn Recommender>)
                .map_err(|error| {
                    RecommendError::Invalid(format!(
                        "cannot load the model {}: {error}",
                        path.display()
                    ))
                }),
            ModelSource::Model(model) => Ok(Box::new(Shared(model.clone()))),
            ModelSource::Popularity => Ok(popularity(&catalogue)),
        };
        let engine = model
            .and_then(|model| RecommendEngine::new(model, catalogue.clone()))
            .unwrap_or_else(|error| {
                problems.push(error.to_string());
                popularity_engine(catalogue)
            });
        let fallback = (!problems.is_empty()).then(|| problems.join("; "));
        if let Some(why) = &fallback {
            warn!(
                "kansei_recommend: {why}; recommending the catalogue's most played games instead"
            );
        }
        (engine.with_reranker(self.rerank), fallback)
    }
}

/// Popularity over `catalogue`: its items' plays.
fn popularity(catalogue: &Catalogue) -> Box<dyn Recommender> {
    Box::new(Popular::from_counts(catalogue.play_counts()))
}

fn popularity_engine(catalogue: Catalogue) -> RecommendEngine {
    let model = popularity(&catalogue);
    RecommendEngine::new(model, catalogue)
        // `play_counts` has one entry per id up to the largest, so the sizes always match.
        .expect("a popularity model over a catalogue matches it")
}

/// A model shared with the game.
struct Shared(Arc<dyn Recommender>);

impl Recommender for Shared {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn num_items(&self) -> u32 {
        self.0.num_items()
    }

    fn score_into(&self, history: &[u32], scores: &mut [f32]) -> Result<(), RecommendError> {
        self.0.score_into(history, scores)
    }

    fn item_similarity(&self, a: u32, b: u32) -> Option<f32> {
        self.0.item_similarity(a, b)
    }

    fn score_batch(&self, histories: &[&[u32]]) -> Result<Vec<Vec<f32>>, RecommendError> {
        self.0.score_batch(histories)
    }
}

/// The plugin's systems, in [`PostUpdate`] before [`SavedProfileSystems`]; order the game's
/// systems against it if they must see this frame's answers.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecommendSystems;

impl Plugin for RecommendPlugin {
    fn build(&self, app: &mut App) {
        // A save folder that cannot be used must not stop the game: `SavedProfilePlugin` warns
        // and the plays are kept in memory.
        if let Some(location) = &self.profile {
            app.add_plugins(SavedProfilePlugin(location.clone()));
        }
        let (engine, fallback) = self.load();
        let state = RecommendState::new(engine, self.k, fallback);
        // The first answer is ready before the first frame; the game's tags arrive later.
        let unsaved = resources::UnsavedProfile::default();
        let profile = app
            .world()
            .get_resource::<SavedProfile>()
            .map_or(&unsaved.0, SavedProfile::profile);
        let profile_consent = profile.consent.personalisation;
        let history: Vec<u32> = profile
            .plays()
            .filter(|&id| profile_consent && state.catalogue().contains(id))
            .collect();
        let tags = app
            .world()
            .get_resource::<PreferredTags>()
            .cloned()
            .unwrap_or_default();
        let (items, personalised) = systems::compute(&state, &history, &tags, &mut false);
        app.insert_resource(state)
            .insert_resource(Recommendations::new(
                items,
                personalised,
                profile_consent,
                history,
            ))
            .insert_resource(unsaved)
            .init_resource::<PreferredTags>()
            .add_message::<PlayRecorded>()
            .add_message::<ForgetPlayerHistory>()
            .add_message::<SetPersonalisation>()
            .add_message::<RecommendationsUpdated>()
            // What this frame recorded is saved at its end.
            .configure_sets(PostUpdate, RecommendSystems.before(SavedProfileSystems))
            .add_systems(
                PostUpdate,
                (
                    systems::apply_consent,
                    systems::forget_history,
                    systems::record_plays,
                    systems::refresh,
                )
                    .chain()
                    .in_set(RecommendSystems),
            );
    }
}
