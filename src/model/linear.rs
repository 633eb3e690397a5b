//! A dense layer as one op on dfdx's tape: `y = act(x · W + b)`, with `act` a ReLU
//! (PyTorch's: NaN passes through) or the identity.
//!
//! One op instead of dfdx's matmul, broadcast add and ReLU: the bias is the
//! product's starting value, the ReLU runs over the product while it is in cache,
//! and the backward pass adds `xᵀ·dy` and `dy·Wᵀ` straight into the gradient
//! buffers. The input's gradient is skipped for a network's first layer, whose
//! input is the images (a third of an MLP's backward work).

use dfdx::dtypes::Dtype;
use dfdx::shapes::HasShape;
use dfdx::tensor::{Cpu, PutTape, SplitTape, Tape, Tensor, TensorFromVec};

use super::ModelError;
use super::gemm::{View, gemm_into};
use super::param::{Bias, Weight};

/// Whether an op computes the gradient of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputGrad {
    /// Compute it (a hidden layer's input).
    Needed,
    /// Skip it (the network's input images: nothing reads their gradient).
    Skip,
}

/// Applies PyTorch's ReLU in place (values `> 0` and NaN kept) and records which
/// values pass their gradient.
pub(crate) fn relu_in_place<E: Dtype>(ys: &mut [E]) -> Vec<bool> {
    let zero = E::default();
    ys.iter_mut()
        .map(|y| {
            // Keep positive values and NaN (the one value not equal to itself).
            #[allow(clippy::eq_op)]
            let keep = *y > zero || *y != *y;
            if !keep {
                *y = zero;
            }
            keep
        })
        .collect()
}

