//! The one description of every training setting: its name, label, help, how it is
//! shown, parsed and stepped. The command-line flags, `config.ron`'s `train` section,
//! the dashboard form, the details dialog, the Runs comparison, `runs show` and the
//! headless `train` banner are all generated from [`SETTINGS`], so a setting appears
//! everywhere or nowhere.
//!
//! Per-model defaults live beside the fields in [`super::settings`]; adding a setting is
//! one field line there and one row here.

use super::settings::{KeepWeights, LrSchedule, TrainOverrides, TrainSettings};
use crate::data::{Augment, DatasetName};
use crate::model::{Layers, ModelName, OptimizerKind, Preset, known_networks};
use crate::{format, ladder};
use std::fmt;

/// The accessors of field `$f` of both structs.
macro_rules! field {
    ($f:ident) => {
        &Field {
            get: |s| &s.$f,
            get_mut: |s| &mut s.$f,
            ov: |o| &o.$f,
            ov_mut: |o| &mut o.$f,
        }
    };
}

/// How the dashboard steps a setting with ←/→ (or `-`/`+`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// Cycle through the choices (enums, booleans).
    Cycle,
    /// Along the 1-2-5 ladder (…, 0.01, 0.02, 0.05, 0.1, …); `zero`: 0 is the bottom rung.
    Ladder {
        /// Whether 0 is allowed (below the ladder's smallest rung).
        zero: bool,
    },
    /// Add or subtract `by`, kept in `[min, max]`.
    Add {
        /// The increment.
        by: f64,
        /// Smallest value.
        min: f64,
        /// Largest value.
        max: f64,
    },
    /// One more or one less.
    Inc,
    /// Double or halve (an unset cap reads as "all" above the largest power of two).
    Double,
    /// Not stepped: typed (a network's layers).
    Text,
    /// Up moves a value in [0, 1) closer to 1 by stepping `1 − value` down the 1-2-5
    /// ladder (0.9, 0.95, 0.98, 0.99, 0.995, …), no closer than `1 − gap`; down the
    /// other way, to 0 at the bottom (Adam's betas).
    TowardOne {
        /// The smallest `1 − value`.
        gap: f64,
    },
}

/// Which runs a setting applies to (elsewhere it is shown as [`NOT_APPLICABLE`], is not
/// edited, does not split groups, and a non-default value given as a flag is refused).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Applies {
    /// Every run.
    Always,
    /// Runs with one of these optimisers.
    Optimizers(&'static [OptimizerKind]),
}

/// How a setting that does not apply to a run is shown.
pub const NOT_APPLICABLE: &str = "n/a";

/// One training setting, described once.
pub struct Setting {
    /// The field name in run records, `config.ron` and `--json` output.
    pub name: &'static str,
    /// The command-line flag, without `--`.
    pub flag: &'static str,
    /// The placeholder in `--help` (`X`, `N`, …).
    pub value_name: &'static str,
    /// The label in the form and the details dialog (at most 14 characters).
    pub label: &'static str,
    /// The label in the Runs comparison (at most 10 characters).
    pub short: &'static str,
    /// One line of help (command line, form).
    pub help: &'static str,
    /// How ←/→ change it.
    pub step: Step,
    /// Which runs it applies to.
    pub applies: Applies,
    access: &'static dyn Access,
}

