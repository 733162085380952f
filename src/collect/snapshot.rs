//! The snapshot collector: Kubernetes objects from files, as kubectl writes them.
//!
//! Takes files or directories holding `kubectl get -o yaml|json` output (a `List`, a single
//! object, or a multi-document YAML stream) or plain manifest trees, and gives an
//! [`Inventory`]. Every object is redacted (see [`super::redact`]) and hashed before it is
//! kept; Secrets are dropped on read. Unreadable input becomes a [`Problem`] naming the file
//! and line, and the rest is still read. Files and documents are read on both cores.
//! Every object takes the one path of [`super::ingest`], as those read from the live API do.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;
use serde_json::value::RawValue;

use super::filesystem::{Disk, EntryKind, FileSystem};
use super::ingest::{self, Built};
use super::kustomize;
use super::redact::MARKER;
use crate::base::input::{self, InputError};
use crate::base::yaml;
use crate::base::yaml::checked::{self, Checked};
use crate::evidence::inventory::{Inventory, RedactionStats, ServerVersion};
use crate::evidence::inventory::{Problem, ProblemLevel};
use crate::evidence::object::{Object, Origin};
use crate::evidence::record::{
    EvidenceKind, EvidenceRecord, Source, SourceKind, evidence_id, sha256_hex,
};

/// Limits and switches of the snapshot collector.
#[derive(Clone, Debug)]
pub struct SnapshotOptions {
    /// Files larger than this are skipped with a problem.
    pub max_file_bytes: u64,
}

impl Default for SnapshotOptions {
    fn default() -> Self {
        Self {
            max_file_bytes: 1 << 30,
        }
    }
}

/// Reads one `--snapshot` argument: a file or a directory.
pub fn load(path: &Path, options: &SnapshotOptions) -> Inventory {
    load_from(path, options, &Disk)
}

/// Reads a file or a directory of `files` (the disk, or a tree held in memory): the loader
/// of [`load`], whatever holds the files. A snapshot directory's `manifest.json` is applied
/// only on disk.
pub(super) fn load_from(
    path: &Path,
    options: &SnapshotOptions,
    files: &dyn FileSystem,
) -> Inventory {
    let location = path.display().to_string();
    let source_id = format!("snapshot:{location}");
    let mut inventory = Inventory::default();
    let mut source = Source {
        id: source_id.clone(),
        kind: SourceKind::Snapshot,
        location: location.clone(),
        identity: "snapshot".into(),
        details: BTreeMap::new(),
    };

    let discovered = discover(path, &source_id, options.max_file_bytes, files);
    inventory.problems.extend(discovered.problems);
    if let Some((mut version, sha256)) = read_version_file(
        path,
        &source_id,
        options.max_file_bytes,
        &mut inventory.problems,
        files,
    ) {
        // The version is evidence like any object: the finding judged on it cites this.
        let locator = path.join("version.json").display().to_string();
        let id = evidence_id(&source_id, &locator);
        inventory.records.push(EvidenceRecord {
            managers: None,
            id: id.clone(),
            source: source_id.clone(),
            kind: EvidenceKind::File,
            locator,
            sha256,
            collected_at: None,
            time: None,
            describes: format!("API server version {}", version.git_version),
        });
        version.evidence = Some(id);
        source
            .details
            .insert("server_version".into(), version.git_version.clone());
        inventory.server_version = Some(version);
    }

    let per_file: Vec<FileResult> = discovered
        .files
        .par_iter()
        .map(|file| read_file(file, &source_id, options, files))
        .collect();
    for result in per_file {
        absorb(&mut inventory, result);
    }
    source
        .details
        .insert("files".into(), discovered.files.len().to_string());
    source
        .details
        .insert("objects".into(), inventory.objects.len().to_string());
    let explained = inventory.redaction.secrets_dropped > 0 || !inventory.problems.is_empty();
    if inventory.objects.is_empty() && !explained && !discovered.files.is_empty() {
        // Files that hold no Kubernetes object are ignored one by one; an input where
        // nothing was one is worth saying, or every check ends up not_assessed unexplained.
        inventory.problems.push(
            Problem::new(
                ProblemLevel::Warning,
                &source_id,
                location,
                "found no Kubernetes object (a document with apiVersion and kind) in this \
                 input; nothing from it is assessed",
            )
            .hint("pass `kubectl get -o yaml|json` output or manifests; an empty List holds none"),
        );
    }
    inventory.sources.push(source);
    if files.is_disk() {
        super::snapshot_manifest::apply(path, &source_id, options.max_file_bytes, &mut inventory);
    }
    inventory
}

/// A file to read, with the path it is shown under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct InputFile {
    pub(super) path: PathBuf,
    pub(super) display: String,
    /// How kustomizations render its objects; empty for a file read as it is.
    pub(super) renderings: Vec<kustomize::Rendering>,
}

impl InputFile {
    fn plain(path: PathBuf, display: String) -> Self {
        Self {
            path,
            display,
            renderings: Vec::new(),
        }
    }
}

#[derive(Debug, Default)]
struct Discovered {
    files: Vec<InputFile>,
    kustomizations: Vec<InputFile>,
    problems: Vec<Problem>,
}

/// Finds the files to read under a path, in sorted order. Hidden entries are skipped, and so
/// are Helm chart templates (not YAML until rendered), with a note, and chart values files.
/// Kustomizations decide how the files they reach are read (see [`kustomize`]).
fn discover(
    root: &Path,
    source_id: &str,
    max_file_bytes: u64,
    files: &dyn FileSystem,
) -> Discovered {
    let mut out = Discovered::default();
    if let Some(chart) = helm_template_root(root, files) {
        out.problems
            .push(helm_templates_skipped(source_id, root, &chart));
        return out;
    }
    match files.kind(root) {
        Ok(EntryKind::File) => {
            let file = InputFile::plain(root.to_path_buf(), root.display().to_string());
            if kustomize::is_kustomization_file(root) {
                out.kustomizations.push(file);
            } else {
                out.files.push(file);
            }
        }
        Ok(EntryKind::Dir) => {
            let mut visited = HashSet::new();
            walk(root, source_id, &mut visited, &mut out, files);
            if out.files.is_empty() && out.kustomizations.is_empty() {
                out.problems.push(nothing_to_read(source_id, root));
            }
        }
        Ok(_) => out.problems.push(
            Problem::new(
                ProblemLevel::Error,
                source_id,
                root.display().to_string(),
                "not a file or a directory",
            )
            .hint("pass kubectl output files or directories of manifests"),
        ),
        Err(e) => out.problems.push(unreadable(source_id, root, &e, files)),
    }
    if !out.kustomizations.is_empty() {
        let problems = kustomize::plan(
            &mut out.files,
            &out.kustomizations,
            source_id,
            max_file_bytes,
            files,
        );
        out.problems.extend(problems);
    }
    out
}

