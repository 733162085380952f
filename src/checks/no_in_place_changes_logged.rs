//! `no-in-place-changes-logged`: the API audit log records no one entering or changing a
//! running container during the period.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Check, CheckContext, CheckMeta};
use crate::checks::family::audit::{Window, day_ranges, logs_subject, no_audit_log_given};
use crate::collect::audit::{Action, AuditEvent, ImageChange, Unknown};
use crate::evidence::finding::{Finding, Status, Subject};

crate::declare_check! {
    /// ## What it checks
    /// Every event of the `--audit-log` files within the period whose request succeeded
    /// (`responseStatus.code` below 400) and entered or changed a running container is its
    /// own finding: `create` (or `get`, the older WebSocket path) on `pods/exec` and
    /// `pods/attach`, `patch`/`update` on `pods/ephemeralcontainers` and `pods/resize`, a
    /// `patch`/`update` of a pod that changed a container image, a command run through a
    /// kubelet (`nodes/proxy` to `exec`, `run`, `attach`), and a pod on a node's host
    /// namespaces created with kubectl (`kubectl debug node/...`). Each fails, naming the
    /// user (and the user it impersonated), groups, source IPs, user agent, time,
    /// namespace, pod and container, and the command when the log holds it, redacted as
    /// container arguments are. A pod patch logged at `Metadata` level (no body) warns: its
    /// content is unknown. A subject listed under `audit: {allowed-users, allowed-groups}`
    /// (break-glass) warns instead of failing and is named as such.
    ///
    /// Days of the period without any audit event are `not_assessed` and named: an empty
    /// day cannot be told from a missing log, so such a period never passes. So are lines
    /// of the logs that could not be read. Without `--audit-log` the check is not assessed
    /// and the controls are judged without it.
    ///
    /// ## Why it matters
    /// The workload objects show what should run; the audit log shows what people did to
    /// what was running. A shell opened in a production container, or an image swapped
    /// under a running pod, is the in-place change that replacing containers rules out
    /// (PR.PS-02.242), and a change the next rollout silently undoes.
    ///
    /// ## Evidence used
    /// The Kubernetes API audit log (`--audit-log`: the kube-apiserver's JSON lines, or the
    /// EKS, GKE or AKS exports), each file hashed; each finding cites its event's line.
    ///
    /// ## Example
    /// ```json
    /// {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete",
    ///  "verb":"create","user":{"username":"alice@example.com"},"sourceIPs":["10.0.0.7"],
    ///  "requestURI":"/api/v1/namespaces/shop/pods/api-7d9f/exec?command=sh&container=web",
    ///  "objectRef":{"resource":"pods","subresource":"exec","namespace":"shop","name":"api-7d9f"},
    ///  "responseStatus":{"code":101},"requestReceivedTimestamp":"2026-07-02T10:00:00Z"}
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242 (and its related question on monitoring
    ///   deviations from approved baselines)
    /// - Kubernetes: Auditing
    pub struct NoInPlaceChangesLogged {
        id: "no-in-place-changes-logged",
        title: "The API audit log records no change to a running container",
        severity: High,
    }
}

impl Check for NoInPlaceChangesLogged {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn summary(&self, findings: &[&Finding]) -> Option<String> {
        let time = |f: &Finding| {
            f.details
                .get("time")
                .and_then(|t| t.as_str())
                .unwrap_or("")
                .to_string()
        };
        let mut hits: Vec<&&Finding> = findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Warn))
            .filter(|f| f.details.contains_key("user"))
            .collect();
        // The first events in time, whatever order the findings are listed in.
        hits.sort_by_key(|f| time(f));
        let mut by_action: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &hits {
            let action = f
                .details
                .get("action")
                .and_then(|a| a.as_str())
                .unwrap_or("-");
            *by_action.entry(action).or_default() += 1;
        }
        let first: Vec<String> = hits
            .iter()
            .take(3)
            .map(|f| {
                let at = f.details.get("time").and_then(|t| t.as_str()).unwrap_or("");
                let who = f.details.get("user").and_then(|u| u.as_str()).unwrap_or("");
                format!("{} by {who} at {at}", f.subject.display_name())
            })
            .collect();
        Some(changes_summary(&by_action, &first))
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        let Some(log) = ctx.audit else {
            return vec![no_audit_log_given(ctx, meta)];
        };
        let files = log.file_record_ids();
        let Some(window) = Window::of(log, ctx.settings.period.as_ref()) else {
            return vec![
                Finding::new(
                    meta.id,
                    meta.severity,
                    Status::NotAssessed,
                    logs_subject(),
                    no_events_at_all(),
                )
                .evidence(files),
            ];
        };
        let settings = &ctx.settings.audit;
        let mut out = Vec::new();
        let mut denied = 0usize;
        for event in log.events.iter().filter(|e| window.contains(e.time)) {
            if event.succeeded() == Some(false) {
                denied += 1;
                continue;
            }
            let unknown = match &event.action {
                Action::PodChange {
                    change: ImageChange::Unknown { why },
                } => Some(*why),
                _ => None,
            };
            let break_glass = settings.break_glass(event);
            let status = if unknown.is_some() || break_glass.is_some() {
                Status::Warn
            } else {
                Status::Fail
            };
            out.push(event_finding(meta, event, status, unknown, break_glass));
        }
        if log.dropped > 0 {
            out.push(
                Finding::new(
                    meta.id,
                    meta.severity,
                    Status::Warn,
                    logs_subject(),
                    events_not_listed(log.dropped),
                )
                .evidence(files.clone())
                .key("not-listed"),
            );
        }
        let missing = window.missing_days();
        if !missing.is_empty() {
            out.push(
                Finding::new(
                    meta.id,
                    meta.severity,
                    Status::NotAssessed,
                    logs_subject(),
                    days_not_covered(missing, &window.describe()),
                )
                .evidence(files.clone())
                .detail(
                    "uncovered_days",
                    json!(missing.iter().map(|d| d.to_string()).collect::<Vec<_>>()),
                )
                .key("uncovered-days"),
            );
        }
        let holes = window.inner_holes();
        if !holes.is_empty() {
            out.push(
                Finding::new(
                    meta.id,
                    meta.severity,
                    Status::NotAssessed,
                    logs_subject(),
                    holes_not_covered(&holes, log.coverage.gap_threshold().num_minutes()),
                )
                .evidence(files.clone())
                .detail(
                    "uncovered_stretches",
                    json!(
                        holes
                            .iter()
                            .map(|h| json!({
                                "start": crate::base::timefmt::rfc3339(h.start),
                                "end": crate::base::timefmt::rfc3339(h.end),
                            }))
                            .collect::<Vec<_>>()
                    ),
                )
                .key("uncovered-stretches"),
            );
        }
        for file in log.files.iter().filter(|f| f.problem_lines > 0) {
            out.push(
                Finding::new(
                    meta.id,
                    meta.severity,
                    Status::NotAssessed,
                    logs_subject(),
                    lines_not_read(&file.file, file.problem_lines),
                )
                .evidence(files.clone())
                .detail("file", json!(file.file))
                .key(format!("unread:{}", file.file)),
            );
        }
        let judged = out
            .iter()
            .any(|f| matches!(f.status, Status::Fail | Status::Warn));
        let total_days = (window.end.date_naive() - window.start.date_naive()).num_days() + 1;
        let covered = usize::try_from(total_days)
            .unwrap_or(0)
            .saturating_sub(missing.len());
        if !judged && covered > 0 {
            let read: u64 = log.files.iter().map(|f| f.events).sum();
            out.push(
                Finding::new(
                    meta.id,
                    meta.severity,
                    Status::Pass,
                    logs_subject(),
                    nothing_logged(covered, &window.describe(), read, denied),
                )
                .evidence(files)
                .detail("days_covered", json!(covered))
                .detail("events_read", json!(read))
                .detail("denied", json!(denied)),
            );
        }
        out
    }
}

