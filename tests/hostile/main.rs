//! Hostile and faulty inputs (issue 11): each module holds the regression tests of one area,
//! run through the real binary.

#[path = "../support/mod.rs"]
mod support;

mod git;
