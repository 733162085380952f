//! Page layout for the PDF report: measured text, wrapping, tables and pagination.
//!
//! Takes a list of [`Block`]s (headings, paragraphs, tables, spaces, page breaks) and the
//! glyph advances of the embedded fonts ([`Metrics`]), and gives [`Page`]s of absolutely
//! placed text runs, filled rectangles and rules, plus where every outlined heading landed
//! ([`Mark`]), for the document outline and the table of contents. It knows nothing of PDF
//! or of the report, so it is tested on its own; `super::draw` turns pages into PDF.
//!
//! The rules, in the order a reader notices them: every line fits its column (words wrap,
//! and tokens longer than a line, such as image digests and file paths, break after `/`,
//! `:`, `@`, `-` and similar when they can and anywhere when they cannot); table columns
//! get widths computed from their content; table rows never split unless a row is taller
//! than a page, and the header row is repeated on every page a table continues on; a
//! heading stays on the same page as the start of what follows it; a paragraph does not
//! leave a single line at the bottom of a page; a control or bidi character is drawn and
//! measured as its code (`\u{1b}`, see [`crate::base::text`]).
//!
//! Coordinates are PDF points (1/72 in) from the top-left corner of the page; text
//! positions are baselines.

use crate::base::text;

/// A typeface of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Face {
    Regular,
    Bold,
    Mono,
}

impl Face {
    pub const ALL: [Face; 3] = [Face::Regular, Face::Bold, Face::Mono];

    pub fn index(self) -> usize {
        match self {
            Face::Regular => 0,
            Face::Bold => 1,
            Face::Mono => 2,
        }
    }
}

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// How a run of text looks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    pub face: Face,
    /// Font size in points.
    pub size: f32,
    pub color: Rgb,
}

/// Line height as a multiple of the font size.
const LEADING: f32 = 1.3;

impl Style {
    pub const fn new(face: Face, size: f32, color: Rgb) -> Style {
        Style { face, size, color }
    }

    pub fn line_height(&self) -> f32 {
        self.size * LEADING
    }
}

/// Advance widths and vertical extent of one face, in em.
#[derive(Clone, Debug)]
pub struct FaceMetrics {
    /// Advance per Basic Multilingual Plane code point; negative where the font has no glyph.
    advances: Vec<f32>,
    /// Advance of the glyph drawn for characters the font lacks (`.notdef`).
    missing: f32,
    pub ascent: f32,
    /// Depth below the baseline, positive.
    pub descent: f32,
}

impl FaceMetrics {
    /// Builds the table from (character, advance in em) pairs.
    pub fn new(
        advances: impl IntoIterator<Item = (char, f32)>,
        missing: f32,
        ascent: f32,
        descent: f32,
    ) -> FaceMetrics {
        let mut table = vec![-1.0; 0x1_0000];
        for (c, advance) in advances {
            if let Some(slot) = table.get_mut(c as usize) {
                *slot = advance;
            }
        }
        FaceMetrics {
            advances: table,
            missing,
            ascent,
            descent,
        }
    }

    /// Every character `em` wide: makes widths easy to reason about in tests.
    pub fn uniform(em: f32) -> FaceMetrics {
        FaceMetrics {
            advances: vec![em; 0x1_0000],
            missing: em,
            ascent: 0.8,
            descent: 0.2,
        }
    }

    pub fn has_glyph(&self, c: char) -> bool {
        self.advances.get(c as usize).is_some_and(|a| *a >= 0.0)
    }

    fn advance(&self, c: char) -> f32 {
        match self.advances.get(c as usize) {
            Some(a) if *a >= 0.0 => *a,
            _ => self.missing,
        }
    }
}

/// The metrics of every face, measured from the fonts the PDF embeds, so what the layout
/// measures is what the reader draws.
#[derive(Clone, Debug)]
pub struct Metrics {
    faces: [FaceMetrics; 3],
}

impl Metrics {
    pub fn new(regular: FaceMetrics, bold: FaceMetrics, mono: FaceMetrics) -> Metrics {
        Metrics {
            faces: [regular, bold, mono],
        }
    }

    pub fn face(&self, face: Face) -> &FaceMetrics {
        &self.faces[face.index()]
    }

    /// Width of `text` on one line, in points; a control or bidi character is measured as
    /// the code it is drawn as (see [`crate::base::text`]).
    pub fn width(&self, style: &Style, text: &str) -> f32 {
        let face = self.face(style.face);
        let advance = |c: char| {
            if text::is_hostile(c) {
                let mut code = String::new();
                text::push_code(&mut code, c);
                code.chars().map(|c| face.advance(c)).sum()
            } else {
                face.advance(c)
            }
        };
        text.chars().map(advance).sum::<f32>() * style.size
    }

    /// Distance from the top of a line box to the baseline of text in `style`.
    fn baseline(&self, style: &Style) -> f32 {
        let face = self.face(style.face);
        let glyphs = (face.ascent + face.descent) * style.size;
        (style.line_height() - glyphs) / 2.0 + face.ascent * style.size
    }
}

/// One wrapped line and its measured width.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub text: String,
    pub width: f32,
}

/// Characters after which a long token (path, image reference, digest, URL) may break.
fn is_break_after(c: char) -> bool {
    matches!(
        c,
        '-' | '.' | ':' | '_' | ',' | ';' | '=' | '?' | '&' | '+' | '#' | '|' | ')'
    )
}

/// Characters before which a long token may break, so a path segment or a digest keeps
/// its leading `/` or `@`.
fn is_break_before(c: char) -> bool {
    matches!(c, '/' | '@')
}

