//! The data: datasets as data (MNIST, Fashion-MNIST, KMNIST, EMNIST, folders of one's
//! own), IDX parsing and validation, the in-memory dataset (pixels kept as `u8`),
//! shuffled batches turned into `f32` on the fly (varied by augmentation when training),
//! download and verification.

pub mod augment;
pub mod batch;
pub mod datasets;
pub mod fetch;
pub mod idx;
pub mod loaded;
pub mod split;

pub use augment::{Augment, Augmentation};
pub use batch::{EpochOrder, MNIST_MEAN, MNIST_STD, SampleBatch};
pub use datasets::{DataFile, DatasetInfo, DatasetName, Norm, Preparation, Source};
pub use fetch::{
    DatasetFiles, FetchError, FetchProgress, FetchReport, FileReport, FileStatus, fetch, verify,
};
pub use idx::IdxKind;
pub use loaded::{LoadedDataset, MNIST_FILES, Samples, Split};
pub use split::{Sampling, SplitError, SplitSizes};

use std::path::PathBuf;

/// Everything that can go wrong reading a dataset. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A required file is not in the dataset's folder.
    #[error("{}[.gz]: missing {dataset} file ({how})", path.display())]
    Missing {
        /// The file looked for, without `.gz` (both `<path>` and `<path>.gz` were tried).
        path: PathBuf,
        /// The dataset's title.
        dataset: String,
        /// Where the four files go and how to get them.
        how: String,
    },
    /// The `dataset` setting names neither a known dataset nor a folder.
    #[error(
        "unknown dataset '{name}': not one of {} and {} is not a folder (a dataset of \
         one's own is a folder of the four IDX files with a classes.txt)",
        datasets::dataset_names().join(", "),
        dir.display()
    )]
    UnknownDataset {
        /// The setting's value.
        name: String,
        /// The folder it would be.
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
