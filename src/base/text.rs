//! Text from the input made safe to show: one rule for every renderer and every log line.
//!
//! Names, paths and messages come from objects, files and archives anyone with deploy or
//! commit rights can write, and may hold control characters (ESC starts terminal escape
//! sequences, OSC ones can rewrite a terminal's title or links, BEL rings, NUL cuts text
//! short in C tools) or the Unicode bidirectional overrides and isolates (U+202A..U+202E,
//! U+2066..U+2069) that make text read in another order than it is stored. [`escape_controls`]
//! shows each as its code, `\u{1b}`, so it can be seen and not act; the Markdown, HTML, CSV
//! and PDF renderers and the logs use it. Tab, line feed and carriage return are left to each
//! renderer (a Markdown cell turns them into spaces, a CSV field quotes them) except in log
//! lines, where [`escape_line`] shows them as `\n` so one event stays one line.
//!
//! JSON keeps the data exact: [`escape_json_invisibles`] rewrites what serde leaves raw
//! (DEL, the C1 controls, the bidi characters) as `\u` escapes of the same characters.

use std::borrow::Cow;

/// An error and its causes, `what failed: why: why`, as anyhow's `{:#}` prints them: for
/// errors shown outside `main` (a warning, a problem in the report). Messages never repeat
/// their source, so each cause appears once.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
}

/// True for a character no text output shows raw: a control character other than tab,
/// line feed and carriage return (C0, DEL, C1), or a bidirectional override or isolate.
pub fn is_hostile(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Appends `c` as its code: `\u{1b}`.
pub fn push_code(out: &mut String, c: char) {
    use std::fmt::Write as _;
    let _ = write!(out, "\\u{{{:x}}}", c as u32);
}

/// `text` with every [`is_hostile`] character shown as its code; borrowed when there is none.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// [`escape_controls`] for a log line: tab, line feed and carriage return are shown as
/// `\t`, `\n`, `\r` too.
pub fn escape_line(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, line: bool) -> Cow<'_, str> {
    let shown = |c: char| is_hostile(c) || (line && matches!(c, '\t' | '\n' | '\r'));
    let Some(first) = text.find(shown) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        match c {
            '\t' if line => out.push_str("\\t"),
            '\n' if line => out.push_str("\\n"),
            '\r' if line => out.push_str("\\r"),
            c if is_hostile(c) => push_code(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// JSON text with DEL, the C1 controls and the bidi characters written as `\u` escapes
/// (serde_json escapes only the C0 controls). They can only occur inside strings, where the
/// escape means the same character: the data stays exact, the bytes become safe to print.
pub fn escape_json_invisibles(json: &[u8]) -> Cow<'_, [u8]> {
    // Every such character is encoded as 0x7f or starts with 0xc2 (U+0080..U+009F) or 0xe2
    // (U+202A..U+2069): most JSON has neither and is returned as is.
    if !json.iter().any(|b| matches!(b, 0x7f | 0xc2 | 0xe2)) {
        return Cow::Borrowed(json);
    }
    let Ok(text) = std::str::from_utf8(json) else {
        return Cow::Borrowed(json);
    };
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_hostile(c) {
            use std::fmt::Write as _;
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out.into_bytes())
}

/// The candidate closest to a mistyped `word` (at most three edits away), for "did you
/// mean" messages; the first in order among equally close ones.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut close: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|known| (edit_distance(word, known), known))
        .filter(|(d, _)| *d <= 3)
        .collect();
    close.sort();
    close.first().map(|(_, known)| *known)
}
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_shown_as_their_code() {
        assert_eq!(
            escape_controls("a\u{1b}[31mb\u{7}\u{0}\u{7f}\u{9b}\u{202e}c\u{2066}\td\n"),
            "a\\u{1b}[31mb\\u{7}\\u{0}\\u{7f}\\u{9b}\\u{202e}c\\u{2066}\td\n"
        );
        assert!(matches!(escape_controls("plain ünïcode"), Cow::Borrowed(_)));
        assert_eq!(escape_line("a\nb\tc\r\u{1b}"), "a\\nb\\tc\\r\\u{1b}");
        // Escaping twice changes nothing: the codes are printable.
        let once = escape_line("x\u{1b}\n").into_owned();
        assert_eq!(escape_line(&once), once);
    }

    #[test]
    fn json_keeps_the_data_and_loses_the_raw_characters() {
        let value = serde_json::json!({"name": "a\u{202e}b\u{7f}\u{85}c\u{1b}", "ok": "é–"});
        let raw = serde_json::to_vec(&value).unwrap();
        let safe = escape_json_invisibles(&raw);
        let text = std::str::from_utf8(&safe).unwrap();
        assert!(!text.chars().any(is_hostile), "{text}");
        assert!(text.contains("a\\u202eb\\u007f\\u0085c\\u001b"), "{text}");
        let back: serde_json::Value = serde_json::from_slice(&safe).unwrap();
        assert_eq!(back, value);
        assert!(matches!(
            escape_json_invisibles(b"{\"a\":1}"),
            Cow::Borrowed(_)
        ));
    }
}
