//! Who the processes are and how they find each other: the hosts file, the authenticated TCP
//! connections timely's channels and the heartbeats run on, and what happens when a peer
//! cannot be reached or goes away.
//!
//! Timely's own start-up (`create_sockets`) retries forever, prints to stdout and lets anyone
//! who reaches the port in; here the cluster forms within `--connect-timeout`, whatever
//! anyone else connecting to the ports does:
//!
//! - process *k* dials processes 0…*k*−1 and accepts *k*+1…, two connections per pair (a
//!   data channel for timely and a heartbeat channel, `liveness.rs`);
//! - every accepted connection is greeted on its own thread with its own deadline (5 s, and
//!   never past the formation's), at most [`MAX_GREETINGS`] at a time; reads wait only
//!   until the deadline, so a client that trickles a byte at a time is cut off like a
//!   silent one;
//! - the greeting (`handshake.rs`) authenticates both sides with the
//!   shared secret and compares the job fingerprints. A connection that fails it (garbage,
//!   silence, another secret, a replayed greeting) is dropped and reported as a note; the
//!   run goes on. Only an authenticated peer running another job ends the formation, with an
//!   error naming that process and what differs.
//!
//! The finished data connections are handed to timely's `initialize_networking_from_sockets`;
//! everything timely sends afterwards is its own protocol, unauthenticated and unencrypted.

use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use super::handshake::{Channel, DialFailure, Greeter, MAKE_A_SECRET, Refusal, Secret};
use super::manifest::JobManifest;
use crate::error::{Error, Result};

/// The longest a connection may take to greet (and be greeted), within the formation's
/// deadline.
pub const GREETING_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections being greeted at once; further connections are dropped until one finishes.
pub const MAX_GREETINGS: usize = 32;
/// Notes passed on during one formation; later ones are only counted.
const MAX_NOTES: usize = 20;
/// The default of `--peer-timeout`, in seconds.
pub const DEFAULT_PEER_TIMEOUT: f64 = 120.0;

/// Where the notes of a formation go: a connection that was refused, and why. The library
/// never prints; the command line prints them as warnings.
#[derive(Clone, Default)]
pub struct NoteSink(Option<Arc<Note>>);

/// What receives a note.
type Note = dyn Fn(&str) + Send + Sync;

impl NoteSink {
    /// Notes go to `sink`.
    pub fn new(sink: impl Fn(&str) + Send + Sync + 'static) -> Self {
        NoteSink(Some(Arc::new(sink)))
    }
}

impl std::fmt::Debug for NoteSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "NoteSink(set)"
        } else {
            "NoteSink(none)"
        })
    }
}

/// The connections of a formed cluster: per process, `None` for this one.
#[derive(Debug)]
pub struct Connections {
    /// Timely's channels.
    pub data: Vec<Option<TcpStream>>,
    /// The heartbeat channels (`liveness.rs`).
    pub heartbeats: Vec<Option<TcpStream>>,
}

/// The longest connect or peer timeout: a week (deadlines far beyond would overflow the
/// clock's arithmetic, and mean nothing).
const LONGEST_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where the processes of a distributed run are and which one this is.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// `host:port` of every process, in process order.
    pub hosts: Vec<String>,
    /// This process's index into `hosts`.
    pub process: usize,
    /// Timely worker threads in each process.
    pub workers: usize,
    /// How long to wait for every peer to connect.
    pub connect_timeout: Duration,
    /// How long a peer may send nothing before the run ends (heartbeats, `liveness.rs`).
    pub peer_timeout: Duration,
    /// The shared secret that authenticates the processes to each other: required when
    /// there is more than one process.
    pub secret: Option<Secret>,
    /// Where notes about refused connections go.
    pub notes: NoteSink,
}

