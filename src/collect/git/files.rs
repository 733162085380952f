//! CI pipelines, scripts, Makefiles, runbooks and Dockerfiles as evidence files.
//!
//! At the period end: every file of the tree that the CI analysis reads
//! ([`is_relevant_path`](crate::evidence::file_kinds::is_relevant_path)), with an evidence record (locator `repo@commit:path`, the
//! sha256 of the blob). Over the period: every other version of a pipeline, script,
//! Makefile or runbook that existed during it, so that a hotfix script added and removed
//! within the quarter is still examined. Such a version is named by the commit that wrote
//! it (or, for the version in force when the period started, by the last commit before the
//! period), and identical blobs of one path are kept once. Dockerfiles and other files are
//! judged as they stand at the period end only.
//!
//! Every file is redacted in place ([`redact::file`]) as soon as it is read: the text kept,
//! hashed into its evidence record, written to the bundle and read by the CI analysis is
//! the redacted text, line for line the file's.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use git2::Oid;
use rayon::prelude::*;

use super::objects::Objects;
use super::{CommitInfo, Ctx, Diffs, Walked, short, text_of, tree};
use crate::base::timefmt::rfc3339;
use crate::collect::redact;
use crate::evidence::file_kinds;
use crate::evidence::inventory::{CollectedFile, Inventory};
use crate::evidence::inventory::{Problem, ProblemLevel};
use crate::evidence::record::{EvidenceKind, EvidenceRecord, evidence_id, sha256_hex};

/// A version of a file to read: where, which blob, and the commit it is named by.
struct Version {
    path: String,
    blob: Oid,
    commit: Oid,
    time: chrono::DateTime<chrono::Utc>,
}

/// What reading a version gave: its text as stored (redacted), the sha256 of that text and
/// how many values redaction replaced in it; or why it was skipped.
enum Read {
    Text(String, String, usize),
    Skip(Option<String>),
}

