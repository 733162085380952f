//! `container-runtime-supported`: every node's container runtime is on a release line that
//! is still supported on the as-of date.

use super::{Check, CheckContext, CheckMeta};
use crate::checks::family::nodes;
use crate::checks::family::nodes::{node_field_missing, not_a_version};
use crate::checks::family::versions;
use crate::evidence::finding::{Finding, Status};
use crate::facts::eol::Version;

crate::declare_check! {
    /// ## What it checks
    /// Each node's container runtime, as the kubelet reports it
    /// (`containerd://2.3.4`, `cri-o://1.36.1`), is on a release line supported upstream on
    /// the as-of date: containerd by its own release lines (LTS lines included), CRI-O by the
    /// Kubernetes minor it follows. An ended line fails; a version the end-of-life data does
    /// not list is not assessed. Any other runtime (`docker://`, ...) is looked up by its
    /// name in the data and is not assessed when the data has no such product: add one with
    /// `--eol-data` to judge it.
    ///
    /// ## Why it matters
    /// The runtime unpacks images and starts every container; a flaw in it is a container
    /// breakout. Runtimes are patched with the node, not with the cluster, and surveys keep
    /// finding a large share of nodes on unsupported containerd lines (PCI container guidance
    /// 10.1 and 10.2; NIST CSF PR.PS-02.242-related-5).
    ///
    /// ## Evidence used
    /// `status.nodeInfo.containerRuntimeVersion` of every Node, and the end-of-life data.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Node
    /// status:
    ///   nodeInfo:
    ///     containerRuntimeVersion: containerd://2.3.4   # LTS, supported until 2028-04-30
    /// ```
    ///
    /// ## References
    /// - containerd RELEASES.md (support horizon); CRI-O compatibility matrix
    /// - PCI SSC Guidance for Containers and Container Orchestration Tools, sections 10.1, 10.2
    /// - NIST CSF 2.0 question bank, PR.PS-02.242 related question 5 (end-of-life software)
    pub struct ContainerRuntimeSupported {
        id: "container-runtime-supported",
        title: "Container runtimes are on supported release lines",
        severity: High,
    }
}

impl Check for ContainerRuntimeSupported {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        if let Some(f) = ctx.require_kinds(meta, &["Node"]) {
            return vec![f];
        }
        let (nodes, mut out) = nodes::read(ctx, meta);
        for node in nodes {
            let Some(raw) = node.info.container_runtime_version.as_deref() else {
                out.push(node.finding(
                    meta,
                    Status::NotAssessed,
                    node_field_missing("containerRuntimeVersion"),
                ));
                continue;
            };
            let (runtime, version) = raw.split_once("://").unwrap_or(("", raw));
            let Some(version) = Version::parse(version).filter(|_| !runtime.is_empty()) else {
                out.push(node.finding(
                    meta,
                    Status::Error,
                    not_a_version("container runtime version", raw),
                ));
                continue;
            };
            let judged = versions::judge(ctx.settings, runtime, &version);
            let mut finding = node.finding(
                meta,
                judged.status,
                runtime_version(runtime, &judged.message),
            );
            for (key, value) in judged.details {
                finding = finding.detail(key, value);
            }
            out.push(finding.detail("runtime", runtime));
        }
        out
    }
}

// Wording: the sentences this check's findings say.

fn runtime_version(runtime: &str, judgement: &str) -> String {
    match runtime {
        "containerd" | "cri-o" => judgement.to_string(),
        other => format!(
            "container runtime `{other}`: {judgement} (evidencer ships end-of-life data for \
             containerd and CRI-O)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{settings_on, statuses_on, want};

    fn node(name: &str, runtime: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Node\nmetadata: {{name: {name}}}\nstatus:\n  nodeInfo:\n    containerRuntimeVersion: \"{runtime}\"\n---\n"
        )
    }

    #[test]
    fn runtimes_table() {
        let yaml: String = [
            ("a-containerd-lts", "containerd://2.3.4"),
            ("b-containerd-ended", "containerd://2.2.1"),
            ("c-containerd-1-7-ended", "containerd://1.7.27"),
            ("d-k3s-suffix", "containerd://2.0.5-k3s2"),
            ("e-crio", "cri-o://1.36.1"),
            ("f-crio-ended", "cri-o://1.33.4"),
            ("g-docker", "docker://24.0.7"),
            ("h-containerd-future", "containerd://3.0.0"),
            ("i-garbage", "whatever"),
        ]
        .iter()
        .map(|(n, r)| node(n, r))
        .collect();
        let got = statuses_on(
            &ContainerRuntimeSupported,
            &yaml,
            &settings_on("2026-11-22"),
        );
        use Status::*;
        let expected = [
            ("Node a-containerd-lts", Pass),
            ("Node b-containerd-ended", Fail),
            ("Node c-containerd-1-7-ended", Fail),
            ("Node d-k3s-suffix", Pass),
            ("Node e-crio", Pass),
            ("Node f-crio-ended", Fail),
            ("Node g-docker", NotAssessed),
            ("Node h-containerd-future", NotAssessed),
            ("Node i-garbage", Error),
        ];
        let want = want(&expected);
        assert_eq!(got, want);
    }

    #[test]
    fn containerd_2_2_ends_on_its_day() {
        let yaml = node("n", "containerd://2.2.3");
        let on = |day| statuses_on(&ContainerRuntimeSupported, &yaml, &settings_on(day))[0].1;
        assert_eq!(on("2026-11-06"), Status::Pass);
        assert_eq!(on("2026-11-07"), Status::Fail);
    }
}
