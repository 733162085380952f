//! The walk over a ref's history, and the time each commit is counted at.
//!
//! A commit's committer time says when it landed, but whoever pushes writes it: a commit
//! dated 1970 must not end the walk before a quarter's commits, nor one dated years ahead
//! drop out of every period. So each commit is counted at its *effective time*: its committer
//! time when that is at or after its first parent's effective time and not after `--as-of`,
//! else its first parent's effective time. A commit without a parent (the first commit, or
//! where a shallow clone or an unreadable commit cuts the history) keeps its committer time
//! unless that is after `--as-of`; it is then counted at the Unix epoch, the earliest time,
//! so that it cannot hold back the commits after it. Effective times never decrease along
//! first parents, and each depends on every commit before it, so the walk reads the commit
//! headers (no trees) of the whole first-parent chain once, then picks the period's commits
//! by effective time. With `--all-parents` every reachable commit is read, each counted by the
//! same rule against its own first parent, and ordered newest first by effective time, a
//! commit always before its parents.
//!
//! Takes the repository's objects, the tip, `--as-of` and whether to follow every parent;
//! gives a [`Walk`]: [`Walk::period`] picks the period's commits, the period-end commit and
//! the base (the first commit before the period), and [`Walk::older`] goes on reading back
//! from there. Every commit read whose time was replaced is kept, with both times, for the
//! report.

use std::collections::{BinaryHeap, HashMap, HashSet};

use chrono::{DateTime, TimeZone, Utc};
use git2::Oid;

use super::objects::Objects;
use super::{CommitInfo, Progress};
use crate::evidence::period::Period;

/// One commit, as the walk orders it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Stamp {
    pub id: Oid,
    /// Committer time, seconds since the epoch.
    pub committed: i64,
    /// The time it is counted at.
    pub effective: i64,
    /// Its first parent, when the walk read it.
    pub parent: Option<Oid>,
    pub merge: bool,
}

impl Stamp {
    pub fn replaced(&self) -> bool {
        self.committed != self.effective
    }
}

/// The effective time of a commit committed at `committed`, given its first parent's
/// effective time (None for a commit without a readable parent).
pub(super) fn effective(committed: i64, parent: Option<i64>, as_of: i64) -> i64 {
    match parent {
        Some(p) if committed < p || committed > as_of => p,
        Some(_) => committed,
        // Counted first of all: it cannot hold back the commits after it.
        None if committed > as_of => 0,
        None => committed,
    }
}

/// Seconds since the epoch as a time.
pub(super) fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0).single().unwrap_or_default()
}

/// The commits of one period, as the rest of the collector reads them.
pub(super) struct Walked {
    /// The commit whose tree is the state at the period end: the last commit of the
    /// first-parent chain counted at or before it.
    pub end: Option<CommitInfo>,
    /// The commits counted in the period, newest first (merges left out with
    /// `--all-parents`).
    pub in_period: Vec<CommitInfo>,
    /// Commits counted after the period end.
    pub after_end: usize,
    /// The first commit before the period start, where tracing images back starts.
    pub base: Option<CommitInfo>,
    /// Effective times of the period's commits and their first parents.
    pub times: HashMap<Oid, DateTime<Utc>>,
}

/// A history, read: every commit's place and times. Commits that could not be read are
/// problems, not the end of the run.
pub(super) struct Walk<'o> {
    objects: &'o Objects,
    all_parents: bool,
    /// Newest first: the first-parent chain from the tip, or with `--all-parents` every
    /// reachable commit.
    order: Vec<Stamp>,
    /// Positions in `order` of the first-parent chain from the tip.
    chain: Vec<usize>,
    /// Positions in `order`, by id.
    position: HashMap<Oid, usize>,
    /// Where [`Walk::older`] goes on from.
    next: usize,
    /// The start of the period [`Walk::period`] picked (commits before it are older).
    start: i64,
    /// The commit where a shallow clone cuts the history, when there is one.
    pub cut: Option<CommitInfo>,
    /// Commits that could not be read, and why.
    pub broken: Vec<(Oid, String)>,
    /// Commits read so far whose time was replaced, in walk order.
    pub replaced: Vec<Stamp>,
    noted: HashSet<Oid>,
    /// The commits at the tip, newest first, made after `--as-of` (id, committer time):
    /// not read.
    pub after_as_of: Vec<(Oid, i64)>,
}

/// A commit header, before effective times are known.
struct Header {
    id: Oid,
    committed: i64,
    parents: Vec<Oid>,
}

