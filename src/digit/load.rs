//! Loading user images safely: clear errors naming the file, a pixel cap checked from the
//! header before anything is decoded, a decoded-bytes budget, EXIF orientation applied,
//! and an early fast downscale so big photos don't linger in memory.

use super::DigitError;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits};
use std::borrow::Cow;
use std::path::Path;

/// The largest image accepted, in pixels (10000 × 10000). Checked from the file header
/// before decoding, so a header claiming 100000 × 100000 is rejected without allocating.
pub const MAX_PIXELS: u64 = 100_000_000;

/// The largest decoded buffer accepted, in bytes (a 10000 × 10000 RGBA 8-bit image is
/// 400 MB; the same image in 16 bits per channel is rejected).
pub const MAX_DECODED_BYTES: u64 = 512 * 1024 * 1024;

/// Images whose longer side exceeds this are downscaled right after decoding with a fast
/// box filter. Far more than the 20 × 20 box a digit ends up in, enough for previews.
pub const MAX_WORK_SIDE: u32 = 1024;

/// Loads an image file for [`prepare`](super::prepare).
///
/// The format is guessed from the content (not the extension). EXIF orientation (phone
/// photos) is applied. Images larger than [`MAX_WORK_SIDE`] on their longer side come back
/// downscaled to it (aspect ratio kept), so callers never hold a 100-megapixel buffer.
///
/// Errors name the file: [`DigitError::NotFound`], [`DigitError::Io`],
/// [`DigitError::EmptyFile`], [`DigitError::NotAnImage`], [`DigitError::ZeroSize`],
/// [`DigitError::TooLarge`], [`DigitError::Corrupt`].
pub fn load_image(path: &Path) -> Result<DynamicImage, DigitError> {
    let io_err = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::NotFound {
            DigitError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            DigitError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if meta.is_dir() {
        return Err(DigitError::NotAnImage {
            path: path.to_path_buf(),
            detail: "it is a directory".to_string(),
        });
    }
    if meta.len() == 0 {
        return Err(DigitError::EmptyFile {
            path: path.to_path_buf(),
        });
    }

    // 1. Header only: format (from the content; the extension only as a fallback for
    //    formats without a signature, such as TGA) and dimensions.
    let open = || -> Result<(ImageReader<_>, bool), DigitError> {
        let mut reader = ImageReader::open(path).map_err(io_err)?;
        let by_extension = reader.format();
        reader.clear_format();
        let mut reader = reader.with_guessed_format().map_err(io_err)?;
        if reader.format().is_some() {
            return Ok((reader, true));
        }
        match by_extension {
            Some(format) => {
                reader.set_format(format);
                Ok((reader, false))
            }
            None => Err(DigitError::NotAnImage {
                path: path.to_path_buf(),
                detail: "unrecognised file format (expected PNG, JPEG, BMP, GIF, WebP, ...)"
                    .to_string(),
            }),
        }
    };
    let (reader, by_content) = open()?;
    let image_err = |dims: (u32, u32), e: ImageError| {
        let err = image_err(path, dims, e);
        match err {
            // Content not recognised, and decoding as the extension says failed.
            DigitError::Corrupt { path, detail } if !by_content => DigitError::NotAnImage {
                path,
                detail: format!("content not recognised as an image format: {detail}"),
            },
            other => other,
        }
    };
    let (width, height) = reader.into_dimensions().map_err(|e| image_err((0, 0), e))?;
    check_dimensions(path, width, height)?;

    // 2. Decode under limits.
    let (mut reader, _) = open()?;
    reader.limits(decode_limits());
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| image_err((width, height), e))?;
    if decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(DigitError::TooLarge {
            path: path.to_path_buf(),
            width,
            height,
        });
    }
    // A broken EXIF block should not prevent reading the pixels.
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| image_err((width, height), e))?;
    if let Some(orientation) = orientation {
        img.apply_orientation(orientation);
    }
    Ok(shrink_to_work_size(img))
}

/// Rejects empty and oversized dimensions (as read from a header).
pub fn check_dimensions(path: &Path, width: u32, height: u32) -> Result<(), DigitError> {
    if width == 0 || height == 0 {
        return Err(DigitError::ZeroSize {
            path: path.to_path_buf(),
            width,
            height,
        });
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(DigitError::TooLarge {
            path: path.to_path_buf(),
            width,
            height,
        });
    }
    Ok(())
}

/// The decoder limits used by [`load_image`].
fn decode_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_PIXELS as u32);
    limits.max_image_height = Some(MAX_PIXELS as u32);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    limits
}

/// [`shrink_to_work_size`] for a borrowed image: a downscaled copy when the longer side
/// exceeds [`MAX_WORK_SIDE`], else `img` itself (not copied).
pub fn work_image(img: &DynamicImage) -> Cow<'_, DynamicImage> {
    if img.width().max(img.height()) > MAX_WORK_SIDE {
        Cow::Owned(img.thumbnail(MAX_WORK_SIDE, MAX_WORK_SIDE))
    } else {
        Cow::Borrowed(img)
    }
}

/// Downscales (fast integer box filter) so the longer side is at most [`MAX_WORK_SIDE`];
/// smaller images are returned unchanged.
pub fn shrink_to_work_size(img: DynamicImage) -> DynamicImage {
    if img.width().max(img.height()) > MAX_WORK_SIDE {
        img.thumbnail(MAX_WORK_SIDE, MAX_WORK_SIDE)
    } else {
        img
    }
}

fn image_err(path: &Path, (width, height): (u32, u32), e: ImageError) -> DigitError {
    let path = path.to_path_buf();
    match e {
        ImageError::Limits(_) => DigitError::TooLarge {
            path,
            width,
            height,
        },
        ImageError::Unsupported(u) => DigitError::NotAnImage {
            path,
            detail: u.to_string(),
        },
        ImageError::IoError(source) if source.kind() != std::io::ErrorKind::UnexpectedEof => {
            DigitError::Io { path, source }
        }
        other => DigitError::Corrupt {
            path,
            detail: other.to_string(),
        },
    }
}
