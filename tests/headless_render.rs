//! Headless Bevy rendering: a real render of a small 3D scene into an [`Image`], read back and
//! checked pixel by pixel.
//!
//! The scene is a red cube turned 45 degrees about Y, so the camera sees two faces: the right
//! face points at a directional light, the left face points away from it and only receives
//! ambient light. The test asserts what must be true of that picture: the corner shows the clear
//! colour, both faces are red (not green or blue), and the lit face is much brighter than the
//! unlit one. It runs on whatever Vulkan adapter wgpu finds (lavapipe in CI) and fails, never
//! skips, when there is none.

use std::sync::{Arc, Mutex};

use bevy::{
    app::PluginsState,
    camera::RenderTarget,
    core_pipeline::tonemapping::Tonemapping,
    prelude::*,
    render::{
        RenderPlugin,
        render_resource::TextureFormat,
        view::screenshot::{Screenshot, ScreenshotCaptured},
    },
    window::ExitCondition,
    winit::WinitPlugin,
};

const WIDTH: u32 = 160;
const HEIGHT: u32 = 120;
/// sRGB bytes of the clear colour; chosen away from red so a cube pixel cannot pass for it.
const CLEAR_SRGB: [u8; 3] = [20, 60, 110];
const CUBE_SRGB: [u8; 3] = [230, 25, 25];
/// The frame on which the screenshot is requested.
const SCREENSHOT_FRAME: u32 = 4;
/// Frames we are willing to wait for the screenshot; lavapipe compiles pipelines slowly, but
/// with synchronous pipeline compilation the first rendered frame is already complete.
const MAX_FRAMES: u32 = 120;

/// The captured frame, handed from the screenshot observer back to the test.
#[derive(Resource, Clone, Default)]
struct Captured(Arc<Mutex<Option<Image>>>);

#[test]
fn headless_render_of_a_lit_cube() {
    let captured = Captured::default();
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: None,
                exit_condition: ExitCondition::DontExit,
                ..default()
            })
            .set(RenderPlugin {
                // Block on pipeline compilation so the first rendered frame already shows the cube.
                synchronous_pipeline_compilation: true,
                ..default()
            })
            .disable::<WinitPlugin>(),
    )
    .insert_resource(ClearColor(Color::srgb_u8(
        CLEAR_SRGB[0],
        CLEAR_SRGB[1],
        CLEAR_SRGB[2],
    )))
    .insert_resource(captured.clone())
    .add_systems(Startup, spawn_scene)
    .add_systems(Update, request_screenshot_once);

    // Without a windowing runner we drive the app by hand, as `App::run` would.
    while app.plugins_state() == PluginsState::Adding {
        bevy::tasks::tick_global_task_pools_on_main_thread();
    }
    app.finish();
    app.cleanup();

    let mut frames = 0;
    let image = loop {
        app.update();
        frames += 1;
        if let Some(image) = captured.0.lock().expect("capture lock poisoned").take() {
            break image;
        }
        assert!(
            frames < MAX_FRAMES,
            "no screenshot after {MAX_FRAMES} frames: did the renderer start? (it needs a Vulkan \
             adapter; install mesa-vulkan-drivers for the software one)"
        );
    };
    // Kept for a person to look at when an assertion below fails.
    let saved = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("headless_render.png");
    image
        .clone()
        .try_into_dynamic()
        .expect("an sRGB RGBA8 image converts")
        .to_rgb8()
        .save(&saved)
        .expect("the test's temporary folder is writable");
    println!(
        "headless render: captured {WIDTH}x{HEIGHT} after {frames} frames, saved to {}",
        saved.display()
    );

    assert_eq!(image.width(), WIDTH);
    assert_eq!(image.height(), HEIGHT);
    let pixel = |x: u32, y: u32| -> [u8; 3] {
        let c = image
            .get_color_at(x, y)
            .expect("pixel inside the image")
            .to_srgba()
            .to_u8_array();
        [c[0], c[1], c[2]]
    };

    // Corners: nothing but the clear colour (allowing one step of rounding).
    for (x, y) in [
        (0, 0),
        (WIDTH - 1, 0),
        (0, HEIGHT - 1),
        (WIDTH - 1, HEIGHT - 1),
    ] {
        let c = pixel(x, y);
        for (got, want) in c.iter().zip(CLEAR_SRGB) {
            assert!(
                got.abs_diff(want) <= 1,
                "corner ({x}, {y}) is {c:?}, expected the clear colour {CLEAR_SRGB:?}"
            );
        }
    }

    // The two visible faces, sampled a quarter of the cube's width either side of its centre.
    let (cx, cy) = (WIDTH / 2, HEIGHT / 2);
    let lit = pixel(cx + 14, cy);
    let unlit = pixel(cx - 14, cy);
    println!("headless render: lit face {lit:?}, unlit face {unlit:?}");
    for (name, c) in [("lit", lit), ("unlit", unlit)] {
        assert!(
            c[0] > c[1] + 5 && c[0] > c[2] + 5,
            "{name} face pixel {c:?} is not red: the cube was not drawn"
        );
    }
    assert!(
        lit[0] > 150,
        "lit face pixel {lit:?} is too dark: the directional light did not reach it"
    );
    assert!(
        u16::from(lit[0]) > 2 * u16::from(unlit[0]),
        "lit face {lit:?} should be more than twice as bright as the face turned away {unlit:?}"
    );
}