/// Wraps `text` into lines no wider than `max` points. Line breaks in the text are kept;
/// runs of spaces collapse to one. Every paragraph gives at least one line (possibly
/// empty), and no line is wider than `max` unless a single character is.
pub fn wrap(m: &Metrics, style: &Style, text: &str, max: f32) -> Vec<Line> {
    let mut lines = Vec::new();
    let text = text::escape_controls(text);
    for paragraph in text.split('\n') {
        wrap_paragraph(m, style, paragraph, max, &mut lines);
    }
    lines
}

fn wrap_paragraph(m: &Metrics, style: &Style, text: &str, max: f32, out: &mut Vec<Line>) {
    let face = m.face(style.face);
    let size = style.size;
    let space = face.advance(' ') * size;
    let first = out.len();
    let mut cur = String::new();
    let mut cur_w = 0.0f32;
    let push = |out: &mut Vec<Line>, cur: &mut String, cur_w: &mut f32| {
        out.push(Line {
            text: std::mem::take(cur),
            width: *cur_w,
        });
        *cur_w = 0.0;
    };
    for word in text.split_whitespace() {
        let w = m.width(style, word);
        if cur.is_empty() && w <= max {
            cur.push_str(word);
            cur_w = w;
            continue;
        }
        if !cur.is_empty() && cur_w + space + w <= max {
            cur.push(' ');
            cur.push_str(word);
            cur_w += space + w;
            continue;
        }
        if w <= max {
            push(out, &mut cur, &mut cur_w);
            cur.push_str(word);
            cur_w = w;
            continue;
        }
        // A token longer than a whole line: break it into pieces.
        let mut rest = word;
        if !cur.is_empty() {
            let room = max - cur_w - space;
            // Fill the current line with a first piece when a useful amount fits;
            // otherwise the token starts on a line of its own.
            if room >= max * 0.3 {
                let (head, head_w, tail) = split_to_fit(m, style, rest, room, false);
                if !head.is_empty() {
                    cur.push(' ');
                    cur.push_str(head);
                    cur_w += space + head_w;
                    rest = tail;
                }
            }
            push(out, &mut cur, &mut cur_w);
        }
        loop {
            let (head, head_w, tail) = split_to_fit(m, style, rest, max, true);
            if tail.is_empty() {
                cur.push_str(head);
                cur_w = head_w;
                break;
            }
            out.push(Line {
                text: head.to_string(),
                width: head_w,
            });
            rest = tail;
        }
    }
    if !cur.is_empty() || out.len() == first {
        push(out, &mut cur, &mut cur_w);
    }
}

/// The longest prefix of `token` that fits in `room` (preferring to end after a break
/// character, if that keeps at least half of what fits), its width, and the rest. With
/// `progress`, the prefix has at least one character even if that one does not fit.
fn split_to_fit<'t>(
    m: &Metrics,
    style: &Style,
    token: &'t str,
    room: f32,
    progress: bool,
) -> (&'t str, f32, &'t str) {
    let face = m.face(style.face);
    let mut width = 0.0f32;
    let mut fit_end = 0;
    let mut fit_w = 0.0f32;
    let mut best_break: Option<(usize, f32)> = None;
    for (i, c) in token.char_indices() {
        if i > 0 && is_break_before(c) {
            best_break = Some((i, width));
        }
        let w = face.advance(c) * style.size;
        if width + w > room {
            break;
        }
        width += w;
        fit_end = i + c.len_utf8();
        fit_w = width;
        if is_break_after(c) {
            best_break = Some((fit_end, width));
        }
    }
    if fit_end == token.len() {
        return (token, fit_w, "");
    }
    if fit_end == 0 {
        if !progress {
            return ("", 0.0, token);
        }
        let c = token.chars().next().expect("a non-empty token");
        let end = c.len_utf8();
        return (&token[..end], face.advance(c) * style.size, &token[end..]);
    }
    let (end, w) = match best_break {
        Some((end, w)) if w >= fit_w * 0.5 => (end, w),
        _ => (fit_end, fit_w),
    };
    (&token[..end], w, &token[end..])
}

/// Horizontal alignment in a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    Center,
}

/// How wide a column is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Width {
    /// Computed from the content (see [`column_widths`]).
    Auto,
    /// Exactly this many points, padding included.
    Fixed(f32),
}

#[derive(Clone, Debug)]
pub struct Column {
    pub title: String,
    pub align: Align,
    pub width: Width,
}

impl Column {
    pub fn auto(title: &str) -> Column {
        Column {
            title: title.to_string(),
            align: Align::Left,
            width: Width::Auto,
        }
    }

    pub fn right(mut self) -> Column {
        self.align = Align::Right;
        self
    }

    pub fn fixed(mut self, width: f32) -> Column {
        self.width = Width::Fixed(width);
        self
    }
}

/// A run of text in one style; a cell stacks several.
#[derive(Clone, Debug)]
pub struct Span {
    pub style: Style,
    pub text: String,
}

