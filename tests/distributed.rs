//! Distributed runs (`rank --hosts`) on loopback: several real processes of the binary, each
//! under a deadline, compared byte for byte with a local run of the same shard count; the
//! failures a cluster has: a peer killed mid-run, stopped mid-run, never started, or given
//! other files under the same names; and strangers on the cluster's ports: silent, slow,
//! garbage, another secret, a replayed greeting.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Child;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;

/// A skewed random graph split over three inputs (so that processes read different stripes),
/// with duplicate edges across the files.
fn split_graph(dir: &Path) -> Vec<String> {
    let graph = dir.join("graph.tsv");
    generate_rmat(&graph, 13);
    let text = std::fs::read_to_string(&graph).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let third = lines.len() / 3;
    let mut names = Vec::new();
    for (i, chunk) in [
        &lines[..third + 500],
        &lines[third..2 * third],
        &lines[2 * third - 100..],
    ]
    .iter()
    .enumerate()
    {
        let path = dir.join(format!("part{i}.tsv"));
        std::fs::write(&path, chunk.join("\n") + "\n").unwrap();
        names.push(path.to_str().unwrap().to_string());
    }
    names
}

#[test]
fn one_two_and_three_processes_match_the_local_run_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = split_graph(dir.path());
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let local = dir.path().join("local");
    run_local(&inputs, &local, &["--shards", "5"]);
    for (processes, workers) in [(1, 2), (2, 1), (3, 1), (2, 2)] {
        let out = dir.path().join(format!("d{processes}x{workers}"));
        run_cluster(&inputs, &out, processes, workers, &["--shards", "5"]);
        assert_same_result(&local, &out, &format!("{processes}×{workers}"));
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
        let d = &summary["distributed"];
        assert_eq!(d["hosts"].as_array().unwrap().len(), processes);
        if processes > 1 {
            assert!(d["partial_bytes_per_round"].as_f64().unwrap() > 0.0, "{d}");
        }
        assert!(
            !std::fs::read_dir(&out).unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".crawlrank-")),
            "staging folders are removed"
        );
    }
}

#[test]
fn local_and_two_processes_agree_in_every_iteration_on_many_blocks() {
    // R-MAT scale 18 (173,934 nodes that appear: six destination blocks of 32 Ki) with the
    // default shard count, and scale 19 (more than eight blocks) in three shards. Two
    // processes of one worker each own alternate blocks, so every round's change is summed
    // from blocks reduced in two processes, and must still equal the local run's to the bit.
    let dir = tempfile::tempdir().unwrap();
    for (scale, shards, blocks) in [(18, None, 6), (19, Some("3"), 8)] {
        let graph = dir.path().join(format!("rmat{scale}.tsv"));
        generate_rmat(&graph, scale);
        let graph = graph.to_str().unwrap();
        for precision in ["f64", "f32"] {
            let mut extra = vec!["--tol", "1e-9", "--precision", precision];
            if let Some(s) = shards {
                extra.extend(["--shards", s]);
            }
            let what = format!("R-MAT {scale}, {precision}, shards {shards:?}");
            let local = dir.path().join(format!("local-{scale}-{precision}"));
            run_local(&[graph], &local, &extra);
            let nodes = summary(&local)["graph"]["nodes"].as_u64().unwrap();
            assert!(
                nodes > (blocks - 1) * 32768,
                "{what}: at least {blocks} blocks ({nodes} nodes)"
            );
            assert!(iteration_changes(&local).len() > 5, "{what}: several iterations");
            let out = dir.path().join(format!("d2x1-{scale}-{precision}"));
            run_cluster(&[graph], &out, 2, 1, &extra);
            assert_same_result(&local, &out, &what);
            assert_same_iterations(&local, &out, &what);
            assert_eq!(summary(&out)["parameters"]["precision"], precision, "{what}");
        }
        if scale == 19 {
            // Two workers in each of two processes, over eleven blocks and three shards.
            let local = dir.path().join("local-19-f64");
            let out = dir.path().join("d2x2-19-f64");
            let extra = ["--tol", "1e-9", "--shards", "3"];
            run_cluster(&[graph], &out, 2, 2, &extra);
            assert_same_result(&local, &out, "R-MAT 19, 2×2");
            assert_same_iterations(&local, &out, "R-MAT 19, 2×2");
        }
        // The precision took effect: f32 shares give other bits than f64.
        let f64s = dir.path().join(format!("local-{scale}-f64"));
        let f32s = dir.path().join(format!("local-{scale}-f32"));
        assert_ne!(iteration_changes(&f64s), iteration_changes(&f32s));
    }
}

