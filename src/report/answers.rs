//! The questionnaire answers as rows, for `answers.csv` and `answers.xlsx`: one per control,
//! or, with a questionnaire mapping (`--questionnaire`), one per customer question.
//!
//! Takes the [`Report`] (its control results: verdict, answer, short statement, findings)
//! and gives rows that say the same thing in both files: a control's row holds its result,
//! the evidence summary `answers.csv` has always carried and the evidence records its
//! findings cite; a question's row combines the rows of its controls by the question's
//! rule ([`crate::assess::questionnaire::combine`]). Nothing is assessed again here. Pure.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use super::Report;
use super::view::verdict_label;
use crate::assess::questionnaire::{Combine, Question, Questionnaire, combine};
use crate::assess::{Answer, ControlResult, Verdict};
use crate::evidence::finding::Finding;
use crate::evidence::record::EvidenceRecord;

/// What every row speaks for, the same on each: the report id, the period, the as-of
/// instant, the scope and the collection window of the evidence.
#[derive(Debug)]
pub struct Common<'a> {
    pub report_id: &'a str,
    /// RFC 3339; empty without an audit period.
    pub period_start: &'a str,
    pub period_end: &'a str,
    pub as_of: &'a str,
    /// `clusters: a; repositories: x; namespaces: all`.
    pub scope: String,
    /// The earliest and latest collection time the evidence records; empty when none does.
    pub collected_from: &'a str,
    pub collected_to: &'a str,
}

impl<'a> Common<'a> {
    pub fn new(report: &'a Report, report_id: &'a str) -> Self {
        let (period_start, period_end) = report
            .period
            .as_ref()
            .map_or(("", ""), |p| (p.start.as_str(), p.end.as_str()));
        let (from, to) = report.collection_window();
        Common {
            report_id,
            period_start,
            period_end,
            as_of: &report.as_of,
            scope: report.scope_line(),
            collected_from: from.unwrap_or(""),
            collected_to: to.unwrap_or(""),
        }
    }
}

/// One control's answer.
#[derive(Debug)]
pub struct ControlRow<'a> {
    pub control: &'a ControlResult,
    /// Its checks' results, the findings and evidence cited, the exceptions applied.
    pub summary: String,
    /// The evidence records its findings cite, sorted.
    pub evidence: Vec<&'a str>,
}

/// One customer question's answer.
#[derive(Debug)]
pub struct QuestionRow<'a> {
    pub question: &'a Question,
    /// The controls that answer it, in the mapping's order.
    pub controls: Vec<&'a ControlRow<'a>>,
    pub verdict: Verdict,
    pub answer: Answer,
    /// How the verdict was reached, then each control's short statement.
    pub narrative: String,
    /// Each control's evidence summary, under its id.
    pub summary: String,
    /// The evidence records any of its controls cite, sorted.
    pub evidence: Vec<&'a str>,
}

impl QuestionRow<'_> {
    /// `PCI-10.3: Not satisfied; PR.PS-02.242: Satisfied`.
    pub fn control_verdicts(&self) -> String {
        self.controls
            .iter()
            .map(|r| format!("{}: {}", r.control.id, verdict_label(r.control.verdict)))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// `PCI-10.3, PR.PS-02.242`.
    pub fn control_ids(&self) -> String {
        self.controls
            .iter()
            .map(|r| r.control.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every control's row, in catalog order.
pub fn control_rows(report: &Report) -> Vec<ControlRow<'_>> {
    let findings: HashMap<&str, &Finding> =
        report.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    let records: HashMap<&str, &EvidenceRecord> =
        report.evidence.iter().map(|e| (e.id.as_str(), e)).collect();
    report
        .controls
        .iter()
        .map(|c| {
            let evidence: BTreeSet<&str> = c
                .findings
                .iter()
                .filter_map(|id| findings.get(id.as_str()))
                .flat_map(|f| f.evidence.iter().map(String::as_str))
                .collect();
            ControlRow {
                control: c,
                summary: super::csv::evidence_summary(report, c, &findings, &records),
                evidence: evidence.into_iter().collect(),
            }
        })
        .collect()
}

/// Every question's row, in the mapping's order. `rows` are [`control_rows`] of the report
/// the questionnaire was validated against: a control it names is always there.
pub fn question_rows<'a>(
    questionnaire: &'a Questionnaire,
    rows: &'a [ControlRow<'a>],
) -> Vec<QuestionRow<'a>> {
    let by_id: HashMap<&str, &ControlRow> =
        rows.iter().map(|r| (r.control.id.as_str(), r)).collect();
    questionnaire
        .questions
        .iter()
        .map(|q| {
            let controls: Vec<&ControlRow> = q
                .controls
                .iter()
                .filter_map(|id| by_id.get(id.as_str()).copied())
                .collect();
            let verdicts: Vec<Verdict> = controls.iter().map(|r| r.control.verdict).collect();
            let verdict = combine(q.combine, &verdicts);
            let mut narrative = how_combined(q.combine, &controls, verdict);
            let mut summary = String::new();
            let mut evidence = BTreeSet::new();
            for r in &controls {
                let c = r.control;
                let _ = write!(
                    narrative,
                    "\n{} ({}): {}",
                    c.id,
                    verdict_label(c.verdict),
                    c.statement
                );
                if !summary.is_empty() {
                    summary.push('\n');
                }
                let _ = write!(summary, "{}: {}", c.id, r.summary);
                evidence.extend(r.evidence.iter().copied());
            }
            QuestionRow {
                question: q,
                controls,
                verdict,
                answer: verdict.answer(),
                narrative,
                summary,
                evidence: evidence.into_iter().collect(),
            }
        })
        .collect()
}

/// The sentence that says how a question's verdict follows from its controls'.
fn how_combined(how: Combine, controls: &[&ControlRow], verdict: Verdict) -> String {
    let n = controls.len();
    let label = verdict_label(verdict).to_lowercase();
    let deciding = controls
        .iter()
        .find(|r| r.control.verdict == verdict)
        .map(|r| r.control.id.as_str());
    match (how, n) {
        (_, 1) => format!("Answered by {} ({label}).", controls[0].control.id.as_str()),
        (Combine::Worst, _) => format!(
            "{}: the worst verdict of the {n} controls mapped, {}.",
            capitalised(&label),
            deciding.unwrap_or("none")
        ),
        (Combine::Any, _) => format!(
            "{}: the best verdict of the {n} controls mapped (any one answers it), {}.",
            capitalised(&label),
            deciding.unwrap_or("none")
        ),
        (Combine::AllMustPass, _) => {
            let satisfied = controls
                .iter()
                .filter(|r| {
                    matches!(
                        r.control.verdict,
                        Verdict::Satisfied | Verdict::SatisfiedWithExceptions
                    )
                })
                .count();
            format!(
                "{}: every one of the {n} controls mapped must be satisfied, and {satisfied} \
                 of {n} are.",
                capitalised(&label)
            )
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
