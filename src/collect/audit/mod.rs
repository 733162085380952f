//! API audit logs: who entered or changed a running container, and which stretches of time
//! the logs account for.
//!
//! [`read`] takes `--audit-log` arguments (files, directories, patterns: see [`paths`]),
//! streams every file they name (plain or gzip, see [`lines`]), tells each file's shape from
//! its first lines (the kube-apiserver's own log, EKS through CloudWatch, GKE's Cloud Audit
//! Logs, AKS diagnostic logs; see [`Shape`]) and gives an [`AuditLog`]: the events that
//! entered or changed a running container ([`AuditEvent`], classified in [`classify`]), a
//! summary of each file with its sha256, the [`Coverage`] of time, and the input problems.
//!
//! Nothing is held but one line (at most [`ReadOptions::max_line_bytes`]) and what is
//! kept: the events of interest (at most [`ReadOptions::max_events`]; counts stay exact), a
//! few bytes a day and a span for coverage, and the images of pods seen updated. A request
//! the API server logged at several stages counts once, by its audit ID, as its last stage
//! says. A line that is not an event of any shape, or JSON that does not parse, is an input
//! problem with its `file:line`, and the rest is read; a file whose first lines are of no
//! known shape is one problem. Request bodies are read for the fields cited and never kept.

mod aks;
mod classify;
mod coverage;
mod eks;
mod gke;
mod kube;
mod lines;
mod paths;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

pub use classify::{Action, ContainerImage, ImageChange, Level, Stage, Unknown};
pub use coverage::{Coverage, FileCoverage, Gaps, Hole, Span};
pub(crate) use paths::has_wildcard as is_pattern;

use crate::evidence::inventory::Inventory;
use crate::evidence::inventory::{Problem, ProblemLevel};
use crate::evidence::record::{
    EvidenceKind, EvidenceRecord, Source, SourceKind, evidence_id, sha256_hex,
};
use classify::{Detail, Head, PodSpecs};
use coverage::{FileTimes, to_datetime};
use lines::{Line, Opened};

/// The shapes an audit log file may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// The kube-apiserver's `--audit-log-path` file: an `audit.k8s.io/v1` `Event` a line.
    KubeApiserver,
    /// EKS control-plane logs exported from CloudWatch Logs (see [`eks`]).
    Eks,
    /// GKE Cloud Audit Logs exported as JSON (see [`gke`]).
    Gke,
    /// AKS diagnostic logs, categories `kube-audit`/`kube-audit-admin` (see [`aks`]).
    Aks,
}

impl Shape {
    pub fn describe(self) -> &'static str {
        match self {
            Shape::KubeApiserver => "kube-apiserver audit log",
            Shape::Eks => "EKS audit log from CloudWatch Logs",
            Shape::Gke => "GKE Cloud Audit Logs",
            Shape::Aks => "AKS diagnostic logs",
        }
    }
}

/// Limits of a read.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// A line (or a record of a JSON document) longer than this is an input problem,
    /// skipped without being held.
    pub max_line_bytes: usize,
    /// At most this many events of interest are kept; the counts stay exact and a warning
    /// says how many were not kept.
    pub max_events: usize,
    /// A silence longer than this, inside a file or between files, is a hole in coverage.
    pub gap_threshold: TimeDelta,
}

/// Default of [`ReadOptions::max_line_bytes`]: 16 MiB (an event holds at most an object of
/// 3 MiB, twice for `RequestResponse`, escaped in an export's string).
pub const DEFAULT_MAX_LINE_BYTES: usize = 16 << 20;
/// Default of [`ReadOptions::max_events`].
pub const DEFAULT_MAX_EVENTS: usize = 100_000;

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            max_events: DEFAULT_MAX_EVENTS,
            gap_threshold: TimeDelta::hours(1),
        }
    }
}

/// The source id of an `--audit-log` argument's problems and evidence.
pub fn source_id(input: &str) -> String {
    format!("audit-log:{input}")
}

