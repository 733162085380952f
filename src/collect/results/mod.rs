//! Scanner and policy-engine results, read as evidence (`--results`).
//!
//! Platform teams already run image scanners and policy engines; their output files are the
//! evidence that a given image was scanned on a given day, which fixes were known, and which
//! policies fail. This module takes paths (files, or directories read recursively in name
//! order, hidden entries skipped; `.gz` files recognised by their magic bytes) and reads each
//! file through [`crate::base::input`] (regular files only, within `--max-file-size`, which also
//! bounds what a compressed file may expand to). The shape of each file is told from its
//! content, never its name: Trivy JSON, Grype JSON, SARIF 2.1.0, CycloneDX JSON, SPDX JSON,
//! PolicyReport / ClusterPolicyReport (`wgpolicyk8s.io`), Report / ClusterReport
//! (`openreports.io`), Kubescape JSON and Trivy Operator ConfigAuditReports and
//! VulnerabilityReports, the Kubernetes
//! ones alone, in `List`s or YAML streams.
//!
//! It gives one [`ResultRecord`] per scan (per document of a `List`, per run of a SARIF
//! log): the tool, the scan's own time (from the document, never the file's mtime; `None`
//! when the document gives none, and said so in the record's notes), the subject (an image
//! by digest and name, a Kubernetes object, a namespace, a cluster or a path), the sha256 of
//! the file as stored, and its items: vulnerabilities or policy results. A file that cannot
//! be read, is not JSON or YAML, is truncated, or is of no known shape is a [`Problem`] with
//! the path (and line where there is one) and the reason; the other files are still read.
//! [`ResultIndex`] finds the records that scanned a running image. [`load`] reads one
//! `--results` path as an input of the run: a source, an evidence record per result and the
//! problems, as an [`Inventory`] beside the records themselves.

mod config_audit;
mod cyclonedx;
mod fields;
mod files;
mod grype;
mod index;
mod kubescape;
mod policy_report;
mod sarif;
mod spdx;
mod trivy;
mod vulnerability_report;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::base::input::InputError;
use crate::evidence::image::ImageRef;
use crate::evidence::inventory::{Inventory, Problem, ProblemLevel};
use crate::evidence::record::{EvidenceKind, EvidenceRecord, Source, SourceKind, evidence_id};

pub use fields::Severity;
pub use index::{ImageMatch, MatchedBy, ResultIndex, normalize_digest};

/// Where results come from and how much of a file may be read.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// The source id problems and evidence records name, e.g. `results`.
    pub source: String,
    /// `--max-file-size`: the most bytes a file may hold, and a compressed file expand to.
    pub max_file_size: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            source: "results".into(),
            max_file_size: crate::base::input::DEFAULT_MAX_FILE_SIZE,
        }
    }
}

/// Everything read from the result paths.
#[derive(Debug, Default)]
pub struct ScanResults {
    /// In path order (a directory's files by name), then in document order.
    pub records: Vec<ResultRecord>,
    pub problems: Vec<Problem>,
    /// Files looked at, read or not.
    pub files: usize,
}

/// Reads every result file under `paths`. Files are read in parallel; the order of records
/// and problems is that of the paths, whatever the timing.
pub fn read_paths(paths: &[PathBuf], options: &ReadOptions) -> ScanResults {
    let found = files::discover(paths, &options.source);
    let per_file: Vec<(Vec<ResultRecord>, Vec<Problem>)> = found
        .files
        .par_iter()
        .map(|file| files::read_file(file, options))
        .collect();
    let mut out = ScanResults {
        files: found.files.len(),
        problems: found.problems,
        ..ScanResults::default()
    };
    for (records, problems) in per_file {
        out.records.extend(records);
        out.problems.extend(problems);
    }
    out
}

/// Reads one `--results` path as an input of the run: an [`Inventory`] holding its source
/// (`results:<path>`, kind `results`, with counts in its details), one evidence record per
/// result (the file's sha256 as stored, the scan's own time) and the problems met; and the
/// records themselves, for the checks.
pub fn load(path: &std::path::Path, max_file_size: u64) -> (Inventory, Vec<ResultRecord>) {
    let location = path.display().to_string();
    let source_id = format!("results:{location}");
    let options = ReadOptions {
        source: source_id.clone(),
        max_file_size,
    };
    let mut read = read_paths(&[path.to_path_buf()], &options);
    for r in &mut read.records {
        r.file.source = source_id.clone();
    }
    let dated = read
        .records
        .iter()
        .filter(|r| r.scanned_at.is_some())
        .count();
    let details = BTreeMap::from([
        ("files".to_string(), read.files.to_string()),
        ("results".to_string(), read.records.len().to_string()),
        (
            "results_without_time".to_string(),
            (read.records.len() - dated).to_string(),
        ),
    ]);
    let mut inventory = Inventory {
        sources: vec![Source {
            id: source_id.clone(),
            kind: SourceKind::Results,
            location,
            // Findings keep their ids when next quarter's results sit at another path.
            identity: "results".into(),
            details,
        }],
        problems: read.problems,
        ..Inventory::default()
    };
    inventory.records = read
        .records
        .iter()
        .map(|r| r.evidence_record(&source_id))
        .collect();
    (inventory, read.records)
}

