//! Process and thread settings for fast training on the CPU.
//!
//! - Allocator: a training step allocates and frees the same multi-megabyte
//!   buffers every batch. By default glibc serves blocks over 128 KB–32 MB with
//!   fresh `mmap`s and trims freed heap tops, so every batch pays page faults and
//!   page zeroing for them. Raising the mmap and trim thresholds makes the buffers
//!   come back from the heap instead (memory stays reserved by the process, bounded
//!   by the largest step's working set).
//! - Denormals: Adam's second moments and the gradients of nearly dead units
//!   decay into subnormal floats, on which x86 arithmetic is many times slower.
//!   The model's parallel work flushes them to zero (FTZ/DAZ) while it runs, as
//!   accelerated training libraries do, and gives each thread its float mode back
//!   afterwards; a value that small changes no prediction.

/// Tunes the process's allocator for training, once (later calls do nothing). The
/// float mode is set by each piece of parallel work itself (see `parallel::map`),
/// so rayon's pool starts lazily, only in commands that train or predict.
pub fn tune_process() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            // SAFETY: `mallopt` is glibc's documented, thread-safe tuning call; these
            // two parameters only change when memory is returned to the kernel.
            // 32 MiB is the largest mmap threshold glibc accepts on 64-bit.
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
                libc::mallopt(libc::M_TRIM_THRESHOLD, 512 << 20);
            }
        }
    });
}

/// MXCSR's flush-to-zero (results) and denormals-are-zero (inputs) bits.
const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

/// MXCSR's sticky exception flags (bits 0–5), which any float operation may set.
#[cfg(test)]
pub(crate) const MXCSR_FLAGS: u32 = 0x3f;

/// This thread's SSE control and status register (x86-64).
#[cfg(target_arch = "x86_64")]
pub(crate) fn mxcsr() -> u32 {
    let mut csr: u32 = 0;
    // SAFETY: `stmxcsr` stores this thread's SSE control register to `csr`.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags));
    }
    csr
}

/// Loads `csr` into this thread's SSE control register (x86-64).
#[cfg(target_arch = "x86_64")]
fn set_mxcsr(csr: u32) {
    // SAFETY: `ldmxcsr` writes this thread's SSE control register; the values loaded
    // here are the thread's own with only FTZ and DAZ changed, which change only how
    // subnormals round (no exception is unmasked).
    unsafe {
        std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, preserves_flags));
    }
}

/// Elsewhere there is no MXCSR: nothing is flushed, nothing to restore.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn mxcsr() -> u32 {
    0
}

#[cfg(not(target_arch = "x86_64"))]
fn set_mxcsr(_csr: u32) {}

/// Runs `work` on this thread with subnormal results and inputs flushed to zero
/// (x86-64: MXCSR's FTZ and DAZ bits; elsewhere nothing changes), then gives the two
/// bits back as they were (also when `work` panics). Training work runs through this,
/// so the threads that call into the model (the trainer, `predict`'s main thread, the
/// dashboard's workers) keep IEEE arithmetic for everything else.
pub(crate) fn flushing_denormals<R>(work: impl FnOnce() -> R) -> R {
    let _flush = FlushDenormals::new();
    opaque_call(work)
}

/// Calls `work` out of line. The compiler assumes float arithmetic ignores MXCSR, so
/// it may move arithmetic it can see across the register writes around it; inside a
/// call it cannot (the call itself stays between the writes, which touch memory).
#[inline(never)]
fn opaque_call<R>(work: impl FnOnce() -> R) -> R {
    work()
}

/// While it lives, this thread flushes subnormals to zero; when dropped (also on
/// unwinding) FTZ and DAZ are as they were before. See [`flushing_denormals`].
struct FlushDenormals {
    /// The FTZ and DAZ bits found on creation.
    saved: u32,
}

impl FlushDenormals {
    /// Saves this thread's FTZ and DAZ bits and turns both on.
    fn new() -> Self {
        let csr = mxcsr();
        if cfg!(target_arch = "x86_64") && csr & FTZ_DAZ != FTZ_DAZ {
            set_mxcsr(csr | FTZ_DAZ);
        }
        FlushDenormals {
            saved: csr & FTZ_DAZ,
        }
    }
}

impl Drop for FlushDenormals {
    fn drop(&mut self) {
        let csr = mxcsr();
        if csr & FTZ_DAZ != self.saved {
            set_mxcsr((csr & !FTZ_DAZ) | self.saved);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnormals_are_flushed_only_during_the_work() {
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        // On a fresh thread, whatever other tests do to theirs.
        std::thread::spawn(move || {
            let before = mxcsr();
            // Half the smallest normal float is subnormal: flushed to zero.
            let half = flushing_denormals(|| std::hint::black_box(tiny) / 2.0);
            if cfg!(target_arch = "x86_64") {
                assert_eq!(half, 0.0);
            }
            assert_eq!(
                mxcsr() & !MXCSR_FLAGS,
                before & !MXCSR_FLAGS,
                "the thread's float mode was not restored"
            );
            assert!(std::hint::black_box(tiny) / 2.0 > 0.0);
        })
        .join()
        .unwrap();
    }
}
