//! `image-from-trusted-registry`: images come from registries the organisation controls.

use super::{Check, CheckContext, CheckMeta, parse_container_image};
use crate::evidence::finding::{Finding, Status};

crate::declare_check! {
    /// ## What it checks
    /// Every container image comes from a registry or repository prefix on the configured
    /// allow-list (`--trusted-registry`, repeatable, or `trusted-registries` in
    /// `evidencer.yaml`). Entries match whole path components: `registry.example.com/team`
    /// covers `registry.example.com/team/api` but not `registry.example.com/teamx/api`.
    /// With no list configured the check is not assessed, never a silent pass.
    ///
    /// ## Why it matters
    /// Software that runs should be software the organisation authorised: images from an
    /// unapproved registry are unauthorised software (PR.PS-02.242-related-6), and they bypass the
    /// organisation's own build, scan and promotion pipeline.
    ///
    /// ## Evidence used
    /// The `image` of every container in the pod templates of assessed workloads, normalized
    /// (`nginx` is `docker.io/library/nginx`).
    ///
    /// ## Example
    /// ```yaml
    /// # evidencer.yaml
    /// trusted-registries:
    ///   - registry.example.com
    ///   - registry.k8s.io
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242 related question 6 (unauthorised software)
    /// - NIST SP 800-190, 4.1.5 (use of untrusted images)
    pub struct ImageFromTrustedRegistry {
        id: "image-from-trusted-registry",
        title: "Images come from trusted registries",
        severity: High,
    }
}

impl Check for ImageFromTrustedRegistry {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        let trusted = &ctx.settings.trusted_registries;
        if trusted.is_empty() {
            return vec![ctx.not_assessed(meta, no_trusted_registries())];
        }
        if let Some(f) = ctx.require_workloads(meta) {
            return vec![f];
        }
        let mut out = ctx.unreadable_workloads(meta);
        out.extend(ctx.operator_default_images(meta));
        for c in ctx.facts.workloads.image_containers() {
            let (original, image) = match parse_container_image(&c) {
                Ok(parsed) => parsed,
                Err((_, message)) => {
                    out.push(c.finding(meta, Status::Error, message));
                    continue;
                }
            };
            let name = image.name();
            let finding = match trusted.iter().find(|p| image.is_under(p)) {
                Some(prefix) => c
                    .finding(meta, Status::Pass, image_trusted(&name, prefix))
                    .detail("matched", prefix.as_str()),
                None => c.finding(meta, Status::Fail, image_untrusted(&name)),
            };
            out.push(finding.detail("image", original));
        }
        out
    }
}

// Wording: the sentences this check's findings say.

fn no_trusted_registries() -> String {
    "no trusted registries are configured: set --trusted-registry (or trusted-registries in evidencer.yaml) to assess this check".into()
}

fn image_trusted(name: &str, prefix: &str) -> String {
    format!("image `{name}` comes from the trusted `{prefix}`")
}

fn image_untrusted(name: &str) -> String {
    format!("image `{name}` comes from a registry that is not on the trusted list")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::CheckSettings;
    use crate::checks::test_support::{pod_with_images, statuses, statuses_with};

    #[test]
    fn without_a_list_it_is_not_assessed() {
        let got = statuses(&ImageFromTrustedRegistry, &pod_with_images(&["nginx:1"]));
        assert_eq!(got, [("Input all sources", Status::NotAssessed)]);
    }

    #[test]
    fn images_match_prefixes_on_whole_components() {
        let settings = CheckSettings {
            trusted_registries: vec!["registry.example.com/team".into(), "nginx".into()],
            ..Default::default()
        };
        let got = statuses_with(
            &ImageFromTrustedRegistry,
            &pod_with_images(&[
                "registry.example.com/team/api:1",
                "registry.example.com/teamx/api:1",
                "nginx:1.27",
                "ghcr.io/org/app:1",
            ]),
            &settings,
        );
        let s: Vec<Status> = got.iter().map(|(_, s)| *s).collect();
        use Status::*;
        assert_eq!(s, [Pass, Fail, Pass, Fail]);
    }
}
