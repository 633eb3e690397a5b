//! Tests of fetch and verify against a local HTTP server and small files.

use super::*;
use crate::data::datasets::FileChecksum;
use crate::data::idx;
use crate::data::idx::tests::{gzip, images_bytes, labels_bytes};
use crate::data::{IdxKind, Split};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What the test server answers for one path.
#[derive(Clone)]
struct Route {
    path: String,
    status: u16,
    body: Vec<u8>,
    /// Announce more bytes than are sent, then close (a dropped connection).
    short: bool,
}

fn route(path: &str, body: Vec<u8>) -> Route {
    Route {
        path: path.to_string(),
        status: 200,
        body,
        short: false,
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 (loopback only). It answers at most
/// `max_requests` requests, one per connection, and stops by itself after 10 s.
/// Returns its base URL and the list of paths it was asked for.
fn serve(routes: Vec<Route>, max_requests: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/mnist/", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut served = 0;
        while served < max_requests && Instant::now() < deadline {
            match listener.accept() {
                Ok((stream, _)) => {
                    served += 1;
                    let _ = answer(stream, &routes, &seen2);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    (base, seen)
}

fn answer(mut stream: TcpStream, routes: &[Route], seen: &Mutex<Vec<String>>) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 16 * 1024 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        req.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&req);
    let path = text.split_whitespace().nth(1).unwrap_or("").to_string();
    seen.lock().unwrap().push(path.clone());
    let found = routes.iter().find(|r| r.path == path);
    let (status, body, short) = match found {
        Some(r) => (r.status, r.body.as_slice(), r.short),
        None => (404, &b"not found"[..], false),
    };
    let len = if short { body.len() * 2 } else { body.len() };
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Length: {len}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
    )?;
    stream.write_all(body)?;
    stream.flush()
}

/// A loopback URL nothing listens on (connection refused).
fn dead_mirror() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}/")
}

fn sha(bytes: &[u8]) -> &'static str {
    Box::leak(idx::hex(&Sha256::digest(bytes)).into_boxed_str())
}