pub(super) fn collect(
    ctx: &mut Ctx,
    end: &CommitInfo,
    end_files: &[tree::Change],
    walked: &Walked,
    diffs: &Diffs,
    inventory: &mut Inventory,
) {
    let at_end: Vec<Version> = end_files
        .iter()
        .filter(|f| file_kinds::is_relevant_path(&f.path))
        .filter_map(|f| {
            Some(Version {
                path: f.path.clone(),
                blob: f.new?,
                commit: end.id,
                time: end.time,
            })
        })
        .collect();
    let end_blobs: HashMap<&str, Oid> = at_end.iter().map(|v| (v.path.as_str(), v.blob)).collect();

    // Earlier versions, oldest first: the version a path had when the period started (the
    // old side of its first change), then every version a commit of the period wrote.
    let mut earlier = Vec::new();
    let mut seen: HashSet<(String, Oid)> = HashSet::new();
    for (commit, diff) in walked.in_period.iter().zip(diffs).rev() {
        let Ok(diff) = diff else { continue };
        for c in diff.changes.iter().filter(|c| may_be_examined(&c.path)) {
            let mut push = |blob: Oid, commit: Oid, time| {
                if end_blobs.get(c.path.as_str()) != Some(&blob)
                    && seen.insert((c.path.clone(), blob))
                {
                    earlier.push(Version {
                        path: c.path.clone(),
                        blob,
                        commit,
                        time,
                    });
                }
            };
            if let (Some(old), Some(parent)) = (c.old, commit.parents.first()) {
                let time = walked.times.get(parent).copied().unwrap_or(commit.time);
                push(old, *parent, time);
            }
            if let Some(new) = c.new {
                push(new, commit.id, commit.time);
            }
        }
    }

    let limit = ctx.options.max_blob_bytes;
    let read = |versions: &[Version]| -> Vec<Read> {
        versions
            .par_chunks(64)
            .flat_map_iter(|chunk| {
                let repo = ctx.open();
                chunk
                    .iter()
                    .map(|v| match &repo {
                        None => Read::Skip(Some("cannot open the repository".into())),
                        Some(repo) => read_version(repo, v, limit),
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let end_texts = read(&at_end);
    let earlier_texts = read(&earlier);
    for (v, r) in at_end.iter().zip(end_texts) {
        match r {
            Read::Text(text, sha, values) => add(ctx, inventory, v, (text, sha, values), false),
            Read::Skip(Some(why)) if has_extension(&v.path) => ctx.problems.push(
                Problem::new(
                    ProblemLevel::Warning,
                    &ctx.source_id,
                    ctx.locator(v.commit, &v.path),
                    format!("{why}; not examined"),
                )
                .hint("pipelines, scripts and Dockerfiles are read as UTF-8 text"),
            ),
            Read::Skip(_) => {}
        }
    }
    for (v, r) in earlier.iter().zip(earlier_texts) {
        if let Read::Text(text, sha, values) = r
            && is_examined(&v.path, &text)
        {
            add(ctx, inventory, v, (text, sha, values), true);
        }
    }
}

fn has_extension(path: &str) -> bool {
    path.rsplit('/').next().unwrap_or(path).contains('.')
}

fn read_version(repo: &Objects, v: &Version, limit: u64) -> Read {
    match repo.evidence_blob(v.blob, limit) {
        Err(e) => Read::Skip(Some(format!(
            "cannot read blob {}: {}",
            v.blob,
            e.message()
        ))),
        Ok(Err(size)) => Read::Skip(Some(format!(
            "file is {size} bytes, over the {limit}-byte limit; skipped"
        ))),
        // Redacted before anything else sees it: what is stored, hashed and analysed is
        // the redacted text, whose lines are the file's lines.
        Ok(Ok(bytes)) => match text_of(bytes) {
            Ok(text) => {
                let redacted = redact::file::redact_file(&v.path, &text);
                let values = redacted.values;
                let text = match redacted.text {
                    Cow::Borrowed(_) => text,
                    Cow::Owned(t) => t,
                };
                let sha = sha256_hex(text.as_bytes());
                Read::Text(text, sha, values)
            }
            Err(why) => Read::Skip(Some(why)),
        },
    }
}

/// Paths whose earlier versions may be examined for in-place changes: pipelines recognised
/// by path (and Tekton files under a `tekton` directory), scripts, Makefiles, runbooks.
/// Other YAML is left out, so that the many versions of a GitOps repository's manifests are
/// not read twice.
fn may_be_examined(path: &str) -> bool {
    if !file_kinds::is_relevant_path(path) || file_kinds::is_dockerfile(path) {
        return false;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        return file_kinds::pipeline_system(path, "").is_some() || path.contains("tekton");
    }
    true
}

/// Versions kept: pipelines, scripts, Makefiles and runbooks.
fn is_examined(path: &str, text: &str) -> bool {
    file_kinds::pipeline_system(path, text).is_some()
        || file_kinds::is_makefile(path)
        || file_kinds::is_script(path, text)
        || file_kinds::is_runbook(path)
}

fn add(
    ctx: &Ctx,
    inventory: &mut Inventory,
    v: &Version,
    (text, sha, values): (String, String, usize),
    earlier: bool,
) {
    inventory.redaction.files_redacted += usize::from(values > 0);
    inventory.redaction.file_values_redacted += values;
    let locator = ctx.locator(v.commit, &v.path);
    let id = evidence_id(&ctx.source_id, &locator);
    let describes = if earlier {
        format!(
            "{} at commit {} ({}), a version that existed during the period",
            v.path,
            short(v.commit),
            rfc3339(v.time)
        )
    } else {
        v.path.clone()
    };
    inventory.records.push(EvidenceRecord {
        managers: None,
        id: id.clone(),
        source: ctx.source_id.clone(),
        kind: EvidenceKind::File,
        locator,
        sha256: sha,
        collected_at: None,
        time: None,
        describes,
    });
    inventory.files.push(CollectedFile {
        source: ctx.source_id.clone(),
        path: v.path.clone(),
        commit: Some(v.commit.to_string()),
        evidence: id,
        text: text.into(),
        committed_at: Some(rfc3339(v.time)),
        earlier,
    });
}
