//! Perception: what an NPC sees and hears, and a memory of it that fades.
//!
//! - [`sight`]: a view cone with a range and line of sight against occluders ([`LineOfSight`]).
//! - [`hearing`]: noise events with an audible radius and a loudness.
//! - [`memory`]: [`StimulusMemory`], a small fixed-capacity memory per NPC whose entries fade
//!   with a half-life and are forgotten below a threshold, so a guard keeps searching where it
//!   last saw the player for a while, then gives up.
//!
//! Everything works on the ground plane (`Vec2` = world x, z) and is pure: the Bevy plugin calls
//! it for thousands of NPCs in parallel and writes the results into each NPC's blackboard
//! (see the plugin's `perception` keys).

pub mod hearing;
pub mod memory;
pub mod sight;

pub use hearing::{NoiseEvent, heard_strength};
pub use memory::{MemoryConfig, Sense, Stimulus, StimulusMemory};
pub use sight::{LineOfSight, NoOccluders, SightCone};
