//! What the checks over repositories share (`ci-builds-images`, `ci-scans-images`,
//! `ci-deploys-by-replacement`, `no-in-place-mutation`, and the Dockerfile checks for the
//! subjects): the guard for "no repository analysed", the run's CI analysis with the error
//! findings of unreadable pipeline files, subjects for files and repositories, steps as
//! finding details, and the sentences they say alike.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::base::phrase::name_list;
use crate::checks::{CheckContext, CheckMeta};
use crate::evidence::finding::{Finding, Status, Subject};
use crate::evidence::record::Source;
use crate::facts::ci::{Pipeline, RepoAnalysis, Step};

/// The narrative sentence of a pipeline check: the pipeline files whose findings pass.
pub fn pipeline_summary(findings: &[&Finding], activity: &str) -> Option<String> {
    let mut files: Vec<&str> = findings
        .iter()
        .filter(|f| f.status == Status::Pass && f.subject.kind == "Pipeline")
        .filter_map(|f| f.subject.path.as_deref())
        .collect();
    files.sort();
    files.dedup();
    pipelines_that(activity, &files)
}

/// `not_assessed` when the inventory holds no repository source.
pub fn require_repositories(ctx: &CheckContext<'_>, meta: &CheckMeta) -> Option<Finding> {
    ctx.facts
        .repositories
        .is_empty()
        .then(|| ctx.not_assessed(meta, no_repository_analysed()))
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
                        pipeline_unreadable(&problem.message),
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

// Wording: the sentences the checks of this family say alike.

/// How many steps a sentence names before it says "and N more".
const NAMED_STEPS: usize = 3;

pub fn no_repository_analysed() -> String {
    "no repository was analysed; pass --repo".into()
}

/// "`docker build` (ci.yml:12), `docker push` (ci.yml:13) and 2 more".
pub fn step_refs(steps: &[&Step]) -> String {
    let named: Vec<String> = steps
        .iter()
        .take(NAMED_STEPS)
        .map(|s| format!("`{}` ({})", s.tool, s.location()))
        .collect();
    let mut out = named.join(", ");
    if steps.len() > NAMED_STEPS {
        let _ = write!(out, " and {} more", steps.len() - NAMED_STEPS);
    }
    out
}

const PIPELINES_LOOKED_FOR: &str = "GitHub Actions workflows, .gitlab-ci.yml, Jenkinsfiles, azure-pipelines.yml, .circleci/config.yml, bitbucket-pipelines.yml, Tekton Tasks and Pipelines, .drone.yml, cloudbuild.yaml";

pub fn pipeline_unreadable(message: &str) -> String {
    format!(
        "the pipeline file could not be read: {message}; its steps were not assessed. Fix the file and re-run"
    )
}

pub fn no_pipeline_in(repo: &str) -> String {
    format!(
        "repository `{repo}` holds no CI pipeline definition (looked for {PIPELINES_LOOKED_FOR})"
    )
}

/// `ci-builds-images`, `ci-scans-images`, `ci-deploys-by-replacement`: the files that do it.
pub fn pipelines_that(activity: &str, files: &[&str]) -> Option<String> {
    (!files.is_empty()).then(|| format!("Pipeline files that {activity}: {}.", name_list(files)))
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
