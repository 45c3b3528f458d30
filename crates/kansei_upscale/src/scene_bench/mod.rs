//! The upscaler's quality harness (`kansei upscale bench-scenes`): renders the test
//! [`scenes`](crate::scenes) headless with every method in one Bevy app, on any adapter, and
//! scores each against a supersampled ground truth.
//!
//! Per scene: a camera cut, then [`BenchConfig::frames`] frames at exactly 1/60 s of scene
//! time each. Every camera renders the same frame:
//!
//! - **ground truth**: the display resolution times [`BenchConfig::supersample`] per axis
//!   (4: 16 samples per pixel on a regular grid, time frozen within the frame), box-filtered
//!   down in linear light;
//! - **Kansei** in each [`UpscaleMode`](crate::UpscaleMode) ([`methods::KANSEI_MODES`]);
//! - **Bevy's TAA** at display resolution;
//! - a **half-resolution** frame without anti-aliasing, which the single-frame methods upscale
//!   on the CPU: bilinear, and the upscaler core's `fast` and `balanced` networks alone.
//!
//! The scores ([`metrics`]) skip the first [`BenchConfig::settle_frames`] frames after the cut,
//! where every temporal method is still accumulating (the first frame's PSNR is reported
//! separately); flicker is measured over the last [`BenchConfig::flicker_frames`], the steady
//! state. [`report::check_bars`] checks the issue's bars on the means over scenes.
//!
//! # Usage
//!
//! The caller builds the app's base plugins (it knows which Bevy features it has, e.g. whether
//! `WinitPlugin` must be disabled); [`headless_plugins`] configures `DefaultPlugins` for it.
//!
//! ```no_run
//! use bevy::prelude::*;
//! use kansei_upscale::scene_bench::{BenchConfig, headless_plugins, run_bench};
//!
//! let mut app = App::new();
//! app.add_plugins(headless_plugins(DefaultPlugins.build()));
//! let report = run_bench(app, &BenchConfig::default()).expect("a Vulkan adapter");
//! for check in &report.checks {
//!     println!("{}: {} ({})", check.name, check.passed, check.measured);
//! }
//! ```

mod capture;
mod crops;
pub mod methods;
pub mod metrics;
mod probe;
pub mod report;
mod sequence;

use std::path::PathBuf;
use std::time::Instant;

use bevy::{
    app::PluginGroupBuilder,
    prelude::*,
    render::{
        RenderPlugin, pipelined_rendering::PipelinedRenderingPlugin, renderer::RenderAdapterInfo,
    },
    window::ExitCondition,
};

pub use crops::{CROP_ZOOM, write_crop_strip};
pub use methods::{BenchMethod, KANSEI_MODES, LOW_RES_RATIO};
pub use metrics::{FrameScores, Ghosting};
pub use probe::{HISTORY_TIE_SHARE, OUTPUT_TOLERANCE, ResolveCheck, SequenceFrame};
pub use report::{Check, GHOST_TOLERANCE, MethodResult, MethodSummary, SceneReport};
pub use sequence::{ResolveSequence, read_sequence};

use crate::{
    ImageF32, Method, Scale,
    eval::{EvalError, save_png_rgb8},
    scenes::BenchScene,
};
use methods::Shot;

/// What to render and how.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchConfig {
    /// Display resolution `[width, height]`; both even (the single-frame methods upscale a
    /// half-resolution frame 2x). Default 320x180.
    pub display: [u32; 2],
    /// Measured frames per scene, at least `settle_frames + 2`. Default 64.
    pub frames: u32,
    /// Frames after the cut left out of the scores. Default 8.
    pub settle_frames: u32,
    /// The last frames flicker is measured over: the steady state, so that a method still
    /// converging after the cut is not counted as flickering. At least 2 and at most
    /// `frames - settle_frames`; default 32, one whole jitter cycle at 2x (`ceil(8 * 2^2)`
    /// phases), so every method has seen every phase.
    pub flicker_frames: u32,
    /// Frames rendered before the cut, so textures are uploaded and pipelines compiled.
    /// Default 12.
    pub warm_up_frames: u32,
    /// Ground-truth supersampling per axis. Default 4 (16 samples per pixel).
    pub supersample: u32,
    /// The scenes, in order. Default all five.
    pub scenes: Vec<BenchScene>,
    /// Where to write the crops (`crops/<scene>.png`) and last frames
    /// (`frames/<scene>/<method>.png`, with `ground_truth.png` and the half-resolution
    /// `low_res.png`; on static-camera scenes also `<method>.flicker.png`, each pixel's luma
    /// standard deviation over the scored frames, white at 8 levels); nothing is written when
    /// `None` (the default).
    pub out: Option<PathBuf>,
    /// Recompute every Kansei camera's temporal resolve and sharpening on the CPU from the
    /// plugin's own inputs, every frame, and report how far the GPU's are from them
    /// ([`SceneReport::resolve_checks`]). Slower; default `false`.
    pub check_resolve: bool,
    /// Write each scene's Performance-mode (2x) resolve sequence, the camera's resolve inputs
    /// and the ground truth of every measured frame, to `<dir>/<scene>.safetensors` (see
    /// [`read_sequence`]), for training and scoring the learned blend offline. Runs the
    /// resolve check too (it reads the inputs back). Default `None`.
    pub sequences: Option<PathBuf>,
    /// [`KanseiUpscale::sharpness`](crate::plugin::KanseiUpscale::sharpness) of every Kansei
    /// camera, in `[0, 1]`. Default [`KanseiUpscale::DEFAULT_SHARPNESS`](crate::plugin::KanseiUpscale::DEFAULT_SHARPNESS).
    pub sharpness: f32,
}

