//! `KanseiUpscale` on a scene built to be hard to upscale, with every mode one key away.
//!
//! The scene holds what upscalers get wrong: a fence of thin posts and wires (sub-pixel
//! geometry that flickers or vanishes at low resolution), a fine checkerboard floor and a
//! zone-plate wall (high frequencies that alias into moiré), a sphere moving across that wall
//! (ghosting and disocclusion), and a camera that pans slowly (every pixel moves a little every
//! frame, so the history must be reprojected, not merely accumulated).
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
//!
//! The window title shows the mode, the render and display resolutions, the path, and the
//! upscale pass's time (`render/kansei_upscale/elapsed_gpu` from `RenderDiagnosticsPlugin`, or
//! `elapsed_cpu`, the time to record it, where the adapter has no timestamp queries), updated
//! four times a second; the same line is logged once a second.
//!
//! Non-interactive run (what `scripts/test` does): render 60 frames at the starting settings
//! (`Performance`, temporal), save a screenshot, exit.
//!
//! ```text
//! KANSEI_CAPTURE=screenshots/upscale.png xvfb-run -a cargo run --example upscale
//! ```

#[path = "support/capture.rs"]
mod capture;

use std::f32::consts::{FRAC_PI_4, TAU};

use bevy::{
    asset::RenderAssetUsages,
    core_pipeline::prepass::{DepthPrepass, MotionVectorPrepass},
    diagnostic::{DiagnosticPath, DiagnosticsStore, FrameTimeDiagnosticsPlugin},
    image::{ImageAddressMode, ImageSampler, ImageSamplerDescriptor},
    light::CascadeShadowConfigBuilder,
    math::Affine2,
    prelude::*,
    render::{
        camera::{MipBias, TemporalJitter},
        diagnostic::RenderDiagnosticsPlugin,
        render_resource::{Extent3d, TextureDimension, TextureFormat},
        view::Msaa,
    },
    window::PrimaryWindow,
};
use bevy_kansei::{
    KanseiPlugins,
    upscale::{KanseiUpscale, UpscaleMode, plugin::render_resolution},
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
    let capture = capture::CaptureSettings::from_env();
    let mut app = App::new();
    app.add_plugins((
        capture::default_plugins("Kansei upscale", capture.as_ref()),
        KanseiPlugins,
        RenderDiagnosticsPlugin,
        FrameTimeDiagnosticsPlugin::default(),
    ))
    .insert_resource(ClearColor(Color::srgb(0.46, 0.62, 0.80)))
    .init_resource::<Demo>()
    .add_systems(Startup, spawn_scene)
    .add_systems(
        Update,
        (
            handle_keys,
            (advance_clock, (pan_camera, move_sphere)).chain(),
            show_status,
        ),
    );
    if let Some(capture) = capture {
        app.add_plugins(capture::CapturePlugin(capture));
    }
    app.run()
}

/// What the keys have selected, and the scene's own clock (which stops on pause).
#[derive(Resource)]
struct Demo {
    mode: UpscaleMode,
    /// Whether the camera has `KanseiUpscale` (else it renders natively).
    upscale: bool,
    /// Whether the camera keeps the prepasses the temporal path needs.
    temporal: bool,
    zoomed: bool,
    paused: bool,
    /// Seconds of scene motion so far; everything that moves is a function of it, so a capture
    /// at frame N always shows the same picture.
    clock: f32,
}

impl Default for Demo {
    fn default() -> Self {
        Self {
            // Half the resolution per axis: the mode where reconstruction has the most to do
            // while still being the one games ship most.
            mode: UpscaleMode::Performance,
            upscale: true,
            temporal: true,
            zoomed: false,
            paused: false,
            clock: 0.0,
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

/// The sphere that moves across the zone-plate wall.
#[derive(Component)]
struct Mover;

fn spawn_scene(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut images: ResMut<Assets<Image>>,
    demo: Res<Demo>,
) {
    commands.spawn((
        Camera3d::default(),
        Projection::from(PerspectiveProjection {
            fov: FOV,
            ..default()
        }),
        camera_transform(0.0),
        KanseiUpscale {
            mode: demo.mode,
            ..default()
        },
        DemoCamera,
    ));
    commands.spawn((
        DirectionalLight {
            illuminance: 9_000.0,
            shadow_maps_enabled: true,
            ..default()
        },
        Transform::from_rotation(Quat::from_euler(EulerRot::ZYX, 0.0, 0.7, -0.8)),
        CascadeShadowConfigBuilder {
            maximum_distance: 25.0,
            ..default()
        }
        .build(),
    ));

    // Floor: a 2-texel checkerboard repeated 8 times over 40 m, 0.08 m checks. Near the camera
    // they are a few pixels wide; a few metres away they are sub-pixel and alias into moiré.
    let checker = images.add(pattern_image(256, |x, y| {
        if (x / 2 + y / 2) % 2 == 0 { 215 } else { 45 }
    }));
    commands.spawn((
        Mesh3d(meshes.add(Plane3d::default().mesh().size(40.0, 40.0))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color_texture: Some(checker),
            perceptual_roughness: 0.8,
            uv_transform: Affine2::from_scale(Vec2::splat(8.0)),
            ..default()
        })),
    ));

    // Back wall: a zone plate, rings whose frequency grows with the distance from the centre,
    // so every frequency up to the texture's limit is on screen at once.
    let zone_plate = images.add(pattern_image(1024, |x, y| {
        let (dx, dy) = (x as f32 - 512.0, y as f32 - 512.0);
        let phase = TAU * (dx * dx + dy * dy) / 2048.0;
        (127.5 + 127.5 * phase.cos()) as u8
    }));
    commands.spawn((
        Mesh3d(meshes.add(Rectangle::new(10.0, 5.0))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color_texture: Some(zone_plate),
            perceptual_roughness: 0.9,
            ..default()
        })),
        Transform::from_xyz(0.0, 2.5, -4.0),
    ));

    // Fence between the camera and the wall: posts 2 cm wide every 20 cm, and three wires 1.2 cm
    // thick. At 1280x720 and 6.5 m the display has about 120 pixels a metre: the posts are
    // about one render pixel wide at `Performance` and the wires less than one.
    let post = meshes.add(Cuboid::new(0.02, 1.4, 0.02));
    let fence_material = materials.add(StandardMaterial {
        base_color: Color::srgb(0.12, 0.10, 0.09),
        perceptual_roughness: 0.6,
        ..default()
    });
    let (fence_z, fence_half_width) = (0.5, 4.0);
    for i in 0..=40 {
        let x = -fence_half_width + 0.2 * i as f32;
        commands.spawn((
            Mesh3d(post.clone()),
            MeshMaterial3d(fence_material.clone()),
            Transform::from_xyz(x, 0.7, fence_z),
        ));
    }
    let wire = meshes.add(Cylinder::new(0.006, 2.0 * fence_half_width));
    for height in [0.45, 0.9, 1.35] {
        commands.spawn((
            Mesh3d(wire.clone()),
            MeshMaterial3d(fence_material.clone()),
            Transform::from_xyz(0.0, height, fence_z)
                .with_rotation(Quat::from_rotation_z(FRAC_PI_4 * 2.0)),
        ));
    }

    // The moving object, behind the fence and in front of the wall: each frame uncovers wall
    // that the history saw only through the sphere (disocclusion) and the fence.
    commands.spawn((
        Mesh3d(meshes.add(Sphere::new(0.6).mesh().uv(48, 32))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color: Color::srgb(0.95, 0.45, 0.20),
            metallic: 0.3,
            perceptual_roughness: 0.35,
            ..default()
        })),
        sphere_transform(0.0),
        Mover,
    ));
}

