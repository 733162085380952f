//! Files from repositories, redacted in place before they are stored, hashed or analysed.
//!
//! Takes a file's path and text and gives the text redacted and how many values were. The
//! rule is the object rule of [`super`], applied to the file's own text:
//! - each document of a YAML or JSON file is parsed as the snapshot loader parses it and
//!   redacted as an object is ([`super::redact_document`]); every value the rule changed
//!   is then rewritten where it stands, found by its path in the document's parse events
//!   (which carry byte spans). A value becomes the JSON text of its redacted value on the
//!   first line it held, its other lines left blank; a line of a literal block scalar (`|`)
//!   that changed is rewritten in its place, so a script keeps its shape; a value the rule
//!   removes (a ConfigMap's `data`) becomes the marker. A Secret document keeps only its
//!   `---` and the marker; in a List, a Secret item becomes the marker;
//! - comments in YAML, the text between documents, documents that do not parse and every
//!   other file (scripts, Makefiles, Dockerfiles, runbooks) have what [`super::words`]
//!   finds replaced; a document that does not parse but says `kind: Secret` is blanked as a
//!   Secret document is.
//!
//! No line is added or removed, so every `file:line` citation into the stored file stays
//! true. When a redacted document would not parse again, or a value's place cannot be
//! found, the whole document is blanked as a Secret document is: evidence lost, never a
//! secret kept.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use serde_json::Value;
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

use super::words::{self, push_line_ends};
use super::{MARKER, is_secret, redact_document};
use crate::base::yaml::{self, DocumentText};
use crate::evidence::inventory::RedactionStats;

/// A file's text after redaction.
#[derive(Debug, PartialEq, Eq)]
pub struct Redacted<'a> {
    pub text: Cow<'a, str>,
    /// Values replaced (a blanked document counts as one).
    pub values: usize,
}

/// Redacts a file read from a repository, by its name: YAML and JSON by document, any
/// other file as text.
pub fn redact_file<'a>(path: &str, text: &'a str) -> Redacted<'a> {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let mut edits = Vec::new();
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        yaml_stream(text, &mut edits);
    } else if name.ends_with(".json") {
        let doc = DocumentText {
            index: 0,
            start_line: 1,
            content_line: 1,
            text,
        };
        document(&doc, 0, true, &mut edits);
    } else {
        plain(text, 0, &mut edits);
    }
    if edits.is_empty() {
        return Redacted {
            text: Cow::Borrowed(text),
            values: 0,
        };
    }
    settle(&mut edits);
    Redacted {
        text: Cow::Owned(apply(text, &edits)),
        values: edits.len(),
    }
}

/// One replacement in a text: a byte range and what takes its place.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edit {
    range: Range<usize>,
    text: String,
}

/// Sorts edits and drops any that falls inside an earlier one (a value inside a node that
/// is replaced whole).
fn settle(edits: &mut Vec<Edit>) {
    edits.sort_by_key(|e| (e.range.start, std::cmp::Reverse(e.range.end)));
    let mut end = 0;
    edits.retain(|e| {
        let keep = e.range.start >= end;
        if keep {
            end = e.range.end;
        }
        keep
    });
}

