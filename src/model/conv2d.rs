//! A plain 2-D convolution as one op on dfdx's tape: `y = conv(x, W) + b`, any
//! stride and zero padding, no pooling and no activation (PyTorch's `Conv2d` with
//! `bias=True`), for networks that put their own ops after it.
//!
//! Same layout and machinery as the fused conv block (`block.rs`): images are NHWC
//! rows `(batch, h·w·c)`, kernels `(k·k·c, cout)` in patch order `(ky, kx, c)`,
//! `im2col` (`conv.rs`) unfolds [`CHUNK`] images at a time and one single-threaded
//! GEMM multiplies them by the kernels into output rows that start as the bias.
//! The output `(batch, oh·ow·cout)` is NHWC too, so its rows are exactly the GEMM's
//! `(pixels, cout)` rows and the backward pass reads the output's gradient in place:
//! `db` sums it, `dW += colsᵀ·dy`, and, unless the input is the images,
//! `dx += col2im(dy·Wᵀ)`. Patch sets up to [`KEEP_PATCHES`] bytes are kept for the
//! backward pass (only when there is a tape), larger ones are unfolded again there.

use dfdx::dtypes::Dtype;
use dfdx::shapes::HasShape;
use dfdx::tensor::{Cpu, PutTape, SplitTape, Tape, Tensor, TensorFromVec};

use super::ModelError;
use super::block::{CHUNK, KEEP_PATCHES};
use super::conv::{ConvGeom, col2im_add, im2col_into};
use super::gemm::{View, gemm_into};
use super::linear::InputGrad;
use super::param::{Bias, Weight};
use super::unary::values;

/// `conv(x, w) + b` for `x` `(batch, h·w·c)`, kernels `w` `(k·k·c, cout)` and bias
/// `b` `(cout,)`: `(batch, oh·ow·cout)`, NHWC, with `oh`, `ow` from `g`.
pub(crate) fn conv2d<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    w: &Weight<E>,
    b: &Bias<E>,
    g: ConvGeom,
    input: InputGrad,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    conv2d_keeping(x, w, b, g, input, KEEP_PATCHES)
}

