//! `evidencer diff` and `report --compare-previous`, through the real binary: two archived
//! quarters of a small cluster whose findings and verdicts change between them; reports
//! refused before anything is written; a previous period missing, or refused.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn evidencer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_evidencer"))
}

const Q2: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {pod-security.kubernetes.io/enforce: restricted}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: fixed, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: app
        image: registry.example.com/shop/fixed:latest
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: slipped, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: app
        image: registry.example.com/shop/slipped:1.0
"#;

/// A quarter later: `fixed` names a version (resolved), `slipped` went to `latest`
/// (regressed), `fresh` is new and fails, and the namespace lost its Pod Security label
/// (PR.PS-02.242-related-1 gets worse).
const Q3: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: fixed, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: app
        image: registry.example.com/shop/fixed:2.0
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: slipped, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: app
        image: registry.example.com/shop/slipped:latest
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: fresh, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: app
        image: registry.example.com/shop/fresh:latest
"#;

fn snapshot(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::create_dir_all(&path).unwrap();
    fs::write(path.join("app.yaml"), text).unwrap();
    path
}

fn archived(snap: &Path, archive: &Path, period: &str, as_of: &str) -> Command {
    let mut cmd = evidencer();
    cmd.arg("report")
        .arg("--snapshot")
        .arg(snap)
        .args(["--period", period, "--as-of", as_of])
        .args(["--format", "json,md,html,pdf"])
        .arg("--archive")
        .arg(archive);
    cmd
}

/// Q2 and Q3 filed in `tmp/arc`, Q3 with --compare-previous.
fn two_quarters(tmp: &Path) -> PathBuf {
    let archive = tmp.join("arc");
    let q2 = snapshot(tmp, "q2", Q2);
    let q3 = snapshot(tmp, "q3", Q3);
    archived(&q2, &archive, "2026-Q2", "2026-06-30")
        .assert()
        .success();
    archived(&q3, &archive, "2026-Q3", "2026-09-30")
        .arg("--compare-previous")
        .assert()
        .success();
    archive
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// (check, subject) of each finding of a diff list.
fn listed(diff: &Value, list: &str) -> Vec<(String, String)> {
    diff["findings"][list]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["check"].as_str().unwrap().to_string(),
                f["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn has(list: &[(String, String)], check: &str, subject: &str) -> bool {
    list.iter().any(|(c, s)| c == check && s == subject)
}

/// The diff schema with every object that lists its properties closed, so a field written
/// but not described fails.
fn strict_schema() -> Value {
    fn close(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
                map.values_mut().for_each(close);
            }
            Value::Array(items) => items.iter_mut().for_each(close),
            _ => {}
        }
    }
    let mut schema: Value = serde_json::from_str(evidencer::report::diff::JSON_SCHEMA).unwrap();
    jsonschema::meta::validate(&schema).expect("the diff schema is valid draft 2020-12");
    close(&mut schema);
    schema
}

fn assert_valid(diff: &Value) {
    let validator = jsonschema::draft202012::new(&strict_schema()).expect("compiles");
    let errors: Vec<String> = validator
        .iter_errors(diff)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "diff.json:\n{}", errors.join("\n"));
}

