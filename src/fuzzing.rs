//! Entry points for the fuzz targets in `fuzz/` (run by `tests/bench/fuzz.sh`); the tool
//! itself does not use them.
//!
//! Each runs one parser on input held in memory the way the tool runs it on a file it read,
//! through the same functions, and gives what that parser gives: the snapshot loader
//! (bytes of one file to objects and problems), the snapshot `manifest.json`, kustomizations
//! rendering a file, the CI readers over the files of one repository, the Dockerfile parser,
//! the shell-line parser, image references, an API audit log file (any of its four shapes)
//! and a scanner or policy-engine results file (any of its shapes, or one reader alone). Nothing here touches the network or opens a
//! file; a kustomization's `resources:` are looked up under a directory that does not exist.

use std::path::Path;

use crate::collect::{kustomize, snapshot, snapshot_manifest};
use crate::evidence::image::{ImageError, ImageRef};
use crate::evidence::inventory::Problem;
use crate::evidence::inventory::{CollectedFile, Inventory};
use crate::evidence::manifest::{Manifest, ManifestError};
use crate::evidence::record::{Source, SourceKind, evidence_id};
use crate::facts::ci::{EarlierHit, RepoAnalysis};

pub use crate::facts::ci::shell::Command;
pub use crate::facts::dockerfile::Dockerfile;

/// Where kustomizations given in memory are taken to sit.
const NOWHERE: &str = "/nonexistent.evidencer-fuzz";

/// The bytes of one snapshot file named `display` (its extension decides whether text that
/// looks like JSON but is not may be read as YAML), as `--snapshot display` reads them.
pub fn snapshot_file(display: &str, bytes: &[u8]) -> Inventory {
    snapshot::from_bytes(display, bytes.to_vec(), Vec::new())
}

/// What a snapshot directory's `manifest.json` gives: the manifest, or why it is refused;
/// when read, the problems and redaction counts it records applied to an empty snapshot.
pub fn snapshot_manifest(text: &str) -> Result<(Manifest, Inventory), ManifestError> {
    let manifest = Manifest::parse("manifest.json", text)?;
    let mut inventory = snapshot::from_text("snapshot", "");
    let source_id = inventory.sources[0].id.clone();
    snapshot_manifest::merge(&manifest, "manifest.json", &source_id, &mut inventory);
    Ok((manifest, inventory))
}

/// What kustomizations make of a file they reach.
#[derive(Debug)]
pub struct Kustomized {
    /// Problems with the kustomizations themselves.
    pub problems: Vec<Problem>,
    /// The file's objects as rendered (or as read, when a kustomization could not be).
    pub inventory: Inventory,
}

/// `kustomizations` (path, text), the top level first and each base after the overlay that
/// includes it, rendering the bytes of the file `display` that they all reach.
pub fn kustomization(kustomizations: &[(&str, &str)], display: &str, bytes: &[u8]) -> Kustomized {
    let source_id = format!("snapshot:{display}");
    let (rendering, problems) =
        kustomize::rendering_of(Path::new(NOWHERE), kustomizations, &source_id);
    let inventory = snapshot::from_bytes(display, bytes.to_vec(), rendering.into_iter().collect());
    Kustomized {
        problems,
        inventory,
    }
}

/// One file of a repository given to [`repository`].
#[derive(Clone, Copy, Debug)]
pub struct RepoFile<'a> {
    pub path: &'a str,
    pub text: &'a str,
    /// An earlier version of the file (changed or removed by the period end).
    pub earlier: bool,
}

/// What the CI readers make of one repository.
#[derive(Debug)]
pub struct RepoFacts<'a> {
    pub analysis: Vec<RepoAnalysis>,
    pub earlier: Vec<EarlierHit<'a>>,
}

