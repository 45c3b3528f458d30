//! The crate's error types: [`ModelError`] for the model-file layer and [`TrainError`] for
//! training helpers.
//!
//! Every message names the file it is about (and the tensor, where one is involved) because these
//! errors surface in game logs and bug reports, far from the code that asked for the file.

use std::fmt;
use std::path::{Path, PathBuf};

use candle_core::DType;

/// An error while reading, validating or writing a model file (`*.safetensors` weights plus their
/// `*.model.ron` card) or a training checkpoint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The file system refused an operation.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being attempted ("read", "write", "rename", ...).
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The weights file is truncated or is not a safetensors file at all.
    #[error("{}: not a valid safetensors file: {reason}", path.display())]
    BadWeightsFile {
        /// The weights file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// The code's architecture expects a tensor that the file does not have.
    #[error(
        "{}: tensor `{tensor}` is missing (the architecture expects shape {expected_shape:?}, \
         dtype {})",
        path.display(),
        expected_dtype.as_str()
    )]
    MissingTensor {
        /// The weights file.
        path: PathBuf,
        /// The missing tensor's name.
        tensor: String,
        /// The shape the architecture expects.
        expected_shape: Vec<usize>,
        /// The dtype the architecture expects.
        expected_dtype: DType,
    },

    /// The file has a tensor that the code's architecture does not know about.
    #[error(
        "{}: tensor `{tensor}` (shape {shape:?}) is not part of the expected architecture",
        path.display()
    )]
    UnexpectedTensor {
        /// The weights file.
        path: PathBuf,
        /// The unexpected tensor's name.
        tensor: String,
        /// Its shape in the file.
        shape: Vec<usize>,
    },

    /// A tensor has a different shape than the architecture expects.
    #[error("{}: tensor `{tensor}` has shape {found:?}, expected {expected:?}", path.display())]
    ShapeMismatch {
        /// The weights file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The shape the architecture expects.
        expected: Vec<usize>,
        /// The shape stored in the file.
        found: Vec<usize>,
    },

    /// A tensor has a different element type than the architecture expects.
    #[error(
        "{}: tensor `{tensor}` has dtype {found}, expected {}",
        path.display(),
        expected.as_str()
    )]
    DTypeMismatch {
        /// The weights file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The dtype the architecture expects.
        expected: DType,
        /// The dtype stored in the file, as safetensors names it (it may be one candle lacks).
        found: String,
    },

    /// A tensor holds NaN or infinite values, which would poison every inference.
    #[error(
        "{}: tensor `{tensor}` holds {count} non-finite value(s) (NaN or infinity), the first at \
         flat index {first_index}",
        path.display()
    )]
    NonFinite {
        /// The weights file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// How many elements are NaN or infinite.
        count: usize,
        /// The row-major index of the first such element.
        first_index: usize,
    },

    /// The weights were written for a different model name than the card describes.
    #[error(
        "{}: weights belong to model {} but the card {} describes model `{card}`",
        weights_path.display(),
        quoted(weights.as_deref()),
        card_path.display()
    )]
    NameMismatch {
        /// The weights file.
        weights_path: PathBuf,
        /// The card file.
        card_path: PathBuf,
        /// The name in the card.
        card: String,
        /// The name in the weights' metadata (`None` when the file has none).
        weights: Option<String>,
    },

    /// The weights and the card carry different versions. This is what an interrupted save
    /// between its two renames looks like (see [`crate::save`]), or a card copied by hand.
    #[error(
        "{}: weights are version {} but the card {} says version `{card}` (the files come from \
         different saves)",
        weights_path.display(),
        quoted(weights.as_deref()),
        card_path.display()
    )]
    VersionMismatch {
        /// The weights file.
        weights_path: PathBuf,
        /// The card file.
        card_path: PathBuf,
        /// The version in the card.
        card: String,
        /// The version in the weights' metadata (`None` when the file has none).
        weights: Option<String>,
    },

    /// The card records a checksum of the weights that the weights file does not match: card and
    /// weights come from different saves even though name and version agree.
    #[error(
        "{}: weights checksum is {found} but the card {} records {card} (the files come from \
         different saves)",
        weights_path.display(),
        card_path.display()
    )]
    ChecksumMismatch {
        /// The weights file.
        weights_path: PathBuf,
        /// The card file.
        card_path: PathBuf,
        /// The checksum recorded in the card.
        card: String,
        /// The checksum of the weights file's tensor data.
        found: String,
    },

    /// The card is not valid RON or does not have the model-card fields.
    #[error("{}:{line}:{column}: malformed model card: {message}", path.display())]
    MalformedCard {
        /// The card file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the parser expected.
        message: String,
    },

    /// The card parses but its contents are unusable (for example an empty name).
    #[error("{}: invalid model card: {reason}", path.display())]
    InvalidCard {
        /// The card file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// The card's parameter count disagrees with the tensors in the weights file.
    #[error(
        "{}: the card {} claims {card} parameters but the weights hold {found}",
        weights_path.display(),
        card_path.display()
    )]
    ParameterCountMismatch {
        /// The weights file.
        weights_path: PathBuf,
        /// The card file.
        card_path: PathBuf,
        /// The count in the card.
        card: u64,
        /// The count in the weights.
        found: u64,
    },

    /// A tensor could not be converted between candle and the file format.
    #[error("{}: tensor `{tensor}`: {source}", path.display())]
    Tensor {
        /// The file being read or written.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// candle's error (boxed: candle's error type is large and this one is returned often).
        #[source]
        source: Box<candle_core::Error>,
    },

    /// The file's contents could not be encoded.
    #[error("{}: cannot encode: {reason}", path.display())]
    Encode {
        /// The file being written.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

impl ModelError {
    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn tensor(path: &Path, tensor: &str, source: candle_core::Error) -> Self {
        Self::Tensor {
            path: path.to_path_buf(),
            tensor: tensor.to_owned(),
            source: Box::new(source),
        }
    }

    pub(crate) fn bad_weights(path: &Path, reason: impl Into<String>) -> Self {
        Self::BadWeightsFile {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}

/// Formats an optional metadata value for an error message.
fn quoted(value: Option<&str>) -> String {
    match value {
        Some(value) => format!("`{value}`"),
        None => "(none recorded)".to_owned(),
    }
}

/// An error from the training helpers: the trainer, checkpoints and the gradient-flow check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// Reading or writing a checkpoint failed.
    #[error(transparent)]
    Model(#[from] ModelError),

    /// A candle operation failed (the loss closure, backward pass or optimizer step).
    #[error("candle: {0}")]
    Candle(Box<candle_core::Error>),

    /// The loss became NaN or infinite; the step was not applied.
    #[error("loss is {loss} at step {step}; the step was not applied")]
    NonFiniteLoss {
        /// The 0-based step whose loss was not finite.
        step: u64,
        /// The loss value.
        loss: f64,
    },

    /// The loss closure returned a tensor with more than one element.
    #[error("the loss must be a single value, got shape {shape:?} at step {step}")]
    NonScalarLoss {
        /// The 0-based step.
        step: u64,
        /// The loss tensor's shape.
        shape: Vec<usize>,
    },

    /// A checkpoint exists but cannot be used to resume this run.
    #[error("{}: cannot resume from checkpoint: {reason}", path.display())]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },

    /// The training configuration is inconsistent.
    #[error("invalid training configuration: {0}")]
    InvalidConfig(String),

    /// Some trainable variables would not learn: see [`crate::check_gradient_flow`].
    #[error("{} trainable variable(s) receive no usable gradient: {}", stuck.len(), StuckList(stuck))]
    GradientFlow {
        /// Every variable that would not change, sorted by name.
        stuck: Vec<StuckVariable>,
    },
}

impl From<candle_core::Error> for TrainError {
    fn from(err: candle_core::Error) -> Self {
        Self::Candle(Box::new(err))
    }
}

/// A trainable variable that one optimizer step would leave unchanged, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StuckVariable {
    /// The variable's name in the `VarMap`.
    pub name: String,
    /// Why it would not change.
    pub reason: StuckReason,
}

/// Why a variable would not change in an optimizer step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StuckReason {
    /// The loss does not depend on the variable in candle's graph: an op on the path recorded no
    /// backward (the candle 0.11 fast-path bug) or the variable is simply unused.
    NoGradient,
    /// The variable is in the graph but its gradient is exactly zero everywhere.
    ZeroGradient,
    /// The gradient holds NaN or infinite values.
    NonFiniteGradient,
    /// A real optimizer step left every element of the variable bit-identical.
    UnchangedAfterStep,
}

impl fmt::Display for StuckReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoGradient => "no gradient",
            Self::ZeroGradient => "zero gradient",
            Self::NonFiniteGradient => "non-finite gradient",
            Self::UnchangedAfterStep => "unchanged after one optimizer step",
        })
    }
}

/// Displays a list of stuck variables as `a (no gradient), b (zero gradient)`.
struct StuckList<'a>(&'a [StuckVariable]);

impl fmt::Display for StuckList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, stuck) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{}` ({})", stuck.name, stuck.reason)?;
        }
        Ok(())
    }
}
