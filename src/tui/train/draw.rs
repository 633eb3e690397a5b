//! The Train view: settings form, run status, live loss and accuracy charts, gauges.

use super::form::Field;
use super::preview;
use super::session::{LiveRun, RunPhase};
use crate::format;
use crate::tui::app::{App, DataState};
use crate::tui::keymap::{Action, Scope};
use crate::tui::layout::{self, TrainLayout};
use crate::tui::series::{
    NiceAxis, accuracy_axis, epoch_axis, log_axis, nice_axis, to_log, y_range,
};
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{
    Curve, LineChart, Mark, centered_text, draw_line_chart, loss_title, summary_table, titled_block,
};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Wrap};

/// The four MNIST files, as the offline instructions name them.
pub const MNIST_FILES: &str = "train-images-idx3-ubyte, train-labels-idx1-ubyte, \
t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (raw or .gz)";

/// Draws the Train view.
pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let l = layout::train(area);
    form(f, l.form, app);
    status(f, l.status, app);
    charts(f, &l, app);
    progress(f, l.progress, app);
}

/// The style of a run phase.
pub fn phase_style(phase: &RunPhase, t: &Theme) -> Style {
    match phase {
        RunPhase::Training | RunPhase::Starting => t.accent(),
        RunPhase::Evaluating | RunPhase::Paused => t.warn(),
        RunPhase::Finished { .. } => t.good(),
        RunPhase::Stopped => t.dim(),
        RunPhase::Failed(_) => t.bad(),
    }
}

fn form(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let locked = app.run_active();
    let title = if locked {
        " Settings (locked while training) "
    } else {
        " Settings "
    };
    f.render_widget(titled_block(title, t), area);
    // While a run is active the form shows that run's settings.
    let shown;
    let form = match (&app.train.session, locked) {
        (Some(session), true) => {
            let mut f = app.train.form.clone();
            f.settings = session.settings.clone();
            f.editing = None;
            shown = f;
            &shown
        }
        _ => &app.train.form,
    };
    let offset = layout::form_offset(area, form.selected);
    let visible = layout::form_visible(area);
    for (i, field) in Field::all().enumerate() {
        let Some(row) = layout::form_row(area, i, form.selected).filter(|r| !r.is_empty()) else {
            continue;
        };
        let selected = i == form.selected && !locked;
        let line = if field == Field::Start {
            let label = if locked {
                "  (training…)".to_string()
            } else {
                format!(
                    "  [ Start ]  ({})",
                    app.keys.key_for(Scope::Train, Action::Start)
                )
            };
            Line::from(Span::styled(label, if locked { t.dim() } else { t.good() }))
        } else {
            let value = match (&form.editing, selected) {
                (Some(input), true) => {
                    crate::tui::ui::widgets::input_spans(input, t.key(), "_", t.key())
                }
                _ if !form.applies(field) => {
                    vec![Span::styled(form.value_text(field), t.dim())]
                }
                _ => {
                    let v = form.value_text(field);
                    let v = if field.is_typed() {
                        v
                    } else {
                        format!("‹ {v} ›")
                    };
                    let style = if form.is_edited(field) {
                        Style::new().add_modifier(Modifier::BOLD)
                    } else {
                        Style::new()
                    };
                    vec![Span::styled(v, style)]
                }
            };
            let mut spans = vec![Span::styled(format!(" {:<14}", field.label()), t.dim())];
            spans.extend(value);
            Line::from(spans)
        };
        let line = if selected {
            line.style(t.selected())
        } else {
            line
        };
        f.render_widget(Paragraph::new(line), row);
    }
    // Arrows on the border where fields are scrolled out of view.
    let arrow_x = area.right().saturating_sub(3);
    if offset > 0 && area.height > 2 {
        f.render_widget(Span::styled("▲", t.dim()), Rect::new(arrow_x, area.y, 1, 1));
    }
    if offset + visible < Field::count() - 1 && area.height > 2 {
        f.render_widget(
            Span::styled("▼", t.dim()),
            Rect::new(arrow_x, area.bottom().saturating_sub(1), 1, 1),
        );
    }
    let note_row = layout::form_note_row(area);
    let note = match (form.typed_layers(), &form.error) {
        // Layers being typed: whether they make a network, at every key.
        (Some(Ok(s)), _) => Span::styled(
            format!(
                " ok: {} params, {} FLOPs",
                format::thousands(s.params as u64),
                format::si(s.flops)
            ),
            t.good(),
        ),
        (Some(Err(e)), _) => Span::styled(format!(" {e}"), t.bad()),
        (None, Some(e)) => Span::styled(format!(" {e}"), t.bad()),
        (None, None) => {
            let help = match form.field() {
                Field::Setting(s) if s.name != "model" && !locked => s.help.to_string(),
                _ => form.settings.network().description(),
            };
            Span::styled(format!(" {help}"), t.dim())
        }
    };
    f.render_widget(Paragraph::new(Line::from(note)), note_row);
}

