//! `kansei recommend average`: averages sequential networks fine-tuned from one starting point.

use std::path::PathBuf;

use clap::Args;
use kansei_recommend::model::sequential::average::{Ingredient, save_average};
use kansei_recommend::model::sequential::{TrainConfig, add_refit_transitions, add_transitions};
use kansei_recommend::{Interactions, LeaveLastOut};

/// Arguments of `kansei recommend average`.
#[derive(Args, Debug)]
pub struct AverageArgs {
    /// The interaction file the networks were trained on (its validation items choose the
    /// transitions' weight, as `train` does).
    #[arg(long)]
    pub data: PathBuf,
    /// The model files to average (same shape, fine-tuned from one starting point).
    #[arg(long, num_args = 1.., required = true)]
    pub models: Vec<PathBuf>,
    /// Each model's weight in the average, in the order of `--models` (default: equal).
    #[arg(long, num_args = 1..)]
    pub weights: Vec<f64>,
    /// Where to write the averaged model (its card goes beside it).
    #[arg(long)]
    pub out: PathBuf,
    /// Seed of the validation users that choose the transitions' weight.
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
    /// The networks are refits (`train --refit`): count the transitions on the training and
    /// validation items and store them at `--transitions-weight` instead of choosing the
    /// weight on validation items the networks trained on.
    #[arg(long, requires = "transitions_weight")]
    pub refit: bool,
    /// With `--refit`: the transitions' weight (0 for none), as a validated average chose it.
    #[arg(long, requires = "refit")]
    pub transitions_weight: Option<f32>,
}

/// Runs `kansei recommend average`; the error is the message to print.
pub fn run(args: &AverageArgs) -> Result<(), String> {
    let weights = match args.weights.len() {
        0 => vec![1.0; args.models.len()],
        n if n == args.models.len() => args.weights.clone(),
        n => {
            return Err(format!(
                "--weights has {n} values for {} models",
                args.models.len()
            ));
        }
    };
    let ingredients: Vec<Ingredient> = args
        .models
        .iter()
        .zip(weights)
        .map(|(path, weight)| Ingredient {
            path: path.clone(),
            weight,
        })
        .collect();
    let data = Interactions::load(&args.data).map_err(|e| e.to_string())?;
    let split = LeaveLastOut::new(&data);
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    save_average(&ingredients, &args.out).map_err(|e| e.to_string())?;
    if let Some(weight) = args.transitions_weight {
        add_refit_transitions(&split, &args.out, weight).map_err(|e| e.to_string())?;
        println!(
            "averaged {} networks into {}; transitions of the training and validation items at \
             weight {weight} (a refit)",
            ingredients.len(),
            args.out.display(),
        );
        return Ok(());
    }
    let choice = add_transitions(
        &split,
        &args.out,
        args.seed,
        TrainConfig::default().validation_users,
    )
    .map_err(|e| e.to_string())?;
    println!(
        "averaged {} networks into {}; transitions at weight {} (validation full-ranking \
         NDCG@10 {:.4})",
        ingredients.len(),
        args.out.display(),
        choice.weight,
        choice
            .trials
            .iter()
            .find(|(w, _)| *w == choice.weight)
            .map_or(0.0, |(_, ndcg)| *ndcg)
    );
    Ok(())
}
