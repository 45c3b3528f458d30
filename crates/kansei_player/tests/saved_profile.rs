//! The shared `SavedProfile` in a headless Bevy app: loaded once however many plugins ask,
//! saved when changed, plays and players forgotten on disk, an unusable folder survived.
#![cfg(feature = "bevy")]

use bevy::prelude::*;
use kansei_player::plugin::{ProfileLocation, SavedProfile, SavedProfilePlugin};
use kansei_player::{EncounterOutcome, ProfileStore};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn app(locations: &[ProfileLocation]) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    for location in locations {
        app.add_plugins(SavedProfilePlugin(location.clone()));
    }
    app.update();
    app
}

fn saved(app: &mut App) -> Mut<'_, SavedProfile> {
    app.world_mut().resource_mut::<SavedProfile>()
}

#[test]
fn one_profile_however_many_plugins_ask() -> TestResult {
    let dir = tempfile::tempdir()?;
    let first = ProfileLocation::new(dir.path(), "p1");
    let other = ProfileLocation::new(dir.path(), "p2");
    let mut app = app(&[first.clone(), first.clone(), other]);
    assert_eq!(saved(&mut app).location(), &first);
    assert!(saved(&mut app).profile_mut().record_play(5));
    assert!(saved(&mut app).is_dirty());
    app.update();
    assert!(!saved(&mut app).is_dirty());
    let store = ProfileStore::open(dir.path())?;
    assert_eq!(store.load("p1")?.profile.plays().collect::<Vec<_>>(), [5]);
    assert!(
        !store.path("p2")?.exists(),
        "the second location is not used"
    );
    Ok(())
}

#[test]
fn forgetting_plays_rewrites_the_file_and_deletes_copies_set_aside() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut app = app(&[ProfileLocation::new(dir.path(), "p1")]);
    {
        let mut saved = saved(&mut app);
        let profile = saved.profile_mut();
        profile.record_play(3);
        profile.record_play(4);
        profile.record(EncounterOutcome {
            difficulty: 0.5,
            success: true,
            seconds: 10.0,
            ..EncounterOutcome::default()
        })?;
    }
    app.update();
    let aside = dir.path().join("p1.corrupt-7.ron");
    std::fs::copy(dir.path().join("p1.ron"), &aside)?;
    let deleted = saved(&mut app).forget_plays()?;
    assert!(deleted.contains(&aside), "{deleted:?}");
    assert!(!aside.exists());
    let on_disk = ProfileStore::open(dir.path())?.load("p1")?.profile;
    assert_eq!(on_disk.plays().len(), 0);
    assert_eq!(on_disk.outcomes().len(), 1, "only the plays are forgotten");
    Ok(())
}

#[test]
fn forgetting_the_player_keeps_their_consent() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut app = app(&[ProfileLocation::new(dir.path(), "p1")]);
    {
        let mut saved = saved(&mut app);
        let profile = saved.profile_mut();
        profile.record_play(3);
        profile.consent.adaptive_difficulty = false;
    }
    app.update();
    assert_eq!(saved(&mut app).forgotten(), 0);
    saved(&mut app).forget_player()?;
    assert_eq!(saved(&mut app).forgotten(), 1);
    let on_disk = ProfileStore::open(dir.path())?.load("p1")?.profile;
    assert_eq!(on_disk.plays().len(), 0);
    assert!(!on_disk.consent.adaptive_difficulty, "the opt-out survives");
    assert!(on_disk.consent.personalisation);
    assert_eq!(saved(&mut app).path(), dir.path().join("p1.ron"));
    Ok(())
}

#[test]
fn an_unusable_folder_means_no_saving_and_no_panic() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x")?;
    let mut app = app(&[
        ProfileLocation::new(&file, "p1"),
        ProfileLocation::new(dir.path(), "bad id!"),
    ]);
    app.update();
    assert!(app.world().get_resource::<SavedProfile>().is_none());
    Ok(())
}
