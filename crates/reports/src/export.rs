//! Reports as files (issue 6): the quarterly analysis as an XLSX workbook with a sheet for the
//! summary and routing and one for each breakdown and list, in Chinese.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::document::{Block, OfficialDocument};
use crate::quarterly::Line;
use crate::{Count, QuarterlyReport};

/// A4, as wide as one page, the header row repeated: a sheet that prints as a reader expects.
fn for_print(sheet: &mut Worksheet, landscape: bool) -> Result<(), XlsxError> {
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    if landscape {
        sheet.set_landscape();
    }
    Ok(())
}

fn header(sheet: &mut Worksheet, titles: &[&str]) -> Result<(), XlsxError> {
    for_print(sheet, titles.len() > 4)?;
    sheet.set_repeat_rows(0, 0)?;
    let bold = Format::new().set_bold().set_background_color("#F2F2F2");
    for (col, title) in titles.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, &bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn counts(book: &mut Workbook, name: &str, heading: &str, counts: &[Count]) -> Result<(), XlsxError> {
    let sheet = book.add_worksheet();
    sheet.set_name(name)?;
    header(sheet, &[heading, "条数"])?;
    for (i, c) in counts.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &c.zh)?;
        sheet.write_number(row, 1, c.count as f64)?;
    }
    sheet.set_column_width(0, 48)?;
    Ok(())
}

fn lines(book: &mut Workbook, name: &str, lines: &[Line]) -> Result<(), XlsxError> {
    let sheet = book.add_worksheet();
    sheet.set_name(name)?;
    header(sheet, &["过问时间（北京时间）", "案号", "过问人", "方式", "专项报告情形", "情节严重", "应当移送"])?;
    for (i, l) in lines.iter().enumerate() {
        let row = i as u32 + 1;
        let items: Vec<String> = l.special_items.iter().map(u8::to_string).collect();
        for (col, text) in [
            l.occurred_at.as_str(),
            l.case_number.as_str(),
            l.intervener.as_str(),
            l.form_zh.as_str(),
            &items.join("、"),
            if l.serious { "是" } else { "" },
            l.next_zh.as_str(),
        ]
        .iter()
        .enumerate()
        {
            sheet.write_string(row, col as u16, *text)?;
        }
    }
    for (col, width) in [(0, 18), (1, 24), (2, 36), (3, 10), (4, 12), (5, 8), (6, 30)] {
        sheet.set_column_width(col, width)?;
    }
    Ok(())
}

