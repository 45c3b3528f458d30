//! `RecommendPlugin` in a headless app (`MinimalPlugins`) over the demo game library: plays in,
//! explained recommendations out; unknown ids, opting out, forgetting (on disk too), a missing
//! model, and the profile shared with the difficulty plugin.

use std::sync::Arc;

use bevy::prelude::*;
use bevy_kansei::difficulty::plugin::{DifficultyPlugin, DifficultyState};
use bevy_kansei::player::ProfileStore;
use bevy_kansei::player::plugin::{ProfileLocation, SavedProfile};
use bevy_kansei::recommend::{
    Reason,
    demo::{library_catalogue, simulated_plays},
    model::markov::Markov,
    plugin::{
        ForgetPlayerHistory, ModelSource, PlayRecorded, PreferredTags, RecommendPlugin,
        RecommendState, Recommendations, RecommendationsUpdated, SetPersonalisation,
    },
};

/// Ember Saga: The Ashen Crown, the first of a series of three.
const EMBER_SAGA: u32 = 1;
const EMBER_SAGA_II: u32 = 2;

/// Every `RecommendationsUpdated` seen, in order.
#[derive(Resource, Default)]
struct Seen(Vec<RecommendationsUpdated>);

fn collect(mut seen: ResMut<Seen>, mut updates: MessageReader<RecommendationsUpdated>) {
    seen.0.extend(updates.read().cloned());
}

/// A Markov model fitted on simulated players of the library (the sequential model needs a
/// trained file).
fn markov() -> ModelSource {
    let data = simulated_plays(1_000, 11);
    let model = Markov::fit(&data.users, library_catalogue().max_id()).expect("fits");
    ModelSource::Model(Arc::new(model))
}

fn app_with(plugin: RecommendPlugin) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, plugin))
        .init_resource::<Seen>()
        .add_systems(Last, collect);
    app.update();
    app
}

fn app() -> App {
    app_with(RecommendPlugin {
        model: markov(),
        ..default()
    })
}

fn play(app: &mut App, item: u32) {
    app.world_mut().write_message(PlayRecorded(item));
    app.update();
}

fn recommendations(app: &App) -> &Recommendations {
    app.world().resource::<Recommendations>()
}

fn ids(app: &App) -> Vec<u32> {
    recommendations(app)
        .items()
        .iter()
        .map(|r| r.item)
        .collect()
}

fn in_profile(dir: &std::path::Path) -> RecommendPlugin {
    RecommendPlugin {
        model: markov(),
        profile: Some(ProfileLocation::new(dir, "p1")),
        ..default()
    }
}

fn plays_on_disk(dir: &std::path::Path) -> Vec<u32> {
    let store = ProfileStore::open(dir).expect("store");
    let loaded = store.load("p1").expect("load");
    assert!(loaded.issue.is_none(), "{:?}", loaded.issue);
    loaded.profile.plays().collect()
}

#[test]
fn a_play_changes_the_recommendations_in_the_same_frame_with_a_reason() {
    let mut app = app();
    // Before any play: the most played games, ready before the first frame.
    assert!(!recommendations(&app).personalised());
    assert_eq!(recommendations(&app).items().len(), 10);
    assert!(
        recommendations(&app)
            .items()
            .iter()
            .all(|r| r.reason == Reason::Popular)
    );
    let before = ids(&app);
    play(&mut app, EMBER_SAGA);
    let after = recommendations(&app);
    assert!(after.personalised());
    assert_ne!(ids(&app), before);
    let first = &after.items()[0];
    assert_eq!(first.item, EMBER_SAGA_II, "the sequel comes first");
    assert_eq!(
        first.reason.to_string(),
        "because you played Ember Saga: The Ashen Crown"
    );
    assert!(
        !ids(&app).contains(&EMBER_SAGA),
        "played games are left out"
    );
    let seen = &app.world().resource::<Seen>().0;
    let last = seen.last().expect("announced");
    assert!(last.personalised);
    assert_eq!(last.recommendations, after.items());

    // The next play is used at once too.
    play(&mut app, EMBER_SAGA_II);
    assert_eq!(ids(&app)[0], 3, "then the third part");
    assert!(!ids(&app).contains(&EMBER_SAGA_II));
}

#[test]
fn unknown_ids_are_counted_and_change_nothing() {
    let mut app = app();
    let before = recommendations(&app).clone();
    for item in [999, 0, 49, 999] {
        app.world_mut().write_message(PlayRecorded(item));
    }
    app.update();
    let state = app.world().resource::<RecommendState>();
    assert_eq!(state.unknown_plays(), 4);
    assert_eq!(state.model_name(), "markov");
    assert_eq!(recommendations(&app), &before);
    // A good play in the same frame as a bad one still counts.
    app.world_mut().write_message(PlayRecorded(999));
    play(&mut app, EMBER_SAGA);
    assert_eq!(app.world().resource::<RecommendState>().unknown_plays(), 5);
    assert!(recommendations(&app).personalised());
}

