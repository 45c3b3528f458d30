//! Training the [`crate::net`] networks on the CPU with candle: `kansei upscale train`.
//!
//! [`train`] runs the whole recipe:
//!
//! - **Data** ([`data`]): every image of the data folder (PNG or BMP, recursively) is loaded
//!   once, degraded with MATLAB-style antialiased bicubic downscaling (the test sets'
//!   degradation) and kept in memory as LR luma plus the HR luma residual over bicubic. A few
//!   images (default 5, from the `t91` folder) are held out for validation and never sampled.
//! - **Batches**: random LR patches with a margin of real context (the network's halo, so the
//!   loss never scores edge-padded pixels), random flips and 90° rotations.
//! - **Loss** ([`Loss`]): Charbonnier, `mean(sqrt(d² + 1e-6))` over the HR residual
//!   (equivalently over the SR luma), on luma in `[0, 1]`; or the mean squared error, which is
//!   what PSNR measures, for a short final fine-tune.
//! - **Over-parameterisation** (`expand`, [`ExpandedLumaNet`]): each convolution trained as a
//!   pair of linear layers collapsed into it after every step; same network, same step cost,
//!   better minima.
//! - **Optimiser**: [`kansei_nn::ResumableAdamW`] (no weight decay) with
//!   [`LrSchedule::CosineWithWarmup`], a fixed seed, all through [`kansei_nn::Trainer`]:
//!   checkpoints every `checkpoint_every` steps, and `resume` continues exactly (same batches,
//!   same optimiser state).
//! - **Sharing between scales**: `init` starts from a trained model of the same profile (the x2
//!   one, typically) and copies every tensor whose name and shape match, i.e. the head and
//!   body; with `freeze_body` only the new tail is trained, FSRCNN-style, which is also about
//!   three times cheaper per step (no backward pass through the body).
//! - **Reporting**: progress lines (step, loss, learning rate, steps/s, ETA), PSNR-Y of the
//!   held-out images under the full evaluation protocol ([`crate::eval::score`]) every
//!   `validate_every` steps, a CSV history and a loss-curve PNG beside the checkpoint.
//! - **Result**: the weights and their [`ModelCard`] (exact multiply-adds, data and licence,
//!   recipe, wall time, machine), written with [`kansei_nn::save`].
//!
//! Files, for `--out DIR/NAME.safetensors`: the model `NAME.safetensors` + `NAME.model.ron`, the
//! checkpoint `NAME.ckpt.safetensors`, the history `NAME.history.csv` and `NAME.val.csv`, and
//! the curve `NAME.loss.png` (see [`TrainPaths`]).
//!
//! # Speed
//!
//! candle's CPU matmul uses as many threads as `RAYON_NUM_THREADS` says (default: every core);
//! set it to 1 to keep a long run on one core. candle allocates every intermediate tensor anew,
//! and glibc hands large freed blocks back to the kernel, so each step pays page faults for
//! fresh memory; keeping freed memory in the heap made training steps about 2.4 times faster
//! here:
//!
//! ```text
//! MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=268435456
//! ```
//!
//! [`benchmark`] (`kansei upscale train --bench`) times the network's layers and a whole step
//! with both convolution implementations.

#[cfg(feature = "scenes")]
pub mod blend;
pub mod data;
mod plot;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::{ParamsAdamW, VarBuilder, VarMap};
use kansei_nn::{
    Dim, LrSchedule, ModelCard, ModelError, ResumableAdamW, TensorSignature, Trainer, TrainingData,
    TrainingRecipe, seeded_var_builder,
};

pub use data::{
    Batch, Degradation, PatchSampler, TrainImage, ValImage, holdout_indices, list_images, load_rgb,
    matlab_bicubic_lr, modcrop, prepare_image,
};
pub use plot::plot_training;

use crate::eval::{EvalError, Method, Scale, score};
use crate::net::{
    Architecture, ConvImpl, ExpandedLumaNet, LumaNet, NetError, Profile, time_convolution,
    time_training_step,
};

/// The Charbonnier loss's `ε²`: `sqrt(d² + ε²)` behaves like `|d|` above `ε = 1e-3` (a quarter
/// of an 8-bit level).
pub const CHARBONNIER_EPS2: f64 = 1e-6;

/// The training loss on the luma residual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Loss {
    /// `mean(sqrt(d² + 1e-6))` ([`charbonnier`]): robust, like L1; the default.
    #[default]
    Charbonnier,
    /// `mean(d²)`: what PSNR measures. Useful for a short final fine-tune of a model trained
    /// with Charbonnier (L1-like losses train small networks faster from scratch).
    Mse,
}

