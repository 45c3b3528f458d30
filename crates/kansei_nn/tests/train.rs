//! Seeding, the training loop, checkpoints and resume.

mod common;

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{AdamW, Linear, Optimizer, ParamsAdamW, SGD, VarBuilder, VarMap};
use common::TestResult;
use kansei_nn::{
    LrSchedule, ModelError, Progress, ResumableAdamW, ResumableOptimizer, StepContext, TrainError,
    Trainer, dropout, randn, read_checkpoint, seeded_rng, seeded_var_builder,
};
use rand::Rng;

/// A tiny MLP: 4 → 8 (tanh, dropout) → 1.
struct Net {
    hidden: Linear,
    out: Linear,
}

impl Net {
    fn new(vb: &VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            hidden: candle_nn::linear(4, 8, vb.pp("hidden"))?,
            out: candle_nn::linear(8, 1, vb.pp("out"))?,
        })
    }

    /// A loss on a fresh batch drawn from the step's generator, with a dropout mask from it too.
    fn loss(&self, ctx: &mut StepContext<'_>) -> candle_core::Result<Tensor> {
        let xs = randn(ctx.rng, 0.0, 1.0, (8, 4), DType::F32, &Device::Cpu)?;
        let target = xs.sum_keepdim(1)?.tanh()?;
        let hidden = dropout(&self.hidden.forward(&xs)?.tanh()?, 0.1, ctx.rng)?;
        candle_nn::loss::mse(&self.out.forward(&hidden)?, &target)
    }
}

fn build(seed: u64) -> candle_core::Result<(VarMap, Net)> {
    let varmap = VarMap::new();
    let net = Net::new(&seeded_var_builder(&varmap, seed, DType::F32, &Device::Cpu))?;
    Ok((varmap, net))
}

/// Every variable's values, by name.
fn snapshot(varmap: &VarMap) -> candle_core::Result<BTreeMap<String, Vec<f32>>> {
    varmap
        .data()
        .lock()
        .expect("unpoisoned")
        .iter()
        .map(|(name, var)| Ok((name.clone(), var.flatten_all()?.to_vec1::<f32>()?)))
        .collect()
}

fn max_abs_diff(a: &BTreeMap<String, Vec<f32>>, b: &BTreeMap<String, Vec<f32>>) -> f32 {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    a.values()
        .zip(b.values())
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p - q).abs()))
        .fold(0.0, f32::max)
}

