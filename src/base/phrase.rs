//! Pieces of English the sentences of findings and narratives share: a list that names the
//! first few and counts the rest, `and`-joined lists, day counts, shortened digests.
//!
//! Each check words its own findings in its own file; these are the few phrasings that must
//! read the same in every check and in the control narratives.

/// How many subjects a narrative names before it says "and N more".
pub const NAMED_SUBJECTS: usize = 3;

/// `1 day`, `12 days`.
pub fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// `a, b, c and 4 more`.
pub fn name_list(names: &[&str]) -> String {
    let shown: Vec<&str> = names.iter().take(NAMED_SUBJECTS).copied().collect();
    let more = names.len().saturating_sub(NAMED_SUBJECTS);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// A digest as written (`sha256:<hex>`) cut to its first 12 hex digits and `…`; a short
/// or unrecognised one as it is.
pub fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algorithm, hex)) if hex.len() > 12 => format!("{algorithm}:{}…", &hex[..12]),
        _ => digest.to_string(),
    }
}

/// `a`, `a and b`, `a, b and c`.
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