impl Span {
    pub fn new(style: Style, text: impl Into<String>) -> Span {
        Span {
            style,
            text: text.into(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Cell {
    /// Stacked paragraphs, each wrapped on its own.
    pub spans: Vec<Span>,
    /// Background of the cell.
    pub fill: Option<Rgb>,
}

impl Cell {
    pub fn new(spans: Vec<Span>) -> Cell {
        Cell { spans, fill: None }
    }

    pub fn text(style: Style, text: impl Into<String>) -> Cell {
        Cell::new(vec![Span::new(style, text)])
    }

    pub fn filled(mut self, fill: Rgb) -> Cell {
        self.fill = Some(fill);
        self
    }
}

#[derive(Clone, Debug)]
pub struct TableStyle {
    /// Header row text; `None` draws no header row.
    pub header: Option<Style>,
    pub header_fill: Option<Rgb>,
    /// Background of every other body row.
    pub stripe: Option<Rgb>,
    /// Hairline under every row.
    pub rule: Option<Rgb>,
    pub pad_x: f32,
    pub pad_y: f32,
    /// Space between stacked spans of a cell.
    pub span_gap: f32,
}

#[derive(Clone, Debug)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub style: TableStyle,
}

/// An entry of the document outline.
#[derive(Clone, Debug, PartialEq)]
pub struct Outline {
    /// 1 for top-level sections.
    pub level: u8,
    /// Names the heading for the table of contents.
    pub key: String,
    pub title: String,
}

#[derive(Clone, Debug)]
pub struct Heading {
    pub text: String,
    pub style: Style,
    /// Dropped at the top of a page.
    pub space_before: f32,
    pub space_after: f32,
    pub outline: Option<Outline>,
}

#[derive(Clone, Debug)]
pub struct Paragraph {
    pub text: String,
    pub style: Style,
    pub space_after: f32,
    /// A filled box behind the paragraph (a callout); such paragraphs are kept whole.
    pub fill: Option<Rgb>,
    /// Inner padding of a filled paragraph.
    pub pad: f32,
}

impl Paragraph {
    pub fn new(style: Style, text: impl Into<String>, space_after: f32) -> Paragraph {
        Paragraph {
            text: text.into(),
            style,
            space_after,
            fill: None,
            pad: 0.0,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Block {
    Heading(Heading),
    Paragraph(Paragraph),
    Table(Table),
    /// Vertical space; dropped at the top of a page.
    Space(f32),
    PageBreak,
}

/// Something drawn on a page.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Text {
        x: f32,
        /// Baseline.
        y: f32,
        style: Style,
        text: String,
    },
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    /// A horizontal rule at `y` from `x1` to `x2`.
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
        color: Rgb,
    },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
}

impl Page {
    /// Places one line of text aligned within `[x, x + w]`.
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        m: &Metrics,
        style: Style,
        text: &str,
        x: f32,
        w: f32,
        baseline: f32,
        align: Align,
    ) {
        let tw = m.width(&style, text);
        let x = match align {
            Align::Left => x,
            Align::Right => x + w - tw,
            Align::Center => x + (w - tw) / 2.0,
        };
        self.items.push(Item::Text {
            x,
            y: baseline,
            style,
            text: text::escape_controls(text).into_owned(),
        });
    }

    /// Every text run on the page, in drawing order (for tests and diagnostics).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.items.iter().filter_map(|i| match i {
            Item::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
    }
}

/// Where an outlined heading landed.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub outline: Outline,
    /// 0-based page index.
    pub page: usize,
    /// Top of the heading.
    pub y: f32,
}

/// The laid-out document.
#[derive(Clone, Debug, Default)]
pub struct Laid {
    pub pages: Vec<Page>,
    pub marks: Vec<Mark>,
}

/// Page size and margins, in points. The body is what is inside the margins.
#[derive(Clone, Copy, Debug)]
pub struct PageSpec {
    pub width: f32,
    pub height: f32,
    pub top: f32,
    pub bottom: f32,
    pub left: f32,
    pub right: f32,
}

impl PageSpec {
    /// A4 portrait.
    pub fn a4() -> PageSpec {
        PageSpec {
            width: 595.28,
            height: 841.89,
            top: 64.0,
            bottom: 64.0,
            left: 50.0,
            right: 50.0,
        }
    }

    pub fn body_width(&self) -> f32 {
        self.width - self.left - self.right
    }

    pub fn body_bottom(&self) -> f32 {
        self.height - self.bottom
    }

    pub fn body_height(&self) -> f32 {
        self.body_bottom() - self.top
    }
}

/// Computes column widths that add up to `total`.
///
/// Each auto column has a natural width (its widest paragraph on one line) and a minimum:
/// its widest word, when the widest words of all columns fit side by side; otherwise words
/// in cells count at most an equal share of the table, because they can break (digests,
/// paths), while header words are never broken. When every natural width fits,
/// the spare room is shared in proportion to natural widths; when even the minimums do
/// not fit, the minimums are scaled down; otherwise each column gets its minimum plus a
/// share of the rest in proportion to how much wider it would like to be.
pub fn column_widths(m: &Metrics, table: &Table, total: f32) -> Vec<f32> {
    let pad = 2.0 * table.style.pad_x;
    let fixed: f32 = table
        .columns
        .iter()
        .map(|c| match c.width {
            Width::Fixed(w) => w,
            Width::Auto => 0.0,
        })
        .sum();
    let autos = table
        .columns
        .iter()
        .filter(|c| c.width == Width::Auto)
        .count();
    let avail = (total - fixed).max(0.0);
    let cap = if autos > 0 { avail / autos as f32 } else { 0.0 };
    let mut natural = vec![0.0f32; table.columns.len()];
    // Minimums: `soft` counts every word whole, `hard` lets words in cells break.
    let mut soft = vec![0.0f32; table.columns.len()];
    let mut hard = vec![0.0f32; table.columns.len()];
    let mut measure = |i: usize, style: &Style, text: &str, breakable: bool| {
        for paragraph in text.split('\n') {
            natural[i] = natural[i].max(m.width(style, paragraph) + pad);
            for word in paragraph.split_whitespace() {
                let w = m.width(style, word) + pad;
                soft[i] = soft[i].max(w);
                hard[i] = hard[i].max(if breakable { w.min(cap) } else { w });
            }
        }
    };
    for (i, column) in table.columns.iter().enumerate() {
        if column.width != Width::Auto {
            continue;
        }
        if let Some(style) = &table.style.header {
            measure(i, style, &column.title, false);
        }
        for row in &table.rows {
            if let Some(cell) = row.get(i) {
                for span in &cell.spans {
                    measure(i, &span.style, &span.text, true);
                }
            }
        }
    }
    let auto_idx: Vec<usize> = (0..table.columns.len())
        .filter(|i| table.columns[*i].width == Width::Auto)
        .collect();
    for &i in &auto_idx {
        natural[i] = natural[i].max(pad + 1.0);
    }
    // Words stay whole when they all fit; otherwise only the long ones break.
    let soft_sum: f32 = auto_idx.iter().map(|&i| soft[i].min(natural[i])).sum();
    let minimum: Vec<f32> = (0..table.columns.len())
        .map(|i| {
            let m = if soft_sum <= avail { soft[i] } else { hard[i] };
            m.max(pad + 1.0).min(natural[i])
        })
        .collect();
    let sum_nat: f32 = auto_idx.iter().map(|&i| natural[i]).sum();
    let sum_min: f32 = auto_idx.iter().map(|&i| minimum[i]).sum();
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| match c.width {
            Width::Fixed(w) => w,
            Width::Auto if sum_nat <= avail => natural[i] * avail / sum_nat,
            Width::Auto if sum_min >= avail => minimum[i] * avail / sum_min,
            Width::Auto => {
                minimum[i] + (natural[i] - minimum[i]) * (avail - sum_min) / (sum_nat - sum_min)
            }
        })
        .collect()
}

