//! The shell-line parser: never panics, and every command, word and heredoc it gives cites a
//! line of the script.
#![no_main]
use evidencer::fuzzing;
use evidencer_fuzz::assert_line_in;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the file line the script starts on, as for a YAML block scalar.
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let first = u32::from(first) + 1;
    // Script::from_text drops one final newline and counts every `\n` after that.
    let lines = text.strip_suffix('\n').unwrap_or(text).split('\n').count() as u32;
    for command in fuzzing::shell(first, text) {
        assert_line_in(command.line, first, lines, "command");
        for word in &command.words {
            assert_line_in(word.line, first, lines, "word");
            for (line, _) in word.script().lines() {
                assert_line_in(line, first, lines, "line of a word");
            }
        }
        for heredoc in &command.heredocs {
            for (line, _) in heredoc.lines() {
                assert_line_in(line, first, lines, "heredoc line");
            }
        }
    }
});