/// Applies settled edits.
fn apply(text: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        out.push_str(&text[at..e.range.start]);
        out.push_str(&e.text);
        at = e.range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Text that is not structured: what [`words`] finds, at `offset` in the file.
fn plain(text: &str, offset: usize, edits: &mut Vec<Edit>) {
    for cut in words::text_cuts(text) {
        let mut replacement = MARKER.to_string();
        push_line_ends(&text[cut.clone()], &mut replacement);
        edits.push(Edit {
            range: cut.start + offset..cut.end + offset,
            text: replacement,
        });
    }
}

fn yaml_stream(text: &str, edits: &mut Vec<Edit>) {
    let base = text.as_ptr() as usize;
    let mut covered = 0;
    for doc in yaml::split_documents(text) {
        let offset = doc.text.as_ptr() as usize - base;
        // Between documents: comments, or documents holding nothing else.
        plain(&text[covered..offset], covered, edits);
        document(&doc, offset, false, edits);
        covered = offset + doc.text.len();
    }
    plain(&text[covered..], covered, edits);
}

/// Redacts one document at `offset` in the file.
fn document(doc: &DocumentText<'_>, offset: usize, json: bool, edits: &mut Vec<Edit>) {
    let parsed = if json {
        serde_json::from_str::<Value>(doc.text).ok()
    } else {
        yaml::parse_document(doc).ok()
    };
    let Some(value) = parsed else {
        if mentions_secret_kind(doc.text) {
            blank(doc.text, offset, edits);
        } else {
            plain(doc.text, offset, edits);
        }
        return;
    };
    let targets = match plan(&value) {
        Plan::Whole => return blank(doc.text, offset, edits),
        Plan::Targets(t) => t,
    };
    if targets.is_empty() && !doc.text.contains('#') {
        return;
    }
    let Ok(tree) = Tree::parse(doc.text) else {
        if !targets.is_empty() {
            blank(doc.text, offset, edits);
        }
        return;
    };
    let Some(mut own) = tree.edits(doc.text, &targets) else {
        return blank(doc.text, offset, edits);
    };
    // A value already redacted is written as it was (and not counted again).
    own.retain(|e| doc.text[e.range.clone()] != e.text);
    settle(&mut own);
    if own.is_empty() {
        return;
    }
    let redacted = apply(doc.text, &own);
    // What is stored must still be what it was: a document of the same shape.
    let parses = if json {
        serde_json::from_str::<Value>(&redacted).is_ok()
    } else {
        yaml::parse_document(&DocumentText {
            text: &redacted,
            ..doc.clone()
        })
        .is_ok()
    };
    if !parses {
        return blank(doc.text, offset, edits);
    }
    edits.extend(own.into_iter().map(|e| Edit {
        range: e.range.start + offset..e.range.end + offset,
        text: e.text,
    }));
}

/// A document that does not parse but says it is a Secret: `kind: Secret`, quoted or not.
fn mentions_secret_kind(text: &str) -> bool {
    text.lines().any(|line| {
        let squeezed: String = line
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
            .collect::<String>()
            .to_ascii_lowercase();
        squeezed.match_indices("kind:secret").any(|(i, m)| {
            let before = squeezed[..i].chars().next_back();
            let after = squeezed[i + m.len()..].chars().next();
            matches!(before, None | Some('{' | ','))
                && matches!(after, None | Some(',' | '}' | '#'))
        })
    })
}

/// The whole document replaced: its `---`, `%` directives and `...` kept, the marker on
/// its first line of content, every other line left empty.
fn blank(text: &str, offset: usize, edits: &mut Vec<Edit>) {
    let mut out = String::with_capacity(text.len() / 4);
    let mut marked = false;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let body = line.trim_end_matches(['\n', '\r']);
        let t = body.trim();
        let marker = format!("\"{MARKER}\"");
        if i == 0 && (t == "---" || t.starts_with("--- ") || t.starts_with("---\t")) {
            if t == "---" || t[3..].trim_start().starts_with('#') {
                out.push_str("---");
            } else {
                out.push_str(&format!("--- {marker}"));
                marked = true;
            }
        } else if (!marked && t.starts_with('%')) || t == "..." {
            out.push_str(body);
        } else if !marked && !t.is_empty() && !t.starts_with('#') {
            out.push_str(&marker);
            marked = true;
        }
        out.push_str(&line[body.len()..]);
    }
    edits.push(Edit {
        range: offset..offset + text.len(),
        text: out,
    });
}

/// One step of a path into a document.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// What redaction does to a document.
enum Plan {
    /// It is a Secret: nothing of it is kept.
    Whole,
    /// These values change (None: removed, or a Secret item of a List).
    Targets(Vec<(Vec<Seg>, Option<Value>)>),
}

/// Redacts the parsed document as an object is and compares: the values that differ are
/// the ones to rewrite in the text.
fn plan(value: &Value) -> Plan {
    if is_secret(value) {
        return Plan::Whole;
    }
    let mut redacted = value.clone();
    let mut stats = RedactionStats::default();
    let mut secret_items = Vec::new();
    let list_item_kind = value
        .get("kind")
        .and_then(Value::as_str)
        .and_then(|k| k.strip_suffix("List"))
        .filter(|_| value.get("items").is_some_and(Value::is_array));
    match (list_item_kind, redacted.get_mut("items")) {
        (Some(item_kind), Some(Value::Array(items))) => {
            for (i, item) in items.iter_mut().enumerate() {
                let untyped = item.get("kind").is_none();
                if is_secret(item) || (untyped && item_kind.eq_ignore_ascii_case("secret")) {
                    secret_items.push(i);
                } else {
                    redact_document(item, &mut stats);
                }
            }
        }
        _ => redact_document(&mut redacted, &mut stats),
    }
    let mut targets = Vec::new();
    diff(value, Some(&redacted), &mut Vec::new(), &mut targets);
    for i in secret_items {
        targets.push((vec![Seg::Key("items".into()), Seg::Index(i)], None));
    }
    Plan::Targets(targets)
}

