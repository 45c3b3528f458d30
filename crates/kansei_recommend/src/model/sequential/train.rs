//! Training the sequential model: epochs over every user's training history, validation after
//! each epoch, early stopping, the best weights saved as they improve, and checkpoints that let
//! an interrupted run resume where it stopped.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::{ParamsAdamW, VarMap};
use kansei_nn::{LrSchedule, ModelCard, ResumableAdamW, Trainer, seeded_var_builder};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::batches::{batches_per_epoch, epoch_batches};
use super::card::model_card;
use super::loss::{NextItemBatch, binary_cross_entropy_loss, sampled_softmax_loss};
use super::model::{SequentialModel, TRANSITIONS_PREFIX, TRANSITIONS_WEIGHT};
use super::net::{NetConfig, SequentialNet};
use super::validate::validation_metrics;
use crate::data::LeaveLastOut;
use crate::error::RecommendError;
use crate::eval::{EvalConfig, Split, evaluate};
use crate::model::Recommender;
use crate::model::markov::Markov;

/// How to train. The defaults are meant to work on any interaction file without tuning: early
/// stopping decides how long to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Embedding width. Default 100: on the Amazon games data it reached the same validation
    /// plateau as 50 (`SASRec`'s) in half the epochs.
    pub width: usize,
    /// Self-attention blocks. Default 2.
    pub blocks: usize,
    /// Longest history read. Default 50.
    pub max_len: usize,
    /// Dropout rate while training. Default 0.5 (`SASRec`'s for sparse data): at 0.2 the model
    /// overfitted the games data after 12 epochs, 0.03 NDCG@10 below.
    pub dropout: f64,
    /// `AdamW` learning rate (constant). Default 2e-3.
    pub learning_rate: f64,
    /// `AdamW` weight decay. Default 0.05.
    pub weight_decay: f64,
    /// Users per batch. Default 128.
    pub batch: usize,
    /// Uniformly drawn negatives per batch in the sampled softmax, shared by the batch; at least
    /// the catalogue's size, every item once (the exact softmax). Default 2,048: every item must
    /// be pushed down often enough to learn that it is not next.
    pub negatives: usize,
    /// The loss. Default [`LossKind::SampledSoftmax`].
    pub loss: LossKind,
    /// Whether the batch's own targets are negatives too (popularity-weighted negatives, which
    /// teach ranking against popular items). Default off.
    pub in_batch_negatives: bool,
    /// Standard deviation of the initial item and position embeddings; `None` (the default)
    /// for `1 / sqrt(width)` (see [`SequentialNet::with_embedding_stdev`]).
    pub embedding_stdev: Option<f64>,
    /// Most epochs. Default 200.
    pub max_epochs: u64,
    /// Epochs without a better validation NDCG@10 before stopping. Default 10.
    pub patience: u64,
    /// Users the validation metric is measured on. Default 10,000.
    pub validation_users: usize,
    /// Seed of the initial weights, batches, negatives and dropout. Default 1.
    pub seed: u64,
    /// The machine, as the model card names it. Default `"CPU"`.
    pub machine: String,
    /// Start from the network of this model file (same shape) instead of random weights, to
    /// fine-tune it. Default none.
    #[serde(default)]
    pub init_from: Option<PathBuf>,
    /// Refit a recipe that validation has chosen: train on each user's validation item too
    /// ([`LeaveLastOut::refit`]) for exactly `max_epochs` epochs and keep the last, since no
    /// validation item is left to stop early or choose on. Default `None`: train on the
    /// training items and validate.
    #[serde(default)]
    pub refit: Option<Refit>,
}

/// What a refit ([`TrainConfig::refit`]) cannot choose on validation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Refit {
    /// Weight of the counted transitions stored with the model (counted on the same training
    /// and validation items; 0 stores none): the weight the validated run chose.
    pub transitions_weight: f32,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            width: 100,
            blocks: 2,
            max_len: 50,
            dropout: 0.5,
            learning_rate: 2e-3,
            weight_decay: 0.05,
            batch: 128,
            negatives: 2_048,
            in_batch_negatives: false,
            embedding_stdev: None,
            loss: LossKind::SampledSoftmax,
            max_epochs: 200,
            patience: 10,
            validation_users: 10_000,
            seed: 1,
            machine: "CPU".to_owned(),
            init_from: None,
            refit: None,
        }
    }
}

