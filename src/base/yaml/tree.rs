//! YAML with file lines: a small node tree built from the parser's events.
//!
//! Pipeline definitions are YAML, and a finding must name the line of each command, also
//! inside a multi-line block scalar. `serde_json::Value` keeps no positions, so the pipeline
//! readers walk this tree instead: every node knows the line it starts on, and a scalar knows
//! its style, so [`Node::script`] can give each line of a `|` block its own file line and fold
//! a `>` block the way YAML does while keeping the line each folded command starts on.
//! Aliases are expanded (an alias reads as the anchored node, lines and all, since that is
//! where the text is written) and merge keys (`<<: *defaults`) are applied. What aliases copy
//! is counted against a budget that grows with the text, so an alias bomb is refused after
//! work linear in its size while a large file without aliases (a ConfigMap of 300,000 keys) is
//! read whatever its size.

use std::collections::{HashMap, HashSet};

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

use crate::base::lines::Script;

/// Nodes aliases may copy in a file of no length; one more per byte of text. Nodes the text
/// itself holds are not counted: they cost work linear in the text already.
const COPY_BUDGET: usize = 200_000;

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Scalar(Scalar),
    Seq(Seq),
    Map(Map),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub value: String,
    pub line: u32,
    /// The last line the scalar's text occupies.
    pub end_line: u32,
    pub style: Style,
    /// Local tag as written without `!`, e.g. `reference` for GitLab's `!reference`.
    pub tag: Option<String>,
    /// For a literal block in a file where a lone CR ends lines: the file line of each line
    /// of the value (several can share one).
    pub value_lines: Option<Vec<u32>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Seq {
    pub items: Vec<Node>,
    pub line: u32,
    pub tag: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Map {
    pub entries: Vec<(Node, Node)>,
    pub line: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Literal,
    Folded,
}

/// A YAML syntax error, with its file line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct YamlError {
    pub line: u32,
    pub message: String,
}

impl Node {
    pub fn line(&self) -> u32 {
        match self {
            Node::Scalar(s) => s.line,
            Node::Seq(s) => s.line,
            Node::Map(m) => m.line,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar(s) => Some(&s.value),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Node::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match self {
            Node::Seq(s) => Some(&s.items),
            _ => None,
        }
    }

    /// The value under `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.get(key)
    }

    /// The string under `key`, when it is a scalar.
    pub fn str_at(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }

    /// Items of a sequence; a single node reads as a sequence of one (YAML users write both).
    pub fn items(&self) -> Vec<&Node> {
        match self {
            Node::Seq(s) => s.items.iter().collect(),
            other => vec![other],
        }
    }

    pub fn tag(&self) -> Option<&str> {
        match self {
            Node::Scalar(s) => s.tag.as_deref(),
            Node::Seq(s) => s.tag.as_deref(),
            Node::Map(_) => None,
        }
    }

    /// Is the scalar a YAML true (`true`, `yes`, `on`, any case)?
    pub fn is_true(&self) -> bool {
        self.as_str()
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "y"))
    }

    /// A scalar as a shell script whose lines carry their file lines. Nested sequences
    /// (GitLab allows lists of lists in `script:`) are flattened by the callers.
    pub fn script(&self, source: &[&str]) -> Option<Script> {
        let Node::Scalar(s) = self else {
            return None;
        };
        Some(s.script(source))
    }
}

/// How deep [`for_each_map`] goes: pipelines nest a few levels; more is a broken file.
const MAX_DEPTH: usize = 64;

/// Calls `f` on every mapping of the tree, depth first; `f` returns whether to go on into
/// that mapping's values (false when it handled them itself).
pub fn for_each_map<'a>(node: &'a Node, f: &mut dyn FnMut(&'a Node) -> bool) {
    fn go<'a>(node: &'a Node, depth: usize, f: &mut dyn FnMut(&'a Node) -> bool) {
        if depth > MAX_DEPTH {
            return;
        }
        match node {
            Node::Scalar(_) => {}
            Node::Seq(s) => s.items.iter().for_each(|n| go(n, depth + 1, f)),
            Node::Map(m) => {
                if f(node) {
                    m.entries.iter().for_each(|(_, v)| go(v, depth + 1, f));
                }
            }
        }
    }
    go(node, 0, f);
}

