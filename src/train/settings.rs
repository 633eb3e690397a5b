//! The full settings of a training run, and optional overrides layered on top of an
//! architecture's defaults (flags > `config.ron` > model defaults).

use super::catalog::SETTINGS;
use crate::data::{Augment, DatasetName};
use crate::model::{
    ADAM_BETA1, ADAM_BETA2, ADAM_EPS, ADAMW_WEIGHT_DECAY, Layers, ModelName, NetworkDef,
    OWN_RECIPE, OptimizerKind, OptimizerSettings, Preset, Recipe, find_network,
};
use serde::{Deserialize, Serialize};

pub use super::schedule::LrSchedule;

/// Which weights a run keeps for predicting (and scores on the test set at its end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeepWeights {
    /// The last epoch's (what records from before the setting kept).
    #[default]
    Last,
    /// The epoch with the lowest validation loss (the last one without a validation
    /// split).
    Best,
}

impl KeepWeights {
    /// The name used on the command line and in records.
    pub fn name(self) -> &'static str {
        match self {
            KeepWeights::Last => "last",
            KeepWeights::Best => "best",
        }
    }
}

/// Declares [`TrainSettings`], its all-optional twin [`TrainOverrides`] and
/// [`TrainSettings::defaults_for`] from one list of fields, each with its per-model
/// default (`|model, defaults| value`). A new setting is one line here plus one row in
/// [`super::catalog::SETTINGS`] (a test fails until both exist). A field's attributes
/// (its doc, and `#[serde(default…)]`: the value old records lacking it had in effect)
/// go to [`TrainSettings`] only; every field of [`TrainOverrides`] is optional.
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
            $(
                #[doc = concat!("Overrides [`TrainSettings::", stringify!($name), "`].")]
                pub $name: Option<$ty>,
            )*
        }

        impl TrainSettings {
            /// The defaults of network `net` on MNIST: a preset's recipe, or
            /// [`OWN_RECIPE`] for a network of one's own.
            fn base_defaults(net: &NetworkDef) -> Self {
                let preset = net.as_preset();
                let d = preset.map_or(OWN_RECIPE, Preset::defaults);
                TrainSettings {
                    $( $name: {
                        let f: fn(&NetworkDef, Option<Preset>, &Recipe) -> $ty = $default;
                        f(net, preset, &d)
                    }, )*
                }
            }
        }
    };
}

