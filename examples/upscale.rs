//! `KanseiUpscale` on the upscaler's test scenes, with every mode one key away and native
//! rendering beside it.
//!
//! The scenes are the ones `kansei upscale bench-scenes` measures (`kansei_upscale::scenes`):
//! thin geometry (fence posts and wires under a pixel wide), textures (a fine checkerboard, a
//! zone plate, lines of glyphs), a sphere crossing a detailed wall (ghosting), a panning and
//! turning camera (the start: every pixel moves, so the history must be reprojected), and a
//! pillar uncovering a wall (disocclusion).
//!
//! ```text
//! cargo run --example upscale
//! ```
//!
//! Keys:
//!
//! - `1` .. `5`: mode `NativeAa`, `Quality`, `Balanced`, `Performance` (the start),
//!   `UltraPerformance`.
//! - `U`: upscaler on or off. Off removes the component (and the prepasses, jitter and mip bias
//!   it brought): native rendering with Bevy's default 4x MSAA, as a game without Kansei has it.
//! - `T`: temporal or spatial path. Spatial removes `DepthPrepass` and `MotionVectorPrepass`;
//!   either missing makes the plugin fall back to EASU + RCAS (with one warning).
//! - `C`: camera cut, `reset = true` for one frame: the history is dropped.
//! - `Z`: zoom on the centre (a quarter of the field of view), to see the reconstruction up
//!   close.
//! - `Space`: pause or resume all motion, the camera's included.
//! - `Tab`: next scene.
//! - `S`: split screen: the left half keeps the selected method, the right half renders at
//!   native resolution with Bevy's default 4x MSAA, from the same pose.
//!
//! The window title shows the mode, the render and display resolutions, the path, and the
//! upscale pass's time (`render/kansei_upscale/elapsed_gpu` from `RenderDiagnosticsPlugin`, or
//! `elapsed_cpu`, the time to record it, where the adapter has no timestamp queries), updated
//! four times a second; the same line is logged once a second.
//!
//! Non-interactive run (what `scripts/test` does): render 60 frames at the starting settings
//! (`Performance`, temporal, split screen against native rendering), save a screenshot, exit.
//!
//! ```text
//! KANSEI_CAPTURE=screenshots/upscale.png xvfb-run -a cargo run --example upscale
//! ```

#[path = "support/capture.rs"]
mod capture;

use std::f32::consts::FRAC_PI_4;

use bevy::{
    camera::{Hdr, Viewport},
    core_pipeline::prepass::{DepthPrepass, MotionVectorPrepass},
    diagnostic::{DiagnosticPath, DiagnosticsStore, FrameTimeDiagnosticsPlugin},
    prelude::*,
    render::{diagnostic::RenderDiagnosticsPlugin, view::Msaa},
    window::PrimaryWindow,
};
use bevy_kansei::{
    KanseiPlugins,
    upscale::{
        KanseiUpscale, UpscaleMode,
        plugin::render_resolution,
        scenes::{
            ActiveScene, BenchScene, BenchScenesPlugin, SceneCamera, SceneClock, SceneSystems,
        },
    },
};

/// The upscale pass's GPU time, recorded where the adapter has timestamp queries.
const GPU_TIME: DiagnosticPath = DiagnosticPath::const_new("render/kansei_upscale/elapsed_gpu");
/// The time spent recording the pass on the CPU: all there is without timestamp queries.
const CPU_TIME: DiagnosticPath = DiagnosticPath::const_new("render/kansei_upscale/elapsed_cpu");
/// Bevy's default vertical field of view, and the zoomed one: a quarter of it shows the centre
/// magnified four times, so a reconstruction error covers several screen pixels.
const FOV: f32 = FRAC_PI_4;
const ZOOMED_FOV: f32 = FOV / 4.0;
/// Title updates per second; the log gets every fourth.
const TITLE_HZ: f32 = 4.0;

fn main() -> AppExit {
    let capture = capture::CaptureSettings::from_env(None);
    let mut app = App::new();
    app.add_plugins((
        capture::default_plugins("Kansei upscale", capture.as_ref()),
        KanseiPlugins,
        BenchScenesPlugin,
        RenderDiagnosticsPlugin,
        FrameTimeDiagnosticsPlugin::default(),
    ))
    .insert_resource(ClearColor(Color::srgb(0.46, 0.62, 0.80)))
    .insert_resource(ActiveScene(BenchScene::CameraMotion))
    .init_resource::<Demo>()
    .add_systems(Startup, spawn_cameras)
    .add_systems(
        Update,
        (
            (handle_keys, advance_clock).before(SceneSystems),
            split_viewports,
            show_status,
        ),
    );
    if let Some(capture) = capture {
        app.add_plugins(capture::CapturePlugin(capture));
    }
    app.run()
}

/// What the keys have selected.
#[derive(Resource)]
struct Demo {
    mode: UpscaleMode,
    /// Whether the camera has `KanseiUpscale` (else it renders natively).
    upscale: bool,
    /// Whether the camera keeps the prepasses the temporal path needs.
    temporal: bool,
    /// Whether the right half of the window shows native rendering.
    split: bool,
    zoomed: bool,
    paused: bool,
}

