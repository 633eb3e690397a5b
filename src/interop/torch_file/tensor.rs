//! A tensor built from its view of a storage: checked against the caps and the storage
//! before anything is allocated, then gathered into contiguous row-major values (f32 for
//! floating point storages, i64 for integer ones).

use super::error::TensorProblem;
use super::globals::StorageKind;
use super::graph::TensorSpec;
use super::limits::Limits;
use super::value::{Tensor, TensorData};

/// Where tensors find their storages' bytes (the archive, or a map in tests).
pub(super) trait Storages {
    /// The `len` bytes of storage `key`: None if there is no such storage, an error (in
    /// words) if it does not hold exactly `len` bytes or cannot be read.
    fn storage(&mut self, key: &str, len: u64) -> Result<Option<&[u8]>, String>;
    /// Whether the storages are big-endian (the archive's `byteorder`).
    fn big_endian(&self) -> bool;
}

/// Builds the tensor `spec` describes; `total` counts elements of all tensors so far.
pub(super) fn build(
    spec: &TensorSpec,
    storages: &mut dyn Storages,
    limits: &Limits,
    total: &mut u64,
) -> Result<Tensor, TensorProblem> {
    let storage = &spec.storage;
    let kind = storage.kind;
    if spec.size.len() > limits.max_dims {
        return Err(TensorProblem::TooManyDims {
            dims: spec.size.len(),
            max: limits.max_dims,
        });
    }
    let needs = spec
        .size
        .iter()
        .try_fold(1u128, |n, &s| n.checked_mul(u128::from(s)));
    let numel = match needs.map(u64::try_from) {
        Some(Ok(n)) if n <= limits.max_tensor_elements => n,
        _ => {
            return Err(TensorProblem::TooManyElements {
                needs,
                max: limits.max_tensor_elements,
            });
        }
    };
    if total.saturating_add(numel) > limits.max_total_elements {
        return Err(TensorProblem::TooManyInTotal {
            max: limits.max_total_elements,
        });
    }
    check_view(spec)?;
    if !kind.is_read() {
        return Err(TensorProblem::Dtype {
            dtype: kind.dtype(),
            class: kind.class(),
        });
    }
    let bytes_needed = u128::from(storage.numel) * u128::from(kind.size());
    let storage_problem = |problem: String| TensorProblem::Storage {
        key: storage.key.clone(),
        numel: storage.numel,
        bytes: bytes_needed,
        dtype: kind.dtype(),
        problem,
    };
    let len = u64::try_from(bytes_needed)
        .map_err(|_| storage_problem("more bytes than can be addressed".into()))?;
    let big = storages.big_endian();
    let bytes = storages
        .storage(&storage.key, len)
        .map_err(storage_problem)?
        .ok_or_else(|| TensorProblem::MissingStorage(storage.key.clone()))?;
    let shape = spec
        .size
        .iter()
        .map(|&s| usize::try_from(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| storage_problem("a size too large for this machine".into()))?;
    let data = gather(spec, numel, bytes, big)
        .ok_or_else(|| storage_problem("an element outside it".into()))?;
    *total = total.saturating_add(numel);
    Ok(Tensor { shape, data })
}

/// Checks that every element of the view lies inside the storage.
fn check_view(spec: &TensorSpec) -> Result<(), TensorProblem> {
    let numel = spec.storage.numel;
    let outside = |last: u128| TensorProblem::OutsideStorage {
        key: spec.storage.key.clone(),
        offset: spec.offset,
        size: spec.size.clone(),
        stride: spec.stride.clone(),
        last,
        numel,
    };
    if spec.size.contains(&0) {
        // No element is read; the offset may still not lie past the end.
        return if spec.offset <= numel {
            Ok(())
        } else {
            Err(outside(u128::from(spec.offset)))
        };
    }
    let last = spec
        .size
        .iter()
        .zip(&spec.stride)
        .try_fold(u128::from(spec.offset), |last, (&size, &stride)| {
            let reach = u128::from(size - 1).checked_mul(u128::from(stride))?;
            last.checked_add(reach)
        })
        .unwrap_or(u128::MAX);
    if last >= u128::from(numel) {
        return Err(outside(last));
    }
    Ok(())
}

/// The view's elements in row-major order; None if one lies outside `bytes` (which
/// [`check_view`] and the storage's length check rule out).
fn gather(spec: &TensorSpec, numel: u64, bytes: &[u8], big: bool) -> Option<TensorData> {
    let kind = spec.storage.kind;
    let width = usize::try_from(kind.size()).ok()?;
    let numel = usize::try_from(numel).ok()?;
    Some(match kind {
        StorageKind::Float => TensorData::F32(collect(spec, numel, bytes, width, |b| {
            f32::from_bits(u32::from_ne_bytes(word(b, big)))
        })?),
        StorageKind::Double => TensorData::F32(collect(spec, numel, bytes, width, |b| {
            f64::from_bits(u64::from_ne_bytes(word(b, big))) as f32
        })?),
        StorageKind::Half => TensorData::F32(collect(spec, numel, bytes, width, |b| {
            f16_to_f32(u16::from_ne_bytes(word(b, big)))
        })?),
        StorageKind::BFloat16 => TensorData::F32(collect(spec, numel, bytes, width, |b| {
            f32::from_bits(u32::from(u16::from_ne_bytes(word(b, big))) << 16)
        })?),
        StorageKind::Long => TensorData::I64(collect(spec, numel, bytes, width, |b| {
            i64::from_ne_bytes(word(b, big))
        })?),
        StorageKind::Int => TensorData::I64(collect(spec, numel, bytes, width, |b| {
            i64::from(i32::from_ne_bytes(word(b, big)))
        })?),
        StorageKind::Short | StorageKind::Char | StorageKind::Byte | StorageKind::Bool => {
            return None;
        }
    })
}

/// An element's bytes in native order (from the storage's `big` or little endian order).
fn word<const N: usize>(b: &[u8], big: bool) -> [u8; N] {
    let mut w: [u8; N] = b.try_into().unwrap_or([0; N]);
    if big != cfg!(target_endian = "big") {
        w.reverse();
    }
    w
}

/// Walks the view in row-major order, decoding each element of `width` bytes.
fn collect<T>(
    spec: &TensorSpec,
    numel: usize,
    bytes: &[u8],
    width: usize,
    decode: impl Fn(&[u8]) -> T,
) -> Option<Vec<T>> {
    let element = |at: u64| -> Option<T> {
        let start = usize::try_from(at).ok()?.checked_mul(width)?;
        let b = bytes.get(start..start.checked_add(width)?)?;
        Some(decode(b))
    };
    let mut out = Vec::with_capacity(numel);
    if numel == 0 {
        return Some(out);
    }
    if is_contiguous(&spec.size, &spec.stride) {
        let start = usize::try_from(spec.offset).ok()?.checked_mul(width)?;
        let end = start.checked_add(numel.checked_mul(width)?)?;
        out.extend(bytes.get(start..end)?.chunks_exact(width).map(decode));
        return Some(out);
    }
    let dims = spec.size.len();
    let mut index = vec![0u64; dims];
    let mut at = spec.offset;
    for _ in 0..numel {
        out.push(element(at)?);
        // Odometer: the last dimension turns fastest.
        for d in (0..dims).rev() {
            let (size, stride) = (*spec.size.get(d)?, *spec.stride.get(d)?);
            let i = index.get_mut(d)?;
            if *i + 1 < size {
                *i += 1;
                at = at.checked_add(stride)?;
                break;
            }
            at = at.checked_sub((size - 1).checked_mul(stride)?)?;
            *i = 0;
        }
    }
    Some(out)
}

/// Whether `stride` is the row-major stride of `size` (dimensions of size 1 may have
/// any stride, as in torch).
fn is_contiguous(size: &[u64], stride: &[u64]) -> bool {
    let mut expected = 1u64;
    for (&s, &st) in size.iter().zip(stride).rev() {
        if s != 1 && st != expected {
            return false;
        }
        match expected.checked_mul(s) {
            Some(e) => expected = e,
            None => return false,
        }
    }
    true
}

/// IEEE half precision to single (exact: every f16 is an f32).
fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    match exp {
        0 => sign * man as f32 * f32::powi(2.0, -24),
        0x1f if man == 0 => sign * f32::INFINITY,
        0x1f => f32::NAN,
        _ => f32::from_bits((u32::from(h & 0x8000) << 16) | ((exp + 112) << 23) | (man << 13)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interop::torch_file::graph::StorageRef;
    use std::rc::Rc;

    struct Map(Vec<u8>, bool);

    impl Storages for Map {
        fn storage(&mut self, key: &str, len: u64) -> Result<Option<&[u8]>, String> {
            if key != "0" {
                return Ok(None);
            }
            if self.0.len() as u64 != len {
                return Err(format!("holds {} bytes", self.0.len()));
            }
            Ok(Some(&self.0))
        }
        fn big_endian(&self) -> bool {
            self.1
        }
    }

    fn spec(
        kind: StorageKind,
        numel: u64,
        offset: u64,
        size: &[u64],
        stride: &[u64],
    ) -> TensorSpec {
        TensorSpec {
            storage: Rc::new(StorageRef {
                kind,
                key: "0".into(),
                numel,
            }),
            offset,
            size: size.to_vec(),
            stride: stride.to_vec(),
        }
    }

    fn floats(n: usize) -> Vec<u8> {
        (0..n).flat_map(|i| (i as f32).to_le_bytes()).collect()
    }

    fn read(s: &TensorSpec, bytes: Vec<u8>) -> Result<Tensor, TensorProblem> {
        build(s, &mut Map(bytes, false), &Limits::DEFAULT, &mut 0)
    }

    #[test]
    fn a_transposed_view_is_gathered_row_major() {
        // A 2x3 storage read as its 3x2 transpose.
        let t = read(&spec(StorageKind::Float, 6, 0, &[3, 2], &[1, 3]), floats(6)).unwrap();
        assert_eq!(t.shape, vec![3, 2]);
        assert_eq!(t.data, TensorData::F32(vec![0., 3., 1., 4., 2., 5.]));
    }

    #[test]
    fn an_offset_and_a_zero_stride_are_followed() {
        let t = read(&spec(StorageKind::Float, 6, 4, &[2, 3], &[1, 0]), floats(6)).unwrap();
        assert_eq!(t.data, TensorData::F32(vec![4., 4., 4., 5., 5., 5.]));
    }

    #[test]
    fn a_view_past_its_storage_is_refused() {
        let e = read(&spec(StorageKind::Float, 6, 1, &[2, 3], &[3, 1]), floats(6)).unwrap_err();
        assert!(
            matches!(
                e,
                TensorProblem::OutsideStorage {
                    last: 6,
                    numel: 6,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = read(
            &spec(StorageKind::Float, 6, 0, &[2, 3], &[u64::MAX, 1]),
            floats(6),
        );
        assert!(
            matches!(e, Err(TensorProblem::OutsideStorage { .. })),
            "{e:?}"
        );
    }

    #[test]
    fn huge_sizes_are_refused_before_reading() {
        let s = spec(StorageKind::Float, 1, 0, &[1 << 20, 1 << 20], &[0, 0]);
        let e = read(&s, floats(1)).unwrap_err();
        assert_eq!(
            e,
            TensorProblem::TooManyElements {
                needs: Some(1 << 40),
                max: 64 << 20
            }
        );
        let s = spec(StorageKind::Float, 1, 0, &[u64::MAX; 8], &[0; 8]);
        assert!(matches!(
            read(&s, floats(1)),
            Err(TensorProblem::TooManyElements { .. })
        ));
    }

    #[test]
    fn the_total_is_capped_across_tensors() {
        let limits = Limits {
            max_total_elements: 10,
            ..Limits::DEFAULT
        };
        let s = spec(StorageKind::Float, 6, 0, &[6], &[1]);
        let mut total = 0;
        let mut map = Map(floats(6), false);
        build(&s, &mut map, &limits, &mut total).unwrap();
        assert_eq!(total, 6);
        let e = build(&s, &mut map, &limits, &mut total).unwrap_err();
        assert_eq!(e, TensorProblem::TooManyInTotal { max: 10 });
    }

    #[test]
    fn a_storage_of_the_wrong_length_is_refused() {
        let e = read(&spec(StorageKind::Float, 6, 0, &[6], &[1]), floats(5)).unwrap_err();
        assert!(e.to_string().contains("holds 20 bytes"), "{e}");
        let e = read(&spec(StorageKind::Float, 6, 0, &[6], &[1]), vec![]);
        assert!(e.is_err());
    }

    #[test]
    fn unread_dtypes_are_named() {
        let e = read(&spec(StorageKind::Byte, 4, 0, &[4], &[1]), vec![0; 4]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "has dtype uint8 (torch.ByteStorage): only float32/64/16, \
                                   bfloat16, int64 and int32 tensors are read"
        );
    }

    #[test]
    fn dtypes_are_converted() {
        let half: Vec<u8> = [0x3c00u16, 0xc000, 0x7bff, 0x0001, 0xfc00]
            .iter()
            .flat_map(|h| h.to_le_bytes())
            .collect();
        let t = read(&spec(StorageKind::Half, 5, 0, &[5], &[1]), half).unwrap();
        assert_eq!(
            t.data,
            TensorData::F32(vec![1.0, -2.0, 65504.0, 2f32.powi(-24), f32::NEG_INFINITY])
        );
        let bf: Vec<u8> = [0x3fc0u16, 0xc040]
            .iter()
            .flat_map(|h| h.to_le_bytes())
            .collect();
        let t = read(&spec(StorageKind::BFloat16, 2, 0, &[2], &[1]), bf).unwrap();
        assert_eq!(t.data, TensorData::F32(vec![1.5, -3.0]));
        let ints: Vec<u8> = [-5i32, 7].iter().flat_map(|i| i.to_le_bytes()).collect();
        let t = read(&spec(StorageKind::Int, 2, 0, &[2], &[1]), ints).unwrap();
        assert_eq!(t.data, TensorData::I64(vec![-5, 7]));
        let big: Vec<u8> = [1.5f64, -0.25]
            .iter()
            .flat_map(|f| f.to_be_bytes())
            .collect();
        let s = spec(StorageKind::Double, 2, 0, &[2], &[1]);
        let t = build(&s, &mut Map(big, true), &Limits::DEFAULT, &mut 0).unwrap();
        assert_eq!(t.data, TensorData::F32(vec![1.5, -0.25]));
    }

    #[test]
    fn a_zero_dim_tensor_has_one_element() {
        let longs = 42i64.to_le_bytes().to_vec();
        let t = read(&spec(StorageKind::Long, 1, 0, &[], &[]), longs).unwrap();
        assert_eq!(t.shape, Vec::<usize>::new());
        assert_eq!(t.data, TensorData::I64(vec![42]));
    }
}
