//! Geometry of the Digit view, shared by drawing and mouse hit-testing (the canvas).

use crate::data::DatasetInfo;
use crate::digit::canvas::CANVAS_SIDE;
use crate::runs::report::{MATRIX_MAX_CLASSES, dataset_class_label};
use crate::tui::layout::inner;
use ratatui::layout::{Constraint, Layout, Rect};

/// Width of a bordered 28 × 28 digit drawn two columns per pixel.
pub const DIGIT_BOX_WIDTH: u16 = CANVAS_SIDE as u16 * 2 + 2;
/// Height of a bordered 28 × 28 digit.
pub const DIGIT_BOX_HEIGHT: u16 = CANVAS_SIDE as u16 + 2;
/// Width of the prediction panel.
const PREDICTION_WIDTH: u16 = 34;
/// Lines of the header (model line, source line, completions).
const HEADER_ROWS: u16 = 3;

/// Regions of the Digit view (draw and image modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigitLayout {
    /// Model and source lines.
    pub header: Rect,
    /// The big bordered 28 × 28 box: the canvas (draw mode) or the model input (image).
    pub big: Rect,
    /// The side panel: the model input preview (draw mode) or the original (image).
    pub side: Rect,
    /// Prediction and probability bars (bordered).
    pub prediction: Rect,
}

/// Splits the Digit view's body.
pub fn digit(body: Rect) -> DigitLayout {
    let [header, main] =
        Layout::vertical([Constraint::Length(HEADER_ROWS), Constraint::Min(0)]).areas(body);
    let [big, side, prediction] = Layout::horizontal([
        Constraint::Length(DIGIT_BOX_WIDTH),
        Constraint::Min(0),
        Constraint::Length(PREDICTION_WIDTH),
    ])
    .areas(main);
    let big = Rect::new(big.x, big.y, big.width, big.height.min(DIGIT_BOX_HEIGHT));
    DigitLayout {
        header,
        big,
        side,
        prediction,
    }
}

/// Width of one mistake card (a 14-row preview is 28 columns) with its gap.
pub const CARD_WIDTH: u16 = 30;
/// Height of one mistake card: title line, 14 preview rows, a gap.
pub const CARD_HEIGHT: u16 = 16;
/// Width of a confusion cell (a count, right-aligned).
pub const CONFUSION_CELL: usize = 5;

/// Width of the row labels of the gallery's confusion panel for `dataset`: the class
/// numbers for digits (3), else the class names as tables cut them.
pub fn confusion_label_width(dataset: &DatasetInfo) -> usize {
    if dataset.is_digits() {
        return 3;
    }
    (0..dataset.class_count())
        .map(|c| dataset_class_label(dataset, c).chars().count())
        .max()
        .unwrap_or(0)
        .max(3)
}

/// Width of the bordered confusion panel for `dataset`: its matrix (row label and a
/// cell per class, 56 for digits) up to [`MATRIX_MAX_CLASSES`] classes, else its list
/// of largest mistakes (`true → predicted count`).
pub fn confusion_width(dataset: &DatasetInfo) -> u16 {
    let label = confusion_label_width(dataset);
    let n = dataset.class_count();
    let content = if n <= MATRIX_MAX_CLASSES {
        label + n * CONFUSION_CELL
    } else {
        (2 * label + 3 + 1 + CONFUSION_CELL).max(30)
    };
    u16::try_from(content + 3).unwrap_or(u16::MAX)
}

/// Regions of the mistake gallery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GalleryLayout {
    /// Model and summary lines.
    pub header: Rect,
    /// The mistake cards (bordered).
    pub cards: Rect,
    /// The confusion matrix (bordered).
    pub confusion: Rect,
    /// Cards per row.
    pub columns: usize,
    /// Card rows shown.
    pub rows: usize,
}

/// Splits the Digit view's body for the gallery of a model of `dataset`.
pub fn gallery(body: Rect, dataset: &DatasetInfo) -> GalleryLayout {
    let [header, main] =
        Layout::vertical([Constraint::Length(HEADER_ROWS), Constraint::Min(0)]).areas(body);
    let [cards, confusion] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(confusion_width(dataset)),
    ])
    .areas(main);
    let inside = inner(cards);
    GalleryLayout {
        header,
        cards,
        confusion,
        columns: (inside.width / CARD_WIDTH).max(1) as usize,
        rows: (inside.height / CARD_HEIGHT).max(1) as usize,
    }
}

/// The canvas's drawing area (inside the border) if the whole 28 × 28 fits, else `None`.
pub fn canvas_cells(big: Rect) -> Option<Rect> {
    let r = inner(big);
    (r.width >= CANVAS_SIDE as u16 * 2 && r.height >= CANVAS_SIDE as u16)
        .then(|| Rect::new(r.x, r.y, CANVAS_SIDE as u16 * 2, CANVAS_SIDE as u16))
}

/// The canvas position (in pixels, centre of the cell) under terminal cell `(x, y)`,
/// two columns per pixel; `None` outside the canvas.
pub fn cell_to_pixel(cells: Rect, x: u16, y: u16) -> Option<(f32, f32)> {
    if !crate::tui::layout::contains(cells, x, y) {
        return None;
    }
    let px = (x - cells.x) as f32 / 2.0 + 0.25;
    let py = (y - cells.y) as f32 + 0.5;
    Some((px, py))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canvas_maps_two_columns_per_pixel() {
        let l = digit(Rect::new(0, 1, 120, 38));
        let cells = canvas_cells(l.big).expect("fits at 120x40");
        assert_eq!(cell_to_pixel(cells, cells.x, cells.y), Some((0.25, 0.5)));
        assert_eq!(
            cell_to_pixel(cells, cells.x + 55, cells.y + 27),
            Some((27.75, 27.5))
        );
        assert_eq!(cell_to_pixel(cells, cells.x + 56, cells.y), None);
        assert!(canvas_cells(digit(Rect::new(0, 1, 60, 18)).big).is_none());
    }
}
