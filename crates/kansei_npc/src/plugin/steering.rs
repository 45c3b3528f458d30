//! The steering stage: desired velocities from each NPC's [`MoveIntent`], avoidance between
//! agents (ORCA for heroes and active NPCs, separation for crowds, each at its tier's rate),
//! and movement with sliding along walls.

use std::time::Instant;

use bevy::log::info_span;
use bevy::prelude::*;
use bevy::tasks::ComputeTaskPool;
use bevy::utils::Parallel;
use glam::Vec2;

use super::components::{Locomotion, MoveIntent, NpcAgent, NpcSlot};
use super::resources::{Avoidance, DenseAgent, FlowFields, NavWorld, NpcScheduler, NpcTimings};
use crate::nav::NavGrid;
use crate::schedule::Tier;
use crate::steering::{OrcaAgent, OrcaScratch, arrive, flee, orca_velocity, separation_in};

/// Walking speed as a fraction of the top speed.
const WALK: f32 = 0.6;
/// Distance over which arriving slows down, in metres.
const SLOWING_RADIUS: f32 = 1.5;
/// ORCA plans with radii this much larger than the bodies (5%): its fallback in crowded,
/// infeasible cases may break a constraint by millimetres, and the margin keeps bodies apart
/// (see the steering module's crowd tests).
const ORCA_MARGIN: f32 = 1.05;
/// Fewest hash entries per parallel run of crowd separation (about 170 queries at the crowd's
/// avoidance rate): fewer are not worth a task.
const SEPARATION_RUN_MIN: usize = 1024;
/// Fewest ORCA solves per parallel run (about 0.1 ms of work): fewer are not worth a task.
const ORCA_RUN_MIN: usize = 256;
/// A path waypoint counts as reached within this distance, in metres.
const WAYPOINT_RADIUS: f32 = 0.6;

/// Per-thread scratch for neighbour queries and ORCA.
#[derive(Default)]
pub(crate) struct SteeringScratch {
    neighbours: Vec<(f32, u32)>,
    orca_neighbours: Vec<OrcaAgent>,
    orca: OrcaScratch,
}

/// One hero or active NPC whose ORCA velocity this tick's steering solves.
pub(crate) struct OrcaJob {
    entity: Entity,
    /// Its index in the dense snapshot.
    dense: u32,
    preferred: Vec2,
    /// The answer.
    velocity: Vec2,
}

/// What the NPC would like to do, ignoring everyone else.
fn preferred_velocity(
    agent: &NpcAgent,
    locomotion: &mut Locomotion,
    grid: &NavGrid,
    flows: &FlowFields,
    dt: f32,
) -> Vec2 {
    let walk = agent.max_speed * WALK;
    let run = agent.max_speed;
    let position = agent.position;
    match locomotion.intent {
        MoveIntent::Stop => Vec2::ZERO,
        MoveIntent::Seek(target) => arrive(position, target, run, SLOWING_RADIUS * 0.5),
        MoveIntent::Flee(threat) => flee(position, threat, run),
        MoveIntent::Wander => {
            let heading = agent.facing;
            locomotion.wander.desired_velocity(heading, walk, dt)
        }
        MoveIntent::MoveTo(goal) => {
            if !locomotion.path.is_finished() {
                locomotion
                    .path
                    .desired_velocity(position, walk, WAYPOINT_RADIUS)
            } else if locomotion.pending.is_some() && !grid.line_of_sight(position, goal) {
                // Waiting for a path around a wall: don't walk into it meanwhile.
                Vec2::ZERO
            } else {
                arrive(position, goal, walk, SLOWING_RADIUS)
            }
        }
        MoveIntent::FollowFlow(index) => match flows.get(index) {
            Some(field) => match field.direction_at(position) {
                Some(direction) => direction * walk,
                None => {
                    let goal = field.goal();
                    if position.distance(goal) < 1.0 {
                        locomotion.reached_flow_goal = Some(index);
                    }
                    arrive(position, goal, walk, SLOWING_RADIUS)
                }
            },
            None => Vec2::ZERO,
        },
    }
}

/// Moves from `from` by `step`, sliding along blocked cells instead of entering them.
fn slide(grid: &NavGrid, from: Vec2, step: Vec2) -> Vec2 {
    let to = from + step;
    if grid.is_walkable_at(to) {
        return to;
    }
    let along_x = Vec2::new(to.x, from.y);
    if grid.is_walkable_at(along_x) {
        return along_x;
    }
    let along_z = Vec2::new(from.x, to.y);
    if grid.is_walkable_at(along_z) {
        return along_z;
    }
    from
}

