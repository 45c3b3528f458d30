//! The resources games read and write, and where the plays are kept.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use kansei_player::plugin::SavedProfile;
use kansei_player::{PlayerProfile, StoreError};

use crate::catalogue::Catalogue;
use crate::engine::{RecommendEngine, Recommendation};

/// The local player's current recommendations, best first, each with a reason the player can
/// read (`recommendation.reason.to_string()`, e.g. "because you played Ember Saga").
/// Recomputed in [`PostUpdate`] whenever the plays, the consent or the [`PreferredTags`] change.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct Recommendations {
    items: Vec<Recommendation>,
    personalised: bool,
    consent: bool,
    history: Vec<u32>,
}

impl Recommendations {
    pub(super) fn new(
        items: Vec<Recommendation>,
        personalised: bool,
        consent: bool,
        history: Vec<u32>,
    ) -> Self {
        Self {
            items,
            personalised,
            consent,
            history,
        }
    }

    /// The top-k (at most [`RecommendPlugin::k`](super::RecommendPlugin::k)), best first.
    pub fn items(&self) -> &[Recommendation] {
        &self.items
    }

    /// Whether they come from the player's plays; `false` for cold-start picks (no plays yet, or
    /// personalisation switched off).
    pub fn personalised(&self) -> bool {
        self.personalised
    }

    /// Whether the player consents to personalisation (the profile's
    /// [`Consent::personalisation`](kansei_player::Consent::personalisation)), for a settings
    /// toggle.
    pub fn consent(&self) -> bool {
        self.consent
    }

    /// The plays they were computed from, oldest first: the profile's plays of games in the
    /// catalogue, or none without consent.
    pub fn history(&self) -> &[u32] {
        &self.history
    }
}

/// The genres or other catalogue tags the player said they like (e.g. on an onboarding
/// screen), best liked first: a player without plays, or without consent to personalisation,
/// gets the most played games carrying these tags first, then the most played overall.
/// Default: none. Tags match case-insensitively.
#[derive(Resource, Debug, Clone, Default, PartialEq, Eq)]
pub struct PreferredTags(pub Vec<String>);

/// The recommender in use: the model, the catalogue and what went wrong loading them.
#[derive(Resource, Debug)]
pub struct RecommendState {
    engine: RecommendEngine,
    k: usize,
    fallback: Option<String>,
    unknown_plays: u64,
}

impl RecommendState {
    pub(super) fn new(engine: RecommendEngine, k: usize, fallback: Option<String>) -> Self {
        Self {
            engine,
            k,
            fallback,
            unknown_plays: 0,
        }
    }

    /// The engine: the model, the catalogue and the re-ranker, e.g. to
    /// [`explain`](RecommendEngine::explain) an item the player looks at.
    pub fn engine(&self) -> &RecommendEngine {
        &self.engine
    }

    /// The catalogue (empty if the configured one could not be read).
    pub fn catalogue(&self) -> &Catalogue {
        self.engine.catalogue()
    }

    /// The model in use (`sequential`, `markov`, `popular`, ...).
    pub fn model_name(&self) -> &str {
        self.engine.model().name()
    }

    /// Why the configured model or catalogue is not in use (the plugin then recommends the
    /// catalogue's most played items), in words; `None` when everything loaded.
    pub fn fallback(&self) -> Option<&str> {
        self.fallback.as_deref()
    }

    /// How many recommendations are kept.
    pub fn k(&self) -> usize {
        self.k
    }

    /// [`PlayRecorded`](super::PlayRecorded) messages refused for an id the catalogue does not
    /// hold.
    pub fn unknown_plays(&self) -> u64 {
        self.unknown_plays
    }

    pub(super) fn count_unknown_play(&mut self) {
        self.unknown_plays += 1;
    }
}

/// The player's profile when no [`SavedProfile`] exists (no plugin was given a location): kept
/// in memory for this run only.
#[derive(Resource, Debug, Clone)]
pub(super) struct UnsavedProfile(pub(super) PlayerProfile);

impl Default for UnsavedProfile {
    fn default() -> Self {
        Self(PlayerProfile::new("local"))
    }
}

/// The player's profile, wherever it is kept: the shared [`SavedProfile`] when there is one,
/// otherwise this plugin's [`UnsavedProfile`].
#[derive(SystemParam)]
pub(super) struct Profile<'w> {
    saved: Option<ResMut<'w, SavedProfile>>,
    unsaved: ResMut<'w, UnsavedProfile>,
}

impl Profile<'_> {
    pub(super) fn get(&self) -> &PlayerProfile {
        match &self.saved {
            Some(saved) => saved.profile(),
            None => &self.unsaved.0,
        }
    }

    /// The profile, to change (a saved one is saved at the end of the frame).
    pub(super) fn get_mut(&mut self) -> &mut PlayerProfile {
        match &mut self.saved {
            Some(saved) => saved.profile_mut(),
            None => &mut self.unsaved.0,
        }
    }

    /// Forgets the plays, on disk too when the profile is saved.
    pub(super) fn forget_plays(&mut self) -> Result<(), StoreError> {
        match &mut self.saved {
            Some(saved) => saved.forget_plays().map(drop),
            None => {
                self.unsaved.0.forget_plays();
                Ok(())
            }
        }
    }
}

/// [`Profile`], read only.
#[derive(SystemParam)]
pub(super) struct ProfileRef<'w> {
    saved: Option<Res<'w, SavedProfile>>,
    unsaved: Res<'w, UnsavedProfile>,
}

impl ProfileRef<'_> {
    pub(super) fn get(&self) -> &PlayerProfile {
        match &self.saved {
            Some(saved) => saved.profile(),
            None => &self.unsaved.0,
        }
    }
}
