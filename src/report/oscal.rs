//! OSCAL assessment results: `assessment-results.json` and the `assessment-plan.json` it
//! imports, for GRC tools that load OSCAL rather than report.json.
//!
//! Takes the [`Report`], its id, the `--oscal-ssp` reference and, when a bundle is written, where
//! the bundle puts each evidence record; gives the two files' bytes (OSCAL
//! [`OSCAL_VERSION`], JSON). The results hold one `result` for the run: its period, the
//! controls reviewed, an `observation` per evidence record the controls' findings cite, a
//! `finding` per control whose target status is OSCAL's two-valued one (`satisfied` for
//! satisfied and satisfied_with_exceptions, `not-satisfied` for the rest; the verdict is kept
//! as a prop), and a `risk` with status `deviation-approved` per failing or warning finding
//! under an accepted exception. The plan is the minimum OSCAL requires the results to import:
//! the same controls, evidencer as the assessment platform, and `import-ssp` naming the
//! system security plan (a placeholder when none is given).
//!
//! Everything is derived from the report: UUIDs are version-5 UUIDs of the report id and a
//! stable key of the object (the control id, the evidence record id, the finding id), so
//! the same input and `--as-of` give the same bytes, and control ids that are not OSCAL
//! tokens are mapped to tokens by [`control_token`]. evidencer's own props carry the
//! namespace [`NAMESPACE`]. Pure.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use uuid::Uuid;

use super::Report;
use crate::assess::Verdict;
use crate::evidence::finding::Finding;
use crate::evidence::record::{EvidenceRecord, SourceKind, short_hash};

/// The file the assessment results are written to.
pub const RESULTS_FILE_NAME: &str = "assessment-results.json";

/// The file the assessment plan is written to, beside the results (which import it by this
/// relative name).
pub const PLAN_FILE_NAME: &str = "assessment-plan.json";

/// The OSCAL version written: the one compliance-trestle 5.x's models load.
pub const OSCAL_VERSION: &str = "1.2.1";

/// The namespace of evidencer's own props (OSCAL reserves props without a namespace for
/// the names it defines). A URN: evidencer has no web address of its own to put there.
pub const NAMESPACE: &str = "urn:evidencer:oscal";

/// `import-ssp` when `--oscal-ssp` is not given: the assessment plan must name a system
/// security plan, and evidencer does not know it. Replace it with your SSP's location.
pub const PLACEHOLDER_SSP: &str = "urn:evidencer:oscal:placeholder-ssp";

/// The findings of a record an observation lists; the rest are counted.
const FINDINGS_LISTED: usize = 20;

/// What [`render`] needs besides the report.
pub struct OscalInput<'a> {
    pub report: &'a Report,
    /// The sha256 of `report.json`.
    pub report_id: &'a str,
    /// `--oscal-ssp`: where the system security plan is.
    pub ssp: Option<&'a str>,
    /// `--org`: the organisation assessed.
    pub org: Option<&'a str>,
    /// With a bundle: evidence record id to the path of its file in the bundle; empty
    /// without one.
    pub bundle_paths: &'a BTreeMap<String, String>,
}

/// The two documents' bytes.
pub struct Oscal {
    pub results: Vec<u8>,
    pub plan: Vec<u8>,
}

