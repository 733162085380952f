//! `--repo`: the Git history collector through the real binary, on repositories built with
//! git2 in a temporary directory, every commit at a fixed committer time. Covers the period
//! (committer time, both ends included), manifests at the period end, the image change
//! timeline (raw YAML, kustomize `images:`, Helm values), first parents against
//! `--all-parents`, a bare clone, and bad input: a directory that is not a repository, an
//! unknown ref, a missing object, YAML that does not parse in one commit, a shallow clone.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use git2::{Oid, Signature, Time};
use serde_json::Value;

use crate::support;

use support::git::{Repo, WORKFLOW, changes, deployment, findings, problems, run, secs};

fn kustomization(tag: &str) -> String {
    format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../../apps/api.yaml]\n\
         images:\n  - name: ghcr.io/acme/api\n    newTag: \"{tag}\"\n"
    )
}

/// The repository of most tests: one commit before Q3 2026, three in it, one after.
fn gitops(dir: &Path) -> (Repo, Vec<Oid>) {
    let r = Repo::init(dir);
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.0.0"))
        .write("overlays/prod/kustomization.yaml", &kustomization("1.0.0"))
        .write(
            "charts/web/values.yaml",
            "image:\n  repository: ghcr.io/acme/web\n  tag: \"3.0\"\n",
        )
        .write(".github/workflows/ci.yml", WORKFLOW);
    let c0 = r.commit("2026-05-02T08:00:00Z", "Ana", "initial", &[]);
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.1.0"));
    // Exactly at the period start: inside it.
    let c1 = r.commit("2026-07-01T00:00:00Z", "Ben", "api 1.1.0", &[]);
    r.write("overlays/prod/kustomization.yaml", &kustomization("1.1.0"))
        .write(
            "charts/web/values.yaml",
            "image:\n  repository: ghcr.io/acme/web\n  tag: \"3.1\"\n",
        );
    let c2 = r.commit(
        "2026-08-10T12:00:00Z",
        "Cleo",
        "prod to 1.1.0, web 3.1",
        &[],
    );
    // The last second of the period, whole day included.
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.2.0"));
    let c3 = r.commit("2026-09-30T23:59:59Z", "Dan", "api 1.2.0", &[]);
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:9.9.9"));
    let c4 = r.commit("2026-10-01T00:00:00Z", "Eve", "after the period", &[]);
    (r, vec![c0, c1, c2, c3, c4])
}

