//! What the PDF says: the report arranged as layout blocks. Cover, contents, executive
//! summary, one section per control, the image change timeline (when Git history gave
//! any), inputs and coverage, and the evidence appendix.
//!
//! Takes the [`PdfInput`] and gives a [`Document`] of [`Block`]s whose contents table has no
//! page numbers yet; [`contents`] rebuilds that table once a layout pass has found the page
//! of every section. Pure.

use std::collections::{BTreeMap, BTreeSet};

use super::layout::{
    Block, Cell, Column, Face, Heading, Metrics, Outline, PageSpec, Paragraph, Rgb, Span, Style,
    Table, TableStyle,
};
use super::{ImageChange, PdfInput};
use crate::assess::{CheckStatus, StatusCounts, Verdict};
use crate::collect::KindStatus;
use crate::evidence::{EvidenceKind, ProblemLevel, SourceKind};
use crate::finding::{Finding, Status};
use crate::report::view::{ControlView, FindingRow, ReportView, TITLE};

pub const INK: Rgb = Rgb(31, 41, 51);
pub const MUTED: Rgb = Rgb(96, 108, 124);
const NAVY: Rgb = Rgb(28, 55, 90);
const RULE: Rgb = Rgb(214, 219, 226);
const STRIPE: Rgb = Rgb(246, 248, 250);
const WHITE: Rgb = Rgb(255, 255, 255);

const TITLE_STYLE: Style = Style::new(Face::Bold, 26.0, NAVY);
const KICKER: Style = Style::new(Face::Bold, 9.0, MUTED);
const H1: Style = Style::new(Face::Bold, 16.0, NAVY);
const H2: Style = Style::new(Face::Bold, 12.0, NAVY);
const BODY: Style = Style::new(Face::Regular, 9.5, INK);
const LABEL: Style = Style::new(Face::Bold, 9.0, INK);
const NOTE: Style = Style::new(Face::Regular, 8.0, MUTED);
const TH: Style = Style::new(Face::Bold, 7.5, WHITE);
const TD: Style = Style::new(Face::Regular, 8.0, INK);
const TD_BOLD: Style = Style::new(Face::Bold, 8.0, INK);
const TD_MUTED: Style = Style::new(Face::Regular, 7.0, MUTED);
const TD_MONO: Style = Style::new(Face::Mono, 6.5, INK);
const TD_MONO_MUTED: Style = Style::new(Face::Mono, 6.5, MUTED);
pub const FOOT: Style = Style::new(Face::Regular, 7.5, MUTED);
pub const FOOT_MONO: Style = Style::new(Face::Mono, 7.0, MUTED);

/// Text and background of a coloured status.
#[derive(Clone, Copy)]
struct Palette {
    ink: Rgb,
    fill: Rgb,
}

const GOOD: Palette = Palette {
    ink: Rgb(22, 101, 52),
    fill: Rgb(220, 245, 228),
};
const MIXED: Palette = Palette {
    ink: Rgb(146, 64, 14),
    fill: Rgb(254, 243, 199),
};
const BAD: Palette = Palette {
    ink: Rgb(153, 27, 27),
    fill: Rgb(254, 226, 226),
};
const UNKNOWN: Palette = Palette {
    ink: Rgb(55, 65, 81),
    fill: Rgb(229, 231, 235),
};

fn verdict_palette(v: Verdict) -> Palette {
    match v {
        Verdict::Satisfied => GOOD,
        Verdict::PartiallySatisfied => MIXED,
        Verdict::NotSatisfied => BAD,
        Verdict::NotAssessed => UNKNOWN,
    }
}

fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Satisfied => "Satisfied",
        Verdict::PartiallySatisfied => "Partially satisfied",
        Verdict::NotSatisfied => "Not satisfied",
        Verdict::NotAssessed => "Not assessed",
    }
}

