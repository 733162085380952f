//! Makefiles, read far enough to follow `make deploy` into its recipe.
//!
//! Rules (`target ...: prereqs`, with an optional `; recipe` on the same line), recipe lines
//! (tab-indented, `@`, `-` and `+` prefixes dropped, `\` continuations kept for the shell),
//! and simple variables (`=`, `:=`, `::=`, `?=`, `+=`) expanded in recipes so
//! `$(KUBECTL) apply` reads as `kubectl apply` when the Makefile says so. `$$` is the shell's
//! `$`. Conditionals, functions and pattern rules are not evaluated; a recipe keeps the file
//! lines of its lines.

use std::collections::HashMap;

use crate::base::lines::Script;

#[derive(Debug, Default)]
pub struct Makefile {
    vars: HashMap<String, String>,
    rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub targets: Vec<String>,
    pub prereqs: Vec<String>,
    /// Recipe lines with their file lines, prefixes removed, not yet expanded.
    pub recipe: Vec<(u32, String)>,
}

impl Makefile {
    pub fn parse(text: &str) -> Makefile {
        let mut mk = Makefile::default();
        mk.vars.insert("MAKE".into(), "make".into());
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        let mut current: Option<usize> = None;
        while i < lines.len() {
            let line_no = i as u32 + 1;
            let raw = lines[i];
            if let Some(recipe) = raw.strip_prefix('\t') {
                // A recipe line, with its continuations.
                let mut text = recipe.to_string();
                let mut parts = vec![(line_no, strip_prefixes(recipe).to_string())];
                while text.ends_with('\\') && i + 1 < lines.len() {
                    i += 1;
                    text = lines[i].to_string();
                    parts.push((i as u32 + 1, lines[i].trim_start_matches('\t').to_string()));
                }
                if let Some(r) = current {
                    mk.rules[r].recipe.extend(parts);
                }
                i += 1;
                continue;
            }
            // Logical line: join `\` continuations.
            let mut logical = raw.to_string();
            while logical.ends_with('\\') && i + 1 < lines.len() {
                logical.pop();
                i += 1;
                logical.push(' ');
                logical.push_str(lines[i].trim());
            }
            i += 1;
            let code = strip_comment(&logical);
            let trimmed = code.trim();
            if trimmed.is_empty() {
                continue;
            }
            if let Some((name, value)) = assignment(trimmed) {
                current = None;
                let value = value.trim().to_string();
                match name.1 {
                    "+=" => {
                        let e = mk.vars.entry(name.0.to_string()).or_default();
                        if !e.is_empty() {
                            e.push(' ');
                        }
                        e.push_str(&value);
                    }
                    "?=" => {
                        mk.vars.entry(name.0.to_string()).or_insert(value);
                    }
                    _ => {
                        mk.vars.insert(name.0.to_string(), value);
                    }
                }
                continue;
            }
            let first = trimmed.split_whitespace().next().unwrap_or("");
            if matches!(
                first,
                "ifeq"
                    | "ifneq"
                    | "ifdef"
                    | "ifndef"
                    | "else"
                    | "endif"
                    | "include"
                    | "-include"
                    | "sinclude"
                    | "define"
                    | "endef"
                    | "export"
                    | "unexport"
                    | "override"
                    | "vpath"
            ) {
                continue;
            }
            if let Some((targets, rest)) = split_rule(trimmed) {
                let (prereqs, inline) = match rest.split_once(';') {
                    Some((p, r)) => (p, Some(r)),
                    None => (rest, None),
                };
                let prereqs = prereqs.split('|').next().unwrap_or("");
                let rule = Rule {
                    targets: targets.split_whitespace().map(str::to_string).collect(),
                    prereqs: prereqs.split_whitespace().map(str::to_string).collect(),
                    recipe: inline
                        .map(|r| vec![(line_no, strip_prefixes(r.trim()).to_string())])
                        .unwrap_or_default(),
                };
                mk.rules.push(rule);
                current = Some(mk.rules.len() - 1);
            }
        }
        mk
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The first target that does not start with `.` and is not a pattern.
    pub fn default_goal(&self) -> Option<String> {
        if let Some(goal) = self.vars.get(".DEFAULT_GOAL") {
            return Some(goal.clone());
        }
        self.rules
            .iter()
            .flat_map(|r| r.targets.iter())
            .find(|t| !t.starts_with('.') && !t.contains('%'))
            .cloned()
    }

    /// The rule for a target; when several rules name it, the one with a recipe.
    pub fn rule(&self, target: &str) -> Option<&Rule> {
        let mut found: Option<&Rule> = None;
        for r in &self.rules {
            if r.targets.iter().any(|t| t == target) {
                match found {
                    Some(f) if !f.recipe.is_empty() => {}
                    _ => found = Some(r),
                }
            }
        }
        // Merge prerequisites of recipe-less rules (`deploy: build` plus `deploy: ; cmd`).
        found
    }

    /// A rule's recipe as a script, variables expanded, lines kept.
    pub fn recipe_script(&self, rule: &Rule) -> Script {
        let mut script = Script::default();
        let target = rule.targets.first().map(String::as_str).unwrap_or("");
        for (line, text) in &rule.recipe {
            script.push_line(*line, &self.expand(text, target, 0));
        }
        script
    }

    fn expand(&self, text: &str, target: &str, depth: usize) -> String {
        let mut out = String::with_capacity(text.len());
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] != b'$' || i + 1 >= bytes.len() {
                let ch = text[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
                continue;
            }
            match bytes[i + 1] {
                b'$' => {
                    out.push('$');
                    i += 2;
                }
                b'@' => {
                    out.push_str(target);
                    i += 2;
                }
                open @ (b'(' | b'{') => {
                    let close = if open == b'(' { ')' } else { '}' };
                    match text[i + 2..].find(close) {
                        Some(len) => {
                            let name = &text[i + 2..i + 2 + len];
                            match self.vars.get(name) {
                                Some(v) if depth < 8 && !name.contains(' ') => {
                                    out.push_str(&self.expand(v, target, depth + 1))
                                }
                                _ => out.push_str(&text[i..i + 3 + len]),
                            }
                            i += 3 + len;
                        }
                        None => {
                            out.push_str(&text[i..]);
                            i = bytes.len();
                        }
                    }
                }
                _ => {
                    out.push('$');
                    i += 1;
                }
            }
        }
        out
    }
}

