//! The pickle machine alone: arbitrary opcode streams and bytes never panic, random
//! values pickled as torch.save would read back as themselves (mutated, they never
//! panic either), numbers decode as Python writes them.

use super::convert;
use super::limits::Limits;
use super::opcodes::*;
use super::pickle::run;
use super::tensor::Storages;
use super::test_pickle::{P, f32_bytes};
use super::{Tensor, TensorData, Value};
use proptest::prelude::*;

/// Every storage key holds the float32 values 0, 1, 2, ... (as many as asked, up to 64).
struct Counting(Vec<u8>);

impl Counting {
    fn new() -> Counting {
        Counting(f32_bytes(&(0..64).map(|i| i as f32).collect::<Vec<_>>()))
    }
}

impl Storages for Counting {
    fn storage(&mut self, _key: &str, len: u64) -> Result<Option<&[u8]>, String> {
        let len = usize::try_from(len).map_err(|e| e.to_string())?;
        match self.0.get(..len) {
            Some(bytes) => Ok(Some(bytes)),
            None => Err(format!("holds {} bytes", self.0.len())),
        }
    }
    fn big_endian(&self) -> bool {
        false
    }
}

/// One opcode with plausible arguments, or an arbitrary byte: streams of these reach
/// deep into the machine (valid prefixes) and into every refusal.
fn token() -> impl Strategy<Value = Vec<u8>> {
    let simple = prop::sample::select(vec![
        MARK,
        STOP,
        NONE,
        NEWTRUE,
        NEWFALSE,
        EMPTY_DICT,
        EMPTY_LIST,
        EMPTY_TUPLE,
        TUPLE,
        TUPLE1,
        TUPLE2,
        TUPLE3,
        APPEND,
        APPENDS,
        SETITEM,
        SETITEMS,
        REDUCE,
        BUILD,
        BINPERSID,
        MEMOIZE,
        STACK_GLOBAL,
    ])
    .prop_map(|op| vec![op]);
    let small = (
        prop::sample::select(vec![
            BININT1,
            BINPUT,
            BINGET,
            SHORT_BINUNICODE,
            LONG1,
            PROTO,
        ]),
        0u8..8,
    )
        .prop_map(|(op, n)| vec![op, n]);
    let words = (
        prop::sample::select(vec![BININT, BININT2, LONG_BINPUT, LONG_BINGET, BINUNICODE]),
        any::<u32>(),
    )
        .prop_map(|(op, n)| {
            let mut v = vec![op];
            v.extend_from_slice(&(n % 9).to_le_bytes());
            v
        });
    let strings = prop::sample::select(vec![
        "storage",
        "0",
        "cpu",
        "torch",
        "collections",
        "OrderedDict",
        "FloatStorage",
        "LongStorage",
        "torch._utils",
        "_rebuild_tensor_v2",
        "_rebuild_parameter",
        "w",
    ])
    .prop_map(|s| {
        let mut v = vec![BINUNICODE];
        v.extend_from_slice(&(s.len() as u32).to_le_bytes());
        v.extend_from_slice(s.as_bytes());
        v
    });
    let globals = prop::sample::select(vec![
        "collections\nOrderedDict\n",
        "torch._utils\n_rebuild_tensor_v2\n",
        "torch._utils\n_rebuild_parameter\n",
        "torch\nFloatStorage\n",
        "torch\nLongStorage\n",
        "torch\nHalfStorage\n",
        "posix\nsystem\n",
    ])
    .prop_map(|g| {
        let mut v = vec![GLOBAL];
        v.extend_from_slice(g.as_bytes());
        v
    });
    // A whole `_rebuild_tensor_v2(...)` call, with views in and out of its storage
    // (64 float32 elements in `check`), so streams reach the tensor reader.
    let tensors = (
        prop::sample::select(vec![
            "FloatStorage",
            "LongStorage",
            "HalfStorage",
            "ByteStorage",
        ]),
        0u64..40,
        0u64..20,
        prop::collection::vec((0u64..6, 0u64..6), 0..4),
    )
        .prop_map(|(class, numel, offset, dims)| {
            let (size, stride): (Vec<u64>, Vec<u64>) = dims.into_iter().unzip();
            P(Vec::new())
                .tensor(class, "0", numel, offset, &size, &stride)
                .0
        });
    prop_oneof![
        2 => tensors,
        6 => simple,
        3 => small,
        1 => words,
        2 => strings,
        2 => globals,
        1 => prop::collection::vec(any::<u8>(), 1..4),
    ]
}

fn check(bytes: &[u8]) {
    let limits = Limits {
        max_stack: 64,
        max_memo: 16,
        max_items: 256,
        max_values: 4096,
        max_depth: 16,
        ..Limits::DEFAULT
    };
    if let Ok(graph) = run(bytes, "data.pkl", &limits) {
        let _ = convert::to_value(&graph, &mut Counting::new(), &limits);
    }
}

/// A value as a pickle writer would see it (dict keys are strings or ints).
#[derive(Debug, Clone)]
enum Tree {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Tree>),
    Tuple(Vec<Tree>),
    Dict(Vec<(Tree, Tree)>),
    /// A float32 tensor of this shape over storage "0" (at most 64 elements).
    Tensor(Vec<u64>),
}

