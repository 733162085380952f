//! Tera templates for the text reports: embedded in the binary, overridable from a directory.
//!
//! The built-in `report.md` and `report.html` live in `templates/`. `--templates DIR`
//! replaces any of them with a file of the same name in DIR. HTML templates autoescape every
//! value; the `md` filter escapes values for Markdown (table pipes, HTML, line breaks), so
//! nothing from the input can inject markup into either report. Both escape control and
//! bidirectional-override characters as `\u{1b}` (see [`crate::base::text`]).
//!
//! A template is a program, and one from `--templates` may loop without end or write without
//! end: rendering is bounded by [`Limits`], counted the same for every template. Loops are
//! counted by rewriting each template before it is compiled: the list a `{% for %}` tag or a
//! `[x for x in list]` iterates on is passed through a filter that charges its length to
//! the render's budget, so a loop nested in loops is charged once per pass. Output is
//! counted as it is written. A render that runs over either stops with an error naming the
//! template and the limit, before anything is written.

use std::cell::Cell;
use std::io::Write;
use std::path::{Path, PathBuf};

use tera::{Context, Kwargs, State, Tera, Value};

use super::view::ReportView;
use crate::base::text;
use crate::evidence::datafile::DataFile;
use crate::evidence::record::sha256_hex;

/// The built-in templates: (name, text).
pub const BUILTIN: [(&str, &str); 2] = [
    ("report.md", include_str!("../../templates/report.md")),
    ("report.html", include_str!("../../templates/report.html")),
];

/// The built-in templates of `evidencer diff`, overridable the same way.
pub const DIFF_BUILTIN: [(&str, &str); 2] = [
    ("diff.md", include_str!("../../templates/diff.md")),
    ("diff.html", include_str!("../../templates/diff.html")),
];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read template {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: crate::base::input::InputError,
    },
    #[error("template {name} is invalid: {message}")]
    Parse { name: String, message: String },
    #[error("rendering {name} failed: {message}")]
    Render { name: String, message: String },
    #[error(
        "rendering {name} stopped: it ran over the limit of {limit} {what}; {hint} (nothing was written)"
    )]
    Limit {
        name: String,
        limit: u64,
        what: &'static str,
        hint: &'static str,
    },
}

/// Bounds on one template's render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Loop iterations, `{% for %}` and `[x for x in list]` alike, all loops counted.
    pub iterations: u64,
    /// Bytes of output.
    pub output_bytes: u64,
}

impl Default for Limits {
    /// 10 million iterations and 256 MiB of output. The built-in templates on a report of
    /// 15,000 objects take about 60,000 iterations and write 9 MB (Markdown) and 13 MB
    /// (HTML), so a template of one's own has a hundred times the loops and twenty times
    /// the output to spare; a loop over 10,000 findings nested in another (10^8 passes)
    /// stops in seconds.
    fn default() -> Self {
        Limits {
            iterations: 10_000_000,
            output_bytes: 256 << 20,
        }
    }
}

/// The name of the filter the rewriting puts on every loop's list.
const BUDGET_FILTER: &str = "__evidencer_loop_budget";

thread_local! {
    /// Iterations left in the render running on this thread, and whether the budget ran out.
    static ITERATIONS_LEFT: Cell<u64> = const { Cell::new(u64::MAX) };
    static RAN_OUT: Cell<bool> = const { Cell::new(false) };
}

/// `list | __evidencer_loop_budget`: the list itself, its length charged to the budget.
fn budget_filter(value: Value, _: Kwargs, _: &State) -> tera::TeraResult<Value> {
    let n = value.len().unwrap_or(0) as u64;
    let left = ITERATIONS_LEFT.with(Cell::get);
    if n > left {
        RAN_OUT.with(|r| r.set(true));
        ITERATIONS_LEFT.with(|l| l.set(0));
        return Err(tera::Error::message("the loop iteration limit was reached"));
    }
    ITERATIONS_LEFT.with(|l| l.set(left - n));
    Ok(value)
}

/// A writer that refuses to go over `limit` bytes.
struct Capped<W> {
    inner: W,
    written: u64,
    limit: u64,
    over: bool,
}

