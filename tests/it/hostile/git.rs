//! Hostile Git history: commits whose committer time lies (back-dated before the period,
//! dated after `--as-of`), a truncated loose object (libgit2 1.9 inflates it forever), and a
//! very large but legitimate YAML file in history.

use std::fs;
use std::path::Path;
use std::time::Duration;

use git2::Oid;

use crate::support::git::{
    Repo, WORKFLOW, changes, deployment, findings, problems, run, run_within,
};

const HOTFIX: &str =
    "#!/bin/sh\nkubectl -n shop exec deploy/api -- apt-get install -y --only-upgrade openssl\n";

/// The loose object file of `id` in `repo`.
fn loose_path(r: &Repo, id: Oid) -> std::path::PathBuf {
    let hex = id.to_string();
    r.repo
        .path()
        .join("objects")
        .join(&hex[..2])
        .join(&hex[2..])
}

/// Cuts the loose object file of `id` to half its length, as a disk full or a killed
/// writer leaves it.
fn truncate(r: &Repo, id: Oid) {
    let path = loose_path(r, id);
    let bytes = fs::read(&path).unwrap();
    let mut perms = fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    fs::set_permissions(&path, perms).unwrap();
    fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
}

/// A second Deployment, `shop/web`.
fn web(image: &str) -> String {
    deployment(image)
        .replace("name: api", "name: web")
        .replace("app: api", "app: web")
}

fn blob_at(r: &Repo, commit: Oid, path: &str) -> Oid {
    r.repo
        .find_commit(commit)
        .unwrap()
        .tree()
        .unwrap()
        .get_path(Path::new(path))
        .unwrap()
        .id()
}

#[test]
fn a_back_dated_commit_does_not_hide_the_period() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.0.0"))
        .write(".github/workflows/ci.yml", WORKFLOW);
    r.commit("2026-06-01T00:00:00Z", "Ana", "initial", &[]);
    r.write("scripts/hotfix.sh", HOTFIX);
    let added = r.commit("2026-07-03T00:00:00Z", "Ben", "hotfix", &[]);
    fs::remove_file(r.root().join("scripts/hotfix.sh")).unwrap();
    r.commit("2026-07-04T00:00:00Z", "Ben", "remove hotfix", &[]);
    // Pushed later, dated 1970: it bumps the image too.
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.1.0"));
    let hidden = r.commit("1970-01-01T00:00:00Z", "Mallory", "nothing to see", &[]);
    let root = r.root().to_str().unwrap().to_string();

    // Every commit is read the same way with --all-parents.
    let mut reports = Vec::new();
    for (flags, out) in [(&[][..], "out"), (&["--all-parents"][..], "all")] {
        let mut args = vec!["--repo", &root, "--period", "2026-07"];
        args.extend_from_slice(flags);
        let (report, _) = run(&args, &tmp.path().join(out));
        let nim = findings(&report, "no-in-place-mutation");
        let fail = nim
            .iter()
            .find(|f| f["status"] == "fail")
            .unwrap_or_else(|| panic!("{flags:?}: {nim:#?}"));
        assert_eq!(fail["subject"]["path"], "scripts/hotfix.sh");
        assert_eq!(fail["details"]["commit"], added.to_string());
        let source = &report["sources"][0];
        assert_eq!(source["details"]["commits_in_period"], "3", "{source:#?}");
        // The period ends with the back-dated commit: it landed after the others.
        assert_eq!(source["details"]["commit"], hidden.to_string());
        reports.push(report);
    }
    let report = &reports[0];

    // Its change is in the timeline at its parent's time, and its own time is a problem.
    let got = changes(report);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].0, "2026-07-04T00:00:00Z");
    assert_eq!(got[0].1, hidden.to_string());
    let p = problems(report);
    let replaced: Vec<&String> = p.iter().filter(|p| p.contains("committer time")).collect();
    assert_eq!(replaced.len(), 1, "{p:#?}");
    let short = &hidden.to_string()[..12];
    assert!(
        replaced[0].contains(&format!("gitops@{short}"))
            && replaced[0].contains("1970-01-01T00:00:00Z")
            && replaced[0].contains("2026-07-04T00:00:00Z"),
        "{replaced:#?}"
    );
}

