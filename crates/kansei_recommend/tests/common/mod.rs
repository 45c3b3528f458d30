//! Data shared by the sequential model's integration tests.

use kansei_recommend::Interactions;
use kansei_recommend::model::sequential::TrainConfig;

/// 300 players walking one of two series (items `1..=length` and `length + 1..=2 * length`) in
/// order from random starts drawn with `seed`: the next play is predictable from the last.
pub fn series_data(seed: u64, length: u64) -> Interactions {
    let mut text = String::new();
    let mut state = seed;
    for user in 1..=300u32 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let series = (state >> 33) % 2;
        let start = (state >> 40) % 6;
        let plays = 5 + (state >> 50) % 6;
        for step in 0..plays {
            let item = series * length + (start + step) % length + 1;
            text.push_str(&format!("{user} {item}\n"));
        }
    }
    Interactions::parse(&text).expect("valid data")
}

/// A training run small enough for a test: width `width`, history 8, batches of 32, 16
/// negatives, learning rate 5e-3, dropout 0.1, no early stopping within `max_epochs`.
pub fn tiny_config(width: usize, max_epochs: u64) -> TrainConfig {
    TrainConfig {
        width,
        max_len: 8,
        batch: 32,
        negatives: 16,
        max_epochs,
        patience: 100,
        validation_users: 300,
        learning_rate: 5e-3,
        dropout: 0.1,
        ..TrainConfig::default()
    }
}
