//! Who the processes are and how they find each other: the hosts file, the TCP connections
//! timely's channels run on, and what happens when a peer cannot be reached or goes away.
//!
//! Timely's own start-up (`create_sockets`) retries forever and prints to stdout; here the
//! connections are made with a deadline (`--connect-timeout`), each side checks that the
//! other runs the same job (a fingerprint of the inputs and options), and the finished
//! sockets are handed to timely's `initialize_networking_from_sockets`. Everything that
//! travels afterwards is timely's own protocol: this module adds no message format.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The first bytes a process sends on a new connection.
const MAGIC: &[u8; 8] = b"CRWLRNK1";

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
}

impl Cluster {
    /// Reads the hosts file: one `host:port` a line; blank lines and `#` comments skipped.
    /// This is process `process`, with `workers` timely workers (the same in every
    /// process); it waits `connect_timeout` seconds at most for its peers.
    pub fn from_hosts_file(path: &Path, process: usize, workers: usize, connect_timeout: f64) -> Result<Cluster> {
        let connect_timeout = Duration::try_from_secs_f64(connect_timeout)
            .ok()
            .filter(|t| !t.is_zero())
            .ok_or_else(|| Error::parameter("connect_timeout", "must be a positive number of seconds"))?;
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
        })
    }

    /// Number of processes.
    pub fn processes(&self) -> usize {
        self.hosts.len()
    }

    /// Timely workers in all processes.
    pub fn total_workers(&self) -> usize {
        self.processes() * self.workers
    }

    /// Connects to every other process: this one connects to the processes before it and
    /// accepts the processes after it (timely's convention), all within the connect
    /// timeout. The result has one entry per process, `None` for this one.
    pub fn connect(&self, fingerprint: u64) -> Result<Vec<Option<TcpStream>>> {
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
        let later = self.processes() - self.process - 1;
        let hosts = self.hosts.clone();
        let me = self.process;
        let acceptor = std::thread::Builder::new()
            .name("crawlrank:accept".to_string())
            .spawn(move || accept_peers(&listener, &hosts, me, later, fingerprint, deadline))
            .map_err(|e| Error::Config(format!("cannot start a thread: {e}")))?;
        let mut sockets: Vec<Option<TcpStream>> = Vec::with_capacity(self.processes());
        let mut failure = None;
        for peer in 0..self.process {
            match connect_peer(&self.hosts, peer, me, fingerprint, deadline) {
                Ok(stream) => sockets.push(Some(stream)),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let accepted = acceptor
            .join()
            .unwrap_or_else(|_| Err(Error::Config("the connection thread failed".to_string())));
        if let Some(e) = failure {
            return Err(e);
        }
        sockets.push(None);
        sockets.extend(accepted?.into_iter().map(Some));
        for socket in sockets.iter().flatten() {
            let _ = socket.set_read_timeout(None);
            let _ = socket.set_write_timeout(None);
            let _ = socket.set_nodelay(true);
        }
        Ok(sockets)
    }
}

/// The socket address of `host:port`.
fn resolve(host: &str) -> Result<SocketAddr> {
    host.to_socket_addrs()
        .map_err(|e| Error::Config(format!("cannot resolve {host}: {e}")))?
        .next()
        .ok_or_else(|| Error::Config(format!("{host} resolves to no address")))
}

/// Connects to process `peer`, retrying until `deadline`, and exchanges the greeting.
fn connect_peer(hosts: &[String], peer: usize, me: usize, fingerprint: u64, deadline: Instant) -> Result<TcpStream> {
    let host = &hosts[peer];
    let address = resolve(host)?;
    let mut last_error = String::from("no attempt");
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::Config(format!(
                "cannot reach process {peer} at {host} within the connect timeout ({last_error}); \
                 is it started, with the same hosts file, and is the port open?"
            )));
        }
        match TcpStream::connect_timeout(&address, left.min(Duration::from_secs(2))) {
            Ok(mut stream) => {
                let _ = stream.set_read_timeout(Some(left.max(Duration::from_millis(100))));
                let mut hello = Vec::with_capacity(24);
                hello.extend_from_slice(MAGIC);
                hello.extend_from_slice(&(me as u64).to_be_bytes());
                hello.extend_from_slice(&fingerprint.to_be_bytes());
                let mut reply = [0u8; 8];
                match stream.write_all(&hello).and_then(|_| stream.read_exact(&mut reply)) {
                    Ok(()) => {
                        check_fingerprint(u64::from_be_bytes(reply), fingerprint, peer, host)?;
                        return Ok(stream);
                    }
                    Err(e) => last_error = e.to_string(),
                }
            }
            Err(e) => last_error = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Accepts the `count` processes after `me` until `deadline`.
fn accept_peers(
    listener: &TcpListener,
    hosts: &[String],
    me: usize,
    count: usize,
    fingerprint: u64,
    deadline: Instant,
) -> Result<Vec<TcpStream>> {
    let mut accepted: Vec<Option<TcpStream>> = (0..count).map(|_| None).collect();
    while accepted.iter().any(Option::is_none) {
        if Instant::now() >= deadline {
            let missing: Vec<String> = accepted
                .iter()
                .enumerate()
                .filter(|(_, s)| s.is_none())
                .map(|(i, _)| format!("process {} ({})", me + 1 + i, hosts[me + 1 + i]))
                .collect();
            return Err(Error::Config(format!(
                "{} did not connect to {} within the connect timeout; is it started with the same hosts file?",
                missing.join(", "),
                hosts[me]
            )));
        }
        match listener.accept() {
            Ok((mut stream, from)) => {
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut hello = [0u8; 24];
                if stream.read_exact(&mut hello).is_err() || &hello[..8] != MAGIC {
                    // Not one of ours (a port scanner, a stale connection): ignore it.
                    continue;
                }
                let peer = u64::from_be_bytes(hello[8..16].try_into().expect("8 bytes")) as usize;
                let theirs = u64::from_be_bytes(hello[16..24].try_into().expect("8 bytes"));
                if peer <= me || peer >= hosts.len() {
                    return Err(Error::Config(format!(
                        "a process at {from} says it is process {peer}, which should not connect to process {me}: \
                         do all processes use the same hosts file?"
                    )));
                }
                let _ = stream.write_all(&fingerprint.to_be_bytes());
                check_fingerprint(theirs, fingerprint, peer, &hosts[peer])?;
                accepted[peer - me - 1] = Some(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(Error::Config(format!("{}: {e}", hosts[me]))),
        }
    }
    Ok(accepted.into_iter().map(|s| s.expect("all accepted")).collect())
}

fn check_fingerprint(theirs: u64, ours: u64, peer: usize, host: &str) -> Result<()> {
    if theirs != ours {
        return Err(Error::Config(format!(
            "process {peer} ({host}) runs a different job: the inputs, options or crawlrank version differ; \
             start every process with the same job, apart from its process index and its result folder"
        )));
    }
    Ok(())
}

/// Explains a panic in a process of a distributed run. Timely's network threads panic with
/// "timely communication error" when a peer's connection breaks: that is reported as the
/// loss of that peer (named from `hosts`); anything else as an internal failure.
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
