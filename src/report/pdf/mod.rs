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
//! in the contents; "of M" is known once the second pass is done. The same report gives the
//! same bytes.

pub mod content;
pub mod draw;
pub mod fonts;
pub mod layout;

use std::collections::BTreeMap;

use self::layout::{Align, Laid, Metrics, PageSpec};
use crate::report::Report;
use crate::report::view::TITLE;

/// One change of an image reference found in Git history: a row of the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageChange {
    /// Commit time, RFC 3339.
    pub time: String,
    pub commit: String,
    pub author: String,
    /// The file whose image reference changed.
    pub path: String,
    /// The commit's subject line.
    pub subject: String,
    /// `None` when the reference was added.
    pub old_image: Option<String>,
    /// `None` when the reference was removed.
    pub new_image: Option<String>,
}

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
    let m = &fonts::fonts().metrics;
    let spec = PageSpec::a4();
    let mut pages: BTreeMap<String, usize> = BTreeMap::new();
    let mut laid = Laid::default();
    // The contents list has one line per section whatever the numbers say, so the second
    // pass paginates like the first; the third is only a guard.
    for _ in 0..3 {
        let blocks = content::blocks(input, &pages, m, &spec);
        laid = layout::layout(m, &spec, &blocks);
        let found: BTreeMap<String, usize> = laid
            .marks
            .iter()
            .map(|k| (k.outline.key.clone(), k.page + 1))
            .collect();
        if found == pages {
            break;
        }
        pages = found;
    }
    decorate(&mut laid, input, m, &spec);
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
    draw::pdf(&laid, &spec, &meta)
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
