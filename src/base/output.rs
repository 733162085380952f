//! Writing outputs atomically: a reader sees the old file or the new one, never half of one.
//!
//! Each file is written to a temporary file in the destination directory, flushed to disk,
//! and renamed over the destination. A run that dies mid-way leaves at most a hidden
//! temporary file, which the next write of the same file does not trip over.
//!
//! A run's reports are one set: [`Staged`] writes them into a hidden folder inside the
//! output directory, `DIR/.evidencer-partial.<random>/`, and only when every file is on
//! disk renames each into `DIR`. A run that fails before the renames (a full disk, a
//! template error) leaves `DIR` as it was and removes the folder; one that is killed leaves
//! the folder, which the next run into `DIR` removes. Other files in `DIR` are never
//! touched, so `--out .` works in a directory of one's own.
//!
//! Whether a directory may be replaced whole is a question of its `manifest.json`, and is
//! answered beside that format (`evidence::manifest::check_replaceable`).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot create output directory {}", .path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot write {} (the run's reports are staged there; the reports already in {} are left as they were)",
        .path.display(),
        .out.display()
    )]
    Stage {
        path: PathBuf,
        out: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Creates `dir` and its parents when missing.
pub fn ensure_dir(dir: &Path) -> Result<(), OutputError> {
    fs::create_dir_all(dir).map_err(|source| OutputError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes `bytes` to `path` atomically (temporary file in the same directory, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let err = |source| OutputError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(err)?;
    // tempfile creates 0600 files; a report is an ordinary file (0644, less the umask).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = 0o666 & !current_umask();
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))
            .map_err(err)?;
    }
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// The process umask, read from /proc (std has no way to read it without changing it);
/// 022 when it cannot be read.
#[cfg(unix)]
pub(crate) fn current_umask() -> u32 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// Name prefix of the staging folders in an output directory.
pub const STAGING_PREFIX: &str = ".evidencer-partial.";

/// The reports of one run, staged in the output directory until [`Staged::commit`] moves
/// them in. Dropped before that, the staging folder is removed and the directory is as it
/// was.
pub struct Staged {
    out: PathBuf,
    staging: tempfile::TempDir,
    /// Held while the run lives: a staging folder whose lock can be taken belongs to a run
    /// that died.
    _lock: fs::File,
    names: Vec<String>,
}

impl Staged {
    /// Creates `out` when missing, removes the staging folders of runs that died, and
    /// starts this run's.
    pub fn begin(out: &Path) -> Result<Staged, OutputError> {
        ensure_dir(out)?;
        clear_dead_staging(out);
        let staging = tempfile::Builder::new()
            .prefix(STAGING_PREFIX)
            .tempdir_in(out)
            .map_err(|source| OutputError::CreateDir {
                path: out.join(format!("{STAGING_PREFIX}*")),
                source,
            })?;
        let lock = lock_dir(staging.path()).map_err(|source| OutputError::CreateDir {
            path: staging.path().to_path_buf(),
            source,
        })?;
        Ok(Staged {
            out: out.to_path_buf(),
            staging,
            _lock: lock,
            names: Vec::new(),
        })
    }

    /// Writes one file of the set into the staging folder, flushed to disk.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let path = self.staging.path().join(name);
        let err = |source| OutputError::Stage {
            path: path.clone(),
            out: self.out.clone(),
            source,
        };
        // Created as any file is (0666 less the umask), to be renamed as it is.
        let mut f = fs::File::create(&path).map_err(err)?;
        f.write_all(bytes).map_err(err)?;
        f.sync_all().map_err(err)?;
        self.names.push(name.to_string());
        Ok(())
    }

    /// Moves every file written into the output directory and removes the staging folder.
    pub fn commit(self) -> Result<(), OutputError> {
        sync_dir(self.staging.path());
        for name in &self.names {
            let target = self.out.join(name);
            fs::rename(self.staging.path().join(name), &target).map_err(|source| {
                OutputError::Write {
                    path: target.clone(),
                    source,
                }
            })?;
        }
        sync_dir(&self.out);
        let staging = self.staging.path().to_path_buf();
        self.staging.close().map_err(|source| OutputError::Write {
            path: staging,
            source,
        })
    }
}

/// Removes the staging folders in `out` that no live run holds: those of runs that were
/// killed. Best effort: one that cannot be removed is left for the next run, with a warning.
fn clear_dead_staging(out: &Path) {
    let Ok(entries) = fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(STAGING_PREFIX) || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = entry.path();
        // A live run holds its folder's lock; the lock of a dead one is free.
        let Ok(_lock) = lock_dir(&path) else {
            continue;
        };
        match fs::remove_dir_all(&path) {
            Ok(()) => tracing::info!(
                path = %path.display(),
                "removed the unfinished reports of an earlier run"
            ),
            Err(e) => tracing::warn!(
                path = %path.display(),
                "cannot remove the unfinished reports of an earlier run: {e}"
            ),
        }
    }
}

/// Takes the exclusive lock of a directory without waiting; an error when another process
/// holds it.
fn lock_dir(dir: &Path) -> std::io::Result<fs::File> {
    let f = fs::File::open(dir)?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(fs::TryLockError::WouldBlock) => {
            Err(std::io::Error::from(std::io::ErrorKind::WouldBlock))
        }
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Flushes a directory's entries, so renames survive a crash; best effort (not every
/// filesystem lets a directory be opened for it).
fn sync_dir(dir: &Path) {
    if let Ok(f) = fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_staged_set_lands_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        fs::write(out.join("report.md"), "old").unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        // Abandoned half-way: the earlier report stays, the staging folder goes.
        let mut staged = Staged::begin(out).unwrap();
        staged.write("report.json", b"{}").unwrap();
        drop(staged);
        assert_eq!(names(out), ["notes.txt", "report.md"]);
        let mut staged = Staged::begin(out).unwrap();
        staged.write("report.json", b"{}").unwrap();
        staged.write("report.md", b"new").unwrap();
        assert_eq!(fs::read(out.join("report.md")).unwrap(), b"old");
        staged.commit().unwrap();
        assert_eq!(names(out), ["notes.txt", "report.json", "report.md"]);
        assert_eq!(fs::read(out.join("report.md")).unwrap(), b"new");
    }

    #[test]
    fn a_dead_run_s_staging_folder_is_cleared_a_live_one_s_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let dead = out.join(format!("{STAGING_PREFIX}dead"));
        fs::create_dir(&dead).unwrap();
        fs::write(dead.join("report.json"), "half").unwrap();
        let live = Staged::begin(out).unwrap();
        assert!(!dead.exists());
        let other = Staged::begin(out).unwrap();
        assert!(live.staging.path().is_dir(), "a live run's folder is kept");
        other.commit().unwrap();
        live.commit().unwrap();
        assert!(names(out).is_empty(), "{:?}", names(out));
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_path() {
        let err = write_atomic(Path::new("/nonexistent-dir-evidencer/x.json"), b"x").unwrap_err();
        assert!(
            err.to_string()
                .contains("/nonexistent-dir-evidencer/x.json"),
            "{err}"
        );
    }
}