/// The report kinds of the cluster that are read as results: policy reports and Trivy
/// Operator reports, as (API group, kind).
pub const REPORT_KINDS: &[(&str, &str)] = &[
    ("wgpolicyk8s.io", "PolicyReport"),
    ("wgpolicyk8s.io", "ClusterPolicyReport"),
    ("openreports.io", "Report"),
    ("openreports.io", "ClusterReport"),
    ("aquasecurity.github.io", "VulnerabilityReport"),
    ("aquasecurity.github.io", "ConfigAuditReport"),
];

/// Reads the report objects of a snapshot or live cluster ([`REPORT_KINDS`]) as results,
/// as a `--results` file of them would be read: one record per object, located at the
/// object (its file and line, or its API path) and citing the object's own evidence record
/// instead of a file's. An object that cannot be read as its kind is a problem of its
/// source; the others are read.
pub fn from_objects(
    objects: &[crate::evidence::object::Object],
) -> (Vec<ResultRecord>, Vec<Problem>) {
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for o in objects
        .iter()
        .filter(|o| REPORT_KINDS.contains(&(o.group(), o.kind.as_str())))
    {
        let location = match (&o.origin.path, o.origin.line) {
            (Some(p), Some(l)) => format!("{p}:{l}"),
            (Some(p), None) => p.clone(),
            (None, _) => o.display_name(),
        };
        let value: Value = match serde_json::from_str(&o.json) {
            Ok(v) => v,
            Err(e) => {
                problems.push(Problem::new(
                    ProblemLevel::Warning,
                    o.source.clone(),
                    location,
                    format!("{}: not read as a result: {e}", o.display_name()),
                ));
                continue;
            }
        };
        let mut out = (Vec::new(), Vec::new());
        read_kube(value, None, &mut out);
        for mut r in out.0 {
            r.file.path = location.clone();
            r.file.source = o.source.clone();
            r.object_evidence = Some(o.evidence.clone());
            redact(&mut r);
            records.push(r);
        }
        for p in out.1 {
            problems.push(
                Problem::new(
                    ProblemLevel::Warning,
                    o.source.clone(),
                    location.clone(),
                    format!(
                        "{}: {}",
                        o.display_name(),
                        crate::base::text::error_chain(&p.error)
                    ),
                )
                .hint(p.error.hint()),
            );
        }
    }
    (records, problems)
}

/// Reads one file's bytes as it is stored (gzip-compressed or not), shown as `display`:
/// the records it holds, and the problems of documents that could not be read (or of the
/// whole file). This is what [`read_paths`] does for each file, without the file system;
/// fuzz targets and tests call it directly.
pub fn read_bytes(
    display: &str,
    bytes: &[u8],
    limit: u64,
) -> (Vec<ResultRecord>, Vec<FileProblem>) {
    read_owned(display, bytes.to_vec(), limit)
}

fn read_owned(display: &str, bytes: Vec<u8>, limit: u64) -> (Vec<ResultRecord>, Vec<FileProblem>) {
    let sha256 = crate::evidence::record::sha256_hex(&bytes);
    let gzip = files::is_gzip(&bytes);
    let text = match files::decode(bytes, limit) {
        Ok(text) => text,
        Err(error) => return (Vec::new(), vec![FileProblem::whole(error)]),
    };
    let (mut records, problems) = parse_text(&text);
    for r in &mut records {
        r.file.path = display.to_string();
        r.file.sha256 = sha256.clone();
        r.file.gzip = gzip;
        redact(r);
    }
    (records, problems)
}

