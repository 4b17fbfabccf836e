//! Integration tests: whole `rank` and `stats` runs through the command line, in-process
//! (the real binary, as a user runs it).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crawlrank::input::decode;

const BIN: &str = env!("CARGO_BIN_EXE_crawlrank");

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

mod common;

/// Runs the binary; returns (exit code, stdout, stderr).
fn cli(args: &[&str]) -> (i32, String, String) {
    common::crawlrank(args)
}

/// Runs `rank -q -o DIR/NAME ARGS...`, asserts success and returns the folder.
fn rank_ok(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut full = vec!["rank", "-q", "-o", out.to_str().unwrap()];
    full.extend_from_slice(args);
    let (code, _, err) = cli(&full);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// Decompressed text of a file of any supported compression.
fn text_of(path: &Path) -> String {
    let (_, mut reader) = decode(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    reader.read_to_string(&mut s).unwrap();
    s
}

/// The part files of a result folder, in order, decompressed.
fn parts(dir: &Path) -> Vec<(String, String)> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir.join("ranks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("part-"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), text_of(p)))
        .collect()
}

/// All ranks of a result folder by id.
fn ranks(dir: &Path) -> BTreeMap<String, f64> {
    parts(dir)
        .iter()
        .flat_map(|(_, text)| {
            text.lines()
                .map(|l| l.rsplit_once('\t').unwrap())
                .map(|(id, r)| (id.to_string(), r.parse().unwrap()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A seeded random edge list with integer ids, as text.
fn random_edge_text(seed: u64, nodes: u64, edges: usize) -> String {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    let mut text = String::from("# random graph\n");
    for _ in 0..edges {
        let s = next() % nodes;
        let t = (next() % nodes) * (next() % nodes) / nodes;
        text.push_str(&format!("{}\t{}\n", s * 1000 + 7, t * 1000 + 7));
    }
    text
}

#[test]
fn bundled_default_job_writes_every_result() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = cli(&["rank", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.join("ranks/part-00000.gz").is_file());
    assert!(out.join("ranks/_SUCCESS").is_file());
    let top = std::fs::read_to_string(out.join("top.tsv")).unwrap();
    assert_eq!(top.lines().count(), 101, "header and 100 rows");
    assert!(top.starts_with("position\tid\tpagerank\tin_degree\tout_degree\n1\thttps://"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["inputs"][0]["path"], "graphs/web-sample.tsv.gz");
    assert_eq!(summary["inputs"][0]["compression"], "gzip");
    assert_eq!(summary["ids"], "string");
    assert!(summary["converged"].as_bool().unwrap());
    let r = ranks(&out);
    assert_eq!(r.len() as u64, summary["graph"]["nodes"].as_u64().unwrap());
    assert!((r.values().sum::<f64>() - 1.0).abs() < 1e-9);
    assert_eq!(stdout.lines().count(), 21, "table header and the top 20:\n{stdout}");
    assert!(stderr.contains("converged"), "{stderr}");
}

#[test]
fn compressed_inputs_folders_and_stdin_match_the_plain_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = random_edge_text(11, 3000, 40_000);
    let plain = dir.path().join("g.txt");
    std::fs::write(&plain, &text).unwrap();
    let half_a = &text[..text.len() / 2];
    let half_a = &half_a[..=half_a.rfind('\n').unwrap()];
    let half_b = &text[half_a.len()..];
    assert!(!half_b.is_empty());

    // gzip with two members, as `cat a.gz b.gz` makes.
    let mut gz = Vec::new();
    for half in [half_a, half_b] {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(half.as_bytes()).unwrap();
        gz.extend(e.finish().unwrap());
    }
    std::fs::write(dir.path().join("g.gz.data"), gz).unwrap(); // the name says nothing
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    bz.write_all(text.as_bytes()).unwrap();
    std::fs::write(dir.path().join("g.bz2"), bz.finish().unwrap()).unwrap();
    std::fs::write(
        dir.path().join("g.zst"),
        zstd::stream::encode_all(text.as_bytes(), 3).unwrap(),
    )
    .unwrap();
    // A folder of part files as Spark writes them, with markers to skip.
    let folder = dir.path().join("parts");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("part-00000"), half_a).unwrap();
    std::fs::write(folder.join("part-00001"), half_b).unwrap();
    std::fs::write(folder.join("_SUCCESS"), "").unwrap();
    std::fs::write(folder.join(".part-00000.crc"), "garbage that is not an edge list").unwrap();

    let run = |inputs: &[&str], name: &str| parts(&rank_ok(dir.path(), name, inputs));
    let reference = run(&[plain.to_str().unwrap()], "plain");
    assert!(!reference.is_empty());
    let p = |n: &str| dir.path().join(n).display().to_string();
    assert_eq!(run(&[&p("g.gz.data")], "gzip"), reference, "gzip");
    assert_eq!(run(&[&p("g.bz2")], "bzip2"), reference, "bzip2");
    assert_eq!(run(&[&p("g.zst")], "zstd"), reference, "zstd");
    assert_eq!(run(&[&p("parts")], "folder"), reference, "folder");
    assert_eq!(run(&[&format!("{}/part-*", p("parts"))], "glob"), reference, "glob");

    // Standard input, through the real binary.
    let out = dir.path().join("stdin");
    let mut child = Command::new(BIN)
        .args(["rank", "-", "-q", "-o", out.to_str().unwrap()])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(parts(&out), reference, "stdin");
}

#[test]
fn a_result_folder_reads_back_as_input() {
    // The ranks folder is gzip parts plus `_SUCCESS`; read as input, the marker is skipped and
    // each `id<TAB>rank` line is one two-field line.
    let dir = tempfile::tempdir().unwrap();
    let first = rank_ok(dir.path(), "first", &[&data("urls.tsv")]);
    let (code, stdout, err) = cli(&["stats", first.join("ranks").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("edges            4 "), "{stdout}");
}

#[test]
fn threads_give_byte_identical_part_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("g.txt");
    std::fs::write(&input, random_edge_text(5, 20_000, 200_000)).unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2", "8"] {
        let out = rank_ok(
            dir.path(),
            &format!("t{threads}"),
            &["--shards", "3", "--threads", threads, input.to_str().unwrap()],
        );
        let bytes: Vec<Vec<u8>> = (0..3)
            .map(|s| std::fs::read(out.join(format!("ranks/part-{s:05}.gz"))).unwrap())
            .collect();
        outputs.push(bytes);
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
}

#[test]
fn url_ids_survive_with_their_special_characters() {
    let dir = tempfile::tempdir().unwrap();
    let r = ranks(&rank_ok(dir.path(), "u", &[&data("urls.tsv")]));
    let ids: Vec<&str> = r.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        [
            "http://a.example/",
            "http://b.example/",
            "http://c.example/?x=1&y=2",
            "http://d.example/città"
        ]
    );
}

#[test]
fn every_compression_of_the_output_holds_the_same_ranks() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    for (mode, file) in [
        ("gzip", "part-00000.gz"),
        ("zstd", "part-00000.zst"),
        ("bzip2", "part-00000.bz2"),
        ("none", "part-00000"),
    ] {
        let out = rank_ok(dir.path(), mode, &["--compress", mode, &data("urls.tsv")]);
        assert!(out.join("ranks").join(file).is_file(), "{mode}");
        seen.push(text_of(&out.join("ranks").join(file)));
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn personalization_file_moves_rank_to_the_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = dir.path().join("seeds.txt");
    std::fs::write(&seeds, "# seeds\nhttp://d.example/città\n").unwrap();
    let out = rank_ok(
        dir.path(),
        "p",
        &["--personalize", seeds.to_str().unwrap(), &data("urls.tsv")],
    );
    let r = ranks(&out);
    // d is dangling and the only seed: it keeps at least the teleport share.
    assert!(r["http://d.example/città"] > 0.15, "{r:?}");
    assert_eq!(
        r["http://b.example/"], r["http://c.example/?x=1&y=2"],
        "a splits its rank evenly"
    );
}

/// Runs the binary and checks a failure: exit code 2, one message naming what is wrong.
fn fails(args: &[&str], expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = Command::new(BIN)
        .args(args)
        .args(["-o", out.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    for e in expected {
        assert!(stderr.contains(e), "{args:?}: expected {e:?} in {stderr:?}");
    }
    assert!(
        !out.join("ranks/_SUCCESS").exists(),
        "{args:?} left a result marked complete"
    );
    assert!(!out.join("ranks").exists(), "{args:?} left part files behind");
}

#[test]
fn bad_inputs_fail_with_file_line_and_text() {
    fails(
        &["rank", &data("bad_fields.txt")],
        &["bad_fields.txt:3:", "expected 2 or 3 fields", "\"oops\""],
    );
    fails(
        &["rank", "--weighted", &data("negative_weight.csv")],
        &["negative_weight.csv:2:", "negative", "\"2,3,-1\""],
    );
    fails(
        &["rank", "--weighted", &data("nan_weight.txt")],
        &["nan_weight.txt:2:", "not finite"],
    );
    fails(
        &["rank", "--ids", "int", &data("not_int.txt")],
        &["not_int.txt:2:", "\"x30\" is not an unsigned 64-bit integer"],
    );
    fails(&["rank", &data("empty.tsv")], &["no edges in", "empty.tsv"]);
    fails(&["rank", &data("missing.tsv")], &["missing.tsv: no such file"]);
    fails(
        &["rank", "--damping", "1.5", &data("urls.tsv")],
        &["--damping must be between 0 and 1"],
    );
    fails(
        &["rank", "--threads", "0", &data("urls.tsv")],
        &["--threads must be at least 1"],
    );
    fails(
        &["rank", "--shards", "0", &data("urls.tsv")],
        &["--shards must be at least 1"],
    );
    fails(&["rank", "--sep", "pipe", &data("urls.tsv")], &["invalid value 'pipe'"]);
}

#[test]
fn truncated_gzip_is_reported_not_ranked() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(random_edge_text(3, 5000, 50_000).as_bytes()).unwrap();
    let mut gz = e.finish().unwrap();
    gz.truncate(gz.len() * 2 / 3);
    let path = dir.path().join("cut.gz");
    std::fs::write(&path, gz).unwrap();
    fails(
        &["rank", path.to_str().unwrap()],
        &["cut.gz: the compressed stream is truncated"],
    );
}

#[test]
fn skip_bad_lines_counts_them_in_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = rank_ok(dir.path(), "s", &["--skip-bad-lines", &data("bad_fields.txt")]);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["bad_lines_skipped"], 1);
    assert_eq!(summary["graph"]["edges"], 3);
}

#[test]
fn a_failed_run_leaves_the_previous_result_complete() {
    let dir = tempfile::tempdir().unwrap();
    let out = rank_ok(dir.path(), "r", &[&data("urls.tsv")]);
    let o = out.to_str().unwrap();
    let before = parts(&out);
    let top_before = std::fs::read(out.join("top.tsv")).unwrap();
    // Fails after reading and ranking starts: the seed is not a node.
    let seeds = dir.path().join("seeds.txt");
    std::fs::write(&seeds, "http://nowhere.example/\n").unwrap();
    let (code, _, err) = cli(&[
        "rank",
        "-q",
        "--personalize",
        seeds.to_str().unwrap(),
        "-o",
        o,
        &data("urls.tsv"),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("seeds.txt:1: this node is not in the graph: \"http://nowhere.example/\""),
        "{err}"
    );
    assert_eq!(parts(&out), before);
    assert_eq!(std::fs::read(out.join("top.tsv")).unwrap(), top_before);
    assert!(out.join("ranks/_SUCCESS").exists());
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with(".crawlrank-")),
        "no staging left behind: {names:?}"
    );
}

#[test]
fn stats_reports_counts_and_degrees() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("g.txt");
    std::fs::write(&input, "1 2\n1 2\n2 2\n2 3\n4 1\n").unwrap();
    let (code, stdout, err) = cli(&["stats", "--json", input.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((v["nodes"].as_u64(), v["edges"].as_u64()), (Some(4), Some(4)));
    assert_eq!(v["duplicate_edges"], 1);
    assert_eq!(v["self_loops"], 1);
    assert_eq!(v["dangling_nodes"], 1);
    assert_eq!(v["in_degree"]["max"], 2);
    assert_eq!(v["out_degree"]["top"][0][0], "2");
    let (_, text, _) = cli(&["stats", "--multi", input.to_str().unwrap()]);
    assert!(text.contains("edges            5 (of 5 edge lines)"), "{text}");
    assert!(text.contains("kept as parallel edges"), "{text}");
}

#[test]
fn help_has_examples_and_exits_zero() {
    for sub in ["rank", "stats"] {
        let (code, stdout, _) = cli(&[sub, "--help"]);
        assert_eq!(code, 0);
        assert!(stdout.contains("Examples:"), "{sub}: {stdout}");
    }
}

#[test]
fn broken_pipe_on_stdout_is_not_an_error() {
    let mut child = Command::new(BIN)
        .args(["stats", &data("urls.tsv")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// The GEXF text without its `<description>` line (which names the command).
fn gexf_body(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("<description>"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn export_gexf_rewrites_what_rank_wrote_without_ranking_again() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("crawl.tsv");
    std::fs::copy(data("urls.tsv"), &input).unwrap();
    let first = dir.path().join("ranked.gexf");
    let out = rank_ok(
        dir.path(),
        "r",
        &[
            input.to_str().unwrap(),
            "--gexf",
            first.to_str().unwrap(),
            "--gexf-top",
            "3",
        ],
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["outputs"]["gexf"]["nodes"], 3);
    let again = dir.path().join("again.gexf");
    let args = [
        "export",
        "gexf",
        out.to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
        "--top",
        "3",
        "-q",
    ];
    let (code, _, err) = cli(&args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(gexf_body(&again), gexf_body(&first));

    // The input moved: a clear error, then the new place given after the folder works.
    let moved = dir.path().join("moved.tsv");
    std::fs::rename(&input, &moved).unwrap();
    let (code, _, err) = cli(&args);
    assert_eq!(code, 2);
    assert!(
        err.contains("crawl.tsv: the ranked edge list is no longer there"),
        "{err}"
    );
    let mut with_input = args.to_vec();
    with_input.insert(3, moved.to_str().unwrap());
    let (code, _, err) = cli(&with_input);
    assert_eq!(code, 0, "{err}");
    assert_eq!(gexf_body(&again), gexf_body(&first));

    // A different graph is refused rather than exported with wrong ranks.
    let other = dir.path().join("other.tsv");
    std::fs::write(&other, "http://x.example/\thttp://y.example/\n").unwrap();
    let mut wrong = args.to_vec();
    wrong.insert(3, other.to_str().unwrap());
    let (code, _, err) = cli(&wrong);
    assert_eq!(code, 2);
    assert!(
        err.contains("this node is not in the graph read now; is this the ranked graph?"),
        "{err}"
    );
}

#[test]
fn export_gexf_refuses_an_incomplete_result() {
    let dir = tempfile::tempdir().unwrap();
    let out = rank_ok(dir.path(), "r", &[&data("urls.tsv")]);
    std::fs::remove_file(out.join("ranks/_SUCCESS")).unwrap();
    let (code, _, err) = cli(&["export", "gexf", out.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not a complete crawlrank result (no ranks/_SUCCESS)"),
        "{err}"
    );
    assert!(!out.join("top.gexf").exists());
}

#[test]
fn generate_then_rank_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("g.tsv.gz");
    let (code, _, err) = cli(&[
        "generate",
        "rmat",
        "--scale",
        "10",
        "--seed",
        "3",
        "-o",
        graph.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(code, 0, "{err}");
    let out = rank_ok(dir.path(), "r", &[graph.to_str().unwrap()]);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["graph"]["edges_read"], 16 * 1024);
    assert!(summary["graph"]["nodes"].as_u64().unwrap() <= 1024);
    assert_eq!(summary["inputs"][0]["compression"], "gzip");
}

/// The ranks of a run: every rank finite, summing to 1 within 1e-9 (`f32` shares: 1e-6).
fn checked_ranks(out: &Path) -> BTreeMap<String, f64> {
    let r = ranks(out);
    assert!(r.values().all(|x| x.is_finite() && *x >= 0.0), "{r:?}");
    let sum: f64 = r.values().sum();
    let f32 = common::summary(out)["parameters"]["precision"] == "f32";
    assert!((sum - 1.0).abs() < if f32 { 1e-6 } else { 1e-9 }, "sum {sum}: {r:?}");
    r
}

/// How close the same ranking reached by other weights is: `f64` shares round differently
/// in the last bits; `f32` shares by about 1e-8.
fn tolerance(precision: &str) -> f64 {
    if precision == "f32" { 1e-6 } else { 1e-15 }
}

/// Asserts two results rank every node alike within `tolerance`.
fn assert_close(a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>, tolerance: f64) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (id, x) in a {
        assert!((x - b[id]).abs() <= tolerance, "node {id}: {x} vs {}", b[id]);
    }
}

#[test]
fn subnormal_weight_gives_finite_ranks() {
    let dir = tempfile::tempdir().unwrap();
    let (tiny, one) = (dir.path().join("tiny.txt"), dir.path().join("one.txt"));
    // Node 0's only out-edge weighs 1e-320: it passes all its rank to 1, as with weight 1.
    std::fs::write(&tiny, "0 1 1e-320\n1 0 1\n1 2 3\n2 0 1\n").unwrap();
    std::fs::write(&one, "0 1 1\n1 0 1\n1 2 3\n2 0 1\n").unwrap();
    for precision in ["f64", "f32"] {
        let args = ["--weighted", "--precision", precision];
        let a = checked_ranks(&rank_ok(
            dir.path(),
            "tiny",
            &[&args[..], &[tiny.to_str().unwrap()]].concat(),
        ));
        let b = checked_ranks(&rank_ok(
            dir.path(),
            "one",
            &[&args[..], &[one.to_str().unwrap()]].concat(),
        ));
        assert_close(&a, &b, tolerance(precision));
    }
}

#[test]
fn huge_out_weights_do_not_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let (huge, one) = (dir.path().join("huge.txt"), dir.path().join("one.txt"));
    // Two 1e308 weights from node 0 sum beyond f64::MAX; they split its rank evenly, as two
    // weights of 1 do. Node 2's 1e300 weights are f32's underflow case (shares of 1e-300).
    std::fs::write(&huge, "0 1 1e308\n0 2 1e308\n1 0 1\n2 0 1e300\n2 1 3e300\n").unwrap();
    std::fs::write(&one, "0 1 1\n0 2 1\n1 0 1\n2 0 1\n2 1 3\n").unwrap();
    for precision in ["f64", "f32"] {
        let args = ["--weighted", "--precision", precision];
        let a = checked_ranks(&rank_ok(
            dir.path(),
            "huge",
            &[&args[..], &[huge.to_str().unwrap()]].concat(),
        ));
        let b = checked_ranks(&rank_ok(
            dir.path(),
            "one",
            &[&args[..], &[one.to_str().unwrap()]].concat(),
        ));
        assert_close(&a, &b, tolerance(precision));
        let summary = common::summary(&dir.path().join("huge"));
        assert_eq!(summary["graph"]["dangling_nodes"], 0, "{precision}");
    }
}

#[test]
fn huge_personalization_values_normalise() {
    let dir = tempfile::tempdir().unwrap();
    let edges = dir.path().join("edges.txt");
    std::fs::write(&edges, "0 1\n1 2\n2 0\n2 3\n").unwrap();
    let (huge, small) = (dir.path().join("huge.txt"), dir.path().join("small.txt"));
    std::fs::write(&huge, "0 1e308\n1 1e308\n1 1e308\n3 1e-320\n").unwrap();
    std::fs::write(&small, "0 1\n1 2\n").unwrap();
    let a = checked_ranks(&rank_ok(
        dir.path(),
        "huge",
        &["--personalize", huge.to_str().unwrap(), edges.to_str().unwrap()],
    ));
    let b = checked_ranks(&rank_ok(
        dir.path(),
        "small",
        &["--personalize", small.to_str().unwrap(), edges.to_str().unwrap()],
    ));
    // Node 3's 1e-320 is about 1e-628 of the total: nothing.
    assert_close(&a, &b, 1e-15);
    std::fs::write(&small, "0 0\n1 0\n").unwrap();
    fails(
        &[
            "rank",
            "--personalize",
            small.to_str().unwrap(),
            edges.to_str().unwrap(),
        ],
        &["personalization weights sum to zero"],
    );
}

#[test]
fn threads_beyond_limit_is_an_error() {
    let limit = crawlrank::jobs::max_threads();
    let too_many = (limit + 1).to_string();
    fails(
        &["rank", "--threads", &too_many, &data("urls.tsv")],
        &["--threads must be at most", &format!("{limit}"), &too_many],
    );
    let (code, _, err) = cli(&["stats", "--threads", "20000", &data("urls.tsv")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--threads must be at most"), "{err}");
    let (code, out, _) = cli(&["rank", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("at most 8 per core"), "{out}");
}

#[test]
fn shards_beyond_node_count_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let edges = dir.path().join("edges.txt");
    std::fs::write(&edges, "0 1\n1 2\n2 0\n2 3\n").unwrap();
    let edges = edges.to_str().unwrap();
    for shards in ["5", "1000000", "4294967295", &usize::MAX.to_string()] {
        fails(
            &["rank", "--shards", shards, edges],
            &["--shards must be at most", "65536", &format!("not {shards}")],
        );
    }
    fails(&["rank", "--shards", "5", edges], &["node count, 4"]);
    // Exactly the node count is fine.
    let out = rank_ok(dir.path(), "four", &["--shards", "4", edges]);
    assert_eq!(parts(&out).len(), 4);
}

/// Regression (issue 13): an id holding a quoted tab was written as a three-field part-file
/// line, and `top.tsv` replaced bytes that are not UTF-8 with U+FFFD. Ids from a CSV input
/// with a tab, quotes, a carriage return, a comma and bad UTF-8 now go through `rank`, then
/// `export gexf` (which looks every part-file id up in the graph read again) and `plot`
/// (which reads `top.tsv`), and read back with their bytes.
#[test]
fn issue13_csv_ids_with_tabs_quotes_and_bad_utf8_read_back_identically() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tricky.csv");
    let csv: &[u8] = b"\"tab\there\",plain\n\
        \"say \"\"hi\"\"\",plain\n\
        \"\"\"lead\",\"tab\there\"\n\
        \"cr\rin\",NA\n\
        \"comma,inside\",bad\xff\xfeutf8\n\
        https://a.example/?q=1,\"\"\"lead\"\n\
        NA,nan\n\
        plain,12345\n";
    std::fs::write(&input, csv).unwrap();
    let expected: Vec<&[u8]> = vec![
        b"tab\there",
        b"plain",
        b"say \"hi\"",
        b"\"lead",
        b"cr\rin",
        b"NA",
        b"comma,inside",
        b"bad\xff\xfeutf8",
        b"https://a.example/?q=1",
        b"nan",
        b"12345",
    ];
    let out = rank_ok(
        dir.path(),
        "r",
        &[
            "--sep",
            "comma",
            "--compress",
            "none",
            "--shards",
            "2",
            input.to_str().unwrap(),
        ],
    );

    // Part files: quoted where needed, every other id (bad UTF-8 too) byte for byte.
    let mut parts = Vec::new();
    for name in ["part-00000", "part-00001"] {
        parts.extend(std::fs::read(out.join("ranks").join(name)).unwrap());
    }
    let has = |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
    for line in [
        &b"\"tab\there\"\t"[..],
        b"\"say \"\"hi\"\"\"\t",
        b"\"\"\"lead\"\t",
        b"\"cr\rin\"\t",
        b"\ncomma,inside\t",
        b"\nbad\xff\xfeutf8\t",
        b"\nNA\t",
    ] {
        assert!(
            has(&parts, line),
            "{:?} missing from the part files",
            String::from_utf8_lossy(line)
        );
    }
    assert_eq!(parts.iter().filter(|&&b| b == b'\n').count(), expected.len());

    // top.tsv gives back every id's bytes.
    let top = crawlrank::output::read_top(&out.join("top.tsv")).unwrap();
    let mut ids: Vec<Vec<u8>> = top.into_iter().map(|r| r.id).collect();
    ids.sort();
    let mut sorted: Vec<Vec<u8>> = expected.iter().map(|id| id.to_vec()).collect();
    sorted.sort();
    assert_eq!(ids, sorted);

    // export gexf finds every part-file id in the graph it reads again.
    let gexf = dir.path().join("tricky.gexf");
    let (code, _, err) = cli(&[
        "export",
        "gexf",
        out.to_str().unwrap(),
        "-o",
        gexf.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(code, 0, "{err}");
    let xml = std::fs::read_to_string(&gexf).unwrap();
    assert!(xml.contains("label=\"tab&#9;here\""), "{xml}");
    assert!(xml.contains("label=\"bad\u{FFFD}\u{FFFD}utf8\""), "{xml}");

    // plot reads top.tsv back; the report shows the bad bytes as U+FFFD.
    let (code, _, err) = cli(&["plot", out.to_str().unwrap(), "--plot-format", "svg", "-q"]);
    assert_eq!(code, 0, "{err}");
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("bad\u{FFFD}\u{FFFD}utf8"));
    assert!(report.contains("say &quot;hi&quot;"));
}

// Issue 13: input you can trust. One test per case reproduced in the issue.

/// Writes `text` to `dir/name` and returns the path as a string.
fn write_input(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn issue13_a_space_inside_a_csv_field_does_not_make_the_file_space_separated() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(
        dir.path(),
        "links.txt",
        "https://x.example/a b,https://y.example/\nhttps://x.example/c,https://y.example/d\n",
    );
    let out = rank_ok(dir.path(), "o", &[&input]);
    let r = ranks(&out);
    assert!(r.contains_key("https://x.example/a b"), "{r:?}");
    assert_eq!(r.len(), 4, "{r:?}");
    assert_eq!(common::summary(&out)["inputs"][0]["separator"], "comma");
    assert_eq!(common::summary(&out)["inputs"][0]["separator_source"], "content");
}

#[test]
fn issue13_a_line_that_reads_two_ways_names_the_candidates_and_sep() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), "cities.txt", "New York,Boston\n");
    fails(
        &["rank", &input],
        &[
            "cities.txt: cannot tell the separator",
            "with commas as \"New York\" | \"Boston\"",
            "give --sep comma or --sep space",
        ],
    );
    let out = rank_ok(dir.path(), "o", &["--sep", "comma", &input]);
    assert!(ranks(&out).contains_key("New York"));
    // A named .csv says comma.
    let named = write_input(dir.path(), "cities.csv", "New York,Boston\n");
    assert!(ranks(&rank_ok(dir.path(), "n", &[&named])).contains_key("New York"));
}

#[test]
fn issue13_a_malformed_first_line_with_skip_bad_lines_does_not_choose_the_separator() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("in");
    std::fs::create_dir(&folder).unwrap();
    write_input(&folder, "a.txt", "this line is junk\n1,2\n2,3\n");
    write_input(&folder, "b.txt", "3,4\n");
    let out = rank_ok(dir.path(), "o", &["--skip-bad-lines", folder.to_str().unwrap()]);
    let summary = common::summary(&out);
    assert_eq!(summary["graph"]["edges"], 3, "{summary}");
    assert_eq!(summary["bad_lines_skipped"], 1);
    // A file whose every record is malformed is an error, not silently missing edges.
    write_input(&folder, "c.txt", "5 6\n6 7\n");
    fails(
        &["rank", "--sep", "comma", "--skip-bad-lines", folder.to_str().unwrap()],
        &["c.txt: all 2 records were malformed and skipped (--skip-bad-lines); is the separator right (comma"],
    );
}

#[test]
fn issue13_a_source_target_header_is_recognised_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), "links.csv", "source,target\na,b\nb,c\n");
    let out = dir.path().join("o");
    let (code, _, err) = cli(&["rank", "-o", out.to_str().unwrap(), &input]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("links.csv: header skipped: \"source,target\""),
        "the terminal says so: {err}"
    );
    let r = ranks(&out);
    assert_eq!(r.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
    assert_eq!(common::summary(&out)["inputs"][0]["header"], "source,target");
    let out = rank_ok(dir.path(), "kept", &["--no-header", &input]);
    assert!(ranks(&out).contains_key("source"));
    // Words above integers are a header too; integers throughout are not.
    let ints = write_input(dir.path(), "ints.txt", "FromNode ToNode\n1 2\n2 3\n");
    assert_eq!(ranks(&rank_ok(dir.path(), "i", &[&ints])).len(), 3);
    let plain = write_input(dir.path(), "plain.txt", "1 2\n2 3\n");
    assert_eq!(ranks(&rank_ok(dir.path(), "p", &[&plain])).len(), 3);
}

#[test]
fn issue13_known_formats_are_refused_by_name_without_echoing_binary() {
    let dir = tempfile::tempdir().unwrap();
    let blob: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    let graph = write_input(dir.path(), "web.graph", &blob);
    write_input(dir.path(), "web.properties", "nodes=3\narcs=2\n");
    let (code, _, err) = cli(&["rank", &graph]);
    assert_eq!(code, 2);
    // Since issue 15 a `.graph` with its `.properties` is read as a BVGraph: this blob is a
    // corrupt one, named, without a panic.
    assert!(
        err.contains("web.graph") && err.contains("corrupt") && !err.contains("panicked"),
        "{err}"
    );
    assert!(err.len() < 400, "no binary echoed: {err}");
    // Parquet by its magic, whatever the name.
    let mut parquet = b"PAR1".to_vec();
    parquet.extend_from_slice(&blob);
    let pq = write_input(dir.path(), "edges.dat", &parquet);
    let (code, _, err) = cli(&["rank", &pq]);
    assert_eq!(code, 2);
    assert!(
        err.contains("edges.dat: a Parquet file is not an edge list; Parquet is not read yet"),
        "{err}"
    );
    // Binary without a magic number.
    let bin = write_input(dir.path(), "edges.bin", &blob);
    let (code, _, err) = cli(&["rank", &bin]);
    assert_eq!(code, 2);
    assert!(err.contains("binary data") && err.len() < 400, "{err}");
}

#[test]
fn issue13_a_folder_readme_and_other_non_edge_files_are_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("crawl");
    std::fs::create_dir(&folder).unwrap();
    write_input(
        &folder,
        "README.md",
        "# The crawl\n\nLinks between pages, one per line.\n",
    );
    write_input(
        &folder,
        "NOTES",
        "Collected in March by the lab.\nSee the paper for details.\n",
    );
    write_input(&folder, "stats.json", "{\"nodes\": 3}\n");
    write_input(&folder, "edges.tsv", "1\t2\n2\t3\n");
    let out = dir.path().join("o");
    let (code, _, err) = cli(&["rank", "-o", out.to_str().unwrap(), folder.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for note in [
        "skipped",
        "README.md: documentation: it is not an edge list",
        "NOTES: text without edge lines",
        "stats.json: metadata",
    ] {
        assert!(err.contains(note), "{note:?} in {err}");
    }
    assert_eq!(ranks(&out).len(), 3);
    let summary = common::summary(&out);
    let skipped: Vec<&serde_json::Value> = summary["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["skipped"].is_string())
        .collect();
    assert_eq!(skipped.len(), 3, "{summary}");
    // The README named on its own is refused, not read as edges.
    fails(
        &["rank", folder.join("README.md").to_str().unwrap()],
        &["README.md: documentation is not an edge list"],
    );
}

#[test]
fn issue13_a_truncated_gzip_names_the_last_complete_line() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..100_000u64).map(|i| format!("{i}\t{}\n", i * 7 % 100_003)).collect();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    let mut gz = e.finish().unwrap();
    gz.truncate(gz.len() * 3 / 5);
    // The complete lines a decoder gets out of the cut stream before its error.
    let mut decoded = Vec::new();
    let _ = flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut decoded);
    let complete = decoded.iter().filter(|&&b| b == b'\n').count();
    assert!(complete > 10_000, "the cut keeps many lines");
    let path = write_input(dir.path(), "cut.tsv.gz", &gz);
    fails(
        &["rank", &path],
        &[&format!(
            "cut.tsv.gz: the compressed stream is truncated after line {complete}, the last complete one"
        )],
    );
}

#[test]
fn issue13_a_line_beyond_the_limit_in_a_small_gzip_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b"1 2\n3 ").unwrap();
    let block = vec![b'7'; 1 << 20];
    for _ in 0..65 {
        e.write_all(&block).unwrap();
    }
    e.write_all(b" 4\n").unwrap();
    let gz = e.finish().unwrap();
    assert!(gz.len() < 4 << 20);
    let path = write_input(dir.path(), "long.gz", &gz);
    fails(
        &["rank", &path],
        &["long.gz:2: the line is longer than 64 MiB, the limit"],
    );
}

#[test]
fn issue13_a_spreadsheet_csv_with_semicolons_and_decimal_commas() {
    let dir = tempfile::tempdir().unwrap();
    // What a spreadsheet in a comma-decimal locale saves as "CSV": BOM, quoted header,
    // semicolons, CRLF, decimal commas.
    let input = write_input(
        dir.path(),
        "links.csv",
        "\u{feff}\"From\";\"To\";\"Weight\"\r\nA;B;1,5\r\nA;C;0,5\r\n",
    );
    let out = rank_ok(dir.path(), "o", &["--weighted", &input]);
    let r = ranks(&out);
    assert_eq!(r.keys().collect::<Vec<_>>(), ["A", "B", "C"]);
    // A has no in-link: it holds only what every node gets; B got three times C's share.
    let (a, b, c) = (r["A"], r["B"], r["C"]);
    assert!(((b - a) - 3.0 * (c - a)).abs() < 1e-12, "{r:?}");
    let s = common::summary(&out);
    assert_eq!(s["inputs"][0]["separator"], "semicolon", "{s}");
    assert_eq!(s["inputs"][0]["separator_source"], "content");
}

#[test]
fn issue13_weights_that_are_all_zero_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), "zero.txt", "a b 0\nb c 0.0\n");
    fails(&["rank", "--weighted", &input], &["every edge weight is zero"]);
    // Some zero weights are fine: those nodes are dangling.
    let some = write_input(dir.path(), "some.txt", "a b 0\nb c 2\n");
    assert_eq!(ranks(&rank_ok(dir.path(), "s", &["--weighted", &some])).len(), 3);
}

