//! Digits and images as text: two characters per pixel so pixels look square in a
//! terminal, brighter pixels drawn with denser glyphs.

use super::preprocess::flatten;
use crate::config::AsciiStyle;
use image::{DynamicImage, GrayImage, imageops};

/// The pure ASCII ramp, dark to bright.
pub const ASCII_RAMP: [char; 10] = [' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];
/// The Unicode shade ramp, dark to bright.
pub const SHADE_RAMP: [char; 5] = [' ', '░', '▒', '▓', '█'];

/// The glyph for an intensity (0 = black → blank, 255 = white → densest).
pub fn glyph(value: u8, style: AsciiStyle) -> char {
    let ramp: &[char] = match style {
        AsciiStyle::Ascii => &ASCII_RAMP,
        AsciiStyle::Shades => &SHADE_RAMP,
    };
    ramp[usize::from(value) * ramp.len() / 256]
}

/// Renders a row-major `width`-wide gray buffer, one line per pixel row, two characters
/// per pixel. A trailing partial row is ignored; `width == 0` gives no lines.
pub fn render(pixels: &[u8], width: usize, style: AsciiStyle) -> Vec<String> {
    if width == 0 {
        return Vec::new();
    }
    pixels
        .chunks_exact(width)
        .map(|row| {
            let mut line = String::with_capacity(width * 2);
            for &v in row {
                let c = glyph(v, style);
                line.push(c);
                line.push(c);
            }
            line
        })
        .collect()
}

/// Renders a 28 × 28 MNIST digit: 28 lines of 56 characters.
pub fn render_digit(pixels: &[u8; 784], style: AsciiStyle) -> Vec<String> {
    render(pixels, 28, style)
}

/// Renders a gray image scaled (up or down, aspect kept) to fit `max_cols` × `max_rows`
/// characters (each pixel is two characters wide). Empty for a zero-size image or area.
pub fn render_gray_fit(
    img: &GrayImage,
    max_cols: usize,
    max_rows: usize,
    style: AsciiStyle,
) -> Vec<String> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let (max_w, max_h) = (max_cols / 2, max_rows);
    if w == 0 || h == 0 || max_w == 0 || max_h == 0 {
        return Vec::new();
    }
    let scale = (max_w as f64 / w as f64).min(max_h as f64 / h as f64);
    let nw = ((w as f64 * scale).round() as usize).clamp(1, max_w);
    let nh = ((h as f64 * scale).round() as usize).clamp(1, max_h);
    if (nw, nh) == (w, h) {
        return render(img.as_raw(), w, style);
    }
    let resized = imageops::resize(img, nw as u32, nh as u32, imageops::FilterType::Triangle);
    render(resized.as_raw(), nw, style)
}

/// Renders any image (the "original" preview) as it looks, scaled to fit `max_cols` ×
/// `max_rows` characters. Transparency is composited onto a background contrasting with
/// the strokes (as [`prepare`](super::prepare) does); a light page shows as dense glyphs.
pub fn render_image_fit(
    img: &DynamicImage,
    max_cols: usize,
    max_rows: usize,
    style: AsciiStyle,
) -> Vec<String> {
    if img.width() == 0 || img.height() == 0 {
        return Vec::new();
    }
    // Shrink big images cheaply first: the result is at most a few thousand cells.
    let small;
    let img = if img.width().max(img.height()) > 512 {
        small = img.thumbnail(512, 512);
        &small
    } else {
        img
    };
    render_gray_fit(&flatten(img).to_gray_image(), max_cols, max_rows, style)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyph_ramps_cover_the_range() {
        assert_eq!(glyph(0, AsciiStyle::Ascii), ' ');
        assert_eq!(glyph(255, AsciiStyle::Ascii), '@');
        assert_eq!(glyph(0, AsciiStyle::Shades), ' ');
        assert_eq!(glyph(255, AsciiStyle::Shades), '█');
        assert_eq!(glyph(128, AsciiStyle::Shades), '▒');
        // Monotonic.
        let idx = |v: u8| {
            ASCII_RAMP
                .iter()
                .position(|&c| c == glyph(v, AsciiStyle::Ascii))
        };
        for v in 0..255u8 {
            assert!(idx(v) <= idx(v + 1));
        }
    }

    #[test]
    fn render_doubles_each_pixel() {
        let lines = render(&[0, 255, 255, 0], 2, AsciiStyle::Ascii);
        assert_eq!(lines, vec!["  @@".to_string(), "@@  ".to_string()]);
        assert!(render(&[1, 2, 3], 0, AsciiStyle::Ascii).is_empty());
    }

    #[test]
    fn render_digit_is_28_lines_of_56() {
        let mut px = [0u8; 784];
        px[14 * 28 + 14] = 255;
        let lines = render_digit(&px, AsciiStyle::Shades);
        assert_eq!(lines.len(), 28);
        assert!(lines.iter().all(|l| l.chars().count() == 56));
        assert_eq!(lines[14].chars().nth(28), Some('█'));
        let ascii = render_digit(&px, AsciiStyle::Ascii);
        assert!(ascii.iter().all(|l| l.is_ascii()));
    }

    #[test]
    fn fit_respects_the_area_and_aspect() {
        let img = GrayImage::from_pixel(200, 100, image::Luma([255]));
        let lines = render_gray_fit(&img, 40, 40, AsciiStyle::Ascii);
        assert_eq!(lines.len(), 10);
        assert!(lines.iter().all(|l| l.len() == 40));
        let tall = GrayImage::new(10, 100);
        let lines = render_gray_fit(&tall, 80, 20, AsciiStyle::Ascii);
        assert_eq!(lines.len(), 20);
        assert_eq!(lines[0].len(), 4);
        assert!(render_gray_fit(&tall, 1, 20, AsciiStyle::Ascii).is_empty());
    }

    #[test]
    fn image_preview_handles_transparency() {
        // Black stroke on transparent: composited onto white, so the stroke is the blank part.
        let mut img = image::RgbaImage::new(4, 4);
        img.put_pixel(1, 1, image::Rgba([0, 0, 0, 255]));
        let lines = render_image_fit(&DynamicImage::ImageRgba8(img), 8, 4, AsciiStyle::Ascii);
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[1], "@@  @@@@");
    }
}