/// Which training loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LossKind {
    /// Softmax over the true item and shared negatives ([`sampled_softmax_loss`]).
    SampledSoftmax,
    /// `SASRec`'s binary cross-entropy with one negative per position
    /// ([`binary_cross_entropy_loss`]).
    BinaryCrossEntropy,
}

/// One epoch's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// 1-based epoch.
    pub epoch: u64,
    /// Mean training loss over the epoch.
    pub loss: f64,
    /// Validation HR@10 (sampled protocol); NaN in a refit, which has no validation items.
    pub valid_hr: f64,
    /// Validation NDCG@10 (sampled protocol); early stopping watches this. NaN in a refit.
    pub valid_ndcg: f64,
    /// Whether this epoch was the best so far (and its weights were saved).
    pub improved: bool,
    /// Wall time of the run so far, seconds.
    pub elapsed_s: f64,
}

/// Where a run is, saved after every epoch beside the checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Epochs completed.
    pub epochs: u64,
    /// The best epoch and its validation NDCG@10.
    pub best: Option<(u64, f64)>,
    /// Whether early stopping ended the run (a run that reached its epoch limit can be resumed
    /// with a higher one).
    #[serde(default)]
    pub stopped_early: bool,
    /// The transitions added to the finished model (see
    /// [`SequentialModel::with_transitions`]): the weight chosen and every weight tried.
    #[serde(default)]
    pub transitions: Option<TransitionChoice>,
    /// Wall time over all sessions of the run, seconds.
    pub wall_time_s: f64,
    /// Every epoch so far.
    pub history: Vec<EpochReport>,
}

/// Appended to the version of a model saved with transitions.
const TRANSITIONS_VERSION_SUFFIX: &str = "-t";
/// Where the card's recipe starts describing the transitions.
const TRANSITIONS_NOTE: &str = "; the training data's counted transitions";

/// Weights tried for the counted transitions once training has finished.
pub const TRANSITION_WEIGHTS: [f32; 7] = [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0];

/// How the transitions' weight was chosen: full-ranking NDCG@10 on the validation split (at most
/// [`TrainConfig::validation_users`] users) for each of [`TRANSITION_WEIGHTS`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransitionChoice {
    /// The weight stored with the model (0: no transitions stored).
    pub weight: f32,
    /// `(weight, validation full-ranking NDCG@10)` for every weight tried.
    pub trials: Vec<(f32, f64)>,
}

/// The files of a training run in its output folder.
#[derive(Debug, Clone)]
pub struct RunFiles {
    /// The best model (weights; the card sits beside it).
    pub model: PathBuf,
    /// The optimizer checkpoint.
    pub checkpoint: PathBuf,
    /// The run's [`TrainState`] (RON).
    pub state: PathBuf,
}

impl RunFiles {
    /// The files in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            model: dir.join(format!("{}.safetensors", super::MODEL_NAME)),
            checkpoint: dir.join("checkpoint.safetensors"),
            state: dir.join("train-state.ron"),
        }
    }
}

