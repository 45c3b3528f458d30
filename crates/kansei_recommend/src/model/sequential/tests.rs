//! Unit tests of the sequential model: gradient flow, masking, and learning a known pattern.

use candle_core::{DType, Device};
use candle_nn::{Optimizer, ParamsAdamW, VarMap};
use kansei_nn::seeded_var_builder;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::loss::{NextItemBatch, binary_cross_entropy_loss, sampled_softmax_loss};
use super::model::SequentialModel;
use super::net::{NetConfig, PaddedBatch, SequentialNet};
use crate::model::Recommender;

fn tiny(num_items: u32, seed: u64) -> (SequentialNet, VarMap) {
    let varmap = VarMap::new();
    let config = NetConfig {
        num_items,
        width: 16,
        blocks: 2,
        max_len: 8,
    };
    let net = SequentialNet::new(
        config,
        seeded_var_builder(&varmap, seed, DType::F32, &Device::Cpu),
    )
    .expect("net");
    (net, varmap)
}

/// Sequences that walk a cycle of `num_items` items from random starts: the next item is
/// always the current one plus one.
fn cycles(num_items: u32, users: usize, length: usize, rng: &mut StdRng) -> Vec<Vec<u32>> {
    use rand::Rng;
    (0..users)
        .map(|_| {
            let start = rng.random_range(0..num_items);
            (0..length as u32)
                .map(|i| (start + i) % num_items + 1)
                .collect()
        })
        .collect()
}

#[test]
fn every_variable_learns() {
    let (net, varmap) = tiny(12, 1);
    let mut rng = StdRng::seed_from_u64(2);
    let data = cycles(12, 16, 6, &mut rng);
    let refs: Vec<&[u32]> = data.iter().map(Vec::as_slice).collect();
    let batch = NextItemBatch::new(&refs, 8, &Device::Cpu).expect("batch");
    kansei_nn::check_gradient_flow(&varmap, || {
        let mut sampler = StdRng::seed_from_u64(3);
        let mut dropout = StdRng::seed_from_u64(4);
        sampled_softmax_loss(&net, &batch, 8, true, 0.1, &mut sampler, Some(&mut dropout))
    })
    .expect("every variable gets a gradient and changes");
}

#[test]
fn every_variable_learns_with_binary_cross_entropy() {
    let (net, varmap) = tiny(12, 1);
    let mut rng = StdRng::seed_from_u64(2);
    let data = cycles(12, 16, 6, &mut rng);
    let refs: Vec<&[u32]> = data.iter().map(Vec::as_slice).collect();
    let batch = NextItemBatch::new(&refs, 8, &Device::Cpu).expect("batch");
    kansei_nn::check_gradient_flow(&varmap, || {
        let mut sampler = StdRng::seed_from_u64(3);
        let mut dropout = StdRng::seed_from_u64(4);
        binary_cross_entropy_loss(&net, &batch, 0.1, &mut sampler, Some(&mut dropout))
    })
    .expect("every variable gets a gradient and changes");
}

#[test]
fn padding_and_history_beyond_max_len_do_not_change_scores() {
    let (net, _) = tiny(12, 5);
    let model = SequentialModel::from_net(net).expect("model");
    let short = [3u32, 4, 5];
    let alone = model.score_batch(&[&short]).expect("scores");
    // The same history in a batch with a longer one (so it is left-padded) scores the same.
    let long: Vec<u32> = (1..=12).collect();
    let padded = model.score_batch(&[&short, &long]).expect("scores");
    for (a, b) in alone[0].iter().zip(&padded[0]).skip(1) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
    // Only the last max_len (8) plays are read.
    let older: Vec<u32> = [9u32, 9, 9].iter().chain(&long).copied().collect();
    let (a, b) = (
        model.score_batch(&[&long]).expect("scores"),
        model.score_batch(&[&older]).expect("scores"),
    );
    assert_eq!(a, b);
    assert_eq!(a[0][0], f32::NEG_INFINITY);
}

#[test]
fn causal_attention_ignores_the_future() {
    let (net, _) = tiny(12, 6);
    let run = |items: &[u32]| {
        let batch = PaddedBatch::new(&[items], 8, &Device::Cpu).expect("batch");
        net.forward(&batch, 0.0, None)
            .expect("forward")
            .to_vec3::<f32>()
            .expect("vec")
    };
    let a = run(&[1, 2, 3, 4]);
    let b = run(&[1, 2, 3, 9]);
    // Positions before the changed last item are unchanged.
    for position in 0..3 {
        assert_eq!(a[0][position], b[0][position], "position {position}");
    }
    assert_ne!(a[0][3], b[0][3]);
}

#[test]
fn learns_a_cycle() {
    let num_items = 20;
    let (net, varmap) = tiny(num_items, 7);
    let mut rng = StdRng::seed_from_u64(8);
    let params = ParamsAdamW {
        lr: 5e-3,
        weight_decay: 0.0,
        ..ParamsAdamW::default()
    };
    let mut optimizer = candle_nn::AdamW::new(varmap.all_vars(), params).expect("optimizer");
    for _ in 0..150 {
        let data = cycles(num_items, 32, 7, &mut rng);
        let refs: Vec<&[u32]> = data.iter().map(Vec::as_slice).collect();
        let batch = NextItemBatch::new(&refs, 8, &Device::Cpu).expect("batch");
        let mut dropout = StdRng::seed_from_u64(9);
        let loss = sampled_softmax_loss(&net, &batch, 10, false, 0.1, &mut rng, Some(&mut dropout))
            .expect("loss");
        optimizer.backward_step(&loss).expect("step");
    }
    let model = SequentialModel::from_net(net).expect("model");
    let mut right = 0;
    for start in 1..=num_items {
        let history: Vec<u32> = (0..4).map(|i| (start - 1 + i) % num_items + 1).collect();
        let mut scores = vec![0.0; num_items as usize + 1];
        model.score_into(&history, &mut scores).expect("scores");
        let best = (1..=num_items)
            .max_by(|&a, &b| scores[a as usize].total_cmp(&scores[b as usize]))
            .expect("items");
        let expected = (start - 1 + 4) % num_items + 1;
        right += u32::from(best == expected);
    }
    assert!(right >= 18, "{right} of {num_items} next items right");
}
