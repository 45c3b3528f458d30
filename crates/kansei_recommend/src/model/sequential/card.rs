//! The sequential model's card.

use kansei_nn::{
    CardDType, Dim, InferenceCost, ModelCard, TensorSignature, TrainingData, TrainingRecipe,
};

use super::MODEL_NAME;
use super::net::NetConfig;
use super::train::{LossKind, TrainConfig};

/// The card of a model trained with `config`, best at `epoch` after `wall_time_s` seconds.
pub fn model_card(
    config: &TrainConfig,
    net: &NetConfig,
    epoch: u64,
    wall_time_s: f64,
    valid_hr: f64,
    valid_ndcg: f64,
) -> ModelCard {
    ModelCard {
        name: MODEL_NAME.to_owned(),
        version: format!("1.0.0-e{epoch}"),
        task: format!(
            "Scores every catalogue item (ids 1..={}) as the player's next play from their last \
             {} plays, oldest first (self-attentive sequential recommendation)",
            net.num_items, net.max_len
        ),
        inputs: vec![TensorSignature {
            name: "history".to_owned(),
            dtype: CardDType::U32,
            shape: vec![
                Dim::Named("batch".to_owned()),
                Dim::Named("length".to_owned()),
            ],
        }],
        outputs: vec![TensorSignature {
            name: "scores".to_owned(),
            dtype: CardDType::F32,
            shape: vec![
                Dim::Named("batch".to_owned()),
                Dim::Fixed(net.num_items as usize + 1),
            ],
        }],
        parameters: 0,
        cost: InferenceCost {
            unit: "recommendation (a full history scored against the catalogue)".to_owned(),
            macs_per_unit: net.macs_per_recommendation(),
        },
        training_data: TrainingData {
            description: format!(
                "Sequences of item interactions per user, `user item` lines in chronological \
                 order; {}",
                if config.refit.is_some() {
                    "the last item of each user held out (test), the one before it trained on \
                     (a refit)"
                } else {
                    "the last two items of each user held out (validation, test)"
                }
            ),
            provenance: "Given to `kansei recommend train --data FILE`".to_owned(),
            licence: "That of the data file".to_owned(),
        },
        training: TrainingRecipe {
            description: format!(
                "width {}, {} blocks, history {}; {}; AdamW lr {} (constant), weight decay {}, \
                 dropout {}, batch {} users, seed {}; {}",
                config.width,
                config.blocks,
                config.max_len,
                loss_description(config, net.num_items),
                config.learning_rate,
                config.weight_decay,
                config.dropout,
                config.batch,
                config.seed,
                stopping_description(config, epoch, valid_hr, valid_ndcg),
            ) + &config.embedding_stdev.map_or_else(String::new, |stdev| {
                format!("; embeddings initialised with standard deviation {stdev}")
            }) + &config.init_from.as_ref().map_or_else(String::new, |path| {
                format!(
                    "; started from the network of `{}`",
                    path.file_name().map_or_else(
                        || path.display().to_string(),
                        |name| name.to_string_lossy().into_owned()
                    )
                )
            }),
            steps: epoch,
            wall_time_s,
            machine: config.machine.clone(),
        },
        intended_use: "Recommending what a player may want next (games, levels, modes, items) \
                       from their own history, on their device; reasons come from item-embedding \
                       similarity to what they played."
            .to_owned(),
        limitations: vec![
            "Knows only the items of the catalogue it was trained on: a new item needs retraining \
             (the model refuses unknown ids)."
                .to_owned(),
            "Learns popularity from the data: without the long-tail re-ranker it recommends \
             popular items more than their share."
                .to_owned(),
            "A player with no history gets the same list as every new player; use cold-start \
             picks by preferred tags instead."
                .to_owned(),
        ],
        weights_checksum: None,
    }
}

/// How the saved epoch was chosen: by early stopping, or (a refit) as the last.
fn stopping_description(
    config: &TrainConfig,
    epoch: u64,
    valid_hr: f64,
    valid_ndcg: f64,
) -> String {
    match config.refit {
        Some(_) => format!(
            "refit: trained on each user's training and validation items (the last item held \
             out for test) for {epoch} epochs, without validation"
        ),
        None => format!(
            "early stopping on validation NDCG@10 (sampled, {} users) with patience {}: best at \
             epoch {epoch} (HR@10 {valid_hr:.4}, NDCG@10 {valid_ndcg:.4})",
            config.validation_users, config.patience,
        ),
    }
}

fn loss_description(config: &TrainConfig, num_items: u32) -> String {
    match config.loss {
        LossKind::SampledSoftmax if config.negatives >= num_items as usize => {
            "softmax over every item of the catalogue".to_owned()
        }
        LossKind::SampledSoftmax => format!(
            "sampled softmax over {} shared uniform negatives{}",
            config.negatives,
            if config.in_batch_negatives {
                " and the batch's targets"
            } else {
                ""
            }
        ),
        LossKind::BinaryCrossEntropy => {
            "binary cross-entropy with one uniform negative per position".to_owned()
        }
    }
}
