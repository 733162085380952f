//! Result files: found under the paths given, read within the size cap, decompressed when
//! gzip, and decoded to text.
//!
//! A directory is read recursively, its entries in name order, hidden ones (`.name`)
//! skipped and symbolic-link loops walked once. Every other entry is a candidate: the shape
//! is told from the content, so a file of another kind in a results directory is an input
//! problem rather than silently ignored. Compression is told from the gzip magic bytes, not
//! the `.gz` name; the decompressed text is bounded by the same `--max-file-size` as the
//! file, so a small gzip bomb cannot fill memory.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::{FileProblem, ReadError, ReadOptions, ResultRecord};
use crate::evidence::inventory::{Problem, ProblemLevel};

/// A file to read, and the path it is shown under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Candidate {
    pub(super) path: PathBuf,
    pub(super) display: String,
}

#[derive(Debug, Default)]
pub(super) struct Found {
    pub(super) files: Vec<Candidate>,
    pub(super) problems: Vec<Problem>,
}

/// The files under `paths`, in the order given, each directory's in name order. A file
/// reached twice (a directory and a file in it both given) is read once, where first met:
/// the same scan counted twice would look like two.
pub(super) fn discover(paths: &[PathBuf], source: &str) -> Found {
    let mut found = discover_all(paths, source);
    let mut seen = HashSet::new();
    found
        .files
        .retain(|f| seen.insert(fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone())));
    found
}

fn discover_all(paths: &[PathBuf], source: &str) -> Found {
    let mut found = Found::default();
    for root in paths {
        match fs::metadata(root) {
            Ok(meta) if meta.is_dir() => {
                let before = found.files.len();
                let mut visited = HashSet::new();
                walk(root, source, &mut visited, &mut found);
                if found.files.len() == before {
                    found.problems.push(
                        Problem::new(
                            ProblemLevel::Warning,
                            source,
                            root.display().to_string(),
                            "holds no result files",
                        )
                        .hint("pass the directory the scanners write their results to"),
                    );
                }
            }
            // Files, and whatever else is there: the reader refuses what is not a file.
            Ok(_) => found.files.push(Candidate {
                path: root.clone(),
                display: root.display().to_string(),
            }),
            Err(e) => found.problems.push(cannot_read(source, root, &e)),
        }
    }
    found
}

fn walk(dir: &Path, source: &str, visited: &mut HashSet<PathBuf>, found: &mut Found) {
    if let Ok(canonical) = fs::canonicalize(dir)
        && !visited.insert(canonical)
    {
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            found.problems.push(cannot_read(source, dir, &e));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(&path, source, visited, found),
            Ok(_) => found.files.push(Candidate {
                display: path.display().to_string(),
                path,
            }),
            Err(e) => found.problems.push(cannot_read(source, &path, &e)),
        }
    }
}

fn cannot_read(source: &str, path: &Path, e: &std::io::Error) -> Problem {
    let message = if path.is_symlink() && !path.exists() {
        "cannot read: dangling symbolic link".to_string()
    } else {
        format!("cannot read: {e}")
    };
    Problem::new(
        ProblemLevel::Error,
        source,
        path.display().to_string(),
        message,
    )
    .hint("check the path and its permissions; nothing of it was read")
}

/// How much of a file is looked at before it is read whole: junk (a `docker save` archive
/// beside the scans) is told from text at the cost of one small read.
const SNIFF: u64 = 8 << 10;

/// Reads one file: its records, and the problems of what could not be read.
pub(super) fn read_file(
    file: &Candidate,
    options: &ReadOptions,
) -> (Vec<ResultRecord>, Vec<Problem>) {
    let (records, problems) = match read_whole(&file.path, options.max_file_size) {
        Ok(bytes) => super::read_owned(&file.display, bytes, options.max_file_size),
        Err(e) => (Vec::new(), vec![FileProblem::whole(e)]),
    };
    let problems = problems
        .iter()
        .map(|p| p.to_problem(&options.source, &file.display))
        .collect();
    (records, problems)
}

/// The file's bytes, through [`crate::input`]: a regular file within `limit`, refused after
/// its first bytes when they are binary and not gzip.
fn read_whole(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut f = crate::base::input::open(path)?;
    if f.size > limit {
        return Err(crate::base::input::InputError::TooLarge {
            size: f.size,
            limit,
        }
        .into());
    }
    let mut bytes = Vec::with_capacity(f.size as usize);
    f.read_some(&mut bytes, SNIFF.min(limit.saturating_add(1)))?;
    if !is_gzip(&bytes) {
        sniff(&bytes)?;
    }
    f.read_rest(&mut bytes, limit)?;
    Ok(bytes)
}

pub(super) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

fn is_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
}

/// Refuses binary data: a NUL byte among the first bytes of text that is not UTF-16.
fn sniff(bytes: &[u8]) -> Result<(), ReadError> {
    if is_utf16(bytes) {
        return Ok(());
    }
    match memchr::memchr(0, &bytes[..bytes.len().min(SNIFF as usize)]) {
        Some(offset) => Err(ReadError::Binary { offset }),
        None => Ok(()),
    }
}

/// The text of a file's bytes: decompressed when gzip (within `limit`, its first bytes
/// checked before the rest is inflated), UTF-8 with its BOM dropped, or UTF-16 with a BOM
/// (what PowerShell's `>` writes).
pub(super) fn decode(bytes: Vec<u8>, limit: u64) -> Result<String, ReadError> {
    let mut bytes = if is_gzip(&bytes) {
        let mut decoder = MultiGzDecoder::new(&bytes[..]);
        let mut inflated = Vec::with_capacity(bytes.len().saturating_mul(4).min(limit as usize));
        (&mut decoder)
            .take(SNIFF.min(limit.saturating_add(1)))
            .read_to_end(&mut inflated)
            .map_err(ReadError::Gzip)?;
        sniff(&inflated)?;
        let room = limit
            .saturating_add(1)
            .saturating_sub(inflated.len() as u64);
        decoder
            .take(room)
            .read_to_end(&mut inflated)
            .map_err(ReadError::Gzip)?;
        if inflated.len() as u64 > limit {
            return Err(ReadError::GzipTooLarge { limit });
        }
        inflated
    } else {
        bytes
    };
    if let Some(text) = decode_utf16(&bytes) {
        return text;
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    sniff(&bytes)?;
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 {
        line: crate::base::input::line_of_bad_byte(e.as_bytes(), e.utf8_error().valid_up_to()),
    })
}

fn decode_utf16(bytes: &[u8]) -> Option<Result<String, ReadError>> {
    let (le, body) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => return None,
    };
    let units = body.chunks_exact(2).map(|c| {
        if le {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    Some(
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| ReadError::NotUtf16),
    )
}
