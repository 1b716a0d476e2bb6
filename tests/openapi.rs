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
