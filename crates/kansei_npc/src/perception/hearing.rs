//! Hearing: noise events with an audible radius.

use glam::Vec2;
use serde::{Deserialize, Serialize};

/// A noise made somewhere in the world: a footstep, a gunshot, a breaking crate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoiseEvent {
    /// Where the noise was made (world x, z).
    pub position: Vec2,
    /// Distance in metres at which it can still just be heard.
    pub radius: f32,
    /// How alarming it is, in [0, 1] (a footstep 0.3, a gunshot 1.0).
    pub loudness: f32,
    /// Who made it (an entity's bits in the plugin), so memory can tell sources apart.
    pub source: u64,
}

/// How strongly a listener at `listener` hears `noise`: `None` beyond its radius (or for
/// non-finite input), otherwise `loudness` scaled by a linear fall-off to zero at the radius.
/// `hearing` scales the radius (1.0 normal, 0.5 hard of hearing, 0 deaf).
pub fn heard_strength(listener: Vec2, hearing: f32, noise: &NoiseEvent) -> Option<f32> {
    let radius = noise.radius * hearing;
    // `radius > 0.0` is false for NaN too.
    let audible = radius > 0.0;
    if !audible || !listener.is_finite() || !noise.position.is_finite() {
        return None;
    }
    let distance = listener.distance(noise.position);
    if distance > radius {
        return None;
    }
    let strength = noise.loudness.clamp(0.0, 1.0) * (1.0 - distance / radius);
    (strength > 0.0).then_some(strength)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn noise(radius: f32, loudness: f32) -> NoiseEvent {
        NoiseEvent {
            position: Vec2::ZERO,
            radius,
            loudness,
            source: 7,
        }
    }

    #[test]
    fn falls_off_linearly_to_the_radius() {
        let n = noise(10.0, 1.0);
        assert_eq!(heard_strength(Vec2::new(5.0, 0.0), 1.0, &n), Some(0.5));
        assert!(heard_strength(Vec2::new(10.5, 0.0), 1.0, &n).is_none());
        // Half hearing halves the radius.
        assert!(heard_strength(Vec2::new(6.0, 0.0), 0.5, &n).is_none());
        let quiet = noise(10.0, 0.3);
        let s = heard_strength(Vec2::new(5.0, 0.0), 1.0, &quiet).unwrap();
        assert!((s - 0.15).abs() < 1e-6);
    }

    #[test]
    fn bad_input_is_not_heard() {
        assert!(heard_strength(Vec2::ZERO, 1.0, &noise(f32::NAN, 1.0)).is_none());
        assert!(heard_strength(Vec2::ZERO, 1.0, &noise(-1.0, 1.0)).is_none());
        assert!(heard_strength(Vec2::NAN, 1.0, &noise(10.0, 1.0)).is_none());
        assert!(heard_strength(Vec2::ZERO, 0.0, &noise(10.0, 1.0)).is_none());
    }
}
