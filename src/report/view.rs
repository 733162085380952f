//! The view model the text renderers (Markdown, HTML) read: the report, arranged for
//! reading. Built once per run from a [`Report`]; templates only lay it out.
//!
//! Everything a template shows is computed here, once: labels for every enum value, counts,
//! display dates, sorted rows, unique HTML anchors and the links from findings to the evidence
//! appendix. Templates never look anything up per row, which keeps rendering of ten thousand
//! findings fast, and keeps the Markdown and HTML reports saying the same thing.
//!
//! The view holds values exactly as they came from the input; escaping is the template
//! engine's job (autoescape for HTML, the `md` filter for Markdown). The view is the whole
//! context of a template, built-in or given with `--templates DIR`: its field names are
//! what custom templates are written against.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Report;
use crate::assess::catalog::CatalogFile;
use crate::assess::{Answer, CheckStatus, ControlResult, StatusCounts, Verdict};
use crate::evidence::datafile::DataFile;
use crate::evidence::finding::{Finding, Status};
use crate::evidence::inventory::KindStatus;
use crate::evidence::inventory::ProblemLevel;
use crate::evidence::record::EvidenceKind;

/// Anchors of the report's fixed sections; control and evidence anchors never take these.
pub const SECTION_ANCHORS: [&str; 10] = [
    "scope",
    "summary",
    "controls",
    "exceptions",
    "timeline",
    "problems",
    "coverage",
    "redaction",
    "evidence",
    "top",
];

/// The title of every report.
pub const TITLE: &str = "Container immutability and patching evidence";

#[derive(Debug, Serialize)]
pub struct ReportView<'a> {
    pub title: String,
    pub tool: ToolView<'a>,
    pub schema_version: u32,
    /// `2026-09-30 23:59:59 UTC`.
    pub generated_at: String,
    pub as_of: String,
    /// `2026-Q3 (2026-07-01 to 2026-09-30)`, or null.
    pub period: Option<String>,
    pub sources: Vec<SourceView<'a>>,
    /// What was collected and when, what the input cannot show, what was not assessed.
    pub scope: &'a crate::report::scope::Scope,
    /// `period_kind` of report.json: `period` or `point_in_time`.
    pub period_kind: crate::report::PeriodKind,
    /// report.json's `period`, shown: the audit period, or when the state was seen.
    pub stated_period: String,
    /// `v1.31.2 (linux/amd64)`, when the input recorded the API server's version.
    pub server_version: Option<String>,
    pub catalogs: &'a [CatalogFile],
    pub templates: &'a [DataFile],
    pub data_files: &'a [DataFile],
    pub objects: usize,
    pub evidence_records: usize,
    /// Controls by verdict, in the order of [`Verdict::ALL`].
    pub verdicts: Vec<Tally>,
    /// The roll-up rule in brief ([`crate::assess::rollup::RULES_SUMMARY`]).
    pub rules_summary: &'static str,
    /// Findings by status, most urgent first.
    pub statuses: Vec<Tally>,
    pub finding_total: usize,
    /// Failing or warning findings covered by an accepted exception (also in `statuses`).
    pub finding_excepted: usize,
    pub controls: Vec<ControlView<'a>>,
    /// The accepted risks: applied, expired and unused.
    pub exceptions: ExceptionsView<'a>,
    /// Errors first, then warnings, then notes.
    pub problems: Vec<ProblemRow<'a>>,
    /// Problems by level; levels with none are left out.
    pub problem_levels: Vec<Tally>,
    pub coverage: Vec<CoverageRow>,
    /// The trees of repositories left out of scope, per repository.
    pub excluded: Vec<ExcludedRow>,
    pub redaction: Vec<Tally>,
    pub secrets_dropped: usize,
    /// Values removed from objects that were kept (ConfigMap data, env values, annotations).
    pub values_redacted: usize,
    /// The evidence appendix, one group per source in source order.
    pub evidence_groups: Vec<EvidenceGroup<'a>>,
    /// The image change timeline, when a repository's history was read (rows may be none).
    pub timeline: Option<Timeline<'a>>,
    /// Section numbers after the controls, which move when the timeline is shown.
    pub numbers: SectionNumbers,
    /// A fleet report's clusters and each one's verdicts; null for one cluster.
    pub clusters: Option<ClustersView<'a>>,
    /// With `--compare-previous`: the comparison with the previous period's report, or the
    /// sentence saying there is none.
    pub previous: Option<PreviousView<'a>>,
}

/// The per-cluster verdict table of a fleet report.
#[derive(Debug, Serialize)]
pub struct ClustersView<'a> {
    /// The clusters, in report order, with their contexts.
    pub names: Vec<ClusterName<'a>>,
    /// One row per control, in report order.
    pub rows: Vec<ClusterRow<'a>>,
}

#[derive(Debug, Serialize)]
pub struct ClusterName<'a> {
    pub name: &'a str,
    pub context: Option<&'a str>,
    /// The id of the report.json it was read from, for `fleet` over archived runs.
    pub report: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct ClusterRow<'a> {
    pub id: &'a str,
    pub anchor: String,
    /// The fleet's verdict (the worst).
    pub verdict: &'static str,
    pub verdict_label: &'static str,
    /// The clusters whose verdict it is.
    pub verdict_clusters: &'a [String],
    /// Each cluster's verdict, in the order of `names`.
    pub cells: Vec<Tally>,
}