train_settings! {
    /// The network's name (a preset's, or one defined in `config.ron`, a networks
    /// file or the dashboard).
    model: ModelName = |m, _, _| m.name.clone(),
    /// The dataset: one known by name (`mnist-tui data list`), or a folder of IDX files
    /// with a classes file (records from before datasets were data trained on MNIST).
    #[serde(default)]
    dataset: DatasetName = |_, _, _| DatasetName::mnist(),
    /// The network's layers. Stored in the record, so that a run predicts and resumes
    /// whatever becomes of its name (records from before networks were data hold
    /// none: loading fills in their preset's).
    #[serde(default)]
    layers: Layers = |m, _, _| m.layers.clone(),
    /// Optimiser.
    optimizer: OptimizerKind = |_, _, d| d.optimizer.kind,
    /// Learning rate at the start.
    lr: f64 = |_, _, d| d.optimizer.lr,
    /// How the learning rate moves over the run. The tutorial keeps its rate; the other
    /// models decay theirs, which buys most of their final accuracy in short runs
    /// (fast-cnn's one-cycle warms up first, for its high rate).
    #[serde(default)]
    lr_schedule: LrSchedule = |_, p, _| match p {
        Some(Preset::TutorialMlp) => LrSchedule::Constant,
        Some(Preset::FastCnn) => LrSchedule::OneCycle,
        _ => LrSchedule::Cosine,
    },
    /// Epochs of linear warmup before the schedule (0 = none): the rate ramps from a
    /// small fraction of itself up to the rate, then the schedule runs over the rest.
    #[serde(default)]
    warmup: f64 = |_, _, _| 0.0,
    /// SGD momentum.
    momentum: f64 = |_, _, d| d.optimizer.momentum,
    /// SGD's Nesterov momentum (records from before it existed: off).
    #[serde(default)]
    nesterov: bool = |_, _, d| d.optimizer.nesterov,
    /// Weight decay: L2 (added to the gradient) for SGD and Adam, decoupled for AdamW.
    weight_decay: f64 = |_, _, d| d.optimizer.weight_decay,
    /// Adam's and AdamW's β₁ (records from before it existed: PyTorch's 0.9, the
    /// constant then in effect).
    #[serde(default = "adam_beta1")]
    beta1: f64 = |_, _, d| d.optimizer.beta1,
    /// Adam's and AdamW's β₂ (old records: 0.999).
    #[serde(default = "adam_beta2")]
    beta2: f64 = |_, _, d| d.optimizer.beta2,
    /// Adam's and AdamW's ε (old records: 1e-8).
    #[serde(default = "adam_eps")]
    eps: f64 = |_, _, d| d.optimizer.eps,
    /// Epochs to train (total, counting resumed ones).
    epochs: u32 = |_, _, d| d.epochs,
    /// Samples per batch.
    batch_size: usize = |_, _, d| d.batch_size,
    /// Seed for initialisation and shuffling.
    seed: u64 = |_, _, _| DEFAULT_SEED,
    /// Normalise inputs with MNIST's mean and std.
    normalize: bool = |_, _, d| d.normalize,
    /// How training images are varied: other writers' slant, size, position and pen
    /// width. Off for the tutorial's MLP (its recipe); on for the models it helps.
    #[serde(default)]
    augment: Augment = |_, p, _| match p {
        Some(Preset::Lenet | Preset::Cnn) => Augment::Full,
        Some(Preset::TutorialMlp | Preset::Mlp | Preset::FastCnn) | None => Augment::Off,
    },
    /// Training images held out for validation: a prefix of the training set's fixed
    /// order ([`crate::data::split`]). They decide every "best" (epoch, run, sweep
    /// group) and early stopping; the test set only reports. Records from before it
    /// had none (0).
    #[serde(default)]
    validation: usize = |_, _, _| DEFAULT_VALIDATION,
    /// Stop after this many epochs without a lower validation loss, if set.
    #[serde(default)]
    patience: Option<u32> = |_, _, _| None,
    /// Which weights the run keeps for predicting: the best epoch's by validation loss,
    /// or the last one's.
    #[serde(default)]
    keep: KeepWeights = |_, _, _| KeepWeights::Best,
    /// Also score the test set after every epoch (the tutorial's habit, kept by its
    /// preset; it is shown, never used to choose anything).
    /// (Records from before validation splits tested every epoch: `RunRecord`'s loading
    /// sets it for them.)
    #[serde(default)]
    test_each_epoch: bool = |_, p, _| p == Some(Preset::TutorialMlp),
    /// Train on at most this many training samples (after the validation images), if
    /// set.
    #[serde(default)]
    max_train_samples: Option<usize> = |_, _, _| None,
    /// Evaluate on at most this many test samples (a prefix of the test set's fixed
    /// order), if set.
    #[serde(default)]
    max_test_samples: Option<usize> = |_, _, _| None,
    /// Log the loss every this many batches.
    log_every: u32 = |_, _, _| DEFAULT_LOG_EVERY,
}

/// Training images held out for validation by default (as Keras and most MNIST
/// tutorials that split do: 55,000 train, 5,000 validation).
pub const DEFAULT_VALIDATION: usize = 5000;

/// β₁ of records from before it could be set.
fn adam_beta1() -> f64 {
    ADAM_BETA1
}

/// β₂ of records from before it could be set.
fn adam_beta2() -> f64 {
    ADAM_BETA2
}

/// ε of records from before it could be set.
fn adam_eps() -> f64 {
    ADAM_EPS
}

/// The default seed.
pub const DEFAULT_SEED: u64 = 42;
/// The tutorial's loss cadence: every 100 batches.
pub const DEFAULT_LOG_EVERY: u32 = 100;

