//! The roll-up rule: how a check's findings become one result, and a control's check
//! results one verdict and answer. Pure; no I/O.
//!
//! The rule is written once, in [`RULES`]: `evidencer rules` prints it and the README quotes
//! it (a test keeps them equal). [`check_status`] and [`decide`] follow it step by step;
//! [`Decision::sentence`] says in words which step decided and why, for the narrative.
//! [`crate::assess`] gathers each control's findings and calls them.

use std::fmt::Write;

use serde::Serialize;

use crate::evidence::finding::{Finding, Status};

/// The rule, as `evidencer rules` prints it and the README quotes it (Markdown).
pub const RULES: &str = "\
How findings become a check result, and check results the verdict and answer of a control.
Each control applies the rule to its own checks; `evidencer controls` lists them with their
flags (`required`, `critical`, `supplementary`).

**Check result**, worst first: fail > error > warn > pass.

- `fail` if any finding fails and no accepted exception covers it;
- else `error` if any finding could not be read: an error is never a pass;
- else `warn` if any finding warns and no accepted exception covers it, or if some findings
  pass and others were not assessed (part of the check's scope was not seen; the reason
  names it);
- else `pass` if any finding passes (failures and warnings under an accepted exception count
  as passing here, and the control records that it used them);
- else `not_assessed`: no findings, or only `not_assessed` and `not_applicable` ones.

A control that lists a check under `attestation-relaxes` counts that check's failures as
warnings while a current attestation is attached to it (PCI-10.2: a node whose kernel is
patched live runs an older kernel version).

**Control verdict**, best to worst: `satisfied`, `satisfied_with_exceptions`,
`partially_satisfied`, `not_assessed`, `not_satisfied`. The first step that applies decides:

1. a `critical` check failed: `not_satisfied`, even when a required check is missing;
2. the control asks for a documented process (`asks-for-process`) and has no current
   attestation: `not_assessed` (\"no document attached\") when none is attached,
   `not_satisfied` when every attached document is past its review date (approved date plus
   `review-interval-days`, before the as-of date);
3. a `required` check was not assessed: `not_assessed` (\"insufficient evidence\", naming each
   missing check and why);
4. the checks that count are every check not marked `supplementary`, each supplementary
   check that was assessed, and the attestation pseudo-check `documented-process` (required
   where the control asks for a process, supplementary where a document is attached to
   another control); when none of them was assessed: `not_assessed`;
5. every counting check passed: `satisfied`, or `satisfied_with_exceptions` when an accepted
   exception covered a failure or warning of any of them;
6. every assessed counting check failed: `not_satisfied`;
7. otherwise `partially_satisfied`: mixed results, warnings, errors, or ordinary checks not
   assessed, each gap named in the narrative.

**Answer**: satisfied → `yes`, satisfied_with_exceptions → `yes_with_exceptions`,
partially_satisfied → `partial`, not_assessed → `unknown`, not_satisfied → `no`.

**`--fail-on`**: `not-satisfied` exits 1 when any control is `not_satisfied`;
`partially-satisfied` exits 1 when any control is anything but `satisfied`
(`satisfied_with_exceptions` and `not_assessed` included).
";

/// The rule in two sentences, for the reports' summary sections.
pub const RULES_SUMMARY: &str = "a check's result is its worst finding (fail, then error, \
then warn, then pass; an accepted exception turns a failure or warning into a pass, and a \
check seen only in part warns). A control is not satisfied when a critical check fails, not \
assessed when a required check or the document a process question needs is missing, \
satisfied (with exceptions, when exceptions were needed) when every check that counts \
passes, not satisfied when every assessed one fails, and partially satisfied otherwise. The \
command evidencer rules prints the whole rule.";

/// A check's findings rolled up into one result, for one control.
#[derive(Clone, Copy, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Warn,
    Error,
    Fail,
    #[default]
    NotAssessed,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Warn => "warn",
            CheckStatus::Error => "error",
            CheckStatus::Fail => "fail",
            CheckStatus::NotAssessed => "not_assessed",
        }
    }

    pub fn is_assessed(self) -> bool {
        self != CheckStatus::NotAssessed
    }
}

