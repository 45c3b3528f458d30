//! `kansei upscale bench-scenes`: the temporal upscaler's quality harness. Renders the test
//! scenes headless with Bevy on whatever adapter wgpu finds (Mesa's lavapipe without a GPU),
//! with every Kansei mode, Bevy's TAA at native resolution and the single-frame baselines,
//! and scores them against a supersampled ground truth (see `kansei_upscale::scene_bench`).

use std::path::PathBuf;

use bevy::prelude::*;
use kansei_upscale::{
    plugin::KanseiTemporalBlend,
    scene_bench::{
        BenchConfig, BenchReport, MethodResult, ResolveCheck, headless_plugins, run_bench,
    },
    scenes::BenchScene,
};
use serde_json::{Value, json};

/// Arguments of `kansei upscale bench-scenes`.
#[derive(clap::Args, Debug)]
pub struct BenchScenesArgs {
    /// Print the report as JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Folder for `report.json`, the side-by-side crops (`crops/SCENE.png`) and each method's
    /// last frame (`frames/SCENE/METHOD.png`).
    #[arg(long, value_name = "DIR", default_value = "target/bench-scenes")]
    out: PathBuf,
    /// Display resolution, `WIDTHxHEIGHT` (even sides).
    #[arg(long, default_value = "320x180", value_parser = parse_size)]
    display: [u32; 2],
    /// Measured frames per scene.
    #[arg(long, default_value_t = 64)]
    frames: u32,
    /// Frames after the camera cut left out of the scores.
    #[arg(long, default_value_t = 8)]
    settle: u32,
    /// The last frames flicker is measured over (the steady state).
    #[arg(long, default_value_t = 32)]
    flicker_frames: u32,
    /// Scenes to run (repeat, or separate with commas); default: all.
    #[arg(long = "scene", value_name = "SCENE", num_args = 1.., value_delimiter = ',')]
    scenes: Vec<String>,
    /// Also recompute every Kansei camera's temporal resolve and sharpening on the CPU from the
    /// plugin's own inputs, every frame, and report how far the GPU's outputs and history are
    /// from them (a check for shader changes on real frames).
    #[arg(long)]
    check_resolve: bool,
    /// Also write each scene's Performance-mode resolve sequence (the 2x camera's resolve
    /// inputs and the ground truth, every measured frame) to DIR/SCENE.safetensors, for
    /// `kansei upscale train-blend`. Implies --check-resolve.
    #[arg(long, value_name = "DIR")]
    sequences: Option<PathBuf>,
    /// Resolve with the shipped learned blend correcting the hand-written rule
    /// (`KanseiTemporalBlend::Learned`) instead of the rule alone, to compare the two.
    #[arg(long)]
    learned_blend: bool,
    /// Sharpness of every Kansei camera (`KanseiUpscale::sharpness`, 0 to 1; 0 resolves
    /// without the RCAS pass).
    #[arg(long, default_value_t = kansei_upscale::KanseiUpscale::DEFAULT_SHARPNESS)]
    sharpness: f32,
}

fn parse_size(text: &str) -> Result<[u32; 2], String> {
    let (w, h) = text
        .split_once('x')
        .ok_or_else(|| format!("`{text}` is not WIDTHxHEIGHT"))?;
    let side = |s: &str| {
        s.parse::<u32>()
            .map_err(|e| format!("`{s}` in `{text}`: {e}"))
    };
    Ok([side(w)?, side(h)?])
}

