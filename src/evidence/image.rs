//! Container image references, parsed by the Docker reference grammar.
//!
//! `reference := name [ ":" tag ] [ "@" digest ]`, where a name's first component is a
//! registry host only when it contains `.` or `:`, is `localhost`, or has upper-case letters;
//! otherwise the image is on Docker Hub (`docker.io`, with `library/` for one-component
//! names). So `host:5000/app` is the repository `app` on `host:5000` with no tag, and
//! `app:5000` is the repository `app` with tag `5000`. Digests are `algorithm:hex` with at
//! least 32 hex digits; [`Digest::is_full`] tells a full digest of a registered OCI
//! algorithm from a truncated or unknown one.
//!
//! [`split`] is the one place a reference is cut into name, tag and digest: [`ImageRef::parse`]
//! validates and normalises its parts, and the callers that must keep a reference as written
//! (kustomize's image overrides, the CI analysis naming the tool an image runs, the scan
//! targets of pipelines) read the parts themselves.

use std::fmt;

use serde::Serialize;

pub const DEFAULT_DOMAIN: &str = "docker.io";

/// A parsed image reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageRef {
    /// Registry host, with port when given; `docker.io` when the reference names none.
    pub domain: String,
    /// Repository path within the registry, `library/` added for Docker Hub short names.
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
    /// Whether the reference named its registry itself.
    pub explicit_domain: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Digest {
    pub algorithm: String,
    pub hex: String,
}

/// The digest algorithms the OCI image spec registers, with their hex length.
const REGISTERED_ALGORITHMS: [(&str, usize); 3] = [("sha256", 64), ("sha512", 128), ("blake3", 64)];

impl Digest {
    /// The digest as sentences name it: the algorithm and the first 12 hex digits, then `…`.
    pub fn abbreviated(&self) -> String {
        let n = self.hex.len().min(12);
        format!("{}:{}…", self.algorithm, &self.hex[..n])
    }

    /// The hex length a registered algorithm's digest has, or None for an unregistered one.
    pub fn expected_len(&self) -> Option<usize> {
        REGISTERED_ALGORITHMS
            .iter()
            .find(|(a, _)| *a == self.algorithm)
            .map(|(_, n)| *n)
    }

    /// A registered algorithm at its full length, in lower-case hex.
    pub fn is_full(&self) -> bool {
        self.expected_len() == Some(self.hex.len())
            && self
                .hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("the image reference is empty")]
    Empty,
    #[error("invalid registry host `{0}`")]
    InvalidDomain(String),
    #[error("invalid repository path `{0}` (lower-case letters, digits and `._-` separators)")]
    InvalidPath(String),
    #[error(
        "invalid tag `{0}` (letters, digits, `_`, `.`, `-`; at most 128, not starting with `.` or `-`)"
    )]
    InvalidTag(String),
    #[error("invalid digest `{0}` (expected algorithm:hex with at least 32 hex digits)")]
    InvalidDigest(String),
    #[error("the image name is longer than 255 characters (as normalized, with its registry)")]
    NameTooLong,
}

/// A reference cut into its parts as written: nothing checked, nothing normalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts<'a> {
    /// Everything before the tag and digest, registry and port included.
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

/// `name[:tag][@digest]`: the digest follows the first `@`; the tag is what follows the first
/// `:` after the last `/`. So a `:` in the registry part is a port, not a tag; and since no
/// tag holds a `:`, a tag written as a shell default (`app:${TAG:-latest}`) is cut whole.
pub fn split(reference: &str) -> Parts<'_> {
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, d)) => (rest, Some(d)),
        None => (reference, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].find(':') {
        Some(i) => {
            let at = last_slash + i;
            (&rest[..at], Some(&rest[at + 1..]))
        }
        None => (rest, None),
    };
    Parts { name, tag, digest }
}

