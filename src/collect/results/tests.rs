//! Tests of the result reader: one fixture per shape, written here from the tools'
//! documented field names (small and realistic, not copied output), and the bad inputs.

use std::io::Write;

use serde_json::json;

use super::*;

/// Digests made up for the fixtures.
const API_DIGEST: &str = "sha256:3f1c9a7e5b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e";
const API_CONFIG: &str = "sha256:9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d";
const WEB_DIGEST: &str = "sha256:aa11bb22cc33dd44ee55ff6600aa11bb22cc33dd44ee55ff6600aa11bb22cc33";
const OLD_DIGEST: &str = "sha256:0000111122223333444455556666777788889999aaaabbbbccccddddeeeeffff";

pub(super) mod fixtures {
    use super::*;

    /// `trivy image -f json registry.example.com/shop/api:1.4.2` (trivy 0.5x).
    pub fn trivy() -> String {
        json!({
            "SchemaVersion": 2,
            "Trivy": {"Version": "0.58.1"},
            "CreatedAt": "2026-11-02T04:12:09.554212018+01:00",
            "ArtifactName": "registry.example.com/shop/api:1.4.2",
            "ArtifactType": "container_image",
            "Metadata": {
                "Size": 81234944,
                "OS": {"Family": "alpine", "Name": "3.19.1"},
                "ImageID": API_CONFIG,
                "DiffIDs": ["sha256:d4fc045c9e3a848011de66f34b81f052d4f2c15a17bb196d637e526349601820"],
                "RepoTags": ["registry.example.com/shop/api:1.4.2"],
                "RepoDigests": [format!("registry.example.com/shop/api@{API_DIGEST}")],
                "ImageConfig": {"architecture": "amd64", "os": "linux"}
            },
            "Results": [
                {
                    "Target": "registry.example.com/shop/api:1.4.2 (alpine 3.19.1)",
                    "Class": "os-pkgs",
                    "Type": "alpine",
                    "Vulnerabilities": [
                        {
                            "VulnerabilityID": "CVE-2024-0727",
                            "PkgID": "libssl3@3.1.4-r1",
                            "PkgName": "libssl3",
                            "PkgIdentifier": {"PURL": "pkg:apk/alpine/libssl3@3.1.4-r1?arch=x86_64&distro=3.19.1"},
                            "InstalledVersion": "3.1.4-r1",
                            "FixedVersion": "3.1.4-r5",
                            "Status": "fixed",
                            "SeveritySource": "nvd",
                            "PrimaryURL": "https://avd.aquasec.com/nvd/cve-2024-0727",
                            "Title": "openssl: denial of service via null dereference",
                            "Description": "Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash.",
                            "Severity": "MEDIUM",
                            "CweIDs": ["CWE-476"],
                            "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", "V3Score": 5.5}},
                            "References": ["https://www.openssl.org/news/secadv/20240125.txt"],
                            "PublishedDate": "2024-01-26T09:15:07.837Z",
                            "LastModifiedDate": "2024-02-08T10:15:13.213Z"
                        },
                        {
                            "VulnerabilityID": "CVE-2024-2511",
                            "PkgName": "libcrypto3",
                            "InstalledVersion": "3.1.4-r1",
                            "Status": "affected",
                            "Severity": "LOW",
                            "PublishedDate": "2024-04-08T14:15:07.66Z"
                        }
                    ]
                },
                {
                    "Target": "app/package-lock.json",
                    "Class": "lang-pkgs",
                    "Type": "npm",
                    "Vulnerabilities": [
                        {
                            "VulnerabilityID": "GHSA-952p-6rrq-rcjv",
                            "PkgName": "micromatch",
                            "InstalledVersion": "4.0.5",
                            "FixedVersion": "4.0.8",
                            "Severity": "CRITICAL",
                            "PublishedDate": "not a date"
                        }
                    ]
                },
                {
                    "Target": "Dockerfile",
                    "Class": "config",
                    "Type": "dockerfile",
                    "Misconfigurations": [
                        {
                            "Type": "Dockerfile Security Check",
                            "ID": "DS002",
                            "AVDID": "AVD-DS-0002",
                            "Title": "Image user should not be 'root'",
                            "Message": "Specify at least 1 USER command in Dockerfile with non-root user as argument",
                            "Severity": "HIGH",
                            "Status": "FAIL"
                        }
                    ]
                }
            ]
        })
        .to_string()
    }

    /// `grype ghcr.io/acme/web:2.0 -o json` (grype 0.8x).
    pub fn grype() -> String {
        json!({
            "matches": [
                {
                    "vulnerability": {
                        "id": "GHSA-3p8m-j85q-pgmj",
                        "dataSource": "https://github.com/advisories/GHSA-3p8m-j85q-pgmj",
                        "namespace": "github:language:javascript",
                        "severity": "High",
                        "urls": ["https://github.com/advisories/GHSA-3p8m-j85q-pgmj"],
                        "cvss": [],
                        "fix": {"versions": ["1.6.4"], "state": "fixed"},
                        "advisories": []
                    },
                    "relatedVulnerabilities": [
                        {"id": "CVE-2023-45133", "dataSource": "https://nvd.nist.gov/vuln/detail/CVE-2023-45133",
                         "namespace": "nvd:cpe", "severity": "Critical"}
                    ],
                    "matchDetails": [{"type": "exact-direct-match", "matcher": "javascript-matcher"}],
                    "artifact": {
                        "id": "f1d0c1e2b3a4",
                        "name": "@babel/traverse",
                        "version": "7.22.5",
                        "type": "npm",
                        "locations": [{"path": "/app/node_modules/@babel/traverse/package.json"}],
                        "language": "javascript",
                        "purl": "pkg:npm/%40babel/traverse@7.22.5"
                    }
                },
                {
                    "vulnerability": {
                        "id": "CVE-2023-5678",
                        "severity": "Negligible",
                        "fix": {"versions": [], "state": "not-fixed"}
                    },
                    "relatedVulnerabilities": [],
                    "artifact": {"name": "libssl3", "version": "3.1.3-r0", "type": "apk"}
                }
            ],
            "source": {
                "type": "image",
                "target": {
                    "userInput": "ghcr.io/acme/web:2.0",
                    "imageID": "sha256:5c1e0d9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d",
                    "manifestDigest": WEB_DIGEST,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "tags": ["ghcr.io/acme/web:2.0"],
                    "imageSize": 52428800,
                    "layers": [],
                    "repoDigests": [format!("ghcr.io/acme/web@{WEB_DIGEST}")],
                    "architecture": "amd64",
                    "os": "linux"
                }
            },
            "distro": {"name": "alpine", "version": "3.18.4"},
            "descriptor": {
                "name": "grype",
                "version": "0.84.0",
                "configuration": {"output": ["json"]},
                "db": {"built": "2026-10-01T01:31:11Z", "schemaVersion": 5},
                "timestamp": "2026-10-01T06:30:00.123456-04:00"
            }
        })
        .to_string()
    }

    /// `trivy image -f sarif`: run properties name the image; invocations carry the time.
    pub fn sarif_trivy() -> String {
        json!({
            "version": "2.1.0",
            "$schema": "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/main/sarif-2.1/schema/sarif-schema-2.1.0.json",
            "runs": [{
                "tool": {"driver": {
                    "fullName": "Trivy Vulnerability Scanner",
                    "informationUri": "https://github.com/aquasecurity/trivy",
                    "name": "Trivy",
                    "rules": [{
                        "id": "CVE-2024-0727",
                        "name": "OsPackageVulnerability",
                        "shortDescription": {"text": "openssl: denial of service via null dereference"},
                        "defaultConfiguration": {"level": "warning"},
                        "properties": {"precision": "very-high", "security-severity": "5.5",
                                       "tags": ["vulnerability", "security", "MEDIUM"]}
                    }],
                    "version": "0.58.1"
                }},
                "results": [{
                    "ruleId": "CVE-2024-0727",
                    "ruleIndex": 0,
                    "level": "warning",
                    "message": {"text": "Package: libssl3\nInstalled Version: 3.1.4-r1\nVulnerability CVE-2024-0727\nSeverity: MEDIUM\nFixed Version: 3.1.4-r5\nLink: [CVE-2024-0727](https://avd.aquasec.com/nvd/cve-2024-0727)"},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": {"uri": "registry.example.com/shop/api", "uriBaseId": "ROOTPATH"},
                        "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}
                    }}]
                }],
                "columnKind": "utf16CodeUnits",
                "originalUriBaseIds": {"ROOTPATH": {"uri": "file:///"}},
                "invocations": [{"executionSuccessful": true,
                                 "startTimeUtc": "2026-11-02T03:12:01Z",
                                 "endTimeUtc": "2026-11-02T03:12:09Z"}],
                "properties": {
                    "imageName": "registry.example.com/shop/api:1.4.2",
                    "repoDigests": [format!("registry.example.com/shop/api@{API_DIGEST}")],
                    "repoTags": ["registry.example.com/shop/api:1.4.2"],
                    "imageID": API_CONFIG
                }
            }]
        })
        .to_string()
    }

    /// `grype -o sarif`: no invocation times; the package is in the message.
    pub fn sarif_undated() -> String {
        json!({
            "version": "2.1.0",
            "$schema": "https://json.schemastore.org/sarif-2.1.0-rtm.5.json",
            "runs": [{
                "tool": {"driver": {
                    "name": "Grype",
                    "version": "0.84.0",
                    "informationUri": "https://github.com/anchore/grype",
                    "rules": [{
                        "id": "CVE-2023-5678-libssl3",
                        "name": "ApkMatcherExactDirectMatch",
                        "properties": {"security-severity": "5.3"}
                    }]
                }},
                "results": [{
                    "ruleId": "CVE-2023-5678-libssl3",
                    "message": {"text": "A medium vulnerability in apk package: libssl3, version 3.1.3-r0 was found at: /lib/apk/db/installed"},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": "/lib/apk/db/installed"}}}]
                }],
                "properties": {"imageName": "ghcr.io/acme/web:2.0"}
            }]
        })
        .to_string()
    }

    /// A configuration scanner's SARIF: results are rule checks on files, two images.
    pub fn sarif_config() -> String {
        json!({
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "kube-linter", "semanticVersion": "0.6.8",
                         "rules": [{"id": "no-read-only-root-fs", "name": "no-read-only-root-fs"}]}},
                "invocations": [{"endTimeUtc": "2026-11-03T10:00:00Z"}],
                "results": [
                    {"ruleId": "no-read-only-root-fs", "level": "error",
                     "message": {"text": "container \"api\" does not have a read-only root file system"},
                     "locations": [{"physicalLocation": {"artifactLocation": {"uri": "deploy/api.yaml"},
                                    "region": {"startLine": 12}}}]},
                    {"ruleId": "no-read-only-root-fs", "kind": "pass",
                     "message": {"text": "ok"},
                     "properties": {"imageName": "ghcr.io/acme/web:2.0"}}
                ]
            }]
        })
        .to_string()
    }

    /// `trivy image -f cyclonedx --scanners vuln`.
    pub fn cyclonedx() -> String {
        json!({
            "$schema": "http://cyclonedx.org/schema/bom-1.5.schema.json",
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "serialNumber": "urn:uuid:6d1f1c2e-0a4b-4c8e-9f1a-2b3c4d5e6f70",
            "version": 1,
            "metadata": {
                "timestamp": "2026-11-02T03:12:09+00:00",
                "tools": {"components": [{"type": "application", "group": "aquasecurity", "name": "trivy", "version": "0.58.1"}]},
                "component": {
                    "bom-ref": "pkg:oci/api@sha256%3A3f1c9a7e5b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e?arch=amd64&repository_url=registry.example.com%2Fshop%2Fapi",
                    "type": "container",
                    "name": "registry.example.com/shop/api:1.4.2",
                    "purl": "pkg:oci/api@sha256%3A3f1c9a7e5b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e?arch=amd64&repository_url=registry.example.com%2Fshop%2Fapi",
                    "properties": [
                        {"name": "aquasecurity:trivy:ImageID", "value": API_CONFIG},
                        {"name": "aquasecurity:trivy:RepoDigest", "value": format!("registry.example.com/shop/api@{API_DIGEST}")},
                        {"name": "aquasecurity:trivy:RepoTag", "value": "registry.example.com/shop/api:1.4.2"},
                        {"name": "aquasecurity:trivy:SchemaVersion", "value": "2"}
                    ]
                }
            },
            "components": [
                {"bom-ref": "pkg:apk/alpine/libssl3@3.1.4-r1?arch=x86_64&distro=3.19.1", "type": "library",
                 "name": "libssl3", "version": "3.1.4-r1", "purl": "pkg:apk/alpine/libssl3@3.1.4-r1?arch=x86_64&distro=3.19.1"},
                {"bom-ref": "os", "type": "operating-system", "name": "alpine", "version": "3.19.1",
                 "components": [{"bom-ref": "busybox-ref", "type": "library", "name": "busybox", "version": "1.36.1-r15"}]}
            ],
            "vulnerabilities": [
                {
                    "id": "CVE-2024-0727",
                    "source": {"name": "alpine", "url": "https://secdb.alpinelinux.org/"},
                    "ratings": [
                        {"source": {"name": "nvd"}, "score": 5.5, "severity": "medium", "method": "CVSSv31"},
                        {"source": {"name": "redhat"}, "score": 5.5, "severity": "low", "method": "CVSSv31"}
                    ],
                    "recommendation": "Upgrade libssl3 to version 3.1.4-r5",
                    "published": "2024-01-26T09:15:07+00:00",
                    "updated": "2024-02-08T10:15:13+00:00",
                    "affects": [{"ref": "pkg:apk/alpine/libssl3@3.1.4-r1?arch=x86_64&distro=3.19.1",
                                 "versions": [{"version": "3.1.4-r1", "status": "affected"}]}]
                },
                {
                    "id": "CVE-2023-42363",
                    "ratings": [{"score": 7.8}],
                    "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
                    "affects": [{"ref": "busybox-ref", "versions": [{"version": "1.36.1-r16", "status": "unaffected"}]}]
                }
            ]
        })
        .to_string()
    }

    /// `syft -o cyclonedx-json`: an SBOM without vulnerabilities (1.4 tools list).
    pub fn cyclonedx_sbom() -> String {
        json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.4",
            "version": 1,
            "metadata": {
                "timestamp": "2026-11-01T12:00:00Z",
                "tools": [{"vendor": "anchore", "name": "syft", "version": "1.14.0"}],
                "component": {"bom-ref": "c1", "type": "container", "name": "ghcr.io/acme/web:2.0", "version": WEB_DIGEST}
            },
            "components": [
                {"bom-ref": "p1", "type": "library", "name": "musl", "version": "1.2.4-r2"},
                {"bom-ref": "p2", "type": "library", "name": "zlib", "version": "1.3-r2"}
            ]
        })
        .to_string()
    }

    /// `trivy image -f spdx-json`: an SBOM; one package carries an advisory reference.
    pub fn spdx() -> String {
        json!({
            "spdxVersion": "SPDX-2.3",
            "dataLicense": "CC0-1.0",
            "SPDXID": "SPDXRef-DOCUMENT",
            "name": "registry.example.com/shop/api:1.4.2",
            "documentNamespace": "http://aquasecurity.github.io/trivy/container_image/registry.example.com/shop/api:1.4.2-5e1f",
            "creationInfo": {"creators": ["Organization: aquasecurity", "Tool: trivy-0.58.1"],
                             "created": "2026-11-02T03:12:09Z"},
            "packages": [
                {"name": "registry.example.com/shop/api:1.4.2", "SPDXID": "SPDXRef-ContainerImage-1",
                 "versionInfo": "", "primaryPackagePurpose": "CONTAINER",
                 "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                   "referenceLocator": "pkg:oci/api@sha256%3A3f1c9a7e5b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e?repository_url=registry.example.com%2Fshop%2Fapi"}]},
                {"name": "libssl3", "SPDXID": "SPDXRef-Package-1", "versionInfo": "3.1.4-r1",
                 "externalRefs": [
                    {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                     "referenceLocator": "pkg:apk/alpine/libssl3@3.1.4-r1"},
                    {"referenceCategory": "SECURITY", "referenceType": "advisory",
                     "referenceLocator": "https://nvd.nist.gov/vuln/detail/CVE-2024-0727"}
                 ]},
                {"name": "musl", "SPDXID": "SPDXRef-Package-2", "versionInfo": "1.2.4-r2"}
            ]
        })
        .to_string()
    }

    /// An SPDX SBOM of a directory, without advisories.
    pub fn spdx_sbom() -> String {
        json!({
            "spdxVersion": "SPDX-2.3",
            "SPDXID": "SPDXRef-DOCUMENT",
            "name": "/src/app",
            "creationInfo": {"creators": ["Tool: syft-1.14.0"], "created": "2026-11-01T12:00:00Z"},
            "packages": [{"name": "serde", "SPDXID": "SPDXRef-Package-serde", "versionInfo": "1.0.210"}]
        })
        .to_string()
    }

    fn policy_report_item(ns: &str, name: &str, result: &str, seconds: i64) -> serde_json::Value {
        json!({
            "apiVersion": "wgpolicyk8s.io/v1alpha2",
            "kind": "PolicyReport",
            "metadata": {"name": format!("{name}-uid"), "namespace": ns,
                         "labels": {"app.kubernetes.io/managed-by": "kyverno"}},
            "scope": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "namespace": ns},
            "summary": {"pass": 1, "fail": u64::from(result == "fail"), "warn": 0, "error": 0, "skip": 0},
            "results": [
                {"source": "kyverno", "policy": "disallow-latest-tag", "rule": "validate-image-tag",
                 "result": "pass", "scored": true, "severity": "medium", "category": "Best Practices",
                 "message": "validation rule 'validate-image-tag' passed.",
                 "timestamp": {"seconds": seconds - 60, "nanos": 0},
                 "properties": {"process": "background scan"}},
                {"source": "kyverno", "policy": "require-run-as-nonroot", "rule": "run-as-non-root",
                 "result": result, "scored": true, "severity": "high", "category": "Pod Security Standards (Restricted)",
                 "message": "validation error: Running as root is not allowed.",
                 "timestamp": {"seconds": seconds, "nanos": 500}}
            ]
        })
    }

    /// `kubectl get policyreports -A -o json`.
    pub fn policy_report_list_json() -> String {
        json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                policy_report_item("shop", "api", "fail", 1_793_590_000),
                policy_report_item("web", "frontend", "pass", 1_793_500_000)
            ],
            "metadata": {"resourceVersion": ""}
        })
        .to_string()
    }

    /// `kubectl get policyreports -A -o yaml`.
    pub fn policy_report_list_yaml() -> String {
        "\
apiVersion: v1
kind: List
items:
- apiVersion: wgpolicyk8s.io/v1alpha2
  kind: PolicyReport
  metadata:
    name: 6a3f2c1e-0b9d-4e8f-a7c6-5d4e3f2a1b0c
    namespace: shop
  scope:
    apiVersion: apps/v1
    kind: Deployment
    name: api
    namespace: shop
  summary: {pass: 0, fail: 1, warn: 1, error: 0, skip: 0}
  results:
  - policy: require-run-as-nonroot
    rule: run-as-non-root
    result: fail
    severity: high
    source: kyverno
    message: 'validation error: Running as root is not allowed.'
    timestamp: {seconds: 1793590000, nanos: 0}
  - policy: require-requests-limits
    rule: validate-resources
    result: warn
    severity: medium
    source: kyverno
    timestamp:
      seconds: 1793590100
- apiVersion: wgpolicyk8s.io/v1alpha2
  kind: ClusterPolicyReport
  metadata:
    name: cpol-disallow-host-namespaces
  results:
  - policy: disallow-host-namespaces
    result: error
    resources:
    - apiVersion: v1
      kind: Namespace
      name: kube-system
    - apiVersion: v1
      kind: Namespace
      name: default
    timestamp: {seconds: 1793590200}
kind2: ignored
"
        .to_string()
    }

    /// An `openreports.io` Report and ClusterReport in one YAML stream.
    pub fn openreports_yaml() -> String {
        "\
apiVersion: openreports.io/v1alpha1
kind: Report
metadata:
  name: api-report
  namespace: shop
source: kyverno
scope: {apiVersion: apps/v1, kind: Deployment, name: api}
results:
- policy: disallow-privileged-containers
  result: pass
  severity: critical
  timestamp: {seconds: 1793600000}
---
apiVersion: openreports.io/v1alpha1
kind: ClusterReport
metadata: {name: nodes}
source: kube-bench
results: []
"
        .to_string()
    }

    /// `kubescape scan --format json` of a cluster (v2 posture report).
    pub fn kubescape() -> String {
        json!({
            "clusterName": "prod-eu",
            "generationTime": "2026-11-03T08:00:00.123Z",
            "customerGUID": "",
            "reportGUID": "4f3e2d1c-0b9a-8f7e-6d5c-4b3a2f1e0d9c",
            "clusterAPIServerInfo": {"major": "1", "minor": "31", "gitVersion": "v1.31.2"},
            "summaryDetails": {
                "controls": {
                    "C-0017": {"controlID": "C-0017", "name": "Immutable container filesystem",
                               "status": "failed", "scoreFactor": 3, "score": 50},
                    "C-0057": {"controlID": "C-0057", "name": "Privileged container",
                               "status": "passed", "scoreFactor": 8}
                },
                "status": "failed",
                "frameworks": [{"name": "NSA", "status": "failed", "score": 71.4, "version": "v1.0.0"}],
                "score": 71.4
            },
            "results": [
                {"resourceID": "apps/v1/shop/Deployment/api",
                 "controls": [
                    {"controlID": "C-0017", "name": "Immutable container filesystem",
                     "status": {"status": "failed"},
                     "rules": [{"name": "immutable-container-filesystem", "status": "failed",
                                "paths": [{"failedPath": "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem"}]}]},
                    {"controlID": "C-0057", "status": {"status": "passed"}}
                 ]},
                {"resourceID": "/v1/kube-system/ServiceAccount/coredns",
                 "controls": [{"controlID": "C-0057", "status": "excluded"}]}
            ],
            "resources": [
                {"resourceID": "apps/v1/shop/Deployment/api",
                 "object": {"apiVersion": "apps/v1", "kind": "Deployment",
                            "metadata": {"name": "api", "namespace": "shop"},
                            "spec": {"replicas": 3}}}
            ],
            "metadata": {"scanMetadata": {"kubescapeVersion": "v3.0.21", "formats": ["json"],
                                          "targetType": "framework", "targetNames": ["nsa"]}}
        })
        .to_string()
    }

    /// `kubectl get configauditreports -n shop -o json` item.
    pub fn config_audit() -> String {
        json!({
            "apiVersion": "aquasecurity.github.io/v1alpha1",
            "kind": "ConfigAuditReport",
            "metadata": {
                "name": "replicaset-api-7d9f8c6b5",
                "namespace": "shop",
                "labels": {
                    "plugin-config-hash": "659b7b9c46",
                    "resource-spec-hash": "7c8b9d6f5",
                    "trivy-operator.resource.kind": "ReplicaSet",
                    "trivy-operator.resource.name": "api-7d9f8c6b5",
                    "trivy-operator.resource.namespace": "shop"
                },
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "api-7d9f8c6b5",
                                     "uid": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", "controller": true}]
            },
            "report": {
                "updateTimestamp": "2026-11-02T22:10:00Z",
                "scanner": {"name": "Trivy", "vendor": "Aqua Security", "version": "0.58.1"},
                "summary": {"criticalCount": 0, "highCount": 1, "mediumCount": 0, "lowCount": 1},
                "checks": [
                    {"checkID": "KSV014", "title": "Root file system is not read-only",
                     "severity": "HIGH", "category": "Kubernetes Security Check", "success": false,
                     "messages": ["Container 'api' of ReplicaSet 'api-7d9f8c6b5' should set 'securityContext.readOnlyRootFilesystem' to true"]},
                    {"checkID": "KSV012", "title": "Runs as root user", "severity": "MEDIUM", "success": true}
                ]
            }
        })
        .to_string()
    }

    /// Every fixture, named.
    pub fn all() -> Vec<(&'static str, String)> {
        vec![
            ("trivy.json", trivy()),
            ("grype.json", grype()),
            ("trivy.sarif", sarif_trivy()),
            ("grype.sarif", sarif_undated()),
            ("lint.sarif", sarif_config()),
            ("bom.cdx.json", cyclonedx()),
            ("sbom.cdx.json", cyclonedx_sbom()),
            ("bom.spdx.json", spdx()),
            ("dir.spdx.json", spdx_sbom()),
            ("polr.json", policy_report_list_json()),
            ("polr.yaml", policy_report_list_yaml()),
            ("openreports.yaml", openreports_yaml()),
            ("kubescape.json", kubescape()),
            ("configaudit.json", config_audit()),
        ]
    }
}

