//! Training-mode inverted dropout as one op on dfdx's tape (PyTorch's `Dropout(p)`
//! in `train()` mode): each element is zeroed with probability `p` and the others
//! are scaled by `1/(1 − p)`, so the layer's expected output is its input and
//! evaluation simply leaves the op out.
//!
//! The mask is stateless: whether element `j` of sample `s` is dropped depends
//! only on `(seed, step, layer, s, j)`, through SplitMix64. The row's seed is the
//! key's fields and the sample index absorbed one after another by SplitMix64's
//! mixing function; element `j`'s uniform is output `j` of the SplitMix64 stream
//! from that seed. A batch split into shards at any boundary therefore gets the
//! same masks as when it runs whole, as long as each shard passes the index of its
//! first sample within the batch ([`DropoutKey::first_sample`]), and a run
//! resumed at a step draws what it would have drawn.
//!
//! The output is `x · m` with `m` 0 or the scale, as in PyTorch, so a dropped NaN
//! stays NaN; the gradient is `dy · m`.

use dfdx::dtypes::Dtype;
use dfdx::shapes::HasShape;
use dfdx::tensor::{Cpu, Tape, Tensor};

use super::ModelError;
use super::unary::{record, values};

/// Everything a dropout mask depends on, but the element's place in its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DropoutKey {
    /// The run's seed.
    pub seed: u64,
    /// The training step (a new mask every step).
    pub step: u64,
    /// Which dropout layer of the network (a different mask per layer).
    pub layer: u32,
    /// Index within the whole batch of this tensor's first row.
    pub first_sample: usize,
}