fn tree() -> impl Strategy<Value = Tree> {
    let key = prop_oneof![
        "[a-z._]{0,6}".prop_map(Tree::Str),
        (-3i64..3).prop_map(Tree::Int),
    ];
    let leaf = prop_oneof![
        Just(Tree::None),
        any::<bool>().prop_map(Tree::Bool),
        any::<i64>().prop_map(Tree::Int),
        (-1e9f64..1e9).prop_map(Tree::Float),
        "\\PC{0,12}".prop_map(Tree::Str),
        prop::collection::vec(1u64..5, 0..4).prop_map(Tree::Tensor),
    ];
    leaf.prop_recursive(4, 48, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Tree::List),
            prop::collection::vec(inner.clone(), 0..5).prop_map(Tree::Tuple),
            prop::collection::vec((key.clone(), inner), 0..5).prop_map(Tree::Dict),
        ]
    })
}

/// `t` pickled as protocol 2 writes it (MARK-ed batches, TUPLE1-3, memoized strings).
fn write(p: P, t: &Tree) -> P {
    match t {
        Tree::None => p.op(NONE),
        Tree::Bool(b) => p.op(if *b { NEWTRUE } else { NEWFALSE }),
        Tree::Int(i) => p.int(*i),
        Tree::Float(f) => p.op(BINFLOAT).bytes(&f.to_be_bytes()),
        Tree::Str(s) => p.str(s).op(MEMOIZE),
        Tree::List(items) => items
            .iter()
            .fold(p.op(EMPTY_LIST).op(MARK), write)
            .op(APPENDS),
        Tree::Tuple(items) if (1..=3).contains(&items.len()) => items
            .iter()
            .fold(p, write)
            .op(TUPLE1 + items.len() as u8 - 1),
        Tree::Tuple(items) => items.iter().fold(p.op(MARK), write).op(TUPLE),
        Tree::Dict(entries) => entries
            .iter()
            .fold(p.ordered_dict().op(MARK), |p, (k, v)| write(write(p, k), v))
            .op(SETITEMS),
        Tree::Tensor(size) => p.floats("0", size),
    }
}

/// What `t` reads as: Python's dict semantics, tensors counting 0, 1, 2, ...
fn expected(t: &Tree) -> Value {
    match t {
        Tree::None => Value::None,
        Tree::Bool(b) => Value::Bool(*b),
        Tree::Int(i) => Value::Int(*i),
        Tree::Float(f) => Value::Float(*f),
        Tree::Str(s) => Value::Str(s.clone()),
        Tree::List(items) => Value::List(items.iter().map(expected).collect()),
        Tree::Tuple(items) => Value::Tuple(items.iter().map(expected).collect()),
        Tree::Dict(entries) => {
            let mut out: Vec<(Value, Value)> = Vec::new();
            for (k, v) in entries {
                let (k, v) = (expected(k), expected(v));
                match out.iter_mut().find(|(old, _)| *old == k) {
                    Some(entry) => entry.1 = v,
                    None => out.push((k, v)),
                }
            }
            Value::Dict(out)
        }
        Tree::Tensor(size) => {
            let n = size.iter().product::<u64>();
            Value::Tensor(Tensor {
                shape: size.iter().map(|&s| s as usize).collect(),
                data: TensorData::F32((0..n).map(|i| i as f32).collect()),
            })
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_opcode_streams_never_panic(tokens in prop::collection::vec(token(), 0..120)) {
        check(&tokens.concat());
    }

    #[test]
    fn pickled_values_read_back_as_themselves(t in tree()) {
        let bytes = write(P::new(), &t).stop();
        let graph = run(&bytes, "data.pkl", &Limits::DEFAULT).unwrap();
        let value = convert::to_value(&graph, &mut Counting::new(), &Limits::DEFAULT).unwrap();
        prop_assert_eq!(value, expected(&t));
    }

    #[test]
    fn mutated_pickles_never_panic(t in tree(), flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6), cut in any::<usize>()) {
        let mut bytes = write(P::new(), &t).stop();
        for (at, b) in flips {
            let n = bytes.len();
            bytes[at % n] ^= b | 1;
        }
        check(&bytes);
        bytes.truncate(cut % (bytes.len() + 1));
        check(&bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes);
    }
}

#[test]
fn errors_carry_the_offset_of_the_opcode() {
    let e = run(b"\x80\x02N}\x00", "x/data.pkl", &Limits::DEFAULT).unwrap_err();
    assert_eq!(
        e.to_string(),
        "x/data.pkl byte 4: unknown pickle opcode 0x00"
    );
}

#[test]
fn numbers_decode_as_python_writes_them() {
    // [LONG1 -2 (one byte), LONG1 2^63-1, BININT -1, BININT2 65535, BINFLOAT 0.8]
    let mut p = vec![PROTO, 2, EMPTY_LIST, MARK, LONG1, 1, 0xfe, LONG1, 8];
    p.extend_from_slice(&i64::MAX.to_le_bytes());
    p.extend_from_slice(&[
        BININT, 0xff, 0xff, 0xff, 0xff, BININT2, 0xff, 0xff, BINFLOAT,
    ]);
    p.extend_from_slice(&0.8f64.to_be_bytes());
    p.extend_from_slice(&[LONG1, 0, APPENDS, STOP]);
    let graph = run(&p, "data.pkl", &Limits::DEFAULT).unwrap();
    let value = convert::to_value(&graph, &mut Counting::new(), &Limits::DEFAULT).unwrap();
    use Value::{Float, Int, List};
    assert_eq!(
        value,
        List(vec![
            Int(-2),
            Int(i64::MAX),
            Int(-1),
            Int(65535),
            Float(0.8),
            Int(0)
        ])
    );
}