#[test]
fn a_quarter_of_history_gives_the_period_the_timeline_and_the_end_state() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, c) = gitops(&tmp.path().join("gitops"));
    let out = tmp.path().join("out");
    let (report, _) = run(
        &["--repo", r.root().to_str().unwrap(), "--period", "2026-Q3"],
        &out,
    );

    assert_eq!(report["period"]["start"], "2026-07-01T00:00:00Z");
    assert_eq!(report["period"]["end"], "2026-09-30T23:59:59Z");

    let got = changes(&report);
    let c1 = c[1].to_string();
    let c2 = c[2].to_string();
    let c3 = c[3].to_string();
    let s = |x: &str| Value::String(x.into());
    assert_eq!(
        got,
        [
            (
                "2026-07-01T00:00:00Z".into(),
                c1.clone(),
                "Ben".into(),
                "Deployment shop/api container api".into(),
                s("ghcr.io/acme/api:1.0.0"),
                s("ghcr.io/acme/api:1.1.0"),
            ),
            (
                "2026-08-10T12:00:00Z".into(),
                c2.clone(),
                "Cleo".into(),
                "Helm chart charts/web values image.tag".into(),
                s("ghcr.io/acme/web:3.0"),
                s("ghcr.io/acme/web:3.1"),
            ),
            (
                "2026-08-10T12:00:00Z".into(),
                c2.clone(),
                "Cleo".into(),
                "Kustomization overlays/prod image ghcr.io/acme/api".into(),
                s("ghcr.io/acme/api:1.0.0"),
                s("ghcr.io/acme/api:1.1.0"),
            ),
            (
                "2026-09-30T23:59:59Z".into(),
                c3.clone(),
                "Dan".into(),
                "Deployment shop/api container api".into(),
                s("ghcr.io/acme/api:1.1.0"),
                s("ghcr.io/acme/api:1.2.0"),
            ),
        ],
        "{got:#?}"
    );

    // The manifests are the period end's (commit c3), with repo@commit:path#doc locators.
    let short = &c3[..12];
    let locators: Vec<&str> = report["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["locator"].as_str())
        .collect();
    assert!(
        locators.contains(&format!("gitops@{short}:apps/api.yaml").as_str()),
        "{locators:?}"
    );
    assert!(locators.contains(&format!("gitops@{short}:.github/workflows/ci.yml").as_str()));
    let text = fs::read_to_string(out.join("report.json")).unwrap();
    assert!(
        !text.contains("9.9.9"),
        "a commit after the period leaked in"
    );
    let source = &report["sources"][0];
    assert_eq!(source["kind"], "repository");
    assert_eq!(source["details"]["commit"], c3.as_str());
    assert_eq!(source["details"]["commits_in_period"], "3");

    // The pipeline at the period end builds, scans and deploys, naming file:line.
    for (check, line) in [
        ("ci-builds-images", 7),
        ("ci-scans-images", 9),
        ("ci-deploys-by-replacement", 10),
    ] {
        let f = findings(&report, check);
        assert!(
            f.iter().any(
                |f| f["status"] == "pass" && f["subject"]["path"] == ".github/workflows/ci.yml"
            ),
            "{check}: {f:#?}"
        );
        assert!(
            text.contains(&format!(".github/workflows/ci.yml:{line}")),
            "{check} names its line {line}"
        );
    }
    let nim = findings(&report, "no-in-place-mutation");
    assert!(nim.iter().all(|f| f["status"] == "pass"), "{nim:#?}");

    // The container changed twice in the period: it passes, with its cadence.
    let upd = findings(&report, "images-updated-in-period");
    let api = upd
        .iter()
        .find(|f| f["subject"]["name"] == "api" && f["subject"]["kind"] == "Deployment")
        .expect("the api container is judged");
    assert_eq!(api["status"], "pass");
    assert_eq!(api["details"]["changes_in_period"], 3);
    let web = upd
        .iter()
        .find(|f| f["subject"]["kind"] == "Helm values")
        .expect("the chart's values are judged");
    assert_eq!(web["status"], "pass");
    assert_eq!(web["details"]["changes_in_period"], 1);

    // The narrative of PR.PS-02.242 cites the replacements and the pipeline files.
    let control = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "PR.PS-02.242")
        .unwrap();
    let narrative = control["narrative"].as_str().unwrap();
    assert!(
        narrative.contains("4 image replacement(s) in the period's history"),
        "{narrative}"
    );
    assert!(
        narrative.contains("Pipeline files that build")
            && narrative.contains(".github/workflows/ci.yml"),
        "{narrative}"
    );
    assert!(
        narrative.contains("No in-place change in the"),
        "{narrative}"
    );

    // The Markdown report shows the period and the timeline.
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| Audit period |"), "the period is shown");
    assert!(md.contains("Image change timeline"));
    assert!(md.contains(&c2[..12]));
    assert!(md.contains("2026-07-01"));
}

#[test]
fn an_unchanged_image_is_dated_by_walking_back_to_the_commit_that_set_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, c) = gitops(&tmp.path().join("gitops"));
    // November: nothing changed the kustomization or the values; the Deployment changed
    // on 2026-10-01 only.
    let (report, _) = run(
        &[
            "--repo",
            r.root().to_str().unwrap(),
            "--since",
            "2026-10-02",
            "--until",
            "2026-10-14",
        ],
        &tmp.path().join("out"),
    );
    assert_eq!(report["period"]["start"], "2026-10-02T00:00:00Z");
    assert_eq!(report["period"]["end"], "2026-10-14T23:59:59Z");
    assert!(changes(&report).is_empty());
    let upd = findings(&report, "images-updated-in-period");
    let api = upd
        .iter()
        .find(|f| f["subject"]["kind"] == "Deployment")
        .unwrap();
    // Set by c4 on 2026-10-01, 13 days before the period end: young enough.
    assert_eq!(api["status"], "pass", "{api:#?}");
    assert_eq!(api["details"]["introduced"]["commit"], c[4].to_string());
    assert_eq!(api["details"]["image_age_days"], 13);
    let web = upd
        .iter()
        .find(|f| f["subject"]["kind"] == "Helm values")
        .unwrap();
    assert_eq!(web["details"]["introduced"]["commit"], c[2].to_string());
    assert_eq!(web["details"]["changes_in_period"], 0);
}

