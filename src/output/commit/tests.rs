//! The commit under faults: every file system operation of a commit fails in turn (once,
//! or for good as when the process dies there), and the folder must hold the previous
//! complete result or the new one, byte for byte, never a mixture and never neither.

use std::collections::BTreeMap;

use super::*;

/// A folder's content: relative path → bytes (`None` for a folder).
type Tree = BTreeMap<String, Option<Vec<u8>>>;

fn snapshot(dir: &Path) -> Tree {
    fn walk(root: &Path, dir: &Path, tree: &mut Tree) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let name = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if name.starts_with(LOCAL_STAGING) {
                continue; // the run's own staging folder, removed when it ends
            }
            if entry.file_type().unwrap().is_dir() {
                tree.insert(name, None);
                walk(root, &path, tree);
            } else {
                tree.insert(name, Some(fs::read(&path).unwrap()));
            }
        }
    }
    let mut tree = Tree::new();
    walk(dir, dir, &mut tree);
    tree
}

/// Stages a result whose every file says `text`, with `parts` part files and the charts
/// folder when `plots`.
fn stage(target: &Path, text: &str, parts: usize, plots: bool) -> Staging {
    let staging = Staging::create(target).unwrap();
    let ranks = staging.path().join(RANKS);
    fs::create_dir(&ranks).unwrap();
    for p in 0..parts {
        fs::write(ranks.join(format!("part-{p:05}.gz")), format!("{text} part {p}")).unwrap();
    }
    fs::write(staging.path().join("top.tsv"), format!("{text} top")).unwrap();
    fs::write(
        staging.path().join("summary.json"),
        format!("{{\"crawlrank_version\": \"{text}\"}}"),
    )
    .unwrap();
    if plots {
        fs::create_dir(staging.path().join("plots")).unwrap();
        fs::write(staging.path().join("plots/convergence.png"), text).unwrap();
        fs::write(staging.path().join("report.html"), text).unwrap();
    }
    staging
}

/// A folder holding a committed result "old" (3 parts, charts) and the user's own file.
fn previous_result(target: &Path) -> Tree {
    let old = stage(target, "old", 3, true);
    commit(&RealFs, target, old.path(), Seal::Success, "old marker").unwrap();
    drop(old);
    fs::write(target.join("notes.txt"), "the user's").unwrap();
    snapshot(target)
}

/// The tree a successful commit of `stage(target, "new", 2, false)` gives.
fn new_result() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    previous_result(dir.path());
    let new = stage(dir.path(), "new", 2, false);
    commit(&RealFs, dir.path(), new.path(), Seal::Success, "new marker").unwrap();
    drop(new);
    snapshot(dir.path())
}

/// How many operations a commit takes.
fn operations_of_a_commit() -> usize {
    let dir = tempfile::tempdir().unwrap();
    previous_result(dir.path());
    let new = stage(dir.path(), "new", 2, false);
    let counting = Injected::new(Fault::Once(usize::MAX));
    commit(&counting, dir.path(), new.path(), Seal::Success, "new marker").unwrap();
    counting.operations()
}

#[test]
fn commit_replaces_the_previous_result_whole_and_leaves_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let before = previous_result(dir.path());
    assert!(before.contains_key("ranks/_SUCCESS"));
    assert!(before.contains_key("ranks/part-00002.gz"));
    let after = new_result();
    assert_eq!(after.get("ranks/part-00000.gz"), Some(&Some(b"new part 0".to_vec())));
    assert!(
        !after.contains_key("ranks/part-00002.gz"),
        "the old run's extra part is gone"
    );
    assert!(!after.contains_key("plots"), "the old run's charts went with it");
    assert!(!after.contains_key("report.html"));
    assert_eq!(after.get("ranks/_SUCCESS"), Some(&Some(Vec::new())));
    assert_eq!(after.get(MARKER), Some(&Some(b"new marker".to_vec())));
    assert_eq!(
        after.get("notes.txt"),
        Some(&Some(b"the user's".to_vec())),
        "not ours: kept"
    );
    assert!(
        !after.keys().any(|k| k.starts_with(".crawlrank-")),
        "nothing left aside: {after:?}"
    );
}

