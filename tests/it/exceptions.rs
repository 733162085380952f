//! `report --exceptions FILE` end to end: an accepted risk keeps its finding's status, is
//! counted apart, stops counting against its control, is cited by the narrative and listed
//! in its own section of every format; expired and unused exceptions are listed as such;
//! a bad file is an error with its file and line, and nothing is written.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

const SNAPSHOT: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: legacy}
spec:
  updateStrategy: {type: OnDelete}
  template:
    spec:
      containers: [{name: db, image: "registry.example.com/db:15"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: api, image: "registry.example.com/api:1.0"}]
"#;

const EXCEPTIONS: &str = "\
exceptions:
  - id: EXC-1
    check: replace-on-update
    subject: {kind: StatefulSet, namespace: \"leg*\", name: db}
    reason: the operator upgrades the database by hand until v2
    approver: Dana Whitfield (CISO)
    ticket: SEC-1
    expires: 2026-12-31
  - id: EXC-2
    check: image-pinned-by-digest
    subject: {namespace: shop}
    reason: expired already
    approver: Dana Whitfield (CISO)
    ticket: SEC-2
    expires: 2026-09-29
  - id: EXC-3
    check: run-as-non-root
    subject: {namespace: nowhere}
    reason: nothing left to cover
    approver: Sam Okafor (CTO)
    ticket: SEC-3
    expires: 2027-01-31
";

fn run(dir: &Path, out: &str, exceptions: Option<&Path>) -> assert_cmd::assert::Assert {
    let mut cmd = Command::cargo_bin("evidencer").unwrap();
    cmd.args([
        "report",
        "--as-of",
        "2026-09-30",
        "--format",
        "json,md,html,csv,pdf",
    ])
    .arg("--snapshot")
    .arg(dir.join("snapshot.yaml"))
    .arg("--out")
    .arg(dir.join(out));
    if let Some(path) = exceptions {
        cmd.arg("--exceptions").arg(path);
    }
    cmd.assert()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn control<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

fn check_status(control: &serde_json::Value, check: &str) -> String {
    control["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == check)
        .unwrap()["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn an_accepted_risk_keeps_its_finding_but_not_its_weight() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("snapshot.yaml"), SNAPSHOT).unwrap();
    let file = dir.path().join("exceptions.yaml");
    fs::write(&file, EXCEPTIONS).unwrap();
    run(dir.path(), "plain", None).success();
    run(dir.path(), "excepted", Some(&file)).success();
    let plain = json(&dir.path().join("plain/report.json"));
    let report = json(&dir.path().join("excepted/report.json"));

    // Without the exception the OnDelete StatefulSet fails the critical check.
    let before = control(&plain, "PR.PS-02.242");
    assert_eq!(check_status(before, "replace-on-update"), "fail");
    let after = control(&report, "PR.PS-02.242");
    assert_ne!(check_status(after, "replace-on-update"), "fail");
    assert_eq!(after["exceptions"], serde_json::json!(["EXC-1"]));
    let narrative = after["narrative"].as_str().unwrap();
    assert!(narrative.contains("EXC-1"), "{narrative}");
    assert!(narrative.contains("SEC-1"), "{narrative}");

    // The finding keeps its status and gains the exception.
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "replace-on-update" && f["subject"]["name"] == "db")
        .unwrap();
    assert_eq!(finding["status"], "fail");
    assert_eq!(finding["exception"]["id"], "EXC-1");
    assert_eq!(finding["exception"]["approver"], "Dana Whitfield (CISO)");
    assert_eq!(finding["exception"]["expires"], "2026-12-31");
    assert_eq!(
        report["summary"]["findings_by_status"], plain["summary"]["findings_by_status"],
        "statuses are unchanged"
    );
    assert_eq!(report["summary"]["findings_excepted"], 1);

    // Applied, expired (with what it would have covered) and unused.
    let ids = |list: &str| -> Vec<String> {
        report["exceptions"][list]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids("applied"), ["EXC-1"]);
    assert_eq!(ids("expired"), ["EXC-2"]);
    assert_eq!(ids("unused"), ["EXC-3"]);
    let expired = &report["exceptions"]["expired"][0];
    assert_eq!(expired["findings"].as_array().unwrap().len(), 1);
    assert!(
        expired["defined_at"]
            .as_str()
            .unwrap()
            .ends_with("exceptions.yaml:9")
    );
    // The file is part of the provenance.
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(EXCEPTIONS));
    assert!(
        report["provenance"].to_string().contains(&sha),
        "the exceptions file's sha256 is in the provenance"
    );

    // Every format lists them in their own section.
    let md = fs::read_to_string(dir.path().join("excepted/report.md")).unwrap();
    let section = md.split("## 4. Exceptions").nth(1).expect("a section");
    for part in ["EXC-1 | Applied", "EXC-2 | Expired", "EXC-3 | Unused"] {
        assert!(section.contains(part), "{part}");
    }
    let html = fs::read_to_string(dir.path().join("excepted/report.html")).unwrap();
    assert!(html.contains("id=\"exceptions\""));
    assert!(html.contains("EXC-3"));
    let csv = fs::read_to_string(dir.path().join("excepted/answers.csv")).unwrap();
    let row = csv
        .split("\r\n")
        .find(|r| r.starts_with("PR.PS-02.242,"))
        .unwrap();
    assert!(row.contains("Exceptions applied: EXC-1"), "{row}");
    // The PDF too, read back with pdftotext (poppler-utils; `.ci/run` installs it).
    match std::process::Command::new("pdftotext")
        .arg(dir.path().join("excepted/report.pdf"))
        .arg("-")
        .output()
    {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            let after = text.rsplit("3 Exceptions").next().unwrap();
            let section = after.split("Inputs and coverage").next().unwrap();
            for part in [
                "EXC-1", "Applied", "EXC-2", "Expired", "EXC-3", "Unused", "SEC-1",
            ] {
                assert!(section.contains(part), "the PDF section lacks {part}");
            }
            let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(flat.contains("1 of the failing or warning ones are covered by accepted"));
        }
        Err(e) => {
            crate::support::need::missing(&format!(
                "the PDF part: `pdftotext` (poppler-utils) cannot be run: {e}"
            ));
        }
    }
}

#[test]
fn a_bad_exceptions_file_is_an_error_with_its_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("snapshot.yaml"), SNAPSHOT).unwrap();
    let cases = [
        (
            EXCEPTIONS.replace("check: run-as-non-root", "check: run-as-nonroot"),
            ":17:",
            "did you mean `run-as-non-root`",
        ),
        (
            EXCEPTIONS.replace("expires: 2026-09-29", "expires: 29/09/2026"),
            ":15:",
            "is not a date; write YYYY-MM-DD",
        ),
        (
            // Reported where the entry ends, which is inside EXC-3.
            EXCEPTIONS.replace("    ticket: SEC-3\n", ""),
            ":21:",
            "missing field `ticket`",
        ),
        (
            EXCEPTIONS.replace("id: EXC-3", "id: EXC-1"),
            ":16:",
            "used twice",
        ),
        (
            EXCEPTIONS.replace(
                "subject: {namespace: nowhere}",
                "subject: {namespace: x, team: y}",
            ),
            ":18:",
            "team",
        ),
    ];
    for (i, (text, line, message)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("bad-{i}.yaml"));
        fs::write(&file, text).unwrap();
        let out = format!("out-{i}");
        let assert = run(dir.path(), &out, Some(&file)).code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(
            stderr.contains(&format!("bad-{i}.yaml{line}")),
            "case {i}: {stderr}"
        );
        assert!(stderr.contains(message), "case {i}: {stderr}");
        assert!(
            !dir.path().join(&out).exists(),
            "case {i}: nothing is written"
        );
    }
}
