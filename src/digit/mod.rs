//! Custom digit images: MNIST-style preprocessing, ASCII rendering and the drawing canvas;
//! and the preparation of pictures for other datasets ([`product`]).
//!
//! Models expect what MNIST is made of: a 28 × 28 `u8` image, white (255) ink on black
//! (0), the digit's bounding box scaled to fit 20 × 20 (aspect kept, anti-aliased) and
//! placed so its centre of mass is at the centre. Real users' images (photos of ink on
//! paper, transparent PNGs from drawing apps, small off-centre JPEG crops, upscaled gray
//! images) look nothing like that, and resizing alone classifies them at chance level.
//! This module turns them into MNIST-like digits.
//!
//! # Use
//!
//! ```no_run
//! use mnist_tui::config::AsciiStyle;
//! use mnist_tui::digit::{self, DigitError};
//! # fn main() -> Result<(), DigitError> {
//! let prepared = digit::prepare_file(std::path::Path::new("my-seven.jpg"))?;
//! let pixels: [u8; 784] = prepared.pixels; // feed to the model (u8 → f32 by the caller)
//! for line in digit::render_digit(&prepared.pixels, AsciiStyle::Ascii) {
//!     println!("{line}");
//! }
//! # Ok(()) }
//! ```
//!
//! - [`load_image`] reads a file with errors naming it (not found, empty, not an image,
//!   truncated/corrupt, zero size, too large). The pixel count is checked from the header
//!   before decoding ([`MAX_PIXELS`] = 100 MP; a header claiming 100000 × 100000 fails
//!   at once); decoding is capped at [`MAX_DECODED_BYTES`]; EXIF orientation is applied;
//!   anything over [`MAX_WORK_SIDE`] px comes back box-downscaled to it.
//! - [`prepare`] turns a [`DynamicImage`] into a [`Prepared`] digit, or
//!   [`DigitError::NoDigit`] for a blank or nearly blank image (never a guess).
//!   Its steps are public in [`preprocess`] and tested one by one.
//! - [`prepare_file`] = [`load_image`] + [`prepare`], errors naming the file;
//!   [`prepare_file_with`] the same with any [`PrepareFn`].
//! - [`product`]: the preparations for other datasets, the same for every picture with
//!   no digit-specific cleaning. [`prepare_product`] is Fashion-MNIST's own conversion of
//!   product photos (trim the background by the corners' colour, longest edge to 28,
//!   sharpen, centre on 28 × 28, negate); [`prepare_plain`] is the same without
//!   sharpening, for a folder of one's own data. Both return a 28 × 28 image that is
//!   already light on dark (28 × 28 with dark corners) unchanged.
//! - [`ascii`]: [`render_digit`], [`render`] (any gray buffer), [`render_gray_fit`] and
//!   [`render_image_fit`] (previews scaled to a character area), in
//!   [`AsciiStyle`](crate::config::AsciiStyle) `Ascii` or `Shades`.
//! - [`Canvas`]: the 28 × 28 mouse-drawing model (pen strokes, lines, eraser, PNG save).
//!   Its [`Canvas::to_pixels`] is already MNIST-like in polarity; pass it through
//!   [`prepare_pixels`] to size and centre it like MNIST before predicting.

pub mod ascii;
pub mod canvas;
pub mod gray;
pub mod load;
pub mod preprocess;
pub mod product;

pub use ascii::{render, render_digit, render_gray_fit, render_image_fit};
pub use canvas::Canvas;
pub use gray::GrayF;
pub use load::{MAX_DECODED_BYTES, MAX_PIXELS, MAX_WORK_SIDE, load_image};
pub use preprocess::{BBox, Polarity, Prepared, prepare};
pub use product::{prepare_plain, prepare_product};

use image::DynamicImage;
use std::path::{Path, PathBuf};

/// Everything that can go wrong turning a user's image into a digit.
/// Errors about a file name it.
#[derive(Debug, thiserror::Error)]
pub enum DigitError {
    /// The file does not exist.
    #[error("{}: no such file", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is empty (0 bytes).
    #[error("{}: the file is empty (0 bytes)", path.display())]
    EmptyFile {
        /// The file.
        path: PathBuf,
    },
    /// The file is not an image in a supported format.
    #[error("{}: not an image ({detail})", path.display())]
    NotAnImage {
        /// The file.
        path: PathBuf,
        /// What was found.
        detail: String,
    },
    /// The image is declared with zero width or height.
    #[error("{}: the image has zero size ({width} × {height})", path.display())]
    ZeroSize {
        /// The file.
        path: PathBuf,
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// The image is too large to decode safely.
    #[error(
        "{}: the image is too large ({width} × {height}; the limit is {} megapixels and {} MiB decoded); downscale it first",
        path.display(), MAX_PIXELS / 1_000_000, MAX_DECODED_BYTES / (1024 * 1024)
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Declared width (0 if unknown).
        width: u32,
        /// Declared height (0 if unknown).
        height: u32,
    },
    /// The image data is truncated or corrupt.
    #[error("{}: the image data is truncated or corrupt ({detail})", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The decoder's message.
        detail: String,
    },
    /// No digit in the image: blank, uniform, or only specks.
    #[error("{}no digit found: {reason}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    NoDigit {
        /// The file, when known.
        path: Option<PathBuf>,
        /// Why.
        reason: String,
    },
}

/// A way to prepare a user's image for a model: [`prepare`] (MNIST digits),
/// [`prepare_product`] (Fashion-MNIST products) or [`prepare_plain`] (one's own data).
pub type PrepareFn = fn(&DynamicImage) -> Result<Prepared, DigitError>;

/// How a dataset prepares a user's image ([`crate::data::Preparation`], in its
/// [`DatasetInfo`](crate::data::DatasetInfo)), as the function that does it.
pub fn preparation_for(p: crate::data::Preparation) -> PrepareFn {
    match p {
        crate::data::Preparation::Digit => prepare,
        crate::data::Preparation::Product => prepare_product,
        crate::data::Preparation::Plain => prepare_plain,
    }
}

/// Loads and prepares an image file: [`load_image`] then [`prepare`]; a
/// [`DigitError::NoDigit`] names the file.
pub fn prepare_file(path: &Path) -> Result<Prepared, DigitError> {
    prepare_file_with(path, prepare)
}

/// Loads an image file and prepares it with `preparation` (any [`PrepareFn`], e.g.
/// [`prepare_product`]): [`load_image`]'s errors name the file, and so does a
/// [`DigitError::NoDigit`].
pub fn prepare_file_with(path: &Path, preparation: PrepareFn) -> Result<Prepared, DigitError> {
    let img = load_image(path)?;
    preparation(&img).map_err(|e| match e {
        DigitError::NoDigit { reason, .. } => DigitError::NoDigit {
            path: Some(path.to_path_buf()),
            reason,
        },
        other => other,
    })
}

/// Prepares a 28 × 28 white-on-black drawing (e.g. [`Canvas::to_pixels`]) like MNIST:
/// crops, fits to 20 × 20 and centres by mass. [`DigitError::NoDigit`] if blank.
pub fn prepare_pixels(pixels: &[u8; 784]) -> Result<Prepared, DigitError> {
    let img =
        image::GrayImage::from_raw(28, 28, pixels.to_vec()).ok_or_else(|| DigitError::NoDigit {
            path: None,
            reason: "invalid buffer".to_string(),
        })?;
    prepare(&image::DynamicImage::ImageLuma8(img))
}
