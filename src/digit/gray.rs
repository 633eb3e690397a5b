//! [`GrayF`]: the small floating-point grayscale buffer the preprocessing steps share.

use image::GrayImage;

/// A row-major grayscale image with `f32` intensities (0 = black, 1 = white).
#[derive(Debug, Clone, PartialEq)]
pub struct GrayF {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height` intensities, row by row.
    pub data: Vec<f32>,
}

impl GrayF {
    /// A black image.
    pub fn new(width: usize, height: usize) -> Self {
        GrayF {
            width,
            height,
            data: vec![0.0; width * height],
        }
    }

    /// Wraps `data` (`width * height` values, row-major).
    ///
    /// # Panics
    /// If `data.len() != width * height` (a programming error).
    pub fn from_vec(width: usize, height: usize, data: Vec<f32>) -> Self {
        assert_eq!(data.len(), width * height, "GrayF size mismatch");
        GrayF {
            width,
            height,
            data,
        }
    }

    /// From 8-bit intensities (`width * height` bytes, row-major).
    pub fn from_u8(width: usize, height: usize, bytes: &[u8]) -> Self {
        Self::from_vec(
            width,
            height,
            bytes.iter().map(|&b| f32::from(b) / 255.0).collect(),
        )
    }

    /// The intensity at `(x, y)`.
    pub fn at(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.width + x]
    }

    /// Rounds to an 8-bit image (values clamped to 0..1).
    pub fn to_gray_image(&self) -> GrayImage {
        let bytes = self
            .data
            .iter()
            .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
            .collect();
        GrayImage::from_raw(self.width as u32, self.height as u32, bytes)
            .unwrap_or_else(|| GrayImage::new(self.width as u32, self.height as u32))
    }

    /// A copy with `pad` black pixels added on every side.
    pub fn padded(&self, pad: usize) -> GrayF {
        let (w, h) = (self.width + 2 * pad, self.height + 2 * pad);
        let mut out = GrayF::new(w, h);
        for y in 0..self.height {
            let src = &self.data[y * self.width..(y + 1) * self.width];
            out.data[(y + pad) * w + pad..(y + pad) * w + pad + self.width].copy_from_slice(src);
        }
        out
    }

    /// Pixel coordinates mapped to `[-1, 1]` (for well-conditioned plane fits).
    pub(crate) fn normalized_coords(x: usize, y: usize, w: usize, h: usize) -> (f32, f32) {
        let nx = if w > 1 {
            2.0 * x as f32 / (w - 1) as f32 - 1.0
        } else {
            0.0
        };
        let ny = if h > 1 {
            2.0 * y as f32 / (h - 1) as f32 - 1.0
        } else {
            0.0
        };
        (nx, ny)
    }

    /// The sampling stride giving at most about `max` samples.
    fn stride(&self, max: usize) -> usize {
        let n = self.width * self.height;
        if n <= max {
            1
        } else {
            ((n as f64 / max as f64).sqrt().ceil() as usize).max(1)
        }
    }

    /// At most about `max` intensities on a regular grid (all of them for small images).
    pub(crate) fn sample_values(&self, max: usize) -> Vec<f32> {
        let s = self.stride(max);
        let mut out = Vec::new();
        for y in (0..self.height).step_by(s) {
            for x in (0..self.width).step_by(s) {
                out.push(self.data[y * self.width + x]);
            }
        }
        out
    }

    /// Like [`sample_values`](Self::sample_values) with normalised coordinates: `(x, y, v)`.
    pub(crate) fn sample_points(&self, max: usize) -> Vec<(f32, f32, f32)> {
        let s = self.stride(max);
        let mut out = Vec::new();
        for y in (0..self.height).step_by(s) {
            for x in (0..self.width).step_by(s) {
                let (nx, ny) = Self::normalized_coords(x, y, self.width, self.height);
                out.push((nx, ny, self.data[y * self.width + x]));
            }
        }
        out
    }
}
