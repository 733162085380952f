//! What the API audit log checks share: the break-glass subjects of the config (`audit:`),
//! the stretch of time the logs are judged over, and the days of it they do not cover.
//!
//! Takes the run's [`AuditLog`] (read by [`crate::collect::audit`]) and its period; gives
//! the window and the uncovered days both checks speak of, so `audit-log-covers-period`
//! and `no-in-place-changes-logged` can never disagree on which days were seen.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::checks::{CheckContext, CheckMeta};
use crate::collect::audit::{AuditEvent, AuditLog, Gaps};
use crate::evidence::finding::{Finding, Status, Subject};

/// `audit:` in the config: who may enter running containers in an emergency. Their
/// events warn, naming them, instead of failing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct AuditSettings {
    /// Break-glass users, as the audit log names them (`user.username`).
    pub allowed_users: Vec<String>,
    /// Break-glass groups: a user in any of them is break-glass.
    pub allowed_groups: Vec<String>,
}

impl AuditSettings {
    /// Why the event's subject is break-glass (`user alice`, `group oncall`), or None.
    /// The authenticated user counts, and so does the user it impersonated: acting as a
    /// break-glass account is using it.
    pub fn break_glass(&self, event: &AuditEvent) -> Option<String> {
        let users = std::iter::once(event.user.as_str()).chain(event.impersonated_user.as_deref());
        for user in users {
            if self.allowed_users.iter().any(|u| u == user) {
                return Some(format!("user {user}"));
            }
        }
        let groups = event.groups.iter().chain(&event.impersonated_groups);
        for group in groups {
            if self.allowed_groups.iter().any(|g| g == group) {
                return Some(format!("group {group}"));
            }
        }
        None
    }
}

/// The stretch of time the logs are judged over: the run's period, or, without one, the
/// whole UTC days from the first event to the last.
#[derive(Clone, Debug)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The period's label, or None when the window is the logs' own range.
    pub label: Option<String>,
    pub gaps: Gaps,
}

impl Window {
    pub fn of(log: &AuditLog, period: Option<&crate::evidence::period::Period>) -> Option<Window> {
        let (start, end, label) = match period {
            Some(p) => (p.start, p.end, Some(p.label.clone())),
            None => {
                let range = log.coverage.range()?;
                let day_start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
                let day_end = |d: NaiveDate| {
                    d.and_hms_micro_opt(23, 59, 59, 999_999)
                        .map(|t| t.and_utc())
                };
                (
                    day_start(range.start.date_naive())?,
                    day_end(range.end.date_naive())?,
                    None,
                )
            }
        };
        Some(Window {
            start,
            end,
            label,
            gaps: log.coverage.gaps(start, end),
        })
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        (self.start..=self.end).contains(&t)
    }

    /// The window in words: `the period 2026-Q3` or `2026-07-01 to 2026-07-03 (the logs'
    /// own range; no period was given)`.
    pub fn describe(&self) -> String {
        match &self.label {
            Some(label) => format!("the period {label}"),
            None => format!(
                "{} to {} (the logs' own range: no period was given)",
                self.start.date_naive(),
                self.end.date_naive()
            ),
        }
    }

    /// Days of the window with no event at all.
    pub fn missing_days(&self) -> &[NaiveDate] {
        &self.gaps.missing_days
    }

    /// The holes that touch no missing day: silences over the threshold inside days that
    /// have events (or overnight between two such days), which the missing days do not
    /// already name.
    pub fn inner_holes(&self) -> Vec<&crate::collect::audit::Hole> {
        self.gaps
            .holes
            .iter()
            .filter(|h| {
                !self
                    .gaps
                    .missing_days
                    .iter()
                    .any(|d| (h.start.date_naive()..=h.end.date_naive()).contains(d))
            })
            .collect()
    }
}

/// The `not_assessed` finding of a run without `--audit-log`. Its subject is the audit log
/// input, not all sources: the scope lists it on a line of its own, with its own reason.
pub fn no_audit_log_given(ctx: &CheckContext<'_>, meta: &CheckMeta) -> Finding {
    Finding::new(
        meta.id,
        meta.severity,
        Status::NotAssessed,
        Subject {
            kind: "Input".into(),
            name: "audit log".into(),
            source: "all".into(),
            ..Default::default()
        },
        no_audit_log(),
    )
    .evidence(ctx.inventory.source_record_ids())
}

/// The subject of a finding about the audit logs as a whole.
pub fn logs_subject() -> Subject {
    Subject {
        kind: "AuditLog".into(),
        name: "all audit logs".into(),
        source: "audit-log".into(),
        ..Default::default()
    }
}

// Wording: the sentences both audit checks say.

fn no_audit_log() -> String {
    "no audit log was given: pass --audit-log with the API server's audit log of the period \
     (the controls are judged without this check)"
        .to_string()
}

/// Days as ranges: `2026-07-02, 2026-07-05 to 2026-07-09`, at most `max` ranges and a count
/// of the rest.
pub fn day_ranges(days: &[NaiveDate], max: usize) -> String {
    let mut ranges: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for &d in days {
        match ranges.last_mut() {
            Some((_, end)) if end.succ_opt() == Some(d) => *end = d,
            _ => ranges.push((d, d)),
        }
    }
    let mut parts: Vec<String> = ranges
        .iter()
        .take(max)
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a} to {b}")
            }
        })
        .collect();
    if ranges.len() > max {
        parts.push(format!("and {} more stretches", ranges.len() - max));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_read_as_ranges() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let days = [
            d("2026-07-02"),
            d("2026-07-05"),
            d("2026-07-06"),
            d("2026-07-07"),
            d("2026-07-09"),
        ];
        assert_eq!(
            day_ranges(&days, 5),
            "2026-07-02, 2026-07-05 to 2026-07-07, 2026-07-09"
        );
        assert_eq!(day_ranges(&days, 1), "2026-07-02, and 2 more stretches");
    }
}
