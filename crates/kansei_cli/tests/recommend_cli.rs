//! `kansei recommend eval` end to end: JSON and table output on a small interaction file, the
//! popularity baseline on the real Amazon games file, and one-line errors (exit code 1, no
//! panic) for bad data and unknown models.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn kansei(args: &[&str]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_kansei"))
        .args(args)
        .output()
}

/// 60 users with 4 to 9 plays each over 40 items, in a repeating pattern Markov can learn.
fn small_data(dir: &Path) -> Result<PathBuf, std::io::Error> {
    let mut text = String::from("# user item\n");
    for user in 1..=60u32 {
        for step in 0..(4 + user % 6) {
            text.push_str(&format!("{user} {}\n", 1 + (user + step * 3) % 40));
        }
    }
    let path = dir.join("plays.txt");
    std::fs::write(&path, text)?;
    Ok(path)
}

/// `kansei recommend train` on `data` for one epoch at width 8 into `dir/name`, with `extra`
/// arguments: the command's output and the path its model gets.
fn train_tiny(
    dir: &Path,
    data: &str,
    name: &str,
    extra: &[&str],
) -> std::io::Result<(Output, PathBuf)> {
    let out_dir = dir.join(name);
    let out_arg = out_dir.to_string_lossy().into_owned();
    let mut args = vec![
        "recommend",
        "train",
        "--data",
        data,
        "--out",
        &out_arg,
        "--max-epochs",
        "1",
        "--width",
        "8",
    ];
    args.extend_from_slice(extra);
    Ok((
        kansei(&args)?,
        out_dir.join("kansei-recommend-sequential.safetensors"),
    ))
}

/// `kansei recommend eval --data data --model model --json` with `extra` arguments, which must
/// succeed: its report.
fn eval_json(data: &str, model: &str, extra: &[&str]) -> Result<Value, Box<dyn std::error::Error>> {
    let mut args = vec![
        "recommend",
        "eval",
        "--data",
        data,
        "--model",
        model,
        "--json",
    ];
    args.extend_from_slice(extra);
    Ok(serde_json::from_str(&succeeds(&kansei(&args)?))?)
}

fn fails_with(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "`{needle}` not in: {stderr}");
    }
}

fn succeeds(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn json_output_parses() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = small_data(dir.path())?;
    let data = data.to_str().ok_or("path")?;
    let report = eval_json(data, "markov", &["--rerank"])?;
    assert_eq!(report["model"], "markov");
    assert_eq!(report["split"], "test");
    assert_eq!(report["data"], data);
    assert_eq!(report["sampled_users"], 60);
    assert_eq!(report["num_items"], 40);
    for metric in ["hr", "ndcg"] {
        let value = report["sampled"][metric].as_f64().ok_or(metric)?;
        assert!((0.0..=1.0).contains(&value), "{metric} {value}");
    }
    for metric in ["hr", "ndcg", "coverage", "gini"] {
        let value = report["full"][metric].as_f64().ok_or(metric)?;
        assert!((0.0..=1.0).contains(&value), "{metric} {value}");
    }
    assert!(
        report["full"]["mean_popularity"]
            .as_f64()
            .ok_or("popularity")?
            > 0.0
    );
    let strength = report["reranked"]["config"]["strength"]
        .as_f64()
        .ok_or("rerank")?;
    assert!((strength - 0.15).abs() < 1e-6);
    assert!(report["reranked"]["full"]["coverage"].is_number());

    // Deterministic for a seed, different for another; the validation split works too.
    let again = eval_json(data, "markov", &["--rerank"])?;
    assert_eq!(again["sampled"], report["sampled"]);
    assert_eq!(again["full"], report["full"]);
    let valid = eval_json(
        data,
        "popular",
        &["--split", "valid", "--users", "20", "--seed", "7"],
    )?;
    assert_eq!(valid["split"], "valid");
    assert_eq!(valid["sampled_users"], 20);
    assert_eq!(valid["seed"], 7);
    assert!(valid["reranked"].is_null());
    Ok(())
}

#[test]
fn the_table_names_every_figure() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = small_data(dir.path())?;
    let out = kansei(&[
        "recommend",
        "eval",
        "--data",
        data.to_str().ok_or("path")?,
        "--model",
        "popular",
        "--rerank",
        "0.5",
    ])?;
    let table = succeeds(&out);
    for needle in [
        "model popular",
        "HR@10",
        "NDCG@10",
        "coverage@10",
        "Gini@10",
        "mean pop.",
        "sampled (100 negatives)",
        "full ranking",
        "re-ranked (0.5 of 200)",
    ] {
        assert!(table.contains(needle), "`{needle}` not in:\n{table}");
    }
    Ok(())
}

