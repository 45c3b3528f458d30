//! One module per `kansei` subcommand group.

pub mod difficulty;
pub mod model;
#[cfg(feature = "npc")]
pub mod npc;
pub mod recommend;
pub mod recommend_average;
pub mod recommend_train;
pub mod upscale;
#[cfg(feature = "scenes")]
pub mod upscale_bench_scenes;
pub mod upscale_train;
#[cfg(feature = "scenes")]
pub mod upscale_train_blend;
