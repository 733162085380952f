//! A tree diff that reads only what changed: two trees are walked side by side and a
//! subtree whose object id is the same on both sides is skipped without being read.
//!
//! Takes two tree ids (either may be absent: a root commit, a removed directory) and a path
//! filter, and gives the blobs that were added, removed or modified under paths the filter
//! keeps, plus the submodules met on the way (noted, never followed). No rename detection:
//! a moved file is a removal and an addition, as `git log --no-renames` shows it. Blob
//! contents are never read here.

use git2::{ObjectType, Oid, Repository, Tree};

/// File modes as git stores them.
const MODE_TREE: i32 = 0o040000;
const MODE_LINK: i32 = 0o120000;
const MODE_COMMIT: i32 = 0o160000;

/// One changed file: its path and the blob on each side (None where it did not exist).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub old: Option<Oid>,
    pub new: Option<Oid>,
}

/// What one diff found.
#[derive(Debug, Default)]
pub struct Diff {
    pub changes: Vec<Change>,
    /// Paths of submodules added or changed.
    pub submodules: Vec<String>,
}

/// A tree entry, copied out of the tree so both sides can be compared.
struct Entry {
    name: Vec<u8>,
    id: Oid,
    mode: i32,
}

impl Entry {
    fn is_tree(&self) -> bool {
        self.mode == MODE_TREE
    }
}

fn entries(tree: Option<&Tree<'_>>) -> Vec<Entry> {
    let Some(tree) = tree else {
        return Vec::new();
    };
    tree.iter()
        .map(|e| Entry {
            name: e.name_bytes().to_vec(),
            id: e.id(),
            mode: e.filemode(),
        })
        .collect()
}

/// Git's tree order: names byte by byte, a directory as if its name ended in `/`.
fn compare(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    let tail = |e: &Entry| if e.is_tree() { Some(b'/') } else { None };
    a.name
        .iter()
        .copied()
        .map(Some)
        .chain([tail(a)])
        .cmp(b.name.iter().copied().map(Some).chain([tail(b)]))
}

/// Diffs two trees, keeping the blobs whose path `keep` accepts.
pub fn diff(
    repo: &Repository,
    old: Option<Oid>,
    new: Option<Oid>,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Diff, git2::Error> {
    let mut out = Diff::default();
    if old == new {
        return Ok(out);
    }
    let old = old.map(|id| repo.find_tree(id)).transpose()?;
    let new = new.map(|id| repo.find_tree(id)).transpose()?;
    walk(repo, old.as_ref(), new.as_ref(), "", keep, &mut out)?;
    Ok(out)
}

/// Every blob of a tree whose path `keep` accepts, as additions.
pub fn list(
    repo: &Repository,
    tree: Oid,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Diff, git2::Error> {
    diff(repo, None, Some(tree), keep)
}

fn walk(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
    prefix: &str,
    keep: &dyn Fn(&str) -> bool,
    out: &mut Diff,
) -> Result<(), git2::Error> {
    let a = entries(old);
    let b = entries(new);
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let order = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => compare(x, y),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match order {
            std::cmp::Ordering::Less => {
                side(repo, Some(&a[i]), None, prefix, keep, out)?;
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                side(repo, None, Some(&b[j]), prefix, keep, out)?;
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                let (x, y) = (&a[i], &b[j]);
                if x.id != y.id || x.mode != y.mode {
                    if x.is_tree() == y.is_tree() {
                        side(repo, Some(x), Some(y), prefix, keep, out)?;
                    } else {
                        side(repo, Some(x), None, prefix, keep, out)?;
                        side(repo, None, Some(y), prefix, keep, out)?;
                    }
                }
                i += 1;
                j += 1;
            }
        }
    }
    Ok(())
}

/// One entry that differs: recurse into trees, report blobs and submodules.
fn side(
    repo: &Repository,
    old: Option<&Entry>,
    new: Option<&Entry>,
    prefix: &str,
    keep: &dyn Fn(&str) -> bool,
    out: &mut Diff,
) -> Result<(), git2::Error> {
    let name = old.or(new).map(|e| &e.name[..]).unwrap_or_default();
    let path = format!("{prefix}{}", String::from_utf8_lossy(name));
    let any = old.or(new).expect("one side exists");
    if any.is_tree() {
        let load = |e: Option<&Entry>| -> Result<Option<Tree<'_>>, git2::Error> {
            e.map(|e| repo.find_tree(e.id)).transpose()
        };
        let (o, n) = (load(old)?, load(new)?);
        return walk(repo, o.as_ref(), n.as_ref(), &format!("{path}/"), keep, out);
    }
    if new.is_some_and(|e| e.mode == MODE_COMMIT) {
        out.submodules.push(path);
        return Ok(());
    }
    let blob = |e: Option<&Entry>| e.filter(|e| is_file(e.mode)).map(|e| e.id);
    let (o, n) = (blob(old), blob(new));
    if (o.is_some() || n.is_some()) && o != n && keep(&path) {
        out.changes.push(Change {
            path,
            old: o,
            new: n,
        });
    }
    Ok(())
}

/// Regular and executable files; symbolic links and submodules are not content.
fn is_file(mode: i32) -> bool {
    mode != MODE_LINK && mode != MODE_COMMIT && mode != MODE_TREE
}

/// Reads a blob unless it is larger than `limit` bytes: `Ok(None)` then, found from the
/// object header without inflating the blob.
pub fn read_blob(
    repo: &Repository,
    id: Oid,
    limit: u64,
) -> Result<Result<Vec<u8>, u64>, git2::Error> {
    let odb = repo.odb()?;
    let (size, kind) = odb.read_header(id)?;
    if kind != ObjectType::Blob {
        return Err(git2::Error::from_str(&format!(
            "object {id} is a {kind}, not a blob"
        )));
    }
    if size as u64 > limit {
        return Ok(Err(size as u64));
    }
    Ok(Ok(odb.read(id)?.data().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, tree: bool) -> Entry {
        Entry {
            name: name.as_bytes().to_vec(),
            id: Oid::ZERO_SHA1,
            mode: if tree { MODE_TREE } else { 0o100644 },
        }
    }

    #[test]
    fn directories_sort_as_if_they_ended_in_a_slash() {
        use std::cmp::Ordering::*;
        // "a.yaml" < "a/" because '.' (0x2e) < '/' (0x2f); "a-b" < "a/" too.
        assert_eq!(compare(&entry("a.yaml", false), &entry("a", true)), Less);
        assert_eq!(compare(&entry("a", true), &entry("a0", false)), Less);
        assert_eq!(compare(&entry("a", false), &entry("a", true)), Less);
        assert_eq!(compare(&entry("b", true), &entry("b", true)), Equal);
    }
}
