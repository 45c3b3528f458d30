//! The player model: skill, engagement and preferences estimated on the device from gameplay
//! telemetry, shared by Kansei's adaptive difficulty and recommendation plugins.
//!
//! Not built yet: this crate is reserved in the workspace so that the facade and the plugin
//! group have a stable place for it.
