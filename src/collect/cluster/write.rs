//! `evidencer collect`: a live collection written as a snapshot directory.
//!
//! Takes what the collector gathered and writes, for each kind listed, a kubectl-style `List`
//! file (`pods.json`, `deployments.apps.json`, ...; one redacted object per line, so a
//! finding's line points at its object), `version.json` as `kubectl version -o json` writes
//! it, and `manifest.json` (see [`crate::evidence::manifest`]): when and from which context and server
//! the objects were collected, each kind's status, each file's size and sha256, the problems
//! met, and what redaction removed (so a report from the snapshot counts it as a live one
//! does, though the files hold nothing left to redact). The directory is built under a temporary name beside the destination and
//! renamed into place at the end, so a run that dies leaves nothing that looks finished; it
//! replaces only an empty directory or a snapshot `collect` wrote, unchanged since
//! ([`crate::evidence::manifest::check_replaceable`]).

use std::fs;
use std::path::{Path, PathBuf};

use super::{ClusterError, ClusterOptions, Collected, Gather, connect, gather, runtime};
use crate::base::output::{self, OutputError};
use crate::collect::ingest::Built;
use crate::evidence::inventory::Problem;
use crate::evidence::inventory::RedactionStats;
use crate::evidence::manifest::{self, ClusterInfo, Manifest, ManifestFile, ManifestKind};
use crate::evidence::manifest::{NotReplaceable, Owned};
use crate::evidence::record::sha256_hex;

/// What `collect` wrote.
#[derive(Debug)]
pub struct Written {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub objects: usize,
    pub problems: Vec<Problem>,
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(
        "--out {}: {why}; collect replaces only an empty directory or a snapshot it wrote, \
         unchanged since: pass a new path, or move the directory away (nothing was written)",
        .path.display()
    )]
    NotASnapshot { path: PathBuf, why: String },
    #[error("cannot move the snapshot into {}", .path.display())]
    Rename {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The items of one kind as JSON text, one object per line.
#[derive(Default)]
pub(super) struct Items {
    json: Vec<u8>,
    count: usize,
    redaction: RedactionStats,
    problems: Vec<Problem>,
}

impl Gather for Items {
    fn add(&mut self, built: Built) {
        match built {
            Built::Object(object, _, stats) => {
                if self.count > 0 {
                    self.json.extend_from_slice(b",\n");
                }
                // The canonical form the object's evidence hash was computed over, with a
                // workload's field managers written back as managedFields (read again, they
                // are set aside before hashing, so the hash is the same).
                let line = crate::collect::managed::with_managed_fields(&object);
                self.json.extend_from_slice(line.as_bytes());
                self.count += 1;
                self.redaction.merge(stats);
            }
            Built::Secret => self.redaction.secrets_dropped += 1,
            Built::Skipped => {}
            Built::Problem(p) => self.problems.push(p),
        }
    }

    fn merge(&mut self, other: Self) {
        if self.count > 0 && other.count > 0 {
            self.json.extend_from_slice(b",\n");
        }
        self.json.extend_from_slice(&other.json);
        self.count += other.count;
        self.redaction.merge(other.redaction);
        self.problems.extend(other.problems);
    }

    fn count(&self) -> usize {
        self.count
    }
}

/// `evidencer collect --cluster --out DIR`.
pub fn collect_snapshot(options: &ClusterOptions, out: &Path) -> Result<Written, CollectError> {
    // Refuse a destination that cannot be replaced before spending time on the cluster.
    check_destination(out)?;
    let collected = runtime()?.block_on(async {
        let target = connect(options).await?;
        gather::<Items>(&target, options).await
    })?;
    write(out, collected)
}

/// What `collect` may replace: a snapshot it wrote (no bundle part), unchanged since.
const OWNED: Owned = Owned {
    what: "snapshot",
    is_kind: |m| !m.extra.contains_key(manifest::BUNDLE_PART),
    unlisted: &[],
};

/// An existing destination must be empty or an earlier snapshot, unchanged since (which is
/// replaced).
fn check_destination(out: &Path) -> Result<(), CollectError> {
    manifest::check_replaceable(out, &OWNED).map_err(|e| match e {
        NotReplaceable::Foreign(why) => CollectError::NotASnapshot {
            path: out.to_path_buf(),
            why,
        },
        NotReplaceable::Read { source, .. } => OutputError::CreateDir {
            path: out.to_path_buf(),
            source,
        }
        .into(),
    })
}

/// The List file of a kind: kubectl's `get -o json` envelope, one item per line.
fn list_file(items: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.len() + 96);
    out.extend_from_slice(
        b"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"},\"items\":[\n",
    );
    out.extend_from_slice(items);
    if !items.is_empty() {
        out.push(b'\n');
    }
    out.extend_from_slice(b"]}\n");
    out
}

