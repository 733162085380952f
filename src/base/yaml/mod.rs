//! YAML streams as Kubernetes users write them, read into JSON values.
//!
//! A stream is split into documents at `---` markers before parsing, so one broken document
//! is reported with its file line and the others are still read, and documents parse on both
//! cores. Parsing follows what `kubectl` accepts: YAML 1.1 booleans (`yes`, `on`), legacy octal
//! (`0755`), merge keys (`<<: *base`), and custom tags (their value is read, the tag ignored).
//! Budgets are raised for the big streams `kubectl get -o yaml` writes, but still stop alias
//! bombs and runaway nesting. A key given twice in a mapping is read as the API server reads
//! it, the last value winning, and noted ([`parse_document_checked`]), so the caller can say
//! so with the line ([`first_duplicate_line`]).

pub mod checked;
pub mod tree;

use serde_saphyr::{DuplicateKeyPolicy, Options};

use self::checked::Checked;
use self::tree::LineMap;

/// One document of a stream: its text and where it starts in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentText<'a> {
    /// Index among the non-empty documents of the stream, from 0.
    pub index: usize,
    /// 1-based line in the file where the document's text starts (its `---`, if any).
    pub start_line: u32,
    /// 1-based line of its first content line (not blank, a comment or a marker).
    pub content_line: u32,
    pub text: &'a str,
}

/// Splits a YAML stream into its documents. Documents with no content (only comments,
/// blank lines or markers) are left out; indexes count the documents kept.
pub fn split_documents(stream: &str) -> Vec<DocumentText<'_>> {
    let mut docs = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1u32;
    let mut line_no = 0u32;
    let mut offset = 0usize;
    // Directive lines (`%YAML`) belong to the document after them.
    let mut directive_start: Option<(usize, u32)> = None;
    for line in stream.split_inclusive('\n') {
        line_no += 1;
        let trimmed = line.trim_end_matches(['\n', '\r']);
        if trimmed.starts_with('%') {
            directive_start.get_or_insert((offset, line_no));
        } else if is_document_start(trimmed) {
            let (end, next_line) = directive_start.take().unwrap_or((offset, line_no));
            push_document(&mut docs, &stream[start..end], start_line);
            start = end;
            start_line = next_line;
        } else if is_document_end(trimmed) {
            // `...` ends a document; what follows is the next one even without `---`.
            let end = offset + line.len();
            push_document(&mut docs, &stream[start..end], start_line);
            start = end;
            start_line = line_no + 1;
            directive_start = None;
        } else if directive_start.is_some()
            && !trimmed.trim().is_empty()
            && !trimmed.trim_start().starts_with('#')
        {
            // Only a pending directive cares whether a line has content: the test is
            // skipped on the other lines of a large stream.
            directive_start = None;
        }
        offset += line.len();
    }
    push_document(&mut docs, &stream[start..], start_line);
    docs
}

fn is_document_start(line: &str) -> bool {
    line == "---" || line.starts_with("--- ") || line.starts_with("---\t")
}

fn is_document_end(line: &str) -> bool {
    line == "..." || line.starts_with("... ") || line.starts_with("...\t")
}

fn push_document<'a>(docs: &mut Vec<DocumentText<'a>>, text: &'a str, start_line: u32) {
    let Some(content_offset) = first_content_line(text) else {
        return;
    };
    docs.push(DocumentText {
        index: docs.len(),
        start_line,
        content_line: start_line + content_offset,
        text,
    });
}

/// Lines before the first line with content, or None for a document without any.
fn first_content_line(text: &str) -> Option<u32> {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        let is_marker = t == "---" || t == "..." || t.starts_with('%');
        if t.is_empty() || t.starts_with('#') || is_marker {
            continue;
        }
        // `--- {a: 1}`: content on the marker line itself.
        return Some(i as u32);
    }
    None
}

/// Deepest nesting read; deeper documents are refused. Real objects (CRD schemas included)
/// stay far below it.
pub const MAX_DEPTH: usize = 256;

