//! `kansei upscale train-blend`: trains the temporal resolve's learned blend on the resolve
//! sequences `kansei upscale bench-scenes --sequences DIR` wrote, and scores it against the
//! hand-written rule by replaying every sequence through the CPU resolve (see
//! `kansei_upscale::train::blend`).

use std::path::{Path, PathBuf};

use candle_nn::VarMap;
use kansei_upscale::scene_bench::{ResolveSequence, read_sequence};
use kansei_upscale::temporal::{BlendNetCpu, RuleBlend};
use kansei_upscale::train::blend::{
    BlendSamples, BlendTraining, ReplayScore, blend_card, replay, score, train_blend,
};

/// Arguments of `kansei upscale train-blend`.
#[derive(clap::Args, Debug)]
pub struct TrainBlendArgs {
    /// Folder of `SCENE.safetensors` sequences from `bench-scenes --sequences`.
    #[arg(long, value_name = "DIR", default_value = "target/blend-sequences")]
    sequences: PathBuf,
    /// Keep about one pixel with history in this many as a training sample.
    #[arg(long, default_value_t = 8)]
    stride: u32,
    /// Optimiser steps per training round.
    #[arg(long, default_value_t = 1500)]
    steps: usize,
    /// Weight of the stability term (the change from the history where the ground truth is
    /// static) against the fidelity term.
    #[arg(long, default_value_t = 4.0)]
    stability: f64,
    /// Training rounds: the first on samples from replays with the rule, each further one adds
    /// samples from replays with the last network.
    #[arg(long, default_value_t = 2)]
    rounds: u32,
    /// Also train one network per scene without that scene and score it on the scene it never
    /// saw (leave one scene out).
    #[arg(long)]
    cross_validate: bool,
    /// Save the network trained on every scene here, with its model card next to it (e.g.
    /// `assets/models/kansei-temporal-blend.safetensors`).
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Frames after the cut left out of the scores (as the harness).
    #[arg(long, default_value_t = 8)]
    settle: usize,
    /// The last frames flicker is measured over (as the harness).
    #[arg(long, default_value_t = 32)]
    flicker_frames: usize,
}

/// One scene: its sequence, the rule's replay score and the rule's samples.
struct Scene {
    sequence: ResolveSequence,
    rule: ReplayScore,
    samples: BlendSamples,
}

/// Runs the command.
pub fn run(args: &TrainBlendArgs) -> Result<(), String> {
    let scenes = load_scenes(args)?;
    let config = BlendTraining {
        steps: args.steps,
        stability: args.stability,
        ..BlendTraining::default()
    };
    if args.cross_validate {
        println!("leave one scene out (each network trained without the scene it is scored on):");
        print_header();
        for (i, scene) in scenes.iter().enumerate() {
            let others: Vec<usize> = (0..scenes.len()).filter(|&j| j != i).collect();
            let (_, mut net) = fit(&scenes, &others, &config, args)?;
            let outputs = replay(&scene.sequence, &mut net, None)?;
            let held_out = score(&scene.sequence, &outputs, args.settle, args.flicker_frames)?;
            print_row(&scene.sequence.scene, &scene.rule, &held_out);
        }
    }
    let all: Vec<usize> = (0..scenes.len()).collect();
    let started = std::time::Instant::now();
    let (varmap, net) = fit(&scenes, &all, &config, args)?;
    let wall_time = started.elapsed().as_secs_f64();
    println!("trained on every scene (scores on the training scenes):");
    print_header();
    let mut summary = Vec::new();
    for scene in &scenes {
        let outputs = replay(&scene.sequence, &mut net.clone(), None)?;
        let trained = score(&scene.sequence, &outputs, args.settle, args.flicker_frames)?;
        print_row(&scene.sequence.scene, &scene.rule, &trained);
        summary.push(format!(
            "{} {:.2} -> {:.2} dB",
            scene.sequence.scene, scene.rule.psnr, trained.psnr
        ));
    }
    if let Some(path) = &args.out {
        let samples: usize = scenes.iter().map(|s| s.samples.len()).sum();
        let card = blend_card(
            &format!(
                "{samples} pixels sampled (one in {}) from replays with the rule, as many again                  from replays with the first network.",
                args.stride
            ),
            &format!(
                "Stability weight {}, {} steps per round. CPU replay PSNR on the training scenes,                  rule -> network: {}. Reproduce: kansei upscale bench-scenes --sequences DIR,                  then kansei upscale train-blend --sequences DIR --out PATH.",
                args.stability,
                args.steps,
                summary.join(", ")
            ),
            (args.steps * args.rounds.max(1) as usize) as u64,
            wall_time,
        );
        kansei_nn::save_varmap(path, &card, &varmap).map_err(|e| e.to_string())?;
        println!("saved {} and its card", path.display());
    }
    Ok(())
}

