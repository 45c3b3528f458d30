//! Incremental jump point search (A* over the grid's jump points, see [`super::jump`]) over a
//! [`NavGrid`] with reusable buffers, and the one-shot [`find_path`].

use std::cell::RefCell;
use std::collections::BinaryHeap;
use std::fmt;

use glam::{IVec2, UVec2, Vec2};

use super::jump::{Jumper, successor_directions};
use super::neighbours::octile_cells;
use super::path::{Path, smooth_cell_path};
use super::{NavGrid, PathError};

/// Progress of a [`PathSearch`] after a call to [`PathSearch::step`].
#[derive(Debug, Clone, PartialEq)]
pub enum SearchStatus {
    /// The expansion budget ran out before the search finished; call `step` again.
    Running,
    /// The search finished (or could not run); the search is idle again afterwards.
    Done(Result<Path, PathError>),
}

/// Per-cell search state, valid only when `stamp` belongs to the current search.
#[derive(Debug, Clone, Copy, Default)]
struct NodeRecord {
    /// `open_stamp` = open (g valid), `open_stamp + 1` = closed, anything else = unvisited.
    stamp: u32,
    /// Cost from the start in cells.
    g: f32,
}

/// Open-list entry. `key` packs the priority into one integer so heap comparisons are a single
/// `u64` compare: the max-heap pops the lowest `f` first and, among equal `f`, the highest `g` (the
/// node deepest along its path, which finishes ties sooner). Non-negative `f32`s order like their
/// bit patterns, so `!f.to_bits()` in the high half ranks lower `f` higher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct OpenEntry {
    key: u64,
    cell: u32,
}

impl OpenEntry {
    #[inline]
    fn new(f: f32, g: f32, cell: u32) -> Self {
        Self {
            key: (u64::from(!f.to_bits()) << 32) | u64::from(g.to_bits()),
            cell,
        }
    }

    /// The cost from the start stored in the key.
    #[inline]
    fn g(self) -> f32 {
        f32::from_bits(self.key as u32)
    }
}

/// The state needed to relax the jumps out of one expanded cell.
struct Relaxation<'a> {
    nodes: &'a mut [NodeRecord],
    parents: &'a mut [u32],
    open: &'a mut BinaryHeap<OpenEntry>,
    open_stamp: u32,
    goal_xy: IVec2,
    width: u32,
    /// The expanded cell, its index and its cost from the start.
    from: IVec2,
    from_index: u32,
    g: f32,
}

impl Relaxation<'_> {
    /// Offers the path through the expanded cell to the jump point `to`, a straight or diagonal
    /// line away.
    #[inline(always)]
    fn relax(&mut self, to: IVec2) {
        let next = to.y as usize * self.width as usize + to.x as usize;
        let record = &mut self.nodes[next];
        let step = to - self.from;
        let next_g = self.g + octile_cells(step.x.unsigned_abs(), step.y.unsigned_abs());
        // Closed cells (stamp = open_stamp + 1) already have their optimal cost and never pass.
        let improves = record.stamp != self.open_stamp || next_g < record.g;
        if record.stamp == self.open_stamp + 1 || !improves {
            return;
        }
        *record = NodeRecord {
            stamp: self.open_stamp,
            g: next_g,
        };
        self.parents[next] = self.from_index;
        let rest = self.goal_xy - to;
        let h = octile_cells(rest.x.unsigned_abs(), rest.y.unsigned_abs());
        self.open
            .push(OpenEntry::new(next_g + h, next_g, next as u32));
    }
}

/// The query a search is working on, and the grid state it started from.
#[derive(Debug, Clone, Copy)]
struct ActiveQuery {
    start: Vec2,
    goal: Vec2,
    start_cell: u32,
    goal_cell: u32,
    goal_xy: IVec2,
    grid_revision: u64,
    grid_size: UVec2,
}

