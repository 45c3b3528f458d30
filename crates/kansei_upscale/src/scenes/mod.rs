//! The upscaler's test scenes: five deterministic Bevy scenes, each built around one thing
//! upscalers get wrong, shared by the quality harness ([`crate::scene_bench`], behind
//! `kansei upscale bench-scenes`) and `examples/upscale.rs`.
//!
//! | scene | what it stresses | camera |
//! |---|---|---|
//! | [`BenchScene::ThinGeometry`] | fence posts and wires under a pixel wide: flicker, breakup | static |
//! | [`BenchScene::Textures`] | fine checkerboard floor, zone plate, lines of glyphs: moiré, text | static |
//! | [`BenchScene::MovingObject`] | a sphere crossing a detailed wall: ghosting | static |
//! | [`BenchScene::CameraMotion`] | pan and rotation over floor, wall and fence: reprojection | moving |
//! | [`BenchScene::Disocclusion`] | a pillar sliding past a detailed wall: revealed pixels | static |
//!
//! Everything that moves is a function of [`SceneClock`] (seconds), so the harness, which
//! advances the clock by exactly 1/60 s per frame, renders the same pictures on every machine.
//! Textures have no mipmaps on purpose: minified, they alias as a detailed game texture would,
//! which is what the upscalers are measured on.
//!
//! # Usage
//!
//! ```no_run
//! use bevy::prelude::*;
//! use kansei_upscale::scenes::{ActiveScene, BenchScene, BenchScenesPlugin, SceneCamera};
//!
//! App::new()
//!     .add_plugins((DefaultPlugins, BenchScenesPlugin))
//!     .insert_resource(ActiveScene(BenchScene::MovingObject))
//!     // The scene moves this camera (and sets nothing else on it).
//!     .add_systems(Startup, |mut commands: Commands| {
//!         commands.spawn((Camera3d::default(), SceneCamera));
//!     })
//!     .run();
//! ```

mod content;
mod motion;
mod textures;

use bevy::prelude::*;

pub use content::{SceneAssets, spawn_scene};
pub use motion::{FOV, FRAME_SECONDS, camera_transform, mover_transform};
pub use textures::{checkerboard_image, glyph_image, zone_plate_image};

/// One of the test scenes (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BenchScene {
    /// Fence posts 2 cm wide and wires 1.2 cm thick, at distances where they are under one
    /// display pixel wide; static camera.
    #[default]
    ThinGeometry,
    /// A 2-texel checkerboard floor, a zone-plate wall and a panel of glyph lines; static
    /// camera.
    Textures,
    /// A sphere crossing a wall of glyphs at about 3.5 display pixels a frame (at 320x180);
    /// static camera.
    MovingObject,
    /// The checkerboard floor, zone plate and fence under a camera that pans sideways and
    /// turns.
    CameraMotion,
    /// A dark pillar close to the camera sliding past the zone plate and glyphs, uncovering
    /// pixels the history never saw; static camera.
    Disocclusion,
}

impl BenchScene {
    /// Every scene, in the order reports list them.
    pub const ALL: [Self; 5] = [
        Self::ThinGeometry,
        Self::Textures,
        Self::MovingObject,
        Self::CameraMotion,
        Self::Disocclusion,
    ];

    /// The scene's name in reports and on the command line (`snake_case`).
    pub fn name(self) -> &'static str {
        match self {
            Self::ThinGeometry => "thin_geometry",
            Self::Textures => "textures",
            Self::MovingObject => "moving_object",
            Self::CameraMotion => "camera_motion",
            Self::Disocclusion => "disocclusion",
        }
    }

    /// The scene named `name` (see [`name`](Self::name)), if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scene| scene.name() == name)
    }

    /// One line on what the scene is for.
    pub fn description(self) -> &'static str {
        match self {
            Self::ThinGeometry => {
                "fence posts and wires under one display pixel wide, static camera"
            }
            Self::Textures => {
                "2-texel checkerboard floor, zone plate and glyph lines, static camera"
            }
            Self::MovingObject => "a sphere crossing a wall of glyphs, static camera",
            Self::CameraMotion => "floor, zone plate and fence under a panning, turning camera",
            Self::Disocclusion => "a pillar sliding past a detailed wall, static camera",
        }
    }

    /// Whether the camera stands still, so every pixel that does not show a moving object
    /// is static in the ground truth.
    pub fn static_camera(self) -> bool {
        !matches!(self, Self::CameraMotion)
    }

    /// Whether the scene has a moving object ([`SceneMover`]).
    pub fn has_mover(self) -> bool {
        matches!(self, Self::MovingObject | Self::Disocclusion)
    }

    /// The region the side-by-side crops show, `[x, y, width, height]` as fractions of the
    /// display: where the scene's difficulty is.
    pub fn crop(self) -> [f32; 4] {
        match self {
            Self::ThinGeometry => [0.30, 0.25, 0.25, 0.45],
            Self::Textures => [0.55, 0.15, 0.25, 0.45],
            // Left of centre: the sphere has passed it by the last frame, so a trail shows.
            Self::MovingObject => [0.25, 0.25, 0.25, 0.45],
            Self::CameraMotion => [0.40, 0.35, 0.25, 0.45],
            Self::Disocclusion => [0.25, 0.20, 0.25, 0.45],
        }
    }
}

