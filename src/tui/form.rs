//! The Train view's settings form: which field is selected, typed text, steps, enum
//! cycling, and validation through [`TrainSettings::validate`].

use crate::model::{Arch, OptimizerKind};
use crate::train::{TrainOverrides, TrainSettings};

/// A row of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Architecture (cycles).
    Model,
    /// Optimiser (cycles).
    Optimizer,
    /// Learning rate.
    Lr,
    /// SGD momentum.
    Momentum,
    /// Number of epochs.
    Epochs,
    /// Batch size.
    BatchSize,
    /// Seed.
    Seed,
    /// The [Start] button.
    Start,
}

impl Field {
    /// Every row, top to bottom.
    pub const ALL: [Field; 8] = [
        Field::Model,
        Field::Optimizer,
        Field::Lr,
        Field::Momentum,
        Field::Epochs,
        Field::BatchSize,
        Field::Seed,
        Field::Start,
    ];

    /// The label shown left of the value.
    pub fn label(self) -> &'static str {
        match self {
            Field::Model => "Model",
            Field::Optimizer => "Optimizer",
            Field::Lr => "Learning rate",
            Field::Momentum => "Momentum",
            Field::Epochs => "Epochs",
            Field::BatchSize => "Batch size",
            Field::Seed => "Seed",
            Field::Start => "[ Start ]",
        }
    }

    /// Whether the value is typed (rather than picked from a list).
    pub fn is_typed(self) -> bool {
        matches!(
            self,
            Field::Lr | Field::Momentum | Field::Epochs | Field::BatchSize | Field::Seed
        )
    }

    fn index(self) -> usize {
        Field::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }
}

/// A one-line text being typed. The first typed character replaces the initial text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextInput {
    /// The text so far.
    pub text: String,
    fresh: bool,
}

impl TextInput {
    /// An input showing `initial`, replaced by the first typed character.
    pub fn new(initial: impl Into<String>) -> Self {
        TextInput {
            text: initial.into(),
            fresh: true,
        }
    }

    /// Types `c`.
    pub fn push(&mut self, c: char) {
        if self.fresh {
            self.text.clear();
            self.fresh = false;
        }
        if self.text.chars().count() < 24 {
            self.text.push(c);
        }
    }

    /// Deletes the last character.
    pub fn backspace(&mut self) {
        self.fresh = false;
        self.text.pop();
    }

    /// Whether `c` may be typed next for a value of `field`'s kind.
    pub fn accepts(&self, field: Field, c: char) -> bool {
        accepts(field, &self.text, self.fresh, c)
    }
}

/// Whether `c` may be typed into `field` after `text` (`fresh`: `text` is about to be replaced).
fn accepts(field: Field, text: &str, fresh: bool, c: char) -> bool {
    let text = if fresh { "" } else { text };
    match field {
        Field::Lr | Field::Momentum => {
            c.is_ascii_digit()
                || (c == '.' && !text.contains('.') && !text.contains('e'))
                || (c == 'e' && !text.is_empty() && !text.contains('e'))
                || (c == '-' && text.ends_with('e'))
        }
        Field::Epochs | Field::BatchSize | Field::Seed => c.is_ascii_digit(),
        _ => false,
    }
}

/// Formats a learning rate or momentum compactly: `0.001`, `0.8`, `5e-5`.
pub fn fmt_float(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if v.abs() >= 1e-4 {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{v:e}")
    }
}

/// The next value on the 1-2-5 ladder above (or below) `v`.
fn step_125(v: f64, up: bool) -> f64 {
    let v = if v.is_finite() && v > 0.0 { v } else { 1e-3 };
    let mag = 10f64.powf(v.log10().floor());
    let ladder: Vec<f64> = [-1.0, 0.0, 1.0]
        .iter()
        .flat_map(|k: &f64| [1.0, 2.0, 5.0].map(|m| m * mag * 10f64.powf(*k)))
        .collect();
    let found = if up {
        ladder.iter().copied().find(|x| *x > v * 1.0001)
    } else {
        ladder.iter().rev().copied().find(|x| *x < v * 0.9999)
    };
    // Round away float noise (0.30000000000000004 → 0.3).
    let x = found.unwrap_or(v);
    let digits = (-(x.log10().floor()) + 2.0).max(0.0) as i32;
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// The settings form.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainForm {
    base: TrainOverrides,
    /// The current values (always a complete set of settings).
    pub settings: TrainSettings,
    edited: [bool; 8],
    keep_hidden: bool,
    /// Index of the selected row in [`Field::ALL`].
    pub selected: usize,
    /// The text being typed into the selected field, if editing.
    pub editing: Option<TextInput>,
    /// Why the last change was refused.
    pub error: Option<String>,
}

