//! The integration tests, one binary: each module was a test file of its own, and every one
//! compiled and linked the shared support (the local API server above all) again. One
//! binary links once, and its tests share the machine's cores instead of running one file
//! after another. `cargo test --test it MODULE::` runs one module.

#[path = "../report_support/mod.rs"]
mod report_support;
#[path = "../support/mod.rs"]
mod support;

mod apiserver_replays;
mod archive;
mod audit_log;
mod bad_input;
mod bundle;
mod ci_misread;
mod cli;
mod cluster_checks;
mod cluster_live;
mod cluster_reports;
mod deploy;
mod diff;
mod drift;
mod exceptions;
mod fleet;
mod git_history;
mod history_encodings;
mod history_renames;
mod hostile;
mod in_cluster;
mod oscal;
mod pdf;
mod render_golden;
mod repo_scope;
mod report_render;
mod report_schema;
mod results;
mod scan_evidence;
mod scope;
mod verdicts;
mod workload_kinds;
mod xlsx;
mod yaml_forms;
