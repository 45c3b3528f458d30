//! `kansei npc bench` end to end on a small town: JSON with every stage, the entity count of
//! N NPCs plus the player, the table, and one-line errors for bad arguments.

use std::process::{Command, Output};

use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn kansei(args: &[&str]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_kansei"))
        .args(args)
        .output()
}

#[test]
fn bench_reports_every_stage_as_json() -> TestResult {
    let out = kansei(&[
        "npc",
        "bench",
        "--agents",
        "120",
        "--ticks",
        "30",
        "--warmup",
        "10",
        "--threads",
        "1",
        "--json",
    ])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["agents"], 120);
    assert_eq!(report["mix"], "mixed");
    assert_eq!(report["tiers"], serde_json::json!([6, 30, 84]));
    assert_eq!(report["threads"], 1);
    // 120 NPCs and the player: nothing else is spawned.
    assert_eq!(report["entities"], 121);
    for stage in ["total", "perception", "decision", "steering", "navigation"] {
        let p50 = report[stage]["p50_ms"].as_f64().ok_or(stage)?;
        let p99 = report[stage]["p99_ms"].as_f64().ok_or(stage)?;
        assert!(p50 >= 0.0 && p99 >= p50, "{stage}: {p50} {p99}");
    }
    let total = report["total"]["mean_ms"].as_f64().ok_or("total")?;
    let parts: f64 = ["perception", "decision", "steering", "navigation"]
        .iter()
        .filter_map(|s| report[s]["mean_ms"].as_f64())
        .sum();
    assert!(
        parts <= total * 1.05 + 0.01,
        "stages {parts} > tick {total}"
    );
    // Heroes every tick (6), villagers at 10 Hz (30 / 6), commuters at 1 Hz (84 / 60).
    let decisions = report["decisions_per_tick"].as_f64().ok_or("decisions")?;
    assert!((11.0..=13.0).contains(&decisions), "{decisions}");
    assert!(report["bytes_per_agent"].as_f64().ok_or("bytes")? > 100.0);
    assert_eq!(report["paths"]["queries"], 2000);
    assert_eq!(report["paths"]["found"], 2000);
    Ok(())
}

#[test]
fn bench_runs_the_parallel_stages_on_two_threads() -> TestResult {
    // 600 heroes: every one avoids every tick, enough ORCA solves (and crowd-free) for the
    // steering stage to split them over both threads.
    let out = kansei(&[
        "npc",
        "bench",
        "--agents",
        "600",
        "--tier",
        "hero",
        "--ticks",
        "10",
        "--warmup",
        "2",
        "--threads",
        "2",
        "--json",
    ])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["threads"], 2);
    assert_eq!(report["tiers"], serde_json::json!([600, 0, 0]));
    assert_eq!(report["entities"], 601);
    assert_eq!(report["decisions_per_tick"], 600.0);
    Ok(())
}

#[test]
fn bench_prints_a_table() -> TestResult {
    let out = kansei(&[
        "npc",
        "bench",
        "--agents",
        "40",
        "--ticks",
        "5",
        "--warmup",
        "1",
        "--tier",
        "crowd",
        "--threads",
        "1",
    ])?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("40 NPCs (0 hero, 0 active, 40 crowd)"),
        "{stdout}"
    );
    for stage in ["perception", "decision", "navigation", "steering", "total"] {
        assert!(stdout.contains(stage), "{stage} missing: {stdout}");
    }
    Ok(())
}

#[test]
fn bad_arguments_are_one_line_errors() -> TestResult {
    for (args, needle) in [
        (vec!["npc", "bench", "--agents", "0"], "at least 1"),
        (vec!["npc", "bench", "--tier", "elite"], "unknown tier mix"),
        (vec!["npc", "bench", "--threads", "0"], "at least 1"),
    ] {
        let out = kansei(&args)?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(stderr.contains(needle), "`{needle}` not in: {stderr}");
    }
    Ok(())
}
