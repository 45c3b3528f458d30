//! `kansei model ...`: inspect and validate model files.

use std::path::PathBuf;

use clap::Subcommand;
use kansei_nn::{ExpectedTensors, ModelCard, check_model};

/// Subcommands of `kansei model`.
#[derive(Subcommand, Debug)]
pub enum ModelCommand {
    /// Validate model files against their cards: file integrity, name, version and checksum,
    /// parameter count, finite values. (The architecture is checked when the game loads the
    /// model, since only its code knows it.) Exits non-zero on the first invalid file.
    Check {
        /// Weights files (`NAME.safetensors`); each card is read from `NAME.model.ron`.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

/// Runs a `kansei model` subcommand; the error is the message to print.
pub fn run(command: &ModelCommand) -> Result<(), String> {
    match command {
        ModelCommand::Check { paths } => {
            for path in paths {
                let (card, tensors) = check_model(path).map_err(|e| e.to_string())?;
                print!("{}", summary(path, &card, &tensors));
            }
            Ok(())
        }
    }
}

/// A few lines describing a valid model.
fn summary(path: &std::path::Path, card: &ModelCard, tensors: &ExpectedTensors) -> String {
    format!(
        "ok {}\n  {} {}: {}\n  {} parameters in {} tensors, {} multiply-adds per {}\n",
        path.display(),
        card.name,
        card.version,
        card.task,
        card.parameters,
        tensors.len(),
        card.cost.macs_per_unit,
        card.cost.unit,
    )
}
