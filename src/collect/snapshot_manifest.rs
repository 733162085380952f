//! A snapshot directory's `manifest.json`, applied to what was read from the directory.
//!
//! `evidencer collect` records in the manifest what it knew at collection time (see
//! [`crate::evidence::manifest`]). When a `--snapshot` directory has one, it replaces the guesswork:
//! each kind's status (a kind that was forbidden stays `not_assessed` offline exactly as
//! live; a kind collected with no objects counts as collected), the collection time on every
//! evidence record, the cluster context as the source's identity (so findings keep the ids a
//! live run of the same cluster gives), the problems met while collecting and what redaction
//! removed then (the files hold only what was left). Each file is
//! checked against the size and sha256 the manifest lists: a file changed, missing or added
//! since collection is a problem in the report. A manifest only ever names files inside its
//! directory: a listed path that is absolute, climbs out with `..`, or leads out through a
//! symbolic link is a problem and is not read (see [`manifest::confined_path_error`]).

use std::fs;
use std::path::Path;

use rayon::prelude::*;

use crate::base::input::{self, InputError};
use crate::evidence::inventory::{Inventory, KindStatus, RedactionStats};
use crate::evidence::inventory::{Problem, ProblemLevel};
use crate::evidence::manifest::{self, Manifest};
use crate::evidence::record::sha256_hex;

/// Applies `root/manifest.json`, when there is one, to the inventory read from `root`.
pub(super) fn apply(root: &Path, source_id: &str, max_file_bytes: u64, inventory: &mut Inventory) {
    let path = root.join(manifest::FILE_NAME);
    if !root.is_dir() || fs::symlink_metadata(&path).is_err() {
        return;
    }
    let manifest = match Manifest::read(&path, max_file_bytes) {
        Ok(m) => m,
        Err(e) => {
            inventory.problems.push(
                Problem::new(
                    ProblemLevel::Error,
                    source_id,
                    path.display().to_string(),
                    e.to_string(),
                )
                .hint(
                    "the snapshot was read without its manifest: kinds it lacks count as not \
                     collected, and forbidden kinds are not told apart",
                ),
            );
            return;
        }
    };
    merge(&manifest, &path.display().to_string(), source_id, inventory);
    inventory
        .problems
        .extend(verify_files(root, &manifest, source_id, max_file_bytes));
}

/// Applies what a manifest (shown as `shown` in problems) records to the inventory read
/// beside it; the files it lists are not looked at here.
pub(crate) fn merge(manifest: &Manifest, shown: &str, source_id: &str, inventory: &mut Inventory) {
    if let Some(source) = inventory.sources.iter_mut().find(|s| s.id == source_id) {
        if let Some(cluster) = &manifest.cluster {
            source.identity = cluster.context.clone();
            source
                .details
                .insert("context".into(), cluster.context.clone());
            source
                .details
                .insert("server".into(), cluster.server.clone());
            if let Some(v) = &cluster.version {
                source
                    .details
                    .entry("server_version".into())
                    .or_insert_with(|| v.clone());
            }
        }
        if let Some(at) = &manifest.collected_at {
            source.details.insert("collected_at".into(), at.clone());
        }
        if !manifest.namespaces.is_empty() {
            source
                .details
                .insert("namespaces".into(), manifest.namespaces.join(","));
        }
    }
    if let Some(at) = &manifest.collected_at {
        for record in inventory
            .records
            .iter_mut()
            .filter(|r| r.source == source_id && r.collected_at.is_none())
        {
            record.collected_at = Some(at.clone());
        }
    }
    for (kind, entry) in &manifest.kinds {
        let status = match &entry.status {
            KindStatus::Collected { .. } => {
                inventory.listed.insert(kind.clone());
                KindStatus::Collected {
                    count: inventory.coverage.count(kind),
                }
            }
            other => other.clone(),
        };
        inventory.coverage.set(kind, status);
    }
    if let Some(recorded) = manifest.extra.get("problems") {
        match serde_json::from_value::<Vec<Problem>>(recorded.clone()) {
            Ok(problems) => inventory.problems.extend(problems.into_iter().map(|mut p| {
                p.message = format!("at collection: {}", p.message);
                p.source = source_id.to_string();
                p
            })),
            Err(e) => inventory.problems.push(Problem::new(
                ProblemLevel::Warning,
                source_id,
                shown,
                format!("the problems it records cannot be read: {e}"),
            )),
        }
    }
    if let Some(recorded) = manifest.extra.get("redaction") {
        match serde_json::from_value::<RedactionStats>(recorded.clone()) {
            Ok(stats) => inventory.redaction.merge(stats),
            Err(e) => inventory.problems.push(Problem::new(
                ProblemLevel::Warning,
                source_id,
                shown,
                format!("the redaction counts it records cannot be read: {e}"),
            )),
        }
    }
}

