//! `DifficultyPlugin` in a headless app (`MinimalPlugins`): encounters in, explained changes and
//! knob values out; opting out, competitive mode, bad telemetry, and the pacing director.

use std::time::Duration;

use bevy::{prelude::*, time::TimeUpdateStrategy};
use bevy_kansei::difficulty::{
    director::{DirectorConfig, Phase},
    knobs::DifficultyKnobs,
    plugin::{
        CompetitiveMode, DifficultyChanged, DifficultyKnobValues, DifficultyPlugin,
        DifficultyState, EncounterFinished, Pacing, PacingEvent, PhaseChanged, ProfileLocation,
        SavedProfile,
    },
    session::{COMPETITIVE_REASON, ChangeCause, OPTED_OUT_REASON},
};
use bevy_kansei::player::{EncounterOutcome, ProfileStore};

/// Every `DifficultyChanged` and `PhaseChanged` seen, in order.
#[derive(Resource, Default)]
struct Seen {
    changes: Vec<DifficultyChanged>,
    phases: Vec<PhaseChanged>,
}

fn collect(
    mut seen: ResMut<Seen>,
    mut changes: MessageReader<DifficultyChanged>,
    mut phases: MessageReader<PhaseChanged>,
) {
    seen.changes.extend(changes.read().cloned());
    seen.phases.extend(phases.read().cloned());
}

fn app() -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, DifficultyPlugin::default()))
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(
            100,
        )))
        .init_resource::<Seen>()
        .add_systems(Last, collect);
    app.update();
    app
}

fn knob(app: &App, name: &str) -> f32 {
    app.world()
        .resource::<DifficultyKnobValues>()
        .get(name)
        .expect("declared knob")
}

fn difficulty(app: &App) -> f32 {
    app.world().resource::<DifficultyState>().difficulty()
}

/// One encounter at the difficulty in force, reported as a message, then one frame.
fn encounter(app: &mut App, success: bool) {
    let played = app.world().resource::<DifficultyKnobValues>().difficulty();
    app.world_mut()
        .write_message(EncounterFinished(EncounterOutcome {
            difficulty: played,
            success,
            seconds: 20.0,
            damage_taken: if success { 10.0 } else { 100.0 },
            ..default()
        }));
    app.update();
}

fn changes(app: &App) -> &[DifficultyChanged] {
    &app.world().resource::<Seen>().changes
}

#[test]
fn failures_make_the_knobs_easier_with_an_explained_change() {
    let mut app = app();
    assert_eq!(knob(&app, "enemy_damage"), 1.0);
    assert_eq!(difficulty(&app), 0.5);
    for _ in 0..5 {
        encounter(&mut app, false);
    }
    assert!(knob(&app, "enemy_damage") < 1.0);
    assert!(knob(&app, "time_limit_s") > 120.0);
    assert!(difficulty(&app) < 0.5);
    let changes = changes(&app);
    assert!(!changes.is_empty());
    for change in changes {
        assert_eq!(change.cause, ChangeCause::Adapted);
        assert!(change.to < change.from);
        // "1 failure in the last 1 encounter", then "2 failures in the last 2 encounters"...
        assert!(change.reason.contains(" in the last "), "{}", change.reason);
        assert!(change.reason.contains("failure"), "{}", change.reason);
    }
    let last = changes.last().expect("changed");
    assert!(
        last.reason.contains("failures in the last"),
        "{}",
        last.reason
    );
    assert_eq!(last.to, difficulty(&app));
    assert_eq!(
        last.knobs.get("enemy_damage"),
        Some(knob(&app, "enemy_damage"))
    );
    let state = app.world().resource::<DifficultyState>();
    assert_eq!(state.explanation(), Some(last.reason.as_str()));
    assert_eq!(state.tier().name, "Normal");
}

