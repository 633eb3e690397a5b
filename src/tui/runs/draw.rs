//! The Runs view: the table of runs, the comparison of marked runs (loss, accuracy,
//! settings side by side, layers diffed layer by layer). Its dialogs (details, groups)
//! are in `tui::dialogs`.

use super::diff::{self, Change};
use super::table::{RunEntry, SortColumn};
use crate::format;
use crate::runs::{RunRecord, RunStatus};
use crate::train::SETTINGS;
use crate::tui::app::App;
use crate::tui::keymap::{Action, Scope};
use crate::tui::layout;
use crate::tui::series::{accuracy_axis, epoch_axis, log_axis, nice_axis, to_log, y_range};
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{
    Curve, LineChart, centered_text, draw_line_chart, loss_title, titled_block,
};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

/// Draws the Runs view.
pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let l = layout::runs(area);
    table(f, l.table, app);
    let compared = app.runs.compared();
    if compared.is_empty() {
        let whole = Rect {
            width: l.loss.width + l.accuracy.width + l.settings.width,
            ..l.loss
        };
        empty_compare(f, whole, app);
        return;
    }
    compare_loss(f, l.loss, app, &compared);
    compare_accuracy(f, l.accuracy, app, &compared);
    settings_panel(f, l.settings, app, &compared);
}

/// The smallest settings panel that also shows the layers' diff (the table keeps
/// half of it).
const LAYERS_DIFF_MIN_PANEL: u16 = 20;

/// The settings side by side and, when the runs' layers differ and there is room,
/// their layers diffed layer by layer below.
fn settings_panel(f: &mut Frame, area: Rect, app: &App, runs: &[&RunRecord]) {
    let diff = layers_diff_lines(app, runs);
    if diff.is_empty() || area.height < LAYERS_DIFF_MIN_PANEL {
        settings_table(f, area, app, runs);
        return;
    }
    let height = (diff.len() as u16 + 2).min(area.height / 2);
    let [table, layers] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(height)]).areas(area);
    settings_table(f, table, app, runs);
    layers_diff_panel(f, layers, app, diff);
}

/// The layers of each compared run whose layers differ from the first run's, diffed
/// against the first run's: a legend line (`- first  + other`, in the runs' colours),
/// then one line per layer marked `=` (both), `-` (the first run's only) or `+` (the
/// other run's only). Empty when every run has the first run's layers.
pub fn layers_diff_lines(app: &App, runs: &[&RunRecord]) -> Vec<Line<'static>> {
    let t = &app.theme;
    let Some((first, others)) = runs.split_first() else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for (i, other) in others.iter().enumerate().map(|(i, r)| (i + 1, r)) {
        if other.config.layers == first.config.layers {
            continue;
        }
        let style = |c: Change| match c {
            Change::Same => t.dim(),
            Change::Removed => t.series(0),
            Change::Added => t.series(i),
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("- {}", short_label(&first.id)),
                style(Change::Removed).add_modifier(Modifier::BOLD),
            ),
            Span::raw("  "),
            Span::styled(
                format!("+ {}", short_label(&other.id)),
                style(Change::Added).add_modifier(Modifier::BOLD),
            ),
        ]));
        lines.extend(
            diff::layers_diff(&first.config.layers, &other.config.layers)
                .into_iter()
                .map(|(change, layer)| {
                    Line::from(Span::styled(
                        format!("{} {layer}", change.marker()),
                        style(change),
                    ))
                }),
        );
    }
    lines
}

/// Draws the layers' diff in `area`; lines that do not fit are counted in the title.
fn layers_diff_panel(f: &mut Frame, area: Rect, app: &App, mut lines: Vec<Line<'static>>) {
    let room = area.height.saturating_sub(2) as usize;
    let hidden = lines.len().saturating_sub(room);
    lines.truncate(room);
    let title = match hidden {
        0 => " Layers (- + differ) ".to_string(),
        1 => " Layers (- + differ) · 1 more line ".to_string(),
        n => format!(" Layers (- + differ) · {n} more lines "),
    };
    f.render_widget(
        Paragraph::new(lines).block(titled_block(title, &app.theme)),
        area,
    );
}

