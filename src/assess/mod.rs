//! The mapper: findings and a catalog in, one verdict per control out. No I/O.
//!
//! For each control, the findings of its checks are gathered and rolled up by the rule of
//! [`crate::assess::rollup`] (written once there, printed by `evidencer rules`): per check a
//! result, per control a verdict, an answer and the step of the rule that decided. The
//! attestation pseudo-check [`crate::evidence::attestation::CHECK_ID`] joins a control's checks when
//! the control asks for a documented process or has a document attached; its findings are
//! matched to their control by the `control` detail. Exceptions: a `fail` or `warn` finding
//! covered by an accepted exception in force (see [`crate::assess::exceptions`]) keeps its status in
//! the report and in the counts, but the roll-up counts it as passing, and the control lists
//! the exceptions it relied on and its narrative cites them.

pub mod catalog;
pub mod exceptions;
pub mod narrative;
pub mod questionnaire;
pub mod rollup;

use std::collections::BTreeMap;

use serde::Serialize;

use self::rollup::CheckInput;
pub use self::rollup::{Answer, CheckStatus, Decision, Verdict};
use crate::assess::catalog::{Catalog, Control, ControlCheck, IdSource};
use crate::checks;
use crate::evidence::attestation;
use crate::evidence::finding::{Finding, Status};

/// Finding counts by status.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct StatusCounts {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub not_applicable: usize,
    pub error: usize,
    pub not_assessed: usize,
}

impl StatusCounts {
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Warn => self.warn += 1,
            Status::NotApplicable => self.not_applicable += 1,
            Status::Error => self.error += 1,
            Status::NotAssessed => self.not_assessed += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.warn + self.not_applicable + self.error + self.not_assessed
    }
}

/// One check's part in one control.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct CheckResult {
    #[serde(deserialize_with = "crate::base::interned::deserialize")]
    pub id: crate::base::interned::Str,
    #[serde(deserialize_with = "crate::base::interned::deserialize")]
    pub title: crate::base::interned::Str,
    pub status: CheckStatus,
    pub required: bool,
    pub critical: bool,
    pub supplementary: bool,
    pub counts: StatusCounts,
    /// Why the check was not assessed, or (when it warns because part of its scope was not
    /// seen) what was not.
    pub reason: Option<String>,
    /// Failing or warning findings covered by an accepted exception (also in `counts`
    /// under their own status); the roll-up counts them as passing.
    pub excepted: usize,
    /// The attestations that turn this check's failures into warnings for this control
    /// (`attestation-relaxes`); empty when none does.
    pub relaxed_by: Vec<String>,
    /// The evidence its findings cite, in a sentence for the narrative (see
    /// [`checks::Check::summary`]); not part of report.json.
    #[serde(skip)]
    pub summary: Option<String>,
}

impl CheckResult {
    fn input(&self) -> CheckInput<'_> {
        CheckInput {
            id: self.id,
            status: self.status,
            required: self.required,
            critical: self.critical,
            supplementary: self.supplementary,
            excepted: self.excepted,
            reason: self.reason.as_deref(),
        }
    }
}

/// The verdict on one control, with what it rests on.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ControlResult {
    pub id: String,
    /// Whether the source prints the id, or it is evidencer's own label.
    pub id_source: IdSource,
    /// The document the question is quoted from.
    pub source: String,
    /// The CSF 2.0 subcategory the question falls under (evidencer's mapping).
    pub csf_reference: Option<String>,
    pub catalog: String,
    pub title: String,
    pub question: String,
    pub explanation: String,
    pub asks_for_process: bool,
    pub verdict: Verdict,
    pub answer: Answer,
    /// The step of the roll-up rule that decided the verdict, and the checks it names.
    pub decision: Decision,
    /// The short answer statement a questionnaire takes (at most four sentences: the
    /// verdict, the decisive evidence, the main gap); the narrative holds the detail.
    pub statement: String,
    pub narrative: String,
    pub checks: Vec<CheckResult>,
    /// Ids of the findings of this control's checks that are not `not_applicable`.
    pub findings: Vec<String>,
    /// Ids of the exceptions that cover findings of this control, sorted.
    pub exceptions: Vec<String>,
    /// Ids of the attestations attached to this control, sorted.
    pub attestations: Vec<String>,
    /// In a fleet report: the clusters whose own verdict is this (the fleet's worst), in
    /// cluster order; absent in the report of one cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verdict_clusters: Vec<String>,
}

