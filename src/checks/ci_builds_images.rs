//! `ci-builds-images`: a pipeline builds the container images and pushes them.

use std::fmt::Write;

use super::{Check, CheckContext, CheckMeta};
use crate::base::phrase::name_list;
use crate::checks::family::ci::{
    analyzed, pipeline_finding, pipeline_summary, repo_evidence, repo_subject,
};
use crate::checks::family::ci::{no_pipeline_in, step_refs};
use crate::evidence::finding::{Finding, Status};
use crate::facts::ci::{Activity, Step};

crate::declare_check! {
    /// ## What it checks
    /// A CI pipeline of the analysed repositories builds container images and pushes them to
    /// a registry. Each pipeline that builds and pushes passes; one that builds without
    /// pushing warns. When no pipeline of any repository builds an image, each repository
    /// fails, naming the pipelines it has (or that it has none) and any Dockerfile no
    /// pipeline builds.
    ///
    /// Builds are `docker`/`podman`/`nerdctl` `build` and `buildx build|bake`, kaniko,
    /// `buildah bud|build|commit`, `ko build|publish|resolve|apply`, Jib (Maven and Gradle),
    /// `pack build`, `az acr build`, `gcloud builds submit`, `skaffold build|run`,
    /// `docker/build-push-action`, `Docker@2`, GitLab's Auto DevOps and Build templates, CircleCI
    /// ECR/GCR/ACR and Docker orbs, Drone Docker and kaniko plugins, Tekton buildah, kaniko,
    /// s2i, Jib, ko and buildpacks tasks, and Jenkins' `docker.build`. Pushes are `push`
    /// commands, `--push` and registry outputs, kaniko without `--no-push`, ko, Jib and
    /// `crane`/`skopeo`/`regctl` copies, and Cloud Build's `images:`. Shell scripts and
    /// Makefile targets the pipeline calls are read too.
    ///
    /// A build that exports files is no image build (the pipeline's notes say so):
    /// `--output`/`-o` to a path, `-` or `type=local|tar`, and a code-generation `--target`,
    /// Dockerfile, bake target or Makefile target (`generate`, `codegen`, `proto`...).
    /// `--output type=image|registry|docker|oci`, `--push` and `--load` give an image.
    ///
    /// ## Why it matters
    /// Replacing containers instead of patching them starts with building a new image for
    /// every change, in a pipeline, so each image is reproducible and recorded
    /// (PR.PS-02.242). Building on a schedule is also how patched base layers reach the
    /// image (PR.PS-02.242-related-4), and a pipeline-built image is the one that is scanned and
    /// redeployed (PCI container guidance 10.3).
    ///
    /// ## Evidence used
    /// The pipeline definitions at the end of the period in each `--repo` (GitHub Actions
    /// workflows and local composite actions, `.gitlab-ci.yml` with local includes,
    /// Jenkinsfiles, Azure Pipelines with local templates, CircleCI, Bitbucket Pipelines,
    /// Tekton, Drone, Google Cloud Build) and the scripts and Makefiles they call; each step
    /// names its file and line.
    ///
    /// ## Example
    /// ```yaml
    /// - uses: docker/build-push-action@v6
    ///   with:
    ///     push: true
    ///     tags: ghcr.io/acme/api:${{ github.sha }}
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242 and related question 4 (patch timeframes)
    /// - PCI SSC Guidance for Containers and Container Orchestration Tools, section 10.3
    pub struct CiBuildsImages {
        id: "ci-builds-images",
        title: "A pipeline builds and pushes the container images",
        severity: Medium,
    }
}

