//! The manifests of the period end's tree, through the same loader as `--snapshot`.
//!
//! The loader discovers files, follows kustomizations between directories, skips Helm
//! templates and reads files in parallel, asking a
//! [`FileSystem`](crate::collect::filesystem::FileSystem) for each step. Here that is a
//! [`MemoryTree`] of the commit's YAML and JSON files (and `Kustomization` files) and its
//! symbolic links, read from the object database into memory, under a root path that exists
//! nowhere on disk; nothing is written to disk. Every path the loader records is then mapped
//! back: objects' origins and `via` become paths relative to the repository, locators become
//! `repo@commit:path#doc`, and evidence ids are derived from the repository source. Hidden
//! directories are left out, as the loader leaves them out of a snapshot.
//!
//! Symbolic links are followed inside the tree only, as the operating system would follow
//! them in a checkout: a kustomization may list a linked file or directory. A link that
//! leaves the tree (an absolute target, or one that climbs above the root), a link to
//! nothing and a loop of links are input problems naming the link.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use super::{CommitInfo, Ctx, tree};
use crate::collect::filesystem::MemoryTree;
use crate::collect::kustomize;
use crate::collect::snapshot::{self, SnapshotOptions};
use crate::evidence::inventory::Inventory;
use crate::evidence::inventory::{Problem, ProblemLevel};
use crate::evidence::record::evidence_id;

/// Where the tree is shown to the loader: a path no disk holds, mapped back before anything
/// is kept.
const ROOT: &str = "/.evidencer-git-tree";

fn is_hidden(path: &str) -> bool {
    path.split('/').any(|part| part.starts_with('.'))
}

/// Files the manifest loader reads.
fn is_manifest_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    !is_hidden(path)
        && (name.ends_with(".yaml")
            || name.ends_with(".yml")
            || name.ends_with(".json")
            || kustomize::FILE_NAMES.contains(&name))
}

/// A file's content, or the problem of a blob that could not be read.
type Blob = Result<Arc<[u8]>, Problem>;

pub(super) fn load(
    ctx: &Ctx,
    end: &CommitInfo,
    end_files: &[tree::Change],
    links: &[tree::Change],
    inventory: &mut Inventory,
) {
    let files: Vec<(&str, git2::Oid)> = end_files
        .iter()
        .filter(|f| is_manifest_path(&f.path))
        .filter_map(|f| Some((f.path.as_str(), f.new?)))
        .collect();
    if files.is_empty() {
        return;
    }
    let limit = ctx.options.max_blob_bytes;
    let links: Vec<(&str, git2::Oid)> = links
        .iter()
        .filter(|l| !is_hidden(&l.path))
        .filter_map(|l| Some((l.path.as_str(), l.new?)))
        .collect();
    // Each distinct blob is read once, on both cores.
    let read: Vec<(String, Blob)> = files
        .par_chunks(64)
        .flat_map_iter(|chunk| {
            let repo = ctx.open();
            chunk
                .iter()
                .map(|(path, id)| {
                    let fail = |message: String| {
                        Problem::new(
                            ProblemLevel::Warning,
                            &ctx.source_id,
                            ctx.locator(end.id, path),
                            message,
                        )
                    };
                    let bytes = match repo.as_ref().map(|r| r.evidence_blob(*id, limit)) {
                        None => Err(fail("cannot open the repository".to_string())),
                        Some(Ok(Ok(b))) => Ok(Arc::from(b)),
                        Some(Ok(Err(size))) => Err(fail(format!(
                            "file is {size} bytes, over the {limit}-byte limit; skipped"
                        ))),
                        Some(Err(e)) => {
                            Err(fail(format!("cannot read blob {id}: {}", e.message())))
                        }
                    };
                    (path.to_string(), bytes)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let targets: Vec<(String, String)> = match ctx.open() {
        Some(repo) => links
            .iter()
            .filter_map(|(path, id)| {
                // A link's blob is its target; one that cannot be read is a link to nothing.
                let bytes = repo.blob(*id, 4096).ok()?.ok()?;
                Some((
                    path.to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ))
            })
            .collect(),
        None => Vec::new(),
    };
    let mut kept = Vec::with_capacity(read.len());
    let mut shared: HashMap<git2::Oid, Arc<[u8]>> = HashMap::new();
    for ((path, bytes), (_, id)) in read.into_iter().zip(&files) {
        match bytes {
            Ok(b) => {
                let b = shared.entry(*id).or_insert(b).clone();
                kept.push((path, b));
            }
            Err(p) => inventory.problems.push(p),
        }
    }
    let root = PathBuf::from(ROOT);
    let tree = MemoryTree::new(root.clone(), kept, targets);
    let loaded = snapshot::load_from(
        &root,
        &SnapshotOptions {
            max_file_bytes: limit,
        },
        &tree,
    );
    let prefix = format!("{}/", root.display());
    absorb(ctx, end, &prefix, loaded, inventory);
}
/// Maps the loader's paths back into the repository and adds its findings to `inventory`.
fn absorb(ctx: &Ctx, end: &CommitInfo, prefix: &str, loaded: Inventory, inventory: &mut Inventory) {
    let rel = |s: &str| s.replace(prefix, "");
    let at = format!("{}@{}:", ctx.name, end.short());
    let mut ids: HashMap<String, String> = HashMap::new();
    for mut r in loaded.records {
        r.locator = format!("{at}{}", rel(&r.locator));
        let id = evidence_id(&ctx.source_id, &r.locator);
        ids.insert(std::mem::replace(&mut r.id, id), r.id.clone());
        r.source = ctx.source_id.clone();
        inventory.records.push(r);
    }
    for mut o in loaded.objects {
        if let Some(id) = ids.get(&o.evidence) {
            o.evidence = id.clone();
        }
        o.source = ctx.source_id.clone();
        o.origin.path = o.origin.path.as_deref().map(rel);
        o.origin.via = o.origin.via.as_deref().map(rel);
        inventory.coverage.record_object(&o.kind);
        inventory.objects.push(o);
    }
    let root = prefix.trim_end_matches('/');
    for mut p in loaded.problems {
        if p.location == root {
            // "Nothing to read here" speaks of a snapshot; a repository without manifests
            // is assessed for its pipelines and Dockerfiles all the same.
            continue;
        }
        p.source = ctx.source_id.clone();
        p.location = format!("{at}{}", rel(&p.location));
        p.message = rel(&p.message);
        p.hint = p.hint.as_deref().map(rel);
        inventory.problems.push(p);
    }
    // A `version.json` in a repository is not the API server's: it is not read as one.
    inventory.redaction.merge(loaded.redaction);
}
