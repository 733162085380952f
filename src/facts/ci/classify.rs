//! What one shell command does to images and running workloads.
//!
//! [`classify`] takes the words of a simple command (as [`super::shell`] split them) and
//! says what it is: an image build, push or scan, a scan of something that is not an image,
//! a deployment that replaces pods, an in-place change of running containers or hosts, or a
//! call into another script or Makefile the walker should follow. Wrappers (`sudo`, `env`,
//! `VAR=x` prefixes, `timeout`, `xargs`...) are looked through, `bash -c '...'` and `eval`
//! are parsed again, and `ssh host cmd` parses `cmd` as running on that host, where a
//! package-manager upgrade is a change in place (on the CI runner it is just tooling).

use super::Activity;
use super::shell::{Word, join_words};
use crate::base::lines::Script;
use crate::evidence::image;

/// One thing a command does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub activity: Activity,
    /// The tool and its subcommand as the reader knows it: `docker build`, `kubectl exec`.
    pub tool: String,
    /// What it acts on: an image, a resource, a host.
    pub target: Option<String>,
    pub note: Option<String>,
}

/// What the walker does with a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Hit(Hit),
    /// A script to parse in place (`bash -c`, `eval`, a heredoc), remotely when `remote`
    /// names a host.
    Nested {
        script: Script,
        remote: Option<String>,
    },
    /// A file of the repository to read as a shell script.
    Follow {
        path: String,
        remote: Option<String>,
    },
    /// `make [-C dir] [-f file] targets`.
    Make {
        dir: Option<String>,
        file: Option<String>,
        targets: Vec<String>,
    },
    /// `docker run --name X`: a container this pipeline starts itself.
    Started(String),
    /// `kind create cluster`, `k3d cluster create`, `minikube start`: the job creates a
    /// throw-away cluster (`product`: kind, k3d, minikube), and what it then deploys goes
    /// there.
    TestCluster {
        product: String,
        tool: String,
    },
    /// Something the command does that the findings should mention though it counts as
    /// no step (`docker build -o out .` exports files, not an image).
    Note(String),
}

/// The command's context: on the CI runner, or on a remote host reached by ssh.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    pub remote: Option<&'a str>,
}

