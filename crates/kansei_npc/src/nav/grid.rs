//! The walkability grid: storage, coordinate conversion, editing and nearest-walkable queries.

use std::fmt;

use glam::{DVec2, UVec2, Vec2};

use super::error::NavError;

/// Largest number of cells allowed along either side of a [`NavGrid`] (so at most 4096 x 4096 cells).
pub const MAX_GRID_SIDE: u32 = 4096;

/// Geometry of a grid (size, cell size, origin) without its contents.
///
/// Shared by [`NavGrid`] and [`FlowField`](super::FlowField) so both convert world points to cells
/// with exactly the same arithmetic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GridFrame {
    pub width: u32,
    pub height: u32,
    pub cell_size: f32,
    pub origin: Vec2,
}

impl GridFrame {
    /// World point to grid-local coordinates in cells (cell `(i, j)` covers `[i, i+1) x [j, j+1)`).
    #[inline]
    pub fn to_local(self, p: Vec2) -> Vec2 {
        (p - self.origin) / self.cell_size
    }

    /// The cell containing `p`, `None` outside the grid or for non-finite points.
    #[inline]
    pub fn cell_at(self, p: Vec2) -> Option<UVec2> {
        let local = self.to_local(p);
        if !local.is_finite() || local.x < 0.0 || local.y < 0.0 {
            return None;
        }
        // Truncation equals floor for non-negative values; huge values saturate and fail the range test.
        let (x, y) = (local.x as u32, local.y as u32);
        (x < self.width && y < self.height).then_some(UVec2::new(x, y))
    }

    #[inline]
    pub fn contains(self, cell: UVec2) -> bool {
        cell.x < self.width && cell.y < self.height
    }

    /// Row-major index of an in-range cell.
    #[inline]
    pub fn index_of(self, cell: UVec2) -> usize {
        cell.y as usize * self.width as usize + cell.x as usize
    }

    /// Inverse of [`Self::index_of`].
    #[inline]
    pub fn cell_of_index(self, index: usize) -> UVec2 {
        let width = self.width as usize;
        UVec2::new((index % width) as u32, (index / width) as u32)
    }

    #[inline]
    pub fn cell_center(self, cell: UVec2) -> Vec2 {
        self.origin + (cell.as_vec2() + 0.5) * self.cell_size
    }

    #[inline]
    pub fn cell_count(self) -> usize {
        self.width as usize * self.height as usize
    }
}

/// Walkability grid on the XZ ground plane (`Vec2` = world x,z).
///
/// Cell `(i, j)` covers world `origin + [i, i+1) x [j, j+1) * cell_size`. Movement is 8-connected
/// without corner cutting: a diagonal step needs both orthogonal neighbours walkable. Orthogonal
/// steps cost `cell_size`, diagonal steps `sqrt(2) * cell_size`.
///
/// Every change of walkability bumps [`revision`](Self::revision), so caches built from the grid
/// (flow fields, queued searches) can tell they are stale.
#[derive(Clone)]
pub struct NavGrid {
    frame: GridFrame,
    /// Row-major, `true` = blocked.
    blocked: Vec<bool>,
    revision: u64,
}

impl fmt::Debug for NavGrid {
    /// Summarises the grid instead of printing every cell (grids reach 16 million cells).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NavGrid")
            .field("width", &self.frame.width)
            .field("height", &self.frame.height)
            .field("cell_size", &self.frame.cell_size)
            .field("origin", &self.frame.origin)
            .field("blocked_cells", &self.blocked_count())
            .field("revision", &self.revision)
            .finish()
    }
}

impl NavGrid {
    /// Creates a fully walkable grid of `width x height` cells whose cell `(0, 0)` has its minimum
    /// corner at `origin`.
    ///
    /// Refuses empty grids, sides above [`MAX_GRID_SIDE`] (4096) cells, a cell size that is not
    /// finite and above zero, and a non-finite origin (or one whose far corner overflows).
    pub fn new(width: u32, height: u32, cell_size: f32, origin: Vec2) -> Result<Self, NavError> {
        if width == 0 || height == 0 {
            return Err(NavError::EmptyGrid { width, height });
        }
        if width > MAX_GRID_SIDE || height > MAX_GRID_SIDE {
            return Err(NavError::TooLarge {
                width,
                height,
                max: MAX_GRID_SIDE,
            });
        }
        let extent = UVec2::new(width, height).as_vec2() * cell_size;
        if !(cell_size.is_finite() && cell_size > 0.0 && extent.is_finite()) {
            return Err(NavError::InvalidCellSize { cell_size });
        }
        if !origin.is_finite() || !(origin + extent).is_finite() {
            return Err(NavError::InvalidOrigin { origin });
        }
        let frame = GridFrame {
            width,
            height,
            cell_size,
            origin,
        };
        Ok(Self {
            frame,
            blocked: vec![false; frame.cell_count()],
            revision: 0,
        })
    }

