//! `kubelet-version-supported`: every node's kubelet is on a supported Kubernetes minor and
//! within the version skew the API server allows.

use std::cmp::Ordering;

use serde_json::json;

use super::{Check, CheckContext, CheckMeta};
use crate::checks::family::nodes;
use crate::checks::family::nodes::{node_field_missing, not_a_version};
use crate::checks::family::versions;
use crate::checks::family::versions::no_server_version;
use crate::evidence::finding::{Finding, Status};
use crate::facts::eol::Version;

crate::declare_check! {
    /// ## What it checks
    /// Each node's kubelet runs a Kubernetes minor version that is supported upstream on the
    /// as-of date, and within the skew the version skew policy allows: never newer than the
    /// API server, and at most three minor versions older (two when the API server is older
    /// than 1.28). A kubelet on an ended line fails, and so does one outside the skew; a
    /// version the end-of-life data does not list is not assessed. Without the API server
    /// version the skew cannot be judged: nodes on ended lines still fail, but nothing passes.
    ///
    /// ## Why it matters
    /// The kubelet runs every container on its node and holds node credentials: an
    /// unsupported kubelet gets no security fixes, and one outside the supported skew runs a
    /// combination upstream never tested. Nodes lagging behind an upgraded control plane are
    /// how clusters end up half-patched (PCI container guidance 10.1; NIST CSF
    /// PR.PS-02.242-related-5).
    ///
    /// ## Evidence used
    /// `status.nodeInfo.kubeletVersion` of every Node, the API server version
    /// (`version.json` or `/version`), and the end-of-life data.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Node
    /// status:
    ///   nodeInfo:
    ///     kubeletVersion: v1.35.4   # API server v1.36.2: one minor behind, allowed
    /// ```
    ///
    /// ## References
    /// - Kubernetes version skew policy (kubelet)
    /// - PCI SSC Guidance for Containers and Container Orchestration Tools, section 10.1
    /// - NIST CSF 2.0 question bank, PR.PS-02.242 related question 5 (end-of-life software)
    pub struct KubeletVersionSupported {
        id: "kubelet-version-supported",
        title: "Kubelets are supported and within the allowed version skew",
        severity: High,
    }
}

impl Check for KubeletVersionSupported {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        if let Some(f) = ctx.require_kinds(meta, &["Node"]) {
            return vec![f];
        }
        let (nodes, mut out) = nodes::read(ctx, meta);
        let server = ctx.facts.server_version.as_ref().map(|(v, _)| v);
        for node in nodes {
            let Some(raw) = node.info.kubelet_version.as_deref() else {
                out.push(node.finding(
                    meta,
                    Status::NotAssessed,
                    node_field_missing("kubeletVersion"),
                ));
                continue;
            };
            let Some(kubelet) = Version::parse(raw) else {
                out.push(node.finding(meta, Status::Error, not_a_version("kubelet version", raw)));
                continue;
            };
            let support = versions::judge(ctx.settings, "kubernetes", &kubelet);
            let skew = server.as_ref().map(|s| skew(s, &kubelet));
            let status = match skew {
                Some(Skew::Within { .. }) | None => support.status,
                Some(_) => Status::Fail,
            };
            let mut finding = node.finding(
                meta,
                status,
                kubelet_version(&support.message, skew.as_ref()),
            );
            for (key, value) in support.details {
                finding = finding.detail(key, value);
            }
            if let Some(server) = &server {
                finding = finding.detail("api_server_version", json!(server.raw));
            }
            out.push(finding);
        }
        if server.is_none() {
            out = ctx.withhold_passes(meta, out, &[no_server_version()]);
        }
        out
    }
}

/// Where a kubelet stands against the API server under the version skew policy.
fn skew(server: &Version, kubelet: &Version) -> Skew {
    let (s, k) = (server.line(), kubelet.line());
    // Since 1.28 a kubelet may be three minors older than the API server; before, two.
    let allowed = if (s.major, s.minor) >= (1, 28) { 3 } else { 2 };
    match k.cmp(&s) {
        Ordering::Greater => Skew::Newer {
            kubelet: k,
            server: s,
        },
        _ if k.major != s.major => Skew::TooOld {
            kubelet: k,
            server: s,
            behind: None,
            allowed,
        },
        _ => {
            let behind = s.minor - k.minor;
            if behind > allowed {
                Skew::TooOld {
                    kubelet: k,
                    server: s,
                    behind: Some(behind),
                    allowed,
                }
            } else {
                Skew::Within {
                    kubelet: k,
                    server: s,
                    behind,
                    allowed,
                }
            }
        }
    }
}

// Wording: the sentences this check's findings say.

/// A kubelet against the API server under the version skew policy.
enum Skew {
    Within {
        kubelet: crate::facts::eol::MinorVersion,
        server: crate::facts::eol::MinorVersion,
        behind: u64,
        allowed: u64,
    },
    Newer {
        kubelet: crate::facts::eol::MinorVersion,
        server: crate::facts::eol::MinorVersion,
    },
    TooOld {
        kubelet: crate::facts::eol::MinorVersion,
        server: crate::facts::eol::MinorVersion,
        /// None when the major versions differ.
        behind: Option<u64>,
        allowed: u64,
    },
}

