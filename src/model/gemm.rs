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
    if a.shape().0 <= FEW_ROWS && !a.transposed && !b.transposed && accumulate {
        few_rows(dst, a, b);
        return;
    }
    // SAFETY: `dst` is a valid, initialised buffer of `dst.len()` elements.
    unsafe { gemm_raw(dst.as_mut_ptr(), dst.len(), a, b, accumulate) };
}

/// Rows of the left operand up to which [`few_rows`] beats gemm (whose packing of
/// the right operand costs more than the product when there are only a few rows:
/// one image through a network).
const FEW_ROWS: usize = 4;

/// `dst += a · b` for a row-major `a` of a few rows and a row-major `b`: each row of
/// `dst` adds the rows of `b` scaled by that row of `a`, so `b` is read once per row,
/// in order, with no packing.
fn few_rows<E: Dtype>(dst: &mut [E], a: View<'_, E>, b: View<'_, E>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { few_rows_avx2(dst, a, b) };
        return;
    }
    few_rows_portable(dst, a, b);
}

/// [`few_rows`] compiled for AVX2 (8 floats per instruction instead of SSE's 4).
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn few_rows_avx2<E: Dtype>(dst: &mut [E], a: View<'_, E>, b: View<'_, E>) {
    few_rows_portable(dst, a, b);
}

#[inline(always)]
fn few_rows_portable<E: Dtype>(dst: &mut [E], a: View<'_, E>, b: View<'_, E>) {
    let (m, k) = a.shape();
    let n = b.shape().1;
    assert!(
        b.shape().0 == k && dst.len() == m * n && a.data.len() == m * k && b.data.len() == k * n,
        "gemm: shapes do not chain"
    );
    if n == 0 {
        return;
    }
    for (out, row) in dst.chunks_exact_mut(n).zip(a.data.chunks_exact(k.max(1))) {
        for (&x, b_row) in row.iter().zip(b.data.chunks_exact(n)) {
            for (o, &w) in out.iter_mut().zip(b_row) {
                *o += x * w;
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `a · b` the slow way, for row-major `a` `(m, k)` and `b` `(k, n)`.
    fn naive(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        (0..m * n)
            .map(|i| (0..k).map(|p| a[i / n * k + p] * b[p * n + i % n]).sum())
            .collect()
    }

    #[test]
    fn few_rows_and_gemm_agree_with_the_naive_product() {
        for (m, k, n) in [(1, 7, 5), (3, 16, 9), (4, 1, 3), (5, 8, 8), (9, 30, 17)] {
            let a: Vec<f64> = (0..m * k).map(|i| (i as f64 * 0.37).sin()).collect();
            let b: Vec<f64> = (0..k * n).map(|i| (i as f64 * 0.11).cos()).collect();
            let want = naive(&a, &b, m, k, n);
            let start: Vec<f64> = (0..m * n).map(|i| i as f64).collect();
            let mut acc = start.clone();
            gemm_into(&mut acc, View::new(&a, m, k), View::new(&b, k, n), true);
            for ((got, w), s) in acc.iter().zip(&want).zip(&start) {
                assert!((got - w - s).abs() < 1e-12, "({m},{k},{n})");
            }
            let fresh = gemm_new(View::new(&a, m, k), View::new(&b, k, n));
            for (got, w) in fresh.iter().zip(&want) {
                assert!((got - w).abs() < 1e-12, "({m},{k},{n})");
            }
            // Transposed views: (bᵀ)ᵀ·(aᵀ)ᵀ read through the strides.
            let at: Vec<f64> = (0..k * m).map(|i| a[(i % m) * k + i / m]).collect();
            let mut t = vec![0.0; m * n];
            gemm_into(&mut t, View::new(&at, k, m).t(), View::new(&b, k, n), false);
            for (got, w) in t.iter().zip(&want) {
                assert!((got - w).abs() < 1e-12, "({m},{k},{n}) transposed");
            }
        }
    }
}
