//! Tests of fetch and verify against a local HTTP server and small files: a synthetic
//! dataset whose files are pinned by SHA-256, by the MD5 of their `.gz`, or not at all.

use super::*;
use crate::data::datasets::{FileChecksum, Source, find_dataset};
use crate::data::idx;
use crate::data::idx::tests::{gzip, images_bytes, labels_bytes};
use crate::data::{IdxKind, MNIST_FILES, Split};
use md5::Md5;
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

fn md5(bytes: &[u8]) -> &'static str {
    Box::leak(idx::hex(&Md5::digest(bytes)).into_boxed_str())
}

/// A synthetic dataset of `files` in `dir`, served by `mirrors`, with digit labels and
/// no known sizes.
fn synthetic(dir: &Path, files: &[DataFile], mirrors: &[String]) -> DatasetFiles {
    DatasetFiles {
        name: "synthetic".to_string(),
        title: "Synthetic".to_string(),
        dir: dir.to_path_buf(),
        files: files.to_vec(),
        labels: (0, 9),
        sizes: None,
        mirrors: mirrors.to_vec(),
        offline: String::new(),
        unpinned: "its publisher gives no checksum for this file".to_string(),
        limits: FetchLimits::default(),
    }
}

/// [`fetch`] of a synthetic dataset.
fn fetch_files(
    dir: &Path,
    mirrors: &[String],
    files: &[DataFile],
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(FetchProgress),
) -> Result<FetchReport, FetchError> {
    fetch(&synthetic(dir, files, mirrors), cancel, progress)
}

/// [`fetch`] of a synthetic dataset under `limits`.
fn fetch_files_with(
    dir: &Path,
    mirrors: &[String],
    files: &[DataFile],
    limits: FetchLimits,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(FetchProgress),
) -> Result<FetchReport, FetchError> {
    let set = DatasetFiles {
        limits,
        ..synthetic(dir, files, mirrors)
    };
    fetch(&set, cancel, progress)
}

