//! The tape plumbing shared by the ops with one input and no parameters
//! (activations, pooling, dropout): the op computes its output from a plain copy
//! of the input's values ([`values`]), then [`record`] makes the output tensor and
//! puts on the tape a backward pass that takes the output's gradient and hands
//! it, with the input's gradient buffer, to the op's own `backward` closure (which
//! adds into that buffer). What the backward pass needs (a mask, the output, the
//! winning taps) lives in that closure.

use dfdx::dtypes::Dtype;
use dfdx::shapes::HasShape;
use dfdx::tensor::{Cpu, PutTape, SplitTape, Tape, Tensor, TensorFromVec};

use super::ModelError;

/// The values of `x`, row-major.
pub(crate) fn values<E: Dtype, T>(x: &Tensor<(usize, usize), E, Cpu, T>) -> Vec<E> {
    let (m, n) = *x.shape();
    let mut xs = vec![E::default(); m * n];
    x.copy_into(&mut xs);
    xs
}

/// The tensor `(batch, width)` of `ys` (the op's output, `batch` being `x`'s rows)
/// carrying `x`'s tape, plus a backward op that calls `backward(dy, g_x)`: `dy` the
/// output's gradient, `g_x` the input's, to add to. `op` names the op in errors.
pub(crate) fn record<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    ys: Vec<E>,
    width: usize,
    op: &str,
    backward: impl FnOnce(&[E], &mut [E]) + 'static,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    let batch = x.shape().0;
    if ys.len() != batch * width {
        return Err(ModelError::BadInput(format!(
            "{op}: {} outputs for {batch} rows of {width}",
            ys.len()
        )));
    }
    let out = x
        .device()
        .clone()
        .try_tensor_from_vec(ys, (batch, width))
        .map_err(|e| ModelError::BadInput(format!("{op}: {e:?}")))?;
    let (x, mut tape) = x.split_tape();
    let x_ghost = x.ghost();
    let out_ghost = out.ghost();
    tape.add_backward_op(move |grads| {
        // Only this op reads its output's gradient, after all consumers wrote it.
        let dy: Vec<E> = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
        backward(&dy, grads.get_or_alloc_mut(&x_ghost)?);
        Ok(())
    });
    Ok(out.put_tape(tape))
}
