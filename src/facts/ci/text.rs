//! Commands as text, quoted two ways for two readers.
//!
//! [`display_command`] writes a command as a report shows it: one line, quoted where needed
//! for a reader, secrets redacted. [`shell_quote`] quotes an argv word so the shell parser
//! ([`super::shell`]) reads it back as exactly that word (a Tekton step's `command` and
//! `args` are an argv, not a script). They are deliberately different: the display form
//! keeps `$VAR` and `${{ ... }}` readable and prefers double quotes around a `'`, which a
//! parser would expand; the parser form quotes everything that is not plain.
//!
//! A command goes into `report.json` as evidence, so what could be a credential is replaced by
//! the marker before it is shown, by the argument rule that redacts containers' `command`
//! and `args` ([`crate::collect::redact`]): values of flags and variables whose name says
//! secret (`--password x`, `--token=x`, `TOKEN=x`, `-p x` after a `login`, `mysql -px`),
//! `user:password` pairs, `Authorization:` headers, URL passwords, and values that look
//! like a key or token themselves. A variable reference (`$TOKEN`, `${{ secrets.X }}`)
//! names a secret without holding it and is kept. The files these words come from were
//! redacted by the same rule when they were collected; this is the second guard.

use crate::collect::redact::words::{apply, word_cuts};

/// Longest command text kept, in characters.
const MAX_CHARS: usize = 240;

/// The words as one shell-like line, secrets redacted, long lines shortened.
pub fn display_command(words: &[&str]) -> String {
    let cuts = word_cuts(words);
    let line = words
        .iter()
        .zip(&cuts)
        .map(|(w, c)| match c.is_empty() {
            true => quote(w),
            false => quote(&apply(w, c)),
        })
        .collect::<Vec<_>>()
        .join(" ");
    if line.chars().count() > MAX_CHARS {
        let cut: String = line.chars().take(MAX_CHARS).collect();
        format!("{cut}…")
    } else {
        line
    }
}

/// A word for display: as it is when plain, else in quotes, newlines flattened.
fn quote(w: &str) -> String {
    if w.is_empty() {
        return "''".into();
    }
    if w.contains([' ', '\t', '\n', '"', '\'', ';', '&', '|', '<', '>']) && !w.starts_with("${{") {
        let flat = w.replace('\n', " ");
        if flat.contains('\'') {
            format!("\"{}\"", flat.replace('"', "\\\""))
        } else {
            format!("'{flat}'")
        }
    } else {
        w.to_string()
    }
}

/// A word quoted for the shell parser: POSIX single quotes unless every byte is plain, so
/// `$(params.x)`, spaces, quotes and newlines come back as written.
pub fn shell_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@%+,".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_references_kept() {
        let cases = [
            (
                vec!["docker", "login", "-u", "ci", "-p", "hunter2", "reg"],
                "docker login -u ci -p [REDACTED] reg",
            ),
            (
                vec!["docker", "login", "-p", "$REG_PASS"],
                "docker login -p $REG_PASS",
            ),
            (
                vec![
                    "helm",
                    "repo",
                    "add",
                    "x",
                    "https://u:pw@charts.example.com",
                ],
                "helm repo add x https://u:[REDACTED]@charts.example.com",
            ),
            (
                vec!["kubectl", "--token=abc123", "apply"],
                "kubectl --token=[REDACTED] apply",
            ),
            (
                vec!["kubectl", "--token", "abc123", "apply"],
                "kubectl --token [REDACTED] apply",
            ),
            (
                vec!["API_TOKEN=abc", "./deploy.sh"],
                "API_TOKEN=[REDACTED] ./deploy.sh",
            ),
            (
                vec!["curl", "-H", "Authorization: Bearer abc"],
                "curl -H 'Authorization: [REDACTED]'",
            ),
            (
                vec!["curl", "-H", "Authorization: Bearer $T"],
                "curl -H 'Authorization: Bearer $T'",
            ),
            (
                vec!["docker", "login", "--password-stdin"],
                "docker login --password-stdin",
            ),
            (vec!["echo", "a b"], "echo 'a b'"),
            (
                vec!["curl", "-u", "ci:s3cret", "https://x"],
                "curl -u ci:[REDACTED] https://x",
            ),
            (
                vec!["curl", "-u", "ci:$PASS", "https://x"],
                "curl -u ci:$PASS https://x",
            ),
        ];
        for (words, want) in cases {
            assert_eq!(display_command(&words), want);
        }
    }

    #[test]
    fn long_commands_are_shortened() {
        let long = "x".repeat(500);
        let shown = display_command(&["echo", &long]);
        assert!(shown.ends_with('…'));
        assert_eq!(shown.chars().count(), MAX_CHARS + 1);
    }

    #[test]
    fn shell_quoted_words_parse_back_as_written() {
        let words = [
            "trivy",
            "",
            "a b",
            "it's",
            "$(params.image)",
            "--format=json",
            "x;y|z&",
            "line one\nline two",
            "\"quoted\"",
        ];
        let line: Vec<String> = words.iter().map(|w| shell_quote(w)).collect();
        let script = crate::base::lines::Script::from_text(1, &line.join(" "));
        let commands = super::super::shell::parse(&script);
        assert_eq!(commands.len(), 1, "{line:?}");
        assert_eq!(commands[0].argv(), words);
    }
}
