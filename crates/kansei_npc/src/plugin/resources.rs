//! The plugin's shared state: the navigation world, the scheduler and the stage timings.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bevy::prelude::*;
use glam::Vec2;

use crate::nav::{FlowField, GridFrame, NavGrid, PathQueryId, PathQueue};
use crate::schedule::{DecisionPlanner, DueRange, RoundRobin, ScheduleConfig, Tier};
use crate::steering::{OrcaParams, SpatialHash};

/// The walkable world: the navigation grid (also the occluders for sight), the path query
/// queue and its per-tick budget.
///
/// The default is an open 256 m x 256 m grid of 1 m cells centred on the origin; a game
/// inserts its own with [`NavWorld::new`] (blocking cells for walls and buildings).
#[derive(Resource)]
pub struct NavWorld {
    /// The grid. Changing it (through `grid_mut`) re-plans flow fields on the next tick.
    pub(crate) grid: NavGrid,
    /// The asynchronous path query queue.
    pub(crate) queue: PathQueue,
    /// Wall time the queue may use per tick. The default is 0.25 ms (about 15 ms of path
    /// finding a second at 60 Hz, several hundred town-sized queries).
    pub path_budget: Duration,
    /// Which NPC asked which query.
    pub(crate) askers: HashMap<PathQueryId, Entity>,
    /// Path query statistics since the start.
    pub stats: PathStats,
}

impl NavWorld {
    /// A world over `grid` with the default budget.
    pub fn new(grid: NavGrid) -> Self {
        Self {
            grid,
            queue: PathQueue::new(),
            path_budget: Duration::from_micros(250),
            askers: HashMap::new(),
            stats: PathStats::default(),
        }
    }

    /// The grid.
    pub fn grid(&self) -> &NavGrid {
        &self.grid
    }

    /// The grid, to block or open cells at run time.
    pub fn grid_mut(&mut self) -> &mut NavGrid {
        &mut self.grid
    }

    /// Path queries waiting or in progress.
    pub fn pending_queries(&self) -> usize {
        self.queue.pending()
    }
}

impl Default for NavWorld {
    fn default() -> Self {
        let grid = NavGrid::new(256, 256, 1.0, Vec2::splat(-128.0))
            .unwrap_or_else(|_| unreachable!("a 256 x 256 grid of 1 m cells is valid"));
        Self::new(grid)
    }
}

/// Path query statistics: how many were answered and how long each took to compute.
#[derive(Clone, Debug, Default)]
pub struct PathStats {
    /// Queries answered with a path.
    pub found: u64,
    /// Queries answered with an error (unreachable, blocked, cancelled...).
    pub failed: u64,
    /// Compute time of the most recent answers (up to 4,096), for percentiles.
    pub recent_compute: VecDeque<Duration>,
}

impl PathStats {
    pub(crate) fn record(&mut self, ok: bool, compute: Duration) {
        if ok {
            self.found += 1;
        } else {
            self.failed += 1;
        }
        if self.recent_compute.len() >= 4096 {
            self.recent_compute.pop_front();
        }
        self.recent_compute.push_back(compute);
    }
}

/// Flow fields shared by many agents walking to the same goal (crowds heading to an exit, the
/// doorsteps of a town).
///
/// Add a goal with [`FlowFields::add`] and give agents [`MoveIntent::FollowFlow`] with its
/// index. Fields are built on the next tick, one per tick (or all at once with
/// [`build_missing`](Self::build_missing), at a loading screen), and rebuilt when the grid
/// changes. A field also answers path queries: a [`MoveIntent::MoveTo`] whose goal lies in a
/// field's goal cell gets its path traced from the field
/// ([`FlowField::trace_path`](crate::nav::FlowField::trace_path), about 1 us on a 128 x 128
/// town against 24 us for the search) instead of searched. A field costs 5 bytes per grid
/// cell (80 KB on a 128 x 128 grid) and about 0.7 ms to build there.
///
/// [`MoveIntent::FollowFlow`]: super::MoveIntent::FollowFlow
/// [`MoveIntent::MoveTo`]: super::MoveIntent::MoveTo
#[derive(Resource, Default)]
pub struct FlowFields {
    pub(crate) goals: Vec<Vec2>,
    pub(crate) fields: Vec<Option<FlowField>>,
    /// The grid each goal's field was last built (or found unreachable) for, as its revision
    /// and frame (what [`FlowField::is_stale`] compares), so an unreachable goal is not
    /// retried every tick.
    built_for: Vec<Option<(u64, GridFrame)>>,
    /// Which field leads to each goal cell, for answering path queries; the first field
    /// built wins when goals share a cell.
    by_goal_cell: HashMap<UVec2, u32>,
}

