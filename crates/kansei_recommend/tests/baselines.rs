//! The baselines on the real Amazon video-games file reproduce the reference figures of
//! `../shared/data/README.md` (section recsys), and the long-tail re-ranker meets its goal on
//! Markov's lists.

use std::path::PathBuf;

use kansei_recommend::model::markov::Markov;
use kansei_recommend::model::popular::Popular;
use kansei_recommend::{
    EvalConfig, EvalReport, Interactions, LeaveLastOut, RecommendError, Recommender, RerankConfig,
    Split, evaluate,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn amazon_games() -> Result<LeaveLastOut, RecommendError> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/recsys/amazon_games.txt");
    assert!(
        path.is_file(),
        "recsys data missing: {} does not exist (see ../shared/data/README.md)",
        path.display()
    );
    let data = Interactions::load(&path)?;
    assert_eq!((data.active_users(), data.num_items), (31_013, 23_715));
    Ok(LeaveLastOut::new(&data))
}

fn near(name: &str, found: f64, reference: f64, tolerance: f64) {
    assert!(
        (found - reference).abs() <= tolerance,
        "{name}: {found:.4}, reference {reference:.4} (tolerance {tolerance})"
    );
}

/// Sampled figures within 0.01 of the reference, full-ranking ones within 0.001.
fn check(report: &EvalReport, sampled: (f64, f64), full: (f64, f64)) {
    let model = &report.model;
    assert_eq!(report.sampled_users, 10_000);
    assert_eq!(report.full_users, 30_901);
    near(
        &format!("{model} sampled HR@10"),
        report.sampled.hr,
        sampled.0,
        0.01,
    );
    near(
        &format!("{model} sampled NDCG@10"),
        report.sampled.ndcg,
        sampled.1,
        0.01,
    );
    near(
        &format!("{model} full HR@10"),
        report.full.hr,
        full.0,
        0.001,
    );
    near(
        &format!("{model} full NDCG@10"),
        report.full.ndcg,
        full.1,
        0.001,
    );
}

#[test]
fn popular_reproduces_the_reference() -> TestResult {
    let split = amazon_games()?;
    let model = Popular::fit(&split.train, split.num_items);
    let report = evaluate(&model, &split, Split::Test, &EvalConfig::default())?;
    check(&report, (0.468, 0.275), (0.0190, 0.0099));
    // Everyone gets (nearly) the same ten items.
    assert!(
        report.full.coverage < 0.01 && report.full.gini > 0.99,
        "{report:?}"
    );
    Ok(())
}

/// One evaluation for both: Markov's figures, and the re-ranker on its scores.
#[test]
fn markov_reproduces_the_reference_and_the_reranker_widens_it() -> TestResult {
    let split = amazon_games()?;
    let model = Markov::fit(&split.train, split.num_items)?;
    let config = EvalConfig {
        rerank: Some(RerankConfig::default()),
        ..EvalConfig::default()
    };
    let report = evaluate(&model, &split, Split::Test, &config)?;
    check(&report, (0.494, 0.322), (0.0738, 0.0447));
    assert!(report.full.coverage > 0.3, "{report:?}");

    let reranked = report.reranked.ok_or("no re-ranked figures")?;
    assert!(reranked.ndcg_kept >= 0.95, "{reranked:?}");
    assert!(reranked.full.coverage >= 0.3, "{reranked:?}");
    assert!(reranked.full.coverage > report.full.coverage);
    assert!(reranked.full.gini < report.full.gini);
    assert!(reranked.full.mean_popularity < report.full.mean_popularity);
    Ok(())
}

#[test]
fn the_validation_split_predicts_the_second_to_last_item() -> TestResult {
    let split = amazon_games()?;
    let model = Markov::fit(&split.train, split.num_items)?;
    let config = EvalConfig {
        max_full_users: 2_000,
        ..EvalConfig::default()
    };
    let report = evaluate(&model, &split, Split::Valid, &config)?;
    assert_eq!(report.split, Split::Valid);
    assert_eq!((report.sampled_users, report.full_users), (10_000, 2_000));
    // Close to the test split's figures: same model, one step earlier in each history.
    near("valid sampled HR@10", report.sampled.hr, 0.49, 0.05);
    assert_eq!(model.name(), report.model);
    Ok(())
}