impl ImageRef {
    /// Parses a reference as written in a pod spec, Dockerfile or kustomization.
    pub fn parse(reference: &str) -> Result<ImageRef, ImageError> {
        let s = reference.trim();
        if s.is_empty() {
            return Err(ImageError::Empty);
        }
        let Parts { name, tag, digest } = split(s);
        let digest = digest.map(parse_digest).transpose()?;
        let tag = tag.map(str::to_string);
        if let Some(tag) = &tag
            && !valid_tag(tag)
        {
            return Err(ImageError::InvalidTag(tag.clone()));
        }
        let (domain, path, explicit_domain) = split_domain(name);
        if explicit_domain && !valid_domain(domain) {
            return Err(ImageError::InvalidDomain(domain.to_string()));
        }
        if path.is_empty() || !path.split('/').all(valid_path_component) {
            return Err(ImageError::InvalidPath(path.to_string()));
        }
        let domain = match domain {
            _ if !explicit_domain => DEFAULT_DOMAIN,
            "index.docker.io" => DEFAULT_DOMAIN,
            d => d,
        };
        // Docker Hub's official images live under `library/`.
        let path = if domain == DEFAULT_DOMAIN && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_string()
        };
        // Docker limits the name as normalized (`docker.io/library/` counts), so what is
        // printed parses again.
        if domain.len() + 1 + path.len() > 255 {
            return Err(ImageError::NameTooLong);
        }
        let domain = domain.to_string();
        Ok(ImageRef {
            domain,
            path,
            tag,
            digest,
            explicit_domain,
        })
    }

    /// `registry/path`, normalized (`nginx` is `docker.io/library/nginx`).
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The tag as written, or None when the reference has none (which means `latest`
    /// unless a digest is given).
    pub fn is_latest_or_untagged(&self) -> bool {
        matches!(self.tag.as_deref(), None | Some("latest"))
    }

    /// Does the normalized name fall under an allow-list entry? Entries are registry hosts
    /// or repository prefixes (`ghcr.io`, `registry.example.com:5000/team`, `nginx`), matched
    /// on whole path components.
    pub fn is_under(&self, prefix: &str) -> bool {
        let name = self.name();
        normalize_prefix(prefix).iter().any(|prefix| {
            name == *prefix
                || name
                    .strip_prefix(prefix.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        })
    }
}

/// Normalizes an allow-list entry as image names are normalized. A bare host stays a host;
/// `team/app` is on Docker Hub; a single name such as `bitnami` or `nginx` may mean a Docker
/// Hub organisation or an official image, so it stands for both.
pub fn normalize_prefix(prefix: &str) -> Vec<String> {
    let p = prefix.trim().trim_end_matches('/');
    let first = p.split('/').next().unwrap_or("");
    if looks_like_domain(first) {
        vec![match p.strip_prefix("index.docker.io") {
            Some(rest) => format!("{DEFAULT_DOMAIN}{rest}"),
            None => p.to_string(),
        }]
    } else if p.contains('/') {
        vec![format!("{DEFAULT_DOMAIN}/{p}")]
    } else {
        vec![
            format!("{DEFAULT_DOMAIN}/{p}"),
            format!("{DEFAULT_DOMAIN}/library/{p}"),
        ]
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

fn looks_like_domain(component: &str) -> bool {
    component.contains(['.', ':'])
        || component == "localhost"
        || component.chars().any(|c| c.is_ascii_uppercase())
}

fn split_domain(name: &str) -> (&str, &str, bool) {
    match name.split_once('/') {
        Some((first, rest)) if looks_like_domain(first) => (first, rest, true),
        _ => ("", name, false),
    }
}

fn valid_domain(domain: &str) -> bool {
    let (host, port) = if let Some(v6) = domain.strip_prefix('[') {
        match v6.split_once(']') {
            Some((addr, rest)) => {
                if addr.is_empty() || !addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
                    return false;
                }
                (None, rest.strip_prefix(':'))
            }
            None => return false,
        }
    } else {
        match domain.rsplit_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(domain), None),
        }
    };
    if let Some(port) = port
        && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    match host {
        None => true,
        Some(h) => {
            !h.is_empty()
                && h.split('.').all(|c| {
                    !c.is_empty()
                        && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                        && !c.starts_with('-')
                        && !c.ends_with('-')
                })
        }
    }
}

