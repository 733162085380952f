//! Object reads that a corrupt loose object cannot hang.
//!
//! libgit2 1.9 (the newest that libgit2-sys bundles) inflates a truncated loose object
//! forever: its loose-object reader keeps asking zlib for output that the missing input can
//! never give (libgit2 issue 7342, fixed upstream after 1.9). Packed objects are inflated by
//! a loop that stops when zlib makes no progress, so only loose objects need a guard. Every
//! commit, tree and blob the collector reads goes through [`Objects`]: when the object is
//! loose (in the repository's object directory or an alternate), its file is inflated here
//! first, with a loop that stops when zlib makes no progress, and checked against its header
//! (`blob 1234\0`: the type and the exact length). A corrupt one becomes an error naming its
//! file; only a sound one is handed to libgit2. Blobs, which may be large, are taken from
//! that inflation directly (their id checked against their content, as libgit2 would) rather
//! than inflated twice.
//!
//! libgit2's own check of every object it reads against its id (SHA-1 with collision
//! detection over the whole object) is turned off by [`Objects::new`]: git does not check
//! objects on read either, and on a long history it was a quarter of the run. What becomes
//! evidence is still checked: [`Objects::evidence_blob`] hashes a packed blob and compares
//! it with its id, and loose objects are checked here as before.
//!
//! Which objects are loose is learnt by listing each fan-out directory (`objects/3f/`) once,
//! on first use, so a packed repository costs one directory read per fan-out byte, not a
//! `stat` per object. An object that is both packed and loose is read from the pack by
//! libgit2, but a corrupt loose copy of it is still reported here (as `git fsck` would).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use flate2::{Decompress, FlushDecompress, Status};
use git2::{Commit, ObjectType, Oid, Repository, Tree};

/// How many alternates deep object directories are followed (git stops at 5 as well).
const MAX_ALTERNATE_DEPTH: usize = 5;

/// The longest object header: `commit ` and a 20-digit length and the NUL.
const MAX_HEADER: usize = 32;

/// The loose object files of a repository's object directories, listed on first use.
pub(super) struct Loose {
    dirs: Vec<PathBuf>,
    /// How messages name each directory: relative to the repository (`.git/objects`) for
    /// its own, as configured for an alternate.
    names: Vec<PathBuf>,
    /// Per directory, per first byte of the id: the rest of the ids of its loose objects.
    listed: Vec<Vec<OnceLock<HashSet<String>>>>,
}

impl Loose {
    /// The object directory of `repo` and its alternates.
    pub(super) fn of(repo: &Repository) -> Loose {
        let own = repo.commondir().join("objects");
        let mut dirs = Vec::new();
        add_with_alternates(&own, 0, &mut dirs);
        let own_name = repo
            .workdir()
            .and_then(|w| own.strip_prefix(w).ok())
            .unwrap_or(Path::new("objects"))
            .to_path_buf();
        let names = dirs
            .iter()
            .map(|d| {
                if *d == own {
                    own_name.clone()
                } else {
                    d.clone()
                }
            })
            .collect();
        let listed = dirs
            .iter()
            .map(|_| (0..256).map(|_| OnceLock::new()).collect())
            .collect();
        Loose {
            dirs,
            names,
            listed,
        }
    }

    /// The file of `id` when it is a loose object, and how messages name it.
    fn file(&self, id: Oid) -> Option<(PathBuf, PathBuf)> {
        let hex = id.to_string();
        let fanout = usize::from(id.as_bytes()[0]);
        (0..self.dirs.len()).find_map(|i| {
            let names = self.listed[i][fanout].get_or_init(|| list(&self.dirs[i].join(&hex[..2])));
            names.contains(&hex[2..]).then(|| {
                let file = Path::new(&hex[..2]).join(&hex[2..]);
                (self.dirs[i].join(&file), self.names[i].join(&file))
            })
        })
    }
}

fn add_with_alternates(dir: &Path, depth: usize, dirs: &mut Vec<PathBuf>) {
    if dirs.iter().any(|d| d == dir) {
        return;
    }
    dirs.push(dir.to_path_buf());
    if depth >= MAX_ALTERNATE_DEPTH {
        return;
    }
    let Ok(text) = std::fs::read_to_string(dir.join("info").join("alternates")) else {
        return;
    };
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // Relative alternates are relative to the object directory that names them.
        add_with_alternates(&dir.join(line), depth + 1, dirs);
    }
}

/// The file names of one fan-out directory (none when it does not exist).
fn list(dir: &Path) -> HashSet<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return HashSet::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.bytes().all(|b| b.is_ascii_hexdigit()))
        .collect()
}

/// A repository handle whose object reads are guarded against corrupt loose objects.
pub(super) struct Objects {
    repo: Repository,
    loose: Arc<Loose>,
}