/// Classifies one simple command.
pub fn classify(
    words: &[Word],
    heredocs: &[Script],
    stdin: Option<&str>,
    ctx: Context<'_>,
) -> Vec<Action> {
    let mut out = Vec::new();
    let Some(start) = unwrap(words, &mut out, ctx) else {
        return out;
    };
    let words = &words[start..];
    let argv: Vec<&str> = words.iter().map(|w| w.value.as_str()).collect();
    let prog = program(argv[0]);
    let args = &argv[1..];
    let hit = |activity, tool: &str, target: Option<&str>| {
        Action::Hit(Hit {
            activity,
            tool: tool.to_string(),
            target: target.map(str::to_string),
            note: None,
        })
    };
    match prog.as_str() {
        "bash" | "sh" | "zsh" | "dash" | "ksh" | "ash" => {
            shell(words, heredocs, stdin, ctx, &mut out)
        }
        "source" | "." => {
            if let Some(path) = args.first() {
                out.push(Action::Follow {
                    path: path.to_string(),
                    remote: ctx.remote.map(str::to_string),
                });
            }
        }
        "make" | "gmake" => make(args, &mut out),
        "ssh" => ssh(&words[1..], heredocs, stdin, &mut out),
        "docker" | "podman" | "nerdctl" => docker(&prog, args, ctx, &mut out),
        "docker-compose" | "podman-compose" => compose(&prog, args, ctx, &mut out),
        "kubectl" | "oc" => kubectl(&prog, args, &mut out),
        "helm" => {
            let pos = positionals(args, HELM_VALUE_OPTIONS);
            if let Some(&sub @ ("upgrade" | "install" | "rollback")) = pos.first()
                && !is_dry_run(args)
            {
                out.push(hit(
                    Activity::Deploy,
                    &format!("helm {sub}"),
                    pos.get(1).copied(),
                ));
            }
        }
        "helmfile" => {
            let pos = positionals(args, HELMFILE_VALUE_OPTIONS);
            if let Some(&sub @ ("apply" | "sync" | "deploy")) = pos.first() {
                out.push(hit(Activity::Deploy, &format!("helmfile {sub}"), None));
            }
        }
        "argocd" => {
            let pos = positionals(args, ARGOCD_VALUE_OPTIONS);
            match pos.as_slice() {
                ["app", sub @ ("sync" | "rollback"), name, ..] => out.push(hit(
                    Activity::Deploy,
                    &format!("argocd app {sub}"),
                    Some(name),
                )),
                // `app set` deploys when it changes the image the application renders.
                ["app", "set", name, ..] if sets_image(args) => {
                    out.push(hit(Activity::Deploy, "argocd app set", Some(name)))
                }
                ["app", "actions", "run", name, "restart", ..] => out.push(hit(
                    Activity::Deploy,
                    "argocd app actions run restart",
                    Some(name),
                )),
                _ => {}
            }
        }
        "flux" => {
            let pos = positionals(
                args,
                &[
                    "-n",
                    "--namespace",
                    "--context",
                    "--kubeconfig",
                    "--timeout",
                ],
            );
            if pos.first() == Some(&"reconcile") {
                let target = pos.get(1..).map(|p| p.join(" "));
                out.push(hit(Activity::Deploy, "flux reconcile", target.as_deref()));
            }
        }
        "kapp" => {
            if positionals(args, &["-a", "--app", "-f", "--file", "-n", "--namespace"]).first()
                == Some(&"deploy")
            {
                out.push(hit(
                    Activity::Deploy,
                    "kapp deploy",
                    flag_value(args, &["-a", "--app"]),
                ));
            }
        }
        "skaffold" => {
            let pos = positionals(args, SKAFFOLD_VALUE_OPTIONS);
            let push = !args.contains(&"--push=false");
            match pos.first() {
                Some(&"build") => {
                    out.push(hit(Activity::Build, "skaffold build", None));
                    if push {
                        out.push(hit(Activity::Push, "skaffold build", None));
                    }
                }
                Some(&"run") => {
                    out.push(hit(Activity::Build, "skaffold run", None));
                    if push {
                        out.push(hit(Activity::Push, "skaffold run", None));
                    }
                    out.push(hit(Activity::Deploy, "skaffold run", None));
                }
                Some(&"deploy") => out.push(hit(Activity::Deploy, "skaffold deploy", None)),
                _ => {}
            }
        }
        "kn" => {
            let pos = positionals(args, KN_VALUE_OPTIONS);
            if let [
                "service" | "svc",
                sub @ ("create" | "update" | "apply"),
                name,
                ..,
            ] = pos.as_slice()
            {
                out.push(hit(
                    Activity::Deploy,
                    &format!("kn service {sub}"),
                    Some(name),
                ));
            }
        }
        "gcloud" => gcloud(args, &mut out),
        "gke-deploy" => {
            // `gke-deploy run|apply` applies the (prepared) manifests to a GKE cluster.
            if let Some(&sub @ ("run" | "apply")) =
                positionals(args, GKE_DEPLOY_VALUE_OPTIONS).first()
            {
                out.push(hit(
                    Activity::Deploy,
                    &format!("gke-deploy {sub}"),
                    flag_value(args, &["-f", "--filename", "-a", "--app"]),
                ));
            }
        }
        "az" => az(args, &mut out),
        "aws" => {
            let pos = positionals(args, AWS_VALUE_OPTIONS);
            match pos.as_slice() {
                ["ecs", "update-service", ..] => out.push(hit(
                    Activity::Deploy,
                    "aws ecs update-service",
                    flag_value(args, &["--service"]),
                )),
                ["ecr", "start-image-scan", ..] | ["ecr", "wait", "image-scan-complete", ..] => out
                    .push(hit(
                        Activity::ImageScan,
                        "aws ecr image scan",
                        flag_value(args, &["--repository-name"]),
                    )),
                _ => {}
            }
        }
        "executor" | "kaniko" => {
            // The kaniko executor, `/kaniko/executor` in its image.
            if argv[0].contains("kaniko")
                || args.iter().any(|a| {
                    a.starts_with("--destination")
                        || a.starts_with("--dockerfile")
                        || a.starts_with("--context")
                })
            {
                let dest = flag_value(args, &["--destination", "-d"]);
                out.push(hit(Activity::Build, "kaniko", dest));
                if !has_flag(args, &["--no-push"]) {
                    out.push(hit(Activity::Push, "kaniko", dest));
                }
            }
        }
        "buildah" => {
            let pos = positionals(args, BUILDAH_VALUE_OPTIONS);
            match pos.first() {
                Some(&("bud" | "build" | "build-using-dockerfile")) => {
                    match exports_files(args, false) {
                        Some(why) => out.push(Action::Note(no_image_built("buildah build", &why))),
                        None => out.push(hit(
                            Activity::Build,
                            "buildah build",
                            flag_value(args, &["-t", "--tag"]),
                        )),
                    }
                }
                Some(&"commit") => {
                    out.push(hit(Activity::Build, "buildah commit", pos.get(2).copied()))
                }
                Some(&"push") => out.push(hit(Activity::Push, "buildah push", pos.get(1).copied())),
                Some(&"manifest") if pos.get(1) == Some(&"push") => out.push(hit(
                    Activity::Push,
                    "buildah manifest push",
                    pos.get(2).copied(),
                )),
                _ => {}
            }
        }
        "img" => match positionals(
            args,
            &["-t", "--tag", "-f", "--file", "--build-arg", "--platform"],
        )
        .first()
        {
            Some(&"build") => out.push(hit(
                Activity::Build,
                "img build",
                flag_value(args, &["-t", "--tag"]),
            )),
            Some(&"push") => out.push(hit(Activity::Push, "img push", None)),
            _ => {}
        },
        "ko" => {
            let pos = positionals(args, KO_VALUE_OPTIONS);
            let local = has_flag(args, &["-L", "--local"]) || args.contains(&"--push=false");
            match pos.first() {
                Some(&sub @ ("build" | "publish" | "resolve")) => {
                    out.push(hit(
                        Activity::Build,
                        &format!("ko {sub}"),
                        pos.get(1).copied(),
                    ));
                    if !local {
                        out.push(hit(
                            Activity::Push,
                            &format!("ko {sub}"),
                            pos.get(1).copied(),
                        ));
                    }
                }
                Some(&sub @ ("apply" | "create")) => {
                    let tool = format!("ko {sub}");
                    out.push(hit(Activity::Build, &tool, None));
                    if !local {
                        out.push(hit(Activity::Push, &tool, None));
                    }
                    out.push(hit(
                        Activity::Deploy,
                        &tool,
                        flag_value(args, &["-f", "--filename"]),
                    ));
                }
                _ => {}
            }
        }
        "mvn" | "mvnw" => {
            for a in args {
                if a.ends_with("jib:build") || a.ends_with("jib-maven-plugin:build") {
                    out.push(hit(
                        Activity::Build,
                        "jib (maven)",
                        flag_value(args, &["-Dimage"]),
                    ));
                    out.push(hit(
                        Activity::Push,
                        "jib (maven)",
                        flag_value(args, &["-Dimage"]),
                    ));
                } else if a.ends_with("jib:dockerBuild") || a.ends_with("jib:buildTar") {
                    out.push(hit(
                        Activity::Build,
                        "jib (maven)",
                        flag_value(args, &["-Dimage"]),
                    ));
                } else if a.ends_with("spring-boot:build-image") {
                    out.push(hit(Activity::Build, "spring-boot build-image", None));
                    if args.iter().any(|a| a.contains("build-image.publish=true")) {
                        out.push(hit(Activity::Push, "spring-boot build-image", None));
                    }
                }
            }
        }
        "gradle" | "gradlew" => {
            for a in args {
                let task = a.rsplit(':').next().unwrap_or(a);
                match task {
                    "jib" => {
                        out.push(hit(Activity::Build, "jib (gradle)", None));
                        out.push(hit(Activity::Push, "jib (gradle)", None));
                    }
                    "jibDockerBuild" | "jibBuildTar" => {
                        out.push(hit(Activity::Build, "jib (gradle)", None))
                    }
                    "bootBuildImage" => {
                        out.push(hit(Activity::Build, "gradle bootBuildImage", None));
                        if has_flag(args, &["--publishImage"]) {
                            out.push(hit(Activity::Push, "gradle bootBuildImage", None));
                        }
                    }
                    _ => {}
                }
            }
        }
        "jib" => {
            if let Some(&sub @ ("build" | "jar" | "war")) =
                positionals(args, JIB_VALUE_OPTIONS).first()
            {
                let target = flag_value(args, &["-t", "--target"]);
                out.push(hit(Activity::Build, &format!("jib {sub}"), target));
                if !target.is_some_and(|t| t.starts_with("docker://") || t.starts_with("tar://")) {
                    out.push(hit(Activity::Push, &format!("jib {sub}"), target));
                }
            }
        }
        "pack" => {
            let pos = positionals(args, PACK_VALUE_OPTIONS);
            if pos.first() == Some(&"build") {
                out.push(hit(Activity::Build, "pack build", pos.get(1).copied()));
                if has_flag(args, &["--publish"]) {
                    out.push(hit(Activity::Push, "pack build", pos.get(1).copied()));
                }
            }
        }
        "depot" => {
            if let Some(&sub @ ("build" | "bake")) =
                positionals(args, DOCKER_BUILD_VALUE_OPTIONS).first()
            {
                if let Some(why) = exports_files(&args[1..], sub == "bake") {
                    out.push(Action::Note(no_image_built(&format!("depot {sub}"), &why)));
                    return out;
                }
                out.push(hit(
                    Activity::Build,
                    &format!("depot {sub}"),
                    flag_value(args, &["-t", "--tag"]),
                ));
                if has_flag(args, &["--push"]) {
                    out.push(hit(
                        Activity::Push,
                        &format!("depot {sub}"),
                        flag_value(args, &["-t", "--tag"]),
                    ));
                }
            }
        }
        "crane" | "gcrane" => {
            let pos = positionals(args, &["--platform", "-t", "--tag"]);
            if let Some(&sub @ ("push" | "copy" | "cp" | "append" | "tag")) = pos.first() {
                out.push(hit(
                    Activity::Push,
                    &format!("crane {sub}"),
                    pos.last().copied(),
                ));
            }
        }
        "skopeo" => {
            let pos = positionals(args, SKOPEO_VALUE_OPTIONS);
            if let [sub @ ("copy" | "sync"), .., dest] = pos.as_slice()
                && dest.starts_with("docker://")
            {
                out.push(hit(
                    Activity::Push,
                    &format!("skopeo {sub}"),
                    Some(dest.trim_start_matches("docker://")),
                ));
            }
        }
        "regctl" => {
            if let ["image", "copy" | "cp", _, dest, ..] =
                positionals(args, &["--platform"]).as_slice()
            {
                out.push(hit(Activity::Push, "regctl image copy", Some(dest)));
            }
        }
        "jf" | "jfrog" => match positionals(
            args,
            &["--server-id", "--url", "--project", "--watches", "--repo"],
        )
        .as_slice()
        {
            ["docker", "scan", image, ..] => {
                out.push(hit(Activity::ImageScan, "jf docker scan", Some(image)))
            }
            ["docker", "push", image, ..] | ["rt", "docker-push", image, ..] => {
                out.push(hit(Activity::Push, "jf docker push", Some(image)))
            }
            _ => {}
        },
        "trivy" => trivy(args, &mut out),
        "grype" => {
            let pos = positionals(args, GRYPE_VALUE_OPTIONS);
            match pos.first() {
                Some(&("db" | "version" | "completion" | "config" | "explain")) | None => {}
                Some(target) => {
                    let is_image = !(target.starts_with("dir:")
                        || target.starts_with("file:")
                        || target.starts_with("sbom:")
                        || target.starts_with('.')
                        || target.starts_with('/')
                        || target.ends_with(".json"));
                    if is_image {
                        out.push(hit(
                            Activity::ImageScan,
                            "grype",
                            Some(
                                target
                                    .trim_start_matches("registry:")
                                    .trim_start_matches("docker:"),
                            ),
                        ));
                    } else {
                        out.push(Action::Hit(Hit {
                            activity: Activity::OtherScan,
                            tool: "grype".into(),
                            target: Some(target.to_string()),
                            note: Some("scans a directory or SBOM file, not an image".into()),
                        }));
                    }
                }
            }
        }
        "snyk" => {
            let pos = positionals(args, SNYK_VALUE_OPTIONS);
            match pos.as_slice() {
                ["container", sub @ ("test" | "monitor"), image, ..] => out.push(hit(
                    Activity::ImageScan,
                    &format!("snyk container {sub}"),
                    Some(image),
                )),
                [sub @ ("test" | "monitor" | "iac" | "code"), ..] => out.push(Action::Hit(Hit {
                    activity: Activity::OtherScan,
                    tool: format!("snyk {sub}"),
                    target: None,
                    note: Some("scans source or configuration, not an image".into()),
                })),
                _ => {}
            }
        }
        "docker-scout" => scout(args, &mut out),
        "clair-scanner" | "clairctl" | "klar" | "clair-action" => {
            let pos = positionals(args, CLAIR_VALUE_OPTIONS);
            let target = pos
                .iter()
                .rev()
                .find(|p| !matches!(**p, "report" | "analyze" | "scan"))
                .copied();
            out.push(hit(Activity::ImageScan, &prog, target));
        }
        "anchore-cli" | "anchorectl" => {
            let pos = positionals(args, ANCHORE_VALUE_OPTIONS);
            if let [
                "image",
                sub @ ("add" | "vuln" | "vulnerabilities" | "check" | "wait"),
                image,
                ..,
            ] = pos.as_slice()
            {
                out.push(hit(
                    Activity::ImageScan,
                    &format!("{prog} image {sub}"),
                    Some(image),
                ));
            }
        }
        "inline_scan" | "inline-scan" => out.push(hit(
            Activity::ImageScan,
            "anchore inline-scan",
            args.last().copied(),
        )),
        "twistcli" => {
            if let ["images", "scan", .., image] =
                positionals(args, TWISTCLI_VALUE_OPTIONS).as_slice()
            {
                out.push(hit(
                    Activity::ImageScan,
                    "twistcli images scan",
                    Some(image),
                ));
            }
        }
        "wizcli" | "wiz" => {
            if let ["docker", "scan", ..] =
                positionals(args, &["--image", "--policy", "-p", "--output", "-o"]).as_slice()
            {
                out.push(hit(
                    Activity::ImageScan,
                    "wizcli docker scan",
                    flag_value(args, &["--image", "-i"]),
                ));
            }
        }
        "dockle" => out.push(Action::Hit(Hit {
            activity: Activity::OtherScan,
            tool: "dockle".into(),
            target: args.last().map(|s| s.to_string()),
            note: Some(
                "lints the image configuration; it does not look for vulnerable packages".into(),
            ),
        })),
        "hadolint" | "checkov" | "kics" | "tfsec" | "terrascan" | "kubesec" | "kube-linter"
        | "kube-score" | "conftest" => out.push(Action::Hit(Hit {
            activity: Activity::OtherScan,
            tool: prog.clone(),
            target: None,
            note: Some("checks configuration files, not image contents".into()),
        })),
        "crictl" if args.first() == Some(&"exec") => out.push(hit(
            Activity::Mutation,
            "crictl exec",
            positionals(&args[1..], &["-e", "--env", "-u", "--user"])
                .first()
                .copied(),
        )),
        "ctr"
            if matches!(
                positionals(args, &["-n", "--namespace", "-a", "--address"]).as_slice(),
                ["task" | "t", "exec", ..]
            ) =>
        {
            out.push(hit(Activity::Mutation, "ctr task exec", None))
        }
        "ansible-playbook" | "ansible" => ansible(&prog, args, &mut out),
        "kind" | "k3d" | "minikube" | "ctlptl" => test_cluster(&prog, args, &mut out),
        _ => {
            if let Some(remote) = ctx.remote
                && let Some(tool) = package_change(&prog, args)
            {
                out.push(Action::Hit(Hit {
                    activity: Activity::Mutation,
                    tool: format!("ssh + {tool}"),
                    target: Some(remote.to_string()),
                    note: Some(format!("changes packages on the running host {remote}")),
                }));
            } else if looks_like_script_path(argv[0]) {
                out.push(Action::Follow {
                    path: argv[0].to_string(),
                    remote: ctx.remote.map(str::to_string),
                });
            }
        }
    }
    if matches!(prog.as_str(), "kubectl" | "oc" | "helm" | "helmfile") {
        test_context(args, &mut out);
    }
    out
}

/// `kind create cluster`, `k3d cluster create`, `minikube start`, `ctlptl create cluster
/// kind|k3d|minikube`.
fn test_cluster(prog: &str, args: &[&str], out: &mut Vec<Action>) {
    let pos = positionals(
        args,
        &[
            "--name",
            "-n",
            "--config",
            "-c",
            "--image",
            "-p",
            "--profile",
            "--registry",
        ],
    );
    let product = match (prog, pos.as_slice()) {
        ("kind", ["create", "cluster", ..]) => "kind",
        ("k3d", ["cluster", "create", ..]) => "k3d",
        ("minikube", ["start", ..]) => "minikube",
        ("ctlptl", ["create", "cluster", p @ ("kind" | "k3d" | "minikube"), ..]) => p,
        _ => return,
    };
    let tool = match prog {
        "minikube" => "minikube start".to_string(),
        "ctlptl" => "ctlptl create cluster".to_string(),
        _ => format!("{prog} {} {}", pos[0], pos[1]),
    };
    out.push(Action::TestCluster {
        product: product.to_string(),
        tool,
    });
}

