//! A network as PyTorch holds it: the modules of the equivalent `nn.Module` (their
//! attribute names, input and output shapes) and its state dict (PyTorch's names,
//! shapes and layouts), and back. The ONNX and PyTorch exports are built from these,
//! and imports of PyTorch state dicts go through [`from_state`].
//!
//! Our layouts differ from PyTorch's in two ways:
//! - a dense or conv layer's weight is stored `(fan_in, out)` (a conv's fan-in in
//!   `(ky, kx, c)` order); PyTorch's `nn.Linear.weight` is `(out, in)` and
//!   `nn.Conv2d.weight` `(out, c, ky, kx)`;
//! - maps are stored NHWC (channel fastest) and flattened as they are, where PyTorch
//!   flattens NCHW: the features after a `Flatten` of a map come in another order, so
//!   the next Dense's weight columns (and a batch norm's vectors before it) are
//!   permuted.

use std::path::Path;

use super::ModelError;
use super::net::layer::Layer;
use super::net::plan::{ParamKind, ParamSpec, Plan, Shape};
use super::net::presets::Preset;
use super::net::registry::NetworkDef;
use super::params::{LayerParams, Running};
use dfdx::tensor::Cpu;

/// A tensor of a PyTorch state dict.
#[derive(Debug, Clone, PartialEq)]
pub struct TorchTensor {
    /// Its key (`conv1.weight`, `bn1.num_batches_tracked`, …).
    pub name: String,
    /// Its shape (`[]` for a scalar).
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub data: TorchData,
}

/// The values of a [`TorchTensor`]: floats, or the int64 of a batch norm's
/// `num_batches_tracked`.
#[derive(Debug, Clone, PartialEq)]
pub enum TorchData {
    /// `torch.float32`.
    F32(Vec<f32>),
    /// `torch.int64`.
    I64(Vec<i64>),
}

impl TorchData {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            TorchData::F32(v) => v.len(),
            TorchData::I64(v) => v.len(),
        }
    }

    /// Whether it holds no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One layer of the network as a PyTorch module sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct TorchLayer {
    /// The layer as written.
    pub layer: Layer,
    /// The shape it takes (PyTorch's: a map is `(c, h, w)`).
    pub input: Shape,
    /// The shape it gives.
    pub output: Shape,
    /// The attribute name of its module, for layers with parameters (`conv1`, `fc2`,
    /// `bn1`; the tutorial's `linear1`… for `tutorial-mlp`).
    pub module: Option<String>,
}

/// PyTorch's shape of one sample: `[c, h, w]` for a map, `[n]` for features.
pub fn torch_shape(shape: Shape) -> Vec<usize> {
    match shape {
        Shape::Flat(n) => vec![n],
        Shape::Map { h, w, c } => vec![c, h, w],
    }
}

/// The attribute name of a parameterised layer's module: ours (`fc1`, `conv2`, `bn1`),
/// except that `tutorial-mlp` uses the tutorial's own `linear1`, `linear2`, `linear3`,
/// so that its export loads into the tutorial's `Model` and its `model.pkl` imports.
fn module_name(def: &NetworkDef, spec: &ParamSpec) -> String {
    if Preset::named(def.name.as_str()) == Some(Preset::TutorialMlp)
        && let Some(n) = spec.name.strip_prefix("fc")
    {
        return format!("linear{n}");
    }
    spec.name.clone()
}

/// The layers with their shapes and module names, in order.
pub(crate) fn layers(def: &NetworkDef, plan: &Plan) -> Vec<TorchLayer> {
    let mut specs = plan.params.iter();
    let mut input = Shape::IMAGE;
    def.layers
        .0
        .iter()
        .zip(&plan.rows)
        .map(|(layer, row)| {
            let module = matches!(
                layer,
                Layer::Dense(_) | Layer::Conv { .. } | Layer::BatchNorm
            )
            .then(|| specs.next().map(|s| module_name(def, s)))
            .flatten();
            let l = TorchLayer {
                layer: layer.clone(),
                input,
                output: row.output,
                module,
            };
            input = row.output;
            l
        })
        .collect()
}

/// How one parameterised layer's tensors map between our layout and PyTorch's.
#[derive(Debug, Clone, Copy)]
enum Layout {
    /// A convolution: ours `(k·k·c, out)` in `(ky, kx, c)` order, PyTorch's `(out, c,
    /// k, k)`.
    Conv { k: usize, c: usize, out: usize },
    /// A dense layer: ours `(inp, out)`, PyTorch's `(out, inp)`; `perm` when its input
    /// is a flattened `h`×`w`×`c` map.
    Dense {
        inp: usize,
        out: usize,
        perm: Option<(usize, usize, usize)>,
    },
    /// A batch norm's vectors, permuted when they follow a flattened map.
    Norm {
        channels: usize,
        perm: Option<(usize, usize, usize)>,
    },
}

