//! The ONNX export: a run's network as an ONNX model (opset 13) that takes images as
//! PyTorch users feed them (`images`: `N×1×28×28` float, values 0–1), standardises
//! them inside the graph as the run was trained, and gives `logits` (`N×classes`)
//! and their softmax, `probabilities`. Weights are PyTorch's layouts
//! ([`crate::model::Network::torch_state`]), which are ONNX's too. GELU, an ONNX
//! operator only from opset 20, is written as `x·(1 + erf(x/√2))/2`; dropout, the
//! identity when predicting, is left out.

mod proto;

use std::collections::HashMap;
use std::path::Path;

use prost::Message;

use super::error::ExportError;
use super::exported::ExportedModel;
use crate::model::{Layer, Shape, TorchData, TorchLayer, TorchTensor};
use proto::{
    AttributeProto, AttributeType, Dimension, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, StringStringEntryProto, TensorProto, TensorShapeProto, TensorTypeProto,
    TypeProto, ValueInfoProto, data_type, dimension,
};

/// The operator set the graph uses.
pub const OPSET: i64 = 13;
/// The IR version that goes with [`OPSET`].
const IR_VERSION: i64 = 7;
/// The graph's input.
pub const INPUT: &str = "images";
/// The graph's raw outputs.
pub const LOGITS: &str = "logits";
/// The softmax of [`LOGITS`].
pub const PROBABILITIES: &str = "probabilities";
/// Batch norm's epsilon, as the training uses it (PyTorch's default).
const BATCH_NORM_EPS: f32 = 1e-5;

/// A graph being built: its nodes and constants, every value named uniquely.
#[derive(Default)]
struct Builder {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    counter: usize,
}

fn ints(name: &str, v: &[usize]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        ints: v.iter().map(|&x| x as i64).collect(),
        r#type: AttributeType::Ints as i32,
        ..AttributeProto::default()
    }
}

fn int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        i: v,
        r#type: AttributeType::Int as i32,
        ..AttributeProto::default()
    }
}

fn float(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        f: v,
        r#type: AttributeType::Float as i32,
        ..AttributeProto::default()
    }
}

impl Builder {
    /// A float constant called `name`.
    fn constant(&mut self, name: &str, dims: &[usize], values: &[f32]) -> String {
        self.initializers.push(TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: data_type::FLOAT,
            name: name.into(),
            raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        });
        name.into()
    }

    /// A node `op` on `inputs`; returns its output's name (`output`, or a fresh one
    /// from the op's name).
    fn node(
        &mut self,
        op: &str,
        inputs: &[&str],
        attribute: Vec<AttributeProto>,
        output: Option<&str>,
    ) -> String {
        self.counter += 1;
        let name = format!("{}_{}", op.to_lowercase(), self.counter);
        let out = output.map_or_else(|| name.clone(), str::to_string);
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![out.clone()],
            name,
            op_type: op.into(),
            attribute,
            doc_string: String::new(),
        });
        out
    }
}

/// A tensor type `float[dims]` (`None` for the batch dimension, named `N`).
fn float_type(name: &str, dims: &[Option<usize>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Some(n) => dimension::Value::DimValue(*n as i64),
                None => dimension::Value::DimParam("N".into()),
            }),
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: data_type::FLOAT,
                shape: Some(TensorShapeProto { dim }),
            }),
        }),
    }
}

/// The float values and shape of the state dict's tensor `name`.
fn weight<'a>(
    state: &'a HashMap<&str, &TorchTensor>,
    name: &str,
) -> Result<(&'a [usize], &'a [f32]), String> {
    match state.get(name).map(|t| (&t.shape, &t.data)) {
        Some((shape, TorchData::F32(v))) => Ok((shape, v)),
        _ => Err(format!("the network has no float tensor '{name}'")),
    }
}

