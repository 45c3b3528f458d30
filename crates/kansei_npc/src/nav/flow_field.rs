//! Flow fields: one Dijkstra integration field shared by every agent heading to the same goal.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;

use glam::Vec2;

use super::grid::GridFrame;
use super::neighbours::{MOVE_DIRECTIONS, MOVES, REVERSE_MOVE, for_each_neighbour};
use super::path::smooth_cell_path;
use super::search::{validate_endpoints, validate_goal};
use super::{NavGrid, Path, PathError};

/// Direction code of cells with no direction: the goal cell, blocked and unreachable cells.
const NO_DIRECTION: u8 = u8::MAX;

/// Dijkstra frontier entry, ordered so the max-heap pops the smallest distance first.
#[derive(Debug, Clone, Copy)]
struct FrontierEntry {
    distance: f32,
    cell: u32,
}

impl Ord for FrontierEntry {
    fn cmp(&self, other: &Self) -> Ordering {
        other.distance.total_cmp(&self.distance)
    }
}

impl PartialOrd for FrontierEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for FrontierEntry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for FrontierEntry {}

/// Flow field for many agents sharing a goal.
///
/// Holds the grid distance from every cell to the goal cell (Dijkstra from the goal with the same
/// 8-connectivity and costs as the path search) and, per cell, the unit direction of the move to
/// the neighbour on a shortest path (the cheapest `distance(neighbour) + step cost`). Following
/// the directions from any reachable cell strictly decreases the distance, so it always ends in
/// the goal cell. Lookups are `&self` and the type is `Send + Sync`, so agents can sample it in
/// parallel.
/// The field is a snapshot: compare [`grid_revision`](Self::grid_revision) with
/// [`NavGrid::revision`] (or call [`is_stale`](Self::is_stale)) and rebuild when it changed.
#[derive(Clone)]
pub struct FlowField {
    frame: GridFrame,
    goal: Vec2,
    grid_revision: u64,
    /// World distance from each cell centre to the goal cell centre; infinite when unreachable.
    distances: Vec<f32>,
    /// Index into `MOVE_DIRECTIONS` per cell, or `NO_DIRECTION`.
    directions: Vec<u8>,
}

impl fmt::Debug for FlowField {
    /// Summarises the field instead of printing every cell.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlowField")
            .field("goal", &self.goal)
            .field("grid_revision", &self.grid_revision)
            .field("width", &self.frame.width)
            .field("height", &self.frame.height)
            .field(
                "reachable_cells",
                &self.distances.iter().filter(|d| d.is_finite()).count(),
            )
            .finish()
    }
}

impl FlowField {
    /// Builds the field towards `goal`.
    ///
    /// Fails for a non-finite goal, a goal outside the grid or in a blocked cell.
    pub fn build(grid: &NavGrid, goal: Vec2) -> Result<FlowField, PathError> {
        let mut field = FlowField {
            frame: grid.frame(),
            goal,
            grid_revision: grid.revision(),
            distances: Vec::new(),
            directions: Vec::new(),
        };
        field.rebuild(grid, goal)?;
        Ok(field)
    }

    /// Rebuilds this field in place (reusing its buffers) for `grid` and `goal`. On error the
    /// field is left unchanged.
    pub fn rebuild(&mut self, grid: &NavGrid, goal: Vec2) -> Result<(), PathError> {
        let goal_cell = validate_goal(grid, goal)?;
        let frame = grid.frame();
        let cell_count = frame.cell_count();
        self.frame = frame;
        self.goal = goal;
        self.grid_revision = grid.revision();
        self.distances.clear();
        self.distances.resize(cell_count, f32::INFINITY);
        self.directions.clear();
        self.directions.resize(cell_count, NO_DIRECTION);

        let (width, height) = (frame.width, frame.height);
        let blocked = grid.blocked_cells();
        let cell_size = frame.cell_size;
        let goal_index = frame.index_of(goal_cell);
        self.distances[goal_index] = 0.0;
        let mut frontier = BinaryHeap::new();
        frontier.push(FrontierEntry {
            distance: 0.0,
            cell: goal_index as u32,
        });
        let distances = &mut self.distances;
        let directions = &mut self.directions;
        while let Some(entry) = frontier.pop() {
            let cell = entry.cell as usize;
            if entry.distance > distances[cell] {
                continue; // stale copy of a cell that was improved later
            }
            let (x, y) = (entry.cell % width, entry.cell / width);
            // Moves are symmetric (same cost, same corner rule both ways), so distances from the
            // goal equal distances to the goal.
            for_each_neighbour(blocked, width, height, x, y, |next, m, cost| {
                let candidate = entry.distance + cost * cell_size;
                if candidate < distances[next] {
                    distances[next] = candidate;
                    // The neighbour moves back along this edge to reach the goal.
                    directions[next] = REVERSE_MOVE[usize::from(m)];
                    frontier.push(FrontierEntry {
                        distance: candidate,
                        cell: next as u32,
                    });
                }
            });
        }
        Ok(())
    }

