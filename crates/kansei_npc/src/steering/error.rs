//! Errors reported when steering configuration values are unusable.

use thiserror::Error;

/// A configuration value that the steering code cannot work with.
///
/// The per-tick functions never fail: they sanitise bad values (documented on each function).
/// These errors come from the explicit validation entry points ([`SpatialHash::try_new`],
/// [`OrcaParams::validate`]) so that configuration loaders can reject bad data early.
///
/// [`SpatialHash::try_new`]: crate::steering::SpatialHash::try_new
/// [`OrcaParams::validate`]: crate::steering::OrcaParams::validate
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum SteeringError {
    /// The spatial hash cell size was zero, negative or not finite.
    #[error("the spatial hash cell size must be a finite number greater than zero, but it was {0}")]
    InvalidCellSize(f32),
    /// The `ORCA` time horizon was zero, negative or not finite.
    #[error(
        "the ORCA time horizon must be a finite number of seconds greater than zero, but it was {0}"
    )]
    InvalidTimeHorizon(f32),
    /// The `ORCA` neighbour distance was negative or not finite.
    #[error(
        "the ORCA neighbour distance must be a finite number of metres, zero or more, but it was {0}"
    )]
    InvalidNeighbourDistance(f32),
}