/// Reads `text` with the reader of `shape`, whatever the content says it is: what a fuzz
/// target of one reader calls. The Kubernetes shapes (policy reports, Trivy Operator
/// reports) take one JSON document. Problems name lines of `text`.
pub fn read_as(shape: Shape, text: &str) -> (Vec<ResultRecord>, Vec<FileProblem>) {
    let whole = |r: Result<Vec<ResultRecord>, FileProblem>| match r {
        Ok(records) => (records, Vec::new()),
        Err(p) => (Vec::new(), vec![p]),
    };
    let read: fn(Value) -> Result<ResultRecord, ReadError> = match shape {
        Shape::TrivyJson => return whole(trivy::read(text)),
        Shape::GrypeJson => return whole(grype::read(text)),
        Shape::Sarif => return whole(sarif::read(text)),
        Shape::CyclonedxJson => return whole(cyclonedx::read(text)),
        Shape::SpdxJson => return whole(spdx::read(text)),
        Shape::KubescapeJson => return whole(kubescape::read(text)),
        Shape::PolicyReport => policy_report::read,
        Shape::ConfigAuditReport => config_audit::read,
        Shape::VulnerabilityReport => vulnerability_report::read,
    };
    match serde_json::from_str::<Value>(text) {
        Ok(value) => match read(value) {
            Ok(mut record) => {
                redact(&mut record);
                (vec![record], Vec::new())
            }
            Err(e) => (Vec::new(), vec![FileProblem::whole(e)]),
        },
        Err(e) => (Vec::new(), vec![json_problem(&e)]),
    }
}

/// Policy results carry free text from the tools (messages, properties); a secret scanner's
/// or a careless policy's may quote a credential. The secret-looking parts of a value (a
/// private key, a JWT, an AWS access key id, a URL with a password, a secret flag) are
/// replaced by the rule the object reader applies to annotations, and a property whose
/// name says secret loses its value.
fn redact(record: &mut ResultRecord) {
    use crate::collect::redact::{MARKER, names_a_secret, words};
    for p in &mut record.policy_results {
        if let Some(message) = &mut p.message
            && let Some((redacted, _)) = words::scrub(message)
        {
            *message = redacted;
        }
        for (key, value) in &mut p.properties {
            if names_a_secret(key) {
                *value = MARKER.to_string();
            } else if let Some((redacted, _)) = words::scrub(value) {
                *value = redacted;
            }
        }
    }
}

/// Which tool's format a result was read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    TrivyJson,
    GrypeJson,
    Sarif,
    CyclonedxJson,
    SpdxJson,
    PolicyReport,
    KubescapeJson,
    ConfigAuditReport,
    /// A Trivy Operator VulnerabilityReport (or ClusterVulnerabilityReport).
    VulnerabilityReport,
}

impl Shape {
    /// The shape in words, as messages name it.
    pub fn name(self) -> &'static str {
        match self {
            Shape::TrivyJson => "Trivy JSON",
            Shape::GrypeJson => "Grype JSON",
            Shape::Sarif => "SARIF",
            Shape::CyclonedxJson => "CycloneDX JSON",
            Shape::SpdxJson => "SPDX JSON",
            Shape::PolicyReport => "policy report",
            Shape::KubescapeJson => "Kubescape JSON",
            Shape::ConfigAuditReport => "ConfigAuditReport",
            Shape::VulnerabilityReport => "VulnerabilityReport",
        }
    }
}

/// What a record's items say about its subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// The result of a vulnerability scan: its list of vulnerabilities is what the scanner
    /// found, so an empty list means none were found.
    VulnerabilityScan,
    /// A software bill of materials without vulnerability data: no finding either way.
    Sbom,
    /// Policy or configuration check results.
    PolicyResults,
}

/// The tool that wrote the result.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tool {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// The file a record was read from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileRef {
    /// The path as given (joined with the path inside a directory given).
    pub path: String,
    /// sha256 of the file's bytes as stored (compressed, for a `.gz`): what `sha256sum`
    /// prints for it.
    pub sha256: String,
    /// The file was gzip-compressed.
    pub gzip: bool,
    /// Which document of the file: the item of a `List` (`3`), the document of a YAML
    /// stream (`1`, or `1/3` for an item of a `List` in it), the run of a SARIF log
    /// (`run 0`); None for a file that is one document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// The source the file was read under (`results:<path given>`), set by [`load`]; empty
    /// for bytes read directly.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source: String,
}

impl FileRef {
    /// `path`, or `path#document`.
    pub fn locator(&self) -> String {
        match &self.document {
            Some(d) => format!("{}#{d}", self.path),
            None => self.path.clone(),
        }
    }
}

/// A Kubernetes object a result names: the report itself, its scope, a checked resource.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// An image as a result names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImageSubject {
    /// The image as the document names it first (Trivy's `ArtifactName`, Grype's
    /// `userInput`), which may be a path for a scanned archive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Every reference the document gives (tags and repository digests), parsed and
    /// normalised (`nginx` is `docker.io/library/nginx`).
    pub names: Vec<ImageRef>,
    /// The manifest digests the document gives (`sha256:...`): repository digests and
    /// the manifest digest, what a registry serves the image by.
    pub digests: Vec<String>,
    /// The image id: the digest of its configuration (what `docker images` shows, and
    /// some runtimes report as a container's image id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
}