/// SplitMix64's increment, the golden ratio in 64 bits.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: a bijection of 64-bit values with full avalanche.
fn mix(z: u64) -> u64 {
    let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The state `h` with `v` absorbed into it.
fn absorb(h: u64, v: u64) -> u64 {
    mix(h ^ mix(v.wrapping_add(GOLDEN)))
}

impl DropoutKey {
    /// The seed of row `r`'s stream (sample `first_sample + r`).
    fn row_seed(&self, r: usize) -> u64 {
        let sample = (self.first_sample as u64).wrapping_add(r as u64);
        let h = mix(self.seed.wrapping_add(GOLDEN));
        let h = absorb(h, self.step);
        let h = absorb(h, u64::from(self.layer));
        absorb(h, sample)
    }
}

/// Uniform in `[0, 1)` of element `j` of the row whose seed is `row_seed`: output
/// `j` of SplitMix64 from that seed, its top 53 bits.
fn uniform(row_seed: u64, j: usize) -> f64 {
    let bits = mix(row_seed.wrapping_add((j as u64).wrapping_add(1).wrapping_mul(GOLDEN)));
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Inverted dropout of `x` `(batch, features)` with drop probability `p`: `p = 0`
/// returns `x` unchanged (no op on the tape); otherwise `0 < p < 1` is required.
pub(crate) fn dropout<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    p: f64,
    key: DropoutKey,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    if p == 0.0 {
        return Ok(x);
    }
    if !(p > 0.0 && p < 1.0) {
        return Err(ModelError::BadInput(format!(
            "dropout: probability {p} is not in [0, 1)"
        )));
    }
    let scale = E::from_f64(1.0 / (1.0 - p)).ok_or_else(|| {
        ModelError::BadInput(format!(
            "dropout: the scale 1/(1 − {p}) does not fit the element type"
        ))
    })?;
    let n = x.shape().1;
    let mut xs = values(&x);
    let mut kept = vec![false; xs.len()];
    let zero = E::default();
    for (r, (row, kept)) in xs
        .chunks_mut(n.max(1))
        .zip(kept.chunks_mut(n.max(1)))
        .enumerate()
    {
        let seed = key.row_seed(r);
        for (j, (v, k)) in row.iter_mut().zip(kept).enumerate() {
            *k = uniform(seed, j) >= p;
            *v *= if *k { scale } else { zero };
        }
    }
    record(x, xs, n, "dropout", move |dy, g_x| {
        for ((g, &d), &k) in g_x.iter_mut().zip(dy).zip(&kept) {
            *g += d * if k { scale } else { zero };
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfdx::prelude::{Backward, SumTo, TensorFromVec, Trace};
    use rand::{Rng, SeedableRng, rngs::StdRng};

    const KEY: DropoutKey = DropoutKey {
        seed: 42,
        step: 7,
        layer: 1,
        first_sample: 0,
    };

    /// Dropout the slow way: every element's uniform computed from scratch.
    fn naive(x: &[f64], n: usize, p: f64, key: DropoutKey) -> Vec<f64> {
        x.iter()
            .enumerate()
            .map(|(i, &v)| {
                let (r, j) = (i / n, i % n);
                let dropped = uniform(key.row_seed(r), j) < p;
                if dropped {
                    v * 0.0
                } else {
                    v * (1.0 / (1.0 - p))
                }
            })
            .collect()
    }

    /// Which elements of a `(rows, n)` batch are kept.
    fn mask(rows: usize, n: usize, p: f64, key: DropoutKey) -> Vec<bool> {
        let dev: Cpu = Default::default();
        let ones = dev.tensor_from_vec(vec![1.0f64; rows * n], (rows, n));
        dropout(ones, p, key)
            .unwrap()
            .as_vec()
            .iter()
            .map(|&v| v != 0.0)
            .collect()
    }

    #[test]
    fn matches_naive_dropout_and_finite_differences() {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(51);
        for (rows, n, p) in [(4, 9, 0.5), (3, 16, 0.2), (6, 5, 0.9)] {
            let x: Vec<f64> = (0..rows * n).map(|_| rng.gen_range(-1.0..1.0)).collect();
            let r: Vec<f64> = (0..rows * n).map(|_| rng.gen_range(-1.0..1.0)).collect();
            let key = DropoutKey {
                first_sample: 3,
                ..KEY
            };
            let xt = dev.tensor_from_vec(x.clone(), (rows, n));
            let y = dropout(xt.leaky_trace(), p, key).unwrap();
            let want = naive(&x, n, p, key);
            assert_eq!(y.as_vec(), want);
            let gx = (y * dev.tensor_from_vec(r.clone(), (rows, n)))
                .sum()
                .backward()
                .get(&xt)
                .as_vec();
            // The gradient is the mask times the scale (times the upstream r).
            for i in 0..x.len() {
                let m = if want[i] == 0.0 { 0.0 } else { 1.0 / (1.0 - p) };
                assert_eq!(gx[i], r[i] * m, "({rows}, {n}, {p}) [{i}]");
            }
            let loss = |x: &[f64]| -> f64 {
                let t = dev.tensor_from_vec(x.to_vec(), (rows, n));
                let y = dropout(t, p, key).unwrap().as_vec();
                y.iter().zip(&r).map(|(a, b)| a * b).sum()
            };
            let eps = 1e-6;
            for i in 0..x.len() {
                let (mut xp, mut xm) = (x.clone(), x.clone());
                xp[i] += eps;
                xm[i] -= eps;
                let fd = (loss(&xp) - loss(&xm)) / (2.0 * eps);
                assert!((fd - gx[i]).abs() < 1e-8, "dx[{i}]: {fd} vs {}", gx[i]);
            }
        }
    }

    #[test]
    fn shards_get_the_masks_of_the_whole_batch() {
        let (rows, n, p) = (13, 11, 0.4);
        let whole = mask(rows, n, p, KEY);
        for cuts in [vec![1], vec![6], vec![12], vec![3, 7], vec![1, 2, 3, 9]] {
            let mut joined = Vec::new();
            let mut start = 0;
            for end in cuts.into_iter().chain([rows]) {
                let shard = DropoutKey {
                    first_sample: start,
                    ..KEY
                };
                joined.extend(mask(end - start, n, p, shard));
                start = end;
            }
            assert_eq!(joined, whole);
        }
    }

    #[test]
    fn drops_about_p_of_the_elements() {
        // 10⁵ elements: a binomial's standard deviation is at most 0.16% of them,
        // so ±1% is over 6 of them (and the masks are fixed by the keys).
        for (p, seed) in [(0.1, 1), (0.3, 2), (0.5, 3), (0.9, 4), (0.5, u64::MAX)] {
            let key = DropoutKey { seed, ..KEY };
            let m = mask(250, 400, p, key);
            let dropped = m.iter().filter(|&&k| !k).count() as f64 / m.len() as f64;
            assert!((dropped - p).abs() < 0.01, "p = {p}: dropped {dropped}");
        }
    }

    #[test]
    fn every_field_of_the_key_changes_the_mask() {
        let (rows, n, p) = (8, 50, 0.5);
        let base = mask(rows, n, p, KEY);
        for other in [
            DropoutKey { seed: 43, ..KEY },
            DropoutKey { step: 8, ..KEY },
            DropoutKey { layer: 2, ..KEY },
            DropoutKey {
                first_sample: 1,
                ..KEY
            },
        ] {
            let m = mask(rows, n, p, other);
            let differ = m.iter().zip(&base).filter(|(a, b)| a != b).count();
            // Independent masks differ in about half the 400 places.
            assert!((100..300).contains(&differ), "{other:?}: {differ} differ");
        }
        // Columns are not copies of each other either.
        let col = |j: usize| (0..rows).map(|r| base[r * n + j]).collect::<Vec<_>>();
        assert!((1..n).any(|j| col(j) != col(0)));
    }

    #[test]
    fn zero_is_the_identity_and_bad_probabilities_are_refused() {
        let dev: Cpu = Default::default();
        let xt = dev.tensor_from_vec(vec![1.5f32, -2.0, f32::NAN, 4.0], (2, 2));
        let y = dropout(xt.leaky_trace(), 0.0, KEY).unwrap();
        let v = y.as_vec();
        assert_eq!((v[0], v[1], v[3]), (1.5, -2.0, 4.0));
        assert!(v[2].is_nan());
        assert_eq!(y.sum().backward().get(&xt).as_vec(), vec![1.0; 4]);
        for p in [-0.1, 1.0, 1.5, f64::NAN] {
            assert!(dropout(xt.clone(), p, KEY).is_err(), "p = {p}");
        }
    }

    #[test]
    fn dropped_nan_stays_nan_as_in_pytorch() {
        let dev: Cpu = Default::default();
        let n = 64;
        let m = mask(1, n, 0.5, KEY);
        let x = dev.tensor_from_vec(vec![f32::NAN; n], (1, n));
        let y = dropout(x, 0.5, KEY).unwrap().as_vec();
        assert!(m.contains(&false) && y.iter().all(|v| v.is_nan()));
        // f32: kept values are scaled by 1/(1 − p) rounded to f32.
        let x = dev.tensor_from_vec(vec![3.0f32; n], (1, n));
        let y = dropout(x, 0.3, KEY).unwrap().as_vec();
        let scale = (1.0 / 0.7f64) as f32;
        assert!(y.iter().all(|&v| v == 0.0 || v == 3.0 * scale));
    }
}
