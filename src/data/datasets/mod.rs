//! Datasets as data: what a set of 28×28 images is called, where its files live, how
//! they are checked, what its classes are named, how its images are normalised and how
//! a user's own picture is prepared for it.
//!
//! - [`catalog`]: the datasets known by name ([`DATASETS`], one row each).
//! - [`classes_file`]: a folder of IDX files of one's own, described by a small classes
//!   file (`classes.txt` or `classes.ron`).
//! - [`listing`]: what `data list` shows, every dataset and where its files are.
//! - this module: the types, [`DatasetName`] (the `dataset` setting), and [`Source`]:
//!   a name resolved to a folder and everything needed to read it.
//!
//! Where the files are: under the data folder, in a folder named after the dataset
//! (`data/fashion-mnist/`); MNIST's may also stay directly in the data folder, where
//! they always were. A dataset of one's own is a folder holding the four files under
//! MNIST's names and a classes file: under the data folder (then its folder name is
//! its name) or anywhere (the `dataset` setting is then its path).

pub mod catalog;
pub mod classes_file;
pub mod listing;

pub use catalog::DATASETS;

use super::DataError;
use super::augment::Augment;
use super::idx::IdxKind;
use super::loaded::Split;
use crate::train::LrSchedule;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// How a checksum pins a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileChecksum {
    /// SHA-256 of the decompressed content (lowercase hex): checks a raw or gzip copy.
    Sha256(&'static str),
    /// MD5 of the `.gz` file as its publisher serves it: checks only that file.
    Md5Gz(&'static str),
    /// Nothing published for the file itself.
    None,
}

/// One of a dataset's four IDX files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataFile {
    /// The name without `.gz`, e.g. `train-images-idx3-ubyte`.
    pub name: &'static str,
    /// Images or labels.
    pub kind: IdxKind,
    /// The split the file belongs to.
    pub split: Split,
    /// How the file is checked.
    pub checksum: FileChecksum,
}

impl DataFile {
    /// A file row.
    pub const fn new(
        name: &'static str,
        kind: IdxKind,
        split: Split,
        checksum: FileChecksum,
    ) -> Self {
        DataFile {
            name,
            kind,
            split,
            checksum,
        }
    }

    /// The SHA-256 of the decompressed content, when it is pinned.
    pub fn sha256(&self) -> Option<&'static str> {
        match self.checksum {
            FileChecksum::Sha256(s) => Some(s),
            _ => None,
        }
    }

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
}

/// The mean and standard deviation of a dataset's pixels (scaled to 0–1), by which its
/// images are standardised when the `normalize` setting is on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Norm {
    /// Mean pixel value.
    pub mean: f32,
    /// Standard deviation of the pixel values.
    pub std: f32,
}

impl Norm {
    /// MNIST's, which every run recorded before datasets were data used.
    pub const MNIST: Norm = Norm {
        mean: 0.1307,
        std: 0.3081,
    };

    /// The mean and standard deviation of `pixels` (0–255, scaled to 0–1); MNIST's for
    /// no pixels, and a tiny floor on the deviation so that a blank set cannot divide
    /// by zero.
    pub fn measure(pixels: &[u8]) -> Norm {
        if pixels.is_empty() {
            return Norm::MNIST;
        }
        let mut histogram = [0u64; 256];
        for &p in pixels {
            histogram[p as usize] += 1;
        }
        let n = pixels.len() as f64;
        let mean = histogram
            .iter()
            .enumerate()
            .map(|(v, &c)| v as f64 * c as f64)
            .sum::<f64>()
            / n;
        let var = histogram
            .iter()
            .enumerate()
            .map(|(v, &c)| (v as f64 - mean).powi(2) * c as f64)
            .sum::<f64>()
            / n;
        Norm {
            mean: (mean / 255.0) as f32,
            std: ((var.sqrt() / 255.0) as f32).max(1e-3),
        }
    }
}

/// How a user's own picture is turned into one of the dataset's images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preparation {
    /// MNIST's: crop to the ink, fit 20×20, centre by mass in 28×28 (handwriting).
    #[default]
    Digit,
    /// Fashion-MNIST's conversion of product photos: trim the background by the corner
    /// colour, fit the longest edge to 28 px, sharpen, centre, negate.
    Product,
    /// A plain fit: the picture's longest edge to 28 px, centred, light on dark.
    Plain,
}

