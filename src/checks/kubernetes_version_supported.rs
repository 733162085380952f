//! `kubernetes-version-supported`: the API server runs a Kubernetes minor version that is
//! still supported upstream on the as-of date.

use super::{Check, CheckContext, CheckMeta};
use crate::checks::family::versions;
use crate::checks::family::versions::no_server_version;
use crate::evidence::finding::{Finding, Subject};

crate::declare_check! {
    /// ## What it checks
    /// The API server's Kubernetes minor version is still supported upstream on the as-of
    /// date, by the end-of-life data (built in, or `--eol-data`). A line in maintenance mode
    /// (critical and security fixes only) passes and says so; an ended line fails; a version
    /// the data does not list (newer than its newest line) is not assessed: a version the data
    /// does not know is never assumed supported.
    ///
    /// ## Why it matters
    /// Upstream patches only the three most recent minor versions, for about 14 months each.
    /// An API server past its end of life gets no more security fixes, so known
    /// vulnerabilities in the control plane stay open (PCI container guidance 10.1: all
    /// orchestration components supported and patched; NIST CSF PR.PS-02.242-related-5: end-of-life
    /// software is identified and replaced). Managed offerings (EKS, GKE, AKS) may support a
    /// version longer; give their dates with `--eol-data`.
    ///
    /// ## Evidence used
    /// The server version (`version.json` beside a snapshot, as `kubectl version -o json`
    /// writes it, or the API's `/version`), and the end-of-life data recorded in the report's
    /// provenance with its sha256.
    ///
    /// ## Example
    /// ```json
    /// {"serverVersion": {"major": "1", "minor": "36", "gitVersion": "v1.36.2"}}
    /// ```
    /// On 2026-11-30 this passes (1.36 is supported until 2027-06-28); `v1.33.5` fails (1.33
    /// ended on 2026-06-28).
    ///
    /// ## References
    /// - PCI SSC Guidance for Containers and Container Orchestration Tools, section 10.1
    /// - NIST CSF 2.0 question bank, PR.PS-02.242 related question 5 (end-of-life software)
    /// - Kubernetes release history and patch releases (kubernetes.io/releases)
    pub struct KubernetesVersionSupported {
        id: "kubernetes-version-supported",
        title: "The Kubernetes version is supported upstream",
        severity: High,
    }
}

impl Check for KubernetesVersionSupported {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        let Some((version, source)) = &ctx.facts.server_version else {
            return vec![ctx.not_assessed(meta, no_server_version())];
        };
        let judged = versions::judge(ctx.settings, "kubernetes", version);
        let subject = Subject {
            kind: "Cluster".into(),
            name: "kube-apiserver".into(),
            source: source.clone(),
            ..Default::default()
        };
        let mut finding = Finding::new(
            meta.id,
            meta.severity,
            judged.status,
            subject,
            judged.message,
        );
        for (key, value) in judged.details {
            finding = finding.detail(key, value);
        }
        let record = ctx
            .inventory
            .server_version
            .as_ref()
            .and_then(|v| v.evidence.clone());
        vec![finding.evidence(record)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{findings_in, settings_on};
    use crate::evidence::finding::Status;
    use crate::evidence::inventory::{Inventory, ServerVersion};

    fn with_version(git: &str) -> Inventory {
        Inventory {
            server_version: Some(ServerVersion {
                major: "1".into(),
                minor: "x".into(),
                git_version: git.into(),
                platform: "linux/amd64".into(),
                evidence: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn versions_are_judged_on_the_as_of_day() {
        let cases = [
            // 1.34 ends on 2026-10-27: the day itself is supported, the next is not.
            ("v1.34.2", "2026-10-27", Status::Pass),
            ("v1.34.2", "2026-10-28", Status::Fail),
            ("v1.36.2", "2026-11-22", Status::Pass),
            ("v1.29.6-eks-db838b0", "2026-11-22", Status::Fail),
            ("v1.14.0", "2026-11-22", Status::Fail),
            // Newer than anything in the data: unknown, never a pass.
            ("v1.40.0", "2026-11-22", Status::NotAssessed),
        ];
        for (version, day, want) in cases {
            let got = findings_in(
                &KubernetesVersionSupported,
                &with_version(version),
                &settings_on(day),
            );
            assert_eq!(got.len(), 1);
            assert_eq!(
                got[0].status, want,
                "{version} on {day}: {}",
                got[0].message
            );
            assert_eq!(got[0].subject.display_name(), "Cluster kube-apiserver");
        }
    }

    #[test]
    fn minor_with_a_plus_is_read_when_git_version_is_odd() {
        let mut inv = with_version("unknown");
        inv.server_version.as_mut().unwrap().minor = "36+".into();
        let got = findings_in(
            &KubernetesVersionSupported,
            &inv,
            &settings_on("2026-11-22"),
        );
        assert_eq!(got[0].status, Status::Pass, "{}", got[0].message);
    }

    #[test]
    fn no_server_version_is_not_assessed() {
        let got = findings_in(
            &KubernetesVersionSupported,
            &Inventory::default(),
            &settings_on("2026-11-22"),
        );
        assert_eq!(got[0].status, Status::NotAssessed);
        assert!(
            got[0].message.contains("version.json"),
            "{}",
            got[0].message
        );
    }

    #[test]
    fn maintenance_mode_passes_and_says_so() {
        let got = findings_in(
            &KubernetesVersionSupported,
            &with_version("v1.35.1"),
            &settings_on("2027-01-05"),
        );
        assert_eq!(got[0].status, Status::Pass);
        assert!(
            got[0].message.contains("maintenance mode"),
            "{}",
            got[0].message
        );
        assert_eq!(got[0].details["end_of_life"], "2027-02-28");
    }
}
