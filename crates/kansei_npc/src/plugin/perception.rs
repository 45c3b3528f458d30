//! The perception stage: sight for the NPCs whose perception turn it is, hearing at each NPC's
//! perception or decision turn, and the blackboard keys of
//! [`PerceptionKeys`](super::keys::PerceptionKeys).

use std::collections::VecDeque;
use std::time::Instant;

use bevy::log::info_span;
use bevy::prelude::*;
use glam::Vec2;

use super::components::{NpcAgent, NpcBlackboard, NpcMemory, NpcSlot, Perceivable, Senses};
use super::keys::PerceptionKeys;
use super::resources::{NavWorld, NpcScheduler, NpcTimings};
use crate::decision::{Blackboard, Value};
use crate::nav::NavGrid;
use crate::perception::{LineOfSight, NoiseEvent, Sense, Stimulus, StimulusMemory, heard_strength};
use crate::schedule::{ScheduleConfig, Tier};

/// A noise NPCs may hear: write it when something makes one (a footstep, a shot, a crate
/// breaking). Heard by every NPC within its radius at its next perception or decision turn:
/// at once for heroes (every tick), within a tenth of a second for active NPCs, at the next
/// decision of a crowd NPC (its tier decides once a second by default). The noise keeps its
/// own time in the NPC's memory, so it fades from when it was made.
///
/// Hearing at the NPC's turn rather than in the tick the noise is made changes nothing a
/// behaviour can see (it reads the blackboard only on its turn), and spreads the work: a loud
/// noise in a crowd of thousands would otherwise land in one tick.
#[derive(Message, Clone, Copy, Debug, PartialEq)]
pub struct NoiseMade(pub NoiseEvent);

/// What is perceivable this tick, and the noises of the last few seconds with the scheduler
/// tick and the time each was made (the NPCs whose turn has not come yet still have to hear
/// them).
#[derive(Default)]
pub(crate) struct PerceptionScratch {
    seen: Vec<(u64, Perceivable)>,
    noises: VecDeque<HeardNoise>,
    turns: Vec<(Entity, bool)>,
}

/// A noise as the stage keeps it.
#[derive(Clone, Copy, Debug)]
struct HeardNoise {
    tick: u64,
    time: f32,
    noise: NoiseEvent,
}

/// Noises are kept this many times the longest interval between an NPC's perception or decision
/// turns (decisions can run late when the tick's budget is full).
const NOISE_KEEP_TURNS: f32 = 3.0;

/// How long the stage keeps noises: [`NOISE_KEEP_TURNS`] times the longest interval between
/// the turns of any tier that has turns (at most a minute).
fn noise_keep_s(config: &ScheduleConfig) -> f32 {
    Tier::ALL
        .iter()
        .map(|&tier| {
            let rates = config.rates(tier);
            rates.decision_hz.max(rates.perception_hz)
        })
        .filter(|&hz| hz > 0.0)
        .map(|hz| NOISE_KEEP_TURNS / hz)
        .fold(0.0, f32::max)
        .min(60.0)
}

/// Walls block sight where they block movement.
struct GridOccluders<'a>(&'a NavGrid);

impl LineOfSight for GridOccluders<'_> {
    fn clear(&self, from: Vec2, to: Vec2) -> bool {
        self.0.line_of_sight(from, to)
    }
}

/// What one NPC's turn reads besides its own components.
struct Surroundings<'a> {
    now: f32,
    keys: PerceptionKeys,
    seen: &'a [(u64, Perceivable)],
    noises: &'a VecDeque<HeardNoise>,
    occluders: GridOccluders<'a>,
}