/// A directory with nothing to read: often a bind mount of a missing file (`-v
/// ./pods.yaml:...` creates an empty directory named `pods.yaml`), or the wrong path.
fn nothing_to_read(source_id: &str, dir: &Path) -> Problem {
    let message = if has_kubernetes_extension(dir) {
        "is a directory, not a file, and holds no YAML or JSON files"
    } else {
        "holds no YAML or JSON files"
    };
    Problem::new(
        ProblemLevel::Warning,
        source_id,
        dir.display().to_string(),
        message,
    )
    .hint("pass kubectl output files or directories of manifests")
}

/// When `path` is a Helm chart's `templates/` or `charts/` directory, or inside one: the
/// chart directory.
fn helm_template_root(path: &Path, files: &dyn FileSystem) -> Option<PathBuf> {
    let mut current = path;
    while let Some(parent) = current.parent() {
        let name = current.file_name().and_then(|n| n.to_str());
        let parent_dir = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if matches!(name, Some("templates" | "charts"))
            && files.is_file(&parent_dir.join("Chart.yaml"))
        {
            return Some(parent_dir.to_path_buf());
        }
        current = parent;
    }
    None
}

fn helm_templates_skipped(source_id: &str, path: &Path, chart: &Path) -> Problem {
    Problem::new(
        ProblemLevel::Note,
        source_id,
        path.display().to_string(),
        format!(
            "skipped Helm chart templates (chart {}): they are not YAML until rendered",
            chart.display()
        ),
    )
    .hint("render the chart (`helm template`) and pass the output to --snapshot")
}

/// Files of a chart directory that are not objects: its metadata and values files.
fn is_chart_metadata(name: &str) -> bool {
    matches!(name, "Chart.yaml" | "Chart.lock" | "values.schema.json")
        || (name.starts_with("values") && (name.ends_with(".yaml") || name.ends_with(".yml")))
}

fn walk(
    dir: &Path,
    source_id: &str,
    visited: &mut HashSet<PathBuf>,
    out: &mut Discovered,
    files: &dyn FileSystem,
) {
    // A symlink loop would otherwise walk forever.
    if let Ok(canonical) = files.canonicalize(dir)
        && !visited.insert(canonical)
    {
        return;
    }
    let mut paths = match files.read_dir(dir) {
        Ok(paths) => paths,
        Err(e) => {
            out.problems.push(unreadable(source_id, dir, &e, files));
            return;
        }
    };
    paths.sort();
    let is_chart = files.is_file(&dir.join("Chart.yaml"));
    for path in paths {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let kind = match files.kind(&path) {
            Ok(kind) => kind,
            Err(e) => {
                if has_kubernetes_extension(&path) || files.is_symlink(&path) {
                    out.problems.push(unreadable(source_id, &path, &e, files));
                }
                continue;
            }
        };
        if kind == EntryKind::Dir {
            if is_chart && (name == "templates" || name == "charts") {
                out.problems
                    .push(helm_templates_skipped(source_id, &path, dir));
                continue;
            }
            let before = out.files.len() + out.kustomizations.len();
            walk(&path, source_id, visited, out, files);
            if has_kubernetes_extension(&path)
                && out.files.len() + out.kustomizations.len() == before
            {
                out.problems.push(nothing_to_read(source_id, &path));
            }
        } else if kustomize::is_kustomization_file(&path) {
            out.kustomizations
                .push(InputFile::plain(path.clone(), path.display().to_string()));
        } else if is_chart && is_chart_metadata(&name) {
            tracing::debug!(path = %path.display(), "Helm chart metadata or values; not objects");
        } else if has_kubernetes_extension(&path) && !is_snapshot_metadata(&path) {
            out.files
                .push(InputFile::plain(path.clone(), path.display().to_string()));
        }
    }
}

