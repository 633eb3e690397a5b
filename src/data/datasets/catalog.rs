//! The datasets known by name: one row each in [`DATASETS`]. A new dataset in the
//! MNIST format is one new row.
//!
//! Checksums are pinned only where someone computed them:
//! - MNIST's and Fashion-MNIST's are SHA-256 of each file's decompressed content,
//!   measured here (Fashion-MNIST's on the copies Debian's `dataset-fashion-mnist`
//!   package installs, which decompress to the same bytes as its authors' downloads;
//!   their gzip files differ byte for byte, so the authors' MD5s of them cannot check a
//!   Debian copy).
//! - KMNIST's are the MD5s of the `.gz` files as served, the ones torchvision pins
//!   (its publisher, CODH, lists none); they were not computed here, where the files
//!   cannot be downloaded. A decompressed copy cannot be checked against them.
//! - EMNIST is published as one archive (`gzip.zip`, about 0.5 GB) whose MD5 torchvision
//!   pins; NIST publishes no checksum of the files inside it, so extracted files are
//!   checked as valid IDX of the right size, and said to be unverified.
//!
//! Normalisation: MNIST's mean and std are the ones everyone uses (0.1307, 0.3081),
//! Fashion-MNIST's were measured on its training images (0.2860, 0.3530); the others'
//! are measured on their training images when they are loaded, and recorded with
//! each run.

use super::{DataFile, DatasetRecipe, DatasetSpec, FileChecksum, Norm, Preparation};
use crate::data::Augment;
use crate::data::Split;
use crate::data::idx::IdxKind;
use crate::train::LrSchedule;

