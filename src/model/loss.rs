//! Softmax cross-entropy against integer labels as one op on dfdx's tape.
//!
//! dfdx's `cross_entropy_with_logits_loss` takes one-hot targets and runs a
//! log-softmax, a product and two means as separate ops. Here one pass computes
//! the loss and counts the correct predictions, and the backward pass writes
//! `(softmax − onehot) / denominator` into the logits' gradient. The denominator is
//! the whole batch's size, so the shards of a batch split across threads (each a
//! part of the batch) produce gradients that simply add up to the batch's.

use dfdx::dtypes::Dtype;
use dfdx::shapes::{HasShape, Rank0};
use dfdx::tensor::{Cpu, PutTape, SplitTape, Tape, Tensor, TensorFromVec};

use super::{ModelError, argmax};

/// What [`cross_entropy`] computed.
pub(crate) struct Loss<E: Dtype, T> {
    /// The loss, on the logits' tape.
    pub value: Tensor<Rank0, E, Cpu, T>,
    /// Rows whose largest output (first on ties) is the label.
    pub correct: usize,
}

/// `Σ_rows (logsumexp(row) − row[label]) / denominator` of `logits` `(n, classes)`: the mean
/// cross-entropy when `denominator` is `n`. The loss is computed in `f64`.
pub(crate) fn cross_entropy<E: Dtype, T: Tape<E, Cpu>>(
    logits: Tensor<(usize, usize), E, Cpu, T>,
    labels: &[u8],
    denominator: usize,
) -> Result<Loss<E, T>, ModelError> {
    let (n, classes) = *logits.shape();
    if classes == 0 || labels.len() != n || denominator < n {
        return Err(ModelError::BadInput(format!(
            "cross_entropy: ({n}, {classes}) outputs for {} labels over {denominator}",
            labels.len()
        )));
    }
    if let Some(l) = labels.iter().find(|&&l| l as usize >= classes) {
        return Err(ModelError::BadInput(format!(
            "label {l} is not one of the {classes} classes"
        )));
    }
    let mut zs = vec![E::default(); n * classes];
    logits.copy_into(&mut zs);
    let mut total = 0.0f64;
    let mut correct = 0;
    // Softmax of every row, kept for the backward pass.
    let mut probs = vec![0.0f64; n * classes];
    for ((row, p), &label) in zs
        .chunks_exact(classes)
        .zip(probs.chunks_exact_mut(classes))
        .zip(labels)
    {
        let max = row
            .iter()
            .map(|v| v.to_f64().unwrap_or(f64::NAN))
            .fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        for (p, v) in p.iter_mut().zip(row) {
            *p = (v.to_f64().unwrap_or(f64::NAN) - max).exp();
            sum += *p;
        }
        for p in p.iter_mut() {
            *p /= sum;
        }
        let z = row[label as usize].to_f64().unwrap_or(f64::NAN);
        total += max + sum.ln() - z;
        correct += usize::from(argmax(row) == label as usize);
    }
    let scale = 1.0 / denominator.max(1) as f64;
    let value = E::from_f64(total * scale).unwrap_or_default();
    let out = logits
        .device()
        .clone()
        .try_tensor_from_vec(vec![value], ())
        .map_err(|e| ModelError::BadInput(format!("cross_entropy: {e:?}")))?;

    let labels = labels.to_vec();
    let (logits, mut tape) = logits.split_tape();
    let z_ghost = logits.ghost();
    let out_ghost = out.ghost();
    tape.add_backward_op(move |grads| {
        let g_out = grads.get_or_alloc_mut(&out_ghost)?[0]
            .to_f64()
            .unwrap_or(0.0)
            * scale;
        let g_z = grads.get_or_alloc_mut(&z_ghost)?;
        for ((g, p), &label) in g_z
            .chunks_exact_mut(classes)
            .zip(probs.chunks_exact(classes))
            .zip(&labels)
        {
            for (j, (g, &p)) in g.iter_mut().zip(p).enumerate() {
                let d = p - f64::from(u8::from(j == label as usize));
                *g += E::from_f64(d * g_out).unwrap_or_default();
            }
        }
        Ok(())
    });
    Ok(Loss {
        value: out.put_tape(tape),
        correct,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DIGIT_CLASSES as CLASSES;
    use dfdx::losses::cross_entropy_with_logits_loss;
    use dfdx::prelude::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    #[test]
    fn matches_dfdx_and_finite_differences() {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(4);
        let n = 5;
        let z: Vec<f64> = (0..n * CLASSES).map(|_| rng.gen_range(-3.0..3.0)).collect();
        let labels: Vec<u8> = (0..n).map(|_| rng.gen_range(0..10)).collect();
        let zt = dev.tensor_from_vec(z.clone(), (n, CLASSES));
        let loss = cross_entropy(zt.leaky_trace(), &labels, n).unwrap();
        let counted = loss.correct;
        let mine = loss.value.array();
        let g = loss.value.backward().get(&zt).as_vec();

        let mut onehot = vec![0.0f64; n * CLASSES];
        for (i, &l) in labels.iter().enumerate() {
            onehot[i * CLASSES + l as usize] = 1.0;
        }
        let target = dev.tensor_from_vec(onehot, (n, CLASSES));
        let theirs = cross_entropy_with_logits_loss(zt.leaky_trace(), target);
        assert!((mine - theirs.array()).abs() < 1e-12);
        let g2 = theirs.backward().get(&zt).as_vec();
        for (a, b) in g.iter().zip(&g2) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }

        let loss_of = |z: &[f64]| {
            let t = dev.tensor_from_vec(z.to_vec(), (n, CLASSES));
            cross_entropy(t, &labels, n).unwrap().value.array()
        };
        let eps = 1e-6;
        for i in 0..z.len() {
            let (mut zp, mut zm) = (z.clone(), z.clone());
            zp[i] += eps;
            zm[i] -= eps;
            let fd = (loss_of(&zp) - loss_of(&zm)) / (2.0 * eps);
            assert!((fd - g[i]).abs() < 1e-6, "[{i}]: {fd} vs {}", g[i]);
        }
        let expect = z
            .chunks(CLASSES)
            .zip(&labels)
            .filter(|(r, l)| argmax(r) == **l as usize)
            .count();
        assert_eq!(counted, expect);
    }

    #[test]
    fn shards_over_the_whole_batch_add_up_to_the_batch() {
        let dev: Cpu = Default::default();
        let z: Vec<f32> = (0..4 * CLASSES).map(|i| (i % 7) as f32 * 0.3).collect();
        let labels = [1u8, 5, 9, 0];
        let whole = cross_entropy(dev.tensor_from_vec(z.clone(), (4, CLASSES)), &labels, 4)
            .unwrap()
            .value
            .array();
        let part = |r: std::ops::Range<usize>| {
            let t = dev.tensor_from_vec(
                z[r.start * CLASSES..r.end * CLASSES].to_vec(),
                (r.len(), CLASSES),
            );
            cross_entropy(t, &labels[r], 4).unwrap().value.array()
        };
        assert!((part(0..1) + part(1..4) - whole).abs() < 1e-6);
    }

    #[test]
    fn rejects_bad_labels_and_shapes() {
        let dev: Cpu = Default::default();
        let t = || dev.tensor_from_vec(vec![0.0f32; 2 * CLASSES], (2, CLASSES));
        assert!(cross_entropy(t(), &[1, 10], 2).is_err());
        assert!(cross_entropy(t(), &[1], 2).is_err());
        assert!(cross_entropy(t(), &[1, 2], 1).is_err());
    }
}
