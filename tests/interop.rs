//! The served log checked by an implementation nobody here wrote: Go's golang.org/x/mod/sumdb/note
//! and sumdb/tlog (Debian's golang-golang-x-mod-dev, installed by scripts/test), reading the
//! checkpoint, the C2SP tiles and the entry bundles over HTTP.

mod common;

use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn go_sumdb_verifies_the_served_checkpoint_tiles_and_entries() {
    let go = ["/usr/bin/go", "/usr/lib/go/bin/go"].into_iter().find(|p| std::path::Path::new(p).exists()).expect(
        "Go is needed for this test: scripts/test installs Debian's golang-go and golang-golang-x-mod-dev (apt-get install -y golang-go golang-golang-x-mod-dev)",
    );
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    // More than one full tile, so full, partial and level-1 tiles are all read.
    let writes = (0..300).map(|i| {
        let mut body = common::letter();
        body["content"] = json!(format!("互操作测试 {i}"));
        let req = app.client.post(app.url("/api/v1/records")).bearer_auth(&clerk).json(&body);
        async move { assert_eq!(req.send().await.unwrap().status(), 201) }
    });
    futures::future::join_all(writes).await;
    let auditor = app.auditor().await;
    // The records, the fixture's accounts and the auditor's (administrative events).
    let total = app.store.event_count().await.unwrap();
    assert!(total > 300);
    let key = app.get("", "/api/v1/log/key").await.1["verifier_key"].as_str().unwrap().to_string();

    let cache = tempfile::tempdir().unwrap();
    let program = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/check_log.go");
    let base = app.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(go)
            .arg("run")
            .arg(program)
            .env("GO111MODULE", "off")
            .env("GOPATH", "/usr/share/gocode")
            .env("GOCACHE", cache.path())
            .env("GOFLAGS", "")
            .env("LIUHEN_URL", base)
            .env("LIUHEN_TOKEN", auditor)
            .env("LIUHEN_KEY", key)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "Go checker failed:\n{said}\n{}", String::from_utf8_lossy(&out.stderr));
    let expected = format!("ok: checkpoint of {total} entries verified by golang.org/x/mod; {total} entries proven");
    assert!(said.contains(&expected), "{said}");
}
