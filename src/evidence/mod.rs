//! The evidence model: what evidencer saw, where, when, and the sha256 of the bytes as
//! stored; and the findings checks make of it.
//!
//! Every stage shares these types and this module imports nothing of the crate but
//! [`crate::base`]: collectors produce them, facts and checks read them, the mapper and the
//! renderers carry them into `report.json`, whose public types live here so that
//! refactoring a collector cannot change the published schema.
//!
//! - [`record`]: sources, evidence records and their ids and hashes.
//! - [`object`]: a Kubernetes object as canonical JSON text, with typed views.
//! - [`kinds`]: the table of API kinds evidencer reads; [`file_kinds`]: the repository files.
//! - [`workload_kinds`]: the workload kinds: pod templates, images, how each updates.
//! - [`image`]: image references, one parser for every caller.
//! - [`inventory`]: everything collected, coverage, redaction counts, problems.
//! - [`history`]: what Git history says about images over the period.
//! - [`finding`]: findings, their status, severity and subject.
//! - [`period`]: the audit period.
//! - [`manifest`]: the `manifest.json` format of snapshots and bundles.
//! - [`deployers`]: Flux and Argo CD objects of a cluster, the desired state read for them.
//! - [`datafile`]: a data file a run judged by, as provenance lists it.

pub mod attestation;
pub mod datafile;
pub mod deployers;
pub mod file_kinds;
pub mod finding;
pub mod history;
pub mod image;
pub mod inventory;
pub mod kinds;
pub mod manifest;
pub mod object;
pub mod period;
pub mod record;
pub mod workload_kinds;
