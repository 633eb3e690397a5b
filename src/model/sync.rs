//! A meeting point for the shards of one training step: an all-reduce (sum) of
//! small `f64` vectors, for ops such as batch normalisation whose forward and
//! backward passes need totals over the whole batch while each shard runs on its
//! own tape and thread.
//!
//! Design, kept small so that it is obviously correct:
//!
//! - One [`Mutex`] holds everything; one [`Condvar`] wakes the waiters. A round is
//!   complete when every shard has put its partial in its own slot; the last to
//!   arrive adds the slots up **in shard order** (so the totals do not depend on
//!   which thread came first, and every shard gets the same bits) and wakes the
//!   others. Rounds are sequential: a shard's next call starts the next round.
//! - The totals of a round stay readable until the next round completes, which
//!   needs every shard, so after every waiter has read them: one buffer suffices.
//! - Nothing waits forever. [`ShardSync::abort`] wakes every waiter with an error
//!   and fails every later call. Each shard holds a [`ShardGuard`] for the whole of
//!   its work: dropped without [`ShardGuard::finish`] (an early `?` return, a
//!   panic) it aborts, and a shard that finishes while others wait for a round it
//!   will never join aborts too. So if one shard stops, the others get an error
//!   instead of a hang.
//!
//! The shards must run at the same time (see `parallel::map_concurrent`): rayon
//! tasks may run one after another on one thread, and then the first to wait would
//! wait for a shard that cannot start.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::ModelError;

/// What a shard is told when another shard's failure stopped the step.
const ABORTED: &str = "the training step was stopped: another shard of it failed";

/// The meeting point of the `shards` shards of one step (see the module docs).
/// One per step: once aborted it stays aborted.
#[derive(Debug)]
pub(crate) struct ShardSync {
    shards: usize,
    state: Mutex<State>,
    wake: Condvar,
}

/// Everything behind [`ShardSync`]'s lock.
#[derive(Debug)]
struct State {
    /// The round being gathered: one slot per shard, filled as shards arrive.
    partials: Vec<Option<Vec<f64>>>,
    /// Shards that have contributed to the round being gathered.
    arrived: usize,
    /// The length of this round's partials (set by its first arrival).
    len: usize,
    /// Rounds completed so far.
    completed: u64,
    /// The totals of the last completed round.
    totals: Vec<f64>,
    /// Whether the step was stopped.
    aborted: bool,
    /// The shard whose failure stopped the step (`None`: not stopped, or stopped
    /// from outside by [`ShardSync::abort`]).
    failed: Option<usize>,
    /// Shards that finished their work (and will not contribute again).
    finished: usize,
}

impl ShardSync {
    /// A meeting point for `shards` shards (at least one).
    pub(crate) fn new(shards: usize) -> Self {
        let shards = shards.max(1);
        ShardSync {
            shards,
            state: Mutex::new(State {
                partials: vec![None; shards],
                arrived: 0,
                len: 0,
                completed: 0,
                totals: Vec::new(),
                aborted: false,
                failed: None,
                finished: 0,
            }),
            wake: Condvar::new(),
        }
    }

    /// The number of shards that meet here.
    pub(crate) fn shards(&self) -> usize {
        self.shards
    }

    /// The element-wise sum of every shard's `partial` for this round, added in shard
    /// order (bit-identical on every shard). Blocks until every shard has
    /// contributed; with one shard, returns `partial` at once. Errors (and wakes the
    /// waiters with an error) if the step was aborted, or on a misuse that would
    /// otherwise hang or mix up rounds: a shard index out of range, a shard arriving
    /// twice in one round, partials of different lengths, a call after another
    /// shard finished.
    pub(crate) fn all_reduce(&self, shard: usize, partial: &[f64]) -> Result<Vec<f64>, ModelError> {
        let mut s = self.lock();
        if s.aborted {
            return Err(aborted());
        }
        let misuse = if shard >= self.shards {
            Some(format!("shard {shard} of {}", self.shards))
        } else if s.partials[shard].is_some() {
            Some(format!("shard {shard} arrived twice in one round"))
        } else if s.arrived > 0 && partial.len() != s.len {
            Some(format!(
                "shard {shard} brought {} values to a round of {}",
                partial.len(),
                s.len
            ))
        } else if s.finished > 0 {
            Some(format!(
                "shard {shard} started a round after another shard finished"
            ))
        } else {
            None
        };
        if let Some(problem) = misuse {
            self.abort_locked(&mut s, Some(shard));
            return Err(ModelError::BadInput(format!("all_reduce: {problem}")));
        }
        if s.arrived == 0 {
            s.len = partial.len();
        }
        s.partials[shard] = Some(partial.to_vec());
        s.arrived += 1;
        let round = s.completed;
        if s.arrived == self.shards {
            let mut slots = s.partials.iter_mut().filter_map(Option::take);
            let mut totals = slots.next().unwrap_or_default();
            for p in slots {
                for (t, v) in totals.iter_mut().zip(&p) {
                    *t += v;
                }
            }
            s.totals = totals;
            s.arrived = 0;
            s.completed += 1;
            self.wake.notify_all();
            return Ok(s.totals.clone());
        }
        let s = self
            .wake
            .wait_while(s, |s| s.completed == round && !s.aborted)
            .unwrap_or_else(PoisonError::into_inner);
        // The next round cannot complete without this shard, so a completed round is
        // this one, and the totals are still its own.
        if s.completed > round {
            Ok(s.totals.clone())
        } else {
            Err(aborted())
        }
    }

