//! A fleet in one run: 50 clusters of 2,000 Pods each, read live through 50 kubeconfig
//! contexts, against 50 sequential single-cluster runs of the same contexts in the same
//! bench run. Prints, as medians of several rounds, the wall time and peak RSS of
//! `evidencer report --cluster --context c00 ... --context c49` and the summed wall time
//! (and largest peak) of the 50 single runs. Targets: the fleet run under 30 s and 1 GB.
//!
//! Each cluster is the realistic synthetic cluster of the report bench (tests/bench/synth.rs:
//! objects shaped as an API server returns them, some workloads with bad settings), sized
//! to 2,000 Pods; the local test API server (tests/support/apiserver.rs) serves it, one
//! server per variant: clusters alternate between `VARIANTS` servers whose objects differ
//! (each variant's generator is seeded by its size), so not every cluster says the same.
//!
//! ```text
//! cargo bench --bench fleet                          # 50 clusters, 3 rounds
//! cargo bench --bench fleet -- --clusters 10 --rounds 1
//! ```

#[path = "../support/apiserver.rs"]
mod apiserver;
mod measure;
// The report bench's generator: this bench uses one size, shape and encoding of it.
#[allow(dead_code)]
mod synth;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use apiserver::ApiServer;
use measure::Run;
use synth::{Encoding, Shape, Size};

const BIN: &str = env!("CARGO_BIN_EXE_evidencer");
const PODS: usize = 2_000;
const VARIANTS: usize = 5;
const TARGET_WALL: Duration = Duration::from_secs(30);
const TARGET_RSS: u64 = 1 << 30;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn count_pods(dir: &Path) -> usize {
    let list: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("pods.json")).unwrap()).unwrap();
    list["items"].as_array().map_or(0, Vec::len)
}

/// A cluster of about 2,000 Pods (within 2%), variant `v`: the generator's sizes are nudged
/// by the variant so each variant's objects differ.
fn generate(dir: &Path, v: usize) -> usize {
    let mut objects = 3_000 + 7 * v;
    for _ in 0..6 {
        let _ = std::fs::remove_dir_all(dir);
        let size = Size {
            objects,
            nodes: 40 + v,
            workloads: 120 + 3 * v,
            namespaces: 8,
        };
        synth::generate(dir, size, Shape::Realistic, Encoding::JsonPretty).unwrap();
        let pods = count_pods(dir);
        if pods.abs_diff(PODS) * 50 <= PODS {
            return pods;
        }
        objects = (objects as i64 + PODS as i64 - pods as i64) as usize;
    }
    panic!("could not size a cluster to {PODS} Pods");
}

fn median<T: Copy + Ord>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    measure::serve_if_asked();
    if std::env::args().any(|a| a == "--list") {
        println!("fleet: bench");
        return;
    }
    let clusters = arg("--clusters", 50);
    let rounds = arg("--rounds", 3);
    let work = tempfile::tempdir().unwrap();
    let home = work.path();

    let started = Instant::now();
    let mut servers = Vec::new();
    for v in 0..VARIANTS.min(clusters) {
        let dir = home.join(format!("variant-{v}"));
        let pods = generate(&dir, v);
        let mut builder = ApiServer::builder();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json")
                && path.file_name().is_some_and(|n| n != "version.json")
            {
                builder = builder.file(&path);
            }
        }
        servers.push((builder.version("v1.33.4").start(), pods));
    }
    println!(
        "{} test API servers ({} Pods each, realistic objects) ready in {:.1}s",
        servers.len(),
        servers
            .iter()
            .map(|(_, p)| p.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        started.elapsed().as_secs_f64()
    );

    // One kubeconfig, a context per cluster, each on its variant's server.
    let names: Vec<String> = (0..clusters).map(|i| format!("c{i:02}")).collect();
    let mut config = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
    for (v, (server, _)) in servers.iter().enumerate() {
        config.push_str(&format!(
            "- name: v{v}\n  cluster:\n    server: {}\n",
            server.url()
        ));
    }
    config.push_str("contexts:\n");
    for (i, name) in names.iter().enumerate() {
        config.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: v{}\n    user: bench\n",
            i % servers.len()
        ));
    }
    config.push_str("current-context: c00\nusers:\n- name: bench\n  user:\n    username: bench\n");
    let kubeconfig = home.join("kubeconfig");
    std::fs::write(&kubeconfig, config).unwrap();

    let report = |contexts: &[String], out: &str| {
        let mut c = Command::new(BIN);
        c.env("HOME", home)
            .env_remove("KUBECONFIG")
            .args(["--quiet", "report", "--cluster", "--kubeconfig"])
            .arg(&kubeconfig);
        for name in contexts {
            c.args(["--context", name]);
        }
        for prefix in synth::trusted_registries() {
            c.args(["--trusted-registry", &prefix]);
        }
        c.args(["--as-of", "2026-09-30", "--period", "2026-Q3"])
            .args(["--format", "json,csv", "--out"])
            .arg(home.join(out));
        c
    };

    // Warm-up: page cache, the servers' first pages.
    measure::run(&report(&names[..1], "warm"), true);

    let mut fleet_runs: Vec<Run> = Vec::new();
    let mut single_walls: Vec<Duration> = Vec::new();
    let mut single_peaks: Vec<u64> = Vec::new();
    for round in 0..rounds {
        let run = measure::run(&report(&names, "fleet"), true);
        println!(
            "round {}: fleet of {clusters}: {:.2}s wall, {:.2}s cpu, {:.0} MB peak",
            round + 1,
            run.wall.as_secs_f64(),
            run.cpu.as_secs_f64(),
            mb(run.max_rss)
        );
        fleet_runs.push(run);
        let mut wall = Duration::ZERO;
        let mut peak = 0;
        for name in &names {
            let run = measure::run(&report(std::slice::from_ref(name), "single"), true);
            wall += run.wall;
            peak = peak.max(run.max_rss);
        }
        println!(
            "round {}: {clusters} sequential single-cluster runs: {:.2}s wall in all, {:.0} MB \
             largest peak",
            round + 1,
            wall.as_secs_f64(),
            mb(peak)
        );
        single_walls.push(wall);
        single_peaks.push(peak);
    }

    let fleet: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.join("fleet/report.json")).unwrap())
            .unwrap();
    let findings = fleet["findings"].as_array().map_or(0, Vec::len);
    assert_eq!(
        fleet["clusters"].as_array().map_or(0, Vec::len),
        clusters,
        "every cluster is in the fleet report"
    );

    let wall = median(fleet_runs.iter().map(|r| r.wall).collect());
    let rss = median(fleet_runs.iter().map(|r| r.max_rss).collect());
    let singles = median(single_walls);
    println!();
    println!(
        "fleet, {clusters} clusters of ~{PODS} Pods, json,csv ({findings} findings), median of \
         {rounds}:"
    );
    println!(
        "  one fleet run:        {:>7.2}s wall, {:>6.0} MB peak   (target {}s, {} MB): {}",
        wall.as_secs_f64(),
        mb(rss),
        TARGET_WALL.as_secs(),
        TARGET_RSS >> 20,
        if clusters == 50 && wall <= TARGET_WALL && rss <= TARGET_RSS {
            "met"
        } else if clusters == 50 {
            "NOT met"
        } else {
            "targets are for 50 clusters"
        }
    );
    println!(
        "  {clusters} single runs:       {:>7.2}s wall in all, {:>6.0} MB largest peak",
        singles.as_secs_f64(),
        mb(median(single_peaks))
    );
    println!(
        "  fleet / sequential:   {:>7.2}",
        wall.as_secs_f64() / singles.as_secs_f64()
    );
}
