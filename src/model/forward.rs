//! One forward pass that runs any plan (a list of [`Step`]s over `(batch, features)`
//! tensors) with the ops of this module, on dfdx's tape when the input has one, in
//! training or predicting mode (which dropout and batch norm tell apart).

use std::sync::Arc;

use dfdx::dtypes::Dtype;
use dfdx::prelude::HasShape;
use dfdx::tensor::{Cpu, Tape, Tensor};

use super::act::activation;
use super::batchnorm::{BatchStats, BnMode, batch_norm};
use super::block::conv_block;
use super::conv::ConvGeom;
use super::conv2d::conv2d;
use super::dropout::{DropoutKey, dropout};
use super::linear::{InputGrad, linear};
use super::net::plan::{ConvShape, Step};
use super::normblock::norm_block;
use super::params::{LayerParams, Running};
use super::pool::PoolGeom;
use super::pool2d::{Pool2dGeom, global_avg_pool, pool2d};
use super::sync::ShardSync;
use super::{IMAGE_PIXELS, ModelError};

/// What a forward pass is for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode<'a> {
    /// Predicting: dropout does nothing, batch norm uses its running statistics.
    Eval,
    /// A training step's shard: dropout draws its masks, batch norm uses the whole
    /// batch's statistics.
    Train(Training<'a>),
}

/// Where a shard stands in its training step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Training<'a> {
    /// The run's seed (dropout masks).
    pub seed: u64,
    /// The step (a new mask each step).
    pub step: u64,
    /// Index within the whole batch of the shard's first sample.
    pub first_sample: usize,
    /// The step's shards meeting point (batch norm's statistics).
    pub sync: &'a Arc<ShardSync>,
    /// This shard's index.
    pub shard: usize,
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

/// What a forward pass gives: the outputs and, when training, each batch norm's
/// batch statistics (in step order) for the running ones.
pub(crate) struct Output<E: Dtype, T> {
    pub out: Tensor<(usize, usize), E, Cpu, T>,
    pub stats: Vec<BatchStats>,
}

/// Runs `steps` on `x` (`(batch, 784)`) with `params` (one entry per parameterised
/// step, in order); returns `(batch, 10)` outputs. Records on `x`'s tape if it has
/// one; the gradient of `x` itself (the images) is never computed.
pub(crate) fn forward<E: Dtype, T: Tape<E, Cpu>>(
    steps: &[Step],
    params: &[LayerParams<E>],
    x: Tensor<(usize, usize), E, Cpu, T>,
    mode: Mode<'_>,
) -> Result<Output<E, T>, ModelError> {
    if x.shape().1 != IMAGE_PIXELS {
        return Err(ModelError::BadInput(format!(
            "expected {IMAGE_PIXELS} floats per image, got {}",
            x.shape().1
        )));
    }
    let mut x = x;
    let mut stats = Vec::new();
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
            Step::Conv(c) => match next_params()? {
                LayerParams::Affine(w, b) => conv2d(x, w, b, geom(c), input)?,
                LayerParams::Norm(..) => return Err(mismatch()),
            },
            Step::Dense { relu, .. } => match next_params()? {
                LayerParams::Affine(w, b) => linear(x, w, b, relu, input)?,
                LayerParams::Norm(..) => return Err(mismatch()),
            },
            Step::BatchNorm { channels } => match next_params()? {
                LayerParams::Norm(gamma, beta, running) => {
                    let bn = bn_mode(mode, running);
                    let (y, batch) = batch_norm(x, gamma, beta, channels, bn)?;
                    stats.extend(batch);
                    y
                }
                LayerParams::Affine(..) => return Err(mismatch()),
            },
            Step::NormBlock { h, w, c } => match next_params()? {
                LayerParams::Norm(gamma, beta, running) => {
                    let bn = bn_mode(mode, running);
                    let (y, batch) = norm_block(x, gamma, beta, PoolGeom { h, w, c }, bn)?;
                    // In step order with the plain batch norms': the learner folds
                    // them into the running statistics in that order.
                    stats.extend(batch);
                    y
                }
                LayerParams::Affine(..) => return Err(mismatch()),
            },
            Step::Act(act) => activation(x, act)?,
            Step::Pool { kind, k, h, w, c } => pool2d(x, kind, Pool2dGeom { h, w, c, k })?,
            Step::GlobalAvgPool { h, w, c } => global_avg_pool(x, h, w, c)?,
            Step::Dropout { p, index } => match mode {
                Mode::Eval => x,
                Mode::Train(t) => dropout(
                    x,
                    p,
                    DropoutKey {
                        seed: t.seed,
                        step: t.step,
                        layer: index,
                        first_sample: t.first_sample,
                    },
                )?,
            },
        };
        // Only the first op sees the images; every later input is an activation.
        input = InputGrad::Needed;
    }
    Ok(Output { out: x, stats })
}

/// The statistics a batch norm normalises with in `mode`: the running ones
/// when predicting, the whole batch's when training.
fn bn_mode<'a>(mode: Mode<'a>, running: &'a Running) -> BnMode<'a> {
    match mode {
        Mode::Eval => BnMode::Eval {
            mean: &running.mean,
            var: &running.var,
        },
        Mode::Train(t) => BnMode::Train {
            sync: t.sync,
            shard: t.shard,
        },
    }
}

/// Parameters of another kind than their step's.
fn mismatch() -> ModelError {
    ModelError::BadInput("parameters do not match their layer".into())
}