/// Incremental jump point search that can be suspended and resumed, so one long query never
/// stalls a frame.
///
/// A* whose nodes are jump points (Harabor and Grastien: the cells where a shortest path may
/// turn, found by scanning straight and diagonal lines): it finds the same costs (optimal
/// paths) while expanding a small fraction of the cells (`find_path` between random points of
/// the 128 x 128 demo town: 30 us, plain A* 75 us; `cargo bench -p kansei_npc --bench nav`).
/// Buffers are reused between searches: the per-cell arrays are generation-stamped, so starting
/// a new search is O(1) (they are only reallocated when the grid's size changes), and expanding
/// a cell allocates nothing once the open list has grown. Uses the octile heuristic, which is
/// consistent, so the first time the goal is expanded its path is optimal.
#[derive(Clone, Default)]
pub struct PathSearch {
    nodes: Vec<NodeRecord>,
    /// The jump point each open or closed cell was reached from (row-major index).
    parents: Vec<u32>,
    /// Scratch: the directions to scan from the cell being expanded.
    directions: Vec<(i32, i32)>,
    open: BinaryHeap<OpenEntry>,
    /// Stamp meaning "open in the current search"; `open_stamp + 1` means closed. Advances by two.
    open_stamp: u32,
    query: Option<ActiveQuery>,
    /// Cells expanded by the current (or last) search.
    expanded: u32,
    /// Cells expanded by this searcher over its whole life (restarts included).
    total_expanded: u64,
    /// Scratch for path reconstruction.
    cell_path: Vec<u32>,
    /// Grid cost in cells of the last path found.
    last_cost: f32,
}

impl fmt::Debug for PathSearch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PathSearch")
            .field("query", &self.query.map(|q| (q.start, q.goal)))
            .field("expanded", &self.expanded)
            .field("open_len", &self.open.len())
            .field("cells", &self.nodes.len())
            .finish()
    }
}

impl PathSearch {
    /// An idle searcher with no buffers allocated yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Begins a search from `start` to `goal`, abandoning any search in progress.
    ///
    /// Fails at once, without starting, for non-finite points ([`PathError::InvalidInput`]),
    /// points outside the grid, or a start or goal in a blocked cell.
    pub fn start(&mut self, grid: &NavGrid, start: Vec2, goal: Vec2) -> Result<(), PathError> {
        self.query = None;
        let (start_cell, goal_cell) = validate_endpoints(grid, start, goal)?;
        let frame = grid.frame();
        let cell_count = frame.cell_count();
        if self.nodes.len() != cell_count {
            self.nodes = vec![NodeRecord::default(); cell_count];
            self.parents = vec![0; cell_count];
            self.open_stamp = 0;
        }
        self.advance_generation();
        self.open.clear();
        self.expanded = 0;

        let start_index = frame.index_of(start_cell);
        self.nodes[start_index] = NodeRecord {
            stamp: self.open_stamp,
            g: 0.0,
        };
        self.parents[start_index] = start_index as u32;
        let d = start_cell.as_ivec2() - goal_cell.as_ivec2();
        self.open.push(OpenEntry::new(
            octile_cells(d.x.unsigned_abs(), d.y.unsigned_abs()),
            0.0,
            start_index as u32,
        ));
        self.query = Some(ActiveQuery {
            start,
            goal,
            start_cell: start_index as u32,
            goal_cell: frame.index_of(goal_cell) as u32,
            goal_xy: goal_cell.as_ivec2(),
            grid_revision: grid.revision(),
            grid_size: UVec2::new(grid.width(), grid.height()),
        });
        Ok(())
    }

    /// Whether a search is in progress (started and not yet done).
    pub fn is_running(&self) -> bool {
        self.query.is_some()
    }

    /// Jump points expanded so far by the current search (or by the last one, once done).
    pub fn expanded(&self) -> u32 {
        self.expanded
    }

    /// Jump points expanded by this searcher over its whole life, across searches and
    /// restarts.
    pub fn total_expanded(&self) -> u64 {
        self.total_expanded
    }

    /// Expands at most `max_expansions` jump points of the search in progress (each scans the
    /// lines out of it, up to the grid's width).
    ///
    /// Pass the same grid the search was started on. If its [`revision`](NavGrid::revision) (or
    /// size) changed since, the search restarts from scratch on the new grid first. When the goal
    /// is reached the cell path is smoothed by line of sight (this last step is not counted in
    /// `max_expansions`). With no search in progress this returns
    /// `Done(Err(PathError::InvalidInput))`.
    pub fn step(&mut self, grid: &NavGrid, max_expansions: u32) -> SearchStatus {
        self.step_bounded(grid, max_expansions, u64::MAX)
    }

