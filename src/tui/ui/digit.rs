//! The Digit view: a placeholder until the custom-digit API lands.

use super::widgets::centered_text;
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders};

/// What the Digit view says for now.
pub const PLACEHOLDER: &str = "Custom digits: draw or load your own digit and see what a \
trained model predicts.\n\nThis view comes with custom digits (in the works). Meanwhile, \
train models in the Train view (1) and compare them in the Runs view (2).";

/// Draws the Digit view.
pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" Digit ", app.theme.accent()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    centered_text(f, inner, PLACEHOLDER, app.theme.dim());
}
