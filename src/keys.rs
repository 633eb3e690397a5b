//! The names of keys and of the dashboard's actions as `config.ron` spells them
//! (`ui.keys: {start: ["F5", "s"]}`): plain data that the config parses and the
//! dashboard's key table (`tui::keymap`) uses, so the config needs nothing of the
//! dashboard.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// What a key does. The names (snake_case) are the ones `config.ron` rebinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Next view.
    NextView,
    /// Previous view.
    PrevView,
    /// The Train view.
    ShowTrain,
    /// The Runs view.
    ShowRuns,
    /// The Digit view.
    ShowDigit,
    /// The `?` overlay.
    Help,
    /// Quit (asks first while a run is active).
    Quit,
    /// Stop training (saved as stopped) and quit, from anywhere.
    ForceQuit,
    /// Smooth the loss curves.
    Smooth,
    /// Log scale for the loss.
    LogScale,
    /// Move up (setting, run, gallery row).
    Up,
    /// Move down.
    Down,
    /// A page up.
    PageUp,
    /// A page down.
    PageDown,
    /// To the first row.
    First,
    /// To the last row.
    Last,
    /// Step the selected setting up (while training: add an epoch).
    Increase,
    /// Step the selected setting down.
    Decrease,
    /// Edit the selected setting (on [Start]: start).
    Edit,
    /// Start training.
    Start,
    /// Pause or resume.
    Pause,
    /// Stop the run.
    Stop,
    /// Change the learning rate of the active run.
    ChangeLr,
    /// Add one epoch to the active run.
    AddEpoch,
    /// Start a sweep: settings with lists of values, on top of the form.
    Sweep,
    /// Run the learning-rate finder (on the form's settings, or on a copy of the
    /// running run).
    FindLr,
    /// Save the form's network by name, in `config.ron` or a networks file beside it.
    SaveNetwork,
    /// Pause the sweep's queue (after the running point) or continue it.
    PauseSweep,
    /// Cancel the sweep (stop the running point, drop the queue).
    CancelSweep,
    /// Select the previous queued point of the sweep.
    QueuePrev,
    /// Select the next queued point of the sweep.
    QueueNext,
    /// Run the selected queued point next.
    RunNext,
    /// The runs grouped over seeds: the sweep of the run, or the marked runs.
    Groups,
    /// Download MNIST.
    Download,
    /// Retry loading MNIST.
    RetryData,
    /// Mark the run for comparison.
    Mark,
    /// Clear the marks.
    ClearMarks,
    /// Sort by the next column.
    SortNext,
    /// Reverse the sort.
    SortReverse,
    /// The run's details.
    Details,
    /// Delete the run.
    Delete,
    /// A new run from the run's settings.
    NewFromRun,
    /// Resume the run.
    Resume,
    /// Export the run (or the marked runs) in one of `mnist-tui export`'s formats.
    Export,
    /// Back to the drawing.
    DrawMode,
    /// Type an image path.
    OpenPath,
    /// Show the loaded image again.
    ShowImage,
    /// Clear the canvas.
    ClearCanvas,
    /// Save the drawing.
    SaveDrawing,
    /// Next finished run's model.
    NextModel,
    /// Previous finished run's model.
    PrevModel,
    /// Browse the test images of the model's dataset.
    Browse,
    /// The next test image (browsing).
    NextImage,
    /// The previous test image (browsing).
    PrevImage,
    /// Open or close the mistake gallery.
    Gallery,
    /// Leave the gallery.
    Back,
}

/// A key with the modifiers that matter (Ctrl; Shift is part of the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// The key.
    pub code: KeyCodeName,
    /// Whether Ctrl is held.
    pub ctrl: bool,
}

/// The keys the table can name (a comparable subset of crossterm's `KeyCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyCodeName {
    /// A character (`' '` is Space).
    Char(char),
    /// Enter.
    Enter,
    /// Esc.
    Esc,
    /// Tab.
    Tab,
    /// Shift-Tab.
    BackTab,
    /// Backspace.
    Backspace,
    /// ↑.
    Up,
    /// ↓.
    Down,
    /// ←.
    Left,
    /// →.
    Right,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Home.
    Home,
    /// End.
    End,
    /// A function key.
    F(u8),
}

impl Key {
    /// A plain key.
    pub const fn plain(code: KeyCodeName) -> Key {
        Key { code, ctrl: false }
    }

    /// A character key.
    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCodeName::Char(c))
    }

    /// A character key with Ctrl held.
    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCodeName::Char(c),
            ctrl: true,
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use KeyCodeName as N;
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        match self.code {
            N::Char(' ') => f.write_str("Space"),
            N::Char(c) if self.ctrl => write!(f, "{}", c.to_ascii_uppercase()),
            N::Char(c) => write!(f, "{c}"),
            N::Enter => f.write_str("Enter"),
            N::Esc => f.write_str("Esc"),
            N::Tab => f.write_str("Tab"),
            N::BackTab => f.write_str("Shift-Tab"),
            N::Backspace => f.write_str("Backspace"),
            N::Up => f.write_str("↑"),
            N::Down => f.write_str("↓"),
            N::Left => f.write_str("←"),
            N::Right => f.write_str("→"),
            N::PageUp => f.write_str("PgUp"),
            N::PageDown => f.write_str("PgDn"),
            N::Home => f.write_str("Home"),
            N::End => f.write_str("End"),
            N::F(n) => write!(f, "F{n}"),
        }
    }
}

impl std::str::FromStr for Key {
    type Err = String;

    /// `s`, `S`, `Space`, `Enter`, `Esc`, `Tab`, `Shift-Tab`, `Backspace`, `Up`/`↑`,
    /// `Down`, `Left`, `Right`, `PgUp`, `PgDn`, `Home`, `End`, `F1`…, `Ctrl-x`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use KeyCodeName as N;
        let (ctrl, rest) = match s.strip_prefix("Ctrl-").or_else(|| s.strip_prefix("ctrl-")) {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let named = match rest.to_ascii_lowercase().as_str() {
            "space" => Some(N::Char(' ')),
            "enter" => Some(N::Enter),
            "esc" => Some(N::Esc),
            "tab" => Some(N::Tab),
            "shift-tab" | "backtab" => Some(N::BackTab),
            "backspace" => Some(N::Backspace),
            "up" | "↑" => Some(N::Up),
            "down" | "↓" => Some(N::Down),
            "left" | "←" => Some(N::Left),
            "right" | "→" => Some(N::Right),
            "pgup" | "pageup" => Some(N::PageUp),
            "pgdn" | "pagedown" => Some(N::PageDown),
            "home" => Some(N::Home),
            "end" => Some(N::End),
            f if f.len() > 1 && f.starts_with('f') => match f[1..].parse::<u8>() {
                Ok(n @ 1..=12) => Some(N::F(n)),
                _ => None,
            },
            _ => None,
        };
        let mut chars = rest.chars();
        let code = match (named, chars.next(), chars.next()) {
            (Some(code), _, _) => code,
            (None, Some(c), None) if ctrl => N::Char(c.to_ascii_lowercase()),
            (None, Some(c), None) => N::Char(c),
            _ => return Err(format!("unknown key '{s}'")),
        };
        Ok(Key { code, ctrl })
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// User key overrides from `config.ron` (`ui.keys`): an action and the keys that now do
/// it (in every scope where the action has a binding), e.g. `{start: ["F5", "s"]}`.
pub type KeyOverrides = BTreeMap<Action, Vec<Key>>;