    /// Like [`step`](Self::step), but also stops (after the expansion that crossed it) once the
    /// scans of this call have stepped onto `max_cells_scanned` cells: a bound on the work of one
    /// call whatever the grid ([`PathQueue`](super::PathQueue) reads the clock between such
    /// calls).
    pub fn step_bounded(
        &mut self,
        grid: &NavGrid,
        max_expansions: u32,
        max_cells_scanned: u64,
    ) -> SearchStatus {
        let Some(mut query) = self.query else {
            return SearchStatus::Done(Err(PathError::InvalidInput {
                reason: "no search is in progress, call PathSearch::start first",
            }));
        };
        if query.grid_revision != grid.revision()
            || query.grid_size != UVec2::new(grid.width(), grid.height())
        {
            if let Err(error) = self.start(grid, query.start, query.goal) {
                return SearchStatus::Done(Err(error));
            }
            let Some(restarted) = self.query else {
                return SearchStatus::Running; // unreachable: start succeeded
            };
            query = restarted;
        }

        let (width, height) = (grid.width(), grid.height());
        let jumper = Jumper::new(grid.blocked_cells(), width, height, query.goal_xy);
        let open_stamp = self.open_stamp;
        let closed_stamp = open_stamp + 1;
        let Self {
            nodes,
            parents,
            open,
            directions,
            ..
        } = self;
        let mut expanded_now = 0;
        let mut outcome = None;
        while expanded_now < max_expansions && jumper.cells_scanned() < max_cells_scanned {
            let Some(entry) = open.pop() else {
                outcome = Some(false);
                break;
            };
            let cell = entry.cell as usize;
            // Lazy deletion: a cell may sit in the heap several times; the first pop (lowest g,
            // as h is the same) closes it and later copies are skipped.
            if nodes[cell].stamp == closed_stamp {
                continue;
            }
            nodes[cell].stamp = closed_stamp;
            expanded_now += 1;
            if entry.cell == query.goal_cell {
                outcome = Some(true);
                break;
            }
            let here = IVec2::new((entry.cell % width) as i32, (entry.cell / width) as i32);
            let parent = parents[cell];
            let from_parent = IVec2::new((parent % width) as i32, (parent / width) as i32);
            let heading = (here - from_parent).signum();
            successor_directions(heading.x, heading.y, directions);
            let mut relax = Relaxation {
                nodes,
                parents,
                open,
                open_stamp,
                goal_xy: query.goal_xy,
                width,
                from: here,
                from_index: entry.cell,
                g: entry.g(),
            };
            for &(dx, dy) in directions.iter() {
                if let Some(jump_point) = jumper.jump(here, dx, dy) {
                    relax.relax(jump_point);
                }
            }
        }
        self.expanded += expanded_now;
        self.total_expanded += u64::from(expanded_now);
        match outcome {
            None => SearchStatus::Running,
            Some(found) => {
                self.query = None;
                if found {
                    SearchStatus::Done(Ok(self.build_path(grid, &query)))
                } else {
                    SearchStatus::Done(Err(PathError::Unreachable {
                        goal: query.goal,
                        expanded: self.expanded,
                    }))
                }
            }
        }
    }

    /// Walks the parent moves back from the goal and smooths the resulting cell path.
    fn build_path(&mut self, grid: &NavGrid, query: &ActiveQuery) -> Path {
        let width = grid.width();
        let xy = |cell: u32| IVec2::new((cell % width) as i32, (cell / width) as i32);
        self.cell_path.clear();
        // Back from the goal through the jump points, every cell of each line in between.
        let mut cell = query.goal_cell;
        self.cell_path.push(cell);
        while cell != query.start_cell {
            let parent = self.parents[cell as usize];
            let step = (xy(parent) - xy(cell)).signum();
            let offset = step.x as i64 + i64::from(step.y) * i64::from(width);
            while cell != parent {
                cell = (i64::from(cell) + offset) as u32;
                self.cell_path.push(cell);
            }
        }
        self.cell_path.reverse();
        self.last_cost = self.nodes[query.goal_cell as usize].g;
        smooth_cell_path(grid, query.start, query.goal, &self.cell_path)
    }

