//! Standalone pooling of NHWC images as ops on dfdx's tape: k×k max- or
//! average-pooling with stride k and no padding (PyTorch's `MaxPool2d(k)` and
//! `AvgPool2d(k)` defaults: the output is `⌊h/k⌋×⌊w/k⌋`, so the last `h mod k`
//! rows and `w mod k` columns are never read), and global average pooling
//! (`AdaptiveAvgPool2d(1)` then flatten: one mean per channel).
//!
//! Unlike `pool.rs` (2×2 max-pooling fused into the conv block, bias and ReLU
//! included), these pool whatever a network puts before them. Max-pooling keeps,
//! per output, the offset in its image of the input that won, as PyTorch keeps
//! its indices: ties go to the first in the window's row-major order, and NaN
//! wins (a later NaN over an earlier one, PyTorch's `val > max || isnan(val)`).
//! Average pooling needs nothing kept: each input of a window gets `dy / k²`
//! (`dy / (h·w)` for the global mean).

use dfdx::dtypes::Dtype;
use dfdx::shapes::HasShape;
use dfdx::tensor::{Cpu, Tape, Tensor};

use super::ModelError;
use super::unary::{record, values};

/// Which reduction a window gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PoolKind {
    /// The largest value (NaN if any is NaN).
    Max,
    /// The mean.
    Avg,
}

/// Shape of the images and size of the windows (stride = window size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pool2dGeom {
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Channels.
    pub c: usize,
    /// Window size (k×k) and stride.
    pub k: usize,
}

impl Pool2dGeom {
    /// Output height, `⌊h/k⌋`.
    pub fn out_h(&self) -> usize {
        self.h.checked_div(self.k).unwrap_or(0)
    }
    /// Output width, `⌊w/k⌋`.
    pub fn out_w(&self) -> usize {
        self.w.checked_div(self.k).unwrap_or(0)
    }
    /// Floats per input image.
    pub fn in_len(&self) -> usize {
        self.h * self.w * self.c
    }
    /// Floats per output image.
    pub fn out_len(&self) -> usize {
        self.out_h() * self.out_w() * self.c
    }
    /// Whether the geometry leaves at least one output (PyTorch refuses an empty one).
    pub fn is_valid(&self) -> bool {
        self.c > 0 && self.k > 0 && self.h >= self.k && self.w >= self.k
    }
    /// Offset within an image of the top-left input of output pixel `(oy, ox)`'s
    /// window, channel 0.
    fn corner(&self, oy: usize, ox: usize) -> usize {
        (oy * self.k * self.w + ox * self.k) * self.c
    }
    /// Calls `f(offset)` for each input pixel of a window whose top-left is at
    /// `corner`, in row-major order (channel 0's offset within the image).
    fn for_each_tap(&self, corner: usize, mut f: impl FnMut(usize)) {
        for ky in 0..self.k {
            for kx in 0..self.k {
                f(corner + (ky * self.w + kx) * self.c);
            }
        }
    }
}

/// `x` `(batch, h·w·c)` pooled by k×k windows at stride k: `(batch, ⌊h/k⌋·⌊w/k⌋·c)`.
pub(crate) fn pool2d<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    kind: PoolKind,
    g: Pool2dGeom,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    let n = x.shape().1;
    if !g.is_valid() || n != g.in_len() {
        return Err(ModelError::BadInput(format!(
            "pool2d: {n} floats per image do not fit {g:?} (which needs c, k ≥ 1 and h, w ≥ k)"
        )));
    }
    let xs = values(&x);
    match kind {
        PoolKind::Max => max_pool(x, &xs, g),
        PoolKind::Avg => avg_pool(x, &xs, g),
    }
}

/// [`pool2d`]'s max-pooling.
fn max_pool<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    xs: &[E],
    g: Pool2dGeom,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    let (n, out_len) = (g.in_len(), g.out_len());
    if u32::try_from(n).is_err() {
        return Err(ModelError::BadInput(format!(
            "pool2d: images of {n} floats are too large"
        )));
    }
    let batch = xs.len() / n;
    let mut ys = vec![E::default(); batch * out_len];
    // Per output, the offset within its image of the input that won.
    let mut won = vec![0u32; batch * out_len];
    for ((img, out), won) in xs
        .chunks_exact(n)
        .zip(ys.chunks_exact_mut(out_len))
        .zip(won.chunks_exact_mut(out_len))
    {
        for oy in 0..g.out_h() {
            for ox in 0..g.out_w() {
                let p = (oy * g.out_w() + ox) * g.c;
                let (best, arg) = (&mut out[p..p + g.c], &mut won[p..p + g.c]);
                let corner = g.corner(oy, ox);
                best.copy_from_slice(&img[corner..corner + g.c]);
                for (ch, a) in arg.iter_mut().enumerate() {
                    *a = (corner + ch) as u32;
                }
                g.for_each_tap(corner, |at| {
                    if at == corner {
                        return;
                    }
                    let taps = &img[at..at + g.c];
                    for (ch, ((b, a), &v)) in
                        best.iter_mut().zip(arg.iter_mut()).zip(taps).enumerate()
                    {
                        // A later tap wins only when larger (ties: the first) or NaN.
                        if v > *b || is_nan(v) {
                            *b = v;
                            *a = (at + ch) as u32;
                        }
                    }
                });
            }
        }
    }
    record(x, ys, out_len, "max pool", move |dy, g_x| {
        for ((gi, dy), won) in g_x
            .chunks_exact_mut(n)
            .zip(dy.chunks_exact(out_len))
            .zip(won.chunks_exact(out_len))
        {
            for (&d, &at) in dy.iter().zip(won) {
                gi[at as usize] += d;
            }
        }
    })
}

