//! What a checkpoint reads as: plain Python values and tensors, owned, with nothing
//! left of the pickle (no globals, no storages, no sharing).

/// A value of the pickled object. Python's `OrderedDict` and `dict` are both [`Value::Dict`]
/// (entries in file order, a key set twice keeps its first place and its last value).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Value>),
    Tuple(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    Tensor(Tensor),
}

impl Value {
    /// The Python type name, for messages ("dict", "tensor", ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Dict(_) => "dict",
            Value::Tensor(_) => "tensor",
        }
    }

    /// The value under `key` if this is a dict with a string key `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(entries) => entries
                .iter()
                .find(|(k, _)| matches!(k, Value::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// A tensor, contiguous in row-major order whatever its strides were in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Sizes of the dimensions; empty for a 0-dim tensor (one element).
    pub shape: Vec<usize>,
    /// The elements, `shape.iter().product()` of them.
    pub data: TensorData,
}

/// A tensor's elements: floating point storages (float32, float64, float16, bfloat16) are
/// read as f32, integer ones (int64, int32) as i64.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    F32(Vec<f32>),
    I64(Vec<i64>),
}

impl TensorData {
    /// How many elements.
    pub fn len(&self) -> usize {
        match self {
            TensorData::F32(v) => v.len(),
            TensorData::I64(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