fn has_kubernetes_extension(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// `version.json` and `manifest.json` describe the snapshot; they are not objects.
fn is_snapshot_metadata(path: &Path) -> bool {
    matches!(
        path.file_name().and_then(|n| n.to_str()),
        Some("version.json" | "manifest.json")
    )
}

fn unreadable(source_id: &str, path: &Path, e: &std::io::Error, files: &dyn FileSystem) -> Problem {
    let dangling = files.is_symlink(path)
        && files
            .kind(path)
            .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
    let message = if dangling {
        "cannot read: dangling symbolic link".to_string()
    } else {
        format!("cannot read: {e}")
    };
    unreadable_with(source_id, path, message)
}

/// The problem of a file [`crate::base::input`] refused or could not read.
pub(crate) fn input_problem_message(e: &InputError) -> String {
    match e {
        InputError::Io(_) | InputError::NotRegular { .. } => format!("cannot read: {e}"),
        _ => e.to_string(),
    }
}

fn unreadable_with(source_id: &str, path: &Path, message: String) -> Problem {
    Problem::new(
        ProblemLevel::Error,
        source_id,
        path.display().to_string(),
        message,
    )
    .hint("check the path and its permissions; its objects were not assessed")
}

/// `kubectl version -o json` output beside the objects gives the server version.
fn read_version_file(
    root: &Path,
    source_id: &str,
    max_file_bytes: u64,
    problems: &mut Vec<Problem>,
    files: &dyn FileSystem,
) -> Option<(ServerVersion, String)> {
    let path = if files.is_dir(root) {
        root.join("version.json")
    } else {
        return None;
    };
    let text = match files.read_to_string(&path, max_file_bytes) {
        Ok(text) => text,
        Err(e) if e.is_not_found() => return None,
        Err(e) => {
            problems.push(unreadable_with(source_id, &path, input_problem_message(&e)));
            return None;
        }
    };
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct VersionFile {
        server_version: Option<ServerVersion>,
    }
    match serde_json::from_str::<VersionFile>(&text) {
        Ok(VersionFile {
            server_version: Some(v),
        }) => Some((v, sha256_hex(text.as_bytes()))),
        Ok(_) => {
            problems.push(
                Problem::new(
                    ProblemLevel::Warning,
                    source_id,
                    path.display().to_string(),
                    "version.json has no serverVersion",
                )
                .hint("write it with `kubectl version -o json` against the cluster"),
            );
            None
        }
        Err(e) => {
            problems.push(Problem::new(
                ProblemLevel::Error,
                source_id,
                format!("{}:{}", path.display(), e.line()),
                format!("version.json is not valid: {e}"),
            ));
            None
        }
    }
}

#[derive(Debug, Default)]
struct FileResult {
    objects: Vec<(Object, EvidenceRecord)>,
    problems: Vec<Problem>,
    redaction: RedactionStats,
}

/// A parsed document or list item, before it becomes an object.
struct RawDoc {
    value: Value,
    /// `path#doc` or `path#doc/items/N`.
    locator: String,
    line: Option<u32>,
    /// For a YAML List: the line of each item, when they could be told.
    item_lines: Option<Vec<u32>>,
}

fn read_file(
    file: &InputFile,
    source_id: &str,
    options: &SnapshotOptions,
    files: &dyn FileSystem,
) -> FileResult {
    file_result(
        files.read_text(&file.path, options.max_file_bytes),
        file,
        source_id,
    )
}

/// What a file's text (or the failure to read it as text) gives.
fn file_result(text: Result<Text, TextError>, file: &InputFile, source_id: &str) -> FileResult {
    match text {
        Ok(Text { text, bad_utf8 }) => {
            let mut result = parse_text(&text, file, source_id);
            if let Some(bad) = bad_utf8 {
                result.problems.push(bad.problem(source_id, &file.display));
            }
            if !file.renderings.is_empty() {
                let objects = std::mem::take(&mut result.objects);
                result.objects = kustomize::render(objects, &file.renderings, source_id);
            }
            result
        }
        Err(e) => {
            let location = match e.line() {
                Some(l) => format!("{}:{l}", file.display),
                None => file.display.clone(),
            };
            let problem = Problem::new(ProblemLevel::Error, source_id, location, e.message())
                .hint("its objects were not assessed; fix or remove the file");
            FileResult {
                problems: vec![problem],
                ..FileResult::default()
            }
        }
    }
}

/// Reads objects from text that is already in memory, as if from a file named `display`:
/// for tests, and for input that does not come from a file.
pub fn from_text(display: &str, text: &str) -> Inventory {
    let source_id = format!("snapshot:{display}");
    let file = InputFile::plain(PathBuf::from(display), display.to_string());
    let result = parse_text(text, &file, &source_id);
    inventory_of(display, source_id, result)
}

/// For the fuzz targets ([`crate::fuzzing`]): reads a file's bytes held in memory as the
/// file `display`, its objects rendered as `renderings` say (see [`kustomize::render`]).
pub(crate) fn from_bytes(
    display: &str,
    bytes: Vec<u8>,
    renderings: Vec<kustomize::Rendering>,
) -> Inventory {
    let source_id = format!("snapshot:{display}");
    let file = InputFile {
        path: PathBuf::from(display),
        display: display.to_string(),
        renderings,
    };
    let result = file_result(decode_text(bytes), &file, &source_id);
    inventory_of(display, source_id, result)
}

fn inventory_of(display: &str, source_id: String, result: FileResult) -> Inventory {
    let mut inventory = Inventory::default();
    absorb(&mut inventory, result);
    inventory.sources.push(Source {
        id: source_id,
        kind: SourceKind::Snapshot,
        location: display.to_string(),
        identity: "snapshot".into(),
        details: BTreeMap::new(),
    });
    inventory
}

fn absorb(inventory: &mut Inventory, result: FileResult) {
    inventory.problems.extend(result.problems);
    inventory.redaction.merge(result.redaction);
    for (object, record) in result.objects {
        inventory.coverage.record_object(&object.kind);
        inventory.objects.push(object);
        inventory.records.push(record);
    }
}

fn parse_text(text: &str, file: &InputFile, source_id: &str) -> FileResult {
    let mut result = FileResult::default();
    // Documents and list items are parsed and built on the same worker, so a big List is
    // never held as parsed values all at once: each item is redacted, hashed and trimmed
    // (managedFields) right after it is parsed.
    let built = if looks_like_json(text) {
        match parse_json_file(text, &file.display)
            .and_then(|items| build_json_items(&items, &file.display, source_id))
        {
            Ok(built) => built,
            Err(e) if file.path.extension().is_some_and(|x| x == "json") => {
                result.problems.push(
                    Problem::new(
                        ProblemLevel::Error,
                        source_id,
                        format!("{}:{}", file.display, e.line()),
                        format!("invalid JSON: {e}"),
                    )
                    .hint("its objects were not assessed; re-export it with kubectl -o json"),
                );
                return result;
            }
            // JSON-looking YAML (`{a: 1}`): read it as YAML below.
            Err(_) => parse_yaml_stream(text, file, source_id, &mut result.problems),
        }
    } else {
        parse_yaml_stream(text, file, source_id, &mut result.problems)
    };

    for b in built {
        match b {
            Built::Object(obj, rec, stats) => {
                result.redaction.merge(stats);
                result.objects.push((*obj, rec));
            }
            Built::Secret => result.redaction.secrets_dropped += 1,
            Built::Skipped => {}
            Built::Problem(p) => result.problems.push(p),
        }
    }
    result
}

/// Why a file could not be read as text.
#[derive(Debug, thiserror::Error)]
pub(super) enum TextError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("binary data (a NUL byte at offset {offset}), not YAML or JSON")]
    Binary { offset: usize },
}

impl TextError {
    /// The message of the problem that records it.
    pub(super) fn message(&self) -> String {
        match self {
            TextError::Input(e) => input_problem_message(e),
            other => other.to_string(),
        }
    }

    fn line(&self) -> Option<u32> {
        match self {
            TextError::Input(e) => e.line(),
            TextError::Binary { .. } => None,
        }
    }
}

/// A file's text, and where it was not valid UTF-8.
#[derive(Debug)]
pub(super) struct Text {
    pub(super) text: String,
    pub(super) bad_utf8: Option<BadUtf8>,
}

/// Bytes that are not UTF-8 in a file read as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BadUtf8 {
    /// Line of the first bad sequence.
    pub(super) line: u32,
    /// Bad sequences, each read as U+FFFD.
    pub(super) count: usize,
}

impl BadUtf8 {
    /// The problem that records it: the file was read anyway, as kubectl reads it.
    pub(super) fn problem(&self, source_id: &str, display: &str) -> Problem {
        Problem::new(
            ProblemLevel::Warning,
            source_id,
            format!("{display}:{}", self.line),
            format!(
                "not valid UTF-8: {} byte sequence(s) that are not UTF-8, the first on this \
                 line; read with each replaced by U+FFFD, as kubectl reads the file",
                self.count
            ),
        )
        .hint(
            "save it as UTF-8 (`iconv -f latin1 -t utf-8`); names and values holding those \
             bytes may not be what the cluster holds",
        )
    }
}