fn load_scenes(args: &TrainBlendArgs) -> Result<Vec<Scene>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&args.sequences)
        .map_err(|e| format!("{}: {e}", args.sequences.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "safetensors"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!(
            "no .safetensors sequences in {}; write them with `kansei upscale bench-scenes --sequences {}`",
            args.sequences.display(),
            args.sequences.display()
        ));
    }
    paths.iter().map(|path| load_scene(path, args)).collect()
}

fn load_scene(path: &Path, args: &TrainBlendArgs) -> Result<Scene, String> {
    let sequence = read_sequence(path)?;
    let mut samples = BlendSamples::default();
    let outputs = replay(&sequence, &mut RuleBlend, Some((&mut samples, args.stride)))?;
    let rule = score(&sequence, &outputs, args.settle, args.flicker_frames)?;
    eprintln!(
        "{}: {} frames, {} samples",
        sequence.scene,
        sequence.frames.len(),
        samples.len()
    );
    Ok(Scene {
        sequence,
        rule,
        samples,
    })
}

/// Trains on the scenes `train` in `args.rounds` rounds.
fn fit(
    scenes: &[Scene],
    train: &[usize],
    config: &BlendTraining,
    args: &TrainBlendArgs,
) -> Result<(VarMap, BlendNetCpu), String> {
    let mut pool = BlendSamples::default();
    for &i in train {
        pool.extend(&scenes[i].samples);
    }
    let mut net = None;
    let mut vars = None;
    for round in 0..args.rounds.max(1) {
        if let Some(previous) = &net {
            for &i in train {
                let mut extra = BlendSamples::default();
                let mut policy: BlendNetCpu = Clone::clone(previous);
                replay(
                    &scenes[i].sequence,
                    &mut policy,
                    Some((&mut extra, args.stride)),
                )?;
                pool.extend(&extra);
            }
        }
        let (varmap, trained, [before, after]) =
            train_blend(&pool, config).map_err(|e| e.to_string())?;
        eprintln!(
            "round {round}: {} samples, loss {before:.6} (rule) -> {after:.6}",
            pool.len()
        );
        net = Some(trained.to_cpu().map_err(|e| e.to_string())?);
        vars = Some(varmap);
    }
    match (vars, net) {
        (Some(vars), Some(net)) => Ok((vars, net)),
        _ => Err("no training round ran".into()),
    }
}

fn print_header() {
    println!(
        "{:<22} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "scene", "rule dB", "net dB", "rule flk", "net flk", "rule gh", "net gh"
    );
}

fn print_row(scene: &str, rule: &ReplayScore, net: &ReplayScore) {
    let show = |v: Option<f64>| v.map_or("-".to_string(), |f| format!("{f:.3}"));
    println!(
        "{scene:<22} {:>9.2} {:>9.2} {:>9} {:>9} {:>9} {:>9}",
        rule.psnr,
        net.psnr,
        show(rule.flicker),
        show(net.flicker),
        show(rule.ghost),
        show(net.ghost)
    );
}