/// [`pool2d`]'s average pooling.
fn avg_pool<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    xs: &[E],
    g: Pool2dGeom,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    let (n, out_len) = (g.in_len(), g.out_len());
    let batch = xs.len() / n;
    let count = count::<E>(g.k * g.k)?;
    let mut ys = vec![E::default(); batch * out_len];
    for (img, out) in xs.chunks_exact(n).zip(ys.chunks_exact_mut(out_len)) {
        for oy in 0..g.out_h() {
            for ox in 0..g.out_w() {
                let p = (oy * g.out_w() + ox) * g.c;
                let sum = &mut out[p..p + g.c];
                g.for_each_tap(g.corner(oy, ox), |at| {
                    for (s, &v) in sum.iter_mut().zip(&img[at..at + g.c]) {
                        *s += v;
                    }
                });
                sum.iter_mut().for_each(|s| *s /= count);
            }
        }
    }
    record(x, ys, out_len, "avg pool", move |dy, g_x| {
        for (gi, dy) in g_x.chunks_exact_mut(n).zip(dy.chunks_exact(out_len)) {
            for oy in 0..g.out_h() {
                for ox in 0..g.out_w() {
                    let p = (oy * g.out_w() + ox) * g.c;
                    let share = &dy[p..p + g.c];
                    g.for_each_tap(g.corner(oy, ox), |at| {
                        for (gx, &d) in gi[at..at + g.c].iter_mut().zip(share) {
                            *gx += d / count;
                        }
                    });
                }
            }
        }
    })
}

/// The mean of each channel of `x` `(batch, h·w·c)` over its `h×w` pixels:
/// `(batch, c)`.
pub(crate) fn global_avg_pool<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    h: usize,
    w: usize,
    c: usize,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    let n = x.shape().1;
    if h == 0 || w == 0 || c == 0 || n != h * w * c {
        return Err(ModelError::BadInput(format!(
            "global avg pool: {n} floats per image are not {h}×{w}×{c} (none may be 0)"
        )));
    }
    let count = count::<E>(h * w)?;
    let xs = values(&x);
    let batch = xs.len() / n;
    let mut ys = vec![E::default(); batch * c];
    for (img, sum) in xs.chunks_exact(n).zip(ys.chunks_exact_mut(c)) {
        for pixel in img.chunks_exact(c) {
            for (s, &v) in sum.iter_mut().zip(pixel) {
                *s += v;
            }
        }
        sum.iter_mut().for_each(|s| *s /= count);
    }
    record(x, ys, c, "global avg pool", move |dy, g_x| {
        for (gi, dy) in g_x.chunks_exact_mut(n).zip(dy.chunks_exact(c)) {
            for pixel in gi.chunks_exact_mut(c) {
                for (gx, &d) in pixel.iter_mut().zip(dy) {
                    *gx += d / count;
                }
            }
        }
    })
}