fn continue_always(_: &Progress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

const SEED: u64 = 11;
const STEPS: u64 = 10;
const SCHEDULE: LrSchedule = LrSchedule::CosineWithWarmup {
    peak: 0.01,
    floor: 0.001,
    warmup_steps: 3,
    total_steps: STEPS,
};

#[test]
fn same_seed_same_parameters() -> TestResult {
    let train = |seed: u64| -> Result<_, Box<dyn std::error::Error>> {
        let (varmap, net) = build(seed)?;
        let initial = snapshot(&varmap)?;
        Trainer::<ResumableAdamW>::new(&varmap, ParamsAdamW::default(), STEPS)
            .seed(seed)
            .schedule(SCHEDULE)
            .run(|ctx| net.loss(ctx), continue_always)?;
        Ok((initial, snapshot(&varmap)?))
    };
    let (init_a, trained_a) = train(3)?;
    let (init_b, trained_b) = train(3)?;
    let (init_c, trained_c) = train(4)?;
    assert_eq!(init_a, init_b, "same seed, same initial weights");
    assert_eq!(trained_a, trained_b, "same seed, same trained weights");
    assert_ne!(init_a, init_c);
    assert_ne!(trained_a, trained_c);
    assert_ne!(init_a, trained_a, "training moved the weights");

    let mut r1 = seeded_rng(9, &Device::Cpu)?;
    let mut r2 = seeded_rng(9, &Device::Cpu)?;
    assert_eq!(r1.random::<u64>(), r2.random::<u64>());
    Ok(())
}

#[test]
fn seeded_init_honours_the_layers_init_hint() -> TestResult {
    let varmap = VarMap::new();
    let vb = seeded_var_builder(&varmap, 5, DType::F32, &Device::Cpu);
    let layer = candle_nn::linear(16, 4, vb.pp("l"))?;
    let norm = candle_nn::layer_norm(4, 1e-5, vb.pp("n"))?;
    // candle's linear: Kaiming-normal weights (fan-in 16, ReLU gain: std sqrt(2) / 4 ≈ 0.354)
    // and biases uniform in ±1/sqrt(16).
    let w = layer.weight().flatten_all()?.to_vec1::<f32>()?;
    let std = (w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt();
    assert!((0.25..0.45).contains(&std), "weight std {std}");
    let b = layer.bias().expect("linear has a bias").to_vec1::<f32>()?;
    assert!(b.iter().all(|v| v.abs() <= 0.25), "{b:?}");
    assert_eq!(norm.weight().to_vec1::<f32>()?, vec![1.0; 4]);
    assert_eq!(norm.bias().expect("affine").to_vec1::<f32>()?, vec![0.0; 4]);
    // Asking again returns the same variable.
    let again = candle_nn::linear(16, 4, vb.pp("l"))?;
    assert_eq!(again.weight().flatten_all()?.to_vec1::<f32>()?, w);
    Ok(())
}

type Snap = BTreeMap<String, Vec<f32>>;

/// Trains `STEPS` straight, and 5 + (checkpoint, fresh process, resume) 5. Returns the straight
/// and resumed final weights, the weights at the interruption, and the final checkpoint's.
fn straight_and_resumed<O: ResumableOptimizer>(
    config: impl Fn() -> O::Config,
    dir: &Path,
) -> Result<(Snap, Snap, Snap, Snap), Box<dyn std::error::Error>> {
    let (straight, net) = build(SEED)?;
    let outcome = Trainer::<O>::new(&straight, config(), STEPS)
        .seed(SEED)
        .schedule(SCHEDULE)
        .run(|ctx| net.loss(ctx), continue_always)?;
    assert_eq!(outcome.steps_completed, STEPS);

    let ckpt = dir.join(format!("{}.ckpt.safetensors", O::NAME));
    let (first, net) = build(SEED)?;
    let outcome = Trainer::<O>::new(&first, config(), STEPS)
        .seed(SEED)
        .schedule(SCHEDULE)
        .checkpoint(&ckpt, 4)
        .resume(true)
        .run(
            |ctx| net.loss(ctx),
            |p| {
                if p.step == 5 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )?;
    assert_eq!((outcome.steps_completed, outcome.stopped_early), (5, true));
    let at_five = snapshot(&first)?;

    // A "new process": different initial weights, which the checkpoint must overwrite.
    let (second, net) = build(SEED + 1000)?;
    let mut first_reported = None;
    let outcome = Trainer::<O>::new(&second, config(), STEPS)
        .seed(SEED)
        .schedule(SCHEDULE)
        .checkpoint(&ckpt, 4)
        .resume(true)
        .run(
            |ctx| net.loss(ctx),
            |p| {
                first_reported.get_or_insert(p.step);
                ControlFlow::Continue(())
            },
        )?;
    assert_eq!(outcome.resumed_from, Some(5));
    assert_eq!(outcome.steps_completed, STEPS);
    assert_eq!(
        first_reported,
        Some(6),
        "the first step after resuming is step index 5"
    );

    // The checkpoint now holds the final state; what it held at step 5 is `at_five`.
    let reread = VarMap::new();
    Net::new(&seeded_var_builder(&reread, 0, DType::F32, &Device::Cpu))?;
    let ckpt = read_checkpoint(&ckpt, &reread)?;
    assert_eq!((ckpt.info.step, ckpt.info.seed), (STEPS, SEED));
    assert_eq!(ckpt.info.optimizer, O::NAME);
    Ok((
        snapshot(&straight)?,
        snapshot(&second)?,
        at_five,
        snapshot(&reread)?,
    ))
}

#[test]
fn sgd_resume_is_exact() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (straight, resumed, _, final_ckpt) = straight_and_resumed::<SGD>(|| 0.05, dir.path())?;
    assert_eq!(straight, resumed);
    assert_eq!(resumed, final_ckpt);
    Ok(())
}

#[test]
fn resumable_adamw_resume_is_exact() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (straight, resumed, _, _) =
        straight_and_resumed::<ResumableAdamW>(ParamsAdamW::default, dir.path())?;
    assert_eq!(straight, resumed);
    Ok(())
}

/// candle's `AdamW` hides its moments, so resuming restarts them. The weights and step counter
/// are still restored exactly (the resumed run continues from step 5 with the step-5 weights);
/// the remaining 5 steps then drift by a bounded amount: an `AdamW` update moves a parameter by at
/// most `lr·(1-β1)/√(1-β2)` (plus weight decay), so two runs drift apart by at most twice that per
/// step.
#[test]
fn candle_adamw_resume_restores_weights_and_step_within_tolerance() -> TestResult {
    let dir = tempfile::tempdir()?;
    let params = ParamsAdamW::default();
    let (straight, resumed, at_five, _) =
        straight_and_resumed::<AdamW>(ParamsAdamW::default, dir.path())?;

    // The step-5 weights are what the resumed run started from: its first step reported 6, and
    // replaying the straight run to step 5 gives exactly `at_five`.
    let (replay, net) = build(SEED)?;
    Trainer::<AdamW>::new(&replay, ParamsAdamW::default(), 5)
        .seed(SEED)
        .schedule(SCHEDULE)
        .run(|ctx| net.loss(ctx), continue_always)?;
    assert_eq!(snapshot(&replay)?, at_five);

    let max_step = (1.0 - params.beta1) / (1.0 - params.beta2).sqrt() + params.weight_decay;
    let tolerance = 5.0 * 2.0 * 0.01 * max_step;
    let drift = f64::from(max_abs_diff(&straight, &resumed));
    assert!(
        drift > 0.0,
        "candle AdamW cannot resume exactly; if it now does, update the docs"
    );
    assert!(drift <= tolerance, "drift {drift} > {tolerance}");
    Ok(())
}

#[test]
fn resumable_adamw_matches_candle_adamw() -> TestResult {
    let (ours, net_a) = build(SEED)?;
    let (theirs, net_b) = build(SEED)?;
    let sorted = |vm: &VarMap| {
        let data = vm.data().lock().expect("unpoisoned");
        let mut vars: Vec<_> = data.iter().map(|(n, v)| (n.clone(), v.clone())).collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars.into_iter().map(|(_, v)| v).collect::<Vec<_>>()
    };
    let params = ParamsAdamW {
        lr: 0.02,
        weight_decay: 0.05,
        ..ParamsAdamW::default()
    };
    let mut a = ResumableAdamW::new(sorted(&ours), params.clone())?;
    let mut b = AdamW::new(sorted(&theirs), params)?;
    for step in 0..6 {
        let (mut rng_a, mut rng_b) = (kansei_nn::step_rng(1, step), kansei_nn::step_rng(1, step));
        let mut ctx_a = StepContext {
            step,
            total_steps: 6,
            learning_rate: 0.02,
            rng: &mut rng_a,
        };
        a.backward_step(&net_a.loss(&mut ctx_a)?)?;
        let mut ctx_b = StepContext {
            step,
            total_steps: 6,
            learning_rate: 0.02,
            rng: &mut rng_b,
        };
        b.backward_step(&net_b.loss(&mut ctx_b)?)?;
    }
    assert_eq!(snapshot(&ours)?, snapshot(&theirs)?);
    assert_eq!(a.steps_taken(), 6);
    Ok(())
}

#[test]
fn checkpoint_from_another_run_is_refused_without_touching_weights() -> TestResult {
    let dir = tempfile::tempdir()?;
    let ckpt = dir.path().join("run.ckpt.safetensors");
    let (varmap, net) = build(SEED)?;
    Trainer::<SGD>::new(&varmap, 0.05, 3)
        .seed(SEED)
        .checkpoint(&ckpt, 3)
        .run(|ctx| net.loss(ctx), continue_always)?;

    let (other, net) = build(77)?;
    let before = snapshot(&other)?;
    let err = Trainer::<SGD>::new(&other, 0.05, 6)
        .seed(SEED + 1)
        .checkpoint(&ckpt, 3)
        .resume(true)
        .run(|ctx| net.loss(ctx), continue_always)
        .expect_err("different seed");
    assert!(
        matches!(&err, TrainError::Checkpoint { reason, .. } if reason.contains("seed")),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&ckpt.display().to_string()),
        "{err}"
    );

    let err = Trainer::<ResumableAdamW>::new(&other, ParamsAdamW::default(), 6)
        .seed(SEED)
        .checkpoint(&ckpt, 3)
        .resume(true)
        .run(|ctx| net.loss(ctx), continue_always)
        .expect_err("different optimizer");
    assert!(
        matches!(&err, TrainError::Checkpoint { reason, .. } if reason.contains("sgd")),
        "{err:?}"
    );

    let err = Trainer::<SGD>::new(&other, 0.05, 2)
        .seed(SEED)
        .checkpoint(&ckpt, 3)
        .resume(true)
        .run(|ctx| net.loss(ctx), continue_always)
        .expect_err("checkpoint is past the end");
    assert!(matches!(&err, TrainError::Checkpoint { .. }), "{err:?}");
    assert_eq!(snapshot(&other)?, before);

    // A model file is not a checkpoint.
    let model = dir.path().join("model.safetensors");
    kansei_nn::save_varmap(&model, &common::card("1"), &varmap)?;
    let err = read_checkpoint(&model, &other).expect_err("not a checkpoint");
    assert!(matches!(&err, ModelError::BadWeightsFile { .. }), "{err:?}");
    Ok(())
}

