//! `evidencer verify BUNDLE`: is the bundle as it was written?
//!
//! Takes a bundle directory or `.tar.gz` (unpacked first, safely and as `tar xzf` reads it,
//! into a temporary directory: see [`super::tar_gz`]) and gives a [`Verification`]: every file the manifest
//! lists is hashed again and reported changed or removed when it differs or is missing;
//! every other file is reported added; the manifest must be exactly as evidencer writes it
//! and match the digest of itself it carries; the objects in the evidence files must hash
//! to the sha256 their records in `reports/report.json` give, and `report.json` to the
//! report id; and the signature, when there is one (or when `--pubkey` asks for one), must
//! hold.
//!
//! Without a signature this detects corruption and careless edits, not a forger: whoever
//! can change a file can recompute the hashes. A signature checked against a public key
//! obtained elsewhere (`--pubkey`) tells who vouched for the manifest.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use super::sign::{self, KeyInfo};
use super::tar_gz::{self, ExtractError, Limits};
use super::{BundleInfo, EXTRA_KEY, EvidenceFile, SELF_DIGEST_KEY, SIGNATURE_FILE};
use crate::base::input;
use crate::base::text;
use crate::evidence::manifest::{self, Manifest};
use crate::evidence::record::sha256_hex;

/// What verification found.
#[derive(Debug, Default)]
pub struct Verification {
    pub bundle: String,
    pub report_id: Option<String>,
    /// Files the manifest lists.
    pub listed: usize,
    /// Listed files whose bytes differ: (path, what differs).
    pub changed: Vec<(String, String)>,
    /// Listed files that are missing.
    pub removed: Vec<String>,
    /// Files the manifest does not list.
    pub added: Vec<String>,
    /// Contents that contradict each other although their hashes match the manifest.
    pub inconsistent: Vec<String>,
    pub signature: SignatureState,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub enum SignatureState {
    /// No signature, and none asked for.
    #[default]
    Unsigned,
    /// Valid for the key given with `--pubkey`.
    Trusted { key_id: String },
    /// Valid for the key the manifest names, which nobody vouched for.
    SelfConsistent { key_id: String },
    /// `--pubkey` was given, or the manifest names a signer, but there is no signature.
    Missing,
    /// The signature does not hold: why.
    Invalid(String),
}

impl Verification {
    /// True when nothing differs and the signature, if any, holds.
    pub fn is_intact(&self) -> bool {
        self.changed.is_empty()
            && self.removed.is_empty()
            && self.added.is_empty()
            && self.inconsistent.is_empty()
            && matches!(
                self.signature,
                SignatureState::Unsigned
                    | SignatureState::Trusted { .. }
                    | SignatureState::SelfConsistent { .. }
            )
    }

