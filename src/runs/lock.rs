//! One advisory lock per run: whoever trains a run holds an exclusive `flock` on
//! `runs/<id>/.lock` for as long as it trains. The kernel drops the lock when the
//! process ends, however it ends, so a `running` record whose lock is free belongs to
//! a process that died: the run is shown as interrupted and can be resumed.
//! `runs rm`, the dashboard's delete and resume all take the lock first and refuse a
//! run that another process (or another trainer in this process) holds.

use rustix::fs::{FlockOperation, flock};
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Name of the lock file inside a run's folder.
pub const LOCK_FILE: &str = ".lock";

/// An exclusive lock on one run, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    path: PathBuf,
}

impl RunLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Why a lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another holder has it.
    Held,
    /// The lock file could not be opened or locked.
    Io(io::Error),
}

/// Takes the exclusive lock of the run in `dir` without waiting. The folder must
/// exist (it is never created here). Fails with [`LockError::Held`] if anyone,
/// including another handle in this process, holds it.
pub fn try_lock(dir: &Path) -> Result<RunLock, LockError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(LockError::Io)?;
    match flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(RunLock { _file: file, path }),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Err(LockError::Held),
        Err(e) => Err(LockError::Io(e.into())),
    }
}

/// Like [`try_lock`], but retries for up to `patience` when the lock is held (a
/// reader probing with [`is_locked`] holds it for a moment).
pub fn lock_within(dir: &Path, patience: Duration) -> Result<RunLock, LockError> {
    let step = Duration::from_millis(25);
    let mut waited = Duration::ZERO;
    loop {
        match try_lock(dir) {
            Err(LockError::Held) if waited < patience => {
                std::thread::sleep(step);
                waited += step;
            }
            other => return other,
        }
    }
}

/// Whether someone holds the lock of the run in `dir`. Never creates anything: a run
/// folder without a lock file is not locked.
pub fn is_locked(dir: &Path) -> bool {
    let Ok(file) = File::open(dir.join(LOCK_FILE)) else {
        return false;
    };
    match flock(&file, FlockOperation::NonBlockingLockShared) {
        Ok(()) => false,
        Err(e) => e == rustix::io::Errno::WOULDBLOCK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!is_locked(dir.path()));
        let lock = try_lock(dir.path()).unwrap();
        assert!(is_locked(dir.path()));
        assert!(matches!(try_lock(dir.path()), Err(LockError::Held)));
        drop(lock);
        assert!(!is_locked(dir.path()));
        assert!(try_lock(dir.path()).is_ok());
    }

    #[test]
    fn a_missing_folder_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        assert!(matches!(try_lock(&gone), Err(LockError::Io(_))));
        assert!(!gone.exists());
        assert!(!is_locked(&gone));
    }
}
