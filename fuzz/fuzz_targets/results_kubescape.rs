//! One results file read by one reader of `--results`: Kubescape JSON (`kubescape scan --format json`), then as `--results`
//! reads any file (the shape told from the content). Never panics; a problem that names a
//! line names one of the file's.
#![no_main]
use evidencer::fuzzing::{self, ResultShape};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let problems = fuzzing::results_as(ResultShape::KubescapeJson, data);
    for (lines, p) in &problems {
        if let Some(line) = p.line {
            assert!(line >= 1 && line <= *lines, "line {line} beyond the {lines} lines");
        }
    }
});
