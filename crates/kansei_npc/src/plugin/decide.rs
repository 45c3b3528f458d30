//! The decision stage: behaviour trees and utility selectors of the NPCs whose turn it is,
//! within the time budget.

use std::time::Instant;

use bevy::log::info_span;
use bevy::prelude::*;

use super::components::{DecisionHistory, NpcBlackboard, NpcMind, NpcTasks};
use super::resources::{NpcScheduler, NpcTimings};
use crate::schedule::Tier;

/// Picks whose turn it is this tick in each stage (round robin per tier at the tier's rates;
/// decisions also capped by the time budget, heroes first).
pub(crate) fn plan_turns(time: Res<Time>, mut scheduler: ResMut<NpcScheduler>) {
    let dt = time.delta_secs();
    scheduler.tick += 1;
    let config = scheduler.config;
    let mut due = [0usize; 3];
    for tier in Tier::ALL {
        let queue = &mut scheduler.tiers[tier.index()];
        due[tier.index()] =
            queue
                .decide
                .due(queue.members.len(), config.rates(tier).decision_hz, dt);
    }
    let admitted = scheduler.planner.admit(due, config.decision_budget);
    for tier in Tier::ALL {
        let i = tier.index();
        let rates = config.rates(tier);
        let queue = &mut scheduler.tiers[i];
        let len = queue.members.len();
        let decide = queue.decide.take(len, admitted[i]);
        let perceive_count = queue.perceive.due(len, rates.perception_hz, dt);
        let perceive = queue.perceive.take(len, perceive_count);
        let avoid_count = queue.avoid.due(len, rates.avoidance_hz, dt);
        let avoid = queue.avoid.take(len, avoid_count);
        scheduler.decide_due[i] = decide;
        scheduler.perceive_due[i] = perceive;
        scheduler.avoid_due[i] = avoid;
    }
}

/// Ticks the behaviours of the NPCs whose turn it is (visiting only them).
pub(crate) fn decide(
    time: Res<Time>,
    mut scheduler: ResMut<NpcScheduler>,
    mut timings: ResMut<NpcTimings>,
    mut npcs: Query<(
        &mut NpcMind,
        &mut NpcBlackboard,
        &mut NpcTasks,
        &mut DecisionHistory,
    )>,
) {
    let start = Instant::now();
    let _span = info_span!("kansei_npc::decision").entered();
    let now = time.elapsed_secs();
    let mut decided = 0u32;
    for tier in Tier::ALL {
        let due = scheduler.decide_due[tier.index()];
        for entity in scheduler.members_at(tier, due.iter()) {
            let Ok((mut mind, mut blackboard, mut tasks, mut log)) = npcs.get_mut(entity) else {
                continue;
            };
            let NpcMind { behaviour, state } = &mut *mind;
            if let Some(behaviour) = behaviour {
                behaviour.tick(state, &mut blackboard.0, &mut tasks.0, now, &mut log.0);
                decided += 1;
            }
        }
    }
    let elapsed = start.elapsed();
    scheduler.planner.record(decided as usize, elapsed);
    timings.decisions = decided;
    timings.decision = elapsed;
}
