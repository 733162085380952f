//! Dockerfiles (and Containerfiles): stages, base images, final user, in-build upgrades.
//!
//! The parser follows the Dockerfile reference as far as the checks need: parser directives
//! at the top (`# escape=`` ` `` changes the continuation character), comment lines (also
//! inside continuations), line continuations, heredocs (`RUN <<EOF ... EOF`, their bodies
//! read as the script when the command is a shell), `FROM [--platform=...] image [AS name]`
//! with `ARG`s declared before the first `FROM` substituted (`$X`, `${X}`, `${X:-default}`,
//! `${X:+alt}`), stage names (a `FROM` naming an earlier stage builds on it, not on an
//! image), `USER name|uid[:group]` with the stage's `ARG`/`ENV` values substituted (a stage
//! built on an earlier stage inherits that stage's values; a global `ARG` counts in a stage
//! only when the stage declares it again), and
//! package-manager upgrades in `RUN` (shell and exec form), which are facts: rebuilding with
//! upgraded packages is the immutable way, not patching in place.

use std::collections::HashMap;

use serde::Serialize;

use crate::evidence::image::{ImageError, ImageRef};

use super::ci::shell;
use crate::base::lines::Script;

/// A parsed Dockerfile.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dockerfile {
    pub stages: Vec<Stage>,
    /// Lines the parser could not make sense of: (line, message).
    pub problems: Vec<(u32, String)>,
}

/// One build stage, from its `FROM` to the next.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stage {
    pub index: usize,
    /// Line of the `FROM`.
    pub line: u32,
    pub name: Option<String>,
    /// The image reference as written.
    pub from: String,
    /// After `ARG` substitution.
    pub resolved: String,
    pub platform: Option<String>,
    pub base: Base,
    /// The last `USER` of the stage.
    pub user: Option<User>,
    pub upgrades: Vec<Upgrade>,
}

/// What a stage builds on.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Base {
    /// `FROM scratch`: an empty filesystem.
    Scratch,
    /// An earlier stage, by index.
    Stage {
        index: usize,
    },
    Image {
        image: ImageRef,
    },
    /// `FROM ${BASE}` where `BASE` has no default: chosen at build time.
    Unresolved {
        variable: String,
    },
    /// Not a valid image reference.
    Invalid {
        error: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub line: u32,
    /// As written.
    pub raw: String,
    /// The user after substitution, without the group.
    pub user: String,
    /// Root (`root` or uid 0), not root, or unknown (an unresolved variable).
    pub root: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Upgrade {
    pub line: u32,
    pub command: String,
}

impl Dockerfile {
    /// The stage that `docker build` without `--target` produces: the last.
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// The stage whose `FROM` names what a stage rests on, through earlier stages: for
    /// `FROM builder` where builder is `FROM golang`, the builder stage.
    pub fn root_stage<'a>(&'a self, stage: &'a Stage) -> &'a Stage {
        let mut s = stage;
        for _ in 0..self.stages.len() {
            match &s.base {
                Base::Stage { index } if *index < s.index => s = &self.stages[*index],
                _ => return s,
            }
        }
        s
    }

    /// The base a stage rests on, through earlier stages.
    pub fn root_base<'a>(&'a self, stage: &'a Stage) -> &'a Base {
        &self.root_stage(stage).base
    }

    /// The user a stage runs as: its own last `USER`, else that of the stage it builds on;
    /// None when no stage in the chain sets one (the base image's default applies).
    pub fn effective_user<'a>(&'a self, stage: &'a Stage) -> Option<(&'a User, &'a Stage)> {
        let mut s = stage;
        for _ in 0..=self.stages.len() {
            if let Some(u) = &s.user {
                return Some((u, s));
            }
            match &s.base {
                Base::Stage { index } if *index < s.index => s = &self.stages[*index],
                _ => return None,
            }
        }
        None
    }

    /// Every stage's base images that come from a registry (not scratch, not a stage).
    pub fn external_bases(&self) -> impl Iterator<Item = &Stage> {
        self.stages
            .iter()
            .filter(|s| !matches!(s.base, Base::Scratch | Base::Stage { .. }))
    }
}

/// One instruction: keyword, arguments (continuations joined), first line, and for shell
/// form `RUN` the script with its file lines.
struct Instruction {
    keyword: String,
    args: String,
    line: u32,
    script: Script,
    heredocs: Vec<Script>,
}