impl fmt::Debug for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Setting {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Setting {}

/// Settings of SGD only (momentum, Nesterov).
const SGD_ONLY: Applies = Applies::Optimizers(&[OptimizerKind::Sgd]);
/// Settings of Adam and AdamW only (betas, eps).
const ADAM_ONLY: Applies = Applies::Optimizers(&[OptimizerKind::Adam, OptimizerKind::AdamW]);

/// Every training setting, in the order the form, the details and the comparison show them.
pub static SETTINGS: &[Setting] = &[
    Setting {
        name: "model",
        flag: "model",
        value_name: "MODEL",
        label: "Model",
        short: "model",
        help: "Network: a preset or one defined in config.ron (`mnist-tui models` lists them)",
        step: Step::Cycle,
        applies: Applies::Always,
        access: field!(model),
    },
    Setting {
        name: "dataset",
        flag: "dataset",
        value_name: "DATASET",
        label: "Dataset",
        short: "data",
        help: "Dataset: mnist, fashion-mnist, kmnist, emnist-digits|letters|balanced, or a \
               folder of IDX files with a classes.txt (`mnist-tui data list`)",
        step: Step::Cycle,
        applies: Applies::Always,
        access: field!(dataset),
    },
    Setting {
        name: "layers",
        flag: "layers",
        value_name: "LAYERS",
        label: "Layers",
        short: "layers",
        help: "The network's layers, e.g. 'Flatten, Dense(128), Relu, Dense(classes)' \
               (default: the model's)",
        step: Step::Text,
        applies: Applies::Always,
        access: field!(layers),
    },
    Setting {
        name: "optimizer",
        flag: "optimizer",
        value_name: "OPTIMIZER",
        label: "Optimizer",
        short: "optimizer",
        help: "Optimiser",
        step: Step::Cycle,
        applies: Applies::Always,
        access: field!(optimizer),
    },
    Setting {
        name: "lr",
        flag: "lr",
        value_name: "X",
        label: "Learning rate",
        short: "lr",
        help: "Learning rate at the start",
        step: Step::Ladder { zero: false },
        applies: Applies::Always,
        access: field!(lr),
    },
    Setting {
        name: "lr_schedule",
        flag: "lr-schedule",
        value_name: "SCHEDULE",
        label: "LR schedule",
        short: "schedule",
        help: "Learning-rate schedule: constant, cosine (to zero over the run), one-cycle \
               (up to the rate in the first quarter, then down to zero), step-decay (×0.1 at \
               half and three quarters)",
        step: Step::Cycle,
        applies: Applies::Always,
        access: field!(lr_schedule),
    },
    Setting {
        name: "warmup",
        flag: "warmup",
        value_name: "EPOCHS",
        label: "Warmup",
        short: "warmup",
        help: "Epochs of linear warmup up to the rate before the schedule (0: none; may be \
               a fraction)",
        step: Step::Add {
            by: 0.5,
            min: 0.0,
            max: 100.0,
        },
        access: field!(warmup),
        applies: Applies::Always,
    },
    Setting {
        name: "momentum",
        flag: "momentum",
        value_name: "X",
        label: "Momentum",
        short: "momentum",
        help: "SGD momentum (0 disables it)",
        step: Step::Add {
            by: 0.05,
            min: 0.0,
            max: 0.99,
        },
        applies: SGD_ONLY,
        access: field!(momentum),
    },
    Setting {
        name: "nesterov",
        flag: "nesterov",
        value_name: "BOOL",
        label: "Nesterov",
        short: "nesterov",
        help: "SGD's Nesterov momentum (needs a momentum above 0)",
        step: Step::Cycle,
        applies: SGD_ONLY,
        access: field!(nesterov),
    },
    Setting {
        name: "weight_decay",
        flag: "weight-decay",
        value_name: "X",
        label: "Weight decay",
        short: "w. decay",
        help: "Weight decay (L2 for sgd and adam, decoupled for adamw; 0: none)",
        step: Step::Ladder { zero: true },
        applies: Applies::Always,
        access: field!(weight_decay),
    },
    Setting {
        name: "beta1",
        flag: "beta1",
        value_name: "X",
        label: "Beta1",
        short: "beta1",
        help: "Adam's decay of the gradient's running mean, in [0, 1)",
        step: Step::TowardOne { gap: 1e-3 },
        applies: ADAM_ONLY,
        access: field!(beta1),
    },
    Setting {
        name: "beta2",
        flag: "beta2",
        value_name: "X",
        label: "Beta2",
        short: "beta2",
        help: "Adam's decay of the squared gradient's running mean, in [0, 1)",
        step: Step::TowardOne { gap: 1e-4 },
        applies: ADAM_ONLY,
        access: field!(beta2),
    },
    Setting {
        name: "eps",
        flag: "eps",
        value_name: "X",
        label: "Epsilon",
        short: "eps",
        help: "Adam's term added to the denominator, above 0",
        step: Step::Ladder { zero: false },
        applies: ADAM_ONLY,
        access: field!(eps),
    },
    Setting {
        name: "epochs",
        flag: "epochs",
        value_name: "N",
        label: "Epochs",
        short: "epochs",
        help: "Epochs to train (with --resume: epochs to add; without it, a resume finishes \
               the planned epochs)",
        step: Step::Inc,
        applies: Applies::Always,
        access: field!(epochs),
    },
    Setting {
        name: "batch_size",
        flag: "batch-size",
        value_name: "N",
        label: "Batch size",
        short: "batch",
        help: "Samples per batch",
        step: Step::Double,
        applies: Applies::Always,
        access: field!(batch_size),
    },
    Setting {
        name: "seed",
        flag: "seed",
        value_name: "N",
        label: "Seed",
        short: "seed",
        help: "Seed for initialisation and shuffling",
        step: Step::Inc,
        applies: Applies::Always,
        access: field!(seed),
    },
    Setting {
        name: "normalize",
        flag: "normalize",
        value_name: "BOOL",
        label: "Normalize",
        short: "normalize",
        help: "Normalise inputs with the dataset's mean and std",
        step: Step::Cycle,
        applies: Applies::Always,
        access: field!(normalize),
    },
    Setting {
        name: "augment",
        flag: "augment",
        value_name: "AUGMENT",
        label: "Augment",
        short: "augment",
        help: "Vary training images: off | affine (slant, size, shift) | full (+ pen width, \
               elastic) | flip (mirror, shift: clothes)",
        step: Step::Cycle,
        applies: Applies::Always,
        access: field!(augment),
    },
    Setting {
        name: "validation",
        flag: "validation",
        value_name: "N",
        label: "Validation",
        short: "val",
        help: "Training images held out to choose by (best epoch, run, sweep group; early stopping); 0: none",
        step: Step::Double,
        access: field!(validation),
        applies: Applies::Always,
    },
    Setting {
        name: "patience",
        flag: "patience",
        value_name: "EPOCHS",
        label: "Patience",
        short: "patience",
        help: "Stop after this many epochs without a lower validation loss (off: train every epoch)",
        step: Step::Inc,
        access: field!(patience),
        applies: Applies::Always,
    },
    Setting {
        name: "keep",
        flag: "keep",
        value_name: "WEIGHTS",
        label: "Keep weights",
        short: "keep",
        help: "Weights the run keeps for predicting: best (lowest validation loss) | last",
        step: Step::Cycle,
        access: field!(keep),
        applies: Applies::Always,
    },
    Setting {
        name: "test_each_epoch",
        flag: "test-each-epoch",
        value_name: "BOOL",
        label: "Epoch test",
        short: "ep. test",
        help: "Also score the test set after every epoch (the tutorial's habit; never chooses anything)",
        step: Step::Cycle,
        access: field!(test_each_epoch),
        applies: Applies::Always,
    },
    Setting {
        name: "max_train_samples",
        flag: "max-train",
        value_name: "N",
        label: "Max train",
        short: "max train",
        help: "Train on at most this many training images (all: every one)",
        step: Step::Double,
        applies: Applies::Always,
        access: field!(max_train_samples),
    },
    Setting {
        name: "max_test_samples",
        flag: "max-test",
        value_name: "N",
        label: "Max test",
        short: "max test",
        help: "Evaluate on at most this many test images (all: every one)",
        step: Step::Double,
        applies: Applies::Always,
        access: field!(max_test_samples),
    },
    Setting {
        name: "log_every",
        flag: "log-every",
        value_name: "BATCHES",
        label: "Log every",
        short: "log every",
        help: "Batches between loss points",
        step: Step::Double,
        applies: Applies::Always,
        access: field!(log_every),
    },
];

/// Refuses a setting given on the command line (`given`) with a value other than its
/// model's default where it applies to none of `runs` (`train`: the one run; a sweep:
/// its points). A value from `config.ron` is not `given` and is never refused: it is
/// kept in the record and shown as [`NOT_APPLICABLE`].
pub fn check_given(given: &[&'static Setting], runs: &[TrainSettings]) -> Result<(), String> {
    for row in given {
        if runs.iter().any(|s| row.applies_to(s)) {
            continue;
        }
        let off_default = runs
            .iter()
            .find(|s| !row.same(s, &TrainSettings::defaults_for(&s.network(), &s.dataset)));
        if let Some(s) = off_default {
            let mut kinds: Vec<&str> = Vec::new();
            for r in runs {
                if !kinds.contains(&r.optimizer.name()) {
                    kinds.push(r.optimizer.name());
                }
            }
            return Err(format!(
                "--{} {} does not apply to {} (it applies to {})",
                row.flag,
                row.show(s),
                kinds.join(" or "),
                row.applies.describe()
            ));
        }
    }
    Ok(())
}

/// The setting named `name` (its record / `config.ron` name).
pub fn setting(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

impl Applies {
    /// Whether it applies to a run with settings `s`.
    pub fn to(self, s: &TrainSettings) -> bool {
        match self {
            Applies::Always => true,
            Applies::Optimizers(kinds) => kinds.contains(&s.optimizer),
        }
    }

    /// What it applies to, as in "it applies to sgd" (`everything` for [`Applies::Always`]).
    pub fn describe(self) -> String {
        match self {
            Applies::Always => "everything".into(),
            Applies::Optimizers(kinds) => {
                let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
                names.join(" and ")
            }
        }
    }
}

impl Setting {
    /// Its value in `s` (also where it does not apply: what the record holds).
    pub fn show(&self, s: &TrainSettings) -> String {
        self.access.show(s)
    }

    /// Its value in `s` as the views show it: [`NOT_APPLICABLE`] where it does not
    /// apply (the form, the details, `runs show`, the comparisons, the banner).
    pub fn show_applied(&self, s: &TrainSettings) -> String {
        if self.applies_to(s) {
            self.show(s)
        } else {
            NOT_APPLICABLE.into()
        }
    }

    /// Whether it applies to a run with settings `s` (see [`Setting::applies`]).
    pub fn applies_to(&self, s: &TrainSettings) -> bool {
        self.applies.to(s)
    }

    /// Whether it is typed in the form (rather than picked from a list).
    pub fn is_typed(&self) -> bool {
        self.step != Step::Cycle
    }

    /// The values it can take, for settings picked from a list (empty otherwise).
    pub fn choices(&self) -> Vec<String> {
        self.access.choices()
    }

    /// Parses `text` into `s`; the error names the setting.
    pub fn parse_into(&self, s: &mut TrainSettings, text: &str) -> Result<(), String> {
        self.access
            .parse_into(s, text.trim())
            .map_err(|e| format!("{} '{}' {e}", self.label.to_lowercase(), text.trim()))
    }

    /// Checks that `text` parses (the command line uses it to reject a bad flag early).
    pub fn check(&self, text: &str) -> Result<(), String> {
        let mut scratch = TrainSettings::preset(Preset::Mlp);
        self.parse_into(&mut scratch, text)
    }

    /// Steps it in `s` by `dir` (±1). Returns false when it cannot move that way.
    pub fn step_in(&self, s: &mut TrainSettings, dir: i32) -> bool {
        self.access.step(s, self.step, dir)
    }

    /// Whether `c` may be typed after `text` (`text` is what is already typed).
    pub fn accepts(&self, text: &str, c: char) -> bool {
        self.access.accepts(text, c)
    }

    /// Whether `a` and `b` hold the same value of it.
    pub fn same(&self, a: &TrainSettings, b: &TrainSettings) -> bool {
        self.access.same(a, b)
    }

    /// Whether it makes no difference between `a` and `b`: it applies to neither, or to
    /// both with the same value (how runs are grouped and compared).
    pub fn same_in_effect(&self, a: &TrainSettings, b: &TrainSettings) -> bool {
        match (self.applies_to(a), self.applies_to(b)) {
            (false, false) => true,
            (true, true) => self.same(a, b),
            _ => false,
        }
    }

    /// Sets the override from `text` (a command-line flag).
    pub fn set_override(&self, o: &mut TrainOverrides, text: &str) -> Result<(), String> {
        let mut scratch = TrainSettings::preset(Preset::Mlp);
        self.parse_into(&mut scratch, text)?;
        self.access.override_from(&scratch, o);
        Ok(())
    }

    /// Sets the override to `s`'s value.
    pub fn override_from(&self, s: &TrainSettings, o: &mut TrainOverrides) {
        self.access.override_from(s, o);
    }

    /// Whether `o` overrides it.
    pub fn is_overridden(&self, o: &TrainOverrides) -> bool {
        self.access.is_overridden(o)
    }

    /// Applies `o`'s override of it, if any, to `s`.
    pub fn apply_override(&self, o: &TrainOverrides, s: &mut TrainSettings) {
        self.access.apply_override(o, s);
    }
}

/// A setting's value type: how it prints, parses, steps and is typed.
pub trait Value: Clone + PartialEq + Send + Sync + 'static {
    /// As printed everywhere.
    fn show(&self) -> String;
    /// From text (the error completes "<label> '<text>' …").
    fn parse(text: &str) -> Result<Self, String>;
    /// The value one step away, or `None` if this step does not apply.
    fn step(&self, step: Step, dir: i32) -> Option<Self>;
    /// The choices of a picked value (empty for typed ones).
    fn choices() -> Vec<String> {
        Vec::new()
    }
    /// Whether `c` may be typed after `text`.
    fn accepts(_text: &str, _c: char) -> bool {
        false
    }
}

/// Type-erased access to one field of [`TrainSettings`] and [`TrainOverrides`].
trait Access: Sync {
    fn show(&self, s: &TrainSettings) -> String;
    fn parse_into(&self, s: &mut TrainSettings, text: &str) -> Result<(), String>;
    fn step(&self, s: &mut TrainSettings, step: Step, dir: i32) -> bool;
    fn choices(&self) -> Vec<String>;
    fn accepts(&self, text: &str, c: char) -> bool;
    fn same(&self, a: &TrainSettings, b: &TrainSettings) -> bool;
    fn override_from(&self, s: &TrainSettings, o: &mut TrainOverrides);
    fn is_overridden(&self, o: &TrainOverrides) -> bool;
    fn apply_override(&self, o: &TrainOverrides, s: &mut TrainSettings);
}

/// The accessors of one field (built by `field!`).
struct Field<T: 'static> {
    get: fn(&TrainSettings) -> &T,
    get_mut: fn(&mut TrainSettings) -> &mut T,
    ov: fn(&TrainOverrides) -> &Option<T>,
    ov_mut: fn(&mut TrainOverrides) -> &mut Option<T>,
}

impl<T: Value> Access for Field<T> {
    fn show(&self, s: &TrainSettings) -> String {
        (self.get)(s).show()
    }
    fn parse_into(&self, s: &mut TrainSettings, text: &str) -> Result<(), String> {
        *(self.get_mut)(s) = T::parse(text)?;
        Ok(())
    }
    fn step(&self, s: &mut TrainSettings, step: Step, dir: i32) -> bool {
        match (self.get)(s).step(step, dir) {
            Some(v) if v != *(self.get)(s) => {
                *(self.get_mut)(s) = v;
                true
            }
            _ => false,
        }
    }
    fn choices(&self) -> Vec<String> {
        T::choices()
    }
    fn accepts(&self, text: &str, c: char) -> bool {
        T::accepts(text, c)
    }
    fn same(&self, a: &TrainSettings, b: &TrainSettings) -> bool {
        (self.get)(a) == (self.get)(b)
    }
    fn override_from(&self, s: &TrainSettings, o: &mut TrainOverrides) {
        *(self.ov_mut)(o) = Some((self.get)(s).clone());
    }
    fn is_overridden(&self, o: &TrainOverrides) -> bool {
        (self.ov)(o).is_some()
    }
    fn apply_override(&self, o: &TrainOverrides, s: &mut TrainSettings) {
        if let Some(v) = (self.ov)(o) {
            *(self.get_mut)(s) = v.clone();
        }
    }
}

/// The smallest non-zero rung a [`Step::Ladder`] with zero reaches.
const LADDER_FLOOR: f64 = 1e-5;

/// Typing a float: digits, one point, one exponent with an optional minus.
fn accepts_float(text: &str, c: char) -> bool {
    c.is_ascii_digit()
        || (c == '.' && !text.contains('.') && !text.contains('e'))
        || (c == 'e' && !text.is_empty() && !text.contains('e'))
        || (c == '-' && text.ends_with('e'))
}

impl Value for f64 {
    fn show(&self) -> String {
        format::float(*self)
    }
    fn parse(text: &str) -> Result<Self, String> {
        text.parse::<f64>().map_err(|_| "is not a number".into())
    }
    fn step(&self, step: Step, dir: i32) -> Option<Self> {
        let up = dir > 0;
        match step {
            Step::Ladder { zero } => Some(if zero && *self <= 0.0 {
                if up { LADDER_FLOOR } else { 0.0 }
            } else if zero && !up && *self <= LADDER_FLOOR {
                0.0
            } else {
                if up {
                    ladder::above(*self)
                } else {
                    ladder::below(*self)
                }
            }),
            Step::Add { by, min, max } => {
                let v = self + if up { by } else { -by };
                Some((v.clamp(min, max) * 100.0).round() / 100.0)
            }
            Step::TowardOne { gap } => {
                let rest = (1.0 - self).clamp(gap, 1.0);
                let rest = if up {
                    ladder::below(rest).max(gap)
                } else {
                    ladder::above(rest).min(1.0)
                };
                Some(((1.0 - rest) * 1e6).round() / 1e6)
            }
            _ => None,
        }
    }
    fn accepts(text: &str, c: char) -> bool {
        accepts_float(text, c)
    }
}

macro_rules! whole_number {
    ($t:ty) => {
        impl Value for $t {
            fn show(&self) -> String {
                self.to_string()
            }
            fn parse(text: &str) -> Result<Self, String> {
                text.parse::<$t>()
                    .map_err(|_| "must be a whole number".into())
            }
            fn step(&self, step: Step, dir: i32) -> Option<Self> {
                let up = dir > 0;
                match step {
                    Step::Inc if up => Some(self.wrapping_add(1)),
                    Step::Inc => Some(self.wrapping_sub(1)),
                    Step::Double if up => Some(self.saturating_mul(2)),
                    Step::Double => Some(*self / 2),
                    _ => None,
                }
            }
            fn accepts(_text: &str, c: char) -> bool {
                c.is_ascii_digit()
            }
        }
    };
}
whole_number!(u32);
whole_number!(u64);
whole_number!(usize);

/// The largest cap a doubled [`Option<usize>`] reaches before reading "all".
const CAP_TOP: usize = 32768;

impl Value for Option<usize> {
    fn show(&self) -> String {
        self.map_or_else(|| "all".into(), |n| n.to_string())
    }
    fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() || text.eq_ignore_ascii_case("all") {
            return Ok(None);
        }
        text.parse::<usize>()
            .map(Some)
            .map_err(|_| "must be a whole number or 'all'".into())
    }
    fn step(&self, step: Step, dir: i32) -> Option<Self> {
        if step != Step::Double {
            return None;
        }
        Some(match (*self, dir > 0) {
            (None, true) => None,
            (None, false) => Some(CAP_TOP),
            (Some(n), true) if n >= CAP_TOP => None,
            (Some(n), true) => Some(n.saturating_mul(2)),
            (Some(n), false) => Some((n / 2).max(1)),
        })
    }
    fn accepts(_text: &str, c: char) -> bool {
        c.is_ascii_digit() || "alALl".contains(c)
    }
}

