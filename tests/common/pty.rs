//! Drives the built binary in a real pseudo-terminal and reads its screen.

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A program running in a pty, with a vt100 parser following its screen.
pub struct PtyApp {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Option<Box<dyn Write + Send>>,
    child: Box<dyn Child + Send + Sync>,
    master: Option<Box<dyn MasterPty + Send>>,
    stop_reading: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
}

impl PtyApp {
    /// Starts `mnist-tui args…` in `cwd` on a `cols`×`rows` terminal.
    pub fn spawn(cwd: &Path, args: &[&str], envs: &[(&str, &str)], cols: u16, rows: u16) -> Self {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open pty");
        let mut cmd = CommandBuilder::new(super::binary());
        cmd.args(args);
        cmd.cwd(cwd);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("MNIST_DATA_DIR");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn mnist-tui");
        drop(pair.slave);
        let size = |v: u16| std::num::NonZeroU16::new(v).expect("non-zero terminal size");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(size(rows), size(cols), 0)));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let fd = pair.master.as_raw_fd().expect("pty master fd");
        let sink = parser.clone();
        let stop_reading = Arc::new(AtomicBool::new(false));
        let stop = stop_reading.clone();
        // Polls before each read so that `close_terminal` can stop it: the terminal
        // hangs up only once every handle on the master side is closed, this one too.
        let reader_thread = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while !stop.load(Ordering::SeqCst) {
                let mut pfd = libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd, for a descriptor `reader` keeps open.
                if unsafe { libc::poll(&mut pfd, 1, 50) } <= 0 {
                    continue;
                }
                match reader.read(&mut buf) {
                    Ok(n) if n > 0 => sink.lock().unwrap().process(&buf[..n]),
                    _ => break,
                }
            }
        });
        let writer = pair.master.take_writer().expect("pty writer");
        PtyApp {
            parser,
            writer: Some(writer),
            child,
            master: Some(pair.master),
            stop_reading,
            reader: Some(reader_thread),
        }
    }

    /// Closes the terminal under the program, as closing its window does: every
    /// master handle is closed, so the kernel hangs the terminal up.
    pub fn close_terminal(&mut self) {
        self.stop_reading.store(true, Ordering::SeqCst);
        if let Some(t) = self.reader.take() {
            t.join().expect("pty reader thread");
        }
        self.writer = None;
        self.master = None;
    }

    /// The screen's text now.
    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Whether the terminal is in the alternate screen.
    pub fn alternate_screen(&self) -> bool {
        self.parser.lock().unwrap().screen().alternate_screen()
    }

    /// Sends raw bytes (keys) to the program.
    pub fn send(&mut self, bytes: &[u8]) {
        let writer = self.writer.as_mut().expect("the terminal is open");
        writer.write_all(bytes).expect("write to pty");
        writer.flush().expect("flush pty");
    }

    /// Waits until the screen satisfies `check`; panics with the screen after `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, check: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `text` is on screen and returns how long that took.
    pub fn wait_text(&self, text: &str, timeout: Duration) -> Duration {
        let start = Instant::now();
        self.wait_for(&format!("'{text}'"), timeout, |s| s.contains(text));
        start.elapsed()
    }

    /// The program's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// Waits for the program to exit; its exit code, or None on timeout.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<u32> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.exit_code());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for PtyApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