#[test]
fn a_store_ranks_over_processes_bit_for_bit_held_or_streamed() {
    // Every process opens the store itself (no edge crosses the network while loading); each
    // worker holds its own shards when they fit its share of --memory and streams them from
    // the store every round when they do not. Both give the local run's bits.
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("rmat15.tsv");
    generate_rmat(&graph, 15);
    let graph = graph.to_str().unwrap();
    let store = dir.path().join("g.store");
    let (code, _, stderr) = crawlrank(&["build", "-q", graph, "-o", store.to_str().unwrap(), "--shards", "5"]);
    assert_eq!(code, 0, "{stderr}");
    let local = dir.path().join("local");
    run_local(&[graph], &local, &["--shards", "5", "--tol", "1e-9"]);
    for (processes, workers, memory, cells) in [
        (2, 1, None, "memory"),
        (2, 2, Some("1MiB"), "streamed"),
        (1, 2, Some("1MiB"), "streamed"),
    ] {
        let what = format!("{processes}×{workers} from the store, --memory {memory:?}");
        let out = dir.path().join(format!("d{processes}x{workers}-{cells}"));
        let mut extra = vec!["--tol", "1e-9"];
        if let Some(m) = memory {
            extra.extend(["--memory", m]);
        }
        run_cluster(&[store.to_str().unwrap()], &out, processes, workers, &extra);
        assert_same_result(&local, &out, &what);
        assert_same_iterations(&local, &out, &what);
        assert_eq!(summary(&out)["store"]["cells"], cells, "{what}");
    }
    // A damaged store fails every process, naming the file; nothing is committed.
    let cells = store.join("shards").join("shard-00003.cells");
    let mut bytes = std::fs::read(&cells).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x55;
    std::fs::write(&cells, bytes).unwrap();
    let out = dir.path().join("damaged");
    let hosts = hosts_file(dir.path(), 2);
    let args = ["-q", "-o", out.to_str().unwrap(), store.to_str().unwrap()];
    let children: Vec<Child> = (0..2).map(|p| spawn_member(&args, &hosts, p, 1, 30)).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut named = Vec::new();
    for (p, child) in children.into_iter().enumerate() {
        let (code, stderr) = finish(child, deadline, &format!("process {p}"));
        assert_ne!(code, 0, "process {p} ranked a damaged store");
        // A process that finds the damage first ends, and its peer may then stop for the
        // lost peer before it opens the store itself.
        named.push(stderr.contains("shard-00003.cells") || stderr.contains("lost"));
        if stderr.contains("shard-00003.cells") {
            assert!(stderr.contains("damaged") || stderr.contains("CRC"), "{stderr}");
        }
    }
    assert!(named.iter().all(|&n| n), "every process says why it stopped");
    assert!(!out.join("ranks").join("_SUCCESS").exists());
}

