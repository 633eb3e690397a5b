//! Batch normalisation, ReLU and 2×2 max-pooling (stride 2, floor) of a
//! convolution's NHWC output map as one op on dfdx's tape: `maxpool2(relu(bn(x)))`,
//! what PyTorch computes as `F.max_pool2d(F.relu(bn(x)), 2)`.
//!
//! Why fused: as three ops, each copies its input out of its tensor and writes a
//! full-size output, and on the way back each takes a full-size gradient and fills
//! a zeroed one for its input, with batch norm's arithmetic in `f64` per value.
//! Here the input is copied once, only the pooled output (a quarter of the values)
//! becomes a tensor, and the backward pass writes the input's gradient in one pass.
//! Per value the work is in the element type: one multiply-add with the channel's
//! `scale = γ/√(σ² + ε)` and `shift = β − μ·scale` (as PyTorch's CPU kernel does);
//! `f64` is kept for the per-channel statistics and sums.
//!
//! The order matters: γ may be negative, so the max cannot be taken before
//! normalising (the largest input may become the smallest output). The four taps
//! of a window are normalised and the largest wins (ties: the first tap in
//! PyTorch's order; NaN wins, as in `pool.rs`); the ReLU, which commutes with the
//! max, then zeroes it or not. Each output keeps a code: the winning tap, or
//! [`DEAD`] where the ReLU zeroed it. On odd sizes the last row or column is never
//! pooled but counts in the statistics, as in PyTorch, and gets a gradient through
//! them only.
//!
//! Backward, with `dz` the gradient at the normalised values (the output's gradient
//! at the winning tap, zero at the others): batch norm's
//! `dx = scale·(dz − mean(dz) − x̂·mean(dz·x̂))` needs the batch's `Σdz` and
//! `Σdz·x̂` per channel, sums over the winners only. In training they are
//! all-reduced across the step's shards, in the same order and with the same
//! failure handling as in `batchnorm.rs`, whose statistics code this op shares. γ's
//! and β's gradients are the shard's own `Σdz·x̂` and `Σdz`, added up by the caller
//! like every parameter's. In evaluation the running statistics are constants and
//! `dx = scale·dz`.

use std::sync::Arc;

use dfdx::dtypes::Dtype;
use dfdx::shapes::HasShape;
use dfdx::tensor::{Cpu, CpuError, PutTape, SplitTape, Tape, Tensor, TensorFromVec};

use super::ModelError;
use super::batchnorm::{BatchStats, BnMode, EPS, from_f64, to_f64, whole_batch_stats};
use super::param::Bias;
use super::pool::{DEAD, PoolGeom, is_nan};

/// A batch of feature maps, one flat NHWC map per row.
type Maps<E, T> = Tensor<(usize, usize), E, Cpu, T>;

/// `maxpool2(relu(γ·(x − μ)/√(σ² + ε) + β))` for `x` `(batch, h·w·c)`, the NHWC
/// maps of geometry `g` (at least 2×2), with γ and β `(c,)`:
/// `(batch, (h/2)·(w/2)·c)`, on `x`'s tape. The statistics are the same as
/// [`batch_norm`](super::batchnorm::batch_norm)'s: in [`BnMode::Train`] the whole
/// batch's, over every value of the maps, gathered from every shard of the step
/// (each must call this, in the same order) and returned; in [`BnMode::Eval`] the
/// given running ones.
///
/// Errors: shapes that do not fit; in training, fewer than two values per channel
/// in the whole batch, or a step stopped by another shard (during the backward
/// pass, `try_backward` then fails with `CpuError::WrongNumElements`, as for
/// `batch_norm`).
pub(crate) fn norm_block<E: Dtype, T: Tape<E, Cpu>>(
    x: Maps<E, T>,
    gamma: &Bias<E>,
    beta: &Bias<E>,
    g: PoolGeom,
    mode: BnMode<'_>,
) -> Result<(Maps<E, T>, Option<BatchStats>), ModelError> {
    let (m, n) = *x.shape();
    let c = g.c;
    if c == 0 || n != g.in_len() || g.out_len() == 0 || gamma.shape().0 != c || beta.shape().0 != c
    {
        return Err(ModelError::BadInput(format!(
            "norm block: ({m}, {n}) input for {g:?} (at least 2×2), γ ({},), β ({},)",
            gamma.shape().0,
            beta.shape().0
        )));
    }
    if let BnMode::Eval { mean, var } = mode
        && (mean.len() != c || var.len() != c)
    {
        return Err(ModelError::BadInput(format!(
            "norm block: running statistics of {} and {} channels for {c}",
            mean.len(),
            var.len()
        )));
    }
    let mut xs = vec![E::default(); m * n];
    x.copy_into(&mut xs);

    let (stats, sync, mean, var) = match mode {
        BnMode::Train { sync, shard } => {
            let stats = whole_batch_stats(&xs, c, sync, shard)?;
            let (mean, var) = (stats.mean.clone(), stats.var.clone());
            (Some(stats), Some((Arc::clone(sync), shard)), mean, var)
        }
        BnMode::Eval { mean, var } => {
            let widen = |v: &[f32]| v.iter().map(|&v| f64::from(v)).collect::<Vec<_>>();
            (None, None, widen(mean), widen(var))
        }
    };
    let norm = Norm::new(gamma.values(), beta.values(), &mean, &var);

    let out_len = g.out_len();
    let mut ys = vec![E::default(); m * out_len];
    let mut codes = vec![0u8; m * out_len];
    let images = xs
        .chunks_exact(n)
        .zip(ys.chunks_exact_mut(out_len))
        .zip(codes.chunks_exact_mut(out_len));
    for ((img, out), code) in images {
        for oy in 0..g.out_h() {
            for ox in 0..g.out_w() {
                let p = (oy * g.out_w() + ox) * c;
                let taps = g.taps(oy, ox).map(|t| &img[t..t + c]);
                norm_pool_pixel(taps, &norm, &mut out[p..p + c], &mut code[p..p + c]);
            }
        }
    }
    let out = x
        .device()
        .clone()
        .try_tensor_from_vec(ys, (m, out_len))
        .map_err(|e| ModelError::BadInput(format!("norm block: {e:?}")))?;

    let count = stats.as_ref().map_or(0, |s| s.count);
    let (x, mut tape) = x.split_tape();
    let x_ghost = x.ghost();
    let (g_key, b_key) = (gamma.key().ghost(), beta.key().ghost());
    let out_ghost = out.ghost();
    tape.add_backward_op(move |grads| {
        // Only this op reads its output's gradient, after all consumers wrote it.
        let dy: Vec<E> = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
        // This shard's Σdz and Σdz·x̂ per channel: β's and γ's gradients, and its
        // part of the batch's.
        let sums = winner_sums(&xs, &dy, &codes, g, &norm);
        // In training, dx also depends on the whole batch's sums (through μ and σ).
        // If this shard fails before it gets here, its guard releases the others.
        let means = match &sync {
            Some((sync, shard)) => {
                let mut totals = sync
                    .all_reduce(*shard, &sums)
                    .map_err(|_| CpuError::WrongNumElements)?;
                for t in &mut totals {
                    *t /= count as f64;
                }
                Some(totals)
            }
            None => None,
        };
        let (sum_dz, sum_dz_xhat) = sums.split_at(c);
        for (d, &s) in grads.get_or_alloc_mut(&g_key)?.iter_mut().zip(sum_dz_xhat) {
            *d += from_f64::<E>(s);
        }
        for (d, &s) in grads.get_or_alloc_mut(&b_key)?.iter_mut().zip(sum_dz) {
            *d += from_f64::<E>(s);
        }
        let dx_formula = DxFormula::new(&norm, means.as_deref());
        input_grad(
            grads.get_or_alloc_mut(&x_ghost)?,
            &xs,
            &dy,
            &codes,
            g,
            &dx_formula,
        );
        Ok(())
    });
    Ok((out.put_tape(tape), stats))
}

