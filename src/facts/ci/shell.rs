//! Shell scripts as CI systems run them: split into simple commands with file lines.
//!
//! A [`Script`] is text whose every line knows the file line it came from (a YAML block
//! scalar, a Groovy string, a heredoc body or a whole `.sh` file). [`parse`] splits it into
//! [`Command`]s the way a POSIX shell would for our purpose: quotes and escapes, `\` line
//! continuations, comments, `&&`, `||`, `;`, `|`, `&`, subshell parentheses, redirections
//! (their targets are not arguments), heredocs (their bodies are kept, since `ssh host <<EOF`
//! runs them remotely) and command substitutions (`$(...)` and backquotes are parsed as
//! commands of their own). Keywords such as `if`, `then`, `do` are stripped, so the
//! command in `if kubectl apply -f x; then` is found. Nothing is expanded: `$IMAGE` stays as
//! written.

use crate::base::lines::Script;

/// One word of a command, unquoted, with the file lines of its value's lines (so a quoted
/// script passed to `bash -c` or `ssh` can be parsed again with the right lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub value: String,
    pub line: u32,
    /// File line of each line of `value` after the first.
    breaks: Vec<u32>,
}

impl Word {
    pub fn plain(value: &str, line: u32) -> Word {
        Word {
            value: value.to_string(),
            line,
            breaks: Vec::new(),
        }
    }

    /// The word's value as a script, lines mapped to the file.
    pub fn script(&self) -> Script {
        let mut s = Script::default();
        for (i, part) in self.value.split('\n').enumerate() {
            let line = if i == 0 {
                self.line
            } else {
                self.breaks
                    .get(i - 1)
                    .copied()
                    .unwrap_or(self.line + i as u32)
            };
            s.push_line(line, part);
        }
        s
    }
}

/// Several words joined with spaces as one script (what `ssh host a b c` sends).
pub fn join_words(words: &[Word]) -> Script {
    let mut joined = Word {
        value: String::new(),
        line: words.first().map_or(1, |w| w.line),
        breaks: Vec::new(),
    };
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            joined.value.push(' ');
        }
        joined.value.push_str(&w.value);
        joined.breaks.extend(&w.breaks);
    }
    joined.script()
}

/// A simple command: its words (assignments and wrappers still in place), the line of its
/// first word, the heredoc bodies fed to it and the file it reads stdin from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub line: u32,
    pub words: Vec<Word>,
    pub heredocs: Vec<Script>,
    pub stdin: Option<String>,
}

impl Command {
    pub fn argv(&self) -> Vec<&str> {
        self.words.iter().map(|w| w.value.as_str()).collect()
    }
}

/// Splits a script into simple commands, in order, substitutions after the command that
/// holds them.
pub fn parse(script: &Script) -> Vec<Command> {
    let mut lexer = Lexer {
        script,
        bytes: script.text().as_bytes(),
        pos: 0,
        end: script.text().len(),
        nested: Vec::new(),
    };
    let mut out = lexer.run();
    let nested = std::mem::take(&mut lexer.nested);
    for (start, end) in nested {
        let mut inner = Lexer {
            script,
            bytes: script.text().as_bytes(),
            pos: start,
            end,
            nested: Vec::new(),
        };
        out.extend(inner.run());
        // Substitutions inside substitutions are rare; one more level covers them.
        for (s, e) in std::mem::take(&mut inner.nested) {
            let mut deeper = Lexer {
                script,
                bytes: script.text().as_bytes(),
                pos: s,
                end: e,
                nested: Vec::new(),
            };
            out.extend(deeper.run());
        }
    }
    out
}

struct Lexer<'a> {
    script: &'a Script,
    bytes: &'a [u8],
    pos: usize,
    end: usize,
    /// Byte ranges of command substitutions, parsed afterwards.
    nested: Vec<(usize, usize)>,
}

struct PendingHeredoc {
    delimiter: String,
    strip_tabs: bool,
    command: usize,
}

