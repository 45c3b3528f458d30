//! A small, generic training loop with learning-rate schedules, checkpoints and resume.
//!
//! The loop knows nothing about the model: the caller's closure builds the loss for a step (it
//! samples data with the step's seeded generator and runs the forward pass), and the trainer does
//! the rest: schedule, backward pass, optimizer step, checkpoints, progress and cancellation.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::PoisonError;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use rand::rngs::StdRng;

use crate::checkpoint::{CheckpointInfo, OpenedCheckpoint, write_checkpoint};
use crate::error::TrainError;
use crate::optim::ResumableOptimizer;
use crate::schedule::LrSchedule;
use crate::seed::{mix, step_rng};

/// What the loss closure gets for each step.
#[derive(Debug)]
pub struct StepContext<'a> {
    /// The 0-based step being computed.
    pub step: u64,
    /// Total steps in the run.
    pub total_steps: u64,
    /// The learning rate this step will use.
    pub learning_rate: f64,
    /// This step's generator (see [`crate::step_rng`]): draw batches, noise and dropout masks
    /// from it and the run is reproducible, resumed or not.
    pub rng: &'a mut StdRng,
}

/// Reported to the progress callback after every step.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Steps completed so far (the step just taken is `step - 1`).
    pub step: u64,
    /// Total steps in the run.
    pub total_steps: u64,
    /// The loss of the step just taken (before its update).
    pub loss: f64,
    /// The learning rate it used.
    pub learning_rate: f64,
    /// Whether a checkpoint was written after this step.
    pub checkpointed: bool,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOutcome {
    /// Steps completed, counting those before a resume.
    pub steps_completed: u64,
    /// The checkpoint step the run resumed from, if it did.
    pub resumed_from: Option<u64>,
    /// Whether the progress callback stopped the run before the last step.
    pub stopped_early: bool,
    /// The loss of the last step taken in this call, if any.
    pub last_loss: Option<f64>,
}

/// Checkpoint settings.
#[derive(Debug, Clone)]
struct CheckpointPolicy {
    path: PathBuf,
    every: u64,
}

/// Trains the variables of a `VarMap` with a [`ResumableOptimizer`].
///
/// ```
/// use std::ops::ControlFlow;
/// use candle_core::{DType, Device, Tensor};
/// use candle_nn::{Module, SGD, VarMap};
/// use kansei_nn::{LrSchedule, Trainer, seeded_var_builder};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let varmap = VarMap::new();
/// let layer = candle_nn::linear(2, 1, seeded_var_builder(&varmap, 7, DType::F32, &Device::Cpu))?;
/// let x = Tensor::new(&[[1f32, 2.0], [3.0, -1.0]], &Device::Cpu)?;
/// let y = Tensor::new(&[[1f32], [0.0]], &Device::Cpu)?;
/// let outcome = Trainer::<SGD>::new(&varmap, 0.05, 50)
///     .seed(7)
///     .schedule(LrSchedule::Constant(0.05))
///     .run(
///         |_step| candle_nn::loss::mse(&layer.forward(&x)?, &y),
///         |_progress| ControlFlow::Continue(()),
///     )?;
/// assert!(outcome.last_loss.is_some_and(|loss| loss < 0.05));
/// # Ok(())
/// # }
/// ```
pub struct Trainer<O: ResumableOptimizer> {
    optimizer_config: O::Config,
    settings: Settings,
}

/// Everything about a run except the optimizer's configuration (which is consumed by the run).
#[derive(Clone)]
struct Settings {
    varmap: VarMap,
    steps: u64,
    seed: u64,
    schedule: Option<LrSchedule>,
    checkpoint: Option<CheckpointPolicy>,
    resume: bool,
}

