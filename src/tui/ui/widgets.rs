//! Pieces shared by the views: line charts with nice axes, centred messages, popups.

use crate::tui::layout;
use crate::tui::series::{NiceAxis, downsample};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Chart, Clear, Dataset, GraphType, LegendPosition, Paragraph, Wrap,
};

/// One curve of a chart.
pub struct Curve {
    /// Legend text (empty: not in the legend).
    pub name: String,
    /// Points (x, y) in axis units.
    pub points: Vec<(f64, f64)>,
    /// Colour.
    pub style: Style,
    /// Index for the theme's marker choice.
    pub index: usize,
}

/// A vertical marker line at `x` (e.g. a learning-rate change).
pub struct Mark {
    /// Where.
    pub x: f64,
    /// Legend text (empty: not in the legend).
    pub name: String,
    /// Colour.
    pub style: Style,
}

/// A line chart, described with owned data.
pub struct LineChart {
    /// Block title.
    pub title: String,
    /// Curves.
    pub curves: Vec<Curve>,
    /// Vertical markers.
    pub marks: Vec<Mark>,
    /// X axis bounds and labels.
    pub x: NiceAxis,
    /// Y axis bounds and labels.
    pub y: NiceAxis,
    /// X axis title.
    pub x_title: &'static str,
    /// Shown instead of the plot when there is no point.
    pub empty_text: String,
}

/// A bordered block with `title` in the accent style: every panel's frame.
pub fn titled_block<'a>(title: impl Into<std::borrow::Cow<'a, str>>, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.accent()))
}

/// The loss chart's title, naming the active display toggles.
pub fn loss_title(app: &crate::tui::app::App) -> String {
    let mut title = String::from("Loss");
    if app.log_scale {
        title.push_str(" · log");
    }
    if app.smooth {
        title.push_str(" · smoothed");
    }
    title
}

/// Draws `chart` in `area` (a bordered block), downsampling long curves to the width.
pub fn draw_line_chart(f: &mut Frame, area: Rect, chart: LineChart, theme: &Theme) {
    let block = titled_block(format!(" {} ", chart.title), theme);
    if chart.curves.iter().all(|c| c.points.is_empty()) {
        let inner = block.inner(area);
        f.render_widget(block, area);
        centered_text(f, inner, &chart.empty_text, theme.dim());
        return;
    }
    let max_points = (area.width as usize).saturating_mul(2).max(16);
    let curve_points: Vec<Vec<(f64, f64)>> = chart
        .curves
        .iter()
        .map(|c| downsample(&c.points, max_points))
        .collect();
    let mark_points: Vec<[(f64, f64); 2]> = chart
        .marks
        .iter()
        .map(|m| [(m.x, chart.y.lo), (m.x, chart.y.hi)])
        .collect();
    let plain = theme.marker == crate::config::ChartMarker::Ascii || !theme.color;
    let mut datasets = Vec::new();
    for (m, pts) in chart.marks.iter().zip(&mark_points) {
        let mut d = Dataset::default()
            .data(pts)
            .graph_type(GraphType::Line)
            .marker(if plain {
                ratatui::symbols::Marker::Custom('|')
            } else {
                theme.marker(0)
            })
            .style(m.style);
        if !m.name.is_empty() {
            d = d.name(if plain {
                format!("| {}", m.name)
            } else {
                m.name.clone()
            });
        }
        datasets.push(d);
    }
    for (c, pts) in chart.curves.iter().zip(&curve_points) {
        let graph = if pts.len() == 1 {
            GraphType::Scatter
        } else {
            GraphType::Line
        };
        let mut d = Dataset::default()
            .data(pts)
            .graph_type(graph)
            .marker(theme.marker(c.index))
            .style(c.style);
        if !c.name.is_empty() {
            d = d.name(if plain {
                format!("{} {}", theme.series_char(c.index), c.name)
            } else {
                c.name.clone()
            });
        }
        datasets.push(d);
    }
    let axis_style = theme.dim();
    let widget = Chart::new(datasets)
        .block(block)
        .x_axis(
            Axis::default()
                .title(Span::styled(chart.x_title, axis_style))
                .bounds([chart.x.lo, chart.x.hi])
                .labels(chart.x.labels.clone())
                .style(axis_style),
        )
        .y_axis(
            Axis::default()
                .bounds([chart.y.lo, chart.y.hi])
                .labels(chart.y.labels.clone())
                .style(axis_style),
        )
        .legend_position(Some(LegendPosition::TopRight))
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(2, 3)));
    f.render_widget(widget, area);
}

/// Text centred (vertically and horizontally) in `area`, wrapped.
pub fn centered_text(f: &mut Frame, area: Rect, text: &str, style: Style) {
    if area.is_empty() {
        return;
    }
    let lines = text.lines().count().max(1) as u16;
    let wrapped_guess = (text.chars().count() as u16 / area.width.max(1)).max(lines);
    let top = area.height.saturating_sub(wrapped_guess) / 2;
    let r = Rect::new(area.x, area.y + top, area.width, area.height - top);
    f.render_widget(
        Paragraph::new(text.to_string())
            .style(style)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        r,
    );
}

/// Clears a centred popup of at most `width` × `height` and draws its bordered block;
/// returns the area inside the border.
pub fn popup(
    f: &mut Frame,
    area: Rect,
    width: u16,
    height: u16,
    title: &str,
    theme: &Theme,
) -> Rect {
    let r = layout::centered(area, width, height);
    let block = titled_block(format!(" {title} "), theme);
    let inner = block.inner(r);
    f.render_widget(Clear, r);
    f.render_widget(block, r);
    inner
}

/// A line of key hints: key names styled as keys, actions dimmed.
pub fn key_hints(pairs: &[(&str, &str)], theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, (k, a)) in pairs.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(k.to_string(), theme.key()));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(a.to_string(), theme.dim()));
    }
    Line::from(spans)
}

/// A text field's spans: its text in `style` and the cursor, drawn as `end_mark` in
/// `mark_style` at the end of the text, or as the character under it reversed.
pub fn input_spans(
    input: &crate::tui::train::form::TextInput,
    style: Style,
    end_mark: &'static str,
    mark_style: Style,
) -> Vec<Span<'static>> {
    let (before, under, after) = input.split_at_cursor();
    let mut spans = vec![Span::styled(before.to_string(), style)];
    match under {
        None => spans.push(Span::styled(end_mark, mark_style)),
        Some(c) => {
            spans.push(Span::styled(
                c.to_string(),
                style.add_modifier(ratatui::style::Modifier::REVERSED),
            ));
            spans.push(Span::styled(after.to_string(), style));
        }
    }
    spans
}

/// A network's summary table ([`crate::model::Summary::lines`] without its memory
/// line), each line after `indent`: the header dimmed and underlined, the totals bold.
pub fn summary_table(
    summary: &crate::model::Summary,
    batch: usize,
    indent: &str,
    theme: &Theme,
) -> Vec<Line<'static>> {
    use ratatui::style::Modifier;
    let mut lines = summary.lines(batch);
    lines.pop();
    let last = lines.len().saturating_sub(1);
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let style = match i {
                0 => theme.dim().add_modifier(Modifier::UNDERLINED),
                _ if i == last => Style::new().add_modifier(Modifier::BOLD),
                _ => Style::new(),
            };
            Line::from(Span::styled(format!("{indent}{l}"), style))
        })
        .collect()
}