fn status_palette(s: Status) -> Palette {
    match s {
        Status::Pass => GOOD,
        Status::Warn => MIXED,
        Status::Fail | Status::Error => BAD,
        Status::NotAssessed | Status::NotApplicable => UNKNOWN,
    }
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Pass => "Pass",
        Status::Fail => "Fail",
        Status::Warn => "Warn",
        Status::NotApplicable => "Not applicable",
        Status::Error => "Error",
        Status::NotAssessed => "Not assessed",
    }
}

fn check_palette(s: CheckStatus) -> (Palette, &'static str) {
    match s {
        CheckStatus::Pass => (GOOD, "Pass"),
        CheckStatus::Warn => (MIXED, "Warn"),
        CheckStatus::Fail => (BAD, "Fail"),
        CheckStatus::NotAssessed => (UNKNOWN, "Not assessed"),
    }
}

fn source_kind(k: SourceKind) -> &'static str {
    match k {
        SourceKind::Snapshot => "snapshot",
        SourceKind::Cluster => "cluster",
        SourceKind::Repository => "repository",
    }
}

fn evidence_kind(k: EvidenceKind) -> &'static str {
    match k {
        EvidenceKind::Object => "object",
        EvidenceKind::File => "file",
        EvidenceKind::Event => "event",
    }
}

/// Messages quote names in backticks (Markdown); in print, typographic quotes read better.
fn prose(text: &str) -> String {
    if !text.matches('`').count().is_multiple_of(2) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut open = true;
    for c in text.chars() {
        if c == '`' {
            out.push(if open { '\u{2018}' } else { '\u{2019}' });
            open = !open;
        } else {
            out.push(c);
        }
    }
    out
}

/// `2026-09-30T23:59:59Z` as `2026-09-30 23:59:59 UTC`.
fn instant(rfc3339: &str) -> String {
    match rfc3339.strip_suffix('Z') {
        Some(t) => format!("{} UTC", t.replacen('T', " ", 1)),
        None => rfc3339.replacen('T', " ", 1),
    }
}

fn para(style: Style, text: impl Into<String>, after: f32) -> Block {
    Block::Paragraph(Paragraph::new(style, text, after))
}

/// A small bold heading that stays with what follows it.
fn label(text: impl Into<String>, after: f32) -> Block {
    Block::Heading(Heading {
        text: text.into(),
        style: LABEL,
        space_before: 0.0,
        space_after: after,
        outline: None,
    })
}

fn callout(text: impl Into<String>, palette: Palette) -> Block {
    let mut p = Paragraph::new(Style::new(Face::Bold, 10.0, palette.ink), text, 8.0);
    p.fill = Some(palette.fill);
    p.pad = 6.0;
    Block::Paragraph(p)
}

fn grid(columns: Vec<Column>, rows: Vec<Vec<Cell>>) -> Block {
    Block::Table(Table {
        columns,
        rows,
        style: TableStyle {
            header: Some(TH),
            header_fill: Some(NAVY),
            stripe: Some(STRIPE),
            rule: Some(RULE),
            pad_x: 4.0,
            pad_y: 3.0,
            span_gap: 1.5,
        },
    })
}

fn count(n: usize) -> Cell {
    Cell::text(TD, n.to_string())
}

/// A section of the document: its key in the page map, number and title.
struct Section {
    key: String,
    number: String,
    title: String,
    level: u8,
}

impl Section {
    fn heading(&self) -> Block {
        let text = if self.number.is_empty() {
            self.title.clone()
        } else {
            format!("{} {}", self.number, self.title)
        };
        let (style, before, after) = if self.level == 1 {
            (H1, 0.0, 10.0)
        } else {
            (H2, 14.0, 4.0)
        };
        Block::Heading(Heading {
            outline: Some(Outline {
                level: self.level,
                key: self.key.clone(),
                title: text.clone(),
            }),
            text,
            style,
            space_before: before,
            space_after: after,
        })
    }
}

/// The document as blocks, and where its contents table is.
pub struct Document {
    pub blocks: Vec<Block>,
    /// Index in `blocks` of the contents table, which [`contents`] rebuilds with page
    /// numbers once a layout pass has found them.
    pub contents: usize,
    sections: Vec<Section>,
}

