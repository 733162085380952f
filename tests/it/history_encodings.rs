//! `--repo` on files a Windows editor or a link wrote (issue 14, class 6): UTF-16 manifests
//! and scripts with a byte order mark are read as text in the history, as `--snapshot` reads
//! them, and symbolic links inside the repository tree are followed by the manifest loader
//! of the period end, while a link that leaves the tree, a dangling link and a loop are input
//! problems naming the path. Repositories are built with git2 in a temporary directory.

use std::os::unix::fs::symlink;

use serde_json::Value;

use crate::support;

use support::git::{Repo, WORKFLOW, changes, deployment, findings, problems, run};

/// `text` as UTF-16 with a byte order mark, little- or big-endian.
fn utf16(text: &str, little: bool) -> Vec<u8> {
    let mut out = if little {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for unit in text.encode_utf16() {
        out.extend(if little {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        });
    }
    out
}

fn write_bytes(r: &Repo, path: &str, bytes: &[u8]) {
    let p = r.root().join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

fn named(image: &str, name: &str) -> String {
    deployment(image).replace(
        "name: api\n  namespace",
        &format!("name: {name}\n  namespace"),
    )
}

#[test]
fn an_image_change_in_a_utf16_manifest_is_in_the_timeline() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    let le = |image: &str| utf16(&named(image, "le"), true);
    let be = |image: &str| utf16(&named(image, "be"), false);
    write_bytes(&r, "apps/le.yaml", &le("ghcr.io/acme/le:1.0.0"));
    write_bytes(&r, "apps/be.yaml", &be("ghcr.io/acme/be:1.0.0"));
    r.write(".github/workflows/ci.yml", WORKFLOW);
    r.commit("2026-06-01T00:00:00Z", "Ana", "initial", &[]);
    write_bytes(&r, "apps/le.yaml", &le("ghcr.io/acme/le:1.1.0"));
    let c1 = r.commit("2026-07-10T00:00:00Z", "Ben", "le 1.1.0", &[]);
    write_bytes(&r, "apps/be.yaml", &be("ghcr.io/acme/be:1.1.0"));
    let c2 = r.commit("2026-08-10T00:00:00Z", "Cleo", "be 1.1.0", &[]);

    let (report, _) = run(
        &["--repo", r.root().to_str().unwrap(), "--period", "2026-Q3"],
        &tmp.path().join("out"),
    );
    let got: Vec<(String, String, Value, Value)> = changes(&report)
        .into_iter()
        .map(|(_, commit, _, subject, old, new)| (commit, subject, old, new))
        .collect();
    let s = |x: &str| Value::String(x.into());
    assert_eq!(
        got,
        [
            (
                c1.to_string(),
                "Deployment shop/le container api".to_string(),
                s("ghcr.io/acme/le:1.0.0"),
                s("ghcr.io/acme/le:1.1.0")
            ),
            (
                c2.to_string(),
                "Deployment shop/be container api".to_string(),
                s("ghcr.io/acme/be:1.0.0"),
                s("ghcr.io/acme/be:1.1.0")
            ),
        ]
    );
    let all = problems(&report);
    assert!(
        !all.iter()
            .any(|p| p.contains("binary") || p.contains("UTF-8")),
        "{all:#?}"
    );
    // Both are read at the period end too, and dated by their change.
    let upd = findings(&report, "images-updated-in-period");
    for name in ["le", "be"] {
        let f = upd
            .iter()
            .find(|f| f["subject"]["name"] == name)
            .unwrap_or_else(|| panic!("no finding for {name}: {upd:#?}"));
        assert_eq!(f["details"]["changes_in_period"], 1, "{f:#?}");
    }
}

#[test]
fn a_utf16_hotfix_script_in_the_period_is_scanned() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.0.0"))
        .write(".github/workflows/ci.yml", WORKFLOW);
    r.commit("2026-06-01T00:00:00Z", "Ana", "initial", &[]);
    write_bytes(
        &r,
        "scripts/hotfix.sh",
        &utf16(
            "#!/bin/sh\r\nkubectl -n shop exec deploy/api -- apt-get install -y --only-upgrade openssl\r\n",
            true,
        ),
    );
    let added = r.commit("2026-07-03T00:00:00Z", "Ben", "hotfix", &[]);
    // Removed again within the period: only the history holds it.
    std::fs::remove_file(r.root().join("scripts/hotfix.sh")).unwrap();
    r.commit("2026-07-04T00:00:00Z", "Ben", "remove hotfix", &[]);
    let (report, _) = run(
        &["--repo", r.root().to_str().unwrap(), "--period", "2026-07"],
        &tmp.path().join("out"),
    );
    let nim = findings(&report, "no-in-place-mutation");
    let fail = nim
        .iter()
        .find(|f| f["status"] == "fail")
        .unwrap_or_else(|| panic!("{nim:#?}\n{:#?}", problems(&report)));
    assert_eq!(fail["subject"]["path"], "scripts/hotfix.sh");
    assert_eq!(fail["subject"]["line"], 2);
    assert_eq!(fail["details"]["commit"], added.to_string());
}

fn kustomization(resources: &[&str]) -> String {
    format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [{}]\n",
        resources.join(", ")
    )
}

