//! [`KanseiUpscale`], the camera component that switches upscaling on.

use bevy::camera::Hdr;
use bevy::core_pipeline::prepass::{DepthPrepass, MotionVectorPrepass};
use bevy::ecs::component::Component;
use bevy::ecs::lifecycle::HookContext;
use bevy::ecs::reflect::ReflectComponent;
use bevy::ecs::system::EntityCommands;
use bevy::ecs::world::DeferredWorld;
use bevy::reflect::{Reflect, std_traits::ReflectDefault};
use bevy::render::camera::{MipBias, TemporalJitter};
use bevy::render::view::Msaa;

use super::UpscaleMode;

/// Renders a 3D camera's main pass below display resolution with a sub-pixel jitter and
/// upscales the result to the display in a compute pass that accumulates the jittered frames
/// over time, before bloom and tonemapping.
///
/// Needs [`KanseiUpscalePlugin`](super::KanseiUpscalePlugin) (part of `KanseiPlugins`).
/// Adding the component also adds, where missing, what the upscaler needs: [`Hdr`],
/// [`DepthPrepass`], [`MotionVectorPrepass`], [`TemporalJitter`], [`MipBias`] and
/// `Msaa::Off` (the upscaler is the anti-aliasing; multisampled prepass textures are not
/// supported).
///
/// # Usage
///
/// ```no_run
/// use bevy::prelude::*;
/// use kansei_upscale::{KanseiUpscale, KanseiUpscalePlugin, UpscaleMode};
///
/// fn spawn_camera(mut commands: Commands) {
///     commands.spawn((
///         Camera3d::default(),
///         // Render a quarter of the pixels; everything else the upscaler needs comes along.
///         KanseiUpscale {
///             mode: UpscaleMode::Performance,
///             ..default()
///         },
///     ));
/// }
///
/// App::new()
///     .add_plugins((DefaultPlugins, KanseiUpscalePlugin))
///     .add_systems(Startup, spawn_camera)
///     .run();
/// ```
///
/// Set [`KanseiUpscale::reset`] on a camera cut. Remove the component to render at display
/// resolution again.
///
/// # Tradeoffs
///
/// - The upscale is temporal (`kansei_upscale::temporal`): the projection is jittered along a
///   Halton(2, 3) sequence of `ceil(8 * ratio^2)` phases, and each display pixel blends this
///   frame's samples into a history reprojected with the motion vectors, rejected where the
///   depth says it was disoccluded and clamped to this frame's neighbourhood (on static pixels
///   only as far as the history's local brightness or colour disagrees with this frame's, so sub-pixel
///   wires and fine textures that only some jitter phases sample are kept). A small network
///   trained on the quality harness's frames can correct how much history each pixel keeps
///   (the learned blend, [`KanseiTemporalBlend`](super::KanseiTemporalBlend), off by default:
///   sharper, less stable, 0.6 ms more at 4K on a PS5-class GPU). A static scene recovers
///   detail the lower resolution alone loses (measured at `Performance` and the default
///   sharpness in `tests/upscale_temporal.rs`: 21.8 dB against a native render on the first
///   frame, 27.9 dB after 36 frames (29.4 dB at sharpness 0.5), where the spatial path stays at
///   22.3 dB). The price is a history of
///   12 bytes per display pixel (99.5 MB at 4K), some ghosting on fast or transparent motion,
///   a faint trail behind shadows sweeping slowly over static surfaces, and a few blurrier
///   frames after each reset (first frame, resize, mode change, `reset`).
/// - [`KanseiUpscale::sharpness`] applies on both paths. On the temporal path RCAS sharpens a
///   copy of the resolve (written to a display-sized intermediate texture in the view's format,
///   one more compute pass and `display` texels of that format); the history keeps the
///   unsharpened resolve, so sharpening never accumulates from frame to frame. Sharpness 0.0
///   resolves straight into the view target, with no extra pass or texture.
/// - The spatial path (EASU + RCAS, each frame on its own, no jitter) is the fallback for a
///   camera without `DepthPrepass`, `MotionVectorPrepass`, `TemporalJitter` or `Msaa::Off`, or
///   an adapter that cannot build the temporal resolve; each such camera gets one warning.
/// - Textures are sampled with a mip bias of `log2(render / display) - 1` (-2 at
///   `Performance`), as DLSS and FSR 2 recommend, so that the accumulated frames hold
///   display-resolution texture detail; a single frame aliases more than it would natively.
/// - Bevy 0.19 effects that read `view.viewport` instead of `view.main_pass_viewport` in their
///   shaders draw wrongly at render resolution: the skybox, SSAO, and probably clustered point
///   and spot lights.
/// - A camera whose `Viewport` does not start at the target's top-left corner is rendered at
///   display resolution, with a warning: the shaders cannot offset their reads and writes yet.
/// - The main texture needs `STORAGE_BINDING` in the view's format (`Rgba16Float` with
///   [`Hdr`]). An adapter that cannot do that gets one warning and native rendering.
/// - Building the shaders for a format blocks the render thread once (about a second on a
///   software adapter), the first frame a camera uses that format.
#[derive(Component, Reflect, Debug, Clone, PartialEq)]
#[reflect(Component, Default, Clone)]
#[component(on_insert = switch_msaa_off)]
#[require(
    Hdr,
    DepthPrepass,
    MotionVectorPrepass,
    TemporalJitter,
    MipBias,
    Msaa = Msaa::Off
)]
pub struct KanseiUpscale {
    /// How much lower than the display the main pass renders. The default value is
    /// [`UpscaleMode::Quality`] (ratio 1.5).
    pub mode: UpscaleMode,
    /// Strength of the contrast-adaptive sharpening (RCAS) after the upscale, temporal or
    /// spatial. Clamped between 0.0 and 1.0: 0.0 turns sharpening off (and skips its pass),
    /// 1.0 is RCAS at full strength, and the amount grows linearly in between (0.5 is one stop
    /// below full, in AMD's FSR 1 terms). The default value is 0.0, off, as DLSS and FSR 2
    /// ship: on every scene of `kansei upscale bench-scenes` the temporal path scored higher
    /// unsharpened (`Performance` 28.45 dB, flicker 0.51 levels, against 27.58 dB and 0.67 at
    /// 0.5), and the pass costs 0.55 ms at 4K on a PS5-class GPU. A static, converged picture
    /// may still gain from it (the checkerboard of `tests/upscale_temporal.rs`: 29.4 dB at 0.5
    /// against 27.9), as may the spatial fallback, whose single frame is softer.
    pub sharpness: f32,
    /// Set to true on a camera cut: the upscaler ignores its history for exactly one frame (that
    /// frame is what a fresh history gives) and restarts the jitter sequence.
    /// The plugin sets it back to false after extracting it. The default value is false (the
    /// first frame of a camera has no history anyway).
    pub reset: bool,
}

