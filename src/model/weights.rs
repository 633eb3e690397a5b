//! Reading and writing named `f32` tensors as safetensors files, with every check
//! a loader needs (names, shapes, dtypes, metadata) turned into
//! [`ModelError::BadFile`] instead of a panic.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView, serialize};

use super::ModelError;
use super::torch::{TorchData, TorchTensor};

/// The largest weights or optimiser file read (the biggest network's Adam state is
/// under 4 MiB); a larger file is rejected before it is read into memory.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Metadata key of the epoch a checkpoint file was written after.
const EPOCH_KEY: &str = "checkpoint_epoch";
/// Metadata key of the optimiser step a checkpoint file was written after.
const STEP_KEY: &str = "checkpoint_step";

/// Which checkpoint a weights or optimiser file belongs to: written into both files'
/// safetensors metadata at every epoch end, so resuming can check that the weights,
/// the optimiser state and `run.ron` are from the same epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointTag {
    /// Epochs completed when the file was written.
    pub epoch: u32,
    /// Optimiser steps taken when the file was written.
    pub step: u64,
}

impl CheckpointTag {
    /// Adds this tag to a file's metadata.
    pub(crate) fn write_into(self, metadata: &mut HashMap<String, String>) {
        metadata.insert(EPOCH_KEY.to_string(), self.epoch.to_string());
        metadata.insert(STEP_KEY.to_string(), self.step.to_string());
    }
}

/// The checkpoint tag of a weights or optimiser file (`None` for files written before
/// tags existed, or outside training). Reads only the file's header.
pub fn read_checkpoint_tag(path: &Path) -> Result<Option<CheckpointTag>, ModelError> {
    let data = read_bytes(path)?;
    let (_, meta) = SafeTensors::read_metadata(&data)
        .map_err(|e| bad(path, format!("not a safetensors file ({e:?})")))?;
    let metadata = meta.metadata().clone().unwrap_or_default();
    let (Some(epoch), Some(step)) = (metadata.get(EPOCH_KEY), metadata.get(STEP_KEY)) else {
        return Ok(None);
    };
    let epoch = epoch
        .parse()
        .map_err(|_| bad(path, format!("metadata '{EPOCH_KEY}' is not a number")))?;
    let step = step
        .parse()
        .map_err(|_| bad(path, format!("metadata '{STEP_KEY}' is not a number")))?;
    Ok(Some(CheckpointTag { epoch, step }))
}

/// The bytes of `path`, at most [`MAX_FILE_BYTES`] of them.
fn read_bytes(path: &Path) -> Result<Vec<u8>, ModelError> {
    crate::fsutil::read_capped(path, MAX_FILE_BYTES).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            bad(path, format!("is larger than {MAX_FILE_BYTES} bytes"))
        } else {
            bad(path, format!("cannot read: {e}"))
        }
    })
}

/// One tensor to write: name, shape, values.
pub(crate) struct Named<'a> {
    /// Tensor name.
    pub name: String,
    /// Shape (its product must be `values.len()`).
    pub shape: Vec<usize>,
    /// Row-major values.
    pub values: &'a [f32],
}

/// The tensors and metadata read from a file.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// String metadata (`__metadata__`).
    pub metadata: HashMap<String, String>,
    /// Tensors by name: shape and values.
    pub tensors: BTreeMap<String, (Vec<usize>, Vec<f32>)>,
}

/// [`ModelError::BadFile`] for `path`.
pub(crate) fn bad(path: &Path, problem: impl Into<String>) -> ModelError {
    ModelError::BadFile {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

/// `file` (safetensors bytes) with its JSON header's keys in sorted order. safetensors
/// writes the string metadata in hash order, so two saves of the same weights would
/// differ in bytes; sorted, a file is a function of its content (a resumed run's files
/// equal those of the run never stopped). Readers find tensors by their offsets, which
/// stay as they were; the header is padded to 8 bytes again, as the format asks.
fn with_sorted_header(file: Vec<u8>) -> Result<Vec<u8>, String> {
    let len_bytes: [u8; 8] = file
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or("no header")?;
    let len = usize::try_from(u64::from_le_bytes(len_bytes)).map_err(|e| e.to_string())?;
    let header_bytes = file.get(8..8 + len).ok_or("header past the end")?;
    let header: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(header_bytes).map_err(|e| e.to_string())?;
    let header: BTreeMap<String, serde_json::Value> = header
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                serde_json::Value::Object(map) => {
                    let sorted: BTreeMap<String, serde_json::Value> = map.into_iter().collect();
                    serde_json::Value::Object(sorted.into_iter().collect())
                }
                other => other,
            };
            (key, value)
        })
        .collect();
    let mut json = serde_json::to_vec(&header).map_err(|e| e.to_string())?;
    json.resize(json.len().next_multiple_of(8), b' ');
    let mut out = Vec::with_capacity(8 + json.len() + file.len() - 8 - len);
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&file[8 + len..]);
    Ok(out)
}

