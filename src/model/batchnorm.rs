//! Batch normalisation (PyTorch's `BatchNorm1d`/`BatchNorm2d`) as one op on dfdx's
//! tape, with the statistics of the whole batch although each shard of a training
//! step runs on its own tape and thread.
//!
//! The input is `(batch, s·c)`: `s` positions (`h·w` of an NHWC feature map, or 1
//! after a dense layer) of `c` channels, channel fastest. Each channel is
//! normalised over its `batch·s` values: `y = γ·(x − μ)/√(σ² + ε) + β`.
//!
//! In training, μ and σ² (biased) are the whole batch's, so every shard meets the
//! others twice in a [`ShardSync`] per layer and step:
//!
//! - forward: each shard computes its count, mean and sum of squared deviations
//!   per channel (two passes over its own values, in `f64`) and puts them in its
//!   own slot of the all-reduced vector (zeros elsewhere, so the sum is exact and
//!   every shard receives every shard's figures). Each shard then combines them the
//!   same way, in shard order (Chan et al.'s pairwise update), which stays accurate
//!   when the mean is large next to the spread, unlike `Σx² − n·μ²`.
//! - backward: `dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂))` needs the batch's
//!   `Σdy` and `Σdy·x̂` per channel; the backward closure all-reduces them. It runs
//!   inside the shard's `backward()`, on the shard's thread: dfdx runs a tape's ops
//!   in reverse order of creation, and every shard runs the same network, so the
//!   shards meet in the same order.
//!
//! γ's and β's gradients are the shard's own partial sums, added up by the caller
//! like every other parameter's. A shard with no samples still takes part in both
//! meetings (contributing zeros). A batch with one value per channel cannot be
//! normalised (PyTorch: "Expected more than 1 value per channel when training"):
//! every shard decides this from the all-reduced count, so all of them return the
//! same error and none is left waiting.
//!
//! In evaluation the running statistics are used and no shard meets another.
//! Everything is computed in `f64` and rounded once to the element type.

use std::sync::Arc;

use dfdx::dtypes::Dtype;
use dfdx::shapes::HasShape;
use dfdx::tensor::{Cpu, CpuError, PutTape, SplitTape, Tape, Tensor, TensorFromVec};

use super::ModelError;
use super::param::Bias;
use super::sync::ShardSync;

/// PyTorch's default ε, added to the variance.
pub(crate) const EPS: f64 = 1e-5;
/// PyTorch's default momentum for the running statistics.
pub(crate) const MOMENTUM: f64 = 0.1;

/// A batch of activations: `(batch, features)`.
type Activations<E, T> = Tensor<(usize, usize), E, Cpu, T>;

/// Which statistics [`batch_norm`] normalises with.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BnMode<'a> {
    /// The whole batch's, gathered across the step's shards; this is shard `shard`.
    /// (An `Arc` because the backward pass, which meets the other shards again,
    /// must own its handle: dfdx's backward ops are `'static`.)
    Train {
        sync: &'a Arc<ShardSync>,
        shard: usize,
    },
    /// The running mean and (unbiased) variance, one per channel.
    Eval { mean: &'a [f32], var: &'a [f32] },
}

/// A training batch's statistics per channel, the same on every shard of the step:
/// for the caller to update the running statistics once (see [`update_running`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BatchStats {
    /// The mean.
    pub mean: Vec<f64>,
    /// The biased variance (the one that normalised the batch).
    pub var: Vec<f64>,
    /// Values per channel over the whole batch (`batch · s`), at least 2.
    pub count: usize,
}

