//! The model card: a human-readable RON file that travels next to the weights and says what the
//! model is, what it costs, where its data came from and what it must not be used for.
//!
//! The card deliberately does not list the weight tensors: the code that builds the network is the
//! source of truth for those (see [`crate::ExpectedTensors`]), and a second list could only drift.

use std::io::Read;
use std::path::{Path, PathBuf};

use candle_core::DType;
use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// Largest card file accepted.
const MAX_CARD_BYTES: u64 = 1024 * 1024;

/// The file-name suffix of a card: `foo.safetensors` has its card at `foo.model.ron`.
pub const CARD_SUFFIX: &str = "model.ron";

/// Describes one model file: identity, interface, cost, provenance and limits.
///
/// Written next to the weights as `<stem>.model.ron`; [`crate::save()`] fills in
/// [`parameters`](Self::parameters) and [`weights_checksum`](Self::weights_checksum) from the
/// tensors it writes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCard {
    /// Stable identifier of the model, e.g. `"kansei-upscale-x2"`. Also stored in the weights'
    /// metadata, so weights cannot be paired with another model's card.
    pub name: String,
    /// Version of this trained model, e.g. `"1.2.0"`. Also stored in the weights' metadata; bump
    /// it on every retrain so a mixed-up pair of files is caught on load.
    pub version: String,
    /// What the model does, in a sentence ("2x super-resolution of game frames").
    pub task: String,
    /// The tensors the model consumes.
    pub inputs: Vec<TensorSignature>,
    /// The tensors the model produces.
    pub outputs: Vec<TensorSignature>,
    /// Number of scalar parameters in the weights file (checked on load).
    pub parameters: u64,
    /// What one inference costs.
    pub cost: InferenceCost,
    /// Where the training data came from.
    pub training_data: TrainingData,
    /// How the weights were produced.
    pub training: TrainingRecipe,
    /// What the model is meant for.
    pub intended_use: String,
    /// Known failure modes and situations the model must not be used in.
    pub limitations: Vec<String>,
    /// Checksum of the weights' tensor data, written by [`crate::save()`]. When present, loading
    /// refuses weights whose data does not match, which catches a card and weights from two
    /// different saves even when the version was not bumped. Remove the field after editing the
    /// weights with another tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_checksum: Option<String>,
}

/// Name, shape and element type of one model input or output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensorSignature {
    /// The tensor's role, e.g. `"low_res_rgb"`.
    pub name: String,
    /// Its dimensions; symbolic ones (batch, height, width) vary per call.
    pub shape: Vec<Dim>,
    /// Its element type.
    pub dtype: CardDType,
}

/// One dimension of a [`TensorSignature`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dim {
    /// A dimension that is always this size, e.g. `Fixed(3)` colour channels.
    Fixed(usize),
    /// A dimension that varies per call, e.g. `Named("batch")` or `Named("height")`.
    Named(String),
}

/// Element types a model card can declare; the subset of candle's dtypes Kansei models use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CardDType {
    /// 8-bit unsigned integer (e.g. raw image bytes).
    U8,
    /// 32-bit unsigned integer (e.g. token or item ids).
    U32,
    /// 64-bit signed integer.
    I64,
    /// 16-bit brain float.
    BF16,
    /// 16-bit IEEE float.
    F16,
    /// 32-bit IEEE float.
    #[default]
    F32,
    /// 64-bit IEEE float.
    F64,
}

impl From<CardDType> for DType {
    fn from(value: CardDType) -> Self {
        match value {
            CardDType::U8 => DType::U8,
            CardDType::U32 => DType::U32,
            CardDType::I64 => DType::I64,
            CardDType::BF16 => DType::BF16,
            CardDType::F16 => DType::F16,
            CardDType::F32 => DType::F32,
            CardDType::F64 => DType::F64,
        }
    }
}

impl TryFrom<DType> for CardDType {
    type Error = DType;

    /// Fails (returning the dtype) for candle dtypes a card cannot declare.
    fn try_from(value: DType) -> Result<Self, DType> {
        Ok(match value {
            DType::U8 => CardDType::U8,
            DType::U32 => CardDType::U32,
            DType::I64 => CardDType::I64,
            DType::BF16 => CardDType::BF16,
            DType::F16 => CardDType::F16,
            DType::F32 => CardDType::F32,
            DType::F64 => CardDType::F64,
            other => return Err(other),
        })
    }
}

/// The cost of running the model once on one inference unit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferenceCost {
    /// Multiply-adds per unit (see [`crate::MacCounter`]).
    pub macs_per_unit: u64,
    /// What one unit is, e.g. `"low-resolution pixel"` or `"decision"`.
    pub unit: String,
}

/// Where the training data came from and under what terms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingData {
    /// What the data is.
    pub description: String,
    /// Where it came from and how it was processed.
    pub provenance: String,
    /// The licence the data (and therefore the weights) is under.
    pub licence: String,
}