impl<W: Write> Write for Capped<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written + buf.len() as u64 > self.limit {
            self.over = true;
            return Err(std::io::Error::other("the output limit was reached"));
        }
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The loaded templates, and where each came from.
pub struct Templates {
    tera: Tera,
    /// One entry per template, with its hash, for the report's provenance.
    pub files: Vec<DataFile>,
    limits: Limits,
}

impl Templates {
    /// Built-in templates, each replaced by `dir/<name>` when that file exists.
    /// A template file over `limit` bytes is refused; so is one that is not a regular file.
    pub fn load(dir: Option<&Path>, limit: u64) -> Result<Templates, TemplateError> {
        Self::load_with(dir, limit, Limits::default())
    }

    /// [`Templates::load`] with other rendering limits.
    pub fn load_with(
        dir: Option<&Path>,
        limit: u64,
        limits: Limits,
    ) -> Result<Templates, TemplateError> {
        Self::load_set(&BUILTIN, dir, limit, limits)
    }

    /// The templates of `evidencer diff` ([`DIFF_BUILTIN`]), each replaced by `dir/<name>`
    /// when that file exists.
    pub fn load_diff(dir: Option<&Path>, limit: u64) -> Result<Templates, TemplateError> {
        Self::load_set(&DIFF_BUILTIN, dir, limit, Limits::default())
    }

    fn load_set(
        set: &[(&str, &str)],
        dir: Option<&Path>,
        limit: u64,
        limits: Limits,
    ) -> Result<Templates, TemplateError> {
        let mut tera = Tera::new();
        tera.autoescape_on(vec![".html"]);
        tera.set_escape_fn(escape_html);
        tera.register_filter("md", md_filter);
        tera.register_filter(BUDGET_FILTER, budget_filter);
        let mut files = Vec::new();
        for &(name, builtin) in set {
            // Anything by that name replaces the built-in: a FIFO or directory there is an
            // error, not silently the built-in template.
            let custom = dir
                .map(|d| d.join(name))
                .filter(|p| std::fs::symlink_metadata(p).is_ok());
            let (text, path, is_builtin) = match custom {
                Some(path) => {
                    let text =
                        crate::base::input::read_to_string(&path, limit).map_err(|source| {
                            TemplateError::Read {
                                path: path.clone(),
                                source,
                            }
                        })?;
                    (text, path.display().to_string(), false)
                }
                None => (builtin.to_string(), format!("templates/{name}"), true),
            };
            tera.add_raw_template(name, &count_loops(&text))
                .map_err(|e| TemplateError::Parse {
                    name: path.clone(),
                    message: text::error_chain(&e),
                })?;
            files.push(DataFile {
                path,
                builtin: is_builtin,
                sha256: sha256_hex(text.as_bytes()),
            });
        }
        Ok(Templates {
            tera,
            files,
            limits,
        })
    }

    /// The template context of a view. Converting the view is a large part of rendering a
    /// big report, so it is done once and shared by every template rendered from it.
    pub fn context(view: &ReportView<'_>) -> Result<Context, TemplateError> {
        Context::from_serialize(view).map_err(|e| TemplateError::Render {
            name: "the report view".to_string(),
            message: text::error_chain(&e),
        })
    }

    /// Renders the template `name`, within the limits.
    pub fn render_context(&self, name: &str, context: &Context) -> Result<String, TemplateError> {
        ITERATIONS_LEFT.with(|l| l.set(self.limits.iterations));
        RAN_OUT.with(|r| r.set(false));
        let mut out = Capped {
            inner: Vec::new(),
            written: 0,
            limit: self.limits.output_bytes,
            over: false,
        };
        let result = self.tera.render_to(name, context, &mut out);
        let ran_out = RAN_OUT.with(Cell::get);
        let left = ITERATIONS_LEFT.with(|l| l.replace(u64::MAX));
        tracing::debug!(
            template = name,
            iterations = self.limits.iterations - left,
            bytes = out.written,
            "template rendered"
        );
        // Where the template came from: its file for a user's, `templates/<name>` for ours.
        let shown = self
            .files
            .iter()
            .find(|f| Path::new(&f.path).file_name() == Some(name.as_ref()))
            .map_or_else(|| name.to_string(), |f| f.path.clone());
        match result {
            Ok(()) => String::from_utf8(out.inner).map_err(|e| TemplateError::Render {
                name: shown,
                message: e.to_string(),
            }),
            Err(_) if ran_out => Err(TemplateError::Limit {
                name: shown,
                limit: self.limits.iterations,
                what: "loop iterations",
                hint: "look for a loop over a long list inside another loop over one",
            }),
            Err(_) if out.over => Err(TemplateError::Limit {
                name: shown,
                limit: self.limits.output_bytes,
                what: "bytes of output",
                hint: "a report is a few megabytes; look for text repeated inside nested loops",
            }),
            Err(e) => Err(TemplateError::Render {
                name: shown,
                message: text::error_chain(&e),
            }),
        }
    }

