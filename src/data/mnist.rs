//! The MNIST dataset in memory: two splits, pixels as `u8`.

use super::DataError;
use super::idx::{self, IMAGE_PIXELS, IdxKind, ParseOptions};
use std::path::{Path, PathBuf};

/// The two splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// 60 000 training images.
    Train,
    /// 10 000 test images.
    Test,
}

/// One of the four canonical MNIST files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MnistFile {
    /// Canonical name without `.gz`, e.g. `train-images-idx3-ubyte`.
    pub name: &'static str,
    /// SHA-256 of the decompressed content, lowercase hex.
    pub sha256: &'static str,
    /// Images or labels.
    pub kind: IdxKind,
    /// The split the file belongs to.
    pub split: Split,
}

/// The training images (60 000 × 28 × 28).
pub const TRAIN_IMAGES: MnistFile = MnistFile {
    name: "train-images-idx3-ubyte",
    sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    kind: IdxKind::Images,
    split: Split::Train,
};
/// The training labels (60 000).
pub const TRAIN_LABELS: MnistFile = MnistFile {
    name: "train-labels-idx1-ubyte",
    sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    kind: IdxKind::Labels,
    split: Split::Train,
};
/// The test images (10 000 × 28 × 28).
pub const TEST_IMAGES: MnistFile = MnistFile {
    name: "t10k-images-idx3-ubyte",
    sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    kind: IdxKind::Images,
    split: Split::Test,
};
/// The test labels (10 000).
pub const TEST_LABELS: MnistFile = MnistFile {
    name: "t10k-labels-idx1-ubyte",
    sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    kind: IdxKind::Labels,
    split: Split::Test,
};
/// The four canonical MNIST files, in the order they are loaded and fetched.
pub const MNIST_FILES: [MnistFile; 4] = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS];

impl MnistFile {
    /// The compressed name served by mirrors: `<name>.gz`.
    pub fn gz_name(&self) -> String {
        format!("{}.gz", self.name)
    }

    /// The two places the file may be in `dir`: `<dir>/<name>` and `<dir>/<name>.gz`.
    pub fn candidates(&self, dir: &Path) -> [PathBuf; 2] {
        [dir.join(self.name), dir.join(self.gz_name())]
    }

    /// The file's path in `dir`: the raw name if it exists, else `<name>.gz` if it
    /// exists, else `None`. Whether the content is gzip is decided by its bytes.
    pub fn locate(&self, dir: &Path) -> Option<PathBuf> {
        self.candidates(dir).into_iter().find(|p| p.exists())
    }

    /// Loads the file from `dir` (keeping its values).
    fn load(&self, dir: &Path) -> Result<idx::Idx, DataError> {
        let path = self.locate(dir).ok_or_else(|| DataError::Missing {
            path: dir.join(self.name),
            dir: dir.to_path_buf(),
        })?;
        idx::read_file(&path, self.kind, ParseOptions::LOAD)
    }
}

/// Images and labels of one split. Pixels stay `u8`, row-major, 784 per image.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// `len() * 784` pixels.
    pub images: Vec<u8>,
    /// One label 0–9 per image.
    pub labels: Vec<u8>,
}

impl Dataset {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The 784 pixels of image `i`. Panics if `i >= len()`.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS]
    }

    /// How many images carry each label 0–9.
    pub fn label_histogram(&self) -> [usize; 10] {
        let mut h = [0usize; 10];
        for &l in &self.labels {
            if let Some(c) = h.get_mut(l as usize) {
                *c += 1;
            }
        }
        h
    }

    /// Loads one split from `dir`, checking that images and labels agree in number.
    pub fn load_split(dir: &Path, split: Split) -> Result<Dataset, DataError> {
        let (images_file, labels_file) = match split {
            Split::Train => (TRAIN_IMAGES, TRAIN_LABELS),
            Split::Test => (TEST_IMAGES, TEST_LABELS),
        };
        // Fail fast (and name every missing file's place) before decompressing anything.
        for f in [images_file, labels_file] {
            if f.locate(dir).is_none() {
                return Err(DataError::Missing {
                    path: dir.join(f.name),
                    dir: dir.to_path_buf(),
                });
            }
        }
        let images = images_file.load(dir)?;
        let labels = labels_file.load(dir)?;
        if images.count != labels.count {
            return Err(DataError::Invalid {
                path: labels_file
                    .locate(dir)
                    .unwrap_or_else(|| dir.join(labels_file.name)),
                problem: format!(
                    "holds {} labels but {} holds {} images; the two files of a split must match",
                    labels.count, images_file.name, images.count
                ),
            });
        }
        Ok(Dataset {
            images: images.data,
            labels: labels.data,
        })
    }
}

/// Both splits of MNIST.
#[derive(Debug, Clone, Default)]
pub struct Mnist {
    /// Training split.
    pub train: Dataset,
    /// Test split.
    pub test: Dataset,
}