/// `γ·(x − μ)/√(σ² + ε) + β` per channel of `x` `(batch, s·channels)` (channel
/// fastest), with γ and β `(channels,)`, on `x`'s tape. In [`BnMode::Train`] μ and σ²
/// are the whole batch's (every shard of the step must call this, in the same
/// order) and are returned; in [`BnMode::Eval`] they are the given running ones.
///
/// Errors: shapes that do not fit; in training, fewer than two values per channel
/// in the whole batch, or a step stopped by another shard. If another shard stops
/// the step during the backward pass, `try_backward` fails with
/// `CpuError::WrongNumElements` (dfdx's backward errors carry no message), and the
/// failing shard's own error says why (see `ShardSync::collect`).
pub(crate) fn batch_norm<E: Dtype, T: Tape<E, Cpu>>(
    x: Activations<E, T>,
    gamma: &Bias<E>,
    beta: &Bias<E>,
    channels: usize,
    mode: BnMode<'_>,
) -> Result<(Activations<E, T>, Option<BatchStats>), ModelError> {
    let (m, features) = *x.shape();
    let c = channels;
    if c == 0 || !features.is_multiple_of(c) || gamma.shape().0 != c || beta.shape().0 != c {
        return Err(ModelError::BadInput(format!(
            "batch_norm: ({m}, {features}) input, {c} channels, γ ({},), β ({},)",
            gamma.shape().0,
            beta.shape().0
        )));
    }
    if let BnMode::Eval { mean, var } = mode
        && (mean.len() != c || var.len() != c)
    {
        return Err(ModelError::BadInput(format!(
            "batch_norm: running statistics of {} and {} channels for {c}",
            mean.len(),
            var.len()
        )));
    }
    let mut xs = vec![E::default(); m * features];
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
    let inv_std: Vec<f64> = var.iter().map(|v| 1.0 / (v + EPS).sqrt()).collect();
    let gs: Vec<f64> = gamma.values().iter().map(|&v| to_f64(v)).collect();
    let bs: Vec<f64> = beta.values().iter().map(|&v| to_f64(v)).collect();
    let mut ys = Vec::with_capacity(xs.len());
    for row in xs.chunks_exact(c) {
        for (j, &v) in row.iter().enumerate() {
            let xhat = (to_f64(v) - mean[j]) * inv_std[j];
            ys.push(from_f64::<E>(gs[j] * xhat + bs[j]));
        }
    }
    let out = x
        .device()
        .clone()
        .try_tensor_from_vec(ys, (m, features))
        .map_err(|e| ModelError::BadInput(format!("batch_norm: {e:?}")))?;

    let count = stats.as_ref().map_or(0, |s| s.count);
    let (x, mut tape) = x.split_tape();
    let x_ghost = x.ghost();
    let (g_key, b_key) = (gamma.key().ghost(), beta.key().ghost());
    let out_ghost = out.ghost();
    tape.add_backward_op(move |grads| {
        // Only this op reads its output's gradient, after all consumers wrote it.
        let dy: Vec<E> = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
        // This shard's Σdy and Σdy·x̂ per channel: β's and γ's gradients, and its
        // part of the batch's.
        let mut sums = vec![0.0f64; 2 * c];
        let (sum_dy, sum_dy_xhat) = sums.split_at_mut(c);
        for (xrow, dyrow) in xs.chunks_exact(c).zip(dy.chunks_exact(c)) {
            for (j, (&v, &d)) in xrow.iter().zip(dyrow).enumerate() {
                let d = to_f64(d);
                sum_dy[j] += d;
                sum_dy_xhat[j] += d * (to_f64(v) - mean[j]) * inv_std[j];
            }
        }
        // In training, dx also depends on the whole batch's sums (through μ and σ).
        // If this shard fails before it gets here, its guard releases the others.
        let (mean_dy, mean_dy_xhat) = match &sync {
            Some((sync, shard)) => {
                let totals = sync
                    .all_reduce(*shard, &sums)
                    .map_err(|_| CpuError::WrongNumElements)?;
                let n = count as f64;
                let (t_dy, t_dy_xhat) = totals.split_at(c);
                (
                    t_dy.iter().map(|t| t / n).collect(),
                    t_dy_xhat.iter().map(|t| t / n).collect(),
                )
            }
            None => (vec![0.0; c], vec![0.0; c]),
        };
        let (sum_dy, sum_dy_xhat) = sums.split_at(c);
        for (g, &s) in grads.get_or_alloc_mut(&g_key)?.iter_mut().zip(sum_dy_xhat) {
            *g += from_f64::<E>(s);
        }
        for (g, &s) in grads.get_or_alloc_mut(&b_key)?.iter_mut().zip(sum_dy) {
            *g += from_f64::<E>(s);
        }
        let g_x = grads.get_or_alloc_mut(&x_ghost)?;
        for ((grow, xrow), dyrow) in g_x
            .chunks_exact_mut(c)
            .zip(xs.chunks_exact(c))
            .zip(dy.chunks_exact(c))
        {
            for (j, ((g, &v), &d)) in grow.iter_mut().zip(xrow).zip(dyrow).enumerate() {
                let xhat = (to_f64(v) - mean[j]) * inv_std[j];
                let dx = gs[j] * inv_std[j] * (to_f64(d) - mean_dy[j] - xhat * mean_dy_xhat[j]);
                *g += from_f64::<E>(dx);
            }
        }
        Ok(())
    });
    Ok((out.put_tape(tape), stats))
}

