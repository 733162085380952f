//! API audit logs end to end (issue 15), with the real binary: `--audit-log` files,
//! directories and patterns in the four shapes (the kube-apiserver's JSON lines, EKS through
//! CloudWatch, GKE Cloud Audit Logs, AKS diagnostic logs, one of them gzipped), the
//! break-glass subjects of the config, a day with no event, and a line that is no event.
//! The logs are written here, one file per shape and day:
//!
//! - 2026-07-01, kube-apiserver: the steady lease renewals, an exec by alice with a
//!   password on its command line, a denied exec, and one line that is not JSON;
//! - 2026-07-02, EKS (`jq -c '.events[]'` of filter-log-events): leases and an exec by the
//!   break-glass user;
//! - 2026-07-03: no file at all;
//! - 2026-07-04, GKE (a sink's JSON lines): leases; and AKS (`PT1H.json`, gzipped): a pod
//!   patch logged at Metadata level.

use std::fs;
use std::io::Write;
use std::path::Path;

use assert_cmd::Command;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const AS_OF: &str = "2026-09-30";

fn kube_event(id: &str, time: &str, user: &str, groups: &[&str], what: Value) -> Value {
    let mut e = json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
        "auditID": id, "stage": "ResponseComplete",
        "user": {"username": user, "groups": groups},
        "sourceIPs": ["10.0.0.7"], "userAgent": "kubectl/v1.30.0 (linux/amd64)",
        "responseStatus": {"code": 200},
        "requestReceivedTimestamp": time, "stageTimestamp": time,
    });
    for (k, v) in what.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

/// The control plane's lease renewals, every 20 minutes of the day: the steady event that
/// tells a quiet day from a missing one.
fn leases(day: &str) -> Vec<Value> {
    (0..72)
        .map(|i| {
            let time = format!("{day}T{:02}:{:02}:00Z", i / 3, (i % 3) * 20);
            kube_event(
                &format!("lease-{time}"),
                &time,
                "system:kube-scheduler",
                &[],
                json!({"verb": "update",
                       "requestURI": "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler",
                       "objectRef": {"resource": "leases", "namespace": "kube-system", "name": "kube-scheduler"}}),
            )
        })
        .collect()
}

fn exec(id: &str, time: &str, user: &str, groups: &[&str], command: &str, code: u16) -> Value {
    let mut e = kube_event(
        id,
        time,
        user,
        groups,
        json!({"verb": "create",
               "requestURI": format!("/api/v1/namespaces/shop/pods/api-1/exec?{command}&container=web&stdin=true&tty=true"),
               "objectRef": {"resource": "pods", "subresource": "exec", "namespace": "shop", "name": "api-1"}}),
    );
    e["responseStatus"]["code"] = json!(code);
    e
}

fn lines(values: &[Value]) -> String {
    values.iter().map(|v| format!("{v}\n")).collect()
}