/// Two small valid files (images and labels) and their expected checksums.
fn small_files() -> (Vec<DataFile>, Vec<Vec<u8>>) {
    let images = images_bytes(3);
    let labels = labels_bytes(3);
    let files = vec![
        DataFile {
            name: "train-images-idx3-ubyte",
            checksum: FileChecksum::Sha256(sha(&images)),
            kind: IdxKind::Images,
            split: Split::Train,
        },
        DataFile {
            name: "train-labels-idx1-ubyte",
            checksum: FileChecksum::Sha256(sha(&labels)),
            kind: IdxKind::Labels,
            split: Split::Train,
        },
    ];
    (files, vec![images, labels])
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn verify_reports_good_bad_and_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut files, contents) = small_files();
    let extra = labels_bytes(2);
    files.push(DataFile {
        name: "t10k-labels-idx1-ubyte",
        checksum: FileChecksum::Sha256(sha(&extra)),
        kind: IdxKind::Labels,
        split: Split::Test,
    });
    files.push(DataFile {
        name: "t10k-images-idx3-ubyte",
        checksum: FileChecksum::Sha256(sha(b"whatever")),
        kind: IdxKind::Images,
        split: Split::Test,
    });
    // good (gzip), checksum mismatch (raw, valid IDX), invalid, missing.
    fs::write(
        dir.path().join("train-images-idx3-ubyte.gz"),
        gzip(&contents[0]),
    )
    .unwrap();
    fs::write(dir.path().join("train-labels-idx1-ubyte"), labels_bytes(4)).unwrap();
    fs::write(
        dir.path().join("t10k-labels-idx1-ubyte.gz"),
        b"\x1f\x8bnope",
    )
    .unwrap();
    let r = verify_files(dir.path(), &files);

    assert!(r[0].is_good(), "{:?}", r[0]);
    assert_eq!(
        r[0].path,
        Some(dir.path().join("train-images-idx3-ubyte.gz"))
    );
    assert_eq!(r[0].gzip, Some(true));
    assert_eq!(r[0].count, Some(3));
    assert_eq!(r[0].sha256.as_deref(), files[0].sha256());
    assert!(r[0].sha256_matches);

    assert_eq!(r[1].gzip, Some(false));
    assert_eq!(r[1].count, Some(4));
    assert!(!r[1].sha256_matches);
    match &r[1].status {
        FileStatus::Bad { problem } => assert!(problem.contains("SHA-256"), "{problem}"),
        other => panic!("{other:?}"),
    }

    match &r[2].status {
        FileStatus::Bad { problem } => assert!(problem.contains("corrupt gzip"), "{problem}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(r[2].sha256, None);

    assert_eq!(r[3].status, FileStatus::Missing);
    assert_eq!(r[3].path, None);
}

#[test]
fn fetch_downloads_verifies_and_reports_progress() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (files, contents) = small_files();
    let gz: Vec<Vec<u8>> = contents.iter().map(|c| gzip(c)).collect();
    let (base, seen) = serve(
        vec![
            route("/mnist/train-images-idx3-ubyte.gz", gz[0].clone()),
            route("/mnist/train-labels-idx1-ubyte.gz", gz[1].clone()),
        ],
        2,
    );
    let mut events = Vec::new();
    let cancel = AtomicBool::new(false);
    let report = fetch_files(
        &data,
        std::slice::from_ref(&base),
        &files,
        &cancel,
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(report.downloaded(), 2);
    assert_eq!(
        dir_names(&data),
        vec!["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    );
    assert_eq!(
        fs::read(data.join("train-labels-idx1-ubyte.gz")).unwrap(),
        gz[1]
    );
    assert!(verify_files(&data, &files).iter().all(FileReport::is_good));
    assert_eq!(seen.lock().unwrap().len(), 2);

    assert_eq!(
        events[0],
        FetchProgress::Starting {
            file: "train-images-idx3-ubyte",
            url: format!("{base}train-images-idx3-ubyte.gz")
        }
    );
    let last_bytes = events
        .iter()
        .filter_map(|e| match e {
            FetchProgress::Bytes {
                file: "train-images-idx3-ubyte",
                done,
                total,
            } => Some((*done, *total)),
            _ => None,
        })
        .next_back();
    let n = gz[0].len() as u64;
    assert_eq!(last_bytes, Some((n, Some(n))));
    assert!(events.contains(&FetchProgress::Verified {
        file: "train-labels-idx1-ubyte",
        path: data.join("train-labels-idx1-ubyte.gz"),
    }));

    // A second fetch finds everything good and downloads nothing.
    let mut events = Vec::new();
    let report = fetch_files(&data, &[dead_mirror()], &files, &cancel, &mut |e| {
        events.push(e)
    })
    .unwrap();
    assert_eq!(report.downloaded(), 0);
    assert!(matches!(events[0], FetchProgress::AlreadyGood { .. }));
}

#[test]
fn checksum_mismatch_is_rejected_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut files, _) = small_files();
    files.truncate(1);
    // A valid IDX file, but not the one expected.
    let (base, _) = serve(
        vec![route(
            "/mnist/train-images-idx3-ubyte.gz",
            gzip(&images_bytes(4)),
        )],
        1,
    );
    let cancel = AtomicBool::new(false);
    let err = fetch_files(dir.path(), &[base], &files, &cancel, &mut |_| {}).unwrap_err();
    match &err {
        FetchError::Unavailable {
            needed, failures, ..
        } => {
            assert_eq!(needed, &vec!["train-images-idx3-ubyte"]);
            assert!(failures[0].reason.contains("checksum mismatch"), "{err}");
        }
        other => panic!("{other}"),
    }
    assert!(
        dir_names(dir.path()).is_empty(),
        "{:?}",
        dir_names(dir.path())
    );
}

#[test]
fn invalid_or_cut_downloads_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (files, contents) = small_files();
    let gz = gzip(&contents[0]);
    let (base, _) = serve(
        vec![
            Route {
                short: true,
                ..route("/mnist/train-images-idx3-ubyte.gz", gz)
            },
            route(
                "/mnist/train-labels-idx1-ubyte.gz",
                b"<html>oops</html>".to_vec(),
            ),
        ],
        2,
    );
    let cancel = AtomicBool::new(false);
    let err = fetch_files(dir.path(), &[base], &files, &cancel, &mut |_| {}).unwrap_err();
    let FetchError::Unavailable { failures, .. } = &err else {
        panic!("{err}")
    };
    eprintln!("{err}");
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(failures[1].reason.contains("wrong magic"), "{failures:?}");
    assert!(
        dir_names(dir.path()).is_empty(),
        "{:?}",
        dir_names(dir.path())
    );
}