#[test]
fn a_future_dated_commit_does_not_hide_the_commits_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.0.0"));
    r.commit("2026-06-01T00:00:00Z", "Ana", "initial", &[]);
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.1.0"));
    let a = r.commit("2026-07-02T00:00:00Z", "Ben", "api 1.1", &[]);
    // Dated years after --as-of (2026-10-15).
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:2.0.0"));
    let future = r.commit("2030-01-01T00:00:00Z", "Mallory", "api 2", &[]);
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:3.0.0"));
    let l1 = r.commit("2026-07-10T00:00:00Z", "Cleo", "api 3", &[]);
    r.write("scripts/hotfix.sh", HOTFIX);
    let l2 = r.commit("2026-07-20T00:00:00Z", "Dan", "hotfix", &[]);
    fs::remove_file(r.root().join("scripts/hotfix.sh")).unwrap();
    r.commit("2026-07-21T00:00:00Z", "Dan", "remove hotfix", &[]);
    let root = r.root().to_str().unwrap().to_string();

    let (report, _) = run(
        &["--repo", &root, "--period", "2026-07"],
        &tmp.path().join("out"),
    );
    // The future-dated commit is counted at its parent's time; the ones after it at theirs.
    let got = changes(&report);
    let mut times: Vec<(&str, String)> = got.iter().map(|c| (c.0.as_str(), c.1.clone())).collect();
    times.sort();
    let mut want = vec![
        ("2026-07-02T00:00:00Z", a.to_string()),
        ("2026-07-02T00:00:00Z", future.to_string()),
        ("2026-07-10T00:00:00Z", l1.to_string()),
    ];
    want.sort();
    assert_eq!(times, want, "{got:#?}");
    assert_eq!(report["sources"][0]["details"]["commits_in_period"], "5");
    let nim = findings(&report, "no-in-place-mutation");
    assert!(
        nim.iter()
            .any(|f| f["status"] == "fail" && f["details"]["commit"] == l2.to_string()),
        "{nim:#?}"
    );
    let p = problems(&report);
    let replaced: Vec<&String> = p.iter().filter(|p| p.contains("committer time")).collect();
    assert_eq!(replaced.len(), 1, "{p:#?}");
    assert!(
        replaced[0].contains("2030-01-01T00:00:00Z")
            && replaced[0].contains("2026-07-02T00:00:00Z")
            && replaced[0].contains(&future.to_string()[..12]),
        "{replaced:#?}"
    );
}

/// A report for a past date run on a repository that has moved on since: the commits made
/// after `--as-of` did not exist then, and must not be pulled into the period (they were,
/// at their parents' time, as if they were future-dated).
#[test]
fn commits_made_after_the_as_of_date_are_not_read_into_the_period() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.0.0"));
    r.commit("2026-06-01T00:00:00Z", "Ana", "initial", &[]);
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.1.0"));
    let a = r.commit("2026-07-02T00:00:00Z", "Ben", "api 1.1", &[]);
    // After --as-of (2026-10-15), in order: the repository as it is today.
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:2.0.0"));
    let later = r.commit("2026-11-02T00:00:00Z", "Cleo", "api 2", &[]);
    r.write("scripts/hotfix.sh", HOTFIX);
    let tip = r.commit("2026-12-01T00:00:00Z", "Dan", "hotfix", &[]);
    let root = r.root().to_str().unwrap().to_string();

    let (report, _) = run(
        &["--repo", &root, "--period", "2026-Q3"],
        &tmp.path().join("out"),
    );
    let got: Vec<String> = changes(&report).into_iter().map(|c| c.1).collect();
    assert_eq!(got, [a.to_string()], "{:#?}", report["changes"]);
    assert_eq!(report["sources"][0]["details"]["commits_in_period"], "1");
    assert!(
        findings(&report, "no-in-place-mutation")
            .iter()
            .all(|f| f["details"]["commit"] != tip.to_string()),
        "a script committed after --as-of was judged"
    );
    let p = problems(&report);
    assert!(
        !p.iter().any(|p| p.contains("committer time")),
        "an honest later commit is not a replaced time: {p:#?}"
    );
    let note: Vec<&String> = p.iter().filter(|p| p.contains("after --as-of")).collect();
    assert_eq!(note.len(), 1, "{p:#?}");
    assert!(
        note[0].contains("2 commits")
            && note[0].contains(&tip.to_string()[..12])
            && note[0].contains(&later.to_string()[..12])
            && note[0].contains(&a.to_string()[..12]),
        "{note:#?}"
    );
}