#[test]
fn opting_out_gives_cold_start_picks_and_records_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = app_with(in_profile(dir.path()));
    play(&mut app, EMBER_SAGA);
    assert!(recommendations(&app).personalised());
    app.insert_resource(PreferredTags(vec!["puzzle".to_owned()]));
    app.world_mut().write_message(SetPersonalisation(false));
    app.update();
    let picks = recommendations(&app);
    assert!(!picks.personalised());
    let catalogue = library_catalogue();
    for pick in &picks.items()[..3] {
        assert_eq!(pick.reason.to_string(), "popular in puzzle");
        let tags = &catalogue.get(pick.item).expect("known").tags;
        assert!(tags.iter().any(|t| t == "puzzle"), "{tags:?}");
    }
    // Plays while opted out are not recorded, in memory or on disk; the choice is saved.
    play(&mut app, 20);
    play(&mut app, 21);
    let saved = app.world().resource::<SavedProfile>().profile();
    assert_eq!(saved.plays().collect::<Vec<_>>(), vec![EMBER_SAGA]);
    assert!(!saved.consent.personalisation);
    assert_eq!(plays_on_disk(dir.path()), vec![EMBER_SAGA]);
    assert!(!recommendations(&app).personalised());

    // The choice survives a restart; switching back on uses the plays kept.
    drop(app);
    let mut app = app_with(in_profile(dir.path()));
    assert!(!recommendations(&app).personalised());
    app.world_mut().write_message(SetPersonalisation(true));
    app.update();
    assert!(recommendations(&app).personalised());
    assert_eq!(ids(&app)[0], EMBER_SAGA_II);
}

#[test]
fn forgetting_removes_the_plays_from_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = app_with(in_profile(dir.path()));
    for item in [EMBER_SAGA, EMBER_SAGA_II, 30] {
        play(&mut app, item);
    }
    assert_eq!(
        plays_on_disk(dir.path()),
        vec![EMBER_SAGA, EMBER_SAGA_II, 30]
    );
    // A copy set aside earlier holds plays too: forgetting deletes it.
    let aside = dir.path().join("p1.corrupt-1.ron");
    std::fs::copy(dir.path().join("p1.ron"), &aside).expect("copy");

    app.world_mut().write_message(ForgetPlayerHistory);
    app.update();
    assert_eq!(plays_on_disk(dir.path()), Vec::<u32>::new());
    assert!(!aside.exists());
    let text = std::fs::read_to_string(dir.path().join("p1.ron")).expect("profile file");
    assert!(text.contains("plays: []"), "{text}");
    assert!(!recommendations(&app).personalised());
    assert_eq!(
        app.world()
            .resource::<SavedProfile>()
            .profile()
            .plays()
            .len(),
        0
    );

    // A restart finds nothing either.
    drop(app);
    let app = app_with(in_profile(dir.path()));
    assert!(!recommendations(&app).personalised());
}

#[test]
fn a_missing_model_falls_back_to_popularity() {
    let app = app_with(RecommendPlugin {
        model: ModelSource::File("no/such/model.safetensors".into()),
        ..default()
    });
    let state = app.world().resource::<RecommendState>();
    assert_eq!(state.model_name(), "popular");
    let why = state.fallback().expect("reported");
    assert!(why.contains("no/such/model.safetensors"), "{why}");
    // The catalogue's most played games, most played first.
    let catalogue = library_catalogue();
    let plays: Vec<u32> = ids(&app)
        .iter()
        .map(|&id| catalogue.get(id).expect("known").plays)
        .collect();
    assert_eq!(plays.len(), 10);
    assert!(plays.windows(2).all(|w| w[0] >= w[1]), "{plays:?}");
    let most = catalogue.items().iter().map(|i| i.plays).max();
    assert_eq!(plays.first().copied(), most);
}

#[test]
fn the_difficulty_and_recommendation_plugins_share_one_profile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let location = ProfileLocation::new(dir.path(), "p1");
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        DifficultyPlugin {
            profile: Some(location.clone()),
            ..default()
        },
        RecommendPlugin {
            model: markov(),
            profile: Some(location),
            ..default()
        },
    ));
    app.update();
    play(&mut app, EMBER_SAGA);
    app.world_mut()
        .write_message(bevy_kansei::difficulty::plugin::EncounterFinished(
            bevy_kansei::player::EncounterOutcome {
                difficulty: 0.5,
                success: true,
                seconds: 30.0,
                ..default()
            },
        ));
    app.update();
    let store = ProfileStore::open(dir.path()).expect("store");
    let on_disk = store.load("p1").expect("load").profile;
    assert_eq!(on_disk.plays().collect::<Vec<_>>(), vec![EMBER_SAGA]);
    assert_eq!(on_disk.outcomes().len(), 1);

    // Personalisation switched off on the recommendations screen reaches the difficulty plugin.
    app.world_mut().write_message(SetPersonalisation(false));
    app.update();
    app.update();
    let state = app.world().resource::<DifficultyState>();
    assert!(!state.session().consent().personalisation);
    assert!(state.adaptive(), "the other choice is untouched");
    assert!(
        !store
            .load("p1")
            .expect("load")
            .profile
            .consent
            .personalisation
    );

    // Forgetting the player keeps their consent and starts the difficulty over.
    app.world_mut()
        .resource_mut::<SavedProfile>()
        .forget_player()
        .expect("forgotten");
    app.update();
    let on_disk = store.load("p1").expect("load").profile;
    assert_eq!(on_disk.plays().len(), 0);
    assert_eq!(on_disk.outcomes().len(), 0);
    assert!(!on_disk.consent.personalisation);
    let state = app.world().resource::<DifficultyState>();
    assert_eq!(state.session().recorded(), 0);
}
