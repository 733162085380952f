#!/usr/bin/env bash
# Fuzzes evidencer's parsers for a bounded time each (not part of CI).
#
#   tests/bench/fuzz.sh [SECONDS] [TARGET...]
#
# Builds the targets of fuzz/ with `cargo +nightly fuzz build` (cargo-fuzz and a nightly
# toolchain must be installed), seeds each from the repository's own fixtures and samples
# (copied at run time into a fresh seed directory), runs each target for SECONDS (default 60)
# one after another on one core, and prints per target: runs, execs/s, coverage (edges and
# features), corpus size, peak RSS and what it found. Inputs found interesting are kept in
# fuzz/corpus/TARGET (so the next run starts where this one stopped), crashes, timeouts and
# out-of-memory inputs in fuzz/artifacts/TARGET/. Exit status 1 when a target found one.
#
# Environment: FUZZ_SANITIZER (none, or address for unsafe code; default none: the parsers are
# safe Rust, and ASan halves the exec rate), FUZZ_ARGS (more libFuzzer flags, such as
# `-fork=1 -ignore_crashes=1` to go on after a crash), FUZZ_BUILD=0 (run the last build).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

seconds=${1:-60}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || {
    echo "usage: $0 [SECONDS] [TARGET...]" >&2
    exit 2
}
shift || true
all=(snapshot_file snapshot_manifest kustomization ci_files dockerfile shell image_ref audit_log
    audit_kube audit_eks audit_gke audit_aks results_trivy results_grype results_sarif results_sbom
    results_policy_report results_kubescape results_trivy_operator)
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")

command -v cargo-fuzz >/dev/null || {
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 2
}
rustup toolchain list | grep -q '^nightly' || {
    echo "no nightly toolchain (rustup toolchain list); cargo fuzz needs one" >&2
    exit 2
}

sanitizer=${FUZZ_SANITIZER:-none}
if [[ ${FUZZ_BUILD:-1} != 0 ]]; then
    echo "== building fuzz targets (sanitizer: $sanitizer)"
    (cd fuzz && cargo +nightly fuzz build -s "$sanitizer")
fi
bin_dir=fuzz/target/x86_64-unknown-linux-gnu/release

seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT

# One seed file per input, named after where it came from.
seed() { # target name < content
    mkdir -p "$seeds/$1"
    cat >"$seeds/$1/${2//\//_}"
}
# Files joined by a 0xFF byte, as the multi-file targets split their input.
join_ff() { # file...
    local first=1
    for f in "$@"; do
        ((first)) || printf '\xff'
        first=0
        cat "$f"
    done
}
# Repository files as the ci_files target reads them: `path\ntext`, joined by 0xFF.
join_repo() { # dir file...
    local dir=$1 first=1
    shift
    for f in "$@"; do
        ((first)) || printf '\xff'
        first=0
        printf '%s\n' "${f#"$dir"/}"
        cat "$f"
    done
}

