//! Table-driven tests of the pipeline readers and the walk: small repositories built in
//! code, each with the steps (`path:line activity tool`), notes and problems it must give.

use super::test_support::inventory_of;
use super::{RepoAnalysis, analyze};

struct Case {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    /// Every step of every pipeline, in walk order.
    steps: &'static [&'static str],
    /// Substrings that some note or problem must contain.
    notes: &'static [&'static str],
}

fn steps(repo: &RepoAnalysis) -> Vec<String> {
    repo.pipelines
        .iter()
        .flat_map(|p| p.steps.iter())
        .map(|s| format!("{} {} {}", s.location(), s.activity.as_str(), s.tool))
        .collect()
}

fn notes(repo: &RepoAnalysis) -> Vec<String> {
    repo.pipelines
        .iter()
        .flat_map(|p| {
            p.notes.iter().cloned().chain(
                p.problems
                    .iter()
                    .map(|pr| format!("problem {}:{} {}", pr.path, pr.line, pr.message)),
            )
        })
        .collect()
}

const CASES: &[Case] = &[
    Case {
        name: "gitlab includes that include each other are read once",
        files: &[
            (
                ".gitlab-ci.yml",
                "include: [ci/a.yml]\nbuild:\n  script: [docker build -t x .]\n",
            ),
            (
                "ci/a.yml",
                "include:\n  - local: ci/b.yml\npush:\n  script: [docker push x]\n",
            ),
            (
                "ci/b.yml",
                "include: {local: ci/a.yml}\nscan:\n  script: [trivy image x]\n",
            ),
        ],
        steps: &[
            "ci/b.yml:3 image-scan trivy image",
            "ci/a.yml:4 push docker push",
            ".gitlab-ci.yml:3 build docker build",
        ],
        notes: &[],
    },
    Case {
        name: "gitlab anchors, nested script lists, !reference and a child pipeline",
        files: &[
            (
                ".gitlab-ci.yml",
                ".setup: &setup\n  - docker build -t x .\n.login:\n  script:\n    - docker login -u u -p $P r\nrelease:\n  script:\n    - *setup\n    - !reference [.login, script]\n    - docker push x\ndeploy:\n  trigger:\n    include: ci/deploy.yml\n",
            ),
            (
                "ci/deploy.yml",
                "apply:\n  script: kubectl apply -k overlays/prod\n",
            ),
        ],
        steps: &[
            ".gitlab-ci.yml:2 build docker build",
            ".gitlab-ci.yml:10 push docker push",
            "ci/deploy.yml:2 deploy kubectl apply",
        ],
        notes: &[],
    },
    Case {
        name: "a broken include is a problem of that file, with its line",
        files: &[
            (
                ".gitlab-ci.yml",
                "include: ci/broken.yml\nb:\n  script: [docker build .]\n",
            ),
            ("ci/broken.yml", "ok: 1\nbad: [unclosed\n"),
        ],
        steps: &[".gitlab-ci.yml:3 build docker build"],
        notes: &["problem ci/broken.yml:"],
    },
    Case {
        name: "github working-directory decides which script is followed",
        files: &[
            (
                ".github/workflows/ci.yml",
                "defaults:\n  run:\n    working-directory: app\njobs:\n  b:\n    steps:\n      - run: ./build.sh\n      - run: ./missing.sh\n        working-directory: tools\n",
            ),
            ("app/build.sh", "#!/bin/sh\ndocker build -t x .\n"),
            ("build.sh", "#!/bin/sh\nkubectl exec x -- true\n"),
        ],
        steps: &["app/build.sh:2 build docker build"],
        notes: &["calls `./missing.sh`, which is not a file of the repository"],
    },
    Case {
        name: "scripts that call each other are followed once",
        files: &[
            (
                ".drone.yml",
                "kind: pipeline\nsteps:\n  - name: d\n    commands: [bash ci/a.sh]\n",
            ),
            (
                "ci/a.sh",
                "#!/bin/bash\nsource \"$(dirname \"$0\")/b.sh\"\nhelm upgrade --install a ./chart\n",
            ),
            ("ci/b.sh", "#!/bin/bash\n. ci/a.sh\ndocker push x\n"),
        ],
        steps: &[
            "ci/b.sh:3 push docker push",
            "ci/a.sh:3 deploy helm upgrade",
        ],
        notes: &[],
    },
    Case {
        name: "make runs prerequisites first, each target once, and $(MAKE) recursion",
        files: &[
            (
                "bitbucket-pipelines.yml",
                "pipelines:\n  default:\n    - step:\n        script:\n          - make -C deploy release\n",
            ),
            (
                "deploy/Makefile",
                "IMG ?= reg/app:1\nrelease: build push\n\t$(MAKE) rollout\nbuild:\n\tdocker build -t $(IMG) ..\npush: build\n\tdocker push $(IMG)\nrollout: release\n\tkubectl rollout restart deploy/app\n",
            ),
        ],
        steps: &[
            "deploy/Makefile:5 build docker build",
            "deploy/Makefile:7 push docker push",
            "deploy/Makefile:9 deploy kubectl rollout restart",
        ],
        notes: &[],
    },
    Case {
        name: "azure templates are relative to the including file; @self is this repository",
        files: &[
            (
                "azure-pipelines.yml",
                "stages:\n  - template: ci/stages.yml@self\n",
            ),
            (
                "ci/stages.yml",
                "stages:\n  - stage: s\n    jobs:\n      - job: j\n        steps:\n          - template: steps/build.yml\n",
            ),
            (
                "ci/steps/build.yml",
                "steps:\n  - script: |\n      docker build -t x .\n      docker push x\n",
            ),
        ],
        steps: &[
            "ci/steps/build.yml:3 build docker build",
            "ci/steps/build.yml:4 push docker push",
        ],
        notes: &[],
    },
    Case {
        name: "jenkins parenthesised and named sh steps; commented-out steps do not count",
        files: &[(
            "Jenkinsfile",
            "node {\n  // sh 'kubectl exec x -- true'\n  def out = sh(script: 'trivy image --quiet reg/app:1', returnStdout: true)\n  sh returnStatus: true, script: \"\"\"\n    helm upgrade app ./chart\n  \"\"\"\n}\n",
        )],
        steps: &[
            "Jenkinsfile:3 image-scan trivy image",
            "Jenkinsfile:5 deploy helm upgrade",
        ],
        notes: &[],
    },
    Case {
        name: "a heredoc fed to ssh runs on the host; docker exec into the pipeline's own container is not a hit",
        files: &[(
            ".circleci/config.yml",
            "jobs:\n  t:\n    steps:\n      - run: |\n          docker run -d --name db postgres:16\n          docker exec db psql -c 'select 1'\n          ssh ops@web1 bash -s <<'EOF'\n            docker exec web nginx -s reload\n            sudo apk upgrade\n          EOF\n",
        )],
        steps: &[
            ".circleci/config.yml:8 mutation docker exec",
            ".circleci/config.yml:9 mutation ssh + apk upgrade",
        ],
        notes: &["`docker exec` runs in the container `db` this pipeline started"],
    },
    Case {
        name: "a Tekton step that gives only args runs its image's tool, scanners included",
        files: &[(
            "tekton/scan.yaml",
            "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: scan}\nspec:\n  steps:\n    - name: scan\n      image: snyk/snyk-cli:docker\n      args: [container, test, reg/app:1]\n",
        )],
        steps: &["tekton/scan.yaml:7 image-scan snyk container test"],
        notes: &[],
    },
    Case {
        name: "docker run of a tool image runs the tool, copiers included",
        files: &[(
            ".gitlab-ci.yml",
            "release:\n  script:\n    - docker run --rm quay.io/containers/skopeo:v1.14 copy docker://reg/app:1 docker://prod/app:1\n",
        )],
        steps: &[".gitlab-ci.yml:3 push skopeo copy"],
        notes: &[],
    },
];

#[test]
fn readers_table() {
    for case in CASES {
        let inventory = inventory_of("r", case.files);
        let repos = analyze(&inventory);
        let got = steps(&repos[0]);
        assert_eq!(got, case.steps, "{}", case.name);
        let notes = notes(&repos[0]);
        for want in case.notes {
            assert!(
                notes.iter().any(|n| n.contains(want)),
                "{}: no note with {want:?} in {notes:?}",
                case.name
            );
        }
        if case.notes.is_empty() {
            assert!(
                notes.is_empty(),
                "{}: unexpected notes {notes:?}",
                case.name
            );
        }
    }
}
