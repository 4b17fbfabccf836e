//! How a run's files replace the previous result in a result folder, so that the folder
//! always holds one complete result: the previous one or the new one, never a mixture and
//! never neither.
//!
//! A run writes everything into a hidden staging folder inside the result folder (the same
//! file system, so that moves are renames), holding the folder's lock ([`FolderLock`]) from
//! before staging until after the commit. [`commit`] then:
//!
//! 1. flushes the staged files to disk (`fsync`), with a marker `.crawlrank` naming this run;
//! 2. makes `.crawlrank-previous/` and moves the previous result's entries into it, `ranks/`
//!    first (so that from the first move on no `ranks/_SUCCESS` stands in the folder), then
//!    writes `.crawlrank-previous/.moved` (the journal: every previous entry is aside);
//! 3. moves the staged entries in, the `.crawlrank` marker last;
//! 4. writes `ranks/_SUCCESS` (for a folder that holds a whole result; a distributed run's
//!    members that write into folders of their own commit their part files without it);
//! 5. only then deletes `.crawlrank-previous/`.
//!
//! A failure at any step restores the previous result exactly ([`rollback`]): the entries
//! moved in are removed and the previous ones moved back. If the rollback fails too (a disk
//! that stopped answering), or the process was killed between steps 2 and 5, the folder
//! holds `.crawlrank-previous/`, and the next run into the folder ([`recover`], under the
//! lock) finishes the job from what it finds: with `.moved` and the new result sealed it
//! deletes the previous one; otherwise it removes what was moved in and restores the
//! previous result. A moved-aside result is never deleted unless the new one is complete.
//!
//! Every step goes through [`Fs`], so that the tests can fail the Nth file system operation
//! and check that the folder holds one complete result afterwards.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The marker written last.
pub const SUCCESS: &str = "_SUCCESS";
/// The charts' file stems in `plots/` (`plot::Chart::name`; a test there keeps them equal).
pub(crate) const CHART_NAMES: &[&str] = &[
    "convergence",
    "rank_distribution",
    "degree_distribution",
    "phases",
    "top_nodes",
];
/// The folder of part files inside a result folder.
pub(crate) const RANKS: &str = "ranks";
/// The marker of a folder crawlrank committed into: which run, and the entries it wrote.
pub(crate) const MARKER: &str = ".crawlrank";
/// The entries of a result folder that belong to one run, in the order they are moved:
/// `ranks/` first, the marker last. Nothing else in the folder is ever moved or removed.
const RUN_ENTRIES: &[&str] = &[
    RANKS,
    "top.tsv",
    "summary.json",
    super::cc_ranks::FILE,
    "plots",
    "report.html",
    MARKER,
];
/// Where the previous result waits while the new one moves in.
pub(crate) const PREVIOUS: &str = ".crawlrank-previous";
/// The journal inside [`PREVIOUS`]: present once every previous entry is aside. Its content
/// says how the commit is sealed (`success` or `marker`).
const MOVED: &str = ".moved";
/// Prefix of the name a superseded previous result is renamed to before it is deleted, so
/// that a deletion cut short never leaves a half-deleted `.crawlrank-previous/` (whose
/// journal might go before its entries).
const TRASH: &str = ".crawlrank-trash-";
/// Prefix of the staging folder of a local run (followed by its process id).
const LOCAL_STAGING: &str = ".crawlrank-staging-";
/// Prefix of the staging folders of a distributed run's processes (followed by the index).
pub(crate) const PROCESS_STAGING: &str = ".crawlrank-process-";
/// Prefix of the folder an older crawlrank (before the journal) moved a result into.
const OLD_RESULT: &str = ".crawlrank-old-";
/// The file in a staging folder that names the run it belongs to (distributed runs).
pub(crate) const RUN_TOKEN: &str = ".run";

