//! 2×2 max-pooling (stride 2, floor) of NHWC images, fused with the bias add and
//! ReLU that follow it in a conv block: `y = relu(max(taps) + b[channel])`.
//!
//! PyTorch code writes conv → (+bias) → ReLU → max-pool; a per-channel bias and a
//! monotonic ReLU both commute with a max, so pooling first gives the same values
//! and gradients while the bias and ReLU touch 4× fewer numbers. The backward pass
//! routes each output's gradient to the tap that won the max (the first on ties,
//! as PyTorch), or nowhere where the ReLU zeroed the output. NaN wins a max and
//! passes the ReLU (PyTorch's behaviour), so a diverged network shows a NaN loss.

use dfdx::dtypes::Dtype;

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

/// The code of an output the ReLU zeroed (its gradient goes nowhere).
pub(crate) const DEAD: u8 = 4;

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
    /// Input offsets (within one image) of the four taps of output pixel `(oy, ox)`,
    /// channel 0, in PyTorch's tie order.
    pub(crate) fn taps(&self, oy: usize, ox: usize) -> [usize; 4] {
        let row = self.w * self.c;
        let t0 = (2 * oy * self.w + 2 * ox) * self.c;
        [t0, t0 + self.c, t0 + row, t0 + row + self.c]
    }
}

/// `v` is NaN (the one value not equal to itself).
#[allow(clippy::eq_op)]
pub(crate) fn is_nan<E: PartialEq>(v: E) -> bool {
    v != v
}

/// Pools whole images `xs` (`g.in_len()` floats each), adds `bias` (one per channel)
/// and applies the ReLU: the outputs (`g.out_len()` per image) and, per output, the
/// code the backward pass needs (the winning tap 0–3, or the ReLU's `DEAD`).
#[cfg(test)]
pub(crate) fn forward<E: Dtype>(xs: &[E], g: PoolGeom, bias: &[E]) -> (Vec<E>, Vec<u8>) {
    let batch = xs.len() / g.in_len().max(1);
    let mut out = vec![E::default(); batch * g.out_len()];
    let mut codes = vec![0u8; batch * g.out_len()];
    forward_into(xs, g, bias, &mut out, &mut codes);
    (out, codes)
}

/// [`forward`] into `out` and `codes` (`g.out_len()` per image of `xs`).
pub(crate) fn forward_into<E: Dtype>(
    xs: &[E],
    g: PoolGeom,
    bias: &[E],
    out: &mut [E],
    codes: &mut [u8],
) {
    let images = xs
        .chunks_exact(g.in_len())
        .zip(out.chunks_exact_mut(g.out_len()))
        .zip(codes.chunks_exact_mut(g.out_len()));
    for ((img, out_img), code_img) in images {
        for oy in 0..g.out_h() {
            for ox in 0..g.out_w() {
                let p = (oy * g.out_w() + ox) * g.c;
                let out = &mut out_img[p..p + g.c];
                let codes = &mut code_img[p..p + g.c];
                let [a, b, c, d] = g.taps(oy, ox).map(|t| &img[t..t + g.c]);
                pool_pixel([a, b, c, d], bias, out, codes);
            }
        }
    }
}

/// One output pixel: every channel's max over the four taps, plus bias, ReLU.
#[inline(always)]
fn pool_pixel<E: Dtype>(taps: [&[E]; 4], bias: &[E], out: &mut [E], codes: &mut [u8]) {
    let n = out.len();
    let [a, b, c, d] = taps.map(|t| &t[..n]);
    let (bias, codes) = (&bias[..n], &mut codes[..n]);
    let zero = E::default();
    for ch in 0..n {
        // Later taps win only when larger (ties: the first) or NaN.
        let (mut best, mut k) = (a[ch], 0u8);
        if b[ch] > best || is_nan(b[ch]) {
            (best, k) = (b[ch], 1);
        }
        if c[ch] > best || is_nan(c[ch]) {
            (best, k) = (c[ch], 2);
        }
        if d[ch] > best || is_nan(d[ch]) {
            (best, k) = (d[ch], 3);
        }
        let v = best + bias[ch];
        let alive = v > zero || is_nan(v);
        out[ch] = if alive { v } else { zero };
        codes[ch] = if alive { k } else { DEAD };
    }
}