#[test]
fn a_failure_at_any_step_restores_the_previous_result_exactly() {
    let steps = operations_of_a_commit();
    assert!(
        steps > 10,
        "a commit syncs, moves aside, moves in and seals: {steps} operations"
    );
    let complete = new_result();
    for k in 0..steps {
        let dir = tempfile::tempdir().unwrap();
        let before = previous_result(dir.path());
        let new = stage(dir.path(), "new", 2, false);
        let faulty = Injected::new(Fault::Once(k));
        let outcome = commit(&faulty, dir.path(), new.path(), Seal::Success, "new marker");
        drop(new);
        let after = snapshot(dir.path());
        if k >= steps - 2 {
            // The last two operations delete the set-aside result (renamed, then removed):
            // the new one is complete, and the next run removes what is left.
            assert!(outcome.is_ok(), "operation {k}: {outcome:?}");
            assert!(after.keys().any(|p| p.starts_with(PREVIOUS) || p.starts_with(TRASH)));
            recover(&RealFs, dir.path()).unwrap();
            assert_eq!(snapshot(dir.path()), complete, "operation {k}");
            continue;
        }
        let error = outcome
            .expect_err(&format!("operation {k} failed, so the commit must fail"))
            .to_string();
        assert!(
            error.contains("restored") || error.contains("left as it was"),
            "operation {k}: the error says so: {error}"
        );
        assert_eq!(after, before, "operation {k}: the previous result, byte for byte");
    }
}

#[test]
fn a_process_that_dies_at_any_step_leaves_a_folder_the_next_run_sets_right() {
    let steps = operations_of_a_commit();
    let complete = new_result();
    let (mut old_kept, mut new_kept) = (0, 0);
    for k in 0..=steps {
        let dir = tempfile::tempdir().unwrap();
        let before = previous_result(dir.path());
        let new = stage(dir.path(), "new", 2, false);
        // From operation k on, nothing happens: not the rest of the commit, not the
        // rollback (the process is gone).
        let dead = Injected::new(Fault::From(k));
        let _ = commit(&dead, dir.path(), new.path(), Seal::Success, "new marker");
        drop(new); // as the next run's recovery would remove the dead run's staging folder
        let found = snapshot(dir.path());
        let sealed = found.contains_key("ranks/_SUCCESS");
        if sealed {
            // Whatever has _SUCCESS is one whole result.
            let parts: Vec<_> = found.keys().filter(|p| p.starts_with("ranks/part-")).collect();
            assert!(
                found.get("ranks/part-00000.gz").unwrap().as_deref() == Some(b"old part 0".as_slice())
                    && parts.len() == 3
                    || found.get("ranks/part-00000.gz").unwrap().as_deref() == Some(b"new part 0".as_slice())
                        && parts.len() == 2,
                "operation {k}: a sealed mixture: {found:?}"
            );
        }
        let notes = recover(&RealFs, dir.path()).unwrap();
        let after = snapshot(dir.path());
        if after == before {
            old_kept += 1;
        } else {
            assert_eq!(
                after, complete,
                "operation {k}: neither the previous nor the new result ({notes:?})"
            );
            new_kept += 1;
        }
    }
    assert!(
        old_kept > 0 && new_kept > 0,
        "both outcomes occur: {old_kept} old, {new_kept} new"
    );
}

#[test]
fn a_rollback_that_fails_too_keeps_the_previous_result_for_the_next_run() {
    let steps = operations_of_a_commit();
    let mut tried = 0;
    for k in 0..steps {
        let dir = tempfile::tempdir().unwrap();
        let before = previous_result(dir.path());
        let new = stage(dir.path(), "new", 2, false);
        // The disk stops answering at operation k: the commit fails and so does its rollback.
        let broken = Injected::new(Fault::From(k));
        let Err(error) = commit(&broken, dir.path(), new.path(), Seal::Success, "new marker") else {
            continue;
        };
        drop(new);
        let error = error.to_string();
        if snapshot(dir.path()).keys().any(|p| p.starts_with(PREVIOUS)) {
            tried += 1;
            assert!(
                error.contains(PREVIOUS) && error.contains("next crawlrank run"),
                "operation {k}: the error says where the previous result waits: {error}"
            );
        }
        let sealed = dir.path().join("ranks/_SUCCESS").exists() && dir.path().join(MARKER).exists();
        let marker = fs::read(dir.path().join(MARKER)).unwrap_or_default();
        recover(&RealFs, dir.path()).unwrap();
        if sealed && marker == b"new marker" {
            // It failed after sealing: the new result is complete, and recovery keeps it.
            assert_eq!(snapshot(dir.path()), new_result(), "operation {k}");
        } else {
            assert_eq!(snapshot(dir.path()), before, "operation {k}");
        }
    }
    assert!(tried > 3, "rollbacks failed at several steps: {tried}");
}

