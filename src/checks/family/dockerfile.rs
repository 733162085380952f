//! What the Dockerfile checks share (`base-image-pinned`, `base-image-minimal`,
//! `dockerfile-non-root-user`): one finding per Dockerfile of the run's facts, the
//! `not_applicable` of a repository without one, the `error` of one without `FROM`, and the
//! sentences two of them say alike.

use crate::checks::family::ci::{file_subject, require_repositories, source_subject};
use crate::checks::{CheckContext, CheckMeta};
use crate::evidence::finding::{Finding, Status};
use crate::evidence::inventory::CollectedFile;
use crate::facts::dockerfile::Dockerfile;

/// The Dockerfile checks' shared shape: `not_assessed` without repositories, one
/// `not_applicable` per repository without Dockerfiles, an `error` per Dockerfile without a
/// `FROM`, and `judge` for the rest.
pub fn per_dockerfile(
    ctx: &CheckContext<'_>,
    meta: &CheckMeta,
    judge: &dyn Fn(&CollectedFile, &Dockerfile) -> Finding,
) -> Vec<Finding> {
    if let Some(f) = require_repositories(ctx, meta) {
        return vec![f];
    }
    let mut out = Vec::new();
    for source in &ctx.facts.repositories {
        let files: Vec<_> = ctx.facts.dockerfiles_of(&source.id).collect();
        if files.is_empty() {
            out.push(Finding::new(
                meta.id,
                meta.severity,
                Status::NotApplicable,
                source_subject(source),
                no_dockerfile(&source.location),
            ));
            continue;
        }
        for (file, parsed) in &files {
            if parsed.stages.is_empty() {
                out.push(without_from(meta, file).evidence([file.evidence.clone()]));
                continue;
            }
            let finding = judge(file, parsed).evidence([file.evidence.clone()]);
            let finding = if parsed.problems.is_empty() {
                finding
            } else {
                let problems: Vec<String> = parsed
                    .problems
                    .iter()
                    .map(|(line, m)| format!("line {line}: {m}"))
                    .collect();
                finding.detail("problems", problems)
            };
            out.push(finding);
        }
    }
    out
}

/// The `error` finding of a Dockerfile with no `FROM`.
pub fn without_from(meta: &CheckMeta, file: &CollectedFile) -> Finding {
    Finding::new(
        meta.id,
        meta.severity,
        Status::Error,
        file_subject("Dockerfile", &file.source, &file.path, None),
        dockerfile_without_from(),
    )
}

// Wording: the sentences the checks of this family say alike.

pub fn no_dockerfile(repo: &str) -> String {
    format!(
        "repository `{repo}` holds no Dockerfile (looked for Dockerfile, Containerfile, Dockerfile.*, *.Dockerfile)"
    )
}

pub fn dockerfile_without_from() -> String {
    "the Dockerfile has no FROM instruction; it cannot be built".into()
}

pub fn base_issue_unresolved(variable: &str) -> String {
    format!(
        "takes its image from the build argument `{variable}`, which has no default: the base is chosen at build time and cannot be checked here"
    )
}

pub fn base_issue_invalid(error: &str) -> String {
    format!("is not a valid image reference: {error}")
}
