//! A progress line on stderr for scans that take more than a moment: only on
//! a terminal, never in CI logs, and gone before the report is printed.

use crate::Progress;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Quick scans finish before anything is drawn.
const DELAY: Duration = Duration::from_millis(300);
const TICK: Duration = Duration::from_millis(100);

/// Whether to draw progress: stderr is a terminal, no CI variable is set
/// (CI systems set `CI`; some attach a pseudo-terminal) and not `--quiet`.
pub fn wanted(stderr_terminal: bool, ci: bool, quiet: bool) -> bool {
    stderr_terminal && !ci && !quiet
}

/// The line drawn for a given state.
pub fn line(found: u64, done: u64) -> String {
    if found == 0 {
        "fwlint: walking the tree…".to_string()
    } else {
        format!("fwlint: scanning {done} of {found} files…")
    }
}

/// A running progress display; `finish` clears it.
pub struct Display {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Display {
    pub fn start(progress: Arc<Progress>) -> Display {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut waited = Duration::ZERO;
            let mut drawn = false;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                waited += TICK;
                if waited >= DELAY {
                    let text = line(
                        progress.found.load(Ordering::Relaxed),
                        progress.done.load(Ordering::Relaxed),
                    );
                    // \r and erase-line: redraw in place.
                    eprint!("\r\x1b[K{text}");
                    drawn = true;
                }
            }
            if drawn {
                eprint!("\r\x1b[K");
                let _ = std::io::stderr().flush();
            }
        });
        Display { stop, thread }
    }

    pub fn finish(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_on_a_terminal_outside_ci_and_not_quiet() {
        assert!(wanted(true, false, false));
        assert!(!wanted(false, false, false), "piped or redirected stderr");
        assert!(!wanted(true, true, false), "CI logs");
        assert!(!wanted(true, false, true), "--quiet");
    }

    #[test]
    fn the_line_says_what_is_happening() {
        assert_eq!(line(0, 0), "fwlint: walking the tree…");
        assert_eq!(line(120, 7), "fwlint: scanning 7 of 120 files…");
    }
}
