//! What the harness reports: per scene and method, the averages over scenes, and the issue's
//! bars checked against them.

use super::{
    methods::BenchMethod,
    metrics::{FrameScores, Ghosting},
};
use crate::{plugin::UpscaleMode, scenes::BenchScene};

/// The largest ghosting score (8-bit levels, see [`super::metrics`]) that counts as "no ghost
/// trail" 8 frames after the object passed: 1% of the range, below what is visible in motion.
pub const GHOST_TOLERANCE: f64 = 2.5;

/// One method on one scene.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodResult {
    /// The method.
    pub method: BenchMethod,
    /// The resolution it rendered at.
    pub render: [u32; 2],
    /// PSNR, SSIM and FLIP against the ground truth.
    pub scores: FrameScores,
    /// Flicker (8-bit luma levels), where the scene has static ground-truth pixels.
    pub flicker: Option<f64>,
    /// Ghosting, where the scene has a moving object.
    pub ghosting: Option<Ghosting>,
}

/// Every method on one scene.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneReport {
    /// The scene.
    pub scene: BenchScene,
    /// One result per method, in [`BenchMethod::all`] order.
    pub methods: Vec<MethodResult>,
    /// Per Kansei camera, how far its GPU resolve was from the CPU reference on this scene's
    /// frames, when [`BenchConfig::check_resolve`](super::BenchConfig::check_resolve) asked;
    /// empty otherwise.
    pub resolve_checks: Vec<super::ResolveCheck>,
    /// Seconds spent rendering and scoring the scene.
    pub seconds: f64,
}

/// One method averaged over the scenes.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodSummary {
    /// The method.
    pub method: BenchMethod,
    /// The resolution it rendered at.
    pub render: [u32; 2],
    /// Fraction of the display's pixels it shades.
    pub shaded_fraction: f64,
    /// Mean over scenes of the scene PSNR (dB).
    pub psnr: f64,
    /// Mean over scenes of the scene SSIM-Y.
    pub ssim: f64,
    /// Mean over scenes of the scene FLIP.
    pub flip: f64,
    /// Mean over the scenes that score flicker.
    pub flicker: Option<f64>,
    /// Largest ghosting score over the scenes with a moving object.
    pub ghosting: Option<f64>,
}

/// One of the bars, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Short name, e.g. `performance_vs_bilinear`.
    pub name: &'static str,
    /// What must hold, in words.
    pub requirement: String,
    /// What was measured, in words.
    pub measured: String,
    /// Whether it holds.
    pub passed: bool,
}

/// Means over scenes of every method in `scenes`.
pub fn summarize(scenes: &[SceneReport], display: [u32; 2]) -> Vec<MethodSummary> {
    let Some(first) = scenes.first() else {
        return Vec::new();
    };
    first
        .methods
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let results: Vec<&MethodResult> =
                scenes.iter().filter_map(|s| s.methods.get(i)).collect();
            let mean = |f: &dyn Fn(&MethodResult) -> f64| {
                results.iter().map(|r| f(r)).sum::<f64>() / results.len() as f64
            };
            let flickers: Vec<f64> = results.iter().filter_map(|r| r.flicker).collect();
            let ghosts = results.iter().filter_map(|r| r.ghosting.map(|g| g.ghost));
            MethodSummary {
                method: m.method,
                render: m.render,
                shaded_fraction: f64::from(m.render[0]) * f64::from(m.render[1])
                    / (f64::from(display[0]) * f64::from(display[1])),
                psnr: mean(&|r| r.scores.psnr),
                ssim: mean(&|r| r.scores.ssim),
                flip: mean(&|r| r.scores.flip),
                flicker: (!flickers.is_empty())
                    .then(|| flickers.iter().sum::<f64>() / flickers.len() as f64),
                ghosting: ghosts.reduce(f64::max),
            }
        })
        .collect()
}

/// The bars for `Performance` and `Quality`, checked against `summary`. A bar whose
/// methods were not measured is left out.
pub fn check_bars(summary: &[MethodSummary]) -> Vec<Check> {
    let find = |method: BenchMethod| summary.iter().find(|s| s.method == method);
    let mut checks = Vec::new();
    let (Some(perf), Some(quality), Some(taa), Some(bilinear)) = (
        find(BenchMethod::Kansei(UpscaleMode::Performance)),
        find(BenchMethod::Kansei(UpscaleMode::Quality)),
        find(BenchMethod::TaaNative),
        find(BenchMethod::Bilinear),
    ) else {
        return checks;
    };
    checks.push(Check {
        name: "performance_vs_bilinear",
        requirement: "Performance mean PSNR >= bilinear + 3 dB".into(),
        measured: format!(
            "{:.2} dB vs {:.2} dB ({:+.2} dB)",
            perf.psnr,
            bilinear.psnr,
            perf.psnr - bilinear.psnr
        ),
        passed: perf.psnr >= bilinear.psnr + 3.0,
    });
    let spatial = [BenchMethod::SpatialFast, BenchMethod::SpatialBalanced]
        .into_iter()
        .filter_map(find)
        .max_by(|a, b| a.psnr.total_cmp(&b.psnr));
    if let Some(spatial) = spatial {
        checks.push(Check {
            name: "performance_vs_spatial",
            requirement: "Performance mean PSNR >= the best spatial core + 1 dB".into(),
            measured: format!(
                "{:.2} dB vs {} {:.2} dB ({:+.2} dB)",
                perf.psnr,
                spatial.method.name(),
                spatial.psnr,
                perf.psnr - spatial.psnr
            ),
            passed: perf.psnr >= spatial.psnr + 1.0,
        });
    }
    if let (Some(p), Some(t)) = (perf.flicker, taa.flicker) {
        checks.push(Check {
            name: "performance_flicker",
            requirement: "Performance flicker <= Bevy TAA at native resolution".into(),
            measured: format!("{p:.3} vs {t:.3} levels"),
            passed: p <= t,
        });
    }
    if let Some(ghost) = perf.ghosting {
        checks.push(Check {
            name: "performance_ghosting",
            requirement: format!(
                "no ghost trail 8 frames after the object passed: ghosting at most {GHOST_TOLERANCE} levels"
            ),
            measured: format!("{ghost:+.2} levels (TAA native {})", taa.ghosting.map_or("-".into(), |g| format!("{g:+.2}"))),
            passed: ghost <= GHOST_TOLERANCE,
        });
    }
    checks.push(Check {
        name: "quality_vs_taa",
        requirement: "Quality mean PSNR within 1 dB of Bevy TAA at native resolution".into(),
        measured: format!(
            "{:.2} dB vs {:.2} dB ({:+.2} dB), shading {:.0}% of the pixels",
            quality.psnr,
            taa.psnr,
            quality.psnr - taa.psnr,
            100.0 * quality.shaded_fraction
        ),
        passed: quality.psnr >= taa.psnr - 1.0,
    });
    checks
}
