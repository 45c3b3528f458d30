//! Rendering a scene with every harness camera and reading the frames back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bevy::{
    anti_alias::taa::TemporalAntiAliasing,
    app::PluginsState,
    camera::{Hdr, RenderTarget},
    core_pipeline::tonemapping::Tonemapping,
    prelude::*,
    render::{
        Render, RenderApp, RenderSystems,
        render_resource::{TextureFormat, TextureUsages},
        view::screenshot::{Screenshot, ScreenshotCaptured},
    },
};

use super::{
    BenchConfig, BenchError, methods::KANSEI_MODES, methods::LOW_RES_RATIO, methods::Shot,
};
use crate::{
    ImageF32,
    eval::{linear_to_srgb, srgb_to_linear},
    plugin::{KanseiUpscale, KanseiUpscalePlugin, UpscaleView, render_resolution},
    scenes::{ActiveScene, BenchScenesPlugin, FOV, FRAME_SECONDS, SceneCamera, SceneClock},
};

/// Frames of one scene, by camera and frame index (0 = the first frame after the cut).
pub(crate) type Frames = HashMap<(Shot, u32), ImageF32>;

/// Frames read back so far; screenshot observers fill it.
#[derive(Resource, Clone, Default)]
struct Captured(Arc<Mutex<Frames>>);

/// The image a harness camera renders into, and the supersampling factor of its frames.
#[derive(Component, Clone)]
struct ShotTarget {
    shot: Shot,
    image: Handle<Image>,
}

/// Updates we are willing to wait for outstanding screenshots.
const MAX_WAIT_UPDATES: u32 = 120;

/// The render resolutions of the Kansei cameras that rendered a frame with the spatial
/// fallback instead of the temporal resolve (a shader that does not build, a missing prepass);
/// shared by the main and the render world, filled by [`record_spatial_fallbacks`]. The
/// harness refuses to score such a run: the rows would say "Kansei" and measure EASU.
#[derive(Resource, Clone, Default)]
struct SpatialFallbacks(Arc<Mutex<Vec<[u32; 2]>>>);

fn record_spatial_fallbacks(views: Query<&UpscaleView>, fallbacks: Res<SpatialFallbacks>) {
    let Ok(mut sizes) = fallbacks.0.lock() else {
        return;
    };
    for view in views.iter().filter(|view| !view.temporal) {
        let render = view.render.to_array();
        if !sizes.contains(&render) {
            sizes.push(render);
        }
    }
}

/// The harness's refusal when Kansei cameras fell back to the spatial path.
fn fallback_error(sizes: &[[u32; 2]]) -> Option<BenchError> {
    if sizes.is_empty() {
        return None;
    }
    let sizes: Vec<String> = sizes.iter().map(|[w, h]| format!("{w}x{h}")).collect();
    Some(BenchError::Render(format!(
        "the Kansei camera(s) rendering at {} used the spatial fallback (EASU + RCAS) instead of \
         the temporal resolve (see the warning above), so their scores would not measure it",
        sizes.join(", ")
    )))
}

/// Adds the plugins, resources and cameras of the harness to `app` and finishes it.
pub(crate) fn prepare_app(app: &mut App, config: &BenchConfig) {
    if !app.is_plugin_added::<KanseiUpscalePlugin>() {
        app.add_plugins(KanseiUpscalePlugin);
    }
    let fallbacks = SpatialFallbacks::default();
    app.add_plugins(BenchScenesPlugin)
        .insert_resource(Captured::default())
        .insert_resource(fallbacks.clone())
        .insert_resource(ClearColor(Color::srgb(0.46, 0.62, 0.80)));
    if let Some(render_app) = app.get_sub_app_mut(RenderApp) {
        render_app.insert_resource(fallbacks).add_systems(
            Render,
            record_spatial_fallbacks.in_set(RenderSystems::Queue),
        );
    }
    let display = UVec2::from(config.display);
    let supersample = config.supersample;
    let sharpness = config.sharpness;
    app.add_systems(
        Startup,
        move |mut commands: Commands, mut images: ResMut<Assets<Image>>| {
            for (order, shot) in Shot::all().into_iter().enumerate() {
                spawn_shot(
                    &mut commands,
                    &mut images,
                    shot,
                    order,
                    display,
                    supersample,
                    sharpness,
                );
            }
        },
    );
    while app.plugins_state() == PluginsState::Adding {
        bevy::tasks::tick_global_task_pools_on_main_thread();
    }
    app.finish();
    app.cleanup();
}

