//! The questionnaire workbook (`--format xlsx`) and questionnaire mappings
//! (`--questionnaire`), through the real binary. The workbook is read back with calamine,
//! an independent reader, and its zip entries and sheet XML with the zip crate: sheets,
//! headers, cells that match answers.csv and report.json, formula injection, bundle paths
//! that exist, byte-identical reruns; the mapping's combine rules and its mistakes.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use evidencer::report::xlsx::{
    CONTROL_COLUMNS, EVIDENCE_COLUMNS, FINDING_COLUMNS, QUESTION_COLUMNS,
};
use serde_json::Value;

use crate::support::reruns;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const COMMON: [&str; 5] = ["Period start", "Period end", "As of", "Scope", "Report id"];

fn evidencer(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("evidencer").unwrap();
    cmd.current_dir(dir);
    cmd
}

/// The sample run (its config: snapshot, results, exceptions, attestations) into `out`.
fn sample_run(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = evidencer(Path::new(ROOT));
    cmd.args(["report", "--config", "samples/evidencer.yaml", "--format"])
        .arg("json,csv,xlsx")
        .arg("--out")
        .arg(out)
        .args(extra);
    cmd
}

type Book = Xlsx<Cursor<Vec<u8>>>;

fn open(path: &Path) -> Book {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    open_workbook_from_rs(Cursor::new(bytes)).expect("calamine reads answers.xlsx")
}

/// A sheet's cells as text, row by row (numbers as calamine shows them).
fn cells(book: &mut Book, sheet: &str) -> Vec<Vec<String>> {
    let range = book.worksheet_range(sheet).expect(sheet);
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    other => panic!("{sheet}: a cell that is not text or a number: {other:?}"),
                })
                .collect()
        })
        .collect()
}

fn header(columns: &[(&str, f64)], common: bool) -> Vec<String> {
    let mut h: Vec<String> = columns.iter().map(|(n, _)| n.to_string()).collect();
    if common {
        h.extend(COMMON.iter().map(|s| s.to_string()));
    }
    h
}

/// A zip entry's last-modified date: (year, month, day, hour, minute, second).
type ZipTime = (u16, u8, u8, u8, u8, u8);

/// Every entry of the zip: name, bytes, and its last-modified date.
fn zip_entries(path: &Path) -> Vec<(String, Vec<u8>, ZipTime)> {
    let mut zip = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            let t = f.last_modified().expect("a date");
            (
                f.name().unwrap().to_string(),
                bytes,
                (
                    t.year(),
                    t.month(),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second(),
                ),
            )
        })
        .collect()
}

/// RFC 4180 rows of answers.csv (quoted fields may hold commas and line breaks).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