    /// Number of columns (cells along world x).
    pub fn width(&self) -> u32 {
        self.frame.width
    }

    /// Number of rows (cells along world z).
    pub fn height(&self) -> u32 {
        self.frame.height
    }

    /// Side length of one square cell in world units.
    pub fn cell_size(&self) -> f32 {
        self.frame.cell_size
    }

    /// World position of the minimum corner of cell `(0, 0)`.
    pub fn origin(&self) -> Vec2 {
        self.frame.origin
    }

    /// Counter bumped whenever the walkability of at least one cell changes (starts at 0).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Number of blocked cells.
    pub fn blocked_count(&self) -> usize {
        self.blocked.iter().filter(|&&b| b).count()
    }

    /// Blocks or unblocks one cell. Cells out of range are ignored. The revision is bumped only
    /// when the cell actually changes.
    pub fn set_blocked(&mut self, cell: UVec2, blocked: bool) {
        if !self.frame.contains(cell) {
            return;
        }
        let index = self.frame.index_of(cell);
        if self.blocked[index] != blocked {
            self.blocked[index] = blocked;
            self.revision += 1;
        }
    }

    /// Blocks every cell whose centre lies inside the world rectangle spanned by `min` and `max`
    /// (edges included; the corners may be given in any order). The rectangle is clamped to the
    /// grid; a non-finite corner makes this a no-op.
    pub fn block_rect(&mut self, min: Vec2, max: Vec2) {
        self.set_rect_blocked(min, max, true);
    }

    /// Like [`block_rect`](Self::block_rect), but sets the cells to `blocked` (so `false` clears a
    /// rectangle). The revision is bumped once if any cell changed.
    pub fn set_rect_blocked(&mut self, min: Vec2, max: Vec2, blocked: bool) {
        if !min.is_finite() || !max.is_finite() {
            return;
        }
        let low = self.frame.to_local(min.min(max));
        let high = self.frame.to_local(min.max(max));
        // Cell i's centre is at local i + 0.5, so it is inside when low <= i + 0.5 <= high.
        let first = (low - 0.5).ceil().max(Vec2::ZERO);
        let last = (high - 0.5)
            .floor()
            .min(UVec2::new(self.frame.width - 1, self.frame.height - 1).as_vec2());
        if !first.is_finite() || !last.is_finite() || first.x > last.x || first.y > last.y {
            return;
        }
        let mut changed = false;
        for y in first.y as u32..=last.y as u32 {
            for x in first.x as u32..=last.x as u32 {
                let index = self.frame.index_of(UVec2::new(x, y));
                changed |= self.blocked[index] != blocked;
                self.blocked[index] = blocked;
            }
        }
        if changed {
            self.revision += 1;
        }
    }

    /// Whether `cell` is blocked. Cells out of range count as blocked.
    pub fn is_blocked(&self, cell: UVec2) -> bool {
        !self.frame.contains(cell) || self.blocked[self.frame.index_of(cell)]
    }

    /// Whether `p` lies in a walkable cell of the grid (`false` outside or for non-finite points).
    pub fn is_walkable_at(&self, p: Vec2) -> bool {
        self.cell_at(p).is_some_and(|cell| !self.is_blocked(cell))
    }

    /// The cell containing `p`; `None` outside the grid or for non-finite points.
    pub fn cell_at(&self, p: Vec2) -> Option<UVec2> {
        self.frame.cell_at(p)
    }

    /// World position of the centre of `cell` (also computed for cells out of range).
    pub fn cell_center(&self, cell: UVec2) -> Vec2 {
        self.frame.cell_center(cell)
    }