#[test]
fn opting_out_returns_to_the_default_at_once_and_stays_there() {
    let mut app = app();
    for _ in 0..4 {
        encounter(&mut app, false);
    }
    assert!(difficulty(&app) < 0.5);
    app.world_mut()
        .resource_mut::<DifficultyState>()
        .set_adaptive(false);
    app.update();
    assert_eq!(difficulty(&app), 0.5);
    assert_eq!(knob(&app, "enemy_damage"), 1.0);
    let last = changes(&app).last().expect("changed back").clone();
    assert_eq!(last.cause, ChangeCause::OptedOut);
    assert_eq!(last.reason, OPTED_OUT_REASON);
    assert_eq!(last.to, 0.5);
    let count = changes(&app).len();
    for success in [false, false, false, true, true, true, true, true, true] {
        encounter(&mut app, success);
        assert_eq!(difficulty(&app), 0.5);
        assert_eq!(knob(&app, "enemy_damage"), 1.0);
    }
    assert_eq!(changes(&app).len(), count);
    assert!(!app.world().resource::<DifficultyState>().adaptive());
}

#[test]
fn competitive_mode_never_adapts() {
    let mut app = app();
    app.world_mut().insert_resource(CompetitiveMode);
    app.update();
    for _ in 0..8 {
        encounter(&mut app, false);
    }
    assert_eq!(difficulty(&app), 0.5);
    assert_eq!(knob(&app, "enemy_damage"), 1.0);
    assert!(changes(&app).is_empty());
    assert!(app.world().resource::<DifficultyState>().competitive());

    // Leaving competitive mode lets adaptation resume; entering it again returns to default.
    app.world_mut().remove_resource::<CompetitiveMode>();
    encounter(&mut app, false);
    assert!(difficulty(&app) < 0.5);
    app.world_mut().insert_resource(CompetitiveMode);
    app.update();
    assert_eq!(difficulty(&app), 0.5);
    let last = changes(&app).last().expect("changed back");
    assert_eq!(last.cause, ChangeCause::Competitive);
    assert_eq!(last.reason, COMPETITIVE_REASON);
}

#[test]
fn nan_telemetry_is_refused_and_counted() {
    let mut app = app();
    for _ in 0..3 {
        app.world_mut()
            .write_message(EncounterFinished(EncounterOutcome {
                difficulty: 0.5,
                success: false,
                seconds: f32::NAN,
                ..default()
            }));
    }
    app.world_mut()
        .write_message(EncounterFinished(EncounterOutcome {
            difficulty: 0.5,
            damage_taken: -3.0,
            ..default()
        }));
    app.update();
    let state = app.world().resource::<DifficultyState>();
    assert_eq!(state.rejected().not_finite, 3);
    assert_eq!(state.rejected().negative, 1);
    assert_eq!(state.session().recorded(), 0);
    assert_eq!(difficulty(&app), 0.5);
    assert!(changes(&app).is_empty());
}

#[test]
fn sustained_damage_drives_the_director_to_peak() {
    let mut app = app();
    assert_eq!(app.world().resource::<Pacing>().phase(), Phase::BuildUp);
    app.world_mut().resource_mut::<Pacing>().engaged = true;
    for _ in 0..10 {
        app.world_mut().write_message(PacingEvent::Damage {
            fraction: 0.1,
            health_left: 0.6,
        });
        app.update();
        if app.world().resource::<Pacing>().phase() == Phase::Peak {
            break;
        }
    }
    let pacing = app.world().resource::<Pacing>();
    assert_eq!(pacing.phase(), Phase::Peak);
    assert!(pacing.intensity() >= 0.8);
    assert!(pacing.spawns_allowed());
    let phases = &app.world().resource::<Seen>().phases;
    assert_eq!(phases.len(), 1);
    assert_eq!(phases[0].0.to, Phase::Peak);
    assert!(
        phases[0].0.reason.starts_with("peak for"),
        "{}",
        phases[0].0.reason
    );

    // Out-of-range events are refused and counted, never used.
    let before = app.world().resource::<Pacing>().intensity();
    app.world_mut().write_message(PacingEvent::Damage {
        fraction: f32::NAN,
        health_left: 0.5,
    });
    app.world_mut()
        .write_message(PacingEvent::Kill { distance_m: -1.0 });
    app.update();
    let pacing = app.world().resource::<Pacing>();
    assert_eq!(pacing.rejected_events(), 2);
    assert_eq!(pacing.intensity(), before);
}

