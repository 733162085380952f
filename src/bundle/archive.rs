//! `.tar.gz` bundles: written deterministically, extracted safely.
//!
//! [`write_tar_gz`] writes regular files only, in the order given, each with the same fixed
//! header fields (mode 0644, owner 0, the given mtime, no user or group names), inside a gzip
//! stream whose header has no file name and no time, so the same files give the same bytes.
//!
//! [`extract`] unpacks an archive from anyone into a directory for verification and refuses,
//! with an error naming the entry, anything that could write outside it or that a bundle
//! never holds: absolute paths, `..`, symbolic and hard links, devices and FIFOs, a name
//! given twice; it stops at [`Limits`] on the number of entries, the size of each file and
//! the total unpacked, counting the bytes actually read, not the sizes headers claim.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use tar::{EntryType, Header};

/// Writes `files` (path in the archive, bytes) as a gzip-compressed tar stream.
pub fn write_tar_gz<W: Write>(
    out: W,
    files: &[(&str, &[u8])],
    mtime: u64,
) -> io::Result<GzEncoder<W>> {
    let gz = flate2::GzBuilder::new()
        .operating_system(255)
        .write(out, Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (path, bytes) in files {
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        header.set_size(bytes.len() as u64);
        tar.append_data(&mut header, path, *bytes)?;
    }
    tar.into_inner()
}

/// Bounds on what [`extract`] unpacks.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_entries: usize,
    pub max_file_bytes: u64,
    pub max_total_bytes: u64,
}