/// Our index (NHWC flat) of PyTorch's feature `p` (NCHW flat) of an `h`×`w`×`c` map.
fn nhwc_of_nchw(p: usize, (h, w, c): (usize, usize, usize)) -> usize {
    let (ch, yx) = (p / (h * w), p % (h * w));
    yx * c + ch
}

impl Layout {
    /// PyTorch's weight shape.
    fn weight_shape(self) -> Vec<usize> {
        match self {
            Layout::Conv { k, c, out } => vec![out, c, k, k],
            Layout::Dense { inp, out, .. } => vec![out, inp],
            Layout::Norm { channels, .. } => vec![channels],
        }
    }

    /// For each element of PyTorch's weight (row-major), the index of ours.
    fn weight_source(self) -> Vec<usize> {
        match self {
            Layout::Conv { k, c, out } => {
                let mut idx = Vec::with_capacity(out * c * k * k);
                for o in 0..out {
                    for ci in 0..c {
                        for ky in 0..k {
                            for kx in 0..k {
                                idx.push(((ky * k + kx) * c + ci) * out + o);
                            }
                        }
                    }
                }
                idx
            }
            Layout::Dense { inp, out, perm } => {
                let mut idx = Vec::with_capacity(out * inp);
                for o in 0..out {
                    for p in 0..inp {
                        let i = perm.map_or(p, |m| nhwc_of_nchw(p, m));
                        idx.push(i * out + o);
                    }
                }
                idx
            }
            Layout::Norm { channels, perm } => (0..channels)
                .map(|p| perm.map_or(p, |m| nhwc_of_nchw(p, m)))
                .collect(),
        }
    }

    /// For each element of PyTorch's per-channel vectors (biases, batch norm's), the
    /// index of ours.
    fn vector_source(self) -> Vec<usize> {
        match self {
            Layout::Conv { out, .. } | Layout::Dense { out, .. } => (0..out).collect(),
            Layout::Norm { .. } => self.weight_source(),
        }
    }
}

/// Each parameterised layer's module name and layout, in plan order.
fn layouts(def: &NetworkDef, plan: &Plan) -> Vec<(String, Layout)> {
    let mut out = Vec::with_capacity(plan.params.len());
    let mut specs = plan.params.iter();
    // Set by a Flatten of a map, cleared by the Dense that mixes the features.
    let mut perm = None;
    for l in layers(def, plan) {
        let spec = match (&l.layer, l.module.is_some()) {
            (_, true) => specs.next(),
            (Layer::Flatten, _) => {
                if let Shape::Map { h, w, c } = l.input
                    && c > 1
                    && h * w > 1
                {
                    perm = Some((h, w, c));
                }
                None
            }
            (Layer::GlobalAvgPool, _) => {
                perm = None;
                None
            }
            _ => None,
        };
        let (Some(spec), Some(name)) = (spec, l.module) else {
            continue;
        };
        let layout = match (&l.layer, spec.kind, l.input) {
            (Layer::Conv { kernel, .. }, ParamKind::Affine { out, .. }, Shape::Map { c, .. }) => {
                Layout::Conv { k: *kernel, c, out }
            }
            (_, ParamKind::Affine { fan_in, out }, _) => {
                let layout = Layout::Dense {
                    inp: fan_in,
                    out,
                    perm,
                };
                perm = None;
                layout
            }
            (_, ParamKind::Norm { channels }, input) => Layout::Norm {
                channels,
                perm: perm.filter(|_| matches!(input, Shape::Flat(_))),
            },
        };
        out.push((name, layout));
    }
    out
}

/// `ours` gathered into PyTorch's order.
fn gather(ours: &[f32], source: &[usize]) -> Vec<f32> {
    source.iter().map(|&i| ours[i]).collect()
}