/// The whole batch's mean and biased variance per channel of `xs` (this shard's
/// values, rows of `c`), gathered from every shard in one all-reduce (see the
/// module docs). Errors, on every shard alike, if the batch has fewer than two
/// values per channel. `normblock.rs` gathers its statistics here too.
pub(crate) fn whole_batch_stats(
    xs: &[impl Dtype],
    c: usize,
    sync: &ShardSync,
    shard: usize,
) -> Result<BatchStats, ModelError> {
    let rows = xs.len() / c;
    let mut mean = vec![0.0f64; c];
    for row in xs.chunks_exact(c) {
        for (s, &v) in mean.iter_mut().zip(row) {
            *s += to_f64(v);
        }
    }
    if rows > 0 {
        for s in &mut mean {
            *s /= rows as f64;
        }
    }
    let mut m2 = vec![0.0f64; c];
    for row in xs.chunks_exact(c) {
        for ((s, &v), mu) in m2.iter_mut().zip(row).zip(&mean) {
            let d = to_f64(v) - mu;
            *s += d * d;
        }
    }
    // Slot of shard k: [count, mean × c, m2 × c]. Every other shard leaves it zero,
    // so the all-reduce only adds zeros to it: every shard gets every slot exactly.
    let width = 1 + 2 * c;
    let mut partial = vec![0.0f64; sync.shards() * width];
    if let Some(slot) = partial.chunks_exact_mut(width).nth(shard) {
        slot[0] = rows as f64;
        slot[1..=c].copy_from_slice(&mean);
        slot[1 + c..].copy_from_slice(&m2);
    }
    let totals = sync.all_reduce(shard, &partial)?;

    let slots: Vec<&[f64]> = totals
        .chunks_exact(width)
        .filter(|slot| slot[0] > 0.0)
        .collect();
    let count: usize = slots.iter().map(|slot| slot[0] as usize).sum();
    if count < 2 {
        return Err(ModelError::BadInput(format!(
            "batch norm in training needs more than 1 value per channel, the batch has \
             {count}"
        )));
    }
    let n = count as f64;
    let mut mean = vec![0.0f64; c];
    for slot in &slots {
        for (s, mu) in mean.iter_mut().zip(&slot[1..=c]) {
            *s += slot[0] * mu;
        }
    }
    for s in &mut mean {
        *s /= n;
    }
    let mut var = vec![0.0f64; c];
    for slot in &slots {
        let (mus, m2s) = slot[1..].split_at(c);
        for (((s, mu_k), m2_k), mu) in var.iter_mut().zip(mus).zip(m2s).zip(&mean) {
            let d = mu_k - mu;
            *s += m2_k + slot[0] * d * d;
        }
    }
    for s in &mut var {
        *s /= n;
    }
    Ok(BatchStats { mean, var, count })
}

