//! [`NpcPlugin`]: NPC behaviour in Bevy (feature `bevy`, on by default).
//!
//! An NPC is one entity with [`Npc`] (which brings every component it needs) and an
//! [`NpcBehaviour`]. Each tick, in [`NpcSystems`] order:
//!
//! 1. **Prepare**: tiers by distance to the [`NpcLodFocus`], round-robin slots, behaviour
//!    (re)loads, whose turn it is (see [`crate::schedule`]).
//! 2. **Perception**: sight for the NPCs whose turn it is, hearing of the [`NoiseMade`]
//!    messages made since each NPC's last perception or decision turn, fading memory,
//!    blackboard keys ([`PerceptionKeys`]).
//! 3. **Decision**: behaviour trees and utility selectors of the NPCs whose turn it is (only
//!    they are visited), within the time budget (1 ms by default).
//! 4. **Tasks**: the built-in movement tasks ([`TaskNames`]) and the game's own task systems,
//!    which belong in this set.
//! 5. **Navigation**: path queries (budgeted, prioritised by tier, cancellable, answered over
//!    the next ticks) and flow fields.
//! 6. **Steering**: desired velocities, ORCA between heroes and active NPCs, separation in
//!    crowds, movement with sliding along walls.
//! 7. **Output**: positions and facings into `Transform`s.
//!
//! Every stage records its wall time in [`NpcTimings`] and a tracing span
//! (`kansei_npc::perception` and so on). Structural changes (NPCs spawned or despawned, tiers
//! changed) are applied in one batch in the Prepare stage. The stack spawns no entities of its
//! own: N NPCs are N entities.
//!
//! # Usage
//!
//! ```
//! use bevy::prelude::*;
//! use kansei_npc::decision::{BehaviourDef, NodeDef};
//! use kansei_npc::plugin::{BehaviourAsset, NpcAgent, NpcBehaviour, NpcPlugin};
//!
//! let mut app = App::new();
//! app.add_plugins((MinimalPlugins, AssetPlugin::default(), NpcPlugin::default()));
//!
//! // A behaviour written in Rust; `asset_server.load("npc/guard.behaviour.ron")` works the
//! // same way for RON files, hot reloaded with Bevy's `file_watcher` feature.
//! let wander = BehaviourDef::new("wanderer", NodeDef::task("wander"));
//! let behaviour = app
//!     .world_mut()
//!     .resource_mut::<Assets<BehaviourAsset>>()
//!     .add(BehaviourAsset::from_def(&wander)?);
//! app.world_mut()
//!     .spawn((NpcAgent::at(Vec2::new(3.0, 4.0)), NpcBehaviour(behaviour)));
//! app.update();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Game tasks are systems in [`NpcSystems::Tasks`] that look for their task in [`NpcTasks`]
//! and mark it done:
//!
//! ```
//! use bevy::prelude::*;
//! use kansei_npc::decision::Symbol;
//! use kansei_npc::plugin::{NpcSystems, NpcTasks};
//!
//! fn eat(mut npcs: Query<&mut NpcTasks>, mut eat: Local<Option<Symbol>>) {
//!     let eat = *eat.get_or_insert_with(|| Symbol::new("eat"));
//!     for mut tasks in &mut npcs {
//!         if tasks.is_running(eat) {
//!             // ... play the animation, lower hunger ...
//!             tasks.succeed(eat);
//!         }
//!     }
//! }
//! App::new().add_systems(FixedUpdate, eat.in_set(NpcSystems::Tasks));
//! ```
//!
//! # Defaults
//!
//! [`NpcPlugin::default`] runs in `FixedUpdate` with [`ScheduleConfig::default`] (heroes
//! every tick; active NPCs decide at 10 Hz, look at 5 Hz and re-plan avoidance at 10 Hz;
//! crowds decide at 1 Hz, do not look, and keep apart at 10 Hz; decisions within 1 ms per
//! tick). Without a [`NavWorld`] resource, NPCs walk an open 256 m x 256 m grid centred on the
//! origin. Behaviour files need Bevy's `AssetPlugin` (part of `DefaultPlugins`) added before
//! this plugin; without it, give NPCs their behaviour through [`NpcMind`] directly.

mod asset;
mod components;
mod debug;
mod decide;
mod keys;
mod navigation;
mod perception;
mod resources;
mod steering;
mod sync;
mod tasks;

use bevy::ecs::batching::BatchingStrategy;
use bevy::ecs::schedule::{InternedScheduleLabel, ScheduleLabel};
use bevy::gizmos::config::GizmoConfigStore;
use bevy::prelude::*;

