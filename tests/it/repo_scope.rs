//! Repository scoping (issue 14, class 1): what a `--repo` run reads. Test and fixture
//! trees are left out by default, `--include`/`--exclude` and per-repository `repos:`
//! entries narrow it further, `--deployed-only` keeps the manifests a kustomization, Flux
//! or Argo CD root deploys, and every file left out is listed in the report's coverage
//! with its count and the rule that left it out. Repositories are built with git2.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

use crate::support;

use support::git::{Repo, WORKFLOW, changes, deployment, findings, problems, run};

/// A DaemonSet that updates its pods only when they are deleted: replace-on-update fails.
fn daemonset_on_delete(image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\n  namespace: test\n\
         spec:\n  updateStrategy:\n    type: OnDelete\n  selector:\n    matchLabels: {{app: agent}}\n  \
         template:\n    metadata:\n      labels: {{app: agent}}\n    spec:\n      containers:\n        \
         - name: agent\n          image: {image}\n"
    )
}

/// A Deployment named `name` in `shop`, one container of the same name.
fn named(name: &str, image: &str) -> String {
    deployment(image)
        .replace(
            "name: api\n  namespace",
            &format!("name: {name}\n  namespace"),
        )
        .replace("app: api", &format!("app: {name}"))
        .replace("- name: api", &format!("- name: {name}"))
}

/// A real app beside an embedded library whose `testdata/` holds fixtures, one of them a
/// DaemonSet with `OnDelete`; the fixture's image changes in the period too.
fn embedded_library(dir: &Path) -> Repo {
    let r = Repo::init(dir);
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.0.0"))
        .write(".github/workflows/ci.yml", WORKFLOW)
        .write("vendor/lib/lib.go", "package lib\n")
        .write(
            "vendor/lib/testdata/daemonset-ondelete.yaml",
            &daemonset_on_delete("example.com/agent:1"),
        )
        .write(
            "vendor/lib/testdata/deployment.yaml",
            &named("fixture", "example.com/fixture:1"),
        );
    r.commit("2026-05-02T08:00:00Z", "Ana", "initial", &[]);
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.1.0"))
        .write(
            "vendor/lib/testdata/daemonset-ondelete.yaml",
            &daemonset_on_delete("example.com/agent:2"),
        );
    r.commit("2026-08-10T12:00:00Z", "Ben", "api 1.1.0, lib bump", &[]);
    r
}

fn control<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no control {id}"))
}