    pub fn render(&self, name: &str, view: &ReportView<'_>) -> Result<String, TemplateError> {
        self.render_context(name, &Self::context(view)?)
    }
}

/// The template's text with every loop's list passed through [`BUDGET_FILTER`]:
/// `{% for x in LIST %}` becomes `{% for x in (LIST) | f %}` and `[e for x in LIST if c]`
/// becomes `[e for x in (LIST) | f if c]`. Comments, strings and `{% raw %}` blocks are left
/// alone, and nothing moves to another line, so errors still point at the user's lines.
fn count_loops(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 256);
    let mut i = 0;
    while let Some(found) = ["{{", "{%", "{#"]
        .iter()
        .filter_map(|d| src[i..].find(d))
        .min()
    {
        let start = i + found;
        out.push_str(&src[i..start]);
        let opener = &src[start..start + 2];
        if opener == "{#" {
            let end = src[start..].find("#}").map_or(src.len(), |e| start + e + 2);
            out.push_str(&src[start..end]);
            i = end;
            continue;
        }
        let closer = if opener == "{{" { "}}" } else { "%}" };
        let end = closer_at(src, start + 2, closer);
        let inner = &src[start + 2..end];
        let word = inner
            .trim_start_matches(['-', '+'])
            .trim_start()
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        if opener == "{%" && word == "raw" {
            let stop = end_of_raw(src, end);
            out.push_str(&src[start..stop]);
            i = stop;
            continue;
        }
        out.push_str(opener);
        out.push_str(&count_in_expression(inner, opener == "{%" && word == "for"));
        i = end;
    }
    out.push_str(&src[i..]);
    out
}

/// Where `closer` is, from `from`, outside string literals; the end of `src` if nowhere.
fn closer_at(src: &str, from: usize, closer: &str) -> usize {
    let bytes = src.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'"' | b'\'' | b'`') => i = string_end(bytes, i, q),
            _ if src[i..].starts_with(closer) => return i,
            _ => i += 1,
        }
    }
    src.len()
}

