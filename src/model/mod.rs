//! The networks. This is the only module that names dfdx types: everything else
//! sees [`Arch`], [`Network`] (weights, inference, save/load) and [`Learner`]
//! (a network plus its optimiser, one training step at a time).

mod alloc;
mod arch;
mod bias;
mod conv;
mod init;
mod nets;
mod optim;
mod pool;
mod weights;

#[cfg(test)]
mod network_tests;

pub use arch::{Arch, ArchDefaults, OptimizerKind, OptimizerSettings};
pub use weights::{CheckpointTag, MAX_FILE_BYTES, read_checkpoint_tag};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::prelude::{AsArray, Backward, Cpu, Gradients, Trace};
use dfdx::tensor::TensorFromVec;

use nets::{Bias, LayerSpec, Step, Weight};
use optim::Optimizer;

/// Number of pixels in one MNIST image (28×28).
pub const IMAGE_PIXELS: usize = 784;
/// Number of classes (digits 0–9).
pub const CLASSES: usize = 10;

/// Images per forward pass in [`Network::logits`] for the MLPs.
const INFERENCE_CHUNK: usize = 1000;
/// Images per forward pass in [`Network::logits`] for the conv nets (bounds the
/// im2col buffer under glibc's 32 MB mmap threshold: 128 images are 29 MB of
/// patches for `cnn`).
const CONV_INFERENCE_CHUNK: usize = 128;

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

/// Loss and accuracy of a network on a labelled set (see [`Network::evaluate`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Mean cross-entropy of the outputs against the labels.
    pub loss: f64,
    /// Number of images whose [`argmax`] prediction equals the label.
    pub correct: usize,
    /// Number of images.
    pub total: usize,
}

impl Evaluation {
    /// Fraction of correct predictions (0 for an empty set).
    pub fn accuracy(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.correct as f64 / self.total as f64
        }
    }
}

const WEIGHTS_FORMAT: &str = "mnist-tui-weights";
const OPTIMIZER_FORMAT: &str = "mnist-tui-optimizer";

/// A network of one [`Arch`] with its weights. Cheap to clone.
#[derive(Clone)]
pub struct Network {
    arch: Arch,
    plan: Vec<Step>,
    layers: Vec<LayerSpec>,
    /// One `(W, b)` per entry of `layers`; `W` is `(fan_in, out)`.
    params: Vec<(Weight<f32>, Bias<f32>)>,
}

impl Network {
    /// Builds a freshly initialised network (PyTorch-default initialisation or better),
    /// deterministic for a given `seed`.
    pub fn new(arch: Arch, seed: u64) -> Self {
        let mut rng = init::rng_for(seed);
        let layers = nets::layers(arch);
        let values = layers
            .iter()
            .map(|l| init::pytorch_default(&mut rng, l.fan_in, l.fan_in * l.out, l.out))
            .collect();
        Self::from_values(arch, layers, values)
    }

    fn from_values(arch: Arch, layers: Vec<LayerSpec>, values: Vec<(Vec<f32>, Vec<f32>)>) -> Self {
        alloc::tune_allocator();
        let dev = Cpu::default();
        let params = layers
            .iter()
            .zip(values)
            .map(|(l, (w, b))| {
                (
                    dev.tensor_from_vec(w, (l.fan_in, l.out)),
                    dev.tensor_from_vec(b, (l.out,)),
                )
            })
            .collect();
        Self {
            arch,
            plan: nets::plan(arch),
            layers,
            params,
        }
    }

    /// The architecture of this network.
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// Number of trainable parameters.
    pub fn param_count(&self) -> usize {
        self.layers.iter().map(|l| (l.fan_in + 1) * l.out).sum()
    }

    /// One line per parameterised layer: name, weight shape and parameter count.
    pub fn describe(&self) -> Vec<String> {
        self.layers
            .iter()
            .map(|l| {
                format!(
                    "{:<6} {:>5}x{:<4} + bias {:<4} ({} params)",
                    l.name,
                    l.fan_in,
                    l.out,
                    l.out,
                    (l.fan_in + 1) * l.out
                )
            })
            .collect()
    }

