//! The mapper: findings and a catalog in, one verdict per control out. No I/O.
//!
//! The rule, as documented in the README:
//! - per check: `fail` if any finding fails; else `warn` if any warns; else `pass` if any
//!   passes; else `not_assessed` (no findings, or only `not_assessed`/`error`);
//!   `not_applicable` findings are ignored;
//! - per control: `not_assessed` if none of its checks was assessed; `satisfied` if every check
//!   was assessed and passed; `not_satisfied` if every assessed check failed, or a check the
//!   catalog marks `critical` failed; otherwise `partially_satisfied`;
//! - answer: satisfied → yes, partially_satisfied → partial, not_satisfied → no,
//!   not_assessed → unknown;
//! - exceptions: a `fail` or `warn` finding covered by an accepted exception in force (see
//!   [`crate::assess::exceptions`]) keeps its status in the report and in the counts, but the roll-up
//!   treats it as `pass`: a check whose only failures are excepted passes, and its control
//!   can be satisfied. Each check counts its excepted findings apart (`excepted`), and the
//!   control lists the exceptions it relied on and its narrative cites them.

pub mod catalog;
pub mod exceptions;
pub mod narrative;

use std::collections::BTreeMap;

use serde::Serialize;

use self::narrative::{control_narrative, not_assessed_reason};
use crate::assess::catalog::{Catalog, Control};
use crate::checks;
use crate::evidence::finding::{Finding, Status};

/// A check's findings rolled up into one status.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
    NotAssessed,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Satisfied,
    PartiallySatisfied,
    NotSatisfied,
    NotAssessed,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [
        Verdict::Satisfied,
        Verdict::PartiallySatisfied,
        Verdict::NotSatisfied,
        Verdict::NotAssessed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Satisfied => "satisfied",
            Verdict::PartiallySatisfied => "partially_satisfied",
            Verdict::NotSatisfied => "not_satisfied",
            Verdict::NotAssessed => "not_assessed",
        }
    }

    pub fn answer(self) -> Answer {
        match self {
            Verdict::Satisfied => Answer::Yes,
            Verdict::PartiallySatisfied => Answer::Partial,
            Verdict::NotSatisfied => Answer::No,
            Verdict::NotAssessed => Answer::Unknown,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    Partial,
    No,
    Unknown,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::Partial => "partial",
            Answer::No => "no",
            Answer::Unknown => "unknown",
        }
    }
}

/// Finding counts by status.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct StatusCounts {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub not_applicable: usize,
    pub error: usize,
    pub not_assessed: usize,
}

impl StatusCounts {
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Warn => self.warn += 1,
            Status::NotApplicable => self.not_applicable += 1,
            Status::Error => self.error += 1,
            Status::NotAssessed => self.not_assessed += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.warn + self.not_applicable + self.error + self.not_assessed
    }
}

/// One check's part in one control.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CheckResult {
    pub id: &'static str,
    pub title: &'static str,
    pub status: CheckStatus,
    pub critical: bool,
    pub counts: StatusCounts,
    /// Why the check was not assessed, when it was not.
    pub reason: Option<String>,
    /// Failing or warning findings covered by an accepted exception (also in `counts`
    /// under their own status); the roll-up counts them as passing.
    pub excepted: usize,
    /// The evidence its findings cite, in a sentence for the narrative (see
    /// [`checks::Check::summary`]); not part of report.json.
    #[serde(skip)]
    pub summary: Option<String>,
}

/// The verdict on one control, with what it rests on.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ControlResult {
    pub id: String,
    pub catalog: String,
    pub title: String,
    pub question: String,
    pub explanation: String,
    pub verdict: Verdict,
    pub answer: Answer,
    pub narrative: String,
    pub checks: Vec<CheckResult>,
    /// Ids of the findings of this control's checks that are not `not_applicable`.
    pub findings: Vec<String>,
    /// Ids of the exceptions that cover findings of this control, sorted.
    pub exceptions: Vec<String>,
}

