//! Commands as a report shows them: one line, quoted where needed, secrets redacted.
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
}
