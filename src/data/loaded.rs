//! A dataset in memory: two splits of images and labels, pixels as `u8`, each image
//! upright and each label counted from 0 whatever the files store, plus what the
//! dataset is ([`DatasetInfo`]: classes, normalisation, the files' checksums).

use super::DataError;
use super::datasets::{DATASETS, DataFile, DatasetInfo, DatasetName, FileSum, Norm, Source};
use super::idx::{self, IMAGE_PIXELS, IMAGE_SIDE, ParseOptions};
use std::path::Path;

/// The two splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// The training images (MNIST: 60 000).
    Train,
    /// The test images (MNIST: 10 000).
    Test,
}

/// MNIST's four files under their canonical names, in the order they are loaded and
/// fetched.
pub const MNIST_FILES: [DataFile; 4] = DATASETS[0].files;

/// Images and labels of one split. Pixels stay `u8`, row-major, 784 per image.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    /// `len() * 784` pixels.
    pub images: Vec<u8>,
    /// One label per image, counted from 0.
    pub labels: Vec<u8>,
}

impl Samples {
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

    /// How many images carry each label (as many entries as the largest label + 1).
    pub fn label_histogram(&self) -> Vec<usize> {
        let len = self.labels.iter().max().map_or(0, |&m| usize::from(m) + 1);
        let mut h = vec![0usize; len];
        for &l in &self.labels {
            if let Some(c) = h.get_mut(l as usize) {
                *c += 1;
            }
        }
        h
    }

    /// Loads one split of `source`, checking that images and labels agree in number;
    /// returns it with the two files' checksums.
    fn load_split(source: &Source, split: Split) -> Result<(Samples, [FileSum; 2]), DataError> {
        let [images_file, labels_file] = split_files(source, split);
        let (images, images_sum) = load_file(source, &images_file)?;
        let (labels, labels_sum) = load_file(source, &labels_file)?;
        if images.count != labels.count {
            return Err(DataError::Invalid {
                path: labels_file
                    .locate(&source.dir)
                    .unwrap_or_else(|| source.dir.join(labels_file.name)),
                problem: format!(
                    "holds {} labels but {} holds {} images; the two files of a split must match",
                    labels.count, images_file.name, images.count
                ),
            });
        }
        let mut samples = Samples {
            images: images.data,
            labels: labels.data,
        };
        if source.first_label > 0 {
            for l in &mut samples.labels {
                *l -= source.first_label;
            }
        }
        if source.transposed {
            transpose_each(&mut samples.images);
        }
        Ok((samples, [images_sum, labels_sum]))
    }
}

/// The images and labels files of `split`.
fn split_files(source: &Source, split: Split) -> [DataFile; 2] {
    let of = |kind| {
        source
            .files
            .into_iter()
            .find(|f| f.split == split && f.kind == kind)
            .unwrap_or(source.files[0])
    };
    [of(idx::IdxKind::Images), of(idx::IdxKind::Labels)]
}

/// Reads one file of `source` (keeping its values and hashing them), refusing another
/// known dataset's file found in this one's place.
fn load_file(source: &Source, file: &DataFile) -> Result<(idx::Idx, FileSum), DataError> {
    let path = file
        .locate(&source.dir)
        .ok_or_else(|| missing(source, file))?;
    let (first, last) = source.label_range();
    let opts = ParseOptions {
        keep: true,
        hash: true,
        labels: (first, last),
    };
    let parsed = idx::read_file(&path, file.kind, opts)?;
    let sha256 = parsed.sha256.clone().unwrap_or_default();
    if file.sha256().is_some_and(|want| want != sha256)
        && let Some((other, _)) = known_file(&sha256)
        && Some(other) != source.spec.map(|s| s.name)
    {
        return Err(DataError::Invalid {
            path,
            problem: format!(
                "this is {other}'s {}, not {}'s (checked by its SHA-256): keep each \
                 dataset's files in its own folder",
                file.name, source.name
            ),
        });
    }
    Ok((
        parsed,
        FileSum {
            file: file.name.to_string(),
            sha256,
        },
    ))
}

