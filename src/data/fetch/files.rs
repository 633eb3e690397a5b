//! [`DatasetFiles`]: one dataset's files as `fetch` and `verify` see them, made from a
//! resolved [`Source`] (or built by hand, as the tests build a synthetic dataset).

use super::FetchLimits;
use crate::data::datasets::{DATASETS, DataFile, Source, catalog};
use crate::data::idx::{self, IdxKind};
use crate::data::loaded::Split;
use std::path::{Path, PathBuf};

/// One dataset's files as [`fetch`](super::fetch) and [`verify`](super::verify) check
/// them: where they are or go, how each is pinned, what their labels and counts must
/// be, where to download them and what to say when they cannot be downloaded.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetFiles {
    /// The name `--dataset` takes (`fashion-mnist`), for the commands messages suggest.
    pub name: String,
    /// How it is titled in messages (`Fashion-MNIST`).
    pub title: String,
    /// The folder the files are in, or go to.
    pub dir: PathBuf,
    /// The files, each with its checksum.
    pub files: Vec<DataFile>,
    /// The labels a labels file may hold (EMNIST letters: 1–26).
    pub labels: (u8, u8),
    /// Items in the training and test files, when known: a file that no checksum can
    /// check must hold exactly these, and downloads are capped by them.
    pub sizes: Option<(usize, usize)>,
    /// Base URLs serving `<mirror><name>.gz`, tried in order.
    pub mirrors: Vec<String>,
    /// How to get the files without a mirror (the folder written in), or empty.
    pub offline: String,
    /// Why a file without a checksum ([`FileChecksum::None`]) is unverified.
    ///
    /// [`FileChecksum::None`]: crate::data::datasets::FileChecksum::None
    pub unpinned: String,
    /// The download limits.
    pub limits: FetchLimits,
}

impl DatasetFiles {
    /// The files of `source` in the folder `data fetch` fills ([`Source::fetch_dir`],
    /// the folder its files are in when any is there), with the dataset's own mirrors.
    pub fn of_source(source: &Source) -> DatasetFiles {
        let dir = source.fetch_dir.clone();
        let offline = source.spec.map_or(String::new(), |s| {
            s.offline.replace("DIR", &dir.display().to_string())
        });
        DatasetFiles {
            name: source.name.to_string(),
            title: source.title.clone(),
            files: source.files.to_vec(),
            labels: source.label_range(),
            sizes: source.spec.map(|s| s.sizes),
            mirrors: source.spec.map_or_else(Vec::new, |s| {
                s.mirrors.iter().map(|m| m.to_string()).collect()
            }),
            offline,
            unpinned: source.spec.map_or_else(
                || "a dataset of one's own: no checksum is pinned for its files".to_string(),
                catalog::unpinned_reason,
            ),
            limits: FetchLimits::default(),
            dir,
        }
    }

    /// MNIST's four files directly in `dir` (where `data fetch` has always put them),
    /// with MNIST's mirrors.
    pub fn mnist(dir: &Path) -> DatasetFiles {
        let mut files = Self::of_source(&Source::of_spec(dir, &DATASETS[0]));
        files.dir = dir.to_path_buf();
        files
    }

    /// The same files, downloaded from `mirrors` instead (config.ron's for MNIST).
    pub fn with_mirrors(mut self, mirrors: &[String]) -> DatasetFiles {
        self.mirrors = mirrors.to_vec();
        self
    }

    /// How many items `file` must hold, when the dataset's sizes are known.
    pub fn expected_count(&self, file: &DataFile) -> Option<usize> {
        self.sizes.map(|(train, test)| match file.split {
            Split::Train => train,
            Split::Test => test,
        })
    }

    /// The most bytes accepted when downloading `file`: the limit if one is set, else
    /// [`max_download_bytes`] for its expected count (for [`idx::MAX_ITEMS`] when the
    /// count is unknown).
    pub fn max_bytes(&self, file: &DataFile) -> u64 {
        self.limits.max_bytes.unwrap_or_else(|| {
            let items = self.expected_count(file).unwrap_or(idx::MAX_ITEMS);
            max_download_bytes(file.kind, items)
        })
    }
}

/// The most bytes accepted for a file of `kind` holding `items` items: twice its
/// uncompressed size (a mirror may send it raw, gzip is smaller) plus 64 KiB. An
/// endless or oversized response is cut off at this many bytes.
pub fn max_download_bytes(kind: IdxKind, items: usize) -> u64 {
    let raw = kind.header_len() as u64 + items as u64 * kind.item_bytes() as u64;
    2 * raw + (64 << 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DatasetName;

    #[test]
    fn each_dataset_brings_its_folder_labels_sizes_and_mirrors() {
        let root = tempfile::tempdir().unwrap();
        let of = |name: &str| {
            let name: DatasetName = name.parse().unwrap();
            DatasetFiles::of_source(&Source::resolve(root.path(), &name).unwrap())
        };
        let mnist = of("mnist");
        assert_eq!(mnist.dir, root.path());
        assert_eq!(mnist, DatasetFiles::mnist(root.path()));
        assert_eq!(mnist.labels, (0, 9));

        let letters = of("emnist-letters");
        assert_eq!(letters.dir, root.path().join("emnist-letters"));
        assert_eq!(letters.labels, (1, 26));
        assert_eq!(letters.sizes, Some((124_800, 20_800)));
        assert!(letters.mirrors.is_empty());
        let unzip = format!(
            "unzip -j gzip.zip 'gzip/emnist-letters-*' -d {}",
            letters.dir.display()
        );
        assert!(letters.offline.contains(&unzip), "{}", letters.offline);
        assert!(letters.unpinned.contains("archive's MD5"));

        let kmnist = of("kmnist");
        assert!(kmnist.mirrors[0].starts_with("https://"));
        assert!(kmnist.unpinned.contains("Kuzushiji-MNIST"));
    }

    #[test]
    fn the_download_cap_follows_the_dataset_sizes() {
        let root = tempfile::tempdir().unwrap();
        let mnist = DatasetFiles::mnist(root.path());
        let train_images = mnist.files[0];
        assert_eq!(
            mnist.max_bytes(&train_images),
            2 * (16 + 60_000 * 784) + 65_536
        );
        assert_eq!(mnist.max_bytes(&mnist.files[3]), 2 * (8 + 10_000) + 65_536);
        let letters = DatasetFiles::of_source(&Source::of_spec(
            root.path(),
            crate::data::datasets::find_dataset("emnist-letters").unwrap(),
        ));
        assert_eq!(
            letters.max_bytes(&letters.files[0]),
            2 * (16 + 124_800 * 784) + 65_536
        );
        let capped = DatasetFiles {
            limits: FetchLimits {
                max_bytes: Some(1000),
                timeout: None,
            },
            ..mnist
        };
        assert_eq!(capped.max_bytes(&train_images), 1000);
    }
}