fn kubelet_version(support: &str, skew: Option<&Skew>) -> String {
    let skew = match skew {
        None => "the API server version is unknown, so the version skew was not checked".into(),
        Some(Skew::Within {
            kubelet,
            server,
            behind: 0,
            ..
        }) => format!("kubelet {kubelet} matches the API server {server}"),
        Some(Skew::Within {
            kubelet,
            server,
            behind,
            allowed,
        }) => format!(
            "kubelet {kubelet} is {behind} minor version(s) behind the API server {server}, \
             within the {allowed} the skew policy allows"
        ),
        Some(Skew::Newer { kubelet, server }) => format!(
            "kubelet {kubelet} is newer than the API server {server}: the skew policy never \
             allows a kubelet newer than the API server"
        ),
        Some(Skew::TooOld {
            kubelet,
            server,
            behind: Some(behind),
            allowed,
        }) => format!(
            "kubelet {kubelet} is {behind} minor versions behind the API server {server}, more \
             than the {allowed} the skew policy allows"
        ),
        Some(Skew::TooOld {
            kubelet, server, ..
        }) => {
            format!("kubelet {kubelet} is a different major version than the API server {server}")
        }
    };
    format!("{support}; {skew}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{findings_in, inventory, settings_on, table};
    use crate::evidence::inventory::ServerVersion;

    fn node(name: &str, kubelet: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Node\nmetadata: {{name: {name}}}\nstatus:\n  nodeInfo:\n    kubeletVersion: \"{kubelet}\"\n---\n"
        )
    }

    fn run(server: Option<&str>, nodes: &[(&str, &str)], day: &str) -> Vec<(String, Status)> {
        let yaml: String = nodes.iter().map(|(n, k)| node(n, k)).collect();
        let mut inv = inventory(&yaml);
        inv.server_version = server.map(|git| ServerVersion {
            git_version: git.into(),
            ..Default::default()
        });
        table(&findings_in(
            &KubeletVersionSupported,
            &inv,
            &settings_on(day),
        ))
    }

    #[test]
    fn skew_edges_since_1_28() {
        let got = run(
            Some("v1.37.1"),
            &[
                ("a-same", "v1.37.1"),
                ("b-three-behind", "v1.34.9"),
                ("c-four-behind", "v1.33.5"),
                ("d-newer", "v1.38.0"),
                ("e-patch-newer", "v1.37.3"),
            ],
            // 1.34 is still supported on 2026-10-01.
            "2026-10-01",
        );
        use Status::*;
        assert_eq!(
            got,
            [
                ("Node a-same".into(), Pass),
                ("Node b-three-behind".into(), Pass),
                ("Node c-four-behind".into(), Fail),
                ("Node d-newer".into(), Fail),
                ("Node e-patch-newer".into(), Pass),
            ]
        );
    }

    #[test]
    fn before_1_28_the_skew_was_two_minors() {
        let got = run(
            Some("v1.27.4"),
            &[("a", "v1.25.3"), ("b", "v1.24.1")],
            "2023-09-01",
        );
        assert_eq!(got[0].1, Status::Pass);
        assert_eq!(got[1].1, Status::Fail);
    }

    #[test]
    fn an_ended_kubelet_fails_even_within_skew() {
        // On 2026-11-22, 1.34 has ended (2026-10-27), 1.35 has not.
        let got = run(
            Some("v1.36.2"),
            &[("a", "v1.34.2"), ("b", "v1.35.0")],
            "2026-11-22",
        );
        assert_eq!(
            got,
            [
                ("Node a".into(), Status::Fail),
                ("Node b".into(), Status::Pass)
            ]
        );
    }

    #[test]
    fn without_the_api_server_version_nothing_passes() {
        let got = run(None, &[("a", "v1.33.1"), ("b", "v1.36.1")], "2026-11-22");
        assert_eq!(
            got,
            [
                ("Input all sources".into(), Status::NotAssessed),
                ("Node a".into(), Status::Fail),
            ]
        );
    }

    #[test]
    fn unreadable_and_missing_versions_are_said() {
        let yaml = format!(
            "{}apiVersion: v1\nkind: Node\nmetadata: {{name: bare}}\n",
            node("odd", "unknown")
        );
        let mut inv = inventory(&yaml);
        inv.server_version = Some(ServerVersion {
            git_version: "v1.36.0".into(),
            ..Default::default()
        });
        let got = findings_in(&KubeletVersionSupported, &inv, &settings_on("2026-11-22"));
        assert_eq!(got[0].status, Status::NotAssessed);
        assert!(got[0].message.contains("kubeletVersion"));
        assert_eq!(got[1].status, Status::Error);
    }

    #[test]
    fn no_nodes_is_not_assessed() {
        let inv = inventory("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n");
        let got = findings_in(&KubeletVersionSupported, &inv, &settings_on("2026-11-22"));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].status, Status::NotAssessed);
        assert!(
            got[0].message.contains("no Node objects"),
            "{}",
            got[0].message
        );
    }
}