    /// The walkable point nearest to `p`: `p` itself if it is walkable, otherwise the centre of the
    /// walkable cell whose centre is nearest to `p` (Euclidean), among the cells at most
    /// `max_radius_cells` rings (Chebyshev distance) from the cell containing `p`. Works for points
    /// outside the grid too. `None` if there is no such cell or `p` is not finite.
    pub fn nearest_walkable(&self, p: Vec2, max_radius_cells: u32) -> Option<Vec2> {
        if !p.is_finite() {
            return None;
        }
        if self.is_walkable_at(p) {
            return Some(p);
        }
        // f64 and a clamp keep far-away points (even 1e30) free of overflow; beyond a billion
        // cells the clamp does not change which grid cell is nearest.
        let local = self
            .frame
            .to_local(p)
            .as_dvec2()
            .clamp(DVec2::splat(-1e9), DVec2::splat(1e9));
        if !local.is_finite() {
            return None;
        }
        let (width, height) = (i64::from(self.frame.width), i64::from(self.frame.height));
        let (cx, cy) = (local.x.floor() as i64, local.y.floor() as i64);
        // Rings before `first_ring` miss the grid entirely and rings after `last_ring` hold no
        // grid cell, so only those in between are scanned (max_radius may be u32::MAX).
        let first_ring = [0, -cx, cx - (width - 1), -cy, cy - (height - 1)]
            .into_iter()
            .max()
            .unwrap_or(0);
        let last_ring = [cx, width - 1 - cx, cy, height - 1 - cy]
            .into_iter()
            .map(i64::abs)
            .max()
            .unwrap_or(0)
            .min(i64::from(max_radius_cells));

        let mut best: Option<(f64, UVec2)> = None;
        let consider = |x: i64, y: i64, best: &mut Option<(f64, UVec2)>| {
            if x < 0 || y < 0 || x >= width || y >= height {
                return;
            }
            let cell = UVec2::new(x as u32, y as u32);
            if self.blocked[self.frame.index_of(cell)] {
                return;
            }
            let distance_sq = (cell.as_dvec2() + 0.5 - local).length_squared();
            if best.is_none_or(|(best_sq, _)| distance_sq < best_sq) {
                *best = Some((distance_sq, cell));
            }
        };
        for ring in first_ring..=last_ring {
            // p lies inside cell (cx, cy), so every centre on ring r is at least r - 0.5 cells away.
            if let Some((best_sq, _)) = best {
                let ring_min = ring as f64 - 0.5;
                if ring_min * ring_min > best_sq {
                    break;
                }
            }
            if ring == 0 {
                consider(cx, cy, &mut best);
                continue;
            }
            // Top and bottom rows of the ring, clipped to the grid's columns.
            let (x_from, x_to) = ((cx - ring).max(0), (cx + ring).min(width - 1));
            for x in x_from..=x_to {
                consider(x, cy - ring, &mut best);
                consider(x, cy + ring, &mut best);
            }
            // Left and right columns without the corners, clipped to the grid's rows.
            let (y_from, y_to) = ((cy - ring + 1).max(0), (cy + ring - 1).min(height - 1));
            for y in y_from..=y_to {
                consider(cx - ring, y, &mut best);
                consider(cx + ring, y, &mut best);
            }
        }
        best.map(|(_, cell)| self.frame.cell_center(cell))
    }

    /// The grid's geometry.
    pub(crate) fn frame(&self) -> GridFrame {
        self.frame
    }

    /// Row-major blocked flags, for hot loops that index cells directly.
    pub(crate) fn blocked_cells(&self) -> &[bool] {
        &self.blocked
    }

    /// Whether the cell at signed coordinates is blocked (out of range = blocked).
    #[inline]
    pub(crate) fn is_blocked_signed(&self, x: i64, y: i64) -> bool {
        if x < 0 || y < 0 || x >= i64::from(self.frame.width) || y >= i64::from(self.frame.height) {
            return true;
        }
        self.blocked[y as usize * self.frame.width as usize + x as usize]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::nav::test_support::{Rng, random_grid};

    #[test]
    fn new_rejects_bad_sizes_and_says_why() {
        let err = NavGrid::new(0, 5, 1.0, Vec2::ZERO).unwrap_err();
        assert_eq!(
            err,
            NavError::EmptyGrid {
                width: 0,
                height: 5
            }
        );
        assert_eq!(
            err.to_string(),
            "a navigation grid needs at least one cell on each side, but 0 x 5 cells were requested"
        );
        assert!(matches!(
            NavGrid::new(5, 0, 1.0, Vec2::ZERO),
            Err(NavError::EmptyGrid { .. })
        ));
        let err = NavGrid::new(4097, 10, 1.0, Vec2::ZERO).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a navigation grid of 4097 x 10 cells is too large: each side may have at most 4096 cells"
        );
        assert!(matches!(
            NavGrid::new(10, 4097, 1.0, Vec2::ZERO),
            Err(NavError::TooLarge { max: 4096, .. })
        ));
        for bad in [0.0, -1.0, f32::NAN, f32::INFINITY, f32::MAX] {
            let err = NavGrid::new(10, 10, bad, Vec2::ZERO).unwrap_err();
            assert!(
                matches!(err, NavError::InvalidCellSize { .. }),
                "{bad}: {err:?}"
            );
        }
        assert!(
            NavGrid::new(10, 10, -1.0, Vec2::ZERO)
                .unwrap_err()
                .to_string()
                .contains("greater than zero")
        );
        for bad in [
            Vec2::new(f32::NAN, 0.0),
            Vec2::new(0.0, f32::NEG_INFINITY),
            Vec2::splat(f32::MAX),
        ] {
            let err = NavGrid::new(10, 10, 1e36, bad).unwrap_err();
            assert!(
                matches!(err, NavError::InvalidOrigin { .. }),
                "{bad}: {err:?}"
            );
        }
        assert_eq!(
            NavGrid::new(2, 2, 1.0, Vec2::new(f32::NAN, 1.0))
                .unwrap_err()
                .to_string(),
            "the navigation grid origin (NaN, 1) must be finite and leave the grid's far corner finite"
        );
    }

