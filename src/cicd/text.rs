//! Commands as a report shows them: one line, quoted where needed, secrets redacted.
//!
//! A command goes into `report.json` as evidence, so what could be a credential is replaced by
//! [`MARKER`] before it is shown, by the rule of [`crate::collect::redact`]: values of flags
//! and variables whose name says secret (`--password x`, `--token=x`, `TOKEN=x`, `-p x` after
//! a `login`), `user:password` pairs, `Authorization:` headers, and values that look like a
//! key or token themselves. A variable reference (`$TOKEN`, `${{ secrets.X }}`) names a
//! secret without holding it and is kept.

use crate::collect::redact::{MARKER, looks_like_secret_value, names_a_secret};

/// Longest command text kept, in characters.
const MAX_CHARS: usize = 240;

/// The words as one shell-like line, secrets redacted, long lines shortened.
pub fn display_command(words: &[&str]) -> String {
    let login = words.iter().any(|w| *w == "login" || *w == "sshpass");
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut redact_next = false;
    let mut user_next = false;
    for w in words {
        if redact_next {
            redact_next = false;
            out.push(if is_reference(w) {
                quote(w)
            } else {
                MARKER.into()
            });
            continue;
        }
        if user_next {
            user_next = false;
            // `curl -u user:password`: the part after the colon is the secret.
            if let Some((user, password)) = w.split_once(':')
                && !is_reference(password)
            {
                out.push(quote(&format!("{user}:{MARKER}")));
                continue;
            }
        }
        if *w == "-u" || *w == "--user" {
            user_next = true;
        }
        if let Some((name, value)) = w.split_once('=') {
            let flag = name.trim_start_matches('-');
            if !flag.is_empty()
                && flag
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
                && names_a_secret(flag)
                && !is_reference(value)
            {
                out.push(format!("{name}={MARKER}"));
                continue;
            }
        }
        if w.starts_with('-') && !w.contains('=') {
            let flag = w.trim_start_matches('-');
            if (names_a_secret(flag) && !flag.ends_with("-stdin") && !flag.ends_with("-file"))
                || (login && *w == "-p")
            {
                out.push(w.to_string());
                redact_next = true;
                continue;
            }
        }
        out.push(quote(&redact_value(w)));
    }
    let line = out.join(" ");
    if line.chars().count() > MAX_CHARS {
        let cut: String = line.chars().take(MAX_CHARS).collect();
        format!("{cut}…")
    } else {
        line
    }
}

/// A value that is a secret itself, or carries one (`user:pass`, an Authorization header).
fn redact_value(w: &str) -> String {
    if looks_like_secret_value(w) {
        return MARKER.into();
    }
    let lower = w.to_ascii_lowercase();
    if let Some(i) = lower.find("authorization:") {
        let value = w[i + "authorization:".len()..].trim();
        if !is_reference(value.rsplit(' ').next().unwrap_or(value)) {
            return format!("{}Authorization: {MARKER}", &w[..i]);
        }
    }
    w.to_string()
}

/// `$X`, `${X}`, `${{ secrets.X }}`, `$(X)`: a reference to a value, not the value.
fn is_reference(v: &str) -> bool {
    let v = v.trim_matches(['"', '\'']);
    v.starts_with('$') || v.starts_with("%") || v.is_empty()
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
                "helm repo add x [REDACTED]",
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
