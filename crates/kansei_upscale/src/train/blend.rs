//! Training and scoring the learned blend ([`crate::temporal::BlendNet`]) on resolve
//! sequences (`kansei upscale train-blend`).
//!
//! - **Replay** ([`replay`]): a sequence's frames go through the CPU resolve
//!   ([`resolve_cpu_with`]) one after the other, history carried over, with any
//!   [`BlendPolicy`]; the outputs are turned into what the harness's screenshots hold (clamped,
//!   sRGB-encoded, 8-bit) and scored like the harness scores a method ([`score`]).
//! - **Samples**: while replaying, every pixel with history whose hash falls in `1 / stride`
//!   is kept: the network's input row, the three colours the blend mixes and the ground truth
//!   in linear light.
//! - **Loss**: the resolve's output for the network's trust and alpha, computed from the
//!   three colours (`rect = clipped + trust (history - clipped)`, `out = rect + alpha
//!   (current - rect)`; exact, because the `YCoCg` transform is linear), against the ground
//!   truth, both through `sqrt(max(x, 0) + 1e-3)` (a stand-in for the sRGB curve the scores
//!   are measured on), squared error; plus, on pixels whose ground truth did not change since
//!   the last frame, [`BlendTraining::stability`] times the squared (encoded) change from the
//!   history beyond the change that reaching the truth needs (what the harness's flicker
//!   measures: trained on fidelity alone, the network gained up to 3.5 dB on the scenes it saw
//!   and flickered three times as much; penalising every change instead kept ghosts, whose
//!   ground truth is static too); plus
//!   `10 * (distance of trust and alpha outside [0, 1])²` so the clamps at inference change
//!   little.
//! - **Rounds** ([`train_blend`] is one): the first samples come from replays with the rule;
//!   a second round adds samples from replays with the first network (the histories it makes
//!   itself, `DAgger` style) and trains again on both.

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Optimizer, ParamsAdamW, VarMap};
use kansei_nn::{seeded_var_builder, step_rng};
use rand::Rng;

use crate::ImageF32;
use crate::eval::{linear_to_srgb, srgb_to_linear};
use crate::scene_bench::ResolveSequence;
use crate::scene_bench::metrics::{coverage, flicker, frame_scores, ghosting};
use crate::scenes::BenchScene;
use crate::temporal::{
    BLEND_INPUTS, BlendInputs, BlendNet, BlendPolicy, TemporalFrame, TemporalHistoryCpu, blend_row,
    resolve_cpu_with,
};

/// Colours kept per sample: clipped, history, current, truth (linear RGB each), then 1.0
/// where the ground truth did not change since the previous frame (0.0 otherwise).
const COLOURS: usize = 13;

/// A history this far from the truth (in the loss's encoding, about 8 levels of 255 at
/// mid-grey) counts as wrong.
const GHOST_ERROR: f64 = 0.03;
/// How much more a pixel with a wrong history weighs in the fidelity term.
const GHOST_WEIGHT: f64 = 4.0;

/// Largest change of a ground-truth channel (sRGB, `[0, 1]`) since the previous frame that
/// counts as unchanged: half an 8-bit level.
const STATIC_TRUTH: f32 = 0.5 / 255.0;

/// Samples for training the blend.
#[derive(Debug, Clone, Default)]
pub struct BlendSamples {
    /// `BLEND_INPUTS` values per sample.
    rows: Vec<f32>,
    /// `COLOURS` values per sample.
    colours: Vec<f32>,
}

impl BlendSamples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.rows.len() / BLEND_INPUTS
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Appends `other`'s samples.
    pub fn extend(&mut self, other: &BlendSamples) {
        self.rows.extend_from_slice(&other.rows);
        self.colours.extend_from_slice(&other.colours);
    }

    fn push(&mut self, inputs: &BlendInputs, truth: [f32; 3], unchanged: bool) {
        self.rows.extend_from_slice(&blend_row(inputs));
        for colour in [inputs.clipped, inputs.history, inputs.current, truth] {
            self.colours.extend_from_slice(&colour);
        }
        self.colours.push(if unchanged { 1.0 } else { 0.0 });
    }
}

