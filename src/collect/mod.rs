//! Collectors: turn inputs into an [`Inventory`](crate::evidence::inventory::Inventory) of
//! evidence, and nothing else.
//!
//! Each collector (snapshot files and directories in [`snapshot`], a live cluster in
//! [`cluster`], Git history in [`git`]) reads its input and returns an `Inventory` of the
//! evidence model's types. Objects from a file and from the API take the same path through
//! [`ingest`] (redaction, canonical text, hashing, the evidence record), so a check cannot
//! tell a live object from its copy in a snapshot. [`kustomize`] renders kustomizations for
//! the snapshot reader; [`redact`] removes secret-looking values; [`managed`] keeps who wrote each workload's pod
//! template from its managedFields; [`snapshot_manifest`]
//! applies a snapshot's `manifest.json`; [`filesystem`] is where the snapshot reader reads
//! from (the disk, or a Git tree held in memory); [`scope`] decides which files of a
//! repository the Git collector reads; [`results`] reads the scanner and policy-engine
//! results teams already produce (`--results`).

pub mod attestations;
pub mod audit;
pub mod cluster;
pub(crate) mod filesystem;
pub mod git;
pub mod ingest;
pub mod kustomize;
pub mod managed;
pub mod redact;
pub mod results;
pub mod scope;
pub mod snapshot;
pub(crate) mod snapshot_manifest;
