//! A conv block as one op on dfdx's tape: `relu(maxpool2(conv(x, W)) + b)`, the
//! unit LeNet-5 and the `cnn` are built from.
//!
//! Inside, `im2col` unfolds the images (`conv.rs`), one single-threaded GEMM
//! multiplies the patches by the kernels, and the pooling, bias and ReLU run in
//! one pass (`pool.rs`). Only the block's pooled output becomes a tensor: the
//! patches and the full-resolution convolution output stay inside the op, so the
//! tape holds one tensor (and dfdx allocates one gradient) per block instead of
//! four. The backward pass computes the kernels' gradient (`colsᵀ · dconv`) and,
//! unless the input is the images, the input's (`dconv · Wᵀ` folded back by
//! `col2im`).
//!
//! Both passes work [`CHUNK`] images at a time, so the patches and the convolution
//! output of a chunk (under 1 MB for the `cnn`) stay in the core's cache between
//! the steps that write and read them. Large patch sets (the second layers', 9× or
//! 25× their input) are unfolded again in the backward pass from the saved input
//! instead of being kept; small ones (a first layer's, one input channel) are kept.

use dfdx::dtypes::Dtype;
use dfdx::shapes::HasShape;
use dfdx::tensor::{Cpu, PutTape, SplitTape, Tape, Tensor, TensorFromVec};

use super::ModelError;
use super::conv::{ConvGeom, col2im_add, im2col_into};
use super::gemm::{View, gemm_into, gemm_new};
use super::linear::InputGrad;
use super::param::{Bias, Weight};
use super::pool::{self, PoolGeom};

/// Images per im2col → GEMM → pool pass (also `conv2d.rs`'s chunk).
pub(super) const CHUNK: usize = 8;
/// Bytes of patches up to which the forward pass keeps them for the backward one
/// (a shard of a first layer, one input channel: 1.8–2.5 MB). `conv2d.rs` too.
pub(super) const KEEP_PATCHES: usize = 4 << 20;

/// The pooling that follows a convolution of geometry `g` with `cout` kernels.
pub(crate) fn pool_geom(g: ConvGeom, cout: usize) -> PoolGeom {
    PoolGeom {
        h: g.out_h(),
        w: g.out_w(),
        c: cout,
    }
}

/// `relu(maxpool2(conv(x, w)) + b)` for `x` `(batch, h·w·c)`, kernels `w`
/// `(k·k·c, cout)` and bias `b` `(cout,)`: `(batch, (oh/2)·(ow/2)·cout)`.
pub(crate) fn conv_block<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    w: &Weight<E>,
    b: &Bias<E>,
    g: ConvGeom,
    input: InputGrad,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    conv_block_keeping(x, w, b, g, input, KEEP_PATCHES)
}