/// The repository of [`repository`]'s files, as the Git collector would hand them over.
pub fn repository_inventory(files: &[RepoFile<'_>]) -> Inventory {
    let source = Source {
        id: "repo:fuzz".into(),
        kind: SourceKind::Repository,
        location: "fuzz".into(),
        identity: "fuzz".into(),
        details: Default::default(),
    };
    let mut inventory = Inventory::default();
    for (i, f) in files.iter().enumerate() {
        inventory.files.push(CollectedFile {
            source: source.id.clone(),
            path: f.path.to_string(),
            commit: Some(format!("{i:040x}")),
            evidence: evidence_id(&source.id, &format!("{i}:{}", f.path)),
            text: f.text.into(),
            committed_at: None,
            earlier: f.earlier,
        });
    }
    inventory.sources.push(source);
    inventory.canonicalize();
    inventory
}

/// Every pipeline, script, Makefile and runbook of the repository in `inventory` (made by
/// [`repository_inventory`]), and the in-place commands of its earlier versions.
pub fn repository(inventory: &Inventory) -> RepoFacts<'_> {
    RepoFacts {
        analysis: crate::facts::ci::analyze(inventory),
        earlier: crate::facts::ci::earlier_mutations(inventory, "repo:fuzz"),
    }
}

/// A Dockerfile's text.
pub fn dockerfile(text: &str) -> Dockerfile {
    crate::facts::dockerfile::parse(text)
}

/// A shell script whose first line is file line `first`, as split into simple commands.
pub fn shell(first: u32, text: &str) -> Vec<Command> {
    crate::facts::ci::shell::parse(&crate::base::lines::Script::from_text(first, text))
}

/// An image reference as written in a pod spec, Dockerfile or kustomization.
pub fn image(reference: &str) -> Result<ImageRef, ImageError> {
    ImageRef::parse(reference)
}

/// The bytes of one API audit log file named `name`, as `--audit-log name` reads it (the
/// shape is told from its first lines, gzip from its first bytes).
pub fn audit_log(name: &str, bytes: &[u8]) -> crate::collect::audit::AuditLog {
    let options = crate::collect::audit::ReadOptions::default();
    crate::collect::audit::read_bytes(name, bytes, &options)
}

/// The bytes of one API audit log file named `name` read as a file of `shape` (one of
/// `kube-apiserver`, `eks`, `gke`, `aks`), whatever its first lines look like: each shape's
/// reader fuzzed on its own.
pub fn audit_log_as(shape: &str, name: &str, bytes: &[u8]) -> crate::collect::audit::AuditLog {
    use crate::collect::audit::Shape;
    let shape = match shape {
        "kube-apiserver" => Shape::KubeApiserver,
        "eks" => Shape::Eks,
        "gke" => Shape::Gke,
        "aks" => Shape::Aks,
        other => panic!("no audit log shape `{other}`"),
    };
    let options = crate::collect::audit::ReadOptions::default();
    crate::collect::audit::read_bytes_as(name, bytes, &options, shape)
}

/// The bytes of one scanner or policy-engine results file named `name`, as `--results name`
/// reads it: the records read and the problems met.
pub fn scan_results(
    name: &str,
    bytes: &[u8],
) -> (
    Vec<crate::collect::results::ResultRecord>,
    Vec<crate::collect::results::FileProblem>,
) {
    crate::collect::results::read_bytes(name, bytes, 1 << 24)
}

pub use crate::collect::results::Shape as ResultShape;

/// The bytes of one results file read by the reader of `shape` alone (as UTF-8, lossily),
/// then as `--results` reads any file (shape told from the content, gzip too): the problems
/// of both, each with the text's line count it may name lines of.
pub fn results_as(
    shape: ResultShape,
    bytes: &[u8],
) -> Vec<(u32, crate::collect::results::FileProblem)> {
    let text = String::from_utf8_lossy(bytes);
    let lines = text.matches('\n').count() as u32 + 1;
    let (_, mut problems) = crate::collect::results::read_as(shape, &text);
    let mut out: Vec<(u32, _)> = problems.drain(..).map(|p| (lines, p)).collect();
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        let raw_lines = bytes.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        let (_, problems) = scan_results("results.json", bytes);
        out.extend(problems.into_iter().map(|p| (raw_lines, p)));
    }
    out
}
