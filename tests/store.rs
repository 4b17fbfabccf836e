//! The graph store: `crawlrank build` then `crawlrank rank STORE` gives the same bytes as
//! `crawlrank rank INPUT`, whether the store's cells are held in memory or streamed; options
//! that need another build are refused; a damaged store is an error naming its file.

use std::path::{Path, PathBuf};

mod common;

use common::{crawlrank, summary};

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn sample() -> String {
    format!("{}/graphs/web-sample.tsv.gz", env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary and asserts it succeeded.
fn ok(args: &[&str]) -> String {
    let (code, _, stderr) = crawlrank(args);
    assert_eq!(code, 0, "{args:?}: {stderr}");
    stderr
}

/// Runs the binary and asserts it failed with exit code 2; returns stderr.
fn fails(args: &[&str]) -> String {
    let (code, _, stderr) = crawlrank(args);
    assert_eq!(code, 2, "{args:?} should fail with exit 2: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Builds `inputs` with `build_args` into `tmp/NAME.store`, then ranks the inputs directly
/// and the store twice (held in memory, and streamed with `--memory 1B`), with `rank_args`
/// (and `store_rank_args` for the store only), and asserts the part files and top tables are
/// byte-identical. Returns the store and the streamed result.
fn same_from_store(
    tmp: &Path,
    name: &str,
    inputs: &[&str],
    build_args: &[&str],
    rank_args: &[&str],
) -> (PathBuf, PathBuf) {
    let store = tmp.join(format!("{name}.store"));
    let mut args = vec!["build", "-q", "-o", s(&store)];
    args.extend_from_slice(build_args);
    args.extend_from_slice(inputs);
    ok(&args);
    let direct = tmp.join(format!("{name}-direct"));
    let mut args = vec!["rank", "-q", "-o", s(&direct)];
    args.extend_from_slice(build_args);
    args.extend_from_slice(rank_args);
    args.extend_from_slice(inputs);
    ok(&args);
    let mut streamed = PathBuf::new();
    for (mode, memory) in [("memory", None), ("streamed", Some("1B"))] {
        let out = tmp.join(format!("{name}-{mode}"));
        let mut args = vec!["rank", "-q", "-o", s(&out), s(&store)];
        args.extend_from_slice(rank_args);
        if let Some(m) = memory {
            args.extend_from_slice(&["--memory", m]);
        }
        ok(&args);
        common::assert_same_result(&direct, &out, &format!("{name} from the store ({mode})"));
        let record = &summary(&out)["store"];
        assert_eq!(record["cells"], mode, "{name}: {record}");
        assert_eq!(
            summary(&out)["iterations_run"],
            summary(&direct)["iterations_run"],
            "{name} ({mode})"
        );
        assert_eq!(summary(&out)["graph"], summary(&direct)["graph"], "{name} ({mode})");
        streamed = out;
    }
    (store, streamed)
}

#[test]
fn the_bundled_sample_ranks_the_same_from_its_store() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, streamed) = same_from_store(tmp.path(), "sample", &[&sample()], &[], &["--top", "50"]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], "crawlrank-store");
    assert_eq!(manifest["node_table"], "string");
    assert_eq!(manifest["graph"]["edges"], 17549);
    // The summary speaks of the store and of the inputs it was built from.
    let record = summary(&streamed);
    assert!(
        record["inputs"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("web-sample.tsv.gz")
    );
    assert!(
        record["store"]["built_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "build")
    );
    // stats reads a store like any input.
    let (code, stdout, stderr) = crawlrank(&["stats", "-q", s(&store)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("17549"), "{stdout}");
}

#[test]
fn ids_zero_to_n_are_stored_as_a_dense_table_and_rank_the_same() {
    // Ids 0..n (a crawl numbered by its crawler) need no id file; a gap in them does.
    let tmp = tempfile::tempdir().unwrap();
    for (name, text, table) in [
        ("dense", "0\t1\n1\t2\n2\t0\n2\t3\n3\t1\n", "dense"),
        ("gap", "0\t1\n1\t2\n2\t0\n2\t7\n7\t1\n", "int"),
    ] {
        let graph = tmp.path().join(format!("{name}.tsv"));
        std::fs::write(&graph, text).unwrap();
        // Personalized: seeds are looked up by id in the table.
        let seeds = tmp.path().join(format!("{name}.seeds"));
        std::fs::write(&seeds, "2\n1\n").unwrap();
        let (store, _) = same_from_store(tmp.path(), name, &[s(&graph)], &[], &["--personalize", s(&seeds)]);
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(store.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest["node_table"], table, "{name}");
        assert_eq!(store.join("nodes").join("ids.u64").exists(), table == "int", "{name}");
    }
}

/// A weighted graph over more than two blocks of ids, in several shards, with weights that
/// need rescaling (huge and tiny), ranked personalized, in f64 and in f32.
#[test]
fn weighted_personalized_many_shards_and_f32_rank_the_same_from_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let edges = tmp.path().join("weighted.tsv");
    let mut text = String::new();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..60_000u64 {
        let source = next() % 90_000;
        let target = if i % 3 == 0 { source + 1 } else { next() % 90_000 };
        let weight = match i % 7 {
            0 => 1e300,
            1 => 1e-300,
            _ => (next() % 1000) as f64 / 10.0,
        };
        text.push_str(&format!("{source}\t{target}\t{weight:e}\n"));
    }
    std::fs::write(&edges, text).unwrap();
    let seeds = tmp.path().join("seeds.txt");
    std::fs::write(&seeds, "5\t2\n70000\t1\n123\n").unwrap();
    let build = ["--weighted", "--shards", "3"];
    let rank = ["--personalize", s(&seeds), "--tol", "1e-12"];
    same_from_store(tmp.path(), "weighted", &[s(&edges)], &build, &rank);
    same_from_store(
        tmp.path(),
        "weighted-f32",
        &[s(&edges)],
        &build,
        &["--precision", "f32"],
    );
    // Parallel edges kept, unweighted, one shard per 2,000 edges.
    same_from_store(tmp.path(), "multi", &[s(&edges)], &["--multi", "--shards", "30"], &[]);
}

#[test]
fn an_rmat_graph_and_a_common_crawl_graph_with_names_rank_the_same_from_their_stores() {
    let tmp = tempfile::tempdir().unwrap();
    let rmat = tmp.path().join("rmat16.tsv");
    common::generate_rmat(&rmat, 16);
    let (store, _) = same_from_store(tmp.path(), "rmat", &[s(&rmat)], &["--shards", "4"], &[]);
    // The GEXF files hold the same nodes and edges (their descriptions name the commands).
    let gexf = |input: &str, name: &str, extra: &[&str]| {
        let file = tmp.path().join(format!("{name}.gexf"));
        let out = tmp.path().join(format!("{name}-gexf"));
        let mut args = vec![
            "rank",
            "-q",
            "-o",
            s(&out),
            input,
            "--gexf",
            s(&file),
            "--gexf-top",
            "300",
        ];
        args.extend_from_slice(extra);
        ok(&args);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.matches("<edge ").count() > 300, "{name}: the top 300 are linked");
        text[text.find("<nodes").unwrap()..].to_string()
    };
    let direct = gexf(s(&rmat), "direct", &["--shards", "4"]);
    assert_eq!(direct, gexf(s(&store), "memory", &[]));
    assert_eq!(direct, gexf(s(&store), "streamed", &["--memory", "1B"]));
    // Names, extra columns and reversed host names come from the store.
    let names = data("cc/domain/vertices");
    let (_, out) = same_from_store(
        tmp.path(),
        "cc",
        &[&data("cc/domain/edges")],
        &["--names", &names, "--names-reversed"],
        &[],
    );
    let top = std::fs::read_to_string(out.join("top.tsv")).unwrap();
    assert!(top.lines().next().unwrap().contains("host_count"), "{top}");
}

#[test]
fn options_that_need_another_build_are_refused_naming_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s.store");
    ok(&["build", "-q", "-o", s(&store), &sample()]);
    let out = tmp.path().join("out");
    for option in [
        &["--shards", "7"][..],
        &["--weighted"],
        &["--multi"],
        &["--ids", "int"],
        &["--sep", "tab"],
        &["--skip-bad-lines"],
    ] {
        let mut args = vec!["rank", "-q", "-o", s(&out), s(&store)];
        args.extend_from_slice(option);
        let err = fails(&args);
        assert!(err.contains("s.store") && err.contains("build"), "{option:?}: {err}");
        assert!(!out.join("ranks").exists());
    }
    // The store's own settings may be repeated.
    ok(&[
        "rank",
        "-q",
        "-o",
        s(&out),
        s(&store),
        "--shards",
        "1",
        "--ids",
        "string",
    ]);
    // A store goes alone, and build does not take one.
    let err = fails(&["rank", "-q", "-o", s(&out), s(&store), &sample()]);
    assert!(err.contains("alone"), "{err}");
    let err = fails(&["build", "-q", "-o", s(&tmp.path().join("t.store")), s(&store)]);
    assert!(err.contains("already a store"), "{err}");
    // build replaces a store, and refuses a folder of other files.
    ok(&["build", "-q", "-o", s(&store), &data("urls.tsv")]);
    let other = tmp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let (code, _, err) = crawlrank(&["build", "-q", "-o", s(&other), &sample()]);
    assert_ne!(code, 0);
    assert!(err.contains("not a crawlrank store"), "{err}");
    assert_eq!(std::fs::read_to_string(other.join("notes.txt")).unwrap(), "mine");
}

/// Flips bytes of `file`, keeping or fixing the manifest's checksum.
fn damage(store: &Path, file: &str, at: usize, fix_checksum: bool) {
    let path = store.join(file);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[at] ^= 0xDA;
    std::fs::write(&path, &bytes).unwrap();
    if fix_checksum {
        let manifest_path = store.join("manifest.json");
        let mut manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
        for entry in manifest["files"].as_array_mut().unwrap() {
            if entry["path"] == file {
                entry["crc32"] = format!("{:08x}", crc32fast::hash(&bytes)).into();
            }
        }
        std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    }
}

fn copy_store(from: &Path, to: &Path) {
    for sub in ["", "nodes", "shards"] {
        std::fs::create_dir_all(to.join(sub)).unwrap();
        for entry in std::fs::read_dir(from.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, to.join(sub).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
}

#[test]
fn a_damaged_store_is_an_error_naming_the_file_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good.store");
    let rmat = tmp.path().join("rmat15.tsv");
    common::generate_rmat(&rmat, 15);
    ok(&["build", "-q", "--shards", "2", "-o", s(&good), s(&rmat)]);
    let out = tmp.path().join("out");
    let rank = |store: &Path, extra: &[&str]| {
        let mut args = vec!["rank", "-q", "-o", s(&out), s(store)];
        args.extend_from_slice(extra);
        crawlrank(&args)
    };
    let case = |name: &str, spoil: &dyn Fn(&Path), expect: &[&str]| {
        let store = tmp.path().join(name);
        copy_store(&good, &store);
        spoil(&store);
        let (code, _, err) = rank(&store, &[]);
        assert_eq!(code, 2, "{name}: {err}");
        for e in expect {
            assert!(err.contains(e), "{name}: expected {e:?} in {err}");
        }
        assert!(!out.join("ranks").exists(), "{name}: nothing written");
    };
    case(
        "flipped",
        &|st| damage(st, "shards/shard-00001.cells", 5000, false),
        &["shard-00001.cells", "CRC-32"],
    );
    case(
        "truncated",
        &|st| {
            let p = st.join("shards/shard-00000.cells");
            let len = std::fs::metadata(&p).unwrap().len();
            std::fs::OpenOptions::new()
                .write(true)
                .open(&p)
                .unwrap()
                .set_len(len / 2)
                .unwrap();
        },
        &["shard-00000.cells", "bytes where the manifest says"],
    );
    case(
        "missing",
        &|st| std::fs::remove_file(st.join("nodes/in-degree.u32")).unwrap(),
        &["in-degree.u32", "missing"],
    );
    case(
        "garbage-manifest",
        &|st| {
            std::fs::write(
                st.join("manifest.json"),
                "{\"format\": \"crawlrank-store\", \"version\": 1",
            )
            .unwrap()
        },
        &["manifest.json", "not a store manifest"],
    );
    case(
        "newer",
        &|st| {
            let p = st.join("manifest.json");
            let mut manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            manifest["version"] = 99.into();
            std::fs::write(&p, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
        },
        &["manifest.json", "version 99"],
    );
    // Damage the checksum does not see (a store rewritten by hand): the decoder's own checks
    // name the file; the run never panics. A changed destination within its block decodes
    // and ranks (no code can tell it from the real one); the test counts the refusals.
    let size = std::fs::metadata(good.join("shards/shard-00000.cells")).unwrap().len() as usize;
    let mut refused = 0;
    for (i, at) in (0..size).step_by(size / 40).enumerate() {
        let store = tmp.path().join(format!("forged{i}"));
        copy_store(&good, &store);
        damage(&store, "shards/shard-00000.cells", at, true);
        for extra in [&[][..], &["--memory", "1B"]] {
            let (code, _, err) = rank(&store, extra);
            assert!(code == 0 || code == 2, "byte {at}: exit {code}: {err}");
            assert!(!err.contains("panicked"), "byte {at}: {err}");
            if code == 2 {
                // The decoder names the file; an edge moved to another source within the
                // shard (a step byte changed) decodes, and the ranks' mass check refuses it.
                assert!(
                    err.contains("shard-00000.cells") || err.contains("not a probability distribution"),
                    "byte {at}: {err}"
                );
                refused += 1;
            }
            let _ = std::fs::remove_dir_all(&out);
        }
    }
    assert!(refused > 20, "most forged bytes are caught: {refused} of 80");
}

/// The manifest without the command line (and the inputs, for standard input).
fn manifest_of(store: &Path, drop_inputs: bool) -> serde_json::Value {
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.join("manifest.json")).unwrap()).unwrap();
    let object = m.as_object_mut().unwrap();
    object.remove("command");
    if drop_inputs {
        object.remove("inputs");
    }
    m
}

#[test]
fn a_build_beyond_memory_writes_the_same_store_from_files_and_from_a_pipe() {
    let tmp = tempfile::tempdir().unwrap();
    let rmat = tmp.path().join("rmat16.tsv");
    common::generate_rmat(&rmat, 16);
    let spill = tmp.path().join("spill");
    let memory = tmp.path().join("memory.store");
    ok(&["build", "-q", "--shards", "3", "-o", s(&memory), s(&rmat)]);
    // 1 MiB: runs of 65,536 edges, about twenty of them; every file's CRC-32 is the same.
    let beyond = tmp.path().join("beyond.store");
    let stderr = ok(&[
        "build",
        "--shards",
        "3",
        "--memory",
        "1MiB",
        "--tmp",
        s(&spill),
        "-o",
        s(&beyond),
        s(&rmat),
    ]);
    assert!(stderr.contains("built beyond memory"), "{stderr}");
    assert_eq!(manifest_of(&memory, false), manifest_of(&beyond, false));
    assert_eq!(std::fs::read_dir(&spill).unwrap().count(), 0, "the runs are removed");
    // `rank INPUT` that would not fit says so before it starts, and suggests the store.
    let (code, _, err) = crawlrank(&["rank", "-o", s(&tmp.path().join("r")), s(&rmat), "--memory", "1MiB"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("more than --memory") && err.contains("crawlrank build"),
        "{err}"
    );
    let (_, _, err) = crawlrank(&["rank", "-o", s(&tmp.path().join("r")), s(&beyond), "--memory", "1MiB"]);
    assert!(
        !err.contains("more than --memory"),
        "a store is not warned about: {err}"
    );
    // Parallel edges kept, and duplicates across runs collapsed otherwise.
    let multi_memory = tmp.path().join("multi-memory.store");
    let multi_beyond = tmp.path().join("multi-beyond.store");
    ok(&["build", "-q", "--multi", "-o", s(&multi_memory), s(&rmat)]);
    ok(&[
        "build",
        "-q",
        "--multi",
        "--memory",
        "1MiB",
        "--tmp",
        s(&spill),
        "-o",
        s(&multi_beyond),
        s(&rmat),
    ]);
    assert_eq!(manifest_of(&multi_memory, false), manifest_of(&multi_beyond, false));
    // From standard input (always beyond memory: its size is unknown).
    let piped = tmp.path().join("piped.store");
    let mut generate = std::process::Command::new(env!("CARGO_BIN_EXE_crawlrank"))
        .args(["generate", "rmat", "--scale", "16", "-q"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_crawlrank"))
        .args(["build", "-q", "--shards", "3", "--tmp", s(&spill), "-o", s(&piped), "-"])
        .stdin(generate.stdout.take().unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(generate.wait().unwrap().success());
    assert_eq!(manifest_of(&memory, true), manifest_of(&piped, true));
    // Text ids cannot take that path: a clear error, exit 2, no store.
    let urls = tmp.path().join("urls.store");
    let (code, _, err) = crawlrank(&[
        "build",
        "-q",
        "--memory",
        "1B",
        "--tmp",
        s(&spill),
        "-o",
        s(&urls),
        &data("urls.tsv"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("urls.tsv") && err.contains("integer ids"), "{err}");
    assert!(!urls.exists());
}

#[test]
fn a_named_graph_builds_beyond_memory_into_the_same_store() {
    // Common Crawl's layout: integer edges, and vertices files naming every id (with a
    // column, reversed host names). Built in memory and beyond it: the same files.
    let tmp = tempfile::tempdir().unwrap();
    let spill = tmp.path().join("spill");
    // `build --memory 1B --tmp spill --names NAMES [extra…] -o STORE INPUTS…`: exit code and stderr.
    let beyond = |names: &str, extra: &[&str], store: &Path, inputs: &[&str]| {
        let mut args = vec!["build", "--names", names, "--memory", "1B", "--tmp", s(&spill)];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-o", s(store)]);
        args.extend_from_slice(inputs);
        let (code, _, err) = crawlrank(&args);
        (code, err)
    };
    let (edges, names) = (data("cc/domain/edges"), data("cc/domain/vertices"));
    let memory = tmp.path().join("memory.store");
    ok(&[
        "build",
        "-q",
        "--names",
        &names,
        "--names-reversed",
        "-o",
        s(&memory),
        &edges,
    ]);
    let store = tmp.path().join("beyond.store");
    let (code, stderr) = beyond(&names, &["--names-reversed"], &store, &[&edges]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("built beyond memory"), "{stderr}");
    assert_eq!(manifest_of(&memory, false), manifest_of(&store, false));
    assert!(store.join("nodes").join("names.text").exists());
    // Ranked, the names come back.
    let out = tmp.path().join("out");
    ok(&["rank", "-q", "-o", s(&out), s(&store)]);
    let top = std::fs::read_to_string(out.join("top.tsv")).unwrap();
    assert!(top.contains("example.com"), "{top}");
    // An edge naming an id no names file lists: the in-memory build's error, exit 2.
    let extra = tmp.path().join("extra.tsv");
    std::fs::write(&extra, "0\t99\n").unwrap();
    let bad = tmp.path().join("bad.store");
    let (code, err) = beyond(&names, &[], &bad, &[&edges, s(&extra)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("99") && err.contains("no names file lists"), "{err}");
    assert!(!bad.exists());
    // Names but not one edge: no graph, as in memory.
    let empty = tmp.path().join("empty.tsv");
    std::fs::write(&empty, "# no edges\n").unwrap();
    let (code, err) = beyond(&names, &[], &bad, &[s(&empty)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no edges"), "{err}");
    assert!(!bad.exists());
    // Names listing an id of 2^32 or more: built in memory, which numbers any id.
    let (wide_names, wide_edges) = (tmp.path().join("wide-names.tsv"), tmp.path().join("wide.tsv"));
    std::fs::write(&wide_names, "0\tcom.example\n5000000000\torg.example\n").unwrap();
    std::fs::write(&wide_edges, "0\t5000000000\n5000000000\t0\n").unwrap();
    let wide = tmp.path().join("wide.store");
    let (code, stderr) = beyond(s(&wide_names), &[], &wide, &[s(&wide_edges)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("built beyond memory"), "{stderr}");
    let out = tmp.path().join("wide-out");
    ok(&["rank", "-q", "-o", s(&out), s(&wide)]);
    let top = std::fs::read_to_string(out.join("top.tsv")).unwrap();
    assert!(top.contains("org.example") && top.contains("com.example"), "{top}");
}
