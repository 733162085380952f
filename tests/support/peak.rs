//! One run of a program under a deadline, with its peak memory: its own.
//!
//! `wait4`'s `ru_maxrss` of a child is not the child's alone on Linux: when the child execs,
//! it keeps the high-water mark of the memory it was (v)forked from. This test process runs
//! every integration test, and some hold hundreds of MB (snapshots built in memory, a test
//! API server's objects), so a child started from it would be lent that peak. So [`run`]
//! starts a fresh copy of this test binary that runs only [`intermediary`]: a small process,
//! which starts the program, reaps it with `wait4` and writes its figures to a file; the peak
//! is then the program's own. (`tests/bench/measure.rs` does the same for the benches.)

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The job directory the intermediary reads its command from and writes its figures to.
const JOB: &str = "EVIDENCER_TEST_PEAK_JOB";

/// What a run gave.
pub struct Run {
    /// None when killed by a signal.
    pub code: Option<i32>,
    /// True when it did not exit within the deadline (it was killed).
    pub hung: bool,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Peak resident set, in KiB.
    pub max_rss_kib: i64,
}

/// Runs `command` (its program, arguments, working directory and environment; stdin empty),
/// killed after `deadline`.
pub fn run(command: &Command, deadline: Duration) -> Run {
    let job = tempfile::tempdir().unwrap();
    let mut line = Vec::new();
    for part in std::iter::once(command.get_program()).chain(command.get_args()) {
        line.extend_from_slice(part.as_bytes());
        line.push(0);
    }
    fs::write(job.path().join("command"), line).unwrap();
    fs::write(
        job.path().join("deadline"),
        deadline.as_millis().to_string(),
    )
    .unwrap();
    let mut outer = Command::new(std::env::current_exe().unwrap());
    outer
        .args(["--exact", "support::peak::intermediary", "--ignored"])
        .args(["--test-threads=1", "--nocapture"])
        .env(JOB, job.path())
        .stdin(Stdio::null())
        .stdout(fs::File::create(job.path().join("harness")).unwrap())
        .stderr(Stdio::inherit());
    if let Some(dir) = command.get_current_dir() {
        outer.current_dir(dir);
    }
    for (key, value) in command.get_envs() {
        match value {
            Some(v) => outer.env(key, v),
            None => outer.env_remove(key),
        };
    }
    let status = outer.status().unwrap();
    let read = |name: &str| fs::read(job.path().join(name)).unwrap_or_default();
    let figures = String::from_utf8(read("figures")).unwrap();
    assert!(
        status.success() && !figures.is_empty(),
        "the intermediary failed ({status}): {}",
        String::from_utf8_lossy(&read("harness"))
    );
    let numbers: Vec<i64> = figures
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let [hung, code, max_rss_kib] = numbers[..] else {
        panic!("unexpected figures {figures:?}");
    };
    Run {
        code: (code >= 0).then_some(code as i32),
        hung: hung == 1,
        stdout: read("stdout"),
        stderr: read("stderr"),
        max_rss_kib,
    }
}

/// Not a test: the intermediary [`run`] starts, in a fresh copy of this binary, which runs
/// only this. Started any other way (`--ignored`), it has nothing to run.
#[test]
#[ignore = "not a test: the intermediary of support::peak::run"]
fn intermediary() {
    let Some(job) = std::env::var_os(JOB) else {
        eprintln!("nothing to run: started by support::peak::run only");
        return;
    };
    let job = Path::new(&job);
    let line = fs::read(job.join("command")).unwrap();
    // Each part ends with a NUL.
    let mut parts = line[..line.len() - 1]
        .split(|b| *b == 0)
        .map(OsStr::from_bytes);
    let deadline = Duration::from_millis(
        fs::read_to_string(job.join("deadline"))
            .unwrap()
            .parse()
            .unwrap(),
    );
    let mut child = Command::new(parts.next().unwrap())
        .args(parts)
        .env_remove(JOB)
        .stdin(Stdio::null())
        .stdout(fs::File::create(job.join("stdout")).unwrap())
        .stderr(fs::File::create(job.join("stderr")).unwrap())
        .spawn()
        .unwrap();
    let (hung, code, max_rss_kib) = reap(&mut child, deadline);
    fs::write(
        job.join("figures"),
        format!("{hung} {code} {max_rss_kib}\n"),
    )
    .unwrap();
}

/// Waits for `child` (with `wait4`, for its rusage), killing it after `deadline`: whether it
/// hung (1 or 0), its exit code (-1 when killed by a signal) and its peak memory in KiB.
fn reap(child: &mut std::process::Child, deadline: Duration) -> (u8, i32, i64) {
    let started = Instant::now();
    let pid = child.id() as libc::pid_t;
    loop {
        let mut status = 0;
        // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: pid is our own child, not yet reaped; status and usage are valid pointers.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(reaped >= 0, "wait4: {}", std::io::Error::last_os_error());
        if reaped == pid {
            let status = std::process::ExitStatus::from_raw(status);
            return (0, status.code().unwrap_or(-1), usage.ru_maxrss);
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return (1, -1, 0);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