fn read_ok(name: &str, text: &str) -> Vec<ResultRecord> {
    let (records, problems) = read_bytes(name, text.as_bytes(), 1 << 30);
    assert!(problems.is_empty(), "{name}: {problems:?}");
    assert!(!records.is_empty(), "{name}: no record");
    records
}

fn read_one(name: &str, text: &str) -> ResultRecord {
    let mut records = read_ok(name, text);
    assert_eq!(records.len(), 1, "{name}: {records:#?}");
    records.remove(0)
}

fn problems_of(name: &str, bytes: &[u8]) -> Vec<Problem> {
    let (records, problems) = read_bytes(name, bytes, 1 << 20);
    assert!(records.is_empty(), "{name}: {records:#?}");
    problems
        .iter()
        .map(|p| p.to_problem("results", name))
        .collect()
}

fn t(s: &str) -> Option<DateTime<Utc>> {
    Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

fn image(r: &ResultRecord) -> &ImageSubject {
    r.subject
        .image()
        .unwrap_or_else(|| panic!("not an image: {:?}", r.subject))
}

#[test]
fn trivy_json_gives_image_time_and_vulnerabilities() {
    let r = read_one("trivy.json", &fixtures::trivy());
    assert_eq!(
        (r.shape, r.kind),
        (Shape::TrivyJson, RecordKind::VulnerabilityScan)
    );
    assert_eq!(
        r.tool,
        Tool {
            name: "trivy".into(),
            version: Some("0.58.1".into())
        }
    );
    assert_eq!(r.scanned_at, t("2026-11-02T03:12:09.554212018Z"));
    assert_eq!(r.time_field, Some("CreatedAt"));
    let i = image(&r);
    assert_eq!(
        i.reference.as_deref(),
        Some("registry.example.com/shop/api:1.4.2")
    );
    assert_eq!(
        i.names[0].to_string(),
        "registry.example.com/shop/api:1.4.2"
    );
    assert_eq!(i.digests, [API_DIGEST]);
    assert_eq!(i.image_id.as_deref(), Some(API_CONFIG));
    assert_eq!(r.vulnerabilities.len(), 3);
    let v = &r.vulnerabilities[0];
    assert_eq!(v.id, "CVE-2024-0727");
    assert_eq!(v.package.as_deref(), Some("libssl3"));
    assert_eq!(v.installed_version.as_deref(), Some("3.1.4-r1"));
    assert_eq!(v.fixed_version.as_deref(), Some("3.1.4-r5"));
    assert_eq!(v.status.as_deref(), Some("fixed"));
    assert_eq!(
        (v.severity, v.severity_original.as_deref()),
        (Severity::Medium, Some("MEDIUM"))
    );
    assert_eq!(v.published, t("2024-01-26T09:15:07.837Z"));
    assert_eq!(v.last_modified, t("2024-02-08T10:15:13.213Z"));
    assert_eq!(r.vulnerabilities[1].fixed_version, None, "no fix known");
    assert_eq!(r.vulnerabilities[2].severity, Severity::Critical);
    assert_eq!(r.vulnerabilities[2].published, None);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("GHSA-952p-6rrq-rcjv: PublishedDate `not a date`")),
        "{:?}",
        r.notes
    );
    let m = &r.policy_results[0];
    assert_eq!(
        (m.policy.as_str(), m.result, m.severity),
        ("DS002", Outcome::Fail, Severity::High)
    );
    assert_eq!(m.location.as_deref(), Some("Dockerfile"));
    assert!(r.is_dated_scan());
    assert_eq!(
        r.describes(),
        "Trivy JSON scan of image registry.example.com/shop/api:1.4.2 (3 vulnerabilities)"
    );
}

