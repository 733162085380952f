//! The text reports end to end: the real binary on a snapshot whose object names, container
//! names and image references hold markup and table syntax. Whatever the input holds must
//! show as text: no element, link or table cell of its own in either report. The HTML must
//! also be self-contained and its links must all land.

use crate::report_support;

use std::collections::BTreeSet;
use std::path::Path;

struct Reports {
    md: String,
    html: String,
}

fn render_rich() -> Reports {
    let out = report_support::run_report("tests/fixtures/report-rich", "md,html");
    let read = |name: &str| std::fs::read_to_string(out.path().join(name)).expect(name);
    Reports {
        md: read("report.md"),
        html: read("report.html"),
    }
}

/// Values of `attr="..."` attributes in the document.
fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            &rest[..rest.find('"').expect("attribute closed")]
        })
        .collect()
}

#[test]
fn html_shows_hostile_names_as_text() {
    let html = render_rich().html;
    // The template itself has no script, so any `<script` came from the input.
    assert!(!html.contains("<script"), "unescaped <script> in the HTML");
    assert!(!html.contains("<img"), "unescaped <img> in the HTML");
    assert!(!html.contains("<b>"), "unescaped <b> in the HTML");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        html.contains("alert(3)"),
        "the bad image reference is shown"
    );
    assert!(
        !html.contains("onerror"),
        "annotation values are not rendered"
    );
}

#[test]
fn html_is_self_contained_and_its_links_land() {
    let html = render_rich().html;
    for attr in ["src", "href", "action", "data", "poster", "srcset"] {
        for value in attribute_values(&html, attr) {
            assert!(
                value.starts_with('#'),
                "{attr}=\"{value}\" points outside the document"
            );
        }
    }
    for fetch in ["@import", "url(", "<link", "<iframe", "<object", "<embed"] {
        assert!(!html.contains(fetch), "`{fetch}` in the HTML");
    }
    let ids: BTreeSet<&str> = attribute_values(&html, "id").into_iter().collect();
    assert_eq!(
        ids.len(),
        attribute_values(&html, "id").len(),
        "duplicate ids"
    );
    let links = attribute_values(&html, "href");
    assert!(links.len() > 20, "expected links to controls and evidence");
    for link in links {
        assert!(ids.contains(&link[1..]), "link {link} has no target");
    }
}

/// Cells of a Markdown table row: split on `|` not escaped by a backslash.
fn cells(row: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in row.trim().chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => count += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    count - 1
}

#[test]
fn markdown_shows_hostile_names_as_text_and_keeps_tables_whole() {
    let md = render_rich().md;
    assert!(
        !md.contains("<script"),
        "unescaped <script> in the Markdown"
    );
    assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        md.contains("ns\\|with\\|pipes"),
        "pipes in names are escaped"
    );
    assert!(
        !md.contains("\n# not a heading"),
        "a newline in a value started a line"
    );
    // Raw HTML in the Markdown is only the anchors and line breaks the template writes.
    for (i, _) in md.match_indices('<') {
        let tag = &md[i..];
        assert!(
            tag.starts_with("<a id=\"") || tag.starts_with("</a>") || tag.starts_with("<br>"),
            "unexpected markup: {}",
            &tag[..tag.len().min(40)]
        );
    }
    // Every row of a table has as many cells as its header.
    let mut header: Option<usize> = None;
    let mut rows = 0;
    for line in md.lines() {
        if line.starts_with('|') {
            match header {
                None => header = Some(cells(line)),
                Some(n) => {
                    assert_eq!(cells(line), n, "row breaks its table: {line}");
                    rows += 1;
                }
            }
        } else {
            header = None;
        }
    }
    assert!(rows > 30, "expected the report's tables, found {rows} rows");
}

#[test]
fn markdown_cells_are_counted_the_way_markdown_does() {
    assert_eq!(cells("| a | b |"), 2);
    assert_eq!(cells("| a\\|b | `c` |"), 2);
    assert_eq!(cells("| a\\\\| b |"), 2);
}

#[test]
fn the_same_input_gives_byte_identical_reports() {
    // Two runs that differ in all that must not matter: the order the directory lists the
    // files, their times, the time zone, the locale, the number of threads.
    let fixture = "tests/fixtures/report-rich";
    let runs = crate::support::reruns::two(&[fixture]);
    for run in &runs {
        run.evidencer()
            .args([
                "report",
                "--as-of",
                "2026-09-30",
                "--format",
                "md,html,json",
            ])
            .args(["--snapshot", fixture, "--out", "out"])
            .assert()
            .success();
    }
    for name in ["report.md", "report.html", "report.json"] {
        crate::support::reruns::same_bytes(&runs, &format!("out/{name}"));
    }
}

#[test]
fn a_custom_template_replaces_the_built_in_one_and_is_recorded() {
    let templates = tempfile::tempdir().expect("a temp dir");
    std::fs::write(
        templates.path().join("report.md"),
        "{{ title | md }}: {% for c in controls %}{{ c.id | md }}={{ c.answer }} {% endfor %}\n",
    )
    .expect("writes");
    let out = tempfile::tempdir().expect("a temp dir");
    assert_cmd::Command::cargo_bin("evidencer")
        .expect("the binary is built")
        .args(["report", "--as-of", "2026-09-30", "--format", "md,json"])
        .arg("--snapshot")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report-minimal"))
        .arg("--templates")
        .arg(templates.path())
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let md = std::fs::read_to_string(out.path().join("report.md")).expect("report.md");
    assert!(
        md.starts_with("Container immutability and patching evidence: PR.PS-02.242="),
        "{md}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.path().join("report.json")).expect("report.json"),
    )
    .expect("JSON");
    let used = &json["provenance"]["templates"];
    assert_eq!(used[0]["builtin"], false, "{used}");
    assert_eq!(used[1]["builtin"], true, "{used}");
}
