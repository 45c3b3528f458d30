//! Optimal reciprocal collision avoidance (`ORCA`), written from van den Berg, Guy, Lin and
//! Manocha, "Reciprocal n-body collision avoidance" (ISRR 2011).
//!
//! For each neighbour B of agent A the paper defines the velocity obstacle `VO(A|B, tau)`: the
//! relative velocities that lead to a collision within the time horizon `tau`. It is a cone from
//! the origin towards the relative position `p = pB - pA` with half-angle `asin(r / |p|)`
//! (`r = rA + rB`), cut off at the front by the disc of radius `r / tau` centred on `p / tau`.
//! Let `u` be the smallest change of the relative velocity `vA - vB` that puts it on the
//! obstacle's boundary and `n` the outward normal there. Each agent takes half of the
//! responsibility, so A's permitted velocities are the half-plane
//! `{ v : (v - (vA + u / 2)) . n >= 0 }`. When A and B already overlap the cut-off disc uses the
//! time step instead of `tau`, so the overlap is resolved within one step.
//!
//! The new velocity is the one closest to the preferred velocity inside all half-planes and the
//! max-speed disc: a 2-D linear program solved incrementally (Seidel's algorithm, constraints in
//! the given order: with about ten constraints the expected-time benefit of shuffling is not
//! worth losing determinism). If the half-planes have no common point inside the disc (a dense
//! crowd), the fallback is the paper's 3-D linear program: the velocity that minimises the
//! largest violation of any half-plane.

use glam::Vec2;

use super::behaviours::{finite_or_zero, sanitize_speed};
use super::error::SteeringError;

/// Time step (seconds) used to resolve overlaps when [`orca_velocity`] is given a `dt` that is
/// not positive and finite: 1/60 s.
pub const FALLBACK_TIME_STEP: f32 = 1.0 / 60.0;

/// Shortest time horizon (seconds) used when [`OrcaParams::time_horizon`] is unusable or tiny:
/// `1e-3` s (the cut-off disc radius `r / tau` stays finite).
const MIN_TIME_HORIZON: f32 = 1e-3;

/// Below this, a direction vector counts as zero length or two unit vectors as parallel.
const EPSILON: f32 = 1e-6;

/// One agent as `ORCA` sees it. All quantities on the ground plane, metres and seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrcaAgent {
    /// Centre of the agent's disc.
    pub position: Vec2,
    /// Current velocity (the one chosen last tick); neighbours use it to predict this agent.
    pub velocity: Vec2,
    /// Radius of the agent's disc.
    pub radius: f32,
    /// Largest speed the agent may be given.
    pub max_speed: f32,
    /// Velocity the agent would like (blended steering output); the result is as close to it as
    /// collision avoidance allows.
    pub preferred_velocity: Vec2,
}

/// Tuning of the `ORCA` neighbourhood.
#[derive(Clone, Copy, Debug)]
pub struct OrcaParams {
    /// Seconds ahead within which collisions with neighbours are avoided. Longer horizons make
    /// agents react earlier but more timidly. Default `2.0`.
    pub time_horizon: f32,
    /// Neighbours farther than this (metres, centre to centre) are not considered. Should be at
    /// least `time_horizon * 2 * max_speed + 2 * radius` for a full guarantee at high speed;
    /// the default trades some of that for speed in dense crowds. Default `4.0`.
    pub neighbour_distance: f32,
    /// At most this many nearest neighbours are considered per agent. Default `10`.
    pub max_neighbours: usize,
}

impl Default for OrcaParams {
    /// `time_horizon` 2.0 s, `neighbour_distance` 4.0 m, `max_neighbours` 10.
    fn default() -> Self {
        Self {
            time_horizon: 2.0,
            neighbour_distance: 4.0,
            max_neighbours: 10,
        }
    }
}

