//! SGD (momentum, Nesterov, weight decay), Adam (L2 weight decay added to the
//! gradient) and AdamW (decoupled weight decay), written over plain `f32` buffers so
//! their state can be saved and restored exactly. They follow PyTorch's update rules
//! (`torch.optim.SGD` with dampening 0; `torch.optim.Adam` and `torch.optim.AdamW`
//! without AMSGrad), with these steps per parameter `p`, gradient `g`, rate `lr`:
//!
//! - SGD: `d = g + wd·p`; with momentum `b = μ·b + d` (`b` starts at 0, so the first
//!   step's `b` is `d`, as PyTorch's) and `d = b`, or with Nesterov `d = d + μ·b`;
//!   then `p -= lr·d`.
//! - Adam: `d = g + wd·p`; `m = β₁·m + (1−β₁)·d`, `v = β₂·v + (1−β₂)·d²`;
//!   `p -= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)`.
//! - AdamW: `p *= 1 − lr·wd` first, then Adam's step with `d = g`.
//!
//! β₁ and β₂ are used as `f32` in the moments, and the bias corrections `1−βᵗ` are
//! computed (in `f64`) from those same `f32` values, so the correction matches the decay
//! actually applied (runs from before β could be set give the same bits).

use super::{OptimizerKind, OptimizerSettings};

/// Optimiser settings and per-parameter state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Optimizer {
    /// Hyper-parameters (the learning rate may change between steps).
    pub settings: OptimizerSettings,
    /// Steps taken so far.
    pub step: u64,
    /// Per parameter: SGD velocity or Adam first moment (empty until first used).
    pub first: Vec<Vec<f32>>,
    /// Per parameter: Adam second moment (empty for SGD).
    pub second: Vec<Vec<f32>>,
}

impl Optimizer {
    /// A fresh optimiser for parameter tensors of `lens` floats each. State starts
    /// at zero, which gives exactly PyTorch's first step (its momentum buffer starts
    /// at the first gradient: 0·μ + d = d).
    pub fn new(settings: OptimizerSettings, lens: &[usize]) -> Self {
        let adam = matches!(settings.kind, OptimizerKind::Adam | OptimizerKind::AdamW);
        let momentum = settings.kind == OptimizerKind::Sgd && settings.momentum != 0.0;
        let zeros = |on: bool| -> Vec<Vec<f32>> {
            lens.iter()
                .map(|&n| if on { vec![0.0; n] } else { Vec::new() })
                .collect()
        };
        Self {
            settings,
            step: 0,
            first: zeros(adam || momentum),
            second: zeros(adam),
        }
    }

    /// Starts a new step and returns its update rule, to [`apply`] to every
    /// parameter (in any number of pieces, on any threads).
    pub fn begin_step(&mut self) -> Rule {
        self.step = self.step.saturating_add(1);
        let s = self.settings;
        let (lr, wd) = (s.lr as f32, s.weight_decay as f32);
        let adam = |t: u64| {
            let t = t.min(i32::MAX as u64) as i32;
            let (beta1, beta2) = (s.beta1 as f32, s.beta2 as f32);
            let bc1 = 1.0 - f64::from(beta1).powi(t);
            let bc2 = 1.0 - f64::from(beta2).powi(t);
            RuleKind::Adam {
                beta1,
                beta2,
                one_minus_beta1: 1.0 - beta1,
                one_minus_beta2: 1.0 - beta2,
                eps: s.eps as f32,
                step_size: (s.lr / bc1) as f32,
                bc2_sqrt: bc2.sqrt() as f32,
            }
        };
        let (kind, l2, shrink) = match s.kind {
            OptimizerKind::Sgd if s.momentum == 0.0 => (RuleKind::Sgd, wd, 1.0),
            OptimizerKind::Sgd => {
                let mu = s.momentum as f32;
                let kind = if s.nesterov {
                    RuleKind::Nesterov { mu }
                } else {
                    RuleKind::Momentum { mu }
                };
                (kind, wd, 1.0)
            }
            OptimizerKind::Adam => (adam(self.step), wd, 1.0),
            OptimizerKind::AdamW => (adam(self.step), 0.0, (1.0 - s.lr * s.weight_decay) as f32),
        };
        Rule {
            kind,
            lr,
            l2,
            shrink,
        }
    }

