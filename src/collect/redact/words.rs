//! Secrets in words: command lines, scripts and free text, found where they stand.
//!
//! Takes the words of one command as a program receives them (a container's `command` and
//! `args`, the words of a CI step) and gives, per word, the byte ranges that hold a secret;
//! or takes text (a script, a string value of an object, a comment, a whole file) and gives
//! the byte ranges of the text that hold one. Each range is to be replaced by [`MARKER`]
//! with [`apply`], which keeps the newlines a range held, so a file keeps its line numbers.
//! A range in text never breaks its quoting: it ends inside the quotes it starts in, or it
//! covers the whole word.
//!
//! What is a secret here (the README's redaction rule states the same):
//! - the value of a flag or variable whose name names a secret ([`super::is_secret_name`]):
//!   `--password=x`, `--token x` (two words), `-password x`, `DB_PASSWORD=x`,
//!   `--set db.password=x`, `ENV API_TOKEN x` (Dockerfile);
//! - `-pX` and `-p X` after a command that takes a password so: the MySQL and MariaDB
//!   clients and tools, `sshpass`, and any `login` (`docker login -p x`); `-a X` after
//!   `redis-cli`. Elsewhere `-p` is left alone (`ssh -p 22`, `docker run -p 80:80`);
//! - the password of `-u user:password` / `--user user:password` (curl);
//! - the value of an `Authorization`, `Proxy-Authorization` or `Cookie` header, or of a
//!   header or `name:` whose name names a secret (`X-Api-Key: x`, `password: x`);
//! - in any word: the password of a URL (`https://user:[REDACTED]@host`), the value of a
//!   query parameter whose name names a secret (`?access_token=x`), a JWT, an AWS access key
//!   id; in text also the body of a PEM private key;
//! - a quoted word that holds a script (`sh -c "mysql -px"`) is read as a script itself.
//!
//! A value that is a reference (`$X`, `${X}`, `${{ secrets.X }}`, `$(X)`, `%X%`,
//! `{{ .Values.x }}`) names a secret without holding it and is kept, as is a value that is
//! already the marker (so redacting twice changes and counts nothing).

use std::ops::Range;

use super::{MARKER, is_secret_header, is_secret_name};

/// Commands that take a password as `-pPASSWORD`, and whose `-p VALUE` is kept from view
/// too (it is the database name to mysql, but is written by mistake for a password).
const TAKES_DASH_P: [&str; 15] = [
    "mysql",
    "mysqldump",
    "mysqladmin",
    "mysqlimport",
    "mysqlshow",
    "mysqlcheck",
    "mysqlpump",
    "mysqlsh",
    "mariadb",
    "mariadb-dump",
    "mariadb-admin",
    "mariadb-import",
    "mariadb-show",
    "mariadb-check",
    "sshpass",
];

/// How deep quoted scripts inside quoted scripts are followed.
const MAX_DEPTH: u8 = 4;

/// What the word after a flag is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Next {
    Plain,
    /// The value of a secret flag.
    Secret,
    /// `user:password`.
    UserPassword,
    /// The value of a header or `name:`: a secret, after an optional scheme (`Bearer`).
    Credential,
}

/// Authorization schemes: the word after them is the credential.
const SCHEMES: [&str; 6] = ["bearer", "basic", "token", "digest", "negotiate", "bot"];

/// The ranges of each word that hold a secret. The words are one command's arguments, as
/// the program receives them (no quoting left).
pub(crate) fn word_cuts(words: &[&str]) -> Vec<Vec<Range<usize>>> {
    cuts_at(words, 0)
}

/// The ranges of `text` that hold a secret, in order, not overlapping.
pub(crate) fn text_cuts(text: &str) -> Vec<Range<usize>> {
    text_cuts_at(text, 0)
}

