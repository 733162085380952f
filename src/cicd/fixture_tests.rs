//! Snapshot tests: every fixture repository under `tests/fixtures/cicd/`, analysed, with
//! each pipeline's classified steps, notes and problems, the in-place hits of scripts and
//! runbooks, and the GitOps facts.

use super::test_support::{fixture_inventory, render_steps};
use super::{RepoAnalysis, analyze};

fn render(repo: &RepoAnalysis, inventory: &crate::collect::Inventory) -> String {
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