/// Steers and moves every NPC: avoidance for those whose turn it is, movement for all.
#[allow(clippy::too_many_arguments)]
pub(crate) fn steer(
    time: Res<Time>,
    scheduler: Res<NpcScheduler>,
    nav: Res<NavWorld>,
    flows: Res<FlowFields>,
    mut avoidance: ResMut<Avoidance>,
    mut timings: ResMut<NpcTimings>,
    mut npcs: Query<(&mut NpcAgent, &mut NpcSlot, &mut Locomotion)>,
    mut positions: Local<Vec<Vec2>>,
    mut orca_jobs: Local<Vec<OrcaJob>>,
    scratch: Local<Parallel<SteeringScratch>>,
) {
    let start = Instant::now();
    let _span = info_span!("kansei_npc::steering").entered();
    let dt = time.delta_secs();
    if dt <= 0.0 {
        timings.steering = start.elapsed();
        return;
    }

    // 1. One pass over every NPC: those not due for avoidance move on with the velocity they
    // chose at their last turn, then everyone goes into the dense snapshot that the spatial
    // hash and the neighbours' velocities come from. (Moving the many in the same pass as the
    // snapshot, rather than in a pass of their own, saved a third of the stage for 20,000
    // crowd agents: the cost was per NPC visited, not per byte.)
    let avoidance = &mut *avoidance;
    let grid = nav.grid();
    let due = scheduler.avoid_due;
    positions.clear();
    avoidance.agents.clear();
    for (i, (mut agent, mut slot, locomotion)) in npcs.iter_mut().enumerate() {
        let avoid_now = due[slot.tier.index()].contains(slot.index);
        if !avoid_now {
            // Stopping needs no permission from the neighbours.
            let velocity = match locomotion.intent {
                MoveIntent::Stop => Vec2::ZERO,
                _ => locomotion.avoidance_velocity,
            };
            advance(&mut agent, velocity, true, grid, dt);
        }
        positions.push(agent.position);
        avoidance.agents.push(DenseAgent {
            velocity: agent.velocity,
            radius: agent.radius,
            max_speed: agent.max_speed,
            separating: avoid_now && slot.tier == Tier::Crowd,
        });
        slot.bypass_change_detection().dense = i as u32;
    }
    avoidance.hash.rebuild(&positions);
    separate_crowds(avoidance);

    // 2. The NPCs due for avoidance. Crowds move at once with their separation push; heroes and
    // active NPCs wait for ORCA, which runs over the compute threads, then move.
    let avoidance = &*avoidance;
    let flows = &*flows;
    let mut jobs = std::mem::take(&mut *orca_jobs);
    jobs.clear();
    for tier in Tier::ALL {
        for entity in scheduler.members_at(tier, due[tier.index()].iter()) {
            let Ok((mut agent, slot, mut locomotion)) = npcs.get_mut(entity) else {
                continue;
            };
            let preferred = preferred_velocity(&agent, &mut locomotion, grid, flows, dt);
            if slot.tier == Tier::Crowd {
                let push = avoidance.pushes[slot.dense as usize];
                let velocity = (preferred + push).clamp_length_max(agent.max_speed);
                locomotion.avoidance_velocity = velocity;
                advance(&mut agent, velocity, false, grid, dt);
            } else {
                jobs.push(OrcaJob {
                    entity,
                    dense: slot.dense,
                    preferred,
                    velocity: Vec2::ZERO,
                });
            }
        }
    }
    solve_orca(avoidance, &mut jobs, dt, &scratch);
    for job in &jobs {
        if let Ok((mut agent, _, mut locomotion)) = npcs.get_mut(job.entity) {
            locomotion.avoidance_velocity = job.velocity;
            advance(&mut agent, job.velocity, false, grid, dt);
        }
    }
    *orca_jobs = jobs;
    timings.steering = start.elapsed();
}

/// Moves `agent` with `velocity` for `dt` (zero for a non-finite velocity), sliding along
/// walls. With `unchanged_ok`, an agent already moving at exactly that velocity whose next
/// position is open only moves (its velocity and facing stay as they are): the ticks between
/// avoidance turns.
fn advance(agent: &mut Mut<NpcAgent>, velocity: Vec2, unchanged_ok: bool, grid: &NavGrid, dt: f32) {
    let velocity = if velocity.is_finite() {
        velocity
    } else {
        Vec2::ZERO
    };
    if velocity == Vec2::ZERO {
        if agent.velocity != Vec2::ZERO {
            agent.velocity = Vec2::ZERO;
        }
        return;
    }
    let next = agent.position + velocity * dt;
    if unchanged_ok && agent.velocity == velocity && grid.is_walkable_at(next) {
        agent.position = next;
        return;
    }
    let position = slide(grid, agent.position, velocity * dt);
    // Exactly the planned velocity when nothing was in the way, so the next ticks take the
    // move-only path above.
    let actual = if position == next {
        velocity
    } else {
        (position - agent.position) / dt
    };
    agent.velocity = actual;
    agent.position = position;
    if actual.length_squared() > 0.01 {
        agent.facing = actual.normalize();
    }
}