    /// The state of parameter `i`: (first, second) slots, each empty when unused.
    pub fn state_mut(&mut self) -> impl Iterator<Item = (&mut [f32], &mut [f32])> {
        self.first
            .iter_mut()
            .zip(self.second.iter_mut())
            .map(|(a, b)| (&mut a[..], &mut b[..]))
    }

    /// Updates parameter `i` (`p`) in place from its gradient `g` (one whole step
    /// for one parameter; the learner uses [`Optimizer::begin_step`] and [`apply`]).
    #[cfg(test)]
    pub fn update(&mut self, i: usize, p: &mut [f32], g: &[f32]) {
        let rule = self.begin_step();
        let (first, second) = (&mut self.first[i], &mut self.second[i]);
        apply(&rule, p, first, second, &[g]);
    }
}

/// What one step does to every parameter (see [`Optimizer::begin_step`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rule {
    kind: RuleKind,
    lr: f32,
    /// L2 decay added to the gradient (SGD, Adam; 0 for AdamW).
    l2: f32,
    /// What the weights are multiplied by before the step: AdamW's `1 − lr·wd`
    /// (1 for the others, which then skip it).
    shrink: f32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum RuleKind {
    Sgd,
    Momentum {
        mu: f32,
    },
    Nesterov {
        mu: f32,
    },
    Adam {
        beta1: f32,
        beta2: f32,
        one_minus_beta1: f32,
        one_minus_beta2: f32,
        eps: f32,
        step_size: f32,
        bc2_sqrt: f32,
    },
}

/// Elements summed and updated together (fits the L1 cache with room to spare).
const BLOCK: usize = 256;

/// Applies `rule` to a stretch of one parameter: its values `p`, its state
/// (`first`, `second`: the same stretch, or empty when the rule keeps none) and its
/// gradient as the sum of `grads` (the shards' parts, each as long as `p`).
pub(crate) fn apply(
    rule: &Rule,
    p: &mut [f32],
    first: &mut [f32],
    second: &mut [f32],
    grads: &[&[f32]],
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { apply_avx2(rule, p, first, second, grads) };
        return;
    }
    apply_portable(rule, p, first, second, grads);
}

/// [`apply`] compiled for AVX2: 8 lanes for Adam's square roots and divisions
/// instead of SSE's 4 (the same operations, so the same results).
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn apply_avx2(
    rule: &Rule,
    p: &mut [f32],
    first: &mut [f32],
    second: &mut [f32],
    grads: &[&[f32]],
) {
    apply_portable(rule, p, first, second, grads);
}

/// Writes the sum of the shards' gradients over `range` into `d`, in one pass for one or
/// two shards (the usual case). Summing into a zeroed `d` shard by shard made every
/// element a chain of stores and reloads, which slowed the mlp's whole step by about 4%
/// when the stack block's addresses happened to alias the gradients'. The sum is the
/// same left-to-right sum, so the values are those of that loop (up to the sign of a
/// zero: `0.0 + -0.0` was `+0.0`).
#[inline(always)]
fn sum_gradients(d: &mut [f32], grads: &[&[f32]], range: std::ops::Range<usize>) {
    match grads {
        [] => d.fill(0.0),
        [a] => d.copy_from_slice(&a[range]),
        [a, b, rest @ ..] => {
            let (a, b) = (&a[range.clone()], &b[range.clone()]);
            for ((d, &a), &b) in d.iter_mut().zip(a).zip(b) {
                *d = a + b;
            }
            for g in rest {
                for (d, &g) in d.iter_mut().zip(&g[range.clone()]) {
                    *d += g;
                }
            }
        }
    }
}