/// Builds the document, its contents without page numbers yet.
pub fn document(input: &PdfInput, m: &Metrics, spec: &PageSpec) -> Document {
    let view = ReportView::new(input.report);
    let sections = sections(input, &view);
    let mut out = Vec::new();
    cover(input, spec, &mut out);
    out.push(
        Section {
            key: "contents".into(),
            number: String::new(),
            title: "Contents".into(),
            level: 1,
        }
        .heading(),
    );
    let contents_at = out.len();
    out.push(contents_table(&sections, &BTreeMap::new(), m));
    out.push(Block::PageBreak);
    let mut parts = sections.iter();
    let mut next = || parts.next().expect("a section for every part");
    summary(input, &view, next(), spec, &mut out);
    out.push(Block::PageBreak);
    out.push(next().heading());
    out.push(para(
        BODY,
        "Each control below gives the question as the catalog asks it, the answer evidencer \
         derived from the findings, the narrative that justifies it, the checks that answer it, \
         and every finding of those checks (not-applicable subjects are left out). Evidence ids \
         refer to the evidence appendix.",
        6.0,
    ));
    for control in &view.controls {
        control_section(input, control, next(), &mut out);
    }
    if !input.changes.is_empty() {
        out.push(Block::PageBreak);
        timeline(input.changes, next(), &mut out);
    }
    out.push(Block::PageBreak);
    inputs(input, next(), m, &mut out);
    out.push(Block::PageBreak);
    evidence(input, next(), m, &mut out);
    Document {
        blocks: out,
        contents: contents_at,
        sections,
    }
}

/// The contents table with the page of every section (`pages`: section key to 1-based
/// page number, as the previous layout pass found them).
pub fn contents(document: &Document, pages: &BTreeMap<String, usize>, m: &Metrics) -> Block {
    contents_table(&document.sections, pages, m)
}

fn sections(input: &PdfInput, view: &ReportView) -> Vec<Section> {
    let section = |key: &str, number: String, title: &str, level| Section {
        key: key.to_string(),
        number,
        title: title.to_string(),
        level,
    };
    let mut out = vec![
        section("summary", "1".into(), "Executive summary", 1),
        section("controls", "2".into(), "Controls", 1),
    ];
    for (i, c) in view.controls.iter().enumerate() {
        out.push(Section {
            key: format!("control:{}", c.control.id),
            number: format!("2.{}", i + 1),
            title: format!("{} {}", c.control.id, c.control.title),
            level: 2,
        });
    }
    let mut n = 3;
    if !input.changes.is_empty() {
        out.push(section(
            "timeline",
            n.to_string(),
            "Image change timeline",
            1,
        ));
        n += 1;
    }
    out.push(section("inputs", n.to_string(), "Inputs and coverage", 1));
    out.push(section("evidence", "Appendix A".into(), "Evidence", 1));
    out
}

fn key_value(rows: Vec<(&str, Vec<Span>)>) -> Block {
    Block::Table(Table {
        columns: vec![Column::auto("").fixed(110.0), Column::auto("")],
        rows: rows
            .into_iter()
            .map(|(k, v)| {
                vec![
                    Cell::text(Style::new(Face::Bold, 8.5, MUTED), k),
                    Cell::new(v),
                ]
            })
            .collect(),
        style: TableStyle {
            header: None,
            header_fill: None,
            stripe: None,
            rule: Some(RULE),
            pad_x: 0.0,
            pad_y: 5.0,
            span_gap: 1.0,
        },
    })
}

/// Distinct namespaces of the subjects the findings are about.
fn namespaces(findings: &[Finding]) -> BTreeSet<&str> {
    findings
        .iter()
        .filter_map(|f| f.subject.namespace.as_deref())
        .filter(|ns| !ns.is_empty())
        .collect()
}