#[test]
fn a_member_commit_is_sealed_by_its_marker() {
    let dir = tempfile::tempdir().unwrap();
    let first = stage(dir.path(), "first", 1, false);
    commit(&RealFs, dir.path(), first.path(), Seal::Marker, "member").unwrap();
    drop(first);
    assert!(
        !dir.path().join("ranks/_SUCCESS").exists(),
        "a member's folder holds only its parts"
    );
    let before = snapshot(dir.path());
    for k in 0..40 {
        let new = stage(dir.path(), "second", 1, false);
        let dead = Injected::new(Fault::From(k));
        let _ = commit(&dead, dir.path(), new.path(), Seal::Marker, "member 2");
        drop(new);
        recover(&RealFs, dir.path()).unwrap();
        let after = snapshot(dir.path());
        let second = after.get("ranks/part-00000.gz") == Some(&Some(b"second part 0".to_vec()));
        assert!(
            after == before || second && after.get(MARKER) == Some(&Some(b"member 2".to_vec())),
            "{k}"
        );
        if second {
            // Back to the first for the next try.
            let first = stage(dir.path(), "first", 1, false);
            commit(&RealFs, dir.path(), first.path(), Seal::Marker, "member").unwrap();
        }
    }
}

#[test]
fn a_folder_crawlrank_did_not_write_is_refused_and_never_emptied() {
    let dir = tempfile::tempdir().unwrap();
    // Empty or missing: fine.
    check_ours(&dir.path().join("new"), false).unwrap();
    check_ours(dir.path(), false).unwrap();
    fs::write(dir.path().join("thesis.tex"), "mine").unwrap();
    let error = check_ours(dir.path(), false).unwrap_err().to_string();
    assert!(
        error.contains("not a crawlrank result") && error.contains("thesis.tex") && error.contains("--force"),
        "{error}"
    );
    check_ours(dir.path(), true).unwrap();
    fs::create_dir(dir.path().join("ranks")).unwrap();
    fs::write(dir.path().join("ranks/part-00000"), "someone else's").unwrap();
    let error = check_ours(dir.path(), true).unwrap_err().to_string();
    assert!(error.contains("ranks") && error.contains("did not write"), "{error}");
    // A result crawlrank wrote (marker, or a summary of an older version) is ours.
    let ours = tempfile::tempdir().unwrap();
    fs::write(
        ours.path().join("summary.json"),
        "{\"crawlrank_version\": \"0.1.0\", \"parameters\": {}, \"iterations\": [], \"graph\": {}}",
    )
    .unwrap();
    fs::create_dir(ours.path().join("ranks")).unwrap();
    check_ours(ours.path(), false).unwrap();
}

#[test]
fn a_second_writer_is_refused_with_the_first_ones_pid_and_host() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    let first = FolderLock::acquire(&target, None, "crawlrank rank a").unwrap();
    let text = fs::read_to_string(first.path()).unwrap();
    assert!(text.contains(&format!("pid {}", std::process::id())), "{text}");
    let error = match FolderLock::acquire(&target, None, "crawlrank rank b") {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a second lock of the same folder was granted"),
    };
    assert!(
        error.contains(&format!("pid {}", std::process::id()))
            && error.contains(&host_name())
            && error.contains("crawlrank rank a"),
        "{error}"
    );
    // The same folder by another spelling is the same lock.
    let other = dir.path().join("x/../out/.");
    assert!(FolderLock::acquire(&other, None, "c").is_err(), "{}", other.display());
    // And through a symbolic link.
    #[cfg(unix)]
    {
        fs::create_dir_all(&target).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(FolderLock::acquire(&link, None, "e").is_err(), "a link to the folder");
    }
    // A member of a distributed run has a lock of its own.
    let member = FolderLock::acquire(&target, Some(1), "member").unwrap();
    drop(member);
    drop(first);
    assert!(
        !dir.path().join(".out.crawlrank-lock").exists(),
        "the holder removes its lock file"
    );
    FolderLock::acquire(&target, None, "d").unwrap();
}