/// The ten digits, the classes of MNIST and EMNIST's digits.
const DIGITS: &[&str] = &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// Fashion-MNIST's classes, as its authors name them.
const CLOTHES: &[&str] = &[
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// KMNIST's classes: one hiragana from each row of the syllabary, romanised as its
/// publisher's class map does.
const KUZUSHIJI: &[&str] = &["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"];

/// EMNIST letters: 26 classes, upper and lower case merged (labelled 1–26 in the files).
const LETTERS: &[&str] = &[
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s",
    "t", "u", "v", "w", "x", "y", "z",
];

/// EMNIST balanced: 47 classes, the digits, the capitals and the 11 lower-case letters
/// whose shape differs from their capital (EMNIST's mapping file, in label order).
const BALANCED: &[&str] = &[
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F", "G", "H", "I",
    "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "a", "b",
    "d", "e", "f", "g", "h", "n", "q", "r", "t",
];

/// The presets' recipes on Fashion-MNIST where they differ from MNIST's, each chosen by
/// validation accuracy (mean of seeds 1–3) in `sweep`s on the real files, 2026-12-05:
/// clothes need more epochs than digits, and neither MNIST's handwriting augmentation
/// nor the flip (mirror, ±2 px) helped within these epochs (the README has the figures).
const FASHION_RECIPES: &[DatasetRecipe] = &[
    // The tutorial's rate, 0.8, kills most of its ReLU'd outputs on clothes (27.8% test,
    // 19.6–34.7% over seeds 1–3); 0.2 over 10 epochs was the best of 0.05/0.1/0.2 × 5/10.
    DatasetRecipe {
        epochs: Some(10),
        lr: Some(0.2),
        ..DatasetRecipe::of("tutorial-mlp")
    },
    DatasetRecipe {
        epochs: Some(10),
        ..DatasetRecipe::of("mlp")
    },
    DatasetRecipe {
        epochs: Some(10),
        augment: Some(Augment::Off),
        ..DatasetRecipe::of("lenet")
    },
    // The best validation mean of the 5-epoch recipes measured (seeds 1–3): Adam 3e-3,
    // batch 64, one-cycle, 93.45% (test 92.46%). Below it: batch 128 at Adam 1e-3, 2e-3,
    // 3e-3 and 5e-3 (cosine or one-cycle; 91.75–93.05%), batch 64 at 2e-3 (93.19%) and
    // 4e-3 (93.19%), AdamW 3e-3 with decay 0.05 (93.24%), batch 32 at 1e-3 and 2e-3
    // (93.11%, 93.27%).
    DatasetRecipe {
        augment: Some(Augment::Off),
        lr: Some(3e-3),
        batch_size: Some(64),
        schedule: Some(LrSchedule::OneCycle),
        ..DatasetRecipe::of("cnn")
    },
    DatasetRecipe {
        epochs: Some(5),
        ..DatasetRecipe::of("fast-cnn")
    },
];

/// The four files of a set with their checksums (train images, train labels, test
/// images, test labels), named as MNIST names them after `prefix`; `test` names the
/// test split (MNIST's `t10k`, EMNIST's `test`).
macro_rules! idx_files {
    ($prefix:expr, $test:literal, $sums:expr) => {{
        let [a, b, c, d]: [FileChecksum; 4] = $sums;
        [
            DataFile::new(
                concat!($prefix, "train-images-idx3-ubyte"),
                IdxKind::Images,
                Split::Train,
                a,
            ),
            DataFile::new(
                concat!($prefix, "train-labels-idx1-ubyte"),
                IdxKind::Labels,
                Split::Train,
                b,
            ),
            DataFile::new(
                concat!($prefix, $test, "-images-idx3-ubyte"),
                IdxKind::Images,
                Split::Test,
                c,
            ),
            DataFile::new(
                concat!($prefix, $test, "-labels-idx1-ubyte"),
                IdxKind::Labels,
                Split::Test,
                d,
            ),
        ]
    }};
}

/// The four files of a set named as MNIST names them, with their checksums.
macro_rules! canonical {
    ($sums:expr) => {
        idx_files!("", "t10k", $sums)
    };
}

/// The four files of an EMNIST split, named as in NIST's archive (which checksums
/// none of them).
macro_rules! emnist_files {
    ($split:literal) => {
        idx_files!(
            concat!("emnist-", $split, "-"),
            "test",
            [FileChecksum::None; 4]
        )
    };
}

/// Where NIST publishes EMNIST, and the MD5 of that archive (torchvision's).
const EMNIST_ARCHIVE: &str = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip";
const EMNIST_ARCHIVE_MD5: &str = "58c8d27c78d21e728a6bc7b3cc06412e";

/// How to get one EMNIST split's files: the archive, its checksum, what to extract.
macro_rules! emnist_offline {
    ($split:literal) => {
        concat!(
            "EMNIST is published as one archive, ",
            "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip (about 0.5 GB; ",
            "MD5 58c8d27c78d21e728a6bc7b3cc06412e, as torchvision pins it). ",
            "Extract this split's four files into the dataset's folder:\n",
            "  unzip -j gzip.zip 'gzip/emnist-",
            $split,
            "-*' -d DIR\n",
            "(NIST publishes no checksum of the files inside the archive: they are ",
            "checked as valid IDX of the right size, and reported unverified.)"
        )
    };
}

/// The EMNIST archive and its checksum, for the notes of `data verify`.
pub const EMNIST_SOURCE: (&str, &str) = (EMNIST_ARCHIVE, EMNIST_ARCHIVE_MD5);

/// Why a file of `spec` pinned by no checksum ([`FileChecksum::None`]) is reported
/// unverified by `data verify`: EMNIST's publisher checksums only the archive.
pub fn unpinned_reason(spec: &DatasetSpec) -> String {
    if spec.name.starts_with("emnist") {
        format!(
            "NIST publishes no checksum of the files inside EMNIST's archive, only the \
             archive's MD5 ({EMNIST_ARCHIVE}: {EMNIST_ARCHIVE_MD5}); checked as valid IDX \
             with the expected count and labels"
        )
    } else {
        format!("{}'s publisher gives no checksum for this file", spec.title)
    }
}

/// Every dataset known by name.
pub const DATASETS: &[DatasetSpec] = &[
    DatasetSpec {
        name: "mnist",
        title: "MNIST",
        about: "handwritten digits 0–9 (LeCun, Cortes and Burges)",
        folders: &["mnist"],
        in_data_root: true,
        files: canonical!([
            FileChecksum::Sha256(
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            ),
            FileChecksum::Sha256(
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            ),
            FileChecksum::Sha256(
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            ),
            FileChecksum::Sha256(
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            ),
        ]),
        mirrors: &[
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ],
        offline: "",
        classes: DIGITS,
        sizes: (60_000, 10_000),
        transposed: false,
        first_label: 0,
        norm: Some(Norm {
            mean: 0.1307,
            std: 0.3081,
        }),
        preparation: Preparation::Digit,
        recipes: &[],
    },
    DatasetSpec {
        name: "fashion-mnist",
        title: "Fashion-MNIST",
        about: "Zalando's product photos in 10 classes of clothing, MNIST's drop-in replacement",
        folders: &["fashion-mnist"],
        in_data_root: false,
        files: canonical!([
            FileChecksum::Sha256(
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            ),
            FileChecksum::Sha256(
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            ),
            FileChecksum::Sha256(
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            ),
            FileChecksum::Sha256(
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ),
        ]),
        mirrors: &[
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ],
        offline: "On Debian or Ubuntu: `sudo apt install dataset-fashion-mnist`, then copy \
                  the four .gz files it installs (`dpkg -L dataset-fashion-mnist` lists \
                  them) into the dataset's folder.",
        classes: CLOTHES,
        sizes: (60_000, 10_000),
        transposed: false,
        first_label: 0,
        norm: Some(Norm {
            mean: 0.2860,
            std: 0.3530,
        }),
        preparation: Preparation::Product,
        recipes: FASHION_RECIPES,
    },
    DatasetSpec {
        name: "kmnist",
        title: "Kuzushiji-MNIST",
        about: "cursive Japanese (kuzushiji) hiragana in 10 classes (CODH)",
        folders: &["kmnist"],
        in_data_root: false,
        files: canonical!([
            FileChecksum::Md5Gz("bdb82020997e1d708af4cf47b453dcf7"),
            FileChecksum::Md5Gz("e144d726b3acfaa3e44228e80efcd344"),
            FileChecksum::Md5Gz("5c965bf0a639b31b8f53240b1b52f4d7"),
            FileChecksum::Md5Gz("7320c461ea6c1c855c0b718fb2a4b134"),
        ]),
        mirrors: &[
            "https://codh.rois.ac.jp/kmnist/dataset/kmnist/",
            "https://storage.googleapis.com/kuzushiji-mnist/",
        ],
        offline: "",
        classes: KUZUSHIJI,
        sizes: (60_000, 10_000),
        transposed: false,
        first_label: 0,
        norm: None,
        preparation: Preparation::Digit,
        recipes: &[],
    },
    DatasetSpec {
        name: "emnist-digits",
        title: "EMNIST Digits",
        about: "NIST's handwritten digits, converted as EMNIST (280,000 images)",
        folders: &["emnist-digits", "emnist"],
        in_data_root: false,
        files: emnist_files!("digits"),
        mirrors: &[],
        offline: emnist_offline!("digits"),
        classes: DIGITS,
        sizes: (240_000, 40_000),
        transposed: true,
        first_label: 0,
        norm: None,
        preparation: Preparation::Digit,
        recipes: &[],
    },
    DatasetSpec {
        name: "emnist-letters",
        title: "EMNIST Letters",
        about: "NIST's handwritten letters, upper and lower case merged into 26 classes",
        folders: &["emnist-letters", "emnist"],
        in_data_root: false,
        files: emnist_files!("letters"),
        mirrors: &[],
        offline: emnist_offline!("letters"),
        classes: LETTERS,
        sizes: (124_800, 20_800),
        transposed: true,
        first_label: 1,
        norm: None,
        preparation: Preparation::Digit,
        recipes: &[],
    },
    DatasetSpec {
        name: "emnist-balanced",
        title: "EMNIST Balanced",
        about: "NIST's digits and letters in 47 balanced classes",
        folders: &["emnist-balanced", "emnist"],
        in_data_root: false,
        files: emnist_files!("balanced"),
        mirrors: &[],
        offline: emnist_offline!("balanced"),
        classes: BALANCED,
        sizes: (112_800, 18_800),
        transposed: true,
        first_label: 0,
        norm: None,
        preparation: Preparation::Digit,
        recipes: &[],
    },
];
