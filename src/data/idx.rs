//! IDX parsing from any reader; gzip is detected by its magic bytes, not the file name.
//!
//! The IDX format (the one MNIST ships in) is a big-endian header followed by the raw
//! values: a magic number `0x0000TTDD` (`TT` the data type, `DD` the number of
//! dimensions), one `u32` per dimension, then the values row-major. MNIST uses unsigned
//! bytes (`TT = 0x08`): images have three dimensions (count, 28, 28), labels one (count).
//!
//! Everything is validated before it is trusted: the magic, the dimensions, the declared
//! count against what actually follows (truncated files and trailing bytes are both
//! errors), a cap on the declared count (a lying header never makes us allocate
//! gigabytes) and, for labels, the dataset's range (0–9 unless told otherwise). Nothing here panics on any input.

use super::DataError;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

/// Magic number of an IDX file of unsigned bytes with three dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with one dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// Side of an MNIST image, in pixels.
pub const IMAGE_SIDE: usize = 28;
/// Pixels in one MNIST image.
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
/// The largest item count a header may declare. MNIST has 60 000; this leaves room for
/// larger MNIST-format sets (EMNIST) while bounding memory to about 800 MB of pixels.
pub const MAX_ITEMS: usize = 1_000_000;
/// The gzip magic bytes.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Buffer reserved up front when keeping the data; beyond this, memory only grows as
/// bytes actually arrive, so a lying header cannot make us allocate what isn't there.
const MAX_PREALLOC: usize = 64 << 20;
/// Chunk size of the streaming reads.
const CHUNK: usize = 256 << 10;
/// How many trailing bytes we count before giving up counting.
const MAX_TRAILING_COUNT: u64 = 16 << 20;

/// What an IDX file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdxKind {
    /// 28×28 unsigned-byte images (magic `0x00000803`).
    Images,
    /// Unsigned-byte labels 0–9 (magic `0x00000801`).
    Labels,
}

impl IdxKind {
    /// The expected magic number.
    pub fn magic(self) -> u32 {
        match self {
            IdxKind::Images => IMAGES_MAGIC,
            IdxKind::Labels => LABELS_MAGIC,
        }
    }

    /// Number of dimensions in the header.
    pub fn dims(self) -> usize {
        match self {
            IdxKind::Images => 3,
            IdxKind::Labels => 1,
        }
    }

    /// Bytes per item (784 for an image, 1 for a label).
    pub fn item_bytes(self) -> usize {
        match self {
            IdxKind::Images => IMAGE_PIXELS,
            IdxKind::Labels => 1,
        }
    }

    /// Header length in bytes (magic + one `u32` per dimension).
    pub fn header_len(self) -> usize {
        4 + 4 * self.dims()
    }

    /// `"images"` or `"labels"`.
    pub fn noun(self) -> &'static str {
        match self {
            IdxKind::Images => "images",
            IdxKind::Labels => "labels",
        }
    }
}

/// A parsed IDX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idx {
    /// What the file holds.
    pub kind: IdxKind,
    /// Number of items (images or labels).
    pub count: usize,
    /// Whether the input was gzip-compressed.
    pub gzip: bool,
    /// The values (`count * 784` pixels or `count` labels); empty when parsed with
    /// `keep == false`.
    pub data: Vec<u8>,
    /// SHA-256 of the decompressed content, lowercase hex, when hashing was asked for.
    pub sha256: Option<String>,
}

/// How to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Keep the values in [`Idx::data`] (otherwise only validate and count them).
    pub keep: bool,
    /// Compute the SHA-256 of the decompressed content into [`Idx::sha256`].
    pub hash: bool,
    /// The labels a labels file may hold (EMNIST's letters: 1–26; MNIST: 0–9).
    pub labels: (u8, u8),
}

impl ParseOptions {
    /// Keep the data, no hashing: what loading needs.
    pub const LOAD: ParseOptions = ParseOptions {
        keep: true,
        hash: false,
        labels: DIGIT_LABELS,
    };
    /// Validate and hash without keeping the data: what verification needs.
    pub const VERIFY: ParseOptions = ParseOptions {
        keep: false,
        hash: true,
        labels: DIGIT_LABELS,
    };

