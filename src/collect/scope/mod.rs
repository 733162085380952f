//! Which files of a repository are read: the scope of a `--repo`.
//!
//! Takes the `--include`/`--exclude` globs (global and per repository), whether the default
//! excludes apply and whether `--deployed-only` is on, and gives a [`Scope`]: one predicate
//! ([`Scope::decide`]) that the Git collector applies wherever it lists or diffs paths, so a
//! file left out is left out of the manifests, the pipelines and the image history alike.
//! Nothing is left out silently: [`group`] turns the files left out into
//! [`ExcludedPath`]s, the top-most excluded directory (or the file) with its file count and
//! the rule, which the report lists in its coverage. [`deployed`] decides, after the
//! manifests are read, which of them a kustomization, Flux or Argo CD root deploys.
//!
//! Globs match paths relative to the repository root, `*` never crosses a `/`, `**` crosses
//! any number of directories, and a glob that matches a directory matches everything under
//! it (as in `.gitignore`): `vendor`, `vendor/**` and `**/testdata` all leave a whole tree
//! out. An include narrows the scope to what some include matches; an exclude (or a default
//! exclude) always wins over an include.

pub mod deployed;

use std::collections::{BTreeMap, HashMap, HashSet};

use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::evidence::inventory::{ExcludedPath, ExclusionReason};

/// Trees left out of every repository unless `--no-default-excludes` is given: test data and
/// fixtures by the conventions of the common toolchains, which no deployment reads. Only
/// names that mean test data whatever the project are here: a `test/` or `e2e/` directory
/// may hold a real test environment's overlay, and `vendor/` may hold vendored charts, so
/// they stay in (`**/e2e/**/testdata/**` is covered by `**/testdata/**`).
pub const DEFAULT_EXCLUDES: &[&str] = &[
    // Go: the go tool ignores `testdata` directories; libraries keep their fixtures there.
    "**/testdata/**",
    "**/test-data/**",
    "**/test_data/**",
    // Ruby, JavaScript, Python and others: fixtures beside the tests that load them.
    "**/test/fixtures/**",
    "**/tests/fixtures/**",
    "**/spec/fixtures/**",
    // Jest: fixtures and stored snapshots.
    "**/__fixtures__/**",
    "**/__snapshots__/**",
];

/// An include or exclude glob, checked when it is given (flag or config key).
#[derive(Clone, Debug)]
pub struct ScopeGlob {
    /// As written.
    text: String,
    /// Matches a file or a directory path.
    glob: GlobMatcher,
    /// For a glob ending in `/**`: the directory part, so the directory itself is the
    /// excluded tree.
    dir: Option<GlobMatcher>,
}

impl PartialEq for ScopeGlob {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

fn compile(text: &str) -> Result<GlobMatcher, globset::Error> {
    GlobBuilder::new(text)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|g: Glob| g.compile_matcher())
}

