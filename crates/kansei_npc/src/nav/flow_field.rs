//! Flow fields: one Dijkstra integration field shared by every agent heading to the same goal.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;

use glam::Vec2;

use super::grid::GridFrame;
use super::neighbours::{MOVE_DIRECTIONS, REVERSE_MOVE, for_each_neighbour};
use super::search::validate_goal;
use super::{NavGrid, PathError};

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
    use crate::nav::{NavGrid, PathError};

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
}
