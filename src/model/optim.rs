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

    /// Starts a new step; call before the [`Optimizer::update`]s of that step.
    pub fn begin_step(&mut self) {
        self.step += 1;
    }

    /// Updates parameter `i` (`p`) in place from its gradient `g`.
    pub fn update(&mut self, i: usize, p: &mut [f32], g: &[f32]) {
        let s = self.settings;
        let (lr, wd) = (s.lr as f32, s.weight_decay as f32);
        let d = |p: f32, g: f32| if wd != 0.0 { g + wd * p } else { g };
        match s.kind {
            OptimizerKind::Sgd if s.momentum == 0.0 => {
                for (p, &g) in p.iter_mut().zip(g) {
                    *p -= lr * d(*p, g);
                }
            }
            OptimizerKind::Sgd => {
                let mu = s.momentum as f32;
                let v = &mut self.first[i];
                if v.len() != p.len() {
                    *v = vec![0.0; p.len()];
                }
                for ((v, &p), &g) in v.iter_mut().zip(p.iter()).zip(g) {
                    *v = mu * *v + d(p, g);
                }
                for (p, &v) in p.iter_mut().zip(v.iter()) {
                    *p -= lr * v;
                }
            }
            OptimizerKind::Adam => {
                let t = self.step.min(i32::MAX as u64) as i32;
                let bc1 = 1.0 - (BETA1 as f64).powi(t);
                let bc2 = 1.0 - (BETA2 as f64).powi(t);
                let step_size = (s.lr / bc1) as f32;
                let bc2_sqrt = bc2.sqrt() as f32;
                let m = &mut self.first[i];
                let v = &mut self.second[i];
                if m.len() != p.len() || v.len() != p.len() {
                    *m = vec![0.0; p.len()];
                    *v = vec![0.0; p.len()];
                }
                for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                    let d = d(*p, g);
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
        o.begin_step();
        o.update(0, &mut p, &[0.5]);
        // d = 0.5 + 0.01·1 = 0.51; v = 0.51; p = 1 − 0.051
        assert!((p[0] - 0.949).abs() < 1e-6);
        o.begin_step();
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
        o.begin_step();
        o.update(0, &mut p, &[3.0, -0.01]);
        assert!(
            (p[0] + 1e-3).abs() < 1e-7 && (p[1] - 1e-3).abs() < 1e-6,
            "{p:?}"
        );
    }
}