#[test]
fn first_mirror_failing_falls_back_to_the_second() {
    let dir = tempfile::tempdir().unwrap();
    let (mut files, contents) = small_files();
    files.remove(0);
    let (empty_mirror, _) = serve(vec![], 1); // answers 404
    let (good, _) = serve(
        vec![route(
            "/mnist/train-labels-idx1-ubyte.gz",
            gzip(&contents[1]),
        )],
        1,
    );
    let mirrors = [dead_mirror(), empty_mirror, good.clone()];
    let mut failed = Vec::new();
    let cancel = AtomicBool::new(false);
    let report = fetch_files(dir.path(), &mirrors, &files, &cancel, &mut |e| {
        if let FetchProgress::Failed { url, reason, .. } = e {
            failed.push((url, reason));
        }
    })
    .unwrap();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed[1].1.contains("404"), "{failed:?}");
    match &report.files[0].outcome {
        FetchOutcome::Downloaded { url, .. } => {
            assert_eq!(url, &format!("{good}train-labels-idx1-ubyte.gz"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(dir_names(dir.path()), vec!["train-labels-idx1-ubyte.gz"]);
}

#[test]
fn a_bad_raw_file_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (mut files, contents) = small_files();
    files.remove(0);
    fs::write(dir.path().join("train-labels-idx1-ubyte"), b"garbage").unwrap();
    let (base, _) = serve(
        vec![route(
            "/mnist/train-labels-idx1-ubyte.gz",
            gzip(&contents[1]),
        )],
        1,
    );
    let cancel = AtomicBool::new(false);
    let report = fetch_files(dir.path(), &[base], &files, &cancel, &mut |_| {}).unwrap();
    match &report.files[0].outcome {
        FetchOutcome::Downloaded { replaced, .. } => {
            assert_eq!(replaced, &Some(dir.path().join("train-labels-idx1-ubyte")))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(dir_names(dir.path()), vec!["train-labels-idx1-ubyte.gz"]);
    assert!(verify_files(dir.path(), &files)[0].is_good());
}

#[test]
fn uncompressed_content_is_saved_under_the_raw_name() {
    let dir = tempfile::tempdir().unwrap();
    let (mut files, contents) = small_files();
    files.remove(0);
    let (base, _) = serve(
        vec![route(
            "/mnist/train-labels-idx1-ubyte.gz",
            contents[1].clone(),
        )],
        1,
    );
    let cancel = AtomicBool::new(false);
    let report = fetch_files(dir.path(), &[base], &files, &cancel, &mut |_| {}).unwrap();
    assert_eq!(
        report.files[0].path,
        dir.path().join("train-labels-idx1-ubyte")
    );
    assert_eq!(dir_names(dir.path()), vec!["train-labels-idx1-ubyte"]);
}

#[test]
fn all_mirrors_failing_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (files, _) = small_files();
    let dead = dead_mirror();
    let (empty_mirror, seen) = serve(vec![], 2);
    let mirrors = [dead.clone(), empty_mirror.clone()];
    let mut starts = Vec::new();
    let cancel = AtomicBool::new(false);
    let err = fetch_files(&data, &mirrors, &files, &cancel, &mut |e| {
        if let FetchProgress::Starting { url, .. } = e {
            starts.push(url);
        }
    })
    .unwrap_err();
    let msg = err.to_string();
    eprintln!("{msg}");
    assert!(msg.contains("offline"), "{msg}");
    assert!(msg.contains(&data.display().to_string()), "{msg}");
    for f in &files {
        assert!(msg.contains(&format!("{}.gz", f.name)), "{msg}");
    }
    assert!(msg.contains(&dead), "{msg}");
    assert!(msg.contains(&empty_mirror), "{msg}");
    assert!(msg.contains("404"), "{msg}");
    // The unreachable mirror is tried once, the reachable one for each file.
    assert_eq!(starts.len(), 3, "{starts:?}");
    assert_eq!(seen.lock().unwrap().len(), 2);
    // The directory was created and holds nothing.
    assert!(dir_names(&data).is_empty());
}

#[test]
fn no_mirrors_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = small_files();
    let cancel = AtomicBool::new(false);
    let err = fetch_files(dir.path(), &[], &files, &cancel, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("No mirror is configured"), "{err}");
}

#[test]
fn cancelling_mid_download_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (files, contents) = small_files();
    let (base, _) = serve(
        vec![route(
            "/mnist/train-images-idx3-ubyte.gz",
            gzip(&contents[0]),
        )],
        1,
    );
    let cancel = AtomicBool::new(false);
    let err = fetch_files(dir.path(), &[base], &files, &cancel, &mut |e| {
        if matches!(e, FetchProgress::Bytes { .. }) {
            cancel.store(true, Ordering::Relaxed);
        }
    })
    .unwrap_err();
    assert!(matches!(err, FetchError::Cancelled { .. }), "{err}");
    assert!(dir_names(dir.path()).is_empty());
}

/// A loopback server that answers every connection with a valid IDX images header
/// for 60 000 images, then zero pixels forever, `chunk` bytes every `pause`.
fn endless(chunk: usize, pause: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/mnist/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            std::thread::spawn(move || {
                let mut req = [0u8; 4096];
                let _ = s.read(&mut req);
                let mut head = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
                for v in [idx::IMAGES_MAGIC, 60_000, 28, 28] {
                    head.extend_from_slice(&v.to_be_bytes());
                }
                if s.write_all(&head).is_err() {
                    return;
                }
                let zeros = vec![0u8; chunk];
                while s.write_all(&zeros).is_ok() {
                    std::thread::sleep(pause);
                }
            });
        }
    });
    base
}

