//! NPC behaviour: ECS-native decision making (utility AI, behaviour trees), perception, steering
//! and navigation, from a few hero NPCs to tens of thousands of crowd agents.
//!
//! Not built yet: this crate is reserved in the workspace so that the facade and the plugin
//! group have a stable place for it.
