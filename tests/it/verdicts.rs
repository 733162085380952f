//! Verdicts an auditor can sign (issue 13), end to end with the real binary: the catalogs
//! word every question as its source does, with ids that claim nothing they are not; the
//! roll-up shows its gaps (a required check missing, an error beside a pass, an end-of-life
//! component, failures covered only by exceptions); process questions are answered from
//! attested documents, which are validated before anything is written.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};

const AS_OF: &str = "2026-09-30";

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Whitespace runs as one space, trimmed: how the seed and the catalog texts are compared.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn seed(name: &str) -> String {
    normalise(&fs::read_to_string(repo_file(&format!("tests/fixtures/seeds/{name}"))).unwrap())
}

const NIST_SEED: &str = "nist-csf-question-bank-pr.ps-02.242.txt";
const PCI_SEED: &str = "pci-container-guidance-section-10.txt";

fn controls_json() -> Vec<Value> {
    let out = Command::cargo_bin("evidencer")
        .unwrap()
        .args(["controls", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The questions of the NIST seed: the main one (its first line) and each related question.
fn nist_seed_questions() -> Vec<String> {
    let text = fs::read_to_string(repo_file(&format!("tests/fixtures/seeds/{NIST_SEED}"))).unwrap();
    let mut questions = vec![text.lines().next().unwrap().trim().to_string()];
    let related = text.split("Related questions").nth(1).unwrap();
    questions.extend(
        related
            .lines()
            .filter_map(|l| l.trim().strip_prefix("- "))
            .map(|q| q.trim().to_string()),
    );
    questions
}

// Observation 1: invented control identifiers.

#[test]
fn controls_carry_honest_ids_and_the_seed_questions_verbatim() {
    let controls = controls_json();
    let ids: Vec<&str> = controls.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "PR.PS-02.242",
            "PR.PS-02.242-related-1",
            "PR.PS-02.242-related-2",
            "PR.PS-02.242-related-3",
            "PR.PS-02.242-related-4",
            "PR.PS-02.242-related-5",
            "PR.PS-02.242-related-6",
            "PCI-10.1",
            "PCI-10.2",
            "PCI-10.3",
        ]
    );
    // Every question of the seed is a control, each once, in the seed's order.
    let nist: Vec<String> = controls
        .iter()
        .filter(|c| c["catalog"] == "nist-csf-2.0")
        .map(|c| normalise(c["question"].as_str().unwrap()))
        .collect();
    let seed_questions: Vec<String> = nist_seed_questions().iter().map(|q| normalise(q)).collect();
    assert_eq!(seed_questions.len(), 7);
    assert_eq!(nist, seed_questions);
    for c in &controls {
        let id = c["id"].as_str().unwrap();
        match c["id_source"].as_str().unwrap() {
            // An id the source prints must be found in it.
            "source" => {
                let printed = match id.strip_prefix("PCI-") {
                    Some(n) => format!("Section {n}"),
                    None => format!("ID: {id}"),
                };
                let text = seed(if c["catalog"] == "nist-csf-2.0" {
                    NIST_SEED
                } else {
                    PCI_SEED
                });
                assert!(text.contains(&printed), "{id}: `{printed}` not in the seed");
            }
            "local" => assert!(id.starts_with("PR.PS-02.242-related-"), "{id}"),
            other => panic!("{id}: id_source {other}"),
        }
        assert!(c["source"].as_str().is_some_and(|s| !s.is_empty()), "{id}");
        if let Some(reference) = c["csf_reference"].as_str() {
            assert!(["PR.PS-01", "PR.PS-02"].contains(&reference), "{id}");
        }
    }
}

#[test]
fn every_verbatim_text_of_the_catalogs_is_in_its_seed() {
    let nist = seed(NIST_SEED);
    let pci = seed(PCI_SEED);
    let mut compared = 0;
    for c in controls_json() {
        let text = if c["catalog"] == "nist-csf-2.0" {
            &nist
        } else {
            &pci
        };
        for field in [
            "question",
            "implementation_example",
            "guidance",
            "threat",
            "best_practice",
            "details",
        ] {
            let Some(value) = c[field].as_str() else {
                continue;
            };
            // Paragraphs are compared one by one: the seed puts headings between them.
            for paragraph in value.split("\n\n") {
                assert!(
                    text.contains(&normalise(paragraph)),
                    "{} {field} is not verbatim from the seed: {paragraph}",
                    c["id"]
                );
                compared += 1;
            }
        }
    }
    // 7 questions, 1 implementation example, 2 explanation paragraphs, 3 x 4 PCI texts.
    assert_eq!(compared, 22);
}

#[test]
fn no_invented_id_is_left_anywhere_a_user_reads() {
    let invented = ["PR.PS-02.241", "PR.PS-02.243", "PR.PS-02.244"];
    for file in [
        "README.md",
        "controls/nist-csf-2.0.yaml",
        "samples/reports/report.md",
        "samples/reports/answers.csv",
        "samples/reports/report.json",
        "samples/exceptions.yaml",
        "templates/report.md",
        "templates/report.html",
    ] {
        let text = fs::read_to_string(repo_file(file)).unwrap();
        for id in invented {
            assert!(!text.contains(id), "{file} names the invented id {id}");
        }
        // PR.PS-01 is a real subcategory, named only as a reference, never as a control.
        assert!(!text.contains("id: PR.PS-01"), "{file}");
        assert!(!text.contains("\"id\": \"PR.PS-01\""), "{file}");
    }
}

#[test]
fn controls_lists_the_source_of_every_id() {
    let out = Command::cargo_bin("evidencer")
        .unwrap()
        .arg("controls")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("PR.PS-02.242-related-4"), "{text}");
    assert!(
        text.contains("id: a local label (the source gives this question no id)"),
        "{text}"
    );
    assert!(text.contains("id: printed in the source"), "{text}");
    assert!(text.contains("CSF 2.0 reference: PR.PS-01"), "{text}");
    // The questions verbatim.
    for q in nist_seed_questions() {
        assert!(normalise(&text).contains(&normalise(&q)), "{q}");
    }
}

