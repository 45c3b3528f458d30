//! Top-10 recommendations with reasons for one player, on one core, with a 25,000-item
//! catalogue: the issue's on-device budget is 5 ms.
//!
//! ```sh
//! RAYON_NUM_THREADS=1 cargo bench -p kansei_recommend --no-default-features --bench top10
//! ```
//!
//! The network has the shape `kansei recommend train` gives by default (the shipped games
//! model's: `TrainConfig::default()` width, 2 blocks, history 50) with seeded random weights and
//! the games model's transition weight, with transitions counted from simulated plays: the cost
//! does not depend on the values. `RAYON_NUM_THREADS=1` holds candle to one
//! core; the bench refuses to run without it so its figure always means one core.

use std::hint::black_box;

use candle_core::{DType, Device};
use candle_nn::VarMap;
use criterion::{Criterion, criterion_group, criterion_main};
use kansei_nn::seeded_var_builder;
use kansei_recommend::model::markov::Markov;
use kansei_recommend::model::sequential::{NetConfig, SequentialModel, SequentialNet, TrainConfig};
use kansei_recommend::{Catalogue, RecommendEngine};

const ITEMS: u32 = 25_000;

fn engine() -> RecommendEngine {
    let varmap = VarMap::new();
    let defaults = TrainConfig::default();
    let config = NetConfig {
        width: defaults.width,
        blocks: defaults.blocks,
        max_len: defaults.max_len,
        ..NetConfig::for_items(ITEMS)
    };
    let net = SequentialNet::new(
        config,
        seeded_var_builder(&varmap, 1, DType::F32, &Device::Cpu),
    )
    .expect("network");
    // Ten plays each for 20,000 simulated players, for a transition table of realistic size.
    let plays: Vec<Vec<u32>> = (0..20_000u32)
        .map(|p| {
            (0..10u32)
                .map(|i| 1 + (p * 7_919 + i * 104_729) % ITEMS)
                .collect()
        })
        .collect();
    let markov = Markov::fit(&plays, ITEMS).expect("transitions");
    let model = SequentialModel::from_net(net)
        .and_then(|m| m.with_transitions(markov, 2.0))
        .expect("model");
    RecommendEngine::new(Box::new(model), Catalogue::numbered(ITEMS)).expect("engine")
}

fn top10(c: &mut Criterion) {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs each benchmark once as a
    // smoke test, where the thread count does not matter.
    if std::env::args().any(|arg| arg == "--bench") {
        assert_eq!(
            std::env::var("RAYON_NUM_THREADS").as_deref(),
            Ok("1"),
            "run with RAYON_NUM_THREADS=1: the budget is for one core"
        );
    }
    let engine = engine();
    // A full history (the model reads 50 plays), spread over the catalogue.
    let history: Vec<u32> = (0..50u32).map(|i| 1 + (i * 7919) % ITEMS).collect();
    let picks = engine.recommend(&history, 10).expect("recommend");
    assert_eq!(picks.len(), 10);

    c.bench_function("top-10 with reasons, 25k items, 50 plays", |b| {
        b.iter(|| {
            engine
                .recommend(black_box(&history), 10)
                .expect("recommend")
        });
    });
    let mut scores = vec![0.0; ITEMS as usize + 1];
    c.bench_function("scores only, 25k items, 50 plays", |b| {
        b.iter(|| {
            engine
                .model()
                .score_into(black_box(&history), &mut scores)
                .expect("scores");
        });
    });
}

criterion_group!(benches, top10);
criterion_main!(benches);
