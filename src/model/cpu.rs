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
//!   Training threads flush them to zero (FTZ/DAZ), as accelerated training
//!   libraries do; a value that small changes no prediction.

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

/// Makes this thread's float arithmetic flush subnormal results and inputs to
/// zero (x86-64: MXCSR's FTZ and DAZ bits; elsewhere a no-op).
pub(crate) fn flush_denormals() {
    #[cfg(target_arch = "x86_64")]
    {
        const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);
        let mut csr: u32 = 0;
        // SAFETY: `stmxcsr`/`ldmxcsr` read and write this thread's SSE control
        // register; setting FTZ and DAZ changes only how subnormals round.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags));
            if csr & FTZ_DAZ != FTZ_DAZ {
                csr |= FTZ_DAZ;
                std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, preserves_flags));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnormals_are_flushed_on_this_thread() {
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        std::thread::spawn(move || {
            flush_denormals();
            // Half the smallest normal float is subnormal: flushed to zero.
            assert_eq!(std::hint::black_box(tiny) / 2.0, 0.0);
        })
        .join()
        .unwrap();
        if cfg!(not(target_arch = "x86_64")) {
            return;
        }
        // Other threads keep IEEE behaviour.
        assert!(std::hint::black_box(tiny) / 2.0 > 0.0);
    }
}
