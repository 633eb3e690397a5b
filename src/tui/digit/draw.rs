//! The Digit view: the canvas or an image, the model input, the prediction and its
//! probability bars. The mistake gallery is drawn by [`super::gallery`].

use super::layout::{self as digit_layout, DigitLayout};
use super::state::{DigitMode, DigitState, Verdict};
use crate::data::DatasetInfo;
use crate::digit::{render_digit, render_gray_fit, render_image_fit};
use crate::predict::Prediction;
use crate::tui::app::App;
use crate::tui::keymap::{Action, Keymap, Scope};
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{centered_text, titled_block};
use ratatui::Frame;
use ratatui::layout::{Direction, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph, Wrap};

/// Draws the Digit view.
pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let d = &app.digit;
    if d.mode == DigitMode::Gallery {
        super::gallery::render(f, area, app);
        return;
    }
    let l = digit_layout::digit(area);
    header(f, l.header, app);
    match d.mode {
        DigitMode::Image => image_panels(f, &l, d, &app.theme, &app.keys),
        DigitMode::Browse => browse_panels(f, &l, app),
        _ => draw_panels(f, &l, d, &app.theme),
    }
    prediction_panel(f, l.prediction, d, &app.theme, &app.keys);
}

/// The model line of the header (shared with the gallery).
pub fn model_line<'a>(app: &'a App) -> Line<'a> {
    let d = &app.digit;
    let t = &app.theme;
    let mut spans = vec![Span::styled(" Model ", t.dim())];
    match &d.model_id {
        None => spans.push(Span::styled(
            "none: no finished run yet (train one in the Train view, 1)",
            t.warn(),
        )),
        Some(id) => {
            spans.push(Span::styled(id.as_str(), t.accent()));
            let record = app.runs.get(id).and_then(|e| e.record());
            if let Some(r) = record {
                // The model was chosen by validation accuracy: say it first; the test
                // figure is the reported one.
                let val = r
                    .val_acc()
                    .map_or(String::new(), |a| format!(" · val {:.2}%", a * 100.0));
                let test = r
                    .test_acc()
                    .map_or(String::new(), |a| format!(" · test {:.2}%", a * 100.0));
                let acc = format!("{val}{test}");
                spans.push(Span::styled(format!(" ({}{acc})", r.config.model), t.dim()));
            }
            if d.model_loading {
                spans.push(Span::styled("  loading…", t.warn()));
            } else if let Some(e) = &d.model_error {
                spans.push(Span::styled(format!("  cannot load: {e}"), t.bad()));
            }
        }
    }
    let key = |a| app.keys.key_for(Scope::Digit, a);
    spans.push(Span::styled(
        format!(
            "   {}/{}: other run",
            key(Action::NextModel),
            key(Action::PrevModel)
        ),
        t.dim(),
    ));
    Line::from(spans)
}

