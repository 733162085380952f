//! Which files an `--audit-log` argument names: a file, a directory (its files, recursively,
//! in name order, hidden entries skipped), or a pattern the shell did not expand (quoted:
//! `'audit-2026-*.log.gz'`).
//!
//! Patterns take `*` (any run of characters but `/`), `?` (one character) and `[abc]`,
//! `[a-z]`, `[!abc]` in any component of the path; `**` is `*`. A component that starts
//! with a wildcard does not match hidden names. Matches are read in name order; a pattern
//! that matches nothing is an input problem. An argument that exists as a path is taken
//! literally, even when its name holds a wildcard character.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::evidence::inventory::{Problem, ProblemLevel};

/// A file to read, with the argument that named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct LogFile {
    pub(super) path: PathBuf,
    /// The argument it came from.
    pub(super) input: String,
}

/// The files `input` names, in reading order, and the problems met finding them.
pub(super) fn expand(input: &str, source: &str) -> (Vec<LogFile>, Vec<Problem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let path = Path::new(input);
    let found: Vec<PathBuf> = if fs::symlink_metadata(path).is_err() && has_wildcard(input) {
        let matched = glob(path);
        if matched.is_empty() {
            problems.push(
                Problem::new(
                    ProblemLevel::Error,
                    source,
                    input,
                    "no file matches this pattern",
                )
                .hint("check the pattern; `*`, `?` and `[...]` are expanded, `**` is `*`"),
            );
        }
        matched
    } else {
        vec![path.to_path_buf()]
    };
    let mut visited = HashSet::new();
    for path in found {
        let before = files.len();
        match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                walk(
                    &path,
                    input,
                    source,
                    &mut visited,
                    &mut files,
                    &mut problems,
                );
                if files.len() == before {
                    problems.push(
                        Problem::new(
                            ProblemLevel::Warning,
                            source,
                            path.display().to_string(),
                            "the directory holds no audit log files",
                        )
                        .hint("pass the directory the logs are written to"),
                    );
                }
            }
            // Regular files, and anything else: the reader refuses what is not a regular
            // file, with the reason.
            Ok(_) => files.push(LogFile {
                path,
                input: input.to_string(),
            }),
            Err(e) => problems.push(
                Problem::new(
                    ProblemLevel::Error,
                    source,
                    path.display().to_string(),
                    format!("cannot read: {e}"),
                )
                .hint("check the path and its permissions; no event from it was read"),
            ),
        }
    }
    (files, problems)
}

fn walk(
    dir: &Path,
    input: &str,
    source: &str,
    visited: &mut HashSet<PathBuf>,
    files: &mut Vec<LogFile>,
    problems: &mut Vec<Problem>,
) {
    // A symbolic link loop would otherwise walk for ever.
    if let Ok(canonical) = fs::canonicalize(dir)
        && !visited.insert(canonical)
    {
        return;
    }
    let mut entries: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            problems.push(Problem::new(
                ProblemLevel::Error,
                source,
                dir.display().to_string(),
                format!("cannot read: {e}"),
            ));
            return;
        }
    };
    entries.sort();
    for path in entries {
        if path
            .file_name()
            .is_some_and(|n| n.as_encoded_bytes().starts_with(b"."))
        {
            continue;
        }
        match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(&path, input, source, visited, files, problems),
            Ok(_) => files.push(LogFile {
                path,
                input: input.to_string(),
            }),
            Err(e) => problems.push(Problem::new(
                ProblemLevel::Error,
                source,
                path.display().to_string(),
                format!("cannot read: {e}"),
            )),
        }
    }
}

