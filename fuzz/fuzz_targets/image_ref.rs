//! Image references: parsing never panics, and a parsed reference written out parses back to
//! itself (the normalized form is what reports print and allow-lists match).
#![no_main]
use evidencer::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(reference) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(image) = fuzzing::image(reference) else {
        return;
    };
    let written = image.to_string();
    let again = fuzzing::image(&written)
        .unwrap_or_else(|e| panic!("{reference:?} parsed, but its form {written:?} does not: {e}"));
    assert_eq!(again.name(), image.name(), "{reference:?}");
    assert_eq!(again.tag, image.tag, "{reference:?}");
    assert_eq!(again.digest, image.digest, "{reference:?}");
    assert_eq!(again.to_string(), written, "{reference:?}");
});
