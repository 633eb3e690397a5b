//! Hostile and broken checkpoints, written by hand: each is refused with an error that
//! names the file and the problem, before anything is run or over-allocated.

use super::opcodes::*;
use super::test_pickle::{P, checkpoint, f32_bytes, zip, zip_with};
use super::*;
use std::path::Path;

const NAME: &str = "model.pkl";

fn read(bytes: &[u8]) -> Result<Value, String> {
    read_torch_bytes(bytes, Path::new(NAME)).map_err(|e| e.to_string())
}

/// Reads `pickle` in a checkpoint with storage "0" holding `values`.
fn read_pickle(pickle: &[u8], values: &[f32]) -> Result<Value, String> {
    read(&checkpoint(pickle, &[("0", &f32_bytes(values))]))
}

fn err(result: Result<Value, String>) -> String {
    let e = result.unwrap_err();
    assert!(e.starts_with("model.pkl: "), "{e}");
    e
}

/// `{'w': <tensor>}` with the tensor written by `tensor`.
fn dict_of(tensor: impl FnOnce(P) -> P) -> Vec<u8> {
    tensor(P::new().op(EMPTY_DICT).str("w")).op(SETITEM).stop()
}

#[test]
fn a_reduce_calling_os_system_is_refused_and_nothing_runs() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("pwned");
    let command = format!("touch {}", marker.display());
    // What pickle.dumps gives for `__reduce__ = lambda self: (os.system, (command,))`,
    // with protocol 2 (GLOBAL) and protocol 4 (STACK_GLOBAL).
    let protocol2 = P::new()
        .global("posix", "system")
        .str(&command)
        .op(TUPLE1)
        .op(REDUCE)
        .stop();
    let protocol4 = P::new()
        .op(FRAME)
        .bytes(&[0; 8])
        .str("posix")
        .op(MEMOIZE)
        .str("system")
        .op(MEMOIZE)
        .op(STACK_GLOBAL)
        .str(&command)
        .op(TUPLE1)
        .op(REDUCE)
        .stop();
    for pickle in [protocol2, protocol4] {
        let e = err(read_pickle(&pickle, &[]));
        assert!(
            e.contains("refuses the pickle global 'posix system': only tensors and dicts are read"),
            "{e}"
        );
    }
    assert!(!marker.exists());
    // The same pickle as a tensor's hooks, or deep inside a dict, is refused too.
    let hooks = dict_of(|p| {
        p.global("torch._utils", "_rebuild_tensor_v2")
            .op(MARK)
            .global("os", "system")
            .str(&command)
            .op(TUPLE1)
            .op(REDUCE)
            .op(TUPLE)
            .op(REDUCE)
    });
    assert!(err(read_pickle(&hooks, &[])).contains("'os system'"));
    assert!(!marker.exists());
}

#[test]
fn globals_off_the_whitelist_are_refused_by_name() {
    for (module, name) in [
        ("builtins", "eval"),
        ("__builtin__", "getattr"),
        ("subprocess", "Popen"),
        ("torch", "load"),
        ("torch", "ComplexFloatStorage"),
        ("torch", "UntypedStorage"),
        ("torch._utils", "_rebuild_device_tensor_from_numpy"),
        ("collections", "defaultdict"),
        ("numpy.core.multiarray", "_reconstruct"),
    ] {
        let pickle = P::new()
            .global(module, name)
            .op(EMPTY_TUPLE)
            .op(REDUCE)
            .stop();
        let e = err(read_pickle(&pickle, &[]));
        assert!(
            e.contains(&format!("refuses the pickle global '{module} {name}'")),
            "{e}"
        );
    }
}

#[test]
fn opcodes_torch_save_does_not_write_are_refused_by_name_and_offset() {
    for (op, name) in [
        (b'i', "INST"),
        (b'o', "OBJ"),
        (0x81, "NEWOBJ"),
        (0x82, "EXT1"),
        (b'P', "PERSID"),
        (b'S', "STRING"),
        (b'C', "SHORT_BINBYTES"),
        (0x8f, "EMPTY_SET"),
        (b'0', "POP"),
    ] {
        let pickle = P::new().op(NONE).op(op).stop();
        let e = err(read_pickle(&pickle, &[]));
        assert_eq!(
            e,
            format!(
                "model.pkl: archive/data.pkl byte 3: refuses the pickle opcode {name} \
                 (0x{op:02x}): torch.save does not write it"
            )
        );
    }
    let e = err(read_pickle(&P::new().op(0xff).stop(), &[]));
    assert!(e.ends_with("byte 2: unknown pickle opcode 0xff"), "{e}");
}

