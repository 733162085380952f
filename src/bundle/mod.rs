//! The evidence bundle: the evidence as collected, every report of the run, and a manifest
//! that lists each file with its size and sha256, optionally signed.
//!
//! [`write`] takes the report, the bytes of every report written, and the objects and text
//! files the collectors kept, and writes one bundle at a path: a directory, or a `.tar.gz`
//! when the path ends in `.tar.gz` or `.tgz`. Layout:
//!
//! ```text
//! manifest.json                       the snapshot manifest format (crate::evidence::manifest), extended
//! manifest.json.minisig               with --sign-key: a minisign signature of manifest.json
//! reports/report.json                 always (its sha256 is the report id), and every format written
//! evidence/<source>/objects/<kind>.json   kubectl-style List of the objects as kept (redacted)
//! evidence/<source>/files/<path>          collected text files (Dockerfiles, pipelines)
//! evidence/<source>/commits/<commit>/<path>   ... as read at a Git commit
//! evidence/<source>/audit-events/<file>-<line>.json   an audit event a finding cites, as kept
//! attestations/<id>/<file name>       attested documents, as read and hashed
//! ```
//!
//! Each List item is the canonical JSON of one object (keys sorted, compact, one per line),
//! the exact bytes its evidence record hashes, so `sha256` of an item is the record's
//! `sha256`; the manifest names the record of every item in order. The bundle is built
//! under a temporary name beside the destination and renamed at the end (a directory
//! replaces only an empty one or a bundle evidencer wrote, unchanged since), and is
//! deterministic: the same input and `--as-of` give the same bytes, `.tar.gz` included
//! (files in path order, then the manifest and its signature; mtime the as-of instant, owner
//! 0, mode 0644; gzip header without name or time).

pub mod sign;
pub mod tar_gz;
pub mod verify;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::evidence::inventory::{CollectedFile, KindStatus};
use crate::evidence::manifest::{self, Manifest, ManifestFile, ManifestKind};
use crate::evidence::manifest::{NotReplaceable, Owned};
use crate::evidence::object::Object;
use crate::evidence::record::{EvidenceRecord, sha256_hex};
use crate::report::Report;

/// The signature file beside the manifest.
pub const SIGNATURE_FILE: &str = "manifest.json.minisig";

/// Key of the bundle's part in the manifest's `extra` map.
pub const EXTRA_KEY: &str = manifest::BUNDLE_PART;

/// Key, in the manifest's `extra` map, of the sha256 of the manifest written without it.
pub const SELF_DIGEST_KEY: &str = "manifest_sha256";

/// Version of the `bundle` part of the manifest.
pub const BUNDLE_VERSION: u32 = 1;

/// What the manifest says about the bundle, besides the file list.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BundleInfo {
    pub version: u32,
    /// The sha256 of `reports/report.json`.
    pub report_id: String,
    pub as_of: String,
    pub generated_at: String,
    pub period: Option<serde_json::Value>,
    /// The report's sources, as `report.json` lists them.
    pub sources: Vec<serde_json::Value>,
    /// The reports, `reports/<file>`.
    pub reports: Vec<String>,
    /// What each evidence file holds, in path order.
    pub evidence: Vec<EvidenceFile>,
    /// The public half of the key that signed the manifest, when it was signed. It lets
    /// `verify` check the signature file without a key; who signed is only known by
    /// checking against a public key obtained elsewhere (`verify --pubkey`).
    pub signed_by: Option<sign::KeyInfo>,
}

/// One evidence file of the bundle.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EvidenceFile {
    /// A kubectl-style List of the objects of one kind from one source.
    Objects {
        path: String,
        source: String,
        kind: String,
        /// API group; empty for the core group.
        group: String,
        /// The evidence record of each item, in item order.
        records: Vec<String>,
    },
    /// A collected text file.
    File {
        path: String,
        source: String,
        /// Its path in the source.
        original_path: String,
        /// The Git commit it was read at.
        commit: Option<String>,
        record: String,
    },
}

