//! Terminal input on its own thread, turned into [`Msg`]s on the app's channel. The
//! runtime merges this channel with a tick and the trainer's events
//! (see [`super::runtime`]).

use super::app::Msg;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// How long the reader waits for input before checking whether to stop.
const POLL: Duration = Duration::from_millis(50);
/// How long dropping the reader waits for its thread to end before leaving it behind.
const JOIN_WAIT: Duration = Duration::from_millis(200);

/// Reads terminal events until `stop` is set or the channel closes.
pub struct InputReader {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl InputReader {
    /// Starts the reader thread.
    pub fn spawn(tx: UnboundedSender<Msg>) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("tui-input".into())
            .spawn(move || read_loop(&tx, &flag))?;
        Ok(InputReader {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for InputReader {
    /// Stops the reader and joins it if it ends within [`JOIN_WAIT`]. A reader whose
    /// terminal went away (a closed window, a killed tmux pane) never ends: crossterm's
    /// poll spins inside itself on a dead tty, timeout or not
    /// (crossterm-rs/crossterm#793). Joining it would hang the quit forever at 100% of
    /// a core, so it is left behind; the process exits soon after.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let deadline = Instant::now() + JOIN_WAIT;
            while !t.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

fn read_loop(tx: &UnboundedSender<Msg>, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match event::poll(POLL) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(_) => break,
        }
        let msg = match event::read() {
            Ok(e) => to_msg(e),
            Err(_) => break,
        };
        if let Some(m) = msg
            && tx.send(m).is_err()
        {
            break;
        }
    }
}

/// The message for a terminal event (key releases and focus or paste are ignored).
pub fn to_msg(e: Event) -> Option<Msg> {
    match e {
        Event::Key(k) if k.kind != KeyEventKind::Release => Some(Msg::Key(k)),
        Event::Mouse(m) => Some(Msg::Mouse(m)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}
