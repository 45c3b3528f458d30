//! Atomic saving of a model (weights + card).
//!
//! A save never modifies the existing files in place. Both files are first written in full to
//! temporary siblings (`foo.safetensors.tmp`, `foo.model.ron.tmp`) and flushed to disk; only then
//! are they renamed over the targets, weights first, with the directory flushed after each rename.
//! So:
//!
//! - a crash or error while writing leaves the previous model untouched;
//! - a crash between the two renames leaves new weights next to the old card. The weights carry
//!   the model name and version in their safetensors metadata (`kansei.name`,
//!   `kansei.version`) and the card records a checksum of the weights' data, so loading such a
//!   pair fails with [`ModelError::VersionMismatch`] (or [`ModelError::ChecksumMismatch`] if the
//!   version was not bumped) instead of silently mixing two models.
//!
//! The file operations go through the [`SaveIo`] trait so tests can inject failures.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::PoisonError;

use candle_core::Tensor;
use candle_nn::VarMap;

use crate::card::{ModelCard, card_path};
use crate::error::ModelError;
use crate::weights::{self, FORMAT_REVISION, META_FORMAT, META_NAME, META_VERSION};

/// The file operations an atomic save is built from.
///
/// [`StdIo`] is the real implementation. Tests implement this trait to fail part-way through a
/// save (for example after a number of bytes) and check that the previous model survives.
pub trait SaveIo {
    /// Creates or truncates `path`, writes all of `bytes` and flushes them to stable storage.
    ///
    /// # Errors
    ///
    /// Any I/O error; the save is then abandoned.
    fn write_synced(&mut self, path: &Path, bytes: &[u8]) -> std::io::Result<()>;

    /// Atomically replaces `to` with `from`.
    ///
    /// # Errors
    ///
    /// Any I/O error; the save is then abandoned.
    fn rename(&mut self, from: &Path, to: &Path) -> std::io::Result<()>;

    /// Flushes directory entries (the renames) in `dir` to stable storage.
    ///
    /// # Errors
    ///
    /// Any I/O error; the save is then abandoned.
    fn sync_dir(&mut self, dir: &Path) -> std::io::Result<()>;

    /// Deletes `path`; used to clean up temporary files after a failed save.
    ///
    /// # Errors
    ///
    /// Any I/O error; cleanup errors are ignored by the save.
    fn remove(&mut self, path: &Path) -> std::io::Result<()>;
}

/// [`SaveIo`] on the real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdIo;

impl SaveIo for StdIo {
    fn write_synced(&mut self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let mut file = std::fs::File::create(path)?;
        file.write_all(bytes)?;
        file.sync_all()
    }

    fn rename(&mut self, from: &Path, to: &Path) -> std::io::Result<()> {
        std::fs::rename(from, to)
    }

    fn sync_dir(&mut self, dir: &Path) -> std::io::Result<()> {
        // Only Unix lets a directory be opened and fsynced; on Windows renames are journalled by
        // NTFS and there is no portable way to flush a directory.
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        #[cfg(not(unix))]
        let _ = dir;
        Ok(())
    }

    fn remove(&mut self, path: &Path) -> std::io::Result<()> {
        std::fs::remove_file(path)
    }
}

/// Saves `tensors` to `path` (safetensors) and `card` next to it (`<stem>.model.ron`),
/// atomically. Returns the card as written: with [`ModelCard::parameters`] and
/// [`ModelCard::weights_checksum`] filled in from the tensors.
///
/// # Errors
///
/// [`ModelError::InvalidCard`] for an unusable card, [`ModelError::NonFinite`] if a tensor holds
/// NaN or infinity (such a file could never be loaded, so it must not replace a good one),
/// [`ModelError::Tensor`] or [`ModelError::Encode`] if a tensor cannot be encoded,
/// [`ModelError::Io`] if writing fails.
/// On any error the previous files at `path` are left as they were.
pub fn save(
    path: impl AsRef<Path>,
    card: &ModelCard,
    tensors: &HashMap<String, Tensor>,
) -> Result<ModelCard, ModelError> {
    save_with(&mut StdIo, path, card, tensors)
}

