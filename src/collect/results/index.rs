//! The results that scanned an image: looked up by digest first, then by registry,
//! repository and tag.
//!
//! [`ResultIndex`] takes the records read and indexes those about an image by every digest
//! they give (manifest digests and the image id) and by every normalised
//! `registry/repository:tag` they name (`nginx` is `docker.io/library/nginx:latest`), so a
//! lookup costs two hash probes whatever the number of results. A digest match is exact: the
//! scanned image is the running one. Without one, a scan of the same tag counts, unless both
//! sides give manifest digests and they differ: then the tag was scanned while it pointed at
//! other content, and the scan is returned apart ([`ImageMatch::other_digest`]) so a check
//! can say so instead of counting it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ResultRecord, Subject};
use crate::evidence::image::ImageRef;

/// A digest as `algorithm:hex` in lower case, from a digest alone (`sha256:...`), a
/// reference (`nginx@sha256:...`) or a runtime's image id (`docker-pullable://nginx@sha256:...`,
/// `docker://sha256:...`); None when it holds none (at least 32 hex digits).
pub fn normalize_digest(s: &str) -> Option<String> {
    let s = s.trim();
    let s = match s.rsplit_once('@') {
        Some((_, d)) => d,
        None => s.split_once("://").map_or(s, |(_, rest)| rest),
    };
    let (algorithm, hex) = s.split_once(':')?;
    let algorithm_ok = !algorithm.is_empty()
        && algorithm
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'_' | b'-'));
    let hex_ok = hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    (algorithm_ok && hex_ok).then(|| {
        format!(
            "{}:{}",
            algorithm.to_ascii_lowercase(),
            hex.to_ascii_lowercase()
        )
    })
}

/// The key of a reference's tag: `registry/repository:tag`, `:latest` for a reference
/// without tag or digest (what a runtime pulls); None for a reference by digest alone.
fn tag_key(r: &ImageRef) -> Option<String> {
    match (&r.tag, &r.digest) {
        (Some(tag), _) => Some(format!("{}:{tag}", r.name())),
        (None, None) => Some(format!("{}:latest", r.name())),
        (None, Some(_)) => None,
    }
}

/// How a running image was matched to its scans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// The scanned image has the running image's digest.
    Digest,
    /// The scan names the same registry, repository and tag.
    Tag,
}

/// The results that scanned one image.
#[derive(Debug, Default)]
pub struct ImageMatch<'a> {
    /// None when nothing matched.
    pub matched_by: Option<MatchedBy>,
    /// Newest scan first; undated ones last, in the order read.
    pub records: Vec<&'a ResultRecord>,
    /// Scans of the same tag whose manifest digests are all other than the running
    /// image's: the tag pointed at other content when it was scanned. Not in `records`.
    pub other_digest: Vec<&'a ResultRecord>,
}

