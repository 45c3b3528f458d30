//! The self-attentive sequential model (`SASRec`-style, Kang and `McAuley` 2018), in candle.
//!
//! Item and position embeddings, causal single-head self-attention blocks with point-wise
//! feed-forward layers (pre-norm, residual), a final layer norm, and scores as dot products with
//! the item embeddings. Trained with a sampled softmax (see [`loss`]) and early stopping on the
//! validation split ([`train`]).
//!
//! - [`net`]: the network and padded batches.
//! - [`model`]: [`SequentialModel`], the loaded model behind [`crate::Recommender`].
//! - [`train`]: the training run.
//! - [`average`]: averaging networks fine-tuned from one starting point.

pub mod average;
mod batches;
mod block;
mod card;
pub mod loss;
pub mod model;
pub mod net;
pub mod train;
mod validate;

pub use model::{
    GAMES_CATALOGUE_PATH, GAMES_MODEL_PATH, MODEL_NAME, SequentialModel, TRANSITIONS_PREFIX,
    TRANSITIONS_WEIGHT,
};
pub use net::{NetConfig, PaddedBatch, SequentialNet};
pub use train::{
    EpochReport, LossKind, Refit, RunFiles, TRANSITION_WEIGHTS, TrainConfig, TrainState,
    TransitionChoice, add_refit_transitions, add_transitions, train,
};
pub use validate::validation_metrics;

#[cfg(test)]
mod tests;