impl Loss {
    /// The loss called `name` (`charbonnier` or `mse`).
    ///
    /// # Errors
    ///
    /// A one-line message for any other name.
    pub fn from_name(name: &str) -> Result<Self, String> {
        match name {
            "charbonnier" => Ok(Self::Charbonnier),
            "mse" => Ok(Self::Mse),
            other => Err(format!(
                "unknown loss `{other}` (expected charbonnier or mse)"
            )),
        }
    }

    /// The loss of `diff` (prediction minus target).
    ///
    /// # Errors
    ///
    /// On a candle error.
    pub fn of(self, diff: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Self::Charbonnier => charbonnier(diff),
            Self::Mse => diff.sqr()?.mean_all(),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Charbonnier => "Charbonnier loss sqrt(d^2 + 1e-6)",
            Self::Mse => "mean squared error",
        }
    }
}

/// Why training failed. Every message is one line naming the file involved, if any.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The training data could not be found, read or used.
    #[error("training data: {0}")]
    Data(String),
    /// The settings are inconsistent.
    #[error("invalid training settings: {0}")]
    Config(String),
    /// The network could not be built or loaded.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The training loop failed (checkpoint, non-finite loss, ...).
    #[error(transparent)]
    Loop(#[from] kansei_nn::TrainError),
    /// A model file could not be written or read.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Validation failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// A candle error outside the loop.
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    /// A history or plot file could not be written.
    #[error("cannot write `{}`: {reason}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Everything a training run needs; [`TrainConfig::new`] fills in the defaults.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// The network's cost profile.
    pub profile: Profile,
    /// The upscaling factor.
    pub scale: Scale,
    /// The folder of training images (searched recursively for `.png` and `.bmp`).
    pub data: PathBuf,
    /// Where to write the model (`.safetensors`); the other files go beside it.
    pub out: PathBuf,
    /// Optimizer steps in the whole run (a resumed run counts the steps already taken).
    pub steps: u64,
    /// Continue from the checkpoint if there is one.
    pub resume: bool,
    /// Seed of the initial weights and of every batch.
    pub seed: u64,
    /// Patches per batch.
    pub batch: usize,
    /// Side of the LR patches the loss is computed on (the network also sees a margin of its
    /// halo around them).
    pub patch: usize,
    /// Peak learning rate (after warm-up).
    pub peak_lr: f64,
    /// Final learning rate of the cosine decay.
    pub floor_lr: f64,
    /// Warm-up steps (at most a tenth of the run is used).
    pub warmup_steps: u64,
    /// Steps between checkpoints (and history / plot updates).
    pub checkpoint_every: u64,
    /// Steps between validations (0: only at the end).
    pub validate_every: u64,
    /// Images held out for validation.
    pub holdout: usize,
    /// A trained model of the same profile to start from (matching tensors are copied).
    pub init: Option<PathBuf>,
    /// With `init`: train only the tail; the copied head and body stay fixed.
    pub freeze_body: bool,
    /// Train every convolution over-parameterised with this expansion width and collapse it
    /// after every step ([`ExpandedLumaNet`]); `None` trains the plain network. The saved
    /// network is the same either way.
    pub expand: Option<usize>,
    /// The loss.
    pub loss: Loss,
    /// The model version written into the card.
    pub version: String,
    /// A description of the machine, for the card.
    pub machine: String,
    /// Seconds between progress lines.
    pub print_every_s: f64,
    /// Stop (with a checkpoint) after this many steps in this session, to split a long run
    /// into bounded sessions; `resume` continues it.
    pub session_steps: Option<u64>,
    /// How LR images are made from HR images.
    pub degrade: Degradation,
}

impl TrainConfig {
    /// The default recipe for `profile` at `scale` on the images in `data`, written to `out`.
    pub fn new(profile: Profile, scale: Scale, data: PathBuf, out: PathBuf) -> Self {
        Self {
            profile,
            scale,
            data,
            out,
            steps: 20_000,
            resume: false,
            seed: 1,
            batch: 16,
            patch: 40,
            peak_lr: 2e-3,
            floor_lr: 2e-5,
            warmup_steps: 500,
            checkpoint_every: 500,
            validate_every: 1_000,
            holdout: 5,
            init: None,
            freeze_body: false,
            expand: None,
            loss: Loss::Charbonnier,
            version: "1.0.0".to_owned(),
            machine: "2-core dev VM, CPU only".to_owned(),
            print_every_s: 10.0,
            session_steps: None,
            degrade: matlab_bicubic_lr,
        }
    }

