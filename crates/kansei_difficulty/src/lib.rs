//! Adaptive difficulty: keeps each player in the flow channel and explains every change in one
//! sentence, with an opt-out that is honoured.
//!
//! Not built yet: this crate is reserved in the workspace so that the facade and the plugin
//! group have a stable place for it.