/// Writes `tensors` and `metadata` to `path` as safetensors.
pub(crate) fn write(
    path: &Path,
    tensors: &[Named<'_>],
    metadata: HashMap<String, String>,
) -> Result<(), ModelError> {
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|t| t.values.iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect();
    let mut views = Vec::with_capacity(tensors.len());
    for (t, b) in tensors.iter().zip(&bytes) {
        let view = TensorView::new(Dtype::F32, t.shape.clone(), b)
            .map_err(|e| bad(path, format!("cannot encode {}: {e:?}", t.name)))?;
        views.push((t.name.clone(), view));
    }
    let data = serialize(views, &Some(metadata))
        .map_err(|e| bad(path, format!("cannot encode: {e:?}")))?;
    let data = with_sorted_header(data).map_err(|e| bad(path, format!("cannot encode: {e}")))?;
    std::fs::write(path, data).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads every tensor of `path`, which must be a valid safetensors file of `f32`
/// tensors whose metadata has `format` = `expected_format`.
pub(crate) fn read(path: &Path, expected_format: &str) -> Result<Loaded, ModelError> {
    let data = read_bytes(path)?;
    let (_, meta) = SafeTensors::read_metadata(&data)
        .map_err(|e| bad(path, format!("not a safetensors file ({e:?})")))?;
    let metadata = meta.metadata().clone().unwrap_or_default();
    match metadata.get("format") {
        Some(f) if f == expected_format => {}
        Some(f) => {
            return Err(bad(
                path,
                format!("is a '{f}' file, expected '{expected_format}'"),
            ));
        }
        None => {
            return Err(bad(
                path,
                format!("has no 'format' metadata (expected '{expected_format}')"),
            ));
        }
    }
    let st = SafeTensors::deserialize(&data)
        .map_err(|e| bad(path, format!("not a safetensors file ({e:?})")))?;
    let mut tensors = BTreeMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(bad(
                path,
                format!("tensor {name} is {:?}, expected F32", view.dtype()),
            ));
        }
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(bad(
                path,
                format!(
                    "tensor {name} holds a non-finite value ({}) at index {i}",
                    values[i]
                ),
            ));
        }
        let shape = view.shape().to_vec();
        if shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)) != Some(values.len()) {
            return Err(bad(
                path,
                format!("tensor {name} has the wrong number of bytes"),
            ));
        }
        tensors.insert(name, (shape, values));
    }
    Ok(Loaded { metadata, tensors })
}

/// The string metadata `key` of the safetensors file `path`, if it has one.
#[cfg(test)]
pub fn read_metadata(path: &Path, key: &str) -> Result<Option<String>, ModelError> {
    let data = read_bytes(path)?;
    let (_, meta) = SafeTensors::read_metadata(&data)
        .map_err(|e| bad(path, format!("not a safetensors file ({e:?})")))?;
    Ok(meta.metadata().as_ref().and_then(|m| m.get(key).cloned()))
}