    /// Stops the step: every waiting and later [`ShardSync::all_reduce`] errors.
    #[cfg(test)]
    pub(crate) fn abort(&self) {
        let mut s = self.lock();
        self.abort_locked(&mut s, None);
    }

    /// Whether the step was stopped.
    #[cfg(test)]
    pub(crate) fn is_aborted(&self) -> bool {
        self.lock().aborted
    }

    /// A guard for shard `shard`'s work: see [`ShardGuard`].
    pub(crate) fn guard(&self, shard: usize) -> ShardGuard<'_> {
        ShardGuard {
            sync: self,
            shard,
            finished: false,
        }
    }

    /// The shards' results in shard order, or the error that stopped the step: the
    /// failing shard's own error rather than the "stopped" errors its abort caused in
    /// the others (the first error in shard order when no shard is to blame).
    pub(crate) fn collect<R>(
        &self,
        results: Vec<Result<R, ModelError>>,
    ) -> Result<Vec<R>, ModelError> {
        let failed = self.lock().failed;
        let mut oks = Vec::with_capacity(results.len());
        let mut first_err = None;
        for (i, r) in results.into_iter().enumerate() {
            match r {
                Ok(v) => oks.push(v),
                Err(e) if Some(i) == failed => return Err(e),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(oks),
        }
    }

    /// Records that `shard` has finished; an error (and an abort) if other shards
    /// are waiting for a round it will never join.
    fn finish(&self, shard: usize) -> Result<(), ModelError> {
        let mut s = self.lock();
        if s.aborted {
            return Ok(());
        }
        if s.arrived > 0 {
            self.abort_locked(&mut s, Some(shard));
            return Err(ModelError::BadInput(format!(
                "all_reduce: shard {shard} finished while {} others wait for it",
                s.arrived
            )));
        }
        s.finished += 1;
        Ok(())
    }

    /// Marks the step stopped (by `shard`, if a shard failed) and wakes everyone.
    fn abort_locked(&self, s: &mut State, shard: Option<usize>) {
        if !s.aborted {
            s.aborted = true;
            s.failed = shard;
        }
        self.wake.notify_all();
    }

    /// The state, also after a panic elsewhere while it was held (nothing in this
    /// module panics with the lock held, and the state is consistent between
    /// statements anyway).
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The error of a shard stopped because another one failed.
fn aborted() -> ModelError {
    ModelError::BadInput(ABORTED.into())
}

/// Held by a shard for the whole of its work in a step: dropped before
/// [`ShardGuard::finish`] (an early return, a panic) it aborts the step, so that no
/// other shard waits for this one forever.
#[must_use = "dropping the guard aborts the step"]
#[derive(Debug)]
pub(crate) struct ShardGuard<'a> {
    sync: &'a ShardSync,
    shard: usize,
    finished: bool,
}

impl ShardGuard<'_> {
    /// Ends the shard's work with `result`: an error aborts the step (the others
    /// stop waiting); success is checked not to leave other shards waiting for this
    /// one (if it would, the step is aborted and this is an error).
    pub(crate) fn finish<R>(mut self, result: Result<R, ModelError>) -> Result<R, ModelError> {
        let value = result?;
        self.finished = true;
        self.sync.finish(self.shard)?;
        Ok(value)
    }
}

impl Drop for ShardGuard<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let mut s = self.sync.lock();
            self.sync.abort_locked(&mut s, Some(self.shard));
        }
    }
}

