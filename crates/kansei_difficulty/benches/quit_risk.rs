//! CPU time of one adaptive-difficulty decision: the quit-risk model alone, and the flow
//! controller's whole decision (skill prediction plus the model asked twice, once for a win and
//! once for a loss).
//!
//! ```text
//! cargo bench -p kansei_difficulty --no-default-features --bench quit_risk
//! ```
//!
//! It lives with its crate and builds without Bevy: the decision is engine-agnostic, and a
//! release build of the facade would compile all of Bevy for a CPU micro-benchmark.
//!
//! The budget (issue 5) is 1 ms per decision on one core. Run it with `RAYON_NUM_THREADS=1`
//! (candle's CPU backend would otherwise be free to use more cores; at this size it does not).

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use kansei_difficulty::controller::{FlowConfig, FlowController};
use kansei_difficulty::quit_risk::{MODEL_NAME, QuitRiskModel};
use kansei_player::EncounterOutcome;

/// Seven wins, then four losses in five: the frustration the model flags, so the decision
/// takes its slowest path (the risk, then a win and a loss asked about next).
fn history() -> Vec<EncounterOutcome> {
    (0..12)
        .map(|i| EncounterOutcome {
            difficulty: 0.5 + 0.01 * (i % 3) as f32,
            success: i < 7 || i == 9,
            seconds: 90.0,
            damage_taken: 30.0,
            performance: Some(0.6),
            ..EncounterOutcome::default()
        })
        .collect()
}

fn quit_risk(c: &mut Criterion) {
    let path = format!(
        "{}/../../assets/models/{MODEL_NAME}.safetensors",
        env!("CARGO_MANIFEST_DIR")
    );
    let model = QuitRiskModel::load(path).unwrap_or_else(|e| panic!("{e}"));
    let recent = history();
    c.bench_function("quit_risk_predict", |b| {
        b.iter(|| model.predict(std::hint::black_box(&recent)));
    });

    let mut controller = FlowController::new(FlowConfig::default()).with_quit_risk(Arc::new(model));
    for outcome in &recent {
        controller.record(outcome);
    }
    let decision = controller.decide();
    assert!(
        decision
            .quit_risk
            .is_some_and(|r| r > decision.quit_risk_ceiling),
        "the benchmark history must put the risk above the ceiling: {decision:?}"
    );
    c.bench_function("flow_decision_with_quit_risk", |b| {
        b.iter(|| std::hint::black_box(controller.decide()));
    });
}

criterion_group!(benches, quit_risk);
criterion_main!(benches);
