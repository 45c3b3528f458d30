//! The network: item and position embeddings, causal self-attention blocks, a final norm, and
//! scores as dot products with the (shared) item embeddings.

use candle_core::{DType, Device, Result, Tensor};
use candle_nn::{Init, LayerNorm, VarBuilder, layer_norm};
use kansei_nn::grad_ops::layer_norm_module_with_grad;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::block::{AttentionBlock, maybe_dropout};

/// The shape of a sequential model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NetConfig {
    /// Items are `1..=num_items` (0 pads).
    pub num_items: u32,
    /// Embedding width. Default 100 (as training's default; `SASRec` used 50).
    pub width: usize,
    /// Self-attention blocks. Default 2.
    pub blocks: usize,
    /// The longest history the model reads (older plays are dropped). Default 50.
    pub max_len: usize,
}

impl NetConfig {
    /// The shape `kansei recommend train` gives by default, for a catalogue of `num_items`
    /// items.
    pub fn for_items(num_items: u32) -> Self {
        Self {
            num_items,
            width: 100,
            blocks: 2,
            max_len: 50,
        }
    }

    /// Multiply-adds to score one full history against the whole catalogue: the blocks at every
    /// position, then one dot product per item.
    pub fn macs_per_recommendation(&self) -> u64 {
        let blocks = AttentionBlock::macs_per_position(self.width, self.max_len)
            * self.blocks as u64
            * self.max_len as u64;
        blocks + u64::from(self.num_items) * self.width as u64
    }
}

/// A batch of histories, left-padded to a common length, with its masks.
#[derive(Debug, Clone)]
pub struct PaddedBatch {
    /// `(batch, length)` item ids, 0 for padding.
    pub items: Tensor,
    /// `(batch, length, 1)`: 1 for real positions, 0 for padding.
    pub keep: Tensor,
    /// `(batch, length, length)`: 0 where query `i` may attend to key `j` (`j <= i`, key not
    /// padding), a large negative number elsewhere.
    pub attention_bias: Tensor,
    /// The common length.
    pub length: usize,
    /// The ids, row-major, as put in `items`.
    pub ids: Vec<u32>,
}

/// Added to the attention scores of masked keys: large enough to give them zero weight, small
/// enough to stay finite through the softmax's max subtraction.
const MASKED: f32 = -1e9;

impl PaddedBatch {
    /// Pads `histories` (each truncated to its last `max_len` items) on the left.
    ///
    /// # Errors
    ///
    /// On a candle error.
    pub fn new(histories: &[&[u32]], max_len: usize, device: &Device) -> Result<Self> {
        let length = histories
            .iter()
            .map(|h| h.len().min(max_len))
            .max()
            .unwrap_or(0)
            .max(1);
        let batch = histories.len();
        let mut ids = vec![0u32; batch * length];
        for (row, history) in histories.iter().enumerate() {
            let recent = &history[history.len().saturating_sub(max_len)..];
            let start = row * length + length - recent.len();
            ids[start..start + recent.len()].copy_from_slice(recent);
        }
        let keep: Vec<f32> = ids.iter().map(|&id| f32::from(u8::from(id != 0))).collect();
        let mut bias = vec![MASKED; batch * length * length];
        for row in 0..batch {
            for query in 0..length {
                for key in 0..=query {
                    if ids[row * length + key] != 0 {
                        bias[(row * length + query) * length + key] = 0.0;
                    }
                }
            }
        }
        Ok(Self {
            items: Tensor::from_vec(ids.clone(), (batch, length), device)?,
            keep: Tensor::from_vec(keep, (batch, length, 1), device)?,
            attention_bias: Tensor::from_vec(bias, (batch, length, length), device)?,
            length,
            ids,
        })
    }
}

/// The self-attentive sequence network.
#[derive(Debug, Clone)]
pub struct SequentialNet {
    item_embedding: Tensor,
    position_embedding: Tensor,
    blocks: Vec<AttentionBlock>,
    final_norm: LayerNorm,
    config: NetConfig,
}

