//! Developer check that keeps the test API server honest: replays responses recorded from a
//! real v1.36 API server (the shared `k8s-api-replays` fixtures, another project's recordings
//! that this repository may not ship) against it, and compares what it answers. The
//! recordings live in `../shared/fixtures/k8s-api-replays/v1-36` beside the repository, or
//! where `EVIDENCER_K8S_REPLAYS` points; a clean clone has neither, so the check is ignored
//! by a plain `cargo test` (the summary counts it as ignored, never as passed) and runs with
//! `cargo test --test it apiserver_replays -- --ignored`, failing when the recordings are
//! absent. `.ci/run` runs it where they are.

use crate::support;

use std::io::{Read, Write};
use std::path::PathBuf;

use serde_json::{Value, json};
use support::apiserver::ApiServer;

fn replays() -> PathBuf {
    let dir = std::env::var_os("EVIDENCER_K8S_REPLAYS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/fixtures/k8s-api-replays/v1-36")
        });
    assert!(
        dir.is_dir(),
        "no recorded API responses in {} (set EVIDENCER_K8S_REPLAYS to their folder)",
        dir.display()
    );
    dir
}

/// `(url, status, body)` of each recorded exchange of a file.
fn recorded(dir: &std::path::Path, file: &str) -> Vec<(String, String, u16, Value)> {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let exchanges: Vec<Value> = serde_json::from_str(&text).unwrap();
    exchanges
        .into_iter()
        .map(|e| {
            let body = e["response_body"].as_str().unwrap();
            // A watch answer is a stream of events, not one document.
            let value = serde_json::from_str(body).unwrap_or(Value::Null);
            (
                e["request_method"].as_str().unwrap().to_string(),
                e["request_url"].as_str().unwrap().to_string(),
                e["response_status_code"].as_u64().unwrap() as u16,
                value,
            )
        })
        .collect()
}

/// A plain HTTP/1.1 GET.
fn get(server: &ApiServer, path: &str) -> (u16, Value) {
    let addr = server.url().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8(response).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap())
}

fn items_with_kind(list: &Value, kind: &str, api_version: &str) -> Vec<Value> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let mut i = i.clone();
            i["kind"] = json!(kind);
            i["apiVersion"] = json!(api_version);
            i
        })
        .collect()
}

#[test]
#[ignore = "needs the recorded API responses outside the repository; see the module comment"]
fn the_test_server_answers_as_the_recorded_api_server_did() {
    let dir = replays();
    let (_, url, _, pods) = recorded(&dir, "pod-list.json").remove(0);
    let (_, deploy_url, _, deployments) = recorded(&dir, "deployment-list.json").remove(0);
    let crd = recorded(&dir, "custom_resource_definition-test.json");
    let foobars: Vec<Value> = crd
        .iter()
        .filter(|(m, u, c, _)| m == "POST" && u.ends_with("/foobars") && *c == 201)
        .map(|(_, _, _, v)| v.clone())
        .collect();
    let server = ApiServer::builder()
        .crd(
            "k8s-openapi-tests-custom-resource-definition.com",
            "v1",
            "foobars",
            "FooBar",
            true,
        )
        .objects(items_with_kind(&pods, "Pod", "v1"))
        .objects(items_with_kind(&deployments, "Deployment", "apps/v1"))
        .objects(foobars)
        .start();

    // Built-in lists: same envelope, same items (which omit kind and apiVersion).
    for (url, recorded) in [(url, pods), (deploy_url, deployments.clone())] {
        let (status, served) = get(&server, &url);
        assert_eq!(status, 200, "{url}");
        assert_eq!(served["kind"], recorded["kind"], "{url}");
        assert_eq!(served["apiVersion"], recorded["apiVersion"], "{url}");
        let keys = |v: &Value| {
            v["metadata"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&served), keys(&recorded), "{url}");
        assert_eq!(served["items"], recorded["items"], "{url}");
    }

    // managedFields the test server makes up for an object given without them have the
    // entry fields, and the fieldsV1 notation, of the recorded ones.
    let mut bare = items_with_kind(&deployments, "Deployment", "apps/v1").remove(0);
    let recorded_entry = bare["metadata"]["managedFields"][0].clone();
    bare["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("managedFields");
    let made = crate::support::apiserver::managed_fields(&bare, "apps/v1");
    let entry_keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(entry_keys(&made[0]), entry_keys(&recorded_entry));
    let image = |v: &Value| {
        v["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, c)| (k.clone(), c.get("f:image").is_some(), c.get(".").is_some()))
            .collect::<Vec<_>>()
    };
    assert_eq!(image(&made[0]), image(&recorded_entry));

    // A CRD-backed list: items keep kind and apiVersion; `continue` is present and empty.
    let (_, list_url, _, recorded_list) = crd
        .iter()
        .find(|(m, u, _, _)| m == "GET" && u.ends_with("/foobars"))
        .unwrap()
        .clone();
    let (status, served) = get(&server, &list_url);
    assert_eq!(status, 200);
    assert_eq!(served["kind"], recorded_list["kind"]);
    assert_eq!(
        served["metadata"]["continue"],
        recorded_list["metadata"]["continue"]
    );
    assert_eq!(served["items"], recorded_list["items"]);
    let (_, one_url, _, recorded_one) = crd
        .iter()
        .find(|(m, u, _, _)| m == "GET" && u.ends_with("/foobars/fb1"))
        .unwrap()
        .clone();
    assert_eq!(get(&server, &one_url).1, recorded_one);

    // Discovery: every group the server serves is described as the real one described it.
    let (_, _, _, groups) = recorded(&dir, "api_versions-list.json").remove(0);
    let (status, served) = get(&server, "/apis");
    assert_eq!(status, 200);
    assert_eq!(served["kind"], groups["kind"]);
    let mut compared = 0;
    for group in served["groups"].as_array().unwrap() {
        if let Some(real) = groups["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == group["name"])
        {
            assert_eq!(group, real);
            compared += 1;
        }
    }
    assert!(
        compared >= 4,
        "only {compared} groups in common with the recording"
    );

    // Errors are Status objects with the fields the real server's carry.
    let (_, _, code, real_error) = crd.iter().find(|(_, _, c, _)| *c == 422).unwrap().clone();
    assert_eq!(code, 422);
    let (status, error) = get(&server, "/apis/nothing.example.com/v1/things");
    assert_eq!(status, 404);
    for key in real_error.as_object().unwrap().keys() {
        if key != "details" {
            assert!(error.get(key).is_some(), "a Status lacks `{key}`: {error}");
        }
    }
    assert_eq!(error["code"], 404);
}
