//! The pages in a real browser (issue 5): serves a fresh register and runs
//! `browser/flows.test.mjs` — playwright-core driving Debian's Chromium, axe-core checking each
//! main page. `scripts/test` installs Chromium and the npm packages first; without them this test
//! fails and says what is missing, so a CI run can never skip it quietly. Screenshots go to
//! `LIUHEN_SCREENSHOTS` (`scripts/screenshots` points it at docs/screenshots).

mod common;

use std::path::Path;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_flows_in_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("browser");
    for (what, present) in [
        ("/usr/bin/chromium (Debian package chromium)", Path::new("/usr/bin/chromium").exists()),
        ("browser/node_modules (npm ci in browser/)", browser_dir.join("node_modules/playwright-core").exists()),
        ("node", Command::new("node").arg("--version").output().is_ok()),
    ] {
        assert!(present, "the browser test needs {what}: run ./scripts/test, which installs it");
    }
    let app = common::spawn_app().await;
    app.user("inspector", "basic1", liuhen_rules::Role::DisciplineInspector).await;
    app.user("upper_inspector", "high", liuhen_rules::Role::DisciplineInspector).await;
    // The one-time code the office's authenticator is enrolled with (handed over in person).
    let enrolment_code = app.enrolment_code("office").await;
    // Last: from here on the two-person rule holds (roles that read contents need approval).
    app.user("security", "basic1", liuhen_rules::Role::SecurityAdministrator).await;
    let shots = std::env::var("LIUHEN_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| app.dir.path().join("screenshots"));
    let base = app.base.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args(["--test", "--test-concurrency=1", "flows.test.mjs"])
            .current_dir(&browser_dir)
            .env("LIUHEN_URL", base)
            .env("LIUHEN_SCREENSHOTS", &shots)
            .env("LIUHEN_PASSWORD", common::PASSWORD)
            .env("LIUHEN_ENROLMENT_CODE", enrolment_code)
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "browser flows failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("# pass 9") && stdout.contains("# fail 0"), "all nine flows ran:\n{stdout}");
}
