//! Keys as data: every view key is one row of [`BINDINGS`] (scope, key, action, help,
//! key-bar label). Key handling looks actions up here, the `?` overlay lists the rows and
//! the key bar shows the rows that have a label; `config.ron` (`ui.keys`) can rebind any
//! action. Dialog and text-entry keys (y/n, Enter/Esc, typing) are fixed and listed in
//! [`DIALOG_KEYS`].

pub use crate::keys::{Action, Key, KeyCodeName, KeyOverrides};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Every view (looked up after the view's own keys).
    Global,
    /// The Train view.
    Train,
    /// The Runs view.
    Runs,
    /// The Digit view.
    Digit,
}

impl Scope {
    /// Every scope, in help order.
    pub const ALL: [Scope; 4] = [Scope::Global, Scope::Train, Scope::Runs, Scope::Digit];

    /// The help section title.
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::Train => "Train view",
            Scope::Runs => "Runs view",
            Scope::Digit => "Digit view",
        }
    }
}

/// Terminal key events as the table's keys.
impl Key {
    /// The table's key for a terminal key event, if it can name it.
    pub fn from_event(e: &KeyEvent) -> Option<Key> {
        use KeyCodeName as N;
        let code = match e.code {
            KeyCode::Char(c) => N::Char(c),
            KeyCode::Enter => N::Enter,
            KeyCode::Esc => N::Esc,
            KeyCode::Tab => N::Tab,
            KeyCode::BackTab => N::BackTab,
            KeyCode::Backspace => N::Backspace,
            KeyCode::Up => N::Up,
            KeyCode::Down => N::Down,
            KeyCode::Left => N::Left,
            KeyCode::Right => N::Right,
            KeyCode::PageUp => N::PageUp,
            KeyCode::PageDown => N::PageDown,
            KeyCode::Home => N::Home,
            KeyCode::End => N::End,
            KeyCode::F(n) => N::F(n),
            _ => return None,
        };
        Some(Key {
            code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
        })
    }

    /// The terminal key event this key is (for tests and replays).
    pub fn to_event(self) -> KeyEvent {
        use KeyCodeName as N;
        let code = match self.code {
            N::Char(c) => KeyCode::Char(c),
            N::Enter => KeyCode::Enter,
            N::Esc => KeyCode::Esc,
            N::Tab => KeyCode::Tab,
            N::BackTab => KeyCode::BackTab,
            N::Backspace => KeyCode::Backspace,
            N::Up => KeyCode::Up,
            N::Down => KeyCode::Down,
            N::Left => KeyCode::Left,
            N::Right => KeyCode::Right,
            N::PageUp => KeyCode::PageUp,
            N::PageDown => KeyCode::PageDown,
            N::Home => KeyCode::Home,
            N::End => KeyCode::End,
            N::F(n) => KeyCode::F(n),
        };
        let mods = if self.ctrl {
            KeyModifiers::CONTROL
        } else {
            KeyModifiers::NONE
        };
        KeyEvent::new(code, mods)
    }
}

/// One row of the key table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// Where it works.
    pub scope: Scope,
    /// The default key.
    pub key: Key,
    /// What it does.
    pub action: Action,
    /// What it does, for the `?` overlay.
    pub help: &'static str,
    /// Its short label in the key bar, if it is shown there.
    pub bar: Option<&'static str>,
}

const fn b(
    scope: Scope,
    key: Key,
    action: Action,
    help: &'static str,
    bar: Option<&'static str>,
) -> Binding {
    Binding {
        scope,
        key,
        action,
        help,
        bar,
    }
}

use Action as A;
use KeyCodeName as N;
use Scope as S;

