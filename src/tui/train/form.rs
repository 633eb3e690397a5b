//! The Train view's settings form: one row per setting of the settings table
//! ([`SETTINGS`]) and the [Start] button; which row is selected, typed text, steps,
//! choices, and validation through [`TrainSettings::validate`].

use crate::model::{Layers, NetworkDef, Summary};
use crate::train::{SETTINGS, Setting, Step, TrainOverrides, TrainSettings};
use ratatui::crossterm::event::KeyEvent;

/// A row of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A training setting.
    Setting(&'static Setting),
    /// The [Start] button.
    Start,
}

impl Field {
    /// Every row, top to bottom: the settings in table order, then [Start].
    pub fn all() -> impl Iterator<Item = Field> {
        SETTINGS
            .iter()
            .map(Field::Setting)
            .chain(std::iter::once(Field::Start))
    }

    /// The number of rows.
    pub fn count() -> usize {
        SETTINGS.len() + 1
    }

    /// Row `index` (past the end: [Start]).
    pub fn at(index: usize) -> Field {
        SETTINGS.get(index).map_or(Field::Start, Field::Setting)
    }

    /// The row of the setting named `name`, if there is one.
    pub fn named(name: &str) -> Option<Field> {
        crate::train::catalog::setting(name).map(Field::Setting)
    }

    /// The label shown left of the value.
    pub fn label(self) -> &'static str {
        match self {
            Field::Setting(s) => s.label,
            Field::Start => "[ Start ]",
        }
    }

    /// Whether the value is typed (rather than picked from a list).
    pub fn is_typed(self) -> bool {
        matches!(self, Field::Setting(s) if s.is_typed())
    }

    /// Its position, top to bottom.
    pub fn index(self) -> usize {
        match self {
            Field::Setting(s) => SETTINGS.iter().position(|r| r == s).unwrap_or(0),
            Field::Start => SETTINGS.len(),
        }
    }
}

/// A one-line text being typed, with a cursor ([`tui_input::Input`]): ← → move,
/// Home/End (Ctrl-A/E) jump, Ctrl-W or Alt-Backspace delete the word before the cursor,
/// Delete, Ctrl-U and Ctrl-K delete at the cursor, the line and to its end. The first
/// typed character replaces an initial text made with [`TextInput::new`].
#[derive(Debug, Clone)]
pub struct TextInput {
    input: tui_input::Input,
    fresh: bool,
    max: usize,
}

impl PartialEq for TextInput {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
            && self.cursor() == other.cursor()
            && self.fresh == other.fresh
            && self.max == other.max
    }
}

impl Eq for TextInput {}

/// Longest text of a setting field.
const SETTING_CHARS: usize = 24;
/// Longest text of a typed setting that holds a list (a network's layers).
const TEXT_SETTING_CHARS: usize = 2000;

impl TextInput {
    /// An input showing `initial`, replaced by the first typed character.
    pub fn new(initial: impl Into<String>) -> Self {
        TextInput {
            input: tui_input::Input::new(initial.into()),
            fresh: true,
            max: SETTING_CHARS,
        }
    }

    /// The input, holding at most `max` characters.
    pub fn limited(mut self, max: usize) -> Self {
        self.max = max;
        self
    }

    /// An input holding `text` (kept when typing), of at most `max` characters.
    pub fn plain(text: impl Into<String>, max: usize) -> Self {
        TextInput {
            input: tui_input::Input::new(text.into()),
            fresh: false,
            max,
        }
    }

    /// The text so far.
    pub fn text(&self) -> &str {
        self.input.value()
    }

    /// The cursor, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.input.cursor()
    }

    /// The text before the cursor, the character under it (none at the end) and the
    /// rest.
    pub fn split_at_cursor(&self) -> (&str, Option<char>, &str) {
        let text = self.text();
        let at = text
            .char_indices()
            .nth(self.cursor())
            .map_or(text.len(), |(i, _)| i);
        let (before, rest) = text.split_at(at);
        let mut chars = rest.chars();
        let under = chars.next();
        (before, under, chars.as_str())
    }

    /// Replaces the text; the cursor goes to its end.
    pub fn set_text(&mut self, text: impl Into<String>) {
        self.input = tui_input::Input::new(text.into());
        self.fresh = false;
    }

    /// Types `c` at the cursor.
    pub fn push(&mut self, c: char) {
        if self.fresh {
            self.input.reset();
            self.fresh = false;
        }
        if self.text().chars().count() < self.max {
            self.input.handle(tui_input::InputRequest::InsertChar(c));
        }
    }

    /// Deletes the character before the cursor.
    pub fn backspace(&mut self) {
        self.fresh = false;
        self.input.handle(tui_input::InputRequest::DeletePrevChar);
    }

    /// Applies an editing key (cursor movement, word or line deletion); false if `key`
    /// is not one (printable characters are [`TextInput::push`]ed by the caller, which
    /// filters them).
    pub fn edit(&mut self, key: &KeyEvent) -> bool {
        use tui_input::InputRequest as R;
        let event = ratatui::crossterm::event::Event::Key(*key);
        match tui_input::backend::crossterm::to_input_request(&event) {
            None | Some(R::InsertChar(_)) => false,
            Some(request) => {
                self.fresh = false;
                self.input.handle(request);
                true
            }
        }
    }

    /// Whether `c` may be typed next into a value of `setting` (judged on the text
    /// before the cursor).
    pub fn accepts(&self, setting: &Setting, c: char) -> bool {
        let text = if self.fresh {
            ""
        } else {
            self.split_at_cursor().0
        };
        setting.accepts(text, c)
    }
}

