//! Averaging the weights of sequential networks fine-tuned from one starting point (a "model
//! soup", Wortsman et al., ICML 2022).
//!
//! Networks fine-tuned from the same weights stay in one basin of the loss, so their average is
//! itself a good network, often better than each of them, at no cost when recommending: on the
//! games data, the network fine-tuned with the sampled softmax ranks the held-out item against
//! random unplayed items better, the one fine-tuned with the full softmax ranks the whole
//! catalogue better, and their average keeps most of both. Networks trained from different
//! random starts do not average into anything useful; nothing here can tell, so evaluate the
//! result.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use kansei_nn::ModelCard;

use super::model::{SequentialModel, TRANSITIONS_PREFIX, check_sequential_file};
use super::train::forget_transitions;
use crate::error::RecommendError;

/// One network of an average and its share.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingredient {
    /// A sequential model file (its transitions, if any, are ignored).
    pub path: PathBuf,
    /// Its weight in the average (positive; the weights are normalised to sum to 1).
    pub weight: f64,
}

/// The weighted average of the networks in `ingredients`, all of one shape, and a card for it:
/// the first ingredient's, with a version naming the average and a recipe that lists the
/// ingredients after their own recipes.
///
/// # Errors
///
/// [`RecommendError::Invalid`] for no ingredients, a weight that is not a positive number, or
/// networks of different shapes or tensor names; [`RecommendError::Model`] for a missing or
/// corrupt file.
pub fn average_networks(
    ingredients: &[Ingredient],
) -> Result<(ModelCard, HashMap<String, Tensor>), RecommendError> {
    let Some(first) = ingredients.first() else {
        return Err(RecommendError::Invalid(
            "averaging needs at least one network".to_owned(),
        ));
    };
    if let Some(bad) = ingredients
        .iter()
        .find(|i| !(i.weight.is_finite() && i.weight > 0.0))
    {
        return Err(RecommendError::Invalid(format!(
            "{}: weight {} in the average must be a positive number",
            bad.path.display(),
            bad.weight
        )));
    }
    let total: f64 = ingredients.iter().map(|i| i.weight).sum();

    let mut sum: HashMap<String, Tensor> = HashMap::new();
    let mut card: Option<ModelCard> = None;
    let mut recipes = Vec::with_capacity(ingredients.len());
    for ingredient in ingredients {
        let (network, mut ingredient_card) = network_tensors(&ingredient.path)?;
        forget_transitions(&mut ingredient_card);
        let share = ingredient.weight / total;
        if sum.is_empty() {
            for (name, tensor) in network {
                sum.insert(name, (tensor * share)?);
            }
        } else {
            check_same_shape(&first.path, &sum, &ingredient.path, &network)?;
            for (name, tensor) in network {
                let acc = &sum[&name];
                let next = (acc + (tensor * share)?)?;
                sum.insert(name, next);
            }
        }
        recipes.push(format!(
            "{:.3} x `{}` ({}: {})",
            share,
            ingredient.path.display(),
            ingredient_card.version,
            ingredient_card.training.description
        ));
        card.get_or_insert(ingredient_card);
    }
    let mut card = card.expect("at least one ingredient was read");
    card.version = format!("{}-avg{}", card.version, ingredients.len());
    card.training.description = format!(
        "The weighted average of {} networks fine-tuned from one starting point: {}",
        ingredients.len(),
        recipes.join("; ")
    );
    card.training.steps = 0;
    card.weights_checksum = None;
    Ok((card, sum))
}

/// Averages `ingredients` ([`average_networks`]) and saves the result at `out` (with its card
/// beside it), without transitions; add them with [`super::add_transitions`].
///
/// # Errors
///
/// As [`average_networks`], and [`RecommendError::Model`] if `out` cannot be written or the
/// average does not load as a sequential model.
pub fn save_average(ingredients: &[Ingredient], out: &Path) -> Result<ModelCard, RecommendError> {
    let (card, tensors) = average_networks(ingredients)?;
    let card = kansei_nn::save(out, &card, &tensors)?;
    // The shapes were checked against the first ingredient; loading checks the network itself.
    SequentialModel::load(out)?;
    Ok(card)
}

/// The network's tensors of the model file at `path` (transitions left out), as f32.
fn network_tensors(path: &Path) -> Result<(HashMap<String, Tensor>, ModelCard), RecommendError> {
    let (card, found) = check_sequential_file(path)?;
    let mut tensors = kansei_nn::load(path, &found, &Device::Cpu)?.tensors;
    tensors.retain(|name, _| !name.starts_with(TRANSITIONS_PREFIX));
    if let Some((name, _)) = tensors.iter().find(|(_, t)| t.dtype() != DType::F32) {
        return Err(RecommendError::Invalid(format!(
            "{}: tensor `{name}` is not f32, so it is not a network weight to average",
            path.display()
        )));
    }
    Ok((tensors, card))
}

fn check_same_shape(
    first: &Path,
    sum: &HashMap<String, Tensor>,
    path: &Path,
    network: &HashMap<String, Tensor>,
) -> Result<(), RecommendError> {
    let mismatch = |what: String| {
        Err(RecommendError::Invalid(format!(
            "{} and {} are not networks of one shape: {what}",
            first.display(),
            path.display()
        )))
    };
    if let Some(name) = sum.keys().find(|name| !network.contains_key(*name)) {
        return mismatch(format!("`{name}` is missing from the second"));
    }
    if let Some(name) = network.keys().find(|name| !sum.contains_key(*name)) {
        return mismatch(format!("`{name}` is missing from the first"));
    }
    for (name, tensor) in network {
        if tensor.dims() != sum[name].dims() {
            return mismatch(format!(
                "`{name}` is {:?} in the first and {:?} in the second",
                sum[name].dims(),
                tensor.dims()
            ));
        }
    }
    Ok(())
}
