//! Loading user images: clear errors naming the file, and no huge allocations.

use image::{DynamicImage, GrayImage, ImageEncoder, Luma, RgbaImage};
use mnist_tui::digit::{DigitError, MAX_WORK_SIDE, load_image, prepare_file};
use std::path::Path;
use std::time::{Duration, Instant};

/// A PNG chunk with its CRC.
fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
    out
}

/// A syntactically valid PNG whose header claims `width` × `height` (8-bit gray) but
/// whose data is a few bytes: a decompression-bomb-like file.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    // zlib stream of a single empty stored block.
    out.extend(chunk(
        b"IDAT",
        &[0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 1],
    ));
    out.extend(chunk(b"IEND", &[]));
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn names_file(err: &DigitError, path: &Path) {
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "error does not name the file: {msg}"
    );
}

fn digit_png() -> Vec<u8> {
    let mut img = GrayImage::from_pixel(60, 60, Luma([255]));
    for y in 10..50 {
        for x in 27..33 {
            img.put_pixel(x, y, Luma([0]));
        }
    }
    let mut bytes = Vec::new();
    DynamicImage::ImageLuma8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    bytes
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.png");
    let err = load_image(&path).unwrap_err();
    assert!(matches!(err, DigitError::NotFound { .. }), "{err:?}");
    names_file(&err, &path);
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "empty.png", b"");
    let err = load_image(&path).unwrap_err();
    assert!(matches!(err, DigitError::EmptyFile { .. }), "{err:?}");
    names_file(&err, &path);
}

#[test]
fn text_file_is_not_an_image() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "digit.png", b"hello, I am a text file\n");
    let err = load_image(&path).unwrap_err();
    assert!(matches!(err, DigitError::NotAnImage { .. }), "{err:?}");
    names_file(&err, &path);
}

#[test]
fn directory_is_not_an_image() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_image(dir.path()).unwrap_err();
    assert!(matches!(err, DigitError::NotAnImage { .. }), "{err:?}");
}

#[test]
fn truncated_png_is_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let full = digit_png();
    for cut in [full.len() / 2, full.len() - 20, 40] {
        let path = write(dir.path(), "cut.png", &full[..cut]);
        let err = load_image(&path).unwrap_err();
        assert!(
            matches!(err, DigitError::Corrupt { .. }),
            "cut {cut}: {err:?}"
        );
        names_file(&err, &path);
        assert!(err.to_string().contains("truncated or corrupt"));
    }
}

#[test]
fn corrupt_bytes_are_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = digit_png();
    let n = bytes.len();
    for b in &mut bytes[60..n - 12] {
        *b ^= 0x5a;
    }
    let path = write(dir.path(), "garbled.png", &bytes);
    let err = load_image(&path).unwrap_err();
    assert!(matches!(err, DigitError::Corrupt { .. }), "{err:?}");
}

#[test]
fn huge_header_is_rejected_quickly_without_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bomb.png", &png_claiming(100_000, 100_000));
    let start = Instant::now();
    let err = load_image(&path).unwrap_err();
    let took = start.elapsed();
    assert!(
        matches!(
            err,
            DigitError::TooLarge {
                width: 100_000,
                height: 100_000,
                ..
            }
        ),
        "{err:?}"
    );
    names_file(&err, &path);
    assert!(err.to_string().contains("100000 × 100000"));
    assert!(took < Duration::from_millis(200), "took {took:?}");
}

#[test]
fn header_within_the_cap_but_missing_data_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "short.png", &png_claiming(3000, 3000));
    let err = load_image(&path).unwrap_err();
    assert!(matches!(err, DigitError::Corrupt { .. }), "{err:?}");
}

#[test]
fn zero_size_header_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "zero.png", &png_claiming(0, 10));
    let err = load_image(&path).unwrap_err();
    // The PNG decoder itself refuses a zero width; either way the file is named.
    assert!(
        matches!(
            err,
            DigitError::ZeroSize { .. } | DigitError::Corrupt { .. }
        ),
        "{err:?}"
    );
    names_file(&err, &path);
}

#[test]
fn format_comes_from_content_not_extension() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "actually-a-png.jpg", &digit_png());
    let img = load_image(&path).unwrap();
    assert_eq!((img.width(), img.height()), (60, 60));
}

#[test]
fn big_images_come_back_downscaled() {
    let dir = tempfile::tempdir().unwrap();
    let img = RgbaImage::from_pixel(3000, 1500, image::Rgba([255, 255, 255, 255]));
    let path = dir.path().join("big.png");
    img.save(&path).unwrap();
    let loaded = load_image(&path).unwrap();
    assert_eq!(
        (loaded.width(), loaded.height()),
        (MAX_WORK_SIDE, MAX_WORK_SIDE / 2)
    );
}

#[test]
fn prepare_file_works_and_names_the_file_when_blank() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "one.png", &digit_png());
    let p = prepare_file(&path).unwrap();
    assert!(p.inverted);
    assert!(p.pixels.contains(&255));

    let blank = dir.path().join("blank.png");
    GrayImage::from_pixel(50, 50, Luma([255]))
        .save(&blank)
        .unwrap();
    let err = prepare_file(&blank).unwrap_err();
    assert!(matches!(err, DigitError::NoDigit { .. }), "{err:?}");
    names_file(&err, &blank);
}

fn jpeg(img: &DynamicImage, exif: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    if let Some(exif) = exif {
        enc.set_exif_metadata(exif).unwrap();
    }
    enc.encode_image(img).unwrap();
    out
}

#[test]
fn exif_orientation_of_phone_photos_is_applied() {
    // Big-endian TIFF header, one IFD entry: Orientation (0x0112), SHORT, 1, value 6
    // ("rotate 90° clockwise to display").
    let exif = vec![
        b'M', b'M', 0, 42, 0, 0, 0, 8, // header, IFD at 8
        0, 1, // one entry
        0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, // orientation = 6
        0, 0, 0, 0, // no next IFD
    ];
    let img = DynamicImage::ImageLuma8(GrayImage::from_pixel(40, 80, Luma([200])));
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "phone.jpg", &jpeg(&img, Some(exif)));
    let loaded = load_image(&path).unwrap();
    assert_eq!((loaded.width(), loaded.height()), (80, 40));
}

#[test]
fn truncated_jpeg_is_an_error_or_a_partial_image_never_a_panic() {
    let img = DynamicImage::ImageLuma8(GrayImage::from_fn(64, 64, |x, y| Luma([(x * y) as u8])));
    let full = jpeg(&img, None);
    let dir = tempfile::tempdir().unwrap();
    for cut in [full.len() / 3, full.len() / 2, full.len() - 2] {
        let path = write(dir.path(), "cut.jpg", &full[..cut]);
        match load_image(&path) {
            Ok(img) => assert_eq!((img.width(), img.height()), (64, 64)),
            Err(err) => {
                assert!(matches!(err, DigitError::Corrupt { .. }), "{err:?}");
                names_file(&err, &path);
            }
        }
    }
}