/// Runs the harness and prints (and writes) its report.
pub fn run(args: &BenchScenesArgs) -> Result<(), String> {
    let scenes = if args.scenes.is_empty() {
        BenchScene::ALL.to_vec()
    } else {
        args.scenes
            .iter()
            .map(|name| {
                BenchScene::from_name(name).ok_or_else(|| {
                    let known: Vec<&str> = BenchScene::ALL.iter().map(|s| s.name()).collect();
                    format!("unknown scene `{name}`; available: {}", known.join(", "))
                })
            })
            .collect::<Result<_, _>>()?
    };
    let config = BenchConfig {
        display: args.display,
        frames: args.frames,
        settle_frames: args.settle,
        flicker_frames: args.flicker_frames,
        scenes,
        out: Some(args.out.clone()),
        check_resolve: args.check_resolve,
        sequences: args.sequences.clone(),
        sharpness: args.sharpness,
        ..BenchConfig::default()
    };
    config.validate().map_err(|e| e.to_string())?;
    let mut app = App::new();
    if args.learned_blend {
        app.insert_resource(KanseiTemporalBlend::Learned);
    }
    // Headless: no window, so no event loop (which would need a display).
    app.add_plugins(headless_plugins(DefaultPlugins.build()).disable::<bevy::winit::WinitPlugin>());
    let report = run_bench(app, &config).map_err(|e| e.to_string())?;
    let json = report_json(&report);
    let path = args.out.join("report.json");
    let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
    std::fs::write(&path, format!("{text}\n"))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    if args.json {
        println!("{text}");
    } else {
        print!("{}", report_tables(&report));
        println!(
            "report: {}; crops: {}",
            path.display(),
            args.out.join("crops").display()
        );
    }
    Ok(())
}

/// A finite number, or `null` (JSON has no infinity: a perfect PSNR).
fn number(value: f64) -> Value {
    if value.is_finite() {
        json!(value)
    } else {
        Value::Null
    }
}

fn method_json(result: &MethodResult) -> Value {
    json!({
        "method": result.method.name(),
        "render": result.render,
        "psnr": number(result.scores.psnr),
        "ssim": number(result.scores.ssim),
        "flip": number(result.scores.flip),
        "first_frame_psnr": number(result.scores.first_frame_psnr),
        "flicker": result.flicker.map(number),
        "ghosting": result.ghosting.map(|g| json!({
            "ghost": number(g.ghost),
            "trail_error": number(g.trail_error),
            "background_error": number(g.background_error),
        })),
    })
}

fn resolve_check_json(check: &ResolveCheck) -> Value {
    json!({
        "render": check.render,
        "frames": check.frames,
        "passed": check.passed(),
        "max_output_error": check.max_output_error,
        "worst_frame": check.worst_frame,
        "max_sharpened_error": check.max_sharpened_error,
        "output_values_over_tolerance": check.output_values_over,
        "history_values": check.history_values,
        "history_values_differing": check.history_values_differing,
        "max_history_codes": check.max_history_codes,
        "depth_texels_differing": check.depth_texels_differing,
    })
}

