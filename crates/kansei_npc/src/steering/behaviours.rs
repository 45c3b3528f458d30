//! Stateless steering behaviours. Each returns a desired velocity (metres per second) on the
//! ground plane, never longer than `max_speed`.
//!
//! Shared input rules: a `max_speed` that is negative or not finite counts as `0.0`; a
//! non-finite position, target or offset (or one whose length overflows `f32`) yields
//! `Vec2::ZERO`, because no meaningful direction can be derived from it.

use glam::Vec2;

use super::SpatialHash;

/// Distance (metres) under which two points count as the same point: no direction can be taken
/// from an offset this short, so behaviours return zero (or skip that neighbour) instead.
pub const COINCIDENT_DISTANCE: f32 = 1e-6;

/// Longest look-ahead (seconds) that [`pursue`] and [`evade`] use when predicting where the other
/// agent will be. Without a cap a far-away or slow pursuer would aim at a point that the target
/// will only reach minutes later.
pub const MAX_PREDICTION_TIME: f32 = 1.0;

/// `max_speed` as a usable speed: negative or non-finite values become `0.0`.
pub(crate) fn sanitize_speed(max_speed: f32) -> f32 {
    if max_speed.is_finite() && max_speed > 0.0 {
        max_speed
    } else {
        0.0
    }
}

/// The vector itself when all components are finite, otherwise zero.
pub(crate) fn finite_or_zero(value: Vec2) -> Vec2 {
    if value.is_finite() { value } else { Vec2::ZERO }
}

/// Velocity of length `speed` along `offset`, or zero when `offset` has no usable direction.
fn along(offset: Vec2, speed: f32) -> Vec2 {
    let length_squared = offset.length_squared();
    if !length_squared.is_finite() || length_squared <= COINCIDENT_DISTANCE * COINCIDENT_DISTANCE {
        return Vec2::ZERO;
    }
    offset * (speed / length_squared.sqrt())
}

/// Full speed straight towards `target`. Zero when already at the target.
pub fn seek(position: Vec2, target: Vec2, max_speed: f32) -> Vec2 {
    along(target - position, sanitize_speed(max_speed))
}

/// Full speed straight away from `threat`. Zero when exactly at the threat (no direction exists).
pub fn flee(position: Vec2, threat: Vec2, max_speed: f32) -> Vec2 {
    along(position - threat, sanitize_speed(max_speed))
}

/// Towards `target`, full speed outside `slowing_radius` and a linear ramp down to zero inside
/// it, so an agent that follows the result exactly comes to rest on the target without
/// overshooting. A `slowing_radius` that is not positive and finite behaves like [`seek`].
pub fn arrive(position: Vec2, target: Vec2, max_speed: f32, slowing_radius: f32) -> Vec2 {
    let offset = target - position;
    let distance = offset.length();
    if !distance.is_finite() || distance <= COINCIDENT_DISTANCE {
        return Vec2::ZERO;
    }
    let max_speed = sanitize_speed(max_speed);
    let speed = if slowing_radius.is_finite() && slowing_radius > 0.0 && distance < slowing_radius {
        max_speed * distance / slowing_radius
    } else {
        max_speed
    };
    offset * (speed / distance)
}

/// Where a target moving at `target_velocity` will be after the time the pursuer needs to cover
/// the current distance at `speed`, capped at [`MAX_PREDICTION_TIME`]. A non-finite velocity
/// counts as standing still.
fn predicted_position(
    position: Vec2,
    target_position: Vec2,
    target_velocity: Vec2,
    speed: f32,
) -> Vec2 {
    let distance = position.distance(target_position);
    let time = if speed > 0.0 {
        // `min` also maps a NaN distance to the cap; the seek/flee that follows rejects a
        // non-finite target position anyway.
        (distance / speed).min(MAX_PREDICTION_TIME)
    } else {
        MAX_PREDICTION_TIME
    };
    target_position + finite_or_zero(target_velocity) * time
}

