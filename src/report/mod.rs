//! The report: everything a run found, as one document, and the renderers that write it.
//!
//! [`Report`] is `report.json`, the machine interface, versioned by [`SCHEMA_VERSION`]
//! (bumped on any breaking change; added fields do not bump it). It is built once from the
//! run's inputs, findings and control results; every renderer reads it (the text renderers
//! through [`view::ReportView`]), so all formats say the same thing.

pub mod answers;
pub mod csv;
pub mod diff;
pub mod fleet;
pub mod oscal;
pub mod pdf;
pub mod scope;
pub mod templates;
pub mod view;
pub mod xlsx;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::assess::catalog::{Catalog, CatalogFile};
use crate::assess::exceptions::ExceptionsReport;
use crate::assess::{ControlResult, StatusCounts, Verdict};
use crate::evidence::attestation::AttestationEntry;
use crate::evidence::datafile::DataFile;
use crate::evidence::finding::Finding;
use crate::evidence::inventory::Problem;
use crate::evidence::inventory::{
    CollectedFile, Coverage, Inventory, RedactionStats, ServerVersion,
};
use crate::evidence::object::Object;
use crate::evidence::record::{EvidenceRecord, Source, SourceKind, sha256_hex};

pub use crate::evidence::history::ImageChange;

/// The file name `report.json` is written under.
pub const JSON_FILE_NAME: &str = "report.json";

/// Version of the `report.json` format.
pub const SCHEMA_VERSION: u32 = 3;

/// The JSON Schema (draft 2020-12) of `report.json` at [`SCHEMA_VERSION`], as
/// `evidencer schema` prints it. Its `$comment` says which changes bump the version.
pub const JSON_SCHEMA: &str = include_str!("report.schema.json");

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    /// The `--as-of` instant when given (so output is reproducible), else the time of the run.
    pub generated_at: String,
    pub as_of: String,
    /// The audit period given (`--period`, `--since`/`--until`), None without one: what the
    /// renderers and the bundle speak of.
    #[serde(skip)]
    pub period: Option<Period>,
    /// `period` in report.json, never null: the audit period when one was given, else the
    /// instant the state was seen (see [`stated_period`]).
    #[serde(rename = "period")]
    pub stated_period: Period,
    /// Whether [`Report::stated_period`] is an audit period or the instant of a state.
    pub period_kind: PeriodKind,
    /// What was collected and when, what the input cannot show, what was not assessed.
    pub scope: scope::Scope,
    pub sources: Vec<Source>,
    pub provenance: Provenance,
    pub summary: Summary,
    pub inputs: Inputs,
    pub controls: Vec<ControlResult>,
    pub findings: Vec<Finding>,
    /// The image change timeline of the repositories' history over the period, oldest
    /// first; empty without `--repo`.
    pub changes: Vec<ImageChange>,
    pub evidence: Vec<EvidenceRecord>,
    /// Accepted risks: applied, expired and unused (see [`crate::assess::exceptions`]). Set after
    /// [`Report::build`] by the run that applied them; empty without an exceptions file.
    pub exceptions: ExceptionsReport,
    /// Attested documents (see [`crate::attestations`]), judged at the as-of date. Set after
    /// [`Report::build`] by the run that read them; empty without attestations.
    pub attestations: Vec<AttestationEntry>,
    /// The clusters of a fleet report, each with its own verdicts (see [`fleet`]); absent
    /// from the report of one cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<fleet::Cluster>,
    /// With `--compare-previous`: the changes since the previous period's report in the
    /// archive, or why there are none. Shown in md, html and pdf; not part of report.json
    /// (`evidencer diff` writes the comparison as diff.json).
    #[serde(skip)]
    pub previous: Option<diff::Previous>,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Tool {
    #[serde(deserialize_with = "crate::base::interned::deserialize")]
    pub name: crate::base::interned::Str,
    #[serde(deserialize_with = "crate::base::interned::deserialize")]
    pub version: crate::base::interned::Str,
}

/// The audit period the report covers, when one was given.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Period {
    /// RFC 3339, UTC, inclusive.
    pub start: String,
    /// RFC 3339, UTC, inclusive.
    pub end: String,
    /// `2026-Q3`, `2026-08`, or `start_end` dates.
    pub label: String,
}

/// What `period` in report.json is.
#[derive(Clone, Copy, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// An audit period was given: the evidence speaks for that span.
    Period,
    /// No period was given: the evidence shows the state at one instant (start = end), or
    /// at the instants its inputs were collected (start the first, end the last).
    PointInTime,
}