#[test]
fn first_parents_show_a_merge_where_it_landed_all_parents_the_branch_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.0.0"));
    let base = r.commit("2026-06-01T00:00:00Z", "Ana", "initial", &[]);
    // A branch commit on 2026-07-05, merged on 2026-07-20.
    let base_commit = r.repo.find_commit(base).unwrap();
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:2.0.0"));
    let mut index = r.repo.index().unwrap();
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    let tree = r.repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = |t| Signature::new("Ben", "b@example.com", &Time::new(secs(t), 0)).unwrap();
    let branch = r
        .repo
        .commit(
            None,
            &sig("2026-07-05T00:00:00Z"),
            &sig("2026-07-05T00:00:00Z"),
            "api 2",
            &tree,
            &[&base_commit],
        )
        .unwrap();
    // Main gets another file meanwhile, then merges the branch.
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.0.0"))
        .write("README.md", "# ops\n");
    r.commit("2026-07-10T00:00:00Z", "Cleo", "docs", &[]);
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:2.0.0"));
    let merge = r.commit("2026-07-20T00:00:00Z", "Cleo", "merge api 2", &[branch]);
    let root = r.root().to_str().unwrap().to_string();

    let (first, _) = run(
        &["--repo", &root, "--period", "2026-07"],
        &tmp.path().join("first"),
    );
    let got = changes(&first);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].1, merge.to_string());
    assert_eq!(got[0].0, "2026-07-20T00:00:00Z");

    let (all, _) = run(
        &["--repo", &root, "--period", "2026-07", "--all-parents"],
        &tmp.path().join("all"),
    );
    let got = changes(&all);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].1, branch.to_string());
    assert_eq!(got[0].2, "Ben");
}

#[test]
fn a_bare_clone_is_read_from_its_objects() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, c) = gitops(&tmp.path().join("gitops"));
    let bare = tmp.path().join("gitops.git");
    git2::build::RepoBuilder::new()
        .bare(true)
        .clone(r.root().to_str().unwrap(), &bare)
        .unwrap();
    let (report, _) = run(
        &["--repo", bare.to_str().unwrap(), "--period", "2026-Q3"],
        &tmp.path().join("out"),
    );
    assert_eq!(changes(&report).len(), 4);
    assert_eq!(report["sources"][0]["details"]["commit"], c[3].to_string());
    // Named by the remote it was cloned from, without the directory layout.
    let locators = report["evidence"].to_string();
    assert!(locators.contains(&format!("gitops@{}:apps/api.yaml", &c[3].to_string()[..12])));
}