/// Rolls up one check's findings by the rule in the module docs.
pub fn roll_up(findings: &[&Finding]) -> CheckStatus {
    let has = |s| findings.iter().any(|f| effective_status(f) == s);
    if has(Status::Fail) {
        CheckStatus::Fail
    } else if has(Status::Warn) {
        CheckStatus::Warn
    } else if has(Status::Pass) {
        CheckStatus::Pass
    } else {
        CheckStatus::NotAssessed
    }
}

/// The status a finding counts as in the roll-up: `pass` for an excepted fail or warn
/// (see the module docs), else its own.
pub fn effective_status(f: &Finding) -> Status {
    if f.is_excepted() {
        Status::Pass
    } else {
        f.status
    }
}

/// The verdict of a control from its checks' statuses, by the rule in the module docs.
pub fn verdict(checks: &[CheckResult]) -> Verdict {
    let assessed: Vec<&CheckResult> = checks
        .iter()
        .filter(|c| c.status != CheckStatus::NotAssessed)
        .collect();
    if assessed.is_empty() {
        Verdict::NotAssessed
    } else if assessed.len() == checks.len()
        && assessed.iter().all(|c| c.status == CheckStatus::Pass)
    {
        Verdict::Satisfied
    } else if assessed.iter().all(|c| c.status == CheckStatus::Fail)
        || assessed
            .iter()
            .any(|c| c.critical && c.status == CheckStatus::Fail)
    {
        Verdict::NotSatisfied
    } else {
        Verdict::PartiallySatisfied
    }
}

/// Maps findings onto every control of the catalog.
pub fn assess(findings: &[Finding], catalog: &Catalog) -> Vec<ControlResult> {
    let mut by_check: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_check.entry(f.check).or_default().push(f);
    }
    catalog
        .controls
        .iter()
        .map(|control| assess_control(control, &by_check))
        .collect()
}

