//! Splitting work across the cores: a batch into contiguous shards (one per worker
//! thread), each run start to finish on one thread.
//!
//! A training step's matrices are small (64 images), so handing each product to
//! several threads, as dfdx's matmul does, spends much of the time waking threads
//! and waiting for them. Instead each shard of the batch runs its whole forward and
//! backward pass on one thread with single-threaded kernels, and the threads meet
//! once per step. The number of shards depends only on the batch size and the
//! number of worker threads, so a seeded run is reproducible on a given machine.

use std::ops::Range;
use std::sync::{PoisonError, RwLock};

use super::ModelError;

/// Fewest samples worth a shard of their own.
const MIN_SHARD: usize = 16;

/// Worker threads available for one step (rayon's global pool: the cores, or
/// `RAYON_NUM_THREADS`).
pub(crate) fn threads() -> usize {
    rayon::current_num_threads().max(1)
}

/// How many shards a batch of `n` samples is split into: one per thread, each of at
/// least [`MIN_SHARD`] samples (one shard for small batches).
pub(crate) fn shard_count(n: usize) -> usize {
    threads().min(n / MIN_SHARD).max(1)
}

/// `0..n` cut into `shards` contiguous ranges whose lengths differ by at most one
/// (the first ones longer).
pub(crate) fn split(n: usize, shards: usize) -> Vec<Range<usize>> {
    let shards = shards.max(1);
    let (base, extra) = (n / shards, n % shards);
    let mut start = 0;
    (0..shards)
        .map(|i| {
            let len = base + usize::from(i < extra);
            let r = start..start + len;
            start += len;
            r
        })
        .collect()
}

/// `f` applied to every item, each on its own thread (the first on this one) with
/// denormals flushed, the results in the items' order. A panic in any of them resumes
/// on this thread. Every thread, this one included, gets its float mode back after
/// each item: the flushing never leaks into the caller's own arithmetic.
pub(crate) fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let mut slots: Vec<Option<R>> = items.iter().map(|_| None).collect();
    let mut items = items.into_iter();
    let Some(first) = items.next() else {
        return Vec::new();
    };
    // Training arithmetic flushes subnormals on whichever thread runs it, for as long
    // as it runs (two writes of a control register per item: nothing next to a shard).
    let f = &|item| super::cpu::flushing_denormals(|| f(item));
    rayon::in_place_scope(|scope| {
        let (head, tail) = slots.split_at_mut(1);
        for (item, slot) in items.zip(tail.iter_mut()) {
            scope.spawn(move |_| *slot = Some(f(item)));
        }
        head[0] = Some(f(first));
    });
    slots.into_iter().flatten().collect()
}