/// The file system operations of a commit. [`RealFs`] is the file system; the tests use
/// one that fails a chosen operation.
pub(crate) trait Fs: Sync {
    /// Makes one folder.
    fn create_dir(&self, path: &Path) -> io::Result<()>;
    /// Renames `from` to `to` (same file system).
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes a file, or a folder and everything in it.
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Creates (or truncates) a file holding `bytes`, flushed to disk.
    fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    /// Flushes a file, or a folder's entries, to disk.
    fn sync(&self, path: &Path) -> io::Result<()>;
}

/// The real file system.
pub(crate) struct RealFs;

impl Fs for RealFs {
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        fs::create_dir(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        if fs::symlink_metadata(path)?.is_dir() {
            fs::remove_dir_all(path)
        } else {
            fs::remove_file(path)
        }
    }

    fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        use io::Write;
        let mut file = File::create(path)?;
        file.write_all(bytes)?;
        file.sync_all()
    }

    fn sync(&self, path: &Path) -> io::Result<()> {
        // A folder is opened read-only to fsync its entries; Windows cannot open one, and
        // orders its metadata itself.
        if cfg!(not(unix)) && fs::metadata(path)?.is_dir() {
            return Ok(());
        }
        File::open(path)?.sync_all()
    }
}

/// How [`Injected`] fails.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Fault {
    /// Operation N fails; the others succeed (a full disk for a moment, a permission).
    Once(usize),
    /// Operation N and every later one fail (a disk that stopped answering; or, in the
    /// tests, a process that died there: nothing more happens).
    From(usize),
    /// Operation N ends the process on the spot, as a kill would.
    Abort(usize),
    /// Operation N fails (the commit rolls back), and operation M > N and every later one
    /// fail (the process died during the rollback).
    #[cfg(test)]
    OnceThenFrom(usize, usize),
}

/// The real file system, failing operations as its [`Fault`] says: for the tests, and for
/// tests of the binary through `CRAWLRANK_FAULT` ([`commit_fs`]).
pub(crate) struct Injected {
    fault: Fault,
    count: std::sync::atomic::AtomicUsize,
}

