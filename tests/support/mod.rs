//! Test support shared by the integration tests: the local Kubernetes API server, and
//! helpers that read findings out of a report.

#![allow(dead_code)]

pub mod apiserver;
pub mod findings;