/// Parser options for a document of `len` bytes, shared by every YAML read of Kubernetes
/// objects.
///
/// Parser events grow with the text (a YAML document cannot hold more than about one per
/// two bytes), but aliases can multiply them without it. So the event and alias-replay
/// budgets are a floor plus one per byte of the document: any real document is read whatever
/// its size (a `kubectl get pods -A -o yaml` List is one document of millions of events), and
/// an alias bomb is stopped after work linear in its size.
pub fn options(len: usize) -> Options {
    options_with(len, DuplicateKeyPolicy::LastWins)
}

fn options_with(len: usize, duplicate_keys: DuplicateKeyPolicy) -> Options {
    let events = 200_000usize.saturating_add(len);
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_documents: 1_000_000,
            max_events: events,
            max_nodes: events,
            max_total_scalar_bytes: 1 << 30,
            max_depth: MAX_DEPTH,
            max_reader_input_bytes: None,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 100_000usize.saturating_add(len),
        },
        legacy_octal_numbers: true,
        duplicate_keys: duplicate_keys,
        with_snippet: false,
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
    }
}

/// A YAML error, with the line it happened on in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct YamlError {
    pub line: u32,
    pub column: Option<u32>,
    pub message: String,
}

/// Parses one document into a JSON value; errors carry the file line.
pub fn parse_document(doc: &DocumentText<'_>) -> Result<serde_json::Value, YamlError> {
    parse_document_as(doc)
}

/// Parses one document into a typed value (a scalar read into a `String` keeps its text:
/// `newTag: 1.10` is "1.10"); errors carry the file line.
pub fn parse_document_as<T: serde::de::DeserializeOwned>(
    doc: &DocumentText<'_>,
) -> Result<T, YamlError> {
    serde_saphyr::from_str_with_options::<T>(doc.text, options(doc.text.len()))
        .map_err(|e| yaml_error(doc, &e))
}

/// Parses one document into a JSON value, as [`parse_document`] does, noting every key
/// given twice in one of its mappings.
pub fn parse_document_checked(doc: &DocumentText<'_>) -> Result<Checked, YamlError> {
    let options = options_with(doc.text.len(), DuplicateKeyPolicy::PassThrough);
    serde_saphyr::from_str_with_options::<Checked>(doc.text, options)
        .map_err(|e| yaml_error(doc, &e))
}

/// The file line of the first key given twice in the document, if it has one.
pub fn first_duplicate_line(doc: &DocumentText<'_>) -> Option<u32> {
    let options = options_with(doc.text.len(), DuplicateKeyPolicy::Error);
    match serde_saphyr::from_str_with_options::<serde_json::Value>(doc.text, options) {
        Err(e @ serde_saphyr::Error::DuplicateMappingKey { .. }) => {
            let loc = e.location()?;
            Some(doc.start_line + (loc.line() as u32).saturating_sub(1))
        }
        _ => None,
    }
}

fn yaml_error(doc: &DocumentText<'_>, e: &serde_saphyr::Error) -> YamlError {
    let (line, column) = match e.location() {
        Some(loc) => (
            doc.start_line
                + LineMap::new(doc.text)
                    .file_line(loc.line() as usize)
                    .saturating_sub(1),
            Some(loc.column() as u32),
        ),
        None => (doc.content_line, None),
    };
    YamlError {
        line,
        column,
        message: limit_message(e).unwrap_or_else(|| clean_message(&e.to_string())),
    }
}

/// Where a whole-file YAML document (a config file, a catalog, a data file) went wrong:
/// 1-based line and column, and the message without the location it repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// Deserializes a whole file of YAML into `T`, strictly (unknown keys are the type's
/// business); an error says where.
pub fn from_file_text<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, FileError> {
    serde_saphyr::from_str_with_options(text, serde_saphyr::options! { with_snippet: false })
        .map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| {
                    (
                        u64::from(LineMap::new(text).file_line(l.line() as usize)),
                        l.column(),
                    )
                })
                .unwrap_or((1, 1));
            FileError {
                line,
                column,
                message: clean_message(&e.to_string()),
            }
        })
}

