//! The API server's version, read once per run for the version checks
//! (`kubernetes-version-supported`, `kubelet-version-supported`, `pod-exec-restricted`).

use crate::evidence::inventory::Inventory;
use crate::facts::eol::Version;

/// The API server's version from the inventory, and the id of the source that reported it.
pub fn server_version(inventory: &Inventory) -> Option<(Version, String)> {
    let v = inventory.server_version.as_ref()?;
    let version = Version::parse(&v.git_version).or_else(|| {
        // `minor` is "27+" on some managed clusters.
        let minor = v.minor.trim_end_matches('+');
        Version::parse(&format!("{}.{minor}", v.major))
    })?;
    let source = inventory
        .sources
        .iter()
        .find(|s| s.details.get("server_version") == Some(&v.git_version))
        .or_else(|| inventory.sources.first())
        .map(|s| s.id.clone())
        .unwrap_or_else(|| "all".into());
    Some((version, source))
}