impl Cluster {
    /// Reads the hosts file: one `host:port` a line; blank lines and `#` comments skipped.
    /// This is process `process`, with `workers` timely workers (the same in every
    /// process); it waits `connect_timeout` seconds at most for its peers. No secret yet
    /// ([`with_secret`](Self::with_secret)); the peer timeout is
    /// [`DEFAULT_PEER_TIMEOUT`] ([`with_peer_timeout`](Self::with_peer_timeout)).
    pub fn from_hosts_file(path: &Path, process: usize, workers: usize, connect_timeout: f64) -> Result<Cluster> {
        let connect_timeout = Duration::try_from_secs_f64(connect_timeout)
            .ok()
            .filter(|t| !t.is_zero() && *t <= LONGEST_TIMEOUT)
            .ok_or_else(|| {
                Error::parameter(
                    "connect_timeout",
                    format!("must be a positive number of seconds, at most a week, not {connect_timeout}"),
                )
            })?;
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let name = path.display().to_string();
        let mut hosts = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let valid = line
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !valid || line.split_whitespace().count() != 1 {
                return Err(Error::parse(
                    &name,
                    index as u64 + 1,
                    "expected one `host:port` a line",
                    line.as_bytes(),
                ));
            }
            if hosts.iter().any(|h| h == line) {
                return Err(Error::parse(
                    &name,
                    index as u64 + 1,
                    "this address is listed twice",
                    line.as_bytes(),
                ));
            }
            hosts.push(line.to_string());
        }
        if hosts.is_empty() {
            return Err(Error::Config(format!("{name}: the hosts file lists no process")));
        }
        if process >= hosts.len() {
            return Err(Error::parameter(
                "process",
                format!(
                    "must be one of the {} processes {name} lists (0 to {}), not {process}",
                    hosts.len(),
                    hosts.len() - 1
                ),
            ));
        }
        if workers == 0 {
            return Err(Error::parameter("workers", "must be at least 1"));
        }
        Ok(Cluster {
            hosts,
            process,
            workers,
            connect_timeout,
            peer_timeout: Duration::from_secs_f64(DEFAULT_PEER_TIMEOUT),
            secret: None,
            notes: NoteSink::default(),
        })
    }

    /// The cluster with `secret` as its shared secret.
    pub fn with_secret(mut self, secret: Secret) -> Self {
        self.secret = Some(secret);
        self
    }

    /// The cluster with notes about refused connections sent to `notes`.
    pub fn with_notes(mut self, notes: NoteSink) -> Self {
        self.notes = notes;
        self
    }

    /// The cluster ending a run when a peer sends nothing for `seconds` (at least 1).
    pub fn with_peer_timeout(mut self, seconds: f64) -> Result<Self> {
        self.peer_timeout = Duration::try_from_secs_f64(seconds)
            .ok()
            .filter(|t| *t >= Duration::from_secs(1) && *t <= LONGEST_TIMEOUT)
            .ok_or_else(|| {
                Error::parameter(
                    "peer_timeout",
                    format!(
                        "must be a number of seconds of at least 1 (heartbeats are sent every second) and at most \
                         a week, not {seconds}"
                    ),
                )
            })?;
        Ok(self)
    }

    /// Number of processes.
    pub fn processes(&self) -> usize {
        self.hosts.len()
    }

    /// Timely workers in all processes.
    pub fn total_workers(&self) -> usize {
        self.processes() * self.workers
    }

    /// The shared secret, or the error a cluster of several processes without one gets.
    pub fn require_secret(&self) -> Result<&Secret> {
        self.secret.as_ref().ok_or_else(|| {
            Error::Config(format!(
                "a cluster of {} processes needs a shared secret, so that nobody else can join it or stall it; \
                 {MAKE_A_SECRET}",
                self.processes()
            ))
        })
    }

    /// Forms the cluster: this process dials the processes before it and accepts the
    /// processes after it (timely's convention), a data and a heartbeat connection each,
    /// all authenticated and checked to run `job`, within the connect timeout (plus a
    /// fraction of a second) whatever other clients of the port do. Connections that fail
    /// their greeting are dropped and reported to [`notes`](Self::notes).
    pub fn connect(&self, job: &JobManifest) -> Result<Connections> {
        let secret = self.require_secret()?.clone();
        let deadline = Instant::now() + self.connect_timeout;
        let own = &self.hosts[self.process];
        let listen = resolve(own)?;
        let listener = TcpListener::bind(listen).map_err(|e| {
            Error::Config(format!(
                "process {} cannot listen on {own} (its line in the hosts file): {e}",
                self.process
            ))
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::Config(format!("{own}: {e}")))?;
        let formation = Arc::new(Formation {
            hosts: self.hosts.clone(),
            me: self.process,
            secret,
            job: job.clone(),
            deadline,
            notes: NoteLog::new(self.notes.clone()),
            abandoned: AtomicBool::new(false),
        });
        let (report, reports) = mpsc::channel::<(Side, Result<Vec<Pair>>)>();
        let spawn = |name: &str, side: Side, work: fn(&Arc<Formation>, &TcpListener) -> Result<Vec<Pair>>| {
            let formation = Arc::clone(&formation);
            let report = report.clone();
            let listener = listener.try_clone().map_err(|e| Error::Config(format!("{own}: {e}")))?;
            std::thread::Builder::new()
                .name(name.to_string())
                .spawn(move || {
                    let _ = report.send((side, work(&formation, &listener)));
                })
                .map_err(|e| Error::Config(format!("cannot start a thread: {e}")))
        };
        spawn("crawlrank:accept", Side::Accepting, accept_peers)?;
        spawn("crawlrank:dial", Side::Dialing, |f, _| dial_peers(f))?;
        drop(listener);
        let (mut accepted, mut dialed) = (None, None);
        // The threads keep to the deadline; should one not (a name lookup that hangs), the
        // formation still ends: a little after the deadline, whatever the threads do.
        let cutoff = deadline + Duration::from_secs(1);
        while accepted.is_none() || dialed.is_none() {
            let wait = cutoff.saturating_duration_since(Instant::now());
            let (side, result) = match reports.recv_timeout(wait) {
                Ok(report) => report,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    formation.abandoned.store(true, Ordering::SeqCst);
                    return Err(Error::Config(format!(
                        "the cluster did not form within the connect timeout ({} s): {} still waiting",
                        self.connect_timeout.as_secs_f64(),
                        if dialed.is_none() {
                            "dialing the processes before this one (a name lookup or a connection) was"
                        } else {
                            "accepting the processes after this one was"
                        }
                    )));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(Error::Config("a connection thread failed".to_string()));
                }
            };
            match result {
                Ok(pairs) if side == Side::Accepting => accepted = Some(pairs),
                Ok(pairs) => dialed = Some(pairs),
                Err(e) => {
                    // The other side's thread stops at its next look at the flag.
                    formation.abandoned.store(true, Ordering::SeqCst);
                    return Err(e);
                }
            }
        }
        formation.notes.close();
        let mut connections = Connections {
            data: Vec::with_capacity(self.processes()),
            heartbeats: Vec::with_capacity(self.processes()),
        };
        let others = (dialed.into_iter().flatten().map(Some))
            .chain([None])
            .chain(accepted.into_iter().flatten().map(Some));
        for pair in others {
            match pair {
                Some(Pair { data, heartbeat }) => {
                    for socket in [&data, &heartbeat] {
                        let _ = socket.set_read_timeout(None);
                        let _ = socket.set_write_timeout(None);
                        let _ = socket.set_nodelay(true);
                    }
                    connections.data.push(Some(data));
                    connections.heartbeats.push(Some(heartbeat));
                }
                None => {
                    connections.data.push(None);
                    connections.heartbeats.push(None);
                }
            }
        }
        debug_assert_eq!(connections.data.len(), self.processes());
        debug_assert!(connections.data[self.process].is_none());
        Ok(connections)
    }
}

