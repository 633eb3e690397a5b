//! What the one-line input dialogs (learning rate, resume, sweep) share: the text
//! field with its refusal, its keys, and a box tall and wide enough for every line.

use super::Step;
use crate::tui::app::App;
use crate::tui::train::form::TextInput;
use crate::tui::ui::widgets::{input_spans, key_hints, popup};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// A text being typed and why the last entry was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct InputField {
    /// The text.
    pub input: TextInput,
    /// Why the last entry was refused.
    pub error: Option<String>,
}

impl InputField {
    /// A field holding `input`.
    pub fn new(input: TextInput) -> Self {
        InputField { input, error: None }
    }

    /// The typed text, trimmed.
    pub fn text(&self) -> String {
        self.input.text().trim().to_string()
    }

    /// Enter submits, Esc closes; editing keys edit; a character is typed if `accepts`.
    pub fn on_key(&mut self, key: &KeyEvent, accepts: impl Fn(&TextInput, char) -> bool) -> Step {
        match key.code {
            KeyCode::Esc => return Step::Close,
            KeyCode::Enter => return Step::Submit,
            KeyCode::Backspace if key.modifiers.is_empty() => self.input.backspace(),
            _ if self.input.edit(key) => {}
            KeyCode::Char(c) if accepts(&self.input, c) => self.input.push(c),
            _ => {}
        }
        Step::Stay
    }

    /// The hints of an input dialog.
    pub fn hints() -> Vec<(String, &'static str)> {
        super::fixed(&[
            ("Enter", "confirm"),
            ("Esc", "cancel"),
            ("Backspace", "delete"),
        ])
    }

    /// Draws the dialog: `prompt`, the field, the refusal (never cut off: the box grows
    /// to hold every wrapped line, up to the screen).
    pub fn draw(&self, f: &mut Frame, area: Rect, app: &App, title: &str, prompt: String) {
        let t = &app.theme;
        let mut lines = vec![
            Line::raw(prompt),
            Line::from(
                std::iter::once(Span::styled("> ", t.key()))
                    .chain(input_spans(&self.input, t.selected(), "_", t.key()))
                    .collect::<Vec<_>>(),
            ),
        ];
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(e.clone(), t.bad())));
        }
        lines.push(Line::raw(""));
        lines.push(key_hints(&[("Enter", "confirm"), ("Esc", "cancel")], t));
        draw_box(f, area, app, title, lines);
    }
}

/// Draws `lines` in a centred box titled `title`: 56 columns, wider (up to 100) when a
/// line needs it, as tall as the wrapped text (and a row to spare).
pub fn draw_box(f: &mut Frame, area: Rect, app: &App, title: &str, lines: Vec<Line<'_>>) {
    let longest = lines.iter().map(|l| l.width()).max().unwrap_or(0) as u16;
    let width = longest
        .saturating_add(2)
        .clamp(56, 100)
        .min(area.width.saturating_sub(2));
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let rows = paragraph.line_count(width.saturating_sub(2)) as u16;
    let inner = popup(f, area, width, rows.saturating_add(3), title, &app.theme);
    f.render_widget(paragraph, inner);
}
