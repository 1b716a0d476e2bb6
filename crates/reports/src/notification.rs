//! The draft 通报 of an entry of a C8 kind (R12), for the political-legal committee: what the
//! cadre did, under which kind — and no court staff names (S9: those who record are protected).

use liuhen_rules::{Listed, Record, c8_kind, period::format_cst};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub title: String,
    pub paragraphs: Vec<String>,
}

/// Replace every court staff name (display name or user name) in `text`; longer names first, so
/// that a name containing another is replaced whole.
pub fn redact(text: &str, staff: &[String]) -> String {
    let mut names: Vec<&String> = staff.iter().filter(|n| n.chars().count() >= 2).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    let mut out = text.to_string();
    for name in names {
        out = out.replace(name.as_str(), "法院工作人员");
    }
    out
}

/// The draft notification of `record`, made at `court_name`; `staff` are the names of the court's
/// staff, removed wherever they appear. None when the entry is of no C8 kind.
pub fn draft(record: &Record, court_name: &str, staff: &[String]) -> Option<Notification> {
    let kind = c8_kind(record.c8_kind?)?;
    let i = &record.intervener;
    let case = record.case_number.clone().or_else(|| record.case_title.clone()).unwrap_or_else(|| "有关案件".into());
    let mut paragraphs = vec![
        format!(
            "{}，{}{}（{}）以{}方式过问{}（所处环节：{}）。",
            format_cst(record.occurred_at),
            i.unit,
            i.post,
            i.name,
            record.form.zh(),
            case,
            record.stage.zh()
        ),
        format!("过问内容：{}", record.content),
        format!(
            "上述行为属于《领导干部干预司法活动、插手具体案件处理的记录、通报和责任追究规定》第八条第{}项所列情形：{}",
            kind.numeral, kind.text_zh
        ),
    ];
    if let Some(h) = record.handling.as_deref().filter(|h| !h.trim().is_empty()) {
        paragraphs.push(format!("处理情况：{h}"));
    }
    paragraphs.push(format!("以上情况由{court_name}依规定记录，现予通报。"));
    Some(Notification {
        title: format!("关于{}{}{}干预司法活动情况的通报（草稿）", i.unit, i.post, i.name),
        paragraphs: paragraphs.iter().map(|p| redact(p, staff)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_names_are_removed_whole() {
        let staff = vec!["张法官".to_string(), "张法官助理".to_string(), "judge_a".to_string()];
        assert_eq!(
            redact("张法官助理和张法官在场，judge_a 记录", &staff),
            "法院工作人员和法院工作人员在场，法院工作人员 记录"
        );
        assert_eq!(redact("某区人民政府", &staff), "某区人民政府");
    }
}
