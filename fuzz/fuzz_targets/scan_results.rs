//! One scanner or policy-engine results file in any shape `--results` reads (Trivy and Grype
//! JSON, SARIF 2.1.0, CycloneDX and SPDX with vulnerabilities, PolicyReports, Kubescape JSON,
//! Trivy Operator ConfigAuditReports; gzip too). Never panics; a problem that names a line
//! names one of the file's.
#![no_main]
use evidencer::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (_records, problems) = fuzzing::scan_results("results.json", data);
    let gzip = data.starts_with(&[0x1f, 0x8b]);
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    for p in &problems {
        if let (Some(line), false) = (p.line, gzip) {
            assert!(line >= 1 && line <= lines, "line {line} beyond the {lines} lines");
        }
    }
});
