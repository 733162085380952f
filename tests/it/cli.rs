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
    assert_eq!(report["schema_version"], 3);
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
    // Controls that ask for a documented process are not_assessed without one, which
    // partially-satisfied counts.
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
        "catalog: ours\ntitle: Ours\ncontrols:\n  - id: OURS-1\n    id-source: local\n    source: our platform policy\n    title: Pinned images\n    question: Are images pinned?\n    explanation: e\n    checks: [image-pinned-by-digest]\n",
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
        "catalog: t\ntitle: T\ncontrols:\n  - id: T-1\n    id-source: local\n    source: s\n    title: t\n    question: q?\n    explanation: e\n    checks: [image-pinned-by-digets]\n",
    )
    .unwrap();
    evidencer()
        .args(["controls", "--catalog"])
        .arg(&cat)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("typo.yaml:10:").and(predicate::str::contains("did you mean")),
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

/// A catalog directory `cat` holding one control, OURS-1, that uses image-pinned-by-digest.
fn our_catalog(cat: &Path) {
    fs::create_dir_all(cat).unwrap();
    fs::write(
        cat.join("ours.yaml"),
        "catalog: ours\ntitle: Ours\ncontrols:\n  - id: OURS-1\n    id-source: local\n    source: our platform policy\n    title: Pinned images\n    question: Are images pinned?\n    explanation: e\n    checks: [image-pinned-by-digest]\n",
    )
    .unwrap();
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

/// `checks` and `controls` read `catalogs:` and `builtin-catalogs:` from the config file,
/// found as `report` finds it (./evidencer.yaml, or --config FILE), with paths relative to
/// the file.
#[test]
fn checks_and_controls_read_catalogs_from_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    our_catalog(&dir.path().join("mine"));
    fs::write(dir.path().join("evidencer.yaml"), "catalogs: [mine]\n").unwrap();
    let controls = stdout_of(evidencer().current_dir(dir.path()).arg("controls"));
    assert!(
        controls.contains("OURS-1") && controls.contains("PR.PS-02.242"),
        "{controls}"
    );
    let checks = stdout_of(evidencer().current_dir(dir.path()).arg("checks"));
    assert!(checks.contains("OURS-1"), "{checks}");
    let json = stdout_of(
        evidencer()
            .current_dir(dir.path())
            .args(["checks", "--json"]),
    );
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    let pinned = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "image-pinned-by-digest")
        .unwrap();
    assert!(
        pinned["controls"]
            .as_array()
            .unwrap()
            .contains(&"OURS-1".into()),
        "{pinned}"
    );

    // --config from another directory: its paths are relative to the file; the flag
    // --catalog adds to nothing the file said (flags replace a list).
    let elsewhere = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    let cfg = dir.path().join("sub/cfg.yaml");
    fs::write(&cfg, "catalogs: [../mine]\nbuiltin-catalogs: false\n").unwrap();
    let controls = stdout_of(
        evidencer()
            .current_dir(elsewhere.path())
            .arg("controls")
            .arg("--config")
            .arg(&cfg),
    );
    assert!(
        controls.contains("OURS-1") && !controls.contains("PR.PS-02.242"),
        "{controls}"
    );
    // A broken config file is an error here too, with its line.
    fs::write(&cfg, "catalogs: [../mine]\ncatalog: x\n").unwrap();
    evidencer()
        .current_dir(elsewhere.path())
        .arg("checks")
        .arg("--config")
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cfg.yaml:2:"));
}

/// How many times `needle` occurs in `hay`.
fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// An error's printed chain names its cause once: the message of an error that has a source
/// does not repeat the source's text.
#[test]
fn an_error_prints_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(dir.path(), GOOD);
    let file = dir.path().join("a-file");
    fs::write(&file, "").unwrap();
    let runs: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        (
            vec![
                "controls".into(),
                "--catalog".into(),
                dir.path().join("none").into(),
            ],
            "cannot read catalog directory",
        ),
        (
            vec![
                "report".into(),
                "--snapshot".into(),
                snap.clone().into(),
                "--period".into(),
                "2026-Q3".into(),
                "--archive".into(),
                file.join("archive").into(),
            ],
            "cannot create",
        ),
        (
            vec![
                "report".into(),
                "--snapshot".into(),
                snap.clone().into(),
                "--format".into(),
                "json".into(),
                "--out".into(),
                dir.path().join("out").into(),
                "--bundle".into(),
                file.join("b.tar.gz").into(),
            ],
            "cannot write bundle",
        ),
    ];
    for (args, says) in runs {
        let out = evidencer().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(count(&stderr, "(os error"), 1, "{args:?}: {stderr}");
    }
}

/// No `#[error]` message of the crate prints `{source}` (or a tuple's `{0}`) of a variant
/// whose cause is also its `#[source]`/`#[from]`: the printed chain would say it twice.
#[test]
fn no_error_message_repeats_its_source() {
    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut found = Vec::new();
    for path in &files {
        let text = fs::read_to_string(path).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("#[error(") {
            rest = &rest[at + "#[error(".len()..];
            let end = rest.find(")]\n").unwrap_or(rest.len());
            let message = &rest[..end];
            // The variant: up to the next message or the end of the enum.
            let body_end = [rest.find("#[error("), rest.find("\n}")]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(rest.len());
            let body = &rest[end..body_end];
            let has_source =
                body.contains("#[source]") || body.contains("#[from]") || body.contains(" source:");
            let prints_source = message.contains("{source")
                || message.contains(".source")
                || ((message.contains("{0") || message.contains(".0"))
                    && (body.contains("(#[source]") || body.contains("(#[from]")));
            if has_source && prints_source && !message.contains("transparent") {
                found.push(format!("{}: {}", path.display(), message.trim()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// A write to stdout that fails (a full disk, a closed pipe) is an error that says stdout,
/// with its cause once; never a panic.
#[test]
fn a_failed_write_to_stdout_says_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(dir.path(), GOOD);
    for args in [
        vec!["schema"],
        vec!["checks"],
        vec!["controls", "--json"],
        vec!["explain", "image-pinned-by-digest"],
        vec!["report", "--snapshot", &snap, "--dump-config"],
    ] {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("evidencer"))
            .current_dir(dir.path())
            .args(&args)
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write to stdout"),
            "{args:?}: {stderr}"
        );
        assert_eq!(count(&stderr, "(os error 28)"), 1, "{args:?}: {stderr}");
    }
}

/// `--format` keeps the order asked for, each format once, from a flag or the file.
#[test]
fn formats_keep_the_order_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let formats = |args: &[&str]| -> serde_json::Value {
        let text = stdout_of(
            evidencer()
                .current_dir(dir.path())
                .args(["report", "--snapshot", "s", "--dump-config"])
                .args(args),
        );
        let settings: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        settings["formats"].clone()
    };
    assert_eq!(
        formats(&["--format", "json,md,json,csv", "--format", "md"]),
        serde_json::json!(["json", "md", "csv"])
    );
    fs::write(
        dir.path().join("evidencer.yaml"),
        "formats: [pdf, md, pdf, html]\n",
    )
    .unwrap();
    assert_eq!(formats(&[]), serde_json::json!(["pdf", "md", "html"]));
    assert_eq!(
        formats(&["--format", "csv,json"]),
        serde_json::json!(["csv", "json"])
    );
}