impl Preparation {
    /// Every preparation, for listings and parse errors.
    pub const ALL: [Preparation; 3] =
        [Preparation::Digit, Preparation::Product, Preparation::Plain];

    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Preparation::Digit => "digit",
            Preparation::Product => "product",
            Preparation::Plain => "plain",
        }
    }

    /// The preparation called `name`.
    pub fn parse(name: &str) -> Option<Preparation> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// A dataset known by name: one row of [`DATASETS`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DatasetSpec {
    /// The name the `dataset` setting uses (`fashion-mnist`).
    pub name: &'static str,
    /// How it is titled (`Fashion-MNIST`).
    pub title: &'static str,
    /// One line about what it is.
    pub about: &'static str,
    /// The folders under the data folder where its files may be, in order.
    pub folders: &'static [&'static str],
    /// Whether its files may also sit directly in the data folder (MNIST's, as before
    /// datasets had folders).
    pub in_data_root: bool,
    /// Its four files.
    pub files: [DataFile; 4],
    /// Mirrors that serve `<mirror><name>.gz`, tried in order by `data fetch`.
    pub mirrors: &'static [&'static str],
    /// How to get the files without the mirrors (besides copying them in place).
    pub offline: &'static str,
    /// Class names, in label order.
    pub classes: &'static [&'static str],
    /// Training and test images, for bounding downloads.
    pub sizes: (usize, usize),
    /// Whether images are stored transposed (EMNIST's are): loading turns them upright.
    pub transposed: bool,
    /// The label of the first class in the files (EMNIST's letters start at 1).
    pub first_label: u8,
    /// The normalisation, when it is pinned; else measured on the training images.
    pub norm: Option<Norm>,
    /// How a user's picture is prepared.
    pub preparation: Preparation,
    /// Where a preset's recipe differs on this dataset (what was measured to suit it).
    pub recipes: &'static [DatasetRecipe],
}

impl DatasetSpec {
    /// This dataset's recipe for the network called `model`, if it has one.
    pub fn recipe_for(&self, model: &str) -> Option<&'static DatasetRecipe> {
        self.recipes.iter().find(|r| r.model == model)
    }
}

/// How a model's recipe differs on a dataset: below a flag and `config.ron`, above the
/// model's own defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DatasetRecipe {
    /// The network's name (a preset's).
    pub model: &'static str,
    /// Epochs, if they differ.
    pub epochs: Option<u32>,
    /// The augmentation, if it differs.
    pub augment: Option<Augment>,
    /// The learning rate, if it differs.
    pub lr: Option<f64>,
    /// The batch size, if it differs.
    pub batch_size: Option<usize>,
    /// The learning-rate schedule, if it differs.
    pub schedule: Option<LrSchedule>,
}

impl DatasetRecipe {
    /// A recipe for `model` that changes nothing yet (rows fill in what differs).
    pub const fn of(model: &'static str) -> DatasetRecipe {
        DatasetRecipe {
            model,
            epochs: None,
            augment: None,
            lr: None,
            batch_size: None,
            schedule: None,
        }
    }
}

/// The dataset called `name` in [`DATASETS`].
pub fn find_dataset(name: &str) -> Option<&'static DatasetSpec> {
    DATASETS.iter().find(|d| d.name == name)
}

/// The names of the datasets known by name, for listings and errors.
pub fn dataset_names() -> Vec<&'static str> {
    DATASETS.iter().map(|d| d.name).collect()
}

/// The `dataset` setting: a name from [`DATASETS`], the name of a folder of one's own
/// under the data folder, or the path of such a folder (anything with a `/`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DatasetName(String);

/// The longest dataset name or path accepted.
pub const MAX_DATASET_NAME: usize = 240;

impl DatasetName {
    /// MNIST, the default (and what every run recorded before datasets existed used).
    pub fn mnist() -> Self {
        DatasetName("mnist".to_string())
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The row of [`DATASETS`] it names, if any.
    pub fn spec(&self) -> Option<&'static DatasetSpec> {
        find_dataset(&self.0)
    }

    /// Whether it is a path rather than a name.
    pub fn is_path(&self) -> bool {
        self.0.contains('/') || self.0.contains('\\') || self.0.starts_with('.')
    }

