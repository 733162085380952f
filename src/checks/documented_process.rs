//! `documented-process`: the attestation pseudo-check. Each attestation (see
//! [`crate::attestations`]) gives one finding for the control it is attached to: `pass`
//! while the document is current, `fail` once it is past its review date. The roll-up adds
//! this check to every control that asks for a documented process, and to any control a
//! document is attached to. Its wording lives here, beside it.

use std::fmt::Write;

use chrono::NaiveDate;

use super::{Check, CheckContext, CheckMeta};
use crate::evidence::attestation::Attestation;
use crate::evidence::finding::{Finding, Status, Subject};

crate::declare_check! {
    /// ## What it checks
    /// A document attached to the control as an attestation (`attestations:` in
    /// evidencer.yaml, or `--attestations FILE`) is current on the as-of date: approved on
    /// or before it, and not past its review date (approved plus `review-interval-days`).
    /// One finding per attestation: `pass` when current, `fail` when past its review date.
    /// Controls whose question asks for a documented process (`asks-for-process` in the
    /// catalog) cannot be answered without a current one; on other controls a document
    /// counts beside the technical evidence.
    ///
    /// ## Why it matters
    /// Some questions ask whether a process is documented: reviewing default settings when
    /// software is installed or upgraded, patch timeframes in a vulnerability management
    /// plan. Configuration cannot show that such a document exists or is kept up to date;
    /// the document itself can, and an auditor asks for it. A document past its review
    /// date no longer shows that the process is current.
    ///
    /// ## Evidence used
    /// The attested document: its file, read and hashed (sha256) and copied into the
    /// evidence bundle under `attestations/`, or a URL recorded with the sha256 given and
    /// marked unverified; its title, owner, approval date and review interval as the
    /// attestation states them.
    ///
    /// ## Example
    /// ```yaml
    /// attestations:
    ///   - id: ATT-VMP-2026
    ///     control: PR.PS-02.242-related-4
    ///     title: Vulnerability management plan
    ///     document: docs/vulnerability-management-plan.md
    ///     owner: Dana Whitfield (Head of Platform Security)
    ///     approved: 2026-03-02
    ///     review-interval-days: 365
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242 and its related questions 2 and 4
    /// - OSCAL assessment results: attested (manual) evidence
    pub struct DocumentedProcess {
        id: "documented-process",
        title: "A current, approved document describes the process",
        severity: Medium,
    }
}

impl Check for DocumentedProcess {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        let day = ctx.settings.as_of.date_naive();
        ctx.settings
            .attestations
            .iter()
            .map(|a| {
                let current = a.is_current(day);
                let status = if current { Status::Pass } else { Status::Fail };
                Finding::new(
                    meta.id,
                    meta.severity,
                    status,
                    Subject {
                        kind: "Attestation".into(),
                        name: a.id.clone(),
                        source: crate::evidence::attestation::source_id(&a.file),
                        path: Some(a.file.clone()),
                        line: Some(a.line),
                        ..Subject::default()
                    },
                    judgement(a, day),
                )
                .detail("control", a.control.clone())
                .detail("document", a.document.clone())
                .detail("sha256", a.sha256.clone())
                .detail("verified", a.verified)
                .detail("owner", a.owner.clone())
                .detail("approved", a.approved.to_string())
                .detail("review_due", a.review_due().to_string())
                .detail("title", a.title.clone())
                .evidence([a.evidence.clone()])
            })
            .collect()
    }

    /// Cites each document by title, file or URL, sha256, owner, approval and review dates.
    fn summary(&self, findings: &[&Finding]) -> Option<String> {
        let cited: Vec<String> = findings.iter().filter_map(|f| citation(f)).collect();
        (!cited.is_empty()).then(|| format!("Documents: {}.", cited.join("; ")))
    }
}

/// The finding's message.
fn judgement(a: &Attestation, day: NaiveDate) -> String {
    let due = a.review_due();
    if a.is_current(day) {
        format!(
            "\u{201c}{}\u{201d} ({}), owned by {}, approved {}, review due {due}: current on {day}",
            a.title, a.document, a.owner, a.approved
        )
    } else {
        format!(
            "\u{201c}{}\u{201d} ({}), owned by {}, approved {}: its review was due {due}, {} \
             day(s) before {day}, so the documented process is not shown to be current; review \
             and re-approve it",
            a.title,
            a.document,
            a.owner,
            a.approved,
            (day - due).num_days()
        )
    }
}

/// One document as a narrative cites it, from its finding's details.
fn citation(f: &Finding) -> Option<String> {
    let get = |k: &str| f.details.get(k).and_then(|v| v.as_str());
    let verified = f.details.get("verified").and_then(|v| v.as_bool()) == Some(true);
    let mut s = format!(
        "{} \u{201c}{}\u{201d} ({}, sha256 {}{}), owner {}, approved {}",
        f.subject.name,
        get("title")?,
        get("document")?,
        get("sha256")?,
        if verified {
            ""
        } else {
            ", not verified: a URL is recorded as given, never fetched"
        },
        get("owner")?,
        get("approved")?,
    );
    let due = get("review_due")?;
    let _ = match f.status {
        Status::Pass => write!(s, ", review due {due}"),
        _ => write!(s, ", review was due {due} and is past"),
    };
    Some(s)
}
