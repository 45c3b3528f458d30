//! NPC decision making: per-NPC blackboards, behaviour trees with Unreal-style conditional
//! aborts, Infinite Axis Utility selectors, RON behaviour files and a small decision log.
//!
//! # Pieces
//!
//! - [`Blackboard`]: per-NPC key/value store ([`Key`] = interned [`Symbol`]); every real change
//!   bumps a revision so that watchers re-evaluate only when a key they read changed.
//! - [`BehaviourDef`] / [`NodeDef`]: the data model. It is the RON file format (serde) and what
//!   the Rust builders ([`NodeDef::selector`], [`NodeDef::guard`], ...) produce;
//!   [`BehaviourDef::to_ron`] writes it back.
//! - [`Behaviour`]: a validated, compiled, immutable node arena shared by `Arc` between NPCs.
//!   [`Behaviour::tick`] advances one NPC; its mutable progress is in a [`BehaviourState`], the
//!   tasks it runs in [`ActiveTasks`] and its recent choices in a [`DecisionLog`]. Ticks of
//!   different NPCs are independent, so the caller may run them in parallel.
//! - Game systems implement tasks: they look at [`ActiveTasks::iter`] for the task names they
//!   know, do the work, and set the task's status (or call [`ActiveTasks::succeed`] /
//!   [`ActiveTasks::fail`]); the next tick consumes it. Tasks removed by aborts show up once
//!   in [`ActiveTasks::cancelled`].
//!
//! # Semantics in brief
//!
//! - `Sequence`, `Selector`: classic; a node that returns `Running` is resumed next tick.
//! - `Parallel`: all unfinished children are ticked every tick (several tasks active at once).
//! - `Guard`: fails if its condition is false when entered. `abort: SelfOnly` aborts the running
//!   guarded branch when the condition turns false; `abort: LowerPriority` makes the enclosing
//!   `Selector` abort a running lower-priority child and start the guard's branch in the same
//!   tick when the condition turns true (also through directly nested `Selector`s); `Both` does
//!   both. Guards re-evaluate only when one of the keys their condition reads changed since the
//!   previous tick ([`Blackboard::changed_since`]).
//! - `Utility`: scores each action as `weight * Π compensate(curve(input))` (see
//!   [`compensate`] for Dave Mark's compensation factor), multiplies the running action's score
//!   by `1 + momentum`, runs the best (ties to the earlier action) and re-scores whenever a key
//!   its considerations read changes, aborting the old branch when another action wins.
//! - A finished root restarts on the next tick.
//!
//! # File format (RON)
//!
//! A file is one `Behaviour(name: "...", root: <node>)`. Nodes:
//!
//! | Node | RON |
//! |---|---|
//! | sequence | `Sequence([<node>, ...])` |
//! | selector | `Selector([<node>, ...])` |
//! | parallel | `Parallel(policy: RequireAll \| RequireOne, children: [<node>, ...])` |
//! | utility selector | `Utility(momentum: 0.25, actions: [(name: "eat", weight: 1.0, considerations: [...], child: <node>), ...])` |
//! | consideration | `(input: Key("hunger", 0.0, 1.0) \| Constant(0.6), curve: <curve>)`, optional `name: "..."` |
//! | | (`to_ron` writes these unnamed structs as `Action(..)` and `Consideration(..)`; both spellings parse) |
//! | curves | `Linear(slope: 1.0, intercept: 0.0)`, `Quadratic(exponent: 2.0, slope: 1.0, shift: 0.0, intercept: 0.0)`, `Logistic(steepness: 12.0, midpoint: 0.4)`, `Piecewise([(0.0, 0.0), (1.0, 1.0)])` |
//! | invert / always succeed | `Invert(<node>)`, `Succeed(<node>)` |
//! | repeat | `Repeat(times: Some(3), child: <node>)`; omit `times` to repeat forever |
//! | cooldown / time limit | `Cooldown(seconds: 5.0, child: <node>)`, `TimeLimit(seconds: 10.0, child: <node>)` |
//! | guard | `Guard(when: <condition>, abort: None \| SelfOnly \| LowerPriority \| Both, child: <node>)`; `abort` defaults to `None` |
//! | task | `Task("patrol")` or `Task("chase", Some("target_position"))` (task name, optional blackboard key) |
//! | wait | `Wait(2.0)` (seconds) |
//! | blackboard write | `Set("heard_noise", Bool(false))`, `Clear("target")`; values `Bool(b)`, `Float(x)`, `Vec2((x, y))`, `Target(bits)` |
//! | condition leaf | `Check(<condition>)` |
//!
//! Conditions: `IsTrue("k")`, `IsFalse("k")`, `IsSet("k")`, `Less("k", 0.5)`,
//! `Greater("k", 0.5)`, `Near("a", "b", 3.0)` (two `Vec2` keys within a distance), `Not(<c>)`,
//! `All([<c>, ...])`, `Any([<c>, ...])`.
//!
//! The task key is positional: RON cannot mix positional and named values in one variant, so
//! `Task("chase", key: Some(..))` is not valid. The parser enables RON's `implicit_some`, so
//! `Task("chase", "target_position")` and `Repeat(times: 3, ..)` work too; [`BehaviourDef::to_ron`]
//! always writes the explicit `Some(..)`. Integers are accepted where floats are expected
//! (`Wait(2)`).
//!
//! A complete guard (the test `documented_guard_example_parses_and_runs` parses exactly this):
//!
//! ```ron
//! Behaviour(
//!     name: "guard",
//!     root: Selector([
//!         Guard(when: IsTrue("target_visible"), abort: LowerPriority, child: Task("chase", Some("target_position"))),
//!         Guard(when: IsTrue("heard_noise"), abort: Both, child: Sequence([
//!             Task("move_to", Some("noise_position")),
//!             Wait(2.0),
//!             Set("heard_noise", Bool(false)),
//!         ])),
//!         Sequence([Task("patrol"), Wait(1.0)]),
//!     ]),
//! )
//! ```
//!
//! And a utility-driven villager (tested by `documented_villager_example_parses_and_runs`):
//!
//! ```ron
//! Behaviour(name: "villager", root: Utility(momentum: 0.25, actions: [
//!     (name: "flee", weight: 2.0, considerations: [(input: Key("danger", 0.0, 1.0), curve: Logistic(steepness: 12.0, midpoint: 0.4))], child: Task("flee", Some("danger_position"))),
//!     (name: "eat", weight: 1.0, considerations: [(input: Key("hunger", 0.0, 1.0), curve: Quadratic(exponent: 2.0, slope: 1.0, shift: 0.0, intercept: 0.0))], child: Task("eat")),
//!     (name: "work", weight: 0.8, considerations: [(input: Constant(0.6), curve: Linear(slope: 1.0, intercept: 0.0))], child: Task("work")),
//! ]))
//! ```
//!
//! Errors: malformed text gives [`BehaviourError::Parse`] with the 1-based line and column;
//! a well-formed but invalid behaviour (empty composites, non-finite or negative numbers, bad
//! curves, ...) gives [`BehaviourError::Invalid`] with a path such as
//! `root.Selector[1].Guard.child.Sequence`.

mod blackboard;
mod compile;
mod condition;
mod curve;
mod definition;
mod error;
mod log;
mod runner;
mod symbol;
mod tasks;
mod utility;

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;

pub use blackboard::{Blackboard, Value};
pub use compile::{Behaviour, NodeId};
pub use condition::Condition;
pub use curve::Curve;
pub use definition::{Abort, BehaviourDef, NodeDef, ParallelPolicy, UtilityActionDef};
pub use error::BehaviourError;
pub use log::{DECISION_LOG_CAPACITY, DecisionCause, DecisionLog, DecisionRecord};
pub use runner::{BehaviourState, Status};
pub use symbol::{Key, Symbol, TaskName};
pub use tasks::{ActiveTask, ActiveTasks, TaskStatus};
pub use utility::{Consideration, Input, compensate, score_considerations};
