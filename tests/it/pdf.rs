//! `--format pdf` end to end: the real binary writes report.pdf, and poppler-utils
//! (`pdftotext`, `pdfinfo`; `.ci/run` installs them) read it back. Without them the tests
//! that read the PDF say so and skip, or fail under CI.

use std::fs;
use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use sha2::{Digest, Sha256};

use crate::support::reruns;

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// Longer than any column of the findings table: it has to wrap.
const LONG_IMAGE: &str =
    "registry.example.com/platform/payments-team/settlement-reconciliation-batch-processor";

/// A hardened Deployment with a digest-pinned image, a careless one with a non-ASCII name,
/// and enough failing workloads that a findings table runs over several pages.
fn snapshot(dir: &Path) -> String {
    let dir = dir.join("prod-zürich");
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("snapshot.yaml");
    fs::write(&path, snapshot_yaml()).unwrap();
    path.display().to_string()
}

fn snapshot_yaml() -> String {
    let mut yaml = format!(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {{name: api, namespace: shop}}
spec:
  template:
    spec:
      securityContext: {{runAsNonRoot: true}}
      containers:
        - name: api
          image: registry.example.com/shop/api-gateway-with-a-long-name:1.0.0@{DIGEST}
          securityContext: {{readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: bücher-db, namespace: legacy}}
spec:
  updateStrategy: {{type: OnDelete}}
  template:
    spec:
      containers: [{{name: db, image: postgres}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: settlement, namespace: payments}}
spec:
  template:
    spec:
      containers: [{{name: batch, image: '{LONG_IMAGE}'}}]
"#
    );
    for i in 0..30 {
        yaml.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: worker-{i}, namespace: batch}}\n\
             spec:\n  template:\n    spec:\n      containers: [{{name: w, image: 'docker.io/acme/worker:latest'}}]\n"
        ));
    }
    yaml
}

fn report(snapshot: &str, out: &Path, formats: &str) {
    report_with(
        Command::cargo_bin("evidencer").unwrap(),
        snapshot,
        out,
        formats,
    );
}

fn report_with(mut cmd: Command, snapshot: &str, out: &Path, formats: &str) {
    cmd.args(["report", "--snapshot", snapshot, "--as-of", "2026-09-30"])
        .args(["--format", formats, "--org", "Zoë Ærø — Łódź GmbH"])
        .args(["--trusted-registry", "registry.example.com", "--out"])
        .arg(out)
        .assert()
        .success();
}

fn poppler(tool: &str) -> bool {
    crate::support::need::tool(tool, &["-v"], "poppler-utils")
}

fn run(tool: &str, args: &[&str], pdf: &Path) -> String {
    let out = Process::new(tool)
        .args(args)
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_pdf_reads_back_with_every_section_footer_and_wrapped_reference() {
    if !poppler("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(dir.path());
    let out = dir.path().join("out");
    report(&snap, &out, "pdf,json");
    let pdf = out.join("report.pdf");
    let bytes = fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let id = hex::encode(Sha256::digest(fs::read(out.join("report.json")).unwrap()));

    let text = run("pdftotext", &[], &pdf);
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    let total = pages.len();
    assert!(total >= 8, "{total} pages");
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&format!("Page {} of {total}", i + 1)),
            "page {}",
            i + 1
        );
        assert!(page.contains(&id), "page {} lacks the report id", i + 1);
    }
    for expected in [
        "Container immutability and patching evidence",
        "Zoë Ærø — Łódź GmbH",
        "Contents",
        "Executive summary",
        "PR.PS-02.242",
        "PR.PS-02.242-related-1",
        "PCI-10.1",
        "Not satisfied",
        "Not assessed",
        "Answer: NO",
        "StatefulSet legacy/bücher-db",
        "prod-zürich",
        "Inputs and coverage",
        "Appendix A Evidence",
    ] {
        assert!(text.contains(expected), "the PDF lacks {expected:?}");
    }
    // The image reference is longer than its column: it wraps, and no character is lost.
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(
        squeezed.contains(&format!("\u{2018}{LONG_IMAGE}\u{2019}")),
        "the wrapped image reference does not read back whole"
    );
    assert!(
        !text.contains(LONG_IMAGE),
        "the image reference did not wrap"
    );
    // So do digests in the appendix (two lines of 32 hex digits).
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap();
    let digest = json["evidence"][0]["sha256"].as_str().unwrap();
    assert!(squeezed.contains(digest) && !text.contains(digest));
    // The findings table of PR.PS-02.242 runs over pages, each with its header.
    let continued = pages
        .iter()
        .filter(|p| p.contains("worker-") && p.contains("Status") && p.contains("Evidence"))
        .count();
    assert!(continued >= 2, "{continued}");
}