/// [`conv2d`] keeping the patches for the backward pass when they take at most
/// `keep_bytes`.
fn conv2d_keeping<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    w: &Weight<E>,
    b: &Bias<E>,
    g: ConvGeom,
    input: InputGrad,
    keep_bytes: usize,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    let (batch, n) = *x.shape();
    let (plen, cout) = w.shape();
    if !g.is_valid() || n != g.in_len() || plen != g.patch_len() || b.shape().0 != cout {
        return Err(ModelError::BadInput(format!(
            "conv2d: {n} floats per image, kernels ({plen}, {cout}) and bias ({},) do not fit {g:?}",
            b.shape().0
        )));
    }
    if cout == 0 {
        return Err(ModelError::BadInput("conv2d: no output channels".into()));
    }
    let pixels = g.out_h() * g.out_w();
    let out_len = pixels * cout;
    let xs = values(&x);
    let wv = w.values();
    let mut ys = Vec::with_capacity(batch * out_len);
    for _ in 0..batch * pixels {
        ys.extend_from_slice(b.values());
    }
    let chunk_cols = CHUNK * pixels * plen;
    let keep = T::OWNS_TAPE && batch * pixels * plen * std::mem::size_of::<E>() <= keep_bytes;
    let mut saved = Vec::new();
    if keep {
        im2col_into(&xs, g, &mut saved);
    }
    let mut cols = Vec::new();
    for (i, (x_chunk, y_chunk)) in xs
        .chunks(CHUNK * n)
        .zip(ys.chunks_mut(CHUNK * out_len))
        .enumerate()
    {
        let patches: &[E] = if keep {
            &saved[i * chunk_cols..][..x_chunk.len() / n * pixels * plen]
        } else {
            im2col_into(x_chunk, g, &mut cols);
            &cols
        };
        let rows = patches.len() / plen;
        gemm_into(
            y_chunk,
            View::new(patches, rows, plen),
            View::new(wv, plen, cout),
            true,
        );
    }
    let out = x
        .device()
        .clone()
        .try_tensor_from_vec(ys, (batch, out_len))
        .map_err(|e| ModelError::BadInput(format!("conv2d: {e:?}")))?;

    let (x, mut tape) = x.split_tape();
    let x_ghost = x.ghost();
    let (w_key, b_key) = (w.key().ghost(), b.key().ghost());
    let ws = w.shared();
    let out_ghost = out.ghost();
    tape.add_backward_op(move |grads| {
        // Only this op reads its output's gradient, after all consumers wrote it.
        let dy: Vec<E> = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
        let mut g_w = std::mem::take(&mut **grads.get_or_alloc_mut(&w_key)?);
        let g_b = grads.get_or_alloc_mut(&b_key)?;
        for row in dy.chunks_exact(cout) {
            for (gb, &d) in g_b.iter_mut().zip(row) {
                *gb += d;
            }
        }
        let mut g_x = match input {
            InputGrad::Needed => std::mem::take(&mut **grads.get_or_alloc_mut(&x_ghost)?),
            InputGrad::Skip => Vec::new(),
        };
        let mut cols = Vec::new();
        for (i, (x_chunk, dy_chunk)) in xs
            .chunks(CHUNK * n)
            .zip(dy.chunks(CHUNK * out_len))
            .enumerate()
        {
            let cols: &mut [E] = if keep {
                &mut saved[i * chunk_cols..][..x_chunk.len() / n * pixels * plen]
            } else {
                im2col_into(x_chunk, g, &mut cols);
                &mut cols
            };
            let rows = cols.len() / plen;
            let d_view = View::new(dy_chunk, rows, cout);
            gemm_into(&mut g_w, View::new(cols, rows, plen).t(), d_view, true);
            if input == InputGrad::Needed {
                // The chunk's patches are no longer needed: their buffer takes
                // their gradient.
                gemm_into(cols, d_view, View::new(&ws, plen, cout).t(), false);
                col2im_add(cols, g, &mut g_x[i * CHUNK * n..][..x_chunk.len()]);
            }
        }
        **grads.get_or_alloc_mut(&w_key)? = g_w;
        if input == InputGrad::Needed {
            **grads.get_or_alloc_mut(&x_ghost)? = g_x;
        }
        Ok(())
    });
    Ok(out.put_tape(tape))
}

#[cfg(test)]
mod tests {
    use super::super::conv::tests::{GEOMS, STRIDED_GEOMS, naive_conv, rand_vec};
    use super::*;
    use dfdx::prelude::*;
    use rand::{SeedableRng, rngs::StdRng};

    /// More shapes than `conv.rs`'s: a 5×5 kernel at stride 2, a 1×1 kernel at
    /// stride 1, a 5×5 kernel at stride 3 on a non-square image.
    const MORE: [ConvGeom; 3] = [
        ConvGeom {
            h: 9,
            w: 7,
            c: 3,
            k: 5,
            pad: 2,
            stride: 2,
        },
        ConvGeom {
            h: 4,
            w: 5,
            c: 5,
            k: 1,
            pad: 0,
            stride: 1,
        },
        ConvGeom {
            h: 10,
            w: 11,
            c: 2,
            k: 5,
            pad: 1,
            stride: 3,
        },
    ];

    /// `conv(x, w) + b`, the slow way.
    fn naive(x: &[f64], w: &[f64], b: &[f64], batch: usize, g: ConvGeom) -> Vec<f64> {
        let cout = b.len();
        let mut y = naive_conv(x, w, batch, g, cout);
        for (i, v) in y.iter_mut().enumerate() {
            *v += b[i % cout];
        }
        y
    }

