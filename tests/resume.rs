//! Long runs survive: `--checkpoint-every N` then SIGKILL then `--resume` ends with the same
//! bytes as a run never interrupted, from text and from a streamed store; the previous
//! complete result is never lost; a checkpoint of another run is refused.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;

use common::{crawlrank, result_files, summary};

const BIN: &str = env!("CARGO_BIN_EXE_crawlrank");

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(args: &[&str]) {
    let (code, _, stderr) = crawlrank(args);
    assert_eq!(code, 0, "{args:?}: {stderr}");
}

/// Starts `rank ARGS --checkpoint-every EVERY`, waits for its first checkpoint and kills it
/// with SIGKILL. Returns whether it was killed before it finished.
fn kill_after_checkpoint(args: &[&str], every: usize, checkpoint: &Path) -> bool {
    let mut child = Command::new(BIN)
        .arg("rank")
        .args(args)
        .args(["--checkpoint-every", &every.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !checkpoint.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before writing a checkpoint");
        }
        assert!(Instant::now() < deadline, "no checkpoint after 120 s");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    !status.success()
}

#[test]
fn a_run_killed_after_a_checkpoint_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let rmat = tmp.path().join("rmat17.tsv");
    common::generate_rmat(&rmat, 17);
    let store = tmp.path().join("r.store");
    ok(&["build", "-q", "--shards", "3", "-o", s(&store), s(&rmat)]);
    let long = ["--tol", "0", "--max-iter", "600", "--shards", "3"];
    let full = tmp.path().join("full");
    let mut args = vec!["rank", "-q", "-o", s(&full), s(&rmat)];
    args.extend_from_slice(&long);
    ok(&args);
    for (name, input, extra) in [
        ("text", s(&rmat), &long[..]),
        (
            "streamed",
            s(&store),
            &["--tol", "0", "--max-iter", "600", "--memory", "1B"][..],
        ),
    ] {
        let out = tmp.path().join(name);
        // A previous complete result is in the folder: the kill must not lose it.
        ok(&[
            "rank",
            "-q",
            "-o",
            s(&out),
            s(&rmat),
            "--shards",
            "3",
            "--max-iter",
            "5",
            "--tol",
            "0",
        ]);
        let previous = result_files(&out);
        let checkpoint = tmp.path().join(format!("{name}.checkpoint"));
        let mut args = vec!["-q", "-o", s(&out), input];
        args.extend_from_slice(extra);
        assert!(kill_after_checkpoint(&args, 40, &checkpoint), "{name}: killed mid-run");
        assert_eq!(result_files(&out), previous, "{name}: the previous result is whole");
        let mut resume = vec!["rank"];
        resume.extend_from_slice(&args);
        resume.push("--resume");
        ok(&resume);
        common::assert_same_result(&full, &out, &format!("{name}: resumed"));
        let record = &summary(&out)["checkpoint"];
        let after = record["resumed_after"].as_u64().unwrap();
        assert!(
            after >= 40 && after.is_multiple_of(40) && after < 600,
            "{name}: {record}"
        );
        assert_eq!(summary(&out)["iterations_run"], 600);
        assert!(
            !checkpoint.exists(),
            "{name}: the checkpoint goes once the result is written"
        );
    }
}

#[test]
fn resume_refuses_another_run_and_goes_on_with_a_larger_max_iter() {
    let tmp = tempfile::tempdir().unwrap();
    let rmat = tmp.path().join("rmat15.tsv");
    common::generate_rmat(&rmat, 15);
    let out = tmp.path().join("out");
    let checkpoint = tmp.path().join("out.checkpoint");
    // Nothing to resume from.
    let (code, _, err) = crawlrank(&["rank", "-q", "-o", s(&out), s(&rmat), "--resume"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("out.checkpoint") && err.contains("no checkpoint"), "{err}");
    // A run that stops at --max-iter 30 with checkpoints every 10 leaves one at 20; resuming
    // it with --max-iter 50 is the run of 50 made at once.
    let base = ["-q", "-o", s(&out), s(&rmat), "--tol", "0"];
    let mut args = vec!["rank"];
    args.extend_from_slice(&base);
    args.extend_from_slice(&["--max-iter", "30", "--checkpoint-every", "10"]);
    let (code, _, err) = crawlrank(&args);
    assert_eq!(code, 0, "{err}");
    assert!(!checkpoint.exists(), "removed after the result");
    // Kill one mid-run to keep a checkpoint.
    let mut kill_args = base.to_vec();
    kill_args.extend_from_slice(&["--max-iter", "100000"]);
    assert!(kill_after_checkpoint(&kill_args, 10, &checkpoint));
    // Other parameters: refused, naming the checkpoint, and the checkpoint kept.
    for other in [&["--damping", "0.9"][..], &["--precision", "f32"], &["--shards", "2"]] {
        let mut args = vec!["rank"];
        args.extend_from_slice(&base);
        args.extend_from_slice(&["--max-iter", "100000", "--resume"]);
        args.extend_from_slice(other);
        let (code, _, err) = crawlrank(&args);
        assert_eq!(code, 2, "{other:?}: {err}");
        assert!(
            err.contains("out.checkpoint") && err.contains("another graph or other parameters"),
            "{err}"
        );
        assert!(checkpoint.exists());
    }
    let after = {
        let bytes = std::fs::read(&checkpoint).unwrap();
        u64::from_le_bytes(bytes[16..24].try_into().unwrap())
    };
    let target = (after + 25).to_string();
    let mut args = vec!["rank"];
    args.extend_from_slice(&base);
    args.extend_from_slice(&["--max-iter", &target, "--resume"]);
    ok(&args);
    let at_once = tmp.path().join("once");
    ok(&[
        "rank",
        "-q",
        "-o",
        s(&at_once),
        s(&rmat),
        "--tol",
        "0",
        "--max-iter",
        &target,
    ]);
    common::assert_same_result(&at_once, &out, "resumed with a larger --max-iter");
    // --resume with --init, and --checkpoint-every 0, are refused.
    let (code, _, _) = crawlrank(&["rank", "-q", "-o", s(&out), s(&rmat), "--resume", "--init", s(&at_once)]);
    assert_eq!(code, 2);
    let (code, _, err) = crawlrank(&["rank", "-q", "-o", s(&out), s(&rmat), "--checkpoint-every", "0"]);
    assert_eq!(code, 2, "{err}");
}