/// Reads a file as text: UTF-8 (a BOM is dropped) or UTF-16 with a BOM, which PowerShell's
/// `>` writes. Bytes that are not UTF-8 are read as U+FFFD, as kubectl's reader does (its
/// UTF-8 decoder replaces them), and noted with the line of the first. Only a regular file
/// of at most `limit` bytes is read (see [`crate::base::input`]).
///
/// Junk is told from text before the whole file is read: a NUL byte in the first 8 KiB
/// (outside UTF-16) stops the read, so a large binary file costs one small read.
pub(super) fn read_text(path: &Path, limit: u64) -> Result<Text, TextError> {
    const SNIFF: u64 = 8 << 10;
    let mut f = input::open(path)?;
    if f.size > limit {
        return Err(InputError::TooLarge {
            size: f.size,
            limit,
        }
        .into());
    }
    let mut bytes = Vec::with_capacity(f.size as usize);
    f.read_some(&mut bytes, SNIFF.min(limit.saturating_add(1)))?;
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    if !utf16 && let Some(offset) = memchr_nul(&bytes) {
        return Err(TextError::Binary { offset });
    }
    f.read_rest(&mut bytes, limit)?;
    decode_text(bytes)
}

/// A file's bytes as text, by the rules of [`read_text`].
pub(super) fn decode_text(mut bytes: Vec<u8>) -> Result<Text, TextError> {
    if let Some(text) = input::decode_utf16(&bytes) {
        return Ok(Text {
            text,
            bad_utf8: None,
        });
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    if let Some(offset) = memchr_nul(&bytes) {
        return Err(TextError::Binary { offset });
    }
    Ok(match String::from_utf8(bytes) {
        Ok(text) => Text {
            text,
            bad_utf8: None,
        },
        Err(e) => {
            let (text, bad_utf8) = decode_lossy(e.as_bytes());
            Text {
                text,
                bad_utf8: Some(bad_utf8),
            }
        }
    })
}

/// UTF-8 with every bad sequence read as U+FFFD; where the first was and how many.
fn decode_lossy(bytes: &[u8]) -> (String, BadUtf8) {
    let mut text = String::with_capacity(bytes.len() + 16);
    let mut count = 0;
    let mut first = None;
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            first.get_or_insert(text.len());
            count += 1;
            text.push(char::REPLACEMENT_CHARACTER);
        }
    }
    let line = input::line_of_bad_byte(text.as_bytes(), first.unwrap_or(0));
    (text, BadUtf8 { line, count })
}

fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(0, bytes)
}

fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['))
}

/// A JSON document or list item cut out of its file but not parsed yet.
struct JsonItem<'a> {
    text: &'a str,
    locator: String,
    line: u32,
}

/// The items of a JSON file, and the kind and apiVersion to fill into each (items of typed
/// lists such as `PodList` omit them).
struct JsonItems<'a> {
    items: Vec<JsonItem<'a>>,
    fill: Option<(String, String)>,
    /// The items are a List's (or an array's), not one document.
    listed: bool,
}

/// A JSON file: one object, a List, or an array of objects. List items are cut out as raw
/// text first (cheap), each with the line it starts on, and parsed later in parallel; typed
/// lists from the API (`PodList`) omit each item's kind and apiVersion, which are filled in.
fn parse_json_file<'a>(text: &'a str, display: &str) -> Result<JsonItems<'a>, serde_json::Error> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Envelope<'a> {
        // Any JSON is an object to read, whatever these hold: what is not a string (or an
        // array, for items) is no List.
        kind: Option<Value>,
        api_version: Option<Value>,
        #[serde(borrow)]
        items: Option<&'a RawValue>,
    }
    if text.trim_start().starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(text)?;
        return Ok(JsonItems {
            items: raw_items(text, &items, |i| format!("{display}#0/{i}")),
            fill: None,
            listed: true,
        });
    }
    let envelope: Envelope<'_> = serde_json::from_str(text)?;
    let kind = envelope.kind.as_ref().and_then(Value::as_str);
    let is_list = kind.is_some_and(|k| k.ends_with("List"));
    // `items` that is not an array makes no List: the object is read as one, as in YAML.
    let items = match envelope.items {
        Some(raw) if is_list && raw.get().starts_with('[') => {
            Some(serde_json::from_str::<Vec<&RawValue>>(raw.get())?)
        }
        _ => None,
    };
    match items {
        Some(items) => {
            let api_version = envelope.api_version.as_ref().and_then(Value::as_str);
            let fill = kind
                .unwrap_or("List")
                .strip_suffix("List")
                .filter(|k| !k.is_empty())
                .map(|k| (k.to_string(), api_version.unwrap_or("v1").to_string()));
            Ok(JsonItems {
                items: raw_items(text, &items, |i| format!("{display}#0/items/{i}")),
                fill,
                listed: true,
            })
        }
        _ => Ok(JsonItems {
            items: vec![JsonItem {
                text,
                locator: format!("{display}#0"),
                line: 1 + leading_lines(text),
            }],
            fill: None,
            listed: false,
        }),
    }
}

fn raw_items<'a>(
    text: &str,
    items: &[&'a RawValue],
    locator: impl Fn(usize) -> String,
) -> Vec<JsonItem<'a>> {
    let base = text.as_ptr() as usize;
    let lines = LineIndex::new(text);
    items
        .iter()
        .enumerate()
        .map(|(i, raw)| JsonItem {
            text: raw.get(),
            locator: locator(i),
            line: lines.line_of(raw.get().as_ptr() as usize - base),
        })
        .collect()
}

/// Parses and builds the items of a JSON file on both cores. One item that does not parse
/// fails the whole file, as the file is then not the JSON it claims to be.
fn build_json_items(
    items: &JsonItems<'_>,
    display: &str,
    source_id: &str,
) -> Result<Vec<Built>, serde_json::Error> {
    let fill = items
        .fill
        .as_ref()
        .map(|(kind, api_version)| (kind.as_str(), api_version.as_str()));
    let built: Vec<Vec<Built>> = items
        .items
        .par_iter()
        .map(|item| {
            let Checked {
                mut value,
                duplicates,
            } = checked::from_json(item.text)?;
            if let (Some((kind, api_version)), Some(obj)) = (fill, value.as_object_mut()) {
                ingest::fill_type(obj, kind, api_version);
            }
            let doc = RawDoc {
                value,
                locator: item.locator.clone(),
                line: Some(item.line),
                item_lines: None,
            };
            let mut built = match items.listed {
                true => expand_item(doc, display, source_id),
                false => expand_list(doc, display, source_id),
            };
            if !duplicates.is_empty() {
                // JSON is YAML: its reader finds the line of the first repeat.
                let as_yaml = yaml::DocumentText {
                    index: 0,
                    start_line: item.line,
                    content_line: item.line,
                    text: item.text,
                };
                let line = yaml::first_duplicate_line(&as_yaml).unwrap_or(item.line);
                built.push(duplicate_keys(source_id, display, line, &duplicates));
            }
            Ok(built)
        })
        .collect::<Result<_, serde_json::Error>>()?;
    Ok(built.into_iter().flatten().collect())
}