/// An event that entered or changed a running container, with what the log says of it.
/// Bodies are never kept: only the fields below, the command redacted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub action: Action,
    /// When the API server received the request.
    pub time: DateTime<Utc>,
    /// The authenticated user (empty when the log does not say).
    pub user: String,
    pub groups: Vec<String>,
    /// The user it acted as, when it impersonated one.
    pub impersonated_user: Option<String>,
    pub impersonated_groups: Vec<String>,
    pub source_ips: Vec<String>,
    pub user_agent: Option<String>,
    pub verb: String,
    pub namespace: Option<String>,
    pub pod: Option<String>,
    pub container: Option<String>,
    /// For `nodes/proxy`: the node whose kubelet ran the command.
    pub node: Option<String>,
    pub subresource: Option<String>,
    /// The HTTP status of the response (None when the log does not say, e.g. a request
    /// logged only at `RequestReceived`).
    pub code: Option<u16>,
    /// The command, when the request URI gives it: decoded and redacted.
    pub command: Option<Vec<String>>,
    pub level: Level,
    /// None for shapes without stages.
    pub stage: Option<Stage>,
    pub audit_id: Option<String>,
    /// The request path (without its query), or GKE's resource name.
    pub path: Option<String>,
    pub shape: Shape,
    /// The `--audit-log` argument the file came from.
    pub input: String,
    pub file: String,
    pub line: u64,
    /// The event's place among the records of its line (a line that wraps several), or of
    /// its file (a JSON document), 0-based.
    pub record: Option<u32>,
    /// The sha256 of the line (or JSON document record) as read in the log, to find it
    /// there; the evidence record hashes [`AuditEvent::stored_json`], what is kept.
    pub line_sha256: String,
}

impl AuditEvent {
    /// `file:line`, with `#n` for the n-th event of a line that holds several.
    pub fn locator(&self) -> String {
        match self.record {
            Some(i) => format!("{}:{}#{i}", self.file, self.line),
            None => format!("{}:{}", self.file, self.line),
        }
    }

    /// Whether the request succeeded (status below 400); None when the log does not say.
    pub fn succeeded(&self) -> Option<bool> {
        self.code.map(|c| c < 400)
    }

    /// The event as kept (these fields only, the command redacted), as canonical JSON: the
    /// bytes its evidence record hashes and the bundle holds.
    pub fn stored_json(&self) -> Vec<u8> {
        let value = serde_json::to_value(self).expect("an audit event serializes");
        let mut out = Vec::new();
        crate::evidence::object::canonical_json(&value, &mut out);
        out
    }

    /// The evidence record citing this event.
    pub fn evidence_record(&self) -> EvidenceRecord {
        let source = source_id(&self.input);
        let locator = self.locator();
        let target = match (&self.namespace, &self.pod, &self.node) {
            (Some(ns), Some(pod), _) => format!("{ns}/{pod}"),
            (None, Some(pod), _) => pod.clone(),
            (_, None, Some(node)) => format!("node {node}"),
            _ => "-".to_string(),
        };
        EvidenceRecord {
            managers: None,
            id: evidence_id(&source, &locator),
            describes: format!(
                "audit event {} {target} by {}",
                self.action.name(),
                self.user
            ),
            source,
            kind: EvidenceKind::Event,
            locator,
            sha256: sha256_hex(&self.stored_json()),
            collected_at: None,
            time: Some(crate::base::timefmt::rfc3339(self.time)),
        }
    }
}

/// What was read of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSummary {
    /// The `--audit-log` argument that named it.
    pub input: String,
    pub file: String,
    /// None when no line was of a known shape.
    pub shape: Option<Shape>,
    pub gzip: bool,
    /// True when the file is one JSON document rather than a record a line.
    pub document: bool,
    /// The sha256 and size of the file as stored (compressed, for gzip); None when it could
    /// not be read to the end.
    pub sha256: Option<String>,
    pub bytes: u64,
    /// Lines read (of the decompressed text; for a document, its last line).
    pub lines: u64,
    /// Events at their last stage: each request once.
    pub events: u64,
    /// Records of other streams, categories or services, skipped.
    pub skipped: u64,
    /// Lines (or records) that were input problems.
    pub problem_lines: u64,
    pub coverage: FileCoverage,
}

/// Everything read from the audit logs.
#[derive(Clone, Debug, Default)]
pub struct AuditLog {
    pub files: Vec<FileSummary>,
    /// The events of interest, each request once, in time order (then file and line).
    pub events: Vec<AuditEvent>,
    /// Events of interest by [`Action::name`], including those not kept.
    pub counts: BTreeMap<&'static str, u64>,
    /// Events of interest not kept over [`ReadOptions::max_events`].
    pub dropped: u64,
    pub coverage: Coverage,
    pub problems: Vec<Problem>,
}