    /// The number of classes, when it is known without reading a folder.
    pub fn known_classes(&self) -> Option<usize> {
        self.spec().map(|s| s.classes.len())
    }
}

impl Default for DatasetName {
    fn default() -> Self {
        DatasetName::mnist()
    }
}

impl fmt::Display for DatasetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for DatasetName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(format!(
                "empty dataset name (one of {}, or a folder of IDX files with a classes file)",
                dataset_names().join(", ")
            ));
        }
        if s.len() > MAX_DATASET_NAME {
            return Err(format!(
                "a dataset name or path of {} bytes: at most {MAX_DATASET_NAME}",
                s.len()
            ));
        }
        if s.chars().any(char::is_control) {
            return Err("a dataset name cannot hold control characters".to_string());
        }
        Ok(DatasetName(s.to_string()))
    }
}

/// The checksum of one file a run trained or was tested on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSum {
    /// The file's name without `.gz`.
    pub file: String,
    /// SHA-256 of its decompressed content, lowercase hex.
    pub sha256: String,
}

/// What a run knows about its dataset, kept in its record: a run predicts with its own
/// dataset's classes, normalisation and preparation wherever its data is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetInfo {
    /// The `dataset` setting it was loaded by.
    pub name: DatasetName,
    /// How it is titled.
    pub title: String,
    /// Class names in label order.
    pub classes: Vec<String>,
    /// The mean and deviation its images are standardised with.
    pub norm: Norm,
    /// How a user's picture is prepared for it.
    pub preparation: Preparation,
    /// The checksums of the four files read (empty in records from before they were
    /// kept).
    #[serde(default)]
    pub files: Vec<FileSum>,
}

impl Default for DatasetInfo {
    /// MNIST without checksums: what every run recorded before datasets were data
    /// trained on.
    fn default() -> Self {
        Self::of_spec(&DATASETS[0], Norm::MNIST, Vec::new())
    }
}

impl DatasetInfo {
    /// The info of a named dataset.
    pub fn of_spec(spec: &DatasetSpec, norm: Norm, files: Vec<FileSum>) -> Self {
        DatasetInfo {
            name: DatasetName(spec.name.to_string()),
            title: spec.title.to_string(),
            classes: spec.classes.iter().map(|c| c.to_string()).collect(),
            norm,
            preparation: spec.preparation,
            files,
        }
    }

    /// The number of classes.
    pub fn class_count(&self) -> usize {
        self.classes.len()
    }

    /// The name of class `c` (its number when the class is unknown).
    pub fn class_name(&self, c: usize) -> String {
        self.classes
            .get(c)
            .cloned()
            .unwrap_or_else(|| c.to_string())
    }

    /// Whether the classes are the ten digits, in order (predict's JSON keeps its
    /// `digit` key for these).
    pub fn is_digits(&self) -> bool {
        self.classes.len() == 10
            && self
                .classes
                .iter()
                .enumerate()
                .all(|(i, c)| *c == i.to_string())
    }
}

/// A dataset resolved to its folder: everything needed to read and check it.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The setting it was resolved from.
    pub name: DatasetName,
    /// The row of [`DATASETS`], for a dataset known by name.
    pub spec: Option<&'static DatasetSpec>,
    /// Its title.
    pub title: String,
    /// Where its files are (or should go).
    pub dir: PathBuf,
    /// Where `data fetch` puts missing files: [`dir`](Self::dir) when any file is
    /// found, else the data folder itself for MNIST (where a fetch always put it and
    /// the README says it goes), else the dataset's own folder.
    pub fetch_dir: PathBuf,
    /// The folders searched, in order (for the message when files are missing).
    pub searched: Vec<PathBuf>,
    /// Its four files.
    pub files: [DataFile; 4],
    /// Class names in label order.
    pub classes: Vec<String>,
    /// Whether the images are stored transposed.
    pub transposed: bool,
    /// The label of the first class in the files.
    pub first_label: u8,
    /// The normalisation, when pinned; else measured on the training images.
    pub norm: Option<Norm>,
    /// How a user's picture is prepared.
    pub preparation: Preparation,
}

/// MNIST's four files under their canonical names (a folder of one's own uses the same
/// names), with MNIST's checksums.
pub fn mnist_files() -> [DataFile; 4] {
    DATASETS[0].files
}