/// PyTorch's running-statistics update from a training batch's `stats`:
/// `running = (1 − momentum)·running + momentum·stat`, with the unbiased variance
/// (`count/(count − 1)` times the biased one) for `running_var`. The caller counts
/// the updates (`num_batches_tracked`). Errors if the lengths differ.
pub(crate) fn update_running(
    running_mean: &mut [f32],
    running_var: &mut [f32],
    stats: &BatchStats,
    momentum: f64,
) -> Result<(), ModelError> {
    let c = stats.mean.len();
    if running_mean.len() != c || running_var.len() != c || stats.var.len() != c {
        return Err(ModelError::BadInput(format!(
            "update_running: {} and {} running values for {c} channels",
            running_mean.len(),
            running_var.len()
        )));
    }
    let n = stats.count as f64;
    let unbias = if stats.count > 1 { n / (n - 1.0) } else { 1.0 };
    for (r, &s) in running_mean.iter_mut().zip(&stats.mean) {
        *r = ((1.0 - momentum) * f64::from(*r) + momentum * s) as f32;
    }
    for (r, &s) in running_var.iter_mut().zip(&stats.var) {
        *r = ((1.0 - momentum) * f64::from(*r) + momentum * s * unbias) as f32;
    }
    Ok(())
}

/// `v` as `f64` (NaN if it has no such value, which no float lacks).
pub(crate) fn to_f64<E: Dtype>(v: E) -> f64 {
    v.to_f64().unwrap_or(f64::NAN)
}

