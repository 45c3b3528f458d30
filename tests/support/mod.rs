//! What the headless `KanseiUpscale` tests share: the app, the scene, the cameras that render it
//! into images, and the picture comparisons. Each test file includes it with `mod support;`
//! and uses what it needs.

// Every test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

use std::ops::Range;

use bevy::{
    app::PluginsState,
    asset::RenderAssetUsages,
    camera::{Hdr, RenderTarget},
    core_pipeline::tonemapping::Tonemapping,
    prelude::*,
    render::{
        diagnostic::RenderDiagnosticsPlugin,
        render_resource::{Extent3d, TextureDimension, TextureFormat, TextureUsages},
        sync_world::RenderEntity,
    },
    winit::WinitPlugin,
};
use bevy_kansei::{
    KanseiPlugins,
    upscale::{KanseiTemporalBlend, scene_bench::headless_plugins},
};

/// Display size of every test camera.
pub const WIDTH: u32 = 192;
/// Display size of every test camera.
pub const HEIGHT: u32 = 144;
/// The clear colour, in sRGB bytes; away from every colour in the scene.
pub const CLEAR_SRGB: [u8; 3] = [20, 60, 110];

/// Names a test camera; the name keys its captured frames.
#[derive(Component, Clone, Copy)]
pub struct Shot(pub &'static str);

/// A headless app with the renderer, `KanseiPlugins` and `RenderDiagnosticsPlugin`, no window,
/// synchronous pipeline compilation (the first rendered frame is complete) and the render app
/// on the main thread (`headless_plugins`, the quality harness's set-up) (the tests read render-world components between frames). Add resources
/// and startup systems, then call [`finish`].
pub fn headless_app() -> App {
    headless_app_with(KanseiTemporalBlend::default())
}

/// [`headless_app`] with the temporal resolve's blend chosen.
pub fn headless_app_with(blend: KanseiTemporalBlend) -> App {
    let mut app = App::new();
    // Read when the upscaler plugin is built, so before `KanseiPlugins`.
    app.insert_resource(blend);
    app.add_plugins((
        headless_plugins(DefaultPlugins.build()).disable::<WinitPlugin>(),
        KanseiPlugins,
        // So the pass's timing span is recorded and can be checked.
        RenderDiagnosticsPlugin,
    ))
    .insert_resource(ClearColor(Color::srgb_u8(
        CLEAR_SRGB[0],
        CLEAR_SRGB[1],
        CLEAR_SRGB[2],
    )));
    app
}

/// Finishes building `app` (the renderer starts here; without a Vulkan adapter Bevy panics
/// naming the problem, so the tests fail rather than skip).
pub fn finish(app: &mut App) {
    while app.plugins_state() == PluginsState::Adding {
        bevy::tasks::tick_global_task_pools_on_main_thread();
    }
    app.finish();
    app.cleanup();
}

/// Spawns a camera named `name` (`Camera { order }`) that renders the scene into its own
/// `WIDTH` x `HEIGHT` image. Every camera gets the same pipeline except what a test adds: HDR
/// main texture, no MSAA, no tonemapping (so comparisons are about geometry and texture, not a
/// curve), the same ambient light and transform.
pub fn spawn_camera<'a>(
    commands: &'a mut Commands,
    images: &mut Assets<Image>,
    name: &'static str,
    order: isize,
) -> EntityCommands<'a> {
    let mut target = Image::new_target_texture(WIDTH, HEIGHT, TextureFormat::Rgba8UnormSrgb, None);
    target.texture_descriptor.usage |= TextureUsages::COPY_SRC;
    let target = images.add(target);
    commands.spawn((
        Shot(name),
        Camera3d::default(),
        Camera { order, ..default() },
        RenderTarget::Image(target.into()),
        Hdr,
        Msaa::Off,
        Tonemapping::None,
        AmbientLight {
            brightness: 300.0,
            ..default()
        },
        Transform::from_xyz(0.0, 3.0, 5.0).looking_at(Vec3::ZERO, Vec3::Y),
    ))
}