/// A policy that keeps a sample of the pixels it is asked about.
struct Recording<'a> {
    policy: &'a mut dyn BlendPolicy,
    samples: &'a mut BlendSamples,
    truth: &'a ImageF32,
    /// This frame's and the previous frame's ground truth as captured (sRGB).
    truth_srgb: [Option<&'a ImageF32>; 2],
    frame: u32,
    stride: u32,
}

impl BlendPolicy for Recording<'_> {
    fn blend(&mut self, inputs: &BlendInputs) -> (f32, f32) {
        let [x, y] = inputs.pixel;
        if pixel_hash(x, y, self.frame).is_multiple_of(self.stride)
            && let Some(t) = self.truth.get(x, y)
        {
            let [now, before] = self.truth_srgb.map(|image| image.and_then(|i| i.get(x, y)));
            let unchanged = match (now, before) {
                (Some(a), Some(b)) => (0..3).all(|c| (a[c] - b[c]).abs() <= STATIC_TRUTH),
                _ => false,
            };
            self.samples.push(inputs, [t[0], t[1], t[2]], unchanged);
        }
        self.policy.blend(inputs)
    }
}

/// A well-mixed hash of a pixel and a frame, so the kept pixels differ from frame to frame.
fn pixel_hash(x: u32, y: u32, frame: u32) -> u32 {
    let mut h = x
        .wrapping_mul(0x9E37_79B1)
        .wrapping_add(y.wrapping_mul(0x85EB_CA77))
        .wrapping_add(frame.wrapping_mul(0xC2B2_AE3D));
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^ (h >> 12)
}

/// An image's RGB converted with `f`, alpha 1.
fn map_rgb(image: &ImageF32, f: impl Fn(f32) -> f32) -> Result<ImageF32, String> {
    ImageF32::from_fn(image.width(), image.height(), |x, y| {
        let p = image.get(x, y).unwrap_or([0.0; 4]);
        [f(p[0]), f(p[1]), f(p[2]), 1.0]
    })
    .map_err(|e| e.to_string())
}

/// Replays `sequence` through the CPU resolve with `policy` and returns each frame's output
/// as the harness's screenshot holds it (clamped to `[0, 1]`, sRGB-encoded, rounded to 8
/// bits). With `record`, `(samples, stride)`, keeps about one pixel with history in `stride`.
pub fn replay(
    sequence: &ResolveSequence,
    policy: &mut dyn BlendPolicy,
    mut record: Option<(&mut BlendSamples, u32)>,
) -> Result<Vec<ImageF32>, String> {
    let Some(first) = sequence.frames.first() else {
        return Err(format!("sequence {} has no frames", sequence.scene));
    };
    let mut history =
        TemporalHistoryCpu::new(first.params.display_size).map_err(|e| e.to_string())?;
    let mut outputs = Vec::with_capacity(sequence.frames.len());
    for (k, (frame, truth_srgb)) in sequence.frames.iter().zip(&sequence.truth_srgb).enumerate() {
        let inputs = TemporalFrame {
            color: &frame.color,
            depth: &frame.depth,
            motion: &frame.motion,
        };
        let result = match record.as_mut() {
            Some((samples, stride)) => {
                let truth = map_rgb(truth_srgb, |v| srgb_to_linear(f64::from(v)) as f32)?;
                let previous = k.checked_sub(1).and_then(|j| sequence.truth_srgb.get(j));
                let mut recording = Recording {
                    policy: &mut *policy,
                    samples,
                    truth: &truth,
                    truth_srgb: [Some(truth_srgb), previous],
                    frame: k as u32,
                    stride: (*stride).max(1),
                };
                resolve_cpu_with(&inputs, &history, &frame.params, &mut recording)
            }
            None => resolve_cpu_with(&inputs, &history, &frame.params, policy),
        };
        let (output, next) = result.map_err(|e| format!("{} frame {k}: {e}", sequence.scene))?;
        history = next;
        outputs.push(map_rgb(&output, |v| {
            (linear_to_srgb(f64::from(v.clamp(0.0, 1.0))) * 255.0).round() as f32 / 255.0
        })?);
    }
    Ok(outputs)
}