#[test]
fn url_ids_and_weighted_duplicates_match_the_local_run() {
    let dir = tempfile::tempdir().unwrap();
    let urls = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/urls.tsv");
    // a URL crawl: one process reads it, the other nothing (striping is by file)
    let local = dir.path().join("local-urls");
    let urls = urls.to_str().unwrap();
    run_local(&[urls], &local, &["--shards", "3"]);
    let out = dir.path().join("d-urls");
    run_cluster(&[urls], &out, 2, 1, &["--shards", "3"]);
    assert_same_result(&local, &out, "URL ids");
    // integer-looking ids read as strings, one process reading nothing
    let ints = dir.path().join("ints.tsv");
    std::fs::write(&ints, "10 9\n9 100\n100 10\n2 10\n").unwrap();
    let ints = ints.to_str().unwrap();
    let local = dir.path().join("local-strings");
    run_local(&[ints], &local, &["--ids", "string", "--compress", "none"]);
    let out = dir.path().join("d-strings");
    run_cluster(&[ints], &out, 2, 1, &["--ids", "string", "--compress", "none"]);
    assert_same_result(&local, &out, "--ids string");

    // weighted, with the same edge in two files read by different processes: the last
    // weight in input order wins, as in a local run; one file has an integer-looking id
    // only, the other strings (auto ids turn all into strings)
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    let c = dir.path().join("c.csv");
    std::fs::write(&a, "x,y,1.0\ny,z,2.0\nz,x,0.5\n17,x,3\n").unwrap();
    std::fs::write(&b, "x,y,7.0\nz,17,1.5\ny,x,0.25\n").unwrap();
    std::fs::write(&c, "5,17,2\n17,5,1\n").unwrap();
    let inputs = [a.to_str().unwrap(), b.to_str().unwrap(), c.to_str().unwrap()];
    let local = dir.path().join("local-w");
    run_local(&inputs, &local, &["--weighted", "--shards", "2", "--compress", "none"]);
    let out = dir.path().join("d-w");
    run_cluster(
        &inputs,
        &out,
        3,
        1,
        &["--weighted", "--shards", "2", "--compress", "none"],
    );
    assert_same_result(&local, &out, "weighted duplicates");
    let multi = dir.path().join("local-m");
    run_local(&inputs, &multi, &["--weighted", "--multi", "--shards", "2"]);
    let out = dir.path().join("d-m");
    run_cluster(&inputs, &out, 2, 1, &["--weighted", "--multi", "--shards", "2"]);
    assert_same_result(&multi, &out, "weighted parallel edges");
}

#[test]
fn a_killed_peer_makes_the_others_fail_and_no_success_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("g.tsv");
    generate_rmat(&graph, 16);
    let out = dir.path().join("out");
    let hosts = hosts_file(dir.path(), 3);
    let mut children: Vec<Child> = (0..3)
        .map(|p| {
            let args = [
                "-q",
                graph.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                "--tol",
                "0",
                "--max-iter",
                "1000000",
            ];
            spawn_member(&args, &hosts, p, 1, 20)
        })
        .collect();
    // Let them connect and start iterating (a million rounds take far longer than this).
    std::thread::sleep(Duration::from_secs(3));
    for (p, child) in children.iter_mut().enumerate() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "process {p} is still running before the kill"
        );
    }
    children[2].kill().unwrap();
    let killed_at = Instant::now();
    let _ = children.pop().unwrap().wait();
    // The connect timeout is 20 s: the others must be gone well within it.
    let deadline = killed_at + Duration::from_secs(20);
    for (p, child) in children.into_iter().enumerate() {
        let (code, stderr) = finish(child, deadline, &format!("surviving process {p}"));
        assert_ne!(code, 0, "process {p} must fail when a peer dies");
        assert!(
            stderr.contains("lost the connection to"),
            "process {p} says why: {stderr}"
        );
    }
    assert!(!out.join("ranks/_SUCCESS").exists(), "no _SUCCESS after a failed run");
}

#[test]
fn a_missing_peer_is_named_within_the_connect_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = hosts_file(dir.path(), 2);
    let second = std::fs::read_to_string(&hosts)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    let urls = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/urls.tsv");
    let out = dir.path().join("out");
    let args = [urls.to_str().unwrap(), "-o", out.to_str().unwrap()];
    let started = Instant::now();
    let child = spawn_member(&args, &hosts, 0, 1, 2);
    let (code, stderr) = finish(child, started + Duration::from_secs(15), "process 0 alone");
    assert_ne!(code, 0);
    assert!(
        stderr.contains(&second),
        "the error names the missing peer {second}: {stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "it gave up near the timeout"
    );
    assert!(!out.join("ranks/_SUCCESS").exists());

    // and the other side: process 1 with nobody at process 0's address
    let started = Instant::now();
    let child = spawn_member(&args, &hosts, 1, 1, 2);
    let (code, stderr) = finish(child, started + Duration::from_secs(15), "process 1 alone");
    assert_ne!(code, 0);
    let first = std::fs::read_to_string(&hosts)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(
        stderr.contains(&first),
        "the error names the unreachable host {first}: {stderr}"
    );
}