#[test]
fn a_stale_lock_file_of_a_dead_run_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    // What a killed run leaves: the file, with no lock on it (the kernel released it).
    fs::write(
        dir.path().join(".out.crawlrank-lock"),
        "pid 4294967295\nhost elsewhere\n",
    )
    .unwrap();
    let lock = FolderLock::acquire(&target, None, "after a kill").unwrap();
    let text = fs::read_to_string(lock.path()).unwrap();
    assert!(
        text.contains(&format!("pid {}", std::process::id())) && text.contains("after a kill"),
        "{text}"
    );
}

#[test]
fn recovery_keeps_what_an_older_version_set_aside_and_removes_dead_staging() {
    let dir = tempfile::tempdir().unwrap();
    previous_result(dir.path());
    let old = dir.path().join(format!("{OLD_RESULT}123"));
    fs::create_dir(&old).unwrap();
    fs::write(old.join("top.tsv"), "kept").unwrap();
    #[cfg(target_os = "linux")]
    let dead = {
        // No process has pid 4294967295; /proc lacks it.
        let dead = dir.path().join(format!("{LOCAL_STAGING}4294967295"));
        fs::create_dir(&dead).unwrap();
        dead
    };
    let notes = recover(&RealFs, dir.path()).unwrap();
    assert!(old.join("top.tsv").exists(), "never deleted");
    assert!(notes.iter().any(|n| n.contains("older crawlrank")), "{notes:?}");
    #[cfg(target_os = "linux")]
    assert!(!dead.exists());
}

#[test]
fn gathering_takes_only_the_staging_folders_of_this_run() {
    let dir = tempfile::tempdir().unwrap();
    let mine = Staging::create_named(dir.path(), &format!("{PROCESS_STAGING}0")).unwrap();
    for (process, token) in [(1, "run-a"), (2, "run-b")] {
        let theirs = dir.path().join(format!("{PROCESS_STAGING}{process}"));
        fs::create_dir_all(theirs.join(RANKS)).unwrap();
        fs::write(theirs.join(RUN_TOKEN), token).unwrap();
        fs::write(theirs.join(RANKS).join(format!("part-0000{process}.gz")), "x").unwrap();
    }
    assert_eq!(gather(dir.path(), 1, "run-a", mine.path()).unwrap(), Some(1));
    assert_eq!(
        gather(dir.path(), 2, "run-a", mine.path()).unwrap(),
        None,
        "another run's"
    );
    assert_eq!(gather(dir.path(), 3, "run-a", mine.path()).unwrap(), None, "not there");
    assert!(mine.path().join("ranks/part-00001.gz").exists());
    assert!(!mine.path().join("ranks/part-00002.gz").exists());
}

#[test]
fn a_process_that_dies_while_rolling_back_leaves_a_folder_the_next_run_sets_right() {
    let steps = operations_of_a_commit();
    let complete = new_result();
    let mut tried = 0;
    for k in 0..steps {
        for m in k + 1..k + 16 {
            let dir = tempfile::tempdir().unwrap();
            let before = previous_result(dir.path());
            let new = stage(dir.path(), "new", 2, false);
            let dies = Injected::new(Fault::OnceThenFrom(k, m));
            let _ = commit(&dies, dir.path(), new.path(), Seal::Success, "new marker");
            drop(new);
            let found = snapshot(dir.path());
            if found.contains_key("ranks/_SUCCESS") {
                let old = found.contains_key("ranks/part-00002.gz")
                    && found.get("top.tsv") == Some(&Some(b"old top".to_vec()));
                let new = found.get("top.tsv") == Some(&Some(b"new top".to_vec()))
                    && !found.contains_key("ranks/part-00002.gz");
                assert!(
                    old || new,
                    "operation {k} failed, {m} died: a sealed mixture: {:?}",
                    found.keys().collect::<Vec<_>>()
                );
            }
            recover(&RealFs, dir.path()).unwrap();
            let after = snapshot(dir.path());
            assert!(
                after == before || after == complete,
                "operation {k} failed, {m} died: {:?}",
                after.keys().collect::<Vec<_>>()
            );
            tried += 1;
        }
    }
    assert!(tried > 100);
}