/// Problems for files that changed, went missing or appeared since collection, and for
/// listed paths that lead out of the directory.
fn verify_files(
    root: &Path,
    manifest: &Manifest,
    source_id: &str,
    max_file_bytes: u64,
) -> Vec<Problem> {
    let canonical_root = fs::canonicalize(root).ok();
    let mut problems: Vec<Problem> = manifest
        .files
        .par_iter()
        .filter_map(|file| {
            let path = root.join(&file.path);
            let shown = path.display().to_string();
            let outside = |why: String| {
                Problem::new(
                    ProblemLevel::Error,
                    source_id,
                    root.join(manifest::FILE_NAME).display().to_string(),
                    format!("lists `{}`, which {why}; it was not read", file.path),
                )
                .hint(
                    "a snapshot manifest only names files in its own directory: this one \
                     was edited or not written by evidencer; collect again",
                )
            };
            if let Some(why) = manifest::confined_path_error(&file.path) {
                return Some(outside(why.to_string()));
            }
            // A symbolic link may lead anywhere: only where it really leads counts.
            if let (Some(root), Ok(real)) = (&canonical_root, fs::canonicalize(&path))
                && !real.starts_with(root)
            {
                return Some(outside(
                    "is a symbolic link (or under one) that leads out of the snapshot \
                     directory"
                        .into(),
                ));
            }
            let bytes = match input::read(&path, max_file_bytes) {
                Ok(bytes) => bytes,
                Err(e) => {
                    let why = match &e {
                        InputError::Io(_) | InputError::NotRegular { .. } => {
                            format!("listed in manifest.json but cannot be read: {e}")
                        }
                        _ => format!("listed in manifest.json but not read: {e}"),
                    };
                    return Some(
                        Problem::new(ProblemLevel::Error, source_id, shown, why).hint(
                            "its objects were not assessed; restore the file or collect again",
                        ),
                    );
                }
            };
            let sha256 = sha256_hex(&bytes);
            (bytes.len() as u64 != file.size || sha256 != file.sha256).then(|| {
                Problem::new(
                    ProblemLevel::Warning,
                    source_id,
                    shown,
                    format!(
                        "changed since it was collected: {} bytes with sha256 {sha256}, where \
                         manifest.json recorded {} bytes with sha256 {}",
                        bytes.len(),
                        file.size,
                        file.sha256
                    ),
                )
                .hint(
                    "its objects were read as the file is now, which is not what was \
                     collected; collect again or restore the original",
                )
            })
        })
        .collect();
    let listed: std::collections::BTreeSet<&str> =
        manifest.files.iter().map(|f| f.path.as_str()).collect();
    let mut extra: Vec<String> = fs::read_dir(root)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            !name.starts_with('.')
                && name != manifest::FILE_NAME
                && [".json", ".yaml", ".yml"].iter().any(|x| name.ends_with(x))
                && !listed.contains(name.as_str())
        })
        .collect();
    extra.sort();
    problems.extend(extra.into_iter().map(|name| {
        Problem::new(
            ProblemLevel::Warning,
            source_id,
            root.join(&name).display().to_string(),
            "not listed in manifest.json: added after collection",
        )
        .hint("its objects were read, but they are not part of what was collected")
    }));
    problems.sort_by(|a, b| a.location.cmp(&b.location));
    problems
}
