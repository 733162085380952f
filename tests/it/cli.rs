//! The command line, end to end: the real binary on real files.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

use crate::support::reruns;

fn evidencer() -> Command {
    Command::cargo_bin("evidencer").expect("binary built")
}

const GOOD: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
        - name: api
          image: registry.example.com/shop/api:1.0.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
          securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}
"#;

const BAD: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: legacy}
spec:
  updateStrategy: {type: OnDelete}
  template:
    spec:
      containers: [{name: db, image: postgres}]
"#;

fn snapshot(dir: &Path, yaml: &str) -> String {
    let path = dir.join("snap.yaml");
    fs::write(&path, yaml).unwrap();
    path.display().to_string()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

#[test]
fn report_writes_every_format_and_is_byte_identical_across_runs() {
    let runs = reruns::two(&[]);
    for run in &runs {
        run.write("snap.yaml", format!("{GOOD}---{BAD}"));
        run.evidencer()
            .args(["report", "--snapshot", "snap.yaml", "--as-of", "2026-09-30"])
            .args(["--format", "md,html,json", "--out", "out"])
            .assert()
            .success();
    }
    for name in ["report.md", "report.html", "report.json"] {
        reruns::same_bytes(&runs, &format!("out/{name}"));
    }
    let report = read_json(&runs[0].path().join("out/report.json"));
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["generated_at"], "2026-09-30T23:59:59Z");
    assert_eq!(report["as_of"], "2026-09-30T23:59:59Z");
}

#[test]
fn fail_on_sets_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let bad = snapshot(dir.path(), &format!("{GOOD}---{BAD}"));
    let out = dir.path().join("out");
    let run = |snap: &str, fail_on: &str| {
        evidencer()
            .args([
                "report",
                "--snapshot",
                snap,
                "--as-of",
                "2026-09-30",
                "--format",
                "json",
            ])
            .args([
                "--fail-on",
                fail_on,
                "--trusted-registry",
                "registry.example.com",
            ])
            .arg("--out")
            .arg(&out)
            .assert()
    };
    run(&bad, "never").code(0);
    run(&bad, "not-satisfied").code(1);
    run(&bad, "partially-satisfied").code(1);
    let good_dir = tempfile::tempdir().unwrap();
    let good = snapshot(good_dir.path(), GOOD);
    run(&good, "not-satisfied").code(0);
    // Controls with no check yet are not_assessed, which partially-satisfied counts.
    run(&good, "partially-satisfied").code(1);
}

#[test]
fn a_run_without_input_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    evidencer()
        .current_dir(dir.path())
        .args(["report", "--format", "json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("give at least one --snapshot"));
    evidencer()
        .args(["report", "--format", "docx"])
        .assert()
        .code(2);
}

#[test]
fn config_file_flags_and_dump_config_layer_in_order() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("evidencer.yaml"),
        "trusted-registries: [registry.example.com]\nformats: [json]\nfail-on: not-satisfied\n",
    )
    .unwrap();
    let out = evidencer()
        .current_dir(dir.path())
        .args([
            "report",
            "--dump-config",
            "--fail-on",
            "never",
            "--snapshot",
            "s",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("registry.example.com"), "{text}");
    assert!(text.contains("fail-on: never"), "{text}");
    assert!(text.contains("- json"), "{text}");

    fs::write(
        dir.path().join("bad.yaml"),
        "formats: [json]\ntrusted-registry: [x]\n",
    )
    .unwrap();
    evidencer()
        .current_dir(dir.path())
        .args(["report", "--config", "bad.yaml", "--dump-config"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("bad.yaml:2:")
                .and(predicate::str::contains("trusted-registry")),
        );
}

#[test]
fn checks_explain_and_controls_list_what_exists() {
    evidencer().arg("checks").assert().success().stdout(
        predicate::str::contains("replace-on-update").and(predicate::str::contains("PR.PS-02.242")),
    );
    let json = evidencer()
        .args(["checks", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let checks: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert!(
        checks
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["description"].as_str().unwrap().ends_with('.'))
    );
    evidencer()
        .args(["explain", "image-pinned-by-digest"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("## What it checks")
                .and(predicate::str::contains("## Why it matters"))
                .and(predicate::str::contains("## References")),
        );
    evidencer()
        .args(["explain", "no-such-check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-check"));
    evidencer()
        .arg("controls")
        .assert()
        .success()
        .stdout(predicate::str::contains("PCI-10.3").and(predicate::str::contains("(critical)")));
}

#[test]
fn user_catalogs_add_replace_and_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat");
    fs::create_dir(&cat).unwrap();
    fs::write(
        cat.join("ours.yaml"),
        "catalog: ours\ntitle: Ours\ncontrols:\n  - id: OURS-1\n    title: Pinned images\n    question: Are images pinned?\n    explanation: e\n    checks: [image-pinned-by-digest]\n",
    )
    .unwrap();
    let listed = evidencer()
        .args(["controls", "--no-builtin-catalogs", "--catalog"])
        .arg(&cat)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let listed = String::from_utf8(listed).unwrap();
    assert!(
        listed.contains("OURS-1") && !listed.contains("PR.PS-02.242"),
        "{listed}"
    );

    fs::write(
        cat.join("typo.yaml"),
        "catalog: t\ntitle: T\ncontrols:\n  - id: T-1\n    title: t\n    question: q?\n    explanation: e\n    checks: [image-pinned-by-digets]\n",
    )
    .unwrap();
    evidencer()
        .args(["controls", "--catalog"])
        .arg(&cat)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("typo.yaml:8:").and(predicate::str::contains("did you mean")),
        );
}

#[test]
fn secrets_never_reach_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(
        dir.path(),
        &format!(
            "{GOOD}---\napiVersion: v1\nkind: Secret\nmetadata: {{name: db, namespace: shop}}\n\
             data: {{password: c3VwZXJzZWNyZXQ=}}\nstringData: {{token: plain-secret-value}}\n---\n\
             apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: shop}}\nspec:\n  containers:\n\
             \x20   - name: c\n      image: app:1\n      env: [{{name: DB_PASSWORD, value: hunter2-literal}}]\n"
        ),
    );
    evidencer()
        .args([
            "report",
            "--snapshot",
            &snap,
            "--as-of",
            "2026-09-30",
            "--format",
            "md,html,json",
            "--out",
        ])
        .arg(dir.path().join("out"))
        .assert()
        .success();
    for name in ["report.md", "report.html", "report.json"] {
        let text = fs::read_to_string(dir.path().join("out").join(name)).unwrap();
        for secret in ["c3VwZXJzZWNyZXQ=", "plain-secret-value", "hunter2-literal"] {
            assert!(!text.contains(secret), "{name} leaks {secret}");
        }
    }
    let report = read_json(&dir.path().join("out/report.json"));
    assert_eq!(report["inputs"]["redaction"]["secrets_dropped"], 1);
}

/// samples/reports must be what the documented command produces today.
#[test]
fn samples_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    evidencer()
        .current_dir(root)
        .args(["report", "--config", "samples/evidencer.yaml", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let expected = root.join("samples/reports");
    for entry in fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name();
        let fresh = fs::read(dir.path().join(&name)).unwrap();
        let kept = fs::read(expected.join(&name)).unwrap_or_default();
        assert!(
            fresh == kept,
            "samples/reports/{} is stale: run `cargo run --release -- report --config samples/evidencer.yaml`",
            name.to_string_lossy()
        );
    }
}
