//! A checkpoint's value read as a state dict: names to tensors, in file order.

use super::error::{Problem, TorchFileError};
use super::value::{Tensor, Value};
use std::path::Path;

/// The entries of `value` if it is a dict of string keys to tensors (what
/// `torch.save(model.state_dict(), path)` writes), in the file's order; otherwise an
/// error naming `path`, the first key or value that is not, and where a state dict
/// nested in the file may be (`{'model': state_dict, ...}` checkpoints).
pub fn state_dict(value: Value, path: &Path) -> Result<Vec<(String, Tensor)>, TorchFileError> {
    let fail = |text: String| TorchFileError::new(path, Problem::NotStateDict(text));
    let Value::Dict(entries) = value else {
        return Err(fail(format!(
            "the file holds a {}, not a dict of names to tensors",
            value.kind()
        )));
    };
    let nested = entries
        .iter()
        .find(|(_, v)| is_state_dict(v))
        .and_then(|(k, _)| match k {
            Value::Str(k) => Some(format!(" (the dict under '{k}' is one)")),
            _ => None,
        })
        .unwrap_or_default();
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let Value::Str(name) = key else {
            return Err(fail(format!(
                "a key is a {} ({key:?}), not a name",
                key.kind()
            )));
        };
        let Value::Tensor(tensor) = value else {
            return Err(fail(format!(
                "'{name}' is a {}, not a tensor{nested}",
                value.kind()
            )));
        };
        out.push((name, tensor));
    }
    Ok(out)
}

/// Whether `v` is a non-empty dict of string keys to tensors.
fn is_state_dict(v: &Value) -> bool {
    matches!(v, Value::Dict(entries) if !entries.is_empty()
        && entries.iter().all(|(k, v)| matches!((k, v), (Value::Str(_), Value::Tensor(_)))))
}