/// Fetches the first of `files` from the one mirror `base` under `limits`, which
/// must fail; the reason of its one failure.
fn first_file_fails(dir: &Path, base: String, files: &[DataFile], limits: FetchLimits) -> String {
    let cancel = AtomicBool::new(false);
    let err =
        fetch_files_with(dir, &[base], &files[..1], limits, &cancel, &mut |_| {}).unwrap_err();
    one_failure(err)
}

fn one_failure(err: FetchError) -> String {
    match err {
        FetchError::Unavailable { failures, .. } => {
            assert_eq!(failures.len(), 1, "{failures:?}");
            failures[0].reason.clone()
        }
        other => panic!("expected Unavailable, got {other}"),
    }
}

#[test]
fn only_https_mirrors_except_loopback() {
    let t = Duration::from_secs(1);
    for ok in [
        "https://example.com/mnist/x.gz",
        "http://127.0.0.1:9/x.gz",
        "http://[::1]:9/x.gz",
        "http://localhost/x.gz",
        "HTTPS://EXAMPLE.COM/x.gz",
    ] {
        assert!(agent_for(ok, t).is_ok(), "{ok}");
    }
    for bad in [
        "http://example.com/x.gz",
        "http://127.0.0.1.example.com/x.gz",
        "http://10.0.0.1/x.gz",
        "ftp://example.com/x.gz",
        "file:///etc/passwd",
    ] {
        let err = agent_for(bad, t).unwrap_err();
        assert!(err.contains("https://"), "{bad}: {err}");
    }
    // Through a fetch: refused before any connection, nothing left behind.
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = small_files();
    let cancel = AtomicBool::new(false);
    let err = fetch_files(
        dir.path(),
        &["http://mirror.invalid/mnist/".to_string()],
        &files[..1],
        &cancel,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(one_failure(err).contains("refusing plain http"));
    assert!(dir_names(dir.path()).is_empty());
}

#[test]
fn redirects_from_plain_http_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let (files, contents) = small_files();
    let mut moved = route("/mnist/train-images-idx3-ubyte.gz", gzip(&contents[0]));
    moved.status = 302;
    let (base, _) = serve(vec![moved], 1);
    let cancel = AtomicBool::new(false);
    let err = fetch_files(dir.path(), &[base], &files[..1], &cancel, &mut |_| {}).unwrap_err();
    assert!(one_failure(err).contains("redirects"));
    assert!(dir_names(dir.path()).is_empty());
}