/// A deploy into the kube context of a local throw-away cluster (`--context kind-ci`,
/// `--kube-context k3d-test`, `minikube`) is a test deploy.
fn test_context(args: &[&str], out: &mut [Action]) {
    let Some(context) = flag_value(args, &["--context", "--kube-context"]) else {
        return;
    };
    let product = if context.starts_with("kind-") {
        "kind"
    } else if context.starts_with("k3d-") {
        "k3d"
    } else if context == "minikube" {
        "minikube"
    } else {
        return;
    };
    for action in out.iter_mut() {
        if let Action::Hit(hit) = action
            && hit.activity == Activity::Deploy
        {
            hit.activity = Activity::TestDeploy;
            hit.note = Some(format!(
                "deploys into the kube context `{context}`, a throw-away {product} cluster, not a cluster that runs workloads"
            ));
        }
    }
}

/// Skips assignments and wrappers; returns the index of the real command, or None when
/// the command was handled here (`eval`, `xargs` with nothing after it...).
fn unwrap(words: &[Word], out: &mut Vec<Action>, ctx: Context<'_>) -> Option<usize> {
    let mut i = 0;
    loop {
        let w = words.get(i)?.value.as_str();
        if is_assignment(w) {
            i += 1;
            continue;
        }
        let skip = match program(w).as_str() {
            "sudo" | "doas" => options_end(
                &words[i + 1..],
                &[
                    "-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user", "--group",
                ],
            ),
            "env" => {
                let mut j = options_end(
                    &words[i + 1..],
                    &["-u", "--unset", "-C", "--chdir", "-S", "--split-string"],
                );
                while words
                    .get(i + 1 + j)
                    .is_some_and(|w| is_assignment(&w.value))
                {
                    j += 1;
                }
                j
            }
            "nohup" | "exec" | "builtin" | "unbuffer" | "chronic" | "time" => 0,
            "command" => {
                if words
                    .get(i + 1)
                    .is_some_and(|w| w.value == "-v" || w.value == "-V")
                {
                    return None;
                }
                options_end(&words[i + 1..], &[])
            }
            "nice" => options_end(&words[i + 1..], &["-n", "--adjustment"]),
            "stdbuf" => options_end(&words[i + 1..], &["-i", "-o", "-e"]),
            "timeout" => {
                options_end(&words[i + 1..], &["-s", "--signal", "-k", "--kill-after"]) + 1
            }
            "xargs" => options_end(&words[i + 1..], XARGS_VALUE_OPTIONS),
            "sshpass" => options_end(&words[i + 1..], &["-p", "-f", "-d", "-P"]),
            "eval" => {
                let rest = &words[i + 1..];
                if !rest.is_empty() {
                    out.push(Action::Nested {
                        script: join_words(rest),
                        remote: ctx.remote.map(str::to_string),
                    });
                }
                return None;
            }
            _ => return Some(i),
        };
        i += 1 + skip;
    }
}

/// Number of leading option words (with the values of `takes_value` options).
fn options_end(words: &[Word], takes_value: &[&str]) -> usize {
    let mut j = 0;
    while let Some(w) = words.get(j) {
        let v = w.value.as_str();
        if v == "--" {
            return j + 1;
        }
        if !v.starts_with('-') || v == "-" {
            break;
        }
        j += 1;
        if takes_value.contains(&v) {
            j += 1;
        }
    }
    j.min(words.len())
}

fn is_assignment(w: &str) -> bool {
    match w.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !name.as_bytes()[0].is_ascii_digit()
        }
        None => false,
    }
}

/// `argocd app set --kustomize-image x`, `--helm-set image.tag=x`, `-p image.tag=x`.
fn sets_image(args: &[&str]) -> bool {
    has_flag(args, &["--kustomize-image"])
        || ["--helm-set", "--helm-set-string", "-p", "--parameter"]
            .iter()
            .any(|f| {
                flag_value(args, &[f]).is_some_and(|v| v.to_ascii_lowercase().contains("image"))
            })
}

/// `/usr/bin/docker` is `docker`, `./mvnw` is `mvnw`, `docker.exe` is `docker`.
pub fn program(argv0: &str) -> String {
    let base = argv0.rsplit(['/', '\\']).next().unwrap_or(argv0);
    base.strip_suffix(".exe")
        .unwrap_or(base)
        .to_ascii_lowercase()
}

/// Does a command name point at a file (a script in the repository, most likely)?
fn looks_like_script_path(argv0: &str) -> bool {
    let lower = argv0.to_ascii_lowercase();
    lower.ends_with(".sh")
        || lower.ends_with(".bash")
        || argv0.starts_with("./")
        || argv0.starts_with("../")
        || (argv0.contains('/') && !argv0.starts_with('/') && !argv0.contains("://"))
}

/// Positional arguments, skipping options and the values of options in `takes_value`
/// (`--opt value`; `--opt=value` is one word either way). Stops skipping after `--`.
pub fn positionals<'a>(args: &[&'a str], takes_value: &[&str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        if a == "--" {
            out.extend(&args[i + 1..]);
            break;
        }
        if a.starts_with('-') && a.len() > 1 {
            if takes_value.contains(&a) {
                i += 1;
            }
        } else {
            out.push(a);
        }
        i += 1;
    }
    out
}

/// The value of the first of `names` present, as `--name value` or `--name=value`.
pub fn flag_value<'a>(args: &[&'a str], names: &[&str]) -> Option<&'a str> {
    for (i, a) in args.iter().enumerate() {
        for n in names {
            if a == n {
                return args.get(i + 1).copied();
            }
            if let Some(v) = a.strip_prefix(n).and_then(|r| r.strip_prefix('=')) {
                return Some(v);
            }
        }
    }
    None
}

/// Is one of `names` present, alone or as `--name=...`?
pub fn has_flag(args: &[&str], names: &[&str]) -> bool {
    args.iter().any(|a| {
        names
            .iter()
            .any(|n| a == n || a.strip_prefix(n).is_some_and(|r| r.starts_with('=')))
    })
}

fn is_dry_run(args: &[&str]) -> bool {
    args.iter().any(|a| {
        *a == "--dry-run"
            || a.strip_prefix("--dry-run=")
                .is_some_and(|v| v != "none" && v != "false")
    })
}

fn shell(
    words: &[Word],
    heredocs: &[Script],
    stdin: Option<&str>,
    ctx: Context<'_>,
    out: &mut Vec<Action>,
) {
    let remote = ctx.remote.map(str::to_string);
    let mut i = 1;
    let mut command_string = false;
    while let Some(w) = words.get(i) {
        let v = w.value.as_str();
        if v == "-o" || v == "+o" || v == "--rcfile" || v == "--init-file" {
            i += 2;
            continue;
        }
        if (v.starts_with('-') || v.starts_with('+')) && v.len() > 1 && !v.starts_with("--") {
            command_string |= v[1..].contains('c');
            i += 1;
            continue;
        }
        if v.starts_with("--") {
            i += 1;
            continue;
        }
        break;
    }
    if command_string {
        if let Some(w) = words.get(i) {
            out.push(Action::Nested {
                script: w.script(),
                remote,
            });
        }
    } else if let Some(w) = words.get(i) {
        out.push(Action::Follow {
            path: w.value.clone(),
            remote,
        });
    } else {
        for body in heredocs {
            out.push(Action::Nested {
                script: body.clone(),
                remote: remote.clone(),
            });
        }
        if let Some(file) = stdin {
            out.push(Action::Follow {
                path: file.to_string(),
                remote,
            });
        }
    }
}

fn make(args: &[&str], out: &mut Vec<Action>) {
    let mut dir = None;
    let mut file = None;
    let mut targets = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        match a {
            "-n" | "--dry-run" | "--just-print" | "-q" | "--question" => return,
            "-C" | "--directory" => {
                dir = args.get(i + 1).map(|s| s.to_string());
                i += 1;
            }
            "-f" | "--file" | "--makefile" => {
                file = args.get(i + 1).map(|s| s.to_string());
                i += 1;
            }
            "-o" | "-W" | "-I" | "-l" | "--include-dir" | "--old-file" | "--what-if" => i += 1,
            "-j" | "--jobs" => {
                if args
                    .get(i + 1)
                    .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
                {
                    i += 1;
                }
            }
            _ if a.starts_with("--directory=") => dir = Some(a["--directory=".len()..].to_string()),
            _ if a.starts_with("-C") && a.len() > 2 => dir = Some(a[2..].to_string()),
            _ if a.starts_with("--file=") || a.starts_with("--makefile=") => {
                file = a.split_once('=').map(|(_, v)| v.to_string())
            }
            _ if a.starts_with('-') => {}
            _ if is_assignment(a) => {}
            _ => targets.push(a.to_string()),
        }
        i += 1;
    }
    out.push(Action::Make { dir, file, targets });
}

const SSH_VALUE_OPTIONS: &str = "bcDEeFIiJLlmOopQRSWwB";

fn ssh(words: &[Word], heredocs: &[Script], stdin: Option<&str>, out: &mut Vec<Action>) {
    let mut i = 0;
    let mut host: Option<&str> = None;
    while let Some(w) = words.get(i) {
        let v = w.value.as_str();
        if v == "--" {
            i += 1;
            continue;
        }
        if let Some(flags) = v.strip_prefix('-').filter(|f| !f.is_empty()) {
            // `-p 22`, `-oStrictHostKeyChecking=no`, `-tt`: the last letter of a flag group
            // takes the next word as value when it is an option with a value and nothing
            // follows it in the same word.
            let mut takes = false;
            for (k, ch) in flags.char_indices() {
                if SSH_VALUE_OPTIONS.contains(ch) {
                    takes = k + 1 == flags.len();
                    break;
                }
            }
            i += if takes { 2 } else { 1 };
            continue;
        }
        host = Some(v);
        i += 1;
        break;
    }
    let Some(host) = host else { return };
    let host = host.rsplit('@').next().unwrap_or(host).to_string();
    let rest = &words[i.min(words.len())..];
    if !rest.is_empty() {
        let script = join_words(rest);
        // `ssh host bash -s < script.sh` reads the script from stdin on the host.
        let shell_reads_stdin = super::shell::parse(&script).first().is_some_and(|c| {
            let argv = c.argv();
            matches!(program(argv[0]).as_str(), "bash" | "sh")
                && (argv.len() == 1 || argv[1..].contains(&"-s"))
        });
        if shell_reads_stdin {
            if let Some(file) = stdin {
                out.push(Action::Follow {
                    path: file.to_string(),
                    remote: Some(host.clone()),
                });
            }
            for body in heredocs {
                out.push(Action::Nested {
                    script: body.clone(),
                    remote: Some(host.clone()),
                });
            }
        } else {
            out.push(Action::Nested {
                script,
                remote: Some(host),
            });
        }
        return;
    }
    for body in heredocs {
        out.push(Action::Nested {
            script: body.clone(),
            remote: Some(host.clone()),
        });
    }
    if let Some(file) = stdin {
        out.push(Action::Follow {
            path: file.to_string(),
            remote: Some(host),
        });
    }
}

#[rustfmt::skip]
const DOCKER_GLOBAL_VALUE_OPTIONS: &[&str] = &[
    "-H", "--host", "-c", "--context", "--config", "-l", "--log-level", "--tlscacert", "--tlscert",
    "--tlskey", "--url", "--connection", "--identity", "--root", "--runroot", "--storage-driver",
    "-n", "--namespace", "--address", "--cgroup-manager",
];

