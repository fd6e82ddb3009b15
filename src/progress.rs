//! Progress on standard error. [`Ticker`], the line of a long solve: after a second, on a
//! terminal, the phase and the time so far, rewritten in place and erased when the solve ends;
//! with `--progress` and no terminal (a log file), a plain line every two seconds from the start
//! instead. [`SweepProgress`], a sweep's bar of trials with the time left.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running progress line; dropping it stops and erases it.
pub struct Ticker {
    phase: Arc<Mutex<String>>,
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Ticker {
    /// Starts a progress line when standard error is a terminal or `forced`; `None` otherwise.
    pub fn start(forced: bool) -> Option<Ticker> {
        if !forced && !std::io::stderr().is_terminal() {
            return None;
        }
        let phase = Arc::new(Mutex::new("reading the model and its data".to_string()));
        let done = Arc::new(AtomicBool::new(false));
        let (p, d) = (phase.clone(), done.clone());
        let terminal = std::io::stderr().is_terminal();
        let thread = std::thread::spawn(move || {
            let start = Instant::now();
            let (mut shown, mut last) = (false, -10.0);
            while !d.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let elapsed = start.elapsed().as_secs_f64();
                // On a terminal only a solve longer than a second shows it; asked for in a log, from
                // the start.
                let early = terminal && elapsed < 1.0;
                if early || d.load(Ordering::Relaxed) || (!terminal && elapsed - last < 2.0) {
                    continue;
                }
                last = elapsed;
                let text = p.lock().map(|t| t.clone()).unwrap_or_default();
                let mut err = std::io::stderr().lock();
                let _ = if terminal {
                    write!(err, "\r\x1b[K{text} … {elapsed:.0} s")
                } else {
                    writeln!(err, "{text} … {elapsed:.0} s")
                };
                shown = true;
            }
            if shown && terminal {
                let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
            }
        });
        Some(Ticker { phase, done, thread: Some(thread) })
    }

    /// The hook the driver tells each event; the line shows the last one.
    pub fn callback(&self) -> cnr_driver::ProgressHook {
        let phase = self.phase.clone();
        Arc::new(move |event: &cnr_driver::Event| {
            if let Ok(mut p) = phase.lock() {
                *p = event.to_string();
            }
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The progress of a sweep on standard error: a bar with the time left on a terminal, a line every
/// five seconds otherwise (a log file, a batch job's output).
pub struct SweepProgress {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    total: usize,
    done: usize,
    successes: usize,
    start: Instant,
    last: Instant,
}

impl SweepProgress {
    /// Starts it for `total` trials to run, `resumed` already done.
    pub fn new(total: usize, resumed: usize) -> SweepProgress {
        let terminal = std::io::stderr().is_terminal();
        let bar = terminal.then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            let style = indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} trials · {msg} · {elapsed} elapsed, about {eta} left",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(format!("{resumed} resumed"));
            bar
        });
        let now = Instant::now();
        SweepProgress { bar, lines: !terminal, total, done: 0, successes: 0, start: now, last: now }
    }

    /// One more trial finished; `success`: its relaxation recovered the filter.
    pub fn trial(&mut self, success: bool) {
        self.done += 1;
        self.successes += usize::from(success);
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!("{} recovered", self.successes));
        } else if self.lines && self.last.elapsed() >= Duration::from_secs(5) {
            self.last = Instant::now();
            let elapsed = self.start.elapsed().as_secs_f64();
            let left = elapsed / self.done as f64 * (self.total - self.done) as f64;
            crate::output::err(&format!(
                "sweep: {}/{} trials, {} recovered, {elapsed:.0} s elapsed, about {left:.0} s left\n",
                self.done, self.total, self.successes
            ));
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
