//! The navigation stage: submits the paths NPCs need, runs the query queue within its budget,
//! hands answers back, and keeps flow fields up to date.

use std::time::Instant;

use bevy::log::info_span;
use bevy::prelude::*;

use super::components::Locomotion;
use super::resources::{FlowFields, NavWorld, NpcTimings};
use super::tasks::{PathNeed, PathNeeds};
use crate::nav::{PathError, PathPriority};
use crate::schedule::Tier;

fn priority(tier: Tier) -> PathPriority {
    match tier {
        Tier::Hero => PathPriority::High,
        Tier::Active => PathPriority::Normal,
        Tier::Crowd => PathPriority::Low,
    }
}

/// Submits, processes and answers path queries (from a flow field where one leads to the goal,
/// see [`FlowFields`]); builds at most one stale flow field per tick so that a grid change
/// never stalls a frame with every field at once.
pub(crate) fn navigate(
    mut nav: ResMut<NavWorld>,
    mut needs: ResMut<PathNeeds>,
    mut flows: ResMut<FlowFields>,
    mut timings: ResMut<NpcTimings>,
    mut npcs: Query<&mut Locomotion>,
    mut scratch: Local<Vec<PathNeed>>,
) {
    let start = Instant::now();
    let _span = info_span!("kansei_npc::navigation").entered();
    let nav = &mut *nav;

    scratch.clear();
    needs.0.drain_into(&mut scratch);
    for need in scratch.drain(..) {
        let Ok(mut locomotion) = npcs.get_mut(need.entity) else {
            continue;
        };
        if let Some(old) = locomotion.pending.take() {
            nav.queue.cancel(old);
        }
        let id = nav.queue.submit(need.from, need.to, priority(need.tier));
        nav.askers.insert(id, need.entity);
        locomotion.pending = Some(id);
    }

    if let Some(i) = flows.first_to_build(nav.grid()) {
        flows.build(nav.grid(), i);
    }

    let budget = nav.path_budget;
    let NavWorld { grid, queue, .. } = &mut *nav;
    let stats = queue.process_with_fields(grid, budget, |goal| flows.serving(grid, goal));
    let mut answered = 0;
    for answer in nav.queue.drain_answers() {
        answered += 1;
        nav.stats.record(answer.result.is_ok(), answer.compute_time);
        let Some(entity) = nav.askers.remove(&answer.id) else {
            continue;
        };
        let Ok(mut locomotion) = npcs.get_mut(entity) else {
            continue;
        };
        if locomotion.pending != Some(answer.id) {
            continue;
        }
        locomotion.pending = None;
        match answer.result {
            Ok(path) => locomotion.path.set_path(path.waypoints),
            Err(PathError::Cancelled) => {}
            Err(error) => locomotion.last_path_error = Some(error),
        }
    }
    timings.path_answers = answered;
    timings.paths_traced = stats.traced;
    timings.navigation = start.elapsed();
}
