//! The components an NPC is made of. [`Npc`] requires the rest, so spawning
//! `(Npc, NpcAgent::at(..), NpcBehaviour(handle))` gives a working NPC.

use std::sync::Arc;

use bevy::prelude::*;
use glam::Vec2;

use crate::decision::{ActiveTasks, Behaviour, BehaviourState, Blackboard, DecisionLog};
use crate::nav::{PathError, PathQueryId};
use crate::perception::{MemoryConfig, SightCone, StimulusMemory};
use crate::schedule::Tier;
use crate::steering::{PathFollower, Wander};

use super::asset::BehaviourAsset;

/// Makes an entity an NPC: it perceives, decides with its [`NpcBehaviour`], and moves.
///
/// Everything an NPC needs comes with it: its body ([`NpcAgent`]), its [`NpcTier`], its
/// blackboard, tasks, memory, movement state and decision history. All of it lives on the NPC's
/// own entity: the stack spawns no entities per NPC or per tree node.
#[derive(Component, Clone, Copy, Debug, Default)]
#[require(
    NpcAgent,
    NpcTier,
    NpcBlackboard,
    NpcTasks,
    NpcMind,
    DecisionHistory,
    Locomotion,
    NpcMemory,
    Senses,
    NpcSlot
)]
pub struct Npc;

/// The NPC's body on the ground plane: where it is, how it moves, how big it is.
///
/// Positions are world `x, z` (`Vec2::new(translation.x, translation.z)`). The plugin moves the
/// agent and, when the entity also has a `Transform`, writes the position and facing into it
/// (keeping its height).
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct NpcAgent {
    /// Position on the ground plane, in metres.
    pub position: Vec2,
    /// Current velocity, in metres per second.
    pub velocity: Vec2,
    /// Unit facing direction (the sight cone's axis). The default is +x.
    pub facing: Vec2,
    /// Collision radius, in metres. The default is 0.35.
    pub radius: f32,
    /// Top speed, in metres per second. The default is 1.5 (a brisk walk).
    pub max_speed: f32,
}

impl Default for NpcAgent {
    fn default() -> Self {
        Self {
            position: Vec2::ZERO,
            velocity: Vec2::ZERO,
            facing: Vec2::X,
            radius: 0.35,
            max_speed: 1.5,
        }
    }
}

impl NpcAgent {
    /// An agent at `position` with the default size and speed.
    pub fn at(position: Vec2) -> Self {
        Self {
            position,
            ..default()
        }
    }

    /// The same agent with another top speed.
    pub fn with_max_speed(mut self, max_speed: f32) -> Self {
        self.max_speed = max_speed;
        self
    }
}

/// How much attention the NPC gets ([`Tier::Active`] by default); change it at any time, the
/// scheduler regroups NPCs once per tick. See [`ScheduleConfig`](crate::schedule::ScheduleConfig)
/// for each tier's rates, and [`NpcLodFocus`] for tiers set by distance.
#[derive(Component, Clone, Copy, Debug, Default, PartialEq, Eq, Deref, DerefMut)]
pub struct NpcTier(pub Tier);

/// Which behaviour the NPC runs: a RON behaviour file loaded through the asset server
/// (`asset_server.load("npc/guard.behaviour.ron")`, hot reloaded when Bevy's `file_watcher`
/// feature is on) or one written in Rust (`behaviours.add(BehaviourAsset::from_def(..))`).
///
/// Until the behaviour has loaded the NPC stands still; when a new version fails to load, the
/// error is reported with its path, line and column, and the NPC keeps its last good behaviour.
#[derive(Component, Clone, Debug, Default)]
#[require(Npc)]
pub struct NpcBehaviour(pub Handle<BehaviourAsset>);

/// The NPC's blackboard: what it knows (perception writes here, behaviours read and write it).
#[derive(Component, Clone, Debug, Default, Deref, DerefMut)]
pub struct NpcBlackboard(pub Blackboard);

/// The tasks the NPC's behaviour runs now. Game systems in
/// [`NpcSystems::Tasks`](super::NpcSystems::Tasks) implement tasks by name: they find theirs
/// here, act, and mark it succeeded or failed.
#[derive(Component, Clone, Debug, Default, Deref, DerefMut)]
pub struct NpcTasks(pub ActiveTasks);

/// The compiled behaviour in use and where the NPC is in it.
#[derive(Component, Clone, Debug, Default)]
pub struct NpcMind {
    /// The behaviour in use (shared by every NPC using the same asset); `None` until loaded.
    pub behaviour: Option<Arc<Behaviour>>,
    /// Progress through the behaviour: running branches, timers, the utility choice.
    pub state: BehaviourState,
}

