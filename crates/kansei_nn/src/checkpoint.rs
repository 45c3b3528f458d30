//! Training checkpoints: one safetensors file holding the model's variables, the optimizer's
//! state and the run's position, written with the same atomic save as models.
//!
//! Layout: every `VarMap` variable under its own name; optimizer state under
//! [`OPTIMIZER_PREFIX`]; and in the metadata `kansei.kind = "checkpoint"`, `kansei.step` (steps
//! completed), `kansei.seed` and `kansei.optimizer`. No generator state is stored: each step's
//! generator is derived from `(seed, step)` (see [`crate::step_rng`]), so the step counter is
//! enough to continue the random stream exactly.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use candle_nn::VarMap;

use crate::error::ModelError;
use crate::load::set_vars;
use crate::save::{SaveIo, StdIo, replace_files, varmap_tensors};
use crate::spec::ExpectedTensors;
use crate::weights::{self, FORMAT_REVISION, META_FORMAT, RawWeights};

/// Prefix of the optimizer-state tensors in a checkpoint file.
pub const OPTIMIZER_PREFIX: &str = "__optimizer__.";

const META_KIND: &str = "kansei.kind";
const KIND_CHECKPOINT: &str = "checkpoint";
const META_STEP: &str = "kansei.step";
const META_SEED: &str = "kansei.seed";
const META_OPTIMIZER: &str = "kansei.optimizer";

/// Where a training run stood when its checkpoint was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointInfo {
    /// Optimizer steps completed.
    pub step: u64,
    /// The run's seed.
    pub seed: u64,
    /// The optimizer's [`ResumableOptimizer::NAME`](crate::ResumableOptimizer::NAME).
    pub optimizer: String,
}

/// A checkpoint read back by [`read_checkpoint`].
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// Where the run stood.
    pub info: CheckpointInfo,
    /// The optimizer's state, keyed as the optimizer named it (prefix removed), on the CPU.
    pub optimizer_state: HashMap<String, Tensor>,
}

/// Atomically writes a checkpoint of `varmap` with `optimizer_state` to `path`.
///
/// # Errors
///
/// [`ModelError::Encode`] if a variable name starts with [`OPTIMIZER_PREFIX`] or a tensor cannot
/// be encoded, [`ModelError::NonFinite`] if a tensor holds NaN or infinity, [`ModelError::Io`] if
/// writing fails. On error the previous checkpoint survives.
pub fn write_checkpoint(
    path: impl AsRef<Path>,
    varmap: &VarMap,
    info: &CheckpointInfo,
    optimizer_state: &[(String, Tensor)],
) -> Result<(), ModelError> {
    write_checkpoint_with(&mut StdIo, path, varmap, info, optimizer_state)
}

/// [`write_checkpoint`] through a custom [`SaveIo`].
///
/// # Errors
///
/// As [`write_checkpoint`].
pub fn write_checkpoint_with(
    io: &mut dyn SaveIo,
    path: impl AsRef<Path>,
    varmap: &VarMap,
    info: &CheckpointInfo,
    optimizer_state: &[(String, Tensor)],
) -> Result<(), ModelError> {
    let path = path.as_ref();
    let model = varmap_tensors(varmap);
    if let Some(name) = model.keys().find(|name| name.starts_with(OPTIMIZER_PREFIX)) {
        return Err(ModelError::Encode {
            path: path.to_path_buf(),
            reason: format!("variable `{name}` uses the reserved prefix `{OPTIMIZER_PREFIX}`"),
        });
    }
    let state: Vec<(String, &Tensor)> = optimizer_state
        .iter()
        .map(|(key, tensor)| (format!("{OPTIMIZER_PREFIX}{key}"), tensor))
        .collect();
    let metadata = HashMap::from([
        (META_FORMAT.to_owned(), FORMAT_REVISION.to_owned()),
        (META_KIND.to_owned(), KIND_CHECKPOINT.to_owned()),
        (META_STEP.to_owned(), info.step.to_string()),
        (META_SEED.to_owned(), info.seed.to_string()),
        (META_OPTIMIZER.to_owned(), info.optimizer.clone()),
    ]);
    let tensors = model
        .iter()
        .map(|(name, tensor)| (name.as_str(), tensor))
        .chain(state.iter().map(|(name, tensor)| (name.as_str(), *tensor)));
    let bytes = weights::encode(path, tensors, metadata)?;
    replace_files(io, &[(path, bytes.as_slice())])
}

/// Reads the checkpoint at `path`, validates its variables against `varmap` (same names, shapes,
/// dtypes, all finite) and copies them into `varmap`. Returns the run position and the optimizer
/// state for [`ResumableOptimizer::restore_state`](crate::ResumableOptimizer::restore_state).
///
/// # Errors
///
/// The [`ModelError`] variants of loading a model, and [`ModelError::BadWeightsFile`] if the file
/// is not a Kansei checkpoint. On error `varmap` is not modified.
pub fn read_checkpoint(path: impl AsRef<Path>, varmap: &VarMap) -> Result<Checkpoint, ModelError> {
    OpenedCheckpoint::open(path.as_ref())?.apply(varmap)
}

/// A checkpoint whose header has been read but whose variables are not yet applied, so the caller
/// can vet [`CheckpointInfo`] before anything is modified.
pub(crate) struct OpenedCheckpoint<'p> {
    path: &'p Path,
    raw: RawWeights,
    pub(crate) info: CheckpointInfo,
}

impl<'p> OpenedCheckpoint<'p> {
    pub(crate) fn open(path: &'p Path) -> Result<Self, ModelError> {
        let raw = RawWeights::read(path)?;
        if raw.meta(META_KIND) != Some(KIND_CHECKPOINT) {
            return Err(ModelError::bad_weights(
                path,
                "not a Kansei training checkpoint (metadata `kansei.kind` is not \"checkpoint\")",
            ));
        }
        let number = |key: &str| -> Result<u64, ModelError> {
            raw.meta(key)
                .and_then(|value| value.parse().ok())
                .ok_or_else(|| {
                    ModelError::bad_weights(
                        path,
                        format!("metadata `{key}` is missing or not a number"),
                    )
                })
        };
        let info = CheckpointInfo {
            step: number(META_STEP)?,
            seed: number(META_SEED)?,
            optimizer: raw.meta(META_OPTIMIZER).unwrap_or_default().to_owned(),
        };
        Ok(Self { path, raw, info })
    }

    pub(crate) fn apply(self, varmap: &VarMap) -> Result<Checkpoint, ModelError> {
        let path = self.path;
        let (state_views, model_views): (Vec<_>, Vec<_>) = self
            .raw
            .views(path)?
            .into_iter()
            .partition(|(name, _)| name.starts_with(OPTIMIZER_PREFIX));
        weights::check_against(path, &model_views, &ExpectedTensors::from_varmap(varmap))?;
        weights::check_finite(path, &model_views)?;
        weights::check_finite(path, &state_views)?;
        let optimizer_state = weights::to_tensors(path, &state_views, &Device::Cpu)?
            .into_iter()
            .map(|(name, tensor)| {
                let key = name
                    .strip_prefix(OPTIMIZER_PREFIX)
                    .unwrap_or(&name)
                    .to_owned();
                (key, tensor)
            })
            .collect();
        set_vars(path, varmap, &model_views)?;
        Ok(Checkpoint {
            info: self.info,
            optimizer_state,
        })
    }
}