/// Every view key, in help order (rows of one action next to each other).
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    b(S::Global, Key::plain(N::Tab), A::NextView, "next view", Some("view")),
    b(S::Global, Key::plain(N::BackTab), A::PrevView, "previous view", None),
    b(S::Global, Key::ch('1'), A::ShowTrain, "Train view", None),
    b(S::Global, Key::ch('2'), A::ShowRuns, "Runs view", None),
    b(S::Global, Key::ch('3'), A::ShowDigit, "Digit view", None),
    b(S::Global, Key::ch('?'), A::Help, "this help", Some("help")),
    b(S::Global, Key::ch('q'), A::Quit, "quit (asks first while a run is active)", Some("quit")),
    b(S::Global, Key::ctrl('c'), A::ForceQuit, "stop training (saved as stopped) and quit", None),
    b(S::Train, Key::plain(N::Up), A::Up, "previous setting", Some("field")),
    b(S::Train, Key::ch('k'), A::Up, "previous setting", None),
    b(S::Train, Key::plain(N::Down), A::Down, "next setting", None),
    b(S::Train, Key::ch('j'), A::Down, "next setting", None),
    b(S::Train, Key::plain(N::Right), A::Increase, "step the setting up / next choice (while training: add an epoch)", Some("change")),
    b(S::Train, Key::ch('+'), A::Increase, "step the setting up / next choice (while training: add an epoch)", None),
    b(S::Train, Key::plain(N::Left), A::Decrease, "step the setting down / previous choice", None),
    b(S::Train, Key::ch('-'), A::Decrease, "step the setting down / previous choice", None),
    b(S::Train, Key::plain(N::Enter), A::Edit, "type the setting's value (on [Start]: start)", Some("edit")),
    b(S::Train, Key::ch('s'), A::Start, "start training", Some("start")),
    b(S::Train, Key::ch('p'), A::Pause, "pause / resume", Some("pause")),
    b(S::Train, Key::ch(' '), A::Pause, "pause / resume", None),
    b(S::Train, Key::ch('x'), A::Stop, "stop the run (saved as stopped); cancel one waiting for its data", Some("stop")),
    b(S::Train, Key::ch('l'), A::ChangeLr, "change the learning rate (while running)", Some("lr")),
    b(S::Train, Key::ch('e'), A::AddEpoch, "add one epoch (while running)", Some("+epoch")),
    b(S::Train, Key::ch('f'), A::FindLr, "find a learning rate: on the form, or on a copy of the running run", Some("lr-find")),
    b(S::Train, Key::ch('w'), A::SaveNetwork, "save the form's network by name (in config.ron or networks.ron)", Some("save net")),
    b(S::Train, Key::ch('S'), A::Sweep, "sweep: settings with lists of values (e.g. lr 0.01,0.1 seeds 1,2)", Some("sweep")),
    b(S::Train, Key::ch('P'), A::PauseSweep, "pause / continue the sweep (after the running point)", Some("pause sweep")),
    b(S::Train, Key::ch('X'), A::CancelSweep, "cancel the sweep (stops the running point)", Some("cancel sweep")),
    b(S::Train, Key::ch('['), A::QueuePrev, "select the previous queued point of the sweep", Some("queue")),
    b(S::Train, Key::ch(']'), A::QueueNext, "select the next queued point of the sweep", None),
    b(S::Train, Key::ch('N'), A::RunNext, "run the selected queued point next", Some("run next")),
    b(S::Train, Key::ch('D'), A::Download, "download the dataset (when missing)", Some("download")),
    b(S::Train, Key::ch('R'), A::RetryData, "retry loading the dataset", Some("retry")),
    b(S::Train, Key::ch('m'), A::Smooth, "smooth the loss (moving average)", Some("smooth")),
    b(S::Train, Key::ch('L'), A::LogScale, "log scale for the loss", Some("log")),
    b(S::Runs, Key::plain(N::Up), A::Up, "previous run", Some("move")),
    b(S::Runs, Key::ch('k'), A::Up, "previous run", None),
    b(S::Runs, Key::plain(N::Down), A::Down, "next run", None),
    b(S::Runs, Key::ch('j'), A::Down, "next run", None),
    b(S::Runs, Key::plain(N::PageUp), A::PageUp, "a page up", None),
    b(S::Runs, Key::plain(N::PageDown), A::PageDown, "a page down", None),
    b(S::Runs, Key::plain(N::Home), A::First, "first run", None),
    b(S::Runs, Key::ch('g'), A::First, "first run", None),
    b(S::Runs, Key::plain(N::End), A::Last, "last run", None),
    b(S::Runs, Key::ch('G'), A::Last, "last run", None),
    b(S::Runs, Key::ch(' '), A::Mark, "mark the run for comparison", Some("mark")),
    b(S::Runs, Key::ch('c'), A::ClearMarks, "clear the marks", None),
    b(S::Runs, Key::ch('s'), A::SortNext, "sort by the next column (or click a header)", Some("sort")),
    b(S::Runs, Key::ch('S'), A::SortReverse, "reverse the sort", None),
    b(S::Runs, Key::plain(N::Enter), A::Details, "the run's details", Some("details")),
    b(S::Runs, Key::ch('v'), A::Groups, "group over seeds: the run's sweep, or the marked runs (mean, min–max, n)", Some("groups")),
    b(S::Runs, Key::ch('d'), A::Delete, "delete the run (asks y/n)", Some("delete")),
    b(S::Runs, Key::ch('n'), A::NewFromRun, "new run from its settings (to Train)", Some("new")),
    b(S::Runs, Key::ch('r'), A::Resume, "resume the run for more epochs", Some("resume")),
    b(S::Runs, Key::ch('e'), A::Export, "export the run or the marked runs (asks the format and where to)", Some("export")),
    b(S::Runs, Key::ch('m'), A::Smooth, "smooth the loss (moving average)", None),
    b(S::Runs, Key::ch('L'), A::LogScale, "log scale for the loss", None),
    b(S::Digit, Key::ch('c'), A::ClearCanvas, "clear the canvas", Some("clear")),
    b(S::Digit, Key::ch('w'), A::SaveDrawing, "save the drawing as drawing-<time>.png", Some("save")),
    b(S::Digit, Key::ch('d'), A::DrawMode, "back to the drawing", Some("draw")),
    b(S::Digit, Key::ch('o'), A::OpenPath, "type an image path (Tab completes, Enter loads, Esc leaves)", Some("open")),
    b(S::Digit, Key::ch('/'), A::OpenPath, "type an image path (Tab completes, Enter loads, Esc leaves)", None),
    b(S::Digit, Key::ch('i'), A::ShowImage, "show the loaded image again", None),
    b(S::Digit, Key::ch('m'), A::NextModel, "next finished run's model", Some("model")),
    b(S::Digit, Key::ch('M'), A::PrevModel, "previous finished run's model", None),
    b(S::Digit, Key::ch('t'), A::Browse, "browse the test images of the model's dataset", Some("test images")),
    b(S::Digit, Key::plain(N::Right), A::NextImage, "next test image (browsing)", Some("step")),
    b(S::Digit, Key::ch('n'), A::NextImage, "next test image (browsing)", None),
    b(S::Digit, Key::plain(N::Left), A::PrevImage, "previous test image (browsing)", None),
    b(S::Digit, Key::ch('p'), A::PrevImage, "previous test image (browsing)", None),
    b(S::Digit, Key::ch('g'), A::Gallery, "mistake gallery of the model on its test images (g closes)", Some("mistakes")),
    b(S::Digit, Key::plain(N::Esc), A::Back, "leave the gallery", Some("back")),
    b(S::Digit, Key::plain(N::Up), A::Up, "scroll the gallery up", Some("scroll")),
    b(S::Digit, Key::ch('k'), A::Up, "scroll the gallery up", None),
    b(S::Digit, Key::plain(N::Down), A::Down, "scroll the gallery down", None),
    b(S::Digit, Key::ch('j'), A::Down, "scroll the gallery down", None),
    b(S::Digit, Key::plain(N::PageUp), A::PageUp, "scroll the gallery a page up", None),
    b(S::Digit, Key::plain(N::PageDown), A::PageDown, "scroll the gallery a page down", None),
    b(S::Digit, Key::plain(N::Home), A::First, "gallery top", None),
    b(S::Digit, Key::plain(N::End), A::Last, "gallery bottom", None),
];