/// `f` applied to every item, all of them at the same time: each on an OS thread of
/// its own (the first on this one) with denormals flushed as in [`map`], the results
/// in the items' order. A panic in any of them resumes on this thread once all have
/// ended.
///
/// This is [`map`] for items that wait for each other (the shards of a step meeting
/// in a `sync::ShardSync`): rayon may run its tasks one after another on one
/// thread, and then the first to wait would wait for a task that cannot start.
/// Here every thread exists before any item starts; if one cannot be started, no
/// item runs and that is the error. An item that others may wait for must release
/// them if it fails or panics (a `ShardGuard` does), or they, and this call, which
/// joins them, wait forever.
pub(crate) fn map_concurrent<T: Send, R: Send>(
    items: Vec<T>,
    f: impl Fn(T) -> R + Sync,
) -> Result<Vec<R>, ModelError> {
    let mut items = items.into_iter();
    let Some(first) = items.next() else {
        return Ok(Vec::new());
    };
    let f = &|item| super::cpu::flushing_denormals(|| f(item));
    // Write-locked while the threads are started, each of which first reads it:
    // `true` once all are running (go), `false` if one could not be started (stop).
    let gate = RwLock::new(false);
    std::thread::scope(|scope| {
        let mut go = gate.write().unwrap_or_else(PoisonError::into_inner);
        let mut handles = Vec::with_capacity(items.len());
        for item in items {
            let gate = &gate;
            let spawned = std::thread::Builder::new()
                .name("shard".into())
                .spawn_scoped(scope, move || {
                    let go = *gate.read().unwrap_or_else(PoisonError::into_inner);
                    go.then(|| f(item))
                });
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => {
                    drop(go);
                    for h in handles {
                        let _ = h.join();
                    }
                    return Err(ModelError::BadInput(format!(
                        "could not start a thread for a shard: {e}"
                    )));
                }
            }
        }
        *go = true;
        drop(go);
        let mut out = Vec::with_capacity(handles.len() + 1);
        out.push(f(first));
        for h in handles {
            match h.join() {
                Ok(Some(r)) => out.push(r),
                Ok(None) => {
                    return Err(ModelError::BadInput("a shard's thread did not run".into()));
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok(out)
    })
}

/// `values` cut into `parts` consecutive pieces of near-equal length (empty pieces
/// when there are fewer values than parts).
pub(crate) fn pieces<E>(values: &mut [E], parts: usize) -> Vec<&mut [E]> {
    let ranges = split(values.len(), parts);
    rows(values, &ranges, 1)
}

/// The rows `ranges` (consecutive, from 0) of `values` seen as rows of `width`: one
/// piece per range.
pub(crate) fn rows<'a, E>(
    values: &'a mut [E],
    ranges: &[Range<usize>],
    width: usize,
) -> Vec<&'a mut [E]> {
    let mut out = Vec::with_capacity(ranges.len());
    let mut rest = values;
    for r in ranges {
        let len = (r.len() * width).min(rest.len());
        let (piece, tail) = rest.split_at_mut(len);
        out.push(piece);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_everything_in_order() {
        assert_eq!(split(10, 3), vec![0..4, 4..7, 7..10]);
        assert_eq!(split(2, 4), vec![0..1, 1..2, 2..2, 2..2]);
        assert_eq!(split(5, 0), vec![0..5]);
    }

    #[test]
    fn shards_are_never_tiny() {
        assert_eq!(shard_count(1), 1);
        assert_eq!(shard_count(MIN_SHARD * 2 - 1), 1);
        assert!(shard_count(64) <= threads());
    }

    #[test]
    fn map_keeps_order_and_pieces_cover() {
        let squares = map((0..9).collect(), |i: i32| i * i);
        assert_eq!(squares, (0..9).map(|i| i * i).collect::<Vec<_>>());
        let mut v: Vec<u32> = (0..7).collect();
        let p = pieces(&mut v, 3);
        assert_eq!(p.iter().map(|s| s.len()).collect::<Vec<_>>(), vec![3, 2, 2]);
        let mut v: Vec<u32> = (0..15).collect();
        let r = rows(&mut v, &split(5, 2), 3);
        assert_eq!(r.iter().map(|s| s.len()).collect::<Vec<_>>(), vec![9, 6]);
        assert!(map(Vec::<u8>::new(), |x| x).is_empty());
    }

    #[test]
    fn map_concurrent_runs_every_item_at_once_in_order() {
        // More items than cores, each waiting for all the others: only threads that
        // really run at the same time get past the barrier.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let n = threads() * 2 + 3;
            let barrier = std::sync::Barrier::new(n);
            let out = map_concurrent((0..n).collect(), |i: usize| {
                barrier.wait();
                i * 10
            });
            let _ = tx.send((n, out));
        });
        let (n, out) = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the items did not all run at once");
        assert_eq!(out.unwrap(), (0..n).map(|i| i * 10).collect::<Vec<_>>());
        assert!(map_concurrent(Vec::<u8>::new(), |x| x).unwrap().is_empty());
        assert_eq!(map_concurrent(vec![4], |x: i32| x + 1).unwrap(), vec![5]);
    }

    #[test]
    fn map_concurrent_resumes_a_panic_and_flushes_denormals() {
        let caught = std::panic::catch_unwind(|| {
            map_concurrent(vec![0, 1, 2], |i: i32| {
                if i == 2 {
                    panic!("item 2 fails");
                }
                i
            })
        });
        assert!(caught.is_err());
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        std::thread::spawn(move || {
            use super::super::cpu::{MXCSR_FLAGS, mxcsr};
            let before = mxcsr() & !MXCSR_FLAGS;
            let halves = map_concurrent(vec![tiny; 3], |x| std::hint::black_box(x) / 2.0);
            if cfg!(target_arch = "x86_64") {
                assert_eq!(halves.unwrap(), vec![0.0; 3], "flushed while the work runs");
            }
            assert_eq!(mxcsr() & !MXCSR_FLAGS, before, "the caller's MXCSR changed");
        })
        .join()
        .unwrap();
    }

    #[test]
    fn map_flushes_denormals_inside_and_restores_the_callers_mode() {
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        // On a fresh thread (like the trainer's), whatever other tests do to theirs.
        std::thread::spawn(move || {
            use super::super::cpu::{MXCSR_FLAGS, mxcsr};
            let before = mxcsr() & !MXCSR_FLAGS;
            let halves = map(vec![tiny; 4], |x| std::hint::black_box(x) / 2.0);
            if cfg!(target_arch = "x86_64") {
                assert_eq!(halves, vec![0.0; 4], "flushed while the work runs");
            }
            assert_eq!(mxcsr() & !MXCSR_FLAGS, before, "the caller's MXCSR changed");
            assert!(
                std::hint::black_box(tiny) / 2.0 > 0.0,
                "the caller flushes subnormals"
            );
        })
        .join()
        .unwrap();
    }
}
