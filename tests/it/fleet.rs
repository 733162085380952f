//! Fleet reports end to end, with the real binary: two local test API servers
//! (tests/support/apiserver.rs) holding clusters that are judged differently, read live by
//! two `--context`s, as snapshots collected with their manifests, and as snapshots named
//! `NAME=DIR`; `evidencer fleet` over their archived runs; and every refusal of `fleet`,
//! each leaving nothing written. What it asserts: each cluster's verdicts are those of
//! its own single-cluster run; the fleet's verdict is the worst of them in the roll-up's
//! order, naming the clusters that make it so; findings carry their cluster; `fleet` over
//! archived runs gives the verdicts of the live run; one cluster's report is as before
//! (no `clusters`, no `cluster` on findings).

use crate::support;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};
use support::apiserver::{ApiServer, Builder};

const AS_OF: &str = "2026-09-30";
const PERIOD: &str = "2026-Q3";

/// The roll-up's verdict order, best to worst (README, "How verdicts are reached").
const ORDER: [&str; 5] = [
    "satisfied",
    "satisfied_with_exceptions",
    "partially_satisfied",
    "not_assessed",
    "not_satisfied",
];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cluster")
}

/// The fixture cluster (tests/fixtures/cluster), Kyverno and Trivy Operator installed.
fn full_cluster() -> Builder {
    let mut b = ApiServer::builder().kyverno().trivy();
    for name in [
        "namespaces.json",
        "nodes.json",
        "pods.json",
        "workloads.json",
        "rbac.yaml",
        "policies.yaml",
        "vulnerabilityreports.json",
    ] {
        b = b.file(&fixture().join(name));
    }
    b.version("v1.31.2")
}

/// A second cluster judged differently: its nodes and namespaces only, an old version.
fn bare_cluster() -> Builder {
    ApiServer::builder()
        .file(&fixture().join("namespaces.json"))
        .file(&fixture().join("nodes.json"))
        .version("v1.24.0")
}

/// A kubeconfig with one context per (name, server).
fn kubeconfig(dir: &Path, clusters: &[(&str, &ApiServer)]) -> PathBuf {
    let mut text = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
    for (name, server) in clusters {
        text.push_str(&format!(
            "- name: {name}\n  cluster:\n    server: {}\n",
            server.url()
        ));
    }
    text.push_str("contexts:\n");
    for (name, _) in clusters {
        text.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: tester\n"
        ));
    }
    text.push_str(&format!(
        "current-context: {}\nusers:\n- name: tester\n  user:\n    username: tester\n",
        clusters[0].0
    ));
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).unwrap();
    path
}

/// The binary, isolated from the developer's kubeconfig, in `home`.
fn evidencer(home: &Path) -> Command {
    let mut c = Command::cargo_bin("evidencer").unwrap();
    c.env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", home)
        .current_dir(home);
    c
}

