//! Distributed runs (`rank --hosts`) on loopback: several real processes of the binary, each
//! under a deadline, compared byte for byte with a local run of the same shard count; and
//! the failures a cluster has: a peer killed mid-run, a peer that never starts.

mod common;

use std::path::Path;
use std::process::Child;
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