/// How a replay scores against the ground truth, as the harness scores a method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayScore {
    /// Mean PSNR (dB, RGB) over the frames from `settle` on.
    pub psnr: f64,
    /// Flicker over the last `flicker_frames` (luma standard deviation, 8-bit levels, where the
    /// ground truth is static); `None` where too little is static.
    pub flicker: Option<f64>,
    /// Ghosting behind the moving object (8-bit levels, as the harness's), for the scenes
    /// with one; `None` otherwise.
    pub ghost: Option<f64>,
}

/// Scores a replay's `outputs` of `sequence`.
pub fn score(
    sequence: &ResolveSequence,
    outputs: &[ImageF32],
    settle: usize,
    flicker_frames: usize,
) -> Result<ReplayScore, String> {
    let truth = &sequence.truth_srgb;
    let scores = frame_scores(truth, outputs, settle).map_err(|e| e.to_string())?;
    let from = truth.len().saturating_sub(flicker_frames);
    let has_mover = BenchScene::from_name(&sequence.scene).is_some_and(|s| s.has_mover());
    let ghost = has_mover
        .then(|| coverage(truth))
        .and_then(|c| ghosting(truth, outputs, &c, settle))
        .map(|g| g.ghost);
    Ok(ReplayScore {
        psnr: scores.psnr,
        flicker: flicker(truth, outputs, from),
        ghost,
    })
}

/// How [`train_blend`] trains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlendTraining {
    /// Optimiser steps. Default 1,500.
    pub steps: usize,
    /// Samples per step, drawn at random. Default 16,384.
    pub batch: usize,
    /// `AdamW`'s learning rate (no weight decay). Default 3e-3.
    pub learning_rate: f64,
    /// Seed of the initialisation and the batches. Default 1.
    pub seed: u64,
    /// Weight of the stability term: on pixels whose ground truth did not change, the
    /// squared (encoded) difference between the output and the history, which is what the
    /// harness's flicker measures frame to frame. Default 4.
    pub stability: f64,
}

impl Default for BlendTraining {
    fn default() -> Self {
        Self {
            steps: 1500,
            batch: 16_384,
            learning_rate: 3e-3,
            seed: 1,
            stability: 4.0,
        }
    }
}

/// The training loss of a batch (see the [module docs](self)).
pub fn blend_loss(
    net: &BlendNet,
    rows: &Tensor,
    colours: &Tensor,
    stability_weight: f64,
) -> candle_core::Result<Tensor> {
    let d = net.forward(rows)?;
    let trust = (rows.narrow(1, BLEND_INPUTS - 2, 1)? + d.narrow(1, 0, 1)?)?;
    let alpha = (rows.narrow(1, BLEND_INPUTS - 1, 1)? + d.narrow(1, 1, 1)?)?;
    let part = |i: usize| colours.narrow(1, 3 * i, 3);
    let (clipped, history, current, truth) = (part(0)?, part(1)?, part(2)?, part(3)?);
    let unchanged = colours.narrow(1, 12, 1)?;
    let rectified = (&clipped + trust.broadcast_mul(&(&history - &clipped)?)?)?;
    let output = (&rectified + alpha.broadcast_mul(&(current - &rectified)?)?)?;
    let encode = |x: &Tensor| (x.relu()? + 1e-3)?.sqrt();
    // Pixels whose history is far from the truth (a ghost, a disocclusion the depth test
    // missed) are few but are what the eye catches: their error counts GHOST_WEIGHT times more.
    let encoded_truth = encode(&truth)?;
    let history_wrong = (encode(&history)? - &encoded_truth)?
        .abs()?
        .ge(GHOST_ERROR)?
        .to_dtype(DType::F32)?;
    let weights = ((history_wrong * (GHOST_WEIGHT - 1.0))? + 1.0)?;
    let fidelity = (encode(&output)? - &encoded_truth)?
        .sqr()?
        .broadcast_mul(&weights)?
        .mean_all()?;
    // Only the change beyond what reaching the truth needs counts: moving a wrong history
    // (a ghost) to the truth is free, jumping past it or around it is not.
    let encoded_history = encode(&history)?;
    let change = (encode(&output)? - &encoded_history)?.abs()?;
    let needed = (encode(&truth)? - &encoded_history)?.abs()?;
    let excess = (change - needed)?.relu()?.sqr()?;
    let stability = excess.broadcast_mul(&unchanged)?.mean_all()?;
    let outside = |x: &Tensor| -> candle_core::Result<Tensor> {
        let below = x.neg()?.relu()?.sqr()?;
        let above = (x - 1.0)?.relu()?.sqr()?;
        (below + above)?.mean_all()
    };
    let penalty = (outside(&trust)? + outside(&alpha)?)?;
    (fidelity + (stability * stability_weight)?)? + (penalty * 10.0)?
}