/// The workbook of a quarterly report.
pub fn quarterly_xlsx(report: &QuarterlyReport) -> Result<Vec<u8>, XlsxError> {
    let a = &report.analysis;
    let mut book = Workbook::new();
    let summary = book.add_worksheet();
    summary.set_name("概况")?;
    let bold = Format::new().set_bold();
    let title = format!("{}{}领导干部过问案件情况分析", report.court_name, a.label_zh);
    for_print(summary, false)?;
    summary.merge_range(0, 0, 0, 1, &title, &Format::new().set_bold().set_font_size(14))?;
    let recipients = |r: &[crate::routing::Recipient]| r.iter().map(|x| x.name.as_str()).collect::<Vec<_>>().join("、");
    let rows: Vec<(&str, String)> = vec![
        ("统计期间（北京时间）", format!("{} 至 {}", a.from, a.to)),
        ("主送", recipients(&report.routing.main)),
        ("涉及同级主要领导的单独报送", recipients(&report.routing.main_leaders_part)),
        ("本季度", a.total.to_string()),
        ("上一季度", a.previous_quarter_total.to_string()),
        ("去年同期", a.same_quarter_last_year_total.to_string()),
        ("涉及专项报告情形", a.entries_with_special_items.to_string()),
        ("情节严重", a.serious.len().to_string()),
        ("零报告", if a.zero_report { "是：本季度没有领导干部过问案件的记录".into() } else { "否".into() }),
    ];
    for (i, (label, value)) in rows.iter().enumerate() {
        let row = i as u32 + 2;
        summary.write_string_with_format(row, 0, *label, &bold)?;
        match value.parse::<f64>() {
            Ok(n) => summary.write_number(row, 1, n)?,
            Err(_) => summary.write_string(row, 1, value)?,
        };
    }
    summary.set_column_width(0, 28)?;
    summary.set_column_width(1, 60)?;
    counts(&mut book, "按专项报告情形", "第七条情形", &a.by_special_item)?;
    counts(&mut book, "按单位类别", "单位类别", &a.by_unit_type)?;
    counts(&mut book, "按干部管理权限", "干部管理权限", &a.by_managing_level)?;
    counts(&mut book, "按过问方式", "过问方式", &a.by_form)?;
    counts(&mut book, "按所处环节", "环节", &a.by_stage)?;
    counts(&mut book, "按案件类型", "案件类型", &a.by_case_type)?;
    counts(&mut book, "处理情况", "处理情况", &a.by_handling)?;
    counts(&mut book, "甄别情况", "甄别结论", &a.by_screening)?;
    counts(&mut book, "按法院", "法院", &a.by_court)?;
    let repeats = book.add_worksheet();
    repeats.set_name("多次过问人员")?;
    header(repeats, &["姓名", "单位", "职务", "累计", "本季度", "涉及案件", "季度"])?;
    for (i, p) in a.repeat_interveners.iter().enumerate() {
        let row = i as u32 + 1;
        repeats.write_string(row, 0, &p.name)?;
        repeats.write_string(row, 1, &p.unit)?;
        repeats.write_string(row, 2, &p.post)?;
        repeats.write_number(row, 3, p.total as f64)?;
        repeats.write_number(row, 4, p.this_quarter as f64)?;
        repeats.write_string(row, 5, p.cases.join("、"))?;
        repeats.write_string(row, 6, p.quarters.join("、"))?;
    }
    lines(&mut book, "情节严重", &a.serious)?;
    lines(&mut book, "专项报告情形逐条", &a.special_items)?;
    lines(&mut book, "同级主要领导（单独报送）", &a.main_leaders)?;
    book.save_to_buffer()
}

/// What the approval adds to a report's documents.
#[derive(Debug, Clone)]
pub struct DocumentMeta {
    /// 发文字号, given when the report is sealed.
    pub number: Option<String>,
    /// 签发人: the approving leader.
    pub signer: Option<String>,
    pub date: time::Date,
    pub draft: bool,
    /// For a correction: the sentence naming the report it replaces, first in the body.
    pub corrects: Option<String>,
}

/// An inspection of a court below (督促检查, R10), as a half-year report lists it.
#[derive(Debug, Clone)]
pub struct InspectionNote {
    pub court: String,
    pub on: String,
    pub subject: String,
    pub findings: String,
}

const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// Headings numbered in order: 一、二、… and, below each, （一）（二）….
struct Numbering {
    blocks: Vec<Block>,
    first: usize,
    second: usize,
}

impl Numbering {
    fn heading(&mut self, text: &str) {
        self.blocks.push(Block::Heading(format!("{}、{text}", NUMERALS[self.first.min(9)])));
        self.first += 1;
        self.second = 0;
    }
    fn subheading(&mut self, text: &str) {
        self.blocks.push(Block::Subheading(format!("（{}）{text}", NUMERALS[self.second.min(9)])));
        self.second += 1;
    }
    fn paragraph(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Paragraph(text.into()));
    }
}

fn count_rows(counts: &[Count]) -> Vec<Vec<String>> {
    counts.iter().filter(|c| c.count > 0).map(|c| vec![c.zh.clone(), c.count.to_string()]).collect()
}

fn line_table(lines: &[Line]) -> Block {
    Block::Table {
        columns: ["过问时间", "案号", "过问人", "方式", "情形", "应当移送"].map(String::from).to_vec(),
        rows: lines
            .iter()
            .map(|l| {
                let items: Vec<String> = l.special_items.iter().map(u8::to_string).collect();
                vec![
                    l.occurred_at.clone(),
                    l.case_number.clone(),
                    l.intervener.clone(),
                    l.form_zh.clone(),
                    if l.serious { format!("{}（情节严重）", items.join("、")) } else { items.join("、") },
                    l.next_zh.clone(),
                ]
            })
            .collect(),
    }
}

