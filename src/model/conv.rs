//! The convolution's data movement on stable Rust: `im2col` unfolds NHWC images
//! into patch rows, so that a convolution is one GEMM (`cols · W`, see `block.rs`),
//! and `col2im` folds patch-row gradients back onto the images (its adjoint).
//!
//! Images are stored NHWC and flattened per sample: a batch is `batch` runs of
//! `h·w·c` floats. `im2col` turns it into `(batch·oh·ow, k·k·c)` rows, one per output
//! pixel, each the `k×k×c` patch in `(ky, kx, c)` order (zeros where the patch hangs
//! over the padding). Stride is 1. Both go through a zero-padded copy of one image
//! at a time, so every patch row is `k` runs of `k·c` contiguous floats and no
//! bounds are tested per tap.

use dfdx::dtypes::Dtype;

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

    /// Whether the kernel fits the padded image.
    pub fn is_valid(&self) -> bool {
        self.k > 0 && self.h + 2 * self.pad >= self.k && self.w + 2 * self.pad >= self.k
    }

    /// Width of the zero-padded image.
    fn padded_w(&self) -> usize {
        self.w + 2 * self.pad
    }

    /// Floats of the zero-padded image.
    fn padded_len(&self) -> usize {
        (self.h + 2 * self.pad) * self.padded_w() * self.c
    }

    /// Calls `f(offset)` with the offset in the padded image of each of the `k`
    /// runs (one per kernel row) of output pixel `(oy, ox)`'s patch row, in order.
    fn for_each_run(&self, oy: usize, ox: usize, mut f: impl FnMut(usize)) {
        for ky in 0..self.k {
            f(((oy + ky) * self.padded_w() + ox) * self.c);
        }
    }
}

/// Unfolds images (`xs`: whole images of `g.in_len()` floats) into patch rows
/// `(batch·oh·ow, k·k·c)`, zeros where a patch hangs over the padding.
#[cfg(test)]
pub(crate) fn im2col<E: Dtype>(xs: &[E], g: ConvGeom) -> Vec<E> {
    let mut cols = Vec::new();
    im2col_into(xs, g, &mut cols);
    cols
}

/// [`im2col`] into `cols` (cleared first; its capacity is reused).
pub(crate) fn im2col_into<E: Dtype>(xs: &[E], g: ConvGeom, cols: &mut Vec<E>) {
    cols.clear();
    // Short runs (one input channel) are copied with their length known at compile
    // time: a `memcpy` call per 3 or 5 floats would cost more than the copy.
    match g.k * g.c {
        1 => im2col_runs::<E, 1>(xs, g, cols),
        2 => im2col_runs::<E, 2>(xs, g, cols),
        3 => im2col_runs::<E, 3>(xs, g, cols),
        4 => im2col_runs::<E, 4>(xs, g, cols),
        5 => im2col_runs::<E, 5>(xs, g, cols),
        6 => im2col_runs::<E, 6>(xs, g, cols),
        7 => im2col_runs::<E, 7>(xs, g, cols),
        _ => im2col_runs::<E, 0>(xs, g, cols),
    }
}

/// [`im2col_into`] for runs of `RUN` floats (`RUN == 0`: any length, known at run time).
fn im2col_runs<E: Dtype, const RUN: usize>(xs: &[E], g: ConvGeom, cols: &mut Vec<E>) {
    let (row, run, plen) = (g.w * g.c, g.k * g.c, g.patch_len());
    let batch = xs.len() / g.in_len().max(1);
    let per_image = g.out_h() * g.out_w() * plen;
    // Every element is written below; the zeros only make the buffer initialised.
    cols.resize(batch * per_image, E::default());
    let mut padded = vec![E::default(); g.padded_len()];
    for (img, out) in xs
        .chunks_exact(g.in_len())
        .zip(cols.chunks_exact_mut(per_image))
    {
        for (y, src) in img.chunks_exact(row).enumerate() {
            let at = ((y + g.pad) * g.padded_w() + g.pad) * g.c;
            padded[at..at + row].copy_from_slice(src);
        }
        let mut rows = out.chunks_exact_mut(plen);
        for oy in 0..g.out_h() {
            for ox in 0..g.out_w() {
                let Some(dst) = rows.next() else { return };
                let mut runs = dst.chunks_exact_mut(run);
                g.for_each_run(oy, ox, |at| {
                    let Some(dst) = runs.next() else { return };
                    if RUN == 0 {
                        dst.copy_from_slice(&padded[at..at + run]);
                    } else if let (Ok(dst), Some(Ok(src))) = (
                        <&mut [E; RUN]>::try_from(dst),
                        padded.get(at..at + RUN).map(<&[E; RUN]>::try_from),
                    ) {
                        *dst = *src;
                    }
                });
            }
        }
    }
}

