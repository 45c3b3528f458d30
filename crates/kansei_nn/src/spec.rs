//! The architecture the code expects: tensor names with their shapes and dtypes.
//!
//! Loading checks a weights file against this spec, so that a model file built for another
//! version of the network fails loudly at load time instead of producing garbage at inference.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use candle_core::{DType, Device, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarBuilder, VarMap};

/// Shape and element type of one expected weight tensor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorSpec {
    /// The tensor's dimensions.
    pub shape: Vec<usize>,
    /// Its element type.
    pub dtype: DType,
}

impl TensorSpec {
    /// Number of scalar elements.
    pub fn elem_count(&self) -> u64 {
        self.shape.iter().map(|&d| d as u64).product()
    }
}

/// The weight tensors a network's code expects, by name, in sorted order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpectedTensors {
    tensors: BTreeMap<String, TensorSpec>,
}

impl ExpectedTensors {
    /// An empty spec.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the tensor `name`.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, shape: impl Into<Shape>, dtype: DType) -> Self {
        self.insert(name, shape, dtype);
        self
    }

    /// Adds (or replaces) the tensor `name`.
    pub fn insert(&mut self, name: impl Into<String>, shape: impl Into<Shape>, dtype: DType) {
        let shape = shape.into().dims().to_vec();
        self.tensors
            .insert(name.into(), TensorSpec { shape, dtype });
    }

    /// The spec of every variable in `varmap`: what a model built on it will save and load.
    pub fn from_varmap(varmap: &VarMap) -> Self {
        let data = varmap.data().lock().unwrap_or_else(PoisonError::into_inner);
        let tensors = data
            .iter()
            .map(|(name, var)| {
                let spec = TensorSpec {
                    shape: var.dims().to_vec(),
                    dtype: var.dtype(),
                };
                (name.clone(), spec)
            })
            .collect();
        Self { tensors }
    }

    /// The spec of a set of named tensors.
    pub fn from_tensors(tensors: &HashMap<String, Tensor>) -> Self {
        let tensors = tensors
            .iter()
            .map(|(name, tensor)| {
                let spec = TensorSpec {
                    shape: tensor.dims().to_vec(),
                    dtype: tensor.dtype(),
                };
                (name.clone(), spec)
            })
            .collect();
        Self { tensors }
    }

    /// Runs a model constructor against a recording [`VarBuilder`] and returns every tensor it
    /// asked for. Nothing random is drawn (every request gets zeros on the CPU), so this is a
    /// cheap way to get the spec straight from the code that builds the network.
    ///
    /// # Errors
    ///
    /// Whatever the constructor returns, or an error if it asks for the same name twice with
    /// different shapes.
    pub fn from_constructor<T>(
        dtype: DType,
        build: impl FnOnce(VarBuilder<'_>) -> candle_core::Result<T>,
    ) -> candle_core::Result<Self> {
        let recorded = Arc::new(Mutex::new(BTreeMap::new()));
        let backend = Recorder {
            recorded: Arc::clone(&recorded),
        };
        let vb = VarBuilder::from_backend(Box::new(backend), dtype, Device::Cpu);
        build(vb)?;
        let tensors = std::mem::take(&mut *recorded.lock().unwrap_or_else(PoisonError::into_inner));
        Ok(Self { tensors })
    }

    /// The spec of `name`, if expected.
    pub fn get(&self, name: &str) -> Option<&TensorSpec> {
        self.tensors.get(name)
    }

    /// Whether `name` is expected.
    pub fn contains(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    /// Every expected tensor, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &TensorSpec)> {
        self.tensors
            .iter()
            .map(|(name, spec)| (name.as_str(), spec))
    }

    /// Number of expected tensors.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// Whether no tensor is expected.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// Total number of scalar parameters across all expected tensors.
    pub fn parameter_count(&self) -> u64 {
        self.tensors.values().map(TensorSpec::elem_count).sum()
    }
}

/// A [`SimpleBackend`] that remembers what was asked for and hands out zeros.
struct Recorder {
    recorded: Arc<Mutex<BTreeMap<String, TensorSpec>>>,
}

impl SimpleBackend for Recorder {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        _init: Init,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let spec = TensorSpec {
            shape: shape.dims().to_vec(),
            dtype,
        };
        let mut recorded = self.recorded.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(previous) = recorded.get(name) {
            if previous != &spec {
                candle_core::bail!(
                    "tensor `{name}` requested twice: as {:?} {} and as {:?} {}",
                    previous.shape,
                    previous.dtype.as_str(),
                    spec.shape,
                    spec.dtype.as_str()
                );
            }
        } else {
            recorded.insert(name.to_owned(), spec);
        }
        Tensor::zeros(shape, dtype, device)
    }

    fn get_unchecked(
        &self,
        name: &str,
        _dtype: DType,
        _device: &Device,
    ) -> candle_core::Result<Tensor> {
        candle_core::bail!("cannot record `{name}` without a shape; use `get` with a shape")
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.recorded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(name)
    }
}
