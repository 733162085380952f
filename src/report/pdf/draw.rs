//! Laid-out pages to PDF bytes, with printpdf and lopdf, reproducibly.
//!
//! Takes the [`Laid`] pages and the document's metadata and gives the file. printpdf draws
//! the pages and embeds the fonts; three things are done here instead of by printpdf, each
//! for a reason: fonts get fixed resource names (`F1`..`F3`) because printpdf's ids come
//! from a process-wide counter, so a second render in the same process would differ; the
//! outline is written with lopdf because printpdf's is flat, sorted by title rather than by
//! position, and points at whole pages; and the trailer's document id, random in printpdf,
//! is derived from the report id. Dates are the report's as-of instant. Same report, same
//! bytes.

use std::collections::BTreeSet;

use lopdf::{Dictionary, Object, ObjectId, StringFormat};
use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, PaintMode, PdfDocument, PdfFont, PdfFontHandle,
    PdfPage, PdfSaveOptions, Point, Pt, Rect, TextItem,
};
use sha2::{Digest, Sha256};

use super::fonts;
use super::layout::{Face, Item, Laid, Mark, PageSpec, Rgb};

/// What the document says about itself (the Info dictionary).
pub struct Meta<'a> {
    pub title: &'a str,
    pub author: &'a str,
    pub subject: &'a str,
    pub keywords: Vec<String>,
    /// Creation and modification date, seconds since the Unix epoch.
    pub created: i64,
    /// The report id: names the document in the trailer and the Info dictionary.
    pub id: &'a str,
}

fn font_id(face: Face) -> FontId {
    FontId(format!("F{}", face.index() + 1))
}

fn color(c: Rgb) -> Color {
    Color::Rgb(printpdf::Rgb {
        r: f32::from(c.0) / 255.0,
        g: f32::from(c.1) / 255.0,
        b: f32::from(c.2) / 255.0,
        icc_profile: None,
    })
}

const PT_PER_MM: f32 = 72.0 / 25.4;

/// Writes the PDF.
pub fn pdf(laid: Laid, spec: &PageSpec, meta: &Meta) -> Vec<u8> {
    let mut used: [BTreeSet<char>; 3] = Default::default();
    let marks = laid.marks;
    let pages = laid
        .pages
        .into_iter()
        .map(|page| {
            let ops = page_ops(page.items, spec.height, &mut used);
            PdfPage::new(Mm(spec.width / PT_PER_MM), Mm(spec.height / PT_PER_MM), ops)
        })
        .collect();

    let mut doc = PdfDocument::new(meta.title);
    doc.pages = pages;
    for face in Face::ALL {
        if !used[face.index()].is_empty() {
            let font = fonts::subset(face, &used[face.index()]);
            doc.resources
                .fonts
                .map
                .insert(font_id(face), PdfFont::new(font));
        }
    }
    let info = &mut doc.metadata.info;
    let date = printpdf::OffsetDateTime::from_unix_timestamp(meta.created)
        .unwrap_or_else(|_| printpdf::OffsetDateTime::from_unix_timestamp(0).expect("epoch"));
    info.creation_date = date;
    info.modification_date = date;
    info.metadata_date = date;
    info.document_title = meta.title.to_string();
    info.author = meta.author.to_string();
    info.subject = meta.subject.to_string();
    info.keywords = meta.keywords.clone();
    info.creator = format!("evidencer {}", env!("CARGO_PKG_VERSION"));
    info.producer = "evidencer with printpdf 0.12".to_string();
    info.identifier = meta.id.to_string();

    let options = PdfSaveOptions {
        optimize: true,
        // Fonts are subset already (see `fonts::subset`).
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&options, &mut warnings);
    for w in &warnings {
        tracing::debug!("printpdf: {w:?}");
    }
    add_outline(&mut lo, &marks, spec.height);
    // printpdf writes an empty GTS_PDFXVersion, which readers take for a PDF/X claim this
    // document does not make.
    let info = lo.trailer.get(b"Info").and_then(Object::as_reference).ok();
    if let Some(Ok(info)) = info.map(|id| lo.get_object_mut(id).and_then(Object::as_dict_mut)) {
        info.remove(b"GTS_PDFXVersion");
    }
    let id = Object::String(document_id(meta.id), StringFormat::Hexadecimal);
    lo.trailer.set("ID", Object::Array(vec![id.clone(), id]));
    compress(&mut lo);
    let mut out = Vec::new();
    lo.save_to(&mut out)
        .expect("writing a PDF into memory cannot fail");
    out
}