impl ImageSubject {
    /// Adds a reference (`registry/repository:tag`, `name@digest`); one that is not an
    /// image reference (a path to an archive) is only kept as [`Self::reference`].
    pub fn add_reference(&mut self, reference: &str) {
        let reference = reference.trim();
        if reference.is_empty() {
            return;
        }
        if self.reference.is_none() {
            self.reference = Some(reference.to_string());
        }
        let reference = reference
            .split_once("://")
            .map_or(reference, |(_, rest)| rest);
        if let Ok(parsed) = ImageRef::parse(reference) {
            if let Some(d) = &parsed.digest {
                self.add_digest(&d.to_string());
            }
            if !self.names.contains(&parsed) {
                self.names.push(parsed);
            }
        }
    }

    /// Adds a digest given alone (`sha256:...`) or in a reference (`name@sha256:...`).
    pub fn add_digest(&mut self, digest: &str) {
        if let Some(d) = normalize_digest(digest)
            && !self.digests.contains(&d)
        {
            self.digests.push(d);
        }
    }

    /// Sets the image (config) id.
    pub fn set_image_id(&mut self, id: &str) {
        if let Some(d) = normalize_digest(id) {
            self.image_id = Some(d);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.digests.is_empty() && self.image_id.is_none()
    }
}

/// What a result is about.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Subject {
    Image(ImageSubject),
    /// One Kubernetes object (a PolicyReport's scope, a ConfigAuditReport's owner).
    Object(ObjectRef),
    /// A namespace as a whole (a PolicyReport without a scope).
    Namespace {
        name: String,
    },
    /// A cluster as a whole (a Kubescape cluster scan, a ClusterPolicyReport).
    Cluster {
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// A directory, repository or file that was scanned.
    Path {
        path: String,
    },
    /// The document does not say.
    #[default]
    Unknown,
}

impl Subject {
    pub fn image(&self) -> Option<&ImageSubject> {
        match self {
            Subject::Image(i) => Some(i),
            _ => None,
        }
    }

    /// The subject in words: `image registry.example.com/shop/api:1.4.2`,
    /// `Deployment shop/api`.
    pub fn describe(&self) -> String {
        match self {
            Subject::Image(i) => {
                let name = i
                    .names
                    .iter()
                    .find(|n| n.tag.is_some())
                    .or(i.names.first())
                    .map(ToString::to_string)
                    .or_else(|| i.reference.clone())
                    .or_else(|| i.digests.first().cloned())
                    .or_else(|| i.image_id.clone())
                    .unwrap_or_default();
                format!("image {name}")
            }
            Subject::Object(o) => o.to_string(),
            Subject::Namespace { name } => format!("namespace {name}"),
            Subject::Cluster { name: Some(n) } => format!("cluster {n}"),
            Subject::Cluster { name: None } => "the cluster".into(),
            Subject::Path { path } => format!("path {path}"),
            Subject::Unknown => "an unnamed subject".into(),
        }
    }
}

/// One vulnerability a scanner reported in one package.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Vulnerability {
    /// As the scanner names it: `CVE-2024-3094`, `GHSA-...`, `ALAS-...`.
    pub id: String,
    /// The CVE it is, when `id` is not one but the result says (Grype's related
    /// vulnerabilities).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cve: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed_version: Option<String>,
    /// The version(s) that fix it, as written (Trivy writes `1.2.3, 1.3.1` for two
    /// branches); None when no fix is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    /// The fix status the scanner gives (Trivy's `Status`, Grype's `fix.state`, a
    /// CycloneDX `analysis.state`), as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub severity: Severity,
    /// The severity as the document writes it (`HIGH`, `Negligible`, `7.5`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity_original: Option<String>,
    /// When the vulnerability was published (Trivy's `PublishedDate`, CycloneDX
    /// `published`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<DateTime<Utc>>,
}

/// How a policy or check ended for one resource.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    /// Not met, and not scored (a policy in audit mode).
    Warn,
    /// Could not be evaluated.
    Error,
    /// Not applicable, or not selected.
    Skip,
    /// The document's value is none of these; see `result_original`.
    #[default]
    Unknown,
}

impl Outcome {
    /// Reads the wg-policy result words (`pass`, `fail`, `warn`, `error`, `skip`) in any
    /// case.
    pub fn from_word(word: &str) -> Outcome {
        match word.trim().to_ascii_lowercase().as_str() {
            "pass" | "passed" => Outcome::Pass,
            "fail" | "failed" => Outcome::Fail,
            "warn" | "warning" => Outcome::Warn,
            "error" => Outcome::Error,
            "skip" | "skipped" => Outcome::Skip,
            _ => Outcome::Unknown,
        }
    }
}

