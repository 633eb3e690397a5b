//! A download mirror on loopback, for the tests of `data fetch` and of the tests' own
//! fetch of MNIST: no test reaches the network.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A mirror serving files from memory until the test process ends.
pub struct Mirror {
    /// Its base URL, `http://127.0.0.1:PORT/`.
    pub url: String,
    /// How many requests it has answered (found or not).
    pub hits: Arc<AtomicUsize>,
}

impl Mirror {
    /// Serves `files` (`/<name>` to its bytes; anything else: 404) over HTTP/1.1, one
    /// request per connection.
    pub fn serve(files: Vec<(String, Vec<u8>)>) -> Mirror {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!(
            "http://{}/",
            listener.local_addr().expect("the port just bound")
        );
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
                let path = text.split_whitespace().nth(1).unwrap_or("/");
                let body = files
                    .iter()
                    .find(|(name, _)| path.strip_prefix('/') == Some(name.as_str()));
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = match body {
                    Some((_, body)) => stream
                        .write_all(
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\
                                 Connection: close\r\n\r\n",
                                body.len()
                            )
                            .as_bytes(),
                        )
                        .and_then(|()| stream.write_all(body)),
                    None => stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\
                          Connection: close\r\n\r\n",
                    ),
                };
            }
        });
        Mirror { url, hits }
    }
}
