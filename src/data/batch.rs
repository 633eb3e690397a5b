//! Shuffled batches: indices in a seeded order, pixels turned into `f32` on the fly into
//! a reused buffer (no per-sample allocation, no copy of the dataset to `f32`).

use super::Dataset;

/// MNIST's pixel mean (of pixels scaled to 0..1).
pub const MNIST_MEAN: f32 = 0.1307;
/// MNIST's pixel standard deviation (of pixels scaled to 0..1).
pub const MNIST_STD: f32 = 0.3081;

/// The order of samples in one epoch: a seeded shuffle of `0..n`.
pub struct EpochOrder {
    /// Sample indices in training order.
    pub indices: Vec<usize>,
}

impl EpochOrder {
    /// A deterministic shuffle of `0..n` for `(seed, epoch)`.
    pub fn shuffled(n: usize, seed: u64, epoch: u32) -> Self {
        let _ = (n, seed, epoch);
        todo!("data: EpochOrder::shuffled")
    }
}

/// Reused buffers for one batch.
#[derive(Debug, Default)]
pub struct BatchBuffer {
    /// `labels.len() * 784` floats.
    pub images: Vec<f32>,
    /// Labels of the batch.
    pub labels: Vec<u8>,
}

impl BatchBuffer {
    /// Fills the buffers with the samples `indices` of `data`, pixels scaled to 0..1 and,
    /// if `normalize`, standardised with [`MNIST_MEAN`] and [`MNIST_STD`].
    pub fn fill(&mut self, data: &Dataset, indices: &[usize], normalize: bool) {
        let _ = (data, indices, normalize);
        todo!("data: BatchBuffer::fill")
    }
}

/// Converts one image's `u8` pixels to the `f32` the models expect, into `out`.
pub fn pixels_to_f32(pixels: &[u8], normalize: bool, out: &mut [f32]) {
    for (o, &p) in out.iter_mut().zip(pixels) {
        let v = p as f32 / 255.0;
        *o = if normalize {
            (v - MNIST_MEAN) / MNIST_STD
        } else {
            v
        };
    }
}
