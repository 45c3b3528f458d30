//! One module per `kansei` subcommand group.

pub mod model;
pub mod upscale;
pub mod upscale_train;
