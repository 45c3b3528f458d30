//! `kansei recommend train`: trains the sequential recommender on an interaction file.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use kansei_recommend::model::sequential::{LossKind, Refit, RunFiles, TrainConfig, train};
use kansei_recommend::{Catalogue, Interactions, LeaveLastOut};

/// Seconds between two progress lines within an epoch.
const PROGRESS_EVERY_S: f64 = 10.0;

/// Arguments of `kansei recommend train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Interaction file: `user item` lines, each user's in chronological order.
    #[arg(long)]
    pub data: PathBuf,
    /// Output folder: the best model (`kansei-recommend-sequential.safetensors` and its card),
    /// `catalogue.ron`, the checkpoint and the run's state.
    #[arg(long)]
    pub out: PathBuf,
    /// Catalogue (RON) with names and tags; without one, items are numbered.
    #[arg(long)]
    pub catalogue: Option<PathBuf>,
    /// Continue the run found in `--out` (same data and settings).
    #[arg(long)]
    pub resume: bool,
    /// Most epochs (early stopping usually ends the run before).
    #[arg(long, default_value_t = TrainConfig::default().max_epochs)]
    pub max_epochs: u64,
    /// Epochs without a better validation NDCG@10 before stopping.
    #[arg(long, default_value_t = TrainConfig::default().patience)]
    pub patience: u64,
    /// Embedding width.
    #[arg(long, default_value_t = TrainConfig::default().width)]
    pub width: usize,
    /// Dropout rate while training.
    #[arg(long, default_value_t = TrainConfig::default().dropout)]
    pub dropout: f64,
    /// Learning rate (constant).
    #[arg(long, default_value_t = TrainConfig::default().learning_rate)]
    pub learning_rate: f64,
    /// The loss: `softmax` (a softmax over the true item and shared negatives) or `bce` (`SASRec`'s
    /// binary cross-entropy with one uniform negative per position).
    #[arg(long, default_value = "softmax", value_parser = parse_loss)]
    pub loss: LossKind,
    /// `AdamW`'s decoupled weight decay (0 for plain Adam, as `SASRec` trains).
    #[arg(long, default_value_t = TrainConfig::default().weight_decay)]
    pub weight_decay: f64,
    /// Standard deviation of the initial item and position embeddings (default
    /// `1 / sqrt(width)`; `SASRec`'s Glorot initialisation is `sqrt(2 / (items + width))`).
    #[arg(long)]
    pub embedding_stdev: Option<f64>,
    /// Negatives drawn per batch for the sampled softmax; a number at least the catalogue's size
    /// trains with the exact softmax over every item.
    #[arg(long, default_value_t = TrainConfig::default().negatives)]
    pub negatives: usize,
    /// Use the batch's own targets as negatives too (popularity-weighted negatives; the
    /// shipped games model's second stage).
    #[arg(long)]
    pub in_batch_negatives: bool,
    /// Start from this model's network (same shape) instead of random weights: fine-tuning.
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// Seed of the weights, batches, negatives and dropout.
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
    /// Refit a recipe validation has chosen: train on each user's validation item too (the
    /// last item stays held out for test) for exactly `--max-epochs` epochs and keep the last;
    /// needs `--transitions-weight`. For the final model, once the recipe is settled.
    #[arg(long, requires = "transitions_weight")]
    pub refit: bool,
    /// With `--refit`: the weight of the counted transitions stored with the model (0 for
    /// none), as a validated run of the recipe chose it.
    #[arg(long, requires = "refit")]
    pub transitions_weight: Option<f32>,
    /// Description of this machine for the model card.
    #[arg(long, default_value = "CPU")]
    pub machine: String,
}