make_seeds() {
    local f d
    # Snapshot files: the first byte picks the name (0: .yaml, 1: .json).
    while IFS= read -r f; do
        case $f in
        *.json) { printf '\x01'; cat "$f"; } | seed snapshot_file "$f" ;;
        *) { printf '\x00'; cat "$f"; } | seed snapshot_file "$f" ;;
        esac
    done < <(find tests/fixtures/cluster tests/fixtures/report-* samples/snapshot deploy \
        tests/fixtures/cicd -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | sort)

    # manifest.json: no fixture holds one (collect writes it), so one of each shape.
    seed snapshot_manifest manifest.json <<'EOF'
{
  "format": "evidencer-snapshot",
  "format_version": 1,
  "tool": {"name": "evidencer", "version": "0.1.0"},
  "collected_at": "2025-03-31T23:59:59Z",
  "cluster": {"context": "prod", "server": "https://10.0.0.1:6443", "version": "v1.31.2"},
  "namespaces": ["shop", "payments"],
  "kinds": {
    "Pod": {"api_version": "v1", "status": "collected", "count": 3, "file": "pods.json"},
    "Node": {"api_version": "v1", "status": "forbidden", "reason": "nodes is forbidden"},
    "VulnerabilityReport": {"api_version": "aquasecurity.github.io/v1alpha1", "status": "not_served"}
  },
  "files": [
    {"path": "pods.json", "size": 1234, "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
  ],
  "problems": [
    {"level": "warning", "source": "cluster:prod", "location": "/api/v1/nodes", "message": "forbidden", "hint": "grant list"}
  ],
  "redaction": {"secrets_dropped": 2, "configmap_data_removed": 1, "env_values_redacted": 4, "annotations_redacted": 0}
}
EOF

    # Kustomizations: overlay, base, a manifest they reach.
    join_ff deploy/overlays/example/kustomization.yaml deploy/base/kustomization.yaml \
        deploy/base/cronjob.yaml | seed kustomization deploy
    join_ff deploy/base/kustomization.yaml deploy/base/cronjob.yaml | seed kustomization deploy-base
    join_ff tests/fixtures/cicd/gitops/apps/api/kustomization.yaml \
        tests/fixtures/cicd/gitops/apps/api/deployment.yaml | seed kustomization gitops

    # CI files: each fixture repository whole (up to the 9 files the target reads), then
    # every file on its own.
    for d in tests/fixtures/cicd/*/; do
        d=${d%/}
        mapfile -t files < <(find "$d" -type f | sort | head -9)
        join_repo "$d" "${files[@]}" | seed ci_files "$d"
        for f in "${files[@]}"; do
            join_repo "$d" "$f" | seed ci_files "$f"
        done
    done

    # Dockerfiles, and shell scripts (the first byte is the script's first line - 1).
    while IFS= read -r f; do
        seed dockerfile "$f" <"$f"
    done < <(find tests/fixtures deploy -type f -iname '*dockerfile*' ! -name '*.dockerignore' | sort)
    while IFS= read -r f; do
        { printf '\x00'; cat "$f"; } | seed shell "$f"
    done < <(find tests/fixtures/cicd -type f \( -name '*.sh' -o -name '*.groovy' -o -name 'Makefile' \
        -o -name '*.md' -o -iname 'jenkinsfile' \) | sort)

    # Image references as written in the fixtures.
    local n=0
    while IFS= read -r ref; do
        n=$((n + 1))
        printf '%s' "$ref" | seed image_ref "ref-$n"
    done < <(grep -rhoE '(image: *|FROM +)[^ ]+' tests/fixtures samples/snapshot deploy |
        sed -E 's/^(image: *|FROM +)//; s/^"//; s/"$//' | sort -u)

    # Audit logs: one line of each shape (kube-apiserver, EKS CloudWatch, GKE, AKS).
    local event='{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods/web-1/exec?command=sh&container=app&stdin=true","verb":"create","user":{"username":"jane@example.com","groups":["system:authenticated"]},"sourceIPs":["10.0.0.7"],"userAgent":"kubectl/v1.33.1","objectRef":{"resource":"pods","namespace":"shop","name":"web-1","subresource":"exec","apiVersion":"v1"},"responseStatus":{"code":101},"requestReceivedTimestamp":"2026-07-14T09:12:03.120000Z","stageTimestamp":"2026-07-14T09:12:03.180000Z"}'
    # Each line goes to the detecting target and to its own shape's target.
    seed2() { # shape-target name < content
        local content
        content=$(cat)
        printf '%s\n' "$content" | seed audit_log "$2"
        printf '%s\n' "$content" | seed "$1" "$2"
    }
    printf '%s\n%s' "$event" "${event/a1/a2}" | seed2 audit_kube kube-apiserver.log
    local quoted=${event//\"/\\\"}
    printf '{"timestamp":1783415523120,"logStreamName":"kube-apiserver-audit-1","message":"%s"}' "$quoted" |
        seed2 audit_eks eks.json
    printf '%s\n' '{"protoPayload":{"serviceName":"k8s.io","methodName":"io.k8s.core.v1.pods.exec.create","resourceName":"core/v1/namespaces/shop/pods/web-1/exec","authenticationInfo":{"principalEmail":"jane@example.com"},"requestMetadata":{"callerIp":"10.0.0.7","callerSuppliedUserAgent":"kubectl/v1.33.1"},"status":{}},"timestamp":"2026-07-14T09:12:03.120Z"}' |
        seed2 audit_gke gke.json
    printf '{"time":"2026-07-14T09:12:03.1200000Z","category":"kube-audit","properties":{"log":"%s"}}' "$quoted" |
        seed2 audit_aks aks.json

    # Scanner and policy results, one target per reader: the samples' files, and a small
    # document of each other shape (field names from the tools' documented formats). The
    # two-reader targets take a first byte that picks the reader (even, odd).
    seed results_trivy payments-api.trivy.json <samples/results/payments-api.trivy.json
    seed results_grype grype.json <<'EOF'
{"matches":[{"vulnerability":{"id":"CVE-2026-1001","severity":"High","fix":{"versions":["3.0.15-1"],"state":"fixed"}},"relatedVulnerabilities":[],"artifact":{"name":"libssl3","version":"3.0.14-1","type":"deb"}}],"source":{"type":"image","target":{"userInput":"registry.example.com/shop/api:1.4.2","imageID":"sha256:aa","manifestDigest":"sha256:bb","repoDigests":["registry.example.com/shop/api@sha256:bb"],"tags":["registry.example.com/shop/api:1.4.2"]}},"descriptor":{"name":"grype","version":"0.85.0","timestamp":"2026-09-28T02:00:00Z"}}
EOF
    seed results_sarif sarif.json <<'EOF'
{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"Trivy","version":"0.58.1","rules":[{"id":"CVE-2026-1001","properties":{"security-severity":"9.8"}}]}},"invocations":[{"endTimeUtc":"2026-09-28T02:00:00Z","executionSuccessful":true}],"properties":{"imageName":"registry.example.com/shop/api:1.4.2","repoDigests":["registry.example.com/shop/api@sha256:bb"]},"results":[{"ruleId":"CVE-2026-1001","level":"error","message":{"text":"Package: libssl3\nInstalled Version: 3.0.14-1\nFixed Version: 3.0.15-1"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"registry.example.com/shop/api"}}}]}]}]}
EOF
    { printf '\x00'; cat <<'EOF'; } | seed results_sbom cyclonedx.json
{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"timestamp":"2026-09-28T02:00:00Z","component":{"type":"container","name":"registry.example.com/shop/api","version":"sha256:bb"}},"components":[{"bom-ref":"pkg:deb/debian/libssl3@3.0.14-1","type":"library","name":"libssl3","version":"3.0.14-1","purl":"pkg:deb/debian/libssl3@3.0.14-1"}],"vulnerabilities":[{"id":"CVE-2026-1001","ratings":[{"severity":"critical"}],"published":"2026-08-14T00:00:00Z","affects":[{"ref":"pkg:deb/debian/libssl3@3.0.14-1"}],"analysis":{"state":"exploitable"},"recommendation":"Upgrade libssl3 to 3.0.15-1"}]}
EOF
    { printf '\x01'; cat <<'EOF'; } | seed results_sbom spdx.json
{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"registry.example.com/shop/api:1.4.2","creationInfo":{"created":"2026-09-28T02:00:00Z","creators":["Tool: syft-1.18.0"]},"packages":[{"SPDXID":"SPDXRef-libssl3","name":"libssl3","versionInfo":"3.0.14-1","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:deb/debian/libssl3@3.0.14-1"}]}]}
EOF
    jq -c '.items[]' samples/results/policyreports.json | while IFS= read -r doc; do
        printf '%s' "$doc" | seed results_policy_report "polr-$(printf '%s' "$doc" | sha256sum | cut -c1-8)"
    done
    seed results_policy_report openreports.json <<'EOF'
{"apiVersion":"openreports.io/v1alpha1","kind":"Report","metadata":{"name":"rep-web","namespace":"web"},"source":"kyverno","scope":{"apiVersion":"apps/v1","kind":"Deployment","name":"web","namespace":"web"},"results":[{"policy":"disallow-latest","rule":"check","result":"fail","severity":"high","message":"uses latest","timestamp":{"seconds":1795000000,"nanos":0}}],"summary":{"pass":0,"fail":1}}
EOF
    seed results_kubescape kubescape.json <<'EOF'
{"clusterName":"prod","generationTime":"2026-09-28T02:00:00Z","summaryDetails":{"controls":{"C-0017":{"name":"Immutable container filesystem","status":"failed","scoreFactor":3}}},"results":[{"resourceID":"apps/v1/shop/Deployment/api","controls":[{"controlID":"C-0017","name":"Immutable container filesystem","status":{"status":"failed"}}]}],"resources":[{"resourceID":"apps/v1/shop/Deployment/api","object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api","namespace":"shop"}}}]}
EOF
    { printf '\x00'; cat <<'EOF'; } | seed results_trivy_operator configauditreport.json
{"apiVersion":"aquasecurity.github.io/v1alpha1","kind":"ConfigAuditReport","metadata":{"name":"replicaset-api","namespace":"shop","labels":{"trivy-operator.resource.kind":"ReplicaSet","trivy-operator.resource.name":"api-6d9f","trivy-operator.resource.namespace":"shop"}},"report":{"updateTimestamp":"2026-09-28T02:00:00Z","scanner":{"name":"Trivy","version":"0.58.1"},"checks":[{"checkID":"KSV014","title":"Root file system is not read-only","severity":"HIGH","category":"Kubernetes Security Check","success":false,"messages":["Container 'app' should set readOnlyRootFilesystem"]}]}}
EOF
    { printf '\x01'; cat <<'EOF'; } | seed results_trivy_operator vulnerabilityreport.json
{"apiVersion":"aquasecurity.github.io/v1alpha1","kind":"VulnerabilityReport","metadata":{"name":"replicaset-api-6d9f-app","namespace":"shop","creationTimestamp":"2026-09-01T00:00:00Z"},"report":{"updateTimestamp":"2026-09-28T02:00:00Z","scanner":{"name":"Trivy","version":"0.58.1"},"registry":{"server":"registry.example.com"},"artifact":{"repository":"shop/api","tag":"1.4.2","digest":"sha256:bb"},"summary":{"criticalCount":1,"highCount":0},"vulnerabilities":[{"vulnerabilityID":"CVE-2026-1001","resource":"libssl3","installedVersion":"3.0.14-1","fixedVersion":"3.0.15-1","severity":"CRITICAL","publishedDate":"2026-08-14T00:00:00Z"}]}}
EOF
    jq -c '.items[]' samples/snapshot/vulnerabilityreports.json | while IFS= read -r doc; do
        { printf '\x01'; printf '%s' "$doc"; } | seed results_trivy_operator "vr-$(printf '%s' "$doc" | sha256sum | cut -c1-8)"
    done
}
make_seeds

# libFuzzer's settings: one process, bounded input size, time and memory.
common=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536
    -print_final_stats=1 -close_fd_mask=1)
read -r -a extra <<<"${FUZZ_ARGS:-}"

declare -A row
found=0
for t in "${targets[@]}"; do
    [[ -x $bin_dir/$t ]] || {
        echo "unknown target $t (known: ${all[*]})" >&2
        exit 2
    }
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t" "$seeds/$t"
    log=fuzz/artifacts/$t/last-run.log
    before=$(find "fuzz/artifacts/$t" -type f ! -name '*.log' | wc -l)
    echo "== $t: ${seconds}s"
    start=$SECONDS
    set +e
    RAYON_NUM_THREADS=1 "$bin_dir/$t" "${common[@]}" "${extra[@]}" \
        -artifact_prefix="fuzz/artifacts/$t/" "fuzz/corpus/$t" "$seeds/$t" </dev/null >"$log" 2>&1
    status=$?
    set -e
    ran=$((SECONDS - start))
    stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
    # The last status line: `#N  DONE  cov: X ft: Y corp: Z/... exec/s: E` (with -fork,
    # `#N: cov: ...`, and no final stats).
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    runs=$(stat number_of_executed_units)
    runs=${runs:-$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")}
    rate=$(stat average_exec_per_sec)
    rate=${rate:-$(sed -nE 's/.* exec\/s: ([0-9]+).*/\1/p' <<<"$last")}
    rss=$(stat peak_rss_mb)
    rss=${rss:-$(sed -nE 's/.* rss: ([0-9]+)Mb.*/\1/p' <<<"$last")}
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
    corp=$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$last")
    after=$(find "fuzz/artifacts/$t" -type f ! -name '*.log' | wc -l)
    new=$((after - before))
    if ((status != 0 || new > 0)); then
        found=1
        what="$new new ($(grep -m1 -oE 'deadly signal|panicked at [^ ]+|Timeout|out-of-memory|ERROR: [^ ]+' "$log" || echo "exit $status")); see $log"
    else
        what="none"
    fi
    row[$t]=$(printf '%-18s %6ss %12s %9s %6s %7s %6s %6sMB  %s' "$t" "$ran" "${runs:-?}" \
        "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}" "$what")
    echo "${row[$t]}"
done

echo
printf '%-18s %7s %12s %9s %6s %7s %6s %8s  %s\n' target time runs execs/s cov ft corpus rss found
for t in "${targets[@]}"; do
    echo "${row[$t]}"
done
exit "$found"
