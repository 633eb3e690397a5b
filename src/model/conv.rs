//! The convolution's data movement on stable Rust: `im2col` unfolds NHWC images
//! into patch rows, so that a convolution is one GEMM (`cols · W`, see `block.rs`),
//! and `col2im` folds patch-row gradients back onto the images (its adjoint).
//!
//! Images are stored NHWC and flattened per sample: a batch is `batch` runs of
//! `h·w·c` floats. `im2col` turns it into `(batch·oh·ow, k·k·c)` rows, one per output
//! pixel, each the `k×k×c` patch in `(ky, kx, c)` order (zeros where the patch hangs
//! over the padding). Output pixel `(oy, ox)` reads the window whose top-left
//! corner is `(oy·stride, ox·stride)` of the padded image. Both go through a
//! zero-padded copy of one image at a time, so every patch row is `k` runs of
//! `k·c` contiguous floats and no bounds are tested per tap.
//!
//! The stride is a compile-time parameter of the inner loops (`STRIDED`): the
//! stride-1 convolutions of the conv blocks run the same code as before strides
//! existed (the multiplications by the stride fold away), and strided ones pay
//! for theirs only in their own instantiation.

use dfdx::dtypes::Dtype;

/// Geometry of a square-kernel convolution over `h×w×c` NHWC images (PyTorch's
/// `Conv2d(c, _, k, stride, padding=pad)`: output size `(h + 2·pad − k)/stride + 1`,
/// rounded down, so the last rows and columns of the padded image may be unread).
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
    /// Step between windows, in both directions (1: every position).
    pub stride: usize,
}

impl ConvGeom {
    /// Output height, `(h + 2·pad − k)/stride + 1` (0 when the kernel does not fit
    /// or the stride is 0).
    pub fn out_h(&self) -> usize {
        self.out_len_of(self.h)
    }
    /// Output width, `(w + 2·pad − k)/stride + 1` (0 when the kernel does not fit
    /// or the stride is 0).
    pub fn out_w(&self) -> usize {
        self.out_len_of(self.w)
    }
    /// Output positions along an input side of `n` pixels.
    fn out_len_of(&self, n: usize) -> usize {
        (n + 2 * self.pad)
            .checked_sub(self.k)
            .and_then(|room| room.checked_div(self.stride))
            .map_or(0, |steps| steps + 1)
    }
    /// Floats per input image.
    pub fn in_len(&self) -> usize {
        self.h * self.w * self.c
    }
    /// Floats per patch (one im2col row).
    pub fn patch_len(&self) -> usize {
        self.k * self.k * self.c
    }