#[rustfmt::skip]
const DOCKER_BUILD_VALUE_OPTIONS: &[&str] = &[
    "-t", "--tag", "-f", "--file", "--build-arg", "--platform", "--target", "--label",
    "--cache-from", "--cache-to", "--secret", "--ssh", "--output", "-o", "--progress", "--network",
    "--iidfile", "--metadata-file", "--builder", "--build-context", "--provenance", "--sbom",
    "--attest", "--allow", "--annotation", "--add-host", "--shm-size", "--ulimit",
    "--cgroup-parent", "--isolation", "-m", "--memory", "--cpu-shares", "--set", "--authfile",
    "--creds", "--format", "--layers", "--jobs", "--os", "--arch", "--variant", "--manifest",
    "--cache-ttl", "--dns", "--volume", "-v",
];

#[rustfmt::skip]
const DOCKER_RUN_VALUE_OPTIONS: &[&str] = &[
    "-e", "--env", "--env-file", "-v", "--volume", "-w", "--workdir", "--name", "--network",
    "--net", "--entrypoint", "-u", "--user", "--mount", "-p", "--publish", "--platform", "-l",
    "--label", "--add-host", "--cpus", "-m", "--memory", "--pull", "--cap-add", "--cap-drop",
    "--security-opt", "--ulimit", "--device", "--dns", "-h", "--hostname", "--ipc", "--pid",
    "--restart", "--shm-size", "--tmpfs", "--volumes-from", "--log-driver", "--log-opt",
    "--cidfile", "--group-add", "--health-cmd", "--runtime", "--stop-signal", "--isolation",
    "--gpus", "--label-file", "--link", "--expose", "--userns", "--uts", "--cgroupns",
    "--memory-swap", "--stop-timeout", "--detach-keys", "--attach", "-a",
];

fn docker(prog: &str, args: &[&str], ctx: Context<'_>, out: &mut Vec<Action>) {
    let start = options_prefix(args, DOCKER_GLOBAL_VALUE_OPTIONS);
    let args = &args[start..];
    let Some(&sub) = args.first() else { return };
    let rest = &args[1..];
    // `-t x`, else the image an `--output type=image,name=x` names.
    let tag = |a: &[&str]| {
        flag_value(a, &["-t", "--tag"])
            .or_else(|| {
                flag_value(a, &["--output", "-o"])?
                    .split(',')
                    .find_map(|p| p.trim().strip_prefix("name="))
            })
            .map(str::to_string)
    };
    let hit = |out: &mut Vec<Action>,
               activity,
               tool: String,
               target: Option<String>,
               note: Option<String>| {
        out.push(Action::Hit(Hit {
            activity,
            tool,
            target,
            note,
        }));
    };
    // `docker image build`, `docker buildx build`, `docker container exec`...
    let (sub, rest) = match (sub, rest.first()) {
        ("image" | "container" | "builder", Some(&inner)) => (inner, &rest[1..]),
        ("buildx", Some(&("build" | "b" | "bake"))) => {
            let inner = if rest[0] == "b" { "build" } else { rest[0] };
            let tool = format!("{prog} buildx {inner}");
            let rest = &rest[1..];
            if let Some(why) = exports_files(rest, inner == "bake") {
                out.push(Action::Note(no_image_built(&tool, &why)));
                return;
            }
            hit(out, Activity::Build, tool.clone(), tag(rest), None);
            if pushes(rest) {
                hit(out, Activity::Push, tool, tag(rest), None);
            }
            return;
        }
        ("buildx", Some(&"imagetools")) if rest.get(1) == Some(&"create") => {
            hit(
                out,
                Activity::Push,
                format!("{prog} buildx imagetools create"),
                tag(&rest[2..]),
                None,
            );
            return;
        }
        ("compose", _) => {
            compose(&format!("{prog} compose"), rest, ctx, out);
            return;
        }
        _ => (sub, rest),
    };
    match sub {
        "build" => {
            let tool = format!("{prog} build");
            if let Some(why) = exports_files(rest, false) {
                out.push(Action::Note(no_image_built(&tool, &why)));
                return;
            }
            hit(out, Activity::Build, tool.clone(), tag(rest), None);
            if pushes(rest) {
                hit(out, Activity::Push, tool, tag(rest), None);
            }
        }
        "push" => {
            let pos = positionals(
                rest,
                &[
                    "--format",
                    "--authfile",
                    "--creds",
                    "--digestfile",
                    "--sign-by",
                ],
            );
            hit(
                out,
                Activity::Push,
                format!("{prog} push"),
                pos.first().map(|s| s.to_string()),
                None,
            );
        }
        "manifest" if rest.first() == Some(&"push") => hit(
            out,
            Activity::Push,
            format!("{prog} manifest push"),
            rest.get(1).map(|s| s.to_string()),
            None,
        ),
        "scout" => scout(rest, out),
        "scan" => {
            let pos = positionals(rest, &["-f", "--file", "--severity", "--group-issues"]);
            hit(
                out,
                Activity::ImageScan,
                format!("{prog} scan"),
                pos.first().map(|s| s.to_string()),
                None,
            );
        }
        "exec" => {
            let pos = positionals(rest, DOCKER_EXEC_VALUE_OPTIONS);
            let inner = pos.get(1..).map(|p| p.join(" ")).filter(|s| !s.is_empty());
            hit(
                out,
                Activity::Mutation,
                format!("{prog} exec"),
                pos.first().map(|s| s.to_string()),
                inner.map(|c| format!("runs `{c}` inside the running container")),
            );
        }
        "commit" => {
            let pos = positionals(
                rest,
                &["-a", "--author", "-c", "--change", "-m", "--message"],
            );
            hit(
                out,
                Activity::Mutation,
                format!("{prog} commit"),
                pos.first().map(|s| s.to_string()),
                Some("saves a running container's changed state as an image".into()),
            );
        }
        "cp" => {
            let pos = positionals(rest, &[]);
            if let [_, dest] = pos.as_slice()
                && let Some((container, _)) = dest.split_once(':')
                && !container.is_empty()
            {
                hit(
                    out,
                    Activity::Mutation,
                    format!("{prog} cp"),
                    Some(container.to_string()),
                    Some("copies files into a running container".into()),
                );
            }
        }
        "attach" => hit(
            out,
            Activity::Mutation,
            format!("{prog} attach"),
            rest.iter()
                .find(|a| !a.starts_with('-'))
                .map(|s| s.to_string()),
            None,
        ),
        "update" => {
            let pos = positionals(rest, DOCKER_UPDATE_VALUE_OPTIONS);
            hit(
                out,
                Activity::Mutation,
                format!("{prog} update"),
                pos.first().map(|s| s.to_string()),
                Some("changes a running container's settings".into()),
            );
        }
        "service" if rest.first() == Some(&"update") && has_flag(rest, &["--image"]) => hit(
            out,
            Activity::Deploy,
            format!("{prog} service update"),
            rest.last().map(|s| s.to_string()),
            None,
        ),
        "stack" if rest.first() == Some(&"deploy") => hit(
            out,
            Activity::Deploy,
            format!("{prog} stack deploy"),
            rest.last().map(|s| s.to_string()),
            None,
        ),
        "run" | "create" => {
            let pos = positionals(rest, DOCKER_RUN_VALUE_OPTIONS);
            if let Some(name) = flag_value(rest, &["--name"]) {
                out.push(Action::Started(name.to_string()));
            }
            let Some(image) = pos.first() else { return };
            if let Some(remote) = ctx.remote
                && sub == "run"
            {
                out.push(Action::Hit(Hit {
                    activity: Activity::Deploy,
                    tool: format!("{prog} run"),
                    target: Some(image.to_string()),
                    note: Some(format!("starts a new container from an image on {remote}")),
                }));
            }
            // `docker run aquasec/trivy image app:1`: the tool in the image runs.
            if let Some(tool) = tool_image(image) {
                let mut words = vec![Word::plain(tool, 0)];
                words.extend(pos[1..].iter().map(|a| Word::plain(a, 0)));
                out.extend(classify(&words, &[], None, ctx));
            }
        }
        _ => {}
    }
}

/// Number of leading global options (and their values) before a subcommand.
fn options_prefix(args: &[&str], takes_value: &[&str]) -> usize {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if !a.starts_with('-') {
            break;
        }
        i += if takes_value.contains(a) { 2 } else { 1 };
    }
    i.min(args.len())
}

