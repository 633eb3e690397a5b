//! The full settings of a training run, and optional overrides layered on top of an
//! architecture's defaults (flags > `config.ron` > model defaults).

use super::catalog::SETTINGS;
use crate::data::Augment;
use crate::model::{Arch, ArchDefaults, OptimizerKind, OptimizerSettings};
use serde::{Deserialize, Serialize};

/// How the learning rate moves over a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LrSchedule {
    /// The same rate throughout (the tutorial's).
    #[default]
    Constant,
    /// Cosine decay from the rate to zero over all the run's batches.
    Cosine,
}

impl LrSchedule {
    /// The factor applied to the base rate at batch `step` (0-based) of `total` batches.
    pub fn factor(self, step: u64, total: u64) -> f64 {
        match self {
            LrSchedule::Constant => 1.0,
            LrSchedule::Cosine => {
                let t = if total == 0 {
                    0.0
                } else {
                    (step.min(total) as f64) / total as f64
                };
                0.5 * (1.0 + (std::f64::consts::PI * t).cos())
            }
        }
    }

    /// The name used on the command line and in records.
    pub fn name(self) -> &'static str {
        match self {
            LrSchedule::Constant => "constant",
            LrSchedule::Cosine => "cosine",
        }
    }
}

/// Declares [`TrainSettings`], its all-optional twin [`TrainOverrides`] and
/// [`TrainSettings::defaults_for`] from one list of fields, each with its per-model
/// default (`|model, defaults| value`). A new setting is one line here plus one row in
/// [`super::catalog::SETTINGS`] (a test fails until both exist).
macro_rules! train_settings {
    ($( $(#[$meta:meta])* $name:ident : $ty:ty = $default:expr ),* $(,)?) => {
        /// Every setting of one training run. Stored in the run record.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct TrainSettings {
            $( $(#[$meta])* pub $name: $ty, )*
        }

        /// Optional values that override an architecture's defaults (`config.ron`'s
        /// `train` section, the command-line flags, the dashboard form's edits).
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct TrainOverrides {
            $( $(#[$meta])* pub $name: Option<$ty>, )*
        }

        impl TrainSettings {
            /// The defaults of `model`.
            pub fn defaults_for(model: Arch) -> Self {
                let d = model.defaults();
                TrainSettings {
                    $( $name: {
                        let f: fn(Arch, &ArchDefaults) -> $ty = $default;
                        f(model, &d)
                    }, )*
                }
            }
        }
    };
}

train_settings! {
    /// Network architecture.
    model: Arch = |m, _| m,
    /// Optimiser.
    optimizer: OptimizerKind = |_, d| d.optimizer.kind,
    /// Learning rate at the start.
    lr: f64 = |_, d| d.optimizer.lr,
    /// How the learning rate moves over the run. The tutorial keeps its rate; the other
    /// models decay theirs, which buys most of their final accuracy in short runs.
    #[serde(default)]
    lr_schedule: LrSchedule = |m, _| if m == Arch::TutorialMlp {
        LrSchedule::Constant
    } else {
        LrSchedule::Cosine
    },
    /// SGD momentum.
    momentum: f64 = |_, d| d.optimizer.momentum,
    /// L2 weight decay.
    weight_decay: f64 = |_, d| d.optimizer.weight_decay,
    /// Epochs to train (total, counting resumed ones).
    epochs: u32 = |_, d| d.epochs,
    /// Samples per batch.
    batch_size: usize = |_, d| d.batch_size,
    /// Seed for initialisation and shuffling.
    seed: u64 = |_, _| DEFAULT_SEED,
    /// Normalise inputs with MNIST's mean and std.
    normalize: bool = |_, d| d.normalize,
    /// How training images are varied: other writers' slant, size, position and pen
    /// width. Off for the tutorial's MLP (its recipe); on for the models it helps.
    #[serde(default)]
    augment: Augment = |m, _| match m {
        Arch::TutorialMlp | Arch::Mlp => Augment::Off,
        Arch::Lenet | Arch::Cnn => Augment::Full,
    },
    /// Train on at most this many training samples (the first ones), if set.
    #[serde(default)]
    max_train_samples: Option<usize> = |_, _| None,
    /// Evaluate on at most this many test samples (the first ones), if set.
    #[serde(default)]
    max_test_samples: Option<usize> = |_, _| None,
    /// Log the loss every this many batches.
    log_every: u32 = |_, _| DEFAULT_LOG_EVERY,
}

/// The default seed.
pub const DEFAULT_SEED: u64 = 42;
/// The tutorial's loss cadence: every 100 batches.
pub const DEFAULT_LOG_EVERY: u32 = 100;

impl TrainSettings {
    /// Resolves layers of overrides, later layers winning: the model is taken from the
    /// last layer that names one (else `mlp`), then its defaults are overridden in order.
    /// A change of optimiser without a learning rate takes that optimiser's usual rate.
    pub fn resolve(layers: &[&TrainOverrides]) -> Self {
        let model = layers
            .iter()
            .rev()
            .find_map(|l| l.model)
            .unwrap_or(Arch::Mlp);
        let mut s = TrainSettings::defaults_for(model);
        for l in layers {
            if let Some(v) = l.optimizer {
                if v != s.optimizer && l.lr.is_none() {
                    s.lr = match v {
                        OptimizerKind::Adam => 1e-3,
                        OptimizerKind::Sgd => 0.1,
                    };
                }
                s.optimizer = v;
            }
            for setting in SETTINGS {
                setting.apply_override(l, &mut s);
            }
        }
        s
    }

    /// The optimiser part of the settings.
    pub fn optimizer_settings(&self) -> OptimizerSettings {
        OptimizerSettings {
            kind: self.optimizer,
            lr: self.lr,
            momentum: self.momentum,
            weight_decay: self.weight_decay,
        }
    }

    /// Checks every value; the error says which setting is wrong and why.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr <= 10.0) {
            return Err(format!("learning rate {} must be in (0, 10]", self.lr));
        }
        if !(self.momentum.is_finite() && (0.0..1.0).contains(&self.momentum)) {
            return Err(format!("momentum {} must be in [0, 1)", self.momentum));
        }
        if !(self.weight_decay.is_finite() && (0.0..=1.0).contains(&self.weight_decay)) {
            return Err(format!(
                "weight decay {} must be in [0, 1]",
                self.weight_decay
            ));
        }
        if self.epochs == 0 || self.epochs > 1000 {
            return Err(format!("epochs {} must be in 1..=1000", self.epochs));
        }
        if self.batch_size == 0 || self.batch_size > 8192 {
            return Err(format!(
                "batch size {} must be in 1..=8192",
                self.batch_size
            ));
        }
        if self.log_every == 0 {
            return Err("log_every must be at least 1".to_string());
        }
        if self.max_train_samples == Some(0) {
            return Err("max_train_samples must be at least 1".to_string());
        }
        if self.max_test_samples == Some(0) {
            return Err("max_test_samples must be at least 1".to_string());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_layers_win_and_model_defaults_fill_the_rest() {
        let file = TrainOverrides {
            model: Some(Arch::Cnn),
            epochs: Some(3),
            ..Default::default()
        };
        let flags = TrainOverrides {
            model: Some(Arch::TutorialMlp),
            seed: Some(7),
            ..Default::default()
        };
        let s = TrainSettings::resolve(&[&file, &flags]);
        assert_eq!(s.model, Arch::TutorialMlp);
        assert_eq!(s.lr, 0.8);
        assert_eq!(s.epochs, 3);
        assert_eq!(s.seed, 7);
        assert!(s.validate().is_ok());
    }

    #[test]
    fn switching_optimizer_without_lr_takes_a_sane_rate() {
        let flags = TrainOverrides {
            model: Some(Arch::TutorialMlp),
            optimizer: Some(OptimizerKind::Adam),
            ..Default::default()
        };
        let s = TrainSettings::resolve(&[&flags]);
        assert_eq!(s.lr, 1e-3);
    }

    #[test]
    fn cosine_decays_from_one_to_zero() {
        assert_eq!(LrSchedule::Constant.factor(5, 10), 1.0);
        assert_eq!(LrSchedule::Cosine.factor(0, 10), 1.0);
        assert!((LrSchedule::Cosine.factor(5, 10) - 0.5).abs() < 1e-12);
        assert!(LrSchedule::Cosine.factor(10, 10).abs() < 1e-12);
        assert!(LrSchedule::Cosine.factor(20, 10).abs() < 1e-12);
        assert_eq!(
            TrainSettings::defaults_for(Arch::TutorialMlp).lr_schedule,
            LrSchedule::Constant
        );
    }

    #[test]
    fn validation_names_the_bad_setting() {
        let mut s = TrainSettings::defaults_for(Arch::Mlp);
        s.lr = f64::NAN;
        assert!(s.validate().unwrap_err().contains("learning rate"));
        s.lr = 0.1;
        s.batch_size = 0;
        assert!(s.validate().unwrap_err().contains("batch size"));
    }
}
