//! Finding and loading evaluation data: HR images with their LR counterparts.
//!
//! A data set is one folder, in either of two layouts:
//!
//! - **Pairs**: `NAME_HR.png` next to `NAME_LR.png` for every image (the layout of the standard
//!   Set5 / Set14 downloads, e.g. `img_001_SRF_2_HR.png` and `img_001_SRF_2_LR.png`). Files are
//!   matched by the shared `NAME`; a file without its partner, or any other `.png` in the
//!   folder, is an error.
//! - **HR only**: no file ends in `_HR.png` or `_LR.png`; every `.png` is an HR image and its LR
//!   image is made at load time with [`downscale_matlab_uint8`] (MATLAB `imresize` bicubic on
//!   8-bit images, the way the published LR files were made).
//!
//! Files that are not `.png` (any case) are ignored. Entries are sorted by name.

use std::path::{Path, PathBuf};

use super::{EvalError, Luma, Scale, crop, downscale_matlab_uint8, load_png, load_png_with_luma};
use crate::image::ImageF32;

/// Suffix of HR files in a folder of pairs.
pub const HR_SUFFIX: &str = "_HR";
/// Suffix of LR files in a folder of pairs.
pub const LR_SUFFIX: &str = "_LR";

/// Where an entry's LR image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LrSource {
    /// A `NAME_LR.png` file.
    File(PathBuf),
    /// Made from the HR image by [`downscale_matlab_uint8`].
    Downscale,
}

/// One image of a data set, not loaded yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetEntry {
    /// The shared name: `NAME` of `NAME_HR.png`, or the file stem of an HR-only image.
    pub name: String,
    /// The HR image file.
    pub hr: PathBuf,
    /// The LR image's source.
    pub lr: LrSource,
}

/// The entries of one data set folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// The folder.
    pub root: PathBuf,
    /// Its images, sorted by name; never empty.
    pub entries: Vec<DatasetEntry>,
}

/// One loaded image pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// [`DatasetEntry::name`].
    pub name: String,
    /// The HR image as stored (scoring crops it to a multiple of the scale).
    pub hr: ImageF32,
    /// The LR image: `hr / scale` on each side (rounded down).
    pub lr: ImageF32,
    /// How Y is formed when scoring: [`Luma::Grey`] if the HR file is greyscale.
    pub luma: Luma,
}

impl Dataset {
    /// Lists the data set in `dir` (see the [module docs](self) for the layouts); reads no
    /// image.
    pub fn discover(dir: &Path) -> Result<Self, EvalError> {
        if !dir.is_dir() {
            return Err(EvalError::MissingFolder {
                path: dir.to_owned(),
            });
        }
        let list_error = |source| EvalError::ListFolder {
            path: dir.to_owned(),
            source,
        };
        let mut pngs = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(list_error)? {
            let path = entry.map_err(list_error)?.path();
            let is_png = path
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("png"));
            if is_png && path.is_file() {
                pngs.push(path);
            }
        }
        if pngs.is_empty() {
            return Err(EvalError::EmptyFolder {
                path: dir.to_owned(),
            });
        }
        pngs.sort();
        let paired = pngs
            .iter()
            .any(|p| split_suffix(p, HR_SUFFIX).is_some() || split_suffix(p, LR_SUFFIX).is_some());
        let mut entries = if paired {
            pair_up(&pngs)?
        } else {
            pngs.into_iter()
                .map(|hr| DatasetEntry {
                    name: stem(&hr),
                    hr,
                    lr: LrSource::Downscale,
                })
                .collect()
        };
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self {
            root: dir.to_owned(),
            entries,
        })
    }

    /// Whether the LR images are files (pairs) rather than made by downscaling.
    pub fn has_lr_files(&self) -> bool {
        self.entries
            .iter()
            .all(|e| matches!(e.lr, LrSource::File(_)))
    }
}

/// Matches every `NAME_HR.png` with its `NAME_LR.png`.
fn pair_up(pngs: &[PathBuf]) -> Result<Vec<DatasetEntry>, EvalError> {
    let mut entries = Vec::new();
    for path in pngs {
        if let Some(name) = split_suffix(path, HR_SUFFIX) {
            let lr = partner(path, &name, LR_SUFFIX);
            if !pngs.contains(&lr) {
                return Err(unpaired(path, &lr));
            }
            entries.push(DatasetEntry {
                name,
                hr: path.clone(),
                lr: LrSource::File(lr),
            });
        } else if let Some(name) = split_suffix(path, LR_SUFFIX) {
            let hr = partner(path, &name, HR_SUFFIX);
            if !pngs.contains(&hr) {
                return Err(unpaired(path, &hr));
            }
        } else {
            return Err(EvalError::Stray { path: path.clone() });
        }
    }
    Ok(entries)
}

fn unpaired(path: &Path, partner: &Path) -> EvalError {
    EvalError::Unpaired {
        path: path.to_owned(),
        expected: partner
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

/// `NAME` if the file stem is `NAME{suffix}`.
fn split_suffix(path: &Path, suffix: &str) -> Option<String> {
    stem(path).strip_suffix(suffix).map(str::to_owned)
}

/// The file next to `path` named `NAME{suffix}` with `path`'s extension (so `.PNG` pairs with
/// `.PNG`).
fn partner(path: &Path, name: &str, suffix: &str) -> PathBuf {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{name}{suffix}.{ext}"))
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Loads an entry's HR and LR images for upscaling by `scale`.
///
/// An LR file must be exactly `hr / scale` on each side (rounded down), or this fails with
/// [`EvalError::LrSize`] naming both files and sizes. A made LR image is the HR image cropped to
/// a multiple of `scale` and downscaled with [`downscale_matlab_uint8`].
pub fn load_sample(entry: &DatasetEntry, scale: Scale) -> Result<Sample, EvalError> {
    let s = scale.get();
    let (hr, luma) = load_png_with_luma(&entry.hr)?;
    let (lr_w, lr_h) = (hr.width() / s, hr.height() / s);
    let lr = match &entry.lr {
        LrSource::File(path) => {
            let lr = load_png(path)?;
            if (lr.width(), lr.height()) != (lr_w, lr_h) {
                return Err(EvalError::LrSize {
                    lr: path.clone(),
                    lr_size: [lr.width(), lr.height()],
                    hr: entry.hr.clone(),
                    hr_size: [hr.width(), hr.height()],
                    scale: s,
                });
            }
            lr
        }
        LrSource::Downscale => {
            if lr_w == 0 || lr_h == 0 {
                return Err(EvalError::TooSmall {
                    what: "making an LR image",
                    min: s,
                    width: hr.width(),
                    height: hr.height(),
                });
            }
            let cropped = crop(&hr, [0, 0, lr_w * s, lr_h * s])?;
            downscale_matlab_uint8(&cropped, s)?
        }
    };
    Ok(Sample {
        name: entry.name.clone(),
        hr,
        lr,
        luma,
    })
}