/// Runs `report` with `args` into `out`; its report.json.
fn report(home: &Path, out: &Path, args: &[&str]) -> Value {
    evidencer(home)
        .arg("report")
        .args(args)
        .args([
            "--as-of",
            AS_OF,
            "--period",
            PERIOD,
            "--format",
            "json,md,csv,html",
            "--out",
        ])
        .arg(out)
        .assert()
        .success();
    read_json(&out.join("report.json"))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// control id -> verdict.
fn verdicts(report: &Value) -> Vec<(String, String)> {
    report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn cluster_verdicts(report: &Value, name: &str) -> Vec<(String, String)> {
    let cluster = report["clusters"]
        .as_array()
        .expect("a fleet report lists its clusters")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no cluster {name}"));
    cluster["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn rank(verdict: &str) -> usize {
    ORDER.iter().position(|v| *v == verdict).unwrap()
}

/// The fleet report of clusters `names`, given their own single-cluster reports: each
/// cluster's verdicts are its own report's; the fleet's are the worst, naming the clusters
/// that have it; at least one control differs between them (or the test proves nothing).
fn assert_fleet(fleet: &Value, singles: &[(&str, &Value)]) {
    crate::report_schema::assert_valid_both(fleet, "fleet report.json");
    let names: Vec<&str> = fleet["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, singles.iter().map(|(n, _)| *n).collect::<Vec<_>>());
    for (name, single) in singles {
        assert_eq!(
            cluster_verdicts(fleet, name),
            verdicts(single),
            "cluster {name}'s verdicts are those of its own run"
        );
    }
    let mut differing = 0;
    for (i, c) in fleet["controls"].as_array().unwrap().iter().enumerate() {
        let own: Vec<(&str, &str)> = singles
            .iter()
            .map(|(n, r)| (*n, r["controls"][i]["verdict"].as_str().unwrap()))
            .collect();
        let worst = own.iter().map(|(_, v)| *v).max_by_key(|v| rank(v)).unwrap();
        assert_eq!(c["verdict"], worst, "{}: the worst verdict", c["id"]);
        let naming: Vec<&str> = own
            .iter()
            .filter(|(_, v)| *v == worst)
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(
            c["verdict_clusters"],
            json!(naming),
            "{}: names the clusters that make it so",
            c["id"]
        );
        if own.iter().any(|(_, v)| *v != worst) {
            differing += 1;
            assert!(
                c["statement"]
                    .as_str()
                    .unwrap()
                    .starts_with("Across 2 clusters: "),
                "{}",
                c["statement"]
            );
        }
    }
    assert!(differing > 0, "the clusters must be judged differently");
}

/// Findings of a cluster's own evidence carry it; shared ones carry none; ids are unique.
fn assert_findings_carry_clusters(fleet: &Value, names: &[&str]) {
    let findings = fleet["findings"].as_array().unwrap();
    let mut ids = std::collections::HashSet::new();
    for f in findings {
        assert!(
            ids.insert(f["id"].as_str().unwrap()),
            "id {} twice",
            f["id"]
        );
    }
    for name in names {
        assert!(
            findings.iter().any(|f| f["cluster"] == *name),
            "some finding names {name}"
        );
    }
    let own_sources: std::collections::HashSet<&str> = fleet["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["sources"].as_array().unwrap())
        .map(|s| s.as_str().unwrap())
        .collect();
    for f in findings {
        if own_sources.contains(f["subject"]["source"].as_str().unwrap()) {
            assert!(f["cluster"].is_string(), "{} names its cluster", f["id"]);
        }
    }
}

#[test]
fn two_live_clusters_give_their_own_verdicts_and_the_worst_for_the_fleet() {
    let (eu, us) = (full_cluster().start(), bare_cluster().start());
    let home = tempfile::tempdir().unwrap();
    let config = kubeconfig(home.path(), &[("prod-eu", &eu), ("prod-us", &us)]);
    let config = config.to_str().unwrap();
    let live = |contexts: &[&str], out: &str| {
        let mut args = vec!["--cluster", "--kubeconfig", config];
        for c in contexts {
            args.extend(["--context", c]);
        }
        report(home.path(), &home.path().join(out), &args)
    };
    let single_eu = live(&["prod-eu"], "eu");
    let single_us = live(&["prod-us"], "us");
    let fleet = live(&["prod-eu", "prod-us"], "fleet");
    assert_fleet(&fleet, &[("prod-eu", &single_eu), ("prod-us", &single_us)]);
    assert_findings_carry_clusters(&fleet, &["prod-eu", "prod-us"]);
    assert_eq!(fleet["clusters"][0]["context"], "prod-eu");
    assert_eq!(fleet["clusters"][1]["sources"], json!(["cluster:prod-us"]));

    // One cluster's report is as it always was.
    for single in [&single_eu, &single_us] {
        assert!(single.get("clusters").is_none());
        assert!(
            single["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f.get("cluster").is_none())
        );
        assert!(
            single["controls"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c.get("verdict_clusters").is_none())
        );
    }

    // Every format says so: md and html have the table, answers.csv the clusters.
    let dir = home.path().join("fleet");
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("Verdicts per cluster"));
    assert!(
        md.contains("| Control | Fleet | prod-eu | prod-us |"),
        "{md}"
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("<h4>Verdicts per cluster</h4>"));
    let csv = std::fs::read_to_string(dir.join("answers.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",cluster_verdicts"), "{header}");
    assert!(csv.contains("prod-eu: "), "{csv}");
    let single_csv = std::fs::read_to_string(home.path().join("eu/answers.csv")).unwrap();
    assert!(
        !single_csv
            .lines()
            .next()
            .unwrap()
            .contains("cluster_verdicts")
    );
}

#[test]
fn snapshots_with_manifests_are_a_cluster_each_and_agree_with_the_live_run() {
    let (eu, us) = (full_cluster().start(), bare_cluster().start());
    let home = tempfile::tempdir().unwrap();
    let config = kubeconfig(home.path(), &[("prod-eu", &eu), ("prod-us", &us)]);
    let config = config.to_str().unwrap();
    for context in ["prod-eu", "prod-us"] {
        evidencer(home.path())
            .args([
                "collect",
                "--cluster",
                "--kubeconfig",
                config,
                "--context",
                context,
            ])
            .args(["--out", &format!("snap-{context}")])
            .assert()
            .success();
    }
    let live = report(
        home.path(),
        &home.path().join("live"),
        &[
            "--cluster",
            "--kubeconfig",
            config,
            "--context",
            "prod-eu",
            "--context",
            "prod-us",
        ],
    );
    let offline = report(
        home.path(),
        &home.path().join("offline"),
        &["--snapshot", "snap-prod-eu", "--snapshot", "snap-prod-us"],
    );
    crate::report_schema::assert_valid_both(&offline, "fleet of snapshots");
    for name in ["prod-eu", "prod-us"] {
        assert_eq!(
            cluster_verdicts(&offline, name),
            cluster_verdicts(&live, name)
        );
    }
    assert_eq!(verdicts(&offline), verdicts(&live));
    assert_eq!(offline["clusters"][0]["context"], "prod-eu");
    assert_findings_carry_clusters(&offline, &["prod-eu", "prod-us"]);
    // A collected snapshot keeps the findings' ids of the live cluster.
    let ids = |r: &Value| -> std::collections::BTreeSet<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["cluster"].is_string())
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&offline), ids(&live));
}

/// Copies the fixture cluster's files, without a manifest, to `dir`; `bare` keeps only its
/// namespaces and nodes.
fn plain_snapshot(dir: &Path, bare: bool) {
    std::fs::create_dir_all(dir).unwrap();
    for entry in std::fs::read_dir(fixture()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if bare && !["namespaces.json", "nodes.json"].contains(&name.as_str()) {
            continue;
        }
        std::fs::copy(&path, dir.join(name)).unwrap();
    }
}

#[test]
fn snapshots_named_name_equals_dir_are_clusters_and_unnamed_ones_stay_one_source() {
    let home = tempfile::tempdir().unwrap();
    plain_snapshot(&home.path().join("a"), false);
    plain_snapshot(&home.path().join("b"), true);
    let single_a = report(
        home.path(),
        &home.path().join("one-a"),
        &["--snapshot", "eu=a"],
    );
    let single_b = report(
        home.path(),
        &home.path().join("one-b"),
        &["--snapshot", "us=b"],
    );
    let fleet = report(
        home.path(),
        &home.path().join("fleet"),
        &["--snapshot", "eu=a", "--snapshot", "us=b"],
    );
    assert_fleet(&fleet, &[("eu", &single_a), ("us", &single_b)]);
    assert_findings_carry_clusters(&fleet, &["eu", "us"]);
    assert_eq!(fleet["clusters"][0]["context"], Value::Null);
    assert!(fleet["scope"].is_object());

    // Two unnamed directories without manifests are one source, as before.
    let merged = report(
        home.path(),
        &home.path().join("merged"),
        &["--snapshot", "a", "--snapshot", "b"],
    );
    assert!(merged.get("clusters").is_none());

    // With several clusters, an unnamed one cannot be placed: an error, nothing written.
    let out = home.path().join("refused");
    let assert = evidencer(home.path())
        .args([
            "report",
            "--snapshot",
            "eu=a",
            "--snapshot",
            "us=b",
            "--snapshot",
            "a",
        ])
        .args(["--as-of", AS_OF, "--format", "json", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("--snapshot a names no cluster") && stderr.contains("NAME=PATH"),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// Runs one cluster's archived run (as its CronJob would): `--archive DIR --period`.
fn archive_run(home: &Path, archive: &str, args: &[&str]) -> PathBuf {
    evidencer(home)
        .arg("report")
        .args(args)
        .args(["--as-of", AS_OF, "--period", PERIOD, "--format", "json,md"])
        .args(["--archive", archive])
        .assert()
        .success();
    home.join(archive).join(PERIOD)
}

#[test]
fn fleet_over_archived_runs_gives_the_verdicts_of_the_live_run() {
    let (eu, us) = (full_cluster().start(), bare_cluster().start());
    let home = tempfile::tempdir().unwrap();
    let config = kubeconfig(home.path(), &[("prod-eu", &eu), ("prod-us", &us)]);
    let config = config.to_str().unwrap();
    let eu_dir = archive_run(
        home.path(),
        "archive-eu",
        &["--cluster", "--kubeconfig", config, "--context", "prod-eu"],
    );
    let us_dir = archive_run(
        home.path(),
        "archive-us",
        &["--cluster", "--kubeconfig", config, "--context", "prod-us"],
    );
    let live = report(
        home.path(),
        &home.path().join("live"),
        &[
            "--cluster",
            "--kubeconfig",
            config,
            "--context",
            "prod-eu",
            "--context",
            "prod-us",
        ],
    );
    let out = home.path().join("fleet-out");
    evidencer(home.path())
        .arg("fleet")
        .arg(&eu_dir)
        .arg(us_dir.join("report.json"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    for file in [
        "report.json",
        "report.md",
        "report.html",
        "report.pdf",
        "answers.csv",
    ] {
        assert!(out.join(file).is_file(), "{file} written");
    }
    let combined = read_json(&out.join("report.json"));
    crate::report_schema::assert_valid_both(&combined, "fleet over archives");
    assert_eq!(verdicts(&combined), verdicts(&live));
    for name in ["prod-eu", "prod-us"] {
        assert_eq!(
            cluster_verdicts(&combined, name),
            cluster_verdicts(&live, name)
        );
    }
    let strip = |r: &Value| -> Vec<Value> {
        r["controls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| json!([c["id"], c["verdict"], c["verdict_clusters"], c["findings"]]))
            .collect()
    };
    assert_eq!(strip(&combined), strip(&live));
    assert_eq!(combined["findings"], live["findings"]);
    // Each cluster names the report it was read from.
    let id = |p: &Path| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
    };
    assert_eq!(
        combined["clusters"][0]["report"],
        id(&eu_dir.join("report.json"))
    );

    // A scheduled combining step names the archives and the period, not the folders.
    evidencer(home.path())
        .args([
            "fleet",
            "archive-eu",
            "archive-us",
            "--period",
            "previous-quarter",
        ])
        .args([
            "--as-of",
            "2026-10-01",
            "--format",
            "json",
            "--out",
            "fleet-archive",
        ])
        .assert()
        .success();
    let archived = read_json(&home.path().join("fleet-archive/2026-Q3/report.json"));
    assert_eq!(archived["findings"], combined["findings"]);
    evidencer(home.path())
        .args(["fleet", "archive-eu", "archive-us", "--period", "2026-Q2"])
        .args(["--format", "json", "--out", "fleet-archive"])
        .assert()
        .code(2);
    assert!(!home.path().join("fleet-archive/2026-Q2").exists());

    // The same inputs give the same bytes.
    let again = home.path().join("fleet-again");
    evidencer(home.path())
        .arg("fleet")
        .arg(&eu_dir)
        .arg(&us_dir)
        .args(["--format", "json", "--out"])
        .arg(&again)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(again.join("report.json")).unwrap(),
        std::fs::read(out.join("report.json")).unwrap()
    );
}

/// `fleet` with `inputs` fails with exit 2, says `says`, and writes nothing.
fn refused(home: &Path, inputs: &[&str], says: &[&str]) {
    let out = home.join("fleet-refused");
    let assert = evidencer(home)
        .arg("fleet")
        .args(inputs)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for s in says {
        assert!(stderr.contains(s), "{inputs:?}: {s:?} in\n{stderr}");
    }
    assert!(!out.exists(), "{inputs:?}: nothing written");
}

#[test]
fn fleet_refuses_what_is_not_one_fleet_and_writes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    plain_snapshot(&h.join("a"), false);
    plain_snapshot(&h.join("b"), true);
    let eu = archive_run(h, "arch-eu", &["--snapshot", "eu=a"]);
    let us = archive_run(h, "arch-us", &["--snapshot", "us=b"]);
    let (eu, us) = (eu.to_str().unwrap(), us.to_str().unwrap());
    // The pair itself is fine.
    evidencer(h)
        .args(["fleet", eu, us, "--format", "json", "--out", "ok"])
        .assert()
        .success();

    // Not a report.json: another JSON document, text, a directory without one.
    std::fs::write(h.join("other.json"), r#"{"kind": "List", "items": []}"#).unwrap();
    refused(
        h,
        &[eu, "other.json"],
        &["other.json", "not an evidencer report.json"],
    );
    std::fs::write(h.join("notes.txt"), "quarterly notes\n").unwrap();
    refused(h, &[eu, "notes.txt"], &["notes.txt", "not JSON"]);
    refused(h, &[eu, "a"], &["holds no report.json"]);
    refused(
        h,
        &[eu, "missing-dir"],
        &["missing-dir: no such file or directory"],
    );

    // An unknown schema_version.
    let mut future = read_json(&Path::new(us).join("report.json"));
    future["schema_version"] = json!(99);
    std::fs::write(h.join("future.json"), future.to_string()).unwrap();
    refused(
        h,
        &[eu, "future.json"],
        &["schema_version 99", "reads version"],
    );

    // A report whose fields do not match the schema (a control without its verdict).
    let mut broken = read_json(&Path::new(us).join("report.json"));
    broken["controls"][0]
        .as_object_mut()
        .unwrap()
        .remove("verdict");
    std::fs::write(h.join("broken.json"), broken.to_string()).unwrap();
    refused(h, &[eu, "broken.json"], &["broken.json", "verdict"]);

    // A bundle whose manifest names another report.
    evidencer(h)
        .args([
            "report",
            "--snapshot",
            "us=b",
            "--as-of",
            AS_OF,
            "--period",
            PERIOD,
        ])
        .args([
            "--format",
            "json",
            "--out",
            "bundled",
            "--bundle",
            "bundled/evidence",
        ])
        .assert()
        .success();
    evidencer(h)
        .args(["fleet", eu, "bundled", "--format", "json", "--out", "ok2"])
        .assert()
        .success();
    let inside = h.join("bundled/evidence/reports/report.json");
    let text = std::fs::read_to_string(&inside).unwrap();
    std::fs::write(&inside, text.replacen("\"satisfied\"", "\"satisfied\" ", 1)).unwrap();
    refused(
        h,
        &[eu, "bundled/evidence"],
        &[
            "bundle manifest",
            "names report",
            "changed after the bundle",
        ],
    );
    // The report beside a bundle is checked against it too.
    let beside = h.join("bundled/report.json");
    let text = std::fs::read_to_string(&beside).unwrap();
    std::fs::write(&beside, format!("{text} ")).unwrap();
    refused(h, &[eu, "bundled"], &["bundle manifest", "names report"]);

    // An archived period with its evidence.tar.gz: the manifest inside must name the
    // report.json beside it; a bundle that cannot be read is refused too.
    let tgz = archive_run(
        h,
        "arch-tgz",
        &["--snapshot", "us=b", "--bundle", "evidence.tar.gz"],
    );
    let tgz = tgz.to_str().unwrap();
    evidencer(h)
        .args(["fleet", eu, tgz, "--format", "json", "--out", "ok4"])
        .assert()
        .success();
    let beside = Path::new(tgz).join("report.json");
    let original = std::fs::read(&beside).unwrap();
    std::fs::write(&beside, [original.as_slice(), b" "].concat()).unwrap();
    refused(h, &[eu, tgz], &["evidence.tar.gz", "names report"]);
    std::fs::write(&beside, &original).unwrap();
    std::fs::write(Path::new(tgz).join("old.tgz"), b"not gzip").unwrap();
    refused(h, &[eu, tgz], &["old.tgz", "cannot be read"]);
    std::fs::remove_file(Path::new(tgz).join("old.tgz")).unwrap();

    // The same cluster twice, and runs of different periods.
    refused(h, &[eu, eu], &["the cluster eu for 2026-Q3"]);
    evidencer(h)
        .args([
            "report",
            "--snapshot",
            "us=b",
            "--as-of",
            AS_OF,
            "--period",
            "2026-Q2",
        ])
        .args(["--format", "json", "--archive", "arch-us"])
        .assert()
        .success();
    refused(
        h,
        &[eu, "arch-us/2026-Q2"],
        &["different periods", "2026-Q3", "2026-Q2"],
    );

    // A report that names no cluster needs NAME=PATH; named, it combines.
    evidencer(h)
        .args([
            "report",
            "--snapshot",
            "a",
            "--as-of",
            AS_OF,
            "--period",
            PERIOD,
        ])
        .args(["--format", "json", "--out", "unnamed"])
        .assert()
        .success();
    refused(h, &[us, "unnamed"], &["name no cluster", "NAME=PATH"]);
    evidencer(h)
        .args([
            "fleet",
            us,
            "eu=unnamed",
            "--format",
            "json",
            "--out",
            "ok3",
        ])
        .assert()
        .success();

    // `collect` writes one cluster's snapshot: several contexts are refused.
    let assert = evidencer(h)
        .args([
            "collect",
            "--cluster",
            "--context",
            "a",
            "--context",
            "b",
            "--out",
            "snap",
        ])
        .assert()
        .code(2);
    assert!(
        String::from_utf8_lossy(&assert.get_output().stderr).contains("collect reads one cluster")
    );
    assert!(!h.join("snap").exists());

    // A fleet report is not an input, and --out must not be an input's folder.
    refused(h, &[eu, "ok/report.json"], &["a fleet report itself"]);
    refused(h, &["x=ok", eu], &["a fleet report itself"]);
    let assert = evidencer(h)
        .args(["fleet", eu, us, "--format", "json", "--out", us])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&assert.get_output().stderr).contains("is the folder of"));
}

#[test]
fn a_report_reads_back_as_it_was_written() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/reports/report.json");
    let bytes = std::fs::read(&path).unwrap();
    let report = evidencer::report::Report::from_json(&bytes).unwrap();
    assert_eq!(
        String::from_utf8(report.to_json()).unwrap(),
        String::from_utf8(bytes).unwrap()
    );
}

#[test]
fn clusters_read_from_one_path_keep_their_own_sources_and_evidence() {
    // Each cluster's CronJob reads its cluster as `in-cluster`, or from the same path: two
    // runs whose sources share an id, combined by name.
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    for (dir, bare) in [("eu", false), ("us", true)] {
        std::fs::create_dir_all(h.join(dir)).unwrap();
        plain_snapshot(&h.join(dir).join("snap"), bare);
        evidencer(&h.join(dir))
            .args([
                "report",
                "--snapshot",
                "snap",
                "--as-of",
                AS_OF,
                "--period",
                PERIOD,
            ])
            .args(["--format", "json", "--out", "out"])
            .assert()
            .success();
    }
    evidencer(h)
        .args([
            "fleet",
            "eu=eu/out",
            "us=us/out",
            "--format",
            "json",
            "--out",
            "fleet",
        ])
        .assert()
        .success();
    let fleet = read_json(&h.join("fleet/report.json"));
    crate::report_schema::assert_valid_both(&fleet, "fleet of one path");
    assert_eq!(fleet["clusters"][0]["sources"], json!(["snapshot:snap@eu"]));
    assert_eq!(fleet["clusters"][1]["sources"], json!(["snapshot:snap@us"]));
    let identities: Vec<&Value> = fleet["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["identity"])
        .collect();
    assert_eq!(identities, [&json!("eu"), &json!("us")]);
    let eu = read_json(&h.join("eu/out/report.json"));
    let us = read_json(&h.join("us/out/report.json"));
    let records = fleet["evidence"].as_array().unwrap();
    let count = |r: &Value| r["evidence"].as_array().unwrap().len();
    assert_eq!(records.len(), count(&eu) + count(&us), "no record is lost");
    let ids: std::collections::HashSet<&str> =
        records.iter().map(|e| e["id"].as_str().unwrap()).collect();
    for f in fleet["findings"].as_array().unwrap() {
        for e in f["evidence"].as_array().unwrap() {
            assert!(ids.contains(e.as_str().unwrap()), "{} cites {e}", f["id"]);
        }
    }
    assert_fleet(&fleet, &[("eu", &eu), ("us", &us)]);
    assert_findings_carry_clusters(&fleet, &["eu", "us"]);
}

#[test]
fn a_cluster_that_cannot_be_read_stops_the_fleet_run_and_nothing_is_written() {
    let (eu, down) = (full_cluster().start(), bare_cluster().start());
    let home = tempfile::tempdir().unwrap();
    let config = kubeconfig(home.path(), &[("prod-eu", &eu), ("prod-down", &down)]);
    drop(down);
    let out = home.path().join("fleet");
    let assert = evidencer(home.path())
        .args(["report", "--cluster", "--kubeconfig"])
        .arg(&config)
        .args([
            "--context",
            "prod-eu",
            "--context",
            "prod-down",
            "--as-of",
            AS_OF,
        ])
        .args(["--format", "json", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("prod-down"), "{stderr}");
    assert!(!out.join("report.json").exists());
}
