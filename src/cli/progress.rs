//! Progress bars on stderr, shown only on a terminal and without `--quiet`.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{HumanBytes, HumanCount, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crawlrank::progress::{Event, Phase, Progress};

/// Turns library events into indicatif bars.
pub struct Bars {
    visible: bool,
    /// Say that the run waits for another (not with `--quiet`).
    notes: bool,
    bar: Mutex<Option<ProgressBar>>,
    read_started: Mutex<Option<std::time::Instant>>,
}

impl Bars {
    /// Bars that draw only when `visible` (stderr is a terminal and not `--quiet`).
    pub fn new(visible: bool) -> Bars {
        Bars {
            visible,
            notes: false,
            bar: Mutex::new(None),
            read_started: Mutex::new(None),
        }
    }

    /// Bars as [`Bars::new`], which also say (on any stderr) when the run waits for another.
    pub fn with_notes(visible: bool, notes: bool) -> Bars {
        Bars {
            notes,
            ..Bars::new(visible)
        }
    }

    fn replace(&self, bar: Option<ProgressBar>) {
        let mut current = self.bar.lock().expect("progress lock");
        if let Some(old) = current.take() {
            old.finish_and_clear();
        }
        *current = bar;
    }

    fn new_bar(&self, length: Option<u64>, template: &str) -> ProgressBar {
        let bar = match length {
            Some(n) => ProgressBar::new(n),
            None => ProgressBar::new_spinner(),
        };
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(8));
        bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
        bar.enable_steady_tick(Duration::from_millis(125));
        bar
    }
}

impl Progress for Bars {
    fn event(&self, event: Event) {
        if let Event::Waiting = event {
            if self.notes {
                eprintln!("crawlrank: waiting for the other crawlrank run writing into the result folder (--wait)");
            }
            return;
        }
        if !self.visible {
            return;
        }
        match event {
            Event::Started(Phase::Read) => {
                *self.read_started.lock().expect("progress lock") = Some(std::time::Instant::now());
                self.replace(None)
            }
            Event::Read {
                bytes,
                total_bytes,
                edges,
            } => {
                let mut current = self.bar.lock().expect("progress lock");
                let bar = current.get_or_insert_with(|| match total_bytes {
                    Some(total) => self.new_bar(
                        Some(total),
                        "reading   {bar:30} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}",
                    ),
                    None => self.new_bar(None, "reading   {spinner} {bytes} {bytes_per_sec} {msg}"),
                });
                bar.set_position(bytes);
                let started = *self
                    .read_started
                    .lock()
                    .expect("progress lock")
                    .get_or_insert_with(std::time::Instant::now);
                let rate = edges as f64 / started.elapsed().as_secs_f64().max(1e-3);
                bar.set_message(format!("{} edges, {}/s", HumanCount(edges), HumanCount(rate as u64)));
            }
            Event::Started(Phase::Partition) => {
                self.replace(Some(self.new_bar(None, "sharding  {spinner} {elapsed}")));
            }
            Event::Started(Phase::Iterate) => self.replace(None),
            Event::Iteration {
                iteration,
                max_iterations,
                change,
            } => {
                let mut current = self.bar.lock().expect("progress lock");
                let bar = current.get_or_insert_with(|| {
                    self.new_bar(
                        Some(max_iterations as u64),
                        "iterating {bar:30} {pos}/{len} {elapsed} {msg}",
                    )
                });
                bar.set_position(iteration as u64);
                bar.set_message(format!("L1 change {change:.3e}"));
            }
            Event::Started(Phase::Write) => {
                self.replace(Some(self.new_bar(None, "writing   {spinner} {elapsed}")));
            }
            Event::Finished(_, _) | Event::Waiting => self.replace(None),
        }
    }
}

/// Bytes in human units, for the closing summary.
pub fn human_bytes(bytes: u64) -> String {
    HumanBytes(bytes).to_string()
}