/// Trains a fresh network on `samples`; returns its variables, the network and the loss over
/// all samples before and after.
pub fn train_blend(
    samples: &BlendSamples,
    config: &BlendTraining,
) -> candle_core::Result<(VarMap, BlendNet, [f32; 2])> {
    let device = Device::Cpu;
    let n = samples.len();
    if n == 0 {
        candle_core::bail!("no samples to train the blend on");
    }
    let rows = Tensor::from_slice(&samples.rows, (n, BLEND_INPUTS), &device)?;
    let colours = Tensor::from_slice(&samples.colours, (n, COLOURS), &device)?;
    // Seeded per variable name (candle's CPU generator cannot be seeded), so the same seed
    // gives the same network.
    let varmap = VarMap::new();
    let net = BlendNet::new(seeded_var_builder(
        &varmap,
        config.seed,
        DType::F32,
        &device,
    ))?;
    let before = blend_loss(&net, &rows, &colours, config.stability)?.to_scalar::<f32>()?;
    let mut optimiser = candle_nn::AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: config.learning_rate,
            weight_decay: 0.0,
            ..ParamsAdamW::default()
        },
    )?;
    let batch = config.batch.min(n);
    for step in 0..config.steps {
        let mut rng = step_rng(config.seed, step as u64);
        let picks: Vec<u32> = (0..batch).map(|_| rng.random_range(0..n as u32)).collect();
        let picks = Tensor::from_vec(picks, batch, &device)?;
        let loss = blend_loss(
            &net,
            &rows.index_select(&picks, 0)?,
            &colours.index_select(&picks, 0)?,
            config.stability,
        )?;
        optimiser.backward_step(&loss)?;
    }
    let after = blend_loss(&net, &rows, &colours, config.stability)?.to_scalar::<f32>()?;
    Ok((varmap, net, [before, after]))
}

/// Name of the shipped blend model (`assets/models/<name>.safetensors` and its card).
pub const BLEND_MODEL_NAME: &str = "kansei-temporal-blend";