fn gzip(text: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

/// The four days' logs (see the module doc): paths under `logs/` and bytes, in name order.
fn log_files() -> Vec<(&'static str, Vec<u8>)> {
    let mut out: Vec<(&'static str, Vec<u8>)> = Vec::new();
    // Day 1, the API server's own file, with a line that is no event.
    let mut day1 = leases("2026-07-01");
    day1.insert(
        5,
        exec(
            "exec-alice",
            "2026-07-01T10:15:00Z",
            "alice@example.com",
            &["devs", "system:authenticated"],
            "command=sh&command=-c&command=mysql+-uroot+-phunter2+shop",
            101,
        ),
    );
    day1.insert(
        6,
        exec(
            "exec-mallory",
            "2026-07-01T10:20:00Z",
            "mallory@example.com",
            &["devs"],
            "command=sh",
            403,
        ),
    );
    let mut text = lines(&day1);
    text.insert_str(
        text.match_indices('\n').nth(2).unwrap().0 + 1,
        "this line is not an audit event\n",
    );
    out.push(("logs/kube/audit-2026-07-01.log", text.into_bytes()));

    // Day 2, EKS: CloudWatch events with the audit event in `message`.
    let mut day2 = leases("2026-07-02");
    day2.push(exec(
        "exec-breakglass",
        "2026-07-02T03:00:00Z",
        "breakglass-admin",
        &["system:authenticated"],
        "command=cat&command=%2Fetc%2Fhostname",
        101,
    ));
    let eks: Vec<Value> = day2
        .iter()
        .map(|e| {
            json!({"timestamp": 1_782_950_400_000u64, "message": e.to_string(),
                   "logStreamName": "kube-apiserver-audit-1f2e", "eventId": "1"})
        })
        .collect();
    out.push(("logs/eks/2026-07-02.json", lines(&eks).into_bytes()));

    // Day 4, GKE: Cloud Audit Logs entries from a sink.
    let gke: Vec<Value> = (0..72)
        .map(|i| {
            let time = format!("2026-07-04T{:02}:{:02}:00Z", i / 3, (i % 3) * 20);
            json!({
                "protoPayload": {
                    "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                    "serviceName": "k8s.io",
                    "methodName": "io.k8s.coordination.v1.leases.update",
                    "resourceName": "coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler",
                    "authenticationInfo": {"principalEmail": "system:kube-scheduler"},
                    "requestMetadata": {"callerIp": "::1"},
                    "status": {}
                },
                "insertId": format!("gke-{i}"),
                "resource": {"type": "k8s_cluster", "labels": {"cluster_name": "prod"}},
                "timestamp": time,
                "operation": {"id": format!("op-{i}"), "producer": "k8s.io", "first": true, "last": true}
            })
        })
        .collect();
    out.push(("logs/gke/2026-07-04.json", lines(&gke).into_bytes()));

    // Day 4, AKS: a diagnostic log record holding a Metadata-level pod patch, gzipped.
    let patch = kube_event(
        "patch-dave",
        "2026-07-04T12:00:00Z",
        "dave@example.com",
        &["devs"],
        json!({"verb": "patch",
               "requestURI": "/api/v1/namespaces/shop/pods/api-1",
               "objectRef": {"resource": "pods", "namespace": "shop", "name": "api-1"}}),
    );
    let aks = json!({"time": "2026-07-04T12:00:00.0000000Z", "category": "kube-audit",
                     "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read",
                     "properties": {"log": patch.to_string(), "stream": "stdout", "pod": "kube-apiserver-6d5c"}});
    out.push(("logs/aks/PT1H.json.gz", gzip(&lines(&[aks]))));
    out.sort();
    out
}

/// Writes the logs under `dir/logs/`.
fn write_logs(dir: &Path) {
    for (path, bytes) in log_files() {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
}

fn evidencer(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("evidencer").unwrap();
    cmd.current_dir(dir);
    cmd
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn findings<'r>(report: &'r Value, check: &str) -> Vec<&'r Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

fn message_with<'r>(found: &[&'r Value], text: &str) -> &'r Value {
    found
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains(text))
        .unwrap_or_else(|| panic!("no finding says {text:?}: {found:#?}"))
}

/// The logs of all four shapes, with the break-glass user and the log directory in the
/// config, over 2026-07-01..04.
fn report_of_all_shapes(dir: &Path) -> Value {
    write_logs(dir);
    fs::write(
        dir.join("evidencer.yaml"),
        "audit-logs: [logs/]\naudit:\n  allowed-users: [breakglass-admin]\n",
    )
    .unwrap();
    evidencer(dir)
        .args(["report", "--since", "2026-07-01", "--until", "2026-07-04"])
        .args(["--as-of", AS_OF, "--format", "json,md,csv", "--out", "out"])
        .assert()
        .success();
    read_json(&dir.join("out/report.json"))
}