/// Trains on `split`'s training sequences, validating on its validation items, and keeps the
/// best model in `dir` (see [`RunFiles`]). With `resume`, continues the run found in `dir`.
/// `on_epoch` sees every epoch; `on_step` every step `(step, steps, loss)`.
///
/// # Errors
///
/// [`RecommendError::Invalid`] for data without any sequence of two items or a bad config,
/// [`RecommendError::Io`] if `dir` cannot be written, and training errors.
pub fn train(
    split: &LeaveLastOut,
    config: &TrainConfig,
    dir: &Path,
    resume: bool,
    mut on_epoch: impl FnMut(&EpochReport),
    mut on_step: impl FnMut(u64, u64, f64),
) -> Result<TrainState, RecommendError> {
    check_config(config)?;
    let refit_split;
    let split = match config.refit {
        Some(_) => {
            refit_split = split.refit();
            &refit_split
        }
        None => split,
    };
    let users: Vec<usize> = (0..split.train.len())
        .filter(|&u| split.train[u].len() >= 2)
        .collect();
    if users.is_empty() || split.num_items == 0 {
        return Err(RecommendError::Invalid(
            "no user has two training interactions: nothing to learn from".to_owned(),
        ));
    }
    std::fs::create_dir_all(dir).map_err(RecommendError::io(dir))?;
    let files = RunFiles::in_dir(dir);
    let mut state = if resume {
        read_state(&files.state)?
    } else {
        TrainState::default()
    };
    if state.stopped_early || state.epochs >= config.max_epochs {
        finish(split, config, &files, &mut state)?;
        return Ok(state);
    }
    // More epochs may change the best model: its transitions are chosen again at the end.
    state.transitions = None;

    let device = Device::Cpu;
    let net_config = NetConfig {
        num_items: split.num_items,
        width: config.width,
        blocks: config.blocks,
        max_len: config.max_len,
    };
    let varmap = VarMap::new();
    let net = SequentialNet::with_embedding_stdev(
        net_config,
        config
            .embedding_stdev
            .unwrap_or(1.0 / (config.width as f64).sqrt()),
        seeded_var_builder(&varmap, config.seed, DType::F32, &device),
    )?;
    if let Some(path) = &config.init_from {
        // A resumed run then loads its checkpoint over these weights.
        init_network(&varmap, path)?;
    }
    let lengths: Vec<usize> = split.train.iter().map(Vec::len).collect();
    let steps_per_epoch = batches_per_epoch(users.len(), config.batch);
    let total_steps = steps_per_epoch * config.max_epochs;
    let params = ParamsAdamW {
        lr: config.learning_rate,
        weight_decay: config.weight_decay,
        ..ParamsAdamW::default()
    };

    let session_start = Instant::now();
    let wall_before = state.wall_time_s;
    let mut current: Option<(u64, Vec<Vec<usize>>)> = None;
    let mut epoch_loss = 0.0;
    let mut outcome: Result<(), RecommendError> = Ok(());
    Trainer::<ResumableAdamW>::new(&varmap, params, total_steps)
        .seed(config.seed)
        .schedule(LrSchedule::Constant(config.learning_rate))
        .checkpoint(&files.checkpoint, steps_per_epoch)
        .resume(resume)
        .run(
            |step| {
                let epoch = step.step / steps_per_epoch;
                if current.as_ref().is_none_or(|(e, _)| *e != epoch) {
                    let batches = epoch_batches(&users, &lengths, config.batch, config.seed, epoch);
                    current = Some((epoch, batches));
                }
                let batches = current
                    .as_ref()
                    .map(|(_, b)| b.as_slice())
                    .unwrap_or_default();
                let rows = &batches[(step.step % steps_per_epoch) as usize];
                let sequences: Vec<&[u32]> =
                    rows.iter().map(|&u| split.train[u].as_slice()).collect();
                let batch = NextItemBatch::new(&sequences, config.max_len, &device)?;
                let mut dropout_rng = StdRng::seed_from_u64(step.rng.random());
                match config.loss {
                    LossKind::SampledSoftmax => sampled_softmax_loss(
                        &net,
                        &batch,
                        config.negatives,
                        config.in_batch_negatives,
                        config.dropout,
                        step.rng,
                        Some(&mut dropout_rng),
                    ),
                    LossKind::BinaryCrossEntropy => binary_cross_entropy_loss(
                        &net,
                        &batch,
                        config.dropout,
                        step.rng,
                        Some(&mut dropout_rng),
                    ),
                }
            },
            |progress| {
                epoch_loss += progress.loss;
                on_step(progress.step, progress.total_steps, progress.loss);
                if progress.step % steps_per_epoch != 0 {
                    return ControlFlow::Continue(());
                }
                let epoch = progress.step / steps_per_epoch;
                let result = end_epoch(
                    EpochEnd {
                        net: &net,
                        varmap: &varmap,
                        split,
                        config,
                        files: &files,
                        epoch,
                        loss: epoch_loss / steps_per_epoch as f64,
                        wall_time_s: wall_before + session_start.elapsed().as_secs_f64(),
                    },
                    &mut state,
                );
                epoch_loss = 0.0;
                match result {
                    Ok(report) => {
                        on_epoch(&report);
                        if state.stopped_early {
                            ControlFlow::Break(())
                        } else {
                            ControlFlow::Continue(())
                        }
                    }
                    Err(error) => {
                        outcome = Err(error);
                        ControlFlow::Break(())
                    }
                }
            },
        )?;
    outcome?;
    if state.stopped_early || state.epochs >= config.max_epochs {
        finish(split, config, &files, &mut state)?;
    }
    Ok(state)
}