fn cover(input: &PdfInput, spec: &PageSpec, out: &mut Vec<Block>) {
    let report = input.report;
    let value = |text: String| vec![Span::new(Style::new(Face::Regular, 9.5, INK), text)];
    out.push(Block::Space(120.0));
    out.push(para(KICKER, "COMPLIANCE EVIDENCE REPORT", 6.0));
    out.push(para(TITLE_STYLE, TITLE, 8.0));
    let catalogs: Vec<&str> = report
        .provenance
        .catalogs
        .iter()
        .map(|c| c.title.as_str())
        .collect();
    out.push(para(
        Style::new(Face::Regular, 11.0, MUTED),
        catalogs.join("  ·  "),
        28.0,
    ));

    let clusters: Vec<String> = report
        .sources
        .iter()
        .filter(|s| matches!(s.kind, SourceKind::Cluster | SourceKind::Snapshot))
        .map(|s| {
            let kind = source_kind(s.kind);
            let version = s
                .details
                .get("server_version")
                .map(|v| format!(", Kubernetes {v}"))
                .unwrap_or_default();
            format!("{} ({kind}{version})", s.location)
        })
        .collect();
    let repositories: Vec<&str> = report
        .sources
        .iter()
        .filter(|s| s.kind == SourceKind::Repository)
        .map(|s| s.location.as_str())
        .collect();
    let namespaces = namespaces(&report.findings);
    let none = |what: &str| format!("none {what}");
    let mut rows = vec![
        (
            "Organisation",
            value(input.org.unwrap_or("not stated (--org)").to_string()),
        ),
        (
            "Clusters",
            value(if clusters.is_empty() {
                none("assessed")
            } else {
                clusters.join("\n")
            }),
        ),
        (
            "Repositories",
            value(if repositories.is_empty() {
                none("analysed")
            } else {
                repositories.join("\n")
            }),
        ),
        (
            "Namespaces",
            value(if namespaces.is_empty() {
                none("with assessed workloads")
            } else {
                format!(
                    "{} ({})",
                    namespaces.iter().copied().collect::<Vec<_>>().join(", "),
                    namespaces.len()
                )
            }),
        ),
        (
            "Period",
            value(match &report.period {
                Some(p) => p.describe(),
                None => "not set: the report speaks for the as-of instant".to_string(),
            }),
        ),
        ("As of", value(instant(&report.as_of))),
    ];
    if report.generated_at != report.as_of {
        rows.push(("Generated", value(instant(&report.generated_at))));
    }
    rows.push((
        "Tool",
        value(format!("{} {}", report.tool.name, report.tool.version)),
    ));
    rows.push((
        "Report id",
        vec![
            Span::new(Style::new(Face::Mono, 8.0, INK), input.report_id),
            Span::new(
                NOTE,
                "SHA-256 of the report.json written by the same run (sha256sum report.json). \
                 Every page footer repeats it.",
            ),
        ],
    ));
    out.push(key_value(rows));
    out.push(Block::Space(24.0));
    out.push(verdict_tiles(report, spec));
    out.push(Block::PageBreak);
}

/// Four coloured tiles: how many controls have each verdict.
fn verdict_tiles(report: &crate::report::Report, spec: &PageSpec) -> Block {
    let gap = 8.0;
    let tile = (spec.body_width() - 3.0 * gap) / 4.0;
    let mut columns = Vec::new();
    let mut row = Vec::new();
    for (i, v) in Verdict::ALL.iter().enumerate() {
        if i > 0 {
            columns.push(Column::auto("").fixed(gap));
            row.push(Cell::default());
        }
        let p = verdict_palette(*v);
        let n = report
            .summary
            .controls_by_verdict
            .get(v.as_str())
            .copied()
            .unwrap_or(0);
        columns.push(Column::auto("").fixed(tile));
        row.push(
            Cell::new(vec![
                Span::new(Style::new(Face::Bold, 20.0, p.ink), n.to_string()),
                Span::new(Style::new(Face::Bold, 8.0, p.ink), verdict_label(*v)),
            ])
            .filled(p.fill),
        );
    }
    Block::Table(Table {
        columns,
        rows: vec![row],
        style: TableStyle {
            header: None,
            header_fill: None,
            stripe: None,
            rule: None,
            pad_x: 8.0,
            pad_y: 7.0,
            span_gap: 0.0,
        },
    })
}