#[test]
fn an_exec_by_a_person_fails_naming_who_where_and_the_redacted_command() {
    let dir = tempfile::tempdir().unwrap();
    let report = report_of_all_shapes(dir.path());
    let found = findings(&report, "no-in-place-changes-logged");
    let alice = message_with(&found, "alice@example.com");
    assert_eq!(alice["status"], "fail");
    for says in [
        "ran `sh -c mysql -uroot -p[REDACTED] shop` in pod shop/api-1 container web",
        "at 2026-07-01T10:15:00Z",
        "groups devs, system:authenticated",
        "from 10.0.0.7",
        "user agent kubectl/v1.30.0 (linux/amd64)",
        "audit-2026-07-01.log:",
    ] {
        assert!(
            alice["message"].as_str().unwrap().contains(says),
            "{says}: {alice}"
        );
    }
    assert_eq!(alice["subject"]["kind"], "Pod");
    assert_eq!(alice["details"]["source_ips"], json!(["10.0.0.7"]));
    // The denied exec is no change.
    assert!(!found.iter().any(|f| f.to_string().contains("mallory")));
    // The finding cites its event, and the event is an evidence record with its time.
    let cited = alice["evidence"][0].as_str().unwrap();
    let record = report["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == cited)
        .expect("the cited event is a record");
    assert_eq!(record["kind"], "event");
    assert_eq!(record["time"], "2026-07-01T10:15:00Z");
    // The password is nowhere in any output.
    for name in ["report.json", "report.md"] {
        let text = fs::read_to_string(dir.path().join("out").join(name)).unwrap();
        assert!(!text.contains("hunter2"), "{name} holds the password");
    }
}

#[test]
fn break_glass_and_metadata_pod_patches_warn_and_uncovered_days_are_not_assessed() {
    let dir = tempfile::tempdir().unwrap();
    let report = report_of_all_shapes(dir.path());
    let found = findings(&report, "no-in-place-changes-logged");
    let glass = message_with(&found, "breakglass-admin");
    assert_eq!(glass["status"], "warn");
    assert!(
        glass["message"]
            .as_str()
            .unwrap()
            .contains("user breakglass-admin is a break-glass subject"),
        "{glass}"
    );
    assert_eq!(glass["details"]["break_glass"], "user breakglass-admin");
    let patch = message_with(
        &found,
        "dave@example.com patched the running pod shop/api-1",
    );
    assert_eq!(patch["status"], "warn");
    assert!(
        patch["message"]
            .as_str()
            .unwrap()
            .contains("Metadata level")
    );
    let gap = message_with(&found, "no event at all on 1 day of the period");
    assert_eq!(gap["status"], "not_assessed");
    assert!(
        gap["message"].as_str().unwrap().contains("(2026-07-03)"),
        "{gap}"
    );
    let unread = message_with(
        &found,
        "1 line of logs/kube/audit-2026-07-01.log could not be read",
    );
    assert_eq!(unread["status"], "not_assessed");
    // Four findings: alice, break-glass, the patch, and the two not_assessed ones; no pass.
    assert_eq!(found.len(), 5, "{found:#?}");
    assert!(!found.iter().any(|f| f["status"] == "pass"));
    // The control counts the check (it was assessed) and names its result.
    let control = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "PR.PS-02.242")
        .unwrap();
    let check = control["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "no-in-place-changes-logged")
        .unwrap_or_else(|| panic!("{control:#}"));
    assert_eq!(check["status"], "fail", "{check}");
    // The narrative cites the counts, the first events and the files with their sha256.
    let narrative = control["narrative"].as_str().unwrap();
    for says in [
        "record 3 events that entered or changed a running container (2 exec, 1 pod-change-unknown)",
        "the first: Pod shop/api-1 container web by alice@example.com at 2026-07-01T10:15:00Z; \
         Pod shop/api-1 container web by breakglass-admin at 2026-07-02T03:00:00Z; Pod \
         shop/api-1 by dave@example.com at 2026-07-04T12:00:00Z.",
        "The API audit log files read: logs/aks/PT1H.json.gz (sha256 ",
    ] {
        assert!(narrative.contains(says), "{says}: {narrative}");
    }
}

#[test]
fn coverage_names_the_missing_day_and_the_problem_line_and_every_file_is_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let report = report_of_all_shapes(dir.path());
    let found = findings(&report, "audit-log-covers-period");
    let missing = message_with(&found, "no event at all on 1 day of the period");
    assert_eq!(missing["status"], "fail");
    assert_eq!(missing["details"]["missing_days"], json!(["2026-07-03"]));
    let hole = message_with(&found, "1 stretch of more than 60 minutes with no event");
    assert_eq!(hole["status"], "warn");
    assert!(
        hole["message"].as_str().unwrap().contains(
            "2026-07-02T23:40:00Z to 2026-07-04T00:00:00Z (between logs/eks/2026-07-02.json and \
             logs/gke/2026-07-04.json)"
        ),
        "{hole}"
    );
    assert_eq!(found.len(), 2, "{found:#?}");
    // The denied exec is not kept as evidence: no finding cites it.
    assert!(!report["evidence"].to_string().contains("mallory"));
    // The line that is no event is an input problem with file:line; the rest was read.
    let problems = report["inputs"]["problems"].as_array().unwrap();
    let bad = problems
        .iter()
        .find(|p| p["location"] == "logs/kube/audit-2026-07-01.log:4")
        .unwrap_or_else(|| panic!("{problems:#?}"));
    assert_eq!(bad["level"], "error");
    // Every file, the gzipped one as stored, is a record with its sha256.
    let records = report["evidence"].as_array().unwrap();
    for file in [
        "logs/aks/PT1H.json.gz",
        "logs/eks/2026-07-02.json",
        "logs/gke/2026-07-04.json",
        "logs/kube/audit-2026-07-01.log",
    ] {
        let record = records
            .iter()
            .find(|r| r["locator"] == file && r["kind"] == "file")
            .unwrap_or_else(|| panic!("no record of {file}"));
        let sha = hex::encode(Sha256::digest(fs::read(dir.path().join(file)).unwrap()));
        assert_eq!(record["sha256"], sha, "{file}");
    }
    // The source says what was read, and the scope no longer says no log was given.
    let source = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "audit_log")
        .unwrap();
    assert_eq!(source["id"], "audit-log:logs/");
    assert_eq!(source["details"]["files"], "4");
    assert_eq!(source["details"]["first_event"], "2026-07-01T00:00:00Z");
    let shapes = source["details"]["shapes"].as_str().unwrap();
    for shape in ["kube-apiserver", "EKS", "GKE", "AKS"] {
        assert!(shapes.contains(shape), "{shapes}");
    }
    let limits = report["scope"]["limits"].to_string();
    assert!(!limits.contains("No audit log was read"), "{limits}");
    let md = fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(md.contains("API audit log, 4 files: events from 2026-07-01T00:00:00Z"));
    let csv = fs::read_to_string(dir.path().join("out/answers.csv")).unwrap();
    assert!(
        csv.contains("clusters: none; repositories: none; namespaces: none; audit logs: logs/"),
        "the answers' scope names the audit logs"
    );
}

