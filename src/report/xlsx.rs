//! The questionnaire workbook, `answers.xlsx` (`--format xlsx`): the answers of
//! `answers.csv` laid out for people who fill questionnaires, with the findings and the
//! evidence beside them.
//!
//! Takes the [`Report`], its id, the questionnaire mapping when one was given and the
//! bundle path of each evidence record when a bundle is written, and gives the file's
//! bytes. Sheets: *Questionnaire* (with `--questionnaire`: one row per customer question),
//! one sheet per catalog (one row per control), *Findings* and *Evidence*. Rows are the
//! ones `answers.csv` is made of ([`super::answers`]): nothing is assessed again here.
//! Each sheet has a frozen header row and first column, a filter over every column, set
//! widths, wrapped text and its verdicts (and finding statuses) in colour.
//!
//! Every cell is written as a string or a number, never as a formula: a name such as
//! `=HYPERLINK(...)` is a string cell, and carries Excel's quote prefix so that editing the
//! cell keeps it text. Control and bidi characters are shown as their code (`\u{1b}`),
//! as in every other report. A cell holds at most 32,767 characters (Excel's limit) and a
//! sheet 1,048,576 rows: longer text and further rows are cut with a note that says so.
//! The same report gives the same bytes: the document's creation time is the as-of instant
//! and the zip entries carry a fixed date. Pure.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};

use super::Report;
use super::answers::{self, Common, ControlRow, QuestionRow};
use super::view::{answer_label, status_label, verdict_label};
use crate::assess::Verdict;
use crate::assess::questionnaire::Questionnaire;
use crate::base::text;
use crate::evidence::finding::Status;

/// The file `--format xlsx` writes.
pub const FILE_NAME: &str = "answers.xlsx";

/// The sheet of customer questions, with `--questionnaire`.
pub const QUESTIONNAIRE_SHEET: &str = "Questionnaire";
pub const FINDINGS_SHEET: &str = "Findings";
pub const EVIDENCE_SHEET: &str = "Evidence";

/// Excel's most characters (UTF-16 units) in a cell.
const MAX_CELL: usize = 32_767;
/// Excel's most rows in a sheet.
const MAX_ROWS: u32 = 1_048_576;
/// At most this many ids or paths are listed in one cell; the Evidence sheet lists all.
const MAX_LISTED: usize = 500;

/// Columns shared by the questionnaire and catalog sheets, after their own.
const COMMON_COLUMNS: [(&str, f64); 5] = [
    ("Period start", 21.0),
    ("Period end", 21.0),
    ("As of", 21.0),
    ("Scope", 40.0),
    ("Report id", 28.0),
];

/// The header of a catalog sheet, with each column's width.
pub const CONTROL_COLUMNS: [(&str, f64); 8] = [
    ("Control", 22.0),
    ("Question", 60.0),
    ("Answer", 14.0),
    ("Verdict", 18.0),
    ("Narrative", 70.0),
    ("Evidence summary", 70.0),
    ("Evidence records", 22.0),
    ("Bundle paths", 40.0),
];

/// The header of the questionnaire sheet.
pub const QUESTION_COLUMNS: [(&str, f64); 13] = [
    ("Question id", 14.0),
    ("Questionnaire", 18.0),
    ("Question", 60.0),
    ("Paraphrase", 11.0),
    ("Answer", 14.0),
    ("Verdict", 18.0),
    ("Combine", 14.0),
    ("Controls", 22.0),
    ("Control verdicts", 30.0),
    ("Narrative", 70.0),
    ("Evidence summary", 70.0),
    ("Evidence records", 22.0),
    ("Bundle paths", 40.0),
];

pub const FINDING_COLUMNS: [(&str, f64); 12] = [
    ("Finding", 34.0),
    ("Controls", 22.0),
    ("Check", 28.0),
    ("Status", 14.0),
    ("Severity", 10.0),
    ("Subject", 40.0),
    ("Source", 24.0),
    ("Location", 30.0),
    ("Message", 70.0),
    ("Exception", 18.0),
    ("Evidence records", 22.0),
    ("Bundle paths", 40.0),
];