/// The subject an event is about: the pod (and container) it entered or changed, or the
/// node whose kubelet ran a command for a pod the path does not name.
fn event_subject(event: &AuditEvent) -> Subject {
    let source = crate::collect::audit::source_id(&event.input);
    match (&event.pod, &event.node) {
        (None, Some(node)) => Subject {
            kind: "Node".into(),
            name: node.clone(),
            source,
            path: Some(event.file.clone()),
            line: u32::try_from(event.line).ok(),
            ..Default::default()
        },
        _ => Subject {
            kind: "Pod".into(),
            namespace: event.namespace.clone(),
            name: event.pod.clone().unwrap_or_default(),
            container: event.container.clone(),
            source,
            path: Some(event.file.clone()),
            line: u32::try_from(event.line).ok(),
            via: None,
        },
    }
}

fn event_finding(
    meta: &CheckMeta,
    event: &AuditEvent,
    status: Status,
    unknown: Option<Unknown>,
    break_glass: Option<String>,
) -> Finding {
    let time = crate::base::timefmt::rfc3339(event.time);
    // The audit ID names the request in every run; a log without one falls back to when
    // and where it was logged.
    let key = event
        .audit_id
        .clone()
        .unwrap_or_else(|| format!("{time} {}", event.locator()));
    Finding::new(
        meta.id,
        meta.severity,
        status,
        event_subject(event),
        event_message(event, &time, unknown, break_glass.as_deref()),
    )
    .evidence([event.evidence_record().id])
    .key(key)
    .detail("action", json!(event.action.name()))
    .detail("verb", json!(event.verb))
    .detail("user", json!(event.user))
    .detail("impersonated_user", json!(event.impersonated_user))
    .detail("groups", json!(event.groups))
    .detail("source_ips", json!(event.source_ips))
    .detail("user_agent", json!(event.user_agent))
    .detail("time", json!(time))
    .detail("namespace", json!(event.namespace))
    .detail("pod", json!(event.pod))
    .detail("container", json!(event.container))
    .detail("node", json!(event.node))
    .detail("command", json!(event.command))
    .detail("code", json!(event.code))
    .detail("level", json!(event.level))
    .detail("audit_id", json!(event.audit_id))
    .detail("logged_at", json!(event.locator()))
    .detail("break_glass", json!(break_glass))
}

