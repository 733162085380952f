//! Text whose every line knows the file line it came from.
//!
//! A YAML block scalar, a Groovy string, a heredoc body, a Dockerfile `RUN` or a whole `.sh`
//! file: whatever a reader takes out of a file and parses again, findings must still name the
//! file line of each command. A [`Script`] keeps that mapping; the YAML tree
//! ([`super::yaml::tree`]) gives its block scalars as scripts, and the CI analysis parses them.

/// Text whose lines carry the file lines they were read from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    text: String,
    /// Byte offset where each line of `text` starts.
    starts: Vec<usize>,
    /// File line of each line of `text`.
    lines: Vec<u32>,
}

impl Script {
    /// Text whose first line is file line `first`, the rest following on.
    pub fn from_text(first: u32, text: &str) -> Script {
        let mut s = Script::default();
        let text = text.strip_suffix('\n').unwrap_or(text);
        for (i, line) in text.split('\n').enumerate() {
            s.push_line(first + i as u32, line);
        }
        s
    }

    /// Appends one line read from file line `line` (the text must not hold a newline;
    /// anything after one still counts as that file line's continuation).
    pub fn push_line(&mut self, line: u32, text: &str) {
        self.starts.push(self.text.len());
        self.lines.push(line);
        self.text.push_str(text);
        self.text.push('\n');
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// Lines with their file lines.
    pub fn lines(&self) -> impl Iterator<Item = (u32, &str)> {
        self.starts.iter().enumerate().map(|(i, &start)| {
            let end = self.starts.get(i + 1).map_or(self.text.len(), |&e| e);
            (self.lines[i], self.text[start..end].trim_end_matches('\n'))
        })
    }

    /// File line of a byte offset in the text.
    pub fn line_at(&self, offset: usize) -> u32 {
        match self.starts.binary_search(&offset) {
            Ok(i) => self.lines[i],
            Err(0) => self.lines.first().copied().unwrap_or(1),
            Err(i) => self.lines[i - 1],
        }
    }

    /// The first file line of the script.
    pub fn first_line(&self) -> u32 {
        self.lines.first().copied().unwrap_or(1)
    }
}