impl OrcaParams {
    /// Checks that the values are usable. [`orca_velocity`] never fails (it clamps a bad time
    /// horizon to 1 ms); this lets configuration loaders reject bad data instead.
    pub fn validate(&self) -> Result<(), SteeringError> {
        if !(self.time_horizon.is_finite() && self.time_horizon > 0.0) {
            return Err(SteeringError::InvalidTimeHorizon(self.time_horizon));
        }
        if !(self.neighbour_distance.is_finite() && self.neighbour_distance >= 0.0) {
            return Err(SteeringError::InvalidNeighbourDistance(
                self.neighbour_distance,
            ));
        }
        Ok(())
    }

    fn usable_time_horizon(&self) -> f32 {
        if self.time_horizon.is_finite() {
            self.time_horizon.max(MIN_TIME_HORIZON)
        } else {
            MIN_TIME_HORIZON
        }
    }
}

/// A constraint `(v - point) . normal >= 0` on velocities; `normal` has unit length.
#[derive(Clone, Copy, Debug)]
struct HalfPlane {
    point: Vec2,
    normal: Vec2,
}

impl HalfPlane {
    /// How far `velocity` lies outside the half-plane (negative when inside).
    fn violation(&self, velocity: Vec2) -> f32 {
        (self.point - velocity).dot(self.normal)
    }
}

/// Reusable buffers for [`orca_velocity`]; keep one per thread so that the per-agent call does
/// not allocate.
#[derive(Clone, Debug, Default)]
pub struct OrcaScratch {
    half_planes: Vec<HalfPlane>,
    /// Constraints of the 3-D fallback, projected onto one half-plane's boundary.
    projected: Vec<HalfPlane>,
}

/// The collision-free velocity for `agent` among `neighbours` (see the module docs for the
/// method). `neighbours` are all considered: select them beforehand, e.g. the
/// `params.max_neighbours` nearest within `params.neighbour_distance` from
/// [`SpatialHash::nearest_within`], and do not include the agent itself. `dt` is the time step
/// within which overlaps are resolved.
///
/// The result is always finite and never longer than `agent.max_speed` (after sanitising).
/// Bad inputs are sanitised, never propagated:
/// * non-finite `preferred_velocity` or `velocity` count as zero;
/// * a negative or non-finite `max_speed` counts as 0 (the result is then zero), likewise `radius`;
/// * a non-finite `position` gives the clamped preferred velocity (there is nothing to avoid
///   relative to);
/// * neighbours with a non-finite position are skipped; their non-finite velocity or radius
///   count as zero;
/// * a `dt` that is not positive and finite counts as [`FALLBACK_TIME_STEP`]; an unusable
///   `params.time_horizon` as 1 ms.
///
/// Two agents at exactly the same position with the same velocity give no direction to separate
/// along; both are then pushed towards `+X` (finite, but the tie is only broken by any asymmetry
/// elsewhere).
///
/// [`SpatialHash::nearest_within`]: crate::steering::SpatialHash::nearest_within
pub fn orca_velocity(
    agent: &OrcaAgent,
    neighbours: &[OrcaAgent],
    params: &OrcaParams,
    dt: f32,
    scratch: &mut OrcaScratch,
) -> Vec2 {
    let max_speed = sanitize_speed(agent.max_speed);
    let preferred = finite_or_zero(agent.preferred_velocity);
    if !agent.position.is_finite() {
        return preferred.clamp_length_max(max_speed);
    }
    let velocity = finite_or_zero(agent.velocity);
    let radius = sanitize_speed(agent.radius);
    let inverse_time_horizon = params.usable_time_horizon().recip();
    let inverse_dt = if dt.is_finite() && dt > 0.0 {
        dt.recip()
    } else {
        FALLBACK_TIME_STEP.recip()
    };

    scratch.half_planes.clear();
    for other in neighbours {
        if !other.position.is_finite() {
            continue;
        }
        let relative_position = other.position - agent.position;
        let relative_velocity = velocity - finite_or_zero(other.velocity);
        let combined_radius = radius + sanitize_speed(other.radius);
        let half_plane = reciprocal_half_plane(
            relative_position,
            relative_velocity,
            combined_radius,
            inverse_time_horizon,
            inverse_dt,
        );
        // `u` is added to the agent's own velocity: the plane's point is `vA + u / 2`.
        scratch.half_planes.push(HalfPlane {
            point: velocity + half_plane.point,
            normal: half_plane.normal,
        });
    }

    let mut result = Vec2::ZERO;
    let failed_at = solve_2d(
        &scratch.half_planes,
        max_speed,
        preferred,
        false,
        &mut result,
    );
    if failed_at < scratch.half_planes.len() {
        solve_3d(
            &scratch.half_planes,
            failed_at,
            max_speed,
            &mut result,
            &mut scratch.projected,
        );
    }
    if result.is_finite() {
        result.clamp_length_max(max_speed)
    } else {
        Vec2::ZERO
    }
}

