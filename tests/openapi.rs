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
            let id = operation["operationId"].as_str().unwrap_or_default().to_string();
            ids.entry(id).or_default().push(format!("{method} {path}"));
        }
    }
    problems.extend(ids.iter().filter(|(_, ops)| ops.len() > 1).map(|(id, ops)| format!("{id} names {ops:?}")));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
