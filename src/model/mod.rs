//! The networks. This is the only module that names dfdx types: everything else
//! sees networks as data ([`NetworkDef`]: a name and its [`Layers`]), [`Network`]
//! (weights, inference, save/load) and [`Learner`] (a network plus its optimiser,
//! one training step at a time).

mod act;
mod batchnorm;
mod block;
mod conv;
mod conv2d;
mod cpu;
mod dropout;
mod forward;
mod gemm;
mod init;
mod linear;
mod loss;
pub mod net;
mod normblock;
mod optim;
mod parallel;
mod param;
mod params;
mod pool;
mod pool2d;
mod profile;
mod sync;
mod torch;
mod unary;
mod weights;

#[cfg(test)]
mod network_tests;

pub use cpu::tune_process;
pub use net::layer::{LAYER_KINDS, Layer, Layers, LayersSyntaxError, Width};
pub use net::name::ModelName;
pub use net::plan::{LayerRow, MAX_PARAMS, PlanError, Shape};
pub use net::presets::{
    ADAM_BETA1, ADAM_BETA2, ADAM_EPS, ADAMW_WEIGHT_DECAY, OWN_RECIPE, OptimizerKind,
    OptimizerSettings, Preset, Recipe,
};
pub use net::registry::{
    KnownNetwork, NetworkDef, NetworkError, Origin, define_network, find_network, known_networks,
    network_named,
};
pub use net::summary::Summary;
pub use profile::{ComputeProfile, compute_profile};
#[cfg(test)]
pub(crate) use torch::golden_gap;
pub use torch::{TorchData, TorchLayer, TorchTensor, torch_shape};
pub use weights::{
    CheckpointTag, MAX_FILE_BYTES, read_checkpoint_tag, read_torch_state, torch_state_bytes,
};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use dfdx::prelude::{AsArray, Backward, Cpu, Gradients, Trace};
use dfdx::tensor::TensorFromVec;

use forward::{Mode, Output, Training};
use net::plan::Plan;
use optim::Optimizer;
use params::LayerParams;
use std::sync::Arc;
use sync::ShardSync;

/// Number of pixels in one MNIST image (28×28).
pub const IMAGE_PIXELS: usize = 784;
/// Number of classes of the digit datasets (0–9): what a network is planned for when
/// no dataset says otherwise (listings, summaries, tests).
pub const DIGIT_CLASSES: usize = 10;

/// Images per forward pass in [`Network::logits`] for the MLPs.
const INFERENCE_CHUNK: usize = 1000;
/// Images per forward pass and thread in [`Network::logits`] for the conv nets
/// (bounds the im2col buffer: 64 images are 14.5 MB of patches for `cnn`).
const CONV_INFERENCE_CHUNK: usize = 64;
/// Images per thread below which inference stays on the calling thread.
const MIN_PARALLEL_INFERENCE: usize = 64;

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

/// A network and its weights. Cheap to clone.
#[derive(Clone)]
pub struct Network {
    def: NetworkDef,
    plan: Arc<Plan>,
    /// One entry per parameterised layer of the plan, in order.
    params: Vec<LayerParams>,
    dev: Cpu,
}

impl Network {
    /// Builds a freshly initialised network for the ten digit classes (see
    /// [`Network::for_classes`]).
    pub fn new(def: &NetworkDef, seed: u64) -> Result<Self, NetworkError> {
        Self::for_classes(def, DIGIT_CLASSES, seed)
    }

    /// Builds a freshly initialised network with `classes` outputs (PyTorch-default
    /// initialisation), deterministic for a given `seed`; a network whose layers do not
    /// plan is an error naming the layer.
    pub fn for_classes(def: &NetworkDef, classes: usize, seed: u64) -> Result<Self, NetworkError> {
        let plan = def.plan_for(classes)?;
        let dev = Cpu::default();
        let mut rng = init::rng_for(seed);
        let params = plan
            .params
            .iter()
            .map(|spec| LayerParams::init(&dev, spec, &mut rng))
            .collect::<Result<_, ModelError>>()
            .map_err(|e| NetworkError {
                name: def.name.clone(),
                source: PlanError {
                    layer: None,
                    problem: e.to_string(),
                },
            })?;
        Ok(Self {
            def: def.clone(),
            plan: Arc::new(plan),
            params,
            dev,
        })
    }

