//! Grid navigation for NPCs on the XZ ground plane.
//!
//! - [`NavGrid`]: walkability grid (8-connected, no corner cutting) with exact
//!   [`line_of_sight`](NavGrid::line_of_sight) and a [`revision`](NavGrid::revision) counter.
//! - [`find_path`]: one-shot jump point search; [`PathSearch`]: the same search, suspendable
//!   and resumable.
//! - [`PathQueue`]: prioritised, cancellable queries answered within a per-tick time budget.
//! - [`FlowField`]: one Dijkstra field shared by many agents heading to the same goal.
//!
//! Paths are smoothed by line of sight, so waypoints are corners rather than every cell.

mod error;
mod flow_field;
mod grid;
mod jump;
mod line_of_sight;
mod neighbours;
mod path;
mod queue;
mod search;

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod test_support;
#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;

pub use error::{NavError, PathError};
pub use flow_field::FlowField;
pub(crate) use grid::GridFrame;
pub use grid::{MAX_GRID_SIDE, NavGrid};
pub use path::Path;
pub use queue::{
    CELLS_PER_CLOCK_CHECK, EXPANSIONS_PER_CLOCK_CHECK, PathAnswer, PathPriority, PathQueryId,
    PathQueue, ProcessStats,
};
pub use search::{PathSearch, SearchStatus, find_path};
