//! Errors from loading, validating and saving behaviours.

use thiserror::Error;

/// Why a behaviour could not be loaded, compiled or saved.
///
/// `Display` gives a sentence without the asset path (the plugin prefixes it), e.g.
/// `line 4, column 17: expected ...` or
/// `root.Selector[1].Guard.child.Sequence: a Sequence needs at least one child`.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BehaviourError {
    /// The RON text is malformed or does not match the format.
    #[error("line {line}, column {column}: {message}")]
    Parse {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column (in characters) of the problem.
        column: usize,
        /// What the parser expected or found.
        message: String,
    },
    /// The definition is well-formed but not a valid behaviour.
    #[error("{path}: {message}")]
    Invalid {
        /// Where in the definition, e.g. `root.Selector[1].Guard.child`.
        path: String,
        /// What is wrong there.
        message: String,
    },
    /// Writing the definition as RON failed.
    #[error("could not write the behaviour as RON: {0}")]
    Serialize(String),
}

impl BehaviourError {
    pub(crate) fn invalid(path: &str, message: impl Into<String>) -> BehaviourError {
        BehaviourError::Invalid {
            path: path.to_owned(),
            message: message.into(),
        }
    }
}