fn diff(
    a: &Value,
    b: Option<&Value>,
    path: &mut Vec<Seg>,
    out: &mut Vec<(Vec<Seg>, Option<Value>)>,
) {
    match (a, b) {
        (_, None) => out.push((path.clone(), None)),
        (Value::Object(x), Some(Value::Object(y))) => {
            for (k, v) in x {
                path.push(Seg::Key(k.clone()));
                diff(v, y.get(k), path, out);
                path.pop();
            }
        }
        (Value::Array(x), Some(Value::Array(y))) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                path.push(Seg::Index(i));
                diff(v, Some(w), path, out);
                path.pop();
            }
        }
        (a, Some(b)) if a == b => {}
        (_, Some(b)) => out.push((path.clone(), Some(b.clone()))),
    }
}

/// A node of a document as its parse events give it, with byte offsets into its text.
#[derive(Debug)]
struct Node {
    /// Where the node's content starts (after its tag and anchor; for a block scalar, its
    /// first line of content).
    start: usize,
    end: usize,
    /// Where a replacement of the whole node starts: after the `:` of its key, or at its
    /// tag, anchor, block scalar header or content.
    lead: usize,
    /// True when `lead` is just after a `:`.
    after_colon: bool,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Scalar {
        value: String,
        literal: bool,
    },
    Seq(Vec<usize>),
    /// Keys (None for a key that is not a scalar) and value nodes.
    Map(Vec<(Option<String>, usize)>),
    Alias(usize),
}

/// A collection being read, and for a mapping the key waiting for its value.
struct Frame {
    node: usize,
    key: Option<(Option<String>, Option<usize>)>,
}

/// A document's nodes and comments.
#[derive(Debug)]
struct Tree {
    nodes: Vec<Node>,
    root: Option<usize>,
    comments: Vec<Range<usize>>,
    /// Anchor id to the node that defines it.
    anchors: HashMap<usize, usize>,
}

impl Tree {
    fn parse(text: &str) -> Result<Tree, ()> {
        let mut tree = Tree {
            nodes: Vec::new(),
            root: None,
            comments: Vec::new(),
            anchors: HashMap::new(),
        };
        let mut stack: Vec<Frame> = Vec::new();
        let mut prev_end = 0;
        for event in Parser::new_from_str(text) {
            let (event, span) = event.map_err(|_| ())?;
            let (start, end) = (
                span.start.byte_offset().ok_or(())?,
                span.end.byte_offset().ok_or(())?,
            );
            let (kind, anchor) = match event {
                Event::Comment(..) => {
                    tree.comments.push(start..end);
                    continue;
                }
                Event::Scalar(value, style, anchor, _) => (
                    Kind::Scalar {
                        value: value.into_owned(),
                        literal: style == ScalarStyle::Literal,
                    },
                    anchor,
                ),
                Event::SequenceStart(_, anchor, _) => (Kind::Seq(Vec::new()), anchor),
                Event::MappingStart(_, anchor, _) => (Kind::Map(Vec::new()), anchor),
                Event::Alias(id) => (Kind::Alias(id), 0),
                Event::SequenceEnd | Event::MappingEnd => {
                    let frame = stack.pop().ok_or(())?;
                    tree.nodes[frame.node].end = end;
                    tree.finished(frame.node, &mut stack, end);
                    prev_end = end;
                    continue;
                }
                _ => {
                    prev_end = end;
                    continue;
                }
            };
            let collection = matches!(kind, Kind::Seq(_) | Kind::Map(_));
            let id = tree.nodes.len();
            let (lead, after_colon) = tree.lead(text, &stack, prev_end, start);
            tree.nodes.push(Node {
                start,
                end,
                lead,
                after_colon,
                kind,
            });
            if anchor != 0 {
                tree.anchors.insert(anchor, id);
            }
            tree.attach(id, &mut stack, end)?;
            if collection {
                stack.push(Frame {
                    node: id,
                    key: None,
                });
            } else {
                tree.finished(id, &mut stack, end);
            }
            prev_end = end;
        }
        Ok(tree)
    }

