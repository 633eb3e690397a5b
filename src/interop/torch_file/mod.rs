//! A safe reader of PyTorch checkpoints (`torch.save` output, PyTorch ≥ 1.6): a state
//! dict, an optimiser's state dict, or any nesting of dicts, lists, tuples, numbers,
//! strings and tensors.
//!
//! `torch.save` writes a zip archive holding a pickle. Unpickling runs code named by the
//! file, so this reader never unpickles: a small machine (`pickle.rs`) follows only the
//! opcodes torch.save writes for these values, accepts only a whitelist of globals
//! (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` and
//! `_rebuild_parameter`, the `torch.*Storage` classes) and builds values from them
//! without calling anything. A file naming any other global (`posix.system`, ...) is
//! refused with that name. Every size and count taken from the file is checked against
//! [`Limits`] before it allocates, tensors' views against their storages, and nothing
//! in here panics on any input (the fuzz tests check).
//!
//! ```no_run
//! use mnist_tui::interop::torch_file::{read_torch_file, state_dict};
//! use std::path::Path;
//! let path = Path::new("model.pkl");
//! for (name, tensor) in state_dict(read_torch_file(path)?, path)? {
//!     println!("{name}: {:?}", tensor.shape);
//! }
//! # Ok::<(), mnist_tui::interop::torch_file::TorchFileError>(())
//! ```

mod archive;
mod convert;
mod error;
mod globals;
mod graph;
mod limits;
mod opcodes;
mod pickle;
mod state_dict;
mod tensor;
mod value;

#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod pickle_tests;
#[cfg(test)]
mod test_pickle;

pub use error::{PickleProblem, Problem, TensorProblem, TorchFileError, ValueProblem};
pub use limits::Limits;
pub use state_dict::state_dict;
pub use value::{Tensor, TensorData, Value};

use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;

/// Reads the checkpoint at `path` whole, under [`Limits::DEFAULT`].
pub fn read_torch_file(path: &Path) -> Result<Value, TorchFileError> {
    read_torch_file_with(path, &Limits::DEFAULT)
}

/// Reads the checkpoint at `path` whole, under `limits`.
pub fn read_torch_file_with(path: &Path, limits: &Limits) -> Result<Value, TorchFileError> {
    let fail = |p| TorchFileError::new(path, p);
    let file = std::fs::File::open(path).map_err(|e| fail(Problem::Io(e)))?;
    let size = file.metadata().map_err(|e| fail(Problem::Io(e)))?.len();
    read(BufReader::new(file), size, limits).map_err(fail)
}

/// Reads a checkpoint held in memory; `name` is the file its errors name.
pub fn read_torch_bytes(bytes: &[u8], name: &Path) -> Result<Value, TorchFileError> {
    read_torch_bytes_with(bytes, name, &Limits::DEFAULT)
}

/// Reads a checkpoint held in memory under `limits`; `name` is the file its errors name.
pub fn read_torch_bytes_with(
    bytes: &[u8],
    name: &Path,
    limits: &Limits,
) -> Result<Value, TorchFileError> {
    read(Cursor::new(bytes), bytes.len() as u64, limits).map_err(|p| TorchFileError::new(name, p))
}

fn read<R: Read + Seek>(reader: R, size: u64, limits: &Limits) -> Result<Value, Problem> {
    let mut archive = archive::open(reader, size, limits)?;
    let bytes = archive.read_pickle()?;
    let graph = pickle::run(&bytes, &archive.pickle_name(), limits)?;
    convert::to_value(&graph, &mut archive, limits)
}
