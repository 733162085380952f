//! The layering rule, as a test: imports run one way, down the stages of the pipeline.
//!
//! Reads every `.rs` file under `src/`, collects the `crate::<module>` paths its code uses
//! (`use` lines, paths inline, `$crate::` in macros; comments and string literals are not
//! code), and fails on a path from a module to one of a higher rank than its own, printing
//! `file:line` and the edge. It also fails when `src/lib.rs` declares a top-level module the
//! rank table does not place, so a new module has to say where it belongs, and when the
//! table in `src/lib.rs`'s documentation lists the modules in another order.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Every top-level module and its rank: a module may use its own rank and lower ones.
const RANKS: &[(&str, u8)] = &[
    ("base", 0),
    ("evidence", 1),
    ("collect", 2),
    ("facts", 3),
    ("checks", 4),
    ("assess", 5),
    ("report", 6),
    ("bundle", 7),
    ("app", 8),
    // Entry points for the fuzz targets: they reach parsers of every stage below.
    ("fuzzing", 8),
];

fn rank(module: &str) -> Option<u8> {
    RANKS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

/// One `crate::` path in code: the line it is on and the top-level name it reaches.
#[derive(Debug, PartialEq, Eq)]
struct Use {
    line: usize,
    name: String,
}

/// The text with comments and the contents of string and character literals blanked
/// (newlines kept, so lines still count), leaving only code.
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, c: u8| out.push(if c == b'\n' { b'\n' } else { b' ' });
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == b'/' && next == Some(b'/') {
            while i < b.len() && b[i] != b'\n' {
                blank(&mut out, b[i]);
                i += 1;
            }
        } else if c == b'/' && next == Some(b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
        } else if (c == b'r' || (c == b'b' && next == Some(b'r')))
            && !prev_is_ident(b, i)
            && raw_string_start(b, i + usize::from(c == b'b') + 1).is_some()
        {
            let start = i + usize::from(c == b'b') + 1;
            let hashes = raw_string_start(b, start).unwrap();
            let end_quote = {
                let mut j = start + hashes + 1;
                loop {
                    if j >= b.len() {
                        break b.len();
                    }
                    if b[j] == b'"'
                        && b[j + 1..]
                            .iter()
                            .take(hashes)
                            .filter(|&&h| h == b'#')
                            .count()
                            == hashes
                    {
                        break j + 1 + hashes;
                    }
                    j += 1;
                }
            };
            while i < end_quote {
                blank(&mut out, b[i]);
                i += 1;
            }
        } else if c == b'"' {
            blank(&mut out, c);
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    blank(&mut out, b[i]);
                    i += 1;
                }
                if i < b.len() {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
            if i < b.len() {
                blank(&mut out, b[i]);
                i += 1;
            }
        } else if c == b'\'' {
            // A character literal ('x', '\n', '\u{1F600}'), or a lifetime or label ('a).
            let len = match next {
                Some(b'\\') => b[i + 3..].iter().position(|&q| q == b'\'').map(|p| p + 4),
                Some(_) => {
                    let ch_len = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                    (b.get(i + 1 + ch_len) == Some(&b'\'')).then_some(ch_len + 2)
                }
                None => None,
            };
            match len {
                Some(n) => {
                    for _ in 0..n {
                        blank(&mut out, b[i]);
                        i += 1;
                    }
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).expect("only ASCII replaced ASCII")
}

fn prev_is_ident(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

/// At `at` (just after the `r` of a raw string): its number of `#`s, when a raw string
/// starts there.
fn raw_string_start(b: &[u8], at: usize) -> Option<usize> {
    let hashes = b[at.min(b.len())..]
        .iter()
        .take_while(|&&h| h == b'#')
        .count();
    (b.get(at + hashes) == Some(&b'"')).then_some(hashes)
}

/// The top-level names the code's `crate::` paths reach, with their lines.
fn crate_uses(code: &str) -> Vec<Use> {
    let b = code.as_bytes();
    let line_of = |at: usize| code[..at].bytes().filter(|&c| c == b'\n').count() + 1;
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find("crate::") {
        let at = from + found;
        from = at + "crate::".len();
        if prev_is_ident(b, at) {
            continue;
        }
        let rest = &code[from..];
        match rest.strip_prefix('{') {
            // `crate::{a, b::{c, d}}`, on one line or several: the first segment of each
            // item, on the item's own line.
            Some(group) => {
                let group_at = from + 1;
                for (offset, item) in group_items(group) {
                    let name = first_name(item);
                    if !name.is_empty() {
                        let lead = item.len() - item.trim_start().len();
                        out.push(Use {
                            line: line_of(group_at + offset + lead),
                            name: name.to_string(),
                        });
                    }
                }
            }
            None => out.push(Use {
                line: line_of(at),
                name: first_name(rest).to_string(),
            }),
        }
    }
    out
}

/// The first identifier of a path.
fn first_name(path: &str) -> &str {
    path.trim_start()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("")
}

/// The items of a `{...}` group whose opening brace is already consumed, up to its closing
/// brace, each with its offset in `group`.
fn group_items(group: &str) -> Vec<(usize, &str)> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push((start, &group[start..i]));
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push((start, &group[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push((start, &group[start..]));
    items
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules `src/lib.rs` declares (test-only ones left out), in order.
fn declared_modules(lib: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut test_only = false;
    for line in lib.lines().map(str::trim) {
        if line == "#[cfg(test)]" {
            test_only = true;
            continue;
        }
        let declared = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("mod "))
            .and_then(|rest| rest.strip_suffix(';'));
        if let Some(name) = declared
            && !test_only
        {
            out.push(name.to_string());
        }
        test_only = false;
    }
    out
}

/// Macros exported at the crate root (`crate::declare_check!`), by the module defining them.
fn root_macros(files: &[(String, String)]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (module, text) in files {
        let mut exported = false;
        for line in text.lines().map(str::trim) {
            if line == "#[macro_export]" {
                exported = true;
            } else if let Some(rest) = line.strip_prefix("macro_rules! ")
                && exported
            {
                let name = rest
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or(rest);
                out.insert(name.to_string(), module.clone());
                exported = false;
            } else if !line.starts_with("#[") {
                exported = false;
            }
        }
    }
    out
}

/// Every back edge (and every `crate::` name no rank places) in `files` (path, module,
/// text), as `path:line: message`.
fn violations(files: &[(String, String, String)]) -> Vec<String> {
    let by_module: Vec<(String, String)> = files
        .iter()
        .map(|(_, module, text)| (module.clone(), text.clone()))
        .collect();
    let macros = root_macros(&by_module);
    let mut out = Vec::new();
    for (path, module, text) in files {
        let Some(own) = rank(module) else {
            out.push(format!(
                "{path}: module `{module}` has no rank in the table"
            ));
            continue;
        };
        for u in crate_uses(&code_only(text)) {
            let target = macros.get(&u.name).unwrap_or(&u.name);
            match rank(target) {
                Some(r) if r <= own => {}
                Some(r) => out.push(format!(
                    "{path}:{}: `{module}` (rank {own}) uses `crate::{}` of `{target}` (rank {r})",
                    u.line, u.name
                )),
                None => out.push(format!(
                    "{path}:{}: `crate::{}` is not a module of the rank table",
                    u.line, u.name
                )),
            }
        }
    }
    out
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn imports_run_one_way_down_the_layers() {
    let src = src_dir();
    let lib = fs::read_to_string(src.join("lib.rs")).unwrap();
    let declared = declared_modules(&lib);
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let rel = path.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        // The crate root and the binary's root are above every layer; test-only modules
        // declared in lib.rs (this one) are not part of the pipeline.
        if module == "lib" || module == "main" || !declared.contains(&module) {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        files.push((format!("src/{}", rel.display()), module, text));
    }
    assert!(files.len() > 100, "read only {} files", files.len());
    let found = violations(&files);
    assert!(
        found.is_empty(),
        "imports must run down the layers (see src/lib.rs):\n{}",
        found.join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_rank_and_lib_rs_lists_them_by_rank() {
    let lib = fs::read_to_string(src_dir().join("lib.rs")).unwrap();
    let declared = declared_modules(&lib);
    let unplaced: Vec<&String> = declared.iter().filter(|m| rank(m).is_none()).collect();
    assert!(
        unplaced.is_empty(),
        "top-level modules without a rank (add them to RANKS in src/layering.rs and to the \
         table in src/lib.rs): {unplaced:?}"
    );
    let ranks: Vec<u8> = declared.iter().filter_map(|m| rank(m)).collect();
    assert!(
        ranks.is_sorted(),
        "src/lib.rs declares the modules out of rank order: {declared:?}"
    );
    for (module, _) in RANKS {
        assert!(
            declared.iter().any(|d| d == module),
            "`{module}` is ranked but src/lib.rs does not declare it"
        );
    }
    // The documentation's table names every module, in the same order.
    let documented: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//! | [`"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let ranked: Vec<&str> = RANKS.iter().map(|(m, _)| *m).collect();
    assert_eq!(documented, ranked, "the module table in src/lib.rs");
}

#[test]
fn the_checker_sees_code_and_only_code() {
    let file = |module: &str, text: &str| {
        (
            format!("src/{module}/x.rs"),
            module.to_string(),
            text.to_string(),
        )
    };
    let found = violations(&[
        file(
            "collect",
            "use crate::facts::Facts;\nfn f() { crate::checks::run(); }\nuse crate::{base::{x, y}, report};\nuse crate::{\n    base::x,\n    app::Run,\n};\n",
        ),
        file(
            "evidence",
            "// crate::app in a comment\n/* crate::app\n in a block */\nconst S: &str = \"crate::app\";\n\
             const R: &str = r#\"crate::app \"quoted\"\"#;\nfn g<'a>(c: char) -> bool { c == '\"' || c == '\\'' || c == '\\\\' && crate::base::ok() }\n\
             const T: &str = \"crate::app\";\n",
        ),
        file(
            "facts",
            "macro_rules! m { () => { $crate::assess::x() } }\n",
        ),
        file(
            "checks",
            "#[macro_export]\nmacro_rules! declare_check { () => {} }\n",
        ),
        file("collect", "crate::declare_check! {}\nuse crate::nowhere;\n"),
    ]);
    assert_eq!(
        found,
        [
            "src/collect/x.rs:1: `collect` (rank 2) uses `crate::facts` of `facts` (rank 3)",
            "src/collect/x.rs:2: `collect` (rank 2) uses `crate::checks` of `checks` (rank 4)",
            "src/collect/x.rs:3: `collect` (rank 2) uses `crate::report` of `report` (rank 6)",
            "src/collect/x.rs:6: `collect` (rank 2) uses `crate::app` of `app` (rank 8)",
            "src/facts/x.rs:1: `facts` (rank 3) uses `crate::assess` of `assess` (rank 5)",
            "src/collect/x.rs:1: `collect` (rank 2) uses `crate::declare_check` of `checks` (rank 4)",
            "src/collect/x.rs:2: `crate::nowhere` is not a module of the rank table",
        ]
    );
}
