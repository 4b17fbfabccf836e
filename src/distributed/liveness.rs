//! Heartbeats between the processes of a run, so that a process that stops without closing
//! its connections (SIGSTOP, a hung machine, a network partition) ends the run on the others
//! instead of hanging it.
//!
//! Timely's connections carry only timely's records, so every pair of processes has a second
//! authenticated connection, the heartbeat channel ([`handshake`](super::handshake)). On it:
//!
//! - a *sender* thread writes a heartbeat byte `h` to every peer each second (a quarter of
//!   `--peer-timeout` when that is shorter). It is its own thread, so a process busy loading
//!   or iterating still beats; a stopped process (all its threads stopped) does not;
//! - a *watcher* thread per peer reads its frames. A peer silent for longer than
//!   `--peer-timeout` (before its first beat: `--connect-timeout` + `--peer-timeout`, since
//!   it may still be forming the cluster with others) is *silent*: the watcher sends
//!   `s` + the silent process's index (u32, big-endian) to every other peer, waits a moment
//!   for it to arrive, and ends the run through the caller's handler. A peer that receives
//!   `s` ends the run as well, naming the silent process rather than the one that left;
//! - at the end of a successful run each process sends `d` (done) and closes: a peer that
//!   said done, or closed its connection, is no longer watched (a crash is reported by
//!   timely's broken channels, not here).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// A heartbeat.
const BEAT: u8 = b'h';
/// The sender finished its run and closes the channel.
const DONE: u8 = b'd';
/// The sender found a process silent; its index follows (u32, big-endian).
const SILENT: u8 = b's';
/// The longest time between heartbeats.
const MAX_INTERVAL: Duration = Duration::from_secs(1);
/// How often a watcher looks at the clock while its peer says nothing.
const POLL: Duration = Duration::from_millis(200);
/// How long a watcher that found a peer silent waits after telling the others, before it
/// ends its process (whose closing connections would otherwise be reported first).
const NOTICE_GRACE: Duration = Duration::from_millis(300);

/// The first report of a silent process in this process: what ends the run.
static SILENCE: OnceLock<String> = OnceLock::new();

/// Why this process is ending its run because a peer fell silent, once that is known: a
/// panic hook names the silent process with it instead of the peer whose connection closed
/// as a consequence.
pub(crate) fn silence() -> Option<&'static str> {
    SILENCE.get().map(String::as_str)
}

/// What the heartbeat threads share.
struct Shared {
    me: usize,
    hosts: Vec<String>,
    peer_timeout: Duration,
    /// The heartbeat connection to each peer (`None` for this process and for a peer whose
    /// connection broke), for writing.
    writers: Vec<Mutex<Option<TcpStream>>>,
    /// Set when the run ends: the threads stop.
    stop: AtomicBool,
    /// Ends the run with a message; does not return.
    on_silent: Box<dyn Fn(&str) + Send + Sync>,
    /// The first silence this process's threads found or were told of: only it ends the run.
    reported: OnceLock<String>,
}

/// The heartbeat machinery of one process: started after the cluster has formed, finished
/// when the run has succeeded (or dropped when it fails).
pub(crate) struct Liveness {
    shared: Arc<Shared>,
    sender: Option<JoinHandle<()>>,
    watchers: Vec<JoinHandle<()>>,
}

impl Liveness {
    /// Starts beating on and watching the heartbeat connections `channels` (one per
    /// process, `None` for this one). `on_silent` ends the run with a message naming the
    /// silent process; it is called at most once and must not return.
    pub(crate) fn start(
        channels: Vec<Option<TcpStream>>,
        me: usize,
        hosts: &[String],
        peer_timeout: Duration,
        connect_timeout: Duration,
        on_silent: impl Fn(&str) + Send + Sync + 'static,
    ) -> Result<Liveness> {
        let mut writers = Vec::with_capacity(channels.len());
        let mut readers = Vec::new();
        for (peer, channel) in channels.into_iter().enumerate() {
            let Some(stream) = channel else {
                writers.push(Mutex::new(None));
                continue;
            };
            let reader = stream
                .try_clone()
                .map_err(|e| Error::Config(format!("heartbeat connection to process {peer}: {e}")))?;
            let _ = stream.set_nodelay(true);
            let _ = stream.set_write_timeout(Some(MAX_INTERVAL));
            writers.push(Mutex::new(Some(stream)));
            readers.push((peer, reader));
        }
        let shared = Arc::new(Shared {
            me,
            hosts: hosts.to_vec(),
            peer_timeout,
            writers,
            stop: AtomicBool::new(false),
            on_silent: Box::new(on_silent),
            reported: OnceLock::new(),
        });
        let spawn = |name: String, work: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name)
                .spawn(work)
                .map_err(|e| Error::Config(format!("cannot start a heartbeat thread: {e}")))
        };
        let interval = MAX_INTERVAL.min(peer_timeout / 4);
        let beating = Arc::clone(&shared);
        let sender = spawn(
            "crawlrank:heartbeat".to_string(),
            Box::new(move || beat(&beating, interval)),
        )?;
        let mut liveness = Liveness {
            shared: Arc::clone(&shared),
            sender: Some(sender),
            watchers: Vec::new(),
        };
        let first_beat_within = connect_timeout + peer_timeout;
        for (peer, reader) in readers {
            let watching = Arc::clone(&shared);
            let watcher = spawn(
                format!("crawlrank:watch-{peer}"),
                Box::new(move || watch(&watching, peer, reader, first_beat_within)),
            )?;
            liveness.watchers.push(watcher);
        }
        Ok(liveness)
    }

    /// Ends the heartbeats after a successful run: tells every peer this process is done,
    /// closes the connections and waits for the threads.
    pub(crate) fn finish(mut self) {
        self.close(true);
    }

    fn close(&mut self, done: bool) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for writer in &self.shared.writers {
            let mut writer = writer.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(stream) = writer.as_mut() {
                if done {
                    let _ = stream.write_all(&[DONE]);
                }
                let _ = stream.shutdown(Shutdown::Both);
            }
            *writer = None;
        }
        if let Some(sender) = self.sender.take() {
            sender.thread().unpark();
            let _ = sender.join();
        }
        for watcher in self.watchers.drain(..) {
            let _ = watcher.join();
        }
    }
}