#[test]
fn the_shipped_files_load_and_match_the_defaults() {
    let plugin = DifficultyPlugin::from_ron_files(
        "assets/difficulty/knobs.ron",
        "assets/difficulty/director.ron",
    )
    .expect("shipped files load");
    assert_eq!(plugin.knobs, DifficultyKnobs::default());
    assert_eq!(plugin.director, DirectorConfig::default());
    let error = DifficultyPlugin::from_ron_files("assets/difficulty/nope.ron", "x.ron")
        .err()
        .expect("missing file");
    assert!(
        error
            .to_string()
            .starts_with("cannot read assets/difficulty/nope.ron"),
        "{error}"
    );
}

#[test]
#[should_panic(expected = "unknown tier `Nightmare`")]
fn an_unknown_tier_is_reported_when_the_plugin_is_built() {
    App::new().add_plugins((
        MinimalPlugins,
        DifficultyPlugin {
            tier: "Nightmare".to_owned(),
            ..default()
        },
    ));
}

#[test]
fn the_shipped_quit_risk_model_loads_into_the_plugin_and_a_missing_one_is_an_error() {
    let root = env!("CARGO_MANIFEST_DIR");
    let plugin = DifficultyPlugin::default()
        .with_quit_risk_model(format!("{root}/assets/models/kansei-quit-risk.safetensors"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(plugin.quit_risk.is_some());
    let Err(error) =
        DifficultyPlugin::default().with_quit_risk_model(format!("{root}/no/such.safetensors"))
    else {
        panic!("a missing model must be an error");
    };
    assert!(error.to_string().contains("such"), "{error}");
}

fn app_with_profile(dir: &std::path::Path) -> App {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        DifficultyPlugin {
            profile: Some(ProfileLocation {
                dir: dir.to_path_buf(),
                player_id: "p1".to_owned(),
            }),
            ..default()
        },
    ))
    .init_resource::<Seen>()
    .add_systems(Last, collect);
    app.update();
    app
}

#[test]
fn the_profile_is_saved_and_an_opt_out_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut app = app_with_profile(dir.path());
        for _ in 0..4 {
            encounter(&mut app, false);
        }
        assert!(difficulty(&app) < 0.5, "failures lowered the difficulty");
        app.world_mut()
            .resource_mut::<DifficultyState>()
            .set_adaptive(false);
        app.update();
        assert_eq!(difficulty(&app), 0.5);
        let saved = app.world().resource::<SavedProfile>().profile();
        assert_eq!(saved.outcomes().len(), 4);
        assert!(!saved.consent.adaptive_difficulty);
    }
    // The next run starts from the file: opted out, at the default, with the skill learnt.
    let store = ProfileStore::open(dir.path()).expect("store");
    let loaded = store.load("p1").expect("load");
    assert!(loaded.issue.is_none());
    assert_eq!(loaded.profile.outcomes().len(), 4);
    assert!(
        loaded.profile.skill.mean < 0.5,
        "{:?}",
        loaded.profile.skill
    );
    let mut app = app_with_profile(dir.path());
    assert!(!app.world().resource::<DifficultyState>().adaptive());
    for _ in 0..3 {
        encounter(&mut app, false);
    }
    assert_eq!(difficulty(&app), 0.5, "opted out: stays at the default");
    assert!(changes(&app).is_empty());
}

#[test]
fn a_corrupt_profile_is_set_aside_and_play_continues() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("p1.ron"),
        "PlayerProfile(version: 1, garbage",
    )
    .expect("write");
    let mut app = app_with_profile(dir.path());
    assert!(app.world().resource::<DifficultyState>().adaptive());
    encounter(&mut app, true);
    let saved = app.world().resource::<SavedProfile>().profile();
    assert_eq!(saved.outcomes().len(), 1);
    let backups = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("p1.corrupt-"))
        })
        .count();
    assert!(backups >= 1, "the unreadable file was kept aside");
}