impl<O: ResumableOptimizer> Trainer<O> {
    /// A run of `steps` optimizer steps over every variable of `varmap`, with the optimizer built
    /// from `optimizer_config` (e.g. a learning rate for `SGD`, a `ParamsAdamW` for `AdamW`).
    pub fn new(varmap: &VarMap, optimizer_config: O::Config, steps: u64) -> Self {
        Self {
            optimizer_config,
            settings: Settings {
                varmap: varmap.clone(),
                steps,
                seed: 0,
                schedule: None,
                checkpoint: None,
                resume: false,
            },
        }
    }

    /// The run's seed, from which every step's generator is derived (default 0).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.settings.seed = seed;
        self
    }

    /// Sets the learning rate before every step. Without a schedule the optimizer's configured
    /// rate is used throughout.
    #[must_use]
    pub fn schedule(mut self, schedule: LrSchedule) -> Self {
        self.settings.schedule = Some(schedule);
        self
    }

    /// Writes a checkpoint to `path` every `every` steps, after the last step, and when the
    /// progress callback stops the run.
    #[must_use]
    pub fn checkpoint(mut self, path: impl Into<PathBuf>, every: u64) -> Self {
        self.settings.checkpoint = Some(CheckpointPolicy {
            path: path.into(),
            every,
        });
        self
    }

    /// Whether to continue from the checkpoint file if it exists (default `false`: an existing
    /// checkpoint is overwritten). A resumed run must use the same seed and optimizer; with an
    /// optimizer whose state is exact ([`ResumableOptimizer::EXACT_RESUME`]) it ends with the same
    /// weights as an uninterrupted run.
    #[must_use]
    pub fn resume(mut self, resume: bool) -> Self {
        self.settings.resume = resume;
        self
    }

    /// Runs the remaining steps. `loss_fn` returns the (single-element) loss for a step;
    /// `progress` is called after every step and may return `ControlFlow::Break(())` to stop
    /// (a checkpoint is written first, if configured).
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidConfig`] for a bad schedule or checkpoint interval,
    /// [`TrainError::Checkpoint`] if the checkpoint to resume from belongs to another run,
    /// [`TrainError::Model`] if a checkpoint cannot be read or written,
    /// [`TrainError::NonFiniteLoss`] / [`TrainError::NonScalarLoss`] for a bad loss (the step is
    /// not applied), and [`TrainError::Candle`] for errors in the closure or backward pass.
    pub fn run(
        self,
        mut loss_fn: impl FnMut(&mut StepContext<'_>) -> candle_core::Result<Tensor>,
        mut progress: impl FnMut(&Progress) -> ControlFlow<()>,
    ) -> Result<TrainOutcome, TrainError> {
        let Self {
            optimizer_config,
            settings,
        } = self;
        if let Some(schedule) = &settings.schedule {
            schedule.validate().map_err(TrainError::InvalidConfig)?;
        }
        if settings.resume && settings.checkpoint.is_none() {
            return Err(TrainError::InvalidConfig(
                "resume was requested but no checkpoint path was set".to_owned(),
            ));
        }
        if settings.checkpoint.as_ref().is_some_and(|c| c.every == 0) {
            return Err(TrainError::InvalidConfig(
                "the checkpoint interval must be at least 1 step".to_owned(),
            ));
        }

        // Sorted so that index-keyed optimizer state lines up across runs (HashMap order does not).
        let mut vars: Vec<_> = {
            let data = settings
                .varmap
                .data()
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            data.iter()
                .map(|(name, var)| (name.clone(), var.clone()))
                .collect()
        };
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let device = vars
            .first()
            .map_or(Device::Cpu, |(_, var)| var.device().clone());
        let mut optimizer = O::new(
            vars.into_iter().map(|(_, var)| var).collect(),
            optimizer_config,
        )?;

        let resumed_from = settings.resume_if_requested(&mut optimizer)?;
        let start = resumed_from.unwrap_or(0);
        let mut outcome = TrainOutcome {
            steps_completed: start,
            resumed_from,
            stopped_early: false,
            last_loss: None,
        };

        for step in start..settings.steps {
            let learning_rate = settings
                .schedule
                .map_or_else(|| optimizer.learning_rate(), |schedule| schedule.at(step));
            optimizer.set_learning_rate(learning_rate);
            if !device.is_cpu() {
                // GPU generators can be seeded (the CPU one cannot, see `seed`); reseeding per
                // step keeps device-side sampling reproducible across a resume too.
                device.set_seed(mix(settings.seed, step))?;
            }
            let mut rng = step_rng(settings.seed, step);
            let loss = loss_fn(&mut StepContext {
                step,
                total_steps: settings.steps,
                learning_rate,
                rng: &mut rng,
            })?;
            let value = scalar_loss(&loss, step)?;
            optimizer.backward_step(&loss)?;

            let done = step + 1;
            outcome.steps_completed = done;
            outcome.last_loss = Some(value);
            let due = settings
                .checkpoint
                .as_ref()
                .is_some_and(|c| done % c.every == 0 || done == settings.steps);
            if due {
                settings.write_checkpoint(&optimizer, done)?;
            }
            let report = Progress {
                step: done,
                total_steps: settings.steps,
                loss: value,
                learning_rate,
                checkpointed: due,
            };
            if progress(&report).is_break() {
                if !due && settings.checkpoint.is_some() {
                    settings.write_checkpoint(&optimizer, done)?;
                }
                outcome.stopped_early = done < settings.steps;
                break;
            }
        }
        Ok(outcome)
    }
}

impl Settings {
    /// Restores the checkpoint if resuming was requested and one exists; returns its step.
    fn resume_if_requested<O: ResumableOptimizer>(
        &self,
        optimizer: &mut O,
    ) -> Result<Option<u64>, TrainError> {
        let Some(policy) = self
            .checkpoint
            .as_ref()
            .filter(|c| self.resume && c.path.exists())
        else {
            return Ok(None);
        };
        let opened = OpenedCheckpoint::open(&policy.path)?;
        let refuse = |reason: String| TrainError::Checkpoint {
            path: policy.path.clone(),
            reason,
        };
        let info = &opened.info;
        if info.optimizer != O::NAME {
            return Err(refuse(format!(
                "it was written by optimizer `{}`, this run uses `{}`",
                info.optimizer,
                O::NAME
            )));
        }
        if info.seed != self.seed {
            return Err(refuse(format!(
                "it was written by a run with seed {}, this run uses seed {}",
                info.seed, self.seed
            )));
        }
        if info.step > self.steps {
            return Err(refuse(format!(
                "it is at step {}, past this run's {} steps",
                info.step, self.steps
            )));
        }
        let checkpoint = opened.apply(&self.varmap)?;
        optimizer
            .restore_state(&checkpoint.optimizer_state)
            .map_err(|err| refuse(format!("optimizer state does not fit: {err}")))?;
        Ok(Some(checkpoint.info.step))
    }

    fn write_checkpoint<O: ResumableOptimizer>(
        &self,
        optimizer: &O,
        step: u64,
    ) -> Result<(), TrainError> {
        let Some(policy) = &self.checkpoint else {
            return Ok(());
        };
        let info = CheckpointInfo {
            step,
            seed: self.seed,
            optimizer: O::NAME.to_owned(),
        };
        write_checkpoint(&policy.path, &self.varmap, &info, &optimizer.state()?)?;
        Ok(())
    }
}

/// The loss as an `f64`, refusing non-scalar and non-finite losses.
fn scalar_loss(loss: &Tensor, step: u64) -> Result<f64, TrainError> {
    if loss.elem_count() != 1 {
        return Err(TrainError::NonScalarLoss {
            step,
            shape: loss.dims().to_vec(),
        });
    }
    let value = loss
        .flatten_all()?
        .to_dtype(DType::F64)?
        .get(0)?
        .to_scalar::<f64>()?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(TrainError::NonFiniteLoss { step, loss: value })
    }
}
