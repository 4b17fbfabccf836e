//! The greeting on every connection between two processes of a cluster: who calls whom, for
//! which channel, and proof in both directions that each side holds the cluster's shared
//! secret; then whether both run the same job.
//!
//! The process with the higher index dials (*D*), the other listens (*L*). Integers are
//! big-endian; a nonce is 32 fresh random bytes from the operating system; a fingerprint is
//! the SHA-256 of the [job manifest](super::manifest::JobManifest).
//!
//! | step | direction | bytes | content |
//! |---|---|---|---|
//! | hello | D → L | 49 | [`MAGIC`] (8), D's index (u32), L's index (u32), channel (u8: 0 data, 1 heartbeat), D's nonce (32) |
//! | challenge | L → D | 104 | [`MAGIC`] (8), L's nonce (32), L's fingerprint (32), L's tag (32) |
//! | answer | D → L | 64 | D's fingerprint (32), D's tag (32) |
//! | verdict | L → D | 1 | 1 accepted; 2 a different job |
//! | manifests | D → L, then L → D | 4 + n + 32 | after verdict 2 only: length (u32), the manifest, its tag |
//!
//! A tag is HMAC-SHA256 keyed by the secret over a label naming its sender's role
//! (`crawlrank v1 listener` or `crawlrank v1 dialer`), D's index, L's index, the channel,
//! both nonces and the sender's fingerprint (a manifest's tag: over its own label, the same
//! indices, channel and nonces, and the manifest). So a tag proves knowledge of the secret
//! for this connection only: the other side's fresh nonce makes a recorded answer useless
//! later (no replay), the role label keeps one side's tag from passing as the other's (no
//! reflection), and the indices and channel cannot be changed on the way. Tags are compared
//! in constant time.
//!
//! A side that cannot verify the other's tag drops the connection; it never learns the
//! other's fingerprint, so a stranger cannot make a process fail by claiming another job.
//! Only an *authenticated* peer with another fingerprint ends the formation, with the
//! entries of the two manifests that differ. Nothing after the greeting is authenticated or
//! encrypted: timely's traffic and the heartbeats travel in the clear.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::manifest::JobManifest;
use crate::error::{Error, Result};

/// The first bytes of a greeting: the protocol and its version.
pub(crate) const MAGIC: &[u8; 8] = b"CRWLRNK2";

/// Bytes of a nonce, a fingerprint and a tag.
const WORD: usize = 32;
/// Bytes of the dialer's hello.
pub(crate) const HELLO_BYTES: usize = 8 + 4 + 4 + 1 + WORD;
/// Bytes of the listener's challenge.
pub(crate) const CHALLENGE_BYTES: usize = 8 + 3 * WORD;
/// Bytes of the dialer's answer.
const ANSWER_BYTES: usize = 2 * WORD;
/// The verdict byte of an accepted connection.
const ACCEPTED: u8 = 1;
/// The verdict byte of two authenticated processes that run different jobs.
const DIFFERENT_JOB: u8 = 2;
/// The largest manifest accepted from a peer (a crawl of a million part files fits).
const MAX_MANIFEST_BYTES: u32 = 256 << 20;
/// Time allowed for the manifests to travel after a different job was found.
const MANIFEST_TIME: Duration = Duration::from_secs(10);

type HmacSha256 = Hmac<Sha256>;

/// The cluster's shared secret: every process of a run must hold the same one.
///
/// Read from a file (`--secret-file`) or an environment variable (`CRAWLRANK_SECRET`);
/// whitespace around it (a trailing newline) is not part of it. It is the HMAC-SHA256 key
/// of the greetings, never sent, and never shown by `Debug`.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

/// How to make a secret, for error messages.
/// The shortest secret accepted, in bytes (32 random bytes in base64 are 44).
const MIN_SECRET: usize = 16;

pub(crate) const MAKE_A_SECRET: &str = "make one with `head -c 32 /dev/urandom | base64 > secret && chmod 600 secret`, \
     copy it to every machine, and pass `--secret-file secret` to every process (or set CRAWLRANK_SECRET)";

