//! `audit-log-covers-period`: the API audit logs given account for every day of the period,
//! without holes between or inside the files.

use serde_json::json;

use super::{Check, CheckContext, CheckMeta};
use crate::checks::family::audit::{Window, day_ranges, logs_subject, no_audit_log_given};
use crate::collect::audit::{AuditLog, Hole};
use crate::evidence::finding::{Finding, Status};

crate::declare_check! {
    /// ## What it checks
    /// The `--audit-log` files cover the period: the time range of their events, the days
    /// of the period (UTC) with no event at all, and the holes, stretches longer than an
    /// hour with no event, between the files (one file's last event and the next one's
    /// first) or inside one. Days without any event fail, named; each hole warns, naming
    /// the files on either side (a hole over a missing day too). Logs that cover every day without
    /// a hole pass, citing each file with its sha256. Without a period the logs' own range
    /// of whole days is judged. Without `--audit-log` the check is not assessed.
    ///
    /// ## Why it matters
    /// `no-in-place-changes-logged` can only speak for the time the logs cover: a log that
    /// was rotated away, or a shipper that stopped for a week, hides exactly the changes an
    /// auditor asks about. A steady event (the kube-system leases the control plane renews
    /// every few seconds, logged at `Metadata`) lets a quiet day be told from a missing one.
    ///
    /// ## Evidence used
    /// The timestamps of every event of every `--audit-log` file, each file hashed.
    ///
    /// ## Example
    /// ```text
    /// audit-2026-07-01.log.gz   2026-07-01T00:00:03Z .. 2026-07-01T23:59:58Z
    /// (no file)                 2026-07-02                 <- fails: a day with no event
    /// audit-2026-07-03.log.gz   2026-07-03T00:00:01Z .. 2026-07-03T23:59:59Z
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242
    /// - Kubernetes: Auditing (audit policy, log backend and rotation)
    pub struct AuditLogCoversPeriod {
        id: "audit-log-covers-period",
        title: "The API audit logs cover the whole period",
        severity: Medium,
    }
}

impl Check for AuditLogCoversPeriod {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn summary(&self, findings: &[&Finding]) -> Option<String> {
        let files = findings
            .iter()
            .find_map(|f| f.details.get("files").and_then(|v| v.as_array()))?;
        let listed: Vec<String> = files
            .iter()
            .filter_map(|f| {
                Some(format!(
                    "{} (sha256 {})",
                    f.get("file")?.as_str()?,
                    f.get("sha256")?.as_str()?
                ))
            })
            .collect();
        Some(files_summary(&listed))
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        let Some(log) = ctx.audit else {
            return vec![no_audit_log_given(ctx, meta)];
        };
        let evidence = log.file_record_ids();
        let files = files_detail(log);
        let finding = |status, message: String| {
            Finding::new(meta.id, meta.severity, status, logs_subject(), message)
                .evidence(evidence.clone())
                .detail("files", files.clone())
        };
        let Some(window) = Window::of(log, ctx.settings.period.as_ref()) else {
            return vec![finding(Status::Fail, no_events())];
        };
        let range = log.coverage.range();
        let first = range.map(|r| crate::base::timefmt::rfc3339(r.start));
        let last = range.map(|r| crate::base::timefmt::rfc3339(r.end));
        let missing = window.missing_days();
        let days: Vec<String> = missing.iter().map(|d| d.to_string()).collect();
        // A hole over a missing day is listed too: it names the files on either side.
        let holes: Vec<&Hole> = window.gaps.holes.iter().collect();
        let threshold = log.coverage.gap_threshold();
        let mut out = Vec::new();
        if !missing.is_empty() {
            out.push(
                finding(
                    Status::Fail,
                    days_missing(
                        missing,
                        &window.describe(),
                        first.as_deref(),
                        last.as_deref(),
                    ),
                )
                .detail("missing_days", json!(days))
                .key("missing-days"),
            );
        }
        if !holes.is_empty() {
            out.push(
                finding(Status::Warn, holes_found(&holes, threshold.num_minutes()))
                    .detail(
                        "holes",
                        json!(
                            holes
                                .iter()
                                .map(|h| json!({
                                    "start": crate::base::timefmt::rfc3339(h.start),
                                    "end": crate::base::timefmt::rfc3339(h.end),
                                    "after": h.after,
                                    "before": h.before,
                                }))
                                .collect::<Vec<_>>()
                        ),
                    )
                    .key("holes"),
            );
        }
        if out.is_empty() {
            out.push(
                finding(
                    Status::Pass,
                    covered(
                        &window.describe(),
                        log.files.len(),
                        first.as_deref(),
                        last.as_deref(),
                    ),
                )
                .detail("first_event", json!(first))
                .detail("last_event", json!(last)),
            );
        }
        out
    }
}

fn files_detail(log: &AuditLog) -> serde_json::Value {
    json!(
        log.files
            .iter()
            .map(|f| json!({
                "file": f.file,
                "sha256": f.sha256,
                "shape": f.shape.map(|s| s.describe()),
                "events": f.events,
                "first_event": f.coverage.first.map(crate::base::timefmt::rfc3339),
                "last_event": f.coverage.last.map(crate::base::timefmt::rfc3339),
            }))
            .collect::<Vec<_>>()
    )
}

// Wording.

fn no_events() -> String {
    "the audit logs hold no event at all: they cover nothing; check that the files are the \
     API server's audit log"
        .to_string()
}

