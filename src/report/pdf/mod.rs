//! `report.pdf`: the report as a document an auditor can file, generated in-process.
//!
//! Takes the [`Report`], its id ([`Report::id`] of its `report.json`), the organisation's
//! name and the image changes found in Git history, and gives the bytes of a PDF: a cover,
//! contents, an executive summary, a section per control, the image change timeline, inputs
//! and coverage, and an evidence appendix, with an outline entry per section and "Page N of
//! M" and the report id in every footer.
//!
//! [`content`] arranges the report as blocks, [`layout`] places them on pages (measuring
//! text with the embedded fonts of [`fonts`]) and [`draw`] writes the PDF. Layout runs
//! twice: the first pass finds the page of every section, the second prints those numbers
//! in the contents (reusing the measured and wrapped blocks of the first); "of M" is known
//! once the second pass is done. The same report gives the same bytes.

pub mod content;
pub mod draw;
pub mod fonts;
pub mod layout;

use std::collections::BTreeMap;

use self::layout::{Align, Laid, Metrics, PageSpec};
use crate::report::Report;
use crate::report::view::TITLE;

/// One change of an image reference found in Git history: a row of the timeline.
pub use crate::evidence::history::ImageChange;

/// What the PDF is made from.
pub struct PdfInput<'a> {
    pub report: &'a Report,
    /// [`Report::id`] of the run's `report.json`.
    pub report_id: &'a str,
    /// The organisation the report is about (`--org`); the author in the metadata.
    pub org: Option<&'a str>,
    /// Image changes from Git history; without any, the timeline is left out.
    pub changes: &'a [ImageChange],
}

/// Renders the PDF.
pub fn render(input: &PdfInput) -> Vec<u8> {
    let spec = PageSpec::a4();
    let laid = paginate(input, &spec);
    draw_document(input, laid, &spec)
}

/// Lays the document out (two passes, see the module docs) and adds headers and footers.
pub fn paginate(input: &PdfInput, spec: &PageSpec) -> Laid {
    let m = &fonts::fonts().metrics;
    let document = content::document(input, m, spec);
    let prepared = layout::prepare(m, spec, &document.blocks);
    let mut laid = layout::flow(m, spec, &prepared.iter().collect::<Vec<_>>());
    let mut pages: BTreeMap<String, usize> = BTreeMap::new();
    // Pass 1 found where every section starts; pass 2 prints those pages in the contents,
    // whose table has one line per section whatever the numbers, so it paginates like
    // pass 1. The loop only guards that. Only the contents table is prepared again.
    for _ in 0..2 {
        let found: BTreeMap<String, usize> = laid
            .marks
            .iter()
            .map(|k| (k.outline.key.clone(), k.page + 1))
            .collect();
        if found == pages {
            break;
        }
        pages = found;
        let table = [content::contents(&document, &pages, m)];
        let table = layout::prepare(m, spec, &table);
        let mut order: Vec<&layout::Prepared> = prepared.iter().collect();
        order[document.contents] = &table[0];
        laid = layout::flow(m, spec, &order);
    }
    decorate(&mut laid, input, m, spec);
    laid
}

fn draw_document(input: &PdfInput, laid: Laid, spec: &PageSpec) -> Vec<u8> {
    let author = input.org.unwrap_or("evidencer");
    let subject = format!(
        "Evidence that containers are replaced, never patched in place, and the platform kept \
         patched: {} controls assessed as of {}",
        input.report.controls.len(),
        input.report.as_of
    );
    let mut keywords = vec!["compliance evidence".to_string()];
    keywords.extend(
        input
            .report
            .provenance
            .catalogs
            .iter()
            .map(|c| c.title.clone()),
    );
    let meta = draw::Meta {
        title: TITLE,
        author,
        subject: &subject,
        keywords,
        created: chrono::DateTime::parse_from_rfc3339(&input.report.as_of)
            .map(|t| t.timestamp())
            .unwrap_or(0),
        id: input.report_id,
    };
    draw::pdf(laid, spec, &meta)
}

