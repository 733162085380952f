//! Questionnaire answers: `answers.csv`, one row per control, to paste into a security
//! questionnaire or import into a GRC tool.
//!
//! Takes the [`Report`] and its id and gives the file's bytes: a header row, then
//! `control_id, catalog, question, answer, verdict, narrative, evidence_summary, report_id,
//! period_start, period_end, as_of, scope, evidence_collected_from, evidence_collected_to`
//! per control in catalog order (the last six the same on every row: what the answers speak
//! for, so a row pasted elsewhere keeps them); a fleet report adds `cluster_verdicts`, each
//! cluster's own verdict. RFC 4180: CRLF line ends, a field holding a comma, quote,
//! CR or LF is quoted with its quotes doubled; UTF-8 without a byte-order mark.
//!
//! Cells come from cluster objects that anyone with deploy rights can name, and spreadsheet
//! programs run a cell that starts with `=`, `+`, `-` or `@` (and after a tab or CR) as a
//! formula: such a cell is prefixed with `'`, which spreadsheets show as text, so a
//! Deployment named `=HYPERLINK(...)` stays a name. Control and bidi characters are shown as
//! their code (`\u{1b}`, see [`crate::base::text`]). Pure.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

use super::Report;
use super::view::{answer_label, verdict_label};
use crate::assess::{CheckStatus, ControlResult};
use crate::base::text;
use crate::evidence::finding::Finding;
use crate::evidence::record::EvidenceRecord;

/// The file `--format csv` writes.
pub const FILE_NAME: &str = "answers.csv";

/// The header row, in column order.
pub const HEADER: [&str; 14] = [
    "control_id",
    "catalog",
    "question",
    "answer",
    "verdict",
    "narrative",
    "evidence_summary",
    "report_id",
    "period_start",
    "period_end",
    "as_of",
    "scope",
    "evidence_collected_from",
    "evidence_collected_to",
];

/// The column a fleet report adds after [`HEADER`]: each cluster's own verdict.
pub const CLUSTERS_COLUMN: &str = "cluster_verdicts";