#[test]
fn a_kustomization_resource_symlinked_inside_the_tree_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    r.write("base/web.yaml", &named("ghcr.io/acme/web:2.0.0", "web"))
        .write(
            "shared/apps/api.yaml",
            &named("ghcr.io/acme/api:1.0.0", "linked"),
        )
        .write(
            "overlays/prod/kustomization.yaml",
            &kustomization(&["api.yaml", "../../linked-base"]),
        )
        .write(
            "linked-base-target/kustomization.yaml",
            &kustomization(&["web.yaml"]),
        );
    symlink(
        "../../shared/apps/api.yaml",
        r.root().join("overlays/prod/api.yaml"),
    )
    .unwrap();
    symlink("linked-base-target", r.root().join("linked-base")).unwrap();
    symlink(
        "../base/web.yaml",
        r.root().join("linked-base-target/web.yaml"),
    )
    .unwrap();
    r.commit("2026-06-01T00:00:00Z", "Ana", "initial", &[]);

    let (report, _) = run(
        &["--repo", r.root().to_str().unwrap(), "--period", "2026-Q3"],
        &tmp.path().join("out"),
    );
    let all = problems(&report);
    assert!(!all.iter().any(|p| p.contains("not found")), "{all:#?}");
    let text = serde_json::to_string(&report).unwrap();
    // The linked Deployment was read through the kustomization, under the link's path.
    let upd = findings(&report, "images-updated-in-period");
    let linked = findings(&report, "replace-on-update")
        .into_iter()
        .chain(upd)
        .find(|f| f["subject"]["name"] == "linked");
    assert!(
        linked.is_some(),
        "the linked Deployment was not read: {all:#?}\n{text}"
    );
    assert!(
        text.contains("overlays/prod/api.yaml"),
        "the object is not shown under the link's path"
    );
    assert!(
        text.contains("linked-base/web.yaml") || text.contains("linked-base-target/web.yaml"),
        "the linked base was not read"
    );
}

#[test]
fn links_out_of_the_tree_dangling_links_and_loops_are_input_problems() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside.yaml");
    std::fs::write(&outside, named("ghcr.io/evil/x:1", "outside")).unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.0.0"))
        .write(
            "overlays/prod/kustomization.yaml",
            &kustomization(&[
                "../../apps/api.yaml",
                "out.yaml",
                "abs.yaml",
                "gone.yaml",
                "loop-a.yaml",
            ]),
        );
    let prod = r.root().join("overlays/prod");
    symlink("../../../outside.yaml", prod.join("out.yaml")).unwrap();
    symlink(&outside, prod.join("abs.yaml")).unwrap();
    symlink("missing.yaml", prod.join("gone.yaml")).unwrap();
    symlink("loop-b.yaml", prod.join("loop-a.yaml")).unwrap();
    symlink("loop-a.yaml", prod.join("loop-b.yaml")).unwrap();
    r.commit("2026-06-01T00:00:00Z", "Ana", "initial", &[]);

    let (report, _) = run(
        &["--repo", r.root().to_str().unwrap(), "--period", "2026-Q3"],
        &tmp.path().join("out"),
    );
    let text = serde_json::to_string(&report).unwrap();
    assert!(
        !text.contains("ghcr.io/evil"),
        "a file outside the repository was read"
    );
    let all = problems(&report);
    let about = |name: &str, says: &str| {
        assert!(
            all.iter()
                .any(|p| p.contains(&format!("overlays/prod/{name}")) && p.contains(says)),
            "no problem about {name} saying {says:?}: {all:#?}"
        );
    };
    about("out.yaml", "outside the repository");
    about("abs.yaml", "outside the repository");
    about("gone.yaml", "dangling symbolic link");
    about("loop-a.yaml", "loop");
    // The rest is assessed.
    let api = findings(&report, "images-updated-in-period")
        .into_iter()
        .find(|f| f["subject"]["name"] == "api");
    assert!(api.is_some(), "{all:#?}");
}

#[test]
fn a_snapshot_directory_with_a_link_loop_or_a_dangling_resource_is_an_input_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = tmp.path().join("snap");
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::write(snap.join("api.yaml"), deployment("ghcr.io/acme/api:1.0.0")).unwrap();
    std::fs::write(
        snap.join("kustomization.yaml"),
        kustomization(&["api.yaml", "loop-a.yaml", "gone.yaml"]),
    )
    .unwrap();
    symlink("loop-b.yaml", snap.join("loop-a.yaml")).unwrap();
    symlink("loop-a.yaml", snap.join("loop-b.yaml")).unwrap();
    symlink("missing.yaml", snap.join("gone.yaml")).unwrap();
    let (report, _) = run(
        &["--snapshot", snap.to_str().unwrap()],
        &tmp.path().join("out"),
    );
    let all = problems(&report);
    assert!(all.iter().any(|p| p.contains("loop-a.yaml")), "{all:#?}");
    assert!(all.iter().any(|p| p.contains("gone.yaml")), "{all:#?}");
    let api = findings(&report, "replace-on-update")
        .into_iter()
        .find(|f| f["subject"]["name"] == "api");
    assert!(api.is_some(), "the rest was not assessed: {all:#?}");
}