    #[test]
    fn new_accepts_the_largest_grid_and_starts_walkable() {
        let grid = NavGrid::new(MAX_GRID_SIDE, 1, 0.5, Vec2::new(-3.0, 7.0)).unwrap();
        assert_eq!((grid.width(), grid.height()), (4096, 1));
        assert_eq!(grid.cell_size(), 0.5);
        assert_eq!(grid.origin(), Vec2::new(-3.0, 7.0));
        assert_eq!(grid.revision(), 0);
        assert_eq!(grid.blocked_count(), 0);
        assert_eq!(
            format!("{grid:?}"),
            "NavGrid { width: 4096, height: 1, cell_size: 0.5, origin: Vec2(-3.0, 7.0), \
             blocked_cells: 0, revision: 0 }"
        );
    }

    #[test]
    fn cell_at_and_cell_center_agree() {
        let grid = NavGrid::new(8, 5, 0.5, Vec2::new(-2.0, 1.0)).unwrap();
        for y in 0..5 {
            for x in 0..8 {
                let cell = UVec2::new(x, y);
                let centre = grid.cell_center(cell);
                assert_eq!(grid.cell_at(centre), Some(cell));
                // Minimum corner belongs to the cell, the far corner to the next one.
                let corner = grid.origin() + cell.as_vec2() * 0.5;
                assert_eq!(grid.cell_at(corner), Some(cell));
            }
        }
        assert_eq!(grid.cell_center(UVec2::new(0, 0)), Vec2::new(-1.75, 1.25));
        assert_eq!(grid.cell_at(Vec2::new(-2.01, 1.5)), None);
        assert_eq!(grid.cell_at(Vec2::new(2.0, 1.5)), None); // x = origin + width * cell exactly
        assert_eq!(grid.cell_at(Vec2::new(0.0, 3.5)), None);
        assert_eq!(grid.cell_at(Vec2::new(f32::NAN, 1.5)), None);
        assert_eq!(grid.cell_at(Vec2::new(1e30, 1.5)), None);
        assert_eq!(grid.cell_at(Vec2::new(0.0, f32::INFINITY)), None);
    }

    #[test]
    fn set_blocked_ignores_out_of_range_and_bumps_revision_only_on_change() {
        let mut grid = NavGrid::new(4, 4, 1.0, Vec2::ZERO).unwrap();
        grid.set_blocked(UVec2::new(4, 0), true);
        grid.set_blocked(UVec2::new(0, 9), true);
        assert_eq!((grid.revision(), grid.blocked_count()), (0, 0));
        grid.set_blocked(UVec2::new(1, 2), true);
        assert_eq!(grid.revision(), 1);
        grid.set_blocked(UVec2::new(1, 2), true);
        assert_eq!(grid.revision(), 1);
        assert!(grid.is_blocked(UVec2::new(1, 2)));
        assert!(!grid.is_walkable_at(Vec2::new(1.5, 2.5)));
        assert!(grid.is_walkable_at(Vec2::new(0.5, 2.5)));
        assert!(!grid.is_walkable_at(Vec2::new(-0.5, 2.5)));
        assert!(
            grid.is_blocked(UVec2::new(4, 0)),
            "out of range counts as blocked"
        );
        grid.set_blocked(UVec2::new(1, 2), false);
        assert_eq!((grid.revision(), grid.blocked_count()), (2, 0));
    }