/// `text` with `cuts` replaced by the marker, each cut's newlines kept after it.
pub(crate) fn apply(text: &str, cuts: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for cut in cuts {
        out.push_str(&text[at..cut.start]);
        out.push_str(MARKER);
        push_line_ends(&text[cut.clone()], &mut out);
        at = cut.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Appends the line ends of `replaced` (`\r\n` or `\n`, as written).
pub(crate) fn push_line_ends(replaced: &str, out: &mut String) {
    for (i, _) in replaced.match_indices('\n') {
        if replaced[..i].ends_with('\r') {
            out.push('\r');
        }
        out.push('\n');
    }
}

/// `text` redacted, and how many values were, or None when it holds none. Every string
/// value of every object comes here, so most leave at a cheap test.
pub(crate) fn scrub(text: &str) -> Option<(String, usize)> {
    if !may_hold_secret(text.as_bytes()) {
        return None;
    }
    // One word with nothing to unquote: read as the one argument it is.
    let one_word = !text.bytes().any(|b| {
        b.is_ascii_whitespace()
            || matches!(
                b,
                b'\'' | b'"' | b'\\' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>' | b'`'
            )
    });
    let cuts = match one_word {
        true => cuts_at(&[text], 0).pop().unwrap_or_default(),
        false => text_cuts(text),
    };
    (!cuts.is_empty()).then(|| (apply(text, &cuts), cuts.len()))
}

/// Can the text hold anything the rule finds? Only an assignment (`=`), a URL, a JWT or an
/// AWS key id can be found in one word; with more words, also what a flag (`-x`), a
/// `name:`, a Dockerfile `ENV` or a PEM header makes of what follows. One pass, no
/// allocation.
fn may_hold_secret(b: &[u8]) -> bool {
    let mut words = false;
    let mut leads = false;
    for (i, &c) in b.iter().enumerate() {
        let rest = &b[i..];
        match c {
            b'=' => return true,
            b':' if rest.starts_with(b"://") => return true,
            b'e' if rest.starts_with(b"eyJ") => return true,
            b'A' if rest.starts_with(b"AKIA") => return true,
            b'S' if i > 0 && b[i - 1] == b'A' && rest.starts_with(b"SIA") => return true,
            b' ' | b'\t' | b'\n' | b'\r' => {
                words = true;
                leads |= rest.get(1) == Some(&b'-') || (i > 0 && b[i - 1] == b':');
            }
            b'P' => leads |= rest.starts_with(b"PRIVATE KEY"),
            b'E' => leads |= rest.starts_with(b"ENV "),
            _ => {}
        }
    }
    words && (leads || b.first() == Some(&b'-') || b.last() == Some(&b':'))
}

/// `$X`, `${X}`, `${{ secrets.X }}`, `$(X)`, `%X%`, `{{ .Values.x }}`: a reference to a
/// value, not the value.
pub(crate) fn is_reference(v: &str) -> bool {
    let v = v.trim().trim_matches(['"', '\'']);
    v.starts_with('$') || v.starts_with('%') || v.contains("{{")
}

/// A value to redact: not empty, not a reference, not redacted already.
fn is_literal(v: &str) -> bool {
    !v.is_empty() && v != MARKER && !is_reference(v)
}

fn cuts_at(words: &[&str], depth: u8) -> Vec<Vec<Range<usize>>> {
    let mut out = vec![Vec::new(); words.len()];
    let mut next = Next::Plain;
    // Seen so far in this command: a program that takes `-p PASSWORD`, or redis-cli.
    let mut takes_p = false;
    let mut takes_a = false;
    // `ENV NAME value` (the Dockerfile's older form): every word after the name.
    let dockerfile_env = words.len() >= 3
        && words[0] == "ENV"
        && !words[1].contains('=')
        && is_secret_name(words[1]);
    for (i, &w) in words.iter().enumerate() {
        if dockerfile_env && i >= 2 {
            if is_literal(w) {
                out[i].push(0..w.len());
            }
            continue;
        }
        match std::mem::replace(&mut next, Next::Plain) {
            // A flag after a secret flag: the first was a switch, this one is read as itself.
            Next::Secret if !w.starts_with('-') || w == "-" => {
                if is_literal(w) {
                    out[i].push(0..w.len());
                }
                continue;
            }
            Next::Credential if SCHEMES.iter().any(|sc| w.eq_ignore_ascii_case(sc)) => {
                next = Next::Credential;
                continue;
            }
            Next::Credential if !w.starts_with('-') => {
                if is_literal(w) {
                    out[i].push(0..w.len());
                }
                continue;
            }
            Next::UserPassword => {
                if let Some(colon) = w.find(':')
                    && is_literal(&w[colon + 1..])
                {
                    out[i].push(colon + 1..w.len());
                    continue;
                }
            }
            _ => {}
        }
        let program = w.rsplit('/').next().unwrap_or(w);
        if TAKES_DASH_P.contains(&program) || w == "login" {
            takes_p = true;
        }
        if program == "redis-cli" {
            takes_a = true;
        }
        if let Some(range) = assignment(w) {
            out[i].push(range);
            continue;
        }
        if w.starts_with('-') && !w.contains('=') {
            // `-pPASSWORD` first: `-pmy-pw` is a password, not a flag named `pmy-pw`.
            if takes_p && w.len() > 2 && w.starts_with("-p") && !w.starts_with("--") {
                if is_literal(&w[2..]) {
                    out[i].push(2..w.len());
                }
                continue;
            }
            let name = w.trim_start_matches('-');
            if is_secret_name(name) || (w == "-p" && takes_p) || (w == "-a" && takes_a) {
                next = Next::Secret;
                continue;
            }
            if w == "-u" || w == "--user" {
                next = Next::UserPassword;
                continue;
            }
        }
        // `password:` or `Authorization:` alone: the value is the next word.
        if let Some(name) = w.strip_suffix(':')
            && is_token(name)
            && is_secret_header(name)
        {
            next = Next::Credential;
            continue;
        }
        inside(w, &mut out[i]);
        // A word with blanks may be a script (`sh -c "…"`): read as one too.
        if depth < MAX_DEPTH && w.contains(char::is_whitespace) {
            out[i].extend(text_cuts_at(w, depth + 1));
            normalize(&mut out[i]);
        }
    }
    out
}

/// `--name=value`, `-name=value` or `NAME=value` whose name names a secret: the value.
/// `--from-literal=password=x`: the inner assignment's value.
fn assignment(w: &str) -> Option<Range<usize>> {
    let eq = w.find('=')?;
    let name = w[..eq].trim_start_matches('-');
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        return None;
    }
    let value = &w[eq + 1..];
    if is_secret_name(name) {
        return is_literal(value).then_some(eq + 1..w.len());
    }
    let inner = assignment(value)?;
    Some(inner.start + eq + 1..inner.end + eq + 1)
}

/// Header names (and `name` in `name: value`): letters, digits, `-`, `_`.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Secrets inside one word: a header's value, URL passwords, query parameters, JWTs, AWS
/// access key ids.
fn inside(w: &str, out: &mut Vec<Range<usize>>) {
    header_value(w, out);
    url_passwords(w, out);
    query_values(w, out);
    jwts(w, out);
    aws_key_ids(w, out);
    normalize(out);
}

/// `Authorization: Bearer x` (or `--header=Authorization: x`): the value. The name starts
/// the word (or follows `=`) and a space follows the colon, so `auth:1.2` (an image) is not
/// a header.
fn header_value(w: &str, out: &mut Vec<Range<usize>>) {
    let Some(colon) = w.find(": ") else {
        return;
    };
    let name = &w[..colon];
    let name = name.rsplit_once('=').map_or(name, |(_, n)| n);
    if !is_token(name) || !is_secret_header(name) {
        return;
    }
    let start = colon + 1 + (w[colon + 1..].len() - w[colon + 1..].trim_start().len());
    let value = &w[start..];
    // `Bearer $TOKEN` names a variable; the scheme is no secret.
    let last = value.rsplit(' ').next().unwrap_or(value);
    if is_literal(value) && is_literal(last) {
        out.push(start..w.len());
    }
}

/// The password of every `scheme://user:password@host` in the word.
fn url_passwords(w: &str, out: &mut Vec<Range<usize>>) {
    for (i, _) in w.match_indices("://") {
        let start = i + 3;
        let end = w[start..]
            .find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '\'') || c.is_whitespace())
            .map_or(w.len(), |e| start + e);
        let authority = &w[start..end];
        if let Some(at) = authority.rfind('@')
            && let Some(colon) = authority[..at].find(':')
        {
            let password = start + colon + 1..start + at;
            if is_literal(&w[password.clone()]) {
                out.push(password);
            }
        }
    }
}

/// `?token=x` or `&password=x` in a URL: the value.
fn query_values(w: &str, out: &mut Vec<Range<usize>>) {
    if !w.contains('?') {
        return;
    }
    for (i, _) in w.match_indices(['?', '&']) {
        let rest = &w[i + 1..];
        let Some(eq) = rest.find('=') else { continue };
        let name = &rest[..eq];
        if !is_token(name) || !is_secret_name(name) {
            continue;
        }
        let start = i + 1 + eq + 1;
        let end = w[start..]
            .find(['&', '#', '"', '\''])
            .map_or(w.len(), |e| start + e);
        if is_literal(&w[start..end]) {
            out.push(start..end);
        }
    }
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Every JWT (`eyJ…` `.` … `.` …, each part at least four characters) in the word.
fn jwts(w: &str, out: &mut Vec<Range<usize>>) {
    let bytes = w.as_bytes();
    for (i, _) in w.match_indices("eyJ") {
        if i > 0 && is_base64url(bytes[i - 1]) {
            continue;
        }
        let mut end = i;
        while end < bytes.len() && (is_base64url(bytes[end]) || matches!(bytes[end], b'.' | b'=')) {
            end += 1;
        }
        let token = w[i..end].trim_end_matches('.');
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() == 3 && parts.iter().all(|p| p.len() >= 4) {
            out.push(i..i + token.len());
        }
    }
}

/// Every AWS access key id (`AKIA` or `ASIA` and 16 upper-case letters or digits, standing
/// alone) in the word.
fn aws_key_ids(w: &str, out: &mut Vec<Range<usize>>) {
    let bytes = w.as_bytes();
    for (i, _) in w.match_indices("AKIA").chain(w.match_indices("ASIA")) {
        let end = i + 20;
        if end > bytes.len()
            || (i > 0 && bytes[i - 1].is_ascii_alphanumeric())
            || bytes.get(end).is_some_and(u8::is_ascii_alphanumeric)
        {
            continue;
        }
        if bytes[i..end]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            out.push(i..end);
        }
    }
}

/// Sorts ranges and merges those that overlap or touch.
pub(crate) fn normalize(ranges: &mut Vec<Range<usize>>) {
    ranges.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges.drain(..) {
        match merged.last_mut() {
            Some(last) if r.start < last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    *ranges = merged;
}

fn text_cuts_at(text: &str, depth: u8) -> Vec<Range<usize>> {
    let mut cuts = pem_bodies(text);
    for command in scan(text) {
        let values: Vec<&str> = command.iter().map(|w| w.value.as_str()).collect();
        for (word, ranges) in command.iter().zip(cuts_at(&values, depth)) {
            cuts.extend(ranges.into_iter().map(|r| word.source(r)));
        }
    }
    normalize(&mut cuts);
    cuts
}

/// The bodies of PEM private keys (`-----BEGIN … PRIVATE KEY-----` to `-----END`, or to the
/// end of the text when the end is missing).
fn pem_bodies(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(begin) = text[from..].find("-----BEGIN ").map(|b| from + b) {
        let label_start = begin + "-----BEGIN ".len();
        let Some(label_len) = text[label_start..].find("-----") else {
            break;
        };
        let body_start = label_start + label_len + 5;
        let label = &text[label_start..label_start + label_len];
        let body_end = text[body_start..]
            .find("-----END")
            .map_or(text.len(), |e| body_start + e);
        from = body_end.max(body_start);
        if !label.contains("PRIVATE KEY") || label.contains('\n') {
            continue;
        }
        let body = text[body_start..body_end].trim();
        if !body.is_empty() && body != MARKER {
            out.push(body_start..body_end);
        }
    }
    out
}

/// A word of text: its value as a shell would pass it, and where each byte of the value
/// came from.
struct Scanned {
    value: String,
    /// The value's bytes while the word is read.
    raw: Vec<u8>,
    /// Source offset of each byte of `value`.
    from: Vec<usize>,
    /// Quoting of each byte of `value`: 0 none, 1 single, 2 double.
    quote: Vec<u8>,
    /// The word's extent in the source, quotes included.
    start: usize,
    end: usize,
}

impl Scanned {
    /// The source range of a range of the value. When the range would start and end under
    /// different quoting, the whole word is taken, so no quote is left open.
    fn source(&self, r: Range<usize>) -> Range<usize> {
        if r.is_empty() {
            return self.from.get(r.start).map_or(self.end..self.end, |&s| s..s);
        }
        if self.quote[r.start] != self.quote[r.end - 1] {
            return self.start..self.end;
        }
        self.from[r.start]..self.from[r.end - 1] + 1
    }
}

/// Splits text into commands (at newlines, `;`, `&`, `|`, parentheses and backquotes) and
/// commands into words, following quotes and backslashes the way a POSIX shell does.
fn scan(text: &str) -> Vec<Vec<Scanned>> {
    let bytes = text.as_bytes();
    let mut commands: Vec<Vec<Scanned>> = Vec::new();
    let mut command: Vec<Scanned> = Vec::new();
    let mut word: Option<Scanned> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let separator = match c {
            b' ' | b'\t' | b'\r' | b'<' | b'>' => Some((1, false)),
            // A line continuation joins the lines: it ends the word, not the command.
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => Some((2, false)),
            b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'`' => Some((1, true)),
            _ => None,
        };
        if let Some((len, ends_command)) = separator {
            command.extend(word.take().map(Scanned::finish));
            if ends_command && !command.is_empty() {
                commands.push(std::mem::take(&mut command));
            }
            i += len;
            continue;
        }
        let w = word.get_or_insert_with(|| Scanned {
            value: String::new(),
            raw: Vec::new(),
            from: Vec::new(),
            quote: Vec::new(),
            start: i,
            end: i,
        });
        match c {
            b'\\' if i + 1 < bytes.len() => {
                let len = utf8_len(bytes[i + 1]);
                w.push(text, i + 1, len, 0);
                i += 1 + len;
            }
            b'\'' => {
                let close = text[i + 1..].find('\'').map_or(bytes.len(), |e| i + 1 + e);
                w.push(text, i + 1, close - i - 1, 1);
                i = (close + 1).min(bytes.len());
            }
            b'"' => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != b'"' {
                    if bytes[j] == b'\\'
                        && matches!(bytes.get(j + 1), Some(b'"' | b'\\' | b'$' | b'`'))
                    {
                        j += 1;
                    }
                    w.push(text, j, 1, 2);
                    j += 1;
                }
                i = (j + 1).min(bytes.len());
            }
            _ => {
                w.push(text, i, 1, 0);
                i += 1;
            }
        }
        w.end = i;
    }
    command.extend(word.map(Scanned::finish));
    if !command.is_empty() {
        commands.push(command);
    }
    commands
}

impl Scanned {
    /// Adds `len` bytes of the source at `at` to the value, quoted as `quote`.
    fn push(&mut self, text: &str, at: usize, len: usize, quote: u8) {
        let end = (at + len).min(text.len());
        self.raw.extend_from_slice(&text.as_bytes()[at..end]);
        self.from.extend(at..end);
        self.quote.extend(std::iter::repeat_n(quote, end - at));
    }

    /// Ends the word: its bytes become its value. They are whole characters, since every
    /// byte that opens or closes a quote or escape is ASCII.
    fn finish(mut self) -> Scanned {
        match String::from_utf8(std::mem::take(&mut self.raw)) {
            Ok(v) => self.value = v,
            Err(_) => {
                self.from.clear();
                self.quote.clear();
            }
        }
        self
    }
}

fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each word redacted as the program would receive it.
    fn argv(words: &[&str]) -> Vec<String> {
        word_cuts(words)
            .iter()
            .zip(words)
            .map(|(cuts, w)| apply(w, cuts))
            .collect()
    }

    fn text(t: &str) -> String {
        apply(t, &text_cuts(t))
    }

    #[test]
    fn arguments_lose_their_secret_values_and_keep_the_rest() {
        let cases: &[(&[&str], &[&str])] = &[
            (
                &["--db-password=hunter2", "--port=80"],
                &["--db-password=[REDACTED]", "--port=80"],
            ),
            (
                &["kubectl", "--token", "abc", "get"],
                &["kubectl", "--token", "[REDACTED]", "get"],
            ),
            (
                &["app", "-password", "x"],
                &["app", "-password", "[REDACTED]"],
            ),
            (
                &["DB_PASSWORD=x", "./run"],
                &["DB_PASSWORD=[REDACTED]", "./run"],
            ),
            (
                &["helm", "--set", "db.password=x"],
                &["helm", "--set", "db.password=[REDACTED]"],
            ),
            (
                &[
                    "kubectl",
                    "create",
                    "secret",
                    "generic",
                    "s",
                    "--from-literal=password=x",
                ],
                &[
                    "kubectl",
                    "create",
                    "secret",
                    "generic",
                    "s",
                    "--from-literal=password=[REDACTED]",
                ],
            ),
            (
                &["mysql", "-uroot", "-phunter2", "db"],
                &["mysql", "-uroot", "-p[REDACTED]", "db"],
            ),
            (
                &["/usr/bin/mariadb", "-p", "hunter2"],
                &["/usr/bin/mariadb", "-p", "[REDACTED]"],
            ),
            (
                &["mysqldump", "-pX", "db"],
                &["mysqldump", "-p[REDACTED]", "db"],
            ),
            (
                &["ssh", "-p", "2222", "host"],
                &["ssh", "-p", "2222", "host"],
            ),
            (
                &["docker", "run", "-p", "80:80", "nginx"],
                &["docker", "run", "-p", "80:80", "nginx"],
            ),
            (
                &["docker", "login", "-u", "ci", "-p", "pw", "reg"],
                &["docker", "login", "-u", "ci", "-p", "[REDACTED]", "reg"],
            ),
            (
                &["sshpass", "-p", "pw", "ssh", "h"],
                &["sshpass", "-p", "[REDACTED]", "ssh", "h"],
            ),
            (
                &["redis-cli", "-a", "pw", "ping"],
                &["redis-cli", "-a", "[REDACTED]", "ping"],
            ),
            (
                &["curl", "-u", "ci:s3cret", "https://x"],
                &["curl", "-u", "ci:[REDACTED]", "https://x"],
            ),
            (
                &["curl", "-H", "Authorization: Bearer abc"],
                &["curl", "-H", "Authorization: [REDACTED]"],
            ),
            (
                &["curl", "-H", "X-Api-Key: abc"],
                &["curl", "-H", "X-Api-Key: [REDACTED]"],
            ),
            (
                &["curl", "--header=Authorization: Basic abc"],
                &["curl", "--header=Authorization: [REDACTED]"],
            ),
            (
                &["git", "clone", "https://u:tok@git.example.com/r"],
                &["git", "clone", "https://u:[REDACTED]@git.example.com/r"],
            ),
            (
                &["curl", "https://x/api?access_token=abc&page=2"],
                &["curl", "https://x/api?access_token=[REDACTED]&page=2"],
            ),
            (
                &["--jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"],
                &["--jwt", "[REDACTED]"],
            ),
            (
                &["aws", "--key", "AKIAIOSFODNN7EXAMPLE"],
                &["aws", "--key", "[REDACTED]"],
            ),
            (
                &["sh", "-c", "mysql -uroot -phunter2 db && echo ok"],
                &["sh", "-c", "mysql -uroot -p[REDACTED] db && echo ok"],
            ),
            (
                &["sh", "-c", "run --password=x; ssh -p 22 h"],
                &["sh", "-c", "run --password=[REDACTED]; ssh -p 22 h"],
            ),
        ];
        for (words, want) in cases {
            assert_eq!(argv(words), *want, "{words:?}");
        }
    }

    #[test]
    fn references_and_names_of_files_are_kept() {
        for words in [
            &["--token", "$TOKEN"][..],
            &["--password=${DB_PASSWORD}"],
            &["--token", "${{ secrets.TOKEN }}"],
            &["--password-file=/run/secrets/db"],
            &["--password-stdin"],
            &["--secret-name", "db-creds"],
            &["SECRET_NAME=db-creds"],
            &["curl", "-H", "Authorization: Bearer $T"],
            &["curl", "-u", "ci:$PASS", "https://x"],
            &["args", "$(DB_PASSWORD)"],
            &["image", "ghcr.io/acme/auth:1.2"],
            &["--authorization-mode=Node,RBAC"],
            &["--author", "jane"],
            &["--token", "[REDACTED]"],
            &["--password", "--verbose"],
        ] {
            assert_eq!(argv(words), words.to_vec(), "{words:?}");
        }
    }

    #[test]
    fn text_keeps_its_quotes_lines_and_everything_not_secret() {
        let cases = [
            (
                "mysql -phunter2 db\nssh -p 22 h\n",
                "mysql -p[REDACTED] db\nssh -p 22 h\n",
            ),
            (
                "export TOKEN=\"abc def\"\n",
                "export TOKEN=\"[REDACTED]\"\n",
            ),
            (
                "run \"--password=x\" next",
                "run \"--password=[REDACTED]\" next",
            ),
            (
                "run --password='x' next",
                "run --password='[REDACTED]' next",
            ),
            (
                "login --token \\\n  abc next",
                "login --token \\\n  [REDACTED] next",
            ),
            ("sh -c 'mysql -pX'", "sh -c 'mysql -p[REDACTED]'"),
            (
                "ENV DB_PASSWORD hunter2\nENV MODE x",
                "ENV DB_PASSWORD [REDACTED]\nENV MODE x",
            ),
            ("# password: hunter2", "# password: [REDACTED]"),
            (
                "url = postgres://app:s3cret@db:5432/app",
                "url = postgres://app:[REDACTED]@db:5432/app",
            ),
            (
                "don't stop; it's --token=x",
                "don't stop; it's --token=[REDACTED]",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIE\nabcd\n-----END RSA PRIVATE KEY-----\n",
                "-----BEGIN RSA PRIVATE KEY-----[REDACTED]\n\n\n-----END RSA PRIVATE KEY-----\n",
            ),
            (
                "-----BEGIN CERTIFICATE-----\nMIIE\n-----END CERTIFICATE-----",
                "-----BEGIN CERTIFICATE-----\nMIIE\n-----END CERTIFICATE-----",
            ),
        ];
        for (input, want) in cases {
            let got = text(input);
            assert_eq!(got, want, "{input:?}");
            assert_eq!(got.lines().count(), input.lines().count());
            // Redacting twice changes nothing more.
            assert!(text_cuts(&got).is_empty(), "{got:?}");
        }
    }

    #[test]
    fn a_multi_line_quoted_value_keeps_its_lines() {
        let input = "run --password \"a\nb\" next\nlast";
        let got = text(input);
        assert_eq!(got.lines().count(), input.lines().count(), "{got:?}");
        assert!(!got.contains('a') || !got.contains("a\nb"), "{got:?}");
        assert!(got.ends_with("last"));
    }

    #[test]
    fn strings_without_anything_to_find_are_not_scanned() {
        for s in [
            "registry.example.com/app:1.0@sha256:abc",
            "2026-08-14T09:12:44Z",
            "kube-system",
            "ReplicaSet \"api-7d9f\" has successfully progressed.",
        ] {
            assert!(!may_hold_secret(s.as_bytes()), "{s}");
        }
        // Whatever the way in, the same words give the same cuts.
        for s in [
            "--token=x",
            "a=b",
            "https://u:p@h",
            "x?token=y",
            "'TOKEN=x'",
        ] {
            let by_text = apply(s, &text_cuts(s));
            assert_eq!(scrub(s).map_or(s.to_string(), |(t, _)| t), by_text, "{s}");
        }
        assert_eq!(
            scrub("--token=x"),
            Some(("--token=[REDACTED]".to_string(), 1))
        );
    }
}
