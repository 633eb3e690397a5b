//! The four architectures as plans (lists of steps over `(batch, features)` tensors)
//! and one forward pass that runs any plan with dfdx ops.

use dfdx::dtypes::Dtype;
use dfdx::prelude::{Device, HasShape, ReshapeTo, TryMatMul};
use dfdx::tensor::{Cpu, Tape, Tensor};

use super::bias::bias_act;
use super::conv::{ConvGeom, im2col};
use super::pool::{PoolGeom, max_pool2};
use super::{Arch, CLASSES, IMAGE_PIXELS, ModelError};

/// A weight matrix: `(fan_in, out)`; conv kernels are `(k·k·cin, cout)`.
pub(crate) type Weight<E> = Tensor<(usize, usize), E, Cpu>;
/// A bias vector `(out,)`.
pub(crate) type Bias<E> = Tensor<(usize,), E, Cpu>;

/// One step of a forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Convolution (stride 1) without bias; starts the next layer (uses its `W`).
    Conv { geom: ConvGeom, cout: usize },
    /// 2×2 max-pool.
    Pool(PoolGeom),
    /// `x · W` without bias; starts the next layer (uses its `W`).
    Dense { inp: usize, out: usize },
    /// Adds the current layer's bias, then a ReLU if `relu`.
    Bias { relu: bool },
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

/// The steps of `arch`. PyTorch code writes conv → (+bias) → ReLU → max-pool; here
/// the pool comes first and the bias and ReLU after it. A per-channel bias and a
/// monotonic ReLU both commute with a max, so values and gradients are the same,
/// and the bias and ReLU touch 4× fewer numbers.
pub(crate) fn plan(arch: Arch) -> Vec<Step> {
    const RELU: Step = Step::Bias { relu: true };
    const LINEAR: Step = Step::Bias { relu: false };
    match arch {
        Arch::TutorialMlp => vec![
            dense(784, 256),
            RELU,
            dense(256, 64),
            RELU,
            dense(64, 10),
            RELU,
        ],
        Arch::Mlp => vec![
            dense(784, 256),
            RELU,
            dense(256, 64),
            RELU,
            dense(64, 10),
            LINEAR,
        ],
        Arch::Lenet => vec![
            conv(28, 1, 5, 2, 6),
            pool(28, 6),
            RELU,
            conv(14, 6, 5, 0, 16),
            pool(10, 16),
            RELU,
            dense(400, 120),
            RELU,
            dense(120, 84),
            RELU,
            dense(84, 10),
            LINEAR,
        ],
        Arch::Cnn => vec![
            conv(28, 1, 3, 1, 32),
            pool(28, 32),
            RELU,
            conv(14, 32, 3, 1, 64),
            pool(14, 64),
            RELU,
            dense(3136, 128),
            RELU,
            dense(128, 10),
            LINEAR,
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
            Step::Pool(_) | Step::Bias { .. } => None,
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
    let mut current = None;
    let mut x = x;
    for step in plan {
        let batch = x.shape().0;
        if let Step::Conv { .. } | Step::Dense { .. } = step {
            current = params.next();
        }
        let (w, b) =
            current.ok_or_else(|| ModelError::BadInput("fewer parameters than layers".into()))?;
        x = match *step {
            Step::Conv { geom, cout } => {
                let y = matmul(im2col(x, geom)?, w)?;
                y.reshape_like(&(batch, geom.out_h() * geom.out_w() * cout))
            }
            Step::Pool(g) => max_pool2(x, g)?,
            Step::Dense { .. } => matmul(x, w)?,
            Step::Bias { relu } => bias_act(x, b, relu)?,
        };
    }
    if x.shape().1 != CLASSES {
        return Err(ModelError::BadInput(
            "plan does not end in 10 outputs".into(),
        ));
    }
    Ok(x)
}

/// `x · W`.
fn matmul<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    w: &Weight<E>,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError>
where
    Cpu: Device<E>,
{
    if x.shape().1 != w.shape().0 {
        return Err(ModelError::BadInput(format!(
            "shape mismatch: {:?} · {:?}",
            x.shape(),
            w.shape()
        )));
    }
    x.try_matmul(w.clone())
        .map_err(|e| ModelError::BadInput(format!("matmul: {e:?}")))
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
                    Step::Bias { .. } => {}
                }
            }
            assert_eq!(feats, CLASSES, "{arch}");
        }
        let names: Vec<_> = layers(Arch::Lenet).into_iter().map(|l| l.name).collect();
        assert_eq!(names, ["conv1", "conv2", "fc1", "fc2", "fc3"]);
    }
}
