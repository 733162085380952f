//! A tree diff that reads only what changed: two trees are walked side by side and a
//! subtree whose object id is the same on both sides is skipped without being read.
//!
//! Takes two tree ids (either may be absent: a root commit, a removed directory) and a path
//! filter, and gives the blobs that were added, removed or modified under paths the filter
//! keeps, plus the submodules met on the way (noted, never followed) and the symbolic links
//! added or changed (whatever the filter says: the manifest loader follows links to
//! directories as well as files). [`diff_within`] also takes the directories worth entering,
//! so that tracing a few files back does not read every changed subtree. The diff itself has
//! no rename detection (a moved file is a removal and an addition, as `git log --no-renames`
//! shows it) and never reads blob contents; [`renames`] pairs the removals and additions of
//! one diff the way git's default rename detection does (the same blob, else at least 50%
//! similar content), reading blobs only when both a removal and an addition are left to
//! compare. A subtree that cannot be read (missing, or a corrupt loose object) is noted with
//! its directory and the rest of the trees are still compared; only an unreadable root tree
//! fails the diff.

use git2::{Oid, Tree};

use super::objects::Objects;

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
    /// Symbolic links added or changed: their path and the blob holding each side's target.
    pub links: Vec<Change>,
    /// Paths of submodules added or changed.
    pub submodules: Vec<String>,
    /// Directories whose tree could not be read on one side: what changed under them is
    /// unknown.
    pub unreadable: Vec<Unreadable>,
}

/// A directory whose tree could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// `apps/web/`, with its slash.
    pub dir: String,
    /// What failed, naming the tree.
    pub message: String,
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

/// Which paths a diff reports, and which directories it enters.
struct Filter<'a> {
    /// Files (by path) whose changes are kept.
    keep: &'a dyn Fn(&str) -> bool,
    /// Directories (by path with its slash, `apps/web/`) that may hold a kept file.
    descend: &'a dyn Fn(&str) -> bool,
}

/// Diffs two trees, keeping the blobs whose path `keep` accepts.
pub fn diff(
    repo: &Objects,
    old: Option<Oid>,
    new: Option<Oid>,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Diff, git2::Error> {
    diff_within(repo, old, new, keep, &|_| true)
}

/// [`diff`], entering only the directories `descend` accepts (given with their slash,
/// `apps/web/`): what changed elsewhere is not read.
pub fn diff_within(
    repo: &Objects,
    old: Option<Oid>,
    new: Option<Oid>,
    keep: &dyn Fn(&str) -> bool,
    descend: &dyn Fn(&str) -> bool,
) -> Result<Diff, git2::Error> {
    let mut out = Diff::default();
    if old == new {
        return Ok(out);
    }
    let old = old.map(|id| tree(repo, id, "")).transpose()?;
    let new = new.map(|id| tree(repo, id, "")).transpose()?;
    let filter = Filter { keep, descend };
    walk(repo, old.as_ref(), new.as_ref(), "", &filter, &mut out)?;
    Ok(out)
}

/// Reads the tree of directory `dir` (`apps/`; empty for the root), naming both on error.
fn tree<'r>(repo: &'r Objects, id: Oid, dir: &str) -> Result<Tree<'r>, git2::Error> {
    repo.tree(id).map_err(|e| {
        let at = if dir.is_empty() {
            "the root directory".to_string()
        } else {
            format!("`{dir}`")
        };
        git2::Error::from_str(&format!("cannot read tree {id} ({at}): {}", e.message()))
    })
}

/// Every blob of a tree whose path `keep` accepts, as additions.
pub fn list(repo: &Objects, tree: Oid, keep: &dyn Fn(&str) -> bool) -> Result<Diff, git2::Error> {
    diff(repo, None, Some(tree), keep)
}

