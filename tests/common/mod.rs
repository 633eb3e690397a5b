//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The folder holding real MNIST: `$MNIST_DATA_DIR`, else `./data`, else
/// `../shared/mnist`. Panics with instructions when none has the files: tests that need
/// real MNIST never pass silently without it.
pub fn mnist_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let has_files = |dir: &PathBuf| {
        ["train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
            .iter()
            .all(|n| dir.join(n).exists() || dir.join(format!("{n}.gz")).exists())
    };
    if let Some(dir) = std::env::var_os("MNIST_DATA_DIR").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        assert!(
            has_files(&dir),
            "MNIST_DATA_DIR={} does not hold the MNIST files; run `mnist-tui data fetch` \
             or point MNIST_DATA_DIR at a folder with the four MNIST files",
            dir.display()
        );
        return dir;
    }
    for dir in [root.join("data"), root.join("../shared/mnist")] {
        if has_files(&dir) {
            return dir;
        }
    }
    panic!(
        "real MNIST not found: these tests need it. Run `cargo run -- data fetch` (downloads \
         into ./data) or set MNIST_DATA_DIR to a folder holding the four MNIST files"
    );
}

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

/// A command's output as text: (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run mnist-tui");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
pub mod pty;
