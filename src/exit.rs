//! A failure that sets the process's exit code: used by the headless commands (a
//! cancelled fetch, a failed sweep point) and the dashboard (quit by a signal: 128 + the
//! signal); `main` prints its message and exits with its code.

/// A failure that should set a specific exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ExitError {
    /// What to print.
    pub message: String,
    /// The process exit code.
    pub code: i32,
}