    /// Raw outputs (logits; for `tutorial-mlp` the ReLU'd outputs) for `images`,
    /// `n * 784` floats already prepared the way training prepared them.
    /// Returns `n * 10` floats, row-major.
    pub fn logits(&self, images: &[f32]) -> Result<Vec<f32>, ModelError> {
        if !images.len().is_multiple_of(IMAGE_PIXELS) {
            return Err(ModelError::BadInput(format!(
                "{} floats is not a whole number of {IMAGE_PIXELS}-pixel images",
                images.len()
            )));
        }
        let n = images.len() / IMAGE_PIXELS;
        let mut out = vec![0.0f32; n * CLASSES];
        let dev = Cpu::default();
        let chunk = match self.arch {
            Arch::TutorialMlp | Arch::Mlp => INFERENCE_CHUNK,
            Arch::Lenet | Arch::Cnn => CONV_INFERENCE_CHUNK,
        };
        for (imgs, dst) in images
            .chunks(chunk * IMAGE_PIXELS)
            .zip(out.chunks_mut(chunk * CLASSES))
        {
            let x = dev.tensor_from_vec(imgs.to_vec(), (imgs.len() / IMAGE_PIXELS, IMAGE_PIXELS));
            nets::forward(&self.plan, &self.params, x)?.copy_into(dst);
        }
        Ok(out)
    }

    /// Mean cross-entropy and number of correct predictions on `images`
    /// (`labels.len() * 784` floats).
    pub fn evaluate(&self, images: &[f32], labels: &[u8]) -> Result<Evaluation, ModelError> {
        check_batch(images, labels)?;
        let logits = self.logits(images)?;
        let mut loss = 0.0f64;
        let mut correct = 0;
        for (row, &label) in logits.chunks_exact(CLASSES).zip(labels) {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
            let lse = max
                + row
                    .iter()
                    .map(|&v| (v as f64 - max).exp())
                    .sum::<f64>()
                    .ln();
            loss += lse - row[label as usize] as f64;
            correct += usize::from(argmax(row) == label as usize);
        }
        Ok(Evaluation {
            loss: loss / labels.len().max(1) as f64,
            correct,
            total: labels.len(),
        })
    }

    /// Saves the weights as safetensors to `path` (the caller makes it atomic).
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        self.save_tagged(path, None)
    }

    /// [`Network::save`] with the checkpoint `tag` in the file's metadata.
    pub fn save_tagged(&self, path: &Path, tag: Option<CheckpointTag>) -> Result<(), ModelError> {
        let values: Vec<(Vec<f32>, Vec<f32>)> = self
            .params
            .iter()
            .map(|(w, b)| (w.as_vec(), b.as_vec()))
            .collect();
        let mut tensors = Vec::new();
        for (l, (w, b)) in self.layers.iter().zip(&values) {
            tensors.push(weights::Named {
                name: format!("{}.weight", l.name),
                shape: vec![l.fan_in, l.out],
                values: w,
            });
            tensors.push(weights::Named {
                name: format!("{}.bias", l.name),
                shape: vec![l.out],
                values: b,
            });
        }
        let mut meta = HashMap::from([
            ("format".to_string(), WEIGHTS_FORMAT.to_string()),
            ("arch".to_string(), self.arch.name().to_string()),
        ]);
        if let Some(tag) = tag {
            tag.write_into(&mut meta);
        }
        weights::write(path, &tensors, meta)
    }

    /// Loads weights saved by [`Network::save`] for `arch`; a missing, truncated or
    /// mismatched file is a [`ModelError::BadFile`] naming the file.
    pub fn load(arch: Arch, path: &Path) -> Result<Self, ModelError> {
        let mut file = weights::read(path, WEIGHTS_FORMAT)?;
        let saved = file.meta(path, "arch")?;
        if saved != arch.name() {
            return Err(weights::bad(
                path,
                format!("holds a '{saved}' network, expected '{}'", arch.name()),
            ));
        }
        let layers = nets::layers(arch);
        let mut values = Vec::with_capacity(layers.len());
        for l in &layers {
            let w = file.take(path, &format!("{}.weight", l.name), &[l.fan_in, l.out])?;
            let b = file.take(path, &format!("{}.bias", l.name), &[l.out])?;
            values.push((w, b));
        }
        file.finish(path)?;
        Ok(Self::from_values(arch, layers, values))
    }

    /// Names of the parameter tensors, in optimiser order (weight then bias per layer).
    fn param_names(&self) -> Vec<(String, Vec<usize>)> {
        self.layers
            .iter()
            .flat_map(|l| {
                [
                    (format!("{}.weight", l.name), vec![l.fan_in, l.out]),
                    (format!("{}.bias", l.name), vec![l.out]),
                ]
            })
            .collect()
    }
}