#[test]
fn bad_cluster_options_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, "127.0.0.1:7001\nnot an address\n").unwrap();
    let urls = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/urls.tsv");
    let out = dir.path().join("out");
    let run = |args: &[&str]| {
        let mut all = strings(&["rank", urls.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        all.extend(strings(args));
        finish(spawn(&all), Instant::now() + Duration::from_secs(30), "bad options")
    };
    let (code, stderr) = run(&["--hosts", hosts.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains(":2:") && stderr.contains("not an address"), "{stderr}");
    std::fs::write(&hosts, "127.0.0.1:7001\n127.0.0.1:7002\n").unwrap();
    let (code, stderr) = run(&["--hosts", hosts.to_str().unwrap(), "--process", "2"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--process must be one of the 2 processes") && stderr.ends_with("(0 to 1), not 2\n"),
        "{stderr}"
    );
    let (code, stderr) = run(&["--hosts", hosts.to_str().unwrap(), "--gexf", "x.gexf"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("export gexf"), "{stderr}");
    // No secret (neither --secret-file nor CRAWLRANK_SECRET): refused, saying how to make one.
    let (code, stderr) = run(&["--hosts", hosts.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("a cluster of 2 processes needs a shared secret")
            && stderr.contains("head -c 32 /dev/urandom | base64 > secret && chmod 600 secret"),
        "{stderr}"
    );
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let secret_flag = [
        "--hosts",
        hosts.to_str().unwrap(),
        "--secret-file",
        secret.to_str().unwrap(),
    ];
    let (code, stderr) = run(&secret_flag);
    assert_eq!(code, 2);
    assert!(stderr.contains("holds no secret"), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&secret, "abc\n").unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        let (code, stderr) = run(&secret_flag);
        assert_eq!(code, 2);
        assert!(stderr.contains("at least 16"), "a short secret: {stderr}");
        std::fs::write(&secret, "a secret long enough to pass\n").unwrap();
        for mode in [0o640, 0o620, 0o602] {
            std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(mode)).unwrap();
            let (code, stderr) = run(&secret_flag);
            assert_eq!(code, 2);
            assert!(
                stderr.contains("open to other users") && stderr.contains("chmod 600"),
                "mode {mode:o}: {stderr}"
            );
        }
    }
    let (code, stderr) = run(&["--hosts", hosts.to_str().unwrap(), "--peer-timeout", "0.5"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--peer-timeout must be a number of seconds of at least 1"),
        "{stderr}"
    );
}

#[test]
fn a_bad_line_in_one_stripe_fails_every_process_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.tsv");
    let bad = dir.path().join("bad.tsv");
    std::fs::write(&good, "1 2\n2 3\n3 1\n").unwrap();
    std::fs::write(&bad, "4 5\n5 six seven eight\n").unwrap();
    let out = dir.path().join("out");
    let hosts = hosts_file(dir.path(), 2);
    let children: Vec<Child> = (0..2)
        .map(|p| {
            let args = [
                good.to_str().unwrap(),
                bad.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                "--ids",
                "int",
            ];
            spawn_member(&args, &hosts, p, 1, 20)
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let results: Vec<(i32, String)> = children
        .into_iter()
        .enumerate()
        .map(|(p, c)| finish(c, deadline, &format!("process {p}")))
        .collect();
    // process 1 reads bad.tsv (input 1 of 2)
    assert_eq!(results[1].0, 2, "{}", results[1].1);
    assert!(
        results[1].1.contains("bad.tsv:2") && results[1].1.contains("six"),
        "names file, line and text: {}",
        results[1].1
    );
    assert_ne!(results[0].0, 0, "process 0 cannot finish without process 1");
    assert!(!out.join("ranks/_SUCCESS").exists());
}

/// The URL crawl in `tests/data`: a small job that ranks in well under a second.
fn urls() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/urls.tsv")
        .to_str()
        .unwrap()
        .to_string()
}

/// Connects to `host`, retrying until it listens (at most 10 s).
fn connect_when_listening(host: &str) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(host) {
            Ok(stream) => return stream,
            Err(e) if Instant::now() > deadline => panic!("{host} never listened: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// What a stranger on a cluster's port does.
#[derive(Clone, Copy)]
enum Stranger {
    /// Connects and sends nothing.
    Silent,
    /// Sends what looks like a greeting, one byte a second.
    Slow,
}

/// A stranger connected to `host` (once it listens), holding its connection for `hold`.
fn stranger(host: &str, kind: Stranger, hold: Duration) -> JoinHandle<()> {
    let host = host.to_string();
    std::thread::spawn(move || {
        let mut stream = connect_when_listening(&host);
        let until = Instant::now() + hold;
        let greeting = b"CRWLRNK2\0\0\0\x01\0\0\0\0\0 and so on, slowly";
        let mut next = 0;
        while Instant::now() < until {
            if let Stranger::Slow = kind {
                if stream.write_all(&greeting[next % greeting.len()..][..1]).is_err() {
                    return; // cut off
                }
                next += 1;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    })
}

/// Process 0 alone with `kind` strangers on its port gives up within its connect timeout of
/// 3 s (plus 2 s), naming the missing peer; then process 0 with the same strangers and the
/// real process 1 ranks, within its connect timeout of 10 s (one at a time, each stranger
/// held the formation for 5 s or more: five would have taken 25 s).
fn strangers_cannot_hold_the_formation(kind: Stranger, what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let hosts = hosts_file(dir.path(), 2);
    let lines = host_lines(&hosts);
    let urls = urls();
    let out = dir.path().join("out");
    let args = ["-q", &urls, "-o", out.to_str().unwrap()];

    let started = Instant::now();
    let alone = spawn_member(&args, &hosts, 0, 1, 3);
    let _strangers: Vec<_> = (0..5)
        .map(|_| stranger(&lines[0], kind, Duration::from_secs(8)))
        .collect();
    let (code, stderr) = finish(alone, started + Duration::from_secs(15), "process 0 alone");
    let took = started.elapsed();
    eprintln!("{what} strangers, process 0 alone with --connect-timeout 3: exit {code} after {took:?}");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        took < Duration::from_secs(5),
        "{what} strangers stretched a 3 s formation to {took:?}"
    );
    assert!(
        stderr.contains(&format!("process 1 ({}) did not connect", lines[1])),
        "{stderr}"
    );
    assert!(
        stderr.contains("refused a connection from 127.0.0.1:"),
        "{what} strangers are noted: {stderr}"
    );

    let started = Instant::now();
    let first = spawn_member(&args, &hosts, 0, 1, 10);
    let _strangers: Vec<_> = (0..5)
        .map(|_| stranger(&lines[0], kind, Duration::from_secs(15)))
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let second = spawn_member(&args, &hosts, 1, 1, 10);
    for (p, child) in [first, second].into_iter().enumerate() {
        let (code, stderr) = finish(child, started + Duration::from_secs(30), &format!("process {p}"));
        assert_eq!(code, 0, "process {p} with {what} strangers: {stderr}");
    }
    let took = started.elapsed();
    eprintln!("{what} strangers, real peer present: both done after {took:?}");
    assert!(
        took < Duration::from_secs(10),
        "{what} strangers delayed the run to {took:?}"
    );
    assert!(out.join("ranks/_SUCCESS").exists());
}

#[test]
fn silent_clients_cannot_hold_the_formation() {
    strangers_cannot_hold_the_formation(Stranger::Silent, "silent");
}

#[test]
fn slow_clients_cannot_hold_the_formation() {
    strangers_cannot_hold_the_formation(Stranger::Slow, "slow");
}

#[test]
fn garbage_is_dropped_and_noted_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = hosts_file(dir.path(), 2);
    let lines = host_lines(&hosts);
    let urls = urls();
    let out = dir.path().join("out");
    let args = ["-q", &urls, "-o", out.to_str().unwrap()];
    let started = Instant::now();
    let first = spawn_member(&args, &hosts, 0, 1, 10);
    let garbage: [&[u8]; 4] = [
        b"GET / HTTP/1.1\r\nHost: crawlrank\r\n\r\n",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
        // a greeting from process 7 of a 2-process cluster
        b"CRWLRNK2\x00\x00\x00\x07\x00\x00\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x20",
        // half a greeting, then closed
        b"CRWLRNK2\x00\x00",
    ];
    for bytes in garbage {
        let mut stream = connect_when_listening(&lines[0]);
        stream.write_all(bytes).unwrap();
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        assert!(answer.is_empty(), "garbage gets no answer: {answer:?}");
    }
    let second = spawn_member(&args, &hosts, 1, 1, 10);
    let (code, stderr) = finish(first, started + Duration::from_secs(30), "process 0");
    assert_eq!(code, 0, "{stderr}");
    for expected in [
        "not a crawlrank greeting (it began with \"GET / HT\")",
        "it says it is process 7, which does not dial process 0 in a cluster of 2",
        "sent half a greeting (closed after 2 of 41 bytes)",
    ] {
        assert!(stderr.contains(expected), "noted: {expected}: {stderr}");
    }
    assert_eq!(
        stderr.matches("not a crawlrank greeting").count(),
        2,
        "the HTTP request and the TLS hello: {stderr}"
    );
    let (code, stderr) = finish(second, started + Duration::from_secs(30), "process 1");
    assert_eq!(code, 0, "{stderr}");
    assert!(out.join("ranks/_SUCCESS").exists());
}

#[test]
fn a_process_with_another_secret_is_refused_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = hosts_file(dir.path(), 2);
    let lines = host_lines(&hosts);
    let urls = urls();
    let out = dir.path().join("out");
    let args = ["-q", &urls, "-o", out.to_str().unwrap()];
    let started = Instant::now();
    let first = spawn_member(&args, &hosts, 0, 1, 15);
    // A crawlrank process with another secret posing as process 1 (from another address:
    // the real process 1 needs its own).
    let impostor_hosts = dir.path().join("impostor-hosts");
    std::fs::write(
        &impostor_hosts,
        format!("{}\n127.0.0.1:{}\n", lines[0], free_ports(1)[0]),
    )
    .unwrap();
    let impostor_out = dir.path().join("impostor");
    let impostor = member_command(
        &["-q", &urls, "-o", impostor_out.to_str().unwrap()],
        &impostor_hosts,
        1,
        1,
        3,
    )
    .env("CRAWLRANK_SECRET", "not the cluster's secret")
    .spawn()
    .unwrap();
    let (code, stderr) = finish(impostor, started + Duration::from_secs(15), "the impostor");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("process 0 at {} answered but did not authenticate", lines[0]))
            && stderr.contains("do all processes use the same secret"),
        "the impostor is told why: {stderr}"
    );
    let mut first = first;
    assert!(
        first.try_wait().unwrap().is_none(),
        "process 0 is still waiting for the real process 1"
    );
    let second = spawn_member(&args, &hosts, 1, 1, 15);
    let (code, stderr) = finish(first, started + Duration::from_secs(30), "process 0");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("did not answer the challenge (a process with another secret, or not crawlrank)"),
        "process 0 notes the impostor: {stderr}"
    );
    let (code, stderr) = finish(second, started + Duration::from_secs(30), "process 1");
    assert_eq!(code, 0, "{stderr}");
    assert!(out.join("ranks/_SUCCESS").exists());
    assert!(!impostor_out.join("ranks").exists(), "the impostor ranked nothing");
}

/// Accepts one connection on `listener` and forwards it both ways to `target`; returns what
/// the client sent.
fn recording_proxy(listener: TcpListener, target: String) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let (mut client, _) = listener.accept().unwrap();
        let mut server = TcpStream::connect(&target).unwrap();
        let (mut from_server, mut to_client) = (server.try_clone().unwrap(), client.try_clone().unwrap());
        let back = std::thread::spawn(move || {
            let _ = std::io::copy(&mut from_server, &mut to_client);
            let _ = to_client.shutdown(std::net::Shutdown::Write);
        });
        let mut recorded = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(n) = client.read(&mut buffer) {
            if n == 0 || server.write_all(&buffer[..n]).is_err() {
                break;
            }
            recorded.extend_from_slice(&buffer[..n]);
        }
        let _ = server.shutdown(std::net::Shutdown::Write);
        let _ = back.join();
        recorded
    })
}