/// The dataset and file whose pinned SHA-256 is `sha256`, if any.
fn known_file(sha256: &str) -> Option<(&'static str, &'static str)> {
    DATASETS.iter().find_map(|d| {
        d.files
            .iter()
            .find(|f| f.sha256() == Some(sha256))
            .map(|f| (d.name, f.name))
    })
}

/// The error for a file of `source` that is not there.
fn missing(source: &Source, file: &DataFile) -> DataError {
    DataError::Missing {
        path: source.dir.join(file.name),
        dataset: source.title.clone(),
        how: source.how_to_get(),
    }
}

/// Turns every 28×28 image of `pixels` upright: EMNIST stores each one transposed.
/// In place, one image at a time (nothing is held twice).
fn transpose_each(pixels: &mut [u8]) {
    for image in pixels.chunks_exact_mut(IMAGE_PIXELS) {
        for r in 0..IMAGE_SIDE {
            for c in r + 1..IMAGE_SIDE {
                image.swap(r * IMAGE_SIDE + c, c * IMAGE_SIDE + r);
            }
        }
    }
}

/// A dataset's two splits and what it is.
#[derive(Debug, Clone, Default)]
pub struct LoadedDataset {
    /// Training split.
    pub train: Samples,
    /// Test split.
    pub test: Samples,
    /// Its name, classes, normalisation, preparation and files' checksums.
    pub info: DatasetInfo,
}

impl LoadedDataset {
    /// Loads the dataset `name` from the data folder `root` (see [`Source::resolve`]).
    /// A missing file is [`DataError::Missing`] (whose message lists the four files,
    /// where they go and how to get them); a malformed one is [`DataError::Invalid`]
    /// naming the file.
    pub fn load(root: &Path, name: &DatasetName) -> Result<LoadedDataset, DataError> {
        Self::load_source(&Source::resolve(root, name)?)
    }

    /// Loads MNIST from `dir` (its files in `dir` itself or in `dir/mnist`).
    pub fn load_mnist(dir: &Path) -> Result<LoadedDataset, DataError> {
        Self::load(dir, &DatasetName::mnist())
    }

    /// Loads and validates the four files of `source` (each raw or gzip).
    pub fn load_source(source: &Source) -> Result<LoadedDataset, DataError> {
        // Fail fast (and name every missing file's place) before decompressing anything.
        if let Some(f) = source
            .files
            .iter()
            .find(|f| f.locate(&source.dir).is_none())
        {
            return Err(missing(source, f));
        }
        // The training images dominate; decompress them on a second thread.
        let (train, test) = std::thread::scope(|s| {
            let train = s.spawn(|| Samples::load_split(source, Split::Train));
            let test = Samples::load_split(source, Split::Test);
            let train = train.join().unwrap_or_else(|_| {
                Err(DataError::Invalid {
                    path: source.dir.clone(),
                    problem: "the loader thread panicked".to_string(),
                })
            });
            (train, test)
        });
        let (train, train_sums) = train?;
        let (test, test_sums) = test?;
        let norm = source.norm.unwrap_or_else(|| Norm::measure(&train.images));
        let files = train_sums.into_iter().chain(test_sums).collect();
        let info = match source.spec {
            Some(spec) => DatasetInfo::of_spec(spec, norm, files),
            None => DatasetInfo {
                name: source.name.clone(),
                title: source.title.clone(),
                classes: source.classes.clone(),
                norm,
                preparation: source.preparation,
                files,
            },
        };
        Ok(LoadedDataset { train, test, info })
    }

