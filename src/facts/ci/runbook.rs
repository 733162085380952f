//! Markdown runbooks: in-place commands inside fenced code blocks.
//!
//! A runbook that tells an operator to `kubectl exec` into a pod and upgrade a package is
//! evidence of a manual in-place procedure, but it is text, not something that runs: hits
//! here are reported as warnings. Fenced blocks (three or more backquotes or tildes, indented
//! or not) with a shell-like or empty info string are read; in a block whose lines have
//! `$ ` or `# ` prompts (a console transcript), only the prompted lines are commands.
//! Placeholders the reader fills in (`<container_name>`) are words, not redirections.

use super::walk::Walker;
use super::{Repo, Step};
use crate::base::lines::Script;

const SHELL_INFO: [&str; 8] = [
    "",
    "sh",
    "bash",
    "shell",
    "console",
    "zsh",
    "shell-session",
    "terminal",
];

/// The in-place commands in a runbook's code blocks.
pub fn mutations(repo: &Repo<'_>, path: &str, text: &str) -> Vec<Step> {
    let mut walker = Walker::new(repo, path).without_following();
    for block in blocks(text) {
        walker.script(path, &block, "", None);
    }
    walker.mutations()
}

/// Shell code blocks as scripts with file lines.
fn blocks(text: &str) -> Vec<Script> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((_, line)) = lines.next() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let Some(fence) = fence_of(trimmed) else {
            continue;
        };
        let info = trimmed[fence.len()..]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let info = info
            .trim_start_matches('{')
            .trim_end_matches('}')
            .to_string();
        let mut body: Vec<(u32, String)> = Vec::new();
        for (j, l) in lines.by_ref() {
            let t = l.trim_start();
            if t.starts_with(&fence) && t[fence.len()..].trim().is_empty() {
                break;
            }
            let strip = indent.min(l.len() - t.len());
            body.push((j as u32 + 1, l[strip..].to_string()));
        }
        if !SHELL_INFO.contains(&info.as_str()) {
            continue;
        }
        let prompted = body.iter().any(|(_, l)| l.starts_with("$ "));
        let mut script = Script::default();
        for (n, l) in body {
            if prompted {
                if let Some(cmd) = l.strip_prefix("$ ") {
                    script.push_line(n, &quote_placeholders(cmd));
                }
            } else {
                script.push_line(n, &quote_placeholders(&l));
            }
        }
        out.push(script);
    }
    out
}

/// Quotes the placeholders a runbook asks the reader to fill in (`<container_name>`,
/// `deploy/<name>`, `--namespace=<ns>`), so the shell reader sees them as words, not as
/// redirections from and to files: `kubectl exec -it <pod> -- cat x` names `<pod>`.
/// A placeholder is `<`, a name (letters, digits, `_`, `-`, `.`), `>`, outside quotes, and
/// not followed by a word character; `<<EOF` and `cmd <in >out` are left alone.
fn quote_placeholders(line: &str) -> String {
    let b = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let (mut single, mut double) = (false, false);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\\' if !single => {
                let end = (i + 2).min(b.len());
                out.push_str(&line[i..end]);
                i = end;
                continue;
            }
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'<' if !single && !double && (i == 0 || b[i - 1] != b'<') => {
                let name_len = b[i + 1..]
                    .iter()
                    .take_while(|&&x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b'-' | b'.'))
                    .count();
                let close = i + 1 + name_len;
                let starts_with_letter = b.get(i + 1).is_some_and(|x| x.is_ascii_alphabetic());
                let after_ok = b.get(close + 1).is_none_or(|x| {
                    !(x.is_ascii_alphanumeric() || matches!(x, b'<' | b'>' | b'_'))
                });
                if starts_with_letter && b.get(close) == Some(&b'>') && after_ok {
                    out.push('\'');
                    out.push_str(&line[i..=close]);
                    out.push('\'');
                    i = close + 1;
                    continue;
                }
            }
            _ => {}
        }
        let ch = line[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn fence_of(line: &str) -> Option<String> {
    for ch in ['`', '~'] {
        let n = line.chars().take_while(|&c| c == ch).count();
        if n >= 3 {
            return Some(std::iter::repeat_n(ch, n).collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenced_shell_blocks_with_lines() {
        let text = "# Hotfix\n\nRun:\n\n```bash\nkubectl exec -it api-0 -- apt-get upgrade\n```\n\n```yaml\nkubectl: exec\n```\n\n   ```console\n   $ docker exec web true\n   output line\n   ```\n";
        let blocks = blocks(text);
        assert_eq!(blocks.len(), 2);
        assert_eq!(
            blocks[0].lines().next(),
            Some((6, "kubectl exec -it api-0 -- apt-get upgrade"))
        );
        let console: Vec<(u32, &str)> = blocks[1].lines().collect();
        assert_eq!(console, [(14, "docker exec web true")]);
    }

    #[test]
    fn placeholders_are_quoted_redirections_are_not() {
        for (line, want) in [
            (
                "kubectl exec -it <pod_name> -- cat x",
                "kubectl exec -it '<pod_name>' -- cat x",
            ),
            ("kubectl get deploy/<name>", "kubectl get deploy/'<name>'"),
            ("x --ns=<ns>:<port>", "x --ns='<ns>':'<port>'"),
            ("cat <in >out", "cat <in >out"),
            ("cat <<EOF", "cat <<EOF"),
            ("echo '<kept>' \"<also>\"", "echo '<kept>' \"<also>\""),
            ("diff <(a) <(b)", "diff <(a) <(b)"),
            ("sort <file.txt", "sort <file.txt"),
        ] {
            assert_eq!(quote_placeholders(line), want, "{line}");
        }
    }
}
