//! `.tar.gz` bundles: written deterministically, extracted safely.
//!
//! [`write_tar_gz`] writes regular files only, in the order given, each with the same fixed
//! header fields (mode 0644, owner 0, the given mtime, no user or group names), inside a gzip
//! stream whose header has no file name and no time, so the same files give the same bytes.
//!
//! [`extract`] unpacks an archive from anyone into a directory for verification, reading it
//! as `tar xzf` does, so that what is verified is what `tar` would extract: every gzip
//! member, decoded as one stream, up to the tar end-of-archive marker (two zero blocks). It
//! refuses, with an error naming the entry, anything that could write outside the directory
//! or that a bundle never holds: absolute paths, `..`, symbolic and hard links, devices and
//! FIFOs, a name given twice (`tar` extracts the last over the first). It refuses an archive
//! that two readers could read differently: one with no end-of-archive marker (cut short, or
//! the first piece of a stitched one), one with anything but zeros after the marker (GNU
//! tar pads an archive to its record size with zeros), and bytes after the last gzip member.
//! It stops at [`Limits`] on the number of entries, the size of each file and the total
//! unpacked, counting the bytes actually read, not the sizes headers claim.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::bufread::GzDecoder;
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
        "{archive}: the file is corrupt or is not a bundle: cannot read it as a gzip-compressed tar archive"
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
    #[error(
        "{archive}: {what}; the archive is not as evidencer writes it, and `tar` could extract other files than those verified: nothing from it is trusted"
    )]
    Ambiguous { archive: String, what: String },
    #[error("{archive}: {what}; refusing to unpack more")]
    TooBig { archive: String, what: String },
    #[error("cannot unpack {archive} into {}", .dir.display())]
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
    let file = fs::File::open(archive).map_err(|source| ExtractError::Corrupt {
        archive: shown.clone(),
        source,
    })?;
    extract_from(file, &shown, dir, limits)
}

/// [`extract`] from a reader; `shown` names the archive in errors.
pub fn extract_from<R: Read>(
    reader: R,
    shown: &str,
    dir: &Path,
    limits: Limits,
) -> Result<Vec<String>, ExtractError> {
    let mut stream = Tracked {
        inner: Members::new(io::BufReader::new(reader)),
        pos: 0,
        eof: false,
    };
    let mut entries = Entries {
        shown,
        dir,
        limits,
        seen: BTreeSet::new(),
        files: Vec::new(),
        last: None,
        total: 0,
    };
    entries.unpack(&mut stream)?;
    let end = end_of_archive(&mut stream, entries.last.as_deref());
    // An error reading the tail is still the archive's: bytes after the gzip stream are
    // found there.
    end.map_err(|e| entries.corrupt(e))?
        .map_or(Ok(()), |what| {
            Err(ExtractError::Ambiguous {
                archive: shown.to_string(),
                what,
            })
        })?;
    Ok(entries.files)
}

/// The state of one extraction.
struct Entries<'a> {
    shown: &'a str,
    dir: &'a Path,
    limits: Limits,
    seen: BTreeSet<String>,
    files: Vec<String>,
    /// The name of the last entry read, for errors about what follows it.
    last: Option<String>,
    total: u64,
}

