//! How a run's files replace the previous result in a result folder: written into a hidden
//! staging folder first, then moved into place in three steps that every executor takes in
//! the same order.
//!
//! 1. [`ResultFolder::unseal`] (every process that publishes, each in the folder it publishes
//!    into): the previous `ranks/_SUCCESS` goes, so that from here on no mixture of old and new
//!    files looks complete.
//! 2. [`ResultFolder::publish`] (every process): its staged part files move into `ranks/`.
//! 3. [`ResultFolder::seal`] (the coordinator, process 0): part files of the previous result
//!    that this run did not replace are removed, the staged `top.tsv`, `summary.json`,
//!    `plots/` and `report.html` replace the previous ones, and `ranks/_SUCCESS` is written
//!    last.
//!
//! A local run takes the steps one after the other ([`ResultFolder::commit`]); a distributed
//! run puts a barrier between them, so that no step starts before every process has finished
//! the one before. A run that fails before step 1 leaves the previous result untouched (its
//! staging folder is removed); one that fails later leaves no `_SUCCESS`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The marker written last.
pub const SUCCESS: &str = "_SUCCESS";
/// The folder of part files inside a result folder.
pub(crate) const RANKS: &str = "ranks";
/// Entries of a result folder besides `ranks/` that belong to one run and are replaced
/// together (an entry the new run does not write is removed).
const RUN_ENTRIES: &[&str] = &["top.tsv", "summary.json", "plots", "report.html"];
/// Prefix of the staging folder of a local run (followed by its process id).
const LOCAL_STAGING: &str = ".crawlrank-staging-";
/// Prefix of the folder an older version moved the previous result into while committing.
const OLD_RESULT: &str = ".crawlrank-old-";

/// A hidden folder inside the result folder in which one process writes its share of a run.
/// Removed when dropped: whatever is still in it when the run ends was not committed. A
/// result folder that making the staging folder created is removed too if the run left it
/// empty (a run that fails leaves no trace).
pub(crate) struct Staging {
    staging: PathBuf,
    /// The result folder, when this staging folder's creation made it.
    created_target: Option<PathBuf>,
}

impl Staging {
    /// A staging folder for a local run in `target` (created if needed), named by this
    /// process's id. Staging folders left by local runs that were killed (their process is
    /// gone) are removed first.
    pub(crate) fn create(target: &Path) -> Result<Staging> {
        let created_target = (!target.exists()).then(|| target.to_path_buf());
        fs::create_dir_all(target).map_err(|e| Error::io(target, e))?;
        remove_abandoned(target);
        let mut staging = Staging::create_named(target, &format!("{LOCAL_STAGING}{}", std::process::id()))?;
        staging.created_target = created_target;
        Ok(staging)
    }

    /// A staging folder `name` in `target` (replacing what a failed run left under that
    /// name). Distributed runs name theirs by process index: on a folder shared between
    /// machines, a process id says nothing about another machine's processes.
    pub(crate) fn create_named(target: &Path, name: &str) -> Result<Staging> {
        let created_target = (!target.exists()).then(|| target.to_path_buf());
        fs::create_dir_all(target).map_err(|e| Error::io(target, e))?;
        let staging = target.join(name);
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        }
        fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
        Ok(Staging {
            staging,
            created_target,
        })
    }

    /// The folder to write into.
    pub(crate) fn path(&self) -> &Path {
        &self.staging
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.staging);
        if let Some(target) = &self.created_target {
            let _ = fs::remove_dir(target); // only when empty: a committed result stays
        }
    }
}

/// A result folder, and the steps that put a new run in place of the previous one.
#[derive(Clone, Debug)]
pub(crate) struct ResultFolder {
    target: PathBuf,
}

impl ResultFolder {
    /// The result folder `target`.
    pub(crate) fn new(target: &Path) -> ResultFolder {
        ResultFolder {
            target: target.to_path_buf(),
        }
    }

