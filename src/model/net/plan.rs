//! Planning a layer list: the shapes chained through it (with an error naming the
//! layer that breaks them), the steps the forward pass runs, the parameterised
//! layers and their names in weight files, and the per-layer summary (output shape,
//! parameters, FLOPs).
//!
//! The planner fuses what the fast ops do in one pass: a stride-1 `Conv` followed
//! by `Relu` and `MaxPool(2)` (in either order: a per-channel bias and a monotonic
//! ReLU commute with a max) becomes one conv block; a `BatchNorm` right after a
//! convolution (a block or not) followed by `Relu` and `MaxPool(2)` (either order)
//! one norm block; and a `Dense` followed by `Relu` one dense step with its ReLU.
//! `Flatten` is free: maps are stored flat already (NHWC, channel fastest).

use std::fmt;

use super::layer::{Layer, Layers, Width};

/// Side of the square input images.
pub const IMAGE_SIDE: usize = 28;

/// The shape of one sample between two layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A vector of features.
    Flat(usize),
    /// A feature map, `h`×`w` with `c` channels.
    Map {
        /// Height.
        h: usize,
        /// Width.
        w: usize,
        /// Channels.
        c: usize,
    },
}

impl Shape {
    /// The input images: 28×28, one channel.
    pub const IMAGE: Shape = Shape::Map {
        h: IMAGE_SIDE,
        w: IMAGE_SIDE,
        c: 1,
    };

    /// Floats per sample.
    pub fn len(self) -> usize {
        match self {
            Shape::Flat(n) => n,
            Shape::Map { h, w, c } => h * w * c,
        }
    }

    /// Whether a sample has no values.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The channels batch normalisation normalises over: a map's channels, a
    /// vector's features.
    fn channels(self) -> usize {
        match self {
            Shape::Flat(n) => n,
            Shape::Map { c, .. } => c,
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Flat(n) => write!(f, "{n}"),
            Shape::Map { h, w, c } => write!(f, "{h}×{w}×{c}"),
        }
    }
}

/// A convolution's geometry in the plan (the ops get their own geometry from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConvShape {
    /// Input height, width and channels.
    pub h: usize,
    pub w: usize,
    pub c: usize,
    /// Kernel side, stride and padding.
    pub k: usize,
    pub stride: usize,
    pub pad: usize,
    /// Output channels.
    pub out: usize,
}

impl ConvShape {
    /// Floats per patch (a row of the kernel matrix's fan-in).
    pub fn patch_len(&self) -> usize {
        self.k * self.k * self.c
    }
}

pub(crate) use crate::model::act::Activation as Act;
pub(crate) use crate::model::pool2d::PoolKind;

/// One step of the forward pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Step {
    /// Stride-1 convolution, 2×2 max-pool, bias, ReLU: one fused op.
    ConvBlock(ConvShape),
    /// `x · W + b`, then a ReLU if `relu`.
    Dense { inp: usize, out: usize, relu: bool },
    /// Convolution plus bias, any stride and padding.
    Conv(ConvShape),
    /// An activation alone.
    Act(Act),
    /// `k`×`k` pooling with stride `k` of an `h`×`w`×`c` map.
    Pool {
        kind: PoolKind,
        k: usize,
        h: usize,
        w: usize,
        c: usize,
    },
    /// Mean of each channel of an `h`×`w`×`c` map.
    GlobalAvgPool { h: usize, w: usize, c: usize },
    /// Dropout with probability `p`; `index` tells the network's dropouts apart in
    /// their masks.
    Dropout { p: f64, index: u32 },
    /// Batch normalisation over `channels` (with `values` floats per sample).
    BatchNorm { channels: usize },
    /// Batch normalisation of a convolution's `h`×`w`×`c` output map, ReLU and 2×2
    /// max-pool: one fused op. Its parameters are a batch norm's.
    NormBlock { h: usize, w: usize, c: usize },
}

/// What a parameterised layer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamKind {
    /// A weight matrix `(fan_in, out)` and a bias `(out,)` (dense and conv layers).
    Affine { fan_in: usize, out: usize },
    /// Batch norm's scale and shift `(channels,)`, and its running statistics.
    Norm { channels: usize },
}

/// A layer with parameters: its name in weight files (`conv1`, `fc2`, `bn1`) and
/// what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamSpec {
    /// The name its tensors are saved under (`<name>.weight`, `<name>.bias`, …).
    pub name: String,
    /// Its tensors.
    pub kind: ParamKind,
}

