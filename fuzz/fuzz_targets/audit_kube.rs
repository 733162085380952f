//! One API audit log file read as the `kube-apiserver` shape's reader reads it, whatever its first
//! lines look like (see `audit_log` for the file whose shape is detected). Never panics;
//! every event read cites a line of the file, and events come in time order.
#![no_main]
use evidencer::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let log = fuzzing::audit_log_as("kube-apiserver", "audit.log", data);
    let gzip = data.starts_with(&[0x1f, 0x8b]);
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    for e in &log.events {
        assert!(e.line >= 1, "{}: line 0", e.locator());
        if !gzip {
            assert!(e.line <= lines, "{}: beyond the {lines} lines", e.locator());
        }
    }
    assert!(
        log.events.windows(2).all(|w| w[0].time <= w[1].time),
        "events out of time order"
    );
});
