//! SGD (momentum, weight decay) and Adam (L2 weight decay added to the gradient),
//! written over plain `f32` buffers so their state can be saved and restored exactly.
//! Both follow PyTorch's update rules (`torch.optim.SGD` with dampening 0, not
//! Nesterov; `torch.optim.Adam` with β = (0.9, 0.999), ε = 1e-8, not AMSGrad).

use super::{OptimizerKind, OptimizerSettings};

/// Adam's β₁.
pub(crate) const BETA1: f32 = 0.9;
/// Adam's β₂.
pub(crate) const BETA2: f32 = 0.999;
/// Adam's ε.
pub(crate) const EPS: f32 = 1e-8;

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
        let adam = settings.kind == OptimizerKind::Adam;
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
        let kind = match s.kind {
            OptimizerKind::Sgd if s.momentum == 0.0 => RuleKind::Sgd,
            OptimizerKind::Sgd => RuleKind::Momentum {
                mu: s.momentum as f32,
            },
            OptimizerKind::Adam => {
                let t = self.step.min(i32::MAX as u64) as i32;
                let bc1 = 1.0 - (BETA1 as f64).powi(t);
                let bc2 = 1.0 - (BETA2 as f64).powi(t);
                RuleKind::Adam {
                    step_size: (s.lr / bc1) as f32,
                    bc2_sqrt: bc2.sqrt() as f32,
                }
            }
        };
        Rule { kind, lr, wd }
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
    wd: f32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum RuleKind {
    Sgd,
    Momentum { mu: f32 },
    Adam { step_size: f32, bc2_sqrt: f32 },
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
        d.fill(0.0);
        for g in grads {
            for (d, &g) in d.iter_mut().zip(&g[start..end]) {
                *d += g;
            }
        }
        if rule.wd != 0.0 {
            for (d, &p) in d.iter_mut().zip(p.iter()) {
                *d += rule.wd * p;
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
            RuleKind::Adam {
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
                    *m = BETA1 * *m + (1.0 - BETA1) * d;
                    *v = BETA2 * *v + (1.0 - BETA2) * d * d;
                    *p -= step_size * *m / (v.sqrt() / bc2_sqrt + EPS);
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
            kind,
            lr,
            momentum,
            weight_decay: wd,
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
    fn pieces_and_shards_give_the_whole_update() {
        // A parameter updated in two pieces from two gradient parts equals one
        // whole update from the summed gradient, for every rule.
        for kind in [
            settings(OptimizerKind::Sgd, 0.1, 0.0, 0.01),
            settings(OptimizerKind::Sgd, 0.1, 0.9, 0.0),
            settings(OptimizerKind::Adam, 1e-3, 0.0, 0.01),
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
}