impl<'o> Walk<'o> {
    /// Reads the headers of the history from `tip`.
    pub fn read(
        objects: &'o Objects,
        tip: Oid,
        all_parents: bool,
        as_of: DateTime<Utc>,
        progress: &Progress,
    ) -> Walk<'o> {
        progress.walking();
        let mut broken = Vec::new();
        let mut read = |id: Oid| -> Option<Header> {
            progress.walked();
            match objects.commit(id) {
                Ok(c) => Some(Header {
                    id,
                    committed: c.committer().when().seconds(),
                    parents: c.parent_ids().collect(),
                }),
                Err(e) => {
                    broken.push((id, e.message().to_string()));
                    None
                }
            }
        };
        let as_of = as_of.timestamp();
        let (from, after_as_of) = made_after(tip, as_of, &mut read);
        let headers = match from {
            None => Vec::new(),
            Some(from) if all_parents => every_commit(from, &mut read),
            Some(from) => first_parents(from, &mut read),
        };
        let (order, chain) = if all_parents {
            order_by_effective_time(headers, as_of)
        } else {
            chain_times(headers, as_of)
        };
        let position = order.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let mut walk = Walk {
            objects,
            all_parents,
            order,
            chain,
            position,
            next: 0,
            start: i64::MIN,
            cut: None,
            broken,
            replaced: Vec::new(),
            noted: HashSet::new(),
            after_as_of,
        };
        walk.cut = walk.find_cut();
        walk
    }

    /// The newest commit read: the tip, or the first one at or before `--as-of`.
    pub fn start_commit(&self) -> Option<Oid> {
        self.chain.first().map(|&i| self.order[i].id)
    }

    /// No commit at all could be read.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The commit a shallow clone cuts the history at: a parentless commit listed in
    /// `.git/shallow`, on the first-parent chain first.
    fn find_cut(&self) -> Option<CommitInfo> {
        let repo = self.objects.repo();
        if !repo.is_shallow() {
            return None;
        }
        // A list of commit ids; a file larger than this is not one.
        let listed: HashSet<Oid> =
            crate::base::input::read_to_string(&repo.path().join("shallow"), 64 << 20)
                .map(|s| {
                    s.lines()
                        .filter_map(|l| Oid::from_str(l.trim()).ok())
                        .collect()
                })
                .unwrap_or_default();
        let is_cut = |s: &Stamp| s.parent.is_none() && listed.contains(&s.id);
        let stamp = self
            .chain
            .iter()
            .map(|&i| &self.order[i])
            .find(|s| is_cut(s))
            .or_else(|| self.order.iter().find(|s| is_cut(s)))?;
        self.info(stamp).ok()
    }

    /// Reads a commit the walk has placed, without noting anything about it.
    pub fn info(&self, s: &Stamp) -> Result<CommitInfo, git2::Error> {
        let c = self.objects.commit(s.id)?;
        Ok(CommitInfo {
            id: s.id,
            time: at(s.effective),
            author: String::from_utf8_lossy(c.author().name_bytes()).into_owned(),
            parents: c.parent_ids().collect(),
            tree: c.tree_id(),
        })
    }

    /// Reads a commit the walk has placed; one that cannot be read now is broken.
    fn take(&mut self, s: &Stamp) -> Option<CommitInfo> {
        self.note(s);
        match self.info(s) {
            Ok(c) => Some(c),
            Err(e) => {
                self.broken.push((s.id, e.message().to_string()));
                None
            }
        }
    }

    /// Keeps a commit whose time was replaced, once.
    pub fn note(&mut self, s: &Stamp) {
        if s.replaced() && self.noted.insert(s.id) {
            self.replaced.push(*s);
        }
    }

    /// Picks the commits of `period`.
    pub fn period(&mut self, period: &Period) -> Walked {
        let (start, end) = (period.start.timestamp(), period.end.timestamp());
        self.start = start;
        let mut out = Walked {
            end: None,
            in_period: Vec::new(),
            after_end: 0,
            base: None,
            times: HashMap::new(),
        };
        let end_at = self
            .chain
            .iter()
            .map(|&i| self.order[i])
            .find(|s| s.effective <= end);
        let mut base = None;
        let mut stamps = Vec::new();
        let order = std::mem::take(&mut self.order);
        for (i, s) in order.iter().enumerate() {
            if s.effective < start {
                if base.is_none() && !(self.all_parents && s.merge) {
                    base = Some((i, *s));
                }
                if !self.all_parents {
                    // The chain's times never increase from here on.
                    break;
                }
                continue;
            }
            self.note(s);
            if self.all_parents && s.merge {
                // With --all-parents a merge's changes are its branches' commits, read on
                // their own; a merge's own state still counts for the period end.
                continue;
            }
            if s.effective > end {
                out.after_end += 1;
            } else {
                stamps.push(*s);
            }
        }
        self.order = order;
        out.end = end_at.and_then(|s| self.take(&s));
        if let Some((i, s)) = base {
            self.next = i + 1;
            out.base = self.take(&s);
        } else {
            self.next = self.order.len();
        }
        for s in &stamps {
            out.times.insert(s.id, at(s.effective));
            if let Some(p) = s.parent.and_then(|p| self.position.get(&p)) {
                let p = self.order[*p];
                out.times.insert(p.id, at(p.effective));
            }
        }
        out.in_period = stamps.iter().filter_map(|s| self.take(s)).collect();
        out
    }

    /// The next `n` older commits before the period start (merges left out with
    /// `--all-parents`), for tracing images back: placed but neither read nor noted. The
    /// caller reads them ([`Walk::info`]) and notes the ones it uses ([`Walk::note`]), so
    /// that reading ahead records nothing about commits it then does not need.
    pub fn older(&mut self, n: usize) -> Vec<Stamp> {
        let mut out = Vec::new();
        while out.len() < n
            && let Some(s) = self.order.get(self.next).copied()
        {
            self.next += 1;
            if s.effective >= self.start || (self.all_parents && s.merge) {
                continue;
            }
            out.push(s);
        }
        out
    }
}

