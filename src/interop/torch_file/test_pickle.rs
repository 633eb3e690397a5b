//! Tests' checkpoints written by hand: a protocol 2 pickle builder that spells opcodes
//! as torch.save does, and zip archives around it.

use super::opcodes::*;
use std::io::Write;

/// A pickle under construction (starts with PROTO 2).
pub(super) struct P(pub Vec<u8>);

impl P {
    pub fn new() -> P {
        P(vec![PROTO, 2])
    }

    pub fn op(mut self, op: u8) -> P {
        self.0.push(op);
        self
    }

    pub fn bytes(mut self, b: &[u8]) -> P {
        self.0.extend_from_slice(b);
        self
    }

    pub fn global(self, module: &str, name: &str) -> P {
        self.op(GLOBAL)
            .bytes(format!("{module}\n{name}\n").as_bytes())
    }

    pub fn str(self, s: &str) -> P {
        let len = (s.len() as u32).to_le_bytes();
        self.op(BINUNICODE).bytes(&len).bytes(s.as_bytes())
    }

    pub fn int(self, i: i64) -> P {
        match i {
            0..=255 => self.op(BININT1).bytes(&[i as u8]),
            _ if i32::try_from(i).is_ok() => self.op(BININT).bytes(&(i as i32).to_le_bytes()),
            _ => self.op(LONG1).bytes(&[8]).bytes(&i.to_le_bytes()),
        }
    }

    pub fn ints(self, v: &[u64]) -> P {
        v.iter()
            .fold(self.op(MARK), |p, &i| p.int(i as i64))
            .op(TUPLE)
    }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())`.
    pub fn tensor(
        self,
        class: &str,
        key: &str,
        numel: u64,
        offset: u64,
        size: &[u64],
        stride: &[u64],
    ) -> P {
        self.global("torch._utils", "_rebuild_tensor_v2")
            .op(MARK)
            .op(MARK)
            .str("storage")
            .global("torch", class)
            .str(key)
            .str("cpu")
            .int(numel as i64)
            .op(TUPLE)
            .op(BINPERSID)
            .int(offset as i64)
            .ints(size)
            .ints(stride)
            .op(NEWFALSE)
            .ordered_dict()
            .op(TUPLE)
            .op(REDUCE)
    }

    /// A contiguous float tensor of `size` on storage `key`.
    pub fn floats(self, key: &str, size: &[u64]) -> P {
        let numel = size.iter().product();
        self.tensor("FloatStorage", key, numel, 0, size, &contiguous(size))
    }

    pub fn ordered_dict(self) -> P {
        self.global("collections", "OrderedDict")
            .op(EMPTY_TUPLE)
            .op(REDUCE)
    }

    pub fn stop(self) -> Vec<u8> {
        self.op(STOP).0
    }
}

/// Row-major strides of `size`.
pub(super) fn contiguous(size: &[u64]) -> Vec<u64> {
    let mut stride = vec![1; size.len()];
    for d in (0..size.len().saturating_sub(1)).rev() {
        stride[d] = stride[d + 1] * size[d + 1];
    }
    stride
}

/// A zip archive of `entries`, stored uncompressed (as torch.save does).
pub(super) fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with(entries, zip::CompressionMethod::Stored)
}

pub(super) fn zip_with(entries: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in entries {
        w.start_file(*name, options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A checkpoint archive `archive/` of `pickle` and storages `(key, bytes)`.
pub(super) fn checkpoint(pickle: &[u8], storages: &[(&str, &[u8])]) -> Vec<u8> {
    let names: Vec<String> = storages
        .iter()
        .map(|(k, _)| format!("archive/data/{k}"))
        .collect();
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("archive/data.pkl", pickle),
        ("archive/byteorder", b"little"),
    ];
    for (name, (_, bytes)) in names.iter().zip(storages) {
        entries.push((name, bytes));
    }
    entries.push(("archive/version", b"3\n"));
    zip(&entries)
}

/// `values` as little-endian f32 bytes.
pub(super) fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}
