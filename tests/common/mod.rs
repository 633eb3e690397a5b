//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The `mnist-tui` binary under test: `$MNIST_TUI_BIN` if set, else the one cargo
/// built. (Worktrees that share one `CARGO_TARGET_DIR` overwrite each other's
/// `debug/mnist-tui`; the variable pins the binary a test run uses.)
pub fn binary() -> PathBuf {
    std::env::var_os("MNIST_TUI_BIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mnist-tui")))
}

/// The built `mnist-tui` binary, run in `cwd` with no config file and no inherited
/// `MNIST_DATA_DIR`.
pub fn mnist_tui(cwd: &std::path::Path) -> Command {
    let mut cmd = Command::new(binary());
    cmd.current_dir(cwd)
        .env_remove("MNIST_DATA_DIR")
        .env("NO_COLOR", "1");
    cmd
}

/// `mnist-tui --runs-dir <cwd>/runs --data-dir <MNIST> ARGS` in `cwd`, stdin closed.
pub fn cli(cwd: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = mnist_tui(cwd);
    cmd.arg("--runs-dir")
        .arg(cwd.join("runs"))
        .arg("--data-dir")
        .arg(mnist_dir())
        .args(args)
        .stdin(std::process::Stdio::null());
    cmd
}

/// A command's output as text: (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run mnist-tui");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
pub mod idx;
pub mod mirror;
pub mod mnist;
pub mod pty;
pub mod training;

pub use mnist::mnist_dir;