    /// The learning-rate schedule of the run.
    pub fn schedule(&self) -> LrSchedule {
        LrSchedule::CosineWithWarmup {
            peak: self.peak_lr,
            floor: self.floor_lr,
            warmup_steps: self.warmup_steps.min(self.steps / 10),
            total_steps: self.steps,
        }
    }

    fn validate(&self) -> Result<(), TrainError> {
        let bad = |m: &str| Err(TrainError::Config(m.to_owned()));
        if self.steps == 0 {
            return bad("--steps must be at least 1");
        }
        if self.batch == 0 {
            return bad("--batch must be at least 1");
        }
        if self.patch < 4 {
            return bad("--patch must be at least 4 (LR pixels)");
        }
        if self.checkpoint_every == 0 {
            return bad("the checkpoint interval must be at least 1 step");
        }
        if self.freeze_body && self.init.is_none() {
            return bad("--freeze-body needs --init (the body to freeze)");
        }
        if self.expand == Some(0) {
            return bad("--expand must be at least 1 (channels)");
        }
        if self.expand.is_some() && self.init.is_some() {
            return bad("--expand trains from scratch; it cannot be combined with --init");
        }
        if self.out.extension().is_none_or(|e| e != "safetensors") {
            return bad("--out must name a .safetensors file");
        }
        self.schedule().validate().map_err(TrainError::Config)
    }
}

/// The files of a run with model path `out`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainPaths {
    /// The model weights (`NAME.safetensors`); the card is `NAME.model.ron`.
    pub model: PathBuf,
    /// The checkpoint, `NAME.ckpt.safetensors`.
    pub checkpoint: PathBuf,
    /// `step,loss,lr,elapsed_s` for every step, `NAME.history.csv`.
    pub history: PathBuf,
    /// `step,psnr_y,ssim_y,bicubic_psnr_y` for every validation, `NAME.val.csv`.
    pub validation: PathBuf,
    /// The loss curve, `NAME.loss.png`.
    pub loss_png: PathBuf,
}

impl TrainPaths {
    /// The files beside `out`.
    pub fn new(out: &Path) -> Self {
        Self {
            model: out.to_owned(),
            checkpoint: out.with_extension("ckpt.safetensors"),
            history: out.with_extension("history.csv"),
            validation: out.with_extension("val.csv"),
            loss_png: out.with_extension("loss.png"),
        }
    }
}

/// One validation of the held-out images.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Validation {
    /// Steps completed when it was measured.
    pub step: u64,
    /// Mean PSNR-Y of the network, dB.
    pub psnr_y: f64,
    /// Mean SSIM-Y of the network.
    pub ssim_y: f64,
}

/// What a finished (or stopped) run produced.
#[derive(Debug, Clone)]
pub struct TrainReport {
    /// The files.
    pub paths: TrainPaths,
    /// Steps completed.
    pub steps: u64,
    /// Whether the model file was written (the run reached its last step).
    pub saved: bool,
    /// The card written with the model.
    pub card: Option<ModelCard>,
    /// Every validation so far (including before a resume).
    pub validation: Vec<Validation>,
    /// Bicubic's mean PSNR-Y on the same images, if any are held out.
    pub bicubic_psnr_y: Option<f64>,
    /// Wall time of the whole run so far (all sessions), seconds.
    pub wall_time_s: f64,
}

/// One row of the step history.
#[derive(Debug, Clone, Copy, PartialEq)]
struct HistoryRow {
    step: u64,
    loss: f64,
    lr: f64,
    elapsed_s: f64,
}

