//! Which image slot of one version of a file is which slot of the next version, so that a
//! rename moves a slot's history instead of ending one slot and starting another.
//!
//! Takes the slots of two versions of a file (the same path, or a file git's rename
//! detection pairs, [`super::tree::renames`]) and gives them in pairs. A slot is identified
//! by the file and its place within the file: the workload and container (a kind's
//! `namespace/name` and the container's name), the kustomize image name, or the values key
//! path; the directory a kustomization or chart sits in is the file's, so a moved file keeps
//! its slots. Slots left over pair as a workload rename when a workload of the same kind is
//! gone and another added in the same version, sharing container names (a HelmRelease
//! renamed sharing values keys): each container then pairs with the one of the same name.
//! An image string that did not change across a pair is never a change, whatever moved.

use std::collections::{HashMap, HashSet};

use super::images::Slot;
use crate::evidence::history::Owner;

/// One slot across two versions: `old` only when removed, `new` only when added.
#[derive(Clone, Copy, Debug)]
pub struct Pair<'a> {
    pub old: Option<&'a Slot>,
    pub new: Option<&'a Slot>,
}

#[cfg(test)]
impl Pair<'_> {
    /// The image string changed (or the slot came or went).
    pub fn changed(&self) -> bool {
        match (self.old, self.new) {
            (Some(o), Some(n)) => o.image != n.image,
            _ => true,
        }
    }

    /// The slot is the same but its owner is named otherwise (a workload renamed, or a
    /// kustomization or chart that moved with its file).
    pub fn renamed(&self) -> bool {
        matches!((self.old, self.new), (Some(o), Some(n)) if o.owner != n.owner)
    }
}

/// An owner without the directory its file sits in: what identifies a slot within a file.
fn within_file(owner: &Owner) -> Owner {
    match owner {
        Owner::Kustomize { name, .. } => Owner::Kustomize {
            dir: String::new(),
            name: name.clone(),
        },
        Owner::Values { key, .. } => Owner::Values {
            chart: String::new(),
            key: key.clone(),
        },
        other => other.clone(),
    }
}

/// The workload a slot belongs to and its member within it, for workload renames:
/// `(kind, namespace, name)` and the container name (a HelmRelease's values key).
type Group = (String, Option<String>, String);

fn group(owner: &Owner) -> Option<(Group, &str)> {
    match owner {
        Owner::Container {
            kind,
            namespace,
            name,
            container,
        } => Some(((kind.clone(), namespace.clone(), name.clone()), container)),
        Owner::HelmRelease {
            namespace,
            name,
            key,
        } => Some((
            ("HelmRelease".to_string(), namespace.clone(), name.clone()),
            key,
        )),
        _ => None,
    }
}

/// Pairs the slots of two versions of a file: every slot of `new` in file order (paired
/// or added), then the slots of `old` removed.
pub fn pair<'a>(old: &'a [Slot], new: &'a [Slot]) -> Vec<Pair<'a>> {
    let by_place: HashMap<Owner, usize> = old
        .iter()
        .enumerate()
        .map(|(i, s)| (within_file(&s.owner), i))
        .collect();
    let mut old_of_new: Vec<Option<usize>> = new
        .iter()
        .map(|n| by_place.get(&within_file(&n.owner)).copied())
        .collect();
    let mut paired_old: HashSet<usize> = old_of_new.iter().flatten().copied().collect();
    for (o, n) in workload_renames(old, new, &paired_old, &old_of_new) {
        old_of_new[n] = Some(o);
        paired_old.insert(o);
    }
    let mut out: Vec<Pair<'a>> = new
        .iter()
        .zip(&old_of_new)
        .map(|(n, o)| Pair {
            old: o.map(|o| &old[o]),
            new: Some(n),
        })
        .collect();
    out.extend(
        old.iter()
            .enumerate()
            .filter(|(i, _)| !paired_old.contains(i))
            .map(|(_, o)| Pair {
                old: Some(o),
                new: None,
            }),
    );
    out
}

/// One slot in one commit, owned: where it was (`from`) and is (`path`), and what it was
/// and is (`old` only: removed; `new` only: added).
#[derive(Clone, Debug)]
pub struct Step {
    pub from: String,
    pub path: String,
    pub old: Option<Slot>,
    pub new: Option<Slot>,
}

/// The steps of one file's change from `from` to `path`: every pair of [`pair`] but those
/// where nothing happened (the same owner, path and image).
pub fn steps(from: &str, path: &str, old: &[Slot], new: &[Slot]) -> Vec<Step> {
    pair(old, new)
        .into_iter()
        .filter(|p| match (p.old, p.new) {
            (Some(o), Some(n)) => from != path || o.owner != n.owner || o.image != n.image,
            _ => true,
        })
        .map(|p| Step {
            from: from.to_string(),
            path: path.to_string(),
            old: p.old.cloned(),
            new: p.new.cloned(),
        })
        .collect()
}

