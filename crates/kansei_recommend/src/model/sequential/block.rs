//! One causal self-attention block: pre-norm single-head attention and a point-wise
//! feed-forward layer, each with a residual connection.

use candle_core::{Result, Tensor};
use candle_nn::{LayerNorm, Linear, Module, VarBuilder, layer_norm, linear};
use kansei_nn::grad_ops::{layer_norm_module_with_grad, softmax_last_dim_with_grad};
use rand::rngs::StdRng;

/// Dropout applied only while training (`rng` is `Some`).
pub(super) fn maybe_dropout(xs: &Tensor, p: f64, rng: Option<&mut StdRng>) -> Result<Tensor> {
    match rng {
        Some(rng) if p > 0.0 => kansei_nn::dropout(xs, p, rng),
        _ => Ok(xs.clone()),
    }
}

/// A causal self-attention block over `(batch, length, width)` activations.
#[derive(Debug, Clone)]
pub struct AttentionBlock {
    attention_norm: LayerNorm,
    query: Linear,
    key: Linear,
    value: Linear,
    feed_forward_norm: LayerNorm,
    feed_forward_in: Linear,
    feed_forward_out: Linear,
    width: usize,
}

impl AttentionBlock {
    /// Builds (or loads, depending on `vb`) a block of the given width.
    pub fn new(width: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            attention_norm: layer_norm(width, 1e-8, vb.pp("attention_norm"))?,
            query: linear(width, width, vb.pp("query"))?,
            key: linear(width, width, vb.pp("key"))?,
            value: linear(width, width, vb.pp("value"))?,
            feed_forward_norm: layer_norm(width, 1e-8, vb.pp("feed_forward_norm"))?,
            feed_forward_in: linear(width, width, vb.pp("feed_forward_in"))?,
            feed_forward_out: linear(width, width, vb.pp("feed_forward_out"))?,
            width,
        })
    }

    /// Multiply-adds per position for a sequence of `length` (attention over every earlier
    /// position counted in full).
    pub fn macs_per_position(width: usize, length: usize) -> u64 {
        (5 * width * width + 2 * width * length) as u64
    }

    /// `xs`: `(batch, length, width)`; `attention_bias`: `(batch, length, length)`, 0 where a
    /// position may attend and a large negative number where it may not (later positions and
    /// padding); `keep`: `(batch, length, 1)`, 1 for real positions and 0 for padding.
    pub fn forward(
        &self,
        xs: &Tensor,
        attention_bias: &Tensor,
        keep: &Tensor,
        dropout: f64,
        mut rng: Option<&mut StdRng>,
    ) -> Result<Tensor> {
        // Attention: queries from the normalised input, keys and values too (pre-norm).
        let normed = layer_norm_module_with_grad(&self.attention_norm, xs)?;
        let q = self.query.forward(&normed)?;
        let k = self.key.forward(&normed)?;
        let v = self.value.forward(&normed)?;
        let scale = 1.0 / (self.width as f64).sqrt();
        let scores = (q.matmul(&k.transpose(1, 2)?.contiguous()?)? * scale)?;
        let weights = softmax_last_dim_with_grad(&scores.broadcast_add(attention_bias)?)?;
        let weights = maybe_dropout(&weights, dropout, rng.as_deref_mut())?;
        let attended = weights.matmul(&v)?;
        let attended = maybe_dropout(&attended, dropout, rng.as_deref_mut())?;
        let xs = (xs + attended)?.broadcast_mul(keep)?;

        // Point-wise feed-forward.
        let normed = layer_norm_module_with_grad(&self.feed_forward_norm, &xs)?;
        let hidden = self.feed_forward_in.forward(&normed)?.relu()?;
        let hidden = maybe_dropout(&hidden, dropout, rng.as_deref_mut())?;
        let out = self.feed_forward_out.forward(&hidden)?;
        let out = maybe_dropout(&out, dropout, rng)?;
        (xs + out)?.broadcast_mul(keep)
    }
}