/// Runs (or resumes) a training run; `log` receives the progress lines.
///
/// # Errors
///
/// See [`TrainError`]; a failure after a checkpoint leaves that checkpoint to resume from.
pub fn train(config: &TrainConfig, log: &mut dyn FnMut(&str)) -> Result<TrainReport, TrainError> {
    let session_start = Instant::now();
    config.validate()?;
    let arch = Architecture::new(config.profile, config.scale);
    let s = arch.factor();
    let paths = TrainPaths::new(&config.out);
    if let Some(dir) = paths.model.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| TrainError::Write {
            path: dir.to_owned(),
            reason: e.to_string(),
        })?;
    }
    // The run's own files (the loss-curve PNG) must never become training images.
    if let (Ok(data), Some(Ok(out_dir))) = (
        config.data.canonicalize(),
        paths.model.parent().map(|d| {
            if d.as_os_str().is_empty() {
                Path::new(".").canonicalize()
            } else {
                d.canonicalize()
            }
        }),
    ) && out_dir.starts_with(&data)
    {
        return Err(TrainError::Config(format!(
            "--out must not be inside the data folder `{}`",
            config.data.display()
        )));
    }
    log(&format!(
        "{}: {} MACs per LR pixel (budget {}), {} parameters, halo {} px",
        arch.model_name(),
        arch.macs_per_pixel(),
        config.profile.budget(),
        arch.expected_tensors()?.parameter_count(),
        arch.halo()
    ));

    // Data.
    let files = list_images(&config.data)?;
    let held_out = holdout_indices(&files, config.holdout);
    let mut train_images = Vec::new();
    let mut val_images = Vec::new();
    let prep_start = Instant::now();
    for (i, path) in files.iter().enumerate() {
        let (train_image, val_image) = prepare_image(path, s as u32, config.degrade)?;
        if held_out.contains(&i) {
            val_images.push(val_image);
        } else {
            train_images.push(train_image);
        }
    }
    let sampler = PatchSampler::new(train_images, s, config.patch, arch.halo())?;
    let lr_pixels: usize = sampler.images().iter().map(|im| im.width * im.height).sum();
    log(&format!(
        "data: {} images in {} ({} training, {:.1} M LR pixels; {} held out: {}), prepared in {:.1} s",
        files.len(),
        config.data.display(),
        sampler.images().len(),
        lr_pixels as f64 / 1e6,
        val_images.len(),
        val_names(&val_images),
        prep_start.elapsed().as_secs_f64()
    ));

    // Network.
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let vb = seeded_var_builder(&varmap, config.seed, DType::F32, &device);
    let (net, init_note) = build_network(config, arch, &varmap, &vb, &device)?;
    if let Some(note) = &init_note {
        log(note);
    }

    let bicubic_psnr_y = if val_images.is_empty() {
        None
    } else {
        let mut total = 0.0;
        for v in &val_images {
            total += score(
                &Method::Bicubic.run_cpu(&v.lr, config.scale)?,
                &v.hr,
                config.scale,
            )?
            .psnr_y;
        }
        Some(total / val_images.len() as f64)
    };

    // History from earlier sessions (trimmed to the checkpoint on the first step).
    let mut history = if config.resume {
        read_history(&paths.history)
    } else {
        Vec::new()
    };
    let mut validation = if config.resume {
        read_validation(&paths.validation)
    } else {
        Vec::new()
    };
    let mut elapsed_before = 0.0;
    let mut first_report = true;

    let params = ParamsAdamW {
        lr: config.peak_lr,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
    };
    let trainer = Trainer::<ResumableAdamW>::new(&varmap, params, config.steps)
        .seed(config.seed)
        .schedule(config.schedule())
        .checkpoint(&paths.checkpoint, config.checkpoint_every)
        .resume(config.resume);

    let crop = s * arch.halo();
    let hr_patch = s * config.patch;
    let loss_fn = |ctx: &mut kansei_nn::StepContext<'_>| -> candle_core::Result<Tensor> {
        let batch = sampler.sample(&mut *ctx.rng, config.batch);
        let side = batch.lr_side;
        let lr = Tensor::from_vec(batch.lr, (batch.size, side, side), &device)?;
        let target = Tensor::from_vec(batch.target, (batch.size, hr_patch, hr_patch), &device)?;
        let predicted = net
            .network()?
            .residual(&lr)?
            .narrow(1, crop, hr_patch)?
            .narrow(2, crop, hr_patch)?;
        config.loss.of(&(predicted - target)?)
    };

    let mut failure: Option<TrainError> = None;
    let loop_start = Instant::now();
    let mut last_print = Instant::now();
    let mut since_print = (0u64, 0.0f64);
    let mut session_steps = 0u64;
    let label = format!("[{} x{s}]", config.profile.name());
    let outcome = trainer.run(loss_fn, |progress| {
        if first_report {
            first_report = false;
            let start = progress.step - 1;
            history.retain(|r| r.step <= start);
            validation.retain(|v| v.step <= start);
            elapsed_before = history.last().map_or(0.0, |r| r.elapsed_s);
            if start > 0 {
                log(&format!("{label} resumed at step {start}"));
            }
        }
        session_steps += 1;
        let elapsed_s = elapsed_before + session_start.elapsed().as_secs_f64();
        history.push(HistoryRow {
            step: progress.step,
            loss: progress.loss,
            lr: progress.learning_rate,
            elapsed_s,
        });
        since_print.0 += 1;
        since_print.1 += progress.loss;
        let last = progress.step == progress.total_steps;
        if last_print.elapsed().as_secs_f64() >= config.print_every_s || last {
            let rate = session_steps as f64 / loop_start.elapsed().as_secs_f64().max(1e-9);
            let eta = (progress.total_steps - progress.step) as f64 / rate.max(1e-9);
            log(&format!(
                "{label} step {}/{}  loss {:.5}  lr {:.2e}  {:.2} steps/s  ETA {}",
                progress.step,
                progress.total_steps,
                since_print.1 / since_print.0 as f64,
                progress.learning_rate,
                rate,
                format_duration(eta)
            ));
            since_print = (0, 0.0);
            last_print = Instant::now();
        }
        let due = config.validate_every > 0 && progress.step % config.validate_every == 0;
        if (due || last) && !val_images.is_empty() {
            match net
                .network()
                .map_err(TrainError::from)
                .and_then(|net| validate(&net, &val_images, config.scale, progress.step))
            {
                Ok(v) => {
                    log(&format!(
                        "{label} validation at step {}: PSNR-Y {:.3} dB, SSIM-Y {:.4} (bicubic {:.3} dB, {:+.3} dB)",
                        v.step,
                        v.psnr_y,
                        v.ssim_y,
                        bicubic_psnr_y.unwrap_or(f64::NAN),
                        v.psnr_y - bicubic_psnr_y.unwrap_or(f64::NAN)
                    ));
                    validation.push(v);
                }
                Err(e) => {
                    failure = Some(e);
                    return ControlFlow::Break(());
                }
            }
        }
        let stop = config.session_steps.is_some_and(|n| session_steps >= n) && !last;
        if (progress.checkpointed || last || stop)
            && let Err(e) = write_side_files(
                &paths,
                &history,
                &validation,
                bicubic_psnr_y,
                config.steps,
            )
        {
            failure = Some(e);
            return ControlFlow::Break(());
        }
        if stop {
            log(&format!(
                "{label} session limit reached at step {}; continue with --resume",
                progress.step
            ));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    let outcome = outcome?;
    if let Some(e) = failure {
        return Err(e);
    }
    let wall_time_s = history
        .last()
        .map_or(session_start.elapsed().as_secs_f64(), |r| r.elapsed_s);
    let mut report = TrainReport {
        paths: paths.clone(),
        steps: outcome.steps_completed,
        saved: false,
        card: None,
        validation: validation.clone(),
        bicubic_psnr_y,
        wall_time_s,
    };
    if outcome.steps_completed < config.steps {
        return Ok(report);
    }
    if first_report {
        // Nothing ran: the checkpoint was already at the last step.
        log(&format!(
            "{label} the checkpoint is already at step {}",
            config.steps
        ));
    }
    let card = model_card(
        config,
        &arch,
        &val_images,
        init_note.as_deref(),
        validation.last().copied(),
        bicubic_psnr_y,
        wall_time_s,
    );
    let tensors: HashMap<String, Tensor> = net
        .network()?
        .tensors()
        .into_iter()
        .map(|(name, t)| (name, t.detach()))
        .collect();
    let written = kansei_nn::save(&paths.model, &card, &tensors)?;
    log(&format!(
        "{label} saved {} ({} parameters, {} MACs per LR pixel) after {} steps, {} of training",
        paths.model.display(),
        written.parameters,
        written.cost.macs_per_unit,
        outcome.steps_completed,
        format_duration(wall_time_s)
    ));
    report.saved = true;
    report.card = Some(written);
    Ok(report)
}

/// `mean(sqrt(d² + ε²))`.
///
/// # Errors
///
/// On a candle error.
pub fn charbonnier(diff: &Tensor) -> candle_core::Result<Tensor> {
    (diff.sqr()? + CHARBONNIER_EPS2)?.sqrt()?.mean_all()
}

/// The network a run trains: the plain network, or its over-parameterised form.
enum Trainable {
    Plain(LumaNet),
    Expanded(ExpandedLumaNet),
}

impl Trainable {
    /// The network to run: for the over-parameterised form, collapsed from the current factors
    /// (differentiable in them), so call it again after every optimiser step.
    fn network(&self) -> candle_core::Result<LumaNet> {
        match self {
            Self::Plain(net) => Ok(net.clone()),
            Self::Expanded(net) => net.collapse(),
        }
    }
}

/// Builds the network, over-parameterised with `config.expand` or copying (and optionally
/// freezing) tensors from `config.init`. Returns a sentence describing the initialisation when
/// there was one.
fn build_network(
    config: &TrainConfig,
    arch: Architecture,
    varmap: &VarMap,
    vb: &VarBuilder<'static>,
    device: &Device,
) -> Result<(Trainable, Option<String>), TrainError> {
    if let Some(width) = config.expand {
        let net = ExpandedLumaNet::new(arch, width, vb)?;
        let note = format!(
            "trained over-parameterised (SESR-style linear blocks): each k x k convolution as a \
             k x k convolution to {width} channels and a 1 x 1 back, plus the identity in the \
             body layers, collapsed exactly into the plain network after every step"
        );
        return Ok((Trainable::Expanded(net), Some(note)));
    }
    let Some(init) = &config.init else {
        return Ok((Trainable::Plain(LumaNet::new(arch, vb)?), None));
    };
    let (source, card) = LumaNet::load(init, device)?;
    if source.architecture().profile != arch.profile {
        return Err(TrainError::Config(format!(
            "--init `{}` is a {} model; this run trains {}",
            init.display(),
            source.architecture().profile.name(),
            arch.profile.name()
        )));
    }
    let copied: HashMap<String, Tensor> = source
        .tensors()
        .into_iter()
        .filter(|(name, _)| !(config.freeze_body && name.starts_with("tail.")))
        .collect();
    let net = if config.freeze_body {
        let body_vb = VarBuilder::from_tensors(copied, DType::F32, device);
        LumaNet::with_tail(arch, &body_vb, vb)?
    } else {
        let net = LumaNet::new(arch, vb)?;
        let mut varmap = varmap.clone();
        let shapes: HashMap<String, Vec<usize>> = net
            .tensors()
            .into_iter()
            .map(|(name, t)| (name, t.dims().to_vec()))
            .collect();
        for (name, tensor) in &copied {
            if shapes.get(name).is_some_and(|s| s == tensor.dims()) {
                varmap.set_one(name, tensor)?;
            }
        }
        net
    };
    let what = if config.freeze_body {
        "head and body copied and frozen, new tail trained"
    } else {
        "every tensor of matching shape copied, all layers trained"
    };
    Ok((
        Trainable::Plain(net),
        Some(format!(
            // The file name only: the card travels with the model, the training folder does not.
            "initialised from `{}` ({}, {} steps): {what}",
            file_name(init),
            card.name,
            card.training.steps
        )),
    ))
}

/// Mean PSNR-Y / SSIM-Y of the network on the held-out images, under the evaluation protocol.
fn validate(
    net: &LumaNet,
    images: &[ValImage],
    scale: Scale,
    step: u64,
) -> Result<Validation, TrainError> {
    let (mut psnr, mut ssim) = (0.0, 0.0);
    for v in images {
        let scores = score(&net.upscale_rgb(&v.lr)?, &v.hr, scale)?;
        psnr += scores.psnr_y;
        ssim += scores.ssim_y;
    }
    let n = images.len().max(1) as f64;
    Ok(Validation {
        step,
        psnr_y: psnr / n,
        ssim_y: ssim / n,
    })
}

fn val_names(images: &[ValImage]) -> String {
    if images.is_empty() {
        return "none".to_owned();
    }
    images
        .iter()
        .map(|v| file_name(&v.path))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The last component of `path` (the whole path when it has none, such as `..`): how cards
/// and logs name files, which travel without the folders they were made in.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// `1h02m`, `3m05s`, `42s`.
fn format_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// Writes the history CSVs and the loss curve (each atomically: temporary file, then rename).
fn write_side_files(
    paths: &TrainPaths,
    history: &[HistoryRow],
    validation: &[Validation],
    bicubic: Option<f64>,
    total_steps: u64,
) -> Result<(), TrainError> {
    let mut text = String::from("step,loss,lr,elapsed_s\n");
    for r in history {
        let _ = writeln!(
            text,
            "{},{:.7},{:.4e},{:.1}",
            r.step, r.loss, r.lr, r.elapsed_s
        );
    }
    write_atomic(&paths.history, text.as_bytes())?;
    let mut text = String::from("step,psnr_y,ssim_y,bicubic_psnr_y\n");
    for v in validation {
        let _ = writeln!(
            text,
            "{},{:.4},{:.5},{:.4}",
            v.step,
            v.psnr_y,
            v.ssim_y,
            bicubic.unwrap_or(f64::NAN)
        );
    }
    write_atomic(&paths.validation, text.as_bytes())?;
    let losses: Vec<(u64, f64)> = history.iter().map(|r| (r.step, r.loss)).collect();
    let psnr: Vec<(u64, f64)> = validation.iter().map(|v| (v.step, v.psnr_y)).collect();
    let tmp = kansei_nn::temp_path(&paths.loss_png);
    plot_training(&tmp, &losses, &psnr, bicubic, total_steps)?;
    std::fs::rename(&tmp, &paths.loss_png).map_err(|e| TrainError::Write {
        path: paths.loss_png.clone(),
        reason: e.to_string(),
    })
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let tmp = kansei_nn::temp_path(path);
    let fail = |e: std::io::Error| TrainError::Write {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}

fn read_history(path: &Path) -> Vec<HistoryRow> {
    read_csv(path)
        .into_iter()
        .filter_map(|f| {
            Some(HistoryRow {
                step: f.first()?.parse().ok()?,
                loss: f.get(1)?.parse().ok()?,
                lr: f.get(2)?.parse().ok()?,
                elapsed_s: f.get(3)?.parse().ok()?,
            })
        })
        .collect()
}

fn read_validation(path: &Path) -> Vec<Validation> {
    read_csv(path)
        .into_iter()
        .filter_map(|f| {
            Some(Validation {
                step: f.first()?.parse().ok()?,
                psnr_y: f.get(1)?.parse().ok()?,
                ssim_y: f.get(2)?.parse().ok()?,
            })
        })
        .collect()
}

/// The data rows of a small CSV file (header skipped); nothing if it is missing.
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .map(|text| {
            text.lines()
                .skip(1)
                .map(|l| l.split(',').map(str::to_owned).collect())
                .collect()
        })
        .unwrap_or_default()
}

/// The model card of a finished run.
fn model_card(
    config: &TrainConfig,
    arch: &Architecture,
    val_images: &[ValImage],
    init_note: Option<&str>,
    last_validation: Option<Validation>,
    bicubic: Option<f64>,
    wall_time_s: f64,
) -> ModelCard {
    let s = arch.factor();
    let named = |n: &str| Dim::Named(n.to_owned());
    let mut recipe = format!(
        "ResumableAdamW (beta1 0.9, beta2 0.999, eps 1e-8, no weight decay); learning rate cosine \
         with warm-up: peak {:.1e}, floor {:.1e}, {} warm-up steps over {} steps; {} on the luma \
         residual over bicubic (luma in [0, 1]); batch {} random \
         {p}x{p} LR patches (+{} px context margin, not scored) with random flips and 90-degree \
         rotations; seed {}; candle 0.11 on the CPU, f32.",
        config.peak_lr,
        config.floor_lr,
        config.warmup_steps.min(config.steps / 10),
        config.steps,
        config.loss.describe(),
        config.batch,
        arch.halo(),
        config.seed,
        p = config.patch,
    );
    if let Some(note) = init_note {
        recipe += &format!(" {note}.");
    }
    if let (Some(v), Some(b)) = (last_validation, bicubic) {
        recipe += &format!(
            " Final validation on {} held-out training images ({}): PSNR-Y {:.2} dB (bicubic \
             {:.2} dB), SSIM-Y {:.4}.",
            val_images.len(),
            val_names(val_images),
            v.psnr_y,
            b,
            v.ssim_y
        );
    }
    recipe += &format!(
        " Reproduce: kansei upscale train --profile {} --scale {s} --data ../shared/data/sr/train \
         --out {} --steps {} --batch {} --patch {} --lr {:e} --warmup {} --seed {}{}{}.",
        arch.profile.name(),
        file_name(&config.out),
        config.steps,
        config.batch,
        config.patch,
        config.peak_lr,
        config.warmup_steps,
        config.seed,
        if config.loss == Loss::Mse {
            " --loss mse"
        } else {
            ""
        },
        match &config.init {
            Some(p) => format!(
                " --init {}{}",
                file_name(p),
                if config.freeze_body {
                    " --freeze-body"
                } else {
                    ""
                }
            ),
            None => config
                .expand
                .map_or_else(String::new, |width| format!(" --expand {width}")),
        }
    );
    ModelCard {
        name: arch.model_name(),
        version: config.version.clone(),
        task: format!(
            "{s}x super-resolution of the luma of RGB images: predicts the residual of Y/255 \
             (BT.601, MATLAB rgb2ycbcr) over the bicubic upscale (Keys a = -0.5); the RGB output \
             is bicubic RGB plus the residual times 255/219 on each channel (bicubic chroma). \
             {} profile: {} channels, {}x{} head, {} 3x3 residual body layer(s), {}x{} tail to {} \
             sub-pixels, pixel shuffle; PReLU; every convolution clamps coordinates at the image \
             edge.",
            arch.profile.name(),
            arch.channels,
            arch.head_kernel,
            arch.head_kernel,
            arch.body_layers,
            arch.tail_kernel,
            arch.tail_kernel,
            s * s
        ),
        inputs: vec![TensorSignature {
            name: "low_res_luma".to_owned(),
            shape: vec![named("batch"), named("height"), named("width")],
            dtype: kansei_nn::CardDType::F32,
        }],
        outputs: vec![TensorSignature {
            name: "luma_residual".to_owned(),
            shape: vec![
                named("batch"),
                named(&format!("{s} * height")),
                named(&format!("{s} * width")),
            ],
            dtype: kansei_nn::CardDType::F32,
        }],
        parameters: 0,
        cost: arch.macs().to_cost(),
        training_data: TrainingData {
            description: format!(
                "The classic 291-image SR training set: BSDS200 (200 photos of the Berkeley \
                 Segmentation Dataset) and T91 (Yang et al. 2010, 91 images); {} of them held \
                 out for validation ({}), never trained on. Set5 and Set14 were not used for \
                 training or model selection.",
                val_images.len(),
                val_names(val_images)
            ),
            provenance: format!(
                "../shared/data/sr/train (bsd200/*.png, t91/*.bmp), read from `{}`. Each image \
                 cropped to a multiple of {s}, degraded by MATLAB-style antialiased bicubic \
                 imresize (kansei_upscale::eval::downscale_antialiased) and quantised to 8 bits, \
                 like the Set5/Set14 LR files.",
                config.data.display()
            ),
            licence: "Research-use images: BSDS and T91 are distributed for research; these \
                      weights are derived from them and are for research and evaluation. Check \
                      the image licences before any other use."
                .to_owned(),
        },
        training: TrainingRecipe {
            description: recipe,
            steps: config.steps,
            wall_time_s,
            machine: config.machine.clone(),
        },
        intended_use: format!(
            "{s}x upscaling of rendered frames or photos in Kansei's upscaler (the WGSL port of \
             this network), and its evaluation against bicubic, FSR 1-style and FSRCNN on the \
             standard SR test sets."
        ),
        limitations: vec![
            "Trained only on natural photographs (BSDS200 + T91), not on rendered game frames: \
             text, UI, thin aliased geometry and dithering may be reconstructed worse."
                .to_owned(),
            "Expects the test sets' degradation (antialiased bicubic downscaling of clean \
             images); noise, compression artefacts or a different downscaler reduce the gain."
                .to_owned(),
            "Luma only: chroma is plain bicubic.".to_owned(),
            "Single-image: no temporal information, so no temporal stability guarantees."
                .to_owned(),
            "Research-use training data (see the licence).".to_owned(),
        ],
        weights_checksum: None,
    }
}

/// Measures, without training, how fast `config`'s network trains on this machine with each
/// convolution implementation: every layer shape alone (forward, forward + backward), then a
/// whole training step at the configured batch and patch (margin included). One line per
/// measurement goes to `log`.
///
/// # Errors
///
/// On a candle error.
pub fn benchmark(config: &TrainConfig, log: &mut dyn FnMut(&str)) -> Result<(), TrainError> {
    let arch = Architecture::new(config.profile, config.scale);
    let side = config.patch + 2 * arch.halo();
    let (n, c, s) = (config.batch, arch.channels, arch.factor());
    log(&format!(
        "{}: batch {n} x {side}x{side} LR pixels, {} thread(s)",
        arch.model_name(),
        candle_core::utils::get_num_threads()
    ));
    let mut layers = vec![("head", (1, c, arch.head_kernel))];
    if arch.body_layers > 0 {
        layers.push(("body", (c, c, 3)));
    }
    layers.push(("tail", (c, s * s, arch.tail_kernel)));
    for (name, (cin, cout, k)) in layers {
        let flops = 2.0 * (k * k * cin * cout * n * side * side) as f64;
        let mut line = format!("{name} {cin}->{cout} {k}x{k}:");
        for conv_impl in [ConvImpl::Im2col, ConvImpl::Candle] {
            let (fwd, step) = time_convolution(conv_impl, (cin, cout, k), (n, side, side), 3)?;
            let _ = write!(
                line,
                "  {conv_impl:?} fwd {:.2} ms ({:.1} GFLOP/s), fwd+bwd {:.2} ms ({:.1} GFLOP/s)",
                fwd * 1e3,
                flops / fwd / 1e9,
                step * 1e3,
                3.0 * flops / step / 1e9
            );
        }
        log(&line);
    }
    for t in time_training_step(arch, n, side, 3)? {
        log(&format!(
            "whole network, {:?}: forward {:.1} ms ({:.1} GFLOP/s), training step {:.1} ms \
             ({:.1} GFLOP/s, {:.2} steps/s before data and optimizer)",
            t.conv_impl,
            t.forward_s * 1e3,
            t.forward_gflops(),
            t.step_s * 1e3,
            t.step_gflops(),
            1.0 / t.step_s
        ));
    }
    Ok(())
}