impl AuditLog {
    /// The log as evidence: one source per `--audit-log` argument (its files, events and
    /// time range in its details), one record per file with the file's sha256, one record
    /// per event of interest within `[start, end]` (the events findings cite; the rest of
    /// the log is not kept), and the problems met.
    pub fn inventory(
        &self,
        inputs: &[String],
        within: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Inventory {
        let mut inventory = Inventory::default();
        for input in inputs {
            let files: Vec<&FileSummary> =
                self.files.iter().filter(|f| &f.input == input).collect();
            let mut details = BTreeMap::new();
            details.insert("files".to_string(), files.len().to_string());
            details.insert(
                "events".to_string(),
                files.iter().map(|f| f.events).sum::<u64>().to_string(),
            );
            let first = files.iter().filter_map(|f| f.coverage.first).min();
            let last = files.iter().filter_map(|f| f.coverage.last).max();
            if let Some(first) = first {
                details.insert(
                    "first_event".to_string(),
                    crate::base::timefmt::rfc3339(first),
                );
            }
            if let Some(last) = last {
                details.insert(
                    "last_event".to_string(),
                    crate::base::timefmt::rfc3339(last),
                );
            }
            let shapes: std::collections::BTreeSet<&str> = files
                .iter()
                .filter_map(|f| f.shape)
                .map(Shape::describe)
                .collect();
            if !shapes.is_empty() {
                details.insert(
                    "shapes".to_string(),
                    shapes.into_iter().collect::<Vec<_>>().join(", "),
                );
            }
            let source = source_id(input);
            for file in &files {
                let Some(sha256) = &file.sha256 else { continue };
                inventory.records.push(EvidenceRecord {
                    managers: None,
                    id: evidence_id(&source, &file.file),
                    source: source.clone(),
                    kind: EvidenceKind::File,
                    locator: file.file.clone(),
                    sha256: sha256.clone(),
                    collected_at: None,
                    time: None,
                    describes: format!(
                        "Audit log file {} ({}, {} events)",
                        file.file,
                        file.shape.map_or("no known shape", Shape::describe),
                        file.events
                    ),
                });
            }
            inventory.sources.push(Source {
                id: source,
                kind: SourceKind::AuditLog,
                location: input.clone(),
                // Findings keep their ids from one quarter's logs to the next.
                identity: "audit-log".to_string(),
                details,
            });
        }
        inventory.records.extend(
            self.events
                .iter()
                // Denied requests changed nothing and no finding cites them.
                .filter(|e| e.succeeded() != Some(false))
                .filter(|e| within.is_none_or(|(start, end)| (start..=end).contains(&e.time)))
                .map(AuditEvent::evidence_record),
        );
        inventory.problems.extend(self.problems.iter().cloned());
        inventory
    }

    /// The record id of each file read, by display path, for findings that cite the files.
    pub fn file_record_ids(&self) -> Vec<String> {
        self.files
            .iter()
            .filter(|f| f.sha256.is_some())
            .map(|f| evidence_id(&source_id(&f.input), &f.file))
            .collect()
    }
}

/// Reads every file the arguments name, in order (see the module doc).
pub fn read(inputs: &[String], options: &ReadOptions) -> AuditLog {
    let mut reader = Reader::new(options);
    let mut seen = HashSet::new();
    for input in inputs {
        let source = source_id(input);
        let (files, problems) = paths::expand(input, &source);
        reader.log.problems.extend(problems);
        for file in files {
            // The same file named twice (a directory and a pattern) is read once.
            let canonical = std::fs::canonicalize(&file.path).unwrap_or(file.path.clone());
            if !seen.insert(canonical) {
                continue;
            }
            let display = file.path.display().to_string();
            let path = file.path.clone();
            reader.read_file(input, &display, &mut || lines::open(&path));
        }
    }
    reader.finish()
}

/// Reads one file's bytes as if from a file named `name` given as `--audit-log name`: for
/// tests and fuzzing.
pub fn read_bytes(name: &str, bytes: &[u8], options: &ReadOptions) -> AuditLog {
    read_bytes_with(name, bytes, options, None)
}

/// [`read_bytes`], the file taken to be of `shape` instead of told from its first lines: the
/// entry point of one shape's reader, for its fuzz target (a record of another shape is
/// still read as that shape, as in a file that mixes two).
pub fn read_bytes_as(name: &str, bytes: &[u8], options: &ReadOptions, shape: Shape) -> AuditLog {
    read_bytes_with(name, bytes, options, Some(shape))
}

fn read_bytes_with(
    name: &str,
    bytes: &[u8],
    options: &ReadOptions,
    shape: Option<Shape>,
) -> AuditLog {
    let mut reader = Reader::new(options);
    reader.assumed = shape;
    let bytes = bytes.to_vec();
    reader.read_file(name, name, &mut || {
        lines::from_reader(std::io::Cursor::new(bytes.clone()))
    });
    reader.finish()
}

/// Why one record was not read.
#[derive(Debug)]
enum RecordError {
    /// It is none of the shapes.
    NotAShape,
    Json(String),
    /// A field its shape requires is missing.
    Missing(&'static str),
    /// It has no time, or one that is not RFC 3339 within 1970..9999.
    NoTime,
    NotUtf8,
}

impl RecordError {
    fn json(e: serde_json::Error) -> Self {
        RecordError::Json(e.to_string())
    }

