//! The Runs view's export, done off the UI thread: the runs' records read from the
//! store and written by their format's row of [`crate::interop::EXPORT_FORMATS`]
//! (what `mnist-tui export` does), reported back as a [`Msg::Exported`] whose notice
//! says where the files went or why they did not.

use crate::interop::export_format;
use crate::runs::{RunRecord, RunStore};
use crate::tui::app::{Msg, Notice};
use crate::tui::tasks::panic_text;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc::UnboundedSender;

/// Exports runs `ids` of `store` in the format called `format` at `out` (relative to
/// the current folder); returns the files written. Blocks (a model export loads its
/// weights): call it off the UI thread.
pub fn export(
    store: &RunStore,
    format: &str,
    ids: &[String],
    out: &Path,
) -> Result<Vec<PathBuf>, String> {
    let format = export_format(format)?;
    let records = ids
        .iter()
        .map(|id| store.load(id).map_err(|e| e.to_string()))
        .collect::<Result<Vec<RunRecord>, String>>()?;
    let refs: Vec<&RunRecord> = records.iter().collect();
    format.write(store, &refs, out).map_err(|e| e.to_string())
}

/// Runs [`export`] on a thread of its own and sends its result (or its panic, or the
/// thread's failure to start) as [`Msg::Exported`].
pub fn spawn(
    store: RunStore,
    format: &'static str,
    ids: Vec<String>,
    out: PathBuf,
    tx: UnboundedSender<Msg>,
) {
    let spawned = std::thread::Builder::new().name("export".into()).spawn({
        let (tx, out) = (tx.clone(), out.clone());
        move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                export(&store, format, &ids, &out)
            }))
            .unwrap_or_else(|p| Err(format!("internal error: {}", panic_text(&*p))));
            let _ = tx.send(Msg::Exported { out, result });
        }
    });
    if let Err(e) = spawned {
        let result = Err(format!("cannot start the export thread: {e}"));
        let _ = tx.send(Msg::Exported { out, result });
    }
}

/// The notice for an export to `out`: how many files went there, or why none did.
pub fn notice(out: &Path, result: &Result<Vec<PathBuf>, String>) -> Notice {
    match result {
        Ok(files) => Notice::Info(format!(
            "Exported {} file{} to {}",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            out.display()
        )),
        Err(e) => Notice::Error(format!("Export to {} failed: {e}", out.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_says_how_many_files_and_where_or_why_not() {
        let out = Path::new("exports/r1-pytorch");
        let two = Ok(vec![out.join("model.safetensors"), out.join("model.py")]);
        assert_eq!(
            notice(out, &two),
            Notice::Info("Exported 2 files to exports/r1-pytorch".into())
        );
        let one = Ok(vec![PathBuf::from("a.onnx")]);
        assert_eq!(
            notice(Path::new("a.onnx"), &one),
            Notice::Info("Exported 1 file to a.onnx".into())
        );
        let failed = Err("x/a.onnx: Permission denied".to_string());
        assert_eq!(
            notice(Path::new("x/a.onnx"), &failed),
            Notice::Error("Export to x/a.onnx failed: x/a.onnx: Permission denied".into())
        );
    }

    #[test]
    fn an_unknown_run_or_format_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = RunStore::new(dir.path());
        let out = dir.path().join("x.onnx");
        let e = export(&store, "onnx", &["20261120-110000-mlp-a001".into()], &out)
            .err()
            .unwrap_or_default();
        assert!(e.contains("20261120-110000-mlp-a001"), "{e}");
        let e = export(&store, "no-such-format", &[], &out)
            .err()
            .unwrap_or_default();
        assert!(e.contains("unknown export format"), "{e}");
        assert!(!out.exists());
    }
}
