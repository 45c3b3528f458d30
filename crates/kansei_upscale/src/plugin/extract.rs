//! Copies [`KanseiUpscale`] into the render world each frame, and cleans up after it.

use bevy::camera::{Camera, MainPassResolutionOverride};
use bevy::core_pipeline::prepass::{DepthPrepass, MotionVectorPrepass};
use bevy::ecs::component::Component;
use bevy::ecs::entity::{Entity, EntityHashMap};
use bevy::ecs::query::{Has, With};
use bevy::ecs::system::{Commands, Local, Query, ResMut};
use bevy::log::warn;
use bevy::render::MainWorld;
use bevy::render::sync_world::RenderEntity;

use super::{
    KanseiUpscale, UpscaleHistory, UpscaleIntermediate, UpscaleMode, UpscaleTemporalHistory,
    UpscaleView,
};

/// The render-world copy of a camera's [`KanseiUpscale`], with what the main-world camera has
/// of the temporal path's inputs.
///
/// A type of its own rather than [`KanseiUpscale`] itself: inserting that into the render world
/// would bring its required components along, and so put back the `DepthPrepass` or
/// `MotionVectorPrepass` that Bevy's camera extraction had just removed because the game took
/// it off the camera; the prepass would run anyway and the fallback could not see it missing.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct ExtractedUpscale {
    /// The component as the game set it this frame (`reset` included).
    pub upscale: KanseiUpscale,
    /// Whether the main-world camera has `DepthPrepass`.
    pub depth_prepass: bool,
    /// Whether the main-world camera has `MotionVectorPrepass`.
    pub motion_vector_prepass: bool,
}

/// Hand-written rather than `ExtractComponentPlugin`, as Bevy's DLSS and TAA do, for two
/// things the generic extract cannot do:
///
/// - The component goes to the render world as [`ExtractedUpscale`], without its required
///   components.
/// - `reset` holds for exactly one frame: it is copied, then set back to false in the main
///   world.
/// - When the component is removed or the camera is inactive, the render-world components
///   are removed too, `MainPassResolutionOverride` above all: it lives on the retained camera
///   entity and would otherwise keep the main pass at render resolution with nothing
///   upscaling it.
pub fn extract_kansei_upscale(
    mut commands: Commands,
    mut main_world: ResMut<MainWorld>,
    render_cameras: Query<(), With<ExtractedUpscale>>,
    mut warned_ratios: Local<EntityHashMap<u32>>,
) {
    let mut cameras = main_world.query::<(
        Entity,
        RenderEntity,
        &Camera,
        Option<&mut KanseiUpscale>,
        (Has<DepthPrepass>, Has<MotionVectorPrepass>),
    )>();
    for (main_entity, render_entity, camera, upscale, (depth_prepass, motion_vector_prepass)) in
        cameras.iter_mut(&mut main_world)
    {
        let Ok(mut entity) = commands.get_entity(render_entity) else {
            continue;
        };
        match upscale {
            Some(mut upscale) if camera.is_active => {
                warn_about_invalid_ratio(main_entity, upscale.mode, &mut warned_ratios);
                entity.insert(ExtractedUpscale {
                    upscale: upscale.clone(),
                    depth_prepass,
                    motion_vector_prepass,
                });
                // Only write when set, so change detection does not fire every frame.
                if upscale.reset {
                    upscale.reset = false;
                }
            }
            _ => {
                if render_cameras.contains(render_entity) {
                    entity.remove::<(
                        ExtractedUpscale,
                        UpscaleView,
                        UpscaleHistory,
                        UpscaleIntermediate,
                        UpscaleTemporalHistory,
                        MainPassResolutionOverride,
                    )>();
                }
            }
        }
    }
}

/// One warning per camera and invalid value: not every frame, but again if the game sets a
/// different invalid value. Returns whether it warned.
fn warn_about_invalid_ratio(
    camera: Entity,
    mode: UpscaleMode,
    warned: &mut EntityHashMap<u32>,
) -> bool {
    let UpscaleMode::Custom(ratio) = mode else {
        return false;
    };
    let Err(clamped) = mode.checked_ratio() else {
        return false;
    };
    let first = warned.insert(camera, ratio.to_bits()) != Some(ratio.to_bits());
    if first {
        warn!(
            "KanseiUpscale on camera {camera}: UpscaleMode::Custom({ratio}) is outside \
             [{min}, {max}]; using {clamped}",
            min = UpscaleMode::MIN_RATIO,
            max = UpscaleMode::MAX_RATIO,
        );
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_ratio_warns_once_per_camera_and_value() {
        let mut warned = EntityHashMap::default();
        let a = Entity::from_raw_u32(1).expect("1 is a valid entity index");
        let b = Entity::from_raw_u32(2).expect("2 is a valid entity index");
        let too_big = UpscaleMode::Custom(8.0);
        assert!(warn_about_invalid_ratio(a, too_big, &mut warned));
        assert!(!warn_about_invalid_ratio(a, too_big, &mut warned));
        assert!(warn_about_invalid_ratio(b, too_big, &mut warned));
        assert!(warn_about_invalid_ratio(
            a,
            UpscaleMode::Custom(0.1),
            &mut warned
        ));
        assert!(!warn_about_invalid_ratio(
            a,
            UpscaleMode::Custom(2.0),
            &mut warned
        ));
        assert!(!warn_about_invalid_ratio(
            a,
            UpscaleMode::Performance,
            &mut warned
        ));
    }
}