#[test]
fn trivy_json_without_created_at_is_read_but_undated() {
    let mut v: serde_json::Value = serde_json::from_str(&fixtures::trivy()).unwrap();
    v.as_object_mut().unwrap().remove("CreatedAt");
    v["Results"] = json!(null);
    let r = read_one("old.json", &v.to_string());
    assert_eq!(r.scanned_at, None);
    assert!(!r.is_dated_scan());
    assert!(
        r.notes[0].contains("no scan time in the document (`CreatedAt`)"),
        "{:?}",
        r.notes
    );
    assert_eq!(
        r.kind,
        RecordKind::VulnerabilityScan,
        "no Results: nothing found"
    );
    // A filesystem scan names a path.
    let fs = json!({"SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem",
                    "CreatedAt": "2026-11-02T00:00:00Z", "Results": []});
    assert_eq!(
        read_one("fs.json", &fs.to_string()).subject,
        Subject::Path { path: ".".into() }
    );
}

#[test]
fn grype_json_gives_image_time_fixes_and_related_cves() {
    let r = read_one("grype.json", &fixtures::grype());
    assert_eq!(
        (r.shape, r.kind),
        (Shape::GrypeJson, RecordKind::VulnerabilityScan)
    );
    assert_eq!(r.tool.version.as_deref(), Some("0.84.0"));
    assert_eq!(r.scanned_at, t("2026-10-01T10:30:00.123456Z"));
    let i = image(&r);
    assert_eq!(i.names[0].to_string(), "ghcr.io/acme/web:2.0");
    assert_eq!(i.digests, [WEB_DIGEST]);
    assert!(i.image_id.as_deref().unwrap().starts_with("sha256:5c1e"));
    let v = &r.vulnerabilities[0];
    assert_eq!(v.id, "GHSA-3p8m-j85q-pgmj");
    assert_eq!(v.cve.as_deref(), Some("CVE-2023-45133"));
    assert_eq!(v.package.as_deref(), Some("@babel/traverse"));
    assert_eq!(v.fixed_version.as_deref(), Some("1.6.4"));
    assert_eq!(v.severity, Severity::High);
    let v = &r.vulnerabilities[1];
    assert_eq!(
        (v.severity, v.severity_original.as_deref()),
        (Severity::Low, Some("Negligible"))
    );
    assert_eq!(
        (v.fixed_version.as_deref(), v.status.as_deref()),
        (None, Some("not-fixed"))
    );
}