fn strip_prefixes(recipe: &str) -> &str {
    recipe
        .trim_start()
        .trim_start_matches(['@', '-', '+'])
        .trim_start()
}

fn strip_comment(line: &str) -> &str {
    match line.find('#') {
        Some(i) if !line[..i].ends_with('\\') => &line[..i],
        _ => line,
    }
}

/// `NAME = value`, `NAME := value`... -> ((name, operator), value).
fn assignment(line: &str) -> Option<((&str, &str), &str)> {
    let line = line
        .strip_prefix("export ")
        .or_else(|| line.strip_prefix("override "))
        .unwrap_or(line);
    for op in ["::=", ":=", "?=", "+=", "!=", "="] {
        if let Some(i) = line.find(op) {
            let name = line[..i].trim();
            // `target: VAR=x` is a target-specific variable; a rule, not an assignment.
            if name.is_empty() || name.contains(':') || name.contains(char::is_whitespace) {
                return None;
            }
            return Some(((name, op), &line[i + op.len()..]));
        }
    }
    None
}

/// `targets: prereqs` (also `::`), not `:=`.
fn split_rule(line: &str) -> Option<(&str, &str)> {
    let i = line.find(':')?;
    let rest = &line[i + 1..];
    if rest.starts_with('=') {
        return None;
    }
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    Some((&line[..i], rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_recipes_and_variables() {
        let text = "\
KUBECTL ?= kubectl
IMAGE := reg/app:$(VERSION)
# a comment: with a colon
.PHONY: build deploy

build:
\t@docker build -t $(IMAGE) .

deploy: build push ## deploy it
\t$(KUBECTL) apply -f k8s/ && \\
\t  $(KUBECTL) rollout status deploy/app
\techo $$HOME

push: ; docker push $(IMAGE)
";
        let mk = Makefile::parse(text);
        assert_eq!(mk.default_goal().as_deref(), Some("build"));
        let deploy = mk.rule("deploy").unwrap();
        assert_eq!(deploy.prereqs, ["build", "push"]);
        let lines: Vec<(u32, String)> = mk
            .recipe_script(deploy)
            .lines()
            .map(|(n, t)| (n, t.to_string()))
            .collect();
        assert_eq!(
            lines,
            [
                (10, "kubectl apply -f k8s/ && \\".to_string()),
                (11, "  kubectl rollout status deploy/app".into()),
                (12, "echo $HOME".into()),
            ]
        );
        let push = mk.rule("push").unwrap();
        assert_eq!(
            mk.recipe_script(push).lines().next().unwrap(),
            (14, "docker push reg/app:$(VERSION)")
        );
    }
}