    /// Where a replacement of a node starting at `start` begins.
    fn lead(&self, text: &str, stack: &[Frame], prev_end: usize, start: usize) -> (usize, bool) {
        let key_end = stack
            .last()
            .and_then(|f| match (&self.nodes[f.node].kind, &f.key) {
                (Kind::Map(_), Some((_, key_end))) => Some(*key_end),
                _ => None,
            });
        match key_end {
            // A mapping value: just after its key's `:`.
            Some(Some(key_end)) => {
                let rest = &text[key_end.min(start)..start];
                match rest.trim_start_matches([' ', '\t']).starts_with(':') {
                    true => (key_end + rest.find(':').unwrap_or(0) + 1, true),
                    false => (start, false),
                }
            }
            Some(None) => (start, false),
            // A sequence item or the root: past the `-`, `,`, `[`, blanks and comments
            // before it, so its tag, anchor and block scalar header are taken with it.
            None => {
                let bytes = text.as_bytes();
                let mut i = prev_end.min(start);
                while i < start {
                    match bytes[i] {
                        b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' => i += 1,
                        b'-' if bytes
                            .get(i + 1)
                            .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) =>
                        {
                            i += 1
                        }
                        b'#' => i = text[i..].find('\n').map_or(start, |e| i + e),
                        _ => break,
                    }
                }
                (i.min(start), false)
            }
        }
    }

    /// Hangs a new node on the collection being read (or makes it the root). A scalar's
    /// text is kept only where it is needed: a key's, in its entry; a literal block's, to
    /// match its lines.
    fn attach(&mut self, id: usize, stack: &mut [Frame], end: usize) -> Result<(), ()> {
        let is_key = stack
            .last()
            .is_some_and(|f| f.key.is_none() && matches!(self.nodes[f.node].kind, Kind::Map(_)));
        let text = match &mut self.nodes[id].kind {
            Kind::Scalar { value, literal } if is_key || !*literal => Some(std::mem::take(value)),
            _ => None,
        };
        let Some(frame) = stack.last_mut() else {
            self.root.get_or_insert(id);
            return Ok(());
        };
        if is_key {
            // The key's end is known now for a scalar, at its end event otherwise.
            let key_end =
                matches!(self.nodes[id].kind, Kind::Scalar { .. } | Kind::Alias(_)).then_some(end);
            frame.key = Some((text, key_end));
            return Ok(());
        }
        match &mut self.nodes[frame.node].kind {
            Kind::Seq(items) => items.push(id),
            Kind::Map(entries) => entries.push((frame.key.take().and_then(|(k, _)| k), id)),
            _ => return Err(()),
        }
        Ok(())
    }

    /// A node is complete at `end`: a collection used as a key now has its end.
    fn finished(&mut self, id: usize, stack: &mut [Frame], end: usize) {
        if let Some(frame) = stack.last_mut()
            && let Some((_, key_end @ None)) = &mut frame.key
            && matches!(self.nodes[frame.node].kind, Kind::Map(_))
            && !matches!(self.nodes[id].kind, Kind::Scalar { .. })
        {
            *key_end = Some(end);
        }
    }

    /// The nodes a path reaches: every entry of a repeated key; the nearest node on the
    /// way when the path goes where the text has no node of its own (a value from a merge
    /// key `<<` or an alias).
    fn resolve(&self, node: usize, path: &[Seg], out: &mut Vec<usize>) {
        let Some((seg, rest)) = path.split_first() else {
            out.push(node);
            return;
        };
        let before = out.len();
        match (&self.nodes[node].kind, seg) {
            (Kind::Map(entries), Seg::Key(k)) => {
                for (_, child) in entries.iter().filter(|(key, _)| key.as_deref() == Some(k)) {
                    self.resolve(*child, rest, out);
                }
            }
            (Kind::Seq(items), Seg::Index(i)) => {
                if let Some(child) = items.get(*i) {
                    self.resolve(*child, rest, out);
                }
            }
            _ => {}
        }
        if out.len() == before {
            out.push(node);
        }
    }

    /// The edits that rewrite the targets, the comments and the aliases of anchors the
    /// edits removed; None when a target cannot be placed.
    fn edits(&self, text: &str, targets: &[(Vec<Seg>, Option<Value>)]) -> Option<Vec<Edit>> {
        let root = self.root;
        let mut edits = Vec::new();
        // The extents replaced whole (anchors in them are gone).
        let mut whole: Vec<Range<usize>> = Vec::new();
        for (path, value) in targets {
            let mut nodes = Vec::new();
            self.resolve(root?, path, &mut nodes);
            for n in nodes {
                // A path that finds no place below the root cannot be placed.
                if Some(n) == root && !path.is_empty() {
                    return None;
                }
                if let Some(range) = self.render(text, n, value.as_ref(), &mut edits) {
                    whole.push(range);
                }
            }
        }
        // An alias of an anchor that an edit took away would no longer resolve.
        for node in &self.nodes {
            if let Kind::Alias(anchor) = node.kind
                && let Some(&def) = self.anchors.get(&anchor)
                && covers(whole.iter().cloned(), self.nodes[def].start)
                && !covers(edits.iter().map(|e| e.range.clone()), node.start)
            {
                let mut replacement = String::new();
                if node.after_colon {
                    replacement.push(' ');
                }
                replacement.push_str(&format!("\"{MARKER}\""));
                edits.push(Edit {
                    range: node.lead..node.end,
                    text: replacement,
                });
            }
        }
        for comment in &self.comments {
            if covers(edits.iter().map(|e| e.range.clone()), comment.start) {
                continue;
            }
            // After the `#`.
            plain(
                &text[comment.start + 1..comment.end],
                comment.start + 1,
                &mut edits,
            );
        }
        Some(edits)
    }

    /// The edits that give node `n` its redacted value (None: the marker); the extent
    /// replaced when the node is replaced whole.
    fn render(
        &self,
        text: &str,
        n: usize,
        value: Option<&Value>,
        edits: &mut Vec<Edit>,
    ) -> Option<Range<usize>> {
        let node = &self.nodes[n];
        if let (
            Some(Value::String(new)),
            Kind::Scalar {
                value: old,
                literal: true,
            },
        ) = (value, &node.kind)
            && let Some(lines) = literal_lines(text, node, old, new)
        {
            edits.extend(lines);
            return None;
        }
        let marker = Value::String(MARKER.into());
        let mut replacement = String::new();
        if node.after_colon {
            replacement.push(' ');
        }
        replacement.push_str(&serde_json::to_string(value.unwrap_or(&marker)).unwrap_or_default());
        let region = &text[node.lead..node.end];
        push_line_ends(region, &mut replacement);
        // A block node's extent runs to the next line's content: its indentation stays.
        if let Some(last) = region.rfind('\n')
            && region[last + 1..].bytes().all(|b| b == b' ' || b == b'\t')
        {
            replacement.push_str(&region[last + 1..]);
        }
        edits.push(Edit {
            range: node.lead..node.end,
            text: replacement,
        });
        Some(node.lead..node.end)
    }
}