/// A control's verdict.
#[derive(Clone, Copy, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Satisfied,
    SatisfiedWithExceptions,
    PartiallySatisfied,
    #[default]
    NotAssessed,
    NotSatisfied,
}

impl Verdict {
    /// Best to worst.
    pub const ALL: [Verdict; 5] = [
        Verdict::Satisfied,
        Verdict::SatisfiedWithExceptions,
        Verdict::PartiallySatisfied,
        Verdict::NotAssessed,
        Verdict::NotSatisfied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Satisfied => "satisfied",
            Verdict::SatisfiedWithExceptions => "satisfied_with_exceptions",
            Verdict::PartiallySatisfied => "partially_satisfied",
            Verdict::NotAssessed => "not_assessed",
            Verdict::NotSatisfied => "not_satisfied",
        }
    }

    pub fn answer(self) -> Answer {
        match self {
            Verdict::Satisfied => Answer::Yes,
            Verdict::SatisfiedWithExceptions => Answer::YesWithExceptions,
            Verdict::PartiallySatisfied => Answer::Partial,
            Verdict::NotAssessed => Answer::Unknown,
            Verdict::NotSatisfied => Answer::No,
        }
    }
}

/// The questionnaire answer a verdict gives.
#[derive(Clone, Copy, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    YesWithExceptions,
    Partial,
    #[default]
    Unknown,
    No,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::YesWithExceptions => "yes_with_exceptions",
            Answer::Partial => "partial",
            Answer::Unknown => "unknown",
            Answer::No => "no",
        }
    }
}

/// The status a finding counts as in its check's result: `pass` for a failure or warning
/// under an accepted exception; `warn` for a failure of a check its control relaxes (a
/// current attestation covers it); else its own.
pub fn effective_status(f: &Finding, relaxed: bool) -> Status {
    if f.is_excepted() {
        Status::Pass
    } else if relaxed && f.status == Status::Fail {
        Status::Warn
    } else {
        f.status
    }
}

/// One check's findings rolled up by the rule in [`RULES`]. `relaxed`: the control counts
/// the check's failures as warnings.
pub fn check_status(findings: &[&Finding], relaxed: bool) -> CheckStatus {
    let has = |s| findings.iter().any(|f| effective_status(f, relaxed) == s);
    if has(Status::Fail) {
        CheckStatus::Fail
    } else if has(Status::Error) {
        CheckStatus::Error
    } else if has(Status::Warn) || (has(Status::Pass) && has(Status::NotAssessed)) {
        CheckStatus::Warn
    } else if has(Status::Pass) {
        CheckStatus::Pass
    } else {
        CheckStatus::NotAssessed
    }
}

/// What [`decide`] needs to know of one check of a control.
#[derive(Clone, Copy, Debug)]
pub struct CheckInput<'a> {
    pub id: &'a str,
    pub status: CheckStatus,
    pub required: bool,
    pub critical: bool,
    pub supplementary: bool,
    /// Failing or warning findings under accepted exceptions.
    pub excepted: usize,
    /// Why it was not assessed, when it was not.
    pub reason: Option<&'a str>,
}

impl CheckInput<'_> {
    fn counts(&self) -> bool {
        !self.supplementary || self.status.is_assessed()
    }
}

/// Which step of the rule decided a verdict, and on what.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Decision {
    /// The control's verdict (report.json has it beside the decision).
    #[serde(skip)]
    pub verdict: Verdict,
    /// The step of [`RULES`] that decided, 1 to 7.
    pub step: u8,
    /// The checks the step names: the critical ones that failed (1), the required ones not
    /// assessed (3); empty otherwise.
    pub checks: Vec<String>,
}

/// The id of the attestation pseudo-check, as [`decide`] looks for it.
const DOCUMENT: &str = crate::evidence::attestation::CHECK_ID;