/// The index after the string literal opening at `start` with quote `q`.
fn string_end(bytes: &[u8], start: usize, q: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            c if c == q => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The index after the `{% endraw %}` tag that closes a raw block whose opening tag ends at
/// `from` (at its `%}`).
fn end_of_raw(src: &str, from: usize) -> usize {
    let mut i = from;
    while let Some(off) = src[i..].find("{%") {
        let tag = i + off;
        let end = src[tag..].find("%}").map_or(src.len(), |e| tag + e + 2);
        let word = src[tag + 2..end.saturating_sub(2).max(tag + 2)]
            .trim_matches(['-', '+'])
            .trim();
        if word == "endraw" {
            return end;
        }
        i = tag + 2;
    }
    src.len()
}

/// [`count_loops`] for the text inside one `{{ }}` or `{% %}`; `for_tag` when it is a
/// `{% for %}` tag, whose list runs to the end of the tag.
fn count_in_expression(inner: &str, for_tag: bool) -> String {
    #[derive(Clone, Copy, PartialEq)]
    enum Loop {
        None,
        /// `for` seen, the list starts after `in`.
        For,
        /// The list starts here.
        List(usize),
    }
    let bytes = inner.as_bytes();
    let filter = format!(") | {BUDGET_FILTER} ");
    let mut inserts: Vec<(usize, String)> = Vec::new();
    // One entry per open bracket; the first is the tag itself.
    let mut open: Vec<(u8, Loop)> = vec![(b'%', Loop::None)];
    let mut i = 0;
    let mut after_dot = false;
    while i < bytes.len() {
        let c = bytes[i];
        if matches!(c, b'"' | b'\'' | b'`') {
            i = string_end(bytes, i, c);
            after_dot = false;
            continue;
        }
        if c.is_ascii_alphanumeric() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = &inner[start..i];
            let (kind, state) = open.last_mut().expect("the tag is always open");
            let loops_here = *kind == b'[' || (*kind == b'%' && for_tag);
            match (word, *state) {
                _ if after_dot => {}
                ("for", Loop::None) if loops_here => *state = Loop::For,
                ("in", Loop::For) => {
                    let list = i + (bytes[i..].len() - inner[i..].trim_start().len());
                    inserts.push((list, "(".to_string()));
                    *state = Loop::List(list);
                }
                ("if", Loop::List(_)) if *kind == b'[' => {
                    inserts.push((start, filter.clone()));
                    *state = Loop::None;
                }
                _ => {}
            }
            after_dot = false;
            continue;
        }
        match c {
            b'[' | b'(' | b'{' => open.push((c, Loop::None)),
            b']' | b')' | b'}' if open.len() > 1 => {
                if let Some((b'[', Loop::List(_))) = open.pop() {
                    inserts.push((i, filter.clone()));
                }
            }
            _ => {}
        }
        after_dot = c == b'.';
        i += 1;
    }
    if let Some((_, Loop::List(_))) = open.first() {
        // The tag's list runs to its end, before a closing `-`.
        let body = inner.trim_end();
        let body = body.strip_suffix(['-', '+']).unwrap_or(body).trim_end();
        inserts.push((body.len(), filter.trim_end().to_string()));
    }
    if inserts.is_empty() {
        return inner.to_string();
    }
    inserts.sort_by_key(|(at, _)| *at);
    let mut out = String::with_capacity(inner.len() + inserts.len() * filter.len());
    let mut last = 0;
    for (at, text) in inserts {
        out.push_str(&inner[last..at]);
        out.push_str(&text);
        last = at;
    }
    out.push_str(&inner[last..]);
    out
}

/// Characters [`escape_markdown`] changes.
fn needs_markdown_escape(c: char) -> bool {
    matches!(
        c,
        '<' | '>' | '&' | '\n' | '\r' | '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~'
    ) || text::is_hostile(c)
}

