//! The `e` dialog of the Runs view: which run(s), a format of [`EXPORT_FORMATS`] and
//! where it goes. It knows the formats only through the table (name, help, file or
//! folder, how many runs it takes), so a new row needs nothing here. Enter asks the
//! runtime to export ([`Effect::Export`]); the answer is a notice.

use super::field::{InputField, draw_box};
use super::{Dialog, Step};
use crate::interop::formats::OutKind;
use crate::interop::{EXPORT_FORMATS, ExportFormat};
use crate::tui::app::{App, Effect, Notice};
use crate::tui::keymap::Keymap;
use crate::tui::train::form::TextInput;
use crate::tui::ui::widgets::{input_spans, key_hints};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use std::path::PathBuf;

// The dialog always has a format to show; indices into the table stay below its length.
const _: () = assert!(!EXPORT_FORMATS.is_empty());

/// Longest path the field takes.
const PATH_CHARS: usize = 4096;
/// Marked runs named one by one before "and N more".
const NAMED_RUNS: usize = 3;

/// The runs, the chosen format and the path being typed.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportDialog {
    /// The run under the cursor, if its record can be read: what a format of one run
    /// exports.
    pub selected: Option<String>,
    /// The marked runs, in marking order: what a format of several runs exports
    /// (the selected run when none is marked).
    pub marked: Vec<String>,
    /// The chosen row of [`EXPORT_FORMATS`].
    pub format: usize,
    /// Where it goes (relative paths from the current folder, as for the CLI).
    pub path: InputField,
}

/// A fresh path field proposing `path` (the first typed character replaces it).
fn path_field(path: &str) -> TextInput {
    TextInput::new(path).limited(PATH_CHARS)
}

impl ExportDialog {
    /// The dialog for the run under the cursor (`None`: it cannot be read) and the
    /// marked runs, on the first format with its default path.
    pub fn new(selected: Option<String>, marked: Vec<String>) -> Self {
        let mut dialog = ExportDialog {
            selected,
            marked,
            format: 0,
            path: InputField::new(path_field("")),
        };
        dialog.path = InputField::new(path_field(&dialog.default_path()));
        dialog
    }

    /// The chosen format.
    pub fn format(&self) -> &'static ExportFormat {
        &EXPORT_FORMATS[self.format % EXPORT_FORMATS.len()]
    }

    /// The runs the chosen format exports ([`exported_runs`]).
    pub fn ids(&self) -> Vec<&str> {
        exported_runs(self.format(), self.selected.as_deref(), &self.marked)
    }

    /// Where the chosen format puts these runs unless told otherwise.
    pub fn default_path(&self) -> String {
        self.format().default_out(&self.ids()).display().to_string()
    }

    /// Moves the format choice by `delta` rows (wrapping); a path still the old
    /// format's default becomes the new one's, an edited one is kept.
    pub fn cycle(&mut self, delta: isize) {
        let untouched = self.path.text() == self.default_path();
        let n = EXPORT_FORMATS.len() as isize;
        self.format = (self.format as isize + delta).rem_euclid(n) as usize;
        if untouched {
            self.path = InputField::new(path_field(&self.default_path()));
        }
    }

    /// The export the dialog asks for, or why it cannot: an empty path, or no run
    /// for the chosen format.
    pub fn effect(&self) -> Result<Effect, String> {
        let format = self.format();
        let ids: Vec<String> = self.ids().into_iter().map(str::to_string).collect();
        if ids.is_empty() {
            return Err(format!(
                "The selected run cannot be read: {} exports one run's model",
                format.name
            ));
        }
        let out = self.path.text();
        if out.is_empty() {
            return Err("Type where to write the export (a path)".into());
        }
        Ok(Effect::Export {
            format: format.name,
            ids,
            out: PathBuf::from(out),
        })
    }

    /// The runs it exports, in words ([`runs_text`]).
    fn runs_text(&self) -> String {
        runs_text(&self.ids())
    }
}

/// The runs `format` exports: the `marked` ones if it takes several and some are
/// marked, else the `selected` one (none if it cannot be read).
pub fn exported_runs<'a>(
    format: &ExportFormat,
    selected: Option<&'a str>,
    marked: &'a [String],
) -> Vec<&'a str> {
    if format.many_runs() && !marked.is_empty() {
        marked.iter().map(String::as_str).collect()
    } else {
        selected.into_iter().collect()
    }
}

/// Runs in words: one id, or how many and the first few.
fn runs_text(ids: &[&str]) -> String {
    match ids {
        [] => "no run (the selected run cannot be read)".to_string(),
        [one] => one.to_string(),
        many => {
            let named = many[..many.len().min(NAMED_RUNS)].join(", ");
            match many.len().checked_sub(NAMED_RUNS) {
                Some(more @ 1..) => format!("{} runs: {named} and {more} more", many.len()),
                _ => format!("{} runs: {named}", many.len()),
            }
        }
    }
}