#[test]
fn a_tag_or_branch_is_read_with_ref_and_an_unknown_ref_is_a_problem_not_the_end() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, c) = gitops(&tmp.path().join("gitops"));
    let c2 = r.repo.find_commit(c[2]).unwrap();
    r.repo.tag_lightweight("v1", c2.as_object(), false).unwrap();
    let root = r.root().to_str().unwrap().to_string();
    let (report, _) = run(
        &["--repo", &root, "--ref", "v1", "--period", "2026-Q3"],
        &tmp.path().join("tag"),
    );
    assert_eq!(report["sources"][0]["details"]["ref"], "v1");
    assert_eq!(changes(&report).len(), 3);

    // An unknown ref, and a directory that is not a repository, beside a good repository:
    // both are errors in the report, the good one is assessed.
    let not_repo = tmp.path().join("plain");
    fs::create_dir_all(&not_repo).unwrap();
    let (report, _) = run(
        &[
            "--repo",
            &root,
            "--repo",
            not_repo.to_str().unwrap(),
            "--period",
            "2026-Q3",
        ],
        &tmp.path().join("mixed"),
    );
    let p = problems(&report).join("\n");
    assert!(p.contains("not a Git repository"), "{p}");
    assert_eq!(changes(&report).len(), 4);

    let (report, _) = run(
        &["--repo", &root, "--ref", "nope", "--period", "2026-Q3"],
        &tmp.path().join("noref"),
    );
    let p = problems(&report).join("\n");
    assert!(p.contains("no ref `nope`"), "{p}");
    assert!(p.contains("pass one with --ref"), "{p}");

    // A path that does not exist is a typo: the run stops (exit 2).
    Command::cargo_bin("evidencer")
        .unwrap()
        .args(["report", "--repo"])
        .arg(tmp.path().join("missing"))
        .args(["--out"])
        .arg(tmp.path().join("x"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no such directory"));
}

#[test]
fn broken_yaml_a_missing_object_and_a_shallow_cut_are_recorded_and_the_rest_assessed() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.0.0"))
        .write(".github/workflows/ci.yml", WORKFLOW);
    let c0 = r.commit("2026-06-01T00:00:00Z", "Ana", "initial", &[]);
    r.write("apps/api.yaml", "apiVersion: apps/v1\nkind: [Deployment\n");
    let broken = r.commit("2026-07-03T00:00:00Z", "Ben", "oops", &[]);
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.1.0"));
    r.write(
        "apps/web.yaml",
        "kind: ConfigMap\napiVersion: v1\nmetadata: {name: web}\n",
    );
    r.commit("2026-07-04T00:00:00Z", "Ben", "fix, api 1.1.0", &[]);
    r.write(
        "apps/web.yaml",
        "kind: ConfigMap\napiVersion: v1\nmetadata: {name: web2}\n",
    );
    r.commit("2026-07-05T00:00:00Z", "Ben", "web2", &[]);
    let root = r.root().to_str().unwrap().to_string();

    // The loose object of web.yaml's first version goes missing.
    let blob = r
        .repo
        .find_commit(r.repo.head().unwrap().target().unwrap())
        .unwrap()
        .parent(0)
        .unwrap()
        .tree()
        .unwrap()
        .get_path(Path::new("apps/web.yaml"))
        .unwrap()
        .id()
        .to_string();
    fs::remove_file(
        r.repo
            .path()
            .join("objects")
            .join(&blob[..2])
            .join(&blob[2..]),
    )
    .unwrap();

    // And the clone is cut at c0, as `git clone --depth` would leave it.
    fs::write(r.repo.path().join("shallow"), format!("{c0}\n")).unwrap();

    let (report, _) = run(
        &["--repo", &root, "--period", "2026-07"],
        &tmp.path().join("out"),
    );
    let p = problems(&report).join("\n");
    assert!(
        p.contains(&format!("commit {}", &broken.to_string()[..12]))
            && p.contains("does not parse"),
        "{p}"
    );
    assert!(p.contains(&format!("cannot read blob {blob}")), "{p}");
    assert!(p.contains(&format!("history is cut at commit {c0}")), "{p}");
    // The change across the broken commit is still in the timeline, from the last good
    // version.
    let got = changes(&report);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].4, "ghcr.io/acme/api:1.0.0");
    assert_eq!(got[0].5, "ghcr.io/acme/api:1.1.0");
    assert!(
        findings(&report, "ci-builds-images")
            .iter()
            .any(|f| f["status"] == "pass")
    );
}

#[test]
fn a_hotfix_script_added_and_removed_within_the_period_still_fails_naming_its_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.0.0"))
        .write(".github/workflows/ci.yml", WORKFLOW);
    r.commit("2026-06-01T00:00:00Z", "Ana", "initial", &[]);
    r.write(
        "scripts/hotfix.sh",
        "#!/bin/sh\nkubectl -n shop exec deploy/api -- apt-get install -y --only-upgrade openssl\n",
    );
    let added = r.commit("2026-07-03T00:00:00Z", "Ben", "hotfix", &[]);
    fs::remove_file(r.root().join("scripts/hotfix.sh")).unwrap();
    r.commit("2026-07-04T00:00:00Z", "Ben", "remove hotfix", &[]);
    let root = r.root().to_str().unwrap().to_string();

    let (report, _) = run(
        &["--repo", &root, "--period", "2026-07"],
        &tmp.path().join("out"),
    );
    let nim = findings(&report, "no-in-place-mutation");
    let fail = nim
        .iter()
        .find(|f| f["status"] == "fail")
        .unwrap_or_else(|| panic!("{nim:#?}"));
    assert_eq!(fail["subject"]["path"], "scripts/hotfix.sh");
    assert_eq!(fail["subject"]["line"], 2);
    assert_eq!(fail["details"]["commit"], added.to_string());

    // Before the script existed, the same repository passes.
    let (report, _) = run(
        &["--repo", &root, "--period", "2026-06"],
        &tmp.path().join("june"),
    );
    let nim = findings(&report, "no-in-place-mutation");
    assert!(nim.iter().all(|f| f["status"] == "pass"), "{nim:#?}");
}