/// Adds the gradient of the pooled outputs `dy` to the inputs' (`g_x`, whole images)
/// and the bias's (`g_b`).
pub(crate) fn backward<E: Dtype>(
    dy: &[E],
    codes: &[u8],
    g: PoolGeom,
    g_x: &mut [E],
    g_b: &mut [E],
) {
    let per_image = g.out_len();
    for ((gx, dy), codes) in g_x
        .chunks_exact_mut(g.in_len())
        .zip(dy.chunks_exact(per_image))
        .zip(codes.chunks_exact(per_image))
    {
        let mut o = 0;
        for oy in 0..g.out_h() {
            for ox in 0..g.out_w() {
                let taps = g.taps(oy, ox);
                for (ch, gb) in g_b.iter_mut().enumerate() {
                    let code = codes[o];
                    if code != DEAD {
                        gx[taps[code as usize] + ch] += dy[o];
                        *gb += dy[o];
                    }
                    o += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// relu(max of the 2×2 window + bias), the slow way.
    fn naive(x: &[f64], batch: usize, g: PoolGeom, bias: &[f64]) -> Vec<f64> {
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
                        out.push((m + bias[ch]).max(0.0));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn matches_naive_pooling_and_finite_differences() {
        let mut rng = StdRng::seed_from_u64(3);
        for g in [PoolGeom { h: 4, w: 6, c: 3 }, PoolGeom { h: 5, w: 5, c: 2 }] {
            let batch = 2;
            let x: Vec<f64> = (0..batch * g.in_len())
                .map(|_| rng.gen_range(-1.0..1.0))
                .collect();
            let bias: Vec<f64> = (0..g.c).map(|_| rng.gen_range(-0.5..0.5)).collect();
            let r: Vec<f64> = (0..batch * g.out_len())
                .map(|_| rng.gen_range(-1.0..1.0))
                .collect();
            let (y, codes) = forward(&x, g, &bias);
            assert_eq!(y, naive(&x, batch, g, &bias));
            let (mut gx, mut gb) = (vec![0.0; x.len()], vec![0.0; g.c]);
            backward(&r, &codes, g, &mut gx, &mut gb);
            let loss = |x: &[f64], bias: &[f64]| -> f64 {
                naive(x, batch, g, bias)
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
                let fd = (loss(&xp, &bias) - loss(&xm, &bias)) / (2.0 * eps);
                assert!(
                    (fd - gx[i]).abs() < 1e-6,
                    "{g:?} dx[{i}]: {fd} vs {}",
                    gx[i]
                );
            }
            for i in 0..g.c {
                let (mut bp, mut bm) = (bias.clone(), bias.clone());
                bp[i] += eps;
                bm[i] -= eps;
                let fd = (loss(&x, &bp) - loss(&x, &bm)) / (2.0 * eps);
                assert!(
                    (fd - gb[i]).abs() < 1e-6,
                    "{g:?} db[{i}]: {fd} vs {}",
                    gb[i]
                );
            }
        }
    }

    #[test]
    fn ties_go_to_the_first_tap_and_nan_wins() {
        let g = PoolGeom { h: 2, w: 2, c: 1 };
        let (y, codes) = forward(&[1.0f32; 4], g, &[0.0]);
        assert_eq!(y, vec![1.0]);
        let mut gx = vec![0.0f32; 4];
        backward(&[1.0], &codes, g, &mut gx, &mut [0.0]);
        assert_eq!(gx, vec![1.0, 0.0, 0.0, 0.0]);

        let (y, _) = forward(&[1.0f32, f32::NAN, 2.0, 0.0], g, &[0.0]);
        assert!(y[0].is_nan());
        let (y, codes) = forward(&[-1.0f32, -2.0, -3.0, -4.0], g, &[0.5]);
        assert_eq!(y, vec![0.0]);
        let mut gx = vec![0.0f32; 4];
        let mut gb = vec![0.0f32];
        backward(&[1.0], &codes, g, &mut gx, &mut gb);
        assert_eq!((gx, gb), (vec![0.0; 4], vec![0.0]));
    }
}