/// The "Changes since the previous period" section.
#[derive(Debug, Serialize)]
pub struct PreviousView<'a> {
    pub diff: Option<&'a crate::report::diff::Diff>,
    pub sentence: Option<&'a str>,
}

/// Numbers of the sections that follow the controls (section 3) and the exceptions
/// (section 4, always shown).
#[derive(Debug, Serialize)]
pub struct SectionNumbers {
    /// With `--compare-previous`: the changes since the previous period.
    pub previous: Option<usize>,
    pub timeline: Option<usize>,
    pub problems: usize,
    pub coverage: usize,
    pub redaction: usize,
    pub evidence: usize,
}

impl SectionNumbers {
    fn new(previous: bool, timeline: bool) -> Self {
        let n = 5 + usize::from(previous) + usize::from(timeline);
        SectionNumbers {
            previous: previous.then_some(5),
            timeline: timeline.then_some(5 + usize::from(previous)),
            problems: n,
            coverage: n + 1,
            redaction: n + 2,
            evidence: n + 3,
        }
    }
}

/// The image changes found in the repositories' history over the period.
#[derive(Debug, Serialize)]
pub struct Timeline<'a> {
    pub count: usize,
    /// Oldest first.
    pub rows: Vec<ChangeRow<'a>>,
}

#[derive(Debug, Serialize)]
pub struct ChangeRow<'a> {
    /// Display form of the commit time.
    pub time: String,
    pub commit: &'a str,
    /// The first 12 hex digits.
    pub short_commit: &'a str,
    pub author: &'a str,
    pub source: &'a str,
    pub path: &'a str,
    pub subject: &'a str,
    /// `(none)` when the reference was added.
    pub old_image: &'a str,
    /// `(none)` when the reference was removed.
    pub new_image: &'a str,
}

#[derive(Debug, Serialize)]
pub struct ExceptionsView<'a> {
    /// True when the run had an exceptions file with at least one exception.
    pub any: bool,
    pub applied: Vec<ExceptionRow<'a>>,
    pub expired: Vec<ExceptionRow<'a>>,
    pub unused: Vec<ExceptionRow<'a>>,
}

/// One exception of the exceptions section.
#[derive(Debug, Serialize)]
pub struct ExceptionRow<'a> {
    pub id: &'a str,
    pub anchor: String,
    pub check: &'a str,
    /// `kind=Deployment namespace=legacy-*` or `finding <id>`.
    pub selector: String,
    pub reason: &'a str,
    pub approver: &'a str,
    pub ticket: &'a str,
    pub expires: &'a str,
    pub defined_at: &'a str,
    /// Applied: the findings it covers; expired: those it would have covered.
    pub findings: Vec<ExceptedFinding<'a>>,
}

#[derive(Debug, Serialize)]
pub struct ExceptedFinding<'a> {
    pub id: &'a str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub subject: String,
    pub location: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct EvidenceGroup<'a> {
    pub source: &'a str,
    pub count: usize,
    /// In the report's order (by locator).
    pub rows: Vec<EvidenceRow<'a>>,
}

#[derive(Debug, Serialize)]
pub struct ToolView<'a> {
    pub name: &'a str,
    pub version: &'a str,
}

/// A count with the key a template styles it by and the words it shows.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Tally {
    pub key: &'static str,
    pub label: &'static str,
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct SourceView<'a> {
    pub id: &'a str,
    pub kind: &'static str,
    pub location: &'a str,
    pub identity: &'a str,
    /// `(key, value)` pairs in key order.
    pub details: Vec<Detail<'a>>,
}

#[derive(Debug, Serialize)]
pub struct Detail<'a> {
    pub key: &'a str,
    pub value: &'a str,
}

#[derive(Debug, Serialize)]
pub struct ControlView<'a> {
    pub id: &'a str,
    pub anchor: String,
    /// `source` (the source prints the id) or `local` (evidencer's own label).
    pub id_source: &'static str,
    /// Where the id comes from, in words.
    pub id_source_label: &'static str,
    /// The document the question is quoted from.
    pub source: &'a str,
    /// The CSF 2.0 subcategory the question falls under (evidencer's mapping).
    pub csf_reference: Option<&'a str>,
    /// The question asks for a documented process.
    pub asks_for_process: bool,
    /// The documents attested for this control.
    pub documents: Vec<DocumentRow<'a>>,
    pub catalog: &'a str,
    pub title: &'a str,
    pub question: &'a str,
    pub explanation: &'a str,
    pub verdict: &'static str,
    pub verdict_label: &'static str,
    pub answer: &'static str,
    pub answer_label: &'static str,
    pub narrative: &'a str,
    /// The short answer statement (verdict, decisive evidence, main gap).
    pub statement: &'a str,
    pub checks: Vec<CheckRow<'a>>,
    /// Sums of the checks' counts (a finding of a check used twice is counted once per use).
    pub counts: StatusCounts,
    /// Findings that need attention (fail, error, warn, not_assessed), most urgent first.
    pub attention_count: usize,
    pub passing_count: usize,
    /// Failing or warning findings covered by an accepted exception.
    pub excepted_count: usize,
    /// Ids of the exceptions this control relied on.
    pub exceptions: &'a [String],
    /// The findings tables, leaving out empty ones: first those that need attention,
    /// then those covered by accepted exceptions, then the passing ones (by check, then
    /// subject). One list so that templates lay out a findings table once.
    pub tables: Vec<FindingTable<'a>>,
}