/// Renders `assessment-results.json` and `assessment-plan.json`.
pub fn render(input: &OscalInput) -> Oscal {
    let ids = Ids::new(input.report_id);
    let report = input.report;
    let tool = ids.stable("component", "evidencer");
    let reviewed = reviewed_controls(report);
    let metadata = |title: String| metadata(input, &ids, title);
    let label = &report.stated_period.label;
    let plan = PlanDocument {
        assessment_plan: AssessmentPlan {
            uuid: ids.of("assessment-plan", ""),
            metadata: metadata(format!("evidencer assessment plan, {label}")),
            import_ssp: match input.ssp {
                Some(href) => Import {
                    href: href.trim().to_string(),
                    remarks: None,
                },
                None => Import {
                    href: PLACEHOLDER_SSP.to_string(),
                    remarks: Some(
                        "A placeholder: evidencer was not told where the system security plan is \
                         (--oscal-ssp). Replace this href with the location of your SSP."
                            .to_string(),
                    ),
                },
            },
            reviewed_controls: reviewed.clone(),
            assessment_assets: AssessmentAssets {
                components: vec![Component {
                    uuid: tool.clone(),
                    kind: "software",
                    title: "evidencer".to_string(),
                    description: "Collects evidence that containers are replaced, never patched \
                                  in place (cluster snapshots and live reads, Git history, \
                                  scanner results, audit logs), checks it and maps it to \
                                  controls."
                        .to_string(),
                    props: props([("version", report.tool.version.to_string())]),
                    status: ComponentStatus {
                        state: "operational",
                    },
                }],
                assessment_platforms: vec![Platform {
                    uuid: ids.stable("assessment-platform", "evidencer"),
                    title: "evidencer".to_string(),
                    uses_components: vec![UsesComponent {
                        component_uuid: tool.clone(),
                    }],
                }],
            },
        },
    };
    let results = ResultsDocument {
        assessment_results: AssessmentResults {
            uuid: ids.of("assessment-results", ""),
            metadata: metadata(format!("evidencer assessment results, {label}")),
            import_ap: Import {
                href: PLAN_FILE_NAME.to_string(),
                remarks: None,
            },
            results: vec![result(input, &ids, &tool, reviewed)],
        },
    };
    Oscal {
        results: to_json(&results),
        plan: to_json(&plan),
    }
}

/// Pretty JSON with a trailing newline; DEL, C1 and bidi characters as `\u` escapes, as in
/// report.json.
fn to_json(doc: &impl Serialize) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(doc).expect("an OSCAL document serializes");
    if let std::borrow::Cow::Owned(safe) = crate::base::text::escape_json_invisibles(&out) {
        out = safe;
    }
    out.push(b'\n');
    out
}

/// UUIDs of the objects of one report: version 5, in a namespace of evidencer's.
struct Ids {
    namespace: Uuid,
    report_id: String,
}

impl Ids {
    fn new(report_id: &str) -> Ids {
        Ids {
            namespace: Uuid::new_v5(&Uuid::NAMESPACE_URL, NAMESPACE.as_bytes()),
            report_id: report_id.to_string(),
        }
    }

    /// The UUID of the object of `kind` with `key` in this report: another report (other
    /// input, another as-of) gives it another UUID, the same report the same.
    fn of(&self, kind: &str, key: &str) -> String {
        let name = format!("{}\n{kind}\n{key}", self.report_id);
        Uuid::new_v5(&self.namespace, name.as_bytes()).to_string()
    }

    /// The UUID of something that is the same in every report (evidencer itself).
    fn stable(&self, kind: &str, key: &str) -> String {
        Uuid::new_v5(&self.namespace, format!("{kind}\n{key}").as_bytes()).to_string()
    }
}

fn metadata(input: &OscalInput, ids: &Ids, title: String) -> Metadata {
    let report = input.report;
    let parties = input
        .org
        .map(one_line)
        .filter(|o| !o.is_empty())
        .map(|name| {
            vec![Party {
                uuid: ids.stable("party", &name),
                kind: "organization",
                name,
            }]
        })
        .unwrap_or_default();
    Metadata {
        title: one_line(&title),
        published: report.as_of.clone(),
        last_modified: report.as_of.clone(),
        // The report id tells one revision from every other: any change of input, catalog
        // or as-of changes it.
        version: input.report_id.to_string(),
        oscal_version: OSCAL_VERSION,
        props: props([
            ("report-id", input.report_id.to_string()),
            ("tool", report.tool.name.to_string()),
            ("tool-version", report.tool.version.to_string()),
            ("as-of", report.as_of.clone()),
            ("period", report.stated_period.label.clone()),
            ("period-kind", period_kind(report).to_string()),
            ("scope", report.scope_line()),
        ]),
        parties,
    }
}

