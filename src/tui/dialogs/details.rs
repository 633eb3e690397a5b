//! The Runs view's Enter dialog: a run's settings, the dataset it trained on (title,
//! classes, files' SHA-256), its network layer by layer, learning-rate changes and
//! per-epoch metrics.

use super::scroll::{Scroll, ScrollText};
use crate::data::DatasetInfo;
use crate::format;
use crate::model::Summary;
use crate::runs::{RunStatus, report};
use crate::train::SETTINGS;
use crate::tui::app::App;
use crate::tui::runs::draw::started;
use crate::tui::runs::table::RunEntry;
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::summary_table;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// The details of run `id`, scrolled.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailsDialog {
    /// The run.
    pub id: String,
    /// Lines scrolled.
    pub scroll: Scroll,
}

impl DetailsDialog {
    /// The dialog of run `id`, at the top.
    pub fn new(id: String) -> Self {
        DetailsDialog {
            id,
            scroll: Scroll::default(),
        }
    }
}

impl ScrollText for DetailsDialog {
    fn scroll(&mut self) -> &mut Scroll {
        &mut self.scroll
    }

    fn scrolled(&self) -> Scroll {
        self.scroll
    }

    fn title(&self) -> String {
        format!("Run {}", self.id)
    }

    fn text(&self, app: &App) -> Vec<Line<'static>> {
        details_lines(app, &self.id)
    }

    fn size(&self, area: Rect, _lines: usize) -> (u16, u16) {
        (
            area.width.saturating_sub(4).min(90),
            area.height.saturating_sub(2),
        )
    }
}

/// The details of run `id` as lines.
pub fn details_lines(app: &App, id: &str) -> Vec<Line<'static>> {
    let t = &app.theme;
    let Some(entry) = app.runs.get(id) else {
        return vec![Line::raw(format!("Run {id} is no longer in the store."))];
    };
    let r = match entry {
        RunEntry::Damaged(e) => {
            return vec![
                Line::from(Span::styled("This run is damaged.", t.bad())),
                Line::raw(format!("{}: {}", e.path.display(), e.problem)),
            ];
        }
        RunEntry::Ok(r) => r,
    };
    let c = &r.config;
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("  {k:<16}"), t.dim()),
            Span::raw(v),
        ])
    };
    let mut out = vec![Line::from(Span::styled("Run", t.accent()))];
    let status = match &r.status {
        RunStatus::Failed(reason) => format!("failed: {reason}"),
        s => s.word().to_string(),
    };
    out.push(kv("status", status));
    out.push(kv("started", started(r)));
    if let Some(end) = r.ended_at {
        let fmt = time::macros::format_description!("[month]-[day] [hour]:[minute]");
        out.push(kv("ended", end.format(&fmt).unwrap_or_default()));
    }
    out.push(kv("training time", format::duration(r.seconds())));
    out.push(kv(
        "train/val/test",
        format!("{} / {} / {}", r.train_size, r.val_size, r.test_size),
    ));
    out.push(kv("sampling", r.sampling.describe().into()));
    out.push(kv("parameters", r.params.to_string()));
    out.push(kv("version", r.program_version.clone()));
    out.push(Line::raw(""));
    out.push(Line::from(Span::styled("Settings", t.accent())));
    out.push(kv("network", c.network().description()));
    for setting in SETTINGS {
        out.push(kv(&setting.label.to_lowercase(), setting.show_applied(c)));
    }
    if !r.sessions.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::from(Span::styled("Computed", t.accent())));
        for s in &r.sessions {
            out.push(kv(&format!("from epoch {}", s.from_epoch), s.describe()));
        }
    }
    out.push(kv("rate at end", r.last_rate_text()));
    out.push(Line::raw(""));
    out.extend(dataset_lines(&r.dataset, &kv, t));
    out.push(Line::raw(""));
    out.push(Line::from(Span::styled(
        format!("Network: {}", c.model),
        t.accent(),
    )));
    match Summary::of(&c.network()) {
        Ok(summary) => {
            out.extend(summary_table(&summary, c.batch_size, "  ", t));
            out.push(Line::from(Span::styled(
                format!(
                    "  training a batch of {}: about {}B",
                    c.batch_size,
                    format::si(summary.training_bytes(c.batch_size))
                ),
                t.dim(),
            )));
        }
        Err(e) => out.push(Line::from(Span::styled(
            format!("  not a network: {}", e.source),
            t.bad(),
        ))),
    }
    if !r.lr_changes.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::from(Span::styled(
            "Learning-rate changes",
            t.accent(),
        )));
        for ch in &r.lr_changes {
            out.push(kv(
                &format!("epoch {:.2}", ch.x),
                format!("→ {} (step {})", format::approx(ch.lr), ch.step),
            ));
        }
    }
    out.push(Line::raw(""));
    out.push(Line::from(Span::styled(
        "Epochs (* the kept weights)",
        t.accent(),
    )));
    let (header, rows) = report::epoch_table(r);
    out.push(Line::from(Span::styled(
        format!(" {header}"),
        t.dim().add_modifier(Modifier::UNDERLINED),
    )));
    for row in rows {
        let style = if row.kept { t.good() } else { Style::new() };
        out.push(Line::from(Span::styled(format!(" {}", row.text), style)));
    }
    if r.epochs.is_empty() {
        out.push(Line::from(Span::styled("  no epoch finished", t.dim())));
    }
    let outcome = report::outcome_lines(r);
    if !outcome.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::from(Span::styled("Outcome", t.accent())));
        out.extend(outcome.into_iter().map(|l| Line::raw(format!("  {l}"))));
    }
    let classes = report::per_class_lines(r);
    if !classes.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::from(Span::styled(
            "Per class (validation: kept epoch; test: kept weights)",
            t.accent(),
        )));
        out.extend(classes.into_iter().map(|l| Line::raw(format!("  {l}"))));
    }
    let confusion = report::confusion_lines(r);
    if !confusion.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::from(Span::styled(
            "Test confusion matrix (kept weights)",
            t.accent(),
        )));
        out.extend(confusion.into_iter().map(|l| Line::raw(format!("  {l}"))));
    }
    if let Some(s) = &r.summary
        && !s.dead_outputs.is_empty()
    {
        out.push(Line::raw(""));
        out.push(Line::from(Span::styled(
            format!("Dead outputs (always 0): {:?}", s.dead_outputs),
            t.warn(),
        )));
    }
    out
}