#[test]
fn truncated_and_non_zip_files_are_refused() {
    let pickle = dict_of(|p| p.floats("0", &[3]));
    let valid = checkpoint(&pickle, &[("0", &f32_bytes(&[1., 2., 3.]))]);
    assert!(read(&valid).is_ok());
    for cut in [valid.len() - 1, valid.len() / 2, 30, 4] {
        let e = err(read(&valid[..cut]));
        assert!(e.contains("truncated or damaged zip archive"), "{cut}: {e}");
    }
    for bytes in [&b""[..], b"\x80\x02}q\x00.", b"PK"] {
        let e = err(read(bytes));
        assert!(
            e.contains("not a zip archive: torch.save writes one"),
            "{e}"
        );
    }
}

#[test]
fn a_tensor_reaching_past_its_storage_is_refused() {
    // Six elements, read as 2x3 from offset 1: the last one is element 6.
    let pickle = dict_of(|p| p.tensor("FloatStorage", "0", 6, 1, &[2, 3], &[3, 1]));
    let e = err(read_pickle(&pickle, &[0.; 6]));
    assert_eq!(
        e,
        "model.pkl: tensor 'w' reads past its storage '0': its view (offset 1, size [2, 3], \
         stride [3, 1]) reaches element 6 of 6"
    );
    // A storage claiming more elements than its entry holds.
    let pickle = dict_of(|p| p.tensor("FloatStorage", "0", 1 << 40, 0, &[2], &[1]));
    let e = err(read_pickle(&pickle, &[0.; 6]));
    assert!(
        e.contains("tensor 'w' names storage '0' of 1099511627776 elements")
            && e.contains("the archive's entry holds 24 bytes"),
        "{e}"
    );
    let pickle = dict_of(|p| p.floats("7", &[2]));
    assert!(err(read_pickle(&pickle, &[0.; 2])).contains("names storage '7', which is not in"));
}

#[test]
fn an_oversized_tensor_is_refused_before_anything_is_allocated() {
    // 2^40 elements of a one-element storage (stride 0): refused by the element cap,
    // then by the view check, never allocated (it would take 4 TiB).
    let pickle = dict_of(|p| p.tensor("FloatStorage", "0", 1, 0, &[1 << 20, 1 << 20], &[0, 0]));
    assert_eq!(
        err(read_pickle(&pickle, &[1.])),
        "model.pkl: tensor 'w' needs 1099511627776 elements, more than the 67108864 allowed"
    );
    let pickle = dict_of(|p| p.tensor("FloatStorage", "0", 1, 0, &[1 << 62; 8], &[0; 8]));
    assert!(err(read_pickle(&pickle, &[1.])).contains("needs more than 2^128 elements"));
    let pickle = dict_of(|p| p.tensor("FloatStorage", "0", 1, 0, &[1; 9], &[0; 9]));
    assert!(err(read_pickle(&pickle, &[1.])).contains("a tensor of 9 dimensions"));
}

#[test]
fn the_total_of_all_tensors_is_capped() {
    let pickle = P::new().op(EMPTY_DICT).op(MARK);
    let pickle = (0..3)
        .fold(pickle, |p, i| p.str(&format!("w{i}")).floats("0", &[4]))
        .op(SETITEMS)
        .stop();
    let bytes = checkpoint(&pickle, &[("0", &f32_bytes(&[0.; 4]))]);
    let limits = Limits {
        max_total_elements: 10,
        ..Limits::DEFAULT
    };
    let e = read_torch_bytes_with(&bytes, Path::new(NAME), &limits).unwrap_err();
    assert_eq!(
        e.to_string(),
        "model.pkl: tensor 'w2' would bring the elements of all tensors past the 10 allowed"
    );
    assert!(read(&bytes).is_ok());
}

#[test]
fn storages_of_unread_dtypes_are_refused_by_dtype() {
    let pickle = dict_of(|p| p.tensor("ByteStorage", "0", 4, 0, &[4], &[1]));
    assert_eq!(
        err(read(&checkpoint(&pickle, &[("0", &[1, 2, 3, 4])]))),
        "model.pkl: tensor 'w' has dtype uint8 (torch.ByteStorage): only float32/64/16, \
         bfloat16, int64 and int32 tensors are read"
    );
    let pickle = dict_of(|p| p.tensor("BoolStorage", "0", 1, 0, &[], &[]));
    assert!(err(read(&checkpoint(&pickle, &[("0", &[1])]))).contains("dtype bool"));
}