pub const EVIDENCE_COLUMNS: [(&str, f64); 10] = [
    ("Record", 22.0),
    ("Source", 24.0),
    ("Kind", 9.0),
    ("Describes", 40.0),
    ("Locator", 40.0),
    ("sha256", 30.0),
    ("Collected at", 21.0),
    ("Time", 21.0),
    ("Bundle path", 40.0),
    ("Cited by findings", 10.0),
];

/// What the workbook is made from.
pub struct XlsxInput<'a> {
    pub report: &'a Report,
    /// The sha256 of the run's `report.json`.
    pub report_id: &'a str,
    /// The organisation the report is about (`--org`): the document's author and company.
    pub org: Option<&'a str>,
    pub questionnaire: Option<&'a Questionnaire>,
    /// Each evidence record's file in the evidence bundle, when one is written.
    pub bundle_paths: Option<&'a BTreeMap<String, String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    #[error("cannot build {FILE_NAME} (this is a bug: please report it)")]
    Build(#[source] XlsxError),
}

/// `answers.xlsx`.
pub fn render(input: &XlsxInput) -> Result<Vec<u8>, WorkbookError> {
    build(input).map_err(WorkbookError::Build)
}

/// The cell formats: text, header, and one per verdict and finding status.
struct Formats {
    header: Format,
    text: Format,
    number: Format,
    verdicts: [Format; 5],
    statuses: [Format; 6],
}

impl Formats {
    fn new() -> Self {
        let text = Format::new()
            .set_text_wrap()
            .set_align(FormatAlign::Top)
            // Editing the cell keeps it text, whatever it starts with.
            .set_quote_prefix();
        let coloured = |fill: u32, font: u32| {
            text.clone()
                .set_background_color(Color::RGB(fill))
                .set_font_color(Color::RGB(font))
        };
        // Excel's Good, Neutral and Bad styles; grey for what was not assessed.
        let good = (0xC6EFCE, 0x006100);
        let fair = (0xE2EFDA, 0x375623);
        let neutral = (0xFFEB9C, 0x9C5700);
        let bad = (0xFFC7CE, 0x9C0006);
        let grey = (0xE7E6E6, 0x3A3838);
        let verdicts = Verdict::ALL.map(|v| {
            let (fill, font) = match v {
                Verdict::Satisfied => good,
                Verdict::SatisfiedWithExceptions => fair,
                Verdict::PartiallySatisfied => neutral,
                Verdict::NotAssessed => grey,
                Verdict::NotSatisfied => bad,
            };
            coloured(fill, font)
        });
        let statuses = Status::ALL.map(|s| {
            let (fill, font) = match s {
                Status::Pass => good,
                Status::Fail | Status::Error => bad,
                Status::Warn => neutral,
                Status::NotApplicable | Status::NotAssessed => grey,
            };
            coloured(fill, font)
        });
        Formats {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_background_color(Color::RGB(0x1F4E78))
                .set_font_color(Color::White)
                .set_border_bottom(FormatBorder::Thin),
            number: Format::new().set_align(FormatAlign::Top),
            text,
            verdicts,
            statuses,
        }
    }

    fn verdict(&self, v: Verdict) -> &Format {
        let i = Verdict::ALL.iter().position(|x| *x == v).unwrap_or(0);
        &self.verdicts[i]
    }

    fn status(&self, s: Status) -> &Format {
        let i = Status::ALL.iter().position(|x| *x == s).unwrap_or(0);
        &self.statuses[i]
    }
}

