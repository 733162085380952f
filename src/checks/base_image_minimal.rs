//! `base-image-minimal`: the image that ships is built on a minimal base.

use serde_json::json;

use super::{Check, CheckContext, CheckMeta};
use crate::checks::family::ci::file_subject;
use crate::checks::family::dockerfile::{base_issue_invalid, base_issue_unresolved};
use crate::checks::family::dockerfile::{per_dockerfile, without_from};
use crate::evidence::finding::{Finding, Status};
use crate::evidence::inventory::CollectedFile;
use crate::facts::dockerfile::{Base, Dockerfile, minimal_family};

crate::declare_check! {
    /// ## What it checks
    /// The final stage of every Dockerfile (the image `docker build` produces without
    /// `--target`) rests on a minimal base, followed through earlier stages (`FROM build`
    /// rests on what `build` rests on). Minimal means: `scratch`; distroless (Google's
    /// `gcr.io/distroless/*` or any `distroless` repository or tag); Chainguard (`cgr.dev`,
    /// `chainguard/*`) and Wolfi; Alpine (the `alpine` image or an `-alpine` tag); `slim`
    /// tags; Red Hat UBI micro and minimal; Ubuntu and .NET `chiseled` images; BusyBox; and
    /// `minimal` tags. Any other base fails; a base chosen by a build argument without a
    /// default warns. Package-manager upgrades run during the build are listed as facts:
    /// upgrading while building is rebuilding, not patching in place.
    ///
    /// ## Why it matters
    /// A minimal image holds only what the application needs: fewer packages to patch, fewer
    /// vulnerabilities to scan for, and often no shell or package manager with which a
    /// running container could be changed in place (PR.PS-01: only essential capabilities).
    ///
    /// ## Evidence used
    /// The Dockerfiles of each `--repo` at the end of the period (see `base-image-pinned` for
    /// which files count).
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.22 AS build
    /// RUN CGO_ENABLED=0 go build -o /app .
    /// FROM gcr.io/distroless/static-debian12:nonroot
    /// COPY --from=build /app /app
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 PR.PS-01
    /// - NIST SP 800-190 Application Container Security Guide, 4.1 (image vulnerabilities) and 5.1
    pub struct BaseImageMinimal {
        id: "base-image-minimal",
        title: "Images are built on a minimal base",
        severity: Low,
    }
}

impl Check for BaseImageMinimal {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        per_dockerfile(ctx, meta, &|file, df| judge(meta, file, df))
    }
}

fn judge(meta: &CheckMeta, file: &CollectedFile, df: &Dockerfile) -> Finding {
    let Some(last) = df.final_stage() else {
        return without_from(meta, file);
    };
    let base_stage = df.root_stage(last);
    let line = base_stage.line;
    let (status, message) = match &base_stage.base {
        Base::Scratch => (Status::Pass, final_base_scratch()),
        Base::Image { image } => match minimal_family(image) {
            Some(family) => (
                Status::Pass,
                final_base_minimal(&base_stage.resolved, family, line),
            ),
            None => (Status::Fail, final_base_full(&base_stage.resolved, line)),
        },
        Base::Unresolved { variable } => (
            Status::Warn,
            final_base_unknown(line, &base_issue_unresolved(variable)),
        ),
        Base::Invalid { error } => (
            Status::Error,
            final_base_unknown(line, &base_issue_invalid(error)),
        ),
        Base::Stage { .. } => (
            Status::Error,
            final_base_unknown(line, "could not be followed to an image"),
        ),
    };
    let upgrades: Vec<serde_json::Value> = df
        .stages
        .iter()
        .flat_map(|s| {
            s.upgrades
                .iter()
                .map(move |u| json!({"line": u.line, "command": u.command, "stage": s.name}))
        })
        .collect();
    Finding::new(
        meta.id,
        meta.severity,
        status,
        file_subject("Dockerfile", &file.source, &file.path, Some(line)),
        message,
    )
    .detail(
        "final_stage",
        json!({"line": last.line, "from": last.from, "name": last.name}),
    )
    .detail("base_image", base_stage.resolved.clone())
    .detail("stages", df.stages.len())
    .detail("package_upgrades_in_build", upgrades)
}

// Wording: the sentences this check's findings say.

fn final_base_scratch() -> String {
    "the final stage is FROM scratch: the image holds only what the build copies into it".into()
}

fn final_base_minimal(image: &str, family: &str, line: u32) -> String {
    format!("the final stage runs on `{image}` (line {line}), a minimal base ({family})")
}

fn final_base_full(image: &str, line: u32) -> String {
    format!(
        "the final stage runs on `{image}` (line {line}), a full distribution image: it ships a shell, a package manager and tools the application does not need, which can be used to change the container in place; use a distroless, scratch, Alpine, Chainguard/Wolfi, slim or UBI micro/minimal base"
    )
}

fn final_base_unknown(line: u32, issue: &str) -> String {
    format!("the final stage's base (line {line}) {issue}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::repo_findings;

    #[test]
    fn the_final_stage_base_is_followed_through_stages() {
        let got = repo_findings(
            &BaseImageMinimal,
            &[(
                "app",
                &[
                    (
                        "a/Dockerfile",
                        "FROM golang:1.22 AS build\nFROM gcr.io/distroless/static-debian12\n",
                    ),
                    (
                        "b/Dockerfile",
                        "FROM alpine:3.20 AS base\nRUN apk upgrade\nFROM base\n",
                    ),
                    (
                        "c/Dockerfile",
                        "FROM node:20-alpine AS build\nFROM ubuntu:24.04\nRUN apt-get -y upgrade\n",
                    ),
                    ("d/Dockerfile", "FROM scratch\n"),
                    ("e/Dockerfile", "ARG RUNTIME\nFROM $RUNTIME\n"),
                ],
            )],
        );
        let statuses: Vec<(Option<String>, Status)> = got
            .iter()
            .map(|f| (f.subject.file_location(), f.status))
            .collect();
        assert_eq!(
            statuses,
            [
                (Some("a/Dockerfile:2".to_string()), Status::Pass),
                (Some("b/Dockerfile:1".to_string()), Status::Pass),
                (Some("c/Dockerfile:2".to_string()), Status::Fail),
                (Some("d/Dockerfile:1".to_string()), Status::Pass),
                (Some("e/Dockerfile:2".to_string()), Status::Warn),
            ]
        );
        assert_eq!(
            got[1].details["package_upgrades_in_build"][0]["command"],
            "apk upgrade"
        );
        assert!(
            got[2].message.contains("`ubuntu:24.04`"),
            "{}",
            got[2].message
        );
    }
}