    /// Step 1: removes the previous result's `ranks/_SUCCESS`.
    pub(crate) fn unseal(&self) -> Result<()> {
        let success = self.target.join(RANKS).join(SUCCESS);
        match fs::remove_file(&success) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&success, e)),
            _ => Ok(()),
        }
    }

    /// Step 2: moves the part files staged in `staging` into `ranks/`, replacing files of
    /// the same name. Returns how many moved.
    pub(crate) fn publish(&self, staging: &Staging) -> Result<usize> {
        let ranks = self.target.join(RANKS);
        fs::create_dir_all(&ranks).map_err(|e| Error::io(&ranks, e))?;
        let staged = staging.path().join(RANKS);
        let Ok(entries) = fs::read_dir(&staged) else {
            return Ok(0); // this process owns no shard
        };
        let mut moved = 0;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&staged, e))?;
            let target = ranks.join(entry.file_name());
            fs::rename(entry.path(), &target).map_err(|e| Error::io(&target, e))?;
            moved += 1;
        }
        Ok(moved)
    }

    /// Step 3: removes part files that are not among `parts` (this run's), replaces the
    /// run's other entries with those in `staging`, and writes `ranks/_SUCCESS`.
    pub(crate) fn seal(&self, staging: &Staging, parts: &[String]) -> Result<()> {
        let ranks = self.target.join(RANKS);
        fs::create_dir_all(&ranks).map_err(|e| Error::io(&ranks, e))?;
        for entry in fs::read_dir(&ranks).map_err(|e| Error::io(&ranks, e))? {
            let entry = entry.map_err(|e| Error::io(&ranks, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("part-") && !parts.contains(&name) {
                fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
            }
        }
        for name in RUN_ENTRIES {
            let current = self.target.join(name);
            if current.is_dir() {
                fs::remove_dir_all(&current).map_err(|e| Error::io(&current, e))?;
            } else if current.exists() {
                fs::remove_file(&current).map_err(|e| Error::io(&current, e))?;
            }
            let staged = staging.path().join(name);
            if staged.exists() {
                fs::rename(&staged, &current).map_err(|e| Error::io(&staged, e))?;
            }
        }
        let success = ranks.join(SUCCESS);
        fs::write(&success, b"").map_err(|e| Error::io(&success, e))
    }

    /// The three steps one after the other, for a run whose every file is in `staging`.
    #[cfg(test)]
    pub(crate) fn commit(&self, staging: &Staging, parts: &[String]) -> Result<()> {
        self.unseal()?;
        self.publish(staging)?;
        self.seal(staging, parts)
    }
}

/// Removes staging folders of local runs (and result folders set aside by older versions)
/// whose process no longer runs (Linux, where `/proc/PID` tells; elsewhere they are left
/// alone).
fn remove_abandoned(target: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(target) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix(LOCAL_STAGING)
            .or_else(|| name.strip_prefix(OLD_RESULT));
        if let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok())
            && pid != std::process::id()
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(target: &Path, part: &str, text: &str) -> Staging {
        let staging = Staging::create(target).unwrap();
        fs::create_dir(staging.path().join(RANKS)).unwrap();
        fs::write(staging.path().join(RANKS).join(part), text).unwrap();
        fs::write(staging.path().join("top.tsv"), text).unwrap();
        staging
    }

    #[test]
    fn commit_replaces_the_old_result_and_marks_success_last() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let folder = ResultFolder::new(&target);
        let old = stage(&target, "part-00001", "old");
        folder.commit(&old, &["part-00001".to_string()]).unwrap();
        drop(old);
        let new = stage(&target, "part-00000", "new");
        folder.commit(&new, &["part-00000".to_string()]).unwrap();
        drop(new);
        assert_eq!(fs::read_to_string(target.join("ranks/part-00000")).unwrap(), "new");
        assert!(
            !target.join("ranks/part-00001").exists(),
            "the old run's extra part is gone"
        );
        assert_eq!(fs::read_to_string(target.join("top.tsv")).unwrap(), "new");
        assert!(target.join("ranks/_SUCCESS").exists());
        let leftovers: Vec<_> = fs::read_dir(&target).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 2, "only ranks and top.tsv remain: {leftovers:?}");
    }

    #[test]
    fn unsealing_removes_success_before_anything_moves() {
        let dir = tempfile::tempdir().unwrap();
        let folder = ResultFolder::new(dir.path());
        let first = stage(dir.path(), "part-00000", "first");
        folder.commit(&first, &["part-00000".to_string()]).unwrap();
        drop(first);
        let second = stage(dir.path(), "part-00000", "second");
        folder.unseal().unwrap();
        assert!(!dir.path().join("ranks/_SUCCESS").exists());
        assert_eq!(
            fs::read_to_string(dir.path().join("ranks/part-00000")).unwrap(),
            "first"
        );
        folder.publish(&second).unwrap();
        assert!(
            !dir.path().join("ranks/_SUCCESS").exists(),
            "not complete before sealing"
        );
        folder.seal(&second, &["part-00000".to_string()]).unwrap();
        assert!(dir.path().join("ranks/_SUCCESS").exists());
    }

    #[test]
    fn a_failed_run_into_a_new_folder_leaves_no_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("new");
        drop(Staging::create(&target).unwrap());
        assert!(!target.exists(), "the folder the run made is gone with it");
        let committed = stage(&target, "part-00000", "kept");
        ResultFolder::new(&target)
            .commit(&committed, &["part-00000".to_string()])
            .unwrap();
        drop(committed);
        assert!(target.join("ranks/_SUCCESS").exists(), "a committed result stays");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn staging_of_a_killed_run_is_cleaned_up() {
        let dir = tempfile::tempdir().unwrap();
        // No process has pid 4294967295, but u32 parsing accepts it and /proc lacks it.
        let dead = dir.path().join(format!("{LOCAL_STAGING}4294967295"));
        fs::create_dir(&dead).unwrap();
        let live = dir.path().join(format!("{LOCAL_STAGING}1")); // init is alive
        fs::create_dir(&live).unwrap();
        let staging = Staging::create(dir.path()).unwrap();
        assert!(!dead.exists());
        assert!(live.exists());
        drop(staging);
    }

    #[test]
    fn an_abandoned_run_leaves_the_previous_result_alone() {
        let dir = tempfile::tempdir().unwrap();
        let folder = ResultFolder::new(dir.path());
        let good = stage(dir.path(), "part-00000", "good");
        folder.commit(&good, &["part-00000".to_string()]).unwrap();
        drop(good);
        // A run that fails before committing drops its staging folder.
        drop(stage(dir.path(), "part-00000", "half"));
        assert_eq!(fs::read_to_string(dir.path().join("ranks/part-00000")).unwrap(), "good");
        assert!(dir.path().join("ranks/_SUCCESS").exists());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "ranks and top.tsv; the staging folder is gone"
        );
    }
}
