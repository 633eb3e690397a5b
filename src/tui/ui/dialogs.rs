//! Small dialogs: quit and delete confirmations, one-line inputs.

use super::widgets::{key_hints, popup};
use crate::tui::app::{App, InputPurpose, Modal};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Draws `modal` (confirmations and inputs; help and details have their own files).
pub fn render(f: &mut Frame, area: Rect, app: &App, modal: &Modal) {
    let t = &app.theme;
    let (title, mut lines, hints): (&str, Vec<Line>, Vec<(&str, &str)>) = match modal {
        Modal::ConfirmQuit => (
            "Quit?",
            vec![
                Line::raw("A run is training."),
                Line::raw("Stop it (it is saved as stopped) and quit?"),
            ],
            vec![("y", "stop, save & quit"), ("n/Esc", "keep training")],
        ),
        Modal::ConfirmDelete(id) => (
            "Delete run?",
            vec![
                Line::raw("Delete this run and its weights for good?"),
                Line::from(Span::styled(id.clone(), t.warn())),
            ],
            vec![("y", "delete"), ("n/Esc", "keep it")],
        ),
        Modal::Input {
            purpose,
            input,
            error,
        } => {
            let (title, prompt) = match purpose {
                InputPurpose::LearningRate => (
                    "Learning rate",
                    "New learning rate, from the next batch on:".to_string(),
                ),
                InputPurpose::ResumeEpochs(id) => ("Resume run", format!("Epochs to add to {id}:")),
                InputPurpose::Sweep => (
                    "Sweep",
                    "Settings and values on top of the form, e.g. lr 0.01,0.1 seeds 1,2 \
                     (ranges: lr 1e-4..1e-1 random 4):"
                        .to_string(),
                ),
            };
            let mut lines = vec![
                Line::raw(prompt),
                Line::from(
                    std::iter::once(Span::styled("> ", t.key()))
                        .chain(super::widgets::input_spans(
                            input,
                            t.selected(),
                            "_",
                            t.key(),
                        ))
                        .collect::<Vec<_>>(),
                ),
            ];
            if let Some(e) = error {
                lines.push(Line::from(Span::styled(e.clone(), t.bad())));
            }
            (title, lines, vec![("Enter", "confirm"), ("Esc", "cancel")])
        }
        Modal::Help { .. } | Modal::Details { .. } | Modal::Groups { .. } => return,
    };
    lines.push(Line::raw(""));
    lines.push(key_hints(&hints, t));
    let height = lines.len() as u16 + 2;
    let inner = popup(f, area, 56, height + 1, title, t);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