impl TrainSettings {
    /// Resolves layers of overrides, later layers winning: the model is taken from the
    /// last layer that names one (else `mlp`), then its defaults are overridden in order.
    /// A layer that names a model without giving layers takes that model's layers
    /// (an unknown model has none: [`TrainSettings::validate`] says so).
    /// A layer that changes the optimiser without a learning rate takes that optimiser's
    /// usual rate, and without a weight decay its usual decay: PyTorch's 0.01 for AdamW
    /// (whose decay is meant to be on), the model's default (none) for the others.
    pub fn resolve(layers: &[&TrainOverrides]) -> Self {
        let model = layers
            .iter()
            .rev()
            .find_map(|l| l.model.clone())
            .unwrap_or_else(|| Preset::Mlp.model_name());
        let dataset = layers
            .iter()
            .rev()
            .find_map(|l| l.dataset.clone())
            .unwrap_or_default();
        let net = network_or_unknown(&model);
        let mut s = TrainSettings::defaults_for(&net, &dataset);
        for l in layers {
            if let (Some(m), None) = (&l.model, &l.layers) {
                s.layers = network_or_unknown(m).layers;
            }
            if let Some(v) = l.optimizer {
                if v != s.optimizer && l.lr.is_none() {
                    s.lr = match v {
                        OptimizerKind::Adam | OptimizerKind::AdamW => 1e-3,
                        OptimizerKind::Sgd => 0.1,
                    };
                }
                if v != s.optimizer && l.weight_decay.is_none() {
                    s.weight_decay = match v {
                        OptimizerKind::AdamW => ADAMW_WEIGHT_DECAY,
                        _ => {
                            net.as_preset()
                                .map_or(OWN_RECIPE, Preset::defaults)
                                .optimizer
                                .weight_decay
                        }
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

    /// The defaults of network `net` on `dataset`: the network's defaults (a preset's
    /// recipe, or [`OWN_RECIPE`] for a network of one's own), then what the dataset's
    /// recipe for it changes (`DatasetSpec::recipes`).
    pub fn defaults_for(net: &NetworkDef, dataset: &DatasetName) -> Self {
        let mut s = Self::base_defaults(net);
        s.dataset = dataset.clone();
        if let Some(r) = dataset.spec().and_then(|d| d.recipe_for(net.name.as_str())) {
            s.epochs = r.epochs.unwrap_or(s.epochs);
            s.augment = r.augment.unwrap_or(s.augment);
            s.lr = r.lr.unwrap_or(s.lr);
            s.batch_size = r.batch_size.unwrap_or(s.batch_size);
            s.lr_schedule = r.schedule.unwrap_or(s.lr_schedule);
        }
        s
    }

    /// The defaults of preset `preset` on MNIST.
    pub fn preset(preset: Preset) -> Self {
        Self::defaults_for(&NetworkDef::preset(preset), &DatasetName::mnist())
    }

    /// The network these settings train: its name and layers.
    pub fn network(&self) -> NetworkDef {
        NetworkDef {
            name: self.model.clone(),
            layers: self.layers.clone(),
        }
    }

    /// The optimiser part of the settings.
    pub fn optimizer_settings(&self) -> OptimizerSettings {
        OptimizerSettings {
            kind: self.optimizer,
            lr: self.lr,
            momentum: self.momentum,
            nesterov: self.nesterov,
            weight_decay: self.weight_decay,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
        }
    }

    /// Checks every value; the error says which setting is wrong and why.
    pub fn validate(&self) -> Result<(), SettingError> {
        if self.layers.is_empty() && find_network(self.model.as_str()).is_none() {
            return Err(SettingError::Network(
                crate::model::network_named(self.model.as_str())
                    .err()
                    .unwrap_or_default(),
            ));
        }
        self.network()
            .check()
            .map_err(|e| SettingError::Network(e.to_string()))?;
        check_lr(self.lr)?;
        if !(self.momentum.is_finite() && (0.0..1.0).contains(&self.momentum)) {
            return Err(SettingError::Momentum(self.momentum));
        }
        if !(self.weight_decay.is_finite() && (0.0..=1.0).contains(&self.weight_decay)) {
            return Err(SettingError::WeightDecay(self.weight_decay));
        }
        // Nesterov applies to SGD only (its row in the settings table says so).
        if self.optimizer == OptimizerKind::Sgd && self.nesterov && self.momentum == 0.0 {
            return Err(SettingError::NesterovWithoutMomentum);
        }
        if !(0.0..1.0).contains(&self.beta1) {
            return Err(SettingError::Beta1(self.beta1));
        }
        if !(0.0..1.0).contains(&self.beta2) {
            return Err(SettingError::Beta2(self.beta2));
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(SettingError::Eps(self.eps));
        }
        check_epochs(self.epochs)?;
        if !(self.warmup.is_finite()
            && self.warmup >= 0.0
            && (self.warmup == 0.0 || self.warmup < f64::from(self.epochs)))
        {
            return Err(SettingError::Warmup(self.warmup, self.epochs));
        }
        if self.batch_size == 0 || self.batch_size > MAX_BATCH_SIZE {
            return Err(SettingError::BatchSize(self.batch_size));
        }
        if self.log_every == 0 {
            return Err(SettingError::LogEvery);
        }
        if self.max_train_samples == Some(0) {
            return Err(SettingError::MaxTrainSamples);
        }
        if self.max_test_samples == Some(0) {
            return Err(SettingError::MaxTestSamples);
        }
        match self.patience {
            Some(0) => return Err(SettingError::Patience),
            Some(_) if self.validation == 0 => return Err(SettingError::PatienceNeedsValidation),
            _ => {}
        }
        Ok(())
    }
}

/// The network called `name`, or one of that name with no layers when none is known
/// (validation refuses it, listing the networks there are).
fn network_or_unknown(name: &ModelName) -> NetworkDef {
    find_network(name.as_str()).unwrap_or_else(|| NetworkDef {
        name: name.clone(),
        layers: Layers::default(),
    })
}

/// The largest learning rate a run accepts (at the start or changed mid-run).
pub const MAX_LR: f64 = 10.0;
/// The most epochs a run may have in all (counting resumed and added ones).
pub const MAX_EPOCHS: u32 = 1000;
/// The largest batch.
pub const MAX_BATCH_SIZE: usize = 8192;

/// Which setting is out of its range, with the value; it prints as the message the
/// user sees (`learning rate 20 must be in (0, 10]`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingError {
    /// The network is unknown, or its layers do not make a network (the message names
    /// the network and the layer).
    #[error("{0}")]
    Network(String),
    /// The learning rate is not a number in (0, [`MAX_LR`]].
    #[error("learning rate {0} must be in (0, 10]")]
    Lr(f64),
    /// The momentum is not in [0, 1).
    #[error("momentum {0} must be in [0, 1)")]
    Momentum(f64),
    /// The weight decay is not in [0, 1].
    #[error("weight decay {0} must be in [0, 1]")]
    WeightDecay(f64),
    /// Nesterov momentum asked of SGD without momentum (PyTorch refuses it too).
    #[error("nesterov needs a momentum above 0")]
    NesterovWithoutMomentum,
    /// Adam's β₁ is not in [0, 1).
    #[error("beta1 {0} must be in [0, 1)")]
    Beta1(f64),
    /// Adam's β₂ is not in [0, 1).
    #[error("beta2 {0} must be in [0, 1)")]
    Beta2(f64),
    /// Adam's ε is not above 0.
    #[error("eps {0} must be above 0")]
    Eps(f64),
    /// The epochs are not in 1..=[`MAX_EPOCHS`].
    #[error("epochs {0} must be in 1..=1000")]
    Epochs(u32),
    /// The warmup is negative, not a number, or not shorter than the run.
    #[error("warmup {0} epochs must be at least 0 and fewer than the run's {1} epochs")]
    Warmup(f64, u32),
    /// The batch size is not in 1..=[`MAX_BATCH_SIZE`].
    #[error("batch size {0} must be in 1..=8192")]
    BatchSize(usize),
    /// The loss would never be logged.
    #[error("log_every must be at least 1")]
    LogEvery,
    /// A training subset of no samples.
    #[error("max_train_samples must be at least 1")]
    MaxTrainSamples,
    /// A test subset of no samples.
    #[error("max_test_samples must be at least 1")]
    MaxTestSamples,
    /// Early stopping that would stop before any epoch.
    #[error("patience must be at least 1 epoch (or off)")]
    Patience,
    /// Early stopping with nothing to watch.
    #[error("patience needs a validation split to watch (validation is 0)")]
    PatienceNeedsValidation,
}

/// The one check of a learning rate: finite and in (0, [`MAX_LR`]]. Used for the
/// settings' rate ([`TrainSettings::validate`]) and for a rate changed while a run
/// trains (the trainer's `Control::SetLr`, the dashboard's prompt).
pub fn check_lr(lr: f64) -> Result<(), SettingError> {
    if lr.is_finite() && lr > 0.0 && lr <= MAX_LR {
        Ok(())
    } else {
        Err(SettingError::Lr(lr))
    }
}

/// The check of a run's total epochs: 1..=[`MAX_EPOCHS`] (also for a resumed run's
/// total with the added epochs).
pub fn check_epochs(epochs: u32) -> Result<(), SettingError> {
    if (1..=MAX_EPOCHS).contains(&epochs) {
        Ok(())
    } else {
        Err(SettingError::Epochs(epochs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_beats_config_which_beats_the_datasets_recipe_which_beats_the_preset() {
        use crate::data::datasets::DATASETS;
        let mut rows = 0;
        for d in DATASETS {
            for r in d.recipes {
                rows += 1;
                let model: ModelName = r.model.parse().unwrap();
                let preset = TrainSettings::defaults_for(
                    &NetworkDef::preset(Preset::named(r.model).unwrap()),
                    &DatasetName::mnist(),
                );
                let on = |layers: &[&TrainOverrides]| {
                    let mut all = vec![TrainOverrides {
                        model: Some(model.clone()),
                        dataset: Some(d.name.parse().unwrap()),
                        ..TrainOverrides::default()
                    }];
                    all.extend(layers.iter().map(|l| (*l).clone()));
                    TrainSettings::resolve(&all.iter().collect::<Vec<_>>())
                };
                // The recipe over the preset's defaults.
                let s = on(&[]);
                assert_eq!(
                    s.epochs,
                    r.epochs.unwrap_or(preset.epochs),
                    "{} {}",
                    d.name,
                    r.model
                );
                assert_eq!(s.augment, r.augment.unwrap_or(preset.augment));
                assert_eq!(s.lr, r.lr.unwrap_or(preset.lr));
                assert_eq!(s.batch_size, r.batch_size.unwrap_or(preset.batch_size));
                assert_eq!(s.lr_schedule, r.schedule.unwrap_or(preset.lr_schedule));
                assert_eq!(s.optimizer, preset.optimizer, "what it does not say stays");
                // config.ron over the recipe, a flag over config.ron.
                let config = TrainOverrides {
                    epochs: Some(7),
                    augment: Some(Augment::Affine),
                    lr: Some(0.0123),
                    batch_size: Some(32),
                    lr_schedule: Some(LrSchedule::StepDecay),
                    ..TrainOverrides::default()
                };
                let s = on(&[&config]);
                assert_eq!((s.epochs, s.augment, s.lr), (7, Augment::Affine, 0.0123));
                assert_eq!((s.batch_size, s.lr_schedule), (32, LrSchedule::StepDecay));
                let flag = TrainOverrides {
                    epochs: Some(9),
                    ..TrainOverrides::default()
                };
                let s = on(&[&config, &flag]);
                assert_eq!((s.epochs, s.augment), (9, Augment::Affine));
            }
        }
        assert!(rows > 0, "some dataset has recipes");
        // On MNIST, nothing changes.
        let s = TrainSettings::resolve(&[&TrainOverrides {
            model: Some(Preset::Cnn.model_name()),
            ..TrainOverrides::default()
        }]);
        assert_eq!(s, TrainSettings::preset(Preset::Cnn));
    }

    #[test]
    fn later_layers_win_and_model_defaults_fill_the_rest() {
        let file = TrainOverrides {
            model: Some(Preset::Cnn.model_name()),
            epochs: Some(3),
            ..Default::default()
        };
        let flags = TrainOverrides {
            model: Some(Preset::TutorialMlp.model_name()),
            seed: Some(7),
            ..Default::default()
        };
        let s = TrainSettings::resolve(&[&file, &flags]);
        assert_eq!(s.model, Preset::TutorialMlp.model_name());
        assert_eq!(s.lr, 0.8);
        assert_eq!(s.epochs, 3);
        assert_eq!(s.seed, 7);
        assert!(s.validate().is_ok());
    }

    #[test]
    fn switching_optimizer_without_lr_takes_a_sane_rate() {
        let flags = TrainOverrides {
            model: Some(Preset::TutorialMlp.model_name()),
            optimizer: Some(OptimizerKind::Adam),
            ..Default::default()
        };
        let s = TrainSettings::resolve(&[&flags]);
        assert_eq!(s.lr, 1e-3);
    }

    #[test]
    fn choosing_adamw_without_a_decay_takes_pytorchs_and_leaving_it_drops_it() {
        let adamw = TrainOverrides {
            optimizer: Some(OptimizerKind::AdamW),
            ..Default::default()
        };
        let s = TrainSettings::resolve(&[&adamw]);
        assert_eq!((s.lr, s.weight_decay), (1e-3, ADAMW_WEIGHT_DECAY));
        // A decay given in the same layer is kept, even 0.
        let no_decay = TrainOverrides {
            weight_decay: Some(0.0),
            ..adamw.clone()
        };
        assert_eq!(TrainSettings::resolve(&[&no_decay]).weight_decay, 0.0);
        // config.ron says adamw, the flags say sgd: AdamW's default decay goes with it.
        let sgd = TrainOverrides {
            optimizer: Some(OptimizerKind::Sgd),
            ..Default::default()
        };
        let s = TrainSettings::resolve(&[&adamw, &sgd]);
        assert_eq!((s.lr, s.weight_decay), (0.1, 0.0));
        // A later layer that keeps adamw keeps the decay.
        let s = TrainSettings::resolve(&[&adamw, &adamw]);
        assert_eq!(s.weight_decay, ADAMW_WEIGHT_DECAY);
    }

    #[test]
    fn betas_eps_and_nesterov_are_checked() {
        let base = TrainSettings::preset(Preset::Mlp);
        assert_eq!((base.beta1, base.beta2, base.eps), (0.9, 0.999, 1e-8));
        assert!(!base.nesterov);
        let check = |f: &dyn Fn(&mut TrainSettings)| {
            let mut s = base.clone();
            f(&mut s);
            s.validate()
        };
        assert_eq!(check(&|s| s.beta1 = 0.0), Ok(()));
        assert_eq!(check(&|s| s.beta1 = 1.0), Err(SettingError::Beta1(1.0)));
        assert_eq!(check(&|s| s.beta1 = -0.1), Err(SettingError::Beta1(-0.1)));
        assert!(matches!(
            check(&|s| s.beta1 = f64::NAN),
            Err(SettingError::Beta1(_))
        ));
        assert_eq!(check(&|s| s.beta2 = 0.9999), Ok(()));
        assert_eq!(check(&|s| s.beta2 = 1.0), Err(SettingError::Beta2(1.0)));
        assert_eq!(check(&|s| s.eps = 0.0), Err(SettingError::Eps(0.0)));
        assert!(matches!(
            check(&|s| s.eps = f64::INFINITY),
            Err(SettingError::Eps(_))
        ));
        assert_eq!(
            SettingError::Beta1(1.0).to_string(),
            "beta1 1 must be in [0, 1)"
        );
        // Nesterov needs momentum, for SGD (where it applies) only.
        let sgd = |momentum, nesterov| {
            move |s: &mut TrainSettings| {
                s.optimizer = OptimizerKind::Sgd;
                s.momentum = momentum;
                s.nesterov = nesterov;
            }
        };
        assert_eq!(check(&sgd(0.9, true)), Ok(()));
        assert_eq!(
            check(&sgd(0.0, true)),
            Err(SettingError::NesterovWithoutMomentum)
        );
        assert_eq!(check(&|s| s.nesterov = true), Ok(()), "adam ignores it");
    }

    #[test]
    fn the_tutorial_keeps_its_rate_and_warmup_must_fit_the_run() {
        assert_eq!(
            TrainSettings::preset(Preset::TutorialMlp).lr_schedule,
            LrSchedule::Constant
        );
        let mut s = TrainSettings::preset(Preset::Mlp);
        s.epochs = 3;
        s.warmup = 0.5;
        assert_eq!(s.validate(), Ok(()));
        for bad in [3.0, 4.0, -1.0, f64::NAN] {
            s.warmup = bad;
            assert!(
                matches!(s.validate(), Err(SettingError::Warmup(..))),
                "{bad}"
            );
        }
        s.warmup = 3.0;
        assert_eq!(
            s.validate().unwrap_err().to_string(),
            "warmup 3 epochs must be at least 0 and fewer than the run's 3 epochs"
        );
    }

    #[test]
    fn validation_names_the_bad_setting() {
        let mut s = TrainSettings::preset(Preset::Mlp);
        s.lr = f64::NAN;
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("learning rate")
        );
        s.lr = 0.1;
        s.batch_size = 0;
        assert!(s.validate().unwrap_err().to_string().contains("batch size"));
        assert_eq!(
            s.validate().unwrap_err().to_string(),
            "batch size 0 must be in 1..=8192"
        );
        s.batch_size = 32;
        s.epochs = 1001;
        assert_eq!(s.validate(), Err(SettingError::Epochs(1001)));
        assert_eq!(
            SettingError::Epochs(1001).to_string(),
            "epochs 1001 must be in 1..=1000"
        );
    }

    #[test]
    fn one_learning_rate_check_for_the_settings_and_changes_mid_run() {
        for ok in [1e-6, 0.1, 1.0, MAX_LR] {
            assert_eq!(check_lr(ok), Ok(()), "{ok}");
        }
        for bad in [0.0, -0.1, 10.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(matches!(check_lr(bad), Err(SettingError::Lr(_))), "{bad}");
        }
        assert_eq!(
            check_lr(20.0).unwrap_err().to_string(),
            "learning rate 20 must be in (0, 10]"
        );
        // validate uses the same check.
        let mut s = TrainSettings::preset(Preset::Mlp);
        s.lr = 10.5;
        assert_eq!(s.validate(), Err(SettingError::Lr(10.5)));
    }
}
