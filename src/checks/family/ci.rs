//! Shared parts of the checks over repositories (pipelines and Dockerfiles): the guard for
//! "no repository analysed", the run's CI analysis with the error findings of unreadable
//! pipeline files, subjects for files and repositories, steps as finding details, and the
//! shape every Dockerfile check has.

use serde_json::{Value, json};

use crate::checks::{CheckContext, CheckMeta};
use crate::evidence::finding::{Finding, Status, Subject};
use crate::evidence::inventory::CollectedFile;
use crate::evidence::record::Source;
use crate::facts::ci::{Pipeline, RepoAnalysis, Step};
use crate::facts::dockerfile::Dockerfile;
use crate::messages;

/// The narrative sentence of a pipeline check: the pipeline files whose findings pass.
pub fn pipeline_summary(findings: &[&Finding], activity: &str) -> Option<String> {
    let mut files: Vec<&str> = findings
        .iter()
        .filter(|f| f.status == Status::Pass && f.subject.kind == "Pipeline")
        .filter_map(|f| f.subject.path.as_deref())
        .collect();
    files.sort();
    files.dedup();
    messages::pipelines_that(activity, &files)
}

/// `not_assessed` when the inventory holds no repository source.
pub fn require_repositories(ctx: &CheckContext<'_>, meta: &CheckMeta) -> Option<Finding> {
    ctx.facts
        .repositories
        .is_empty()
        .then(|| ctx.not_assessed(meta, messages::no_repository_analysed()))
}

/// The run's CI analysis of each repository (see [`crate::facts::ci`]) and the `error`
/// findings of their unreadable pipelines; or the `not_assessed` finding when no repository
/// was analysed.
pub fn analyzed<'c>(
    ctx: &'c CheckContext<'_>,
    meta: &CheckMeta,
) -> Result<(&'c [RepoAnalysis], Vec<Finding>), Vec<Finding>> {
    if let Some(f) = require_repositories(ctx, meta) {
        return Err(vec![f]);
    }
    let repos = &ctx.facts.ci;
    let errors = unreadable_pipelines(meta, repos);
    Ok((repos, errors))
}

/// A file of a repository: `Pipeline .gitlab-ci.yml`, `Dockerfile build/api.Dockerfile`.
pub fn file_subject(kind: &str, source: &str, path: &str, line: Option<u32>) -> Subject {
    Subject {
        kind: kind.into(),
        name: path.into(),
        source: source.into(),
        path: Some(path.into()),
        line,
        ..Default::default()
    }
}

pub fn repo_subject(repo: &RepoAnalysis) -> Subject {
    Subject {
        kind: "Repository".into(),
        name: repo.location.clone(),
        source: repo.source.clone(),
        ..Default::default()
    }
}

pub fn source_subject(source: &Source) -> Subject {
    Subject {
        kind: "Repository".into(),
        name: source.location.clone(),
        source: source.id.clone(),
        ..Default::default()
    }
}

/// A pipeline as a subject, at the line of the first of `steps` written in the pipeline
/// file itself.
pub fn pipeline_subject(p: &Pipeline, steps: &[&Step]) -> Subject {
    let line = steps.iter().find(|s| s.path == p.path).map(|s| s.line);
    file_subject("Pipeline", &p.source, &p.path, line)
}

/// A finding about a pipeline, citing every file it was read from.
pub fn pipeline_finding(
    meta: &CheckMeta,
    p: &Pipeline,
    steps: &[&Step],
    status: Status,
    message: String,
) -> Finding {
    Finding::new(
        meta.id,
        meta.severity,
        status,
        pipeline_subject(p, steps),
        message,
    )
    .evidence(p.evidence.iter().cloned())
    .detail("system", p.system.name())
    .detail("files", p.files.clone())
    .detail("steps", steps_json(steps.iter().copied()))
    .detail_if("notes", (!p.notes.is_empty()).then(|| json!(p.notes)))
}

