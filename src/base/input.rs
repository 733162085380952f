//! Files the user gives: opened and read one safe way.
//!
//! Every reader of a user-given file goes through [`open`] (snapshot files, `version.json` and
//! `manifest.json` of a snapshot, `--config`, `--exceptions`, `--catalog` files, `--eol-data`,
//! `--templates` files, `--kubeconfig`, `--pubkey`, `--sign-key`, the bundle `verify` reads)
//! and, unless it streams, [`read`] or [`read_to_string`]. Only regular files are read: a
//! FIFO would block the run forever, and a device such as `/dev/zero` never ends. The kind
//! is checked before the open (opening some devices has effects of its own) and again on
//! the opened descriptor, which is what is read: a file swapped for a FIFO between the two
//! is still refused. The open is non-blocking, so even a FIFO that slips through the first
//! check cannot hang it. Whole-file reads are capped (`--max-file-size`): a file larger than
//! the cap, or one that grows past it while being read, is refused, and at most cap + 1
//! bytes are ever read. Streamed inputs (the bundle `verify` unpacks, API audit logs) are
//! exempt from the cap but not from the regular-file rule; their readers bound what they take
//! themselves ([`Opened::into_file`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// The default of `--max-file-size`: 1 GiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 1 << 30;

/// Why a user-given file was not read. Messages do not name the file: the caller's error or
/// problem does, once.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("it is {what}, not a regular file; only regular files are read")]
    NotRegular { what: &'static str },
    #[error(
        "it is {size} bytes, over the {limit}-byte limit on input files (--max-file-size); \
         not read"
    )]
    TooLarge { size: u64, limit: u64 },
    #[error(
        "it grew past the {limit}-byte limit on input files (--max-file-size) while it was \
         read; not read"
    )]
    Grew { limit: u64 },
    #[error("not valid UTF-8 (first bad byte at line {line}); save it as UTF-8")]
    NotUtf8 { line: u32 },
}

impl InputError {
    /// True when the file does not exist (or a path component is missing).
    pub fn is_not_found(&self) -> bool {
        matches!(self, InputError::Io(e) if e.kind() == io::ErrorKind::NotFound)
    }

    /// The line of the first bad byte of a file that is not UTF-8.
    pub fn line(&self) -> Option<u32> {
        match self {
            InputError::NotUtf8 { line } => Some(*line),
            _ => None,
        }
    }
}

/// A user-given regular file, open for reading, with its size when opened.
#[derive(Debug)]
pub struct Opened {
    file: File,
    /// The size `fstat` gave: what the file held when it was opened.
    pub size: u64,
}

impl Opened {
    /// The open file, for a reader that streams it.
    pub fn into_file(self) -> File {
        self.file
    }

    /// Reads what is left into `buf`, refusing a file whose size is over `limit` or that
    /// grows past it: at most `limit + 1` bytes are ever read.
    pub fn read_rest(&mut self, buf: &mut Vec<u8>, limit: u64) -> Result<(), InputError> {
        if self.size > limit {
            return Err(InputError::TooLarge {
                size: self.size,
                limit,
            });
        }
        let room = limit.saturating_add(1).saturating_sub(buf.len() as u64);
        (&mut self.file).take(room).read_to_end(buf)?;
        if buf.len() as u64 > limit {
            return Err(InputError::Grew { limit });
        }
        Ok(())
    }

    /// Reads up to `n` bytes into `buf` (fewer at the end of the file).
    pub fn read_some(&mut self, buf: &mut Vec<u8>, n: u64) -> Result<(), InputError> {
        (&mut self.file).take(n).read_to_end(buf)?;
        Ok(())
    }
}

/// What a file that is not regular is, in words (None for a regular file).
pub fn describe(kind: fs::FileType) -> Option<&'static str> {
    Some(if kind.is_file() {
        return None;
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    })
}

/// Opens a user-given file for reading: only a regular file (symbolic links followed), checked
/// before the open and on the opened descriptor; non-blocking and close-on-exec.
pub fn open(path: &Path) -> Result<Opened, InputError> {
    if let Some(what) = describe(fs::metadata(path)?.file_type()) {
        return Err(InputError::NotRegular { what });
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?;
    let meta = file.metadata()?;
    if let Some(what) = describe(meta.file_type()) {
        return Err(InputError::NotRegular { what });
    }
    Ok(Opened {
        file,
        size: meta.len(),
    })
}

/// Reads a whole user-given file of at most `limit` bytes (see [`open`]).
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    let mut opened = open(path)?;
    let mut bytes = Vec::with_capacity(opened.size.min(limit) as usize);
    opened.read_rest(&mut bytes, limit)?;
    Ok(bytes)
}

/// [`read`], as UTF-8 text (a BOM is dropped); anything else is refused with the line of
/// the first bad byte.
pub fn read_to_string(path: &Path, limit: u64) -> Result<String, InputError> {
    let mut bytes = read(path, limit)?;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| InputError::NotUtf8 {
        line: line_of_bad_byte(e.as_bytes(), e.utf8_error().valid_up_to()),
    })
}

/// UTF-16 text with a byte order mark (little- or big-endian), which PowerShell's `>` and
/// some Windows editors write, as a string; None when the bytes do not start with a UTF-16
/// byte order mark or are not valid UTF-16 (an odd trailing byte is dropped). Every reader
/// of user files and repository blobs decodes UTF-16 through this one function.
pub fn decode_utf16(bytes: &[u8]) -> Option<String> {
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
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

/// The 1-based line of byte `offset`.
pub fn line_of_bad_byte(bytes: &[u8], offset: usize) -> u32 {
    1 + memchr::memchr_iter(b'\n', &bytes[..offset]).count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn regular_files_are_read_whole_within_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "\u{feff}a: 1\n").unwrap();
        assert_eq!(read_to_string(&path, 100).unwrap(), "a: 1\n");
        assert_eq!(read(&path, 8).unwrap().len(), 8);
        let e = read(&path, 7).unwrap_err();
        assert!(
            matches!(e, InputError::TooLarge { size: 8, limit: 7 }),
            "{e:?}"
        );
        assert!(e.to_string().contains("--max-file-size"), "{e}");
    }

    #[test]
    fn fifos_and_devices_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.yaml");
        mkfifo(&fifo);
        let started = Instant::now();
        let e = read(&fifo, 100).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(
            e.to_string(),
            "it is a FIFO (named pipe), not a regular file; only regular files are read"
        );
        let e = read(Path::new("/dev/zero"), 100).unwrap_err();
        assert!(e.to_string().contains("a character device"), "{e}");
        let e = read(dir.path(), 100).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        assert!(
            read(&dir.path().join("missing"), 1)
                .unwrap_err()
                .is_not_found()
        );
    }

    #[test]
    fn a_file_that_is_not_utf8_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        fs::write(&path, b"a\nb\n\xff\n").unwrap();
        let e = read_to_string(&path, 100).unwrap_err();
        assert_eq!(e.line(), Some(3));
    }
}