impl Entries<'_> {
    /// A read error: bytes after the gzip stream are named as such, the rest is corruption.
    fn corrupt(&self, source: io::Error) -> ExtractError {
        match source
            .get_ref()
            .and_then(|e| e.downcast_ref::<AfterTheEnd>())
        {
            Some(after) => ExtractError::Ambiguous {
                archive: self.shown.to_string(),
                what: after.to_string(),
            },
            None => ExtractError::Corrupt {
                archive: self.shown.to_string(),
                source,
            },
        }
    }

    fn unsafe_entry(&self, entry: &str, why: &str) -> ExtractError {
        ExtractError::Unsafe {
            archive: self.shown.to_string(),
            entry: entry.to_string(),
            why: why.to_string(),
        }
    }

    fn too_big(&self, what: String) -> ExtractError {
        ExtractError::TooBig {
            archive: self.shown.to_string(),
            what,
        }
    }

    fn write_err(&self, source: io::Error) -> ExtractError {
        ExtractError::Write {
            archive: self.shown.to_string(),
            dir: self.dir.to_path_buf(),
            source,
        }
    }

    /// Reads the entries up to tar's end of the archive: its first zero block, or the end
    /// of the stream.
    fn unpack<R: Read>(&mut self, stream: &mut R) -> Result<(), ExtractError> {
        let mut tar = tar::Archive::new(stream);
        let mut count = 0usize;
        for entry in tar.entries().map_err(|e| self.corrupt(e))? {
            let mut entry = entry.map_err(|e| self.corrupt(e))?;
            count += 1;
            if count > self.limits.max_entries {
                return Err(self.too_big(format!("more than {} entries", self.limits.max_entries)));
            }
            let raw = entry.path_bytes().into_owned();
            let name = String::from_utf8_lossy(&raw).into_owned();
            self.last = Some(name.clone());
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
                return Err(
                    self.unsafe_entry(&name, &format!("{why}; a bundle holds only regular files"))
                );
            }
            let Some(rel) = safe_path(&raw) else {
                return Err(self.unsafe_entry(
                    &name,
                    "its path is absolute, climbs out with `..`, or is not plain UTF-8 text",
                ));
            };
            if kind == EntryType::Directory {
                if !rel.is_empty() {
                    fs::create_dir_all(self.dir.join(&rel)).map_err(|e| self.write_err(e))?;
                }
                continue;
            }
            if rel.is_empty() {
                return Err(self.unsafe_entry(&name, "a file with no name"));
            }
            if !self.seen.insert(rel.clone()) {
                return Err(self.unsafe_entry(
                    &rel,
                    "the archive holds two files of this name, and `tar` extracts the last over the first",
                ));
            }
            let claimed = entry.header().size().map_err(|e| self.corrupt(e))?;
            if claimed > self.limits.max_file_bytes {
                return Err(self.too_big(format!(
                    "`{rel}` is {claimed} bytes, over the limit of {} per file",
                    self.limits.max_file_bytes
                )));
            }
            let target = self.dir.join(&rel);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(|e| self.write_err(e))?;
            }
            let mut out = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&target)
                .map_err(|e| self.write_err(e))?;
            // Read no more than the limits allow, whatever the header said.
            let budget = self
                .limits
                .max_file_bytes
                .min(self.limits.max_total_bytes.saturating_sub(self.total));
            let copied = io::copy(&mut (&mut entry).take(budget + 1), &mut out).map_err(|e| {
                if e.kind() == io::ErrorKind::InvalidData
                    || e.kind() == io::ErrorKind::UnexpectedEof
                {
                    self.corrupt(e)
                } else {
                    self.write_err(e)
                }
            })?;
            if copied > budget {
                return Err(self.too_big(if budget < self.limits.max_file_bytes {
                    format!(
                        "more than {} bytes unpacked in all",
                        self.limits.max_total_bytes
                    )
                } else {
                    format!(
                        "`{rel}` is over the limit of {} bytes per file",
                        self.limits.max_file_bytes
                    )
                }));
            }
            self.total += copied;
            self.files.push(rel);
        }
        Ok(())
    }
}

const BLOCK: usize = 512;

/// The most zeros accepted after the end-of-archive marker: GNU tar pads to its record size
/// (10 KiB unless `--blocking-factor` says otherwise); 16 MiB covers any record size in use
/// and takes no time to read.
const MAX_PADDING: u64 = 16 << 20;

