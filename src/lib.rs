//! evidencer: auditor-ready evidence that an organisation runs containers the immutable way.
//!
//! The pipeline runs one way: collectors turn snapshots, clusters and repositories into an
//! inventory of evidence; facts are derived from it once; checks turn evidence and facts into
//! findings; the mapper rolls findings up into a verdict per control of the catalogs;
//! renderers and the bundle write the result. The modules are declared below in that order,
//! one per stage, and a module imports only its own stage and the ones above it in this
//! table (the test in `src/layering.rs` fails on a back edge, and on a module it cannot
//! place):
//!
//! | module | takes | gives |
//! |---|---|---|
//! | [`base`] | bytes, paths, text | YAML, text with file lines, times, size-limited input, atomic output, escaping, shared phrasings |
//! | [`evidence`] | (nothing: the data model) | sources, records, objects, kinds, images, inventory, history, findings, period, manifest |
//! | [`collect`] | snapshot files, a live cluster, Git repositories | an [`evidence::inventory::Inventory`] |
//! | [`facts`] | the inventory | [`facts::Facts`]: workloads, running pods, policies, nodes, versions, CI analysis, Dockerfiles (once per run) |
//! | [`checks`] | the inventory, the facts, check settings | [`evidence::finding::Finding`]s |
//! | [`assess`] | findings, catalogs, exceptions | a result per control with its narrative |
//! | [`report`] | the inventory, findings, control results | `report.json`, Markdown, HTML, PDF, CSV, OSCAL |
//! | [`bundle`] | the report, its outputs, the evidence | an evidence bundle, signed or not; verification |
//! | [`app`] | the command line and config file | the commands: report, collect, checks, controls, rules, explain, schema, verify |
//! | [`fuzzing`] | bytes in memory | the parsers' results, for the fuzz targets in `fuzz/` |

pub mod base;
pub mod evidence;

pub mod collect;
pub mod facts;

pub mod checks;

pub mod assess;

pub mod report;

pub mod bundle;

pub mod app;
pub mod fuzzing;

#[cfg(test)]
mod layering;
