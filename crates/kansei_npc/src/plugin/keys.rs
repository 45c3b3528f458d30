//! The blackboard keys the plugin writes and the built-in tasks read.

use bevy::prelude::Resource;

use crate::decision::{Key, Symbol};

/// Blackboard keys written by perception and read by the built-in tasks, interned once.
///
/// | key | value | written when |
/// |---|---|---|
/// | `target` | `Target(entity bits)` | the most threatening thing seen or remembered |
/// | `target_visible` | `Bool` | it is in sight right now |
/// | `target_position` | `Vec2` | where it was last seen |
/// | `heard_noise` | `Bool` | set to `true` by a new noise (behaviours clear it when they have investigated) |
/// | `noise_position` | `Vec2` | where the loudest recent noise came from |
/// | `danger` | `Float` in [0, 1] | the remembered threat: its strength times its `threat` |
/// | `danger_position` | `Vec2` | where the danger is |
#[derive(Resource, Clone, Copy, Debug)]
pub struct PerceptionKeys {
    /// `target`
    pub target: Key,
    /// `target_visible`
    pub target_visible: Key,
    /// `target_position`
    pub target_position: Key,
    /// `heard_noise`
    pub heard_noise: Key,
    /// `noise_position`
    pub noise_position: Key,
    /// `danger`
    pub danger: Key,
    /// `danger_position`
    pub danger_position: Key,
}

impl PerceptionKeys {
    /// Interns the keys (a lock per key: call once, not per NPC).
    pub fn new() -> Self {
        Self {
            target: Symbol::new("target"),
            target_visible: Symbol::new("target_visible"),
            target_position: Symbol::new("target_position"),
            heard_noise: Symbol::new("heard_noise"),
            noise_position: Symbol::new("noise_position"),
            danger: Symbol::new("danger"),
            danger_position: Symbol::new("danger_position"),
        }
    }
}

impl Default for PerceptionKeys {
    fn default() -> Self {
        Self::new()
    }
}

/// The names of the built-in tasks, interned once.
///
/// | task | key | does | succeeds | fails |
/// |---|---|---|---|---|
/// | `move_to` | a `Vec2` | walks there along a path | on arrival | the key is missing or the goal is unreachable |
/// | `chase` | a `Vec2` (e.g. `target_position`) | runs there, straight when in sight, along a path otherwise | on reaching it | the key is missing or unreachable |
/// | `flee` | a `Vec2` (e.g. `danger_position`) | runs away from it | once 15 m away | the key is missing |
/// | `wander` | - | ambles about | never (use a time limit) | - |
/// | `patrol` | - | walks to the next point of the NPC's `PatrolRoute` | on arrival | no route |
/// | `idle` | - | stands still | never | - |
#[derive(Resource, Clone, Copy, Debug)]
pub struct TaskNames {
    /// `move_to`
    pub move_to: Symbol,
    /// `chase`
    pub chase: Symbol,
    /// `flee`
    pub flee: Symbol,
    /// `wander`
    pub wander: Symbol,
    /// `patrol`
    pub patrol: Symbol,
    /// `idle`
    pub idle: Symbol,
}

impl TaskNames {
    /// Interns the names.
    pub fn new() -> Self {
        Self {
            move_to: Symbol::new("move_to"),
            chase: Symbol::new("chase"),
            flee: Symbol::new("flee"),
            wander: Symbol::new("wander"),
            patrol: Symbol::new("patrol"),
            idle: Symbol::new("idle"),
        }
    }

    /// Whether `name` is one of the movement tasks above.
    pub fn is_builtin(&self, name: Symbol) -> bool {
        [
            self.move_to,
            self.chase,
            self.flee,
            self.wander,
            self.patrol,
            self.idle,
        ]
        .contains(&name)
    }
}

impl Default for TaskNames {
    fn default() -> Self {
        Self::new()
    }
}