#[test]
fn sarif_with_times_and_image_properties() {
    let r = read_one("trivy.sarif", &fixtures::sarif_trivy());
    assert_eq!(
        (r.shape, r.kind),
        (Shape::Sarif, RecordKind::VulnerabilityScan)
    );
    assert_eq!(
        r.tool,
        Tool {
            name: "Trivy".into(),
            version: Some("0.58.1".into())
        }
    );
    assert_eq!(r.scanned_at, t("2026-11-02T03:12:09Z"));
    assert_eq!(r.time_field, Some("invocations[].endTimeUtc"));
    let i = image(&r);
    assert_eq!(i.digests, [API_DIGEST]);
    assert_eq!(i.image_id.as_deref(), Some(API_CONFIG));
    let v = &r.vulnerabilities[0];
    assert_eq!(v.id, "CVE-2024-0727");
    assert_eq!(v.package.as_deref(), Some("libssl3"));
    assert_eq!(v.installed_version.as_deref(), Some("3.1.4-r1"));
    assert_eq!(v.fixed_version.as_deref(), Some("3.1.4-r5"));
    assert_eq!(
        (v.severity, v.severity_original.as_deref()),
        (Severity::Medium, Some("5.5"))
    );
}

#[test]
fn sarif_without_times_is_read_but_its_results_are_undated() {
    let r = read_one("grype.sarif", &fixtures::sarif_undated());
    assert_eq!(r.scanned_at, None);
    assert!(!r.is_dated_scan());
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("no invocations[].endTimeUtc or startTimeUtc")),
        "{:?}",
        r.notes
    );
    assert_eq!(image(&r).names[0].to_string(), "ghcr.io/acme/web:2.0");
    let v = &r.vulnerabilities[0];
    assert_eq!(v.id, "CVE-2023-5678");
    assert_eq!(v.package.as_deref(), Some("libssl3"));
    assert_eq!(v.installed_version.as_deref(), Some("3.1.3-r0"));
    assert_eq!(v.severity, Severity::Medium);
}

