//! Hostile and faulty inputs (issue 11): evidence that cannot leak or lie. One test binary,
//! one module per area, each test running the real binary.

#[path = "../support/mod.rs"]
mod support;

mod redaction;
