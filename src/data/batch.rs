//! Shuffled batches: indices in a seeded order, pixels turned into `f32` on the fly by the
//! threads that train on them (no copy of the dataset to `f32`).

use super::Samples;
use super::augment::Augmentation;
use super::datasets::Norm;
use super::idx::IMAGE_PIXELS;
use crate::model::BatchSource;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// MNIST's pixel mean (of pixels scaled to 0..1).
pub const MNIST_MEAN: f32 = Norm::MNIST.mean;
/// MNIST's pixel standard deviation (of pixels scaled to 0..1).
pub const MNIST_STD: f32 = Norm::MNIST.std;

/// The order of samples in one epoch: a seeded shuffle of `0..n`.
pub struct EpochOrder {
    /// Sample indices in training order.
    pub indices: Vec<usize>,
}

impl EpochOrder {
    /// A deterministic shuffle of `0..n` for `(seed, epoch)`: the same arguments give
    /// the same order (with rand 0.8's `StdRng`), each epoch a different one.
    pub fn shuffled(n: usize, seed: u64, epoch: u32) -> Self {
        let mut indices: Vec<usize> = (0..n).collect();
        let mut rng = StdRng::seed_from_u64(mix(seed, epoch));
        indices.shuffle(&mut rng);
        EpochOrder { indices }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether there is no sample.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The batches of an epoch as index slices of at most `batch_size` (the last one may
    /// be shorter). A `batch_size` of 0 is treated as 1.
    pub fn batches(&self, batch_size: usize) -> std::slice::Chunks<'_, usize> {
        self.indices.chunks(batch_size.max(1))
    }

    /// Number of batches [`batches`](Self::batches) yields.
    pub fn batch_count(&self, batch_size: usize) -> usize {
        self.indices.len().div_ceil(batch_size.max(1))
    }
}

/// Mixes the seed and the epoch into one well-spread RNG seed (SplitMix64 finaliser), so
/// nearby seeds and epochs give unrelated orders.
fn mix(seed: u64, epoch: u32) -> u64 {
    let mut z = seed ^ (u64::from(epoch).wrapping_add(1)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Samples `indices` of a dataset as a batch the learner (or an evaluation)
/// fetches itself: each thread varies its own part's images (if `augment`) and converts
/// their pixels to `f32`, scaled to 0..1 and, with a `norm`, standardised by the
/// dataset's mean and deviation.
#[derive(Debug, Clone, Copy)]
pub struct SampleBatch<'a> {
    /// The dataset.
    pub data: &'a Samples,
    /// Which of its samples, in batch order (each must be in range).
    pub indices: &'a [usize],
    /// How pixels are standardised, if they are (the dataset's mean and deviation).
    pub norm: Option<Norm>,
    /// How training images are varied (`None` for evaluation).
    pub augment: Option<Augmentation>,
}

impl BatchSource for SampleBatch<'_> {
    fn len(&self) -> usize {
        self.indices.len()
    }

    fn fill(&self, range: std::ops::Range<usize>, images: &mut Vec<f32>, labels: &mut Vec<u8>) {
        let mut varied = [0u8; IMAGE_PIXELS];
        for &i in &self.indices[range] {
            let pixels = match self.augment.and_then(|a| a.draw(i)) {
                Some(variation) => {
                    variation.apply(self.data.image(i), &mut varied);
                    &varied[..]
                }
                None => self.data.image(i),
            };
            extend_f32(pixels, self.norm, images);
            labels.push(self.data.labels[i]);
        }
    }
}

/// Appends one image's pixels as the `f32` the models expect to `out`.
fn extend_f32(pixels: &[u8], norm: Option<Norm>, out: &mut Vec<f32>) {
    if let Some(Norm { mean, std }) = norm {
        out.extend(pixels.iter().map(|&p| (p as f32 / 255.0 - mean) / std));
    } else {
        out.extend(pixels.iter().map(|&p| p as f32 / 255.0));
    }
}

/// Converts one image's `u8` pixels to the `f32` the models expect, into `out`
/// (standardised by `norm`, if given).
pub fn pixels_to_f32(pixels: &[u8], norm: Option<Norm>, out: &mut [f32]) {
    for (o, &p) in out.iter_mut().zip(pixels) {
        let v = p as f32 / 255.0;
        *o = match norm {
            Some(Norm { mean, std }) => (v - mean) / std,
            None => v,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::super::idx::IMAGE_PIXELS;
    use super::*;

    fn dataset(n: usize) -> Samples {
        let mut images = Vec::new();
        for i in 0..n {
            images.extend((0..IMAGE_PIXELS).map(|p| ((i * 7 + p) % 256) as u8));
        }
        Samples {
            images,
            labels: (0..n).map(|i| (i % 10) as u8).collect(),
        }
    }

    #[test]
    fn shuffle_is_a_deterministic_permutation() {
        let a = EpochOrder::shuffled(1000, 42, 0);
        let b = EpochOrder::shuffled(1000, 42, 0);
        assert_eq!(a.indices, b.indices);
        let mut sorted = a.indices.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
        assert_ne!(a.indices, sorted, "not shuffled");
    }

    #[test]
    fn epoch_and_seed_change_the_order() {
        let base = EpochOrder::shuffled(1000, 42, 0).indices;
        assert_ne!(base, EpochOrder::shuffled(1000, 42, 1).indices);
        assert_ne!(base, EpochOrder::shuffled(1000, 43, 0).indices);
        // seed/epoch are not simply added together
        assert_ne!(
            EpochOrder::shuffled(1000, 1, 0).indices,
            EpochOrder::shuffled(1000, 0, 1).indices
        );
    }

    #[test]
    fn empty_and_tiny_orders() {
        assert!(EpochOrder::shuffled(0, 1, 2).is_empty());
        assert_eq!(EpochOrder::shuffled(1, 1, 2).indices, vec![0]);
        assert_eq!(EpochOrder::shuffled(0, 1, 2).batches(32).count(), 0);
    }

    #[test]
    fn batches_cover_every_index_once() {
        let order = EpochOrder::shuffled(100, 7, 3);
        let sizes: Vec<usize> = order.batches(32).map(<[usize]>::len).collect();
        assert_eq!(sizes, vec![32, 32, 32, 4]);
        assert_eq!(order.batch_count(32), 4);
        assert_eq!(order.batch_count(0), 100);
        let all: Vec<usize> = order.batches(32).flatten().copied().collect();
        assert_eq!(all, order.indices);
    }

    #[test]
    fn a_sample_batch_converts_the_chosen_samples() {
        let data = dataset(10);
        let batch = SampleBatch {
            data: &data,
            indices: &[3, 0, 9],
            norm: None,
            augment: None,
        };
        assert_eq!(batch.len(), 3);
        let (mut images, mut labels) = (Vec::new(), Vec::new());
        batch.fill(0..3, &mut images, &mut labels);
        assert_eq!(labels, vec![3, 0, 9]);
        assert_eq!(images.len(), 3 * IMAGE_PIXELS);
        for (k, &i) in [3usize, 0, 9].iter().enumerate() {
            for p in [0, 1, 500, 783] {
                let want = data.image(i)[p] as f32 / 255.0;
                assert_eq!(images[k * IMAGE_PIXELS + p], want);
            }
        }
        // A part of the batch, normalised, appended after what is there.
        let normalized = SampleBatch {
            norm: Some(Norm::MNIST),
            ..batch
        };
        normalized.fill(1..2, &mut images, &mut labels);
        assert_eq!(labels, vec![3, 0, 9, 0]);
        let want = (data.image(0)[10] as f32 / 255.0 - MNIST_MEAN) / MNIST_STD;
        assert!((images[3 * IMAGE_PIXELS + 10] - want).abs() < 1e-6);
        let mut one = vec![0.0; IMAGE_PIXELS];
        pixels_to_f32(data.image(0), Some(Norm::MNIST), &mut one);
        assert_eq!(&images[3 * IMAGE_PIXELS..], &one[..]);
    }

    #[test]
    fn an_augmented_batch_varies_each_sample_by_its_own_draw() {
        use super::super::augment::Augment;
        let data = dataset(4);
        let augment = Augmentation {
            kind: Augment::Full,
            seed: 5,
            epoch: 2,
        };
        let batch = SampleBatch {
            data: &data,
            indices: &[2, 1],
            norm: None,
            augment: Some(augment),
        };
        let (mut images, mut labels) = (Vec::new(), Vec::new());
        batch.fill(0..2, &mut images, &mut labels);
        // The same as varying sample 1 on its own: independent of its place in a batch.
        let (mut alone, mut alone_labels) = (Vec::new(), Vec::new());
        SampleBatch {
            indices: &[1],
            ..batch
        }
        .fill(0..1, &mut alone, &mut alone_labels);
        assert_eq!(&images[IMAGE_PIXELS..], &alone[..]);
        let mut varied = [0u8; IMAGE_PIXELS];
        augment.draw(1).unwrap().apply(data.image(1), &mut varied);
        let want: Vec<f32> = varied.iter().map(|&p| p as f32 / 255.0).collect();
        assert_eq!(alone, want);
        let plain: Vec<f32> = data.image(1).iter().map(|&p| p as f32 / 255.0).collect();
        assert_ne!(alone, plain, "augmentation changed nothing");
    }
}
