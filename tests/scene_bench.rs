//! The quality harness behind `kansei upscale bench-scenes`, end to end on a small
//! configuration: two scenes at 128x72 for 20 frames, every method, on whatever Vulkan adapter
//! wgpu finds (lavapipe in CI; it fails, never skips, without one). The figures in the README
//! come from the full command; this checks that the harness renders, scores and writes what it
//! says, and that its scores order the methods the way their inputs must.

mod support;

use bevy_kansei::upscale::{
    KanseiTemporalBlend, UpscaleMode,
    scene_bench::{BenchConfig, BenchMethod, run_bench},
    scenes::BenchScene,
};

#[test]
fn harness_scores_every_method_and_writes_crops() {
    let out = tempfile::tempdir().expect("a temporary folder");
    let config = BenchConfig {
        display: [128, 72],
        frames: 20,
        settle_frames: 8,
        flicker_frames: 12,
        scenes: vec![BenchScene::MovingObject, BenchScene::ThinGeometry],
        out: Some(out.path().to_owned()),
        ..BenchConfig::default()
    };
    let report = run_bench(support::headless_app(), &config).expect("the harness runs");
    let methods = BenchMethod::all();
    assert_eq!(report.scenes.len(), 2);
    assert_eq!(report.summary.len(), methods.len());
    assert_eq!(
        report.checks.len(),
        5,
        "every bar is checked: {:?}",
        report.checks
    );

    for scene in &report.scenes {
        let name = scene.scene.name();
        assert_eq!(scene.methods.len(), methods.len(), "{name}");
        for result in &scene.methods {
            let s = result.scores;
            println!(
                "scene bench test: {name} {}: PSNR {:.2}, SSIM {:.4}, FLIP {:.4}, flicker {:?}, ghosting {:?}",
                result.method.name(),
                s.psnr,
                s.ssim,
                s.flip,
                result.flicker,
                result.ghosting
            );
            assert!(
                s.psnr.is_finite() && s.psnr > 10.0,
                "{name} {:?}",
                result.method
            );
            assert!(s.ssim > 0.0 && s.ssim <= 1.0, "{name} {:?}", result.method);
            assert!((0.0..=1.0).contains(&s.flip), "{name} {:?}", result.method);
            // Both scenes have a static camera: flicker is scored; only one has a mover.
            assert!(result.flicker.is_some_and(|f| f >= 0.0), "{name}");
            assert_eq!(result.ghosting.is_some(), scene.scene.has_mover(), "{name}");
        }
        let psnr = |method: BenchMethod| {
            scene
                .methods
                .iter()
                .find(|r| r.method == method)
                .map(|r| r.scores.psnr)
                .expect("every method is measured")
        };
        // Rendering every display pixel and accumulating jittered frames must beat a bilinear
        // upscale of a quarter of them; Kansei at 2x must too.
        let bilinear = psnr(BenchMethod::Bilinear);
        for method in [
            BenchMethod::Kansei(UpscaleMode::NativeAa),
            BenchMethod::Kansei(UpscaleMode::Performance),
            BenchMethod::TaaNative,
        ] {
            assert!(
                psnr(method) > bilinear,
                "{name}: {} {:.2} dB is not above bilinear {bilinear:.2} dB",
                method.name(),
                psnr(method)
            );
        }
        // More render pixels, better reconstruction.
        assert!(
            psnr(BenchMethod::Kansei(UpscaleMode::Quality))
                > psnr(BenchMethod::Kansei(UpscaleMode::UltraPerformance)),
            "{name}: Quality must beat UltraPerformance"
        );
    }

    // A crop strip per scene: the ground truth and every method side by side.
    for scene in [BenchScene::MovingObject, BenchScene::ThinGeometry] {
        let strip = image::open(
            out.path()
                .join("crops")
                .join(format!("{}.png", scene.name())),
        )
        .expect("the crop strip is a PNG");
        let [_, _, w, _] = scene.crop();
        let tile = (w * 128.0) as u32 * bevy_kansei::upscale::scene_bench::CROP_ZOOM;
        let tiles = methods.len() as u32 + 1;
        assert!(
            strip.width() >= tiles * tile,
            "{}: {} px wide",
            scene.name(),
            strip.width()
        );
        let frames = out.path().join("frames").join(scene.name());
        for name in [
            "ground_truth",
            "low_res",
            "kansei_performance",
            "taa_native",
        ] {
            assert!(frames.join(format!("{name}.png")).is_file(), "{name}");
        }
    }
}

/// The plugin's temporal resolve and sharpening, recomputed on the CPU from the very textures
/// Bevy gave the pass (its `rgba16float` main texture, `Depth32Float` prepass depth, motion
/// vectors and the history) on rendered scenes, every frame and every mode: the parity tests
/// in `crates/kansei_upscale/tests/temporal_resolve.rs` use synthetic frames, this uses real
/// ones, warm-up frames included. With the hand-written blend on two scenes, and with the
/// learned blend (its network written into the shader, evaluated by the CPU reference too) on
/// one.
#[test]
fn plugin_resolve_matches_the_cpu_reference_on_rendered_frames() {
    for (blend, scenes) in [
        (
            KanseiTemporalBlend::Rule,
            vec![BenchScene::Textures, BenchScene::Disocclusion],
        ),
        (KanseiTemporalBlend::Learned, vec![BenchScene::Disocclusion]),
    ] {
        let config = BenchConfig {
            display: [128, 72],
            frames: 12,
            settle_frames: 8,
            flicker_frames: 4,
            supersample: 1,
            scenes,
            check_resolve: true,
            ..BenchConfig::default()
        };
        let app = support::headless_app_with(blend);
        let report = run_bench(app, &config).expect("the harness runs");
        for scene in &report.scenes {
            let name = format!("{} ({blend:?})", scene.scene.name());
            assert_eq!(
                scene.resolve_checks.len(),
                bevy_kansei::upscale::scene_bench::KANSEI_MODES.len(),
                "{name}: one check per Kansei camera: {:?}",
                scene.resolve_checks
            );
            for check in &scene.resolve_checks {
                println!("resolve check, {name}: {check:?}");
                assert!(
                    check.frames >= config.warm_up_frames + config.frames,
                    "{name}: every rendered frame is checked: {check:?}"
                );
                assert!(check.passed(), "{name}: {check:?}");
                assert!(
                    check.max_sharpened_error > 0.0 || check.max_output_error > 0.0,
                    "{name}: the outputs were read back (f16 rounding is never exactly 0): \
                     {check:?}"
                );
            }
        }
    }
}