#[test]
fn sarif_rule_results_are_policy_results_split_by_image() {
    let records = read_ok("lint.sarif", &fixtures::sarif_config());
    assert_eq!(records.len(), 2, "{records:#?}");
    let (first, second) = (&records[0], &records[1]);
    assert_eq!(first.kind, RecordKind::PolicyResults);
    assert_eq!(first.subject, Subject::Unknown);
    assert!(first.notes.iter().any(|n| n.contains("names no image")));
    let p = &first.policy_results[0];
    assert_eq!(
        (p.result, p.location.as_deref()),
        (Outcome::Fail, Some("deploy/api.yaml:12"))
    );
    assert_eq!(p.result_original, "fail (error)");
    assert_eq!(p.severity, Severity::Unknown, "a level is no severity");
    assert_eq!(image(second).names[0].to_string(), "ghcr.io/acme/web:2.0");
    assert_eq!(second.policy_results[0].result, Outcome::Pass);
    assert_eq!(first.tool.version.as_deref(), Some("0.6.8"));
}

#[test]
fn cyclonedx_with_vulnerabilities_resolves_components_and_fixes() {
    let r = read_one("bom.cdx.json", &fixtures::cyclonedx());
    assert_eq!(
        (r.shape, r.kind),
        (Shape::CyclonedxJson, RecordKind::VulnerabilityScan)
    );
    assert_eq!(
        r.tool,
        Tool {
            name: "trivy".into(),
            version: Some("0.58.1".into())
        }
    );
    assert_eq!(r.scanned_at, t("2026-11-02T03:12:09Z"));
    let i = image(&r);
    assert_eq!(i.digests, [API_DIGEST]);
    assert_eq!(i.image_id.as_deref(), Some(API_CONFIG));
    assert!(
        i.names
            .iter()
            .any(|n| n.to_string() == "registry.example.com/shop/api:1.4.2")
    );
    assert_eq!(r.packages, Some(3));
    let v = &r.vulnerabilities[0];
    assert_eq!(v.package.as_deref(), Some("libssl3"));
    assert_eq!(v.installed_version.as_deref(), Some("3.1.4-r1"));
    assert_eq!(v.fixed_version.as_deref(), Some("3.1.4-r5"));
    assert_eq!(
        (v.severity, v.severity_original.as_deref()),
        (Severity::Medium, Some("medium (nvd)"))
    );
    assert_eq!(v.published, t("2024-01-26T09:15:07Z"));
    let v = &r.vulnerabilities[1];
    assert_eq!(v.package.as_deref(), Some("busybox"), "a nested component");
    assert_eq!(v.fixed_version.as_deref(), Some("1.36.1-r16"));
    assert_eq!(v.status.as_deref(), Some("not_affected"));
    assert_eq!(
        (v.severity, v.severity_original.as_deref()),
        (Severity::High, Some("score 7.8"))
    );
}

#[test]
fn an_sbom_without_vulnerabilities_is_an_sbom_with_zero_findings() {
    let r = read_one("sbom.cdx.json", &fixtures::cyclonedx_sbom());
    assert_eq!(r.kind, RecordKind::Sbom);
    assert!(r.vulnerabilities.is_empty());
    assert!(!r.is_dated_scan(), "an SBOM is no scan");
    assert_eq!(r.packages, Some(2));
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("without vulnerability data")),
        "{:?}",
        r.notes
    );
    assert_eq!(r.tool.name, "syft");
    assert_eq!(image(&r).digests, [WEB_DIGEST]);
    assert_eq!(
        r.describes(),
        "CycloneDX JSON SBOM of image ghcr.io/acme/web:2.0 (2 packages, no vulnerability data)"
    );
    let r = read_one("dir.spdx.json", &fixtures::spdx_sbom());
    assert_eq!((r.shape, r.kind), (Shape::SpdxJson, RecordKind::Sbom));
    assert_eq!(
        r.subject,
        Subject::Path {
            path: "/src/app".into()
        }
    );
    assert_eq!(
        r.tool,
        Tool {
            name: "syft".into(),
            version: Some("1.14.0".into())
        }
    );
    assert!(
        r.notes[0].contains("SPDX 2 has no vulnerability section"),
        "{:?}",
        r.notes
    );
}

#[test]
fn spdx_advisory_references_are_vulnerabilities() {
    let r = read_one("bom.spdx.json", &fixtures::spdx());
    assert_eq!(r.kind, RecordKind::VulnerabilityScan);
    assert_eq!(r.scanned_at, t("2026-11-02T03:12:09Z"));
    assert_eq!(
        r.tool,
        Tool {
            name: "trivy".into(),
            version: Some("0.58.1".into())
        }
    );
    let i = image(&r);
    assert_eq!(i.digests, [API_DIGEST]);
    assert!(
        i.names
            .iter()
            .any(|n| n.to_string() == "registry.example.com/shop/api:1.4.2")
    );
    let v = &r.vulnerabilities[0];
    assert_eq!(
        (v.id.as_str(), v.package.as_deref()),
        ("CVE-2024-0727", Some("libssl3"))
    );
    assert_eq!(v.severity, Severity::Unknown);
    assert_eq!(r.packages, Some(3));
}

#[test]
fn policy_report_list_in_json_gives_one_record_per_report() {
    let records = read_ok("polr.json", &fixtures::policy_report_list_json());
    assert_eq!(records.len(), 2);
    let r = &records[0];
    assert_eq!(
        (r.shape, r.kind),
        (Shape::PolicyReport, RecordKind::PolicyResults)
    );
    assert_eq!(r.file.document.as_deref(), Some("0"));
    assert_eq!(r.file.locator(), "polr.json#0");
    assert_eq!(r.tool.name, "kyverno");
    assert_eq!(r.subject.describe(), "Deployment shop/api");
    assert_eq!(
        r.report.as_ref().unwrap().to_string(),
        "PolicyReport shop/api-uid"
    );
    assert_eq!(r.scanned_at, t("2026-11-02T03:26:40.0000005Z"));
    assert_eq!(
        r.summary,
        Some(PolicySummary {
            pass: 1,
            fail: 1,
            ..PolicySummary::default()
        })
    );
    let fail = &r.policy_results[1];
    assert_eq!(
        (fail.policy.as_str(), fail.result, fail.severity),
        ("require-run-as-nonroot", Outcome::Fail, Severity::High)
    );
    assert_eq!(
        fail.resource.as_ref().unwrap().to_string(),
        "Deployment shop/api"
    );
    assert_eq!(r.policy_results[0].properties["process"], "background scan");
    assert_eq!(records[1].file.document.as_deref(), Some("1"));
    assert_eq!(records[1].policy_results[1].result, Outcome::Pass);
}

