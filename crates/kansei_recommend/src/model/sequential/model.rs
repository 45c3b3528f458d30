//! The trained sequential model, loaded from a Kansei model file and ready to recommend.

use std::path::Path;
use std::sync::OnceLock;

use candle_core::{DType, Device, Tensor};
use kansei_nn::{ExpectedTensors, ModelCard};

use super::net::{NetConfig, PaddedBatch, SequentialNet};
use crate::error::RecommendError;
use crate::model::markov::Markov;
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
    /// What [`Recommender::item_similarity`] needs, computed on first use (`None` if candle
    /// failed to, and then no play explains an item).
    reasons: OnceLock<Option<ReasonTables>>,
    card: Option<ModelCard>,
    device: Device,
    /// Counted transitions added to the network's scores, and their weight (see
    /// [`SequentialModel::with_transitions`]).
    transitions: Option<(Markov, f32)>,
}

/// Checks the model file at `path` and its card, and that the card names a sequential
/// recommender: its card and the tensors it holds.
///
/// # Errors
///
/// [`RecommendError::Model`] for a missing, corrupt or mismatched file,
/// [`RecommendError::Invalid`] for another model's file.
pub(super) fn check_sequential_file(
    path: &Path,
) -> Result<(ModelCard, ExpectedTensors), RecommendError> {
    let (card, found) = kansei_nn::check_model(path)?;
    if card.name != MODEL_NAME {
        return Err(RecommendError::Invalid(format!(
            "{} holds model `{}`, not `{MODEL_NAME}`",
            path.display(),
            card.name
        )));
    }
    Ok((card, found))
}

/// Names of the transition tensors in a model file.
pub const TRANSITIONS_PREFIX: &str = "transitions.";
/// Name of the transitions' weight tensor (one f32).
pub const TRANSITIONS_WEIGHT: &str = "transitions.weight";

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
        let (_, found) = check_sequential_file(path)?;
        let config = config_from_tensors(&found).ok_or_else(|| {
            RecommendError::Invalid(format!(
                "{}: the tensors do not describe a sequential recommender (item_embedding, \
                 position_embedding and block0.* are needed)",
                path.display()
            ))
        })?;
        let device = Device::Cpu;
        let mut expected =
            ExpectedTensors::from_constructor(DType::F32, |vb| SequentialNet::new(config, vb))?;
        // Transitions, when the file has them, are checked for their dtype here and for their
        // consistency by `Markov::from_tensors`.
        let with_transitions = found.get(TRANSITIONS_WEIGHT).is_some();
        if with_transitions {
            for (name, spec) in found
                .iter()
                .filter(|(n, _)| n.starts_with(TRANSITIONS_PREFIX))
            {
                let dtype = if name == TRANSITIONS_WEIGHT || name.ends_with("popularity") {
                    DType::F32
                } else {
                    DType::U32
                };
                expected.insert(name, spec.shape.clone(), dtype);
            }
        }
        let loaded = kansei_nn::load(path, &expected, &device)?;
        let net = SequentialNet::new(config, loaded.var_builder(DType::F32, &device))?;
        let mut model = Self::from_net(net)?;
        if with_transitions {
            let markov = Markov::from_tensors(&loaded.tensors, TRANSITIONS_PREFIX)?;
            let weight = loaded.tensors[TRANSITIONS_WEIGHT]
                .flatten_all()?
                .to_vec1::<f32>()?;
            let &[weight] = weight.as_slice() else {
                return Err(RecommendError::Invalid(format!(
                    "{}: `{TRANSITIONS_WEIGHT}` must hold one number",
                    path.display()
                )));
            };
            model = model.with_transitions(markov, weight)?;
        }
        model.card = Some(loaded.card);
        Ok(model)
    }

    /// Wraps a network trained (or being trained) in this process.
    ///
    /// # Errors
    ///
    /// On a candle error reading the embeddings.
    pub fn from_net(net: SequentialNet) -> Result<Self, RecommendError> {
        Ok(Self {
            net,
            reasons: OnceLock::new(),
            card: None,
            device: Device::Cpu,
            transitions: None,
        })
    }

    /// Adds `weight * ln(1 + count(last -> b))` to every item `b`'s score, with the counts of
    /// `markov` from the player's last play that was ever followed by another (0 turns it off).
    /// A network of width 50 smooths what it learns about rare items; the counted transitions
    /// keep every sequel and series order the training data holds, which ranking the whole
    /// catalogue rewards.
    ///
    /// # Errors
    ///
    /// [`RecommendError::CatalogueMismatch`] if `markov` knows other items, and
    /// [`RecommendError::Invalid`] for a negative or non-finite weight.
    pub fn with_transitions(mut self, markov: Markov, weight: f32) -> Result<Self, RecommendError> {
        if markov.num_items() != self.num_items() {
            return Err(RecommendError::CatalogueMismatch {
                model: "markov".to_owned(),
                model_items: markov.num_items(),
                catalogue_items: self.num_items(),
            });
        }
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(RecommendError::Invalid(format!(
                "the transitions' weight must be a number >= 0, not {weight}"
            )));
        }
        self.transitions = (weight > 0.0).then_some((markov, weight));
        Ok(self)
    }

    /// The model without its transitions: the network's scores alone.
    #[must_use]
    pub fn without_transitions(mut self) -> Self {
        self.transitions = None;
        self
    }

    /// The transitions added to the scores and their weight, if any.
    pub fn transitions(&self) -> Option<(&Markov, f32)> {
        self.transitions.as_ref().map(|(m, w)| (m, *w))
    }

    fn add_transitions(&self, history: &[u32], scores: &mut [f32]) {
        let Some((markov, weight)) = &self.transitions else {
            return;
        };
        if let Some(from) = markov.transition_source(history) {
            for (b, count) in markov.transitions(from) {
                scores[b as usize] += weight * (count as f32).ln_1p();
            }
        }
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
        self.add_transitions(history, scores);
        scores[0] = f32::NEG_INFINITY;
        Ok(())
    }

    /// How strongly playing `a` alone makes the model expect `b`: the score of `b` after the
    /// one-play history `[a]`, standardised over the catalogue (0 is an average item, positive
    /// is above average). Unlike embedding similarity this follows the model's transitions, so
    /// the first game of a series explains its sequel.
    fn item_similarity(&self, a: u32, b: u32) -> Option<f32> {
        let n = self.num_items();
        if a == 0 || a > n || b == 0 || b > n {
            return None;
        }
        let tables = self
            .reasons
            .get_or_init(|| build_reason_tables(&self.net).ok());
        tables.as_ref()?.standardised_score(a, b)
    }

    fn score_batch(&self, histories: &[&[u32]]) -> Result<Vec<Vec<f32>>, RecommendError> {
        for history in histories {
            check_history(history, self.num_items())?;
        }
        let mut rows = Vec::with_capacity(histories.len());
        for chunk in histories.chunks(BATCH_ROWS) {
            for (history, mut row) in chunk.iter().zip(self.scores(chunk)?.to_vec2::<f32>()?) {
                self.add_transitions(history, &mut row);
                row[0] = f32::NEG_INFINITY;
                rows.push(row);
            }
        }
        Ok(rows)
    }
}

