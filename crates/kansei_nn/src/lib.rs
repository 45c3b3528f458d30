//! Kansei's model-file layer and shared candle training helpers.
//!
//! A Kansei model is two files side by side:
//!
//! - `foo.safetensors`: the weights, with the model's name and version in the safetensors
//!   metadata (`kansei.name`, `kansei.version`);
//! - `foo.model.ron`: its [`ModelCard`]: task, inputs and outputs, parameter count, multiply-adds
//!   per inference unit, training data and licence, training recipe, intended use and limits.
//!
//! [`load()`] checks the pair against each other and against the architecture the code expects
//! ([`ExpectedTensors`]) and returns a typed [`ModelError`] naming the file and tensor on any
//! mismatch, truncation, NaN or malformed card; it never panics on bad bytes. [`save()`] writes
//! both files atomically, so a crash leaves the previous model loadable.
//!
//! For training there is a seeded initialiser ([`seeded_var_builder`]: candle 0.11 cannot seed
//! its CPU generator), a [`Trainer`] with learning-rate schedules and exact checkpoint/resume, a
//! checkpointable `AdamW` ([`ResumableAdamW`]), a [`check_gradient_flow`] diagnostic with
//! differentiable replacements for the candle ops that silently drop gradients
//! ([`grad_ops`]), and parameter/multiply-add counters ([`MacCounter`]).
//!
//! # Usage
//!
//! Build a tiny network reproducibly, train it, describe it, save it, and load it back into the
//! same architecture:
//!
//! ```
//! use std::ops::ControlFlow;
//!
//! use candle_core::{DType, Device, Module, Tensor};
//! use candle_nn::{Linear, ParamsAdamW, VarBuilder, VarMap};
//! use kansei_nn::{
//!     ExpectedTensors, LrSchedule, MacCounter, ModelCard, ResumableAdamW, Trainer,
//!     check_gradient_flow, parameter_count, seeded_var_builder,
//! };
//!
//! // The code's architecture: the single source of truth for the weight tensors.
//! struct Scorer {
//!     hidden: Linear,
//!     out: Linear,
//! }
//!
//! impl Scorer {
//!     fn new(vb: VarBuilder) -> candle_core::Result<Self> {
//!         Ok(Self {
//!             hidden: candle_nn::linear(4, 8, vb.pp("hidden"))?,
//!             out: candle_nn::linear(8, 1, vb.pp("out"))?,
//!         })
//!     }
//! }
//!
//! impl Module for Scorer {
//!     fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
//!         self.out.forward(&self.hidden.forward(xs)?.relu()?)
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let device = Device::Cpu;
//! let varmap = VarMap::new();
//! let model = Scorer::new(seeded_var_builder(&varmap, 42, DType::F32, &device))?;
//!
//! let xs = Tensor::new(&[[0.5f32, -1.0, 2.0, 0.0], [1.0, 1.0, -0.5, 0.3]], &device)?;
//! let ys = Tensor::new(&[[1f32], [-1.0]], &device)?;
//! let loss = || candle_nn::loss::mse(&model.forward(&xs)?, &ys);
//!
//! // Every layer must learn (catches candle's gradient-dropping fast paths).
//! check_gradient_flow(&varmap, loss)?;
//!
//! let dir = tempfile::tempdir()?;
//! let outcome = Trainer::<ResumableAdamW>::new(&varmap, ParamsAdamW::default(), 40)
//!     .seed(42)
//!     .schedule(LrSchedule::CosineWithWarmup {
//!         peak: 0.05,
//!         floor: 0.005,
//!         warmup_steps: 5,
//!         total_steps: 40,
//!     })
//!     .checkpoint(dir.path().join("scorer.ckpt.safetensors"), 10)
//!     .resume(true)
//!     .run(|_step| loss(), |_progress| ControlFlow::Continue(()))?;
//! assert_eq!(outcome.steps_completed, 40);
//!
//! // Describe the model; `save` fills in the parameter count and weights checksum.
//! let mut macs = MacCounter::new("decision");
//! macs.linear("hidden", 4, 8, 1.0).linear("out", 8, 1, 1.0);
//! let card = ModelCard {
//!     name: "example-scorer".into(),
//!     version: "1.0.0".into(),
//!     task: "Scores a 4-feature situation".into(),
//!     cost: macs.to_cost(),
//!     intended_use: "Documentation example".into(),
//!     ..ModelCard::default()
//! };
//! let path = dir.path().join("scorer.safetensors");
//! let written = kansei_nn::save_varmap(&path, &card, &varmap)?;
//! assert_eq!(written.parameters, parameter_count(&varmap));
//! assert_eq!(written.cost.macs_per_unit, 4 * 8 + 8);
//!
//! // Load, validated against what the code builds, and rebuild the model from it.
//! let expected = ExpectedTensors::from_constructor(DType::F32, Scorer::new)?;
//! let loaded = kansei_nn::load(&path, &expected, &device)?;
//! let restored = Scorer::new(loaded.var_builder(DType::F32, &device))?;
//! let (a, b) = (model.forward(&xs)?, restored.forward(&xs)?);
//! assert_eq!(a.to_vec2::<f32>()?, b.to_vec2::<f32>()?);
//! # Ok(())
//! # }
//! ```
//!
//! # Files and crashes
//!
//! [`save()`] writes both files to temporaries, flushes them, then renames the weights and then
//! the card into place. A crash before the renames leaves the old model; a crash between them
//! leaves new weights with the old card, which [`load()`] rejects as a
//! [`ModelError::VersionMismatch`] (or [`ModelError::ChecksumMismatch`] when the version was
//! not bumped) rather than mixing them.

mod card;
mod checkpoint;
mod count;
mod error;
mod grad_check;
pub mod grad_ops;
mod load;
mod optim;
mod save;
mod schedule;
mod seed;
mod spec;
mod train;
mod weights;

pub use card::{
    CARD_SUFFIX, CardDType, Dim, InferenceCost, ModelCard, TensorSignature, TrainingData,
    TrainingRecipe, card_path,
};
pub use checkpoint::{
    Checkpoint, CheckpointInfo, OPTIMIZER_PREFIX, read_checkpoint, write_checkpoint,
    write_checkpoint_with,
};
pub use count::{
    MacCounter, MacEntry, conv2d_macs, depthwise_conv2d_macs, linear_macs, parameter_count,
    tensor_parameter_count, weight_macs,
};
pub use error::{ModelError, StuckReason, StuckVariable, TrainError};
pub use grad_check::{check_gradient_flow, check_step_changes_every_variable};
pub use load::{LoadedModel, check_model, load, load_into_varmap};
pub use optim::{ResumableAdamW, ResumableOptimizer};
pub use save::{SaveIo, StdIo, save, save_varmap, save_with, temp_path};
pub use schedule::LrSchedule;
pub use seed::{dropout, randn, seeded_rng, seeded_var_builder, step_rng, uniform};
pub use spec::{ExpectedTensors, TensorSpec};
pub use train::{Progress, StepContext, TrainOutcome, Trainer};
pub use weights::{META_FORMAT, META_NAME, META_VERSION};
