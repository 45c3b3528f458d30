//! The plugin's shared state: the navigation world, the scheduler and the stage timings.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bevy::prelude::*;
use glam::Vec2;

use crate::nav::{FlowField, NavGrid, PathQueryId, PathQueue};
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

/// Flow fields shared by many agents walking to the same goal (crowds heading to an exit).
///
/// Add a goal with [`FlowFields::add`] and give agents [`MoveIntent::FollowFlow`] with its
/// index. Fields are built on the next tick and rebuilt when the grid changes.
///
/// [`MoveIntent::FollowFlow`]: super::MoveIntent::FollowFlow
#[derive(Resource, Default)]
pub struct FlowFields {
    pub(crate) goals: Vec<Vec2>,
    pub(crate) fields: Vec<Option<FlowField>>,
}

impl FlowFields {
    /// Adds a goal and returns its index for [`MoveIntent::FollowFlow`](super::MoveIntent).
    pub fn add(&mut self, goal: Vec2) -> u32 {
        self.goals.push(goal);
        self.fields.push(None);
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
}
