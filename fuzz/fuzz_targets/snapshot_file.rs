//! The snapshot loader on the bytes of one file, read as YAML or as JSON: never panics, and
//! what it keeps is evidence one can stand behind:
//! - every object has its evidence record (same id, a locator in the file, the sha256 of
//!   exactly the JSON kept) and a line of the file;
//! - no Secret is kept, and its JSON parses (the checks read it);
//! - an object's JSON read again is the same object, with nothing more to redact;
//! - the same bytes give the same result twice.
#![no_main]
use evidencer::collect::redact;
use evidencer::evidence::record::sha256_hex;
use evidencer::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the file name: JSON-looking text that fails to parse is an
    // error in a `.json` file and read as YAML in a `.yaml` one.
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let display = if pick & 1 == 0 { "in.yaml" } else { "in.json" };
    let inventory = fuzzing::snapshot_file(display, bytes);
    let lines = std::str::from_utf8(bytes)
        .map(|t| t.split('\n').count() as u32)
        .unwrap_or(u32::MAX);

    assert_eq!(inventory.objects.len(), inventory.records.len());
    for (object, record) in inventory.objects.iter().zip(&inventory.records) {
        assert_eq!(object.evidence, record.id);
        assert!(
            record.locator.starts_with(&format!("{display}#")),
            "{}",
            record.locator
        );
        assert_eq!(record.sha256, sha256_hex(object.json.as_bytes()));
        let line = object
            .origin
            .line
            .expect("an object from a file has a line");
        assert!(line >= 1 && line <= lines, "line {line} of {lines}");
        let value = object.value();
        assert!(
            !redact::is_secret(&value),
            "a Secret was kept: {}",
            object.json
        );

        // A List nested in a List is read as one object; read again, it is a List.
        let nested_list =
            object.kind.ends_with("List") && value.get("items").is_some_and(|i| i.is_array());
        if !nested_list {
            let again = fuzzing::snapshot_file("again.json", object.json.as_bytes());
            assert_eq!(
                again.objects.len(),
                1,
                "{} read again: {:?}",
                object.json,
                again.problems
            );
            assert_eq!(again.objects[0].json, object.json, "read again");
            assert_eq!(
                again.redaction,
                Default::default(),
                "redacted again: {}",
                object.json
            );
        }
    }
    for problem in &inventory.problems {
        assert!(
            problem.location.starts_with(display),
            "{}",
            problem.location
        );
    }

    let twice = fuzzing::snapshot_file(display, bytes);
    assert_eq!(
        format!("{inventory:?}"),
        format!("{twice:?}"),
        "not deterministic"
    );
});