/// The state dict of a network with `params`, as PyTorch's module would hold it.
pub(crate) fn state(def: &NetworkDef, plan: &Plan, params: &[LayerParams]) -> Vec<TorchTensor> {
    let f32s = |name: String, shape: Vec<usize>, v: Vec<f32>| TorchTensor {
        name,
        shape,
        data: TorchData::F32(v),
    };
    let mut out = Vec::new();
    for ((name, layout), p) in layouts(def, plan).into_iter().zip(params) {
        let (w_src, v_src) = (layout.weight_source(), layout.vector_source());
        match p {
            LayerParams::Affine(w, b) => {
                out.push(f32s(
                    format!("{name}.weight"),
                    layout.weight_shape(),
                    gather(w.values(), &w_src),
                ));
                out.push(f32s(
                    format!("{name}.bias"),
                    vec![v_src.len()],
                    gather(b.values(), &v_src),
                ));
            }
            LayerParams::Norm(g, b, r) => {
                let n = vec![v_src.len()];
                out.push(f32s(
                    format!("{name}.weight"),
                    n.clone(),
                    gather(g.values(), &v_src),
                ));
                out.push(f32s(
                    format!("{name}.bias"),
                    n.clone(),
                    gather(b.values(), &v_src),
                ));
                out.push(f32s(
                    format!("{name}.running_mean"),
                    n.clone(),
                    gather(&r.mean, &v_src),
                ));
                out.push(f32s(
                    format!("{name}.running_var"),
                    n,
                    gather(&r.var, &v_src),
                ));
                out.push(TorchTensor {
                    name: format!("{name}.num_batches_tracked"),
                    shape: Vec::new(),
                    data: TorchData::I64(vec![i64::try_from(r.batches).unwrap_or(i64::MAX)]),
                });
            }
        }
    }
    out
}

/// A state dict's tensors taken by name, each checked for its shape and type; what
/// is left over at the end is an error too (PyTorch's strict loading).
struct Taken<'a> {
    tensors: Vec<TorchTensor>,
    source: &'a Path,
}

impl Taken<'_> {
    fn bad(&self, problem: String) -> ModelError {
        ModelError::BadFile {
            path: self.source.to_path_buf(),
            problem,
        }
    }

    fn take(&mut self, name: &str, shape: &[usize]) -> Result<TorchData, ModelError> {
        let i = self
            .tensors
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| self.bad(format!("has no tensor '{name}' (expected {shape:?})")))?;
        let t = self.tensors.swap_remove(i);
        if t.shape != shape {
            return Err(self.bad(format!(
                "tensor '{name}' has shape {:?}, expected {shape:?}",
                t.shape
            )));
        }
        if t.data.len() != shape.iter().product::<usize>() {
            return Err(self.bad(format!(
                "tensor '{name}' holds {} values for shape {shape:?}",
                t.data.len()
            )));
        }
        Ok(t.data)
    }

    fn floats(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>, ModelError> {
        match self.take(name, shape)? {
            TorchData::F32(v) if v.iter().all(|x| x.is_finite()) => Ok(v),
            TorchData::F32(_) => {
                Err(self.bad(format!("tensor '{name}' holds NaN or infinite values")))
            }
            TorchData::I64(_) => {
                Err(self.bad(format!("tensor '{name}' holds integers, not floats")))
            }
        }
    }

    fn count(&mut self, name: &str) -> Result<u64, ModelError> {
        match self.take(name, &[])? {
            TorchData::I64(v) => v
                .first()
                .and_then(|&n| u64::try_from(n).ok())
                .ok_or_else(|| self.bad(format!("tensor '{name}' is not a count"))),
            TorchData::F32(_) => {
                Err(self.bad(format!("tensor '{name}' holds floats, not an int64 count")))
            }
        }
    }
}

/// `theirs` (PyTorch's order) scattered into ours.
fn scatter(theirs: &[f32], source: &[usize]) -> Vec<f32> {
    let mut ours = vec![0.0; theirs.len()];
    for (&v, &i) in theirs.iter().zip(source) {
        ours[i] = v;
    }
    ours
}