/// Joins a slot a commit removed and one it added, in any of its files, that name the same
/// image string and are owned alike (containers of the same workload kind, kustomize
/// entries, values keys, HelmRelease keys): the same image that moved (a workload moved to
/// another file, a container renamed) is never a change. Each removal joins at most one
/// addition, the first in file order.
pub fn join_moves(steps: Vec<Step>) -> Vec<Step> {
    let alike = |a: &Owner, b: &Owner| match (a, b) {
        (Owner::Container { kind: x, .. }, Owner::Container { kind: y, .. }) => x == y,
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    };
    let removed: Vec<usize> = (0..steps.len())
        .filter(|&i| steps[i].new.is_none() && steps[i].old.is_some())
        .collect();
    // For each addition, the removal it joins.
    let mut joined: HashMap<usize, usize> = HashMap::new();
    let mut taken: HashSet<usize> = HashSet::new();
    for (i, step) in steps.iter().enumerate() {
        let Some(added) = step.new.as_ref().filter(|_| step.old.is_none()) else {
            continue;
        };
        let found = removed.iter().copied().find(|r| {
            !taken.contains(r)
                && steps[*r]
                    .old
                    .as_ref()
                    .is_some_and(|o| o.image == added.image && alike(&o.owner, &added.owner))
        });
        if let Some(r) = found {
            taken.insert(r);
            joined.insert(i, r);
        }
    }
    let mut steps: Vec<Option<Step>> = steps.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for i in 0..steps.len() {
        if taken.contains(&i) {
            continue;
        }
        let Some(step) = steps[i].take() else {
            continue;
        };
        match joined.get(&i).and_then(|&r| steps[r].take()) {
            Some(gone) => out.push(Step {
                from: gone.from,
                path: step.path,
                old: gone.old,
                new: step.new,
            }),
            None => out.push(step),
        }
    }
    out
}

/// The slot of `old` that each slot of `new` was, following a workload rename; when `new`
/// could not be read, the slot at the same place in the file. The versions are paired once
/// for all the slots of a change, not once per slot (a 1 MB manifest of 400 containers would
/// pair its versions 400 times).
pub struct Before<'a> {
    old: &'a [Slot],
    /// The old slot each owner of `new` was, when `new` was read.
    by_new: Option<HashMap<&'a Owner, &'a Slot>>,
}

impl<'a> Before<'a> {
    pub fn new(old: &'a [Slot], new: Option<&'a [Slot]>) -> Before<'a> {
        let by_new = new.map(|new| {
            pair(old, new)
                .into_iter()
                .filter_map(|p| Some((&p.new?.owner, p.old?)))
                .collect()
        });
        Before { old, by_new }
    }

    pub fn of(&self, owner: &Owner) -> Option<&'a Slot> {
        match &self.by_new {
            Some(by_new) => by_new.get(owner).copied(),
            None => {
                let place = within_file(owner);
                self.old.iter().find(|o| within_file(&o.owner) == place)
            }
        }
    }
}