impl Injected {
    pub(crate) fn new(fault: Fault) -> Injected {
        Injected {
            fault,
            count: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn next(&self) -> io::Result<()> {
        let n = self.count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let fails = match self.fault {
            Fault::Once(k) => n == k,
            Fault::From(k) => n >= k,
            Fault::Abort(k) if n == k => std::process::abort(),
            Fault::Abort(_) => false,
            #[cfg(test)]
            Fault::OnceThenFrom(k, m) => n == k || n >= m,
        };
        if fails {
            Err(io::Error::other(format!("injected failure of operation {n}")))
        } else {
            Ok(())
        }
    }

    /// Operations done (or failed) so far.
    #[cfg(test)]
    pub(crate) fn operations(&self) -> usize {
        self.count.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Fs for Injected {
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        self.next()?;
        RealFs.create_dir(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.next()?;
        RealFs.rename(from, to)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        self.next()?;
        RealFs.remove(path)
    }
    fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.next()?;
        RealFs.write(path, bytes)
    }
    fn sync(&self, path: &Path) -> io::Result<()> {
        self.next()?;
        RealFs.sync(path)
    }
}

/// The file system a run commits through: the real one; or, when the environment variable
/// `CRAWLRANK_FAULT` is `fail:N`, `fail-from:N` or `abort:N`, one whose operation N (from
/// 0) of the commit fails, makes every later one fail, or ends the process as a kill
/// would. A testing hook for the binary (`tests/cli.rs`); a value it cannot read is an error.
pub(crate) fn commit_fs() -> Result<Box<dyn Fs>> {
    let Ok(plan) = std::env::var("CRAWLRANK_FAULT") else {
        return Ok(Box::new(RealFs));
    };
    let fault = plan.split_once(':').and_then(|(kind, n)| {
        let n = n.parse::<usize>().ok()?;
        match kind {
            "fail" => Some(Fault::Once(n)),
            "fail-from" => Some(Fault::From(n)),
            "abort" => Some(Fault::Abort(n)),
            _ => None,
        }
    });
    match fault {
        Some(fault) => Ok(Box::new(Injected::new(fault))),
        None => Err(Error::Config(format!(
            "CRAWLRANK_FAULT={plan}: expected fail:N, fail-from:N or abort:N (a testing hook)"
        ))),
    }
}

fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// How a commit marks its result complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seal {
    /// `ranks/_SUCCESS`: the folder holds a whole result.
    Success,
    /// The `.crawlrank` marker only: a distributed run's member committing its part files
    /// into a folder of its own (the whole result is complete when process 0's folder is).
    Marker,
}

impl Seal {
    fn name(self) -> &'static str {
        match self {
            Seal::Success => "success",
            Seal::Marker => "marker",
        }
    }

    /// Whether the new result in `target` is complete by this seal.
    fn holds(self, target: &Path) -> bool {
        match self {
            Seal::Success => exists(&target.join(RANKS).join(SUCCESS)),
            Seal::Marker => exists(&target.join(MARKER)),
        }
    }
}

/// A hidden folder inside the result folder in which one process writes its share of a run.
/// Removed when dropped: whatever is still in it when the run ends was not committed. A
/// result folder that making the staging folder created is removed too if the run left it
/// empty (a run that fails into a new folder leaves no trace).
pub(crate) struct Staging {
    staging: PathBuf,
    /// The result folder, when this staging folder's creation made it.
    created_target: Option<PathBuf>,
}

impl Staging {
    /// A staging folder for a local run in `target` (created if needed), named by this
    /// process's id.
    pub(crate) fn create(target: &Path) -> Result<Staging> {
        Staging::create_named(target, &format!("{LOCAL_STAGING}{}", std::process::id()))
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

/// Puts the result staged in `staging` in place of the previous result in `target`
/// (the steps of the module's documentation). `marker` is the content of the `.crawlrank`
/// marker. On failure the previous result is restored, and the error says so; if it could
/// not be restored, the error says where it waits for the next run.
pub(crate) fn commit(fs: &dyn Fs, target: &Path, staging: &Path, seal: Seal, marker: &str) -> Result<()> {
    let _committing = Committing::start();
    let done = commit_steps(fs, target, staging, seal, marker);
    if done.is_ok() && seal == Seal::Success {
        mark_committed();
    }
    done
}

/// The steps of [`commit`], under its lock.
fn commit_steps(fs: &dyn Fs, target: &Path, staging: &Path, seal: Seal, marker: &str) -> Result<()> {
    let previous = target.join(PREVIOUS);
    if exists(&previous) {
        return Err(Error::Config(format!(
            "{} holds the previous result of an interrupted commit; it must be restored first",
            previous.display()
        )));
    }
    // 1. The new files on disk before anything moves, so that no crash of the machine can
    //    leave a sealed result whose data was never written.
    let untouched = |e: Error| {
        Error::Config(format!(
            "could not write the new result, so the previous result in {} was left as it was: {e}",
            target.display()
        ))
    };
    fs.write(&staging.join(MARKER), marker.as_bytes())
        .map_err(|e| untouched(Error::io(staging.join(MARKER), e)))?;
    sync_tree(fs, staging).map_err(untouched)?;
    // 2. The previous result aside.
    fs.create_dir(&previous)
        .map_err(|e| untouched(Error::io(&previous, e)))?;
    let moved = move_aside(fs, target, &previous, seal).and_then(|()| {
        // 3. The new result in, the marker last; 4. sealed.
        for name in RUN_ENTRIES {
            let staged = staging.join(name);
            if exists(&staged) {
                let to = target.join(name);
                fs.rename(&staged, &to).map_err(|e| Error::io(&to, e))?;
            }
        }
        fs.sync(target).map_err(|e| Error::io(target, e))?;
        if seal == Seal::Success {
            let ranks = target.join(RANKS);
            fs.write(&ranks.join(SUCCESS), b"")
                .map_err(|e| Error::io(ranks.join(SUCCESS), e))?;
            fs.sync(&ranks).map_err(|e| Error::io(&ranks, e))?;
        }
        Ok(())
    });
    match moved {
        Ok(()) => {
            // 5. The previous result goes. If it cannot, the new one is complete all the
            //    same, and the next run removes it.
            let _ = discard(fs, target);
            Ok(())
        }
        Err(e) => match rollback(fs, target) {
            Ok(()) => Err(Error::Config(format!(
                "could not put the new result in place, so the previous result in {} was restored as it was: {e}",
                target.display()
            ))),
            Err(again) => Err(Error::Config(format!(
                "could not put the new result in place ({e}), nor yet restore the previous one ({again}); \
                 it is kept whole in {}, and the next crawlrank run into {} restores it",
                previous.display(),
                target.display()
            ))),
        },
    }
}

/// Held while a commit runs in this process; held for good once the process is ending.
static COMMITTING: std::sync::Mutex<()> = std::sync::Mutex::new(());
/// Whether this process committed a whole result (or, in a distributed run, knows that
/// process 0 did).
static COMMITTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

thread_local! {
    /// Whether this thread runs a commit (so that a panic hook on it does not wait for it).
    static IN_COMMIT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// [`COMMITTING`] held by the thread that commits.
struct Committing(#[allow(dead_code)] std::sync::MutexGuard<'static, ()>);

impl Committing {
    fn start() -> Committing {
        let guard = COMMITTING.lock().unwrap_or_else(|p| p.into_inner());
        IN_COMMIT.with(|c| c.set(true));
        Committing(guard)
    }
}

impl Drop for Committing {
    fn drop(&mut self) {
        IN_COMMIT.with(|c| c.set(false));
    }
}

/// Records that the run's whole result is committed.
pub(crate) fn mark_committed() {
    COMMITTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Whether the run's whole result was committed (by this process, or by process 0 of a
/// distributed run this process belongs to, once the last barrier passed).
#[cfg(feature = "distributed")]
pub(crate) fn committed() -> bool {
    COMMITTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// For code about to end the process (a panic hook, an abort): waits for a commit that runs
/// on another thread to finish (or roll back), and keeps any from starting afterwards, so
/// that the process never ends between two steps of a commit, and staging folders may be
/// removed safely. On the committing thread itself it returns at once (the next run sets
/// the folder right).
#[cfg(feature = "distributed")]
pub(crate) fn end_commits() {
    if IN_COMMIT.with(|c| c.get()) {
        return;
    }
    std::mem::forget(COMMITTING.lock().unwrap_or_else(|p| p.into_inner()));
}

/// Step 2: the previous result's entries into `previous`, then the journal.
fn move_aside(fs: &dyn Fs, target: &Path, previous: &Path, seal: Seal) -> Result<()> {
    for name in RUN_ENTRIES {
        let current = target.join(name);
        if exists(&current) {
            let aside = previous.join(name);
            fs.rename(&current, &aside).map_err(|e| Error::io(&current, e))?;
        }
    }
    fs.write(&previous.join(MOVED), seal.name().as_bytes())
        .map_err(|e| Error::io(previous.join(MOVED), e))?;
    fs.sync(previous).map_err(|e| Error::io(previous, e))?;
    fs.sync(target).map_err(|e| Error::io(target, e))
}

/// Flushes every file and folder below `dir` (and `dir`) to disk.
fn sync_tree(fs: &dyn Fs, dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        if entry.file_type().map_err(|e| Error::io(&path, e))?.is_dir() {
            sync_tree(fs, &path)?;
        } else {
            fs.sync(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    fs.sync(dir).map_err(|e| Error::io(dir, e))
}

/// Deletes the superseded previous result of a complete commit: renamed to a trash name
/// first (one atomic step), then removed, so that no kill leaves a half-deleted
/// `.crawlrank-previous/` for the next run to misread.
fn discard(fs: &dyn Fs, target: &Path) -> Result<()> {
    let previous = target.join(PREVIOUS);
    let trash = target.join(format!("{TRASH}{}", std::process::id()));
    if exists(&trash) {
        fs.remove(&trash).map_err(|e| Error::io(&trash, e))?;
    }
    fs.rename(&previous, &trash).map_err(|e| Error::io(&previous, e))?;
    fs.remove(&trash).map_err(|e| Error::io(&trash, e))
}

/// Undoes an unfinished commit in `target`. Once the journal says every previous entry was
/// aside, the new result is unsealed first (so that a rollback cut short is never taken for
/// a complete commit), the entries that moved in are removed, and the journal goes; then the
/// previous entries move back.
fn rollback(fs: &dyn Fs, target: &Path) -> Result<()> {
    let previous = target.join(PREVIOUS);
    let journal = previous.join(MOVED);
    if let Ok(seal) = fs::read_to_string(&journal) {
        let seal = match seal.as_str() {
            "marker" => target.join(MARKER),
            _ => target.join(RANKS).join(SUCCESS),
        };
        if exists(&seal) {
            fs.remove(&seal).map_err(|e| Error::io(&seal, e))?;
            fs.sync(seal.parent().unwrap_or(target))
                .map_err(|e| Error::io(target, e))?;
        }
        for name in RUN_ENTRIES {
            let new = target.join(name);
            if exists(&new) {
                fs.remove(&new).map_err(|e| Error::io(&new, e))?;
            }
        }
        fs.sync(target).map_err(|e| Error::io(target, e))?;
        fs.remove(&journal).map_err(|e| Error::io(&journal, e))?;
        fs.sync(&previous).map_err(|e| Error::io(&previous, e))?;
    }
    // In the reverse order of moving aside: `ranks/`, with its `_SUCCESS`, last.
    for name in RUN_ENTRIES.iter().rev() {
        let aside = previous.join(name);
        if exists(&aside) {
            let back = target.join(name);
            if exists(&back) {
                return Err(Error::Config(format!(
                    "{} and {} both exist, and crawlrank cannot tell which to keep; move one away",
                    aside.display(),
                    back.display()
                )));
            }
            fs.rename(&aside, &back).map_err(|e| Error::io(&back, e))?;
        }
    }
    fs.sync(target).map_err(|e| Error::io(target, e))?;
    fs.remove(&previous).map_err(|e| Error::io(&previous, e))
}

/// Finishes what an interrupted run left in `target`, under the folder's lock: an
/// interrupted commit is completed (the new result is sealed: the previous one goes) or
/// rolled back (the previous result comes back); staging folders of local runs whose
/// process is gone are removed. Returns notes on what it did, for the user.
pub(crate) fn recover(fs: &dyn Fs, target: &Path) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    let previous = target.join(PREVIOUS);
    if exists(&previous) {
        let moved = fs::read_to_string(previous.join(MOVED)).ok();
        let seal = match moved.as_deref() {
            Some("marker") => Seal::Marker,
            _ => Seal::Success,
        };
        if moved.is_some() && seal.holds(target) {
            discard(fs, target)?;
            notes.push(format!(
                "{}: the last run's commit was interrupted after its result was complete; \
                 removed the previous result it had set aside",
                target.display()
            ));
        } else {
            rollback(fs, target)?;
            notes.push(format!(
                "{}: the last run's commit was interrupted; restored the previous result it had set aside",
                target.display()
            ));
        }
    }
    let Ok(entries) = fs::read_dir(target) else {
        return Ok(notes);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix(LOCAL_STAGING).and_then(|p| p.parse::<u32>().ok()) {
            // Under the lock, no other local run writes here; the pid guards against a run
            // of an older crawlrank that took no lock.
            if pid != std::process::id() && !process_alive(pid) {
                let _ = fs.remove(&entry.path());
            }
        } else if name.starts_with(TRASH) {
            // A superseded result whose deletion was cut short.
            let _ = fs.remove(&entry.path());
        } else if name.starts_with(OLD_RESULT) {
            notes.push(format!(
                "{}: a result set aside by an older crawlrank whose commit was interrupted; it is kept \
                 (compare it with the result and delete it yourself)",
                entry.path().display()
            ));
        }
    }
    Ok(notes)
}

/// Whether process `pid` runs on this machine (Linux tells by `/proc`; elsewhere every
/// process is taken to be alive, so nothing is removed).
fn process_alive(pid: u32) -> bool {
    !Path::new("/proc/self").exists() || Path::new(&format!("/proc/{pid}")).exists()
}

/// Refuses to write into `target` when it holds files and is not a crawlrank result folder,
/// unless `force`; even with `force`, refuses when one of the entries a run replaces
/// (`ranks/`, `top.tsv`, …) is there and crawlrank did not write it.
pub(crate) fn check_ours(target: &Path, force: bool) -> Result<()> {
    match fs::metadata(target) {
        Ok(meta) if !meta.is_dir() => {
            return Err(Error::Config(format!(
                "{} is a file, not a folder; give -o a folder for the result (it is made if missing)",
                target.display()
            )));
        }
        Err(_) => return Ok(()), // a new folder
        Ok(_) => {}
    }
    let Ok(entries) = fs::read_dir(target) else {
        return Ok(());
    };
    let names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with(LOCAL_STAGING) && !n.starts_with(PROCESS_STAGING))
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    if is_result(target) {
        return check_inside(target);
    }
    let shown = {
        let mut sorted = names.clone();
        sorted.sort();
        let more = sorted.len().saturating_sub(5);
        sorted.truncate(5);
        let mut list = sorted.join(", ");
        if more > 0 {
            list.push_str(&format!(" and {more} more"));
        }
        list
    };
    if !force {
        return Err(Error::Config(format!(
            "{} is not empty ({shown}) and is not a crawlrank result folder; choose a new or empty \
             folder with -o, or pass --force to write crawlrank's files beside these (none of them is removed)",
            target.display()
        )));
    }
    let clashes: Vec<&str> = RUN_ENTRIES
        .iter()
        .copied()
        .filter(|name| names.iter().any(|n| n == name))
        .collect();
    if !clashes.is_empty() {
        return Err(Error::Config(format!(
            "{} holds {} that crawlrank did not write, and a run would replace {}; move {} away or choose \
             another folder",
            target.display(),
            clashes.join(", "),
            if clashes.len() == 1 { "it" } else { "them" },
            if clashes.len() == 1 { "it" } else { "them" },
        )));
    }
    Ok(())
}

/// Refuses to replace a crawlrank result whose `ranks/` or `plots/` holds a file crawlrank
/// does not write there (the user's): the previous result's folders go whole.
fn check_inside(target: &Path) -> Result<()> {
    let theirs = |folder: &str, ours: &dyn Fn(&str) -> bool| -> Vec<String> {
        let Ok(entries) = fs::read_dir(target.join(folder)) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !ours(n))
            .map(|n| format!("{folder}/{n}"))
            .collect();
        names.sort();
        names
    };
    let mut found = theirs(RANKS, &|n| n == SUCCESS || is_part_name(n));
    found.extend(theirs("plots", &|n| {
        n.rsplit_once('.')
            .is_some_and(|(stem, ext)| CHART_NAMES.contains(&stem) && (ext == "png" || ext == "svg"))
    }));
    if found.is_empty() {
        return Ok(());
    }
    found.truncate(5);
    Err(Error::Config(format!(
        "{} holds a crawlrank result, but also {} that crawlrank did not write, and a new run replaces \
         that folder whole; move {} out first",
        target.display(),
        found.join(", "),
        if found.len() == 1 { "it" } else { "them" }
    )))
}

/// Whether `name` is a part file's name as crawlrank writes it: `part-` and five or more
/// digits, then a compression extension or nothing.
fn is_part_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("part-") else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits >= 5 && matches!(&rest[digits..], "" | ".gz" | ".zst" | ".bz2")
}

/// Whether `target` holds a crawlrank result (complete or not): its marker, the previous
/// result of an interrupted commit, or (results of versions before the marker) a `ranks/`
/// folder beside a `summary.json` crawlrank wrote.
pub(crate) fn is_result(target: &Path) -> bool {
    if exists(&target.join(MARKER)) || exists(&target.join(PREVIOUS)) {
        return true;
    }
    target.join(RANKS).is_dir()
        && fs::read(target.join("summary.json"))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .is_some_and(|v| {
                ["crawlrank_version", "parameters", "iterations", "graph"]
                    .iter()
                    .all(|key| v.get(key).is_some())
            })
}

/// The content of the `.crawlrank` marker: what wrote the folder, and when.
pub(crate) fn marker_text(process: Option<usize>) -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    serde_json::json!({
        "written_by": format!("crawlrank {}", env!("CARGO_PKG_VERSION")),
        "committed_unix_seconds": seconds,
        "process": process,
        "host": host_name(),
        "entries": RUN_ENTRIES,
    })
    .to_string()
        + "\n"
}

/// Moves the part files a distributed run's process `from` staged in `target` (if its
/// staging folder is there and carries `token`) into `staging/ranks`. Returns how many
/// moved, or `None` when that process's staging folder is not in `target` (it writes into a
/// folder of its own).
pub(crate) fn gather(target: &Path, from: usize, token: &str, staging: &Path) -> Result<Option<usize>> {
    let theirs = target.join(format!("{PROCESS_STAGING}{from}"));
    match fs::read_to_string(theirs.join(RUN_TOKEN)) {
        Ok(t) if t == token => {}
        _ => return Ok(None),
    }
    let ranks = staging.join(RANKS);
    fs::create_dir_all(&ranks).map_err(|e| Error::io(&ranks, e))?;
    let Ok(entries) = fs::read_dir(theirs.join(RANKS)) else {
        return Ok(Some(0)); // that process owns no shard
    };
    let mut moved = 0;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&theirs, e))?;
        let to = ranks.join(entry.file_name());
        fs::rename(entry.path(), &to).map_err(|e| Error::io(&to, e))?;
        moved += 1;
    }
    Ok(Some(moved))
}

/// This machine's name, for locks and markers.
pub(crate) fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "an unknown host".to_string())
}

