//! Small filesystem helpers shared by every module that writes user data.
//!
//! There is one way to write a file here: [`write_atomic_with`] (and its shorthands).
//! The content goes to a fresh temporary file in the destination's folder (created by
//! the `tempfile` crate, so two writers never share one), is flushed to disk with
//! `fsync`, is renamed over the destination, and the folder itself is then synced so
//! the rename survives a crash. A crash leaves either the old file or the new one,
//! never a half-written one, and an error (or a panic) removes the temporary file.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically and durably (see the module docs).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Like [`write_atomic`], but lets `fill` write the content into the temporary file.
/// The destination's folder must exist: it is never created here, so saving into a
/// folder that was deleted fails instead of bringing the folder back.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut fs::File) -> io::Result<()>,
) -> io::Result<()> {
    let mut tmp = temp_file_for(path)?;
    fill(tmp.as_file_mut())?;
    tmp.as_file_mut().flush()?;
    persist_durably(tmp, path)
}

/// Like [`write_atomic`], for writers that can only write to a path (such as a
/// safetensors serialiser): `fill` gets the temporary file's path, which it may
/// overwrite in place; the file is then synced, renamed over `path` and the folder
/// synced. On any error the temporary file is removed and `path` is untouched.
pub fn write_atomic_to_path(
    path: &Path,
    fill: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
    let tmp = temp_file_for(path)?;
    fill(tmp.path())?;
    // `fill` may have replaced the file (write via a new descriptor truncates the same
    // inode, but a rename would not): sync whatever file is at the temporary path now.
    fs::File::open(tmp.path())?.sync_all()?;
    persist_durably(tmp, path)
}

/// A new, uniquely named temporary file beside `path` (`.<name>.<random>.tmp`), removed
/// when dropped unless persisted.
fn temp_file_for(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_string());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // Created as `std::fs::write` creates files (0666 less the umask), not 0600:
    // exports and runs are meant to be shared and read by other tools and users.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder
        .tempfile_in(parent_of(path))
        .map_err(|e| with_path(e, parent_of(path)))
}

/// Syncs `tmp`, renames it over `path`, then syncs the folder.
fn persist_durably(tmp: tempfile::NamedTempFile, path: &Path) -> io::Result<()> {
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| with_path(e.error, path))?;
    sync_dir(parent_of(path))
}

/// Flushes a folder's entries (new names, renames, removals) to disk.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| with_path(e, dir))
}

/// The folder holding `path` (`.` for a bare file name).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `e` with `path` in its message (io errors do not carry the path themselves).
fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Reads at most `cap` bytes of `path`; a larger file is an error naming the file and
/// the cap (so a huge or endless file never fills memory).
pub fn read_capped(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let file = fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is larger than {} bytes", path.display(), cap),
        ));
    }
    Ok(bytes)
}

/// Temporary files that [`write_atomic_with`] would leave behind if the process were
/// killed mid-write: `.<name>.*.tmp` beside `path`.
pub fn stray_temp_files(path: &Path) -> Vec<PathBuf> {
    let name = match path.file_name() {
        Some(n) => format!(".{}.", n.to_string_lossy()),
        None => return Vec::new(),
    };
    let Ok(entries) = fs::read_dir(parent_of(path)) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy())
                .is_some_and(|n| n.starts_with(&name) && n.ends_with(".tmp"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn written_files_get_the_permissions_std_fs_write_gives() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (ours, std_write) = (dir.path().join("a"), dir.path().join("b"));
        write_atomic(&ours, b"x").unwrap();
        fs::write(&std_write, b"x").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&ours), mode(&std_write));
    }

    #[test]
    fn atomic_write_replaces_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "temporary file left behind");
    }

    #[test]
    fn failed_fill_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_atomic(&path, b"old").unwrap();
        let err = write_atomic_with(&path, |f| {
            f.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn path_writers_are_atomic_and_clean_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.bin");
        write_atomic_to_path(&path, |p| fs::write(p, b"weights")).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"weights");
        let err = write_atomic_to_path(&path, |p| {
            fs::write(p, b"half")?;
            Err(io::Error::other("boom"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read(&path).unwrap(), b"weights");
        assert!(stray_temp_files(&path).is_empty());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_folder_is_never_created() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("deleted");
        let err = write_atomic(&gone.join("run.ron"), b"x").unwrap_err();
        assert!(err.to_string().contains("deleted"), "{err}");
        assert!(!gone.exists());
    }

    #[test]
    fn reads_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        fs::write(&path, vec![0u8; 101]).unwrap();
        assert_eq!(read_capped(&path, 101).unwrap().len(), 101);
        let err = read_capped(&path, 100).unwrap_err();
        assert!(err.to_string().contains("larger than 100 bytes"), "{err}");
        assert!(err.to_string().contains("big"), "{err}");
    }
}