/// Dialog and text-entry keys (fixed; listed in the `?` overlay).
pub const DIALOG_KEYS: &[(&str, &str)] = &[
    ("y / n", "answer a question"),
    ("Enter / Esc", "confirm / cancel an input"),
    ("Backspace", "delete the character before the cursor"),
    (
        "← → Home End",
        "move the cursor in a text field (also Ctrl-B/F/A/E)",
    ),
    ("Ctrl-← Ctrl-→", "move the cursor by a word"),
    ("Ctrl-W Alt-Bksp", "delete the word before the cursor"),
    (
        "Del Ctrl-U/K",
        "delete at the cursor / the whole line / to its end",
    ),
    ("↑↓ PgUp PgDn", "scroll run details and this help"),
    (
        "mouse",
        "click tabs, fields, rows, column headers; wheel scrolls",
    ),
    ("mouse L / R drag", "draw / erase on the Digit canvas"),
];

/// The bindings in effect: the table with the user's overrides applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: BINDINGS.to_vec(),
        }
    }
}

impl Keymap {
    /// The table with `overrides` applied: an overridden action's default keys are
    /// replaced by the given ones, and those keys stop doing anything else in that scope.
    pub fn new(overrides: &KeyOverrides) -> Keymap {
        let mut bindings: Vec<Binding> = Vec::new();
        for row in BINDINGS {
            match overrides.get(&row.action) {
                None => bindings.push(*row),
                Some(keys) => {
                    // The first row of the action in this scope carries the new keys.
                    let first = !bindings
                        .iter()
                        .any(|b| b.scope == row.scope && b.action == row.action);
                    if first {
                        for (i, key) in keys.iter().enumerate() {
                            bindings.push(Binding {
                                key: *key,
                                bar: if i == 0 { row.bar } else { None },
                                ..*row
                            });
                        }
                    }
                }
            }
        }
        let rebound: Vec<(Scope, Key, Action)> = bindings
            .iter()
            .filter(|b| overrides.contains_key(&b.action))
            .map(|b| (b.scope, b.key, b.action))
            .collect();
        bindings.retain(|b| {
            !rebound
                .iter()
                .any(|(s, k, a)| *s == b.scope && *k == b.key && *a != b.action)
        });
        Keymap { bindings }
    }