    fn message(&self, shape: Option<Shape>) -> String {
        match self {
            RecordError::NotAShape => match shape {
                Some(shape) => format!(
                    "not an audit event: neither a record of this file's shape ({}) nor of any \
                     other known shape",
                    shape.describe()
                ),
                None => "not an audit event of any known shape".to_string(),
            },
            RecordError::Json(e) => format!("not valid JSON: {e}"),
            RecordError::Missing(field) => format!("has no `{field}`"),
            RecordError::NoTime => {
                "the event has no time (`stageTimestamp`, `requestReceivedTimestamp` or \
                 `timestamp` in RFC 3339)"
                    .to_string()
            }
            RecordError::NotUtf8 => "not valid UTF-8".to_string(),
        }
    }
}

/// What is known of the record being read: where it is, for problems and evidence.
struct Location<'t> {
    input: &'t str,
    file: &'t str,
    line: u64,
    record: Option<u32>,
    /// The line or document record as read, for its sha256.
    text: &'t [u8],
    shape: Shape,
}

/// Where a shape puts what it reads: coverage and counts of the file, the events of
/// interest of the whole read.
struct Sink<'r> {
    collected: &'r mut Collected,
    file: &'r mut FileState,
    at: Location<'r>,
}

impl Sink<'_> {
    /// One event: its head always, its detail (built by `detail`) when it is a candidate.
    fn event<'a>(
        &mut self,
        head: Head<'a>,
        detail: impl FnOnce() -> Result<Detail<'a>, RecordError>,
    ) -> Result<(), RecordError> {
        let logged = head.logged.or(head.received).ok_or(RecordError::NoTime)?;
        self.file.times.add(logged);
        let is_final = head.stage.is_none_or(Stage::is_final);
        if is_final {
            self.file.events += 1;
        }
        if !classify::is_candidate(&head) {
            return Ok(());
        }
        let detail = detail()?;
        // Only a request's last word, and one that succeeded, says what a pod now runs.
        let remember = is_final && detail.code.is_none_or(|c| c < 400);
        let Some(found) = classify::classify(&head, &detail, &mut self.collected.specs, remember)
        else {
            return Ok(());
        };
        let owned = |c: &Option<std::borrow::Cow<'_, str>>| c.as_deref().map(str::to_string);
        let event = AuditEvent {
            action: found.action,
            time: to_datetime(head.received.unwrap_or(logged)),
            user: detail.user.as_deref().unwrap_or("").to_string(),
            groups: detail.groups.iter().map(|g| g.to_string()).collect(),
            impersonated_user: owned(&detail.impersonated_user),
            impersonated_groups: detail
                .impersonated_groups
                .iter()
                .map(|g| g.to_string())
                .collect(),
            source_ips: detail.source_ips.iter().map(|g| g.to_string()).collect(),
            user_agent: owned(&detail.user_agent),
            verb: head.verb.as_deref().unwrap_or("").to_string(),
            namespace: found.namespace,
            pod: found.pod,
            container: found.container,
            node: found.node,
            subresource: owned(&head.subresource).filter(|s| !s.is_empty()),
            code: detail.code,
            command: found.uri.command,
            level: found.level,
            stage: head.stage,
            audit_id: owned(&head.audit_id),
            path: Some(found.uri.path).filter(|p| !p.is_empty()),
            shape: self.at.shape,
            input: self.at.input.to_string(),
            file: self.at.file.to_string(),
            line: self.at.line,
            record: self.at.record,
            line_sha256: sha256_hex(self.at.text),
        };
        self.collected.add(event);
        Ok(())
    }

    /// A record of another stream, category or service: not an audit event, not a problem.
    fn skipped(&mut self) {
        self.file.skipped += 1;
    }

    /// Reads the `index`-th record of a line that holds several; its problem, if any, is
    /// recorded and the others are read.
    fn nested(&mut self, index: usize, read: impl FnOnce(&mut Self) -> Result<(), RecordError>) {
        let outer = self.at.record;
        self.at.record = Some(u32::try_from(index).unwrap_or(u32::MAX));
        if let Err(e) = read(self) {
            let location = format!("{}:{}#{index}", self.at.file, self.at.line);
            self.file.problem(location, e.message(Some(self.at.shape)));
        }
        self.at.record = outer;
    }
}