#[test]
fn the_workbook_has_a_sheet_per_catalog_findings_and_evidence_saying_what_answers_csv_says() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let bundle = dir.path().join("bundle");
    sample_run(&out, &["--bundle"])
        .arg(&bundle)
        .assert()
        .success();
    let report = json(&out.join("report.json"));
    let report_id = evidencer::report::Report::id(&fs::read(out.join("report.json")).unwrap());
    let mut book = open(&out.join("answers.xlsx"));
    assert_eq!(
        book.sheet_names(),
        ["nist-csf-2.0", "pci-ssc-container", "Findings", "Evidence"]
    );

    // A catalog sheet's rows are answers.csv's rows of that catalog.
    let csv = csv_rows(&fs::read_to_string(out.join("answers.csv")).unwrap());
    let col = |name: &str| csv[0].iter().position(|h| h == name).unwrap();
    let mut controls = 0;
    for catalog in ["nist-csf-2.0", "pci-ssc-container"] {
        let sheet = cells(&mut book, catalog);
        assert_eq!(sheet[0], header(&CONTROL_COLUMNS, true), "{catalog}");
        let of: Vec<&Vec<String>> = csv[1..]
            .iter()
            .filter(|r| r[col("catalog")] == catalog)
            .collect();
        assert_eq!(sheet.len() - 1, of.len(), "{catalog}: one row per control");
        for (row, want) in sheet[1..].iter().zip(of) {
            for (cell, name) in [
                (0, "control_id"),
                (1, "question"),
                (2, "answer"),
                (3, "verdict"),
                (4, "narrative"),
                (5, "evidence_summary"),
                (8, "period_start"),
                (9, "period_end"),
                (10, "as_of"),
                (11, "scope"),
                (12, "report_id"),
            ] {
                assert_eq!(row[cell], want[col(name)], "{catalog} {}: {name}", row[0]);
            }
            assert_eq!(row[12], report_id);
            controls += 1;
        }
    }
    assert_eq!(controls, report["controls"].as_array().unwrap().len());

    // Evidence: one row per record of report.json, each with its file in the bundle.
    let evidence = cells(&mut book, "Evidence");
    assert_eq!(evidence[0], header(&EVIDENCE_COLUMNS, false));
    let records = report["evidence"].as_array().unwrap();
    assert_eq!(evidence.len() - 1, records.len());
    let mut in_bundle = 0;
    for (row, record) in evidence[1..].iter().zip(records) {
        assert_eq!(row[0], record["id"].as_str().unwrap());
        assert_eq!(row[5], record["sha256"].as_str().unwrap());
        if !row[8].is_empty() {
            assert!(
                bundle.join(&row[8]).is_file(),
                "{}: {} is not in the bundle",
                row[0],
                row[8]
            );
            in_bundle += 1;
        }
    }
    // The file the workbook names for a record is the one the bundle's manifest lists it in.
    assert_paths_are_the_manifests(&evidence, &bundle);
    // Every object and file record has its file; only records of whole inputs have none.
    let objects = records
        .iter()
        .filter(|r| matches!(r["kind"].as_str(), Some("object")))
        .count();
    assert!(
        in_bundle >= objects && objects > 0,
        "{in_bundle} of {objects}"
    );

    // The controls' evidence records and bundle paths are those of their findings.
    let nist = cells(&mut book, "nist-csf-2.0");
    let first = &nist[1];
    let ids: Vec<&str> = first[6].lines().collect();
    assert!(
        !ids.is_empty() && ids.iter().all(|i| i.starts_with("ev-")),
        "{ids:?}"
    );
    let listed: BTreeMap<&str, &str> = evidence[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[8].as_str()))
        .collect();
    for path in first[7].lines() {
        assert!(listed.values().any(|p| *p == path), "{path}");
        assert!(bundle.join(path).is_file(), "{path}");
    }

    // Findings: one row per finding, with the controls that use it.
    let findings = cells(&mut book, "Findings");
    assert_eq!(findings[0], header(&FINDING_COLUMNS, false));
    let all = report["findings"].as_array().unwrap();
    assert_eq!(findings.len() - 1, all.len());
    let excepted = findings[1..].iter().filter(|r| !r[9].is_empty()).count();
    assert!(excepted > 0, "the sample's exceptions are shown");
    let statuses: Vec<&str> = findings[1..].iter().map(|r| r[3].as_str()).collect();
    assert!(statuses.contains(&"Fail") && statuses.contains(&"Pass"));

    // The layout: frozen header and first column, a filter, widths, wrapping, colours.
    let entries = zip_entries(&out.join("answers.xlsx"));
    let xml = |name: &str| {
        let (_, bytes, _) = entries.iter().find(|(n, _, _)| n == name).expect(name);
        String::from_utf8(bytes.clone()).unwrap()
    };
    let sheet1 = xml("xl/worksheets/sheet1.xml");
    assert!(
        sheet1.contains(r#"<pane xSplit="1" ySplit="1" topLeftCell="B2""#),
        "{sheet1}"
    );
    assert!(sheet1.contains("<autoFilter ref=\"A1:"), "{sheet1}");
    assert!(sheet1.contains("<col "), "column widths");
    let styles = xml("xl/styles.xml");
    assert!(styles.contains(r#"wrapText="1""#));
    assert!(styles.contains(r#"quotePrefix="1""#));
    for colour in ["FFC6EFCE", "FFFFC7CE", "FFFFEB9C"] {
        assert!(styles.contains(colour), "verdict colour {colour}");
    }
}

/// The Evidence sheet's bundle path of every record is the file the bundle's manifest lists
/// it in, and no record the manifest lists lacks one.
fn assert_paths_are_the_manifests(evidence: &[Vec<String>], bundle: &Path) {
    let manifest = json(&bundle.join("manifest.json"));
    let mut listed_in: BTreeMap<String, String> = BTreeMap::new();
    for e in manifest["bundle"]["evidence"].as_array().unwrap() {
        let path = e["path"].as_str().unwrap().to_string();
        match e["type"].as_str().unwrap() {
            "objects" => {
                for r in e["records"].as_array().unwrap() {
                    listed_in.insert(r.as_str().unwrap().to_string(), path.clone());
                }
            }
            _ => {
                listed_in.insert(e["record"].as_str().unwrap().to_string(), path);
            }
        }
    }
    let named: BTreeMap<String, String> = evidence[1..]
        .iter()
        .filter(|r| !r[8].is_empty())
        .map(|r| (r[0].clone(), r[8].clone()))
        .collect();
    assert!(!named.is_empty());
    assert_eq!(named, listed_in);
}

#[test]
fn files_read_from_a_repository_are_named_where_the_bundle_keeps_them() {
    use crate::support::git::{Repo, deployment};
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo::init(&dir.path().join("gitops"));
    repo.write("apps/api.yaml", &deployment("registry.example.com/api:1.0"))
        .write(
            "Dockerfile",
            "FROM registry.example.com/base:1\nUSER 1000\n",
        )
        .commit("2026-07-02T10:00:00Z", "dev", "first", &[]);
    repo.write("apps/api.yaml", &deployment("registry.example.com/api:1.1"))
        .commit("2026-08-02T10:00:00Z", "dev", "bump", &[]);
    evidencer(dir.path())
        .args(["report", "--repo", "gitops", "--period", "2026-Q3"])
        .args([
            "--as-of",
            "2026-09-30",
            "--format",
            "json,xlsx",
            "--out",
            "out",
        ])
        .args(["--bundle", "bundle"])
        .assert()
        .success();
    let mut book = open(&dir.path().join("out/answers.xlsx"));
    let evidence = cells(&mut book, "Evidence");
    assert!(
        evidence[1..].iter().any(|r| r[8].contains("/commits/")),
        "files read at a commit: {evidence:?}"
    );
    assert_paths_are_the_manifests(&evidence, &dir.path().join("bundle"));
}

#[test]
fn formulas_from_the_input_reach_the_workbook_as_text() {
    let dir = tempfile::tempdir().unwrap();
    // A snapshot file whose name is a formula: it is the start of every locator.
    let formula_file = r#"=HYPERLINK("evil.example","x").json"#;
    fs::write(
        dir.path().join(formula_file),
        r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"@SUM(1+1)*cmd|' /C calc'!A0","namespace":"shop"},"spec":{"template":{"spec":{"containers":[{"name":"-2+3","image":"registry.example.com/web:1.0"}]}}}}"#,
    )
    .unwrap();
    // A snapshot file whose name starts with a tab.
    let tab_file = "\tcmd.json";
    fs::write(
        dir.path().join(tab_file),
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings","namespace":"shop"}}"#,
    )
    .unwrap();
    // Question ids and wording come from a customer's file.
    fs::write(
        dir.path().join("q.yaml"),
        "questionnaire: \"=cmd|' /C calc'!A0\"\nquestions:\n  - id: \"=1+1\"\n    question: \"@SUM(A1:A9)\"\n    controls: [PCI-10.3]\n  - id: \"+1\"\n    question: \"-Minus first\"\n    controls: [PCI-10.1]\n",
    )
    .unwrap();
    evidencer(dir.path())
        .args(["report", "--snapshot", formula_file, "--snapshot", tab_file])
        .args(["--questionnaire", "q.yaml"])
        .args([
            "--as-of",
            "2026-09-30",
            "--format",
            "json,csv,xlsx",
            "--out",
            "out",
        ])
        .assert()
        .success();
    let path = dir.path().join("out/answers.xlsx");
    let mut book = open(&path);
    let names = book.sheet_names();
    assert_eq!(names[0], "Questionnaire");
    let questions = cells(&mut book, "Questionnaire");
    assert_eq!(questions[0], header(&QUESTION_COLUMNS, true));
    assert_eq!(questions[1][0], "=1+1");
    assert_eq!(questions[1][1], "=cmd|' /C calc'!A0");
    assert_eq!(questions[1][2], "@SUM(A1:A9)");
    assert_eq!(questions[2][0], "+1");
    assert_eq!(questions[2][2], "-Minus first");
    let evidence = cells(&mut book, "Evidence");
    assert!(
        evidence[1..].iter().any(|r| r[4].starts_with(formula_file)),
        "{evidence:?}"
    );
    assert!(
        evidence[1..].iter().any(|r| r[4].starts_with(tab_file)),
        "{evidence:?}"
    );
    let findings = cells(&mut book, "Findings");
    assert!(
        findings[1..].iter().any(|r| r[5].contains("@SUM(1+1)")),
        "{findings:?}"
    );
    // No cell of any sheet is a formula, as calamine sees it and as the XML holds it.
    for name in &names {
        let formulas = book.worksheet_formula(name).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{name} has a formula"
        );
    }
    for (name, bytes, _) in zip_entries(&path) {
        if name.starts_with("xl/worksheets/") {
            let xml = String::from_utf8(bytes).unwrap();
            assert!(
                !xml.contains("<f>") && !xml.contains("<f "),
                "{name}: {xml}"
            );
        }
    }
    // answers.csv keeps its own defence: the prefix a spreadsheet shows as text.
    let csv = fs::read_to_string(dir.path().join("out/answers.csv")).unwrap();
    assert!(csv.contains("\r\n'=1+1,"), "{csv}");
}

#[test]
fn the_same_input_gives_the_same_workbook_byte_for_byte() {
    let runs = reruns::two(&[
        "samples/snapshot",
        "samples/exceptions.yaml",
        "samples/questionnaires",
    ]);
    for run in &runs {
        run.evidencer()
            .args(["report", "--snapshot", "samples/snapshot"])
            .args(["--exceptions", "samples/exceptions.yaml"])
            .args([
                "--questionnaire",
                "samples/questionnaires/caiq-v4-containers.yaml",
            ])
            .args([
                "--as-of",
                "2026-09-30",
                "--format",
                "json,xlsx",
                "--out",
                "out",
            ])
            .args(["--bundle", "bundle.tar.gz", "--org", "Example Corp"])
            .assert()
            .success();
    }
    reruns::same_bytes(&runs, "out/answers.xlsx");
    let path = runs[0].path().join("out/answers.xlsx");
    let entries = zip_entries(&path);
    assert!(entries.len() > 5);
    for (name, _, time) in &entries {
        assert_eq!(
            *time,
            (1980, 1, 1, 0, 0, 0),
            "{name} carries a wall-clock time"
        );
    }
    let core = entries
        .iter()
        .find(|(n, _, _)| n == "docProps/core.xml")
        .map(|(_, b, _)| String::from_utf8(b.clone()).unwrap())
        .unwrap();
    assert!(
        core.contains(">2026-09-30T23:59:59Z</dcterms:created>"),
        "the creation time is the as-of instant: {core}"
    );
    assert!(
        core.contains("<dc:creator>Example Corp</dc:creator>"),
        "{core}"
    );
}

/// A catalog of three controls whose verdicts on one Deployment are known: its image is
/// tagged (not `latest`), its root filesystem is writable, and no repository is given.
fn combine_fixture(dir: &Path) {
    fs::create_dir_all(dir.join("catalog")).unwrap();
    let control = |id: &str, check: &str| {
        format!(
            "  - id: {id}\n    id-source: local\n    source: test\n    title: {id}\n    question: {id}?\n    explanation: e\n    checks: [{check}]\n"
        )
    };
    fs::write(
        dir.join("catalog/mine.yaml"),
        format!(
            "catalog: mine\ntitle: Mine\ncontrols:\n{}{}{}",
            control("OK-1", "image-tag-not-latest"),
            control("BAD-1", "read-only-root-filesystem"),
            control("NONE-1", "no-in-place-mutation"),
        ),
    )
    .unwrap();
    fs::write(
        dir.join("app.json"),
        r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},"spec":{"template":{"spec":{"containers":[{"name":"app","image":"registry.example.com/web:1.0"}]}}}}"#,
    )
    .unwrap();
}