fn walk(
    repo: &Objects,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
    prefix: &str,
    filter: &Filter<'_>,
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
                side(repo, Some(&a[i]), None, prefix, filter, out)?;
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                side(repo, None, Some(&b[j]), prefix, filter, out)?;
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                let (x, y) = (&a[i], &b[j]);
                if x.id != y.id || x.mode != y.mode {
                    if x.is_tree() == y.is_tree() {
                        side(repo, Some(x), Some(y), prefix, filter, out)?;
                    } else {
                        side(repo, Some(x), None, prefix, filter, out)?;
                        side(repo, None, Some(y), prefix, filter, out)?;
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
    repo: &Objects,
    old: Option<&Entry>,
    new: Option<&Entry>,
    prefix: &str,
    filter: &Filter<'_>,
    out: &mut Diff,
) -> Result<(), git2::Error> {
    let name = old.or(new).map(|e| &e.name[..]).unwrap_or_default();
    let path = format!("{prefix}{}", String::from_utf8_lossy(name));
    let any = old.or(new).expect("one side exists");
    if any.is_tree() {
        let dir = format!("{path}/");
        if !(filter.descend)(&dir) {
            return Ok(());
        }
        let load = |e: Option<&Entry>| -> Result<Option<Tree<'_>>, git2::Error> {
            e.map(|e| tree(repo, e.id, &dir)).transpose()
        };
        let (o, n) = match (load(old), load(new)) {
            (Ok(o), Ok(n)) => (o, n),
            (Err(e), _) | (_, Err(e)) => {
                out.unreadable.push(Unreadable {
                    dir,
                    message: e.message().to_string(),
                });
                return Ok(());
            }
        };
        return walk(repo, o.as_ref(), n.as_ref(), &dir, filter, out);
    }
    if new.is_some_and(|e| e.mode == MODE_COMMIT) {
        out.submodules.push(path);
        return Ok(());
    }
    if let Some(n) = new.filter(|e| e.mode == MODE_LINK) {
        let o = old.filter(|e| e.mode == MODE_LINK).map(|e| e.id);
        if o != Some(n.id) {
            out.links.push(Change {
                path: path.clone(),
                old: o,
                new: Some(n.id),
            });
        }
    }
    let blob = |e: Option<&Entry>| e.filter(|e| is_file(e.mode)).map(|e| e.id);
    let (o, n) = (blob(old), blob(new));
    if (o.is_some() || n.is_some()) && o != n && (filter.keep)(&path) {
        out.changes.push(Change {
            path,
            old: o,
            new: n,
        });
    }
    Ok(())
}

/// Git's default rename threshold (`-M50%`): a removed and an added file at least this
/// similar are one file moved.
pub const RENAME_SIMILARITY: u64 = 50;

/// Pairs compared by content in one diff at most (removals times additions left after the
/// exact matches), as git's `diff.renameLimit` bounds its own search: a commit that moves
/// more at once with edits is read as removals and additions, as git reads it then.
const RENAME_PAIRS_LIMIT: usize = 250_000;

/// A file moved: indexes of its removal and its addition in [`Diff::changes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rename {
    pub from: usize,
    pub to: usize,
}

/// The renames among `changes` whose paths `keep` accepts on both sides: first a removal and
/// an addition of the same blob, then, by git's similarity (the bytes of lines the two
/// files share against the larger size), pairs at least [`RENAME_SIMILARITY`]% alike, best
/// first, each file in at most one pair. `read` gives a blob's bytes (None: unreadable, so
/// never paired by content). Ties go to the first paths in tree order, so a run is the same
/// every time.
pub fn renames(
    changes: &[Change],
    keep: &dyn Fn(&str) -> bool,
    read: &dyn Fn(Oid) -> Option<Vec<u8>>,
) -> Vec<Rename> {
    let removed: Vec<usize> = (0..changes.len())
        .filter(|&i| changes[i].new.is_none() && changes[i].old.is_some())
        .filter(|&i| keep(&changes[i].path))
        .collect();
    let added: Vec<usize> = (0..changes.len())
        .filter(|&i| changes[i].old.is_none() && changes[i].new.is_some())
        .filter(|&i| keep(&changes[i].path))
        .collect();
    let mut out = Vec::new();
    if removed.is_empty() || added.is_empty() {
        return out;
    }
    let mut taken_from = vec![false; removed.len()];
    let mut taken_to = vec![false; added.len()];
    for (a, &to) in added.iter().enumerate() {
        let found = removed
            .iter()
            .enumerate()
            .find(|(r, from)| !taken_from[*r] && changes[**from].old == changes[to].new);
        if let Some((r, &from)) = found {
            taken_from[r] = true;
            taken_to[a] = true;
            out.push(Rename { from, to });
        }
    }
    let left_from: Vec<usize> = (0..removed.len()).filter(|r| !taken_from[*r]).collect();
    let left_to: Vec<usize> = (0..added.len()).filter(|a| !taken_to[*a]).collect();
    if left_from.is_empty()
        || left_to.is_empty()
        || left_from.len() * left_to.len() > RENAME_PAIRS_LIMIT
    {
        return out;
    }
    let lines = |i: usize, id: Option<Oid>| id.and_then(read).map(|b| (i, Lines::of(&b)));
    let froms: Vec<(usize, Lines)> = left_from
        .iter()
        .filter_map(|&r| lines(removed[r], changes[removed[r]].old))
        .collect();
    let tos: Vec<(usize, Lines)> = left_to
        .iter()
        .filter_map(|&a| lines(added[a], changes[added[a]].new))
        .collect();
    let mut scored: Vec<(u64, usize, usize)> = Vec::new();
    for (from, a) in &froms {
        for (to, b) in &tos {
            let score = a.similarity(b);
            if score >= RENAME_SIMILARITY {
                scored.push((score, *from, *to));
            }
        }
    }
    // Best first; among equals, the first paths.
    scored.sort_by(|x, y| y.0.cmp(&x.0).then((x.1, x.2).cmp(&(y.1, y.2))));
    let mut used = std::collections::HashSet::new();
    for (_, from, to) in scored {
        if used.contains(&from) || used.contains(&to) {
            continue;
        }
        used.insert(from);
        used.insert(to);
        out.push(Rename { from, to });
    }
    out.sort_by_key(|r| (r.to, r.from));
    out
}