#[derive(Debug, Serialize)]
pub struct FindingTable<'a> {
    /// `attention`, `excepted` or `passing`.
    pub kind: &'static str,
    pub count: usize,
    pub rows: Vec<FindingRow<'a>>,
}

#[derive(Debug, Serialize)]
pub struct CheckRow<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub required: bool,
    pub critical: bool,
    pub supplementary: bool,
    /// The attestations that turn its failures into warnings for this control.
    pub relaxed_by: &'a [String],
    pub counts: &'a StatusCounts,
    /// Why it was not assessed, when it was not.
    pub reason: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct FindingRow<'a> {
    pub id: &'a str,
    pub check: &'a str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub severity: &'static str,
    pub subject: String,
    /// `path:line`, when the subject was read from a file.
    pub location: Option<String>,
    pub message: &'a str,
    pub evidence: Vec<EvidenceLink<'a>>,
    /// The accepted exception covering it, when one does.
    pub exception: Option<ExceptionLink<'a>>,
    /// The cluster whose evidence gave it, in a fleet report.
    pub cluster: Option<&'a str>,
    /// When it was first seen with its status (see `Finding::first_seen`).
    pub first_seen: Option<&'a str>,
}

/// An attested document, as a control lists it.
#[derive(Debug, Serialize)]
pub struct DocumentRow<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// Its path as the attestation names it, or its URL.
    pub document: &'a str,
    pub sha256: &'a str,
    /// False for a URL: its sha256 is as given, not checked.
    pub verified: bool,
    pub owner: &'a str,
    pub approved: &'a str,
    pub review_due: &'a str,
    /// `current` or `past_review`.
    pub status: &'static str,
    pub status_label: &'static str,
    pub defined_at: &'a str,
}

impl<'a> DocumentRow<'a> {
    fn new(a: &'a crate::evidence::attestation::AttestationEntry) -> Self {
        DocumentRow {
            id: &a.id,
            title: &a.title,
            document: &a.document,
            sha256: &a.sha256,
            verified: a.verified,
            owner: &a.owner,
            approved: &a.approved,
            review_due: &a.review_due,
            status: a.status,
            status_label: if a.status == "current" {
                "Current"
            } else {
                "Past its review date"
            },
            defined_at: &a.defined_at,
        }
    }
}

/// A finding's reference to the exception covering it.
#[derive(Debug, Serialize)]
pub struct ExceptionLink<'a> {
    pub id: &'a str,
    pub ticket: &'a str,
    pub expires: &'a str,
    /// The anchor of its row in the exceptions section.
    pub anchor: Option<String>,
}

/// A finding's reference to an evidence record.
#[derive(Debug, Serialize)]
pub struct EvidenceLink<'a> {
    pub id: &'a str,
    /// The appendix anchor; null when the report holds no record with this id.
    pub anchor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ProblemRow<'a> {
    pub level: &'static str,
    pub level_label: &'static str,
    pub source: &'a str,
    pub location: &'a str,
    pub message: &'a str,
    pub hint: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct ExcludedRow {
    /// The repository, as given.
    pub source: String,
    /// A directory with its trailing slash, or a file.
    pub path: String,
    pub files: usize,
    /// The rule that left it out, in words.
    pub rule: String,
}

#[derive(Debug, Serialize)]
pub struct CoverageRow {
    pub kind: String,
    /// `collected`, `forbidden`, `not_served` or `absent`.
    pub status: &'static str,
    pub status_label: &'static str,
    pub count: Option<usize>,
    /// What the status means for the checks, in words.
    pub note: String,
}

#[derive(Debug, Serialize)]
pub struct EvidenceRow<'a> {
    pub id: &'a str,
    pub anchor: String,
    pub source: &'a str,
    pub kind: &'static str,
    pub locator: &'a str,
    pub describes: &'a str,
    pub sha256: &'a str,
    /// Display form; null when the input does not record when it was collected.
    pub collected_at: Option<String>,
    /// For events: when it happened, display form.
    pub time: Option<String>,
}

pub fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Satisfied => "Satisfied",
        Verdict::SatisfiedWithExceptions => "Satisfied with exceptions",
        Verdict::PartiallySatisfied => "Partially satisfied",
        Verdict::NotSatisfied => "Not satisfied",
        Verdict::NotAssessed => "Not assessed",
    }
}

pub fn answer_label(a: Answer) -> &'static str {
    match a {
        Answer::Yes => "Yes",
        Answer::YesWithExceptions => "Yes, with exceptions",
        Answer::Partial => "Partially",
        Answer::No => "No",
        Answer::Unknown => "Unknown",
    }
}

pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Pass => "Pass",
        Status::Fail => "Fail",
        Status::Warn => "Warn",
        Status::NotApplicable => "Not applicable",
        Status::Error => "Error",
        Status::NotAssessed => "Not assessed",
    }
}

fn check_status(s: CheckStatus) -> (&'static str, &'static str) {
    match s {
        CheckStatus::Pass => ("pass", "Pass"),
        CheckStatus::Warn => ("warn", "Warn"),
        CheckStatus::Error => ("error", "Error"),
        CheckStatus::Fail => ("fail", "Fail"),
        CheckStatus::NotAssessed => ("not_assessed", "Not assessed"),
    }
}

fn level(l: ProblemLevel) -> (&'static str, &'static str) {
    match l {
        ProblemLevel::Error => ("error", "Error"),
        ProblemLevel::Warning => ("warning", "Warning"),
        ProblemLevel::Note => ("note", "Note"),
    }
}