#[test]
fn flags_take_files_and_patterns_and_a_full_period_passes() {
    let dir = tempfile::tempdir().unwrap();
    write_logs(dir.path());
    // Only day 1's log (by name) and day 2's (by pattern), over those two days; the line
    // that is no event still keeps the exec check from passing, but the coverage passes.
    evidencer(dir.path())
        .args(["report", "--audit-log", "logs/kube/audit-2026-07-01.log"])
        .args(["--audit-log", "logs/eks/*.json"])
        .args(["--since", "2026-07-01", "--until", "2026-07-02"])
        .args(["--as-of", AS_OF, "--format", "json", "--out", "out"])
        .assert()
        .success();
    let report = read_json(&dir.path().join("out/report.json"));
    let coverage = findings(&report, "audit-log-covers-period");
    assert_eq!(coverage.len(), 1, "{coverage:#?}");
    assert_eq!(coverage[0]["status"], "pass", "{}", coverage[0]);
    let ids: Vec<&str> = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "audit-log:logs/eks/*.json",
            "audit-log:logs/kube/audit-2026-07-01.log"
        ]
    );
    // Without the breaking-glass config, the break-glass exec fails like any other.
    let found = findings(&report, "no-in-place-changes-logged");
    assert_eq!(message_with(&found, "breakglass-admin")["status"], "fail");
}

#[test]
fn a_missing_path_stops_the_run_and_a_pattern_that_matches_nothing_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    write_logs(dir.path());
    evidencer(dir.path())
        .args(["report", "--audit-log", "logs/kube/audit-2026-07-09.log"])
        .args(["--as-of", AS_OF, "--format", "json", "--out", "out"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--audit-log logs/kube/audit-2026-07-09.log: no such file or directory",
        ));
    assert!(!dir.path().join("out").exists());
    evidencer(dir.path())
        .args([
            "report",
            "--audit-log",
            "logs/kube/*.log",
            "--audit-log",
            "logs/none-*.gz",
        ])
        .args(["--as-of", AS_OF, "--format", "json", "--out", "out"])
        .assert()
        .success();
    let report = read_json(&dir.path().join("out/report.json"));
    let problems = report["inputs"]["problems"].to_string();
    assert!(
        problems.contains("no file matches this pattern"),
        "{problems}"
    );
}

