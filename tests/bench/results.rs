//! Reading scanner results and matching them to running images (issue 16): 2,000 result
//! files (Trivy and Grype JSON, one in ten gzip-compressed) holding 200,000 vulnerabilities,
//! read with `collect::results::read_paths`, indexed, and looked up for 15,000 running
//! containers (two in three with the digest their status reports, some of images never
//! scanned, some of a tag scanned at other content). Prints medians of wall time, CPU time
//! and peak RSS, and each phase's time as the driver measured it.
//!
//! ```text
//! cargo bench --bench results                  # 5 timed runs after one warm-up
//! cargo bench --bench results -- --runs 9 --keep /tmp/results --generate-only
//! ```
//!
//! The files are shaped on what the tools write: pretty-printed, each vulnerability with
//! its title, a description of a few hundred characters, references, CVSS vectors, layers
//! (Trivy) or match details, CPEs and related vulnerabilities (Grype): about 1.3 KB (Trivy)
//! and 2 KB (Grype) a vulnerability. Each measured run is a fresh process (this bench
//! re-executed as `--driver`, with the binary's allocator), so its peak RSS is its own. The
//! issue's target for the whole report run is 3 s and 500 MB; this is the reading part.

mod measure;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use evidencer::collect::results::{MatchedBy, ReadOptions, ResultIndex, read_paths};
use serde_json::{Value, json};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const FILES: usize = 2_000;
const VULNERABILITIES_PER_FILE: usize = 100;
const CONTAINERS: usize = 15_000;
/// Images running but never scanned, beyond the scanned ones.
const UNSCANNED_IMAGES: usize = 400;

/// A deterministic generator, so two runs write the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn hex(&mut self, digits: usize) -> String {
        let mut s = String::with_capacity(digits);
        while s.len() < digits {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(digits);
        s
    }
}

fn digest(kind: &str, i: usize) -> String {
    let mut rng = Rng(0x51_7cc1_b727_220a ^ ((i as u64 + 1) * 0x9e37_79b9) ^ kind.len() as u64);
    format!("sha256:{}", rng.hex(64))
}

/// The image scanned by file `i` (and run by containers), `registry/team/app:tag`.
fn image(i: usize) -> String {
    format!(
        "registry.example.com/team{}/app{}:1.{}.{}",
        i % 40,
        i / 40,
        i % 7,
        i % 13
    )
}

fn repository(i: usize) -> String {
    let name = image(i);
    name[..name.rfind(':').unwrap()].to_string()
}

const WORDS: [&str; 24] = [
    "buffer",
    "overflow",
    "in",
    "the",
    "parser",
    "allows",
    "remote",
    "attackers",
    "to",
    "cause",
    "a",
    "denial",
    "of",
    "service",
    "via",
    "crafted",
    "input",
    "when",
    "processing",
    "certificates",
    "with",
    "an",
    "unbounded",
    "length",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    (0..words)
        .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

const SEVERITIES: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];
const PACKAGES: [&str; 12] = [
    "libssl3",
    "libcrypto3",
    "busybox",
    "musl",
    "zlib",
    "curl",
    "libcurl",
    "expat",
    "sqlite-libs",
    "ncurses-libs",
    "libxml2",
    "openssh-client",
];

fn cve(rng: &mut Rng) -> String {
    format!("CVE-20{}-{}", 18 + rng.below(8), 1000 + rng.below(50_000))
}

