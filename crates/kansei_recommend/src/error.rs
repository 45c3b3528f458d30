//! Errors of the recommendation core.

use std::path::{Path, PathBuf};

/// A line of an interaction file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct DataError {
    /// The file (or `<text>` for parsed strings).
    pub path: String,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// Why a recommendation could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RecommendError {
    /// The interaction data is malformed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An item id the model or catalogue does not know.
    #[error("unknown item id {id}: the model knows items 1..={num_items}")]
    UnknownItem {
        /// The id.
        id: u32,
        /// Items the model knows.
        num_items: u32,
    },
    /// A model and the catalogue or data it is used with disagree.
    #[error(
        "model `{model}` was built for {model_items} items but the catalogue has {catalogue_items}"
    )]
    CatalogueMismatch {
        /// The model's name.
        model: String,
        /// Items the model knows.
        model_items: u32,
        /// Items in the catalogue or data.
        catalogue_items: u32,
    },
    /// A score buffer of the wrong length was passed.
    #[error("score buffer holds {found} values, the model scores {expected} (item ids 0..={num_items})", expected = .num_items + 1)]
    ScoreBuffer {
        /// Its length.
        found: usize,
        /// Items the model knows.
        num_items: u32,
    },
    /// The model files are missing, corrupt or do not match the network.
    #[error(transparent)]
    Model(#[from] kansei_nn::ModelError),
    /// Training failed.
    #[error(transparent)]
    Train(#[from] kansei_nn::TrainError),
    /// candle failed.
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    /// Anything else, described.
    #[error("{0}")]
    Invalid(String),
}

impl RecommendError {
    /// Wraps an I/O error on `path` (for `map_err`).
    pub(crate) fn io(path: &Path) -> impl Fn(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The text of the file at `path`, or [`RecommendError::Io`] naming it.
pub(crate) fn read_text(path: &Path) -> Result<String, RecommendError> {
    std::fs::read_to_string(path).map_err(RecommendError::io(path))
}
