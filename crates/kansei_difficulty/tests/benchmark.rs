//! The simulated-player benchmark end to end, on a smaller copy of the shipped population:
//! determinism, the ordering of the controllers the README reports, and the quit-risk model.

use std::sync::Arc;

use kansei_difficulty::controller::ControllerKind;
use kansei_difficulty::metrics::Metrics;
use kansei_difficulty::population::Population;
use kansei_difficulty::quit_risk::dataset::Dataset;
use kansei_difficulty::quit_risk::train::{
    TrainConfig, fit, new_baseline, new_net, roc_auc, scores,
};
use kansei_difficulty::quit_risk::{DEFAULT_MODEL_PATH, QuitRisk, QuitRiskError, QuitRiskModel};
use kansei_difficulty::sim;

fn population(players: u32) -> Population {
    let mut population = Population::shipped();
    population.players.0 = players;
    population
}

fn shipped_model() -> Arc<dyn QuitRisk> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../",
        "assets/models/kansei-quit-risk.safetensors"
    );
    assert!(DEFAULT_MODEL_PATH.ends_with("kansei-quit-risk.safetensors"));
    Arc::new(QuitRiskModel::load(path).unwrap_or_else(|e| panic!("shipped model: {e}")))
}

fn measure(
    population: &Population,
    kind: ControllerKind,
    model: Option<&Arc<dyn QuitRisk>>,
) -> Metrics {
    Metrics::measure(
        &sim::simulate(population, kind, model),
        population.target_success.0,
    )
}

#[test]
fn runs_repeat_exactly_and_every_controller_meets_the_same_players() {
    let population = population(50);
    let a = sim::simulate(&population, ControllerKind::Thompson, None);
    let b = sim::simulate(&population, ControllerKind::Thompson, None);
    assert_eq!(a, b);
    // The same first encounter difficulty (the default) gives the same true success
    // probability under two controllers: the same skills were drawn.
    let fixed = sim::simulate(&population, ControllerKind::Static, None);
    let rank = sim::simulate(&population, ControllerKind::Rank, None);
    for (f, r) in fixed.iter().zip(&rank) {
        assert_eq!(f.encounters[0].true_success, r.encounters[0].true_success);
    }
}

#[test]
fn kansei_keeps_more_players_in_the_band_and_gets_there_faster() {
    let population = population(300);
    let model = shipped_model();
    let kansei = measure(&population, ControllerKind::Kansei, Some(&model));
    for kind in &ControllerKind::ALL[1..] {
        let other = measure(&population, *kind, None);
        assert!(
            kansei.in_band_at_20 > other.in_band_at_20 + 0.1,
            "{kind}: {:.3} vs kansei {:.3}",
            other.in_band_at_20,
            kansei.in_band_at_20
        );
        assert!(
            kansei.regret_per_encounter < other.regret_per_encounter,
            "{kind}"
        );
        if matches!(kind, ControllerKind::Ucb1 | ControllerKind::Thompson) {
            assert!(kansei.first_in_band * 2.0 <= other.first_in_band, "{kind}");
        }
    }
    assert!(kansei.in_band_at_20 > 0.6, "{kansei:?}");
    assert!(
        kansei.calibration_at_12.is_some_and(|c| c > 0.85),
        "{kansei:?}"
    );
    assert!(kansei.reconverged_within_10 > 0.8, "{kansei:?}");
}

#[test]
fn the_quit_risk_model_lowers_quits() {
    let population = population(400);
    let model = shipped_model();
    let with = measure(&population, ControllerKind::Kansei, Some(&model));
    let without = measure(&population, ControllerKind::Kansei, None);
    assert!(
        with.quit_rate < without.quit_rate - 0.03,
        "with {:.3}, without {:.3}",
        with.quit_rate,
        without.quit_rate
    );
}

#[test]
fn a_small_training_run_beats_the_logistic_baseline_on_held_out_players() {
    let train_pop = population(150);
    let mut test_pop = population(150);
    test_pop.seed += 1;
    let kinds = [
        ControllerKind::Static,
        ControllerKind::Staircase,
        ControllerKind::Kansei,
    ];
    let train = Dataset::simulate(&train_pop, &kinds, None);
    let test = Dataset::simulate(&test_pop, &kinds, None);
    assert!(train.positive_share() > 0.02 && train.positive_share() < 0.3);
    let config = TrainConfig {
        steps: 600,
        ..TrainConfig::default()
    };
    let (net, vars) = new_net(1).expect("net");
    fit(&net, &vars, &train, &config, |_| {}).expect("train");
    let (baseline, baseline_vars) = new_baseline(1).expect("baseline");
    fit(&baseline, &baseline_vars, &train, &config, |_| {}).expect("train");
    let auc = roc_auc(&scores(&net, &test).expect("scores"), &test.labels);
    let baseline_auc = roc_auc(&scores(&baseline, &test).expect("scores"), &test.labels);
    assert!(
        auc > 0.8 && auc > baseline_auc + 0.05,
        "mlp {auc:.3}, logistic {baseline_auc:.3}"
    );
}

#[test]
fn corrupt_or_foreign_model_files_are_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/models/");
    // Truncated weights next to a valid card.
    let weights = std::fs::read(format!("{source}kansei-quit-risk.safetensors")).expect("weights");
    let card =
        std::fs::read_to_string(format!("{source}kansei-quit-risk.model.ron")).expect("card");
    let path = dir.path().join("kansei-quit-risk.safetensors");
    std::fs::write(&path, &weights[..weights.len() / 2]).expect("write");
    std::fs::write(dir.path().join("kansei-quit-risk.model.ron"), &card).expect("write");
    let error = QuitRiskModel::load(&path).expect_err("truncated");
    assert!(matches!(error, QuitRiskError::Model(_)), "{error}");
    assert!(error.to_string().contains("kansei-quit-risk"), "{error}");
    // An upscaler's files are not a quit-risk model.
    let upscaler = format!("{source}kansei-upscale-fast-x2.safetensors");
    let error = QuitRiskModel::load(&upscaler).expect_err("foreign");
    assert!(!error.to_string().is_empty());
    // Missing files name the path.
    let error = QuitRiskModel::load(dir.path().join("absent.safetensors")).expect_err("missing");
    assert!(error.to_string().contains("absent"), "{error}");
}
