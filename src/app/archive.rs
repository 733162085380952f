//! The report archive of `--archive DIR`: one folder per audit period, `DIR/<period label>/`.
//!
//! A run takes the archive's lock (`DIR/.evidencer.lock`), writes its reports into a hidden
//! staging folder beside the period folders and renames it to the period's label only when
//! every file is on disk, so a folder named after a period is always a finished run and a
//! killed run leaves only a hidden folder. Holding the lock, a run knows that hidden folders
//! it finds belong to runs that died, and clears them first.
//!
//! A period that is already filed is not replaced unless the run says so (`--replace`):
//! evidence that may have been handed to an auditor is not overwritten by accident. With
//! `--replace` the old folder is moved aside, the new one renamed into place, and only then
//! the old one removed; a run killed between those renames is repaired by the next run,
//! which puts the old folder back. `--keep N` keeps the N newest period folders (ordered by
//! the period they name, not by file times) and removes the rest, never the folder just
//! written; folders whose names are not period labels are never touched.
//!
//! Takes the archive directory and a period label; gives the finished folder's path.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use crate::evidence::period;

/// Hidden names in the archive: `.evidencer-<state>.<label>.<unique>`. Labels hold no dot.
const PREFIX: &str = ".evidencer-";
const PARTIAL: &str = "partial";
const REPLACED: &str = "replaced";
const PRUNING: &str = "pruning";
const LOCK_FILE: &str = ".evidencer.lock";

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot {action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "another evidencer run holds the archive lock {path}; wait for it to finish (a lock \
         left by a killed run is released with its process)"
    )]
    Busy { path: PathBuf },
    #[error(
        "{path} already holds the reports of period {label}; filed evidence is not replaced \
         silently: pass --replace to replace it, or move the folder away"
    )]
    Exists { path: PathBuf, label: String },
    #[error("`{0}` cannot name an archive folder")]
    BadLabel(String),
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError {
    let path = path.to_path_buf();
    move |source| ArchiveError::Io {
        action,
        path,
        source,
    }
}

/// An archive directory, locked for this run.
#[derive(Debug)]
pub struct Archive {
    root: PathBuf,
    // Held for the run: the lock is released when the file is closed.
    _lock: File,
}

/// A staging folder of one run: removed when dropped before [`Archive::commit`].
#[derive(Debug)]
pub struct Staging {
    dir: Option<tempfile::TempDir>,
    label: String,
}

impl Staging {
    /// Where the run writes its reports.
    pub fn path(&self) -> &Path {
        self.dir
            .as_ref()
            .expect("staging folder until commit")
            .path()
    }

    /// The period label it is filed under.
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// What the archive looked like when a run opened it: what it cleared and repaired.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Hidden folders of runs that died, removed.
    pub removed: Vec<String>,
    /// Period folders put back after a run died while replacing them.
    pub restored: Vec<String>,
}