/// Sight, hearing, memory and blackboard for the NPCs whose perception or decision turn it is,
/// visiting only them (sight only on perception turns).
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
        &NpcAgent,
        &Senses,
        &mut NpcSlot,
        &mut NpcMemory,
        &mut NpcBlackboard,
    )>,
    mut scratch: Local<PerceptionScratch>,
) {
    let start = Instant::now();
    let _span = info_span!("kansei_npc::perception").entered();
    let now = time.elapsed_secs();
    let PerceptionScratch {
        seen,
        noises,
        turns,
    } = &mut *scratch;
    let keep_s = noise_keep_s(&scheduler.config);
    while noises.front().is_some_and(|n| now - n.time > keep_s) {
        noises.pop_front();
    }
    let tick = scheduler.tick;
    noises.extend(noise_reader.read().map(|n| HeardNoise {
        tick,
        time: now,
        noise: n.0,
    }));

    // Whose turn it is: perception turns (with sight), then decision turns not already in.
    turns.clear();
    for tier in Tier::ALL {
        let perceive = scheduler.perceive_due[tier.index()];
        let decide = scheduler.decide_due[tier.index()];
        turns.extend(
            scheduler
                .members_at(tier, perceive.iter())
                .map(|e| (e, true)),
        );
        let decide_only = decide.iter().filter(|&i| !perceive.contains(i as u32));
        turns.extend(scheduler.members_at(tier, decide_only).map(|e| (e, false)));
    }
    if turns.is_empty() {
        timings.perception = start.elapsed();
        return;
    }
    seen.clear();
    seen.extend(targets.iter().map(|(e, p)| (e.to_bits(), *p)));
    let around = Surroundings {
        now,
        keys: *keys,
        seen,
        noises,
        occluders: GridOccluders(nav.grid()),
    };
    for &(entity, perception_turn) in turns.iter() {
        if let Ok((agent, senses, mut slot, mut memory, mut blackboard)) = npcs.get_mut(entity) {
            let heard_through = slot.heard_through.unwrap_or(tick.saturating_sub(1));
            slot.bypass_change_detection().heard_through = Some(tick);
            perceive_npc(
                entity,
                agent,
                senses,
                perception_turn,
                heard_through,
                &mut memory.0,
                &mut blackboard.0,
                &around,
            );
        }
    }
    timings.perception = start.elapsed();
}

/// One NPC's turn: sight (on a perception turn), the noises made after tick `heard_through`,
/// memory and blackboard.
#[allow(clippy::too_many_arguments)]
fn perceive_npc(
    entity: Entity,
    agent: &NpcAgent,
    senses: &Senses,
    perception_turn: bool,
    heard_through: u64,
    memory: &mut StimulusMemory,
    blackboard: &mut Blackboard,
    around: &Surroundings<'_>,
) {
    let Surroundings {
        now, keys, seen, ..
    } = *around;
    let sight = senses.sight.as_ref().filter(|_| perception_turn);
    let unheard = around
        .noises
        .iter()
        .filter(|n| n.tick > heard_through && senses.hearing > 0.0);
    let hears = unheard
        .clone()
        .any(|n| heard_strength(agent.position, senses.hearing, &n.noise).is_some());
    if sight.is_none() && !hears {
        return;
    }
    let me = entity.to_bits();
    let mut visible: Option<(u64, Vec2)> = None;
    let mut visible_threat = -1.0f32;
    if let Some(cone) = sight {
        for (source, target) in seen {
            if *source == me {
                continue;
            }
            if let Some(strength) = cone.sees(
                agent.position,
                agent.facing,
                target.position,
                &around.occluders,
            ) {
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
    for heard in unheard {
        let noise = &heard.noise;
        if let Some(strength) = heard_strength(agent.position, senses.hearing, noise) {
            memory.remember(
                Stimulus {
                    source: noise.source,
                    sense: Sense::Hearing,
                    position: noise.position,
                    strength,
                    time: heard.time,
                },
                &senses.memory,
            );
            if loudest.is_none_or(|(s, _)| strength > s) {
                loudest = Some((strength, noise.position));
            }
        }
    }
    memory.fade(now, &senses.memory);

    if sight.is_some() {
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
}