impl ParamSpec {
    /// Trainable parameters.
    pub fn count(&self) -> usize {
        match self.kind {
            ParamKind::Affine { fan_in, out } => (fan_in + 1) * out,
            ParamKind::Norm { channels } => 2 * channels,
        }
    }
}

/// One row of a network's summary: a layer as written, its output shape, its
/// trainable parameters and the floating-point operations it costs per image when
/// predicting (a multiply-add counts 2).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerRow {
    /// The layer as written.
    pub layer: Layer,
    /// The shape it outputs.
    pub output: Shape,
    /// Its trainable parameters.
    pub params: usize,
    /// FLOPs per image.
    pub flops: u64,
}

/// A planned network: its steps, its parameterised layers and its summary.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// Outputs of the last layer: one per class.
    pub classes: usize,
    pub steps: Vec<Step>,
    /// One per step that has parameters, in step order.
    pub params: Vec<ParamSpec>,
    pub rows: Vec<LayerRow>,
}

impl Plan {
    /// Whether any step is a batch normalisation (whose statistics span the batch).
    pub fn has_batch_norm(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s, Step::BatchNorm { .. } | Step::NormBlock { .. }))
    }
}

/// Why a layer list is not a network: which layer (its 1-based index and text, when
/// one layer is at fault) and what is wrong, with the shapes involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{problem}", layer.as_ref().map(|(i, t)| format!("layer {i} `{t}`: ")).unwrap_or_default())]
pub struct PlanError {
    /// The layer at fault: its position (from 1) and how it is written.
    pub layer: Option<(usize, String)>,
    /// What is wrong.
    pub problem: String,
}

/// The largest parameter count a network may have: its Adam state (two values per
/// parameter, 4 bytes each) must fit in a run file ([`crate::model::MAX_FILE_BYTES`]),
/// with room for the file's header.
pub const MAX_PARAMS: usize = ((crate::model::MAX_FILE_BYTES - (1 << 20)) / 8) as usize;

/// Plans `layers` for inputs of [`Shape::IMAGE`] and `classes` outputs.
pub(crate) fn plan(layers: &Layers, classes: usize) -> Result<Plan, PlanError> {
    let rows = shapes(layers, classes)?;
    let total: usize = rows.iter().map(|r| r.params).sum();
    if total > MAX_PARAMS {
        return Err(PlanError {
            layer: None,
            problem: format!(
                "{total} parameters: their optimiser state ({} MiB) would not fit in a \
                 run file ({} MiB at most; {MAX_PARAMS} parameters)",
                (total * 8) >> 20,
                crate::model::MAX_FILE_BYTES >> 20
            ),
        });
    }
    check_ending(layers, &rows, classes)?;
    let (steps, params) = steps(layers, &rows);
    Ok(Plan {
        classes,
        steps,
        params,
        rows,
    })
}

/// The summary rows: each layer's output shape, parameters and FLOPs, or the first
/// layer that does not fit its input.
fn shapes(layers: &Layers, classes: usize) -> Result<Vec<LayerRow>, PlanError> {
    if layers.is_empty() {
        return Err(PlanError {
            layer: None,
            problem: "no layers".into(),
        });
    }
    let mut shape = Shape::IMAGE;
    let mut rows = Vec::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        let fail = |problem: String| PlanError {
            layer: Some((i + 1, layer.to_string())),
            problem,
        };
        let (output, params, flops) = layer_shape(layer, shape, classes).map_err(fail)?;
        rows.push(LayerRow {
            layer: layer.clone(),
            output,
            params,
            flops,
        });
        shape = output;
    }
    Ok(rows)
}

/// Products that must not overflow (a network written with absurd sizes is an error,
/// not a panic).
fn mul(factors: &[usize]) -> Result<usize, String> {
    factors
        .iter()
        .try_fold(1usize, |acc, &f| acc.checked_mul(f))
        .filter(|&v| v <= MAX_VALUES)
        .ok_or_else(|| "too large".to_string())
}

/// The most values one sample's tensor or one layer's parameters may have.
const MAX_VALUES: usize = 1 << 40;