/// The events of interest of the whole read, each request once.
struct Collected {
    events: Vec<AuditEvent>,
    /// Index in `events` by audit ID.
    by_id: HashMap<String, usize>,
    /// Audit IDs of events not kept, so their other stages are not counted again.
    dropped_ids: HashSet<String>,
    counts: BTreeMap<&'static str, u64>,
    dropped: u64,
    max: usize,
    specs: PodSpecs,
}

/// How far a stage is along: a later stage replaces an earlier one of the same request.
fn stage_rank(stage: Option<Stage>) -> u8 {
    match stage {
        Some(Stage::RequestReceived) => 0,
        Some(Stage::ResponseStarted) => 1,
        Some(Stage::ResponseComplete | Stage::Panic) | None => 2,
    }
}

impl Collected {
    fn add(&mut self, event: AuditEvent) {
        if let Some(id) = &event.audit_id {
            if let Some(&i) = self.by_id.get(id) {
                let kept = &mut self.events[i];
                if stage_rank(event.stage) > stage_rank(kept.stage) {
                    *self.counts.entry(kept.action.name()).or_default() -= 1;
                    *self.counts.entry(event.action.name()).or_default() += 1;
                    *kept = event;
                }
                return;
            }
            if self.dropped_ids.contains(id) {
                return;
            }
        }
        *self.counts.entry(event.action.name()).or_default() += 1;
        if self.events.len() >= self.max {
            self.dropped += 1;
            if let Some(id) = event.audit_id {
                self.dropped_ids.insert(id);
            }
            return;
        }
        if let Some(id) = &event.audit_id {
            self.by_id.insert(id.clone(), self.events.len());
        }
        self.events.push(event);
    }
}

/// At most this many problems are listed for one file; the rest are counted in one more.
const MAX_PROBLEMS_PER_FILE: usize = 20;
/// A file none of whose first this many non-empty lines is of a known shape is not read
/// further.
const DETECT_LINES: usize = 10;

/// What is known of the file being read.
struct FileState {
    source: String,
    times: FileTimes,
    events: u64,
    skipped: u64,
    problem_lines: u64,
    problems: Vec<Problem>,
    unlisted: u64,
    first_unlisted: Option<String>,
}

impl FileState {
    fn problem(&mut self, location: String, message: String) {
        self.problem_lines += 1;
        if self.problems.len() < MAX_PROBLEMS_PER_FILE {
            self.problems.push(
                Problem::new(ProblemLevel::Error, &self.source, location, message)
                    .hint("this line was not assessed; the rest of the file was read"),
            );
        } else {
            self.unlisted += 1;
            self.first_unlisted.get_or_insert(location);
        }
    }
}

struct Reader<'o> {
    options: &'o ReadOptions,
    /// The shape every file is taken to be, instead of the one detected (fuzzing).
    assumed: Option<Shape>,
    collected: Collected,
    log: AuditLog,
}