/// `act(x · W + b)` for `x` `(m, k)`, `W` `(k, n)`, `b` `(n,)`: `(m, n)`.
pub(crate) fn linear<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    w: &Weight<E>,
    b: &Bias<E>,
    relu: bool,
    input: InputGrad,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    let (m, k) = *x.shape();
    let (k2, n) = w.shape();
    if k != k2 || b.shape().0 != n {
        return Err(ModelError::BadInput(format!(
            "shape mismatch: ({m}, {k}) · ({k2}, {n}) + ({},)",
            b.shape().0
        )));
    }
    let mut xs = vec![E::default(); m * k];
    x.copy_into(&mut xs);
    let mut ys = Vec::with_capacity(m * n);
    for _ in 0..m {
        ys.extend_from_slice(b.values());
    }
    gemm_into(
        &mut ys,
        View::new(&xs, m, k),
        View::new(w.values(), k, n),
        true,
    );
    let keep = if relu {
        relu_in_place(&mut ys)
    } else {
        Vec::new()
    };
    let out = x
        .device()
        .clone()
        .try_tensor_from_vec(ys, (m, n))
        .map_err(|e| ModelError::BadInput(format!("linear: {e:?}")))?;

    let (x, mut tape) = x.split_tape();
    let x_ghost = x.ghost();
    let (w_key, b_key) = (w.key().ghost(), b.key().ghost());
    let ws = w.shared();
    let out_ghost = out.ghost();
    tape.add_backward_op(move |grads| {
        // Only this op reads its output's gradient, after all consumers wrote it.
        let mut dy: Vec<E> = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
        if relu {
            for (g, &k) in dy.iter_mut().zip(&keep) {
                if !k {
                    *g = E::default();
                }
            }
        }
        let g_b = grads.get_or_alloc_mut(&b_key)?;
        for row in dy.chunks_exact(n) {
            for (gb, &g) in g_b.iter_mut().zip(row) {
                *gb += g;
            }
        }
        let dy_view = View::new(&dy, m, n);
        gemm_into(
            grads.get_or_alloc_mut(&w_key)?,
            View::new(&xs, m, k).t(),
            dy_view,
            true,
        );
        if input == InputGrad::Needed {
            gemm_into(
                grads.get_or_alloc_mut(&x_ghost)?,
                dy_view,
                View::new(&ws, k, n).t(),
                true,
            );
        }
        Ok(())
    });
    Ok(out.put_tape(tape))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfdx::prelude::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn rand_vec(rng: &mut StdRng, n: usize) -> Vec<f64> {
        (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect()
    }

    /// `act(x·W + b)` the slow way.
    fn naive(x: &[f64], w: &[f64], b: &[f64], m: usize, k: usize, relu: bool) -> Vec<f64> {
        let n = b.len();
        let mut y = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let v = b[j] + (0..k).map(|p| x[i * k + p] * w[p * n + j]).sum::<f64>();
                y[i * n + j] = if relu { v.max(0.0) } else { v };
            }
        }
        y
    }

    #[test]
    fn matches_naive_layer_dfdx_and_finite_differences() {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(11);
        for (m, k, n, relu) in [
            (3, 4, 5, true),
            (1, 7, 2, false),
            (17, 33, 9, true),
            (64, 25, 6, false),
        ] {
            let x = rand_vec(&mut rng, m * k);
            let w = rand_vec(&mut rng, k * n);
            let b = rand_vec(&mut rng, n);
            let r = rand_vec(&mut rng, m * n);
            let xt = dev.tensor_from_vec(x.clone(), (m, k));
            let wp = Weight::new(&dev, w.clone(), (k, n)).unwrap();
            let bp = Bias::new(&dev, b.clone(), (n,)).unwrap();
            let rt = dev.tensor_from_vec(r.clone(), (m, n));
            let y = linear(xt.leaky_trace(), &wp, &bp, relu, InputGrad::Needed).unwrap();
            for (a, e) in y.as_vec().iter().zip(naive(&x, &w, &b, m, k, relu)) {
                assert!((a - e).abs() < 1e-12, "({m},{k},{n}): {a} vs {e}");
            }
            let mut grads = (y * rt.clone()).sum().backward();
            let gx = grads.get(&xt).as_vec();
            let gw = wp.grad_mut(&mut grads).unwrap().to_vec();
            let gb = bp.grad_mut(&mut grads).unwrap().to_vec();

            // dfdx's own matmul + broadcast add (+ relu) gives the same gradients.
            let (wt, bt) = (
                dev.tensor_from_vec(w.clone(), (k, n)),
                dev.tensor_from_vec(b.clone(), (n,)),
            );
            let z = xt.leaky_trace().matmul(wt.clone())
                + bt.clone().broadcast_like::<_, Axis<0>>(&(m, n));
            let z = if relu { z.relu() } else { z };
            let g2 = (z * rt).sum().backward();
            for (mine, theirs) in [(&gx, g2.get(&xt)), (&gw, g2.get(&wt))] {
                for (a, e) in mine.iter().zip(theirs.as_vec()) {
                    assert!((a - e).abs() < 1e-12);
                }
            }
            for (a, e) in gb.iter().zip(g2.get(&bt).as_vec()) {
                assert!((a - e).abs() < 1e-12);
            }

            let loss = |x: &[f64], w: &[f64], b: &[f64]| -> f64 {
                naive(x, w, b, m, k, relu)
                    .iter()
                    .zip(&r)
                    .map(|(a, b)| a * b)
                    .sum()
            };
            let eps = 1e-6;
            let fd = |f: &dyn Fn(f64) -> f64| (f(eps) - f(-eps)) / (2.0 * eps);
            for i in 0..x.len() {
                let d = fd(&|e| {
                    let mut xp = x.clone();
                    xp[i] += e;
                    loss(&xp, &w, &b)
                });
                assert!((d - gx[i]).abs() < 1e-6, "dx[{i}]: {d} vs {}", gx[i]);
            }
            for i in 0..w.len() {
                let d = fd(&|e| {
                    let mut wp = w.clone();
                    wp[i] += e;
                    loss(&x, &wp, &b)
                });
                assert!((d - gw[i]).abs() < 1e-6, "dw[{i}]: {d} vs {}", gw[i]);
            }
            for i in 0..b.len() {
                let d = fd(&|e| {
                    let mut bp = b.clone();
                    bp[i] += e;
                    loss(&x, &w, &bp)
                });
                assert!((d - gb[i]).abs() < 1e-6, "db[{i}]: {d} vs {}", gb[i]);
            }
        }
    }

    #[test]
    fn skipped_input_gradient_is_not_computed() {
        let dev: Cpu = Default::default();
        let xt = dev.tensor_from_vec(vec![1.0f32, 2.0], (1, 2));
        let w = Weight::new(&dev, vec![3.0f32, 4.0], (2, 1)).unwrap();
        let b = Bias::new(&dev, vec![0.5f32], (1,)).unwrap();
        let y = linear(xt.leaky_trace(), &w, &b, false, InputGrad::Skip).unwrap();
        assert_eq!(y.as_vec(), vec![11.5]);
        let mut grads = y.sum().backward();
        assert_eq!(w.grad_mut(&mut grads).unwrap(), &[1.0, 2.0]);
        assert_eq!(&grads.get_or_alloc_mut(&xt).unwrap()[..], &[0.0, 0.0]);
    }

    #[test]
    fn relu_keeps_nan_and_rejects_bad_shapes() {
        let mut v = vec![f32::NAN, -1.0, 2.0];
        assert_eq!(relu_in_place(&mut v), vec![true, false, true]);
        assert!(v[0].is_nan() && v[1] == 0.0 && v[2] == 2.0);
        let dev: Cpu = Default::default();
        let xt = dev.tensor_from_vec(vec![0.0f32; 6], (2, 3));
        let w = Weight::new(&dev, vec![0.0f32; 8], (4, 2)).unwrap();
        let b = Bias::new(&dev, vec![0.0f32; 2], (2,)).unwrap();
        assert!(linear(xt, &w, &b, true, InputGrad::Needed).is_err());
    }
}