/// Per-item tables for explanations: the hidden state after each one-play history, the item
/// embeddings, and for each play the mean and spread of its scores over the catalogue (from the
/// embeddings' mean and covariance), so that a standardised score costs one dot product.
#[derive(Debug, Clone)]
struct ReasonTables {
    width: usize,
    single_play: Vec<f32>,
    embeddings: Vec<f32>,
    /// Per play `a`: mean score of the catalogue after `[a]`.
    mean_score: Vec<f32>,
    /// Per play `a`: standard deviation of those scores.
    score_spread: Vec<f32>,
}

/// Items per forward pass when computing the one-play hidden states.
const REASON_BATCH: usize = 2_048;

fn dot(x: &[f32], y: &[f32]) -> f32 {
    x.iter().zip(y).map(|(p, q)| p * q).sum()
}

fn build_reason_tables(net: &SequentialNet) -> Result<ReasonTables, RecommendError> {
    let config = net.config();
    let width = config.width;
    let device = Device::Cpu;
    let ids: Vec<u32> = (0..=config.num_items).collect();
    let mut single_play = Vec::with_capacity(ids.len() * width);
    for chunk in ids.chunks(REASON_BATCH) {
        let histories: Vec<[u32; 1]> = chunk.iter().map(|&id| [id]).collect();
        let refs: Vec<&[u32]> = histories.iter().map(<[u32; 1]>::as_slice).collect();
        let batch = PaddedBatch::new(&refs, config.max_len, &device)?;
        single_play.extend(net.last_hidden(&batch)?.flatten_all()?.to_vec1::<f32>()?);
    }
    let embeddings = net.item_embedding().flatten_all()?.to_vec1::<f32>()?;
    // Mean and covariance of the real items' embeddings (row 0 is padding).
    let items = &embeddings[width..];
    let count = (items.len() / width).max(1) as f64;
    let mut mean = vec![0f64; width];
    for row in items.chunks(width) {
        for (m, x) in mean.iter_mut().zip(row) {
            *m += f64::from(*x) / count;
        }
    }
    let mut covariance = vec![0f64; width * width];
    for row in items.chunks(width) {
        for i in 0..width {
            let di = f64::from(row[i]) - mean[i];
            for j in 0..width {
                covariance[i * width + j] += di * (f64::from(row[j]) - mean[j]) / count;
            }
        }
    }
    let mean: Vec<f32> = mean.into_iter().map(|m| m as f32).collect();
    let covariance: Vec<f32> = covariance.into_iter().map(|c| c as f32).collect();
    let mut mean_score = Vec::with_capacity(ids.len());
    let mut score_spread = Vec::with_capacity(ids.len());
    for h in single_play.chunks(width) {
        mean_score.push(dot(h, &mean));
        let variance: f32 = (0..width)
            .map(|i| h[i] * dot(&covariance[i * width..(i + 1) * width], h))
            .sum();
        score_spread.push(variance.max(0.0).sqrt());
    }
    Ok(ReasonTables {
        width,
        single_play,
        embeddings,
        mean_score,
        score_spread,
    })
}

impl ReasonTables {
    fn standardised_score(&self, a: u32, b: u32) -> Option<f32> {
        let w = self.width;
        let (a, b) = (a as usize, b as usize);
        let h = self.single_play.get(a * w..(a + 1) * w)?;
        let e = self.embeddings.get(b * w..(b + 1) * w)?;
        let spread = *self.score_spread.get(a)?;
        (spread > 0.0).then(|| (dot(h, e) - self.mean_score[a]) / spread)
    }
}
