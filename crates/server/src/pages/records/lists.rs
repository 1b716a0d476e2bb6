//! Lists: my records, the store (filters, search, paging, CSV), and the co-signature inbox.

use super::*;

pub struct Line {
    pub id: String,
    pub occurred_at: String,
    pub case_number: String,
    pub intervener: String,
    pub form: String,
    pub special_items: String,
    pub serious: bool,
    pub cosign_status: String,
    pub recorder: String,
}

fn line(s: &RecordSummary, lang: Lang) -> Line {
    Line {
        id: s.id.to_string(),
        occurred_at: format_cst(s.occurred_at),
        case_number: s.case_number.clone().unwrap_or_default(),
        intervener: format!("{}（{}）", s.intervener_name, s.intervener_unit),
        form: lang.pick(s.form.zh(), s.form.en()).to_string(),
        special_items: s.special_items.iter().map(|n| n.to_string()).collect::<Vec<_>>().join("、"),
        serious: s.serious,
        cosign_status: cosign_status_name(&s.cosign_status, lang),
        recorder: s.recorder.clone().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "records.html")]
struct ListPage {
    c: Chrome,
    whole_store: bool,
    lines: Vec<Line>,
    total: i64,
    page: u32,
    pages: u32,
    query: Values,
    /// The query string of the current view without the page, for paging and CSV links.
    base_query: String,
    forms: Vec<Choice>,
    special_items: Vec<Numbered>,
    errors: FormErrors,
    show_recorder: bool,
}

fn query_string(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .filter(|(k, v)| k != "page" && !v.is_empty())
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub async fn list(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let query: ListQuery = serde_urlencoded::from_str(&query_string(&pairs))
        .map_err(|e| ApiError::bad_request(format!("查询条件有误：{e}"), format!("bad query: {e}")))?;
    let page_no: u32 = pairs.iter().find(|(k, _)| k == "page").and_then(|(_, v)| v.parse().ok()).unwrap_or(1);
    let whole_store = state.store.permits(&user, Permission::RecordReadCourt);
    let values = Values::from_pairs(&pairs);
    let (result, errors) = match query.to_filter() {
        Ok(mut filter) => {
            filter.page = page_no;
            filter.per_page = 50;
            match state.store.list_records(&user, &filter, "page").await {
                Ok(page) => (Some(page), FormErrors::default()),
                // A filter the caller may not use (the recorder, S9): shown beside the form.
                Err(e @ StoreError::Invalid(_)) => (None, FormErrors::from_error(&ApiError::from(e), c.lang)),
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => (None, FormErrors::from_error(&e, c.lang)),
    };
    let (lines, total) = match &result {
        Some(p) => (p.items.iter().map(|s| line(s, c.lang)).collect(), p.total),
        None => (Vec::new(), 0),
    };
    let pages = u32::try_from((total + 49) / 50).unwrap_or(1).max(1);
    let show_recorder = state.store.permits(&user, Permission::RecordSeeRecorder);
    let page = ListPage {
        whole_store,
        lines,
        total,
        page: page_no,
        pages,
        base_query: query_string(&pairs),
        query: values,
        forms: choices::<Form>(c.lang),
        special_items: numbered(&SPECIAL_ITEMS, c.lang),
        errors,
        show_recorder,
        c,
    };
    render_form(&page, &page.errors)
}

/// The current view as CSV (UTF-8 with a byte-order mark, so that spreadsheet programs on
/// Chinese Windows read it right); every line is a listed view in the ledger.
pub async fn export_csv(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let mut filter = query.to_filter()?;
    filter.per_page = 200;
    let mut rows = Vec::new();
    let mut page = 1;
    loop {
        filter.page = page;
        let result = state.store.list_records(&user, &filter, "export").await?;
        let n = result.items.len();
        rows.extend(result.items);
        if n < 200 || rows.len() >= 100_000 {
            break;
        }
        page += 1;
    }
    let lang = c.lang;
    let header = [
        lang.pick("记录编号", "record id"),
        lang.pick("过问时间", "occurred at"),
        lang.pick("案号", "case number"),
        lang.pick("过问人", "intervener"),
        lang.pick("单位", "unit"),
        lang.pick("过问方式", "form"),
        lang.pick("特别报告事项", "special items"),
        lang.pick("情节严重", "serious"),
        lang.pick("确认状态", "co-signature"),
        lang.pick("录入人", "recorder"),
    ];
    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|s| {
            vec![
                s.id.to_string(),
                format_cst(s.occurred_at),
                s.case_number.clone().unwrap_or_default(),
                s.intervener_name.clone(),
                s.intervener_unit.clone(),
                lang.pick(s.form.zh(), s.form.en()).to_string(),
                s.special_items.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" "),
                if s.serious { lang.pick("是", "yes") } else { "" }.to_string(),
                cosign_status_name(&s.cosign_status, lang),
                s.recorder.clone().unwrap_or_default(),
            ]
        })
        .collect();
    Ok(csv_download("liuhen-records.csv", &header, &lines))
}

/// A CSV download: UTF-8 with a BOM (so that spreadsheets read the Chinese), CRLF lines, every
/// field quoted and neutralised by `csv_field`.
pub(crate) fn csv_download(file_name: &'static str, header: &[&str], lines: &[Vec<String>]) -> Response {
    let mut out = String::from("\u{feff}");
    for line in std::iter::once(header.iter().map(|h| csv_field(h)).collect::<Vec<_>>())
        .chain(lines.iter().map(|l| l.iter().map(|f| csv_field(f)).collect()))
    {
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    let mut response = out.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CONTENT_DISPOSITION, crate::api::attachment(file_name));
    response
}

/// RFC 4180 quoting; a leading = + - @ is neutralised so that a spreadsheet does not run it as a
/// formula (CSV injection).
pub(crate) fn csv_field(value: &str) -> String {
    let value =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_string() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

#[derive(Template)]
#[template(path = "cosign_inbox.html")]
struct InboxPage {
    c: Chrome,
    lines: Vec<Line>,
}

pub async fn inbox(State(state): State<AppState>, Page(c, user): Page) -> Result<Response, ApiError> {
    let lines = state.store.cosign_inbox(&user, "page").await?.iter().map(|s| line(s, c.lang)).collect();
    render(&InboxPage { c, lines })
}
