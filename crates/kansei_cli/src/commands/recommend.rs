//! `kansei recommend ...`: evaluating recommenders on `user item` interaction files.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Subcommand;
use kansei_recommend::model::markov::Markov;
use kansei_recommend::model::popular::Popular;
use kansei_recommend::model::sequential::SequentialModel;
use kansei_recommend::{
    EvalConfig, EvalReport, Interactions, LeaveLastOut, Recommender, RerankConfig, Split, evaluate,
};

/// Subcommands of `kansei recommend`.
#[derive(Subcommand, Debug)]
pub enum RecommendCommand {
    /// Trains the sequential model on an interaction file (all but each user's last two items),
    /// with early stopping on the validation items; writes the best model, its card and the
    /// catalogue with training plays to `--out`.
    Train(super::recommend_train::TrainArgs),
    /// Averages sequential networks fine-tuned from one starting point (a model soup), adds the
    /// training data's transitions with a weight chosen on the validation items as `train` does,
    /// and writes the model and its card to `--out`.
    Average(super::recommend_average::AverageArgs),
    /// Scores a model on the leave-last-out split of an interaction file: the sampled protocol
    /// (held-out item against 100 unseen items, at most 10,000 users) and full ranking over the
    /// catalogue (HR@10, NDCG@10, coverage@10, Gini@10, mean popularity of what is recommended).
    Eval {
        /// Interaction file: `user item` lines, each user's in chronological order.
        #[arg(long)]
        data: PathBuf,
        /// `popular`, `markov` (both fit on the file's training split) or the path of a trained
        /// sequential model (`.safetensors`).
        #[arg(long)]
        model: String,
        /// Which held-out item to predict: `test` (the last) or `valid` (the one before).
        #[arg(long, default_value = "test")]
        split: Split,
        /// Seed of the user samples and the sampled negatives.
        #[arg(long, default_value_t = EvalConfig::DEFAULT_SEED)]
        seed: u64,
        /// At most this many users in the sampled protocol.
        #[arg(long, default_value_t = EvalConfig::default().max_users)]
        users: usize,
        /// At most this many users in full ranking (default: all).
        #[arg(long)]
        full_users: Option<usize>,
        /// Also report full ranking with the long-tail re-ranker, at this strength (default
        /// 0.15 when given without a value).
        #[arg(long, value_name = "STRENGTH", num_args = 0..=1)]
        rerank: Option<Option<f32>>,
        /// How many of the model's best items the re-ranker re-orders.
        #[arg(long, default_value_t = RerankConfig::DEFAULT_CANDIDATES)]
        rerank_candidates: usize,
        /// Score a sequential model's network alone, without the transitions stored with it.
        #[arg(long)]
        network_only: bool,
        /// Fit `popular` or `markov` on the training and validation items, as `train --refit`
        /// trains a model, to compare a refit model with baselines that saw the same plays
        /// (test split only).
        #[arg(long)]
        refit: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `kansei recommend` subcommand; the error is the message to print.
pub fn run(command: &RecommendCommand) -> Result<(), String> {
    match command {
        RecommendCommand::Train(args) => super::recommend_train::run(args),
        RecommendCommand::Average(args) => super::recommend_average::run(args),
        RecommendCommand::Eval {
            data,
            model,
            split,
            seed,
            users,
            full_users,
            rerank,
            rerank_candidates,
            network_only,
            refit,
            json,
        } => {
            let config = EvalConfig {
                seed: *seed,
                max_users: *users,
                max_full_users: full_users.unwrap_or(usize::MAX),
                rerank: rerank.map(|strength| RerankConfig {
                    strength: strength.unwrap_or(RerankConfig::DEFAULT_STRENGTH),
                    candidates: *rerank_candidates,
                }),
                ..EvalConfig::default()
            };
            let options = EvalOptions {
                network_only: *network_only,
                refit: *refit,
                json: *json,
            };
            eval(data, model, *split, &config, &options)
        }
    }
}

/// Where the model comes from.
enum ModelSource<'a> {
    Popular,
    Markov,
    File(&'a Path),
}

fn model_source(name: &str) -> Result<ModelSource<'_>, String> {
    match name {
        "popular" => Ok(ModelSource::Popular),
        "markov" => Ok(ModelSource::Markov),
        path if Path::new(path).is_file() => Ok(ModelSource::File(Path::new(path))),
        path if path.ends_with(".safetensors") => Err(format!("model file {path} not found")),
        other => Err(format!(
            "unknown model `{other}`: expected `popular`, `markov` or the path of a sequential \
             model (.safetensors)"
        )),
    }
}

/// How `eval` treats the model and prints its report.
struct EvalOptions {
    network_only: bool,
    refit: bool,
    json: bool,
}

fn eval(
    data_path: &Path,
    model: &str,
    split_mode: Split,
    config: &EvalConfig,
    options: &EvalOptions,
) -> Result<(), String> {
    let EvalOptions {
        network_only,
        refit,
        json,
    } = *options;
    let source = model_source(model)?;
    if refit && matches!(source, ModelSource::File(_)) {
        return Err(
            "--refit fits `popular` or `markov`; a model file was trained as its card \
                    says"
                .to_owned(),
        );
    }
    if refit && split_mode == Split::Valid {
        return Err("--refit trains on the validation items: score it on --split test".to_owned());
    }
    let start = Instant::now();
    let data = Interactions::load(data_path).map_err(|e| e.to_string())?;
    if data.is_empty() {
        return Err(format!("{}: no interactions", data_path.display()));
    }
    let split = LeaveLastOut::new(&data);
    let refit_split;
    let fit_on = if refit {
        refit_split = split.refit();
        &refit_split.train
    } else {
        &split.train
    };
    let model: Box<dyn Recommender> = match source {
        ModelSource::Popular => Box::new(Popular::fit(fit_on, split.num_items)),
        ModelSource::Markov => {
            Box::new(Markov::fit(fit_on, split.num_items).map_err(|e| e.to_string())?)
        }
        ModelSource::File(path) => {
            let mut model =
                SequentialModel::load(path).map_err(|e| format!("{}: {e}", path.display()))?;
            if network_only {
                model = model.without_transitions();
            }
            Box::new(model)
        }
    };
    let prepare_seconds = start.elapsed().as_secs_f64();
    let report = evaluate(model.as_ref(), &split, split_mode, config).map_err(|e| e.to_string())?;
    if json {
        let mut value = serde_json::to_value(&report).map_err(|e| e.to_string())?;
        if let Some(object) = value.as_object_mut() {
            object.insert("data".into(), data_path.display().to_string().into());
            object.insert("prepare_seconds".into(), prepare_seconds.into());
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?
        );
    } else {
        print_table(data_path, &data, &report, prepare_seconds);
    }
    Ok(())
}

fn print_table(data_path: &Path, data: &Interactions, report: &EvalReport, prepare_seconds: f64) {
    println!(
        "model {} on {} ({} users, {} items, {} interactions), split {}, seed {}",
        report.model,
        data_path.display(),
        data.active_users(),
        report.num_items,
        data.len(),
        report.split,
        report.seed,
    );
    let k = report.k;
    println!(
        "{:<24} {:>7} {:>8} {:>8} {:>12} {:>8} {:>10}",
        "",
        "users",
        format!("HR@{k}"),
        format!("NDCG@{k}"),
        format!("coverage@{k}"),
        format!("Gini@{k}"),
        "mean pop."
    );
    println!(
        "{:<24} {:>7} {:>8.4} {:>8.4}",
        format!("sampled ({} negatives)", report.negatives),
        report.sampled_users,
        report.sampled.hr,
        report.sampled.ndcg,
    );
    let full_row = |label: String, m: &kansei_recommend::eval::FullMetrics| {
        println!(
            "{:<24} {:>7} {:>8.4} {:>8.4} {:>11.1}% {:>8.3} {:>10.1}",
            label,
            report.full_users,
            m.hr,
            m.ndcg,
            m.coverage * 100.0,
            m.gini,
            m.mean_popularity
        );
    };
    full_row("full ranking".into(), &report.full);
    if let Some(reranked) = &report.reranked {
        full_row(
            format!(
                "re-ranked ({} of {})",
                reranked.config.strength, reranked.config.candidates
            ),
            &reranked.full,
        );
        println!(
            "re-ranking keeps {:.1}% of NDCG@{k}",
            reranked.ndcg_kept * 100.0
        );
    }
    println!(
        "{:.2} s to load and fit, {:.2} s to evaluate",
        prepare_seconds, report.seconds
    );
}