/// `(path, files, reason, rule)` of each excluded tree.
fn excluded(report: &Value) -> Vec<(String, u64, String, String)> {
    report["inputs"]["excluded"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["path"].as_str().unwrap().to_string(),
                        e["files"].as_u64().unwrap(),
                        e["reason"].as_str().unwrap().to_string(),
                        e["rule"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The names of the workloads replace-on-update judged.
fn judged(report: &Value) -> Vec<String> {
    let mut names: Vec<String> = findings(report, "replace-on-update")
        .iter()
        .filter(|f| {
            ["Deployment", "DaemonSet"].contains(&f["subject"]["kind"].as_str().unwrap_or(""))
        })
        .map(|f| f["subject"]["name"].as_str().unwrap_or("").to_string())
        .collect();
    names.sort();
    names
}

const Q3: [&str; 2] = ["--period", "2026-Q3"];

#[test]
fn test_data_of_an_embedded_library_is_left_out_and_listed_in_coverage() {
    let tmp = tempfile::tempdir().unwrap();
    embedded_library(&tmp.path().join("repo"));
    let repo = tmp.path().join("repo");
    let out = tmp.path().join("out");
    let (report, _) = run(&["--repo", repo.to_str().unwrap(), Q3[0], Q3[1]], &out);

    assert_eq!(judged(&report), ["api"], "the fixtures are not assessed");
    assert!(
        findings(&report, "replace-on-update")
            .iter()
            .all(|f| f["status"] == "pass"),
        "{:#?}",
        findings(&report, "replace-on-update")
    );
    assert_ne!(control(&report, "PR.PS-02.242")["verdict"], "not_satisfied");
    // Nor is their image age judged: every image-age finding is about the real app.
    let ages = findings(&report, "images-updated-in-period");
    assert!(!ages.is_empty());
    assert!(
        ages.iter()
            .all(|f| !f.to_string().contains("agent") && !f.to_string().contains("fixture")),
        "{ages:#?}"
    );
    // The fixture's image bump is no evidence of an update in the period.
    assert!(
        changes(&report).iter().all(|c| !c.3.contains("agent")),
        "{:?}",
        changes(&report)
    );
    assert_eq!(
        excluded(&report),
        [(
            "vendor/lib/testdata".to_string(),
            2,
            "default_exclude".to_string(),
            "**/testdata/**".to_string()
        )]
    );
    let limits = report["scope"]["limits"].to_string();
    assert!(
        limits.contains("2 file(s) of the repositories were left out of scope"),
        "{limits}"
    );
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("| vendor/lib/testdata/ | 2 | default exclude \\*\\*/testdata/\\*\\*"),
        "the Markdown coverage lists the excluded tree, its count and its rule:\n{md}"
    );
}

#[test]
fn no_default_excludes_assesses_the_test_data_again() {
    let tmp = tempfile::tempdir().unwrap();
    embedded_library(&tmp.path().join("repo"));
    let repo = tmp.path().join("repo");
    let (report, _) = run(
        &[
            "--repo",
            repo.to_str().unwrap(),
            "--no-default-excludes",
            Q3[0],
            Q3[1],
        ],
        &tmp.path().join("out"),
    );
    assert_eq!(judged(&report), ["agent", "api", "fixture"]);
    let agent = findings(&report, "replace-on-update")
        .into_iter()
        .find(|f| f["subject"]["name"] == "agent")
        .unwrap();
    assert_eq!(agent["status"], "fail");
    assert_eq!(control(&report, "PR.PS-02.242")["verdict"], "not_satisfied");
    assert!(changes(&report).iter().any(|c| c.3.contains("agent")));
    assert!(
        findings(&report, "images-updated-in-period")
            .iter()
            .any(|f| f.to_string().contains("agent"))
    );
    assert_eq!(excluded(&report), []);
}

/// Two repositories: `--exclude` and `--include` apply to both; the files they leave out
/// are listed with their rule.
#[test]
fn include_and_exclude_globs_apply_to_every_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for name in ["one", "two"] {
        let dir = tmp.path().join(name);
        let r = Repo::init(&dir);
        r.write(
            "apps/web.yaml",
            &named(&format!("{name}-web"), "ghcr.io/acme/web:1"),
        )
        .write(
            "apps/legacy/old.yaml",
            &named(&format!("{name}-old"), "ghcr.io/acme/old:1"),
        )
        .write(
            "sandbox/try.yaml",
            &named(&format!("{name}-try"), "ghcr.io/acme/try:1"),
        );
        r.commit("2026-07-02T08:00:00Z", "Ana", "initial", &[]);
        paths.push(dir.to_str().unwrap().to_string());
    }
    let (report, _) = run(
        &[
            "--repo",
            &paths[0],
            "--repo",
            &paths[1],
            "--include",
            "apps/**",
            "--exclude",
            "**/legacy",
            Q3[0],
            Q3[1],
        ],
        &tmp.path().join("out"),
    );
    assert_eq!(judged(&report), ["one-web", "two-web"]);
    let mut ex = excluded(&report);
    ex.sort();
    assert_eq!(
        ex,
        [
            (
                "apps/legacy".into(),
                1,
                "exclude".into(),
                "**/legacy".into()
            ),
            (
                "apps/legacy".into(),
                1,
                "exclude".into(),
                "**/legacy".into()
            ),
            ("sandbox".into(), 1, "not_included".into(), "".into()),
            ("sandbox".into(), 1, "not_included".into(), "".into()),
        ]
    );
    let sources: Vec<&str> = report["inputs"]["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert!(
        sources.iter().any(|s| s.ends_with("one")) && sources.iter().any(|s| s.ends_with("two"))
    );
    // Each repository's source says how it was scoped.
    for source in report["sources"].as_array().unwrap() {
        assert_eq!(
            source["details"]["scope"],
            "include apps/**; exclude **/legacy; default excludes (test data and fixtures)"
        );
    }
}

/// `repos:` takes plain paths and `{path, include, exclude}` entries; an entry's globs add to
/// the global ones for that repository only.
#[test]
fn per_repository_entries_in_the_config_add_their_globs() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["plain", "scoped"] {
        let r = Repo::init(&tmp.path().join(name));
        r.write(
            "apps/web.yaml",
            &named(&format!("{name}-web"), "ghcr.io/acme/web:1"),
        )
        .write(
            "examples/demo.yaml",
            &named(&format!("{name}-demo"), "ghcr.io/acme/demo:1"),
        )
        .write(
            "ops/job.yaml",
            &named(&format!("{name}-ops"), "ghcr.io/acme/ops:1"),
        );
        r.commit("2026-07-02T08:00:00Z", "Ana", "initial", &[]);
    }
    let config = tmp.path().join("evidencer.yaml");
    fs::write(
        &config,
        "repos:\n  - plain\n  - path: scoped\n    exclude: ['examples/**']\nexclude: ['ops/**']\n",
    )
    .unwrap();
    let (report, _) = run(
        &["--config", config.to_str().unwrap(), Q3[0], Q3[1]],
        &tmp.path().join("out"),
    );
    assert_eq!(judged(&report), ["plain-demo", "plain-web", "scoped-web"]);
    let mut ex = excluded(&report);
    ex.sort();
    assert_eq!(
        ex,
        [
            ("examples".into(), 1, "exclude".into(), "examples/**".into()),
            ("ops".into(), 1, "exclude".into(), "ops/**".into()),
            ("ops".into(), 1, "exclude".into(), "ops/**".into()),
        ]
    );
}