#[inline(always)]
fn apply_portable(
    rule: &Rule,
    p: &mut [f32],
    first: &mut [f32],
    second: &mut [f32],
    grads: &[&[f32]],
) {
    let mut d = [0.0f32; BLOCK];
    for start in (0..p.len()).step_by(BLOCK) {
        let end = (start + BLOCK).min(p.len());
        let p = &mut p[start..end];
        let d = &mut d[..end - start];
        sum_gradients(d, grads, start..end);
        if rule.l2 != 0.0 {
            for (d, &p) in d.iter_mut().zip(p.iter()) {
                *d += rule.l2 * p;
            }
        }
        if rule.shrink != 1.0 {
            for p in p.iter_mut() {
                *p *= rule.shrink;
            }
        }
        let lr = rule.lr;
        match rule.kind {
            RuleKind::Sgd => {
                for (p, &d) in p.iter_mut().zip(d.iter()) {
                    *p -= lr * d;
                }
            }
            RuleKind::Momentum { mu } => {
                let v = &mut first[start..end];
                for ((p, v), &d) in p.iter_mut().zip(v.iter_mut()).zip(d.iter()) {
                    *v = mu * *v + d;
                    *p -= lr * *v;
                }
            }
            RuleKind::Nesterov { mu } => {
                let v = &mut first[start..end];
                for ((p, v), &d) in p.iter_mut().zip(v.iter_mut()).zip(d.iter()) {
                    *v = mu * *v + d;
                    *p -= lr * (d + mu * *v);
                }
            }
            RuleKind::Adam {
                beta1,
                beta2,
                one_minus_beta1,
                one_minus_beta2,
                eps,
                step_size,
                bc2_sqrt,
            } => {
                let m = &mut first[start..end];
                let v = &mut second[start..end];
                for (((p, m), v), &d) in p
                    .iter_mut()
                    .zip(m.iter_mut())
                    .zip(v.iter_mut())
                    .zip(d.iter())
                {
                    *m = beta1 * *m + one_minus_beta1 * d;
                    *v = beta2 * *v + one_minus_beta2 * d * d;
                    *p -= step_size * *m / (v.sqrt() / bc2_sqrt + eps);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(kind: OptimizerKind, lr: f64, momentum: f64, wd: f64) -> OptimizerSettings {
        OptimizerSettings {
            momentum,
            weight_decay: wd,
            ..OptimizerSettings::new(kind, lr)
        }
    }

    /// Three steps of `o` on one parameter starting at `p0`, from gradients `gs`.
    fn three_steps(mut o: Optimizer, p0: f32, gs: [f32; 3]) -> [f32; 3] {
        let mut p = vec![p0];
        gs.map(|g| {
            o.update(0, &mut p, &[g]);
            p[0]
        })
    }

    fn assert_close(got: [f32; 3], want: [f64; 3]) {
        for (g, w) in got.iter().zip(want) {
            assert!(
                (f64::from(*g) - w).abs() < 1e-6 * w.abs().max(1.0),
                "got {got:?}, want {want:?}"
            );
        }
    }

    #[test]
    fn sgd_with_momentum_and_decay_matches_hand_computation() {
        let mut o = Optimizer::new(settings(OptimizerKind::Sgd, 0.1, 0.9, 0.01), &[1]);
        let mut p = vec![1.0f32];
        o.update(0, &mut p, &[0.5]);
        // d = 0.5 + 0.01·1 = 0.51; v = 0.51; p = 1 − 0.051
        assert!((p[0] - 0.949).abs() < 1e-6);
        o.update(0, &mut p, &[0.5]);
        let d = 0.5 + 0.01 * 0.949;
        let v = 0.9 * 0.51 + d;
        assert!((p[0] - (0.949 - 0.1 * v)).abs() < 1e-6);
    }

    #[test]
    fn nesterov_matches_hand_computation() {
        // PyTorch: b = μ·b + d (b₁ = d); d = d + μ·b; p -= lr·d. lr 0.1, μ 0.9, wd 0.1.
        let s = OptimizerSettings {
            nesterov: true,
            ..settings(OptimizerKind::Sgd, 0.1, 0.9, 0.1)
        };
        let got = three_steps(Optimizer::new(s, &[1]), 1.0, [0.5, -0.2, 0.3]);
        // Step 1: d = 0.5 + 0.1·1 = 0.6; b = 0.6; step 0.6 + 0.9·0.6 = 1.14; p = 0.886.
        // Step 2: d = −0.2 + 0.0886 = −0.1114; b = 0.54 − 0.1114 = 0.4286;
        //         step −0.1114 + 0.38574 = 0.27434; p = 0.886 − 0.027434 = 0.858566.
        // Step 3: d = 0.3 + 0.0858566 = 0.3858566; b = 0.38574 + 0.3858566 = 0.7715966;
        //         step 0.3858566 + 0.69443694 = 1.08029354; p = 0.858566 − 0.108029354.
        assert_close(got, [0.886, 0.858566, 0.750536646]);
        // Without Nesterov the same steps differ (step 1 moves by 0.06, not 0.114).
        let plain = three_steps(
            Optimizer::new(settings(OptimizerKind::Sgd, 0.1, 0.9, 0.1), &[1]),
            1.0,
            [0.5, -0.2, 0.3],
        );
        assert!((plain[0] - 0.94).abs() < 1e-6, "{plain:?}");
    }

    /// Adam's three steps by hand, in f64, with the bias corrections from the f32
    /// betas (as the optimiser computes them).
    fn adam_by_hand(
        p0: f64,
        gs: [f64; 3],
        lr: f64,
        (b1, b2, eps): (f64, f64, f64),
        l2: f64,
        decoupled: f64,
    ) -> [f64; 3] {
        let (b1, b2) = (f64::from(b1 as f32), f64::from(b2 as f32));
        let (mut p, mut m, mut v) = (p0, 0.0, 0.0);
        let mut out = [0.0; 3];
        for (t, g) in gs.into_iter().enumerate() {
            let t = t as i32 + 1;
            let d = g + l2 * p;
            p *= 1.0 - lr * decoupled;
            m = b1 * m + (1.0 - b1) * d;
            v = b2 * v + (1.0 - b2) * d * d;
            let m_hat = m / (1.0 - b1.powi(t));
            let v_hat = v / (1.0 - b2.powi(t));
            p -= lr * m_hat / (v_hat.sqrt() + eps);
            out[t as usize - 1] = p;
        }
        out
    }

    #[test]
    fn adam_with_its_betas_and_eps_matches_hand_computation() {
        // Non-default betas and an eps large enough to matter.
        let s = OptimizerSettings {
            beta1: 0.5,
            beta2: 0.75,
            eps: 0.1,
            ..settings(OptimizerKind::Adam, 0.1, 0.0, 0.0)
        };
        let got = three_steps(Optimizer::new(s, &[1]), 1.0, [0.5, -0.2, 0.3]);
        // Step 1 by hand: m̂ = 0.5, v̂ = 0.25, p = 1 − 0.1·0.5/(0.5 + 0.1) = 0.916667.
        assert!((got[0] - (1.0 - 0.05 / 0.6) as f32).abs() < 1e-6, "{got:?}");
        let want = adam_by_hand(1.0, [0.5, -0.2, 0.3], 0.1, (0.5, 0.75, 0.1), 0.0, 0.0);
        assert_close(got, want);
        // The defaults are PyTorch's.
        let d = settings(OptimizerKind::Adam, 1e-3, 0.0, 0.0);
        assert_eq!((d.beta1, d.beta2, d.eps), (0.9, 0.999, 1e-8));
    }

    #[test]
    fn adam_adds_decay_to_the_gradient_and_adamw_decouples_it() {
        let gs = [0.5, -0.2, 0.3];
        let adam = three_steps(
            Optimizer::new(settings(OptimizerKind::Adam, 0.1, 0.0, 0.2), &[1]),
            1.0,
            gs,
        );
        let want = adam_by_hand(1.0, [0.5, -0.2, 0.3], 0.1, (0.9, 0.999, 1e-8), 0.2, 0.0);
        assert_close(adam, want);
        let adamw = three_steps(
            Optimizer::new(settings(OptimizerKind::AdamW, 0.1, 0.0, 0.2), &[1]),
            1.0,
            gs,
        );
        // AdamW step 1 by hand: p = 1·(1 − 0.1·0.2) = 0.98, then Adam's first step
        // from g = 0.5 alone: m̂ = 0.5, v̂ = 0.25, p = 0.98 − 0.1·0.5/(0.5 + 1e-8).
        assert!((adamw[0] - (0.98 - 0.1 * 0.5 / (0.5 + 1e-8)) as f32).abs() < 1e-6);
        let want = adam_by_hand(1.0, [0.5, -0.2, 0.3], 0.1, (0.9, 0.999, 1e-8), 0.0, 0.2);
        assert_close(adamw, want);
        // Without decay AdamW is Adam, bit for bit.
        let plain =
            |kind| three_steps(Optimizer::new(settings(kind, 0.1, 0.0, 0.0), &[1]), 1.0, gs);
        assert_eq!(plain(OptimizerKind::Adam), plain(OptimizerKind::AdamW));
    }

    #[test]
    fn adam_first_step_moves_by_lr() {
        // After one step Adam moves every coordinate by ≈ lr·sign(g).
        let mut o = Optimizer::new(settings(OptimizerKind::Adam, 1e-3, 0.0, 0.0), &[2]);
        let mut p = vec![0.0f32, 0.0];
        o.update(0, &mut p, &[3.0, -0.01]);
        assert!(
            (p[0] + 1e-3).abs() < 1e-7 && (p[1] - 1e-3).abs() < 1e-6,
            "{p:?}"
        );
    }

    #[test]
    fn default_betas_give_the_bits_of_the_constants_they_replace() {
        // Before β and ε could be set they were the f32 constants 0.9, 0.999 and 1e-8.
        let Rule { kind, .. } =
            Optimizer::new(settings(OptimizerKind::Adam, 1e-3, 0.0, 0.0), &[1]).begin_step();
        let RuleKind::Adam {
            beta1,
            beta2,
            one_minus_beta1,
            one_minus_beta2,
            eps,
            step_size,
            ..
        } = kind
        else {
            panic!("{kind:?}")
        };
        assert_eq!(beta1.to_bits(), 0.9f32.to_bits());
        assert_eq!(beta2.to_bits(), 0.999f32.to_bits());
        assert_eq!(one_minus_beta1.to_bits(), (1.0 - 0.9f32).to_bits());
        assert_eq!(one_minus_beta2.to_bits(), (1.0 - 0.999f32).to_bits());
        assert_eq!(eps.to_bits(), 1e-8f32.to_bits());
        assert_eq!(step_size, (1e-3 / (1.0 - f64::from(0.9f32))) as f32);
    }

    #[test]
    fn pieces_and_shards_give_the_whole_update() {
        // A parameter updated in two pieces from two gradient parts equals one
        // whole update from the summed gradient, for every rule.
        for kind in [
            settings(OptimizerKind::Sgd, 0.1, 0.0, 0.01),
            settings(OptimizerKind::Sgd, 0.1, 0.9, 0.0),
            OptimizerSettings {
                nesterov: true,
                ..settings(OptimizerKind::Sgd, 0.1, 0.9, 0.01)
            },
            settings(OptimizerKind::Adam, 1e-3, 0.0, 0.01),
            settings(OptimizerKind::AdamW, 1e-3, 0.0, 0.01),
        ] {
            let n = 2 * BLOCK + 37;
            let g1: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let g2: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let sum: Vec<f32> = g1.iter().zip(&g2).map(|(a, b)| a + b).collect();
            let start: Vec<f32> = (0..n).map(|i| i as f32 / n as f32).collect();

            let mut whole = Optimizer::new(kind, &[n]);
            let mut p1 = start.clone();
            whole.update(0, &mut p1, &sum);

            let mut split = Optimizer::new(kind, &[n]);
            let mut p2 = start.clone();
            let rule = split.begin_step();
            let cut = BLOCK + 5;
            let (a, b) = p2.split_at_mut(cut);
            let (f, s) = (&mut split.first[0], &mut split.second[0]);
            let (fa, fb) = if f.is_empty() {
                (&mut [][..], &mut [][..])
            } else {
                f.split_at_mut(cut)
            };
            let (sa, sb) = if s.is_empty() {
                (&mut [][..], &mut [][..])
            } else {
                s.split_at_mut(cut)
            };
            apply(&rule, a, fa, sa, &[&g1[..cut], &g2[..cut]]);
            apply(&rule, b, fb, sb, &[&g1[cut..], &g2[cut..]]);
            for (x, y) in p1.iter().zip(&p2) {
                assert!((x - y).abs() < 1e-6, "{kind:?}: {x} vs {y}");
            }
            assert_eq!(whole.first, split.first);
        }
    }

    #[test]
    fn gradient_sums_of_any_number_of_shards_are_the_left_to_right_sum() {
        let n = BLOCK + 3;
        let shards: Vec<Vec<f32>> = (0..4)
            .map(|k| (0..n).map(|i| ((i * (k + 2)) as f32 * 0.3).sin()).collect())
            .collect();
        for count in 0..=shards.len() {
            let grads: Vec<&[f32]> = shards[..count].iter().map(|g| &g[..]).collect();
            let range = 2..n;
            let mut d = vec![f32::NAN; range.len()];
            sum_gradients(&mut d, &grads, range.clone());
            for (j, got) in d.iter().enumerate() {
                let want = grads.iter().fold(0.0f32, |acc, g| acc + g[range.start + j]);
                assert_eq!(*got, want, "{count} shards, element {j}");
            }
        }
    }
}
