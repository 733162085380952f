//! `base-image-pinned`: Dockerfile base images are pinned by digest.

use serde_json::json;

use super::{Check, CheckContext, CheckMeta};
use crate::checks::family::ci::file_subject;
use crate::checks::family::dockerfile::per_dockerfile;
use crate::checks::family::dockerfile::{base_issue_invalid, base_issue_unresolved};
use crate::evidence::finding::{Finding, Status};
use crate::evidence::image::Digest;
use crate::evidence::inventory::CollectedFile;
use crate::facts::dockerfile::{Base, Dockerfile};

crate::declare_check! {
    /// ## What it checks
    /// Every `FROM` of every Dockerfile in the analysed repositories names its base image
    /// by a full digest (`@sha256:` and 64 hex digits). One finding per Dockerfile, at the
    /// line of its worst `FROM`: an explicit version tag without a digest warns, and so does
    /// a base taken from a build argument without a default; `latest`, no tag, or a truncated
    /// digest fails; a reference that does not parse is an error. `FROM scratch` and `FROM`
    /// an earlier stage name no image and are skipped. `ARG` defaults declared before the
    /// first `FROM` are substituted.
    ///
    /// ## Why it matters
    /// A base image tag moves when its publisher rebuilds it, so the same Dockerfile builds
    /// different images on different days. Pinning by digest makes each build reproducible
    /// and makes a base image update a reviewed change in the repository (PR.PS-01 baseline
    /// configuration; PR.PS-02.242 replacement with known images). Tools such as Renovate or
    /// Dependabot keep digests current.
    ///
    /// ## Evidence used
    /// The Dockerfiles (`Dockerfile`, `Containerfile`, `Dockerfile.*`, `*.Dockerfile`; not
    /// under `.devcontainer/`, `node_modules/` or `vendor/`) of each `--repo` at the end of
    /// the period.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM gcr.io/distroless/static-debian12:nonroot@sha256:8dd8d3ca2cf283383304fd45a5c9c74d5f2cd9da8d3b077d720e264880077c65
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 PR.PS-01; question bank PR.PS-02.242
    /// - Dockerfile reference: FROM; OCI Image Format Specification, Descriptors: Digests
    pub struct BaseImagePinned {
        id: "base-image-pinned",
        title: "Dockerfile base images are pinned by digest",
        severity: Medium,
    }
}

impl Check for BaseImagePinned {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        per_dockerfile(ctx, meta, &|file, df| judge(meta, file, df))
    }
}

fn rank(s: Status) -> u8 {
    match s {
        Status::Fail => 4,
        Status::Error => 3,
        Status::Warn => 2,
        _ => 1,
    }
}

fn judge(meta: &CheckMeta, file: &CollectedFile, df: &Dockerfile) -> Finding {
    let mut worst = (Status::Pass, None::<u32>);
    let mut issues = Vec::new();
    let mut bases = Vec::new();
    let mut external = 0;
    for stage in &df.stages {
        let (status, issue) = match &stage.base {
            Base::Scratch | Base::Stage { .. } => {
                bases.push(json!({"line": stage.line, "from": stage.from, "status": "skipped"}));
                continue;
            }
            Base::Image { image } => match (&image.digest, &image.tag) {
                (Some(d), _) if d.is_full() => (Status::Pass, None),
                (Some(d), _) => (Status::Fail, Some(base_issue_partial_digest(d))),
                (None, Some(tag)) if tag != "latest" => (Status::Warn, Some(base_issue_tag(tag))),
                (None, _) => (Status::Fail, Some(base_issue_unpinned())),
            },
            Base::Unresolved { variable } => (Status::Warn, Some(base_issue_unresolved(variable))),
            Base::Invalid { error } => (Status::Error, Some(base_issue_invalid(error))),
        };
        external += 1;
        bases.push(json!({
            "line": stage.line,
            "from": stage.from,
            "resolved": stage.resolved,
            "stage": stage.name,
            "status": status.as_str(),
        }));
        if let Some(issue) = issue {
            let shown = if matches!(stage.base, Base::Unresolved { .. }) {
                &stage.from
            } else {
                &stage.resolved
            };
            issues.push(base_image_issue(stage.line, shown, &issue));
        }
        if rank(status) > rank(worst.0) || worst.1.is_none() {
            worst = (status, Some(stage.line));
        }
    }
    let message = if external == 0 {
        base_scratch_only()
    } else if issues.is_empty() {
        base_pinned_all(external)
    } else {
        base_issues(&issues, external)
    };
    let line = worst.1.or_else(|| df.stages.first().map(|s| s.line));
    Finding::new(
        meta.id,
        meta.severity,
        worst.0,
        file_subject("Dockerfile", &file.source, &file.path, line),
        message,
    )
    .detail("base_images", bases)
}

// Wording: the sentences this check's findings say.

fn base_pinned_all(count: usize) -> String {
    format!("all {count} base image(s) are pinned by digest")
}

fn base_scratch_only() -> String {
    "every stage builds FROM scratch or an earlier stage: no base image to pin".into()
}

fn base_image_issue(line: u32, written: &str, issue: &str) -> String {
    format!("`FROM {written}` (line {line}) {issue}")
}

fn base_issue_tag(tag: &str) -> String {
    format!(
        "is pinned only by the tag `{tag}`, which can be moved to another build; add its @sha256 digest"
    )
}

fn base_issue_unpinned() -> String {
    "is `latest` or untagged: every build may get a different base".into()
}

fn base_issue_partial_digest(digest: &Digest) -> String {
    format!(
        "has the digest {}, which is not a full digest of a registered algorithm",
        digest.abbreviated()
    )
}

fn base_issues(issues: &[String], total: usize) -> String {
    format!(
        "{} of {total} base image(s) not pinned by digest: {}",
        issues.len(),
        issues.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::repo_statuses;

    #[test]
    fn digests_pass_tags_warn_latest_fails() {
        let sha = "8dd8d3ca2cf283383304fd45a5c9c74d5f2cd9da8d3b077d720e264880077c65";
        let pinned = format!(
            "FROM golang:1.22@sha256:{sha} AS build\nFROM gcr.io/distroless/static@sha256:{sha}\n"
        );
        let got = repo_statuses(
            &BaseImagePinned,
            &[
                (
                    "app",
                    &[
                        ("a/Dockerfile", pinned.as_str()),
                        ("b/Dockerfile", "FROM node:20.15.1 AS build\nFROM build\n"),
                        ("c/Dockerfile", "FROM ubuntu\n"),
                        ("d/Dockerfile", "ARG BASE\nFROM ${BASE}\n"),
                        ("e/Dockerfile", "FROM scratch\nCOPY x /x\n"),
                        ("f/Dockerfile", "FROM Not/Valid:tag\n"),
                        ("g/Dockerfile", "# no instructions\n"),
                    ],
                ),
                ("docs", &[("README.md", "hi")]),
            ],
        );
        assert_eq!(
            got,
            [
                ("Dockerfile a/Dockerfile".to_string(), Status::Pass),
                ("Dockerfile b/Dockerfile".to_string(), Status::Warn),
                ("Dockerfile c/Dockerfile".to_string(), Status::Fail),
                ("Dockerfile d/Dockerfile".to_string(), Status::Warn),
                ("Dockerfile e/Dockerfile".to_string(), Status::Pass),
                ("Dockerfile f/Dockerfile".to_string(), Status::Error),
                ("Dockerfile g/Dockerfile".to_string(), Status::Error),
                ("Repository docs".to_string(), Status::NotApplicable),
            ]
        );
    }
}