impl Dialog for ExportDialog {
    fn on_key(&mut self, key: &KeyEvent) -> Step {
        match key.code {
            KeyCode::Tab | KeyCode::Down => self.cycle(1),
            KeyCode::BackTab | KeyCode::Up => self.cycle(-1),
            _ => return self.path.on_key(key, |_, c| !c.is_control()),
        }
        Step::Stay
    }

    fn submit(&mut self, app: &mut App) -> Result<Vec<Effect>, String> {
        let effect = self.effect()?;
        app.notice = Some(Notice::Info(format!(
            "Exporting {} as {} to {}…",
            self.runs_text(),
            self.format().name,
            self.path.text()
        )));
        Ok(vec![effect])
    }

    fn refuse(&mut self, reason: String) {
        self.path.error = Some(reason);
    }

    fn hints(&self, _keys: &Keymap) -> Vec<(String, &'static str)> {
        super::fixed(&[
            ("Enter", "export"),
            ("Tab ↑↓", "format"),
            ("Esc", "cancel"),
            ("Backspace", "delete"),
        ])
    }

    fn draw(&self, f: &mut Frame, area: Rect, app: &App) {
        let t = &app.theme;
        let format = self.format();
        let mut lines = vec![Line::raw(format!("Export {}", self.runs_text()))];
        // Marks that a format of one run leaves aside: say so.
        let marked_aside = !format.many_runs()
            && !self.marked.is_empty()
            && self.marked.as_slice() != self.selected.as_slice();
        if marked_aside {
            lines.push(Line::from(Span::styled(
                format!(
                    "{} exports one run's model: the selected run, not the {} marked",
                    format.name,
                    self.marked.len()
                ),
                t.warn(),
            )));
        }
        lines.push(Line::raw(""));
        lines.push(Line::raw("Format:"));
        let width = EXPORT_FORMATS
            .iter()
            .map(|f| f.name.len())
            .max()
            .unwrap_or(0);
        for (i, row) in EXPORT_FORMATS.iter().enumerate() {
            let chosen = i == self.format % EXPORT_FORMATS.len();
            let (marker, name_style, help_style) = if chosen {
                (
                    "▸ ",
                    t.selected().add_modifier(Modifier::BOLD),
                    t.selected(),
                )
            } else {
                ("  ", t.key(), t.dim())
            };
            lines.push(Line::from(vec![
                Span::raw(marker),
                Span::styled(format!("{:<width$}", row.name), name_style),
                Span::raw("  "),
                Span::styled(row.help, help_style),
            ]));
        }
        lines.push(Line::raw(""));
        let what = match format.out {
            OutKind::File(ext) => format!("a .{ext} file"),
            OutKind::Folder => "a folder".to_string(),
        };
        lines.push(Line::raw(format!(
            "Write to {what} (relative to the current folder):"
        )));
        lines.push(Line::from(
            std::iter::once(Span::styled("> ", t.key()))
                .chain(input_spans(&self.path.input, t.selected(), "_", t.key()))
                .collect::<Vec<_>>(),
        ));
        if let Some(e) = &self.path.error {
            lines.push(Line::from(Span::styled(e.clone(), t.bad())));
        }
        lines.push(Line::raw(""));
        lines.push(key_hints(
            &[("Enter", "export"), ("Tab ↑↓", "format"), ("Esc", "cancel")],
            t,
        ));
        draw_box(f, area, app, "Export", lines);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyModifiers;

    fn press(d: &mut ExportDialog, code: KeyCode) -> Step {
        d.on_key(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn type_str(d: &mut ExportDialog, s: &str) {
        for c in s.chars() {
            press(d, KeyCode::Char(c));
        }
    }

    fn marked(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    /// A format of several runs (the record formats' kind), whatever the table holds.
    const RECORDS: ExportFormat = ExportFormat {
        name: "records",
        help: "a test's format of several runs",
        out: OutKind::Folder,
        writer: crate::interop::formats::Writer::Records(write_nothing),
    };

    fn write_nothing(
        _: &[&crate::runs::RunRecord],
        _: &std::path::Path,
    ) -> Result<Vec<PathBuf>, crate::interop::ExportError> {
        Ok(Vec::new())
    }

    /// The table's first format of one run's model.
    fn model_format() -> usize {
        EXPORT_FORMATS
            .iter()
            .position(|f| !f.many_runs())
            .expect("a model format")
    }

    fn exported(d: &ExportDialog) -> (&'static str, Vec<String>, PathBuf) {
        match d.effect() {
            Ok(Effect::Export { format, ids, out }) => (format, ids, out),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn changing_format_follows_with_the_default_path() {
        let mut d = ExportDialog::new(Some("r1".into()), Vec::new());
        for (i, row) in EXPORT_FORMATS.iter().enumerate() {
            assert_eq!(d.format, i);
            assert_eq!(
                d.path.text(),
                row.default_out(&["r1"]).display().to_string()
            );
            assert_eq!(exported(&d).0, row.name);
            press(&mut d, KeyCode::Tab);
        }
        assert_eq!(d.format, 0, "Tab wraps round");
        press(&mut d, KeyCode::BackTab);
        assert_eq!(d.format, EXPORT_FORMATS.len() - 1, "Shift-Tab wraps back");
        let last = &EXPORT_FORMATS[EXPORT_FORMATS.len() - 1];
        assert_eq!(
            d.path.text(),
            last.default_out(&["r1"]).display().to_string()
        );
        press(&mut d, KeyCode::Down);
        assert_eq!(d.format, 0);
        press(&mut d, KeyCode::Up);
        assert_eq!(d.format, EXPORT_FORMATS.len() - 1);
    }

    #[test]
    fn an_edited_path_is_kept_across_formats() {
        let mut d = ExportDialog::new(Some("r1".into()), Vec::new());
        type_str(&mut d, "mine/model.bin");
        assert_eq!(
            d.path.text(),
            "mine/model.bin",
            "typing replaces the proposal"
        );
        press(&mut d, KeyCode::Tab);
        assert_eq!(d.path.text(), "mine/model.bin");
        press(&mut d, KeyCode::BackTab);
        assert_eq!(exported(&d).2, PathBuf::from("mine/model.bin"));
        // Editing the proposal (the cursor moved first) keeps it too.
        let mut d = ExportDialog::new(Some("r1".into()), Vec::new());
        press(&mut d, KeyCode::Home);
        type_str(&mut d, "../");
        let edited = d.path.text();
        assert!(edited.starts_with("../exports/r1"), "{edited}");
        press(&mut d, KeyCode::Tab);
        assert_eq!(d.path.text(), edited);
    }

    #[test]
    fn an_empty_path_is_refused_in_the_dialog() {
        let mut d = ExportDialog::new(Some("r1".into()), Vec::new());
        press(&mut d, KeyCode::End);
        for _ in 0..d.path.text().chars().count() {
            press(&mut d, KeyCode::Backspace);
        }
        type_str(&mut d, "   ");
        assert_eq!(press(&mut d, KeyCode::Enter), Step::Submit);
        let e = d.effect().err().unwrap_or_default();
        assert!(e.contains("where to write"), "{e}");
        d.refuse(e.clone());
        assert_eq!(d.path.error, Some(e));
        assert_eq!(press(&mut d, KeyCode::Esc), Step::Close);
    }

    #[test]
    fn without_marks_every_format_exports_the_selected_run() {
        for i in 0..EXPORT_FORMATS.len() {
            let mut d = ExportDialog::new(Some("r1".into()), Vec::new());
            d.cycle(i as isize);
            assert_eq!(exported(&d).1, ["r1"], "{}", d.format().name);
        }
        assert_eq!(exported_runs(&RECORDS, Some("r1"), &[]), ["r1"]);
    }

    #[test]
    fn a_model_format_exports_the_selected_run_even_with_marks() {
        let mut d = ExportDialog::new(Some("r1".into()), marked(&["r2", "r3"]));
        d.cycle(model_format() as isize);
        let (format, ids, out) = exported(&d);
        assert_eq!((format, ids), (d.format().name, vec!["r1".to_string()]));
        assert_eq!(out, d.format().default_out(&["r1"]));
        assert_eq!(d.runs_text(), "r1");
        // A selected run that cannot be read leaves a model format nothing to export.
        let mut d = ExportDialog::new(None, marked(&["r2", "r3"]));
        d.cycle(model_format() as isize);
        let e = d.effect().err().unwrap_or_default();
        assert!(e.contains("cannot be read"), "{e}");
    }

    #[test]
    fn a_format_of_several_runs_exports_the_marked_ones() {
        let marks = marked(&["r2", "r3", "r4", "r5", "r6"]);
        let ids = exported_runs(&RECORDS, Some("r1"), &marks);
        assert_eq!(ids, ["r2", "r3", "r4", "r5", "r6"]);
        assert_eq!(runs_text(&ids), "5 runs: r2, r3, r4 and 2 more");
        assert_eq!(runs_text(&ids[..2]), "2 runs: r2, r3");
        // Marks win even when the selected run cannot be read.
        assert_eq!(exported_runs(&RECORDS, None, &marks[..1]), ["r2"]);
        // The table's own formats of several runs follow the same rule in the dialog.
        for i in (0..EXPORT_FORMATS.len()).filter(|&i| EXPORT_FORMATS[i].many_runs()) {
            let mut d = ExportDialog::new(Some("r1".into()), marks.clone());
            d.cycle(i as isize);
            let (_, ids, out) = exported(&d);
            assert_eq!(ids, marks);
            assert_eq!(out, d.format().default_out(&["r2", "r3", "r4", "r5", "r6"]));
        }
    }
}