/// Characters of class names the details list on one line.
const CLASS_NAMES_WIDTH: usize = 52;

/// What the run trained on: the dataset's title, classes and normalisation, and the
/// SHA-256 of each of its four files as read (records from before they were kept have
/// none).
fn dataset_lines(
    d: &DatasetInfo,
    kv: &dyn Fn(&str, String) -> Line<'static>,
    t: &Theme,
) -> Vec<Line<'static>> {
    let mut out = vec![Line::from(Span::styled(
        format!("Dataset: {}", d.title),
        t.accent(),
    ))];
    out.push(kv("name", d.name.to_string()));
    let names = if d.is_digits() {
        "the digits 0–9".to_string()
    } else {
        // As many names as fit on the line.
        let mut shown: Vec<&str> = Vec::new();
        let mut width = 0;
        for name in &d.classes {
            width += name.chars().count() + 2;
            if width > CLASS_NAMES_WIDTH && !shown.is_empty() {
                break;
            }
            shown.push(name);
        }
        let more = d.classes.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(", … ({more} more)")
        } else {
            String::new()
        };
        format!("{}{more}", shown.join(", "))
    };
    out.push(kv("classes", format!("{}: {names}", d.class_count())));
    out.push(kv(
        "normalisation",
        format!("mean {:.4}, std {:.4}", d.norm.mean, d.norm.std),
    ));
    if d.files.is_empty() {
        out.push(kv(
            "files",
            "no checksums (recorded before they were kept)".to_string(),
        ));
    } else {
        out.push(Line::from(Span::styled(
            "  files (SHA-256 of the content)",
            t.dim(),
        )));
        for f in &d.files {
            let short = f
                .file
                .strip_suffix("-idx3-ubyte")
                .or_else(|| f.file.strip_suffix("-idx1-ubyte"))
                .unwrap_or(&f.file);
            out.push(kv(short, f.sha256.clone()));
        }
    }
    out
}