impl Objects {
    pub(super) fn new(repo: Repository, loose: Arc<Loose>) -> Objects {
        // Process-wide; evidence blobs are checked by `evidence_blob`.
        git2::opts::strict_hash_verification(false);
        Objects { repo, loose }
    }

    pub(super) fn repo(&self) -> &Repository {
        &self.repo
    }

    /// Fails with what is wrong when `id` is a corrupt loose object.
    pub(super) fn check(&self, id: Oid) -> Result<(), git2::Error> {
        match self.loose.file(id) {
            Some((file, name)) => inflate(&file, &name, id, None).map(|_| ()),
            None => Ok(()),
        }
    }

    pub(super) fn commit(&self, id: Oid) -> Result<Commit<'_>, git2::Error> {
        self.check(id)?;
        self.repo.find_commit(id)
    }

    pub(super) fn tree(&self, id: Oid) -> Result<Tree<'_>, git2::Error> {
        self.check(id)?;
        self.repo.find_tree(id)
    }

    /// Reads a blob unless it is larger than `limit` bytes: `Ok(Err(size))` then, found from
    /// the object header without inflating the blob.
    pub(super) fn blob(&self, id: Oid, limit: u64) -> Result<Result<Vec<u8>, u64>, git2::Error> {
        let loose = match self.loose.file(id) {
            Some((file, name)) => inflate(&file, &name, id, Some(limit))?,
            None => None,
        };
        match loose {
            Some(Inflated::Object(ObjectType::Blob, data)) => return Ok(Ok(data)),
            Some(Inflated::Over(ObjectType::Blob, size)) => return Ok(Err(size)),
            Some(Inflated::Object(kind, _) | Inflated::Over(kind, _)) => {
                return Err(not_a_blob(id, kind));
            }
            None => {}
        }
        let odb = self.repo.odb()?;
        let (size, kind) = odb.read_header(id)?;
        if kind != ObjectType::Blob {
            return Err(not_a_blob(id, kind));
        }
        if size as u64 > limit {
            return Ok(Err(size as u64));
        }
        Ok(Ok(odb.read(id)?.data().to_vec()))
    }
}

impl Objects {
    /// [`Objects::blob`] for a blob that becomes evidence: its content is checked against
    /// its id (loose blobs already are), so what is cited is what the commit holds.
    pub(super) fn evidence_blob(
        &self,
        id: Oid,
        limit: u64,
    ) -> Result<Result<Vec<u8>, u64>, git2::Error> {
        let read = self.blob(id, limit)?;
        if let Ok(bytes) = &read
            && self.loose.file(id).is_none()
        {
            let actual = Oid::hash_object(ObjectType::Blob, bytes)?;
            if actual != id {
                return Err(git2::Error::from_str(&format!(
                    "object {id} is corrupt: its content hashes to {actual}"
                )));
            }
        }
        Ok(read)
    }
}

fn not_a_blob(id: Oid, kind: ObjectType) -> git2::Error {
    git2::Error::from_str(&format!("object {id} is a {kind}, not a blob"))
}

/// What inflating a loose object gave.
#[derive(Debug, PartialEq, Eq)]
enum Inflated {
    /// Sound; its content when it was kept.
    Object(ObjectType, Vec<u8>),
    /// Its header says it is larger than the limit: not inflated further.
    Over(ObjectType, u64),
}

/// Inflates the loose object file of `id`. With `keep`, the content of an object up to that
/// many bytes is returned (and its id checked against it); without, the whole object is
/// inflated and checked but nothing is kept. None when the file is gone since it was listed
/// (packed by a `git gc` meanwhile): libgit2 finds the object in its pack.
fn inflate(
    file: &Path,
    name: &Path,
    id: Oid,
    keep: Option<u64>,
) -> Result<Option<Inflated>, git2::Error> {
    let corrupt = |why: &str| {
        git2::Error::from_str(&format!(
            "its loose object file {} is corrupt ({why})",
            name.display()
        ))
    };
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(corrupt(&format!("cannot read it: {e}"))),
    };
    let inflated = inflate_bytes(&bytes, keep).map_err(|why| corrupt(&why))?;
    if let Inflated::Object(kind, data) = &inflated
        && keep.is_some()
        && Oid::hash_object(*kind, data)? != id
    {
        return Err(corrupt("its content does not match its id"));
    }
    Ok(Some(inflated))
}

