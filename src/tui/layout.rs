//! Screen geometry, shared by drawing and by mouse hit-testing so a click always lands
//! on what is drawn there. Everything here is pure arithmetic on [`Rect`]s.

use super::view::View;
use ratatui::layout::{Constraint, Layout, Rect};

/// Smallest usable terminal width; below it a "too small" message is shown.
pub const MIN_WIDTH: u16 = 60;
/// Smallest usable terminal height.
pub const MIN_HEIGHT: u16 = 20;
/// The app name at the left of the tab bar.
pub const TITLE: &str = " mnist-tui ";
/// Width of the Train view's left column (settings and status).
const LEFT_COLUMN: u16 = 36;
/// Rows of the settings form: one per training setting, and the [Start] button.
pub fn form_rows() -> u16 {
    crate::train::SETTINGS.len() as u16 + 1
}

/// The three bands of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    /// Tab bar (top line).
    pub tabs: Rect,
    /// The current view.
    pub body: Rect,
    /// Key bar (bottom line).
    pub keybar: Rect,
}

/// Whether `area` is too small for the views.
pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// Splits the screen; `None` when the terminal is too small.
pub fn screen(area: Rect) -> Option<Screen> {
    if too_small(area) {
        return None;
    }
    let [tabs, body, keybar] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    Some(Screen { tabs, body, keybar })
}

/// The label of a view's tab.
pub fn tab_label(view: View) -> &'static str {
    match view {
        View::Train => " 1 Train ",
        View::Runs => " 2 Runs ",
        View::Digit => " 3 Digit ",
    }
}

/// Where each tab label is drawn in the tab bar.
pub fn tab_rects(tabs: Rect) -> Vec<(View, Rect)> {
    let mut x = tabs.x + TITLE.len() as u16 + 1;
    let mut out = Vec::new();
    for view in View::ALL {
        let w = tab_label(view).chars().count() as u16;
        let r = Rect::new(x, tabs.y, w, 1).intersection(tabs);
        out.push((view, r));
        x = x.saturating_add(w + 1);
    }
    out
}

/// Regions of the Train view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainLayout {
    /// Settings form (bordered).
    pub form: Rect,
    /// Status and latest metrics (bordered).
    pub status: Rect,
    /// Loss chart.
    pub loss: Rect,
    /// Accuracy chart.
    pub accuracy: Rect,
    /// Epoch and run gauges (bordered).
    pub progress: Rect,
}

/// Splits the Train view's body.
pub fn train(body: Rect) -> TrainLayout {
    let [left, right] =
        Layout::horizontal([Constraint::Length(LEFT_COLUMN), Constraint::Min(0)]).areas(body);
    // The form takes what its rows need, but at most half the column (at least
    // FORM_MIN_HEIGHT): the Run panel below keeps room for the run and a sweep's queue,
    // and the form scrolls.
    let height = (form_rows() + 3).min((left.height / 2).max(FORM_MIN_HEIGHT));
    let [form, status] =
        Layout::vertical([Constraint::Length(height), Constraint::Min(0)]).areas(left);
    let [charts, progress] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(4)]).areas(right);
    let [loss, accuracy] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(charts);
    TrainLayout {
        form,
        status,
        loss,
        accuracy,
        progress,
    }
}

/// The form's smallest height (borders, a few fields and the help line).
const FORM_MIN_HEIGHT: u16 = 10;

/// How many settings `form` shows at once: its inner height less the [Start] row and
/// the help line, which stay in place while the settings scroll.
pub fn form_visible(form: Rect) -> usize {
    inner(form).height.saturating_sub(2) as usize
}

/// The first setting shown while field `selected` is selected: scrolled just enough to
/// show it ([Start] selected: as for the last setting). Drawing and clicks agree on it.
pub fn form_offset(form: Rect, selected: usize) -> usize {
    let settings = form_rows() as usize - 1;
    (selected.min(settings - 1) + 1).saturating_sub(form_visible(form).max(1))
}

/// The row of form field `index` while `selected` is selected; `None` when it is
/// scrolled out of view. [Start] (the last field) is always shown, below the settings.
pub fn form_row(form: Rect, index: usize, selected: usize) -> Option<Rect> {
    let inner = inner(form);
    let settings = form_rows() as usize - 1;
    let visible = form_visible(form);
    let shown = if index >= settings {
        visible.min(settings)
    } else {
        let shown = index.checked_sub(form_offset(form, selected))?;
        if shown >= visible {
            return None;
        }
        shown
    };
    Some(Rect::new(inner.x, inner.y + shown as u16, inner.width, 1).intersection(inner))
}

/// The form's help line (its last inner line).
pub fn form_note_row(form: Rect) -> Rect {
    let inner = inner(form);
    Rect::new(
        inner.x,
        inner.y + inner.height.saturating_sub(1),
        inner.width,
        1,
    )
    .intersection(inner)
}

/// Which form field, if any, is at `(x, y)` while `selected` is selected.
pub fn form_field_at(form: Rect, x: u16, y: u16, selected: usize) -> Option<usize> {
    let inner = inner(form);
    if !contains(inner, x, y) {
        return None;
    }
    (0..form_rows() as usize).find(|&i| form_row(form, i, selected).is_some_and(|r| r.y == y))
}

