//! Helpers shared by the fuzz targets in `fuzz_targets/`: splitting one input into parts,
//! and the checks every target makes of what a parser gave.

/// Splits fuzz input into at most `n` parts at 0xFF bytes, a byte UTF-8 text never holds, so
/// seeds made of text files joined by it keep each file whole.
pub fn parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    data.splitn(n, |&b| b == 0xFF).collect()
}

/// The lines a file line number may name in `text`: `lines()` of the text, at least one.
pub fn line_count(text: &str) -> u32 {
    text.lines().count().max(1) as u32
}

/// Asserts that `line` names a line of a text of `lines` lines starting at line `first`.
#[track_caller]
pub fn assert_line_in(line: u32, first: u32, lines: u32, what: &str) {
    assert!(
        line >= first && line < first + lines,
        "{what}: line {line} outside {first}..{}",
        first + lines
    );
}
