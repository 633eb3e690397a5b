//! Architecture names and per-architecture default settings.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The model architectures, one name each (used by the CLI, `config.ron` and run records).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Arch {
    /// The tutorial's 784→256→ReLU→64→ReLU→10→ReLU (ReLU on the logits), SGD lr 0.8.
    TutorialMlp,
    /// The same MLP without the output ReLU.
    Mlp,
    /// LeNet-5 as PyTorch users write it.
    Lenet,
    /// The best default convolutional network for accuracy on a CPU.
    Cnn,
}

/// Optimiser family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    /// Stochastic gradient descent, with optional momentum and weight decay.
    Sgd,
    /// Adam (weight decay added to the gradient, as PyTorch's `Adam`).
    Adam,
    /// AdamW: Adam with decoupled weight decay (the weights shrink by `lr · decay`
    /// before each Adam step, as PyTorch's `AdamW`).
    #[serde(rename = "adamw")]
    #[value(name = "adamw")]
    AdamW,
}

/// Adam's and AdamW's β₁ unless set (PyTorch's default).
pub const ADAM_BETA1: f64 = 0.9;
/// Adam's and AdamW's β₂ unless set (PyTorch's default).
pub const ADAM_BETA2: f64 = 0.999;
/// Adam's and AdamW's ε unless set (PyTorch's default).
pub const ADAM_EPS: f64 = 1e-8;
/// AdamW's weight decay when the optimiser is chosen without one (PyTorch's default).
pub const ADAMW_WEIGHT_DECAY: f64 = 0.01;

/// An optimiser and its hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OptimizerSettings {
    /// Which optimiser.
    pub kind: OptimizerKind,
    /// Learning rate.
    pub lr: f64,
    /// Momentum (SGD only; 0 disables it).
    pub momentum: f64,
    /// Nesterov momentum (SGD only; needs a momentum above 0).
    pub nesterov: bool,
    /// Weight decay (0 disables it): L2, added to the gradient, for SGD and Adam;
    /// decoupled for AdamW.
    pub weight_decay: f64,
    /// Decay rate of the first moment (Adam and AdamW only).
    pub beta1: f64,
    /// Decay rate of the second moment (Adam and AdamW only).
    pub beta2: f64,
    /// Added to the denominator (Adam and AdamW only).
    pub eps: f64,
}

impl OptimizerSettings {
    /// `kind` at rate `lr` with every other setting at PyTorch's default (no momentum,
    /// no decay: AdamW's own default decay is [`ADAMW_WEIGHT_DECAY`]).
    pub fn new(kind: OptimizerKind, lr: f64) -> Self {
        OptimizerSettings {
            kind,
            lr,
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            beta1: ADAM_BETA1,
            beta2: ADAM_BETA2,
            eps: ADAM_EPS,
        }
    }
}

/// Good default training settings for one architecture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArchDefaults {
    /// Optimiser and its hyper-parameters.
    pub optimizer: OptimizerSettings,
    /// Samples per batch.
    pub batch_size: usize,
    /// Number of epochs.
    pub epochs: u32,
    /// Whether inputs are normalised with MNIST's mean 0.1307 and std 0.3081.
    pub normalize: bool,
}

impl Arch {
    /// Every architecture, in menu order.
    pub const ALL: [Arch; 4] = [Arch::TutorialMlp, Arch::Mlp, Arch::Lenet, Arch::Cnn];

    /// The name used on the command line, in `config.ron` and in run records.
    pub fn name(self) -> &'static str {
        match self {
            Arch::TutorialMlp => "tutorial-mlp",
            Arch::Mlp => "mlp",
            Arch::Lenet => "lenet",
            Arch::Cnn => "cnn",
        }
    }

    /// One line describing the network.
    pub fn description(self) -> &'static str {
        match self {
            Arch::TutorialMlp => "784-256-64-10 MLP with ReLU on the logits (the tutorial's)",
            Arch::Mlp => "784-256-64-10 MLP",
            Arch::Lenet => "LeNet-5: conv 6@5x5, pool, conv 16@5x5, pool, 120-84-10",
            Arch::Cnn => "CNN tuned for accuracy on a CPU",
        }
    }

    /// This architecture's default training settings.
    pub fn defaults(self) -> ArchDefaults {
        let sgd = |lr, momentum| OptimizerSettings {
            momentum,
            ..OptimizerSettings::new(OptimizerKind::Sgd, lr)
        };
        let adam = |lr| OptimizerSettings::new(OptimizerKind::Adam, lr);
        match self {
            Arch::TutorialMlp => ArchDefaults {
                optimizer: sgd(0.8, 0.0),
                batch_size: 64,
                epochs: 5,
                normalize: false,
            },
            Arch::Mlp => ArchDefaults {
                optimizer: adam(3e-3),
                batch_size: 64,
                epochs: 2,
                normalize: true,
            },
            Arch::Lenet => ArchDefaults {
                optimizer: adam(1e-3),
                batch_size: 64,
                epochs: 5,
                normalize: true,
            },
            Arch::Cnn => ArchDefaults {
                optimizer: adam(1e-3),
                batch_size: 128,
                epochs: 5,
                normalize: true,
            },
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Arch {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Arch::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Arch::ALL.iter().map(|a| a.name()).collect();
                format!(
                    "unknown model '{s}' (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

impl OptimizerKind {
    /// Every optimiser, in menu order.
    pub const ALL: [OptimizerKind; 3] = [
        OptimizerKind::Sgd,
        OptimizerKind::Adam,
        OptimizerKind::AdamW,
    ];

    /// The name used on the command line and in records.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Adam => "adam",
            OptimizerKind::AdamW => "adamw",
        }
    }
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for arch in Arch::ALL {
            assert_eq!(arch.name().parse::<Arch>().unwrap(), arch);
            let ron = ron::to_string(&arch).unwrap();
            assert_eq!(ron::from_str::<Arch>(&ron).unwrap(), arch);
        }
        assert!("resnet".parse::<Arch>().is_err());
        for kind in OptimizerKind::ALL {
            let ron = ron::to_string(&kind).unwrap();
            assert_eq!(ron, kind.name());
            assert_eq!(ron::from_str::<OptimizerKind>(&ron).unwrap(), kind);
        }
    }

    #[test]
    fn tutorial_defaults_are_the_tutorials() {
        let d = Arch::TutorialMlp.defaults();
        assert_eq!(d.optimizer.kind, OptimizerKind::Sgd);
        assert_eq!(d.optimizer.lr, 0.8);
        assert_eq!(d.batch_size, 64);
        assert_eq!(d.epochs, 5);
        assert!(!d.normalize);
    }
}
