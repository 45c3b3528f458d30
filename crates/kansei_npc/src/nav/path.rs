//! The path type and line-of-sight smoothing (string pulling) of raw grid paths.

use glam::{IVec2, Vec2};

use super::NavGrid;

/// A walkable route from a start point to a goal point.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// Corners of the route from the start (excluded) to the goal (included). Consecutive points,
    /// and the start with the first point, are in line of sight. Intermediate points are cell
    /// centres; the last is the exact goal.
    pub waypoints: Vec<Vec2>,
    /// Sum of the segment lengths from the start through all waypoints, in world units.
    pub length: f32,
}

/// Turns the raw cell path `cells` (row-major indices from the start cell to the goal cell, each
/// adjacent to the next by a legal move) into a smoothed [`Path`] from `start` to `goal`.
///
/// Raw points are `start`, the centres of the inner cells and `goal`. Greedy string pulling: from
/// each anchor, jump to the farthest raw point still in line of sight, trying only the points where
/// the raw path turns (plus the goal) because the points inside a straight run add nothing. The
/// next raw point is always reachable (adjacent cells, no corner cutting), so it is the fallback.
/// Every smoothed segment replaces a piece of the raw polyline, so the result is never longer.
pub(crate) fn smooth_cell_path(grid: &NavGrid, start: Vec2, goal: Vec2, cells: &[u32]) -> Path {
    let frame = grid.frame();
    let last = cells.len().saturating_sub(1);
    let cell_xy = |i: usize| frame.cell_of_index(cells[i] as usize).as_ivec2();
    let point = |i: usize| match i {
        0 => start,
        i if i == last => goal,
        i => frame.cell_center(frame.cell_of_index(cells[i] as usize)),
    };
    let turns_at = |i: usize| -> bool {
        let before: IVec2 = cell_xy(i) - cell_xy(i - 1);
        let after: IVec2 = cell_xy(i + 1) - cell_xy(i);
        before != after
    };

    let mut waypoints = Vec::new();
    let mut length = 0.0;
    let mut anchor = 0;
    let mut anchor_point = start;
    while anchor < last {
        let mut reach = anchor + 1;
        for candidate in anchor + 2..=last {
            if candidate != last && !turns_at(candidate) {
                continue;
            }
            if !grid.line_of_sight(anchor_point, point(candidate)) {
                break;
            }
            reach = candidate;
        }
        let next = point(reach);
        length += anchor_point.distance(next);
        waypoints.push(next);
        anchor = reach;
        anchor_point = next;
    }
    if waypoints.is_empty() {
        // Start and goal share a cell.
        waypoints.push(goal);
        length = start.distance(goal);
    }
    Path { waypoints, length }
}