#[test]
fn a_bad_data_file_names_the_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bad.txt");
    std::fs::write(&path, "1 2\n1 3\n\n2 x\n")?;
    let out = kansei(&[
        "recommend",
        "eval",
        "--data",
        path.to_str().ok_or("path")?,
        "--model",
        "popular",
    ])?;
    fails_with(&out, &["bad.txt:4:", "not a positive integer"]);

    let missing = dir.path().join("missing.txt");
    let out = kansei(&[
        "recommend",
        "eval",
        "--data",
        missing.to_str().ok_or("path")?,
        "--model",
        "markov",
    ])?;
    fails_with(&out, &["missing.txt"]);

    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "# nothing\n")?;
    let out = kansei(&[
        "recommend",
        "eval",
        "--data",
        empty.to_str().ok_or("path")?,
        "--model",
        "markov",
    ])?;
    fails_with(&out, &["no interactions"]);
    Ok(())
}

#[test]
fn unknown_models_are_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = small_data(dir.path())?;
    let data = data.to_str().ok_or("path")?;
    let out = kansei(&["recommend", "eval", "--data", data, "--model", "sasrec"])?;
    fails_with(&out, &["unknown model `sasrec`", "popular", "markov"]);
    let out = kansei(&[
        "recommend",
        "eval",
        "--data",
        data,
        "--model",
        "nowhere/model.safetensors",
    ])?;
    fails_with(&out, &["nowhere/model.safetensors", "not found"]);
    // A file that is not a model.
    let out = kansei(&["recommend", "eval", "--data", data, "--model", data])?;
    fails_with(&out, &["plays.txt"]);
    Ok(())
}

#[test]
fn popular_on_amazon_games_matches_the_reference() -> TestResult {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/recsys/amazon_games.txt");
    assert!(
        data.is_file(),
        "recsys data missing: {} (see ../shared/data/README.md)",
        data.display()
    );
    let report = eval_json(data.to_str().ok_or("path")?, "popular", &[])?;
    let figure = |a: &str, b: &str| report[a][b].as_f64().ok_or("figure");
    assert!((figure("sampled", "hr")? - 0.468).abs() <= 0.01);
    assert!((figure("sampled", "ndcg")? - 0.275).abs() <= 0.01);
    assert!((figure("full", "hr")? - 0.0190).abs() <= 0.001);
    assert!((figure("full", "ndcg")? - 0.0099).abs() <= 0.001);
    Ok(())
}

/// `kansei recommend train` on a small file: progress per epoch, the model with its card and
/// transitions, the catalogue with plays, and `eval` accepting the model it wrote.
#[test]
fn train_writes_a_model_that_eval_reads() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = small_data(dir.path())?;
    let data = data.to_str().ok_or("path")?;
    let out_dir = dir.path().join("run");
    let out_str = out_dir.to_str().ok_or("path")?;
    let out = kansei(&[
        "recommend",
        "train",
        "--data",
        data,
        "--out",
        out_str,
        "--max-epochs",
        "2",
        "--width",
        "8",
    ])?;
    let stdout = succeeds(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("epoch   1: loss"), "{stderr}");
    assert!(stderr.contains("validation HR@10"), "{stderr}");
    assert!(stdout.contains("best epoch"), "{stdout}");
    let model = out_dir.join("kansei-recommend-sequential.safetensors");
    assert!(
        out_dir
            .join("kansei-recommend-sequential.model.ron")
            .is_file()
    );
    let catalogue = std::fs::read_to_string(out_dir.join("catalogue.ron"))?;
    assert!(catalogue.contains("plays:"), "{catalogue}");
    assert!(std::fs::read_to_string(out_dir.join("train-state.ron"))?.contains("trials"));

    let report = eval_json(data, model.to_str().ok_or("path")?, &[])?;
    assert_eq!(report["model"], "sequential");
    assert!(
        report["sampled"]["hr"]
            .as_f64()
            .is_some_and(|hr| (0.0..=1.0).contains(&hr))
    );

    // Resuming the finished run does nothing more and says so through the same summary.
    let again = kansei(&[
        "recommend",
        "train",
        "--data",
        data,
        "--out",
        out_str,
        "--max-epochs",
        "2",
        "--width",
        "8",
        "--resume",
    ])?;
    assert!(succeeds(&again).contains("best epoch"));

    // Bad data: the line is named, nothing is written.
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "1 2\n1 two\n")?;
    let out = kansei(&[
        "recommend",
        "train",
        "--data",
        bad.to_str().ok_or("path")?,
        "--out",
        out_str,
    ])?;
    fails_with(&out, &["bad.txt:2", "not a positive integer"]);
    Ok(())
}