/// Adds the running header (every page but the cover) and the footer with the report id and
/// "Page N of M" (every page).
fn decorate(laid: &mut Laid, input: &PdfInput, m: &Metrics, spec: &PageSpec) {
    use self::content::{FOOT, FOOT_MONO, INK, MUTED};
    use self::layout::{Item, Rgb, Style};
    let total = laid.pages.len();
    let (left, width) = (spec.left, spec.body_width());
    let rule = Rgb(214, 219, 226);
    let label = "Report id ";
    let label_w = m.width(&FOOT, label);
    for (i, page) in laid.pages.iter_mut().enumerate() {
        let foot_rule = spec.body_bottom() + 22.0;
        page.items.push(Item::Rule {
            x1: left,
            x2: left + width,
            y: foot_rule,
            width: 0.5,
            color: rule,
        });
        let baseline = foot_rule + 12.0;
        page.text(m, FOOT, label, left, width, baseline, Align::Left);
        page.text(
            m,
            FOOT_MONO,
            input.report_id,
            left + label_w,
            width,
            baseline,
            Align::Left,
        );
        let number = Style::new(FOOT.face, FOOT.size, INK);
        page.text(
            m,
            number,
            &format!("Page {} of {total}", i + 1),
            left,
            width,
            baseline,
            Align::Right,
        );
        if i == 0 {
            continue;
        }
        let head_rule = spec.top - 22.0;
        let baseline = head_rule - 6.0;
        let head = Style::new(FOOT.face, FOOT.size, MUTED);
        page.text(m, head, TITLE, left, width, baseline, Align::Left);
        if let Some(org) = input.org {
            page.text(m, head, org, left, width, baseline, Align::Right);
        }
        page.items.push(Item::Rule {
            x1: left,
            x2: left + width,
            y: head_rule,
            width: 0.5,
            color: rule,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::catalog::Catalog;
    use crate::checks::{self, CheckContext, CheckSettings};
    use crate::collect::snapshot;
    use crate::evidence::finding::assign_ids;
    use crate::facts::Facts;
    use crate::report::RunInfo;

    /// A report from the real pipeline: `n` careless Deployments in a namespace with a
    /// non-ASCII name, each with a long image reference.
    fn report(n: usize) -> Report {
        let mut yaml = String::new();
        for i in 0..n {
            yaml.push_str(&format!(
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: café-{i}, namespace: zürich}}\n\
                 spec:\n  template:\n    spec:\n      containers:\n        - name: app\n          \
                 image: registry.example.com/very/long/repository/path/service-{i}:latest\n"
            ));
        }
        let mut inventory = snapshot::from_text("équipe/snapshot.yaml", &yaml);
        inventory.canonicalize();
        let catalog = Catalog::load(true, &[], 1 << 20).unwrap();
        let settings = CheckSettings {
            trusted_registries: vec!["registry.example.com".into()],
            ..crate::checks::test_support::settings_on("2026-09-30")
        };
        let mut findings = {
            let facts = Facts::build(&inventory);
            checks::run_all(&CheckContext {
                inventory: &inventory,
                facts: &facts,
                settings: &settings,
                audit: None,
            })
        };
        assign_ids(&mut findings, &inventory.sources);
        let controls = crate::assess::assess(&findings, &catalog);
        let run = RunInfo::at("2026-09-30T23:59:59Z");
        Report::build(run, inventory, findings, controls, &catalog)
    }

    fn input<'a>(report: &'a Report, id: &'a str, changes: &'a [ImageChange]) -> PdfInput<'a> {
        PdfInput {
            report,
            report_id: id,
            org: Some("Zoë Ærø GmbH"),
            changes,
        }
    }

    fn all_text(laid: &Laid) -> Vec<String> {
        laid.pages
            .iter()
            .map(|p| p.texts().collect::<Vec<_>>().join("\n"))
            .collect()
    }

    /// Streams are compressed in parallel: one worker thread and four, which finish them in
    /// different orders, give the same bytes.
    #[test]
    fn the_same_report_renders_to_the_same_bytes() {
        let report = report(3);
        let id = Report::id(&report.to_json());
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| render(&input(&report, &id, &[])))
        };
        let a = on(1);
        let b = on(4);
        assert!(a.starts_with(b"%PDF-"));
        assert!(a == b, "two renders differ");
        let other = render(&input(&report, "another-id", &[]));
        assert!(a != other, "the report id is in the document");
    }

    #[test]
    fn every_page_has_page_n_of_m_and_the_report_id_and_contents_give_real_pages() {
        let report = report(40);
        let id = Report::id(&report.to_json());
        let laid = paginate(&input(&report, &id, &[]), &PageSpec::a4());
        let pages = all_text(&laid);
        let total = pages.len();
        assert!(total > 8, "{total} pages");
        for (i, text) in pages.iter().enumerate() {
            assert!(
                text.contains(&format!("Page {} of {total}", i + 1)),
                "page {i}"
            );
            assert!(text.contains(&id), "page {i} lacks the report id");
        }
        // The contents page names the page each section starts on.
        let mark = |key: &str| {
            laid.marks
                .iter()
                .find(|m| m.outline.key == key)
                .map(|m| m.page + 1)
                .unwrap()
        };
        let contents = &pages[1];
        let evidence = mark("evidence");
        assert!(pages[evidence - 1].contains("Appendix A Evidence"));
        assert!(
            contents.contains(&format!("Appendix A\nEvidence\n{evidence}")),
            "{contents}"
        );
        assert!(pages[mark("control:PR.PS-02.242") - 1].contains("PR.PS-02.242"));
    }

    #[test]
    fn a_findings_table_longer_than_a_page_repeats_its_header() {
        let report = report(40);
        let laid = paginate(&input(&report, "id", &[]), &PageSpec::a4());
        let ids: std::collections::BTreeSet<&str> =
            report.findings.iter().map(|f| f.id.as_str()).collect();
        let mut pages_with_rows = 0;
        for (i, page) in laid.pages.iter().enumerate() {
            let texts: Vec<&str> = page.texts().collect();
            if !texts.iter().any(|t| ids.contains(t)) {
                continue;
            }
            pages_with_rows += 1;
            let header = texts
                .windows(4)
                .any(|w| w == ["Status", "Subject", "Finding", "Evidence"]);
            assert!(header, "page {} has finding rows but no header", i + 1);
        }
        assert!(pages_with_rows >= 3, "{pages_with_rows} pages of findings");
    }

    #[test]
    fn trees_left_out_of_a_repository_are_listed_under_coverage() {
        use crate::evidence::inventory::{ExcludedPath, ExclusionReason};
        let mut report = report(1);
        let without = all_text(&paginate(&input(&report, "id", &[]), &PageSpec::a4())).join("\n");
        assert!(!without.contains("Left out of the repositories"));
        report.inputs.excluded.push(ExcludedPath {
            source: "repo:gitops".into(),
            path: "vendor/lib/testdata".into(),
            directory: true,
            files: 7,
            reason: ExclusionReason::DefaultExclude,
            rule: Some("**/testdata/**".into()),
        });
        let text = all_text(&paginate(&input(&report, "id", &[]), &PageSpec::a4())).join("\n");
        for part in [
            "Left out of the repositories",
            "vendor/lib/testdata/",
            "default exclude **/testdata/**",
        ] {
            assert!(text.contains(part), "{part}");
        }
    }

    #[test]
    fn the_timeline_renders_from_changes_and_is_left_out_without_any() {
        let report = report(1);
        let without = all_text(&paginate(&input(&report, "id", &[]), &PageSpec::a4())).join("\n");
        assert!(!without.contains("Image change timeline"));
        let changes = [ImageChange {
            time: "2026-08-01T10:00:00Z".into(),
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            author: "Zoë Müller".into(),
            source: "repo:gitops".into(),
            path: "deploy/overlays/prod/kustomization.yaml".into(),
            subject: "Kustomization deploy/overlays/prod image shop/api".into(),
            old_image: Some("registry.example.com/shop/api:1.4.1".into()),
            new_image: Some("registry.example.com/shop/api:1.4.2".into()),
        }];
        let laid = paginate(&input(&report, "id", &changes), &PageSpec::a4());
        let text = all_text(&laid).join("\n");
        assert!(text.contains("4 Image change timeline"));
        assert!(text.contains("5 Inputs and coverage"), "sections renumber");
        for part in [
            "0123456789ab",
            "Zoë Müller",
            "Kustomization",
            "shop/api:1.4.2",
            "2026-08-01",
        ] {
            assert!(text.contains(part), "{part}");
        }
        assert!(laid.marks.iter().any(|m| m.outline.key == "timeline"));
    }
}
