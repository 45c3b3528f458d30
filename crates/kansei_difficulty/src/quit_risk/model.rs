//! The quit-risk networks and the loaded model.

use std::path::Path;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Linear, VarBuilder, linear};
use kansei_nn::{ExpectedTensors, ModelError};
use kansei_player::EncounterOutcome;

use super::{FEATURES, QuitRisk, features};

/// Name in the model card and weights.
pub const MODEL_NAME: &str = "kansei-quit-risk";
/// Where the shipped model lives, relative to the workspace root (and a game's working
/// directory when it ships Kansei's assets).
pub const DEFAULT_MODEL_PATH: &str = "assets/models/kansei-quit-risk.safetensors";
const HIDDEN: (usize, usize) = (32, 16);

/// The quit-risk network: [`FEATURES`] inputs, hidden layers of 32 and 16 (`ReLU`), one logit.
#[derive(Debug, Clone)]
pub struct QuitRiskNet {
    hidden1: Linear,
    hidden2: Linear,
    out: Linear,
}

impl QuitRiskNet {
    /// Builds (or loads, depending on `vb`) the network.
    pub fn new(vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            hidden1: linear(FEATURES, HIDDEN.0, vb.pp("hidden1"))?,
            hidden2: linear(HIDDEN.0, HIDDEN.1, vb.pp("hidden2"))?,
            out: linear(HIDDEN.1, 1, vb.pp("out"))?,
        })
    }

    /// Multiply-adds per decision.
    pub fn macs() -> u64 {
        (FEATURES * HIDDEN.0 + HIDDEN.0 * HIDDEN.1 + HIDDEN.1) as u64
    }
}

impl Module for QuitRiskNet {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let h = self.hidden1.forward(xs)?.relu()?;
        let h = self.hidden2.forward(&h)?.relu()?;
        self.out.forward(&h)
    }
}

/// The baseline the MLP must beat: logistic regression on the same features.
#[derive(Debug, Clone)]
pub struct LogisticBaseline {
    out: Linear,
}

impl LogisticBaseline {
    /// Builds the baseline.
    pub fn new(vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            out: linear(FEATURES, 1, vb.pp("out"))?,
        })
    }
}

impl Module for LogisticBaseline {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        self.out.forward(xs)
    }
}

/// Why the quit-risk model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum QuitRiskError {
    /// The model files are missing, corrupt or do not match the network.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The weights are not Kansei's quit-risk model.
    #[error("{path} holds model `{found}`, not `{MODEL_NAME}`")]
    WrongModel {
        /// The weights file.
        path: String,
        /// The name its card gives.
        found: String,
    },
    /// candle failed.
    #[error("quit-risk network: {0}")]
    Candle(#[from] candle_core::Error),
}

/// The trained MLP, ready to predict on the CPU.
#[derive(Debug, Clone)]
pub struct QuitRiskModel {
    net: QuitRiskNet,
    device: Device,
}

impl QuitRiskModel {
    /// Loads and checks `path` (and its `.model.ron` card) against the network's tensors.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, QuitRiskError> {
        let path = path.as_ref();
        let device = Device::Cpu;
        let expected = ExpectedTensors::from_constructor(DType::F32, QuitRiskNet::new)?;
        let loaded = kansei_nn::load(path, &expected, &device)?;
        if loaded.card.name != MODEL_NAME {
            return Err(QuitRiskError::WrongModel {
                path: path.display().to_string(),
                found: loaded.card.name,
            });
        }
        let net = QuitRiskNet::new(loaded.var_builder(DType::F32, &device))?;
        Ok(Self { net, device })
    }

    /// Wraps a network trained in this process.
    pub fn from_net(net: QuitRiskNet) -> Self {
        Self {
            net,
            device: Device::Cpu,
        }
    }

    /// Quit risk for each feature vector.
    pub fn predict_batch(&self, rows: &[[f32; FEATURES]]) -> Result<Vec<f32>, QuitRiskError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        let xs = Tensor::from_vec(flat, (rows.len(), FEATURES), &self.device)?;
        let risk = candle_nn::ops::sigmoid(&self.net.forward(&xs)?)?;
        Ok(risk.flatten_all()?.to_vec1::<f32>()?)
    }

    /// Quit risk for one player.
    pub fn predict(&self, recent: &[EncounterOutcome]) -> Result<f32, QuitRiskError> {
        Ok(self.predict_batch(&[features(recent)])?[0])
    }
}

impl QuitRisk for QuitRiskModel {
    fn risk(&self, recent: &[EncounterOutcome]) -> f64 {
        // candle on the CPU with valid shapes does not fail; if it ever did, no risk is the
        // answer that changes nothing.
        self.predict(recent).map_or(0.0, f64::from)
    }
}