impl Secret {
    /// A secret from its bytes, without the whitespace around them; `origin` names where they
    /// came from in the error when nothing is left.
    pub fn new(bytes: &[u8], origin: &str) -> Result<Secret> {
        let secret = bytes.trim_ascii();
        if secret.is_empty() {
            return Err(Error::Config(format!(
                "{origin} holds no secret (it is empty or only whitespace); {MAKE_A_SECRET}"
            )));
        }
        // A stranger who greets a process gets a tag under the secret over data it knows,
        // so a short secret could be guessed offline.
        if secret.len() < MIN_SECRET {
            return Err(Error::Config(format!(
                "{origin} holds a secret of {} bytes; at least {MIN_SECRET} are needed, since a short one can be \
                 guessed; {MAKE_A_SECRET}",
                secret.len()
            )));
        }
        Ok(Secret(secret.to_vec()))
    }

    /// Reads the secret in `path`. On Unix the file must not be open to its group or to
    /// others at all (as ssh insists for a private key): anyone who can read it can join the
    /// cluster, and anyone who can write it can choose the secret.
    pub fn from_file(path: &Path) -> Result<Secret> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .map_err(|e| Error::io(path, e))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(Error::Config(format!(
                    "{}: the secret file is open to other users (mode {:o}); anyone who can read it can join \
                     the cluster, and anyone who can write it can choose the secret: run `chmod 600 {}`",
                    path.display(),
                    mode & 0o777,
                    path.display()
                )));
            }
        }
        Secret::new(&bytes, &path.display().to_string())
    }

    /// The tag of `parts` under this secret.
    fn tag(&self, parts: &[&[u8]]) -> [u8; WORD] {
        self.mac(parts).finalize().into_bytes().into()
    }

    /// Whether `tag` is the tag of `parts`, compared in constant time.
    fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        self.mac(parts).verify_slice(tag).is_ok()
    }

    fn mac(&self, parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        for part in parts {
            mac.update(part);
        }
        mac
    }
}

/// The two connections between each pair of processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Channel {
    /// Timely's channels: the dataflow's records.
    Data,
    /// Heartbeats between the processes ([`liveness`](super::liveness)).
    Heartbeat,
}

impl Channel {
    /// 0 for data, 1 for heartbeat.
    pub(crate) fn index(self) -> usize {
        self.byte() as usize
    }

    fn byte(self) -> u8 {
        match self {
            Channel::Data => 0,
            Channel::Heartbeat => 1,
        }
    }

    fn from_byte(byte: u8) -> Option<Channel> {
        match byte {
            0 => Some(Channel::Data),
            1 => Some(Channel::Heartbeat),
            _ => None,
        }
    }

    /// The channel's name in messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Channel::Data => "data",
            Channel::Heartbeat => "heartbeat",
        }
    }
}

/// This process's side of the greetings: its index, the cluster's size, the secret and the job.
pub(crate) struct Greeter<'a> {
    /// This process's index.
    pub(crate) me: usize,
    /// Number of processes.
    pub(crate) processes: usize,
    /// The shared secret.
    pub(crate) secret: &'a Secret,
    /// What this process runs.
    pub(crate) job: &'a JobManifest,
}

/// Why a greeting on an accepted connection did not give a peer.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Not an authenticated peer of this cluster (garbage, silence, another secret, a
    /// replay): the connection is dropped and the run goes on. The text says why.
    Stranger(String),
    /// An authenticated peer runs another job: the run cannot go on.
    DifferentJob {
        /// The peer's index.
        process: usize,
        /// The entries of the manifests that differ (empty when the manifests could not be
        /// exchanged).
        differences: Vec<String>,
    },
}

/// Why a greeting on a dialed connection did not give a peer.
#[derive(Debug)]
pub(crate) enum DialFailure {
    /// The connection broke, timed out or did not speak the protocol: try again.
    Failed(String),
    /// The other side answered with a tag that does not verify: it does not hold this
    /// process's secret (or it is not the process it should be).
    Unauthenticated(String),
    /// The peer is authenticated but runs another job: the differing entries.
    DifferentJob(Vec<String>),
}

