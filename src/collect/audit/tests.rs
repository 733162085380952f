//! Audit logs in every shape, written by the tests: what is read from each, what is a
//! problem, and what coverage says.

use std::io::Write;

use serde_json::{Value, json};

use super::*;

const DAY1: &str = "2026-07-01";

/// An audit event as the API server writes it, with `fields` laid over a `get` of a lease.
fn event(id: &str, time: &str, fields: Value) -> Value {
    let mut base = json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
        "auditID": id, "stage": "ResponseComplete",
        "requestURI": "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler",
        "verb": "get",
        "user": {"username": "system:kube-scheduler", "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.0.2"], "userAgent": "kube-scheduler/v1.31.0",
        "objectRef": {"resource": "leases", "namespace": "kube-system", "name": "kube-scheduler",
                      "apiGroup": "coordination.k8s.io", "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 200},
        "requestReceivedTimestamp": time, "stageTimestamp": time,
        "annotations": {"authorization.k8s.io/decision": "allow"}
    });
    merge(&mut base, fields);
    base
}

fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) if v.is_object() && slot.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

fn exec(id: &str, time: &str, user: &str, groups: &[&str], stage: &str) -> Value {
    event(
        id,
        time,
        json!({
            "stage": stage,
            "verb": "create",
            "requestURI": "/api/v1/namespaces/shop/pods/web-1/exec?command=sh&command=-c\
                           &command=cat+%2Fetc%2Fconfig+--api-token%3Dabc&container=app&stdin=true&tty=true",
            "user": {"username": user, "groups": groups},
            "sourceIPs": ["203.0.113.7", "10.0.0.1"],
            "userAgent": "kubectl/v1.31.0 (linux/amd64) kubernetes/abc",
            "objectRef": {"resource": "pods", "namespace": "shop", "name": "web-1",
                          "apiGroup": "", "apiVersion": "v1", "subresource": "exec"},
            "responseStatus": {"metadata": {}, "code": 101},
            "stageTimestamp": time,
        }),
    )
}