/// The two connections with one peer.
struct Pair {
    data: TcpStream,
    heartbeat: TcpStream,
}

/// Which half of the formation a thread runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Accepting,
    Dialing,
}

/// What the formation's threads share.
struct Formation {
    hosts: Vec<String>,
    me: usize,
    secret: Secret,
    job: JobManifest,
    deadline: Instant,
    notes: NoteLog,
    /// Set when the formation failed: the other thread gives up.
    abandoned: AtomicBool,
}

impl Formation {
    fn greeter(&self) -> Greeter<'_> {
        Greeter {
            me: self.me,
            processes: self.hosts.len(),
            secret: &self.secret,
            job: &self.job,
        }
    }

    /// The deadline of one greeting that starts now.
    fn greeting_deadline(&self) -> Instant {
        (Instant::now() + GREETING_TIMEOUT).min(self.deadline)
    }
}

/// The notes of one formation: passed on to the sink (the first [`MAX_NOTES`]), counted,
/// and the last kept for the error if the formation times out.
struct NoteLog {
    sink: NoteSink,
    state: Mutex<NoteState>,
}

#[derive(Default)]
struct NoteState {
    passed_on: usize,
    held_back: usize,
    refused: usize,
    last_refusal: Option<String>,
    closed: bool,
}

impl NoteLog {
    fn new(sink: NoteSink) -> Self {
        NoteLog {
            sink,
            state: Mutex::new(NoteState::default()),
        }
    }

