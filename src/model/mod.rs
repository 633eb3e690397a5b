//! The networks. This is the only module that names dfdx types: everything else
//! sees [`Arch`], [`Network`] (weights, inference, save/load) and [`Learner`]
//! (a network plus its optimiser, one training step at a time).

mod arch;

pub use arch::{Arch, ArchDefaults, OptimizerKind, OptimizerSettings};

use std::path::{Path, PathBuf};

/// Number of pixels in one MNIST image (28×28).
pub const IMAGE_PIXELS: usize = 784;
/// Number of classes (digits 0–9).
pub const CLASSES: usize = 10;

/// Everything that can go wrong when building, loading or saving a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A weights or optimiser file is not what this architecture expects.
    #[error("{path}: {problem}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// Input of the wrong size was given to the network.
    #[error("bad input: {0}")]
    BadInput(String),
}

/// A network of one [`Arch`] with its weights. Cheap to clone.
#[derive(Clone)]
pub struct Network {
    _private: (),
}

impl Network {
    /// Builds a freshly initialised network (PyTorch-default initialisation or better),
    /// deterministic for a given `seed`.
    pub fn new(arch: Arch, seed: u64) -> Self {
        let _ = (arch, seed);
        todo!("model: Network::new")
    }

    /// The architecture of this network.
    pub fn arch(&self) -> Arch {
        todo!("model: Network::arch")
    }

    /// Number of trainable parameters.
    pub fn param_count(&self) -> usize {
        todo!("model: Network::param_count")
    }

    /// Raw outputs (logits; for `tutorial-mlp` the ReLU'd outputs) for `images`,
    /// `n * 784` floats already prepared the way training prepared them.
    /// Returns `n * 10` floats, row-major.
    pub fn logits(&self, images: &[f32]) -> Result<Vec<f32>, ModelError> {
        let _ = images;
        todo!("model: Network::logits")
    }

    /// Saves the weights as safetensors to `path` (the caller makes it atomic).
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        let _ = path;
        todo!("model: Network::save")
    }

    /// Loads weights saved by [`Network::save`] for `arch`; a missing, truncated or
    /// mismatched file is a [`ModelError::BadFile`] naming the file.
    pub fn load(arch: Arch, path: &Path) -> Result<Self, ModelError> {
        let _ = (arch, path);
        todo!("model: Network::load")
    }
}

/// What one training step measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepOutcome {
    /// Mean cross-entropy loss of the batch (may be non-finite: the caller decides).
    pub loss: f32,
    /// Samples of the batch whose prediction (before the update) was right.
    pub correct: usize,
}

/// A network and its optimiser state: trains one batch at a time.
pub struct Learner {
    _private: (),
}

impl Learner {
    /// Pairs a network with a fresh optimiser.
    pub fn new(network: Network, optimizer: OptimizerSettings) -> Self {
        let _ = (network, optimizer);
        todo!("model: Learner::new")
    }

    /// One step: forward `images` (`labels.len() * 784` floats), cross-entropy loss
    /// against `labels`, backward, optimiser update. Returns the batch's mean loss and
    /// how many samples the network got right before the update.
    pub fn train_batch(
        &mut self,
        images: &[f32],
        labels: &[u8],
    ) -> Result<StepOutcome, ModelError> {
        let _ = (images, labels);
        todo!("model: Learner::train_batch")
    }

    /// Changes the learning rate from the next step on.
    pub fn set_lr(&mut self, lr: f64) {
        let _ = lr;
        todo!("model: Learner::set_lr")
    }

    /// The current optimiser settings.
    pub fn optimizer(&self) -> OptimizerSettings {
        todo!("model: Learner::optimizer")
    }

    /// The network being trained.
    pub fn network(&self) -> &Network {
        todo!("model: Learner::network")
    }

    /// Saves the optimiser state (momentum / Adam moments, step count) to `path`.
    pub fn save_optimizer(&self, path: &Path) -> Result<(), ModelError> {
        let _ = path;
        todo!("model: Learner::save_optimizer")
    }

    /// Restores optimiser state saved by [`Learner::save_optimizer`].
    pub fn load_optimizer(&mut self, path: &Path) -> Result<(), ModelError> {
        let _ = path;
        todo!("model: Learner::load_optimizer")
    }
}

/// Index of the largest of the ten outputs in `row`, ties going to the first index
/// (as PyTorch's `max`): all-zero outputs predict class 0.
pub fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// Softmax of one row of outputs, numerically stable.
pub fn softmax(row: &[f32]) -> Vec<f32> {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = row.iter().map(|&v| (v - max).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_breaks_ties_to_first_index() {
        assert_eq!(argmax(&[0.0; 10]), 0);
        assert_eq!(argmax(&[0.0, 2.0, 2.0, 1.0]), 1);
        assert_eq!(argmax(&[-1.0, -3.0, -0.5]), 2);
    }

    #[test]
    fn softmax_sums_to_one() {
        let p = softmax(&[1.0, 2.0, 3.0, 1000.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[3] > 0.99);
    }
}