/// The report as JSON (the schema `report.json` has).
pub fn report_json(report: &BenchReport) -> Value {
    let config = &report.config;
    json!({
        "adapter": report.adapter,
        "display": config.display,
        "frames": config.frames,
        "settle_frames": config.settle_frames,
        "flicker_frames": config.flicker_frames,
        "ground_truth": format!(
            "{0}x{0} supersampled ({1} samples per pixel), box filter in linear light",
            config.supersample,
            config.supersample * config.supersample
        ),
        "units": {
            "psnr": "dB, RGB, mean over scored frames",
            "ssim": "BT.601 Y",
            "flip": "LDR-FLIP mean, 0 = identical",
            "flicker": "8-bit luma levels, per-pixel std over the last flicker_frames frames, where the ground truth is static",
            "ghosting": "8-bit levels: error towards the object's colour in its trail, 8 frames after it passed",
        },
        "seconds": report.seconds,
        "scenes": report.scenes.iter().map(|scene| json!({
            "scene": scene.scene.name(),
            "description": scene.scene.description(),
            "seconds": scene.seconds,
            "methods": scene.methods.iter().map(method_json).collect::<Vec<_>>(),
            "resolve_checks": scene.resolve_checks.iter().map(resolve_check_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "summary": report.summary.iter().map(|s| json!({
            "method": s.method.name(),
            "render": s.render,
            "shaded_fraction": s.shaded_fraction,
            "psnr": number(s.psnr),
            "ssim": number(s.ssim),
            "flip": number(s.flip),
            "flicker": s.flicker.map(number),
            "ghosting": s.ghosting.map(number),
        })).collect::<Vec<_>>(),
        "checks": report.checks.iter().map(|c| json!({
            "name": c.name,
            "requirement": c.requirement,
            "measured": c.measured,
            "passed": c.passed,
        })).collect::<Vec<_>>(),
    })
}

fn optional(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.digits$}"))
}

/// The report as text tables: one per scene, the summary, the checks.
pub fn report_tables(report: &BenchReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let config = &report.config;
    let _ = writeln!(
        out,
        "scene bench on {}: {}x{} display, {} frames per scene (first {} not scored, flicker over \
         the last {}), {:.0} s",
        report.adapter,
        config.display[0],
        config.display[1],
        config.frames,
        config.settle_frames,
        config.flicker_frames,
        report.seconds
    );
    let header = format!(
        "{:<26} {:>9} {:>7} {:>7} {:>7} {:>9} {:>8} {:>8}",
        "method", "render", "PSNR", "SSIM", "FLIP", "1st PSNR", "flicker", "ghost"
    );
    for scene in &report.scenes {
        let _ = writeln!(
            out,
            "\n{} ({})",
            scene.scene.name(),
            scene.scene.description()
        );
        let _ = writeln!(out, "{header}");
        for m in &scene.methods {
            let _ = writeln!(
                out,
                "{:<26} {:>9} {:>7.2} {:>7.4} {:>7.4} {:>9.2} {:>8} {:>8}",
                m.method.name(),
                format!("{}x{}", m.render[0], m.render[1]),
                m.scores.psnr,
                m.scores.ssim,
                m.scores.flip,
                m.scores.first_frame_psnr,
                optional(m.flicker, 3),
                optional(m.ghosting.map(|g| g.ghost), 2),
            );
        }
        for c in &scene.resolve_checks {
            let _ = writeln!(
                out,
                "[{}] resolve check {}x{}: {} frames; max rel. error {:.1e} (frame {}), sharpened \
                 {:.1e}, {} values over {:.0e}; history {} of {} values differ (max {} codes); \
                 depth history {} texels differ",
                if c.passed() { "pass" } else { "FAIL" },
                c.render[0],
                c.render[1],
                c.frames,
                c.max_output_error,
                c.worst_frame,
                c.max_sharpened_error,
                c.output_values_over,
                kansei_upscale::scene_bench::OUTPUT_TOLERANCE,
                c.history_values_differing,
                c.history_values,
                c.max_history_codes,
                c.depth_texels_differing,
            );
        }
    }
    let _ = writeln!(out, "\nmean over scenes");
    let _ = writeln!(
        out,
        "{:<26} {:>9} {:>7} {:>7} {:>7} {:>9} {:>8} {:>8}",
        "method", "shaded", "PSNR", "SSIM", "FLIP", "", "flicker", "ghost"
    );
    for s in &report.summary {
        let _ = writeln!(
            out,
            "{:<26} {:>8.0}% {:>7.2} {:>7.4} {:>7.4} {:>9} {:>8} {:>8}",
            s.method.name(),
            100.0 * s.shaded_fraction,
            s.psnr,
            s.ssim,
            s.flip,
            "",
            optional(s.flicker, 3),
            optional(s.ghosting, 2),
        );
    }
    let _ = writeln!(out, "\nchecks");
    for c in &report.checks {
        let _ = writeln!(
            out,
            "[{}] {}: {} -- {}",
            if c.passed { "pass" } else { "FAIL" },
            c.name,
            c.requirement,
            c.measured
        );
    }
    out
}
