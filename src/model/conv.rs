//! Convolution on stable Rust: an `im2col` op whose exact backward (`col2im`) is
//! recorded on dfdx's tape, so every multiply-add of a convolution is one dfdx
//! matmul (`cols · W`) and its gradients come from dfdx's matmul backward.
//!
//! Images are stored NHWC and flattened per sample: a batch is a `(batch, h·w·c)`
//! tensor. `im2col` turns it into `(batch·oh·ow, k·k·c)` rows, one per output pixel,
//! each the `k×k×c` patch in `(ky, kx, c)` order (zeros where the patch hangs over
//! the padding). Stride is 1.

use dfdx::dtypes::Dtype;
use dfdx::shapes::HasShape;
use dfdx::tensor::{Cpu, PutTape, SplitTape, Tape, Tensor, TensorFromVec};

use super::ModelError;

/// Geometry of a stride-1 square-kernel convolution over `h×w×c` NHWC images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConvGeom {
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Input channels.
    pub c: usize,
    /// Kernel size (k×k).
    pub k: usize,
    /// Zero padding on every side.
    pub pad: usize,
}

impl ConvGeom {
    /// Output height.
    pub fn out_h(&self) -> usize {
        self.h + 2 * self.pad + 1 - self.k
    }
    /// Output width.
    pub fn out_w(&self) -> usize {
        self.w + 2 * self.pad + 1 - self.k
    }
    /// Floats per input image.
    pub fn in_len(&self) -> usize {
        self.h * self.w * self.c
    }
    /// Floats per patch (one im2col row).
    pub fn patch_len(&self) -> usize {
        self.k * self.k * self.c
    }

    /// Calls `f(row_offset, input_offset, c)` for every run of `c` contiguous floats that
    /// `im2col` copies from image `b`'s input into its rows (in-bounds taps only).
    /// Offsets are relative to the image's first row / first input float.
    fn for_each_tap(&self, mut f: impl FnMut(usize, usize)) {
        let (oh, ow, k, c, pad) = (self.out_h(), self.out_w(), self.k, self.c, self.pad);
        let plen = self.patch_len();
        for oy in 0..oh {
            for ky in 0..k {
                let iy = oy + ky;
                if iy < pad || iy - pad >= self.h {
                    continue;
                }
                let iy = iy - pad;
                for ox in 0..ow {
                    let row = (oy * ow + ox) * plen;
                    for kx in 0..k {
                        let ix = ox + kx;
                        if ix < pad || ix - pad >= self.w {
                            continue;
                        }
                        let ix = ix - pad;
                        f(row + (ky * k + kx) * c, (iy * self.w + ix) * c);
                    }
                }
            }
        }
    }
}