impl Default for BenchConfig {
    fn default() -> Self {
        Self {
            display: [320, 180],
            frames: 64,
            settle_frames: 8,
            flicker_frames: 32,
            warm_up_frames: 12,
            supersample: 4,
            scenes: BenchScene::ALL.to_vec(),
            out: None,
            check_resolve: false,
            sequences: None,
            sharpness: crate::plugin::KanseiUpscale::DEFAULT_SHARPNESS,
        }
    }
}

impl BenchConfig {
    /// Checks the configuration; every field's constraint is in its docs.
    pub fn validate(&self) -> Result<(), BenchError> {
        let [w, h] = self.display;
        let bad = |reason: String| Err(BenchError::Config(reason));
        if w < 16 || h < 16 || w > 3840 || h > 2160 {
            return bad(format!(
                "display {w}x{h} must be between 16x16 and 3840x2160"
            ));
        }
        if !w.is_multiple_of(2) || !h.is_multiple_of(2) {
            return bad(format!("display {w}x{h} must have even sides"));
        }
        if !(1..=8).contains(&self.supersample) {
            return bad(format!("supersample {} must be 1 to 8", self.supersample));
        }
        if self.frames < self.settle_frames + 2 {
            return bad(format!(
                "{} frames leave fewer than 2 after the {} settle frames",
                self.frames, self.settle_frames
            ));
        }
        if self.flicker_frames < 2 || self.flicker_frames > self.frames - self.settle_frames {
            return bad(format!(
                "flicker over {} frames: needs 2 to {} (frames - settle frames)",
                self.flicker_frames,
                self.frames - self.settle_frames
            ));
        }
        if self.scenes.is_empty() {
            return bad("no scenes".into());
        }
        if !(0.0..=1.0).contains(&self.sharpness) {
            return bad(format!("sharpness {} must be 0 to 1", self.sharpness));
        }
        Ok(())
    }
}

/// Why the harness stopped.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A [`BenchConfig`] field is out of range.
    #[error("invalid bench configuration: {0}")]
    Config(String),
    /// Frames did not come back from the renderer.
    #[error("rendering failed: {0}")]
    Render(String),
    /// Frames of different counts or sizes were compared.
    #[error("frames do not match: {0}")]
    Frames(String),
    /// Scoring or writing images failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// The output folder could not be made.
    #[error("cannot write to {path}: {source}")]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// The configuration it ran with.
    pub config: BenchConfig,
    /// The adapter the frames were rendered on.
    pub adapter: String,
    /// Per scene.
    pub scenes: Vec<SceneReport>,
    /// Per method, means over the scenes.
    pub summary: Vec<MethodSummary>,
    /// The issue's bars.
    pub checks: Vec<Check>,
    /// Seconds for the whole run.
    pub seconds: f64,
}

/// `DefaultPlugins` (or any group holding them) set up for the harness: no window and no exit
/// when there is none, pipelines compiled synchronously (the first frame after warm-up is
/// complete), the render app on the main thread. A caller whose Bevy has `bevy_winit` must
/// also disable `WinitPlugin`.
pub fn headless_plugins(group: PluginGroupBuilder) -> PluginGroupBuilder {
    let group = group
        .set(WindowPlugin {
            primary_window: None,
            exit_condition: ExitCondition::DontExit,
            ..default()
        })
        .set(RenderPlugin {
            synchronous_pipeline_compilation: true,
            ..default()
        });
    if group.contains::<PipelinedRenderingPlugin>() {
        group.disable::<PipelinedRenderingPlugin>()
    } else {
        group
    }
}

