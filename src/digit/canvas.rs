//! The drawing model behind the 28 × 28 mouse canvas (no terminal code).
//!
//! Coordinates are in canvas pixels, `(0.0, 0.0)` being the top-left corner of the
//! top-left pixel, so pixel `(i, j)` has its centre at `(i + 0.5, j + 0.5)`. The pen
//! has a solid core and a Gaussian rim (about 2.8 px wide at half intensity, like MNIST
//! strokes); ink only ever increases and saturates at 1, so going over a stroke again
//! never fattens it beyond the pen's profile.

use crate::fsutil::write_atomic_with;
use image::ImageEncoder;
use image::codecs::png::PngEncoder;
use std::path::Path;

/// Side of the canvas in pixels.
pub const CANVAS_SIDE: usize = 28;
/// Radius of the pen's solid core, in pixels.
const PEN_CORE: f32 = 0.6;
/// Standard deviation of the pen's Gaussian rim, in pixels.
const PEN_SIGMA: f32 = 0.7;
/// Radius of the eraser's solid core, in pixels: wider than the pen, so one pass along
/// a stroke removes it.
const ERASER_CORE: f32 = 2.0;
/// Ink below this is not laid down (keeps the brush footprint finite).
const MIN_INK: f32 = 0.02;

/// A 28 × 28 drawing, intensities 0 (background) to 1 (ink).
#[derive(Debug, Clone, PartialEq)]
pub struct Canvas {
    ink: Vec<f32>,
}

impl Default for Canvas {
    fn default() -> Self {
        Self::new()
    }
}

impl Canvas {
    /// An empty canvas.
    pub fn new() -> Self {
        Canvas {
            ink: vec![0.0; CANVAS_SIDE * CANVAS_SIDE],
        }
    }

    /// The ink at pixel `(x, y)` (0..1); 0 outside the canvas.
    pub fn get(&self, x: usize, y: usize) -> f32 {
        if x < CANVAS_SIDE && y < CANVAS_SIDE {
            self.ink[y * CANVAS_SIDE + x]
        } else {
            0.0
        }
    }

    /// Touches the pen down at `(x, y)`.
    pub fn stroke(&mut self, x: f32, y: f32) {
        self.stroke_line((x, y), (x, y));
    }

    /// Draws a straight pen stroke from `from` to `to` (consecutive mouse-drag positions),
    /// with no gaps however far apart they are.
    pub fn stroke_line(&mut self, from: (f32, f32), to: (f32, f32)) {
        self.apply(from, to, PEN_CORE, |old, a| old.max(a));
    }

    /// Erases around `(x, y)` (a soft eraser, solid over a 4 px disc, wider than the pen).
    pub fn erase(&mut self, x: f32, y: f32) {
        self.erase_line((x, y), (x, y));
    }

    /// Erases along the segment from `from` to `to`.
    pub fn erase_line(&mut self, from: (f32, f32), to: (f32, f32)) {
        self.apply(from, to, ERASER_CORE, |old, a| old * (1.0 - a));
    }

    /// Erases everything.
    pub fn clear(&mut self) {
        self.ink.fill(0.0);
    }

    /// Whether nothing visible is drawn (no pixel would round to a nonzero byte).
    pub fn is_empty(&self) -> bool {
        self.ink.iter().all(|&v| v < 0.5 / 255.0)
    }

    /// The drawing as MNIST bytes: row-major, white (255) ink on black (0).
    pub fn to_pixels(&self) -> [u8; CANVAS_SIDE * CANVAS_SIDE] {
        let mut out = [0u8; CANVAS_SIDE * CANVAS_SIDE];
        for (o, v) in out.iter_mut().zip(&self.ink) {
            *o = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        }
        out
    }

    /// Saves the drawing as a 28 × 28 grayscale PNG (white on black), atomically: a crash
    /// leaves the old file or the new one, never a partial one.
    pub fn save_png(&self, path: &Path) -> std::io::Result<()> {
        let pixels = self.to_pixels();
        write_atomic_with(path, |file| {
            PngEncoder::new(std::io::BufWriter::new(file))
                .write_image(
                    &pixels,
                    CANVAS_SIDE as u32,
                    CANVAS_SIDE as u32,
                    image::ExtendedColorType::L8,
                )
                .map_err(std::io::Error::other)
        })
    }