fn spawn_scene(
    mut commands: Commands,
    mut images: ResMut<Assets<Image>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let mut target = Image::new_target_texture(WIDTH, HEIGHT, TextureFormat::Rgba8UnormSrgb, None);
    target.texture_descriptor.usage |= bevy::render::render_resource::TextureUsages::COPY_SRC;
    let target = images.add(target);

    commands.spawn((
        Camera3d::default(),
        RenderTarget::Image(target.into()),
        // Tonemapping would shift the clear colour and needs the LUT feature; the assertions
        // are about light and geometry, so keep the output linear-to-sRGB only.
        Tonemapping::None,
        Msaa::Off,
        AmbientLight {
            brightness: 150.0,
            ..default()
        },
        Transform::from_xyz(0.0, 0.0, 4.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Cuboid::new(1.0, 1.0, 1.0))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color: Color::srgb_u8(CUBE_SRGB[0], CUBE_SRGB[1], CUBE_SRGB[2]),
            perceptual_roughness: 1.0,
            ..default()
        })),
        Transform::from_rotation(Quat::from_rotation_y(std::f32::consts::FRAC_PI_4)),
    ));
    // Light travelling towards -X: it hits the face whose normal is (+0.7, 0, +0.7) and misses
    // the one whose normal is (-0.7, 0, +0.7).
    commands.spawn((
        DirectionalLight {
            illuminance: 8_000.0,
            shadow_maps_enabled: false,
            ..default()
        },
        Transform::from_xyz(1.0, 0.0, 0.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
}

/// Asks for one screenshot of the image target a few frames in, once meshes, materials and
/// their pipelines have gone through the render world's prepare steps; the observer stores it.
fn request_screenshot_once(
    mut commands: Commands,
    mut frame: Local<u32>,
    targets: Query<&RenderTarget, With<Camera3d>>,
) {
    *frame += 1;
    if *frame != SCREENSHOT_FRAME {
        return;
    }
    let Ok(RenderTarget::Image(target)) = targets.single() else {
        panic!("the scene has exactly one camera, rendering into an image");
    };
    commands
        .spawn(Screenshot::image(target.handle.clone()))
        .observe(|captured: On<ScreenshotCaptured>, store: Res<Captured>| {
            *store.0.lock().expect("capture lock poisoned") = Some(captured.image.clone());
        });
}
