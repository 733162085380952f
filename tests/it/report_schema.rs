//! report.json against its published JSON Schema (src/report/report.schema.json), offline.
//!
//! Real outputs of the binary (a rich snapshot with input problems, redactions and findings
//! of every status; a minimal one) and the in-code golden report must validate against the
//! schema as published, and against a strict copy with every object closed
//! (`additionalProperties: false`), so a field the report writes but the schema does not
//! describe fails here.

use crate::report_support;

use assert_cmd::Command;
use serde_json::{Value, json};

fn schema() -> Value {
    serde_json::from_str(evidencer::report::JSON_SCHEMA).expect("the schema is JSON")
}

/// The schema with every object that lists its properties closed to others.
fn strict(mut schema: Value) -> Value {
    fn close(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
                map.values_mut().for_each(close);
            }
            Value::Array(items) => items.iter_mut().for_each(close),
            _ => {}
        }
    }
    close(&mut schema);
    schema
}

fn assert_valid(schema: &Value, instance: &Value, what: &str) {
    let validator = jsonschema::draft202012::new(schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

pub(crate) fn assert_valid_both(instance: &Value, what: &str) {
    assert_valid(&schema(), instance, what);
    assert_valid(&strict(schema()), instance, &format!("{what} (strict)"));
}

fn report_json(fixture: &str) -> Value {
    let out = report_support::run_report(fixture, "json");
    let text = std::fs::read_to_string(out.path().join("report.json")).expect("report.json");
    serde_json::from_str(&text).expect("report.json is JSON")
}

#[test]
fn the_schema_is_valid_draft_2020_12() {
    let schema = schema();
    jsonschema::meta::validate(&schema).expect("valid against its meta-schema");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        schema["properties"]["schema_version"]["const"],
        evidencer::report::SCHEMA_VERSION
    );
}

#[test]
fn a_rich_snapshot_report_validates() {
    let report = report_json("tests/fixtures/report-rich");
    // The fixture is only worth validating if it exercises what the schema describes.
    let counts = &report["summary"]["findings_by_status"];
    for status in [
        "pass",
        "fail",
        "warn",
        "not_applicable",
        "error",
        "not_assessed",
    ] {
        assert!(counts[status].as_u64() > Some(0), "no {status} finding");
    }
    let problems = report["inputs"]["problems"].as_array().expect("problems");
    assert!(problems.iter().any(|p| p["level"] == "error"));
    assert!(problems.iter().any(|p| p["level"] == "note"));
    let redaction = report["inputs"]["redaction"]
        .as_object()
        .expect("redaction");
    // Every count but the files': a snapshot holds no repository file.
    assert!(
        redaction
            .iter()
            .filter(|(k, _)| !k.starts_with("file"))
            .all(|(_, v)| v.as_u64() > Some(0)),
        "{redaction:?}"
    );
    assert!(report["inputs"]["server_version"].is_object());
    assert_valid_both(&report, "rich snapshot");
}

#[test]
fn a_minimal_snapshot_report_validates() {
    let report = report_json("tests/fixtures/report-minimal");
    assert_eq!(report["inputs"]["problems"], json!([]));
    assert_valid_both(&report, "minimal snapshot");
}

#[test]
fn the_golden_report_validates() {
    // Covers what snapshots cannot produce: a period, file and event evidence, forbidden
    // and not-served kinds, finding details, data files, every verdict and check result,
    // an attested document.
    let report: Value = serde_json::from_slice(&report_support::golden_report().to_json())
        .expect("report.json is JSON");
    let controls = report["controls"].as_array().expect("controls");
    let seen = |key: &str| -> std::collections::BTreeSet<String> {
        controls
            .iter()
            .map(|c| c[key].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(seen("verdict").len(), 5, "{:?}", seen("verdict"));
    let results: std::collections::BTreeSet<&str> = controls
        .iter()
        .flat_map(|c| c["checks"].as_array().unwrap())
        .map(|k| k["status"].as_str().unwrap())
        .collect();
    assert_eq!(results.len(), 5, "{results:?}");
    assert_eq!(report["attestations"].as_array().map(Vec::len), Some(1));
    assert_valid_both(&report, "golden report");
}

#[test]
fn the_schema_rejects_what_it_should() {
    let mut report: Value = serde_json::from_slice(&report_support::golden_report().to_json())
        .expect("report.json is JSON");
    let validator = jsonschema::draft202012::new(&schema()).expect("compiles");
    let strict = jsonschema::draft202012::new(&strict(schema())).expect("compiles");

    let mut bad_status = report.clone();
    bad_status["findings"][0]["status"] = json!("passed");
    assert!(!validator.is_valid(&bad_status), "unknown status accepted");

    let mut bad_counts = report.clone();
    bad_counts["summary"]["findings_by_status"]["skipped"] = json!(1);
    assert!(!validator.is_valid(&bad_counts), "closed object opened");

    let mut bad_version = report.clone();
    bad_version["schema_version"] = json!(1);
    assert!(
        !validator.is_valid(&bad_version),
        "another schema version accepted"
    );

    let mut bad_verdict = report.clone();
    bad_verdict["controls"][0]["verdict"] = json!("satisfied_with_caveats");
    assert!(
        !validator.is_valid(&bad_verdict),
        "unknown verdict accepted"
    );

    // An added field is fine for consumers of version 2, but evidencer's own output must
    // describe every field it writes.
    report["findings"][0]["new_field"] = json!(true);
    assert!(
        validator.is_valid(&report),
        "added fields must not break consumers"
    );
    assert!(
        !strict.is_valid(&report),
        "the strict copy lets undescribed fields through"
    );
}

#[test]
fn the_schema_command_prints_the_schema() {
    let out = Command::cargo_bin("evidencer")
        .expect("the binary is built")
        .arg("schema")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(out).expect("utf-8"),
        evidencer::report::JSON_SCHEMA
    );
}