    /// Unit direction to steer in at `p`: towards the next cell on a shortest path. `None` outside
    /// the grid, in blocked or unreachable cells, and in the goal cell (steer to
    /// [`goal`](Self::goal) directly there).
    pub fn direction_at(&self, p: Vec2) -> Option<Vec2> {
        let cell = self.frame.cell_at(p)?;
        let code = self.directions[self.frame.index_of(cell)];
        MOVE_DIRECTIONS.get(usize::from(code)).copied()
    }

    /// Grid path distance (world units) from the centre of the cell containing `p` to the centre
    /// of the goal cell; `Some(0.0)` in the goal cell, `None` outside the grid or in blocked or
    /// unreachable cells.
    pub fn distance_at(&self, p: Vec2) -> Option<f32> {
        let cell = self.frame.cell_at(p)?;
        let distance = self.distances[self.frame.index_of(cell)];
        distance.is_finite().then_some(distance)
    }

    /// The shortest path from `start` to `goal`, read off the field instead of searched: the
    /// cells the directions lead through from `start`'s cell to the goal cell, smoothed by line
    /// of sight like [`find_path`](super::find_path)'s. `goal` may be any point of the field's
    /// goal cell (it is the last waypoint). The walk is one step per cell of the route, so a
    /// path costs microseconds where a search costs tens (the [`PathQueue`](super::PathQueue)
    /// answers from fields this way).
    ///
    /// The route is a shortest one under the same moves and costs as the search's, but where
    /// several are equally short it may be a different one.
    ///
    /// Fails for the search's invalid queries (non-finite points, outside the grid, blocked
    /// start or goal), with [`PathError::InvalidInput`] for a `goal` outside the field's goal
    /// cell or a field that [`is_stale`](Self::is_stale) for `grid`, and with
    /// [`PathError::Unreachable`] (zero jump points expanded) when no route joins them.
    pub fn trace_path(&self, grid: &NavGrid, start: Vec2, goal: Vec2) -> Result<Path, PathError> {
        if self.is_stale(grid) {
            return Err(PathError::InvalidInput {
                reason: "the flow field is stale: the grid changed since it was built",
            });
        }
        let (start_cell, goal_cell) = validate_endpoints(grid, start, goal)?;
        if Some(goal_cell) != self.frame.cell_at(self.goal) {
            return Err(PathError::InvalidInput {
                reason: "the goal is not in the flow field's goal cell",
            });
        }
        let frame = self.frame;
        let (first, target) = (frame.index_of(start_cell), frame.index_of(goal_cell));
        if !self.distances[first].is_finite() {
            return Err(PathError::Unreachable { goal, expanded: 0 });
        }
        let mut cells = vec![first as u32];
        let mut here = first;
        while here != target {
            // Every direction leads to a cell strictly nearer the goal, so this ends within
            // one step per cell; the bound only guards against a corrupted field.
            let m = self.directions[here];
            let (dx, dy, _) =
                MOVES
                    .get(usize::from(m))
                    .copied()
                    .ok_or(PathError::InvalidInput {
                        reason: "the flow field has a reachable cell without a direction",
                    })?;
            let cell = frame.cell_of_index(here).as_ivec2() + glam::IVec2::new(dx, dy);
            here = frame.index_of(cell.as_uvec2());
            cells.push(here as u32);
            if cells.len() > frame.cell_count() {
                return Err(PathError::InvalidInput {
                    reason: "the flow field's directions form a loop",
                });
            }
        }
        Ok(smooth_cell_path(grid, start, goal, &cells))
    }

    /// The goal the field leads to.
    pub fn goal(&self) -> Vec2 {
        self.goal
    }

    /// [`NavGrid::revision`] of the grid the field was built from.
    pub fn grid_revision(&self) -> u64 {
        self.grid_revision
    }