// Fixtures for the roll-up observations.

fn node(name: &str, kubelet: &str, runtime: &str, kernel: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "creationTimestamp": "2026-09-01T00:00:00Z"},
        "status": {"nodeInfo": {
            "architecture": "amd64",
            "containerRuntimeVersion": runtime,
            "kernelVersion": kernel,
            "kubeletVersion": kubelet,
            "operatingSystem": "linux",
            "osImage": "Ubuntu 24.04.1 LTS"
        }}
    })
}

fn list(items: Vec<Value>) -> String {
    serde_json::to_string_pretty(&json!({"apiVersion": "v1", "kind": "List", "items": items}))
        .unwrap()
}

const VERSION_JSON: &str = r#"{"serverVersion": {"major": "1", "minor": "34", "gitVersion": "v1.34.1", "platform": "linux/amd64"}}"#;

const DEPLOYMENTS: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/shop/api:1.4.2
"#;

/// A temporary directory with `files` written into `snapshot/`.
fn snapshot(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("snapshot")).unwrap();
    for (name, text) in files {
        fs::write(dir.path().join("snapshot").join(name), text).unwrap();
    }
    dir
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    out: PathBuf,
}

impl Run {
    fn report(&self) -> Value {
        serde_json::from_slice(&fs::read(self.out.join("report.json")).unwrap()).unwrap()
    }
}

fn report(dir: &Path, extra: &[&str]) -> Run {
    let out = dir.join("out");
    let o = Command::cargo_bin("evidencer")
        .unwrap()
        .current_dir(dir)
        .args([
            "report",
            "--snapshot",
            "snapshot",
            "--as-of",
            AS_OF,
            "--out",
        ])
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        out,
    }
}

fn control<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no control {id}"))
}

fn check<'a>(control: &'a Value, id: &str) -> &'a Value {
    control["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{}: no check {id}", control["id"]))
}

// Observation 4: the roll-up hides gaps.