/// [`seek`] towards where the moving target will be: the look-ahead is the distance divided by
/// `max_speed`, capped at [`MAX_PREDICTION_TIME`].
pub fn pursue(
    position: Vec2,
    target_position: Vec2,
    target_velocity: Vec2,
    max_speed: f32,
) -> Vec2 {
    let speed = sanitize_speed(max_speed);
    seek(
        position,
        predicted_position(position, target_position, target_velocity, speed),
        speed,
    )
}

/// [`flee`] from where the moving threat will be, predicted as in [`pursue`].
pub fn evade(position: Vec2, threat_position: Vec2, threat_velocity: Vec2, max_speed: f32) -> Vec2 {
    let speed = sanitize_speed(max_speed);
    flee(
        position,
        predicted_position(position, threat_position, threat_velocity, speed),
        speed,
    )
}

/// Push away from every neighbour closer than `radius`. Each neighbour contributes a unit vector
/// away from it weighted by `(radius - distance) / radius` (1 at contact, 0 at the radius), so
/// closer neighbours push harder; the sum is scaled by `max_speed` and capped at `max_speed`.
///
/// Returns zero with no neighbours in range. Neighbours that coincide with `position` (closer
/// than [`COINCIDENT_DISTANCE`]) give no direction and are skipped, as are non-finite
/// neighbours; the agent's own position may therefore be passed among the neighbours.
pub fn separation(
    position: Vec2,
    neighbours: impl IntoIterator<Item = Vec2>,
    radius: f32,
    max_speed: f32,
) -> Vec2 {
    if !position.is_finite() || !radius.is_finite() || radius <= 0.0 {
        return Vec2::ZERO;
    }
    let mut push = Vec2::ZERO;
    for neighbour in neighbours {
        let away = position - neighbour;
        let distance = away.length();
        // NaN distances come from non-finite neighbours.
        if distance.is_nan() || distance <= COINCIDENT_DISTANCE || distance >= radius {
            continue;
        }
        push += away * ((radius - distance) / (radius * distance));
    }
    let max_speed = sanitize_speed(max_speed);
    (push * max_speed).clamp_length_max(max_speed)
}