/// Regions of the Runs view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunsLayout {
    /// Table of runs (bordered, with a header line).
    pub table: Rect,
    /// Loss curves of the compared runs.
    pub loss: Rect,
    /// Accuracy curves of the compared runs.
    pub accuracy: Rect,
    /// Settings side by side.
    pub settings: Rect,
}

/// Splits the Runs view's body.
pub fn runs(body: Rect) -> RunsLayout {
    let [table, compare] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body);
    let [loss, accuracy, settings] = Layout::horizontal([
        Constraint::Percentage(37),
        Constraint::Percentage(30),
        Constraint::Percentage(33),
    ])
    .areas(compare);
    RunsLayout {
        table,
        loss,
        accuracy,
        settings,
    }
}

/// Number of run rows the table shows (its height minus borders and header).
pub fn table_visible_rows(table: Rect) -> usize {
    table.height.saturating_sub(3) as usize
}

/// The widths of the runs table's columns, in [`crate::tui::runs::table::SortColumn::ALL`]
/// order (drawing and header clicks share them).
pub const RUNS_COLUMNS: [Constraint; 11] = [
    Constraint::Min(12),
    Constraint::Length(11),
    Constraint::Length(12),
    Constraint::Length(15),
    Constraint::Length(7),
    Constraint::Length(5),
    Constraint::Length(6),
    Constraint::Length(8),
    Constraint::Length(8),
    Constraint::Length(7),
    Constraint::Length(9),
];

/// Spaces between the runs table's columns.
pub const RUNS_COLUMN_SPACING: u16 = 1;

/// Which column (index into [`RUNS_COLUMNS`]) of the runs table's header is at `(x, y)`,
/// laid out as ratatui's `Table` lays it out.
pub fn table_column_at(table: Rect, x: u16, y: u16) -> Option<usize> {
    let header = table_header(table);
    if !contains(header, x, y) {
        return None;
    }
    runs_columns(table)
        .iter()
        .position(|c| x >= c.x && x < c.x.saturating_add(c.width))
}

/// The runs table's columns on its header line, laid out as ratatui's `Table` lays
/// them out (their widths are the cells' widths).
pub fn runs_columns(table: Rect) -> std::rc::Rc<[Rect]> {
    Layout::horizontal(RUNS_COLUMNS)
        .flex(ratatui::layout::Flex::Start)
        .spacing(RUNS_COLUMN_SPACING)
        .split(table_header(table))
}

/// Where the header line of the runs table is.
pub fn table_header(table: Rect) -> Rect {
    let inner = inner(table);
    Rect::new(inner.x, inner.y, inner.width, 1).intersection(inner)
}

/// Which visible row (0 = first shown) of the runs table is at `(x, y)`.
pub fn table_row_at(table: Rect, x: u16, y: u16) -> Option<usize> {
    let inner = inner(table);
    if !contains(inner, x, y) || y == inner.y {
        return None;
    }
    let i = (y - inner.y - 1) as usize;
    (i < table_visible_rows(table)).then_some(i)
}

/// The area inside a one-cell border.
pub fn inner(r: Rect) -> Rect {
    Rect::new(
        r.x.saturating_add(1),
        r.y.saturating_add(1),
        r.width.saturating_sub(2),
        r.height.saturating_sub(2),
    )
}

/// Whether `(x, y)` lies in `r`.
pub fn contains(r: Rect, x: u16, y: u16) -> bool {
    x >= r.x && x < r.x.saturating_add(r.width) && y >= r.y && y < r.y.saturating_add(r.height)
}

/// A rectangle of `width` × `height` centred in `area` (clamped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_screens_have_no_views() {
        assert!(screen(Rect::new(0, 0, 1, 1)).is_none());
        assert!(screen(Rect::new(0, 0, 120, 0)).is_none());
        assert!(screen(Rect::new(0, 0, 59, 40)).is_none());
        assert!(screen(Rect::new(0, 0, 60, 20)).is_some());
    }

    #[test]
    fn tabs_do_not_overlap() {
        let s = screen(Rect::new(0, 0, 120, 40)).unwrap();
        let tabs = tab_rects(s.tabs);
        assert_eq!(tabs.len(), 3);
        for w in tabs.windows(2) {
            assert!(w[0].1.right() < w[1].1.x);
        }
    }

    #[test]
    fn form_rows_and_hits_agree_however_far_it_scrolled() {
        let t = train(Rect::new(0, 1, 120, 30));
        let rows = form_rows() as usize;
        assert!(
            form_visible(t.form) < rows,
            "a short screen scrolls the form"
        );
        for selected in 0..rows {
            let row = form_row(t.form, selected, selected).expect("the selection is shown");
            assert_eq!(
                form_field_at(t.form, row.x + 2, row.y, selected),
                Some(selected)
            );
            for i in 0..rows {
                if let Some(r) = form_row(t.form, i, selected) {
                    assert_eq!(form_field_at(t.form, r.x + 2, r.y, selected), Some(i));
                    assert_ne!(r.y, form_note_row(t.form).y);
                }
            }
        }
        assert_eq!(form_field_at(t.form, t.form.x, t.form.y, 0), None);
    }
}
