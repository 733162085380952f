//! What the report tests share: [`golden_report`], a report built in code for the renderer
//! golden tests and the schema tests (fixed times, five controls, one of each verdict,
//! findings of every status, input problems of every level, every coverage status,
//! redaction counts, evidence of every kind, exceptions applied, expired and unused, an
//! attested document, values holding markup and table syntax, so the
//! goldens also show how each format escapes them); and [`run_report`], which runs the
//! real binary on a fixture.

// Each test crate uses part of this module.
#![allow(dead_code)]

use std::path::Path;

use std::collections::BTreeMap;

use evidencer::assess;
use evidencer::assess::catalog::{Catalog, CatalogFile, Control, ControlCheck, IdSource};
use evidencer::assess::exceptions;
use evidencer::evidence::attestation::AttestationEntry;
use evidencer::evidence::datafile::DataFile;
use evidencer::evidence::finding::{Finding, Severity, Status, Subject, assign_ids};
use evidencer::evidence::history::{History, ImageChange};
use evidencer::evidence::inventory::{
    Coverage, Inventory, KindStatus, RedactionStats, ServerVersion,
};
use evidencer::evidence::inventory::{ExcludedPath, ExclusionReason, Problem, ProblemLevel};
use evidencer::evidence::record::{EvidenceKind, EvidenceRecord, Source, SourceKind, evidence_id};
use evidencer::report::{Period, Report, RunInfo};

const SOURCE: &str = "snapshot:q3/cluster";
const REPO: &str = "repository:deploy";

