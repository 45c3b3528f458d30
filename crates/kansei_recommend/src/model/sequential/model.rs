//! The trained sequential model, loaded from a Kansei model file and ready to recommend.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use kansei_nn::{ExpectedTensors, ModelCard};

use super::net::{NetConfig, PaddedBatch, SequentialNet};
use crate::error::RecommendError;
use crate::model::{Recommender, check_history, check_inputs};

/// Name in the model card and weights.
pub const MODEL_NAME: &str = "kansei-recommend-sequential";

/// The shipped model trained on the Amazon video-games data, relative to the workspace root.
pub const GAMES_MODEL_PATH: &str = "assets/models/kansei-recommend-games.safetensors";
/// Its catalogue (numbered items with their training plays).
pub const GAMES_CATALOGUE_PATH: &str = "assets/recommend/games.catalogue.ron";

/// Histories scored together by [`Recommender::score_batch`]: bounds the padded batch's memory.
const BATCH_ROWS: usize = 256;

/// A self-attentive sequential recommender on the CPU.
#[derive(Debug, Clone)]
pub struct SequentialModel {
    net: SequentialNet,
    /// Unit-length item embeddings, row-major, for [`Recommender::item_similarity`].
    unit_embeddings: Vec<f32>,
    card: Option<ModelCard>,
    device: Device,
}

impl SequentialModel {
    /// Loads and checks `path` (and its `.model.ron` card). The network's shape (catalogue size,
    /// width, blocks, history length) is read from the weights and the file is then validated
    /// against the network that shape builds.
    ///
    /// # Errors
    ///
    /// [`RecommendError::Model`] for a missing, corrupt or mismatched file,
    /// [`RecommendError::Invalid`] for weights that are not a sequential recommender.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, RecommendError> {
        let path = path.as_ref();
        let (card, found) = kansei_nn::check_model(path)?;
        if card.name != MODEL_NAME {
            return Err(RecommendError::Invalid(format!(
                "{} holds model `{}`, not `{MODEL_NAME}`",
                path.display(),
                card.name
            )));
        }
        let config = config_from_tensors(&found).ok_or_else(|| {
            RecommendError::Invalid(format!(
                "{}: the tensors do not describe a sequential recommender (item_embedding, \
                 position_embedding and block0.* are needed)",
                path.display()
            ))
        })?;
        let device = Device::Cpu;
        let expected =
            ExpectedTensors::from_constructor(DType::F32, |vb| SequentialNet::new(config, vb))?;
        let loaded = kansei_nn::load(path, &expected, &device)?;
        let net = SequentialNet::new(config, loaded.var_builder(DType::F32, &device))?;
        let mut model = Self::from_net(net)?;
        model.card = Some(loaded.card);
        Ok(model)
    }

    /// Wraps a network trained (or being trained) in this process.
    ///
    /// # Errors
    ///
    /// On a candle error reading the embeddings.
    pub fn from_net(net: SequentialNet) -> Result<Self, RecommendError> {
        let embeddings = net.item_embedding().to_vec2::<f32>()?;
        let unit_embeddings = embeddings
            .iter()
            .flat_map(|row| {
                let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                row.iter().map(move |x| x / norm)
            })
            .collect();
        Ok(Self {
            net,
            unit_embeddings,
            card: None,
            device: Device::Cpu,
        })
    }

    /// The network's shape.
    pub fn config(&self) -> &NetConfig {
        self.net.config()
    }

    /// The model card, when loaded from a file.
    pub fn card(&self) -> Option<&ModelCard> {
        self.card.as_ref()
    }

    /// The network.
    pub fn net(&self) -> &SequentialNet {
        &self.net
    }

    fn scores(&self, histories: &[&[u32]]) -> Result<Tensor, RecommendError> {
        let batch = PaddedBatch::new(histories, self.config().max_len, &self.device)?;
        let scores = self.net.score_all(&batch)?;
        Ok(scores)
    }
}

/// The network shape a set of weight tensors describes, if it describes one.
fn config_from_tensors(found: &ExpectedTensors) -> Option<NetConfig> {
    let items = found.get("item_embedding")?;
    let positions = found.get("position_embedding")?;
    let (&[rows, width], &[max_len, position_width]) =
        (items.shape.as_slice(), positions.shape.as_slice())
    else {
        return None;
    };
    if rows < 2 || width != position_width || max_len == 0 {
        return None;
    }
    let blocks = (0..)
        .take_while(|i| {
            let prefix = format!("block{i}.");
            found.iter().any(|(name, _)| name.starts_with(&prefix))
        })
        .count();
    if blocks == 0 {
        return None;
    }
    Some(NetConfig {
        num_items: u32::try_from(rows - 1).ok()?,
        width,
        blocks,
        max_len,
    })
}

impl Recommender for SequentialModel {
    fn name(&self) -> &str {
        "sequential"
    }

    fn num_items(&self) -> u32 {
        self.config().num_items
    }

    fn score_into(&self, history: &[u32], scores: &mut [f32]) -> Result<(), RecommendError> {
        check_inputs(history, scores, self.num_items())?;
        let row = self.scores(&[history])?.squeeze(0)?.to_vec1::<f32>()?;
        scores.copy_from_slice(&row);
        scores[0] = f32::NEG_INFINITY;
        Ok(())
    }

    fn item_similarity(&self, a: u32, b: u32) -> Option<f32> {
        let width = self.config().width;
        let row = |id: u32| {
            (id != 0 && id <= self.num_items())
                .then(|| &self.unit_embeddings[id as usize * width..(id as usize + 1) * width])
        };
        let (a, b) = (row(a)?, row(b)?);
        Some(a.iter().zip(b).map(|(x, y)| x * y).sum())
    }

    fn score_batch(&self, histories: &[&[u32]]) -> Result<Vec<Vec<f32>>, RecommendError> {
        for history in histories {
            check_history(history, self.num_items())?;
        }
        let mut rows = Vec::with_capacity(histories.len());
        for chunk in histories.chunks(BATCH_ROWS) {
            for mut row in self.scores(chunk)?.to_vec2::<f32>()? {
                row[0] = f32::NEG_INFINITY;
                rows.push(row);
            }
        }
        Ok(rows)
    }
}
