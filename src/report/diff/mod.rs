//! Quarter-over-quarter change: what differs between two reports.
//!
//! [`compare`] takes two reports read for comparison ([`load::Loaded`]: an earlier one and a
//! later one) and gives a [`Diff`]: findings new, regressed (passed before, fail or warn
//! now), still open (with when they were first seen) and resolved, matched by their stable
//! ids; control verdicts that changed; exceptions added, expired and removed; and what
//! could not be compared (a field an older schema version lacks, control ids the verdicts
//! rework of schema version 2 renamed). It does no I/O: `evidencer diff` writes the diff as
//! `diff.json` (described by [`JSON_SCHEMA`]), `diff.md` and `diff.html`, and `report
//! --compare-previous` shows it as a section of the report. [`carry_first_seen`] gives each
//! finding of a run its `first_seen`.

pub mod load;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::evidence::finding::Finding;
pub use load::{LoadError, Loaded};

/// Version of the `diff.json` format (bumped on breaking changes; added fields do not).
pub const DIFF_VERSION: u32 = 1;

/// The JSON Schema (draft 2020-12) of `diff.json`.
pub const JSON_SCHEMA: &str = include_str!("../diff.schema.json");

/// File names of the diff's outputs.
pub const JSON_FILE_NAME: &str = "diff.json";

/// Control ids of schema version 1 reports that the verdicts rework (schema version 2)
/// retired, each with the ids whose questions took its place. A verdict under the old id
/// was reached by another catalog wording and roll-up rule: it is not compared with the
/// new ids' verdicts, and neither side is listed as added or removed.
pub const RENAMED_CONTROLS: &[(&str, &[&str])] = &[
    ("PR.PS-02.241", &["PR.PS-02.242-related-4"]),
    ("PR.PS-02.243", &["PR.PS-02.242-related-5"]),
    ("PR.PS-02.244", &["PR.PS-02.242-related-6"]),
    (
        "PR.PS-01",
        &["PR.PS-02.242-related-1", "PR.PS-02.242-related-3"],
    ),
];

/// The schema version that renamed the controls of [`RENAMED_CONTROLS`].
const RENAMED_IN: u64 = 2;

/// Two reports compared.
#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    pub diff_version: u32,
    pub tool: DiffTool,
    pub old: Side,
    pub new: Side,
    pub summary: DiffSummary,
    pub findings: FindingChanges,
    pub controls: ControlChanges,
    pub exceptions: ExceptionChanges,
    /// What could not be compared, one sentence each; empty when everything was.
    pub not_compared: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DiffTool {
    pub name: &'static str,
    pub version: &'static str,
}

