//! Wall time, CPU time and peak RSS of one command, measured through a small intermediary.
//!
//! `wait4`'s `ru_maxrss` of a child is not the child's alone on Linux: when the child execs,
//! the high-water mark of the memory it was forked (or vforked) from is carried over. A bench
//! process that holds a test API server's objects, or has just generated a snapshot, would
//! lend its own peak to every command it starts. So the bench re-executes itself as a fresh,
//! small process (`--measure-child`), which starts the command, reaps it with `wait4` and
//! writes the figures to a file; the peak it reports is then the command's own, plus the few
//! megabytes of the intermediary at most.
//!
//! Each bench's `main` starts with `measure::serve_if_asked();`.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FLAG: &str = "--measure-child";

/// One measured run.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub wall: Duration,
    /// User plus system time: less disturbed by other processes than wall time.
    pub cpu: Duration,
    /// Peak resident set size, in bytes.
    pub max_rss: u64,
}

/// Runs `command` (its program, arguments, working directory and environment) and measures
/// it. Its stdout goes to /dev/null when `quiet`, else to this process's stdout. Panics when
/// the command does not exit 0.
pub fn run(command: &Command, quiet: bool) -> Run {
    let figures = tempfile::NamedTempFile::new().expect("a temporary file");
    let mut outer = Command::new(std::env::current_exe().expect("the bench's own path"));
    outer
        .arg(FLAG)
        .arg(figures.path())
        .arg(command.get_program())
        .args(command.get_args());
    if let Some(dir) = command.get_current_dir() {
        outer.current_dir(dir);
    }
    for (key, value) in command.get_envs() {
        match value {
            Some(v) => outer.env(key, v),
            None => outer.env_remove(key),
        };
    }
    if quiet {
        outer.stdout(Stdio::null());
    }
    let status = outer.status().expect("the bench re-executes itself");
    assert!(status.success(), "{command:?} failed: {status}");
    let text = std::fs::read_to_string(figures.path()).expect("the intermediary's figures");
    let numbers: Vec<u64> = text
        .split_whitespace()
        .map(|n| n.parse().expect("a number"))
        .collect();
    let [wall_ns, cpu_ns, max_rss] = numbers[..] else {
        panic!("unexpected figures {text:?}");
    };
    Run {
        wall: Duration::from_nanos(wall_ns),
        cpu: Duration::from_nanos(cpu_ns),
        max_rss,
    }
}

/// When this process was started as the intermediary, runs the command it was given and
/// exits with 0 when it succeeded, 1 when not; otherwise returns, and the bench goes on.
pub fn serve_if_asked() {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(FLAG.as_ref()) {
        return;
    }
    let figures = args.next().expect("a figures file");
    let program = args.next().expect("a program");
    let rest: Vec<OsString> = args.collect();
    let started = Instant::now();
    let child = Command::new(&program)
        .args(&rest)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", Path::new(&program).display()));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; pid is our own child, reaped here
    // exactly once (std's Child is dropped without waiting).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    drop(child);
    assert_eq!(rc, pid, "wait4 failed: {}", std::io::Error::last_os_error());
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let cpu = tv(usage.ru_utime) + tv(usage.ru_stime);
    // ru_maxrss is in KiB on Linux.
    let text = format!(
        "{} {} {}\n",
        wall.as_nanos(),
        cpu.as_nanos(),
        usage.ru_maxrss as u64 * 1024
    );
    std::fs::write(&figures, text).expect("the figures file is writable");
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    std::process::exit(if ok { 0 } else { 1 });
}
