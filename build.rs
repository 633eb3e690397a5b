//! Records the git commit the binary is built from (`MNIST_TUI_COMMIT`, "unknown"
//! outside a git checkout), so every run can say which code computed it.

use std::path::Path;
use std::process::Command;

fn main() {
    // Rebuild when HEAD moves: HEAD itself (a checkout), the branch it names (a
    // commit) and packed refs. Only files that exist are named: cargo treats a missing
    // one as changed, which would rebuild the crate on every build.
    println!("cargo:rerun-if-changed=build.rs");
    let git = Path::new(".git");
    let mut watch = vec![git.join("HEAD"), git.join("packed-refs")];
    if let Ok(head) = std::fs::read_to_string(git.join("HEAD"))
        && let Some(branch) = head.trim().strip_prefix("ref: ")
    {
        watch.push(git.join(branch));
    }
    for path in watch.iter().filter(|p| p.is_file()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=MNIST_TUI_COMMIT={commit}");
}