fn range_words(first: Option<&str>, last: Option<&str>) -> String {
    match (first, last) {
        (Some(a), Some(b)) => format!("events from {a} to {b}"),
        _ => "no events".to_string(),
    }
}

fn days_missing(
    days: &[chrono::NaiveDate],
    window: &str,
    first: Option<&str>,
    last: Option<&str>,
) -> String {
    format!(
        "the audit logs hold no event at all on {} of {window}: {} ({}); give the logs of \
         those days, or log a steady event (kube-system leases) so that a quiet day shows",
        crate::base::phrase::days(days.len() as i64),
        day_ranges(days, 10),
        range_words(first, last)
    )
}

fn holes_found(holes: &[&Hole], minutes: i64) -> String {
    let listed: Vec<String> = holes
        .iter()
        .take(10)
        .map(|h| {
            let mut s = format!(
                "{} to {}",
                crate::base::timefmt::rfc3339(h.start),
                crate::base::timefmt::rfc3339(h.end)
            );
            match (&h.after, &h.before) {
                (Some(a), Some(b)) if a != b => s.push_str(&format!(" (between {a} and {b})")),
                (Some(a), Some(_)) => s.push_str(&format!(" (inside {a})")),
                (Some(a), None) => s.push_str(&format!(" (after the end of {a})")),
                (None, Some(b)) => s.push_str(&format!(" (before the start of {b})")),
                (None, None) => {}
            }
            s
        })
        .collect();
    let more = match holes.len() {
        n if n > 10 => format!("; and {} more", n - 10),
        _ => String::new(),
    };
    format!(
        "the audit logs have {} of more than {minutes} minutes with no event: {}{more}; a \
         rotated or lost file leaves such a hole",
        match holes.len() {
            1 => "1 stretch".to_string(),
            n => format!("{n} stretches"),
        },
        listed.join("; ")
    )
}

fn covered(window: &str, files: usize, first: Option<&str>, last: Option<&str>) -> String {
    format!(
        "the {files} audit log files cover every day of {window} with no stretch of more than \
         an hour without an event ({})",
        range_words(first, last)
    )
}

fn files_summary(files: &[String]) -> String {
    format!("The API audit log files read: {}.", files.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::family::audit::AuditSettings;
    use crate::checks::test_support::{ctx_with_audit, ctx_without_audit};
    use crate::collect::audit::{ReadOptions, read_bytes};

    fn lease(at: &str) -> String {
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"l-{at}","stage":"ResponseComplete","requestURI":"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/x","verb":"update","user":{{"username":"system:kube-scheduler"}},"objectRef":{{"resource":"leases","namespace":"kube-system","name":"x"}},"responseStatus":{{"code":200}},"requestReceivedTimestamp":"{at}","stageTimestamp":"{at}"}}"#
        )
    }

    /// Every half hour of the day.
    fn steady(day: &str) -> Vec<String> {
        (0..48)
            .map(|i| lease(&format!("{day}T{:02}:{:02}:00Z", i / 2, (i % 2) * 30)))
            .collect()
    }

    fn run(lines: &[String], since: &str, until: &str) -> Vec<Finding> {
        let log = read_bytes(
            "audit.log",
            lines.join("\n").as_bytes(),
            &ReadOptions::default(),
        );
        let period = crate::evidence::period::Period::from_args(
            None,
            Some(since),
            Some(until),
            chrono::Utc::now(),
        )
        .unwrap();
        ctx_with_audit(&log, AuditSettings::default(), period, |ctx| {
            AuditLogCoversPeriod.evaluate(ctx)
        })
    }

    #[test]
    fn steady_logs_over_every_day_pass_citing_the_file() {
        let mut lines = steady("2026-07-01");
        lines.extend(steady("2026-07-02"));
        lines.push(lease("2026-07-02T23:59:59Z"));
        let findings = run(&lines, "2026-07-01", "2026-07-02");
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].status, Status::Pass, "{}", findings[0].message);
        assert_eq!(findings[0].evidence.len(), 1);
        let summary = AuditLogCoversPeriod.summary(&[&findings[0]]).unwrap();
        assert!(summary.contains("audit.log (sha256 "), "{summary}");
    }

    #[test]
    fn a_day_without_events_fails_and_a_silent_afternoon_warns() {
        let mut lines = steady("2026-07-01");
        lines.extend(
            steady("2026-07-03")
                .into_iter()
                .filter(|l| !l.contains("T13:") && !l.contains("T14:")),
        );
        lines.push(lease("2026-07-03T23:59:59Z"));
        let findings = run(&lines, "2026-07-01", "2026-07-03");
        let statuses: Vec<Status> = findings.iter().map(|f| f.status).collect();
        assert_eq!(statuses, [Status::Fail, Status::Warn], "{findings:#?}");
        assert!(findings[0].message.contains("on 1 day of the period"));
        assert!(findings[0].message.contains(": 2026-07-02 ("));
        assert!(
            findings[1]
                .message
                .contains("2026-07-03T12:30:00Z to 2026-07-03T15:00:00Z"),
            "{}",
            findings[1].message
        );
    }

    #[test]
    fn without_audit_logs_the_check_is_not_assessed_saying_why() {
        let findings = ctx_without_audit(|ctx| AuditLogCoversPeriod.evaluate(ctx));
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].status, Status::NotAssessed);
        assert!(findings[0].message.starts_with("no audit log was given"));
    }
}