#[test]
fn a_replayed_greeting_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = hosts_file(dir.path(), 2);
    let lines = host_lines(&hosts);
    let urls = urls();
    let out = dir.path().join("out");
    let args = ["-q", &urls, "-o", out.to_str().unwrap()];

    // Record a real process 1 greeting process 0 through a proxy. Process 1 reaches process 0
    // at the proxy's address, so its hosts file differs: the two authenticate each other,
    // then refuse to run different jobs, and the recording holds a genuine, authenticated
    // greeting.
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxied_hosts = dir.path().join("proxied-hosts");
    std::fs::write(
        &proxied_hosts,
        format!("{}\n{}\n", proxy.local_addr().unwrap(), lines[1]),
    )
    .unwrap();
    let started = Instant::now();
    let first = spawn_member(&args, &hosts, 0, 1, 10);
    connect_when_listening(&lines[0]);
    let recording = recording_proxy(proxy, lines[0].clone());
    let second = spawn_member(&args, &proxied_hosts, 1, 1, 10);
    let (code, stderr) = finish(first, started + Duration::from_secs(20), "process 0 (recorded)");
    assert_eq!(code, 2);
    assert!(
        stderr.contains(&format!(
            "process 1 ({}) runs a different job: hosts file differs",
            lines[1]
        )),
        "the recorded greeting was authenticated: {stderr}"
    );
    let (code, stderr) = finish(second, started + Duration::from_secs(20), "process 1 (recorded)");
    assert_eq!(code, 2);
    assert!(stderr.contains("runs a different job: hosts file differs"), "{stderr}");
    let recorded = recording.join().unwrap();
    assert!(recorded.starts_with(b"CRWLRNK2\0\0\0\x01\0\0\0\0\0"), "{recorded:?}");

    // Replay it to a new process 0: it answers the hello with a fresh challenge, and closes
    // without a verdict (an accepted greeting gets one byte).
    let started = Instant::now();
    let first = spawn_member(&args, &hosts, 0, 1, 15);
    // The recorded hello (49 bytes), then, after the fresh challenge (104 bytes), the
    // recorded answer (64 bytes).
    let mut replay = connect_when_listening(&lines[0]);
    replay.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    replay.write_all(&recorded[..49]).unwrap();
    let mut challenge = [0u8; 104];
    replay.read_exact(&mut challenge).unwrap();
    assert!(challenge.starts_with(b"CRWLRNK2"), "{challenge:?}");
    replay.write_all(&recorded[49..49 + 64]).unwrap();
    let mut verdict = Vec::new();
    replay.read_to_end(&mut verdict).unwrap();
    assert!(verdict.is_empty(), "no verdict: the replay is refused ({verdict:?})");
    // The replay took no place: the real process 1 joins and the run succeeds.
    let second = spawn_member(&args, &hosts, 1, 1, 15);
    let (code, stderr) = finish(first, started + Duration::from_secs(30), "process 0");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("claims to be process 1 but failed authentication: another secret, or a replayed greeting"),
        "{stderr}"
    );
    let (code, stderr) = finish(second, started + Duration::from_secs(30), "process 1");
    assert_eq!(code, 0, "{stderr}");
    assert!(out.join("ranks/_SUCCESS").exists());
}

