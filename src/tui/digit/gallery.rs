//! The mistake gallery: a model's wrong answers on its dataset's test set, most
//! confident first, as small ASCII cards (true → predicted class by name), beside its
//! confusion matrix (or, above 12 classes, its largest mistakes).

use super::layout::{
    self as digit_layout, CARD_HEIGHT, CARD_WIDTH, CONFUSION_CELL, GalleryLayout,
    confusion_label_width,
};
use super::state::Gallery;
use crate::data::{DatasetInfo, Split};
use crate::digit::render_gray_fit;
use crate::predict::{Mistake, MistakeReport};
use crate::runs::report::{MATRIX_MAX_CLASSES, dataset_class_label, largest_confusions};
use crate::tui::app::{App, DataState};
use crate::tui::keymap::{Action, Scope};
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{centered_text, titled_block};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Draws the gallery of the Digit view.
pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let dataset = app.digit.dataset();
    let title = &dataset.title;
    let l = digit_layout::gallery(area, &dataset);
    let waiting = || {
        app.data
            .not_ready(&dataset.name, &app.keys)
            .unwrap_or_else(|| format!("{title} is loaded"))
    };
    let second = match &app.digit.gallery {
        Some(Gallery::Ready(_, r)) => Line::from(Span::styled(
            format!(
                " Mistakes on {title} test: {} of {} wrong ({:.2}% right), most confident first",
                r.mistakes.len(),
                r.total,
                r.accuracy() * 100.0
            ),
            t.accent(),
        )),
        Some(Gallery::NeedsData(_)) => Line::from(Span::styled(
            format!(" waiting for {title}'s test images: {}", waiting()),
            t.warn(),
        )),
        Some(Gallery::Loading(_)) => {
            Line::from(Span::styled(" classifying the test set…", t.warn()))
        }
        Some(Gallery::Failed(_, e)) => Line::from(Span::styled(format!(" failed: {e}"), t.bad())),
        None => Line::default(),
    };
    let key = |a| app.keys.key_for(Scope::Digit, a);
    let third = Line::from(Span::styled(
        format!(
            " ↑↓ PgUp PgDn scroll · {} or {} back · title: test index, true → predicted, \
             confidence",
            key(Action::Gallery),
            key(Action::Back)
        ),
        t.dim(),
    ));
    f.render_widget(
        Paragraph::new(vec![super::draw::model_line(app), second, third]),
        l.header,
    );
    let block = titled_block(" Mistakes ", t);
    let inner = block.inner(l.cards);
    f.render_widget(block, l.cards);
    match &app.digit.gallery {
        Some(Gallery::Ready(_, report)) => {
            match app.data.ready(&dataset.name) {
                Some(data) => cards(f, inner, &l, report, &dataset, data.split(Split::Test), app),
                None => centered_text(f, inner, &waiting(), t.warn()),
            }
            confusion(f, l.confusion, report, &dataset, t);
        }
        Some(Gallery::NeedsData(_)) => {
            let mut text = waiting();
            if let DataState::Missing { how, .. } = &app.data.state
                && app.data.name == dataset.name
                && !how.is_empty()
            {
                text = format!("{text}\n\nTo get it: {how}");
            }
            centered_text(f, inner, &text, t.warn())
        }
        Some(Gallery::Loading(_)) => centered_text(
            f,
            inner,
            &format!("Classifying {title}'s test images…"),
            t.warn(),
        ),
        Some(Gallery::Failed(_, e)) => centered_text(f, inner, e, t.bad()),
        None => centered_text(f, inner, "No gallery yet", t.dim()),
    }
}

/// A card's title: `#index true → predicted confidence` on one line when it fits in
/// `width`, else the index and confidence, then the classes.
fn card_title(m: &Mistake, dataset: &DatasetInfo, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let truth = dataset.class_name(usize::from(m.label));
    let predicted = dataset.class_name(usize::from(m.prediction.class));
    let index = format!("#{} ", m.index);
    let confidence = format!(" {:.0}%", m.prediction.confidence() * 100.0);
    let classes = vec![
        Span::styled(truth, t.good()),
        Span::raw(" → "),
        Span::styled(predicted, t.bad()),
    ];
    let classes_width: usize = classes.iter().map(|s| s.width()).sum();
    if index.chars().count() + classes_width + confidence.chars().count() <= width {
        let mut spans = vec![Span::styled(index, t.dim())];
        spans.extend(classes);
        spans.push(Span::raw(confidence));
        vec![Line::from(spans)]
    } else {
        vec![
            Line::from(vec![
                Span::styled(index, t.dim()),
                Span::raw(confidence.trim_start().to_string()),
            ]),
            Line::from(classes),
        ]
    }
}