/// One policy (or check, or rule) evaluated against one resource.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PolicyResult {
    /// The policy, control or check id: `disallow-latest-tag`, `C-0017`, `KSV014`.
    pub policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub result: Outcome,
    /// The result as written (`fail`, `failed`, `success: false`).
    pub result_original: String,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity_original: Option<String>,
    /// The Kubernetes object checked, when the result names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ObjectRef>,
    /// Where in a file, for file-based checks (`deploy/app.yaml:12`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The engine that produced it, when the result says (`kyverno`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When this result was found, when it has a time of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

/// A policy report's own count of its results, as written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PolicySummary {
    pub pass: u64,
    pub fail: u64,
    pub warn: u64,
    pub error: u64,
    pub skip: u64,
}

/// One scan result: one scan of one subject by one tool, as one document records it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResultRecord {
    pub shape: Shape,
    pub kind: RecordKind,
    pub tool: Tool,
    /// When the scan ran, from the document; None when it does not say (such a result is
    /// read, but is no dated scan).
    pub scanned_at: Option<DateTime<Utc>>,
    /// The document field the time was read from (`CreatedAt`, `descriptor.timestamp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_field: Option<&'static str>,
    pub subject: Subject,
    pub file: FileRef,
    /// For Kubernetes reports: the report object itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<ObjectRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<Vulnerability>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policy_results: Vec<PolicyResult>,
    /// For an SBOM: how many packages (components) it lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packages: Option<usize>,
    /// A policy report's own summary, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<PolicySummary>,
    /// What a reader should know: no time in the document, an SBOM without
    /// vulnerability data, values that could not be read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// For a report read from a cluster object (see [`from_objects`]): the object's
    /// evidence record, which the record cites instead of one of its own.
    #[serde(skip)]
    pub object_evidence: Option<String>,
    /// The scan lists fewer vulnerabilities than its own summary counts (a report whose
    /// details were left out): it dates a scan, but cannot tell which fixes are missing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

impl ResultRecord {
    fn new(shape: Shape, kind: RecordKind, tool: Tool) -> ResultRecord {
        ResultRecord {
            shape,
            kind,
            tool,
            scanned_at: None,
            time_field: None,
            subject: Subject::Unknown,
            file: FileRef::default(),
            report: None,
            vulnerabilities: Vec::new(),
            policy_results: Vec::new(),
            packages: None,
            summary: None,
            notes: Vec::new(),
            object_evidence: None,
            partial: false,
        }
    }

    /// Sets the scan time from a document field, noting a value that is no time and a
    /// missing one.
    fn set_time(&mut self, field: &'static str, value: Option<&str>) {
        match fields::TimeField::of(value) {
            fields::TimeField::Time(t) => {
                self.scanned_at = Some(t);
                self.time_field = Some(field);
            }
            fields::TimeField::Unreadable(s) => self.notes.push(format!(
                "`{field}` is `{s}`, not a time: the scan is undated, and does not count as a \
                 dated scan"
            )),
            fields::TimeField::Absent => self.notes.push(format!(
                "no scan time in the document (`{field}`): the scan is undated, and does not \
                 count as a dated scan"
            )),
        }
    }

    /// Is this a dated vulnerability scan (what `images-scanned` counts)?
    pub fn is_dated_scan(&self) -> bool {
        self.kind == RecordKind::VulnerabilityScan && self.scanned_at.is_some()
    }

    /// The id of the evidence record [`load`] made for this record.
    pub fn evidence(&self) -> String {
        match &self.object_evidence {
            Some(id) => id.clone(),
            None => self.evidence_id(&self.file.source),
        }
    }

    /// The record's evidence id, stable for the same source and locator.
    pub fn evidence_id(&self, source: &str) -> String {
        evidence_id(source, &self.file.locator())
    }

    /// The record as an entry of the evidence appendix: the file (its sha256 as stored),
    /// with the scan time as its time.
    pub fn evidence_record(&self, source: &str) -> EvidenceRecord {
        EvidenceRecord {
            managers: None,
            id: self.evidence_id(source),
            source: source.to_string(),
            kind: EvidenceKind::File,
            locator: self.file.locator(),
            sha256: self.file.sha256.clone(),
            collected_at: None,
            time: self.scanned_at.map(crate::base::timefmt::rfc3339),
            describes: self.describes(),
        }
    }

