//! A snapshot directory's `manifest.json`: never panics; a manifest that is read is written
//! back (as `collect` and the bundle write it) to text that reads as the same manifest, and
//! what it records about collection applies to a snapshot without panicking.
#![no_main]
use evidencer::fuzzing;
use evidencer::evidence::manifest::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((manifest, inventory)) = fuzzing::snapshot_manifest(text) else {
        return;
    };
    let written = manifest.to_json();
    let again = Manifest::parse("again", std::str::from_utf8(&written).expect("UTF-8"))
        .unwrap_or_else(|e| panic!("written back, it does not read: {e}"));
    let mut sorted = manifest.clone();
    sorted.files.sort();
    assert_eq!(again, sorted, "written back, it reads differently");
    assert_eq!(again.to_json(), written, "writing is not stable");
    for problem in &inventory.problems {
        assert!(
            problem.message.starts_with("at collection: ") || problem.location == "manifest.json"
        );
    }
});
