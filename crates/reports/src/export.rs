//! Reports as files (issue 6): the quarterly analysis as an XLSX workbook with a sheet for the
//! summary and routing and one for each breakdown and list, in Chinese.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::quarterly::Line;
use crate::{Count, QuarterlyReport};

fn header(sheet: &mut Worksheet, titles: &[&str]) -> Result<(), XlsxError> {
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
    summary.write_string_with_format(0, 0, &title, &Format::new().set_bold().set_font_size(14))?;
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