fn period_kind(report: &Report) -> &'static str {
    match report.period_kind {
        super::PeriodKind::Period => "period",
        super::PeriodKind::PointInTime => "point_in_time",
    }
}

/// A control id as an OSCAL token (a letter or `_` first, then letters, digits, `-`, `.`,
/// `_`): unchanged when it is one (`PR.PS-02.242`, `PCI-10.1`); else every other character
/// becomes `_`, a leading digit, `-` or `.` gets a `_` before it, and `_` and the first 8 hex
/// digits of the sha256 of the original id are appended, so two ids that differ stay apart
/// (`6.3.3` gives `_6.3.3_` and its hash).
pub fn control_token(id: &str) -> String {
    if is_token(id) {
        return id.to_string();
    }
    let mut out: String = id
        .chars()
        .map(|c| if is_name_char(c) { c } else { '_' })
        .collect();
    if !out.chars().next().is_some_and(is_name_start) {
        out.insert(0, '_');
    }
    out.push('_');
    out.push_str(&short_hash(&[id])[..8]);
    out
}

/// OSCAL's token: XML's NCName (no colon).
fn is_token(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

fn is_name_start(c: char) -> bool {
    c == '_'
        || c.is_ascii_alphabetic()
        || matches!(c,
            '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}'
            | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
            | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}'
            | '\u{FDF0}'..='\u{FFFD}')
}

fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || c.is_ascii_digit()
        || matches!(c, '-' | '.' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Text on one line (OSCAL titles and prop values hold no line break): each run of white
/// space becomes one space, and the ends are trimmed.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// evidencer props from (name, value) pairs; a value that is empty on one line is left out
/// (OSCAL wants a value).
fn props<const N: usize>(pairs: [(&'static str, String); N]) -> Vec<Prop> {
    pairs
        .into_iter()
        .filter_map(|(name, value)| prop(name, &value))
        .collect()
}

fn prop(name: &'static str, value: &str) -> Option<Prop> {
    let value = one_line(value);
    (!value.is_empty()).then_some(Prop {
        name,
        ns: NAMESPACE,
        value,
    })
}

/// The controls of every catalog, one selection per catalog in report order.
fn reviewed_controls(report: &Report) -> ReviewedControls {
    let mut catalogs: Vec<(&str, Vec<SelectControl>)> = Vec::new();
    for c in &report.controls {
        let at = match catalogs.iter().position(|(name, _)| *name == c.catalog) {
            Some(i) => i,
            None => {
                catalogs.push((&c.catalog, Vec::new()));
                catalogs.len() - 1
            }
        };
        catalogs[at].1.push(SelectControl {
            control_id: control_token(&c.id),
        });
    }
    let selections = catalogs
        .into_iter()
        .map(|(name, include)| {
            let file = report
                .provenance
                .catalogs
                .iter()
                .find(|f| f.catalog == name);
            ControlSelection {
                description: Some(match file {
                    Some(f) => format!("The controls of catalog {name}: {}.", one_line(&f.title)),
                    None => format!("The controls of catalog {name}."),
                }),
                props: props([
                    ("catalog", name.to_string()),
                    (
                        "catalog-sha256",
                        file.map(|f| f.sha256.clone()).unwrap_or_default(),
                    ),
                ]),
                include_controls: include,
            }
        })
        .collect::<Vec<_>>();
    // A run with no control writes no OSCAL (the run refuses it before collecting).
    debug_assert!(!selections.is_empty(), "OSCAL names at least one control");
    ReviewedControls {
        description: "The controls of the catalogs evidencer assessed, by OSCAL control id; a \
                      finding's control-id prop gives the id as the catalog writes it."
            .to_string(),
        control_selections: selections,
    }
}

fn result(input: &OscalInput, ids: &Ids, tool: &str, reviewed: ReviewedControls) -> OscalResult {
    let report = input.report;
    let origins = || {
        vec![Origin {
            actors: vec![Actor {
                kind: "tool",
                actor_uuid: tool.to_string(),
            }],
        }]
    };
    let findings: HashMap<&str, &Finding> =
        report.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    let control_findings = |c: &crate::assess::ControlResult| -> Vec<&Finding> {
        c.findings
            .iter()
            .filter_map(|id| findings.get(id.as_str()).copied())
            .collect()
    };

    // The records the controls' findings cite, in the report's order, and the findings
    // citing each.
    let mut citing: HashMap<&str, Vec<&Finding>> = HashMap::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for c in &report.controls {
        for f in control_findings(c) {
            if seen.insert(f.id.as_str()) {
                for e in &f.evidence {
                    citing.entry(e.as_str()).or_default().push(f);
                }
            }
        }
    }
    let kinds: HashMap<&str, SourceKind> = report
        .sources
        .iter()
        .map(|s| (s.id.as_str(), s.kind))
        .collect();
    let observations: Vec<Observation> = report
        .evidence
        .iter()
        .filter_map(|r| {
            let cited = citing.get(r.id.as_str())?;
            Some(observation(
                input,
                ids,
                r,
                cited,
                kinds.get(r.source.as_str()).copied(),
                origins(),
            ))
        })
        .collect();
    let observed: HashSet<&str> = report
        .evidence
        .iter()
        .filter(|r| citing.contains_key(r.id.as_str()))
        .map(|r| r.id.as_str())
        .collect();
    let order: HashMap<&str, usize> = report
        .evidence
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let related = |fs: &[&Finding]| -> Vec<RelatedObservation> {
        let mut ids_seen = HashSet::new();
        let mut cited: Vec<&str> = fs
            .iter()
            .flat_map(|f| f.evidence.iter().map(String::as_str))
            .filter(|e| observed.contains(e) && ids_seen.insert(*e))
            .collect();
        cited.sort_by_key(|e| order.get(e).copied().unwrap_or(usize::MAX));
        cited
            .into_iter()
            .map(|e| RelatedObservation {
                observation_uuid: ids.of("observation", e),
            })
            .collect()
    };

    // A risk per failing or warning finding under an exception, once however many controls
    // it counts in.
    let mut risks = Vec::new();
    let mut risked: HashSet<&str> = HashSet::new();
    for c in &report.controls {
        for f in control_findings(c) {
            if f.is_excepted() && risked.insert(f.id.as_str()) {
                risks.push(risk(ids, f, related(&[f]), origins()));
            }
        }
    }

    let oscal_findings = report
        .controls
        .iter()
        .map(|c| {
            let fs = control_findings(c);
            let related_risks = fs
                .iter()
                .filter(|f| f.is_excepted())
                .map(|f| AssociatedRisk {
                    risk_uuid: ids.of("risk", &f.id),
                })
                .collect();
            let (state, reason) = match c.verdict {
                Verdict::Satisfied | Verdict::SatisfiedWithExceptions => ("satisfied", "pass"),
                Verdict::PartiallySatisfied | Verdict::NotSatisfied => ("not-satisfied", "fail"),
                Verdict::NotAssessed => ("not-satisfied", "other"),
            };
            let mut finding_props = props([
                ("control-id", c.id.clone()),
                ("catalog", c.catalog.clone()),
                ("answer", c.answer.as_str().to_string()),
                ("id-source", id_source(c).to_string()),
                ("csf-reference", c.csf_reference.clone().unwrap_or_default()),
            ]);
            finding_props.extend(c.exceptions.iter().filter_map(|e| prop("exception-id", e)));
            finding_props.extend(
                c.attestations
                    .iter()
                    .filter_map(|a| prop("attestation-id", a)),
            );
            OscalFinding {
                uuid: ids.of("finding", &c.id),
                title: one_line(&format!("{}: {}", c.id, c.title)),
                description: c.narrative.clone(),
                props: finding_props,
                origins: origins(),
                target: Target {
                    kind: "objective-id",
                    target_id: control_token(&c.id),
                    title: Some(one_line(&c.title)).filter(|t| !t.is_empty()),
                    description: Some(c.statement.clone()).filter(|s| !s.trim().is_empty()),
                    props: props([("verdict", c.verdict.as_str().to_string())]),
                    status: TargetStatus { state, reason },
                },
                related_observations: related(&fs),
                related_risks,
                remarks: Some(format!("Question: {}", c.question)),
            }
        })
        .collect();

    let period = &report.stated_period;
    let mut counts = String::new();
    for (verdict, n) in &report.summary.controls_by_verdict {
        if *n > 0 {
            if !counts.is_empty() {
                counts.push_str(", ");
            }
            counts.push_str(&format!("{n} {verdict}"));
        }
    }
    OscalResult {
        uuid: ids.of("result", ""),
        title: one_line(&format!("evidencer assessment, {}", period.label)),
        description: format!(
            "The evidence evidencer collected and the verdict on each control {}. Scope: {}.",
            match report.period_kind {
                super::PeriodKind::Period => format!("over the period {}", period.label),
                super::PeriodKind::PointInTime => format!("on the state seen at {}", period.end),
            },
            report.scope_line()
        ),
        start: period.start.clone(),
        end: period.end.clone(),
        props: props([
            ("period", period.label.clone()),
            ("period-kind", period_kind(report).to_string()),
        ]),
        reviewed_controls: reviewed,
        observations,
        risks,
        findings: oscal_findings,
        remarks: (!counts.is_empty()).then(|| format!("Controls by verdict: {counts}.")),
    }
}

fn id_source(c: &crate::assess::ControlResult) -> &'static str {
    match c.id_source {
        crate::assess::catalog::IdSource::Source => "source",
        crate::assess::catalog::IdSource::Local => "local",
    }
}

fn observation(
    input: &OscalInput,
    ids: &Ids,
    r: &EvidenceRecord,
    cited: &[&Finding],
    source_kind: Option<SourceKind>,
    origins: Vec<Origin>,
) -> Observation {
    let report = input.report;
    // Scanner and policy-engine results record a tool's test of the image or cluster; the
    // rest (objects, files, commits, audit events, documents) were examined.
    let method = match source_kind {
        Some(SourceKind::Results) => "TEST",
        _ => "EXAMINE",
    };
    let source = report.sources.iter().find(|s| s.id == r.source);
    let mut description = format!(
        "{}, read from {} ({}).",
        r.describes,
        source.map_or(r.source.as_str(), |s| s.location.as_str()),
        r.locator
    );
    description.push_str("\n\nFindings that cite it:\n");
    for f in cited.iter().take(FINDINGS_LISTED) {
        description.push_str(&format!(
            "\n- {} {}: {} ({})",
            f.check,
            f.status,
            f.subject.display_name(),
            one_line(&f.message)
        ));
    }
    if cited.len() > FINDINGS_LISTED {
        description.push_str(&format!(
            "\n- and {} more (report.json lists them)",
            cited.len() - FINDINGS_LISTED
        ));
    }
    let bundle_path = input.bundle_paths.get(&r.id);
    let recorded = r.collected_at.as_deref().or(r.time.as_deref());
    Observation {
        uuid: ids.of("observation", &r.id),
        title: Some(one_line(&r.describes)).filter(|t| !t.is_empty()),
        description,
        props: props([
            ("evidence-id", r.id.clone()),
            ("evidence-kind", evidence_kind(r).to_string()),
            ("source", r.source.clone()),
        ]),
        methods: vec![method],
        origins,
        relevant_evidence: vec![RelevantEvidence {
            // Relative to this file's place in the bundle, reports/.
            href: bundle_path.map(|p| format!("../{p}")),
            description: match bundle_path {
                Some(p) => format!(
                    "{} as collected: {p} in the evidence bundle, sha256 {}.",
                    r.locator, r.sha256
                ),
                None => format!("{} as collected, sha256 {}.", r.locator, r.sha256),
            },
            props: props([
                ("locator", r.locator.clone()),
                ("sha256", r.sha256.clone()),
                ("bundle-path", bundle_path.cloned().unwrap_or_default()),
            ]),
        }],
        // When the input records it; else when evidencer read it.
        collected: recorded
            .and_then(rfc3339)
            .unwrap_or_else(|| report.generated_at.clone()),
    }
}

fn evidence_kind(r: &EvidenceRecord) -> &'static str {
    use crate::evidence::record::EvidenceKind;
    match r.kind {
        EvidenceKind::Object => "object",
        EvidenceKind::File => "file",
        EvidenceKind::Event => "event",
        EvidenceKind::Source => "source",
    }
}

/// An RFC 3339 time as OSCAL takes it (with its offset), None when `text` is not one.
fn rfc3339(text: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| {
        t.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    })
}