impl Greeter<'_> {
    /// The listener's side of a greeting on `stream`, all of it before `deadline`: the peer's
    /// index and the channel, or why the connection is refused.
    pub(crate) fn accept(
        &self,
        stream: &mut TcpStream,
        deadline: Instant,
    ) -> std::result::Result<(usize, Channel), Refusal> {
        let stranger = |why: String| Refusal::Stranger(why);
        let mut hello = [0u8; HELLO_BYTES];
        // The magic first, so that garbage is dropped at once.
        read_by(stream, &mut hello[..8], deadline).map_err(|e| stranger(describe(&e, "sent no greeting")))?;
        if &hello[..8] != MAGIC {
            return Err(stranger(format!(
                "not a crawlrank greeting (it began with {})",
                crate::error::quote(&hello[..8])
            )));
        }
        read_by(stream, &mut hello[8..], deadline).map_err(|e| stranger(describe(&e, "sent half a greeting")))?;
        let dialer = u32::from_be_bytes(hello[8..12].try_into().expect("4 bytes")) as usize;
        let listener = u32::from_be_bytes(hello[12..16].try_into().expect("4 bytes")) as usize;
        let channel =
            Channel::from_byte(hello[16]).ok_or_else(|| stranger(format!("unknown channel {}", hello[16])))?;
        let dialer_nonce: [u8; WORD] = hello[17..].try_into().expect("32 bytes");
        if listener != self.me {
            return Err(stranger(format!(
                "it says it calls process {listener}, but this is process {}: do all processes use the same hosts file?",
                self.me
            )));
        }
        if dialer <= self.me || dialer >= self.processes {
            return Err(stranger(format!(
                "it says it is process {dialer}, which does not dial process {} in a cluster of {}",
                self.me, self.processes
            )));
        }
        let context = Context::new(dialer, listener, channel, dialer_nonce, nonce().map_err(stranger)?);
        let fingerprint = self.job.fingerprint();
        let mut challenge = Vec::with_capacity(CHALLENGE_BYTES);
        challenge.extend_from_slice(MAGIC);
        challenge.extend_from_slice(&context.listener_nonce);
        challenge.extend_from_slice(&fingerprint);
        challenge.extend_from_slice(&self.secret.tag(&context.parts(LISTENER, &fingerprint)));
        write_by(stream, &challenge, deadline).map_err(|e| stranger(describe(&e, "did not take the challenge")))?;
        let mut answer = [0u8; ANSWER_BYTES];
        read_by(stream, &mut answer, deadline).map_err(|e| {
            stranger(describe(
                &e,
                "did not answer the challenge (a process with another secret, or not crawlrank)",
            ))
        })?;
        let (theirs, tag) = answer.split_at(WORD);
        if !self.secret.verify(&context.parts(DIALER, theirs), tag) {
            return Err(stranger(format!(
                "it claims to be process {dialer} but failed authentication: another secret, or a replayed greeting"
            )));
        }
        if theirs == fingerprint {
            write_by(stream, &[ACCEPTED], deadline).map_err(|e| stranger(describe(&e, "closed before the verdict")))?;
            return Ok((dialer, channel));
        }
        // An authenticated peer with another job: say what differs, both ways.
        let deadline = deadline.max(Instant::now() + MANIFEST_TIME);
        let _ = write_by(stream, &[DIFFERENT_JOB], deadline);
        let differences = receive_manifest(stream, self.secret, &context, DIALER, deadline)
            .map(|theirs| self.job.differences(&theirs))
            .unwrap_or_default();
        let _ = send_manifest(stream, self.secret, &context, LISTENER, self.job, deadline);
        Err(Refusal::DifferentJob {
            process: dialer,
            differences,
        })
    }

    /// The dialer's side of a greeting with process `peer` on `stream`, for `channel`, all of
    /// it before `deadline`.
    pub(crate) fn dial(
        &self,
        stream: &mut TcpStream,
        peer: usize,
        channel: Channel,
        deadline: Instant,
    ) -> std::result::Result<(), DialFailure> {
        let failed = |e: io::Error, what: &str| DialFailure::Failed(describe(&e, what));
        let dialer_nonce = nonce().map_err(DialFailure::Failed)?;
        let mut hello = Vec::with_capacity(HELLO_BYTES);
        hello.extend_from_slice(MAGIC);
        hello.extend_from_slice(&(self.me as u32).to_be_bytes());
        hello.extend_from_slice(&(peer as u32).to_be_bytes());
        hello.push(channel.byte());
        hello.extend_from_slice(&dialer_nonce);
        write_by(stream, &hello, deadline).map_err(|e| failed(e, "could not be greeted"))?;
        let mut challenge = [0u8; CHALLENGE_BYTES];
        read_by(stream, &mut challenge, deadline).map_err(|e| {
            failed(
                e,
                "did not answer the greeting (it refused it: is it started with the same hosts file?)",
            )
        })?;
        if &challenge[..8] != MAGIC {
            return Err(DialFailure::Failed(format!(
                "it is not crawlrank, or another version (it answered {})",
                crate::error::quote(&challenge[..8])
            )));
        }
        let listener_nonce = challenge[8..8 + WORD].try_into().expect("32 bytes");
        let context = Context::new(self.me, peer, channel, dialer_nonce, listener_nonce);
        let theirs = &challenge[8 + WORD..8 + 2 * WORD];
        let tag = &challenge[8 + 2 * WORD..];
        if !self.secret.verify(&context.parts(LISTENER, theirs), tag) {
            return Err(DialFailure::Unauthenticated(
                "its proof does not match this process's secret".to_string(),
            ));
        }
        let fingerprint = self.job.fingerprint();
        let mut answer = Vec::with_capacity(ANSWER_BYTES);
        answer.extend_from_slice(&fingerprint);
        answer.extend_from_slice(&self.secret.tag(&context.parts(DIALER, &fingerprint)));
        write_by(stream, &answer, deadline).map_err(|e| failed(e, "closed after its challenge"))?;
        let mut verdict = [0u8; 1];
        read_by(stream, &mut verdict, deadline).map_err(|e| failed(e, "gave no verdict"))?;
        match verdict[0] {
            ACCEPTED if theirs == fingerprint => Ok(()),
            DIFFERENT_JOB => {
                let deadline = deadline.max(Instant::now() + MANIFEST_TIME);
                let differences = send_manifest(stream, self.secret, &context, DIALER, self.job, deadline)
                    .ok()
                    .and_then(|()| receive_manifest(stream, self.secret, &context, LISTENER, deadline))
                    .map(|theirs| self.job.differences(&theirs))
                    .unwrap_or_default();
                Err(DialFailure::DifferentJob(differences))
            }
            _ if theirs != fingerprint => Err(DialFailure::DifferentJob(Vec::new())),
            other => Err(DialFailure::Failed(format!("it gave an unknown verdict {other}"))),
        }
    }
}

