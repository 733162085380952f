//! The snapshot manifest: `manifest.json`, describing what a collection holds.
//!
//! `evidencer collect` writes one beside the kubectl-style List files it saves; the evidence
//! bundle extends it. It records when and from where objects were collected, which kinds were
//! collected, forbidden (403) or not served, and the size and sha256 of every file, so a report
//! made later from the snapshot keeps a forbidden kind `not_assessed` exactly as a live run
//! would, and anyone can check the files were not edited since.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::collect::KindStatus;

/// Name of the manifest file in a snapshot directory or bundle.
pub const FILE_NAME: &str = "manifest.json";

/// The value of [`Manifest::format`].
pub const FORMAT: &str = "evidencer-snapshot";

/// Version of the manifest format: bumped on breaking changes; added fields do not bump it.
pub const FORMAT_VERSION: u32 = 1;

/// Key, in [`Manifest::extra`], of the part only an evidence bundle's manifest has: what
/// tells a bundle from a snapshot.
pub const BUNDLE_PART: &str = "bundle";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    pub format_version: u32,
    pub tool: ToolInfo,
    /// RFC 3339, UTC: when collection finished.
    pub collected_at: Option<String>,
    /// The cluster the objects came from, when they came from one.
    #[serde(default)]
    pub cluster: Option<ClusterInfo>,
    /// Namespaces the collection was limited to; empty means all.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Per kind: collected (with its count), forbidden (with the reason), or not served.
    #[serde(default)]
    pub kinds: BTreeMap<String, ManifestKind>,
    /// Every file beside the manifest, with its size and sha256.
    #[serde(default)]
    pub files: Vec<ManifestFile>,
    /// Fields added by extensions (the evidence bundle), kept on read and written back.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClusterInfo {
    /// kubeconfig context name, or `in-cluster`.
    pub context: String,
    /// API server URL.
    pub server: String,
    /// `gitVersion` of the API server.
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestKind {
    /// `group/version` the kind was listed from (`v1`, `apps/v1`).
    pub api_version: String,
    #[serde(flatten)]
    pub status: KindStatus,
    /// The file holding the kind's objects, when collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ManifestFile {
    /// `/`-separated, relative to the manifest.
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// Why a path a manifest lists cannot name a file beside it, if it cannot: paths are
/// relative, `/`-separated and stay inside the manifest's directory, so a manifest cannot
/// make a reader hash or read `../../etc/shadow`. (Symbolic links that lead out are the
/// reader's to refuse: only the file system can tell.)
pub fn confined_path_error(path: &str) -> Option<&'static str> {
    Some(if path.is_empty() {
        "is empty"
    } else if path.starts_with('/') || path.starts_with('\\') {
        "is absolute"
    } else if path.contains('\\') || path.contains('\0') {
        "holds a backslash or a NUL byte"
    } else if path.split('/').any(|c| c == "..") {
        "climbs out of the directory with `..`"
    } else if path.split('/').any(|c| c.is_empty() || c == ".") {
        "is not in normal form (an empty or `.` component)"
    } else {
        return None;
    })
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: crate::base::input::InputError,
    },
    #[error("{path}:{line}: not a valid manifest: {message}")]
    Invalid {
        path: String,
        line: usize,
        message: String,
    },
    #[error(
        "{path}: format `{found}` version {version} is not an evidencer snapshot manifest this version reads (`{FORMAT}` version {FORMAT_VERSION})"
    )]
    Unsupported {
        path: String,
        found: String,
        version: u32,
    },
}

