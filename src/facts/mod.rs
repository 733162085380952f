//! Facts: what the checks read, derived from the inventory once per run.
//!
//! Takes an [`Inventory`] and gives [`Facts`]: the workloads and their containers
//! ([`workloads`]), the pods as they run ([`running`]), the admission policies
//! ([`admission`]), the Nodes ([`nodes`]), the API server's version ([`versions`]), the CI
//! analysis of each repository ([`ci`]), the parsed Dockerfiles ([`dockerfile`]) and the
//! `--results` records indexed by image. Each is
//! built once, before the checks run, and shared by every check through the check context:
//! four checks read the CI analysis, three the Dockerfiles, four the running pods, four the
//! Nodes, and none of them derives its own copy. [`rbac`] (who holds which permission) and
//! [`eol`] (end-of-life data and its judgement) are read by the checks directly: RBAC grants
//! are asked for the permissions one check names, and the end-of-life data is a setting.
//!
//! Everything here is a pure function of the evidence; judging it is the checks' work.

pub mod admission;
pub mod ci;
pub mod dockerfile;
pub mod eol;
pub mod nodes;
pub mod rbac;
pub mod running;
pub mod versions;
pub mod workloads;

use crate::collect::results::{ResultIndex, ResultRecord};
use crate::evidence::file_kinds::is_dockerfile;
use crate::evidence::inventory::{CollectedFile, Inventory};
use crate::evidence::record::{Source, SourceKind};

use self::admission::Policies;
use self::ci::RepoAnalysis;
use self::dockerfile::Dockerfile;
use self::eol::Version;
use self::nodes::Nodes;
use self::running::RunningPods;
use self::workloads::WorkloadIndex;

/// Everything the checks read besides the inventory and the settings, built once per run
/// (eagerly: every fact is cheap when its evidence is absent, and building them before the
/// checks run in parallel keeps the checks free of locks).
pub struct Facts<'a> {
    /// Workloads with their pod specs read, resolved to what the container checks assess.
    pub workloads: WorkloadIndex<'a>,
    /// Every pod with its status and owner.
    pub pods: RunningPods<'a>,
    /// The workloads of a cluster that ask for pods and have none in the input.
    pub podless: Vec<running::Podless<'a>>,
    /// The admission policies that could enforce something.
    pub policies: Policies<'a>,
    /// The Nodes with their nodeInfo.
    pub nodes: Nodes<'a>,
    /// The API server's version and the id of the source that reported it.
    pub server_version: Option<(Version, String)>,
    /// The repository sources, in inventory order.
    pub repositories: Vec<&'a Source>,
    /// The CI analysis of each repository, in the order of [`Facts::repositories`].
    pub ci: Vec<RepoAnalysis>,
    /// The Dockerfiles of the repositories as they stand at the period end, each parsed once,
    /// in inventory order.
    pub dockerfiles: Vec<(&'a CollectedFile, Dockerfile)>,
    /// The scanner and policy-engine results read with `--results`, indexed by the images
    /// they scanned; empty without any (the inventory's `results` sources say whether any
    /// path was given).
    pub results: ResultIndex,
}

impl<'a> Facts<'a> {
    /// Derives every fact from `inventory`.
    pub fn build(inventory: &'a Inventory) -> Self {
        let objects = &inventory.objects;
        let (workloads, pods) = WorkloadIndex::build(objects);
        let repositories = ci::repositories(inventory);
        let cluster_sources: std::collections::HashSet<&str> = inventory
            .sources
            .iter()
            .filter(|s| matches!(s.kind, SourceKind::Snapshot | SourceKind::Cluster))
            .map(|s| s.id.as_str())
            .collect();
        let ci = ci::analyze(inventory);
        let dockerfiles = inventory
            .files
            .iter()
            .filter(|f| {
                !f.earlier
                    && is_dockerfile(&f.path)
                    && repositories.iter().any(|s| s.id == f.source)
            })
            .map(|f| (f, dockerfile::parse(&f.text)))
            .collect();
        Facts {
            workloads,
            pods: running::pods(objects, pods),
            podless: running::podless(objects, &cluster_sources),
            policies: Policies::read(objects),
            nodes: nodes::read(objects),
            server_version: versions::server_version(inventory),
            repositories,
            ci,
            dockerfiles,
            results: ResultIndex::default(),
        }
    }

    /// These facts with the `--results` records indexed for the checks.
    pub fn with_results(mut self, records: Vec<ResultRecord>) -> Self {
        self.results = ResultIndex::new(records);
        self
    }

    /// The parsed Dockerfiles of one repository source, in path order.
    pub fn dockerfiles_of<'f>(
        &'f self,
        source: &'f str,
    ) -> impl Iterator<Item = &'f (&'a CollectedFile, Dockerfile)> + 'f {
        self.dockerfiles
            .iter()
            .filter(move |(f, _)| f.source == source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::record::SourceKind;
    use crate::facts::ci::test_support::{add_repo, fixture_inventory};

    #[test]
    fn facts_are_what_the_stages_below_give_read_once() {
        let mut inventory = fixture_inventory("github");
        add_repo(
            &mut inventory,
            "two",
            &[
                ("Dockerfile", "FROM alpine:3.20\nUSER 10001\n"),
                ("build/api.Dockerfile", "FROM scratch\n"),
            ],
        );
        // An earlier version of a Dockerfile, and one from a snapshot: neither is judged.
        let mut earlier = inventory.files[0].clone();
        earlier.path = "old/Dockerfile".into();
        earlier.earlier = true;
        inventory.files.push(earlier);
        let mut foreign = inventory.files[0].clone();
        foreign.source = "snapshot:x".into();
        foreign.path = "Dockerfile".into();
        inventory.files.push(foreign);
        inventory.sources.push(Source {
            id: "snapshot:x".into(),
            kind: SourceKind::Snapshot,
            location: "x".into(),
            identity: "x".into(),
            details: Default::default(),
        });
        inventory.canonicalize();

        let facts = Facts::build(&inventory);
        let repos: Vec<&str> = facts.repositories.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(repos, ["repo:github", "repo:two"]);
        let analysed: Vec<&str> = facts.ci.iter().map(|r| r.source.as_str()).collect();
        assert_eq!(
            analysed, repos,
            "one analysis per repository, in their order"
        );
        assert_eq!(
            format!("{:?}", facts.ci),
            format!("{:?}", ci::analyze(&inventory)),
            "the analysis the checks read is the CI reader's"
        );
        let dockerfiles: Vec<(&str, &str, usize)> = facts
            .dockerfiles
            .iter()
            .map(|(f, d)| (f.source.as_str(), f.path.as_str(), d.stages.len()))
            .collect();
        assert_eq!(
            dockerfiles,
            [
                ("repo:github", "Dockerfile", 2),
                ("repo:two", "Dockerfile", 1),
                ("repo:two", "build/api.Dockerfile", 1),
            ]
        );
        let of_two: Vec<&str> = facts
            .dockerfiles_of("repo:two")
            .map(|(f, _)| f.path.as_str())
            .collect();
        assert_eq!(of_two, ["Dockerfile", "build/api.Dockerfile"]);
    }
}