impl ScopeGlob {
    /// Parses a glob; the error says what is wrong with it, naming it.
    pub fn parse(text: &str) -> Result<ScopeGlob, String> {
        // Paths are relative to the repository root, with or without a leading `./` or `/`.
        let body = text.trim_start_matches("./").trim_start_matches('/');
        let body = body.strip_suffix('/').unwrap_or(body);
        if body.is_empty() {
            return Err(format!(
                "glob `{text}` matches no path (globs match paths relative to the repository root)"
            ));
        }
        let glob =
            compile(body).map_err(|e| format!("glob `{text}` does not parse: {}", e.kind()))?;
        let dir = body
            .strip_suffix("/**")
            .filter(|d| !d.is_empty())
            .map(compile)
            .transpose()
            .map_err(|e| format!("glob `{text}` does not parse: {}", e.kind()))?;
        Ok(ScopeGlob {
            text: text.to_string(),
            glob,
            dir,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// For clap: `--include`/`--exclude` values are parsed, and a bad one is a usage error.
pub fn parse_flag(text: &str) -> Result<ScopeGlob, String> {
    ScopeGlob::parse(text)
}

impl Serialize for ScopeGlob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for ScopeGlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ScopeGlob::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What the scope of one repository is made of.
#[derive(Clone, Debug, Default)]
pub struct ScopeOptions {
    pub include: Vec<ScopeGlob>,
    pub exclude: Vec<ScopeGlob>,
    pub default_excludes: bool,
    pub deployed_only: bool,
}

/// Why one file is out of scope, and the tree it is listed under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exclusion {
    pub reason: ExclusionReason,
    /// The glob, for an exclude.
    pub rule: Option<String>,
    /// The top-most directory the rule matched (`true`), or the file; None when the tree is
    /// found by [`group`] (a file no include matched, a manifest not deployed).
    pub tree: Option<(String, bool)>,
}

/// The scope of one repository.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    include: Vec<ScopeGlob>,
    /// User excludes first, then the defaults: the first that matches is named.
    exclude: Vec<(ScopeGlob, ExclusionReason)>,
    /// Every include's and every exclude's globs in one set each, so a path costs one match
    /// per directory above it however many globs there are (the whole tree at the period
    /// end goes through [`Scope::decide`]).
    include_set: Globs,
    exclude_set: Globs,
    pub deployed_only: bool,
}

/// Globs matched at once; per glob of the set, the index of its [`ScopeGlob`] and whether it
/// is the directory part of a `/**` glob (which a file's own path must not match).
#[derive(Clone, Debug, Default)]
struct Globs {
    set: GlobSet,
    of: Vec<(usize, bool)>,
}

impl Globs {
    fn new<'a>(globs: impl Iterator<Item = &'a ScopeGlob>) -> Globs {
        let mut builder = GlobSetBuilder::new();
        let mut of = Vec::new();
        for (i, g) in globs.enumerate() {
            builder.add(g.glob.glob().clone());
            of.push((i, false));
            if let Some(d) = &g.dir {
                builder.add(d.glob().clone());
                of.push((i, true));
            }
        }
        Globs {
            // Each glob compiled alone already; together they cannot fail.
            set: builder.build().unwrap_or_default(),
            of,
        }
    }

    /// The first glob (by index) that matches the top-most part of `path` it can: a
    /// directory above it, else the file; with that part and whether it is a directory.
    fn top_match(&self, path: &str, hits: &mut Vec<usize>) -> Option<(usize, String, bool)> {
        if self.of.is_empty() {
            return None;
        }
        for dir in ancestors(path) {
            self.set.matches_into(dir, hits);
            if let Some(i) = hits.iter().map(|&h| self.of[h].0).min() {
                return Some((i, dir.to_string(), true));
            }
        }
        self.set.matches_into(path, hits);
        hits.iter()
            .filter(|&&h| !self.of[h].1)
            .map(|&h| self.of[h].0)
            .min()
            .map(|i| (i, path.to_string(), false))
    }
}

impl Scope {
    pub fn new(options: &ScopeOptions) -> Scope {
        let mut exclude: Vec<(ScopeGlob, ExclusionReason)> = options
            .exclude
            .iter()
            .map(|g| (g.clone(), ExclusionReason::Exclude))
            .collect();
        if options.default_excludes {
            exclude.extend(DEFAULT_EXCLUDES.iter().map(|g| {
                (
                    ScopeGlob::parse(g).expect("the default excludes parse"),
                    ExclusionReason::DefaultExclude,
                )
            }));
        }
        Scope {
            include_set: Globs::new(options.include.iter()),
            exclude_set: Globs::new(exclude.iter().map(|(g, _)| g)),
            include: options.include.clone(),
            exclude,
            deployed_only: options.deployed_only,
        }
    }

    /// None when `path` is read; else why not.
    pub fn decide(&self, path: &str) -> Option<Exclusion> {
        let mut hits = Vec::new();
        if let Some((i, tree, dir)) = self.exclude_set.top_match(path, &mut hits) {
            let (glob, reason) = &self.exclude[i];
            return Some(Exclusion {
                reason: *reason,
                rule: Some(glob.as_str().to_string()),
                tree: Some((tree, dir)),
            });
        }
        if !self.include.is_empty() && self.include_set.top_match(path, &mut hits).is_none() {
            return Some(Exclusion {
                reason: ExclusionReason::NotIncluded,
                rule: None,
                tree: None,
            });
        }
        None
    }

    /// The scope in words, for the repository's source details: what an auditor needs to
    /// know to read the report's coverage of it.
    pub fn describe(&self) -> String {
        let list = |globs: &mut dyn Iterator<Item = &ScopeGlob>| {
            globs.map(ScopeGlob::as_str).collect::<Vec<_>>().join(", ")
        };
        let mut parts = Vec::new();
        if !self.include.is_empty() {
            parts.push(format!("include {}", list(&mut self.include.iter())));
        }
        let mut mine = self
            .exclude
            .iter()
            .filter(|(_, r)| *r == ExclusionReason::Exclude)
            .map(|(g, _)| g)
            .peekable();
        if mine.peek().is_some() {
            parts.push(format!("exclude {}", list(&mut mine)));
        }
        if self
            .exclude
            .iter()
            .any(|(_, r)| *r == ExclusionReason::DefaultExclude)
        {
            parts.push("default excludes (test data and fixtures)".to_string());
        } else {
            parts.push("no default excludes".to_string());
        }
        if self.deployed_only {
            parts.push("deployed only".to_string());
        }
        parts.join("; ")
    }