impl Manifest {
    /// An empty manifest stamped with this tool's name and version.
    pub fn new(collected_at: Option<String>) -> Self {
        Self {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            tool: ToolInfo {
                name: "evidencer".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            collected_at,
            cluster: None,
            namespaces: Vec::new(),
            kinds: BTreeMap::new(),
            files: Vec::new(),
            extra: BTreeMap::new(),
        }
    }

    /// Reads and checks a manifest file of at most `limit` bytes.
    pub fn read(path: &Path, limit: u64) -> Result<Manifest, ManifestError> {
        let display = path.display().to_string();
        let text = crate::base::input::read_to_string(path, limit).map_err(|source| {
            ManifestError::Read {
                path: display.clone(),
                source,
            }
        })?;
        Self::parse(&display, &text)
    }

    pub fn parse(display: &str, text: &str) -> Result<Manifest, ManifestError> {
        let manifest: Manifest =
            serde_json::from_str(text).map_err(|e| ManifestError::Invalid {
                path: display.to_string(),
                line: e.line(),
                message: e.to_string(),
            })?;
        if manifest.format != FORMAT || manifest.format_version > FORMAT_VERSION {
            return Err(ManifestError::Unsupported {
                path: display.to_string(),
                found: manifest.format,
                version: manifest.format_version,
            });
        }
        Ok(manifest)
    }

    /// Pretty JSON with a trailing newline; files sorted by path so output is reproducible.
    pub fn to_json(&self) -> Vec<u8> {
        let mut sorted = self.clone();
        sorted.files.sort();
        let mut out = serde_json::to_vec_pretty(&sorted).expect("the manifest serializes");
        out.push(b'\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_extension_fields() {
        let mut m = Manifest::new(Some("2026-09-30T06:00:00Z".into()));
        m.cluster = Some(ClusterInfo {
            context: "prod-eu".into(),
            server: "https://10.0.0.1:6443".into(),
            version: Some("v1.33.5".into()),
        });
        m.kinds.insert(
            "Pod".into(),
            ManifestKind {
                api_version: "v1".into(),
                status: KindStatus::Collected { count: 3 },
                file: Some("pods.json".into()),
            },
        );
        m.kinds.insert(
            "RoleBinding".into(),
            ManifestKind {
                api_version: "rbac.authorization.k8s.io/v1".into(),
                status: KindStatus::Forbidden {
                    reason: "403 Forbidden".into(),
                },
                file: None,
            },
        );
        m.files.push(ManifestFile {
            path: "pods.json".into(),
            size: 10,
            sha256: "ab".repeat(32),
        });
        m.extra.insert("report_id".into(), serde_json::json!("r-1"));
        let json = m.to_json();
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(text.contains("\"status\": \"forbidden\""), "{text}");
        let back = Manifest::parse("manifest.json", &text).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.to_json(), json);
    }

    /// Found by the `snapshot_manifest` fuzz target: a number in an extension field, read
    /// a bit off and written back, changed each time the manifest was rewritten.
    #[test]
    fn numbers_in_extension_fields_are_written_back_as_read() {
        let text = r#"{"format":"evidencer-snapshot","format_version":1,"tool":{"name":"","version":""},"":122222222222222222222}"#;
        let m = Manifest::parse("manifest.json", text).unwrap();
        assert_eq!(m.extra[""].as_f64(), Some(122222222222222222222.0));
        let back = Manifest::parse("manifest.json", std::str::from_utf8(&m.to_json()).unwrap());
        assert_eq!(back.unwrap(), m);
    }

    #[test]
    fn listed_paths_must_stay_inside_the_directory() {
        for ok in [
            "pods.json",
            "evidence/a/objects/Pod.json",
            "a..b/c.json",
            ".hidden",
        ] {
            assert_eq!(confined_path_error(ok), None, "{ok}");
        }
        for (bad, why) in [
            ("../../../../etc/shadow", "climbs out"),
            ("a/../../b", "climbs out"),
            ("..", "climbs out"),
            ("/etc/shadow", "absolute"),
            ("\\\\server\\x", "absolute"),
            ("a\\..\\b", "backslash"),
            ("a//b", "normal form"),
            ("./a", "normal form"),
            ("a/", "normal form"),
            ("", "empty"),
        ] {
            let got = confined_path_error(bad);
            assert!(got.is_some_and(|g| g.contains(why)), "{bad}: {got:?}");
        }
    }

    #[test]
    fn other_formats_and_broken_json_are_refused_with_the_path() {
        let e = Manifest::parse("m.json", r#"{"format":"other","format_version":1,"tool":{"name":"x","version":"1"},"collected_at":null}"#)
            .unwrap_err();
        assert!(e.to_string().contains("m.json"), "{e}");
        let e = Manifest::parse("m.json", "{\n\"format\": 3").unwrap_err();
        assert!(e.to_string().starts_with("m.json:2:"), "{e}");
    }
}