/// How the weights were trained.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingRecipe {
    /// Optimizer, schedule, losses and anything else needed to reproduce the run.
    pub description: String,
    /// Optimizer steps taken.
    pub steps: u64,
    /// Wall-clock training time in seconds.
    pub wall_time_s: f64,
    /// The machine it ran on, e.g. `"2-core CPU"`.
    pub machine: String,
}

impl ModelCard {
    /// Parses a card from RON text; `path` only labels errors.
    ///
    /// # Errors
    ///
    /// [`ModelError::MalformedCard`] with the line and column of the first syntax or schema error,
    /// or [`ModelError::InvalidCard`] when the card parses but is unusable.
    pub fn from_ron(text: &str, path: &Path) -> Result<Self, ModelError> {
        let card: Self = ron::from_str(text).map_err(|err| {
            let (line, column) = skip_blanks(text, &err.span);
            ModelError::MalformedCard {
                path: path.to_path_buf(),
                line,
                column,
                message: err.code.to_string(),
            }
        })?;
        card.validate(path)?;
        Ok(card)
    }

    /// Renders the card as pretty-printed RON.
    ///
    /// # Errors
    ///
    /// [`ModelError::Encode`] if RON cannot encode a value (for example a non-finite wall time);
    /// `path` only labels the error.
    pub fn to_ron(&self, path: &Path) -> Result<String, ModelError> {
        let config = ron::ser::PrettyConfig::new().struct_names(true);
        let mut text =
            ron::ser::to_string_pretty(self, config).map_err(|err| ModelError::Encode {
                path: path.to_path_buf(),
                reason: err.to_string(),
            })?;
        text.push('\n');
        Ok(text)
    }

    /// Reads and validates the card at `path`.
    ///
    /// # Errors
    ///
    /// [`ModelError::Io`] if the file cannot be read, otherwise as [`ModelCard::from_ron`].
    pub fn read(path: impl AsRef<Path>) -> Result<Self, ModelError> {
        let path = path.as_ref();
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .map_err(|err| ModelError::io("open", path, err))?
            // Cards are a few KiB; a bounded read keeps a wrong path (a device file, a huge
            // binary) from exhausting memory.
            .take(MAX_CARD_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|err| ModelError::io("read", path, err))?;
        if bytes.len() as u64 > MAX_CARD_BYTES {
            return Err(ModelError::InvalidCard {
                path: path.to_path_buf(),
                reason: format!("larger than {MAX_CARD_BYTES} bytes; a card is a short text file"),
            });
        }
        let text = std::str::from_utf8(&bytes).map_err(|err| {
            let (line, column) = line_and_column(&bytes[..err.valid_up_to()]);
            ModelError::MalformedCard {
                path: path.to_path_buf(),
                line,
                column,
                message: "the card is not UTF-8 text".to_owned(),
            }
        })?;
        Self::from_ron(text, path)
    }

    /// Checks the fields every card needs; `path` only labels errors.
    ///
    /// # Errors
    ///
    /// [`ModelError::InvalidCard`] naming the first problem.
    pub fn validate(&self, path: &Path) -> Result<(), ModelError> {
        let invalid = |reason: &str| ModelError::InvalidCard {
            path: path.to_path_buf(),
            reason: reason.to_owned(),
        };
        if self.name.trim().is_empty() {
            return Err(invalid("`name` is empty"));
        }
        if self.version.trim().is_empty() {
            return Err(invalid("`version` is empty"));
        }
        if !self.training.wall_time_s.is_finite() || self.training.wall_time_s < 0.0 {
            return Err(invalid(
                "`training.wall_time_s` must be a finite, non-negative number",
            ));
        }
        Ok(())
    }
}

/// The card path for the weights at `weights`: `dir/foo.safetensors` → `dir/foo.model.ron`.
///
/// Only the last extension is replaced, so `foo.v2.safetensors` → `foo.v2.model.ron`.
pub fn card_path(weights: impl AsRef<Path>) -> PathBuf {
    weights.as_ref().with_extension(CARD_SUFFIX)
}

/// 1-based line and column just after `prefix` (counting characters, not bytes).
fn line_and_column(prefix: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(prefix);
    let line = 1 + text.matches('\n').count();
    let column = 1 + text
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count());
    (line, column)
}

/// Where an error span really starts: ron's span for a bad value begins before the whitespace that
/// precedes it (`version: 1` reports the column of the space), so step over blanks inside the span
/// to point at the offending token.
fn skip_blanks(text: &str, span: &ron::error::Span) -> (usize, usize) {
    let (start, end) = (
        (span.start.line, span.start.col),
        (span.end.line, span.end.col),
    );
    let (mut line, mut column) = (1, 1);
    for c in text.chars() {
        if (line, column) >= start && ((line, column) >= end || !c.is_whitespace()) {
            return (line, column);
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    start
}
