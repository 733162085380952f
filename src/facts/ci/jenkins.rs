//! Jenkinsfiles (declarative or scripted): the shell steps and the plugin steps that build,
//! push, deploy or reach hosts.
//!
//! A small Groovy tokenizer (comments, the four string quotes, identifiers, punctuation)
//! finds `sh`, `bat`, `powershell` and `pwsh` steps in all their forms (`sh 'x'`,
//! `sh("x")`, `sh script: '''...''', returnStdout: true`, `sh label: 'l', script: "..."`),
//! with each script line on its file line. Docker Pipeline's `docker.build(...)` and
//! `image.push()`, `kubernetesDeploy(...)`, `ansiblePlaybook(...)`, the SSH Steps plugin's
//! `sshCommand`/`sshScript`, `load 'x.groovy'` and `dir('sub') { ... }` are understood.
//! Groovy interpolation (`${env.TAG}`) is left as written.

use super::Activity;
use super::walk::{Walker, join};
use crate::base::lines::Script;

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String, u32),
    Str(Script, u32),
    Punct(char, u32),
}

impl Tok {
    fn line(&self) -> u32 {
        match self {
            Tok::Ident(_, l) | Tok::Str(_, l) | Tok::Punct(_, l) => *l,
        }
    }

    fn is_punct(&self, c: char) -> bool {
        matches!(self, Tok::Punct(p, _) if *p == c)
    }

    fn ident(&self) -> Option<&str> {
        match self {
            Tok::Ident(s, _) => Some(s),
            _ => None,
        }
    }
}