impl Check for CiBuildsImages {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn summary(&self, findings: &[&Finding]) -> Option<String> {
        pipeline_summary(findings, "build and push images")
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        let (repos, mut out) = match analyzed(ctx, meta) {
            Ok(analyzed) => analyzed,
            Err(not_assessed) => return not_assessed,
        };
        let any_build = repos
            .iter()
            .any(|r| r.steps().any(|s| s.activity == Activity::Build));
        for repo in repos {
            if !any_build {
                let pipelines: Vec<&str> = repo.pipelines.iter().map(|p| p.path.as_str()).collect();
                let dockerfile_files: Vec<_> = ctx
                    .inventory
                    .files
                    .iter()
                    .filter(|f| {
                        f.source == repo.source
                            && !f.earlier
                            && crate::evidence::file_kinds::is_dockerfile(&f.path)
                    })
                    .collect();
                let dockerfiles: Vec<&str> =
                    dockerfile_files.iter().map(|f| f.path.as_str()).collect();
                let mut evidence = repo_evidence(repo, false);
                evidence.extend(dockerfile_files.iter().map(|f| f.evidence.clone()));
                out.push(
                    Finding::new(
                        meta.id,
                        meta.severity,
                        Status::Fail,
                        repo_subject(repo),
                        no_pipeline_builds(&repo.location, &pipelines, &dockerfiles),
                    )
                    .evidence(evidence)
                    .detail("pipelines", pipelines)
                    .detail("dockerfiles", dockerfiles),
                );
                continue;
            }
            for p in &repo.pipelines {
                let builds: Vec<&Step> = p.steps_of(Activity::Build).collect();
                if builds.is_empty() {
                    continue;
                }
                let pushes: Vec<&Step> = p.steps_of(Activity::Push).collect();
                let (status, message) = if pushes.is_empty() {
                    (Status::Warn, builds_without_push(&builds))
                } else {
                    (Status::Pass, builds_and_pushes(&builds, &pushes))
                };
                let steps: Vec<&Step> = builds.iter().chain(pushes.iter()).copied().collect();
                out.push(pipeline_finding(meta, p, &steps, status, message));
            }
        }
        out
    }
}

// Wording: the sentences this check's findings say.

fn builds_and_pushes(builds: &[&Step], pushes: &[&Step]) -> String {
    format!(
        "builds container images with {} and pushes them with {}",
        step_refs(builds),
        step_refs(pushes)
    )
}

fn builds_without_push(builds: &[&Step]) -> String {
    format!(
        "builds container images with {} but pushes none: an image that is not pushed cannot be deployed from this pipeline",
        step_refs(builds)
    )
}

fn no_pipeline_builds(repo: &str, pipelines: &[&str], dockerfiles: &[&str]) -> String {
    let mut s = if pipelines.is_empty() {
        no_pipeline_in(repo)
    } else {
        format!(
            "none of the {} pipeline(s) of repository `{repo}` ({}) builds a container image",
            pipelines.len(),
            name_list(pipelines)
        )
    };
    if !dockerfiles.is_empty() {
        let _ = write!(
            s,
            "; it has {} Dockerfile(s) ({}) that no pipeline builds",
            dockerfiles.len(),
            name_list(dockerfiles)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::repo_statuses;

    #[test]
    fn builders_pass_build_only_warns_no_build_fails_each_repository() {
        let got = repo_statuses(
            &CiBuildsImages,
            &[(
                "app",
                &[
                    (
                        ".github/workflows/ci.yml",
                        "jobs:\n  b:\n    steps:\n      - run: docker build -t r/a:1 . && docker push r/a:1\n",
                    ),
                    (
                        ".github/workflows/pr.yml",
                        "jobs:\n  b:\n    steps:\n      - run: docker build -t r/a:pr .\n",
                    ),
                    (
                        ".github/workflows/lint.yml",
                        "jobs:\n  b:\n    steps:\n      - run: make lint\n",
                    ),
                ],
            )],
        );
        assert_eq!(
            got,
            [
                (
                    "Pipeline .github/workflows/ci.yml".to_string(),
                    Status::Pass
                ),
                (
                    "Pipeline .github/workflows/pr.yml".to_string(),
                    Status::Warn
                ),
            ]
        );
        let got = repo_statuses(
            &CiBuildsImages,
            &[
                ("gitops", &[("apps/x.yaml", "kind: Deployment\n")]),
                (
                    "app",
                    &[
                        ("Dockerfile", "FROM alpine:3.20\n"),
                        ("Jenkinsfile", "sh 'make test'\n"),
                    ],
                ),
            ],
        );
        assert_eq!(
            got,
            [
                ("Repository app".to_string(), Status::Fail),
                ("Repository gitops".to_string(), Status::Fail),
            ]
        );
    }

    #[test]
    fn without_repositories_not_assessed() {
        let got = repo_statuses(&CiBuildsImages, &[]);
        assert_eq!(
            got,
            [("Input all sources".to_string(), Status::NotAssessed)]
        );
    }
}
