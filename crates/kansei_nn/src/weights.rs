//! The safetensors side of a model file: bounded reading, validation against an
//! [`ExpectedTensors`] spec, NaN/Inf scanning and encoding. Shared by models and checkpoints.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use candle_core::safetensors::Load;
use candle_core::{Device, Tensor};
use safetensors::tensor::{Dtype, Metadata, TensorView};

use crate::error::ModelError;
use crate::spec::ExpectedTensors;

/// Metadata key holding the model name in a weights file.
pub const META_NAME: &str = "kansei.name";
/// Metadata key holding the model version in a weights file.
pub const META_VERSION: &str = "kansei.version";
/// Metadata key holding Kansei's file-format revision.
pub const META_FORMAT: &str = "kansei.format";
/// The current value stored under [`META_FORMAT`].
pub const FORMAT_REVISION: &str = "1";

/// Largest safetensors JSON header we accept. Real Kansei headers are a few KiB; refusing
/// anything bigger before allocating keeps a corrupted length field from costing memory.
const MAX_HEADER_BYTES: u64 = 16 * 1024 * 1024;
/// Size of the little-endian header-length prefix.
const LEN_BYTES: u64 = 8;

/// A weights file read into memory with its header parsed.
pub(crate) struct RawWeights {
    bytes: Vec<u8>,
    header_len: usize,
    metadata: Metadata,
}

impl RawWeights {
    /// Reads and parses `path`, checking the header length against the file size first.
    pub(crate) fn read(path: &Path) -> Result<Self, ModelError> {
        let mut file =
            std::fs::File::open(path).map_err(|err| ModelError::io("open", path, err))?;
        let file_len = file
            .metadata()
            .map_err(|err| ModelError::io("inspect", path, err))?
            .len();
        if file_len < LEN_BYTES {
            return Err(ModelError::bad_weights(
                path,
                format!("truncated: {file_len} bytes, too short for the 8-byte header length"),
            ));
        }
        let mut prefix = [0_u8; LEN_BYTES as usize];
        file.read_exact(&mut prefix)
            .map_err(|err| ModelError::io("read", path, err))?;
        let header_len = u64::from_le_bytes(prefix);
        if header_len > MAX_HEADER_BYTES {
            return Err(ModelError::bad_weights(
                path,
                format!(
                    "header length field says {header_len} bytes (limit {MAX_HEADER_BYTES}); \
                     the file is corrupt or not safetensors"
                ),
            ));
        }
        if LEN_BYTES + header_len > file_len {
            return Err(ModelError::bad_weights(
                path,
                format!(
                    "truncated: the header needs {} bytes but the file has {file_len}",
                    LEN_BYTES + header_len
                ),
            ));
        }
        // Both bounds were checked above, so neither conversion can fail on any platform that can
        // hold the file; fall back to an error rather than a panic anyway.
        let capacity = usize::try_from(file_len)
            .map_err(|_| ModelError::bad_weights(path, "file too large for this platform"))?;
        let mut bytes = Vec::with_capacity(capacity);
        bytes.extend_from_slice(&prefix);
        file.read_to_end(&mut bytes)
            .map_err(|err| ModelError::io("read", path, err))?;
        Self::parse(path, bytes)
    }

    /// Parses an in-memory safetensors file; `path` labels errors.
    pub(crate) fn parse(path: &Path, bytes: Vec<u8>) -> Result<Self, ModelError> {
        let (header_len, metadata) = safetensors::SafeTensors::read_metadata(&bytes)
            .map_err(|err| ModelError::bad_weights(path, describe(&err, bytes.len())))?;
        Ok(Self {
            bytes,
            header_len,
            metadata,
        })
    }

    /// The whole file.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The tensor-data section (everything after the header).
    fn data(&self) -> &[u8] {
        self.bytes.get(8 + self.header_len..).unwrap_or_default()
    }

    /// A value from the `__metadata__` map.
    pub(crate) fn meta(&self, key: &str) -> Option<&str> {
        self.metadata
            .metadata()
            .as_ref()?
            .get(key)
            .map(String::as_str)
    }

    /// Checksum of the tensor data, as recorded in model cards.
    pub(crate) fn checksum(&self) -> String {
        checksum(self.data())
    }