    /// `Trivy JSON scan of image docker.io/library/nginx:1.27 (12 vulnerabilities)`.
    pub fn describes(&self) -> String {
        let what = match self.kind {
            RecordKind::VulnerabilityScan => "scan",
            RecordKind::Sbom => "SBOM",
            RecordKind::PolicyResults => "results",
        };
        let items = match self.kind {
            RecordKind::VulnerabilityScan => count(self.vulnerabilities.len(), "vulnerability"),
            RecordKind::Sbom => match self.packages {
                Some(n) => format!("{}, no vulnerability data", count(n, "package")),
                None => "no vulnerability data".into(),
            },
            RecordKind::PolicyResults => count(self.policy_results.len(), "result"),
        };
        format!(
            "{} {what} of {} ({items})",
            self.shape.name(),
            self.subject.describe()
        )
    }
}

fn count(n: usize, what: &str) -> String {
    match (n, what) {
        (1, _) => format!("1 {what}"),
        (_, "vulnerability") => format!("{n} vulnerabilities"),
        _ => format!("{n} {what}s"),
    }
}

/// Why a file, or a document of it, was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("not a valid gzip stream")]
    Gzip(#[source] std::io::Error),
    #[error(
        "it decompresses to more than the {limit}-byte limit on input files \
         (--max-file-size); not read"
    )]
    GzipTooLarge { limit: u64 },
    #[error("binary data (a NUL byte at offset {offset}), not a JSON or YAML result")]
    Binary { offset: usize },
    #[error("not valid UTF-8 (first bad byte at line {line}); save it as UTF-8")]
    NotUtf8 { line: u32 },
    #[error("not valid UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8")]
    NotUtf16,
    #[error("empty: no result in it")]
    Empty,
    #[error("truncated JSON: the file ends before the document does ({message})")]
    TruncatedJson { message: String },
    #[error("malformed JSON: {message}")]
    Json { message: String },
    #[error("malformed YAML: {message}")]
    Yaml { message: String },
    #[error(
        "not a result evidencer reads ({found}); tried Trivy JSON (SchemaVersion, \
         ArtifactName, Results), Grype JSON (matches, source), SARIF 2.1.0 (version, runs), \
         CycloneDX JSON (bomFormat), SPDX JSON (spdxVersion), PolicyReport and \
         ClusterPolicyReport (wgpolicyk8s.io), Report and ClusterReport (openreports.io), \
         ConfigAuditReport and VulnerabilityReport (aquasecurity.github.io) and Kubescape \
         JSON (summaryDetails, results)"
    )]
    UnknownShape { found: String },
    #[error("a {shape} document whose `{path}` cannot be read: {message}")]
    Field {
        shape: &'static str,
        path: String,
        message: String,
    },
}

impl ReadError {
    fn hint(&self) -> &'static str {
        match self {
            ReadError::Input(_) => "check the path and its permissions; nothing of it was read",
            ReadError::TruncatedJson { .. } => {
                "the file was cut short (a full disk, an interrupted copy or upload?): \
                 produce it again"
            }
            ReadError::UnknownShape { .. } => {
                "pass `trivy image -f json`, `grype -o json`, SARIF, CycloneDX or SPDX JSON, \
                 `kubectl get policyreports -A -o json`, `kubescape scan --format json` or \
                 Trivy Operator ConfigAuditReport or VulnerabilityReport output"
            }
            _ => "produce the file again with the tool, or leave it out of --results",
        }
    }
}

/// A file, or a document of it, that was not read, and where.
#[derive(Debug)]
pub struct FileProblem {
    /// The document of the file, as [`FileRef::document`] names it.
    pub document: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub error: ReadError,
}

impl FileProblem {
    fn whole(error: ReadError) -> FileProblem {
        FileProblem {
            document: None,
            line: None,
            column: None,
            error,
        }
    }

    fn document(document: Option<String>, error: ReadError) -> FileProblem {
        FileProblem {
            document,
            line: None,
            column: None,
            error,
        }
    }

    /// The problem that records it, for the file shown as `display`.
    pub fn to_problem(&self, source: &str, display: &str) -> Problem {
        let mut location = display.to_string();
        if let Some(line) = self.line {
            location.push_str(&format!(":{line}"));
            if let Some(column) = self.column {
                location.push_str(&format!(":{column}"));
            }
        } else if let Some(d) = &self.document {
            location.push_str(&format!("#{d}"));
        }
        let message = match &self.error {
            ReadError::Input(e) => match e {
                InputError::Io(_) | InputError::NotRegular { .. } => format!("cannot read: {e}"),
                _ => e.to_string(),
            },
            // The cause is said once, here.
            e @ ReadError::Gzip(cause) => format!("{e}: {cause}"),
            other => other.to_string(),
        };
        Problem::new(ProblemLevel::Error, source, location, message).hint(self.error.hint())
    }
}

