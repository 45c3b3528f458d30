//! Exact grid line of sight (Amanatides-Woo traversal).

use glam::{DVec2, Vec2};

use super::NavGrid;

/// Distance along the segment, in cells, within which two cell-boundary crossings count as one
/// crossing through a grid corner. Such a step then needs both orthogonal cells walkable, like a
/// diagonal move, so a segment never squeezes between two blocked cells that touch at a corner.
const CORNER_TOLERANCE_CELLS: f64 = 1e-3;

impl NavGrid {
    /// Whether the segment `from -> to` crosses walkable cells only.
    ///
    /// Visits every cell the segment passes through (Amanatides-Woo traversal). Where the segment
    /// passes through a grid corner (within 0.001 cells), both cells beside the corner must be
    /// walkable too, matching the pathfinder's "no corner cutting" rule. `false` if either end is
    /// outside the grid or not finite.
    pub fn line_of_sight(&self, from: Vec2, to: Vec2) -> bool {
        let frame = self.frame();
        let (Some(from_cell), Some(to_cell)) = (frame.cell_at(from), frame.cell_at(to)) else {
            return false;
        };
        if self.is_blocked(from_cell) || self.is_blocked(to_cell) {
            return false;
        }
        if from_cell == to_cell {
            return true;
        }
        // f64 so that corner crossings of long segments are still recognised as ties.
        let cell_size = f64::from(frame.cell_size);
        let origin = frame.origin.as_dvec2();
        let start = (from.as_dvec2() - origin) / cell_size;
        let delta = (to.as_dvec2() - origin) / cell_size - start;
        let tie_tolerance = CORNER_TOLERANCE_CELLS / delta.length();
        let inverse = DVec2::ONE / delta; // infinite on an axis the segment does not move along

        let (mut x, mut y) = (i64::from(from_cell.x), i64::from(from_cell.y));
        let (end_x, end_y) = (i64::from(to_cell.x), i64::from(to_cell.y));
        // The end cell lies on the side the segment moves to, so stepping towards it is stepping
        // along the segment.
        let step_x = if end_x > x { 1 } else { -1 };
        let step_y = if end_y > y { 1 } else { -1 };
        // Integer termination: exactly |dx| + |dy| cell steps (a corner step counts as two).
        while (x, y) != (end_x, end_y) {
            if x == end_x {
                y += step_y;
            } else if y == end_y {
                x += step_x;
            } else {
                // Parameter t in [0, 1] at which the segment crosses the next vertical / horizontal
                // cell boundary.
                let boundary_x = (x + i64::from(step_x > 0)) as f64;
                let boundary_y = (y + i64::from(step_y > 0)) as f64;
                let t_x = (boundary_x - start.x) * inverse.x;
                let t_y = (boundary_y - start.y) * inverse.y;
                if (t_x - t_y).abs() <= tie_tolerance {
                    if self.is_blocked_signed(x + step_x, y)
                        || self.is_blocked_signed(x, y + step_y)
                    {
                        return false;
                    }
                    x += step_x;
                    y += step_y;
                } else if t_x < t_y {
                    x += step_x;
                } else {
                    y += step_y;
                }
            }
            if self.is_blocked_signed(x, y) {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use glam::{UVec2, Vec2};

    use crate::nav::NavGrid;
    use crate::nav::test_support::{Rng, random_grid};

    /// Reference: walk the segment in steps of 1/512 cell and require every sample to be walkable.
    fn sampled_line_of_sight(grid: &NavGrid, a: Vec2, b: Vec2) -> bool {
        let samples = ((b - a).length() / grid.cell_size() * 512.0)
            .ceil()
            .max(1.0) as u32;
        (0..=samples).all(|i| grid.is_walkable_at(a.lerp(b, i as f32 / samples as f32)))
    }

    /// Distance, in cells, from the segment to the nearest grid corner (lattice point).
    fn distance_to_nearest_corner(grid: &NavGrid, a: Vec2, b: Vec2) -> f32 {
        let (la, lb) = (
            (a - grid.origin()) / grid.cell_size(),
            (b - grid.origin()) / grid.cell_size(),
        );
        let (low, high) = (la.min(lb).floor(), la.max(lb).ceil());
        let mut best = f32::INFINITY;
        for y in low.y as i32..=high.y as i32 {
            for x in low.x as i32..=high.x as i32 {
                let p = Vec2::new(x as f32, y as f32);
                let d = lb - la;
                let t = ((p - la).dot(d) / d.length_squared()).clamp(0.0, 1.0);
                best = best.min((la + d * t).distance(p));
            }
        }
        best
    }

    #[test]
    fn line_of_sight_matches_dense_sampling_reference() {
        let mut rng = Rng::new(5);
        let (mut checked, mut visible, mut near_corner_disagreements) = (0, 0, 0);
        for seed in 0..80 {
            let mut grid = random_grid(20, 20, 0.15, seed);
            // Also exercise a non-unit cell size and a shifted origin.
            if seed % 2 == 1 {
                let mut scaled = NavGrid::new(20, 20, 0.7, Vec2::new(-5.0, 3.0)).unwrap();
                for y in 0..20 {
                    for x in 0..20 {
                        let cell = UVec2::new(x, y);
                        scaled.set_blocked(cell, grid.is_blocked(cell));
                    }
                }
                grid = scaled;
            }
            let extent = grid.cell_size() * 20.0;
            for _ in 0..40 {
                let mut point = || {
                    grid.origin()
                        + Vec2::new(rng.range(-0.05, 1.05), rng.range(-0.05, 1.05)) * extent
                };
                let (a, b) = (point(), point());
                let exact = grid.line_of_sight(a, b);
                let sampled = sampled_line_of_sight(&grid, a, b);
                checked += 1;
                visible += usize::from(exact);
                if exact != sampled {
                    // Sampling can step over a cell clipped by less than 1/512 cell, and the
                    // exact test treats passing through a corner conservatively: both only
                    // happen right next to a grid corner.
                    let d = distance_to_nearest_corner(&grid, a, b);
                    assert!(
                        d < 0.01,
                        "{a} -> {b}: exact {exact}, sampled {sampled}, corner {d}"
                    );
                    near_corner_disagreements += 1;
                }
                assert_eq!(exact, grid.line_of_sight(b, a), "symmetric");
            }
        }
        assert!(
            visible > checked / 10 && visible < checked * 9 / 10,
            "{visible}/{checked}"
        );
        assert!(
            near_corner_disagreements * 100 <= checked,
            "{near_corner_disagreements}"
        );
    }

    #[test]
    fn line_of_sight_does_not_cut_corners() {
        // . #     Diagonal from (0,0) to (1,1) passes exactly through the shared corner.
        // . .
        let mut grid = NavGrid::new(2, 2, 1.0, Vec2::ZERO).unwrap();
        let (a, b) = (Vec2::new(0.5, 0.5), Vec2::new(1.5, 1.5));
        assert!(grid.line_of_sight(a, b));
        grid.set_blocked(UVec2::new(1, 0), true);
        assert!(!grid.line_of_sight(a, b));
        assert!(!grid.line_of_sight(b, a));
        // Slightly off the corner on the open side it is visible again.
        assert!(grid.line_of_sight(Vec2::new(0.5, 0.6), Vec2::new(1.4, 1.5)));
        // Long diagonal from a shifted origin through many exact corners.
        let mut big = NavGrid::new(64, 64, 0.25, Vec2::new(100.0, -40.0)).unwrap();
        let (from, to) = (
            big.cell_center(UVec2::new(1, 1)),
            big.cell_center(UVec2::new(60, 60)),
        );
        assert!(big.line_of_sight(from, to));
        big.set_blocked(UVec2::new(31, 30), true);
        assert!(!big.line_of_sight(from, to));
    }

    #[test]
    fn line_of_sight_needs_both_ends_inside_and_walkable() {
        let mut grid = NavGrid::new(4, 4, 1.0, Vec2::ZERO).unwrap();
        let inside = Vec2::new(0.5, 0.5);
        assert!(grid.line_of_sight(inside, inside));
        assert!(grid.line_of_sight(inside, Vec2::new(3.9, 0.2)));
        assert!(!grid.line_of_sight(inside, Vec2::new(4.5, 0.5)));
        assert!(!grid.line_of_sight(Vec2::new(-0.1, 0.5), inside));
        assert!(!grid.line_of_sight(inside, Vec2::new(f32::NAN, 0.5)));
        grid.set_blocked(UVec2::new(0, 0), true);
        assert!(!grid.line_of_sight(inside, inside));
        assert!(!grid.line_of_sight(Vec2::new(3.5, 3.5), inside));
        // A wall between two open cells.
        grid.set_blocked(UVec2::new(2, 1), true);
        assert!(!grid.line_of_sight(Vec2::new(1.5, 1.5), Vec2::new(3.5, 1.5)));
        assert!(grid.line_of_sight(Vec2::new(1.5, 2.5), Vec2::new(3.5, 2.5)));
    }
}