/// Saves every variable of `varmap`, as [`save()`].
///
/// # Errors
///
/// As [`save()`].
pub fn save_varmap(
    path: impl AsRef<Path>,
    card: &ModelCard,
    varmap: &VarMap,
) -> Result<ModelCard, ModelError> {
    save(path, card, &varmap_tensors(varmap))
}

/// [`save()`] through a custom [`SaveIo`], e.g. one that injects failures in tests.
///
/// # Errors
///
/// As [`save()`].
pub fn save_with(
    io: &mut dyn SaveIo,
    path: impl AsRef<Path>,
    card: &ModelCard,
    tensors: &HashMap<String, Tensor>,
) -> Result<ModelCard, ModelError> {
    let weights_path = path.as_ref();
    let card_path = card_path(weights_path);
    card.validate(&card_path)?;

    let metadata = HashMap::from([
        (META_NAME.to_owned(), card.name.clone()),
        (META_VERSION.to_owned(), card.version.clone()),
        (META_FORMAT.to_owned(), FORMAT_REVISION.to_owned()),
    ]);
    let weights_bytes = weights::encode(
        weights_path,
        tensors.iter().map(|(name, tensor)| (name.as_str(), tensor)),
        metadata,
    )?;
    // Re-parse what we are about to write: it yields the checksum over exactly the bytes loading
    // will see, and catches an encoding bug before it can replace a good model.
    let written = weights::RawWeights::parse(weights_path, weights_bytes)?;
    let mut card = card.clone();
    card.parameters = tensors.values().map(|t| t.elem_count() as u64).sum();
    card.weights_checksum = Some(written.checksum());
    let card_text = card.to_ron(&card_path)?;

    let weights_bytes = written.into_bytes();
    replace_files(
        io,
        &[
            (weights_path, weights_bytes.as_slice()),
            (card_path.as_path(), card_text.as_bytes()),
        ],
    )?;
    Ok(card)
}

/// Every variable of `varmap` as a plain tensor map.
pub(crate) fn varmap_tensors(varmap: &VarMap) -> HashMap<String, Tensor> {
    let data = varmap.data().lock().unwrap_or_else(PoisonError::into_inner);
    data.iter()
        .map(|(name, var)| (name.clone(), var.as_tensor().clone()))
        .collect()
}

/// The temporary sibling a save writes before renaming: `foo.safetensors` → `foo.safetensors.tmp`.
/// A fixed name (rather than a random one) means a crashed save's leftovers are overwritten by the
/// next save instead of piling up.
pub fn temp_path(target: &Path) -> PathBuf {
    let mut name = target
        .file_name()
        .map_or_else(OsString::new, OsString::from);
    name.push(".tmp");
    target.with_file_name(name)
}

/// Replaces each target with its bytes: all temporaries are written and synced before the first
/// rename, and the renames happen in the order given.
pub(crate) fn replace_files(
    io: &mut dyn SaveIo,
    files: &[(&Path, &[u8])],
) -> Result<(), ModelError> {
    let temps: Vec<PathBuf> = files.iter().map(|(target, _)| temp_path(target)).collect();
    for (index, ((_, bytes), temp)) in files.iter().zip(&temps).enumerate() {
        if let Err(err) = io.write_synced(temp, bytes) {
            remove_all(io, &temps[..=index]);
            return Err(ModelError::io("write", temp, err));
        }
    }
    for (index, ((target, _), temp)) in files.iter().zip(&temps).enumerate() {
        if let Err(err) = io.rename(temp, target) {
            remove_all(io, &temps[index..]);
            return Err(ModelError::io("rename", temp, err));
        }
        let dir = parent_dir(target);
        io.sync_dir(dir)
            .map_err(|err| ModelError::io("sync directory", dir, err))?;
    }
    Ok(())
}

/// Best-effort removal of temporaries after a failed save; the original error is what matters.
fn remove_all(io: &mut dyn SaveIo, temps: &[PathBuf]) {
    for temp in temps {
        let _ = io.remove(temp);
    }
}

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}
