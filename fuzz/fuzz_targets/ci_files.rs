//! The CI readers over the files of one repository: GitHub Actions, GitLab CI, Jenkinsfiles,
//! Azure Pipelines, CircleCI, Bitbucket Pipelines, Tekton, Drone, scripts, Makefiles and
//! runbooks, with what they include and call. The input is files joined by 0xFF bytes, each
//! `path\ntext` (a path starting with `@` is an earlier version of that path). Never panics;
//! every step cites a line of a file of the repository.
#![no_main]
use std::collections::BTreeMap;

use evidencer::fuzzing::{self, RepoFile};
use evidencer_fuzz::{assert_line_in, line_count, parts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut files = Vec::new();
    for part in parts(data, 9) {
        let Ok(part) = std::str::from_utf8(part) else {
            return;
        };
        let (path, text) = part.split_once('\n').unwrap_or((part, ""));
        let (path, earlier) = match path.strip_prefix('@') {
            Some(p) => (p, true),
            None => (path, false),
        };
        files.push(RepoFile {
            path,
            text,
            earlier,
        });
    }
    // The longest version of each path: a step cites a line of one of them.
    let mut lines: BTreeMap<&str, u32> = BTreeMap::new();
    for f in &files {
        let n = lines.entry(f.path).or_default();
        *n = (*n).max(line_count(f.text));
    }
    let inventory = fuzzing::repository_inventory(&files);
    let facts = fuzzing::repository(&inventory);
    let steps = facts
        .analysis
        .iter()
        .flat_map(|r| {
            r.pipelines
                .iter()
                .flat_map(|p| &p.steps)
                .chain(r.scripts.iter().flat_map(|s| &s.mutations))
        })
        .chain(facts.earlier.iter().map(|h| &h.step));
    for step in steps {
        let Some(&n) = lines.get(step.path.as_str()) else {
            panic!("a step in {:?}, not a file of the repository", step.path);
        };
        assert_line_in(
            step.line,
            1,
            n,
            &format!("step {} in {}", step.tool, step.path),
        );
    }
});