/// Unfolds `x` (`(batch, h·w·c)`) into patches `(batch·oh·ow, k·k·c)`; the backward
/// pass folds the patch gradients back (`col2im`), accumulating overlaps.
pub(crate) fn im2col<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    g: ConvGeom,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    let (batch, n) = *x.shape();
    if n != g.in_len() || g.k == 0 || g.h + 2 * g.pad < g.k || g.w + 2 * g.pad < g.k {
        return Err(ModelError::BadInput(format!(
            "im2col: {n} floats per image do not fit {g:?}"
        )));
    }
    let (rows_per_img, plen, c) = (g.out_h() * g.out_w(), g.patch_len(), g.c);
    let img_cols = rows_per_img * plen;

    let mut xs = vec![E::default(); batch * n];
    x.copy_into(&mut xs);
    let mut cols = vec![E::default(); batch * img_cols];
    for (img, out) in xs.chunks_exact(n).zip(cols.chunks_exact_mut(img_cols)) {
        g.for_each_tap(|r, i| out[r..r + c].copy_from_slice(&img[i..i + c]));
    }
    let dev = x.device().clone();
    let out = dev
        .try_tensor_from_vec(cols, (batch * rows_per_img, plen))
        .map_err(|e| ModelError::BadInput(format!("im2col: {e:?}")))?;

    let (x, mut tape) = x.split_tape();
    let x_ghost = x.ghost();
    let out_ghost = out.ghost();
    tape.add_backward_op(move |grads| {
        // Only this op reads the gradient of its own output, after every consumer
        // of `out` has accumulated into it: take it instead of copying it.
        let g_out: Vec<E> = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
        let g_x = grads.get_or_alloc_mut(&x_ghost)?;
        for (gi, go) in g_x.chunks_exact_mut(n).zip(g_out.chunks_exact(img_cols)) {
            g.for_each_tap(|r, i| {
                for (a, &b) in gi[i..i + c].iter_mut().zip(&go[r..r + c]) {
                    *a += b;
                }
            });
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

    /// Direct NHWC convolution: out[b][oy][ox][o] = Σ x[b][iy][ix][ci] · w[(ky,kx,ci)][o].
    fn naive_conv(x: &[f64], w: &[f64], batch: usize, g: ConvGeom, cout: usize) -> Vec<f64> {
        let (oh, ow) = (g.out_h(), g.out_w());
        let mut out = vec![0.0; batch * oh * ow * cout];
        for b in 0..batch {
            for oy in 0..oh {
                for ox in 0..ow {
                    for o in 0..cout {
                        let mut s = 0.0;
                        for ky in 0..g.k {
                            for kx in 0..g.k {
                                let iy = oy as isize + ky as isize - g.pad as isize;
                                let ix = ox as isize + kx as isize - g.pad as isize;
                                if iy < 0 || ix < 0 || iy >= g.h as isize || ix >= g.w as isize {
                                    continue;
                                }
                                for ci in 0..g.c {
                                    let xi =
                                        ((b * g.h + iy as usize) * g.w + ix as usize) * g.c + ci;
                                    let wi = ((ky * g.k + kx) * g.c + ci) * cout + o;
                                    s += x[xi] * w[wi];
                                }
                            }
                        }
                        out[((b * oh + oy) * ow + ox) * cout + o] = s;
                    }
                }
            }
        }
        out
    }

    fn conv_loss(x: &[f64], w: &[f64], r: &[f64], batch: usize, g: ConvGeom, cout: usize) -> f64 {
        naive_conv(x, w, batch, g, cout)
            .iter()
            .zip(r)
            .map(|(a, b)| a * b)
            .sum()
    }

    const GEOMS: [ConvGeom; 3] = [
        ConvGeom {
            h: 5,
            w: 4,
            c: 2,
            k: 3,
            pad: 1,
        },
        ConvGeom {
            h: 6,
            w: 6,
            c: 1,
            k: 5,
            pad: 2,
        },
        ConvGeom {
            h: 7,
            w: 5,
            c: 3,
            k: 3,
            pad: 0,
        },
    ];

    #[test]
    fn matches_naive_convolution_and_finite_differences() {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(7);
        for g in GEOMS {
            let (batch, cout) = (2, 3);
            let x = rand_vec(&mut rng, batch * g.in_len());
            let w = rand_vec(&mut rng, g.patch_len() * cout);
            let rows = batch * g.out_h() * g.out_w();
            let r = rand_vec(&mut rng, rows * cout);

            let xt = dev.tensor_from_vec(x.clone(), (batch, g.in_len()));
            let wt = dev.tensor_from_vec(w.clone(), (g.patch_len(), cout));
            let rt = dev.tensor_from_vec(r.clone(), (rows, cout));
            let y = im2col(xt.leaky_trace(), g).unwrap().matmul(wt.clone());
            assert_eq!(y.shape(), &(rows, cout));
            let want = naive_conv(&x, &w, batch, g, cout);
            for (a, b) in y.as_vec().iter().zip(&want) {
                assert!((a - b).abs() < 1e-12, "{g:?}: {a} vs {b}");
            }

            let grads = (y * rt).sum().backward();
            let (gx, gw) = (grads.get(&xt).as_vec(), grads.get(&wt).as_vec());
            let eps = 1e-6;
            for i in 0..x.len() {
                let (mut xp, mut xm) = (x.clone(), x.clone());
                xp[i] += eps;
                xm[i] -= eps;
                let fd = (conv_loss(&xp, &w, &r, batch, g, cout)
                    - conv_loss(&xm, &w, &r, batch, g, cout))
                    / (2.0 * eps);
                assert!(
                    (fd - gx[i]).abs() < 1e-6,
                    "{g:?} dx[{i}]: fd {fd} vs {}",
                    gx[i]
                );
            }
            for i in 0..w.len() {
                let (mut wp, mut wm) = (w.clone(), w.clone());
                wp[i] += eps;
                wm[i] -= eps;
                let fd = (conv_loss(&x, &wp, &r, batch, g, cout)
                    - conv_loss(&x, &wm, &r, batch, g, cout))
                    / (2.0 * eps);
                assert!(
                    (fd - gw[i]).abs() < 1e-6,
                    "{g:?} dw[{i}]: fd {fd} vs {}",
                    gw[i]
                );
            }
        }
    }

    #[test]
    fn rejects_wrong_input_size() {
        let dev: Cpu = Default::default();
        let x = dev.tensor_from_vec(vec![0.0f32; 2 * 10], (2, 10));
        assert!(im2col(x, GEOMS[0]).is_err());
    }
}