/// Once training is over: chooses the transitions' weight on the validation split and stores
/// the transitions with the best model (once; a resumed finished run does nothing more).
fn finish(
    split: &LeaveLastOut,
    config: &TrainConfig,
    files: &RunFiles,
    state: &mut TrainState,
) -> Result<(), RecommendError> {
    if state.transitions.is_some() {
        return Ok(());
    }
    let choice = match config.refit {
        Some(refit) => add_refit_transitions(split, &files.model, refit.transitions_weight)?,
        None => add_transitions(split, &files.model, config.seed, config.validation_users)?,
    };
    state.transitions = Some(choice);
    write_state(&files.state, state)
}

/// Chooses the weight of the training data's counted transitions for the model at `path`
/// (each of [`TRANSITION_WEIGHTS`] scored by full-ranking NDCG@10 on `split`'s validation items,
/// at most `validation_users` users drawn with `seed`) and rewrites the file with them and a
/// card that says so; transitions it held before are replaced. A weight of 0 leaves the
/// network alone.
///
/// # Errors
///
/// [`RecommendError::Model`] for a missing or corrupt file, and evaluation or I/O errors.
pub fn add_transitions(
    split: &LeaveLastOut,
    path: &Path,
    seed: u64,
    validation_users: usize,
) -> Result<TransitionChoice, RecommendError> {
    let network = check_catalogue(split, path)?;
    let markov = Markov::fit(&split.train, split.num_items)?;
    let eval_config = EvalConfig {
        seed,
        max_users: validation_users,
        max_full_users: validation_users,
        ..EvalConfig::default()
    };
    let mut trials = Vec::with_capacity(TRANSITION_WEIGHTS.len());
    for weight in TRANSITION_WEIGHTS {
        let model = network.clone().with_transitions(markov.clone(), weight)?;
        let report = evaluate(&model, split, Split::Valid, &eval_config)?;
        trials.push((weight, report.full.ndcg));
    }
    // The first of the best: ties go to the smaller weight.
    let (weight, ndcg) = trials
        .iter()
        .copied()
        .fold((0.0, f64::NEG_INFINITY), |best, trial| {
            if trial.1 > best.1 { trial } else { best }
        });
    let how = format!(
        "at weight {weight} (chosen among {TRANSITION_WEIGHTS:?} on validation full-ranking \
         NDCG@10: {ndcg:.4})"
    );
    store_transitions(path, &markov, weight, &how)?;
    Ok(TransitionChoice { weight, trials })
}

/// A refit's transitions ([`TrainConfig::refit`]): counted on the training and validation items
/// of `split` ([`LeaveLastOut::refit`]; the test items left out) and stored with the model at
/// `path` at the given `weight` (none at 0), replacing any it held, with a card that says so.
///
/// # Errors
///
/// [`RecommendError::Invalid`] for a negative or non-finite weight or a model of another
/// catalogue, [`RecommendError::Model`] for a missing or corrupt file, and I/O errors.
pub fn add_refit_transitions(
    split: &LeaveLastOut,
    path: &Path,
    weight: f32,
) -> Result<TransitionChoice, RecommendError> {
    if !is_transitions_weight(weight) {
        return Err(RecommendError::Invalid(format!(
            "a refit's transitions weight must be a number of at least 0, not {weight}"
        )));
    }
    check_catalogue(split, path)?;
    let refit = split.refit();
    let markov = Markov::fit(&refit.train, refit.num_items)?;
    let how = format!("at weight {weight} (given to the refit)");
    store_transitions(path, &markov, weight, &how)?;
    Ok(TransitionChoice {
        weight,
        trials: Vec::new(),
    })
}

