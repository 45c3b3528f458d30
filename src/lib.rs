//! # Kansei: on-device AI plugins for Bevy
//!
//! `bevy_kansei` is the facade over Kansei's capability crates. Each capability has an
//! engine-agnostic core (plain Rust, wgpu or candle, testable without Bevy) and a thin Bevy
//! plugin on top; this crate re-exports them under short names and bundles the plugins into
//! [`KanseiPlugins`].
//!
//! | module | crate | what it does |
//! |---|---|---|
//! | [`nn`] | `kansei_nn` | model files: safetensors weights with RON model cards, validated loading, atomic saving, training helpers |
//! | [`upscale`] | `kansei_upscale` | upscaling in WGSL compute: the GPU harness, the classical resamplers, the networks, and the [`KanseiUpscale`](upscale::KanseiUpscale) camera component (temporal reconstruction, spatial EASU + RCAS fallback; plugin [`KanseiUpscalePlugin`](upscale::KanseiUpscalePlugin)), the test scenes and the quality harness (feature `scenes`) |
//! | [`player`] | `kansei_player` | the player model: validated encounter telemetry, consent flags, skill estimation (a Kalman filter over skill and its trend, sharpened by graded performance), profiles saved atomically as versioned RON |
//! | [`difficulty`] | `kansei_difficulty` | adaptive difficulty in the flow channel: the flow controller with a quit-risk model, designer knobs and tiers from RON, the pacing director, and the engine-agnostic [`AdaptiveDifficulty`](difficulty::session::AdaptiveDifficulty) session with an explanation for every change (plugin [`DifficultyPlugin`](difficulty::plugin::DifficultyPlugin)) |
//! | [`recommend`] | `kansei_recommend` | on-device recommendations with a reason for each: popularity, Markov and a small self-attentive sequential model, a game catalogue in RON, plays kept in the player's profile (plugin [`RecommendPlugin`](recommend::plugin::RecommendPlugin)) |
//! | [`npc`] | `kansei_npc` | NPC behaviour: utility AI and behaviour trees with conditional aborts (RON or Rust, hot reloaded), perception, steering with ORCA, grid navigation with a budgeted query queue and flow fields, LOD tiers within a time budget (plugin [`NpcPlugin`](npc::plugin::NpcPlugin)) |
//!
//! Everything runs on the player's device: no crate in Kansei opens a network connection.
//!
//! # Usage
//!
//! 1. Add Bevy and `bevy_kansei` to your game.
//! 2. Add [`KanseiPlugins`] next to `DefaultPlugins`:
//!
//! ```
//! use bevy::prelude::*;
//! use bevy_kansei::KanseiPlugins;
//!
//! let mut app = App::new();
//! app.add_plugins((MinimalPlugins, KanseiPlugins));
//! ```
//!
//! 3. Switch individual features on with their components and resources, documented in each
//!    module.

pub use kansei_difficulty as difficulty;
pub use kansei_nn as nn;
pub use kansei_npc as npc;
pub use kansei_player as player;
pub use kansei_recommend as recommend;
pub use kansei_upscale as upscale;

use bevy::app::{PluginGroup, PluginGroupBuilder};

/// Every Kansei plugin, in the order they depend on each other.
///
/// Individual plugins can be configured or disabled the usual Bevy way
/// (`KanseiPlugins.set(..)`, `KanseiPlugins.build().disable::<..>()`).
///
/// | plugin | switched on by |
/// |---|---|
/// | [`KanseiUpscalePlugin`](upscale::KanseiUpscalePlugin) | the [`KanseiUpscale`](upscale::KanseiUpscale) camera component |
/// | [`DifficultyPlugin`](difficulty::plugin::DifficultyPlugin) | [`EncounterFinished`](difficulty::plugin::EncounterFinished) messages (with the default knobs, tier Normal; configure it with `KanseiPlugins.set(DifficultyPlugin { .. })`) |
/// | [`RecommendPlugin`](recommend::plugin::RecommendPlugin) | [`PlayRecorded`](recommend::plugin::PlayRecorded) messages (with the demo game library; configure it with `KanseiPlugins.set(RecommendPlugin { .. })` for the game's own catalogue and model) |
/// | [`NpcPlugin`](npc::plugin::NpcPlugin) | the [`Npc`](npc::plugin::Npc) component (or [`NpcBehaviour`](npc::plugin::NpcBehaviour), which brings it), in `FixedUpdate` |
///
/// Every plugin does
/// nothing until its component, resource or message arrives (the upscaler nothing at all
/// without a renderer; the difficulty plugin only ticks its pacing director, a few arithmetic
/// operations a frame; the recommendation plugin loads its model once at start and compares
/// the player's plays with the last ones it saw each frame; the NPC plugin runs its stages over
/// no NPCs), so adding the group is harmless.
/// Plugins given the same [`ProfileLocation`](player::plugin::ProfileLocation) share one
/// [`SavedProfile`](player::plugin::SavedProfile).
pub struct KanseiPlugins;

impl PluginGroup for KanseiPlugins {
    fn build(self) -> PluginGroupBuilder {
        PluginGroupBuilder::start::<Self>()
            .add(upscale::KanseiUpscalePlugin)
            .add(difficulty::plugin::DifficultyPlugin::default())
            .add(recommend::plugin::RecommendPlugin::default())
            .add(npc::plugin::NpcPlugin::default())
    }
}