fn write(out: &Path, collected: Collected<Items>) -> Result<Written, CollectError> {
    check_destination(out)?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    output::ensure_dir(&parent)?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot".into());
    let stage = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempdir_in(&parent)
        .map_err(|source| OutputError::CreateDir {
            path: parent.join(format!(".{name}.*.tmp")),
            source,
        })?;

    let mut manifest = Manifest::new(Some(collected.finished_at.clone()));
    manifest.cluster = Some(ClusterInfo {
        context: collected.context.clone(),
        server: collected.server.clone(),
        version: Some(collected.server_version.git_version.clone()).filter(|v| !v.is_empty()),
    });
    manifest.namespaces = collected.namespaces.clone();
    let mut problems = collected.problems;
    let mut redaction = RedactionStats::default();
    let mut objects = 0;
    let put = |file: &str, bytes: &[u8], manifest: &mut Manifest| {
        output::write_atomic(&stage.path().join(file), bytes)?;
        manifest.files.push(ManifestFile {
            path: file.to_string(),
            size: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        });
        Ok::<(), OutputError>(())
    };

    let mut version = serde_json::to_vec_pretty(&serde_json::json!({
        "serverVersion": collected.version,
    }))
    .expect("JSON serializes");
    version.push(b'\n');
    put("version.json", &version, &mut manifest)?;

    for kind in collected.kinds {
        let file = match &kind.status {
            Some(crate::evidence::inventory::KindStatus::NotServed) => None,
            _ if kind.gathered.count == 0
                && !matches!(
                    kind.status,
                    Some(crate::evidence::inventory::KindStatus::Collected { .. })
                ) =>
            {
                None
            }
            _ => Some(format!("{}.json", kind.resource)),
        };
        if let Some(file) = &file {
            put(file, &list_file(&kind.gathered.json), &mut manifest)?;
        }
        objects += kind.gathered.count;
        problems.extend(kind.gathered.problems);
        redaction.merge(kind.gathered.redaction);
        if let Some(status) = kind.status {
            manifest.kinds.insert(
                kind.kind,
                ManifestKind {
                    api_version: kind.api_version,
                    status,
                    file,
                },
            );
        }
    }
    manifest.extra.insert(
        "redaction".into(),
        serde_json::to_value(&redaction).expect("counts serialize"),
    );
    if !problems.is_empty() {
        manifest.extra.insert(
            "problems".into(),
            serde_json::to_value(&problems).expect("problems serialize"),
        );
    }
    output::write_atomic(&stage.path().join(manifest::FILE_NAME), &manifest.to_json())?;

    let staged = stage.keep();
    move_into_place(&staged, out)?;
    Ok(Written {
        dir: out.to_path_buf(),
        manifest,
        objects,
        problems,
    })
}

