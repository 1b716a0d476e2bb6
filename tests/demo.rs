//! The demo data covers every court, form, S7 item and stage, and is obviously fictional.

mod common;

use std::collections::HashSet;

use liuhen_rules::{Form, Listed, Permission, Stage};
use liuhen_store::RecordFilter;

#[tokio::test]
async fn demo_data_spans_every_court_form_item_and_stage() {
    let dir = tempfile::tempdir().unwrap();
    let store = liuhen::storage::open(common::config(dir.path())).await.unwrap();
    let made = liuhen::demo::populate(&store, 320).await.unwrap();
    assert!(made >= 300);

    let mut courts = HashSet::new();
    let mut forms = HashSet::new();
    let mut items = HashSet::new();
    let mut stages = HashSet::new();
    let mut statuses = HashSet::new();
    let mut total = 0;
    for court in store.courts().await.unwrap() {
        let users = store.users_of_court(&court.id).await.unwrap();
        let reader = users
            .iter()
            .find(|u| store.permits(u, Permission::RecordReadCourt))
            .expect("a store maintainer in every court");
        let page =
            store.list_records(reader, &RecordFilter { per_page: 200, ..Default::default() }, "api").await.unwrap();
        assert!(page.total > 0, "{} has records", court.name);
        total += page.total;
        courts.insert(court.id.clone());
        for r in &page.items {
            assert!(r.intervener_name.ends_with('某'), "fictional names only: {}", r.intervener_name);
            assert!(r.intervener_unit.starts_with('某'), "fictional units only: {}", r.intervener_unit);
            forms.insert(r.form);
            stages.insert(r.stage.clone());
            items.extend(r.special_items.iter().copied());
            statuses.insert(r.cosign_status.clone());
        }
    }
    assert_eq!(total as usize, made);
    assert_eq!(courts.len(), 8);
    assert_eq!(forms, Form::ALL.iter().copied().collect::<HashSet<_>>());
    assert_eq!(items, (1..=15).collect::<HashSet<u8>>());
    assert_eq!(stages, Stage::ALL.iter().map(|s| s.code().to_string()).collect::<HashSet<_>>());
    for s in ["not_required", "pending", "confirmed", "disputed"] {
        assert!(statuses.contains(s), "co-signature status {s} appears");
    }
}