/// Deflates every stream, in parallel and at the fastest level: lopdf's own `compress` uses
/// the slowest level, which took most of the time of a large report for a few percent of
/// size. Deterministic: the output does not depend on the order the streams finish in.
fn compress(doc: &mut lopdf::Document) {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    use rayon::prelude::*;

    let streams: Vec<&mut lopdf::Stream> = doc
        .objects
        .values_mut()
        .filter_map(|o| match o {
            Object::Stream(s) if s.allows_compression && s.dict.get(b"Filter").is_err() => Some(s),
            _ => None,
        })
        .collect();
    streams.into_par_iter().for_each(|stream| {
        let mut encoder = ZlibEncoder::new(
            Vec::with_capacity(stream.content.len() / 4),
            Compression::new(3),
        );
        let deflated = encoder
            .write_all(&stream.content)
            .and_then(|()| encoder.finish());
        if let Ok(deflated) = deflated
            && deflated.len() + 19 < stream.content.len()
        {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(deflated);
        }
    });
}

/// Coordinates to a hundredth of a point: finer than any printer, and shorter to write.
fn pt(v: f32) -> Pt {
    Pt((v * 100.0).round() / 100.0)
}

/// The operations of one page: fills and rules first (they are backgrounds), then all text
/// in one text object. Records the characters each face draws.
fn page_ops(items: Vec<Item>, height: f32, used: &mut [BTreeSet<char>; 3]) -> Vec<Op> {
    // Every page's operations are held until the document is written, and an `Op` is large:
    // reserve what the items need (font and colour changes come on top) and give back the
    // rest at the end.
    let needed: usize = items
        .iter()
        .map(|item| match item {
            Item::Fill { .. } | Item::Text { .. } => 2,
            Item::Rule { .. } => 3,
        })
        .sum();
    let mut ops = Vec::with_capacity(needed + 2);
    for item in &items {
        match item {
            Item::Fill {
                x,
                y,
                w,
                h,
                color: c,
            } => {
                ops.push(Op::SetFillColor { col: color(*c) });
                ops.push(Op::DrawRectangle {
                    rectangle: Rect {
                        x: pt(*x),
                        y: pt(height - y - h),
                        width: pt(*w),
                        height: pt(*h),
                        mode: Some(PaintMode::Fill),
                        winding_order: None,
                    },
                });
            }
            Item::Rule {
                x1,
                x2,
                y,
                width,
                color: c,
            } => {
                let point = |x: f32| LinePoint {
                    p: Point {
                        x: pt(x),
                        y: pt(height - y),
                    },
                    bezier: false,
                };
                ops.push(Op::SetOutlineColor { col: color(*c) });
                ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
                ops.push(Op::DrawLine {
                    line: Line {
                        points: vec![point(*x1), point(*x2)],
                        is_closed: false,
                    },
                });
            }
            Item::Text { .. } => {}
        }
    }
    ops.push(Op::StartTextSection);
    // Text positions are moves (`Td`) from the previous run's origin, in whole hundredths
    // of a point so they add up exactly: two numbers a run where a text matrix takes six.
    let hundredths = |v: f32| (v * 100.0).round() as i64;
    let mut origin = (0i64, 0i64);
    let mut font: Option<(Face, f32)> = None;
    let mut fill: Option<Rgb> = None;
    for item in items {
        let Item::Text { x, y, style, text } = item else {
            continue;
        };
        if text.is_empty() {
            continue;
        }
        used[style.face.index()].extend(text.chars());
        if font != Some((style.face, style.size)) {
            font = Some((style.face, style.size));
            ops.push(Op::SetFont {
                font: PdfFontHandle::External(font_id(style.face)),
                size: Pt(style.size),
            });
        }
        if fill != Some(style.color) {
            fill = Some(style.color);
            ops.push(Op::SetFillColor {
                col: color(style.color),
            });
        }
        let at = (hundredths(x), hundredths(height - y));
        ops.push(Op::SetTextCursor {
            pos: Point {
                x: Pt((at.0 - origin.0) as f32 / 100.0),
                y: Pt((at.1 - origin.1) as f32 / 100.0),
            },
        });
        origin = at;
        ops.push(Op::ShowText {
            items: vec![TextItem::Text(text)],
        });
    }
    ops.push(Op::EndTextSection);
    ops.shrink_to_fit();
    ops
}

/// 16 bytes derived from the report id: the same report gives the same document id.
fn document_id(report_id: &str) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(b"evidencer report.pdf\0");
    hasher.update(report_id.as_bytes());
    hasher.finalize()[..16].to_vec()
}

/// A PDF text string: ASCII as is, anything else as UTF-16BE with a byte order mark;
/// control and bidi characters as their code (see [`crate::base::text`]).
fn text_string(s: &str) -> Object {
    let s = crate::base::text::escape_controls(s);
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Object::String(s.as_bytes().to_vec(), StringFormat::Literal);
    }
    let mut bytes = vec![0xfe, 0xff];
    for unit in s.encode_utf16() {
        bytes.extend(unit.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}

/// One outline entry and the entries under it.
struct Node<'m> {
    mark: &'m Mark,
    children: Vec<Node<'m>>,
}

