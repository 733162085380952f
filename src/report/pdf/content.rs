//! What the PDF says: the report's view model ([`ReportView`], the same the Markdown and
//! HTML reports read) arranged as layout blocks. Cover, contents, executive summary, one
//! section per control, the image change timeline (when Git history gave any), inputs and
//! coverage, and the evidence appendix.
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
use crate::evidence::finding::Finding;
use crate::report::diff::Previous;
use crate::report::view::{ControlView, FindingRow, ReportView, Tally, display_time};

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

/// The colours of a verdict, status, problem level or coverage state, by the key the view
/// gives it.
fn palette(key: &str) -> Palette {
    match key {
        "satisfied" | "pass" | "collected" | "current" => GOOD,
        "satisfied_with_exceptions" | "partially_satisfied" | "warn" | "warning" => MIXED,
        "not_satisfied" | "fail" | "error" | "forbidden" | "past_review" => BAD,
        _ => UNKNOWN,
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

/// A table without header or stripes.
fn plain(columns: Vec<Column>, rows: Vec<Vec<Cell>>, rule: Option<Rgb>, pad: (f32, f32)) -> Block {
    Block::Table(Table {
        columns,
        rows,
        style: TableStyle {
            header: None,
            header_fill: None,
            stripe: None,
            rule,
            pad_x: pad.0,
            pad_y: pad.1,
            span_gap: 0.0,
        },
    })
}

fn count(n: usize) -> Cell {
    Cell::text(TD, n.to_string())
}

/// A coloured cell: a status, verdict or level.
fn badge(key: &str, text: &str, size: f32) -> Cell {
    let p = palette(key);
    Cell::text(Style::new(Face::Bold, size, p.ink), text).filled(p.fill)
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
    cover(input, &view, spec, &mut out);
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
    summary(&view, next(), spec, &mut out);
    out.push(Block::PageBreak);
    out.push(next().heading());
    out.push(para(
        BODY,
        "Each control below gives the question as the catalog asks it, the answer evidencer \
         derived from the findings, the narrative that justifies it, the checks that answer it, \
         and every finding of those checks: first those that need attention, then those that \
         pass (not-applicable subjects are left out). Evidence ids refer to the evidence \
         appendix.",
        6.0,
    ));
    for control in &view.controls {
        control_section(&view, control, next(), &mut out);
    }
    out.push(Block::PageBreak);
    exceptions(&view, next(), &mut out);
    if let Some(previous) = &input.report.previous {
        out.push(Block::PageBreak);
        previous_period(previous, next(), &mut out);
    }
    if !input.changes.is_empty() {
        out.push(Block::PageBreak);
        timeline(input.changes, next(), &mut out);
    }
    out.push(Block::PageBreak);
    inputs(&view, next(), m, &mut out);
    out.push(Block::PageBreak);
    evidence(&view, next(), m, &mut out);
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
            key: format!("control:{}", c.id),
            number: format!("2.{}", i + 1),
            title: format!("{} {}", c.id, c.title),
            level: 2,
        });
    }
    out.push(section("exceptions", "3".into(), "Exceptions", 1));
    let mut n = 4;
    if input.report.previous.is_some() {
        out.push(section(
            "previous",
            n.to_string(),
            "Changes since the previous period",
            1,
        ));
        n += 1;
    }
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

/// Distinct namespaces of the subjects the findings are about.
fn namespaces(findings: &[Finding]) -> BTreeSet<&str> {
    findings
        .iter()
        .filter_map(|f| f.subject.namespace.as_deref())
        .filter(|ns| !ns.is_empty())
        .collect()
}