/// What is wrong with the end of the tar stream, after the entries: `None` when it is the
/// end-of-archive marker (two zero blocks) followed by nothing but zeros.
fn end_of_archive<R: Read>(
    stream: &mut Tracked<R>,
    last: Option<&str>,
) -> io::Result<Option<String>> {
    let after = match last {
        Some(name) => format!("after `{name}`"),
        None => "before any entry".to_string(),
    };
    if stream.eof {
        return Ok(Some(format!(
            "the tar stream ends {after} with no end-of-archive marker (two zero blocks): it was cut short, or is the first piece of archives stitched together"
        )));
    }
    // The reader stopped at the first zero block.
    let marker = stream.pos - BLOCK as u64;
    let mut zero_blocks = 1u64;
    let mut block = [0u8; BLOCK];
    loop {
        let n = read_block(stream, &mut block)?;
        if n == 0 {
            break;
        }
        if let Some(i) = block[..n].iter().position(|b| *b != 0) {
            let at = stream.pos - n as u64 + i as u64;
            let entry = if i == 0 && n == BLOCK {
                header_name(stream, &block)?
            } else {
                None
            };
            return Ok(Some(format!(
                "data after the end-of-archive marker, at byte {at} of the tar stream{}",
                match entry {
                    Some(name) =>
                        format!(": an entry `{name}`, which `tar --ignore-zeros` would extract"),
                    None => String::new(),
                }
            )));
        }
        if n < BLOCK {
            break;
        }
        zero_blocks += 1;
        if stream.pos - marker > MAX_PADDING {
            return Ok(Some(format!(
                "more than {MAX_PADDING} bytes of zeros after the end-of-archive marker"
            )));
        }
    }
    Ok((zero_blocks < 2).then(|| {
        format!(
            "the tar stream ends {after} with one zero block and no end-of-archive marker (two zero blocks): it was cut short"
        )
    }))
}

/// Fills `block` as far as the stream goes; the bytes read (less than a block only at its end).
fn read_block<R: Read>(stream: &mut R, block: &mut [u8; BLOCK]) -> io::Result<usize> {
    let mut read = 0;
    while read < BLOCK {
        match stream.read(&mut block[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(read)
}

/// The name a valid tar header in `block` gives its entry (reading a GNU long name from
/// the block after it); `None` when the block is not a header.
fn header_name<R: Read>(stream: &mut R, block: &[u8; BLOCK]) -> io::Result<Option<String>> {
    let header = Header::from_byte_slice(block);
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    if header.cksum().ok() != Some(sum) {
        return Ok(None);
    }
    let raw = if header.entry_type().is_gnu_longname() {
        let mut next = [0u8; BLOCK];
        let n = read_block(stream, &mut next)?;
        let end = next[..n].iter().position(|b| *b == 0).unwrap_or(n);
        next[..end].to_vec()
    } else {
        header.path_bytes().into_owned()
    };
    Ok(Some(String::from_utf8_lossy(&raw).into_owned()))
}

/// The decompressed stream, with how far it has been read and whether its end was met.
struct Tracked<R> {
    inner: R,
    pos: u64,
    eof: bool,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.eof = true;
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// Every gzip member of a stream, decoded one after another as gzip and `tar xzf` read
/// them (what flate2's `MultiGzDecoder` does), but bytes after the last member that do
/// not start another are an [`AfterTheEnd`] error, not a vague invalid header.
struct Members<R: BufRead> {
    decoder: Option<GzDecoder<Counted<R>>>,
    /// Where the current member starts in the compressed file.
    start: u64,
    members: u32,
}

impl<R: BufRead> Members<R> {
    fn new(reader: R) -> Self {
        Members {
            decoder: Some(GzDecoder::new(Counted {
                inner: reader,
                consumed: 0,
            })),
            start: 0,
            members: 1,
        }
    }
}

impl<R: BufRead> Read for Members<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            match decoder.read(buf) {
                Ok(0) if !buf.is_empty() => {}
                Ok(n) => return Ok(n),
                // A later member that does not even start with a gzip header: trailing
                // bytes, counted to the end.
                Err(_) if self.members > 1 && decoder.header().is_none() => {
                    let mut rest = self.decoder.take().expect("a decoder").into_inner();
                    let end = rest.consumed + io::copy(&mut rest, &mut io::sink())?;
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        AfterTheEnd {
                            at: self.start,
                            bytes: end - self.start,
                        },
                    ));
                }
                Err(e) => return Err(e),
            }
            // The member ended: another follows, or the file ends.
            let mut rest = self.decoder.take().expect("a decoder").into_inner();
            if rest.fill_buf()?.is_empty() {
                return Ok(0);
            }
            self.start = rest.consumed;
            self.members += 1;
            self.decoder = Some(GzDecoder::new(rest));
        }
    }
}

/// Bytes after the gzip stream that are not another member.
#[derive(Debug)]
struct AfterTheEnd {
    at: u64,
    bytes: u64,
}

impl std::fmt::Display for AfterTheEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} byte(s) after the end at byte {} are not part of the gzip stream",
            self.bytes, self.at
        )
    }
}