    /// Cell path (row-major indices, start to goal) of the last path found.
    #[cfg(test)]
    pub(crate) fn last_cell_path(&self) -> &[u32] {
        &self.cell_path
    }

    /// Grid cost, in world units, of the last path found (centre to centre).
    #[cfg(test)]
    pub(crate) fn last_cost(&self, grid: &NavGrid) -> f32 {
        self.last_cost * grid.cell_size()
    }

    /// Moves to fresh stamps so every cell reads as unvisited; clears the stamps only when the
    /// counter would wrap (once every two billion searches).
    fn advance_generation(&mut self) {
        if self.open_stamp >= u32::MAX - 2 {
            self.nodes.fill(NodeRecord::default());
            self.open_stamp = 0;
        }
        self.open_stamp += 2;
    }

    #[cfg(test)]
    pub(crate) fn force_generation_near_wrap(&mut self) {
        self.open_stamp = u32::MAX - 5;
    }
}

/// Checks that both ends are finite, inside the grid and walkable; returns their cells.
pub(crate) fn validate_endpoints(
    grid: &NavGrid,
    start: Vec2,
    goal: Vec2,
) -> Result<(UVec2, UVec2), PathError> {
    if !start.is_finite() {
        return Err(PathError::InvalidInput {
            reason: "the start point is not finite",
        });
    }
    if !goal.is_finite() {
        return Err(PathError::InvalidInput {
            reason: "the goal point is not finite",
        });
    }
    let start_cell = grid
        .cell_at(start)
        .ok_or(PathError::OutsideGrid { point: start })?;
    let goal_cell = grid
        .cell_at(goal)
        .ok_or(PathError::OutsideGrid { point: goal })?;
    if grid.is_blocked(start_cell) {
        return Err(PathError::StartBlocked { start });
    }
    if grid.is_blocked(goal_cell) {
        return Err(PathError::GoalBlocked { goal });
    }
    Ok((start_cell, goal_cell))
}

/// Checks that a goal alone is finite, inside the grid and walkable; returns its cell.
pub(crate) fn validate_goal(grid: &NavGrid, goal: Vec2) -> Result<UVec2, PathError> {
    if !goal.is_finite() {
        return Err(PathError::InvalidInput {
            reason: "the goal point is not finite",
        });
    }
    let goal_cell = grid
        .cell_at(goal)
        .ok_or(PathError::OutsideGrid { point: goal })?;
    if grid.is_blocked(goal_cell) {
        return Err(PathError::GoalBlocked { goal });
    }
    Ok(goal_cell)
}

thread_local! {
    /// Per-thread searcher so `find_path` reuses its buffers instead of allocating per call.
    static ONE_SHOT_SEARCH: RefCell<PathSearch> = RefCell::new(PathSearch::new());
}

/// One-shot search (jump point search, octile heuristic) from `start` to `goal`, smoothed by
/// line of sight.
///
/// Reuses a per-thread [`PathSearch`], so repeated calls allocate only the returned waypoints.
/// For many queries per frame prefer a [`PathQueue`](super::PathQueue), which spreads the work.
pub fn find_path(grid: &NavGrid, start: Vec2, goal: Vec2) -> Result<Path, PathError> {
    ONE_SHOT_SEARCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut search) => run_to_completion(&mut search, grid, start, goal),
        Err(_) => run_to_completion(&mut PathSearch::new(), grid, start, goal),
    })
}

fn run_to_completion(
    search: &mut PathSearch,
    grid: &NavGrid,
    start: Vec2,
    goal: Vec2,
) -> Result<Path, PathError> {
    search.start(grid, start, goal)?;
    loop {
        if let SearchStatus::Done(result) = search.step(grid, u32::MAX) {
            return result;
        }
    }
}