fn leading_lines(text: &str) -> u32 {
    let skipped = text.len() - text.trim_start().len();
    text[..skipped].bytes().filter(|&b| b == b'\n').count() as u32
}

/// Byte offset to 1-based line number.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Self { starts }
    }

    fn line_of(&self, offset: usize) -> u32 {
        match self.starts.binary_search(&offset) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }
}

fn parse_yaml_stream(
    text: &str,
    file: &InputFile,
    source_id: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Built> {
    let docs = yaml::split_documents(text);
    let parsed: Vec<Result<Vec<Built>, (bool, u32, String)>> = docs
        .par_iter()
        .map(|doc| {
            if let Some(built) = split_yaml_list(doc, file, source_id) {
                return Ok(built);
            }
            parse_yaml_document(doc, file, source_id)
        })
        .collect();
    finish_yaml_stream(parsed, &docs, file, source_id, problems)
}

fn parse_yaml_document(
    doc: &yaml::DocumentText<'_>,
    file: &InputFile,
    source_id: &str,
) -> Result<Vec<Built>, (bool, u32, String)> {
    match yaml::parse_document_checked(doc) {
        Ok(Checked { value, duplicates }) => {
            let item_lines = yaml_item_lines(&value, doc);
            let raw = RawDoc {
                value,
                locator: format!("{}#{}", file.display, doc.index),
                line: Some(doc.content_line),
                item_lines,
            };
            let mut built = expand_list(raw, &file.display, source_id);
            if !duplicates.is_empty() {
                let line = yaml::first_duplicate_line(doc).unwrap_or(doc.content_line);
                built.push(duplicate_keys(source_id, &file.display, line, &duplicates));
            }
            Ok(built)
        }
        Err(e) if doc.text.contains("{{") => Err((true, e.line, e.message)),
        Err(e) => Err((false, e.line, e.message)),
    }
}

/// `kubectl get -o yaml` writes a List as one document, `items:` at column 0 and each item a
/// `- ` line at column 0 with its lines indented by two. Read whole, such a document keeps
/// one core busy and holds every item as a value at once; here its items are cut apart at
/// those lines, dedented and parsed and built on both cores, like the documents of a
/// stream. Anything the cut cannot vouch for (a comment or directive where it would cut, an
/// item that does not parse on its own, such as one using an anchor of another) gives None,
/// and the document is read whole, with its errors reported as before.
fn split_yaml_list(
    doc: &yaml::DocumentText<'_>,
    file: &InputFile,
    source_id: &str,
) -> Option<Vec<Built>> {
    let text = doc.text;
    // Byte ranges of the `items:` line, and of each item's lines with its first line.
    let mut items_line: Option<(usize, usize)> = None;
    let mut items: Vec<(usize, usize, u32)> = Vec::new();
    let mut end_of_items = None;
    let mut offset = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let bare = line.trim_end_matches(['\n', '\r']);
        match (items_line, end_of_items) {
            (None, _) => {
                if bare.starts_with('%') || bare.starts_with("items:") && bare != "items:" {
                    return None;
                }
                if bare == "items:" {
                    items_line = Some((start, offset));
                }
            }
            (Some(_), None) => {
                if let Some(rest) = bare.strip_prefix("- ") {
                    if rest.trim().is_empty() {
                        return None;
                    }
                    items.push((start, offset, doc.start_line + n as u32));
                } else if bare.is_empty() || bare.starts_with("  ") {
                    items.last_mut()?.1 = offset;
                } else if bare.starts_with([' ', '-', '#', '\t']) {
                    return None;
                } else {
                    end_of_items = Some(start);
                }
            }
            (Some(_), Some(_)) => {
                if bare.starts_with("items:") || bare.starts_with(['-', '%']) {
                    return None;
                }
            }
        }
    }
    let (items_start, _) = items_line?;
    if items.len() < 2 {
        return None;
    }
    let trailer = &text[end_of_items.unwrap_or(text.len())..];
    let envelope_text = format!("{}items: []\n{trailer}", &text[..items_start]);
    let envelope = yaml::parse_document_checked(&yaml::DocumentText {
        text: &envelope_text,
        ..doc.clone()
    })
    .ok()
    // Duplicates are reported by the whole read, with their line.
    .filter(|c| c.duplicates.is_empty())?
    .value;
    let kind = envelope.get("kind").and_then(Value::as_str)?;
    if !kind.ends_with("List") || envelope.get("items").is_none_or(|i| !i.is_array()) {
        return None;
    }
    let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
    let api_version = envelope
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("v1");
    let item_lines = item_start_lines(items.len(), doc);
    tracing::debug!(
        file = %file.display,
        items = items.len(),
        "reading a YAML List item by item"
    );
    let built = items
        .par_iter()
        .enumerate()
        .map(|(i, &(start, end, line))| {
            let dedented: String = text[start..end]
                .split_inclusive('\n')
                .map(|l| match l.starts_with("  ") || l.starts_with("- ") {
                    true => &l[2..],
                    // A blank line, kept as it is: it may belong to a block scalar.
                    false => l,
                })
                .collect();
            let item = yaml::DocumentText {
                index: doc.index,
                start_line: line,
                content_line: line,
                text: &dedented,
            };
            let Checked {
                mut value,
                duplicates,
            } = yaml::parse_document_checked(&item).ok()?;
            if let (Some(k), Some(obj)) = (item_kind, value.as_object_mut()) {
                ingest::fill_type(obj, k, api_version);
            }
            let raw = RawDoc {
                value,
                locator: format!("{}#{}/items/{i}", file.display, doc.index),
                line: match &item_lines {
                    Some(lines) => lines.get(i).copied(),
                    None => Some(doc.content_line),
                },
                item_lines: None,
            };
            let mut built = expand_item(raw, &file.display, source_id);
            if !duplicates.is_empty() {
                let line = yaml::first_duplicate_line(&item).unwrap_or(line);
                built.push(duplicate_keys(source_id, &file.display, line, &duplicates));
            }
            Some(built)
        })
        .collect::<Option<Vec<Vec<Built>>>>();
    built.map(|b| b.into_iter().flatten().collect())
}