impl EvidenceFile {
    pub fn path(&self) -> &str {
        match self {
            EvidenceFile::Objects { path, .. } | EvidenceFile::File { path, .. } => path,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot write bundle {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "--bundle {}: {why}; evidencer replaces only an empty directory or a bundle it wrote, unchanged since: pass a new path, or move the directory away (nothing was written)",
        .path.display()
    )]
    NotABundle { path: PathBuf, why: String },
    #[error("--bundle {}: cannot check what the directory holds", .path.display())]
    Check {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "evidence {id} ({what}) does not hash to the sha256 its record gives; refusing to write a bundle that contradicts its report (this is a bug: please report it)"
    )]
    Inconsistent { id: String, what: String },
    #[error(transparent)]
    Sign(#[from] sign::SignError),
}

/// Everything a bundle is made of.
pub struct BundleInput<'a> {
    pub report: &'a Report,
    /// `report.json` as written (its sha256 is the report id).
    pub report_json: &'a [u8],
    /// The other reports written: (file name, bytes).
    pub reports: &'a [(&'static str, &'a [u8])],
    pub objects: &'a [Object],
    pub files: &'a [CollectedFile],
    /// The API audit log events the findings cite (never the rest of the log).
    pub audit_events: &'a [&'a crate::collect::audit::AuditEvent],
    /// Attested documents: each one that is a file is copied under `attestations/`.
    pub documents: &'a [crate::evidence::attestation::Attestation],
    /// The signing key, loaded (see [`sign::SigningKey::load`]).
    pub sign_key: Option<&'a sign::SigningKey>,
}

/// What [`write`] wrote.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    pub files: usize,
    pub bytes: u64,
    pub signed: bool,
}

/// True when the bundle at `path` is a `.tar.gz` rather than a directory.
pub fn is_archive(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.ends_with(".tar.gz") || name.ends_with(".tgz")
}

/// The files of a bundle in the order they are written, and the manifest.
pub struct Contents {
    /// Path in the bundle and bytes, sorted by path.
    pub files: Vec<(String, Vec<u8>)>,
    pub manifest: Vec<u8>,
    pub signature: Option<Vec<u8>>,
}

impl Contents {
    /// Every file in the order written: the files by path, then the manifest and its
    /// signature, which are made last.
    pub fn entries(&self) -> Vec<(&str, &[u8])> {
        let mut all: Vec<(&str, &[u8])> = self
            .files
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_slice()))
            .collect();
        all.push((manifest::FILE_NAME, &self.manifest));
        if let Some(sig) = &self.signature {
            all.push((SIGNATURE_FILE, sig));
        }
        all
    }
}

/// Lays out the bundle in memory: the files, the manifest listing them, its signature.
pub fn contents(input: &BundleInput) -> Result<Contents, BundleError> {
    let report = input.report;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut reports = vec![format!("reports/{}", crate::report::JSON_FILE_NAME)];
    files.push((reports[0].clone(), input.report_json.to_vec()));
    for (name, bytes) in input.reports {
        let path = format!("reports/{name}");
        if !reports.contains(&path) {
            reports.push(path.clone());
            files.push((path, bytes.to_vec()));
        }
    }
    reports.sort();

    let records: HashMap<&str, &EvidenceRecord> =
        report.evidence.iter().map(|r| (r.id.as_str(), r)).collect();
    let dirs = source_dirs(report);
    let mut evidence = Vec::new();
    for (path, list, entry) in object_lists(input.objects, &dirs, &records)? {
        files.push((path, list));
        evidence.push(entry);
    }
    for (path, bytes, entry) in text_files(input.files, &dirs, &records)? {
        files.push((path, bytes));
        evidence.push(entry);
    }
    for (path, bytes, entry) in audit_events(input.audit_events, &dirs) {
        files.push((path, bytes));
        evidence.push(entry);
    }
    for (path, bytes, entry) in documents(input.documents) {
        files.push((path, bytes));
        evidence.push(entry);
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    evidence.sort_by(|a, b| a.path().cmp(b.path()));

    let mut m = Manifest::new(
        report
            .evidence
            .iter()
            .filter_map(|r| r.collected_at.clone())
            .max(),
    );
    for (kind, status) in &report.inputs.coverage.kinds {
        let api_version = input
            .objects
            .iter()
            .find(|o| &o.kind == kind)
            .map(|o| o.api_version.clone())
            .unwrap_or_default();
        let status = match status {
            // A count of what the bundle holds, not of what the collectors saw twice.
            KindStatus::Collected { .. } => KindStatus::Collected {
                count: input.objects.iter().filter(|o| &o.kind == kind).count(),
            },
            other => other.clone(),
        };
        m.kinds.insert(
            kind.clone(),
            ManifestKind {
                api_version,
                status,
                file: None,
            },
        );
    }
    m.files = files
        .iter()
        .map(|(path, bytes)| ManifestFile {
            path: path.clone(),
            size: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        })
        .collect();
    let info = BundleInfo {
        version: BUNDLE_VERSION,
        report_id: Report::id(input.report_json),
        as_of: report.as_of.clone(),
        generated_at: report.generated_at.clone(),
        period: report
            .period
            .as_ref()
            .map(|p| serde_json::to_value(p).expect("a period serializes")),
        sources: report
            .sources
            .iter()
            .map(|s| serde_json::to_value(s).expect("a source serializes"))
            .collect(),
        reports,
        evidence,
        signed_by: input.sign_key.map(|k| k.info()),
    };
    m.extra.insert(
        EXTRA_KEY.into(),
        serde_json::to_value(&info).expect("bundle info serializes"),
    );
    let manifest = seal(m);
    let signature = match input.sign_key {
        Some(key) => Some(key.sign(&manifest, &trusted_comment(&info))?),
        None => None,
    };
    Ok(Contents {
        files,
        manifest,
        signature,
    })
}

/// The trusted comment of the signature: signed with it, shown by `minisign -V`.
fn trusted_comment(info: &BundleInfo) -> String {
    format!(
        "evidencer bundle report_id:{} as_of:{}",
        info.report_id, info.as_of
    )
}

/// The manifest's bytes with the sha256 of itself (as written without that field) inside,
/// so that an edit of the manifest is told from an edit of a file it lists.
pub fn seal(mut m: Manifest) -> Vec<u8> {
    m.extra.remove(SELF_DIGEST_KEY);
    let digest = sha256_hex(&m.to_json());
    m.extra.insert(SELF_DIGEST_KEY.into(), digest.into());
    m.to_json()
}

/// A directory name per source: its id with everything but letters, digits, `.`, `_` and
/// `-` turned into `-`, unique.
fn source_dirs(report: &Report) -> BTreeMap<&str, String> {
    let mut used = BTreeSet::new();
    report
        .sources
        .iter()
        .map(|s| (s.id.as_str(), unique(&mut used, slug(&s.id, "source"), "-")))
        .collect()
}

/// Text safe as one path component on every platform, at most 100 bytes.
fn slug(text: &str, fallback: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            c
        } else {
            '-'
        };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    let trimmed = out.trim_matches(['-', '.']);
    let mut s: String = trimmed.chars().take(100).collect();
    if s.is_empty() {
        s = fallback.to_string();
    }
    s
}

