//! IDX files for the tests that write their own datasets.

use std::io::Write;

/// IDX's magic number of a labels file (the images file's is `0x0803`).
const LABELS_MAGIC: u32 = 0x0000_0801;

/// An IDX labels file of `n` labels, cycling through `first..first + classes`.
pub fn labels_file(n: usize, first: u8, classes: u8) -> Vec<u8> {
    let mut v = LABELS_MAGIC.to_be_bytes().to_vec();
    v.extend_from_slice(&(n as u32).to_be_bytes());
    v.extend((0..n).map(|i| first + (i % classes as usize) as u8));
    v
}

/// `bytes` gzipped, as the datasets are published.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("gzip into memory");
    enc.finish().expect("gzip into memory")
}