/// The problem of a document or list item with a key given twice in one mapping.
fn duplicate_keys(source_id: &str, display: &str, line: u32, keys: &[String]) -> Built {
    let mut shown: Vec<&str> = keys.iter().map(String::as_str).collect();
    shown.dedup();
    let listed = shown
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Built::Problem(
        Problem::new(
            ProblemLevel::Warning,
            source_id,
            format!("{display}:{line}"),
            format!(
                "duplicate key {listed} (the first repeat on this line): the last value is \
                 read, as the API server reads it; `kubectl apply` refuses the file"
            ),
        )
        .hint("remove the repeated key: a reader of the file may take the other value"),
    )
}

fn finish_yaml_stream(
    parsed: Vec<Result<Vec<Built>, (bool, u32, String)>>,
    docs: &[yaml::DocumentText<'_>],
    file: &InputFile,
    source_id: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Built> {
    let mut built = Vec::new();
    let mut templates = Vec::new();
    for (r, doc) in parsed.into_iter().zip(docs) {
        match r {
            Ok(b) => built.push(b),
            Err((true, line, _)) => templates.push(line),
            Err((false, line, message)) => problems.push(
                Problem::new(
                    ProblemLevel::Error,
                    source_id,
                    format!("{}:{line}", file.display),
                    format!("invalid YAML in document {}: {message}", doc.index),
                )
                .hint("this document was not assessed; the others in the file were"),
            ),
        }
    }
    // A Helm or Go template is not broken YAML: one note for the file, not an error per
    // document.
    if let Some(first) = templates.first() {
        problems.push(
            Problem::new(
                ProblemLevel::Note,
                source_id,
                format!("{}:{first}", file.display),
                format!(
                    "skipped {} templated document(s) (`{{{{ ... }}}}`): a template is not YAML \
                     until rendered",
                    templates.len()
                ),
            )
            .hint("render it first (`helm template`, envsubst) and pass the output to --snapshot"),
        );
    }
    let mut out = Vec::with_capacity(built.len());
    for b in built {
        out.extend(b);
    }
    out
}

/// `kubectl get -o yaml` writes list items as `- apiVersion: ...` at column 0 under a
/// top-level `items:`. When the count of such lines matches the items, each item gets its
/// line; otherwise items get the list's line.
fn yaml_item_lines(value: &Value, doc: &yaml::DocumentText<'_>) -> Option<Vec<u32>> {
    item_start_lines(value.get("items")?.as_array()?.len(), doc)
}

fn item_start_lines(n: usize, doc: &yaml::DocumentText<'_>) -> Option<Vec<u32>> {
    let mut lines = Vec::new();
    let mut in_items = false;
    for (i, line) in doc.text.lines().enumerate() {
        if line.starts_with("items:") {
            in_items = true;
        } else if in_items && line.starts_with("- ") {
            lines.push(doc.start_line + i as u32);
        } else if in_items && !line.is_empty() && !line.starts_with([' ', '-', '#']) {
            in_items = false;
        }
    }
    (lines.len() == n).then_some(lines)
}

fn is_list(value: &Value) -> bool {
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
    kind.ends_with("List") && value.get("items").is_some_and(Value::is_array)
}

/// Turns a document into objects: a List gives its items (typed lists such as `PodList`
/// omit each item's kind and apiVersion; they are filled in), anything else is one object.
/// A List inside a List gives its items too, as kubectl flattens nested lists, with a note.
fn expand_list(mut doc: RawDoc, display: &str, source_id: &str) -> Vec<Built> {
    if !is_list(&doc.value) {
        return vec![build_object(doc, display, source_id)];
    }
    let kind = doc.value.get("kind").and_then(Value::as_str).unwrap_or("");
    let item_kind = kind
        .strip_suffix("List")
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    let api_version = doc
        .value
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("v1")
        .to_string();
    let Some(Value::Array(items)) = doc.value.as_object_mut().and_then(|m| m.remove("items"))
    else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, mut value) in items.into_iter().enumerate() {
        if let (Some(k), Some(obj)) = (&item_kind, value.as_object_mut()) {
            ingest::fill_type(obj, k, &api_version);
        }
        let line = match &doc.item_lines {
            Some(lines) => lines.get(i).copied(),
            None => doc.line,
        };
        let item = RawDoc {
            value,
            locator: format!("{}/items/{i}", doc.locator),
            line,
            item_lines: None,
        };
        out.extend(expand_item(item, display, source_id));
    }
    out
}

/// Turns an item of a List into objects: itself, or the items of a List nested in it.
fn expand_item(item: RawDoc, display: &str, source_id: &str) -> Vec<Built> {
    if !is_list(&item.value) {
        return vec![build_object(item, display, source_id)];
    }
    let mut out = vec![nested_list(source_id, display, &item)];
    out.extend(expand_list(item, display, source_id));
    out
}

/// The note of a List met as an item of a List: its items are read, as kubectl reads them.
fn nested_list(source_id: &str, display: &str, item: &RawDoc) -> Built {
    let kind = item
        .value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("List");
    let count = item
        .value
        .get("items")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let location = match item.line {
        Some(line) => format!("{display}:{line}"),
        None => item.locator.clone(),
    };
    Built::Problem(
        Problem::new(
            ProblemLevel::Note,
            source_id,
            location,
            format!(
                "a {kind} inside a List ({}): its {count} item(s) were read as objects, as \
                 kubectl flattens nested lists",
                item.locator
            ),
        )
        .hint("kubectl writes flat lists; one nested by hand or by a tool reads the same"),
    )
}

/// Builds one document or list item read from a file (see [`build`]).
fn build_object(doc: RawDoc, display: &str, source_id: &str) -> Built {
    let RawDoc {
        value,
        locator,
        line,
        ..
    } = doc;
    let origin = Origin {
        path: Some(display.to_string()),
        line,
        via: None,
    };
    ingest::build(value, locator, origin, None, source_id)
}

/// True when a value was redacted, for renderers that want to say so.
pub fn is_redacted(value: &Value) -> bool {
    value.as_str() == Some(MARKER)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use serde_json::json;

    fn load_text(name: &str, text: &str) -> Inventory {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        load(&path, &SnapshotOptions::default())
    }

    #[test]
    fn reads_a_kubectl_json_list_with_item_lines() {
        let text = serde_json::to_string_pretty(&json!({
            "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
            "items": [
                {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "namespace": "x"}},
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "dg=="}},
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "x"}}
            ]
        }))
        .unwrap();
        let inv = load_text("all.json", &text);
        assert!(inv.problems.is_empty(), "{:?}", inv.problems);
        assert_eq!(inv.objects.len(), 2);
        assert_eq!(inv.redaction.secrets_dropped, 1);
        assert!(inv.objects[0].origin.line.unwrap() > 1);
        assert!(inv.records[0].locator.ends_with("all.json#0/items/0"));
        assert_eq!(inv.coverage.count("Pod"), 1);
        assert!(!inv.coverage.is_collected("Secret"));
    }

    #[test]
    fn typed_api_lists_get_item_kinds() {
        let text = r#"{"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"p"}}]}"#;
        let inv = load_text("pods.json", text);
        assert_eq!(inv.objects[0].kind, "Pod");
        assert_eq!(inv.objects[0].api_version, "v1");
    }

    /// Found by the `snapshot_file` fuzz target: a YAML object with a top-level `items`
    /// that is not a list, stored as JSON and read again, was "invalid JSON".
    #[test]
    fn a_json_object_whose_items_is_not_a_list_is_one_object() {
        for text in [
            r#"{"apiVersion":"v","items":"c","kind":"s"}"#,
            r#"{"apiVersion":"v1","kind":"FooList","items":{"a":1}}"#,
        ] {
            let json = from_text("x.json", text);
            assert!(json.problems.is_empty(), "{text}: {:?}", json.problems);
            let yaml = from_text("x.yaml", text);
            assert_eq!(json.objects.len(), 1, "{text}");
            assert_eq!(json.objects[0].json, yaml.objects[0].json, "{text}");
        }
        // Not a Kubernetes object (its kind is no string), but JSON all the same.
        let json = from_text("x.json", r#"{"apiVersion":["v1"],"kind":3,"items":[]}"#);
        assert!(json.problems.is_empty(), "{:?}", json.problems);
        assert!(json.objects.is_empty());
    }

    /// Found by the `snapshot_file` and `snapshot_manifest` fuzz targets: a number written
    /// with more digits than a float holds was read a bit off the nearest float, so the
    /// evidence stored was not the number in the file, and reading it again changed it.
    /// Tests get serde_json's exact float parsing from a dev-dependency either way; the
    /// shipped binary gets it only when the crate asks for it.
    #[test]
    fn the_shipped_binary_reads_numbers_exactly() {
        let manifest = include_str!("../../Cargo.toml");
        let line = manifest
            .lines()
            .find(|l| l.starts_with("serde_json ="))
            .unwrap();
        assert!(line.contains("\"float_roundtrip\""), "{line}");
    }

    #[test]
    fn numbers_are_kept_as_the_file_gives_them() {
        for n in [
            "122222222222222222222",
            "1.2342222022222223e+107",
            "9007199254740993.0",
        ] {
            let text =
                format!(r#"{{"apiVersion":"v1","kind":"X","metadata":{{"name":"n"}},"n":{n}}}"#);
            let first = from_text("x.json", &text);
            let want: f64 = n.parse().unwrap();
            assert_eq!(first.objects[0].value()["n"].as_f64(), Some(want), "{n}");
            let again = from_text("again.json", &first.objects[0].json);
            assert_eq!(again.objects[0].json, first.objects[0].json, "{n}");
        }
    }

    #[test]
    fn a_broken_yaml_document_does_not_lose_the_others() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nkind: [\n---\n\
                    apiVersion: v1\nkind: Pod\nmetadata: {name: b}\n";
        let inv = load_text("pods.yaml", text);
        assert_eq!(inv.objects.len(), 2);
        assert_eq!(inv.problems.len(), 1);
        assert!(
            inv.problems[0].location.ends_with("pods.yaml:5"),
            "{:?}",
            inv.problems
        );
    }

    /// Built objects as comparable facts: locator, line, hash and value.
    fn facts(built: Vec<Built>) -> Vec<(String, Option<u32>, String, Value)> {
        built
            .into_iter()
            .map(|b| match b {
                Built::Object(o, r, _) => (r.locator, o.origin.line, r.sha256, o.value()),
                Built::Secret => ("secret".into(), None, String::new(), Value::Null),
                Built::Skipped => ("skipped".into(), None, String::new(), Value::Null),
                Built::Problem(p) => (p.location, None, p.message, Value::Null),
            })
            .collect()
    }

    #[test]
    fn a_kubectl_yaml_list_read_item_by_item_gives_what_reading_it_whole_gives() {
        let text = "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n    annotations:\n      note: |\n        first\n\n        after a blank line\n  data: {k: v}\n\
                    - apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: b, namespace: x}\n  spec:\n    template:\n      spec:\n        containers:\n        - name: c\n          image: x:1\n          env:\n          - name: K\n            value: secret\n\
                    - apiVersion: v1\n  kind: Secret\n  metadata: {name: s}\nkind: List\nmetadata:\n  resourceVersion: \"\"\n";
        let file = InputFile::plain(PathBuf::from("list.yaml"), "list.yaml".into());
        let docs = yaml::split_documents(text);
        let split = split_yaml_list(&docs[0], &file, "s").expect("a kubectl List is split");
        let whole = parse_yaml_document(&docs[0], &file, "s").unwrap();
        assert_eq!(split.len(), 3);
        assert_eq!(facts(split), facts(whole));
        // Typed lists get their items' kind, as when read whole.
        let typed = text.replace("kind: List", "kind: ConfigMapList");
        let docs = yaml::split_documents(&typed);
        assert_eq!(
            facts(split_yaml_list(&docs[0], &file, "s").unwrap()),
            facts(parse_yaml_document(&docs[0], &file, "s").unwrap())
        );
    }

    #[test]
    fn yaml_lists_the_cut_cannot_vouch_for_are_read_whole() {
        let file = InputFile::plain(PathBuf::from("list.yaml"), "list.yaml".into());
        for text in [
            // An alias to an anchor of another item.
            "kind: List\nitems:\n- &a {kind: Pod, apiVersion: v1, metadata: {name: a}}\n- *a\n",
            // A comment at column 0 among the items.
            "kind: List\nitems:\n- {kind: Pod, apiVersion: v1, metadata: {name: a}}\n# note\n- {kind: Pod, apiVersion: v1, metadata: {name: b}}\n",
            // Not a List.
            "kind: Thing\nitems:\n- a\n- b\n",
            // A broken item: the whole document reports the error.
            "kind: List\nitems:\n- {kind: [\n- {kind: Pod}\n",
        ] {
            let docs = yaml::split_documents(text);
            assert!(split_yaml_list(&docs[0], &file, "s").is_none(), "{text}");
        }
    }

    #[test]
    fn yaml_lists_from_kubectl_get_item_lines() {
        let text = "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n\
                    - apiVersion: v1\n  kind: Pod\n  metadata:\n    name: b\nkind: List\n";
        let inv = load_text("pods.yaml", text);
        let lines: Vec<_> = inv.objects.iter().map(|o| o.origin.line).collect();
        assert_eq!(lines, [Some(3), Some(7)]);
    }

    #[test]
    fn hashes_ignore_key_order_and_cover_redaction() {
        let a = load_text(
            "a.json",
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}"#,
        );
        let b = load_text(
            "a.json",
            r#"{"metadata":{"name":"p"},"kind":"Pod","apiVersion":"v1"}"#,
        );
        assert_eq!(a.records[0].sha256, b.records[0].sha256);
    }

    #[test]
    fn non_kubernetes_yaml_is_ignored_quietly() {
        let dir = tempfile::tempdir().unwrap();
        write_tree(
            dir.path(),
            &[
                ("values.yaml", "replicaCount: 3\nimage:\n  tag: 1.2.3\n"),
                (
                    "pod.yaml",
                    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
                ),
            ],
        );
        let inv = load(dir.path(), &SnapshotOptions::default());
        assert_eq!(inv.objects.len(), 1);
        assert!(inv.problems.is_empty(), "{:?}", inv.problems);
    }

    #[test]
    fn an_input_without_any_object_says_so() {
        let inv = load_text("values.yaml", "replicaCount: 3\nimage:\n  tag: 1.2.3\n");
        assert_eq!(inv.problems.len(), 1);
        assert_eq!(inv.problems[0].level, ProblemLevel::Warning);
        assert!(
            inv.problems[0]
                .message
                .contains("found no Kubernetes object")
        );
    }

    #[test]
    fn utf16_from_powershell_is_read() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n";
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pods.yaml");
        fs::write(&path, bytes).unwrap();
        let inv = load(&path, &SnapshotOptions::default());
        assert_eq!(inv.objects.len(), 1, "{:?}", inv.problems);
    }

    fn write_tree(root: &Path, files: &[(&str, &str)]) {
        for (path, text) in files {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
    }

    const TEMPLATE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  \
        name: {{ .Release.Name }}\n  labels:\n    {{- include \"x.labels\" . | nindent 4 }}\n\
        ---\n{{- if .Values.ingress }}\nkind: Ingress\n{{- end }}\n";

    #[test]
    fn helm_charts_skip_templates_with_a_note_and_values_quietly() {
        let dir = tempfile::tempdir().unwrap();
        write_tree(
            dir.path(),
            &[
                (
                    "chart/Chart.yaml",
                    "apiVersion: v2\nname: x\nversion: 1.0.0\n",
                ),
                ("chart/values.yaml", "image: {repository: x, tag: 1.0}\n"),
                // Values files are not always valid YAML on their own; never parse them.
                ("chart/values-prod.yaml", "a: [\n"),
                ("chart/templates/deploy.yaml", TEMPLATE),
                ("chart/charts/sub/templates/x.yaml", TEMPLATE),
                (
                    "chart/crds/crd.yaml",
                    "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\
                     metadata: {name: a.b.c}\n",
                ),
            ],
        );
        let inv = load(dir.path(), &SnapshotOptions::default());
        let got: Vec<_> = inv
            .problems
            .iter()
            .map(|p| (p.level, p.location.clone()))
            .collect();
        let chart = dir.path().join("chart");
        assert_eq!(
            got,
            [
                (
                    ProblemLevel::Note,
                    chart.join("charts").display().to_string()
                ),
                (
                    ProblemLevel::Note,
                    chart.join("templates").display().to_string()
                ),
            ]
        );
        assert_eq!(inv.objects.len(), 1);
        assert_eq!(inv.objects[0].kind, "CustomResourceDefinition");

        // A template passed by itself, or the templates directory: one note, no error.
        for path in [chart.join("templates/deploy.yaml"), chart.join("templates")] {
            let inv = load(&path, &SnapshotOptions::default());
            assert_eq!(inv.problems.len(), 1, "{:?}", inv.problems);
            assert_eq!(inv.problems[0].level, ProblemLevel::Note);
            assert!(inv.problems[0].message.contains("Helm chart templates"));
        }
    }

    #[test]
    fn a_template_outside_a_chart_is_one_note_not_errors() {
        let inv = load_text("deploy.yaml", TEMPLATE);
        assert_eq!(inv.problems.len(), 1, "{:?}", inv.problems);
        let p = &inv.problems[0];
        assert_eq!(p.level, ProblemLevel::Note);
        assert!(p.location.ends_with("deploy.yaml:4"), "{}", p.location);
        assert!(
            p.message.contains("2 templated document(s)"),
            "{}",
            p.message
        );
        assert!(p.hint.as_deref().unwrap().contains("helm template"));
    }

    #[test]
    fn an_empty_directory_named_like_a_file_is_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("pods.yaml")).unwrap();
        write_tree(
            dir.path(),
            &[(
                "ok.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
            )],
        );
        let inv = load(dir.path(), &SnapshotOptions::default());
        assert_eq!(inv.objects.len(), 1);
        assert_eq!(inv.problems.len(), 1, "{:?}", inv.problems);
        assert_eq!(inv.problems[0].level, ProblemLevel::Warning);
        assert!(
            inv.problems[0]
                .message
                .contains("is a directory, not a file")
        );
        let inv = load(&dir.path().join("pods.yaml"), &SnapshotOptions::default());
        assert!(
            inv.problems[0]
                .message
                .contains("is a directory, not a file")
        );
    }

    #[test]
    fn binary_junk_is_refused_before_it_is_read_whole() {
        let mut junk = vec![0u8; 1 << 20];
        junk[..4].copy_from_slice(b"\x7fELF");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("core.json");
        fs::write(&path, &junk).unwrap();
        match read_text(&path, u64::MAX) {
            Err(TextError::Binary { offset }) => assert_eq!(offset, 4),
            other => panic!("{other:?}"),
        }
        // A NUL after the first 8 KiB is found too.
        let mut late = b"a: 1\n".repeat(4000);
        late.push(0);
        fs::write(&path, &late).unwrap();
        assert!(matches!(
            read_text(&path, u64::MAX),
            Err(TextError::Binary { offset: 20000 })
        ));
    }
}