#[test]
fn a_control_whose_required_check_was_not_assessed_is_not_assessed() {
    // Workloads and their running pods, no vulnerability report and no repository: of
    // PCI-10.3's six checks only running-image-consistent can be assessed. The question is
    // whether images are scanned, and nothing here says: that is no partial answer.
    let pods = list(vec![json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "api-7d9f8c6b5-x2k9p", "namespace": "shop",
            "labels": {"app": "api"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "name": "api-7d9f8c6b5", "controller": true}]
        },
        "spec": {"containers": [{"name": "api", "image": "registry.example.com/shop/api:1.4.2"}]},
        "status": {"phase": "Running", "containerStatuses": [{
            "name": "api", "ready": true, "restartCount": 0,
            "image": "registry.example.com/shop/api:1.4.2",
            "imageID": "registry.example.com/shop/api@sha256:3f1c2b6d8e9a0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"
        }]}
    })]);
    let replicaset = r#"
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-7d9f8c6b5
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, controller: true}]
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: registry.example.com/shop/api:1.4.2}]
"#;
    let dir = snapshot(&[
        ("workloads.yaml", DEPLOYMENTS),
        ("replicasets.yaml", replicaset),
        ("pods.json", &pods),
    ]);
    let run = report(dir.path(), &["--format", "json,csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.report();
    let c = control(&r, "PCI-10.3");
    assert_eq!(check(c, "running-image-consistent")["status"], "pass");
    assert_eq!(check(c, "images-scanned")["status"], "not_assessed");
    assert_eq!(c["verdict"], "not_assessed", "{}", c["narrative"]);
    assert_eq!(c["answer"], "unknown");
    let narrative = c["narrative"].as_str().unwrap();
    assert!(
        narrative.starts_with("Not assessed: insufficient evidence"),
        "{narrative}"
    );
    assert!(narrative.contains("images-scanned"), "{narrative}");
}

#[test]
fn one_passing_finding_does_not_hide_errors_of_the_same_check() {
    // One readable Deployment (its tag passes image-tag-not-latest), one whose containers
    // cannot be read: the check has an error, and an error is never a pass.
    let broken = r#"
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken, namespace: shop}
spec:
  template:
    spec:
      containers: nginx
"#;
    let dir = snapshot(&[("workloads.yaml", &format!("{DEPLOYMENTS}{broken}"))]);
    let run = report(dir.path(), &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.report();
    let c = control(&r, "PR.PS-02.242");
    let tag = check(c, "image-tag-not-latest");
    assert_eq!(tag["counts"]["pass"], 1);
    assert_eq!(tag["counts"]["error"], 1);
    assert_eq!(tag["status"], "error");
    assert_ne!(c["verdict"], "satisfied");
}

#[test]
fn end_of_life_kubelet_and_runtime_answer_no_for_pci_10_1() {
    // The API server is supported; the kubelet and containerd on the node are years past
    // their end of life. Either alone means the orchestration components are not supported.
    let nodes = list(vec![node(
        "worker-1",
        "v1.27.3",
        "containerd://1.6.20",
        "6.8.0-45-generic",
    )]);
    let dir = snapshot(&[("nodes.json", &nodes), ("version.json", VERSION_JSON)]);
    let run = report(dir.path(), &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.report();
    let c = control(&r, "PCI-10.1");
    assert_eq!(check(c, "kubernetes-version-supported")["status"], "pass");
    assert_eq!(check(c, "kubelet-version-supported")["status"], "fail");
    assert_eq!(check(c, "container-runtime-supported")["status"], "fail");
    assert_eq!(c["verdict"], "not_satisfied");
    assert_eq!(c["answer"], "no");
    let narrative = c["narrative"].as_str().unwrap();
    assert!(narrative.contains("critical"), "{narrative}");
}

const UNTRUSTED: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: legacy}
spec:
  template:
    spec:
      containers: [{name: orders, image: "docker.io/acme/orders:2.1"}]
"#;

const EXCEPT_UNTRUSTED: &str = "\
exceptions:
  - id: EXC-9
    check: image-from-trusted-registry
    subject: {namespace: legacy}
    reason: migration to the internal registry in Q4
    approver: Dana Whitfield (CISO)
    ticket: SEC-9
    expires: 2026-12-31
";

/// The control that asks about unauthorised software: the one whose only check is
/// image-from-trusted-registry.
fn unauthorised_software(report: &Value) -> &Value {
    report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            let checks = c["checks"].as_array().unwrap();
            checks.len() == 1 && checks[0]["id"] == "image-from-trusted-registry"
        })
        .expect("a control answered by image-from-trusted-registry alone")
}