/// A wrapped line in a cell, `dy` below the top of the cell's content.
#[derive(Clone, Debug)]
struct CellLine {
    style: Style,
    text: String,
    width: f32,
    dy: f32,
}

#[derive(Clone, Debug, Default)]
struct PreparedCell {
    lines: Vec<CellLine>,
    /// Content height, padding excluded.
    height: f32,
    fill: Option<Rgb>,
}

#[derive(Clone, Debug, Default)]
struct PreparedRow {
    cells: Vec<PreparedCell>,
    /// Padding included.
    height: f32,
}

/// A table with its column widths and wrapped rows.
pub struct PreparedTable<'b> {
    table: &'b Table,
    widths: Vec<f32>,
    header: Option<PreparedRow>,
    rows: Vec<PreparedRow>,
}

fn prepare_cell(m: &Metrics, spans: &[Span], inner: f32, gap: f32) -> PreparedCell {
    let mut cell = PreparedCell::default();
    let mut dy = 0.0;
    for (n, span) in spans.iter().enumerate() {
        if n > 0 {
            dy += gap;
        }
        for line in wrap(m, &span.style, &span.text, inner) {
            cell.lines.push(CellLine {
                style: span.style,
                text: line.text,
                width: line.width,
                dy,
            });
            dy += span.style.line_height();
        }
    }
    cell.height = dy;
    cell
}

impl<'b> PreparedTable<'b> {
    fn new(m: &Metrics, table: &'b Table, total: f32) -> PreparedTable<'b> {
        let widths = column_widths(m, table, total);
        let style = &table.style;
        let row = |cells: Vec<PreparedCell>| {
            let content = cells.iter().map(|c| c.height).fold(0.0, f32::max);
            PreparedRow {
                cells,
                height: content + 2.0 * style.pad_y,
            }
        };
        let inner = |i: usize| (widths[i] - 2.0 * style.pad_x).max(1.0);
        let header = style.header.map(|hs| {
            row(table
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| prepare_cell(m, &[Span::new(hs, c.title.clone())], inner(i), 0.0))
                .collect())
        });
        let rows = table
            .rows
            .iter()
            .map(|cells| {
                row((0..table.columns.len())
                    .map(|i| match cells.get(i) {
                        Some(cell) => {
                            let mut p = prepare_cell(m, &cell.spans, inner(i), style.span_gap);
                            p.fill = cell.fill;
                            p
                        }
                        None => PreparedCell::default(),
                    })
                    .collect())
            })
            .collect();
        PreparedTable {
            table,
            widths,
            header,
            rows,
        }
    }

    fn header_height(&self) -> f32 {
        self.header.as_ref().map_or(0.0, |h| h.height)
    }

    /// The header and the first row (or its first few lines, when it is tall).
    fn min_start(&self) -> f32 {
        self.header_height() + self.rows.first().map_or(0.0, |r| r.height.min(60.0))
    }
}

impl PreparedRow {
    /// Splits the row so that the first part is at most `avail` high (padding included);
    /// lines move whole. `None` when not even one line fits.
    fn split(&self, avail: f32, pad_y: f32) -> Option<(PreparedRow, PreparedRow)> {
        let limit = avail - 2.0 * pad_y;
        let mut first = PreparedRow::default();
        let mut rest = PreparedRow::default();
        let mut any = false;
        for cell in &self.cells {
            let mut a = PreparedCell {
                fill: cell.fill,
                ..Default::default()
            };
            let mut b = a.clone();
            let mut cut: Option<f32> = None;
            for line in &cell.lines {
                let bottom = line.dy + line.style.line_height();
                if cut.is_none() && bottom <= limit {
                    a.height = bottom;
                    a.lines.push(line.clone());
                    any = true;
                } else {
                    let top = *cut.get_or_insert(line.dy);
                    let mut moved = line.clone();
                    moved.dy -= top;
                    b.height = moved.dy + moved.style.line_height();
                    b.lines.push(moved);
                }
            }
            first.cells.push(a);
            rest.cells.push(b);
        }
        if !any {
            return None;
        }
        let height = |r: &PreparedRow| r.cells.iter().map(|c| c.height).fold(0.0, f32::max);
        first.height = height(&first) + 2.0 * pad_y;
        rest.height = height(&rest) + 2.0 * pad_y;
        Some((first, rest))
    }
}