fn assess_control(control: &Control, by_check: &BTreeMap<&str, Vec<&Finding>>) -> ControlResult {
    let mut checks_out = Vec::with_capacity(control.checks.len());
    let mut finding_ids = Vec::new();
    let mut exceptions = std::collections::BTreeSet::new();
    for r in &control.checks {
        let findings: &[&Finding] = by_check.get(r.id).map(Vec::as_slice).unwrap_or(&[]);
        let mut counts = StatusCounts::default();
        let mut excepted = 0;
        for f in findings {
            counts.add(f.status);
            if f.status != Status::NotApplicable {
                finding_ids.push(f.id.clone());
            }
            if f.is_excepted() {
                excepted += 1;
                exceptions.extend(f.exception.as_ref().map(|e| e.id.clone()));
            }
        }
        let status = roll_up(findings);
        let reason = (status == CheckStatus::NotAssessed).then(|| not_assessed_reason(findings));
        let check = checks::find(r.id).expect("catalog validated check ids");
        let meta = check.meta();
        let summary = (status != CheckStatus::NotAssessed)
            .then(|| check.summary(findings))
            .flatten();
        checks_out.push(CheckResult {
            id: r.id,
            title: meta.title,
            status,
            critical: r.critical,
            counts,
            reason,
            excepted,
            summary,
        });
    }
    let verdict = verdict(&checks_out);
    let narrative = control_narrative(control, verdict, &checks_out, by_check);
    ControlResult {
        id: control.id.clone(),
        catalog: control.catalog.clone(),
        title: control.title.clone(),
        question: control.question.clone(),
        explanation: control.explanation.clone(),
        verdict,
        answer: verdict.answer(),
        narrative,
        checks: checks_out,
        findings: finding_ids,
        exceptions: exceptions.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::finding::{Severity, Subject};

    fn f(status: Status) -> Finding {
        Finding::new(
            "run-as-non-root",
            Severity::High,
            status,
            Subject::default(),
            "m",
        )
    }

    fn check(status: CheckStatus, critical: bool) -> CheckResult {
        CheckResult {
            id: "x",
            title: "x",
            status,
            critical,
            counts: StatusCounts::default(),
            reason: None,
            excepted: 0,
            summary: None,
        }
    }

    #[test]
    fn an_excepted_failure_counts_as_passing_in_the_roll_up() {
        use crate::evidence::finding::FindingException;
        let except = |mut f: Finding| {
            f.exception = Some(FindingException {
                id: "EXC-1".into(),
                reason: "r".into(),
                approver: "a".into(),
                ticket: "t".into(),
                expires: "2026-12-31".into(),
            });
            f
        };
        let cases: &[(&[(Status, bool)], CheckStatus)] = &[
            (
                &[(Status::Fail, true), (Status::Pass, false)],
                CheckStatus::Pass,
            ),
            (&[(Status::Fail, true)], CheckStatus::Pass),
            (
                &[(Status::Warn, true), (Status::Fail, false)],
                CheckStatus::Fail,
            ),
            (
                &[(Status::Fail, true), (Status::Warn, false)],
                CheckStatus::Warn,
            ),
            // Only fail and warn are ever excepted; an exception on anything else is ignored.
            (&[(Status::Error, true)], CheckStatus::NotAssessed),
        ];
        for (fs, want) in cases {
            let fs: Vec<Finding> = fs
                .iter()
                .map(|(s, e)| if *e { except(f(*s)) } else { f(*s) })
                .collect();
            let refs: Vec<&Finding> = fs.iter().collect();
            assert_eq!(roll_up(&refs), *want, "{fs:?}");
        }
    }

    #[test]
    fn check_roll_up_follows_the_documented_order() {
        use Status::*;
        let cases: &[(&[Status], CheckStatus)] = &[
            (&[Pass, Warn, Fail], CheckStatus::Fail),
            (&[Pass, Warn], CheckStatus::Warn),
            (&[Pass, NotApplicable, Error], CheckStatus::Pass),
            (&[NotApplicable], CheckStatus::NotAssessed),
            (&[Error, NotAssessed], CheckStatus::NotAssessed),
            (&[], CheckStatus::NotAssessed),
        ];
        for (statuses, want) in cases {
            let fs: Vec<Finding> = statuses.iter().map(|s| f(*s)).collect();
            let refs: Vec<&Finding> = fs.iter().collect();
            assert_eq!(roll_up(&refs), *want, "{statuses:?}");
        }
    }

    #[test]
    fn control_verdicts_follow_the_documented_rule() {
        use CheckStatus::*;
        let cases: &[(&[(CheckStatus, bool)], Verdict)] = &[
            (&[], Verdict::NotAssessed),
            (
                &[(NotAssessed, false), (NotAssessed, true)],
                Verdict::NotAssessed,
            ),
            (&[(Pass, false), (Pass, false)], Verdict::Satisfied),
            (
                &[(Pass, false), (NotAssessed, false)],
                Verdict::PartiallySatisfied,
            ),
            (&[(Fail, false), (Fail, false)], Verdict::NotSatisfied),
            (
                &[(Fail, false), (NotAssessed, false)],
                Verdict::NotSatisfied,
            ),
            (&[(Fail, false), (Pass, false)], Verdict::PartiallySatisfied),
            (&[(Fail, true), (Pass, false)], Verdict::NotSatisfied),
            (&[(Warn, false), (Pass, false)], Verdict::PartiallySatisfied),
            (&[(Warn, true), (Pass, false)], Verdict::PartiallySatisfied),
        ];
        for (checks, want) in cases {
            let rs: Vec<CheckResult> = checks.iter().map(|(s, c)| check(*s, *c)).collect();
            assert_eq!(verdict(&rs), *want, "{checks:?}");
        }
    }

    #[test]
    fn answers_follow_verdicts() {
        let answers: Vec<_> = Verdict::ALL.iter().map(|v| v.answer().as_str()).collect();
        assert_eq!(answers, ["yes", "partial", "no", "unknown"]);
    }
}
