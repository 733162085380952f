//! Two runs of the binary that differ in everything that must not change a byte of its
//! output, for the tests that say "the same input and `--as-of` give the same bytes". Two
//! runs in the same setting prove little: the order a directory lists its files, their
//! times, the working directory, the time zone, the locale, `HOME` and the number of
//! worker threads would all be the same both times. Here each run has its own working
//! directory holding its own copy of the inputs at the same relative paths (so paths in the
//! output match), and:
//!
//! - the first copy is on the ordinary temporary filesystem (ext4 lists a directory in hash
//!   order), its files dated 2001-09-09, run in UTC with the C locale on one worker thread;
//! - the second is on tmpfs (`/dev/shm`, which lists the newest file first) with the files
//!   written in name order, so they are listed in reverse, dated now, run in
//!   `Pacific/Chatham` time (UTC+12:45) with a Turkish locale on three worker threads.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use assert_cmd::Command;
use tempfile::TempDir;

/// One run's working directory and environment.
pub struct Rerun {
    dir: TempDir,
    first: bool,
}

/// The two settings, each with a copy of `inputs` (files or directories, relative to the
/// repository root) at the same relative path.
pub fn two(inputs: &[&str]) -> [Rerun; 2] {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shm = Path::new("/dev/shm");
    let second = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    };
    let runs = [
        Rerun {
            dir: tempfile::tempdir().unwrap(),
            first: true,
        },
        Rerun {
            dir: second.unwrap(),
            first: false,
        },
    ];
    for run in &runs {
        for input in inputs {
            run.copy(&root.join(input), &run.path().join(input));
        }
    }
    runs
}

impl Rerun {
    /// The working directory: inputs at their relative paths, and room for outputs.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The binary, run in this setting.
    pub fn evidencer(&self) -> Command {
        let mut cmd = Command::cargo_bin("evidencer").unwrap();
        let home = self.path().join(".home");
        fs::create_dir_all(&home).unwrap();
        cmd.current_dir(self.path()).env("HOME", home);
        if self.first {
            cmd.env("TZ", "UTC")
                .env("LC_ALL", "C")
                .env("LANG", "C")
                .env("RAYON_NUM_THREADS", "1");
        } else {
            cmd.env("TZ", "Pacific/Chatham")
                .env("LC_ALL", "tr_TR.UTF-8")
                .env("LANG", "tr_TR.UTF-8")
                .env("RAYON_NUM_THREADS", "3");
        }
        cmd
    }

    /// Writes an input made by the test at `relative`, dated as this setting's copies.
    pub fn write(&self, relative: &str, bytes: impl AsRef<[u8]>) {
        self.place(&self.path().join(relative), bytes.as_ref());
    }

    fn copy(&self, from: &Path, to: &Path) {
        if from.is_dir() {
            fs::create_dir_all(to).unwrap();
            let mut names: Vec<PathBuf> = fs::read_dir(from)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            names.sort();
            for path in names {
                self.copy(&path, &to.join(path.file_name().unwrap()));
            }
        } else {
            self.place(to, &fs::read(from).unwrap());
        }
    }

    fn place(&self, to: &Path, bytes: &[u8]) {
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::write(to, bytes).unwrap();
        let time = if self.first {
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000)
        } else {
            SystemTime::now()
        };
        fs::File::options()
            .write(true)
            .open(to)
            .unwrap()
            .set_modified(time)
            .unwrap();
    }
}

/// Both runs' `relative` (an output, under each working directory), which must be equal
/// byte for byte; returns the bytes.
pub fn same_bytes(runs: &[Rerun; 2], relative: &str) -> Vec<u8> {
    let read = |r: &Rerun| fs::read(r.path().join(relative)).expect(relative);
    let (a, b) = (read(&runs[0]), read(&runs[1]));
    assert!(!a.is_empty(), "{relative} is empty");
    assert!(a == b, "{relative} differs between the two runs");
    a
}