fn cards(
    f: &mut Frame,
    area: Rect,
    l: &GalleryLayout,
    report: &MistakeReport,
    dataset: &DatasetInfo,
    test: &crate::data::Samples,
    app: &App,
) {
    let t = &app.theme;
    if report.mistakes.is_empty() {
        centered_text(f, area, "No mistakes at all", t.good());
        return;
    }
    let first_row = app.digit.gallery_scroll;
    for row in 0..l.rows {
        for col in 0..l.columns {
            let i = (first_row + row) * l.columns + col;
            let Some(m) = report.mistakes.get(i) else {
                return;
            };
            let x = area.x + col as u16 * CARD_WIDTH;
            let y = area.y + row as u16 * CARD_HEIGHT;
            let card = Rect::new(x, y, CARD_WIDTH - 2, CARD_HEIGHT - 1).intersection(area);
            if card.is_empty() {
                continue;
            }
            let mut text = card_title(m, dataset, card.width as usize, t);
            let pixels = test.images.get(m.index * 784..(m.index + 1) * 784);
            if let Some(img) = pixels.and_then(|p| image::GrayImage::from_raw(28, 28, p.to_vec())) {
                let rows = render_gray_fit(
                    &img,
                    card.width as usize,
                    (card.height as usize).saturating_sub(text.len()),
                    app.digit.style,
                );
                text.extend(rows.into_iter().map(Line::from));
            }
            f.render_widget(Paragraph::new(text), card);
        }
    }
}

/// The confusion of the model on the test set: the matrix (rows the true class by
/// name, columns the predicted one by number, named in a legend unless the classes are
/// the digits) up to [`MATRIX_MAX_CLASSES`] classes, else the largest mistakes, as
/// `runs show` lists them.
fn confusion(f: &mut Frame, area: Rect, report: &MistakeReport, dataset: &DatasetInfo, t: &Theme) {
    let n = report.confusion.len();
    if n > MATRIX_MAX_CLASSES {
        largest_mistakes(f, area, report, dataset, t);
        return;
    }
    let w = confusion_label_width(dataset);
    let label = |c: usize| {
        if dataset.is_digits() {
            c.to_string()
        } else {
            dataset_class_label(dataset, c)
        }
    };
    let block = titled_block(" Confusion: true ↓ predicted → ", t);
    let mut text = vec![Line::from(Span::styled(
        format!(
            "{:w$}{}",
            "",
            (0..n)
                .map(|d| format!("{d:>CONFUSION_CELL$}"))
                .collect::<String>()
        ),
        t.dim(),
    ))];
    for (truth, row) in report.confusion.iter().enumerate() {
        let mut spans = vec![Span::styled(format!("{:>w$}", label(truth)), t.dim())];
        for (pred, &n) in row.iter().enumerate() {
            let style = if truth == pred {
                t.good()
            } else if n > 0 {
                t.bad()
            } else {
                t.dim()
            };
            spans.push(Span::styled(format!("{n:>CONFUSION_CELL$}"), style));
        }
        text.push(Line::from(spans));
    }
    if !dataset.is_digits() {
        let legend: Vec<String> = (0..n).map(|c| format!("{c} {}", label(c))).collect();
        text.push(Line::default());
        text.push(Line::from(Span::styled(
            format!("pred: {}", legend.join(", ")),
            t.dim(),
        )));
    }
    f.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
        area,
    );
}

/// The largest off-diagonal cells of the confusion, as many as fit.
fn largest_mistakes(
    f: &mut Frame,
    area: Rect,
    report: &MistakeReport,
    dataset: &DatasetInfo,
    t: &Theme,
) {
    let w = confusion_label_width(dataset);
    let block = titled_block(
        format!(" Largest mistakes ({} classes) ", report.confusion.len()),
        t,
    );
    let room = area.height.saturating_sub(3) as usize;
    let mut text = vec![Line::from(Span::styled(
        format!(
            "{:>w$} → {:<w$} {:>CONFUSION_CELL$}",
            "true", "pred", "count"
        ),
        t.dim(),
    ))];
    let cells = largest_confusions(&report.confusion);
    if cells.is_empty() {
        text.push(Line::from(Span::styled("no mistakes", t.good())));
    }
    for (n, truth, pred) in cells.into_iter().take(room) {
        text.push(Line::from(vec![
            Span::styled(
                format!("{:>w$}", dataset_class_label(dataset, truth)),
                t.good(),
            ),
            Span::raw(" → "),
            Span::styled(
                format!("{:<w$}", dataset_class_label(dataset, pred)),
                t.bad(),
            ),
            Span::raw(format!(" {n:>CONFUSION_CELL$}")),
        ]));
    }
    f.render_widget(Paragraph::new(text).block(block), area);
}