    /// These options for labels in `first..=last`.
    pub const fn with_labels(self, first: u8, last: u8) -> ParseOptions {
        ParseOptions {
            labels: (first, last),
            ..self
        }
    }
}

/// The labels of the digit datasets: 0–9.
pub const DIGIT_LABELS: (u8, u8) = (0, 9);

/// Parses an IDX stream of `kind` from `reader` (raw or gzip, detected by content).
/// `path` only names the source in errors.
pub fn parse(
    reader: impl Read,
    kind: IdxKind,
    path: &Path,
    opts: ParseOptions,
) -> Result<Idx, DataError> {
    let mut reader = reader;
    let mut prefix = [0u8; 2];
    let got = read_up_to(&mut reader, &mut prefix).map_err(|source| io_err(path, source))?;
    let prefix = &prefix[..got];
    let gzip = prefix == GZIP_MAGIC;
    let stream = io::Cursor::new(prefix).chain(reader);
    // The SHA-256 is computed on a thread of its own, fed the decompressed chunks as
    // they are parsed, so hashing a file adds (almost) nothing to the time it takes to
    // read it where a core is free (loading hashes every file it reads).
    std::thread::scope(|s| {
        let (to_hasher, hasher) = if opts.hash {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(HASH_QUEUE);
            let hasher = s.spawn(move || {
                let mut h = Sha256::new();
                for chunk in rx {
                    h.update(&chunk);
                }
                hex(&h.finalize())
            });
            (Some(tx), Some(hasher))
        } else {
            (None, None)
        };
        let result = if gzip {
            let decoder = flate2::read::MultiGzDecoder::new(stream);
            parse_decoded(
                HashingReader::new(decoder, to_hasher),
                kind,
                path,
                opts,
                true,
            )
        } else {
            parse_decoded(
                HashingReader::new(stream, to_hasher),
                kind,
                path,
                opts,
                false,
            )
        };
        // The reader (and its sender) is gone: the hasher has every chunk.
        let sha256 = match hasher.map(|h| h.join()) {
            Some(Ok(hex)) => Some(hex),
            Some(Err(_)) => return Err(invalid(path, "the hashing thread panicked")),
            None => None,
        };
        let (count, data) = result?;
        Ok(Idx {
            kind,
            count,
            gzip,
            data,
            sha256,
        })
    })
}

/// Decompressed chunks queued for the hashing thread at most.
const HASH_QUEUE: usize = 16;

/// Opens and parses the IDX file at `path` (raw or gzip, detected by content).
pub fn read_file(path: &Path, kind: IdxKind, opts: ParseOptions) -> Result<Idx, DataError> {
    let file = File::open(path).map_err(|source| io_err(path, source))?;
    parse(BufReader::with_capacity(CHUNK, file), kind, path, opts)
}

/// Parses an images file from `reader` and returns its pixels (`count * 784` bytes).
pub fn read_images(reader: impl Read, path: &Path) -> Result<Vec<u8>, DataError> {
    parse(reader, IdxKind::Images, path, ParseOptions::LOAD).map(|idx| idx.data)
}