/// Where the history as of `as_of` starts: the first commit along first parents from `tip`
/// whose committer time is at or before `as_of`, and the commits before it (newest first).
///
/// A report for a past date run on a repository that has moved on since must read the
/// repository as it was then: the commits on top were made later and are not read. Only the
/// run of commits at the tip counts as later; a commit dated after `as_of` with a commit
/// dated at or before it on top is future-dated, and [`effective`] counts it at its
/// parent's time.
fn made_after(
    tip: Oid,
    as_of: i64,
    read: &mut dyn FnMut(Oid) -> Option<Header>,
) -> (Option<Oid>, Vec<(Oid, i64)>) {
    let mut later = Vec::new();
    let mut seen = HashSet::new();
    let mut next = Some(tip);
    while let Some(id) = next.filter(|id| seen.insert(*id)) {
        // An unreadable commit is noted by `read`; nothing older can be reached.
        let Some(h) = read(id) else {
            return (None, later);
        };
        if h.committed <= as_of {
            return (Some(id), later);
        }
        later.push((id, h.committed));
        next = h.parents.first().copied();
    }
    (None, later)
}

/// The first-parent chain from `tip`, newest first, up to a commit without a parent or one
/// that cannot be read.
fn first_parents(tip: Oid, read: &mut dyn FnMut(Oid) -> Option<Header>) -> Vec<Header> {
    let mut chain = Vec::new();
    let mut seen = HashSet::new();
    let mut next = Some(tip);
    while let Some(id) = next.filter(|id| seen.insert(*id)) {
        let Some(h) = read(id) else { break };
        next = h.parents.first().copied();
        chain.push(h);
    }
    chain
}

/// Every commit reachable from `tip` that can be read, breadth first.
fn every_commit(tip: Oid, read: &mut dyn FnMut(Oid) -> Option<Header>) -> Vec<Header> {
    let mut out = Vec::new();
    let mut seen = HashSet::from([tip]);
    let mut queue = std::collections::VecDeque::from([tip]);
    while let Some(id) = queue.pop_front() {
        let Some(h) = read(id) else { continue };
        for p in &h.parents {
            if seen.insert(*p) {
                queue.push_back(*p);
            }
        }
        out.push(h);
    }
    out
}

/// Effective times along a first-parent chain (newest first), worked out from its oldest
/// commit.
fn chain_times(chain: Vec<Header>, as_of: i64) -> (Vec<Stamp>, Vec<usize>) {
    let mut order: Vec<Stamp> = Vec::with_capacity(chain.len());
    let mut parent: Option<i64> = None;
    for (i, h) in chain.iter().enumerate().rev() {
        // The oldest commit read has no parent to count from, whether it has none or the
        // walk could not read it.
        let e = effective(h.committed, parent, as_of);
        parent = Some(e);
        order.push(Stamp {
            id: h.id,
            committed: h.committed,
            effective: e,
            parent: chain.get(i + 1).map(|p| p.id),
            merge: h.parents.len() > 1,
        });
    }
    order.reverse();
    let positions = (0..order.len()).collect();
    (order, positions)
}