/// The object in a loose object's bytes (zlib data of `type size\0content`), or why it is
/// not one. The loop stops as soon as zlib makes no progress, which is what a truncated file
/// comes to.
fn inflate_bytes(bytes: &[u8], keep: Option<u64>) -> Result<Inflated, String> {
    let mut z = Decompress::new(true);
    let mut buf = vec![0u8; 64 << 10];
    let mut header: Vec<u8> = Vec::new();
    let mut object: Option<(ObjectType, u64)> = None;
    let mut content: Vec<u8> = Vec::new();
    let mut length = 0u64;
    loop {
        let (in_before, out_before) = (z.total_in(), z.total_out());
        let input = &bytes[(in_before as usize).min(bytes.len())..];
        let status = z
            .decompress(input, &mut buf, FlushDecompress::None)
            .map_err(|e| format!("not zlib data: {e}"))?;
        let mut out = &buf[..(z.total_out() - out_before) as usize];
        if object.is_none() && !out.is_empty() {
            let nul = memchr::memchr(0, out);
            let take = nul.map_or(out.len(), |i| i + 1);
            header.extend_from_slice(&out[..take]);
            out = &out[take..];
            if header.len() > MAX_HEADER {
                return Err("no object header".into());
            }
            if nul.is_some() {
                let (kind, size) = parse_header(&header)?;
                if keep.is_some_and(|limit| size > limit) {
                    return Ok(Inflated::Over(kind, size));
                }
                if keep.is_some() {
                    content.reserve_exact(size as usize);
                }
                object = Some((kind, size));
            }
        }
        if let Some((_, size)) = object {
            length += out.len() as u64;
            if length > size {
                return Err(format!("longer than the {size} bytes its header says"));
            }
            if keep.is_some() {
                content.extend_from_slice(out);
            }
        }
        if status == Status::StreamEnd {
            break;
        }
        if z.total_in() == in_before && z.total_out() == out_before {
            return Err("its compressed data ends early: truncated".into());
        }
    }
    if (z.total_in() as usize) < bytes.len() {
        return Err("data after the end of its compressed stream".into());
    }
    let Some((kind, size)) = object else {
        return Err("no object header".into());
    };
    if length != size {
        return Err(format!(
            "{length} bytes where its header says {size}: truncated"
        ));
    }
    Ok(Inflated::Object(kind, content))
}

/// `blob 1234\0` → (blob, 1234).
fn parse_header(header: &[u8]) -> Result<(ObjectType, u64), String> {
    let text = header
        .strip_suffix(b"\0")
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or("no object header")?;
    let (kind, size) = text.split_once(' ').ok_or("no object header")?;
    let kind = match kind {
        "commit" => ObjectType::Commit,
        "tree" => ObjectType::Tree,
        "blob" => ObjectType::Blob,
        "tag" => ObjectType::Tag,
        other => return Err(format!("unknown object type `{other}`")),
    };
    let size = size
        .parse::<u64>()
        .map_err(|_| format!("bad length `{size}` in its header"))?;
    Ok((kind, size))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn deflate(raw: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(raw).unwrap();
        z.finish().unwrap()
    }

    #[test]
    fn a_sound_object_inflates_to_its_content() {
        let bytes = deflate(b"blob 5\0hello");
        assert_eq!(
            inflate_bytes(&bytes, Some(100)),
            Ok(Inflated::Object(ObjectType::Blob, b"hello".to_vec()))
        );
        assert_eq!(
            inflate_bytes(&bytes, None),
            Ok(Inflated::Object(ObjectType::Blob, Vec::new()))
        );
        assert_eq!(
            inflate_bytes(&bytes, Some(4)),
            Ok(Inflated::Over(ObjectType::Blob, 5))
        );
    }

    #[test]
    fn truncated_or_lying_objects_are_refused_without_looping() {
        let raw: Vec<u8> = b"blob 100000\0"
            .iter()
            .copied()
            .chain((0..100_000u32).map(|i| (i % 251) as u8))
            .collect();
        let bytes = deflate(&raw);
        for cut in [1, 2, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
            let err = inflate_bytes(&bytes[..cut], None).unwrap_err();
            assert!(
                err.contains("truncated") || err.contains("header"),
                "{cut}: {err}"
            );
        }
        let err = inflate_bytes(&deflate(b"blob 9\0hello"), None).unwrap_err();
        assert!(err.contains("5 bytes where its header says 9"), "{err}");
        let err = inflate_bytes(&deflate(b"blob 2\0hello"), None).unwrap_err();
        assert!(err.contains("longer than the 2 bytes"), "{err}");
        let err = inflate_bytes(&deflate(b"blub 5\0hello"), None).unwrap_err();
        assert!(err.contains("unknown object type `blub`"), "{err}");
        let err = inflate_bytes(b"not zlib at all", None).unwrap_err();
        assert!(err.contains("not zlib data"), "{err}");
        let mut trailing = deflate(b"blob 5\0hello");
        trailing.extend_from_slice(b"junk");
        let err = inflate_bytes(&trailing, None).unwrap_err();
        assert!(err.contains("data after the end"), "{err}");
    }
}