#[test]
fn the_pdf_metadata_names_the_report() {
    if !poppler("pdfinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(dir.path());
    let out = dir.path().join("out");
    report(&snap, &out, "pdf");
    let info = Process::new("pdfinfo")
        .arg(out.join("report.pdf"))
        .output()
        .unwrap();
    let info = String::from_utf8(info.stdout).unwrap();
    assert!(
        info.contains("Container immutability and patching evidence"),
        "{info}"
    );
    assert!(
        info.contains("Author:          Zoë Ærø — Łódź GmbH"),
        "{info}"
    );
    assert!(
        info.contains("CreationDate:    Wed Sep 30 23:59:59 2026 UTC"),
        "{info}"
    );
    assert!(!info.contains("PDF/X"), "{info}");
    // The outline: one entry per section, the controls nested under "2 Controls".
    let bytes = fs::read(out.join("report.pdf")).unwrap();
    let has = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(has("/Type/Outlines") && has("/PageMode/UseOutlines"));
    for title in [
        "/Title(1 Executive summary)",
        "/Title(2 Controls)",
        "/Title(2.1 PR.PS-02.242 Container instances are replaced, not updated in place)",
        "/Title(Appendix A Evidence)",
    ] {
        assert!(has(title), "no outline entry {title}");
    }
}

#[test]
fn the_same_input_and_as_of_give_a_byte_identical_pdf() {
    // Two runs that differ in all that must not matter: times, time zone, locale, threads.
    let runs = reruns::two(&[]);
    for run in &runs {
        run.write("prod-zürich/snapshot.yaml", snapshot_yaml());
        report_with(
            run.evidencer(),
            "prod-zürich/snapshot.yaml",
            Path::new("out"),
            "pdf",
        );
    }
    let a = reruns::same_bytes(&runs, "out/report.pdf");
    assert!(a.len() > 10_000);
}

/// One failing Deployment, archived for two quarters: the second, with `--compare-previous`,
/// carries the finding's `first_seen` from the first.
#[test]
fn each_finding_shows_when_it_was_first_seen() {
    if !poppler("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    fs::create_dir_all(&snap).unwrap();
    fs::write(
        snap.join("app.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, namespace: shop}\n\
         spec:\n  template:\n    spec:\n      containers: [{name: app, image: 'docker.io/acme/app:latest'}]\n",
    )
    .unwrap();
    let archive = dir.path().join("arc");
    for (period, as_of, compare) in [
        ("2026-Q2", "2026-06-30", false),
        ("2026-Q3", "2026-09-30", true),
    ] {
        let mut cmd = Command::cargo_bin("evidencer").unwrap();
        cmd.arg("report")
            .arg("--snapshot")
            .arg(&snap)
            .args(["--period", period, "--as-of", as_of])
            .args(["--format", "pdf,json", "--archive"])
            .arg(&archive);
        if compare {
            cmd.arg("--compare-previous");
        }
        cmd.assert().success();
    }
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(archive.join("2026-Q3/report.json")).unwrap()).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert!(findings.iter().any(|f| f["status"] == "fail"));
    assert!(
        findings
            .iter()
            .all(|f| f["first_seen"] == "2026-04-01T00:00:00Z"),
        "carried from Q2: {findings:?}"
    );
    // In content-stream order, so that a cell's lines stay together.
    let text = run("pdftotext", &["-raw"], &archive.join("2026-Q3/report.pdf"));
    // The wording of md and html, under each finding's id (a cell may wrap anywhere).
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for f in findings {
        let id = f["id"].as_str().unwrap();
        assert!(
            squeezed.contains(&format!("{id}firstseen2026-04-01T00:00:00Z")),
            "{id} is shown without its first_seen"
        );
    }
}
