//! What a repository file is, by its path (and for Tekton files and extension-less scripts,
//! by its first lines): a pipeline definition of one of the CI [`System`]s, a Makefile, a shell
//! script, a Markdown runbook or a Dockerfile.
//!
//! The one classification shared by the Git collector (which files to keep as evidence, and
//! which earlier versions to examine) and the CI analysis (how to read each file), the way
//! [`super::kinds`] is the one table of API kinds.

use serde::Serialize;

/// The CI systems recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum System {
    GithubActions,
    GitlabCi,
    Jenkins,
    AzurePipelines,
    Circleci,
    BitbucketPipelines,
    Tekton,
    Drone,
    CloudBuild,
}

impl System {
    pub fn name(self) -> &'static str {
        match self {
            System::GithubActions => "GitHub Actions",
            System::GitlabCi => "GitLab CI",
            System::Jenkins => "Jenkins",
            System::AzurePipelines => "Azure Pipelines",
            System::Circleci => "CircleCI",
            System::BitbucketPipelines => "Bitbucket Pipelines",
            System::Tekton => "Tekton",
            System::Drone => "Drone",
            System::CloudBuild => "Google Cloud Build",
        }
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yml") || path.ends_with(".yaml")
}

/// Which CI system a file defines, by its path, and for Tekton by its content. The second
/// value is true for definitions that are roots only when no other pipeline includes them
/// (`ci/build.gitlab-ci.yml`, Azure templates under `.azure-pipelines/`).
pub fn pipeline_system(path: &str, text: &str) -> Option<(System, bool)> {
    let name = file_name(path);
    let lower = name.to_ascii_lowercase();
    let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    if dir == ".github/workflows" && is_yaml(name) {
        return Some((System::GithubActions, false));
    }
    if name == ".gitlab-ci.yml" || name == ".gitlab-ci.yaml" {
        return Some((System::GitlabCi, !dir.is_empty()));
    }
    if name.ends_with(".gitlab-ci.yml") || name.ends_with(".gitlab-ci.yaml") {
        return Some((System::GitlabCi, true));
    }
    if lower == "jenkinsfile"
        || lower.starts_with("jenkinsfile.")
        || lower.ends_with(".jenkinsfile")
    {
        return Some((System::Jenkins, false));
    }
    if is_yaml(name) && lower.starts_with("azure-pipelines") {
        return Some((System::AzurePipelines, false));
    }
    if is_yaml(name)
        && matches!(
            dir.split('/').next(),
            Some(".azure-pipelines" | ".azuredevops" | ".pipelines")
        )
    {
        return Some((System::AzurePipelines, true));
    }
    if dir == ".circleci" && matches!(name, "config.yml" | "config.yaml") {
        return Some((System::Circleci, false));
    }
    if dir.is_empty() && matches!(name, "bitbucket-pipelines.yml" | "bitbucket-pipelines.yaml") {
        return Some((System::BitbucketPipelines, false));
    }
    if dir.is_empty() && matches!(name, ".drone.yml" | ".drone.yaml") {
        return Some((System::Drone, false));
    }
    if is_cloudbuild(&lower) {
        return Some((System::CloudBuild, false));
    }
    if is_yaml(name) && is_tekton(text) {
        return Some((System::Tekton, false));
    }
    None
}

/// Google Cloud Build configs, by lower-case file name: `cloudbuild.yaml` (`.yml`, `.json`)
/// and variants `cloudbuild-pr.yaml`, `cloudbuild_prod.json`, `cloudbuild.prod.yaml`.
fn is_cloudbuild(lower: &str) -> bool {
    let Some(stem) = [".yaml", ".yml", ".json"]
        .iter()
        .find_map(|ext| lower.strip_suffix(ext))
    else {
        return false;
    };
    stem.strip_prefix("cloudbuild")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '_', '.']))
}

/// Makefiles: `Makefile`, `makefile`, `GNUmakefile`, `*.mk`.
pub fn is_makefile(path: &str) -> bool {
    let name = file_name(path);
    matches!(name, "Makefile" | "makefile" | "GNUmakefile") || name.ends_with(".mk")
}

/// Shell scripts: `*.sh`, `*.bash`, or an extension-less file with a shell `#!` line.
pub fn is_script(path: &str, text: &str) -> bool {
    let name = file_name(path);
    if name.ends_with(".sh") || name.ends_with(".bash") {
        return true;
    }
    if name.contains('.') {
        return false;
    }
    let first = text.lines().next().unwrap_or("");
    first.starts_with("#!")
        && [
            "/sh", "/bash", "/zsh", "/dash", "/ash", "env sh", "env bash", "env zsh",
        ]
        .iter()
        .any(|s| first.contains(s))
}