/// The canonical names without checksums: a folder of one's own.
fn unpinned_files() -> [DataFile; 4] {
    mnist_files().map(|f| DataFile {
        checksum: FileChecksum::None,
        ..f
    })
}

impl Source {
    /// Resolves `name` against the data folder `root`: a dataset known by name (its
    /// folder under `root`, or `root` itself for MNIST's files kept there), a folder
    /// of one's own under `root`, or the path of one.
    pub fn resolve(root: &Path, name: &DatasetName) -> Result<Source, DataError> {
        if let Some(spec) = name.spec() {
            return Ok(Self::of_spec(root, spec));
        }
        let dir = if name.is_path() {
            PathBuf::from(name.as_str())
        } else {
            root.join(name.as_str())
        };
        if !dir.is_dir() {
            return Err(DataError::UnknownDataset {
                name: name.as_str().to_string(),
                dir,
            });
        }
        let described = classes_file::read(&dir)?;
        Ok(Source {
            name: name.clone(),
            spec: None,
            title: dir
                .file_name()
                .map_or_else(|| name.to_string(), |n| n.to_string_lossy().into_owned()),
            searched: vec![dir.clone()],
            fetch_dir: dir.clone(),
            dir,
            files: unpinned_files(),
            classes: described.classes,
            transposed: described.transposed,
            first_label: described.first_label,
            norm: described.norm,
            preparation: described.preparation,
        })
    }

    /// A dataset known by name: the first of its folders that holds any of its files
    /// (else its own folder, where `data fetch` puts them).
    pub fn of_spec(root: &Path, spec: &'static DatasetSpec) -> Source {
        let mut searched: Vec<PathBuf> = spec.folders.iter().map(|f| root.join(f)).collect();
        if spec.in_data_root {
            searched.push(root.to_path_buf());
        }
        let found = searched
            .iter()
            .find(|d| spec.files.iter().any(|f| f.locate(d).is_some()))
            .cloned();
        let own_folder = root.join(spec.folders[0]);
        let fetch_dir = match &found {
            Some(dir) => dir.clone(),
            None if spec.in_data_root => root.to_path_buf(),
            None => own_folder.clone(),
        };
        let dir = found.unwrap_or(own_folder);
        Source {
            name: DatasetName(spec.name.to_string()),
            spec: Some(spec),
            title: spec.title.to_string(),
            dir,
            fetch_dir,
            searched,
            files: spec.files,
            classes: spec.classes.iter().map(|c| c.to_string()).collect(),
            transposed: spec.transposed,
            first_label: spec.first_label,
            norm: spec.norm,
            preparation: spec.preparation,
        }
    }

    /// The labels the files may hold.
    pub fn label_range(&self) -> (u8, u8) {
        let last = usize::from(self.first_label) + self.classes.len().max(1) - 1;
        (self.first_label, u8::try_from(last).unwrap_or(u8::MAX))
    }

