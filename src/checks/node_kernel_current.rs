//! `node-kernel-current`: every node runs the newest kernel seen among its peers, nodes of
//! the same OS distribution, kernel line, kernel flavour and architecture.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::json;

use super::{Check, CheckContext, CheckMeta};
use crate::base::phrase::name_list;
use crate::checks::family::nodes;
use crate::checks::family::nodes::{node_field_missing, not_a_version};
use crate::evidence::finding::{Finding, Status};
use crate::facts::nodes::NodeView;

crate::declare_check! {
    /// ## What it checks
    /// Each node runs the newest kernel seen among its peers: nodes of the same OS
    /// distribution (`Ubuntu 22.04`, `Amazon Linux 2023`, `Bottlerocket OS 1`), the same
    /// kernel line (`5.15`, `6.1`), the same kernel flavour (`generic`, `aws`) and the same
    /// architecture. Kernels are compared as versions, number by number, not as strings:
    /// `5.15.0-105-generic` is newer than `5.15.0-91-generic`. A node behind its newest peer
    /// fails; a node with no peers passes on its own.
    ///
    /// ## Why it matters
    /// A patched kernel protects nothing until the node boots it. When peers built from the
    /// same image run a newer kernel, a node still on an older one was most likely patched
    /// but not rebooted, or not replaced (PCI container guidance 10.2: node operating systems
    /// patched, and rebooted onto the patched kernel). A fleet that is uniformly stale passes
    /// here: `node-recently-replaced` is the check that catches nodes kept too long.
    ///
    /// ## Evidence used
    /// `status.nodeInfo.kernelVersion`, `osImage` and `architecture` of every Node.
    ///
    /// ## Example
    /// ```yaml
    /// # node-a and node-b both: osImage "Ubuntu 22.04.4 LTS", architecture amd64
    /// node-a: {kernelVersion: 5.15.0-105-generic}   # newest: pass
    /// node-b: {kernelVersion: 5.15.0-91-generic}    # behind node-a: fail
    /// ```
    ///
    /// ## References
    /// - PCI SSC Guidance for Containers and Container Orchestration Tools, section 10.2
    /// - Kubernetes NodeSystemInfo (kernelVersion, osImage)
    pub struct NodeKernelCurrent {
        id: "node-kernel-current",
        title: "Nodes run the newest kernel of their peers",
        severity: Medium,
    }
}

impl Check for NodeKernelCurrent {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        if let Some(f) = ctx.require_kinds(meta, &["Node"]) {
            return vec![f];
        }
        let (nodes, mut out) = nodes::read(ctx, meta);
        let mut groups: BTreeMap<PeerGroup, Vec<(&NodeView<'_>, &str)>> = BTreeMap::new();
        for node in nodes {
            let Some(kernel) = node.info.kernel_version.as_deref() else {
                out.push(node.finding(
                    meta,
                    Status::NotAssessed,
                    node_field_missing("kernelVersion"),
                ));
                continue;
            };
            let Some(group) = PeerGroup::of(node, kernel) else {
                out.push(node.finding(
                    meta,
                    Status::Error,
                    not_a_version("kernel version", kernel),
                ));
                continue;
            };
            groups.entry(group).or_default().push((node, kernel));
        }
        for (group, members) in &groups {
            let newest = members
                .iter()
                .map(|(_, k)| *k)
                .max_by(|a, b| compare_kernels(a, b))
                .expect("a group has members");
            let on_newest: Vec<&str> = members
                .iter()
                .filter(|(_, k)| compare_kernels(k, newest) == Ordering::Equal)
                .map(|(n, _)| n.object.meta.name.as_str())
                .collect();
            for (node, kernel) in members {
                let current = compare_kernels(kernel, newest) == Ordering::Equal;
                let status = if current { Status::Pass } else { Status::Fail };
                let message = node_kernel(
                    kernel,
                    newest,
                    &group.describe(),
                    members.len() - 1,
                    &on_newest,
                );
                out.push(
                    node.finding(meta, status, message)
                        .detail("kernel", json!(kernel))
                        .detail("newest_peer_kernel", json!(newest))
                        .detail("peer_group", json!(group.describe()))
                        .detail("peers", json!(members.len() - 1)),
                );
            }
        }
        out
    }
}