fn risk(ids: &Ids, f: &Finding, related: Vec<RelatedObservation>, origins: Vec<Origin>) -> Risk {
    let e = f
        .exception
        .as_ref()
        .expect("a risk is made of an excepted finding");
    let subject = f.subject.display_name();
    Risk {
        uuid: ids.of("risk", &f.id),
        title: one_line(&format!("{} {}: {subject}", f.check, f.status)),
        description: format!("{subject}: {}", f.message),
        statement: format!(
            "Accepted as exception {} by {} (ticket {}) until {}: {}",
            e.id, e.approver, e.ticket, e.expires, e.reason
        ),
        props: props([
            ("finding-id", f.id.clone()),
            ("check", f.check.to_string()),
            ("finding-status", f.status.as_str().to_string()),
            ("severity", f.severity.as_str().to_string()),
            ("exception-id", e.id.clone()),
            ("approver", e.approver.clone()),
            ("ticket", e.ticket.clone()),
            ("expires", e.expires.clone()),
        ]),
        status: "deviation-approved",
        origins,
        // The exception covers its expiry day whole.
        deadline: chrono::NaiveDate::parse_from_str(&e.expires, "%Y-%m-%d")
            .ok()
            .map(|d| format!("{}T23:59:59Z", d.format("%Y-%m-%d"))),
        related_observations: related,
    }
}