fn build(input: &XlsxInput) -> Result<Vec<u8>, XlsxError> {
    let report = input.report;
    let mut workbook = Workbook::new();
    workbook.set_properties(&properties(input)?);
    let formats = Formats::new();
    let common = Common::new(report, input.report_id);
    let no_paths = BTreeMap::new();
    let paths = input.bundle_paths.unwrap_or(&no_paths);
    let rows = answers::control_rows(report);
    let mut names = SheetNames::default();

    if let Some(q) = input.questionnaire {
        let questions = answers::question_rows(q, &rows);
        let sheet = workbook.add_worksheet();
        sheet.set_name(names.take(QUESTIONNAIRE_SHEET))?;
        question_sheet(sheet, &formats, q, &questions, &common, paths)?;
    }
    // One sheet per catalog, in the order the report lists its controls.
    let mut catalogs: Vec<&str> = Vec::new();
    for r in &rows {
        if !catalogs.contains(&r.control.catalog.as_str()) {
            catalogs.push(&r.control.catalog);
        }
    }
    for catalog in catalogs {
        let of: Vec<&ControlRow> = rows
            .iter()
            .filter(|r| r.control.catalog == catalog)
            .collect();
        let sheet = workbook.add_worksheet();
        sheet.set_name(names.take(catalog))?;
        control_sheet(sheet, &formats, &of, &common, paths)?;
    }
    let sheet = workbook.add_worksheet();
    sheet.set_name(names.take(FINDINGS_SHEET))?;
    findings_sheet(sheet, &formats, report, paths)?;
    let sheet = workbook.add_worksheet();
    sheet.set_name(names.take(EVIDENCE_SHEET))?;
    evidence_sheet(sheet, &formats, report, paths)?;
    workbook.save_to_buffer()
}

/// Title, author, company, comment and creation time; the time is the report's as-of
/// instant, so the same report gives the same bytes.
fn properties(input: &XlsxInput) -> Result<DocProperties, XlsxError> {
    let report = input.report;
    let created = chrono::DateTime::parse_from_rfc3339(&report.as_of)
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default();
    use chrono::{Datelike, Timelike};
    let when = ExcelDateTime::from_ymd(
        u16::try_from(created.year()).unwrap_or(1970),
        created.month() as u8,
        created.day() as u8,
    )?
    .and_hms(
        created.hour() as u16,
        created.minute() as u8,
        f64::from(created.second()),
    )?;
    let org = input.org.map(plain).unwrap_or_default();
    let mut p = DocProperties::new()
        .set_creation_datetime(&when)
        .set_title(format!("{}: questionnaire answers", super::view::TITLE))
        .set_author(if org.is_empty() { "evidencer" } else { &org })
        .set_company(org.as_str())
        .set_comment(format!(
            "Written by evidencer {} from report {} (the sha256 of report.json), as of {}.",
            report.tool.version, input.report_id, report.as_of
        ))
        .set_custom_property("report_id", input.report_id)
        .set_custom_property("as_of", report.as_of.as_str());
    if let Some(p0) = &report.period {
        p = p.set_subject(format!("{} ({} to {})", p0.label, p0.start, p0.end));
    }
    if let Some(q) = input.questionnaire {
        p = p.set_custom_property("questionnaire", plain(&q.name).as_str());
    }
    Ok(p)
}

/// Sheet names as Excel takes them: at most 31 characters, none of `[]:*?/\`, not quoted,
/// unique whatever the case (`History` is Excel's own).
#[derive(Default)]
struct SheetNames {
    used: BTreeSet<String>,
}