#[test]
fn two_archived_quarters_show_new_resolved_regressed_findings_and_a_changed_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = two_quarters(tmp.path());
    let out = tmp.path().join("diff");
    evidencer()
        .arg("diff")
        .arg(archive.join("2026-Q2/report.json"))
        .arg(archive.join("2026-Q3/report.json"))
        .args(["--format", "md,html,json", "--out"])
        .arg(&out)
        .assert()
        .success();
    let diff = json(&out.join("diff.json"));
    assert_valid(&diff);

    let tag = "image-tag-not-latest";
    assert!(has(
        &listed(&diff, "new"),
        tag,
        "Deployment shop/fresh container app"
    ));
    assert!(has(
        &listed(&diff, "resolved"),
        tag,
        "Deployment shop/fixed container app"
    ));
    let regressed = listed(&diff, "regressed");
    assert!(
        has(&regressed, tag, "Deployment shop/slipped container app"),
        "{regressed:?}"
    );
    assert!(
        has(&regressed, "pod-security-enforced", "Namespace shop"),
        "{regressed:?}"
    );
    let still = &diff["findings"]["still_open"];
    let pinned = still
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["check"] == "image-pinned-by-digest"
                && f["subject"] == "Deployment shop/fixed container app"
        })
        .expect("still open: the digest is still missing");
    assert_eq!(pinned["first_seen"], "2026-04-01T00:00:00Z");
    assert_eq!(
        (pinned["before"].as_str(), pinned["now"].as_str()),
        (Some("fail"), Some("warn"))
    );

    let changed = diff["controls"]["changed"].as_array().unwrap();
    let related1 = changed
        .iter()
        .find(|c| c["id"] == "PR.PS-02.242-related-1")
        .expect("the baseline control changed");
    assert_eq!(
        (
            &related1["before"],
            &related1["now"],
            &related1["direction"]
        ),
        (
            &Value::from("partially_satisfied"),
            &Value::from("not_satisfied"),
            &Value::from("worse")
        )
    );
    assert!(
        diff["not_compared"].as_array().unwrap().is_empty(),
        "{diff}"
    );
    assert_eq!(diff["old"]["report_id"].as_str().map(str::len), Some(64));
    assert_eq!(diff["new"]["period"]["label"], "2026-Q3");

    let md = fs::read_to_string(out.join("diff.md")).unwrap();
    assert!(
        md.contains("## Regressed findings (passed before) (2)"),
        "{md}"
    );
    assert!(md.contains("| PR.PS-02.242-related-1 |"), "{md}");
    let html = fs::read_to_string(out.join("diff.html")).unwrap();
    assert!(html.contains("<h2>New findings (5)</h2>"), "{html}");

    // The same reports give the same bytes.
    let again = tmp.path().join("again");
    evidencer()
        .arg("diff")
        .arg(archive.join("2026-Q2/report.json"))
        .arg(archive.join("2026-Q3/report.json"))
        .arg("--out")
        .arg(&again)
        .assert()
        .success();
    for name in ["diff.json", "diff.md", "diff.html"] {
        assert_eq!(
            fs::read(out.join(name)).unwrap(),
            fs::read(again.join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn compare_previous_adds_the_section_and_carries_first_seen() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = two_quarters(tmp.path());
    let q3 = json(&archive.join("2026-Q3/report.json"));
    let first_seen = |check: &str, subject_name: &str| -> String {
        q3["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == check && f["subject"]["name"] == subject_name)
            .unwrap_or_else(|| panic!("{check} {subject_name}"))["first_seen"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Failing in both quarters: first seen in Q2. New, or changed status: this quarter.
    assert_eq!(
        first_seen("image-pinned-by-digest", "fixed"),
        "2026-04-01T00:00:00Z"
    );
    assert_eq!(
        first_seen("image-tag-not-latest", "fresh"),
        "2026-07-01T00:00:00Z"
    );
    assert_eq!(
        first_seen("image-tag-not-latest", "slipped"),
        "2026-07-01T00:00:00Z"
    );
    assert_eq!(
        first_seen("image-tag-not-latest", "fixed"),
        "2026-07-01T00:00:00Z"
    );
    crate::report_schema::assert_valid_both(&q3, "report.json with first_seen");

    let md = fs::read_to_string(archive.join("2026-Q3/report.md")).unwrap();
    let section = md
        .split("## 5. Changes since the previous period")
        .nth(1)
        .expect("the section is there");
    assert!(
        section.contains("Compared with the report of 2026-Q2"),
        "{section}"
    );
    assert!(
        section.contains("#### Regressed (passed before) (2)"),
        "{section}"
    );
    assert!(md.contains("[5. Changes since the previous period](#previous)"));
    let html = fs::read_to_string(archive.join("2026-Q3/report.html")).unwrap();
    assert!(html.contains("<h2>5. Changes since the previous period</h2>"));
    let pdf = fs::read(archive.join("2026-Q3/report.pdf")).unwrap();
    assert!(pdf.windows(7).any(|w| w == b"%PDF-1."), "a PDF was written");
}

#[test]
fn compare_previous_without_an_earlier_period_says_so_in_one_sentence() {
    let tmp = tempfile::tempdir().unwrap();
    let q2 = snapshot(tmp.path(), "q2", Q2);
    let archive = tmp.path().join("arc");
    archived(&q2, &archive, "2026-Q2", "2026-06-30")
        .arg("--compare-previous")
        .assert()
        .success();
    let md = fs::read_to_string(archive.join("2026-Q2/report.md")).unwrap();
    assert!(
        md.contains(
            "## 5. Changes since the previous period\n\nThe archive holds no report of an earlier period"
        ),
        "{md}"
    );
    let report = json(&archive.join("2026-Q2/report.json"));
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["first_seen"] == "2026-04-01T00:00:00Z")
    );
    // Without --compare-previous the report has no such section.
    let plain = tmp.path().join("plain");
    archived(&q2, &plain, "2026-Q2", "2026-06-30")
        .assert()
        .success();
    let md = fs::read_to_string(plain.join("2026-Q2/report.md")).unwrap();
    assert!(!md.contains("Changes since the previous period"));
}

#[test]
fn compare_previous_needs_an_archive_and_refuses_a_broken_previous_report() {
    let tmp = tempfile::tempdir().unwrap();
    let q2 = snapshot(tmp.path(), "q2", Q2);
    let out = evidencer()
        .arg("report")
        .arg("--snapshot")
        .arg(&q2)
        .args(["--compare-previous", "--out"])
        .arg(tmp.path().join("out"))
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("give --archive DIR"));

    let archive = tmp.path().join("arc");
    archived(&q2, &archive, "2026-Q2", "2026-06-30")
        .assert()
        .success();
    fs::write(
        archive.join("2026-Q2/report.json"),
        "{\"tool\": {\"name\": \"evidencer\"}, ",
    )
    .unwrap();
    let out = archived(&q2, &archive, "2026-Q3", "2026-09-30")
        .arg("--compare-previous")
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the previous period's report cannot be compared"),
        "{err}"
    );
    assert!(err.contains("2026-Q2/report.json:1:"), "{err}");
    assert!(!archive.join("2026-Q3").exists(), "nothing was filed");
}

/// `evidencer diff OLD NEW` is refused with `needle` in its error, exit code 2, and no
/// output directory.
fn refused(old: &Path, new: &Path, needle: &str) {
    let out_dir = old.parent().unwrap().join("refused-out");
    let out = evidencer()
        .arg("diff")
        .arg(old)
        .arg(new)
        .arg("--out")
        .arg(&out_dir)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(needle), "wanted `{needle}` in:\n{err}");
    assert!(!out_dir.exists(), "nothing written for {needle}");
}