#[test]
fn a_truncated_loose_object_is_a_problem_not_a_hang() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.0.0"))
        .write("apps/web.yaml", &web("ghcr.io/acme/web:1.0.0"))
        .write("scripts/deploy.sh", "#!/bin/sh\nkubectl apply -f apps/\n")
        .write(".github/workflows/ci.yml", WORKFLOW);
    r.commit("2026-06-01T00:00:00Z", "Ana", "initial", &[]);
    r.write("apps/web.yaml", &web("ghcr.io/acme/web:2.0.0"));
    let web2 = r.commit("2026-07-02T00:00:00Z", "Ben", "web 2", &[]);
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.1.0"));
    let api = r.commit("2026-07-05T00:00:00Z", "Cleo", "api 1.1", &[]);
    r.write(
        "scripts/deploy.sh",
        "#!/bin/sh\nkubectl apply -k overlays/\n",
    );
    let scripts = r.commit("2026-07-08T00:00:00Z", "Dan", "deploy by overlay", &[]);
    r.write("apps/web.yaml", &web("ghcr.io/acme/web:3.0.0"));
    let last = r.commit("2026-07-09T00:00:00Z", "Eve", "web 3", &[]);
    let root = r.root().to_str().unwrap().to_string();

    // A blob (web.yaml as of web 2) and a tree (scripts/ as of the deploy change).
    let blob = blob_at(&r, web2, "apps/web.yaml");
    truncate(&r, blob);
    let tree = blob_at(&r, scripts, "scripts");
    truncate(&r, tree);

    let (report, _) = run_within(
        &["--repo", &root, "--period", "2026-07"],
        &tmp.path().join("out"),
        Duration::from_secs(60),
    );
    let p = problems(&report).join("\n");
    let web2_short = &web2.to_string()[..12];
    assert!(
        p.contains(&format!("gitops@{web2_short}:apps/web.yaml"))
            && p.contains(&format!("blob {blob}"))
            && p.contains("corrupt"),
        "{p}"
    );
    // The tree is named with its directory, in the commit that wrote it and at the period
    // end; the other directories of both are read.
    for commit in [scripts, last] {
        let short = &commit.to_string()[..12];
        assert!(
            p.contains(&format!("gitops@{short}:scripts/")) && p.contains(&format!("tree {tree}")),
            "{p}"
        );
    }
    let upd = findings(&report, "images-updated-in-period");
    for name in ["api", "web"] {
        assert!(
            upd.iter().any(|f| f["subject"]["name"] == name),
            "{name}: {upd:#?}"
        );
    }
    // The rest is assessed: the api change, and the web change read across the bad version.
    let got = changes(&report);
    assert!(got.iter().any(|c| c.1 == api.to_string()), "{got:#?}");
    assert!(
        got.iter()
            .any(|c| c.4 == "ghcr.io/acme/web:1.0.0" && c.5 == "ghcr.io/acme/web:3.0.0"),
        "{got:#?}"
    );
    assert_eq!(report["sources"][0]["details"]["commits_in_period"], "4");
}

#[test]
fn a_truncated_commit_ends_the_history_there_in_bounded_time() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.0.0"));
    r.commit("2026-06-01T00:00:00Z", "Ana", "initial", &[]);
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.1.0"));
    let broken = r.commit("2026-07-02T00:00:00Z", "Ben", "api 1.1", &[]);
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.2.0"));
    let last = r.commit("2026-07-05T00:00:00Z", "Cleo", "api 1.2", &[]);
    truncate(&r, broken);
    let root = r.root().to_str().unwrap().to_string();

    let (report, _) = run_within(
        &["--repo", &root, "--period", "2026-07"],
        &tmp.path().join("out"),
        Duration::from_secs(60),
    );
    let p = problems(&report).join("\n");
    assert!(
        p.contains(&format!("cannot read commit {broken}")) && p.contains("corrupt"),
        "{p}"
    );
    // The tip is still the period end, and its manifests are assessed; what it changed
    // cannot be told without its parent.
    assert_eq!(report["sources"][0]["details"]["commit"], last.to_string());
    let upd = findings(&report, "images-updated-in-period");
    assert!(
        upd.iter().any(|f| f["subject"]["kind"] == "Deployment"),
        "{upd:#?}"
    );
}

#[test]
fn a_large_configmap_in_history_is_read_not_refused_as_a_bomb() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    // 300,000 keys, about 7 MB: big, but no alias in it.
    let mut config = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: routes\n  namespace: shop\ndata:\n",
    );
    for i in 0..300_000 {
        config.push_str(&format!("  route-{i:06}: /svc/{i:06}/v1\n"));
    }
    assert!(config.len() > 7_000_000, "{}", config.len());
    let file = |image: &str| format!("{config}---\n{}", deployment(image));
    r.write("apps/api.yaml", &file("ghcr.io/acme/api:1.0.0"));
    r.commit("2026-06-01T00:00:00Z", "Ana", "initial", &[]);
    r.write("apps/api.yaml", &file("ghcr.io/acme/api:1.1.0"));
    let bump = r.commit("2026-07-05T00:00:00Z", "Ben", "api 1.1", &[]);
    let root = r.root().to_str().unwrap().to_string();

    let (report, _) = run_within(
        &["--repo", &root, "--period", "2026-07"],
        &tmp.path().join("out"),
        Duration::from_secs(120),
    );
    let p = problems(&report).join("\n");
    assert!(!p.contains("bomb"), "{p}");
    let got = changes(&report);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].1, bump.to_string());
    assert_eq!(got[0].4, "ghcr.io/acme/api:1.0.0");
    assert_eq!(got[0].5, "ghcr.io/acme/api:1.1.0");
}