impl Value for Option<u32> {
    fn show(&self) -> String {
        self.map_or_else(|| "off".into(), |n| n.to_string())
    }
    fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() || text.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        text.parse::<u32>()
            .map(Some)
            .map_err(|_| "must be a whole number or 'off'".into())
    }
    fn step(&self, step: Step, dir: i32) -> Option<Self> {
        if step != Step::Inc {
            return None;
        }
        Some(match (*self, dir > 0) {
            (None, true) => Some(1),
            (None, false) => None,
            (Some(1), false) => None,
            (Some(n), true) => Some(n.saturating_add(1)),
            (Some(n), false) => Some(n - 1),
        })
    }
    fn accepts(_text: &str, c: char) -> bool {
        c.is_ascii_digit() || "ofOF".contains(c)
    }
}

/// Steps through `all` from `current` by `dir`, wrapping.
fn cycle<T: PartialEq + Copy>(all: &[T], current: T, dir: i32) -> T {
    let i = all.iter().position(|a| *a == current).unwrap_or(0) as i32;
    all[(i + dir).rem_euclid(all.len() as i32) as usize]
}

/// Finds the choice named `text` among `all`.
fn pick<T: Copy>(all: &[T], name: fn(T) -> &'static str, text: &str) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|v| name(*v) == text)
        .ok_or_else(|| {
            let names: Vec<_> = all.iter().map(|v| name(*v)).collect();
            format!("is not one of: {}", names.join(", "))
        })
}

