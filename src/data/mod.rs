//! MNIST data: IDX parsing and validation, the in-memory dataset (pixels kept as `u8`),
//! shuffled batches turned into `f32` on the fly (varied by augmentation when training),
//! download and verification.

pub mod augment;
pub mod batch;
pub mod fetch;
pub mod idx;
pub mod mnist;
pub mod split;

pub use augment::{Augment, Augmentation};
pub use batch::{EpochOrder, MNIST_MEAN, MNIST_STD, SampleBatch};
pub use fetch::{
    FetchError, FetchProgress, FetchReport, FileReport, FileStatus, fetch, fetch_files, verify,
};
pub use idx::IdxKind;
pub use mnist::{Dataset, MNIST_FILES, Mnist, MnistFile, Split};
pub use split::{Sampling, SplitError, SplitSizes};

use std::path::PathBuf;

/// Everything that can go wrong reading MNIST. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A required file is not in the data directory.
    #[error(
        "{}[.gz]: missing MNIST file (run `mnist-tui data fetch`, or put the four MNIST files {} in {})",
        path.display(),
        "train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]",
        dir.display()
    )]
    Missing {
        /// The file looked for, without `.gz` (both `<path>` and `<path>.gz` were tried).
        path: PathBuf,
        /// The data directory.
        dir: PathBuf,
    },
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file is not valid MNIST IDX data.
    #[error("{}: {problem}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}