impl Archive {
    /// Creates `root` when missing, takes its lock and clears what killed runs left.
    pub fn open(root: &Path) -> Result<(Archive, Recovered), ArchiveError> {
        fs::create_dir_all(root).map_err(io("create the archive directory", root))?;
        let lock_path = root.join(LOCK_FILE);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io("open the lock file", &lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(ArchiveError::Busy { path: lock_path });
            }
            Err(fs::TryLockError::Error(e)) => return Err(io("lock", &lock_path)(e)),
        }
        let archive = Archive {
            root: root.to_path_buf(),
            _lock: lock,
        };
        let recovered = archive.recover()?;
        Ok((archive, recovered))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Starts the run of `label`: fails early when the period is filed and `replace` is off,
    /// so a run that would be refused at the end does not collect first.
    pub fn stage(&self, label: &str, replace: bool) -> Result<Staging, ArchiveError> {
        check_label(label)?;
        let dest = self.root.join(label);
        if !replace && dest.exists() {
            return Err(ArchiveError::Exists {
                path: dest,
                label: label.to_string(),
            });
        }
        let dir = tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{PARTIAL}.{label}."))
            .tempdir_in(&self.root)
            .map_err(io("create a staging folder in", &self.root))?;
        // tempfile makes 0700 folders; a period folder is an ordinary one (0755 less umask).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = 0o777 & !crate::base::output::current_umask();
            fs::set_permissions(dir.path(), fs::Permissions::from_mode(mode))
                .map_err(io("set permissions of", dir.path()))?;
        }
        Ok(Staging {
            dir: Some(dir),
            label: label.to_string(),
        })
    }

    /// Renames the staging folder to the period's label; with `replace`, swaps out the
    /// folder already there. Returns the finished folder.
    pub fn commit(&self, mut staging: Staging, replace: bool) -> Result<PathBuf, ArchiveError> {
        let dest = self.root.join(&staging.label);
        let dir = staging.dir.take().expect("committed once");
        sync_dir(dir.path());
        let old = if dest.exists() {
            if !replace {
                return Err(ArchiveError::Exists {
                    path: dest,
                    label: staging.label.clone(),
                });
            }
            let aside = self.hidden(REPLACED, &staging.label);
            fs::rename(&dest, &aside).map_err(io("move aside", &dest))?;
            Some(aside)
        } else {
            None
        };
        if let Err(e) = fs::rename(dir.path(), &dest) {
            // Put the earlier run back; the staging folder goes with `dir`.
            if let Some(aside) = &old {
                let _ = fs::rename(aside, &dest);
            }
            return Err(io("rename the finished staging folder to", &dest)(e));
        }
        // Renamed away: nothing left for the guard to remove.
        let _ = dir.keep();
        sync_dir(&self.root);
        if let Some(aside) = old
            && let Err(e) = fs::remove_dir_all(&aside)
        {
            tracing::warn!(
                path = %aside.display(),
                "cannot remove the replaced folder: {e}; the next run removes it"
            );
        }
        Ok(dest)
    }

    /// Removes the period folders beyond the `keep` newest, never `written`. Returns the
    /// labels removed.
    pub fn prune(&self, keep: usize, written: &str) -> Result<Vec<String>, ArchiveError> {
        let mut periods = Vec::new();
        for entry in fs::read_dir(&self.root).map_err(io("list", &self.root))? {
            let entry = entry.map_err(io("list", &self.root))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if let Some(p) = period::from_label(&name) {
                periods.push((p.end, p.start, name));
            }
        }
        periods.sort_by(|a, b| b.cmp(a));
        let mut removed = Vec::new();
        for (_, _, label) in periods.into_iter().skip(keep) {
            if label == written {
                continue;
            }
            // Renamed first, so a run killed while deleting leaves no half folder that
            // still looks like a finished period.
            let path = self.root.join(&label);
            let aside = self.hidden(PRUNING, &label);
            fs::rename(&path, &aside).map_err(io("move aside", &path))?;
            fs::remove_dir_all(&aside).map_err(io("remove", &aside))?;
            removed.push(label);
        }
        Ok(removed)
    }

    /// The folder of the previous period of `label`: of the period folders that hold a
    /// report.json, the one whose period ended last before `label`'s began (ties: the one
    /// that began last). None when no earlier period is filed.
    pub fn previous(&self, label: &str) -> Result<Option<PathBuf>, ArchiveError> {
        let Some(current) = period::from_label(label) else {
            return Ok(None);
        };
        let mut best: Option<(
            chrono::DateTime<chrono::Utc>,
            chrono::DateTime<chrono::Utc>,
            String,
        )> = None;
        for entry in fs::read_dir(&self.root).map_err(io("list", &self.root))? {
            let entry = entry.map_err(io("list", &self.root))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == label || !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let Some(p) = period::from_label(&name) else {
                continue;
            };
            if p.end >= current.start || !entry.path().join("report.json").is_file() {
                continue;
            }
            let candidate = (p.end, p.start, name);
            if best.as_ref().is_none_or(|b| candidate > *b) {
                best = Some(candidate);
            }
        }
        Ok(best.map(|(_, _, name)| self.root.join(name)))
    }

    /// Removes hidden folders of dead runs and puts back period folders a dead `--replace`
    /// had moved aside. Runs under the lock, so no live run owns them.
    fn recover(&self) -> Result<Recovered, ArchiveError> {
        let mut recovered = Recovered::default();
        let mut entries: Vec<String> = fs::read_dir(&self.root)
            .map_err(io("list", &self.root))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(PREFIX))
            .collect();
        entries.sort();
        for name in entries {
            let path = self.root.join(&name);
            let mut parts = name[PREFIX.len()..].splitn(3, '.');
            let (state, label) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let dest = self.root.join(label);
            if state == REPLACED && check_label(label).is_ok() && !dest.exists() {
                fs::rename(&path, &dest).map_err(io("restore", &dest))?;
                tracing::warn!(
                    path = %dest.display(),
                    "restored the reports of {label}: an earlier run died while replacing them"
                );
                recovered.restored.push(label.to_string());
            } else if [PARTIAL, REPLACED, PRUNING].contains(&state) && path.is_dir() {
                fs::remove_dir_all(&path).map_err(io("remove", &path))?;
                tracing::info!(
                    path = %path.display(),
                    "removed the unfinished folder of an earlier run"
                );
                recovered.removed.push(name);
            }
        }
        Ok(recovered)
    }

    fn hidden(&self, state: &str, label: &str) -> PathBuf {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        self.root.join(format!(
            "{PREFIX}{state}.{label}.{}-{nanos}",
            std::process::id()
        ))
    }
}