impl FlowFields {
    /// Adds a goal and returns its index for [`MoveIntent::FollowFlow`](super::MoveIntent).
    pub fn add(&mut self, goal: Vec2) -> u32 {
        self.goals.push(goal);
        self.fields.push(None);
        self.built_for.push(None);
        (self.goals.len() - 1) as u32
    }

    /// The field for goal `index`, once built (`None` for an unknown index or an unreachable
    /// goal).
    pub fn get(&self, index: u32) -> Option<&FlowField> {
        self.fields.get(index as usize).and_then(Option::as_ref)
    }

    /// The goal of field `index`.
    pub fn goal(&self, index: u32) -> Option<Vec2> {
        self.goals.get(index as usize).copied()
    }

    /// Number of goals.
    pub fn len(&self) -> usize {
        self.goals.len()
    }

    /// Whether there are no goals.
    pub fn is_empty(&self) -> bool {
        self.goals.is_empty()
    }

    /// A field fresh for `grid` whose goal cell holds `goal`, if one is built.
    pub fn serving(&self, grid: &NavGrid, goal: Vec2) -> Option<&FlowField> {
        let index = *self.by_goal_cell.get(&grid.cell_at(goal)?)?;
        self.get(index).filter(|field| !field.is_stale(grid))
    }

    /// The index of the first goal whose field was not built for `grid` yet (never built, or
    /// the grid changed since).
    pub(crate) fn first_to_build(&self, grid: &NavGrid) -> Option<usize> {
        let current = Some(grid_key(grid));
        self.built_for.iter().position(|built| *built != current)
    }

    /// Builds the field of goal `index` for `grid` (`None` for an unreachable or invalid
    /// goal: its followers stand still and its path queries are searched).
    pub(crate) fn build(&mut self, grid: &NavGrid, index: usize) {
        let field = FlowField::build(grid, self.goals[index]).ok();
        self.by_goal_cell.retain(|_, i| *i as usize != index);
        if let Some(cell) = field.as_ref().and_then(|f| grid.cell_at(f.goal())) {
            self.by_goal_cell.entry(cell).or_insert(index as u32);
        }
        self.fields[index] = field;
        self.built_for[index] = Some(grid_key(grid));
    }

    /// Builds every field not built for `grid` yet, now: for a loading screen (the plugin
    /// otherwise builds one per tick so that no frame stalls).
    pub fn build_missing(&mut self, grid: &NavGrid) {
        while let Some(index) = self.first_to_build(grid) {
            self.build(grid, index);
        }
    }
}

/// What identifies the grid a field was built for: its revision and frame, as
/// [`FlowField::is_stale`] compares them.
fn grid_key(grid: &NavGrid) -> (u64, GridFrame) {
    (grid.revision(), grid.frame())
}

/// One tier's round-robin queues.
#[derive(Clone, Debug, Default)]
pub(crate) struct TierQueue {
    /// The tier's NPCs in round-robin order (`NpcSlot::index`): the stages visit the NPCs whose
    /// turn it is without going through the others.
    pub members: Vec<Entity>,
    pub decide: RoundRobin,
    pub perceive: RoundRobin,
    pub avoid: RoundRobin,
}

/// LOD tiers, round-robin turns and the decision budget (see [`crate::schedule`]).
#[derive(Resource, Default)]
pub struct NpcScheduler {
    /// Rates per tier and the decision budget.
    pub config: ScheduleConfig,
    pub(crate) tiers: [TierQueue; 3],
    pub(crate) planner: DecisionPlanner,
    pub(crate) decide_due: [DueRange; 3],
    pub(crate) perceive_due: [DueRange; 3],
    pub(crate) avoid_due: [DueRange; 3],
    pub(crate) needs_regroup: bool,
    /// Ticks planned so far (noises are stamped with it).
    pub(crate) tick: u64,
}

impl NpcScheduler {
    /// A scheduler with these rates and budget.
    pub fn new(config: ScheduleConfig) -> Self {
        Self {
            config,
            ..default()
        }
    }

    /// The NPCs of `tier` at the round-robin places `turns` (typically `DueRange::iter` of one
    /// of this tick's turn ranges of that tier).
    pub(crate) fn members_at(
        &self,
        tier: Tier,
        turns: impl Iterator<Item = usize>,
    ) -> impl Iterator<Item = Entity> {
        let members = &self.tiers[tier.index()].members;
        turns.filter_map(|i| members.get(i).copied())
    }

    /// NPCs in `tier`.
    pub fn tier_len(&self, tier: Tier) -> usize {
        self.tiers[tier.index()].members.len()
    }

    /// How many decisions the next tick may run within the budget, at the planner's current
    /// estimate of their cost.
    pub fn decision_capacity(&self) -> usize {
        self.planner.capacity(self.config.decision_budget)
    }