impl Map {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// Entries whose key is a string scalar.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.entries
            .iter()
            .filter_map(|(k, v)| k.as_str().map(|k| (k, v)))
    }
}

impl Scalar {
    /// The scalar as script lines with file lines. A literal block keeps one value line per
    /// file line (leading blank lines included); a folded block is re-folded from the file's
    /// own lines, so each folded command starts on the line it is written on; other styles
    /// are one logical line at the scalar's first line.
    pub fn script(&self, source: &[&str]) -> Script {
        match self.style {
            Style::Literal => match &self.value_lines {
                Some(lines) => {
                    let mut script = Script::default();
                    let text = self.value.strip_suffix('\n').unwrap_or(&self.value);
                    for (i, part) in text.split('\n').enumerate() {
                        script.push_line(lines.get(i).copied().unwrap_or(self.end_line), part);
                    }
                    script
                }
                None => {
                    let first = self.line.saturating_sub(leading_breaks(&self.value)).max(1);
                    Script::from_text(first, &self.value)
                }
            },
            Style::Folded => fold_block(self, source),
            _ => Script::from_text(self.line, &self.value),
        }
    }
}

/// Folds a `>` block from its source lines: lines at the block's indentation join with a
/// space, a blank line or a more-indented line starts a new one.
fn fold_block(s: &Scalar, source: &[&str]) -> Script {
    let first = s.line as usize;
    let last = (s.end_line as usize).min(source.len());
    if first == 0 || first > last {
        return Script::from_text(s.line, &s.value);
    }
    let raw: Vec<(u32, &str)> = (first..=last).map(|n| (n as u32, source[n - 1])).collect();
    let indent = raw
        .iter()
        .find(|(_, l)| !l.trim().is_empty())
        .map(|(_, l)| l.len() - l.trim_start_matches(' ').len())
        .unwrap_or(0);
    let mut script = Script::default();
    let mut current: Option<(u32, String)> = None;
    for (n, line) in raw {
        let stripped_len = line.len() - line.trim_start_matches(' ').len();
        if line.trim().is_empty() {
            if let Some((l, text)) = current.take() {
                script.push_line(l, &text);
            }
            continue;
        }
        if stripped_len < indent {
            break; // the block ended before the parser's end marker
        }
        let text = &line[indent.min(line.len())..];
        let more_indented = text.starts_with([' ', '\t']);
        match (&mut current, more_indented) {
            (Some((_, acc)), false) => {
                acc.push(' ');
                acc.push_str(text);
            }
            _ => {
                if let Some((l, t)) = current.take() {
                    script.push_line(l, &t);
                }
                if more_indented {
                    script.push_line(n, text);
                } else {
                    current = Some((n, text.to_string()));
                }
            }
        }
    }
    if let Some((l, t)) = current {
        script.push_line(l, &t);
    }
    script
}

/// Blank lines a block scalar's value starts with: its text starts that many lines before
/// the parser's start marker.
fn leading_breaks(value: &str) -> u32 {
    value.bytes().take_while(|&b| b == b'\n').count() as u32
}

/// The file line of each line the parser counts. YAML also ends a line at a lone CR;
/// findings cite lines as Git, grep and editors on Linux count them, ended by LF.
pub(super) struct LineMap(Option<Vec<u32>>);

impl LineMap {
    pub(super) fn new(text: &str) -> Self {
        let b = text.as_bytes();
        let lone_cr = |i: usize| b.get(i + 1) != Some(&b'\n');
        if !memchr::memchr_iter(b'\r', b).any(lone_cr) {
            return LineMap(None);
        }
        let mut lines = vec![1];
        let mut file_line = 1;
        for (i, &c) in b.iter().enumerate() {
            if c == b'\n' {
                file_line += 1;
                lines.push(file_line);
            } else if c == b'\r' && lone_cr(i) {
                lines.push(file_line);
            }
        }
        LineMap(Some(lines))
    }

