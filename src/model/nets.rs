//! The four architectures as plans (lists of steps over `(batch, features)` tensors)
//! and one forward pass that runs any plan with dfdx ops.

use dfdx::dtypes::Dtype;
use dfdx::prelude::{Axis, BroadcastTo, Device, HasShape, ReshapeTo, TryMatMul};
use dfdx::tensor::{Cpu, Tape, Tensor};

use super::conv::{ConvGeom, im2col};
use super::pool::{PoolGeom, max_pool2};
use super::relu::relu;
use super::{Arch, CLASSES, IMAGE_PIXELS, ModelError};

/// A weight matrix: `(fan_in, out)`; conv kernels are `(k·k·cin, cout)`.
pub(crate) type Weight<E> = Tensor<(usize, usize), E, Cpu>;
/// A bias vector `(out,)`.
pub(crate) type Bias<E> = Tensor<(usize,), E, Cpu>;

/// One step of a forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Convolution (stride 1) plus bias; uses the next layer's parameters.
    Conv { geom: ConvGeom, cout: usize },
    /// 2×2 max-pool.
    Pool(PoolGeom),
    /// Fully connected `x · W + b`; uses the next layer's parameters.
    Dense { inp: usize, out: usize },
    /// Rectified linear unit.
    Relu,
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
    Step::Conv {
        geom: ConvGeom { h, w: h, c, k, pad },
        cout,
    }
}

fn pool(h: usize, c: usize) -> Step {
    Step::Pool(PoolGeom { h, w: h, c })
}

fn dense(inp: usize, out: usize) -> Step {
    Step::Dense { inp, out }
}

/// The steps of `arch`. Max-pool is applied before the ReLU that PyTorch code
/// writes before it: `relu` is monotonic, so the values and gradients are the same
/// and the ReLU touches 4× fewer numbers.
pub(crate) fn plan(arch: Arch) -> Vec<Step> {
    use Step::Relu;
    match arch {
        Arch::TutorialMlp => vec![
            dense(784, 256),
            Relu,
            dense(256, 64),
            Relu,
            dense(64, 10),
            Relu,
        ],
        Arch::Mlp => vec![dense(784, 256), Relu, dense(256, 64), Relu, dense(64, 10)],
        Arch::Lenet => vec![
            conv(28, 1, 5, 2, 6),
            pool(28, 6),
            Relu,
            conv(14, 6, 5, 0, 16),
            pool(10, 16),
            Relu,
            dense(400, 120),
            Relu,
            dense(120, 84),
            Relu,
            dense(84, 10),
        ],
        Arch::Cnn => vec![
            conv(28, 1, 3, 1, 32),
            pool(28, 32),
            Relu,
            conv(14, 32, 3, 1, 64),
            pool(14, 64),
            Relu,
            dense(3136, 128),
            Relu,
            dense(128, 10),
        ],
    }
}

/// The parameterised layers of `arch`, in order.
pub(crate) fn layers(arch: Arch) -> Vec<LayerSpec> {
    let (mut convs, mut fcs) = (0, 0);
    plan(arch)
        .into_iter()
        .filter_map(|s| match s {
            Step::Conv { geom, cout } => {
                convs += 1;
                Some(LayerSpec {
                    name: format!("conv{convs}"),
                    fan_in: geom.patch_len(),
                    out: cout,
                })
            }
            Step::Dense { inp, out } => {
                fcs += 1;
                Some(LayerSpec {
                    name: format!("fc{fcs}"),
                    fan_in: inp,
                    out,
                })
            }
            Step::Pool(_) | Step::Relu => None,
        })
        .collect()
}

/// Runs `plan` on `x` (`(batch, 784)`) with `params` (one `(W, b)` per layer);
/// returns `(batch, 10)` outputs. Records on `x`'s tape if it has one.
pub(crate) fn forward<E: Dtype, T: Tape<E, Cpu>>(
    plan: &[Step],
    params: &[(Weight<E>, Bias<E>)],
    x: Tensor<(usize, usize), E, Cpu, T>,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError>
where
    Cpu: Device<E>,
{
    if x.shape().1 != IMAGE_PIXELS {
        return Err(ModelError::BadInput(format!(
            "expected {IMAGE_PIXELS} floats per image, got {}",
            x.shape().1
        )));
    }
    let mut params = params.iter();
    let mut next = || {
        params
            .next()
            .ok_or_else(|| ModelError::BadInput("fewer parameters than layers".into()))
    };
    let mut x = x;
    for step in plan {
        let batch = x.shape().0;
        x = match *step {
            Step::Conv { geom, cout } => {
                let (w, b) = next()?;
                let y = affine(im2col(x, geom)?, w, b)?;
                y.reshape_like(&(batch, geom.out_h() * geom.out_w() * cout))
            }
            Step::Pool(g) => max_pool2(x, g)?,
            Step::Dense { .. } => {
                let (w, b) = next()?;
                affine(x, w, b)?
            }
            Step::Relu => relu(x)?,
        };
    }
    if x.shape().1 != CLASSES {
        return Err(ModelError::BadInput(
            "plan does not end in 10 outputs".into(),
        ));
    }
    Ok(x)
}

/// `x · W + b` (b broadcast over rows).
fn affine<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    w: &Weight<E>,
    b: &Bias<E>,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError>
where
    Cpu: Device<E>,
{
    if x.shape().1 != w.shape().0 || w.shape().1 != b.shape().0 {
        return Err(ModelError::BadInput(format!(
            "shape mismatch: {:?} · {:?} + {:?}",
            x.shape(),
            w.shape(),
            b.shape()
        )));
    }
    let y = x
        .try_matmul(w.clone())
        .map_err(|e| ModelError::BadInput(format!("matmul: {e:?}")))?;
    let shape = *y.shape();
    Ok(y + b.clone().broadcast_like::<_, Axis<0>>(&shape))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenet_and_cnn_shapes_chain() {
        for arch in Arch::ALL {
            let mut feats = IMAGE_PIXELS;
            for s in plan(arch) {
                match s {
                    Step::Conv { geom, cout } => {
                        assert_eq!(geom.in_len(), feats, "{arch}");
                        feats = geom.out_h() * geom.out_w() * cout;
                    }
                    Step::Pool(g) => {
                        assert_eq!(g.in_len(), feats, "{arch}");
                        feats = g.out_len();
                    }
                    Step::Dense { inp, out } => {
                        assert_eq!(inp, feats, "{arch}");
                        feats = out;
                    }
                    Step::Relu => {}
                }
            }
            assert_eq!(feats, CLASSES, "{arch}");
        }
        let names: Vec<_> = layers(Arch::Lenet).into_iter().map(|l| l.name).collect();
        assert_eq!(names, ["conv1", "conv2", "fc1", "fc2", "fc3"]);
    }
}