/// Statuses in the order reports list them: what needs attention first.
const STATUS_ORDER: [Status; 6] = [
    Status::Fail,
    Status::Error,
    Status::Warn,
    Status::NotAssessed,
    Status::Pass,
    Status::NotApplicable,
];

fn status_rank(s: Status) -> usize {
    STATUS_ORDER
        .iter()
        .position(|x| *x == s)
        .expect("every status is ranked")
}

fn count_of(c: &StatusCounts, s: Status) -> usize {
    match s {
        Status::Pass => c.pass,
        Status::Fail => c.fail,
        Status::Warn => c.warn,
        Status::NotApplicable => c.not_applicable,
        Status::Error => c.error,
        Status::NotAssessed => c.not_assessed,
    }
}

fn add_counts(into: &mut StatusCounts, c: &StatusCounts) {
    into.pass += c.pass;
    into.fail += c.fail;
    into.warn += c.warn;
    into.not_applicable += c.not_applicable;
    into.error += c.error;
    into.not_assessed += c.not_assessed;
}

/// `2026-09-30T23:59:59Z` → `2026-09-30 23:59:59 UTC`; text that is not RFC 3339 is shown
/// as it is, since a timestamp from the input is evidence too.
pub fn display_time(rfc3339: &str) -> String {
    match DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => t
            .with_timezone(&Utc)
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

/// Hands out HTML ids that are unique in the document and safe in a URL fragment.
#[derive(Default)]
struct Anchors {
    used: HashSet<String>,
}

impl Anchors {
    fn new() -> Self {
        Self {
            used: SECTION_ANCHORS.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// `prefix` + the text with everything but ASCII letters, digits, `-`, `_` and `.`
    /// turned into `-`; a `-2`, `-3`... suffix when that is taken.
    fn make(&mut self, prefix: &str, text: &str) -> String {
        let mut base = String::with_capacity(prefix.len() + text.len());
        base.push_str(prefix);
        base.extend(text.chars().map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        }));
        if base.is_empty() {
            base.push('x');
        }
        let mut anchor = base.clone();
        let mut n = 1;
        while !self.used.insert(anchor.clone()) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        anchor
    }
}

/// The per-cluster verdict table, when the report has clusters; `anchors` are the
/// controls' anchors, in report order.
fn clusters_view<'a>(report: &'a Report, anchors: &[String]) -> Option<ClustersView<'a>> {
    if report.clusters.is_empty() {
        return None;
    }
    let names = report
        .clusters
        .iter()
        .map(|c| ClusterName {
            name: &c.name,
            context: c.context.as_deref(),
            report: c.report.as_deref(),
        })
        .collect();
    let rows = report
        .controls
        .iter()
        .zip(anchors)
        .map(|(c, anchor)| ClusterRow {
            id: &c.id,
            anchor: anchor.clone(),
            verdict: c.verdict.as_str(),
            verdict_label: verdict_label(c.verdict),
            verdict_clusters: &c.verdict_clusters,
            cells: report
                .clusters
                .iter()
                .map(|k| {
                    let v = k.controls.iter().find(|v| v.id == c.id).map(|v| v.verdict);
                    Tally {
                        key: v.map_or("", |v| v.as_str()),
                        label: v.map_or("(not in its report)", verdict_label),
                        count: 0,
                    }
                })
                .collect(),
        })
        .collect();
    Some(ClustersView { names, rows })
}

impl<'a> FindingRow<'a> {
    fn new(
        f: &'a Finding,
        evidence_anchors: &HashMap<&str, &str>,
        exception_anchors: &HashMap<&str, String>,
    ) -> Self {
        Self {
            id: &f.id,
            check: f.check,
            status: f.status.as_str(),
            status_label: status_label(f.status),
            severity: f.severity.as_str(),
            subject: match &f.cluster {
                Some(cluster) => format!("{} (cluster {cluster})", f.subject.display_name()),
                None => f.subject.display_name(),
            },
            cluster: f.cluster.as_deref(),
            location: f.subject.file_location(),
            message: &f.message,
            evidence: f
                .evidence
                .iter()
                .map(|id| EvidenceLink {
                    id,
                    anchor: evidence_anchors.get(id.as_str()).map(|a| a.to_string()),
                })
                .collect(),
            exception: f
                .exception
                .as_ref()
                .filter(|_| f.is_excepted())
                .map(|e| ExceptionLink {
                    id: &e.id,
                    ticket: &e.ticket,
                    expires: &e.expires,
                    anchor: exception_anchors.get(e.id.as_str()).cloned(),
                }),
            first_seen: f.first_seen.as_deref(),
        }
    }
}

