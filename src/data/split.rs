//! Which samples a run trains on, validates on and tests on.
//!
//! The training set is put in one fixed order, the same for every run of a dataset of
//! that size: its first `validation` samples are held out for validation (never
//! trained on, never augmented), and a run's training samples are the ones after them
//! (the first `max_train` of those when capped). So splits of different sizes nest, and
//! two runs with the same split validate on the same images. The test set has its own
//! fixed order, and `max_test` takes a prefix of it: a capped test slice is a sample of
//! the whole test set, not its first (cleaner, easier) images.
//!
//! The orders come from a fully specified generator (SplitMix64 driving a
//! Fisher–Yates shuffle), not from `rand`, whose streams may change between versions:
//! a run's split must stay the same for as long as its record exists.

use serde::{Deserialize, Serialize};

/// How a run drew its samples. Recorded, so runs drawn differently never share a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sampling {
    /// Records from before the split: trained on the first `max_train` training images
    /// (all by default), tested on the first `max_test` test images, no validation.
    #[default]
    FirstN,
    /// Prefixes of each set's fixed order ([`Split::new`]).
    Permuted,
}

impl Sampling {
    /// How it reads in `runs show` and the details.
    pub fn describe(self) -> &'static str {
        match self {
            Sampling::FirstN => "first images of each set (before validation splits)",
            Sampling::Permuted => "prefixes of a fixed order of each set",
        }
    }
}

/// The sample indices of one run: into the training set (`train`, `validation`) and
/// into the test set (`test`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Training samples, in the fixed order (each epoch shuffles its own order of them).
    pub train: Vec<usize>,
    /// Held-out training samples scored after each epoch.
    pub validation: Vec<usize>,
    /// Test samples scored for the run's reported figure.
    pub test: Vec<usize>,
}

/// Why a split cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// The validation split takes every training image.
    #[error(
        "validation {validation} leaves no training image (the training set has {train_len}); \
         use a smaller --validation"
    )]
    NothingToTrain {
        /// Images held out.
        validation: usize,
        /// Images in the training set.
        train_len: usize,
    },
}

/// Sizes asked for by a run's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitSizes {
    /// Training images held out for validation.
    pub validation: usize,
    /// At most this many training images, if set.
    pub max_train: Option<usize>,
    /// At most this many test images, if set.
    pub max_test: Option<usize>,
}

/// Salt of the training set's fixed order.
const TRAIN_ORDER: u64 = 0x7472_6169_6e5f_6f72; // "train_or"
/// Salt of the test set's fixed order.
const TEST_ORDER: u64 = 0x7465_7374_5f6f_7264; // "test_ord"

impl Split {
    /// The split of a training set of `train_len` and a test set of `test_len` samples.
    pub fn new(
        sampling: Sampling,
        train_len: usize,
        test_len: usize,
        sizes: SplitSizes,
    ) -> Result<Split, SplitError> {
        let cap = |n: usize, max: Option<usize>| max.map_or(n, |m| m.min(n));
        match sampling {
            Sampling::FirstN => Ok(Split {
                train: (0..cap(train_len, sizes.max_train)).collect(),
                validation: Vec::new(),
                test: (0..cap(test_len, sizes.max_test)).collect(),
            }),
            Sampling::Permuted => {
                if sizes.validation >= train_len {
                    return Err(SplitError::NothingToTrain {
                        validation: sizes.validation,
                        train_len,
                    });
                }
                let mut order = fixed_order(train_len, TRAIN_ORDER);
                let mut train = order.split_off(sizes.validation);
                train.truncate(cap(train.len(), sizes.max_train));
                let mut test = fixed_order(test_len, TEST_ORDER);
                test.truncate(cap(test_len, sizes.max_test));
                Ok(Split {
                    train,
                    validation: order,
                    test,
                })
            }
        }
    }
}

/// The fixed order of `0..n` for `salt`: a Fisher–Yates shuffle driven by SplitMix64.
pub fn fixed_order(n: usize, salt: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = salt ^ (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for i in (1..n).rev() {
        // A uniform index in 0..=i by multiply-shift (bias below 2^-40 for MNIST's sizes).
        let j = ((u128::from(splitmix64(&mut state)) * (i as u128 + 1)) >> 64) as usize;
        order.swap(i, j);
    }
    order
}

/// SplitMix64: the next value of the sequence, advancing `state`.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(validation: usize, max_train: Option<usize>, max_test: Option<usize>) -> SplitSizes {
        SplitSizes {
            validation,
            max_train,
            max_test,
        }
    }

    #[test]
    fn the_fixed_order_is_pinned() {
        // These values are the split of every recorded run: if they change, old runs
        // would validate on other images. Computed once by this code and pinned.
        let order = fixed_order(60_000, TRAIN_ORDER);
        assert_eq!(&order[..5], &[21_377, 41_823, 12_385, 40_029, 55_075]);
        let test = fixed_order(10_000, TEST_ORDER);
        assert_eq!(&test[..5], &[5_434, 7_869, 5_497, 1_892, 1_070]);
    }

    #[test]
    fn orders_are_permutations() {
        for n in [0, 1, 2, 7, 1000] {
            let mut order = fixed_order(n, TRAIN_ORDER);
            order.sort_unstable();
            assert_eq!(order, (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn validation_never_meets_training_and_splits_nest() {
        let a = Split::new(Sampling::Permuted, 1000, 100, sizes(100, None, None)).unwrap();
        let b = Split::new(
            Sampling::Permuted,
            1000,
            100,
            sizes(200, Some(50), Some(10)),
        )
        .unwrap();
        assert_eq!(a.validation.len(), 100);
        assert_eq!(a.train.len(), 900);
        assert!(a.train.iter().all(|i| !a.validation.contains(i)));
        // A larger split holds the smaller one; capped training draws from what is left.
        assert_eq!(&b.validation[..100], &a.validation[..]);
        assert_eq!(b.train.len(), 50);
        assert!(b.train.iter().all(|i| !b.validation.contains(i)));
        assert_eq!(&b.train[..], &a.train[100..150]);
        // Capped test slices are prefixes of one order, not the first images.
        assert_eq!(&b.test[..], &a.test[..10]);
        assert_ne!(b.test, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn the_same_sizes_give_the_same_split() {
        let s = sizes(500, Some(2000), Some(300));
        assert_eq!(
            Split::new(Sampling::Permuted, 60_000, 10_000, s),
            Split::new(Sampling::Permuted, 60_000, 10_000, s)
        );
    }

    #[test]
    fn old_records_keep_their_first_images() {
        let s = Split::new(Sampling::FirstN, 1000, 100, sizes(0, Some(30), Some(20))).unwrap();
        assert_eq!(s.train, (0..30).collect::<Vec<_>>());
        assert_eq!(s.test, (0..20).collect::<Vec<_>>());
        assert!(s.validation.is_empty());
    }

    #[test]
    fn a_split_that_leaves_nothing_to_train_is_refused() {
        let e = Split::new(Sampling::Permuted, 100, 10, sizes(100, None, None)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "validation 100 leaves no training image (the training set has 100); use a \
             smaller --validation"
        );
    }
}