impl Drop for Liveness {
    /// A run that ends with an error closes the channels without saying done.
    fn drop(&mut self) {
        if self.sender.is_some() {
            self.close(false);
        }
    }
}

/// The sender: a heartbeat to every peer each `interval`, until the run ends.
fn beat(shared: &Shared, interval: Duration) {
    while !shared.stop.load(Ordering::SeqCst) {
        for writer in &shared.writers {
            let mut writer = writer.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(stream) = writer.as_mut()
                && let Err(e) = stream.write_all(&[BEAT])
                && !matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock)
            {
                // The peer is gone: its watcher, or timely, says so. (A write that timed out,
                // to a peer that does not read for now, is only this beat lost.)
                *writer = None;
            }
        }
        std::thread::park_timeout(interval);
    }
}

/// A watcher: reads `peer`'s frames until it says done or closes, and ends the run when it
/// is silent for too long or another peer reports a silent process.
fn watch(shared: &Shared, peer: usize, mut stream: TcpStream, first_beat_within: Duration) {
    if stream.set_read_timeout(Some(POLL)).is_err() {
        return;
    }
    let started = Instant::now();
    let mut last_heard: Option<Instant> = None;
    let mut pending: Vec<u8> = Vec::new();
    let mut buffer = [0u8; 64];
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        match stream.read(&mut buffer) {
            // Closed: the peer's process ended. A failure shows on timely's channels too.
            Ok(0) => return,
            Ok(n) => {
                last_heard = Some(Instant::now());
                pending.extend_from_slice(&buffer[..n]);
                while let Some(&kind) = pending.first() {
                    match kind {
                        DONE => return,
                        SILENT if pending.len() < 5 => break,
                        SILENT => {
                            let silent = u32::from_be_bytes(pending[1..5].try_into().expect("4 bytes")) as usize;
                            pending.drain(..5);
                            reported_silent(shared, silent, peer);
                        }
                        // Heartbeats, and bytes of a later version: the peer is alive.
                        _ => {
                            pending.remove(0);
                        }
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                let (since, limit) = match last_heard {
                    Some(at) => (at, shared.peer_timeout),
                    None => (started, first_beat_within),
                };
                if since.elapsed() > limit {
                    found_silent(shared, peer, since.elapsed());
                    return;
                }
            }
            Err(_) => return,
        }
    }
}

/// This process found `peer` silent for `silent_for`: tell the others, then end the run.
fn found_silent(shared: &Shared, peer: usize, silent_for: Duration) {
    let message = format!(
        "process {peer} ({}) has sent nothing for {:.1} s (--peer-timeout {} s): it was stopped, hung or cut off \
         by the network, so this run cannot finish; no _SUCCESS is written",
        host(shared, peer),
        silent_for.as_secs_f64(),
        shared.peer_timeout.as_secs_f64()
    );
    if !first_report(shared, &message) {
        return;
    }
    let mut notice = vec![SILENT];
    notice.extend_from_slice(&(peer as u32).to_be_bytes());
    for (other, writer) in shared.writers.iter().enumerate() {
        if other == peer {
            continue;
        }
        let mut writer = writer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(stream) = writer.as_mut() {
            let _ = stream.write_all(&notice);
        }
    }
    std::thread::sleep(NOTICE_GRACE);
    (shared.on_silent)(&message);
}

/// Process `reporter` says process `silent` is silent: end the run, naming it.
fn reported_silent(shared: &Shared, silent: usize, reporter: usize) {
    let message = if silent == shared.me {
        format!(
            "process {reporter} ({}) heard nothing from this process for longer than its --peer-timeout and ended \
             the run (was this process stopped, or its machine overloaded?); no _SUCCESS is written",
            host(shared, reporter)
        )
    } else {
        format!(
            "process {silent} ({}) is silent: process {reporter} heard nothing from it for longer than its \
             --peer-timeout (it was stopped, hung or cut off by the network), so this run cannot finish; \
             no _SUCCESS is written",
            host(shared, silent)
        )
    };
    if first_report(shared, &message) {
        (shared.on_silent)(&message);
    }
}

/// Records `message` as the reason the run ends, unless the run is over or another silence
/// was reported first; whether this report goes ahead.
fn first_report(shared: &Shared, message: &str) -> bool {
    if shared.stop.load(Ordering::SeqCst) || shared.reported.set(message.to_string()).is_err() {
        return false;
    }
    let _ = SILENCE.set(message.to_string());
    true
}

/// The address of process `process`, for messages.
fn host(shared: &Shared, process: usize) -> &str {
    shared.hosts.get(process).map_or("?", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::sync::mpsc;

    /// A connected pair of sockets: (ours, theirs).
    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let theirs = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (ours, _) = listener.accept().unwrap();
        (ours, theirs)
    }

    /// Process 0 of three watching peers 1 and 2 with a peer timeout of `seconds`; what ends
    /// its run arrives on the receiver. Returns the peers' ends of the connections.
    fn watching(seconds: f64) -> (Liveness, TcpStream, TcpStream, mpsc::Receiver<String>) {
        let (to_1, one) = pair();
        let (to_2, two) = pair();
        let (ended, ends) = mpsc::channel();
        let ended = Mutex::new(ended);
        let hosts = ["h0".to_string(), "h1".to_string(), "h2".to_string()];
        let liveness = Liveness::start(
            vec![None, Some(to_1), Some(to_2)],
            0,
            &hosts,
            Duration::from_secs_f64(seconds),
            Duration::ZERO,
            move |message| ended.lock().unwrap().send(message.to_string()).unwrap(),
        )
        .unwrap();
        (liveness, one, two, ends)
    }

    #[test]
    fn a_silent_peer_ends_the_run_and_the_others_are_told() {
        let (liveness, mut one, mut two, ends) = watching(1.0);
        // Peer 1 beats; peer 2 says nothing.
        let beating = std::thread::spawn(move || {
            for _ in 0..12 {
                let _ = one.write_all(&[BEAT]);
                std::thread::sleep(Duration::from_millis(200));
            }
            one
        });
        let started = Instant::now();
        let message = ends.recv_timeout(Duration::from_secs(5)).unwrap();
        let took = started.elapsed();
        assert!(message.starts_with("process 2 (h2) has sent nothing"), "{message}");
        assert!(
            took >= Duration::from_secs(1) && took < Duration::from_secs(3),
            "{took:?}"
        );
        // Peer 1 was told which process is silent; and it received heartbeats.
        let mut one = beating.join().unwrap();
        one.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
        let mut received = Vec::new();
        let mut buffer = [0u8; 256];
        let notice = [SILENT, 0, 0, 0, 2];
        let told = |received: &[u8]| received.windows(5).any(|w| w == notice);
        while let Ok(n) = one.read(&mut buffer) {
            received.extend_from_slice(&buffer[..n]);
            if n == 0 || told(&received) {
                break;
            }
        }
        assert!(received.starts_with(&[BEAT]), "{received:?}");
        assert!(told(&received), "{received:?}");
        drop(liveness);
        let _ = two.write_all(&[BEAT]);
    }

    #[test]
    fn a_notice_from_a_peer_names_the_silent_process() {
        let (_liveness, mut one, _two, ends) = watching(30.0);
        one.write_all(&[BEAT, SILENT, 0, 0]).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        one.write_all(&[0, 2]).unwrap(); // a frame split across reads
        let message = ends.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(
            message.starts_with("process 2 (h2) is silent: process 1 heard nothing from it"),
            "{message}"
        );
    }

    #[test]
    fn peers_that_finish_or_close_are_not_silent() {
        let (liveness, mut one, two, ends) = watching(1.0);
        one.write_all(&[BEAT, DONE]).unwrap();
        drop(two);
        assert!(ends.recv_timeout(Duration::from_secs(2)).is_err(), "nobody is reported");
        let started = Instant::now();
        liveness.finish();
        assert!(started.elapsed() < Duration::from_secs(1));
        // This process said it is done before closing.
        let mut rest = Vec::new();
        one.read_to_end(&mut rest).unwrap();
        assert_eq!(rest.last(), Some(&DONE), "{rest:?}");
    }
}
