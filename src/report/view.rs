//! The view model the text renderers (Markdown, HTML) read: the report, arranged for
//! reading. Built once per run; templates only lay it out.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Period, Report};
use crate::assess::ControlResult;
use crate::finding::{Finding, Status};

/// The title of every report.
pub const TITLE: &str = "Container immutability and patching evidence";

#[derive(Debug, Serialize)]
pub struct ReportView<'a> {
    pub title: String,
    pub report: &'a Report,
    /// `2026-Q3 (2026-07-01 to 2026-09-30)`, or null.
    pub period: Option<String>,
    pub controls: Vec<ControlView<'a>>,
    /// Findings by id, for templates that look one up.
    pub finding_count: usize,
}

#[derive(Debug, Serialize)]
pub struct ControlView<'a> {
    pub control: &'a ControlResult,
    /// Findings that are not `not_applicable`, failures first.
    pub findings: Vec<FindingRow<'a>>,
}

#[derive(Debug, Serialize)]
pub struct FindingRow<'a> {
    pub id: &'a str,
    pub check: &'a str,
    pub status: Status,
    pub severity: &'a str,
    pub subject: String,
    /// `path:line`, when the subject was read from a file.
    pub location: Option<String>,
    pub message: &'a str,
    pub evidence: &'a [String],
}

impl<'a> FindingRow<'a> {
    pub fn new(f: &'a Finding) -> Self {
        Self {
            id: &f.id,
            check: f.check,
            status: f.status,
            severity: f.severity.as_str(),
            subject: f.subject.display_name(),
            location: f.subject.file_location(),
            message: &f.message,
            evidence: &f.evidence,
        }
    }
}

/// How findings are ordered in a control's table: what needs attention first.
fn status_rank(s: Status) -> u8 {
    match s {
        Status::Fail => 0,
        Status::Error => 1,
        Status::Warn => 2,
        Status::NotAssessed => 3,
        Status::Pass => 4,
        Status::NotApplicable => 5,
    }
}

impl<'a> ReportView<'a> {
    pub fn new(report: &'a Report) -> Self {
        let by_id: BTreeMap<&str, &Finding> =
            report.findings.iter().map(|f| (f.id.as_str(), f)).collect();
        let controls = report
            .controls
            .iter()
            .map(|control| {
                let mut findings: Vec<FindingRow<'a>> = control
                    .findings
                    .iter()
                    .filter_map(|id| by_id.get(id.as_str()))
                    .map(|f| FindingRow::new(f))
                    .collect();
                findings.sort_by_key(|r| status_rank(r.status));
                ControlView { control, findings }
            })
            .collect();
        let period = report.period.as_ref().map(Period::describe);
        ReportView {
            title: TITLE.into(),
            report,
            period,
            controls,
            finding_count: report.findings.len(),
        }
    }
}