    /// A freshly initialised preset (see [`Network::new`]).
    pub fn preset(preset: Preset, seed: u64) -> Self {
        Self::new(&NetworkDef::preset(preset), seed)
            .unwrap_or_else(|e| unreachable!("presets plan: {e}"))
    }

    /// A copy whose parameters share nothing with this network's (see
    /// [`Learner::copy`]); [`Clone`] shares them until one side writes.
    fn deep_copy(&self) -> Result<Self, ModelError> {
        let params = self
            .params
            .iter()
            .map(|p| p.deep_copy(&self.dev))
            .collect::<Result<_, ModelError>>()?;
        Ok(Self {
            def: self.def.clone(),
            plan: Arc::clone(&self.plan),
            params,
            dev: self.dev.clone(),
        })
    }

    /// The network's name.
    pub fn name(&self) -> &ModelName {
        &self.def.name
    }

    /// What the network is: its name and layers.
    pub fn def(&self) -> &NetworkDef {
        &self.def
    }

    /// Number of outputs: one per class.
    pub fn classes(&self) -> usize {
        self.plan.classes
    }

    /// Number of trainable parameters.
    pub fn param_count(&self) -> usize {
        self.plan.params.iter().map(|p| p.count()).sum()
    }

    /// One row per layer: the layer, its output shape, parameters and FLOPs.
    pub fn summary(&self) -> &[LayerRow] {
        &self.plan.rows
    }

    /// Whether the network has convolutions (whose inference works in smaller
    /// chunks, to bound the patches they unfold).
    fn has_maps(&self) -> bool {
        use net::plan::Step;
        self.plan.steps.iter().any(|s| {
            matches!(
                s,
                Step::ConvBlock(_)
                    | Step::Conv(_)
                    | Step::Pool { .. }
                    | Step::GlobalAvgPool { .. }
                    | Step::NormBlock { .. }
            )
        })
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
        let labels = vec![0u8; images.len() / IMAGE_PIXELS];
        Ok(self
            .logits_of(&Prepared {
                images,
                labels: &labels,
            })?
            .0)
    }

    /// Raw outputs for every sample of `batch`, `n * classes` floats row-major, and the
    /// samples' labels. The samples are fetched (prepared) by the threads that run
    /// them: one part of the batch per thread, each in chunks.
    pub fn logits_of(&self, batch: &dyn BatchSource) -> Result<(Vec<f32>, Vec<u8>), ModelError> {
        let n = batch.len();
        let chunk = if self.has_maps() {
            CONV_INFERENCE_CHUNK
        } else {
            INFERENCE_CHUNK
        };
        let threads = parallel::threads().min(n / MIN_PARALLEL_INFERENCE).max(1);
        let parts = parallel::map(parallel::split(n, threads), |part| {
            let mut out = Vec::with_capacity(part.len() * self.classes());
            let mut labels = Vec::with_capacity(part.len());
            let mut images = Vec::with_capacity(chunk.min(part.len()) * IMAGE_PIXELS);
            for start in part.clone().step_by(chunk) {
                let range = start..(start + chunk).min(part.end);
                let rows = range.len();
                images.clear();
                batch.fill(range, &mut images, &mut labels);
                if images.len() != rows * IMAGE_PIXELS {
                    return Err(ModelError::BadInput(format!(
                        "{} floats for {rows} images",
                        images.len()
                    )));
                }
                let x = self
                    .dev
                    .tensor_from_vec(std::mem::take(&mut images), (rows, IMAGE_PIXELS));
                let start = out.len();
                out.resize(start + rows * self.classes(), 0.0);
                forward::forward(&self.plan.steps, &self.params, x, Mode::Eval)?
                    .out
                    .copy_into(&mut out[start..]);
            }
            Ok((out, labels))
        });
        let mut out = Vec::with_capacity(n * self.classes());
        let mut labels = Vec::with_capacity(n);
        for part in parts {
            let (o, l) = part?;
            out.extend_from_slice(&o);
            labels.extend_from_slice(&l);
        }
        Ok((out, labels))
    }