fn contents_table(sections: &[Section], pages: &BTreeMap<String, usize>, m: &Metrics) -> Block {
    let page_width = m.width(&TD, "0000") + 8.0;
    let number_width = m.width(&TD_BOLD, "Appendix A") + 16.0;
    let rows = sections
        .iter()
        .map(|s| {
            let style = if s.level == 1 { TD_BOLD } else { TD };
            let page = pages
                .get(&s.key)
                .map_or_else(|| "-".to_string(), |p| p.to_string());
            vec![
                Cell::text(style, s.number.clone()),
                Cell::text(style, s.title.clone()),
                Cell::text(style, page),
            ]
        })
        .collect();
    Block::Table(Table {
        columns: vec![
            Column::auto("").fixed(number_width),
            Column::auto(""),
            Column::auto("").right().fixed(page_width),
        ],
        rows,
        style: TableStyle {
            header: None,
            header_fill: None,
            stripe: None,
            rule: Some(RULE),
            pad_x: 4.0,
            pad_y: 4.0,
            span_gap: 0.0,
        },
    })
}

/// Finding counts of a control: what its checks found.
fn control_counts(c: &ControlView) -> StatusCounts {
    let mut total = StatusCounts::default();
    for k in &c.control.checks {
        total.pass += k.counts.pass;
        total.fail += k.counts.fail;
        total.warn += k.counts.warn;
        total.error += k.counts.error;
        total.not_assessed += k.counts.not_assessed;
        total.not_applicable += k.counts.not_applicable;
    }
    total
}

fn summary(
    input: &PdfInput,
    view: &ReportView,
    section: &Section,
    spec: &PageSpec,
    out: &mut Vec<Block>,
) {
    let report = input.report;
    let by = |v: Verdict| {
        report
            .summary
            .controls_by_verdict
            .get(v.as_str())
            .copied()
            .unwrap_or(0)
    };
    out.push(section.heading());
    out.push(para(
        BODY,
        format!(
            "evidencer assessed {} controls against the evidence collected as of {}. {} are \
             satisfied, {} partially satisfied and {} not satisfied; {} could not be assessed \
             from this evidence, which is not the same as passing.",
            report.controls.len(),
            instant(&report.as_of),
            by(Verdict::Satisfied),
            by(Verdict::PartiallySatisfied),
            by(Verdict::NotSatisfied),
            by(Verdict::NotAssessed),
        ),
        10.0,
    ));
    out.push(verdict_tiles(report, spec));
    out.push(Block::Space(10.0));
    let s = &report.summary.findings_by_status;
    out.push(para(
        BODY,
        format!(
            "Findings: {} fail, {} warn, {} pass, {} error, {} not assessed; {} not applicable \
             (not listed). {} objects and {} evidence records were read; {} input problems were \
             recorded.",
            s.fail,
            s.warn,
            s.pass,
            s.error,
            s.not_assessed,
            s.not_applicable,
            report.summary.objects,
            report.summary.evidence_records,
            report.summary.problems,
        ),
        12.0,
    ));
    let rows = view
        .controls
        .iter()
        .map(|c| {
            let v = c.control.verdict;
            let p = verdict_palette(v);
            let n = control_counts(c);
            vec![
                Cell::new(vec![
                    Span::new(TD_BOLD, c.control.id.clone()),
                    Span::new(TD_MUTED, c.control.catalog.clone()),
                ]),
                Cell::text(TD, c.control.title.clone()),
                Cell::text(Style::new(Face::Bold, 8.0, p.ink), verdict_label(v)).filled(p.fill),
                Cell::text(TD_BOLD, c.control.answer.as_str()),
                count(n.fail),
                count(n.warn),
                count(n.pass),
                count(n.not_assessed + n.error),
            ]
        })
        .collect();
    out.push(grid(
        vec![
            Column::auto("Control"),
            Column::auto("Title"),
            Column::auto("Verdict"),
            Column::auto("Answer"),
            Column::auto("Fail").right(),
            Column::auto("Warn").right(),
            Column::auto("Pass").right(),
            Column::auto("Not assessed").right(),
        ],
        rows,
    ));
    out.push(para(
        NOTE,
        "Counts are findings of the control's checks; \u{201c}not assessed\u{201d} includes \
         findings that ended in an error.",
        0.0,
    ));
}

