//! Following a polyline of waypoints (for example a path from the navigation module).

use glam::Vec2;

use super::behaviours::{arrive, seek};

/// Smallest waypoint radius (metres) [`PathFollower::desired_velocity`] uses; smaller, negative or
/// non-finite radii are raised to it so that the final waypoint can always be reached.
pub const MIN_WAYPOINT_RADIUS: f32 = 1e-3;

/// The last waypoint counts as reached within `FINAL_WAYPOINT_TOLERANCE * waypoint_radius`
/// (fraction, 0.1). Intermediate waypoints count as reached within the full radius, but the agent
/// should come to rest close to its destination, not on the rim of the radius.
pub const FINAL_WAYPOINT_TOLERANCE: f32 = 0.1;

/// Steers along a list of waypoints in order: seeks the current waypoint at full speed, moves on
/// once within the waypoint radius, and [`arrive`]s at the last one.
///
/// `Default` is an empty (already finished) follower.
#[derive(Clone, Debug, Default)]
pub struct PathFollower {
    waypoints: Vec<Vec2>,
    /// Index of the waypoint being steered to; `waypoints.len()` once finished.
    index: usize,
}

impl PathFollower {
    /// A follower for `waypoints`, starting at the first one. Non-finite waypoints are dropped.
    pub fn new(waypoints: Vec<Vec2>) -> Self {
        let mut follower = Self::default();
        follower.set_path(waypoints);
        follower
    }

    /// Replaces the path (reusing no state from the old one) and restarts at its first waypoint.
    /// Non-finite waypoints are dropped, as no velocity can point at them.
    pub fn set_path(&mut self, mut waypoints: Vec<Vec2>) {
        waypoints.retain(|waypoint| waypoint.is_finite());
        self.waypoints = waypoints;
        self.index = 0;
    }

    /// Removes the path, keeping the allocation; the follower is then finished.
    pub fn clear(&mut self) {
        self.waypoints.clear();
        self.index = 0;
    }

    /// Desired velocity for an agent at `position`. Skips every waypoint that is within
    /// `waypoint_radius` (so an agent that cuts a corner does not turn back), seeks the current
    /// intermediate waypoint at `max_speed`, and arrives at the last one with `waypoint_radius`
    /// as the slowing radius. The path is finished (and zero returned) once the agent is within
    /// [`FINAL_WAYPOINT_TOLERANCE`] `* waypoint_radius` of the last waypoint.
    ///
    /// A non-finite `position` returns zero and leaves the progress unchanged; `waypoint_radius`
    /// is raised to at least [`MIN_WAYPOINT_RADIUS`].
    pub fn desired_velocity(
        &mut self,
        position: Vec2,
        max_speed: f32,
        waypoint_radius: f32,
    ) -> Vec2 {
        if !position.is_finite() || self.is_finished() {
            return Vec2::ZERO;
        }
        let radius = if waypoint_radius.is_finite() && waypoint_radius > MIN_WAYPOINT_RADIUS {
            waypoint_radius
        } else {
            MIN_WAYPOINT_RADIUS
        };
        let last = self.waypoints.len() - 1;
        while self.index < last
            && position.distance_squared(self.waypoints[self.index]) <= radius * radius
        {
            self.index += 1;
        }
        let waypoint = self.waypoints[self.index];
        if self.index < last {
            return seek(position, waypoint, max_speed);
        }
        let final_tolerance = radius * FINAL_WAYPOINT_TOLERANCE;
        if position.distance_squared(waypoint) <= final_tolerance * final_tolerance {
            self.index = self.waypoints.len();
            return Vec2::ZERO;
        }
        arrive(position, waypoint, max_speed, radius)
    }

    /// Whether the last waypoint has been reached (also true for an empty path).
    pub fn is_finished(&self) -> bool {
        self.index >= self.waypoints.len()
    }

    /// All waypoints of the current path, including those already passed.
    pub fn waypoints(&self) -> &[Vec2] {
        &self.waypoints
    }

    /// The waypoint currently steered to, or `None` when finished.
    pub fn current(&self) -> Option<Vec2> {
        self.waypoints.get(self.index).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_follower_visits_waypoints_in_order_and_finishes() {
        let waypoints = vec![
            Vec2::new(5.0, 0.0),
            Vec2::new(5.0, 5.0),
            Vec2::new(0.0, 5.0),
            Vec2::new(-3.0, 8.0),
        ];
        let mut follower = PathFollower::new(waypoints.clone());
        assert_eq!(follower.current(), Some(waypoints[0]));
        let mut position = Vec2::ZERO;
        let mut visited = vec![0];
        let dt = 1.0 / 30.0;
        let mut steps = 0;
        while !follower.is_finished() && steps < 2000 {
            let velocity = follower.desired_velocity(position, 2.0, 0.5);
            assert!(velocity.length() <= 2.0 + 1e-4);
            position += velocity * dt;
            steps += 1;
            if let Some(current) = follower.current() {
                let index = waypoints
                    .iter()
                    .position(|w| *w == current)
                    .expect("current is a waypoint");
                if index != *visited.last().expect("starts non-empty") {
                    visited.push(index);
                }
            }
        }
        assert!(
            follower.is_finished(),
            "not finished after {steps} steps at {position}"
        );
        assert_eq!(visited, vec![0, 1, 2, 3]);
        assert!(
            position.distance(waypoints[3]) <= 0.05 + 1e-5,
            "stopped at {position}"
        );
        // Total path length 5 + 5 + 5 + 4.24 = 19.24 m at 2 m/s is about 9.6 s = 289 steps; the
        // arrival ramp adds a little.
        assert!(steps < 340, "{steps} steps");
        assert_eq!(follower.desired_velocity(position, 2.0, 0.5), Vec2::ZERO);
        assert_eq!(follower.current(), None);
    }

    #[test]
    fn path_follower_skips_waypoints_already_within_radius() {
        let mut follower = PathFollower::new(vec![
            Vec2::new(0.2, 0.0),
            Vec2::new(0.4, 0.0),
            Vec2::new(10.0, 0.0),
        ]);
        let velocity = follower.desired_velocity(Vec2::ZERO, 1.0, 0.5);
        assert_eq!(follower.current(), Some(Vec2::new(10.0, 0.0)));
        assert!((velocity - Vec2::X).length() < 1e-5);
    }

    #[test]
    fn path_follower_empty_cleared_and_bad_inputs() {
        let mut follower = PathFollower::default();
        assert!(follower.is_finished());
        assert_eq!(follower.desired_velocity(Vec2::ZERO, 1.0, 0.5), Vec2::ZERO);

        follower.set_path(vec![
            Vec2::NAN,
            Vec2::new(3.0, 0.0),
            Vec2::new(f32::INFINITY, 0.0),
        ]);
        assert_eq!(follower.waypoints(), &[Vec2::new(3.0, 0.0)]);
        assert!(!follower.is_finished());
        assert_eq!(follower.desired_velocity(Vec2::NAN, 1.0, 0.5), Vec2::ZERO);
        assert!(
            follower
                .desired_velocity(Vec2::ZERO, 1.0, f32::NAN)
                .is_finite()
        );
        assert_eq!(follower.current(), Some(Vec2::new(3.0, 0.0)));

        follower.clear();
        assert!(follower.is_finished());
        assert!(follower.waypoints().is_empty());
    }
}