#[test]
fn deep_nesting_and_self_reference_are_refused() {
    let depth = 100_000;
    let mut p = P::new();
    for _ in 0..depth {
        p = p.op(EMPTY_LIST);
    }
    for _ in 1..depth {
        p = p.op(APPEND);
    }
    let e = err(read_pickle(&p.stop(), &[]));
    assert!(
        e.contains("is nested more than 100 deep (or contains itself)"),
        "{e}"
    );
    // l = []; l.append(l)
    let p = P::new()
        .op(EMPTY_LIST)
        .op(BINPUT)
        .bytes(&[0])
        .op(BINGET)
        .bytes(&[0])
        .op(APPEND)
        .stop();
    assert!(err(read_pickle(&p, &[])).contains("nested more than 100 deep"));
}

#[test]
fn shared_parts_are_counted_each_time_they_are_reached() {
    // l0 = [0]; l1 = [l0] * 16; ... l10 = [l9] * 16: 16^10 values from 400 bytes.
    let mut p = P::new().op(EMPTY_LIST).int(0).op(APPEND);
    for _ in 0..10 {
        p = p.op(BINPUT).bytes(&[0]).op(EMPTY_LIST).op(MARK);
        for _ in 0..16 {
            p = p.op(BINGET).bytes(&[0]);
        }
        p = p.op(APPENDS);
    }
    let e = err(read_pickle(&p.stop(), &[]));
    assert!(
        e.contains("makes the object hold more than 4194304 values"),
        "{e}"
    );
}

#[test]
fn pickle_caps_hold_before_allocating() {
    // A string claiming 2^63 bytes.
    let p = P::new().op(0x8d).bytes(&(1u64 << 63).to_le_bytes()).stop();
    assert!(err(read_pickle(&p, &[])).contains("a string of 9223372036854775808 bytes"));
    // An integer of 200 bytes.
    let p = P::new().op(LONG1).bytes(&[200]).bytes(&[1; 200]).stop();
    assert!(err(read_pickle(&p, &[])).contains("an integer of 200 bytes"));
    // Stack and memo caps.
    let limits = Limits {
        max_stack: 100,
        max_memo: 10,
        ..Limits::DEFAULT
    };
    let p = (0..200).fold(P::new(), |p, _| p.op(NONE)).stop();
    let bytes = checkpoint(&p, &[]);
    let e = read_torch_bytes_with(&bytes, Path::new(NAME), &limits).unwrap_err();
    assert!(
        e.to_string()
            .contains("items on the pickle stack: more than the 100 allowed")
    );
    let p = (0..20u8)
        .fold(P::new().op(NONE), |p, i| p.op(BINPUT).bytes(&[i]))
        .stop();
    let e = read_torch_bytes_with(&checkpoint(&p, &[]), Path::new(NAME), &limits).unwrap_err();
    assert!(
        e.to_string()
            .contains("memo entries: more than the 10 allowed"),
        "{e}"
    );
}

#[test]
fn broken_pickles_say_what_and_where() {
    for (pickle, want) in [
        (
            P::new().op(NONE).0,
            "byte 3: the pickle ends before its STOP opcode",
        ),
        (P::new().op(APPEND).stop(), "byte 2: stack underflow"),
        (
            P::new().op(BINGET).bytes(&[7]).stop(),
            "byte 2: memo entry 7 was never set",
        ),
        (
            P::new().op(NONE).op(MARK).op(APPEND).stop(),
            "byte 4: stack underflow",
        ),
        (
            P::new().op(NONE).op(SETITEMS).stop(),
            "byte 3: no MARK to pop to",
        ),
        (
            P::new().op(EMPTY_LIST).op(NONE).op(NONE).op(SETITEM).stop(),
            "byte 5: SETITEM or BUILD on something that is not a dict",
        ),
        (
            P::new().global("collections", "OrderedDict").stop(),
            "'(the whole object)' is the global 'collections OrderedDict', not a value",
        ),
    ] {
        let e = err(read_pickle(&pickle, &[]));
        assert!(e.ends_with(want), "{e} / {want}");
    }
}

#[test]
fn archives_without_exactly_one_pickle_are_refused() {
    let pickle = P::new().op(NONE).stop();
    let e = err(read(&zip(&[("archive/version", b"3")])));
    assert!(e.contains("no <name>/data.pkl in the archive"), "{e}");
    let e = err(read(&zip(&[
        ("a/data.pkl", &pickle),
        ("b/data.pkl", &pickle),
    ])));
    assert!(e.contains("two pickles, a/data.pkl and b/data.pkl"), "{e}");
    // A nested or top-level data.pkl is not torch.save's.
    let e = err(read(&zip(&[
        ("data.pkl", &pickle),
        ("a/b/data.pkl", &pickle),
    ])));
    assert!(e.contains("no <name>/data.pkl"), "{e}");
    let e = err(read(&zip(&[
        ("a/data.pkl", &pickle),
        ("a/byteorder", b"middle"),
    ])));
    assert!(e.contains("a/byteorder says \"middle\""), "{e}");
}