#[test]
fn failures_covered_only_by_exceptions_never_answer_plain_yes() {
    let dir = snapshot(&[("workloads.yaml", UNTRUSTED)]);
    fs::write(dir.path().join("exceptions.yaml"), EXCEPT_UNTRUSTED).unwrap();
    let base = [
        "--format",
        "json,csv",
        "--trusted-registry",
        "registry.example.com",
        "--exceptions",
        "exceptions.yaml",
    ];
    let run = report(dir.path(), &base);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.report();
    let c = unauthorised_software(&r);
    assert_eq!(c["verdict"], "satisfied_with_exceptions");
    assert_eq!(c["answer"], "yes_with_exceptions");
    assert_eq!(c["exceptions"], json!(["EXC-9"]));
    assert_eq!(
        r["summary"]["controls_by_verdict"]["satisfied_with_exceptions"],
        1
    );
    let csv = fs::read_to_string(run.out.join("answers.csv")).unwrap();
    let row = csv
        .lines()
        .find(|l| l.starts_with(c["id"].as_str().unwrap()))
        .unwrap();
    assert!(
        row.contains(",yes_with_exceptions,")
            || row.contains(",Yes, with exceptions,")
            || row.contains("\"Yes, with exceptions\""),
        "{row}"
    );

    // --fail-on not-satisfied ignores it; partially-satisfied counts it.
    let only = |fail_on: &str| {
        // Only this control: a catalog of its own, the built-in ones left out.
        let catalog = dir.path().join("catalog");
        fs::create_dir_all(&catalog).unwrap();
        fs::write(
            catalog.join("one.yaml"),
            "catalog: one\ntitle: One\ncontrols:\n  - id: ONE-1\n    id-source: local\n    source: a test\n    title: t\n    question: q?\n    explanation: e\n    checks:\n      - image-from-trusted-registry\n",
        )
        .unwrap();
        let mut args = base.to_vec();
        args.extend([
            "--no-builtin-catalogs",
            "--catalog",
            "catalog",
            "--fail-on",
            fail_on,
        ]);
        report(dir.path(), &args).code
    };
    assert_eq!(only("not-satisfied"), 0);
    assert_eq!(only("partially-satisfied"), 1);
}

// The rule, written once.

#[test]
fn rules_prints_the_rule_the_readme_documents() {
    let out = Command::cargo_bin("evidencer")
        .unwrap()
        .arg("rules")
        .output()
        .unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(printed, evidencer::assess::rollup::RULES);
    let readme = fs::read_to_string(repo_file("README.md")).unwrap();
    assert!(
        readme.contains(evidencer::assess::rollup::RULES),
        "README lacks the rule as `evidencer rules` prints it"
    );
    for words in [
        "fail > error > warn > pass",
        "satisfied_with_exceptions",
        "insufficient evidence",
        "no document attached",
    ] {
        assert!(printed.contains(words), "{words}");
    }
}