/// The model card of a blend trained by `kansei upscale train-blend`: `training` says what it
/// was trained on and how (the command's summary), `scores` the replay scores it reached.
pub fn blend_card(
    training: &str,
    scores: &str,
    steps: u64,
    wall_time_s: f64,
) -> kansei_nn::ModelCard {
    use kansei_nn::{
        CardDType, Dim, InferenceCost, ModelCard, TensorSignature, TrainingData, TrainingRecipe,
    };
    let signature = |name: &str, width: usize| TensorSignature {
        name: name.into(),
        shape: vec![Dim::Named("pixels".into()), Dim::Fixed(width)],
        dtype: CardDType::F32,
    };
    ModelCard {
        name: BLEND_MODEL_NAME.into(),
        version: "1.0.0".into(),
        task: "Corrects, per display pixel with history, the temporal resolve's two hand-written \
               choices: how much of the clip of the history to this frame's neighbourhood box to \
               undo (trust) and how much of this frame to blend in (alpha). MLP 10 -> 8 -> 2 \
               (ReLU) over 8 scale-free features of the pixel and the rule's trust and alpha; \
               the outputs are added to the rule's and clamped to [0, 1]. Evaluated inside \
               shaders/temporal_resolve.wgsl with the weights written into the code."
            .into(),
        inputs: vec![signature("features_and_rule", BLEND_INPUTS)],
        outputs: vec![signature("trust_alpha_corrections", 2)],
        parameters: 0,
        cost: InferenceCost {
            macs_per_unit: (BLEND_INPUTS * 8 + 8 * 2) as u64,
            unit: "display pixel".into(),
        },
        training_data: TrainingData {
            description: format!(
                "Frames rendered by Kansei's own quality harness: the five test scenes (thin \
                 geometry, high-frequency textures, a moving object, camera motion, \
                 disocclusion), 64 frames each at 320x180 from 160x90 (Performance mode), with a \
                 16-sample supersampled ground truth. {training}"
            ),
            provenance: "kansei upscale bench-scenes --sequences DIR (lavapipe, Bevy 0.19), \
                         scenes built in code in kansei_upscale::scenes; no external data."
                .into(),
            licence: "Generated by Kansei; same licence as the code (MIT OR Apache-2.0).".into(),
        },
        training: TrainingRecipe {
            description: format!(
                "AdamW (no weight decay), lr 3e-3, batches of 16,384 pixels; loss: squared \
                 error of sqrt(output) against sqrt(truth), plus a stability term on pixels \
                 whose ground truth did not change, plus a penalty outside [0, 1]; two rounds \
                 (rule replays, then replays with the first network added). {scores}"
            ),
            steps,
            wall_time_s,
            machine: "2-core dev VM (AMD EPYC), CPU only".into(),
        },
        intended_use: "The blend inside Kansei's temporal upscaler (KanseiUpscale). It only \
                       moves two mixing weights within [0, 1]; the colours mixed are always \
                       this frame's samples and the history."
            .into(),
        limitations: vec![
            "Trained on five synthetic scenes at one display size and one mode (Performance, \
             2x); other content, resolutions and modes were not part of its training."
                .into(),
            "Trained against the ground truth frame by frame: it can trade temporal stability \
             for fidelity, which the stability term only limits (see the README's flicker \
             figures)."
                .into(),
            "Sensitive to its initialisation: four runs of an earlier trainer that differed \
             only in it scored 27.52 to 27.87 dB and ghosting 2.17 to 3.13 levels on the \
             moving-object replay; a retrained network must be re-measured."
                .into(),
        ],
        weights_checksum: None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    /// Samples of a toy blend problem: the truth is the history where a feature says so.
    fn toy_samples(n: usize) -> BlendSamples {
        let mut samples = BlendSamples::default();
        for i in 0..n {
            let u = |k: usize| ((i * 7919 + k * 104_729) % 1000) as f32 / 1000.0;
            let mut row = [0.0; BLEND_INPUTS];
            for (k, v) in row.iter_mut().enumerate() {
                *v = u(k);
            }
            let history = [u(20), u(21), u(22)];
            let current = [u(23), u(24), u(25)];
            let truth = if row[0] > 0.5 { history } else { current };
            samples.rows.extend_from_slice(&row);
            for c in [history, history, current, truth] {
                samples.colours.extend_from_slice(&c);
            }
            samples.colours.push(f32::from(u8::from(row[1] > 0.5)));
        }
        samples
    }

    #[test]
    fn training_lowers_the_loss_and_repeats_exactly() {
        let samples = toy_samples(4096);
        let config = BlendTraining {
            steps: 60,
            batch: 512,
            ..BlendTraining::default()
        };
        let (_, first, [before, after]) = train_blend(&samples, &config).unwrap();
        assert!(after < before * 0.9, "{before} -> {after}");
        let (_, second, _) = train_blend(&samples, &config).unwrap();
        assert_eq!(first.to_cpu().unwrap(), second.to_cpu().unwrap());
    }
}