fn header(f: &mut Frame, area: Rect, app: &App) {
    let d = &app.digit;
    let t = &app.theme;
    let source = if d.editing {
        Line::from(
            std::iter::once(Span::styled(" Image path ", t.dim()))
                .chain(crate::tui::ui::widgets::input_spans(
                    &d.path,
                    t.selected(),
                    "█",
                    t.selected(),
                ))
                .collect::<Vec<_>>(),
        )
    } else {
        match d.mode {
            DigitMode::Image => {
                let name = d
                    .image
                    .as_ref()
                    .map_or(String::new(), |i| i.path.display().to_string());
                let inverted = d
                    .image
                    .as_ref()
                    .and_then(|i| i.prepared.as_ref().ok())
                    .is_some_and(|p| p.inverted);
                Line::from(vec![
                    Span::styled(" Image ", t.dim()),
                    Span::raw(name),
                    Span::styled(
                        if inverted {
                            "  (dark ink on light: inverted)"
                        } else {
                            ""
                        },
                        t.dim(),
                    ),
                ])
            }
            DigitMode::Browse => {
                let key = |a| app.keys.key_for(Scope::Digit, a);
                let dataset = d.dataset();
                let at = match &d.browsed {
                    Some(b) => format!("#{} of {}", b.index, b.count),
                    None => "loading…".to_string(),
                };
                Line::from(vec![
                    Span::styled(" Test images ", t.dim()),
                    Span::raw(format!("of {}: {at}", dataset.title)),
                    Span::styled(
                        format!(
                            "  {}/{} steps · {} draws · {} opens an image",
                            key(Action::PrevImage),
                            key(Action::NextImage),
                            key(Action::DrawMode),
                            key(Action::OpenPath)
                        ),
                        t.dim(),
                    ),
                ])
            }
            _ => {
                let key = |a| app.keys.key_for(Scope::Digit, a);
                Line::from(Span::styled(
                    format!(
                        " Drawing: drag the left button to draw, the right one to erase · {} \
                         clears · {} saves · {} opens an image · {} test images",
                        key(Action::ClearCanvas),
                        key(Action::SaveDrawing),
                        key(Action::OpenPath),
                        key(Action::Browse)
                    ),
                    t.dim(),
                ))
            }
        }
    };
    let third = if let Some(p) = &d.image_loading {
        Line::from(Span::styled(format!(" loading {}…", p.display()), t.warn()))
    } else if !d.completions.is_empty() {
        Line::from(Span::styled(
            format!(" {}", d.completions.join("  ")),
            t.dim(),
        ))
    } else {
        Line::default()
    };
    f.render_widget(Paragraph::new(vec![model_line(app), source, third]), area);
}

fn lines(v: Vec<String>) -> Vec<Line<'static>> {
    v.into_iter().map(Line::from).collect()
}

fn draw_panels(f: &mut Frame, l: &DigitLayout, d: &DigitState, t: &Theme) {
    let block = titled_block(" Canvas 28×28 ", t);
    f.render_widget(block, l.big);
    match digit_layout::canvas_cells(l.big) {
        Some(cells) => {
            let text = lines(render_digit(&d.canvas.to_pixels(), d.style));
            f.render_widget(Paragraph::new(text), cells);
        }
        None => centered_text(
            f,
            crate::tui::layout::inner(l.big),
            "Enlarge the terminal to draw (the canvas needs 58 × 30 cells)",
            t.warn(),
        ),
    }
    let block = titled_block(" Model input ", t);
    let inner = block.inner(l.side);
    f.render_widget(block, l.side);
    model_input_small(f, inner, d, t);
}

/// What the model classifies, for texts: "digit" for digit datasets, else "image".
fn thing(d: &DigitState) -> &'static str {
    if d.dataset().is_digits() {
        "digit"
    } else {
        "image"
    }
}

fn model_input_small(f: &mut Frame, area: Rect, d: &DigitState, t: &Theme) {
    match &d.verdict {
        Verdict::Digit { pixels, .. } => {
            let img = image::GrayImage::from_raw(28, 28, pixels.to_vec());
            if let Some(img) = img {
                let rows =
                    render_gray_fit(&img, area.width as usize, area.height as usize, d.style);
                f.render_widget(Paragraph::new(lines(rows)), area);
            }
        }
        Verdict::NoDigit(reason) => {
            centered_text(f, area, &format!("No {}: {reason}", thing(d)), t.warn())
        }
        Verdict::Nothing if d.dataset().is_digits() => {
            centered_text(f, area, "Draw a digit on the canvas", t.dim())
        }
        Verdict::Nothing => centered_text(f, area, "Draw on the canvas", t.dim()),
    }
}