impl TrainForm {
    /// A form showing the defaults from `base` (the config's training overrides).
    pub fn new(base: TrainOverrides) -> Self {
        let settings = TrainSettings::resolve(&[&base]);
        TrainForm {
            base,
            settings,
            edited: [false; 8],
            keep_hidden: false,
            selected: 0,
            editing: None,
            error: None,
        }
    }

    /// The selected field.
    pub fn field(&self) -> Field {
        Field::ALL[self.selected.min(Field::ALL.len() - 1)]
    }

    /// Whether the user changed `field` (it no longer follows the model's defaults).
    pub fn is_edited(&self, field: Field) -> bool {
        self.edited[field.index()]
    }

    /// Moves the selection by `delta` rows (wrapping); cancels any edit.
    pub fn move_by(&mut self, delta: i32) {
        self.editing = None;
        let n = Field::ALL.len() as i32;
        self.selected = (self.selected as i32 + delta).rem_euclid(n) as usize;
    }

    /// Selects row `index` (a mouse click).
    pub fn select(&mut self, index: usize) {
        if index < Field::ALL.len() && index != self.selected {
            self.editing = None;
            self.selected = index;
        }
    }

    /// The value of `field` as shown.
    pub fn value_text(&self, field: Field) -> String {
        let s = &self.settings;
        match field {
            Field::Model => s.model.name().to_string(),
            Field::Optimizer => s.optimizer.name().to_string(),
            Field::Lr => fmt_float(s.lr),
            Field::Momentum => fmt_float(s.momentum),
            Field::Epochs => s.epochs.to_string(),
            Field::BatchSize => s.batch_size.to_string(),
            Field::Seed => s.seed.to_string(),
            Field::Start => String::new(),
        }
    }

    /// Starts typing into the selected field (typed fields only).
    pub fn begin_edit(&mut self) {
        let f = self.field();
        if f.is_typed() {
            self.editing = Some(TextInput::new(self.value_text(f)));
            self.error = None;
        }
    }

    /// Types `c` into the field being edited; false if the character is not allowed.
    pub fn type_char(&mut self, c: char) -> bool {
        let f = self.field();
        let Some(input) = self.editing.as_mut() else {
            return false;
        };
        if input.accepts(f, c) {
            input.push(c);
            true
        } else {
            false
        }
    }

    /// Deletes the last typed character.
    pub fn backspace(&mut self) {
        if let Some(input) = self.editing.as_mut() {
            input.backspace();
        }
    }

    /// Abandons the edit.
    pub fn cancel_edit(&mut self) {
        self.editing = None;
        self.error = None;
    }