/// Adds the patch-row gradients `g_cols` back onto the images' gradient `g_x`
/// (whole images of `g.in_len()` floats): the adjoint of [`im2col`].
pub(crate) fn col2im_add<E: Dtype>(g_cols: &[E], g: ConvGeom, g_x: &mut [E]) {
    let (row, run) = (g.w * g.c, g.k * g.c);
    let img_cols = g.out_h() * g.out_w() * g.patch_len();
    let mut padded = vec![E::default(); g.padded_len()];
    for (gi, go) in g_x
        .chunks_exact_mut(g.in_len())
        .zip(g_cols.chunks_exact(img_cols))
    {
        padded.fill(E::default());
        let mut rows = go.chunks_exact(run);
        for oy in 0..g.out_h() {
            for ox in 0..g.out_w() {
                g.for_each_run(oy, ox, |at| {
                    if let Some(src) = rows.next() {
                        for (a, &b) in padded[at..at + run].iter_mut().zip(src) {
                            *a += b;
                        }
                    }
                });
            }
        }
        for (y, dst) in gi.chunks_exact_mut(row).enumerate() {
            let at = ((y + g.pad) * g.padded_w() + g.pad) * g.c;
            for (a, &b) in dst.iter_mut().zip(&padded[at..at + row]) {
                *a += b;
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    pub(crate) fn rand_vec(rng: &mut StdRng, n: usize) -> Vec<f64> {
        (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect()
    }

    /// Direct NHWC convolution: out[b][oy][ox][o] = Σ x[b][iy][ix][ci] · w[(ky,kx,ci)][o].
    pub(crate) fn naive_conv(
        x: &[f64],
        w: &[f64],
        batch: usize,
        g: ConvGeom,
        cout: usize,
    ) -> Vec<f64> {
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

    pub(crate) const GEOMS: [ConvGeom; 4] = [
        ConvGeom {
            h: 3,
            w: 2,
            c: 2,
            k: 3,
            pad: 2,
        },
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

    /// `cols · W` by hand.
    fn product(cols: &[f64], w: &[f64], plen: usize, cout: usize) -> Vec<f64> {
        cols.chunks_exact(plen)
            .flat_map(|row| {
                (0..cout).map(move |o| (0..plen).map(|p| row[p] * w[p * cout + o]).sum::<f64>())
            })
            .collect()
    }

    #[test]
    fn im2col_times_kernels_is_the_naive_convolution() {
        let mut rng = StdRng::seed_from_u64(7);
        for g in GEOMS {
            let (batch, cout) = (2, 3);
            let x = rand_vec(&mut rng, batch * g.in_len());
            let w = rand_vec(&mut rng, g.patch_len() * cout);
            let cols = im2col(&x, g);
            assert_eq!(cols.len(), batch * g.out_h() * g.out_w() * g.patch_len());
            let got = product(&cols, &w, g.patch_len(), cout);
            for (a, b) in got.iter().zip(naive_conv(&x, &w, batch, g, cout)) {
                assert!((a - b).abs() < 1e-12, "{g:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // <im2col(x), r> = <x, col2im(r)> for every x and r: col2im is exactly the
        // backward pass of im2col.
        let mut rng = StdRng::seed_from_u64(8);
        for g in GEOMS {
            let batch = 2;
            let x = rand_vec(&mut rng, batch * g.in_len());
            let cols = im2col(&x, g);
            let r = rand_vec(&mut rng, cols.len());
            let mut back = vec![0.0; x.len()];
            col2im_add(&r, g, &mut back);
            let lhs: f64 = cols.iter().zip(&r).map(|(a, b)| a * b).sum();
            let rhs: f64 = x.iter().zip(&back).map(|(a, b)| a * b).sum();
            assert!((lhs - rhs).abs() < 1e-9, "{g:?}: {lhs} vs {rhs}");
            // It adds to what is there.
            let mut twice = back.clone();
            col2im_add(&r, g, &mut twice);
            for (a, b) in twice.iter().zip(&back) {
                assert!((a - 2.0 * b).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn validity() {
        assert!(GEOMS.iter().all(ConvGeom::is_valid));
        let too_big = ConvGeom {
            h: 2,
            w: 2,
            c: 1,
            k: 5,
            pad: 1,
        };
        assert!(!too_big.is_valid());
    }
}
