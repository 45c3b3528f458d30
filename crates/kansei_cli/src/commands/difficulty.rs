//! `kansei difficulty ...`: the adaptive-difficulty benchmark and the quit-risk model's
//! training.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::Subcommand;
use kansei_difficulty::controller::ControllerKind;
use kansei_difficulty::metrics::Metrics;
use kansei_difficulty::population::Population;
use kansei_difficulty::quit_risk::dataset::Dataset;
use kansei_difficulty::quit_risk::train::{
    TrainConfig, fit, new_baseline, new_net, roc_auc, scores,
};
use kansei_difficulty::quit_risk::{
    DEFAULT_MODEL_PATH, FEATURES, HORIZON, MODEL_NAME, QuitRisk, QuitRiskModel, QuitRiskNet, WINDOW,
};
use kansei_difficulty::sim;
use kansei_nn::{
    CardDType, Dim, InferenceCost, ModelCard, TensorSignature, TrainingData, TrainingRecipe,
};

const DEFAULT_POPULATION: &str = "assets/difficulty/population.ron";

/// Subcommands of `kansei difficulty`.
#[derive(Subcommand, Debug)]
pub enum DifficultyCommand {
    /// Plays a simulated population against difficulty controllers and prints the benchmark's
    /// metrics (band share at encounter 20, time to the band, re-convergence, quits, regret,
    /// calibration).
    Simulate {
        /// Population file (RON).
        #[arg(long, default_value = DEFAULT_POPULATION)]
        population: PathBuf,
        /// Controller: kansei, static, staircase, rank, ucb1, thompson, a comma-separated list,
        /// or `all`.
        #[arg(long, default_value = "all")]
        controller: String,
        /// The quit-risk model the `kansei` controller uses.
        #[arg(long, default_value = DEFAULT_MODEL_PATH)]
        quit_model: PathBuf,
        /// Run the `kansei` controller without a quit-risk model.
        #[arg(long)]
        no_quit_model: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Trains the quit-risk MLP (and the logistic-regression baseline it is compared with) on
    /// simulated players, scores both by ROC AUC on held-out players, and saves the MLP with its
    /// model card.
    Train {
        /// Population file (RON); held-out players come from the same population with another
        /// seed.
        #[arg(long, default_value = DEFAULT_POPULATION)]
        population: PathBuf,
        /// Where to write the model (`.safetensors`; the card goes beside it).
        #[arg(long, default_value = DEFAULT_MODEL_PATH)]
        out: PathBuf,
        /// Optimizer steps.
        #[arg(long, default_value_t = TrainConfig::default().steps)]
        steps: u64,
        /// Players simulated per controller for training (and again for testing).
        #[arg(long)]
        players: Option<u32>,
        /// Seed of the weights and batches.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `kansei difficulty` subcommand; the error is the message to print.
pub fn run(command: &DifficultyCommand) -> Result<(), String> {
    match command {
        DifficultyCommand::Simulate {
            population,
            controller,
            quit_model,
            no_quit_model,
            json,
        } => simulate(
            population,
            controller,
            (!no_quit_model).then_some(quit_model.as_path()),
            *json,
        ),
        DifficultyCommand::Train {
            population,
            out,
            steps,
            players,
            seed,
            json,
        } => train(population, out, *steps, *players, *seed, *json),
    }
}

fn controllers(list: &str) -> Result<Vec<ControllerKind>, String> {
    if list == "all" {
        return Ok(ControllerKind::ALL.to_vec());
    }
    list.split(',').map(|name| name.trim().parse()).collect()
}

fn simulate(
    population_path: &Path,
    controller: &str,
    quit_model: Option<&Path>,
    json: bool,
) -> Result<(), String> {
    let population = Population::load(population_path).map_err(|e| e.to_string())?;
    let kinds = controllers(controller)?;
    let quit_risk: Option<Arc<dyn QuitRisk>> = match quit_model {
        Some(path) if kinds.contains(&ControllerKind::Kansei) => Some(Arc::new(
            QuitRiskModel::load(path).map_err(|e| format!("quit-risk model: {e}"))?,
        )),
        _ => None,
    };
    let target = population.target_success.0;
    let mut rows = Vec::new();
    for kind in kinds {
        let start = Instant::now();
        let traces = sim::simulate(&population, kind, quit_risk.as_ref());
        let metrics = Metrics::measure(&traces, target);
        rows.push((kind, metrics, start.elapsed().as_secs_f64()));
    }
    if json {
        let report = serde_json::json!({
            "population": population_path.display().to_string(),
            "seed": population.seed,
            "players": population.players.0,
            "encounters": population.encounters.0,
            "target_success": target,
            "quit_model": quit_model.map(|p| p.display().to_string()),
            "controllers": rows.iter().map(|(kind, metrics, seconds)| serde_json::json!({
                "controller": kind.name(),
                "metrics": metrics,
                "seconds": seconds,
            })).collect::<Vec<_>>(),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    println!(
        "{} players x {} encounters, target {:.2}, seed {} ({})",
        population.players.0,
        population.encounters.0,
        target,
        population.seed,
        population_path.display()
    );
    println!(
        "{:<10} {:>8} {:>9} {:>9} {:>7} {:>9} {:>8} {:>6} {:>8} {:>7}",
        "controller",
        "band@20",
        "band20+",
        "to band",
        "never",
        "reconv.",
        "<=10",
        "quits",
        "regret/e",
        "calib."
    );
    for (kind, m, _) in &rows {
        println!(
            "{:<10} {:>7.1}% {:>8.1}% {:>9.1} {:>6.1}% {:>9.1} {:>7.1}% {:>5.1}% {:>8.3} {:>7}",
            kind.name(),
            m.in_band_at_20 * 100.0,
            m.in_band_after_20 * 100.0,
            m.first_in_band,
            m.never_in_band * 100.0,
            m.reconvergence_median,
            m.reconverged_within_10 * 100.0,
            m.quit_rate * 100.0,
            m.regret_per_encounter,
            m.calibration_at_12
                .map_or("-".to_string(), |c| format!("{:.1}%", c * 100.0)),
        );
    }
    println!(
        "band: true success within +-0.05 of the target; to band: median encounter first in it (never = inf); reconv.: median encounters back into it after a step change that left it; regret/e: mean |true success - target| per encounter played"
    );
    Ok(())
}

fn train(
    population_path: &Path,
    out: &Path,
    steps: u64,
    players: Option<u32>,
    seed: u64,
    json: bool,
) -> Result<(), String> {
    let start = Instant::now();
    let mut population = Population::load(population_path).map_err(|e| e.to_string())?;
    if let Some(players) = players {
        population.players.0 = players.max(1);
    }
    // The data: every controller but Kansei's risk-aware one, so the model sees players held
    // too easy, too hard and at the target.
    let mut held_out = population.clone();
    held_out.seed = population.seed.wrapping_add(1_000_003);
    let kinds = ControllerKind::ALL;
    let train_set = Dataset::simulate(&population, &kinds, None);
    let test_set = Dataset::simulate(&held_out, &kinds, None);
    eprintln!(
        "examples: {} for training ({:.1}% positive), {} held out ({:.1}% positive)",
        train_set.len(),
        train_set.positive_share() * 100.0,
        test_set.len(),
        test_set.positive_share() * 100.0
    );

    let config = TrainConfig {
        steps,
        seed,
        ..TrainConfig::default()
    };
    let report = |name: &'static str| {
        let every = (steps / 10).max(1);
        move |p: &kansei_nn::Progress| {
            if p.step.is_multiple_of(every) || p.step == p.total_steps {
                eprintln!(
                    "{name}: step {}/{}, loss {:.4}",
                    p.step, p.total_steps, p.loss
                );
            }
        }
    };
    let (net, net_vars) = new_net(seed).map_err(|e| e.to_string())?;
    fit(&net, &net_vars, &train_set, &config, report("mlp")).map_err(|e| e.to_string())?;
    let (baseline, baseline_vars) = new_baseline(seed).map_err(|e| e.to_string())?;
    fit(
        &baseline,
        &baseline_vars,
        &train_set,
        &config,
        report("logistic"),
    )
    .map_err(|e| e.to_string())?;
    let wall = start.elapsed().as_secs_f64();

    let auc = |model: &dyn candle_core::Module| -> Result<f64, String> {
        let s = scores(model, &test_set).map_err(|e| e.to_string())?;
        Ok(roc_auc(&s, &test_set.labels))
    };
    let (mlp_auc, baseline_auc) = (auc(&net)?, auc(&baseline)?);

    let card = card(
        &population,
        population_path,
        steps,
        seed,
        wall,
        mlp_auc,
        baseline_auc,
        &train_set,
        &test_set,
    );
    let written = kansei_nn::save_varmap(out, &card, &net_vars).map_err(|e| e.to_string())?;
    // Load it back through the game's path, so a bad file never leaves this command.
    QuitRiskModel::load(out).map_err(|e| format!("the saved model does not load: {e}"))?;

    if json {
        let report = serde_json::json!({
            "model": out.display().to_string(),
            "parameters": written.parameters,
            "steps": steps,
            "train_examples": train_set.len(),
            "test_examples": test_set.len(),
            "test_positive_share": test_set.positive_share(),
            "mlp_auc": mlp_auc,
            "logistic_auc": baseline_auc,
            "wall_s": wall,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "held-out ROC AUC: MLP {mlp_auc:.3}, logistic regression {baseline_auc:.3} ({:+.3}); {} parameters; {:.0} s; wrote {}",
            mlp_auc - baseline_auc,
            written.parameters,
            wall,
            out.display()
        );
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn card(
    population: &Population,
    population_path: &Path,
    steps: u64,
    seed: u64,
    wall: f64,
    mlp_auc: f64,
    baseline_auc: f64,
    train_set: &Dataset,
    test_set: &Dataset,
) -> ModelCard {
    let defaults = TrainConfig::default();
    ModelCard {
        name: MODEL_NAME.into(),
        version: "1.0.0".into(),
        task: format!(
            "Predicts the probability that a player quits within the next {HORIZON} encounters from their last {WINDOW} outcomes (won, graded performance, difficulty change), so the flow controller can lean easier after failures or harder after a run of wins while the risk is above its ceiling. MLP {FEATURES} -> 32 -> 16 -> 1 (ReLU), logit output."
        ),
        inputs: vec![TensorSignature {
            name: "recent_outcomes".into(),
            shape: vec![Dim::Named("batch".into()), Dim::Fixed(FEATURES)],
            dtype: CardDType::F32,
        }],
        outputs: vec![TensorSignature {
            name: "quit_logit".into(),
            shape: vec![Dim::Named("batch".into()), Dim::Fixed(1)],
            dtype: CardDType::F32,
        }],
        parameters: 0,
        cost: InferenceCost {
            macs_per_unit: QuitRiskNet::macs(),
            unit: "decision".into(),
        },
        training_data: TrainingData {
            description: format!(
                "Simulated players only, no real player data: {} examples from {} players per controller under the static, staircase, rank, ucb1, thompson and kansei (without quit model) controllers; label 1 when the player quit within {HORIZON} encounters ({:.1}% positive). Held-out test: {} examples from the same population with another seed.",
                train_set.len(),
                population.players.0,
                train_set.positive_share() * 100.0,
                test_set.len()
            ),
            provenance: format!(
                "kansei_difficulty::sim with {} (seed {}): latent skill, learning, step changes, fatigue; players quit with probability {} after an encounter while frustrated ({} failures in {}) or bored ({} successes in {}).",
                population_path.display(),
                population.seed,
                population.quit.probability.0,
                population.quit.frustration_failures.0,
                population.quit.frustration_window.0,
                population.quit.boredom_successes.0,
                population.quit.boredom_window.0,
            ),
            licence: "Generated by Kansei; same licence as the code (MIT OR Apache-2.0).".into(),
        },
        training: TrainingRecipe {
            description: format!(
                "ResumableAdamW (weight decay {}), cosine schedule with warm-up, peak lr {}, batch {}, binary cross-entropy on logits, seed {seed}. Held-out ROC AUC {mlp_auc:.3}; a logistic regression on the same features, trained the same way, {baseline_auc:.3}. Reproduce: kansei difficulty train --population {} --steps {steps} --seed {seed}.",
                defaults.weight_decay,
                defaults.learning_rate,
                defaults.batch,
                population_path.display()
            ),
            steps,
            wall_time_s: wall,
            machine: "2-core dev VM (AMD EPYC), CPU only".into(),
        },
        intended_use: "Input to Kansei's flow controller: while the predicted risk is above the designer's ceiling, the target success rate moves (at most 0.15) away from what the player seems to be leaving over. It is one clause of the explanation the player can read.".into(),
        limitations: vec![
            "Trained on simulated players whose quitting follows a fixed frustration/boredom rule; real players quit for reasons it never saw (time of day, other games). Validate on playtest telemetry before trusting its numbers.".into(),
            "Sees only the last 8 outcomes of the current player: no demographics, no cross-player data, nothing that leaves the device.".into(),
            "A risk, not a verdict: it must never lock content or change prices; Kansei uses it only to nudge difficulty within the designer's limits.".into(),
        ],
        weights_checksum: None,
    }
}