#[test]
fn what_is_not_an_intact_evidencer_report_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let q2 = snapshot(tmp.path(), "q2", Q2);
    let good_dir = tmp.path().join("good");
    evidencer()
        .arg("report")
        .arg("--snapshot")
        .arg(&q2)
        .args(["--as-of", "2026-06-30", "--format", "json,csv", "--out"])
        .arg(&good_dir)
        .assert()
        .success();
    let good = good_dir.join("report.json");
    let dir = tmp.path().join("bad");
    fs::create_dir(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        p
    };
    refused(
        &write("yaml.json", "tool: evidencer\n"),
        &good,
        "yaml.json:1:2: not JSON",
    );
    refused(
        &good,
        &write("trivy.json", r#"{"SchemaVersion": 2, "ArtifactName": "x"}"#),
        "not an evidencer report: it has no tool.name",
    );
    refused(
        &write(
            "other.json",
            r#"{"tool": {"name": "kubescape"}, "schema_version": 3}"#,
        ),
        &good,
        "tool.name is `kubescape`",
    );
    refused(
        &write(
            "future.json",
            r#"{"tool": {"name": "evidencer"}, "schema_version": 9, "findings": [], "controls": []}"#,
        ),
        &good,
        "schema_version 9 is not one this evidencer reads",
    );

    // answers.csv beside it names the report id: an edited report.json no longer matches.
    let text = fs::read_to_string(&good).unwrap();
    fs::write(&good, text.replacen("\"as_of\"", "\"as_of\" ", 1)).unwrap();
    refused(&good, &good, "answers.csv beside it names report id");
    fs::write(&good, &text).unwrap();
    evidencer()
        .arg("diff")
        .arg(&good)
        .arg(&good)
        .arg("--out")
        .arg(tmp.path().join("same"))
        .assert()
        .success();
}