fn unique(used: &mut BTreeSet<String>, base: String, sep: &str) -> String {
    let mut name = base.clone();
    let mut n = 1;
    while !used.insert(name.to_ascii_lowercase()) {
        n += 1;
        name = format!("{base}{sep}{n}");
    }
    name
}

type Laid = (String, Vec<u8>, EvidenceFile);

/// One List file per source and kind: its path, source, group, kind and items, in the
/// inventory's canonical order.
type ObjectGroup<'a> = (String, &'a str, &'a str, &'a str, Vec<&'a Object>);

fn object_groups<'a>(objects: &'a [Object], dirs: &BTreeMap<&str, String>) -> Vec<ObjectGroup<'a>> {
    let mut groups: BTreeMap<(&str, &str, &str), Vec<&Object>> = BTreeMap::new();
    for o in objects {
        groups
            .entry((o.source.as_str(), o.group(), o.kind.as_str()))
            .or_default()
            .push(o);
    }
    let mut used = BTreeSet::new();
    groups
        .into_iter()
        .map(|((source, group, kind), items)| {
            let dir = dirs
                .get(source)
                .cloned()
                .unwrap_or_else(|| slug(source, "source"));
            let stem = if group.is_empty() {
                slug(&kind.to_ascii_lowercase(), "object")
            } else {
                format!(
                    "{}.{}",
                    slug(&kind.to_ascii_lowercase(), "object"),
                    slug(group, "group")
                )
            };
            let stem = unique(&mut used, format!("evidence/{dir}/objects/{stem}"), "-");
            (format!("{stem}.json"), source, group, kind, items)
        })
        .collect()
}