impl<'a> ImageMatch<'a> {
    /// The newest dated vulnerability scan: the one `images-scanned` judges by.
    pub fn newest_dated_scan(&self) -> Option<&'a ResultRecord> {
        self.records.iter().copied().find(|r| r.is_dated_scan())
    }

    /// When the newest dated vulnerability scan ran.
    pub fn newest_scan_time(&self) -> Option<DateTime<Utc>> {
        self.newest_dated_scan().and_then(|r| r.scanned_at)
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// Records about images, indexed by digest and by tag.
#[derive(Debug, Default)]
pub struct ResultIndex {
    records: Vec<ResultRecord>,
    by_digest: HashMap<String, Vec<u32>>,
    by_tag: HashMap<String, Vec<u32>>,
}

fn push(map: &mut HashMap<String, Vec<u32>>, key: String, i: u32) {
    let list = map.entry(key).or_default();
    if list.last() != Some(&i) {
        list.push(i);
    }
}

impl ResultIndex {
    /// Indexes `records` (all of them are kept; those about no image are found by no
    /// lookup).
    pub fn new(records: Vec<ResultRecord>) -> ResultIndex {
        let mut index = ResultIndex {
            by_digest: HashMap::with_capacity(records.len() * 2),
            by_tag: HashMap::with_capacity(records.len() * 2),
            records: Vec::new(),
        };
        for (i, record) in records.iter().enumerate() {
            let Subject::Image(image) = &record.subject else {
                continue;
            };
            let i = u32::try_from(i).expect("fewer than 4 billion results");
            for d in image.digests.iter().chain(&image.image_id) {
                push(&mut index.by_digest, d.clone(), i);
            }
            for name in &image.names {
                if let Some(key) = tag_key(name) {
                    push(&mut index.by_tag, key, i);
                }
            }
        }
        index.records = records;
        index
    }

    pub fn records(&self) -> &[ResultRecord] {
        &self.records
    }

    pub fn into_records(self) -> Vec<ResultRecord> {
        self.records
    }

    /// The results that scanned the image a container runs: `reference` as its spec gives
    /// it (`nginx:1.27`, `registry.example.com/shop/api@sha256:...`), and `digest` as its
    /// status reports it (`containerStatuses[].imageID`, in any of the runtimes' forms), when
    /// known. Matches by digest when any result has one of the image's digests, else by
    /// registry, repository and tag.
    pub fn find(&self, reference: &str, digest: Option<&str>) -> ImageMatch<'_> {
        let parsed =
            ImageRef::parse(reference.split_once("://").map_or(reference, |(_, r)| r)).ok();
        let mut running: Vec<String> = Vec::with_capacity(2);
        for d in digest.and_then(normalize_digest).into_iter().chain(
            parsed
                .as_ref()
                .and_then(|p| p.digest.as_ref())
                .and_then(|d| normalize_digest(&d.to_string())),
        ) {
            if !running.contains(&d) {
                running.push(d);
            }
        }
        let mut by_digest: Vec<u32> = running
            .iter()
            .filter_map(|d| self.by_digest.get(d))
            .flatten()
            .copied()
            .collect();
        if !by_digest.is_empty() {
            by_digest.sort_unstable();
            by_digest.dedup();
            return ImageMatch {
                matched_by: Some(MatchedBy::Digest),
                records: self.newest_first(by_digest),
                other_digest: Vec::new(),
            };
        }
        // Only a digest a registry serves the image by can differ meaningfully from a
        // scan's: a bare `sha256:...` from a runtime may be the image (config) id.
        let manifest_known = digest.is_some_and(|d| d.contains('@'))
            || parsed.as_ref().is_some_and(|p| p.digest.is_some());
        let Some(key) = parsed.as_ref().and_then(tag_key) else {
            return ImageMatch::default();
        };
        let Some(candidates) = self.by_tag.get(&key) else {
            return ImageMatch::default();
        };
        let (mut same, mut other) = (Vec::new(), Vec::new());
        for &i in candidates {
            let scanned = match &self.records[i as usize].subject {
                Subject::Image(image) => &image.digests,
                _ => continue,
            };
            if manifest_known && !scanned.is_empty() {
                // Both sides name content, and no digest matched (or the digest lookup
                // would have found it).
                other.push(i);
            } else {
                same.push(i);
            }
        }
        ImageMatch {
            matched_by: (!same.is_empty()).then_some(MatchedBy::Tag),
            records: self.newest_first(same),
            other_digest: self.newest_first(other),
        }
    }

    fn newest_first(&self, indices: Vec<u32>) -> Vec<&ResultRecord> {
        let mut records: Vec<&ResultRecord> = indices
            .into_iter()
            .map(|i| &self.records[i as usize])
            .collect();
        // Stable: records of the same time (or undated) keep the order read.
        records.sort_by(|a, b| match (a.scanned_at, b.scanned_at) {
            (Some(x), Some(y)) => y.cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        records
    }
}