impl Default for Demo {
    fn default() -> Self {
        Self {
            // Half the resolution per axis: the mode where reconstruction has the most to do
            // while still being the one games ship most.
            mode: UpscaleMode::Performance,
            upscale: true,
            temporal: true,
            split: true,
            zoomed: false,
            paused: false,
        }
    }
}

impl Demo {
    fn method(&self) -> &'static str {
        match (self.upscale, self.temporal) {
            (false, _) => "native, MSAA 4x",
            (true, true) => "temporal",
            (true, false) => "spatial EASU+RCAS",
        }
    }
}

/// The camera the keys act on.
#[derive(Component)]
struct DemoCamera;

/// The right half of the split screen: native resolution with Bevy's default 4x MSAA. (Bevy
/// 0.19.1's TAA draws a camera whose viewport does not start at the window's corner squeezed
/// and shifted, so the reference here is MSAA; `kansei upscale bench-scenes` compares with TAA.)
#[derive(Component)]
struct ReferenceCamera;

fn spawn_cameras(mut commands: Commands, demo: Res<Demo>) {
    let projection = || {
        Projection::from(PerspectiveProjection {
            fov: FOV,
            ..default()
        })
    };
    commands.spawn((
        Camera3d::default(),
        projection(),
        KanseiUpscale {
            mode: demo.mode,
            ..default()
        },
        SceneCamera,
        DemoCamera,
    ));
    commands.spawn((
        Camera3d::default(),
        Camera {
            order: 1,
            is_active: demo.split,
            ..default()
        },
        projection(),
        // The same HDR pipeline as the upscaled camera, so only the method differs.
        Hdr,
        Msaa::Sample4,
        SceneCamera,
        ReferenceCamera,
    ));
}

/// Whether two viewports cover the same pixels (`Viewport` has no `PartialEq`).
fn same_viewport(a: Option<&Viewport>, b: Option<&Viewport>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.physical_position == b.physical_position && a.physical_size == b.physical_size
        }
        _ => false,
    }
}

fn advance_clock(time: Res<Time>, demo: Res<Demo>, mut clock: ResMut<SceneClock>) {
    if !demo.paused {
        clock.seconds += time.delta_secs();
    }
}

/// Gives each camera its half of the window while the screen is split, the whole window
/// otherwise.
fn split_viewports(
    demo: Res<Demo>,
    windows: Query<&Window, With<PrimaryWindow>>,
    mut demo_cameras: Query<&mut Camera, (With<DemoCamera>, Without<ReferenceCamera>)>,
    mut reference_cameras: Query<&mut Camera, (With<ReferenceCamera>, Without<DemoCamera>)>,
) {
    let Ok(window) = windows.single() else {
        return;
    };
    let size = window.resolution.physical_size();
    let half = UVec2::new((size.x / 2).max(1), size.y.max(1));
    let left = demo.split.then(|| Viewport {
        physical_position: UVec2::ZERO,
        physical_size: half,
        ..default()
    });
    let right = Viewport {
        physical_position: UVec2::new(size.x - half.x, 0),
        physical_size: half,
        ..default()
    };
    for mut camera in &mut demo_cameras {
        // Compared first: writing the camera every frame would mark it changed every frame.
        if !same_viewport(camera.viewport.as_ref(), left.as_ref()) {
            camera.viewport = left.clone();
        }
    }
    for mut camera in &mut reference_cameras {
        if camera.is_active != demo.split {
            camera.is_active = demo.split;
        }
        if demo.split && !same_viewport(camera.viewport.as_ref(), Some(&right)) {
            camera.viewport = Some(right.clone());
        }
    }
}