/// Effective times of every commit (each against its own first parent), ordered newest
/// first with every commit before its parents, and the first-parent chain's positions.
fn order_by_effective_time(headers: Vec<Header>, as_of: i64) -> (Vec<Stamp>, Vec<usize>) {
    let index: HashMap<Oid, usize> = headers.iter().enumerate().map(|(i, h)| (h.id, i)).collect();
    let first = |i: usize| {
        headers[i]
            .parents
            .first()
            .and_then(|p| index.get(p))
            .copied()
    };
    let mut times: Vec<Option<i64>> = vec![None; headers.len()];
    for i in 0..headers.len() {
        // Down the first parents to a commit whose time is known (or a root), then back up.
        let mut stack = Vec::new();
        let mut j = Some(i);
        while let Some(k) = j.filter(|&k| times[k].is_none() && stack.len() <= headers.len()) {
            stack.push(k);
            j = first(k);
        }
        while let Some(k) = stack.pop() {
            let parent = first(k).and_then(|p| times[p]);
            times[k] = Some(effective(headers[k].committed, parent, as_of));
        }
    }
    let time = |i: usize| times[i].unwrap_or(headers[i].committed);

    // Kahn's order: a commit is placed once every child is; among those ready, the latest.
    let mut children = vec![0usize; headers.len()];
    for h in &headers {
        let distinct: HashSet<usize> = h
            .parents
            .iter()
            .filter_map(|p| index.get(p))
            .copied()
            .collect();
        for p in distinct {
            children[p] += 1;
        }
    }
    let mut ready: BinaryHeap<(i64, i64, Oid, usize)> = (0..headers.len())
        .filter(|&i| children[i] == 0)
        .map(|i| (time(i), headers[i].committed, headers[i].id, i))
        .collect();
    let mut order = Vec::with_capacity(headers.len());
    let mut placed = vec![usize::MAX; headers.len()];
    while let Some((_, _, _, i)) = ready.pop() {
        placed[i] = order.len();
        let h = &headers[i];
        order.push(Stamp {
            id: h.id,
            committed: h.committed,
            effective: time(i),
            parent: first(i).map(|p| headers[p].id),
            merge: h.parents.len() > 1,
        });
        let distinct: HashSet<usize> = h
            .parents
            .iter()
            .filter_map(|p| index.get(p))
            .copied()
            .collect();
        for p in distinct {
            children[p] -= 1;
            if children[p] == 0 {
                ready.push((time(p), headers[p].committed, headers[p].id, p));
            }
        }
    }
    let mut chain = Vec::new();
    let mut j = (!headers.is_empty()).then_some(0);
    while let Some(k) = j.filter(|&k| placed[k] != usize::MAX && chain.len() < headers.len()) {
        chain.push(placed[k]);
        j = first(k);
    }
    (order, chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Effective times of a chain given oldest first.
    fn along(committed: &[i64], as_of: i64) -> Vec<i64> {
        let mut parent = None;
        committed
            .iter()
            .map(|&c| {
                let e = effective(c, parent, as_of);
                parent = Some(e);
                e
            })
            .collect()
    }

    #[test]
    fn a_back_dated_commit_is_counted_at_its_parent_time() {
        assert_eq!(along(&[10, 20, 0, 30], 100), [10, 20, 20, 30]);
    }

    #[test]
    fn a_future_dated_commit_does_not_hold_back_the_ones_after_it() {
        // Not clamped to the latest time seen: 500 would hide 30 and 40.
        assert_eq!(along(&[10, 20, 500, 30, 40], 100), [10, 20, 20, 30, 40]);
    }

    #[test]
    fn a_future_dated_root_is_counted_at_the_epoch() {
        assert_eq!(along(&[500, 30, 40], 100), [0, 30, 40]);
        assert_eq!(along(&[-5, 30], 100), [-5, 30]);
    }

    #[test]
    fn every_parent_order_puts_children_first_and_counts_branches_by_their_own_parents() {
        let id = |n: u8| Oid::from_bytes(&[n; 20]).unwrap();
        let h = |n: u8, committed: i64, parents: &[u8]| Header {
            id: id(n),
            committed,
            parents: parents.iter().map(|&p| id(p)).collect(),
        };
        // 1 <- 2 <- 4 (merge of 2 and 3), 1 <- 3 (back-dated on its branch).
        let headers = vec![
            h(4, 40, &[2, 3]),
            h(2, 20, &[1]),
            h(3, 5, &[1]),
            h(1, 10, &[]),
        ];
        let (order, chain) = order_by_effective_time(headers, 100);
        let got: Vec<(u8, i64)> = order
            .iter()
            .map(|s| (s.id.as_bytes()[0], s.effective))
            .collect();
        assert_eq!(got, [(4, 40), (2, 20), (3, 10), (1, 10)]);
        let chain: Vec<u8> = chain.iter().map(|&i| order[i].id.as_bytes()[0]).collect();
        assert_eq!(chain, [4, 2, 1]);
    }
}