    /// Mean cross-entropy and number of correct predictions on `images`
    /// (`labels.len() * 784` floats).
    pub fn evaluate(&self, images: &[f32], labels: &[u8]) -> Result<Evaluation, ModelError> {
        check_batch(images, labels, self.classes())?;
        let logits = self.logits(images)?;
        let mut loss = 0.0f64;
        let mut correct = 0;
        for (row, &label) in logits.chunks_exact(self.classes()).zip(labels) {
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
        let mut meta = HashMap::from([
            ("format".to_string(), WEIGHTS_FORMAT.to_string()),
            ("arch".to_string(), self.def.name.to_string()),
            ("layers".to_string(), self.def.layers.to_string()),
        ]);
        let mut tensors = Vec::new();
        for (spec, p) in self.plan.params.iter().zip(&self.params) {
            p.save_into(spec, &mut tensors, &mut meta);
        }
        if let Some(tag) = tag {
            tag.write_into(&mut meta);
        }
        weights::write(path, &tensors, meta)
    }

    /// Loads weights saved by [`Network::save`] for the network `def` with the ten
    /// digit classes (see [`Network::load_for_classes`]).
    pub fn load(def: &NetworkDef, path: &Path) -> Result<Self, ModelError> {
        Self::load_for_classes(def, DIGIT_CLASSES, path)
    }

    /// Loads weights saved by [`Network::save`] for the network `def` with `classes`
    /// outputs; a missing, truncated or mismatched file is a [`ModelError::BadFile`]
    /// naming the file.
    pub fn load_for_classes(
        def: &NetworkDef,
        classes: usize,
        path: &Path,
    ) -> Result<Self, ModelError> {
        // Planned only: the weights come from the file, not from an initialisation
        // that would be thrown away.
        let plan = def
            .plan_for(classes)
            .map_err(|e| weights::bad(path, format!("cannot be loaded: {e}")))?;
        let mut file = weights::read(path, WEIGHTS_FORMAT)?;
        let saved = file.meta(path, "arch")?;
        if saved != def.name.as_str() {
            return Err(weights::bad(
                path,
                format!("holds a '{saved}' network, expected '{}'", def.name),
            ));
        }
        let dev = Cpu::default();
        let params = plan
            .params
            .iter()
            .map(|spec| LayerParams::load(&dev, spec, &mut file, path))
            .collect::<Result<_, _>>()?;
        file.finish(path)?;
        Ok(Self {
            def: def.clone(),
            plan: Arc::new(plan),
            params,
            dev,
        })
    }

    /// The network as PyTorch's equivalent `nn.Module` holds it: each layer with its
    /// shapes and, for layers with parameters, its module's attribute name.
    pub fn torch_layers(&self) -> Vec<TorchLayer> {
        torch::layers(&self.def, &self.plan)
    }

    /// The weights as a PyTorch state dict: PyTorch's names, shapes and layouts (see
    /// [`torch`]), batch norm's running statistics and its int64
    /// `num_batches_tracked` included.
    pub fn torch_state(&self) -> Vec<TorchTensor> {
        torch::state(&self.def, &self.plan, &self.params)
    }

    /// The network `def` with `classes` outputs and the weights of a PyTorch state
    /// dict (the inverse of [`Network::torch_state`]): every tensor it needs, by name,
    /// shape and type, and no other; `source` names the file in errors.
    pub fn from_torch_state(
        def: &NetworkDef,
        classes: usize,
        tensors: Vec<TorchTensor>,
        source: &Path,
    ) -> Result<Self, ModelError> {
        let plan = def
            .plan_for(classes)
            .map_err(|e| weights::bad(source, format!("cannot be loaded: {e}")))?;
        let dev = Cpu::default();
        let params = torch::from_state(&dev, def, &plan, tensors, source)?;
        Ok(Self {
            def: def.clone(),
            plan: Arc::new(plan),
            params,
            dev,
        })
    }

    /// Forward and backward pass of one shard of a batch of `batch` samples: its
    /// part of the mean loss, its correct predictions and its part of every
    /// parameter's gradient.
    fn shard_gradients(
        &self,
        images: Vec<f32>,
        labels: &[u8],
        batch: usize,
        training: Training<'_>,
    ) -> Result<ShardOutcome, ModelError> {
        let x = self
            .dev
            .tensor_from_vec(images, (labels.len(), IMAGE_PIXELS))
            .traced(Gradients::leaky());
        let Output { out: logits, stats } =
            forward::forward(&self.plan.steps, &self.params, x, Mode::Train(training))?;
        let loss = loss::cross_entropy(logits, labels, batch)?;
        let (value, correct) = (loss.value.array(), loss.correct);
        // Batch norm's backward pass meets the other shards: if one of them failed,
        // this one's fails too (its own error is the one reported).
        let mut grads = loss
            .value
            .try_backward()
            .map_err(|e| ModelError::BadInput(format!("backward pass stopped: {e:?}")))?;
        let mut out = Vec::with_capacity(2 * self.params.len());
        for p in &self.params {
            out.extend(p.take_grads(&mut grads)?);
        }
        Ok(ShardOutcome {
            loss: value,
            correct,
            grads: out,
            stats,
        })
    }

    /// Folds a training batch's statistics into each batch norm's running ones
    /// (`stats` in step order, as the forward pass returns them).
    fn fold_batch_stats(&mut self, stats: &[batchnorm::BatchStats]) -> Result<(), ModelError> {
        let mut stats = stats.iter();
        for p in &mut self.params {
            if let LayerParams::Norm(_, _, running) = p {
                let s = stats.next().ok_or_else(|| {
                    ModelError::BadInput("a batch norm gave no statistics".into())
                })?;
                batchnorm::update_running(
                    &mut running.mean,
                    &mut running.var,
                    s,
                    batchnorm::MOMENTUM,
                )?;
                running.batches += 1;
            }
        }
        Ok(())
    }

    /// Names of the trained tensors, in optimiser order (two per layer: weight and
    /// bias, or batch norm's scale and shift).
    fn param_names(&self) -> Vec<(String, Vec<usize>)> {
        self.plan
            .params
            .iter()
            .flat_map(params::tensor_names)
            .collect()
    }
}

/// Checks that `images` holds exactly one 784-pixel image per label and that every
/// label is one of the `classes`.
fn check_batch(images: &[f32], labels: &[u8], classes: usize) -> Result<(), ModelError> {
    if images.len() != labels.len() * IMAGE_PIXELS {
        return Err(ModelError::BadInput(format!(
            "{} floats for {} labels (expected {})",
            images.len(),
            labels.len(),
            labels.len() * IMAGE_PIXELS
        )));
    }
    if let Some(l) = labels.iter().find(|&&l| l as usize >= classes) {
        return Err(ModelError::BadInput(format!(
            "label {l} is not one of the {classes} classes"
        )));
    }
    Ok(())
}

/// A batch of labelled images that the learner fetches itself, a part of it on each
/// of the threads the batch is split across (so preparing the pixels is split
/// too).
pub trait BatchSource: Sync {
    /// Number of samples.
    fn len(&self) -> usize;