#[test]
fn policy_report_list_in_yaml() {
    let records = read_ok("polr.yaml", &fixtures::policy_report_list_yaml());
    assert_eq!(records.len(), 2, "{records:#?}");
    let r = &records[0];
    assert_eq!(r.file.document.as_deref(), Some("0"));
    assert_eq!(r.tool.name, "kyverno");
    assert_eq!(
        r.scanned_at,
        t("2026-11-02T03:28:20Z"),
        "the newest result's time"
    );
    let results: Vec<Outcome> = r.policy_results.iter().map(|p| p.result).collect();
    assert_eq!(results, [Outcome::Fail, Outcome::Warn]);
    let cluster = &records[1];
    assert_eq!(cluster.subject, Subject::Cluster { name: None });
    assert_eq!(cluster.tool.name, "unnamed policy engine");
    // One result for two resources: one policy result for each, cluster-scoped.
    assert_eq!(cluster.policy_results.len(), 2);
    assert_eq!(
        cluster.policy_results[1]
            .resource
            .as_ref()
            .unwrap()
            .to_string(),
        "Namespace default"
    );
    assert_eq!(cluster.policy_results[0].result, Outcome::Error);
}

#[test]
fn openreports_in_a_yaml_stream() {
    let records = read_ok("openreports.yaml", &fixtures::openreports_yaml());
    assert_eq!(records.len(), 2);
    let r = &records[0];
    assert_eq!(r.file.document.as_deref(), Some("0"));
    assert_eq!(r.tool.name, "kyverno");
    assert_eq!(
        r.subject.describe(),
        "Deployment shop/api",
        "scope in the report's namespace"
    );
    assert_eq!(r.policy_results[0].severity, Severity::Critical);
    let empty = &records[1];
    assert_eq!(empty.report.as_ref().unwrap().kind, "ClusterReport");
    assert_eq!(empty.scanned_at, None);
    assert!(
        empty.notes[0].contains("the report is empty"),
        "{:?}",
        empty.notes
    );
}

#[test]
fn kubescape_json_gives_control_results_per_resource() {
    let r = read_one("kubescape.json", &fixtures::kubescape());
    assert_eq!(
        (r.shape, r.kind),
        (Shape::KubescapeJson, RecordKind::PolicyResults)
    );
    assert_eq!(
        r.tool,
        Tool {
            name: "kubescape".into(),
            version: Some("v3.0.21".into())
        }
    );
    assert_eq!(r.scanned_at, t("2026-11-03T08:00:00.123Z"));
    assert_eq!(
        r.subject,
        Subject::Cluster {
            name: Some("prod-eu".into())
        }
    );
    assert_eq!(r.policy_results.len(), 3);
    let p = &r.policy_results[0];
    assert_eq!((p.policy.as_str(), p.result), ("C-0017", Outcome::Fail));
    assert_eq!(p.rule.as_deref(), Some("Immutable container filesystem"));
    assert_eq!(
        (p.severity, p.severity_original.as_deref()),
        (Severity::Low, Some("scoreFactor 3"))
    );
    assert_eq!(
        p.resource.as_ref().unwrap().to_string(),
        "Deployment shop/api"
    );
    assert_eq!(r.policy_results[1].severity, Severity::High);
    let excluded = &r.policy_results[2];
    assert_eq!(
        (excluded.result, excluded.result_original.as_str()),
        (Outcome::Pass, "excluded")
    );
    assert_eq!(
        excluded.resource.as_ref().unwrap().to_string(),
        "ServiceAccount kube-system/coredns"
    );
}

#[test]
fn config_audit_report_names_its_owner() {
    let r = read_one("configaudit.json", &fixtures::config_audit());
    assert_eq!(
        (r.shape, r.kind),
        (Shape::ConfigAuditReport, RecordKind::PolicyResults)
    );
    assert_eq!(
        r.tool,
        Tool {
            name: "Trivy".into(),
            version: Some("0.58.1".into())
        }
    );
    assert_eq!(r.scanned_at, t("2026-11-02T22:10:00Z"));
    assert_eq!(r.subject.describe(), "ReplicaSet shop/api-7d9f8c6b5");
    let p = &r.policy_results[0];
    assert_eq!(
        (p.policy.as_str(), p.result, p.severity),
        ("KSV014", Outcome::Fail, Severity::High)
    );
    assert_eq!(p.result_original, "success: false");
    assert!(
        p.message
            .as_deref()
            .unwrap()
            .contains("readOnlyRootFilesystem")
    );
    assert_eq!(r.policy_results[1].result, Outcome::Pass);
}

#[test]
fn secret_looking_text_in_policy_results_is_redacted() {
    let report = json!({
        "apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
        "metadata": {"name": "r", "namespace": "shop"},
        "results": [{
            "policy": "no-plain-credentials", "result": "fail",
            "message": "env DB_URL=postgres://app:hunter2@db:5432/shop holds a password",
            "properties": {"token": "abc", "key": "AKIAIOSFODNN7EXAMPLE", "process": "background scan"}
        }]
    });
    let r = read_one("polr.json", &report.to_string());
    let p = &r.policy_results[0];
    assert_eq!(
        p.message.as_deref(),
        Some("env DB_URL=postgres://app:[REDACTED]@db:5432/shop holds a password")
    );
    assert_eq!(p.properties["token"], "[REDACTED]");
    assert_eq!(p.properties["key"], "[REDACTED]");
    assert_eq!(p.properties["process"], "background scan");
    let text = serde_json::to_string(&r).unwrap();
    assert!(
        !text.contains("hunter2") && !text.contains("AKIAIOSFODNN7EXAMPLE"),
        "{text}"
    );
}

#[test]
fn a_file_of_another_shape_is_an_input_problem_naming_the_shapes_tried() {
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n";
    let p = problems_of("deploy.yaml", deployment.as_bytes());
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].level, ProblemLevel::Error);
    assert_eq!(p[0].location, "deploy.yaml:1");
    assert!(
        p[0].message.starts_with(
            "not a result evidencer reads (a Kubernetes Deployment (apps/v1)); tried Trivy JSON"
        ),
        "{}",
        p[0].message
    );
    assert!(p[0].message.contains("Kubescape JSON"), "{}", p[0].message);
    assert!(
        p[0].hint
            .as_deref()
            .unwrap()
            .contains("trivy image -f json")
    );
    let p = problems_of("x.json", br#"{"name": "x", "items": []}"#);
    assert!(
        p[0].message
            .contains("(a JSON object with keys items, name)"),
        "{}",
        p[0].message
    );
    let p = problems_of(
        "old.json",
        br#"[{"Target": "alpine:3.7", "Vulnerabilities": null}]"#,
    );
    assert!(
        p[0].message.contains("before SchemaVersion 2"),
        "{}",
        p[0].message
    );
    let p = problems_of("notes.md", b"# Scan notes\n\nAll fine.\n");
    assert!(
        p[0].message.contains("without apiVersion and kind"),
        "{}",
        p[0].message
    );
    let p = problems_of("empty.json", b"  \n");
    assert_eq!(p[0].message, "empty: no result in it");
    let p = problems_of("image.tar", b"\x7fELF\x02\x01\x01\0\0\0");
    assert!(
        p[0].message
            .starts_with("binary data (a NUL byte at offset 7)"),
        "{}",
        p[0].message
    );
}

