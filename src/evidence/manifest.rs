//! The snapshot manifest: `manifest.json`, describing what a collection holds.
//!
//! `evidencer collect` writes one beside the kubectl-style List files it saves; the evidence
//! bundle extends it. It records when and from where objects were collected, which kinds were
//! collected, forbidden (403) or not served, and the size and sha256 of every file, so a report
//! made later from the snapshot keeps a forbidden kind `not_assessed` exactly as a live run
//! would, and anyone can check the files were not edited since.
//!
//! [`check_replaceable`] decides whether a directory may be replaced whole (a bundle
//! directory, `collect --out`): only when it is empty or evidencer wrote it and nobody
//! changed it since, as its `manifest.json` proves; anything else is someone's files.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::evidence::inventory::KindStatus;
use crate::evidence::record::sha256_hex;

/// Name of the manifest file in a snapshot directory or bundle.
pub const FILE_NAME: &str = "manifest.json";

/// The folder of a report.json (`.` for a bare file name) and the manifests that may speak
/// for it: `manifest.json` in that folder and, for a bundle's `reports/report.json`, the
/// bundle root's. Whether one exists, and is a bundle's, is the reader's to check.
pub fn beside_report(report: &Path) -> (PathBuf, Vec<PathBuf>) {
    let dir = match report.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut manifests = vec![dir.join(FILE_NAME)];
    if dir.file_name().is_some_and(|n| n == "reports")
        && let Some(root) = dir.parent()
    {
        manifests.push(root.join(FILE_NAME));
    }
    (dir, manifests)
}

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

/// What a replaceable directory must be.
pub struct Owned<'a> {
    /// What it is called in messages: `bundle`, `snapshot`.
    pub what: &'a str,
    /// Whether a manifest of evidencer's format is of this kind (a bundle's, a snapshot's).
    pub is_kind: fn(&Manifest) -> bool,
    /// Files besides `manifest.json` that need not be listed in it (a bundle's signature).
    pub unlisted: &'a [&'a str],
}