/// The parameters of a network from a PyTorch state dict (the inverse of [`state`]):
/// every tensor the network needs, by PyTorch's name and shape, and nothing else.
/// `source` names the file in errors.
pub(crate) fn from_state(
    dev: &Cpu,
    def: &NetworkDef,
    plan: &Plan,
    tensors: Vec<TorchTensor>,
    source: &Path,
) -> Result<Vec<LayerParams>, ModelError> {
    let mut taken = Taken { tensors, source };
    let mut params = Vec::with_capacity(plan.params.len());
    for ((name, layout), spec) in layouts(def, plan).into_iter().zip(&plan.params) {
        let (w_src, v_src) = (layout.weight_source(), layout.vector_source());
        let n = [v_src.len()];
        let w = taken.floats(&format!("{name}.weight"), &layout.weight_shape())?;
        let b = taken.floats(&format!("{name}.bias"), &n)?;
        params.push(match spec.kind {
            ParamKind::Affine { fan_in, out } => {
                LayerParams::affine(dev, fan_in, out, scatter(&w, &w_src), scatter(&b, &v_src))?
            }
            ParamKind::Norm { .. } => {
                let mean = taken.floats(&format!("{name}.running_mean"), &n)?;
                let var = taken.floats(&format!("{name}.running_var"), &n)?;
                if var.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
                    return Err(taken.bad(format!(
                        "{name}.running_var holds a negative or non-finite variance"
                    )));
                }
                let batches = taken.count(&format!("{name}.num_batches_tracked"))?;
                LayerParams::norm(
                    dev,
                    scatter(&w, &v_src),
                    scatter(&b, &v_src),
                    Running {
                        mean: scatter(&mean, &v_src),
                        var: scatter(&var, &v_src),
                        batches,
                    },
                )?
            }
        });
    }
    if let Some(extra) = taken.tensors.first() {
        return Err(taken.bad(format!(
            "holds tensor '{}', which network '{}' does not have",
            extra.name, def.name
        )));
    }
    Ok(params)
}

