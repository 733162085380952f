//! One results file read by one reader of `--results`: CycloneDX JSON or SPDX JSON (the first byte picks which reader: even CycloneDX, odd SPDX), then as `--results`
//! reads any file (the shape told from the content). Never panics; a problem that names a
//! line names one of the file's.
#![no_main]
use evidencer::fuzzing::{self, ResultShape};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, data)) = data.split_first() else {
        return;
    };
    let shape = match first % 2 {
        0 => ResultShape::CyclonedxJson,
        _ => ResultShape::SpdxJson,
    };
    let problems = fuzzing::results_as(shape, data);
    for (lines, p) in &problems {
        if let Some(line) = p.line {
            assert!(line >= 1 && line <= *lines, "line {line} beyond the {lines} lines");
        }
    }
});
