//! The grid's move set: the flow field's neighbours, and the moves jump point search
//! (`super::jump`) scans, so both use identical connectivity and costs.

use std::f32::consts::{FRAC_1_SQRT_2, SQRT_2};

use glam::Vec2;

/// Cell offset and cost (in cells) of each of the eight moves; orthogonal moves first: the move
/// indices [`for_each_neighbour`] reports and the direction tables below are checked against.
pub(crate) const MOVES: [(i32, i32, f32); 8] = [
    (1, 0, 1.0),
    (-1, 0, 1.0),
    (0, 1, 1.0),
    (0, -1, 1.0),
    (1, 1, SQRT_2),
    (-1, 1, SQRT_2),
    (1, -1, SQRT_2),
    (-1, -1, SQRT_2),
];

/// Unit world direction of each move in [`MOVES`].
pub(crate) const MOVE_DIRECTIONS: [Vec2; 8] = [
    Vec2::new(1.0, 0.0),
    Vec2::new(-1.0, 0.0),
    Vec2::new(0.0, 1.0),
    Vec2::new(0.0, -1.0),
    Vec2::new(FRAC_1_SQRT_2, FRAC_1_SQRT_2),
    Vec2::new(-FRAC_1_SQRT_2, FRAC_1_SQRT_2),
    Vec2::new(FRAC_1_SQRT_2, -FRAC_1_SQRT_2),
    Vec2::new(-FRAC_1_SQRT_2, -FRAC_1_SQRT_2),
];

/// Index of the move that undoes move `m` (the same move backwards).
pub(crate) const REVERSE_MOVE: [u8; 8] = [1, 0, 3, 2, 7, 6, 5, 4];

/// Row-major index offset of move `m` on a grid `width` cells wide.
#[cfg(test)]
pub(crate) fn move_offset(m: u8, width: u32) -> isize {
    let (dx, dy, _) = MOVES[usize::from(m)];
    dx as isize + dy as isize * width as isize
}

/// Calls `visit(neighbour_index, move_index, cost_in_cells)` for every legal move out of the
/// walkable cell `(x, y)`: into walkable cells, diagonals only when both orthogonal cells are
/// walkable (no corner cutting).
#[inline(always)]
pub(crate) fn for_each_neighbour(
    blocked: &[bool],
    width: u32,
    height: u32,
    x: u32,
    y: u32,
    mut visit: impl FnMut(usize, u8, f32),
) {
    let w = width as usize;
    let here = y as usize * w + x as usize;
    let east = x + 1 < width && !blocked[here + 1];
    let west = x > 0 && !blocked[here - 1];
    let north = y + 1 < height && !blocked[here + w];
    let south = y > 0 && !blocked[here - w];
    if east {
        visit(here + 1, 0, 1.0);
    }
    if west {
        visit(here - 1, 1, 1.0);
    }
    if north {
        visit(here + w, 2, 1.0);
    }
    if south {
        visit(here - w, 3, 1.0);
    }
    if north && east && !blocked[here + w + 1] {
        visit(here + w + 1, 4, SQRT_2);
    }
    if north && west && !blocked[here + w - 1] {
        visit(here + w - 1, 5, SQRT_2);
    }
    if south && east && !blocked[here - w + 1] {
        visit(here - w + 1, 6, SQRT_2);
    }
    if south && west && !blocked[here - w - 1] {
        visit(here - w - 1, 7, SQRT_2);
    }
}

/// Octile distance in cells: the exact grid distance on an empty grid, an admissible and
/// consistent A* heuristic.
#[inline]
pub(crate) fn octile_cells(dx: u32, dy: u32) -> f32 {
    let (long, short) = if dx > dy { (dx, dy) } else { (dy, dx) };
    long as f32 + (SQRT_2 - 1.0) * short as f32
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn move_tables_are_consistent() {
        for m in 0..8u8 {
            let (dx, dy, cost) = MOVES[usize::from(m)];
            let r = REVERSE_MOVE[usize::from(m)];
            let (rx, ry, rcost) = MOVES[usize::from(r)];
            assert_eq!((dx + rx, dy + ry), (0, 0));
            assert_eq!(cost, rcost);
            assert_eq!(move_offset(m, 10), -move_offset(r, 10));
            let dir = MOVE_DIRECTIONS[usize::from(m)];
            assert!((dir - Vec2::new(dx as f32, dy as f32).normalize()).length() < 1e-6);
            assert!((Vec2::new(dx as f32, dy as f32).length() - cost).abs() < 1e-6);
        }
        assert_eq!(octile_cells(3, 5), 5.0 + 3.0 * (SQRT_2 - 1.0));
    }
}