/// The settings form.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainForm {
    base: TrainOverrides,
    /// The current values (always a complete set of settings).
    pub settings: TrainSettings,
    /// Per row of [`SETTINGS`]: whether the user set it (it no longer follows the
    /// model's defaults).
    edited: Vec<bool>,
    /// Index of the selected row (see [`Field::at`]).
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
            edited: vec![false; SETTINGS.len()],
            selected: 0,
            editing: None,
            error: None,
        }
    }

    /// The selected field.
    pub fn field(&self) -> Field {
        Field::at(self.selected)
    }

    /// Whether the user changed `field` (it no longer follows the model's defaults).
    pub fn is_edited(&self, field: Field) -> bool {
        match field {
            Field::Setting(_) => self.edited.get(field.index()).copied().unwrap_or(false),
            Field::Start => false,
        }
    }

    /// Moves the selection by `delta` rows (wrapping); cancels any edit.
    pub fn move_by(&mut self, delta: i32) {
        self.editing = None;
        let n = Field::count() as i32;
        self.selected = (self.selected as i32 + delta).rem_euclid(n) as usize;
    }

    /// Selects row `index` (a mouse click).
    pub fn select(&mut self, index: usize) {
        if index < Field::count() && index != self.selected {
            self.editing = None;
            self.selected = index;
        }
    }

    /// Selects `field`.
    pub fn select_field(&mut self, field: Field) {
        self.select(field.index());
    }

    /// The value of `field` as shown (`n/a` where it does not apply).
    pub fn value_text(&self, field: Field) -> String {
        match field {
            Field::Setting(s) => s.show_applied(&self.settings),
            Field::Start => String::new(),
        }
    }

    /// Whether `field` applies to the current settings (a setting of another
    /// optimiser does not: it shows `n/a` and is not edited).
    pub fn applies(&self, field: Field) -> bool {
        match field {
            Field::Setting(s) => s.applies_to(&self.settings),
            Field::Start => true,
        }
    }

    /// Refuses to change the selected field when it does not apply (with the reason
    /// in `error`); true when it may be changed.
    fn may_change(&mut self) -> bool {
        let Field::Setting(s) = self.field() else {
            return true;
        };
        if s.applies_to(&self.settings) {
            return true;
        }
        self.editing = None;
        self.error = Some(format!(
            "{} does not apply to {} (it applies to {})",
            s.label.to_lowercase(),
            self.settings.optimizer,
            s.applies.describe()
        ));
        false
    }

    /// Starts typing into the selected field (typed fields that apply only).
    pub fn begin_edit(&mut self) {
        let f = self.field();
        if f.is_typed() && self.may_change() {
            self.editing = Some(match f {
                // A layer list is edited in place, not retyped.
                Field::Setting(s) if s.step == Step::Text => {
                    TextInput::plain(self.value_text(f), TEXT_SETTING_CHARS)
                }
                _ => TextInput::new(self.value_text(f)),
            });
            self.error = None;
        }
    }

    /// Types `c` into the field being edited; false if the character is not allowed.
    pub fn type_char(&mut self, c: char) -> bool {
        let Field::Setting(setting) = self.field() else {
            return false;
        };
        let Some(input) = self.editing.as_mut() else {
            return false;
        };
        if input.accepts(setting, c) {
            input.push(c);
            true
        } else {
            false
        }
    }

    /// Deletes the character before the cursor.
    pub fn backspace(&mut self) {
        if let Some(input) = self.editing.as_mut() {
            input.backspace();
        }
    }

    /// Applies an editing key (cursor, word deletion) to the field being edited; false
    /// if it is not one.
    pub fn edit_key(&mut self, key: &KeyEvent) -> bool {
        self.editing.as_mut().is_some_and(|input| input.edit(key))
    }

    /// While a layer list is being typed: the summary of the network it makes (the
    /// form's model with these layers), or why it does not make one: the syntax error
    /// with its column, or the layer at fault. `None` when no layer list is typed.
    /// Judged on the text as it is now, so it changes with every key.
    pub fn typed_layers(&self) -> Option<Result<Summary, String>> {
        let input = self.editing.as_ref()?;
        match self.field() {
            Field::Setting(s) if s.step == Step::Text => {}
            _ => return None,
        }
        let layers: Layers = match input.text().parse() {
            Ok(layers) => layers,
            Err(crate::model::LayersSyntaxError {
                message,
                at: Some((1, col)),
            }) => return Some(Err(format!("column {col}: {message}"))),
            Err(e) => return Some(Err(e.to_string())),
        };
        let def = NetworkDef {
            name: self.settings.model.clone(),
            layers,
        };
        Some(Summary::of(&def).map_err(|e| e.source.to_string()))
    }

    /// The network the form shows: the one being typed (see
    /// [`TrainForm::typed_layers`]), else the settings' network; its summary, or why
    /// it is not a network.
    pub fn network_summary(&self) -> Result<Summary, String> {
        self.typed_layers().unwrap_or_else(|| {
            Summary::of(&self.settings.network()).map_err(|e| e.source.to_string())
        })
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
        let Field::Setting(setting) = self.field() else {
            return false;
        };
        let mut candidate = self.settings.clone();
        let parsed = setting.parse_into(&mut candidate, input.text());
        match parsed.and_then(|()| candidate.validate().map_err(|e| e.to_string())) {
            Ok(()) => {
                self.accept(setting, candidate);
                self.editing = None;
                true
            }
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    /// Cycles the selected choice, or steps the selected number, by `dir` (±1).
    /// An invalid result is refused with a message.
    pub fn adjust(&mut self, dir: i32) {
        self.editing = None;
        let Field::Setting(setting) = self.field() else {
            return;
        };
        if !self.may_change() {
            return;
        }
        let mut candidate = self.settings.clone();
        if !setting.step_in(&mut candidate, dir) {
            return;
        }
        match candidate.validate() {
            Ok(()) => self.accept(setting, candidate),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Takes `candidate`, whose `setting` the user changed: that setting now counts as
    /// edited, and every setting the user did not edit follows the defaults again (a new
    /// model brings its optimiser, rate, schedule, epochs, batch size, normalisation…).
    fn accept(&mut self, setting: &'static Setting, candidate: TrainSettings) {
        self.settings = candidate;
        if let Some(e) = self.edited.get_mut(Field::Setting(setting).index()) {
            *e = true;
        }
        self.error = None;
        self.settings = self.defaults();
    }

    /// The defaults for the current model, with the user's edits on top.
    fn defaults(&self) -> TrainSettings {
        let mut choice = TrainOverrides {
            model: Some(self.settings.model.clone()),
            ..Default::default()
        };
        for (row, edited) in SETTINGS.iter().zip(&self.edited) {
            if *edited {
                row.override_from(&self.settings, &mut choice);
            }
        }
        TrainSettings::resolve(&[&self.base, &choice])
    }

    /// Copies every setting of an earlier run into the form; those that differ from the
    /// run model's defaults count as edited, the others follow a change of model.
    pub fn load(&mut self, settings: &TrainSettings) {
        let model_only = TrainOverrides {
            model: Some(settings.model.clone()),
            ..Default::default()
        };
        let defaults = TrainSettings::resolve(&[&self.base, &model_only]);
        self.edited = SETTINGS
            .iter()
            .map(|row| !row.same(settings, &defaults))
            .collect();
        self.settings = settings.clone();
        self.editing = None;
        self.error = None;
        self.selected = Field::Start.index();
    }

    /// Chooses the known network `name` as if picked in the Model row: its layers
    /// (which no longer count as edited), and for every setting the user did not edit
    /// the defaults of that network. Refused, with the reason, if it is not known or
    /// the settings would not be valid.
    pub fn choose_network(&mut self, name: &crate::model::ModelName) -> Result<(), String> {
        let (Some(model), Some(layers)) = (
            crate::train::catalog::setting("model"),
            crate::train::catalog::setting("layers"),
        ) else {
            return Err("the settings have no model or layers".into());
        };
        let def = crate::model::network_named(name.as_str())?;
        let mut candidate = self.settings.clone();
        candidate.model = def.name;
        candidate.layers = def.layers;
        candidate.validate().map_err(|e| e.to_string())?;
        if let Some(e) = self.edited.get_mut(Field::Setting(layers).index()) {
            *e = false;
        }
        self.editing = None;
        self.accept(model, candidate);
        Ok(())
    }

    /// Sets the learning rate (the finder's suggestion), as if typed: it counts as
    /// edited. A rate the settings refuse is refused with the reason.
    pub fn set_lr(&mut self, lr: f64) -> Result<(), String> {
        let Some(setting) = crate::train::catalog::setting("lr") else {
            return Err("the settings have no learning rate".into());
        };
        let mut candidate = self.settings.clone();
        candidate.lr = lr;
        candidate.validate().map_err(|e| e.to_string())?;
        self.editing = None;
        self.accept(setting, candidate);
        Ok(())
    }

    /// The settings to start with, or why they cannot be used.
    pub fn validated(&self) -> Result<TrainSettings, String> {
        self.settings
            .validate()
            .map(|()| self.settings.clone())
            .map_err(|e| e.to_string())
    }
}
