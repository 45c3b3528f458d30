//! The plugin's systems, run in order in [`PostUpdate`].

use bevy::log::{info_span, warn};
use bevy::prelude::*;

use super::messages::{
    ForgetPlayerHistory, PlayRecorded, RecommendationsUpdated, SetPersonalisation,
};
use super::resources::{PreferredTags, Profile, ProfileRef, RecommendState, Recommendations};
use crate::engine::Recommendation;
use kansei_player::PlayerProfile;

/// Applies the player's personalisation choice to the profile (the last of the frame wins).
pub(super) fn apply_consent(mut choices: MessageReader<SetPersonalisation>, mut profile: Profile) {
    let Some(&SetPersonalisation(on)) = choices.read().last() else {
        return;
    };
    if profile.get().consent.personalisation != on {
        profile.get_mut().consent.personalisation = on;
        info!(
            "kansei_recommend: personalisation {}",
            if on {
                "on"
            } else {
                "off: cold-start picks only, no play recorded"
            }
        );
    }
}

/// Forgets the plays, in memory and on disk.
pub(super) fn forget_history(mut forget: MessageReader<ForgetPlayerHistory>, mut profile: Profile) {
    if forget.read().count() == 0 {
        return;
    }
    let plays = profile.get().plays().len();
    match profile.forget_plays() {
        Ok(()) => info!("kansei_recommend: forgot the player's {plays} plays"),
        Err(error) => warn!(
            "kansei_recommend: forgot the player's plays in memory, but the profile on disk could \
             not be rewritten ({error}); it is saved again at the end of the frame"
        ),
    }
}

/// Records plays into the profile (with consent), refusing ids the catalogue does not hold.
pub(super) fn record_plays(
    mut plays: MessageReader<PlayRecorded>,
    mut state: ResMut<RecommendState>,
    mut profile: Profile,
    mut warned: Local<bool>,
) {
    for &PlayRecorded(item) in plays.read() {
        if !state.catalogue().contains(item) {
            state.count_unknown_play();
            if !*warned {
                *warned = true;
                warn!(
                    "kansei_recommend: PlayRecorded({item}) names no game of the catalogue ({} \
                     games, ids up to {}); ignored, and counted in RecommendState::unknown_plays \
                     (warning once)",
                    state.catalogue().len(),
                    state.catalogue().max_id()
                );
            }
            continue;
        }
        // Checked first so that a saved profile is not marked changed for nothing.
        if profile.get().consent.personalisation {
            profile.get_mut().record_play(item);
        }
    }
}

/// What the recommendations were last computed from.
#[derive(Default, PartialEq)]
pub(super) struct Inputs {
    personalisation: bool,
    history: Vec<u32>,
}

/// Recomputes the recommendations when their inputs changed and announces them.
#[expect(clippy::too_many_arguments, reason = "a Bevy system")]
pub(super) fn refresh(
    state: Res<RecommendState>,
    profile: ProfileRef,
    tags: Res<PreferredTags>,
    mut recommendations: ResMut<Recommendations>,
    mut updated: MessageWriter<RecommendationsUpdated>,
    mut last: Local<Option<Inputs>>,
    mut warned_stale: Local<bool>,
    mut warned_failed: Local<bool>,
) {
    let profile = profile.get();
    let personalisation = profile.consent.personalisation;
    let history = if personalisation {
        history(&state, profile, &mut warned_stale)
    } else {
        Vec::new()
    };
    let inputs = Inputs {
        personalisation,
        history,
    };
    if last.as_ref() == Some(&inputs) && !tags.is_changed() && !state.is_changed() {
        return;
    }
    let _span = info_span!("kansei_recommend::refresh").entered();
    let (items, personalised) = compute(&state, &inputs.history, &tags, &mut warned_failed);
    let new = Recommendations::new(
        items,
        personalised,
        inputs.personalisation,
        inputs.history.clone(),
    );
    if *recommendations != new {
        updated.write(RecommendationsUpdated {
            recommendations: new.items().to_vec(),
            personalised,
        });
        *recommendations = new;
    }
    *last = Some(inputs);
}

/// The player's plays the catalogue holds, oldest first; plays of games no longer in the
/// catalogue (a profile from an older catalogue) are left out with one warning.
fn history(state: &RecommendState, profile: &PlayerProfile, warned: &mut bool) -> Vec<u32> {
    let catalogue = state.catalogue();
    let history: Vec<u32> = profile
        .plays()
        .filter(|&id| catalogue.contains(id))
        .collect();
    if history.len() != profile.plays().len() && !*warned {
        *warned = true;
        warn!(
            "kansei_recommend: {} of the player's plays name games the catalogue does not hold \
             (a profile from another catalogue?); they are not used",
            profile.plays().len() - history.len()
        );
    }
    history
}

/// The top-k for `history` (cold-start picks when it is empty or the model fails), and
/// whether they are personalised.
pub(super) fn compute(
    state: &RecommendState,
    history: &[u32],
    tags: &PreferredTags,
    warned: &mut bool,
) -> (Vec<Recommendation>, bool) {
    let engine = state.engine();
    if !history.is_empty() {
        match engine.recommend(history, state.k()) {
            Ok(items) => return (items, true),
            Err(error) => {
                if !*warned {
                    *warned = true;
                    warn!(
                        "kansei_recommend: the model could not score the player's history \
                         ({error}); showing cold-start picks (warning once)"
                    );
                }
            }
        }
    }
    let tags: Vec<&str> = tags.0.iter().map(String::as_str).collect();
    (engine.cold_start(&tags, state.k()), false)
}
