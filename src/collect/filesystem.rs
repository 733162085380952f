//! Where the snapshot loader reads its files from: the disk, or a tree held in memory.
//!
//! The loader ([`super::snapshot`] and [`super::kustomize`]) discovers files, follows
//! kustomizations between directories, resolves symbolic links and reads text. It asks a
//! [`FileSystem`] for each of those steps, so that `--snapshot` reads the disk ([`Disk`])
//! and `--repo` reads the period end's Git tree straight from the object database
//! ([`MemoryTree`]), through the same code and with the same paths, locators and problems.
//!
//! A [`MemoryTree`] is a set of files and symbolic links under a root path that exists
//! nowhere on disk. Its links are followed as the operating system follows them (relative
//! to the link's directory, `..` after the link's target), but only inside the tree: a link
//! whose target is absolute or climbs out of the root, a link to nothing, and a chain of more
//! than [`MAX_LINKS`] links (a loop) are errors naming the link, and so is a path that climbs
//! out of the root with `..`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::snapshot::{Text, TextError, decode_text};
use crate::base::input::{self, InputError};

/// What a path names, its links followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EntryKind {
    File,
    Dir,
    /// A device, a socket, a pipe.
    Other,
}

/// The file operations of the loader.
pub(super) trait FileSystem: Sync {
    /// What `path` names, links followed (as `fs::metadata`).
    fn kind(&self, path: &Path) -> io::Result<EntryKind>;
    /// `path` itself is a symbolic link (as `Path::is_symlink`).
    fn is_symlink(&self, path: &Path) -> bool;
    /// The entries of a directory, each as `dir.join(name)`, in no particular order.
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<PathBuf>>;
    /// The path with every link followed and `.`/`..` resolved (as `fs::canonicalize`).
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;
    /// A file as text, by the rules of [`super::snapshot::read_text`].
    fn read_text(&self, path: &Path, limit: u64) -> Result<Text, TextError>;
    /// A small UTF-8 file, whole (as [`input::read_to_string`]).
    fn read_to_string(&self, path: &Path, limit: u64) -> Result<String, InputError>;
    /// The disk: a snapshot directory's `manifest.json` is read only from there.
    fn is_disk(&self) -> bool;

    fn is_file(&self, path: &Path) -> bool {
        matches!(self.kind(path), Ok(EntryKind::File))
    }

    fn is_dir(&self, path: &Path) -> bool {
        matches!(self.kind(path), Ok(EntryKind::Dir))
    }
}

/// The disk, as `--snapshot` reads it.
pub(super) struct Disk;

impl FileSystem for Disk {
    fn kind(&self, path: &Path) -> io::Result<EntryKind> {
        let meta = fs::metadata(path)?;
        Ok(if meta.is_file() {
            EntryKind::File
        } else if meta.is_dir() {
            EntryKind::Dir
        } else {
            EntryKind::Other
        })
    }

    fn is_symlink(&self, path: &Path) -> bool {
        path.is_symlink()
    }

    fn read_dir(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        Ok(fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect())
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        fs::canonicalize(path)
    }

    fn read_text(&self, path: &Path, limit: u64) -> Result<Text, TextError> {
        super::snapshot::read_text(path, limit)
    }

    fn read_to_string(&self, path: &Path, limit: u64) -> Result<String, InputError> {
        input::read_to_string(path, limit)
    }

    fn is_disk(&self) -> bool {
        true
    }
}

/// Links followed at most this many times in one path; more is a loop (Linux stops at 40).
pub(super) const MAX_LINKS: usize = 40;

/// One entry of a [`MemoryTree`].
#[derive(Clone, Debug)]
enum Node {
    File(Arc<[u8]>),
    /// A symbolic link and its target, as stored.
    Link(String),
    Dir(BTreeSet<String>),
}

/// Files and symbolic links under a root that exists nowhere on disk.
pub(super) struct MemoryTree {
    root: PathBuf,
    /// By path relative to the root, `a/b.yaml`; the root itself is `""`.
    nodes: HashMap<String, Node>,
}

/// Why a path could not be resolved inside the tree.
enum Unresolved {
    NotFound,
    /// A link (its path in the tree, its target) that leads out of the tree.
    Outside(String, String),
    /// A link met more than [`MAX_LINKS`] times over: its path.
    Loop(String),
    /// `..` above the root.
    Above,
    /// A path component that is a file.
    NotADirectory,
}

