//! evidencer: auditor-ready evidence that an organisation runs containers the immutable way.
//!
//! The pipeline runs one way: collectors ([`collect`]) turn snapshots, clusters and
//! repositories into an [`collect::Inventory`] of evidence; checks ([`checks`]) turn evidence
//! into [`finding::Finding`]s; the mapper ([`assess`]) rolls findings up into a verdict per
//! control of the catalogs ([`catalog`]); renderers ([`report`]) write the result.

pub mod app;
pub mod assess;
pub mod base;
pub mod bundle;
pub mod checks;
pub mod collect;
pub mod evidence;
pub mod facts;
pub mod fuzzing;
pub mod report;
