//! Error types of the navigation module.

use glam::Vec2;

/// Why a [`NavGrid`](super::NavGrid) could not be created.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NavError {
    /// One of the sides has zero cells.
    #[error(
        "a navigation grid needs at least one cell on each side, but {width} x {height} cells were requested"
    )]
    EmptyGrid {
        /// Requested number of columns.
        width: u32,
        /// Requested number of rows.
        height: u32,
    },
    /// One of the sides exceeds [`MAX_GRID_SIDE`](super::MAX_GRID_SIDE).
    #[error(
        "a navigation grid of {width} x {height} cells is too large: each side may have at most {max} cells"
    )]
    TooLarge {
        /// Requested number of columns.
        width: u32,
        /// Requested number of rows.
        height: u32,
        /// The largest allowed number of cells per side.
        max: u32,
    },
    /// The cell size is not a finite number above zero, or the grid's extent would overflow.
    #[error(
        "the navigation cell size must be a finite number greater than zero that keeps the grid's extent finite, but it is {cell_size}"
    )]
    InvalidCellSize {
        /// The rejected cell size.
        cell_size: f32,
    },
    /// The origin is not finite, or the grid's far corner would not be finite.
    #[error("the navigation grid origin ({}, {}) must be finite and leave the grid's far corner finite", .origin.x, .origin.y)]
    InvalidOrigin {
        /// The rejected origin.
        origin: Vec2,
    },
}

/// Why a path query failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PathError {
    /// The start or the goal lies outside the grid.
    #[error("point ({:.1}, {:.1}) lies outside the navigation grid", .point.x, .point.y)]
    OutsideGrid {
        /// The point that is outside.
        point: Vec2,
    },
    /// The start lies in a blocked cell (see [`NavGrid::nearest_walkable`](super::NavGrid::nearest_walkable)).
    #[error("start ({:.1}, {:.1}) lies in a blocked cell", .start.x, .start.y)]
    StartBlocked {
        /// The start point of the query.
        start: Vec2,
    },
    /// The goal lies in a blocked cell.
    #[error("goal ({:.1}, {:.1}) lies in a blocked cell", .goal.x, .goal.y)]
    GoalBlocked {
        /// The goal point of the query.
        goal: Vec2,
    },
    /// Every cell reachable from the start was searched without finding the goal.
    #[error("goal ({:.1}, {:.1}) is unreachable from the start: everything reachable was searched ({} jump points expanded)", .goal.x, .goal.y, .expanded)]
    Unreachable {
        /// The goal point of the query.
        goal: Vec2,
        /// Number of jump points expanded (the search scans every cell reachable from the
        /// start, expanding only the cells where a path may turn).
        expanded: u32,
    },
    /// The query was cancelled with [`PathQueue::cancel`](super::PathQueue::cancel).
    #[error("the path query was cancelled before it finished")]
    Cancelled,
    /// The query itself is malformed (non-finite points, no search started, ...).
    #[error("invalid path query: {reason}")]
    InvalidInput {
        /// What is wrong, as a sentence fragment.
        reason: &'static str,
    },
}