/// The separation push of every crowd NPC due for avoidance this tick, into
/// [`Avoidance::pushes`] by dense index (zero for everyone else). Everyone within
/// `crowd_separation_radii` radii pushes (no sorting for the nearest few: in a crowd the reach
/// holds a handful at most). The queries run in the hash's storage order, so consecutive ones
/// read the same cells: in the NPCs' own order they missed the cache on almost every cell
/// (3,333 queries of 20,000 crowd agents took 0.6 ms a tick, `kansei npc bench --tier crowd`).
/// With more than one compute thread, each takes a contiguous run of that order.
fn separate_crowds(avoidance: &mut Avoidance) {
    let Avoidance {
        hash,
        agents,
        pushes,
        crowd_separation_radii,
        ..
    } = avoidance;
    pushes.clear();
    pushes.resize(agents.len(), Vec2::ZERO);
    let reach_in_radii = *crowd_separation_radii;
    let (hash, agents) = (&*hash, &*agents);
    let positions = hash.positions();
    let separating = |me: &u32| agents[*me as usize].separating;
    let push_of = |me: u32| {
        let (i, agent) = (me as usize, agents[me as usize]);
        let reach = agent.radius * reach_in_radii;
        separation_in(hash, positions[i], reach, agent.max_speed)
    };
    let Some(per_run) = parallel_run_length(hash.len(), SEPARATION_RUN_MIN) else {
        for me in hash.spatial_order().filter(separating) {
            pushes[me as usize] = push_of(me);
        }
        return;
    };
    let results = ComputeTaskPool::get().scope(|scope| {
        for first in (0..hash.len()).step_by(per_run) {
            scope.spawn(async move {
                hash.spatial_order()
                    .skip(first)
                    .take(per_run)
                    .filter(separating)
                    .map(|me| (me, push_of(me)))
                    .collect::<Vec<_>>()
            });
        }
    });
    for (me, push) in results.into_iter().flatten() {
        pushes[me as usize] = push;
    }
}

/// How many items each parallel run of `len` should take, or `None` when the work should stay on
/// the calling thread: a compute pool of one thread, or too few items for two runs of `min_run`.
fn parallel_run_length(len: usize, min_run: usize) -> Option<usize> {
    let threads = ComputeTaskPool::try_get().map_or(1, |pool| pool.thread_num());
    if threads <= 1 || len < min_run * 2 {
        return None;
    }
    Some(len.div_ceil(threads.min(len / min_run)))
}

/// The velocity ORCA allows the NPC at `me` in the dense snapshot, which would like to move at
/// `preferred`, among its nearest neighbours.
fn orca_avoid(
    avoidance: &Avoidance,
    me: u32,
    preferred: Vec2,
    dt: f32,
    scratch: &mut SteeringScratch,
) -> Vec2 {
    let hash = &avoidance.hash;
    let positions = hash.positions();
    let i = me as usize;
    let agents = &avoidance.agents;
    let max_speed = agents[i].max_speed;
    let params = &avoidance.orca;
    hash.nearest_within(
        positions[i],
        params.neighbour_distance,
        params.max_neighbours,
        Some(me),
        &mut scratch.neighbours,
    );
    scratch.orca_neighbours.clear();
    scratch
        .orca_neighbours
        .extend(scratch.neighbours.iter().map(|&(_, j)| {
            let j = j as usize;
            OrcaAgent {
                position: positions[j],
                velocity: agents[j].velocity,
                radius: agents[j].radius * ORCA_MARGIN,
                max_speed,
                preferred_velocity: agents[j].velocity,
            }
        }));
    let me_orca = OrcaAgent {
        position: positions[i],
        velocity: agents[i].velocity,
        radius: agents[i].radius * ORCA_MARGIN,
        max_speed,
        preferred_velocity: preferred,
    };
    orca_velocity(
        &me_orca,
        &scratch.orca_neighbours,
        params,
        dt,
        &mut scratch.orca,
    )
}

/// Solves every job's ORCA velocity, split over the compute threads when there are several.
fn solve_orca(
    avoidance: &Avoidance,
    jobs: &mut [OrcaJob],
    dt: f32,
    scratch: &Parallel<SteeringScratch>,
) {
    let solve = |jobs: &mut [OrcaJob]| {
        scratch.scope(|scratch| {
            for job in jobs {
                job.velocity = orca_avoid(avoidance, job.dense, job.preferred, dt, scratch);
            }
        });
    };
    let Some(per_run) = parallel_run_length(jobs.len(), ORCA_RUN_MIN) else {
        solve(jobs);
        return;
    };
    ComputeTaskPool::get().scope(|scope| {
        for run in jobs.chunks_mut(per_run) {
            scope.spawn(async move { solve(run) });
        }
    });
}