/// The records of a file's text, and the problems of the documents that were not read.
fn parse_text(text: &str) -> (Vec<ResultRecord>, Vec<FileProblem>) {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return (Vec::new(), vec![FileProblem::whole(ReadError::Empty)]);
    }
    match trimmed.as_bytes()[0] {
        b'{' | b'[' => match parse_json(text) {
            Ok(parsed) => parsed,
            Err(p) => (Vec::new(), vec![p]),
        },
        _ => parse_yaml(text),
    }
}

/// A JSON syntax error, with its line and column.
fn json_problem(e: &serde_json::Error) -> FileProblem {
    let message = clean_json_message(e);
    let error = if e.classify() == serde_json::error::Category::Eof {
        ReadError::TruncatedJson { message }
    } else {
        ReadError::Json { message }
    };
    FileProblem {
        document: None,
        line: u32::try_from(e.line()).ok().filter(|l| *l > 0),
        column: u32::try_from(e.column()).ok().filter(|c| *c > 0),
        error,
    }
}

/// serde_json's message without the location it appends (the problem says where).
fn clean_json_message(e: &serde_json::Error) -> String {
    let m = e.to_string();
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_string(),
        None => m,
    }
}

fn parse_json(text: &str) -> Result<(Vec<ResultRecord>, Vec<FileProblem>), FileProblem> {
    if text.trim_start().starts_with('[') {
        // A bare array: Kubernetes reports one after another, or something else.
        let items: Vec<Value> = serde_json::from_str(text).map_err(|e| json_problem(&e))?;
        return Ok(parse_array(items));
    }
    // One pass that checks the syntax and keeps only the top-level keys (their values
    // are borrowed text, not parsed), to tell the shape; then one typed pass.
    let top: BTreeMap<String, &RawValue> =
        serde_json::from_str(text).map_err(|e| json_problem(&e))?;
    let has = |k: &str| top.contains_key(k);
    let shape = if has("SchemaVersion") && (has("ArtifactName") || has("Results")) {
        Some(Shape::TrivyJson)
    } else if has("matches") && (has("source") || has("descriptor")) {
        Some(Shape::GrypeJson)
    } else if has("runs") && (has("version") || has("$schema")) {
        Some(Shape::Sarif)
    } else if has("bomFormat") {
        Some(Shape::CyclonedxJson)
    } else if has("spdxVersion") {
        Some(Shape::SpdxJson)
    } else if has("summaryDetails") || (has("generationTime") && has("results")) {
        Some(Shape::KubescapeJson)
    } else {
        None
    };
    let records = match shape {
        Some(Shape::TrivyJson) => trivy::read(text),
        Some(Shape::GrypeJson) => grype::read(text),
        Some(Shape::Sarif) => sarif::read(text),
        Some(Shape::CyclonedxJson) => cyclonedx::read(text),
        Some(Shape::SpdxJson) => spdx::read(text),
        Some(Shape::KubescapeJson) => kubescape::read(text),
        _ if has("apiVersion") && has("kind") => {
            let value: Value = serde_json::from_str(text).map_err(|e| json_problem(&e))?;
            let mut out = (Vec::new(), Vec::new());
            read_kube(value, None, &mut out);
            return Ok(out);
        }
        _ => Err(FileProblem::whole(ReadError::UnknownShape {
            found: describe_keys(top.keys()),
        })),
    }?;
    Ok((records, Vec::new()))
}

/// `a JSON object with keys a, b, c, ...`.
fn describe_keys<'a>(keys: impl Iterator<Item = &'a String>) -> String {
    let keys: Vec<&String> = keys.collect();
    if keys.is_empty() {
        return "an empty JSON object".into();
    }
    let shown: Vec<String> = keys
        .iter()
        .take(6)
        .map(|k| fields::shorten(k, 40))
        .collect();
    let more = if keys.len() > 6 { ", ..." } else { "" };
    format!("a JSON object with keys {}{more}", shown.join(", "))
}

fn parse_array(items: Vec<Value>) -> (Vec<ResultRecord>, Vec<FileProblem>) {
    let mut out = (Vec::new(), Vec::new());
    let kube = |v: &Value| v.get("apiVersion").is_some() && v.get("kind").is_some();
    if items.is_empty() || !items.iter().any(kube) {
        let found = if items.first().is_some_and(|v| v.get("Target").is_some()) {
            "a bare JSON list of Trivy results, as trivy wrote before SchemaVersion 2: it \
             names no image and no time; run a current trivy with `-f json`"
                .to_string()
        } else {
            format!("a JSON list of {} items", items.len())
        };
        out.1
            .push(FileProblem::whole(ReadError::UnknownShape { found }));
        return out;
    }
    for (i, item) in items.into_iter().enumerate() {
        read_kube(item, Some(i.to_string()), &mut out);
    }
    out
}