fn cover(input: &PdfInput, view: &ReportView, spec: &PageSpec, out: &mut Vec<Block>) {
    let value = |text: String| vec![Span::new(Style::new(Face::Regular, 9.5, INK), text)];
    out.push(Block::Space(120.0));
    out.push(para(KICKER, "COMPLIANCE EVIDENCE REPORT", 6.0));
    out.push(para(TITLE_STYLE, view.title.clone(), 8.0));
    let catalogs: Vec<&str> = view.catalogs.iter().map(|c| c.title.as_str()).collect();
    out.push(para(
        Style::new(Face::Regular, 11.0, MUTED),
        catalogs.join("  ·  "),
        28.0,
    ));

    let clusters: Vec<String> = view
        .sources
        .iter()
        .filter(|s| s.kind == "snapshot" || s.kind == "cluster")
        .map(|s| {
            let version = s
                .details
                .iter()
                .find(|d| d.key == "server_version")
                .map(|d| format!(", Kubernetes {}", d.value))
                .unwrap_or_default();
            format!("{} ({}{version})", s.location, s.kind)
        })
        .collect();
    let repositories: Vec<&str> = view
        .sources
        .iter()
        .filter(|s| s.kind == "repository")
        .map(|s| s.location)
        .collect();
    let namespaces = namespaces(&input.report.findings);
    let or_none = |items: Vec<String>, none: &str| {
        if items.is_empty() {
            none.to_string()
        } else {
            items.join("\n")
        }
    };
    let mut rows = vec![
        (
            "Organisation",
            value(input.org.unwrap_or("not stated (--org)").to_string()),
        ),
        ("Clusters", value(or_none(clusters, "none assessed"))),
        (
            "Repositories",
            value(or_none(
                repositories.iter().map(|r| r.to_string()).collect(),
                "none analysed",
            )),
        ),
        (
            "Namespaces",
            value(if namespaces.is_empty() {
                "none with assessed workloads".to_string()
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
            value(
                view.period
                    .clone()
                    .unwrap_or_else(|| "not set: the report speaks for the as-of instant".into()),
            ),
        ),
        ("As of", value(view.as_of.clone())),
    ];
    if view.generated_at != view.as_of {
        rows.push(("Generated", value(view.generated_at.clone())));
    }
    rows.push((
        "Tool",
        value(format!("{} {}", view.tool.name, view.tool.version)),
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
    out.push(plain(
        vec![Column::auto("").fixed(110.0), Column::auto("")],
        rows.into_iter()
            .map(|(k, v)| {
                vec![
                    Cell::text(Style::new(Face::Bold, 8.5, MUTED), k),
                    Cell::new(v),
                ]
            })
            .collect(),
        Some(RULE),
        (0.0, 5.0),
    ));
    out.push(Block::Space(24.0));
    out.push(verdict_tiles(&view.verdicts, spec));
    out.push(Block::PageBreak);
}

/// Coloured tiles: how many controls have each verdict.
fn verdict_tiles(verdicts: &[Tally], spec: &PageSpec) -> Block {
    let gap = 8.0;
    let n = verdicts.len().max(1) as f32;
    let tile = (spec.body_width() - (n - 1.0) * gap) / n;
    let mut columns = Vec::new();
    let mut row = Vec::new();
    for (i, v) in verdicts.iter().enumerate() {
        if i > 0 {
            columns.push(Column::auto("").fixed(gap));
            row.push(Cell::default());
        }
        let p = palette(v.key);
        columns.push(Column::auto("").fixed(tile));
        row.push(
            Cell::new(vec![
                Span::new(Style::new(Face::Bold, 20.0, p.ink), v.count.to_string()),
                Span::new(Style::new(Face::Bold, 8.0, p.ink), v.label),
            ])
            .filled(p.fill),
        );
    }
    let mut tiles = plain(columns, vec![row], None, (8.0, 7.0));
    if let Block::Table(t) = &mut tiles {
        t.style.span_gap = 0.0;
    }
    tiles
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
    plain(
        vec![
            Column::auto("").fixed(number_width),
            Column::auto(""),
            Column::auto("").right().fixed(page_width),
        ],
        rows,
        Some(RULE),
        (4.0, 4.0),
    )
}

/// `12 fail, 3 warn, ...` from tallies, leaving out the empty ones.
fn tallies(items: &[Tally]) -> String {
    let parts: Vec<String> = items
        .iter()
        .filter(|t| t.count > 0)
        .map(|t| format!("{} {}", t.count, t.label.to_lowercase()))
        .collect();
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(", ")
    }
}

fn summary(view: &ReportView, section: &Section, spec: &PageSpec, out: &mut Vec<Block>) {
    let by = |key: &str| {
        view.verdicts
            .iter()
            .find(|t| t.key == key)
            .map_or(0, |t| t.count)
    };
    out.push(section.heading());
    out.push(para(
        BODY,
        format!(
            "evidencer assessed {} controls against the evidence collected as of {}. {} are \
             satisfied, {} satisfied only with accepted exceptions, {} partially satisfied and \
             {} not satisfied; {} could not be assessed from this evidence, which is not the \
             same as passing.",
            view.controls.len(),
            view.as_of,
            by("satisfied"),
            by("satisfied_with_exceptions"),
            by("partially_satisfied"),
            by("not_satisfied"),
            by("not_assessed"),
        ),
        10.0,
    ));
    out.push(verdict_tiles(&view.verdicts, spec));
    out.push(Block::Space(10.0));
    out.push(para(
        BODY,
        format!(
            "Findings ({}): {}{}. {} objects and {} evidence records were read; input \
             problems: {}.",
            view.finding_total,
            tallies(&view.statuses),
            match view.finding_excepted {
                0 => String::new(),
                n => format!(
                    "; {n} of the failing or warning ones are covered by accepted exceptions"
                ),
            },
            view.objects,
            view.evidence_records,
            tallies(&view.problem_levels),
        ),
        12.0,
    ));
    let rows = view
        .controls
        .iter()
        .map(|c| {
            vec![
                Cell::new(vec![
                    Span::new(TD_BOLD, c.id),
                    Span::new(TD_MUTED, c.catalog),
                ]),
                Cell::text(TD, c.title),
                badge(c.verdict, c.verdict_label, 8.0),
                Cell::text(TD_BOLD, c.answer_label),
                count(c.counts.fail),
                count(c.counts.warn),
                count(c.counts.pass),
                count(c.counts.not_assessed + c.counts.error),
                count(c.excepted_count),
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
            Column::auto("Excepted").right(),
        ],
        rows,
    ));
    out.push(para(
        NOTE,
        "Counts are findings of the control's checks; \u{201c}not assessed\u{201d} includes \
         findings that ended in an error. \u{201c}Excepted\u{201d} counts the failing or \
         warning findings that an accepted exception covers: they are in the fail and warn \
         counts, but count as passing towards the verdict (section 3).",
        6.0,
    ));
    out.push(para(
        NOTE,
        format!("How verdicts are reached: {}", view.rules_summary),
        0.0,
    ));
    if let Some(clusters) = &view.clusters {
        cluster_table(clusters, out);
    }
}

/// A fleet's verdicts per cluster: per control the fleet's verdict and the clusters by
/// their own verdict, worst first (a list, not a column per cluster, so fifty clusters fit).
fn cluster_table(clusters: &crate::report::view::ClustersView, out: &mut Vec<Block>) {
    out.push(Block::Space(10.0));
    out.push(label("Verdicts per cluster", 4.0));
    out.push(para(
        BODY,
        format!(
            "The fleet's verdict on a control is the worst of the {} clusters' verdicts ({}). \
             Findings of a cluster's own evidence name it; findings of the inputs every \
             cluster shares are listed once.",
            clusters.names.len(),
            clusters
                .names
                .iter()
                .map(|k| match k.context {
                    Some(c) if c != k.name => format!("{} (context {c})", k.name),
                    _ => k.name.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        6.0,
    ));
    let rows = clusters
        .rows
        .iter()
        .map(|r| {
            let mut groups: Vec<(&str, &str, Vec<&str>)> = Vec::new();
            for (cell, k) in r.cells.iter().zip(&clusters.names) {
                match groups.iter_mut().find(|(_, label, _)| *label == cell.label) {
                    Some((_, _, names)) => names.push(k.name),
                    None => groups.push((cell.key, cell.label, vec![k.name])),
                }
            }
            let rank = |key: &str| {
                crate::assess::Verdict::ALL
                    .iter()
                    .position(|v| v.as_str() == key)
            };
            groups.sort_by_key(|(key, _, _)| std::cmp::Reverse(rank(key)));
            let text = groups
                .iter()
                .map(|(_, label, names)| format!("{label}: {}", names.join(", ")))
                .collect::<Vec<_>>()
                .join("; ");
            vec![
                Cell::text(TD_BOLD, r.id),
                badge(r.verdict, r.verdict_label, 8.0),
                Cell::text(TD, text),
            ]
        })
        .collect();
    out.push(grid(
        vec![
            Column::auto("Control"),
            Column::auto("Fleet"),
            Column::auto("Clusters"),
        ],
        rows,
    ));
}

fn control_section(view: &ReportView, c: &ControlView, section: &Section, out: &mut Vec<Block>) {
    out.push(section.heading());
    let catalog = view
        .catalogs
        .iter()
        .find(|k| k.catalog == c.catalog)
        .map_or(c.catalog, |k| k.title.as_str());
    out.push(para(NOTE, catalog, 6.0));
    out.push(callout(
        format!(
            "Answer: {}   \u{b7}   {}",
            c.answer_label.to_uppercase(),
            c.verdict_label
        ),
        palette(c.verdict),
    ));
    out.push(label("Question", 2.0));
    out.push(para(BODY, c.question, 4.0));
    out.push(para(
        NOTE,
        format!(
            "Source: {}. Id: {}.{}{}",
            c.source,
            c.id_source_label,
            c.csf_reference
                .map(|r| format!(" CSF 2.0 reference: {r} (evidencer's mapping, not an id)."))
                .unwrap_or_default(),
            if c.asks_for_process {
                " The question asks for a documented process: it is answered from an attested \
                 document."
            } else {
                ""
            }
        ),
        8.0,
    ));
    out.push(label("Answer", 2.0));
    out.push(para(BODY, prose(c.statement), 6.0));
    out.push(label("Assessment", 2.0));
    out.push(para(BODY, prose(c.narrative), 8.0));
    if !c.explanation.is_empty() {
        out.push(label("How the evidence answers it", 2.0));
        out.push(para(BODY, c.explanation, 8.0));
    }
    if !c.checks.is_empty() {
        out.push(label("Checks", 4.0));
        let rows = c
            .checks
            .iter()
            .map(|k| {
                let mut check = vec![Span::new(TD_BOLD, k.title), Span::new(TD_MONO_MUTED, k.id)];
                if k.required {
                    check.push(Span::new(TD_MUTED, "required: no answer without it"));
                }
                if k.critical {
                    check.push(Span::new(
                        TD_MUTED,
                        "critical: a failure decides the control",
                    ));
                }
                if k.supplementary {
                    check.push(Span::new(TD_MUTED, "supplementary: counts when assessed"));
                }
                if !k.relaxed_by.is_empty() {
                    check.push(Span::new(
                        TD_MUTED,
                        format!("failures count as warnings: {}", k.relaxed_by.join(", ")),
                    ));
                }
                vec![
                    Cell::new(check),
                    badge(k.status, k.status_label, 8.0),
                    count(k.counts.fail),
                    count(k.counts.warn),
                    count(k.counts.pass),
                    count(k.counts.not_assessed + k.counts.error),
                    Cell::text(TD_MUTED, k.reason.map(prose).unwrap_or_default()),
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
    if !c.documents.is_empty() {
        out.push(label("Attested documents", 4.0));
        let rows = c
            .documents
            .iter()
            .map(|d| {
                vec![
                    Cell::new(vec![
                        Span::new(TD_BOLD, d.id),
                        Span::new(TD, d.title),
                        Span::new(TD_MUTED, d.defined_at),
                    ]),
                    Cell::new(vec![
                        Span::new(
                            TD,
                            if d.verified {
                                d.document.to_string()
                            } else {
                                format!("{} (URL, not verified)", d.document)
                            },
                        ),
                        Span::new(TD_MONO_MUTED, format!("sha256 {}", d.sha256)),
                    ]),
                    Cell::text(TD, d.owner),
                    Cell::text(TD, d.approved),
                    Cell::text(TD, d.review_due),
                    badge(d.status, d.status_label, 8.0),
                ]
            })
            .collect();
        out.push(grid(
            vec![
                Column::auto("Attestation"),
                Column::auto("Document"),
                Column::auto("Owner"),
                Column::auto("Approved"),
                Column::auto("Review due"),
                Column::auto("Status"),
            ],
            rows,
        ));
        out.push(Block::Space(8.0));
    }
    if c.tables.is_empty() {
        out.push(label("Findings (0)", 4.0));
        out.push(para(
            BODY,
            "No findings: none of this control's checks had a subject to assess in the \
             evidence.",
            8.0,
        ));
        return;
    }
    for table in &c.tables {
        let title = match table.kind {
            "passing" => "Findings that pass",
            "excepted" => "Findings under accepted exceptions",
            _ => "Findings that need attention",
        };
        out.push(label(format!("{title} ({})", table.count), 4.0));
        out.push(grid(
            vec![
                Column::auto("Status"),
                Column::auto("Subject"),
                Column::auto("Finding"),
                Column::auto("Evidence"),
            ],
            table.rows.iter().map(finding_row).collect(),
        ));
        out.push(Block::Space(8.0));
    }
}

fn finding_row(f: &FindingRow) -> Vec<Cell> {
    let p = palette(f.status);
    let mut subject = vec![Span::new(TD, f.subject.clone())];
    if let Some(location) = &f.location {
        subject.push(Span::new(TD_MUTED, location.clone()));
    }
    let evidence: Vec<&str> = f.evidence.iter().map(|e| e.id).collect();
    vec![
        Cell::new(vec![
            Span::new(Style::new(Face::Bold, 7.5, p.ink), f.status_label),
            Span::new(Style::new(Face::Regular, 6.5, p.ink), f.severity),
        ])
        .filled(p.fill),
        Cell::new(subject),
        Cell::new(
            [
                Some(Span::new(TD, prose(f.message))),
                Some(Span::new(TD_MONO_MUTED, f.id)),
                f.first_seen
                    .map(|t| Span::new(TD_MUTED, format!("first seen {t}"))),
                f.exception.as_ref().map(|e| {
                    Span::new(
                        TD_MUTED,
                        format!(
                            "excepted: {} (ticket {}, expires {})",
                            e.id, e.ticket, e.expires
                        ),
                    )
                }),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        Cell::text(TD_MONO, evidence.join("\n")),
    ]
}

/// The accepted risks: applied, expired and unused, each with what it covers.
fn exceptions(view: &ReportView, section: &Section, out: &mut Vec<Block>) {
    out.push(section.heading());
    let x = &view.exceptions;
    if !x.any {
        out.push(para(
            BODY,
            "None: no exceptions file was given, or it lists none.",
            8.0,
        ));
        return;
    }
    out.push(para(
        BODY,
        "Accepted risks from the exceptions file. A failing or warning finding that an \
         exception in force covers keeps its status but does not count against its control; \
         an expired exception no longer applies; an unused one covers no failing or warning \
         finding.",
        8.0,
    ));
    let groups = [
        ("pass", "Applied", &x.applied),
        ("fail", "Expired", &x.expired),
        ("not_assessed", "Unused", &x.unused),
    ];
    let mut rows = Vec::new();
    for (key, label, list) in groups {
        for e in list.iter() {
            let mut findings: Vec<Span> = e
                .findings
                .iter()
                .flat_map(|f| {
                    [
                        Span::new(TD, format!("{} ({})", f.subject, f.status_label)),
                        Span::new(TD_MONO_MUTED, f.id),
                    ]
                })
                .collect();
            if findings.is_empty() {
                findings.push(Span::new(TD_MUTED, "none"));
            }
            rows.push(vec![
                Cell::new(vec![
                    Span::new(TD_BOLD, e.id),
                    Span::new(TD_MUTED, e.defined_at),
                ]),
                badge(key, label, 7.5),
                Cell::new(vec![
                    Span::new(TD_MONO, e.check),
                    Span::new(TD_MUTED, e.selector.clone()),
                ]),
                Cell::new(vec![
                    Span::new(TD, e.reason),
                    Span::new(
                        TD_MUTED,
                        format!("{}; ticket {}; expires {}", e.approver, e.ticket, e.expires),
                    ),
                ]),
                Cell::new(findings),
            ]);
        }
    }
    out.push(grid(
        vec![
            Column::auto("Exception"),
            Column::auto("State"),
            Column::auto("Check and selector"),
            Column::auto("Reason and approval"),
            Column::auto("Findings"),
        ],
        rows,
    ));
}

/// The changes since the previous period's report (`--compare-previous`), or the sentence
/// saying the archive holds none.
fn previous_period(previous: &Previous, section: &Section, out: &mut Vec<Block>) {
    out.push(section.heading());
    let d = match previous {
        Previous::None(sentence) => {
            out.push(para(BODY, sentence.clone(), 6.0));
            return;
        }
        Previous::Compared(d) => d,
    };
    let s = &d.summary;
    let label = d
        .old
        .period
        .as_ref()
        .map_or("an earlier run".to_string(), |p| p.label.clone());
    out.push(para(
        BODY,
        format!(
            "Compared with the report of {label} in the archive ({}, report id {}, schema version \
             {}), finding by finding id. Findings: {} new, {} regressed (passed before), {} still \
             open, {} resolved, {} no longer assessed. Control verdicts changed: {} ({} better, {} \
             worse). Exceptions: {} added, {} expired, {} removed.",
            d.old.path.as_deref().unwrap_or_default(),
            d.old.report_id.as_deref().unwrap_or_default(),
            d.old.schema_version,
            s.findings_new,
            s.findings_regressed,
            s.findings_still_open,
            s.findings_resolved,
            s.findings_no_longer_assessed,
            s.verdicts_changed,
            s.verdicts_better,
            s.verdicts_worse,
            s.exceptions_added,
            s.exceptions_expired,
            s.exceptions_removed
        ),
        6.0,
    ));
    for note in &d.not_compared {
        out.push(para(BODY, format!("Not compared: {note}."), 4.0));
    }
    for c in &d.controls.not_comparable {
        let which = if c.report == "old" {
            "previous report"
        } else {
            "this report"
        };
        out.push(para(
            BODY,
            format!("Not comparable: {} ({which}): {}.", c.id, c.reason),
            4.0,
        ));
    }
    if !d.controls.changed.is_empty() {
        out.push(label_block("Control verdicts that changed"));
        let rows = d
            .controls
            .changed
            .iter()
            .map(|c| {
                vec![
                    Cell::text(TD, c.id.clone()),
                    Cell::text(TD, c.before.clone()),
                    Cell::text(TD, c.now.clone()),
                    Cell::text(TD, c.direction.to_string()),
                ]
            })
            .collect();
        out.push(grid(
            vec![
                Column::auto("Control"),
                Column::auto("Before"),
                Column::auto("Now"),
                Column::auto("Direction"),
            ],
            rows,
        ));
    }
    let f = &d.findings;
    for (title, list) in [
        ("New findings", &f.new),
        ("Regressed findings (passed before)", &f.regressed),
        ("Resolved findings", &f.resolved),
        ("Findings no longer assessed", &f.no_longer_assessed),
        ("Findings still open", &f.still_open),
    ] {
        if list.is_empty() {
            continue;
        }
        out.push(label_block(&format!("{title} ({})", list.len())));
        let rows = list
            .iter()
            .map(|c| {
                vec![
                    Cell::new(vec![
                        Span::new(TD_MONO, c.check.clone()),
                        Span::new(TD_MONO_MUTED, c.id.clone()),
                    ]),
                    Cell::text(TD, c.subject.clone()),
                    Cell::text(
                        TD,
                        format!(
                            "{} to {}",
                            c.before.as_deref().unwrap_or("none"),
                            c.now.as_deref().unwrap_or("gone")
                        ),
                    ),
                    Cell::text(
                        TD,
                        c.first_seen
                            .as_deref()
                            .map(display_time)
                            .unwrap_or_default(),
                    ),
                ]
            })
            .collect();
        out.push(grid(
            vec![
                Column::auto("Finding"),
                Column::auto("Subject"),
                Column::auto("Status"),
                Column::auto("First seen"),
            ],
            rows,
        ));
    }
    let x = &d.exceptions;
    for (what, list) in [
        ("added", &x.added),
        ("expired", &x.expired),
        ("removed", &x.removed),
    ] {
        if list.is_empty() {
            continue;
        }
        let names: Vec<String> = list
            .iter()
            .map(|e| format!("{} (ticket {}, expires {})", e.id, e.ticket, e.expires))
            .collect();
        out.push(para(
            BODY,
            format!("Exceptions {what}: {}.", names.join(", ")),
            4.0,
        ));
    }
}

fn label_block(text: &str) -> Block {
    label(text.to_string(), 4.0)
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
    let image = |label: &str, image: &Option<String>| {
        Span::new(
            TD_MONO,
            format!("{label} {}", image.as_deref().unwrap_or("(none)")),
        )
    };
    let rows = rows
        .into_iter()
        .map(|c| {
            vec![
                Cell::text(TD, display_time(&c.time)),
                Cell::new(vec![
                    Span::new(TD_MONO, c.commit.chars().take(12).collect::<String>()),
                    Span::new(TD_MUTED, c.author.clone()),
                ]),
                Cell::text(TD, c.path.clone()),
                Cell::new(vec![
                    Span::new(TD, c.subject.clone()),
                    image("from", &c.old_image),
                    image("to", &c.new_image),
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

fn inputs(view: &ReportView, section: &Section, m: &Metrics, out: &mut Vec<Block>) {
    out.push(section.heading());
    out.push(label("Sources", 4.0));
    let rows = view
        .sources
        .iter()
        .map(|s| {
            let details: Vec<String> = s
                .details
                .iter()
                .map(|d| format!("{}: {}", d.key, d.value))
                .collect();
            vec![
                Cell::text(TD, s.id),
                Cell::text(TD, s.kind),
                Cell::text(TD, s.location),
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
    scope_and_limits(view, out);
    out.push(Block::Space(10.0));
    out.push(label("Coverage", 2.0));
    out.push(para(
        BODY,
        "What the input held, per kind. A kind that was not collected cannot support a \
         finding: checks that need it are not assessed, never passed.",
        4.0,
    ));
    let rows = view
        .coverage
        .iter()
        .map(|c| {
            let status = match c.count {
                Some(n) => format!("{}: {n}", c.status_label),
                None => c.status_label.to_string(),
            };
            vec![
                Cell::text(TD, c.kind.clone()),
                badge(c.status, &status, 7.5),
                Cell::text(TD_MUTED, c.note.clone()),
            ]
        })
        .collect();
    out.push(grid(
        vec![
            Column::auto("Kind"),
            Column::auto("Status"),
            Column::auto("Note"),
        ],
        rows,
    ));
    if !view.excluded.is_empty() {
        out.push(Block::Space(6.0));
        out.push(para(
            BODY,
            "Left out of the repositories' scope: files under these trees were not read. Files \
             counts what would have been read there at the period end.",
            4.0,
        ));
        let rows = view
            .excluded
            .iter()
            .map(|e| {
                vec![
                    Cell::text(TD, e.source.clone()),
                    Cell::text(TD, e.path.clone()),
                    Cell::text(TD, e.files.to_string()),
                    Cell::text(TD_MUTED, e.rule.clone()),
                ]
            })
            .collect();
        out.push(grid(
            vec![
                Column::auto("Repository"),
                Column::auto("Path"),
                Column::auto("Files"),
                Column::auto("Rule"),
            ],
            rows,
        ));
    }
    out.push(Block::Space(10.0));
    out.push(label("Redaction", 2.0));
    out.push(para(
        BODY,
        format!(
            "Before anything was hashed or stored: {}.",
            tallies(&view.redaction)
        ),
        10.0,
    ));
    out.push(label(
        format!("Input problems ({})", view.problems.len()),
        4.0,
    ));
    if view.problems.is_empty() {
        out.push(para(BODY, "Every input was read.", 10.0));
    } else {
        let rows = view
            .problems
            .iter()
            .map(|p| {
                let mut problem = vec![Span::new(TD, prose(p.message))];
                if let Some(hint) = p.hint {
                    problem.push(Span::new(TD_MUTED, prose(hint)));
                }
                vec![
                    badge(p.level, p.level_label, 7.5),
                    Cell::text(TD, p.location),
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
    let rows = view
        .catalogs
        .iter()
        .map(|c| (c.path.as_str(), c.builtin, c.sha256.as_str()))
        .chain(
            view.data_files
                .iter()
                .chain(view.templates)
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
/// What was collected and when, what the input cannot show, what was not assessed.
fn scope_and_limits(view: &ReportView, out: &mut Vec<Block>) {
    let scope = view.scope;
    out.push(label("Scope and limits", 2.0));
    let when = match view.period_kind {
        crate::report::PeriodKind::PointInTime => format!(
            "No audit period was given: the evidence shows the state as seen at {}.",
            view.stated_period
        ),
        crate::report::PeriodKind::Period => format!(
            "The evidence speaks for the audit period {}.",
            view.period.as_deref().unwrap_or(&view.stated_period)
        ),
    };
    out.push(para(BODY, when, 4.0));
    let rows = scope
        .sources
        .iter()
        .map(|s| {
            vec![
                Cell::text(TD, s.source.clone()),
                Cell::text(
                    TD,
                    s.collected_at
                        .clone()
                        .unwrap_or_else(|| "not recorded".into()),
                ),
                Cell::text(TD_MUTED, s.note.clone()),
            ]
        })
        .collect();
    out.push(grid(
        vec![
            Column::auto("Source"),
            Column::auto("Collected"),
            Column::auto("Note"),
        ],
        rows,
    ));
    out.push(Block::Space(6.0));
    out.push(para(BODY, "What the input cannot show:", 2.0));
    for l in &scope.limits {
        out.push(para(BODY, format!("- {l}"), 2.0));
    }
    out.push(Block::Space(4.0));
    if scope.not_assessed.is_empty() {
        out.push(para(
            BODY,
            "Every subject in the input was assessed by every check that applies to it.",
            4.0,
        ));
        return;
    }
    out.push(para(
        BODY,
        format!(
            "Subjects that could not be assessed ({}):",
            scope.not_assessed.len()
        ),
        4.0,
    ));
    let rows = scope
        .not_assessed
        .iter()
        .map(|n| {
            vec![
                Cell::text(TD, n.subject.clone()),
                Cell::text(TD, n.checks.join(", ")),
                Cell::text(TD_MUTED, n.reason.clone()),
            ]
        })
        .collect();
    out.push(grid(
        vec![
            Column::auto("Subject"),
            Column::auto("Checks"),
            Column::auto("Why"),
        ],
        rows,
    ));
}

fn digest_column(m: &Metrics) -> f32 {
    m.width(&TD_MONO, &"0".repeat(32)) + 8.0 + 0.5
}

fn evidence(view: &ReportView, section: &Section, m: &Metrics, out: &mut Vec<Block>) {
    out.push(section.heading());
    out.push(para(
        BODY,
        format!(
            "Every evidence record of this report ({}), with where it was read and the SHA-256 \
             of its bytes as stored after redaction (objects: compact JSON with sorted keys). \
             Findings cite these ids.",
            view.evidence_records
        ),
        8.0,
    ));
    for group in &view.evidence_groups {
        out.push(label(format!("{} ({})", group.source, group.count), 4.0));
        let rows = group
            .rows
            .iter()
            .map(|e| {
                let mut what = vec![
                    Span::new(Style::new(Face::Mono, 6.5, INK), e.id),
                    Span::new(TD, e.describes),
                ];
                if let Some(t) = e.time.as_ref().or(e.collected_at.as_ref()) {
                    what.push(Span::new(TD_MUTED, t.clone()));
                }
                vec![
                    Cell::new(what),
                    Cell::new(vec![Span::new(TD, e.locator), Span::new(TD_MUTED, e.kind)]),
                    Cell::text(TD_MONO, e.sha256),
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
        out.push(Block::Space(8.0));
    }
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
}