/// Adds layer `l`'s nodes after value `x`; returns the value it gives.
fn layer_nodes(
    b: &mut Builder,
    state: &HashMap<&str, &TorchTensor>,
    l: &TorchLayer,
    x: String,
) -> Result<String, String> {
    let param = |b: &mut Builder, suffix: &str| -> Result<String, String> {
        let name = format!("{}.{suffix}", l.module.as_deref().unwrap_or_default());
        let (shape, values) = weight(state, &name)?;
        Ok(b.constant(&name, shape, values))
    };
    Ok(match (&l.layer, l.input) {
        (
            &Layer::Conv {
                kernel,
                stride,
                pad,
                ..
            },
            _,
        ) => {
            let (w, bias) = (param(b, "weight")?, param(b, "bias")?);
            let attrs = vec![
                ints("kernel_shape", &[kernel, kernel]),
                ints("strides", &[stride, stride]),
                ints("pads", &[pad; 4]),
            ];
            b.node("Conv", &[&x, &w, &bias], attrs, None)
        }
        (Layer::Dense(_), _) => {
            let (w, bias) = (param(b, "weight")?, param(b, "bias")?);
            b.node("Gemm", &[&x, &w, &bias], vec![int("transB", 1)], None)
        }
        (Layer::BatchNorm, _) => {
            let names = ["weight", "bias", "running_mean", "running_var"];
            let inputs = names
                .iter()
                .map(|s| param(b, s))
                .collect::<Result<Vec<_>, _>>()?;
            let mut all = vec![x.as_str()];
            all.extend(inputs.iter().map(String::as_str));
            let attrs = vec![float("epsilon", BATCH_NORM_EPS)];
            b.node("BatchNormalization", &all, attrs, None)
        }
        (&Layer::MaxPool(k), _) | (&Layer::AvgPool(k), _) => {
            let op = if matches!(l.layer, Layer::MaxPool(_)) {
                "MaxPool"
            } else {
                "AveragePool"
            };
            let attrs = vec![ints("kernel_shape", &[k, k]), ints("strides", &[k, k])];
            b.node(op, &[&x], attrs, None)
        }
        (Layer::GlobalAvgPool, _) => {
            let pooled = b.node("GlobalAveragePool", &[&x], Vec::new(), None);
            b.node("Flatten", &[&pooled], vec![int("axis", 1)], None)
        }
        (Layer::Flatten, Shape::Map { .. }) => b.node("Flatten", &[&x], vec![int("axis", 1)], None),
        (Layer::Flatten, Shape::Flat(_)) | (Layer::Dropout(_), _) => x,
        (Layer::Relu, _) => b.node("Relu", &[&x], Vec::new(), None),
        (&Layer::LeakyRelu(slope), _) => {
            b.node("LeakyRelu", &[&x], vec![float("alpha", slope as f32)], None)
        }
        (Layer::Tanh, _) => b.node("Tanh", &[&x], Vec::new(), None),
        (Layer::Sigmoid, _) => b.node("Sigmoid", &[&x], Vec::new(), None),
        (Layer::Gelu, _) => {
            b.counter += 1;
            let id = b.counter;
            let root2 = b.constant(
                &format!("gelu_{id}.sqrt2"),
                &[],
                &[std::f32::consts::SQRT_2],
            );
            let one = b.constant(&format!("gelu_{id}.one"), &[], &[1.0]);
            let half = b.constant(&format!("gelu_{id}.half"), &[], &[0.5]);
            let scaled = b.node("Div", &[&x, &root2], Vec::new(), None);
            let erf = b.node("Erf", &[&scaled], Vec::new(), None);
            let plus = b.node("Add", &[&erf, &one], Vec::new(), None);
            let times = b.node("Mul", &[&x, &plus], Vec::new(), None);
            b.node("Mul", &[&times, &half], Vec::new(), None)
        }
    })
}

/// `model` as ONNX bytes.
pub fn onnx_bytes(model: &ExportedModel) -> Result<Vec<u8>, String> {
    let net = &model.network;
    let state_dict = net.torch_state();
    let state: HashMap<&str, &TorchTensor> =
        state_dict.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut b = Builder::default();
    let mut x = INPUT.to_string();
    if let Some(norm) = model.norm {
        let mean = b.constant("input.mean", &[], &[norm.mean]);
        let std = b.constant("input.std", &[], &[norm.std]);
        let centred = b.node("Sub", &[&x, &mean], Vec::new(), None);
        x = b.node("Div", &[&centred, &std], Vec::new(), None);
    }
    for l in net.torch_layers() {
        x = layer_nodes(&mut b, &state, &l, x)?;
    }
    let logits = b.node("Identity", &[&x], Vec::new(), Some(LOGITS));
    b.node(
        "Softmax",
        &[&logits],
        vec![int("axis", 1)],
        Some(PROBABILITIES),
    );
    let classes = net.classes();
    let meta = |k: &str, v: String| StringStringEntryProto {
        key: k.into(),
        value: v,
    };
    let model = ModelProto {
        ir_version: IR_VERSION,
        producer_name: "mnist-tui".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: format!(
            "{} ({}) from run {}: images N×1×28×28, values 0–1",
            net.name(),
            net.def().layers,
            model.run_id
        ),
        graph: Some(GraphProto {
            node: b.nodes,
            name: net.name().to_string(),
            initializer: b.initializers,
            doc_string: String::new(),
            input: vec![float_type(INPUT, &[None, Some(1), Some(28), Some(28)])],
            output: vec![
                float_type(LOGITS, &[None, Some(classes)]),
                float_type(PROBABILITIES, &[None, Some(classes)]),
            ],
        }),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        metadata_props: vec![
            meta("run", model.run_id.clone()),
            meta("layers", net.def().layers.to_string()),
            meta("classes", model.classes.join("\n")),
        ],
    };
    Ok(model.encode_to_vec())
}

/// Writes `model` as an ONNX file at `out`.
pub fn export_onnx(model: &ExportedModel, out: &Path) -> Result<(), ExportError> {
    let bytes = onnx_bytes(model).map_err(|problem| ExportError::Encode {
        path: out.to_path_buf(),
        problem,
    })?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        super::error::create_dir(dir)?;
    }
    super::error::write(out, &bytes)
}
