//! Reading findings out of a report.json in tests.

use std::collections::BTreeMap;

use serde_json::Value;

/// `Kind ns/name container c`: a finding's subject as one string.
pub fn subject(f: &Value) -> String {
    let s = &f["subject"];
    let mut name = s["kind"].as_str().unwrap().to_string();
    name.push(' ');
    if let Some(ns) = s["namespace"].as_str() {
        name.push_str(ns);
        name.push('/');
    }
    name.push_str(s["name"].as_str().unwrap());
    if let Some(c) = s["container"].as_str() {
        name.push_str(" container ");
        name.push_str(c);
    }
    name
}

/// check id → sorted `(subject, status)`.
pub fn statuses(report: &Value) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        out.entry(f["check"].as_str().unwrap().to_string())
            .or_default()
            .push((subject(f), f["status"].as_str().unwrap().to_string()));
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}