fn trivy(i: usize, rng: &mut Rng) -> Value {
    let layer = digest("layer", i);
    let vulnerabilities: Vec<Value> = (0..VULNERABILITIES_PER_FILE)
        .map(|_| {
            let id = cve(rng);
            let package = PACKAGES[rng.below(PACKAGES.len() as u64) as usize];
            let installed = format!("{}.{}.{}-r{}", rng.below(4), rng.below(20), rng.below(9), rng.below(5));
            let fixed = (rng.below(3) > 0).then(|| format!("{installed}-r9"));
            let severity = SEVERITIES[rng.below(5) as usize];
            let mut v = json!({
                "VulnerabilityID": id,
                "PkgID": format!("{package}@{installed}"),
                "PkgName": package,
                "PkgIdentifier": {
                    "PURL": format!("pkg:apk/alpine/{package}@{installed}?arch=x86_64&distro=3.19.1"),
                    "UID": rng.hex(16)
                },
                "InstalledVersion": installed,
                "Status": if fixed.is_some() { "fixed" } else { "affected" },
                "Layer": {"Digest": layer, "DiffID": digest("diff", i)},
                "SeveritySource": "nvd",
                "PrimaryURL": format!("https://avd.aquasec.com/nvd/{}", id.to_lowercase()),
                "DataSource": {"ID": "alpine", "Name": "Alpine Secdb", "URL": "https://secdb.alpinelinux.org/"},
                "Title": format!("{package}: {}", sentence(rng, 8)),
                "Description": sentence(rng, 60),
                "Severity": severity,
                "CweIDs": [format!("CWE-{}", 20 + rng.below(800))],
                "VendorSeverity": {"nvd": rng.below(4) + 1, "redhat": rng.below(4) + 1},
                "CVSS": {
                    "nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "V3Score": 7.5},
                    "redhat": {"V3Vector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", "V3Score": 5.9}
                },
                "References": [
                    format!("https://nvd.nist.gov/vuln/detail/{id}"),
                    format!("https://access.redhat.com/security/cve/{id}"),
                    format!("https://security.alpinelinux.org/vuln/{id}"),
                    format!("https://www.cve.org/CVERecord?id={id}")
                ],
                "PublishedDate": format!("2024-0{}-1{}T09:15:07.837Z", 1 + rng.below(9), rng.below(10)),
                "LastModifiedDate": "2025-02-08T10:15:13.213Z"
            });
            if let Some(f) = fixed {
                v["FixedVersion"] = json!(f);
            }
            v
        })
        .collect();
    json!({
        "SchemaVersion": 2,
        "Trivy": {"Version": "0.58.1"},
        "CreatedAt": format!("2026-11-{:02}T04:12:09.554212018Z", 1 + i % 28),
        "ArtifactName": image(i),
        "ArtifactType": "container_image",
        "Metadata": {
            "Size": 81_234_944,
            "OS": {"Family": "alpine", "Name": "3.19.1"},
            "ImageID": digest("config", i),
            "DiffIDs": [digest("diff", i)],
            "RepoTags": [image(i)],
            "RepoDigests": [format!("{}@{}", repository(i), digest("manifest", i))],
            "ImageConfig": {"architecture": "amd64", "os": "linux", "created": "2026-10-30T11:00:00Z"}
        },
        "Results": [{
            "Target": format!("{} (alpine 3.19.1)", image(i)),
            "Class": "os-pkgs",
            "Type": "alpine",
            "Vulnerabilities": vulnerabilities
        }]
    })
}