impl SheetNames {
    fn take(&mut self, wanted: &str) -> String {
        let clean: String = wanted
            .chars()
            .map(|c| {
                if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control() {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        let clean = clean.trim_matches('\'').trim();
        let base: String = if clean.is_empty() {
            "Sheet".into()
        } else {
            clean.chars().take(31).collect()
        };
        let mut name = base.clone();
        let mut n = 1;
        while name.eq_ignore_ascii_case("history") || !self.used.insert(name.to_lowercase()) {
            n += 1;
            let suffix = format!(" ({n})");
            let keep = 31 - suffix.chars().count();
            name = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
        }
        name
    }
}

/// Text as a cell holds it: control and bidi characters as their code, cut at Excel's limit
/// with a note.
fn plain(value: &str) -> String {
    let shown = text::escape_controls(value);
    if shown.encode_utf16().count() <= MAX_CELL {
        return shown.into_owned();
    }
    const NOTE: &str =
        " [cut at Excel's 32,767-character cell limit; report.json holds the whole text]";
    let room = MAX_CELL - NOTE.encode_utf16().count();
    let mut out = String::with_capacity(MAX_CELL * 2);
    let mut units = 0;
    for c in shown.chars() {
        units += c.len_utf16();
        if units > room {
            break;
        }
        out.push(c);
    }
    out.push_str(NOTE);
    out
}

/// Up to [`MAX_LISTED`] items, one a line, then how many more there are.
fn listed<'a>(items: impl ExactSizeIterator<Item = &'a str>) -> String {
    let n = items.len();
    let mut out: Vec<&str> = items.take(MAX_LISTED).collect();
    let more;
    if n > MAX_LISTED {
        more = format!(
            "... and {} more (the Evidence sheet lists every record)",
            n - MAX_LISTED
        );
        out.push(&more);
    }
    out.join("\n")
}

/// The distinct bundle files that hold `records`.
fn bundle_files<'a>(records: &[&str], paths: &'a BTreeMap<String, String>) -> Vec<&'a str> {
    let files: BTreeSet<&str> = records
        .iter()
        .filter_map(|r| paths.get(*r).map(String::as_str))
        .collect();
    files.into_iter().collect()
}

/// A sheet being written: its rows so far, and the last one it may hold.
struct Sheet<'w> {
    ws: &'w mut Worksheet,
    row: u32,
    columns: u16,
}

impl<'w> Sheet<'w> {
    /// Writes the header, its widths, the frozen panes.
    fn new(ws: &'w mut Worksheet, f: &Formats, columns: &[(&str, f64)]) -> Result<Self, XlsxError> {
        for (i, (name, width)) in columns.iter().enumerate() {
            let col = i as u16;
            ws.write_string_with_format(0, col, *name, &f.header)?;
            ws.set_column_width(col, *width)?;
        }
        ws.set_freeze_panes(1, 1)?;
        Ok(Sheet {
            ws,
            row: 0,
            columns: columns.len() as u16,
        })
    }

    /// Room for another row, keeping the last for the note that rows were left out.
    fn has_room(&self) -> bool {
        self.row + 2 < MAX_ROWS
    }

    fn next_row(&mut self) -> u32 {
        self.row += 1;
        self.row
    }

    fn text(&mut self, col: u16, value: &str, format: &Format) -> Result<(), XlsxError> {
        let value = plain(value);
        if value.is_empty() {
            self.ws.write_blank(self.row, col, format)?;
        } else {
            self.ws
                .write_string_with_format(self.row, col, value, format)?;
        }
        Ok(())
    }

    fn number(&mut self, col: u16, value: usize, format: &Format) -> Result<(), XlsxError> {
        self.ws
            .write_number_with_format(self.row, col, value as f64, format)?;
        Ok(())
    }

    /// The filter over every column, after a note on the rows left out, if any.
    fn finish(mut self, left_out: usize, what: &str, f: &Formats) -> Result<(), XlsxError> {
        if left_out > 0 {
            self.next_row();
            self.text(
                0,
                &format!(
                    "{left_out} more {what} do not fit in a sheet ({MAX_ROWS} rows); report.json lists them all"
                ),
                &f.text,
            )?;
        }
        self.ws.autofilter(0, 0, self.row, self.columns - 1)?;
        Ok(())
    }
}

fn common_cells(
    sheet: &mut Sheet,
    from: u16,
    common: &Common,
    f: &Formats,
) -> Result<(), XlsxError> {
    let values = [
        common.period_start,
        common.period_end,
        common.as_of,
        common.scope.as_str(),
        common.report_id,
    ];
    for (i, v) in values.iter().enumerate() {
        sheet.text(from + i as u16, v, &f.text)?;
    }
    Ok(())
}

