//! Jump point search (Harabor and Grastien, 2011) on the grid's move set: 8-connected, uniform
//! costs, no corner cutting (a diagonal step needs both orthogonal cells open).
//!
//! On a uniform-cost grid most cells have several optimal paths through them, and A* expands
//! all of them. Jump point search expands only the cells where an optimal path may have to
//! turn: from an expanded cell it scans straight and diagonal lines and stops at a *jump point*,
//! a cell with a neighbour that no optimal path reaches except through it (a wall ends beside
//! the line), or the goal. Everything between two jump points lies on a straight or diagonal
//! line, so [`PathSearch`](super::PathSearch) only needs the jump points and their parents, and
//! the costs it finds are those of A* (checked against Dijkstra in the nav tests).
//!
//! The pruning rules for grids without corner cutting:
//!
//! * Straight move `(dx, 0)`: from a jump point, carry on straight, turn to either side
//!   (`(0, ±1)`), or step diagonally forward (`(dx, ±1)`). A cell of the scan is a jump point
//!   when a side cell is open but the cell behind it is blocked: a diagonal step could not have
//!   reached that side cell past the wall, so the optimal path to it may turn here. Vertical
//!   moves likewise.
//! * Diagonal move `(dx, dy)`: carry on diagonally or along either of its two components. A
//!   cell of the scan is a jump point when a straight scan from it along either component
//!   finds one.

use std::cell::Cell;

use glam::IVec2;

/// The open/blocked grid a search scans, and the goal every scan stops at.
pub(crate) struct Jumper<'a> {
    blocked: &'a [bool],
    width: i32,
    height: i32,
    goal: IVec2,
    /// Cells the scans have stepped onto so far (the work they did).
    scanned: Cell<u64>,
}

impl<'a> Jumper<'a> {
    /// A jumper over the row-major `blocked` cells of a `width x height` grid.
    pub(crate) fn new(blocked: &'a [bool], width: u32, height: u32, goal: IVec2) -> Self {
        Self {
            blocked,
            width: width as i32,
            height: height as i32,
            goal,
            scanned: Cell::new(0),
        }
    }

    /// Cells the scans of this jumper have stepped onto, nested scans included.
    pub(crate) fn cells_scanned(&self) -> u64 {
        self.scanned.get()
    }

    /// Whether `(x, y)` is inside the grid and walkable.
    #[inline(always)]
    fn open(&self, x: i32, y: i32) -> bool {
        x >= 0
            && y >= 0
            && x < self.width
            && y < self.height
            && !self.blocked[(y * self.width + x) as usize]
    }

    /// Whether the step by `(dx, dy)` out of `(x, y)` is legal: into an open cell and, for a
    /// diagonal, past two open orthogonal cells.
    #[inline(always)]
    fn can_step(&self, x: i32, y: i32, dx: i32, dy: i32) -> bool {
        self.open(x + dx, y + dy)
            && (dx == 0 || dy == 0 || (self.open(x + dx, y) && self.open(x, y + dy)))
    }

    /// The next jump point from `from` in direction `(dx, dy)` (each -1, 0 or 1, not both 0),
    /// or `None` when the scan runs into a wall or the grid's edge first.
    pub(crate) fn jump(&self, from: IVec2, dx: i32, dy: i32) -> Option<IVec2> {
        let (mut x, mut y) = (from.x, from.y);
        loop {
            if !self.can_step(x, y, dx, dy) {
                return None;
            }
            x += dx;
            y += dy;
            self.scanned.set(self.scanned.get() + 1);
            let here = IVec2::new(x, y);
            if here == self.goal {
                return Some(here);
            }
            let turns = if dx != 0 && dy != 0 {
                self.jump(here, dx, 0).is_some() || self.jump(here, 0, dy).is_some()
            } else if dx != 0 {
                (self.open(x, y - 1) && !self.open(x - dx, y - 1))
                    || (self.open(x, y + 1) && !self.open(x - dx, y + 1))
            } else {
                (self.open(x - 1, y) && !self.open(x - 1, y - dy))
                    || (self.open(x + 1, y) && !self.open(x + 1, y - dy))
            };
            if turns {
                return Some(here);
            }
        }
    }
}

/// The directions to scan from a jump point reached in direction `(dx, dy)` (the signs of its
/// offset from its parent; `(0, 0)` for the start, which scans all eight), as `(dx, dy)` pairs
/// in `out`. Illegal ones are harmless: the scan stops at once.
pub(crate) fn successor_directions(dx: i32, dy: i32, out: &mut Vec<(i32, i32)>) {
    out.clear();
    match (dx, dy) {
        (0, 0) => out.extend_from_slice(&[
            (1, 0),
            (-1, 0),
            (0, 1),
            (0, -1),
            (1, 1),
            (-1, 1),
            (1, -1),
            (-1, -1),
        ]),
        (dx, 0) => out.extend_from_slice(&[(dx, 0), (0, 1), (0, -1), (dx, 1), (dx, -1)]),
        (0, dy) => out.extend_from_slice(&[(0, dy), (1, 0), (-1, 0), (1, dy), (-1, dy)]),
        (dx, dy) => out.extend_from_slice(&[(dx, dy), (dx, 0), (0, dy)]),
    }
}