impl<'a> ReportView<'a> {
    pub fn new(report: &'a Report) -> Self {
        let mut anchors = Anchors::new();
        let evidence: Vec<EvidenceRow<'a>> = report
            .evidence
            .iter()
            .map(|e| EvidenceRow {
                id: &e.id,
                anchor: anchors.make("", &e.id),
                source: &e.source,
                kind: match e.kind {
                    EvidenceKind::Object => "object",
                    EvidenceKind::File => "file",
                    EvidenceKind::Event => "event",
                    EvidenceKind::Source => "source",
                },
                locator: &e.locator,
                describes: &e.describes,
                sha256: &e.sha256,
                collected_at: e.collected_at.as_deref().map(display_time),
                time: e.time.as_deref().map(display_time),
            })
            .collect();
        let x = &report.exceptions;
        let exception_anchors: HashMap<&str, String> = x
            .applied
            .iter()
            .chain(&x.expired)
            .chain(&x.unused)
            .map(|e| (e.id.as_str(), anchors.make("exception-", &e.id)))
            .collect();
        let index = FindingIndex {
            findings: report.findings.iter().map(|f| (f.id.as_str(), f)).collect(),
            evidence_anchors: evidence.iter().map(|e| (e.id, e.anchor.as_str())).collect(),
            exception_anchors,
        };
        let exceptions = exceptions_view(report, &index);
        let controls: Vec<ControlView<'a>> = report
            .controls
            .iter()
            .map(|c| control_view(c, &mut anchors, &index, &report.attestations))
            .collect();
        let controls_anchors: Vec<String> = controls.iter().map(|c| c.anchor.clone()).collect();

        let verdicts = Verdict::ALL
            .iter()
            .map(|v| Tally {
                key: v.as_str(),
                label: verdict_label(*v),
                count: report.controls.iter().filter(|c| c.verdict == *v).count(),
            })
            .collect();
        let counts = &report.summary.findings_by_status;
        let statuses = STATUS_ORDER
            .iter()
            .map(|s| Tally {
                key: s.as_str(),
                label: status_label(*s),
                count: count_of(counts, *s),
            })
            .collect();

        let mut problems: Vec<ProblemRow<'a>> = report
            .inputs
            .problems
            .iter()
            .map(|p| {
                let (key, label) = level(p.level);
                ProblemRow {
                    level: key,
                    level_label: label,
                    source: &p.source,
                    location: &p.location,
                    message: &p.message,
                    hint: p.hint.as_deref(),
                }
            })
            .collect();
        // Stable: within a level, the report's canonical order (source, location) stays.
        let level_rank = |l: &str| ["error", "warning", "note"].iter().position(|x| *x == l);
        problems.sort_by_key(|p| level_rank(p.level));
        let problem_levels = [
            ProblemLevel::Error,
            ProblemLevel::Warning,
            ProblemLevel::Note,
        ]
        .iter()
        .map(|l| {
            let (key, label) = level(*l);
            Tally {
                key,
                label,
                count: problems.iter().filter(|p| p.level == key).count(),
            }
        })
        .filter(|t| t.count > 0)
        .collect();

        let r = &report.inputs.redaction;
        let redaction = vec![
            Tally {
                key: "secrets_dropped",
                label: "Secret objects dropped on read (never stored, hashed or shown)",
                count: r.secrets_dropped,
            },
            Tally {
                key: "configmap_data_removed",
                label: "ConfigMap data maps removed",
                count: r.configmap_data_removed,
            },
            Tally {
                key: "env_values_redacted",
                label: "Literal environment variable values redacted",
                count: r.env_values_redacted,
            },
            Tally {
                key: "annotations_redacted",
                label: "Secret-looking annotation values redacted, pod templates included",
                count: r.annotations_redacted,
            },
            Tally {
                key: "arguments_redacted",
                label: "Secret values in container command lines redacted",
                count: r.arguments_redacted,
            },
            Tally {
                key: "headers_redacted",
                label: "Credential header values of probes and hooks redacted",
                count: r.headers_redacted,
            },
            Tally {
                key: "secret_data_redacted",
                label: "Literal Secret data in other objects redacted (SealedSecret, ExternalSecret, Kyverno generate)",
                count: r.secret_data_redacted,
            },
            Tally {
                key: "other_values_redacted",
                label: "Other secret-looking values redacted (URL passwords, keys, tokens)",
                count: r.other_values_redacted,
            },
            Tally {
                key: "files_redacted",
                label: "Repository files stored redacted in place (lines kept)",
                count: r.files_redacted,
            },
            Tally {
                key: "file_values_redacted",
                label: "Values redacted in those files",
                count: r.file_values_redacted,
            },
        ];

        let timeline = timeline(report);
        ReportView {
            title: TITLE.into(),
            tool: ToolView {
                name: report.tool.name,
                version: report.tool.version,
            },
            schema_version: report.schema_version,
            generated_at: display_time(&report.generated_at),
            as_of: display_time(&report.as_of),
            period: report.period.as_ref().map(|p| {
                format!(
                    "{} ({} to {})",
                    p.label,
                    p.start.get(..10).unwrap_or(&p.start),
                    p.end.get(..10).unwrap_or(&p.end)
                )
            }),
            scope: &report.scope,
            period_kind: report.period_kind,
            stated_period: if report.stated_period.start == report.stated_period.end {
                display_time(&report.stated_period.end)
            } else {
                format!(
                    "{} to {}",
                    display_time(&report.stated_period.start),
                    display_time(&report.stated_period.end)
                )
            },
            sources: report
                .sources
                .iter()
                .map(|s| SourceView {
                    id: &s.id,
                    kind: s.kind_name(),
                    location: &s.location,
                    identity: &s.identity,
                    details: s
                        .details
                        .iter()
                        .map(|(key, value)| Detail { key, value })
                        .collect(),
                })
                .collect(),
            server_version: report.inputs.server_version.as_ref().map(|v| {
                if v.platform.is_empty() {
                    v.git_version.clone()
                } else {
                    format!("{} ({})", v.git_version, v.platform)
                }
            }),
            catalogs: &report.provenance.catalogs,
            templates: &report.provenance.templates,
            data_files: &report.provenance.data_files,
            objects: report.summary.objects,
            evidence_records: report.summary.evidence_records,
            verdicts,
            rules_summary: crate::assess::rollup::RULES_SUMMARY,
            statuses,
            finding_total: counts.total(),
            finding_excepted: report.summary.findings_excepted,
            controls,
            exceptions,
            problems,
            problem_levels,
            coverage: coverage_rows(report),
            excluded: excluded_rows(report),
            secrets_dropped: r.secrets_dropped,
            values_redacted: r.values(),
            redaction,
            evidence_groups: group_evidence(evidence),
            numbers: SectionNumbers::new(report.previous.is_some(), timeline.is_some()),
            clusters: clusters_view(report, &controls_anchors),
            timeline,
            previous: report.previous.as_ref().map(|p| match p {
                crate::report::diff::Previous::Compared(d) => PreviousView {
                    diff: Some(d),
                    sentence: None,
                },
                crate::report::diff::Previous::None(s) => PreviousView {
                    diff: None,
                    sentence: Some(s),
                },
            }),
        }
    }
}