#[test]
fn non_finite_loss_stops_before_the_update() -> TestResult {
    let (varmap, net) = build(SEED)?;
    let mut history = Vec::new();
    let err = Trainer::<SGD>::new(&varmap, 0.05, 10)
        .run(
            |ctx| {
                let loss = net.loss(ctx)?;
                if ctx.step == 2 {
                    loss * f64::NAN
                } else {
                    Ok(loss)
                }
            },
            |_| {
                history.push(snapshot(&varmap).expect("snapshot"));
                ControlFlow::Continue(())
            },
        )
        .expect_err("NaN loss");
    assert!(
        matches!(err, TrainError::NonFiniteLoss { step: 2, .. }),
        "{err:?}"
    );
    assert_eq!(history.len(), 2);
    assert_eq!(
        snapshot(&varmap)?,
        history[1],
        "the NaN step was not applied"
    );
    Ok(())
}

#[test]
fn schedule_sets_each_steps_learning_rate() -> TestResult {
    let (varmap, net) = build(SEED)?;
    let mut rates = Vec::new();
    let outcome = Trainer::<SGD>::new(&varmap, 123.0, STEPS)
        .schedule(SCHEDULE)
        .run(
            |ctx| {
                assert_eq!(ctx.learning_rate, SCHEDULE.at(ctx.step));
                net.loss(ctx)
            },
            |p| {
                rates.push(p.learning_rate);
                ControlFlow::Continue(())
            },
        )?;
    let expected: Vec<f64> = (0..STEPS).map(|s| SCHEDULE.at(s)).collect();
    assert_eq!(rates, expected);
    assert!(outcome.last_loss.is_some_and(f64::is_finite));
    Ok(())
}