    /// The decision planner's current estimate of one decision's wall time.
    pub fn estimated_decision_cost(&self) -> Duration {
        Duration::from_secs_f64(self.planner.estimated_cost())
    }
}

/// Avoidance settings and the spatial hash the steering stage rebuilds every tick.
#[derive(Resource)]
pub struct Avoidance {
    /// ORCA settings for heroes and active NPCs. The default looks 1.5 s ahead at the 6
    /// nearest neighbours within 3 m.
    pub orca: OrcaParams,
    /// Crowds only keep apart from their 4 nearest neighbours within this many radii. The
    /// default is 3.0.
    pub crowd_separation_radii: f32,
    pub(crate) hash: SpatialHash,
    /// Every NPC's body this tick, by dense index (positions are in the hash).
    pub(crate) agents: Vec<DenseAgent>,
    /// The separation push of each crowd NPC due this tick, by dense index.
    pub(crate) pushes: Vec<Vec2>,
}

impl Default for Avoidance {
    fn default() -> Self {
        Self {
            orca: OrcaParams {
                time_horizon: 1.5,
                neighbour_distance: 3.0,
                max_neighbours: 6,
            },
            crowd_separation_radii: 3.0,
            // 1 m cells: a crowd query (about 1 m) reads a few cells, an ORCA query (3 m) a
            // 7 x 7 block, each holding one or two agents at crowd densities.
            hash: SpatialHash::new(1.0),
            agents: Vec::new(),
            pushes: Vec::new(),
        }
    }
}

/// One NPC in the steering stage's dense snapshot.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DenseAgent {
    pub(crate) velocity: Vec2,
    pub(crate) radius: f32,
    pub(crate) max_speed: f32,
    /// A crowd NPC due for avoidance this tick.
    pub(crate) separating: bool,
}

/// Wall time of the last tick's stages, for profiling (the benchmark reads them too).
#[derive(Resource, Clone, Debug, Default)]
pub struct NpcTimings {
    /// Sight, hearing and memory.
    pub perception: Duration,
    /// Behaviour trees and utility selectors, and the built-in tasks.
    pub decision: Duration,
    /// Path queries and flow fields.
    pub navigation: Duration,
    /// Spatial hash, steering, avoidance and movement.
    pub steering: Duration,
    /// Regrouping tiers, behaviour swaps and transform sync.
    pub other: Duration,
    /// Decisions made in the last tick.
    pub decisions: u32,
    /// Path queries answered in the last tick.
    pub path_answers: u32,
    /// Of those, the queries answered from a flow field instead of a search.
    pub paths_traced: u32,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use glam::{UVec2, Vec2};

    use super::FlowFields;
    use crate::nav::NavGrid;

    #[test]
    fn flow_fields_serve_their_goal_cells_until_the_grid_changes() {
        let mut grid = NavGrid::new(16, 16, 1.0, Vec2::ZERO).unwrap();
        grid.block_rect(Vec2::new(8.0, 0.0), Vec2::new(8.9, 16.0)); // wall at column 8
        let mut flows = FlowFields::default();
        let right = flows.add(Vec2::new(12.5, 3.5)); // beyond the wall
        let blocked = flows.add(Vec2::new(8.5, 3.5));
        let left = flows.add(Vec2::new(2.5, 2.5));
        // An unreachable or invalid goal is built once per grid, not retried every tick, and
        // does not hold up the goals after it.
        assert_eq!(flows.first_to_build(&grid), Some(0));
        flows.build_missing(&grid);
        assert_eq!(flows.first_to_build(&grid), None);
        assert!(flows.get(blocked).is_none());
        assert!(flows.get(right).is_some() && flows.get(left).is_some());

        // Any point of the goal cell is served; other cells are not.
        let field = flows.serving(&grid, Vec2::new(2.9, 2.1)).unwrap();
        assert_eq!(field.goal(), Vec2::new(2.5, 2.5));
        assert!(flows.serving(&grid, Vec2::new(3.5, 2.5)).is_none());
        assert!(flows.serving(&grid, Vec2::new(8.5, 3.5)).is_none());
        assert!(flows.serving(&grid, Vec2::new(-1.0, 2.5)).is_none());

        // A changed grid makes every field stale: none serves until rebuilt.
        grid.set_blocked(UVec2::new(8, 15), false);
        assert!(flows.serving(&grid, Vec2::new(2.5, 2.5)).is_none());
        assert_eq!(flows.first_to_build(&grid), Some(0));
        flows.build_missing(&grid);
        assert!(flows.serving(&grid, Vec2::new(2.5, 2.5)).is_some());
        assert!(flows.serving(&grid, Vec2::new(12.5, 3.5)).is_some());
    }
}