/// The `ORCA` constraint for one neighbour, with its point relative to the agent's own velocity:
/// `point = u / 2`, `normal = n` (see the module docs).
fn reciprocal_half_plane(
    relative_position: Vec2,
    relative_velocity: Vec2,
    combined_radius: f32,
    inverse_time_horizon: f32,
    inverse_dt: f32,
) -> HalfPlane {
    let distance_squared = relative_position.length_squared();
    let combined_radius_squared = combined_radius * combined_radius;
    let (u, normal);
    if distance_squared > combined_radius_squared {
        // Not colliding yet. `w` goes from the centre of the cut-off disc to the relative velocity.
        let w = relative_velocity - relative_position * inverse_time_horizon;
        let w_length_squared = w.length_squared();
        let w_dot_p = w.dot(relative_position);
        // `w` points back towards the apex within the cone's half-angle: the nearest boundary
        // point is on the cut-off arc (cos of the angle between -w and p exceeds r / |p|).
        if w_dot_p < 0.0 && w_dot_p * w_dot_p > combined_radius_squared * w_length_squared {
            let w_length = w_length_squared.sqrt(); // > 0: w . p < 0 implies w != 0
            let unit_w = w / w_length;
            normal = unit_w;
            u = unit_w * (combined_radius * inverse_time_horizon - w_length);
        } else {
            // Nearest boundary point is on a leg: project the relative velocity onto it. The legs
            // are `p` rotated by +/- asin(r / |p|); `leg` is the tangent length `sqrt(|p|^2 - r^2)`.
            let leg = (distance_squared - combined_radius_squared).sqrt();
            let p = relative_position;
            let inverse_distance_squared = distance_squared.recip();
            let direction;
            if p.perp_dot(w) > 0.0 {
                // Left leg (counter-clockwise of p); the obstacle lies clockwise of it.
                direction = Vec2::new(
                    p.x * leg - p.y * combined_radius,
                    p.x * combined_radius + p.y * leg,
                ) * inverse_distance_squared;
                normal = direction.perp();
            } else {
                // Right leg (clockwise of p); the obstacle lies counter-clockwise of it.
                direction = Vec2::new(
                    p.x * leg + p.y * combined_radius,
                    -p.x * combined_radius + p.y * leg,
                ) * inverse_distance_squared;
                normal = -direction.perp();
            }
            u = direction * relative_velocity.dot(direction) - relative_velocity;
        }
    } else {
        // Already overlapping: leave the disc of radius r / dt around p / dt, i.e. be apart by
        // the end of this step.
        let w = relative_velocity - relative_position * inverse_dt;
        let w_length = w.length();
        let unit_w = if w_length > EPSILON {
            w / w_length
        } else {
            // Relative velocity exactly reaches B's centre this step: push straight apart.
            (-relative_position).normalize_or(Vec2::X)
        };
        normal = unit_w;
        u = unit_w * (combined_radius * inverse_dt - w_length);
    }
    HalfPlane {
        point: u * 0.5,
        normal,
    }
}