    /// What to tell a user whose files are missing: where they go (where `data fetch`
    /// would put them) and how to get them.
    pub fn how_to_get(&self) -> String {
        let mut out = format!(
            "put the four {} files {} (each raw or .gz) in {}",
            self.title,
            self.files.map(|f| f.name).join(", "),
            self.fetch_dir.display()
        );
        match self.spec {
            Some(spec) if !spec.mirrors.is_empty() => {
                out += &format!(", or run `mnist-tui data fetch --dataset {}`", spec.name);
                if !spec.offline.is_empty() {
                    out += &format!(". {}", spec.offline);
                }
            }
            Some(spec) if !spec.offline.is_empty() => {
                out += &format!(
                    ". {}",
                    spec.offline
                        .replace("DIR", &self.fetch_dir.display().to_string())
                );
            }
            _ => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dataset_has_a_unique_name_classes_and_files() {
        let mut names = dataset_names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DATASETS.len());
        for d in DATASETS {
            assert!(!d.classes.is_empty(), "{}", d.name);
            assert!(!d.folders.is_empty(), "{}", d.name);
            assert!(d.name.parse::<DatasetName>().unwrap().spec().is_some());
            assert!(!d.name.parse::<DatasetName>().unwrap().is_path());
        }
        assert_eq!(find_dataset("emnist-letters").unwrap().classes.len(), 26);
        assert_eq!(find_dataset("emnist-balanced").unwrap().classes.len(), 47);
    }

    #[test]
    fn mnist_stays_where_it_always_was_and_others_get_a_folder() {
        let root = tempfile::tempdir().unwrap();
        let mnist = Source::resolve(root.path(), &DatasetName::mnist()).unwrap();
        assert_eq!(
            mnist.dir,
            root.path().join("mnist"),
            "nothing there yet: its folder"
        );
        std::fs::write(root.path().join("train-images-idx3-ubyte.gz"), b"x").unwrap();
        let mnist = Source::resolve(root.path(), &DatasetName::mnist()).unwrap();
        assert_eq!(
            mnist.dir,
            root.path(),
            "MNIST's files in the data folder itself"
        );
        let fashion: DatasetName = "fashion-mnist".parse().unwrap();
        let fashion = Source::resolve(root.path(), &fashion).unwrap();
        assert_eq!(
            fashion.dir,
            root.path().join("fashion-mnist"),
            "MNIST's files in the data folder are never read as another dataset's"
        );
        assert!(fashion.how_to_get().contains("dataset-fashion-mnist"));
    }

    #[test]
    fn a_fresh_mnist_fetch_goes_into_the_data_folder_and_a_partial_set_is_completed() {
        let root = tempfile::tempdir().unwrap();
        let mnist = Source::resolve(root.path(), &DatasetName::mnist()).unwrap();
        assert_eq!(mnist.fetch_dir, root.path(), "as `data fetch` always did");
        let fashion = Source::resolve(root.path(), &"fashion-mnist".parse().unwrap()).unwrap();
        assert_eq!(fashion.fetch_dir, root.path().join("fashion-mnist"));
        // One file already in data/mnist: the rest go beside it, where loading looks.
        std::fs::create_dir(root.path().join("mnist")).unwrap();
        std::fs::write(root.path().join("mnist/t10k-labels-idx1-ubyte"), b"x").unwrap();
        let mnist = Source::resolve(root.path(), &DatasetName::mnist()).unwrap();
        assert_eq!(mnist.fetch_dir, root.path().join("mnist"));
        assert_eq!(mnist.fetch_dir, mnist.dir);
        // EMNIST's shared folder, when the archive was extracted there.
        std::fs::create_dir(root.path().join("emnist")).unwrap();
        std::fs::write(
            root.path()
                .join("emnist/emnist-letters-test-labels-idx1-ubyte.gz"),
            b"x",
        )
        .unwrap();
        let letters = Source::resolve(root.path(), &"emnist-letters".parse().unwrap()).unwrap();
        assert_eq!(letters.fetch_dir, root.path().join("emnist"));
    }

    #[test]
    fn a_name_that_is_neither_known_nor_a_folder_is_refused_with_the_list() {
        let root = tempfile::tempdir().unwrap();
        let err = Source::resolve(root.path(), &"cifar".parse().unwrap()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("cifar"), "{msg}");
        assert!(msg.contains("fashion-mnist"), "{msg}");
    }

    #[test]
    fn norm_measures_mean_and_deviation() {
        let n = Norm::measure(&[0, 255, 0, 255]);
        assert!((n.mean - 0.5).abs() < 1e-6);
        assert!((n.std - 0.5).abs() < 1e-6);
        assert_eq!(
            Norm::measure(&[7; 10]).std,
            1e-3,
            "blank sets cannot divide by 0"
        );
    }

    #[test]
    fn dataset_names_are_checked() {
        assert!("".parse::<DatasetName>().is_err());
        assert!("a\u{7}b".parse::<DatasetName>().is_err());
        assert!(
            "x".repeat(MAX_DATASET_NAME + 1)
                .parse::<DatasetName>()
                .is_err()
        );
        assert!("./letters".parse::<DatasetName>().unwrap().is_path());
        assert!("/srv/letters".parse::<DatasetName>().unwrap().is_path());
    }

    #[test]
    fn the_info_knows_digit_datasets() {
        assert!(DatasetInfo::default().is_digits());
        let f = DatasetInfo::of_spec(find_dataset("fashion-mnist").unwrap(), Norm::MNIST, vec![]);
        assert!(!f.is_digits());
        assert_eq!(f.class_name(9), "Ankle boot");
        assert_eq!(f.class_name(12), "12");
    }
}