    /// The report `verify` prints: one line per difference, then the verdict. Paths come
    /// from the archive: their control characters (line breaks included) are shown as
    /// codes, so a name cannot forge a line of the report.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text::escape_line(&text));
            out.push('\n');
        };
        line(format!("bundle: {}", self.bundle));
        if let Some(id) = &self.report_id {
            line(format!("report id: {id}"));
        }
        for (path, why) in &self.changed {
            line(format!("changed: {path} ({why})"));
        }
        for path in &self.removed {
            line(format!("removed: {path}"));
        }
        for path in &self.added {
            line(format!("added: {path}"));
        }
        for what in &self.inconsistent {
            line(format!("inconsistent: {what}"));
        }
        let signature = match &self.signature {
            SignatureState::Unsigned => "none (unsigned bundle)".to_string(),
            SignatureState::Trusted { key_id } => {
                format!("valid, made with the key given (key id {key_id})")
            }
            SignatureState::SelfConsistent { key_id } => format!(
                "valid for the key the manifest names (key id {key_id}); pass --pubkey with the signer's public key to know who signed"
            ),
            SignatureState::Missing => format!("missing: {SIGNATURE_FILE} is not in the bundle"),
            SignatureState::Invalid(why) => format!("INVALID: {why}"),
        };
        line(format!("signature: {signature}"));
        let differences =
            self.changed.len() + self.removed.len() + self.added.len() + self.inconsistent.len();
        if self.is_intact() {
            line(format!(
                "result: intact ({} file(s) as listed in {})",
                self.listed,
                manifest::FILE_NAME
            ));
        } else {
            line(format!(
                "result: NOT intact ({differences} difference(s){})",
                if matches!(
                    self.signature,
                    SignatureState::Missing | SignatureState::Invalid(_)
                ) {
                    ", signature check failed"
                } else {
                    ""
                }
            ));
        }
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{}: no such file or directory", .0.display())]
    Missing(PathBuf),
    #[error(transparent)]
    Archive(#[from] ExtractError),
    #[error("{}: not an evidencer bundle: it has no manifest.json", .0)]
    NoManifest(String),
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {}", .path.display())]
    Input {
        path: PathBuf,
        #[source]
        source: crate::base::input::InputError,
    },
    #[error(transparent)]
    PublicKey(#[from] sign::SignError),
    #[error("cannot make a temporary directory to unpack the archive in")]
    Temp(#[source] std::io::Error),
}

/// Verifies the bundle at `path`; `pubkey` is the signer's public key file, when given.
pub fn verify(path: &Path, pubkey: Option<&Path>) -> Result<Verification, VerifyError> {
    let trusted = pubkey.map(sign::load_public_key).transpose()?;
    let meta = fs::metadata(path).map_err(|_| VerifyError::Missing(path.to_path_buf()))?;
    if meta.is_dir() {
        return verify_dir(path, &path.display().to_string(), trusted.as_ref());
    }
    // The archive is streamed: only a regular file, but no cap on its size here; the
    // unpacking limits bound what it may hold.
    let file = input::open(path)
        .map_err(|source| VerifyError::Input {
            path: path.to_path_buf(),
            source,
        })?
        .into_file();
    let tmp = tempfile::Builder::new()
        .prefix(".evidencer-verify.")
        .tempdir()
        .map_err(VerifyError::Temp)?;
    tar_gz::extract_from(
        std::io::BufReader::new(file),
        &path.display().to_string(),
        tmp.path(),
        Limits::default(),
    )?;
    verify_dir(tmp.path(), &path.display().to_string(), trusted.as_ref())
}

/// Verifies an unpacked bundle in `root`, shown as `shown`.
pub fn verify_dir(
    root: &Path,
    shown: &str,
    trusted: Option<&(minisign::PublicKey, KeyInfo)>,
) -> Result<Verification, VerifyError> {
    let mut v = Verification {
        bundle: shown.to_string(),
        ..Verification::default()
    };
    let manifest_path = root.join(manifest::FILE_NAME);
    let manifest_bytes = match fs::symlink_metadata(&manifest_path) {
        Ok(m) if m.is_file() => read_file(&manifest_path)?,
        _ => return Err(VerifyError::NoManifest(shown.to_string())),
    };
    let on_disk = list_files(root).map_err(|source| VerifyError::Read {
        path: root.to_path_buf(),
        source,
    })?;
    let signature_text = match on_disk.get(SIGNATURE_FILE) {
        Some(Entry::File) => read_file(&root.join(SIGNATURE_FILE)).ok(),
        _ => None,
    };

    // The manifest first: what cannot be parsed or was edited is itself a difference.
    let parsed = std::str::from_utf8(&manifest_bytes)
        .map_err(|e| e.to_string())
        .and_then(|text| Manifest::parse(manifest::FILE_NAME, text).map_err(|e| e.to_string()));
    let manifest = match parsed {
        Ok(m) => m,
        Err(why) => {
            v.changed.push((
                manifest::FILE_NAME.into(),
                format!(
                    "it no longer reads as a manifest: {why}; the files it lists cannot be checked"
                ),
            ));
            v.signature =
                check_signature(&manifest_bytes, signature_text.as_deref(), None, trusted);
            return Ok(v);
        }
    };
    if let Some(why) = manifest_edit(&manifest, &manifest_bytes) {
        v.changed.push((manifest::FILE_NAME.into(), why));
    }
    let info: Option<BundleInfo> = manifest
        .extra
        .get(EXTRA_KEY)
        .and_then(|b| serde_json::from_value(b.clone()).ok());
    if info.is_none() {
        v.inconsistent.push(format!(
            "{} has no readable `{EXTRA_KEY}` section: this is a snapshot manifest, not a bundle's",
            manifest::FILE_NAME
        ));
    }
    v.report_id = info.as_ref().map(|i| i.report_id.clone());
    v.signature = check_signature(
        &manifest_bytes,
        signature_text.as_deref(),
        info.as_ref().and_then(|i| i.signed_by.as_ref()),
        trusted,
    );

    // Every listed file, hashed again.
    v.listed = manifest.files.len();
    let mut listed: BTreeSet<&str> = BTreeSet::new();
    for f in &manifest.files {
        listed.insert(f.path.as_str());
        match on_disk.get(f.path.as_str()) {
            None => v.removed.push(f.path.clone()),
            Some(Entry::Other(what)) => v
                .changed
                .push((f.path.clone(), format!("it is now {what}"))),
            Some(Entry::File) => {
                let path = root.join(&f.path);
                let bytes = read_file(&path)?;
                let sha = sha256_hex(&bytes);
                if sha != f.sha256 || bytes.len() as u64 != f.size {
                    v.changed.push((
                        f.path.clone(),
                        format!(
                            "sha256 {} and {} bytes, the manifest lists {} and {} bytes",
                            short(&sha),
                            bytes.len(),
                            short(&f.sha256),
                            f.size
                        ),
                    ));
                }
            }
        }
    }
    for (path, entry) in &on_disk {
        let ours = path == manifest::FILE_NAME || path == SIGNATURE_FILE;
        if !ours && !listed.contains(path.as_str()) {
            v.added.push(match entry {
                Entry::File => path.clone(),
                Entry::Other(what) => format!("{path} ({what})"),
            });
        }
    }

    // Then what the files say about each other, for the files that are as listed.
    if let Some(info) = &info {
        let intact: BTreeSet<&str> = listed
            .iter()
            .copied()
            .filter(|p| !v.removed.iter().any(|r| r == p) && !v.changed.iter().any(|(c, _)| c == p))
            .collect();
        v.inconsistent.extend(cross_check(root, info, &intact));
    }
    v.changed.sort();
    v.removed.sort();
    v.added.sort();
    Ok(v)
}

/// A file of the bundle: only a regular file (a FIFO must not hang `verify`), of at most the
/// unpacking limit per file, whether the bundle is a directory or was unpacked.
fn read_file(path: &Path) -> Result<Vec<u8>, VerifyError> {
    input::read(path, Limits::default().max_file_bytes).map_err(|source| VerifyError::Input {
        path: path.to_path_buf(),
        source,
    })
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// Why the manifest is not as evidencer wrote it, if it is not: its bytes are not the
/// canonical form of what they say, or its digest of itself does not match.
fn manifest_edit(m: &Manifest, bytes: &[u8]) -> Option<String> {
    if m.to_json() != bytes {
        return Some("it is not laid out as evidencer writes it: it was edited".into());
    }
    let recorded = m.extra.get(SELF_DIGEST_KEY).and_then(|d| d.as_str());
    let mut without = m.clone();
    without.extra.remove(SELF_DIGEST_KEY);
    let actual = sha256_hex(&without.to_json());
    match recorded {
        None => Some(format!("it has no `{SELF_DIGEST_KEY}`")),
        Some(d) if d != actual => Some(format!(
            "its content does not match the {SELF_DIGEST_KEY} it records: it was edited"
        )),
        Some(_) => None,
    }
}

fn check_signature(
    manifest: &[u8],
    signature: Option<&[u8]>,
    named: Option<&KeyInfo>,
    trusted: Option<&(minisign::PublicKey, KeyInfo)>,
) -> SignatureState {
    let Some(signature) = signature else {
        return if trusted.is_some() || named.is_some() {
            SignatureState::Missing
        } else {
            SignatureState::Unsigned
        };
    };
    let Ok(text) = std::str::from_utf8(signature) else {
        return SignatureState::Invalid(format!("{SIGNATURE_FILE} is not text"));
    };
    match (trusted, named) {
        (Some((pk, info)), _) => match sign::check(pk, manifest, text) {
            Ok(()) => SignatureState::Trusted {
                key_id: info.key_id.clone(),
            },
            Err(why) => SignatureState::Invalid(match sign::signature_key_id(text) {
                Some(id) if id != info.key_id => format!(
                    "{SIGNATURE_FILE} was made with key {id}, not with the key given ({})",
                    info.key_id
                ),
                _ => format!("{SIGNATURE_FILE} does not verify with the key given: {why}"),
            }),
        },
        (None, Some(info)) => match sign::public_from_info(info) {
            Ok(pk) => match sign::check(&pk, manifest, text) {
                Ok(()) => SignatureState::SelfConsistent {
                    key_id: info.key_id.clone(),
                },
                Err(why) => SignatureState::Invalid(format!(
                    "{SIGNATURE_FILE} does not verify with the key the manifest names ({}): {why}",
                    info.key_id
                )),
            },
            Err(why) => SignatureState::Invalid(format!(
                "the signer's key in the manifest cannot be read: {why}"
            )),
        },
        (None, None) => SignatureState::Invalid(format!(
            "{SIGNATURE_FILE} is present but the manifest names no signer; pass --pubkey to check it"
        )),
    }
}

/// Objects hash to their records, files to theirs, report.json to the report id.
fn cross_check(root: &Path, info: &BundleInfo, intact: &BTreeSet<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let report_path = info
        .reports
        .iter()
        .find(|p| p.ends_with("/report.json"))
        .cloned()
        .unwrap_or_else(|| "reports/report.json".into());
    if !intact.contains(report_path.as_str()) {
        return out;
    }
    let Ok(report_bytes) = read_file(&root.join(&report_path)) else {
        return out;
    };
    if sha256_hex(&report_bytes) != info.report_id {
        out.push(format!(
            "{report_path} does not hash to the report id {} the manifest gives",
            info.report_id
        ));
    }
    let records: HashMap<String, String> =
        serde_json::from_slice::<serde_json::Value>(&report_bytes)
            .ok()
            .and_then(|r| r.get("evidence").and_then(|e| e.as_array()).cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|r| {
                Some((
                    r.get("id")?.as_str()?.to_string(),
                    r.get("sha256")?.as_str()?.to_string(),
                ))
            })
            .collect();
    for entry in &info.evidence {
        let path = entry.path();
        if !intact.contains(path) {
            continue;
        }
        let Ok(bytes) = read_file(&root.join(path)) else {
            continue;
        };
        match entry {
            EvidenceFile::Objects { records: ids, .. } => {
                let items = serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| v.get("items").and_then(|i| i.as_array()).cloned());
                let Some(items) = items else {
                    out.push(format!("{path} is not a List of objects"));
                    continue;
                };
                if items.len() != ids.len() {
                    out.push(format!(
                        "{path} holds {} object(s), the manifest names {} record(s)",
                        items.len(),
                        ids.len()
                    ));
                    continue;
                }
                for (i, (item, id)) in items.iter().zip(ids).enumerate() {
                    let mut canonical = Vec::new();
                    crate::evidence::object::canonical_json(item, &mut canonical);
                    match records.get(id) {
                        None => out.push(format!(
                            "{path} item {i}: its record {id} is not in {report_path}"
                        )),
                        Some(sha) if *sha != sha256_hex(&canonical) => out.push(format!(
                            "{path} item {i} does not hash to the sha256 of its record {id}"
                        )),
                        Some(_) => {}
                    }
                }
            }
            EvidenceFile::File { record, .. } => match records.get(record) {
                Some(sha) if *sha != sha256_hex(&bytes) => out.push(format!(
                    "{path} does not hash to the sha256 of its record {record}"
                )),
                _ => {}
            },
        }
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
enum Entry {
    File,
    /// Not a regular file: what it is. Never followed.
    Other(&'static str),
}

/// Every entry below `root` that is not a directory, by `/`-separated relative path.
fn list_files(root: &Path) -> std::io::Result<BTreeMap<String, Entry>> {
    let walked = manifest::walk(root)?;
    Ok(walked
        .into_iter()
        .filter_map(|(path, found)| {
            let entry = match found {
                manifest::Entry::Dir => return None,
                manifest::Entry::File => Entry::File,
                manifest::Entry::Symlink => Entry::Other("a symbolic link, not followed"),
                manifest::Entry::Special => Entry::Other("not a regular file"),
            };
            Some((path, entry))
        })
        .collect())
}