/// The width of a key of the Run panel's lines, with its margin.
const KV_KEY: usize = 10;

fn kv(key: &str, value: impl Into<String>, style: Style, t: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!(" {key:<9}"), t.dim()),
        Span::styled(value.into(), style),
    ])
}

/// The dataset's line of the Run panel: its title (as the key when it fits there, as
/// `MNIST    ready (60000 / 10000)`) and state, with its sizes when they fit in `width`.
fn data_line(app: &App, width: u16) -> Line<'static> {
    let t = &app.theme;
    let title = &app.data.title;
    let keyed = title.chars().count() < KV_KEY - 1;
    let named = |state: &str| {
        if keyed {
            state.to_string()
        } else {
            format!("{title} {state}")
        }
    };
    let (text, style) = match &app.data.state {
        DataState::Ready(d) => {
            let sizes = format!(" ({} / {})", d.train.len(), d.test.len());
            let text = named("ready");
            let fits = KV_KEY + text.chars().count() + sizes.len() <= usize::from(width);
            (if fits { text + &sizes } else { text }, t.good())
        }
        DataState::Loading => (named("loading…"), t.warn()),
        DataState::Downloading(_) => (named("downloading…"), t.warn()),
        DataState::Missing { .. } if app.data.downloadable() => (
            named(&format!(
                "missing ({} downloads)",
                app.keys.key_for(Scope::Train, Action::Download)
            )),
            t.bad(),
        ),
        DataState::Missing { .. } => (named("missing (see panel)"), t.bad()),
        DataState::Failed(_) => (named("error (see panel)"), t.bad()),
    };
    kv(if keyed { title } else { "Data" }, text, style, t)
}

/// The run waiting for its dataset, if one is: what it is and how to cancel it.
fn waiting_line(app: &App) -> Option<Line<'static>> {
    let w = app.train.waiting.as_ref()?;
    Some(kv(
        "Next",
        format!(
            "{} once {} is loaded ({} cancels)",
            w.notice,
            crate::tui::data::title_of(&w.dataset),
            app.keys.key_for(Scope::Train, Action::Stop)
        ),
        app.theme.warn(),
        &app.theme,
    ))
}