/// The label of the listener's tags.
const LISTENER: &[u8] = b"crawlrank v1 listener";
/// The label of the dialer's tags.
const DIALER: &[u8] = b"crawlrank v1 dialer";

/// What a tag binds besides the sender's role and content: who, which channel, both nonces.
struct Context {
    dialer: [u8; 4],
    listener: [u8; 4],
    channel: [u8; 1],
    dialer_nonce: [u8; WORD],
    listener_nonce: [u8; WORD],
}

impl Context {
    fn new(
        dialer: usize,
        listener: usize,
        channel: Channel,
        dialer_nonce: [u8; WORD],
        listener_nonce: [u8; WORD],
    ) -> Self {
        Context {
            dialer: (dialer as u32).to_be_bytes(),
            listener: (listener as u32).to_be_bytes(),
            channel: [channel.byte()],
            dialer_nonce,
            listener_nonce,
        }
    }

    /// The tagged bytes of `role`'s message whose content is `content`.
    fn parts<'a>(&'a self, role: &'a [u8], content: &'a [u8]) -> [&'a [u8]; 7] {
        [
            role,
            &self.dialer,
            &self.listener,
            &self.channel,
            &self.dialer_nonce,
            &self.listener_nonce,
            content,
        ]
    }
}

/// Sends `job`'s manifest, tagged as `role`'s.
fn send_manifest(
    stream: &mut TcpStream,
    secret: &Secret,
    context: &Context,
    role: &[u8],
    job: &JobManifest,
    deadline: Instant,
) -> io::Result<()> {
    let bytes = job.encode();
    let mut frame = Vec::with_capacity(bytes.len() + 4 + WORD);
    frame.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    frame.extend_from_slice(&bytes);
    frame.extend_from_slice(&secret.tag(&context.parts(&manifest_label(role), &bytes)));
    write_by(stream, &frame, deadline)
}