/// One layer's output shape, parameters and FLOPs per image, given its input.
fn layer_shape(layer: &Layer, input: Shape, classes: usize) -> Result<(Shape, usize, u64), String> {
    let need_map = || match input {
        Shape::Map { h, w, c } => Ok((h, w, c)),
        Shape::Flat(n) => Err(format!(
            "needs a feature map, got a vector of {n} features (after a Flatten or Dense \
             there is no map)"
        )),
    };
    let n = input.len();
    Ok(match *layer {
        Layer::Dense(width) => {
            let out = match width {
                Width::Units(u) => u,
                Width::Classes => classes,
            };
            let Shape::Flat(inp) = input else {
                return Err(format!(
                    "needs a vector of features, got a {input} map: add Flatten before it"
                ));
            };
            let params = mul(&[inp + 1, out])?;
            (Shape::Flat(out), params, 2 * mul(&[inp, out])? as u64)
        }
        Layer::Conv {
            out,
            kernel,
            stride,
            pad,
        } => {
            let (h, w, c) = need_map()?;
            if out == 0 || kernel == 0 || stride == 0 {
                return Err("out, kernel and stride must be at least 1".into());
            }
            let (ph, pw) = (h + 2 * pad, w + 2 * pad);
            if kernel > ph || kernel > pw {
                return Err(format!(
                    "kernel {kernel}×{kernel} is larger than its {h}×{w} input{}",
                    if pad > 0 {
                        format!(" ({ph}×{pw} padded)")
                    } else {
                        String::new()
                    }
                ));
            }
            if 2 * pad > kernel {
                return Err(format!(
                    "padding {pad} is more than half the kernel ({kernel}); PyTorch \
                     refuses it too"
                ));
            }
            let (oh, ow) = ((ph - kernel) / stride + 1, (pw - kernel) / stride + 1);
            let patch = mul(&[kernel, kernel, c])?;
            let params = mul(&[patch + 1, out])?;
            let flops = 2 * mul(&[patch, out, oh, ow])? as u64;
            (
                Shape::Map {
                    h: oh,
                    w: ow,
                    c: out,
                },
                params,
                flops,
            )
        }
        Layer::MaxPool(k) | Layer::AvgPool(k) => {
            let (h, w, c) = need_map()?;
            if k == 0 {
                return Err("the window must be at least 1".into());
            }
            if k > h || k > w {
                return Err(format!("window {k}×{k} is larger than its {h}×{w} input"));
            }
            let (oh, ow) = (h / k, w / k);
            (
                Shape::Map { h: oh, w: ow, c },
                0,
                mul(&[k, k, oh, ow, c])? as u64,
            )
        }
        Layer::GlobalAvgPool => {
            let (_, _, c) = need_map()?;
            (Shape::Flat(c), 0, n as u64)
        }
        Layer::Flatten => (Shape::Flat(n), 0, 0),
        Layer::LeakyRelu(slope) if !slope.is_finite() => {
            return Err(format!("slope {slope} must be a finite number"));
        }
        Layer::Relu | Layer::LeakyRelu(_) | Layer::Tanh | Layer::Sigmoid | Layer::Gelu => {
            (input, 0, n as u64)
        }
        Layer::Dropout(p) => {
            if !(0.0..1.0).contains(&p) {
                return Err(format!("probability {p} must be in [0, 1)"));
            }
            (input, 0, 0)
        }
        Layer::BatchNorm => (input, 2 * input.channels(), 2 * n as u64),
    })
}

/// A network ends in a Dense layer with one output per class (activations may
/// follow it, as the tutorial's ReLU on the logits does).
fn check_ending(layers: &Layers, rows: &[LayerRow], classes: usize) -> Result<(), PlanError> {
    let last_param = layers
        .iter()
        .enumerate()
        .rev()
        .find(|(_, l)| !is_activation(l));
    let Some((i, last)) = last_param else {
        return Err(PlanError {
            layer: None,
            problem: format!(
                "no Dense layer: a network ends with Dense(classes) ({classes} outputs)"
            ),
        });
    };
    let fail = |problem: String| PlanError {
        layer: Some((i + 1, last.to_string())),
        problem,
    };
    match (last, rows[i].output) {
        (Layer::Dense(_), Shape::Flat(n)) if n == classes => Ok(()),
        (Layer::Dense(_), shape) => Err(fail(format!(
            "the last Dense gives {shape} outputs, but there are {classes} classes: \
             end with Dense(classes)"
        ))),
        (_, shape) => Err(fail(format!(
            "a network ends with Dense(classes) (optionally followed by activations); \
             this last layer outputs {shape}"
        ))),
    }
}

/// Whether `layer` is an elementwise activation (allowed after the last Dense).
fn is_activation(layer: &Layer) -> bool {
    matches!(
        layer,
        Layer::Relu | Layer::LeakyRelu(_) | Layer::Tanh | Layer::Sigmoid | Layer::Gelu
    )
}