fn grype(i: usize, rng: &mut Rng) -> Value {
    let matches: Vec<Value> = (0..VULNERABILITIES_PER_FILE)
        .map(|_| {
            let id = cve(rng);
            let package = PACKAGES[rng.below(PACKAGES.len() as u64) as usize];
            let installed = format!("{}.{}.{}-r{}", rng.below(4), rng.below(20), rng.below(9), rng.below(5));
            let fixed = rng.below(3) > 0;
            let severity = ["Critical", "High", "Medium", "Low", "Negligible"][rng.below(5) as usize];
            let cvss = json!([{
                "source": "nvd@nist.gov", "type": "Primary", "version": "3.1",
                "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                "metrics": {"baseScore": 7.5, "exploitabilityScore": 3.9, "impactScore": 3.6},
                "vendorMetadata": {}
            }]);
            json!({
                "vulnerability": {
                    "id": id,
                    "dataSource": format!("https://security.alpinelinux.org/vuln/{id}"),
                    "namespace": "alpine:distro:alpine:3.19",
                    "severity": severity,
                    "urls": [format!("https://security.alpinelinux.org/vuln/{id}")],
                    "description": sentence(rng, 50),
                    "cvss": [],
                    "fix": {
                        "versions": if fixed { json!([format!("{installed}-r9")]) } else { json!([]) },
                        "state": if fixed { "fixed" } else { "not-fixed" }
                    },
                    "advisories": []
                },
                "relatedVulnerabilities": [{
                    "id": id,
                    "dataSource": format!("https://nvd.nist.gov/vuln/detail/{id}"),
                    "namespace": "nvd:cpe",
                    "severity": severity,
                    "urls": [format!("https://www.openwall.com/lists/oss-security/2024/0{}/1", 1 + rng.below(9))],
                    "description": sentence(rng, 40),
                    "cvss": cvss
                }],
                "matchDetails": [{
                    "type": "exact-indirect-match",
                    "matcher": "apk-matcher",
                    "searchedBy": {
                        "distro": {"type": "alpine", "version": "3.19.1"},
                        "namespace": "alpine:distro:alpine:3.19",
                        "package": {"name": package, "version": installed}
                    },
                    "found": {"versionConstraint": format!("< {installed}-r9 (apk)"), "vulnerabilityID": id}
                }],
                "artifact": {
                    "id": rng.hex(16),
                    "name": package,
                    "version": installed,
                    "type": "apk",
                    "locations": [{"path": "/lib/apk/db/installed", "layerID": digest("layer", i)}],
                    "language": "",
                    "licenses": ["Apache-2.0"],
                    "cpes": [format!("cpe:2.3:a:{package}:{package}:{installed}:*:*:*:*:*:*:*")],
                    "purl": format!("pkg:apk/alpine/{package}@{installed}?arch=x86_64&distro=alpine-3.19.1"),
                    "upstreams": [{"name": package}]
                }
            })
        })
        .collect();
    json!({
        "matches": matches,
        "source": {
            "type": "image",
            "target": {
                "userInput": image(i),
                "imageID": digest("config", i),
                "manifestDigest": digest("manifest", i),
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "tags": [image(i)],
                "imageSize": 52_428_800,
                "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                            "digest": digest("diff", i), "size": 7_700_000}],
                "repoDigests": [format!("{}@{}", repository(i), digest("manifest", i))],
                "architecture": "amd64",
                "os": "linux"
            }
        },
        "distro": {"name": "alpine", "version": "3.19.1", "idLike": []},
        "descriptor": {
            "name": "grype",
            "version": "0.84.0",
            "configuration": {"output": ["json"], "file": "", "distro": "", "add-cpes-if-none": false},
            "db": {"built": "2026-10-01T01:31:11Z", "schemaVersion": 5, "location": "/root/.cache/grype/db/5"},
            "timestamp": format!("2026-11-{:02}T06:30:00.123456-04:00", 1 + i % 28)
        }
    })
}

/// Writes the result files and the running containers' references; returns bytes written.
fn generate(dir: &Path) -> u64 {
    std::fs::create_dir_all(dir.join("scans")).expect("a directory for the scans");
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut bytes = 0;
    for i in 0..FILES {
        let (value, name) = if i % 2 == 0 {
            (trivy(i, &mut rng), format!("trivy-{i:04}.json"))
        } else {
            (grype(i, &mut rng), format!("grype-{i:04}.json"))
        };
        let text = serde_json::to_vec_pretty(&value).expect("JSON");
        let path = dir.join("scans").join(&name);
        if i % 10 == 3 {
            let file = File::create(path.with_file_name(format!("{name}.gz"))).expect("a file");
            let mut gz =
                flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::default());
            gz.write_all(&text).expect("written");
            gz.finish().expect("written").flush().expect("written");
        } else {
            std::fs::write(&path, &text).expect("written");
        }
        bytes += text.len() as u64;
    }
    // Running containers: scanned images with the digest their status reports, without
    // one (matched by tag), images never scanned, and a tag that moved since its scan.
    let mut refs = BufWriter::new(File::create(dir.join("running.txt")).expect("a file"));
    for c in 0..CONTAINERS {
        let i = (c * 7919) % (FILES + UNSCANNED_IMAGES);
        let reference = if i < FILES {
            image(i)
        } else {
            format!("registry.example.com/unscanned/app{i}:2.0")
        };
        let status_digest = match c % 3 {
            _ if c % 97 == 0 => format!("{}@{}", repository(i), digest("moved", c)),
            0 | 1 => format!(
                "docker-pullable://{}@{}",
                repository(i),
                digest("manifest", i)
            ),
            _ => String::new(),
        };
        writeln!(refs, "{reference} {status_digest}").expect("written");
    }
    refs.flush().expect("written");
    bytes
}