/// Nests marks by level: a mark belongs under the closest earlier mark of a lower level.
fn tree(marks: &[Mark]) -> Vec<Node<'_>> {
    fn insert<'m>(nodes: &mut Vec<Node<'m>>, mark: &'m Mark) {
        match nodes.last_mut() {
            Some(last) if last.mark.outline.level < mark.outline.level => {
                insert(&mut last.children, mark)
            }
            _ => nodes.push(Node {
                mark,
                children: Vec::new(),
            }),
        }
    }
    let mut nodes = Vec::new();
    for mark in marks {
        insert(&mut nodes, mark);
    }
    nodes
}

/// Writes the document outline (bookmarks): nested, in document order, each entry pointing
/// at its heading's position, and opens the outline pane when the document is opened.
fn add_outline(doc: &mut lopdf::Document, marks: &[Mark], page_height: f32) {
    if marks.is_empty() {
        return;
    }
    let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    let root = doc.new_object_id();
    let nodes = tree(marks);
    let (first, last, count) = write_level(doc, &nodes, root, &pages, page_height);
    doc.objects.insert(
        root,
        Object::Dictionary(Dictionary::from_iter(vec![
            ("Type", Object::Name(b"Outlines".to_vec())),
            ("First", Object::Reference(first)),
            ("Last", Object::Reference(last)),
            ("Count", Object::Integer(count)),
        ])),
    );
    let catalog = doc.trailer.get(b"Root").and_then(Object::as_reference).ok();
    if let Some(Ok(catalog)) =
        catalog.map(|id| doc.get_object_mut(id).and_then(Object::as_dict_mut))
    {
        catalog.set("Outlines", Object::Reference(root));
        catalog.set("PageMode", Object::Name(b"UseOutlines".to_vec()));
    }
}

/// Writes sibling entries under `parent`; gives the first and last ids and how many
/// entries are visible (all, every level open).
fn write_level(
    doc: &mut lopdf::Document,
    nodes: &[Node],
    parent: ObjectId,
    pages: &[ObjectId],
    page_height: f32,
) -> (ObjectId, ObjectId, i64) {
    let ids: Vec<ObjectId> = nodes.iter().map(|_| doc.new_object_id()).collect();
    let mut visible = 0;
    for (i, node) in nodes.iter().enumerate() {
        let page = pages.get(node.mark.page).or(pages.last()).copied();
        let mut dict = Dictionary::from_iter(vec![
            ("Title", text_string(&node.mark.outline.title)),
            ("Parent", Object::Reference(parent)),
        ]);
        if let Some(page) = page {
            let top = (page_height - node.mark.y + 8.0).min(page_height);
            dict.set(
                "Dest",
                Object::Array(vec![
                    Object::Reference(page),
                    Object::Name(b"XYZ".to_vec()),
                    Object::Null,
                    Object::Real(top),
                    Object::Null,
                ]),
            );
        }
        if i > 0 {
            dict.set("Prev", Object::Reference(ids[i - 1]));
        }
        if i + 1 < ids.len() {
            dict.set("Next", Object::Reference(ids[i + 1]));
        }
        visible += 1;
        if !node.children.is_empty() {
            let (first, last, count) = write_level(doc, &node.children, ids[i], pages, page_height);
            dict.set("First", Object::Reference(first));
            dict.set("Last", Object::Reference(last));
            dict.set("Count", Object::Integer(count));
            visible += count;
        }
        doc.objects.insert(ids[i], Object::Dictionary(dict));
    }
    (ids[0], *ids.last().expect("non-empty level"), visible)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::pdf::layout::Outline;

    fn mark(level: u8, title: &str) -> Mark {
        Mark {
            outline: Outline {
                level,
                key: title.into(),
                title: title.into(),
            },
            page: 0,
            y: 0.0,
        }
    }

    #[test]
    fn outline_entries_nest_under_the_closest_higher_level() {
        let marks = [
            mark(1, "Summary"),
            mark(1, "Controls"),
            mark(2, "A"),
            mark(2, "B"),
            mark(1, "Appendix"),
        ];
        let nodes = tree(&marks);
        let shape: Vec<(&str, Vec<&str>)> = nodes
            .iter()
            .map(|n| {
                (
                    n.mark.outline.title.as_str(),
                    n.children
                        .iter()
                        .map(|c| c.mark.outline.title.as_str())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                ("Summary", vec![]),
                ("Controls", vec!["A", "B"]),
                ("Appendix", vec![])
            ]
        );
    }

    #[test]
    fn text_strings_are_ascii_or_utf16_with_a_bom() {
        assert_eq!(
            text_string("A b"),
            Object::String(b"A b".to_vec(), StringFormat::Literal)
        );
        assert_eq!(
            text_string("Zoë"),
            Object::String(
                vec![0xfe, 0xff, 0, b'Z', 0, b'o', 0, 0xeb],
                StringFormat::Hexadecimal
            )
        );
    }
}