/// `alpha-numeric [separator alpha-numeric]*`, separator `_`, `__`, `.` or `-`+.
fn valid_path_component(c: &str) -> bool {
    let bytes = c.as_bytes();
    if bytes.is_empty() || !is_alnum(bytes[0]) || !is_alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if is_alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !is_alnum(bytes[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "_" || sep == "__" || sep == "." || sep.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

fn parse_digest(d: &str) -> Result<Digest, ImageError> {
    let invalid = || ImageError::InvalidDigest(d.to_string());
    let (algorithm, hex) = d.split_once(':').ok_or_else(invalid)?;
    let algorithm_ok = !algorithm.is_empty()
        && algorithm.split(['+', '.', '-', '_']).all(|part| {
            part.as_bytes()
                .first()
                .is_some_and(|b| b.is_ascii_alphabetic())
                && part.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    if !algorithm_ok || hex.len() < 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    Ok(Digest {
        algorithm: algorithm.to_string(),
        hex: hex.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn parse(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn table_of_references() {
        // (reference, domain, path, tag, has digest)
        let cases: &[(&str, &str, &str, Option<&str>, bool)] = &[
            ("nginx", "docker.io", "library/nginx", None, false),
            (
                "nginx:1.27",
                "docker.io",
                "library/nginx",
                Some("1.27"),
                false,
            ),
            (
                "library/nginx:latest",
                "docker.io",
                "library/nginx",
                Some("latest"),
                false,
            ),
            (
                "bitnami/redis:7.2",
                "docker.io",
                "bitnami/redis",
                Some("7.2"),
                false,
            ),
            ("docker.io/nginx", "docker.io", "library/nginx", None, false),
            (
                "index.docker.io/team/app:1",
                "docker.io",
                "team/app",
                Some("1"),
                false,
            ),
            ("host:5000/app", "host:5000", "app", None, false),
            ("host:5000/app:1.0", "host:5000", "app", Some("1.0"), false),
            ("app:5000", "docker.io", "library/app", Some("5000"), false),
            ("localhost/app", "localhost", "app", None, false),
            (
                "localhost:5000/a/b/c:v1",
                "localhost:5000",
                "a/b/c",
                Some("v1"),
                false,
            ),
            ("Registry/app", "Registry", "app", None, false),
            (
                "ghcr.io/org/team/app:v2.1.0-rc.1",
                "ghcr.io",
                "org/team/app",
                Some("v2.1.0-rc.1"),
                false,
            ),
            ("[::1]:5000/app:x", "[::1]:5000", "app", Some("x"), false),
            (
                "registry.k8s.io/pause:3.9@SHA",
                "registry.k8s.io",
                "pause",
                Some("3.9"),
                true,
            ),
            ("quay.io/org/app@SHA", "quay.io", "org/app", None, true),
            (
                "my_org/my__app-x.y",
                "docker.io",
                "my_org/my__app-x.y",
                None,
                false,
            ),
            ("a/b---c", "docker.io", "a/b---c", None, false),
        ];
        for (input, domain, path, tag, digest) in cases {
            let input = input.replace("SHA", SHA);
            let r = parse(&input);
            assert_eq!(r.domain, *domain, "{input}");
            assert_eq!(r.path, *path, "{input}");
            assert_eq!(r.tag.as_deref(), *tag, "{input}");
            assert_eq!(r.digest.is_some(), *digest, "{input}");
        }
    }

    #[test]
    fn malformed_references_are_rejected() {
        for bad in [
            "",
            "   ",
            "nginx:",
            "nginx:.bad",
            "nginx:-bad",
            "UPPER:1",
            "org/UPPER",
            "a//b",
            "-app",
            "app-",
            "a/.b",
            "nginx@sha256:abc",
            "nginx@sha256",
            "nginx@:0123456789abcdef0123456789abcdef",
            "nginx@sha256:zz23456789abcdef0123456789abcdef",
            "nginx@1sha:0123456789abcdef0123456789abcdef",
            "host:port/app",
            "-host.io/app",
            "[zz]:5000/app",
            "nginx:1.0:2.0",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        let long_tag = format!("app:{}", "a".repeat(129));
        assert!(ImageRef::parse(&long_tag).is_err());
        let long_name = format!("a/{}", "b".repeat(260));
        assert_eq!(ImageRef::parse(&long_name), Err(ImageError::NameTooLong));
    }

    /// Found by the `image_ref` fuzz target: a short name of 250 characters parsed, but its
    /// normalized form (what reports print) did not. Docker checks the length of the
    /// normalized name, `docker.io/library/` included.
    #[test]
    fn the_length_limit_is_of_the_normalized_name() {
        let short = "n".repeat(250);
        assert_eq!(ImageRef::parse(&short), Err(ImageError::NameTooLong));
        let hub = format!("team/{}", "n".repeat(241));
        assert_eq!(ImageRef::parse(&hub), Err(ImageError::NameTooLong));
        // `index.docker.io/` is written out as the shorter `docker.io/`.
        let legacy = format!("index.docker.io/team/{}", "n".repeat(240));
        assert_eq!(ImageRef::parse(&legacy).unwrap().name().len(), 255);
        let fits = "n".repeat(255 - "docker.io/library/".len());
        let image = ImageRef::parse(&fits).unwrap();
        assert_eq!(
            ImageRef::parse(&image.to_string()).unwrap().name(),
            image.name()
        );
    }

    #[test]
    fn full_digests_are_told_from_short_and_unknown_ones() {
        assert!(parse(&format!("a@{SHA}")).digest.unwrap().is_full());
        let short = parse("a@sha256:0123456789abcdef0123456789abcdef")
            .digest
            .unwrap();
        assert!(!short.is_full());
        assert_eq!(short.expected_len(), Some(64));
        let sha512 = format!("a@sha512:{}", "ab".repeat(64));
        assert!(parse(&sha512).digest.unwrap().is_full());
        let unknown = parse("a@md5+x:0123456789abcdef0123456789abcdef")
            .digest
            .unwrap();
        assert!(!unknown.is_full() && unknown.expected_len().is_none());
        let upper = parse(&format!("a@sha256:{}", "AB".repeat(32)))
            .digest
            .unwrap();
        assert!(!upper.is_full(), "OCI digests are lower-case hex");
    }

    #[test]
    fn allow_list_entries_match_on_whole_components() {
        let r = parse("registry.example.com:5000/team/app:1");
        assert!(r.is_under("registry.example.com:5000"));
        assert!(r.is_under("registry.example.com:5000/team"));
        assert!(r.is_under("registry.example.com:5000/team/"));
        assert!(!r.is_under("registry.example.com:5000/te"));
        assert!(!r.is_under("registry.example.com"));
        let hub = parse("nginx:1.27");
        assert!(hub.is_under("docker.io/library/nginx"));
        assert!(hub.is_under("nginx"));
        assert!(hub.is_under("docker.io"));
        assert!(hub.is_under("index.docker.io/library"));
        assert!(!hub.is_under("ghcr.io"));
        assert!(parse("bitnami/redis").is_under("bitnami"));
    }

    #[test]
    fn display_is_normalized() {
        assert_eq!(parse("nginx").to_string(), "docker.io/library/nginx");
        assert_eq!(
            parse(&format!("host:5000/app:1@{SHA}")).to_string(),
            format!("host:5000/app:1@{SHA}")
        );
    }

    #[test]
    fn split_keeps_registry_ports_and_cuts_tag_and_digest() {
        assert_eq!(
            split("nginx"),
            Parts {
                name: "nginx",
                tag: None,
                digest: None
            }
        );
        assert_eq!(
            split("nginx:1.27"),
            Parts {
                name: "nginx",
                tag: Some("1.27"),
                digest: None
            }
        );
        assert_eq!(
            split("host:5000/app"),
            Parts {
                name: "host:5000/app",
                tag: None,
                digest: None
            }
        );
        assert_eq!(
            split("host:5000/a/b:v1@sha256:ab"),
            Parts {
                name: "host:5000/a/b",
                tag: Some("v1"),
                digest: Some("sha256:ab")
            }
        );
        assert_eq!(
            split("app@sha256:ab"),
            Parts {
                name: "app",
                tag: None,
                digest: Some("sha256:ab")
            }
        );
        // A `:` before the last `/` is never a tag; the first one after it always starts it.
        assert_eq!(
            split("host/a:1/b"),
            Parts {
                name: "host/a:1/b",
                tag: None,
                digest: None
            }
        );
        assert_eq!(
            split("reg/app:${TAG:-latest}"),
            Parts {
                name: "reg/app",
                tag: Some("${TAG:-latest}"),
                digest: None
            }
        );
    }
}
