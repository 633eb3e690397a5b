//! Where the tests find real MNIST, fetching it once when it is nowhere: a fresh clone
//! with network access needs nothing but `cargo test`.

use mnist_tui::data::MNIST_FILES;
use mnist_tui::data::fetch;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;

/// What to do when MNIST is nowhere, in one line (the same advice as before fetching
/// was automatic).
pub const INSTRUCTIONS: &str = "real MNIST not found: these tests need it. Run `cargo run -- \
data fetch` (downloads into ./data) or set MNIST_DATA_DIR to a folder holding the four MNIST \
files";

/// Whether `dir` holds the four MNIST files (raw or .gz).
pub fn has_files(dir: &Path) -> bool {
    MNIST_FILES.iter().all(|f| f.locate(dir).is_some())
}

/// The folder holding real MNIST: `$MNIST_DATA_DIR` (which must hold it), else `./data`,
/// else `../shared/mnist`, else `./data` after downloading it there once with the
/// project's checksummed fetch from the mirrors in `config.ron`. Panics with
/// [`INSTRUCTIONS`] (and why the download failed) when it cannot be had: tests that
/// need real MNIST never pass silently without it.
pub fn mnist_dir() -> PathBuf {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = DIR.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        if let Some(dir) = std::env::var_os("MNIST_DATA_DIR").filter(|v| !v.is_empty()) {
            let dir = PathBuf::from(dir);
            return if has_files(&dir) {
                Ok(dir)
            } else {
                Err(format!(
                    "MNIST_DATA_DIR={} does not hold the MNIST files; run `mnist-tui data \
                     fetch` or point MNIST_DATA_DIR at a folder with the four MNIST files",
                    dir.display()
                ))
            };
        }
        let config = mnist_tui::config::Config::load(&root.join("config.ron"), true)
            .map_err(|e| e.to_string())?;
        find_or_fetch(
            &[root.join("data"), root.join("../shared/mnist")],
            &root.join("data"),
            &config.mirrors,
        )
    });
    match found {
        Ok(dir) => dir.clone(),
        Err(e) => panic!("{e}"),
    }
}

/// The first of `candidates` holding MNIST, else `into` after fetching MNIST there from
/// `mirrors`. The error starts with [`INSTRUCTIONS`].
pub fn find_or_fetch(
    candidates: &[PathBuf],
    into: &Path,
    mirrors: &[String],
) -> Result<PathBuf, String> {
    if let Some(dir) = candidates.iter().find(|d| has_files(d)) {
        return Ok(dir.clone());
    }
    eprintln!(
        "MNIST not found: fetching it once into {} for the tests…",
        into.display()
    );
    let cancel = AtomicBool::new(false);
    let mnist = fetch::DatasetFiles::mnist(into).with_mirrors(mirrors);
    match fetch::fetch(&mnist, &cancel, &mut |_| {}) {
        Ok(_) if has_files(into) => Ok(into.to_path_buf()),
        Ok(_) => Err(format!(
            "{INSTRUCTIONS} (the download left {} incomplete)",
            into.display()
        )),
        Err(e) => Err(format!("{INSTRUCTIONS}\n(downloading it failed: {e})")),
    }
}

/// A data folder whose `fashion-mnist` folder holds real Fashion-MNIST: beside MNIST's
/// folder (`../shared/fashion-mnist` next to `../shared/mnist`, as on CI), or `./data`.
/// `None` where it is not (the tests that need it say so and do nothing).
pub fn fashion_root() -> Option<PathBuf> {
    let beside = mnist_dir().parent().map(Path::to_path_buf);
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data");
    let found = beside
        .into_iter()
        .chain([here])
        .find(|root| has_files(&root.join("fashion-mnist")));
    if found.is_none() {
        eprintln!("note: real Fashion-MNIST not found beside MNIST or in ./data/fashion-mnist");
    }
    found
}
