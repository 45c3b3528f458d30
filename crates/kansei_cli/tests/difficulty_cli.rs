//! `kansei difficulty simulate` and `train` end to end on a small population, and the errors a
//! bad population file gets.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kansei(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kansei"))
        .args(args)
        .current_dir(workspace())
        .output()
        .expect("the kansei binary runs")
}

/// The shipped population with fewer players.
fn small_population(dir: &Path, players: u32) -> Result<PathBuf, std::io::Error> {
    let text = std::fs::read_to_string(workspace().join("assets/difficulty/population.ron"))?;
    let path = dir.join("small.ron");
    std::fs::write(
        &path,
        text.replace("players: 1000", &format!("players: {players}")),
    )?;
    Ok(path)
}

#[test]
fn simulate_prints_every_controller_as_json() -> TestResult {
    let dir = tempfile::tempdir()?;
    let population = small_population(dir.path(), 40)?;
    let out = kansei(&[
        "difficulty",
        "simulate",
        "--population",
        population.to_str().ok_or("path")?,
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let controllers = report["controllers"].as_array().ok_or("controllers")?;
    let names: Vec<&str> = controllers
        .iter()
        .filter_map(|c| c["controller"].as_str())
        .collect();
    assert_eq!(
        names,
        ["kansei", "static", "staircase", "rank", "ucb1", "thompson"]
    );
    for c in controllers {
        let share = c["metrics"]["in_band_at_20"].as_f64().ok_or("share")?;
        assert!((0.0..=1.0).contains(&share));
        assert_eq!(c["metrics"]["players"].as_u64(), Some(40));
    }
    Ok(())
}

#[test]
fn a_bad_population_or_controller_is_a_clear_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let population = small_population(dir.path(), 10)?;
    let text = std::fs::read_to_string(&population)?;
    std::fs::write(
        &population,
        text.replace("target_success: 0.70", "target_success: 0.99"),
    )?;
    let out = kansei(&[
        "difficulty",
        "simulate",
        "--population",
        population.to_str().ok_or("path")?,
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = text
        .lines()
        .position(|l| l.contains("target_success"))
        .ok_or("field")?
        + 1;
    assert!(stderr.contains(&format!("small.ron:{line}:")), "{stderr}");
    assert!(stderr.contains("0.99"), "{stderr}");

    let out = kansei(&["difficulty", "simulate", "--controller", "oracle"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown controller `oracle`"));
    Ok(())
}

#[test]
fn train_writes_a_model_the_game_can_load() -> TestResult {
    let dir = tempfile::tempdir()?;
    let population = small_population(dir.path(), 60)?;
    let model = dir.path().join("quit.safetensors");
    let out = kansei(&[
        "difficulty",
        "train",
        "--population",
        population.to_str().ok_or("path")?,
        "--out",
        model.to_str().ok_or("path")?,
        "--steps",
        "1500",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert!(report["mlp_auc"].as_f64().ok_or("auc")? > 0.7, "{report}");
    assert!(model.exists() && dir.path().join("quit.model.ron").exists());
    // And `simulate` runs the kansei controller with it.
    let out = kansei(&[
        "difficulty",
        "simulate",
        "--population",
        population.to_str().ok_or("path")?,
        "--controller",
        "kansei",
        "--quit-model",
        model.to_str().ok_or("path")?,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("kansei"));
    Ok(())
}