pub fn parse(text: &str) -> Dockerfile {
    let lines: Vec<&str> = text.lines().collect();
    let mut escape = '\\';
    let mut i = 0;
    // Parser directives: only at the very top, before any comment, blank line or instruction.
    while i < lines.len() {
        let Some(directive) = directive(lines[i]) else {
            break;
        };
        if directive.0 == "escape" && matches!(directive.1.as_str(), "`" | "\\") {
            escape = directive.1.chars().next().unwrap_or('\\');
        }
        i += 1;
    }
    let instructions = instructions(&lines, i, escape);
    build(instructions)
}

fn directive(line: &str) -> Option<(String, String)> {
    let rest = line.trim().strip_prefix('#')?.trim();
    let (k, v) = rest.split_once('=')?;
    let k = k.trim().to_ascii_lowercase();
    matches!(k.as_str(), "syntax" | "escape" | "check").then(|| (k, v.trim().to_string()))
}

fn instructions(lines: &[&str], start: usize, escape: char) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut i = start;
    while i < lines.len() {
        let first = lines[i];
        let trimmed = first.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let line_no = i as u32 + 1;
        let mut script = Script::default();
        let mut joined = String::new();
        let mut current = trimmed.to_string();
        let mut current_no = line_no;
        loop {
            let t = current.trim_end();
            let continues = t.ends_with(escape) && !t.ends_with(&format!("{escape}{escape}"));
            let body = if continues {
                &t[..t.len() - escape.len_utf8()]
            } else {
                t
            };
            joined.push_str(body);
            // The shell sees a `\` continuation whatever the Dockerfile's escape character.
            script.push_line(
                current_no,
                &if continues {
                    format!("{body}\\")
                } else {
                    body.to_string()
                },
            );
            i += 1;
            if !continues {
                break;
            }
            joined.push(' ');
            // Comment and empty lines inside a continuation are dropped.
            while i < lines.len()
                && (lines[i].trim().is_empty() || lines[i].trim_start().starts_with('#'))
            {
                i += 1;
            }
            if i >= lines.len() {
                break;
            }
            current = lines[i].to_string();
            current_no = i as u32 + 1;
        }
        let (keyword, args) = match joined.split_once(char::is_whitespace) {
            Some((k, a)) => (k.to_ascii_uppercase(), a.trim().to_string()),
            None => (joined.trim().to_ascii_uppercase(), String::new()),
        };
        // Heredocs start after the instruction's last line.
        let mut heredocs = Vec::new();
        for (delimiter, strip_tabs) in heredoc_markers(&args) {
            let mut body = Script::default();
            while i < lines.len() {
                let raw = lines[i];
                let l = if strip_tabs {
                    raw.trim_start_matches('\t')
                } else {
                    raw
                };
                i += 1;
                if l.trim_end() == delimiter {
                    break;
                }
                body.push_line(i as u32, l);
            }
            heredocs.push(body);
        }
        // Drop the keyword from the script's first line.
        let script = strip_keyword(&script, &keyword);
        out.push(Instruction {
            keyword,
            args,
            line: line_no,
            script,
            heredocs,
        });
    }
    out
}

fn strip_keyword(script: &Script, keyword: &str) -> Script {
    let mut out = Script::default();
    for (k, (n, text)) in script.lines().enumerate() {
        if k == 0 {
            let t = text.trim_start();
            let rest = t.get(keyword.len()..).unwrap_or("");
            out.push_line(n, &strip_run_flags(rest));
        } else {
            out.push_line(n, text);
        }
    }
    out
}

