//! Bias add fused with an optional ReLU: `y = act(x + b[channel])` where the channel
//! of a float is its index modulo `b.len()` (rows of a dense layer, NHWC pixels of
//! a conv layer). One pass instead of dfdx's strided broadcast-add plus a ReLU.
//!
//! The ReLU has PyTorch's NaN behaviour: dfdx's `relu` is `max(x, 0)`, which turns
//! NaN into 0 and would hide a diverged network (a NaN weight would look like a
//! dead unit); here NaN passes through, as in `torch.relu`, so divergence shows up
//! as a NaN loss.

use dfdx::dtypes::Dtype;
use dfdx::shapes::HasShape;
use dfdx::tensor::{Cpu, PutTape, SplitTape, Tape, Tensor, TensorFromVec};

use super::ModelError;

/// `x + b` broadcast over channels, then ReLU if `relu` (values `> 0` and NaN kept).
pub(crate) fn bias_act<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    b: &Tensor<(usize,), E, Cpu>,
    relu: bool,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    let shape = *x.shape();
    let c = b.shape().0;
    if c == 0 || !shape.1.is_multiple_of(c) {
        return Err(ModelError::BadInput(format!(
            "bias of {c} does not divide rows of {}",
            shape.1
        )));
    }
    let mut ys = vec![E::default(); shape.0 * shape.1];
    x.copy_into(&mut ys);
    let mut bs = vec![E::default(); c];
    b.copy_into(&mut bs);
    let zero = E::default();
    // Which outputs pass their gradient (all of them without ReLU).
    let mut keep = Vec::new();
    if relu {
        keep.reserve(ys.len());
        for px in ys.chunks_exact_mut(c) {
            for (y, &bb) in px.iter_mut().zip(&bs) {
                let v = *y + bb;
                // Keep positive values and NaN (the one value not equal to itself).
                #[allow(clippy::eq_op)]
                let k = v > zero || v != v;
                *y = if k { v } else { zero };
                keep.push(k);
            }
        }
    } else {
        for px in ys.chunks_exact_mut(c) {
            for (y, &bb) in px.iter_mut().zip(&bs) {
                *y += bb;
            }
        }
    }
    let out = x
        .device()
        .clone()
        .try_tensor_from_vec(ys, shape)
        .map_err(|e| ModelError::BadInput(format!("bias: {e:?}")))?;
    let (x, mut tape) = x.split_tape();
    let x_ghost = x.ghost();
    let b_ghost = b.ghost();
    let out_ghost = out.ghost();
    tape.add_backward_op(move |grads| {
        // Only this op reads its output's gradient, after all consumers wrote it.
        let mut g: Vec<E> = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
        if relu {
            for (g, &k) in g.iter_mut().zip(&keep) {
                if !k {
                    *g = zero;
                }
            }
        }
        let g_b = grads.get_or_alloc_mut(&b_ghost)?;
        for px in g.chunks_exact(c) {
            for (gb, &gy) in g_b.iter_mut().zip(px) {
                *gb += gy;
            }
        }
        let g_x = grads.get_or_alloc_mut(&x_ghost)?;
        for (gx, gy) in g_x.iter_mut().zip(g) {
            *gx += gy;
        }
        Ok(())
    });
    Ok(out.put_tape(tape))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfdx::prelude::*;

    #[test]
    fn values_gradients_and_nan() {
        let dev: Cpu = Default::default();
        let x = dev.tensor_from_vec(vec![-1.0f64, 0.0, 2.0, -3.0], (1, 4));
        let b = dev.tensor_from_vec(vec![0.5f64, -0.5], (2,));
        let w = dev.tensor_from_vec(vec![10.0f64, 20.0, 30.0, 40.0], (1, 4));
        // x + b = [-0.5, -0.5, 2.5, -3.5]
        let y = bias_act(x.leaky_trace(), &b, true).unwrap();
        assert_eq!(y.as_vec(), vec![0.0, 0.0, 2.5, 0.0]);
        let g = (y * w.clone()).sum::<Rank0, _>().backward();
        assert_eq!(g.get(&x).as_vec(), vec![0.0, 0.0, 30.0, 0.0]);
        assert_eq!(g.get(&b).as_vec(), vec![30.0, 0.0]);

        let y = bias_act(x.leaky_trace(), &b, false).unwrap();
        assert_eq!(y.as_vec(), vec![-0.5, -0.5, 2.5, -3.5]);
        let g = (y * w).sum::<Rank0, _>().backward();
        assert_eq!(g.get(&x).as_vec(), vec![10.0, 20.0, 30.0, 40.0]);
        assert_eq!(g.get(&b).as_vec(), vec![40.0, 60.0]);

        let nan = dev.tensor_from_vec(vec![f32::NAN, -1.0], (1, 2));
        let zero = dev.tensor_from_vec(vec![0.0f32, 0.0], (2,));
        let y = bias_act(nan, &zero, true).unwrap().as_vec();
        assert!(y[0].is_nan() && y[1] == 0.0);
    }
}