fn status(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let block = titled_block(" Run ", t);
    let mut lines = Vec::new();
    // Lines left out first when the panel is too short for everything (a sweep's queue
    // below them matters more): their indices, in the order they go.
    let mut spare: Vec<usize> = Vec::new();
    match &app.train.session {
        None => {
            lines.push(kv("Status", "idle", t.dim(), t));
            lines.push(data_line(app, area.width.saturating_sub(2)));
            lines.extend(waiting_line(app));
            lines.push(Line::raw(""));
            let start = app.keys.key_for(Scope::Train, Action::Start);
            lines.push(Line::from(Span::styled(
                format!(" Choose settings, then press {start}."),
                t.dim(),
            )));
        }
        Some(s) => {
            lines.push(kv("Status", s.phase.word(), phase_style(&s.phase, t), t));
            // The tab bar also says how the data stands.
            let data_at = lines.len();
            lines.push(data_line(app, area.width.saturating_sub(2)));
            lines.extend(waiting_line(app));
            let id = s.run_id.clone().unwrap_or_else(|| "(starting)".into());
            lines.push(kv("Run", id, Style::new(), t));
            lines.push(kv(
                "Model",
                format!("{} · {}", s.settings.model, s.settings.optimizer),
                Style::new(),
                t,
            ));
            lines.push(kv(
                "Epoch",
                format!(
                    "{} / {}",
                    s.epoch.max(1).min(s.settings.epochs.max(1)),
                    s.settings.epochs
                ),
                Style::new(),
                t,
            ));
            lines.push(kv("LR", format::approx(s.lr), Style::new(), t));
            let speed_at = lines.len();
            lines.push(kv(
                "Speed",
                format!("{:.0} samples/s", s.samples_per_sec),
                Style::new(),
                t,
            ));
            let eta = s.eta().map_or("–".to_string(), format::elapsed);
            lines.push(kv(
                "Elapsed",
                format!("{}  ETA {eta}", format::elapsed(s.elapsed)),
                Style::new(),
                t,
            ));
            if s.params > 0 {
                spare.push(lines.len());
                lines.push(kv("Params", s.params.to_string(), Style::new(), t));
            }
            spare.extend([data_at, speed_at]);
            if let Some(m) = s.latest() {
                lines.push(Line::from(Span::styled(
                    format!(" Epoch {} ({:.1}s)", m.epoch, m.seconds),
                    t.accent(),
                )));
                lines.push(kv(
                    "Train",
                    format!(
                        "loss {:.4}  acc {}",
                        m.train_loss,
                        format::percent(m.train_acc as f64)
                    ),
                    t.train(),
                    t,
                ));
                if let (Some(loss), Some(acc)) = (m.val_loss, m.val_acc) {
                    lines.push(kv(
                        "Val",
                        format!("loss {loss:.4}  acc {}", format::percent(acc as f64)),
                        t.test(),
                        t,
                    ));
                }
                if let (Some(loss), Some(acc)) = (m.test_loss, m.test_acc) {
                    lines.push(kv(
                        "Test",
                        format!("loss {loss:.4}  acc {}", format::percent(acc as f64)),
                        t.series(2),
                        t,
                    ));
                }
            }
            if let Some(stop) = &s.early_stop {
                lines.push(Line::from(Span::styled(
                    format!(" {}", capitalised(&stop.describe())),
                    t.warn(),
                )));
            }
            let tested = s.tested.map_or(String::new(), |(epoch, acc)| {
                format!(
                    ": test accuracy {} (weights of epoch {epoch})",
                    format::percent(acc as f64)
                )
            });
            match &s.phase {
                RunPhase::Finished { .. } => lines.push(Line::from(Span::styled(
                    format!(" Finished{tested}"),
                    t.good(),
                ))),
                RunPhase::Stopped if !tested.is_empty() => lines.push(Line::from(Span::styled(
                    format!(" Stopped{tested}"),
                    t.warn(),
                ))),
                RunPhase::Failed(reason) => lines.push(Line::from(Span::styled(
                    format!(" Failed: {reason}"),
                    t.bad(),
                ))),
                _ => {}
            }
        }
    }
    let queue = sweep_lines(app);
    let room = area.height.saturating_sub(2) as usize;
    let excess = (lines.len() + queue.len()).saturating_sub(room);
    if !queue.is_empty() && excess > 0 {
        let mut gone: Vec<usize> = spare.into_iter().take(excess).collect();
        gone.sort_unstable();
        for i in gone.into_iter().rev() {
            lines.remove(i);
        }
    }
    lines.extend(queue);
    // With no run active, the bottom of the panel previews the form's planned rate.
    let inner = block.inner(area);
    let free = inner.height.saturating_sub(lines.len() as u16 + 1);
    let preview_area = (!app.run_active() && free >= preview::PREVIEW_ROWS).then(|| Rect {
        y: inner.bottom() - preview::PREVIEW_ROWS,
        height: preview::PREVIEW_ROWS,
        ..inner
    });
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
    if let Some(p) = preview_area {
        let train_len = app
            .data
            .ready(&app.train.form.settings.dataset)
            .map(|d| d.train.len());
        preview::draw(f, p, &app.train.form.settings, train_len, t);
    }
}