impl std::error::Error for AfterTheEnd {}

/// A buffered reader that counts the bytes taken from it.
struct Counted<R> {
    inner: R,
    consumed: u64,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.consumed += amount as u64;
        self.inner.consume(amount);
    }
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

    /// The same files give the same bytes because nothing else goes in: no clock (the gzip
    /// header's time is 0, each entry has the time given), no owner or group names, no
    /// modes or ids from a file system, and no operating system in the gzip header.
    #[test]
    fn an_archive_holds_only_the_files_and_the_time_given() {
        let files: &[(&str, &[u8])] = &[("a/b.json", b"{}"), (&"x/".repeat(80), b"long")];
        let bytes = tar_gz(files);
        assert_eq!(bytes[4..8], [0, 0, 0, 0], "gzip MTIME");
        assert_eq!(bytes[9], 255, "gzip OS: unknown");
        let mut tar = tar::Archive::new(GzDecoder::new(&bytes[..]));
        for entry in tar.entries().unwrap() {
            let header = entry.unwrap().header().clone();
            assert_eq!(header.mtime().unwrap(), 1_700_000_000);
            assert_eq!(header.mode().unwrap(), 0o644);
            assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
            assert_eq!(header.username_bytes(), Some(&b""[..]));
            assert_eq!(header.groupname_bytes(), Some(&b""[..]));
        }
        let got = unpack(&bytes, Limits::default()).unwrap();
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

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    fn tar(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, bytes) in files {
            let mut h = Header::new_gnu();
            h.set_size(bytes.len() as u64);
            tar.append_data(&mut h, path, *bytes).unwrap();
        }
        tar.into_inner().unwrap()
    }

    #[test]
    fn every_gzip_member_is_read_as_tar_reads_it() {
        // The entries split over two members, the end marker in the second.
        let whole = tar(&[("a", b"1"), ("b", b"2")]);
        let mut two = gzip(&whole[..1024]);
        two.extend(gzip(&whole[1024..]));
        assert_eq!(unpack(&two, Limits::default()).unwrap(), ["a", "b"]);
        // A second member naming a file again.
        let mut stitched = gzip(&whole[..whole.len() - 1024]);
        stitched.extend(gzip(&tar(&[("a", b"edited")])));
        let e = unpack(&stitched, Limits::default()).unwrap_err();
        assert!(matches!(e, ExtractError::Unsafe { .. }), "{e}");
        assert!(e.to_string().contains("refused entry `a`"), "{e}");
    }

    #[test]
    fn the_end_marker_is_required_and_only_zeros_may_follow() {
        let whole = tar(&[("a", b"1")]);
        let ok = |bytes: &[u8]| unpack(&gzip(bytes), Limits::default());
        let mut padded = whole.clone();
        padded.resize(10240, 0);
        assert_eq!(ok(&padded).unwrap(), ["a"]);
        for (bytes, wanted) in [
            (
                whole[..whole.len() - 1024].to_vec(),
                "ends after `a` with no end-of-archive marker",
            ),
            (
                whole[..whole.len() - 512].to_vec(),
                "ends after `a` with one zero block",
            ),
            (
                [whole.as_slice(), b"x"].concat(),
                &format!(
                    "data after the end-of-archive marker, at byte {}",
                    whole.len()
                ),
            ),
            (
                [whole.as_slice(), &tar(&[("b", b"2")])].concat(),
                "an entry `b`, which `tar --ignore-zeros` would extract",
            ),
            (
                [whole.as_slice(), &tar(&[(&"long/".repeat(40), b"2")])].concat(),
                &format!("an entry `{}`", "long/".repeat(40)),
            ),
        ] {
            let e = ok(&bytes).unwrap_err();
            assert!(matches!(e, ExtractError::Ambiguous { .. }), "{e}");
            assert!(e.to_string().contains(wanted), "{e}");
        }
        let mut junk = gzip(&whole);
        let at = junk.len();
        junk.extend_from_slice(b"junk");
        let e = unpack(&junk, Limits::default()).unwrap_err();
        assert!(
            e.to_string()
                .contains(&format!("4 byte(s) after the end at byte {at}")),
            "{e}"
        );
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
