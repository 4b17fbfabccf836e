//! Where ranks are written: one exporter per format behind [`Exporter`], all writing into a
//! [`Staging`] folder that replaces the previous result only once everything is written.
//!
//! A result folder `DIR` holds `ranks/part-NNNNN.<ext>` (one per shard, Spark's
//! `saveAsTextFile` layout, `_SUCCESS` last), `top.tsv` and `summary.json`. A failed or
//! interrupted run leaves the previous complete result as it was; the new files appear
//! together, and `ranks/_SUCCESS` is written only after all of them.

pub mod gexf;
pub mod parts;
pub mod subgraph;
pub mod summary;
pub mod top;

use std::fs;
use std::path::{Path, PathBuf};

pub use gexf::{ColorBy, GexfExport, GexfOptions, GexfReport, GexfVersion, Layout, SelectBy};
pub use parts::{OutputCompression, PartFiles};
pub use subgraph::{InducedEdge, Selection};
pub use summary::Summary;
pub use top::{TopRow, TopTable, read_top, top_nodes};

use crate::error::{Error, Result};
use crate::graph::{NodeTable, ShardedGraph};

/// A finished ranking, as exporters see it.
#[derive(Clone, Copy)]
pub struct Ranked<'a> {
    /// The graph that was ranked.
    pub graph: &'a ShardedGraph,
    /// The user's ids.
    pub nodes: &'a NodeTable,
    /// One score per dense node id.
    pub ranks: &'a [f64],
}

/// Writes one kind of result into a folder.
pub trait Exporter: Sync {
    /// Writes the result below `dir` (a staging folder), flushing everything it wrote.
    fn export(&self, ranked: &Ranked<'_>, dir: &Path) -> Result<()>;
}

/// Entries of a result folder that belong to one run, replaced together.
const RESULT_ENTRIES: &[&str] = &["ranks", "top.tsv", "summary.json", "plots", "report.html"];
/// The marker written last.
pub const SUCCESS: &str = "_SUCCESS";

/// A hidden folder next to the results in which a run writes; see [`Staging::commit`].
pub struct Staging {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl Staging {
    /// Prepares to write into `target` (created if needed).
    ///
    /// Staging folders left by runs that were killed (their process is gone) are removed.
    pub fn create(target: &Path) -> Result<Staging> {
        fs::create_dir_all(target).map_err(|e| Error::io(target, e))?;
        remove_abandoned(target);
        Staging::create_named(target, &format!(".crawlrank-staging-{}", std::process::id()))
    }

    /// Prepares to write into `target` through the staging folder `name` (removed first if
    /// it exists). Distributed runs name theirs by process index: on a folder shared between
    /// machines, a process id says nothing about another machine's processes.
    pub fn create_named(target: &Path, name: &str) -> Result<Staging> {
        fs::create_dir_all(target).map_err(|e| Error::io(target, e))?;
        let staging = target.join(name);
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        }
        fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
        Ok(Staging {
            target: target.to_path_buf(),
            staging,
            committed: false,
        })
    }

    /// The folder to write into.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Moves the staged files into place and writes `ranks/_SUCCESS` last.
    ///
    /// The previous result's `_SUCCESS` is removed first, so that at no moment does a
    /// mixture of old and new files look complete.
    pub fn commit(mut self) -> Result<()> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |e| Error::io(&path, e)
        };
        let old_success = self.target.join("ranks").join(SUCCESS);
        if old_success.exists() {
            fs::remove_file(&old_success).map_err(io(&old_success))?;
        }
        let old = self.target.join(format!(".crawlrank-old-{}", std::process::id()));
        let mut names: Vec<String> = RESULT_ENTRIES.iter().map(|s| s.to_string()).collect();
        for entry in fs::read_dir(&self.staging).map_err(io(&self.staging))? {
            let name = entry
                .map_err(io(&self.staging))?
                .file_name()
                .to_string_lossy()
                .into_owned();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        for name in &names {
            let current = self.target.join(name);
            if current.exists() {
                fs::create_dir_all(&old).map_err(io(&old))?;
                fs::rename(&current, old.join(name)).map_err(io(&current))?;
            }
            let staged = self.staging.join(name);
            if staged.exists() {
                fs::rename(&staged, &current).map_err(io(&staged))?;
            }
        }
        let success = self.target.join("ranks").join(SUCCESS);
        fs::write(&success, b"").map_err(io(&success))?;
        self.committed = true;
        let _ = fs::remove_dir_all(&self.staging);
        if old.exists() {
            let _ = fs::remove_dir_all(&old);
        }
        Ok(())
    }
}

/// Removes `.crawlrank-staging-PID` and `.crawlrank-old-PID` folders whose process no longer
/// runs (Linux, where `/proc/PID` tells; elsewhere they are left alone).
fn remove_abandoned(target: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(target) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix(".crawlrank-staging-")
            .or_else(|| name.strip_prefix(".crawlrank-old-"));
        if let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok())
            && pid != std::process::id()
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_the_old_result_and_marks_success_last() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        for round in ["old", "new"] {
            let staging = Staging::create(&target).unwrap();
            fs::create_dir(staging.path().join("ranks")).unwrap();
            fs::write(staging.path().join("ranks/part-00000"), round).unwrap();
            fs::write(staging.path().join("top.tsv"), round).unwrap();
            staging.commit().unwrap();
        }
        assert_eq!(fs::read_to_string(target.join("ranks/part-00000")).unwrap(), "new");
        assert!(target.join("ranks/_SUCCESS").exists());
        let leftovers: Vec<_> = fs::read_dir(&target).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 2, "only ranks and top.tsv remain: {leftovers:?}");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn staging_of_a_killed_run_is_cleaned_up() {
        let dir = tempfile::tempdir().unwrap();
        // No process has pid 4294967295... but u32 parsing accepts it and /proc lacks it.
        let dead = dir.path().join(".crawlrank-staging-4294967295");
        fs::create_dir(&dead).unwrap();
        let live = dir.path().join(format!(".crawlrank-staging-{}", 1)); // init is alive
        fs::create_dir(&live).unwrap();
        let staging = Staging::create(dir.path()).unwrap();
        assert!(!dead.exists());
        assert!(live.exists());
        drop(staging);
    }

    #[test]
    fn an_abandoned_run_leaves_the_previous_result_alone() {
        let dir = tempfile::tempdir().unwrap();
        let staging = Staging::create(dir.path()).unwrap();
        fs::create_dir(staging.path().join("ranks")).unwrap();
        fs::write(staging.path().join("ranks/part-00000"), "good").unwrap();
        staging.commit().unwrap();
        {
            let failed = Staging::create(dir.path()).unwrap();
            fs::create_dir(failed.path().join("ranks")).unwrap();
            fs::write(failed.path().join("ranks/part-00000"), "half").unwrap();
            // dropped without commit, as when a run fails
        }
        assert_eq!(fs::read_to_string(dir.path().join("ranks/part-00000")).unwrap(), "good");
        assert!(dir.path().join("ranks/_SUCCESS").exists());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "the staging folder is gone"
        );
    }
}