/// Labels come from [`crate::evidence::period`]; this guards the path all the same.
fn check_label(label: &str) -> Result<(), ArchiveError> {
    let ok = !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some(())
        .ok_or_else(|| ArchiveError::BadLabel(label.to_string()))
}

/// Flushes a directory's entries, so a rename survives a crash; best effort (not every
/// filesystem lets a directory be opened for it).
fn sync_dir(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != LOCK_FILE)
            .collect();
        v.sort();
        v
    }

    fn file(archive: &Archive, label: &str, text: &str, replace: bool) -> PathBuf {
        let staging = archive.stage(label, replace).unwrap();
        fs::write(staging.path().join("report.json"), text).unwrap();
        archive.commit(staging, replace).unwrap()
    }

    #[test]
    fn a_run_is_filed_under_its_label_and_nothing_else_remains() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("reports");
        let (archive, recovered) = Archive::open(&root).unwrap();
        assert_eq!(recovered, Recovered::default());
        let staging = archive.stage("2026-Q3", false).unwrap();
        assert!(staging.path().starts_with(&root));
        assert!(names(&root)[0].starts_with(".evidencer-partial.2026-Q3."));
        fs::write(staging.path().join("report.json"), "{}").unwrap();
        let dest = archive.commit(staging, false).unwrap();
        assert_eq!(dest, root.join("2026-Q3"));
        assert_eq!(names(&root), ["2026-Q3"]);
        assert_eq!(fs::read_to_string(dest.join("report.json")).unwrap(), "{}");
    }

    #[test]
    fn an_abandoned_staging_folder_is_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let (archive, _) = Archive::open(tmp.path()).unwrap();
        let staging = archive.stage("2026-Q3", false).unwrap();
        fs::write(staging.path().join("report.json"), "half").unwrap();
        drop(staging);
        assert!(names(tmp.path()).is_empty());
    }

    #[test]
    fn a_filed_period_is_refused_without_replace_and_swapped_with_it() {
        let tmp = tempfile::tempdir().unwrap();
        let (archive, _) = Archive::open(tmp.path()).unwrap();
        file(&archive, "2026-Q3", "first", false);
        let err = archive.stage("2026-Q3", false).unwrap_err();
        assert!(matches!(err, ArchiveError::Exists { .. }), "{err}");
        assert!(err.to_string().contains("--replace"), "{err}");
        let dest = file(&archive, "2026-Q3", "second", true);
        assert_eq!(
            fs::read_to_string(dest.join("report.json")).unwrap(),
            "second"
        );
        assert_eq!(names(tmp.path()), ["2026-Q3"]);
    }

    #[test]
    fn a_second_run_waits_for_the_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let (_held, _) = Archive::open(tmp.path()).unwrap();
        let err = Archive::open(tmp.path()).unwrap_err();
        assert!(matches!(err, ArchiveError::Busy { .. }), "{err}");
    }

    #[test]
    fn what_dead_runs_left_is_cleared_or_restored() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        // A run died while writing, one while pruning, one between the renames of a replace
        // (its period folder is gone: put back), one after it (the new folder is in place).
        for dir in [
            ".evidencer-partial.2026-Q3.abc",
            ".evidencer-pruning.2025-Q1.1-2",
            ".evidencer-replaced.2026-Q2.1-3",
            ".evidencer-replaced.2026-Q1.1-4",
            "2026-Q1",
            "notes",
        ] {
            fs::create_dir(root.join(dir)).unwrap();
        }
        fs::write(
            root.join(".evidencer-replaced.2026-Q2.1-3/report.json"),
            "q2",
        )
        .unwrap();
        let (_archive, recovered) = Archive::open(root).unwrap();
        assert_eq!(recovered.restored, ["2026-Q2"]);
        assert_eq!(recovered.removed.len(), 3, "{recovered:?}");
        assert_eq!(names(root), ["2026-Q1", "2026-Q2", "notes"]);
        assert_eq!(
            fs::read_to_string(root.join("2026-Q2/report.json")).unwrap(),
            "q2"
        );
    }

    #[test]
    fn keep_removes_the_oldest_periods_never_the_one_written_nor_other_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let (archive, _) = Archive::open(root).unwrap();
        for label in [
            "2025-Q4",
            "2026-Q1",
            "2026-Q2",
            "2026-Q3",
            "2026-07-01_2026-08-15",
        ] {
            file(&archive, label, label, false);
        }
        fs::create_dir(root.join("lost+found")).unwrap();
        // Ordered by period end: 2026-Q3, the range (Aug 15), 2026-Q2, ...
        assert_eq!(
            archive.prune(2, "2026-Q3").unwrap(),
            ["2026-Q2", "2026-Q1", "2025-Q4"]
        );
        assert_eq!(
            names(root),
            ["2026-07-01_2026-08-15", "2026-Q3", "lost+found"]
        );
        // A backfilled older period stays although it is not among the newest.
        file(&archive, "2024", "2024", false);
        assert_eq!(archive.prune(1, "2024").unwrap(), ["2026-07-01_2026-08-15"]);
        assert_eq!(names(root), ["2024", "2026-Q3", "lost+found"]);
    }

    #[test]
    fn the_previous_period_is_the_latest_that_ended_before_this_one_began() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let (archive, _) = Archive::open(root).unwrap();
        assert_eq!(archive.previous("2026-Q3").unwrap(), None);
        for label in ["2025-Q4", "2026-Q1", "2026-Q2", "2026-08", "2026-Q4"] {
            file(&archive, label, "{}", false);
        }
        // A folder without a report is not a filed period.
        fs::create_dir(root.join("2026-06")).unwrap();
        assert_eq!(
            archive.previous("2026-Q3").unwrap(),
            Some(root.join("2026-Q2"))
        );
        assert_eq!(
            archive.previous("2026-Q1").unwrap(),
            Some(root.join("2025-Q4"))
        );
        assert_eq!(archive.previous("2025-Q4").unwrap(), None);
    }

    #[test]
    fn labels_that_could_escape_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let (archive, _) = Archive::open(tmp.path()).unwrap();
        for bad in ["", "..", "a/b", "2026.Q3"] {
            assert!(archive.stage(bad, false).is_err(), "{bad}");
        }
    }
}