#[test]
fn truncated_json_is_an_input_problem_with_line_and_column() {
    let text = fixtures::trivy();
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&text).unwrap())
            .unwrap();
    let cut = &pretty[..pretty.len() / 2];
    let p = problems_of("cut.json", cut.as_bytes());
    assert_eq!(p.len(), 1);
    let lines = cut.lines().count();
    assert!(
        p[0].location.starts_with(&format!("cut.json:{lines}:")),
        "{} (of {lines} lines)",
        p[0].location
    );
    assert!(
        p[0].message.starts_with(
            "truncated JSON: the file ends before the document does (EOF while parsing"
        ),
        "{}",
        p[0].message
    );
    assert!(p[0].hint.as_deref().unwrap().contains("cut short"));
    let p = problems_of("bad.json", b"{\"SchemaVersion\": 2,\n \"Results\": [}\n");
    assert_eq!(p[0].location, "bad.json:2:14");
    assert!(
        p[0].message.starts_with("malformed JSON: "),
        "{}",
        p[0].message
    );
}

#[test]
fn a_field_of_the_wrong_kind_is_named_with_its_path() {
    let text = r#"{"SchemaVersion": 2, "ArtifactName": "nginx:1.27",
        "Results": [{"Target": "t", "Vulnerabilities": [{"VulnerabilityID": "CVE-2024-1", "Severity": {"x": 1}}]}]}"#;
    let p = problems_of("odd.json", text.as_bytes());
    assert!(
        p[0].message.starts_with(
            "a Trivy JSON document whose `Results[0].Vulnerabilities[0].Severity` cannot be read: "
        ),
        "{}",
        p[0].message
    );
    assert!(
        p[0].location.starts_with("odd.json:2:"),
        "{}",
        p[0].location
    );
}

#[test]
fn a_list_with_one_bad_item_keeps_the_others() {
    let text = json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}},
        serde_json::from_str::<serde_json::Value>(&fixtures::config_audit()).unwrap()
    ]})
    .to_string();
    let (records, problems) = read_bytes("mixed.json", text.as_bytes(), 1 << 20);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].file.document.as_deref(), Some("1"));
    let p = problems[0].to_problem("results", "mixed.json");
    assert_eq!(p.location, "mixed.json#0");
    assert!(
        p.message.contains("a Kubernetes ConfigMap (v1)"),
        "{}",
        p.message
    );
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    // The best level: the bomb below must stay a small file whatever deflate flate2 uses
    // (at the fastest level, zlib-rs, which rust_xlsxwriter's zip turns on, packs 2 MiB of
    // spaces into more than 10 KB; miniz_oxide into less).
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn gzip_is_told_by_its_magic_bytes_and_bounded() {
    let text = fixtures::grype();
    let compressed = gzip(text.as_bytes());
    let (records, problems) = read_bytes("scan.json", &compressed, 1 << 20);
    assert!(problems.is_empty(), "{problems:?}");
    assert!(records[0].file.gzip);
    assert_eq!(
        records[0].file.sha256,
        crate::evidence::record::sha256_hex(&compressed),
        "the file as stored"
    );
    assert_eq!(records[0].vulnerabilities.len(), 2);
    // Expanding past the cap is refused, however small the file.
    let bomb = gzip(&vec![b' '; 2 << 20]);
    assert!(bomb.len() < 10_000);
    let p = problems_of("bomb.gz", &bomb);
    assert!(
        p[0].message
            .contains("decompresses to more than the 1048576-byte limit"),
        "{}",
        p[0].message
    );
    let p = problems_of("broken.gz", &compressed[..compressed.len() / 2]);
    assert!(
        p[0].message.starts_with("not a valid gzip stream"),
        "{}",
        p[0].message
    );
}

#[test]
fn utf16_with_a_bom_is_read() {
    // PowerShell's `trivy ... > scan.json` writes UTF-16LE with a BOM.
    let mut bytes = vec![0xFF, 0xFE];
    for unit in fixtures::grype().encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    assert_eq!(read_bytes("ps.json", &bytes, 1 << 20).0.len(), 1);
}

#[test]
fn a_directory_mixing_shapes_is_read_in_name_order_hidden_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("b-policy")).unwrap();
    std::fs::create_dir_all(root.join(".cache")).unwrap();
    std::fs::write(root.join("a-trivy.json"), fixtures::trivy()).unwrap();
    std::fs::write(
        root.join("b-policy/reports.yaml"),
        fixtures::policy_report_list_yaml(),
    )
    .unwrap();
    std::fs::write(
        root.join("c-grype.json.gz"),
        gzip(fixtures::grype().as_bytes()),
    )
    .unwrap();
    std::fs::write(root.join("d-lint.sarif"), fixtures::sarif_config()).unwrap();
    std::fs::write(root.join("e-README.txt"), "scans of 2026-Q4\n").unwrap();
    std::fs::write(root.join(".cache/old.json"), "{").unwrap();
    std::fs::write(root.join(".hidden.json"), "{").unwrap();
    let single = root.join("a-trivy.json");
    let missing = root.join("missing.json");
    let out = read_paths(
        &[root.to_path_buf(), single.clone(), missing.clone()],
        &ReadOptions::default(),
    );
    let shapes: Vec<(Shape, String)> = out
        .records
        .iter()
        .map(|r| {
            (
                r.shape,
                r.file
                    .locator()
                    .strip_prefix(&root.display().to_string())
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        shapes,
        [
            (Shape::TrivyJson, "/a-trivy.json".to_string()),
            (Shape::PolicyReport, "/b-policy/reports.yaml#0".to_string()),
            (Shape::PolicyReport, "/b-policy/reports.yaml#1".to_string()),
            (Shape::GrypeJson, "/c-grype.json.gz".to_string()),
            (Shape::Sarif, "/d-lint.sarif".to_string()),
            (Shape::Sarif, "/d-lint.sarif".to_string()),
        ]
    );
    assert_eq!(
        out.files, 5,
        "hidden entries are not looked at, a file given twice is read once"
    );
    let problems: Vec<(String, &str)> = out
        .problems
        .iter()
        .map(|p| {
            (
                p.location.replace(&root.display().to_string(), ""),
                p.message.split(' ').next().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [
            ("/missing.json".to_string(), "cannot"),
            ("/e-README.txt:1".to_string(), "not")
        ]
    );
    assert!(out.records.iter().all(|r| r.file.sha256.len() == 64));
    // Evidence ids depend on the source and locator only.
    let r = &out.records[0];
    assert_eq!(r.evidence_record("results").id, r.evidence_id("results"));
    assert_eq!(
        r.evidence_record("results").time.as_deref(),
        Some("2026-11-02T03:12:09Z")
    );
}

#[test]
fn archives_beside_the_scans_are_refused_as_binary() {
    // `docker save app | gzip > app.tar.gz` next to its scan: refused from its first bytes.
    let dir = tempfile::tempdir().unwrap();
    let mut tar = b"app/layer.tar\0\0\0\0".to_vec();
    tar.resize(4 << 20, 0);
    std::fs::write(dir.path().join("app.tar"), &tar).unwrap();
    std::fs::write(dir.path().join("app.tar.gz"), gzip(&tar)).unwrap();
    std::fs::write(dir.path().join("scan.json"), fixtures::grype()).unwrap();
    let out = read_paths(&[dir.path().to_path_buf()], &ReadOptions::default());
    assert_eq!(out.records.len(), 1);
    let messages: Vec<&str> = out.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "binary data (a NUL byte at offset 13), not a JSON or YAML result",
            "binary data (a NUL byte at offset 13), not a JSON or YAML result"
        ]
    );
}

#[test]
fn the_size_cap_applies_to_result_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.json");
    std::fs::write(&path, fixtures::trivy()).unwrap();
    let out = read_paths(
        &[path],
        &ReadOptions {
            source: "results".into(),
            max_file_size: 100,
        },
    );
    assert!(out.records.is_empty());
    assert!(
        out.problems[0].message.contains("--max-file-size"),
        "{}",
        out.problems[0].message
    );
    let out = read_paths(&[dir.path().join("none")], &ReadOptions::default());
    assert!(out.problems[0].message.starts_with("cannot read:"));
    let empty = tempfile::tempdir().unwrap();
    let out = read_paths(&[empty.path().to_path_buf()], &ReadOptions::default());
    assert_eq!(out.problems[0].level, ProblemLevel::Warning);
    assert_eq!(out.problems[0].message, "holds no result files");
}