/// Best velocity on the boundary line of `half_planes[index]` that satisfies the earlier
/// half-planes and the speed disc, or `None` when that part of the line is empty.
/// With `optimise_direction`, `optimum` is a unit direction to go as far as possible along;
/// otherwise it is the velocity to get closest to.
fn solve_on_line(
    half_planes: &[HalfPlane],
    index: usize,
    max_speed: f32,
    optimum: Vec2,
    optimise_direction: bool,
) -> Option<Vec2> {
    let line = half_planes[index];
    // Points on the line: line.point + t * direction.
    let direction = line.normal.perp();
    let point_dot_direction = line.point.dot(direction);
    let discriminant = point_dot_direction * point_dot_direction + max_speed * max_speed
        - line.point.length_squared();
    if discriminant.is_nan() || discriminant < 0.0 {
        return None; // the line misses the speed disc
    }
    let root = discriminant.sqrt();
    let mut t_low = -point_dot_direction - root;
    let mut t_high = -point_dot_direction + root;

    for earlier in &half_planes[..index] {
        // (line.point + t * direction - earlier.point) . earlier.normal >= 0
        // <=> t * denominator >= numerator
        let denominator = direction.dot(earlier.normal);
        let numerator = (earlier.point - line.point).dot(earlier.normal);
        if denominator.abs() <= EPSILON {
            if numerator > 0.0 {
                return None; // parallel and entirely outside the earlier half-plane
            }
            continue;
        }
        let t = numerator / denominator;
        if denominator > 0.0 {
            t_low = t_low.max(t);
        } else {
            t_high = t_high.min(t);
        }
        if t_low > t_high {
            return None;
        }
    }

    let t = if optimise_direction {
        if optimum.dot(direction) > 0.0 {
            t_high
        } else {
            t_low
        }
    } else {
        (optimum - line.point).dot(direction).clamp(t_low, t_high)
    };
    Some(line.point + direction * t)
}

/// Incremental 2-D linear program over `half_planes` within the speed disc. Writes the best
/// velocity found into `result` and returns `half_planes.len()` on success, or the index of the
/// first half-plane that could not be satisfied (then `result` satisfies all earlier ones).
fn solve_2d(
    half_planes: &[HalfPlane],
    max_speed: f32,
    optimum: Vec2,
    optimise_direction: bool,
    result: &mut Vec2,
) -> usize {
    *result = if optimise_direction {
        optimum * max_speed
    } else {
        optimum.clamp_length_max(max_speed)
    };
    for index in 0..half_planes.len() {
        if half_planes[index].violation(*result) > 0.0 {
            match solve_on_line(half_planes, index, max_speed, optimum, optimise_direction) {
                Some(on_line) => *result = on_line,
                None => return index,
            }
        }
    }
    half_planes.len()
}

/// The paper's fallback when the half-planes conflict: minimise the largest violation `d` over
/// all half-planes (a 3-D linear program in `(v, d)`), solved incrementally from `begin`, where
/// the 2-D program failed. `result` must satisfy the half-planes before `begin`.
///
/// When half-plane `i` is violated by more than the current `d`, the new optimum has it as the
/// most violated one. Then `violation_j(v) <= violation_i(v)` for every earlier `j` is itself a
/// half-plane in `v` (normal `n_j - n_i`, boundary where the two violations are equal), and
/// minimising `violation_i` means going as far as possible along `n_i`: a 2-D program again.
fn solve_3d(
    half_planes: &[HalfPlane],
    begin: usize,
    max_speed: f32,
    result: &mut Vec2,
    projected: &mut Vec<HalfPlane>,
) {
    let mut largest_violation = 0.0f32;
    for index in begin..half_planes.len() {
        let current = half_planes[index];
        if current.violation(*result) <= largest_violation {
            continue;
        }
        projected.clear();
        for earlier in &half_planes[..index] {
            // v . (n_j - n_i) >= p_j . n_j - p_i . n_i
            let difference = earlier.normal - current.normal;
            let length_squared = difference.length_squared();
            if length_squared <= EPSILON * EPSILON {
                // Same normal: the earlier plane is less violated everywhere (it was less violated
                // at `result` and the difference is constant), so it cannot become the maximum.
                continue;
            }
            let inverse_length = length_squared.sqrt().recip();
            let offset = (earlier.point.dot(earlier.normal) - current.point.dot(current.normal))
                * inverse_length;
            let normal = difference * inverse_length;
            projected.push(HalfPlane {
                point: normal * offset,
                normal,
            });
        }
        let previous = *result;
        if solve_2d(projected, max_speed, current.normal, true, result) < projected.len() {
            // Only possible through rounding: the projected program is feasible in exact arithmetic.
            *result = previous;
        }
        largest_violation = current.violation(*result);
    }
}