/// Nodes whose kernels are comparable: same distribution, kernel line, flavour, architecture.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct PeerGroup {
    distribution: String,
    line: (u64, u64),
    flavour: Option<String>,
    architecture: String,
}

impl PeerGroup {
    fn of(node: &NodeView<'_>, kernel: &str) -> Option<PeerGroup> {
        let numbers: Vec<u64> = kernel_parts(kernel)
            .into_iter()
            .map_while(|p| match p {
                Part::Number(n) => Some(n),
                Part::Text(_) => None,
            })
            .take(2)
            .collect();
        let [major, minor] = numbers[..] else {
            return None;
        };
        Some(PeerGroup {
            distribution: distribution(node.info.os_image.as_deref().unwrap_or("unknown OS")),
            line: (major, minor),
            flavour: flavour(kernel),
            architecture: node.info.architecture.clone().unwrap_or_default(),
        })
    }

    fn describe(&self) -> String {
        let mut s = format!(
            "{}, kernel {}.{}",
            self.distribution, self.line.0, self.line.1
        );
        if let Some(f) = &self.flavour {
            s.push_str(&format!(" ({f})"));
        }
        if !self.architecture.is_empty() {
            s.push_str(&format!(", {}", self.architecture));
        }
        s
    }
}

/// The distribution and its release, without point releases: `Ubuntu 22.04.4 LTS` is
/// `Ubuntu 22.04` (Ubuntu releases are year.month), `Amazon Linux 2023.5.20240701` is
/// `Amazon Linux 2023`, `Talos (v1.7.5)` is `Talos 1`.
fn distribution(os_image: &str) -> String {
    let mut name = Vec::new();
    let mut version = None;
    for token in os_image.split_whitespace() {
        let bare = token.trim_matches(|c| c == '(' || c == ')');
        let bare = bare
            .strip_prefix('v')
            .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or(bare);
        if bare.starts_with(|c: char| c.is_ascii_digit()) {
            version = Some(bare.to_string());
            break;
        }
        name.push(token);
    }
    let name = name.join(" ");
    let Some(version) = version else {
        return name;
    };
    let mut parts = version.split(['.', '-']);
    let major = parts.next().unwrap_or_default();
    if name.starts_with("Ubuntu")
        && let Some(minor) = parts.next()
    {
        return format!("{name} {major}.{minor}");
    }
    format!("{name} {major}")
}

/// The kernel flavour: the last `-` component when it is a plain word (`generic`, `aws`,
/// `azure`); builds with numbers there (`6.1.102-111.182.amzn2023.x86_64`) have none.
fn flavour(kernel: &str) -> Option<String> {
    let (_, last) = kernel.rsplit_once('-')?;
    (!last.is_empty() && last.chars().all(|c| c.is_ascii_alphabetic() || c == '_'))
        .then(|| last.to_string())
}

#[derive(Debug, PartialEq, Eq)]
enum Part {
    Number(u64),
    Text(String),
}

/// Runs of digits and runs of letters; separators (`.`, `-`, `_`, `+`) only split.
fn kernel_parts(kernel: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut chars = kernel.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut n = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                n.push(d);
                chars.next();
            }
            parts.push(Part::Number(n.parse().unwrap_or(u64::MAX)));
        } else if c.is_alphanumeric() {
            let mut t = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_alphabetic()) {
                t.push(d);
                chars.next();
            }
            parts.push(Part::Text(t));
        } else {
            chars.next();
        }
    }
    parts
}