    /// Every tensor in the file, sorted by name.
    pub(crate) fn views(&self, path: &Path) -> Result<Vec<(String, TensorView<'_>)>, ModelError> {
        let data = self.data();
        let mut views = self
            .metadata
            .tensors()
            .into_iter()
            .map(|(name, info)| {
                let (start, end) = info.data_offsets;
                let slice = data.get(start..end).ok_or_else(|| {
                    ModelError::bad_weights(path, format!("tensor `{name}` lies outside the file"))
                })?;
                let view =
                    TensorView::new(info.dtype, info.shape.clone(), slice).map_err(|err| {
                        ModelError::bad_weights(path, format!("tensor `{name}`: {err}"))
                    })?;
                Ok((name, view))
            })
            .collect::<Result<Vec<_>, ModelError>>()?;
        views.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(views)
    }
}

/// Turns safetensors' parse errors into something a person can act on.
fn describe(err: &safetensors::SafeTensorError, file_len: usize) -> String {
    use safetensors::SafeTensorError as E;
    match err {
        E::HeaderTooSmall | E::InvalidHeaderLength => {
            format!("truncated header ({file_len} bytes in file)")
        }
        E::MetadataIncompleteBuffer => {
            format!(
                "truncated or padded: the header's tensors do not end where the file ends ({file_len} bytes)"
            )
        }
        E::InvalidHeader(_) | E::InvalidHeaderDeserialization(_) | E::JsonError(_) => {
            format!("the header is not safetensors JSON ({err})")
        }
        other => other.to_string(),
    }
}