/// `kansei recommend average` on two fine-tunes of one small run (one with the exact softmax
/// and `SASRec`'s loss flags parsed on the way): the average is written, with transitions, and
/// `eval` reads it; a `--weights` list of the wrong length is refused.
#[test]
fn average_writes_a_model_that_eval_reads() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = small_data(dir.path())?;
    let data = data.to_str().ok_or("path")?;
    let run = |name: &str, extra: &[&str]| -> Result<PathBuf, Box<dyn std::error::Error>> {
        let (out, model) = train_tiny(dir.path(), data, name, extra)?;
        succeeds(&out);
        Ok(model)
    };
    let start = run("start", &[])?;
    let start = start.to_str().ok_or("path")?;
    let exact = run("exact", &["--init", start, "--negatives", "1000"])?;
    let bce = run(
        "bce",
        &[
            "--init",
            start,
            "--loss",
            "bce",
            "--weight-decay",
            "0",
            "--seed",
            "2",
        ],
    )?;
    let average = dir.path().join("soup").join("average.safetensors");
    let average_with = |weights: &[&str]| -> Result<Output, Box<dyn std::error::Error>> {
        let mut args = vec![
            "recommend",
            "average",
            "--data",
            data,
            "--models",
            exact.to_str().ok_or("path")?,
            bce.to_str().ok_or("path")?,
            "--weights",
        ];
        args.extend_from_slice(weights);
        args.extend_from_slice(&["--out", average.to_str().ok_or("path")?]);
        Ok(kansei(&args)?)
    };
    let out = average_with(&["0.7", "0.3"])?;
    let stdout = succeeds(&out);
    assert!(stdout.contains("averaged 2 networks"), "{stdout}");
    let card = std::fs::read_to_string(dir.path().join("soup").join("average.model.ron"))?;
    assert!(
        card.contains("0.700 x") && card.contains("0.300 x"),
        "{card}"
    );
    assert!(card.contains("softmax over every item"), "{card}");
    assert!(card.contains("binary cross-entropy"), "{card}");
    let report = eval_json(data, average.to_str().ok_or("path")?, &[])?;
    assert_eq!(report["model"], "sequential");

    let out = average_with(&["1"])?;
    fails_with(&out, &["--weights has 1 values for 2 models"]);
    let out = kansei(&[
        "recommend",
        "train",
        "--data",
        data,
        "--out",
        "x",
        "--loss",
        "mse",
    ])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("unknown loss `mse`"),
        "{stderr}"
    );
    Ok(())
}

/// `train --refit`, `average --refit` and `eval --refit`: a refit trains on the validation
/// items too and says so; the baselines can be fit on the same items; what cannot be refit is
/// refused with one line.
#[test]
fn refits_train_average_and_compare_on_the_validation_items_too() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = small_data(dir.path())?;
    let data = data.to_str().ok_or("path")?;
    let train = |name: &str, extra: &[&str]| train_tiny(dir.path(), data, name, extra);
    // A refit needs the transitions' weight validation chose; clap refuses it without one.
    let (out, _) = train("no-weight", &["--refit"])?;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--transitions-weight"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (out, first) = train("refit-a", &["--refit", "--transitions-weight", "1"])?;
    let stdout = succeeds(&out);
    assert!(stdout.contains("refit: kept epoch 1 of 1"), "{stdout}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no validation (refit)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = first.to_str().ok_or("path")?;
    let (out, second) = train(
        "refit-b",
        &[
            "--init",
            first,
            "--seed",
            "2",
            "--refit",
            "--transitions-weight",
            "1",
        ],
    )?;
    succeeds(&out);
    let average = dir.path().join("refit-average.safetensors");
    let out = kansei(&[
        "recommend",
        "average",
        "--data",
        data,
        "--models",
        first,
        second.to_str().ok_or("path")?,
        "--refit",
        "--transitions-weight",
        "1",
        "--out",
        average.to_str().ok_or("path")?,
    ])?;
    let stdout = succeeds(&out);
    assert!(stdout.contains("(a refit)"), "{stdout}");
    let card = std::fs::read_to_string(dir.path().join("refit-average.model.ron"))?;
    assert!(card.contains("given to the refit"), "{card}");

    let eval = |extra: &[&str]| -> std::io::Result<Output> {
        let mut args = vec!["recommend", "eval", "--data", data];
        args.extend_from_slice(extra);
        kansei(&args)
    };
    let refit_markov = eval_json(data, "markov", &["--refit"])?;
    let markov = eval_json(data, "markov", &[])?;
    for report in [&refit_markov, &markov] {
        assert!(report["sampled"]["ndcg"].is_number() && report["full"]["ndcg"].is_number());
    }
    assert_ne!(
        (&refit_markov["sampled"], &refit_markov["full"]),
        (&markov["sampled"], &markov["full"]),
        "the refit fits on more plays"
    );
    fails_with(
        &eval(&["--model", average.to_str().ok_or("path")?, "--refit"])?,
        &["--refit fits `popular` or `markov`"],
    );
    fails_with(
        &eval(&["--model", "popular", "--refit", "--split", "valid"])?,
        &["--split test"],
    );
    Ok(())
}
