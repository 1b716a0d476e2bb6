//! Notifications of a record to the party concerned (R12).

use super::*;

#[derive(Template)]
#[template(path = "notification.html")]
struct NotificationPage {
    c: Chrome,
    n: liuhen_reports::notification::Notification,
    record_id: String,
}

/// The draft 通报 of an entry of a C8 kind, for the political-legal committee, with every court
/// staff name removed (R12, S9).
pub async fn notification(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiPath(record_id): ApiPath<uuid::Uuid>,
) -> Result<Response, ApiError> {
    state.store.require_permission(
        &user,
        liuhen_rules::Permission::ReportView,
        "您的角色不查看报告",
        "your role does not see reports",
    )?;
    let view = state.store.record(&user, record_id, "report").await?;
    let court_name = state.store.court(&view.court_id).await?.map_or(view.court_id.clone(), |c| c.name);
    let staff: Vec<String> = state
        .store
        .users_of_court(&view.court_id)
        .await?
        .into_iter()
        .flat_map(|u| [u.display_name, u.username])
        .collect();
    let n = liuhen_reports::notification::draft(&view.record, &court_name, &staff).ok_or_else(|| {
        form_problem(
            "c8_kind",
            "这条记录未标明属于第八条所列情形，不生成通报",
            "this entry is of no Article 8 kind, so there is no notification",
        )
    })?;
    render(&NotificationPage { c, n, record_id: record_id.to_string() })
}
