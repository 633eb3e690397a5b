//! Matrix products for the ops of this module: the `gemm` crate (the kernel dfdx's
//! own matmul calls) run on the calling thread only, reading and writing plain
//! slices, accumulating into the destination when asked.
//!
//! dfdx's matmul hands every product to rayon's threads, which on the small
//! matrices of a 64-sample batch costs more than it saves; the learner instead
//! splits the batch across the cores (see `parallel.rs`), so each product here is
//! single-threaded, and backward passes add straight into gradient buffers.

use dfdx::dtypes::Dtype;
use gemm::{Parallelism, gemm};

/// A row-major matrix view for [`gemm_into`]: `rows × cols`, or its transpose.
#[derive(Clone, Copy)]
pub(crate) struct View<'a, E> {
    data: &'a [E],
    rows: usize,
    cols: usize,
    transposed: bool,
}

impl<'a, E> View<'a, E> {
    pub fn new(data: &'a [E], rows: usize, cols: usize) -> Self {
        View {
            data,
            rows,
            cols,
            transposed: false,
        }
    }
    /// The transpose of this view (no copy).
    pub fn t(self) -> Self {
        View {
            transposed: !self.transposed,
            ..self
        }
    }
    /// Rows and columns as seen by the product.
    fn shape(&self) -> (usize, usize) {
        if self.transposed {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }
    /// (column stride, row stride) as seen by the product.
    fn strides(&self) -> (isize, isize) {
        if self.transposed {
            (self.cols as isize, 1)
        } else {
            (1, self.cols as isize)
        }
    }
}

/// `dst (m×n) = a · b` or, with `accumulate`, `dst += a · b`, on this thread.
pub(crate) fn gemm_into<E: Dtype>(dst: &mut [E], a: View<'_, E>, b: View<'_, E>, accumulate: bool) {
    if a.shape().1 == 0 && !accumulate {
        dst.fill(E::default());
    }
    // SAFETY: `dst` is a valid, initialised buffer of `dst.len()` elements.
    unsafe { gemm_raw(dst.as_mut_ptr(), dst.len(), a, b, accumulate) };
}

/// `gemm` on raw destination memory of `dst_len` elements (which must hold exactly
/// `m·n`; checked, with the operands' shapes).
///
/// # Safety
/// `dst` must be valid for writes of `dst_len` elements (and for reads when
/// `accumulate`), and must not overlap `a` or `b`.
unsafe fn gemm_raw<E: Dtype>(
    dst: *mut E,
    dst_len: usize,
    a: View<'_, E>,
    b: View<'_, E>,
    accumulate: bool,
) {
    let (m, k) = a.shape();
    let (k2, n) = b.shape();
    assert!(
        k == k2 && dst_len == m * n && a.data.len() == a.rows * a.cols,
        "gemm: shapes do not chain"
    );
    assert!(b.data.len() == b.rows * b.cols, "gemm: bad right operand");
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    let (a_cs, a_rs) = a.strides();
    let (b_cs, b_rs) = b.strides();
    // SAFETY: the asserts above check that every index gemm computes from these
    // shapes and strides lies inside its slice; the caller guarantees `dst`.
    unsafe {
        gemm(
            m,
            n,
            k,
            dst,
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a_cs,
            a_rs,
            b.data.as_ptr(),
            b_cs,
            b_rs,
            E::ONE,
            E::ONE,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// `a · b` into a new `m×n` buffer, on this thread.
pub(crate) fn gemm_new<E: Dtype>(a: View<'_, E>, b: View<'_, E>) -> Vec<E> {
    let (m, k) = a.shape();
    let n = b.shape().1;
    if k == 0 {
        return vec![E::default(); m * n];
    }
    let mut dst: Vec<E> = Vec::with_capacity(m * n);
    // SAFETY: without `accumulate`, gemm writes every one of the m·n elements and
    // reads none, so the buffer is fully initialised before its length is set; the
    // shapes are checked as in `gemm_into`.
    unsafe {
        gemm_raw(dst.as_mut_ptr(), m * n, a, b, false);
        dst.set_len(m * n);
    }
    dst
}