/// A short label for a run in legends: the id without its date, e.g. `mlp-3fa2`.
pub fn short_label(id: &str) -> String {
    let parts: Vec<&str> = id.splitn(3, '-').collect();
    match parts.as_slice() {
        [d, t, rest] if d.len() == 8 && t.len() == 6 => rest.to_string(),
        _ => id.to_string(),
    }
}

pub(crate) fn started(r: &RunRecord) -> String {
    let fmt = time::macros::format_description!("[month]-[day] [hour]:[minute]");
    r.started_at.format(&fmt).unwrap_or_default()
}

fn status_style(s: &RunStatus, t: &Theme) -> Style {
    match s {
        RunStatus::Running => t.accent(),
        RunStatus::Finished => t.good(),
        RunStatus::Stopped => t.warn(),
        RunStatus::Failed(_) => t.bad(),
        RunStatus::Interrupted => t.warn(),
        RunStatus::Imported => t.accent(),
    }
}

fn table(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let runs = &app.runs;
    let damaged = runs.entries.iter().filter(|e| e.record().is_none()).count();
    let arrow = if runs.descending { "▼" } else { "▲" };
    let mut title = format!(" Runs ({}", runs.entries.len());
    if damaged > 0 {
        title.push_str(&format!(", {damaged} damaged"));
    }
    title.push_str(&format!(") · sorted by {} {arrow}", runs.sort.title()));
    if !runs.marked.is_empty() {
        title.push_str(&format!(" · {} marked", runs.marked.len()));
    }
    title.push(' ');
    let block = titled_block(title, t);
    if runs.entries.is_empty() {
        let inner = block.inner(area);
        f.render_widget(block, area);
        let text = match (&runs.error, runs.loaded) {
            (Some(e), _) => format!("The run store cannot be read: {e}"),
            (None, false) => "Reading runs…".to_string(),
            (None, true) => "No runs yet. Train one in the Train view (press 1).".to_string(),
        };
        centered_text(f, inner, &text, t.dim());
        return;
    }
    let header = Row::new(SortColumn::ALL.iter().map(|c| {
        let mut s = c.title().to_string();
        if *c == runs.sort {
            s.push_str(arrow);
        }
        Cell::from(s)
    }))
    .style(t.accent().add_modifier(Modifier::UNDERLINED));
    let columns = layout::runs_columns(area);
    let width = |c: SortColumn| {
        SortColumn::ALL
            .iter()
            .position(|x| *x == c)
            .and_then(|i| columns.get(i))
            .map_or(usize::MAX, |r| usize::from(r.width))
    };
    let widths = (width(SortColumn::Id), width(SortColumn::Dataset));
    let rows = runs.rows().map(|e| row(e, app, widths));
    let widths = layout::RUNS_COLUMNS;
    let widget = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(layout::RUNS_COLUMN_SPACING)
        .row_highlight_style(t.selected());
    let mut state = TableState::default()
        .with_offset(runs.offset)
        .with_selected(Some(runs.cursor));
    f.render_stateful_widget(widget, area, &mut state);
}

/// `text` in at most `width` characters: whole if it fits, else its end after `…`
/// (the end of a run id tells runs apart; its start is the Started column).
pub fn fit_end(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_string();
    }
    let keep = width.saturating_sub(1);
    std::iter::once('…')
        .chain(text.chars().skip(n - keep))
        .collect()
}

/// Run `id` in `width` characters: whole if it fits, else without its date and time
/// (the Started column shows them), cut at the start if even that is too long.
pub fn shown_id(id: &str, width: usize) -> String {
    if id.chars().count() <= width {
        id.to_string()
    } else {
        fit_end(&short_label(id), width)
    }
}