#[test]
fn a_deletion_of_the_previous_result_cut_short_is_finished_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    previous_result(dir.path());
    let new = stage(dir.path(), "new", 2, false);
    // Dies at the last operation: removing the renamed previous result.
    let steps = operations_of_a_commit();
    let dies = Injected::new(Fault::From(steps - 1));
    commit(&dies, dir.path(), new.path(), Seal::Success, "new marker").unwrap();
    drop(new);
    let found = snapshot(dir.path());
    assert!(
        found.keys().any(|k| k.starts_with(TRASH)),
        "renamed before it is deleted: {found:?}"
    );
    assert!(
        !found.keys().any(|k| k.starts_with(PREVIOUS)),
        "no half-deleted previous result"
    );
    recover(&RealFs, dir.path()).unwrap();
    assert_eq!(snapshot(dir.path()), new_result());
}

#[test]
fn files_the_user_put_inside_a_result_block_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    previous_result(dir.path());
    check_ours(dir.path(), false).unwrap();
    fs::write(dir.path().join("ranks/README.mine"), "mine").unwrap();
    let error = check_ours(dir.path(), true).unwrap_err().to_string();
    assert!(
        error.contains("ranks/README.mine") && error.contains("move it out"),
        "{error}"
    );
    fs::remove_file(dir.path().join("ranks/README.mine")).unwrap();
    fs::write(dir.path().join("plots/mine.png"), "mine").unwrap();
    let error = check_ours(dir.path(), false).unwrap_err().to_string();
    assert!(error.contains("plots/mine.png"), "{error}");
    fs::remove_file(dir.path().join("plots/mine.png")).unwrap();
    fs::write(dir.path().join("plots/convergence.svg"), "ours").unwrap();
    check_ours(dir.path(), false).unwrap();
    assert!(is_part_name("part-00000") && is_part_name("part-123456.zst") && !is_part_name("part-1.gz"));
    assert!(!is_part_name("part-00000.gz.crc") && !is_part_name("README"));
}

#[test]
fn a_copied_summary_alone_does_not_make_a_folder_crawlranks() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("plots")).unwrap();
    fs::write(dir.path().join("plots/mine.png"), "x").unwrap();
    fs::write(dir.path().join("summary.json"), "{\"crawlrank_version\": \"0\"}").unwrap();
    fs::write(dir.path().join("report.html"), "r").unwrap();
    assert!(!is_result(dir.path()));
    assert!(check_ours(dir.path(), false).is_err());
    assert!(
        check_ours(dir.path(), true).is_err(),
        "summary.json, plots and report.html are not crawlrank's"
    );
    let file = dir.path().join("a-file");
    fs::write(&file, "x").unwrap();
    let error = check_ours(&file, true).unwrap_err().to_string();
    assert!(error.contains("is a file, not a folder"), "{error}");
}

#[test]
#[cfg(unix)]
fn the_lock_follows_links_and_dot_dot_as_the_system_does() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("deep/real")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("deep/real"), dir.path().join("l")).unwrap();
    // `l/../out` is `deep/out` to the system (the parent of where `l` points).
    let first = FolderLock::acquire(&dir.path().join("deep/out"), None, "a").unwrap();
    assert!(FolderLock::acquire(&dir.path().join("l/../out"), None, "b").is_err());
    assert!(
        FolderLock::acquire(&dir.path().join("l/../out/x/.."), None, "c").is_err(),
        "a missing tail"
    );
    drop(first);
    assert_eq!(
        real_path(&dir.path().join("l/../out/new/../newer")).unwrap(),
        fs::canonicalize(dir.path()).unwrap().join("deep/out/newer")
    );
}