/// The advisory lock that makes one run at a time the writer of a result folder: an
/// exclusive `flock` on `.NAME.crawlrank-lock` beside the folder `NAME` (beside it, since
/// the folder may not exist yet and is replaced entry by entry). The file holds the
/// holder's pid, host, start time and command, for the error a second run gets. The lock
/// is released when its process ends, however it ends, so a stale lock file left by a
/// killed run is simply taken over. The holder removes the file before releasing it; a
/// run that locked a file that was removed meanwhile tries again.
pub(crate) struct FolderLock {
    file: File,
    path: PathBuf,
}

impl FolderLock {
    /// Takes the lock of `target` (a distributed run's member `process` ≥ 1 takes one of
    /// its own, so that the processes of one run sharing a folder do not exclude each
    /// other). Fails at once, naming the holder, when another run holds it.
    pub(crate) fn acquire(target: &Path, process: Option<usize>, what: &str) -> Result<FolderLock> {
        FolderLock::take(target, process, what, None)
    }

    /// Takes the lock of `target` as [`FolderLock::acquire`] does, but waits for another
    /// run that holds it to finish, calling `on_wait` once when it starts waiting.
    pub(crate) fn acquire_waiting(
        target: &Path,
        process: Option<usize>,
        what: &str,
        on_wait: &dyn Fn(),
    ) -> Result<FolderLock> {
        FolderLock::take(target, process, what, Some(on_wait))
    }