#[test]
fn bad_configurations_are_rejected() -> TestResult {
    let (varmap, net) = build(SEED)?;
    let run = |trainer: Trainer<SGD>| trainer.run(|ctx| net.loss(ctx), continue_always);
    let err = run(Trainer::new(&varmap, 0.1, 3).checkpoint("x.ckpt", 0)).expect_err("interval 0");
    assert!(matches!(err, TrainError::InvalidConfig(_)), "{err:?}");
    let err = run(Trainer::new(&varmap, 0.1, 3).resume(true)).expect_err("no path");
    assert!(matches!(err, TrainError::InvalidConfig(_)), "{err:?}");
    let err = run(Trainer::new(&varmap, 0.1, 3).schedule(LrSchedule::Constant(-1.0)))
        .expect_err("negative rate");
    assert!(matches!(err, TrainError::InvalidConfig(_)), "{err:?}");
    let err = Trainer::<SGD>::new(&varmap, 0.1, 3)
        .run(
            |_| Tensor::ones(2, DType::F32, &Device::Cpu),
            continue_always,
        )
        .expect_err("loss with two elements");
    assert!(
        matches!(err, TrainError::NonScalarLoss { step: 0, .. }),
        "{err:?}"
    );
    Ok(())
}

/// A checkpoint write that fails part-way leaves the previous checkpoint readable.
#[test]
fn interrupted_checkpoint_keeps_the_previous_one() -> TestResult {
    struct FailingWrite;
    impl kansei_nn::SaveIo for FailingWrite {
        fn write_synced(&mut self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
            std::fs::write(path, &bytes[..bytes.len() / 2])?;
            Err(std::io::Error::other("disk full"))
        }
        fn rename(&mut self, from: &Path, to: &Path) -> std::io::Result<()> {
            std::fs::rename(from, to)
        }
        fn sync_dir(&mut self, _dir: &Path) -> std::io::Result<()> {
            Ok(())
        }
        fn remove(&mut self, path: &Path) -> std::io::Result<()> {
            std::fs::remove_file(path)
        }
    }

    let dir = tempfile::tempdir()?;
    let ckpt = dir.path().join("run.ckpt.safetensors");
    let (varmap, net) = build(SEED)?;
    Trainer::<SGD>::new(&varmap, 0.05, 3)
        .seed(SEED)
        .checkpoint(&ckpt, 3)
        .run(|ctx| net.loss(ctx), continue_always)?;
    let saved = snapshot(&varmap)?;

    let (other, _) = build(5)?;
    let info = kansei_nn::CheckpointInfo {
        step: 9,
        seed: SEED,
        optimizer: "sgd".into(),
    };
    let err = kansei_nn::write_checkpoint_with(&mut FailingWrite, &ckpt, &other, &info, &[])
        .expect_err("the write fails");
    assert!(
        matches!(
            err,
            ModelError::Io {
                action: "write",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        !kansei_nn::temp_path(&ckpt).exists(),
        "the partial temporary is cleaned up"
    );

    let restored = read_checkpoint(&ckpt, &other)?;
    assert_eq!(restored.info.step, 3);
    assert_eq!(snapshot(&other)?, saved);
    Ok(())
}
