//! What a test needs from the machine: a tool, root, a working `unshare -m`. Where it is
//! missing the test cannot prove anything, so it must not pass as if it had: it says it is
//! skipped, and under `CI=true`, where `.ci/run` installed everything, it fails with the
//! reason instead.

/// Whether the environment says this is CI (`CI` set to anything but empty, `0` or `false`,
/// as CI services set it).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// The test cannot run its part here because of `reason`: under CI it fails with the
/// reason; elsewhere it prints that the part is skipped, and the caller returns.
#[track_caller]
pub fn missing(reason: &str) -> bool {
    assert!(
        !in_ci(),
        "{reason}; under CI this is a failure, not a skip (`.ci/run` installs what the tests need)"
    );
    eprintln!("skipped: {reason}");
    false
}

/// True when `program args` runs; otherwise [`missing`] (so false, or a failure under CI).
/// `package` names what installs it.
#[track_caller]
pub fn tool(program: &str, args: &[&str], package: &str) -> bool {
    let ran = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output();
    match ran {
        Ok(_) => true,
        Err(e) => missing(&format!("`{program}` ({package}) cannot be run: {e}")),
    }
}
