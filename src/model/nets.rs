//! The four architectures as plans (lists of steps over `(batch, features)` tensors)
//! and one forward pass that runs any plan with dfdx ops.

use dfdx::dtypes::Dtype;
use dfdx::prelude::HasShape;
use dfdx::tensor::{Cpu, Tape, Tensor};

use super::block::conv_block;
use super::conv::ConvGeom;
use super::linear::{InputGrad, linear};
use super::param::{Bias, Weight};
use super::{Arch, CLASSES, IMAGE_PIXELS, ModelError};

/// One step of a forward pass; each is one layer with its own `(W, b)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Convolution (stride 1), 2×2 max-pool, bias, ReLU.
    ConvBlock { geom: ConvGeom, cout: usize },
    /// `x · W + b`, then a ReLU if `relu`.
    Dense { inp: usize, out: usize, relu: bool },
}

/// A layer with parameters: its name in weight files and its tensor shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LayerSpec {
    /// `conv1`, `fc2`, …
    pub name: String,
    /// Rows of the weight matrix (fan-in).
    pub fan_in: usize,
    /// Columns of the weight matrix and length of the bias.
    pub out: usize,
}

fn conv(h: usize, c: usize, k: usize, pad: usize, cout: usize) -> Step {
    Step::ConvBlock {
        geom: ConvGeom {
            h,
            w: h,
            c,
            k,
            pad,
            stride: 1,
        },
        cout,
    }
}

fn dense(inp: usize, out: usize) -> Step {
    Step::Dense {
        inp,
        out,
        relu: true,
    }
}

fn dense_linear(inp: usize, out: usize) -> Step {
    Step::Dense {
        inp,
        out,
        relu: false,
    }
}

/// The steps of `arch`. PyTorch code writes conv → (+bias) → ReLU → max-pool; a
/// conv block pools first and adds the bias and ReLU after (see `pool.rs`).
pub(crate) fn plan(arch: Arch) -> Vec<Step> {
    match arch {
        Arch::TutorialMlp => vec![dense(784, 256), dense(256, 64), dense(64, 10)],
        Arch::Mlp => vec![dense(784, 256), dense(256, 64), dense_linear(64, 10)],
        Arch::Lenet => vec![
            conv(28, 1, 5, 2, 6),
            conv(14, 6, 5, 0, 16),
            dense(400, 120),
            dense(120, 84),
            dense_linear(84, 10),
        ],
        Arch::Cnn => vec![
            conv(28, 1, 3, 1, 32),
            conv(14, 32, 3, 1, 64),
            dense(3136, 128),
            dense_linear(128, 10),
        ],
    }
}

/// The parameterised layers of `arch`, in order.
pub(crate) fn layers(arch: Arch) -> Vec<LayerSpec> {
    let (mut convs, mut fcs) = (0, 0);
    plan(arch)
        .into_iter()
        .map(|s| match s {
            Step::ConvBlock { geom, cout } => {
                convs += 1;
                LayerSpec {
                    name: format!("conv{convs}"),
                    fan_in: geom.patch_len(),
                    out: cout,
                }
            }
            Step::Dense { inp, out, .. } => {
                fcs += 1;
                LayerSpec {
                    name: format!("fc{fcs}"),
                    fan_in: inp,
                    out,
                }
            }
        })
        .collect()
}

/// Runs `plan` on `x` (`(batch, 784)`) with `params` (one `(W, b)` per layer);
/// returns `(batch, 10)` outputs. Records on `x`'s tape if it has one; the gradient
/// of `x` itself (the images) is never computed.
pub(crate) fn forward<E: Dtype, T: Tape<E, Cpu>>(
    plan: &[Step],
    params: &[(Weight<E>, Bias<E>)],
    x: Tensor<(usize, usize), E, Cpu, T>,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    if x.shape().1 != IMAGE_PIXELS {
        return Err(ModelError::BadInput(format!(
            "expected {IMAGE_PIXELS} floats per image, got {}",
            x.shape().1
        )));
    }
    if params.len() != plan.len() {
        return Err(ModelError::BadInput(format!(
            "{} parameter pairs for {} layers",
            params.len(),
            plan.len()
        )));
    }
    let mut x = x;
    let mut input = InputGrad::Skip;
    for (step, (w, b)) in plan.iter().zip(params) {
        x = match *step {
            Step::ConvBlock { geom, .. } => conv_block(x, w, b, geom, input)?,
            Step::Dense { relu, .. } => linear(x, w, b, relu, input)?,
        };
        // Only the first op sees the images; every later input is an activation.
        input = InputGrad::Needed;
    }
    if x.shape().1 != CLASSES {
        return Err(ModelError::BadInput(
            "plan does not end in 10 outputs".into(),
        ));
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::super::block::pool_geom;
    use super::*;

    #[test]
    fn lenet_and_cnn_shapes_chain() {
        for arch in Arch::ALL {
            let mut feats = IMAGE_PIXELS;
            for s in plan(arch) {
                match s {
                    Step::ConvBlock { geom, cout } => {
                        assert_eq!(geom.in_len(), feats, "{arch}");
                        feats = pool_geom(geom, cout).out_len();
                    }
                    Step::Dense { inp, out, .. } => {
                        assert_eq!(inp, feats, "{arch}");
                        feats = out;
                    }
                }
            }
            assert_eq!(feats, CLASSES, "{arch}");
        }
        let names: Vec<_> = layers(Arch::Lenet).into_iter().map(|l| l.name).collect();
        assert_eq!(names, ["conv1", "conv2", "fc1", "fc2", "fc3"]);
    }
}