    fn take(target: &Path, process: Option<usize>, what: &str, on_wait: Option<&dyn Fn()>) -> Result<FolderLock> {
        let path = lock_path(target, process)?;
        let mut waited = false;
        loop {
            let file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| Error::io(&path, e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => match on_wait {
                    Some(on_wait) => {
                        if !waited {
                            on_wait();
                            waited = true;
                        }
                        file.lock().map_err(|e| Error::io(&path, e))?;
                    }
                    None => {
                        let holder = fs::read_to_string(&path).unwrap_or_default();
                        return Err(Error::Config(format!(
                            "{} is being written by another crawlrank run ({}); wait for it to finish (or pass \
                             --wait), or choose another folder with -o (the lock is {})",
                            target.display(),
                            describe_holder(&holder),
                            path.display()
                        )));
                    }
                },
                Err(fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
            if !same_file(&file, &path) {
                continue; // removed by its last holder while we opened it
            }
            let seconds = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let text = format!(
                "pid {}\nhost {}\nstarted {seconds}\ncommand {what}\n",
                std::process::id(),
                host_name()
            );
            use io::Write;
            file.set_len(0).map_err(|e| Error::io(&path, e))?;
            (&file).write_all(text.as_bytes()).map_err(|e| Error::io(&path, e))?;
            return Ok(FolderLock { file, path });
        }
    }

    /// The lock file.
    #[cfg(test)]
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Removed while held, so that no other run can lock a file that is about to go.
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// `.NAME.crawlrank-lock` (or `…-lock-process-I`) beside `target`, for the folder's real
/// path (symbolic links resolved), so that every spelling of a folder has the same lock.
fn lock_path(target: &Path, process: Option<usize>) -> Result<PathBuf> {
    let real = real_path(target)?;
    let (parent, name) = match (real.parent(), real.file_name()) {
        (Some(parent), Some(name)) => (parent.to_path_buf(), name.to_string_lossy().into_owned()),
        _ => (real.clone(), String::new()), // the root: its lock is inside it
    };
    fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let suffix = process
        .filter(|&p| p > 0)
        .map_or(String::new(), |p| format!("-process-{p}"));
    Ok(parent.join(format!(".{name}.crawlrank-lock{suffix}")))
}

/// The real path of `path`, which need not exist: its longest existing prefix resolved by
/// the operating system (symbolic links, and `..` after them, as it reads them), the rest
/// appended as written.
fn real_path(path: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(path).map_err(|e| Error::io(path, e))?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    let mut real = loop {
        match fs::canonicalize(existing) {
            Ok(real) => break real,
            Err(_) => {
                let (Some(parent), Some(last)) = (existing.parent(), existing.components().next_back()) else {
                    break PathBuf::new();
                };
                rest.push(last);
                existing = parent;
            }
        }
    };
    for part in rest.into_iter().rev() {
        match part {
            std::path::Component::ParentDir => {
                real.pop();
            }
            std::path::Component::CurDir => {}
            other => real.push(other),
        }
    }
    Ok(real)
}

/// Whether `file` is still the file at `path`.
fn same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

/// "pid 4242 on host-a, started 12 s ago: crawlrank rank …" from a lock file's text.
fn describe_holder(text: &str) -> String {
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
            .filter(|v| !v.is_empty())
    };
    let (Some(pid), Some(host)) = (field("pid "), field("host ")) else {
        return "its lock file does not say which; it may be starting".to_string();
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let age = field("started ")
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(String::new(), |s| format!(", started {} s ago", now.saturating_sub(s)));
    let command = field("command ").map_or(String::new(), |c| format!(": {c}"));
    format!("pid {pid} on {host}{age}{command}")
}

#[cfg(test)]
mod tests;