/// The scene [`BenchScenesPlugin`] shows; change it to switch scenes (the old scene's entities
/// are despawned, the new one's spawned, in the same frame).
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActiveScene(pub BenchScene);

/// Scene time in seconds; every moving thing is a function of it. Nothing advances it on its
/// own: the harness sets it per frame, the example adds the frame time.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Default)]
pub struct SceneClock {
    /// Seconds since the scene started.
    pub seconds: f32,
}

/// Marks every entity a scene spawned, so switching scenes despawns exactly them.
#[derive(Component, Debug, Clone, Copy)]
pub struct SceneEntity;

/// A camera that follows the active scene's camera path: its `Transform` is overwritten
/// every frame. Nothing else on it is touched.
#[derive(Component, Debug, Clone, Copy, Default)]
pub struct SceneCamera;

/// The scene's moving object (in [`BenchScene::MovingObject`] and
/// [`BenchScene::Disocclusion`]).
#[derive(Component, Debug, Clone, Copy)]
pub struct SceneMover;

/// Spawns the [`ActiveScene`] and moves its cameras and objects by [`SceneClock`], in
/// `Update`.
///
/// Defaults: [`ActiveScene`] is [`BenchScene::ThinGeometry`], the clock at 0 s; the plugin
/// inserts them only when the app has none.
pub struct BenchScenesPlugin;

impl Plugin for BenchScenesPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<ActiveScene>()
            .init_resource::<SceneClock>()
            .add_systems(Update, (switch_scene, animate).chain().in_set(SceneSystems));
    }

    fn finish(&self, app: &mut App) {
        // Built here, not in `build`: the image and mesh assets exist once every plugin is in.
        app.init_resource::<SceneAssets>();
    }
}

/// The systems of [`BenchScenesPlugin`]: order a clock update `.before` them.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct SceneSystems;

/// Despawns the old scene and spawns the active one whenever [`ActiveScene`] changes (and on
/// the first frame).
fn switch_scene(
    mut commands: Commands,
    active: Res<ActiveScene>,
    assets: Res<SceneAssets>,
    spawned: Query<Entity, With<SceneEntity>>,
) {
    if !active.is_changed() {
        return;
    }
    for entity in &spawned {
        commands.entity(entity).despawn();
    }
    spawn_scene(&mut commands, &assets, active.0);
}

/// Puts the cameras and the moving object where the scene has them at the clock's time.
fn animate(
    active: Res<ActiveScene>,
    clock: Res<SceneClock>,
    mut cameras: Query<&mut Transform, (With<SceneCamera>, Without<SceneMover>)>,
    mut movers: Query<&mut Transform, (With<SceneMover>, Without<SceneCamera>)>,
) {
    let camera = camera_transform(active.0, clock.seconds);
    for mut transform in &mut cameras {
        // Compared first so a static camera is not marked changed every frame.
        if *transform != camera {
            *transform = camera;
        }
    }
    if let Some(mover) = mover_transform(active.0, clock.seconds) {
        for mut transform in &mut movers {
            if *transform != mover {
                *transform = mover;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for scene in BenchScene::ALL {
            assert_eq!(BenchScene::from_name(scene.name()), Some(scene));
        }
        assert_eq!(BenchScene::from_name("nope"), None);
    }

    #[test]
    fn crops_lie_inside_the_display() {
        for scene in BenchScene::ALL {
            let [x, y, w, h] = scene.crop();
            assert!(x >= 0.0 && y >= 0.0 && w > 0.0 && h > 0.0, "{scene:?}");
            assert!(x + w <= 1.0 && y + h <= 1.0, "{scene:?}");
        }
    }
}