/// A row of the runs table whose Run and Dataset columns are `(id, dataset)` wide.
fn row<'a>(e: &'a RunEntry, app: &App, (id_width, dataset_width): (usize, usize)) -> Row<'a> {
    let t = &app.theme;
    let marked = app.runs.marked.iter().position(|m| m == e.id());
    let id = shown_id(e.id(), id_width.saturating_sub(2));
    let id_cell = match marked {
        Some(i) => Cell::from(Line::from(vec![
            Span::styled(
                format!("{} ", t.series_char(i)),
                t.series(i).add_modifier(Modifier::BOLD),
            ),
            Span::raw(id),
        ])),
        None => Cell::from(format!("  {id}")),
    };
    match e {
        RunEntry::Ok(r) => {
            let dur = format::duration(r.seconds());
            Row::new(vec![
                id_cell,
                Cell::from(started(r)),
                Cell::from(r.config.model.as_str()),
                Cell::from(fit_end(r.config.dataset.as_str(), dataset_width)),
                Cell::from(format::float(r.config.lr)),
                Cell::from(r.config.batch_size.to_string()),
                Cell::from(format!("{}/{}", r.epochs_done(), r.config.epochs)),
                Cell::from(
                    r.val_acc()
                        .map_or("–".into(), |a| format::percent(a as f64)),
                ),
                Cell::from(
                    r.test_acc()
                        .map_or("–".into(), |a| format::percent(a as f64)),
                ),
                Cell::from(dur),
                Cell::from(Span::styled(r.status.word(), status_style(&r.status, t))),
            ])
        }
        RunEntry::Damaged(err) => {
            let mut cells = vec![id_cell];
            cells.extend((0..SortColumn::ALL.len() - 2).map(|_| Cell::from("–")));
            cells.push(Cell::from(Span::styled("damaged", t.bad())));
            let _ = err;
            Row::new(cells)
        }
    }
}

fn empty_compare(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let block = titled_block(" Compare ", t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    match app.runs.current() {
        Some(RunEntry::Damaged(e)) => {
            let text = vec![
                Line::from(Span::styled(format!("Run {} is damaged", e.id), t.bad())),
                Line::raw(format!("{}: {}", e.path.display(), e.problem)),
                Line::raw(""),
                Line::from(Span::styled(
                    format!(
                        "It can be deleted ({}); other runs are not affected.",
                        app.keys.key_for(Scope::Runs, Action::Delete)
                    ),
                    t.dim(),
                )),
            ];
            f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
        }
        _ => centered_text(
            f,
            inner,
            "Mark runs with Space to compare their curves and settings.",
            t.dim(),
        ),
    }
}

fn compare_loss(f: &mut Frame, area: Rect, app: &App, runs: &[&RunRecord]) {
    let t = &app.theme;
    let curves: Vec<Curve> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let pts = app
                .runs
                .curves
                .get(&r.id)
                .map(|s| s.points(app.smooth).to_vec())
                .unwrap_or_default();
            Curve {
                name: short_label(&r.id),
                points: if app.log_scale { to_log(&pts) } else { pts },
                style: t.series(i),
                index: i,
            }
        })
        .collect();
    let range = y_range(curves.iter().map(|c| c.points.as_slice()));
    let y = match range {
        Some((lo, hi)) if app.log_scale => log_axis(lo, hi),
        Some((lo, hi)) => {
            let a = nice_axis(lo, hi, 4);
            if a.lo < 0.0 { nice_axis(0.0, hi, 4) } else { a }
        }
        None => nice_axis(0.0, 1.0, 4),
    };
    let x_max = runs
        .iter()
        .map(|r| r.config.epochs.max(r.epochs_done()) as f64)
        .fold(1.0, f64::max);
    let title = loss_title(app);
    draw_line_chart(
        f,
        area,
        LineChart {
            title,
            curves,
            marks: Vec::new(),
            x: epoch_axis(x_max),
            y,
            x_title: "epoch",
            empty_text: "No loss logged yet.".into(),
        },
        t,
    );
}

fn compare_accuracy(f: &mut Frame, area: Rect, app: &App, runs: &[&RunRecord]) {
    let t = &app.theme;
    let curves: Vec<Curve> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| Curve {
            name: short_label(&r.id),
            points: r
                .epochs
                .iter()
                .filter_map(|e| {
                    e.val_acc
                        .or(e.test_acc)
                        .map(|a| (e.epoch as f64, a as f64 * 100.0))
                })
                .collect(),
            style: t.series(i),
            index: i,
        })
        .collect();
    let min = y_range(curves.iter().map(|c| c.points.as_slice())).map(|r| r.0);
    let any_val = runs.iter().any(|r| r.val_size > 0);
    let any_test = runs.iter().any(|r| r.val_size == 0);
    let x_max = runs
        .iter()
        .map(|r| r.config.epochs.max(r.epochs_done()) as f64)
        .fold(1.0, f64::max);
    draw_line_chart(
        f,
        area,
        LineChart {
            title: match (any_val, any_test) {
                (true, false) => "Validation accuracy %",
                (false, _) => "Test accuracy % (no validation split)",
                (true, true) => "Validation (test if none) accuracy %",
            }
            .into(),
            curves,
            marks: Vec::new(),
            x: epoch_axis(x_max),
            y: accuracy_axis(min),
            x_title: "epoch",
            empty_text: "No epoch finished yet.".into(),
        },
        t,
    );
}

