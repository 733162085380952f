//! Attestations: documents that show what configuration cannot, such as a documented
//! process or a plan, attached to the controls whose questions ask for one.
//!
//! Takes the `attestations:` setting (entries in the config file, or a file given with
//! `--attestations FILE` or `attestations: FILE`), the ids of the catalogs' controls and the as-of day, and gives
//! [`Attested`]: each entry validated ([`load`]), its document read and hashed, and the
//! evidence the rest of the run needs: a source, one evidence record per attestation, and
//! the report's list ([`AttestationEntry`]). The check [`CHECK_ID`] (`documented-process`,
//! in [`crate::checks`]) turns each attestation into a finding for its control: `pass` while
//! current, `fail` once past its review date; the roll-up ([`crate::assess::rollup`]) uses it as a
//! pseudo-check. Documents are copied into the evidence bundle under `attestations/`.
//!
//! Validation stops the run before anything is collected or written: an unknown key, an
//! unknown control (with the closest id), a document that cannot be read, a sha256 that
//! does not match it, an approval date that is malformed or after the as-of date, a review
//! interval out of range and a duplicate id are errors with the file and line. A `url`
//! (with its `sha256`) is recorded as given and marked unverified: no network is assumed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_saphyr::Spanned;

use crate::base::text::closest;
use crate::evidence::attestation::{Attestation, AttestationsFile, Attested, locator, source_id};
use crate::evidence::record::{evidence_id, sha256_hex};

/// `review-interval-days`: a day to ten years.
pub const REVIEW_DAYS: std::ops::RangeInclusive<u64> = 1..=3650;

/// The `attestations:` setting: a file of them, or the entries written in the config file.
#[derive(Clone, Debug, PartialEq)]
pub enum AttestationsSetting {
    /// A YAML file with an `attestations:` list.
    File(PathBuf),
    /// Entries in the config file `file`, which their documents are relative to.
    Inline {
        file: PathBuf,
        entries: Vec<Spanned<EntryDoc>>,
    },
}

impl<'de> Deserialize<'de> for AttestationsSetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AttestationsSetting;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of attestations, or the path of a file of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(AttestationsSetting::File(PathBuf::from(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(e) = seq.next_element::<Spanned<EntryDoc>>()? {
                    entries.push(e);
                }
                Ok(AttestationsSetting::Inline {
                    file: PathBuf::new(),
                    entries,
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for AttestationsSetting {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AttestationsSetting::File(path) => path.serialize(s),
            AttestationsSetting::Inline { entries, .. } => entries.serialize(s),
        }
    }
}

/// One entry as written.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EntryDoc {
    id: Spanned<String>,
    control: Spanned<String>,
    title: Spanned<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    document: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sha256: Option<Spanned<String>>,
    owner: Spanned<String>,
    approved: Spanned<String>,
    review_interval_days: Spanned<i64>,
}

/// A file of attestations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    attestations: Vec<Spanned<EntryDoc>>,
}

/// Why attestations could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AttestationError {
    #[error("cannot read attestations file {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: crate::base::input::InputError,
    },
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: u64,
        column: u64,
        message: String,
    },
}

/// Reads and validates the attestations of `setting` against the catalogs' `controls`
/// (their ids), as of `day`.
/// Files over `limit` bytes (the attestations file, each document) are refused.
pub fn load(
    setting: &AttestationsSetting,
    controls: &[&str],
    day: NaiveDate,
    limit: u64,
) -> Result<Attested, AttestationError> {
    let (path, text) = match setting {
        AttestationsSetting::File(path) | AttestationsSetting::Inline { file: path, .. } => {
            let text =
                crate::base::input::read(path, limit).map_err(|source| AttestationError::Read {
                    path: path.clone(),
                    source,
                })?;
            (path, text)
        }
    };
    let shown = path.display().to_string();
    let entries = match setting {
        AttestationsSetting::Inline { entries, .. } => entries.clone(),
        AttestationsSetting::File(_) => {
            let text = String::from_utf8_lossy(&text);
            let doc: FileDoc = crate::base::yaml::from_file_text(&text).map_err(|e| {
                AttestationError::Invalid {
                    file: shown.clone(),
                    line: e.line,
                    column: e.column,
                    message: e.message,
                }
            })?;
            doc.attestations
        }
    };
    let base = path.parent().unwrap_or(Path::new(""));
    let list = validate(&shown, base, &entries, controls, day, limit)?;
    Ok(Attested {
        list,
        file: Some(AttestationsFile {
            path: shown,
            sha256: sha256_hex(&text),
        }),
    })
}