/// Renders and scores every scene of `config` in `app` (base plugins added, not finished:
/// see [`headless_plugins`]). The upscaler plugin is added when missing.
pub fn run_bench(mut app: App, config: &BenchConfig) -> Result<BenchReport, BenchError> {
    config.validate()?;
    let start = Instant::now();
    capture::prepare_app(&mut app, config);
    let resolve_checks = (config.check_resolve || config.sequences.is_some())
        .then(|| probe::add_resolve_check(&mut app, config.sequences.is_some()));
    let adapter = adapter_name(&app);
    info!("scene bench: rendering on {adapter}");
    let mut scenes = Vec::new();
    for &scene in &config.scenes {
        let scene_start = Instant::now();
        let _span = info_span!("scene_bench", scene = scene.name()).entered();
        let frames = capture::render_scene(&mut app, scene, config)?;
        if let (Some(dir), Some(checks)) = (&config.sequences, &resolve_checks) {
            let [w, h] = config.display;
            let inputs = checks.take_inputs([w / 2, h / 2]);
            let path = sequence::write_sequence(dir, scene, config.frames, inputs, &frames)?;
            info!("scene bench: wrote {}", path.display());
        }
        let methods = score_scene(scene, frames, config)?;
        let report = SceneReport {
            scene,
            methods,
            resolve_checks: resolve_checks
                .as_ref()
                .map(probe::ResolveChecks::take)
                .unwrap_or_default(),
            seconds: scene_start.elapsed().as_secs_f64(),
        };
        info!(
            "scene bench: {} done in {:.1} s",
            scene.name(),
            report.seconds
        );
        scenes.push(report);
    }
    let summary = report::summarize(&scenes, config.display);
    let checks = report::check_bars(&summary);
    Ok(BenchReport {
        config: config.clone(),
        adapter,
        scenes,
        summary,
        checks,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn adapter_name(app: &App) -> String {
    let describe = |info: &RenderAdapterInfo| format!("{} ({:?})", info.name, info.backend);
    app.world()
        .get_resource::<RenderAdapterInfo>()
        .map(describe)
        .unwrap_or_else(|| "unknown adapter".into())
}

/// Frames of one camera, in order.
fn take_shot(
    frames: &mut capture::Frames,
    shot: Shot,
    count: u32,
) -> Result<Vec<ImageF32>, BenchError> {
    (0..count)
        .map(|k| {
            frames
                .remove(&(shot, k))
                .ok_or_else(|| BenchError::Frames(format!("{shot:?} frame {k} is missing")))
        })
        .collect()
}

/// Scores every method on one scene's frames, writing crops and last frames when asked.
fn score_scene(
    scene: BenchScene,
    mut frames: capture::Frames,
    config: &BenchConfig,
) -> Result<Vec<MethodResult>, BenchError> {
    let count = config.frames;
    let from = config.settle_frames as usize;
    let flicker_from = (config.frames - config.flicker_frames) as usize;
    let truth = take_shot(&mut frames, Shot::GroundTruth, count)?;
    let low_res = take_shot(&mut frames, Shot::LowRes, count)?;
    let coverage = scene.has_mover().then(|| metrics::coverage(&truth));
    let display = UVec2::from(config.display);
    let mut results = Vec::new();
    let mut last_frames = Vec::new();
    let mut flicker_maps = Vec::new();
    for method in BenchMethod::all() {
        let method_frames = match method {
            BenchMethod::Kansei(_) | BenchMethod::TaaNative => {
                take_shot(&mut frames, method.shot(), count)?
            }
            BenchMethod::Bilinear => Method::Bilinear.run_cpu_all(&low_res, Scale::X2)?,
            BenchMethod::SpatialFast => Method::Fast.run_cpu_all(&low_res, Scale::X2)?,
            BenchMethod::SpatialBalanced => Method::Balanced.run_cpu_all(&low_res, Scale::X2)?,
        };
        let scores = metrics::frame_scores(&truth, &method_frames, from)?;
        let flicker = if scene.static_camera() {
            metrics::flicker(&truth, &method_frames, flicker_from)
        } else {
            None
        };
        let ghosting = coverage
            .as_ref()
            .and_then(|c| metrics::ghosting(&truth, &method_frames, c, from));
        results.push(MethodResult {
            method,
            render: method.render_size(display).to_array(),
            scores,
            flicker,
            ghosting,
        });
        if config.out.is_some()
            && scene.static_camera()
            && let Some(map) = metrics::flicker_image(&method_frames[flicker_from..])
        {
            flicker_maps.push((method.name(), map));
        }
        if let Some(last) = method_frames.into_iter().last() {
            last_frames.push((method.name(), last));
        }
    }
    if let (Some(out), Some(truth_last), Some(low_res_last)) =
        (&config.out, truth.last(), low_res.last())
    {
        write_images(out, scene, truth_last, low_res_last, &last_frames)?;
        let dir = out.join("frames").join(scene.name());
        for (name, map) in &flicker_maps {
            save_png_rgb8(map, &dir.join(format!("{name}.flicker.png")))?;
        }
    }
    Ok(results)
}

fn write_images(
    out: &std::path::Path,
    scene: BenchScene,
    truth: &ImageF32,
    low_res: &ImageF32,
    last_frames: &[(String, ImageF32)],
) -> Result<(), BenchError> {
    let crops = out.join("crops");
    let frames = out.join("frames").join(scene.name());
    for dir in [&crops, &frames] {
        std::fs::create_dir_all(dir).map_err(|source| BenchError::Io {
            path: dir.clone(),
            source,
        })?;
    }
    let mut tiles: Vec<(String, &ImageF32)> = vec![("ground_truth".into(), truth)];
    tiles.extend(
        last_frames
            .iter()
            .map(|(name, frame)| (name.clone(), frame)),
    );
    for (name, frame) in tiles.iter().chain([&("low_res".to_owned(), low_res)]) {
        save_png_rgb8(frame, &frames.join(format!("{name}.png")))?;
    }
    write_crop_strip(&crops, scene, &tiles)?;
    Ok(())
}