fn control_section(input: &PdfInput, c: &ControlView, section: &Section, out: &mut Vec<Block>) {
    let control = c.control;
    out.push(section.heading());
    let catalog = input
        .report
        .provenance
        .catalogs
        .iter()
        .find(|k| k.catalog == control.catalog)
        .map_or(control.catalog.as_str(), |k| k.title.as_str());
    out.push(para(NOTE, catalog, 6.0));
    let p = verdict_palette(control.verdict);
    out.push(callout(
        format!(
            "Answer: {}   \u{b7}   {}",
            control.answer.as_str().to_uppercase(),
            verdict_label(control.verdict)
        ),
        p,
    ));
    out.push(label("Question", 2.0));
    out.push(para(BODY, control.question.clone(), 8.0));
    out.push(label("Assessment", 2.0));
    out.push(para(BODY, prose(&control.narrative), 8.0));
    if !control.explanation.is_empty() {
        out.push(label("How the evidence answers it", 2.0));
        out.push(para(BODY, control.explanation.clone(), 8.0));
    }
    if !control.checks.is_empty() {
        out.push(label("Checks", 4.0));
        let rows = control
            .checks
            .iter()
            .map(|k| {
                let (p, label) = check_palette(k.status);
                let mut check = vec![Span::new(TD_BOLD, k.title), Span::new(TD_MONO_MUTED, k.id)];
                if k.critical {
                    check.push(Span::new(
                        TD_MUTED,
                        "critical: a failure decides the control",
                    ));
                }
                vec![
                    Cell::new(check),
                    Cell::text(Style::new(Face::Bold, 8.0, p.ink), label).filled(p.fill),
                    count(k.counts.fail),
                    count(k.counts.warn),
                    count(k.counts.pass),
                    count(k.counts.not_assessed + k.counts.error),
                    Cell::text(TD_MUTED, k.reason.as_deref().map(prose).unwrap_or_default()),
                ]
            })
            .collect();
        out.push(grid(
            vec![
                Column::auto("Check"),
                Column::auto("Result"),
                Column::auto("Fail").right(),
                Column::auto("Warn").right(),
                Column::auto("Pass").right(),
                Column::auto("Not assessed").right(),
                Column::auto("Note"),
            ],
            rows,
        ));
        out.push(Block::Space(8.0));
    }
    out.push(label(format!("Findings ({})", c.findings.len()), 4.0));
    if c.findings.is_empty() {
        out.push(para(
            BODY,
            "No findings: none of this control's checks had a subject to assess in the \
             evidence.",
            8.0,
        ));
        return;
    }
    out.push(grid(
        vec![
            Column::auto("Status"),
            Column::auto("Subject"),
            Column::auto("Finding"),
            Column::auto("Evidence"),
        ],
        c.findings.iter().map(finding_row).collect(),
    ));
    out.push(Block::Space(8.0));
}

fn finding_row(f: &FindingRow) -> Vec<Cell> {
    let p = status_palette(f.status);
    let mut subject = vec![Span::new(TD, f.subject.clone())];
    if let Some(location) = &f.location {
        subject.push(Span::new(TD_MUTED, location.clone()));
    }
    vec![
        Cell::new(vec![
            Span::new(Style::new(Face::Bold, 7.5, p.ink), status_label(f.status)),
            Span::new(Style::new(Face::Regular, 6.5, p.ink), f.severity),
        ])
        .filled(p.fill),
        Cell::new(subject),
        Cell::new(vec![
            Span::new(TD, prose(f.message)),
            Span::new(TD_MONO_MUTED, f.id),
        ]),
        Cell::text(TD_MONO, f.evidence.join("\n")),
    ]
}

