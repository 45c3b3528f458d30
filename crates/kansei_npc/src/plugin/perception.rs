//! The perception stage: sight for the NPCs whose turn it is, hearing for everyone, and the
//! blackboard keys of [`PerceptionKeys`](super::keys::PerceptionKeys).

use std::time::Instant;

use bevy::log::info_span;
use bevy::prelude::*;
use glam::Vec2;

use super::components::{NpcAgent, NpcBlackboard, NpcMemory, NpcSlot, Perceivable, Senses};
use super::keys::PerceptionKeys;
use super::resources::{NavWorld, NpcScheduler, NpcTimings};
use crate::decision::Value;
use crate::nav::NavGrid;
use crate::perception::{LineOfSight, NoiseEvent, Sense, Stimulus, heard_strength};

/// A noise NPCs may hear: write it when something makes one (a footstep, a shot, a crate
/// breaking). Heard by every NPC within its radius in the next perception stage, whatever
/// their tier.
#[derive(Message, Clone, Copy, Debug, PartialEq)]
pub struct NoiseMade(pub NoiseEvent);

/// What was perceivable and what was heard this tick, kept between ticks for its buffers.
type PerceptionScratch = (Vec<(u64, Perceivable)>, Vec<NoiseEvent>);

/// Walls block sight where they block movement.
struct GridOccluders<'a>(&'a NavGrid);

impl LineOfSight for GridOccluders<'_> {
    fn clear(&self, from: Vec2, to: Vec2) -> bool {
        self.0.line_of_sight(from, to)
    }
}

/// Sight, hearing, memory and blackboard, in parallel over the NPCs. NPCs whose turn it is
/// not and who hear nothing return at once (a few nanoseconds each).
///
/// (Iterating a subset with `par_iter_many_unique_mut` would skip them, but it collects its
/// entity list with an O(n^2) uniqueness check in Bevy 0.19.)
#[allow(clippy::too_many_arguments)]
pub(crate) fn perceive(
    time: Res<Time>,
    keys: Res<PerceptionKeys>,
    scheduler: Res<NpcScheduler>,
    nav: Res<NavWorld>,
    mut timings: ResMut<NpcTimings>,
    mut noise_reader: MessageReader<NoiseMade>,
    targets: Query<(Entity, &Perceivable)>,
    mut npcs: Query<(
        Entity,
        &NpcAgent,
        &Senses,
        &NpcSlot,
        &mut NpcMemory,
        &mut NpcBlackboard,
    )>,
    mut scratch: Local<PerceptionScratch>,
) {
    let start = Instant::now();
    let _span = info_span!("kansei_npc::perception").entered();
    let now = time.elapsed_secs();
    let (seen, noises) = &mut *scratch;
    seen.clear();
    seen.extend(targets.iter().map(|(e, p)| (e.to_bits(), *p)));
    noises.clear();
    noises.extend(noise_reader.read().map(|n| n.0));
    let seen = &*seen;
    let noises = &*noises;
    let occluders = GridOccluders(nav.grid());
    let keys = *keys;
    let due = scheduler.perceive_due;
    if noises.is_empty() && due.iter().all(|range| range.count == 0) {
        // Nobody looks this tick and nothing was heard (a crowd between noises).
        timings.perception = start.elapsed();
        return;
    }

    npcs.par_iter_mut()
        .batching_strategy(crate::plugin::npc_batching())
        .for_each(
            |(entity, agent, senses, slot, mut memory, mut blackboard)| {
                let sight_due =
                    senses.sight.is_some() && due[slot.tier.index()].contains(slot.index);
                let hears = senses.hearing > 0.0
                    && noises
                        .iter()
                        .any(|n| heard_strength(agent.position, senses.hearing, n).is_some());
                if !sight_due && !hears {
                    return;
                }
                let me = entity.to_bits();
                let memory = &mut memory.0;
                let mut visible: Option<(u64, Vec2)> = None;
                let mut visible_threat = -1.0f32;
                if sight_due && let Some(cone) = &senses.sight {
                    for (source, target) in seen {
                        if *source == me {
                            continue;
                        }
                        if let Some(strength) =
                            cone.sees(agent.position, agent.facing, target.position, &occluders)
                        {
                            memory.remember(
                                Stimulus {
                                    source: *source,
                                    sense: Sense::Sight,
                                    position: target.position,
                                    strength: strength * target.threat.clamp(0.05, 1.0),
                                    time: now,
                                },
                                &senses.memory,
                            );
                            if target.threat > visible_threat {
                                visible_threat = target.threat;
                                visible = Some((*source, target.position));
                            }
                        }
                    }
                }
                let mut loudest: Option<(f32, Vec2)> = None;
                for noise in noises {
                    if let Some(strength) = heard_strength(agent.position, senses.hearing, noise) {
                        memory.remember(
                            Stimulus {
                                source: noise.source,
                                sense: Sense::Hearing,
                                position: noise.position,
                                strength,
                                time: now,
                            },
                            &senses.memory,
                        );
                        if loudest.is_none_or(|(s, _)| strength > s) {
                            loudest = Some((strength, noise.position));
                        }
                    }
                }
                memory.fade(now, &senses.memory);

                let blackboard = &mut blackboard.0;
                if sight_due {
                    blackboard.set(keys.target_visible, Value::Bool(visible.is_some()));
                }
                if let Some((source, position)) = visible {
                    blackboard.set(keys.target, Value::Target(source));
                    blackboard.set(keys.target_position, Value::Vec2(position));
                }
                if let Some((_, position)) = loudest {
                    blackboard.set(keys.heard_noise, Value::Bool(true));
                    blackboard.set(keys.noise_position, Value::Vec2(position));
                }
                match memory.strongest(now, &senses.memory, None) {
                    Some((stimulus, strength)) => {
                        blackboard.set(keys.danger, Value::Float(strength.clamp(0.0, 1.0)));
                        blackboard.set(keys.danger_position, Value::Vec2(stimulus.position));
                    }
                    None => {
                        blackboard.set(keys.danger, Value::Float(0.0));
                    }
                }
            },
        );
    timings.perception = start.elapsed();
}