    /// The samples of `split`.
    pub fn split(&self, split: Split) -> &Samples {
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

    const TRAIN_IMAGES: DataFile = MNIST_FILES[0];
    const TRAIN_LABELS: DataFile = MNIST_FILES[1];
    const TEST_IMAGES: DataFile = MNIST_FILES[2];
    const TEST_LABELS: DataFile = MNIST_FILES[3];

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
        let m = LoadedDataset::load_mnist(dir.path()).unwrap();
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
        let err = LoadedDataset::load_mnist(dir.path()).unwrap_err();
        assert!(matches!(err, DataError::Missing { .. }));
        let msg = err.to_string();
        for f in MNIST_FILES {
            assert!(msg.contains(f.name), "{msg}");
        }
        assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
        assert!(msg.contains("mnist-tui data fetch"), "{msg}");
        // A directory that does not exist at all says the same.
        let err = LoadedDataset::load_mnist(&dir.path().join("nope")).unwrap_err();
        assert!(matches!(err, DataError::Missing { .. }), "{err}");
    }

    #[test]
    fn one_missing_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), (2, 2), (1, 1));
        fs::remove_file(dir.path().join(TEST_LABELS.name)).unwrap();
        match LoadedDataset::load_mnist(dir.path()).unwrap_err() {
            DataError::Missing { path, dataset, .. } => {
                assert_eq!(path, dir.path().join(TEST_LABELS.name));
                assert_eq!(dataset, "MNIST");
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn count_mismatch_names_the_labels_file() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), (5, 4), (1, 1));
        match LoadedDataset::load_mnist(dir.path()).unwrap_err() {
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
        let err = LoadedDataset::load_mnist(dir.path()).unwrap_err();
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

    /// Image `k`: one lit pixel at row `k / 28`, column `k % 28`: not symmetric, so a
    /// transposition shows.
    fn marked(k: usize) -> [u8; IMAGE_PIXELS] {
        let mut img = [0u8; IMAGE_PIXELS];
        img[k] = 200;
        img[0] = 1;
        img
    }

    /// Writes a dataset's four files into `dir`: `n` train and `n` test images, image k
    /// marked at pixel k (stored transposed if `transposed`), labelled `labels(k)`.
    fn write_files(
        dir: &Path,
        files: &[DataFile; 4],
        n: usize,
        transposed: bool,
        labels: impl Fn(usize) -> u8,
    ) {
        fs::create_dir_all(dir).unwrap();
        let stored: Vec<[u8; IMAGE_PIXELS]> = (0..n)
            .map(|k| {
                let mut img = marked(k);
                if transposed {
                    transpose_each(&mut img);
                }
                img
            })
            .collect();
        let labels: Vec<u8> = (0..n).map(labels).collect();
        for f in files {
            let bytes = match f.kind {
                idx::IdxKind::Images => idx::tests::images_file(&stored),
                idx::IdxKind::Labels => idx::tests::labels_file(&labels),
            };
            fs::write(dir.join(f.gz_name()), gzip(&bytes)).unwrap();
        }
    }

    #[test]
    fn every_named_dataset_loads_upright_with_labels_from_zero() {
        let root = tempfile::tempdir().unwrap();
        for spec in DATASETS {
            let classes = spec.classes.len();
            let dir = root.path().join(spec.folders[0]);
            let first = usize::from(spec.first_label);
            write_files(&dir, &spec.files, 30, spec.transposed, |k| {
                (first + k % classes) as u8
            });
            let name: DatasetName = spec.name.parse().unwrap();
            let d = LoadedDataset::load(root.path(), &name)
                .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
            assert_eq!(d.info.name, name);
            assert_eq!(d.info.class_count(), classes);
            assert_eq!(d.train.len(), 30);
            for k in 0..30 {
                assert_eq!(
                    d.train.image(k),
                    &marked(k)[..],
                    "{} image {k} upright",
                    spec.name
                );
                assert_eq!(
                    usize::from(d.test.labels[k]),
                    k % classes,
                    "{} label {k}",
                    spec.name
                );
            }
            assert_eq!(d.info.files.len(), 4);
            // The normalisation: the pinned one, else measured on these images.
            match spec.norm {
                Some(norm) => assert_eq!(d.info.norm, norm),
                None => assert_eq!(d.info.norm, Norm::measure(&d.train.images)),
            }
        }
    }

    #[test]
    fn letters_labelled_outside_their_range_are_named() {
        let root = tempfile::tempdir().unwrap();
        let spec = crate::data::datasets::find_dataset("emnist-letters").unwrap();
        // Label 0 does not exist in EMNIST letters (they run 1–26).
        write_files(
            &root.path().join("emnist-letters"),
            &spec.files,
            3,
            true,
            |_| 0,
        );
        let err = LoadedDataset::load(root.path(), &"emnist-letters".parse().unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("label 0 at index 0 is outside 1–26"), "{err}");
    }

    #[test]
    fn a_folder_of_ones_own_with_26_classes_loads_with_its_names() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("letters");
        write_files(&dir, &MNIST_FILES, 52, false, |k| (k % 26) as u8);
        let names: String = ('a'..='z').map(|c| format!("{c}\n")).collect();
        fs::write(dir.join("classes.txt"), names).unwrap();
        let d = LoadedDataset::load(root.path(), &"letters".parse().unwrap()).unwrap();
        assert_eq!(d.info.class_count(), 26);
        assert_eq!(d.info.class_name(25), "z");
        assert_eq!(d.info.title, "letters");
        assert_eq!(d.info.preparation, crate::data::Preparation::Plain);
        // The same folder by its path.
        let by_path = dir.display().to_string();
        let d2 = LoadedDataset::load(Path::new("/nonexistent"), &by_path.parse().unwrap()).unwrap();
        assert_eq!(
            d2.info.files, d.info.files,
            "identified by its files' checksums"
        );
        // A label beyond the 26 classes is refused, naming the file.
        write_files(&dir, &MNIST_FILES, 3, false, |_| 26);
        let err = LoadedDataset::load(root.path(), &"letters".parse().unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("train-labels-idx1-ubyte.gz: label 26"),
            "{err}"
        );
    }

    #[test]
    fn another_datasets_file_in_this_ones_place_is_refused() {
        // Fashion-MNIST's folder holding MNIST's real file is caught by its checksum;
        // only the real files have those checksums, so this runs where MNIST is.
        let Some(mnist) = std::env::var_os("MNIST_DATA_DIR").map(std::path::PathBuf::from) else {
            return;
        };
        let Some(real) = MNIST_FILES[3].locate(&mnist) else {
            return;
        };
        let root = tempfile::tempdir().unwrap();
        let spec = crate::data::datasets::find_dataset("fashion-mnist").unwrap();
        let dir = root.path().join("fashion-mnist");
        write_files(&dir, &spec.files, 10, false, |k| (k % 10) as u8);
        fs::remove_file(dir.join(MNIST_FILES[3].gz_name())).unwrap();
        fs::copy(&real, dir.join(real.file_name().unwrap())).unwrap();
        let err = LoadedDataset::load(root.path(), &"fashion-mnist".parse().unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("this is mnist's t10k-labels-idx1-ubyte, not fashion-mnist's"),
            "{err}"
        );
    }

    #[test]
    fn missing_files_say_where_they_go_and_how_to_get_them() {
        let root = tempfile::tempdir().unwrap();
        let err = LoadedDataset::load(root.path(), &"fashion-mnist".parse().unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing Fashion-MNIST file"), "{err}");
        assert!(
            err.contains(&root.path().join("fashion-mnist").display().to_string()),
            "{err}"
        );
        assert!(
            err.contains("dataset-fashion-mnist"),
            "the Debian package: {err}"
        );
        let err = LoadedDataset::load(root.path(), &"emnist-letters".parse().unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unzip -j gzip.zip 'gzip/emnist-letters-*'"),
            "{err}"
        );
    }
}