/// Runs `work` on a thread and returns its result, failing the test instead of
/// hanging if it takes more than 20 s (every wait in the tests that use it is over
/// in microseconds unless a bug makes it hang).
#[cfg(test)]
pub(crate) fn within_patience<R: Send + 'static>(work: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(20)) {
        Ok(r) => r,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("deadlock: no answer in 20 s"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("the work panicked"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    /// Returns once `arrivals` shards wait in the open round.
    fn wait_for_arrivals(sync: &ShardSync, arrivals: usize) {
        while sync.lock().arrived < arrivals {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn totals_are_summed_in_shard_order_and_the_same_everywhere() {
        let out = within_patience(|| {
            let sync = ShardSync::new(3);
            // In shard order (1 + 1e16) - 1e16 is 0 in f64 (the 1 is lost); shard 0
            // arrives last, and adding in arrival order would give 1.
            let parts = [vec![1.0, 1.0], vec![1e16, 2.0], vec![-1e16, 3.0]];
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..3)
                    .map(|k| {
                        let (sync, parts) = (&sync, &parts);
                        scope.spawn(move || {
                            (0..5)
                                .map(|round| {
                                    if k == 0 {
                                        wait_for_arrivals(sync, 2);
                                    }
                                    let mut p = parts[k].clone();
                                    p[1] += round as f64;
                                    sync.all_reduce(k, &p)
                                })
                                .collect::<Result<Vec<_>, _>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap())
                    .collect::<Vec<_>>()
            })
        });
        for shard in out {
            for (round, t) in shard.unwrap().iter().enumerate() {
                assert_eq!(t[0].to_bits(), 0.0f64.to_bits());
                assert_eq!(t[1], 6.0 + 3.0 * round as f64);
            }
        }
    }

    #[test]
    fn one_shard_returns_its_partial_at_once() {
        let sync = ShardSync::new(1);
        assert_eq!(sync.all_reduce(0, &[1.5, -0.0]).unwrap(), vec![1.5, -0.0]);
        assert_eq!(sync.all_reduce(0, &[2.0]).unwrap(), vec![2.0]);
        let guard = sync.guard(0);
        assert_eq!(guard.finish(Ok(7)).unwrap(), 7);
        assert!(!sync.is_aborted());
    }

    #[test]
    fn abort_wakes_a_waiter_with_an_error() {
        let result = within_patience(|| {
            let sync = Arc::new(ShardSync::new(2));
            let waiter = {
                let sync = Arc::clone(&sync);
                std::thread::spawn(move || sync.all_reduce(0, &[1.0]))
            };
            wait_for_arrivals(&sync, 1);
            sync.abort();
            let r = waiter.join().unwrap();
            (r, sync.all_reduce(1, &[1.0]).is_err(), sync.is_aborted())
        });
        assert!(matches!(result.0, Err(ModelError::BadInput(ref m)) if m == ABORTED));
        assert!(result.1, "a later round fails too");
        assert!(result.2);
    }

    #[test]
    fn a_guard_dropped_early_or_by_a_panic_aborts_and_its_error_is_reported() {
        // Shard 1 returns early with its own error; shard 0 waits and is woken.
        let (errors, err) = within_patience(|| {
            let sync = ShardSync::new(2);
            let results = std::thread::scope(|scope| {
                let sync = &sync;
                let h = scope.spawn(move || {
                    let guard = sync.guard(1);
                    wait_for_arrivals(sync, 1);
                    let work: Result<(), _> =
                        Err(ModelError::BadInput("label 12 is not a digit".into()));
                    guard.finish(work)
                });
                let guard = sync.guard(0);
                let mine = guard.finish(sync.all_reduce(0, &[1.0]).map(|_| ()));
                vec![mine, h.join().unwrap()]
            });
            let errors = results.iter().filter(|r| r.is_err()).count();
            (errors, sync.collect(results))
        });
        assert_eq!(errors, 2);
        let msg = err.unwrap_err().to_string();
        assert!(msg.contains("label 12"), "the cause, not the abort: {msg}");

        // A panicking shard aborts through its guard during unwinding.
        let woken = within_patience(|| {
            let sync = ShardSync::new(2);
            std::thread::scope(|scope| {
                let sync = &sync;
                let h = scope.spawn(move || {
                    let _guard = sync.guard(1);
                    wait_for_arrivals(sync, 1);
                    panic!("shard 1 fails");
                });
                let r = sync.all_reduce(0, &[1.0]);
                assert!(h.join().is_err());
                r.is_err()
            })
        });
        assert!(woken);
    }

    #[test]
    fn a_shard_that_finishes_while_others_wait_aborts() {
        let (waiter, finisher) = within_patience(|| {
            let sync = ShardSync::new(2);
            std::thread::scope(|scope| {
                let sync = &sync;
                let h = scope.spawn(move || {
                    wait_for_arrivals(sync, 1);
                    // Finishes without joining the round shard 0 waits in.
                    sync.guard(1).finish(Ok(()))
                });
                let r = sync.all_reduce(0, &[1.0]);
                (r.is_err(), h.join().unwrap().is_err())
            })
        });
        assert!(waiter, "shard 0 was left waiting or got totals");
        assert!(finisher, "finishing with a round open is an error");

        // Finished first: a later round is refused on arrival.
        let sync = ShardSync::new(2);
        assert!(sync.guard(1).finish(Ok(())).is_ok());
        assert!(sync.all_reduce(0, &[1.0]).is_err());
    }

    #[test]
    fn misuse_errors_instead_of_hanging() {
        let sync = ShardSync::new(2);
        assert!(sync.all_reduce(2, &[1.0]).is_err());
        assert!(sync.is_aborted());
        let sync = ShardSync::new(2);
        let out = within_patience(move || {
            std::thread::scope(|scope| {
                let sync = &sync;
                let h = scope.spawn(move || sync.all_reduce(1, &[1.0, 2.0]));
                wait_for_arrivals(sync, 1);
                let mine = sync.all_reduce(0, &[1.0]);
                (mine.is_err(), h.join().unwrap().is_err())
            })
        });
        assert_eq!(out, (true, true), "lengths differ");
    }
}
