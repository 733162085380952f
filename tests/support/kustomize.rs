//! `kubectl kustomize DIR`, for tests that check a rendered overlay: `None` (with a message,
//! or a failure under CI) where kubectl is not installed.

use std::path::Path;

use super::need;

#[track_caller]
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
            need::missing(&format!(
                "kubectl cannot be run to render {} ({e})",
                dir.display()
            ));
            None
        }
    }
}