fn spawn_shot(
    commands: &mut Commands,
    images: &mut Assets<Image>,
    shot: Shot,
    order: usize,
    display: UVec2,
    supersample: u32,
    sharpness: f32,
) {
    let size = match shot {
        Shot::GroundTruth => display * supersample,
        Shot::LowRes => render_resolution(display, LOW_RES_RATIO),
        Shot::Kansei(_) | Shot::Taa => display,
    };
    let mut target = Image::new_target_texture(size.x, size.y, TextureFormat::Rgba8UnormSrgb, None);
    target.texture_descriptor.usage |= TextureUsages::COPY_SRC;
    let image = images.add(target);
    // Every camera gets the same pipeline except its method: HDR main texture, no MSAA, no
    // tonemapping curve (comparisons are about geometry and texture), the same transform.
    let mut camera = commands.spawn((
        Camera3d::default(),
        Camera {
            order: order as isize,
            ..default()
        },
        RenderTarget::Image(image.clone().into()),
        Projection::from(PerspectiveProjection {
            fov: FOV,
            ..default()
        }),
        Hdr,
        Msaa::Off,
        Tonemapping::None,
        SceneCamera,
        ShotTarget { shot, image },
    ));
    match shot {
        Shot::Kansei(i) => {
            camera.insert(KanseiUpscale {
                mode: KANSEI_MODES[i],
                sharpness,
                ..default()
            });
        }
        Shot::Taa => {
            camera.insert(TemporalAntiAliasing::default());
        }
        Shot::GroundTruth | Shot::LowRes => {}
    }
}

/// Renders `frames` frames of the active scene after `warm_up` frames at its start, with
/// every history reset on the first measured frame, and returns them.
pub(crate) fn render_scene(
    app: &mut App,
    scene: crate::scenes::BenchScene,
    config: &BenchConfig,
) -> Result<Frames, BenchError> {
    app.world_mut().insert_resource(ActiveScene(scene));
    set_clock(app, 0.0);
    for _ in 0..config.warm_up_frames {
        app.update();
    }
    let shots = shot_targets(app);
    for frame in 0..config.frames {
        set_clock(app, frame as f32 * FRAME_SECONDS);
        if frame == 0 {
            reset_histories(app);
        }
        request_screenshots(app, &shots, frame, config.supersample);
        app.update();
    }
    let fallbacks = app.world().resource::<SpatialFallbacks>().clone();
    if let Some(error) = fallbacks
        .0
        .lock()
        .ok()
        .and_then(|sizes| fallback_error(&sizes))
    {
        return Err(error);
    }
    let expected = shots.len() * config.frames as usize;
    let captured = app.world().resource::<Captured>().clone();
    for _ in 0..MAX_WAIT_UPDATES {
        let done = lock(&captured)?.len() >= expected;
        if done {
            let frames = std::mem::take(&mut *lock(&captured)?);
            return Ok(frames);
        }
        app.update();
    }
    let got = lock(&captured)?.len();
    Err(BenchError::Render(format!(
        "only {got} of {expected} frames came back after {MAX_WAIT_UPDATES} extra updates; \
         did the renderer start? (it needs a GPU or Mesa's software Vulkan driver, \
         mesa-vulkan-drivers)"
    )))
}

fn lock(captured: &Captured) -> Result<std::sync::MutexGuard<'_, Frames>, BenchError> {
    captured
        .0
        .lock()
        .map_err(|_| BenchError::Render("a screenshot observer panicked".into()))
}

fn set_clock(app: &mut App, seconds: f32) {
    app.world_mut().resource_mut::<SceneClock>().seconds = seconds;
}

/// Drops Kansei's and TAA's histories: the measured frames start from a camera cut.
fn reset_histories(app: &mut App) {
    let world = app.world_mut();
    let mut kansei = world.query::<&mut KanseiUpscale>();
    for mut upscale in kansei.iter_mut(world) {
        upscale.reset = true;
    }
    let mut taa = world.query::<&mut TemporalAntiAliasing>();
    for mut taa in taa.iter_mut(world) {
        taa.reset = true;
    }
}

fn shot_targets(app: &mut App) -> Vec<ShotTarget> {
    let world = app.world_mut();
    let mut query = world.query::<&ShotTarget>();
    query.iter(world).cloned().collect()
}