fn combine_run(dir: &Path, mapping: &str, out: &str) -> assert_cmd::assert::Assert {
    fs::write(dir.join("q.yaml"), mapping).unwrap();
    evidencer(dir)
        .args(["report", "--snapshot", "app.json", "--no-builtin-catalogs"])
        .args(["--catalog", "catalog", "--questionnaire", "q.yaml"])
        .args([
            "--as-of",
            "2026-09-30",
            "--format",
            "json,csv,xlsx",
            "--out",
            out,
        ])
        .assert()
}

#[test]
fn questions_are_answered_by_their_controls_in_each_combine_mode() {
    let dir = tempfile::tempdir().unwrap();
    combine_fixture(dir.path());
    let q = |id: &str, controls: &str, combine: &str| {
        let combine = if combine.is_empty() {
            String::new()
        } else {
            format!("    combine: {combine}\n")
        };
        format!("  - id: {id}\n    question: Q {id}?\n    controls: [{controls}]\n{combine}")
    };
    let mapping = format!(
        "questionnaire: Customer SIG\nquestions:\n{}{}{}{}{}{}{}",
        q("Q1", "OK-1", ""),
        q("Q2", "OK-1, BAD-1", ""),
        q("Q3", "OK-1, BAD-1", "worst"),
        q("Q4", "OK-1, BAD-1", "any"),
        q("Q5", "OK-1, BAD-1", "all-must-pass"),
        q("Q6", "OK-1, NONE-1", "all-must-pass"),
        q("Q7", "BAD-1, NONE-1", "any"),
    );
    combine_run(dir.path(), &mapping, "out").success();
    let report = json(&dir.path().join("out/report.json"));
    let verdict = |id: &str| {
        report["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["verdict"].as_str().unwrap().to_string())
            .unwrap()
    };
    // The fixture is what the test says it is.
    assert_eq!(verdict("OK-1"), "satisfied");
    assert_eq!(verdict("BAD-1"), "not_satisfied");
    assert_eq!(verdict("NONE-1"), "not_assessed");

    let want = [
        ("Q1", "Yes", "Satisfied"),
        ("Q2", "No", "Not satisfied"),
        ("Q3", "No", "Not satisfied"),
        ("Q4", "Yes", "Satisfied"),
        ("Q5", "No", "Not satisfied"),
        ("Q6", "Unknown", "Not assessed"),
        ("Q7", "Unknown", "Not assessed"),
    ];
    let csv = csv_rows(&fs::read_to_string(dir.path().join("out/answers.csv")).unwrap());
    assert_eq!(
        csv[0],
        evidencer::report::csv::QUESTION_HEADER
            .map(String::from)
            .to_vec()
    );
    let mut book = open(&dir.path().join("out/answers.xlsx"));
    assert_eq!(
        book.sheet_names(),
        ["Questionnaire", "mine", "Findings", "Evidence"]
    );
    let sheet = cells(&mut book, "Questionnaire");
    assert_eq!(csv.len(), want.len() + 1);
    assert_eq!(sheet.len(), want.len() + 1);
    for (i, (id, answer, verdict)) in want.iter().enumerate() {
        let (row, x) = (&csv[i + 1], &sheet[i + 1]);
        assert_eq!(
            (row[0].as_str(), row[4].as_str(), row[5].as_str()),
            (*id, *answer, *verdict),
            "answers.csv {id}"
        );
        assert_eq!(
            (x[0].as_str(), x[4].as_str(), x[5].as_str()),
            (*id, *answer, *verdict),
            "answers.xlsx {id}"
        );
        assert_eq!(row[1], "Customer SIG");
        assert_eq!(row[2], format!("Q {id}?"));
        // The controls used, their verdicts and statements, in both files alike.
        assert_eq!(x[7], row[7]);
        assert_eq!(x[8], row[8]);
        assert_eq!(x[9], row[9]);
        assert_eq!(x[10], row[10]);
    }
    assert_eq!(csv[2][6], "worst", "the default");
    assert_eq!(csv[2][8], "OK-1: Satisfied; BAD-1: Not satisfied");
    assert!(csv[5][9].contains("1 of 2 are"), "{}", csv[5][9]);
    assert!(
        csv[4][9].contains("BAD-1 (Not satisfied): "),
        "{}",
        csv[4][9]
    );
    // The mapping is an input of the report: named, with its hash, in the provenance.
    let files = report["provenance"]["data_files"].as_array().unwrap();
    assert!(files.iter().any(|f| f["path"] == "q.yaml"), "{files:?}");
}

#[test]
fn a_bad_mapping_is_an_error_with_file_and_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    combine_fixture(dir.path());
    let head = "questionnaire: Q\nquestions:\n";
    for (body, line, says) in [
        (
            "  - id: A\n    question: a?\n    controls: [OK-1, PCI-10.3]\n",
            5,
            "unknown control `PCI-10.3`",
        ),
        (
            "  - id: A\n    question: a?\n    controls: [OK-1]\n  - id: A\n    question: b?\n    controls: [BAD-1]\n",
            6,
            "question id `A` is used twice (first at line 3)",
        ),
        (
            "  - id: A\n    question: a?\n    controls: [OK-1]\n    combine: majority\n",
            6,
            "combine is one of worst, all-must-pass, any",
        ),
        ("  - id: A\n    question: [a\n", 4, ""),
    ] {
        let out = dir.path().join("out");
        let assert = combine_run(dir.path(), &format!("{head}{body}"), "out").code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(
            stderr.contains(&format!("q.yaml:{line}:")),
            "{body}: {stderr}"
        );
        assert!(stderr.contains(says), "{body}: {stderr}");
        assert!(stderr.contains("nothing was written"), "{stderr}");
        assert!(!out.exists(), "{body}: nothing is written");
    }
    let missing = dir.path().join("missing.yaml");
    let assert = evidencer(dir.path())
        .args(["report", "--snapshot", "app.json", "--questionnaire"])
        .arg(&missing)
        .args(["--out", "out"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("cannot read questionnaire mapping"),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn the_shipped_caiq_mapping_loads_against_the_built_in_catalogs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mapping: PathBuf = [ROOT, "samples/questionnaires/caiq-v4-containers.yaml"]
        .iter()
        .collect();
    sample_run(&out, &["--questionnaire"])
        .arg(&mapping)
        .assert()
        .success();
    let csv = csv_rows(&fs::read_to_string(out.join("answers.csv")).unwrap());
    let ids: Vec<&str> = csv[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        ids,
        [
            "CCC-04.1", "CCC-06.1", "CCC-07.1", "CCC-09.1", "IVS-04.1", "TVM-03.1", "TVM-07.1"
        ]
    );
    // Paraphrases, marked so, in the questionnaire's own id scheme.
    assert!(csv[1..].iter().all(|r| r[3] == "true"));
}