pub fn read(w: &mut Walker<'_>, path: &str, text: &str) {
    let toks = lex(text);
    let uses_docker_plugin = toks.windows(3).any(|t| {
        t[0].ident() == Some("docker")
            && t[1].is_punct('.')
            && matches!(t[2].ident(), Some("build" | "image"))
    });
    // `def app = docker.build('x')`: the image each variable holds.
    let mut built: std::collections::BTreeMap<String, String> = Default::default();
    // `dir('x') {` blocks: (brace depth at which the block ends, directory).
    let mut dirs: Vec<(usize, String)> = Vec::new();
    // `stage('x') {` blocks: (brace depth inside the block, the job before it). A stage is
    // the job its steps belong to, as a GitHub or GitLab job is.
    let mut stages: Vec<(usize, Option<String>)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let cwd = dirs.last().map(|(_, d)| d.clone()).unwrap_or_default();
        match &toks[i] {
            Tok::Punct('{', _) => depth += 1,
            Tok::Punct('}', _) => {
                depth = depth.saturating_sub(1);
                while dirs.last().is_some_and(|(d, _)| *d > depth) {
                    dirs.pop();
                }
                while stages.last().is_some_and(|(d, _)| *d > depth) {
                    if let Some((_, outer)) = stages.pop() {
                        w.set_job(outer.as_deref());
                    }
                }
            }
            Tok::Ident(name, line) => {
                let line = *line;
                let after_dot = i > 0 && toks[i - 1].is_punct('.');
                match name.as_str() {
                    "stage" if !after_dot => {
                        if let (Some(Tok::Str(stage, _)), Some(close), Some(open)) =
                            (toks.get(i + 2), toks.get(i + 3), toks.get(i + 4))
                            && toks.get(i + 1).is_some_and(|t| t.is_punct('('))
                            && close.is_punct(')')
                            && open.is_punct('{')
                        {
                            stages.push((depth + 1, w.job().map(str::to_string)));
                            w.set_job(Some(stage.text().trim()));
                        }
                    }
                    "sh" | "bat" | "powershell" | "pwsh" if !after_dot => {
                        if let Some(script) = step_string(&toks, i, "script") {
                            w.script(path, &script, &cwd, None);
                        }
                    }
                    "dir" if !after_dot => {
                        if let Some(Tok::Str(s, _)) = toks.get(i + 2)
                            && toks.get(i + 1).is_some_and(|t| t.is_punct('('))
                            && let Some(open) = toks[i..].iter().position(|t| t.is_punct('{'))
                        {
                            dirs.push((depth + 1, join(&cwd, s.text().trim())));
                            depth += 1;
                            i += open + 1;
                            continue;
                        }
                    }
                    "build" if after_dot && i >= 2 && toks[i - 2].ident() == Some("docker") => {
                        let target = first_string(&toks, i).map(|s| s.text().trim().to_string());
                        // `def app = docker.build('x')`: what `app.push(...)` pushes.
                        if i >= 4
                            && toks[i - 3].is_punct('=')
                            && let (Some(var), Some(image)) = (toks[i - 4].ident(), &target)
                        {
                            built.insert(var.to_string(), image.clone());
                        }
                        w.step(
                            path,
                            line,
                            Activity::Build,
                            "docker.build (Docker Pipeline)",
                            &format!("docker.build({})", target.as_deref().unwrap_or("")),
                            target.as_deref(),
                            None,
                        );
                    }
                    "push"
                        if after_dot
                            && uses_docker_plugin
                            && toks.get(i + 1).is_some_and(|t| t.is_punct('(')) =>
                    {
                        // `docker.image('x').push()`: the image named in the call.
                        let named = image_call(&toks, i - 1);
                        let receiver = match &named {
                            Some(image) => format!("docker.image('{image}')"),
                            None => toks[..i - 1]
                                .iter()
                                .rev()
                                .find_map(Tok::ident)
                                .unwrap_or("image")
                                .to_string(),
                        };
                        // The argument as written: a tag string, a variable, an expression.
                        let arguments = args(&toks, i);
                        let written = render(arguments);
                        let image = named.as_ref().or_else(|| built.get(&receiver));
                        let target = match (image, arguments) {
                            // `push('tag')` pushes the image under that tag instead.
                            (Some(image), [Tok::Str(tag, _)]) => {
                                Some(format!("{}:{}", untagged(image), tag.text().trim()))
                            }
                            (Some(image), []) => Some(image.clone()),
                            // A tag from a variable or expression: the repository it goes to.
                            (Some(image), _) => Some(untagged(image).to_string()),
                            (None, _) => None,
                        };
                        w.step(
                            path,
                            line,
                            Activity::Push,
                            "image.push (Docker Pipeline)",
                            &format!("{receiver}.push({written})"),
                            target.as_deref(),
                            None,
                        );
                    }
                    "kubernetesDeploy" | "kubernetesApply" => {
                        let configs =
                            named_string(&toks, i, "configs").map(|s| s.text().trim().to_string());
                        w.step(
                            path,
                            line,
                            Activity::Deploy,
                            name,
                            name,
                            configs.as_deref(),
                            None,
                        );
                    }
                    "ansiblePlaybook" => {
                        let playbook = named_string(&toks, i, "playbook")
                            .or_else(|| first_string(&toks, i))
                            .map(|s| s.text().trim().to_string());
                        w.step(
                            path,
                            line,
                            Activity::Mutation,
                            "ansiblePlaybook",
                            "ansiblePlaybook(...)",
                            playbook.as_deref(),
                            Some("configures running hosts"),
                        );
                    }
                    "sshCommand" => {
                        let host = named_ident(&toks, i, "remote")
                            .unwrap_or("a remote host")
                            .to_string();
                        if let Some(script) = named_string(&toks, i, "command") {
                            w.script(path, &script, &cwd, Some(&host));
                        }
                    }
                    "sshScript" => {
                        let host = named_ident(&toks, i, "remote")
                            .unwrap_or("a remote host")
                            .to_string();
                        if let Some(script) = named_string(&toks, i, "script") {
                            w.follow(path, line, script.text().trim(), &cwd, Some(&host));
                        }
                    }
                    "load" if !after_dot => {
                        if let Some(file) = first_string(&toks, i) {
                            let target = file.text().trim().to_string();
                            load(w, path, line, &target);
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// Follows `load 'ci/steps.groovy'`.
fn load(w: &mut Walker<'_>, from: &str, line: u32, target: &str) {
    let Some(resolved) = w.repo.resolve(target, "", from) else {
        w.note(format!(
            "{from}:{line} loads {target}, which is not a file of the repository"
        ));
        return;
    };
    if let Some(text) = w.open(&resolved) {
        read(w, &resolved, &text);
    }
}

/// The tokens of a step's arguments: inside its parentheses, or, without them, up to the
/// end of the line (continuing after a trailing comma).
fn args(toks: &[Tok], at: usize) -> &[Tok] {
    let start = at + 1;
    if toks.get(start).is_some_and(|t| t.is_punct('(')) {
        let mut depth = 0;
        for (j, t) in toks.iter().enumerate().skip(start) {
            if t.is_punct('(') {
                depth += 1;
            } else if t.is_punct(')') {
                depth -= 1;
                if depth == 0 {
                    return &toks[start + 1..j];
                }
            }
        }
        return &toks[start + 1..];
    }
    let mut line = toks[at].line();
    let mut end = start;
    while let Some(t) = toks.get(end) {
        if t.line() != line {
            if end > start && toks[end - 1].is_punct(',') {
                line = t.line();
            } else {
                break;
            }
        }
        if t.is_punct('{') || t.is_punct('}') {
            break;
        }
        end += 1;
    }
    &toks[start..end]
}

/// The image of a `docker.image('x')` call that ends just before `dot` (the `.` of
/// `.push`).
fn image_call(toks: &[Tok], dot: usize) -> Option<String> {
    if dot == 0 || !toks[dot - 1].is_punct(')') {
        return None;
    }
    let mut depth = 0;
    let mut open = None;
    for j in (0..dot).rev() {
        if toks[j].is_punct(')') {
            depth += 1;
        } else if toks[j].is_punct('(') {
            depth -= 1;
            if depth == 0 {
                open = Some(j);
                break;
            }
        }
    }
    let open = open?;
    if open < 3
        || toks[open - 1].ident() != Some("image")
        || !toks[open - 2].is_punct('.')
        || toks[open - 3].ident() != Some("docker")
    {
        return None;
    }
    toks[open + 1..dot - 1].iter().find_map(|t| match t {
        Tok::Str(s, _) => Some(s.text().trim().to_string()),
        _ => None,
    })
}

/// `reg:5000/app:1` -> `reg:5000/app`; a name without a tag as it is.
fn untagged(image: &str) -> &str {
    match image.rfind(':') {
        Some(i) if !image[i..].contains('/') => &image[..i],
        _ => image,
    }
}

/// Tokens as Groovy source, one line: a string with `${` in double quotes (only they
/// interpolate), any other in single quotes.
fn render(toks: &[Tok]) -> String {
    let mut out = String::new();
    for t in toks {
        match t {
            Tok::Str(s, _) => {
                let text = s.text();
                let text = text.trim();
                if text.contains("${") {
                    out.push_str(&format!("\"{text}\""));
                } else {
                    out.push_str(&format!("'{text}'"));
                }
            }
            Tok::Ident(name, _) => {
                if out.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                    out.push(' ');
                }
                out.push_str(name);
            }
            Tok::Punct(c, _) => {
                out.push(*c);
                if *c == ',' {
                    out.push(' ');
                }
            }
        }
    }
    out
}

/// The script of `sh 'x'` or `sh script: 'x'`.
fn step_string(toks: &[Tok], at: usize, key: &str) -> Option<Script> {
    named_string(toks, at, key).or_else(|| match args(toks, at).first() {
        Some(Tok::Str(s, _)) => Some(s.clone()),
        _ => None,
    })
}

fn first_string(toks: &[Tok], at: usize) -> Option<Script> {
    args(toks, at).iter().find_map(|t| match t {
        Tok::Str(s, _) => Some(s.clone()),
        _ => None,
    })
}

fn named_string(toks: &[Tok], at: usize, key: &str) -> Option<Script> {
    let a = args(toks, at);
    a.windows(3).find_map(|t| match (&t[0], &t[1], &t[2]) {
        (Tok::Ident(k, _), Tok::Punct(':', _), Tok::Str(s, _)) if k == key => Some(s.clone()),
        _ => None,
    })
}

fn named_ident<'a>(toks: &'a [Tok], at: usize, key: &str) -> Option<&'a str> {
    let a = args(toks, at);
    a.windows(3).find_map(|t| match (&t[0], &t[1], &t[2]) {
        (Tok::Ident(k, _), Tok::Punct(':', _), Tok::Ident(v, _)) if k == key => Some(v.as_str()),
        _ => None,
    })
}

fn lex(text: &str) -> Vec<Tok> {
    let b = text.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut line = 1u32;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                i += 2;
            }
            b'\'' | b'"' => {
                let triple = b.get(i + 1) == Some(&c) && b.get(i + 2) == Some(&c);
                let quote_len = if triple { 3 } else { 1 };
                let start = i + quote_len;
                let mut j = start;
                let closing = |j: usize| {
                    if triple {
                        b.get(j) == Some(&c) && b.get(j + 1) == Some(&c) && b.get(j + 2) == Some(&c)
                    } else {
                        b.get(j) == Some(&c) || b.get(j) == Some(&b'\n')
                    }
                };
                while j < b.len() && !closing(j) {
                    if b[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                let end = j.min(b.len());
                let content = &text[start..end];
                let first_line = line;
                toks.push(Tok::Str(unescape(first_line, content), first_line));
                line += content.bytes().filter(|&x| x == b'\n').count() as u32;
                i = (end + quote_len).min(b.len());
                if !triple && b.get(end) == Some(&b'\n') {
                    i = end; // an unterminated string ends at the line end
                }
            }
            _ if c.is_ascii_alphabetic() || c == b'_' || c == b'$' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                if i == start {
                    i += 1;
                }
                toks.push(Tok::Ident(text[start..i].to_string(), line));
            }
            _ if c.is_ascii_digit() => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    i += 1;
                }
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or(' ');
                toks.push(Tok::Punct(ch, line));
                i += ch.len_utf8();
            }
        }
    }
    toks
}