/// The static scene: a checkerboard floor whose far checks are sub-pixel at half resolution,
/// and one cube per quadrant of the picture, each its own colour, so a quadrant that shows the
/// wrong part of the frame cannot match; one directional light without shadows.
pub fn spawn_scene_objects(
    commands: &mut Commands,
    images: &mut Assets<Image>,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
) {
    let floor = materials.add(StandardMaterial {
        base_color_texture: Some(images.add(checkerboard())),
        perceptual_roughness: 1.0,
        ..default()
    });
    commands.spawn((
        Mesh3d(meshes.add(Plane3d::default().mesh().size(8.0, 8.0))),
        MeshMaterial3d(floor),
    ));
    let cube = meshes.add(Cuboid::new(0.8, 0.8, 0.8));
    for (position, color) in [
        (Vec3::new(-1.5, 0.4, -1.0), Color::srgb(0.9, 0.1, 0.1)),
        (Vec3::new(1.5, 0.4, -1.0), Color::srgb(0.1, 0.8, 0.1)),
        (Vec3::new(-1.2, 0.4, 1.5), Color::srgb(0.1, 0.2, 0.9)),
        (Vec3::new(1.2, 0.4, 1.5), Color::srgb(0.9, 0.8, 0.1)),
    ] {
        commands.spawn((
            Mesh3d(cube.clone()),
            MeshMaterial3d(materials.add(StandardMaterial {
                base_color: color,
                perceptual_roughness: 1.0,
                ..default()
            })),
            Transform::from_translation(position)
                .with_rotation(Quat::from_rotation_y(std::f32::consts::FRAC_PI_6)),
        ));
    }
    commands.spawn((
        DirectionalLight {
            illuminance: 6_000.0,
            shadow_maps_enabled: false,
            ..default()
        },
        Transform::from_xyz(2.0, 4.0, 1.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
}

/// A 64x64 texture of 8x8-texel black and white checks.
fn checkerboard() -> Image {
    let side = 64_u32;
    let mut data = Vec::with_capacity((side * side * 4) as usize);
    for y in 0..side {
        for x in 0..side {
            let v = if (x / 8 + y / 8) % 2 == 0 { 235 } else { 20 };
            data.extend_from_slice(&[v, v, v, 255]);
        }
    }
    Image::new(
        Extent3d {
            width: side,
            height: side,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        data,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    )
}

/// The main-world camera named `name`.
pub fn camera(app: &mut App, name: &str) -> Entity {
    let world = app.world_mut();
    let mut cameras = world.query::<(Entity, &Shot)>();
    cameras
        .iter(world)
        .find(|(_, shot)| shot.0 == name)
        .map(|(entity, _)| entity)
        .unwrap_or_else(|| panic!("no camera named {name}"))
}

/// The render-world entity of a main-world camera.
pub fn render_entity(app: &App, camera: Entity) -> Entity {
    app.world()
        .get::<RenderEntity>(camera)
        .expect("cameras are synced to the render world")
        .id()
}

/// The image each camera in `names` renders into, by name.
pub fn camera_targets(app: &mut App, names: &[&'static str]) -> Vec<(&'static str, Handle<Image>)> {
    let world = app.world_mut();
    let mut cameras = world.query::<(&Shot, &RenderTarget)>();
    cameras
        .iter(world)
        .filter(|(shot, _)| names.contains(&shot.0))
        .map(|(shot, target)| match target {
            RenderTarget::Image(target) => (shot.0, target.handle.clone()),
            _ => panic!("every test camera renders into an image"),
        })
        .collect()
}

/// The sRGB bytes of a pixel, as floats.
pub fn rgb(image: &Image, x: u32, y: u32) -> [f64; 3] {
    let c = image
        .get_color_at(x, y)
        .expect("pixel inside the image")
        .to_srgba()
        .to_u8_array();
    [f64::from(c[0]), f64::from(c[1]), f64::from(c[2])]
}

/// PSNR (dB) over the RGB channels of a rectangle of two 8-bit sRGB frames; infinite if equal.
pub fn psnr_in(a: &Image, b: &Image, xs: Range<u32>, ys: Range<u32>) -> f64 {
    let mut sum = 0.0;
    let mut count = 0.0;
    for y in ys {
        for x in xs.clone() {
            for (p, q) in rgb(a, x, y).into_iter().zip(rgb(b, x, y)) {
                sum += (p - q) * (p - q);
                count += 1.0;
            }
        }
    }
    let mse = sum / count;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    }
}

/// PSNR (dB) over the RGB channels of two whole frames.
pub fn psnr(a: &Image, b: &Image) -> f64 {
    psnr_in(a, b, 0..WIDTH, 0..HEIGHT)
}

/// Writes `image` as `name` into the test's temporary folder, for looking at failures.
pub fn save(image: &Image, name: &str) {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    image
        .clone()
        .try_into_dynamic()
        .expect("an sRGB RGBA8 image converts")
        .to_rgb8()
        .save(&path)
        .expect("the test's temporary folder is writable");
    println!("upscale test: saved {}", path.display());
}