/// Maps findings onto every control of the catalog.
pub fn assess(findings: &[Finding], catalog: &Catalog) -> Vec<ControlResult> {
    let mut by_check: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_check.entry(f.check).or_default().push(f);
    }
    catalog
        .controls
        .iter()
        .map(|control| assess_control(control, &by_check))
        .collect()
}

fn assess_control(control: &Control, by_check: &BTreeMap<&str, Vec<&Finding>>) -> ControlResult {
    // The attestation pseudo-check: this control's documents only.
    let documents: Vec<&Finding> = by_check
        .get(attestation::CHECK_ID)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .copied()
        .filter(|f| attestation::finding_control(f) == Some(control.id.as_str()))
        .collect();
    let current: Vec<String> = documents
        .iter()
        .filter(|f| f.status == Status::Pass)
        .map(|f| f.subject.name.clone())
        .collect();
    let mut refs: Vec<ControlCheck> = control.checks.clone();
    if control.asks_for_process || !documents.is_empty() {
        refs.push(ControlCheck {
            id: attestation::CHECK_ID,
            required: control.asks_for_process,
            critical: false,
            supplementary: !control.asks_for_process,
        });
    }
    let mut own: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    let mut checks_out = Vec::with_capacity(refs.len());
    let mut finding_ids = Vec::new();
    let mut exceptions = std::collections::BTreeSet::new();
    for r in &refs {
        let findings: Vec<&Finding> = if r.id == attestation::CHECK_ID {
            documents.clone()
        } else {
            by_check.get(r.id).cloned().unwrap_or_default()
        };
        let mut counts = StatusCounts::default();
        let mut excepted = 0;
        for f in &findings {
            counts.add(f.status);
            if f.status != Status::NotApplicable {
                finding_ids.push(f.id.clone());
            }
            if f.is_excepted() {
                excepted += 1;
                exceptions.extend(f.exception.as_ref().map(|e| e.id.clone()));
            }
        }
        let relaxed_by = if control.attestation_relaxes.contains(&r.id) && counts.fail > 0 {
            current.clone()
        } else {
            Vec::new()
        };
        let status = rollup::check_status(&findings, !relaxed_by.is_empty());
        let reason = match status {
            CheckStatus::NotAssessed if r.id == attestation::CHECK_ID => {
                Some(narrative::no_document_attached())
            }
            CheckStatus::NotAssessed => Some(narrative::not_assessed_reason(&findings)),
            CheckStatus::Warn if counts.not_assessed > 0 && counts.pass > 0 => {
                Some(narrative::partly_unseen(&findings))
            }
            _ => None,
        };
        let check = checks::find(r.id).expect("catalog validated check ids");
        let meta = check.meta();
        let summary = status
            .is_assessed()
            .then(|| check.summary(&findings))
            .flatten();
        checks_out.push(CheckResult {
            id: meta.id,
            title: meta.title,
            status,
            required: r.required,
            critical: r.critical,
            supplementary: r.supplementary,
            counts,
            reason,
            excepted,
            relaxed_by,
            summary,
        });
        own.insert(meta.id, findings);
    }
    let inputs: Vec<CheckInput> = checks_out.iter().map(CheckResult::input).collect();
    let decision = rollup::decide(&inputs, control.asks_for_process);
    let opening = decision.sentence(&control.id, &inputs, |id| {
        let title = checks::find(id).map_or(id, |c| c.meta().title);
        format!("{title} ({id})")
    });
    let statement = narrative::control_statement(&opening, &checks_out, &own);
    let narrative = narrative::control_narrative(&opening, &checks_out, &own);
    let mut attached: Vec<String> = documents.iter().map(|f| f.subject.name.clone()).collect();
    attached.sort();
    attached.dedup();
    ControlResult {
        id: control.id.clone(),
        id_source: control.id_source,
        source: control.source.clone(),
        csf_reference: control.csf_reference.clone(),
        catalog: control.catalog.clone(),
        title: control.title.clone(),
        question: control.question.clone(),
        explanation: control.explanation.clone(),
        asks_for_process: control.asks_for_process,
        verdict: decision.verdict,
        answer: decision.verdict.answer(),
        decision,
        statement,
        narrative,
        checks: checks_out,
        findings: finding_ids,
        exceptions: exceptions.into_iter().collect(),
        attestations: attached,
        verdict_clusters: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::finding::{Severity, Subject};

    fn finding(check: &'static str, status: Status, name: &str) -> Finding {
        let mut f = Finding::new(
            check,
            Severity::Medium,
            status,
            Subject {
                kind: "Node".into(),
                name: name.into(),
                ..Subject::default()
            },
            "m",
        );
        f.id = format!("{check}-{name}");
        f
    }

    fn document(control: &str, status: Status) -> Finding {
        finding(attestation::CHECK_ID, status, &format!("ATT-{control}")).detail("control", control)
    }

    #[test]
    fn documents_count_for_their_own_control_and_relax_what_it_allows() {
        let catalog = Catalog::load(true, &[], 1 << 20).unwrap();
        let findings = vec![
            finding("node-kernel-current", Status::Fail, "a"),
            finding("node-kernel-current", Status::Pass, "b"),
            finding("node-recently-replaced", Status::Pass, "a"),
            finding("container-runtime-supported", Status::Pass, "a"),
            document("PCI-10.2", Status::Pass),
        ];
        let results = assess(&findings, &catalog);
        let get = |id: &str| results.iter().find(|c| c.id == id).unwrap();
        let pci = get("PCI-10.2");
        let kernel = pci
            .checks
            .iter()
            .find(|k| k.id == "node-kernel-current")
            .unwrap();
        assert_eq!(kernel.status, CheckStatus::Warn);
        assert_eq!(kernel.relaxed_by, ["ATT-PCI-10.2"]);
        let doc = pci
            .checks
            .iter()
            .find(|k| k.id == attestation::CHECK_ID)
            .unwrap();
        assert!(doc.supplementary && !doc.required);
        assert_eq!(pci.attestations, ["ATT-PCI-10.2"]);
        assert_eq!(pci.verdict, Verdict::PartiallySatisfied);
        // Another control without a document and without a process question has no
        // pseudo-check; one with a process question has it, not assessed.
        assert!(
            get("PCI-10.1")
                .checks
                .iter()
                .all(|k| k.id != attestation::CHECK_ID)
        );
        let plan = get("PR.PS-02.242-related-4");
        let doc = plan
            .checks
            .iter()
            .find(|k| k.id == attestation::CHECK_ID)
            .unwrap();
        assert_eq!(doc.status, CheckStatus::NotAssessed);
        assert_eq!(doc.reason.as_deref(), Some("no document attached"));
        assert_eq!(
            (plan.verdict, plan.decision.step),
            (Verdict::NotAssessed, 2)
        );

        // Without the document, the kernel failure fails.
        let results = assess(&findings[..4], &catalog);
        let pci = results.iter().find(|c| c.id == "PCI-10.2").unwrap();
        let kernel = pci
            .checks
            .iter()
            .find(|k| k.id == "node-kernel-current")
            .unwrap();
        assert_eq!(kernel.status, CheckStatus::Fail);
        assert!(kernel.relaxed_by.is_empty());
    }
}