pub fn is_runbook(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

/// Paths this module reads, for a collector that keeps only the files it needs: pipeline
/// definitions and their includes (any YAML), Jenkinsfiles and Groovy, scripts, Makefiles,
/// runbooks and Dockerfiles. Extension-less files are wanted too (scripts with a `#!`).
pub fn is_relevant_path(path: &str) -> bool {
    let name = file_name(path);
    let lower = name.to_ascii_lowercase();
    is_yaml(&lower)
        || is_cloudbuild(&lower)
        || lower.contains("jenkinsfile")
        || lower.ends_with(".groovy")
        || lower.ends_with(".sh")
        || lower.ends_with(".bash")
        || is_makefile(path)
        || is_runbook(path)
        || is_dockerfile(path)
        || !name.contains('.')
}

const TEKTON_KINDS: [&str; 7] = [
    "Task",
    "ClusterTask",
    "Pipeline",
    "PipelineRun",
    "TaskRun",
    "StepAction",
    "CustomRun",
];

/// Does the text hold a Tekton object? A cheap look before parsing.
pub fn is_tekton(text: &str) -> bool {
    text.contains("tekton.dev/")
        && text.lines().any(|l| {
            l.trim_start()
                .strip_prefix("kind:")
                .is_some_and(|k| TEKTON_KINDS.contains(&k.trim().trim_matches(['"', '\''])))
        })
}

/// Is this path a Dockerfile? `Dockerfile`, `Dockerfile.*`, `Dockerfile-*`, `Dockerfile_*`,
/// `*.Dockerfile`, and the same for `Containerfile` (any case); not `*.dockerignore`, and not
/// under `.devcontainer/`, `node_modules/` or `vendor/` (development containers and
/// third-party code are not what ships).
pub fn is_dockerfile(path: &str) -> bool {
    if path
        .split('/')
        .any(|c| matches!(c, ".devcontainer" | "node_modules" | "vendor"))
    {
        return false;
    }
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if name.ends_with(".dockerignore") {
        return false;
    }
    // `Dockerfile-chroot`, `Dockerfile_builder`: a variant named after the base name.
    let variant = |base: &str| {
        name.strip_prefix(base)
            .is_some_and(|rest| rest.starts_with(['.', '-', '_']) && rest.len() > 1)
    };
    name == "dockerfile"
        || name == "containerfile"
        || variant("dockerfile")
        || variant("containerfile")
        || name.ends_with(".dockerfile")
        || name.ends_with(".containerfile")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelines_are_recognised_by_path() {
        let cases = [
            (
                ".github/workflows/ci.yml",
                Some((System::GithubActions, false)),
            ),
            (".github/workflows/sub/ci.yml", None),
            (".gitlab-ci.yml", Some((System::GitlabCi, false))),
            ("ci/deploy.gitlab-ci.yml", Some((System::GitlabCi, true))),
            ("jenkinsfile", Some((System::Jenkins, false))),
            ("build/Jenkinsfile.release", Some((System::Jenkins, false))),
            ("azure-pipelines.yml", Some((System::AzurePipelines, false))),
            (
                ".azure-pipelines/templates/build.yml",
                Some((System::AzurePipelines, true)),
            ),
            (".circleci/config.yml", Some((System::Circleci, false))),
            (
                "bitbucket-pipelines.yml",
                Some((System::BitbucketPipelines, false)),
            ),
            (".drone.yml", Some((System::Drone, false))),
            ("cloudbuild.yaml", Some((System::CloudBuild, false))),
            ("deploy/cloudbuild.json", Some((System::CloudBuild, false))),
            ("cloudbuild-pr.yml", Some((System::CloudBuild, false))),
            ("cloudbuilder.yaml", None),
            ("cloudbuild.txt", None),
            ("k8s/deploy.yaml", None),
        ];
        for (path, want) in cases {
            assert_eq!(pipeline_system(path, "kind: Deployment"), want, "{path}");
        }
        assert_eq!(
            pipeline_system(
                "tekton/build.yaml",
                "apiVersion: tekton.dev/v1\nkind: Task\n"
            ),
            Some((System::Tekton, false))
        );
    }

    #[test]
    fn cloud_build_json_and_dockerfile_variants_are_collected() {
        for path in [
            "cloudbuild.json",
            "ci/cloudbuild-pr.json",
            "images/Dockerfile-chroot",
            "Containerfile.fedora",
        ] {
            assert!(is_relevant_path(path), "{path}");
        }
        assert!(!is_relevant_path("package.json"));
    }

    #[test]
    fn scripts_are_recognised_by_name_or_shebang() {
        assert!(is_script("scripts/deploy.sh", ""));
        assert!(is_script("bin/deploy", "#!/usr/bin/env bash\n"));
        assert!(!is_script("bin/tool", "#!/usr/bin/env python3\n"));
        assert!(!is_script("README", "hello"));
    }

    #[test]
    fn dockerfile_names() {
        for (path, want) in [
            ("Dockerfile", true),
            ("build/api.Dockerfile", true),
            ("Dockerfile.prod", true),
            ("Containerfile", true),
            ("dockerfile", true),
            (".devcontainer/Dockerfile", false),
            ("Dockerfile.dockerignore", false),
            // Issue 14, class 5d.
            ("images/Dockerfile-chroot", true),
            ("Dockerfile_builder", true),
            ("Containerfile.fedora", true),
            ("build/Containerfile-ubi", true),
            ("deploy/web.containerfile", true),
            ("Dockerfile-chroot.dockerignore", false),
            (".dockerignore", false),
            ("Dockerfile-chroot/README.md", false),
            ("docs/dockerfiles.md", false),
        ] {
            assert_eq!(is_dockerfile(path), want, "{path}");
        }
    }
}