fn hash(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn record(
    source: &str,
    kind: EvidenceKind,
    locator: &str,
    describes: &str,
    n: u8,
) -> EvidenceRecord {
    EvidenceRecord {
        managers: None,
        id: evidence_id(source, locator),
        source: source.into(),
        kind,
        locator: locator.into(),
        sha256: hash(n),
        collected_at: None,
        time: None,
        describes: describes.into(),
    }
}

fn container(kind: &str, ns: &str, name: &str, container: Option<&str>, line: u32) -> Subject {
    Subject {
        kind: kind.into(),
        namespace: Some(ns.into()),
        name: name.into(),
        container: container.map(Into::into),
        source: SOURCE.into(),
        path: Some("q3/cluster/workloads.yaml".into()),
        line: Some(line),
        via: None,
    }
}

fn control(id: &str, title: &str, checks: &[(&'static str, bool)]) -> Control {
    Control {
        id: id.into(),
        id_source: IdSource::Local,
        source: "Golden test catalog".into(),
        catalog: "golden".into(),
        title: title.into(),
        question: format!("Does the organization meet {id}?"),
        explanation: format!("What {id} asks for, in the catalog's words."),
        checks: checks
            .iter()
            .map(|(id, critical)| ControlCheck {
                id,
                critical: *critical,
                ..ControlCheck::default()
            })
            .collect(),
        file: "golden.yaml".into(),
        ..Control::default()
    }
}

/// Runs `evidencer report --as-of 2026-09-30` on a fixture (relative to the crate root)
/// and returns the directory holding the reports.
pub fn run_report(fixture: &str, formats: &str) -> tempfile::TempDir {
    let out = tempfile::tempdir().expect("a temp dir");
    assert_cmd::Command::cargo_bin("evidencer")
        .expect("the binary is built")
        .args(["report", "--as-of", "2026-09-30", "--format", formats])
        .arg("--snapshot")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture))
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    out
}

/// One exception of each kind: applied (to the critical failure of GOLD-2), expired and
/// unused; the text holds markup, so the goldens show how it is escaped.
const GOLDEN_EXCEPTIONS: &str = "\
exceptions:
  - id: EXC-1
    check: replace-on-update
    subject: {kind: StatefulSet, namespace: shop, name: db}
    reason: \"OnDelete until the <operator> | upgrade ships\"
    approver: Dana Whitfield (CISO)
    ticket: SEC-1
    expires: 2026-12-31
  - id: EXC-2
    check: image-tag-not-latest
    subject: {name: \"d?\"}
    reason: tag pinned by the vendor chart
    approver: Dana Whitfield (CISO)
    ticket: SEC-2
    expires: 2026-09-01
  - id: EXC-3
    check: run-as-non-root
    subject: {namespace: \"legacy-*\"}
    reason: legacy namespace, being retired
    approver: Sam Okafor (CTO)
    ticket: SEC-3
    expires: 2027-03-31
  - id: EXC-4
    check: image-pinned-by-digest
    subject: {name: api}
    reason: the vendor publishes no digests yet
    approver: Sam Okafor (CTO)
    ticket: SEC-4
    expires: 2026-12-31
";

const ATTESTATIONS: &str = "attestations:golden-attestations.yaml";

pub fn golden_report() -> Report {
    let mut objects = vec![
        record(
            SOURCE,
            EvidenceKind::Object,
            "q3/cluster/workloads.yaml#0",
            "Deployment shop/api",
            1,
        ),
        record(
            SOURCE,
            EvidenceKind::Object,
            "q3/cluster/workloads.yaml#1",
            "StatefulSet shop/db",
            2,
        ),
        record(
            SOURCE,
            EvidenceKind::Object,
            "q3/cluster/workloads.yaml#2",
            "Job shop/migrate",
            3,
        ),
        record(
            SOURCE,
            EvidenceKind::Object,
            "q3/cluster/workloads.yaml#3",
            "Pod ns|with|pipes/<script>alert(1)</script>",
            4,
        ),
        record(
            SOURCE,
            EvidenceKind::Object,
            "q3/cluster/workloads.yaml#4",
            "DaemonSet kube-system/agent",
            5,
        ),
    ];
    let mut file = record(
        REPO,
        EvidenceKind::File,
        "deploy@4b825dc642cb6eb9a060e54bf8d69288fbee4904:Dockerfile",
        "Dockerfile",
        6,
    );
    file.collected_at = Some("2026-09-30T12:00:00+02:00".into());
    let mut event = record(
        REPO,
        EvidenceKind::Event,
        "deploy@4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "commit 4b825dc: bump api image",
        7,
    );
    event.time = Some("2026-09-12T08:30:00Z".into());
    event.collected_at = Some("2026-09-30T23:00:00Z".into());
    let document = record(
        ATTESTATIONS,
        EvidenceKind::File,
        "attestation:ATT-1:docs/non-root <policy>.md",
        "Attestation ATT-1 for GOLD-1: \u{201c}Non-root policy\u{201d}",
        8,
    );
    objects.push(file);
    objects.push(event);
    objects.push(document);
    let ev: Vec<String> = objects.iter().map(|r| r.id.clone()).collect();

    let mut coverage = Coverage::default();
    for kind in ["Deployment", "StatefulSet", "Job", "Pod", "DaemonSet"] {
        coverage.record_object(kind);
    }
    coverage.set(
        "RoleBinding",
        KindStatus::Forbidden {
            reason: "403 Forbidden: <user> cannot list".into(),
        },
    );
    coverage.set("VulnerabilityReport", KindStatus::NotServed);

    let mut details = BTreeMap::new();
    details.insert("files".to_string(), "3".to_string());
    details.insert("server_version".to_string(), "v1.31.2".to_string());
    let inventory = Inventory {
        sources: vec![
            Source {
                id: ATTESTATIONS.into(),
                kind: SourceKind::Attestations,
                location: "golden-attestations.yaml".into(),
                identity: "attestations".into(),
                details: BTreeMap::from([("attestations".to_string(), "1".to_string())]),
            },
            Source {
                id: REPO.into(),
                kind: SourceKind::Repository,
                location: "../deploy".into(),
                identity: "deploy".into(),
                details: BTreeMap::from([(
                    "commit".to_string(),
                    "4b825dc642cb6eb9a060e54bf8d69288fbee4904".to_string(),
                )]),
            },
            Source {
                id: SOURCE.into(),
                kind: SourceKind::Snapshot,
                location: "q3/cluster".into(),
                identity: "snapshot".into(),
                details,
            },
        ],
        objects: Vec::new(),
        records: objects,
        coverage,
        problems: vec![
            Problem::new(
                ProblemLevel::Error,
                SOURCE,
                "q3/cluster/broken.yaml:7",
                "invalid YAML in document 2: mapping values are not allowed here",
            )
            .hint("this document was not assessed; the others in the file were"),
            Problem::new(
                ProblemLevel::Warning,
                SOURCE,
                "q3/cluster/big.json",
                "file is larger than --max-file-size | skipped `partly`",
            ),
            Problem::new(
                ProblemLevel::Note,
                SOURCE,
                "q3/cluster/chart/templates",
                "Helm chart templates skipped: they are not YAML until rendered",
            )
            .hint("render the chart with `helm template` and pass the output"),
        ],
        redaction: RedactionStats {
            secrets_dropped: 2,
            configmap_data_removed: 1,
            env_values_redacted: 3,
            annotations_redacted: 1,
            arguments_redacted: 2,
            headers_redacted: 1,
            secret_data_redacted: 1,
            other_values_redacted: 1,
            files_redacted: 1,
            file_values_redacted: 2,
        },
        server_version: Some(ServerVersion {
            major: "1".into(),
            minor: "31".into(),
            git_version: "v1.31.2".into(),
            platform: "linux/amd64".into(),
            evidence: None,
        }),
        files: Vec::new(),
        history: vec![History {
            source: REPO.into(),
            changes: vec![
                ImageChange {
                    time: "2026-08-12T09:30:00Z".into(),
                    commit: "8f14e45fceea167a5a36dedd4bea2543a1b2c3d4".into(),
                    author: "Zoë <Ops> | Müller".into(),
                    source: REPO.into(),
                    path: "overlays/prod/kustomization.yaml".into(),
                    subject: "Kustomization overlays/prod image ghcr.io/acme/api".into(),
                    old_image: Some("ghcr.io/acme/api:1.4.1".into()),
                    new_image: Some("ghcr.io/acme/api:1.4.2".into()),
                },
                ImageChange {
                    time: "2026-09-02T16:05:11Z".into(),
                    commit: "c9f0f895fb98ab9159f51fd0297e236d1a2b3c4d".into(),
                    author: "ci-bot".into(),
                    source: REPO.into(),
                    path: "charts/worker/values.yaml".into(),
                    subject: "Helm chart charts/worker values image.tag".into(),
                    old_image: None,
                    new_image: Some("ghcr.io/acme/worker:2.0.0".into()),
                },
            ],
            ..History::default()
        }],
        listed: Default::default(),
        // A repository's test data left out of scope, so every renderer shows the list.
        excluded: vec![ExcludedPath {
            source: REPO.into(),
            path: "vendor/lib/testdata".into(),
            directory: true,
            files: 12,
            reason: ExclusionReason::DefaultExclude,
            rule: Some("**/testdata/**".into()),
        }],
        baselines: Vec::new(),
    };

    let hostile = Subject {
        kind: "Pod".into(),
        namespace: Some("ns|with|pipes".into()),
        name: "<script>alert(1)</script>".into(),
        container: Some("c`d".into()),
        source: SOURCE.into(),
        path: Some("q3/cluster/workloads.yaml".into()),
        line: Some(40),
        via: None,
    };
    let mut findings = vec![
        Finding::new(
            "run-as-non-root",
            Severity::High,
            Status::Pass,
            container("Deployment", "shop", "api", Some("web"), 1),
            "runAsNonRoot is true",
        )
        .evidence([ev[0].clone()]),
        Finding::new(
            "run-as-non-root",
            Severity::High,
            Status::Pass,
            container("StatefulSet", "shop", "db", Some("db"), 20),
            "runAsUser is 999",
        )
        .evidence([ev[1].clone()]),
        Finding::new(
            "replace-on-update",
            Severity::High,
            Status::Pass,
            container("Deployment", "shop", "api", None, 1),
            "RollingUpdate replaces pods",
        )
        .evidence([ev[0].clone()]),
        Finding::new(
            "replace-on-update",
            Severity::High,
            Status::Fail,
            container("StatefulSet", "shop", "db", None, 20),
            "OnDelete keeps old pods running",
        )
        .evidence([ev[1].clone()]),
        Finding::new(
            "replace-on-update",
            Severity::High,
            Status::NotApplicable,
            container("Job", "shop", "migrate", None, 30),
            "a Job runs to completion",
        )
        .evidence([ev[2].clone()]),
        Finding::new(
            "replace-on-update",
            Severity::High,
            Status::Warn,
            hostile.clone(),
            "a bare Pod:\nnothing replaces it | <b>bold</b>",
        )
        .evidence([ev[3].clone()]),
        Finding::new(
            "image-tag-not-latest",
            Severity::Medium,
            Status::Pass,
            container("Deployment", "shop", "api", Some("web"), 1),
            "image has the tag `1.2`",
        )
        .evidence([ev[0].clone(), ev[5].clone()]),
        Finding::new(
            "image-tag-not-latest",
            Severity::Medium,
            Status::Warn,
            container("StatefulSet", "shop", "db", Some("db"), 20),
            "image has no tag",
        )
        .evidence([ev[1].clone()]),
        Finding::new(
            "read-only-root-filesystem",
            Severity::High,
            Status::Fail,
            hostile,
            "readOnlyRootFilesystem is not set",
        )
        .evidence([ev[3].clone()])
        .detail("field", "securityContext.readOnlyRootFilesystem"),
        Finding::new(
            "read-only-root-filesystem",
            Severity::High,
            Status::Pass,
            container("Deployment", "shop", "api", Some("web"), 1),
            "readOnlyRootFilesystem is true",
        )
        .evidence([ev[0].clone()]),
        Finding::new(
            "no-privilege-escalation",
            Severity::High,
            Status::Error,
            container("DaemonSet", "kube-system", "agent", None, 50),
            "cannot read spec.template.spec.containers: expected a list",
        )
        .evidence([ev[4].clone()]),
        Finding::new(
            "no-privilege-escalation",
            Severity::High,
            Status::Pass,
            container("Deployment", "shop", "api", Some("web"), 1),
            "allowPrivilegeEscalation is false",
        )
        .evidence(["ev-00000000000000ff".to_string()]),
        Finding::new(
            "image-pinned-by-digest",
            Severity::Medium,
            Status::Fail,
            container("Deployment", "shop", "api", Some("web"), 1),
            "image is pinned only by the tag `1.2`",
        )
        .evidence([ev[0].clone()]),
        Finding::new(
            "documented-process",
            Severity::Medium,
            Status::Pass,
            Subject {
                kind: "Attestation".into(),
                name: "ATT-1".into(),
                source: ATTESTATIONS.into(),
                path: Some("golden-attestations.yaml".into()),
                line: Some(2),
                ..Default::default()
            },
            "\u{201c}Non-root policy\u{201d} (docs/non-root <policy>.md), owned by Dana Whitfield (CISO), approved 2026-04-01, review due 2027-04-01: current on 2026-09-30",
        )
        .evidence([ev[7].clone()])
        .detail("control", "GOLD-1")
        .detail("document", "docs/non-root <policy>.md")
        .detail("sha256", hash(8))
        .detail("verified", true)
        .detail("owner", "Dana Whitfield (CISO)")
        .detail("approved", "2026-04-01")
        .detail("review_due", "2027-04-01")
        .detail("title", "Non-root policy"),
        Finding::new(
            "image-from-trusted-registry",
            Severity::High,
            Status::NotAssessed,
            Subject {
                kind: "Input".into(),
                name: "all sources".into(),
                source: "all".into(),
                ..Default::default()
            },
            "no trusted registries are configured",
        ),
    ];
    assign_ids(&mut findings, &inventory.sources);
    let accepted = exceptions::parse("golden-exceptions.yaml", GOLDEN_EXCEPTIONS)
        .expect("the golden exceptions parse");
    let excepted = exceptions::apply(
        &accepted,
        &mut findings,
        chrono::NaiveDate::from_ymd_opt(2026, 9, 30).expect("a date"),
    );

    let catalog = Catalog {
        controls: vec![
            control(
                "GOLD-1",
                "Containers do not run as root",
                &[("run-as-non-root", false)],
            ),
            control(
                "GOLD-2",
                "Pods are replaced, never patched",
                &[("replace-on-update", true), ("image-tag-not-latest", false)],
            ),
            control(
                "GOLD-3",
                "Hardened <baseline> | kept",
                &[
                    ("read-only-root-filesystem", true),
                    ("no-privilege-escalation", false),
                    ("image-from-trusted-registry", false),
                ],
            ),
            Control {
                // A catalog is user data too: a question a spreadsheet would run as a formula.
                question: "=HYPERLINK(\"https://example.com\", \"Is this question answered?\")"
                    .into(),
                ..control("GOLD 4/x", "A question no check answers", &[])
            },
            Control {
                checks: vec![ControlCheck {
                    id: "image-pinned-by-digest",
                    required: true,
                    ..ControlCheck::default()
                }],
                ..control("GOLD-5", "Images are pinned, or the risk accepted", &[])
            },
        ],
        files: vec![CatalogFile {
            path: "golden.yaml".into(),
            catalog: "golden".into(),
            title: "Golden test catalog".into(),
            builtin: false,
            sha256: hash(9),
        }],
    };
    let controls = assess::assess(&findings, &catalog);
    let run = RunInfo {
        generated_at: "2026-09-30T23:59:59Z".into(),
        as_of: "2026-09-30T23:59:59Z".into(),
        period: Some(Period {
            start: "2026-07-01T00:00:00Z".into(),
            end: "2026-09-30T23:59:59Z".into(),
            label: "2026-Q3".into(),
        }),
        data_files: vec![DataFile {
            path: "controls/data/kubernetes-releases.yaml".into(),
            builtin: true,
            sha256: hash(10),
        }],
        // Fixed, so that editing a template changes only the goldens of that template.
        templates: vec![
            DataFile {
                path: "templates/report.md".into(),
                builtin: true,
                sha256: hash(11),
            },
            DataFile {
                path: "templates/report.html".into(),
                builtin: true,
                sha256: hash(12),
            },
        ],
    };
    let mut report = Report::build(run, inventory, findings, controls, &catalog);
    report.exceptions = excepted;
    report.attestations = vec![AttestationEntry {
        id: "ATT-1".into(),
        control: "GOLD-1".into(),
        title: "Non-root policy".into(),
        document: "docs/non-root <policy>.md".into(),
        sha256: hash(8),
        verified: true,
        owner: "Dana Whitfield (CISO)".into(),
        approved: "2026-04-01".into(),
        review_interval_days: 365,
        review_due: "2027-04-01".into(),
        status: "current",
        defined_at: "golden-attestations.yaml:2".into(),
        evidence: ev[7].clone(),
    }];
    report.summary.objects = 5;
    // The goldens must not change with every release.
    report.tool.version = "0.0.0-golden";
    report.provenance.tool_version = "0.0.0-golden";
    report
}