/// `--mount=type=cache,target=/x --network=none apt-get ...` -> `apt-get ...`.
fn strip_run_flags(rest: &str) -> String {
    let mut r = rest.trim_start();
    while r.starts_with("--") {
        r = r
            .split_once(char::is_whitespace)
            .map_or("", |(_, x)| x)
            .trim_start();
    }
    r.to_string()
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` markers in an instruction's arguments.
fn heredoc_markers(args: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut rest = args;
    while let Some(i) = rest.find("<<") {
        let after = &rest[i + 2..];
        let (strip, after) = match after.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, after),
        };
        let word: String = after.chars().take_while(|c| !c.is_whitespace()).collect();
        let delimiter = word.trim_matches(['"', '\'']).to_string();
        if !delimiter.is_empty()
            && delimiter
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            out.push((delimiter, strip));
        }
        rest = &after[word.len().min(after.len())..];
    }
    out
}

fn build(instructions: Vec<Instruction>) -> Dockerfile {
    let mut global: HashMap<String, Option<String>> = HashMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    let mut problems = Vec::new();
    // The ARG and ENV values each stage sees, by stage index. A stage built on an earlier
    // stage starts with that stage's values, as a build does; a global ARG (before the
    // first FROM) is seen only where a stage declares it again.
    let mut vars: Vec<HashMap<String, String>> = Vec::new();
    let mut stage_vars: HashMap<String, String> = HashMap::new();
    for ins in instructions {
        match ins.keyword.as_str() {
            "ARG" => {
                for (name, default) in arg_pairs(&ins.args) {
                    if stages.is_empty() {
                        let default = default
                            .map(|d| substitute(&d, &|v| global.get(v).cloned().flatten()).0);
                        global.insert(name, default);
                    } else {
                        // A build argument given at build time would win; the Dockerfile's
                        // default, else the inherited or global value, is what it says.
                        let value = default
                            .map(|d| substitute(&d, &|v| stage_vars.get(v).cloned()).0)
                            .or_else(|| stage_vars.get(&name).cloned())
                            .or_else(|| global.get(&name).cloned().flatten());
                        if let Some(v) = value {
                            stage_vars.insert(name, v);
                        }
                    }
                }
            }
            "ENV" if !stages.is_empty() => {
                for (name, value) in env_pairs(&ins.args) {
                    let value = substitute(&value, &|v| stage_vars.get(v).cloned()).0;
                    stage_vars.insert(name, value);
                }
            }
            "FROM" => {
                if !stages.is_empty() {
                    vars.push(std::mem::take(&mut stage_vars));
                }
                let stage = from(&ins, stages.len(), &global, &stages);
                if let Base::Invalid { error } = &stage.base {
                    problems.push((ins.line, format!("FROM `{}`: {error}", stage.resolved)));
                }
                if let Base::Stage { index } = stage.base
                    && let Some(parent) = vars.get(index)
                {
                    stage_vars = parent.clone();
                }
                stages.push(stage);
            }
            "USER" => {
                let Some(stage) = stages.last_mut() else {
                    problems.push((ins.line, "USER before any FROM".into()));
                    continue;
                };
                stage.user = Some(user(&ins, &stage_vars));
            }
            "RUN" => {
                let Some(stage) = stages.last_mut() else {
                    continue;
                };
                stage.upgrades.extend(upgrades(&ins));
            }
            _ if stages.is_empty() && !ins.keyword.is_empty() => {
                problems.push((ins.line, format!("{} before the first FROM", ins.keyword)));
            }
            _ => {}
        }
    }
    Dockerfile { stages, problems }
}

fn from(
    ins: &Instruction,
    index: usize,
    global: &HashMap<String, Option<String>>,
    earlier: &[Stage],
) -> Stage {
    let mut words: Vec<&str> = ins.args.split_whitespace().collect();
    let mut platform = None;
    while let Some(w) = words.first() {
        if let Some(p) = w.strip_prefix("--platform=") {
            platform = Some(p.to_string());
            words.remove(0);
        } else if w.starts_with("--") {
            words.remove(0);
        } else {
            break;
        }
    }
    let written = words.first().copied().unwrap_or("").to_string();
    let name = match words.as_slice() {
        [_, kw, name, ..] if kw.eq_ignore_ascii_case("as") => Some(name.to_string()),
        _ => None,
    };
    let (resolved, missing) = substitute(&written, &|v| global.get(v).cloned().flatten());
    let base = if let Some(variable) = missing {
        Base::Unresolved { variable }
    } else if resolved.eq_ignore_ascii_case("scratch") {
        Base::Scratch
    } else if let Some(s) = earlier.iter().find(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(&resolved))
    }) {
        Base::Stage { index: s.index }
    } else {
        match ImageRef::parse(&resolved) {
            Ok(image) => Base::Image { image },
            Err(e) => Base::Invalid {
                error: describe(&e),
            },
        }
    };
    Stage {
        index,
        line: ins.line,
        name,
        from: written,
        resolved,
        platform,
        base,
        user: None,
        upgrades: Vec::new(),
    }
}

fn describe(e: &ImageError) -> String {
    e.to_string()
}

/// Substitutes `$X`, `${X}`, `${X:-word}`, `${X:+word}`; returns the first variable that has
/// no value (and no `:-` default) as unresolved.
fn substitute(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> (String, Option<String>) {
    let mut out = String::new();
    let mut missing = None;
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'$') {
            out.push('$');
            i += 2;
            continue;
        }
        if b[i] != b'$' {
            let ch = text[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        let (name, modifier, end) = if b.get(i + 1) == Some(&b'{') {
            let Some(close) = text[i + 2..].find('}') else {
                out.push_str(&text[i..]);
                break;
            };
            let inner = &text[i + 2..i + 2 + close];
            let (name, modifier) = match inner.find(':') {
                Some(k) => (&inner[..k], Some(&inner[k..])),
                None => (inner, None),
            };
            (name, modifier, i + 3 + close)
        } else {
            let len = text[i + 1..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(text.len() - i - 1);
            (&text[i + 1..i + 1 + len], None, i + 1 + len)
        };
        let value = lookup(name).filter(|v| !v.is_empty());
        match (modifier, value) {
            (Some(m), v) if m.starts_with(":-") => {
                out.push_str(&v.unwrap_or_else(|| m[2..].to_string()))
            }
            (Some(m), v) if m.starts_with(":+") => {
                if v.is_some() {
                    out.push_str(&m[2..]);
                }
            }
            (_, Some(v)) => out.push_str(&v),
            (_, None) => {
                missing.get_or_insert_with(|| name.to_string());
            }
        }
        i = end;
    }
    (out, missing)
}

/// `ARG A=1 B="two" C` -> [(A, Some(1)), (B, Some(two)), (C, None)].
fn arg_pairs(args: &str) -> Vec<(String, Option<String>)> {
    split_words(args)
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (w, None),
        })
        .collect()
}

/// `ENV A=1 B=2` or the old `ENV A 1`.
fn env_pairs(args: &str) -> Vec<(String, String)> {
    let words = split_words(args);
    if words.first().is_some_and(|w| !w.contains('=')) {
        let mut it = args.trim().splitn(2, char::is_whitespace);
        let k = it.next().unwrap_or("").to_string();
        let v = it
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches(['"', '\''])
            .to_string();
        return vec![(k, v)];
    }
    words
        .into_iter()
        .filter_map(|w| {
            w.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// Words with shell-like quotes removed.
fn split_words(args: &str) -> Vec<String> {
    let script = Script::from_text(1, args);
    shell::parse(&script)
        .into_iter()
        .flat_map(|c| c.words.into_iter().map(|w| w.value))
        .collect()
}

fn user(ins: &Instruction, vars: &HashMap<String, String>) -> User {
    let raw = ins.args.trim().to_string();
    let (resolved, missing) = substitute(&raw, &|v| vars.get(v).cloned());
    let user = resolved.split(':').next().unwrap_or("").trim().to_string();
    let root = if missing.is_some() || user.is_empty() {
        None
    } else {
        Some(user == "root" || user.trim_start_matches('0').is_empty() && user.starts_with('0'))
    };
    User {
        line: ins.line,
        raw,
        user,
        root,
    }
}

/// Package-manager upgrades in a `RUN`, shell form, exec form or heredoc.
fn upgrades(ins: &Instruction) -> Vec<Upgrade> {
    let mut out = Vec::new();
    let args = ins.args.trim_start();
    let args = strip_run_flags(args);
    if args.starts_with('[') {
        if let Ok(argv) = serde_json::from_str::<Vec<String>>(&args) {
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            if let Some(cmd) = upgrade_in(&argv) {
                out.push(Upgrade {
                    line: ins.line,
                    command: cmd,
                });
            }
        }
        return out;
    }
    let mut scripts = vec![ins.script.clone()];
    let first_program = split_words(args.split("<<").next().unwrap_or(""))
        .into_iter()
        .next();
    let shell_heredoc = first_program.as_deref().is_none_or(|p| {
        matches!(
            super::ci::classify::program(p).as_str(),
            "sh" | "bash" | "ash" | "dash" | "zsh"
        )
    });
    if shell_heredoc {
        for body in &ins.heredocs {
            let shebang = body
                .lines()
                .next()
                .map(|(_, l)| l.to_string())
                .unwrap_or_default();
            if !shebang.starts_with("#!") || shebang.contains("sh") {
                scripts.push(body.clone());
            }
        }
    }
    for script in scripts {
        for command in shell::parse(&script) {
            let argv = command.argv();
            if let Some(cmd) = upgrade_in(&argv) {
                out.push(Upgrade {
                    line: command.line,
                    command: cmd,
                });
            }
        }
    }
    out
}

fn upgrade_in(argv: &[&str]) -> Option<String> {
    let mut i = 0;
    while i < argv.len()
        && (argv[i].contains('=') && !argv[i].starts_with('-') || matches!(argv[i], "sudo" | "env"))
    {
        i += 1;
    }
    super::ci::classify::package_upgrade(&argv[i..])
}

/// Why a base image counts as minimal, or None. The families: scratch (handled by the
/// caller), distroless (Google `gcr.io/distroless`, any `distroless` repository or tag),
/// Chainguard (`cgr.dev`, `chainguard/*`) and Wolfi, Alpine (the image or an `-alpine` tag),
/// `slim` tags, Red Hat UBI micro and minimal, Ubuntu and .NET `chiseled` images, BusyBox,
/// and `minimal` tags (`amazonlinux:2023-minimal`).
pub fn minimal_family(image: &ImageRef) -> Option<&'static str> {
    let path = image.path.to_ascii_lowercase();
    let tag = image.tag.as_deref().unwrap_or("").to_ascii_lowercase();
    let last = path.rsplit('/').next().unwrap_or(&path);
    if path.contains("distroless") || tag.contains("distroless") {
        Some("distroless")
    } else if image.domain == "cgr.dev" || path.starts_with("chainguard/") || last == "wolfi-base" {
        Some("Chainguard/Wolfi")
    } else if last == "alpine" || tag.contains("alpine") {
        Some("Alpine")
    } else if path.contains("chiseled") || tag.contains("chiseled") {
        Some("chiseled")
    } else if last.contains("ubi-micro")
        || last.contains("ubi-minimal")
        || (last.starts_with("ubi") && (last.ends_with("-micro") || last.ends_with("-minimal")))
    {
        Some("UBI micro/minimal")
    } else if last == "busybox" {
        Some("BusyBox")
    } else if tag.contains("slim") {
        Some("slim")
    } else if tag.contains("minimal") {
        Some("minimal")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_args_users_and_heredocs() {
        let text = r#"# syntax=docker/dockerfile:1.7
# escape=\
ARG GO_VERSION=1.22
ARG BASE
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-alpine AS build
RUN --mount=type=cache,target=/root/.cache \
    # a comment inside the continuation
    apk upgrade --no-cache && \
    go build -o /app .

FROM ${BASE:-gcr.io/distroless/static-debian12:nonroot} AS runtime
ARG APP_UID=10001
USER ${APP_UID}:${APP_UID}

FROM runtime
RUN <<EOF
set -e
apt-get update
apt-get -y dist-upgrade
EOF
COPY --from=build /app /app
"#;
        let df = parse(text);
        assert!(df.problems.is_empty(), "{:?}", df.problems);
        assert_eq!(df.stages.len(), 3);
        let build = &df.stages[0];
        assert_eq!((build.line, build.name.as_deref()), (5, Some("build")));
        assert_eq!(build.resolved, "golang:1.22-alpine");
        assert_eq!(build.platform.as_deref(), Some("$BUILDPLATFORM"));
        assert_eq!(
            build.upgrades,
            [Upgrade {
                line: 8,
                command: "apk upgrade".into()
            }]
        );
        let runtime = &df.stages[1];
        assert_eq!(
            runtime.resolved,
            "gcr.io/distroless/static-debian12:nonroot"
        );
        assert_eq!(runtime.user.as_ref().unwrap().root, Some(false));
        let last = df.final_stage().unwrap();
        assert_eq!(last.base, Base::Stage { index: 1 });
        assert_eq!(
            last.upgrades,
            [Upgrade {
                line: 19,
                command: "apt-get dist-upgrade".into()
            }]
        );
        let (user, from) = df.effective_user(last).unwrap();
        assert_eq!((user.user.as_str(), from.index), ("10001", 1));
        assert!(
            matches!(df.root_base(last), Base::Image { image } if image.path == "distroless/static-debian12")
        );
    }

    #[test]
    fn unresolved_args_scratch_and_root_users() {
        let df = parse(
            "ARG BASE\nFROM $BASE\nUSER 0:0\nFROM scratch\nUSER root\nFROM x AS y\nUSER $NOPE\n",
        );
        assert_eq!(
            df.stages[0].base,
            Base::Unresolved {
                variable: "BASE".into()
            }
        );
        assert_eq!(df.stages[0].user.as_ref().unwrap().root, Some(true));
        assert_eq!(df.stages[1].base, Base::Scratch);
        assert_eq!(df.stages[1].user.as_ref().unwrap().root, Some(true));
        assert_eq!(df.stages[2].user.as_ref().unwrap().root, None);
    }

    #[test]
    fn backquote_escape_and_exec_form() {
        let df = parse(
            "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN [\"yum\", \"-y\", \"update\"]\nRUN apt-get `\n  upgrade\n",
        );
        let s = &df.stages[0];
        assert_eq!(s.upgrades.len(), 2, "{:?}", s.upgrades);
        assert_eq!(s.upgrades[0].line, 3);
    }

    /// Issue 14, class 5c: `USER $UID` in a stage built on an earlier stage that set `UID`
    /// (ENV, in either form, continuation lines too, or ARG with a default) resolves; a global
    /// ARG counts only when the stage declares it again, as Docker does.
    #[test]
    fn env_and_arg_values_are_inherited_from_parent_stages() {
        let user_of = |text: &str| {
            let df = parse(text);
            let last = df.final_stage().unwrap();
            df.effective_user(last)
                .map(|(u, _)| (u.user.clone(), u.root))
        };
        assert_eq!(
            user_of("FROM alpine:3.20 AS base\nENV UID=999\nFROM base AS final\nUSER $UID\n"),
            Some(("999".into(), Some(false)))
        );
        assert_eq!(
            user_of(
                "FROM alpine:3.20 AS base\nENV A=1 \\\n    UID=998 \\\n    HOME=/home/app\nFROM base AS mid\nRUN true\nFROM mid\nUSER ${UID}:${UID}\n"
            ),
            Some(("998".into(), Some(false)))
        );
        assert_eq!(
            user_of("FROM alpine:3.20 AS base\nENV UID 997\nFROM base\nUSER $UID\n"),
            Some(("997".into(), Some(false)))
        );
        assert_eq!(
            user_of("FROM alpine:3.20 AS base\nARG UID=996\nFROM base\nUSER $UID\n"),
            Some(("996".into(), Some(false)))
        );
        // An ENV value built from another variable.
        assert_eq!(
            user_of(
                "FROM alpine:3.20 AS base\nARG BASE_UID=995\nENV UID=${BASE_UID}\nFROM base\nUSER $UID\n"
            ),
            Some(("995".into(), Some(false)))
        );
        // A global ARG is not seen in a stage until the stage declares it.
        assert_eq!(
            user_of("ARG UID=994\nFROM alpine:3.20\nUSER $UID\n"),
            Some(("".into(), None))
        );
        assert_eq!(
            user_of("ARG UID=994\nFROM alpine:3.20\nARG UID\nUSER $UID\n"),
            Some(("994".into(), Some(false)))
        );
        // A stage that does not build on the other sees none of its values.
        assert_eq!(
            user_of("FROM alpine:3.20 AS base\nENV UID=999\nFROM alpine:3.20\nUSER $UID\n"),
            Some(("".into(), None))
        );
    }

    #[test]
    fn minimal_families() {
        let family = |s: &str| minimal_family(&ImageRef::parse(s).unwrap());
        assert_eq!(
            family("gcr.io/distroless/static-debian12"),
            Some("distroless")
        );
        assert_eq!(
            family("cgr.dev/chainguard/python:latest"),
            Some("Chainguard/Wolfi")
        );
        assert_eq!(family("alpine:3.20"), Some("Alpine"));
        assert_eq!(family("node:20-alpine3.20"), Some("Alpine"));
        assert_eq!(family("python:3.12-slim-bookworm"), Some("slim"));
        assert_eq!(
            family("registry.access.redhat.com/ubi9/ubi-micro:9.4"),
            Some("UBI micro/minimal")
        );
        assert_eq!(
            family("registry.access.redhat.com/ubi9-minimal"),
            Some("UBI micro/minimal")
        );
        assert_eq!(
            family("mcr.microsoft.com/dotnet/runtime-deps:8.0-jammy-chiseled"),
            Some("chiseled")
        );
        assert_eq!(family("ubuntu:24.04"), None);
        assert_eq!(family("node:20"), None);
    }
}