/// Checks that `images` holds exactly one 784-pixel image per label and that every
/// label is a digit.
fn check_batch(images: &[f32], labels: &[u8]) -> Result<(), ModelError> {
    if images.len() != labels.len() * IMAGE_PIXELS {
        return Err(ModelError::BadInput(format!(
            "{} floats for {} labels (expected {})",
            images.len(),
            labels.len(),
            labels.len() * IMAGE_PIXELS
        )));
    }
    if let Some(l) = labels.iter().find(|&&l| l as usize >= CLASSES) {
        return Err(ModelError::BadInput(format!("label {l} is not a digit")));
    }
    Ok(())
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
    network: Network,
    optimizer: Optimizer,
    /// Reused buffer for one parameter tensor's values.
    scratch: Vec<f32>,
}

impl Learner {
    /// Pairs a network with a fresh optimiser.
    pub fn new(network: Network, optimizer: OptimizerSettings) -> Self {
        let lens: Vec<usize> = network
            .param_names()
            .iter()
            .map(|(_, s)| s.iter().product())
            .collect();
        Self {
            optimizer: Optimizer::new(optimizer, &lens),
            network,
            scratch: Vec::new(),
        }
    }

    /// One step: forward `images` (`labels.len() * 784` floats), cross-entropy loss
    /// against `labels`, backward, optimiser update. Returns the batch's mean loss
    /// (which may be NaN or infinite: the update is still applied) and how many samples
    /// the network got right before the update.
    pub fn train_batch(
        &mut self,
        images: &[f32],
        labels: &[u8],
    ) -> Result<StepOutcome, ModelError> {
        check_batch(images, labels)?;
        if labels.is_empty() {
            return Err(ModelError::BadInput("empty batch".into()));
        }
        let n = labels.len();
        let dev = Cpu::default();
        let mut onehot = vec![0.0f32; n * CLASSES];
        for (row, &l) in onehot.chunks_exact_mut(CLASSES).zip(labels) {
            row[l as usize] = 1.0;
        }
        let targets = dev.tensor_from_vec(onehot, (n, CLASSES));
        let x = dev
            .tensor_from_vec(images.to_vec(), (n, IMAGE_PIXELS))
            .traced(Gradients::leaky());
        let net = &mut self.network;
        let logits = nets::forward(&net.plan, &net.params, x)?;
        let outputs = logits.as_vec();
        let correct = outputs
            .chunks_exact(CLASSES)
            .zip(labels)
            .filter(|(row, l)| argmax(row) == **l as usize)
            .count();
        let loss = cross_entropy_with_logits_loss(logits, targets);
        let value = loss.array();
        let mut grads = loss.backward();

        let opt = &mut self.optimizer;
        opt.begin_step();
        let backend = |e| ModelError::BadInput(format!("gradient allocation failed: {e:?}"));
        for (i, (w, b)) in net.params.iter_mut().enumerate() {
            let g = grads.get_or_alloc_mut(w).map_err(backend)?;
            self.scratch.resize(g.len(), 0.0);
            w.copy_into(&mut self.scratch);
            opt.update(2 * i, &mut self.scratch, g);
            w.copy_from(&self.scratch);

            let g = grads.get_or_alloc_mut(b).map_err(backend)?;
            self.scratch.resize(g.len(), 0.0);
            b.copy_into(&mut self.scratch);
            opt.update(2 * i + 1, &mut self.scratch, g);
            b.copy_from(&self.scratch);
        }
        Ok(StepOutcome {
            loss: value,
            correct,
        })
    }

    /// Changes the learning rate from the next step on.
    pub fn set_lr(&mut self, lr: f64) {
        self.optimizer.settings.lr = lr;
    }

    /// The current optimiser settings.
    pub fn optimizer(&self) -> OptimizerSettings {
        self.optimizer.settings
    }

    /// The network being trained.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Number of optimiser steps taken (restored by [`Learner::load_optimizer`]).
    pub fn steps(&self) -> u64 {
        self.optimizer.step
    }