/// `answers.csv` for a report whose `report.json` has the id `report_id`. A fleet report's
/// rows answer for the fleet (the worst verdict) and end with [`CLUSTERS_COLUMN`]:
/// `prod-eu: Satisfied; prod-us: Not satisfied`.
pub fn render(report: &Report, report_id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(512 * (report.controls.len() + 1));
    let fleet = !report.clusters.is_empty();
    write_row(
        &mut out,
        HEADER
            .iter()
            .copied()
            .chain(fleet.then_some(CLUSTERS_COLUMN))
            .map(Cow::Borrowed),
    );
    let common = super::answers::Common::new(report, report_id);
    for row in super::answers::control_rows(report) {
        let c = row.control;
        let per_cluster = fleet.then(|| {
            report
                .clusters
                .iter()
                .map(|k| {
                    let v = k.controls.iter().find(|v| v.id == c.id);
                    format!(
                        "{}: {}",
                        k.name,
                        v.map_or("(not in its report)", |v| verdict_label(v.verdict))
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        });
        write_row(
            &mut out,
            [
                c.id.as_str(),
                c.catalog.as_str(),
                c.question.as_str(),
                answer_label(c.answer),
                verdict_label(c.verdict),
                // The short answer statement: the full narrative stays in the reports.
                c.statement.as_str(),
                row.summary.as_str(),
                common.report_id,
                common.period_start,
                common.period_end,
                common.as_of,
                common.scope.as_str(),
                common.collected_from,
                common.collected_to,
            ]
            .into_iter()
            .chain(per_cluster.as_deref())
            .map(Cow::Borrowed),
        );
    }
    out
}

/// The header row with a questionnaire mapping (`--questionnaire`), in column order: one
/// row per customer question.
pub const QUESTION_HEADER: [&str; 18] = [
    "question_id",
    "questionnaire",
    "question",
    "paraphrase",
    "answer",
    "verdict",
    "combine",
    "controls",
    "control_verdicts",
    "narrative",
    "evidence_summary",
    "report_id",
    "period_start",
    "period_end",
    "as_of",
    "scope",
    "evidence_collected_from",
    "evidence_collected_to",
];

/// `answers.csv` with a questionnaire mapping: one row per customer question, with the
/// customer's id and wording, the controls that answer it and their verdicts, and the
/// question's answer combined from them (see [`super::answers`]).
pub fn render_questions(
    report: &Report,
    report_id: &str,
    questionnaire: &crate::assess::questionnaire::Questionnaire,
) -> Vec<u8> {
    let rows = super::answers::control_rows(report);
    let questions = super::answers::question_rows(questionnaire, &rows);
    let common = super::answers::Common::new(report, report_id);
    let mut out = Vec::with_capacity(1024 * (questions.len() + 1));
    write_row(&mut out, QUESTION_HEADER.iter().map(|h| Cow::Borrowed(*h)));
    for q in &questions {
        let (controls, verdicts) = (q.control_ids(), q.control_verdicts());
        write_row(
            &mut out,
            [
                q.question.id.as_str(),
                questionnaire.name.as_str(),
                q.question.text.as_str(),
                if q.question.paraphrase {
                    "true"
                } else {
                    "false"
                },
                answer_label(q.answer),
                verdict_label(q.verdict),
                q.question.combine.as_str(),
                controls.as_str(),
                verdicts.as_str(),
                q.narrative.as_str(),
                q.summary.as_str(),
                common.report_id,
                common.period_start,
                common.period_end,
                common.as_of,
                common.scope.as_str(),
                common.collected_from,
                common.collected_to,
            ]
            .into_iter()
            .map(Cow::Borrowed),
        );
    }
    out
}

/// What a control's answer rests on, in a few lines: each check's result with its findings
/// by status, the evidence records cited and their sources, and the exceptions applied.
pub(super) fn evidence_summary(
    report: &Report,
    c: &ControlResult,
    findings: &HashMap<&str, &Finding>,
    records: &HashMap<&str, &EvidenceRecord>,
) -> String {
    let mut out = String::new();
    if c.checks.is_empty() {
        out.push_str("No check gives evidence for this control.");
        return out;
    }
    let checks: Vec<String> = c
        .checks
        .iter()
        .map(|k| {
            let status = match k.status {
                CheckStatus::Pass => "pass",
                CheckStatus::Warn => "warn",
                CheckStatus::Error => "error",
                CheckStatus::Fail => "fail",
                CheckStatus::NotAssessed => "not assessed",
            };
            let n = &k.counts;
            let mut parts = Vec::new();
            for (count, label) in [
                (n.fail, "fail"),
                (n.warn, "warn"),
                (n.pass, "pass"),
                (n.error, "unreadable"),
                (n.not_assessed, "not assessed"),
                (n.not_applicable, "not applicable"),
            ] {
                if count > 0 {
                    parts.push(format!("{count} {label}"));
                }
            }
            if k.excepted > 0 {
                parts.push(format!("{} excepted", k.excepted));
            }
            if parts.is_empty() {
                format!("{} {status}", k.id)
            } else {
                format!("{} {status} ({})", k.id, parts.join(", "))
            }
        })
        .collect();
    let _ = write!(out, "Checks: {}.", checks.join("; "));

    let mut cited: BTreeSet<&str> = BTreeSet::new();
    for id in &c.findings {
        if let Some(f) = findings.get(id.as_str()) {
            cited.extend(f.evidence.iter().map(String::as_str));
        }
    }
    let sources: BTreeSet<&str> = cited
        .iter()
        .filter_map(|id| records.get(id).map(|r| r.source.as_str()))
        .collect();
    let _ = write!(
        out,
        "\nEvidence: {} finding(s) citing {} evidence record(s) from {} source(s).",
        c.findings.len(),
        cited.len(),
        sources.len()
    );

    if !c.exceptions.is_empty() {
        let mut covered: BTreeMap<&str, usize> = BTreeMap::new();
        for id in &c.findings {
            if let Some(e) = findings
                .get(id.as_str())
                .filter(|f| f.is_excepted())
                .and_then(|f| f.exception.as_ref())
            {
                *covered.entry(e.id.as_str()).or_default() += 1;
            }
        }
        let listed: Vec<String> = report
            .exceptions
            .applied
            .iter()
            .filter(|e| c.exceptions.contains(&e.id))
            .map(|e| {
                format!(
                    "{} ({} finding(s); ticket {}; approved by {}; expires {})",
                    e.id,
                    covered.get(e.id.as_str()).copied().unwrap_or(0),
                    e.ticket,
                    e.approver,
                    e.expires
                )
            })
            .collect();
        let _ = write!(out, "\nExceptions applied: {}.", listed.join("; "));
    }
    out
}

fn write_row<'a>(out: &mut Vec<u8>, cells: impl Iterator<Item = Cow<'a, str>>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_cell(out, &neutralise(&text::escape_controls(&cell)));
    }
    out.extend_from_slice(b"\r\n");
}

/// Quotes a field when RFC 4180 needs it (comma, quote, CR or LF), doubling its quotes.
fn write_cell(out: &mut Vec<u8>, cell: &str) {
    if cell.contains([',', '"', '\r', '\n']) {
        out.push(b'"');
        out.extend_from_slice(cell.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(cell.as_bytes());
    }
}

/// A cell a spreadsheet would run as a formula, prefixed with `'` so it shows as text:
/// one starting with `=`, `+`, `-`, `@`, a tab or a CR, or with the full-width `＝`, `＋`,
/// `－`, `＠` that some spreadsheets also take for them.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    const TRIGGERS: [char; 10] = [
        '=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
    ];
    match cell.chars().next() {
        Some(c) if TRIGGERS.contains(&c) => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> String {
        let mut out = Vec::new();
        write_row(&mut out, cells.iter().map(|c| Cow::Borrowed(*c)));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(row(&["a", "b c", "ü"]), "a,b c,ü\r\n");
        assert_eq!(row(&["a,b"]), "\"a,b\"\r\n");
        assert_eq!(row(&["say \"hi\""]), "\"say \"\"hi\"\"\"\r\n");
        assert_eq!(row(&["two\nlines"]), "\"two\nlines\"\r\n");
        assert_eq!(row(&["cr\rhere"]), "\"cr\rhere\"\r\n");
        assert_eq!(row(&["", ""]), ",\r\n");
        assert_eq!(
            row(&["web\u{1b}]8;;x\u{7}", "\u{202e}=1"]),
            "web\\u{1b}]8;;x\\u{7},\\u{202e}=1\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralised() {
        for cell in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1",
            "-1+2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "\u{FF1D}1+1",
        ] {
            assert_eq!(neutralise(cell), format!("'{cell}"), "{cell:?}");
        }
        for cell in ["a=b", " =1", "'quoted", "", "Satisfied: all"] {
            assert_eq!(neutralise(cell), cell, "{cell:?}");
        }
        // Neutralised before quoting: the quote goes around the prefixed text.
        assert_eq!(row(&["=1,2"]), "\"'=1,2\"\r\n");
        assert_eq!(row(&["-\"x\""]), "\"'-\"\"x\"\"\"\r\n");
    }
}
