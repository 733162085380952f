//! Helpers for tests: inventories of repository files built in code or read from the
//! fixture directories under `tests/fixtures/cicd/`, as the Git collector would hand them over.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::evidence::inventory::{CollectedFile, Inventory};
use crate::evidence::record::{Source, SourceKind, evidence_id};

/// A fixed commit id for test files.
pub const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cicd")
        .join(name)
}

/// The repository source a collector would add for `name`.
pub fn repo_source(name: &str) -> Source {
    Source {
        id: format!("repo:{name}"),
        kind: SourceKind::Repository,
        location: name.to_string(),
        identity: name.to_string(),
        details: BTreeMap::new(),
    }
}

/// One repository's files, given as (path, text).
pub fn add_repo(inventory: &mut Inventory, name: &str, files: &[(&str, &str)]) {
    let source = repo_source(name);
    for (path, text) in files {
        inventory.files.push(CollectedFile {
            source: source.id.clone(),
            path: path.to_string(),
            commit: Some(COMMIT.into()),
            evidence: evidence_id(&source.id, &format!("{name}@{COMMIT}:{path}")),
            text: (*text).into(),
            committed_at: None,
            earlier: false,
        });
    }
    inventory.sources.push(source);
    inventory.canonicalize();
}

pub fn inventory_of(name: &str, files: &[(&str, &str)]) -> Inventory {
    let mut inventory = Inventory::default();
    add_repo(&mut inventory, name, files);
    inventory
}

/// Every file under a fixture directory, as one repository named after it.
pub fn fixture_inventory(name: &str) -> Inventory {
    let root = fixture_dir(name);
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    inventory_of(name, &borrowed)
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let path = e.path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, text));
        }
    }
}

/// Steps as one line each, for snapshots: `path:line activity tool [target] | command`.
pub fn render_steps(steps: &[crate::facts::ci::Step]) -> String {
    let mut out = String::new();
    for s in steps {
        out.push_str(&format!(
            "{}:{} {} {}",
            s.path,
            s.line,
            s.activity.as_str(),
            s.tool
        ));
        if let Some(t) = &s.target {
            out.push_str(&format!(" [{t}]"));
        }
        if let Some(v) = &s.via {
            out.push_str(&format!(" via {v}"));
        }
        out.push_str(&format!(" | {}", s.command));
        if let Some(n) = &s.note {
            out.push_str(&format!(" ({n})"));
        }
        out.push('\n');
    }
    out
}