    /// Names of the state slots of this optimiser and which buffer list holds them.
    fn slots(&self) -> Vec<(&'static str, bool)> {
        let s = self.optimizer.settings;
        match s.kind {
            OptimizerKind::Adam => vec![("exp_avg", true), ("exp_avg_sq", false)],
            OptimizerKind::Sgd if s.momentum != 0.0 => vec![("momentum_buffer", true)],
            OptimizerKind::Sgd => vec![],
        }
    }

    /// Saves the optimiser state (momentum / Adam moments, step count) to `path`.
    pub fn save_optimizer(&self, path: &Path) -> Result<(), ModelError> {
        self.save_optimizer_tagged(path, None)
    }

    /// [`Learner::save_optimizer`] with the checkpoint `tag` in the file's metadata.
    pub fn save_optimizer_tagged(
        &self,
        path: &Path,
        tag: Option<CheckpointTag>,
    ) -> Result<(), ModelError> {
        let s = self.optimizer.settings;
        let names = self.network.param_names();
        // Informational (never read back), and it keeps the file from having no
        // tensors at all, which safetensors 0.3 cannot read back.
        let settings = [
            s.lr as f32,
            s.momentum as f32,
            s.weight_decay as f32,
            optim::BETA1,
            optim::BETA2,
            optim::EPS,
        ];
        let mut tensors = vec![weights::Named {
            name: "settings".into(),
            shape: vec![settings.len()],
            values: &settings,
        }];
        for (slot, first) in self.slots() {
            let bufs = if first {
                &self.optimizer.first
            } else {
                &self.optimizer.second
            };
            for ((name, shape), values) in names.iter().zip(bufs) {
                tensors.push(weights::Named {
                    name: format!("{name}.{slot}"),
                    shape: shape.clone(),
                    values,
                });
            }
        }
        let mut meta = HashMap::from([
            ("format".to_string(), OPTIMIZER_FORMAT.to_string()),
            ("arch".to_string(), self.network.arch.name().to_string()),
            ("kind".to_string(), self.state_kind()),
            ("step".to_string(), self.optimizer.step.to_string()),
            ("lr".to_string(), s.lr.to_string()),
        ]);
        if let Some(tag) = tag {
            tag.write_into(&mut meta);
        }
        weights::write(path, &tensors, meta)
    }

    /// What kind of state this optimiser keeps: `adam`, `sgd-momentum` or `sgd`.
    fn state_kind(&self) -> String {
        let s = self.optimizer.settings;
        match s.kind {
            OptimizerKind::Adam => "adam".into(),
            OptimizerKind::Sgd if s.momentum != 0.0 => "sgd-momentum".into(),
            OptimizerKind::Sgd => "sgd".into(),
        }
    }

    /// Restores optimiser state saved by [`Learner::save_optimizer`]. The file must
    /// be for the same architecture and the same kind of optimiser state; the
    /// learning rate and other settings stay this learner's.
    pub fn load_optimizer(&mut self, path: &Path) -> Result<(), ModelError> {
        let mut file = weights::read(path, OPTIMIZER_FORMAT)?;
        let arch = self.network.arch.name();
        let saved = file.meta(path, "arch")?;
        if saved != arch {
            return Err(weights::bad(
                path,
                format!("is for a '{saved}' network, expected '{arch}'"),
            ));
        }
        let kind = self.state_kind();
        let saved = file.meta(path, "kind")?;
        if saved != kind {
            return Err(weights::bad(
                path,
                format!("holds '{saved}' state, expected '{kind}'"),
            ));
        }
        let step: u64 = file
            .meta(path, "step")?
            .parse()
            .map_err(|_| weights::bad(path, "metadata 'step' is not a number"))?;
        let names = self.network.param_names();
        let mut first = self.optimizer.first.clone();
        let mut second = self.optimizer.second.clone();
        for (slot, is_first) in self.slots() {
            let bufs = if is_first { &mut first } else { &mut second };
            for ((name, shape), buf) in names.iter().zip(bufs.iter_mut()) {
                *buf = file.take(path, &format!("{name}.{slot}"), shape)?;
            }
        }
        file.take(path, "settings", &[6])?;
        file.finish(path)?;
        self.optimizer.first = first;
        self.optimizer.second = second;
        self.optimizer.step = step;
        Ok(())
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