    /// Checks the gradient `got` of `f` at `v` against central finite differences,
    /// for the indices `at`.
    fn check_fd(
        name: &str,
        v: &[f64],
        got: &[f64],
        at: impl Iterator<Item = usize>,
        f: &dyn Fn(&[f64]) -> f64,
    ) {
        let eps = 1e-6;
        for i in at {
            let (mut p, mut m) = (v.to_vec(), v.to_vec());
            p[i] += eps;
            m[i] -= eps;
            let fd = (f(&p) - f(&m)) / (2.0 * eps);
            assert!(
                (fd - got[i]).abs() < 1e-6,
                "{name}[{i}]: {fd} vs {}",
                got[i]
            );
        }
    }

    #[test]
    fn matches_naive_convolution_and_finite_differences() {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(31);
        let geoms = GEOMS.into_iter().chain(STRIDED_GEOMS).chain(MORE);
        for (g, cout) in geoms.zip([3, 1, 4, 2].into_iter().cycle()) {
            let batch = 2;
            let out_len = g.out_h() * g.out_w() * cout;
            let x = rand_vec(&mut rng, batch * g.in_len());
            let w = rand_vec(&mut rng, g.patch_len() * cout);
            let b = rand_vec(&mut rng, cout);
            let r = rand_vec(&mut rng, batch * out_len);
            let xt = dev.tensor_from_vec(x.clone(), (batch, g.in_len()));
            let wp = Weight::new(&dev, w.clone(), (g.patch_len(), cout)).unwrap();
            let bp = Bias::new(&dev, b.clone(), (cout,)).unwrap();
            let rt = dev.tensor_from_vec(r.clone(), (batch, out_len));
            let y = conv2d(xt.leaky_trace(), &wp, &bp, g, InputGrad::Needed).unwrap();
            assert_eq!(*y.shape(), (batch, out_len));
            for (a, e) in y.as_vec().iter().zip(naive(&x, &w, &b, batch, g)) {
                assert!((a - e).abs() < 1e-12, "{g:?}: {a} vs {e}");
            }
            let mut grads = (y * rt.clone()).sum().backward();
            let gx = grads.get(&xt).as_vec();
            let gw = wp.grad_mut(&mut grads).unwrap().to_vec();
            let gb = bp.grad_mut(&mut grads).unwrap().to_vec();

            let loss = |x: &[f64], w: &[f64], b: &[f64]| -> f64 {
                naive(x, w, b, batch, g)
                    .iter()
                    .zip(&r)
                    .map(|(a, b)| a * b)
                    .sum()
            };
            check_fd(&format!("{g:?} dx"), &x, &gx, 0..x.len(), &|v| {
                loss(v, &w, &b)
            });
            check_fd(&format!("{g:?} dw"), &w, &gw, 0..w.len(), &|v| {
                loss(&x, v, &b)
            });
            check_fd(&format!("{g:?} db"), &b, &gb, 0..b.len(), &|v| {
                loss(&x, &w, v)
            });

            // Without the input's gradient, the parameters' gradients are the same.
            let y = conv2d(xt.leaky_trace(), &wp, &bp, g, InputGrad::Skip).unwrap();
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
    fn batches_longer_than_a_chunk_match_the_naive_convolution() {
        // Patches kept for the backward pass, and unfolded again there.
        for keep_bytes in [usize::MAX, 0] {
            for g in [GEOMS[1], STRIDED_GEOMS[0]] {
                check_long_batch(g, keep_bytes);
            }
        }
    }

    fn check_long_batch(g: ConvGeom, keep_bytes: usize) {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(32);
        let (cout, batch) = (2, 2 * CHUNK + 3);
        let out_len = g.out_h() * g.out_w() * cout;
        let x = rand_vec(&mut rng, batch * g.in_len());
        let w = rand_vec(&mut rng, g.patch_len() * cout);
        let b = rand_vec(&mut rng, cout);
        let r = rand_vec(&mut rng, batch * out_len);
        let xt = dev.tensor_from_vec(x.clone(), (batch, g.in_len()));
        let wp = Weight::new(&dev, w.clone(), (g.patch_len(), cout)).unwrap();
        let bp = Bias::new(&dev, b.clone(), (cout,)).unwrap();
        let rt = dev.tensor_from_vec(r.clone(), (batch, out_len));
        let y =
            conv2d_keeping(xt.leaky_trace(), &wp, &bp, g, InputGrad::Needed, keep_bytes).unwrap();
        for (a, e) in y.as_vec().iter().zip(naive(&x, &w, &b, batch, g)) {
            assert!((a - e).abs() < 1e-12, "{a} vs {e}");
        }
        let mut grads = (y * rt).sum().backward();
        let gx = grads.get(&xt).as_vec();
        let gw = wp.grad_mut(&mut grads).unwrap().to_vec();
        let loss = |x: &[f64], w: &[f64]| -> f64 {
            naive(x, w, &b, batch, g)
                .iter()
                .zip(&r)
                .map(|(a, b)| a * b)
                .sum()
        };
        // Inputs of the last image (past two whole chunks) and every kernel weight.
        let last = (batch - 1) * g.in_len()..batch * g.in_len();
        check_fd("dx", &x, &gx, last, &|v| loss(v, &w));
        check_fd("dw", &w, &gw, 0..w.len(), &|v| loss(&x, v));
    }

    #[test]
    fn inference_without_a_tape_gives_the_same_output() {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(33);
        let (g, cout, batch) = (MORE[0], 3, 3);
        let x = rand_vec(&mut rng, batch * g.in_len());
        let wp = Weight::new(
            &dev,
            rand_vec(&mut rng, g.patch_len() * cout),
            (g.patch_len(), cout),
        )
        .unwrap();
        let bp = Bias::new(&dev, rand_vec(&mut rng, cout), (cout,)).unwrap();
        let xt = dev.tensor_from_vec(x, (batch, g.in_len()));
        let plain = conv2d(xt.clone(), &wp, &bp, g, InputGrad::Skip).unwrap();
        let traced = conv2d(xt.leaky_trace(), &wp, &bp, g, InputGrad::Needed).unwrap();
        assert_eq!(plain.as_vec(), traced.as_vec());
    }

    #[test]
    fn rejects_what_does_not_fit() {
        let dev: Cpu = Default::default();
        let g = STRIDED_GEOMS[0];
        let ok_x = || dev.tensor_from_vec(vec![0.0f32; 2 * g.in_len()], (2, g.in_len()));
        let w = Weight::new(&dev, vec![0.0f32; g.patch_len() * 2], (g.patch_len(), 2)).unwrap();
        let b = Bias::new(&dev, vec![0.0f32; 2], (2,)).unwrap();
        assert!(conv2d(ok_x(), &w, &b, g, InputGrad::Needed).is_ok());
        let short = dev.tensor_from_vec(vec![0.0f32; 2 * 10], (2, 10));
        assert!(conv2d(short, &w, &b, g, InputGrad::Needed).is_err());
        let wrong_bias = Bias::new(&dev, vec![0.0f32; 3], (3,)).unwrap();
        assert!(conv2d(ok_x(), &w, &wrong_bias, g, InputGrad::Needed).is_err());
        let wrong_kernels = Weight::new(&dev, vec![0.0f32; 4], (2, 2)).unwrap();
        assert!(conv2d(ok_x(), &wrong_kernels, &b, g, InputGrad::Needed).is_err());
        let no_stride = ConvGeom { stride: 0, ..g };
        assert!(conv2d(ok_x(), &w, &b, no_stride, InputGrad::Needed).is_err());
        let none = Weight::new(&dev, Vec::<f32>::new(), (g.patch_len(), 0)).unwrap();
        let no_bias = Bias::new(&dev, Vec::<f32>::new(), (0,)).unwrap();
        assert!(conv2d(ok_x(), &none, &no_bias, g, InputGrad::Needed).is_err());
    }
}