fn parse_yaml(text: &str) -> (Vec<ResultRecord>, Vec<FileProblem>) {
    use crate::base::yaml;
    let docs = yaml::split_documents(text);
    let mut out = (Vec::new(), Vec::new());
    let many = docs.len() > 1;
    for doc in &docs {
        let document = many.then(|| doc.index.to_string());
        match yaml::parse_document(doc) {
            Ok(value) => {
                let before = out.1.len();
                read_kube(value, document, &mut out);
                // A document that is not a report is shown at its line.
                for p in &mut out.1[before..] {
                    if p.line.is_none() && matches!(p.error, ReadError::UnknownShape { .. }) {
                        p.line = Some(doc.content_line);
                    }
                }
            }
            Err(e) => out.1.push(FileProblem {
                document,
                line: Some(e.line),
                column: e.column,
                error: ReadError::Yaml { message: e.message },
            }),
        }
    }
    if docs.is_empty() {
        out.1.push(FileProblem::whole(ReadError::Empty));
    }
    out
}

/// A Kubernetes report object, or a `List` of them.
fn read_kube(
    value: Value,
    document: Option<String>,
    out: &mut (Vec<ResultRecord>, Vec<FileProblem>),
) {
    let api_version = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let group = api_version.split_once('/').map_or("", |(g, _)| g);
    let is_list = kind.ends_with("List") && value.get("items").is_some();
    if is_list {
        let Value::Object(mut map) = value else {
            return;
        };
        let items = match map.remove("items") {
            Some(Value::Array(items)) => items,
            Some(Value::Null) | None => Vec::new(),
            Some(_) => {
                out.1.push(FileProblem::document(
                    document,
                    ReadError::Field {
                        shape: "Kubernetes List",
                        path: "items".into(),
                        message: "is not a list".into(),
                    },
                ));
                return;
            }
        };
        for (i, item) in items.into_iter().enumerate() {
            let d = match &document {
                Some(d) => format!("{d}/{i}"),
                None => i.to_string(),
            };
            if item.get("items").is_some()
                && item
                    .get("kind")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k.ends_with("List"))
            {
                out.1.push(FileProblem::document(
                    Some(d),
                    ReadError::UnknownShape {
                        found: "a List nested in a List".into(),
                    },
                ));
                continue;
            }
            read_kube(item, Some(d), out);
        }
        return;
    }
    let result = match (group, kind.as_str()) {
        (
            "wgpolicyk8s.io" | "reports.x-k8s.io",
            "PolicyReport" | "ClusterPolicyReport" | "Report" | "ClusterReport",
        )
        | ("openreports.io", "Report" | "ClusterReport") => policy_report::read(value),
        ("aquasecurity.github.io", "ConfigAuditReport" | "ClusterConfigAuditReport") => {
            config_audit::read(value)
        }
        ("aquasecurity.github.io", "VulnerabilityReport" | "ClusterVulnerabilityReport") => {
            vulnerability_report::read(value)
        }
        _ => {
            let found = if kind.is_empty() || api_version.is_empty() {
                "YAML or JSON without apiVersion and kind".to_string()
            } else {
                format!(
                    "a Kubernetes {} ({})",
                    fields::shorten(&kind, 60),
                    fields::shorten(&api_version, 80)
                )
            };
            Err(ReadError::UnknownShape { found })
        }
    };
    match result {
        Ok(mut record) => {
            record.file.document = document;
            out.0.push(record);
        }
        Err(error) => out.1.push(FileProblem::document(document, error)),
    }
}

/// Deserialises a typed view of JSON text, or says which field was not what the shape
/// expects, with its line and column.
fn typed<T: serde::de::DeserializeOwned>(text: &str, shape: Shape) -> Result<T, FileProblem> {
    match serde_json::from_str(text) {
        Ok(v) => Ok(v),
        Err(_) => {
            // Again, slower, to name the field.
            let mut de = serde_json::Deserializer::from_str(text);
            let e = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let path = e.path().to_string();
            let inner = e.into_inner();
            Err(FileProblem {
                document: None,
                line: u32::try_from(inner.line()).ok().filter(|l| *l > 0),
                column: u32::try_from(inner.column()).ok().filter(|c| *c > 0),
                error: ReadError::Field {
                    shape: shape.name(),
                    path,
                    message: clean_json_message(&inner),
                },
            })
        }
    }
}

/// [`typed`], from a parsed value (Kubernetes reports, which may come from YAML).
fn typed_value<T: serde::de::DeserializeOwned>(value: Value, shape: Shape) -> Result<T, ReadError> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| ReadError::Field {
        shape: shape.name(),
        path: e.path().to_string(),
        message: e.into_inner().to_string(),
    })
}

#[cfg(test)]
mod tests;