/// A grey square texture of `size` texels, repeating, whose value at texel `(x, y)` is `value`.
fn pattern_image(size: u32, value: impl Fn(u32, u32) -> u8) -> Image {
    let mut data = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let v = value(x, y);
            data.extend_from_slice(&[v, v, v, 255]);
        }
    }
    let mut image = Image::new(
        Extent3d {
            width: size,
            height: size,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        data,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    // No mipmaps on purpose: the minified texture aliases as a detailed game texture would
    // without them, and the floor must repeat.
    image.sampler = ImageSampler::Descriptor(ImageSamplerDescriptor {
        address_mode_u: ImageAddressMode::Repeat,
        address_mode_v: ImageAddressMode::Repeat,
        ..ImageSamplerDescriptor::linear()
    });
    image
}

/// The camera at scene time `t`: it swings 12 degrees either side of the centre every 40 s.
fn camera_transform(t: f32) -> Transform {
    let yaw = 0.2 * (TAU * t / 40.0).sin();
    let position = Quat::from_rotation_y(yaw) * Vec3::new(0.0, 1.6, 7.0);
    Transform::from_translation(position).looking_at(Vec3::new(0.0, 1.2, -1.0), Vec3::Y)
}

/// The sphere at scene time `t`: across the wall and back every 8 s, 1.6 m/s at the centre.
fn sphere_transform(t: f32) -> Transform {
    let x = 2.0 * (TAU * t / 8.0).sin();
    Transform::from_xyz(x, 1.1, -1.5).with_rotation(Quat::from_rotation_y(t))
}

fn advance_clock(time: Res<Time>, mut demo: ResMut<Demo>) {
    if !demo.paused {
        demo.clock += time.delta_secs();
    }
}

fn pan_camera(demo: Res<Demo>, mut cameras: Query<&mut Transform, With<DemoCamera>>) {
    for mut transform in &mut cameras {
        *transform = camera_transform(demo.clock);
    }
}

fn move_sphere(demo: Res<Demo>, mut movers: Query<&mut Transform, With<Mover>>) {
    for mut transform in &mut movers {
        *transform = sphere_transform(demo.clock);
    }
}

fn handle_keys(
    mut commands: Commands,
    keys: Res<ButtonInput<KeyCode>>,
    mut demo: ResMut<Demo>,
    mut cameras: Query<(Entity, Option<&mut KanseiUpscale>, &mut Projection), With<DemoCamera>>,
) {
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

    for (camera, upscale, mut projection) in &mut cameras {
        // Written only on the key press: touching the projection every frame would mark it
        // changed every frame.
        if zoom && let Projection::Perspective(perspective) = &mut *projection {
            perspective.fov = if demo.zoomed { ZOOMED_FOV } else { FOV };
        }
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
            camera
                .remove::<(
                    KanseiUpscale,
                    DepthPrepass,
                    MotionVectorPrepass,
                    TemporalJitter,
                    MipBias,
                )>()
                .insert(Msaa::default());
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
    let display = window.resolution.physical_size();
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
        "Kansei upscale: {resolution}, {}, {pass}{frame}{}{}",
        demo.method(),
        if demo.zoomed { ", zoomed" } else { "" },
        if demo.paused { ", paused" } else { "" }
    );
    *updates += 1;
    if (*updates).is_multiple_of(TITLE_HZ as u32) {
        info!("{status}");
    }
    window.title = status;
}
