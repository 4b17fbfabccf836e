//! Results you can trust, tried on the binary: a run killed or failing at every step of its
//! commit leaves the previous complete result or the new one (byte for byte), a second run
//! into the same folder is refused, folders crawlrank did not write are left alone, a full
//! disk (a real tmpfs) loses nothing, and a distributed run's commit holds the same promises.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A folder's files: relative path → bytes (folders as `None`), the run's staging
/// folders and lock files excluded (a dead run's staging is removed by the next run).
type Tree = BTreeMap<String, Option<Vec<u8>>>;

fn snapshot(dir: &Path) -> Tree {
    fn walk(root: &Path, dir: &Path, tree: &mut Tree) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let name = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if name.starts_with(".crawlrank-staging-") {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                tree.insert(name, None);
                walk(root, &path, tree);
            } else {
                tree.insert(name, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut tree = Tree::new();
    walk(dir, dir, &mut tree);
    tree
}

/// Runs crawlrank with `args` and the environment `env`; returns (code, stderr).
fn run_with(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let child = command.spawn().unwrap();
    finish(child, Instant::now() + Duration::from_secs(120), &format!("{args:?}"))
}

/// The previous result: URL graph, default damping, with charts.
fn rank_previous(out: &Path) {
    let (code, err) = run_with(
        &["rank", "-q", "--plots", "-o", out.to_str().unwrap(), &data("urls.tsv")],
        &[],
    );
    assert_eq!(code, 0, "{err}");
}

/// The new run's arguments: other ranks (damping 0.5), other shard count, no charts.
fn new_args(out: &Path) -> Vec<String> {
    strings(&[
        "rank",
        "-q",
        "--damping",
        "0.5",
        "--shards",
        "2",
        "-o",
        out.to_str().unwrap(),
        &data("urls.tsv"),
    ])
}

/// Whether `tree` is a complete result of the new run, whose part files are `parts`.
fn is_new_result(tree: &Tree, parts: &Tree) -> bool {
    let ranks: Tree = tree
        .iter()
        .filter(|(k, _)| k.starts_with("ranks/part-"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let summary = tree.get("summary.json").cloned().flatten().unwrap_or_default();
    let summary: serde_json::Value = serde_json::from_slice(&summary).unwrap_or_default();
    &ranks == parts
        && tree.contains_key("ranks/_SUCCESS")
        && summary["parameters"]["damping"] == 0.5
        && !tree.contains_key("plots")
        && !tree.keys().any(|k| k.starts_with(".crawlrank-previous"))
}

/// The part files of the new run in a folder of its own.
fn new_parts(dir: &Path) -> Tree {
    let out = dir.join("reference");
    let args = new_args(&out);
    let (code, err) = run_with(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert_eq!(code, 0, "{err}");
    snapshot(&out)
        .into_iter()
        .filter(|(k, _)| k.starts_with("ranks/part-"))
        .collect()
}

#[test]
fn a_run_killed_at_any_step_of_its_commit_leaves_one_complete_result() {
    let dir = tempfile::tempdir().unwrap();
    let parts = new_parts(dir.path());
    let (mut old, mut new) = (0, 0);
    for step in 0.. {
        let out = dir.path().join(format!("killed-{step}"));
        rank_previous(&out);
        let before = snapshot(&out);
        let args = new_args(&out);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let fault = format!("abort:{step}");
        let (code, err) = run_with(&args, &[("CRAWLRANK_FAULT", &fault)]);
        if code == 0 {
            assert!(
                is_new_result(&snapshot(&out), &parts),
                "{fault}: the run finished: {err}"
            );
            assert!(step > 10, "a commit takes more than {step} steps");
            break;
        }
        assert_ne!(code, 2, "{fault}: killed, not failed: {err}");
        // What a reader finds before the next run: _SUCCESS only over a whole result.
        let found = snapshot(&out);
        if found.contains_key("ranks/_SUCCESS") {
            assert!(
                found == before
                    || is_new_result(&found, &parts)
                    || found.keys().any(|k| k.starts_with(".crawlrank-previous")),
                "{fault}: a sealed mixture: {:?}",
                found.keys().collect::<Vec<_>>()
            );
        }
        // The next run into the folder sets it right before anything else (here it then
        // fails after ranking, on a seed that is not a node, leaving what it set right).
        let seeds = dir.path().join("seeds.txt");
        std::fs::write(&seeds, "http://nowhere.example/\n").unwrap();
        let (code, err) = run_with(
            &[
                "rank",
                "-q",
                "--personalize",
                seeds.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                &data("urls.tsv"),
            ],
            &[],
        );
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("not in the graph"), "{err}");
        let after = snapshot(&out);
        if after == before {
            old += 1;
        } else {
            assert!(
                is_new_result(&after, &parts),
                "{fault}: neither result: {:?}",
                after.keys().collect::<Vec<_>>()
            );
            new += 1;
        }
    }
    assert!(old > 5 && new > 0, "both outcomes occurred: {old} previous, {new} new");
}

#[test]
fn a_run_failing_at_any_step_of_its_commit_restores_the_previous_result_exactly() {
    let dir = tempfile::tempdir().unwrap();
    for step in 0.. {
        let out = dir.path().join(format!("failed-{step}"));
        rank_previous(&out);
        let before = snapshot(&out);
        let args = new_args(&out);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let fault = format!("fail:{step}");
        let (code, err) = run_with(&args, &[("CRAWLRANK_FAULT", &fault)]);
        let after = snapshot(&out);
        if code == 0
            && !after
                .keys()
                .any(|k| k.starts_with(".crawlrank-previous") || k.starts_with(".crawlrank-trash"))
        {
            break; // past the last step
        }
        if code == 0 {
            continue; // a last step (removing the set-aside result) failed: the new one stands
        }
        assert_eq!(code, 2, "{fault}: {err}");
        assert!(
            err.contains("injected failure") && (err.contains("restored") || err.contains("left as it was")),
            "{fault}: {err}"
        );
        assert_eq!(after, before, "{fault}: the previous result, byte for byte");
        assert!(step < 100, "the commit never finished");
    }
}

/// Starts a run into `out` that iterates until it is killed, and returns once it holds the
/// folder's lock (`lock` names its pid).
fn spawn_endless(out: &str, graph: &Path, lock: &Path) -> std::process::Child {
    let child = spawn(&strings(&[
        "rank",
        "-q",
        "--tol",
        "0",
        "--max-iter",
        "100000000",
        "-o",
        out,
        graph.to_str().unwrap(),
    ]));
    let waited = Instant::now();
    while !std::fs::read_to_string(lock).is_ok_and(|t| t.contains(&format!("pid {}\n", child.id()))) {
        assert!(waited.elapsed() < Duration::from_secs(20), "the run takes the lock");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn a_second_run_into_the_same_folder_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("g.tsv");
    generate_rmat(&graph, 14);
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let (code, err) = run_with(&["rank", "-q", "-o", o, &data("urls.tsv")], &[]);
    assert_eq!(code, 0, "{err}");
    let lock = dir.path().join(".out.crawlrank-lock");
    // A run that goes on until it is killed.
    let mut long = spawn_endless(o, &graph, &lock);
    let started = Instant::now();
    let (code, err) = run_with(&["rank", "-q", "-o", o, &data("urls.tsv")], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "refused at once");
    let pid = long.id().to_string();
    assert!(
        err.contains("being written by another crawlrank run")
            && err.contains(&format!("pid {pid}"))
            && err.contains(" s ago"),
        "names the other run: {err}"
    );
    // A redraw of the charts, which writes into the folder too, is refused as well.
    let (code, err) = run_with(&["plot", o], &[]);
    assert_eq!(code, 2, "{err}");
    // With --wait, a run waits for the lock instead, and says so.
    let waiter = spawn(&strings(&["rank", "--wait", "-o", o, &data("urls.tsv")]));
    std::thread::sleep(Duration::from_millis(500));
    long.kill().unwrap();
    long.wait().unwrap();
    let (code, err) = finish(waiter, Instant::now() + Duration::from_secs(30), "the waiting run");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("waiting for the other crawlrank run"), "{err}");
    assert_eq!(summary(&out)["graph"]["nodes"], 4, "the waiting run's result");
    let previous = snapshot(&out);
    // Killed: its lock file stays, but the lock went with the process.
    let mut long = spawn_endless(o, &graph, &lock);
    long.kill().unwrap();
    long.wait().unwrap();
    assert!(lock.exists(), "a killed run cannot remove its lock file");
    assert_eq!(snapshot(&out), previous, "the killed run never committed");
    let (code, err) = run_with(&["rank", "-q", "-o", o, &data("urls.tsv")], &[]);
    assert_eq!(code, 0, "the stale lock of a dead run is taken over: {err}");
    assert!(
        !dir.path().join(".out.crawlrank-lock").exists(),
        "lock files are removed"
    );
}

#[test]
fn folders_crawlrank_did_not_write_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("mine");
    std::fs::create_dir_all(mine.join("ranks")).unwrap();
    std::fs::write(mine.join("ranks/part-00000"), "my Spark output").unwrap();
    std::fs::write(mine.join("notes.txt"), "my notes").unwrap();
    let before = snapshot(&mine);
    let m = mine.to_str().unwrap();
    let (code, err) = run_with(&["rank", "-q", "-o", m, &data("urls.tsv")], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not a crawlrank result folder") && err.contains("--force"),
        "{err}"
    );
    let (code, err) = run_with(&["rank", "-q", "--force", "-o", m, &data("urls.tsv")], &[]);
    assert_eq!(code, 2, "ranks/ is not ours even with --force");
    assert!(err.contains("ranks") && err.contains("did not write"), "{err}");
    assert_eq!(snapshot(&mine), before, "nothing touched");
    // Beside other files, with --force: they stay, and the folder is ours from then on.
    std::fs::remove_dir_all(mine.join("ranks")).unwrap();
    let (code, err) = run_with(&["rank", "-q", "--force", "-o", m, &data("urls.tsv")], &[]);
    assert_eq!(code, 0, "{err}");
    let (code, err) = run_with(&["rank", "-q", "-o", m, &data("urls.tsv")], &[]);
    assert_eq!(code, 0, "a crawlrank result folder needs no --force: {err}");
    assert_eq!(std::fs::read_to_string(mine.join("notes.txt")).unwrap(), "my notes");
    assert!(mine.join("ranks/_SUCCESS").exists());
}

/// Runs `script` as root of a user and mount namespace (`unshare`), where it may mount a
/// tmpfs; `None` when this machine does not allow that.
fn in_mount_namespace(script: &str) -> Option<(i32, String)> {
    let probe = Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            "mount -t tmpfs -o size=1m tmpfs /mnt",
        ])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        other => {
            let why = match other {
                Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            eprintln!("NOT RUN: cannot mount a tmpfs in a user namespace here ({why})");
            return None;
        }
    }
    let output = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", script])
        .output()
        .unwrap();
    Some((
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

/// A full disk, on a real tmpfs: out of blocks while the new part files are written, and
/// out of inodes at every count that lets the first run through. The previous result is
/// kept byte for byte, or the new one is complete. Needs `unshare` with user namespaces;
/// `CRAWLRANK_REQUIRE_TMPFS=1` (set by `.ci/run`) turns "cannot mount" into a failure.
#[test]
fn a_full_disk_never_loses_the_previous_result() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.tsv");
    generate_rmat(&big, 15);
    let d = dir.path().display();
    let (bin, small, big) = (BIN, data("urls.tsv"), big.display());
    // Out of space: 600 KiB holds the small result, not the big one's part files.
    let script = format!(
        "set -e; mkdir {d}/mnt {d}/before {d}/after; mount -t tmpfs -o size=600k tmpfs {d}/mnt
         {bin} rank -q -o {d}/mnt/out {small}
         cp -a {d}/mnt/out/. {d}/before/
         set +e; {bin} rank -q --compress none -o {d}/mnt/out {big} 2> {d}/err; echo $? > {d}/code; set -e
         cp -a {d}/mnt/out/. {d}/after/"
    );
    let Some((code, err)) = in_mount_namespace(&script) else {
        assert!(
            std::env::var_os("CRAWLRANK_REQUIRE_TMPFS").is_none(),
            "CRAWLRANK_REQUIRE_TMPFS is set"
        );
        return;
    };
    assert_eq!(code, 0, "{err}");
    let stderr = std::fs::read_to_string(dir.path().join("err")).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("code")).unwrap().trim(),
        "2",
        "{stderr}"
    );
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert_eq!(
        snapshot(&dir.path().join("after")),
        snapshot(&dir.path().join("before")),
        "the previous result, byte for byte"
    );

    // Out of inodes, at every inode count from where the first run fits.
    let (mut refused, mut replaced) = (0, 0);
    for inodes in 8..40 {
        let base = dir.path().join(format!("inodes-{inodes}"));
        std::fs::create_dir(&base).unwrap();
        let b = base.display();
        let script = format!(
            "mkdir {b}/mnt {b}/before {b}/after; mount -t tmpfs -o size=8m,nr_inodes={inodes} tmpfs {b}/mnt || exit 9
             {bin} rank -q -o {b}/mnt/out {small} 2> {b}/first || exit 0
             cp -a {b}/mnt/out/. {b}/before/
             {bin} rank -q --damping 0.5 --shards 3 -o {b}/mnt/out {small} 2> {b}/err; echo $? > {b}/code
             cp -a {b}/mnt/out/. {b}/after/"
        );
        let (code, err) = in_mount_namespace(&script).expect("it mounted above");
        assert_eq!(code, 0, "{inodes} inodes: {err}");
        let Ok(second) = std::fs::read_to_string(base.join("code")) else {
            continue; // the first run did not fit
        };
        let after = snapshot(&base.join("after"));
        let stderr = std::fs::read_to_string(base.join("err")).unwrap();
        if second.trim() == "0" {
            let summary: serde_json::Value = serde_json::from_slice(after["summary.json"].as_ref().unwrap()).unwrap();
            assert_eq!(summary["parameters"]["damping"], 0.5, "{inodes} inodes");
            assert!(after.contains_key("ranks/_SUCCESS") && after.contains_key("ranks/part-00002.gz"));
            replaced += 1;
        } else {
            assert_eq!(second.trim(), "2", "{inodes} inodes: {stderr}");
            assert!(stderr.contains("No space left on device"), "{inodes} inodes: {stderr}");
            assert_eq!(
                after,
                snapshot(&base.join("before")),
                "{inodes} inodes: the previous result, byte for byte"
            );
            refused += 1;
        }
    }
    assert!(
        refused > 2 && replaced > 0,
        "inode counts that failed the second run: {refused}; that let it through: {replaced}"
    );
}

/// Spawns process `p` of a cluster writing into `out`.
fn member(inputs: &[&str], out: &Path, hosts: &Path, p: usize, extra: &[&str]) -> Child {
    let mut args = vec!["-q", "-o", out.to_str().unwrap()];
    args.extend_from_slice(inputs);
    args.extend_from_slice(extra);
    spawn_member(&args, hosts, p, 1, 20)
}

#[test]
fn a_peer_lost_before_the_commit_leaves_the_previous_result_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("g.tsv");
    generate_rmat(&graph, 15);
    let g = graph.to_str().unwrap();
    let out = dir.path().join("out");
    run_cluster(&[g], &out, 2, 1, &["--max-iter", "5", "--tol", "0"]);
    let before = snapshot(&out);
    assert!(before.contains_key("ranks/_SUCCESS"));
    let hosts = hosts_file(dir.path(), 2);
    let long = ["--tol", "0", "--max-iter", "1000000"];
    let mut children: Vec<Child> = (0..2).map(|p| member(&[g], &out, &hosts, p, &long)).collect();
    std::thread::sleep(Duration::from_secs(3));
    children[1].kill().unwrap();
    let _ = children.pop().unwrap().wait();
    let (code, err) = finish(
        children.pop().unwrap(),
        Instant::now() + Duration::from_secs(30),
        "process 0",
    );
    assert_ne!(code, 0, "{err}");
    let after = snapshot(&out);
    let staged: Vec<String> = after
        .keys()
        .filter(|k| k.starts_with(".crawlrank-process-1"))
        .cloned()
        .collect();
    // The killed process's staging folder stays until that process index runs again.
    let after: Tree = after
        .into_iter()
        .filter(|(k, _)| !k.starts_with(".crawlrank-process-1"))
        .collect();
    assert_eq!(after, before, "the previous result, byte for byte (besides {staged:?})");
    // A second cluster into the folder while one runs: refused by process 0, at once.
    let mut first: Vec<Child> = (0..2).map(|p| member(&[g], &out, &hosts, p, &long)).collect();
    std::thread::sleep(Duration::from_secs(2));
    let other_hosts = hosts_file(dir.path(), 2);
    let started = Instant::now();
    let (code, err) = finish(
        member(&[g], &out, &other_hosts, 0, &long),
        started + Duration::from_secs(10),
        "second cluster",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("being written by another crawlrank run") && err.contains(&format!("pid {}", first[0].id())),
        "{err}"
    );
    for child in &mut first {
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[test]
fn processes_with_folders_of_their_own_commit_their_parts_and_process_0_seals() {
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("g.tsv");
    generate_rmat(&graph, 13);
    let g = graph.to_str().unwrap();
    let local = dir.path().join("local");
    run_local(&[g], &local, &["--shards", "4"]);
    let hosts = hosts_file(dir.path(), 2);
    let outs = [dir.path().join("zero"), dir.path().join("one")];
    for round in 0..2 {
        let children: Vec<Child> = (0..2)
            .map(|p| member(&[g], &outs[p], &hosts, p, &["--shards", "4"]))
            .collect();
        for (p, child) in children.into_iter().enumerate() {
            let (code, err) = finish(child, Instant::now() + Duration::from_secs(60), &format!("process {p}"));
            assert_eq!(code, 0, "round {round}, process {p}: {err}");
        }
    }
    assert!(outs[0].join("ranks/_SUCCESS").exists());
    assert!(
        !outs[1].join("ranks/_SUCCESS").exists(),
        "a member's folder holds only its parts"
    );
    assert!(outs[1].join(".crawlrank").exists(), "and says crawlrank wrote them");
    let mut parts = Tree::new();
    for out in &outs {
        parts.extend(snapshot(out).into_iter().filter(|(k, _)| k.starts_with("ranks/part-")));
    }
    let expected: Tree = snapshot(&local)
        .into_iter()
        .filter(|(k, _)| k.starts_with("ranks/part-"))
        .collect();
    assert_eq!(parts, expected, "together, the local run's part files");
    assert!(
        !snapshot(&outs[0]).keys().any(|k| k.starts_with(".crawlrank-")),
        "nothing left aside or staged"
    );
}

/// Process 0 killed at steps of its commit (as `CRAWLRANK_FAULT=abort:N` does): the member
/// fails (its peer is gone), and the next run into the folder finds the previous result or
/// the new one, whole.
#[test]
fn process_0_killed_while_committing_leaves_one_complete_result() {
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("g.tsv");
    generate_rmat(&graph, 12);
    let g = graph.to_str().unwrap();
    let reference = dir.path().join("reference");
    run_local(&[g], &reference, &["--shards", "4", "--damping", "0.5"]);
    let new_parts: Tree = snapshot(&reference)
        .into_iter()
        .filter(|(k, _)| k.starts_with("ranks/part-"))
        .collect();
    let seeds = dir.path().join("seeds.txt");
    std::fs::write(&seeds, "no-such-node\n").unwrap();
    let (mut old, mut new) = (0, 0);
    // Every fourth step, then every step from the moves in on, until the run gets through.
    let steps = (0..20).step_by(4).chain(20..60);
    for step in steps {
        let out = dir.path().join(format!("out-{step}"));
        run_cluster(&[g], &out, 2, 1, &["--shards", "4"]);
        let before = snapshot(&out);
        let hosts = hosts_file(dir.path(), 2);
        let args = [
            "-q",
            "-o",
            out.to_str().unwrap(),
            g,
            "--shards",
            "4",
            "--damping",
            "0.5",
        ];
        let mut zero = Command::new(BIN);
        zero.args(["rank"])
            .args(args)
            .args(["--hosts", hosts.to_str().unwrap(), "--process", "0", "--workers", "1"])
            .env("CRAWLRANK_FAULT", format!("abort:{step}"))
            .env("CRAWLRANK_SECRET", TEST_SECRET)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let zero = zero.spawn().unwrap();
        let one = spawn_member(&args, &hosts, 1, 1, 20);
        let deadline = Instant::now() + Duration::from_secs(60);
        let (code, err) = finish(zero, deadline, "process 0");
        let (member_code, member_err) = finish(one, deadline, "process 1");
        if code == 0 {
            assert!(step > 20, "step {step}: the commit has more steps: {err}");
            assert_eq!(member_code, 0, "{member_err}");
            break;
        }
        assert_ne!(
            member_code, 0,
            "step {step}: the member cannot finish without process 0"
        );
        // The next run into the folder sets it right first (then fails on its seeds).
        let (code, err) = run_with(
            &[
                "rank",
                "-q",
                "--personalize",
                seeds.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                g,
            ],
            &[],
        );
        assert_eq!(code, 2, "{err}");
        let after: Tree = snapshot(&out)
            .into_iter()
            .filter(|(k, _)| !k.starts_with(".crawlrank-process-"))
            .collect();
        if after == before {
            old += 1;
        } else {
            let parts: Tree = after
                .iter()
                .filter(|(k, _)| k.starts_with("ranks/part-"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            assert_eq!(parts, new_parts, "step {step}: neither result");
            assert!(after.contains_key("ranks/_SUCCESS"), "step {step}");
            new += 1;
        }
    }
    assert!(old > 0 && new > 0, "both outcomes occurred: {old} previous, {new} new");
}