/// The period report.json states: the audit period when given; else the instant the state
/// was seen: the collection times of the snapshots and live clusters (first to last) when
/// they record them, else the as-of instant.
pub fn stated_period(
    period: Option<&Period>,
    sources: &[Source],
    as_of: &str,
) -> (Period, PeriodKind) {
    if let Some(p) = period {
        return (p.clone(), PeriodKind::Period);
    }
    let mut seen: Vec<(chrono::DateTime<chrono::Utc>, &str)> = sources
        .iter()
        .filter(|s| matches!(s.kind, SourceKind::Snapshot | SourceKind::Cluster))
        .filter_map(|s| s.details.get("collected_at"))
        .filter_map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .ok()
                .map(|d| (d.with_timezone(&chrono::Utc), t.as_str()))
        })
        .collect();
    seen.sort();
    let (start, end) = match (seen.first(), seen.last()) {
        (Some((_, first)), Some((_, last))) => (first.to_string(), last.to_string()),
        _ => (as_of.to_string(), as_of.to_string()),
    };
    let day = |t: &str| t.get(..10).unwrap_or(t).to_string();
    let label = if day(&start) == day(&end) {
        day(&end)
    } else {
        format!("{}_{}", day(&start), day(&end))
    };
    (Period { start, end, label }, PeriodKind::PointInTime)
}

/// What the report was made with, so an auditor can tell which rules judged the evidence.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Provenance {
    #[serde(deserialize_with = "crate::base::interned::deserialize")]
    pub tool_version: crate::base::interned::Str,
    pub catalogs: Vec<CatalogFile>,
    pub data_files: Vec<DataFile>,
    pub templates: Vec<DataFile>,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Summary {
    #[serde(deserialize_with = "crate::base::interned::deserialize_keys")]
    pub controls_by_verdict: BTreeMap<&'static str, usize>,
    pub findings_by_status: StatusCounts,
    /// Failing or warning findings covered by an accepted exception (also counted in
    /// `findings_by_status` under their own status).
    pub findings_excepted: usize,
    pub objects: usize,
    pub evidence_records: usize,
    pub problems: usize,
}

/// What the collectors saw and could not see.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Inputs {
    /// Per kind: collected (with a count), forbidden, or not served. Kinds not listed were
    /// not collected.
    pub coverage: Coverage,
    pub server_version: Option<ServerVersion>,
    pub redaction: RedactionStats,
    pub problems: Vec<Problem>,
    /// The trees of each repository left out of scope, with their file counts and rules;
    /// absent when nothing was left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<crate::evidence::inventory::ExcludedPath>,
}

/// Facts about the run that are not findings: when it speaks for, what made it.
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub generated_at: String,
    pub as_of: String,
    pub period: Option<Period>,
    pub data_files: Vec<DataFile>,
    pub templates: Vec<DataFile>,
}

impl RunInfo {
    /// A run that speaks for `instant` (RFC 3339), generated then, with no data files or
    /// templates: what reports built in code (tests, benches) need.
    pub fn at(instant: &str) -> RunInfo {
        RunInfo {
            generated_at: instant.to_string(),
            as_of: instant.to_string(),
            period: None,
            data_files: Vec::new(),
            templates: Vec::new(),
        }
    }
}

impl Report {
    pub fn build(
        run: RunInfo,
        mut inventory: Inventory,
        findings: Vec<Finding>,
        controls: Vec<ControlResult>,
        catalog: &Catalog,
    ) -> Report {
        // The parsed objects are not part of the report. Freeing a big snapshot's worth of
        // them takes a noticeable moment, which a helper thread spends while the reports
        // render.
        let objects = std::mem::take(&mut inventory.objects);
        let object_count = objects.len();
        if let Err(e) = std::thread::Builder::new().spawn(move || drop(objects)) {
            tracing::debug!("objects freed on this thread: {e}");
        }
        Self::assemble(run, inventory, object_count, findings, controls, catalog)
    }

    /// [`Report::build`], handing back the objects and text files the report itself does
    /// not hold, for the evidence bundle.
    pub fn build_keeping_evidence(
        run: RunInfo,
        mut inventory: Inventory,
        findings: Vec<Finding>,
        controls: Vec<ControlResult>,
        catalog: &Catalog,
    ) -> (Report, Vec<Object>, Vec<CollectedFile>) {
        let objects = std::mem::take(&mut inventory.objects);
        let files = std::mem::take(&mut inventory.files);
        let report = Self::assemble(run, inventory, objects.len(), findings, controls, catalog);
        (report, objects, files)
    }