/// A PyTorch state dict as safetensors bytes, as `safetensors.torch.save_file` writes
/// it (`float32` and `int64` tensors, the header's keys sorted), with `metadata`.
pub fn torch_state_bytes(
    tensors: &[TorchTensor],
    metadata: HashMap<String, String>,
) -> Result<Vec<u8>, String> {
    let bytes: Vec<(Dtype, Vec<u8>)> = tensors
        .iter()
        .map(|t| match &t.data {
            TorchData::F32(v) => (Dtype::F32, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            TorchData::I64(v) => (Dtype::I64, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        })
        .collect();
    let mut views = Vec::with_capacity(tensors.len());
    for (t, (dtype, b)) in tensors.iter().zip(&bytes) {
        let view = TensorView::new(*dtype, t.shape.clone(), b)
            .map_err(|e| format!("cannot encode {}: {e:?}", t.name))?;
        views.push((t.name.clone(), view));
    }
    let data = serialize(views, &Some(metadata)).map_err(|e| format!("cannot encode: {e:?}"))?;
    with_sorted_header(data)
}

/// A PyTorch state dict read from a safetensors file (at most [`MAX_FILE_BYTES`]), in
/// the order its tensors are stored: `float32` tensors (`float64` ones converted) and
/// `int64` ones; any other type is an error naming the tensor.
pub fn read_torch_state(path: &Path) -> Result<Vec<TorchTensor>, ModelError> {
    let data = read_bytes(path)?;
    let st = SafeTensors::deserialize(&data)
        .map_err(|e| bad(path, format!("not a safetensors file ({e:?})")))?;
    let mut tensors: Vec<(usize, TorchTensor)> = Vec::new();
    for (name, view) in st.tensors() {
        let bytes = view.data();
        let data = match view.dtype() {
            Dtype::F32 => TorchData::F32(
                bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
            Dtype::F64 => TorchData::F32(
                bytes
                    .chunks_exact(8)
                    .map(|c| {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(c);
                        f64::from_le_bytes(b) as f32
                    })
                    .collect(),
            ),
            Dtype::I64 => TorchData::I64(
                bytes
                    .chunks_exact(8)
                    .map(|c| {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(c);
                        i64::from_le_bytes(b)
                    })
                    .collect(),
            ),
            other => {
                return Err(bad(
                    path,
                    format!("tensor '{name}' is {other:?}; float32, float64 and int64 are read"),
                ));
            }
        };
        if view
            .shape()
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            != Some(data.len())
        {
            return Err(bad(
                path,
                format!("tensor '{name}' has the wrong number of bytes"),
            ));
        }
        // Every view borrows the one buffer: its address orders the tensors as stored.
        tensors.push((
            bytes.as_ptr() as usize,
            TorchTensor {
                name,
                shape: view.shape().to_vec(),
                data,
            },
        ));
    }
    tensors.sort_by_key(|(offset, _)| *offset);
    Ok(tensors.into_iter().map(|(_, t)| t).collect())
}

impl Loaded {
    /// Removes and returns tensor `name`, which must have `shape`.
    pub fn take(
        &mut self,
        path: &Path,
        name: &str,
        shape: &[usize],
    ) -> Result<Vec<f32>, ModelError> {
        match self.tensors.remove(name) {
            None => Err(bad(path, format!("missing tensor {name}"))),
            Some((s, _)) if s != shape => Err(bad(
                path,
                format!("tensor {name} has shape {s:?}, expected {shape:?}"),
            )),
            Some((_, v)) => Ok(v),
        }
    }

    /// Fails if tensors remain that nobody [`Loaded::take`]s.
    pub fn finish(self, path: &Path) -> Result<(), ModelError> {
        match self.tensors.keys().next() {
            Some(name) => Err(bad(path, format!("unexpected tensor {name}"))),
            None => Ok(()),
        }
    }

    /// Metadata value `key`, which must be present.
    pub fn meta(&self, path: &Path, key: &str) -> Result<&str, ModelError> {
        self.metadata
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| bad(path, format!("missing metadata '{key}'")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_tensor(path: &Path, values: &[f32], tag: Option<CheckpointTag>) {
        let mut meta = HashMap::from([("format".to_string(), "t".to_string())]);
        if let Some(tag) = tag {
            tag.write_into(&mut meta);
        }
        let t = Named {
            name: "w".into(),
            shape: vec![values.len()],
            values,
        };
        write(path, &[t], meta).unwrap();
    }

    #[test]
    fn non_finite_weights_are_rejected_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        for bad_value in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let path = dir.path().join("model.safetensors");
            one_tensor(&path, &[1.0, bad_value, 3.0], None);
            let err = read(&path, "t").unwrap_err().to_string();
            assert!(err.contains("model.safetensors"), "{err}");
            assert!(err.contains("non-finite"), "{err}");
            assert!(err.contains("index 1"), "{err}");
        }
    }

    #[test]
    fn oversized_files_are_rejected_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.safetensors");
        one_tensor(&path, &[1.0], None);
        // Sparse: the hole takes no disk space.
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let err = read(&path, "t").unwrap_err().to_string();
        assert!(err.contains("larger than"), "{err}");
        assert!(err.contains("model.safetensors"), "{err}");
        assert!(read_checkpoint_tag(&path).is_err());
    }

    #[test]
    fn the_same_content_gives_the_same_bytes_whatever_the_hash_order() {
        let dir = tempfile::tempdir().unwrap();
        let tag = Some(CheckpointTag { epoch: 2, step: 40 });
        let files: Vec<Vec<u8>> = (0..8)
            .map(|i| {
                let path = dir.path().join(format!("{i}.safetensors"));
                one_tensor(&path, &[1.0, -2.5, 3.0], tag);
                std::fs::read(&path).unwrap()
            })
            .collect();
        assert!(files.windows(2).all(|w| w[0] == w[1]), "bytes differ");
        let header_len = u64::from_le_bytes(files[0][..8].try_into().unwrap());
        assert_eq!(header_len % 8, 0, "the header stays aligned");
        let path = dir.path().join("0.safetensors");
        assert_eq!(read_checkpoint_tag(&path).unwrap(), tag);
        let back = read(&path, "t").unwrap();
        assert_eq!(back.tensors["w"], (vec![3], vec![1.0, -2.5, 3.0]));
    }

    #[test]
    fn checkpoint_tags_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        one_tensor(&path, &[1.0], None);
        assert_eq!(read_checkpoint_tag(&path).unwrap(), None);
        let tag = CheckpointTag {
            epoch: 3,
            step: 282,
        };
        one_tensor(&path, &[1.0], Some(tag));
        assert_eq!(read_checkpoint_tag(&path).unwrap(), Some(tag));
        assert_eq!(read(&path, "t").unwrap().tensors.len(), 1);
    }
}