/// The choice type's values in menu order and their names.
macro_rules! choice {
    ($t:ty, $all:expr, $name:expr) => {
        impl Value for $t {
            fn show(&self) -> String {
                let name: fn($t) -> &'static str = $name;
                name(*self).to_string()
            }
            fn parse(text: &str) -> Result<Self, String> {
                pick(&$all, $name, text)
            }
            fn step(&self, step: Step, dir: i32) -> Option<Self> {
                (step == Step::Cycle).then(|| cycle(&$all, *self, dir))
            }
            fn choices() -> Vec<String> {
                let name: fn($t) -> &'static str = $name;
                $all.iter().map(|v| name(*v).to_string()).collect()
            }
        }
    };
}
/// A model is a name: the form cycles through the known networks (presets first);
/// typed (a flag, `config.ron`), any name reads, and validation refuses one that no
/// network has (`config.ron`'s networks are known only once it is loaded, after the
/// flags are read).
impl Value for ModelName {
    fn show(&self) -> String {
        self.to_string()
    }
    fn parse(text: &str) -> Result<Self, String> {
        text.parse()
    }
    fn step(&self, step: Step, dir: i32) -> Option<Self> {
        let names: Vec<ModelName> = known_networks().into_iter().map(|k| k.def.name).collect();
        if step != Step::Cycle || names.is_empty() {
            return None;
        }
        let i = names.iter().position(|n| n == self).unwrap_or(0) as i32;
        names
            .get((i + dir).rem_euclid(names.len() as i32) as usize)
            .cloned()
    }
}

