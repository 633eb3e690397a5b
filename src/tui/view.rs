//! Which view is shown: a small type of its own, so geometry (`layout`) and state
//! (`app`) can both name views without importing each other.

/// The three views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Settings, live charts and progress.
    Train,
    /// Saved runs: table, comparison, details.
    Runs,
    /// Custom digits: draw or load one, see the prediction; a model's mistakes.
    Digit,
}

impl View {
    /// Every view, in tab order.
    pub const ALL: [View; 3] = [View::Train, View::Runs, View::Digit];

    fn index(self) -> usize {
        View::ALL.iter().position(|v| *v == self).unwrap_or(0)
    }

    /// The view `delta` tabs away (wrapping).
    pub fn step(self, delta: i32) -> View {
        let n = View::ALL.len() as i32;
        View::ALL[(self.index() as i32 + delta).rem_euclid(n) as usize]
    }

    /// The key-table scope of the view's own keys.
    pub fn scope(self) -> crate::tui::keymap::Scope {
        use crate::tui::keymap::Scope;
        match self {
            View::Train => Scope::Train,
            View::Runs => Scope::Runs,
            View::Digit => Scope::Digit,
        }
    }
}
