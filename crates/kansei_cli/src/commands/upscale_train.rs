//! `kansei upscale train`: train one network of the upscaler family on the CPU (see
//! `kansei_upscale::train` for the recipe and the files it writes).
//!
//! ```text
//! # one thread; keep freed memory in the heap (about 2.4x faster steps, see kansei_upscale::train)
//! export RAYON_NUM_THREADS=1 MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=68719476736
//! kansei upscale train --profile fast --scale 2 --expand 256 \
//!     --data ../shared/data/sr/train --out runs/kansei-upscale-fast-x2.safetensors --steps 40000
//! # after an interruption: the same command with --resume
//! # x3 / x4 from the x2 body:
//! kansei upscale train --profile fast --scale 3 --data ../shared/data/sr/train \
//!     --out runs/kansei-upscale-fast-x3.safetensors --init runs/kansei-upscale-fast-x2.safetensors
//! ```

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;
use kansei_upscale::eval::Scale;
use kansei_upscale::net::Profile;
use kansei_upscale::train::{Loss, TrainConfig, benchmark, train};

/// Arguments of `kansei upscale train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Cost profile: `fast` (<= 2,000 multiply-adds per LR pixel) or `balanced` (<= 8,000).
    #[arg(long)]
    pub profile: String,
    /// Upscaling factor: 2, 3 or 4.
    #[arg(long)]
    pub scale: u32,
    /// Folder of training images (`.png` / `.bmp`, searched recursively), e.g.
    /// `../shared/data/sr/train`.
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// The model to write (`NAME.safetensors`; the card, checkpoint, history and loss curve go
    /// beside it).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Optimizer steps of the whole run.
    #[arg(long, default_value_t = 20_000)]
    pub steps: u64,
    /// Continue from the checkpoint beside `--out` (same settings required).
    #[arg(long)]
    pub resume: bool,
    /// Seed of the initial weights and of every batch.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Patches per batch.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    /// Side of the scored LR patches, in LR pixels.
    #[arg(long, default_value_t = 40)]
    pub patch: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = 2e-3)]
    pub lr: f64,
    /// Warm-up steps (at most a tenth of the run).
    #[arg(long, default_value_t = 500)]
    pub warmup: u64,
    /// Steps between checkpoints.
    #[arg(long, default_value_t = 500)]
    pub checkpoint_every: u64,
    /// Steps between validations on the held-out images (0: only at the end).
    #[arg(long, default_value_t = 1_000)]
    pub validate_every: u64,
    /// Training images held out for validation (never Set5/Set14).
    #[arg(long, default_value_t = 5)]
    pub holdout: usize,
    /// Start from this trained model of the same profile (e.g. the x2 one for x3/x4): every
    /// tensor of matching name and shape is copied.
    #[arg(long, value_name = "PATH")]
    pub init: Option<PathBuf>,
    /// With `--init`: keep the copied head and body fixed and train only the new tail.
    #[arg(long)]
    pub freeze_body: bool,
    /// Train every convolution over-parameterised (a k x k convolution to WIDTH channels and a
    /// 1 x 1 back, SESR-style), collapsed exactly after every step: same network, same step
    /// cost, better minima. `--expand` alone means 256.
    #[arg(long, value_name = "WIDTH", num_args = 0..=1, default_missing_value = "256")]
    pub expand: Option<usize>,
    /// Training loss: `charbonnier` (robust, the default) or `mse` (what PSNR measures; for a
    /// short final fine-tune with `--init`).
    #[arg(long, default_value = "charbonnier")]
    pub loss: String,
    /// Model version for the card.
    #[arg(long, default_value = "1.0.0")]
    pub version: String,
    /// Description of this machine for the card.
    #[arg(long, default_value = "2-core dev VM, CPU only")]
    pub machine: String,
    /// Seconds between progress lines.
    #[arg(long, default_value_t = 10.0)]
    pub print_every: f64,
    /// Stop after this many steps in this session (with a checkpoint); continue with
    /// `--resume`.
    #[arg(long, value_name = "N")]
    pub session_steps: Option<u64>,
    /// Do not train: time this network's layers and training step with both convolution
    /// implementations (candle `conv2d` and im2col + matmul) and exit.
    #[arg(long)]
    pub bench: bool,
}

/// Runs `kansei upscale train`; the error is the message to print.
pub fn run(args: &TrainArgs) -> Result<(), String> {
    let profile = Profile::from_name(&args.profile).map_err(|e| e.to_string())?;
    let scale = Scale::new(args.scale).map_err(|e| e.to_string())?;
    let mut config = TrainConfig::new(profile, scale, args.data.clone(), args.out.clone());
    config.steps = args.steps;
    config.resume = args.resume;
    config.seed = args.seed;
    config.batch = args.batch;
    config.patch = args.patch;
    config.peak_lr = args.lr;
    config.floor_lr = args.lr / 100.0;
    config.warmup_steps = args.warmup;
    config.checkpoint_every = args.checkpoint_every;
    config.validate_every = args.validate_every;
    config.holdout = args.holdout;
    config.init.clone_from(&args.init);
    config.freeze_body = args.freeze_body;
    config.expand = args.expand;
    config.loss = Loss::from_name(&args.loss)?;
    config.version.clone_from(&args.version);
    config.machine.clone_from(&args.machine);
    config.print_every_s = args.print_every;
    config.session_steps = args.session_steps;
    let mut print = |line: &str| {
        println!("{line}");
        // Progress must reach a log file promptly even when stdout is not a terminal.
        let _ = std::io::stdout().flush();
    };
    if args.bench {
        return benchmark(&config, &mut print).map_err(|e| e.to_string());
    }
    let report = train(&config, &mut print).map_err(|e| e.to_string())?;
    if report.saved {
        println!(
            "done: {} (curve {}, checkpoint {})",
            report.paths.model.display(),
            report.paths.loss_png.display(),
            report.paths.checkpoint.display()
        );
    } else {
        println!(
            "stopped at step {}; continue with --resume (checkpoint {})",
            report.steps,
            report.paths.checkpoint.display()
        );
    }
    Ok(())
}
