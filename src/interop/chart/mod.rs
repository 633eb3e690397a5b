//! Runs' curves as a picture (SVG or PNG), drawn as the Runs view compares runs: two
//! panels side by side, the loss by position in epochs and the accuracy % by epoch
//! (validation, or test for a run without a validation split), each run one colour,
//! a legend naming the runs by id.

mod draw;
pub mod font;

use super::error::{ExportError, check_runs};
use crate::fsutil;
use crate::runs::RunRecord;
use plotters::prelude::{BitMapBackend, IntoDrawingArea, SVGBackend};
use std::path::Path;

/// The picture's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartFormat {
    /// Scalable vector graphics: text stays text (the viewer's sans-serif font).
    Svg,
    /// A bitmap, text drawn with the built-in font ([`font`]).
    Png,
}

impl ChartFormat {
    /// The format a file name's extension asks for (`.svg` or `.png`, any case).
    pub fn from_path(path: &Path) -> Option<ChartFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "svg" => Some(ChartFormat::Svg),
            "png" => Some(ChartFormat::Png),
            _ => None,
        }
    }
}

/// The smallest picture drawn (each side, pixels): the panels need room for their
/// titles, axes and legends.
pub const MIN_SIDE: u32 = 200;
/// The largest picture drawn (each side, pixels), so a mistyped size cannot take
/// gigabytes of memory.
pub const MAX_SIDE: u32 = 10_000;

/// Draws the loss and accuracy curves of `runs` into `out` (replaced if it exists; its
/// folder must exist) as a `format` picture of `size` (width, height) pixels, each side
/// from [`MIN_SIDE`] to [`MAX_SIDE`].
pub fn write_chart(
    runs: &[&RunRecord],
    out: &Path,
    format: ChartFormat,
    size: (u32, u32),
) -> Result<(), ExportError> {
    check_runs(runs)?;
    let (w, h) = size;
    if ![w, h].iter().all(|s| (MIN_SIDE..=MAX_SIDE).contains(s)) {
        return Err(ExportError::chart(
            out,
            format!("size {w}×{h}: each side must be {MIN_SIDE} to {MAX_SIDE} pixels"),
        ));
    }
    font::register().map_err(|e| ExportError::chart(out, e))?;
    let bytes = match format {
        ChartFormat::Svg => {
            let mut svg = String::new();
            draw::panels(
                SVGBackend::with_string(&mut svg, size).into_drawing_area(),
                runs,
            )
            .map_err(|e| ExportError::chart(out, e))?;
            svg.into_bytes()
        }
        ChartFormat::Png => {
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            draw::panels(
                BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area(),
                runs,
            )
            .map_err(|e| ExportError::chart(out, e))?;
            png(&rgb, size).map_err(|e| ExportError::chart(out, e))?
        }
    };
    fsutil::write_atomic(out, &bytes).map_err(|e| ExportError::io(out, e))
}

/// `rgb` (8-bit RGB rows) encoded as PNG.
fn png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, image::ImageError> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out).write_image(
        rgb,
        w,
        h,
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests;