    /// Is `path` read?
    pub fn keeps(&self, path: &str) -> bool {
        self.decide(path).is_none()
    }

    /// Why the `resources:` entry `rel` of the kustomization at `kustomization` is out of
    /// scope, if it is: the file it names, or the kustomization of the directory it names.
    /// The kustomization then cannot find it, and that is the scope's doing, not a bad path.
    pub fn resource_exclusion(&self, kustomization: &str, rel: &str) -> Option<Exclusion> {
        let dir = kustomization.rsplit_once('/').map_or("", |(d, _)| d);
        // Above the repository root: not the scope's doing.
        let path = deployed::join(dir, rel.trim_end_matches('/'))?;
        self.decide(&path).or_else(|| {
            crate::collect::kustomize::FILE_NAMES
                .iter()
                .find_map(|n| self.decide(&format!("{path}/{n}")))
        })
    }
}

/// The directories above a path, shallowest first (`a`, `a/b` for `a/b/c.yaml`).
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

/// The files left out of one repository, as the trees the report lists: each file under
/// the tree its rule names, or (a file no include matched, a manifest not deployed) under
/// the top-most directory all of whose files share its reason. `kept` are the files read.
pub fn group<'a>(
    source: &str,
    kept: impl Iterator<Item = &'a str>,
    excluded: &[(String, Exclusion)],
) -> Vec<ExcludedPath> {
    // Per directory, the reasons its files were left out for (None: a file was read).
    let mut reasons: HashMap<&str, HashSet<Option<ExclusionReason>>> = HashMap::new();
    for path in kept {
        for dir in ancestors(path) {
            reasons.entry(dir).or_default().insert(None);
        }
    }
    for (path, e) in excluded {
        for dir in ancestors(path) {
            reasons.entry(dir).or_default().insert(Some(e.reason));
        }
    }
    let mut trees: BTreeMap<(String, ExclusionReason, Option<String>), (bool, usize)> =
        BTreeMap::new();
    for (path, e) in excluded {
        let (tree, dir) = match &e.tree {
            Some(t) => t.clone(),
            None => ancestors(path)
                .find(|d| {
                    reasons
                        .get(d)
                        .is_some_and(|r| r.len() == 1 && r.contains(&Some(e.reason)))
                })
                .map_or_else(|| (path.clone(), false), |d| (d.to_string(), true)),
        };
        let entry = trees
            .entry((tree, e.reason, e.rule.clone()))
            .or_insert((dir, 0));
        entry.1 += 1;
    }
    trees
        .into_iter()
        .map(|((path, reason, rule), (directory, files))| ExcludedPath {
            source: source.to_string(),
            path,
            directory,
            files,
            reason,
            rule,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(include: &[&str], exclude: &[&str], defaults: bool) -> Scope {
        let globs = |g: &[&str]| g.iter().map(|g| ScopeGlob::parse(g).unwrap()).collect();
        Scope::new(&ScopeOptions {
            include: globs(include),
            exclude: globs(exclude),
            default_excludes: defaults,
            deployed_only: false,
        })
    }

    fn tree(s: &Scope, path: &str) -> Option<(String, ExclusionReason, Option<String>)> {
        s.decide(path)
            .map(|e| (e.tree.map(|t| t.0).unwrap_or_default(), e.reason, e.rule))
    }

    #[test]
    fn default_excludes_leave_out_test_data_trees_at_any_depth() {
        let s = scope(&[], &[], true);
        use ExclusionReason::DefaultExclude as D;
        for (path, top, rule) in [
            ("testdata/a.yaml", "testdata", "**/testdata/**"),
            (
                "vendor/lib/testdata/x/ds.yaml",
                "vendor/lib/testdata",
                "**/testdata/**",
            ),
            (
                "e2e/kind/testdata/x.yaml",
                "e2e/kind/testdata",
                "**/testdata/**",
            ),
            (
                "web/test/fixtures/d.yaml",
                "web/test/fixtures",
                "**/test/fixtures/**",
            ),
            (
                "pkg/tests/fixtures/d.json",
                "pkg/tests/fixtures",
                "**/tests/fixtures/**",
            ),
            (
                "ui/__fixtures__/a.yaml",
                "ui/__fixtures__",
                "**/__fixtures__/**",
            ),
        ] {
            assert_eq!(
                tree(&s, path),
                Some((top.to_string(), D, Some(rule.to_string()))),
                "{path}"
            );
        }
        // Real deployments keep their names: a test environment, e2e manifests, vendored charts.
        for path in [
            "overlays/test/kustomization.yaml",
            "test/deploy.yaml",
            "e2e/app.yaml",
            "vendor/charts/web/values.yaml",
            "apps/testdata.yaml",
            "fixtures.yaml",
        ] {
            assert_eq!(tree(&s, path), None, "{path}");
        }
        assert_eq!(tree(&scope(&[], &[], false), "testdata/a.yaml"), None);
    }

    #[test]
    fn a_glob_matching_a_directory_leaves_out_its_tree_and_star_stays_in_one_directory() {
        let s = scope(&[], &["vendor", "**/*.tmp.yaml", "docs/*"], false);
        use ExclusionReason::Exclude as X;
        assert_eq!(
            tree(&s, "vendor/a/b.yaml"),
            Some(("vendor".into(), X, Some("vendor".into())))
        );
        assert_eq!(
            tree(&s, "apps/x.tmp.yaml"),
            Some(("apps/x.tmp.yaml".into(), X, Some("**/*.tmp.yaml".into())))
        );
        assert_eq!(
            tree(&s, "docs/a/b.yaml"),
            Some(("docs/a".into(), X, Some("docs/*".into())))
        );
        assert_eq!(tree(&s, "apps/vendor.yaml"), None);
        assert_eq!(tree(&s, "src/docs/a.yaml"), None);
    }

    #[test]
    fn includes_narrow_and_excludes_win() {
        let s = scope(&["apps/**", "./charts"], &["apps/legacy/**"], true);
        assert!(s.keeps("apps/web.yaml"));
        assert!(s.keeps("charts/web/values.yaml"));
        assert_eq!(
            s.decide(".github/workflows/ci.yml").map(|e| e.reason),
            Some(ExclusionReason::NotIncluded)
        );
        assert_eq!(
            s.decide("apps/legacy/a.yaml").map(|e| e.reason),
            Some(ExclusionReason::Exclude)
        );
        assert_eq!(
            s.decide("apps/testdata/a.yaml").map(|e| e.reason),
            Some(ExclusionReason::DefaultExclude)
        );
    }

    #[test]
    fn a_kustomization_resource_in_an_excluded_tree_is_named_with_its_rule() {
        let s = scope(&[], &["base/**"], true);
        let rule = |k: &str, rel: &str| s.resource_exclusion(k, rel).and_then(|e| e.rule);
        assert_eq!(
            rule("overlays/prod/kustomization.yaml", "../../base"),
            Some("base/**".into())
        );
        assert_eq!(
            rule("overlays/prod/kustomization.yaml", "./testdata/x.yaml"),
            Some("**/testdata/**".into())
        );
        assert_eq!(rule("overlays/prod/kustomization.yaml", "../../apps"), None);
        assert_eq!(rule("kustomization.yaml", "../outside"), None);
    }

    #[test]
    fn the_scope_describes_itself() {
        assert_eq!(
            scope(&[], &[], true).describe(),
            "default excludes (test data and fixtures)"
        );
        let mut s = scope(&["apps/**", "charts"], &["legacy"], false);
        s.deployed_only = true;
        assert_eq!(
            s.describe(),
            "include apps/**, charts; exclude legacy; no default excludes; deployed only"
        );
    }

    #[test]
    fn bad_globs_are_named() {
        for bad in ["apps/[z", "{a,b", "", "./"] {
            let err = ScopeGlob::parse(bad).unwrap_err();
            assert!(err.contains(&format!("`{bad}`")), "{err}");
        }
    }

    #[test]
    fn files_left_out_group_under_their_top_most_tree() {
        let s = scope(&["apps/**"], &[], true);
        let files = [
            "apps/web.yaml",
            "vendor/lib/testdata/a.yaml",
            "vendor/lib/testdata/b/c.yaml",
            "tools/x.yaml",
            "tools/y/z.yaml",
            "Dockerfile",
        ];
        let mut kept = Vec::new();
        let mut out = Vec::new();
        for f in files {
            match s.decide(f) {
                None => kept.push(f),
                Some(e) => out.push((f.to_string(), e)),
            }
        }
        let listed: Vec<(String, bool, usize, ExclusionReason)> =
            group("repo:x", kept.into_iter(), &out)
                .into_iter()
                .map(|e| (e.path, e.directory, e.files, e.reason))
                .collect();
        assert_eq!(
            listed,
            [
                ("Dockerfile".into(), false, 1, ExclusionReason::NotIncluded),
                ("tools".into(), true, 2, ExclusionReason::NotIncluded),
                (
                    "vendor/lib/testdata".into(),
                    true,
                    2,
                    ExclusionReason::DefaultExclude
                ),
            ]
        );
    }
}
