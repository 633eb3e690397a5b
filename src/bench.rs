//! Speed of every model on real MNIST, measured the way the trainer and `predict`
//! run: training steps on shuffled batches of the model's default recipe, a test
//! pass over the test set, one prepared image through the network, the data load,
//! and the process's peak memory.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::data::{Augment, EpochOrder, LoadedDataset};
use crate::model::{IMAGE_PIXELS, Learner, Network, NetworkDef};
use crate::predict::Predictor;
use crate::train::{TrainSettings, trainer};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The networks, each with its default recipe.
    pub models: Vec<NetworkDef>,
    /// Timed training steps per model (after a warm-up of [`WARMUP_STEPS`]).
    pub steps: usize,
    /// The augmentation to train with instead of each model's default, if set.
    pub augment: Option<Augment>,
}

/// Untimed steps before the timed ones (first-touch allocation, caches).
pub const WARMUP_STEPS: usize = 20;
/// Timed single-image predictions per model.
const IMAGE_REPEATS: usize = 300;
/// Timed test passes per model (the median is reported).
const TEST_REPEATS: usize = 3;

/// The figures of one model.
#[derive(Debug, Clone, Serialize)]
pub struct ModelBench {
    /// The model.
    pub model: String,
    /// Its default batch size.
    pub batch_size: usize,
    /// The augmentation it trained with.
    pub augment: String,
    /// Timed training steps.
    pub steps: usize,
    /// Training samples per second over the timed steps.
    pub samples_per_sec: f64,
    /// One training epoch (60 000 images) at that rate, in seconds.
    pub epoch_seconds: f64,
    /// Median seconds of a pass over the test set (10 000 images).
    pub test_pass_seconds: f64,
    /// Median microseconds to predict one prepared 28×28 image.
    pub image_micros: f64,
    /// Peak resident memory of the process while this model was measured, in MB.
    pub peak_rss_mb: Option<f64>,
}

/// Everything `bench` measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// CPU model and core count.
    pub machine: String,
    /// Worker threads a training step is split across.
    pub threads: usize,
    /// Seconds to load and check the four MNIST files.
    pub mnist_load_seconds: f64,
    /// Per model.
    pub models: Vec<ModelBench>,
}

/// Loads MNIST from `data_dir` and measures every model of `options`, calling
/// `progress` with each model's figures as they are ready.
pub fn run(
    data_dir: &Path,
    options: &BenchOptions,
    mut progress: impl FnMut(&ModelBench),
) -> anyhow::Result<BenchReport> {
    let started = Instant::now();
    let data = LoadedDataset::load_mnist(data_dir)?;
    let mnist_load_seconds = started.elapsed().as_secs_f64();
    let mut models = Vec::new();
    for net in &options.models {
        let figures = measure(net, &data, options.steps.max(1), options.augment)?;
        progress(&figures);
        models.push(figures);
    }
    Ok(BenchReport {
        machine: machine(),
        threads: rayon::current_num_threads(),
        mnist_load_seconds,
        models,
    })
}

fn measure(
    net: &NetworkDef,
    data: &LoadedDataset,
    steps: usize,
    augment: Option<Augment>,
) -> anyhow::Result<ModelBench> {
    reset_peak_rss();
    let mut settings = TrainSettings::defaults_for(net, &crate::data::DatasetName::mnist());
    if let Some(a) = augment {
        settings.augment = a;
    }
    let batch = settings.batch_size;
    let norm = settings.normalize.then_some(data.info.norm);
    let mut learner = Learner::new(
        Network::new(net, settings.seed)?,
        settings.optimizer_settings(),
    )
    .with_seed(settings.seed);
    // As many shuffled epochs as the steps need, batches taken in training order.
    let per_epoch = data.train.len().div_ceil(batch);
    let mut order = EpochOrder::shuffled(data.train.len(), settings.seed, 1);
    let mut timed = Duration::ZERO;
    for step in 0..WARMUP_STEPS + steps {
        let b = step % per_epoch;
        if b == 0 && step > 0 {
            order = EpochOrder::shuffled(
                data.train.len(),
                settings.seed,
                1 + (step / per_epoch) as u32,
            );
        }
        let end = ((b + 1) * batch).min(order.indices.len());
        let indices = &order.indices[b * batch..end];
        let t = Instant::now();
        let epoch = 1 + (step / per_epoch) as u32;
        trainer::train_step(&mut learner, &data.train, indices, &settings, norm, epoch)?;
        if step >= WARMUP_STEPS {
            timed += t.elapsed();
        }
    }
    let secs = timed.as_secs_f64().max(1e-9);
    let samples_per_sec = (steps * batch) as f64 / secs;

    let network = learner.network().clone();
    let mut passes = Vec::with_capacity(TEST_REPEATS);
    for _ in 0..TEST_REPEATS {
        let t = Instant::now();
        trainer::evaluate(
            &network,
            &data.test,
            &(0..data.test.len()).collect::<Vec<_>>(),
            norm,
        )
        .map_err(anyhow::Error::msg)?;
        passes.push(t.elapsed().as_secs_f64());
    }

    let predictor = Predictor::new(network, settings.normalize);
    let mut image = [0u8; IMAGE_PIXELS];
    image.copy_from_slice(data.test.image(0));
    let mut latencies = Vec::with_capacity(IMAGE_REPEATS);
    for i in 0..IMAGE_REPEATS + 10 {
        let t = Instant::now();
        predictor.predict(&image)?;
        if i >= 10 {
            latencies.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    Ok(ModelBench {
        model: net.name.to_string(),
        batch_size: batch,
        augment: settings.augment.name().to_string(),
        steps,
        samples_per_sec,
        epoch_seconds: data.train.len() as f64 / samples_per_sec,
        test_pass_seconds: median(&mut passes),
        image_micros: median(&mut latencies),
        peak_rss_mb: peak_rss_mb(),
    })
}

/// The median of `values` (0 for none).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// CPU model name and core count, from `/proc/cpuinfo` where there is one.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!("{cpu}, {cores} cores")
}

/// Restarts the kernel's peak-RSS count for this process (Linux; no-op elsewhere).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory of this process since the last reset, in MB (Linux).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_empty() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut []), 0.0);
    }

    #[test]
    fn peak_rss_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let mb = peak_rss_mb().expect("VmHWM in /proc/self/status");
            assert!(mb > 1.0, "{mb}");
        }
    }
}
