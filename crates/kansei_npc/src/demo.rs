//! The demo town shared by `examples/npc.rs` and the `kansei npc bench` scenario: a seeded
//! street grid with buildings, homes, workplaces, taverns and exits; villagers with needs;
//! crowd commuters; the game-side tasks they use (`eat`, `rest`, `work`, `commute`).

use bevy::ecs::schedule::InternedScheduleLabel;
use bevy::prelude::*;
use glam::Vec2;

use crate::decision::{Symbol, Value};
use crate::nav::{NavError, NavGrid};
use crate::plugin::{FlowFields, Locomotion, MoveIntent, NpcBlackboard, NpcSystems, NpcTasks};
use crate::rng::SeededRng;

/// The guard behaviour file (patrol, investigate a noise, chase).
pub const GUARD_BEHAVIOUR: &str = include_str!("../../../assets/npc/guard.behaviour.ron");
/// The villager behaviour file (utility: flee, eat, rest, work).
pub const VILLAGER_BEHAVIOUR: &str = include_str!("../../../assets/npc/villager.behaviour.ron");
/// The crowd commuter behaviour file (flee from danger, otherwise commute).
pub const COMMUTER_BEHAVIOUR: &str = include_str!("../../../assets/npc/commuter.behaviour.ron");

/// A town: blocks of buildings between streets, on a navigation grid of 1 m cells.
#[derive(Clone, Debug)]
pub struct Town {
    /// The walkable grid (buildings blocked).
    pub grid: NavGrid,
    /// Buildings as (min, max) corners on the ground plane.
    pub buildings: Vec<(Vec2, Vec2)>,
    /// Doorsteps: walkable points next to buildings, where villagers live, work and eat.
    pub doorsteps: Vec<Vec2>,
    /// Exits at the edges of the town, the goals of the crowd's flow fields.
    pub exits: Vec<Vec2>,
}

impl Town {
    /// A square town `size` metres across (at least 32), centred on the origin: blocks of
    /// 16 m with 4 m streets, each block holding one to four buildings.
    pub fn generate(size: u32, seed: u64) -> Result<Town, NavError> {
        let size = size.max(32);
        let half = size as f32 / 2.0;
        let mut grid = NavGrid::new(size, size, 1.0, Vec2::splat(-half))?;
        let mut rng = SeededRng::new(seed);
        let mut buildings = Vec::new();
        let mut doorsteps = Vec::new();
        let block = 16.0;
        let street = 4.0;
        let blocks = ((size as f32 - street) / (block + street)).floor() as i32;
        for by in 0..blocks {
            for bx in 0..blocks {
                let origin = Vec2::new(
                    -half + street + bx as f32 * (block + street),
                    -half + street + by as f32 * (block + street),
                );
                // The central block is the square: no buildings.
                if bx == blocks / 2 && by == blocks / 2 {
                    continue;
                }
                let count = 1 + (rng.next_u64() % 4) as usize;
                for i in 0..count {
                    let quadrant = Vec2::new((i % 2) as f32, (i / 2) as f32) * (block / 2.0);
                    let w = rng.range(4.0, 7.0);
                    let d = rng.range(4.0, 7.0);
                    let min = origin + quadrant + Vec2::new(0.5, 0.5);
                    let max = min + Vec2::new(w, d);
                    grid.block_rect(min, max);
                    buildings.push((min, max));
                    // The doorstep faces the street below the building.
                    doorsteps.push(Vec2::new((min.x + max.x) / 2.0, min.y - 0.9));
                }
            }
        }
        doorsteps.retain(|d| grid.is_walkable_at(*d));
        let e = half - 2.0;
        let exits = vec![
            Vec2::new(-e, -e),
            Vec2::new(e, -e),
            Vec2::new(e, e),
            Vec2::new(-e, e),
        ];
        Ok(Town {
            grid,
            buildings,
            doorsteps,
            exits,
        })
    }

    /// A random walkable point.
    pub fn random_walkable(&self, rng: &mut SeededRng) -> Vec2 {
        let half = self.grid.width() as f32 / 2.0;
        loop {
            let p = Vec2::new(rng.range(-half, half), rng.range(-half, half));
            if self.grid.is_walkable_at(p) {
                return p;
            }
        }
    }
}

/// A villager's needs, in [0, 1], growing over time; the `eat`, `rest` and `work` tasks
/// change them. Written to the blackboard keys `hunger` and `fatigue`.
#[derive(Component, Clone, Copy, Debug)]
pub struct Villager {
    /// 0 just ate, 1 starving.
    pub hunger: f32,
    /// 0 rested, 1 exhausted.
    pub fatigue: f32,
}