    /// A connection from `from` was refused for `why`.
    fn refused(&self, from: SocketAddr, why: &str) {
        let note = format!("refused a connection from {from}: {why}");
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.refused += 1;
        state.last_refusal = Some(format!("from {from}: {why}"));
        drop(state);
        self.note(&note);
    }

    /// Passes `note` on, unless too many have been.
    fn note(&self, note: &str) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.closed {
            return;
        }
        if state.passed_on == MAX_NOTES {
            state.held_back += 1;
            return;
        }
        state.passed_on += 1;
        drop(state);
        if let Some(sink) = &self.sink.0 {
            sink(note);
        }
    }

    /// The formation is over: say how many notes were held back, and pass on no more.
    fn close(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.closed = true;
        let held_back = state.held_back;
        drop(state);
        if held_back > 0
            && let Some(sink) = &self.sink.0
        {
            sink(&format!(
                "{held_back} more notes about refused connections were not shown"
            ));
        }
    }

    /// What a timeout error adds: how many connections were refused meanwhile, and the last.
    fn summary(&self) -> String {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match &state.last_refusal {
            Some(last) => format!(
                " ({} other connection(s) refused meanwhile; the last: {last})",
                state.refused
            ),
            None => String::new(),
        }
    }
}

/// The socket address of `host:port`.
fn resolve(host: &str) -> Result<SocketAddr> {
    host.to_socket_addrs()
        .map_err(|e| Error::Config(format!("cannot resolve {host}: {e}")))?
        .next()
        .ok_or_else(|| Error::Config(format!("{host} resolves to no address")))
}

/// The dialing half: both channels to each process before this one, in order.
fn dial_peers(formation: &Arc<Formation>) -> Result<Vec<Pair>> {
    let mut pairs = Vec::with_capacity(formation.me);
    for peer in 0..formation.me {
        let data = dial(formation, peer, Channel::Data)?;
        let heartbeat = dial(formation, peer, Channel::Heartbeat)?;
        pairs.push(Pair { data, heartbeat });
    }
    Ok(pairs)
}

/// Dials process `peer` for `channel` until a greeting succeeds or the deadline passes.
fn dial(formation: &Formation, peer: usize, channel: Channel) -> Result<TcpStream> {
    let host = &formation.hosts[peer];
    let mut last_problem = String::from("no attempt");
    let mut unauthenticated = false;
    loop {
        let left = formation.deadline.saturating_duration_since(Instant::now());
        if formation.abandoned.load(Ordering::SeqCst) {
            return Err(Error::Config("the formation was abandoned".to_string()));
        }
        if left.is_zero() {
            return Err(Error::Config(if unauthenticated {
                format!(
                    "process {peer} at {host} answered but did not authenticate within the connect timeout \
                     ({last_problem}); do all processes use the same secret (--secret-file or CRAWLRANK_SECRET)?"
                )
            } else {
                format!(
                    "cannot reach process {peer} at {host} within the connect timeout ({last_problem}); \
                     is it started, with the same hosts file, and is the port open?"
                )
            }));
        }
        let mut pause = Duration::from_millis(100);
        // Looked up on every try: a peer's name may not exist until its machine is up.
        let address = match resolve(host) {
            Ok(address) => address,
            Err(e) => {
                last_problem = e.to_string();
                std::thread::sleep(Duration::from_millis(500).min(left));
                continue;
            }
        };
        match TcpStream::connect_timeout(&address, left.min(Duration::from_secs(2))) {
            Ok(mut stream) => match formation
                .greeter()
                .dial(&mut stream, peer, channel, formation.greeting_deadline())
            {
                Ok(()) => return Ok(stream),
                Err(DialFailure::DifferentJob(differences)) => {
                    return Err(different_job(peer, host, &differences));
                }
                Err(DialFailure::Unauthenticated(why)) => {
                    if !unauthenticated {
                        formation.notes.note(&format!(
                            "process {peer} at {host} does not authenticate: {why}; trying again until the \
                                 connect timeout"
                        ));
                    }
                    unauthenticated = true;
                    last_problem = why;
                    pause = Duration::from_secs(1);
                }
                Err(DialFailure::Failed(why)) => last_problem = why,
            },
            Err(e) => last_problem = e.to_string(),
        }
        std::thread::sleep(pause.min(formation.deadline.saturating_duration_since(Instant::now())));
    }
}