impl<'o> Reader<'o> {
    fn new(options: &'o ReadOptions) -> Self {
        Self {
            options,
            assumed: None,
            collected: Collected {
                events: Vec::new(),
                by_id: HashMap::new(),
                dropped_ids: HashSet::new(),
                counts: BTreeMap::new(),
                dropped: 0,
                max: options.max_events,
                specs: PodSpecs::default(),
            },
            log: AuditLog {
                coverage: Coverage::new(options.gap_threshold),
                ..AuditLog::default()
            },
        }
    }

    fn read_file(
        &mut self,
        input: &str,
        display: &str,
        open: &mut dyn FnMut() -> Result<Opened, crate::base::input::InputError>,
    ) {
        let source = source_id(input);
        let opened = match open() {
            Ok(o) => o,
            Err(e) => {
                self.log.problems.push(
                    Problem::new(
                        ProblemLevel::Error,
                        &source,
                        display,
                        crate::collect::snapshot::input_problem_message(&e),
                    )
                    .hint("no event from this file was read"),
                );
                return;
            }
        };
        let mut state = FileState {
            source: source.clone(),
            times: FileTimes::new(self.options.gap_threshold),
            events: 0,
            skipped: 0,
            problem_lines: 0,
            problems: Vec::new(),
            unlisted: 0,
            first_unlisted: None,
        };
        let mut summary = FileSummary {
            input: input.to_string(),
            file: display.to_string(),
            shape: None,
            gzip: opened.gzip,
            document: false,
            sha256: None,
            bytes: 0,
            lines: 0,
            events: 0,
            skipped: 0,
            problem_lines: 0,
            coverage: FileCoverage::default(),
        };
        let mut ctx = FileCtx {
            input,
            display,
            state: &mut state,
            summary: &mut summary,
            collected: &mut self.collected,
            max_line: self.options.max_line_bytes,
            undetected: Vec::new(),
            assumed: self.assumed,
        };
        let mut opened = match ctx.read_lines(opened) {
            Next::Done(opened) => Some(opened),
            Next::Document => match open() {
                Ok(mut again) => {
                    ctx.summary.document = true;
                    ctx.read_document(&mut again);
                    Some(again)
                }
                Err(e) => {
                    ctx.state.problem(
                        display.to_string(),
                        crate::collect::snapshot::input_problem_message(&e),
                    );
                    None
                }
            },
            Next::Failed => None,
        };
        ctx.finish_detection();
        if let Some(opened) = opened.take() {
            match opened.finish() {
                Ok((sha256, bytes)) => {
                    summary.sha256 = Some(sha256);
                    summary.bytes = bytes;
                }
                Err(e) => {
                    state.problem(display.to_string(), format!("cannot read to the end: {e}"))
                }
            }
        }
        self.finish_file(state, summary);
    }

    fn finish_file(&mut self, state: FileState, mut summary: FileSummary) {
        let FileState {
            source,
            times,
            events,
            skipped,
            problem_lines,
            mut problems,
            unlisted,
            first_unlisted,
        } = state;
        if unlisted > 0 {
            problems.push(Problem::new(
                ProblemLevel::Error,
                &source,
                first_unlisted.unwrap_or_else(|| summary.file.clone()),
                format!("and {unlisted} more lines of this file that were not read, from here on"),
            ));
        }
        if skipped > 0 {
            problems.push(Problem::new(
                ProblemLevel::Note,
                &source,
                summary.file.clone(),
                format!(
                    "{skipped} records are not Kubernetes audit events (other log streams, \
                     categories or services) and were skipped"
                ),
            ));
        }
        if summary.shape.is_some() && events == 0 && times.is_empty() {
            problems.push(
                Problem::new(
                    ProblemLevel::Warning,
                    &source,
                    summary.file.clone(),
                    "holds no audit event",
                )
                .hint("check that the file is the audit log and not another component's"),
            );
        } else if summary.shape.is_none() && summary.lines == 0 && problem_lines == 0 {
            problems.push(Problem::new(
                ProblemLevel::Warning,
                &source,
                summary.file.clone(),
                "is empty: it holds no audit event",
            ));
        }
        let (coverage, days) = times.finish();
        self.log.coverage.add_file(&summary.file, &coverage, days);
        summary.coverage = coverage;
        summary.events = events;
        summary.skipped = skipped;
        summary.problem_lines = problem_lines;
        self.log.problems.extend(problems);
        self.log.files.push(summary);
    }