#[test]
fn without_audit_logs_the_scope_says_so_and_the_checks_are_not_assessed() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("snap.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
    )
    .unwrap();
    evidencer(dir.path())
        .args(["report", "--snapshot", "snap.yaml"])
        .args(["--as-of", AS_OF, "--format", "json", "--out", "out"])
        .assert()
        .success();
    let report = read_json(&dir.path().join("out/report.json"));
    for check in ["no-in-place-changes-logged", "audit-log-covers-period"] {
        let found = findings(&report, check);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0]["status"], "not_assessed");
        assert!(
            found[0]["message"]
                .as_str()
                .unwrap()
                .starts_with("no audit log was given")
        );
    }
    let limits = report["scope"]["limits"].to_string();
    assert!(limits.contains("No audit log was read"), "{limits}");
}

#[test]
fn the_bundle_holds_the_cited_events_as_kept_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    write_logs(dir.path());
    fs::write(
        dir.path().join("evidencer.yaml"),
        "audit-logs: [logs/]\naudit:\n  allowed-users: [breakglass-admin]\n",
    )
    .unwrap();
    evidencer(dir.path())
        .args(["report", "--since", "2026-07-01", "--until", "2026-07-04"])
        .args(["--as-of", AS_OF, "--format", "json", "--out", "out"])
        .args(["--bundle", "bundle"])
        .assert()
        .success();
    let events = dir
        .path()
        .join("bundle/evidence/audit-log-logs/audit-events");
    let mut names: Vec<String> = fs::read_dir(&events)
        .unwrap_or_else(|e| panic!("{}: {e}", events.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // The three events the findings cite; not the denied exec, not the leases.
    assert_eq!(
        names,
        [
            "logs-aks-PT1H.json.gz-1.json",
            "logs-eks-2026-07-02.json-73.json",
            "logs-kube-audit-2026-07-01.log-7.json"
        ]
    );
    let alice: Value = serde_json::from_slice(
        &fs::read(events.join("logs-kube-audit-2026-07-01.log-7.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(alice["user"], "alice@example.com");
    assert_eq!(
        alice["command"],
        json!(["sh", "-c", "mysql -uroot -p[REDACTED] shop"])
    );
    let mut all = String::new();
    for name in &names {
        all.push_str(&fs::read_to_string(events.join(name)).unwrap());
    }
    assert!(
        !all.contains("hunter2") && !all.contains("mallory"),
        "{all}"
    );
    evidencer(dir.path())
        .args(["verify", "bundle"])
        .assert()
        .success();
    // A cited event changed in the bundle no longer hashes to its record.
    fs::write(
        events.join("logs-kube-audit-2026-07-01.log-7.json"),
        serde_json::to_vec(&json!({"user": "someone-else"})).unwrap(),
    )
    .unwrap();
    evidencer(dir.path())
        .args(["verify", "bundle"])
        .assert()
        .failure();
}

#[test]
fn the_report_of_audit_logs_validates_against_the_strict_schema() {
    let dir = tempfile::tempdir().unwrap();
    let report = report_of_all_shapes(dir.path());
    crate::report_schema::assert_valid_both(&report, "report of audit logs");
}

#[test]
fn the_same_logs_give_the_same_bytes() {
    let runs = crate::support::reruns::two(&[]);
    for run in &runs {
        for (path, bytes) in log_files() {
            run.write(path, bytes);
        }
        run.write(
            "evidencer.yaml",
            "audit-logs: [logs/]\naudit:\n  allowed-users: [breakglass-admin]\n",
        );
        run.evidencer()
            .args(["report", "--since", "2026-07-01", "--until", "2026-07-04"])
            .args(["--as-of", AS_OF, "--format", "json,md", "--out", "out"])
            .args(["--bundle", "bundle.tar.gz"])
            .assert()
            .success();
    }
    for name in ["out/report.json", "out/report.md", "bundle.tar.gz"] {
        crate::support::reruns::same_bytes(&runs, name);
    }
}