/// Validates entries read from `file`; documents are read relative to `base`.
fn validate(
    file: &str,
    base: &Path,
    entries: &[Spanned<EntryDoc>],
    controls: &[&str],
    day: NaiveDate,
    limit: u64,
) -> Result<Vec<Attestation>, AttestationError> {
    let at = |loc: &serde_saphyr::Location, message: String| AttestationError::Invalid {
        file: file.to_string(),
        line: loc.line(),
        column: loc.column(),
        message,
    };
    let source = source_id(file);
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let e = &entry.value;
        let text = |field: &Spanned<String>, name: &str| {
            let value = field.value.trim();
            if value.is_empty() {
                Err(at(
                    &field.referenced,
                    format!("`{name}` is empty; every attestation needs one"),
                ))
            } else {
                Ok(value.to_string())
            }
        };
        let id = text(&e.id, "id")?;
        if let Some(first) = seen.insert(id.clone(), e.id.referenced.line()) {
            return Err(at(
                &e.id.referenced,
                format!(
                    "attestation id `{id}` is used twice (first at line {first}); ids must be unique"
                ),
            ));
        }
        let control = text(&e.control, "control")?;
        if !controls.contains(&control.as_str()) {
            let message = match closest(&control, controls.iter().copied()) {
                Some(near) => format!(
                    "attestation {id}: unknown control `{control}`; did you mean `{near}`? (`evidencer controls` lists them)"
                ),
                None => format!(
                    "attestation {id}: unknown control `{control}` (`evidencer controls` lists the ids)"
                ),
            };
            return Err(at(&e.control.referenced, message));
        }
        let given_sha = match &e.sha256 {
            Some(s) => {
                let hex = s.value.trim().to_ascii_lowercase();
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(at(
                        &s.referenced,
                        format!("attestation {id}: `sha256` must be 64 hexadecimal digits"),
                    ));
                }
                Some((hex, &s.referenced))
            }
            None => None,
        };
        let (document, bytes, sha256, verified) = match (&e.document, &e.url) {
            (Some(_), Some(url)) => {
                return Err(at(
                    &url.referenced,
                    format!(
                        "attestation {id}: give `document` (a file) or `url` (with its `sha256`), not both"
                    ),
                ));
            }
            (None, None) => {
                return Err(at(
                    &entry.referenced,
                    format!(
                        "attestation {id}: name the document: `document` (a file, relative to {file}) or `url` with its `sha256`"
                    ),
                ));
            }
            (Some(doc), None) => {
                let written = text(doc, "document")?;
                let path = base.join(&written);
                let bytes = crate::base::input::read(&path, limit).map_err(|err| {
                    at(
                        &doc.referenced,
                        format!(
                            "attestation {id}: document `{written}` cannot be read ({}): {err}; paths are relative to {file}",
                            path.display()
                        ),
                    )
                })?;
                let sha = sha256_hex(&bytes);
                if let Some((given, loc)) = &given_sha
                    && *given != sha
                {
                    return Err(at(
                        loc,
                        format!(
                            "attestation {id}: document `{written}` has sha256 {sha}, not the {given} given: the document changed since it was approved, or the hash is wrong"
                        ),
                    ));
                }
                (written, Some(Arc::<[u8]>::from(bytes)), sha, true)
            }
            (None, Some(url)) => {
                let written = text(url, "url")?;
                let Some((sha, _)) = given_sha else {
                    return Err(at(
                        &url.referenced,
                        format!(
                            "attestation {id}: a `url` needs the `sha256` of the document it names (evidencer does not fetch it)"
                        ),
                    ));
                };
                (written, None, sha, false)
            }
        };
        let approved_text = e.approved.value.trim();
        let approved = NaiveDate::parse_from_str(approved_text, "%Y-%m-%d")
            .ok()
            .filter(|_| approved_text.len() == 10)
            .ok_or_else(|| {
                at(
                    &e.approved.referenced,
                    format!("attestation {id}: `approved: {approved_text}` is not a date; write YYYY-MM-DD (the day the document was approved)"),
                )
            })?;
        if approved > day {
            return Err(at(
                &e.approved.referenced,
                format!(
                    "attestation {id}: approved {approved}, after the as-of date {day}: a report cannot rest on a document approved after the day it speaks for"
                ),
            ));
        }
        let days = e.review_interval_days.value;
        let review_interval_days = u64::try_from(days)
            .ok()
            .filter(|d| REVIEW_DAYS.contains(d))
            .and_then(|d| u32::try_from(d).ok())
            .ok_or_else(|| {
                at(
                    &e.review_interval_days.referenced,
                    format!(
                        "attestation {id}: `review-interval-days: {days}` is out of range ({} to {})",
                        REVIEW_DAYS.start(),
                        REVIEW_DAYS.end()
                    ),
                )
            })?;
        let mut a = Attestation {
            title: text(&e.title, "title")?,
            owner: text(&e.owner, "owner")?,
            control,
            document,
            bytes,
            sha256,
            verified,
            approved,
            review_interval_days,
            file: file.to_string(),
            line: u32::try_from(entry.referenced.line()).unwrap_or(u32::MAX),
            evidence: String::new(),
            id,
        };
        a.evidence = evidence_id(&source, &locator(&a));
        out.push(a);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Control ids as the built-in catalogs name them.
    fn catalog() -> Vec<&'static str> {
        vec![
            "PR.PS-02.242",
            "PR.PS-02.242-related-2",
            "PR.PS-02.242-related-4",
            "PCI-10.2",
        ]
    }

    fn parse(text: &str) -> Vec<Spanned<EntryDoc>> {
        let doc: FileDoc = crate::base::yaml::from_file_text(text).unwrap();
        doc.attestations
    }

    const ENTRY: &str = "attestations:\n  - id: A\n    control: PR.PS-02.242-related-4\n    title: Plan\n    url: https://wiki.example.com/plan\n    sha256: 0000000000000000000000000000000000000000000000000000000000000000\n    owner: CISO\n    approved: 2026-01-31\n    review-interval-days: 30\n";

    #[test]
    fn a_document_is_current_through_its_review_day() {
        let day = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
        let list = validate(
            "a.yaml",
            Path::new(""),
            &parse(ENTRY),
            &catalog(),
            day,
            1 << 20,
        )
        .unwrap();
        let a = &list[0];
        assert_eq!(a.review_due().to_string(), "2026-03-02");
        assert!(a.is_current(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()));
        assert!(!a.is_current(NaiveDate::from_ymd_opt(2026, 3, 3).unwrap()));
        assert!(!a.verified);
        assert_eq!(a.line, 2);
        assert_eq!(a.file_name(), None);
    }

    #[test]
    fn the_setting_is_a_path_or_a_list() {
        #[derive(Deserialize)]
        struct Doc {
            attestations: AttestationsSetting,
        }
        let file: Doc = crate::base::yaml::from_file_text("attestations: att.yaml\n").unwrap();
        assert_eq!(
            file.attestations,
            AttestationsSetting::File("att.yaml".into())
        );
        let inline: Doc = crate::base::yaml::from_file_text(ENTRY).unwrap();
        let AttestationsSetting::Inline { entries, .. } = &inline.attestations else {
            panic!("inline entries");
        };
        assert_eq!(entries[0].referenced.line(), 2);
        assert_eq!(entries[0].value.owner.value, "CISO");
    }
}