/// A channel's normalisation, per channel: `y = x·scale + shift`, and what the
/// backward pass needs to recompute `x̂ = (x − μ)/√(σ² + ε)`.
struct Norm<E> {
    /// `γ/√(σ² + ε)`, rounded to `E`.
    scale: Vec<E>,
    /// `β − μ·scale` (with the rounded scale, so that `x = μ` gives β).
    shift: Vec<E>,
    /// `scale` as used, widened.
    scale64: Vec<f64>,
    /// μ.
    mean: Vec<f64>,
    /// `1/√(σ² + ε)`.
    inv_std: Vec<f64>,
}

impl<E: Dtype> Norm<E> {
    fn new(gamma: &[E], beta: &[E], mean: &[f64], var: &[f64]) -> Self {
        let inv_std: Vec<f64> = var.iter().map(|v| 1.0 / (v + EPS).sqrt()).collect();
        let scale: Vec<E> = gamma
            .iter()
            .zip(&inv_std)
            .map(|(&g, s)| from_f64(to_f64(g) * s))
            .collect();
        let scale64: Vec<f64> = scale.iter().map(|&s| to_f64(s)).collect();
        let shift = beta
            .iter()
            .zip(mean)
            .zip(&scale64)
            .map(|((&b, mu), s)| from_f64(to_f64(b) - mu * s))
            .collect();
        Norm {
            scale,
            shift,
            scale64,
            mean: mean.to_vec(),
            inv_std,
        }
    }
}

/// One output pixel: every channel's four taps normalised, the first largest (or a
/// NaN) wins, then the ReLU; the codes say which tap won, or [`DEAD`].
#[inline(always)]
fn norm_pool_pixel<E: Dtype>(taps: [&[E]; 4], norm: &Norm<E>, out: &mut [E], codes: &mut [u8]) {
    let n = out.len();
    let [a, b, c, d] = taps.map(|t| &t[..n]);
    let (scale, shift, codes) = (&norm.scale[..n], &norm.shift[..n], &mut codes[..n]);
    let zero = E::default();
    for ch in 0..n {
        let (s, t) = (scale[ch], shift[ch]);
        // Later taps win only when larger (ties: the first) or NaN.
        let (mut best, mut k) = (a[ch] * s + t, 0u8);
        let v = b[ch] * s + t;
        if v > best || is_nan(v) {
            (best, k) = (v, 1);
        }
        let v = c[ch] * s + t;
        if v > best || is_nan(v) {
            (best, k) = (v, 2);
        }
        let v = d[ch] * s + t;
        if v > best || is_nan(v) {
            (best, k) = (v, 3);
        }
        let alive = best > zero || is_nan(best);
        out[ch] = if alive { best } else { zero };
        codes[ch] = if alive { k } else { DEAD };
    }
}