/// Parses a labels file from `reader` and returns its labels (each 0–9: a digit set's).
pub fn read_labels(reader: impl Read, path: &Path) -> Result<Vec<u8>, DataError> {
    parse(reader, IdxKind::Labels, path, ParseOptions::LOAD).map(|idx| idx.data)
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// A reader that sends a copy of everything it reads to an optional hashing thread.
struct HashingReader<R> {
    inner: R,
    to_hasher: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
}

impl<R> HashingReader<R> {
    fn new(inner: R, to_hasher: Option<std::sync::mpsc::SyncSender<Vec<u8>>>) -> Self {
        HashingReader { inner, to_hasher }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0
            && let Some(tx) = &self.to_hasher
            && tx.send(buf[..n].to_vec()).is_err()
        {
            return Err(io::Error::other("the hashing thread stopped"));
        }
        Ok(n)
    }
}

fn invalid(path: &Path, problem: impl Into<String>) -> DataError {
    DataError::Invalid {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

fn io_err(path: &Path, source: io::Error) -> DataError {
    DataError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Maps an error met while reading the (possibly decompressed) stream. Decoder errors
/// mean a corrupt gzip file, not an I/O failure.
fn read_err(path: &Path, gzip: bool, source: io::Error) -> DataError {
    let corrupt = matches!(
        source.kind(),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof
    );
    if gzip && corrupt {
        invalid(path, format!("corrupt gzip data: {source}"))
    } else {
        io_err(path, source)
    }
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Validates the header of a decompressed stream; returns the declared item count.
fn parse_header(
    reader: &mut impl Read,
    kind: IdxKind,
    path: &Path,
    gzip: bool,
) -> Result<usize, DataError> {
    let mut header = [0u8; 16];
    let want = kind.header_len();
    let got = read_up_to(reader, &mut header[..want]).map_err(|e| read_err(path, gzip, e))?;
    let what = format!("IDX {}", kind.noun());
    if got == 0 {
        let what_file = if gzip {
            "gzip stream decompresses to nothing"
        } else {
            "empty file"
        };
        return Err(invalid(path, format!("{what_file} (expected {what})")));
    }
    if got < 4 {
        return Err(invalid(
            path,
            format!("truncated header: {got} bytes, expected {want} for {what}"),
        ));
    }
    let magic = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let expected = kind.magic();
    if magic != expected {
        let mut problem = format!("wrong magic 0x{magic:08x}, expected 0x{expected:08x} ({what})");
        if header[0] != 0 || header[1] != 0 {
            problem.push_str(": not an IDX file");
        } else if header[2] != 0x08 {
            problem.push_str(&format!(
                ": data type 0x{:02x}, expected 0x08 (unsigned byte)",
                header[2]
            ));
        } else if magic == IMAGES_MAGIC {
            problem.push_str(": this looks like an IDX images file (3 dimensions)");
        } else if magic == LABELS_MAGIC {
            problem.push_str(": this looks like an IDX labels file (1 dimension)");
        } else {
            problem.push_str(&format!(
                ": {}, expected {}",
                plural(header[3] as usize, "dimension", "dimensions"),
                kind.dims()
            ));
        }
        return Err(invalid(path, problem));
    }
    if got < want {
        return Err(invalid(
            path,
            format!("truncated header: {got} bytes, expected {want} for {what}"),
        ));
    }
    let dim = |i: usize| {
        let o = 4 + 4 * i;
        u32::from_be_bytes([header[o], header[o + 1], header[o + 2], header[o + 3]]) as usize
    };
    let count = dim(0);
    if kind == IdxKind::Images {
        let (rows, cols) = (dim(1), dim(2));
        if (rows, cols) != (IMAGE_SIDE, IMAGE_SIDE) {
            return Err(invalid(
                path,
                format!("images are {rows}×{cols}, expected {IMAGE_SIDE}×{IMAGE_SIDE}"),
            ));
        }
    }
    if count > MAX_ITEMS {
        return Err(invalid(
            path,
            format!(
                "header declares {count} {}, more than the {MAX_ITEMS} accepted",
                kind.noun()
            ),
        ));
    }
    Ok(count)
}

/// Parses a decompressed IDX stream: header, values, nothing after them.
fn parse_decoded(
    mut reader: impl Read,
    kind: IdxKind,
    path: &Path,
    opts: ParseOptions,
    gzip: bool,
) -> Result<(usize, Vec<u8>), DataError> {
    let (keep, (first, last)) = (opts.keep, opts.labels);
    let count = parse_header(&mut reader, kind, path, gzip)?;
    // count <= MAX_ITEMS, so this cannot overflow.
    let expected = count * kind.item_bytes();
    let mut data = Vec::new();
    if keep {
        data.reserve_exact(expected.min(MAX_PREALLOC));
    }
    let mut chunk = vec![0u8; CHUNK.min(expected.max(1))];
    let mut done = 0usize;
    while done < expected {
        let want = (expected - done).min(chunk.len());
        let n = read_up_to(&mut reader, &mut chunk[..want]).map_err(|e| read_err(path, gzip, e))?;
        if kind == IdxKind::Labels
            && let Some(pos) = chunk[..n].iter().position(|&l| l < first || l > last)
        {
            return Err(invalid(
                path,
                format!(
                    "label {} at index {} is outside {first}–{last}",
                    chunk[pos],
                    done + pos
                ),
            ));
        }
        if keep {
            data.extend_from_slice(&chunk[..n]);
        }
        done += n;
        if n < want {
            return Err(invalid(
                path,
                format!(
                    "truncated: header declares {} ({} bytes) but only {} follow",
                    plural(count, kind.noun().trim_end_matches('s'), kind.noun()),
                    expected,
                    plural(done, "byte", "bytes")
                ),
            ));
        }
    }
    // Anything after the values is an error; count it (up to a bound) for the message.
    let trailing = io::copy(
        &mut (&mut reader).take(MAX_TRAILING_COUNT + 1),
        &mut io::sink(),
    )
    .map_err(|e| read_err(path, gzip, e))?;
    if trailing > 0 {
        let amount = if trailing > MAX_TRAILING_COUNT {
            format!("more than {MAX_TRAILING_COUNT} bytes")
        } else {
            plural(trailing as usize, "byte", "bytes")
        };
        return Err(invalid(
            path,
            format!(
                "{amount} of trailing data after the {} declared by the header",
                plural(count, kind.noun().trim_end_matches('s'), kind.noun())
            ),
        ));
    }
    Ok((count, data))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    /// A valid images file with `n` images whose pixels are `(i + p) % 256`.
    pub(crate) fn images_bytes(n: usize) -> Vec<u8> {
        let images: Vec<[u8; IMAGE_PIXELS]> = (0..n)
            .map(|i| std::array::from_fn(|p| ((i + p) % 256) as u8))
            .collect();
        images_file(&images)
    }

    /// A valid labels file with `n` labels `i % 10`.
    pub(crate) fn labels_bytes(n: usize) -> Vec<u8> {
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        labels_file(&labels)
    }

    /// An images file of `images`, 28×28 each.
    pub(crate) fn images_file(images: &[[u8; IMAGE_PIXELS]]) -> Vec<u8> {
        let mut v = IMAGES_MAGIC.to_be_bytes().to_vec();
        for d in [images.len() as u32, 28, 28] {
            v.extend_from_slice(&d.to_be_bytes());
        }
        for image in images {
            v.extend_from_slice(image);
        }
        v
    }

    /// A labels file of `labels`.
    pub(crate) fn labels_file(labels: &[u8]) -> Vec<u8> {
        let mut v = LABELS_MAGIC.to_be_bytes().to_vec();
        v.extend_from_slice(&(labels.len() as u32).to_be_bytes());
        v.extend_from_slice(labels);
        v
    }

    pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn p() -> &'static Path {
        Path::new("some/file")
    }

    fn problem(bytes: &[u8], kind: IdxKind) -> String {
        match parse(bytes, kind, p(), ParseOptions::LOAD) {
            Err(DataError::Invalid { path, problem }) => {
                assert_eq!(path, p());
                problem
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn parses_raw_and_gzip_images_and_labels() {
        for zipped in [false, true] {
            let enc = |b: Vec<u8>| if zipped { gzip(&b) } else { b };
            let idx = parse(
                &enc(images_bytes(3))[..],
                IdxKind::Images,
                p(),
                ParseOptions::LOAD,
            )
            .unwrap();
            assert_eq!(idx.count, 3);
            assert_eq!(idx.gzip, zipped);
            assert_eq!(idx.data.len(), 3 * 784);
            assert_eq!(idx.data[784 + 5], 6);
            let labels = read_labels(&enc(labels_bytes(12))[..], p()).unwrap();
            assert_eq!(labels, (0..12).map(|i| (i % 10) as u8).collect::<Vec<_>>());
        }
    }

    #[test]
    fn zero_items_is_valid() {
        let idx = parse(
            &labels_bytes(0)[..],
            IdxKind::Labels,
            p(),
            ParseOptions::LOAD,
        )
        .unwrap();
        assert_eq!(idx.count, 0);
    }

    #[test]
    fn verify_mode_hashes_decompressed_content_without_keeping_it() {
        let raw = images_bytes(2);
        let want = hex(&Sha256::digest(&raw));
        for input in [raw.clone(), gzip(&raw)] {
            let idx = parse(&input[..], IdxKind::Images, p(), ParseOptions::VERIFY).unwrap();
            assert_eq!(idx.sha256.as_deref(), Some(want.as_str()));
            assert!(idx.data.is_empty());
            assert_eq!(idx.count, 2);
        }
    }

    #[test]
    fn gzip_is_detected_by_content_not_name() {
        // A raw file that happens to start like gzip would be misread, but a real IDX
        // file starts with two zero bytes, and a gzip file named ".idx" is still gzip.
        let idx = read_images(&gzip(&images_bytes(1))[..], Path::new("x.raw")).unwrap();
        assert_eq!(idx.len(), 784);
    }

    #[test]
    fn truncated_data_says_how_much_is_missing() {
        let mut b = images_bytes(3);
        b.truncate(16 + 1000);
        let msg = problem(&b, IdxKind::Images);
        assert_eq!(
            msg,
            "truncated: header declares 3 images (2352 bytes) but only 1000 bytes follow"
        );
        // A lying header: 60000 declared, 1000 bytes present.
        b[4..8].copy_from_slice(&60000u32.to_be_bytes());
        let msg = problem(&b, IdxKind::Images);
        assert_eq!(
            msg,
            "truncated: header declares 60000 images (47040000 bytes) but only 1000 bytes follow"
        );
        // Same through gzip.
        assert_eq!(problem(&gzip(&b), IdxKind::Images), msg);
    }

    #[test]
    fn truncated_header() {
        let b = labels_bytes(5);
        assert_eq!(
            problem(&b[..6], IdxKind::Labels),
            "truncated header: 6 bytes, expected 8 for IDX labels"
        );
        assert_eq!(
            problem(&b[..2], IdxKind::Labels),
            "truncated header: 2 bytes, expected 8 for IDX labels"
        );
    }

    #[test]
    fn empty_file_and_empty_gzip() {
        assert_eq!(
            problem(b"", IdxKind::Images),
            "empty file (expected IDX images)"
        );
        assert_eq!(
            problem(&gzip(b""), IdxKind::Labels),
            "gzip stream decompresses to nothing (expected IDX labels)"
        );
    }

    #[test]
    fn wrong_magic() {
        let mut b = images_bytes(1);
        b[3] = 0x02;
        assert_eq!(
            problem(&b, IdxKind::Images),
            "wrong magic 0x00000802, expected 0x00000803 (IDX images): 2 dimensions, expected 3"
        );
        let mut b = images_bytes(1);
        b[2] = 0x0d;
        assert!(
            problem(&b, IdxKind::Images).ends_with("data type 0x0d, expected 0x08 (unsigned byte)")
        );
        let msg = problem(b"PK\x03\x04 not idx at all", IdxKind::Labels);
        assert!(msg.starts_with("wrong magic 0x504b0304"), "{msg}");
        assert!(msg.ends_with("not an IDX file"), "{msg}");
    }

    #[test]
    fn swapped_images_and_labels_are_named() {
        let msg = problem(&labels_bytes(3), IdxKind::Images);
        assert_eq!(
            msg,
            "wrong magic 0x00000801, expected 0x00000803 (IDX images): this looks like an IDX labels file (1 dimension)"
        );
        let msg = problem(&images_bytes(1), IdxKind::Labels);
        assert!(msg.contains("looks like an IDX images file"), "{msg}");
    }

    #[test]
    fn wrong_dimensions() {
        let mut b = images_bytes(1);
        b[8..12].copy_from_slice(&32u32.to_be_bytes());
        assert_eq!(
            problem(&b, IdxKind::Images),
            "images are 32×28, expected 28×28"
        );
    }

    #[test]
    fn lying_header_is_capped_before_allocating() {
        let mut b = labels_bytes(2);
        b[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            problem(&b, IdxKind::Labels),
            "header declares 4294967295 labels, more than the 1000000 accepted"
        );
        let mut b = images_bytes(1);
        b[4..8].copy_from_slice(&1_000_001u32.to_be_bytes());
        assert!(problem(&b, IdxKind::Images).contains("more than the 1000000 accepted"));
    }

    #[test]
    fn label_out_of_range() {
        let mut b = labels_bytes(20);
        b[8 + 13] = 12;
        assert_eq!(
            problem(&b, IdxKind::Labels),
            "label 12 at index 13 is outside 0–9"
        );
        assert_eq!(
            problem(&gzip(&b), IdxKind::Labels),
            "label 12 at index 13 is outside 0–9"
        );
    }

    #[test]
    fn trailing_garbage() {
        let mut b = labels_bytes(4);
        b.extend_from_slice(b"junk");
        assert_eq!(
            problem(&b, IdxKind::Labels),
            "4 bytes of trailing data after the 4 labels declared by the header"
        );
        assert_eq!(
            problem(&gzip(&b), IdxKind::Labels),
            "4 bytes of trailing data after the 4 labels declared by the header"
        );
        // Garbage after a valid gzip member is a corrupt gzip file.
        let mut z = gzip(&labels_bytes(4));
        z.extend_from_slice(b"junk after the gzip member");
        let msg = problem(&z, IdxKind::Labels);
        assert!(msg.starts_with("corrupt gzip data"), "{msg}");
    }

    #[test]
    fn corrupt_and_truncated_gzip() {
        let z = gzip(&images_bytes(5));
        // Truncated compressed stream.
        let msg = problem(&z[..z.len() / 2], IdxKind::Images);
        eprintln!("{msg}");
        assert!(
            msg.starts_with("corrupt gzip data") || msg.starts_with("truncated"),
            "{msg}"
        );
        // Flipped bytes in the deflate data or the CRC.
        let mut bad = z.clone();
        let mid = bad.len() / 2;
        for b in &mut bad[mid..mid + 8] {
            *b ^= 0xff;
        }
        let msg = problem(&bad, IdxKind::Images);
        assert!(
            msg.starts_with("corrupt gzip data") || msg.contains("wrong magic"),
            "{msg}"
        );
        let mut bad_crc = z.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 0xff;
        let msg = problem(&bad_crc, IdxKind::Images);
        assert!(msg.starts_with("corrupt gzip data"), "{msg}");
        // Just the gzip magic.
        let msg = problem(&GZIP_MAGIC, IdxKind::Images);
        assert!(msg.starts_with("corrupt gzip data"), "{msg}");
    }

    #[test]
    fn never_panics_on_arbitrary_prefixes_and_mutations() {
        let good = [images_bytes(2), gzip(&images_bytes(2))];
        for g in &good {
            for len in 0..g.len().min(200) {
                let _ = parse(&g[..len], IdxKind::Images, p(), ParseOptions::LOAD);
            }
            let mut state = 0x2545_f491_4f6c_dd1du64;
            for _ in 0..300 {
                let mut m = g.clone();
                for _ in 0..4 {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let i = (state as usize) % m.len();
                    m[i] = (state >> 32) as u8;
                }
                let _ = parse(&m[..], IdxKind::Images, p(), ParseOptions::VERIFY);
                let _ = parse(&m[..], IdxKind::Labels, p(), ParseOptions::LOAD);
            }
        }
    }

    #[test]
    fn read_file_reports_io_errors_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope");
        match read_file(&path, IdxKind::Labels, ParseOptions::LOAD) {
            Err(DataError::Io { path: p, .. }) => assert_eq!(p, path),
            other => panic!("{other:?}"),
        }
    }
}