/// The measured process: reads, indexes and matches, and prints what it found and how long
/// each phase took.
fn driver(dir: &Path) {
    let started = Instant::now();
    let results = read_paths(&[dir.join("scans")], &ReadOptions::default());
    let read = started.elapsed();
    let vulnerabilities: usize = results
        .records
        .iter()
        .map(|r| r.vulnerabilities.len())
        .sum();
    let (records, problems, files) = (results.records.len(), results.problems.len(), results.files);
    let indexed = Instant::now();
    let index = ResultIndex::new(results.records);
    let index_time = indexed.elapsed();
    let refs = std::fs::read_to_string(dir.join("running.txt")).expect("running.txt");
    let matching = Instant::now();
    let (mut by_digest, mut by_tag, mut none, mut moved) = (0, 0, 0, 0);
    for line in refs.lines() {
        let (reference, digest) = line.split_once(' ').unwrap_or((line, ""));
        let m = index.find(reference, (!digest.is_empty()).then_some(digest));
        match m.matched_by {
            Some(MatchedBy::Digest) => by_digest += 1,
            Some(MatchedBy::Tag) => by_tag += 1,
            None => none += 1,
        }
        moved += usize::from(!m.other_digest.is_empty());
        std::hint::black_box(m.newest_scan_time());
    }
    let match_time = matching.elapsed();
    println!(
        "files {files} records {records} vulnerabilities {vulnerabilities} problems {problems} | \
         containers by digest {by_digest}, by tag {by_tag}, unmatched {none} (tag moved {moved}) | \
         read {:.0} ms, index {:.1} ms, match {:.1} ms",
        read.as_secs_f64() * 1e3,
        index_time.as_secs_f64() * 1e3,
        match_time.as_secs_f64() * 1e3
    );
    assert_eq!(problems, 0, "every generated file reads");
    assert_eq!(vulnerabilities, FILES * VULNERABILITIES_PER_FILE);
}

fn median<T: Copy + Ord>(values: &[T]) -> T {
    let mut v = values.to_vec();
    v.sort();
    v[v.len() / 2]
}

fn main() {
    measure::serve_if_asked();
    let mut args = std::env::args().skip(1);
    let (mut runs, mut keep, mut generate_only) = (5usize, None::<PathBuf>, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--driver" => return driver(Path::new(&args.next().expect("--driver DIR"))),
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--keep" => keep = Some(PathBuf::from(args.next().expect("--keep DIR"))),
            "--generate-only" => generate_only = true,
            // cargo bench passes --bench; other flags do not apply here.
            _ => {}
        }
    }
    assert!(runs > 0, "--runs must be at least 1");
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = keep.unwrap_or_else(|| temp.path().to_path_buf());
    let started = Instant::now();
    let bytes = if dir.join("running.txt").is_file() {
        println!("reusing the files in {}", dir.display());
        0
    } else {
        generate(&dir)
    };
    println!(
        "generated {FILES} result files ({} MB of JSON before compression), {CONTAINERS} containers, in {:.1} s",
        bytes >> 20,
        started.elapsed().as_secs_f64()
    );
    if generate_only {
        return;
    }
    let mut cmd = Command::new(std::env::current_exe().expect("the bench's own path"));
    cmd.arg("--driver").arg(&dir);
    measure::run(&cmd, false); // warm-up: page cache
    let measured: Vec<measure::Run> = (0..runs).map(|_| measure::run(&cmd, false)).collect();
    let wall: Vec<Duration> = measured.iter().map(|r| r.wall).collect();
    let cpu: Vec<Duration> = measured.iter().map(|r| r.cpu).collect();
    let rss: Vec<u64> = measured.iter().map(|r| r.max_rss).collect();
    println!(
        "median of {runs}: wall {:.3} s (min {:.3}, max {:.3}), cpu {:.3} s, peak RSS {:.1} MB (max {:.1})",
        median(&wall).as_secs_f64(),
        wall.iter().min().unwrap().as_secs_f64(),
        wall.iter().max().unwrap().as_secs_f64(),
        median(&cpu).as_secs_f64(),
        median(&rss) as f64 / (1 << 20) as f64,
        *rss.iter().max().unwrap() as f64 / (1 << 20) as f64,
    );
    println!(
        "load average at the end: {}",
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into())
    );
}