/// A block measured and wrapped, ready to be placed (see [`prepare`]).
pub enum Prepared<'b> {
    Heading(&'b Heading, Vec<Line>),
    Paragraph(&'b Paragraph, Vec<Line>),
    Table(PreparedTable<'b>),
    Space(f32),
    PageBreak,
}

impl Prepared<'_> {
    /// The least height that must fit where this block starts for it to start there:
    /// what a heading keeps with it.
    fn min_start(&self) -> f32 {
        match self {
            Prepared::Heading(h, lines) => {
                lines.len() as f32 * h.style.line_height() + h.space_after
            }
            Prepared::Paragraph(p, lines) if p.fill.is_some() => {
                lines.len() as f32 * p.style.line_height() + 2.0 * p.pad
            }
            Prepared::Paragraph(p, lines) => lines.len().min(2) as f32 * p.style.line_height(),
            Prepared::Table(t) => t.min_start(),
            Prepared::Space(_) | Prepared::PageBreak => 0.0,
        }
    }
}

struct Flow<'a> {
    m: &'a Metrics,
    spec: &'a PageSpec,
    pages: Vec<Page>,
    marks: Vec<Mark>,
    y: f32,
}

impl Flow<'_> {
    fn page(&mut self) -> &mut Page {
        self.pages.last_mut().expect("flow starts with a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = self.spec.top;
    }

    fn remaining(&self) -> f32 {
        self.spec.body_bottom() - self.y
    }

    fn at_top(&self) -> bool {
        self.y <= self.spec.top + 0.01
    }

    /// Starts a new page unless `h` fits here or this already is the top of a page.
    fn ensure(&mut self, h: f32) {
        if h > self.remaining() + 0.01 && !self.at_top() {
            self.new_page();
        }
    }

    fn line(&mut self, style: Style, line: &Line, x: f32) {
        let baseline = self.y + self.m.baseline(&style);
        self.page().items.push(Item::Text {
            x,
            y: baseline,
            style,
            text: line.text.clone(),
        });
        self.y += style.line_height();
    }

    fn heading(&mut self, h: &Heading, lines: &[Line], keep: f32) {
        if !self.at_top() {
            self.y += h.space_before;
        }
        let height = lines.len() as f32 * h.style.line_height();
        self.ensure(height + keep);
        if let Some(outline) = &h.outline {
            let (page, y) = (self.pages.len() - 1, self.y);
            self.marks.push(Mark {
                outline: outline.clone(),
                page,
                y,
            });
        }
        for line in lines {
            self.line(h.style, line, self.spec.left);
        }
        self.y += h.space_after;
    }

    fn paragraph(&mut self, p: &Paragraph, lines: &[Line]) {
        let lh = p.style.line_height();
        if let Some(fill) = p.fill {
            let height = lines.len() as f32 * lh + 2.0 * p.pad;
            self.ensure(height);
            let (x, y, w) = (self.spec.left, self.y, self.spec.body_width());
            self.page().items.push(Item::Fill {
                x,
                y,
                w,
                h: height,
                color: fill,
            });
            self.y += p.pad;
            for line in lines {
                self.line(p.style, line, self.spec.left + p.pad);
            }
            self.y += p.pad + p.space_after;
            return;
        }
        // Never leave a lone first line at the bottom of a page.
        if lines.len() >= 2 {
            self.ensure(2.0 * lh);
        }
        for line in lines {
            self.ensure(lh);
            self.line(p.style, line, self.spec.left);
        }
        self.y += p.space_after;
    }

    fn table(&mut self, t: &PreparedTable) {
        let header_h = t.header_height();
        self.ensure(t.min_start());
        self.table_header(t);
        let fresh_top = |flow: &Self| flow.y <= flow.spec.top + header_h + 0.01;
        for (n, row) in t.rows.iter().enumerate() {
            let mut row = row.clone();
            loop {
                if row.height <= self.remaining() + 0.01 {
                    self.table_row(t, &row, n);
                    break;
                }
                // A row taller than a fresh page is split, filling what is left of this
                // one; any other row moves to the next page whole.
                if row.height > self.spec.body_height() - header_h {
                    match row.split(self.remaining(), t.table.style.pad_y) {
                        Some((part, rest)) => {
                            self.table_row(t, &part, n);
                            row = rest;
                        }
                        None if fresh_top(self) => {
                            // Not even one line fits a fresh page: draw it anyway
                            // rather than loop.
                            self.table_row(t, &row, n);
                            break;
                        }
                        None => {}
                    }
                }
                self.new_page();
                self.table_header(t);
            }
        }
    }

    fn table_header(&mut self, t: &PreparedTable) {
        if let Some(header) = &t.header {
            let fill = t.table.style.header_fill;
            self.table_row_with(t, header, fill);
        }
    }

    fn table_row(&mut self, t: &PreparedTable, row: &PreparedRow, n: usize) {
        let stripe = if n % 2 == 1 {
            t.table.style.stripe
        } else {
            None
        };
        self.table_row_with(t, row, stripe);
    }

    fn table_row_with(&mut self, t: &PreparedTable, row: &PreparedRow, fill: Option<Rgb>) {
        let style = &t.table.style;
        let top = self.y;
        let left = self.spec.left;
        let total: f32 = t.widths.iter().sum();
        let m = self.m;
        let page = self.pages.last_mut().expect("a page");
        if let Some(color) = fill {
            page.items.push(Item::Fill {
                x: left,
                y: top,
                w: total,
                h: row.height,
                color,
            });
        }
        let mut x = left;
        for (i, cell) in row.cells.iter().enumerate() {
            let w = t.widths[i];
            if let Some(color) = cell.fill {
                page.items.push(Item::Fill {
                    x,
                    y: top,
                    w,
                    h: row.height,
                    color,
                });
            }
            let align = t.table.columns[i].align;
            for line in &cell.lines {
                let inner = w - 2.0 * style.pad_x;
                let dx = match align {
                    Align::Left => 0.0,
                    Align::Right => inner - line.width,
                    Align::Center => (inner - line.width) / 2.0,
                };
                page.items.push(Item::Text {
                    x: x + style.pad_x + dx,
                    y: top + style.pad_y + line.dy + m.baseline(&line.style),
                    style: line.style,
                    text: line.text.clone(),
                });
            }
            x += w;
        }
        if let Some(color) = style.rule {
            page.items.push(Item::Rule {
                x1: left,
                x2: left + total,
                y: top + row.height,
                width: 0.4,
                color,
            });
        }
        self.y = top + row.height;
    }
}