impl MemoryTree {
    /// A tree under `root` (an absolute path that is not on disk) of `files` (path relative
    /// to the root, content) and `links` (path, target).
    pub(super) fn new(
        root: PathBuf,
        files: impl IntoIterator<Item = (String, Arc<[u8]>)>,
        links: impl IntoIterator<Item = (String, String)>,
    ) -> MemoryTree {
        let mut nodes: HashMap<String, Node> = HashMap::new();
        let mut dirs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        dirs.insert(String::new(), BTreeSet::new());
        let add = |path: &str, dirs: &mut BTreeMap<String, BTreeSet<String>>| {
            let mut parent = String::new();
            for part in path.split('/') {
                dirs.entry(parent.clone())
                    .or_default()
                    .insert(part.to_string());
                if !parent.is_empty() {
                    parent.push('/');
                }
                parent.push_str(part);
            }
        };
        for (path, bytes) in files {
            add(&path, &mut dirs);
            nodes.insert(path, Node::File(bytes));
        }
        for (path, target) in links {
            add(&path, &mut dirs);
            nodes.insert(path, Node::Link(target));
        }
        for (dir, names) in dirs {
            // A path both a directory and a file cannot come from one tree; the file wins.
            nodes.entry(dir).or_insert(Node::Dir(names));
        }
        MemoryTree { root, nodes }
    }

    /// `path` relative to the root, as components; None when it is not under the root.
    fn relative<'p>(&self, path: &'p Path) -> Option<Vec<Component<'p>>> {
        let rest = path.strip_prefix(&self.root).ok()?;
        Some(rest.components().collect())
    }

    /// Resolves `path` to an entry of the tree, following links (the last one too when
    /// `follow_last`).
    fn resolve(&self, path: &Path, follow_last: bool) -> Result<String, Unresolved> {
        let Some(parts) = self.relative(path) else {
            return Err(Unresolved::NotFound);
        };
        // Components still to walk, the next last; each knows if it came from the path
        // itself (so it is the last one) or from a link's target.
        let mut todo: Vec<String> = parts
            .iter()
            .rev()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
                Component::ParentDir => Some("..".to_string()),
                _ => None,
            })
            .collect();
        let mut at: Vec<String> = Vec::new();
        let mut links = 0usize;
        while let Some(part) = todo.pop() {
            match part.as_str() {
                "." | "" => continue,
                ".." => {
                    if at.pop().is_none() {
                        return Err(Unresolved::Above);
                    }
                    continue;
                }
                _ => {}
            }
            let here = if at.is_empty() {
                String::new()
            } else {
                at.join("/")
            };
            match self.nodes.get(&here) {
                Some(Node::Dir(_)) => {}
                Some(_) => return Err(Unresolved::NotADirectory),
                None => return Err(Unresolved::NotFound),
            }
            let candidate = if here.is_empty() {
                part.clone()
            } else {
                format!("{here}/{part}")
            };
            match self.nodes.get(&candidate) {
                Some(Node::Link(target)) if follow_last || !todo.is_empty() => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(Unresolved::Loop(candidate));
                    }
                    if target.starts_with('/') {
                        return Err(Unresolved::Outside(candidate, target.clone()));
                    }
                    // Climbing out through the target is leaving the tree too.
                    let mut depth = at.len() as isize;
                    for t in target.split('/') {
                        match t {
                            "" | "." => {}
                            ".." => depth -= 1,
                            _ => depth += 1,
                        }
                        if depth < 0 {
                            return Err(Unresolved::Outside(candidate, target.clone()));
                        }
                    }
                    todo.extend(target.split('/').rev().map(str::to_string));
                }
                Some(_) => at.push(part),
                None => return Err(Unresolved::NotFound),
            }
        }
        Ok(at.join("/"))
    }

    /// The entry `path` names, links followed, or the error the operating system would give
    /// (with the link named where one is at fault).
    fn entry(&self, path: &Path) -> io::Result<&Node> {
        match self.resolve(path, true) {
            Ok(rel) => self.nodes.get(&rel).ok_or_else(not_found),
            Err(e) => Err(self.error(e)),
        }
    }

    fn error(&self, e: Unresolved) -> io::Error {
        match e {
            Unresolved::NotFound => not_found(),
            Unresolved::NotADirectory => io::Error::new(
                io::ErrorKind::NotADirectory,
                "a component of the path is a file",
            ),
            Unresolved::Above => {
                io::Error::other("the path leads outside the repository: not followed")
            }
            Unresolved::Outside(link, target) => io::Error::other(format!(
                "`{link}` is a symbolic link to `{target}`, outside the repository: not followed"
            )),
            Unresolved::Loop(link) => io::Error::other(format!(
                "`{link}` is in a loop of symbolic links (more than {MAX_LINKS} followed): not \
                 followed"
            )),
        }
    }

    fn bytes(&self, path: &Path) -> io::Result<&Arc<[u8]>> {
        match self.entry(path)? {
            Node::File(bytes) => Ok(bytes),
            Node::Dir(_) => Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            )),
            Node::Link(_) => Err(not_found()),
        }
    }
}

fn not_found() -> io::Error {
    io::Error::from(io::ErrorKind::NotFound)
}