#[test]
fn a_report_in_a_bundle_must_match_the_bundle_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let q2 = snapshot(tmp.path(), "q2", Q2);
    let bundle = tmp.path().join("bundle");
    evidencer()
        .arg("report")
        .arg("--snapshot")
        .arg(&q2)
        .args(["--as-of", "2026-06-30", "--format", "json", "--out"])
        .arg(tmp.path().join("out"))
        .arg("--bundle")
        .arg(&bundle)
        .assert()
        .success();
    let inside = bundle.join("reports/report.json");
    let other = tmp.path().join("out/report.json");
    evidencer()
        .arg("diff")
        .arg(&inside)
        .arg(&other)
        .arg("--out")
        .arg(tmp.path().join("ok"))
        .assert()
        .success();
    let mut text = fs::read_to_string(&inside).unwrap();
    text = text.replacen("\"not_satisfied\"", "\"satisfied\"", 1);
    fs::write(&inside, text).unwrap();
    refused(&inside, &other, "manifest.json beside it names report id");
}

#[test]
fn a_schema_version_1_report_is_compared_where_it_can_be() {
    let tmp = tempfile::tempdir().unwrap();
    let q2 = snapshot(tmp.path(), "q2", Q2);
    let now = tmp.path().join("now");
    evidencer()
        .arg("report")
        .arg("--snapshot")
        .arg(&q2)
        .args(["--as-of", "2026-09-30", "--format", "json", "--out"])
        .arg(&now)
        .assert()
        .success();
    // The shape evidencer wrote before the verdicts rework: no period_kind, a null period,
    // the retired control ids.
    let old = tmp.path().join("v1.json");
    fs::write(
        &old,
        r#"{"schema_version": 1, "tool": {"name": "evidencer", "version": "0.1.0"},
            "generated_at": "2026-06-30T23:59:59Z", "as_of": "2026-06-30T23:59:59Z", "period": null,
            "controls": [
              {"id": "PR.PS-01", "title": "Hardened baseline", "verdict": "not_satisfied", "answer": "no"},
              {"id": "PR.PS-02.241", "title": "Patches", "verdict": "not_assessed", "answer": "unknown"},
              {"id": "PCI-10.1", "title": "Orchestration", "verdict": "satisfied", "answer": "yes"}
            ],
            "findings": [
              {"id": "image-tag-not-latest-0000000000000000", "check": "image-tag-not-latest", "status": "fail",
               "severity": "medium", "subject": {"kind": "Deployment", "namespace": "shop", "name": "gone"},
               "message": "uses latest", "details": {}, "evidence": []}
            ]}"#,
    )
    .unwrap();
    let out = tmp.path().join("d");
    evidencer()
        .arg("diff")
        .arg(&old)
        .arg(now.join("report.json"))
        .args(["--format", "json", "--out"])
        .arg(&out)
        .assert()
        .success();
    let diff = json(&out.join("diff.json"));
    assert_valid(&diff);
    let nc: Vec<(&str, &str)> = diff["controls"]["not_comparable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["report"].as_str().unwrap()))
        .collect();
    for id in ["PR.PS-01", "PR.PS-02.241"] {
        assert!(nc.contains(&(id, "old")), "{nc:?}");
    }
    for id in [
        "PR.PS-02.242-related-1",
        "PR.PS-02.242-related-3",
        "PR.PS-02.242-related-4",
    ] {
        assert!(nc.contains(&(id, "new")), "{nc:?}");
    }
    let added: Vec<&str> = diff["controls"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(!added.contains(&"PR.PS-02.242-related-1"), "{added:?}");
    assert!(diff["controls"]["removed"].as_array().unwrap().is_empty());
    let notes = diff["not_compared"].to_string();
    assert!(notes.contains("schema_version 1 and 3"), "{notes}");
    assert!(
        notes.contains("exceptions: the older report records none"),
        "{notes}"
    );
    assert!(has(
        &listed(&diff, "resolved"),
        "image-tag-not-latest",
        "Deployment shop/gone"
    ));
    assert_eq!(diff["old"]["period"], Value::Null);
}
