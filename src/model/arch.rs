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
}

/// An optimiser and its hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OptimizerSettings {
    /// Which optimiser.
    pub kind: OptimizerKind,
    /// Learning rate.
    pub lr: f64,
    /// Momentum (SGD only; 0 disables it).
    pub momentum: f64,
    /// L2 weight decay (0 disables it).
    pub weight_decay: f64,
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
            kind: OptimizerKind::Sgd,
            lr,
            momentum,
            weight_decay: 0.0,
        };
        let adam = |lr| OptimizerSettings {
            kind: OptimizerKind::Adam,
            lr,
            momentum: 0.0,
            weight_decay: 0.0,
        };
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
    /// The name used on the command line and in records.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Adam => "adam",
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