    /// Whether the batch is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the samples `range` of the batch: 784 prepared floats per image to
    /// `images`, one label 0–9 per image to `labels`.
    fn fill(&self, range: std::ops::Range<usize>, images: &mut Vec<f32>, labels: &mut Vec<u8>);
}

/// Images already prepared as floats, with their labels.
struct Prepared<'a> {
    images: &'a [f32],
    labels: &'a [u8],
}

impl BatchSource for Prepared<'_> {
    fn len(&self) -> usize {
        self.labels.len()
    }

    fn fill(&self, range: std::ops::Range<usize>, images: &mut Vec<f32>, labels: &mut Vec<u8>) {
        images
            .extend_from_slice(&self.images[range.start * IMAGE_PIXELS..range.end * IMAGE_PIXELS]);
        labels.extend_from_slice(&self.labels[range]);
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
///
/// Each batch is split into shards, one per worker thread (see `parallel.rs`):
/// every shard runs its forward and backward pass on its own dfdx tape, its loss
/// taken over the whole batch so that the shards' gradients add up to the batch's,
/// and the optimiser sums them while it updates each parameter, also split
/// across the threads.
pub struct Learner {
    network: Network,
    optimizer: Optimizer,
    /// The run's seed: with the step and the sample, it draws dropout's masks.
    seed: u64,
}

/// What one shard of a batch computed.
struct ShardOutcome {
    /// Its part of the batch's mean loss.
    loss: f32,
    /// Its samples predicted right (before the update).
    correct: usize,
    /// Its part of every parameter's gradient, in optimiser order.
    grads: Vec<Vec<f32>>,
    /// Each batch norm's whole-batch statistics (the same on every shard).
    stats: Vec<batchnorm::BatchStats>,
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
            seed: 0,
        }
    }

    /// This learner with dropout's masks drawn from `seed` (the run's seed), so a
    /// run and its resumption draw the same masks.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// An independent copy: the same weights, optimiser settings, state and step
    /// count in buffers of its own (and parameters with their own tape identity), so
    /// training the copy leaves this learner exactly as it was. The learning-rate
    /// finder tries rates on such a copy of a run in progress.
    pub fn copy(&self) -> Result<Self, ModelError> {
        Ok(Self {
            network: self.network.deep_copy()?,
            optimizer: self.optimizer.clone(),
            seed: self.seed,
        })
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
        check_batch(images, labels, self.network.classes())?;
        self.train_source(&Prepared { images, labels })
    }

    /// One step on a batch the learner fetches from `batch`, each shard its own
    /// part on its own thread (see [`Learner::train_batch`]).
    pub fn train_source(&mut self, batch: &dyn BatchSource) -> Result<StepOutcome, ModelError> {
        let shards = parallel::shard_count(batch.len());
        self.train_sharded(batch, shards)
    }

    /// [`Learner::train_source`] with the batch cut into `shards`. A network with
    /// batch norm runs its shards on threads that run at once, so that they can meet
    /// for the whole batch's statistics (twice per batch norm: forward and
    /// backward); others run them as rayon tasks, which never wait for each other.
    fn train_sharded(
        &mut self,
        batch: &dyn BatchSource,
        shards: usize,
    ) -> Result<StepOutcome, ModelError> {
        let outcomes = self.shard_outcomes(batch, shards)?;
        let loss = outcomes.iter().map(|o| o.loss).sum();
        let correct = outcomes.iter().map(|o| o.correct).sum();
        self.update(&outcomes, shards);
        if let Some(first) = outcomes.first() {
            self.network.fold_batch_stats(&first.stats)?;
        }
        Ok(StepOutcome { loss, correct })
    }

    /// The forward and backward passes of a step, the batch cut into `shards`: each
    /// shard's part of the loss and of the gradients.
    fn shard_outcomes(
        &self,
        batch: &dyn BatchSource,
        shards: usize,
    ) -> Result<Vec<ShardOutcome>, ModelError> {
        let n = batch.len();
        if n == 0 {
            return Err(ModelError::BadInput("empty batch".into()));
        }
        let ranges: Vec<_> = parallel::split(n, shards).into_iter().enumerate().collect();
        let net = &self.network;
        let classes = net.classes();
        let sync = Arc::new(ShardSync::new(shards));
        let (seed, step) = (self.seed, self.optimizer.step);
        let run = |(shard, r): (usize, std::ops::Range<usize>)| {
            let training = Training {
                seed,
                step,
                first_sample: r.start,
                sync: &sync,
                shard,
            };
            let mut images = Vec::with_capacity(r.len() * IMAGE_PIXELS);
            let mut labels = Vec::with_capacity(r.len());
            batch.fill(r, &mut images, &mut labels);
            check_batch(&images, &labels, classes)?;
            net.shard_gradients(images, &labels, n, training)
        };
        if net.plan.has_batch_norm() {
            let results = parallel::map_concurrent(ranges, |item| {
                let guard = sync.guard(item.0);
                guard.finish(run(item))
            })?;
            sync.collect(results)
        } else {
            parallel::map(ranges, run).into_iter().collect()
        }
    }

    /// Applies one optimiser step from the shards' gradients, each parameter cut
    /// into one piece per thread.
    fn update(&mut self, outcomes: &[ShardOutcome], threads: usize) {
        let rule = self.optimizer.begin_step();
        type Piece<'a> = (&'a mut [f32], &'a mut [f32], &'a mut [f32], Vec<&'a [f32]>);
        let mut work: Vec<Vec<Piece<'_>>> = (0..threads).map(|_| Vec::new()).collect();
        let values = self
            .network
            .params
            .iter_mut()
            .flat_map(LayerParams::values_mut);
        for (i, (p, (first, second))) in values.zip(self.optimizer.state_mut()).enumerate() {
            let len = p.len();
            let ranges = parallel::split(len, threads);
            let ps = parallel::pieces(p, threads);
            let fs = parallel::pieces(first, threads);
            let ss = parallel::pieces(second, threads);
            for ((((w, r), p), f), s) in work.iter_mut().zip(ranges).zip(ps).zip(fs).zip(ss) {
                let grads = outcomes.iter().map(|o| &o.grads[i][r.clone()]).collect();
                w.push((p, f, s, grads));
            }
        }
        parallel::map(work, |pieces| {
            for (p, f, s, grads) in pieces {
                optim::apply(&rule, p, f, s, &grads);
            }
        });
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
            OptimizerKind::Adam | OptimizerKind::AdamW => {
                vec![("exp_avg", true), ("exp_avg_sq", false)]
            }
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
        // tensors at all, which safetensors 0.3 cannot read back. Six values, as
        // files from before β and ε could be set (which held their constants).
        let settings = [
            s.lr as f32,
            s.momentum as f32,
            s.weight_decay as f32,
            s.beta1 as f32,
            s.beta2 as f32,
            s.eps as f32,
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
            ("arch".to_string(), self.network.def.name.to_string()),
            ("kind".to_string(), self.state_kind()),
            ("step".to_string(), self.optimizer.step.to_string()),
            ("lr".to_string(), s.lr.to_string()),
        ]);
        if let Some(tag) = tag {
            tag.write_into(&mut meta);
        }
        weights::write(path, &tensors, meta)
    }

    /// What kind of state this optimiser keeps: `adam`, `adamw`, `sgd-momentum` (with
    /// or without Nesterov: the same buffer) or `sgd`.
    fn state_kind(&self) -> String {
        let s = self.optimizer.settings;
        match s.kind {
            OptimizerKind::Adam => "adam".into(),
            OptimizerKind::AdamW => "adamw".into(),
            OptimizerKind::Sgd if s.momentum != 0.0 => "sgd-momentum".into(),
            OptimizerKind::Sgd => "sgd".into(),
        }
    }

    /// Restores optimiser state saved by [`Learner::save_optimizer`]. The file must
    /// be for the same architecture and the same kind of optimiser state; the
    /// learning rate and other settings stay this learner's.
    pub fn load_optimizer(&mut self, path: &Path) -> Result<(), ModelError> {
        let mut file = weights::read(path, OPTIMIZER_FORMAT)?;
        let arch = self.network.def.name.as_str();
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
pub fn argmax<T: PartialOrd>(row: &[T]) -> usize {
    let mut best = 0;
    for (i, v) in row.iter().enumerate() {
        if *v > row[best] {
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