    /// Whether `grid` changed (revision or size) since the field was built from it.
    pub fn is_stale(&self, grid: &NavGrid) -> bool {
        self.grid_revision != grid.revision() || self.frame != grid.frame()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use glam::{UVec2, Vec2};

    use super::FlowField;
    use crate::nav::test_support::{Rng, random_grid, random_walkable_cell, reference_distances};
    use crate::nav::{NavGrid, PathError, find_path};

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn navigation_types_are_send_and_sync() {
        assert_send_sync::<FlowField>();
        assert_send_sync::<NavGrid>();
        assert_send_sync::<crate::nav::PathQueue>();
        assert_send_sync::<crate::nav::PathSearch>();
    }

    #[test]
    fn distances_match_dijkstra_and_directions_lead_to_the_goal() {
        let mut rng = Rng::new(11);
        let mut unreachable_cells = 0;
        for seed in 0..40 {
            let mut grid = random_grid(24, 24, 0.3, 1000 + seed);
            if seed % 3 == 0 {
                // Non-unit cells and shifted origin: distances scale with the cell size.
                let mut scaled = NavGrid::new(24, 24, 0.5, Vec2::new(3.0, -7.0)).unwrap();
                for y in 0..24 {
                    for x in 0..24 {
                        let cell = UVec2::new(x, y);
                        scaled.set_blocked(cell, grid.is_blocked(cell));
                    }
                }
                grid = scaled;
            }
            let goal_cell = random_walkable_cell(&grid, &mut rng).unwrap();
            let goal = grid.cell_center(goal_cell) + Vec2::splat(0.1 * grid.cell_size());
            let field = FlowField::build(&grid, goal).unwrap();
            assert_eq!(field.goal(), goal);
            assert_eq!(field.grid_revision(), grid.revision());
            assert!(!field.is_stale(&grid));
            let reference = reference_distances(&grid, goal_cell);
            let cell_count = 24 * 24;
            for y in 0..24 {
                for x in 0..24 {
                    let cell = UVec2::new(x, y);
                    let centre = grid.cell_center(cell);
                    let expected = reference[(y * 24 + x) as usize];
                    let got = field.distance_at(centre);
                    match expected {
                        None => {
                            unreachable_cells += usize::from(!grid.is_blocked(cell));
                            assert_eq!(got, None, "{cell}");
                            assert_eq!(field.direction_at(centre), None, "{cell}");
                        }
                        Some(d) => {
                            let got = got.unwrap();
                            assert!((f64::from(got) - d).abs() < 1e-4 * d.max(1.0), "{cell}");
                            if cell == goal_cell {
                                assert_eq!(field.direction_at(centre), None);
                                assert_eq!(got, 0.0);
                                continue;
                            }
                            // Follow the field cell by cell: each step is a legal move into a
                            // cell nearer the goal, and the goal is reached within cell_count steps.
                            let mut here = cell;
                            let mut steps = 0;
                            while here != goal_cell {
                                let p = grid.cell_center(here);
                                let dir = field.direction_at(p).unwrap();
                                assert!((dir.length() - 1.0).abs() < 1e-6);
                                let next = grid.cell_at(p + dir * grid.cell_size()).unwrap();
                                assert!(!grid.is_blocked(next));
                                let delta = next.as_ivec2() - here.as_ivec2();
                                assert!(delta.abs().max_element() == 1);
                                if delta.x != 0 && delta.y != 0 {
                                    let side_a = UVec2::new(next.x, here.y);
                                    let side_b = UVec2::new(here.x, next.y);
                                    assert!(!grid.is_blocked(side_a) && !grid.is_blocked(side_b));
                                }
                                let step = grid.cell_size() * delta.as_vec2().length();
                                let (d_here, d_next) = (
                                    field.distance_at(p).unwrap(),
                                    field.distance_at(grid.cell_center(next)).unwrap(),
                                );
                                assert!((d_here - (d_next + step)).abs() < 1e-3, "shortest step");
                                here = next;
                                steps += 1;
                                assert!(steps <= cell_count, "did not reach the goal");
                            }
                        }
                    }
                }
            }
        }
        assert!(
            unreachable_cells > 0,
            "the seeds must include unreachable cells"
        );
    }

    #[test]
    fn lookups_outside_or_blocked_give_none_and_errors_are_reported() {
        let mut grid = NavGrid::new(6, 4, 1.0, Vec2::ZERO).unwrap();
        grid.block_rect(Vec2::new(3.0, 0.0), Vec2::new(3.9, 4.0)); // wall at column 3
        let field = FlowField::build(&grid, Vec2::new(0.5, 0.5)).unwrap();
        assert_eq!(field.distance_at(Vec2::new(-1.0, 0.5)), None);
        assert_eq!(field.direction_at(Vec2::new(0.5, 9.0)), None);
        assert_eq!(field.distance_at(Vec2::new(3.5, 0.5)), None, "blocked");
        assert_eq!(field.direction_at(Vec2::new(5.5, 0.5)), None, "unreachable");
        assert_eq!(field.distance_at(Vec2::new(2.5, 0.5)), Some(2.0));
        assert_eq!(field.direction_at(Vec2::new(2.5, 0.5)), Some(Vec2::NEG_X));
        assert_eq!(field.direction_at(Vec2::new(0.9, 0.1)), None, "goal cell");

        assert_eq!(
            FlowField::build(&grid, Vec2::new(3.5, 1.0)).unwrap_err(),
            PathError::GoalBlocked {
                goal: Vec2::new(3.5, 1.0)
            }
        );
        assert!(matches!(
            FlowField::build(&grid, Vec2::new(7.0, 1.0)),
            Err(PathError::OutsideGrid { .. })
        ));
        assert!(matches!(
            FlowField::build(&grid, Vec2::new(f32::NAN, 1.0)),
            Err(PathError::InvalidInput { .. })
        ));

        // Staleness and in-place rebuild.
        let mut field = field;
        grid.set_blocked(UVec2::new(3, 2), false);
        assert!(field.is_stale(&grid));
        field.rebuild(&grid, Vec2::new(0.5, 0.5)).unwrap();
        assert!(!field.is_stale(&grid));
        assert!(
            field.direction_at(Vec2::new(5.5, 0.5)).is_some(),
            "door opened"
        );
    }

    #[test]
    fn traced_paths_are_shortest_walkable_routes_like_searched_ones() {
        let mut rng = Rng::new(5);
        let (mut traced, mut unreachable) = (0, 0);
        let (mut traced_length, mut searched_length) = (0.0, 0.0);
        for seed in 0..30 {
            let grid = random_grid(32, 32, 0.25, 2000 + seed);
            let goal_cell = random_walkable_cell(&grid, &mut rng).unwrap();
            let goal = grid.cell_center(goal_cell) + Vec2::new(0.2, -0.3);
            let field = FlowField::build(&grid, grid.cell_center(goal_cell)).unwrap();
            for _ in 0..20 {
                let start_cell = random_walkable_cell(&grid, &mut rng).unwrap();
                let start = grid.cell_center(start_cell) + Vec2::new(-0.25, 0.4);
                let path = field.trace_path(&grid, start, goal);
                let searched = find_path(&grid, start, goal);
                let Ok(path) = path else {
                    assert_eq!(path, Err(PathError::Unreachable { goal, expanded: 0 }));
                    assert!(matches!(searched, Err(PathError::Unreachable { .. })));
                    unreachable += 1;
                    continue;
                };
                // Every leg is walkable, the route ends exactly at the goal, and its length is
                // the sum of its legs.
                assert_eq!(path.waypoints.last(), Some(&goal));
                let mut from = start;
                let mut length = 0.0;
                for &to in &path.waypoints {
                    assert!(grid.line_of_sight(from, to), "{from} -> {to}");
                    length += from.distance(to);
                    from = to;
                }
                assert!((length - path.length).abs() < 1e-3);
                // Smoothing never lengthens the grid route: at most the cells' shortest
                // distance plus the two ends' offsets from their cell centres.
                let grid_distance = field.distance_at(start).unwrap();
                let ends = start.distance(grid.cell_center(start_cell))
                    + goal.distance(grid.cell_center(goal_cell));
                assert!(path.length <= grid_distance + ends + 1e-3);
                assert!(path.length >= start.distance(goal) - 1e-3);
                let searched = searched.unwrap();
                traced_length += path.length;
                searched_length += searched.length;
                traced += 1;
            }
        }
        assert!(
            traced > 300 && unreachable > 0,
            "{traced} traced, {unreachable} unreachable"
        );
        // Equally short grid routes smooth to slightly different corners; over many queries
        // the traced paths are as short as the searched ones.
        let ratio = traced_length / searched_length;
        assert!(
            (0.98..1.02).contains(&ratio),
            "traced / searched length {ratio}"
        );
    }

    #[test]
    fn tracing_rejects_stale_fields_and_foreign_goals() {
        let mut grid = NavGrid::new(8, 8, 1.0, Vec2::ZERO).unwrap();
        let field = FlowField::build(&grid, Vec2::new(0.5, 0.5)).unwrap();
        let start = Vec2::new(6.5, 6.5);
        let path = field.trace_path(&grid, start, Vec2::new(0.9, 0.2)).unwrap();
        assert_eq!(
            path.waypoints,
            vec![Vec2::new(0.9, 0.2)],
            "open grid: one leg"
        );
        assert!(matches!(
            field.trace_path(&grid, start, Vec2::new(1.5, 0.5)),
            Err(PathError::InvalidInput { .. })
        ));
        assert!(matches!(
            field.trace_path(&grid, Vec2::new(f32::NAN, 0.0), Vec2::new(0.5, 0.5)),
            Err(PathError::InvalidInput { .. })
        ));
        assert!(matches!(
            field.trace_path(&grid, Vec2::new(9.0, 0.0), Vec2::new(0.5, 0.5)),
            Err(PathError::OutsideGrid { .. })
        ));
        grid.set_blocked(UVec2::new(6, 6), true);
        let stale = field.trace_path(&grid, Vec2::new(3.5, 3.5), Vec2::new(0.5, 0.5));
        assert!(
            matches!(stale, Err(PathError::InvalidInput { reason }) if reason.contains("stale")),
            "{stale:?}"
        );
    }
}
