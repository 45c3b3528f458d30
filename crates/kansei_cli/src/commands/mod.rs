//! One module per `kansei` subcommand group.

pub mod model;
