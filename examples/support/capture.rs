//! Non-interactive runs of Kansei's examples: render a fixed number of frames, save a screenshot
//! of the window to a known path, exit.
//!
//! Set `KANSEI_CAPTURE=path/to/shot.png` (and optionally `KANSEI_CAPTURE_FRAME=N`; by default 60,
//! or the frame the example asks for) to
//! switch it on; without the variable the example runs interactively as usual.
//!
//! In capture mode:
//! - pipelines compile synchronously, so no frame is drawn with half its pipelines missing (on
//!   lavapipe asynchronous compilation leaves the first seconds of frames black);
//! - time advances by exactly 1/60 s a frame, so frame N always shows the same pose;
//! - the screenshot is checked before it is saved: a frame of a single colour means nothing was
//!   drawn, and the example exits with an error instead of writing it;
//! - the app exits with an error if no screenshot arrives within a generous number of frames.
//!
//! Bevy's `bevy_ci_testing` does the same with a RON file, but pulls in `bevy_dev_tools`, UI and
//! text shaping, and saves to a fixed file name; this is a few dozen lines instead.

use std::{path::PathBuf, time::Duration};

use bevy::{
    app::PluginGroupBuilder,
    prelude::*,
    render::{
        RenderPlugin,
        view::screenshot::{Screenshot, ScreenshotCaptured},
    },
    time::TimeUpdateStrategy,
};

/// Frames allowed after the screenshot request before the run is declared failed.
const SCREENSHOT_TIMEOUT_FRAMES: u32 = 600;

/// Where and when to take the screenshot, read from the environment.
#[derive(Resource, Clone, Debug)]
pub struct CaptureSettings {
    /// PNG file to write.
    pub path: PathBuf,
    /// Frame (counted from 1) on which the screenshot is requested.
    pub frame: u32,
}

impl CaptureSettings {
    /// Reads `KANSEI_CAPTURE` and `KANSEI_CAPTURE_FRAME`; when the frame is not set, the
    /// example's `default_frame`, or 60. `None` when capture is off.
    pub fn from_env(default_frame: Option<u32>) -> Option<Self> {
        let path = PathBuf::from(std::env::var_os("KANSEI_CAPTURE")?);
        let frame = match std::env::var("KANSEI_CAPTURE_FRAME") {
            Ok(text) => match text.parse::<u32>() {
                Ok(frame) if frame > 0 => frame,
                _ => {
                    eprintln!("KANSEI_CAPTURE_FRAME must be a positive integer, got {text:?}");
                    std::process::exit(2);
                }
            },
            Err(_) => default_frame.unwrap_or(60),
        };
        Some(Self { path, frame })
    }
}

/// `DefaultPlugins` with the window the examples use, and synchronous pipeline compilation when
/// capturing.
pub fn default_plugins(title: &str, capture: Option<&CaptureSettings>) -> PluginGroupBuilder {
    DefaultPlugins
        .set(WindowPlugin {
            primary_window: Some(Window {
                title: title.to_owned(),
                resolution: (1280, 720).into(),
                ..default()
            }),
            ..default()
        })
        .set(RenderPlugin {
            synchronous_pipeline_compilation: capture.is_some(),
            ..default()
        })
}

/// Takes the screenshot described by [`CaptureSettings`] and exits.
pub struct CapturePlugin(pub CaptureSettings);

impl Plugin for CapturePlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(self.0.clone())
            .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(
                1.0 / 60.0,
            )))
            .add_systems(Last, request_screenshot);
    }
}

fn request_screenshot(
    mut commands: Commands,
    settings: Res<CaptureSettings>,
    mut frame: Local<u32>,
    mut exit: MessageWriter<AppExit>,
) {
    *frame += 1;
    if *frame == settings.frame {
        info!("capture: requesting the screenshot at frame {}", *frame);
        let path = settings.path.clone();
        commands.spawn(Screenshot::primary_window()).observe(
            move |captured: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
                exit.write(match save_checked(&captured.image, &path) {
                    Ok(()) => {
                        info!("capture: wrote {}", path.display());
                        AppExit::Success
                    }
                    Err(message) => {
                        error!("capture: {message}");
                        AppExit::error()
                    }
                });
            },
        );
    } else if *frame == settings.frame + SCREENSHOT_TIMEOUT_FRAMES {
        error!("capture: no screenshot {SCREENSHOT_TIMEOUT_FRAMES} frames after the request");
        exit.write(AppExit::error());
    }
}

/// Saves the frame as PNG unless it is a single flat colour (nothing drawn).
fn save_checked(image: &Image, path: &std::path::Path) -> Result<(), String> {
    let rgb = image
        .clone()
        .try_into_dynamic()
        .map_err(|e| format!("cannot convert the screenshot: {e}"))?
        .to_rgb8();
    let first = rgb.pixels().next().copied();
    if rgb.pixels().all(|p| Some(*p) == first) {
        return Err(format!(
            "the {}x{} screenshot is one flat colour {:?}: nothing was drawn",
            rgb.width(),
            rgb.height(),
            first.map(|p| p.0)
        ));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    rgb.save(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
