//! One API audit log file in any of its four shapes (kube-apiserver JSON lines, an EKS
//! CloudWatch export, GKE Cloud Audit Logs, AKS diagnostic logs; gzip told by its first
//! bytes), read as `--audit-log` reads it. Never panics; every event read cites a line of the
//! file, and events come in time order.
#![no_main]
use evidencer::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let log = fuzzing::audit_log("audit.log", data);
    // Lines as the reader counts them: a line ends at LF (a gzip file's lines are those of
    // what it inflates to, which this bound does not know).
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