    fn assemble(
        run: RunInfo,
        inventory: Inventory,
        objects: usize,
        findings: Vec<Finding>,
        controls: Vec<ControlResult>,
        catalog: &Catalog,
    ) -> Report {
        let mut controls_by_verdict: BTreeMap<&'static str, usize> =
            Verdict::ALL.iter().map(|v| (v.as_str(), 0)).collect();
        for c in &controls {
            *controls_by_verdict.entry(c.verdict.as_str()).or_default() += 1;
        }
        let mut findings_by_status = StatusCounts::default();
        for f in &findings {
            findings_by_status.add(f.status);
        }
        let findings_excepted = findings.iter().filter(|f| f.is_excepted()).count();
        let version = env!("CARGO_PKG_VERSION");
        let (stated_period, period_kind) =
            stated_period(run.period.as_ref(), &inventory.sources, &run.as_of);
        let mut changes: Vec<ImageChange> = inventory
            .history
            .iter()
            .flat_map(|h| h.changes.iter().cloned())
            .collect();
        changes.sort_by(|a, b| {
            (&a.time, &a.source, &a.commit, &a.path, &a.subject)
                .cmp(&(&b.time, &b.source, &b.commit, &b.path, &b.subject))
        });
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "evidencer",
                version,
            },
            generated_at: run.generated_at,
            as_of: run.as_of,
            stated_period,
            period_kind,
            scope: scope::build(&inventory, run.period.as_ref(), &findings),
            period: run.period,
            summary: Summary {
                controls_by_verdict,
                findings_by_status,
                findings_excepted,
                objects,
                evidence_records: inventory.records.len(),
                problems: inventory.problems.len(),
            },
            sources: inventory.sources,
            provenance: Provenance {
                tool_version: version,
                catalogs: catalog.files.clone(),
                data_files: run.data_files,
                templates: run.templates,
            },
            inputs: Inputs {
                coverage: inventory.coverage,
                server_version: inventory.server_version,
                redaction: inventory.redaction,
                problems: inventory.problems,
                excluded: inventory.excluded,
            },
            controls,
            findings,
            changes,
            evidence: inventory.records,
            exceptions: ExceptionsReport::default(),
            attestations: Vec::new(),
            clusters: Vec::new(),
            previous: None,
        }
    }

    /// What the report covers, in one line: `clusters: a, b; repositories: x; namespaces:
    /// all` (and `; audit logs: logs/` when any were read). Clusters are the snapshots and live clusters read (by context when the input
    /// names one, else by path); namespaces are `all` unless every one of them was read
    /// for listed namespaces only.
    pub fn scope_line(&self) -> String {
        use crate::evidence::record::SourceKind;
        let clusters: Vec<&Source> = self
            .sources
            .iter()
            .filter(|s| matches!(s.kind, SourceKind::Snapshot | SourceKind::Cluster))
            .collect();
        let names: Vec<&str> = clusters
            .iter()
            .map(|s| match s.kind {
                SourceKind::Snapshot if s.identity == "snapshot" => s.location.as_str(),
                _ => s.identity.as_str(),
            })
            .collect();
        let repositories: Vec<&str> = self
            .sources
            .iter()
            .filter(|s| s.kind == SourceKind::Repository)
            .map(|s| s.location.as_str())
            .collect();
        let listed: Option<std::collections::BTreeSet<&str>> = clusters.iter().try_fold(
            Default::default(),
            |mut all: std::collections::BTreeSet<&str>, s| {
                let ns = s.details.get("namespaces")?;
                all.extend(ns.split(',').filter(|n| !n.is_empty()));
                Some(all)
            },
        );
        let namespaces = match listed {
            _ if clusters.is_empty() => "none".to_string(),
            Some(ns) if !ns.is_empty() => ns.into_iter().collect::<Vec<_>>().join(", "),
            _ => "all".to_string(),
        };
        let or_none = |v: Vec<&str>| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        let mut line = format!(
            "clusters: {}; repositories: {}; namespaces: {namespaces}",
            or_none(names),
            or_none(repositories)
        );
        // Named only when given, so reports without audit logs read as before.
        let audit: Vec<&str> = self
            .sources
            .iter()
            .filter(|s| s.kind == SourceKind::AuditLog)
            .map(|s| s.location.as_str())
            .collect();
        if !audit.is_empty() {
            line.push_str(&format!("; audit logs: {}", audit.join(", ")));
        }
        line
    }

    /// The earliest and latest collection time of the evidence (RFC 3339), when the inputs
    /// record any.
    pub fn collection_window(&self) -> (Option<&str>, Option<&str>) {
        let times = || {
            self.evidence
                .iter()
                .filter_map(|e| e.collected_at.as_deref())
        };
        (times().min(), times().max())
    }

    /// Reads back a `report.json` this version can read (see [`fleet::read_report`] for the
    /// checks around it): the fields report.json leaves implied are restored from it.
    pub fn from_json(bytes: &[u8]) -> Result<Report, serde_json::Error> {
        let mut report: Report = serde_json::from_slice(bytes)?;
        report.period =
            (report.period_kind == PeriodKind::Period).then(|| report.stated_period.clone());
        for c in &mut report.controls {
            c.decision.verdict = c.verdict;
        }
        Ok(report)
    }

    /// The id of a report: the sha256 (hex) of its `report.json` bytes as [`Report::to_json`]
    /// gives them, so `sha256sum report.json` checks it. The same input and `--as-of` give
    /// the same id; every other output of the run cites it.
    pub fn id(json: &[u8]) -> String {
        sha256_hex(json)
    }

    /// `report.json`: pretty-printed, with a trailing newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("the report serializes");
        // The data stays exact; DEL, C1 and bidi characters become `\u` escapes.
        if let std::borrow::Cow::Owned(safe) = crate::base::text::escape_json_invisibles(&out) {
            out = safe;
        }
        out.push(b'\n');
        out
    }
}
