//! NPC behaviour for Bevy games: utility AI and behaviour trees, perception, steering with
//! reciprocal avoidance, grid navigation with flow fields, and LOD scheduling within a time
//! budget, from a few hero NPCs to tens of thousands of crowd agents.
//!
//! The engine-agnostic core needs no Bevy:
//!
//! - [`decision`]: blackboards, utility selectors (Infinite Axis style), behaviour trees with
//!   conditional aborts, behaviours in RON or Rust, the decision log.
//! - [`perception`]: sight cones with line of sight, hearing, fading memory.
//! - [`steering`]: seek, flee, arrive, wander, pursue, evade, path following, separation,
//!   ORCA, the spatial hash.
//! - [`nav`]: the navigation grid, jump point search, the budgeted query queue, flow fields.
//! - [`schedule`]: LOD tiers, round-robin turns, the decision budget.
//! - [`rng`]: the seeded generator behind the demo town, the benchmark and randomised tests.
//!
//! On top (feature `bevy`, on by default):
//!
//! - `plugin`: [`NpcPlugin`](plugin::NpcPlugin), the ECS-native stack: every NPC is one
//!   entity; perception and decisions visit only the NPCs whose turn it is, steering runs in
//!   parallel over dense components.
//! - `demo`: the demo town of the example and the benchmark (streets, villagers, commuters).
//! - `bench`: the deterministic headless scenario of `kansei npc bench`.

#[cfg(feature = "bevy")]
pub mod bench;
pub mod decision;
#[cfg(feature = "bevy")]
pub mod demo;
pub mod nav;
pub mod perception;
#[cfg(feature = "bevy")]
pub mod plugin;
pub mod rng;
pub mod schedule;
pub mod steering;