    fn finish(mut self) -> AuditLog {
        let mut events = std::mem::take(&mut self.collected.events);
        events.sort_by(|a, b| {
            (a.time, &a.file, a.line, a.record).cmp(&(b.time, &b.file, b.line, b.record))
        });
        self.log.events = events;
        self.log.counts = std::mem::take(&mut self.collected.counts);
        self.log.counts.retain(|_, n| *n > 0);
        self.log.dropped = self.collected.dropped;
        if self.log.dropped > 0 {
            self.log.problems.push(
                Problem::new(
                    ProblemLevel::Warning,
                    "audit-log",
                    "-",
                    format!(
                        "{} events that entered or changed a running container were counted but \
                         not kept: only the first {} are listed",
                        self.log.dropped, self.options.max_events
                    ),
                )
                .hint("give a shorter period or fewer logs to list them all"),
            );
        }
        self.log
    }
}

enum Next {
    Done(Opened),
    /// The file is one JSON document: read it again from the start as one.
    Document,
    /// Reading failed; the problem is recorded.
    Failed,
}

/// Reading one file.
struct FileCtx<'c> {
    input: &'c str,
    display: &'c str,
    state: &'c mut FileState,
    summary: &'c mut FileSummary,
    collected: &'c mut Collected,
    max_line: usize,
    /// Lines read before the file's shape was known, that were of none: line and why.
    undetected: Vec<(String, RecordError)>,
    /// The shape taken instead of the one detected (see [`read_bytes_as`]).
    assumed: Option<Shape>,
}