/// The accepting half: the data and heartbeat connections of every process after this one,
/// each greeted on a thread of its own.
fn accept_peers(formation: &Arc<Formation>, listener: &TcpListener) -> Result<Vec<Pair>> {
    let me = formation.me;
    let later = formation.hosts.len() - me - 1;
    let mut slots: Vec<[Option<TcpStream>; 2]> = (0..later).map(|_| [None, None]).collect();
    let (greeted, greetings) =
        mpsc::channel::<(SocketAddr, TcpStream, std::result::Result<(usize, Channel), Refusal>)>();
    let busy = Arc::new(AtomicUsize::new(0));
    loop {
        while let Ok((from, stream, outcome)) = greetings.try_recv() {
            match outcome {
                Ok((peer, channel)) => {
                    let slot = &mut slots[peer - me - 1][channel.index()];
                    if slot.is_some() {
                        formation.notes.note(&format!(
                            "process {peer} opened its {} channel again, from {from}: the newer connection replaces the older",
                            channel.name()
                        ));
                    }
                    *slot = Some(stream);
                }
                Err(Refusal::Stranger(why)) => formation.notes.refused(from, &why),
                Err(Refusal::DifferentJob { process, differences }) => {
                    return Err(different_job(process, &formation.hosts[process], &differences));
                }
            }
        }
        if slots.iter().all(|s| s.iter().all(Option::is_some)) {
            return Ok(slots
                .into_iter()
                .map(|[data, heartbeat]| Pair {
                    data: data.expect("filled"),
                    heartbeat: heartbeat.expect("filled"),
                })
                .collect());
        }
        if formation.abandoned.load(Ordering::SeqCst) {
            return Err(Error::Config("the formation was abandoned".to_string()));
        }
        if Instant::now() >= formation.deadline {
            // The greetings in flight end by the same deadline: let them report, for the error.
            let grace = Instant::now() + Duration::from_millis(250);
            while busy.load(Ordering::SeqCst) > 0 && Instant::now() < grace {
                std::thread::sleep(Duration::from_millis(10));
            }
            while let Ok((from, _, outcome)) = greetings.try_recv() {
                if let Err(Refusal::Stranger(why)) = outcome {
                    formation.notes.refused(from, &why);
                }
            }
            let missing: Vec<String> = slots
                .iter()
                .enumerate()
                .filter(|(_, s)| s.iter().any(Option::is_none))
                .map(|(i, _)| format!("process {} ({})", me + 1 + i, formation.hosts[me + 1 + i]))
                .collect();
            return Err(Error::Config(format!(
                "{} did not connect to {} within the connect timeout{}; is it started with the same hosts file and \
                 secret?",
                missing.join(", "),
                formation.hosts[me],
                formation.notes.summary()
            )));
        }
        match listener.accept() {
            Ok((stream, from)) => {
                if busy.load(Ordering::SeqCst) >= MAX_GREETINGS {
                    formation
                        .notes
                        .refused(from, &format!("{MAX_GREETINGS} other connections are being greeted"));
                    continue;
                }
                busy.fetch_add(1, Ordering::SeqCst);
                let deadline = formation.greeting_deadline();
                let greeter = Arc::clone(formation);
                let greeted = greeted.clone();
                let busy_too = Arc::clone(&busy);
                let spawned = std::thread::Builder::new()
                    .name("crawlrank:greet".to_string())
                    .spawn(move || {
                        let mut stream = stream;
                        // Accepted sockets inherit non-blocking mode on some systems.
                        let outcome = match stream.set_nonblocking(false) {
                            Ok(()) => greeter.greeter().accept(&mut stream, deadline),
                            Err(e) => Err(Refusal::Stranger(e.to_string())),
                        };
                        busy_too.fetch_sub(1, Ordering::SeqCst);
                        let _ = greeted.send((from, stream, outcome));
                    });
                if let Err(e) = spawned {
                    busy.fetch_sub(1, Ordering::SeqCst);
                    formation.notes.refused(from, &format!("no thread to greet it: {e}"));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(20)),
            // Out of file descriptors, a connection reset before it was accepted: transient.
            Err(e) => {
                formation.notes.note(&format!("accepting a connection failed: {e}"));
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// The error for process `peer` at `host`, authenticated, running another job: `differences`
/// between the two manifests, when they could be exchanged.
fn different_job(peer: usize, host: &str, differences: &[String]) -> Error {
    let what = if differences.is_empty() {
        "the inputs, options or crawlrank version differ".to_string()
    } else {
        differences.join("; ")
    };
    Error::Config(format!(
        "process {peer} ({host}) runs a different job: {what}; start every process with the same crawlrank \
         binary, the same inputs (the same files under the same names) and the same options, apart from \
         --process and --output"
    ))
}

/// Explains a panic in a process of a distributed run. Timely's network threads panic with
/// "timely communication error" when a peer's connection breaks: that is reported as the
/// loss of that peer (named from `hosts`), unless this process already knows the run ends
/// because a peer fell silent (the heartbeats said so; the connection that broke is then
/// that of a process that left for the same reason); anything else as an internal failure.
pub fn explain_panic(info: &std::panic::PanicHookInfo<'_>, hosts: &[String]) -> String {
    let message = info
        .payload()
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| info.payload().downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    let thread = std::thread::current().name().unwrap_or("unnamed").to_string();
    let peer = thread
        .strip_prefix("timely:recv-")
        .or_else(|| thread.strip_prefix("timely:send-"))
        .and_then(|i| i.parse::<usize>().ok());
    let lost =
        peer.is_some() || message.contains("timely communication error") || message.contains("MergeQueue poisoned");
    if lost && let Some(silence) = super::liveness::silence() {
        return silence.to_string();
    }
    match peer {
        Some(p) => format!(
            "lost the connection to process {p} ({}): {message}; it failed or was stopped, so this run \
             cannot finish (no _SUCCESS is written)",
            hosts.get(p).map_or("?", String::as_str)
        ),
        None if message.contains("timely communication error") || message.contains("MergeQueue poisoned") => {
            format!("lost the connection to another process: {message}; no _SUCCESS is written")
        }
        None => format!(
            "internal failure in thread {thread} at {}: {message}",
            info.location().map_or("?".to_string(), |l| l.to_string())
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Clusters of `processes` on free loopback ports, with the secret `secret`, a connect
    /// timeout of `seconds`, and notes collected in the returned list.
    fn clusters(processes: usize, seconds: f64) -> (Vec<Cluster>, Arc<Mutex<Vec<String>>>) {
        let dir = tempfile::tempdir().unwrap();
        let ports: Vec<u16> = (0..processes)
            .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
            .collect::<Vec<_>>()
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        let hosts = dir.path().join("hosts");
        let lines: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        std::fs::write(&hosts, lines.join("\n")).unwrap();
        let notes = Arc::new(Mutex::new(Vec::new()));
        let clusters = (0..processes)
            .map(|p| {
                let notes = Arc::clone(&notes);
                Cluster::from_hosts_file(&hosts, p, 1, seconds)
                    .unwrap()
                    .with_secret(Secret::new(b"s3cret-for-the-tests", "test").unwrap())
                    .with_notes(NoteSink::new(move |n| notes.lock().unwrap().push(n.to_string())))
            })
            .collect();
        (clusters, notes)
    }

    fn job() -> JobManifest {
        let mut job = JobManifest::new();
        job.add("test", "1");
        job
    }

    /// Opens connections to `host` that misbehave: one silent, one trickling a byte every
    /// 200 ms, one sending garbage; they stay open for `seconds`.
    fn strangers(host: &str, seconds: f64) -> std::thread::JoinHandle<()> {
        let address = resolve(host).unwrap();
        std::thread::spawn(move || {
            let until = Instant::now() + Duration::from_secs_f64(seconds);
            // Once the formation listens.
            let connect = || loop {
                match TcpStream::connect(address) {
                    Ok(stream) => return stream,
                    Err(_) if Instant::now() < until => std::thread::sleep(Duration::from_millis(10)),
                    Err(e) => panic!("{address} never listened: {e}"),
                }
            };
            let silent = connect();
            let mut trickle = connect();
            let mut garbage = connect();
            let _ = garbage.write_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not a greeting");
            while Instant::now() < until {
                let _ = trickle.write_all(b"C");
                std::thread::sleep(Duration::from_millis(200));
            }
            drop(silent);
        })
    }

    #[test]
    fn strangers_neither_stall_nor_join_a_formation() {
        let (clusters, notes) = clusters(2, 10.0);
        let bystanders = strangers(&clusters[0].hosts[0], 3.0);
        let started = Instant::now();
        let member = clusters[1].clone();
        let dialer = std::thread::spawn(move || {
            // The strangers first.
            std::thread::sleep(Duration::from_millis(200));
            member.connect(&job())
        });
        let formed = clusters[0].connect(&job()).unwrap();
        let other = dialer.join().unwrap().unwrap();
        // Formed at once, while the strangers still hold their connections.
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(formed.data[0].is_none() && formed.data[1].is_some() && formed.heartbeats[1].is_some());
        assert!(other.data[0].is_some() && other.data[1].is_none());
        bystanders.join().unwrap();
        let notes = notes.lock().unwrap();
        assert!(
            notes.iter().any(|n| n.contains("not a crawlrank greeting")),
            "the garbage is noted: {notes:?}"
        );
    }

    #[test]
    fn strangers_cannot_stretch_the_connect_timeout() {
        let (clusters, notes) = clusters(2, 1.0);
        let bystanders = strangers(&clusters[0].hosts[0], 4.0);
        let started = Instant::now();
        let e = clusters[0].connect(&job()).unwrap_err().to_string();
        let took = started.elapsed();
        assert!(took < Duration::from_millis(1500), "gave up after {took:?}");
        assert!(
            e.contains("process 1 (127.0.0.1:") && e.contains("did not connect"),
            "{e}"
        );
        assert!(e.contains("3 other connection(s) refused meanwhile"), "{e}");
        assert_eq!(notes.lock().unwrap().len(), 3, "{:?}", notes.lock().unwrap());
        bystanders.join().unwrap();
    }

    #[test]
    fn a_peer_with_another_secret_is_named_by_the_dialer_and_noted_by_the_listener() {
        let (mut clusters, notes) = clusters(2, 1.5);
        clusters[1].secret = Some(Secret::new(b"another-secret-entirely", "test").unwrap());
        let member = clusters[1].clone();
        let dialer = std::thread::spawn(move || member.connect(&job()));
        let e = clusters[0].connect(&job()).unwrap_err().to_string();
        assert!(
            e.contains("did not connect") && e.contains("did not answer the challenge"),
            "{e}"
        );
        let e = dialer.join().unwrap().unwrap_err().to_string();
        assert!(e.contains("did not authenticate") && e.contains("same secret"), "{e}");
        assert!(notes.lock().unwrap().iter().any(|n| n.contains("trying again")));
    }

    #[test]
    fn several_processes_need_a_secret() {
        let (mut clusters, _) = clusters(2, 1.0);
        clusters[0].secret = None;
        let e = clusters[0].connect(&job()).unwrap_err().to_string();
        assert!(e.contains("needs a shared secret") && e.contains("/dev/urandom"), "{e}");
    }
}