impl SequentialNet {
    /// Builds (or loads, depending on `vb`) the network.
    ///
    /// # Errors
    ///
    /// On a candle error, or when loading weights of other shapes.
    pub fn new(config: NetConfig, vb: VarBuilder) -> Result<Self> {
        Self::with_embedding_stdev(config, 1.0 / (config.width as f64).sqrt(), vb)
    }

    /// [`SequentialNet::new`] with the item and position embeddings drawn with standard
    /// deviation `stdev` when `vb` creates them (loading ignores it). The default,
    /// `1 / sqrt(width)`, starts the output scores near unit variance (the embeddings are scaled
    /// by `sqrt(width)` on input, and scores are dot products with them); `SASRec` draws them
    /// with Glorot's `sqrt(2 / (items + width))`, about 0.009 on the games data, which Adam then
    /// moves by a far larger fraction of their size per step.
    ///
    /// # Errors
    ///
    /// On a candle error, or when loading weights of other shapes.
    pub fn with_embedding_stdev(config: NetConfig, stdev: f64, vb: VarBuilder) -> Result<Self> {
        let width = config.width;
        let init = Init::Randn { mean: 0.0, stdev };
        let item_embedding = vb.get_with_hints(
            (config.num_items as usize + 1, width),
            "item_embedding",
            init,
        )?;
        let position_embedding =
            vb.get_with_hints((config.max_len, width), "position_embedding", init)?;
        let blocks = (0..config.blocks)
            .map(|i| AttentionBlock::new(width, vb.pp(format!("block{i}"))))
            .collect::<Result<_>>()?;
        Ok(Self {
            item_embedding,
            position_embedding,
            blocks,
            final_norm: layer_norm(width, 1e-8, vb.pp("final_norm"))?,
            config,
        })
    }

    /// The network's shape.
    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    /// The `(num_items + 1, width)` item embeddings (row 0 is padding).
    pub fn item_embedding(&self) -> &Tensor {
        &self.item_embedding
    }

    /// The hidden state at every position of `batch`: `(batch, length, width)`. Dropout is
    /// applied only when `rng` is given (training).
    ///
    /// # Errors
    ///
    /// On a candle error.
    pub fn forward(
        &self,
        batch: &PaddedBatch,
        dropout: f64,
        mut rng: Option<&mut StdRng>,
    ) -> Result<Tensor> {
        let (rows, length) = batch.items.dims2()?;
        let width = self.config.width;
        let items = self
            .item_embedding
            .index_select(&batch.items.flatten_all()?, 0)?
            .reshape((rows, length, width))?;
        // Positions count back from the newest play, so a short history uses the same
        // embeddings for its latest items as a long one does.
        let positions = self
            .position_embedding
            .narrow(0, self.config.max_len - length, length)?;
        let xs = (items * (width as f64).sqrt())?.broadcast_add(&positions)?;
        let xs = maybe_dropout(&xs, dropout, rng.as_deref_mut())?;
        let mut xs = xs.broadcast_mul(&batch.keep)?;
        for block in &self.blocks {
            xs = block.forward(
                &xs,
                &batch.attention_bias,
                &batch.keep,
                dropout,
                rng.as_deref_mut(),
            )?;
        }
        layer_norm_module_with_grad(&self.final_norm, &xs)
    }

    /// The hidden state at each history's newest position: `(batch, width)`.
    ///
    /// # Errors
    ///
    /// On a candle error.
    pub fn last_hidden(&self, batch: &PaddedBatch) -> Result<Tensor> {
        let hidden = self.forward(batch, 0.0, None)?;
        hidden.narrow(1, batch.length - 1, 1)?.squeeze(1)
    }

    /// Scores of every item for each history's newest position: `(batch, num_items + 1)`.
    ///
    /// # Errors
    ///
    /// On a candle error.
    pub fn score_all(&self, batch: &PaddedBatch) -> Result<Tensor> {
        let hidden = self.last_hidden(batch)?;
        hidden.matmul(&self.item_embedding.t()?)
    }
}

/// The dtype the network computes in.
pub const DTYPE: DType = DType::F32;