/// A Groovy string's content as a script, line by line, escapes undone.
fn unescape(first_line: u32, content: &str) -> Script {
    let mut script = Script::default();
    for (k, raw) in content.split('\n').enumerate() {
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars().peekable();
        while let Some(ch) = chars.next() {
            if ch != '\\' {
                out.push(ch);
                continue;
            }
            match chars.next() {
                Some('n') | Some('t') => out.push(' '),
                Some(other @ ('\\' | '\'' | '"' | '$')) => out.push(other),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                // A `\` at the end of a line continues it, for Groovy and the shell alike.
                None => out.push('\\'),
            }
        }
        script.push_line(first_line + k as u32, &out);
    }
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_keep_lines_and_escapes() {
        let toks = lex("sh '''\n  docker build \\\\\n    -t x .\n'''\nsh \"echo \\\"hi\\\"\"\n");
        let Tok::Str(s, 1) = &toks[1] else {
            panic!("{toks:?}")
        };
        let lines: Vec<(u32, &str)> = s.lines().collect();
        assert_eq!(
            lines,
            [
                (1, ""),
                (2, "  docker build \\"),
                (3, "    -t x ."),
                (4, "")
            ]
        );
        let Tok::Str(s, 5) = &toks[3] else {
            panic!("{toks:?}")
        };
        assert_eq!(s.text(), "echo \"hi\"\n");
    }
}