/// [`separation`] from every point of `hash` within `radius` of `position` (the agent itself,
/// at distance 0, pushes nothing): the same push, summed without a branch per neighbour, which
/// in a dense crowd is several times faster than collecting the neighbours first.
pub fn separation_in(hash: &SpatialHash, position: Vec2, radius: f32, max_speed: f32) -> Vec2 {
    if !position.is_finite() || !radius.is_finite() || radius <= 0.0 {
        return Vec2::ZERO;
    }
    let inverse_radius = radius.recip();
    let mut push = Vec2::ZERO;
    hash.for_each_candidate(position, radius, |neighbour, _| {
        let away = position - neighbour;
        let distance = away.length();
        // (radius - d) / (radius d) = 1 / d - 1 / radius as in `separation`, zero from the
        // radius on, and zero for a coincident point (the agent itself). Only min and max: the
        // compiler turns an `if`, or even a bit mask from a comparison, back into a branch,
        // which mispredicts as often as a neighbour is in reach.
        let weight = (distance.max(COINCIDENT_DISTANCE).recip() - inverse_radius).max(0.0);
        let apart = ((distance - COINCIDENT_DISTANCE) * f32::MAX).clamp(0.0, 1.0);
        push += away * (weight * apart);
    });
    let max_speed = sanitize_speed(max_speed);
    (push * max_speed).clamp_length_max(max_speed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f32 = 1e-5;

    #[test]
    fn seek_points_at_target_at_max_speed() {
        let velocity = seek(Vec2::new(1.0, 1.0), Vec2::new(4.0, 5.0), 2.0);
        assert!((velocity - Vec2::new(0.6, 0.8) * 2.0).length() < EPS);
        assert_eq!(seek(Vec2::ONE, Vec2::ONE, 2.0), Vec2::ZERO);
    }

    #[test]
    fn flee_points_away_at_max_speed() {
        let velocity = flee(Vec2::new(1.0, 1.0), Vec2::new(4.0, 5.0), 2.0);
        assert!((velocity - Vec2::new(-0.6, -0.8) * 2.0).length() < EPS);
        assert_eq!(flee(Vec2::ONE, Vec2::ONE, 2.0), Vec2::ZERO);
    }

    #[test]
    fn arrive_is_full_speed_outside_ramps_inside_and_stops_at_target() {
        let target = Vec2::new(10.0, 0.0);
        assert!((arrive(Vec2::ZERO, target, 2.0, 4.0) - Vec2::new(2.0, 0.0)).length() < EPS);
        // Half way into the slowing radius: half speed.
        assert!(
            (arrive(Vec2::new(8.0, 0.0), target, 2.0, 4.0) - Vec2::new(1.0, 0.0)).length() < EPS
        );
        assert_eq!(arrive(target, target, 2.0, 4.0), Vec2::ZERO);

        // Integrating the behaviour comes to rest on the target without overshooting.
        let mut position = Vec2::ZERO;
        let dt = 1.0 / 30.0;
        for _ in 0..600 {
            position += arrive(position, target, 2.0, 4.0) * dt;
            assert!(position.x <= target.x + EPS);
        }
        assert!(position.distance(target) < 1e-3, "ended at {position}");
    }

    #[test]
    fn pursue_leads_a_moving_target_and_caps_the_prediction() {
        // Target 4 m ahead moving sideways at 1 m/s; pursuer speed 2 m/s: look-ahead 2 s capped to 1 s.
        let velocity = pursue(Vec2::ZERO, Vec2::new(4.0, 0.0), Vec2::new(0.0, 1.0), 2.0);
        let expected = Vec2::new(4.0, MAX_PREDICTION_TIME).normalize() * 2.0;
        assert!((velocity - expected).length() < EPS, "{velocity}");
        // Close target: look-ahead 0.5 m / 2 m/s = 0.25 s.
        let velocity = pursue(Vec2::ZERO, Vec2::new(0.5, 0.0), Vec2::new(0.0, 1.0), 2.0);
        assert!((velocity - Vec2::new(0.5, 0.25).normalize() * 2.0).length() < EPS);
        // A stationary target degenerates to seek.
        assert_eq!(
            pursue(Vec2::ZERO, Vec2::X, Vec2::ZERO, 2.0),
            seek(Vec2::ZERO, Vec2::X, 2.0)
        );
    }

    #[test]
    fn evade_flees_from_the_predicted_position() {
        // Threat 4 m ahead moving towards the agent's left side: predicted at (4, 1).
        let velocity = evade(Vec2::ZERO, Vec2::new(4.0, 0.0), Vec2::new(0.0, 1.0), 2.0);
        assert!((velocity - Vec2::new(-4.0, -1.0).normalize() * 2.0).length() < EPS);
    }

    #[test]
    fn separation_pushes_apart_stronger_when_closer_and_is_zero_without_neighbours() {
        assert_eq!(separation(Vec2::ZERO, [], 2.0, 1.0), Vec2::ZERO);
        assert_eq!(
            separation(Vec2::ZERO, [Vec2::new(3.0, 0.0)], 2.0, 1.0),
            Vec2::ZERO
        );
        let near = separation(Vec2::ZERO, [Vec2::new(0.5, 0.0)], 2.0, 1.0);
        let far = separation(Vec2::ZERO, [Vec2::new(1.5, 0.0)], 2.0, 1.0);
        assert!(near.x < 0.0 && far.x < 0.0, "{near} {far}");
        assert!(near.length() > far.length());
        assert!((near - Vec2::new(-0.75, 0.0)).length() < EPS);
        // Symmetric neighbours cancel; the result never exceeds max speed.
        let balanced = separation(Vec2::ZERO, [Vec2::X * 0.5, -Vec2::X * 0.5], 2.0, 1.0);
        assert!(balanced.length() < EPS);
        let crowded = separation(
            Vec2::ZERO,
            [Vec2::X * 0.1, Vec2::new(0.1, 0.1), Vec2::Y * 0.1],
            2.0,
            1.0,
        );
        assert!(crowded.length() <= 1.0 + EPS);
    }

    #[test]
    fn separation_skips_coincident_and_non_finite_neighbours() {
        let result = separation(
            Vec2::ZERO,
            [Vec2::ZERO, Vec2::NAN, Vec2::INFINITY, Vec2::new(0.5, 0.0)],
            2.0,
            1.0,
        );
        assert!(result.is_finite());
        assert!((result - Vec2::new(-0.75, 0.0)).length() < EPS);
    }

    #[test]
    fn separation_in_a_hash_equals_separation_from_the_neighbours_in_reach() {
        let mut rng = 77u32;
        let positions: Vec<Vec2> = (0..800)
            .map(|_| {
                Vec2::new(
                    crate::steering::rng::next_signed_unit(&mut rng),
                    crate::steering::rng::next_signed_unit(&mut rng),
                ) * 10.0
            })
            .collect();
        let mut hash = SpatialHash::new(1.0);
        hash.rebuild(&positions);
        let mut pushed = 0;
        for (i, &p) in positions.iter().enumerate().take(200) {
            for radius in [0.3, 1.05, 2.5] {
                let neighbours = positions
                    .iter()
                    .enumerate()
                    .filter(|&(j, q)| j != i && q.distance(p) < radius)
                    .map(|(_, &q)| q);
                let expected = separation(p, neighbours, radius, 1.4);
                let got = separation_in(&hash, p, radius, 1.4);
                assert!(
                    (got - expected).length() < 1e-4,
                    "{p} r={radius}: {got} vs {expected}"
                );
                pushed += usize::from(expected != Vec2::ZERO);
            }
        }
        assert!(pushed > 200, "only {pushed} queries had neighbours");
        assert_eq!(separation_in(&hash, Vec2::NAN, 1.0, 1.0), Vec2::ZERO);
        assert_eq!(separation_in(&hash, Vec2::ZERO, f32::NAN, 1.0), Vec2::ZERO);
        assert_eq!(separation_in(&hash, Vec2::splat(1e4), 1.0, 1.0), Vec2::ZERO);
    }

    #[test]
    fn non_finite_inputs_give_zero_not_nan() {
        let nan = Vec2::NAN;
        assert_eq!(seek(nan, Vec2::ONE, 1.0), Vec2::ZERO);
        assert_eq!(seek(Vec2::ZERO, Vec2::INFINITY, 1.0), Vec2::ZERO);
        assert_eq!(seek(Vec2::ZERO, Vec2::ONE, f32::NAN), Vec2::ZERO);
        assert_eq!(seek(Vec2::ZERO, Vec2::ONE, -1.0), Vec2::ZERO);
        assert_eq!(flee(Vec2::ZERO, nan, 1.0), Vec2::ZERO);
        assert_eq!(arrive(Vec2::ZERO, nan, 1.0, 1.0), Vec2::ZERO);
        assert!(arrive(Vec2::ZERO, Vec2::ONE, 1.0, f32::NAN).is_finite());
        assert!(pursue(Vec2::ZERO, Vec2::ONE, nan, 1.0).is_finite());
        assert_eq!(pursue(Vec2::ZERO, nan, Vec2::ONE, 1.0), Vec2::ZERO);
        assert!(evade(Vec2::ZERO, Vec2::ONE, Vec2::INFINITY, f32::INFINITY).is_finite());
        assert_eq!(separation(nan, [Vec2::ONE], 2.0, 1.0), Vec2::ZERO);
        assert_eq!(
            separation(Vec2::ZERO, [Vec2::ONE], f32::NAN, 1.0),
            Vec2::ZERO
        );
    }
}
