//! TFRecord framing, the container of an event file: each record is its length
//! (`u64`, little-endian), the masked CRC-32C of those 8 bytes, the data, and the
//! masked CRC-32C of the data (both `u32`, little-endian). TensorBoard skips nothing:
//! a bad checksum ends its reading of the file.

use crc::{CRC_32_ISCSI, Crc};

/// CRC-32C (Castagnoli), the checksum TFRecord uses.
const CRC32C: Crc<u32> = Crc::<u32>::new(&CRC_32_ISCSI);

/// The checksum TFRecord stores: CRC-32C rotated right by 15 bits plus a constant, so
/// that data holding its own checksum does not check out by accident.
pub fn masked_crc(bytes: &[u8]) -> u32 {
    let crc = CRC32C.checksum(bytes);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// Appends `data` to `out` as one record.
pub fn push_record(out: &mut Vec<u8>, data: &[u8]) {
    let len = (data.len() as u64).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
}

/// Why bytes are not a well-formed sequence of records.
#[cfg(test)]
#[derive(Debug, PartialEq, Eq)]
pub enum RecordError {
    /// The file ends inside the record starting at this offset.
    Truncated(usize),
    /// The length's checksum is wrong in the record starting at this offset.
    LengthCrc(usize),
    /// The data's checksum is wrong in the record starting at this offset.
    DataCrc(usize),
}

/// The data of every record in `bytes`, checksums checked (the tests' reader, for
/// this exporter's files and TensorBoard's own).
#[cfg(test)]
pub fn read_records(bytes: &[u8]) -> Result<Vec<&[u8]>, RecordError> {
    let word = |at: usize, n: usize| bytes.get(at..at.checked_add(n)?);
    let mut records = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len_bytes = word(at, 8).ok_or(RecordError::Truncated(at))?;
        let len_crc = word(at + 8, 4).ok_or(RecordError::Truncated(at))?;
        if masked_crc(len_bytes).to_le_bytes() != len_crc {
            return Err(RecordError::LengthCrc(at));
        }
        let len = u64::from_le_bytes(
            len_bytes
                .try_into()
                .map_err(|_| RecordError::Truncated(at))?,
        );
        let len = usize::try_from(len).map_err(|_| RecordError::Truncated(at))?;
        let data = word(at + 12, len).ok_or(RecordError::Truncated(at))?;
        let data_crc = word(at + 12 + len, 4).ok_or(RecordError::Truncated(at))?;
        if masked_crc(data).to_le_bytes() != data_crc {
            return Err(RecordError::DataCrc(at));
        }
        records.push(data);
        at += 16 + len;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn crc32c_and_its_mask_match_the_published_values() {
        // CRC-32C's check value (RFC 3720's polynomial over "123456789").
        assert_eq!(CRC32C.checksum(b"123456789"), 0xe306_9283);
        // TFRecord's mask of it: ((crc >> 15) | (crc << 17)) + 0xa282ead8, wrapping.
        assert_eq!(masked_crc(b"123456789"), 0xc78a_b0e5);
    }

    #[test]
    fn a_flipped_bit_is_caught_where_it_is() {
        let mut bytes = Vec::new();
        push_record(&mut bytes, b"first");
        push_record(&mut bytes, b"second");
        assert_eq!(read_records(&bytes).unwrap(), [&b"first"[..], b"second"]);
        let second = 16 + 5;
        let mut bad = bytes.clone();
        bad[second + 12] ^= 1; // the second record's data
        assert_eq!(read_records(&bad), Err(RecordError::DataCrc(second)));
        let mut bad = bytes.clone();
        bad[second] ^= 1; // its length
        assert_eq!(read_records(&bad), Err(RecordError::LengthCrc(second)));
        assert_eq!(
            read_records(&bytes[..bytes.len() - 1]),
            Err(RecordError::Truncated(second))
        );
    }

    proptest! {
        #[test]
        fn records_read_back_and_any_bytes_are_safe_to_read(
            datas in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..5),
            junk in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut bytes = Vec::new();
            for d in &datas {
                push_record(&mut bytes, d);
            }
            let back = read_records(&bytes).unwrap();
            prop_assert_eq!(back, datas.iter().map(Vec::as_slice).collect::<Vec<_>>());
            let _ = read_records(&junk);
        }
    }
}
