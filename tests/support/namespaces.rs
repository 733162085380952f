//! Whether a test may run the binary in a private mount namespace (`unshare -m`), where it
//! can mount what it needs (a read-only bind, a tiny tmpfs, a service-account directory)
//! without touching the machine: root (which CI is) and a working `unshare`.

use super::need;

/// True where `unshare -m` works; otherwise says why the caller skips (a failure under CI).
#[track_caller]
pub fn available() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return need::missing("mount-namespace tests need root (CI runs as root)");
    }
    let probe = std::process::Command::new("unshare")
        .args(["-m", "true"])
        .output();
    match probe {
        Ok(out) if out.status.success() => true,
        Ok(out) => need::missing(&format!(
            "`unshare -m` is not permitted here: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => need::missing(&format!("`unshare` (util-linux) cannot be run: {e}")),
    }
}