#[derive(Default)]
struct Building {
    words: Vec<Word>,
    stdin: Option<String>,
    heredocs: usize,
    /// Line of the command's first heredoc operator.
    heredoc_line: Option<u32>,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        let i = self.pos + ahead;
        (i < self.end).then(|| self.bytes[i])
    }

    fn run(&mut self) -> Vec<Command> {
        let mut commands: Vec<Command> = Vec::new();
        let mut current = Building::default();
        let mut pending: Vec<PendingHeredoc> = Vec::new();
        while self.pos < self.end {
            let c = self.bytes[self.pos];
            match c {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\\' if self.peek(1) == Some(b'\n') => self.pos += 2,
                b'\n' => {
                    self.pos += 1;
                    finish(&mut commands, &mut current);
                    if !pending.is_empty() {
                        self.read_heredocs(&mut pending, &mut commands);
                    }
                }
                b'#' => {
                    while self.pos < self.end && self.bytes[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                b';' | b'&' | b'|' | b'(' | b')' => {
                    if c == b'&' && self.peek(1) == Some(b'>') {
                        // `&>file`: a redirection of both streams.
                        self.pos += 2;
                        if self.peek(0) == Some(b'>') {
                            self.pos += 1;
                        }
                        self.skip_blanks();
                        self.read_word();
                        continue;
                    }
                    self.pos += 1;
                    if matches!(self.peek(0), Some(b'&' | b'|' | b';')) && c != b'(' && c != b')' {
                        self.pos += 1;
                    }
                    finish(&mut commands, &mut current);
                }
                b'<' | b'>' => self.redirection(&mut current, &mut pending, commands.len()),
                _ => {
                    // `2>&1`, `1>out`: a file descriptor number right before a redirection.
                    if c.is_ascii_digit() {
                        let mut j = self.pos;
                        while j < self.end && self.bytes[j].is_ascii_digit() {
                            j += 1;
                        }
                        if j < self.end && matches!(self.bytes[j], b'<' | b'>') {
                            self.pos = j;
                            continue;
                        }
                    }
                    if let Some(w) = self.read_word() {
                        current.words.push(w);
                    }
                }
            }
        }
        finish(&mut commands, &mut current);
        commands
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(0), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn redirection(
        &mut self,
        current: &mut Building,
        pending: &mut Vec<PendingHeredoc>,
        command_index: usize,
    ) {
        let c = self.bytes[self.pos];
        let line = self.script.line_at(self.pos);
        self.pos += 1;
        if c == b'<' && self.peek(0) == Some(b'<') {
            self.pos += 1;
            if self.peek(0) == Some(b'<') {
                // `<<< word`: a here-string; the word is data.
                self.pos += 1;
                self.skip_blanks();
                self.read_word();
                return;
            }
            let strip_tabs = self.peek(0) == Some(b'-');
            if strip_tabs {
                self.pos += 1;
            }
            self.skip_blanks();
            if let Some(w) = self.read_word() {
                pending.push(PendingHeredoc {
                    delimiter: w.value,
                    strip_tabs,
                    command: command_index,
                });
                current.heredocs += 1;
                current.heredoc_line.get_or_insert(line);
            }
            return;
        }
        if self.peek(0) == Some(b'(') {
            // Process substitution `<(cmd)`: a command of its own.
            self.pos -= 1;
            self.read_word();
            return;
        }
        if matches!(self.peek(0), Some(b'>' | b'&' | b'|')) {
            self.pos += 1;
        }
        self.skip_blanks();
        if let Some(w) = self.read_word()
            && c == b'<'
        {
            current.stdin = Some(w.value);
        }
    }

    /// Reads the bodies of the heredocs started on the line just ended.
    fn read_heredocs(&mut self, pending: &mut Vec<PendingHeredoc>, commands: &mut [Command]) {
        for heredoc in pending.drain(..) {
            let mut body = Script::default();
            while self.pos < self.end {
                let line_end = self.bytes[self.pos..self.end]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(self.end, |i| self.pos + i);
                let raw = &self.script.text()[self.pos..line_end];
                let line_no = self.script.line_at(self.pos);
                self.pos = (line_end + 1).min(self.end);
                let text = if heredoc.strip_tabs {
                    raw.trim_start_matches('\t')
                } else {
                    raw
                };
                if text.trim_end() == heredoc.delimiter {
                    break;
                }
                body.push_line(line_no, text);
            }
            if let Some(cmd) = commands.get_mut(heredoc.command) {
                cmd.heredocs.push(body);
            }
        }
    }

    /// Reads one word at the current position: quotes removed, escapes applied,
    /// substitutions kept as written (and remembered for parsing).
    fn read_word(&mut self) -> Option<Word> {
        let start = self.pos;
        let mut value = String::new();
        let mut breaks = Vec::new();
        let line = self.script.line_at(start);
        while self.pos < self.end {
            let c = self.bytes[self.pos];
            match c {
                b'<' | b'>' if self.peek(1) == Some(b'(') => {
                    // Process substitution inside a word.
                    self.pos += 1;
                    self.substitution_body(&mut value, &mut breaks);
                }
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' => break,
                b'(' | b')' if value.is_empty() || c == b')' => break,
                b'\\' => {
                    if self.peek(1) == Some(b'\n') {
                        self.pos += 2;
                    } else if self.pos + 1 < self.end {
                        self.pos += 1;
                        self.push_char(&mut value, &mut breaks);
                    } else {
                        self.pos += 1;
                    }
                }
                b'\'' => {
                    self.pos += 1;
                    while self.pos < self.end && self.bytes[self.pos] != b'\'' {
                        self.push_char(&mut value, &mut breaks);
                    }
                    self.pos += 1;
                }
                b'"' => {
                    self.pos += 1;
                    while self.pos < self.end && self.bytes[self.pos] != b'"' {
                        match self.bytes[self.pos] {
                            b'\\'
                                if matches!(
                                    self.peek(1),
                                    Some(b'"' | b'\\' | b'$' | b'`' | b'\n')
                                ) =>
                            {
                                self.pos += 1;
                                if self.bytes[self.pos] == b'\n' {
                                    self.pos += 1;
                                } else {
                                    self.push_char(&mut value, &mut breaks);
                                }
                            }
                            b'$' if self.peek(1) == Some(b'(') => {
                                self.substitution(&mut value, &mut breaks)
                            }
                            b'`' => self.backquote(&mut value, &mut breaks),
                            _ => self.push_char(&mut value, &mut breaks),
                        }
                    }
                    self.pos += 1;
                }
                b'$' if self.peek(1) == Some(b'(') => self.substitution(&mut value, &mut breaks),
                b'$' if self.peek(1) == Some(b'{') => {
                    let close = self.matching(self.pos + 1, b'{', b'}');
                    while self.pos < close {
                        self.push_char(&mut value, &mut breaks);
                    }
                }
                b'`' => self.backquote(&mut value, &mut breaks),
                _ => self.push_char(&mut value, &mut breaks),
            }
        }
        (self.pos > start).then_some(Word {
            value,
            line,
            breaks,
        })
    }

    /// Appends the char at the position (a whole UTF-8 sequence) and advances.
    fn push_char(&mut self, value: &mut String, breaks: &mut Vec<u32>) {
        let rest = &self.script.text()[self.pos..self.end];
        let Some(ch) = rest.chars().next() else {
            self.pos = self.end;
            return;
        };
        if ch == '\n' {
            breaks.push(self.script.line_at(self.pos + 1));
        }
        value.push(ch);
        self.pos += ch.len_utf8();
    }

    /// `$(...)` (or `$((...))`, arithmetic, not a command): kept in the word as written.
    fn substitution(&mut self, value: &mut String, breaks: &mut Vec<u32>) {
        self.push_char(value, breaks); // `$`
        self.substitution_body(value, breaks);
    }

    fn substitution_body(&mut self, value: &mut String, breaks: &mut Vec<u32>) {
        let open = self.pos;
        let close = self.matching(open, b'(', b')');
        let arithmetic = self.bytes.get(open + 1) == Some(&b'(');
        // Unclosed, the body runs to the end; closed, it ends before the `)`.
        let body_end = match self.bytes[close - 1] {
            b')' if close > open + 1 => close - 1,
            _ => close,
        };
        if !arithmetic && body_end > open + 1 {
            self.nested.push((open + 1, body_end));
        }
        while self.pos < close {
            self.push_char(value, breaks);
        }
    }

    fn backquote(&mut self, value: &mut String, breaks: &mut Vec<u32>) {
        let open = self.pos;
        let mut j = open + 1;
        while j < self.end && self.bytes[j] != b'`' {
            if self.bytes[j] == b'\\' {
                j += 1;
            }
            j += 1;
        }
        let close = (j + 1).min(self.end);
        if j > open + 1 {
            self.nested.push((open + 1, j.min(self.end)));
        }
        while self.pos < close {
            self.push_char(value, breaks);
        }
    }

    /// Position just past the bracket that closes the one at `open`, minding quotes.
    fn matching(&self, open: usize, opening: u8, closing: u8) -> usize {
        let mut depth = 0usize;
        let mut j = open;
        let mut quote: Option<u8> = None;
        while j < self.end {
            let b = self.bytes[j];
            match quote {
                Some(q) => {
                    if b == b'\\' && q == b'"' {
                        j += 1;
                    } else if b == q {
                        quote = None;
                    }
                }
                None => {
                    if b == b'\\' {
                        j += 1;
                    } else if b == b'\'' || b == b'"' {
                        quote = Some(b);
                    } else if b == opening {
                        depth += 1;
                    } else if b == closing {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return (j + 1).min(self.end);
                        }
                    }
                }
            }
            j += 1;
        }
        self.end
    }
}

/// Ends the command being built: strips shell keywords and grouping words, drops empties.
fn finish(commands: &mut Vec<Command>, current: &mut Building) {
    let built = std::mem::take(current);
    let mut words = built.words;
    while let Some(first) = words.first() {
        match first.value.as_str() {
            "if" | "then" | "else" | "elif" | "do" | "while" | "until" | "!" | "{" | "}"
            | "time" | "fi" | "done" | "esac" => {
                words.remove(0);
            }
            _ => break,
        }
    }
    if let Some(first) = words.first()
        && matches!(
            first.value.as_str(),
            "for" | "case" | "select" | "function" | "in"
        )
    {
        words.clear();
    }
    if let Some(last) = words.last()
        && (last.value == "}" || last.value == ";;")
    {
        words.pop();
    }
    if words.is_empty() && built.heredocs == 0 {
        return;
    }
    if words.is_empty() {
        // A heredoc whose command was only a keyword: keep its slot so bodies attach.
        words.push(Word::plain(":", built.heredoc_line.unwrap_or(1)));
    }
    commands.push(Command {
        line: words[0].line,
        words,
        heredocs: Vec::new(),
        stdin: built.stdin,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(first: u32, text: &str) -> Vec<(u32, String)> {
        parse(&Script::from_text(first, text))
            .into_iter()
            .map(|c| (c.line, c.argv().join(" ")))
            .collect()
    }

    #[test]
    fn operators_split_commands_and_keep_lines() {
        let got = cmds(
            10,
            "make build && \\\n  kubectl exec -n prod deploy/api -- apt-get upgrade -y; echo ok\nfoo | bar || baz &\n",
        );
        assert_eq!(
            got,
            [
                (10, "make build".to_string()),
                (
                    11,
                    "kubectl exec -n prod deploy/api -- apt-get upgrade -y".into()
                ),
                (11, "echo ok".into()),
                (12, "foo".into()),
                (12, "bar".into()),
                (12, "baz".into()),
            ]
        );
    }

    #[test]
    fn quotes_comments_and_keywords() {
        let got = cmds(
            1,
            "# comment kubectl exec\nif kubectl apply -f 'a b.yaml'; then echo \"x # y\"; fi # trailing\nfor i in 1 2; do helm upgrade \"r$i\" ./c; done\n",
        );
        assert_eq!(
            got,
            [
                (2, "kubectl apply -f a b.yaml".to_string()),
                (2, "echo x # y".into()),
                (3, "helm upgrade r$i ./c".into()),
            ]
        );
    }

    #[test]
    fn substitutions_are_commands_too() {
        let got = cmds(
            1,
            "POD=$(kubectl get pod -o name)\necho `docker ps -q` ${A:-$(x)}\n",
        );
        let lines: Vec<&str> = got.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(
            lines,
            [
                "POD=$(kubectl get pod -o name)",
                "echo `docker ps -q` ${A:-$(x)}",
                "kubectl get pod -o name",
                "docker ps -q"
            ]
        );
    }

    #[test]
    fn heredocs_keep_their_bodies_and_lines() {
        let script = Script::from_text(
            5,
            "ssh deploy@web1 <<'EOF'\n  sudo apt-get upgrade -y\nEOF\necho done\n",
        );
        let commands = parse(&script);
        assert_eq!(commands.len(), 2);
        assert_eq!(commands[0].argv(), ["ssh", "deploy@web1"]);
        let body: Vec<(u32, &str)> = commands[0].heredocs[0].lines().collect();
        assert_eq!(body, [(6, "  sudo apt-get upgrade -y")]);
        assert_eq!(commands[1].line, 8);
    }

    /// Found by the `shell` fuzz target (`<<\0` at line 39): a heredoc with no command
    /// word got a placeholder command at line 0, a line no file has.
    #[test]
    fn a_heredoc_without_a_command_word_keeps_its_line() {
        let commands = parse(&Script::from_text(39, "<<\0"));
        assert_eq!(commands.len(), 1);
        assert_eq!(commands[0].line, 39);
        assert_eq!(commands[0].words[0].line, 39);
        let commands = parse(&Script::from_text(
            7,
            "if true
then <<EOF
body
EOF
fi
",
        ));
        assert_eq!(
            commands.iter().map(|c| c.line).collect::<Vec<_>>(),
            [7, 8],
            "{commands:?}"
        );
        let body: Vec<(u32, &str)> = commands[1].heredocs[0].lines().collect();
        assert_eq!(body, [(9, "body")]);
    }

    /// Found by the `shell` and `dockerfile` fuzz targets: an unclosed `$(` inside another,
    /// ending in a multi-byte character, cut the text inside that character and panicked.
    #[test]
    fn an_unclosed_substitution_ending_in_a_wide_character_is_read() {
        // Unclosed, the substitution runs to the end of the script.
        let commands = parse(&Script::from_text(1, "$($(\u{5b688}"));
        assert_eq!(commands[0].argv(), ["$($(\u{5b688}\n"]);
        let commands = parse(&Script::from_text(1, "echo $(a `é"));
        assert_eq!(commands[0].argv(), ["echo", "$(a `é\n"]);
    }

    #[test]
    fn redirections_are_not_arguments() {
        let commands = parse(&Script::from_text(
            1,
            "ssh host bash -s < scripts/patch.sh 2>&1 >/dev/null\ncat file &> log\n",
        ));
        assert_eq!(commands[0].argv(), ["ssh", "host", "bash", "-s"]);
        assert_eq!(commands[0].stdin.as_deref(), Some("scripts/patch.sh"));
        assert_eq!(commands[1].argv(), ["cat", "file"]);
    }

    #[test]
    fn quoted_multi_line_words_keep_the_lines_of_their_text() {
        let commands = parse(&Script::from_text(
            3,
            "ssh host \"apt-get update &&\n  apt-get upgrade -y\"\n",
        ));
        let word = &commands[0].words[2];
        let inner = parse(&word.script());
        assert_eq!(inner[1].line, 4);
        assert_eq!(inner[1].argv(), ["apt-get", "upgrade", "-y"]);
    }

    #[test]
    fn github_expressions_stay_in_one_word() {
        let got = cmds(1, "docker push ${{ env.IMAGE }}:${{ github.sha }}\n");
        assert_eq!(got[0].1, "docker push ${{ env.IMAGE }}:${{ github.sha }}");
    }
}
