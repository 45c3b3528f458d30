//! Reynolds-style wandering: a target point slides randomly around a circle held in front of the
//! agent, and the agent heads for it.

use glam::Vec2;

use super::behaviours::sanitize_speed;
use super::rng::{mix_seed, next_signed_unit};

/// Distance (in units of the agent's heading, dimensionless) from the agent to the centre of the
/// wander circle. Together with [`WANDER_CIRCLE_RADIUS`] it bounds the turn: the desired
/// direction never deviates from the heading by more than `asin(radius / distance)` = 30°.
pub const WANDER_CIRCLE_DISTANCE: f32 = 2.0;

/// Radius of the wander circle, in the same units as [`WANDER_CIRCLE_DISTANCE`].
pub const WANDER_CIRCLE_RADIUS: f32 = 1.0;

/// Random-walk strength of the angle on the wander circle, in radians per square-root second.
/// Each call moves the angle by at most `WANDER_JITTER * sqrt(dt)`; scaling with `sqrt(dt)`
/// (a discretised Brownian motion) makes the wandering look the same at any frame rate.
pub const WANDER_JITTER: f32 = 3.0;

/// Deterministic wandering state for one agent: the angle of the target on the wander circle
/// (radians, relative to the heading) and a xorshift random state. Two `Wander`s built with the
/// same seed and called with the same inputs produce identical outputs on every platform that
/// implements IEEE `f32` arithmetic.
///
/// `Default` gives angle 0 and a fixed internal seed.
#[derive(Clone, Debug, Default)]
pub struct Wander {
    angle: f32,
    rng_state: u32,
}

impl Wander {
    /// A wanderer whose random walk is driven by `seed` (any value, including 0).
    pub fn new(seed: u32) -> Self {
        Self {
            angle: 0.0,
            rng_state: mix_seed(seed),
        }
    }

    /// Current angle of the target on the wander circle, radians in `[-PI, PI)`, relative to the
    /// heading (0 = straight ahead).
    pub fn angle(&self) -> f32 {
        self.angle
    }

    /// Advances the random walk by `dt` seconds and returns a velocity of length `max_speed`
    /// that deviates from `heading` by at most 30° (see [`WANDER_CIRCLE_DISTANCE`]).
    ///
    /// `heading` need not be normalised; a zero or non-finite heading counts as `+X`. A `dt` that
    /// is negative or not finite counts as `0.0` (no jitter); `max_speed` as in [`seek`].
    ///
    /// [`seek`]: crate::steering::seek
    pub fn desired_velocity(&mut self, heading: Vec2, max_speed: f32, dt: f32) -> Vec2 {
        let dt = if dt.is_finite() && dt > 0.0 { dt } else { 0.0 };
        let step = next_signed_unit(&mut self.rng_state) * WANDER_JITTER * dt.sqrt();
        // Keep the angle bounded so that precision does not degrade over a long game.
        self.angle = (self.angle + step + std::f32::consts::PI).rem_euclid(std::f32::consts::TAU)
            - std::f32::consts::PI;

        let forward = if heading.is_finite() {
            heading.normalize_or(Vec2::X)
        } else {
            Vec2::X
        };
        let target_in_heading_frame = Vec2::new(WANDER_CIRCLE_DISTANCE, 0.0)
            + Vec2::from_angle(self.angle) * WANDER_CIRCLE_RADIUS;
        let direction = forward
            .rotate(target_in_heading_frame)
            .normalize_or(forward);
        direction * sanitize_speed(max_speed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: u32, steps: usize) -> Vec<Vec2> {
        let mut wander = Wander::new(seed);
        let heading = Vec2::new(0.0, 2.0);
        (0..steps)
            .map(|_| wander.desired_velocity(heading, 1.5, 1.0 / 60.0))
            .collect()
    }

    #[test]
    fn wander_is_deterministic_per_seed() {
        assert_eq!(run(7, 500), run(7, 500));
        assert_ne!(run(7, 500), run(8, 500));
        // Default works and is deterministic too.
        let mut a = Wander::default();
        let mut b = Wander::default();
        for _ in 0..100 {
            assert_eq!(
                a.desired_velocity(Vec2::X, 1.0, 0.1),
                b.desired_velocity(Vec2::X, 1.0, 0.1)
            );
        }
    }

    #[test]
    fn wander_is_bounded_around_the_heading_and_at_max_speed() {
        let heading = Vec2::new(0.0, 1.0);
        let max_deviation = (WANDER_CIRCLE_RADIUS / WANDER_CIRCLE_DISTANCE).asin() + 1e-4;
        let mut largest_deviation: f32 = 0.0;
        for velocity in run(3, 5000) {
            assert!((velocity.length() - 1.5).abs() < 1e-4);
            let deviation = heading.angle_to(velocity).abs();
            assert!(deviation <= max_deviation, "deviation {deviation}");
            largest_deviation = largest_deviation.max(deviation);
        }
        // It does actually wander (uses most of the allowed cone).
        assert!(
            largest_deviation > 0.8 * max_deviation,
            "{largest_deviation}"
        );
    }

    #[test]
    fn wander_is_smooth_from_frame_to_frame() {
        // The circle angle moves at most WANDER_JITTER * sqrt(dt) per call; the direction turns
        // by at most that angle scaled by radius / (distance - radius) = 1.
        let dt: f32 = 1.0 / 60.0;
        let bound = WANDER_JITTER * dt.sqrt() + 1e-4;
        let velocities = run(11, 2000);
        for pair in velocities.windows(2) {
            let turn = pair[0].angle_to(pair[1]).abs();
            assert!(turn <= bound, "turn {turn} > {bound}");
        }
    }

    #[test]
    fn wander_handles_bad_inputs() {
        let mut wander = Wander::new(1);
        let velocity = wander.desired_velocity(Vec2::NAN, 2.0, f32::NAN);
        assert!((velocity.length() - 2.0).abs() < 1e-4);
        assert_eq!(
            wander.desired_velocity(Vec2::ZERO, f32::NAN, 0.1),
            Vec2::ZERO
        );
        assert!(wander.angle().is_finite());
    }
}