/// One List file per source and kind, items in the inventory's canonical order.
fn object_lists(
    objects: &[Object],
    dirs: &BTreeMap<&str, String>,
    records: &HashMap<&str, &EvidenceRecord>,
) -> Result<Vec<Laid>, BundleError> {
    let mut out = Vec::new();
    for (path, source, group, kind, items) in object_groups(objects, dirs) {
        let mut list =
            br#"{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":["#
                .to_vec();
        let mut ids = Vec::with_capacity(items.len());
        for (i, o) in items.iter().enumerate() {
            list.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
            let start = list.len();
            list.extend_from_slice(o.json.as_bytes());
            if let Some(record) = records.get(o.evidence.as_str())
                && record.sha256 != sha256_hex(&list[start..])
            {
                return Err(BundleError::Inconsistent {
                    id: o.evidence.clone(),
                    what: o.display_name(),
                });
            }
            ids.push(o.evidence.clone());
        }
        list.extend_from_slice(b"\n]}\n");
        out.push((
            path.clone(),
            list,
            EvidenceFile::Objects {
                path,
                source: source.to_string(),
                kind: kind.to_string(),
                group: group.to_string(),
                records: ids,
            },
        ));
    }
    Ok(out)
}

/// The path of each collected text file, in order: `files/<path>` or
/// `commits/<commit>/<path>` under its source.
fn text_file_paths(files: &[CollectedFile], dirs: &BTreeMap<&str, String>) -> Vec<String> {
    let mut used = BTreeSet::new();
    files
        .iter()
        .map(|f| {
            let dir = dirs
                .get(f.source.as_str())
                .cloned()
                .unwrap_or_else(|| slug(&f.source, "source"));
            let inner = safe_relative(&f.path);
            let base = match &f.commit {
                Some(commit) => {
                    format!("evidence/{dir}/commits/{}/{inner}", slug(commit, "commit"))
                }
                None => format!("evidence/{dir}/files/{inner}"),
            };
            unique(&mut used, base, "~")
        })
        .collect()
}

/// Collected text files under their source, at `files/<path>` or `commits/<commit>/<path>`.
fn text_files(
    files: &[CollectedFile],
    dirs: &BTreeMap<&str, String>,
    records: &HashMap<&str, &EvidenceRecord>,
) -> Result<Vec<Laid>, BundleError> {
    let mut out = Vec::new();
    for (f, path) in files.iter().zip(text_file_paths(files, dirs)) {
        let bytes = f.text.as_bytes().to_vec();
        if let Some(record) = records.get(f.evidence.as_str())
            && record.sha256 != sha256_hex(&bytes)
        {
            return Err(BundleError::Inconsistent {
                id: f.evidence.clone(),
                what: f.path.clone(),
            });
        }
        out.push((
            path.clone(),
            bytes,
            EvidenceFile::File {
                path,
                source: f.source.clone(),
                original_path: f.path.clone(),
                commit: f.commit.clone(),
                record: f.evidence.clone(),
            },
        ));
    }
    Ok(out)
}

/// The path of each cited audit event, in order: `audit-events/<file>-<line>.json` under
/// its source.
fn audit_event_paths(
    events: &[&crate::collect::audit::AuditEvent],
    dirs: &BTreeMap<&str, String>,
) -> Vec<String> {
    let mut used = BTreeSet::new();
    events
        .iter()
        .map(|e| {
            let source = e.evidence_record().source;
            let dir = dirs
                .get(source.as_str())
                .cloned()
                .unwrap_or_else(|| slug(&source, "source"));
            let name = slug(&e.locator(), "event");
            unique(
                &mut used,
                format!("evidence/{dir}/audit-events/{name}.json"),
                "~",
            )
        })
        .collect()
}

/// The cited audit events, each its own file of canonical JSON: the bytes its record
/// hashes, so `verify` checks it as it checks a text file.
fn audit_events(
    events: &[&crate::collect::audit::AuditEvent],
    dirs: &BTreeMap<&str, String>,
) -> Vec<Laid> {
    events
        .iter()
        .zip(audit_event_paths(events, dirs))
        .map(|(e, path)| {
            let record = e.evidence_record();
            (
                path.clone(),
                e.stored_json(),
                EvidenceFile::File {
                    path,
                    source: record.source,
                    original_path: record.locator,
                    commit: None,
                    record: record.id,
                },
            )
        })
        .collect()
}

/// The path of each attested document that is a file (None for a URL), in order:
/// `attestations/<id>/<file name>`.
fn document_paths(list: &[crate::evidence::attestation::Attestation]) -> Vec<Option<String>> {
    let mut used = BTreeSet::new();
    list.iter()
        .map(|a| {
            a.bytes.as_ref()?;
            let name = slug(a.file_name().unwrap_or("document"), "document");
            Some(unique(
                &mut used,
                format!("attestations/{}/{name}", slug(&a.id, "attestation")),
                "~",
            ))
        })
        .collect()
}

