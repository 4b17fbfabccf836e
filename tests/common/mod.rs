//! Helpers for tests that run crawlrank clusters on loopback: free ports, hosts files,
//! processes under a deadline, and byte-for-byte comparison of result folders.
#![allow(dead_code)] // each test file uses a different subset

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_crawlrank");

/// Ports the OS says are free now (the listeners are closed before the run binds them).
pub fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    listeners.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

pub fn hosts_file(dir: &Path, processes: usize) -> PathBuf {
    let path = dir.join(format!("hosts-{processes}-{}", free_ports(1)[0]));
    let lines: Vec<String> = free_ports(processes).iter().map(|p| format!("127.0.0.1:{p}")).collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

pub fn spawn(args: &[String]) -> Child {
    Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for `child` until `deadline`; kills it and fails the test if it is still running.
pub fn finish(mut child: Child, deadline: Instant, what: &str) -> (i32, String) {
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
            return (status.code().unwrap_or(-1), stderr);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not finish before its deadline (it hung)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs the binary with `args` (without the program name) and no input; returns its exit
/// code, stdout and stderr. Fails the test if it runs for more than 10 minutes.
pub fn crawlrank(args: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).unwrap();
        out
    });
    let (code, stderr) = finish(child, Instant::now() + Duration::from_secs(600), "crawlrank");
    let out = reader.join().unwrap();
    (code, String::from_utf8_lossy(&out).into_owned(), stderr)
}

pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Writes an R-MAT graph of `scale` to `path` with `crawlrank generate`.
pub fn generate_rmat(path: &Path, scale: u32) {
    let args = strings(&[
        "generate",
        "rmat",
        "--scale",
        &scale.to_string(),
        "-o",
        path.to_str().unwrap(),
    ]);
    let (code, stderr) = finish(spawn(&args), Instant::now() + Duration::from_secs(60), "generate");
    assert_eq!(code, 0, "{stderr}");
}

/// The shared secret of the test clusters (passed in `CRAWLRANK_SECRET`).
pub const TEST_SECRET: &str = "loopback-test-secret-0123456789";

/// The command of process `process` of the cluster in `hosts`: `crawlrank rank ARGS --hosts …
/// --process … --workers … --connect-timeout …`, with [`TEST_SECRET`] in the environment and
/// its output piped.
pub fn member_command(args: &[&str], hosts: &Path, process: usize, workers: usize, connect_timeout: u32) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("rank")
        .args(args)
        .args([
            "--hosts",
            hosts.to_str().unwrap(),
            "--process",
            &process.to_string(),
            "--workers",
            &workers.to_string(),
            "--connect-timeout",
            &connect_timeout.to_string(),
        ])
        .env("CRAWLRANK_SECRET", TEST_SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Starts process `process` of the cluster in `hosts` ([`member_command`]).
pub fn spawn_member(args: &[&str], hosts: &Path, process: usize, workers: usize, connect_timeout: u32) -> Child {
    member_command(args, hosts, process, workers, connect_timeout)
        .spawn()
        .unwrap()
}

/// The `host:port` lines of a hosts file.
pub fn host_lines(hosts: &Path) -> Vec<String> {
    std::fs::read_to_string(hosts)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Runs `processes` × `workers` on loopback, all writing to `out`; asserts every process
/// exits 0 within 120 s.
pub fn run_cluster(inputs: &[&str], out: &Path, processes: usize, workers: usize, extra: &[&str]) {
    let hosts = hosts_file(out.parent().unwrap(), processes);
    let mut args = vec!["-q", "-o", out.to_str().unwrap()];
    args.extend_from_slice(inputs);
    args.extend_from_slice(extra);
    let children: Vec<Child> = (0..processes)
        .map(|p| spawn_member(&args, &hosts, p, workers, 30))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    for (p, child) in children.into_iter().enumerate() {
        let (code, stderr) = finish(child, deadline, &format!("process {p}"));
        assert_eq!(code, 0, "process {p} of {processes}×{workers} failed: {stderr}");
    }
}

pub fn run_local(inputs: &[&str], out: &Path, extra: &[&str]) {
    let mut args = strings(&["rank", "-q", "-o", out.to_str().unwrap()]);
    args.extend(strings(inputs));
    args.extend(strings(extra));
    let (code, stderr) = finish(spawn(&args), Instant::now() + Duration::from_secs(120), "local run");
    assert_eq!(code, 0, "{stderr}");
}

/// The part files (decompressed) and top table of a result folder.
pub fn result_files(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(out.join("ranks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for path in names {
        let bytes = std::fs::read(&path).unwrap();
        let mut text = Vec::new();
        if path.extension().is_some_and(|e| e == "gz") {
            flate2::read::MultiGzDecoder::new(&bytes[..])
                .read_to_end(&mut text)
                .unwrap();
        } else {
            text = bytes;
        }
        files.push((path.file_name().unwrap().to_string_lossy().into_owned(), text));
    }
    files.push(("top.tsv".to_string(), std::fs::read(out.join("top.tsv")).unwrap()));
    files
}

pub fn assert_same_result(local: &Path, distributed: &Path, what: &str) {
    let a = result_files(local);
    let b = result_files(distributed);
    assert!(a.iter().any(|(n, _)| n == "_SUCCESS"), "the local run succeeded");
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>(),
        "{what}: same files"
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{what}: {name} differs from the local run's");
    }
}

/// `summary.json` of a result folder.
pub fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

/// The L1 change of every iteration in `summary.json`, exactly as written (shortest
/// round-trip form, so equal text is equal bits).
pub fn iteration_changes(out: &Path) -> Vec<String> {
    summary(out)["iterations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["change"].to_string())
        .collect()
}

/// Asserts that two runs took the same iterations with the same L1 change in each, and
/// stopped for the same reason.
pub fn assert_same_iterations(local: &Path, distributed: &Path, what: &str) {
    let (a, b) = (summary(local), summary(distributed));
    assert_eq!(
        iteration_changes(local),
        iteration_changes(distributed),
        "{what}: per-iteration L1 changes"
    );
    assert_eq!(a["converged"], b["converged"], "{what}: convergence");
    assert_eq!(a["residual"], b["residual"], "{what}: residual");
}
