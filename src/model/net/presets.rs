//! The built-in networks, written in the network language, with the training
//! recipes that suit them; and the optimiser settings every recipe is made of.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::layer::Layers;
use super::name::ModelName;

/// The built-in networks (presets). Their names, layers and recipes never change, so
/// records from before networks were data (which name one and hold no layers) still
/// load, predict and resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Preset {
    /// The tutorial's 784→256→ReLU→64→ReLU→10→ReLU (ReLU on the logits), SGD lr 0.8.
    TutorialMlp,
    /// The same MLP without the output ReLU.
    Mlp,
    /// LeNet-5 as PyTorch users write it.
    Lenet,
    /// The best default convolutional network for accuracy on a CPU.
    Cnn,
    /// The network and recipe that reached 99% in the least training time on a 2-core
    /// CPU (chosen by validation accuracy over three seeds: see the README).
    FastCnn,
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

/// Good default training settings for one network (a recipe).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recipe {
    /// Optimiser and its hyper-parameters.
    pub optimizer: OptimizerSettings,
    /// Samples per batch.
    pub batch_size: usize,
    /// Number of epochs.
    pub epochs: u32,
    /// Whether inputs are normalised with MNIST's mean 0.1307 and std 0.3081.
    pub normalize: bool,
}

/// The recipe of a network of one's own: Adam at PyTorch's usual rate, the
/// tutorial's batch, five epochs, normalised inputs (the settings a PyTorch user
/// starts from; the form and flags change any of them).
pub const OWN_RECIPE: Recipe = Recipe {
    optimizer: OptimizerSettings {
        kind: OptimizerKind::Adam,
        lr: 1e-3,
        momentum: 0.0,
        nesterov: false,
        weight_decay: 0.0,
        beta1: ADAM_BETA1,
        beta2: ADAM_BETA2,
        eps: ADAM_EPS,
    },
    batch_size: 64,
    epochs: 5,
    normalize: true,
};

impl Preset {
    /// Every preset, in menu order.
    pub const ALL: [Preset; 5] = [
        Preset::TutorialMlp,
        Preset::Mlp,
        Preset::Lenet,
        Preset::Cnn,
        Preset::FastCnn,
    ];

    /// The preset called `name`, if one is.
    pub fn named(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Its name as a [`ModelName`].
    pub fn model_name(self) -> ModelName {
        self.name()
            .parse()
            .unwrap_or_else(|_| unreachable!("preset names are valid names"))
    }

    /// Its layers, in the network language. PyTorch code writes conv → ReLU →
    /// max-pool; the planner fuses each such triple into one conv block, and each
    /// Dense → ReLU into one dense step, so these compile to the steps the presets
    /// always ran.
    pub fn text(self) -> &'static str {
        match self {
            Preset::TutorialMlp => {
                "Flatten, Dense(256), Relu, Dense(64), Relu, Dense(classes), Relu"
            }
            Preset::Mlp => "Flatten, Dense(256), Relu, Dense(64), Relu, Dense(classes)",
            Preset::Lenet => {
                "Conv(out: 6, kernel: 5, pad: 2), Relu, MaxPool(2), \
                 Conv(out: 16, kernel: 5), Relu, MaxPool(2), \
                 Flatten, Dense(120), Relu, Dense(84), Relu, Dense(classes)"
            }
            Preset::Cnn => {
                "Conv(out: 32, kernel: 3, pad: 1), Relu, MaxPool(2), \
                 Conv(out: 64, kernel: 3, pad: 1), Relu, MaxPool(2), \
                 Flatten, Dense(128), Relu, Dense(classes)"
            }
            Preset::FastCnn => {
                "Conv(out: 16, kernel: 3, pad: 1), Relu, MaxPool(2), \
                 Conv(out: 32, kernel: 3, pad: 1), Relu, MaxPool(2), \
                 Flatten, Dense(64), Relu, Dense(classes)"
            }
        }
    }

    /// Its layers.
    pub fn layers(self) -> Layers {
        self.text()
            .parse()
            .unwrap_or_else(|e| unreachable!("preset {} does not parse: {e}", self.name()))
    }

    /// Its name on the command line, in `config.ron` and in run records.
    pub fn name(self) -> &'static str {
        match self {
            Preset::TutorialMlp => "tutorial-mlp",
            Preset::Mlp => "mlp",
            Preset::Lenet => "lenet",
            Preset::Cnn => "cnn",
            Preset::FastCnn => "fast-cnn",
        }
    }

    /// One line describing the network.
    pub fn description(self) -> &'static str {
        match self {
            Preset::TutorialMlp => "784-256-64-10 MLP with ReLU on the logits (the tutorial's)",
            Preset::Mlp => "784-256-64-10 MLP",
            Preset::Lenet => "LeNet-5: conv 6@5x5, pool, conv 16@5x5, pool, 120-84-10",
            Preset::Cnn => "CNN tuned for accuracy on a CPU",
            Preset::FastCnn => "small CNN: 99% in the least training time (2 epochs, one-cycle)",
        }
    }

    /// Its recipe.
    pub fn defaults(self) -> Recipe {
        let sgd = |lr, momentum| OptimizerSettings {
            momentum,
            ..OptimizerSettings::new(OptimizerKind::Sgd, lr)
        };
        let adam = |lr| OptimizerSettings::new(OptimizerKind::Adam, lr);
        match self {
            Preset::TutorialMlp => Recipe {
                optimizer: sgd(0.8, 0.0),
                batch_size: 64,
                epochs: 5,
                normalize: false,
            },
            Preset::Mlp => Recipe {
                optimizer: adam(3e-3),
                batch_size: 64,
                epochs: 2,
                normalize: true,
            },
            Preset::Lenet => Recipe {
                optimizer: adam(1e-3),
                batch_size: 64,
                epochs: 5,
                normalize: true,
            },
            Preset::Cnn => Recipe {
                optimizer: adam(1e-3),
                batch_size: 128,
                epochs: 5,
                normalize: true,
            },
            Preset::FastCnn => Recipe {
                optimizer: adam(1e-2),
                batch_size: 128,
                epochs: 2,
                normalize: true,
            },
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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

impl PartialEq<Preset> for ModelName {
    fn eq(&self, other: &Preset) -> bool {
        self.as_str() == other.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for preset in Preset::ALL {
            assert_eq!(Preset::named(preset.name()), Some(preset));
            assert_eq!(preset.model_name().as_str(), preset.name());
            assert!(!preset.layers().is_empty());
        }
        assert_eq!(Preset::named("resnet"), None);
        for kind in OptimizerKind::ALL {
            let ron = ron::to_string(&kind).unwrap();
            assert_eq!(ron, kind.name());
            assert_eq!(ron::from_str::<OptimizerKind>(&ron).unwrap(), kind);
        }
    }

    #[test]
    fn tutorial_defaults_are_the_tutorials() {
        let d = Preset::TutorialMlp.defaults();
        assert_eq!(d.optimizer.kind, OptimizerKind::Sgd);
        assert_eq!(d.optimizer.lr, 0.8);
        assert_eq!(d.batch_size, 64);
        assert_eq!(d.epochs, 5);
        assert!(!d.normalize);
    }
}