/// Whether `weight` can weigh stored transitions: a number, at least 0 (0 stores none).
fn is_transitions_weight(weight: f32) -> bool {
    weight.is_finite() && weight >= 0.0
}

/// The network of the model at `path`, refused if it scores another number of items than
/// `split` has.
fn check_catalogue(split: &LeaveLastOut, path: &Path) -> Result<SequentialModel, RecommendError> {
    let network = SequentialModel::load(path)?.without_transitions();
    if network.num_items() != split.num_items {
        return Err(RecommendError::Invalid(format!(
            "{} scores {} items, the data has {}: it was trained on other data",
            path.display(),
            network.num_items(),
            split.num_items
        )));
    }
    Ok(network)
}

/// Rewrites the model at `path` with `markov`'s transitions at `weight` (none at 0), replacing
/// any it held, and a card that says so, `how` telling how the weight was chosen.
fn store_transitions(
    path: &Path,
    markov: &Markov,
    weight: f32,
    how: &str,
) -> Result<(), RecommendError> {
    let (mut card, found) = kansei_nn::check_model(path)?;
    let mut tensors = kansei_nn::load(path, &found, &Device::Cpu)?.tensors;
    // A file finished before (and trained no further) holds the transitions already: replace
    // them, and what the card says about them.
    let had_transitions = tensors
        .keys()
        .any(|name| name.starts_with(TRANSITIONS_PREFIX));
    tensors.retain(|name, _| !name.starts_with(TRANSITIONS_PREFIX));
    forget_transitions(&mut card);
    if weight > 0.0 {
        tensors.extend(markov.to_tensors(TRANSITIONS_PREFIX)?);
        tensors.insert(
            TRANSITIONS_WEIGHT.to_owned(),
            Tensor::new(&[weight], &Device::Cpu)?,
        );
        card.version = format!("{}{TRANSITIONS_VERSION_SUFFIX}", card.version);
        card.training.description.push_str(&format!(
            "{TRANSITIONS_NOTE} from the last play added to the scores {how}; the parameter \
             count includes them"
        ));
    }
    if weight > 0.0 || had_transitions {
        card.weights_checksum = None;
        kansei_nn::save(path, &card, &tensors)?;
    }
    Ok(())
}

/// Takes out of `card` what [`add_transitions`] wrote about transitions: the version's suffix
/// and the recipe's note.
pub(super) fn forget_transitions(card: &mut ModelCard) {
    while let Some(base) = card.version.strip_suffix(TRANSITIONS_VERSION_SUFFIX) {
        card.version = base.to_owned();
    }
    if let Some(at) = card.training.description.find(TRANSITIONS_NOTE) {
        card.training.description.truncate(at);
    }
}

/// Sets every variable of `varmap` from the same-named tensor of the model file at `path`
/// (whose transitions, if any, are ignored).
fn init_network(varmap: &VarMap, path: &Path) -> Result<(), RecommendError> {
    let (_, found) = kansei_nn::check_model(path)?;
    let loaded = kansei_nn::load(path, &found, &Device::Cpu)?;
    let vars = varmap
        .data()
        .lock()
        .map_err(|_| RecommendError::Invalid("the training variables are poisoned".into()))?;
    for (name, var) in vars.iter() {
        let tensor = loaded.tensors.get(name).ok_or_else(|| {
            RecommendError::Invalid(format!(
                "{}: no tensor `{name}` to start from",
                path.display()
            ))
        })?;
        if tensor.dims() != var.dims() {
            return Err(RecommendError::Invalid(format!(
                "{}: `{name}` is {:?}, the network to train needs {:?}",
                path.display(),
                tensor.dims(),
                var.dims()
            )));
        }
        var.set(tensor)?;
    }
    Ok(())
}