#[test]
fn generate_writes_to_standard_output_without_hanging() {
    // `-o -` writes from a worker thread: the binary must not hold stdout's lock meanwhile.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_crawlrank"))
        .args(["generate", "uniform", "--scale", "10", "-q", "-o", "-"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut text = String::new();
    let reader = std::thread::spawn({
        let mut out = child.stdout.take().unwrap();
        move || {
            std::io::Read::read_to_string(&mut out, &mut text).unwrap();
            text
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("generate -o - hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(reader.join().unwrap().lines().count(), 1024 * 16);
}

#[test]
fn auto_ids_with_leading_zeros_come_back_as_written() {
    let dir = tempfile::tempdir().unwrap();
    // The read-back helper's case: `+7` makes the ids text after `00123` and `007` were read.
    let small = write_input(dir.path(), "small.csv", "00123,007\n+7,00123\n");
    let out = rank_ok(dir.path(), "small", &[&small]);
    let ids: Vec<String> = ranks(&out).into_keys().collect();
    assert_eq!(ids, ["+7", "00123", "007"]);
    // Late in a file big enough for the parallel reader: every id as written, 7 and 007 two
    // nodes.
    let mut text: String = (0..200_000)
        .map(|i| format!("{i}\t{}\n", (i * 7 + 1) % 200_000))
        .collect();
    text.push_str("007\t1\n7\t2\n0\t00\n");
    let big = write_input(dir.path(), "big.tsv", text);
    let out = rank_ok(dir.path(), "big", &[&big]);
    let ranks = ranks(&out);
    assert_eq!(ranks.len(), 200_002, "0..199999, 007 and 00");
    for id in ["007", "7", "00", "0", "199999"] {
        assert!(ranks.contains_key(id), "{id} missing");
    }
}

/// summary.json of a result folder.
fn summary_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// L1 distance between two rank listings over the union of their ids.
fn l1(a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>) -> f64 {
    let ids: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    ids.iter()
        .map(|id| (a.get(*id).copied().unwrap_or(0.0) - b.get(*id).copied().unwrap_or(0.0)).abs())
        .sum()
}

/// A graph of `n` nodes with a few links each, and the same graph changed: node 5 gone, node
/// `n` new, some links moved.
fn warm_start_graphs(dir: &Path, n: usize) -> (String, String) {
    let mut today = String::new();
    let mut tomorrow = String::new();
    for i in 0..n {
        // Skewed in-degrees (i/2 and i*i mod n pile links on some nodes), so ranks are far
        // from uniform and a cold start needs many iterations.
        for (k, target) in [(i + 1) % n, i / 2, (i * i + 7) % n].into_iter().enumerate() {
            let line = format!("{i}\t{target}\n");
            today.push_str(&line);
            if i != 5 && target != 5 && (i + k) % 50 != 0 {
                tomorrow.push_str(&line);
            }
        }
    }
    tomorrow.push_str(&format!("{n}\t0\n1\t{n}\n2\t{}\n", n / 2));
    (
        write_input(dir, "today.tsv", today),
        write_input(dir, "tomorrow.tsv", tomorrow),
    )
}

#[test]
fn init_warm_starts_from_a_finished_result() {
    let dir = tempfile::tempdir().unwrap();
    let (today, tomorrow) = warm_start_graphs(dir.path(), 2000);
    let cold = rank_ok(dir.path(), "today", &[&today]);
    let cold_iterations = summary_json(&cold)["iterations_run"].as_u64().unwrap();

    // The same graph from its own ranks: converged already.
    let again = rank_ok(dir.path(), "again", &[&today, "--init", cold.to_str().unwrap()]);
    let s = summary_json(&again);
    assert!(s["iterations_run"].as_u64().unwrap() <= 2, "{}", s["iterations_run"]);
    assert_eq!(s["init"]["nodes_ranked_there"], 2000);
    assert_eq!(s["init"]["new_nodes"], 0);
    assert_eq!(s["init"]["ids_not_in_graph"], 0);
    assert!(l1(&ranks(&again), &ranks(&cold)) < 1e-9);
    assert!(cold_iterations > 20, "{cold_iterations}");

    // Tomorrow's graph from today's ranks: the same fixed point as a cold start, the new node
    // counted, the gone one dropped.
    let fresh = rank_ok(dir.path(), "fresh", &[&tomorrow]);
    let warm = rank_ok(dir.path(), "warm", &[&tomorrow, "--init", cold.to_str().unwrap()]);
    let s = summary_json(&warm);
    assert_eq!(s["init"]["new_nodes"], 1, "{}", s["init"]);
    assert_eq!(s["init"]["ids_not_in_graph"], 1, "{}", s["init"]);
    assert_eq!(s["init"]["nodes_ranked_there"], 1999);
    assert!(s["converged"].as_bool().unwrap());
    let fresh_iterations = summary_json(&fresh)["iterations_run"].as_u64().unwrap();
    assert!(
        s["iterations_run"].as_u64().unwrap() < fresh_iterations,
        "warm {} vs cold {fresh_iterations}",
        s["iterations_run"]
    );
    let (warm_ranks, fresh_ranks) = (ranks(&warm), ranks(&fresh));
    assert!(!warm_ranks.contains_key("5") && warm_ranks.contains_key("2000"));
    assert!(
        l1(&warm_ranks, &fresh_ranks) < 2e-9,
        "{}",
        l1(&warm_ranks, &fresh_ranks)
    );

    // Into the folder it starts from: read before the new result replaces it.
    let (code, _, err) = cli(&[
        "rank",
        "-q",
        &tomorrow,
        "-o",
        cold.to_str().unwrap(),
        "--init",
        cold.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(l1(&ranks(&cold), &fresh_ranks) < 2e-9);
}

#[test]
fn init_refuses_what_is_not_a_finished_result() {
    let dir = tempfile::tempdir().unwrap();
    let (today, _) = warm_start_graphs(dir.path(), 100);
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = dir.path().join("out");
    for folder in [empty.clone(), dir.path().join("missing")] {
        let (code, _, err) = cli(&[
            "rank",
            "-q",
            &today,
            "-o",
            out.to_str().unwrap(),
            "--init",
            folder.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains(folder.to_str().unwrap()) && err.contains("not a complete crawlrank result"),
            "{err}"
        );
        assert!(!out.join("ranks").exists(), "no result from a failed start");
    }
    // A rank that is not a number, in a finished result's part file.
    let done = rank_ok(dir.path(), "done", &[&today]);
    let part = std::fs::read_dir(done.join("ranks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("part-"))
        .unwrap();
    std::fs::write(&part, "0\t0.5\n1\tinf\n").unwrap();
    let (code, _, err) = cli(&[
        "rank",
        "-q",
        &today,
        "-o",
        out.to_str().unwrap(),
        "--init",
        done.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(":2:") && err.contains("not a finite number"), "{err}");
}
