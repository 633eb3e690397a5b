//! The key map, in one place: the help overlay and the key bar are built from it, and
//! it documents the keys for end-to-end tests.

/// One key (or key group) and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyHelp {
    /// The keys, as shown to the user.
    pub keys: &'static str,
    /// What they do.
    pub action: &'static str,
}

const fn k(keys: &'static str, action: &'static str) -> KeyHelp {
    KeyHelp { keys, action }
}

/// Keys that work in every view.
pub const GLOBAL: &[KeyHelp] = &[
    k("Tab / Shift-Tab", "next / previous view"),
    k("1 2 3", "Train, Runs, Digit view"),
    k("?", "this help"),
    k("q", "quit (asks first while a run is active)"),
    k("Ctrl-C", "stop training (saved as stopped) and quit"),
    k("Esc", "close a dialog"),
    k("mouse", "click tabs, fields, rows; wheel scrolls"),
];

/// Keys of the Train view.
pub const TRAIN: &[KeyHelp] = &[
    k("↑↓ / j k", "move between settings"),
    k("← →", "change the setting (cycle or step)"),
    k("+ / -", "step the setting up / down"),
    k("Enter", "edit the setting (on [Start]: start)"),
    k("0-9 . Backspace", "while editing: type the value"),
    k("s", "start training"),
    k("p / Space", "pause / resume"),
    k("x", "stop the run (saved as stopped)"),
    k("l", "change the learning rate (while running)"),
    k("e / +", "add one epoch (while running)"),
    k("m", "smooth the loss (moving average)"),
    k("L", "log scale for the loss"),
    k("D", "download MNIST (when missing)"),
    k("R", "retry loading MNIST"),
];

/// Keys of the Runs view.
pub const RUNS: &[KeyHelp] = &[
    k("↑↓ / j k", "move; PgUp PgDn Home End"),
    k("Space", "mark the run for comparison"),
    k("c", "clear the marks"),
    k("s / S", "sort by the next column / reverse"),
    k("Enter", "the run's details"),
    k("d", "delete the run (asks y/n)"),
    k("n", "new run from its settings (to Train)"),
    k("r", "resume the run for more epochs"),
    k("m / L", "smoothing / log scale of the loss"),
];

/// Keys of the Digit view.
pub const DIGIT: &[KeyHelp] = &[
    k("mouse L / R drag", "draw / erase on the canvas"),
    k("c", "clear the canvas"),
    k("w", "save the drawing as drawing-<time>.png"),
    k("d", "back to the drawing"),
    k(
        "o or /",
        "type an image path (Tab completes, Enter loads, Esc leaves)",
    ),
    k("i", "show the loaded image again"),
    k("m / M", "next / previous finished run's model"),
    k(
        "g",
        "mistake gallery of the model on MNIST test (g/Esc closes)",
    ),
    k("↑↓ PgUp PgDn", "scroll the gallery"),
];

/// Keys inside dialogs.
pub const DIALOGS: &[KeyHelp] = &[
    k("y / n", "answer a question"),
    k("Enter / Esc", "confirm / cancel an input"),
    k("↑↓ PgUp PgDn", "scroll run details"),
];