impl FileSystem for MemoryTree {
    fn kind(&self, path: &Path) -> io::Result<EntryKind> {
        Ok(match self.entry(path)? {
            Node::File(_) => EntryKind::File,
            Node::Dir(_) => EntryKind::Dir,
            Node::Link(_) => EntryKind::Other,
        })
    }

    fn is_symlink(&self, path: &Path) -> bool {
        matches!(
            self.resolve(path, false).map(|rel| self.nodes.get(&rel)),
            Ok(Some(Node::Link(_)))
        )
    }

    fn read_dir(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        match self.entry(dir)? {
            Node::Dir(names) => Ok(names.iter().map(|n| dir.join(n)).collect()),
            _ => Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            )),
        }
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let rel = self.resolve(path, true).map_err(|e| self.error(e))?;
        Ok(if rel.is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        })
    }

    fn read_text(&self, path: &Path, limit: u64) -> Result<Text, TextError> {
        // As `read_text` reads a file: the size first, then a NUL in the first 8 KiB
        // (outside UTF-16) is junk, then the whole.
        const SNIFF: usize = 8 << 10;
        let bytes = self.bytes(path).map_err(InputError::Io)?;
        let size = bytes.len() as u64;
        if size > limit {
            return Err(InputError::TooLarge { size, limit }.into());
        }
        let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
        let head = &bytes[..bytes.len().min(SNIFF)];
        if !utf16 && let Some(offset) = memchr::memchr(0, head) {
            return Err(TextError::Binary { offset });
        }
        decode_text(bytes.to_vec())
    }

    fn read_to_string(&self, path: &Path, limit: u64) -> Result<String, InputError> {
        let bytes = self.bytes(path)?;
        let size = bytes.len() as u64;
        if size > limit {
            return Err(InputError::TooLarge { size, limit });
        }
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        String::from_utf8(bytes.to_vec()).map_err(|e| InputError::NotUtf8 {
            line: input::line_of_bad_byte(e.as_bytes(), e.utf8_error().valid_up_to()),
        })
    }

    fn is_disk(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> MemoryTree {
        let file = |p: &str| (p.to_string(), Arc::<[u8]>::from(&b"kind: X\n"[..]));
        let link = |p: &str, t: &str| (p.to_string(), t.to_string());
        MemoryTree::new(
            PathBuf::from("/mem/root"),
            [file("apps/api.yaml"), file("base/web.yaml")],
            [
                link("overlays/api.yaml", "../apps/api.yaml"),
                link("overlays/base", "../base"),
                link("overlays/out.yaml", "../../outside.yaml"),
                link("overlays/abs.yaml", "/etc/passwd"),
                link("overlays/gone.yaml", "missing.yaml"),
                link("overlays/a.yaml", "b.yaml"),
                link("overlays/b.yaml", "a.yaml"),
            ],
        )
    }

    #[test]
    fn links_inside_the_tree_are_followed() {
        let t = tree();
        let p = |s: &str| PathBuf::from("/mem/root").join(s);
        assert_eq!(t.kind(&p("overlays/api.yaml")).unwrap(), EntryKind::File);
        assert!(t.is_symlink(&p("overlays/api.yaml")));
        assert!(!t.is_symlink(&p("apps/api.yaml")));
        assert_eq!(t.kind(&p("overlays/base")).unwrap(), EntryKind::Dir);
        assert_eq!(
            t.kind(&p("overlays/base/web.yaml")).unwrap(),
            EntryKind::File
        );
        assert_eq!(
            t.canonicalize(&p("overlays/base/../apps/./api.yaml"))
                .unwrap(),
            p("apps/api.yaml")
        );
        assert_eq!(t.read_dir(&p("base")).unwrap(), [p("base/web.yaml")]);
        assert_eq!(
            t.read_text(&p("overlays/api.yaml"), 100).unwrap().text,
            "kind: X\n"
        );
    }

    #[test]
    fn links_out_of_the_tree_dangling_links_and_loops_are_errors_naming_the_link() {
        let t = tree();
        let p = |s: &str| PathBuf::from("/mem/root").join(s);
        let message = |s: &str| t.kind(&p(s)).unwrap_err().to_string();
        assert!(message("overlays/out.yaml").contains(
            "`overlays/out.yaml` is a symbolic link to `../../outside.yaml`, outside the repository"
        ));
        assert!(message("overlays/abs.yaml").contains("outside the repository"));
        assert!(message("overlays/a.yaml").contains("loop of symbolic links"));
        assert_eq!(
            t.kind(&p("overlays/gone.yaml")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert!(t.is_symlink(&p("overlays/gone.yaml")));
        assert!(t.kind(&p("../outside.yaml")).is_err());
        assert!(t.kind(&p("apps/../../x")).is_err());
        assert!(t.kind(Path::new("/etc/passwd")).is_err());
    }
}
