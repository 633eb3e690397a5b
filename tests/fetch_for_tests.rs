//! A fresh clone's `cargo test`: with MNIST nowhere, the tests fetch it once with the
//! project's checksummed download; offline, they fail with the one-line instructions.
//! Shown against a loopback mirror serving the real files.

mod common;

use common::mirror::Mirror;
use common::mnist::{INSTRUCTIONS, find_or_fetch, has_files};
use mnist_tui::data::{DatasetFiles, FileStatus, MNIST_FILES, verify};
use std::net::TcpListener;
use std::sync::atomic::Ordering;

#[test]
fn missing_mnist_is_fetched_once_from_a_mirror_and_checked() {
    let source = common::mnist_dir();
    assert!(
        MNIST_FILES
            .iter()
            .all(|f| source.join(format!("{}.gz", f.name)).is_file()),
        "the mirror serves the .gz files of {}",
        source.display()
    );
    let files = MNIST_FILES
        .iter()
        .map(|f| {
            let gz = format!("{}.gz", f.name);
            let bytes = std::fs::read(source.join(&gz)).unwrap();
            (gz, bytes)
        })
        .collect();
    let Mirror { url: mirror, hits } = Mirror::serve(files);
    let clone = tempfile::tempdir().unwrap();
    let data = clone.path().join("data");
    let nowhere = [clone.path().join("no-data"), clone.path().join("shared")];

    let dir = find_or_fetch(&nowhere, &data, std::slice::from_ref(&mirror)).unwrap();
    assert_eq!(dir, data);
    assert!(has_files(&data));
    assert!(
        verify(&DatasetFiles::mnist(&data))
            .iter()
            .all(|r| r.status == FileStatus::Good),
        "every file checked against its SHA-256"
    );
    let first = hits.load(Ordering::SeqCst);
    assert_eq!(first, MNIST_FILES.len(), "one download per file");

    // The next test binary finds it in data/ and downloads nothing.
    let again = find_or_fetch(std::slice::from_ref(&data), &data, &[mirror]).unwrap();
    assert_eq!(again, data);
    assert_eq!(hits.load(Ordering::SeqCst), first);
}

#[test]
fn offline_the_tests_fail_with_the_instructions() {
    // A port nothing listens on: the mirror cannot be reached.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let clone = tempfile::tempdir().unwrap();
    let err = find_or_fetch(&[], &clone.path().join("data"), &[url]).unwrap_err();
    assert!(err.starts_with(INSTRUCTIONS), "{err}");
    assert!(err.contains("downloading it failed"), "{err}");
    assert!(!has_files(&clone.path().join("data")));
}