fn index_of(fixtures: &[String]) -> ResultIndex {
    let records = fixtures
        .iter()
        .enumerate()
        .flat_map(|(i, f)| read_ok(&format!("f{i}.json"), f))
        .collect();
    ResultIndex::new(records)
}

#[test]
fn running_images_match_their_scans_by_digest_first() {
    let older = fixtures::trivy().replace("2026-11-02T04:12:09", "2026-10-01T04:12:09");
    let index = index_of(&[
        fixtures::trivy(),
        fixtures::grype(),
        older,
        fixtures::sarif_trivy(),
    ]);
    // The digest a container status reports, in a runtime's form.
    let m = index.find(
        "registry.example.com/shop/api:1.4.2",
        Some(&format!(
            "docker-pullable://registry.example.com/shop/api@{API_DIGEST}"
        )),
    );
    assert_eq!(m.matched_by, Some(MatchedBy::Digest));
    assert_eq!(m.records.len(), 3);
    assert_eq!(m.newest_scan_time(), t("2026-11-02T03:12:09.554212018Z"));
    assert_eq!(
        m.records[2].scanned_at,
        t("2026-10-01T03:12:09.554212018Z"),
        "newest first"
    );
    // A digest-pinned reference is enough; so is the image (config) id some runtimes give.
    let m = index.find(&format!("registry.example.com/shop/api@{API_DIGEST}"), None);
    assert_eq!(
        (m.matched_by, m.records.len()),
        (Some(MatchedBy::Digest), 3)
    );
    let m = index.find("api", Some(&format!("docker://{API_CONFIG}")));
    assert_eq!(m.matched_by, Some(MatchedBy::Digest));
}

#[test]
fn without_a_digest_match_the_same_tag_counts_unless_content_differs() {
    let index = index_of(&[fixtures::grype()]);
    // Docker Hub defaults: `ghcr.io` is explicit here, so compare a Hub image too.
    let m = index.find("ghcr.io/acme/web:2.0", None);
    assert_eq!((m.matched_by, m.records.len()), (Some(MatchedBy::Tag), 1));
    // The tag was scanned while it pointed at other content.
    let m = index.find(
        "ghcr.io/acme/web:2.0",
        Some(&format!("ghcr.io/acme/web@{OLD_DIGEST}")),
    );
    assert_eq!(m.matched_by, None);
    assert!(m.records.is_empty());
    assert_eq!(m.other_digest.len(), 1);
    // A bare id from a runtime may be the config digest: the tag match stands.
    let m = index.find("ghcr.io/acme/web:2.0", Some(OLD_DIGEST));
    assert_eq!(m.matched_by, Some(MatchedBy::Tag));
    assert!(index.find("ghcr.io/acme/web:2.1", None).is_empty());
    assert!(index.find("ghcr.io/acme/other:2.0", None).is_empty());
    let hub = json!({"SchemaVersion": 2, "ArtifactName": "nginx", "ArtifactType": "container_image",
                     "CreatedAt": "2026-11-01T00:00:00Z", "Metadata": {"RepoTags": ["nginx:latest"]}});
    let index = index_of(&[hub.to_string()]);
    for running in [
        "nginx",
        "nginx:latest",
        "docker.io/library/nginx",
        "index.docker.io/library/nginx:latest",
    ] {
        assert_eq!(
            index.find(running, None).matched_by,
            Some(MatchedBy::Tag),
            "{running}"
        );
    }
    assert!(index.find("nginx:1.27", None).is_empty());
}

#[test]
fn a_scan_of_an_image_no_workload_runs_is_read_and_matches_nothing_running() {
    let index = index_of(&[fixtures::trivy(), fixtures::grype()]);
    assert_eq!(index.records().len(), 2, "both scans are read");
    // Only the API image runs: the web image's scan is read, found by no lookup.
    let running = [("registry.example.com/shop/api:1.4.2", Some(API_DIGEST))];
    let used: Vec<&ResultRecord> = running
        .iter()
        .flat_map(|(r, d)| index.find(r, *d).records)
        .collect();
    assert_eq!(used.len(), 1);
    assert_eq!(used[0].shape, Shape::TrivyJson);
    // Records about no image are kept, and found by no image lookup.
    let index = index_of(&[fixtures::kubescape()]);
    assert_eq!(index.records().len(), 1);
    assert!(index.find("nginx", None).is_empty());
}

#[test]
fn digests_are_normalised_from_every_form_runtimes_report() {
    let hex = &API_DIGEST[7..];
    for form in [
        API_DIGEST.to_string(),
        format!("docker-pullable://registry.example.com/shop/api@{API_DIGEST}"),
        format!(
            "registry.example.com/shop/api@{}",
            API_DIGEST.to_uppercase().replace("SHA256", "sha256")
        ),
        format!("docker://{API_DIGEST}"),
        format!("  {API_DIGEST}\n"),
    ] {
        assert_eq!(
            normalize_digest(&form).as_deref(),
            Some(API_DIGEST),
            "{form}"
        );
    }
    assert_eq!(normalize_digest(hex), None);
    assert_eq!(normalize_digest("sha256:abc"), None);
    assert_eq!(normalize_digest("nginx:1.27"), None);
}

/// A small deterministic generator (xorshift), so a failing mutation can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One random change: flip, delete, duplicate or insert bytes, or cut the file short.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = out.len();
        let at = rng.below(len);
        match rng.below(6) {
            0 => {
                if len > 0 {
                    out[at] = rng.next() as u8;
                }
            }
            1 => {
                let n = rng.below(16).min(len - at.min(len));
                out.drain(at..at + n);
            }
            2 => {
                let n = rng.below(64).min(len - at.min(len));
                let chunk = out[at..at + n].to_vec();
                let to = rng.below(out.len());
                out.splice(to..to, chunk);
            }
            3 => {
                const TOKENS: [&[u8]; 10] = [
                    b"{", b"}", b"[", b"]", b"\"", b",", b":", b"null", b"\n- ", b"\xff",
                ];
                let token = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, token.iter().copied());
            }
            4 => out.truncate(at),
            _ => {
                // A value swapped for one of another type.
                const VALUES: [&[u8]; 5] = [b"1e999", b"[]", b"{}", b"-1", b"\"\""];
                if let Some(colon) = out[at..].iter().position(|b| *b == b':') {
                    let v = VALUES[rng.below(VALUES.len())];
                    let from = at + colon + 1;
                    let end = out[from..]
                        .iter()
                        .position(|b| matches!(b, b',' | b'}' | b'\n'))
                        .map_or(out.len(), |e| from + e);
                    out.splice(from..end, v.iter().copied());
                }
            }
        }
    }
    out
}

#[test]
fn random_mutations_of_every_fixture_never_panic() {
    // Bounded stand-in for the cargo-fuzz targets: 2,000 mutations of each fixture.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut read, mut refused) = (0, 0);
    for (name, text) in fixtures::all() {
        let seeds = [text.clone().into_bytes(), gzip(text.as_bytes())];
        for i in 0..2_000 {
            let seed = &seeds[usize::from(i % 10 == 9)];
            let input = mutate(&mut rng, seed);
            let (records, problems) = read_bytes(name, &input, 1 << 20);
            read += usize::from(!records.is_empty());
            refused += usize::from(!problems.is_empty());
            for p in &problems {
                let problem = p.to_problem("results", name);
                assert!(!problem.message.is_empty(), "{name} mutation {i}");
            }
            for r in &records {
                let _ = r.describes();
                let _ = serde_json::to_string(r).unwrap();
            }
            let index = ResultIndex::new(records);
            let _ = index.find("registry.example.com/shop/api:1.4.2", Some(API_DIGEST));
        }
    }
    // The mutations reach both the readers and the refusals.
    assert!(
        read > 2_000 && refused > 2_000,
        "read {read}, refused {refused}"
    );
}

#[test]
fn every_fixture_reads_without_problems() {
    for (name, text) in fixtures::all() {
        read_ok(name, &text);
    }
}
