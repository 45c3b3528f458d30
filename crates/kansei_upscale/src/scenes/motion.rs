//! Where each scene's camera and moving object are at a given time: pure functions of the
//! scene clock, so any frame can be rendered again exactly.

use std::f32::consts::{FRAC_PI_4, TAU};

use bevy::prelude::*;

use super::BenchScene;

/// Vertical field of view of every scene camera (Bevy's default).
pub const FOV: f32 = FRAC_PI_4;

/// Scene time per harness frame: 60 frames a second.
pub const FRAME_SECONDS: f32 = 1.0 / 60.0;

/// The camera of `scene` at scene time `seconds`.
pub fn camera_transform(scene: BenchScene, seconds: f32) -> Transform {
    let (eye, target) = match scene {
        BenchScene::ThinGeometry => (Vec3::new(0.0, 1.3, 5.0), Vec3::new(0.0, 1.0, 0.0)),
        BenchScene::Textures => (Vec3::new(0.0, 1.6, 6.0), Vec3::new(0.0, 1.1, -2.0)),
        BenchScene::MovingObject => (Vec3::new(0.0, 1.2, 4.5), Vec3::new(0.0, 1.1, 0.0)),
        BenchScene::Disocclusion => (Vec3::new(0.0, 1.2, 5.0), Vec3::new(0.0, 1.1, 0.0)),
        BenchScene::CameraMotion => {
            // Sideways at up to 1.2 m/s while the aim swings across the wall on its own
            // period, so the view both pans and turns (about half a display pixel a frame
            // at 320x180, several times that near the fence).
            let x = 1.5 * (TAU * seconds / 8.0).sin();
            let aim = 0.8 * (TAU * seconds / 6.0).sin();
            (Vec3::new(x, 1.6, 7.0), Vec3::new(aim, 1.2, -1.0))
        }
    };
    Transform::from_translation(eye).looking_at(target, Vec3::Y)
}

/// The moving object of `scene` at scene time `seconds`, if the scene has one. Both movers
/// cross the view at constant speed (about 3 display pixels a frame at 320x180) and start over
/// every 1.6 s, after the harness's 64 frames (1.07 s).
pub fn mover_transform(scene: BenchScene, seconds: f32) -> Option<Transform> {
    const PERIOD: f32 = 1.6;
    let progress = (seconds / PERIOD).rem_euclid(1.0);
    match scene {
        BenchScene::MovingObject => Some(
            Transform::from_xyz(-2.6 + 5.2 * progress, 1.1, 0.5)
                .with_rotation(Quat::from_rotation_y(seconds)),
        ),
        BenchScene::Disocclusion => Some(Transform::from_xyz(-1.6 + 3.2 * progress, 1.5, 2.5)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_camera_motion_moves_the_camera() {
        for scene in BenchScene::ALL {
            let moved = camera_transform(scene, 0.0) != camera_transform(scene, 0.5);
            assert_eq!(moved, !scene.static_camera(), "{scene:?}");
        }
    }

    #[test]
    fn movers_move_steadily_through_the_first_64_frames() {
        for scene in BenchScene::ALL {
            let at = |frame: u32| mover_transform(scene, frame as f32 * FRAME_SECONDS);
            assert_eq!(at(0).is_some(), scene.has_mover(), "{scene:?}");
            let (Some(first), Some(next), Some(last)) = (at(0), at(1), at(63)) else {
                continue;
            };
            let step = next.translation.x - first.translation.x;
            assert!(step > 0.0, "{scene:?}");
            let total = last.translation.x - first.translation.x;
            assert!(
                (total - 63.0 * step).abs() < 1e-3,
                "{scene:?}: no wrap in 64 frames"
            );
        }
    }
}