/// What a breached parser limit means, in words a user can act on.
fn limit_message(e: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::Error;
    let breach = match e {
        Error::Budget { breach, .. } => format!("{breach:?}"),
        Error::AliasReplayLimitExceeded { .. } | Error::AliasReplayStackDepthExceeded { .. } => {
            "Aliases".into()
        }
        // Wrapped errors only say so in their text.
        other if other.to_string().contains("alias replay") => "Aliases".into(),
        _ => return None,
    };
    let kind = breach.split([' ', '{']).next().unwrap_or_default();
    Some(match kind {
        "Depth" => format!("nested deeper than {MAX_DEPTH} levels; refused (a YAML bomb?)"),
        "Events" | "Nodes" | "Aliases" | "Anchors" | "MergeKeys" => {
            "its aliases expand to far more than the text holds; refused (a YAML alias bomb?)"
                .into()
        }
        _ => format!("over a parser limit ({breach}); refused"),
    })
}

/// serde-saphyr's messages repeat the location ("... at line 3, column 2"); the caller
/// already says where, in file terms.
fn clean_message(message: &str) -> String {
    let m = message.trim();
    let m = m.strip_prefix("error: ").unwrap_or(m);
    let m = match m.find(" at line ") {
        Some(i) => &m[..i],
        None => m,
    };
    let m = match (m.starts_with("line "), m.find(": ")) {
        (true, Some(i)) => &m[i + 2..],
        _ => m,
    };
    m.lines().next().unwrap_or(m).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_cite_lf_lines_where_lone_carriage_returns_end_lines_for_the_parser() {
        use super::*;
        let text = "a: 1\rb: 2\rc: 3\nd: [\n";
        let docs = split_documents(text);
        let err = parse_document(&docs[0]).unwrap_err();
        assert_eq!(err.line, 2, "{err:?}");
        let err = from_file_text::<serde_json::Value>(text).unwrap_err();
        assert_eq!(err.line, 2, "{err:?}");
        assert_eq!(LineMap::new("a\r\nb\n").file_line(2), 2);
        assert_eq!(LineMap::new("a\rb\rc\n").file_line(3), 1);
    }

    use super::*;
    use serde_json::json;

    #[test]
    fn splits_on_markers_and_keeps_file_lines() {
        let stream = "# leading comment\na: 1\n---\n# only a comment\n---\nb: 2\n--- {c: 3}\n";
        let docs = split_documents(stream);
        assert_eq!(docs.len(), 3);
        assert_eq!((docs[0].index, docs[0].content_line), (0, 2));
        assert_eq!(
            (docs[1].index, docs[1].start_line, docs[1].content_line),
            (1, 5, 6)
        );
        assert_eq!((docs[2].start_line, docs[2].content_line), (7, 7));
        assert_eq!(parse_document(&docs[2]).unwrap(), json!({"c": 3}));
    }

    #[test]
    fn a_marker_inside_a_block_scalar_is_indented_so_not_a_split() {
        let stream = "a: |\n  ---\n  text\nb: 1\n";
        let docs = split_documents(stream);
        assert_eq!(docs.len(), 1);
        assert_eq!(
            parse_document(&docs[0]).unwrap(),
            json!({"a": "---\ntext\n", "b": 1})
        );
    }

    #[test]
    fn document_end_markers_end_documents() {
        // After `...` a new document may start without `---`; kubectl's splitter would glue
        // the two together and its decoder drop the second.
        let stream = "a: 1\n...\nb: 2\n...\n---\nc: 3\n... # end\n";
        let docs = split_documents(stream);
        let values: Vec<_> = docs.iter().map(|d| parse_document(d).unwrap()).collect();
        assert_eq!(values, [json!({"a": 1}), json!({"b": 2}), json!({"c": 3})]);
        assert_eq!(
            docs.iter().map(|d| d.content_line).collect::<Vec<_>>(),
            [1, 3, 6]
        );
    }

    #[test]
    fn crlf_line_endings_split_and_parse() {
        let docs = split_documents("a: 1\r\n---\r\nb: yes\r\n");
        assert_eq!(docs.len(), 2);
        assert_eq!(parse_document(&docs[1]).unwrap(), json!({"b": true}));
    }

    #[test]
    fn directives_go_with_the_next_document() {
        let docs = split_documents("a: 1\n%YAML 1.1\n---\nb: 2\n");
        assert_eq!(docs.len(), 2);
        assert_eq!(parse_document(&docs[1]).unwrap(), json!({"b": 2}));
    }

    #[test]
    fn reads_yaml_1_1_forms_kubernetes_users_write() {
        let text = "\
base: &base {cpu: 100m, memory: 1Gi}
limits:
  <<: *base
  memory: 2Gi
readOnly: yes
enabled: on
mode: 0755
quoted: \"0755\"
tagged: !custom value
time: 2026-01-01
";
        let docs = split_documents(text);
        let v = parse_document(&docs[0]).unwrap();
        assert_eq!(v["limits"], json!({"cpu": "100m", "memory": "2Gi"}));
        assert_eq!(v["readOnly"], json!(true));
        assert_eq!(v["enabled"], json!(true));
        assert_eq!(v["mode"], json!(493));
        assert_eq!(v["quoted"], json!("0755"));
        assert_eq!(v["tagged"], json!("value"));
        assert_eq!(v["time"], json!("2026-01-01"));
    }

    #[test]
    fn yaml_1_1_booleans_in_names_read_as_kubectl_reads_them() {
        // kubectl resolves plain `n`, `off`, `yes` as YAML 1.1 booleans and then writes them
        // into string fields as "false"/"true": `namespace: n` is the namespace "false".
        let docs = split_documents("metadata: {name: off, namespace: n}\n");
        let v = parse_document(&docs[0]).unwrap();
        assert_eq!(v["metadata"], json!({"name": false, "namespace": false}));
    }

    #[test]
    fn duplicate_keys_read_last_wins_and_are_noted_with_their_line() {
        let stream = "a: 0\n---\nspec:\n  image: evil\n  name: x\n  image: good\nother: 1\n";
        let docs = split_documents(stream);
        let checked = parse_document_checked(&docs[1]).unwrap();
        assert_eq!(
            checked.value,
            json!({"spec": {"image": "good", "name": "x"}, "other": 1})
        );
        assert_eq!(checked.duplicates, ["image"]);
        assert_eq!(first_duplicate_line(&docs[1]), Some(6));
        let plain = parse_document_checked(&docs[0]).unwrap();
        assert!(plain.duplicates.is_empty());
        assert_eq!(first_duplicate_line(&docs[0]), None);
        // A merge key's overridden entries are not duplicates.
        let merged = "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  x: 3\n";
        let checked = parse_document_checked(&split_documents(merged)[0]).unwrap();
        assert_eq!(checked.value["m"], json!({"x": 3, "y": 2}));
        assert!(checked.duplicates.is_empty(), "{:?}", checked.duplicates);
    }

    #[test]
    fn errors_point_at_the_file_line() {
        let stream = "a: 1\n---\nb: [1, 2\nc: 3\n---\nd: 4\n";
        let docs = split_documents(stream);
        assert_eq!(docs.len(), 3);
        let err = parse_document(&docs[1]).unwrap_err();
        assert_eq!(err.line, 4, "{err:?}");
        assert!(!err.message.contains("line"), "{}", err.message);
        assert_eq!(parse_document(&docs[2]).unwrap(), json!({"d": 4}));
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let docs = split_documents(&bomb);
        let err = parse_document(&docs[0]).unwrap_err();
        assert!(err.message.contains("alias bomb"), "{err:?}");
        let deep = "[".repeat(10_000);
        let docs = split_documents(&deep);
        assert!(parse_document(&docs[0]).is_err());
        // Each level costs stack; a debug build needs more than a test thread's 2 MiB for
        // 256 of them (the binary gives its workers 16 MiB).
        let err = std::thread::Builder::new()
            .stack_size(16 << 20)
            .spawn(|| {
                let block: String = (0..300).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
                parse_document(&split_documents(&block)[0]).unwrap_err()
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(
            err.message.starts_with("nested deeper than 256 levels"),
            "{err:?}"
        );
        assert_eq!(err.line, 257);
    }

    #[test]
    fn one_big_document_is_read_whatever_its_event_count() {
        // `kubectl get pods -A -o yaml` is one document: 10,000 pods are millions of parser
        // events, past any fixed event budget.
        let mut list = String::from("items:\n");
        for _ in 0..60_000 {
            list.push_str("- [1,1,1,1,1,1,1,1,1,1]\n");
        }
        let docs = split_documents(&list);
        let v = parse_document(&docs[0]).unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), 60_000);
    }
}