#[cfg(test)]
mod tests {
    use super::super::rng::{next_signed_unit, next_unit};
    use super::*;

    fn agent(position: Vec2, velocity: Vec2, preferred_velocity: Vec2) -> OrcaAgent {
        OrcaAgent {
            position,
            velocity,
            radius: 0.4,
            max_speed: 1.5,
            preferred_velocity,
        }
    }

    #[test]
    fn orca_without_neighbours_returns_the_clamped_preferred_velocity() {
        let mut scratch = OrcaScratch::default();
        let params = OrcaParams::default();
        let a = agent(Vec2::ZERO, Vec2::ZERO, Vec2::new(1.0, 0.5));
        assert_eq!(
            orca_velocity(&a, &[], &params, 1.0 / 30.0, &mut scratch),
            Vec2::new(1.0, 0.5)
        );
        let fast = agent(Vec2::ZERO, Vec2::ZERO, Vec2::new(3.0, 4.0));
        let v = orca_velocity(&fast, &[], &params, 1.0 / 30.0, &mut scratch);
        assert!((v - Vec2::new(0.9, 1.2)).length() < 1e-5);
    }

    #[test]
    fn orca_half_plane_cases_match_hand_computed_values() {
        // Cut-off arc: B 10 m ahead, closing at 3 m/s, r = 0.8, tau = 2: the arc's front is at
        // 4.6 m/s, so u = (1.6, 0) and the normal points back at the agent.
        let plane =
            reciprocal_half_plane(Vec2::new(10.0, 0.0), Vec2::new(3.0, 0.0), 0.8, 0.5, 30.0);
        assert!((plane.normal - Vec2::new(-1.0, 0.0)).length() < 1e-6);
        assert!((plane.point - Vec2::new(0.8, 0.0)).length() < 1e-5);
        // Leg: relative velocity far to the left of the cone: nearest point on the left leg,
        // whose outward normal points up-left.
        let plane =
            reciprocal_half_plane(Vec2::new(10.0, 0.0), Vec2::new(20.0, 3.0), 0.8, 0.5, 30.0);
        let half_angle = (0.8f32 / 10.0).asin();
        let leg_direction = Vec2::from_angle(half_angle);
        assert!((plane.normal - leg_direction.perp()).length() < 1e-5);
        // u moves the relative velocity onto the leg line, so u / 2 = -(v . n) n / 2.
        let outside_by = Vec2::new(20.0, 3.0).dot(leg_direction.perp());
        assert!(outside_by > 0.0);
        assert!((plane.point + leg_direction.perp() * outside_by * 0.5).length() < 1e-4);
        // Overlap: 0.7 m apart with r = 0.8, at rest: must separate by 0.1 m within 1/30 s, i.e.
        // 3 m/s relative; the agent takes half: at least 1.5 m/s away from B.
        let plane = reciprocal_half_plane(Vec2::new(0.7, 0.0), Vec2::ZERO, 0.8, 0.5, 30.0);
        assert!((plane.normal - Vec2::new(-1.0, 0.0)).length() < 1e-6);
        assert!((plane.point - Vec2::new(-1.5, 0.0)).length() < 1e-4);
    }

