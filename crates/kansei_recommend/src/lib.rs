//! On-device recommendations: suggest what a player will want next from their own history, on
//! the device, with a reason the player can read.
//!
//! - [`data`]: interaction files (`user item` lines) and the leave-last-out split.
//! - [`model`]: the [`Recommender`](model::Recommender) trait and its models: `popular`,
//!   `markov` and the self-attentive `sequential` model (candle).
//! - [`eval`]: offline evaluation (the sampled protocol of the `SASRec` paper, full ranking,
//!   exposure).
//! - [`rerank`]: the long-tail re-ranker.
//! - [`demo`]: the demo game library and its simulated players.
//! - `plugin` (feature `bevy`, on by default): the Bevy plugin, `RecommendPlugin`.

pub mod catalogue;
pub mod data;
pub mod demo;
pub mod engine;
pub mod error;
pub mod eval;
pub mod model;
#[cfg(feature = "bevy")]
pub mod plugin;
pub mod rerank;

pub use catalogue::{Catalogue, CatalogueItem};
pub use data::{Interactions, LeaveLastOut};
pub use engine::{Reason, RecommendEngine, Recommendation};
pub use error::{DataError, RecommendError};
pub use eval::{EvalConfig, EvalReport, Split, evaluate};
pub use model::Recommender;
pub use rerank::{RerankConfig, Reranker};