fn request_screenshots(app: &mut App, shots: &[ShotTarget], frame: u32, supersample: u32) {
    let world = app.world_mut();
    for target in shots {
        let shot = target.shot;
        world
            .spawn(Screenshot::image(target.image.clone()))
            .observe(
                move |captured: On<ScreenshotCaptured>, store: Res<Captured>| {
                    let factor = if shot == Shot::GroundTruth {
                        supersample
                    } else {
                        1
                    };
                    // A frame that cannot be read is left out; the wait loop then reports it.
                    match frame_from_screenshot(&captured.image, factor) {
                        Ok(image) => {
                            if let Ok(mut frames) = store.0.lock() {
                                frames.insert((shot, frame), image);
                            }
                        }
                        Err(message) => error!("scene bench: {shot:?} frame {frame}: {message}"),
                    }
                },
            );
    }
}

/// A read-back 8-bit sRGB frame as an [`ImageF32`] of sRGB values in `[0, 1]`, box-filtered
/// by `factor` per axis in linear light (the supersampled ground truth: `factor^2` samples
/// per pixel).
fn frame_from_screenshot(image: &Image, factor: u32) -> Result<ImageF32, String> {
    let (width, height) = (image.width(), image.height());
    let bgra = match image.texture_descriptor.format {
        TextureFormat::Rgba8UnormSrgb => false,
        TextureFormat::Bgra8UnormSrgb => true,
        other => return Err(format!("unexpected screenshot format {other:?}")),
    };
    let data = image
        .data
        .as_ref()
        .ok_or("the screenshot has no CPU data")?;
    if data.len() != (width * height * 4) as usize {
        return Err(format!(
            "a {width}x{height} screenshot has {} bytes, expected {}",
            data.len(),
            width * height * 4
        ));
    }
    let factor = factor.max(1);
    if !width.is_multiple_of(factor) || !height.is_multiple_of(factor) {
        return Err(format!("{width}x{height} does not divide by {factor}"));
    }
    let (out_w, out_h) = (width / factor, height / factor);
    let samples = f64::from(factor * factor);
    ImageF32::from_fn(out_w, out_h, |x, y| {
        let mut sum = [0.0_f64; 3];
        for sy in 0..factor {
            for sx in 0..factor {
                let i = (((y * factor + sy) * width + x * factor + sx) * 4) as usize;
                let texel = [data[i], data[i + 1], data[i + 2]];
                let rgb = if bgra {
                    [texel[2], texel[1], texel[0]]
                } else {
                    texel
                };
                for (s, v) in sum.iter_mut().zip(rgb) {
                    *s += srgb_to_linear(f64::from(v) / 255.0);
                }
            }
        }
        let [r, g, b] = sum.map(|s| linear_to_srgb(s / samples) as f32);
        [r, g, b, 1.0]
    })
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::{
        asset::RenderAssetUsages,
        render::render_resource::{Extent3d, TextureDimension},
    };

    fn image(width: u32, height: u32, texels: Vec<u8>) -> Image {
        Image::new(
            Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            TextureDimension::D2,
            texels,
            TextureFormat::Rgba8UnormSrgb,
            RenderAssetUsages::MAIN_WORLD,
        )
    }

    #[test]
    fn supersampled_frames_average_in_linear_light() {
        // A 2x2 block of black and white averages to linear 0.5, sRGB 0.735, not 0.5.
        let texels = [0_u8, 255, 255, 0]
            .iter()
            .flat_map(|&v| [v, v, v, 255])
            .collect();
        let frame = frame_from_screenshot(&image(2, 2, texels), 2).expect("converts");
        assert_eq!((frame.width(), frame.height()), (1, 1));
        let pixel = frame.pixels()[0];
        assert!((pixel[0] - 0.735_4).abs() < 1e-3, "{pixel:?}");
    }

    #[test]
    fn plain_frames_keep_their_values() {
        let texels = vec![10, 20, 30, 255, 200, 100, 50, 255];
        let frame = frame_from_screenshot(&image(2, 1, texels), 1).expect("converts");
        let p = frame.pixels()[1];
        assert!((p[0] - 200.0 / 255.0).abs() < 1e-5 && (p[2] - 50.0 / 255.0).abs() < 1e-5);
    }

    #[test]
    fn a_spatial_fallback_stops_the_run_and_names_the_cameras() {
        assert!(fallback_error(&[]).is_none());
        let error = fallback_error(&[[213, 120], [160, 90]]).map(|e| e.to_string());
        let message = error.unwrap_or_default();
        assert!(message.contains("213x120, 160x90"), "{message}");
        assert!(message.contains("spatial fallback"), "{message}");
    }

    #[test]
    fn indivisible_sizes_are_errors() {
        let texels = vec![0; 3 * 3 * 4];
        assert!(frame_from_screenshot(&image(3, 3, texels), 2).is_err());
    }
}