/// One of the two reports.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    /// The path as given; null for the report of the run that shows the comparison.
    pub path: Option<String>,
    /// The sha256 of the report.json; null for the report of the run that shows it.
    pub report_id: Option<String>,
    pub schema_version: u64,
    pub tool_version: String,
    pub as_of: String,
    /// The period it states (null for a schema version 1 report without one).
    pub period: Option<PeriodRef>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PeriodRef {
    pub start: String,
    pub end: String,
    pub label: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct DiffSummary {
    pub findings_new: usize,
    pub findings_regressed: usize,
    pub findings_still_open: usize,
    pub findings_resolved: usize,
    pub findings_no_longer_assessed: usize,
    pub verdicts_changed: usize,
    pub verdicts_better: usize,
    pub verdicts_worse: usize,
    pub exceptions_added: usize,
    pub exceptions_expired: usize,
    pub exceptions_removed: usize,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct FindingChanges {
    /// Fail or warn now; absent before, or not assessed (or in error) then.
    pub new: Vec<FindingChange>,
    /// Fail or warn now; passed (or did not apply) before.
    pub regressed: Vec<FindingChange>,
    /// Fail or warn in both.
    pub still_open: Vec<FindingChange>,
    /// Fail or warn before; pass, not applicable or gone now.
    pub resolved: Vec<FindingChange>,
    /// Fail or warn before; not assessed or in error now: neither fixed nor open as far as
    /// the evidence shows.
    pub no_longer_assessed: Vec<FindingChange>,
}

/// One finding in a change list.
#[derive(Clone, Debug, Serialize)]
pub struct FindingChange {
    pub id: String,
    pub check: String,
    pub severity: String,
    pub subject: String,
    /// The newer report's message, or the older one's for a finding gone.
    pub message: String,
    /// Its status in the older report; null when it had no finding with this id.
    pub before: Option<String>,
    /// Its status in the newer report; null when it has no finding with this id.
    pub now: Option<String>,
    /// When it was first seen with its present status (RFC 3339): the newer report's
    /// `first_seen`, else the older one's, else the older report's period start. Set for
    /// still-open findings; null for the others.
    pub first_seen: Option<String>,
    /// The exception that covers it in the newer report, when one does.
    pub exception: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ControlChanges {
    pub changed: Vec<VerdictChange>,
    /// In the newer report only.
    pub added: Vec<ControlRef>,
    /// In the older report only.
    pub removed: Vec<ControlRef>,
    /// Renamed by the verdicts rework: listed here, not as added or removed.
    pub not_comparable: Vec<NotComparable>,
}

#[derive(Clone, Debug, Serialize)]
pub struct VerdictChange {
    pub id: String,
    pub title: String,
    pub before: String,
    pub now: String,
    pub answer_before: String,
    pub answer_now: String,
    /// `better`, `worse`, or `other` (to or from not assessed).
    pub direction: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct ControlRef {
    pub id: String,
    pub title: String,
    pub verdict: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct NotComparable {
    pub id: String,
    /// `old` or `new`: which report has it.
    pub report: &'static str,
    pub verdict: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ExceptionChanges {
    /// In the newer report's exceptions file, not the older one's.
    pub added: Vec<ExceptionRef>,
    /// Expired in the newer report, not expired (or not there) in the older one.
    pub expired: Vec<ExceptionRef>,
    /// In the older report's exceptions file, not the newer one's.
    pub removed: Vec<ExceptionRef>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ExceptionRef {
    pub id: String,
    pub check: String,
    pub ticket: String,
    pub expires: String,
    /// `applied`, `expired` or `unused`, in the report it is taken from.
    pub state: &'static str,
    /// The findings it covers (or would cover), in that report.
    pub findings: usize,
}

/// Whether a status needs attention: the statuses a change list follows.
fn open(status: &str) -> bool {
    matches!(status, "fail" | "warn")
}

/// Rank of a verdict, better first; None for not assessed (no direction).
fn rank(verdict: &str) -> Option<u8> {
    match verdict {
        "satisfied" => Some(0),
        "satisfied_with_exceptions" => Some(1),
        "partially_satisfied" => Some(2),
        "not_satisfied" => Some(3),
        _ => None,
    }
}

impl Side {
    fn of(r: &Loaded) -> Side {
        Side {
            path: r.path.clone(),
            report_id: r.report_id.clone(),
            schema_version: r.schema_version,
            tool_version: r.tool_version.clone(),
            as_of: r.as_of.clone(),
            period: r.period.as_ref().map(|p| PeriodRef {
                start: p.start.clone(),
                end: p.end.clone(),
                label: p.label.clone(),
            }),
        }
    }
}

/// Compares `old` with `new`. Deterministic: lists are in id order.
pub fn compare(old: &Loaded, new: &Loaded) -> Diff {
    let mut not_compared = Vec::new();
    if old.schema_version != new.schema_version {
        not_compared.push(format!(
            "the reports are of schema_version {} and {}: what both record is compared, the rest is listed here",
            old.schema_version, new.schema_version
        ));
    }
    if old.schema_version.min(new.schema_version) < 2 {
        not_compared.push(
            "a schema_version 1 report's verdicts were reached by the roll-up rule before the \
             verdicts rework (version 2 added satisfied_with_exceptions and changed what the \
             verdicts mean): a changed verdict may come from the rule, not the evidence"
                .into(),
        );
    }
    let findings = compare_findings(old, new);
    let controls = compare_controls(old, new);
    let exceptions = match (&old.exceptions, &new.exceptions) {
        (Some(o), Some(n)) => compare_exceptions(o, n),
        (o, _) => {
            let which = if o.is_none() { "older" } else { "newer" };
            not_compared.push(format!(
                "exceptions: the {which} report records none (it has no exceptions object)"
            ));
            ExceptionChanges::default()
        }
    };
    if old.findings.iter().all(|f| f.first_seen.is_none()) && !findings.still_open.is_empty() {
        not_compared.push(
            "first seen: the older report does not record when its findings were first seen; \
             still-open findings count from its period start"
                .into(),
        );
    }
    let better = controls
        .changed
        .iter()
        .filter(|c| c.direction == "better")
        .count();
    let worse = controls
        .changed
        .iter()
        .filter(|c| c.direction == "worse")
        .count();
    Diff {
        diff_version: DIFF_VERSION,
        tool: DiffTool {
            name: "evidencer",
            version: env!("CARGO_PKG_VERSION"),
        },
        old: Side::of(old),
        new: Side::of(new),
        summary: DiffSummary {
            findings_new: findings.new.len(),
            findings_regressed: findings.regressed.len(),
            findings_still_open: findings.still_open.len(),
            findings_resolved: findings.resolved.len(),
            findings_no_longer_assessed: findings.no_longer_assessed.len(),
            verdicts_changed: controls.changed.len(),
            verdicts_better: better,
            verdicts_worse: worse,
            exceptions_added: exceptions.added.len(),
            exceptions_expired: exceptions.expired.len(),
            exceptions_removed: exceptions.removed.len(),
        },
        findings,
        controls,
        exceptions,
        not_compared,
    }
}

fn compare_findings(old: &Loaded, new: &Loaded) -> FindingChanges {
    let before: BTreeMap<&str, &load::FindingPart> =
        old.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    let now: BTreeMap<&str, &load::FindingPart> =
        new.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    let old_start = old.period.as_ref().map(|p| p.start.clone());
    let change = |f: &load::FindingPart,
                  b: Option<&load::FindingPart>,
                  n: Option<&load::FindingPart>| FindingChange {
        id: f.id.clone(),
        check: f.check.clone(),
        severity: f.severity.clone(),
        subject: f.subject.display(),
        message: f.message.clone(),
        before: b.map(|f| f.status.clone()),
        now: n.map(|f| f.status.clone()),
        first_seen: None,
        exception: n.and_then(|f| f.exception.as_ref()).map(|e| e.id.clone()),
    };
    let mut out = FindingChanges::default();
    for (id, n) in &now {
        let b = before.get(id).copied();
        if !open(&n.status) {
            continue;
        }
        let mut c = change(n, b, Some(n));
        match b.map(|b| b.status.as_str()) {
            Some(s) if open(s) => {
                c.first_seen = n
                    .first_seen
                    .clone()
                    .or_else(|| b.and_then(|b| b.first_seen.clone()))
                    .or_else(|| old_start.clone());
                out.still_open.push(c);
            }
            Some("pass" | "not_applicable") => out.regressed.push(c),
            _ => out.new.push(c),
        }
    }
    for (id, b) in &before {
        if !open(&b.status) {
            continue;
        }
        let n = now.get(id).copied();
        match n.map(|n| n.status.as_str()) {
            Some(s) if open(s) => {}
            Some("pass" | "not_applicable") => {
                out.resolved.push(change(n.unwrap_or(b), Some(b), n))
            }
            None => out.resolved.push(change(b, Some(b), None)),
            Some(_) => out
                .no_longer_assessed
                .push(change(n.unwrap_or(b), Some(b), n)),
        }
    }
    out
}

fn compare_controls(old: &Loaded, new: &Loaded) -> ControlChanges {
    let mut out = ControlChanges::default();
    let before: BTreeMap<&str, &load::ControlPart> =
        old.controls.iter().map(|c| (c.id.as_str(), c)).collect();
    let now: BTreeMap<&str, &load::ControlPart> =
        new.controls.iter().map(|c| (c.id.as_str(), c)).collect();
    // Only across the rework do renamed ids stand for each other.
    let across = old.schema_version < RENAMED_IN && new.schema_version >= RENAMED_IN;
    let retired: BTreeMap<&str, &[&str]> = RENAMED_CONTROLS.iter().copied().collect();
    let successors: BTreeMap<&str, Vec<&str>> =
        RENAMED_CONTROLS
            .iter()
            .fold(BTreeMap::new(), |mut m, (old_id, new_ids)| {
                for n in *new_ids {
                    m.entry(*n).or_insert_with(Vec::new).push(*old_id);
                }
                m
            });
    for (id, b) in &before {
        match now.get(id) {
            Some(n) if n.verdict != b.verdict => {
                let direction = match (rank(&b.verdict), rank(&n.verdict)) {
                    (Some(x), Some(y)) if y < x => "better",
                    (Some(x), Some(y)) if y > x => "worse",
                    _ => "other",
                };
                out.changed.push(VerdictChange {
                    id: id.to_string(),
                    title: n.title.clone(),
                    before: b.verdict.clone(),
                    now: n.verdict.clone(),
                    answer_before: b.answer.clone(),
                    answer_now: n.answer.clone(),
                    direction,
                });
            }
            Some(_) => {}
            None if across && retired.contains_key(id) => out.not_comparable.push(NotComparable {
                id: id.to_string(),
                report: "old",
                verdict: b.verdict.clone(),
                reason: format!(
                    "retired by the verdicts rework (schema_version 2); its question is now asked as {}",
                    retired[id].join(" and ")
                ),
            }),
            None => out.removed.push(ControlRef {
                id: id.to_string(),
                title: b.title.clone(),
                verdict: b.verdict.clone(),
            }),
        }
    }
    for (id, n) in &now {
        if before.contains_key(id) {
            continue;
        }
        match successors.get(id) {
            Some(olds) if across => out.not_comparable.push(NotComparable {
                id: id.to_string(),
                report: "new",
                verdict: n.verdict.clone(),
                reason: format!(
                    "takes the place of {} of schema_version 1 reports (verdicts rework); no earlier verdict under this id",
                    olds.join(" and ")
                ),
            }),
            _ => out.added.push(ControlRef {
                id: id.to_string(),
                title: n.title.clone(),
                verdict: n.verdict.clone(),
            }),
        }
    }
    out
}

fn compare_exceptions(old: &load::ExceptionsPart, new: &load::ExceptionsPart) -> ExceptionChanges {
    fn all(e: &load::ExceptionsPart) -> BTreeMap<&str, (&'static str, &load::ExceptionPart)> {
        let mut m = BTreeMap::new();
        for (state, list) in [
            ("applied", &e.applied),
            ("expired", &e.expired),
            ("unused", &e.unused),
        ] {
            for x in list {
                m.entry(x.id.as_str()).or_insert((state, x));
            }
        }
        m
    }
    let reference = |(state, x): (&'static str, &load::ExceptionPart)| ExceptionRef {
        id: x.id.clone(),
        check: x.check.clone(),
        ticket: x.ticket.clone(),
        expires: x.expires.clone(),
        state,
        findings: x.findings.len(),
    };
    let before = all(old);
    let now = all(new);
    let mut out = ExceptionChanges::default();
    for (id, n) in &now {
        match before.get(id) {
            None => out.added.push(reference(*n)),
            Some((state, _)) if n.0 == "expired" && *state != "expired" => {
                out.expired.push(reference(*n))
            }
            Some(_) => {}
        }
    }
    for (id, b) in &before {
        if !now.contains_key(id) {
            out.removed.push(reference(*b));
        }
    }
    // Added already expired: both lists say so.
    let added_expired: BTreeSet<String> = out
        .added
        .iter()
        .filter(|e| e.state == "expired")
        .map(|e| e.id.clone())
        .collect();
    for id in added_expired {
        if let Some(e) = out.added.iter().find(|e| e.id == id).cloned() {
            out.expired.push(e);
        }
    }
    out.expired.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The outcome a status stands for, as `first_seen` follows it: open (fail or warn), fine
/// (pass or not applicable), or the status itself (error, not assessed).
fn outcome(status: &str) -> &str {
    match status {
        "fail" | "warn" => "open",
        "pass" | "not_applicable" => "fine",
        other => other,
    }
}

/// Gives every finding its `first_seen`: the previous report's, when that report has a
/// finding with the same id and the same outcome (open: fail or warn; fine: pass or not
/// applicable; else the same status), that is its own `first_seen`, else that report's
/// period start; otherwise `start`, the start of this report's period. A finding whose
/// outcome changed (a pass that fails now) starts anew: it is first seen failing in this
/// period.
pub fn carry_first_seen(findings: &mut [Finding], start: &str, previous: Option<&Loaded>) {
    let earlier: BTreeMap<&str, (&str, Option<&str>)> = previous
        .map(|p| {
            p.findings
                .iter()
                .map(|f| (f.id.as_str(), (f.status.as_str(), f.first_seen.as_deref())))
                .collect()
        })
        .unwrap_or_default();
    let previous_start = previous
        .and_then(|p| p.period.as_ref())
        .map(|p| p.start.as_str());
    for f in findings {
        let carried = match earlier.get(f.id.as_str()) {
            Some((status, seen)) if outcome(status) == outcome(f.status.as_str()) => {
                seen.or(previous_start)
            }
            _ => None,
        };
        f.first_seen = Some(carried.unwrap_or(start).to_string());
    }
}

impl Loaded {
    /// The parts of a report built by this run, before its report.json is written.
    pub fn of_report(report: &crate::report::Report) -> Loaded {
        fn parts<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
            serde_json::from_value(v).expect("the report's own parts read back")
        }
        Loaded {
            path: None,
            report_id: None,
            schema_version: report.schema_version as u64,
            tool_version: report.tool.version.to_string(),
            as_of: report.as_of.clone(),
            period: Some(load::PeriodPart {
                start: report.stated_period.start.clone(),
                end: report.stated_period.end.clone(),
                label: report.stated_period.label.clone(),
            }),
            findings: parts(serde_json::to_value(&report.findings).expect("findings serialize")),
            controls: parts(serde_json::to_value(&report.controls).expect("controls serialize")),
            exceptions: Some(parts(
                serde_json::to_value(&report.exceptions).expect("exceptions serialize"),
            )),
        }
    }
}

/// What `report --compare-previous` found in the archive.
#[derive(Clone, Debug)]
pub enum Previous {
    /// The comparison with the previous period's report.
    Compared(Box<Diff>),
    /// No earlier period is filed: the sentence the section shows.
    None(String),
}

#[cfg(test)]
mod tests {
    use super::load::*;
    use super::*;

    fn finding(id: &str, status: &str) -> FindingPart {
        FindingPart {
            id: id.into(),
            check: "c".into(),
            status: status.into(),
            severity: "high".into(),
            subject: SubjectPart::default(),
            message: String::new(),
            exception: None,
            first_seen: None,
        }
    }

    fn control(id: &str, verdict: &str) -> ControlPart {
        ControlPart {
            id: id.into(),
            title: String::new(),
            verdict: verdict.into(),
            answer: String::new(),
        }
    }

    fn report(version: u64, findings: Vec<FindingPart>, controls: Vec<ControlPart>) -> Loaded {
        Loaded {
            path: None,
            report_id: None,
            schema_version: version,
            tool_version: String::new(),
            as_of: String::new(),
            period: Some(PeriodPart {
                start: "2026-04-01T00:00:00Z".into(),
                end: "2026-06-30T23:59:59Z".into(),
                label: "2026-Q2".into(),
            }),
            findings,
            controls,
            exceptions: Some(ExceptionsPart::default()),
        }
    }

    fn ids(list: &[FindingChange]) -> Vec<&str> {
        list.iter().map(|f| f.id.as_str()).collect()
    }

    #[test]
    fn findings_fall_into_one_list_each_by_their_ids() {
        let old = report(
            3,
            vec![
                finding("open", "fail"),
                finding("fixed", "fail"),
                finding("gone", "warn"),
                finding("was-ok", "pass"),
                finding("unknown", "fail"),
            ],
            vec![],
        );
        let new = report(
            3,
            vec![
                finding("open", "warn"),
                finding("fixed", "pass"),
                finding("was-ok", "fail"),
                finding("fresh", "fail"),
                finding("unknown", "not_assessed"),
                finding("quiet", "pass"),
            ],
            vec![],
        );
        let d = compare(&old, &new);
        assert_eq!(ids(&d.findings.new), ["fresh"]);
        assert_eq!(ids(&d.findings.regressed), ["was-ok"]);
        assert_eq!(ids(&d.findings.still_open), ["open"]);
        assert_eq!(ids(&d.findings.resolved), ["fixed", "gone"]);
        assert_eq!(ids(&d.findings.no_longer_assessed), ["unknown"]);
        assert_eq!(
            d.findings.still_open[0].first_seen.as_deref(),
            Some("2026-04-01T00:00:00Z"),
            "without first_seen in the older report: its period start"
        );
        assert_eq!(d.findings.resolved[1].now, None);
    }

    #[test]
    fn verdicts_that_changed_are_listed_with_their_direction() {
        let old = report(
            3,
            vec![],
            vec![
                control("A", "not_satisfied"),
                control("B", "satisfied"),
                control("C", "satisfied"),
                control("D", "satisfied"),
            ],
        );
        let new = report(
            3,
            vec![],
            vec![
                control("A", "partially_satisfied"),
                control("B", "not_satisfied"),
                control("C", "not_assessed"),
                control("E", "satisfied"),
            ],
        );
        let d = compare(&old, &new);
        let got: Vec<(&str, &str)> = d
            .controls
            .changed
            .iter()
            .map(|c| (c.id.as_str(), c.direction))
            .collect();
        assert_eq!(got, [("A", "better"), ("B", "worse"), ("C", "other")]);
        assert_eq!(d.controls.added[0].id, "E");
        assert_eq!(d.controls.removed[0].id, "D");
        assert!(d.not_compared.is_empty(), "{:?}", d.not_compared);
    }

    #[test]
    fn ids_renamed_by_the_verdicts_rework_are_not_comparable_not_added_or_removed() {
        let old = report(
            1,
            vec![],
            vec![
                control("PR.PS-01", "not_satisfied"),
                control("PCI-10.1", "satisfied"),
            ],
        );
        let new = report(
            3,
            vec![],
            vec![
                control("PR.PS-02.242-related-1", "satisfied"),
                control("PR.PS-02.242-related-2", "satisfied"),
                control("PCI-10.1", "satisfied"),
            ],
        );
        let d = compare(&old, &new);
        let nc: Vec<(&str, &str)> = d
            .controls
            .not_comparable
            .iter()
            .map(|c| (c.id.as_str(), c.report))
            .collect();
        assert_eq!(nc, [("PR.PS-01", "old"), ("PR.PS-02.242-related-1", "new")]);
        assert_eq!(d.controls.added.len(), 1, "related-2 had no predecessor");
        assert!(d.controls.removed.is_empty());
        assert!(
            d.not_compared
                .iter()
                .any(|s| s.contains("schema_version 1 and 3"))
        );
        // Between two reports after the rework the same ids are ordinary additions.
        let d = compare(&report(2, vec![], vec![]), &new);
        assert!(d.controls.not_comparable.is_empty());
    }

    #[test]
    fn exceptions_added_expired_and_removed() {
        let e = |id: &str| ExceptionPart {
            id: id.into(),
            check: "c".into(),
            ticket: "T".into(),
            expires: "2026-12-31".into(),
            findings: vec![],
        };
        let mut old = report(3, vec![], vec![]);
        old.exceptions = Some(ExceptionsPart {
            applied: vec![e("kept"), e("lapsing")],
            expired: vec![],
            unused: vec![e("dropped")],
        });
        let mut new = report(3, vec![], vec![]);
        new.exceptions = Some(ExceptionsPart {
            applied: vec![e("kept"), e("fresh")],
            expired: vec![e("lapsing")],
            unused: vec![],
        });
        let d = compare(&old, &new);
        let id = |l: &[ExceptionRef]| l.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(id(&d.exceptions.added), ["fresh"]);
        assert_eq!(id(&d.exceptions.expired), ["lapsing"]);
        assert_eq!(id(&d.exceptions.removed), ["dropped"]);
    }

    #[test]
    fn first_seen_is_carried_for_the_same_id_and_outcome_only() {
        use crate::evidence::finding::{Severity, Status, Subject};
        let mk = |id: &str, status| {
            let mut f = Finding::new("c", Severity::High, status, Subject::default(), "");
            f.id = id.into();
            f
        };
        let mut findings = vec![
            mk("a", Status::Warn),
            mk("b", Status::Fail),
            mk("c", Status::Fail),
        ];
        let mut prev = report(3, vec![finding("a", "fail"), finding("b", "pass")], vec![]);
        prev.findings[0].first_seen = Some("2026-01-01T00:00:00Z".into());
        carry_first_seen(&mut findings, "2026-07-01T00:00:00Z", Some(&prev));
        let seen: Vec<&str> = findings
            .iter()
            .map(|f| f.first_seen.as_deref().unwrap())
            .collect();
        assert_eq!(
            seen,
            [
                "2026-01-01T00:00:00Z",
                "2026-07-01T00:00:00Z",
                "2026-07-01T00:00:00Z"
            ]
        );
        prev.findings[0].first_seen = None;
        carry_first_seen(&mut findings, "2026-07-01T00:00:00Z", Some(&prev));
        assert_eq!(
            findings[0].first_seen.as_deref(),
            Some("2026-04-01T00:00:00Z")
        );
    }
}