/// The steps of a checked layer list (with the fused fast paths) and its
/// parameterised layers, named as weight files name them.
fn steps(layers: &Layers, rows: &[LayerRow]) -> (Vec<Step>, Vec<ParamSpec>) {
    let layers = &layers.0;
    let input_of = |i: usize| {
        if i == 0 {
            Shape::IMAGE
        } else {
            rows[i - 1].output
        }
    };
    let (mut steps, mut params) = (Vec::new(), Vec::new());
    let (mut convs, mut fcs, mut bns, mut dropouts) = (0, 0, 0, 0u32);
    let name = |prefix: &str, n: &mut usize| {
        *n += 1;
        format!("{prefix}{n}")
    };
    let mut i = 0;
    while i < layers.len() {
        let next = |k: usize| layers.get(i + k);
        let mut used = 1;
        let step = match (&layers[i], input_of(i)) {
            (
                &Layer::Conv {
                    out,
                    kernel,
                    stride,
                    pad,
                },
                Shape::Map { h, w, c },
            ) => {
                let conv = ConvShape {
                    h,
                    w,
                    c,
                    k: kernel,
                    stride,
                    pad,
                    out,
                };
                params.push(ParamSpec {
                    name: name("conv", &mut convs),
                    kind: ParamKind::Affine {
                        fan_in: conv.patch_len(),
                        out,
                    },
                });
                let pooled_relu = matches!(
                    (next(1), next(2)),
                    (Some(Layer::Relu), Some(Layer::MaxPool(2)))
                        | (Some(Layer::MaxPool(2)), Some(Layer::Relu))
                );
                if stride == 1 && pooled_relu {
                    used = 3;
                    Step::ConvBlock(conv)
                } else {
                    Step::Conv(conv)
                }
            }
            (Layer::Dense(_), Shape::Flat(inp)) => {
                let out = rows[i].output.len();
                params.push(ParamSpec {
                    name: name("fc", &mut fcs),
                    kind: ParamKind::Affine { fan_in: inp, out },
                });
                let relu = next(1) == Some(&Layer::Relu);
                if relu {
                    used = 2;
                }
                Step::Dense { inp, out, relu }
            }
            (Layer::BatchNorm, input) => {
                params.push(ParamSpec {
                    name: name("bn", &mut bns),
                    kind: ParamKind::Norm {
                        channels: input.channels(),
                    },
                });
                let after_conv = matches!(steps.last(), Some(Step::Conv(_) | Step::ConvBlock(_)));
                let pooled_relu = matches!(
                    (next(1), next(2)),
                    (Some(Layer::Relu), Some(Layer::MaxPool(2)))
                        | (Some(Layer::MaxPool(2)), Some(Layer::Relu))
                );
                match input {
                    // `shapes` checked that the 2×2 window fits the map.
                    Shape::Map { h, w, c } if after_conv && pooled_relu => {
                        used = 3;
                        Step::NormBlock { h, w, c }
                    }
                    _ => Step::BatchNorm {
                        channels: input.channels(),
                    },
                }
            }
            (&Layer::MaxPool(k) | &Layer::AvgPool(k), Shape::Map { h, w, c }) => Step::Pool {
                kind: if matches!(layers[i], Layer::MaxPool(_)) {
                    PoolKind::Max
                } else {
                    PoolKind::Avg
                },
                k,
                h,
                w,
                c,
            },
            (Layer::GlobalAvgPool, Shape::Map { h, w, c }) => Step::GlobalAvgPool { h, w, c },
            (&Layer::Dropout(p), _) => {
                dropouts += 1;
                Step::Dropout { p, index: dropouts }
            }
            (Layer::Relu, _) => Step::Act(Act::Relu),
            (&Layer::LeakyRelu(s), _) => Step::Act(Act::LeakyRelu(s)),
            (Layer::Tanh, _) => Step::Act(Act::Tanh),
            (Layer::Sigmoid, _) => Step::Act(Act::Sigmoid),
            (Layer::Gelu, _) => Step::Act(Act::Gelu),
            // Flatten moves nothing; every other pairing was refused by `shapes`.
            _ => {
                i += 1;
                continue;
            }
        };
        // Dropout(0) is the identity: no step.
        if !matches!(step, Step::Dropout { p, .. } if p == 0.0) {
            steps.push(step);
        }
        i += used;
    }
    (steps, params)
}