    #[test]
    fn block_rect_blocks_exactly_the_cells_whose_centre_is_inside() {
        let mut rng = Rng::new(7);
        for _ in 0..200 {
            let mut grid = NavGrid::new(12, 9, 0.75, Vec2::new(-3.0, 2.0)).unwrap();
            let a = Vec2::new(rng.range(-5.0, 8.0), rng.range(0.0, 10.0));
            let b = Vec2::new(rng.range(-5.0, 8.0), rng.range(0.0, 10.0));
            grid.block_rect(a, b);
            let (low, high) = (a.min(b), a.max(b));
            let mut expected = 0;
            for y in 0..9 {
                for x in 0..12 {
                    let cell = UVec2::new(x, y);
                    let c = grid.cell_center(cell);
                    let inside = c.cmpge(low).all() && c.cmple(high).all();
                    expected += usize::from(inside);
                    assert_eq!(grid.is_blocked(cell), inside, "{cell} rect {a} {b}");
                }
            }
            assert_eq!(grid.revision(), u64::from(expected > 0));
        }
        // Edges are inclusive, clamping works, non-finite corners are ignored.
        let mut grid = NavGrid::new(4, 4, 1.0, Vec2::ZERO).unwrap();
        grid.block_rect(Vec2::new(0.5, 0.5), Vec2::new(1.5, 0.5));
        assert_eq!(grid.blocked_count(), 2);
        grid.block_rect(Vec2::new(-100.0, 3.2), Vec2::new(100.0, 100.0));
        assert_eq!(grid.blocked_count(), 2 + 4);
        grid.block_rect(Vec2::new(f32::NAN, 0.0), Vec2::new(3.0, 3.0));
        assert_eq!(grid.blocked_count(), 6);
        grid.set_rect_blocked(Vec2::ZERO, Vec2::splat(4.0), false);
        assert_eq!((grid.blocked_count(), grid.revision()), (0, 3));
    }

    #[test]
    fn nearest_walkable_matches_brute_force() {
        let mut rng = Rng::new(99);
        for seed in 0..60 {
            let grid = random_grid(16, 12, 0.6, seed);
            for _ in 0..20 {
                let p = Vec2::new(rng.range(-4.0, 20.0), rng.range(-4.0, 16.0));
                let radius = rng.below(6);
                let found = grid.nearest_walkable(p, radius);
                if grid.is_walkable_at(p) {
                    assert_eq!(found, Some(p));
                    continue;
                }
                let (cx, cy) = (p.x.floor() as i64, p.y.floor() as i64);
                let mut best: Option<f32> = None;
                for y in 0..12_i64 {
                    for x in 0..16_i64 {
                        let cell = UVec2::new(x as u32, y as u32);
                        let ring = (x - cx).abs().max((y - cy).abs());
                        if grid.is_blocked(cell) || ring > i64::from(radius) {
                            continue;
                        }
                        let d = grid.cell_center(cell).distance(p);
                        best = Some(best.map_or(d, |b: f32| b.min(d)));
                    }
                }
                match (found, best) {
                    (None, None) => {}
                    (Some(q), Some(d)) => {
                        assert!(
                            (q.distance(p) - d).abs() < 1e-5,
                            "{p} r{radius}: {q} vs {d}"
                        );
                        assert!(grid.is_walkable_at(q));
                    }
                    other => panic!("{p} r{radius}: {other:?}"),
                }
            }
        }
        let grid = random_grid(4, 4, 1.0, 1);
        assert_eq!(grid.nearest_walkable(Vec2::splat(2.0), u32::MAX), None);
        assert_eq!(grid.nearest_walkable(Vec2::splat(-1e30), u32::MAX), None);
        let open = NavGrid::new(4, 4, 1.0, Vec2::ZERO).unwrap();
        let far = open.nearest_walkable(Vec2::new(-1e5, 2.5), u32::MAX);
        assert_eq!(far, Some(Vec2::new(0.5, 2.5)));
        // Absurdly far points still get an answer (which edge cell is below f64 resolution).
        let absurd = open
            .nearest_walkable(Vec2::new(-1e30, 2.5), u32::MAX)
            .unwrap();
        assert_eq!(absurd.x, 0.5);
        assert_eq!(open.nearest_walkable(Vec2::new(-1e30, 2.5), 1000), None);
        // Cell (9, 9) is six rings from the grid's corner cell (3, 3).
        let beyond_corner = Vec2::new(9.2, 9.9);
        assert_eq!(
            open.nearest_walkable(beyond_corner, 6),
            Some(Vec2::splat(3.5))
        );
        assert_eq!(open.nearest_walkable(beyond_corner, 5), None);
        assert_eq!(grid.nearest_walkable(Vec2::NAN, 3), None);
    }
}