fn with_common<const N: usize>(own: [(&'static str, f64); N]) -> Vec<(&'static str, f64)> {
    own.into_iter().chain(COMMON_COLUMNS).collect()
}

fn control_sheet(
    ws: &mut Worksheet,
    f: &Formats,
    rows: &[&ControlRow],
    common: &Common,
    paths: &BTreeMap<String, String>,
) -> Result<(), XlsxError> {
    let mut sheet = Sheet::new(ws, f, &with_common(CONTROL_COLUMNS))?;
    for r in rows {
        let c = r.control;
        sheet.next_row();
        let verdict = f.verdict(c.verdict);
        sheet.text(0, &c.id, &f.text)?;
        sheet.text(1, &c.question, &f.text)?;
        sheet.text(2, answer_label(c.answer), verdict)?;
        sheet.text(3, verdict_label(c.verdict), verdict)?;
        sheet.text(4, &c.statement, &f.text)?;
        sheet.text(5, &r.summary, &f.text)?;
        sheet.text(6, &listed(r.evidence.iter().copied()), &f.text)?;
        let files = bundle_files(&r.evidence, paths);
        sheet.text(7, &listed(files.into_iter()), &f.text)?;
        common_cells(&mut sheet, CONTROL_COLUMNS.len() as u16, common, f)?;
    }
    sheet.finish(0, "controls", f)
}

fn question_sheet(
    ws: &mut Worksheet,
    f: &Formats,
    q: &Questionnaire,
    rows: &[QuestionRow],
    common: &Common,
    paths: &BTreeMap<String, String>,
) -> Result<(), XlsxError> {
    let mut sheet = Sheet::new(ws, f, &with_common(QUESTION_COLUMNS))?;
    for r in rows {
        sheet.next_row();
        let verdict = f.verdict(r.verdict);
        sheet.text(0, &r.question.id, &f.text)?;
        sheet.text(1, &q.name, &f.text)?;
        sheet.text(2, &r.question.text, &f.text)?;
        sheet.text(3, if r.question.paraphrase { "yes" } else { "no" }, &f.text)?;
        sheet.text(4, answer_label(r.answer), verdict)?;
        sheet.text(5, verdict_label(r.verdict), verdict)?;
        sheet.text(6, r.question.combine.as_str(), &f.text)?;
        sheet.text(7, &r.control_ids(), &f.text)?;
        sheet.text(8, &r.control_verdicts(), &f.text)?;
        sheet.text(9, &r.narrative, &f.text)?;
        sheet.text(10, &r.summary, &f.text)?;
        sheet.text(11, &listed(r.evidence.iter().copied()), &f.text)?;
        let files = bundle_files(&r.evidence, paths);
        sheet.text(12, &listed(files.into_iter()), &f.text)?;
        common_cells(&mut sheet, QUESTION_COLUMNS.len() as u16, common, f)?;
    }
    sheet.finish(0, "questions", f)
}

fn findings_sheet(
    ws: &mut Worksheet,
    f: &Formats,
    report: &Report,
    paths: &BTreeMap<String, String>,
) -> Result<(), XlsxError> {
    let mut controls: HashMap<&str, Vec<&str>> = HashMap::new();
    for c in &report.controls {
        for id in &c.findings {
            controls.entry(id.as_str()).or_default().push(c.id.as_str());
        }
    }
    let mut sheet = Sheet::new(ws, f, &FINDING_COLUMNS)?;
    let mut left_out = 0;
    for x in &report.findings {
        if !sheet.has_room() {
            left_out += 1;
            continue;
        }
        sheet.next_row();
        sheet.text(0, &x.id, &f.text)?;
        let of = controls.get(x.id.as_str()).map(|v| v.join(", "));
        sheet.text(1, of.as_deref().unwrap_or(""), &f.text)?;
        sheet.text(2, x.check, &f.text)?;
        sheet.text(3, status_label(x.status), f.status(x.status))?;
        sheet.text(4, x.severity.as_str(), &f.text)?;
        sheet.text(5, &x.subject.display_name(), &f.text)?;
        sheet.text(6, &x.subject.source, &f.text)?;
        let location = x.subject.file_location();
        sheet.text(7, location.as_deref().unwrap_or(""), &f.text)?;
        sheet.text(8, &x.message, &f.text)?;
        let exception = x.exception.as_ref().filter(|_| x.is_excepted());
        sheet.text(9, exception.map_or("", |e| e.id.as_str()), &f.text)?;
        sheet.text(10, &listed(x.evidence.iter().map(String::as_str)), &f.text)?;
        let records: Vec<&str> = x.evidence.iter().map(String::as_str).collect();
        let files = bundle_files(&records, paths);
        sheet.text(11, &listed(files.into_iter()), &f.text)?;
    }
    sheet.finish(left_out, "findings", f)
}

fn evidence_sheet(
    ws: &mut Worksheet,
    f: &Formats,
    report: &Report,
    paths: &BTreeMap<String, String>,
) -> Result<(), XlsxError> {
    let mut cited: HashMap<&str, usize> = HashMap::new();
    for x in &report.findings {
        for e in &x.evidence {
            *cited.entry(e.as_str()).or_default() += 1;
        }
    }
    let mut sheet = Sheet::new(ws, f, &EVIDENCE_COLUMNS)?;
    let mut left_out = 0;
    for e in &report.evidence {
        if !sheet.has_room() {
            left_out += 1;
            continue;
        }
        sheet.next_row();
        let kind = serde_json::to_value(e.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        sheet.text(0, &e.id, &f.text)?;
        sheet.text(1, &e.source, &f.text)?;
        sheet.text(2, &kind, &f.text)?;
        sheet.text(3, &e.describes, &f.text)?;
        sheet.text(4, &e.locator, &f.text)?;
        sheet.text(5, &e.sha256, &f.text)?;
        sheet.text(6, e.collected_at.as_deref().unwrap_or(""), &f.text)?;
        sheet.text(7, e.time.as_deref().unwrap_or(""), &f.text)?;
        sheet.text(8, paths.get(&e.id).map_or("", String::as_str), &f.text)?;
        sheet.number(9, cited.get(e.id.as_str()).copied().unwrap_or(0), &f.number)?;
    }
    sheet.finish(left_out, "evidence records", f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_ones_excel_takes() {
        let mut n = SheetNames::default();
        assert_eq!(n.take("nist-csf-2.0"), "nist-csf-2.0");
        assert_eq!(n.take("a/b:c[d]*?\\"), "a-b-c-d----");
        assert_eq!(n.take("NIST-CSF-2.0"), "NIST-CSF-2.0 (2)");
        let long = "x".repeat(40);
        assert_eq!(n.take(&long).chars().count(), 31);
        let again = n.take(&long);
        assert!(
            again.ends_with(" (2)") && again.chars().count() == 31,
            "{again}"
        );
        assert_eq!(n.take("History"), "History (2)");
        assert_eq!(n.take("''"), "Sheet");
    }

    #[test]
    fn cells_are_cut_at_excels_limit_with_a_note() {
        let long = "é".repeat(40_000);
        let cut = plain(&long);
        assert_eq!(cut.encode_utf16().count(), MAX_CELL);
        assert!(cut.ends_with("report.json holds the whole text]"));
        assert_eq!(plain("web\u{1b}x"), "web\\u{1b}x");
        assert_eq!(plain("=1+1"), "=1+1");
        let many: Vec<String> = (0..MAX_LISTED + 3).map(|i| format!("ev-{i}")).collect();
        let cell = listed(many.iter().map(String::as_str));
        assert!(cell.ends_with("... and 3 more (the Evidence sheet lists every record)"));
        assert_eq!(cell.lines().count(), MAX_LISTED + 1);
    }
}