/// A control's verdict from its checks' results, by the steps of [`RULES`]. The pseudo-check
/// `documented-process`, when the control has it, is one of `checks`.
pub fn decide(checks: &[CheckInput<'_>], asks_for_process: bool) -> Decision {
    let decision = |verdict, step, named: Vec<&str>| Decision {
        verdict,
        step,
        checks: named.into_iter().map(str::to_string).collect(),
    };
    // 1. A critical failure answers No on its own.
    let critical: Vec<&str> = checks
        .iter()
        .filter(|c| c.critical && c.status == CheckStatus::Fail)
        .map(|c| c.id)
        .collect();
    if !critical.is_empty() {
        return decision(Verdict::NotSatisfied, 1, critical);
    }
    // 2. A process question needs a current document.
    if asks_for_process {
        match checks.iter().find(|c| c.id == DOCUMENT).map(|c| c.status) {
            None | Some(CheckStatus::NotAssessed) => {
                return decision(Verdict::NotAssessed, 2, vec![DOCUMENT]);
            }
            Some(CheckStatus::Fail) => return decision(Verdict::NotSatisfied, 2, vec![DOCUMENT]),
            Some(_) => {}
        }
    }
    // 3. No answer without the required evidence.
    let missing: Vec<&str> = checks
        .iter()
        .filter(|c| c.required && !c.status.is_assessed())
        .map(|c| c.id)
        .collect();
    if !missing.is_empty() {
        return decision(Verdict::NotAssessed, 3, missing);
    }
    // 4. The checks that count.
    let counting: Vec<&CheckInput> = checks.iter().filter(|c| c.counts()).collect();
    let assessed: Vec<&&CheckInput> = counting.iter().filter(|c| c.status.is_assessed()).collect();
    if assessed.is_empty() {
        return decision(Verdict::NotAssessed, 4, vec![]);
    }
    // 5. All pass.
    if counting.iter().all(|c| c.status == CheckStatus::Pass) {
        let excepted = counting.iter().any(|c| c.excepted > 0);
        let verdict = if excepted {
            Verdict::SatisfiedWithExceptions
        } else {
            Verdict::Satisfied
        };
        return decision(verdict, 5, vec![]);
    }
    // 6. All that could be judged fail.
    if assessed.iter().all(|c| c.status == CheckStatus::Fail) {
        return decision(Verdict::NotSatisfied, 6, vec![]);
    }
    // 7. Anything else is a partial answer.
    decision(Verdict::PartiallySatisfied, 7, vec![])
}

impl Decision {
    /// The narrative's opening sentence: the verdict, and which step of the rule decided
    /// it on what. `title` names a check for the sentence (its title and id).
    pub fn sentence(
        &self,
        control: &str,
        checks: &[CheckInput<'_>],
        title: impl Fn(&str) -> String,
    ) -> String {
        let named = |ids: &[String]| -> String {
            ids.iter()
                .map(|id| {
                    let reason = checks
                        .iter()
                        .find(|c| c.id == id)
                        .and_then(|c| c.reason)
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default();
                    format!("{}{reason}", title(id))
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let counting: Vec<&CheckInput> = checks.iter().filter(|c| c.counts()).collect();
        let of = |status: CheckStatus| counting.iter().filter(|c| c.status == status).count();
        match (self.step, self.verdict) {
            (_, _) if checks.is_empty() => format!(
                "Not assessed: no check of evidencer gives evidence for {control} yet; answer it from other evidence."
            ),
            (1, _) => {
                let failed: Vec<String> = self.checks.iter().map(|id| title(id)).collect();
                match failed.as_slice() {
                    [one] => format!(
                        "Not satisfied: {one} failed, a critical check: its failure alone answers No."
                    ),
                    _ => format!(
                        "Not satisfied: {} failed, critical checks: the failure of any one alone answers No.",
                        failed.join(" and ")
                    ),
                }
            }
            (2, Verdict::NotAssessed) => format!(
                "Not assessed: no document attached. The question asks for a documented process, \
                 which configuration cannot show: attach the current document as an attestation \
                 (`attestations:` in evidencer.yaml, or --attestations FILE) for {control}."
            ),
            (2, _) => "Not satisfied: every document attached to this control is past its review date, so the documented process is not shown to be current.".to_string(),
            (3, _) => format!(
                "Not assessed: insufficient evidence: the question cannot be answered without {}.",
                named(&self.checks)
            ),
            (4, _) => format!(
                "Not assessed: none of the {} check(s) that count for this control could be assessed from the input.",
                counting.len()
            ),
            (5, Verdict::SatisfiedWithExceptions) => {
                let excepted: usize = counting.iter().map(|c| c.excepted).sum();
                format!(
                    "Satisfied with exceptions: all {} check(s) that count passed, {excepted} finding(s) only because accepted exceptions cover them.",
                    counting.len()
                )
            }
            (5, _) => format!(
                "Satisfied: all {} check(s) that count passed.",
                counting.len()
            ),
            (6, _) => format!(
                "Not satisfied: every assessed check failed ({} of {}).",
                of(CheckStatus::Fail),
                counting.len()
            ),
            _ => {
                let mut s = format!(
                    "Partially satisfied: {} of {} check(s) that count passed",
                    of(CheckStatus::Pass),
                    counting.len()
                );
                for (status, words) in [
                    (CheckStatus::Fail, "failed"),
                    (CheckStatus::Error, "had input that could not be read"),
                    (CheckStatus::Warn, "warned"),
                    (CheckStatus::NotAssessed, "could not be assessed"),
                ] {
                    let ids: Vec<&str> = counting
                        .iter()
                        .filter(|c| c.status == status)
                        .map(|c| c.id)
                        .collect();
                    if !ids.is_empty() {
                        let _ = write!(s, "; {} {words}", ids.join(", "));
                    }
                }
                s.push('.');
                s
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::finding::{FindingException, Severity, Subject};

    fn f(status: Status) -> Finding {
        Finding::new(
            "run-as-non-root",
            Severity::High,
            status,
            Subject::default(),
            "m",
        )
    }

    fn excepted(status: Status) -> Finding {
        let mut f = f(status);
        f.exception = Some(FindingException {
            id: "EXC-1".into(),
            reason: "r".into(),
            approver: "a".into(),
            ticket: "t".into(),
            expires: "2026-12-31".into(),
        });
        f
    }

    #[test]
    fn check_results_follow_the_rule_worst_first() {
        use Status::*;
        let cases: &[(&[Status], CheckStatus)] = &[
            (&[Pass, Warn, Fail, Error], CheckStatus::Fail),
            (&[Pass, Error], CheckStatus::Error),
            (&[Error, Warn], CheckStatus::Error),
            (&[Error], CheckStatus::Error),
            (&[Pass, Warn], CheckStatus::Warn),
            (&[Pass, NotAssessed], CheckStatus::Warn),
            (&[Pass, NotApplicable], CheckStatus::Pass),
            (&[NotApplicable], CheckStatus::NotAssessed),
            (&[NotAssessed, NotApplicable], CheckStatus::NotAssessed),
            (&[], CheckStatus::NotAssessed),
        ];
        for (statuses, want) in cases {
            let fs: Vec<Finding> = statuses.iter().map(|s| f(*s)).collect();
            let refs: Vec<&Finding> = fs.iter().collect();
            assert_eq!(check_status(&refs, false), *want, "{statuses:?}");
        }
    }

    #[test]
    fn exceptions_pass_and_relaxation_warns() {
        let fs = [excepted(Status::Fail), f(Status::Pass)];
        let refs: Vec<&Finding> = fs.iter().collect();
        assert_eq!(check_status(&refs, false), CheckStatus::Pass);
        let fs = [excepted(Status::Fail), f(Status::Warn)];
        let refs: Vec<&Finding> = fs.iter().collect();
        assert_eq!(check_status(&refs, false), CheckStatus::Warn);
        // Only fail and warn are ever excepted.
        let fs = [excepted(Status::Error)];
        let refs: Vec<&Finding> = fs.iter().collect();
        assert_eq!(check_status(&refs, false), CheckStatus::Error);
        let fs = [f(Status::Fail), f(Status::Pass)];
        let refs: Vec<&Finding> = fs.iter().collect();
        assert_eq!(check_status(&refs, true), CheckStatus::Warn);
        assert_eq!(check_status(&refs, false), CheckStatus::Fail);
    }

    fn input(id: &str, status: CheckStatus) -> CheckInput<'_> {
        CheckInput {
            id,
            status,
            required: false,
            critical: false,
            supplementary: false,
            excepted: 0,
            reason: None,
        }
    }

    #[test]
    fn each_step_of_the_rule_decides_in_order() {
        use CheckStatus::*;
        let plain = |s| input("x", s);
        let required = |s| CheckInput {
            required: true,
            ..input("req", s)
        };
        let critical = |s| CheckInput {
            critical: true,
            ..input("crit", s)
        };
        let supplementary = |s| CheckInput {
            supplementary: true,
            ..input("sup", s)
        };
        let document = |s| CheckInput {
            required: true,
            ..input(DOCUMENT, s)
        };
        let excepted = |s| CheckInput {
            excepted: 2,
            ..input("exc", s)
        };
        let cases: Vec<(Vec<CheckInput>, bool, Verdict, u8)> = vec![
            // 1: a critical failure, even with a required check missing and no document.
            (
                vec![critical(Fail), required(NotAssessed), plain(Pass)],
                true,
                Verdict::NotSatisfied,
                1,
            ),
            // 2: a process question without a document, or with an expired one.
            (vec![plain(Pass)], true, Verdict::NotAssessed, 2),
            (
                vec![document(NotAssessed), plain(Pass)],
                true,
                Verdict::NotAssessed,
                2,
            ),
            (
                vec![document(Fail), plain(Pass)],
                true,
                Verdict::NotSatisfied,
                2,
            ),
            // 3: a required check missing: never partial, even with passes beside it.
            (
                vec![
                    required(NotAssessed),
                    plain(Pass),
                    plain(NotAssessed),
                    plain(NotAssessed),
                    plain(NotAssessed),
                    plain(Fail),
                ],
                false,
                Verdict::NotAssessed,
                3,
            ),
            // 4: nothing that counts was assessed.
            (
                vec![plain(NotAssessed), supplementary(NotAssessed)],
                false,
                Verdict::NotAssessed,
                4,
            ),
            (vec![], false, Verdict::NotAssessed, 4),
            // 5: every counting check passes; an unassessed supplementary one does not count.
            (
                vec![plain(Pass), supplementary(NotAssessed)],
                false,
                Verdict::Satisfied,
                5,
            ),
            (
                vec![document(Pass), plain(Pass)],
                true,
                Verdict::Satisfied,
                5,
            ),
            (
                vec![plain(Pass), excepted(Pass)],
                false,
                Verdict::SatisfiedWithExceptions,
                5,
            ),
            // 6: every assessed counting check fails.
            (
                vec![plain(Fail), plain(NotAssessed)],
                false,
                Verdict::NotSatisfied,
                6,
            ),
            // 7: the rest, errors and warnings included.
            (
                vec![plain(Pass), plain(NotAssessed)],
                false,
                Verdict::PartiallySatisfied,
                7,
            ),
            (
                vec![plain(Pass), plain(Error)],
                false,
                Verdict::PartiallySatisfied,
                7,
            ),
            (vec![plain(Error)], false, Verdict::PartiallySatisfied, 7),
            (
                vec![plain(Fail), supplementary(Pass)],
                false,
                Verdict::PartiallySatisfied,
                7,
            ),
            (
                vec![plain(Warn), critical(Warn)],
                false,
                Verdict::PartiallySatisfied,
                7,
            ),
            (
                vec![document(Pass), plain(NotAssessed)],
                true,
                Verdict::PartiallySatisfied,
                7,
            ),
        ];
        for (checks, process, verdict, step) in cases {
            let d = decide(&checks, process);
            assert_eq!(
                (d.verdict, d.step),
                (verdict, step),
                "{checks:?} process={process}"
            );
        }
    }

    #[test]
    fn the_decision_names_what_decided() {
        let checks = [
            CheckInput {
                required: true,
                reason: Some("no VulnerabilityReport objects were in the input"),
                ..input("images-scanned", CheckStatus::NotAssessed)
            },
            input("running-image-consistent", CheckStatus::Pass),
        ];
        let d = decide(&checks, false);
        assert_eq!(d.checks, ["images-scanned"]);
        let s = d.sentence("PCI-10.3", &checks, |id| format!("`{id}`"));
        assert_eq!(
            s,
            "Not assessed: insufficient evidence: the question cannot be answered without \
             `images-scanned`: no VulnerabilityReport objects were in the input."
        );
    }

    #[test]
    fn answers_follow_verdicts_best_to_worst() {
        let answers: Vec<_> = Verdict::ALL.iter().map(|v| v.answer().as_str()).collect();
        assert_eq!(
            answers,
            ["yes", "yes_with_exceptions", "partial", "unknown", "no"]
        );
    }
}