/// [`verify`] of a synthetic dataset.
fn verify_files(dir: &Path, files: &[DataFile]) -> Vec<FileReport> {
    verify(&synthetic(dir, files, &[]))
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

/// An IDX labels file holding `labels`.
fn labels_of(labels: &[u8]) -> Vec<u8> {
    let mut v = idx::LABELS_MAGIC.to_be_bytes().to_vec();
    v.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    v.extend_from_slice(labels);
    v
}

/// The same content as `bytes`, gzip-compressed differently from [`gzip`] (with a file
/// name in its header): what recompressing a publisher's `.gz` gives.
fn gzip_again(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::GzBuilder::new()
        .filename("again")
        .write(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A synthetic four-file dataset's contents: train 3 images and labels, test 2.
fn four_contents() -> [Vec<u8>; 4] {
    [
        images_bytes(3),
        labels_bytes(3),
        images_bytes(2),
        labels_bytes(2),
    ]
}

/// MNIST's four files pinned by `pin` of each content's gzip (see [`gzip`]).
fn pinned(contents: &[Vec<u8>; 4], pin: fn(&[u8]) -> FileChecksum) -> Vec<DataFile> {
    MNIST_FILES
        .iter()
        .zip(contents)
        .map(|(f, c)| DataFile {
            checksum: pin(c),
            ..*f
        })
        .collect()
}

fn by_sha256(content: &[u8]) -> FileChecksum {
    FileChecksum::Sha256(sha(content))
}

fn by_md5_of_gz(content: &[u8]) -> FileChecksum {
    FileChecksum::Md5Gz(md5(&gzip(content)))
}

/// Routes serving each of `files` as `/mnist/<name>.gz` with `bodies`.
fn routes_for(files: &[DataFile], bodies: &[Vec<u8>]) -> Vec<Route> {
    files
        .iter()
        .zip(bodies)
        .map(|(f, b)| route(&format!("/mnist/{}", f.gz_name()), b.clone()))
        .collect()
}

#[test]
fn fetch_and_verify_against_a_loopback_mirror_with_each_kind_of_checksum() {
    let contents = four_contents();
    let gz: Vec<Vec<u8>> = contents.iter().map(|c| gzip(c)).collect();
    for pin in [by_sha256 as fn(&[u8]) -> FileChecksum, by_md5_of_gz] {
        let dir = tempfile::tempdir().unwrap();
        let files = pinned(&contents, pin);
        let (base, _) = serve(routes_for(&files, &gz), 4);
        let mut events = Vec::new();
        let cancel = AtomicBool::new(false);
        let report = fetch_files(dir.path(), &[base], &files, &cancel, &mut |e| {
            events.push(e)
        })
        .unwrap();
        assert_eq!((report.downloaded(), report.unverified()), (4, 0));
        let verified = events
            .iter()
            .filter(|e| matches!(e, FetchProgress::Verified { .. }))
            .count();
        assert_eq!(verified, 4, "{events:?}");
        for (f, body) in files.iter().zip(&gz) {
            assert_eq!(&fs::read(dir.path().join(f.gz_name())).unwrap(), body);
        }
        let reports = verify_files(dir.path(), &files);
        assert!(reports.iter().all(FileReport::is_good), "{reports:?}");
        match files[0].checksum {
            FileChecksum::Md5Gz(want) => {
                assert_eq!(reports[0].md5.as_deref(), Some(want));
                assert!(!reports[0].sha256_matches, "pinned by MD5, not SHA-256");
            }
            _ => assert!(reports[0].sha256_matches && reports[0].md5.is_none()),
        }
    }
}

#[test]
fn a_corrupted_or_recompressed_download_fails_its_checksum_and_leaves_nothing() {
    let contents = four_contents();
    // The publisher's MD5 pins the exact .gz: the same content compressed again is
    // refused, and so is the content sent decompressed.
    let files = pinned(&contents, by_md5_of_gz);
    let bodies = [
        gzip_again(&contents[0]),
        contents[1].clone(),
        gzip(&images_bytes(3)),
        gzip(&labels_bytes(5)),
    ];
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = serve(routes_for(&files[..2], &bodies[..2]), 2);
    let cancel = AtomicBool::new(false);
    let err = fetch_files(dir.path(), &[base], &files[..2], &cancel, &mut |_| {}).unwrap_err();
    let FetchError::Unavailable { failures, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        failures[0].reason.contains("MD5 of the .gz"),
        "{failures:?}"
    );
    assert!(failures[1].reason.contains("decompressed"), "{failures:?}");
    assert!(
        dir_names(dir.path()).is_empty(),
        "{:?}",
        dir_names(dir.path())
    );

    // SHA-256 pins the content: another valid file is refused.
    let files = pinned(&contents, by_sha256);
    let (base, _) = serve(routes_for(&files[3..], &bodies[3..]), 1);
    let err = fetch_files(dir.path(), &[base], &files[3..], &cancel, &mut |_| {}).unwrap_err();
    let reason = one_failure(err);
    assert!(reason.contains("checksum mismatch: SHA-256"), "{reason}");
    assert!(dir_names(dir.path()).is_empty());
}

#[test]
fn verify_judges_each_kind_of_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let content = labels_bytes(4);
    let file = |name: &'static str, checksum| DataFile {
        name,
        kind: IdxKind::Labels,
        split: Split::Train,
        checksum,
    };
    let sha_good = file("a-idx1-ubyte", FileChecksum::Sha256(sha(&content)));
    let sha_bad = file("b-idx1-ubyte", FileChecksum::Sha256(sha(b"other")));
    let md5_good = file("c-idx1-ubyte", FileChecksum::Md5Gz(md5(&gzip(&content))));
    let md5_again = file("d-idx1-ubyte", FileChecksum::Md5Gz(md5(&gzip(&content))));
    let md5_raw = file("e-idx1-ubyte", FileChecksum::Md5Gz(md5(&gzip(&content))));
    let none = file("f-idx1-ubyte", FileChecksum::None);
    let missing = file("g-idx1-ubyte", FileChecksum::None);
    fs::write(d.join("a-idx1-ubyte"), &content).unwrap();
    fs::write(d.join("b-idx1-ubyte.gz"), gzip(&content)).unwrap();
    fs::write(d.join("c-idx1-ubyte.gz"), gzip(&content)).unwrap();
    fs::write(d.join("d-idx1-ubyte.gz"), gzip_again(&content)).unwrap();
    fs::write(d.join("e-idx1-ubyte"), &content).unwrap();
    fs::write(d.join("f-idx1-ubyte.gz"), gzip(&content)).unwrap();
    let files = [
        sha_good, sha_bad, md5_good, md5_again, md5_raw, none, missing,
    ];
    let r = verify_files(d, &files);

    assert_eq!(
        r[0].status,
        FileStatus::Good,
        "a raw copy checked by SHA-256"
    );
    assert!(matches!(&r[1].status, FileStatus::Bad { problem } if problem.contains("SHA-256")));
    assert_eq!(r[2].status, FileStatus::Good, "the publisher's .gz");
    assert_eq!(r[2].md5.as_deref(), Some(md5(&gzip(&content))));
    match &r[3].status {
        FileStatus::Bad { problem } => {
            assert!(problem.contains("MD5 of the .gz file is"), "{problem}");
            assert!(problem.contains(md5(&gzip(&content))), "{problem}");
        }
        other => panic!("{other:?}"),
    }
    match &r[4].status {
        FileStatus::Unverified { why } => assert!(why.contains("decompressed copy"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(r[4].is_valid() && !r[4].is_good());
    assert_eq!(
        r[5].status,
        FileStatus::Unverified {
            why: "its publisher gives no checksum for this file".to_string()
        }
    );
    assert_eq!(r[5].count, Some(4));
    assert_eq!(r[6].status, FileStatus::Missing);
}

/// EMNIST letters' files (1-based labels, no checksums) in `root`, with the dataset's
/// sizes made those of small synthetic files: train 3, test 2.
fn small_letters(root: &Path) -> DatasetFiles {
    let spec = find_dataset("emnist-letters").unwrap();
    DatasetFiles {
        sizes: Some((3, 2)),
        ..DatasetFiles::of_source(&Source::of_spec(root, spec))
    }
}

fn write_letters(set: &DatasetFiles, test_labels: &[u8]) {
    fs::create_dir_all(&set.dir).unwrap();
    let contents = [
        images_bytes(3),
        labels_of(&[1, 26, 13]),
        images_bytes(2),
        labels_of(test_labels),
    ];
    for (f, c) in set.files.iter().zip(contents) {
        fs::write(set.dir.join(f.gz_name()), gzip(&c)).unwrap();
    }
}

#[test]
fn one_based_labels_verify_with_the_dataset_range_and_no_checksum_is_unverified() {
    let root = tempfile::tempdir().unwrap();
    let set = small_letters(root.path());
    assert_eq!(set.labels, (1, 26));
    write_letters(&set, &[26, 1]);
    let r = verify(&set);
    for report in &r {
        match &report.status {
            FileStatus::Unverified { why } => {
                assert!(why.contains("NIST publishes no checksum"), "{why}");
                assert!(why.contains("58c8d27c78d21e728a6bc7b3cc06412e"), "{why}");
            }
            other => panic!("{}: {other:?}", report.file.name),
        }
    }
    // Label 0 is outside letters' 1–26; a file of the wrong count is bad too.
    write_letters(&set, &[0, 1]);
    let r = verify(&set);
    assert!(matches!(&r[3].status, FileStatus::Bad { problem } if problem.contains("label")));
    write_letters(&set, &[1, 2, 3]);
    match &verify(&set)[3].status {
        FileStatus::Bad { problem } => {
            assert_eq!(
                problem,
                "holds 3 labels, but the test file of EMNIST Letters holds 2"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_dataset_without_mirrors_fails_with_its_exact_extraction_instructions() {
    let root = tempfile::tempdir().unwrap();
    let set = small_letters(root.path());
    let cancel = AtomicBool::new(false);
    let err = fetch(&set, &cancel, &mut |_| {}).unwrap_err();
    let msg = err.to_string();
    let dir = set.dir.display();
    assert!(
        msg.starts_with("EMNIST Letters has no download mirror"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!(
            "\n  unzip -j gzip.zip 'gzip/emnist-letters-*' -d {dir}\n"
        )),
        "{msg}"
    );
    for f in &set.files {
        assert!(
            msg.contains(&format!("  {}.gz  (or {})", f.name, f.name)),
            "{msg}"
        );
    }
    assert!(msg.contains(&format!("Put these files in {dir} ")), "{msg}");
    assert!(msg.contains("https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"));
    assert!(msg.ends_with("Then run `mnist-tui data verify --dataset emnist-letters`."));
    assert!(!set.dir.exists(), "nothing to download: no folder made");

    // Extracted by hand, the files are valid: fetch keeps them, unverified.
    write_letters(&set, &[1, 2]);
    let mut events = Vec::new();
    let report = fetch(&set, &cancel, &mut |e| events.push(e)).unwrap();
    assert_eq!((report.downloaded(), report.unverified()), (0, 4));
    assert!(
        matches!(&events[0], FetchProgress::AlreadyUnverified { why, .. } if why.contains("NIST"))
    );
}

#[test]
fn offline_fashion_mnist_names_the_debian_package_and_its_folder() {
    let root = tempfile::tempdir().unwrap();
    let spec = find_dataset("fashion-mnist").unwrap();
    let dead = dead_mirror();
    let set = DatasetFiles::of_source(&Source::of_spec(root.path(), spec))
        .with_mirrors(std::slice::from_ref(&dead));
    let cancel = AtomicBool::new(false);
    let msg = fetch(&set, &cancel, &mut |_| {}).unwrap_err().to_string();
    let folder = root.path().join("fashion-mnist");
    assert!(
        msg.starts_with("could not download 4 Fashion-MNIST files from any mirror"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("Put these files in {} ", folder.display())),
        "{msg}"
    );
    assert!(
        msg.contains("sudo apt install dataset-fashion-mnist"),
        "{msg}"
    );
    assert!(msg.contains(&dead), "{msg}");
    assert!(
        msg.contains("`mnist-tui data verify --dataset fashion-mnist`"),
        "{msg}"
    );
    assert!(dir_names(&folder).is_empty());
}

#[test]
fn a_file_without_checksum_is_saved_unverified_if_it_holds_the_dataset_count() {
    let root = tempfile::tempdir().unwrap();
    let files = [DataFile {
        checksum: FileChecksum::None,
        ..MNIST_FILES[1]
    }];
    let set = |mirror: &str, train: usize| DatasetFiles {
        sizes: Some((train, 0)),
        ..synthetic(root.path(), &files, &[mirror.to_string()])
    };
    let body = gzip(&labels_bytes(3));
    let (base, _) = serve(routes_for(&files, std::slice::from_ref(&body)), 2);
    let cancel = AtomicBool::new(false);
    let reason = match fetch(&set(&base, 4), &cancel, &mut |_| {}) {
        Err(e) => one_failure(e),
        Ok(r) => panic!("{r:?}"),
    };
    assert!(reason.contains("not valid: holds 3 labels"), "{reason}");
    assert!(dir_names(root.path()).is_empty());

    let mut events = Vec::new();
    let report = fetch(&set(&base, 3), &cancel, &mut |e| events.push(e)).unwrap();
    assert_eq!(report.unverified(), 1);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, FetchProgress::SavedUnverified { why, .. }
            if why.contains("no checksum"))),
        "{events:?}"
    );
    assert_eq!(dir_names(root.path()), vec!["train-labels-idx1-ubyte.gz"]);
}

#[test]
fn a_raw_copy_of_a_file_pinned_by_its_gz_md5_is_kept_unverified() {
    let dir = tempfile::tempdir().unwrap();
    let contents = four_contents();
    let files = pinned(&contents, by_md5_of_gz);
    fs::write(dir.path().join(files[1].name), &contents[1]).unwrap();
    let cancel = AtomicBool::new(false);
    let mut events = Vec::new();
    let report = fetch_files(
        dir.path(),
        &[dead_mirror()],
        &files[1..2],
        &cancel,
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(report.downloaded(), 0);
    assert!(
        matches!(&events[0], FetchProgress::AlreadyUnverified { why, .. }
            if why.contains("MD5 of the .gz")),
        "{events:?}"
    );
}