/// A dataset is a name: the form cycles through the datasets known by name; typed (a
/// flag, `config.ron`), a folder of one's own is named too (loading says whether it is
/// one).
impl Value for DatasetName {
    fn show(&self) -> String {
        self.to_string()
    }
    fn parse(text: &str) -> Result<Self, String> {
        text.parse()
    }
    fn step(&self, step: Step, dir: i32) -> Option<Self> {
        let names = crate::data::datasets::dataset_names();
        if step != Step::Cycle {
            return None;
        }
        let i = names.iter().position(|n| *n == self.as_str()).unwrap_or(0) as i32;
        names
            .get((i + dir).rem_euclid(names.len() as i32) as usize)
            .and_then(|n| n.parse().ok())
    }
    fn accepts(_text: &str, c: char) -> bool {
        !c.is_control()
    }
}

/// Layers are typed in the network language.
impl Value for Layers {
    fn show(&self) -> String {
        self.to_string()
    }
    fn parse(text: &str) -> Result<Self, String> {
        text.parse().map_err(|e| format!("does not read: {e}"))
    }
    fn step(&self, _step: Step, _dir: i32) -> Option<Self> {
        None
    }
    fn accepts(_text: &str, c: char) -> bool {
        !c.is_control()
    }
}

choice!(OptimizerKind, OptimizerKind::ALL, OptimizerKind::name);
choice!(LrSchedule, LrSchedule::ALL, LrSchedule::name);
choice!(Augment, Augment::ALL, Augment::name);
choice!(
    KeepWeights,
    [KeepWeights::Best, KeepWeights::Last],
    KeepWeights::name
);
choice!(bool, [false, true], |b| if b { "true" } else { "false" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_of_the_record_has_exactly_one_row() {
        let s = TrainSettings::preset(Preset::Mlp);
        let json = serde_json::to_value(&s).unwrap();
        let fields: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(fields.len(), SETTINGS.len(), "fields {fields:?}");
        for f in fields {
            assert_eq!(
                SETTINGS.iter().filter(|r| r.name == f.as_str()).count(),
                1,
                "field {f} needs exactly one row in SETTINGS"
            );
        }
    }

    #[test]
    fn every_row_reaches_its_own_field() {
        // Changing a row's value changes exactly that field of the record.
        for row in SETTINGS {
            let base = TrainSettings::preset(Preset::Mlp);
            let mut s = base.clone();
            if row.step == Step::Text {
                row.parse_into(&mut s, "Flatten, Dense(classes)").unwrap();
            } else {
                assert!(row.step_in(&mut s, 1) || row.step_in(&mut s, -1), "{row:?}");
            }
            let before = serde_json::to_value(&base).unwrap();
            let after = serde_json::to_value(&s).unwrap();
            for (k, v) in before.as_object().unwrap() {
                assert_eq!(*v == after[k], k != row.name, "{row:?} moved {k}");
            }
            assert!(!row.same(&base, &s));
            let mut o = TrainOverrides::default();
            row.override_from(&s, &mut o);
            assert!(row.is_overridden(&o));
            let mut back = base.clone();
            row.apply_override(&o, &mut back);
            assert_eq!(back, s);
        }
    }

    #[test]
    fn shown_values_parse_back() {
        for model in Preset::ALL {
            let s = TrainSettings::preset(model);
            for row in SETTINGS {
                let mut t = TrainSettings::preset(Preset::Cnn);
                row.parse_into(&mut t, &row.show(&s)).unwrap();
                assert!(row.same(&s, &t), "{row:?} for {model}");
            }
        }
    }

    #[test]
    fn parse_errors_name_the_setting() {
        let mut s = TrainSettings::preset(Preset::Mlp);
        let lr = setting("lr").unwrap();
        assert_eq!(
            lr.parse_into(&mut s, "fast").unwrap_err(),
            "learning rate 'fast' is not a number"
        );
        let sched = setting("lr_schedule").unwrap();
        assert!(
            sched
                .parse_into(&mut s, "linear")
                .unwrap_err()
                .contains("constant, cosine, one-cycle, step-decay")
        );
        let cap = setting("max_train_samples").unwrap();
        cap.parse_into(&mut s, "all").unwrap();
        assert_eq!(s.max_train_samples, None);
        cap.parse_into(&mut s, "1000").unwrap();
        assert_eq!(s.max_train_samples, Some(1000));
    }

    #[test]
    fn settings_of_one_optimizer_apply_to_it_only() {
        for (kind, not_applying) in [
            (OptimizerKind::Sgd, vec!["beta1", "beta2", "eps"]),
            (OptimizerKind::Adam, vec!["momentum", "nesterov"]),
            (OptimizerKind::AdamW, vec!["momentum", "nesterov"]),
        ] {
            let s = TrainSettings {
                optimizer: kind,
                ..TrainSettings::preset(Preset::Mlp)
            };
            let names: Vec<&str> = SETTINGS
                .iter()
                .filter(|r| !r.applies_to(&s))
                .map(|r| r.name)
                .collect();
            assert_eq!(names, not_applying, "{kind}");
            for row in SETTINGS {
                let shown = row.show_applied(&s);
                assert_eq!(shown == NOT_APPLICABLE, !row.applies_to(&s), "{row:?}");
            }
        }
    }

    #[test]
    fn a_setting_that_applies_to_neither_run_makes_no_difference() {
        let momentum = setting("momentum").unwrap();
        let adam = TrainSettings::preset(Preset::Mlp);
        assert_eq!(adam.optimizer, OptimizerKind::Adam);
        let adam_09 = TrainSettings {
            momentum: 0.9,
            ..adam.clone()
        };
        assert!(!momentum.same(&adam, &adam_09));
        assert!(momentum.same_in_effect(&adam, &adam_09));
        let sgd = |m| TrainSettings {
            optimizer: OptimizerKind::Sgd,
            momentum: m,
            ..adam.clone()
        };
        assert!(!momentum.same_in_effect(&sgd(0.0), &sgd(0.9)));
        assert!(momentum.same_in_effect(&sgd(0.9), &sgd(0.9)));
        // Applying to one and not the other is a difference.
        assert!(!momentum.same_in_effect(&sgd(0.9), &adam_09));
    }

    #[test]
    fn a_flag_for_another_optimizer_is_refused_unless_it_is_the_default() {
        let row = |n| setting(n).unwrap();
        let adam = TrainSettings {
            momentum: 0.9,
            ..TrainSettings::preset(Preset::Mlp)
        };
        assert_eq!(
            check_given(&[row("momentum")], std::slice::from_ref(&adam)),
            Err("--momentum 0.9 does not apply to adam (it applies to sgd)".into())
        );
        // Not given as a flag (config.ron's): kept, not refused.
        assert_eq!(
            check_given(&[row("lr")], std::slice::from_ref(&adam)),
            Ok(())
        );
        // Given at its default: nothing to refuse.
        let plain = TrainSettings::preset(Preset::Mlp);
        assert_eq!(
            check_given(&[row("momentum"), row("nesterov")], &[plain]),
            Ok(())
        );
        let sgd = TrainSettings {
            optimizer: OptimizerKind::Sgd,
            beta2: 0.99,
            ..TrainSettings::preset(Preset::Mlp)
        };
        assert_eq!(
            check_given(&[row("beta2")], std::slice::from_ref(&sgd)),
            Err("--beta2 0.99 does not apply to sgd (it applies to adam and adamw)".into())
        );
        // A sweep over sgd and adam with --momentum 0.9: it applies to the sgd points.
        let sgd_09 = TrainSettings {
            optimizer: OptimizerKind::Sgd,
            ..adam.clone()
        };
        assert_eq!(
            check_given(&[row("momentum")], &[sgd_09, adam.clone()]),
            Ok(())
        );
        let adamw = TrainSettings {
            optimizer: OptimizerKind::AdamW,
            ..adam.clone()
        };
        assert_eq!(
            check_given(&[row("momentum")], &[adam, adamw]),
            Err("--momentum 0.9 does not apply to adam or adamw (it applies to sgd)".into())
        );
    }

    #[test]
    fn betas_step_toward_one_along_the_ladder() {
        let b1 = Step::TowardOne { gap: 1e-3 };
        assert_eq!(0.9_f64.step(b1, 1), Some(0.95));
        assert_eq!(0.95_f64.step(b1, 1), Some(0.98));
        assert_eq!(0.9_f64.step(b1, -1), Some(0.8));
        assert_eq!(0.5_f64.step(b1, -1), Some(0.0));
        assert_eq!(0.0_f64.step(b1, -1), Some(0.0));
        assert_eq!(0.999_f64.step(b1, 1), Some(0.999));
        let b2 = Step::TowardOne { gap: 1e-4 };
        assert_eq!(0.999_f64.step(b2, 1), Some(0.9995));
        assert_eq!(0.999_f64.step(b2, -1), Some(0.998));
        assert_eq!(0.9999_f64.step(b2, 1), Some(0.9999));
    }

    #[test]
    fn ladder_steps_are_round() {
        assert_eq!(0.8_f64.step(Step::Ladder { zero: false }, 1), Some(1.0));
        assert_eq!(0.0_f64.step(Step::Ladder { zero: true }, 1), Some(1e-5));
        assert_eq!(1e-5_f64.step(Step::Ladder { zero: true }, -1), Some(0.0));
    }

    #[test]
    fn caps_double_up_to_all() {
        let d = Step::Double;
        assert_eq!(None::<usize>.step(d, -1), Some(Some(CAP_TOP)));
        assert_eq!(Some(CAP_TOP).step(d, 1), Some(None));
        assert_eq!(Some(1000usize).step(d, 1), Some(Some(2000)));
    }

    #[test]
    fn patience_steps_between_off_and_epochs() {
        let i = Step::Inc;
        assert_eq!(None::<u32>.step(i, 1), Some(Some(1)));
        assert_eq!(Some(1u32).step(i, -1), Some(None));
        assert_eq!(Some(3u32).step(i, 1), Some(Some(4)));
        assert_eq!(None::<u32>.step(i, -1), Some(None));
        assert_eq!(<Option<u32>>::parse("off"), Ok(None));
        assert_eq!(<Option<u32>>::parse("5"), Ok(Some(5)));
        assert!(<Option<u32>>::parse("x").is_err());
        assert_eq!(Some(5u32).show(), "5");
        assert_eq!(None::<u32>.show(), "off");
    }
}