fn lines(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

fn gzip(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

fn read_text(name: &str, text: &str) -> AuditLog {
    read_bytes(name, text.as_bytes(), &ReadOptions::default())
}

fn names(log: &AuditLog) -> Vec<&'static str> {
    log.events.iter().map(|e| e.action.name()).collect()
}

fn messages(log: &AuditLog) -> Vec<String> {
    log.problems
        .iter()
        .map(|p| format!("{}: {}", p.location, p.message))
        .collect()
}

/// One day of a kube-apiserver log: leases, an exec by a person logged at two stages, a
/// break-glass exec and another.
fn kube_day() -> String {
    let t = |hms: &str| format!("{DAY1}T{hms}.000000Z");
    lines(&[
        event("l-1", &t("00:00:01"), json!({})),
        exec(
            "x-1",
            &t("09:12:03"),
            "jane@example.com",
            &["dev", "system:authenticated"],
            "RequestReceived",
        ),
        exec(
            "x-1",
            &t("09:12:03"),
            "jane@example.com",
            &["dev", "system:authenticated"],
            "ResponseComplete",
        ),
        event("l-2", &t("12:00:00"), json!({})),
        exec(
            "x-2",
            &t("13:00:00"),
            "oncall@example.com",
            &["breakglass", "system:authenticated"],
            "ResponseComplete",
        ),
        exec(
            "x-3",
            &t("14:00:00"),
            "mallory@example.com",
            &["system:authenticated"],
            "ResponseComplete",
        ),
        event("l-3", &t("23:59:59"), json!({})),
    ])
}

#[test]
fn a_kube_apiserver_log_gives_each_exec_once_with_who_what_and_where() {
    let mut text = kube_day();
    // Deny the third exec.
    let denied = exec(
        "x-3",
        &format!("{DAY1}T14:00:00.000000Z"),
        "mallory@example.com",
        &["system:authenticated"],
        "ResponseComplete",
    );
    let mut denied_403 = denied.clone();
    denied_403["responseStatus"]["code"] = json!(403);
    text = text.replace(&denied.to_string(), &denied_403.to_string());
    let log = read_text("audit.log", &text);
    assert!(log.problems.is_empty(), "{:?}", messages(&log));
    assert_eq!(names(&log), ["exec", "exec", "exec"]);
    assert_eq!(log.counts.get("exec"), Some(&3));
    let jane = &log.events[0];
    assert_eq!(jane.user, "jane@example.com");
    assert_eq!(jane.groups, ["dev", "system:authenticated"]);
    assert_eq!(jane.source_ips, ["203.0.113.7", "10.0.0.1"]);
    assert_eq!(
        jane.user_agent.as_deref(),
        Some("kubectl/v1.31.0 (linux/amd64) kubernetes/abc")
    );
    assert_eq!(
        (
            jane.namespace.as_deref(),
            jane.pod.as_deref(),
            jane.container.as_deref()
        ),
        (Some("shop"), Some("web-1"), Some("app"))
    );
    // The command is decoded and its secret-looking flag redacted.
    assert_eq!(
        jane.command.as_deref().unwrap(),
        ["sh", "-c", "cat /etc/config --api-token=[REDACTED]"]
    );
    assert_eq!(
        jane.path.as_deref(),
        Some("/api/v1/namespaces/shop/pods/web-1/exec")
    );
    assert_eq!(jane.level, Level::Metadata);
    assert_eq!(jane.code, Some(101));
    assert_eq!(jane.succeeded(), Some(true));
    assert_eq!(jane.subresource.as_deref(), Some("exec"));
    // The ResponseComplete line is the one kept: line 3, with its own sha256.
    assert_eq!(jane.stage, Some(Stage::ResponseComplete));
    assert_eq!(jane.locator(), "audit.log:3");
    let line3 = text.lines().nth(2).unwrap();
    assert_eq!(jane.line_sha256, sha256_hex(line3.as_bytes()));
    assert_eq!(
        jane.evidence_record().sha256,
        sha256_hex(&jane.stored_json())
    );
    assert_eq!(jane.time.to_rfc3339(), "2026-07-01T09:12:03+00:00");
    assert_eq!(log.events[1].groups[0], "breakglass");
    assert_eq!(log.events[2].succeeded(), Some(false));
    // Nothing of the body or the raw query is kept.
    let kept = serde_json::to_string(&log.events).unwrap();
    assert!(!kept.contains("abc&"), "{kept}");
    // Six requests at their last stage (the RequestReceived line is not counted).
    let file = &log.files[0];
    assert_eq!(
        (file.shape, file.events, file.lines),
        (Some(Shape::KubeApiserver), 6, 7)
    );
    assert_eq!(
        file.sha256.as_deref(),
        Some(sha256_hex(text.as_bytes()).as_str())
    );
    let record = jane.evidence_record();
    assert_eq!(record.kind, EvidenceKind::Event);
    assert_eq!(record.source, "audit-log:audit.log");
    assert_eq!(record.locator, "audit.log:3");
    assert_eq!(record.time.as_deref(), Some("2026-07-01T09:12:03Z"));
    assert_eq!(record.id, jane.evidence_record().id);
}

#[test]
fn a_request_logged_only_when_received_is_kept_without_an_outcome() {
    let mut first = exec(
        "x-9",
        "2026-07-01T10:00:00Z",
        "jane@example.com",
        &[],
        "RequestReceived",
    );
    first.as_object_mut().unwrap().remove("responseStatus");
    let log = read_text("a.log", &format!("{first}\n"));
    assert_eq!(log.events[0].code, None);
    assert_eq!(log.events[0].succeeded(), None);
    // Not counted as a request: its last stage is not in the log.
    assert_eq!(log.files[0].events, 0);
}

#[test]
fn impersonation_names_both_users() {
    let mut e = exec(
        "x-1",
        "2026-07-01T10:00:00Z",
        "admin@example.com",
        &["ops"],
        "ResponseComplete",
    );
    e["impersonatedUser"] = json!({"username": "system:serviceaccount:shop:deployer",
                                   "groups": ["system:serviceaccounts"]});
    let log = read_text("a.log", &lines(&[e]));
    let ev = &log.events[0];
    assert_eq!(ev.user, "admin@example.com");
    assert_eq!(
        ev.impersonated_user.as_deref(),
        Some("system:serviceaccount:shop:deployer")
    );
    assert_eq!(ev.impersonated_groups, ["system:serviceaccounts"]);
}

fn pod_write(id: &str, verb: &str, level: &str, body: Option<Value>) -> Value {
    let mut e = event(
        id,
        "2026-07-01T11:00:00Z",
        json!({
            "level": level, "verb": verb,
            "requestURI": "/api/v1/namespaces/shop/pods/web-1?fieldManager=kubectl-set",
            "user": {"username": "jane@example.com", "groups": ["dev"]},
            "userAgent": "kubectl/v1.31.0 (linux/amd64) kubernetes/abc",
            "objectRef": {"resource": "pods", "namespace": "shop", "name": "web-1",
                          "apiGroup": "", "apiVersion": "v1"},
        }),
    );
    if let Some(body) = body {
        e["requestObject"] = body;
    }
    e
}

#[test]
fn pod_patches_say_whether_an_image_changed_when_the_level_shows_it() {
    let log = read_text(
        "a.log",
        &lines(&[
            // Metadata: content unknown.
            pod_write("p-1", "patch", "Metadata", None),
            // Request: sets an image (what `kubectl set image pod/...` sends).
            pod_write(
                "p-2",
                "patch",
                "Request",
                Some(json!({"spec": {"containers": [{"name": "app", "image": "shop/api:2.1"}]}})),
            ),
            // Request: a label patch changes no container.
            pod_write(
                "p-3",
                "patch",
                "Request",
                Some(json!({"metadata": {"labels": {"a": "b"}}})),
            ),
            // Request without the body.
            pod_write("p-4", "patch", "Request", None),
            // RequestResponse: a JSON patch of the image.
            pod_write(
                "p-5",
                "patch",
                "RequestResponse",
                Some(
                    json!([{"op": "replace", "path": "/spec/containers/0/image", "value": "shop/api:3"}]),
                ),
            ),
        ]),
    );
    assert!(log.problems.is_empty(), "{:?}", messages(&log));
    let changes: Vec<&Action> = log.events.iter().map(|e| &e.action).collect();
    assert_eq!(
        changes,
        [
            &Action::PodChange {
                change: ImageChange::Unknown {
                    why: Unknown::MetadataLevel
                }
            },
            &Action::PodChange {
                change: ImageChange::Changed {
                    containers: vec![ContainerImage {
                        name: Some("app".into()),
                        image: "shop/api:2.1".into()
                    }]
                }
            },
            &Action::PodChange {
                change: ImageChange::Unknown {
                    why: Unknown::NoBody
                }
            },
            &Action::PodChange {
                change: ImageChange::Changed {
                    containers: vec![ContainerImage {
                        name: None,
                        image: "shop/api:3".into()
                    }]
                }
            },
        ]
    );
    assert_eq!(log.events[1].level, Level::Request);
    assert_eq!(log.counts.get("image-change"), Some(&2));
    assert_eq!(log.counts.get("pod-change-unknown"), Some(&2));
    // The body is never kept.
    assert!(
        !serde_json::to_string(&log.events)
            .unwrap()
            .contains("requestObject")
    );
}

#[test]
fn ephemeral_containers_and_resizes_are_in_place_changes() {
    let mut debug = pod_write(
        "e-1",
        "patch",
        "Request",
        Some(
            json!({"spec": {"ephemeralContainers": [{"name": "debugger-x", "image": "busybox"}]}}),
        ),
    );
    debug["objectRef"]["subresource"] = json!("ephemeralcontainers");
    let mut resize = pod_write("r-1", "patch", "Metadata", None);
    resize["objectRef"]["subresource"] = json!("resize");
    let log = read_text("a.log", &lines(&[debug, resize]));
    assert_eq!(
        log.events[0].action,
        Action::EphemeralContainer {
            containers: vec![ContainerImage {
                name: Some("debugger-x".into()),
                image: "busybox".into()
            }]
        }
    );
    assert_eq!(log.events[1].action, Action::Resize);
}

#[test]
fn commands_through_the_kubelet_and_node_debugging_pods_are_found() {
    let proxy = event(
        "n-1",
        "2026-07-01T12:00:00Z",
        json!({
            "verb": "create",
            "requestURI": "/api/v1/nodes/node-7/proxy/exec/shop/web-1/app?command=id&output=1",
            "user": {"username": "jane@example.com", "groups": ["dev"]},
            "objectRef": {"resource": "nodes", "name": "node-7", "apiGroup": "", "apiVersion": "v1",
                          "subresource": "proxy"},
            "responseStatus": {"code": 200},
        }),
    );
    let metrics = event(
        "n-2",
        "2026-07-01T12:00:01Z",
        json!({
            "requestURI": "/api/v1/nodes/node-7/proxy/metrics",
            "objectRef": {"resource": "nodes", "name": "node-7", "subresource": "proxy"},
        }),
    );
    let debugger_body = json!({
        "metadata": {"name": "node-debugger-node-7-x2b9q", "namespace": "default"},
        "spec": {"nodeName": "node-7", "hostPID": true, "hostNetwork": true, "hostIPC": true,
                 "containers": [{"name": "debugger", "image": "busybox"}],
                 "volumes": [{"name": "host-root", "hostPath": {"path": "/"}}]}
    });
    let mut debugger = pod_write("d-1", "create", "Request", Some(debugger_body.clone()));
    debugger["objectRef"]["name"] = json!("node-debugger-node-7-x2b9q");
    debugger["objectRef"]["namespace"] = json!("default");
    // A DaemonSet's host-network pod, made by the controller: not kubectl debug.
    let mut daemon = pod_write("d-2", "create", "Request", Some(debugger_body));
    daemon["userAgent"] = json!("kube-controller-manager/v1.31.0");
    // At Metadata level, kubectl's name for the pod tells it.
    let mut by_name = pod_write("d-3", "create", "Metadata", None);
    by_name["objectRef"]["name"] = json!("node-debugger-node-8-abcde");
    let log = read_text(
        "a.log",
        &lines(&[proxy, metrics, debugger, daemon, by_name]),
    );
    assert!(log.problems.is_empty(), "{:?}", messages(&log));
    // In time order: the pods at 11:00, the kubelet command at 12:00.
    assert_eq!(
        names(&log),
        ["debug-node", "debug-node", "node-proxy-command"]
    );
    let p = &log.events[2];
    assert_eq!(
        (
            p.node.as_deref(),
            p.namespace.as_deref(),
            p.pod.as_deref(),
            p.container.as_deref()
        ),
        (Some("node-7"), Some("shop"), Some("web-1"), Some("app"))
    );
    assert_eq!(p.command.as_deref().unwrap(), ["id"]);
    assert_eq!(
        log.events[0].action,
        Action::DebugNode {
            host: vec![
                "hostPID".into(),
                "hostNetwork".into(),
                "hostIPC".into(),
                "hostPath:/".into()
            ]
        }
    );
    assert_eq!(log.events[1].action, Action::DebugNode { host: vec![] });
    assert_eq!(
        log.events[1].pod.as_deref(),
        Some("node-debugger-node-8-abcde")
    );
}

#[test]
fn an_update_changes_an_image_against_the_spec_last_seen() {
    let pod = |image: &str| {
        json!({"metadata": {"name": "web-1"},
               "spec": {"containers": [{"name": "app", "image": image}]}})
    };
    let log = read_text(
        "a.log",
        &lines(&[
            pod_write("c-1", "create", "Request", Some(pod("shop/api:1"))),
            // The same images: no change.
            pod_write("u-1", "update", "Request", Some(pod("shop/api:1"))),
            pod_write("u-2", "update", "Request", Some(pod("shop/api:2"))),
        ]),
    );
    assert_eq!(names(&log), ["image-change"]);
    assert_eq!(log.events[0].audit_id.as_deref(), Some("u-2"));
}

#[test]
fn a_line_that_does_not_parse_is_a_problem_and_the_rest_is_read() {
    let mut text = kube_day();
    let mut all: Vec<&str> = text.lines().collect();
    all.insert(3, r#"{"kind":"Event","auditID":"#);
    all.insert(5, r#"{"hello": "world"}"#);
    all.insert(6, "");
    text = all.join("\n");
    let log = read_text("audit.log", &text);
    assert_eq!(names(&log), ["exec", "exec", "exec"]);
    let m = messages(&log);
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(
        m[0].starts_with("audit.log:4: not valid JSON: EOF"),
        "{m:?}"
    );
    assert!(
        m[1].starts_with("audit.log:6: not an audit event: neither a record of this file's shape"),
        "{m:?}"
    );
    assert_eq!(log.problems[0].source, "audit-log:audit.log");
    assert_eq!(log.files[0].problem_lines, 2);
}

#[test]
fn a_file_of_no_known_shape_is_one_problem() {
    let text = "I0701 09:00:00.000000 1 server.go:1] starting\n".repeat(50);
    let log = read_text("apiserver.log", &text);
    assert_eq!(log.problems.len(), 1, "{:?}", messages(&log));
    assert!(
        log.problems[0]
            .message
            .starts_with("not an audit log of a known shape")
    );
    assert_eq!(log.files[0].shape, None);
    // Garbage first, events after: the garbage lines are problems, the events are read.
    let text = format!("not json\n{}", kube_day());
    let log = read_text("audit.log", &text);
    assert_eq!(names(&log).len(), 3);
    assert_eq!(
        messages(&log),
        ["audit.log:1: not valid JSON: expected ident at line 1 column 2"]
    );
}

#[test]
fn a_line_over_the_limit_is_skipped_without_being_held() {
    let long = format!(
        r#"{{"kind":"Event","auditID":"big","x":"{}"}}"#,
        "a".repeat(10_000)
    );
    let text = format!("{}{long}\n{}", kube_day(), kube_day());
    let options = ReadOptions {
        max_line_bytes: 4096,
        ..ReadOptions::default()
    };
    let log = read_bytes("audit.log", text.as_bytes(), &options);
    assert_eq!(
        messages(&log),
        ["audit.log:8: the line is 10039 bytes, over the 4096-byte limit on a line; skipped"]
    );
    // The day read twice: the same audit IDs count once.
    assert_eq!(names(&log).len(), 3);
}

#[test]
fn gzip_is_read_by_its_magic_bytes_and_every_member() {
    let dir = tempfile::tempdir().unwrap();
    let day = kube_day();
    let (a, b) = day.split_at(day.len() / 2);
    let a_end = a.rfind('\n').unwrap() + 1;
    let mut bytes = gzip(&day[..a_end]);
    bytes.extend(gzip(&format!("{}{b}", &a[a_end..])));
    // Named `.log`: the name does not decide.
    let path = dir.path().join("audit-2026-07-01T23-59-59.000.log");
    std::fs::write(&path, &bytes).unwrap();
    let log = read(&[path.display().to_string()], &ReadOptions::default());
    assert!(log.problems.is_empty(), "{:?}", messages(&log));
    assert_eq!(names(&log).len(), 3);
    let file = &log.files[0];
    assert!(file.gzip);
    assert_eq!(file.sha256.as_deref(), Some(sha256_hex(&bytes).as_str()));
    assert_eq!(file.bytes, bytes.len() as u64);
}

#[test]
fn coverage_names_the_days_without_events_and_the_holes_between_files() {
    let dir = tempfile::tempdir().unwrap();
    // A steady event every 20 minutes, from 00:00:10 to 23:40:10, and one at 23:59:50.
    let day = |d: &str| {
        let mut events: Vec<Value> = (0..72)
            .map(|i| {
                let t = format!("{d}T{:02}:{:02}:10Z", i / 3, (i % 3) * 20);
                event(&format!("{d}-{i}"), &t, json!({}))
            })
            .collect();
        events.push(event(
            &format!("{d}-end"),
            &format!("{d}T23:59:50Z"),
            json!({}),
        ));
        lines(&events)
    };
    // 2026-07-03 is missing: its file was lost.
    std::fs::write(
        dir.path().join("audit-1.log"),
        day("2026-07-01") + &day("2026-07-02"),
    )
    .unwrap();
    std::fs::write(dir.path().join("audit-2.log.gz"), gzip(&day("2026-07-04"))).unwrap();
    let log = read(&[dir.path().display().to_string()], &ReadOptions::default());
    assert!(log.problems.is_empty(), "{:?}", messages(&log));
    let period_start = crate::base::timefmt::parse_instant("2026-07-01", false).unwrap();
    let period_end = crate::base::timefmt::parse_instant("2026-07-04", true).unwrap();
    let gaps = log.coverage.gaps(period_start, period_end);
    assert_eq!(
        gaps.missing_days
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>(),
        ["2026-07-03"]
    );
    assert_eq!(gaps.holes.len(), 1, "{gaps:?}");
    let hole = &gaps.holes[0];
    assert_eq!(
        crate::base::timefmt::rfc3339(hole.start),
        "2026-07-02T23:59:50Z"
    );
    assert_eq!(
        crate::base::timefmt::rfc3339(hole.end),
        "2026-07-04T00:00:10Z"
    );
    assert!(hole.after.as_deref().unwrap().ends_with("audit-1.log"));
    assert!(hole.before.as_deref().unwrap().ends_with("audit-2.log.gz"));
    let first = &log.files[0];
    assert_eq!(
        first
            .coverage
            .first
            .map(crate::base::timefmt::rfc3339)
            .as_deref(),
        Some("2026-07-01T00:00:10Z")
    );
    assert_eq!(
        first
            .coverage
            .last
            .map(crate::base::timefmt::rfc3339)
            .as_deref(),
        Some("2026-07-02T23:59:50Z")
    );
    // A period the logs cover in full.
    let end_day2 = crate::base::timefmt::parse_instant("2026-07-02", true).unwrap();
    let covered = log.coverage.gaps(
        crate::base::timefmt::parse_instant("2026-07-01T01:00:00Z", false).unwrap(),
        end_day2 - TimeDelta::minutes(30),
    );
    assert!(covered.is_covered(), "{covered:?}");
}

#[test]
fn eks_exports_are_read_in_each_form() {
    let day = kube_day();
    let events: Vec<Value> = day
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let wrap = |e: &Value, stream: &str| {
        json!({"timestamp": 1_782_900_000_000u64, "message": e.to_string(),
               "logStreamName": stream, "eventId": "3712"})
    };
    // `jq -c '.events[]'` of filter-log-events, with a line of another stream.
    let mut text: String = events
        .iter()
        .map(|e| format!("{}\n", wrap(e, "kube-apiserver-audit-1f2e")))
        .collect();
    text.push_str(&format!(
        "{}\n",
        json!({"message": "time=... msg=\"access granted\"", "logStreamName": "authenticator-9a8b"})
    ));
    let log = read_text("eks.json", &text);
    assert!(
        log.problems.iter().all(|p| p.level == ProblemLevel::Note),
        "{:?}",
        messages(&log)
    );
    assert_eq!(names(&log).len(), 3);
    assert_eq!(log.files[0].shape, Some(Shape::Eks));
    assert_eq!(log.files[0].skipped, 1);
    assert_eq!(log.events[0].shape, Shape::Eks);
    // An S3 export (create-export-task), gzipped.
    let export: String = events
        .iter()
        .map(|e| format!("2026-07-01T09:12:04.000Z {e}\n"))
        .collect();
    let log = read_bytes("000000.gz", &gzip(&export), &ReadOptions::default());
    assert!(log.problems.is_empty(), "{:?}", messages(&log));
    assert_eq!(names(&log).len(), 3);
    // The whole filter-log-events output, pretty-printed.
    let document = serde_json::to_string_pretty(&json!({
        "events": events.iter().map(|e| wrap(e, "kube-apiserver-audit-1f2e")).collect::<Vec<_>>(),
        "searchedLogStreams": [],
        "nextToken": "abc"
    }))
    .unwrap();
    let log = read_text("filter-log-events.json", &document);
    assert!(log.problems.is_empty(), "{:?}", messages(&log));
    assert_eq!(names(&log).len(), 3);
    assert!(log.files[0].document);
    // Each event cites the line its record starts on.
    let first = log.events[0].line as usize;
    let record: Vec<&str> = document.lines().skip(first - 1).take(6).collect();
    assert_eq!(record[0].trim(), "{", "{record:?}");
    assert!(
        record[1..4]
            .iter()
            .any(|l| l.contains(r#"\"auditID\":\"x-1\""#)),
        "{record:?}"
    );
    // Firehose: subscription payloads back to back, no separator.
    let payload = |chunk: &[Value]| {
        json!({"messageType": "DATA_MESSAGE", "logGroup": "/aws/eks/prod/cluster",
               "logStream": "kube-apiserver-audit-1f2e",
               "logEvents": chunk.iter().map(|e| json!({"id": "1", "timestamp": 1, "message": e.to_string()})).collect::<Vec<_>>()})
        .to_string()
    };
    let firehose = format!("{}{}", payload(&events[..3]), payload(&events[3..]));
    let log = read_text("firehose", &firehose);
    assert!(log.problems.is_empty(), "{:?}", messages(&log));
    assert_eq!(names(&log).len(), 3);
    assert_eq!(log.events[0].record, Some(2));
}

#[test]
fn aks_diagnostic_logs_are_read_a_record_a_line_and_wrapped() {
    let day = kube_day();
    let record = |line: &str, category: &str| {
        json!({"time": "2026-07-01T09:12:03.1200000Z", "category": category,
               "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read",
               "resourceId": "/SUBSCRIPTIONS/X/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/PROD",
               "properties": {"log": line, "stream": "stdout", "pod": "kube-apiserver-6d5c"}})
    };
    let mut text: String = day
        .lines()
        .map(|l| format!("{}\n", record(l, "kube-audit")))
        .collect();
    text.push_str(&format!("{}\n", record("I0701 started", "kube-apiserver")));
    let log = read_text("PT1H.json", &text);
    assert_eq!(log.files[0].shape, Some(Shape::Aks));
    assert_eq!(names(&log).len(), 3);
    assert_eq!(log.files[0].skipped, 1);
    assert_eq!(messages(&log).len(), 1, "{:?}", messages(&log));
    // Event Hubs: records wrapped, one record broken.
    let mut records: Vec<Value> = day.lines().map(|l| record(l, "kube-audit-admin")).collect();
    records.insert(1, json!({"category": "kube-audit", "properties": {}}));
    let wrapped = format!("{}\n", json!({"records": records}));
    let log = read_text("eventhub.json", &wrapped);
    assert_eq!(names(&log).len(), 3);
    assert_eq!(
        messages(&log),
        ["eventhub.json:1#1: has no `properties.log`"]
    );
}

fn gke_entry(method: &str, resource: &str, time: &str, extra: Value) -> Value {
    let mut e = json!({
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "serviceName": "k8s.io", "methodName": method, "resourceName": resource,
            "authenticationInfo": {"principalEmail": "jane@example.com"},
            "requestMetadata": {"callerIp": "203.0.113.7",
                                "callerSuppliedUserAgent": "kubectl/v1.31.0 (linux/amd64) kubernetes/abc"},
            "status": {}
        },
        "insertId": format!("{method}{time}"),
        "resource": {"type": "k8s_cluster", "labels": {"cluster_name": "prod", "location": "europe-west1"}},
        "timestamp": time, "severity": "NOTICE",
        "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
        "operation": {"id": format!("op-{time}"), "producer": "k8s.io", "first": true, "last": true}
    });
    merge(&mut e, extra);
    e
}

#[test]
fn gke_cloud_audit_logs_are_read_from_a_sink_and_from_gcloud() {
    let entries = vec![
        gke_entry(
            "io.k8s.coordination.v1.leases.update",
            "coordination.k8s.io/v1/namespaces/kube-system/leases/x",
            "2026-07-01T00:00:01Z",
            json!({}),
        ),
        gke_entry(
            "io.k8s.core.v1.pods.exec.create",
            "core/v1/namespaces/shop/pods/web-1/exec",
            "2026-07-01T09:12:03.120Z",
            json!({}),
        ),
        gke_entry(
            "io.k8s.core.v1.pods.attach.create",
            "core/v1/namespaces/shop/pods/web-2/attach",
            "2026-07-01T09:30:00Z",
            json!({"protoPayload": {"status": {"code": 7, "message": "forbidden"}}}),
        ),
        gke_entry(
            "io.k8s.core.v1.pods.patch",
            "core/v1/namespaces/shop/pods/web-1",
            "2026-07-01T10:00:00Z",
            json!({"protoPayload": {"request": {"@type": "k8s.io/Patch",
                        "spec": {"containers": [{"name": "app", "image": "shop/api:9"}]}}}}),
        ),
        json!({"protoPayload": {"serviceName": "container.googleapis.com",
                                "methodName": "google.container.v1.ClusterManager.GetCluster"},
               "timestamp": "2026-07-01T11:00:00Z"}),
    ];
    let text = lines(&entries);
    let log = read_text("cloudaudit.googleapis.com_activity.json", &text);
    assert_eq!(log.files[0].shape, Some(Shape::Gke));
    assert_eq!(names(&log), ["exec", "attach", "image-change"]);
    let exec = &log.events[0];
    assert_eq!(exec.user, "jane@example.com");
    assert_eq!(exec.source_ips, ["203.0.113.7"]);
    assert_eq!(
        (exec.namespace.as_deref(), exec.pod.as_deref()),
        (Some("shop"), Some("web-1"))
    );
    assert_eq!(exec.code, Some(200));
    assert_eq!(exec.level, Level::Metadata);
    assert_eq!(exec.command, None);
    assert_eq!(log.events[1].code, Some(403));
    assert_eq!(log.events[2].level, Level::Request);
    assert_eq!(log.files[0].skipped, 1);
    // `gcloud logging read --format=json`: a pretty-printed array.
    let array = serde_json::to_string_pretty(&entries).unwrap();
    let log = read_text("gcloud.json", &array);
    assert_eq!(names(&log), ["exec", "attach", "image-change"]);
    assert!(log.files[0].document);
}

#[test]
fn the_same_request_in_two_files_counts_once_and_a_pattern_picks_files() {
    let dir = tempfile::tempdir().unwrap();
    let day = kube_day();
    std::fs::write(dir.path().join("audit-2026-07-01.log"), &day).unwrap();
    // The rotated file copied: the same events again.
    std::fs::write(dir.path().join("audit-2026-07-01.copy.log"), &day).unwrap();
    std::fs::write(dir.path().join("other.txt"), "x").unwrap();
    let pattern = dir.path().join("audit-2026-*.log").display().to_string();
    // The directory and the pattern name the same files: each is read once.
    let log = read(
        &[pattern, dir.path().display().to_string()],
        &ReadOptions::default(),
    );
    assert_eq!(log.files.len(), 3);
    assert_eq!(names(&log).len(), 3);
    assert_eq!(
        log.events[0].file,
        dir.path()
            .join("audit-2026-07-01.copy.log")
            .display()
            .to_string()
    );
    assert_eq!(
        log.problems
            .iter()
            .map(|p| p.message.as_str())
            .collect::<Vec<_>>(),
        [
            "not an audit log of a known shape: its first lines are none of a kube-apiserver audit \
          log, an EKS CloudWatch export, GKE Cloud Audit Logs or AKS diagnostic logs (line 1: not \
          valid JSON: expected value at line 1 column 1); not read"
        ]
    );
}

#[test]
fn events_over_the_limit_are_counted_but_not_kept() {
    let options = ReadOptions {
        max_events: 2,
        ..ReadOptions::default()
    };
    let log = read_bytes("a.log", kube_day().as_bytes(), &options);
    assert_eq!(log.events.len(), 2);
    assert_eq!(log.counts.get("exec"), Some(&3));
    assert_eq!(log.dropped, 1);
    assert!(
        log.problems[0]
            .message
            .contains("1 events that entered or changed")
    );
}

#[test]
fn an_empty_file_is_a_warning() {
    let log = read_text("a.log", "");
    assert_eq!(messages(&log), ["a.log: is empty: it holds no audit event"]);
}

/// A small deterministic generator (xorshift), so the mutations are the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Random mutations of a file of each shape never panic, and every problem names a place.
/// (Stands in for cargo-fuzz targets until the crate has a fuzz/ directory.)
#[test]
fn random_mutations_of_every_shape_never_panic() {
    let day = kube_day();
    let eks: String = day
        .lines()
        .map(|l| {
            format!(
                "{}\n",
                json!({"message": l, "logStreamName": "kube-apiserver-audit-1"})
            )
        })
        .collect();
    let aks: String = day
        .lines()
        .map(|l| {
            format!(
                "{}\n",
                json!({"category": "kube-audit", "properties": {"log": l}})
            )
        })
        .collect();
    let gke = lines(&[
        gke_entry(
            "io.k8s.core.v1.pods.exec.create",
            "core/v1/namespaces/shop/pods/web-1/exec",
            "2026-07-01T09:12:03Z",
            json!({}),
        ),
        gke_entry(
            "io.k8s.core.v1.pods.patch",
            "core/v1/namespaces/shop/pods/web-1",
            "2026-07-01T10:00:00Z",
            json!({"protoPayload": {"request": [{"op": "replace", "path": "/spec/containers/0/image", "value": "x"}]}}),
        ),
    ]);
    let patch = lines(&[
        pod_write(
            "p-2",
            "patch",
            "Request",
            Some(json!({"spec": {"containers": [{"name": "app", "image": "a:2"}]}})),
        ),
        pod_write(
            "p-3",
            "update",
            "Request",
            Some(json!({"metadata": {"name": "web-1"}, "spec": {"hostPID": true}})),
        ),
    ]);
    let document = serde_json::to_string_pretty(
        &json!({"events": [json!({"message": day.lines().next().unwrap()})]}),
    )
    .unwrap();
    let fixtures = [day, eks, aks, gke, patch, document];
    let tokens: [&[u8]; 12] = [
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b",",
        b":",
        b"\n",
        b"\\",
        b"\x1f\x8b",
        b"null",
        b"\xff",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let options = ReadOptions {
        max_line_bytes: 4096,
        max_events: 50,
        ..ReadOptions::default()
    };
    for round in 0..2_000 {
        let mut bytes = fixtures[round % fixtures.len()].as_bytes().to_vec();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(bytes.len() + 1);
            match rng.below(4) {
                0 if !bytes.is_empty() => {
                    let end = (at + rng.below(64)).min(bytes.len());
                    bytes.drain(at.min(end)..end);
                }
                1 => {
                    let t = tokens[rng.below(tokens.len())];
                    bytes.splice(at..at, t.iter().copied());
                }
                2 if at < bytes.len() => bytes[at] = rng.next() as u8,
                _ => bytes.truncate(at),
            }
        }
        let log = read_bytes("fuzz.log", &bytes, &options);
        for p in &log.problems {
            assert!(!p.location.is_empty() && !p.message.is_empty(), "{p:?}");
        }
    }
}

#[test]
fn a_hole_inside_a_day_between_two_files_is_named_with_both_files() {
    let dir = tempfile::tempdir().unwrap();
    // Every 10 minutes from 00:00 to 08:50 in one file, from 14:00 to 23:50 in the next:
    // the day has events, but nothing accounts for 08:50 to 14:00.
    let span = |from: u32, to: u32| {
        let events: Vec<Value> = (from * 6..to * 6)
            .map(|i| {
                let t = format!("2026-07-01T{:02}:{:02}:00Z", i / 6, (i % 6) * 10);
                event(&format!("e{i}"), &t, json!({}))
            })
            .collect();
        lines(&events)
    };
    std::fs::write(dir.path().join("audit-1.log"), span(0, 9)).unwrap();
    std::fs::write(dir.path().join("audit-2.log"), span(14, 24)).unwrap();
    let log = read(&[dir.path().display().to_string()], &ReadOptions::default());
    assert!(log.problems.is_empty(), "{:?}", messages(&log));
    let start = crate::base::timefmt::parse_instant("2026-07-01", false).unwrap();
    let end = crate::base::timefmt::parse_instant("2026-07-01T23:59:59Z", true).unwrap();
    let gaps = log.coverage.gaps(start, end);
    assert!(gaps.missing_days.is_empty(), "{gaps:?}");
    assert_eq!(gaps.holes.len(), 1, "{gaps:?}");
    let hole = &gaps.holes[0];
    assert_eq!(
        crate::base::timefmt::rfc3339(hole.start),
        "2026-07-01T08:50:00Z"
    );
    assert_eq!(
        crate::base::timefmt::rfc3339(hole.end),
        "2026-07-01T14:00:00Z"
    );
    assert!(hole.after.as_deref().unwrap().ends_with("audit-1.log"));
    assert!(hole.before.as_deref().unwrap().ends_with("audit-2.log"));
}

#[test]
fn a_file_read_as_one_shape_still_reads_a_line_of_another() {
    // The fuzz targets read every file as one shape: a kube-apiserver event in a file
    // taken to be AKS is read as what it is, and a line of no shape is a problem.
    let line = event(
        "a1",
        "2026-07-01T10:00:00Z",
        json!({"objectRef": {"resource": "pods", "namespace": "shop", "name": "api-1", "subresource": "exec"}, "verb": "create", "requestURI": "/api/v1/namespaces/shop/pods/api-1/exec?command=sh"}),
    );
    let text = lines(&[line]) + "not json\n";
    let log = super::read_bytes_as(
        "audit.log",
        text.as_bytes(),
        &ReadOptions::default(),
        Shape::Aks,
    );
    assert_eq!(log.files[0].shape, Some(Shape::Aks));
    assert_eq!(log.files[0].events, 1);
    assert_eq!(log.problems.len(), 1, "{:?}", messages(&log));
    assert!(log.problems[0].location.ends_with("audit.log:2"));
}