    pub(super) fn file_line(&self, parser_line: usize) -> u32 {
        match &self.0 {
            None => parser_line as u32,
            Some(lines) => lines
                .get(parser_line.saturating_sub(1))
                .or(lines.last())
                .copied()
                .unwrap_or(1),
        }
    }
}

/// Parses every document of a YAML stream. A syntax error fails the whole file: pipeline
/// files are small, and a half-read pipeline would hide steps.
pub fn parse(text: &str) -> Result<Vec<Node>, YamlError> {
    let limit = COPY_BUDGET.saturating_add(text.len());
    let mut builder = Builder {
        anchors: HashMap::new(),
        budget: limit,
        limit,
    };
    let lines = LineMap::new(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut docs = Vec::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| YamlError {
            line: lines.file_line(e.marker().line()),
            message: e.info().to_string(),
        })?;
        let line = lines.file_line(span.start.line());
        let node = match event {
            Event::DocumentStart(..) => {
                builder.anchors.clear();
                continue;
            }
            Event::Scalar(value, style, anchor, tag) => {
                let end = span.end;
                // The end marker of a block scalar sits on the line after its text.
                let end_line = if end.col() == 0 && end.line() > span.start.line() {
                    end.line() - 1
                } else {
                    end.line()
                };
                let value = value.into_owned();
                let value_lines = match (&lines.0, style) {
                    (Some(_), ScalarStyle::Literal) => {
                        let first = span
                            .start
                            .line()
                            .saturating_sub(leading_breaks(&value) as usize);
                        let n = value
                            .strip_suffix('\n')
                            .unwrap_or(&value)
                            .split('\n')
                            .count();
                        Some((0..n).map(|i| lines.file_line(first.max(1) + i)).collect())
                    }
                    _ => None,
                };
                let node = Node::Scalar(Scalar {
                    value,
                    line,
                    end_line: lines.file_line(end_line),
                    style: match style {
                        ScalarStyle::Plain => Style::Plain,
                        ScalarStyle::Literal => Style::Literal,
                        ScalarStyle::Folded => Style::Folded,
                        _ => Style::Quoted,
                    },
                    tag: tag.map(|t| local_tag(&t.to_string())),
                    value_lines,
                });
                builder.anchor(anchor, &node, line)?;
                node
            }
            Event::Alias(id) => builder.alias(id, line)?,
            Event::SequenceStart(_, anchor, tag) => {
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    line,
                    anchor,
                    tag: tag.map(|t| local_tag(&t.to_string())),
                });
                continue;
            }
            Event::MappingStart(_, anchor, _) => {
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    line,
                    anchor,
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    items,
                    line,
                    anchor,
                    tag,
                }) => {
                    let node = Node::Seq(Seq { items, line, tag });
                    builder.anchor(anchor, &node, line)?;
                    node
                }
                _ => continue,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    entries,
                    line,
                    anchor,
                    ..
                }) => {
                    let node = Node::Map(Map {
                        entries: apply_merge_keys(entries),
                        line,
                    });
                    builder.anchor(anchor, &node, line)?;
                    node
                }
                _ => continue,
            },
            _ => continue,
        };
        match stack.last_mut() {
            None => docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
    Ok(docs)
}

/// Whether [`parse`] would read `text` without an error, checked without building the tree:
/// for text that holds no anchor (an alias is then an error, as it names no anchor).
pub fn is_valid(text: &str) -> bool {
    for event in Parser::new_from_str(text) {
        match event {
            Err(_) | Ok((Event::Alias(_), _)) => return false,
            Ok(_) => {}
        }
    }
    true
}

enum Frame {
    Seq {
        items: Vec<Node>,
        line: u32,
        anchor: usize,
        tag: Option<String>,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        line: u32,
        anchor: usize,
    },
}

struct Builder {
    /// Anchored nodes, with the number of nodes each holds.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes aliases may still copy.
    budget: usize,
    /// The budget the file started with, for the message.
    limit: usize,
}