// The documents, as OSCAL's JSON format names their fields. Lists OSCAL wants non-empty
// when present are left out when empty.

#[derive(Serialize)]
struct ResultsDocument {
    #[serde(rename = "assessment-results")]
    assessment_results: AssessmentResults,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentResults {
    uuid: String,
    metadata: Metadata,
    import_ap: Import,
    results: Vec<OscalResult>,
}

#[derive(Serialize)]
struct PlanDocument {
    #[serde(rename = "assessment-plan")]
    assessment_plan: AssessmentPlan,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentPlan {
    uuid: String,
    metadata: Metadata,
    import_ssp: Import,
    reviewed_controls: ReviewedControls,
    assessment_assets: AssessmentAssets,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Metadata {
    title: String,
    published: String,
    last_modified: String,
    version: String,
    oscal_version: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parties: Vec<Party>,
}

#[derive(Serialize)]
struct Party {
    uuid: String,
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
}

#[derive(Clone, Serialize)]
struct Prop {
    name: &'static str,
    ns: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Import {
    href: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<String>,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
struct ReviewedControls {
    description: String,
    control_selections: Vec<ControlSelection>,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
struct ControlSelection {
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    include_controls: Vec<SelectControl>,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
struct SelectControl {
    control_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentAssets {
    components: Vec<Component>,
    assessment_platforms: Vec<Platform>,
}

#[derive(Serialize)]
struct Component {
    uuid: String,
    #[serde(rename = "type")]
    kind: &'static str,
    title: String,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    status: ComponentStatus,
}

#[derive(Serialize)]
struct ComponentStatus {
    state: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Platform {
    uuid: String,
    title: String,
    uses_components: Vec<UsesComponent>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct UsesComponent {
    component_uuid: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct OscalResult {
    uuid: String,
    title: String,
    description: String,
    start: String,
    end: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    reviewed_controls: ReviewedControls,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    observations: Vec<Observation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    risks: Vec<Risk>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    findings: Vec<OscalFinding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<String>,
}

#[derive(Serialize)]
struct Origin {
    actors: Vec<Actor>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Actor {
    #[serde(rename = "type")]
    kind: &'static str,
    actor_uuid: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Observation {
    uuid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    methods: Vec<&'static str>,
    origins: Vec<Origin>,
    relevant_evidence: Vec<RelevantEvidence>,
    collected: String,
}

#[derive(Serialize)]
struct RelevantEvidence {
    #[serde(skip_serializing_if = "Option::is_none")]
    href: Option<String>,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct OscalFinding {
    uuid: String,
    title: String,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    origins: Vec<Origin>,
    target: Target,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_observations: Vec<RelatedObservation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_risks: Vec<AssociatedRisk>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Target {
    #[serde(rename = "type")]
    kind: &'static str,
    target_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    status: TargetStatus,
}

#[derive(Serialize)]
struct TargetStatus {
    state: &'static str,
    reason: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct RelatedObservation {
    observation_uuid: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssociatedRisk {
    risk_uuid: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Risk {
    uuid: String,
    title: String,
    description: String,
    statement: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    status: &'static str,
    origins: Vec<Origin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_observations: Vec<RelatedObservation>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_ids_that_are_tokens_stay_and_others_become_distinct_tokens() {
        for id in [
            "PR.PS-02.242",
            "PR.PS-02.242-related-1",
            "PCI-10.1",
            "_x",
            "Ärzte.1",
        ] {
            assert_eq!(control_token(id), id);
        }
        let mapped: Vec<String> = ["6.3.3", "A 1", "A_1", "-x", ".x", "a:b", "", "a\nb"]
            .iter()
            .map(|id| control_token(id))
            .collect();
        for (id, token) in ["6.3.3", "A 1", "A_1", "-x", ".x", "a:b", "", "a\nb"]
            .iter()
            .zip(&mapped)
        {
            assert!(is_token(token), "{id:?} gave {token:?}");
            assert_eq!(&control_token(id), token, "deterministic");
        }
        assert!(mapped[0].starts_with("_6.3.3_"), "{}", mapped[0]);
        assert!(mapped[1].starts_with("A_1_"), "{}", mapped[1]);
        // `A 1` and `A_1` stay apart: the first is mapped (and hashed), the second kept.
        assert_eq!(mapped[2], "A_1");
        assert_ne!(mapped[1], mapped[2]);
        let unique: HashSet<&String> = mapped.iter().collect();
        assert_eq!(unique.len(), mapped.len());
    }

    #[test]
    fn uuids_are_version_5_of_the_report_and_the_key() {
        let a = Ids::new("aa");
        let b = Ids::new("bb");
        let u = Uuid::parse_str(&a.of("finding", "PR.PS-02.242")).unwrap();
        assert_eq!(u.get_version_num(), 5);
        assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(a.of("finding", "X"), Ids::new("aa").of("finding", "X"));
        assert_ne!(a.of("finding", "X"), b.of("finding", "X"), "another report");
        assert_ne!(a.of("finding", "X"), a.of("risk", "X"), "another kind");
        assert_ne!(a.of("finding", "X"), a.of("finding", "Y"), "another object");
        // evidencer itself is the same component in every report.
        assert_eq!(
            a.stable("component", "evidencer"),
            b.stable("component", "evidencer")
        );
    }

    #[test]
    fn titles_and_prop_values_are_one_trimmed_line() {
        assert_eq!(one_line("  a\n b\r\n\tc  "), "a b c");
        assert!(prop("x", " \n ").is_none(), "OSCAL wants a value");
        assert_eq!(prop("x", " v\nw ").unwrap().value, "v w");
        assert_eq!(prop("x", "v").unwrap().ns, NAMESPACE);
    }

    #[test]
    fn collection_times_are_kept_exact_in_utc_or_dropped() {
        assert_eq!(
            rfc3339("2026-09-29T08:10:00.25+02:00").as_deref(),
            Some("2026-09-29T06:10:00.250Z")
        );
        assert_eq!(rfc3339("2026-09-29").as_deref(), None);
    }
}