impl Default for KanseiUpscale {
    fn default() -> Self {
        Self {
            mode: UpscaleMode::default(),
            sharpness: Self::DEFAULT_SHARPNESS,
            reset: false,
        }
    }
}

/// Sets the camera's `Msaa` to `Off` whenever [`KanseiUpscale`] is inserted.
///
/// `#[require(Msaa = Msaa::Off)]` alone is not enough: `Camera3d` requires `Msaa` too (4x by
/// default), and when two components of one bundle require the same component the first one
/// listed wins, so `(Camera3d::default(), KanseiUpscale::default())` would keep 4x MSAA and
/// silently fall back to the spatial path. The upscaler is the anti-aliasing, so inserting it
/// (again, e.g. to change the mode) switches MSAA off whatever was there.
fn switch_msaa_off(mut world: DeferredWorld<'_>, HookContext { entity, .. }: HookContext) {
    if let Some(mut msaa) = world.get_mut::<Msaa>(entity) {
        *msaa = Msaa::Off;
    }
}

impl KanseiUpscale {
    /// The default of [`KanseiUpscale::sharpness`].
    pub const DEFAULT_SHARPNESS: f32 = 0.0;

    /// Switches upscaling off on `camera`: removes the component and what it brought for the
    /// upscaler alone (the depth and motion-vector prepasses, [`TemporalJitter`], [`MipBias`];
    /// the plugin stops resetting jitter and mip bias once the component is gone) and restores
    /// Bevy's default MSAA. [`Hdr`] stays: the rest of the camera's pipeline may rely on it.
    pub fn remove_from(camera: &mut EntityCommands) {
        camera
            .remove::<(
                Self,
                DepthPrepass,
                MotionVectorPrepass,
                TemporalJitter,
                MipBias,
            )>()
            .insert(Msaa::default());
    }