/// The settings compared side by side: (name, value per run). A few outcomes first (so
/// a short panel still shows them), then every row of the settings table that applies
/// to at least one of the runs (`n/a` for the runs it does not apply to; a setting of
/// an optimiser none of them uses is left out).
pub fn settings_rows(runs: &[&RunRecord]) -> Vec<(&'static str, Vec<String>)> {
    let col = |f: &dyn Fn(&RunRecord) -> String| runs.iter().map(|r| f(r)).collect::<Vec<_>>();
    let mut rows: Vec<(&'static str, Vec<String>)> = vec![
        ("status", col(&|r| r.status.word().into())),
        (
            "val acc",
            col(&|r| {
                r.val_acc()
                    .map_or("–".into(), |a| format::percent(a as f64))
            }),
        ),
        (
            "test acc",
            col(&|r| {
                r.test_acc()
                    .map_or("–".into(), |a| format::percent(a as f64))
            }),
        ),
        (
            "kept epoch",
            col(&|r| r.kept().map_or("–".into(), |e| e.epoch.to_string())),
        ),
        ("lr changes", col(&|r| r.lr_changes.len().to_string())),
    ];
    rows.extend(
        SETTINGS
            .iter()
            .filter(|s| runs.iter().any(|r| s.applies_to(&r.config)))
            .map(|s| (s.short, col(&|r| s.show_applied(&r.config)))),
    );
    rows
}

/// The number of outcome rows [`settings_rows`] puts first (always shown).
const OUTCOME_ROWS: usize = 5;

/// Drops settings whose values are all alike, from the bottom up, until `rows` fit in
/// `capacity` lines (what differs is what a comparison is for); returns how many
/// were dropped.
fn fit_rows(rows: &mut Vec<(&'static str, Vec<String>)>, capacity: usize) -> usize {
    let mut dropped = 0;
    while rows.len() > capacity {
        let alike = (OUTCOME_ROWS..rows.len())
            .rev()
            .find(|&i| rows[i].1.windows(2).all(|w| w[0] == w[1]));
        let Some(i) = alike else { break };
        rows.remove(i);
        dropped += 1;
    }
    dropped
}

fn settings_table(f: &mut Frame, area: Rect, app: &App, runs: &[&RunRecord]) {
    let t = &app.theme;
    let mut rows = settings_rows(runs);
    // Borders and the header line.
    let hidden = fit_rows(&mut rows, area.height.saturating_sub(3) as usize);
    let header = Row::new(
        std::iter::once(Cell::from("")).chain(runs.iter().enumerate().map(|(i, r)| {
            Cell::from(Span::styled(
                short_label(&r.id),
                t.series(i).add_modifier(Modifier::BOLD),
            ))
        })),
    );
    let body = rows.into_iter().map(|(name, values)| {
        let differs = values.windows(2).any(|w| w[0] != w[1]);
        let style = if differs {
            t.warn().add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        let mark = if differs { "*" } else { " " };
        Row::new(
            std::iter::once(Cell::from(format!("{mark}{name}")))
                .chain(values.into_iter().map(Cell::from)),
        )
        .style(style)
    });
    let mut widths = vec![Constraint::Length(11)];
    widths.extend(runs.iter().map(|_| Constraint::Min(6)));
    let title = match (runs.len() > 1, hidden) {
        (true, 0) => " Settings (* differs) ".to_string(),
        (true, n) => format!(" Settings (* differs) · {n} hidden "),
        (false, 0) => " Settings ".to_string(),
        (false, n) => format!(" Settings ({n} hidden) "),
    };
    f.render_widget(
        Table::new(body, widths)
            .header(header)
            .block(titled_block(title, t)),
        area,
    );
}
