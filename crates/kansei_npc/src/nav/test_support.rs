//! Shared helpers for the module's tests: a seeded RNG, random grids and brute-force references.

use glam::{UVec2, Vec2};

use super::NavGrid;

/// The crate's seeded generator, under the name these tests use.
pub use crate::rng::SeededRng as Rng;

/// Grid with unit cells at the origin where each cell is blocked with probability `fraction`.
pub fn random_grid(width: u32, height: u32, fraction: f32, seed: u64) -> NavGrid {
    let mut rng = Rng::new(seed);
    let mut grid = NavGrid::new(width, height, 1.0, Vec2::ZERO).unwrap();
    for y in 0..height {
        for x in 0..width {
            if rng.unit() < fraction {
                grid.set_blocked(UVec2::new(x, y), true);
            }
        }
    }
    grid
}

/// A random walkable cell.
pub fn random_walkable_cell(grid: &NavGrid, rng: &mut Rng) -> Option<UVec2> {
    (0..1000)
        .map(|_| UVec2::new(rng.below(grid.width()), rng.below(grid.height())))
        .find(|&cell| !grid.is_blocked(cell))
}

/// Brute-force shortest grid distances (in world units) from `source` to every cell: Bellman-Ford
/// style relaxation of every legal move until nothing changes, in f64. Written independently of
/// the module's neighbour code: a diagonal move needs both orthogonal cells walkable.
pub fn reference_distances(grid: &NavGrid, source: UVec2) -> Vec<Option<f64>> {
    let (w, h) = (grid.width() as i64, grid.height() as i64);
    let walkable = |x: i64, y: i64| {
        x >= 0 && y >= 0 && x < w && y < h && !grid.is_blocked(UVec2::new(x as u32, y as u32))
    };
    let cell = f64::from(grid.cell_size());
    let mut dist = vec![f64::INFINITY; (w * h) as usize];
    dist[(i64::from(source.y) * w + i64::from(source.x)) as usize] = 0.0;
    let mut changed = true;
    while changed {
        changed = false;
        for y in 0..h {
            for x in 0..w {
                if !walkable(x, y) {
                    continue;
                }
                let here = dist[(y * w + x) as usize];
                if !here.is_finite() {
                    continue;
                }
                for dy in -1..=1_i64 {
                    for dx in -1..=1_i64 {
                        let (nx, ny) = (x + dx, y + dy);
                        if (dx, dy) == (0, 0) || !walkable(nx, ny) {
                            continue;
                        }
                        let diagonal = dx != 0 && dy != 0;
                        if diagonal && !(walkable(x + dx, y) && walkable(x, y + dy)) {
                            continue;
                        }
                        let step = if diagonal {
                            cell * std::f64::consts::SQRT_2
                        } else {
                            cell
                        };
                        let slot = &mut dist[(ny * w + nx) as usize];
                        if here + step < *slot - 1e-12 {
                            *slot = here + step;
                            changed = true;
                        }
                    }
                }
            }
        }
    }
    dist.into_iter()
        .map(|d| d.is_finite().then_some(d))
        .collect()
}

/// A `size x size` maze of one long corridor: every other row is a wall with a single gap,
/// alternating between the right and left ends. Going from the bottom-left to the top-left cell
/// walks (almost) the whole grid.
pub fn serpentine_grid(size: u32) -> NavGrid {
    let mut grid = NavGrid::new(size, size, 1.0, Vec2::ZERO).unwrap();
    for (wall, y) in (1..size).step_by(2).enumerate() {
        let gap = if wall % 2 == 0 { size - 1 } else { 0 };
        for x in 0..size {
            grid.set_blocked(UVec2::new(x, y), x != gap);
        }
    }
    grid
}