/// `(old index, new index)` of the slots of workloads renamed between the versions: a
/// workload whose name is gone from `new` and one of the same kind whose name is not in
/// `old`, sharing at least one container name. Where several could pair, the ones sharing
/// the most images, then the same namespace, then the most container names go first, then
/// file order.
fn workload_renames(
    old: &[Slot],
    new: &[Slot],
    paired_old: &HashSet<usize>,
    old_of_new: &[Option<usize>],
) -> Vec<(usize, usize)> {
    let old_groups: HashSet<Group> = old
        .iter()
        .filter_map(|s| group(&s.owner))
        .map(|g| g.0)
        .collect();
    let new_groups: HashSet<Group> = new
        .iter()
        .filter_map(|s| group(&s.owner))
        .map(|g| g.0)
        .collect();
    // The unpaired slots of workloads gone, and of workloads added, by workload in file order.
    let collect = |slots: &[Slot], taken: &dyn Fn(usize) -> bool, other: &HashSet<Group>| {
        let mut groups: Vec<(Group, Vec<usize>)> = Vec::new();
        for (i, s) in slots.iter().enumerate() {
            let Some((g, _)) = group(&s.owner) else {
                continue;
            };
            if taken(i) || other.contains(&g) {
                continue;
            }
            match groups.iter_mut().find(|(x, _)| *x == g) {
                Some((_, members)) => members.push(i),
                None => groups.push((g, vec![i])),
            }
        }
        groups
    };
    let gone = collect(old, &|i| paired_old.contains(&i), &new_groups);
    let added = collect(new, &|i| old_of_new[i].is_some(), &old_groups);
    let member = |s: &Slot| {
        group(&s.owner)
            .map(|(_, m)| m.to_string())
            .unwrap_or_default()
    };
    let mut candidates: Vec<((usize, usize, usize), usize, usize)> = Vec::new();
    for (gi, (g, olds)) in gone.iter().enumerate() {
        for (ai, (a, news)) in added.iter().enumerate() {
            if g.0 != a.0 {
                continue;
            }
            let mut names = 0;
            let mut images = 0;
            for &n in news {
                if let Some(&o) = olds.iter().find(|&&o| member(&old[o]) == member(&new[n])) {
                    names += 1;
                    images += usize::from(old[o].image == new[n].image);
                }
            }
            if names > 0 {
                candidates.push(((images, usize::from(g.1 == a.1), names), gi, ai));
            }
        }
    }
    candidates.sort_by(|x, y| y.0.cmp(&x.0).then((x.1, x.2).cmp(&(y.1, y.2))));
    let (mut used_gone, mut used_added) = (HashSet::new(), HashSet::new());
    let mut out = Vec::new();
    for (_, gi, ai) in candidates {
        if used_gone.contains(&gi) || used_added.contains(&ai) {
            continue;
        }
        used_gone.insert(gi);
        used_added.insert(ai);
        for &n in &added[ai].1 {
            if let Some(&o) = gone[gi]
                .1
                .iter()
                .find(|&&o| member(&old[o]) == member(&new[n]))
            {
                out.push((o, n));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, container: &str, image: &str) -> Slot {
        Slot {
            owner: Owner::Container {
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                name: name.into(),
                container: container.into(),
            },
            image: image.into(),
            parts: Vec::new(),
            line: 1,
        }
    }

    fn show(pairs: &[Pair<'_>]) -> Vec<(String, String, bool)> {
        let name = |s: Option<&Slot>| s.map(|s| s.owner.describe()).unwrap_or_default();
        pairs
            .iter()
            .map(|p| (name(p.old), name(p.new), p.changed()))
            .collect()
    }

    #[test]
    fn a_renamed_workload_keeps_its_containers_and_images() {
        let old = [
            c("demo-flagd", "flagd", "flagd:1"),
            c("demo-flagd", "ui", "ui:1"),
            c("demo-cart", "app", "cart:1"),
            c("web", "app", "web:1"),
        ];
        let new = [
            c("flagd", "flagd", "flagd:1"),
            c("flagd", "ui", "ui:2"),
            c("cart", "app", "cart:1"),
            c("web", "app", "web:1"),
        ];
        let d = |n: &str, c: &str| format!("Deployment shop/{n} container {c}");
        assert_eq!(
            show(&pair(&old, &new)),
            [
                (d("demo-flagd", "flagd"), d("flagd", "flagd"), false),
                (d("demo-flagd", "ui"), d("flagd", "ui"), true),
                (d("demo-cart", "app"), d("cart", "app"), false),
                (d("web", "app"), d("web", "app"), false),
            ]
        );
    }

    #[test]
    fn two_workloads_renamed_with_the_same_container_names_pair_by_their_images() {
        let old = [c("demo-a", "app", "a:1"), c("demo-b", "app", "b:1")];
        let new = [c("b", "app", "b:1"), c("a", "app", "a:1")];
        let got = show(&pair(&old, &new));
        assert!(got.iter().all(|(_, _, changed)| !changed), "{got:?}");
        assert_eq!(got[0].0, "Deployment shop/demo-b container app");
    }

    #[test]
    fn a_workload_still_there_or_of_another_kind_is_no_rename() {
        // `api` keeps a container: its other container removed is a removal, and `api-v2`
        // is a new workload.
        let old = [c("api", "app", "api:1"), c("api", "debug", "busybox:1")];
        let new = [c("api", "app", "api:1"), c("api-v2", "debug", "busybox:1")];
        let got = show(&pair(&old, &new));
        assert_eq!(
            got.iter().filter(|(_, _, changed)| *changed).count(),
            2,
            "{got:?}"
        );
        let mut job = c("api-job", "app", "api:1");
        if let Owner::Container { kind, .. } = &mut job.owner {
            *kind = "Job".into();
        }
        let got = show(&pair(&[c("api", "app", "api:1")], &[job]));
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn the_same_image_removed_in_one_file_and_added_in_another_is_one_slot_moved() {
        let step = |path: &str, old: Option<Slot>, new: Option<Slot>| Step {
            from: path.into(),
            path: path.into(),
            old,
            new,
        };
        let steps = vec![
            step("a.yaml", Some(c("api", "app", "api:1")), None),
            step("a.yaml", Some(c("web", "app", "web:1")), None),
            step("b.yaml", None, Some(c("api", "app", "api:1"))),
            step("b.yaml", None, Some(c("web", "app", "web:2"))),
        ];
        let got: Vec<(String, String, bool, bool)> = join_moves(steps)
            .into_iter()
            .map(|s| (s.from, s.path, s.old.is_some(), s.new.is_some()))
            .collect();
        assert_eq!(
            got,
            [
                ("a.yaml".into(), "a.yaml".into(), true, false),
                ("a.yaml".into(), "b.yaml".into(), true, true),
                ("b.yaml".into(), "b.yaml".into(), false, true),
            ]
        );
    }

    #[test]
    fn slots_of_a_moved_kustomization_or_chart_are_the_same_slots() {
        let k = |dir: &str| Slot {
            owner: Owner::Kustomize {
                dir: dir.into(),
                name: "ghcr.io/acme/api".into(),
            },
            image: "ghcr.io/acme/api:1.0".into(),
            parts: Vec::new(),
            line: 3,
        };
        let (old, new) = ([k("overlays/prod")], [k("envs/prod")]);
        let pairs = pair(&old, &new);
        assert_eq!(pairs.len(), 1);
        assert!(!pairs[0].changed() && pairs[0].renamed());
    }
}