fn evidencer(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("evidencer")
        .unwrap()
        .arg("report")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_glob_that_does_not_parse_or_an_unknown_repos_key_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    Repo::init(&repo)
        .write("a.yaml", &deployment("x:1"))
        .commit("2026-07-02T08:00:00Z", "Ana", "initial", &[]);
    let out = tmp.path().join("out");
    let (code, stderr) = evidencer(&[
        "--repo",
        repo.to_str().unwrap(),
        "--exclude",
        "apps/[z",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("apps/[z") && stderr.contains("--exclude"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written");

    let config = tmp.path().join("evidencer.yaml");
    fs::write(
        &config,
        "repos:\n  - path: repo\n    include: ['apps/**']\n    exclude: ['{a,b']\n",
    )
    .unwrap();
    let (code, stderr) = evidencer(&["--config", config.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("evidencer.yaml:4:") && stderr.contains("{a,b"),
        "{stderr}"
    );

    fs::write(&config, "repos:\n  - path: repo\n    excludes: ['x/**']\n").unwrap();
    let (code, stderr) = evidencer(&["--config", config.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("evidencer.yaml:3:") && stderr.contains("excludes"),
        "{stderr}"
    );
}

/// The prod overlay of `base/`, setting the api image's tag.
fn overlay(tag: &str) -> String {
    format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../../base]\n\
         images:\n  - name: ghcr.io/acme/api\n    newTag: \"{tag}\"\n"
    )
}

const FLUX_KUSTOMIZATION: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
    metadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/flux\n  \
    prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";

const ARGO_APP: &str = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  \
    namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.com/ops.git\n    \
    path: apps/web\n    targetRevision: HEAD\n  destination:\n    server: https://kubernetes.default.svc\n    \
    namespace: shop\n";

#[test]
fn deployed_only_keeps_what_a_kustomization_flux_or_an_argo_cd_application_deploys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    let r = Repo::init(&dir);
    r.write("base/api.yaml", &deployment("ghcr.io/acme/api:1"))
        .write(
            "base/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [api.yaml]\n",
        )
        .write("overlays/prod/kustomization.yaml", &overlay("1.0"))
        .write("argocd/web.yaml", ARGO_APP)
        .write("apps/web/web.yaml", &named("web", "ghcr.io/acme/web:1"))
        .write("clusters/prod/apps.yaml", FLUX_KUSTOMIZATION)
        .write("apps/flux/sub/flux.yaml", &named("flux", "ghcr.io/acme/flux:1"))
        .write("stray/old.yaml", &named("stray", "ghcr.io/acme/stray:1"))
        .write(".github/workflows/ci.yml", WORKFLOW);
    r.commit("2026-07-02T08:00:00Z", "Ana", "initial", &[]);
    r.write("stray/old.yaml", &named("stray", "ghcr.io/acme/stray:2"))
        .write("overlays/prod/kustomization.yaml", &overlay("1.1"));
    r.commit(
        "2026-08-02T08:00:00Z",
        "Ana",
        "stray bump, prod to 1.1",
        &[],
    );
    let repo = dir.to_str().unwrap();

    let (all, _) = run(&["--repo", repo, Q3[0], Q3[1]], &tmp.path().join("all"));
    assert_eq!(judged(&all), ["api", "flux", "stray", "web"]);

    let (report, _) = run(
        &["--repo", repo, "--deployed-only", Q3[0], Q3[1]],
        &tmp.path().join("out"),
    );
    assert_eq!(judged(&report), ["api", "flux", "web"]);
    assert!(
        changes(&report).iter().all(|c| !c.3.contains("stray")),
        "{:?}",
        changes(&report)
    );
    // The overlay's image override is deployed: its change is in the timeline.
    assert!(
        changes(&report)
            .iter()
            .any(|c| c.5 == "ghcr.io/acme/api:1.1"),
        "{:?}",
        changes(&report)
    );
    assert_eq!(
        excluded(&report),
        [("stray".into(), 1, "not_deployed".into(), "".into())]
    );
    // Pipelines are not manifests: still read.
    assert!(!findings(&report, "ci-builds-images").is_empty());
}

#[test]
fn deployed_only_without_any_root_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    let r = Repo::init(&dir);
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1"));
    r.commit("2026-07-02T08:00:00Z", "Ana", "initial", &[]);
    let (report, _) = run(
        &[
            "--repo",
            dir.to_str().unwrap(),
            "--deployed-only",
            Q3[0],
            Q3[1],
        ],
        &tmp.path().join("out"),
    );
    assert_eq!(judged(&report), Vec::<String>::new());
    let problems = problems(&report);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("--deployed-only") && p.contains("no kustomization")),
        "{problems:#?}"
    );
    assert_eq!(
        excluded(&report),
        [("apps".into(), 1, "not_deployed".into(), "".into())]
    );
}

