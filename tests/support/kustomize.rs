//! `kubectl kustomize DIR`, for tests that check a rendered overlay: `None` (with a message)
//! where kubectl is not installed.

use std::path::Path;

pub fn render(dir: &Path) -> Option<String> {
    match std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
    {
        Ok(out) if out.status.success() => Some(String::from_utf8(out.stdout).unwrap()),
        Ok(out) => panic!(
            "kubectl kustomize {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            eprintln!(
                "skipped: kubectl is not available to render {} ({e})",
                dir.display()
            );
            None
        }
    }
}