pub use asset::{BehaviourAsset, BehaviourLoadError, BehaviourLoadErrors, BehaviourLoader};
pub use components::{
    DecisionHistory, Locomotion, MoveIntent, Npc, NpcAgent, NpcBehaviour, NpcBlackboard,
    NpcLodFocus, NpcMemory, NpcMind, NpcSlot, NpcTasks, NpcTier, NpcTierLocked, PatrolRoute,
    Perceivable, Senses,
};
pub use debug::{NpcDebug, choice_color};
pub use keys::{PerceptionKeys, TaskNames};
pub use perception::NoiseMade;
pub use resources::{Avoidance, FlowFields, NavWorld, NpcScheduler, NpcTimings, PathStats};

use crate::schedule::ScheduleConfig;

/// The NPC stages, in the order they run each tick (chained).
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NpcSystems {
    /// Tiers, slots, behaviour (re)loads, turns.
    Prepare,
    /// Sight, hearing, memory, blackboard.
    Perception,
    /// Behaviour trees and utility selectors.
    Decision,
    /// Built-in movement tasks and the game's task systems.
    Tasks,
    /// Path queries and flow fields.
    Navigation,
    /// Steering, avoidance, movement.
    Steering,
    /// `Transform` sync.
    Output,
}

/// NPC behaviour: perception, decisions, tasks, navigation and steering (see the
/// [module docs](self)).
pub struct NpcPlugin {
    /// The schedule the stages run in. The default is `FixedUpdate`, so behaviour does not
    /// depend on the frame rate.
    pub schedule: InternedScheduleLabel,
    /// Tier rates and the decision budget. The default is [`ScheduleConfig::default`].
    pub config: ScheduleConfig,
}

impl Default for NpcPlugin {
    fn default() -> Self {
        Self {
            schedule: FixedUpdate.intern(),
            config: ScheduleConfig::default(),
        }
    }
}

impl NpcPlugin {
    /// Runs the stages in another schedule (the benchmark uses its own).
    pub fn in_schedule(schedule: impl ScheduleLabel) -> Self {
        Self {
            schedule: schedule.intern(),
            ..default()
        }
    }
}

impl Plugin for NpcPlugin {
    fn build(&self, app: &mut App) {
        app.add_message::<NoiseMade>()
            .insert_resource(NpcScheduler::new(self.config))
            .init_resource::<NavWorld>()
            .init_resource::<FlowFields>()
            .init_resource::<Avoidance>()
            .init_resource::<NpcTimings>()
            .init_resource::<NpcDebug>()
            .init_resource::<PerceptionKeys>()
            .init_resource::<TaskNames>()
            .init_resource::<tasks::PathNeeds>()
            .init_resource::<BehaviourLoadErrors>();

        let schedule = self.schedule;
        app.configure_sets(
            schedule,
            (
                NpcSystems::Prepare,
                NpcSystems::Perception,
                NpcSystems::Decision,
                NpcSystems::Tasks,
                NpcSystems::Navigation,
                NpcSystems::Steering,
                NpcSystems::Output,
            )
                .chain(),
        );
        app.add_systems(
            schedule,
            (
                (
                    reset_timings,
                    sync::place_new_agents,
                    sync::update_lod_tiers,
                    sync::regroup_tiers,
                    sync::sync_perceivables,
                    decide::plan_turns,
                )
                    .chain()
                    .in_set(NpcSystems::Prepare),
                perception::perceive.in_set(NpcSystems::Perception),
                decide::decide.in_set(NpcSystems::Decision),
                tasks::run_builtin_tasks.in_set(NpcSystems::Tasks),
                navigation::navigate.in_set(NpcSystems::Navigation),
                steering::steer.in_set(NpcSystems::Steering),
                sync::write_transforms.in_set(NpcSystems::Output),
            ),
        );

        // Behaviour files, when the asset server exists.
        if app.world().contains_resource::<AssetServer>() {
            app.init_asset::<BehaviourAsset>()
                .register_asset_loader(BehaviourLoader);
            app.add_systems(
                schedule,
                sync::apply_behaviours
                    .before(sync::regroup_tiers)
                    .in_set(NpcSystems::Prepare),
            );
        }
        // Gizmos are drawn per frame, and only where Bevy's gizmos exist.
        app.add_systems(
            PostUpdate,
            debug::draw_debug.run_if(resource_exists::<GizmoConfigStore>),
        );
    }
}

/// How the stages split NPCs between threads: batches of at least 1,024, so that a few hundred
/// heroes stay on one thread (handing them out costs more than it saves) while a crowd of
/// 20,000 is split between all of them.
pub(crate) fn npc_batching() -> BatchingStrategy {
    BatchingStrategy::new().min_batch_size(1024)
}

fn reset_timings(mut timings: ResMut<NpcTimings>) {
    *timings = NpcTimings::default();
}
