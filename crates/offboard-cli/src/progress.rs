//! Progress of `plan` and `apply` on stderr, from the adapter's counters
//! ([`offboard_aws::Progress`]).
//!
//! - stderr is a terminal: an `indicatif` bar, drawn only once a run has lasted
//!   [`SHOW_BAR_AFTER`] (a quick run shows nothing), cleared when the run ends.
//! - otherwise (CI, a pipe, `--log-format json`): a `tracing` info line under the
//!   `offboard::progress` target at most every [`LOG_EVERY`], the first one only after that long,
//!   so runs shorter than that print nothing more than before.
//! - `--quiet`: neither.
//!
//! Every write to the terminal that could meet a drawn bar goes through [`suspend`]: log lines
//! (the writer of the `tracing` subscriber is [`Stderr`]), stdout's result lines, and the few
//! direct `eprintln!`s, so the bar is lifted, the line written, the bar redrawn, and no line is
//! torn.
//!
//! The arithmetic (rates over a sliding window, ETA, the status text, the log line's pace) is
//! pure and takes the time as an argument; only [`Watch`] reads a clock.

use crate::cli::{GlobalArgs, LogFormat};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use offboard_aws::progress::thousands;
use offboard_aws::{Progress, ProgressSnapshot};
use std::collections::VecDeque;
use std::fmt;
use std::io::{IsTerminal, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{LazyLock, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A run that ends sooner than this shows no bar at all (no flicker for quick runs).
pub const SHOW_BAR_AFTER: Duration = Duration::from_secs(1);
/// Without a terminal, at most one progress line this often, and none before it.
pub const LOG_EVERY: Duration = Duration::from_secs(10);
/// How often the counters are read.
const TICK: Duration = Duration::from_millis(250);
/// Rates (and so the ETA) are measured over this much of the recent past: a run's pace changes
/// from phase to phase (re-reads, removals, polls), and the average since the start would trail.
const RATE_WINDOW: Duration = Duration::from_secs(60);

/// How progress is shown in this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Bar,
    Log,
    Off,
}

impl Mode {
    pub fn for_run(global: &GlobalArgs) -> Mode {
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        if global.quiet {
            Mode::Off
        } else if global.log_format == LogFormat::Text && std::io::stderr().is_terminal() && !dumb {
            Mode::Bar
        } else {
            Mode::Log
        }
    }
}

static MODE: OnceLock<Mode> = OnceLock::new();

/// Choose how progress is shown (once, at start-up, like the log subscriber). Without it, as in
/// unit tests, nothing is shown.
pub fn init(global: &GlobalArgs) {
    let _ = MODE.set(Mode::for_run(global));
}

fn mode() -> Mode {
    MODE.get().copied().unwrap_or(Mode::Off)
}

/// Every bar of the process. One for the whole process so that writes can be coordinated with
/// whatever bar is on screen (or none) without knowing about it.
static BARS: LazyLock<MultiProgress> = LazyLock::new(MultiProgress::new);

/// Run `write` with any progress bar lifted off the terminal; it is redrawn afterwards.
pub fn suspend<R>(write: impl FnOnce() -> R) -> R {
    BARS.suspend(write)
}

/// The `tracing` subscriber's writer: stderr, one whole event at a time, under [`suspend`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Stderr;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Stderr {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> EventWriter {
        EventWriter(Vec::new())
    }
}

/// Collects one event's text and writes it when dropped, so an event is written in one piece
/// whatever number of `write` calls the formatter makes.
#[derive(Debug)]
pub struct EventWriter(Vec<u8>);

impl Write for EventWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        suspend(|| {
            let mut err = std::io::stderr().lock();
            // Nowhere to report a failed write to stderr.
            let _ = err.write_all(&self.0).and_then(|()| err.flush());
        });
    }
}

/// What a run is doing, for the words of its progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Plan,
    Apply,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Plan => "reading",
            Kind::Apply => "applying",
        }
    }
}

/// Where a run stands: `1,234/5,000 removals, 310 calls/min, 2 throttled, 5 retried, eta 3m10s`.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    /// What is counted towards the end: removals once apply has announced its items, else calls.
    pub unit: &'static str,
    pub done: u64,
    /// Unknown while nothing announced it (a plan's reads without an estimate).
    pub total: Option<u64>,
    pub calls_per_min: Option<f64>,
    pub throttled: u64,
    pub retried: u64,
    pub eta: Option<Duration>,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.total {
            Some(total) => write!(f, "{}/{} {}", thousands(self.done), thousands(total), self.unit)?,
            None => write!(f, "{} {}", thousands(self.done), self.unit)?,
        }
        if let Some(rate) = self.calls_per_min {
            write!(f, ", {} calls/min", thousands(rate.round() as u64))?;
        }
        write!(f, ", {} throttled, {} retried", thousands(self.throttled), thousands(self.retried))?;
        if let Some(eta) = self.eta {
            write!(f, ", eta {}", short_duration(eta))?;
        }
        Ok(())
    }
}

