//! `image-tag-not-latest`: images name the build they run.

use super::{Check, CheckContext, CheckMeta, parse_container_image};
use crate::evidence::finding::{Finding, Status};
use crate::evidence::image::ImageRef;

crate::declare_check! {
    /// ## What it checks
    /// Every container image has an explicit tag other than `latest`, or a digest. An image
    /// with no tag means `latest`.
    ///
    /// ## Why it matters
    /// With `latest`, the build a container runs depends on when its node pulled the image,
    /// not on the manifest: two replicas can run different software, and a restart can
    /// silently change what runs. Replacing containers is only a controlled update when the
    /// manifest names the new image (PR.PS-02.242).
    ///
    /// ## Evidence used
    /// The `image` of every container in the pod templates of assessed workloads.
    ///
    /// ## Example
    /// ```yaml
    /// image: registry.example.com/shop/api:2.14.1
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242
    /// - Kubernetes: Images, "Image names" and "Updating images"
    pub struct ImageTagNotLatest {
        id: "image-tag-not-latest",
        title: "Images name an explicit version",
        severity: Medium,
    }
}

impl Check for ImageTagNotLatest {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
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
            let finding = if image.digest.is_none() && image.is_latest_or_untagged() {
                c.finding(meta, Status::Fail, image_tag_latest(original, &image))
            } else {
                c.finding(meta, Status::Pass, image_tag_ok(&image))
            };
            out.push(finding.detail("image", original));
        }
        out
    }
}

// Wording: the sentences this check's findings say.

fn image_tag_ok(image: &ImageRef) -> String {
    match (&image.tag, &image.digest) {
        (_, Some(d)) => format!("image is pinned by digest {}", d.abbreviated()),
        (Some(tag), None) => format!("image has the explicit tag `{tag}`"),
        (None, None) => unreachable!("callers pass only tagged or digested images"),
    }
}

fn image_tag_latest(original: &str, image: &ImageRef) -> String {
    match &image.tag {
        Some(_) => format!(
            "image `{original}` uses the `latest` tag: which build runs depends on when the node pulled it"
        ),
        None => format!(
            "image `{original}` has no tag, so it means `latest`: which build runs depends on when the node pulled it"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{pod_with_images, statuses};

    #[test]
    fn latest_and_untagged_fail_digests_pass() {
        let got = statuses(
            &ImageTagNotLatest,
            &pod_with_images(&[
                "nginx",
                "nginx:latest",
                "nginx:1.27",
                "host:5000/app",
                "host:5000/app:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "Bad Image",
                "",
            ]),
        );
        let s: Vec<Status> = got.iter().map(|(_, s)| *s).collect();
        use Status::*;
        assert_eq!(s, [Fail, Fail, Pass, Fail, Pass, Error, Error]);
    }

    #[test]
    fn operator_images_are_judged_and_an_operator_default_is_not_assessed() {
        let got = crate::checks::test_support::statuses_on(
            &ImageTagNotLatest,
            r#"
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: monitoring}
spec: {image: "quay.io/prometheus/prometheus:latest", version: v2.54.1}
---
apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata: {name: main, namespace: monitoring}
spec: {version: v0.27.0}
"#,
            &crate::checks::CheckSettings::default(),
        );
        use Status::*;
        assert_eq!(
            got,
            crate::checks::test_support::want(&[
                (
                    "Alertmanager monitoring/main container alertmanager",
                    NotAssessed
                ),
                ("Prometheus monitoring/k8s container prometheus", Fail),
            ])
        );
    }
}