/// Escapes text for a Markdown table cell or paragraph: HTML-significant characters become
/// entities, Markdown punctuation that could start markup is backslash-escaped, line
/// breaks become spaces so a value cannot end a table row, and control and bidi characters
/// are shown as their code (`\u{1b}`).
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if text::is_hostile(c) => text::push_code(&mut out, c),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c if needs_markdown_escape(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Tera's HTML escaping, with control and bidi characters shown as their code.
fn escape_html(input: &str, buf: &mut dyn Write) -> std::io::Result<()> {
    let mut rest = input;
    while let Some(at) = rest.find(text::is_hostile) {
        tera::escape_html(&rest[..at], buf)?;
        let c = rest[at..]
            .chars()
            .next()
            .expect("a character at the index found");
        let mut code = String::new();
        text::push_code(&mut code, c);
        buf.write_all(code.as_bytes())?;
        rest = &rest[at + c.len_utf8()..];
    }
    tera::escape_html(rest, buf)
}

/// `{{ value | md }}`: null renders as nothing, other values as their text, escaped. Most
/// values need no escaping; they are passed through without a copy, which matters in a
/// report with tens of thousands of cells.
fn md_filter(value: Value, _: Kwargs, _: &State) -> Value {
    if value.is_none() {
        return Value::from("");
    }
    match value.as_str() {
        Some(s) if !s.chars().any(needs_markdown_escape) => value,
        Some(s) => Value::from(escape_markdown(s)),
        None => Value::from(escape_markdown(&value.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escaping_neutralises_markup() {
        assert_eq!(
            escape_markdown("a|b <script>x</script>\n# h [l](u) `c` ~~s~~ **b** _i_ \\"),
            "a\\|b &lt;script&gt;x&lt;/script&gt; \\# h \\[l\\](u) \\`c\\` \\~\\~s\\~\\~ \\*\\*b\\*\\* \\_i\\_ \\\\"
        );
    }

    #[test]
    fn every_loop_s_list_is_charged_to_the_budget() {
        let f = BUDGET_FILTER;
        for (text, wanted) in [
            (
                "{% for x in items %}{{ x }}{% endfor %}",
                format!("{{% for x in (items) | {f} %}}{{{{ x }}}}{{% endfor %}}"),
            ),
            (
                "{%- for k, v in m | items -%}",
                format!("{{%- for k, v in (m | items) | {f} -%}}"),
            ),
            (
                "{{ [a.b for a in xs if a.c] | length }}",
                format!("{{{{ [a.b for a in (xs ) | {f} if a.c] | length }}}}"),
            ),
            (
                "{% set y = [[b for b in a] for a in range(end=3)] %}",
                format!("{{% set y = [[b for b in (a) | {f} ] for a in (range(end=3)) | {f} ] %}}"),
            ),
            (
                "{% for x in [c for c in \"for x in y %}\"] %}",
                format!("{{% for x in ([c for c in (\"for x in y %}}\") | {f} ]) | {f} %}}"),
            ),
        ] {
            assert_eq!(count_loops(text), wanted, "{text}");
        }
        // Comments, raw blocks, text and `in` tests are left alone.
        for text in [
            "{# {% for x in y %} #}text",
            "{% raw %}{% for x in y %}{% endraw %}",
            "for x in y {{ x in y }} {% if a in b %}{% endif %}",
            "{{ a.for }}",
        ] {
            assert_eq!(count_loops(text), text);
        }
    }

    fn one_template(text: &str, limits: Limits) -> (tempfile::TempDir, Templates) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("report.md"), text).unwrap();
        let t = Templates::load_with(Some(dir.path()), 1 << 20, limits).unwrap();
        (dir, t)
    }

    #[test]
    fn loops_and_output_are_bounded() {
        let limits = Limits {
            iterations: 1000,
            output_bytes: 100,
        };
        let ctx = Context::new();
        let (_d, t) = one_template(
            "{% for a in range(end=40) %}{% for b in range(end=40) %}{% endfor %}{% endfor %}",
            limits,
        );
        let e = t.render_context("report.md", &ctx).unwrap_err();
        assert!(matches!(e, TemplateError::Limit { limit: 1000, .. }), "{e}");
        assert!(e.to_string().contains("1000 loop iterations"), "{e}");
        assert!(e.to_string().contains("report.md"), "{e}");
        let (_d, t) = one_template(
            "{{ [[b for b in range(end=40)] for a in range(end=40)] | length }}",
            limits,
        );
        let e = t.render_context("report.md", &ctx).unwrap_err();
        assert!(e.to_string().contains("loop iterations"), "{e}");
        let (_d, t) = one_template("{% for a in range(end=101) %}x{% endfor %}", limits);
        let e = t.render_context("report.md", &ctx).unwrap_err();
        assert!(e.to_string().contains("100 bytes of output"), "{e}");
        // Within the limits, and again: each render has its own budget.
        let (_d, t) = one_template(
            "{% for a in range(end=30) %}{% for b in range(end=30) %}{% endfor %}{% endfor %}ok",
            limits,
        );
        for _ in 0..3 {
            assert_eq!(t.render_context("report.md", &ctx).unwrap(), "ok");
        }
    }

    #[test]
    fn control_and_bidi_characters_are_shown_as_codes() {
        assert_eq!(
            escape_markdown("a\u{1b}[2J\u{202e}b"),
            "a\\u{1b}\\[2J\\u{202e}b"
        );
        let mut html = Vec::new();
        escape_html("<b>\u{1b}]8;;\u{7}", &mut html).unwrap();
        assert_eq!(
            String::from_utf8(html).unwrap(),
            "&lt;b&gt;\\u{1b}]8;;\\u{7}"
        );
    }

    #[test]
    fn builtin_templates_parse() {
        let t = Templates::load(None, 1 << 20).unwrap();
        assert_eq!(t.files.len(), 2);
        assert!(t.files.iter().all(|f| f.builtin));
    }
}