    /// Whether the geometry describes a convolution: non-empty images, a kernel
    /// that fits the padded image, and a stride of at least 1.
    pub fn is_valid(&self) -> bool {
        self.h > 0
            && self.w > 0
            && self.c > 0
            && self.k > 0
            && self.stride > 0
            && self.h + 2 * self.pad >= self.k
            && self.w + 2 * self.pad >= self.k
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
    /// Without `STRIDED` the stride is taken to be 1 (the caller checked it).
    fn for_each_run<const STRIDED: bool>(&self, oy: usize, ox: usize, mut f: impl FnMut(usize)) {
        let s = if STRIDED { self.stride } else { 1 };
        let (y0, x0) = (oy * s, ox * s);
        for ky in 0..self.k {
            f(((y0 + ky) * self.padded_w() + x0) * self.c);
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
    if g.stride == 1 {
        im2col_strided::<E, false>(xs, g, cols);
    } else {
        im2col_strided::<E, true>(xs, g, cols);
    }
}

/// [`im2col_into`] for a stride of 1 (`!STRIDED`) or any (`STRIDED`).
fn im2col_strided<E: Dtype, const STRIDED: bool>(xs: &[E], g: ConvGeom, cols: &mut Vec<E>) {
    // Short runs (one input channel) are copied with their length known at compile
    // time: a `memcpy` call per 3 or 5 floats would cost more than the copy.
    match g.k * g.c {
        1 => im2col_runs::<E, 1, STRIDED>(xs, g, cols),
        2 => im2col_runs::<E, 2, STRIDED>(xs, g, cols),
        3 => im2col_runs::<E, 3, STRIDED>(xs, g, cols),
        4 => im2col_runs::<E, 4, STRIDED>(xs, g, cols),
        5 => im2col_runs::<E, 5, STRIDED>(xs, g, cols),
        6 => im2col_runs::<E, 6, STRIDED>(xs, g, cols),
        7 => im2col_runs::<E, 7, STRIDED>(xs, g, cols),
        _ => im2col_runs::<E, 0, STRIDED>(xs, g, cols),
    }
}

/// [`im2col_into`] for runs of `RUN` floats (`RUN == 0`: any length, known at run time).
fn im2col_runs<E: Dtype, const RUN: usize, const STRIDED: bool>(
    xs: &[E],
    g: ConvGeom,
    cols: &mut Vec<E>,
) {
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
                g.for_each_run::<STRIDED>(oy, ox, |at| {
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
    if g.stride == 1 {
        col2im_strided::<E, false>(g_cols, g, g_x);
    } else {
        col2im_strided::<E, true>(g_cols, g, g_x);
    }
}

/// [`col2im_add`] for a stride of 1 (`!STRIDED`) or any (`STRIDED`).
fn col2im_strided<E: Dtype, const STRIDED: bool>(g_cols: &[E], g: ConvGeom, g_x: &mut [E]) {
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
                g.for_each_run::<STRIDED>(oy, ox, |at| {
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

    /// Direct NHWC convolution: out[b][oy][ox][o] = Σ x[b][iy][ix][ci] · w[(ky,kx,ci)][o]
    /// with `iy = oy·stride + ky − pad`, `ix = ox·stride + kx − pad`.
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
                                let iy = (oy * g.stride + ky) as isize - g.pad as isize;
                                let ix = (ox * g.stride + kx) as isize - g.pad as isize;
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
            stride: 1,
        },
        ConvGeom {
            h: 5,
            w: 4,
            c: 2,
            k: 3,
            pad: 1,
            stride: 1,
        },
        ConvGeom {
            h: 6,
            w: 6,
            c: 1,
            k: 5,
            pad: 2,
            stride: 1,
        },
        ConvGeom {
            h: 7,
            w: 5,
            c: 3,
            k: 3,
            pad: 0,
            stride: 1,
        },
    ];

    /// Strided geometries: strides 2 and 3, paddings 0–2, kernels 1–5, where the
    /// floor drops the last rows or columns of the padded image.
    pub(crate) const STRIDED_GEOMS: [ConvGeom; 5] = [
        ConvGeom {
            h: 7,
            w: 5,
            c: 2,
            k: 3,
            pad: 1,
            stride: 2,
        },
        ConvGeom {
            h: 8,
            w: 8,
            c: 1,
            k: 5,
            pad: 2,
            stride: 3,
        },
        ConvGeom {
            h: 6,
            w: 9,
            c: 3,
            k: 1,
            pad: 0,
            stride: 2,
        },
        ConvGeom {
            h: 5,
            w: 4,
            c: 4,
            k: 3,
            pad: 0,
            stride: 3,
        },
        ConvGeom {
            h: 4,
            w: 6,
            c: 2,
            k: 2,
            pad: 1,
            stride: 2,
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
        for g in GEOMS.into_iter().chain(STRIDED_GEOMS) {
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
        for g in GEOMS.into_iter().chain(STRIDED_GEOMS) {
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
    fn strided_output_size_is_pytorchs() {
        // Conv2d(k=3, stride=2, padding=1) on 7×5: floor(6/2)+1 = 4, floor(4/2)+1 = 3.
        let g = STRIDED_GEOMS[0];
        assert_eq!((g.out_h(), g.out_w()), (4, 3));
        // k=5, stride=3, padding=2 on 8×8: floor(7/3)+1 = 3 (the padded image's
        // last row and column are never read).
        let g = STRIDED_GEOMS[1];
        assert_eq!((g.out_h(), g.out_w()), (3, 3));
    }

    #[test]
    fn validity() {
        assert!(GEOMS.iter().chain(&STRIDED_GEOMS).all(ConvGeom::is_valid));
        let ok = GEOMS[1];
        let too_big = ConvGeom {
            h: 2,
            w: 2,
            c: 1,
            k: 5,
            pad: 1,
            stride: 1,
        };
        for bad in [
            too_big,
            ConvGeom { stride: 0, ..ok },
            ConvGeom { k: 0, ..ok },
            ConvGeom { c: 0, ..ok },
            ConvGeom { h: 0, ..ok },
        ] {
            assert!(!bad.is_valid(), "{bad:?}");
        }
        // Sizes of invalid geometries are 0 rather than a panic or a wrap.
        assert_eq!((too_big.out_h(), too_big.out_w()), (0, 0));
        assert_eq!(ConvGeom { stride: 0, ..ok }.out_h(), 0);
    }
}