impl FileCtx<'_> {
    fn read_lines(&mut self, mut opened: Opened) -> Next {
        let mut buf = Vec::new();
        let mut line_no = 0u64;
        loop {
            let line = match lines::next_line(&mut *opened.reader, &mut buf, self.max_line) {
                Ok(Some(line)) => line,
                Ok(None) => return Next::Done(opened),
                Err(e) => {
                    self.state.problem(
                        format!("{}:{}", self.display, line_no + 1),
                        format!("cannot read on from here: {e}; the rest of the file was not read"),
                    );
                    return Next::Failed;
                }
            };
            line_no += 1;
            self.summary.lines = line_no;
            if let Line::TooLong { bytes } = line {
                self.state.problem(
                    format!("{}:{line_no}", self.display),
                    format!(
                        "the line is {bytes} bytes, over the {}-byte limit on a line; skipped",
                        self.max_line
                    ),
                );
                continue;
            }
            if buf.trim_ascii().is_empty() {
                continue;
            }
            if self.summary.shape.is_none()
                && self.undetected.is_empty()
                && lines::starts_document(&buf)
            {
                return Next::Document;
            }
            if !self.record(&buf, line_no, None) {
                return Next::Done(opened);
            }
        }
    }

    fn read_document(&mut self, opened: &mut Opened) {
        let max = self.max_line;
        let mut stop = false;
        let mut last_line = 0;
        let result = lines::stream_document(&mut *opened.reader, max, &mut |text, line, n| {
            last_line = line;
            if !stop {
                let n = u32::try_from(n).unwrap_or(u32::MAX);
                stop = !self.record(text.as_bytes(), line, Some(n));
            }
        });
        self.summary.lines = last_line;
        if let Err(e) = result {
            self.state
                .problem(format!("{}:{}", self.display, e.line), e.message);
        }
    }

    /// Reads one line or document record; false when the file is of no known shape and
    /// should not be read further.
    fn record(&mut self, bytes: &[u8], line: u64, record: Option<u32>) -> bool {
        // Built only for a problem: this runs for every line.
        let display = self.display;
        let location = || match record {
            Some(n) => format!("{display}:{line}#{n}"),
            None => format!("{display}:{line}"),
        };
        let Ok(text) = std::str::from_utf8(bytes) else {
            self.fail(location(), RecordError::NotUtf8);
            return self.undetected.len() < DETECT_LINES;
        };
        let text = text.trim();
        let shape = match self.summary.shape {
            Some(shape) => shape,
            None => match self.assumed.or_else(|| detect(text)) {
                Some(shape) => {
                    self.summary.shape = Some(shape);
                    self.finish_detection();
                    shape
                }
                None => {
                    self.fail(location(), undetected(text));
                    return self.undetected.len() < DETECT_LINES;
                }
            },
        };
        let result = match self.read_as(shape, text, bytes, line, record) {
            // A line of another shape in the file (logs of two clusters concatenated).
            Err(RecordError::NotAShape) => match detect(text).filter(|s| *s != shape) {
                Some(other) => self.read_as(other, text, bytes, line, record),
                None => Err(undetected(text)),
            },
            other => other,
        };
        if let Err(e) = result {
            self.fail(location(), e);
        }
        true
    }

    fn read_as(
        &mut self,
        shape: Shape,
        text: &str,
        bytes: &[u8],
        line: u64,
        record: Option<u32>,
    ) -> Result<(), RecordError> {
        let mut sink = Sink {
            collected: self.collected,
            file: self.state,
            at: Location {
                input: self.input,
                file: self.display,
                line,
                record,
                text: bytes,
                shape,
            },
        };
        match shape {
            Shape::KubeApiserver => kube::event(text, &mut sink),
            Shape::Eks => eks::record(text, &mut sink),
            Shape::Gke => gke::record(text, &mut sink),
            Shape::Aks => aks::record(text, &mut sink),
        }
    }

    fn fail(&mut self, location: String, e: RecordError) {
        if self.summary.shape.is_none() {
            self.undetected.push((location, e));
        } else {
            self.state.problem(location, e.message(self.summary.shape));
        }
    }

    /// Once the shape is known, the lines before it that were of none are problems; when it
    /// never is, the file is one problem.
    fn finish_detection(&mut self) {
        let undetected = std::mem::take(&mut self.undetected);
        if self.summary.shape.is_some() {
            for (location, e) in undetected {
                self.state.problem(location, e.message(self.summary.shape));
            }
        } else if let Some((first, e)) = undetected.first() {
            let why = match e {
                RecordError::NotAShape => String::new(),
                other => format!(
                    " (line {}: {})",
                    first.rsplit(':').next().unwrap_or(""),
                    other.message(None)
                ),
            };
            self.state.problem_lines += undetected.len() as u64;
            self.state.problems.push(
                Problem::new(
                    ProblemLevel::Error,
                    &self.state.source,
                    self.display,
                    format!(
                        "not an audit log of a known shape: its first lines are none of a \
                         kube-apiserver audit log, an EKS CloudWatch export, GKE Cloud Audit \
                         Logs or AKS diagnostic logs{why}; not read"
                    ),
                )
                .hint("see \"API audit logs\" in the README for the shapes read"),
            );
        }
    }
}

/// Why a record of no known shape is none: JSON that does not parse says so.
fn undetected(text: &str) -> RecordError {
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Err(e) => RecordError::json(e),
        Ok(_) => RecordError::NotAShape,
    }
}

/// Tells a record's shape from its first fields.
fn detect(text: &str) -> Option<Shape> {
    #[derive(serde::Deserialize)]
    struct Probe<'a> {
        #[serde(borrow, default)]
        kind: Option<std::borrow::Cow<'a, str>>,
        #[serde(rename = "auditID", default)]
        audit_id: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        message: Option<serde::de::IgnoredAny>,
        #[serde(rename = "logEvents", default)]
        log_events: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        events: Option<serde::de::IgnoredAny>,
        #[serde(rename = "protoPayload", default)]
        proto_payload: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        entries: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        properties: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        records: Option<serde::de::IgnoredAny>,
    }
    if eks::export_line(text).is_some() {
        return Some(Shape::Eks);
    }
    let probe: Probe<'_> = serde_json::from_str(text).ok()?;
    if probe.audit_id.is_some() || probe.kind.as_deref() == Some("Event") {
        Some(Shape::KubeApiserver)
    } else if probe.proto_payload.is_some() || probe.entries.is_some() {
        Some(Shape::Gke)
    } else if probe.properties.is_some() || probe.records.is_some() {
        Some(Shape::Aks)
    } else if probe.message.is_some() || probe.log_events.is_some() || probe.events.is_some() {
        Some(Shape::Eks)
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