/// Attested documents at `attestations/<id>/<file name>`, each a file entry citing its
/// record (its sha256 is the document's, so `verify` checks the copy).
fn documents(list: &[crate::evidence::attestation::Attestation]) -> Vec<Laid> {
    list.iter()
        .zip(document_paths(list))
        .filter_map(|(a, path)| {
            let (bytes, path) = (a.bytes.as_ref()?, path?);
            Some((
                path.clone(),
                bytes.to_vec(),
                EvidenceFile::File {
                    path,
                    source: crate::evidence::attestation::source_id(&a.file),
                    original_path: a.document.clone(),
                    commit: None,
                    record: a.evidence.clone(),
                },
            ))
        })
        .collect()
}

/// What the bundle's evidence files are laid out from: the parts of a [`BundleInput`]
/// that are evidence.
pub struct EvidenceInput<'a> {
    pub report: &'a Report,
    pub objects: &'a [Object],
    pub files: &'a [CollectedFile],
    pub audit_events: &'a [&'a crate::collect::audit::AuditEvent],
    pub documents: &'a [crate::evidence::attestation::Attestation],
}

/// Each evidence record's file in the bundle this evidence makes, by record id, computed
/// without building the files: the reports inside the bundle (the workbook) name them, so
/// they are known before the bundle is written. The same layout [`contents`] writes.
pub fn evidence_paths(input: &EvidenceInput) -> BTreeMap<String, String> {
    let dirs = source_dirs(input.report);
    let mut out = BTreeMap::new();
    for (path, _, _, _, items) in object_groups(input.objects, &dirs) {
        for o in items {
            out.insert(o.evidence.clone(), path.clone());
        }
    }
    for (f, path) in input.files.iter().zip(text_file_paths(input.files, &dirs)) {
        out.insert(f.evidence.clone(), path);
    }
    for (e, path) in input
        .audit_events
        .iter()
        .zip(audit_event_paths(input.audit_events, &dirs))
    {
        out.insert(e.evidence_record().id, path);
    }
    for (a, path) in input.documents.iter().zip(document_paths(input.documents)) {
        if let Some(path) = path {
            out.insert(a.evidence.clone(), path);
        }
    }
    out
}

/// A path from the input made safe inside the bundle: `/`-separated components, none empty,
/// `.` or `..`, none with a backslash, colon or control character.
fn safe_relative(path: &str) -> String {
    let parts: Vec<String> = path
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .map(|p| {
            if p == ".." {
                "__".to_string()
            } else {
                p.chars()
                    .map(|c| if c.is_control() || c == ':' { '_' } else { c })
                    .collect()
            }
        })
        .collect();
    if parts.is_empty() {
        "unnamed".into()
    } else {
        parts.join("/")
    }
}

/// Writes the bundle at `path` (a directory, or a `.tar.gz` by its name), atomically.
pub fn write(path: &Path, input: &BundleInput) -> Result<Written, BundleError> {
    let c = contents(input)?;
    let bytes = c.files.iter().map(|(_, b)| b.len() as u64).sum::<u64>() + c.manifest.len() as u64;
    let files = c.files.len() + 1 + usize::from(c.signature.is_some());
    if is_archive(path) {
        let mtime = chrono::DateTime::parse_from_rfc3339(&input.report.as_of)
            .map(|t| t.timestamp().max(0) as u64)
            .unwrap_or(0);
        write_archive(path, &c, mtime)?;
    } else {
        write_dir(path, &c)?;
    }
    Ok(Written {
        path: path.to_path_buf(),
        files,
        bytes,
        signed: c.signature.is_some(),
    })
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> BundleError + '_ {
    move |source| BundleError::Write {
        path: path.to_path_buf(),
        source,
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn temp_prefix(path: &Path) -> String {
    format!(
        ".{}.",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "bundle".into())
    )
}

fn write_archive(path: &Path, c: &Contents, mtime: u64) -> Result<(), BundleError> {
    let err = io_err(path);
    let parent = parent_of(path);
    fs::create_dir_all(parent).map_err(&err)?;
    let tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .suffix(".tmp")
        .tempfile_in(parent)
        .map_err(&err)?;
    {
        let out = std::io::BufWriter::new(tmp.as_file());
        let gz = tar_gz::write_tar_gz(out, &c.entries(), mtime).map_err(&err)?;
        gz.finish()
            .map_err(&err)?
            .into_inner()
            .map_err(|e| err(e.into_error()))?
            .sync_all()
            .map_err(&err)?;
    }
    set_file_mode(tmp.as_file()).map_err(&err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// Reports are ordinary files (0644 less the umask), not tempfile's 0600.
fn set_file_mode(file: &fs::File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o644))?;
    }
    let _ = file;
    Ok(())
}