/// What the end of an epoch needs.
struct EpochEnd<'a> {
    net: &'a SequentialNet,
    varmap: &'a VarMap,
    split: &'a LeaveLastOut,
    config: &'a TrainConfig,
    files: &'a RunFiles,
    epoch: u64,
    loss: f64,
    wall_time_s: f64,
}

/// Validates, saves the model if it improved, decides whether to stop, and records the state.
fn end_epoch(end: EpochEnd<'_>, state: &mut TrainState) -> Result<EpochReport, RecommendError> {
    let model = SequentialModel::from_net(end.net.clone())?;
    // A refit has nothing to validate on: every epoch is the best so far, the last is kept.
    let (valid_hr, valid_ndcg) = match end.config.refit {
        Some(_) => (f64::NAN, f64::NAN),
        None => validation_metrics(
            &model,
            end.split,
            end.config.validation_users,
            end.config.seed,
        )?,
    };
    let improved =
        end.config.refit.is_some() || state.best.is_none_or(|(_, best)| valid_ndcg > best);
    if improved {
        state.best = Some((end.epoch, valid_ndcg));
        let card = model_card(
            end.config,
            end.net.config(),
            end.epoch,
            end.wall_time_s,
            valid_hr,
            valid_ndcg,
        );
        kansei_nn::save_varmap(&end.files.model, &card, end.varmap)?;
    }
    let report = EpochReport {
        epoch: end.epoch,
        loss: end.loss,
        valid_hr,
        valid_ndcg,
        improved,
        elapsed_s: end.wall_time_s,
    };
    state.epochs = end.epoch;
    state.wall_time_s = end.wall_time_s;
    state.history.push(report.clone());
    let since_best = state.best.map_or(0, |(best, _)| end.epoch - best);
    state.stopped_early = end.config.refit.is_none() && since_best >= end.config.patience;
    write_state(&end.files.state, state)?;
    Ok(report)
}

fn check_config(config: &TrainConfig) -> Result<(), RecommendError> {
    let problems = [
        (config.width == 0, "width must be at least 1"),
        (config.blocks == 0, "blocks must be at least 1"),
        (config.max_len == 0, "max_len must be at least 1"),
        (
            !(0.0..1.0).contains(&config.dropout),
            "dropout must be in [0, 1)",
        ),
        (
            !(config.learning_rate.is_finite() && config.learning_rate > 0.0),
            "learning_rate must be a positive number",
        ),
        (
            !(config.weight_decay.is_finite() && config.weight_decay >= 0.0),
            "weight_decay must be a number of at least 0",
        ),
        (
            config
                .embedding_stdev
                .is_some_and(|s| !(s.is_finite() && s > 0.0)),
            "embedding_stdev must be a positive number",
        ),
        (config.batch == 0, "batch must be at least 1"),
        (config.negatives == 0, "negatives must be at least 1"),
        (config.max_epochs == 0, "max_epochs must be at least 1"),
        (
            config.validation_users == 0,
            "validation_users must be at least 1",
        ),
        (
            config
                .refit
                .is_some_and(|r| !is_transitions_weight(r.transitions_weight)),
            "a refit's transitions weight must be a number of at least 0",
        ),
    ];
    match problems.iter().find(|(bad, _)| *bad) {
        Some((_, message)) => Err(RecommendError::Invalid(format!(
            "training config: {message}"
        ))),
        None => Ok(()),
    }
}

fn read_state(path: &Path) -> Result<TrainState, RecommendError> {
    if !path.exists() {
        return Ok(TrainState::default());
    }
    let text = crate::error::read_text(path)?;
    ron::from_str(&text).map_err(|error| {
        RecommendError::Invalid(format!("{}: not a training state: {error}", path.display()))
    })
}

fn write_state(path: &Path, state: &TrainState) -> Result<(), RecommendError> {
    let text = ron::ser::to_string_pretty(state, ron::ser::PrettyConfig::default())
        .map_err(|error| RecommendError::Invalid(format!("training state: {error}")))?;
    let temp = kansei_nn::temp_path(path);
    std::fs::write(&temp, text).map_err(RecommendError::io(path))?;
    std::fs::rename(&temp, path).map_err(RecommendError::io(path))
}