/// Checks `views` against `expected`: every expected tensor present with its shape and dtype, and
/// nothing else. Reports the first problem in name order, missing tensors first, so the error is
/// the same on every run.
pub(crate) fn check_against(
    path: &Path,
    views: &[(String, TensorView<'_>)],
    expected: &ExpectedTensors,
) -> Result<(), ModelError> {
    let found: HashMap<&str, &TensorView<'_>> = views
        .iter()
        .map(|(name, view)| (name.as_str(), view))
        .collect();
    for (name, spec) in expected.iter() {
        if !found.contains_key(name) {
            return Err(ModelError::MissingTensor {
                path: path.to_path_buf(),
                tensor: name.to_owned(),
                expected_shape: spec.shape.clone(),
                expected_dtype: spec.dtype,
            });
        }
    }
    for (name, view) in views {
        let Some(spec) = expected.get(name) else {
            return Err(ModelError::UnexpectedTensor {
                path: path.to_path_buf(),
                tensor: name.clone(),
                shape: view.shape().to_vec(),
            });
        };
        if view.shape() != spec.shape.as_slice() {
            return Err(ModelError::ShapeMismatch {
                path: path.to_path_buf(),
                tensor: name.clone(),
                expected: spec.shape.clone(),
                found: view.shape().to_vec(),
            });
        }
        if view.dtype() != Dtype::from(spec.dtype) {
            return Err(ModelError::DTypeMismatch {
                path: path.to_path_buf(),
                tensor: name.clone(),
                expected: spec.dtype,
                found: format!("{:?}", view.dtype()),
            });
        }
    }
    Ok(())
}

/// Fails on the first tensor (in name order) that holds a NaN or an infinity.
pub(crate) fn check_finite(
    path: &Path,
    views: &[(String, TensorView<'_>)],
) -> Result<(), ModelError> {
    for (name, view) in views {
        if let Some((count, first_index)) = non_finite(view.dtype(), view.data()) {
            return Err(ModelError::NonFinite {
                path: path.to_path_buf(),
                tensor: name.clone(),
                count,
                first_index,
            });
        }
    }
    Ok(())
}

/// Counts NaN/Inf elements in little-endian `data` of `dtype` by looking at exponent bits, which
/// avoids converting (and allocating) every tensor just to check it. Returns `(count, first)`.
fn non_finite(dtype: Dtype, data: &[u8]) -> Option<(usize, usize)> {
    // An IEEE value is NaN or infinite exactly when all exponent bits are set.
    fn scan<const N: usize>(
        data: &[u8],
        is_bad: impl Fn([u8; N]) -> bool,
    ) -> Option<(usize, usize)> {
        let mut count = 0;
        let mut first = None;
        for (index, chunk) in data.chunks_exact(N).enumerate() {
            let mut bytes = [0_u8; N];
            bytes.copy_from_slice(chunk);
            if is_bad(bytes) {
                count += 1;
                first.get_or_insert(index);
            }
        }
        first.map(|first| (count, first))
    }
    match dtype {
        Dtype::F64 => scan::<8>(data, |b| {
            u64::from_le_bytes(b) & 0x7FF0_0000_0000_0000 == 0x7FF0_0000_0000_0000
        }),
        Dtype::F32 => scan::<4>(data, |b| u32::from_le_bytes(b) & 0x7F80_0000 == 0x7F80_0000),
        Dtype::F16 => scan::<2>(data, |b| u16::from_le_bytes(b) & 0x7C00 == 0x7C00),
        Dtype::BF16 => scan::<2>(data, |b| u16::from_le_bytes(b) & 0x7F80 == 0x7F80),
        // E4M3 has no infinities; its only NaN is S.1111.111.
        Dtype::F8_E4M3 => scan::<1>(data, |b| b[0] & 0x7F == 0x7F),
        _ => None,
    }
}

/// Converts validated views into candle tensors on `device`.
pub(crate) fn to_tensors(
    path: &Path,
    views: &[(String, TensorView<'_>)],
    device: &Device,
) -> Result<HashMap<String, Tensor>, ModelError> {
    views
        .iter()
        .map(|(name, view)| {
            let tensor = view
                .load(device)
                .map_err(|source| ModelError::tensor(path, name, source))?;
            Ok((name.clone(), tensor))
        })
        .collect()
}

/// Encodes named tensors and string metadata as a safetensors file.
pub(crate) fn encode<'a>(
    path: &Path,
    tensors: impl IntoIterator<Item = (&'a str, &'a Tensor)>,
    metadata: HashMap<String, String>,
) -> Result<Vec<u8>, ModelError> {
    // candle's own `View` impl unwraps inside `data()`; converting up front keeps failures
    // (unsupported dtypes, device errors) as errors.
    let mut encoded = Vec::new();
    for (name, tensor) in tensors {
        let mut bytes = Vec::with_capacity(tensor.elem_count() * tensor.dtype().size_in_bytes());
        tensor
            .write_bytes(&mut bytes)
            .map_err(|source| ModelError::tensor(path, name, source))?;
        let dtype = Dtype::from(tensor.dtype());
        // A file with NaN/Inf can never be loaded, so writing one would only destroy the previous
        // good model or checkpoint (a diverged run is the usual source).
        if let Some((count, first_index)) = non_finite(dtype, &bytes) {
            return Err(ModelError::NonFinite {
                path: path.to_path_buf(),
                tensor: name.to_owned(),
                count,
                first_index,
            });
        }
        encoded.push((name, dtype, tensor.dims().to_vec(), bytes));
    }
    let views = encoded
        .iter()
        .map(|(name, dtype, shape, bytes)| {
            let view = TensorView::new(*dtype, shape.clone(), bytes).map_err(|err| {
                ModelError::Encode {
                    path: path.to_path_buf(),
                    reason: format!("tensor `{name}`: {err}"),
                }
            })?;
            Ok((*name, view))
        })
        .collect::<Result<Vec<_>, ModelError>>()?;
    safetensors::serialize(views, Some(metadata)).map_err(|err| ModelError::Encode {
        path: path.to_path_buf(),
        reason: err.to_string(),
    })
}

/// 64-bit FNV-1a of `data`, written as `fnv1a64:<16 hex digits>`. Not cryptographic: it only has
/// to tell two saves apart, and it is dependency-free and stable across platforms and releases.
pub(crate) fn checksum(data: &[u8]) -> String {
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("fnv1a64:{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_scan_finds_every_ieee_special() {
        let mut f32s = Vec::new();
        for v in [1.0_f32, f32::NAN, 2.0, f32::INFINITY, f32::NEG_INFINITY] {
            f32s.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(non_finite(Dtype::F32, &f32s), Some((3, 1)));
        let f64s: Vec<u8> = [0.5_f64, -0.0, f64::MAX]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(non_finite(Dtype::F64, &f64s), None);
        // f16: 0x3C00 = 1.0, 0x7E00 = NaN; bf16: 0xFF80 = -inf.
        assert_eq!(
            non_finite(Dtype::F16, &[0x00, 0x3C, 0x00, 0x7E]),
            Some((1, 1))
        );
        assert_eq!(
            non_finite(Dtype::BF16, &[0x80, 0xFF, 0x80, 0x3F]),
            Some((1, 0))
        );
        assert_eq!(non_finite(Dtype::U8, &[0xFF; 4]), None);
    }

    #[test]
    fn checksum_is_fnv1a() {
        // Reference values of 64-bit FNV-1a.
        assert_eq!(checksum(b""), "fnv1a64:cbf29ce484222325");
        assert_eq!(checksum(b"a"), "fnv1a64:af63dc4c8601ec8c");
    }
}