    #[test]
    fn orca_slows_down_for_a_neighbour_in_the_way() {
        let mut scratch = OrcaScratch::default();
        let params = OrcaParams::default();
        // B stands 1.2 m ahead; A wants to walk into it at 1.5 m/s.
        let a = agent(Vec2::ZERO, Vec2::new(1.5, 0.0), Vec2::new(1.5, 0.0));
        let b = agent(Vec2::new(1.2, 0.0), Vec2::ZERO, Vec2::ZERO);
        let v = orca_velocity(&a, &[b], &params, 1.0 / 30.0, &mut scratch);
        // Relative motion must stay outside the velocity obstacle: A may not close the 0.4 m gap
        // within the horizon at its share of the work; it must deviate or slow down.
        assert!(v.x < 1.5 - 0.1, "{v}");
        assert!(v.length() <= 1.5 + 1e-4);
    }

    #[test]
    fn orca_infeasible_surrounded_agent_uses_the_fallback_and_stays_bounded() {
        let mut scratch = OrcaScratch::default();
        let params = OrcaParams::default();
        // Eight overlapping neighbours all around, all pushing in: no velocity satisfies all.
        let a = agent(Vec2::ZERO, Vec2::ZERO, Vec2::new(1.0, 0.0));
        let neighbours: Vec<OrcaAgent> = (0..8)
            .map(|k| {
                let direction = Vec2::from_angle(k as f32 * std::f32::consts::TAU / 8.0);
                agent(direction * 0.6, -direction, -direction)
            })
            .collect();
        let v = orca_velocity(&a, &neighbours, &params, 1.0 / 30.0, &mut scratch);
        assert!(v.is_finite());
        assert!(v.length() <= 1.5 + 1e-4);
        // Symmetric surroundings: the least-bad velocity is (close to) standing still.
        assert!(v.length() < 0.1, "{v}");
    }