/// Compares kernel versions part by part: numbers as numbers, words as words, and a number
/// above a word in the same place (a further release number beats a suffix).
fn compare_kernels(a: &str, b: &str) -> Ordering {
    let (a, b) = (kernel_parts(a), kernel_parts(b));
    for (x, y) in a.iter().zip(&b) {
        let o = match (x, y) {
            (Part::Number(x), Part::Number(y)) => x.cmp(y),
            (Part::Text(x), Part::Text(y)) => x.cmp(y),
            (Part::Number(_), Part::Text(_)) => Ordering::Greater,
            (Part::Text(_), Part::Number(_)) => Ordering::Less,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

// Wording: the sentences this check's findings say.

fn node_kernel(
    kernel: &str,
    newest: &str,
    group: &str,
    peers: usize,
    on_newest: &[&str],
) -> String {
    if peers == 0 {
        return format!("runs kernel {kernel}; no other node is a peer ({group}) to compare with");
    }
    if kernel == newest {
        return format!("runs kernel {kernel}, the newest of its {peers} peer(s) ({group})");
    }
    format!(
        "runs kernel {kernel}, older than {newest} on {} of its peers ({group}): the node was \
         probably patched but not rebooted, or not replaced",
        name_list(on_newest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{settings_on, statuses_on, want};

    #[test]
    fn kernels_compare_as_versions_not_strings() {
        let newer = [
            ("5.15.0-105-generic", "5.15.0-91-generic"),
            (
                "6.1.102-111.182.amzn2023.x86_64",
                "6.1.94-99.176.amzn2023.x86_64",
            ),
            (
                "5.14.0-427.13.1.el9_4.x86_64",
                "5.14.0-362.24.1.el9_3.x86_64",
            ),
            ("6.6.58-talos", "6.6.9-talos"),
            ("10.0.20348.2340", "10.0.20348.2227"),
        ];
        for (a, b) in newer {
            assert_eq!(compare_kernels(a, b), Ordering::Greater, "{a} > {b}");
            assert_eq!(compare_kernels(b, a), Ordering::Less, "{b} < {a}");
        }
        // As strings the first pair sorts the other way round.
        assert!("5.15.0-105-generic" < "5.15.0-91-generic");
        assert_eq!(
            compare_kernels("5.15.0-105-generic", "5.15.0-105-generic"),
            Ordering::Equal
        );
    }

    #[test]
    fn distributions_drop_point_releases() {
        let cases = [
            ("Ubuntu 22.04.4 LTS", "Ubuntu 22.04"),
            ("Ubuntu 24.04.1 LTS", "Ubuntu 24.04"),
            ("Amazon Linux 2023.5.20240701", "Amazon Linux 2023"),
            ("Amazon Linux 2", "Amazon Linux 2"),
            ("Bottlerocket OS 1.20.3 (aws-k8s-1.29)", "Bottlerocket OS 1"),
            ("Debian GNU/Linux 12 (bookworm)", "Debian GNU/Linux 12"),
            ("Talos (v1.7.5)", "Talos 1"),
            (
                "Container-Optimized OS from Google",
                "Container-Optimized OS from Google",
            ),
            ("Windows Server 2022 Datacenter", "Windows Server 2022"),
        ];
        for (image, want) in cases {
            assert_eq!(distribution(image), want, "{image}");
        }
    }

    fn node(name: &str, os: &str, kernel: &str, arch: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Node\nmetadata: {{name: {name}}}\nstatus:\n  nodeInfo:\n    osImage: \"{os}\"\n    kernelVersion: \"{kernel}\"\n    architecture: {arch}\n---\n"
        )
    }

    #[test]
    fn each_node_is_compared_with_its_peers_only() {
        let ubuntu = "Ubuntu 22.04.4 LTS";
        let yaml: String = [
            node("a1", ubuntu, "5.15.0-105-generic", "amd64"),
            node("a2", "Ubuntu 22.04.5 LTS", "5.15.0-91-generic", "amd64"),
            node("a3", ubuntu, "5.15.0-105-generic", "amd64"),
            // Another flavour, another architecture, another line: not peers of a1.
            node("b1", ubuntu, "5.15.0-1064-aws", "amd64"),
            node("c1", ubuntu, "5.15.0-90-generic", "arm64"),
            node("d1", ubuntu, "6.8.0-45-generic", "amd64"),
            node(
                "e1",
                "Amazon Linux 2023.5.20240701",
                "6.1.94-99.176.amzn2023.x86_64",
                "amd64",
            ),
            node(
                "e2",
                "Amazon Linux 2023.6.20241010",
                "6.1.102-111.182.amzn2023.x86_64",
                "amd64",
            ),
            "apiVersion: v1\nkind: Node\nmetadata: {name: f1}\n".to_string(),
        ]
        .concat();
        let got = statuses_on(&NodeKernelCurrent, &yaml, &settings_on("2026-11-22"));
        use Status::*;
        let want = want(&[
            ("Node a1", Pass),
            ("Node a2", Fail),
            ("Node a3", Pass),
            ("Node b1", Pass),
            ("Node c1", Pass),
            ("Node d1", Pass),
            ("Node e1", Fail),
            ("Node e2", Pass),
            ("Node f1", NotAssessed),
        ]);
        assert_eq!(got, want);
    }
}