fn timeline(report: &Report) -> Option<Timeline<'_>> {
    let read_history = report
        .sources
        .iter()
        .any(|s| s.kind == crate::evidence::record::SourceKind::Repository);
    if !read_history && report.changes.is_empty() {
        return None;
    }
    let rows: Vec<ChangeRow<'_>> = report
        .changes
        .iter()
        .map(|c| ChangeRow {
            time: display_time(&c.time),
            commit: &c.commit,
            short_commit: c.commit.get(..12).unwrap_or(&c.commit),
            author: &c.author,
            source: &c.source,
            path: &c.path,
            subject: &c.subject,
            old_image: c.old_image.as_deref().unwrap_or("(none)"),
            new_image: c.new_image.as_deref().unwrap_or("(none)"),
        })
        .collect();
    Some(Timeline {
        count: rows.len(),
        rows,
    })
}

/// Lookups the control sections need, built once per report.
struct FindingIndex<'a, 'v> {
    findings: HashMap<&'a str, &'a Finding>,
    evidence_anchors: HashMap<&'a str, &'v str>,
    exception_anchors: HashMap<&'a str, String>,
}

fn exceptions_view<'a>(report: &'a Report, index: &FindingIndex<'a, '_>) -> ExceptionsView<'a> {
    let rows = |list: &'a [crate::assess::exceptions::ExceptionEntry]| -> Vec<ExceptionRow<'a>> {
        list.iter()
            .map(|e| ExceptionRow {
                id: &e.id,
                anchor: index
                    .exception_anchors
                    .get(e.id.as_str())
                    .cloned()
                    .unwrap_or_default(),
                check: &e.check,
                selector: match (&e.subject, &e.finding) {
                    (Some(s), _) => s.to_string(),
                    (None, Some(f)) => format!("finding {f}"),
                    (None, None) => String::new(),
                },
                reason: &e.reason,
                approver: &e.approver,
                ticket: &e.ticket,
                expires: &e.expires,
                defined_at: &e.defined_at,
                findings: e
                    .findings
                    .iter()
                    .filter_map(|id| index.findings.get(id.as_str()))
                    .map(|f| ExceptedFinding {
                        id: &f.id,
                        status: f.status.as_str(),
                        status_label: status_label(f.status),
                        subject: f.subject.display_name(),
                        location: f.subject.file_location(),
                    })
                    .collect(),
            })
            .collect()
    };
    let x = &report.exceptions;
    ExceptionsView {
        any: !x.is_empty(),
        applied: rows(&x.applied),
        expired: rows(&x.expired),
        unused: rows(&x.unused),
    }
}

fn control_view<'a>(
    c: &'a ControlResult,
    anchors: &mut Anchors,
    index: &FindingIndex<'a, '_>,
    attestations: &'a [crate::evidence::attestation::AttestationEntry],
) -> ControlView<'a> {
    let check_order: BTreeMap<&str, usize> = c
        .checks
        .iter()
        .enumerate()
        .map(|(i, k)| (k.id, i))
        .collect();
    let mut attention = Vec::new();
    let mut excepted = Vec::new();
    let mut passing = Vec::new();
    let mut counts = StatusCounts::default();
    for k in &c.checks {
        add_counts(&mut counts, &k.counts);
    }
    for id in &c.findings {
        let Some(&f) = index.findings.get(id.as_str()) else {
            continue;
        };
        let row = FindingRow::new(f, &index.evidence_anchors, &index.exception_anchors);
        let key = (
            status_rank(f.status),
            check_order.get(f.check).copied().unwrap_or(usize::MAX),
            &f.subject,
            &f.id,
        );
        match f.status {
            _ if f.is_excepted() => excepted.push((key, row)),
            Status::Pass => passing.push((key, row)),
            Status::NotApplicable => {}
            _ => attention.push((key, row)),
        }
    }
    attention.sort_by(|a, b| a.0.cmp(&b.0));
    excepted.sort_by(|a, b| a.0.cmp(&b.0));
    passing.sort_by(|a, b| a.0.cmp(&b.0));
    let (verdict, answer) = (c.verdict, c.answer);
    ControlView {
        id: &c.id,
        anchor: anchors.make("control-", &c.id),
        id_source: match c.id_source {
            crate::assess::catalog::IdSource::Source => "source",
            crate::assess::catalog::IdSource::Local => "local",
        },
        id_source_label: c.id_source.describe(),
        source: &c.source,
        csf_reference: c.csf_reference.as_deref(),
        asks_for_process: c.asks_for_process,
        documents: attestations
            .iter()
            .filter(|a| a.control == c.id)
            .map(DocumentRow::new)
            .collect(),
        catalog: &c.catalog,
        title: &c.title,
        question: &c.question,
        explanation: &c.explanation,
        verdict: verdict.as_str(),
        verdict_label: verdict_label(verdict),
        answer: answer.as_str(),
        answer_label: answer_label(answer),
        narrative: &c.narrative,
        statement: &c.statement,
        checks: c
            .checks
            .iter()
            .map(|k| {
                let (status, status_label) = check_status(k.status);
                CheckRow {
                    id: k.id,
                    title: k.title,
                    status,
                    status_label,
                    required: k.required,
                    critical: k.critical,
                    supplementary: k.supplementary,
                    relaxed_by: &k.relaxed_by,
                    counts: &k.counts,
                    reason: k.reason.as_deref(),
                }
            })
            .collect(),
        counts,
        attention_count: attention.len(),
        passing_count: passing.len(),
        excepted_count: excepted.len(),
        exceptions: &c.exceptions,
        tables: [
            ("attention", attention),
            ("excepted", excepted),
            ("passing", passing),
        ]
        .into_iter()
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(kind, rows)| FindingTable {
            kind,
            count: rows.len(),
            rows: rows.into_iter().map(|(_, r)| r).collect(),
        })
        .collect(),
    }
}

