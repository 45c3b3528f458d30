//! `ProfileStore` on a real folder: round trip, a crash mid-write, corrupt, foreign and newer
//! files set aside and reported, bad ids refused.

use kansei_player::{EncounterOutcome, PROFILE_VERSION, PlayerProfile, ProfileStore, StoreError};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn outcome(success: bool) -> EncounterOutcome {
    EncounterOutcome {
        difficulty: 0.7,
        success,
        seconds: 61.5,
        damage_taken: 12.25,
        retries: 2,
        quit: false,
        performance: None,
    }
}

fn played(id: &str) -> PlayerProfile {
    let mut profile = PlayerProfile::new(id);
    profile.record(outcome(true)).expect("valid");
    profile.record(outcome(false)).expect("valid");
    let mut nan = outcome(true);
    nan.seconds = f32::NAN;
    assert!(profile.record(nan).is_err());
    profile.consent.personalisation = false;
    profile
}

#[test]
fn profiles_round_trip() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = ProfileStore::open(dir.path().join("players"))?;
    let fresh = store.load("ana")?;
    assert!(fresh.issue.is_none());
    assert_eq!(fresh.profile, PlayerProfile::new("ana"));

    let profile = played("ana");
    let path = store.save(&profile)?;
    assert!(path.ends_with("ana.ron"));
    let loaded = store.load("ana")?;
    assert!(loaded.issue.is_none());
    assert_eq!(loaded.profile, profile);
    assert_eq!(loaded.profile.rejected.not_finite, 1);
    assert!(!loaded.profile.consent.personalisation);
    Ok(())
}

#[test]
fn a_crash_mid_write_keeps_the_previous_profile() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = ProfileStore::open(dir.path())?;
    let profile = played("bo");
    store.save(&profile)?;
    // What a crash during the next save leaves: a half-written temporary file.
    std::fs::write(
        dir.path().join("bo.ron.tmp"),
        "PlayerProfile(version: 1, pla",
    )?;
    let loaded = store.load("bo")?;
    assert!(loaded.issue.is_none());
    assert_eq!(loaded.profile, profile);
    // The next save replaces the leftover.
    store.save(&loaded.profile)?;
    assert!(!dir.path().join("bo.ron.tmp").exists());
    Ok(())
}

#[test]
fn unusable_files_are_set_aside_and_reported() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = ProfileStore::open(dir.path())?;
    let newer = format!(
        "PlayerProfile(version: {}, player_id: \"cy\", shiny_new_field: 3)",
        PROFILE_VERSION + 1
    );
    let valid = ron::ser::to_string(&played("cy"))?;
    let cases = [
        ("garbage", "this is not RON".to_owned(), "unreadable"),
        (
            "truncated",
            valid[..valid.len() / 2].to_owned(),
            "unreadable",
        ),
        ("newer", newer, "newer version"),
        (
            "foreign",
            ron::ser::to_string(&played("dee"))?,
            "\"dee\"'s profile",
        ),
        (
            "nan inside",
            valid.replacen("seconds:61.5", "seconds:NaN", 1),
            "NaN",
        ),
    ];
    for (name, text, expected) in cases {
        std::fs::write(store.path("cy")?, &text)?;
        let loaded = store.load("cy")?;
        let issue = loaded.issue.ok_or(format!("{name}: no issue reported"))?;
        assert!(
            issue.reason.contains(expected),
            "{name}: {:?} does not mention {expected:?}",
            issue.reason
        );
        assert_eq!(loaded.profile, PlayerProfile::new("cy"), "{name}");
        // Kept aside, byte for byte; the profile's own path is free for the fresh one.
        assert_eq!(std::fs::read_to_string(&issue.backup)?, text, "{name}");
        assert!(!store.path("cy")?.exists(), "{name}");
        std::fs::remove_file(&issue.backup)?;
    }
    Ok(())
}

#[test]
fn bad_player_ids_are_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = ProfileStore::open(dir.path())?;
    for id in ["", "../escape", "a/b", "white space", &"x".repeat(65)] {
        assert!(
            matches!(store.load(id), Err(StoreError::BadPlayerId(_))),
            "{id:?}"
        );
    }
    Ok(())
}

#[test]
fn forgotten_plays_and_players_are_gone_from_disk() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = ProfileStore::open(dir.path())?;
    let mut ana = PlayerProfile::new("ana");
    for item in [9_107_u32, 9_108, 9_109] {
        assert!(ana.record_play(item));
    }
    let path = store.save(&ana)?;
    assert!(std::fs::read_to_string(&path)?.contains("9108"));
    assert_eq!(
        store.load("ana")?.profile.plays().collect::<Vec<_>>(),
        [9_107, 9_108, 9_109]
    );

    // Forgetting the plays: the saved file no longer holds them.
    ana.forget_plays();
    store.save(&ana)?;
    assert!(!std::fs::read_to_string(&path)?.contains("9108"));
    assert_eq!(store.load("ana")?.profile.plays().len(), 0);

    // Forgetting the player: the profile, a set-aside copy and a stale temporary all go; other
    // players stay.
    ana.record_play(9_108);
    store.save(&ana)?;
    std::fs::write(dir.path().join("ana.corrupt-17.ron"), "plays: [9108]")?;
    std::fs::write(dir.path().join("ana.ron.tmp"), "plays: [9108]")?;
    let mut bo = PlayerProfile::new("bo");
    bo.record_play(5);
    store.save(&bo)?;
    let deleted = store.forget("ana")?;
    assert_eq!(deleted.len(), 3, "{deleted:?}");
    for entry in std::fs::read_dir(dir.path())? {
        let entry = entry?;
        let text = std::fs::read_to_string(entry.path())?;
        assert!(
            !text.contains("9108"),
            "{} still holds a play",
            entry.path().display()
        );
    }
    assert!(store.path("bo").map(|p| p.exists())?);
    assert_eq!(store.load("ana")?.profile, PlayerProfile::new("ana"));
    Ok(())
}
