//! `dockerfile-non-root-user`: the image that ships runs as a non-root user.

use std::fmt::Write;

use super::{Check, CheckContext, CheckMeta};
use crate::checks::family::ci::file_subject;
use crate::checks::family::dockerfile::{per_dockerfile, without_from};
use crate::evidence::finding::{Finding, Status};
use crate::evidence::inventory::CollectedFile;
use crate::facts::dockerfile::{Base, Dockerfile};

crate::declare_check! {
    /// ## What it checks
    /// The final stage of every Dockerfile sets a non-root `USER`: a name other than `root`
    /// or a uid other than 0, with `ARG`/`ENV` values of the stage substituted. A stage
    /// that sets no `USER` inherits the one of the earlier stage it is built `FROM`. No
    /// `USER` at all fails (the base image's default user, root for most images, applies),
    /// unless the base is a `nonroot` variant (distroless `:nonroot`); `USER root` or
    /// `USER 0` fails; a `USER` from a variable without a value warns.
    ///
    /// ## Why it matters
    /// An image that runs as root lets its process change any file of the container, install
    /// packages into it and, with a kernel flaw, reach the node. Setting the user in the
    /// image makes non-root the default wherever the image runs, on top of the pod's
    /// `runAsNonRoot` (PR.PS-01 hardened baseline; PR.PS-02.242).
    ///
    /// ## Evidence used
    /// The Dockerfiles of each `--repo` at the end of the period (see `base-image-pinned` for
    /// which files count).
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM gcr.io/distroless/static-debian12
    /// COPY --from=build /app /app
    /// USER 65532:65532
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 PR.PS-01; question bank PR.PS-02.242
    /// - CIS Docker Benchmark 4.1 (create a user for the container)
    /// - Dockerfile reference: USER
    pub struct DockerfileNonRootUser {
        id: "dockerfile-non-root-user",
        title: "Dockerfiles set a non-root user",
        severity: Medium,
    }
}

impl Check for DockerfileNonRootUser {
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
    let (status, message, line, user) = match df.effective_user(last) {
        Some((user, stage)) => {
            let inherited = (stage.index != last.index).then_some(stage.index);
            match user.root {
                Some(false) => (
                    Status::Pass,
                    final_user_non_root(&user.user, user.line, inherited),
                    user.line,
                    Some(user.user.clone()),
                ),
                Some(true) => (
                    Status::Fail,
                    final_user_root(&user.raw, user.line),
                    user.line,
                    Some(user.user.clone()),
                ),
                None => (
                    Status::Warn,
                    final_user_unresolved(&user.raw, user.line),
                    user.line,
                    None,
                ),
            }
        }
        None => match df.root_base(last) {
            Base::Image { image }
                if image.tag.as_deref().is_some_and(|t| t.contains("nonroot")) =>
            {
                (
                    Status::Pass,
                    final_user_from_base(&image.to_string()),
                    last.line,
                    None,
                )
            }
            _ => (Status::Fail, final_user_missing(last.line), last.line, None),
        },
    };
    Finding::new(
        meta.id,
        meta.severity,
        status,
        file_subject("Dockerfile", &file.source, &file.path, Some(line)),
        message,
    )
    .detail("final_user", user)
    .detail("final_stage_line", last.line)
}

// Wording: the sentences this check's findings say.

fn final_user_non_root(user: &str, line: u32, stage_note: Option<usize>) -> String {
    let mut s = format!("the final stage runs as the non-root user `{user}` (USER at line {line}");
    if let Some(i) = stage_note {
        let _ = write!(s, ", inherited from stage {i}");
    }
    s.push(')');
    s
}

fn final_user_root(raw: &str, line: u32) -> String {
    format!(
        "the final stage runs as root (`USER {raw}` at line {line}): a root process can change the container's files in place"
    )
}

fn final_user_unresolved(raw: &str, line: u32) -> String {
    format!(
        "the final stage sets `USER {raw}` (line {line}) from a variable with no value in the Dockerfile: the user is chosen at build time"
    )
}

fn final_user_from_base(image: &str) -> String {
    format!(
        "the final stage sets no USER; its base `{image}` is a non-root variant, so the container runs as that image's non-root user"
    )
}

fn final_user_missing(line: u32) -> String {
    format!(
        "the final stage (FROM at line {line}) sets no USER: the container runs as the base image's default user, which is root unless the image says otherwise; add `USER <uid>`"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::repo_statuses;

    #[test]
    fn users_by_name_uid_inheritance_and_base() {
        let got = repo_statuses(
            &DockerfileNonRootUser,
            &[(
                "app",
                &[
                    ("a/Dockerfile", "FROM alpine:3.20\nUSER app:app\n"),
                    (
                        "b/Dockerfile",
                        "FROM alpine:3.20 AS base\nUSER 10001\nFROM base\n",
                    ),
                    ("c/Dockerfile", "FROM alpine:3.20\nUSER 0\n"),
                    ("d/Dockerfile", "FROM alpine:3.20\n"),
                    ("e/Dockerfile", "FROM gcr.io/distroless/static:nonroot\n"),
                    ("f/Dockerfile", "FROM alpine:3.20\nARG UID\nUSER ${UID}\n"),
                    (
                        "g/Dockerfile",
                        "FROM alpine:3.20 AS build\nUSER 1000\nFROM alpine:3.20\nCOPY --from=build /x /x\n",
                    ),
                ],
            )],
        );
        assert_eq!(
            got,
            [
                ("Dockerfile a/Dockerfile".to_string(), Status::Pass),
                ("Dockerfile b/Dockerfile".to_string(), Status::Pass),
                ("Dockerfile c/Dockerfile".to_string(), Status::Fail),
                ("Dockerfile d/Dockerfile".to_string(), Status::Fail),
                ("Dockerfile e/Dockerfile".to_string(), Status::Pass),
                ("Dockerfile f/Dockerfile".to_string(), Status::Warn),
                ("Dockerfile g/Dockerfile".to_string(), Status::Fail),
            ]
        );
    }
}