fn image_panels(f: &mut Frame, l: &DigitLayout, d: &DigitState, t: &Theme, keys: &Keymap) {
    let block = titled_block(" Model input 28×28 ", t);
    let inner = block.inner(l.big);
    f.render_widget(block, l.big);
    match &d.verdict {
        Verdict::Digit { pixels, .. } => {
            f.render_widget(Paragraph::new(lines(render_digit(pixels, d.style))), inner);
        }
        Verdict::NoDigit(reason) => centered_text(
            f,
            inner,
            &format!("No {} found: {reason}", thing(d)),
            t.warn(),
        ),
        Verdict::Nothing => centered_text(
            f,
            inner,
            &format!(
                "No image: press {} and type a path",
                keys.key_for(Scope::Digit, Action::OpenPath)
            ),
            t.dim(),
        ),
    }
    let block = titled_block(" Original ", t);
    let inner = block.inner(l.side);
    f.render_widget(block, l.side);
    if let Some(img) = &d.image {
        let rows = render_image_fit(
            &img.preview,
            inner.width as usize,
            inner.height as usize,
            d.style,
        );
        f.render_widget(Paragraph::new(lines(rows)), inner);
    }
}

/// Browsing the test images: the image (the model's input as it is) and what it is.
fn browse_panels(f: &mut Frame, l: &DigitLayout, app: &App) {
    let d = &app.digit;
    let t = &app.theme;
    let dataset = d.dataset();
    let title = match &d.browsed {
        Some(b) => format!(" Test image #{} ", b.index),
        None => " Test image ".to_string(),
    };
    let block = titled_block(title, t);
    let inner = block.inner(l.big);
    f.render_widget(block, l.big);
    let Some(b) = &d.browsed else {
        let why = app
            .data
            .not_ready(&dataset.name, &app.keys)
            .unwrap_or_else(|| format!("{} has no test image", dataset.title));
        centered_text(f, inner, &why, t.warn());
        return;
    };
    f.render_widget(
        Paragraph::new(lines(render_digit(&b.pixels, d.style))),
        inner,
    );
    let block = titled_block(" About ", t);
    let inner = block.inner(l.side);
    f.render_widget(block, l.side);
    let truth = dataset.class_name(usize::from(b.label));
    let mut text = vec![
        Line::from(Span::styled(
            format!(" {} test image {} of {}", dataset.title, b.index, b.count),
            t.dim(),
        )),
        Line::raw(""),
        Line::from(vec![
            Span::styled(" True class  ", t.dim()),
            Span::styled(truth, t.good().add_modifier(Modifier::BOLD)),
        ]),
    ];
    if let Some(p) = d.prediction() {
        let right = p.class == b.label;
        text.push(Line::from(vec![
            Span::styled(" Model says  ", t.dim()),
            Span::styled(
                p.verdict(&dataset),
                if right { t.good() } else { t.bad() }.add_modifier(Modifier::BOLD),
            ),
            Span::styled(if right { "  right" } else { "  wrong" }, t.dim()),
        ]));
    }
    let key = |a| app.keys.key_for(Scope::Digit, a);
    text.push(Line::raw(""));
    text.push(Line::from(Span::styled(
        format!(
            " {}/{} previous/next image · {} the model's mistakes",
            key(Action::PrevImage),
            key(Action::NextImage),
            key(Action::Gallery)
        ),
        t.dim(),
    )));
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
}