/// Whether an argument is a pattern (when no path of that name exists).
pub(crate) fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// The paths matching a pattern, component by component, in name order.
fn glob(pattern: &Path) -> Vec<PathBuf> {
    let mut current: Vec<PathBuf> = vec![PathBuf::new()];
    for component in pattern.components() {
        let text = component.as_os_str().to_string_lossy();
        let next_paths = if has_wildcard(&text) {
            let mut next = Vec::new();
            for base in &current {
                let dir = if base.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    base.as_path()
                };
                let Ok(entries) = fs::read_dir(dir) else {
                    continue;
                };
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter(|name| matches(&text, name))
                    .collect();
                names.sort();
                next.extend(names.into_iter().map(|n| base.join(n)));
            }
            next
        } else {
            current
                .iter()
                .map(|base| base.join(component.as_os_str()))
                .filter(|p| fs::symlink_metadata(p).is_ok())
                .collect()
        };
        current = next_paths;
        if current.is_empty() {
            break;
        }
    }
    current
}

/// Does `name` match the wildcard `pattern` (see the module doc)?
pub(super) fn matches(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matching with one backtrack point for the last `*`: linear in practice,
    // never exponential.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    while pi < p.len() && p[pi] == '*' {
                        pi += 1;
                    }
                    star = Some((pi, ni));
                    continue;
                }
                '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, len)) = class(&p[pi..], n[ni]) {
                        if matched {
                            pi += len;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == '[' {
                        // An unclosed `[` is itself.
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// A `[...]` class at the start of `p`: whether `c` is in it, and the class's length.
/// None when the class is not closed.
fn class(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negated = matches!(p.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut found = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((found != negated, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            found |= (p[i]..=p[i + 2]).contains(&c);
            i += 3;
        } else {
            found |= p[i] == c;
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_a_shell_does() {
        assert!(matches(
            "audit-2026-*.log.gz",
            "audit-2026-07-01T00-00-00.000.log.gz"
        ));
        assert!(!matches("audit-2026-*.log.gz", "audit-2025-07-01.log.gz"));
        assert!(matches("audit-?.log", "audit-1.log"));
        assert!(!matches("audit-?.log", "audit-12.log"));
        assert!(matches("audit-[0-9].log", "audit-7.log"));
        assert!(!matches("audit-[!0-9].log", "audit-7.log"));
        assert!(matches("*", "audit.log"));
        assert!(!matches("*", ".hidden"));
        assert!(matches(".*", ".hidden"));
        assert!(matches("a[b", "a[b"));
        assert!(matches("**.gz", "x.gz"));
        assert!(!matches("*a*a*a*a*a*b", &"a".repeat(200)));
    }

    #[test]
    fn inputs_expand_to_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("logs/sub")).unwrap();
        for name in [
            "logs/b.log",
            "logs/a.log.gz",
            "logs/.hidden",
            "logs/sub/c.log",
        ] {
            fs::write(root.join(name), "").unwrap();
        }
        let names = |files: &[LogFile]| {
            files
                .iter()
                .map(|f| f.path.strip_prefix(root).unwrap().display().to_string())
                .collect::<Vec<_>>()
        };
        let (files, problems) = expand(root.join("logs").to_str().unwrap(), "audit-log:x");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            names(&files),
            ["logs/a.log.gz", "logs/b.log", "logs/sub/c.log"]
        );
        let (files, _) = expand(root.join("logs/*.log*").to_str().unwrap(), "s");
        assert_eq!(names(&files), ["logs/a.log.gz", "logs/b.log"]);
        let (files, _) = expand(root.join("l?gs/*/c.log").to_str().unwrap(), "s");
        assert_eq!(names(&files), ["logs/sub/c.log"]);
        let (files, problems) = expand(root.join("logs/*.json").to_str().unwrap(), "s");
        assert!(files.is_empty());
        assert_eq!(problems[0].message, "no file matches this pattern");
        let (_, problems) = expand(root.join("missing.log").to_str().unwrap(), "s");
        assert!(
            problems[0].message.starts_with("cannot read:"),
            "{problems:?}"
        );
        fs::create_dir(root.join("empty")).unwrap();
        let (_, problems) = expand(root.join("empty").to_str().unwrap(), "s");
        assert_eq!(
            problems[0].message,
            "the directory holds no audit log files"
        );
    }
}