/// `[Σdz, Σdz·x̂]` per channel (`2c` values) over this shard's outputs: `dz` is the
/// output's gradient at each winning tap and zero elsewhere, so only winners count.
fn winner_sums<E: Dtype>(
    xs: &[E],
    dy: &[E],
    codes: &[u8],
    g: PoolGeom,
    norm: &Norm<E>,
) -> Vec<f64> {
    let c = g.c;
    let mut sums = vec![0.0f64; 2 * c];
    let (sum_dz, sum_dz_xhat) = sums.split_at_mut(c);
    let out_len = g.out_len();
    let images = xs
        .chunks_exact(g.in_len())
        .zip(dy.chunks_exact(out_len))
        .zip(codes.chunks_exact(out_len));
    for ((img, dy), codes) in images {
        for oy in 0..g.out_h() {
            for ox in 0..g.out_w() {
                let taps = g.taps(oy, ox);
                let p = (oy * g.out_w() + ox) * c;
                let (dy, codes) = (&dy[p..p + c], &codes[p..p + c]);
                for (ch, (&d, &k)) in dy.iter().zip(codes).enumerate() {
                    // DEAD is no tap: its output passed no gradient.
                    if let Some(&tap) = taps.get(usize::from(k)) {
                        let d = to_f64(d);
                        let xhat = (to_f64(img[tap + ch]) - norm.mean[ch]) * norm.inv_std[ch];
                        sum_dz[ch] += d;
                        sum_dz_xhat[ch] += d * xhat;
                    }
                }
            }
        }
    }
    sums
}

/// The input gradient's formula per channel, `dx = scale·dz + k0 + (x − μ)·k1`,
/// in the element type: `scale·(dz − mean(dz) − x̂·mean(dz·x̂))` expanded.
struct DxFormula<E> {
    /// `γ/√(σ² + ε)`: the winning taps' factor of `dz`.
    scale: Vec<E>,
    /// μ, rounded.
    mean: Vec<E>,
    /// `−scale·mean(dz)`.
    k0: Vec<E>,
    /// `−scale·mean(dz·x̂)/√(σ² + ε)`.
    k1: Vec<E>,
}

impl<E: Dtype> DxFormula<E> {
    /// The formula from the normalisation and the batch's means of `dz` and `dz·x̂`
    /// (`[mean(dz), mean(dz·x̂)]`, `2c` values), none in evaluation (constant
    /// statistics: `dx = scale·dz`).
    fn new(norm: &Norm<E>, means: Option<&[f64]>) -> Self {
        let c = norm.scale.len();
        let (k0, k1) = match means {
            Some(means) => {
                let (mean_dz, mean_dz_xhat) = means.split_at(c);
                let k0 = (0..c)
                    .map(|j| from_f64(-norm.scale64[j] * mean_dz[j]))
                    .collect();
                let k1 = (0..c)
                    .map(|j| from_f64(-norm.scale64[j] * mean_dz_xhat[j] * norm.inv_std[j]))
                    .collect();
                (k0, k1)
            }
            None => (vec![E::default(); c], vec![E::default(); c]),
        };
        DxFormula {
            scale: norm.scale.clone(),
            mean: norm.mean.iter().map(|&v| from_f64(v)).collect(),
            k0,
            k1,
        }
    }
}

/// Adds the input's gradient to `g_x` (whole maps, as `xs`): every value gets the
/// statistics' part, the winning taps also `scale·dy`.
fn input_grad<E: Dtype>(
    g_x: &mut [E],
    xs: &[E],
    dy: &[E],
    codes: &[u8],
    g: PoolGeom,
    dx_formula: &DxFormula<E>,
) {
    let (c, out_len) = (g.c, g.out_len());
    let (pooled_h, pooled_w) = (2 * g.out_h(), 2 * g.out_w());
    let images = g_x
        .chunks_exact_mut(g.in_len())
        .zip(xs.chunks_exact(g.in_len()))
        .zip(dy.chunks_exact(out_len))
        .zip(codes.chunks_exact(out_len));
    for (((gx, img), dy), codes) in images {
        for y in 0..g.h {
            for x in 0..g.w {
                let i = (y * g.w + x) * c;
                let (gx, xv) = (&mut gx[i..i + c], &img[i..i + c]);
                if y < pooled_h && x < pooled_w {
                    // This pixel's tap number in its window (PyTorch's order).
                    let tap = (2 * (y % 2) + x % 2) as u8;
                    let p = ((y / 2) * g.out_w() + x / 2) * c;
                    pooled_grad(gx, xv, &dy[p..p + c], &codes[p..p + c], tap, dx_formula);
                } else {
                    dropped_grad(gx, xv, dx_formula);
                }
            }
        }
    }
}

/// One pooled pixel's gradient, every channel: the winners' `scale·dy`, plus the
/// statistics' part.
#[inline(always)]
fn pooled_grad<E: Dtype>(
    gx: &mut [E],
    xv: &[E],
    dy: &[E],
    codes: &[u8],
    tap: u8,
    dx_formula: &DxFormula<E>,
) {
    let n = gx.len();
    let (xv, dy, codes) = (&xv[..n], &dy[..n], &codes[..n]);
    let (scale, mean, k0, k1) = (
        &dx_formula.scale[..n],
        &dx_formula.mean[..n],
        &dx_formula.k0[..n],
        &dx_formula.k1[..n],
    );
    let zero = E::default();
    for ch in 0..n {
        let won = if codes[ch] == tap {
            scale[ch] * dy[ch]
        } else {
            zero
        };
        gx[ch] += won + k0[ch] + (xv[ch] - mean[ch]) * k1[ch];
    }
}

