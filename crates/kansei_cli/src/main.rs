//! `kansei`: Kansei's command line for offline work.
//!
//! Every figure Kansei publishes (quality, speed, hit rates) is produced by one `kansei` command,
//! so anyone can reproduce it. Training, evaluation and benchmark commands join as each
//! capability lands; today it checks model files and evaluates upscalers.
//!
//! ```text
//! kansei model check assets/models/NAME.safetensors
//! kansei difficulty simulate [--population FILE.ron] [--controller NAME|all] [--json]
//! kansei difficulty train [--population FILE.ron] [--out PATH] [--steps N]
//! kansei npc bench [--agents N] [--ticks T] [--threads K] [--tier hero|active|crowd|mixed] [--json]
//! kansei recommend train --data FILE --out DIR [--catalogue FILE.ron] [--resume] [--init M] [--negatives N]
//! kansei recommend average --data FILE --models M1 M2 ... [--weights W1 W2 ...] --out PATH
//! kansei recommend eval --data FILE --model popular|markov|PATH [--split test|valid] [--rerank [S]] [--json]
//! kansei upscale eval --data ../shared/data/sr/Set5/x2 --scale 2 [--method bicubic ...] [--json]
//! kansei upscale run --in LR.png --out SR.png --scale 2 --method bicubic
//! ```

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Kansei: on-device AI for Bevy games. Offline tools: model files, training, evaluation.
#[derive(Parser, Debug)]
#[command(name = "kansei", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Model files: safetensors weights with their RON model cards.
    #[command(subcommand)]
    Model(commands::model::ModelCommand),
    /// Adaptive difficulty: the simulated-player benchmark and the quit-risk model.
    #[command(subcommand)]
    Difficulty(commands::difficulty::DifficultyCommand),
    /// NPC behaviour: the headless crowd benchmark.
    #[cfg(feature = "npc")]
    #[command(subcommand)]
    Npc(commands::npc::NpcCommand),
    /// Recommendations: train and evaluate recommenders on interaction files.
    #[command(subcommand)]
    Recommend(commands::recommend::RecommendCommand),
    /// Upscalers: score methods on SR test sets, upscale single images.
    #[command(subcommand)]
    Upscale(commands::upscale::UpscaleCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Difficulty(command) => commands::difficulty::run(&command),
        Command::Model(command) => commands::model::run(&command),
        #[cfg(feature = "npc")]
        Command::Npc(command) => commands::npc::run(&command),
        Command::Recommend(command) => commands::recommend::run(&command),
        Command::Upscale(command) => commands::upscale::run(&command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("kansei: {message}");
            ExitCode::FAILURE
        }
    }
}
