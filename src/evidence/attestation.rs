//! Attested documents as evidence: an [`Attestation`] (validated, its document hashed), the
//! [`Attested`] set a run holds, and the report's [`AttestationEntry`]. The reading and
//! validation of the `attestations:` setting is in [`crate::collect::attestations`]; the
//! check [`CHECK_ID`] turns each attestation into a finding for its control.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use crate::evidence::finding::Finding;
use crate::evidence::inventory::Inventory;
use crate::evidence::record::{EvidenceKind, EvidenceRecord, Source, SourceKind};

/// The id of the pseudo-check an attestation gives evidence to.
pub const CHECK_ID: &str = "documented-process";

/// One attestation, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attestation {
    pub id: String,
    pub control: String,
    pub title: String,
    /// The document as the entry names it (a path relative to its file, or a URL).
    pub document: String,
    /// The document's bytes, when it is a file (it goes into the bundle).
    pub bytes: Option<Arc<[u8]>>,
    /// Its sha256: computed from the file, or as given with a URL.
    pub sha256: String,
    /// True when evidencer hashed the document itself; false for a URL.
    pub verified: bool,
    pub owner: String,
    pub approved: NaiveDate,
    pub review_interval_days: u32,
    /// The file that defines it and the line of its entry.
    pub file: String,
    pub line: u32,
    /// The id of its evidence record.
    pub evidence: String,
}

impl Attestation {
    /// The last day the document counts as current: approved plus the review interval.
    pub fn review_due(&self) -> NaiveDate {
        self.approved + chrono::Days::new(self.review_interval_days.into())
    }

    /// Current on `day`: not past its review date.
    pub fn is_current(&self, day: NaiveDate) -> bool {
        day <= self.review_due()
    }

    /// The name of its copy in the evidence bundle: the document's file name.
    pub fn file_name(&self) -> Option<&str> {
        self.bytes.as_ref()?;
        Path::new(&self.document).file_name()?.to_str()
    }
}

/// Everything a run takes from its attestations.
#[derive(Clone, Debug, Default)]
pub struct Attested {
    pub list: Vec<Attestation>,
    /// The file they were read from, with its sha256, for the report's provenance.
    pub file: Option<AttestationsFile>,
}

/// The file attestations were read from (the config file, for entries written there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestationsFile {
    pub path: String,
    pub sha256: String,
}

/// One attestation as `report.json` lists it.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct AttestationEntry {
    pub id: String,
    pub control: String,
    pub title: String,
    /// The document's path as the entry names it, or its URL.
    pub document: String,
    pub sha256: String,
    /// False when the document is a URL: its sha256 is recorded as given, not checked.
    pub verified: bool,
    pub owner: String,
    pub approved: String,
    pub review_interval_days: u32,
    pub review_due: String,
    /// `current` or `past_review` on the as-of date.
    #[serde(deserialize_with = "crate::base::interned::deserialize")]
    pub status: crate::base::interned::Str,
    /// `file:line` of its entry.
    pub defined_at: String,
    /// The id of its evidence record.
    pub evidence: String,
}

impl Attested {
    /// The source all attestations share.
    pub fn source_id(&self) -> String {
        source_id(self.file.as_ref().map_or("", |f| f.path.as_str()))
    }

    /// Their source and evidence records, as an inventory the collectors' is merged into.
    pub fn inventory(&self) -> Inventory {
        let mut inventory = Inventory::default();
        let Some(file) = &self.file else {
            return inventory;
        };
        let id = self.source_id();
        inventory.sources.push(Source {
            id: id.clone(),
            kind: SourceKind::Attestations,
            location: file.path.clone(),
            identity: "attestations".into(),
            details: BTreeMap::from([("attestations".into(), self.list.len().to_string())]),
        });
        inventory.records = self
            .list
            .iter()
            .map(|a| EvidenceRecord {
                managers: None,
                id: a.evidence.clone(),
                source: id.clone(),
                kind: EvidenceKind::File,
                locator: locator(a),
                sha256: a.sha256.clone(),
                collected_at: None,
                time: None,
                describes: format!(
                    "Attestation {} for {}: \u{201c}{}\u{201d}",
                    a.id, a.control, a.title
                ),
            })
            .collect();
        inventory
    }

    /// The report's list, judged on `day`.
    pub fn entries(&self, day: NaiveDate) -> Vec<AttestationEntry> {
        self.list
            .iter()
            .map(|a| AttestationEntry {
                id: a.id.clone(),
                control: a.control.clone(),
                title: a.title.clone(),
                document: a.document.clone(),
                sha256: a.sha256.clone(),
                verified: a.verified,
                owner: a.owner.clone(),
                approved: a.approved.to_string(),
                review_interval_days: a.review_interval_days,
                review_due: a.review_due().to_string(),
                status: if a.is_current(day) {
                    "current"
                } else {
                    "past_review"
                },
                defined_at: format!("{}:{}", a.file, a.line),
                evidence: a.evidence.clone(),
            })
            .collect()
    }
}

/// The source id of the attestations read from `file`.
pub fn source_id(file: &str) -> String {
    format!("attestations:{file}")
}

/// `attestation:<id>:<document>`.
pub fn locator(a: &Attestation) -> String {
    format!("attestation:{}:{}", a.id, a.document)
}

/// The control an attestation finding speaks for.
pub fn finding_control(f: &Finding) -> Option<&str> {
    (f.check == CHECK_ID)
        .then(|| f.details.get("control").and_then(|v| v.as_str()))
        .flatten()
}