/// The sweep's queue: a heading, then one line per point with its state (and final
/// test accuracy once finished).
fn sweep_lines(app: &App) -> Vec<Line<'static>> {
    use crate::sweep::PointState;
    let t = &app.theme;
    let Some(q) = &app.train.sweep else {
        return Vec::new();
    };
    let n = q.file.points.len();
    let mut lines = vec![Line::from(Span::styled(
        format!(
            " Sweep {} · {}/{n} finished{}",
            q.file.id,
            q.finished(),
            if q.paused { " · paused" } else { "" }
        ),
        t.accent(),
    ))];
    for (i, state) in q.states.iter().enumerate() {
        let k = i + 1;
        let queued = q.queue.iter().any(|(p, _)| *p == k);
        let (word, style) = match state {
            _ if q.current == Some(k) && app.train.waiting.is_some() => {
                ("waiting data".to_string(), t.warn())
            }
            _ if q.current == Some(k) => ("running".to_string(), t.good()),
            PointState::Finished(id) => {
                let acc = app
                    .runs
                    .get(id)
                    .and_then(|e| e.record())
                    .and_then(|r| r.val_acc())
                    .map_or(String::new(), |a| {
                        format!(" val {}", format::percent(a as f64))
                    });
                (format!("done{acc}"), Style::new())
            }
            PointState::Failed { .. } => ("failed".to_string(), t.bad()),
            _ if queued => ("queued".to_string(), t.dim()),
            other => (other.word().to_string(), t.dim()),
        };
        let marker = if queued && q.selected_point() == Some(k) {
            ">"
        } else {
            " "
        };
        // The state first, so a narrow panel cuts the description, not the state.
        lines.push(Line::from(vec![
            Span::styled(format!("{marker}{k:>2} "), t.dim()),
            Span::styled(format!("{word:<12} "), style),
            Span::raw(q.describe(k)),
        ]));
    }
    lines
}

fn charts(f: &mut Frame, l: &TrainLayout, app: &App) {
    let area = Rect {
        height: l.loss.height + l.accuracy.height,
        ..l.loss
    };
    let data_ready = matches!(app.data.state, DataState::Ready(_));
    match &app.train.session {
        Some(s) => {
            loss_chart(f, l.loss, s, app);
            accuracy_chart(f, l.accuracy, s, app);
        }
        // The data's state first; the network below it when there is room.
        None if !data_ready && area.height >= NETWORK_BELOW_DATA => {
            let [data, network] =
                Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(area);
            data_panel(f, data, app);
            network_panel(f, network, app);
        }
        None if !data_ready => data_panel(f, area, app),
        None => network_panel(f, area, app),
    }
}

/// The smallest chart area that shows the network below the data panel.
const NETWORK_BELOW_DATA: u16 = 24;