/// [`conv_block`] keeping the patches for the backward pass when they take at most
/// `keep_bytes`.
fn conv_block_keeping<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    w: &Weight<E>,
    b: &Bias<E>,
    g: ConvGeom,
    input: InputGrad,
    keep_bytes: usize,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    let (batch, n) = *x.shape();
    let (plen, cout) = w.shape();
    let pg = pool_geom(g, cout);
    if n != g.in_len() || !g.is_valid() || plen != g.patch_len() || b.shape().0 != cout {
        return Err(ModelError::BadInput(format!(
            "conv block: {n} floats per image, kernels ({plen}, {cout}) and bias ({},) do not fit {g:?}",
            b.shape().0
        )));
    }
    if pg.out_len() == 0 {
        return Err(ModelError::BadInput(format!(
            "conv block: {g:?} leaves nothing to pool"
        )));
    }
    let mut xs = vec![E::default(); batch * n];
    x.copy_into(&mut xs);
    let wv = w.values();
    let (mut ys, mut codes) = (
        vec![E::default(); batch * pg.out_len()],
        vec![0u8; batch * pg.out_len()],
    );
    let chunk_cols = CHUNK * g.out_h() * g.out_w() * plen;
    // Small patch sets (one input channel) are kept for the backward pass; large
    // ones are unfolded again there, a chunk at a time.
    let mut saved = Vec::new();
    let keep = batch * g.out_h() * g.out_w() * plen * std::mem::size_of::<E>() <= keep_bytes;
    if keep {
        im2col_into(&xs, g, &mut saved);
    }
    let mut cols = Vec::new();
    let chunks = xs
        .chunks(CHUNK * n)
        .zip(ys.chunks_mut(CHUNK * pg.out_len()))
        .zip(codes.chunks_mut(CHUNK * pg.out_len()));
    for (i, ((x_chunk, y_chunk), code_chunk)) in chunks.enumerate() {
        let patches: &[E] = if keep {
            let len = x_chunk.len() / n * g.out_h() * g.out_w() * plen;
            &saved[i * chunk_cols..][..len]
        } else {
            im2col_into(x_chunk, g, &mut cols);
            &cols
        };
        let rows = patches.len() / plen;
        let conv = gemm_new(View::new(patches, rows, plen), View::new(wv, plen, cout));
        pool::forward_into(&conv, pg, b.values(), y_chunk, code_chunk);
    }
    let out = x
        .device()
        .clone()
        .try_tensor_from_vec(ys, (batch, pg.out_len()))
        .map_err(|e| ModelError::BadInput(format!("conv block: {e:?}")))?;

    let (x, mut tape) = x.split_tape();
    let x_ghost = x.ghost();
    let (w_key, b_key) = (w.key().ghost(), b.key().ghost());
    let ws = w.shared();
    let out_ghost = out.ghost();
    tape.add_backward_op(move |grads| {
        // Only this op reads its output's gradient, after all consumers wrote it.
        let dy: Vec<E> = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
        let mut g_w = std::mem::take(&mut **grads.get_or_alloc_mut(&w_key)?);
        let mut g_b = std::mem::take(&mut **grads.get_or_alloc_mut(&b_key)?);
        let mut g_x = match input {
            InputGrad::Needed => std::mem::take(&mut **grads.get_or_alloc_mut(&x_ghost)?),
            InputGrad::Skip => Vec::new(),
        };
        let (mut cols, mut d_conv) = (Vec::new(), Vec::new());
        for (i, (x_chunk, dy_chunk)) in xs
            .chunks(CHUNK * n)
            .zip(dy.chunks(CHUNK * pg.out_len()))
            .enumerate()
        {
            let len = x_chunk.len() / n * g.out_h() * g.out_w() * plen;
            let cols: &mut [E] = if keep {
                &mut saved[i * chunk_cols..][..len]
            } else {
                im2col_into(x_chunk, g, &mut cols);
                &mut cols
            };
            let rows = cols.len() / plen;
            d_conv.clear();
            d_conv.resize(rows * cout, E::default());
            let code_chunk = &codes[i * CHUNK * pg.out_len()..][..dy_chunk.len()];
            pool::backward(dy_chunk, code_chunk, pg, &mut d_conv, &mut g_b);
            let d_view = View::new(&d_conv, rows, cout);
            gemm_into(&mut g_w, View::new(cols, rows, plen).t(), d_view, true);
            if input == InputGrad::Needed {
                // The chunk's patches are no longer needed: their buffer takes
                // their gradient.
                gemm_into(cols, d_view, View::new(&ws, plen, cout).t(), false);
                col2im_add(cols, g, &mut g_x[i * CHUNK * n..][..x_chunk.len()]);
            }
        }
        **grads.get_or_alloc_mut(&w_key)? = g_w;
        **grads.get_or_alloc_mut(&b_key)? = g_b;
        if input == InputGrad::Needed {
            **grads.get_or_alloc_mut(&x_ghost)? = g_x;
        }
        Ok(())
    });
    Ok(out.put_tape(tape))
}

