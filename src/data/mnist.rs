//! The MNIST dataset in memory: two splits, pixels as `u8`.

use super::DataError;
use std::path::Path;

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

    /// The 784 pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * 784..(i + 1) * 784]
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
    pub fn load(dir: &Path) -> Result<Mnist, DataError> {
        let _ = dir;
        todo!("data: Mnist::load")
    }
}