fn handle_keys(
    mut commands: Commands,
    keys: Res<ButtonInput<KeyCode>>,
    mut demo: ResMut<Demo>,
    mut scene: ResMut<ActiveScene>,
    mut clock: ResMut<SceneClock>,
    mut cameras: Query<(Entity, Option<&mut KanseiUpscale>), With<DemoCamera>>,
    mut projections: Query<&mut Projection, With<SceneCamera>>,
) {
    if keys.just_pressed(KeyCode::Tab) {
        let scenes = BenchScene::ALL;
        let next = scenes
            .iter()
            .position(|s| *s == scene.0)
            .map_or(0, |i| (i + 1) % scenes.len());
        scene.0 = scenes[next];
        clock.seconds = 0.0;
        info!("scene {}: {}", scene.0.name(), scene.0.description());
    }
    if keys.just_pressed(KeyCode::KeyS) {
        demo.split = !demo.split;
        info!(
            "split screen {}",
            if demo.split {
                "on: the right half renders natively with 4x MSAA"
            } else {
                "off"
            }
        );
    }
    let modes = [
        (KeyCode::Digit1, UpscaleMode::NativeAa),
        (KeyCode::Digit2, UpscaleMode::Quality),
        (KeyCode::Digit3, UpscaleMode::Balanced),
        (KeyCode::Digit4, UpscaleMode::Performance),
        (KeyCode::Digit5, UpscaleMode::UltraPerformance),
    ];
    // Mode and path changes rebuild the camera's components; zoom and pause only change the
    // projection or the clock, so the history keeps accumulating through them.
    let mut reconfigure = false;
    for (key, mode) in modes {
        if keys.just_pressed(key) {
            demo.mode = mode;
            reconfigure = true;
        }
    }
    if keys.just_pressed(KeyCode::KeyU) {
        demo.upscale = !demo.upscale;
        reconfigure = true;
    }
    if keys.just_pressed(KeyCode::KeyT) {
        demo.temporal = !demo.temporal;
        reconfigure = true;
    }
    let mut changed = reconfigure;
    let zoom = keys.just_pressed(KeyCode::KeyZ);
    if zoom {
        demo.zoomed = !demo.zoomed;
        changed = true;
    }
    if keys.just_pressed(KeyCode::Space) {
        demo.paused = !demo.paused;
        changed = true;
    }
    let cut = keys.just_pressed(KeyCode::KeyC);

    // Written only on the key press: touching the projection every frame would mark it changed
    // every frame.
    if zoom {
        for mut projection in &mut projections {
            if let Projection::Perspective(perspective) = &mut *projection {
                perspective.fov = if demo.zoomed { ZOOMED_FOV } else { FOV };
            }
        }
    }
    for (camera, upscale) in &mut cameras {
        if cut {
            if let Some(mut upscale) = upscale {
                upscale.reset = true;
            }
            info!("camera cut: the upscaler drops its history for one frame");
            continue;
        }
        if !reconfigure {
            continue;
        }
        let mut camera = commands.entity(camera);
        if demo.upscale {
            // Inserting the component again is how a mode changes too; the plugin sees the new
            // ratio and resets the history itself. Inserting it also switches the 4x MSAA of
            // native rendering off.
            camera.insert(KanseiUpscale {
                mode: demo.mode,
                ..default()
            });
            if demo.temporal {
                camera.insert((DepthPrepass, MotionVectorPrepass));
            } else {
                // Either prepass missing sends the camera to the spatial path; without both it
                // also skips the prepass, so the spatial timing is honest. Removed after the
                // insert above, which would otherwise bring them back as required components.
                camera.remove::<(DepthPrepass, MotionVectorPrepass)>();
            }
        } else {
            // Native rendering as a game without Kansei gets it: no upscaler, no prepasses, no
            // jitter, no mip bias (the plugin no longer resets them once the component is
            // gone), and Bevy's default anti-aliasing.
            KanseiUpscale::remove_from(&mut camera);
        }
    }
    if changed {
        info!(
            "{}{}{}{}",
            if demo.upscale {
                format!("{:?}, ", demo.mode)
            } else {
                String::new()
            },
            demo.method(),
            if demo.zoomed { ", zoomed" } else { "" },
            if demo.paused { ", paused" } else { "" }
        );
    }
}

/// Writes mode, resolutions, path and pass time to the window title a few times a second.
fn show_status(
    time: Res<Time<Real>>,
    demo: Res<Demo>,
    scene: Res<ActiveScene>,
    store: Res<DiagnosticsStore>,
    mut windows: Query<&mut Window, With<PrimaryWindow>>,
    mut since: Local<f32>,
    mut updates: Local<u32>,
) {
    *since += time.delta_secs();
    if *since < 1.0 / TITLE_HZ {
        return;
    }
    *since = 0.0;
    let Ok(mut window) = windows.single_mut() else {
        return;
    };
    let mut display = window.resolution.physical_size();
    if demo.split {
        display.x = (display.x / 2).max(1);
    }
    let ms = |path: &DiagnosticPath| store.get(path).and_then(|d| d.smoothed());
    let pass = if !demo.upscale {
        "pass off".to_owned()
    } else if let Some(gpu) = ms(&GPU_TIME) {
        format!("pass {gpu:.2} ms GPU")
    } else if let Some(cpu) = ms(&CPU_TIME) {
        format!("pass {cpu:.2} ms CPU (no timestamp queries)")
    } else {
        "pass time pending".to_owned()
    };
    let frame = store
        .get(&FrameTimeDiagnosticsPlugin::FRAME_TIME)
        .and_then(|d| d.smoothed())
        .map_or_else(String::new, |ms| format!(", frame {ms:.1} ms"));
    // The mode is left out while the upscaler is off: it would name a ratio nothing uses.
    let resolution = if demo.upscale {
        let render = render_resolution(display, demo.mode.ratio());
        format!(
            "{:?} {}x{} -> {}x{}",
            demo.mode, render.x, render.y, display.x, display.y
        )
    } else {
        format!("{}x{}", display.x, display.y)
    };
    let status = format!(
        "Kansei upscale: {}, {resolution}, {}, {pass}{frame}{}{}{}",
        scene.0.name(),
        demo.method(),
        if demo.zoomed { ", zoomed" } else { "" },
        if demo.paused { ", paused" } else { "" },
        if demo.split {
            " | right: native, MSAA 4x"
        } else {
            ""
        }
    );
    *updates += 1;
    if (*updates).is_multiple_of(TITLE_HZ as u32) {
        info!("{status}");
    }
    window.title = status;
}
