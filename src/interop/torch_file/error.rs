//! Why a checkpoint was not read: [`TorchFileError`] names the file, [`Problem`] says what
//! is wrong with it in words a user can act on.

use std::path::{Path, PathBuf};
use thiserror::Error;

/// A checkpoint that could not be read. Its message starts with the file's path.
#[derive(Debug, Error)]
#[error("{}: {problem}", path.display())]
pub struct TorchFileError {
    /// The file (or the name given to `read_torch_bytes`).
    pub path: PathBuf,
    /// What is wrong.
    pub problem: Problem,
}

impl TorchFileError {
    pub(crate) fn new(path: &Path, problem: Problem) -> Self {
        TorchFileError {
            path: path.to_path_buf(),
            problem,
        }
    }
}

/// What is wrong with a checkpoint.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Problem {
    #[error("cannot read it: {0}")]
    Io(#[source] std::io::Error),
    #[error("{size} bytes, more than the {max} allowed for a checkpoint")]
    TooLarge { size: u64, max: u64 },
    #[error(
        "not a zip archive: torch.save writes one since PyTorch 1.6 (files saved with \
         _use_new_zipfile_serialization=False, or by older versions, are not read)"
    )]
    NotZip,
    #[error("truncated or damaged zip archive ({0})")]
    BadZip(String),
    #[error("the archive holds {count} entries, more than the {max} allowed")]
    TooManyEntries { count: usize, max: usize },
    #[error("no <name>/data.pkl in the archive: not a torch.save checkpoint")]
    NoPickle,
    #[error("the archive holds two pickles, {0} and {1}: which one is the checkpoint?")]
    TwoPickles(String, String),
    #[error("{entry} is {size} bytes, more than the {max} allowed")]
    EntryTooLarge { entry: String, size: u64, max: u64 },
    #[error("cannot read {entry} from the archive: {reason}")]
    BadEntry { entry: String, reason: String },
    #[error("{entry} says {found:?}: only \"little\" and \"big\" are known")]
    ByteOrder { entry: String, found: String },
    #[error("{entry} byte {offset}: {problem}")]
    Pickle {
        entry: String,
        offset: u64,
        problem: PickleProblem,
    },
    #[error("tensor '{name}' {problem}")]
    Tensor {
        name: String,
        problem: Box<TensorProblem>,
    },
    #[error("'{at}' {problem}")]
    Value { at: String, problem: ValueProblem },
    #[error("not a state dict: {0}")]
    NotStateDict(String),
}

/// A pickle opcode stream the reader refuses or cannot follow.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum PickleProblem {
    #[error("refuses the pickle global '{module} {name}': only tensors and dicts are read")]
    RefusedGlobal { module: String, name: String },
    #[error("refuses the pickle opcode {name} (0x{code:02x}): torch.save does not write it")]
    RefusedOpcode { code: u8, name: &'static str },
    #[error("unknown pickle opcode 0x{0:02x}")]
    UnknownOpcode(u8),
    #[error("the pickle ends before its STOP opcode")]
    Truncated,
    #[error("{0}")]
    Malformed(String),
    #[error("{what}: more than the {max} allowed")]
    TooMany { what: &'static str, max: usize },
}

/// A tensor that cannot be built from the storage it names.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum TensorProblem {
    /// `needs` is None when the count does not fit 128 bits.
    #[error("needs {} elements, more than the {max} allowed", elements(needs))]
    TooManyElements { needs: Option<u128>, max: u64 },
    #[error("would bring the elements of all tensors past the {max} allowed")]
    TooManyInTotal { max: u64 },
    #[error("has {dims} dimensions, more than the {max} allowed")]
    TooManyDims { dims: usize, max: usize },
    #[error(
        "reads past its storage '{key}': its view (offset {offset}, size {size:?}, \
         stride {stride:?}) reaches element {last} of {numel}"
    )]
    OutsideStorage {
        key: String,
        offset: u64,
        size: Vec<u64>,
        stride: Vec<u64>,
        last: u128,
        numel: u64,
    },
    #[error(
        "has dtype {dtype} (torch.{class}): only float32/64/16, bfloat16, int64 and \
         int32 tensors are read"
    )]
    Dtype {
        dtype: &'static str,
        class: &'static str,
    },
    #[error("names storage '{0}', which is not in the archive")]
    MissingStorage(String),
    #[error("names storage '{key}' of {numel} elements, {bytes} bytes of {dtype}: {problem}")]
    Storage {
        key: String,
        numel: u64,
        bytes: u128,
        dtype: &'static str,
        problem: String,
    },
}

/// A part of the pickled object that is not a value this reader returns.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum ValueProblem {
    #[error("is nested more than {0} deep (or contains itself)")]
    TooDeep(usize),
    #[error("makes the object hold more than {0} values")]
    TooManyValues(usize),
    #[error("is the global '{0}', not a value")]
    Global(String),
    #[error("is a bare storage, not a tensor")]
    Storage,
    #[error("refers to an object the pickle never built")]
    Dangling,
}

fn elements(n: &Option<u128>) -> String {
    match n {
        Some(n) => n.to_string(),
        None => "more than 2^128".into(),
    }
}
