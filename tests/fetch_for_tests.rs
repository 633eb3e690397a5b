//! A fresh clone's `cargo test`: with MNIST nowhere, the tests fetch it once with the
//! project's checksummed download; offline, they fail with the one-line instructions.
//! Shown against a loopback mirror serving the real files.

mod common;

use common::mnist::{INSTRUCTIONS, find_or_fetch, has_files};
use mnist_tui::data::{DatasetFiles, FileStatus, MNIST_FILES, verify};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Serves `<name>.gz` from `dir` over HTTP on loopback; returns its base URL and a count
/// of the requests answered.
fn loopback_mirror(dir: PathBuf) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&request);
            let name = text
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/')
                .to_string();
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = match std::fs::read(dir.join(&name)) {
                Ok(body) if !name.contains('/') => {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    stream
                        .write_all(head.as_bytes())
                        .and_then(|()| stream.write_all(&body))
                }
                _ => stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            };
        }
    });
    (url, hits)
}

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
    let (mirror, hits) = loopback_mirror(source);
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
