//! The charts' one font, built into the program: DejaVu Sans cut down to Latin-1 and
//! punctuation (`assets/fonts/`, with its licence), so a PNG's text is drawn the same
//! on every machine, with or without fonts installed (plotters' own system-font
//! support is not built in). SVG text stays text, in the viewer's sans-serif.

use plotters::style::FontStyle;
use std::sync::OnceLock;

/// The font file.
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-subset.ttf");

/// The family the charts ask for; the font is registered under it.
pub const FAMILY: &str = "sans-serif";

/// Registers the font with plotters under [`FAMILY`] (once per process); an error if
/// the built-in font does not parse.
pub fn register() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .map_err(|_| "the built-in font does not parse".to_string())
    })
    .clone()
}