    /// [`KanseiUpscale::sharpness`] clamped to `[0, 1]`; NaN counts as 0 (off).
    pub fn clamped_sharpness(&self) -> f32 {
        if self.sharpness.is_nan() {
            0.0
        } else {
            self.sharpness.clamp(0.0, 1.0)
        }
    }

    /// The sharpness in the stops of `kansei_upscale::spatial::rcas_amount`, `-log2(sharpness)`:
    /// 0 stops at 1.0, one stop at 0.5, `f32::INFINITY` (off) at 0.0.
    pub fn rcas_stops(&self) -> f32 {
        let sharpness = self.clamped_sharpness();
        if sharpness > 0.0 {
            -sharpness.log2()
        } else {
            f32::INFINITY
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::{RCAS_MAX_AMOUNT, rcas_amount};

    #[test]
    fn removing_takes_what_the_component_brought_and_restores_msaa() {
        use bevy::camera::Camera3d;
        use bevy::ecs::world::World;

        let mut world = World::new();
        let camera = world
            .spawn((Camera3d::default(), KanseiUpscale::default()))
            .id();
        KanseiUpscale::remove_from(&mut world.commands().entity(camera));
        world.flush();
        let entity = world.entity(camera);
        assert!(!entity.contains::<KanseiUpscale>());
        assert!(!entity.contains::<DepthPrepass>() && !entity.contains::<MotionVectorPrepass>());
        assert!(!entity.contains::<TemporalJitter>() && !entity.contains::<MipBias>());
        assert!(entity.contains::<Hdr>());
        assert_eq!(entity.get::<Msaa>(), Some(&Msaa::default()));
    }

    #[test]
    fn adding_the_component_switches_msaa_off_after_camera3d_asked_for_4x() {
        use bevy::camera::Camera3d;
        use bevy::ecs::world::World;

        let mut world = World::new();
        let bundled = world
            .spawn((Camera3d::default(), KanseiUpscale::default()))
            .id();
        let reversed = world
            .spawn((KanseiUpscale::default(), Camera3d::default()))
            .id();
        let later = world.spawn((Camera3d::default(), Msaa::Sample4)).id();
        world.entity_mut(later).insert(KanseiUpscale::default());
        for entity in [bundled, reversed, later] {
            assert_eq!(world.get::<Msaa>(entity), Some(&Msaa::Off));
        }
        // Inserting it again (a mode change) switches MSAA off again.
        world.entity_mut(bundled).insert(Msaa::Sample4);
        world.entity_mut(bundled).insert(KanseiUpscale {
            mode: UpscaleMode::Performance,
            ..Default::default()
        });
        assert_eq!(world.get::<Msaa>(bundled), Some(&Msaa::Off));
    }

    #[test]
    fn defaults() {
        let upscale = KanseiUpscale::default();
        assert_eq!(upscale.mode, UpscaleMode::Quality);
        assert_eq!(upscale.sharpness, 0.0);
        assert!(!upscale.reset);
    }

    #[test]
    fn sharpness_maps_linearly_onto_the_rcas_amount() -> Result<(), crate::SpatialError> {
        for (sharpness, amount) in [
            (0.0, 0.0),
            (0.25, 0.5),
            (0.5, 1.0),
            (1.0, RCAS_MAX_AMOUNT),
            (-1.0, 0.0),
            (f32::NAN, 0.0),
            (7.0, RCAS_MAX_AMOUNT),
        ] {
            let upscale = KanseiUpscale {
                sharpness,
                ..Default::default()
            };
            let got = rcas_amount(upscale.rcas_stops())?;
            assert!(
                (got - amount).abs() < 1e-6,
                "{sharpness}: {got} vs {amount}"
            );
        }
        Ok(())
    }
}
