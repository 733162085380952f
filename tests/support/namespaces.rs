//! Whether a test may run the binary in a private mount namespace (`unshare -m`), where it
//! can mount what it needs (a read-only bind, a tiny tmpfs, a service-account directory)
//! without touching the machine: root (which CI is) and a working `unshare`.

/// True where `unshare -m` works; otherwise prints why the caller skips.
pub fn available() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: mount-namespace tests need root (CI runs as root)");
        return false;
    }
    let probe = std::process::Command::new("unshare")
        .args(["-m", "true"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: `unshare -m` is not available or not permitted here");
        return false;
    }
    true
}