/// What a directory bundle may replace: a bundle evidencer wrote, unchanged since.
const OWNED: Owned = Owned {
    what: "bundle",
    is_kind: |m| m.extra.contains_key(EXTRA_KEY),
    unlisted: &[SIGNATURE_FILE],
};

/// Refuses a `--bundle` path that must not be replaced: a directory holding anything but
/// an empty folder or a bundle evidencer wrote, unchanged since. A run checks it before it
/// collects anything, and again when it writes.
pub fn check_destination(path: &Path) -> Result<(), BundleError> {
    if is_archive(path) {
        return Ok(());
    }
    manifest::check_replaceable(path, &OWNED).map_err(|e| match e {
        NotReplaceable::Foreign(why) => BundleError::NotABundle {
            path: path.to_path_buf(),
            why,
        },
        NotReplaceable::Read { source, .. } => BundleError::Check {
            path: path.to_path_buf(),
            source,
        },
    })
}

fn write_dir(path: &Path, c: &Contents) -> Result<(), BundleError> {
    let err = io_err(path);
    // Refuse a destination that is not ours before writing anything.
    check_destination(path)?;
    let replacing = fs::symlink_metadata(path).is_ok();
    let parent = parent_of(path);
    fs::create_dir_all(parent).map_err(&err)?;
    let tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .suffix(".tmp")
        .tempdir_in(parent)
        .map_err(&err)?;
    for (rel, bytes) in c.entries() {
        let target = tmp.path().join(rel);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir).map_err(&err)?;
        }
        let mut f = fs::File::create(&target).map_err(&err)?;
        f.write_all(bytes).map_err(&err)?;
        f.sync_all().map_err(&err)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).map_err(&err)?;
    }
    let built = tmp.keep();
    // An earlier bundle is moved aside, the new one moved in, then the old one removed: a
    // reader sees the old bundle or the new one, whole.
    let aside = if replacing {
        let aside = tempfile::Builder::new()
            .prefix(&temp_prefix(path))
            .suffix(".old")
            .tempdir_in(parent)
            .map_err(&err)?
            .keep();
        fs::remove_dir(&aside).map_err(&err)?;
        fs::rename(path, &aside).map_err(&err)?;
        Some(aside)
    } else {
        None
    };
    if let Err(e) = fs::rename(&built, path) {
        if let Some(aside) = &aside {
            let _ = fs::rename(aside, path);
        }
        let _ = fs::remove_dir_all(&built);
        return Err(err(e));
    }
    if let Some(aside) = aside {
        fs::remove_dir_all(&aside).map_err(&err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_path_components() {
        assert_eq!(
            slug("snapshot:samples/snapshot", "s"),
            "snapshot-samples-snapshot"
        );
        assert_eq!(slug("snapshot:/abs/../x", "s"), "snapshot-abs-..-x");
        assert_eq!(slug("../..", "s"), "s");
        assert_eq!(slug("", "s"), "s");
        assert_eq!(safe_relative("../../etc/passwd"), "__/__/etc/passwd");
        assert_eq!(safe_relative("/abs//./ci/x.yml"), "abs/ci/x.yml");
        assert_eq!(safe_relative("C:\\x\\y"), "C_/x/y");
        assert_eq!(safe_relative(""), "unnamed");
        let mut used = BTreeSet::new();
        assert_eq!(unique(&mut used, "a".into(), "-"), "a");
        assert_eq!(
            unique(&mut used, "A".into(), "-"),
            "A-2",
            "case-insensitive file systems"
        );
    }

    #[test]
    fn archives_are_told_by_their_name() {
        assert!(is_archive(Path::new("out/q3.tar.gz")));
        assert!(is_archive(Path::new("q3.TGZ")));
        assert!(!is_archive(Path::new("q3.tar")));
        assert!(!is_archive(Path::new("bundle")));
    }

    #[test]
    fn the_manifest_carries_its_own_digest() {
        let mut m = Manifest::new(None);
        m.extra.insert("x".into(), 1.into());
        let bytes = seal(m);
        let mut back = Manifest::parse("m", std::str::from_utf8(&bytes).unwrap()).unwrap();
        let digest = back.extra.remove(SELF_DIGEST_KEY).unwrap();
        assert_eq!(digest.as_str().unwrap(), sha256_hex(&back.to_json()));
        assert_eq!(seal(back), bytes, "sealing is idempotent");
    }
}