#[cfg(unix)]
#[test]
fn a_stopped_peer_ends_the_run_on_the_others_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("g.tsv");
    generate_rmat(&graph, 14);
    let out = dir.path().join("out");
    let hosts = hosts_file(dir.path(), 3);
    let args = [
        "-q",
        graph.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--tol",
        "0",
        "--max-iter",
        "100000000",
        "--peer-timeout",
        "3",
    ];
    let mut children: Vec<Child> = (0..3).map(|p| spawn_member(&args, &hosts, p, 1, 20)).collect();
    // Connected and iterating for a while (longer than the peer timeout: busy is not silent).
    std::thread::sleep(Duration::from_secs(4));
    for (p, child) in children.iter_mut().enumerate() {
        assert!(child.try_wait().unwrap().is_none(), "process {p} runs before the stop");
    }
    let signal = |signal: &str, child: &Child| {
        let status = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal}");
    };
    signal("-STOP", &children[2]);
    let stopped_at = Instant::now();
    let mut stopped = children.pop().unwrap();
    let third = host_lines(&hosts)[2].clone();
    for (p, child) in children.into_iter().enumerate() {
        let (code, stderr) = finish(child, stopped_at + Duration::from_secs(13), &format!("process {p}"));
        eprintln!("process {p} exited {code} {:?} after the stop", stopped_at.elapsed());
        assert_eq!(code, 3, "process {p}: {stderr}");
        assert!(
            stderr.contains(&format!("process 2 ({third}) has sent nothing"))
                || stderr.contains(&format!("process 2 ({third}) is silent")),
            "process {p} names the stopped process: {stderr}"
        );
        assert!(
            !stderr.contains("lost the connection"),
            "process {p} blames nobody else: {stderr}"
        );
    }
    assert!(!out.join("ranks/_SUCCESS").exists(), "no _SUCCESS after a failed run");
    let _ = stopped.kill();
    signal("-CONT", &stopped);
    let _ = stopped.wait();
}