/// Runs `kansei recommend train`; the error is the message to print.
pub fn run(args: &TrainArgs) -> Result<(), String> {
    let start = Instant::now();
    let data = Interactions::load(&args.data).map_err(|e| e.to_string())?;
    let mut catalogue = match &args.catalogue {
        Some(path) => Catalogue::load(path).map_err(|e| e.to_string())?,
        None => Catalogue::numbered(data.num_items),
    };
    if let Some(id) = (1..=data.num_items).find(|&id| !catalogue.contains(id))
        && data.users.iter().flatten().any(|&item| item == id)
    {
        return Err(format!(
            "{}: item {id} is not in the catalogue",
            args.data.display()
        ));
    }
    let split = LeaveLastOut::new(&data);
    let config = TrainConfig {
        max_epochs: args.max_epochs,
        width: args.width,
        dropout: args.dropout,
        learning_rate: args.learning_rate,
        negatives: args.negatives,
        loss: args.loss,
        embedding_stdev: args.embedding_stdev,
        weight_decay: args.weight_decay,
        in_batch_negatives: args.in_batch_negatives || TrainConfig::default().in_batch_negatives,
        init_from: args.init.clone(),
        patience: args.patience,
        seed: args.seed,
        machine: args.machine.clone(),
        refit: args
            .transitions_weight
            .map(|transitions_weight| Refit { transitions_weight }),
        ..TrainConfig::default()
    };
    eprintln!(
        "{}: {} users, {} items, {} interactions; training on all but each user's {}",
        args.data.display(),
        data.active_users(),
        data.num_items,
        data.len(),
        if args.refit {
            "last (a refit: no validation)"
        } else {
            "last two"
        }
    );

    let mut last_progress = Instant::now();
    let state = train(
        &split,
        &config,
        &args.out,
        args.resume,
        |epoch| {
            let validation = if epoch.valid_ndcg.is_nan() {
                "no validation (refit)".to_owned()
            } else {
                format!(
                    "validation HR@10 {:.4}, NDCG@10 {:.4}",
                    epoch.valid_hr, epoch.valid_ndcg
                )
            };
            eprintln!(
                "epoch {:>3}: loss {:.4}, {validation}{} ({:.0} s)",
                epoch.epoch,
                epoch.loss,
                if epoch.improved { ", saved" } else { "" },
                epoch.elapsed_s
            );
        },
        // Between epochs, a line at most every ten seconds: an epoch of the exact softmax on
        // the games data takes minutes.
        |step, steps, loss| {
            if last_progress.elapsed().as_secs_f64() >= PROGRESS_EVERY_S {
                last_progress = Instant::now();
                eprintln!(
                    "  step {step} of at most {steps} ({:.1}%), loss {loss:.4}",
                    100.0 * step as f64 / steps.max(1) as f64
                );
            }
        },
    )
    .map_err(|e| e.to_string())?;

    // The catalogue with each item's training plays, for cold start and the re-ranker.
    let trained_on = if args.refit { split.refit() } else { split };
    let counts = kansei_recommend::data::count_items(trained_on.num_items, trained_on.train.iter());
    catalogue.set_plays(&counts);
    let catalogue_path = args.out.join("catalogue.ron");
    let text = catalogue.to_ron().map_err(|e| e.to_string())?;
    std::fs::write(&catalogue_path, text)
        .map_err(|e| format!("{}: {e}", catalogue_path.display()))?;

    let files = RunFiles::in_dir(&args.out);
    let (best_epoch, best_ndcg) = state.best.unwrap_or((0, 0.0));
    let kept = if args.refit {
        format!("refit: kept epoch {best_epoch} of {}", state.epochs)
    } else {
        format!(
            "best epoch {best_epoch} of {} (validation NDCG@10 {best_ndcg:.4})",
            state.epochs
        )
    };
    println!(
        "{kept}; {:.0} s this session, {:.0} s in all",
        start.elapsed().as_secs_f64(),
        state.wall_time_s
    );
    println!("model: {}", files.model.display());
    println!("catalogue: {}", catalogue_path.display());
    Ok(())
}

fn parse_loss(text: &str) -> Result<LossKind, String> {
    match text {
        "softmax" => Ok(LossKind::SampledSoftmax),
        "bce" => Ok(LossKind::BinaryCrossEntropy),
        other => Err(format!("unknown loss `{other}` (softmax or bce)")),
    }
}
