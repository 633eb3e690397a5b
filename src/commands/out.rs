//! Standard output for the headless commands that print as they go (`predict`, `data`,
//! `bench`). `println!` panics when the reader has gone (`mnist-tui predict … | head -0`
//! makes every write fail with EPIPE); here a closed stdout is a normal end of the
//! output, which each command handles as its work requires: `predict` and `bench`
//! stop (nobody reads what is left) and exit 0, as `rg … | head` does; `data fetch`
//! keeps downloading and `data verify` still sets its exit status.

use std::io::Write;

/// Writes `text` to stdout and flushes it. `Ok(false)` when the reader has closed the
/// pipe (nothing written from now on will be read); any other failure (a full disk
/// behind a redirection) is an error naming stdout.
pub fn write(text: &str) -> anyhow::Result<bool> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(anyhow::anyhow!("cannot write to stdout: {e}")),
    }
}

/// Writes `text` and a newline to stdout, as [`write`].
pub fn line(text: impl std::fmt::Display) -> anyhow::Result<bool> {
    write(&format!("{text}\n"))
}

/// Writes `text` and a newline to stderr. A closed or failing stderr loses the line
/// rather than panicking as `eprintln!` does.
pub fn warn(text: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "{text}");
}