fn timeline(changes: &[ImageChange], section: &Section, out: &mut Vec<Block>) {
    out.push(section.heading());
    out.push(para(
        BODY,
        "Commits that changed an image reference in the repositories analysed, oldest first: \
         the history of what was built and deployed, and when.",
        8.0,
    ));
    let mut rows: Vec<&ImageChange> = changes.iter().collect();
    rows.sort_by(|a, b| (&a.time, &a.commit, &a.path).cmp(&(&b.time, &b.commit, &b.path)));
    let arrow = |label: &str, image: &Option<String>| {
        Span::new(
            TD_MONO,
            format!("{label} {}", image.as_deref().unwrap_or("(none)")),
        )
    };
    let rows = rows
        .into_iter()
        .map(|c| {
            vec![
                Cell::text(TD, instant(&c.time)),
                Cell::new(vec![
                    Span::new(TD_MONO, c.commit.chars().take(12).collect::<String>()),
                    Span::new(TD_MUTED, c.author.clone()),
                ]),
                Cell::text(TD, c.path.clone()),
                Cell::new(vec![
                    Span::new(TD, c.subject.clone()),
                    arrow("from", &c.old_image),
                    arrow("to", &c.new_image),
                ]),
            ]
        })
        .collect();
    out.push(grid(
        vec![
            Column::auto("When"),
            Column::auto("Commit"),
            Column::auto("File"),
            Column::auto("Change"),
        ],
        rows,
    ));
}

fn inputs(input: &PdfInput, section: &Section, m: &Metrics, out: &mut Vec<Block>) {
    let report = input.report;
    out.push(section.heading());
    out.push(label("Sources", 4.0));
    let rows = report
        .sources
        .iter()
        .map(|s| {
            let details: Vec<String> = s.details.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            vec![
                Cell::text(TD, s.id.clone()),
                Cell::text(TD, source_kind(s.kind)),
                Cell::text(TD, s.location.clone()),
                Cell::text(TD_MUTED, details.join("\n")),
            ]
        })
        .collect();
    out.push(grid(
        vec![
            Column::auto("Source"),
            Column::auto("Kind"),
            Column::auto("Location"),
            Column::auto("Details"),
        ],
        rows,
    ));
    out.push(Block::Space(10.0));
    out.push(label("Coverage", 2.0));
    out.push(para(
        BODY,
        "What the input held, per kind. A kind that is not listed was not collected: checks \
         that need it are not assessed, never passed.",
        4.0,
    ));
    let rows = report
        .inputs
        .coverage
        .kinds
        .iter()
        .map(|(kind, status)| {
            let (text, p) = match status {
                KindStatus::Collected { count } => (format!("collected: {count}"), GOOD),
                KindStatus::Forbidden { reason } => (format!("forbidden: {reason}"), BAD),
                KindStatus::NotServed => ("not served by the API server".to_string(), UNKNOWN),
            };
            vec![
                Cell::text(TD, kind.clone()),
                Cell::text(Style::new(Face::Regular, 8.0, p.ink), text),
            ]
        })
        .collect();
    out.push(grid(
        vec![Column::auto("Kind"), Column::auto("Status")],
        rows,
    ));
    let r = &report.inputs.redaction;
    out.push(Block::Space(10.0));
    out.push(label("Redaction", 2.0));
    out.push(para(
        BODY,
        format!(
            "Before anything was hashed or stored: {} Secret objects dropped unread, {} \
             ConfigMap data maps removed, {} literal environment values and {} secret-looking \
             annotations replaced by a marker.",
            r.secrets_dropped,
            r.configmap_data_removed,
            r.env_values_redacted,
            r.annotations_redacted
        ),
        10.0,
    ));
    out.push(label(
        format!("Input problems ({})", report.inputs.problems.len()),
        4.0,
    ));
    if report.inputs.problems.is_empty() {
        out.push(para(BODY, "Every input was read.", 10.0));
    } else {
        let rows = report
            .inputs
            .problems
            .iter()
            .map(|p| {
                let (label, palette) = match p.level {
                    ProblemLevel::Error => ("Error", BAD),
                    ProblemLevel::Warning => ("Warning", MIXED),
                    ProblemLevel::Note => ("Note", UNKNOWN),
                };
                let mut problem = vec![Span::new(TD, prose(&p.message))];
                if let Some(hint) = &p.hint {
                    problem.push(Span::new(TD_MUTED, prose(hint)));
                }
                vec![
                    Cell::text(Style::new(Face::Bold, 7.5, palette.ink), label)
                        .filled(palette.fill),
                    Cell::text(TD, p.location.clone()),
                    Cell::new(problem),
                ]
            })
            .collect();
        out.push(grid(
            vec![
                Column::auto("Level"),
                Column::auto("Where"),
                Column::auto("Problem"),
            ],
            rows,
        ));
        out.push(Block::Space(10.0));
    }
    out.push(label("Rules and templates", 2.0));
    out.push(para(
        BODY,
        "The catalogs, data files and templates that judged and presented the evidence, with \
         their SHA-256.",
        4.0,
    ));
    let p = &report.provenance;
    let rows = p
        .catalogs
        .iter()
        .map(|c| (c.path.as_str(), c.builtin, c.sha256.as_str()))
        .chain(
            p.data_files
                .iter()
                .chain(&p.templates)
                .map(|d| (d.path.as_str(), d.builtin, d.sha256.as_str())),
        )
        .map(|(path, builtin, sha)| {
            vec![
                Cell::text(TD, path),
                Cell::text(TD, if builtin { "built in" } else { "user" }),
                Cell::text(TD_MONO, sha),
            ]
        })
        .collect();
    out.push(grid(
        vec![
            Column::auto("File"),
            Column::auto("Origin"),
            Column::auto("SHA-256").fixed(digest_column(m)),
        ],
        rows,
    ));
}