#[test]
fn deflated_and_big_endian_archives_are_read() {
    let pickle = dict_of(|p| p.floats("0", &[2]));
    let be: Vec<u8> = [1.5f32, -2.0]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let bytes = zip_with(
        &[
            ("ckpt/data.pkl", &pickle),
            ("ckpt/byteorder", b"big"),
            ("ckpt/data/0", &be),
        ],
        zip::CompressionMethod::Deflated,
    );
    let entries = state_dict(read(&bytes).unwrap(), Path::new(NAME)).unwrap();
    assert_eq!(entries[0].1.data, TensorData::F32(vec![1.5, -2.0]));
}

#[test]
fn state_dict_wants_a_dict_of_names_to_tensors() {
    let path = Path::new(NAME);
    let list = read_pickle(&P::new().op(EMPTY_LIST).stop(), &[]).unwrap();
    assert_eq!(
        state_dict(list, path).unwrap_err().to_string(),
        "model.pkl: not a state dict: the file holds a list, not a dict of names to tensors"
    );
    let int_key = P::new()
        .op(EMPTY_DICT)
        .int(3)
        .floats("0", &[1])
        .op(SETITEM)
        .stop();
    let v = read_pickle(&int_key, &[1.]).unwrap();
    let e = state_dict(v, path).unwrap_err().to_string();
    assert_eq!(
        e,
        "model.pkl: not a state dict: a key is a int (Int(3)), not a name"
    );
    // {'epoch': 3, 'model': {'w': tensor}}: points at the nested one.
    let nested = P::new()
        .op(EMPTY_DICT)
        .op(MARK)
        .str("epoch")
        .int(3)
        .str("model")
        .op(EMPTY_DICT)
        .str("w")
        .floats("0", &[1])
        .op(SETITEM)
        .op(SETITEMS)
        .stop();
    let e = state_dict(read_pickle(&nested, &[1.]).unwrap(), path).unwrap_err();
    assert_eq!(
        e.to_string(),
        "model.pkl: not a state dict: 'epoch' is a int, not a tensor (the dict under \
         'model' is one)"
    );
}

#[test]
fn a_state_dict_keeps_file_order_and_pythons_dict_semantics() {
    // OrderedDict, filled after it was memoized, read back through the memo, with a
    // key set twice and a BUILD of `_metadata`.
    let p = P::new()
        .op(EMPTY_LIST)
        .ordered_dict()
        .op(BINPUT)
        .bytes(&[1])
        .op(MARK)
        .str("b")
        .tensor("FloatStorage", "0", 2, 0, &[1], &[1])
        .str("a")
        .tensor("FloatStorage", "0", 2, 0, &[1], &[1])
        .str("b")
        .tensor("FloatStorage", "0", 2, 1, &[1], &[1])
        .op(SETITEMS)
        .op(EMPTY_DICT)
        .str("_metadata")
        .op(EMPTY_DICT)
        .op(SETITEM)
        .op(BUILD)
        .op(APPEND)
        .op(BINGET)
        .bytes(&[1])
        .op(APPEND)
        .stop();
    let v = read_pickle(&p, &[10., 20.]).unwrap();
    let Value::List(dicts) = v else {
        panic!("{v:?}")
    };
    assert_eq!(
        dicts[0], dicts[1],
        "the memo shares the dict filled after BINPUT"
    );
    let entries = state_dict(dicts[0].clone(), Path::new(NAME)).unwrap();
    let got: Vec<(&str, &TensorData)> =
        entries.iter().map(|(k, t)| (k.as_str(), &t.data)).collect();
    assert_eq!(
        got,
        [
            ("b", &TensorData::F32(vec![20.])),
            ("a", &TensorData::F32(vec![10.]))
        ]
    );
}

#[test]
fn a_pickled_parameter_reads_as_its_tensor() {
    let p = P::new()
        .global("torch._utils", "_rebuild_parameter")
        .op(MARK)
        .floats("0", &[2])
        .op(NEWTRUE)
        .ordered_dict()
        .op(TUPLE)
        .op(REDUCE)
        .stop();
    let v = read_pickle(&p, &[3., 4.]).unwrap();
    assert_eq!(
        v,
        Value::Tensor(Tensor {
            shape: vec![2],
            data: TensorData::F32(vec![3., 4.])
        })
    );
}