/// Lays `blocks` out on pages of `spec`.
pub fn layout(m: &Metrics, spec: &PageSpec, blocks: &[Block]) -> Laid {
    let prepared = prepare(m, spec, blocks);
    flow(m, spec, &prepared.iter().collect::<Vec<_>>())
}

/// Measures and wraps `blocks` for the body width of `spec`: the costly half of layout,
/// which a second pass can reuse for every block that did not change.
pub fn prepare<'b>(m: &Metrics, spec: &PageSpec, blocks: &'b [Block]) -> Vec<Prepared<'b>> {
    let width = spec.body_width();
    blocks
        .iter()
        .map(|b| match b {
            Block::Heading(h) => Prepared::Heading(h, wrap(m, &h.style, &h.text, width)),
            Block::Paragraph(p) => {
                Prepared::Paragraph(p, wrap(m, &p.style, &p.text, width - 2.0 * p.pad))
            }
            Block::Table(t) => Prepared::Table(PreparedTable::new(m, t, width)),
            Block::Space(s) => Prepared::Space(*s),
            Block::PageBreak => Prepared::PageBreak,
        })
        .collect()
}

/// Places prepared blocks on pages.
pub fn flow(m: &Metrics, spec: &PageSpec, prepared: &[&Prepared]) -> Laid {
    let mut flow = Flow {
        m,
        spec,
        pages: vec![Page::default()],
        marks: Vec::new(),
        y: spec.top,
    };
    for (i, block) in prepared.iter().enumerate() {
        match block {
            Prepared::Heading(h, lines) => {
                let keep = keep_with(&prepared[i + 1..]);
                flow.heading(h, lines, keep);
            }
            Prepared::Paragraph(p, lines) => flow.paragraph(p, lines),
            Prepared::Table(t) => flow.table(t),
            Prepared::Space(s) => {
                if !flow.at_top() {
                    flow.y = (flow.y + s).min(spec.body_bottom());
                }
            }
            Prepared::PageBreak => {
                if !flow.at_top() {
                    flow.new_page();
                }
            }
        }
    }
    Laid {
        pages: flow.pages,
        marks: flow.marks,
    }
}