impl Mnist {
    /// Loads and validates the four files from `dir` (each raw or gzip).
    /// A missing file is [`DataError::Missing`] (whose message lists the four files
    /// and `dir`); a malformed one is [`DataError::Invalid`] naming the file.
    pub fn load(dir: &Path) -> Result<Mnist, DataError> {
        for f in MNIST_FILES {
            if f.locate(dir).is_none() {
                return Err(DataError::Missing {
                    path: dir.join(f.name),
                    dir: dir.to_path_buf(),
                });
            }
        }
        // The training images dominate; decompress them on a second thread.
        std::thread::scope(|s| {
            let train = s.spawn(|| Dataset::load_split(dir, Split::Train));
            let test = Dataset::load_split(dir, Split::Test);
            let train = train.join().unwrap_or_else(|_| {
                Err(DataError::Invalid {
                    path: dir.join(TRAIN_IMAGES.name),
                    problem: "the loader thread panicked".to_string(),
                })
            });
            Ok(Mnist {
                train: train?,
                test: test?,
            })
        })
    }

    /// The dataset of `split`.
    pub fn split(&self, split: Split) -> &Dataset {
        match split {
            Split::Train => &self.train,
            Split::Test => &self.test,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::idx::tests::{gzip, images_bytes, labels_bytes};
    use std::fs;

    fn write_set(dir: &Path, train: (usize, usize), test: (usize, usize)) {
        fs::write(
            dir.join(TRAIN_IMAGES.gz_name()),
            gzip(&images_bytes(train.0)),
        )
        .unwrap();
        fs::write(dir.join(TRAIN_LABELS.name), labels_bytes(train.1)).unwrap();
        // Raw content under a `.gz` name and gzip under a raw name: content decides.
        fs::write(dir.join(TEST_IMAGES.gz_name()), images_bytes(test.0)).unwrap();
        fs::write(dir.join(TEST_LABELS.name), gzip(&labels_bytes(test.1))).unwrap();
    }

    #[test]
    fn loads_a_small_set_in_any_mix_of_raw_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), (5, 5), (3, 3));
        let m = Mnist::load(dir.path()).unwrap();
        assert_eq!(m.train.len(), 5);
        assert_eq!(m.test.len(), 3);
        assert_eq!(m.train.images.len(), 5 * 784);
        assert_eq!(m.test.image(2)[0], 2);
        assert_eq!(m.train.labels, vec![0, 1, 2, 3, 4]);
        assert_eq!(m.train.label_histogram()[..5], [1, 1, 1, 1, 1]);
    }

    #[test]
    fn empty_directory_lists_what_is_needed() {
        let dir = tempfile::tempdir().unwrap();
        let err = Mnist::load(dir.path()).unwrap_err();
        assert!(matches!(err, DataError::Missing { .. }));
        let msg = err.to_string();
        for f in MNIST_FILES {
            assert!(msg.contains(f.name), "{msg}");
        }
        assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
        assert!(msg.contains("mnist-tui data fetch"), "{msg}");
        // A directory that does not exist at all says the same.
        let err = Mnist::load(&dir.path().join("nope")).unwrap_err();
        assert!(matches!(err, DataError::Missing { .. }), "{err}");
    }

    #[test]
    fn one_missing_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), (2, 2), (1, 1));
        fs::remove_file(dir.path().join(TEST_LABELS.name)).unwrap();
        match Mnist::load(dir.path()).unwrap_err() {
            DataError::Missing { path, dir: d } => {
                assert_eq!(path, dir.path().join(TEST_LABELS.name));
                assert_eq!(d, dir.path());
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn count_mismatch_names_the_labels_file() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), (5, 4), (1, 1));
        match Mnist::load(dir.path()).unwrap_err() {
            DataError::Invalid { path, problem } => {
                assert_eq!(path, dir.path().join(TRAIN_LABELS.name));
                assert!(problem.contains("holds 4 labels"), "{problem}");
                assert!(problem.contains("train-images-idx3-ubyte holds 5 images"));
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn invalid_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), (2, 2), (1, 1));
        let mut bad = images_bytes(1);
        bad.truncate(100);
        fs::write(dir.path().join(TEST_IMAGES.gz_name()), bad).unwrap();
        let err = Mnist::load(dir.path()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("t10k-images-idx3-ubyte.gz: truncated"),
            "{msg}"
        );
    }

    #[test]
    fn raw_name_is_preferred_when_both_exist() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(TRAIN_LABELS.name), b"x").unwrap();
        fs::write(dir.path().join(TRAIN_LABELS.gz_name()), b"x").unwrap();
        assert_eq!(
            TRAIN_LABELS.locate(dir.path()),
            Some(dir.path().join(TRAIN_LABELS.name))
        );
    }
}