/// Does one of the ranges hold the offset?
fn covers(mut ranges: impl Iterator<Item = Range<usize>>, at: usize) -> bool {
    ranges.any(|r| r.start <= at && at < r.end)
}

/// The lines of a literal block scalar that changed, each rewritten in its place; None when
/// the lines cannot be matched to the value (then the node is replaced whole).
fn literal_lines(text: &str, node: &Node, old: &str, new: &str) -> Option<Vec<Edit>> {
    let old_lines: Vec<&str> = old.split('\n').collect();
    let new_lines: Vec<&str> = new.split('\n').collect();
    if old_lines.len() != new_lines.len() {
        return None;
    }
    let line_start = text[..node.start].rfind('\n').map_or(0, |i| i + 1);
    let indent = node.start - line_start;
    if !text.as_bytes()[line_start..node.start]
        .iter()
        .all(|b| *b == b' ')
    {
        return None;
    }
    let mut edits = Vec::new();
    let mut at = node.start;
    for (i, line) in text[node.start..node.end].split('\n').enumerate() {
        let line_at = at;
        at += line.len() + 1;
        if i >= old_lines.len() {
            break;
        }
        if old_lines[i] == new_lines[i] {
            continue;
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        let skip = if i == 0 { 0 } else { indent };
        if line.len() < skip || !line.as_bytes()[..skip].iter().all(|b| *b == b' ') {
            return None;
        }
        if &line[skip..] != old_lines[i] {
            return None;
        }
        edits.push(Edit {
            range: line_at + skip..line_at + skip + old_lines[i].len(),
            text: new_lines[i].to_string(),
        });
    }
    Some(edits)
}

#[cfg(test)]
mod tests;