    /// Applies the typed text if valid; otherwise keeps editing and sets `error`.
    pub fn commit_edit(&mut self) -> bool {
        let Some(input) = self.editing.clone() else {
            return false;
        };
        let f = self.field();
        let text = input.text.trim();
        let mut candidate = self.settings.clone();
        let parsed: Result<(), String> = match f {
            Field::Lr => text
                .parse::<f64>()
                .map(|v| candidate.lr = v)
                .map_err(|_| format!("learning rate '{text}' is not a number")),
            Field::Momentum => text
                .parse::<f64>()
                .map(|v| candidate.momentum = v)
                .map_err(|_| format!("momentum '{text}' is not a number")),
            Field::Epochs => text
                .parse::<u32>()
                .map(|v| candidate.epochs = v)
                .map_err(|_| format!("epochs '{text}' must be a whole number")),
            Field::BatchSize => text
                .parse::<usize>()
                .map(|v| candidate.batch_size = v)
                .map_err(|_| format!("batch size '{text}' must be a whole number")),
            Field::Seed => text
                .parse::<u64>()
                .map(|v| candidate.seed = v)
                .map_err(|_| format!("seed '{text}' must be a whole number")),
            _ => Ok(()),
        };
        match parsed.and_then(|()| candidate.validate()) {
            Ok(()) => {
                self.settings = candidate;
                self.edited[f.index()] = true;
                self.editing = None;
                self.error = None;
                true
            }
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    /// Cycles the selected enum field, or steps the selected number, by `dir` (±1).
    /// An invalid result is refused with a message.
    pub fn adjust(&mut self, dir: i32) {
        self.editing = None;
        let up = dir > 0;
        let f = self.field();
        let mut candidate = self.settings.clone();
        match f {
            Field::Model => {
                let all = Arch::ALL;
                let i = all.iter().position(|a| *a == candidate.model).unwrap_or(0) as i32;
                let next = all[(i + dir).rem_euclid(all.len() as i32) as usize];
                self.set_model(next);
                return;
            }
            Field::Optimizer => {
                candidate.optimizer = match candidate.optimizer {
                    OptimizerKind::Sgd => OptimizerKind::Adam,
                    OptimizerKind::Adam => OptimizerKind::Sgd,
                };
                self.edited[f.index()] = true;
                self.settings.optimizer = candidate.optimizer;
                self.refresh_unedited();
                self.error = None;
                return;
            }
            Field::Lr => candidate.lr = step_125(candidate.lr, up),
            Field::Momentum => {
                let m = candidate.momentum + if up { 0.05 } else { -0.05 };
                candidate.momentum = (m.clamp(0.0, 0.99) * 100.0).round() / 100.0;
            }
            Field::Epochs => {
                candidate.epochs = if up {
                    candidate.epochs.saturating_add(1)
                } else {
                    candidate.epochs.saturating_sub(1)
                }
            }
            Field::BatchSize => {
                candidate.batch_size = if up {
                    candidate.batch_size.saturating_mul(2)
                } else {
                    candidate.batch_size / 2
                }
            }
            Field::Seed => {
                candidate.seed = if up {
                    candidate.seed.wrapping_add(1)
                } else {
                    candidate.seed.wrapping_sub(1)
                }
            }
            Field::Start => return,
        }
        match candidate.validate() {
            Ok(()) => {
                self.settings = candidate;
                self.edited[f.index()] = true;
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Switches the model; fields the user did not edit take that model's defaults.
    pub fn set_model(&mut self, model: Arch) {
        self.settings.model = model;
        self.edited[Field::Model.index()] = true;
        self.error = None;
        self.refresh_unedited();
    }

    /// The defaults for the current model (and optimiser, if chosen by the user).
    fn defaults(&self) -> TrainSettings {
        let choice = TrainOverrides {
            model: Some(self.settings.model),
            optimizer: self
                .is_edited(Field::Optimizer)
                .then_some(self.settings.optimizer),
            ..Default::default()
        };
        TrainSettings::resolve(&[&self.base, &choice])
    }

    fn refresh_unedited(&mut self) {
        let d = self.defaults();
        let s = &mut self.settings;
        let e = self.edited;
        let edited = |f: Field| e[f.index()];
        if !edited(Field::Optimizer) {
            s.optimizer = d.optimizer;
        }
        if !edited(Field::Lr) {
            s.lr = d.lr;
        }
        if !edited(Field::Momentum) {
            s.momentum = d.momentum;
        }
        if !edited(Field::Epochs) {
            s.epochs = d.epochs;
        }
        if !edited(Field::BatchSize) {
            s.batch_size = d.batch_size;
        }
        if !edited(Field::Seed) {
            s.seed = d.seed;
        }
        if !self.keep_hidden {
            s.weight_decay = d.weight_decay;
            s.normalize = d.normalize;
            s.log_every = d.log_every;
            s.max_train_samples = d.max_train_samples;
            s.max_test_samples = d.max_test_samples;
        }
    }

    /// Copies every setting of an earlier run into the form (all count as edited).
    pub fn load(&mut self, settings: &TrainSettings) {
        self.settings = settings.clone();
        self.edited = [true; 8];
        self.keep_hidden = true;
        self.editing = None;
        self.error = None;
        self.selected = Field::Start.index();
    }

    /// The settings to start with, or why they cannot be used.
    pub fn validated(&self) -> Result<TrainSettings, String> {
        self.settings.validate().map(|()| self.settings.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_steps_are_round() {
        assert_eq!(step_125(0.001, true), 0.002);
        assert_eq!(step_125(0.002, true), 0.005);
        assert_eq!(step_125(0.005, true), 0.01);
        assert_eq!(step_125(0.001, false), 0.0005);
        assert_eq!(step_125(0.8, true), 1.0);
        assert_eq!(step_125(0.3, false), 0.2);
    }

    #[test]
    fn floats_print_compactly() {
        assert_eq!(fmt_float(0.001), "0.001");
        assert_eq!(fmt_float(0.8), "0.8");
        assert_eq!(fmt_float(5e-5), "5e-5");
        assert_eq!(fmt_float(0.0), "0");
    }
}