fn prediction_panel(f: &mut Frame, area: Rect, d: &DigitState, t: &Theme, keys: &Keymap) {
    let block = titled_block(" Prediction ", t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let text: Vec<Line> = match &d.verdict {
        Verdict::Digit {
            prediction: Some(p),
            ..
        } => summary(p, &d.dataset(), t),
        Verdict::Digit {
            prediction: None, ..
        } if d.predictor.is_some() => match &d.prediction_error {
            Some(e) => vec![
                Line::from(Span::styled(" cannot predict", t.bad())),
                Line::from(Span::styled(format!(" {e}"), t.dim())),
            ],
            None => vec![Line::from(Span::styled(" predicting…", t.dim()))],
        },
        Verdict::Digit {
            prediction: None, ..
        } if d.model_loading => {
            vec![Line::from(Span::styled(" loading the model…", t.warn()))]
        }
        Verdict::Digit {
            prediction: None, ..
        } => {
            vec![Line::from(Span::styled(
                format!(
                    " no model: press {} to choose a run",
                    keys.key_for(Scope::Digit, Action::NextModel)
                ),
                t.warn(),
            ))]
        }
        Verdict::NoDigit(reason) => vec![
            Line::from(Span::styled(format!(" no {} found", thing(d)), t.warn())),
            Line::from(Span::styled(format!(" {reason}"), t.dim())),
        ],
        Verdict::Nothing if d.mode == DigitMode::Browse => vec![Line::from(Span::styled(
            " waiting for the test images",
            t.warn(),
        ))],
        Verdict::Nothing => vec![Line::from(Span::styled(
            " nothing to classify yet",
            t.dim(),
        ))],
    };
    let head = (text.len() as u16 + 1).min(inner.height);
    f.render_widget(
        Paragraph::new(text),
        Rect {
            height: head,
            ..inner
        },
    );
    let bars_area = Rect {
        y: inner.y + head,
        height: inner.height - head,
        ..inner
    };
    if let Some(p) = d.prediction() {
        let dataset = d.dataset();
        let shown = p.probabilities.len().min(MAX_BARS);
        let bars_area = if p.probabilities.len() > MAX_BARS && bars_area.height > 0 {
            f.render_widget(
                Paragraph::new(Line::from(Span::styled(
                    format!(" top {shown} of {} classes", p.probabilities.len()),
                    t.dim(),
                ))),
                bars_area,
            );
            Rect {
                y: bars_area.y + 1,
                height: bars_area.height - 1,
                ..bars_area
            }
        } else {
            bars_area
        };
        f.render_widget(probability_bars(p, &dataset, t), bars_area);
    }
}

/// Most probability bars shown: one per class up to this many classes, else the most
/// probable this many.
pub const MAX_BARS: usize = 10;

fn summary(p: &Prediction, dataset: &DatasetInfo, t: &Theme) -> Vec<Line<'static>> {
    let others: Vec<String> = p
        .top(3)
        .iter()
        .skip(1)
        .map(|&(c, q)| format!("{} {:.1}%", dataset.class_name(usize::from(c)), q * 100.0))
        .collect();
    let (label, style) = if p.is_unsure() {
        (" Model ", t.bad())
    } else if dataset.is_digits() {
        (" Digit ", t.accent())
    } else {
        (" Class ", t.accent())
    };
    vec![
        Line::from(vec![
            Span::raw(label),
            Span::styled(p.verdict(dataset), style.add_modifier(Modifier::BOLD)),
            Span::raw(format!("  {:.1}%", p.confidence() * 100.0)),
        ]),
        Line::from(Span::styled(
            format!(" then {}", others.join(" · ")),
            t.dim(),
        )),
    ]
}

/// The probabilities as horizontal bars (0–100 %) named by class: one per class in
/// class order up to [`MAX_BARS`] classes, else the [`MAX_BARS`] most probable, most
/// probable first.
pub fn probability_bars(p: &Prediction, dataset: &DatasetInfo, t: &Theme) -> BarChart<'static> {
    let shown: Vec<(usize, f32)> = if p.probabilities.len() <= MAX_BARS {
        p.probabilities.iter().copied().enumerate().collect()
    } else {
        p.top(MAX_BARS)
            .into_iter()
            .map(|(c, q)| (usize::from(c), q))
            .collect()
    };
    let bars: Vec<Bar> = shown
        .into_iter()
        .map(|(d, q)| {
            let style = if d == usize::from(p.class) {
                t.good()
            } else {
                t.dim()
            };
            Bar::default()
                .label(Line::from(dataset.class_name(d)))
                .value((q * 1000.0).round() as u64)
                .text_value(format!("{:.1}%", q * 100.0))
                .style(style)
        })
        .collect();
    BarChart::default()
        .direction(Direction::Horizontal)
        .data(BarGroup::default().bars(&bars))
        .bar_width(1)
        .bar_gap(0)
        .max(1000)
}