/// Evidence ids of every pipeline file (with includes and called scripts) of a repository,
/// and with `scripts`, of its scripts, Makefiles and runbooks: what a repository-level
/// finding rests on.
pub fn repo_evidence(repo: &RepoAnalysis, scripts: bool) -> Vec<String> {
    let mut ids: Vec<String> = repo
        .pipelines
        .iter()
        .flat_map(|p| p.evidence.iter().cloned())
        .collect();
    if scripts {
        ids.extend(repo.scripts.iter().map(|s| s.evidence.clone()));
    }
    ids.sort();
    ids.dedup();
    ids
}

/// One `error` finding per pipeline file that could not be read.
pub fn unreadable_pipelines(meta: &CheckMeta, repos: &[RepoAnalysis]) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in repos {
        for p in &r.pipelines {
            for problem in &p.problems {
                let evidence = r_file_evidence(p, &problem.path);
                out.push(
                    Finding::new(
                        meta.id,
                        meta.severity,
                        Status::Error,
                        file_subject("Pipeline", &p.source, &problem.path, Some(problem.line)),
                        messages::pipeline_unreadable(&problem.message),
                    )
                    .evidence(evidence)
                    .key("unreadable"),
                );
            }
        }
    }
    out
}

fn r_file_evidence(p: &Pipeline, path: &str) -> Vec<String> {
    p.files
        .iter()
        .position(|f| f == path)
        .and_then(|i| p.evidence.get(i).cloned())
        .into_iter()
        .collect()
}

/// Steps as details: tool, file, line, command text, and target, call site and note when
/// known.
pub fn steps_json<'a>(steps: impl IntoIterator<Item = &'a Step>) -> Value {
    Value::Array(
        steps
            .into_iter()
            .map(|s| serde_json::to_value(s).unwrap_or(Value::Null))
            .collect(),
    )
}

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
                messages::no_dockerfile(&source.location),
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
        messages::dockerfile_without_from(),
    )
}

trait DetailIf {
    fn detail_if(self, key: &str, value: Option<Value>) -> Self;
}

impl DetailIf for Finding {
    fn detail_if(self, key: &str, value: Option<Value>) -> Self {
        match value {
            Some(v) => self.detail(key, v),
            None => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::registry;
    use crate::checks::test_support::findings_of;
    use crate::evidence::inventory::Inventory;
    use crate::facts::ci::test_support::fixture_inventory;

    const REPOSITORY_CHECKS: [&str; 7] = [
        "ci-builds-images",
        "ci-scans-images",
        "ci-deploys-by-replacement",
        "no-in-place-mutation",
        "base-image-pinned",
        "base-image-minimal",
        "dockerfile-non-root-user",
    ];

    /// Every repository check over every fixture repository: status, subject, file:line
    /// and message, in the order a report lists them.
    #[test]
    fn findings_over_the_fixture_repositories() {
        let mut inventory = Inventory::default();
        for name in [
            "azure",
            "bitbucket",
            "circleci",
            "drone",
            "github",
            "gitlab",
            "gitops",
            "jenkins",
            "tekton",
        ] {
            inventory.merge(fixture_inventory(name));
        }
        inventory.canonicalize();
        let mut out = String::new();
        for id in REPOSITORY_CHECKS {
            let check = registry().iter().find(|c| c.meta().id == id).unwrap();
            let findings = findings_of(*check, &inventory);
            out.push_str(&format!("## {id}\n"));
            for f in findings {
                assert!(
                    !f.evidence.is_empty() || f.status == Status::NotApplicable,
                    "{id}: {} cites no evidence",
                    f.subject.display_name()
                );
                out.push_str(&format!(
                    "{} {} [{}] {}\n",
                    f.status,
                    f.subject.display_name(),
                    f.subject.file_location().unwrap_or_default(),
                    f.message
                ));
            }
            out.push('\n');
        }
        insta::assert_snapshot!(out);
    }
}
