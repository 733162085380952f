//! What several checks of one family share: the findings they build alike and the sentences
//! they say alike. A check's own wording lives in the check's file; only what two or more
//! checks say goes here.
//!
//! - [`ci`]: the checks over repositories (pipelines, scripts, Dockerfiles).
//! - [`nodes`]: the node checks.
//! - [`versions`]: the end-of-life judgement of the version checks.

pub mod ci;
pub mod nodes;
pub mod versions;