/// Why a build command produces files rather than an image, or None when it builds one:
/// `--output`/`-o` to a directory, `-` or `type=local|tar` (an image is `type=image`,
/// `registry`, `docker` or `oci`), or a code-generation target or Dockerfile (`--target
/// generate`, `codegen.Dockerfile`, `bake generate`). `--push` and `--load` always give an
/// image.
fn exports_files(args: &[&str], bake: bool) -> Option<String> {
    if pushes(args) || has_flag(args, &["--load"]) {
        return None;
    }
    if let Some(output) = flag_value(args, &["--output", "-o"]) {
        let kind = output
            .split(',')
            .find_map(|part| part.trim().strip_prefix("type="));
        match kind {
            Some(k @ ("local" | "tar")) => {
                return Some(format!("`--output type={k}` writes files"));
            }
            Some(_) => {}
            None if output.contains('=') => {}
            None => {
                return Some(format!(
                    "`--output {output}` writes the build's files{}",
                    if output == "-" {
                        " as a tar stream"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    if let Some(target) = flag_value(args, &["--target"])
        && is_codegen(target)
    {
        return Some(format!("`--target {target}` is a code-generation stage"));
    }
    if let Some(file) = flag_value(args, &["-f", "--file"]) {
        let name = file.rsplit('/').next().unwrap_or(file);
        if is_codegen(name) {
            return Some(format!("`{file}` is a code-generation Dockerfile"));
        }
    }
    if bake {
        let targets = positionals(args, BAKE_VALUE_OPTIONS);
        if !targets.is_empty() && targets.iter().all(|t| is_codegen(t)) {
            return Some(format!(
                "bake target(s) {} generate code",
                targets.join(", ")
            ));
        }
    }
    None
}

/// The note for a build that makes no image.
fn no_image_built(tool: &str, why: &str) -> String {
    format!("`{tool}` exports files, not an image ({why}): not counted as an image build")
}

/// A stage, target or file named for code generation: a word of it (split at `-`, `_`,
/// `.`, `/`) is `generate`, `gen`, `codegen`, `protoc`, `proto`, `protobuf` or `generated`.
pub fn is_codegen(name: &str) -> bool {
    name.to_ascii_lowercase()
        .split(['-', '_', '.', '/', ':'])
        .any(|w| {
            matches!(
                w,
                "generate" | "gen" | "codegen" | "protoc" | "proto" | "protobuf" | "generated"
            )
        })
}

/// Options of `docker buildx bake` that take a value.
#[rustfmt::skip]
const BAKE_VALUE_OPTIONS: &[&str] = &[
    "-f", "--file", "--set", "--builder", "--progress", "--metadata-file", "--provenance",
    "--sbom", "--call", "--allow", "--list",
];

/// Does a build command push its result (`--push`, `--output type=registry`)?
fn pushes(args: &[&str]) -> bool {
    has_flag(args, &["--push"]) && !args.contains(&"--push=false")
        || flag_value(args, &["--output", "-o"]).is_some_and(|o| {
            o.contains("type=registry") || (o.contains("type=image") && o.contains("push=true"))
        })
}

/// The tool an image runs as its entrypoint: for `docker run IMAGE args`, and for a Tekton
/// step that gives `args` without a `command`. Read from the last component of the image's
/// name (see [`image::split`]); `executor` counts only as kaniko's.
pub fn tool_image(image: &str) -> Option<&'static str> {
    let name = image::split(image).name;
    let last = name.rsplit('/').next().unwrap_or(name);
    Some(match last {
        "trivy" => "trivy",
        "grype" => "grype",
        "snyk" | "snyk-cli" => "snyk",
        "scout-cli" => "docker-scout",
        "hadolint" => "hadolint",
        "dockle" => "dockle",
        "clair-scanner" => "clair-scanner",
        "executor" if name.contains("kaniko") => "/kaniko/executor",
        "ko" => "ko",
        "crane" => "crane",
        "skopeo" => "skopeo",
        "kubectl" | "k8s-kubectl" => "kubectl",
        "helm" | "k8s-helm" => "helm",
        "argocd" | "argocd-cli" => "argocd",
        _ => return None,
    })
}

fn compose(prog: &str, args: &[&str], ctx: Context<'_>, out: &mut Vec<Action>) {
    let pos = positionals(args, COMPOSE_VALUE_OPTIONS);
    let Some(&sub) = pos.first() else { return };
    let tool = format!("{prog} {sub}");
    let hit = |activity, note: Option<String>| {
        Action::Hit(Hit {
            activity,
            tool: tool.clone(),
            target: None,
            note,
        })
    };
    match (sub, ctx.remote) {
        ("build", _) => {
            out.push(hit(Activity::Build, None));
            if has_flag(args, &["--push"]) {
                out.push(hit(Activity::Push, None));
            }
        }
        ("push", _) => out.push(hit(Activity::Push, None)),
        // On the CI runner, compose starts test dependencies; on a host it deploys.
        ("up", Some(remote)) => out.push(hit(
            Activity::Deploy,
            Some(format!(
                "recreates containers from their images on {remote}"
            )),
        )),
        ("exec", Some(remote)) => out.push(hit(
            Activity::Mutation,
            Some(format!(
                "runs a command inside a running container on {remote}"
            )),
        )),
        _ => {}
    }
}

fn scout(args: &[&str], out: &mut Vec<Action>) {
    let pos = positionals(args, SCOUT_VALUE_OPTIONS);
    if let Some(&sub @ ("cves" | "quickview" | "qv" | "compare" | "recommendations")) = pos.first()
    {
        out.push(Action::Hit(Hit {
            activity: Activity::ImageScan,
            tool: format!("docker scout {sub}"),
            target: pos.get(1).map(|s| s.to_string()),
            note: None,
        }));
    }
}

#[rustfmt::skip]
const TRIVY_VALUE_OPTIONS: &[&str] = &[
    "--cache-dir", "-f", "--format", "-o", "--output", "-s", "--severity", "--exit-code",
    "--timeout", "-t", "--template", "--ignorefile", "--ignore-policy", "--scanners",
    "--security-checks", "--vuln-type", "--pkg-types", "--skip-dirs", "--skip-files", "--input",
    "--platform", "--db-repository", "--java-db-repository", "--username", "--password",
    "--registry-token", "--server", "--token", "--token-header", "-c", "--config", "--image-src",
    "--sbom-sources", "--compliance", "--policy", "--config-policy", "--namespaces", "--namespace",
    "--tf-vars", "--helm-set", "--helm-values", "--k8s-version", "--cache-backend", "--module-dir",
    "--checks-bundle-repository", "--misconfig-scanners", "--file-patterns", "--parallel",
    "--distro", "--vex", "--secret-config", "--license-confidence-level", "--output-plugin-arg",
    "--report", "--context", "--kubeconfig", "--cache-ttl", "--docker-host", "--podman-host",
    "--include-namespaces", "--exclude-namespaces",
];

fn trivy(args: &[&str], out: &mut Vec<Action>) {
    let pos = positionals(args, TRIVY_VALUE_OPTIONS);
    let other = |tool: &str, target: Option<&str>, note: &str| {
        Action::Hit(Hit {
            activity: Activity::OtherScan,
            tool: tool.to_string(),
            target: target.map(str::to_string),
            note: Some(note.to_string()),
        })
    };
    match pos.first() {
        Some(&("image" | "i")) => {
            let target = pos
                .get(1)
                .copied()
                .or_else(|| flag_value(args, &["--input"]));
            out.push(Action::Hit(Hit {
                activity: Activity::ImageScan,
                tool: "trivy image".into(),
                target: target.map(str::to_string),
                note: None,
            }));
        }
        Some(
            &sub @ ("fs" | "filesystem" | "rootfs" | "repo" | "repository" | "config" | "conf"
            | "sbom" | "vm"),
        ) => out.push(other(
            &format!("trivy {sub}"),
            pos.get(1).copied(),
            "scans files or configuration, not a built image",
        )),
        Some(&sub @ ("k8s" | "kubernetes")) => out.push(other(
            &format!("trivy {sub}"),
            pos.get(1).copied(),
            "scans a running cluster, not the images this pipeline builds",
        )),
        Some(
            &("server" | "client" | "plugin" | "module" | "version" | "clean" | "convert"
            | "registry" | "aws" | "help" | "completion"),
        )
        | None => {}
        // Before 0.x subcommands, `trivy IMAGE` scanned an image.
        Some(target) => out.push(Action::Hit(Hit {
            activity: Activity::ImageScan,
            tool: "trivy".into(),
            target: Some(target.to_string()),
            note: None,
        })),
    }
}

#[rustfmt::skip]
const KUBECTL_VALUE_OPTIONS: &[&str] = &[
    "-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server",
    "--token", "--as", "--as-group", "--as-uid", "--request-timeout", "-v", "--v", "--cache-dir",
    "--certificate-authority", "--client-certificate", "--client-key", "--tls-server-name", "-l",
    "--selector", "-f", "--filename", "-k", "--kustomize", "-o", "--output", "-c", "--container",
    "--field-manager", "-p", "--patch", "--patch-file", "--type", "--timeout", "--image", "--from",
    "--target", "--copy-to", "--profile", "--grace-period", "--overrides", "--subresource", "--for",
    "--prune-allowlist", "--field-selector", "--env", "-e", "--restart", "--replicas", "--port",
    "--pod-running-timeout", "--template", "--sort-by", "--selector-key", "--server-side",
    "--set-image", "--share-processes", "--custom-columns",
];

fn kubectl(prog: &str, args: &[&str], out: &mut Vec<Action>) {
    let pos = positionals(args, KUBECTL_VALUE_OPTIONS);
    let Some(&sub) = pos.first() else { return };
    let tool = |s: &str| format!("{prog} {s}");
    let target = |i: usize| pos.get(i).map(|s| s.to_string());
    let file_target =
        flag_value(args, &["-f", "--filename", "-k", "--kustomize"]).map(str::to_string);
    let hit = |out: &mut Vec<Action>,
               activity,
               tool: String,
               target: Option<String>,
               note: Option<String>| {
        out.push(Action::Hit(Hit {
            activity,
            tool,
            target,
            note,
        }));
    };
    match sub {
        "apply"
            if !is_dry_run(args)
                && !matches!(
                    pos.get(1),
                    Some(&("view-last-applied" | "set-last-applied" | "edit-last-applied"))
                ) =>
        {
            hit(
                out,
                Activity::Deploy,
                tool("apply"),
                file_target.or_else(|| target(1)),
                None,
            )
        }
        "replace" if !is_dry_run(args) => {
            hit(out, Activity::Deploy, tool("replace"), file_target, None)
        }
        "create"
            if !is_dry_run(args)
                && (file_target.is_some()
                    || matches!(pos.get(1), Some(&("deployment" | "deploy")))) =>
        {
            hit(
                out,
                Activity::Deploy,
                tool("create"),
                file_target.or_else(|| target(2)),
                None,
            )
        }
        "set"
            if matches!(
                pos.get(1),
                Some(&("image" | "env" | "resources" | "serviceaccount" | "sa"))
            ) =>
        {
            let what = pos[1];
            let (kind, name) = resource(&pos[2..]);
            let shown = name.map(|n| format!("{kind}/{n}")).or(file_target);
            if is_pod(&kind) {
                hit(out, Activity::Mutation, tool(&format!("set {what}")), shown, Some("changes the image of a running pod (the kubelet restarts its container; no new pod replaces it)".into()));
            } else if !kind.is_empty() || shown.is_some() {
                hit(
                    out,
                    Activity::Deploy,
                    tool(&format!("set {what}")),
                    shown,
                    None,
                );
            }
        }
        "rollout"
            if matches!(
                pos.get(1),
                Some(&("restart" | "status" | "undo" | "resume"))
            ) =>
        {
            let (kind, name) = resource(&pos[2..]);
            let shown = name
                .map(|n| format!("{kind}/{n}"))
                .or(Some(kind))
                .filter(|s| !s.is_empty());
            hit(
                out,
                Activity::Deploy,
                tool(&format!("rollout {}", pos[1])),
                shown,
                None,
            )
        }
        "patch" | "edit" => {
            let (kind, name) = resource(&pos[1..]);
            let shown = Some(match name {
                Some(n) => format!("{kind}/{n}"),
                None => kind.clone(),
            });
            if is_pod(&kind) {
                hit(
                    out,
                    Activity::Mutation,
                    tool(&format!("{sub} pod")),
                    shown,
                    Some("changes a running pod".into()),
                );
            } else if is_workload(&kind) {
                hit(
                    out,
                    Activity::Deploy,
                    tool(&format!("{sub} {}", canonical_kind(&kind))),
                    shown,
                    Some("changes the pod template, so the controller rolls out new pods".into()),
                );
            }
        }
        "exec" => {
            let inner = args
                .iter()
                .position(|a| *a == "--")
                .map(|i| args[i + 1..].join(" "));
            let note = match inner.filter(|c| !c.is_empty()) {
                Some(c) => format!("runs `{c}` inside a running container"),
                None => "opens a command inside a running container".to_string(),
            };
            hit(out, Activity::Mutation, tool("exec"), target(1), Some(note))
        }
        "attach" => hit(
            out,
            Activity::Mutation,
            tool("attach"),
            target(1),
            Some("attaches to a running container's process".into()),
        ),
        "cp" => {
            if let Some(dest) = pos.get(2)
                && let Some((pod, _)) = dest.split_once(':')
                && !pod.is_empty()
                && !dest.starts_with('/')
            {
                hit(
                    out,
                    Activity::Mutation,
                    tool("cp"),
                    Some(pod.to_string()),
                    Some("copies files into a running container".into()),
                );
            }
        }
        "debug" => {
            let t = target(1);
            let node = t
                .as_deref()
                .is_some_and(|t| t.starts_with("node/") || t.starts_with("nodes/"));
            if !node && !has_flag(args, &["--copy-to"]) {
                hit(
                    out,
                    Activity::Mutation,
                    tool("debug"),
                    t,
                    Some("adds an ephemeral container to a running pod".into()),
                );
            }
        }
        "rsh" | "rsync" if prog == "oc" => hit(
            out,
            Activity::Mutation,
            tool(sub),
            target(1),
            Some("opens a shell in, or copies files into, a running container".into()),
        ),
        "start-build" if prog == "oc" => {
            hit(out, Activity::Build, tool("start-build"), target(1), None);
            hit(
                out,
                Activity::Push,
                tool("start-build"),
                target(1),
                Some("OpenShift builds push to the image stream".into()),
            );
        }
        _ => {}
    }
}

/// `deployment/api`, `deployment api`, `deploy/api` -> (kind, name).
fn resource(pos: &[&str]) -> (String, Option<String>) {
    match pos.first() {
        None => (String::new(), None),
        Some(first) => match first.split_once('/') {
            Some((kind, name)) => (kind.to_ascii_lowercase(), Some(name.to_string())),
            None => (
                first.to_ascii_lowercase(),
                pos.get(1).map(|s| s.to_string()),
            ),
        },
    }
}

fn is_pod(kind: &str) -> bool {
    matches!(kind, "pod" | "pods" | "po")
}

fn is_workload(kind: &str) -> bool {
    let k = kind.split('.').next().unwrap_or(kind);
    matches!(
        k,
        "deployment"
            | "deployments"
            | "deploy"
            | "statefulset"
            | "statefulsets"
            | "sts"
            | "daemonset"
            | "daemonsets"
            | "ds"
            | "cronjob"
            | "cronjobs"
            | "cj"
            | "replicaset"
            | "replicasets"
            | "rs"
            | "deploymentconfig"
            | "dc"
            | "rollout"
            | "rollouts"
    )
}

fn canonical_kind(kind: &str) -> &'static str {
    let k = kind.split('.').next().unwrap_or(kind);
    match k {
        "deployment" | "deployments" | "deploy" => "deployment",
        "statefulset" | "statefulsets" | "sts" => "statefulset",
        "daemonset" | "daemonsets" | "ds" => "daemonset",
        "cronjob" | "cronjobs" | "cj" => "cronjob",
        "replicaset" | "replicasets" | "rs" => "replicaset",
        "deploymentconfig" | "dc" => "deploymentconfig",
        _ => "rollout",
    }
}

#[rustfmt::skip]
const HELM_VALUE_OPTIONS: &[&str] = &[
    "-n", "--namespace", "--kube-context", "--kubeconfig", "-f", "--values", "--set",
    "--set-string", "--set-file", "--set-json", "--version", "--timeout", "--repo", "--username",
    "--password", "--post-renderer", "--post-renderer-args", "--description", "--history-max",
    "--registry-config", "--repository-cache", "--repository-config", "--burst-limit",
    "--kube-apiserver", "--kube-as-user", "--kube-as-group", "--kube-token", "--kube-ca-file",
    "--ca-file", "--cert-file", "--key-file", "--labels", "-l", "-o", "--output",
];

fn gcloud(args: &[&str], out: &mut Vec<Action>) {
    let pos = positionals(args, GCLOUD_VALUE_OPTIONS);
    let hit = |activity, tool: &str, target: Option<&str>| {
        Action::Hit(Hit {
            activity,
            tool: tool.into(),
            target: target.map(str::to_string),
            note: None,
        })
    };
    match pos.as_slice() {
        ["run", "deploy", service, ..] => {
            out.push(hit(Activity::Deploy, "gcloud run deploy", Some(service)))
        }
        ["builds", "submit", ..] => {
            let tag = flag_value(args, &["--tag", "-t"]);
            out.push(hit(Activity::Build, "gcloud builds submit", tag));
            if tag.is_some() || has_flag(args, &["--pack"]) {
                out.push(hit(Activity::Push, "gcloud builds submit", tag));
            }
        }
        ["artifacts", "docker", "images", "scan", image, ..]
        | ["container", "images", "scan", image, ..] => out.push(hit(
            Activity::ImageScan,
            "gcloud artifacts docker images scan",
            Some(image),
        )),
        ["compute", "ssh", host, ..] => {
            if let Some(command) = flag_value(args, &["--command"]) {
                out.push(Action::Nested {
                    script: Script::from_text(0, command),
                    remote: Some(host.to_string()),
                });
            }
        }
        _ => {}
    }
}

fn az(args: &[&str], out: &mut Vec<Action>) {
    let pos = positionals(args, AZ_VALUE_OPTIONS);
    let hit = |activity, tool: &str, target: Option<&str>| {
        Action::Hit(Hit {
            activity,
            tool: tool.into(),
            target: target.map(str::to_string),
            note: None,
        })
    };
    match pos.as_slice() {
        ["acr", "build", ..] => {
            let tag = flag_value(args, &["-t", "--image"]);
            out.push(hit(Activity::Build, "az acr build", tag));
            if !has_flag(args, &["--no-push"]) {
                out.push(hit(Activity::Push, "az acr build", tag));
            }
        }
        ["acr", "import", ..] => out.push(hit(
            Activity::Push,
            "az acr import",
            flag_value(args, &["-t", "--image"]),
        )),
        ["containerapp", sub @ ("update" | "create" | "up"), ..]
            if has_flag(args, &["--image"]) || *sub == "up" =>
        {
            out.push(hit(
                Activity::Deploy,
                &format!("az containerapp {sub}"),
                flag_value(args, &["-n", "--name"]),
            ))
        }
        ["webapp", "config", "container", "set", ..] => out.push(hit(
            Activity::Deploy,
            "az webapp config container set",
            flag_value(args, &["-n", "--name"]),
        )),
        ["aks", "command", "invoke", ..] => {
            if let Some(command) = flag_value(args, &["--command"]) {
                out.push(Action::Nested {
                    script: Script::from_text(0, command),
                    remote: None,
                });
            }
        }
        ["vm", "run-command", "invoke", ..] => {
            if let Some(script) = flag_value(args, &["--scripts"]) {
                let vm = flag_value(args, &["-n", "--name"]).unwrap_or("a VM");
                out.push(Action::Nested {
                    script: Script::from_text(0, script),
                    remote: Some(vm.to_string()),
                });
            }
        }
        _ => {}
    }
}

fn ansible(prog: &str, args: &[&str], out: &mut Vec<Action>) {
    let inventory = flag_value(args, &["-i", "--inventory", "--inventory-file"]);
    let connection = flag_value(args, &["-c", "--connection"]);
    let local_inventory = inventory.is_some_and(|i| {
        let hosts: Vec<&str> = i.split(',').filter(|h| !h.is_empty()).collect();
        i.contains(',')
            && hosts
                .iter()
                .all(|h| matches!(*h, "localhost" | "127.0.0.1"))
    });
    let pos = positionals(args, ANSIBLE_VALUE_OPTIONS);
    let check_mode = has_flag(
        args,
        &[
            "--check",
            "-C",
            "--syntax-check",
            "--list-hosts",
            "--list-tasks",
        ],
    );
    let read_only_module = flag_value(args, &["-m", "--module-name"])
        .is_some_and(|m| matches!(m, "ping" | "setup" | "gather_facts" | "debug"));
    let local = connection == Some("local")
        || local_inventory
        || (prog == "ansible" && matches!(pos.first(), Some(&("localhost" | "127.0.0.1"))));
    if local || check_mode || read_only_module {
        return;
    }
    let target = if prog == "ansible" {
        pos.first().map(|s| s.to_string())
    } else {
        pos.first().map(|p| match inventory {
            Some(i) => format!("{p} on {i}"),
            None => p.to_string(),
        })
    };
    out.push(Action::Hit(Hit {
        activity: Activity::Mutation,
        tool: prog.to_string(),
        target,
        note: Some("configures running hosts".into()),
    }));
}

/// A package-manager command that installs or upgrades packages, as `apt-get upgrade`.
fn package_change(prog: &str, args: &[&str]) -> Option<String> {
    let pos = positionals(args, PACKAGE_MANAGER_VALUE_OPTIONS);
    let sub = *pos.first()?;
    let changes = match prog {
        "apt" | "apt-get" | "aptitude" => {
            matches!(
                sub,
                "upgrade" | "dist-upgrade" | "full-upgrade" | "install" | "safe-upgrade"
            )
        }
        "yum" | "dnf" | "microdnf" | "tdnf" => matches!(
            sub,
            "update"
                | "upgrade"
                | "install"
                | "update-minimal"
                | "upgrade-minimal"
                | "distro-sync"
                | "reinstall"
                | "localinstall"
        ),
        "apk" => matches!(sub, "upgrade" | "add"),
        "zypper" => matches!(
            sub,
            "update" | "up" | "patch" | "dist-upgrade" | "dup" | "install" | "in"
        ),
        "unattended-upgrade" | "unattended-upgrades" => return Some(prog.to_string()),
        _ => false,
    };
    changes.then(|| format!("{prog} {sub}"))
}

/// Package-manager upgrades inside an image build: facts, not findings.
pub fn package_upgrade(argv: &[&str]) -> Option<String> {
    let prog = program(argv.first()?);
    let args = &argv[1..];
    let pos = positionals(args, &["-o", "-c", "-t", "--setopt"]);
    let sub = *pos.first()?;
    let upgrade = match prog.as_str() {
        "apt" | "apt-get" | "aptitude" => matches!(
            sub,
            "upgrade" | "dist-upgrade" | "full-upgrade" | "safe-upgrade"
        ),
        "yum" | "dnf" | "microdnf" | "tdnf" => matches!(
            sub,
            "update" | "upgrade" | "distro-sync" | "update-minimal" | "upgrade-minimal"
        ),
        "apk" => sub == "upgrade",
        "zypper" => matches!(sub, "update" | "up" | "patch" | "dist-upgrade" | "dup"),
        _ => false,
    };
    upgrade.then(|| format!("{prog} {sub}"))
}

/// Options of helmfile that take a value.
#[rustfmt::skip]
const HELMFILE_VALUE_OPTIONS: &[&str] = &[
    "-f", "--file", "-e", "--environment", "-l", "--selector", "--state-values-set",
    "--kube-context", "-n", "--namespace",
];

/// Options of argocd that take a value.
#[rustfmt::skip]
const ARGOCD_VALUE_OPTIONS: &[&str] = &[
    "--server", "--auth-token", "--grpc-web-root-path", "--config", "--revision", "--resource",
    "--label", "-l", "--timeout", "--kustomize-image", "--helm-set", "--helm-set-string", "-p",
    "--parameter", "--sync-policy",
];

/// Options of skaffold that take a value.
#[rustfmt::skip]
const SKAFFOLD_VALUE_OPTIONS: &[&str] = &[
    "-f", "--filename", "-p", "--profile", "-t", "--tag", "-d", "--default-repo", "--kube-context",
    "-n", "--namespace", "--build-artifacts", "-a",
];

/// Options of kn that take a value.
#[rustfmt::skip]
const KN_VALUE_OPTIONS: &[&str] = &[
    "-n", "--namespace", "--image", "--env", "-e", "--kubeconfig", "--context",
];

/// Options of aws that take a value.
#[rustfmt::skip]
const AWS_VALUE_OPTIONS: &[&str] = &[
    "--region", "--profile", "--cluster", "--service", "--repository-name", "--image-id",
    "--task-definition", "--output", "--query", "--endpoint-url",
];

/// Options of buildah that take a value.
#[rustfmt::skip]
const BUILDAH_VALUE_OPTIONS: &[&str] = &[
    "-t", "--tag", "-f", "--file", "--format", "--authfile", "--creds", "--build-arg", "--layers",
    "--storage-driver", "--root", "--runroot", "--platform",
];

/// Options of ko that take a value.
#[rustfmt::skip]
const KO_VALUE_OPTIONS: &[&str] = &[
    "--platform", "-t", "--tags", "--image-refs", "-f", "--filename", "--sbom", "--bare",
];

/// Options of jib that take a value.
#[rustfmt::skip]
const JIB_VALUE_OPTIONS: &[&str] = &[
    "-t", "--target", "-b", "--build-file", "-c", "--context", "--from",
];

/// Options of pack that take a value.
#[rustfmt::skip]
const PACK_VALUE_OPTIONS: &[&str] = &[
    "-B", "--builder", "-b", "--buildpack", "-e", "--env", "-p", "--path", "--tag", "-t",
    "--run-image", "--cache-image",
];

/// Options of skopeo that take a value.
#[rustfmt::skip]
const SKOPEO_VALUE_OPTIONS: &[&str] = &[
    "--src-creds", "--dest-creds", "--authfile", "--src-authfile", "--dest-authfile", "--format",
    "--override-os", "--override-arch", "--multi-arch",
];

/// Options of grype that take a value.
#[rustfmt::skip]
const GRYPE_VALUE_OPTIONS: &[&str] = &[
    "-o", "--output", "-f", "--fail-on", "-c", "--config", "--scope", "-s", "--platform",
    "--exclude", "-e", "--file", "--template", "-t", "--distro", "--name",
];

/// Options of snyk that take a value.
#[rustfmt::skip]
const SNYK_VALUE_OPTIONS: &[&str] = &[
    "--org", "--file", "--severity-threshold", "--project-name", "--policy-path",
    "--json-file-output", "--sarif-file-output", "--exclude-app-vulns",
];

/// Options of clair that take a value.
#[rustfmt::skip]
const CLAIR_VALUE_OPTIONS: &[&str] = &[
    "--ip", "-c", "--clair", "-r", "--report", "-t", "--threshold", "-w", "--whitelist", "--config",
    "--host",
];

/// Options of anchore that take a value.
#[rustfmt::skip]
const ANCHORE_VALUE_OPTIONS: &[&str] = &[
    "--url", "-u", "--u", "--p", "--username", "--password", "--dockerfile", "--annotation", "-o",
    "--output",
];

/// Options of twistcli that take a value.
#[rustfmt::skip]
const TWISTCLI_VALUE_OPTIONS: &[&str] = &[
    "--address", "-u", "--user", "-p", "--password", "--output-file", "--details",
];

/// Options of xargs that take a value.
#[rustfmt::skip]
const XARGS_VALUE_OPTIONS: &[&str] = &[
    "-I", "-i", "-n", "-P", "-L", "-d", "-a", "-E", "-s", "--max-args", "--max-procs",
    "--delimiter", "--arg-file", "--replace",
];

/// Options of docker exec that take a value.
#[rustfmt::skip]
const DOCKER_EXEC_VALUE_OPTIONS: &[&str] = &[
    "-e", "--env", "--env-file", "-u", "--user", "-w", "--workdir", "--detach-keys",
];

/// Options of docker update that take a value.
#[rustfmt::skip]
const DOCKER_UPDATE_VALUE_OPTIONS: &[&str] = &[
    "--cpus", "-m", "--memory", "--restart", "--cpu-shares", "--memory-swap", "--pids-limit",
    "--cpuset-cpus", "--memory-reservation",
];

/// Options of compose that take a value.
#[rustfmt::skip]
const COMPOSE_VALUE_OPTIONS: &[&str] = &[
    "-f", "--file", "-p", "--project-name", "--env-file", "--profile", "--project-directory",
    "--ansi", "--progress",
];

/// Options of scout that take a value.
#[rustfmt::skip]
const SCOUT_VALUE_OPTIONS: &[&str] = &[
    "--org", "--format", "--output", "-o", "--only-severity", "--platform", "--to", "--env", "-e",
    "--only-package-type",
];

/// Options of gcloud that take a value.
#[rustfmt::skip]
const GCLOUD_VALUE_OPTIONS: &[&str] = &[
    "--project", "--region", "--zone", "--image", "--tag", "-t", "--config", "--format",
    "--account", "--command", "--platform", "--service-account", "--substitutions", "--location",
];

/// Options of gke-deploy that take a value.
#[rustfmt::skip]
const GKE_DEPLOY_VALUE_OPTIONS: &[&str] = &[
    "-f", "--filename", "-i", "--image", "-a", "--app", "-v", "--version", "-n", "--namespace",
    "-c", "--cluster", "-l", "--location", "-p", "--project", "-o", "--output", "-x", "--expose",
    "-L", "--label", "-A", "--annotation", "-t", "--timeout",
];

/// Options of az that take a value.
#[rustfmt::skip]
const AZ_VALUE_OPTIONS: &[&str] = &[
    "-g", "--resource-group", "-n", "--name", "-r", "--registry", "-t", "--image", "-f", "--file",
    "--subscription", "--command", "--scripts", "--command-id", "--source", "-o", "--output",
    "--query", "--container-image-name",
];

/// Options of ansible that take a value.
#[rustfmt::skip]
const ANSIBLE_VALUE_OPTIONS: &[&str] = &[
    "-i", "--inventory", "--inventory-file", "-c", "--connection", "-e", "--extra-vars", "-l",
    "--limit", "-u", "--user", "-t", "--tags", "--skip-tags", "-m", "--module-name", "-a", "--args",
    "-f", "--forks", "--vault-password-file", "--vault-id", "--private-key", "--key-file", "-T",
    "--timeout", "-M", "--module-path", "--become-user", "--become-method", "--start-at-task",
];

/// Options of package manager that take a value.
#[rustfmt::skip]
const PACKAGE_MANAGER_VALUE_OPTIONS: &[&str] = &[
    "-o", "-c", "-t", "--target-release", "--setopt", "--repo", "--enablerepo", "--disablerepo",
    "--installroot", "--releasever", "-X", "--repository", "--root", "-R",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::ci::shell::parse;

    /// The one table of tool images, read by `docker run IMAGE` and by Tekton steps without
    /// a command: the union of what the two used to know apart (`docker run` knew the
    /// scanners and linters, Tekton the copiers, `ko` and `argocd`).
    #[test]
    fn tool_images_are_one_table_for_every_caller() {
        for (image, tool) in [
            ("aquasec/trivy:0.50", Some("trivy")),
            ("anchore/grype@sha256:abc", Some("grype")),
            ("snyk/snyk:docker", Some("snyk")),
            ("snyk/snyk-cli", Some("snyk")),
            ("docker/scout-cli", Some("docker-scout")),
            ("hadolint/hadolint", Some("hadolint")),
            ("goodwithtech/dockle:v0.4", Some("dockle")),
            ("arminc/clair-scanner", Some("clair-scanner")),
            (
                "gcr.io/kaniko-project/executor:debug",
                Some("/kaniko/executor"),
            ),
            ("gcr.io/other/executor", None),
            ("ghcr.io/ko-build/ko:latest", Some("ko")),
            ("gcr.io/go-containerregistry/crane", Some("crane")),
            ("quay.io/containers/skopeo:v1.14", Some("skopeo")),
            ("bitnami/kubectl:1.30", Some("kubectl")),
            ("lachlanevenson/k8s-kubectl", Some("kubectl")),
            ("alpine/helm", Some("helm")),
            ("lachlanevenson/k8s-helm:v3", Some("helm")),
            ("quay.io/argoproj/argocd:v2.10", Some("argocd")),
            ("argoproj/argocd-cli", Some("argocd")),
            // A registry port is not a tag; the name's last component decides.
            ("registry.local:5000/tools/trivy", Some("trivy")),
            ("registry.local:5000/trivy/db:1", None),
            ("alpine:3.20", None),
        ] {
            assert_eq!(tool_image(image), tool, "{image}");
        }
    }

    /// Every hit of a script, as `line activity tool [target]`.
    fn hits(script: &str, remote: Option<&str>) -> Vec<String> {
        hits_of(&Script::from_text(1, script), remote)
    }

    fn hits_of(script: &Script, remote: Option<&str>) -> Vec<String> {
        let mut out = Vec::new();
        for c in parse(script) {
            for a in classify(
                &c.words,
                &c.heredocs,
                c.stdin.as_deref(),
                Context { remote },
            ) {
                match a {
                    Action::Hit(h) => out.push(format!(
                        "{} {:?} {}{}",
                        c.line,
                        h.activity,
                        h.tool,
                        h.target.map(|t| format!(" [{t}]")).unwrap_or_default()
                    )),
                    Action::Nested { script, remote } => out.extend(
                        hits_of(&script, remote.as_deref())
                            .into_iter()
                            .map(|h| format!("nested@{remote:?} {h}")),
                    ),
                    Action::Follow { path, remote } => {
                        out.push(format!("{} follow {path} {remote:?}", c.line))
                    }
                    Action::Make { dir, file, targets } => {
                        out.push(format!("{} make {dir:?} {file:?} {targets:?}", c.line))
                    }
                    Action::Started(n) => out.push(format!("{} started {n}", c.line)),
                    Action::Note(_) => {}
                    Action::TestCluster { tool, .. } => {
                        out.push(format!("{} test-cluster {tool}", c.line))
                    }
                }
            }
        }
        out
    }

    #[test]
    fn command_table() {
        // (command, expected hits)
        let cases: &[(&str, &[&str])] = &[
            (
                "docker build -t reg/app:1 .",
                &["1 Build docker build [reg/app:1]"],
            ),
            (
                "docker buildx build --platform linux/amd64 -t reg/app:1 --push .",
                &[
                    "1 Build docker buildx build [reg/app:1]",
                    "1 Push docker buildx build [reg/app:1]",
                ],
            ),
            (
                "DOCKER_BUILDKIT=1 sudo -E docker image build -t x .",
                &["1 Build docker build [x]"],
            ),
            (
                "podman push --creds $U:$P reg/app:1",
                &["1 Push podman push [reg/app:1]"],
            ),
            (
                "/kaniko/executor --context . --destination reg/app:1",
                &["1 Build kaniko [reg/app:1]", "1 Push kaniko [reg/app:1]"],
            ),
            (
                "/kaniko/executor --context . --no-push",
                &["1 Build kaniko"],
            ),
            (
                "buildah bud -t app . && buildah push app docker://reg/app",
                &["1 Build buildah build [app]", "1 Push buildah push [app]"],
            ),
            (
                "ko build ./cmd/app",
                &[
                    "1 Build ko build [./cmd/app]",
                    "1 Push ko build [./cmd/app]",
                ],
            ),
            (
                "./mvnw -B compile jib:build -Dimage=reg/app",
                &[
                    "1 Build jib (maven) [reg/app]",
                    "1 Push jib (maven) [reg/app]",
                ],
            ),
            ("./gradlew :app:jibDockerBuild", &["1 Build jib (gradle)"]),
            (
                "trivy image --severity HIGH,CRITICAL --exit-code 1 reg/app:1",
                &["1 ImageScan trivy image [reg/app:1]"],
            ),
            ("trivy fs --scanners vuln .", &["1 OtherScan trivy fs [.]"]),
            ("trivy config k8s/", &["1 OtherScan trivy config [k8s/]"]),
            (
                "trivy --quiet reg/app:1",
                &["1 ImageScan trivy [reg/app:1]"],
            ),
            (
                "grype reg/app:1 --fail-on high",
                &["1 ImageScan grype [reg/app:1]"],
            ),
            ("grype dir:.", &["1 OtherScan grype [dir:.]"]),
            (
                "snyk container test reg/app:1 --file=Dockerfile",
                &["1 ImageScan snyk container test [reg/app:1]"],
            ),
            ("snyk test --all-projects", &["1 OtherScan snyk test"]),
            (
                "docker scout cves --exit-code --only-severity critical reg/app:1",
                &["1 ImageScan docker scout cves [reg/app:1]"],
            ),
            (
                "docker run --rm -v /var/run/docker.sock:/var/run/docker.sock aquasec/trivy:0.50.1 image reg/app:1",
                &["1 ImageScan trivy image [reg/app:1]"],
            ),
            ("kubectl apply -f k8s/", &["1 Deploy kubectl apply [k8s/]"]),
            ("kubectl apply --dry-run=client -f k8s/", &[]),
            (
                "kustomize build overlays/prod | kubectl apply -f -",
                &["1 Deploy kubectl apply [-]"],
            ),
            (
                "kubectl -n prod set image deployment/api api=reg/app:2",
                &["1 Deploy kubectl set image [deployment/api]"],
            ),
            (
                "kubectl set image pod/api-0 api=reg/app:2",
                &["1 Mutation kubectl set image [pod/api-0]"],
            ),
            (
                "kubectl rollout restart deployment api -n prod",
                &["1 Deploy kubectl rollout restart [deployment/api]"],
            ),
            (
                "kubectl patch deployment api -p '{\"spec\":{}}'",
                &["1 Deploy kubectl patch deployment [deployment/api]"],
            ),
            (
                "kubectl patch pod api-0 --type merge -p '{}'",
                &["1 Mutation kubectl patch pod [pod/api-0]"],
            ),
            ("kubectl patch configmap cfg -p '{}'", &[]),
            (
                "kubectl exec -it api-0 -c app -- apt-get upgrade -y",
                &["1 Mutation kubectl exec [api-0]"],
            ),
            (
                "kubectl cp ./fix.jar prod/api-0:/app/lib/fix.jar",
                &["1 Mutation kubectl cp [prod/api-0]"],
            ),
            ("kubectl cp prod/api-0:/tmp/heap.hprof ./heap.hprof", &[]),
            (
                "kubectl debug -it api-0 --image=busybox",
                &["1 Mutation kubectl debug [api-0]"],
            ),
            ("kubectl debug node/n1 -it --image=busybox", &[]),
            (
                "helm upgrade --install api ./chart -n prod --set image.tag=$TAG",
                &["1 Deploy helm upgrade [api]"],
            ),
            ("helm template api ./chart", &[]),
            (
                "argocd app sync shop-prod --prune",
                &["1 Deploy argocd app sync [shop-prod]"],
            ),
            (
                "flux reconcile kustomization apps --with-source",
                &["1 Deploy flux reconcile [kustomization apps]"],
            ),
            (
                "docker exec -u root web apt-get install -y curl",
                &["1 Mutation docker exec [web]"],
            ),
            (
                "docker commit web reg/web:patched",
                &["1 Mutation docker commit [web]"],
            ),
            ("docker run -d --name db postgres:16", &["1 started db"]),
            (
                "ssh -i key -o StrictHostKeyChecking=no deploy@web1 'sudo apt-get update && sudo apt-get -y upgrade'",
                &["nested@Some(\"web1\") 1 Mutation ssh + apt-get upgrade [web1]"],
            ),
            (
                "ssh web1 docker compose up -d",
                &["nested@Some(\"web1\") 1 Deploy docker compose up"],
            ),
            ("apt-get update && apt-get install -y jq", &[]),
            (
                "ansible-playbook -i inventories/prod site.yml --tags patch",
                &["1 Mutation ansible-playbook [site.yml on inventories/prod]"],
            ),
            ("ansible-playbook -i localhost, -c local build.yml", &[]),
            ("ansible all -i hosts -m ping", &[]),
            (
                "bash -ec 'kubectl exec x -- ls'",
                &["nested@None 1 Mutation kubectl exec [x]"],
            ),
            (
                "./scripts/deploy.sh prod",
                &["1 follow ./scripts/deploy.sh None"],
            ),
            ("bash ci/build.sh", &["1 follow ci/build.sh None"]),
            ("source ./ci/env.sh", &["1 follow ./ci/env.sh None"]),
            (
                "make -C deploy release VERSION=1",
                &["1 make Some(\"deploy\") None [\"release\"]"],
            ),
            ("make -n deploy", &[]),
            (
                "gcloud run deploy api --image=reg/app:1",
                &["1 Deploy gcloud run deploy [api]"],
            ),
            (
                "az acr build -r reg -t app:1 .",
                &[
                    "1 Build az acr build [app:1]",
                    "1 Push az acr build [app:1]",
                ],
            ),
            (
                "timeout 300 xargs -I{} kubectl exec {} -- true",
                &["1 Mutation kubectl exec [{}]"],
            ),
            ("command -v docker", &[]),
        ];
        for (script, want) in cases {
            let got = hits(script, None);
            assert_eq!(&got, want, "{script}");
        }
    }

    /// Issue 14, class 5b: a build that exports files (`--output` to a directory or tar, or
    /// a code-generation target) builds no image; one that loads or pushes an image does.
    #[test]
    fn builds_that_export_files_are_not_image_builds() {
        let cases: &[(&str, &[&str])] = &[
            ("docker build --output=bin .", &[]),
            ("docker build -o out .", &[]),
            ("docker build -o - . > out.tar", &[]),
            ("docker build --output type=local,dest=out .", &[]),
            ("docker buildx build --output type=tar,dest=out.tar .", &[]),
            (
                "docker buildx build -o type=local,dest=./bin --target artifacts .",
                &[],
            ),
            (
                "DOCKER_BUILDKIT=1 docker build --target generate -o . -f hack/Dockerfile .",
                &[],
            ),
            ("docker build --target codegen -t gen .", &[]),
            ("docker build -f build/protoc.Dockerfile -t x .", &[]),
            ("docker buildx bake generate", &[]),
            ("depot build --output type=local,dest=out .", &[]),
            (
                "docker buildx build --output type=image,name=reg/app:1,push=true .",
                &[
                    "1 Build docker buildx build [reg/app:1]",
                    "1 Push docker buildx build [reg/app:1]",
                ],
            ),
            (
                "docker buildx build -o type=registry -t reg/app:1 .",
                &[
                    "1 Build docker buildx build [reg/app:1]",
                    "1 Push docker buildx build [reg/app:1]",
                ],
            ),
            (
                "docker buildx build --load -t app:dev -o type=local,dest=out .",
                &["1 Build docker buildx build [app:dev]"],
            ),
            (
                "docker buildx build --push -t reg/app:1 .",
                &[
                    "1 Build docker buildx build [reg/app:1]",
                    "1 Push docker buildx build [reg/app:1]",
                ],
            ),
            (
                "docker build --output type=docker -t app:dev .",
                &["1 Build docker build [app:dev]"],
            ),
            (
                "docker build --target runtime -t reg/app:1 .",
                &["1 Build docker build [reg/app:1]"],
            ),
            ("docker buildx bake", &["1 Build docker buildx bake"]),
            ("buildah bud --output type=local,dest=out .", &[]),
            ("podman build -o out .", &[]),
        ];
        for (script, want) in cases {
            assert_eq!(&hits(script, None), want, "{script}");
        }
    }

    /// Issue 14, class 5a: a deploy into the kube context of a kind, k3d or minikube
    /// cluster is a test deploy; the commands that create such clusters are recognised.
    #[test]
    fn test_cluster_commands_and_contexts() {
        let cases: &[(&str, &[&str])] = &[
            (
                "kind create cluster --name ci --wait 60s",
                &["1 test-cluster kind create cluster"],
            ),
            (
                "k3d cluster create dev -p 8080:80@loadbalancer",
                &["1 test-cluster k3d cluster create"],
            ),
            (
                "minikube start --driver=docker",
                &["1 test-cluster minikube start"],
            ),
            (
                "ctlptl create cluster kind --registry=ctlptl-registry",
                &["1 test-cluster ctlptl create cluster"],
            ),
            ("kind delete cluster", &[]),
            ("kind load docker-image app:dev", &[]),
            ("minikube image load app:dev", &[]),
            (
                "helm upgrade --install app ./chart --kube-context k3d-dev",
                &["1 TestDeploy helm upgrade [app]"],
            ),
            (
                "kubectl --context minikube apply -f k8s/",
                &["1 TestDeploy kubectl apply [k8s/]"],
            ),
            (
                "kubectl --context prod-eu apply -f k8s/",
                &["1 Deploy kubectl apply [k8s/]"],
            ),
        ];
        for (script, want) in cases {
            assert_eq!(&hits(script, None), want, "{script}");
        }
    }

    #[test]
    fn remote_package_upgrades_are_mutations_only_on_hosts() {
        assert_eq!(
            hits("sudo apt-get -y upgrade", Some("web1")),
            ["1 Mutation ssh + apt-get upgrade [web1]"]
        );
        assert!(hits("sudo apt-get -y upgrade", None).is_empty());
        assert_eq!(
            hits("ssh web1 <<'EOF'\nyum -y update openssl\nEOF\n", None),
            ["nested@Some(\"web1\") 2 Mutation ssh + yum update [web1]"]
        );
        assert_eq!(
            hits("ssh web1 'bash -s' < scripts/patch.sh", None),
            ["1 follow scripts/patch.sh Some(\"web1\")"]
        );
    }

    #[test]
    fn package_upgrades_in_builds_are_recognised() {
        assert_eq!(
            package_upgrade(&["apt-get", "-y", "upgrade"]).as_deref(),
            Some("apt-get upgrade")
        );
        assert_eq!(
            package_upgrade(&["apk", "upgrade", "--no-cache"]).as_deref(),
            Some("apk upgrade")
        );
        assert_eq!(package_upgrade(&["apt-get", "install", "-y", "curl"]), None);
    }
}