/// Before a run: the network the form would train, layer by layer (output shapes,
/// parameters, FLOPs), or why its layers do not make a network; while the layers are
/// typed, the network as typed.
fn network_panel(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let form = &app.train.form;
    let def = form.settings.network();
    let typing = form.typed_layers().is_some();
    let changed = crate::model::find_network(def.name.as_str())
        .is_none_or(|known| known.layers != def.layers);
    let title = match (typing, changed) {
        (true, _) => format!(" Network: {} · as typed ", def.name),
        (false, true) => format!(" Network: {} · layers changed ", def.name),
        (false, false) => format!(" Network: {} ", def.name),
    };
    let block = titled_block(title, t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let inner = Rect {
        x: inner.x.saturating_add(1),
        width: inner.width.saturating_sub(1),
        ..inner
    };
    let start = app.keys.key_for(Scope::Train, Action::Start);
    // The table (never wrapped: a narrow panel cuts its right side), then the prose.
    let (table, mut prose): (Vec<Line>, Vec<Line>) = match form.network_summary() {
        Ok(summary) => {
            let batch = form.settings.batch_size;
            let memory = summary.lines(batch).pop().unwrap_or_default();
            (
                summary_table(&summary, batch, "", t),
                vec![Line::from(Span::styled(memory, t.dim()))],
            )
        }
        Err(e) => (
            Vec::new(),
            vec![
                Line::from(Span::styled(
                    "Not a network:",
                    t.bad().add_modifier(Modifier::BOLD),
                )),
                Line::from(Span::styled(e, t.bad())),
            ],
        ),
    };
    prose.push(Line::raw(""));
    prose.push(Line::from(Span::styled(
        if typing {
            "Enter applies the layers, Esc leaves them as they were.".to_string()
        } else {
            format!(
                "Press {start} to train it with the settings on the left, {save} to save \
                 it by name; live loss and accuracy charts replace this once a run starts.",
                save = app.keys.key_for(Scope::Train, Action::SaveNetwork)
            )
        },
        t.dim(),
    )));
    let table_rows = (table.len() as u16).min(inner.height);
    let [table_area, _, prose_area] = Layout::vertical([
        Constraint::Length(table_rows),
        Constraint::Length(u16::from(table_rows > 0)),
        Constraint::Min(0),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(table), table_area);
    f.render_widget(Paragraph::new(prose).wrap(Wrap { trim: false }), prose_area);
}

/// Where the dataset of the slot stands, while it is not loaded: loading, downloading
/// (MNIST), missing (with how to get it) or unreadable.
fn data_panel(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let root = app.data_dir.display().to_string();
    let title = &app.data.title;
    // The folder the loader found; before it says, the data folder it searches.
    let dir = app
        .data
        .dir
        .as_ref()
        .map_or_else(|| root.clone(), |d| d.display().to_string());
    let block = titled_block(format!(" {title} data "), t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let download = app.keys.key_for(Scope::Train, Action::Download);
    let retry = app.keys.key_for(Scope::Train, Action::RetryData);
    let mnist = app.data.downloadable();
    let text = match &app.data.state {
        DataState::Loading => format!("Loading {title} from {dir}…"),
        DataState::Downloading(p) => {
            let [text_area, gauge_area] =
                Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
            let ratio = p
                .total
                .filter(|t| *t > 0)
                .map_or(0.0, |t| (p.done as f64 / t as f64).clamp(0.0, 1.0));
            let label = match p.total {
                Some(total) => format!("{} {} / {} KiB", p.file, p.done / 1024, total / 1024),
                None => format!("{} {} KiB", p.file, p.done / 1024),
            };
            f.render_widget(
                Gauge::default()
                    .ratio(ratio)
                    .label(label)
                    .gauge_style(t.train()),
                gauge_area,
            );
            centered_text(
                f,
                text_area,
                &format!("Downloading {title} into {root}…"),
                Style::new(),
            );
            return;
        }
        DataState::Missing { message, how } => {
            let how = if how.is_empty() {
                format!("put the four files {MNIST_FILES} in {dir}")
            } else {
                how.clone()
            };
            let download = if mnist {
                format!("Press {download} to download it (about 11 MB).\n\nOffline? ")
            } else {
                String::new()
            };
            format!(
                "{title} is not in {dir}.\n{message}\n\n{download}{}; or set MNIST_DATA_DIR \
                 to the data folder holding it and restart. Then press {retry} to retry.",
                capitalised(&how)
            )
        }
        DataState::Failed(e) => {
            let again = if mnist {
                format!(" (or press {download} to download them again)")
            } else {
                String::new()
            };
            format!(
                "{title} could not be read:\n{e}\n\nReplace the damaged files in {dir}{again}, \
                 then press {retry} to retry."
            )
        }
        DataState::Ready(_) => String::new(),
    };
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
}

fn loss_chart(f: &mut Frame, area: Rect, s: &LiveRun, app: &App) {
    let t = &app.theme;
    let raw = s.loss.points(false);
    let mut curves = Vec::new();
    let main: Vec<(f64, f64)> = if app.log_scale {
        to_log(raw)
    } else {
        raw.to_vec()
    };
    let smooth: Option<Vec<(f64, f64)>> = app.smooth.then(|| {
        let sm = s.loss.points(true);
        if app.log_scale {
            to_log(sm)
        } else {
            sm.to_vec()
        }
    });
    let range = y_range([main.as_slice()]);
    let y = match range {
        Some((lo, hi)) if app.log_scale => log_axis(lo, hi),
        Some((lo, hi)) => {
            let mut a = nice_axis(lo, hi, 4);
            if a.lo < 0.0 {
                a = nice_axis(0.0, hi, 4);
            }
            a
        }
        None => nice_axis(0.0, 1.0, 4),
    };
    let (raw_style, raw_name) = if smooth.is_some() {
        (t.dim(), "loss (raw)")
    } else {
        (t.train(), "loss")
    };
    curves.push(Curve {
        name: raw_name.into(),
        points: main,
        style: raw_style,
        index: 0,
    });
    if let Some(sm) = smooth {
        curves.push(Curve {
            name: "loss (EMA)".into(),
            points: sm,
            style: t.train().add_modifier(Modifier::BOLD),
            index: 1,
        });
    }
    if let Some(rate) = rate_curve(&s.rates, &y, t) {
        curves.push(rate);
    }
    let marks = s
        .lr_changes
        .iter()
        .enumerate()
        .map(|(i, c)| Mark {
            x: c.x,
            name: if i + 1 == s.lr_changes.len() {
                format!("lr→{}", format::approx(c.lr))
            } else {
                String::new()
            },
            style: t.lr_mark(),
        })
        .collect();
    let x_max = (s.settings.epochs as f64).max(raw.last().map_or(0.0, |p| p.0));
    let title = loss_title(app);
    draw_line_chart(
        f,
        area,
        LineChart {
            title,
            curves,
            marks,
            x: epoch_axis(x_max),
            y,
            x_title: "epoch",
            empty_text: "Waiting for the first loss point…".into(),
        },
        t,
    );
}

/// The rate in effect at each loss point, drawn on the loss chart: scaled so the
/// highest rate reaches the top of the loss axis, which the legend says (`lr, top 0.003`).
pub fn rate_curve(rates: &[(f64, f64)], y: &NiceAxis, t: &Theme) -> Option<Curve> {
    let top = rates.iter().map(|p| p.1).fold(0.0, f64::max);
    if !(top > 0.0 && top.is_finite()) {
        return None;
    }
    let points = rates
        .iter()
        .map(|&(x, lr)| (x, y.lo + lr / top * (y.hi - y.lo)))
        .collect();
    Some(Curve {
        name: format!("lr, top {}", format::approx(top)),
        points,
        style: t.lr_mark(),
        index: 2,
    })
}

fn accuracy_chart(f: &mut Frame, area: Rect, s: &LiveRun, app: &App) {
    let t = &app.theme;
    let [train, val, test] = s.accuracy_points();
    let min = y_range([train.as_slice(), val.as_slice(), test.as_slice()]).map(|r| r.0);
    let mut curves = vec![Curve {
        name: "train".into(),
        points: train,
        style: t.train(),
        index: 0,
    }];
    if !val.is_empty() {
        curves.push(Curve {
            name: "val".into(),
            points: val,
            style: t.test(),
            index: 1,
        });
    }
    if !test.is_empty() {
        curves.push(Curve {
            name: "test (each epoch)".into(),
            points: test,
            style: t.series(2),
            index: 2,
        });
    }
    draw_line_chart(
        f,
        area,
        LineChart {
            title: "Accuracy % per epoch".into(),
            curves,
            marks: Vec::new(),
            x: epoch_axis(s.settings.epochs as f64),
            y: accuracy_axis(min),
            x_title: "epoch",
            empty_text: "Accuracy appears after the first epoch.".into(),
        },
        t,
    );
}

fn progress(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let block = titled_block(" Progress ", t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [epoch_area, run_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(inner);
    let Some(s) = &app.train.session else {
        f.render_widget(
            Paragraph::new(Span::styled(" No run yet", t.dim())),
            epoch_area,
        );
        return;
    };
    let epoch_label = if s.phase == RunPhase::Evaluating {
        format!("epoch {} · evaluating", s.epoch)
    } else {
        format!(
            "epoch {} · batch {}/{}",
            s.epoch.max(1),
            s.batch,
            s.batches_per_epoch
        )
    };
    f.render_widget(
        Gauge::default()
            .ratio(s.epoch_ratio())
            .label(epoch_label)
            .gauge_style(t.train()),
        epoch_area,
    );
    let eta = s
        .eta()
        .map_or(String::new(), |d| format!(" · ETA {}", format::elapsed(d)));
    f.render_widget(
        Gauge::default()
            .ratio(s.run_ratio())
            .label(format!(
                "run {:.0}% of {} epochs{eta}",
                s.run_ratio() * 100.0,
                s.settings.epochs
            ))
            .gauge_style(phase_style(&s.phase, t)),
        run_area,
    );
}

/// `text` with its first letter in upper case.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or(String::new(), |c| c.to_uppercase().chain(chars).collect())
}