impl Builder {
    /// Keeps a copy of an anchored node for its aliases; the copy counts against the budget
    /// (anchors nested in anchors copy a node once per level).
    fn anchor(&mut self, anchor: usize, node: &Node, line: u32) -> Result<(), YamlError> {
        if anchor == 0 {
            return Ok(());
        }
        let nodes = count(node);
        self.spend(nodes, line)?;
        self.anchors.insert(anchor, (node.clone(), nodes));
        Ok(())
    }

    /// The node an alias reads as: a copy of the anchored node, paid from the budget before
    /// it is made.
    fn alias(&mut self, anchor: usize, line: u32) -> Result<Node, YamlError> {
        let Some(&(_, nodes)) = self.anchors.get(&anchor) else {
            return Err(YamlError {
                line,
                message: "alias to an unknown anchor".into(),
            });
        };
        self.spend(nodes, line)?;
        Ok(self.anchors[&anchor].0.clone())
    }

    fn spend(&mut self, nodes: usize, line: u32) -> Result<(), YamlError> {
        self.budget = self.budget.checked_sub(nodes).ok_or_else(|| YamlError {
            line,
            message: format!(
                "its aliases copy more than {} nodes, far more than the text holds; refused (a \
                 YAML alias bomb?)",
                self.limit
            ),
        })?;
        Ok(())
    }
}

fn count(node: &Node) -> usize {
    match node {
        Node::Scalar(_) => 1,
        Node::Seq(s) => 1 + s.items.iter().map(count).sum::<usize>(),
        Node::Map(m) => {
            1 + m
                .entries
                .iter()
                .map(|(k, v)| count(k) + count(v))
                .sum::<usize>()
        }
    }
}

/// `!reference` as written resolves to the handle `!` and suffix `reference`.
fn local_tag(tag: &str) -> String {
    tag.trim_start_matches('!').to_string()
}

/// `<<: *base` (or a list of them): keys of the merged maps that the map does not set
/// itself, in order.
fn apply_merge_keys(entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
    if !entries.iter().any(|(k, _)| is_merge_key(k)) {
        return entries;
    }
    let mut own = Vec::new();
    let mut merged = Vec::new();
    for (k, v) in entries {
        if !is_merge_key(&k) {
            own.push((k, v));
            continue;
        }
        // The merged maps are the mapping's own copies (an alias already copied them).
        let sources = match v {
            Node::Seq(s) => s.items,
            other => vec![other],
        };
        for source in sources {
            if let Node::Map(m) = source {
                merged.extend(m.entries);
            }
        }
    }
    // A set, not a scan of the mapping per merged key: both may be large.
    let mut keys: HashSet<String> = own
        .iter()
        .filter_map(|(k, _)| k.as_str().map(str::to_string))
        .collect();
    for (k, v) in merged {
        match k.as_str() {
            Some(key) if !keys.insert(key.to_string()) => {}
            _ => own.push((k, v)),
        }
    }
    own
}