/// What is measured towards the end of the run in `s`: (unit, done, total).
fn measure(s: &ProgressSnapshot) -> (&'static str, u64, Option<u64>) {
    if s.items_total > 0 {
        ("removals", s.items_done, Some(s.items_total))
    } else if s.expected_calls > 0 {
        // An estimate: more calls than expected (retries, extra pages) must not read as 104 %.
        ("calls", s.calls, Some(s.expected_calls.max(s.calls)))
    } else {
        ("calls", s.calls, None)
    }
}

/// The counters of one run over time, with the rates of the last [`RATE_WINDOW`].
#[derive(Debug)]
pub struct Tracker {
    /// (time since the start, counters since the start), oldest first. The front is the newest
    /// sample at least a window old (or the first), so rates span a whole window once there is
    /// one.
    samples: VecDeque<(Duration, ProgressSnapshot)>,
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker { samples: VecDeque::from([(Duration::ZERO, ProgressSnapshot::default())]) }
    }
}

impl Tracker {
    /// Record the counters `counted` since the start, `at` after the start.
    pub fn observe(&mut self, at: Duration, counted: ProgressSnapshot) {
        self.samples.push_back((at, counted));
        while self.samples.len() > 2 && at.saturating_sub(self.samples[1].0) >= RATE_WINDOW {
            self.samples.pop_front();
        }
    }

    pub fn status(&self) -> Status {
        let (t0, first) = self.samples.front().copied().unwrap_or_default();
        let (t1, last) = self.samples.back().copied().unwrap_or_default();
        let span = (t1 - t0).as_secs_f64();
        // Under a second of history, a rate is noise.
        let per_sec = |a: u64, b: u64| (span >= 1.0).then(|| b.saturating_sub(a) as f64 / span);
        let (unit, done, total) = measure(&last);
        let (_, done_before, _) = measure(&first);
        let eta = match (total, per_sec(done_before, done)) {
            (Some(total), Some(rate)) if rate > 0.0 && total > done => {
                Some(Duration::from_secs_f64((total - done) as f64 / rate))
            }
            _ => None,
        };
        Status {
            unit,
            done,
            total,
            calls_per_min: per_sec(first.calls, last.calls).map(|r| r * 60.0),
            throttled: last.throttled,
            retried: last.retried,
            eta,
        }
    }
}

/// `45s`, `3m10s`, `1h02m`: an ETA needs no more precision.
pub fn short_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

/// At most once per `period`, the first time only once `period` has passed.
#[derive(Debug)]
pub struct Pace {
    period: Duration,
    next: Duration,
}

impl Pace {
    pub fn new(period: Duration) -> Pace {
        Pace { period, next: period }
    }

    /// Whether to act now, `at` after the start; if so, the next time is a period from now.
    pub fn due(&mut self, at: Duration) -> bool {
        if at < self.next {
            return false;
        }
        self.next = at + self.period;
        true
    }
}

/// What a watched run counted, and how long it took.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Finished {
    pub counted: ProgressSnapshot,
    pub elapsed: Duration,
}

impl Finished {
    /// Worth a line at the default log level: the run met throttling or retries, or was long
    /// enough to have shown progress. A quick, clean run says nothing unless asked (`-v`).
    pub fn notable(&self) -> bool {
        self.counted.throttled > 0 || self.counted.retried > 0 || self.elapsed >= LOG_EVERY
    }
}

/// Log the calls of a finished part of a run: `read current access: 1,234 AWS calls (3
/// throttled, 5 retried)`.
pub fn log_summary(what: &str, finished: &Finished) {
    let summary = finished.counted.call_summary();
    if finished.notable() {
        tracing::info!(target: "offboard::progress", "{what}: {summary}");
    } else {
        tracing::info!(target: "offboard::calls", "{what}: {summary}");
    }
}

