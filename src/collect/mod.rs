//! Collectors: turn inputs into an [`Inventory`](crate::evidence::inventory::Inventory) of
//! evidence, and nothing else.
//!
//! Each collector (snapshot files and directories in [`snapshot`], a live cluster in
//! [`cluster`], Git history in [`git`]) reads its input and returns an `Inventory` of the
//! evidence model's types. Objects from a file and from the API take the same path through
//! [`ingest`] (redaction, canonical text, hashing, the evidence record), so a check cannot
//! tell a live object from its copy in a snapshot. [`kustomize`] renders kustomizations for
//! the snapshot reader; [`redact`] removes secret-looking values; [`snapshot_manifest`]
//! applies a snapshot's `manifest.json`; [`results`] reads the scanner and policy-engine
//! results teams already produce (`--results`).

pub mod attestations;
pub mod cluster;
pub mod git;
pub mod ingest;
pub mod kustomize;
pub mod redact;
pub mod results;
pub mod snapshot;
pub(crate) mod snapshot_manifest;
