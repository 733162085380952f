//! Golden tests of every renderer: a report built in code (fixed times, every status,
//! verdict, problem level and coverage status) rendered to report.md, report.html and
//! report.json, compared with the snapshots in tests/snapshots/. Review changes with
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test --test render_golden`).

mod report_support;

use evidencer::report::templates::Templates;
use evidencer::report::view::ReportView;

fn render(name: &str) -> String {
    let report = report_support::golden_report();
    let templates = Templates::load(None).expect("built-in templates load");
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
fn rendering_is_deterministic() {
    for name in ["report.md", "report.html"] {
        assert_eq!(render(name), render(name), "{name}");
    }
}