// Wording.

fn event_message(
    event: &AuditEvent,
    time: &str,
    unknown: Option<Unknown>,
    break_glass: Option<&str>,
) -> String {
    let target = match (&event.namespace, &event.pod) {
        (Some(ns), Some(pod)) => format!("pod {ns}/{pod}"),
        (None, Some(pod)) => format!("pod {pod}"),
        _ => "a pod the log does not name".to_string(),
    };
    let container = event
        .container
        .as_ref()
        .map(|c| format!(" container {c}"))
        .unwrap_or_default();
    let command = match &event.command {
        Some(words) => format!("`{}`", words.join(" ")),
        None => "a command the log does not record".to_string(),
    };
    let what = match &event.action {
        Action::Exec => format!("ran {command} in {target}{container}"),
        Action::Attach => format!("attached to {target}{container}"),
        Action::EphemeralContainer { containers } if containers.is_empty() => {
            format!("added a debug container to {target}")
        }
        Action::EphemeralContainer { containers } => format!(
            "added the debug container {} to {target}",
            containers
                .iter()
                .map(|c| format!("{} ({})", c.name.as_deref().unwrap_or("unnamed"), c.image))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Action::Resize => format!("resized the running {target} in place"),
        Action::PodChange {
            change: ImageChange::Changed { containers },
        } => format!(
            "changed the image of the running {target}: {}",
            containers
                .iter()
                .map(|c| match &c.name {
                    Some(n) => format!("container {n} to {}", c.image),
                    None => format!("a container to {}", c.image),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Action::PodChange { .. } => format!("{} the running {target}", past(&event.verb)),
        Action::NodeProxy { endpoint } => {
            let node = event.node.as_deref().unwrap_or("a node");
            match &event.pod {
                Some(_) => format!(
                    "ran {command} in {target}{container} through the kubelet of node {node} ({endpoint})"
                ),
                None => format!("ran {command} through the kubelet of node {node} ({endpoint})"),
            }
        }
        Action::DebugNode { host } if host.is_empty() => {
            format!("created the node debugging {target} with kubectl debug node/")
        }
        Action::DebugNode { host } => format!(
            "created {target} on the node's {} with kubectl",
            host.join(", ")
        ),
    };
    let mut who = if event.user.is_empty() {
        "a user the log does not name".to_string()
    } else {
        event.user.clone()
    };
    if let Some(as_user) = &event.impersonated_user {
        who.push_str(&format!(" (as {as_user})"));
    }
    let mut s = format!("{who} {what} at {time}");
    if !event.groups.is_empty() {
        s.push_str(&format!("; groups {}", event.groups.join(", ")));
    }
    if !event.source_ips.is_empty() {
        s.push_str(&format!("; from {}", event.source_ips.join(", ")));
    }
    if let Some(agent) = &event.user_agent {
        s.push_str(&format!("; user agent {agent}"));
    }
    s.push_str(&format!(" ({})", event.locator()));
    if event.code.is_none() {
        s.push_str("; the log does not record whether the request succeeded");
    }
    if let Some(why) = unknown {
        s.push_str(&format!(
            ": what it changed is not known, {}; log pod patches at Request level to tell",
            unknown_why(why)
        ));
    }
    if let Some(subject) = break_glass {
        s.push_str(&format!(
            "; {subject} is a break-glass subject (audit: in the config), so this warns"
        ));
    }
    s
}

fn past(verb: &str) -> &'static str {
    match verb {
        "update" => "updated",
        _ => "patched",
    }
}

fn unknown_why(why: Unknown) -> &'static str {
    match why {
        Unknown::MetadataLevel => "the event was logged at Metadata level, without the body",
        Unknown::NoBody => "the log holds no request body",
        Unknown::UnreadableBody => "its body is not a pod or a patch that could be read",
        Unknown::NoEarlierSpec => "the pod's earlier spec is not in the logs to compare with",
        Unknown::MoveOrCopy => "the patch moves or copies into the containers",
    }
}

fn no_events_at_all() -> String {
    "the audit logs hold no event and no period was given: there is nothing to judge; give \
     the logs of the period and --period"
        .to_string()
}

fn events_not_listed(dropped: u64) -> String {
    format!(
        "{dropped} more events that entered or changed a running container were counted but \
         not listed (over the limit kept in memory): read a shorter period to list them"
    )
}

fn days_not_covered(days: &[chrono::NaiveDate], window: &str) -> String {
    format!(
        "the audit logs hold no event at all on {} of {window} ({}): whether anyone \
         entered or changed a running container on those days is not known; give the logs \
         of those days",
        crate::base::phrase::days(days.len() as i64),
        day_ranges(days, 10)
    )
}

fn holes_not_covered(holes: &[&crate::collect::audit::Hole], minutes: i64) -> String {
    let listed: Vec<String> = holes
        .iter()
        .take(5)
        .map(|h| {
            format!(
                "{} to {}",
                crate::base::timefmt::rfc3339(h.start),
                crate::base::timefmt::rfc3339(h.end)
            )
        })
        .collect();
    let more = match holes.len() {
        n if n > 5 => format!(" and {} more", n - 5),
        _ => String::new(),
    };
    format!(
        "the audit logs hold no event for over {minutes} minutes in {} stretch(es) of days that \
         have events ({}{more}): whether anyone entered or changed a running container then is \
         not known; give the logs of those hours",
        holes.len(),
        listed.join(", ")
    )
}

fn lines_not_read(file: &str, lines: u64) -> String {
    format!(
        "{} of {file} could not be read (see the input problems): what {} is not \
         assessed",
        match lines {
            1 => "1 line".to_string(),
            n => format!("{n} lines"),
        },
        if lines == 1 {
            "it records"
        } else {
            "they record"
        }
    )
}

fn nothing_logged(days: usize, window: &str, read: u64, denied: usize) -> String {
    let denied = match denied {
        0 => String::new(),
        n => format!("; {n} such requests were denied"),
    };
    format!(
        "the audit logs record no one entering or changing a running container on the \
         {} of {window} they cover ({read} events read{denied})",
        crate::base::phrase::days(days as i64)
    )
}

fn changes_summary(by_action: &BTreeMap<&str, usize>, first: &[String]) -> String {
    if by_action.is_empty() {
        return "The API audit logs record no exec, attach, debug container or image change \
                of a running container in the days they cover."
            .to_string();
    }
    let counts: Vec<String> = by_action.iter().map(|(a, n)| format!("{n} {a}")).collect();
    format!(
        "The API audit logs record {} events that entered or changed a running container ({}); \
         the first: {}.",
        by_action.values().sum::<usize>(),
        counts.join(", "),
        first.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::family::audit::AuditSettings;
    use crate::checks::test_support::ctx_with_audit;
    use crate::collect::audit::{ReadOptions, read_bytes};

    fn line(user: &str, group: &str, day: &str, sub: &str, verb: &str, code: u16) -> String {
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{user}-{day}-{sub}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods/api-1/{sub}?command=sh&command=-c&command=mysql%20-phunter2&container=web","verb":"{verb}","user":{{"username":"{user}","groups":["{group}"]}},"sourceIPs":["10.0.0.7"],"userAgent":"kubectl/v1.30.0","objectRef":{{"resource":"pods","namespace":"shop","name":"api-1","subresource":"{sub}"}},"responseStatus":{{"code":{code}}},"requestReceivedTimestamp":"{day}T10:00:00.000000Z","stageTimestamp":"{day}T10:00:01.000000Z"}}"#
        )
    }

    fn lease(day: &str) -> String {
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"l-{day}","stage":"ResponseComplete","requestURI":"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/x","verb":"update","user":{{"username":"system:kube-scheduler"}},"objectRef":{{"resource":"leases","namespace":"kube-system","name":"x"}},"responseStatus":{{"code":200}},"requestReceivedTimestamp":"{day}T00:00:00.000000Z","stageTimestamp":"{day}T23:59:59.000000Z"}}"#
        )
    }

    fn period(since: &str, until: &str) -> crate::evidence::period::Period {
        crate::evidence::period::Period::from_args(
            None,
            Some(since),
            Some(until),
            chrono::Utc::now(),
        )
        .unwrap()
        .unwrap()
    }

    /// The check over `text`, holes inside days not counted (these fixtures have one event
    /// a day besides the one of interest; see the test of holes for them).
    fn run(text: &str, audit: AuditSettings, since: &str, until: &str) -> Vec<Finding> {
        let options = ReadOptions {
            gap_threshold: chrono::TimeDelta::days(2),
            ..ReadOptions::default()
        };
        run_with(text, audit, since, until, &options)
    }

    fn run_with(
        text: &str,
        audit: AuditSettings,
        since: &str,
        until: &str,
        options: &ReadOptions,
    ) -> Vec<Finding> {
        let log = read_bytes("audit.log", text.as_bytes(), options);
        ctx_with_audit(&log, audit, Some(period(since, until)), |ctx| {
            NoInPlaceChangesLogged.evaluate(ctx)
        })
    }

    #[test]
    fn an_exec_fails_naming_who_where_and_the_redacted_command() {
        let text = [
            lease("2026-07-01"),
            line("alice", "devs", "2026-07-01", "exec", "create", 101),
            lease("2026-07-02"),
        ]
        .join("\n");
        let findings = run(&text, AuditSettings::default(), "2026-07-01", "2026-07-02");
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = &findings[0];
        assert_eq!(f.status, Status::Fail);
        assert_eq!(f.subject.display_name(), "Pod shop/api-1 container web");
        for says in [
            "alice ran `sh -c mysql -p[REDACTED]` in pod shop/api-1 container web",
            "at 2026-07-01T10:00:00Z",
            "groups devs",
            "from 10.0.0.7",
            "user agent kubectl/v1.30.0",
            "(audit.log:2)",
        ] {
            assert!(f.message.contains(says), "{says}: {}", f.message);
        }
        assert!(!f.message.contains("hunter2"));
        assert_eq!(f.evidence.len(), 1);
    }

    #[test]
    fn break_glass_subjects_warn_and_denied_requests_do_not_count() {
        let text = [
            lease("2026-07-01"),
            line("oncall-bob", "sre", "2026-07-01", "attach", "create", 101),
            line("carol", "breakglass", "2026-07-01", "exec", "create", 101),
            line("mallory", "devs", "2026-07-01", "exec", "create", 403),
        ]
        .join("\n");
        let audit = AuditSettings {
            allowed_users: vec!["oncall-bob".into()],
            allowed_groups: vec!["breakglass".into()],
        };
        let findings = run(&text, audit, "2026-07-01", "2026-07-01");
        let statuses: Vec<Status> = findings.iter().map(|f| f.status).collect();
        assert_eq!(statuses, [Status::Warn, Status::Warn], "{findings:#?}");
        assert!(
            findings[0]
                .message
                .contains("user oncall-bob is a break-glass subject")
        );
        assert!(
            findings[1]
                .message
                .contains("group breakglass is a break-glass subject")
        );
        assert!(!findings.iter().any(|f| f.message.contains("mallory")));
    }

    #[test]
    fn a_metadata_pod_patch_warns_as_unknown_content() {
        let patch = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"p1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods/api-1","verb":"patch","user":{"username":"dave"},"objectRef":{"resource":"pods","namespace":"shop","name":"api-1"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-07-01T12:00:00Z","stageTimestamp":"2026-07-01T12:00:00Z"}"#;
        let findings = run(patch, AuditSettings::default(), "2026-07-01", "2026-07-01");
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].status, Status::Warn);
        assert!(
            findings[0]
                .message
                .contains("dave patched the running pod shop/api-1")
        );
        assert!(findings[0].message.contains("logged at Metadata level"));
    }

    #[test]
    fn uncovered_days_are_not_assessed_and_named_never_a_pass() {
        let text = [lease("2026-07-01"), lease("2026-07-03")].join("\n");
        let findings = run(&text, AuditSettings::default(), "2026-07-01", "2026-07-04");
        let statuses: Vec<Status> = findings.iter().map(|f| f.status).collect();
        assert_eq!(
            statuses,
            [Status::NotAssessed, Status::Pass],
            "{findings:#?}"
        );
        assert!(findings[0].message.contains("on 2 days of the period"));
        assert!(findings[0].message.contains("(2026-07-02, 2026-07-04)"));
        assert!(findings[1].message.contains("on the 2 days of the period"));
        // The roll-up of a pass with a not_assessed finding is a warning, never a pass.
    }

    #[test]
    fn a_silence_inside_a_day_with_events_is_not_assessed_naming_the_hours() {
        // Events at 00:00 and 23:59:59 only (the lease's received and logged times): the
        // day has events, but nothing from 00:00 to 10:00 and 10:00 to 23:59.
        let text = [
            lease("2026-07-01"),
            line("alice", "devs", "2026-07-01", "exec", "create", 101),
        ]
        .join("\n");
        let findings = run_with(
            &text,
            AuditSettings::default(),
            "2026-07-01",
            "2026-07-01",
            &ReadOptions::default(),
        );
        let statuses: Vec<Status> = findings.iter().map(|f| f.status).collect();
        assert_eq!(
            statuses,
            [Status::Fail, Status::NotAssessed],
            "{findings:#?}"
        );
        let message = &findings[1].message;
        assert!(
            message.contains("no event for over 60 minutes in 2 stretch(es)")
                && message.contains("2026-07-01T00:00:00Z to 2026-07-01T10:00:01Z")
                && message.contains("2026-07-01T10:00:01Z to 2026-07-01T23:59:59Z"),
            "{message}"
        );
    }

    #[test]
    fn without_audit_logs_the_check_is_not_assessed_saying_why() {
        let findings = crate::checks::test_support::ctx_without_audit(|ctx| {
            NoInPlaceChangesLogged.evaluate(ctx)
        });
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].status, Status::NotAssessed);
        assert!(findings[0].message.starts_with("no audit log was given"));
    }
}
