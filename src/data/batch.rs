//! Shuffled batches: indices in a seeded order, pixels turned into `f32` on the fly into
//! a reused buffer (no per-sample allocation, no copy of the dataset to `f32`).

use super::Dataset;
use super::idx::IMAGE_PIXELS;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

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
    ///
    /// The buffers are resized in place: once they have held the largest batch, filling
    /// allocates nothing. Panics if an index is out of range for `data`.
    pub fn fill(&mut self, data: &Dataset, indices: &[usize], normalize: bool) {
        self.images.resize(indices.len() * IMAGE_PIXELS, 0.0);
        self.labels.clear();
        for (out, &i) in self.images.chunks_exact_mut(IMAGE_PIXELS).zip(indices) {
            pixels_to_f32(data.image(i), normalize, out);
            self.labels.push(data.labels[i]);
        }
    }

    /// Number of samples in the buffer.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the buffer holds no sample.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(n: usize) -> Dataset {
        let mut images = Vec::new();
        for i in 0..n {
            images.extend((0..IMAGE_PIXELS).map(|p| ((i * 7 + p) % 256) as u8));
        }
        Dataset {
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
    fn fill_converts_the_chosen_samples() {
        let data = dataset(10);
        let mut buf = BatchBuffer::default();
        buf.fill(&data, &[3, 0, 9], false);
        assert_eq!(buf.len(), 3);
        assert_eq!(buf.labels, vec![3, 0, 9]);
        assert_eq!(buf.images.len(), 3 * IMAGE_PIXELS);
        for (k, &i) in [3usize, 0, 9].iter().enumerate() {
            for p in [0, 1, 500, 783] {
                let want = data.image(i)[p] as f32 / 255.0;
                assert_eq!(buf.images[k * IMAGE_PIXELS + p], want);
            }
        }
        buf.fill(&data, &[3], true);
        let want = (data.image(3)[10] as f32 / 255.0 - MNIST_MEAN) / MNIST_STD;
        assert!((buf.images[10] - want).abs() < 1e-6);
        assert_eq!(buf.images.len(), IMAGE_PIXELS);
    }

    #[test]
    fn fill_reuses_its_buffers_once_warm() {
        let data = dataset(50);
        let order = EpochOrder::shuffled(50, 1, 0);
        let mut buf = BatchBuffer::default();
        buf.fill(&data, &order.indices[..16], true);
        let (img_ptr, img_cap) = (buf.images.as_ptr(), buf.images.capacity());
        let (lab_ptr, lab_cap) = (buf.labels.as_ptr(), buf.labels.capacity());
        for batch in order.batches(16) {
            buf.fill(&data, batch, true);
            assert_eq!(buf.images.as_ptr(), img_ptr);
            assert_eq!(buf.images.capacity(), img_cap);
            assert_eq!(buf.labels.as_ptr(), lab_ptr);
            assert_eq!(buf.labels.capacity(), lab_cap);
            assert_eq!(buf.len(), batch.len());
        }
    }
}
