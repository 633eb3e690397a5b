//! Reading and writing named `f32` tensors as safetensors files, with every check
//! a loader needs (names, shapes, dtypes, metadata) turned into
//! [`ModelError::BadFile`] instead of a panic.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView, serialize};

use super::ModelError;

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
    std::fs::write(path, data).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads every tensor of `path`, which must be a valid safetensors file of `f32`
/// tensors whose metadata has `format` = `expected_format`.
pub(crate) fn read(path: &Path, expected_format: &str) -> Result<Loaded, ModelError> {
    let data = std::fs::read(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
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
        let shape = view.shape().to_vec();
        if shape.iter().product::<usize>() != values.len() {
            return Err(bad(
                path,
                format!("tensor {name} has the wrong number of bytes"),
            ));
        }
        tensors.insert(name, (shape, values));
    }
    Ok(Loaded { metadata, tensors })
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