/// Receives the manifest `role` sends; `None` when it does not come, is too large, does not
/// verify or cannot be decoded.
fn receive_manifest(
    stream: &mut TcpStream,
    secret: &Secret,
    context: &Context,
    role: &[u8],
    deadline: Instant,
) -> Option<JobManifest> {
    let mut length = [0u8; 4];
    read_by(stream, &mut length, deadline).ok()?;
    let length = u32::from_be_bytes(length);
    if length > MAX_MANIFEST_BYTES {
        return None;
    }
    let mut bytes = vec![0u8; length as usize];
    read_by(stream, &mut bytes, deadline).ok()?;
    let mut tag = [0u8; WORD];
    read_by(stream, &mut tag, deadline).ok()?;
    if !secret.verify(&context.parts(&manifest_label(role), &bytes), &tag) {
        return None;
    }
    JobManifest::decode(&bytes)
}

/// The label of a manifest sent by `role`.
fn manifest_label(role: &[u8]) -> Vec<u8> {
    [role, b" manifest"].concat()
}

/// 32 fresh random bytes from the operating system.
fn nonce() -> std::result::Result<[u8; WORD], String> {
    let mut nonce = [0u8; WORD];
    getrandom::fill(&mut nonce).map_err(|e| format!("the operating system gave no random bytes: {e}"))?;
    Ok(nonce)
}

/// Fills `buf` from `stream` before `deadline`, however the bytes trickle in: each read
/// waits at most until the deadline, so a peer sending a byte at a time cannot hold it.
pub(crate) fn read_by(stream: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("timed out after {filled} of {} bytes", buf.len()),
            ));
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buf[filled..]) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("closed after {filled} of {} bytes", buf.len()),
                ));
            }
            Ok(n) => filled += n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes `bytes` to `stream` before `deadline`.
pub(crate) fn write_by(stream: &mut TcpStream, bytes: &[u8], deadline: Instant) -> io::Result<()> {
    let mut written = 0;
    while written < bytes.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "the peer reads nothing"));
        }
        stream.set_write_timeout(Some(left))?;
        match stream.write(&bytes[written..]) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "the connection is closed")),
            Ok(n) => written += n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `what` happened, with the I/O error's detail (a timeout is said as such).
