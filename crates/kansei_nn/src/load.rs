//! Validated loading of a model (weights + card). The checks and their order are documented on
//! [`load()`]; nothing is handed out (and no `VarMap` is modified) unless every check passes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::PoisonError;

use candle_core::safetensors::Load;
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use safetensors::tensor::TensorView;

use crate::card::{ModelCard, card_path};
use crate::error::ModelError;
use crate::spec::ExpectedTensors;
use crate::weights::{self, META_NAME, META_VERSION, RawWeights};

/// A model that passed every load check.
#[derive(Debug, Clone)]
pub struct LoadedModel {
    /// The model's card.
    pub card: ModelCard,
    /// The weights, by name.
    pub tensors: HashMap<String, Tensor>,
}

impl LoadedModel {
    /// A [`VarBuilder`] over the loaded tensors, for the model's constructor. Tensors are
    /// converted to `dtype` and moved to `device` as the constructor asks for them.
    pub fn var_builder(&self, dtype: DType, device: &Device) -> VarBuilder<'static> {
        VarBuilder::from_tensors(self.tensors.clone(), dtype, device)
    }
}

/// Loads the model at `path` (weights) and its card (`<stem>.model.ron`), validated against
/// `expected`, with the tensors on `device`.
///
/// # Errors
///
/// The first failed check, in this order:
///
/// 1. the card parses ([`ModelError::MalformedCard`], [`ModelError::InvalidCard`]);
/// 2. the weights are a complete safetensors file ([`ModelError::BadWeightsFile`]);
/// 3. card and weights come from the same save: name, version, checksum
///    ([`ModelError::NameMismatch`], [`ModelError::VersionMismatch`],
///    [`ModelError::ChecksumMismatch`]);
/// 4. the tensors match the architecture the code expects, in name order
///    ([`ModelError::MissingTensor`], [`ModelError::UnexpectedTensor`],
///    [`ModelError::ShapeMismatch`], [`ModelError::DTypeMismatch`]);
/// 5. the card's parameter count is right ([`ModelError::ParameterCountMismatch`]);
/// 6. every value is finite ([`ModelError::NonFinite`]).
///
/// [`ModelError::Io`] names the file that could not be read.
pub fn load(
    path: impl AsRef<Path>,
    expected: &ExpectedTensors,
    device: &Device,
) -> Result<LoadedModel, ModelError> {
    let checked = Checked::read(path.as_ref(), Some(expected))?;
    let views = checked.raw.views(&checked.weights_path)?;
    let tensors = weights::to_tensors(&checked.weights_path, &views, device)?;
    Ok(LoadedModel {
        card: checked.card,
        tensors,
    })
}

/// Checks the model at `path` as [`load()`] does, except against an architecture, which only the
/// model's code knows: card, file integrity, name/version/checksum, parameter count and finite
/// values. Returns the card and the tensor signatures found, for tools such as
/// `kansei model check`.
///
/// # Errors
///
/// As [`load()`], without the architecture checks.
pub fn check_model(path: impl AsRef<Path>) -> Result<(ModelCard, ExpectedTensors), ModelError> {
    let checked = Checked::read(path.as_ref(), None)?;
    let views = checked.raw.views(&checked.weights_path)?;
    let mut found = ExpectedTensors::new();
    for (name, view) in &views {
        let dtype = DType::try_from(view.dtype())
            .map_err(|source| ModelError::tensor(&checked.weights_path, name, source))?;
        found.insert(name.clone(), view.shape().to_vec(), dtype);
    }
    Ok((checked.card, found))
}

/// Loads the model at `path` into the existing variables of `varmap` (to resume training or
/// fine-tune). The file must hold exactly the varmap's variables with their shapes and dtypes.
/// Returns the card.
///
/// # Errors
///
/// As [`load()`]; on error no variable is modified.
pub fn load_into_varmap(path: impl AsRef<Path>, varmap: &VarMap) -> Result<ModelCard, ModelError> {
    let expected = ExpectedTensors::from_varmap(varmap);
    let checked = Checked::read(path.as_ref(), Some(&expected))?;
    let views = checked.raw.views(&checked.weights_path)?;
    set_vars(&checked.weights_path, varmap, &views)?;
    Ok(checked.card)
}

/// Copies validated views into the same-named variables of `varmap`, each on its own device.
pub(crate) fn set_vars(
    path: &Path,
    varmap: &VarMap,
    views: &[(String, TensorView<'_>)],
) -> Result<(), ModelError> {
    let data = varmap.data().lock().unwrap_or_else(PoisonError::into_inner);
    // Convert everything before touching any variable, so a conversion failure leaves the varmap
    // as it was.
    let mut updates = Vec::with_capacity(views.len());
    for (name, view) in views {
        let Some(var) = data.get(name) else {
            return Err(ModelError::UnexpectedTensor {
                path: path.to_path_buf(),
                tensor: name.clone(),
                shape: view.shape().to_vec(),
            });
        };
        let tensor = view
            .load(var.device())
            .map_err(|source| ModelError::tensor(path, name, source))?;
        updates.push((name, var, tensor));
    }
    for (name, var, tensor) in updates {
        var.set(&tensor)
            .map_err(|source| ModelError::tensor(path, name, source))?;
    }
    Ok(())
}

/// A card and weights file that passed every check.
struct Checked {
    weights_path: PathBuf,
    card: ModelCard,
    raw: RawWeights,
}

impl Checked {
    /// Runs the checks of [`load()`]; the architecture checks only when `expected` is given.
    fn read(weights_path: &Path, expected: Option<&ExpectedTensors>) -> Result<Self, ModelError> {
        let card_path = card_path(weights_path);
        let card = ModelCard::read(&card_path)?;
        let raw = RawWeights::read(weights_path)?;

        let name = raw.meta(META_NAME);
        if name != Some(card.name.as_str()) {
            return Err(ModelError::NameMismatch {
                weights_path: weights_path.to_path_buf(),
                card_path,
                card: card.name,
                weights: name.map(str::to_owned),
            });
        }
        let version = raw.meta(META_VERSION);
        if version != Some(card.version.as_str()) {
            return Err(ModelError::VersionMismatch {
                weights_path: weights_path.to_path_buf(),
                card_path,
                card: card.version,
                weights: version.map(str::to_owned),
            });
        }
        if let Some(recorded) = &card.weights_checksum {
            let found = raw.checksum();
            if &found != recorded {
                return Err(ModelError::ChecksumMismatch {
                    weights_path: weights_path.to_path_buf(),
                    card_path,
                    card: recorded.clone(),
                    found,
                });
            }
        }

        let views = raw.views(weights_path)?;
        if let Some(expected) = expected {
            weights::check_against(weights_path, &views, expected)?;
        }
        let found: u64 = views
            .iter()
            .map(|(_, view)| view.shape().iter().map(|&d| d as u64).product::<u64>())
            .sum();
        if found != card.parameters {
            return Err(ModelError::ParameterCountMismatch {
                weights_path: weights_path.to_path_buf(),
                card_path,
                card: card.parameters,
                found,
            });
        }
        weights::check_finite(weights_path, &views)?;

        Ok(Self {
            weights_path: weights_path.to_path_buf(),
            card,
            raw,
        })
    }
}