/// A crowd member walking from exit to exit along the flow fields.
#[derive(Component, Clone, Copy, Debug)]
pub struct Commuter {
    /// Index of the flow field (exit) it is heading to.
    pub goal: u32,
}

/// The game-side tasks of the demo town: `eat`, `rest` and `work` for villagers, `commute`
/// for the crowd, and the villagers' needs.
pub struct TownTasksPlugin {
    /// The schedule the NPC stages run in (the same as the `NpcPlugin`'s).
    pub schedule: InternedScheduleLabel,
}

/// Interned task and key names of the town.
#[derive(Resource, Clone, Copy)]
struct TownNames {
    eat: Symbol,
    rest: Symbol,
    work: Symbol,
    commute: Symbol,
    hunger: Symbol,
    fatigue: Symbol,
}

impl Plugin for TownTasksPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(TownNames {
            eat: Symbol::new("eat"),
            rest: Symbol::new("rest"),
            work: Symbol::new("work"),
            commute: Symbol::new("commute"),
            hunger: Symbol::new("hunger"),
            fatigue: Symbol::new("fatigue"),
        })
        .add_systems(
            self.schedule,
            (villager_tasks, commute).in_set(NpcSystems::Tasks),
        );
    }
}

/// Needs grow; `eat` and `rest` lower them until done, `work` takes eight seconds.
fn villager_tasks(
    time: Res<Time>,
    names: Res<TownNames>,
    mut villagers: Query<(&mut Villager, &mut NpcTasks, &mut NpcBlackboard)>,
) {
    let dt = time.delta_secs();
    let now = time.elapsed_secs();
    let names = *names;
    villagers
        .par_iter_mut()
        .batching_strategy(crate::plugin::npc_batching())
        .for_each(|(mut villager, mut tasks, mut blackboard)| {
            let mut hunger = villager.hunger + 0.02 * dt;
            let mut fatigue = villager.fatigue + 0.01 * dt;
            if tasks.is_running(names.eat) {
                hunger -= 0.25 * dt;
                if hunger <= 0.05 {
                    tasks.succeed(names.eat);
                }
            }
            if tasks.is_running(names.rest) {
                fatigue -= 0.2 * dt;
                if fatigue <= 0.05 {
                    tasks.succeed(names.rest);
                }
            }
            let work_started = tasks
                .iter()
                .find(|t| t.name == names.work)
                .map(|t| t.started);
            if let Some(started) = work_started {
                fatigue += 0.02 * dt;
                if now - started >= 8.0 {
                    tasks.succeed(names.work);
                }
            }
            villager.hunger = hunger.clamp(0.0, 1.0);
            villager.fatigue = fatigue.clamp(0.0, 1.0);
            // Blackboard writes bump its revision; write only visible changes.
            let old_hunger = blackboard.get_float(names.hunger).unwrap_or(-1.0);
            if (old_hunger - villager.hunger).abs() > 0.01 {
                blackboard.set(names.hunger, Value::Float(villager.hunger));
            }
            let old_fatigue = blackboard.get_float(names.fatigue).unwrap_or(-1.0);
            if (old_fatigue - villager.fatigue).abs() > 0.01 {
                blackboard.set(names.fatigue, Value::Float(villager.fatigue));
            }
        });
}

/// Commuters whose task or movement changed this tick.
type ChangedCommuters<'w, 's> = Query<
    'w,
    's,
    (
        &'static mut Commuter,
        &'static NpcTasks,
        &'static mut Locomotion,
    ),
    Or<(Changed<NpcTasks>, Changed<Locomotion>)>,
>;

/// `commute`: follow the flow field to the commuter's exit, then on to the next exit.
fn commute(names: Res<TownNames>, flows: Res<FlowFields>, mut commuters: ChangedCommuters) {
    let count = flows.len() as u32;
    if count == 0 {
        return;
    }
    let commute = names.commute;
    commuters
        .par_iter_mut()
        .batching_strategy(crate::plugin::npc_batching())
        .for_each(|(mut commuter, tasks, mut locomotion)| {
            if !tasks.is_running(commute) {
                return;
            }
            if locomotion.reached_flow_goal == Some(commuter.goal) {
                commuter.goal = (commuter.goal + 1) % count;
                locomotion.reached_flow_goal = None;
            }
            let intent = MoveIntent::FollowFlow(commuter.goal);
            if locomotion.intent != intent {
                locomotion.intent = intent;
            }
        });
}