#[test]
fn a_short_peer_timeout_does_not_end_a_busy_run() {
    // 2000 iterations on R-MAT 17 keep three single-worker processes busy for several times
    // the peer timeout (about 7 s on two cores); their heartbeats go on all the same, and
    // processes that finish first are not taken for silent ones.
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("g.tsv");
    generate_rmat(&graph, 17);
    let graph = graph.to_str().unwrap();
    let out = dir.path().join("out");
    let started = Instant::now();
    let extra = ["--peer-timeout", "2", "--tol", "0", "--max-iter", "2000"];
    run_cluster(&[graph], &out, 3, 1, &extra);
    let took = started.elapsed();
    eprintln!("three processes with --peer-timeout 2: {took:?}");
    assert!(
        took > Duration::from_secs(2),
        "the run outlasts the peer timeout ({took:?})"
    );
    assert!(out.join("ranks/_SUCCESS").exists());
}

#[test]
fn the_same_names_with_other_contents_are_refused_before_ranking() {
    // Two "machines": each process runs in a folder of its own and reads `crawl/` there.
    let dir = tempfile::tempdir().unwrap();
    let hosts = hosts_file(dir.path(), 2);
    let lines = host_lines(&hosts);
    let machines = [dir.path().join("m0"), dir.path().join("m1")];
    for (m, machine) in machines.iter().enumerate() {
        let crawl = machine.join("crawl");
        std::fs::create_dir_all(&crawl).unwrap();
        std::fs::write(crawl.join("a.tsv"), "1 2\n2 3\n").unwrap();
        // same size, other contents
        std::fs::write(crawl.join("b.tsv"), if m == 0 { "3 4\n4 5\n" } else { "3 4\n4 6\n" }).unwrap();
        // another size
        std::fs::write(crawl.join("c.tsv"), if m == 0 { "5 6\n" } else { "5 6\n6 7\n" }).unwrap();
    }
    let started = Instant::now();
    let children: Vec<Child> = machines
        .iter()
        .enumerate()
        .map(|(p, machine)| {
            member_command(&["-q", "crawl/", "-o", "out"], &hosts, p, 1, 10)
                .current_dir(machine)
                .spawn()
                .unwrap()
        })
        .collect();
    for (p, child) in children.into_iter().enumerate() {
        let (code, stderr) = finish(child, started + Duration::from_secs(20), &format!("process {p}"));
        assert_eq!(code, 2, "{stderr}");
        let other = 1 - p;
        assert!(
            stderr.contains(&format!("process {other} ({}) runs a different job", lines[other]))
                && stderr.contains("input crawl/b.tsv differs in contents")
                && stderr.contains(if p == 0 {
                    "input crawl/c.tsv differs in size (4 bytes here, 8 bytes there)"
                } else {
                    "input crawl/c.tsv differs in size (8 bytes here, 4 bytes there)"
                })
                && !stderr.contains("a.tsv"),
            "process {p} says which inputs differ: {stderr}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused at once, not at the timeout"
    );
    for machine in &machines {
        assert!(!machine.join("out/ranks").exists(), "nothing was ranked");
    }
}
