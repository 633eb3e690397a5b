//! Terminal input on its own thread, turned into [`Msg`]s on the app's channel. The
//! runtime merges this channel with a tick and the trainer's events
//! (see [`super::runtime`]).

use super::app::Msg;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// How long the reader waits for input before checking whether to stop.
const POLL: Duration = Duration::from_millis(50);

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
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
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