/// The NPC's last decisions with their scores, newest first (a ring buffer of 16), for
/// debugging: what it chose, when, why, and what came second.
#[derive(Component, Clone, Debug, Default, Deref, DerefMut)]
pub struct DecisionHistory(pub DecisionLog);

/// What the NPC's movement is trying to do; set by the built-in movement tasks (or by game
/// systems directly).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum MoveIntent {
    /// Stand still (avoidance may still nudge the NPC aside).
    #[default]
    Stop,
    /// Walk to a point, along a path when walls are in the way, slowing down on arrival.
    MoveTo(Vec2),
    /// Run straight at a point (chasing something in plain sight).
    Seek(Vec2),
    /// Run away from a point.
    Flee(Vec2),
    /// Amble about.
    Wander,
    /// Follow the shared flow field with this index in [`FlowFields`](super::FlowFields).
    FollowFlow(u32),
}

/// Movement state: the intent, the path being followed and any path query in flight.
///
/// Walking intents ([`MoveIntent::MoveTo`], [`MoveIntent::Wander`], [`MoveIntent::FollowFlow`])
/// use 60% of the agent's top speed, running ones ([`MoveIntent::Seek`], [`MoveIntent::Flee`])
/// all of it.
#[derive(Component, Clone, Debug, Default)]
pub struct Locomotion {
    /// What the NPC is trying to do.
    pub intent: MoveIntent,
    /// The path being followed, if any.
    pub path: PathFollower,
    /// The goal of the path being followed or asked for.
    pub path_goal: Option<Vec2>,
    /// The path query in flight.
    pub pending: Option<PathQueryId>,
    /// Why the last path query failed, if it did (an unreachable goal, a goal inside a wall).
    pub last_path_error: Option<PathError>,
    /// Wandering state (seeded per entity, so wandering is deterministic).
    pub wander: Wander,
    /// The velocity avoidance chose at its last update (kept between staggered updates).
    pub avoidance_velocity: Vec2,
    /// The flow field goal this NPC reached last, so crowds can be sent on.
    pub reached_flow_goal: Option<u32>,
}

/// What the NPC can sense.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Senses {
    /// The view cone; `None` is blind. The default is [`SightCone::default`] (15 m, 115 degrees).
    pub sight: Option<SightCone>,
    /// Hearing as a multiple of each noise's radius: 1.0 normal (the default), 0.0 deaf.
    pub hearing: f32,
    /// How fast memories fade. The default is a 4 s half-life.
    pub memory: MemoryConfig,
}

impl Default for Senses {
    fn default() -> Self {
        Self {
            sight: Some(SightCone::default()),
            hearing: 1.0,
            memory: MemoryConfig::default(),
        }
    }
}

/// What the NPC remembers having seen and heard, fading over time.
#[derive(Component, Clone, Copy, Debug, Default, Deref, DerefMut)]
pub struct NpcMemory(pub StimulusMemory);

/// Something NPCs can see: the player, a monster, a thrown torch.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Perceivable {
    /// Position on the ground plane; kept in sync from the `Transform` when the entity has
    /// one.
    pub position: Vec2,
    /// How threatening it is, in [0, 1]; written to the `danger` key of those who see it.
    pub threat: f32,
}

/// A closed loop of points for the built-in `patrol` task.
#[derive(Component, Clone, Debug, Default)]
pub struct PatrolRoute {
    /// The points, visited in order and then from the start again.
    pub points: Vec<Vec2>,
    /// The point the NPC is heading to next.
    pub next: usize,
}

/// Distances that set NPC tiers by how far they are from this entity (usually the player or
/// the camera): within `hero_within` metres [`Tier::Hero`], within `active_within`
/// [`Tier::Active`], beyond [`Tier::Crowd`]. NPCs with [`NpcTierLocked`] keep their tier.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct NpcLodFocus {
    /// Radius of the hero tier, in metres. The default is 12.
    pub hero_within: f32,
    /// Radius of the active tier, in metres. The default is 60.
    pub active_within: f32,
}

impl Default for NpcLodFocus {
    fn default() -> Self {
        Self {
            hero_within: 12.0,
            active_within: 60.0,
        }
    }
}

/// Keeps an NPC's tier as set by the game, whatever its distance to the [`NpcLodFocus`].
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct NpcTierLocked;

/// The NPC's place in its tier's round-robin order (managed by the plugin).
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct NpcSlot {
    pub(crate) tier: Tier,
    pub(crate) index: u32,
    /// Index into this tick's dense steering arrays.
    pub(crate) dense: u32,
    /// The scheduler tick of the NPC's last hearing turn: it hears the noises made after it
    /// (`None` until the NPC is first grouped into its tier).
    pub(crate) heard_through: Option<u64>,
}
