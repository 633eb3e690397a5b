//! The mistake gallery: a model's wrong answers on the MNIST test set, most confident
//! first, as small ASCII cards, beside its 10 × 10 confusion matrix.

use super::layout::{self as digit_layout, CARD_HEIGHT, CARD_WIDTH, GalleryLayout};
use super::state::Gallery;
use crate::data::Split;
use crate::digit::render_gray_fit;
use crate::predict::MistakeReport;
use crate::tui::app::{App, DataState};
use crate::tui::keymap::{Action, Scope};
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{centered_text, titled_block};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Draws the gallery of the Digit view.
pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let l = digit_layout::gallery(area);
    let second = match &app.digit.gallery {
        Some(Gallery::Ready(_, r)) => Line::from(Span::styled(
            format!(
                " Mistakes on MNIST test: {} of {} wrong ({:.2}% right), most confident first",
                r.mistakes.len(),
                r.total,
                r.accuracy() * 100.0
            ),
            t.accent(),
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
    match (&app.digit.gallery, &app.data) {
        (Some(Gallery::Ready(_, report)), DataState::Ready(data)) => {
            cards(f, inner, &l, report, data.split(Split::Test), app);
            confusion(f, l.confusion, report, t);
        }
        (Some(Gallery::Ready(..)), _) => {
            centered_text(f, inner, "MNIST is not loaded", t.warn());
        }
        (Some(Gallery::Loading(_)), _) => {
            centered_text(f, inner, "Classifying the 10 000 test digits…", t.warn())
        }
        (Some(Gallery::Failed(_, e)), _) => centered_text(f, inner, e, t.bad()),
        (None, _) => centered_text(f, inner, "No gallery yet", t.dim()),
    }
}

fn cards(
    f: &mut Frame,
    area: Rect,
    l: &GalleryLayout,
    report: &MistakeReport,
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
            let mut text = vec![Line::from(vec![
                Span::styled(format!("#{} ", m.index), t.dim()),
                Span::styled(format!("{}", m.label), t.good()),
                Span::raw(" → "),
                Span::styled(format!("{}", m.prediction.class), t.bad()),
                Span::raw(format!(" {:.0}%", m.prediction.confidence() * 100.0)),
            ])];
            let pixels = test.images.get(m.index * 784..(m.index + 1) * 784);
            if let Some(img) = pixels.and_then(|p| image::GrayImage::from_raw(28, 28, p.to_vec())) {
                let rows = render_gray_fit(
                    &img,
                    card.width as usize,
                    card.height.saturating_sub(1) as usize,
                    app.digit.style,
                );
                text.extend(rows.into_iter().map(Line::from));
            }
            f.render_widget(Paragraph::new(text), card);
        }
    }
}

fn confusion(f: &mut Frame, area: Rect, report: &MistakeReport, t: &Theme) {
    let block = titled_block(" Confusion: true ↓ predicted → ", t);
    let mut text = vec![Line::from(Span::styled(
        format!(
            "   {}",
            (0..10).map(|d| format!("{d:>5}")).collect::<String>()
        ),
        t.dim(),
    ))];
    for (truth, row) in report.confusion.iter().enumerate() {
        let mut spans = vec![Span::styled(format!("{truth:>3}"), t.dim())];
        for (pred, &n) in row.iter().enumerate() {
            let style = if truth == pred {
                t.good()
            } else if n > 0 {
                t.bad()
            } else {
                t.dim()
            };
            spans.push(Span::styled(format!("{n:>5}"), style));
        }
        text.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(text).block(block), area);
}
