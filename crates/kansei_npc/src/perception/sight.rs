//! Sight: a cone with a range, and line of sight against occluders.

use glam::Vec2;
use serde::{Deserialize, Serialize};

/// Answers whether the straight segment between two ground points is unobstructed.
///
/// The navigation grid implements it (walls block sight where they block movement); tests and
/// open fields use [`NoOccluders`].
pub trait LineOfSight {
    /// `true` when nothing blocks the segment from `from` to `to`.
    fn clear(&self, from: Vec2, to: Vec2) -> bool;
}

/// No occluders at all: every segment is clear.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoOccluders;

impl LineOfSight for NoOccluders {
    fn clear(&self, _from: Vec2, _to: Vec2) -> bool {
        true
    }
}

/// A view cone on the ground plane.
///
/// A target is seen when it is within `range` of the eye, within `half_angle` of the facing
/// direction (or within `near_radius`, which is seen all around, so a guard notices someone
/// brushing past its shoulder), and the segment to it is clear.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SightCone {
    /// How far the NPC sees, in metres. The default is 15.0.
    pub range: f32,
    /// Half the cone's opening angle, in radians, clamped to [0, pi]. The default is 1.0
    /// (a 115 degree cone).
    pub half_angle: f32,
    /// Distance within which targets are seen in every direction, in metres. The default is 1.5.
    pub near_radius: f32,
}

impl Default for SightCone {
    fn default() -> Self {
        Self {
            range: 15.0,
            half_angle: 1.0,
            near_radius: 1.5,
        }
    }
}

impl SightCone {
    /// How strongly `target` is seen from `eye` looking along `facing`: `None` when it is not
    /// seen, otherwise a strength in (0, 1] that falls linearly from 1 at the eye to 0.25 at the
    /// edge of the range (far glimpses are weaker memories).
    ///
    /// A zero or non-finite `facing` sees only within `near_radius`; non-finite positions are
    /// never seen.
    pub fn sees(
        &self,
        eye: Vec2,
        facing: Vec2,
        target: Vec2,
        occluders: &impl LineOfSight,
    ) -> Option<f32> {
        if !eye.is_finite() || !target.is_finite() {
            return None;
        }
        let to_target = target - eye;
        let distance_sq = to_target.length_squared();
        if distance_sq > self.range * self.range {
            return None;
        }
        let distance = distance_sq.sqrt();
        if distance > self.near_radius {
            let facing = facing.try_normalize()?;
            // Compare cosines instead of calling acos per target.
            let cos_limit = self.half_angle.clamp(0.0, std::f32::consts::PI).cos();
            if facing.dot(to_target) < cos_limit * distance {
                return None;
            }
        }
        if !occluders.clear(eye, target) {
            return None;
        }
        let range = self.range.max(f32::EPSILON);
        Some(1.0 - 0.75 * (distance / range).min(1.0))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    struct WallAtX(f32);
    impl LineOfSight for WallAtX {
        fn clear(&self, from: Vec2, to: Vec2) -> bool {
            (from.x - self.0).signum() == (to.x - self.0).signum()
        }
    }

    #[test]
    fn sees_inside_the_cone_and_not_behind() {
        let cone = SightCone::default();
        let eye = Vec2::ZERO;
        let facing = Vec2::X;
        assert!(
            cone.sees(eye, facing, Vec2::new(10.0, 0.0), &NoOccluders)
                .is_some()
        );
        // 45 degrees off axis is inside a 57 degree half angle, 70 degrees is not.
        let at = |deg: f32| Vec2::new(deg.to_radians().cos(), deg.to_radians().sin()) * 5.0;
        assert!(cone.sees(eye, facing, at(45.0), &NoOccluders).is_some());
        assert!(cone.sees(eye, facing, at(70.0), &NoOccluders).is_none());
        assert!(
            cone.sees(eye, facing, Vec2::new(-5.0, 0.0), &NoOccluders)
                .is_none()
        );
        // Out of range.
        assert!(
            cone.sees(eye, facing, Vec2::new(15.5, 0.0), &NoOccluders)
                .is_none()
        );
    }

    #[test]
    fn near_radius_sees_all_around_and_strength_falls_with_distance() {
        let cone = SightCone::default();
        let behind = cone.sees(Vec2::ZERO, Vec2::X, Vec2::new(-1.0, 0.0), &NoOccluders);
        assert!(behind.is_some());
        let near = cone
            .sees(Vec2::ZERO, Vec2::X, Vec2::new(2.0, 0.0), &NoOccluders)
            .unwrap();
        let far = cone
            .sees(Vec2::ZERO, Vec2::X, Vec2::new(15.0, 0.0), &NoOccluders)
            .unwrap();
        assert!((far - 0.25).abs() < 1e-6, "{far}");
        assert!(near > far);
    }

    #[test]
    fn occluders_block_and_bad_input_is_never_seen() {
        let cone = SightCone::default();
        assert!(
            cone.sees(Vec2::ZERO, Vec2::X, Vec2::new(5.0, 0.0), &WallAtX(2.0))
                .is_none()
        );
        assert!(
            cone.sees(Vec2::ZERO, Vec2::X, Vec2::new(f32::NAN, 0.0), &NoOccluders)
                .is_none()
        );
        // A zero facing only sees within the near radius.
        assert!(
            cone.sees(Vec2::ZERO, Vec2::ZERO, Vec2::new(5.0, 0.0), &NoOccluders)
                .is_none()
        );
        assert!(
            cone.sees(Vec2::ZERO, Vec2::ZERO, Vec2::new(1.0, 0.0), &NoOccluders)
                .is_some()
        );
    }
}