/// A kustomization that lists a resource the scope leaves out is told so, as a note, not
/// sent looking for a path that is fine.
#[test]
fn a_kustomization_resource_out_of_scope_is_a_note_naming_the_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    let r = Repo::init(&dir);
    r.write("base/api.yaml", &deployment("ghcr.io/acme/api:1"))
        .write(
            "base/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [api.yaml]\n",
        )
        .write(
            "overlays/prod/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\n  - testdata/extra.yaml\n",
        )
        .write(
            "overlays/prod/testdata/extra.yaml",
            &named("extra", "ghcr.io/acme/extra:1"),
        );
    r.commit("2026-07-02T08:00:00Z", "Ana", "initial", &[]);
    let (report, _) = run(
        &[
            "--repo",
            dir.to_str().unwrap(),
            "--exclude",
            "base",
            Q3[0],
            Q3[1],
        ],
        &tmp.path().join("out"),
    );
    let problems = problems(&report);
    assert!(
        problems.iter().all(|p| !p.contains("not found")),
        "{problems:#?}"
    );
    for (resource, rule) in [
        ("../../base", "the exclude `base`"),
        (
            "testdata/extra.yaml",
            "the default exclude `**/testdata/**`",
        ),
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with("\"note\"")
                && p.contains(&format!("resource `{resource}` is out of scope ({rule})"))),
            "{problems:#?}"
        );
    }
    assert_eq!(judged(&report), Vec::<String>::new());
}