fn is_merge_key(k: &Node) -> bool {
    matches!(k, Node::Scalar(s) if s.value == "<<" && s.style == Style::Plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(script: &Script) -> Vec<(u32, String)> {
        script.lines().map(|(n, t)| (n, t.to_string())).collect()
    }

    #[test]
    fn literal_blocks_keep_file_lines_even_after_blank_lines() {
        let text = "a:\n  - |\n\n    echo one\n\n    two\n";
        let docs = parse(text).unwrap();
        let source: Vec<&str> = text.lines().collect();
        let item = &docs[0].get("a").unwrap().as_seq().unwrap()[0];
        let got = lines_of(&item.script(&source).unwrap());
        assert_eq!(
            got,
            [
                (3, "".to_string()),
                (4, "echo one".into()),
                (5, "".into()),
                (6, "two".into())
            ]
        );
    }

    #[test]
    fn folded_blocks_fold_but_keep_where_each_line_starts() {
        let text = "run: >\n  kubectl apply\n  -f k8s/\n\n  kubectl rollout status\n    deploy/api\nnext: 1\n";
        let docs = parse(text).unwrap();
        let source: Vec<&str> = text.lines().collect();
        let got = lines_of(&docs[0].get("run").unwrap().script(&source).unwrap());
        assert_eq!(
            got,
            [
                (2, "kubectl apply -f k8s/".to_string()),
                (5, "kubectl rollout status".into()),
                (6, "  deploy/api".into())
            ]
        );
    }

    /// Found by the `ci_files` fuzz target (`\r: script: ssh d yum update` in
    /// `.gitlab-ci.yml`): YAML ends a line at a lone CR too, so nodes got lines past the
    /// file's last. Lines are the file's (LF-ended) lines, as `grep -n` and Git count them.
    #[test]
    fn a_lone_carriage_return_does_not_move_lines() {
        let text = "build:\r  script: ssh host yum update -y\nnext:\r  script: |\r    one\r    two\n  x: >\n    three\n";
        let docs = parse(text).unwrap();
        let source: Vec<&str> = text.lines().collect();
        let build = docs[0].get("build").unwrap().get("script").unwrap();
        assert_eq!(build.line(), 1);
        let next = docs[0].get("next").unwrap();
        let literal = lines_of(&next.get("script").unwrap().script(&source).unwrap());
        assert_eq!(literal, [(2, "one".to_string()), (2, "two".into())]);
        let folded = lines_of(&next.get("x").unwrap().script(&source).unwrap());
        assert_eq!(folded, [(4, "three".to_string())]);
        let err = parse("a: 1\rb: 2\r: [\n").unwrap_err();
        assert_eq!(err.line, 1, "{err}");
    }

    #[test]
    fn aliases_and_merge_keys_resolve_with_the_anchor_lines() {
        let text = "\
.base: &base
  image: alpine
  script:
    - echo base
job:
  <<: *base
  image: debian
other:
  script: *s
";
        // `*s` is unknown: an error with its line.
        let err = parse(text).unwrap_err();
        assert_eq!(err.line, 9);
        let text = text.replace("*s", "[x]");
        let docs = parse(&text).unwrap();
        let job = docs[0].get("job").unwrap();
        assert_eq!(job.str_at("image"), Some("debian"));
        let script = job.get("script").unwrap().as_seq().unwrap();
        assert_eq!(script[0].line(), 4);
    }

    #[test]
    fn tags_are_kept_and_syntax_errors_name_the_line() {
        let docs = parse("s:\n  - !reference [.setup, script]\n").unwrap();
        let item = &docs[0].get("s").unwrap().as_seq().unwrap()[0];
        assert_eq!(item.tag(), Some("reference"));
        let err = parse("a: 1\nb: [unclosed\n").unwrap_err();
        assert!(err.line >= 2, "{err}");
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("alias bomb"), "{err}");
        // Named at the anchor or alias that went over the budget, well before the last line.
        assert!((2..8).contains(&err.line), "{err}");
    }

    #[test]
    fn a_large_file_without_aliases_is_read_whatever_its_node_count() {
        // More nodes than the alias budget's floor, none of them copied by an alias.
        let mut text = String::from("kind: ConfigMap\ndata:\n");
        for i in 0..150_000 {
            text.push_str(&format!("  k{i}: v\n"));
        }
        text.push_str("more: &m {a: 1}\nagain: *m\n");
        let docs = parse(&text).unwrap();
        assert_eq!(
            docs[0].get("data").unwrap().as_map().unwrap().entries.len(),
            150_000
        );
        assert_eq!(docs[0].get("again").unwrap().str_at("a"), Some("1"));
    }

    #[test]
    fn merge_keys_keep_the_mapping_own_keys_and_the_first_source() {
        let docs =
            parse("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 3\n").unwrap();
        let c = docs[0].get("c").unwrap();
        assert_eq!(c.str_at("x"), Some("3"));
        assert_eq!(c.str_at("y"), Some("1"));
        assert_eq!(c.str_at("z"), Some("2"));
    }
}
