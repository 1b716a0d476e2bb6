//! The API contract as a reviewed diff (issue 18): the OpenAPI document the server serves is
//! committed as `docs/openapi.json`; any change to it fails this test until the snapshot is
//! written again (`LIUHEN_UPDATE_OPENAPI=1 cargo test --test openapi`) and the diff reviewed.

mod common;

#[tokio::test]
async fn the_openapi_document_matches_its_committed_snapshot() {
    let app = common::spawn_app().await;
    let (status, doc) = app.get("", "/api/openapi.json").await;
    assert_eq!(status, 200);
    let served = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    if std::env::var_os("LIUHEN_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &served).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != served {
        let first = committed.lines().zip(served.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "the API changed from docs/openapi.json (first difference at line {}): review the change and write \
             the snapshot again with LIUHEN_UPDATE_OPENAPI=1 cargo test --test openapi\n  committed: {}\n  served:    {}",
            first + 1,
            committed.lines().nth(first).unwrap_or("(end)"),
            served.lines().nth(first).unwrap_or("(end)")
        );
    }
}

/// Issue 19: a client generated from the document can call every operation — each declares every
/// parameter its path names, and each has an operation id of its own.
#[tokio::test]
async fn every_operation_declares_its_path_parameters_and_a_unique_id() {
    let app = common::spawn_app().await;
    let (_, doc) = app.get("", "/api/openapi.json").await;
    let mut problems = Vec::new();
    let mut ids = std::collections::BTreeMap::<String, Vec<String>>::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        let named: Vec<&str> =
            path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        for (method, operation) in operations.as_object().unwrap() {
            let declared: Vec<&str> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            for name in named.iter().filter(|n| !declared.contains(n)) {
                problems.push(format!("{method} {path} does not declare {{{name}}}"));
            }
            // A query's fields declared as path parameters (utoipa's default) are not sent.
            for name in declared.iter().filter(|d| !named.contains(d)) {
                problems.push(format!("{method} {path} declares a path parameter {name} its path does not name"));
            }
            let id = operation["operationId"].as_str().unwrap_or_default().to_string();
            ids.entry(id).or_default().push(format!("{method} {path}"));
        }
    }
    problems.extend(ids.iter().filter(|(_, ops)| ops.len() > 1).map(|(id, ops)| format!("{id} names {ops:?}")));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Issue 19: whatever a caller sends, the answer is one the document lists for the operation, with
/// the content type it lists. Every operation is called three ways a client gets wrong: with no
/// credentials, with nonsense in its path parameters, and with a body that is not JSON.
#[tokio::test]
async fn every_operation_answers_only_what_the_document_lists() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let (_, doc) = app.get("", "/api/openapi.json").await;
    let mut problems = Vec::new();
    let mut calls = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let has_path_params = path.contains('{');
            let takes_json = operation["requestBody"]["content"].get("application/json").is_some();
            let concrete =
                path.split('/').map(|s| if s.starts_with('{') { "not-a-uuid" } else { s }).collect::<Vec<_>>();
            let garbled = concrete.join("/");
            let sane = path
                .split('/')
                .map(|s| if s.starts_with('{') { "01a23d81-c7b6-7602-b65d-684c077cd87d" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let mut tries = vec![("no credentials", sane.clone(), None, None)];
            if has_path_params {
                tries.push(("nonsense in the path", garbled, Some(&clerk), None));
            }
            if takes_json {
                tries.push(("a body that is not JSON", sane, Some(&clerk), Some("{not json")));
            }
            for (how, url, token, body) in tries {
                let mut request = app.client.request(method.to_uppercase().parse().unwrap(), app.url(&url));
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                if let Some(body) = body {
                    request = request.header("content-type", "application/json").body(body);
                }
                let answer = request.send().await.unwrap();
                calls += 1;
                let status = answer.status().as_u16().to_string();
                let kind = answer.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
                let Some(mut listed) = operation["responses"].get(&status) else {
                    problems.push(format!("{method} {path} ({how}): {status} is not listed"));
                    continue;
                };
                if let Some(shared) = listed["$ref"].as_str() {
                    let name = shared.strip_prefix("#/components/responses/").unwrap();
                    listed = &doc["components"]["responses"][name];
                    assert!(listed.is_object(), "{shared} is not in the document");
                }
                let types: Vec<&String> = listed["content"].as_object().map(|c| c.keys().collect()).unwrap_or_default();
                let kind = kind.unwrap_or_default();
                let essence = kind.split(';').next().unwrap_or_default().trim().to_string();
                if !types.is_empty() && !types.iter().any(|t| **t == essence) {
                    problems.push(format!("{method} {path} ({how}): {status} as {kind}, listed as {types:?}"));
                }
            }
        }
    }
    assert!(calls > 80, "{calls} calls");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