/// Wide enough for a SHA-256 in two lines of 32 hex digits.
fn digest_column(m: &Metrics) -> f32 {
    m.width(&TD_MONO, &"0".repeat(32)) + 8.0 + 0.5
}

fn evidence(input: &PdfInput, section: &Section, m: &Metrics, out: &mut Vec<Block>) {
    let report = input.report;
    out.push(section.heading());
    out.push(para(
        BODY,
        format!(
            "Every evidence record of this report ({}), with where it was read and the SHA-256 \
             of its bytes as stored after redaction (objects: compact JSON with sorted keys). \
             Findings cite these ids.",
            report.evidence.len()
        ),
        8.0,
    ));
    let rows = report
        .evidence
        .iter()
        .map(|e| {
            let mut what = vec![
                Span::new(Style::new(Face::Mono, 6.5, INK), e.id.clone()),
                Span::new(TD, e.describes.clone()),
            ];
            if let Some(t) = e.time.as_deref().or(e.collected_at.as_deref()) {
                what.push(Span::new(TD_MUTED, instant(t)));
            }
            vec![
                Cell::new(what),
                Cell::new(vec![
                    Span::new(TD, e.locator.clone()),
                    Span::new(
                        TD_MUTED,
                        format!("{} \u{b7} {}", e.source, evidence_kind(e.kind)),
                    ),
                ]),
                Cell::text(TD_MONO, e.sha256.clone()),
            ]
        })
        .collect();
    out.push(grid(
        vec![
            Column::auto("Evidence"),
            Column::auto("Locator"),
            Column::auto("SHA-256").fixed(digest_column(m)),
        ],
        rows,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticks_become_quotes_only_in_pairs() {
        assert_eq!(
            prose("image `a:1` is `b`"),
            "image \u{2018}a:1\u{2019} is \u{2018}b\u{2019}"
        );
        assert_eq!(prose("odd ` tick"), "odd ` tick");
    }

    #[test]
    fn instants_read_as_utc() {
        assert_eq!(instant("2026-09-30T23:59:59Z"), "2026-09-30 23:59:59 UTC");
    }
}
