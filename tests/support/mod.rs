//! Test support shared by the integration tests: the local Kubernetes API server, helpers
//! that read findings out of a report, Git repositories built for the history tests, and the
//! mount-namespace guard of the fault tests.

#![allow(dead_code)]

pub mod apiserver;
pub mod findings;
pub mod git;
pub mod kustomize;
pub mod namespaces;