#[test]
fn answers_csv_appends_period_as_of_scope_and_collection_times() {
    let dir = snapshot(&[("workloads.yaml", DEPLOYMENTS)]);
    let run = report(
        dir.path(),
        &[
            "--format",
            "csv",
            "--since",
            "2026-07-01",
            "--until",
            "2026-09-30",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let csv = fs::read_to_string(run.out.join("answers.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        "control_id,catalog,question,answer,verdict,narrative,evidence_summary,report_id,\
         period_start,period_end,as_of,scope,evidence_collected_from,evidence_collected_to"
    );
    let first = csv.split("\r\n").nth(1).unwrap();
    assert!(
        first.ends_with(
            ",2026-07-01T00:00:00Z,2026-09-30T23:59:59Z,2026-09-30T23:59:59Z,\
             clusters: snapshot; repositories: none; namespaces: all,,"
        ),
        "{first}"
    );
}

// Attestations: process questions answered from documents.

const PLAN: &str = "# Vulnerability management plan\n\nCritical fixes within 7 days.\n";

fn attestation(control: &str, document: &str, approved: &str, interval: u32) -> String {
    format!(
        "  - id: ATT-{control}\n    control: {control}\n    title: The plan\n    document: {document}\n    owner: Head of Platform Security\n    approved: {approved}\n    review-interval-days: {interval}\n"
    )
}

fn with_attestations(entries: &str) -> tempfile::TempDir {
    let dir = snapshot(&[("workloads.yaml", DEPLOYMENTS)]);
    fs::create_dir(dir.path().join("docs")).unwrap();
    fs::write(dir.path().join("docs/plan.md"), PLAN).unwrap();
    fs::write(
        dir.path().join("attestations.yaml"),
        format!("attestations:\n{entries}"),
    )
    .unwrap();
    dir
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn a_process_question_needs_a_current_document() {
    let related4 = "PR.PS-02.242-related-4";
    let related2 = "PR.PS-02.242-related-2";
    // None attached: not assessed, whatever the technical evidence.
    let dir = snapshot(&[("workloads.yaml", DEPLOYMENTS)]);
    let run = report(dir.path(), &["--format", "json"]);
    let r = run.report();
    for id in [related2, related4] {
        let c = control(&r, id);
        assert_eq!(c["verdict"], "not_assessed", "{id}");
        assert!(
            c["narrative"]
                .as_str()
                .unwrap()
                .contains("no document attached"),
            "{}",
            c["narrative"]
        );
        assert_eq!(check(c, "documented-process")["status"], "not_assessed");
    }

    // A current plan: answered from it, and cited by name, owner, date and sha256.
    let dir = with_attestations(&attestation(related4, "docs/plan.md", "2026-03-01", 365));
    let run = report(
        dir.path(),
        &[
            "--format",
            "json,md,csv",
            "--attestations",
            "attestations.yaml",
            "--bundle",
            "bundle",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.report();
    let c = control(&r, related4);
    assert_ne!(c["verdict"], "not_assessed", "{}", c["narrative"]);
    assert_eq!(check(c, "documented-process")["status"], "pass");
    let narrative = c["narrative"].as_str().unwrap();
    let digest = sha256(PLAN.as_bytes());
    for says in [
        "The plan",
        "Head of Platform Security",
        "approved 2026-03-01",
        "review due 2027-03-01",
        digest.as_str(),
    ] {
        assert!(narrative.contains(says), "{says}: {narrative}");
    }
    // The document is an evidence record, cited by the pseudo-check's finding.
    let record = r["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["sha256"] == digest.as_str())
        .expect("an evidence record of the document");
    assert_eq!(record["kind"], "file");
    assert!(
        record["locator"]
            .as_str()
            .unwrap()
            .starts_with(&format!("attestation:ATT-{related4}:")),
        "{record}"
    );
    let finding = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "documented-process")
        .unwrap();
    assert_eq!(finding["evidence"], json!([record["id"]]));
    // In the bundle, and verify finds it intact.
    let copied = fs::read(
        dir.path()
            .join("bundle/attestations")
            .join(format!("ATT-{related4}"))
            .join("plan.md"),
    )
    .unwrap();
    assert_eq!(copied, PLAN.as_bytes());
    Command::cargo_bin("evidencer")
        .unwrap()
        .arg("verify")
        .arg(dir.path().join("bundle"))
        .assert()
        .code(0);
    // A changed copy is caught.
    fs::write(
        dir.path()
            .join("bundle/attestations")
            .join(format!("ATT-{related4}"))
            .join("plan.md"),
        "edited",
    )
    .unwrap();
    Command::cargo_bin("evidencer")
        .unwrap()
        .arg("verify")
        .arg(dir.path().join("bundle"))
        .assert()
        .code(1);

    // Past its review date at the as-of date: not satisfied.
    let dir = with_attestations(&attestation(related4, "docs/plan.md", "2025-01-10", 365));
    let run = report(
        dir.path(),
        &["--format", "json", "--attestations", "attestations.yaml"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let c = &control(&run.report(), related4).clone();
    assert_eq!(c["verdict"], "not_satisfied");
    assert_eq!(check(c, "documented-process")["status"], "fail");
    assert!(
        c["narrative"]
            .as_str()
            .unwrap()
            .contains("review was due 2026-01-10"),
        "{}",
        c["narrative"]
    );
}

#[test]
fn attestations_in_the_config_file_resolve_documents_beside_it() {
    let dir = snapshot(&[("workloads.yaml", DEPLOYMENTS)]);
    fs::create_dir(dir.path().join("docs")).unwrap();
    fs::write(dir.path().join("docs/review.md"), "# Review of defaults\n").unwrap();
    fs::write(
        dir.path().join("evidencer.yaml"),
        format!(
            "snapshots: [snapshot]\nformats: [json]\nattestations:\n{}",
            attestation(
                "PR.PS-02.242-related-2",
                "docs/review.md",
                "2026-06-01",
                180
            )
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    Command::cargo_bin("evidencer")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "report",
            "--config",
            "evidencer.yaml",
            "--as-of",
            AS_OF,
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let r: Value = serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap();
    let c = control(&r, "PR.PS-02.242-related-2");
    assert_eq!(check(c, "documented-process")["status"], "pass");
    assert_eq!(r["attestations"][0]["defined_at"], "evidencer.yaml:4");
}

#[test]
fn a_hot_patching_attestation_relaxes_node_kernel_current_for_pci_10_2() {
    let nodes = list(vec![
        node(
            "worker-1",
            "v1.34.1",
            "containerd://2.2.2",
            "6.8.0-45-generic",
        ),
        node(
            "worker-2",
            "v1.34.1",
            "containerd://2.2.2",
            "6.8.0-49-generic",
        ),
    ]);
    let dir = snapshot(&[("nodes.json", &nodes), ("version.json", VERSION_JSON)]);
    let plain = report(dir.path(), &["--format", "json"]);
    let before = control(&plain.report(), "PCI-10.2").clone();
    assert_eq!(check(&before, "node-kernel-current")["status"], "fail");

    fs::write(dir.path().join("livepatch.md"), "# Kernel live patching\n").unwrap();
    fs::write(
        dir.path().join("attestations.yaml"),
        format!(
            "attestations:\n{}",
            attestation("PCI-10.2", "livepatch.md", "2026-05-01", 365)
        ),
    )
    .unwrap();
    let run = report(
        dir.path(),
        &["--format", "json", "--attestations", "attestations.yaml"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.report();
    let c = control(&r, "PCI-10.2");
    let kernel = check(c, "node-kernel-current");
    assert_eq!(kernel["status"], "warn");
    assert_eq!(kernel["relaxed_by"], json!(["ATT-PCI-10.2"]));
    assert_eq!(c["verdict"], "partially_satisfied");
    let narrative = c["narrative"].as_str().unwrap();
    assert!(
        narrative.contains("count as warnings") && narrative.contains("ATT-PCI-10.2"),
        "{narrative}"
    );
}

#[test]
fn bad_attestations_stop_the_run_with_file_and_line_and_nothing_written() {
    let plan_sha = sha256(PLAN.as_bytes());
    let good = attestation("PR.PS-02.242-related-4", "docs/plan.md", "2026-03-01", 365);
    let cases: Vec<(String, &str)> = vec![
        (
            attestation("PR.PS-02.242-related-7", "docs/plan.md", "2026-03-01", 365),
            "attestations.yaml:3:",
        ),
        (
            attestation(
                "PR.PS-02.242-related-4",
                "docs/missing.md",
                "2026-03-01",
                365,
            ),
            "attestations.yaml:5:",
        ),
        (
            format!("{good}    sha256: {}\n", "0".repeat(64)),
            "attestations.yaml:9:",
        ),
        (
            attestation("PR.PS-02.242-related-4", "docs/plan.md", "2026-10-01", 365),
            "attestations.yaml:7:",
        ),
        (
            attestation("PR.PS-02.242-related-4", "docs/plan.md", "2026-3-1", 365),
            "attestations.yaml:7:",
        ),
        (format!("{good}{good}"), "attestations.yaml:9:"),
        (format!("{good}    ownr: x\n"), "attestations.yaml:9:"),
        (
            attestation("PR.PS-02.242-related-4", "docs/plan.md", "2026-03-01", 0),
            "attestations.yaml:8:",
        ),
    ];
    let says = [
        "did you mean `PR.PS-02.242-related-1`",
        "docs/missing.md",
        "sha256",
        "after the as-of date",
        "YYYY-MM-DD",
        "used twice",
        "ownr",
        "review-interval-days",
    ];
    for ((entries, at), says) in cases.iter().zip(says) {
        let dir = with_attestations(entries);
        let run = report(
            dir.path(),
            &["--format", "json", "--attestations", "attestations.yaml"],
        );
        assert_eq!(run.code, 2, "{entries}: {}", run.stderr);
        assert!(
            run.stderr.contains(at),
            "{entries}: want {at}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(says),
            "{entries}: want {says}: {}",
            run.stderr
        );
        assert!(!run.out.exists(), "{entries}: something was written");
        assert!(run.stdout.is_empty());
    }
    // A url with its sha256 is recorded, marked unverified.
    let dir = with_attestations(&format!(
        "  - id: ATT-URL\n    control: PR.PS-02.242-related-4\n    title: The plan\n    url: https://wiki.example.com/vm-plan\n    sha256: {plan_sha}\n    owner: CISO\n    approved: 2026-03-01\n    review-interval-days: 365\n"
    ));
    let run = report(
        dir.path(),
        &["--format", "json", "--attestations", "attestations.yaml"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.report();
    assert_eq!(r["attestations"][0]["verified"], false);
    assert!(
        control(&r, "PR.PS-02.242-related-4")["narrative"]
            .as_str()
            .unwrap()
            .contains("not verified"),
    );
}