/// The number of inputs a mean divides by, as an `E`.
fn count<E: Dtype>(n: usize) -> Result<E, ModelError> {
    E::from_usize(n).ok_or_else(|| ModelError::BadInput(format!("pooling: {n} inputs per mean")))
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
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// Odd sizes where the floor drops rows and columns, a non-square image, and a
    /// window of 1 (the identity).
    const GEOMS: [Pool2dGeom; 5] = [
        Pool2dGeom {
            h: 7,
            w: 7,
            c: 3,
            k: 2,
        },
        Pool2dGeom {
            h: 9,
            w: 9,
            c: 2,
            k: 3,
        },
        Pool2dGeom {
            h: 6,
            w: 5,
            c: 1,
            k: 2,
        },
        Pool2dGeom {
            h: 5,
            w: 8,
            c: 4,
            k: 3,
        },
        Pool2dGeom {
            h: 3,
            w: 2,
            c: 2,
            k: 1,
        },
    ];

    /// Max or mean of each window, the slow way.
    fn naive(x: &[f64], batch: usize, kind: PoolKind, g: Pool2dGeom) -> Vec<f64> {
        let mut out = Vec::new();
        for b in 0..batch {
            for oy in 0..g.h / g.k {
                for ox in 0..g.w / g.k {
                    for ch in 0..g.c {
                        let mut window = Vec::new();
                        for y in oy * g.k..(oy + 1) * g.k {
                            for xx in ox * g.k..(ox + 1) * g.k {
                                window.push(x[((b * g.h + y) * g.w + xx) * g.c + ch]);
                            }
                        }
                        out.push(match kind {
                            PoolKind::Max => window.iter().cloned().fold(f64::MIN, f64::max),
                            PoolKind::Avg => window.iter().sum::<f64>() / window.len() as f64,
                        });
                    }
                }
            }
        }
        out
    }

    /// Every per-channel mean over the `h×w` pixels, the slow way.
    fn naive_global(x: &[f64], batch: usize, h: usize, w: usize, c: usize) -> Vec<f64> {
        let mut out = Vec::new();
        for b in 0..batch {
            for ch in 0..c {
                let s: f64 = (0..h * w).map(|p| x[(b * h * w + p) * c + ch]).sum();
                out.push(s / (h * w) as f64);
            }
        }
        out
    }

    /// `n` distinct values 0.01 apart, shuffled: no ties, and no two within the
    /// finite differences' step.
    fn distinct(rng: &mut StdRng, n: usize) -> Vec<f64> {
        let mut v: Vec<f64> = (0..n).map(|i| (i as f64 - n as f64 / 2.0) * 0.01).collect();
        v.shuffle(rng);
        v
    }

    /// Checks `f`'s gradient `got` at `v` against central finite differences.
    fn check_fd(name: &str, v: &[f64], got: &[f64], f: &dyn Fn(&[f64]) -> f64) {
        let eps = 1e-6;
        for i in 0..v.len() {
            let (mut p, mut m) = (v.to_vec(), v.to_vec());
            p[i] += eps;
            m[i] -= eps;
            let fd = (f(&p) - f(&m)) / (2.0 * eps);
            assert!(
                (fd - got[i]).abs() < 1e-8,
                "{name}[{i}]: {fd} vs {}",
                got[i]
            );
        }
    }

    #[test]
    fn matches_naive_pooling_and_finite_differences() {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(41);
        for g in GEOMS {
            for kind in [PoolKind::Max, PoolKind::Avg] {
                let batch = 2;
                let x = distinct(&mut rng, batch * g.in_len());
                let r: Vec<f64> = (0..batch * g.out_len())
                    .map(|_| rng.gen_range(-1.0..1.0))
                    .collect();
                let xt = dev.tensor_from_vec(x.clone(), (batch, g.in_len()));
                let rt = dev.tensor_from_vec(r.clone(), (batch, g.out_len()));
                let y = pool2d(xt.leaky_trace(), kind, g).unwrap();
                assert_eq!(*y.shape(), (batch, (g.h / g.k) * (g.w / g.k) * g.c));
                for (a, e) in y.as_vec().iter().zip(naive(&x, batch, kind, g)) {
                    assert!((a - e).abs() < 1e-14, "{kind:?} {g:?}: {a} vs {e}");
                }
                let gx = (y * rt).sum().backward().get(&xt).as_vec();
                let loss = |x: &[f64]| -> f64 {
                    naive(x, batch, kind, g)
                        .iter()
                        .zip(&r)
                        .map(|(a, b)| a * b)
                        .sum()
                };
                check_fd(&format!("{kind:?} {g:?} dx"), &x, &gx, &loss);
                // The rows and columns the floor drops get no gradient.
                for b in 0..batch {
                    for y in 0..g.h {
                        for xx in 0..g.w {
                            if y >= g.out_h() * g.k || xx >= g.out_w() * g.k {
                                let at = ((b * g.h + y) * g.w + xx) * g.c;
                                assert!(gx[at..at + g.c].iter().all(|&v| v == 0.0));
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn global_average_matches_naive_mean_and_finite_differences() {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(42);
        for (h, w, c) in [(7, 7, 3), (4, 6, 1), (1, 1, 5), (3, 5, 2)] {
            let batch = 3;
            let n = h * w * c;
            let x: Vec<f64> = (0..batch * n).map(|_| rng.gen_range(-1.0..1.0)).collect();
            let r: Vec<f64> = (0..batch * c).map(|_| rng.gen_range(-1.0..1.0)).collect();
            let xt = dev.tensor_from_vec(x.clone(), (batch, n));
            let rt = dev.tensor_from_vec(r.clone(), (batch, c));
            let y = global_avg_pool(xt.leaky_trace(), h, w, c).unwrap();
            assert_eq!(*y.shape(), (batch, c));
            for (a, e) in y.as_vec().iter().zip(naive_global(&x, batch, h, w, c)) {
                assert!((a - e).abs() < 1e-14, "{h}×{w}×{c}: {a} vs {e}");
            }
            let gx = (y * rt).sum().backward().get(&xt).as_vec();
            let loss = |x: &[f64]| -> f64 {
                naive_global(x, batch, h, w, c)
                    .iter()
                    .zip(&r)
                    .map(|(a, b)| a * b)
                    .sum()
            };
            check_fd(&format!("{h}×{w}×{c} dx"), &x, &gx, &loss);
        }
    }

    /// The max of one 3×3 window (one channel) and where its gradient goes.
    fn max_of(window: [f32; 9]) -> (f32, Vec<f32>) {
        let dev: Cpu = Default::default();
        let g = Pool2dGeom {
            h: 3,
            w: 3,
            c: 1,
            k: 3,
        };
        let xt = dev.tensor_from_vec(window.to_vec(), (1, 9));
        let y = pool2d(xt.leaky_trace(), PoolKind::Max, g).unwrap();
        let v = y.as_vec()[0];
        (v, y.sum().backward().get(&xt).as_vec())
    }

    #[test]
    fn max_ties_go_to_the_first_in_row_major_order_and_nan_wins() {
        let (v, gx) = max_of([1.0; 9]);
        assert_eq!((v, gx[0], gx[1..].iter().sum::<f32>()), (1.0, 1.0, 0.0));
        let (v, gx) = max_of([0.0, 2.0, 1.0, 5.0, 5.0, 0.0, 5.0, 3.0, 5.0]);
        assert_eq!(v, 5.0);
        assert_eq!(gx, vec![0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        let (v, gx) = max_of([1.0, 9.0, f32::NAN, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert!(v.is_nan());
        assert_eq!(gx[2], 1.0);
        // Of two NaNs the last takes the gradient (PyTorch: `val > max || isnan(val)`).
        let (v, gx) = max_of([f32::NAN, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, f32::NAN, 0.0]);
        assert!(v.is_nan());
        assert_eq!(gx[7], 1.0);
        // -∞ everywhere: the first.
        let (v, gx) = max_of([f32::NEG_INFINITY; 9]);
        assert_eq!((v, gx[0]), (f32::NEG_INFINITY, 1.0));
        // Channels are independent: ties resolved per channel.
        let dev: Cpu = Default::default();
        let g = Pool2dGeom {
            h: 2,
            w: 2,
            c: 2,
            k: 2,
        };
        let xt = dev.tensor_from_vec(vec![1.0f32, 7.0, 3.0, 7.0, 3.0, 2.0, 0.0, 8.0], (1, 8));
        let y = pool2d(xt.leaky_trace(), PoolKind::Max, g).unwrap();
        assert_eq!(y.as_vec(), vec![3.0, 8.0]);
        let gx = y.sum().backward().get(&xt).as_vec();
        assert_eq!(gx, vec![0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn average_propagates_nan() {
        let dev: Cpu = Default::default();
        let g = Pool2dGeom {
            h: 2,
            w: 2,
            c: 1,
            k: 2,
        };
        let x = dev.tensor_from_vec(vec![1.0f32, f32::NAN, 2.0, 3.0], (1, 4));
        assert!(pool2d(x.clone(), PoolKind::Avg, g).unwrap().as_vec()[0].is_nan());
        assert!(global_avg_pool(x, 2, 2, 1).unwrap().as_vec()[0].is_nan());
    }

    #[test]
    fn rejects_what_does_not_fit() {
        let dev: Cpu = Default::default();
        let x = || dev.tensor_from_vec(vec![0.0f32; 2 * 12], (2, 12));
        let ok = Pool2dGeom {
            h: 2,
            w: 3,
            c: 2,
            k: 2,
        };
        assert!(pool2d(x(), PoolKind::Max, ok).is_ok());
        for bad in [
            Pool2dGeom { h: 3, ..ok },
            Pool2dGeom { k: 0, ..ok },
            Pool2dGeom { k: 3, ..ok },
            Pool2dGeom {
                h: 1,
                w: 12,
                c: 1,
                k: 2,
            },
        ] {
            for kind in [PoolKind::Max, PoolKind::Avg] {
                assert!(pool2d(x(), kind, bad).is_err(), "{bad:?}");
            }
        }
        assert!(global_avg_pool(x(), 2, 3, 2).is_ok());
        assert!(global_avg_pool(x(), 2, 2, 2).is_err());
        assert!(global_avg_pool(x(), 0, 3, 2).is_err());
    }
}