/// The gradient of a pixel of the row or column that odd sizes leave unpooled:
/// the statistics' part only.
#[inline(always)]
fn dropped_grad<E: Dtype>(gx: &mut [E], xv: &[E], dx_formula: &DxFormula<E>) {
    let n = gx.len();
    let xv = &xv[..n];
    let (mean, k0, k1) = (
        &dx_formula.mean[..n],
        &dx_formula.k0[..n],
        &dx_formula.k1[..n],
    );
    for ch in 0..n {
        gx[ch] += k0[ch] + (xv[ch] - mean[ch]) * k1[ch];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::act::{Activation, activation};
    use crate::model::batchnorm::batch_norm;
    use crate::model::batchnorm::tests::{close, dot, naive as naive_bn, rand_vec, splits, values};
    use crate::model::parallel::{map_concurrent, split};
    use crate::model::pool2d::{Pool2dGeom, PoolKind, pool2d};
    use crate::model::sync::{ShardSync, within_patience};
    use dfdx::prelude::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};
    use std::ops::Range;

    /// PyTorch's ReLU (NaN passes).
    fn relu(v: f64) -> f64 {
        if v > 0.0 || v.is_nan() { v } else { 0.0 }
    }

    /// `maxpool2(relu(bn(x)))` the slow way, for `x` whole maps of `g`: the outputs
    /// (max: the first on ties, NaN wins), and the mean and biased variance used
    /// (the batch's, or the `running` ones).
    fn naive(
        x: &[f64],
        g: PoolGeom,
        gamma: &[f64],
        beta: &[f64],
        running: Option<(&[f64], &[f64])>,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (y, mean, var) = naive_bn(x, g.c, gamma, beta, running);
        let mut out = Vec::new();
        for img in y.chunks_exact(g.in_len()) {
            for oy in 0..g.out_h() {
                for ox in 0..g.out_w() {
                    for ch in 0..g.c {
                        let at = |y: usize, x: usize| relu(img[(y * g.w + x) * g.c + ch]);
                        let mut best = at(2 * oy, 2 * ox);
                        for v in [
                            at(2 * oy, 2 * ox + 1),
                            at(2 * oy + 1, 2 * ox),
                            at(2 * oy + 1, 2 * ox + 1),
                        ] {
                            if v > best || v.is_nan() {
                                best = v;
                            }
                        }
                        out.push(best);
                    }
                }
            }
        }
        (out, mean, var)
    }

    /// Whether every window of `x`, normalised, has a clear winner, clear of the
    /// ReLU's kink (by `margin`): then small nudges do not change the winners and
    /// finite differences are the derivative.
    fn clear_winners(
        x: &[f64],
        g: PoolGeom,
        gamma: &[f64],
        beta: &[f64],
        running: Option<(&[f64], &[f64])>,
        margin: f64,
    ) -> bool {
        let y = naive_bn(x, g.c, gamma, beta, running).0;
        y.chunks_exact(g.in_len()).all(|img| {
            (0..g.out_h() * g.out_w() * g.c).all(|o| {
                let (p, ch) = (o / g.c, o % g.c);
                let (oy, ox) = (p / g.out_w(), p % g.out_w());
                let mut taps = g.taps(oy, ox).map(|t| img[t + ch]);
                taps.sort_by(|a, b| b.total_cmp(a));
                taps[0] - taps[1] > margin && taps[0].abs() > margin
            })
        })
    }

    /// `m` maps of `g`: values in [−2, 3), channel 0 moved by `offset` (far from
    /// zero, where `Σx² − n·μ²` would lose digits).
    fn maps(rng: &mut StdRng, m: usize, g: PoolGeom, offset: f64) -> Vec<f64> {
        let mut x = rand_vec(rng, m * g.in_len(), -2.0, 3.0);
        for v in x.iter_mut().step_by(g.c) {
            *v += offset;
        }
        x
    }

    /// γ of both signs (channel 0's negative) and β.
    fn scale_shift(rng: &mut StdRng, c: usize) -> (Vec<f64>, Vec<f64>) {
        let gamma = (0..c)
            .map(|j| {
                let s = if j == 0 || rng.gen_bool(0.5) {
                    -1.0
                } else {
                    1.0
                };
                s * rng.gen_range(0.5..1.5)
            })
            .collect();
        (gamma, rand_vec(rng, c, -1.0, 1.0))
    }

    const GEOMS: [(usize, PoolGeom); 5] = [
        (3, PoolGeom { h: 4, w: 6, c: 2 }),
        (2, PoolGeom { h: 5, w: 5, c: 3 }),
        (1, PoolGeom { h: 3, w: 4, c: 2 }),
        (4, PoolGeom { h: 2, w: 2, c: 1 }),
        (2, PoolGeom { h: 7, w: 6, c: 4 }),
    ];

    #[test]
    fn matches_naive_and_finite_differences_in_training_and_evaluation() {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(7);
        for (m, g) in GEOMS {
            let c = g.c;
            let run_mean: Vec<f32> = rand_vec(&mut rng, c, -1.0, 1.0)
                .iter()
                .map(|&v| v as f32)
                .collect();
            let run_var: Vec<f32> = rand_vec(&mut rng, c, 0.5, 2.0)
                .iter()
                .map(|&v| v as f32)
                .collect();
            let widen = |v: &[f32]| v.iter().map(|&v| f64::from(v)).collect::<Vec<_>>();
            let (rm, rv) = (widen(&run_mean), widen(&run_var));
            for train in [true, false] {
                let what = format!("{m} × {g:?} train {train}");
                let running = (!train).then_some((&rm[..], &rv[..]));
                // Channel 0 far from zero in training; near the running mean else.
                let offset = if train { 1000.0 } else { 0.0 };
                let (x, gamma, beta) = loop {
                    let x = maps(&mut rng, m, g, offset);
                    let (gamma, beta) = scale_shift(&mut rng, c);
                    if clear_winners(&x, g, &gamma, &beta, running, 1e-3) {
                        break (x, gamma, beta);
                    }
                };
                let r = rand_vec(&mut rng, m * g.out_len(), -1.0, 1.0);
                let sync = Arc::new(ShardSync::new(1));
                let mode = if train {
                    BnMode::Train {
                        sync: &sync,
                        shard: 0,
                    }
                } else {
                    BnMode::Eval {
                        mean: &run_mean,
                        var: &run_var,
                    }
                };
                let xt = dev.tensor_from_vec(x.clone(), (m, g.in_len()));
                let gp = Bias::new(&dev, gamma.clone(), (c,)).unwrap();
                let bp = Bias::new(&dev, beta.clone(), (c,)).unwrap();
                let (y, stats) = norm_block(xt.leaky_trace(), &gp, &bp, g, mode).unwrap();
                let (ny, nmean, nvar) = naive(&x, g, &gamma, &beta, running);
                close(&values(&y), &ny, 1e-12, &format!("{what} y"));
                match stats {
                    Some(st) => {
                        assert!(train);
                        assert_eq!(st.count, m * g.h * g.w);
                        close(&st.mean, &nmean, 1e-13, &format!("{what} mean"));
                        close(&st.var, &nvar, 1e-12, &format!("{what} var"));
                    }
                    None => assert!(!train),
                }
                let mut grads = dot(y, r.clone()).backward();
                let gx = values(&grads.get(&xt));
                let gg = gp.grad_mut(&mut grads).unwrap().to_vec();
                let gb = bp.grad_mut(&mut grads).unwrap().to_vec();

                let loss = |x: &[f64], gamma: &[f64], beta: &[f64]| -> f64 {
                    let y = naive(x, g, gamma, beta, running).0;
                    y.iter().zip(&r).map(|(y, r)| y * r).sum()
                };
                let eps = 1e-6;
                let fd = |f: &dyn Fn(f64) -> f64| (f(eps) - f(-eps)) / (2.0 * eps);
                let nudged = |v: &[f64], i: usize, e: f64| {
                    let mut v = v.to_vec();
                    v[i] += e;
                    v
                };
                let fx: Vec<f64> = (0..x.len())
                    .map(|i| fd(&|e| loss(&nudged(&x, i, e), &gamma, &beta)))
                    .collect();
                let fg: Vec<f64> = (0..c)
                    .map(|i| fd(&|e| loss(&x, &nudged(&gamma, i, e), &beta)))
                    .collect();
                let fb: Vec<f64> = (0..c)
                    .map(|i| fd(&|e| loss(&x, &gamma, &nudged(&beta, i, e))))
                    .collect();
                close(&gx, &fx, 1e-6, &format!("{what} dx"));
                close(&gg, &fg, 1e-6, &format!("{what} dγ"));
                close(&gb, &fb, 1e-6, &format!("{what} dβ"));
                if train && g.h % 2 == 1 {
                    // The unpooled last row still has a gradient, through the
                    // statistics.
                    let last_row = (g.h - 1) * g.w * c..g.in_len();
                    assert!(gx[last_row].iter().any(|&d| d.abs() > 1e-9), "{what}");
                }
            }
        }
    }

    /// One 2×2 map of one channel in evaluation (running mean 0, variance 1):
    /// the output and the gradients of x, γ and β for an output gradient of 1.
    fn eval_one(x: [f32; 4], gamma: f32, beta: f32) -> (f32, Vec<f32>, f32, f32) {
        let dev: Cpu = Default::default();
        let g = PoolGeom { h: 2, w: 2, c: 1 };
        let gp = Bias::new(&dev, vec![gamma], (1,)).unwrap();
        let bp = Bias::new(&dev, vec![beta], (1,)).unwrap();
        let (mean, var) = ([0.0f32], [1.0f32]);
        let mode = BnMode::Eval {
            mean: &mean,
            var: &var,
        };
        let xt = dev.tensor_from_vec(x.to_vec(), (1, 4));
        let (y, stats) = norm_block(xt.leaky_trace(), &gp, &bp, g, mode).unwrap();
        assert!(stats.is_none());
        let out = values(&y)[0];
        let mut grads = dot(y, vec![1.0]).backward();
        let gx = values(&grads.get(&xt));
        let gg = gp.grad_mut(&mut grads).unwrap()[0];
        let gb = bp.grad_mut(&mut grads).unwrap()[0];
        (out, gx, gg, gb)
    }

    #[test]
    fn ties_go_to_the_first_tap_nan_wins_and_a_negative_scale_picks_the_least() {
        // 1/√(1 + ε): the running variance's scale.
        let s = (1.0 / (1.0 + EPS).sqrt()) as f32;
        let (y, gx, gg, gb) = eval_one([1.0; 4], 1.0, 0.0);
        assert_eq!(y, s);
        assert_eq!((gx, gg, gb), (vec![s, 0.0, 0.0, 0.0], s, 1.0));
        // γ < 0: the least input wins; of the two 1s, the first.
        let (y, gx, gg, gb) = eval_one([3.0, 1.0, 2.0, 1.0], -1.0, 5.0);
        assert_eq!(y, 1.0 * -s + 5.0);
        assert_eq!((gx, gg, gb), (vec![0.0, -s, 0.0, 0.0], s, 1.0));
        // NaN wins the max and passes the ReLU.
        assert!(eval_one([1.0, f32::NAN, 2.0, 0.0], 1.0, 0.0).0.is_nan());
        assert!(eval_one([-1.0, -2.0, -3.0, f32::NAN], 1.0, -9.0).0.is_nan());
        // Zeroed by the ReLU: no gradient anywhere.
        let (y, gx, gg, gb) = eval_one([-1.0, -2.0, -3.0, -4.0], 1.0, 0.5);
        assert_eq!((y, gx, gg, gb), (0.0, vec![0.0; 4], 0.0, 0.0));

        // In training a NaN makes its channel's statistics, so every output of
        // the channel, NaN (as in PyTorch); the other channel is untouched.
        let dev: Cpu = Default::default();
        let g = PoolGeom { h: 2, w: 2, c: 2 };
        let ones = Bias::new(&dev, vec![1.0f32; 2], (2,)).unwrap();
        let zeros = Bias::new(&dev, vec![0.0f32; 2], (2,)).unwrap();
        let x = vec![1.0f32, 1.0, 2.0, 2.0, f32::NAN, 3.0, 0.0, 4.0];
        let sync = Arc::new(ShardSync::new(1));
        let mode = BnMode::Train {
            sync: &sync,
            shard: 0,
        };
        let xt = dev.tensor_from_vec(x, (1, 8));
        let (y, stats) = norm_block(xt, &ones, &zeros, g, mode).unwrap();
        let y = values(&y);
        assert!(y[0].is_nan() && y[1] > 0.0, "{y:?}");
        assert!(stats.is_some_and(|s| s.mean[0].is_nan() && s.mean[1] == 2.5));
    }

    /// What every shard of a training step computed: outputs, input gradient, γ's
    /// and β's gradients, statistics.
    type ShardRun<E> = (Vec<E>, Vec<E>, Vec<E>, Vec<E>, BatchStats);

    /// A training step's forward and backward passes over the maps `x` (of `g`),
    /// split into `ranges` of maps, the shards run at once, each on its own tape,
    /// with the loss `Σ y·r` over the whole batch. Shard `fail` (if any) fails
    /// between its forward and backward passes. The shards' own results, in order.
    fn shard_runs<E: Dtype>(
        x: &[E],
        r: &[E],
        g: PoolGeom,
        (gamma, beta): (&Bias<E>, &Bias<E>),
        ranges: &[Range<usize>],
        fail: Option<usize>,
    ) -> (Arc<ShardSync>, Vec<Result<ShardRun<E>, ModelError>>) {
        let sync = Arc::new(ShardSync::new(ranges.len()));
        let dev: Cpu = Default::default();
        let (n, o) = (g.in_len(), g.out_len());
        let items = ranges.iter().cloned().enumerate().collect();
        let results = map_concurrent(items, |(k, maps): (usize, Range<usize>)| {
            let guard = sync.guard(k);
            let work = || {
                let xs = x[maps.start * n..maps.end * n].to_vec();
                let xt = dev.tensor_from_vec(xs, (maps.len(), n));
                let rt = r[maps.start * o..maps.end * o].to_vec();
                let mode = BnMode::Train {
                    sync: &sync,
                    shard: k,
                };
                let (y, stats) = norm_block(xt.leaky_trace(), gamma, beta, g, mode)?;
                if fail == Some(k) {
                    return Err(ModelError::BadInput(format!("shard {k} fails")));
                }
                let ys = values(&y);
                let mut grads = dot(y, rt)
                    .try_backward()
                    .map_err(|e| ModelError::BadInput(format!("backward: {e}")))?;
                let dx = values(&grads.get(&xt));
                let dg = gamma.grad_mut(&mut grads)?.to_vec();
                let db = beta.grad_mut(&mut grads)?.to_vec();
                let stats = stats
                    .ok_or_else(|| ModelError::BadInput("no statistics in training".into()))?;
                Ok((ys, dx, dg, db, stats))
            };
            guard.finish(work())
        })
        .unwrap();
        (sync, results)
    }

    /// Runs every split of [`splits`] in element type `E` and checks it against the
    /// one-shard run within `tol` (relative), the shards' results put together as
    /// the caller would: maps concatenated, γ's and β's gradients added in shard
    /// order, the statistics the same bits on every shard.
    fn check_shard_independence<E: Dtype>(
        x: &[f64],
        r: &[f64],
        (m, g): (usize, PoolGeom),
        gamma: &[f64],
        beta: &[f64],
        tol: f64,
    ) {
        let dev: Cpu = Default::default();
        let cast = |v: &[f64]| v.iter().map(|&v| from_f64::<E>(v)).collect::<Vec<E>>();
        let widen = |v: &[E]| v.iter().map(|&v| to_f64(v)).collect::<Vec<f64>>();
        let (x, r) = (cast(x), cast(r));
        let c = g.c;
        let gp = Bias::new(&dev, cast(gamma), (c,)).unwrap();
        let bp = Bias::new(&dev, cast(beta), (c,)).unwrap();
        let mut reference: Option<ShardRun<f64>> = None;
        for ranges in splits(m) {
            let what = format!("{m} × {g:?} in {ranges:?}");
            let (sync, results) = shard_runs(&x, &r, g, (&gp, &bp), &ranges, None);
            let parts = sync.collect(results).unwrap();
            let (mut y, mut dx) = (Vec::new(), Vec::new());
            let (mut dg, mut db) = (vec![E::default(); c], vec![E::default(); c]);
            for (py, pdx, pdg, pdb, stats) in &parts {
                y.extend_from_slice(py);
                dx.extend_from_slice(pdx);
                for (a, &v) in dg.iter_mut().zip(pdg) {
                    *a += v;
                }
                for (a, &v) in db.iter_mut().zip(pdb) {
                    *a += v;
                }
                assert_eq!(stats, &parts[0].4, "every shard has the same statistics");
            }
            let run = (
                widen(&y),
                widen(&dx),
                widen(&dg),
                widen(&db),
                parts[0].4.clone(),
            );
            let (ry, rdx, rdg, rdb, rstats) = reference.get_or_insert_with(|| run.clone());
            close(&run.0, ry, tol, &format!("{what} y"));
            close(&run.1, rdx, tol, &format!("{what} dx"));
            close(&run.2, rdg, tol, &format!("{what} dγ"));
            close(&run.3, rdb, tol, &format!("{what} dβ"));
            assert_eq!(run.4.count, rstats.count);
            close(&run.4.mean, &rstats.mean, 1e-14, &format!("{what} mean"));
            close(&run.4.var, &rstats.var, 1e-12, &format!("{what} var"));
        }
    }

    #[test]
    fn shards_give_the_whole_batchs_outputs_and_gradients() {
        within_patience(|| {
            let mut rng = StdRng::seed_from_u64(3);
            for (m, g) in [
                (7, PoolGeom { h: 5, w: 4, c: 3 }),
                (5, PoolGeom { h: 4, w: 4, c: 2 }),
            ] {
                // The real loss is a mean over the batch: each shard's part is scaled
                // by the whole batch's size.
                let r: Vec<f64> = rand_vec(&mut rng, m * g.out_len(), -1.0, 1.0)
                    .iter()
                    .map(|v| v / m as f64)
                    .collect();
                let (gamma, beta) = scale_shift(&mut rng, g.c);
                let x = maps(&mut rng, m, g, 1000.0);
                check_shard_independence::<f64>(&x, &r, (m, g), &gamma, &beta, 1e-12);
                // In f32 each value is normalised by one multiply-add, in which a
                // large mean would cost digits: a map as a conv makes one.
                let x = maps(&mut rng, m, g, 0.3);
                check_shard_independence::<f32>(&x, &r, (m, g), &gamma, &beta, 1e-5);
            }
        });
    }

    /// What [`run_once`] computed: outputs, gradients of x, γ and β, statistics.
    type Run<E> = (Vec<E>, Vec<E>, Vec<E>, Vec<E>, Option<BatchStats>);

    /// The fused op, or `batch_norm`, `activation(Relu)` and `pool2d(Max)` in a row,
    /// on `x` (one shard): outputs, gradients of x, γ and β for the loss `Σ y·r`,
    /// statistics.
    fn run_once<E: Dtype>(
        x: &[E],
        r: &[E],
        (m, g): (usize, PoolGeom),
        (gamma, beta): (&Bias<E>, &Bias<E>),
        mode: BnMode<'_>,
        fused: bool,
    ) -> Run<E> {
        let dev: Cpu = Default::default();
        let xt = dev.tensor_from_vec(x.to_vec(), (m, g.in_len()));
        let (y, stats) = if fused {
            norm_block(xt.leaky_trace(), gamma, beta, g, mode).unwrap()
        } else {
            let (y, stats) = batch_norm(xt.leaky_trace(), gamma, beta, g.c, mode).unwrap();
            let y = activation(y, Activation::Relu).unwrap();
            let pg = Pool2dGeom {
                h: g.h,
                w: g.w,
                c: g.c,
                k: 2,
            };
            (pool2d(y, PoolKind::Max, pg).unwrap(), stats)
        };
        let ys = values(&y);
        let mut grads = dot(y, r.to_vec()).backward();
        let dx = values(&grads.get(&xt));
        let dg = gamma.grad_mut(&mut grads).unwrap().to_vec();
        let db = beta.grad_mut(&mut grads).unwrap().to_vec();
        (ys, dx, dg, db, stats)
    }

    /// The fused op against the three ops in a row, in `E`, within `tol`.
    fn check_against_ops_apart<E: Dtype>(seed: u64, tol: f64) {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(seed);
        let cast = |v: &[f64]| v.iter().map(|&v| from_f64::<E>(v)).collect::<Vec<E>>();
        let widen = |v: &[E]| v.iter().map(|&v| to_f64(v)).collect::<Vec<f64>>();
        let mut dead = 0;
        for (m, g) in [
            (4, PoolGeom { h: 6, w: 6, c: 3 }),
            (3, PoolGeom { h: 5, w: 7, c: 2 }),
            (2, PoolGeom { h: 8, w: 8, c: 16 }),
        ] {
            let c = g.c;
            let x = cast(&maps(&mut rng, m, g, 0.3));
            let r = cast(&rand_vec(&mut rng, m * g.out_len(), -1.0, 1.0));
            let (gamma, beta) = scale_shift(&mut rng, c);
            let gp = Bias::new(&dev, cast(&gamma), (c,)).unwrap();
            let bp = Bias::new(&dev, cast(&beta), (c,)).unwrap();
            let run_mean: Vec<f32> = (0..c).map(|_| rng.gen_range(-0.5..0.5)).collect();
            let run_var: Vec<f32> = (0..c).map(|_| rng.gen_range(0.5..2.0)).collect();
            let sync = Arc::new(ShardSync::new(1));
            for train in [true, false] {
                let what = format!("{m} × {g:?} train {train}");
                let mode = if train {
                    BnMode::Train {
                        sync: &sync,
                        shard: 0,
                    }
                } else {
                    BnMode::Eval {
                        mean: &run_mean,
                        var: &run_var,
                    }
                };
                let apart = run_once(&x, &r, (m, g), (&gp, &bp), mode, false);
                let fused = run_once(&x, &r, (m, g), (&gp, &bp), mode, true);
                close(
                    &widen(&fused.0),
                    &widen(&apart.0),
                    tol,
                    &format!("{what} y"),
                );
                close(
                    &widen(&fused.1),
                    &widen(&apart.1),
                    tol,
                    &format!("{what} dx"),
                );
                close(
                    &widen(&fused.2),
                    &widen(&apart.2),
                    tol,
                    &format!("{what} dγ"),
                );
                close(
                    &widen(&fused.3),
                    &widen(&apart.3),
                    tol,
                    &format!("{what} dβ"),
                );
                assert_eq!(fused.4, apart.4, "{what}: the same statistics");
                dead += fused.0.iter().filter(|&&v| v == E::default()).count();
            }
        }
        assert!(dead > 0, "some outputs were zeroed by the ReLU");
    }

    #[test]
    fn equals_batch_norm_relu_and_max_pool_run_apart() {
        check_against_ops_apart::<f64>(5, 1e-12);
        check_against_ops_apart::<f32>(6, 2e-5);
    }

    #[test]
    fn an_empty_batch_fails_on_every_shard_without_hanging() {
        let outcomes = within_patience(|| {
            let dev: Cpu = Default::default();
            let g = PoolGeom { h: 2, w: 2, c: 3 };
            let gp = Bias::new(&dev, vec![1.0f32; 3], (3,)).unwrap();
            let bp = Bias::new(&dev, vec![0.0f32; 3], (3,)).unwrap();
            let mut outcomes = Vec::new();
            for ranges in [split(0, 1), split(0, 3)] {
                let (_, results) = shard_runs(&[], &[], g, (&gp, &bp), &ranges, None);
                outcomes.extend(results.into_iter().map(|r| r.map(|_| ())));
            }
            outcomes
        });
        assert_eq!(outcomes.len(), 4);
        for r in outcomes {
            let e = r.unwrap_err().to_string();
            assert!(e.contains("more than 1 value per channel"), "{e}");
        }
    }

    #[test]
    fn a_shard_failing_before_the_backward_pass_releases_the_others() {
        let (errors, err) = within_patience(|| {
            let dev: Cpu = Default::default();
            let g = PoolGeom { h: 2, w: 3, c: 2 };
            let gp = Bias::new(&dev, vec![1.0f64; 2], (2,)).unwrap();
            let bp = Bias::new(&dev, vec![0.0f64; 2], (2,)).unwrap();
            let x: Vec<f64> = (0..3 * 12).map(f64::from).collect();
            let r = vec![1.0; 3 * 2];
            let (sync, results) = shard_runs(&x, &r, g, (&gp, &bp), &split(3, 3), Some(1));
            let errors = results.iter().filter(|r| r.is_err()).count();
            (errors, sync.collect(results).map(|_| ()))
        });
        assert_eq!(
            errors, 3,
            "the others' backward passes fail rather than wait"
        );
        assert!(err.unwrap_err().to_string().contains("shard 1 fails"));
    }

    #[test]
    fn rejects_shapes_that_do_not_fit() {
        let dev: Cpu = Default::default();
        let x = |n| dev.tensor_from_vec(vec![0.0f32; 2 * n], (2, n));
        let bias = |n| Bias::new(&dev, vec![0.0f32; n], (n,)).unwrap();
        let sync = Arc::new(ShardSync::new(1));
        let train = BnMode::Train {
            sync: &sync,
            shard: 0,
        };
        let g = PoolGeom { h: 2, w: 3, c: 2 };
        let geom = |h, w, c| PoolGeom { h, w, c };
        assert!(norm_block(x(12), &bias(2), &bias(2), g, train).is_ok());
        assert!(norm_block(x(11), &bias(2), &bias(2), g, train).is_err());
        assert!(norm_block(x(12), &bias(3), &bias(2), g, train).is_err());
        assert!(norm_block(x(12), &bias(2), &bias(3), g, train).is_err());
        assert!(norm_block(x(0), &bias(0), &bias(0), geom(2, 3, 0), train).is_err());
        assert!(norm_block(x(6), &bias(2), &bias(2), geom(1, 3, 2), train).is_err());
        let (mean, var) = ([0.0f32; 2], [1.0f32; 3]);
        let eval = BnMode::Eval {
            mean: &mean,
            var: &var,
        };
        assert!(norm_block(x(12), &bias(2), &bias(2), g, eval).is_err());
    }
}