fn describe(e: &io::Error, what: &str) -> String {
    match e.kind() {
        io::ErrorKind::TimedOut => format!("{what} in time ({e})"),
        _ => format!("{what} ({e})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn job(name: &str) -> JobManifest {
        let mut job = JobManifest::new();
        job.add("input count", "1");
        job.add("damping", name);
        job
    }

    fn secret(text: &str) -> Secret {
        Secret::new(text.as_bytes(), "test").unwrap()
    }

    fn soon(seconds: f64) -> Instant {
        Instant::now() + Duration::from_secs_f64(seconds)
    }

    /// What the listener's side of a greeting gives.
    type Greeted = std::result::Result<(usize, Channel), Refusal>;

    /// A listener for process 0 of 2, greeting one connection with `secret` and `job` on
    /// another thread; the returned handle gives the outcome.
    fn listen_once(
        secret: Secret,
        job: JobManifest,
        seconds: f64,
    ) -> (std::net::SocketAddr, std::thread::JoinHandle<Greeted>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let greeter = Greeter {
                me: 0,
                processes: 2,
                secret: &secret,
                job: &job,
            };
            greeter.accept(&mut stream, soon(seconds))
        });
        (address, handle)
    }

    fn dial(address: std::net::SocketAddr, secret: &Secret, job: &JobManifest) -> std::result::Result<(), DialFailure> {
        let mut stream = TcpStream::connect(address).unwrap();
        let greeter = Greeter {
            me: 1,
            processes: 2,
            secret,
            job,
        };
        greeter.dial(&mut stream, 0, Channel::Heartbeat, soon(5.0))
    }

    #[test]
    fn the_same_secret_and_job_connect_both_ways() {
        let (address, listener) = listen_once(secret("s3cret-for-the-tests"), job("0.85"), 5.0);
        dial(address, &secret("s3cret-for-the-tests\n"), &job("0.85")).unwrap();
        let (peer, channel) = listener.join().unwrap().unwrap();
        assert_eq!((peer, channel), (1, Channel::Heartbeat));
    }

    #[test]
    fn another_secret_is_refused_by_both_sides() {
        let (address, listener) = listen_once(secret("s3cret-for-the-tests"), job("0.85"), 5.0);
        match dial(address, &secret("a-guess-that-is-wrong"), &job("0.85")) {
            Err(DialFailure::Unauthenticated(why)) => assert!(why.contains("does not match"), "{why}"),
            other => panic!("the dialer must refuse the listener: {other:?}"),
        }
        match listener.join().unwrap() {
            Err(Refusal::Stranger(why)) => assert!(why.contains("did not answer the challenge"), "{why}"),
            other => panic!("the listener must refuse the dialer: {other:?}"),
        }
    }

    #[test]
    fn an_authenticated_peer_with_another_job_is_told_what_differs() {
        let (address, listener) = listen_once(secret("s3cret-for-the-tests"), job("0.85"), 5.0);
        match dial(address, &secret("s3cret-for-the-tests"), &job("0.9")) {
            Err(DialFailure::DifferentJob(d)) => assert_eq!(d, ["damping differs (0.9 here, 0.85 there)"]),
            other => panic!("{other:?}"),
        }
        match listener.join().unwrap() {
            Err(Refusal::DifferentJob { process, differences }) => {
                assert_eq!(process, 1);
                assert_eq!(differences, ["damping differs (0.85 here, 0.9 there)"]);
            }
            other => panic!("{other:?}"),
        }
    }

    /// Plays the dialer by hand with `nonce`; `answer` decides what follows the challenge:
    /// the bytes to send given the challenge. Returns what the listener sent back.
    fn dial_by_hand(
        address: std::net::SocketAddr,
        nonce: [u8; WORD],
        answer: impl FnOnce(&[u8]) -> Vec<u8>,
    ) -> (Vec<u8>, Vec<u8>) {
        let mut stream = TcpStream::connect(address).unwrap();
        let mut hello = MAGIC.to_vec();
        hello.extend_from_slice(&1u32.to_be_bytes());
        hello.extend_from_slice(&0u32.to_be_bytes());
        hello.push(0);
        hello.extend_from_slice(&nonce);
        stream.write_all(&hello).unwrap();
        let mut challenge = vec![0u8; CHALLENGE_BYTES];
        stream.read_exact(&mut challenge).unwrap();
        let answer = answer(&challenge);
        stream.write_all(&answer).unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        ([hello, answer].concat(), rest)
    }

    #[test]
    fn a_recorded_greeting_replayed_later_is_refused() {
        let key = secret("s3cret-for-the-tests");
        let ours = job("0.85");
        let nonce = [7u8; WORD];
        // A genuine exchange, recorded.
        let (address, listener) = listen_once(key.clone(), ours.clone(), 5.0);
        let (recorded, verdict) = dial_by_hand(address, nonce, |challenge| {
            let context = Context::new(1, 0, Channel::Data, nonce, challenge[8..40].try_into().unwrap());
            let fingerprint = ours.fingerprint();
            [&fingerprint[..], &key.tag(&context.parts(DIALER, &fingerprint))].concat()
        });
        assert_eq!(verdict, [ACCEPTED]);
        assert_eq!(listener.join().unwrap().unwrap(), (1, Channel::Data));
        // The same bytes to a fresh listener: its new nonce makes the recorded tag wrong.
        let (address, listener) = listen_once(key.clone(), ours.clone(), 5.0);
        let (replayed, verdict) = dial_by_hand(address, nonce, |_| recorded[HELLO_BYTES..].to_vec());
        assert_eq!(replayed, recorded);
        assert!(verdict.is_empty(), "no verdict for a replay: {verdict:?}");
        match listener.join().unwrap() {
            Err(Refusal::Stranger(why)) => assert!(why.contains("failed authentication"), "{why}"),
            other => panic!("a replay must be refused: {other:?}"),
        }
    }

    #[test]
    fn a_recorded_challenge_replayed_to_a_dialer_is_refused() {
        let key = secret("s3cret-for-the-tests");
        let ours = job("0.85");
        // Record a genuine listener's challenge to some hello.
        let (address, listener) = listen_once(key.clone(), ours.clone(), 5.0);
        let mut recorded = Vec::new();
        dial_by_hand(address, [9u8; WORD], |challenge| {
            recorded = challenge.to_vec();
            Vec::new()
        });
        assert!(listener.join().unwrap().is_err());
        // A fake listener replays it to a real dialer, whose nonce is fresh.
        let fake = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = fake.local_addr().unwrap();
        let replay = std::thread::spawn(move || {
            let (mut stream, _) = fake.accept().unwrap();
            let mut hello = [0u8; HELLO_BYTES];
            stream.read_exact(&mut hello).unwrap();
            stream.write_all(&recorded).unwrap();
            stream.write_all(&[ACCEPTED]).unwrap();
        });
        match dial(address, &key, &ours) {
            Err(DialFailure::Unauthenticated(_)) => {}
            other => panic!("a replayed challenge must be refused: {other:?}"),
        }
        replay.join().unwrap();
    }

    #[test]
    fn garbage_truncated_and_misaddressed_greetings_are_refused() {
        let cases: [(&[u8], &str); 5] = [
            (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "not a crawlrank greeting"),
            (b"CRWLRNK2\x00\x00", "half a greeting"),
            (b"CRW", "sent no greeting"),
            // from process 0 (which does not dial process 0)
            (
                &[&MAGIC[..], &[0; 4], &[0; 4], &[0], &[1; WORD]].concat(),
                "does not dial process 0",
            ),
            // to process 1, but this is process 0
            (
                &[&MAGIC[..], &[0, 0, 0, 1], &[0, 0, 0, 1], &[0], &[1; WORD]].concat(),
                "same hosts file",
            ),
        ];
        for (bytes, expected) in cases {
            let (address, listener) = listen_once(secret("s3cret-for-the-tests"), job("0.85"), 5.0);
            let mut stream = TcpStream::connect(address).unwrap();
            stream.write_all(bytes).unwrap();
            stream.shutdown(std::net::Shutdown::Write).unwrap();
            match listener.join().unwrap() {
                Err(Refusal::Stranger(why)) => assert!(why.contains(expected), "{expected}: {why}"),
                other => panic!("{expected}: {other:?}"),
            }
        }
    }

    #[test]
    fn silent_and_trickling_clients_are_cut_off_at_the_deadline() {
        // Silent.
        let (address, listener) = listen_once(secret("s3cret-for-the-tests"), job("0.85"), 0.5);
        let started = Instant::now();
        let _silent = TcpStream::connect(address).unwrap();
        assert!(matches!(listener.join().unwrap(), Err(Refusal::Stranger(_))));
        assert!(
            started.elapsed() < Duration::from_millis(900),
            "{:?}",
            started.elapsed()
        );
        // A byte every 100 ms, for 3 s: still cut off after 0.5 s.
        let (address, listener) = listen_once(secret("s3cret-for-the-tests"), job("0.85"), 0.5);
        let started = Instant::now();
        let mut trickle = TcpStream::connect(address).unwrap();
        let writer = std::thread::spawn(move || {
            for byte in MAGIC.iter().chain(&[0u8; 40]) {
                if trickle.write_all(&[*byte]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        match listener.join().unwrap() {
            Err(Refusal::Stranger(why)) => assert!(why.contains("in time"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_millis(900),
            "{:?}",
            started.elapsed()
        );
        writer.join().unwrap();
    }

    #[test]
    fn secrets_are_trimmed_and_empty_ones_refused() {
        assert!(secret(" sixteen-bytes-ok \n").verify(&[b"x"], &secret("sixteen-bytes-ok").tag(&[b"x"])));
        let e = Secret::new(b" \n", "CRAWLRANK_SECRET").unwrap_err().to_string();
        let short = Secret::new(b"abc", "CRAWLRANK_SECRET").unwrap_err().to_string();
        assert!(short.contains("at least 16"), "{short}");
        assert!(
            e.contains("CRAWLRANK_SECRET holds no secret") && e.contains("head -c 32 /dev/urandom"),
            "{e}"
        );
        assert_eq!(format!("{:?}", secret("sixteen-bytes-ok")), "Secret(16 bytes)");
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "abcdefghijklmnopq\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Secret::from_file(&path).unwrap_err().to_string();
        assert!(e.contains("open to other users") && e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(Secret::from_file(&path).unwrap().0, b"abcdefghijklmnopq");
        std::fs::write(&path, "").unwrap();
        assert!(
            Secret::from_file(&path)
                .unwrap_err()
                .to_string()
                .contains("holds no secret")
        );
    }
}
