//! Entering and leaving the full-screen terminal mode, restored on every exit path:
//! normal return, errors (the guard's `Drop`), and panics (a hook that restores the
//! terminal before the panic message is printed).

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::{
    cursor,
    event::{DisableMouseCapture, EnableMouseCapture},
    execute,
    terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode},
};
use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::thread::ThreadId;

/// The terminal type the dashboard draws on.
pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Whether the terminal is in full-screen mode now.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The thread that owns the screen (its panics restore the terminal).
static UI_THREAD: Mutex<Option<ThreadId>> = Mutex::new(None);
/// Panic messages of other threads, printed once the screen is restored (printing
/// them while the dashboard is up would scribble over it).
static DEFERRED: Mutex<Vec<String>> = Mutex::new(Vec::new());
static HOOK: Once = Once::new();

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    _private: (),
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = restore();
        print_deferred_panics();
    }
}

/// Switches to raw mode, the alternate screen and mouse capture, hides the cursor,
/// and installs the panic hook. Keep the guard alive while the dashboard runs.
pub fn enter() -> io::Result<(Term, TerminalGuard)> {
    install_panic_hook();
    if let Ok(mut t) = UI_THREAD.lock() {
        *t = Some(std::thread::current().id());
    }
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let guard = TerminalGuard { _private: () };
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        cursor::Hide
    )?;
    let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok((terminal, guard))
}

/// Leaves full-screen mode (idempotent: only the first call after `enter` acts).
pub fn restore() -> io::Result<()> {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return Ok(());
    }
    let raw = disable_raw_mode();
    let screen = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    raw.and(screen)
}

fn print_deferred_panics() {
    let messages = DEFERRED
        .lock()
        .map(|mut d| std::mem::take(&mut *d))
        .unwrap_or_default();
    for m in messages {
        // A closed stderr loses the message rather than panicking inside a panic hook.
        let _ = writeln!(io::stderr(), "{m}");
    }
}

fn is_ui_thread() -> bool {
    UI_THREAD
        .lock()
        .map(|t| *t == Some(std::thread::current().id()))
        .unwrap_or(true)
}

fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if ACTIVE.load(Ordering::SeqCst) && !is_ui_thread() {
                // A background thread (trainer, loader) panicked while the dashboard
                // is up: its owner reports the failure on screen; keep the details for
                // after the screen is restored.
                let name = std::thread::current()
                    .name()
                    .unwrap_or("unnamed")
                    .to_string();
                if let Ok(mut d) = DEFERRED.lock() {
                    d.push(format!("thread '{name}' {info}"));
                }
                return;
            }
            let _ = restore();
            previous(info);
        }));
    });
}