    #[test]
    fn orca_result_is_finite_and_within_max_speed_for_random_and_bad_inputs() {
        let mut rng = 2024u32;
        let mut scratch = OrcaScratch::default();
        let bad = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -1.0, 0.0, 1e30];
        for trial in 0..3000 {
            let mut a = agent(
                random_vec(&mut rng, 3.0),
                random_vec(&mut rng, 2.0),
                random_vec(&mut rng, 3.0),
            );
            a.radius = 0.2 + next_unit(&mut rng) * 0.5;
            a.max_speed = 0.5 + next_unit(&mut rng) * 2.0;
            let count = (next_unit(&mut rng) * 14.0) as usize;
            let mut neighbours: Vec<OrcaAgent> = (0..count)
                .map(|_| {
                    let velocity = random_vec(&mut rng, 2.0);
                    agent(random_vec(&mut rng, 3.0), velocity, velocity)
                })
                .collect();
            // Every few trials poison one input.
            if trial % 5 == 0 {
                let value = bad[(trial / 5) % bad.len()];
                match (trial / 5 / bad.len()) % 6 {
                    0 => a.preferred_velocity.x = value,
                    1 => a.velocity.y = value,
                    2 => a.radius = value,
                    3 => a.max_speed = value,
                    4 => a.position.x = value,
                    _ => {
                        if let Some(first) = neighbours.first_mut() {
                            first.position.y = value;
                            first.velocity.x = value;
                            first.radius = value;
                        }
                    }
                }
            }
            let params = OrcaParams {
                time_horizon: if trial % 7 == 0 { f32::NAN } else { 2.0 },
                ..OrcaParams::default()
            };
            let dt = if trial % 11 == 0 {
                f32::NAN
            } else {
                1.0 / 30.0
            };
            let v = orca_velocity(&a, &neighbours, &params, dt, &mut scratch);
            assert!(v.is_finite(), "trial {trial}: {v}");
            let limit = if a.max_speed.is_finite() && a.max_speed > 0.0 {
                a.max_speed
            } else {
                0.0
            };
            assert!(v.length() <= limit + 1e-4, "trial {trial}: |{v}| > {limit}");
        }
    }

    fn random_vec(rng: &mut u32, scale: f32) -> Vec2 {
        Vec2::new(next_signed_unit(rng), next_signed_unit(rng)) * scale
    }

    /// Largest violation of any half-plane at `v` (negative when strictly inside all).
    fn worst_violation(half_planes: &[HalfPlane], v: Vec2) -> f32 {
        half_planes
            .iter()
            .map(|plane| plane.violation(v))
            .fold(f32::NEG_INFINITY, f32::max)
    }

    #[test]
    fn linear_programs_match_a_brute_force_grid_search() {
        let mut rng = 77u32;
        let mut projected = Vec::new();
        let (mut feasible_cases, mut infeasible_cases) = (0, 0);
        for _ in 0..300 {
            let max_speed = 0.5 + next_unit(&mut rng) * 1.5;
            let count = 1 + (next_unit(&mut rng) * 9.0) as usize;
            let half_planes: Vec<HalfPlane> = (0..count)
                .map(|_| HalfPlane {
                    point: random_vec(&mut rng, max_speed * 1.2),
                    normal: Vec2::from_angle(next_unit(&mut rng) * std::f32::consts::TAU),
                })
                .collect();
            let preferred = random_vec(&mut rng, max_speed * 1.5);
            let mut result = Vec2::ZERO;
            let failed_at = solve_2d(&half_planes, max_speed, preferred, false, &mut result);
            if failed_at < half_planes.len() {
                solve_3d(
                    &half_planes,
                    failed_at,
                    max_speed,
                    &mut result,
                    &mut projected,
                );
            }
            assert!(result.length() <= max_speed + 1e-4);

            // Grid over the speed disc: best feasible distance, and least worst-violation.
            let steps = 120;
            let mut best_feasible_distance = f32::INFINITY;
            let mut least_violation = f32::INFINITY;
            for iy in 0..=steps {
                for ix in 0..=steps {
                    let v = Vec2::new(ix as f32, iy as f32) * (2.0 * max_speed / steps as f32)
                        - Vec2::splat(max_speed);
                    if v.length() > max_speed {
                        continue;
                    }
                    let violation = worst_violation(&half_planes, v);
                    least_violation = least_violation.min(violation);
                    if violation <= 0.0 {
                        best_feasible_distance = best_feasible_distance.min(v.distance(preferred));
                    }
                }
            }
            if failed_at == half_planes.len() {
                feasible_cases += 1;
                assert!(
                    worst_violation(&half_planes, result) <= 1e-4,
                    "solution infeasible"
                );
                // No grid point that is feasible is closer to the preferred velocity.
                assert!(result.distance(preferred) <= best_feasible_distance + 1e-4);
            } else {
                infeasible_cases += 1;
                // The grid finds no point that is clearly inside all half-planes ...
                assert!(
                    least_violation > -1e-3,
                    "2-D program wrongly infeasible: {least_violation}"
                );
                // ... and the fallback is as good as the best grid point (up to grid resolution).
                assert!(
                    worst_violation(&half_planes, result) <= least_violation + 1e-4,
                    "fallback {} worse than grid {}",
                    worst_violation(&half_planes, result),
                    least_violation
                );
            }
        }
        assert!(
            feasible_cases > 30 && infeasible_cases > 30,
            "{feasible_cases} / {infeasible_cases}"
        );
    }

    #[test]
    fn orca_params_default_and_validation() {
        let params = OrcaParams::default();
        assert_eq!(
            (
                params.time_horizon,
                params.neighbour_distance,
                params.max_neighbours
            ),
            (2.0, 4.0, 10)
        );
        assert!(params.validate().is_ok());
        let bad_horizon = OrcaParams {
            time_horizon: 0.0,
            ..params
        };
        assert_eq!(
            bad_horizon.validate(),
            Err(SteeringError::InvalidTimeHorizon(0.0))
        );
        let bad_distance = OrcaParams {
            neighbour_distance: -1.0,
            ..params
        };
        assert_eq!(
            bad_distance.validate(),
            Err(SteeringError::InvalidNeighbourDistance(-1.0))
        );
        assert!(
            bad_horizon
                .validate()
                .expect_err("zero horizon is invalid")
                .to_string()
                .contains("time horizon")
        );
    }
}
