//! 2×2 max-pooling (stride 2, floor) over NHWC images flattened per sample as
//! `(batch, h·w·c)`; the backward pass routes each output gradient to the input
//! that won the max (the first one on ties, as PyTorch).

use dfdx::dtypes::Dtype;
use dfdx::shapes::HasShape;
use dfdx::tensor::{Cpu, PutTape, SplitTape, Tape, Tensor, TensorFromVec};

use super::ModelError;

/// Shape of the images being pooled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolGeom {
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Channels.
    pub c: usize,
}

impl PoolGeom {
    /// Output height (`h / 2`, rounded down).
    pub fn out_h(&self) -> usize {
        self.h / 2
    }
    /// Output width (`w / 2`, rounded down).
    pub fn out_w(&self) -> usize {
        self.w / 2
    }
    /// Floats per input image.
    pub fn in_len(&self) -> usize {
        self.h * self.w * self.c
    }
    /// Floats per output image.
    pub fn out_len(&self) -> usize {
        self.out_h() * self.out_w() * self.c
    }
}

/// 2×2 max-pool of `x` (`(batch, h·w·c)`) into `(batch, (h/2)·(w/2)·c)`.
pub(crate) fn max_pool2<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    g: PoolGeom,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    let (batch, n) = *x.shape();
    if n != g.in_len() || g.h < 2 || g.w < 2 {
        return Err(ModelError::BadInput(format!(
            "max_pool2: {n} floats per image do not fit {g:?}"
        )));
    }
    let (oh, ow, c, out_len) = (g.out_h(), g.out_w(), g.c, g.out_len());
    let mut xs = vec![E::default(); batch * n];
    x.copy_into(&mut xs);
    let mut out = vec![E::default(); batch * out_len];
    // Flat input index of the winner of every output.
    let mut arg = vec![0u32; batch * out_len];
    let row = g.w * c;
    for b in 0..batch {
        for oy in 0..oh {
            for ox in 0..ow {
                let o = ((b * oh + oy) * ow + ox) * c;
                let t0 = ((b * g.h + 2 * oy) * g.w + 2 * ox) * c;
                let taps = [t0, t0 + c, t0 + row, t0 + row + c];
                let outs = out[o..o + c].iter_mut().zip(&mut arg[o..o + c]);
                for (ch, (out, arg)) in outs.enumerate() {
                    let mut best = taps[0] + ch;
                    let mut best_v = xs[best];
                    for &t in &taps[1..] {
                        // NaN wins, as in PyTorch, so that it propagates.
                        let v = xs[t + ch];
                        if v > best_v || is_nan(v) {
                            best = t + ch;
                            best_v = v;
                        }
                    }
                    *out = best_v;
                    *arg = best as u32;
                }
            }
        }
    }
    let dev = x.device().clone();
    let out = dev
        .try_tensor_from_vec(out, (batch, out_len))
        .map_err(|e| ModelError::BadInput(format!("max_pool2: {e:?}")))?;

    let (x, mut tape) = x.split_tape();
    let x_ghost = x.ghost();
    let out_ghost = out.ghost();
    tape.add_backward_op(move |grads| {
        // Only this op reads its output's gradient, after all consumers wrote it.
        let g_out: Vec<E> = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
        let g_x = grads.get_or_alloc_mut(&x_ghost)?;
        for (&i, &go) in arg.iter().zip(&g_out) {
            g_x[i as usize] += go;
        }
        Ok(())
    });
    Ok(out.put_tape(tape))
}

/// `v` is NaN (the one value not equal to itself).
#[allow(clippy::eq_op)]
fn is_nan<E: PartialEq>(v: E) -> bool {
    v != v
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfdx::prelude::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn naive_pool(x: &[f64], batch: usize, g: PoolGeom) -> Vec<f64> {
        let mut out = Vec::new();
        for b in 0..batch {
            for oy in 0..g.out_h() {
                for ox in 0..g.out_w() {
                    for ch in 0..g.c {
                        let at = |y: usize, xx: usize| x[((b * g.h + y) * g.w + xx) * g.c + ch];
                        let m = at(2 * oy, 2 * ox)
                            .max(at(2 * oy, 2 * ox + 1))
                            .max(at(2 * oy + 1, 2 * ox))
                            .max(at(2 * oy + 1, 2 * ox + 1));
                        out.push(m);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn matches_naive_pooling_and_finite_differences() {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(3);
        for g in [PoolGeom { h: 4, w: 6, c: 3 }, PoolGeom { h: 5, w: 5, c: 2 }] {
            let batch = 2;
            let x: Vec<f64> = (0..batch * g.in_len())
                .map(|_| rng.gen_range(-1.0..1.0))
                .collect();
            let r: Vec<f64> = (0..batch * g.out_len())
                .map(|_| rng.gen_range(-1.0..1.0))
                .collect();
            let xt = dev.tensor_from_vec(x.clone(), (batch, g.in_len()));
            let rt = dev.tensor_from_vec(r.clone(), (batch, g.out_len()));
            let y = max_pool2(xt.leaky_trace(), g).unwrap();
            assert_eq!(y.as_vec(), naive_pool(&x, batch, g));
            let grads = (y * rt).sum::<Rank0, _>().backward();
            let gx = grads.get(&xt).as_vec();
            let loss = |x: &[f64]| -> f64 {
                naive_pool(x, batch, g)
                    .iter()
                    .zip(&r)
                    .map(|(a, b)| a * b)
                    .sum()
            };
            let eps = 1e-6;
            for i in 0..x.len() {
                let (mut xp, mut xm) = (x.clone(), x.clone());
                xp[i] += eps;
                xm[i] -= eps;
                let fd = (loss(&xp) - loss(&xm)) / (2.0 * eps);
                assert!(
                    (fd - gx[i]).abs() < 1e-6,
                    "{g:?} dx[{i}]: fd {fd} vs {}",
                    gx[i]
                );
            }
        }
    }

    #[test]
    fn ties_go_to_the_first_input() {
        let dev: Cpu = Default::default();
        let g = PoolGeom { h: 2, w: 2, c: 1 };
        let xt = dev.tensor_from_vec(vec![0.0f32; 4], (1, 4));
        let y = max_pool2(xt.leaky_trace(), g).unwrap();
        let grads = y.sum::<Rank0, _>().backward();
        assert_eq!(grads.get(&xt).as_vec(), vec![1.0, 0.0, 0.0, 0.0]);
    }
}