/// Groups rows by source, keeping their order within a source.
fn group_evidence(mut rows: Vec<EvidenceRow<'_>>) -> Vec<EvidenceGroup<'_>> {
    rows.sort_by(|a, b| a.source.cmp(b.source));
    let mut groups: Vec<EvidenceGroup<'_>> = Vec::new();
    for row in rows {
        match groups.last_mut() {
            Some(g) if g.source == row.source => g.rows.push(row),
            _ => groups.push(EvidenceGroup {
                source: row.source,
                count: 0,
                rows: vec![row],
            }),
        }
    }
    for g in &mut groups {
        g.count = g.rows.len();
    }
    groups
}

/// The trees left out of each repository's scope, in report order.
fn excluded_rows(report: &Report) -> Vec<ExcludedRow> {
    use crate::evidence::inventory::ExclusionReason;
    report
        .inputs
        .excluded
        .iter()
        .map(|e| ExcludedRow {
            source: report
                .sources
                .iter()
                .find(|s| s.id == e.source)
                .map_or_else(|| e.source.clone(), |s| s.location.clone()),
            path: if e.directory {
                format!("{}/", e.path)
            } else {
                e.path.clone()
            },
            files: e.files,
            rule: match (e.reason, &e.rule) {
                (ExclusionReason::Exclude, Some(g)) => format!("exclude {g}"),
                (ExclusionReason::DefaultExclude, Some(g)) => {
                    format!("default exclude {g} (test data; --no-default-excludes reads it)")
                }
                (ExclusionReason::NotIncluded, _) => "no include matched".to_string(),
                (ExclusionReason::NotDeployed, _) => {
                    "not deployed: no kustomization, Flux or Argo CD root reaches it \
                     (--deployed-only)"
                        .to_string()
                }
                (_, None) => "excluded".to_string(),
            },
        })
        .collect()
}

/// Every kind the input held or the collectors tried, plus the workload kinds the checks
/// read that were not there at all (`absent`: their checks could not see them).
fn coverage_rows(report: &Report) -> Vec<CoverageRow> {
    let kinds = &report.inputs.coverage.kinds;
    let mut rows: Vec<CoverageRow> = kinds
        .iter()
        .map(|(kind, status)| match status {
            KindStatus::Collected { count } => CoverageRow {
                kind: kind.clone(),
                status: "collected",
                status_label: "Collected",
                count: Some(*count),
                note: String::new(),
            },
            KindStatus::Forbidden { reason } => CoverageRow {
                kind: kind.clone(),
                status: "forbidden",
                status_label: "Forbidden",
                count: None,
                note: format!(
                    "listing was refused ({reason}); checks that need it are not assessed"
                ),
            },
            KindStatus::NotServed => CoverageRow {
                kind: kind.clone(),
                status: "not_served",
                status_label: "Not served",
                count: None,
                note: "the API server does not serve this kind".into(),
            },
        })
        .collect();
    // Kinds every cluster serves are gaps when absent; an add-on's kind (a Rollout, a
    // CloneSet) absent from the input is shown only when a collector tried it.
    let table = crate::evidence::workload_kinds::table();
    let always: Vec<&str> = table
        .rows
        .iter()
        .filter(|r| r.always_served)
        .map(|r| r.kind.as_str())
        .collect();
    for kind in always {
        if !kinds.contains_key(kind) {
            rows.push(CoverageRow {
                kind: kind.to_string(),
                status: "absent",
                status_label: "Absent",
                count: None,
                note: "not in the input: no finding can rest on it".into(),
            });
        }
    }
    rows.sort_by(|a, b| a.kind.cmp(&b.kind));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::catalog::Catalog;
    use crate::assess::{CheckResult, ControlResult};
    use crate::evidence::finding::{Severity, Subject};
    use crate::evidence::inventory::Inventory;
    use crate::evidence::record::{EvidenceRecord, evidence_id};
    use crate::report::RunInfo;

    fn finding(id: &str, check: &'static str, status: Status, name: &str) -> Finding {
        let mut f = Finding::new(
            check,
            Severity::High,
            status,
            Subject {
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                name: name.into(),
                source: "s".into(),
                path: Some("a.yaml".into()),
                line: Some(3),
                ..Default::default()
            },
            "m",
        );
        f.id = id.into();
        f
    }

    fn control(id: &str, findings: &[&str]) -> ControlResult {
        ControlResult {
            id: id.into(),
            catalog: "c".into(),
            title: "t".into(),
            question: "q".into(),
            explanation: "e".into(),
            verdict: Verdict::PartiallySatisfied,
            answer: Answer::Partial,
            statement: "s".into(),
            narrative: "n".into(),
            checks: ["run-as-non-root", "replace-on-update"]
                .iter()
                .map(|id| CheckResult {
                    id,
                    title: "t",
                    status: CheckStatus::Fail,
                    critical: false,
                    counts: StatusCounts {
                        fail: 1,
                        pass: 2,
                        ..Default::default()
                    },
                    ..Default::default()
                })
                .collect(),
            findings: findings.iter().map(|f| f.to_string()).collect(),
            ..Default::default()
        }
    }

    fn report(findings: Vec<Finding>, controls: Vec<ControlResult>) -> Report {
        let locator = "a.yaml#0";
        let inventory = Inventory {
            records: vec![EvidenceRecord {
                managers: None,
                id: evidence_id("s", locator),
                source: "s".into(),
                kind: EvidenceKind::Object,
                locator: locator.into(),
                sha256: "0".repeat(64),
                collected_at: None,
                time: None,
                describes: "Deployment shop/a".into(),
            }],
            ..Default::default()
        };
        let run = RunInfo {
            generated_at: "2026-09-30T23:59:59Z".into(),
            as_of: "2026-09-30T23:59:59Z".into(),
            period: None,
            data_files: Vec::new(),
            templates: Vec::new(),
        };
        Report::build(run, inventory, findings, controls, &Catalog::default())
    }

    #[test]
    fn findings_needing_attention_come_first_and_passing_ones_apart() {
        let findings = vec![
            finding("p", "run-as-non-root", Status::Pass, "a"),
            finding("w", "run-as-non-root", Status::Warn, "a"),
            finding("na", "run-as-non-root", Status::NotAssessed, "a"),
            finding("e", "run-as-non-root", Status::Error, "a"),
            finding("f2", "replace-on-update", Status::Fail, "a"),
            finding("f1", "run-as-non-root", Status::Fail, "b"),
            finding("x", "run-as-non-root", Status::NotApplicable, "a"),
        ];
        let ids = ["p", "w", "na", "e", "f2", "f1", "x", "missing"];
        let report = report(findings, vec![control("C-1", &ids)]);
        let view = ReportView::new(&report);
        let c = &view.controls[0];
        let order: Vec<Vec<&str>> = c
            .tables
            .iter()
            .map(|t| t.rows.iter().map(|r| r.id).collect())
            .collect();
        // Fail before error before warn before not assessed; within a status, in the order
        // of the control's checks.
        assert_eq!(order, [vec!["f1", "f2", "e", "w", "na"], vec!["p"]]);
        assert_eq!((c.attention_count, c.passing_count), (5, 1));
        assert_eq!(c.tables[1].kind, "passing");
        assert_eq!(c.counts.fail, 2, "sums of the checks' counts");
    }

    #[test]
    fn evidence_links_only_point_at_records_in_the_appendix() {
        let present = evidence_id("s", "a.yaml#0");
        let mut f = finding("f", "run-as-non-root", Status::Fail, "a");
        f.evidence = vec![present.clone(), "ev-00000000000000ff".into()];
        let report = report(vec![f], vec![control("C-1", &["f"])]);
        let view = ReportView::new(&report);
        let links = &view.controls[0].tables[0].rows[0].evidence;
        assert_eq!(links[0].anchor.as_deref(), Some(present.as_str()));
        assert_eq!(links[1].anchor, None);
        assert_eq!(view.evidence_groups[0].rows[0].anchor, present);
    }

    #[test]
    fn anchors_are_unique_and_safe_in_a_url() {
        let controls = ["A 1", "A/1", "A-1", "summary", "ünï"]
            .iter()
            .map(|id| control(id, &[]))
            .collect();
        let report = report(Vec::new(), controls);
        let view = ReportView::new(&report);
        let anchors: Vec<&str> = view.controls.iter().map(|c| c.anchor.as_str()).collect();
        assert_eq!(
            anchors,
            [
                "control-A-1",
                "control-A-1-2",
                "control-A-1-3",
                "control-summary",
                "control--n-"
            ]
        );
        let mut a = Anchors::new();
        assert_eq!(
            a.make("", "summary"),
            "summary-2",
            "section anchors are reserved"
        );
    }

    #[test]
    fn coverage_lists_absent_workload_kinds() {
        let report = report(Vec::new(), Vec::new());
        let view = ReportView::new(&report);
        assert_eq!(view.coverage.len(), 7, "the kinds every cluster serves");
        assert!(view.coverage.iter().all(|r| r.status == "absent"));
        assert!(view.coverage.windows(2).all(|w| w[0].kind < w[1].kind));
    }

    #[test]
    fn times_are_shown_in_utc_and_other_text_as_it_is() {
        assert_eq!(
            display_time("2026-09-30T12:00:00+02:00"),
            "2026-09-30 10:00:00 UTC"
        );
        assert_eq!(display_time("last Tuesday"), "last Tuesday");
    }
}
