//! Golden tests of every renderer: a report built in code (fixed times, every status,
//! verdict, problem level and coverage status, exceptions) rendered to report.md,
//! report.html, report.json and answers.csv, compared with the snapshots in
//! tests/it/snapshots/. Review changes with `cargo insta review` (or
//! `INSTA_UPDATE=always cargo test --test it render_golden`). The goldens also prove
//! rendering deterministic: a stored file, written by another process at another time.

use crate::report_support;

use evidencer::report::Report;
use evidencer::report::templates::Templates;
use evidencer::report::view::ReportView;

fn render(name: &str) -> String {
    let report = report_support::golden_report();
    let templates = Templates::load(None, 1 << 20).expect("built-in templates load");
    templates
        .render(name, &ReportView::new(&report))
        .expect("renders")
}

#[test]
fn markdown_report() {
    insta::assert_snapshot!("report.md", render("report.md"));
}

#[test]
fn html_report() {
    insta::assert_snapshot!("report.html", render("report.html"));
}

#[test]
fn json_report() {
    let json = String::from_utf8(report_support::golden_report().to_json()).expect("utf-8");
    insta::assert_snapshot!("report.json", json);
}

#[test]
fn csv_answers() {
    let report = report_support::golden_report();
    let id = Report::id(&report.to_json());
    let csv = String::from_utf8(evidencer::report::csv::render(&report, &id)).expect("utf-8");
    // The line ends are CRLF (RFC 4180); the snapshot shows them as `\r`.
    insta::assert_snapshot!("answers.csv", csv.replace("\r\n", "\\r\n"));
}