#[cfg(test)]
mod tests {
    use super::super::conv::tests::{GEOMS, naive_conv, rand_vec};
    use super::*;
    use dfdx::prelude::*;
    use rand::{SeedableRng, rngs::StdRng};

    /// relu(maxpool2(conv) + b), the slow way.
    fn naive_block(x: &[f64], w: &[f64], b: &[f64], batch: usize, g: ConvGeom) -> Vec<f64> {
        let cout = b.len();
        let conv = naive_conv(x, w, batch, g, cout);
        let pg = pool_geom(g, cout);
        let mut out = Vec::new();
        for img in conv.chunks(pg.in_len()) {
            for oy in 0..pg.out_h() {
                for ox in 0..pg.out_w() {
                    for ch in 0..cout {
                        let at = |y: usize, xx: usize| img[(y * pg.w + xx) * cout + ch];
                        let m = at(2 * oy, 2 * ox)
                            .max(at(2 * oy, 2 * ox + 1))
                            .max(at(2 * oy + 1, 2 * ox))
                            .max(at(2 * oy + 1, 2 * ox + 1));
                        out.push((m + b[ch]).max(0.0));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn matches_naive_block_and_finite_differences() {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(9);
        for g in GEOMS
            .into_iter()
            .filter(|g| g.out_h() >= 2 && g.out_w() >= 2)
        {
            let (batch, cout) = (2, 3);
            let x = rand_vec(&mut rng, batch * g.in_len());
            let w = rand_vec(&mut rng, g.patch_len() * cout);
            let b = rand_vec(&mut rng, cout);
            let pg = pool_geom(g, cout);
            let r = rand_vec(&mut rng, batch * pg.out_len());
            let xt = dev.tensor_from_vec(x.clone(), (batch, g.in_len()));
            let wp = Weight::new(&dev, w.clone(), (g.patch_len(), cout)).unwrap();
            let bp = Bias::new(&dev, b.clone(), (cout,)).unwrap();
            let rt = dev.tensor_from_vec(r.clone(), (batch, pg.out_len()));
            let y = conv_block(xt.leaky_trace(), &wp, &bp, g, InputGrad::Needed).unwrap();
            for (a, e) in y.as_vec().iter().zip(naive_block(&x, &w, &b, batch, g)) {
                assert!((a - e).abs() < 1e-12, "{g:?}: {a} vs {e}");
            }
            let mut grads = (y * rt.clone()).sum().backward();
            let gx = grads.get(&xt).as_vec();
            let gw = wp.grad_mut(&mut grads).unwrap().to_vec();
            let gb = bp.grad_mut(&mut grads).unwrap().to_vec();

            let loss = |x: &[f64], w: &[f64], b: &[f64]| -> f64 {
                naive_block(x, w, b, batch, g)
                    .iter()
                    .zip(&r)
                    .map(|(a, b)| a * b)
                    .sum()
            };
            let eps = 1e-6;
            let check = |name: &str, v: &[f64], got: &[f64], f: &dyn Fn(&[f64]) -> f64| {
                for i in 0..v.len() {
                    let (mut p, mut m) = (v.to_vec(), v.to_vec());
                    p[i] += eps;
                    m[i] -= eps;
                    let fd = (f(&p) - f(&m)) / (2.0 * eps);
                    assert!(
                        (fd - got[i]).abs() < 1e-6,
                        "{g:?} {name}[{i}]: {fd} vs {}",
                        got[i]
                    );
                }
            };
            check("dx", &x, &gx, &|v| loss(v, &w, &b));
            check("dw", &w, &gw, &|v| loss(&x, v, &b));
            check("db", &b, &gb, &|v| loss(&x, &w, v));

            // Without the input's gradient, the parameters' gradients are the same.
            let y = conv_block(xt.leaky_trace(), &wp, &bp, g, InputGrad::Skip).unwrap();
            let mut skipped = (y * rt).sum().backward();
            assert_eq!(wp.grad_mut(&mut skipped).unwrap(), &gw[..]);
            assert_eq!(bp.grad_mut(&mut skipped).unwrap(), &gb[..]);
            assert!(
                skipped
                    .get_or_alloc_mut(&xt)
                    .unwrap()
                    .iter()
                    .all(|&v| v == 0.0)
            );
        }
    }

    #[test]
    fn batches_longer_than_a_chunk_match_the_naive_block() {
        // Patches kept for the backward pass, and unfolded again there.
        for keep_bytes in [usize::MAX, 0] {
            check_long_batch(keep_bytes);
        }
    }

    fn check_long_batch(keep_bytes: usize) {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(10);
        let (g, cout, batch) = (GEOMS[1], 2, 2 * CHUNK + 3);
        let x = rand_vec(&mut rng, batch * g.in_len());
        let w = rand_vec(&mut rng, g.patch_len() * cout);
        let b = rand_vec(&mut rng, cout);
        let r = rand_vec(&mut rng, batch * pool_geom(g, cout).out_len());
        let xt = dev.tensor_from_vec(x.clone(), (batch, g.in_len()));
        let wp = Weight::new(&dev, w.clone(), (g.patch_len(), cout)).unwrap();
        let bp = Bias::new(&dev, b.clone(), (cout,)).unwrap();
        let rt = dev.tensor_from_vec(r.clone(), (batch, pool_geom(g, cout).out_len()));
        let y = conv_block_keeping(xt.leaky_trace(), &wp, &bp, g, InputGrad::Needed, keep_bytes)
            .unwrap();
        for (a, e) in y.as_vec().iter().zip(naive_block(&x, &w, &b, batch, g)) {
            assert!((a - e).abs() < 1e-12, "{a} vs {e}");
        }
        let mut grads = (y * rt).sum().backward();
        let gx = grads.get(&xt).as_vec();
        let gw = wp.grad_mut(&mut grads).unwrap().to_vec();
        let loss = |x: &[f64], w: &[f64]| -> f64 {
            naive_block(x, w, &b, batch, g)
                .iter()
                .zip(&r)
                .map(|(a, b)| a * b)
                .sum()
        };
        let eps = 1e-6;
        // Inputs of the last image (past two whole chunks) and every kernel weight.
        for i in (batch - 1) * g.in_len()..batch * g.in_len() {
            let (mut p, mut m) = (x.clone(), x.clone());
            p[i] += eps;
            m[i] -= eps;
            let fd = (loss(&p, &w) - loss(&m, &w)) / (2.0 * eps);
            assert!((fd - gx[i]).abs() < 1e-6, "dx[{i}]: {fd} vs {}", gx[i]);
        }
        for i in 0..w.len() {
            let (mut p, mut m) = (w.clone(), w.clone());
            p[i] += eps;
            m[i] -= eps;
            let fd = (loss(&x, &p) - loss(&x, &m)) / (2.0 * eps);
            assert!((fd - gw[i]).abs() < 1e-6, "dw[{i}]: {fd} vs {}", gw[i]);
        }
    }

    #[test]
    fn rejects_what_does_not_fit() {
        let dev: Cpu = Default::default();
        let g = GEOMS[1];
        let x = dev.tensor_from_vec(vec![0.0f32; 2 * 10], (2, 10));
        let w = Weight::new(&dev, vec![0.0f32; g.patch_len() * 2], (g.patch_len(), 2)).unwrap();
        let b = Bias::new(&dev, vec![0.0f32; 2], (2,)).unwrap();
        assert!(conv_block(x, &w, &b, g, InputGrad::Needed).is_err());
        let x = dev.tensor_from_vec(vec![0.0f32; g.in_len()], (1, g.in_len()));
        let wrong = Bias::new(&dev, vec![0.0f32; 3], (3,)).unwrap();
        assert!(conv_block(x, &w, &wrong, g, InputGrad::Needed).is_err());
    }
}
