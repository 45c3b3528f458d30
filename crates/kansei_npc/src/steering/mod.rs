//! Steering for crowds on the XZ ground plane, engine-agnostic.
//!
//! Everything works in 2-D: a world position `(x, y, z)` maps to `Vec2::new(x, z)`.
//!
//! * Steering behaviours ([`seek`], [`flee`], [`arrive`], [`pursue`], [`evade`], [`separation`],
//!   [`Wander`], [`PathFollower`]) return a *desired velocity*, not a force. The caller blends them
//!   and hands the result to `ORCA` as the preferred velocity.
//! * [`SpatialHash`] finds neighbours; it is rebuilt from scratch every tick with a counting sort.
//! * [`orca_velocity`] turns a preferred velocity into a collision-free one (optimal reciprocal
//!   collision avoidance, van den Berg et al. 2011).
//! * [`Crowd`] is a single-threaded reference simulation tying the three together; tests and
//!   benches use it, and it documents the intended per-tick order for the ECS systems.
//!
//! Non-finite inputs never propagate: every function documents what it does with `NaN`/infinity
//! (usually: treat the value as zero, or ignore the point).

mod behaviours;
mod crowd;
mod error;
mod orca;
mod path_follower;
mod rng;
mod spatial_hash;
mod wander;

pub use behaviours::{
    COINCIDENT_DISTANCE, MAX_PREDICTION_TIME, arrive, evade, flee, pursue, seek, separation,
    separation_in,
};
pub use crowd::Crowd;
pub use error::SteeringError;
pub use orca::{FALLBACK_TIME_STEP, OrcaAgent, OrcaParams, OrcaScratch, orca_velocity};
pub use path_follower::{FINAL_WAYPOINT_TOLERANCE, MIN_WAYPOINT_RADIUS, PathFollower};
pub use spatial_hash::{DEFAULT_CELL_SIZE, SpatialHash};
pub use wander::{WANDER_CIRCLE_DISTANCE, WANDER_CIRCLE_RADIUS, WANDER_JITTER, Wander};