/// The report as official documents: the main one to the routing's recipients and, when entries
/// involve the same-level main leaders, the separate part to theirs (R8, C7).
pub fn quarterly_documents(
    report: &QuarterlyReport,
    narrative: &str,
    inspections: &[InspectionNote],
    meta: &DocumentMeta,
) -> (OfficialDocument, Option<OfficialDocument>) {
    let a = &report.analysis;
    let half_year = a.period.contains('H');
    let period = if half_year { "本半年" } else { "本季度" };
    let mut n = Numbering { blocks: Vec::new(), first: 0, second: 0 };
    if let Some(corrects) = &meta.corrects {
        n.paragraph(corrects.clone());
    }
    n.paragraph(format!(
        "根据《领导干部干预司法活动、插手具体案件处理的记录、通报和责任追究规定》和《人民法院落实〈领导干部干预司法活动、插手具体案件处理的记录、通报和责任追究规定〉的实施办法》的要求，现将{}{}领导干部过问案件情况报告如下。",
        report.court_name, a.label_zh
    ));
    n.heading("基本情况");
    if a.zero_report {
        n.paragraph(format!(
            "{period}（{} 至 {}，北京时间），本院{}外部人员过问信息专库中没有领导干部过问案件的记录，特此零报告。",
            a.from,
            a.to,
            if a.by_court.len() > 1 { "及辖区法院" } else { "" }
        ));
    } else {
        n.paragraph(format!(
            "{period}（{} 至 {}，北京时间），专库共记录领导干部过问案件情况{}条，{}{}条，去年同期{}条。其中，涉及《规定》第七条所列专项报告情形的{}条，情节严重、须立即报告的{}条；涉及同级党委、政法委主要领导的{}条，已另行单独报送。",
            a.from,
            a.to,
            a.total,
            if half_year { "上一个半年" } else { "上一季度" },
            a.previous_quarter_total,
            a.same_quarter_last_year_total,
            a.entries_with_special_items,
            a.serious.len(),
            a.main_leaders.len(),
        ));
        n.heading("分类情况");
        let charts: [(&str, &[Count], bool); 9] = [
            ("按第七条专项报告情形", &a.by_special_item, true),
            ("按过问人单位类别", &a.by_unit_type, true),
            ("按干部管理权限", &a.by_managing_level, false),
            ("按过问方式", &a.by_form, true),
            ("按案件所处环节", &a.by_stage, false),
            ("按案件类型", &a.by_case_type, false),
            ("处理情况", &a.by_handling, false),
            ("甄别情况", &a.by_screening, false),
            ("按法院", &a.by_court, a.by_court.len() > 1),
        ];
        for (title, counts, with_chart) in charts {
            let rows = count_rows(counts);
            if rows.is_empty() || (title == "按法院" && a.by_court.len() < 2) {
                continue;
            }
            n.subheading(title);
            if with_chart && let Some(svg) = crate::chart::bar_chart("", counts, false) {
                n.blocks.push(Block::Chart(svg));
            }
            n.blocks.push(Block::Table { columns: vec!["类别".into(), "条数".into()], rows });
        }
        if !a.repeat_interveners.is_empty() {
            n.heading("多次过问的人员");
            n.blocks.push(Block::Table {
                columns: ["姓名", "单位、职务", "累计", "本期", "涉及案件"].map(String::from).to_vec(),
                rows: a
                    .repeat_interveners
                    .iter()
                    .map(|p| {
                        vec![
                            p.name.clone(),
                            format!("{}，{}", p.unit, p.post),
                            p.total.to_string(),
                            p.this_quarter.to_string(),
                            p.cases.join("、"),
                        ]
                    })
                    .collect(),
            });
        }
        if !a.special_items.is_empty() {
            n.heading("专项报告情形逐条列明");
            n.blocks.push(line_table(&a.special_items));
        }
    }
    if !inspections.is_empty() {
        n.heading("督促检查情况");
        for i in inspections {
            n.paragraph(format!("{}，对{}开展督促检查（{}）：{}", i.on, i.court, i.subject, i.findings));
        }
    }
    if !narrative.trim().is_empty() {
        n.heading("分析和工作建议");
        for p in narrative.lines().map(str::trim).filter(|p| !p.is_empty()) {
            n.paragraph(p);
        }
    }
    n.paragraph("特此报告。");
    let names = |r: &[crate::routing::Recipient]| r.iter().map(|x| x.name.clone()).collect::<Vec<_>>();
    let subject = if half_year {
        format!("{}贯彻落实领导干部干预司法活动记录、通报和责任追究规定情况", a.label_zh)
    } else {
        format!("{}领导干部过问案件情况", a.label_zh)
    };
    let main = OfficialDocument {
        issuer: report.court_name.clone(),
        number: meta.number.clone(),
        signer: meta.signer.clone(),
        title: format!(
            "{}关于{subject}的报告{}",
            report.court_name,
            if meta.corrects.is_some() { "（更正）" } else { "" }
        ),
        addressees: names(&report.routing.main),
        body: n.blocks,
        attachments: if a.zero_report {
            vec![]
        } else {
            vec!["领导干部过问案件情况分类统计表（电子表格）".into()]
        },
        date: crate::document::date_zh(meta.date),
        copy_to: vec![],
        draft: meta.draft,
    };
    let part = (!a.main_leaders.is_empty()).then(|| {
        let mut n = Numbering { blocks: Vec::new(), first: 0, second: 0 };
        n.paragraph(format!(
            "根据《规定》第七条，现将{}{}涉及同级党委、政法委主要领导过问案件的情况单独报告如下。",
            report.court_name, a.label_zh
        ));
        n.heading("基本情况");
        n.paragraph(format!("{period}共{}条。", a.main_leaders.len()));
        n.heading("逐条情况");
        n.blocks.push(line_table(&a.main_leaders));
        n.paragraph("特此报告。");
        OfficialDocument {
            issuer: report.court_name.clone(),
            number: meta.number.as_ref().map(|x| format!("{x}（单独报送）")),
            signer: meta.signer.clone(),
            title: format!("{}关于{}涉及同级党委、政法委主要领导过问案件情况的报告", report.court_name, a.label_zh),
            addressees: names(&report.routing.main_leaders_part),
            body: n.blocks,
            attachments: vec![],
            date: crate::document::date_zh(meta.date),
            copy_to: vec![],
            draft: meta.draft,
        }
    });
    (main, part)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::{CourtNode, route};

    fn zero_report() -> QuarterlyReport {
        let court =
            CourtNode {
                id: "b".into(), name: "示例市甲区人民法院".into(), level: liuhen_rules::CourtLevel::Basic
            };
        let up = CourtNode {
            id: "m".into(),
            name: "示例市中级人民法院".into(),
            level: liuhen_rules::CourtLevel::Intermediate,
        };
        QuarterlyReport {
            court_name: court.name.clone(),
            analysis: crate::analyse(
                "b",
                crate::Quarter { year: 2026, q: 2 },
                &[],
                &Default::default(),
                &Default::default(),
            ),
            routing: route(&court, &[up]),
        }
    }

    fn texts(doc: &OfficialDocument) -> Vec<String> {
        doc.body
            .iter()
            .filter_map(|b| match b {
                Block::Paragraph(t) | Block::Heading(t) | Block::Subheading(t) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_quarter_without_entries_is_reported_as_a_zero_report() {
        let meta = DocumentMeta {
            number: None,
            signer: None,
            date: time::macros::date!(2026 - 07 - 03),
            draft: true,
            corrects: None,
        };
        let (doc, part) = quarterly_documents(&zero_report(), "", &[], &meta);
        assert!(part.is_none(), "no entries on main leaders, no separate part");
        let body = texts(&doc);
        assert!(body.iter().any(|t| t.contains("特此零报告")), "{body:?}");
        assert!(!body.iter().any(|t| t.contains("分类情况")));
        assert!(doc.attachments.is_empty());
        assert_eq!(doc.addressees, ["示例市甲区党委政法委", "示例市中级人民法院"]);
        assert_eq!(doc.date, "2026年7月3日");
    }

    #[test]
    fn a_correction_says_so_in_its_title_and_first_paragraph() {
        let meta = DocumentMeta {
            number: Some("示0101法〔2026〕4号".into()),
            signer: Some("李某".into()),
            date: time::macros::date!(2026 - 07 - 10),
            draft: false,
            corrects: Some("本报告更正本院2026年7月3日报送的同期报告".into()),
        };
        let (doc, _) = quarterly_documents(&zero_report(), "", &[], &meta);
        assert!(doc.title.ends_with("领导干部过问案件情况的报告（更正）"), "{}", doc.title);
        assert!(texts(&doc)[0].starts_with("本报告更正本院"));
    }
}
