//! Tera templates for the text reports: embedded in the binary, overridable from a directory.
//!
//! The built-in `report.md` and `report.html` live in `templates/`. `--templates DIR`
//! replaces any of them with a file of the same name in DIR. HTML templates autoescape every
//! value; the `md` filter escapes values for Markdown (table pipes, HTML, line breaks), so
//! nothing from the input can inject markup into either report.

use std::path::{Path, PathBuf};

use tera::{Context, Kwargs, State, Tera, Value};

use super::DataFile;
use super::view::ReportView;
use crate::evidence::sha256_hex;

/// The built-in templates: (name, text).
pub const BUILTIN: [(&str, &str); 2] = [
    ("report.md", include_str!("../../templates/report.md")),
    ("report.html", include_str!("../../templates/report.html")),
];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read template {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: crate::input::InputError,
    },
    #[error("template {name} is invalid: {message}")]
    Parse { name: String, message: String },
    #[error("rendering {name} failed: {message}")]
    Render { name: String, message: String },
}

/// The loaded templates, and where each came from.
pub struct Templates {
    tera: Tera,
    /// One entry per template, with its hash, for the report's provenance.
    pub files: Vec<DataFile>,
}

impl Templates {
    /// Built-in templates, each replaced by `dir/<name>` when that file exists.
    /// A template file over `limit` bytes is refused; so is one that is not a regular file.
    pub fn load(dir: Option<&Path>, limit: u64) -> Result<Templates, TemplateError> {
        let mut tera = Tera::new();
        tera.autoescape_on(vec![".html"]);
        tera.register_filter("md", md_filter);
        let mut files = Vec::new();
        for (name, builtin) in BUILTIN {
            // Anything by that name replaces the built-in: a FIFO or directory there is an
            // error, not silently the built-in template.
            let custom = dir
                .map(|d| d.join(name))
                .filter(|p| std::fs::symlink_metadata(p).is_ok());
            let (text, path, is_builtin) = match custom {
                Some(path) => {
                    let text = crate::input::read_to_string(&path, limit).map_err(|source| {
                        TemplateError::Read {
                            path: path.clone(),
                            source,
                        }
                    })?;
                    (text, path.display().to_string(), false)
                }
                None => (builtin.to_string(), format!("templates/{name}"), true),
            };
            tera.add_raw_template(name, &text)
                .map_err(|e| TemplateError::Parse {
                    name: path.clone(),
                    message: error_chain(&e),
                })?;
            files.push(DataFile {
                path,
                builtin: is_builtin,
                sha256: sha256_hex(text.as_bytes()),
            });
        }
        Ok(Templates { tera, files })
    }

    /// The template context of a view. Converting the view is a large part of rendering a
    /// big report, so it is done once and shared by every template rendered from it.
    pub fn context(view: &ReportView<'_>) -> Result<Context, TemplateError> {
        Context::from_serialize(view).map_err(|e| TemplateError::Render {
            name: "the report view".to_string(),
            message: error_chain(&e),
        })
    }

    pub fn render_context(&self, name: &str, context: &Context) -> Result<String, TemplateError> {
        self.tera
            .render(name, context)
            .map_err(|e| TemplateError::Render {
                name: name.to_string(),
                message: error_chain(&e),
            })
    }

    pub fn render(&self, name: &str, view: &ReportView<'_>) -> Result<String, TemplateError> {
        self.render_context(name, &Self::context(view)?)
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
}

/// Characters [`escape_markdown`] changes.
fn needs_markdown_escape(c: char) -> bool {
    matches!(
        c,
        '<' | '>' | '&' | '\n' | '\r' | '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~'
    )
}

/// Escapes text for a Markdown table cell or paragraph: HTML-significant characters become
/// entities, Markdown punctuation that could start markup is backslash-escaped, and line
/// breaks become spaces so a value cannot end a table row.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
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
    fn builtin_templates_parse() {
        let t = Templates::load(None, 1 << 20).unwrap();
        assert_eq!(t.files.len(), 2);
        assert!(t.files.iter().all(|f| f.builtin));
    }
}
