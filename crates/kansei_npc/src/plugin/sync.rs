//! Bookkeeping once per tick, in one batch: tiers by distance, round-robin slots, behaviour
//! (re)loads, and positions to and from `Transform`.

use std::time::Instant;

use bevy::asset::AssetLoadFailedEvent;
use bevy::log::warn;
use bevy::prelude::*;
use glam::Vec2;

use super::asset::{BehaviourAsset, BehaviourLoadErrors};
use super::components::{
    Npc, NpcAgent, NpcBehaviour, NpcLodFocus, NpcMind, NpcSlot, NpcTier, NpcTierLocked, Perceivable,
};
use super::resources::{NpcScheduler, NpcTimings};
use crate::schedule::Tier;

/// Ground-plane position of a transform.
pub(crate) fn ground(translation: Vec3) -> Vec2 {
    Vec2::new(translation.x, translation.z)
}

/// Sets NPC tiers by their distance to the nearest [`NpcLodFocus`].
pub(crate) fn update_lod_tiers(
    focus: Query<(&NpcLodFocus, &GlobalTransform)>,
    mut npcs: Query<(&NpcAgent, &mut NpcTier), Without<NpcTierLocked>>,
) {
    let foci: Vec<(NpcLodFocus, Vec2)> = focus
        .iter()
        .map(|(lod, transform)| (*lod, ground(transform.translation())))
        .collect();
    if foci.is_empty() {
        return;
    }
    npcs.par_iter_mut()
        .batching_strategy(crate::plugin::npc_batching())
        .for_each(|(agent, mut tier)| {
            let wanted = foci
                .iter()
                .map(|(lod, at)| {
                    let distance = agent.position.distance(*at);
                    if distance <= lod.hero_within {
                        Tier::Hero
                    } else if distance <= lod.active_within {
                        Tier::Active
                    } else {
                        Tier::Crowd
                    }
                })
                .min()
                .unwrap_or_default();
            tier.set_if_neq(NpcTier(wanted));
        });
}

/// Starts a new agent where its `Transform` puts it, if it has one and was spawned at the
/// origin.
pub(crate) fn place_new_agents(mut agents: Query<(&mut NpcAgent, &Transform), Added<NpcAgent>>) {
    for (mut agent, transform) in &mut agents {
        if agent.position == Vec2::ZERO {
            agent.position = ground(transform.translation);
        }
    }
}

/// NPCs that are new or changed tier.
type NewOrRetiered = Or<(Added<Npc>, Changed<NpcTier>)>;

/// Gives every NPC its place in its tier's round-robin order when NPCs come, go or change
/// tier: one pass over the NPCs, only on ticks with such changes.
pub(crate) fn regroup_tiers(
    mut scheduler: ResMut<NpcScheduler>,
    changed: Query<(), NewOrRetiered>,
    mut removed: RemovedComponents<Npc>,
    mut npcs: Query<(Entity, &NpcTier, &mut NpcSlot)>,
) {
    let any_removed = removed.read().count() > 0;
    if !(any_removed || scheduler.needs_regroup || !changed.is_empty()) {
        return;
    }
    for queue in &mut scheduler.tiers {
        queue.members.clear();
    }
    // The tick about to be planned is `tick + 1`: new NPCs hear the noises made from it on.
    let heard_through = scheduler.tick;
    for (entity, tier, mut slot) in &mut npcs {
        let queue = &mut scheduler.tiers[tier.0.index()];
        slot.tier = tier.0;
        slot.index = queue.members.len() as u32;
        slot.heard_through.get_or_insert(heard_through);
        queue.members.push(entity);
    }
    scheduler.needs_regroup = false;
}

/// Gives NPCs their compiled behaviour when it loads, when the file changes (hot reload) or
/// when the NPC switches behaviour; reports files that failed to load.
pub(crate) fn apply_behaviours(
    assets: Res<Assets<BehaviourAsset>>,
    mut events: MessageReader<AssetEvent<BehaviourAsset>>,
    mut failures: MessageReader<AssetLoadFailedEvent<BehaviourAsset>>,
    mut errors: ResMut<BehaviourLoadErrors>,
    changed: Query<Entity, Changed<NpcBehaviour>>,
    mut npcs: Query<(&NpcBehaviour, &mut NpcMind)>,
) {
    for failure in failures.read() {
        // The asset keeps its last good version, and so do the NPCs using it. The first line
        // names the file, line and column; the rest is a backtrace when one was captured.
        let full = failure.error.to_string();
        let message = full.lines().next().unwrap_or_default().to_owned();
        if errors.messages.last() != Some(&message) {
            warn!("{message}; NPCs using it keep their last good behaviour");
            errors.messages.push(message);
        }
    }
    let mut ready: Vec<AssetId<BehaviourAsset>> = Vec::new();
    for event in events.read() {
        if let AssetEvent::Added { id }
        | AssetEvent::Modified { id }
        | AssetEvent::LoadedWithDependencies { id } = event
        {
            ready.push(*id);
        }
    }
    let apply = |behaviour: &NpcBehaviour, mind: &mut NpcMind| {
        let latest = assets.get(&behaviour.0).map(|a| a.behaviour.clone());
        if let Some(latest) = latest
            && mind
                .behaviour
                .as_ref()
                .is_none_or(|current| !std::sync::Arc::ptr_eq(current, &latest))
        {
            mind.behaviour = Some(latest);
        }
    };
    if ready.is_empty() {
        for entity in &changed {
            if let Ok((behaviour, mut mind)) = npcs.get_mut(entity) {
                apply(behaviour, &mut mind);
            }
        }
    } else {
        for (behaviour, mut mind) in &mut npcs {
            if ready.contains(&behaviour.0.id()) || mind.behaviour.is_none() {
                apply(behaviour, &mut mind);
            }
        }
    }
}

/// Reads the positions of perceivable things from their agent or transform.
pub(crate) fn sync_perceivables(
    mut perceivables: Query<(
        &mut Perceivable,
        Option<&NpcAgent>,
        Option<&GlobalTransform>,
    )>,
) {
    for (mut perceivable, agent, transform) in &mut perceivables {
        let position = match (agent, transform) {
            (Some(agent), _) => agent.position,
            (None, Some(transform)) => ground(transform.translation()),
            (None, None) => continue,
        };
        if perceivable.position != position {
            perceivable.position = position;
        }
    }
}

/// Writes agents' positions and facings into their `Transform`s (height kept).
pub(crate) fn write_transforms(
    mut timings: ResMut<NpcTimings>,
    mut agents: Query<(&NpcAgent, &mut Transform), Changed<NpcAgent>>,
) {
    let start = Instant::now();
    agents
        .par_iter_mut()
        .batching_strategy(crate::plugin::npc_batching())
        .for_each(|(agent, mut transform)| {
            transform.translation.x = agent.position.x;
            transform.translation.z = agent.position.y;
            if agent.facing.length_squared() > 0.0 {
                // Models face -z; yaw turns -z onto the facing direction.
                let yaw = (-agent.facing.x).atan2(-agent.facing.y);
                transform.rotation = Quat::from_rotation_y(yaw);
            }
        });
    timings.other += start.elapsed();
}