    /// Every binding in effect, in table order.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The action of `key` in `scope` (the view's own keys first, then the global ones).
    pub fn action(&self, scope: Scope, key: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(key)?;
        let find = |s: Scope| {
            self.bindings
                .iter()
                .find(|b| b.scope == s && b.key == key)
                .map(|b| b.action)
        };
        find(scope).or_else(|| find(Scope::Global))
    }

    /// The keys of `action` in `scope`, as shown (`↑ k`).
    pub fn keys_text(&self, scope: Scope, action: Action) -> String {
        let keys: Vec<String> = self
            .bindings
            .iter()
            .filter(|b| b.scope == scope && b.action == action)
            .map(|b| b.key.to_string())
            .collect();
        keys.join(" ")
    }

    /// The `?` overlay's rows of `scope`: (keys, action, help), one per action.
    pub fn help_rows(&self, scope: Scope) -> Vec<(String, Action, &'static str)> {
        let mut seen: Vec<Action> = Vec::new();
        let mut out = Vec::new();
        for b in self.bindings.iter().filter(|b| b.scope == scope) {
            if seen.contains(&b.action) {
                continue;
            }
            seen.push(b.action);
            out.push((self.keys_text(scope, b.action), b.action, b.help));
        }
        out
    }

    /// The key-bar entries of `scope` whose action `shown` accepts: (keys, label).
    pub fn bar(&self, scope: Scope, shown: impl Fn(Action) -> bool) -> Vec<(String, &'static str)> {
        self.bindings
            .iter()
            .filter(|b| b.scope == scope && shown(b.action))
            .filter_map(|b| {
                b.bar
                    .map(|label| (self.first_key(scope, b.action).to_string(), label))
            })
            .collect()
    }

    /// The key a hint or notice names for `action`: its first key in `scope`, else in
    /// any scope (so a key rebound in `config.ron` is the one named).
    pub fn key_for(&self, scope: Scope, action: Action) -> String {
        self.bindings
            .iter()
            .find(|b| b.scope == scope && b.action == action)
            .or_else(|| self.bindings.iter().find(|b| b.action == action))
            .map_or_else(|| "?".to_string(), |b| b.key.to_string())
    }

    fn first_key(&self, scope: Scope, action: Action) -> Key {
        self.bindings
            .iter()
            .find(|b| b.scope == scope && b.action == action)
            .map_or(Key::ch('?'), |b| b.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_means_two_things_in_one_scope() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                assert!(
                    !(a.scope == b.scope && a.key == b.key),
                    "{} is bound twice in {:?}",
                    a.key,
                    a.scope
                );
            }
        }
    }

    #[test]
    fn key_names_round_trip() {
        for b in BINDINGS {
            let text = b.key.to_string();
            assert_eq!(text.parse::<Key>(), Ok(b.key), "{text}");
        }
        assert!("Hyper-x".parse::<Key>().is_err());
        assert_eq!("F5".parse::<Key>(), Ok(Key::plain(N::F(5))));
    }

    #[test]
    fn overrides_replace_an_actions_keys() {
        let mut o = KeyOverrides::new();
        o.insert(Action::Start, vec!["F5".parse().unwrap(), Key::ch('x')]);
        let k = Keymap::new(&o);
        let ev = |key: Key| key.to_event();
        assert_eq!(
            k.action(Scope::Train, &ev(Key::plain(N::F(5)))),
            Some(Action::Start)
        );
        assert_eq!(
            k.action(Scope::Train, &ev(Key::ch('x'))),
            Some(Action::Start)
        );
        assert_eq!(
            k.action(Scope::Train, &ev(Key::ch('s'))),
            None,
            "s is free now"
        );
        // x no longer stops, and the Runs view's s still sorts.
        assert_eq!(
            k.action(Scope::Runs, &ev(Key::ch('s'))),
            Some(Action::SortNext)
        );
        assert!(
            k.help_rows(Scope::Train)
                .iter()
                .any(|(keys, _, _)| keys == "F5 x")
        );
    }
}