#[test]
fn an_endless_stream_is_cut_off_at_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = small_files();
    let base = endless(64 * 1024, Duration::ZERO);
    let limits = FetchLimits {
        max_bytes: Some(1 << 20),
        timeout: None,
    };
    let reason = first_file_fails(dir.path(), base, &files, limits);
    assert!(reason.contains("more than the 1048576 bytes"), "{reason}");
    assert!(dir_names(dir.path()).is_empty());
}

#[test]
fn an_announced_oversized_body_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = small_files();
    let (base, _) = serve(
        vec![route("/mnist/train-images-idx3-ubyte.gz", vec![0u8; 5000])],
        1,
    );
    let limits = FetchLimits {
        max_bytes: Some(1000),
        timeout: None,
    };
    let reason = first_file_fails(dir.path(), base, &files, limits);
    assert!(reason.contains("announces 5000 bytes"), "{reason}");
    assert!(dir_names(dir.path()).is_empty());
}

#[test]
fn a_trickling_mirror_hits_the_overall_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = small_files();
    let base = endless(16, Duration::from_millis(20));
    let limits = FetchLimits {
        max_bytes: None,
        timeout: Some(Duration::from_millis(500)),
    };
    let reason = first_file_fails(dir.path(), base, &files, limits).to_lowercase();
    assert!(
        reason.contains("timeout") || reason.contains("timed out"),
        "{reason}"
    );
    assert!(dir_names(dir.path()).is_empty());
}

#[test]
fn leftovers_of_a_killed_fetch_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (files, contents) = small_files();
    let stray = dir.path().join(".train-images-idx3-ubyte.gz.abc123.tmp");
    fs::write(&stray, b"half a download").unwrap();
    let (base, _) = serve(
        vec![route(
            "/mnist/train-images-idx3-ubyte.gz",
            gzip(&contents[0]),
        )],
        1,
    );
    let cancel = AtomicBool::new(false);
    fetch_files(dir.path(), &[base], &files[..1], &cancel, &mut |_| {}).unwrap();
    assert_eq!(dir_names(dir.path()), vec!["train-images-idx3-ubyte.gz"]);
}

#[test]
fn mirror_urls_join_with_one_slash() {
    let f = MNIST_FILES[0];
    assert_eq!(
        mirror_url("https://h/mnist/", &f),
        "https://h/mnist/train-images-idx3-ubyte.gz"
    );
    assert_eq!(
        mirror_url("https://h/mnist", &f),
        "https://h/mnist/train-images-idx3-ubyte.gz"
    );
}