/// Test support: the largest difference between `net`'s outputs and the `logits` that
/// a golden file made by PyTorch holds for its `images` (panics on a file without them,
/// or on outputs all near zero, which would make the comparison weak).
#[cfg(test)]
pub(crate) fn golden_gap(net: &super::Network, outputs: &Path) -> f32 {
    let outputs = super::weights::read_torch_state(outputs).expect("golden outputs");
    let floats = |n: &str| match outputs.iter().find(|t| t.name == n).map(|t| &t.data) {
        Some(TorchData::F32(v)) => v.clone(),
        _ => panic!("no float tensor '{n}' in the golden outputs"),
    };
    let (got, want) = (
        net.logits(&floats("images")).expect("logits"),
        floats("logits"),
    );
    assert_eq!(got.len(), want.len());
    assert!(
        want.iter().any(|v| v.abs() > 0.01),
        "golden outputs all near zero"
    );
    got.iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Network, weights};
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// Network `layers` named `name`, with fresh weights from `seed` and batch norms
    /// whose scale, shift and running statistics are all different (so that a
    /// permuted vector shows).
    fn network(name: &str, layers: &str, seed: u64) -> Network {
        let def = NetworkDef {
            name: name.parse().expect("name"),
            layers: layers.parse().expect("layers"),
        };
        let mut net = Network::for_classes(&def, 10, seed).expect("plans");
        let mut rng = StdRng::seed_from_u64(seed);
        for p in &mut net.params {
            if let LayerParams::Norm(g, b, r) = p {
                g.values_mut()
                    .iter_mut()
                    .for_each(|v| *v = rng.gen_range(0.5..1.5));
                b.values_mut()
                    .iter_mut()
                    .for_each(|v| *v = rng.gen_range(-0.2..0.2));
                r.mean
                    .iter_mut()
                    .for_each(|v| *v = rng.gen_range(-0.5..0.5));
                r.var.iter_mut().for_each(|v| *v = rng.gen_range(0.5..2.0));
                r.batches = rng.gen_range(1..1000);
            }
        }
        net
    }

    /// Every preset and user networks with batch norm on maps and on flattened maps.
    fn networks() -> Vec<Network> {
        let mut nets: Vec<Network> = Preset::ALL
            .into_iter()
            .map(|p| Network::preset(p, 3))
            .collect();
        nets.push(network(
            "bn-net",
            "Conv(out: 4, kernel: 3, pad: 1), BatchNorm, Relu, MaxPool(2), \
             Conv(out: 6, kernel: 3, stride: 2), BatchNorm, Gelu, Flatten, BatchNorm, \
             Dropout(0.3), Dense(20), Tanh, Dense(classes)",
            5,
        ));
        nets.push(network(
            "gap-net",
            "Conv(out: 5, kernel: 5, pad: 2), Sigmoid, AvgPool(2), Conv(out: 3, kernel: 3), \
             LeakyRelu(0.1), GlobalAvgPool, BatchNorm, Dense(classes)",
            6,
        ));
        nets
    }

    fn params_bits(net: &Network) -> Vec<(Vec<u32>, Option<Running>)> {
        net.params
            .iter()
            .flat_map(|p| match p {
                LayerParams::Affine(w, b) => [
                    (w.values().iter().map(|v| v.to_bits()).collect(), None),
                    (b.values().iter().map(|v| v.to_bits()).collect(), None),
                ],
                LayerParams::Norm(g, b, r) => [
                    (g.values().iter().map(|v| v.to_bits()).collect(), None),
                    (
                        b.values().iter().map(|v| v.to_bits()).collect(),
                        Some(r.clone()),
                    ),
                ],
            })
            .collect()
    }

    #[test]
    fn state_round_trips_to_bit_identical_weights() {
        for net in networks() {
            let state = net.torch_state();
            let back = Network::from_torch_state(net.def(), 10, state, Path::new("x"))
                .unwrap_or_else(|e| panic!("{}: {e}", net.name()));
            assert!(params_bits(&net) == params_bits(&back), "{}", net.name());
        }
    }

    #[test]
    fn state_has_pytorch_names_shapes_and_types() {
        let tutorial = Network::preset(Preset::TutorialMlp, 1).torch_state();
        let names: Vec<(&str, &[usize])> = tutorial
            .iter()
            .map(|t| (t.name.as_str(), t.shape.as_slice()))
            .collect();
        assert_eq!(
            names,
            [
                ("linear1.weight", &[256, 784][..]),
                ("linear1.bias", &[256][..]),
                ("linear2.weight", &[64, 256][..]),
                ("linear2.bias", &[64][..]),
                ("linear3.weight", &[10, 64][..]),
                ("linear3.bias", &[10][..]),
            ]
        );
        let bn = networks().pop().expect("gap-net").torch_state();
        let shapes: Vec<(&str, Vec<usize>, bool)> = bn
            .iter()
            .map(|t| {
                (
                    t.name.as_str(),
                    t.shape.clone(),
                    matches!(t.data, TorchData::I64(_)),
                )
            })
            .collect();
        assert_eq!(
            shapes,
            [
                ("conv1.weight", vec![5, 1, 5, 5], false),
                ("conv1.bias", vec![5], false),
                ("conv2.weight", vec![3, 5, 3, 3], false),
                ("conv2.bias", vec![3], false),
                ("bn1.weight", vec![3], false),
                ("bn1.bias", vec![3], false),
                ("bn1.running_mean", vec![3], false),
                ("bn1.running_var", vec![3], false),
                ("bn1.num_batches_tracked", vec![], true),
                ("fc1.weight", vec![10, 3], false),
                ("fc1.bias", vec![10], false),
            ]
        );
    }

    #[test]
    fn a_state_dict_that_does_not_fit_is_refused_naming_the_tensor() {
        let net = Network::preset(Preset::Lenet, 1);
        let load = |state| {
            Network::from_torch_state(net.def(), 10, state, Path::new("sd.safetensors"))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let mut missing = net.torch_state();
        missing.retain(|t| t.name != "fc2.bias");
        assert!(load(missing).contains("has no tensor 'fc2.bias'"));
        let mut extra = net.torch_state();
        extra.push(TorchTensor {
            name: "fc9.weight".into(),
            shape: vec![1],
            data: TorchData::F32(vec![0.0]),
        });
        assert!(load(extra).contains("'fc9.weight'"));
        let mut transposed = net.torch_state();
        transposed[0].shape = vec![1, 6, 5, 5];
        assert!(load(transposed).contains("tensor 'conv1.weight' has shape [1, 6, 5, 5]"));
        let mut short = net.torch_state();
        short[1].data = TorchData::F32(vec![0.0; 5]);
        assert!(load(short).contains("holds 5 values"));
        let mut nan = net.torch_state();
        nan[1].data = TorchData::F32(vec![f32::NAN; 6]);
        assert!(load(nan).contains("NaN"));
        let mut ints = net.torch_state();
        ints[1].data = TorchData::I64(vec![0; 6]);
        assert!(load(ints).contains("integers"));
        let all = load(net.torch_state());
        assert_eq!(all, "");
    }

    /// State dicts and outputs made by real PyTorch modules
    /// (`scripts/golden/pytorch_layouts.py`): the layouts are PyTorch's, not merely
    /// our own read back.
    #[test]
    fn pytorch_state_dicts_give_pytorchs_outputs() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/pytorch");
        for name in ["net_a", "net_b"] {
            let path = dir.join(format!("{name}.safetensors"));
            let layers = weights::read_metadata(&path, "layers")
                .expect("reads")
                .expect("has layers");
            let def = NetworkDef {
                name: name.replace('_', "-").parse().expect("name"),
                layers: layers.parse().expect("layers parse"),
            };
            let state = weights::read_torch_state(&path).expect("reads");
            let net = Network::from_torch_state(&def, 10, state, &path).expect("loads");
            let worst = golden_gap(&net, &dir.join(format!("{name}.outputs.safetensors")));
            assert!(worst < 1e-5, "{name}: logits differ by {worst}");
        }
    }
}