/// Renames the staged directory to `out`, replacing an empty directory or an earlier
/// snapshot; the earlier one is removed only once the new one is in place.
fn move_into_place(staged: &Path, out: &Path) -> Result<(), CollectError> {
    let rename_err = |source| CollectError::Rename {
        path: out.to_path_buf(),
        source,
    };
    if !out.exists() {
        return fs::rename(staged, out).map_err(rename_err);
    }
    if fs::remove_dir(out).is_ok() {
        // It was empty.
        return fs::rename(staged, out).map_err(rename_err);
    }
    let old = staged.with_extension("old");
    fs::rename(out, &old).map_err(rename_err)?;
    if let Err(e) = fs::rename(staged, out) {
        // Put the earlier snapshot back rather than leave nothing.
        let _ = fs::rename(&old, out);
        return Err(rename_err(e));
    }
    if let Err(e) = fs::remove_dir_all(&old) {
        tracing::warn!(
            "cannot remove the earlier snapshot at {}: {e}",
            old.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_files_are_valid_json_with_one_item_per_line() {
        let mut items = Items::default();
        for name in ["a", "b"] {
            let value =
                serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}});
            let inv = crate::collect::snapshot::from_text("x.json", &value.to_string());
            let object = inv.objects.into_iter().next().unwrap();
            let record = inv.records.into_iter().next().unwrap();
            items.add(Built::Object(
                Box::new(object),
                record,
                RedactionStats::default(),
            ));
        }
        let text = String::from_utf8(list_file(&items.json)).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["items"][1]["metadata"]["name"], "b");
        let empty: serde_json::Value = serde_json::from_slice(&list_file(b"")).unwrap();
        assert_eq!(empty["items"], serde_json::json!([]));
    }

    #[test]
    fn only_an_empty_directory_or_an_unchanged_snapshot_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("snap");
        assert!(check_destination(&out).is_ok());
        fs::create_dir(&out).unwrap();
        assert!(check_destination(&out).is_ok());
        let refused = |wanted: &str| {
            let e = check_destination(&out).unwrap_err().to_string();
            assert!(e.contains(wanted), "{e}");
            assert!(e.contains("nothing was written"), "{e}");
        };
        fs::write(out.join("notes.txt"), "mine").unwrap();
        refused("it holds `notes.txt` and no manifest.json");
        // A manifest does not make a directory a snapshot: every file must be listed.
        let mut m = Manifest::new(None);
        fs::write(out.join(manifest::FILE_NAME), m.to_json()).unwrap();
        refused("it holds `notes.txt`, which its manifest.json does not list");
        fs::remove_file(out.join("notes.txt")).unwrap();
        fs::write(out.join("pods.json"), "[]").unwrap();
        m.files.push(ManifestFile {
            path: "pods.json".into(),
            size: 2,
            sha256: sha256_hex(b"[]"),
        });
        fs::write(out.join(manifest::FILE_NAME), m.to_json()).unwrap();
        assert!(check_destination(&out).is_ok());
        fs::write(out.join("pods.json"), "{}").unwrap();
        refused("`pods.json` was changed since evidencer wrote it");
        fs::remove_file(out.join("pods.json")).unwrap();
        refused("`pods.json`, listed in its manifest.json, is missing");
        fs::write(out.join("pods.json"), "[]").unwrap();
        fs::create_dir(out.join("old")).unwrap();
        refused("it holds `old`, a folder");
        fs::remove_dir(out.join("old")).unwrap();
        m.extra
            .insert(manifest::BUNDLE_PART.into(), serde_json::json!({}));
        fs::write(out.join(manifest::FILE_NAME), m.to_json()).unwrap();
        refused("it is not a snapshot");
        fs::remove_dir_all(&out).unwrap();
        fs::create_dir(&out).unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();

        let staged = dir.path().join(".snap.x.tmp");
        fs::create_dir(&staged).unwrap();
        fs::write(staged.join("pods.json"), "new").unwrap();
        move_into_place(&staged, &out).unwrap();
        assert!(!out.join("notes.txt").exists());
        assert_eq!(fs::read_to_string(out.join("pods.json")).unwrap(), "new");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "{left:?}");
    }
}