/// A file's lines, for similarity: each distinct line's hash with the bytes it holds in the
/// file (line end included), sorted by hash.
struct Lines {
    size: u64,
    counts: Vec<(u64, u64)>,
}

impl Lines {
    fn of(bytes: &[u8]) -> Lines {
        use std::hash::{Hash, Hasher};
        let mut counts: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            line.hash(&mut h);
            *counts.entry(h.finish()).or_default() += line.len() as u64;
        }
        let mut counts: Vec<(u64, u64)> = counts.into_iter().collect();
        counts.sort_unstable();
        Lines {
            size: bytes.len() as u64,
            counts,
        }
    }

    /// Per cent of the larger file's bytes that are lines both files hold.
    fn similarity(&self, other: &Lines) -> u64 {
        let larger = self.size.max(other.size);
        if larger == 0 {
            return 100;
        }
        // Files whose sizes differ by more than half cannot be half alike.
        if self.size.min(other.size) * 100 < larger * RENAME_SIMILARITY {
            return 0;
        }
        let (mut i, mut j, mut shared) = (0, 0, 0);
        while i < self.counts.len() && j < other.counts.len() {
            let (a, b) = (self.counts[i], other.counts[j]);
            match a.0.cmp(&b.0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    shared += a.1.min(b.1);
                    i += 1;
                    j += 1;
                }
            }
        }
        shared * 100 / larger
    }
}

/// Regular and executable files; symbolic links and submodules are not content.
fn is_file(mode: i32) -> bool {
    mode != MODE_LINK && mode != MODE_COMMIT && mode != MODE_TREE
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

    fn change(path: &str, old: Option<&str>, new: Option<&str>) -> Change {
        let id = |t: &str| Oid::hash_object(git2::ObjectType::Blob, t.as_bytes()).unwrap();
        Change {
            path: path.into(),
            old: old.map(id),
            new: new.map(id),
        }
    }

    #[test]
    fn moved_files_pair_by_blob_then_by_half_their_content() {
        let deploy = "kind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:1.0\n";
        let edited = deploy.replace("replicas: 2", "replicas: 3");
        let other = "kind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n";
        let texts = [
            deploy,
            &edited,
            other,
            "x: 1\n",
            "unrelated: true\nlines: [1, 2, 3]\n",
        ];
        let read = |id: Oid| {
            texts
                .iter()
                .find(|t| Oid::hash_object(git2::ObjectType::Blob, t.as_bytes()).unwrap() == id)
                .map(|t| t.as_bytes().to_vec())
        };
        let changes = [
            change("a/api.yaml", Some(deploy), None),
            change("a/same.yaml", Some(other), None),
            change("a/gone.yaml", Some("x: 1\n"), None),
            change("b/api.yaml", None, Some(&edited)),
            change(
                "b/new.yaml",
                None,
                Some("unrelated: true\nlines: [1, 2, 3]\n"),
            ),
            change("b/same.yaml", None, Some(other)),
            change("c/kept.yaml", Some(other), Some(deploy)),
        ];
        let all = |_: &str| true;
        assert_eq!(
            renames(&changes, &all, &read),
            [Rename { from: 0, to: 3 }, Rename { from: 1, to: 5 }]
        );
        // Only paths the filter keeps are paired.
        let no_a = |p: &str| !p.starts_with("a/api");
        assert_eq!(renames(&changes, &no_a, &read), [Rename { from: 1, to: 5 }]);
        // Less than half alike: a removal and an addition.
        let rewritten = [
            change("a/api.yaml", Some(deploy), None),
            change("b/api.yaml", None, Some(other)),
        ];
        assert_eq!(renames(&rewritten, &all, &read), []);
        // A blob that cannot be read pairs only by its id, never by content.
        let unreadable = [
            change("a/api.yaml", Some(deploy), None),
            change("b/api.yaml", None, Some("not in the object database\n")),
        ];
        assert_eq!(renames(&unreadable, &all, &read), []);
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