/// `v` rounded to `E`.
pub(crate) fn from_f64<E: Dtype>(v: f64) -> E {
    E::from_f64(v).unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::parallel::{map_concurrent, split};
    use crate::model::sync::within_patience;
    use dfdx::prelude::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};
    use std::ops::Range;

    pub(crate) fn rand_vec(rng: &mut StdRng, n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|_| rng.gen_range(lo..hi)).collect()
    }

    /// Inputs of `m` samples of `s` positions of `c` channels: channel 0 sits far
    /// from zero (mean ≈ 1000), where `Σx² − n·μ²` would lose digits.
    fn inputs(rng: &mut StdRng, m: usize, s: usize, c: usize) -> Vec<f64> {
        let mut x = rand_vec(rng, m * s * c, -2.0, 3.0);
        for v in x.iter_mut().step_by(c) {
            *v += 1000.0;
        }
        x
    }

    /// Batch norm the slow way: `y`, and the mean and biased variance used (the
    /// batch's, or `running` ones).
    pub(crate) fn naive(
        x: &[f64],
        c: usize,
        g: &[f64],
        b: &[f64],
        running: Option<(&[f64], &[f64])>,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let n = (x.len() / c) as f64;
        let (mean, var) = match running {
            Some((m, v)) => (m.to_vec(), v.to_vec()),
            None => {
                let mean: Vec<f64> = (0..c)
                    .map(|j| x.iter().skip(j).step_by(c).sum::<f64>() / n)
                    .collect();
                let var = (0..c)
                    .map(|j| {
                        let d2 = x.iter().skip(j).step_by(c).map(|v| (v - mean[j]).powi(2));
                        d2.sum::<f64>() / n
                    })
                    .collect();
                (mean, var)
            }
        };
        let y = x
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let j = i % c;
                g[j] * (v - mean[j]) / (var[j] + EPS).sqrt() + b[j]
            })
            .collect();
        (y, mean, var)
    }

    pub(crate) fn close(a: &[f64], e: &[f64], tol: f64, what: &str) {
        assert_eq!(a.len(), e.len(), "{what}: lengths");
        for (i, (a, e)) in a.iter().zip(e).enumerate() {
            assert!(
                (a - e).abs() <= tol * (1.0 + e.abs()),
                "{what}[{i}]: {a} vs {e}"
            );
        }
    }

    #[test]
    fn matches_naive_and_finite_differences_in_training_and_evaluation() {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(7);
        // Dense-style (s = 1) and conv-style (s = h·w) inputs; two values per
        // channel is the least training accepts.
        for (m, s, c) in [(5, 1, 3), (2, 1, 4), (3, 4, 2), (1, 6, 3), (4, 9, 5)] {
            let f = s * c;
            let x = inputs(&mut rng, m, s, c);
            let g = rand_vec(&mut rng, c, 0.5, 1.5);
            let b = rand_vec(&mut rng, c, -1.0, 1.0);
            let r = rand_vec(&mut rng, m * f, -1.0, 1.0);
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
                let what = format!("({m}, {s}, {c}) train {train}");
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
                let running = (!train).then_some((&rm[..], &rv[..]));
                let xt = dev.tensor_from_vec(x.clone(), (m, f));
                let gp = Bias::new(&dev, g.clone(), (c,)).unwrap();
                let bp = Bias::new(&dev, b.clone(), (c,)).unwrap();
                let (y, stats) = batch_norm(xt.leaky_trace(), &gp, &bp, c, mode).unwrap();
                let (ny, nmean, nvar) = naive(&x, c, &g, &b, running);
                close(&y.as_vec(), &ny, 1e-12, &format!("{what} y"));
                match stats {
                    Some(st) => {
                        assert!(train);
                        assert_eq!(st.count, m * s);
                        close(&st.mean, &nmean, 1e-13, &format!("{what} mean"));
                        close(&st.var, &nvar, 1e-12, &format!("{what} var"));
                    }
                    None => assert!(!train),
                }
                let rt = dev.tensor_from_vec(r.clone(), (m, f));
                let mut grads = (y * rt).sum().backward();
                let gx = grads.get(&xt).as_vec();
                let gg = gp.grad_mut(&mut grads).unwrap().to_vec();
                let gb = bp.grad_mut(&mut grads).unwrap().to_vec();

                let loss = |x: &[f64], g: &[f64], b: &[f64]| -> f64 {
                    let y = naive(x, c, g, b, running).0;
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
                    .map(|i| fd(&|e| loss(&nudged(&x, i, e), &g, &b)))
                    .collect();
                let fg: Vec<f64> = (0..c)
                    .map(|i| fd(&|e| loss(&x, &nudged(&g, i, e), &b)))
                    .collect();
                let fb: Vec<f64> = (0..c)
                    .map(|i| fd(&|e| loss(&x, &g, &nudged(&b, i, e))))
                    .collect();
                close(&gx, &fx, 1e-6, &format!("{what} dx"));
                close(&gg, &fg, 1e-6, &format!("{what} dγ"));
                close(&gb, &fb, 1e-6, &format!("{what} dβ"));
            }
        }
    }

    /// The values of `t` (dfdx's `as_vec` panics on a tensor with no elements).
    pub(crate) fn values<E: Dtype, T>(t: &Activations<E, T>) -> Vec<E> {
        let mut v = vec![E::default(); t.shape().num_elements()];
        t.copy_into(&mut v);
        v
    }

    /// `Σ y·r` on `y`'s tape (dfdx's own product and sum need more bounds on `E`
    /// than [`Dtype`]).
    pub(crate) fn dot<E: Dtype, T: Tape<E, Cpu>>(
        y: Activations<E, T>,
        r: Vec<E>,
    ) -> Tensor<Rank0, E, Cpu, T> {
        let mut ys = vec![E::default(); r.len()];
        y.copy_into(&mut ys);
        let v: f64 = ys
            .iter()
            .zip(&r)
            .map(|(&y, &r)| to_f64(y) * to_f64(r))
            .sum();
        let out = y
            .device()
            .clone()
            .tensor_from_vec(vec![from_f64::<E>(v)], ());
        let (y, mut tape) = y.split_tape();
        let (y_ghost, out_ghost) = (y.ghost(), out.ghost());
        tape.add_backward_op(move |grads| {
            let g = grads.get_or_alloc_mut(&out_ghost)?[0];
            for (d, &r) in grads.get_or_alloc_mut(&y_ghost)?.iter_mut().zip(&r) {
                *d += g * r;
            }
            Ok(())
        });
        out.put_tape(tape)
    }

    /// What every shard of a training step computed: outputs, input gradient, γ's
    /// and β's gradients, statistics.
    type ShardRun<E> = (Vec<E>, Vec<E>, Vec<E>, Vec<E>, BatchStats);

    /// A training step's forward and backward passes of batch norm over `x`
    /// (`m` rows of `f`), split into `ranges` shards run at once, each on its own
    /// tape, with the loss `Σ y·r` over the whole batch (each shard its own rows'
    /// part). Shard `fail` (if any) fails between its forward and backward passes.
    /// The shards' own results, in order.
    #[allow(clippy::too_many_arguments)]
    fn shard_runs<E: Dtype>(
        x: &[E],
        r: &[E],
        f: usize,
        c: usize,
        g: &Bias<E>,
        b: &Bias<E>,
        ranges: &[Range<usize>],
        fail: Option<usize>,
    ) -> (Arc<ShardSync>, Vec<Result<ShardRun<E>, ModelError>>) {
        let sync = Arc::new(ShardSync::new(ranges.len()));
        let dev: Cpu = Default::default();
        let items = ranges.iter().cloned().enumerate().collect();
        let results = map_concurrent(items, |(k, rows): (usize, Range<usize>)| {
            let guard = sync.guard(k);
            let work = || {
                let rows = rows.start * f..rows.end * f;
                let n = rows.len() / f;
                let xt = dev.tensor_from_vec(x[rows.clone()].to_vec(), (n, f));
                let rt = r[rows].to_vec();
                let mode = BnMode::Train {
                    sync: &sync,
                    shard: k,
                };
                let (y, stats) = batch_norm(xt.leaky_trace(), g, b, c, mode)?;
                if fail == Some(k) {
                    return Err(ModelError::BadInput(format!("shard {k} fails")));
                }
                let ys = values(&y);
                let mut grads = dot(y, rt)
                    .try_backward()
                    .map_err(|e| ModelError::BadInput(format!("backward: {e}")))?;
                let dx = values(&grads.get(&xt));
                let dg = g.grad_mut(&mut grads)?.to_vec();
                let db = b.grad_mut(&mut grads)?.to_vec();
                let stats = stats
                    .ok_or_else(|| ModelError::BadInput("no statistics in training".into()))?;
                Ok((ys, dx, dg, db, stats))
            };
            guard.finish(work())
        })
        .unwrap();
        (sync, results)
    }

    /// [`shard_runs`] put together as the caller would: rows concatenated, the
    /// parameters' gradients added in shard order, the statistics of shard 0
    /// (after checking that every shard has the same bits).
    fn sharded_step<E: Dtype>(
        x: &[E],
        r: &[E],
        f: usize,
        c: usize,
        g: &Bias<E>,
        b: &Bias<E>,
        ranges: &[Range<usize>],
    ) -> ShardRun<E> {
        let (sync, results) = shard_runs(x, r, f, c, g, b, ranges, None);
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
        (y, dx, dg, db, parts[0].4.clone())
    }

    /// The splits of `m` rows to try: one shard, even and uneven ones, empty shards.
    pub(crate) fn splits(m: usize) -> Vec<Vec<Range<usize>>> {
        vec![
            vec![0..m],
            split(m, 2),
            split(m, 3),
            vec![0..2, 2..2, 2..m],
            vec![0..0, 0..m],
            vec![0..m - 1, m - 1..m, m..m],
        ]
    }

    /// Runs every split of [`splits`] in element type `E` and checks it against the
    /// one-shard run within `tol` (relative); returns the one-shard run.
    fn check_shard_independence<E: Dtype>(
        x: &[f64],
        r: &[f64],
        (m, s, c): (usize, usize, usize),
        g: &[f64],
        b: &[f64],
        tol: f64,
    ) {
        let dev: Cpu = Default::default();
        let cast = |v: &[f64]| v.iter().map(|&v| from_f64::<E>(v)).collect::<Vec<E>>();
        let widen = |v: &[E]| v.iter().map(|&v| to_f64(v)).collect::<Vec<f64>>();
        let (x, r) = (cast(x), cast(r));
        let gp = Bias::new(&dev, cast(g), (c,)).unwrap();
        let bp = Bias::new(&dev, cast(b), (c,)).unwrap();
        let f = s * c;
        let mut reference = None;
        for ranges in splits(m) {
            let what = format!("({m}, {s}, {c}) in {ranges:?}");
            let (y, dx, dg, db, stats) = sharded_step(&x, &r, f, c, &gp, &bp, &ranges);
            let (ry, rdx, rdg, rdb, rstats) = reference.get_or_insert_with(|| {
                (y.clone(), dx.clone(), dg.clone(), db.clone(), stats.clone())
            });
            close(&widen(&y), &widen(ry), tol, &format!("{what} y"));
            close(&widen(&dx), &widen(rdx), tol, &format!("{what} dx"));
            close(&widen(&dg), &widen(rdg), tol, &format!("{what} dγ"));
            close(&widen(&db), &widen(rdb), tol, &format!("{what} dβ"));
            assert_eq!(stats.count, rstats.count);
            close(&stats.mean, &rstats.mean, 1e-14, &format!("{what} mean"));
            close(&stats.var, &rstats.var, 1e-12, &format!("{what} var"));
        }
    }

    #[test]
    fn shards_give_the_whole_batchs_outputs_and_gradients() {
        within_patience(|| {
            let mut rng = StdRng::seed_from_u64(3);
            for (m, s, c) in [(7, 4, 3), (9, 1, 5)] {
                let x = inputs(&mut rng, m, s, c);
                // The real loss is a mean over the batch: each shard's part is scaled
                // by the whole batch's size.
                let r: Vec<f64> = rand_vec(&mut rng, m * s * c, -1.0, 1.0)
                    .iter()
                    .map(|v| v / m as f64)
                    .collect();
                let g = rand_vec(&mut rng, c, 0.5, 1.5);
                let b = rand_vec(&mut rng, c, -1.0, 1.0);
                check_shard_independence::<f64>(&x, &r, (m, s, c), &g, &b, 1e-12);
                check_shard_independence::<f32>(&x, &r, (m, s, c), &g, &b, 1e-5);
            }
        });
    }

    #[test]
    fn running_statistics_follow_pytorch() {
        let dev: Cpu = Default::default();
        let g = Bias::new(&dev, vec![1.0f32], (1,)).unwrap();
        let b = Bias::new(&dev, vec![0.0f32], (1,)).unwrap();
        let x = [1.0f32, 2.0, 3.0, 4.0];
        let r = [0.0f32; 4];
        for ranges in [split(4, 1), vec![0..1, 1..4], vec![0..2, 2..2, 2..4]] {
            let stats = sharded_step(&x, &r, 1, 1, &g, &b, &ranges).4;
            assert_eq!(
                stats,
                BatchStats {
                    mean: vec![2.5],
                    var: vec![1.25],
                    count: 4
                }
            );
            // torch.nn.BatchNorm1d(1) after one training batch [1, 2, 3, 4]:
            // running_mean 0.25, running_var 0.9·1 + 0.1·(5/3) = 1.0666667.
            let (mut rm, mut rv) = ([0.0f32], [1.0f32]);
            update_running(&mut rm, &mut rv, &stats, MOMENTUM).unwrap();
            assert!((rm[0] - 0.25).abs() < 1e-7 && (rv[0] - 1.066_666_7).abs() < 1e-6);
            // A second time: 0.9·0.25 + 0.25, 0.9·1.0666667 + 0.1666667.
            update_running(&mut rm, &mut rv, &stats, MOMENTUM).unwrap();
            assert!((rm[0] - 0.475).abs() < 1e-6 && (rv[0] - 1.126_666_7).abs() < 1e-6);
        }
        // Two channels of a 2×1 feature map, two samples: channel 0 sees
        // [1, 3, 5, 7], channel 1 [0, 0, 0, 4]; the formula by hand.
        let x = [1.0f32, 0.0, 3.0, 0.0, 5.0, 0.0, 7.0, 4.0];
        let g = Bias::new(&dev, vec![1.0f32; 2], (2,)).unwrap();
        let b = Bias::new(&dev, vec![0.0f32; 2], (2,)).unwrap();
        let stats = sharded_step(&x, &[0.0; 8], 4, 2, &g, &b, &[0..1, 1..2]).4;
        assert_eq!(stats.mean, vec![4.0, 1.0]);
        assert_eq!(stats.var, vec![5.0, 3.0]);
        let (mut rm, mut rv) = ([0.5f32, -1.5], [2.0f32, 1.0]);
        update_running(&mut rm, &mut rv, &stats, MOMENTUM).unwrap();
        let expect_m = [0.9 * 0.5 + 0.1 * 4.0, 0.9 * -1.5 + 0.1 * 1.0];
        let expect_v = [
            0.9 * 2.0 + 0.1 * 5.0 * 4.0 / 3.0,
            0.9 + 0.1 * 3.0 * 4.0 / 3.0,
        ];
        for j in 0..2 {
            assert!((f64::from(rm[j]) - expect_m[j]).abs() < 1e-6);
            assert!((f64::from(rv[j]) - expect_v[j]).abs() < 1e-6);
        }
        assert!(update_running(&mut [0.0; 3], &mut rv, &stats, MOMENTUM).is_err());
    }

    #[test]
    fn one_value_per_channel_fails_on_every_shard_without_hanging() {
        let outcomes = within_patience(|| {
            let dev: Cpu = Default::default();
            let g = Bias::new(&dev, vec![1.0f32; 3], (3,)).unwrap();
            let b = Bias::new(&dev, vec![0.0f32; 3], (3,)).unwrap();
            let x = [1.0f32, 2.0, 3.0];
            let mut outcomes = Vec::new();
            for ranges in [split(1, 1), vec![0..1, 1..1], vec![0..0, 0..0, 0..1]] {
                let (_, results) = shard_runs(&x, &x, 3, 3, &g, &b, &ranges, None);
                outcomes.push(
                    results
                        .into_iter()
                        .map(|r| r.map(|_| ()).map_err(|e| e.to_string()))
                        .collect::<Vec<_>>(),
                );
            }
            // One sample of a 2×1 feature map is two values per channel: fine, as in
            // PyTorch's BatchNorm2d.
            let x = [1.0f32, 2.0, 3.0, 4.0, 5.0, 7.0];
            let (sync, results) = shard_runs(&x, &x, 6, 3, &g, &b, &[0..1, 1..1], None);
            (outcomes, sync.collect(results).is_ok())
        });
        for shards in outcomes.0 {
            for r in shards {
                let e = r.unwrap_err();
                assert!(e.contains("more than 1 value per channel"), "{e}");
            }
        }
        assert!(outcomes.1);
    }

    #[test]
    fn a_shard_failing_before_the_backward_pass_releases_the_others() {
        let (errors, err) = within_patience(|| {
            let dev: Cpu = Default::default();
            let g = Bias::new(&dev, vec![1.0f64; 2], (2,)).unwrap();
            let b = Bias::new(&dev, vec![0.0f64; 2], (2,)).unwrap();
            let x: Vec<f64> = (0..12).map(f64::from).collect();
            let ranges = [0..2, 2..4, 4..6];
            let (sync, results) = shard_runs(&x, &x, 2, 2, &g, &b, &ranges, Some(1));
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
        let x = || dev.tensor_from_vec(vec![0.0f32; 12], (2, 6));
        let bias = |n| Bias::new(&dev, vec![0.0f32; n], (n,)).unwrap();
        let sync = Arc::new(ShardSync::new(1));
        let train = BnMode::Train {
            sync: &sync,
            shard: 0,
        };
        assert!(batch_norm(x(), &bias(4), &bias(4), 4, train).is_err());
        assert!(batch_norm(x(), &bias(0), &bias(0), 0, train).is_err());
        assert!(batch_norm(x(), &bias(3), &bias(2), 3, train).is_err());
        let (mean, var) = ([0.0f32; 3], [1.0f32; 2]);
        let eval = BnMode::Eval {
            mean: &mean,
            var: &var,
        };
        assert!(batch_norm(x(), &bias(3), &bias(3), 3, eval).is_err());
        assert!(batch_norm(x(), &bias(3), &bias(3), 3, train).is_ok());
    }
}