/// Shows the progress of one run until finished or dropped.
#[derive(Debug)]
pub struct Watch {
    progress: Progress,
    baseline: ProgressSnapshot,
    started: Instant,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Start showing the progress of what is counted in `progress` from now on.
pub fn watch(progress: &Progress, kind: Kind) -> Watch {
    let baseline = progress.snapshot();
    let started = Instant::now();
    let mode = mode();
    let (stop, thread) = if mode == Mode::Off {
        (None, None)
    } else {
        let (tx, rx) = mpsc::channel();
        let progress = progress.clone();
        // A thread rather than a task: it keeps ticking whatever the runtime's workers are busy
        // with, and stopping it does not need the runtime.
        let thread = std::thread::Builder::new()
            .name("offboard-progress".to_owned())
            .spawn(move || show(&rx, &progress, baseline, started, kind, mode))
            .ok();
        (Some(tx), thread)
    };
    Watch { progress: progress.clone(), baseline, started, stop, thread }
}

impl Watch {
    /// Stop showing progress (a bar is cleared); what was counted since the start.
    pub fn finish(mut self) -> Finished {
        self.stop_showing();
        Finished { counted: self.progress.snapshot().since(&self.baseline), elapsed: self.started.elapsed() }
    }

    fn stop_showing(&mut self) {
        // Dropping the sender wakes the thread at once.
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop_showing();
    }
}

fn show(
    stop: &mpsc::Receiver<()>,
    progress: &Progress,
    baseline: ProgressSnapshot,
    started: Instant,
    kind: Kind,
    mode: Mode,
) {
    let mut tracker = Tracker::default();
    let mut log_pace = Pace::new(LOG_EVERY);
    let mut bar: Option<ProgressBar> = None;
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(TICK) {
        let at = started.elapsed();
        tracker.observe(at, progress.snapshot().since(&baseline));
        let status = tracker.status();
        match mode {
            Mode::Bar if at >= SHOW_BAR_AFTER => match &bar {
                Some(bar) => draw(bar, &status),
                None => {
                    // Drawn once before it is shown, so it never appears empty.
                    let new = new_bar(kind, at);
                    draw(&new, &status);
                    bar = Some(BARS.add(new));
                }
            },
            Mode::Log if log_pace.due(at) => tracing::info!("progress: {status}"),
            _ => {}
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
        BARS.remove(&bar);
    }
}

/// A bar for a run that started `elapsed` ago (its clock shows the run's time, not the bar's).
fn new_bar(kind: Kind, elapsed: Duration) -> ProgressBar {
    // Hidden until `BARS.add` gives it the terminal: drawn on its own, it would escape `suspend`.
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
        .with_prefix(kind.label())
        .with_elapsed(elapsed);
    bar.set_style(style(false));
    bar
}

/// `⠋ applying [2m] ██████░░░░ 1,234/5,000 removals, 310 calls/min, …`, once a total is known.
/// `wide_msg` is cut at the terminal's width: a wrapped bar line is redrawn badly.
const WITH_TOTAL: &str = "{spinner} {prefix} [{elapsed}] {bar:20} {wide_msg}";
/// `⠋ reading [12s] 1,234 calls, 310 calls/min, …` while no total is.
const WITHOUT_TOTAL: &str = "{spinner} {prefix} [{elapsed}] {wide_msg}";

fn style(with_bar: bool) -> ProgressStyle {
    let template = if with_bar { WITH_TOTAL } else { WITHOUT_TOTAL };
    // The templates are constants; a bad one is a bug the tests catch (`templates_parse`).
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn draw(bar: &ProgressBar, status: &Status) {
    match status.total {
        Some(total) => {
            if bar.length() != Some(total) {
                if bar.length().is_none() {
                    bar.set_style(style(true));
                }
                bar.set_length(total);
            }
            bar.set_position(status.done.min(total));
        }
        None => bar.tick(),
    }
    bar.set_message(status.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn counted(calls: u64, throttled: u64, retried: u64) -> ProgressSnapshot {
        ProgressSnapshot { calls, throttled, retried, ..ProgressSnapshot::default() }
    }

    #[test]
    fn apply_shows_removals_rate_counts_and_eta() {
        let mut t = Tracker::default();
        let s = |calls, done| ProgressSnapshot {
            calls,
            throttled: 2,
            retried: 5,
            items_done: done,
            items_total: 5000,
            ..ProgressSnapshot::default()
        };
        t.observe(secs(30), s(155, 617));
        t.observe(secs(60), s(310, 1234));
        // 1234 removals in 60 s: 3766 left at 20.57/s = 183 s.
        let status = t.status();
        assert_eq!(status.eta, Some(Duration::from_secs_f64(3766.0 * 60.0 / 1234.0)));
        assert_eq!(status.to_string(), "1,234/5,000 removals, 310 calls/min, 2 throttled, 5 retried, eta 3m03s");
    }

    #[test]
    fn rates_are_over_the_last_minute_not_the_whole_run() {
        let mut t = Tracker::default();
        // A slow first minute (60 calls), then 600 calls a minute.
        t.observe(secs(60), counted(60, 0, 0));
        for m in 2..=5 {
            t.observe(secs(60 * m), counted(60 + 600 * (m - 1), 0, 0));
        }
        assert_eq!(t.status().calls_per_min, Some(600.0));
        assert_eq!(t.samples.len(), 2, "old samples are dropped: {:?}", t.samples);
    }

    #[test]
    fn plan_without_an_estimate_shows_calls_and_rate_but_no_total_or_eta() {
        let mut t = Tracker::default();
        t.observe(secs(20), counted(100, 1, 1));
        let status = t.status();
        assert_eq!((status.total, status.eta), (None, None));
        assert_eq!(status.to_string(), "100 calls, 300 calls/min, 1 throttled, 1 retried");
    }

    #[test]
    fn plan_with_an_estimate_counts_calls_towards_it_and_never_past_it() {
        let mut t = Tracker::default();
        t.observe(secs(10), ProgressSnapshot { calls: 100, expected_calls: 400, ..ProgressSnapshot::default() });
        let status = t.status();
        assert_eq!((status.done, status.total, status.eta), (100, Some(400), Some(secs(30))));
        assert_eq!(status.to_string(), "100/400 calls, 600 calls/min, 0 throttled, 0 retried, eta 30s");
        t.observe(secs(20), ProgressSnapshot { calls: 450, expected_calls: 400, ..ProgressSnapshot::default() });
        let status = t.status();
        assert_eq!((status.done, status.total, status.eta), (450, Some(450), None), "the estimate was low");
    }

    #[test]
    fn no_rate_or_eta_from_less_than_a_second_or_from_no_progress() {
        let mut t = Tracker::default();
        t.observe(Duration::from_millis(500), ProgressSnapshot { calls: 9, items_total: 10, ..Default::default() });
        assert_eq!((t.status().calls_per_min, t.status().eta), (None, None));
        t.observe(secs(5), ProgressSnapshot { calls: 9, items_total: 10, ..Default::default() });
        assert_eq!(t.status().eta, None, "no item done yet: no ETA");
        t.observe(secs(6), ProgressSnapshot { calls: 9, items_done: 10, items_total: 10, ..Default::default() });
        assert_eq!(t.status().eta, None, "all done: no ETA");
        assert_eq!(t.status().to_string(), "10/10 removals, 90 calls/min, 0 throttled, 0 retried");
    }

    #[test]
    fn durations_read_short() {
        assert_eq!(short_duration(Duration::from_millis(400)), "0s");
        assert_eq!(short_duration(secs(59)), "59s");
        assert_eq!(short_duration(secs(60)), "1m00s");
        assert_eq!(short_duration(secs(190)), "3m10s");
        assert_eq!(short_duration(secs(3599)), "59m59s");
        assert_eq!(short_duration(secs(3720)), "1h02m");
        assert_eq!(short_duration(secs(100 * 3600)), "100h00m");
    }

    #[test]
    fn log_lines_come_at_most_every_ten_seconds_and_never_before() {
        let mut pace = Pace::new(LOG_EVERY);
        let ticks = (0..=100).map(|n| Duration::from_millis(250 * n));
        let due: Vec<Duration> = ticks.filter(|&at| pace.due(at)).collect();
        assert_eq!(due, [secs(10), secs(20)], "a 25 s run logs twice");
        let mut pace = Pace::new(LOG_EVERY);
        assert!(!pace.due(Duration::from_millis(9999)), "a run shorter than 10 s logs nothing");
        // A late tick (a busy machine) does not make the next line come sooner.
        assert!(pace.due(secs(13)));
        assert!(!pace.due(secs(22)));
        assert!(pace.due(secs(23)));
    }

    #[test]
    fn a_summary_shows_by_default_only_when_there_is_something_to_say() {
        let quick = Finished { counted: counted(57, 0, 0), elapsed: secs(2) };
        assert!(!quick.notable());
        assert!(Finished { counted: counted(57, 1, 0), ..quick }.notable());
        assert!(Finished { counted: counted(57, 0, 1), ..quick }.notable());
        assert!(Finished { elapsed: LOG_EVERY, ..quick }.notable());
    }

    #[test]
    fn templates_parse() {
        for template in [WITH_TOTAL, WITHOUT_TOTAL] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
    }

    #[test]
    fn a_watch_counts_what_happens_after_it_starts() {
        // Mode is Off in unit tests (never initialised): no thread, no output, same counts.
        let progress = Progress::new();
        progress.expect_items(3);
        let w = watch(&progress, Kind::Apply);
        progress.expect_items(2);
        let finished = w.finish();
        assert_eq!(finished.counted, ProgressSnapshot { items_total: 2, ..ProgressSnapshot::default() });
    }
}
