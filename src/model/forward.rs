//! One forward pass that runs any plan (a list of [`Step`]s over `(batch, features)`
//! tensors) with the ops of this module, on dfdx's tape when the input has one.

use dfdx::dtypes::Dtype;
use dfdx::prelude::HasShape;
use dfdx::tensor::{Cpu, Tape, Tensor};

use super::block::conv_block;
use super::conv::ConvGeom;
use super::linear::{InputGrad, linear};
use super::net::plan::{ConvShape, Step};
use super::params::LayerParams;
use super::{CLASSES, IMAGE_PIXELS, ModelError};

/// What a forward pass is for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    /// Predicting: dropout does nothing, batch norm uses its running statistics.
    Eval,
}

/// The convolution geometry the ops take, from the plan's.
fn geom(c: ConvShape) -> ConvGeom {
    ConvGeom {
        h: c.h,
        w: c.w,
        c: c.c,
        k: c.k,
        stride: c.stride,
        pad: c.pad,
    }
}

/// Runs `steps` on `x` (`(batch, 784)`) with `params` (one entry per parameterised
/// step, in order); returns `(batch, 10)` outputs. Records on `x`'s tape if it has
/// one; the gradient of `x` itself (the images) is never computed.
pub(crate) fn forward<E: Dtype, T: Tape<E, Cpu>>(
    steps: &[Step],
    params: &[LayerParams<E>],
    x: Tensor<(usize, usize), E, Cpu, T>,
    _mode: Mode,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    if x.shape().1 != IMAGE_PIXELS {
        return Err(ModelError::BadInput(format!(
            "expected {IMAGE_PIXELS} floats per image, got {}",
            x.shape().1
        )));
    }
    let mut x = x;
    let mut input = InputGrad::Skip;
    let mut params = params.iter();
    let mut next_params = || {
        params
            .next()
            .ok_or_else(|| ModelError::BadInput("fewer parameters than layers".into()))
    };
    for step in steps {
        x = match *step {
            Step::ConvBlock(c) => match next_params()? {
                LayerParams::Affine(w, b) => conv_block(x, w, b, geom(c), input)?,
                LayerParams::Norm(..) => return Err(mismatch()),
            },
            Step::Dense { relu, .. } => match next_params()? {
                LayerParams::Affine(w, b) => linear(x, w, b, relu, input)?,
                LayerParams::Norm(..) => return Err(mismatch()),
            },
            other => {
                return Err(ModelError::BadInput(format!(
                    "{other:?} is not implemented yet"
                )));
            }
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

/// Parameters of another kind than their step's.
fn mismatch() -> ModelError {
    ModelError::BadInput("parameters do not match their layer".into())
}