    /// Applies a brush of the given core radius along a segment: every pixel gets the
    /// brush profile at its distance from the segment, combined with `combine(old, a)`.
    fn apply(
        &mut self,
        from: (f32, f32),
        to: (f32, f32),
        core: f32,
        combine: impl Fn(f32, f32) -> f32,
    ) {
        if ![from.0, from.1, to.0, to.1].iter().all(|v| v.is_finite()) {
            return;
        }
        // Beyond this distance the profile is below MIN_INK.
        let reach = core + PEN_SIGMA * (-2.0 * MIN_INK.ln()).sqrt();
        let (x0, x1) = (from.0.min(to.0) - reach, from.0.max(to.0) + reach);
        let (y0, y1) = (from.1.min(to.1) - reach, from.1.max(to.1) + reach);
        let clampi = |v: f32| (v.floor().max(0.0) as usize).min(CANVAS_SIDE);
        for py in clampi(y0)..clampi(y1 + 1.0) {
            for px in clampi(x0)..clampi(x1 + 1.0) {
                let d = distance_to_segment((px as f32 + 0.5, py as f32 + 0.5), from, to);
                let a = profile(d, core);
                if a >= MIN_INK {
                    let cell = &mut self.ink[py * CANVAS_SIDE + px];
                    *cell = combine(*cell, a).clamp(0.0, 1.0);
                }
            }
        }
    }
}

/// The brush profile: 1 inside the core, a Gaussian fall-off outside.
fn profile(distance: f32, core: f32) -> f32 {
    let d = (distance - core).max(0.0);
    (-d * d / (2.0 * PEN_SIGMA * PEN_SIGMA)).exp()
}

/// Euclidean distance from `p` to the segment `a`–`b`.
fn distance_to_segment(p: (f32, f32), a: (f32, f32), b: (f32, f32)) -> f32 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_canvas_is_empty_and_black() {
        let c = Canvas::new();
        assert!(c.is_empty());
        assert_eq!(c.to_pixels(), [0u8; 784]);
    }

    #[test]
    fn a_tap_is_a_soft_round_dot() {
        let mut c = Canvas::new();
        c.stroke(14.5, 14.5);
        assert!(!c.is_empty());
        assert_eq!(c.get(14, 14), 1.0);
        let near = c.get(15, 14);
        let far = c.get(16, 14);
        assert!(near > 0.3 && near < 1.0, "{near}");
        assert!(far < near && far > 0.0, "{far}");
        assert_eq!(c.get(20, 14), 0.0);
        // Symmetric.
        assert!((c.get(13, 14) - near).abs() < 1e-6);
        assert!((c.get(14, 13) - near).abs() < 1e-6);
    }

    #[test]
    fn repeated_taps_saturate_instead_of_growing() {
        let mut once = Canvas::new();
        once.stroke(10.5, 10.5);
        let mut many = Canvas::new();
        for _ in 0..20 {
            many.stroke(10.5, 10.5);
        }
        assert_eq!(once, many);
        assert!(many.ink.iter().all(|&v| v <= 1.0));
    }

    #[test]
    fn a_fast_drag_leaves_no_gap() {
        let mut c = Canvas::new();
        c.stroke_line((2.5, 5.5), (25.5, 5.5));
        for x in 2..=25 {
            assert_eq!(c.get(x, 5), 1.0, "gap at x = {x}");
        }
        // Diagonal too.
        let mut d = Canvas::new();
        d.stroke_line((3.0, 3.0), (24.0, 24.0));
        for i in 3..24 {
            assert!(d.get(i, i) > 0.9, "gap at {i}");
        }
    }

    #[test]
    fn strokes_off_the_canvas_are_clipped_not_panicking() {
        let mut c = Canvas::new();
        c.stroke(-5.0, -5.0);
        c.stroke(100.0, 3.0);
        c.stroke_line((-10.0, 14.0), (40.0, 14.0));
        c.stroke(f32::NAN, 3.0);
        c.stroke_line((f32::INFINITY, 0.0), (1.0, 1.0));
        assert_eq!(c.get(0, 14), 1.0);
        assert_eq!(c.get(27, 14), 1.0);
        assert_eq!(c.get(27, 3), 0.0);
    }

    #[test]
    fn erase_and_clear() {
        let mut c = Canvas::new();
        c.stroke_line((5.5, 14.5), (22.5, 14.5));
        c.erase(14.5, 14.5);
        assert!(c.get(14, 14) < 0.01);
        assert_eq!(c.get(6, 14), 1.0);
        c.erase_line((0.0, 14.5), (28.0, 14.5));
        assert!(c.is_empty());
        c.stroke(3.0, 3.0);
        c.clear();
        assert!(c.is_empty());
    }

    #[test]
    fn save_png_round_trips_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("digit.png");
        let mut c = Canvas::new();
        c.stroke_line((8.0, 6.0), (20.0, 22.0));
        c.save_png(&path).unwrap();
        let img = image::open(&path).unwrap().to_luma8();
        assert_eq!(img.dimensions(), (28, 28));
        assert_eq!(img.as_raw().as_slice(), c.to_pixels().as_slice());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // Saving into a missing folder is an error, not a panic.
        assert!(c.save_png(&dir.path().join("missing/d.png")).is_err());
    }
}
