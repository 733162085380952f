//! Snapshot tests: every fixture repository under `tests/fixtures/cicd/`, analysed, with
//! each pipeline's classified steps, notes and problems, the in-place hits of scripts and
//! runbooks, and the GitOps facts.

use super::test_support::{fixture_inventory, render_steps};
use super::{RepoAnalysis, analyze};

fn render(repo: &RepoAnalysis, inventory: &crate::evidence::inventory::Inventory) -> String {
    let mut out = String::new();
    for p in &repo.pipelines {
        out.push_str(&format!("## {} {}\n", p.system.name(), p.path));
        if p.files.len() > 1 {
            out.push_str(&format!("files: {}\n", p.files.join(", ")));
        }
        out.push_str(&render_steps(&p.steps));
        for n in &p.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        for pr in &p.problems {
            out.push_str(&format!(
                "problem: {}:{} {}\n",
                pr.path, pr.line, pr.message
            ));
        }
        out.push('\n');
    }
    out.push_str("## scripts, Makefiles and runbooks\n");
    for s in &repo.scripts {
        out.push_str(&format!(
            "{} ({:?}): {} in-place hit(s)\n",
            s.path,
            s.kind,
            s.mutations.len()
        ));
        out.push_str(&render_steps(&s.mutations));
    }
    let gitops = super::gitops::find(&repo.source, inventory);
    out.push_str(&format!(
        "\n## gitops\n{gitops:?}\nfiles examined: {}\n",
        repo.files_examined
    ));
    out
}

fn snapshot(name: &str) -> String {
    let inventory = fixture_inventory(name);
    let repos = analyze(&inventory);
    assert_eq!(repos.len(), 1);
    render(&repos[0], &inventory)
}

#[test]
fn github_actions() {
    insta::assert_snapshot!(snapshot("github"));
}

#[test]
fn gitlab_ci() {
    insta::assert_snapshot!(snapshot("gitlab"));
}

#[test]
fn jenkins() {
    insta::assert_snapshot!(snapshot("jenkins"));
}

#[test]
fn azure_pipelines() {
    insta::assert_snapshot!(snapshot("azure"));
}

#[test]
fn circleci() {
    insta::assert_snapshot!(snapshot("circleci"));
}

#[test]
fn bitbucket_pipelines() {
    insta::assert_snapshot!(snapshot("bitbucket"));
}

#[test]
fn tekton() {
    insta::assert_snapshot!(snapshot("tekton"));
}

#[test]
fn drone() {
    insta::assert_snapshot!(snapshot("drone"));
}

#[test]
fn gitops_repository() {
    insta::assert_snapshot!(snapshot("gitops"));
}

/// The tricky cases, asserted outright (the snapshots show everything, these say what
/// must hold): (fixture, file:line, activity, tool) present, or absent with `!`.
#[test]
fn tricky_cases_hold() {
    use super::Activity::*;
    let cases: &[(&str, &str, super::Activity, &str, bool)] = &[
        // `trivy fs .` in a workflow is not an image scan; the trivy action on an image is.
        (
            "github",
            ".github/workflows/release.yml:30",
            OtherScan,
            "trivy fs",
            true,
        ),
        (
            "github",
            ".github/workflows/release.yml:30",
            ImageScan,
            "trivy fs",
            false,
        ),
        (
            "github",
            ".github/workflows/release.yml:40",
            ImageScan,
            "aquasecurity/trivy-action",
            true,
        ),
        // A `kubectl exec` after `&&` on the fourth line of a `|` block.
        (
            "github",
            ".github/workflows/release.yml:76",
            Mutation,
            "kubectl exec",
            true,
        ),
        // `kubectl patch pod` (folded block) is in place; `patch deployment` replaces.
        (
            "github",
            ".github/workflows/hotfix.yml:30",
            Mutation,
            "kubectl patch pod",
            true,
        ),
        (
            "github",
            ".github/workflows/hotfix.yml:34",
            Deploy,
            "kubectl patch deployment",
            true,
        ),
        (
            "github",
            ".github/workflows/hotfix.yml:26",
            Mutation,
            "ssh + apt-get install",
            true,
        ),
        // Local includes: steps in included files, with their own lines.
        ("gitlab", "ci/build.gitlab-ci.yml:12", Build, "kaniko", true),
        (
            "gitlab",
            "ci/deploy-prod.yml:17",
            Deploy,
            "kubectl patch deployment",
            true,
        ),
        (
            "gitlab",
            "ci/deploy-prod.yml:29",
            Mutation,
            "kubectl exec",
            true,
        ),
        (
            "gitlab",
            ".gitlab-ci.yml:9",
            ImageScan,
            "Container-Scanning.gitlab-ci.yml",
            true,
        ),
        (
            "gitlab",
            ".gitlab-ci.yml:28",
            ImageScan,
            "trivy config",
            false,
        ),
        // A Jenkinsfile named `jenkinsfile`, a script called inside `dir('deploy')`.
        ("jenkins", "jenkinsfile:23", ImageScan, "grype", true),
        (
            "jenkins",
            "deploy/rollout.sh:4",
            Deploy,
            "kubectl set image",
            true,
        ),
        (
            "jenkins",
            "jenkinsfile:53",
            Mutation,
            "ssh + apt-get upgrade",
            true,
        ),
        (
            "azure",
            "templates/deploy.yml:15",
            Mutation,
            "KubernetesManifest@1 patch pod",
            true,
        ),
        (
            "azure",
            "scripts/smoke.sh:4",
            Mutation,
            "kubectl exec",
            true,
        ),
        (
            "circleci",
            ".circleci/config.yml:50",
            Push,
            "aws-ecr/build_and_push_image",
            true,
        ),
        (
            "bitbucket",
            "bitbucket-pipelines.yml:37",
            Deploy,
            "kubectl apply",
            true,
        ),
        (
            "tekton",
            ".tekton/pipeline.yaml:64",
            OtherScan,
            "trivy config",
            true,
        ),
        ("drone", ".drone.yml:29", Deploy, "docker compose up", true),
    ];
    for (fixture, location, activity, tool, present) in cases {
        let inventory = fixture_inventory(fixture);
        let repos = analyze(&inventory);
        let found = repos[0]
            .steps()
            .any(|s| s.location() == *location && s.activity == *activity && s.tool == *tool);
        assert_eq!(found, *present, "{fixture}: {location} {activity:?} {tool}");
    }
}