/// Why a directory may not be replaced.
#[derive(Debug, thiserror::Error)]
pub enum NotReplaceable {
    /// Someone else's files, or evidencer's changed since: why, naming the path.
    #[error("{0}")]
    Foreign(String),
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Ok when `dir` may be replaced whole: it does not exist, is an empty directory, or holds
/// exactly what evidencer wrote there: a `manifest.json` of evidencer's format and of the
/// kind `owned` says, every file it lists with the size and sha256 it lists, the `unlisted`
/// files, and nothing else (no other file, directory or link). Follows no link.
pub fn check_replaceable(dir: &Path, owned: &Owned) -> Result<(), NotReplaceable> {
    let read = |path: &Path| {
        let path = path.to_path_buf();
        move |source| NotReplaceable::Read { path, source }
    };
    let foreign = |why: String| Err(NotReplaceable::Foreign(why));
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return foreign("it exists and is not a directory".into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(read(dir)(e)),
    }
    let present = walk(dir).map_err(read(dir))?;
    if present.is_empty() {
        return Ok(());
    }
    let first = || {
        present
            .iter()
            .find(|(_, k)| **k != Entry::Dir)
            .or(present.iter().next())
            .map(|(p, _)| p.clone())
            .unwrap_or_default()
    };
    let manifest_path = dir.join(FILE_NAME);
    if present.get(FILE_NAME) != Some(&Entry::File) {
        return foreign(format!("it holds `{}` and no {}", first(), FILE_NAME));
    }
    let text = fs::read(&manifest_path).map_err(read(&manifest_path))?;
    let parsed = std::str::from_utf8(&text)
        .map_err(|e| e.to_string())
        .and_then(|t| Manifest::parse(FILE_NAME, t).map_err(|e| e.to_string()));
    let m = match parsed {
        Ok(m) => m,
        Err(why) => {
            return foreign(format!("its {} is not evidencer's: {why}", FILE_NAME));
        }
    };
    let mut expected: BTreeSet<String> = owned.unlisted.iter().map(|f| f.to_string()).collect();
    expected.insert(FILE_NAME.to_string());
    for f in &m.files {
        let plain = !f.path.is_empty()
            && f.path
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != ".." && !c.contains('\\'));
        if !plain {
            return foreign(format!(
                "its {} lists `{}`, a path evidencer never writes",
                FILE_NAME, f.path
            ));
        }
        match present.get(&f.path) {
            Some(Entry::File) => {}
            Some(Entry::Symlink) => return foreign(format!("`{}` is a symbolic link", f.path)),
            Some(Entry::Special) => return foreign(format!("`{}` is not a regular file", f.path)),
            Some(Entry::Dir) | None => {
                return foreign(format!(
                    "`{}`, listed in its {}, is missing",
                    f.path, FILE_NAME
                ));
            }
        }
        // The folders on the way to it are evidencer's too.
        let mut parent = f.path.as_str();
        while let Some((up, _)) = parent.rsplit_once('/') {
            expected.insert(up.to_string());
            parent = up;
        }
        expected.insert(f.path.clone());
    }
    // Files first: they say more than the folder holding them.
    let mut unexpected: Vec<(&String, &Entry)> = present
        .iter()
        .filter(|(path, _)| !expected.contains(*path))
        .collect();
    unexpected.sort_by_key(|(_, kind)| **kind == Entry::Dir);
    if let Some((path, kind)) = unexpected.first() {
        let why = match kind {
            Entry::File => "which its manifest.json does not list",
            Entry::Dir => "a folder its manifest.json does not account for",
            Entry::Symlink => "a symbolic link",
            Entry::Special => "not a regular file",
        };
        return foreign(format!("it holds `{path}`, {why}"));
    }
    // Only then the hashes: the cheap refusals come first.
    for f in &m.files {
        let path = dir.join(&f.path);
        let bytes = fs::read(&path).map_err(read(&path))?;
        if bytes.len() as u64 != f.size || sha256_hex(&bytes) != f.sha256 {
            return foreign(format!("`{}` was changed since evidencer wrote it", f.path));
        }
    }
    if !(owned.is_kind)(&m) {
        return foreign(format!(
            "it is not a {}: its {} is of another kind of evidencer output",
            owned.what, FILE_NAME
        ));
    }
    Ok(())
}

/// What a directory entry is, as [`walk`] finds it. Links are never followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    File,
    Dir,
    Symlink,
    /// A FIFO, socket or device.
    Special,
}

/// Everything below `root` by `/`-separated relative path, sorted: the one walk over an
/// output directory, for the overwrite guard here and for `verify`, each of which words what
/// it finds in its own terms.
pub fn walk(root: &Path) -> std::io::Result<std::collections::BTreeMap<String, Entry>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let kind = entry.file_type()?;
            let what = if kind.is_dir() {
                stack.push((entry.path(), rel.clone()));
                Entry::Dir
            } else if kind.is_file() {
                Entry::File
            } else if kind.is_symlink() {
                Entry::Symlink
            } else {
                Entry::Special
            };
            out.insert(rel, what);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_names_files_folders_links_and_sockets_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("a/b")).unwrap();
        fs::write(dir.path().join("a/b/f.json"), "{}").unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("a/out")).unwrap();
        let _socket = std::os::unix::net::UnixListener::bind(dir.path().join("s")).unwrap();
        let found: Vec<(String, Entry)> = walk(dir.path()).unwrap().into_iter().collect();
        assert_eq!(
            found,
            [
                ("a".to_string(), Entry::Dir),
                ("a/b".to_string(), Entry::Dir),
                ("a/b/f.json".to_string(), Entry::File),
                ("a/out".to_string(), Entry::Symlink),
                ("s".to_string(), Entry::Special),
            ]
        );
    }

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
