//! On-device recommendations: a small sequential model that suggests what to play next, trained
//! and run on the player's device.
//!
//! Not built yet: this crate is reserved in the workspace so that the facade and the plugin
//! group have a stable place for it.
