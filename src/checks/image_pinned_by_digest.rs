//! `image-pinned-by-digest`: images are pinned to one immutable build.

use super::{Check, CheckContext, CheckMeta, parse_container_image};
use crate::evidence::finding::{Finding, Status};
use crate::evidence::image::Digest;
use crate::evidence::image::ImageError;

crate::declare_check! {
    /// ## What it checks
    /// Every container image carries a full digest: `@sha256:` with 64 hex digits, or another
    /// registered OCI algorithm at its full length. An explicit version tag without a digest
    /// is a warning; `latest`, no tag, or a truncated or malformed digest fails.
    ///
    /// ## Why it matters
    /// A tag is a pointer that can be moved to another build; a digest names exactly one.
    /// Pinning by digest proves that what runs is the image that was built and scanned, and
    /// that a change to it can only happen by deploying a new reference, which replaces the
    /// containers (PR.PS-02.242).
    ///
    /// ## Evidence used
    /// The `image` of every container in the pod templates of assessed workloads.
    ///
    /// ## Example
    /// ```yaml
    /// image: registry.example.com/shop/api:2.14.1@sha256:6b3c...e91f
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242
    /// - OCI Image Format Specification, Descriptors: Digests
    /// - Kubernetes: Images, "Image pull operations" (pulling by digest)
    pub struct ImagePinnedByDigest {
        id: "image-pinned-by-digest",
        title: "Images are pinned by digest",
        severity: Medium,
    }
}

impl Check for ImagePinnedByDigest {
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
                // A digest too short or of the wrong shape is not a pin.
                Err((Some(ImageError::InvalidDigest(_)), message)) => {
                    out.push(c.finding(meta, Status::Fail, message));
                    continue;
                }
                Err((_, message)) => {
                    out.push(c.finding(meta, Status::Error, message));
                    continue;
                }
            };
            let (status, message) = match (&image.digest, &image.tag) {
                (Some(d), _) if d.is_full() => (Status::Pass, image_digest_pinned(d)),
                (Some(d), _) => (Status::Fail, image_digest_partial(d)),
                (None, Some(tag)) if tag != "latest" => (Status::Warn, image_tag_only(tag)),
                (None, _) => (Status::Fail, image_not_pinned(original)),
            };
            out.push(c.finding(meta, status, message).detail("image", original));
        }
        out
    }
}

// Wording: the sentences this check's findings say.

fn image_digest_pinned(digest: &Digest) -> String {
    format!("image is pinned by the digest {}", digest.abbreviated())
}

fn image_digest_partial(digest: &Digest) -> String {
    match digest.expected_len() {
        Some(n) => format!(
            "image digest {} has {} hex digits where {} needs {n}: a truncated digest is not a pin",
            digest.abbreviated(),
            digest.hex.len(),
            digest.algorithm
        ),
        None => format!(
            "image digest uses `{}`, which is not a registered OCI digest algorithm",
            digest.algorithm
        ),
    }
}

fn image_tag_only(tag: &str) -> String {
    format!(
        "image is pinned only by the tag `{tag}`: tags can be moved to another build; add its @sha256 digest"
    )
}

fn image_not_pinned(original: &str) -> String {
    format!("image `{original}` is neither pinned by digest nor by an explicit version tag")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{pod_with_images, statuses};

    #[test]
    fn full_digests_pass_tags_warn_the_rest_fail() {
        let sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let got = statuses(
            &ImagePinnedByDigest,
            &pod_with_images(&[
                &format!("nginx@sha256:{sha}"),
                &format!("host:5000/app:1.2@sha256:{sha}"),
                "nginx:1.27",
                "nginx:latest",
                "nginx",
                "nginx@sha256:0123456789abcdef0123456789abcdef",
                "nginx@sha256:abc",
                &format!("nginx@sha512:{sha}"),
            ]),
        );
        let s: Vec<Status> = got.iter().map(|(_, s)| *s).collect();
        use Status::*;
        assert_eq!(s, [Pass, Pass, Warn, Fail, Fail, Fail, Fail, Fail]);
    }
}
