//! The manifests of the period end's tree, through the same loader as `--snapshot`.
//!
//! The loader reads a directory tree (it discovers files, follows kustomizations between
//! directories, skips Helm templates, reads files in parallel). Rather than teach it a
//! second way to read files, the YAML and JSON files of the commit's tree (and its
//! `Kustomization` files) are written into a temporary directory, loaded, and every path the
//! loader recorded is mapped back: objects' origins and `via` become paths relative to the
//! repository, locators become `repo@commit:path#doc`, and evidence ids are derived from
//! the repository source. Only those files are written (not the whole tree), so it costs
//! about as much as reading them, and the directory is removed when done. Hidden
//! directories are left out, as the loader leaves them out of a snapshot.

use std::collections::HashMap;
use std::fs;

use rayon::prelude::*;

use super::{CommitInfo, Ctx, tree};
use crate::collect::kustomize;
use crate::collect::snapshot::{self, SnapshotOptions};
use crate::evidence::inventory::Inventory;
use crate::evidence::inventory::{Problem, ProblemLevel};
use crate::evidence::record::evidence_id;

/// Files the manifest loader reads.
fn is_manifest_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let hidden = path.split('/').any(|part| part.starts_with('.'));
    !hidden
        && (name.ends_with(".yaml")
            || name.ends_with(".yml")
            || name.ends_with(".json")
            || kustomize::FILE_NAMES.contains(&name))
}

pub(super) fn load(
    ctx: &Ctx,
    end: &CommitInfo,
    end_files: &[tree::Change],
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
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            inventory.problems.push(Problem::new(
                ProblemLevel::Error,
                &ctx.source_id,
                ctx.locator(end.id, ""),
                format!("cannot create a temporary directory to read the manifests: {e}; they were not assessed"),
            ));
            return;
        }
    };
    let root = dir.path().to_path_buf();
    let limit = ctx.options.max_blob_bytes;
    let failures: Vec<Problem> = files
        .par_chunks(64)
        .flat_map_iter(|chunk| {
            let repo = ctx.open();
            chunk
                .iter()
                .filter_map(|(path, id)| {
                    let fail = |message: String| {
                        Some(Problem::new(
                            ProblemLevel::Warning,
                            &ctx.source_id,
                            ctx.locator(end.id, path),
                            message,
                        ))
                    };
                    let repo = repo.as_ref()?;
                    let bytes = match repo.blob(*id, limit) {
                        Ok(Ok(b)) => b,
                        Ok(Err(size)) => {
                            return fail(format!(
                                "file is {size} bytes, over the {limit}-byte limit; skipped"
                            ));
                        }
                        Err(e) => return fail(format!("cannot read blob {id}: {}", e.message())),
                    };
                    let target = root.join(path);
                    if let Some(parent) = target.parent()
                        && let Err(e) = fs::create_dir_all(parent)
                    {
                        return fail(format!("cannot write a temporary copy: {e}"));
                    }
                    fs::write(&target, bytes)
                        .err()
                        .and_then(|e| fail(format!("cannot write a temporary copy: {e}")))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    inventory.problems.extend(failures);
    let loaded = snapshot::load(
        &root,
        &SnapshotOptions {
            max_file_bytes: limit,
        },
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