impl Default for Limits {
    /// 500,000 entries, 2 GiB per file, 8 GiB in all: far above any bundle's needs, far
    /// below what fills a disk.
    fn default() -> Self {
        Self {
            max_entries: 500_000,
            max_file_bytes: 2 << 30,
            max_total_bytes: 8 << 30,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error(
        "{archive}: cannot read it as a gzip-compressed tar archive ({source}); the file is corrupt or is not a bundle"
    )]
    Corrupt {
        archive: String,
        #[source]
        source: io::Error,
    },
    #[error("{archive}: refused entry `{entry}`: {why}; nothing from the archive is trusted")]
    Unsafe {
        archive: String,
        entry: String,
        why: String,
    },
    #[error("{archive}: {what}; refusing to unpack more")]
    TooBig { archive: String, what: String },
    #[error("cannot unpack {archive} into {}: {source}", .dir.display())]
    Write {
        archive: String,
        dir: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Unpacks the `.tar.gz` at `archive` into `dir` (which must exist and be empty), by the
/// rules in the module docs. Returns the paths of the files unpacked, `/`-separated.
pub fn extract(archive: &Path, dir: &Path, limits: Limits) -> Result<Vec<String>, ExtractError> {
    let shown = archive.display().to_string();
    let corrupt = |source: io::Error| ExtractError::Corrupt {
        archive: shown.clone(),
        source,
    };
    let file = fs::File::open(archive).map_err(&corrupt)?;
    extract_from(io::BufReader::new(file), &shown, dir, limits)
}

/// [`extract`] from a reader; `shown` names the archive in errors.
pub fn extract_from<R: Read>(
    reader: R,
    shown: &str,
    dir: &Path,
    limits: Limits,
) -> Result<Vec<String>, ExtractError> {
    let corrupt = |source: io::Error| ExtractError::Corrupt {
        archive: shown.to_string(),
        source,
    };
    let unsafe_entry = |entry: &str, why: &str| ExtractError::Unsafe {
        archive: shown.to_string(),
        entry: entry.to_string(),
        why: why.to_string(),
    };
    let too_big = |what: String| ExtractError::TooBig {
        archive: shown.to_string(),
        what,
    };
    let write_err = |source: io::Error| ExtractError::Write {
        archive: shown.to_string(),
        dir: dir.to_path_buf(),
        source,
    };
    let mut tar = tar::Archive::new(GzDecoder::new(reader));
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut files = Vec::new();
    let (mut count, mut total) = (0usize, 0u64);
    for entry in tar.entries().map_err(&corrupt)? {
        let mut entry = entry.map_err(&corrupt)?;
        count += 1;
        if count > limits.max_entries {
            return Err(too_big(format!("more than {} entries", limits.max_entries)));
        }
        let raw = entry.path_bytes().into_owned();
        let name = String::from_utf8_lossy(&raw).into_owned();
        let kind = entry.header().entry_type();
        let why = match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::Directory => None,
            EntryType::XGlobalHeader => continue,
            EntryType::Symlink => Some("it is a symbolic link"),
            EntryType::Link => Some("it is a hard link"),
            EntryType::Char | EntryType::Block => Some("it is a device file"),
            EntryType::Fifo => Some("it is a FIFO"),
            EntryType::GNUSparse => Some("it is a sparse file"),
            _ => Some("it is not a regular file or directory"),
        };
        if let Some(why) = why {
            return Err(unsafe_entry(
                &name,
                &format!("{why}; a bundle holds only regular files"),
            ));
        }
        let Some(rel) = safe_path(&raw) else {
            return Err(unsafe_entry(
                &name,
                "its path is absolute, climbs out with `..`, or is not plain UTF-8 text",
            ));
        };
        if kind == EntryType::Directory {
            if !rel.is_empty() {
                fs::create_dir_all(dir.join(&rel)).map_err(&write_err)?;
            }
            continue;
        }
        if rel.is_empty() {
            return Err(unsafe_entry(&name, "a file with no name"));
        }
        if !seen.insert(rel.clone()) {
            return Err(unsafe_entry(
                &name,
                "the archive holds two files of this name",
            ));
        }
        let claimed = entry.header().size().map_err(&corrupt)?;
        if claimed > limits.max_file_bytes {
            return Err(too_big(format!(
                "`{rel}` is {claimed} bytes, over the limit of {} per file",
                limits.max_file_bytes
            )));
        }
        let target = dir.join(&rel);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(&write_err)?;
        }
        let mut out = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(&write_err)?;
        // Read no more than the limits allow, whatever the header said.
        let budget = limits
            .max_file_bytes
            .min(limits.max_total_bytes.saturating_sub(total));
        let copied = io::copy(&mut (&mut entry).take(budget + 1), &mut out).map_err(|e| {
            if e.kind() == io::ErrorKind::InvalidData || e.kind() == io::ErrorKind::UnexpectedEof {
                corrupt(e)
            } else {
                write_err(e)
            }
        })?;
        if copied > budget {
            return Err(too_big(if budget < limits.max_file_bytes {
                format!("more than {} bytes unpacked in all", limits.max_total_bytes)
            } else {
                format!(
                    "`{rel}` is over the limit of {} bytes per file",
                    limits.max_file_bytes
                )
            }));
        }
        total += copied;
        files.push(rel);
    }
    Ok(files)
}

/// The entry's path as `/`-separated components below the target, leading `./` dropped;
/// None for an absolute path, a `..` component, a backslash, a NUL or text that is not
/// UTF-8. An empty string is the archive root.
fn safe_path(raw: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(raw).ok()?;
    if text.starts_with('/') || text.contains(['\\', '\0']) {
        return None;
    }
    let mut parts = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p if p.len() >= 2 && p.as_bytes()[1] == b':' && parts.is_empty() => return None,
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_gz(files: &[(&str, &[u8])]) -> Vec<u8> {
        write_tar_gz(Vec::new(), files, 1_700_000_000)
            .unwrap()
            .finish()
            .unwrap()
    }

    /// An archive with one raw header, as an attacker would write it.
    fn raw_entry(name: &str, kind: EntryType, link: Option<&str>, body: &[u8]) -> Vec<u8> {
        let mut header = Header::new_gnu();
        {
            let gnu = header.as_gnu_mut().unwrap();
            gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        }
        header.set_entry_type(kind);
        header.set_mode(0o644);
        header.set_size(body.len() as u64);
        if let Some(l) = link {
            header.set_link_name(l).unwrap();
        }
        header.set_cksum();
        let mut tar = tar::Builder::new(Vec::new());
        tar.append(&header, body).unwrap();
        let bytes = tar.into_inner().unwrap();
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(&bytes).unwrap();
        gz.finish().unwrap()
    }

    fn unpack(bytes: &[u8], limits: Limits) -> Result<Vec<String>, ExtractError> {
        let dir = tempfile::tempdir().unwrap();
        extract_from(bytes, "b.tar.gz", dir.path(), limits)
    }

    #[test]
    fn the_same_files_give_the_same_bytes() {
        let files: &[(&str, &[u8])] = &[("a/b.json", b"{}"), (&"x/".repeat(80), b"long")];
        assert_eq!(tar_gz(files), tar_gz(files));
        let got = unpack(&tar_gz(files), Limits::default()).unwrap();
        assert_eq!(got, ["a/b.json".to_string(), "x/".repeat(79) + "x"]);
    }

    #[test]
    fn entries_that_escape_or_are_not_files_are_refused() {
        let cases = [
            raw_entry("../evil", EntryType::Regular, None, b"x"),
            raw_entry("a/../../evil", EntryType::Regular, None, b"x"),
            raw_entry("/etc/evil", EntryType::Regular, None, b"x"),
            raw_entry("link", EntryType::Symlink, Some("/etc/passwd"), b""),
            raw_entry("hard", EntryType::Link, Some("/etc/passwd"), b""),
            raw_entry("dev", EntryType::Char, None, b""),
            raw_entry("fifo", EntryType::Fifo, None, b""),
        ];
        for bytes in cases {
            let e = unpack(&bytes, Limits::default()).unwrap_err();
            assert!(matches!(e, ExtractError::Unsafe { .. }), "{e}");
            assert!(e.to_string().contains("refused entry"), "{e}");
        }
    }

    #[test]
    fn leading_dot_slash_and_directories_are_fine() {
        let mut tar = tar::Builder::new(Vec::new());
        let mut dir = Header::new_gnu();
        dir.set_entry_type(EntryType::Directory);
        dir.set_size(0);
        tar.append_data(&mut dir, "./", io::empty()).unwrap();
        let mut f = Header::new_gnu();
        f.set_size(2);
        tar.append_data(&mut f, "./reports/x", &b"hi"[..]).unwrap();
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(&tar.into_inner().unwrap()).unwrap();
        assert_eq!(
            unpack(&gz.finish().unwrap(), Limits::default()).unwrap(),
            ["reports/x"]
        );
    }

    #[test]
    fn limits_stop_the_unpacking() {
        let files: &[(&str, &[u8])] = &[("a", &[0u8; 100]), ("b", &[0u8; 100]), ("c", b"")];
        let bytes = tar_gz(files);
        let small = |e, f, t| Limits {
            max_entries: e,
            max_file_bytes: f,
            max_total_bytes: t,
        };
        let e = unpack(&bytes, small(2, 1000, 1000)).unwrap_err();
        assert!(e.to_string().contains("more than 2 entries"), "{e}");
        let e = unpack(&bytes, small(10, 50, 1000)).unwrap_err();
        assert!(e.to_string().contains("`a` is 100 bytes"), "{e}");
        let e = unpack(&bytes, small(10, 1000, 150)).unwrap_err();
        assert!(e.to_string().contains("in all"), "{e}");
        assert!(unpack(&bytes, small(10, 100, 200)).is_ok());
    }

    #[test]
    fn corrupt_archives_get_a_clear_error() {
        let mut bytes = tar_gz(&[("a", &[7u8; 5000])]);
        let e = unpack(b"not gzip at all", Limits::default()).unwrap_err();
        assert!(e.to_string().contains("corrupt or is not a bundle"), "{e}");
        bytes.truncate(bytes.len() / 2);
        let e = unpack(&bytes, Limits::default()).unwrap_err();
        assert!(matches!(e, ExtractError::Corrupt { .. }), "{e}");
    }

    #[test]
    fn paths_are_checked_component_by_component() {
        assert_eq!(safe_path(b"./a/./b").as_deref(), Some("a/b"));
        assert_eq!(safe_path(b"./").as_deref(), Some(""));
        assert_eq!(safe_path(b"a..b/c").as_deref(), Some("a..b/c"));
        for bad in [
            &b"../x"[..],
            b"/x",
            b"a/../../x",
            b"a\\..\\x",
            b"C:/x",
            b"\xff",
        ] {
            assert_eq!(safe_path(bad), None, "{bad:?}");
        }
    }
}