/// What a heading keeps on its page: the spaces and one-line paragraphs after it and the
/// start of the next real block (through following headings, so a section heading stays
/// with the start of its first subsection).
fn keep_with(rest: &[&Prepared]) -> f32 {
    let mut h = 0.0;
    for (i, block) in rest.iter().enumerate() {
        match block {
            Prepared::Space(s) => h += s,
            Prepared::PageBreak => return 0.0,
            // A one-line paragraph (a subtitle, a short note) does not count as the
            // start of the content: keep it and look further.
            Prepared::Paragraph(p, lines) if lines.len() == 1 && p.fill.is_none() => {
                h += p.style.line_height() + p.space_after
            }
            Prepared::Heading(..) => return h + block.min_start() + keep_with(&rest[i + 1..]),
            _ => return h + block.min_start(),
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    const INK: Rgb = Rgb(0, 0, 0);
    /// 10 pt text in uniform metrics of 0.5 em: every character is exactly 5 pt wide.
    const BODY: Style = Style::new(Face::Regular, 10.0, INK);

    fn uniform() -> Metrics {
        Metrics::new(
            FaceMetrics::uniform(0.5),
            FaceMetrics::uniform(0.5),
            FaceMetrics::uniform(0.5),
        )
    }

    fn texts(lines: &[Line]) -> Vec<&str> {
        lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn words_wrap_at_spaces_within_the_width() {
        let m = uniform();
        // 50 pt = 10 characters per line.
        let lines = wrap(&m, &BODY, "the quick brown fox jumps over", 50.0);
        assert_eq!(texts(&lines), ["the quick", "brown fox", "jumps over"]);
        assert_eq!(lines[0].width, 45.0);
        assert!(lines.iter().all(|l| l.width <= 50.0));
    }

    #[test]
    fn line_breaks_are_kept_and_spaces_collapse() {
        let m = uniform();
        let lines = wrap(&m, &BODY, "a   b\n\nc", 100.0);
        assert_eq!(texts(&lines), ["a b", "", "c"]);
        assert_eq!(texts(&wrap(&m, &BODY, "", 100.0)), [""]);
    }

    #[test]
    fn long_tokens_break_at_path_separators_and_punctuation_when_they_can() {
        let m = uniform();
        let path = "registry.example.com/team/service/api";
        // 20 characters per line.
        let lines = wrap(&m, &BODY, path, 100.0);
        assert_eq!(texts(&lines), ["registry.example.com", "/team/service/api"]);
        let lines = wrap(
            &m,
            &BODY,
            "deploy/overlays/production/kustomization.yaml",
            100.0,
        );
        assert_eq!(
            texts(&lines),
            ["deploy/overlays", "/production", "/kustomization.yaml"]
        );
    }

    #[test]
    fn digests_break_anywhere_and_lose_no_character() {
        let m = uniform();
        let digest = format!("sha256:{}", "0123456789abcdef".repeat(4));
        let lines = wrap(&m, &BODY, &format!("image app@{digest} is pinned"), 100.0);
        assert!(lines.iter().all(|l| l.width <= 100.0), "{lines:?}");
        let joined: String = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            joined.replace(' ', ""),
            format!("imageapp@{digest}ispinned")
        );
        // The token starts on the first line, which has room for a useful piece of it.
        assert!(lines[0].text.starts_with("image app@"), "{lines:?}");
    }

    #[test]
    fn a_column_narrower_than_one_character_still_makes_progress() {
        let m = uniform();
        let lines = wrap(&m, &BODY, "abc", 2.0);
        assert_eq!(texts(&lines), ["a", "b", "c"]);
    }

    #[test]
    fn control_characters_are_drawn_and_measured_as_their_code() {
        let m = uniform();
        let lines = wrap(&m, &BODY, "a\u{1b}[2Jb \u{202e}c", 1000.0);
        assert_eq!(texts(&lines), ["a\\u{1b}[2Jb \\u{202e}c"]);
        assert!((lines[0].width - m.width(&BODY, "a\\u{1b}[2Jb \\u{202e}c")).abs() < 1e-3);
        assert!((m.width(&BODY, "\u{7}") - m.width(&BODY, "\\u{7}")).abs() < 1e-4);
    }

    #[test]
    fn measured_widths_follow_the_font() {
        let regular = FaceMetrics::new([('i', 0.3), ('W', 1.0), (' ', 0.3)], 0.6, 0.9, 0.2);
        let m = Metrics::new(regular.clone(), regular.clone(), regular);
        assert!((m.width(&BODY, "iW") - 13.0).abs() < 1e-4);
        // A character the font lacks is drawn (and measured) as the missing glyph.
        assert!((m.width(&BODY, "\u{4e2d}") - 6.0).abs() < 1e-4);
        assert!(!m.face(Face::Regular).has_glyph('\u{4e2d}'));
    }

    fn table(columns: Vec<Column>, rows: Vec<Vec<&str>>) -> Table {
        Table {
            columns,
            rows: rows
                .into_iter()
                .map(|r| r.into_iter().map(|t| Cell::text(BODY, t)).collect())
                .collect(),
            style: TableStyle {
                header: Some(Style::new(Face::Bold, 10.0, INK)),
                header_fill: Some(Rgb(200, 200, 200)),
                stripe: None,
                rule: Some(Rgb(100, 100, 100)),
                pad_x: 5.0,
                pad_y: 2.0,
                span_gap: 1.0,
            },
        }
    }

    fn sum(ws: &[f32]) -> f32 {
        ws.iter().sum()
    }

    #[test]
    fn columns_that_fit_grow_in_proportion_to_their_content() {
        let m = uniform();
        // Natural widths: 4 chars + 10 pad = 30, 8 chars + 10 pad = 50.
        let t = table(
            vec![Column::auto("Id"), Column::auto("Name")],
            vec![vec!["abcd", "abcdefgh"]],
        );
        let ws = column_widths(&m, &t, 160.0);
        assert!((sum(&ws) - 160.0).abs() < 1e-3);
        assert!(
            (ws[0] - 60.0).abs() < 1e-3 && (ws[1] - 100.0).abs() < 1e-3,
            "{ws:?}"
        );
    }

    #[test]
    fn long_text_gets_the_room_and_short_columns_keep_their_words() {
        let m = uniform();
        let message = "word ".repeat(60);
        let t = table(
            vec![
                Column::auto("Status"),
                Column::auto("Message"),
                Column::auto("Count").right(),
            ],
            vec![vec!["fail", &message, "12"], vec!["pass", "ok", "3"]],
        );
        let ws = column_widths(&m, &t, 300.0);
        assert!((sum(&ws) - 300.0).abs() < 1e-3, "{ws:?}");
        // "Status" (6 chars) and "Count" (5 chars) are never broken.
        assert!(ws[0] >= 40.0 - 1e-3 && ws[2] >= 35.0 - 1e-3, "{ws:?}");
        assert!(ws[1] > ws[0] + ws[2], "{ws:?}");
    }

    #[test]
    fn fixed_columns_keep_their_width_and_unbreakable_minimums_are_capped() {
        let m = uniform();
        let digest = "f".repeat(64);
        let t = table(
            vec![
                Column::auto("Locator"),
                Column::auto("Digest"),
                Column::auto("Page").fixed(40.0),
            ],
            vec![vec!["a/b/c.yaml#0", &digest, "1"]],
        );
        let ws = column_widths(&m, &t, 200.0);
        assert_eq!(ws[2], 40.0);
        assert!((sum(&ws) - 200.0).abs() < 1e-3, "{ws:?}");
        // The 330 pt digest does not squeeze the locator below its share.
        assert!(ws[0] >= 70.0, "{ws:?}");
    }

    fn spec() -> PageSpec {
        PageSpec {
            width: 300.0,
            height: 200.0,
            top: 20.0,
            bottom: 20.0,
            left: 10.0,
            right: 10.0,
        }
    }

    #[test]
    fn paragraphs_flow_across_pages_inside_the_body() {
        let m = uniform();
        let words: Vec<String> = (0..400).map(|i| format!("w{i:03}")).collect();
        let blocks = [Block::Paragraph(Paragraph::new(BODY, words.join(" "), 0.0))];
        let laid = layout(&m, &spec(), &blocks);
        // 280 pt = 56 chars = 11 words a line; 160 pt body / 13 pt = 12 lines a page.
        let lines: usize = laid.pages.iter().map(|p| p.texts().count()).sum();
        assert_eq!(lines, 400usize.div_ceil(11));
        assert_eq!(laid.pages.len(), lines.div_ceil(12));
        for page in &laid.pages {
            for item in &page.items {
                if let Item::Text { y, .. } = item {
                    assert!(*y > 20.0 && *y < 180.0, "baseline {y} outside the body");
                }
            }
        }
        let all: Vec<&str> = laid.pages.iter().flat_map(|p| p.texts()).collect();
        assert_eq!(all.join(" "), words.join(" "));
    }

    #[test]
    fn table_rows_flow_across_pages_with_the_header_repeated() {
        let m = uniform();
        let rows: Vec<String> = (0..40).map(|i| format!("row-{i:02}")).collect();
        let t = table(
            vec![Column::auto("Name"), Column::auto("Value")],
            rows.iter().map(|r| vec![r.as_str(), "x"]).collect(),
        );
        let laid = layout(&m, &spec(), &[Block::Table(t)]);
        assert!(laid.pages.len() >= 3, "{} pages", laid.pages.len());
        let mut seen = Vec::new();
        for page in &laid.pages {
            let texts: Vec<&str> = page.texts().collect();
            assert_eq!(&texts[..2], ["Name", "Value"], "header first on every page");
            assert_eq!(texts.iter().filter(|t| **t == "Name").count(), 1);
            seen.extend(
                texts
                    .iter()
                    .filter(|t| t.starts_with("row-"))
                    .map(|t| t.to_string()),
            );
        }
        assert_eq!(seen, rows, "every row once, in order");
    }

    #[test]
    fn rows_move_whole_and_only_a_row_taller_than_a_page_splits() {
        let m = uniform();
        // Cells of 3 lines (42 pt with padding) do not split: 160 pt body, header 17 pt.
        let three = "aaaa bbbb cccc";
        let t = table(
            vec![Column::auto("H").fixed(40.0), Column::auto("V")],
            (0..8).map(|_| vec![three, "v"]).collect(),
        );
        let laid = layout(&m, &spec(), &[Block::Table(t)]);
        for page in &laid.pages {
            let n = page.texts().filter(|t| *t == "aaaa").count();
            assert_eq!(
                page.texts().filter(|t| *t == "cccc").count(),
                n,
                "row split"
            );
        }
        // One row of 40 lines cannot fit anywhere: it splits, with the header repeated.
        let tall = vec!["word"; 40].join(" ");
        let t = table(
            vec![Column::auto("H").fixed(40.0), Column::auto("V")],
            vec![vec![tall.as_str(), "v"]],
        );
        let laid = layout(&m, &spec(), &[Block::Table(t)]);
        assert!(laid.pages.len() >= 4);
        let words: usize = laid
            .pages
            .iter()
            .map(|p| p.texts().filter(|t| *t == "word").count())
            .sum();
        assert_eq!(words, 40);
        assert!(laid.pages.iter().all(|p| p.texts().next() == Some("H")));
    }

    fn heading(text: &str, key: &str) -> Block {
        Block::Heading(Heading {
            text: text.into(),
            style: Style::new(Face::Bold, 12.0, INK),
            space_before: 6.0,
            space_after: 4.0,
            outline: Some(Outline {
                level: 1,
                key: key.into(),
                title: text.into(),
            }),
        })
    }

    #[test]
    fn a_heading_moves_to_the_next_page_with_the_start_of_its_content() {
        let m = uniform();
        // 11 lines fill the page down to 163; the heading (15.6 + 4) would fit, but not
        // with two lines of its paragraph after it.
        let filler = ["x"; 11].join("\n");
        let blocks = [
            Block::Paragraph(Paragraph::new(BODY, filler, 0.0)),
            heading("Findings", "findings"),
            Block::Paragraph(Paragraph::new(BODY, "one\ntwo\nthree", 0.0)),
        ];
        let laid = layout(&m, &spec(), &blocks);
        assert_eq!(laid.pages.len(), 2);
        assert_eq!(laid.pages[1].texts().next(), Some("Findings"));
        assert_eq!(laid.marks.len(), 1);
        assert_eq!(laid.marks[0].page, 1);
        assert_eq!(laid.marks[0].outline.key, "findings");
    }

    #[test]
    fn page_breaks_and_marks_number_pages_in_order() {
        let m = uniform();
        let blocks = [
            heading("One", "a"),
            Block::PageBreak,
            Block::PageBreak,
            heading("Two", "b"),
            heading("Three", "c"),
        ];
        let laid = layout(&m, &spec(), &blocks);
        assert_eq!(
            laid.pages.len(),
            2,
            "a second break on a fresh page adds none"
        );
        let pages: Vec<usize> = laid.marks.iter().map(|k| k.page).collect();
        assert_eq!(pages, [0, 1, 1]);
        assert!(laid.marks[1].y < laid.marks[2].y);
    }

    #[test]
    fn filled_paragraphs_are_kept_whole() {
        let m = uniform();
        let filler = ["x"; 10].join("\n");
        let mut callout = Paragraph::new(BODY, "a\nb\nc", 0.0);
        callout.fill = Some(Rgb(1, 2, 3));
        callout.pad = 4.0;
        let blocks = [
            Block::Paragraph(Paragraph::new(BODY, filler, 0.0)),
            Block::Paragraph(callout),
        ];
        let laid = layout(&m, &spec(), &blocks);
        assert_eq!(laid.pages.len(), 2);
        assert_eq!(laid.pages[1].texts().collect::<Vec<_>>(), ["a", "b", "c"]);
    }
}
