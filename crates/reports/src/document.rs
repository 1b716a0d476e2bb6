//! Reports as Chinese official documents (公文), laid out after GB/T 9704-2012: A4 with the text
//! area 156 × 225 mm (top 37 mm, inside 28 mm), the issuing organ's mark in red above a red rule,
//! 发文字号 and, for a report to a superior (上行文), 签发人; the title centred in 2号 小标宋, the
//! addressees flush left, the body in 3号 仿宋 at 22 lines a page with two-character indents
//! (一、 in 黑体, （一） in 楷体), tables and charts, 附件说明, the issuer and the date in Arabic
//! numerals, the 版记 with 抄送 and 印发, and page numbers as “— 1 —”.
//!
//! Fonts are named as the standard names them; where a machine lacks them the viewer substitutes
//! (LibreOffice through fontconfig: Noto Serif/Sans CJK from Debian's fonts-noto-cjk).

use docx_rs::{
    AlignmentType, BorderType, Docx, Footer, LineSpacing, LineSpacingType, PageMargin, PageNum, Paragraph,
    ParagraphBorder, ParagraphBorderPosition, ParagraphBorders, Pic, Run, RunFonts, Shading, SpecialIndentType, Tab,
    TabValueType, Table, TableCell, TableRow, WidthType,
};

/// One block of a document's body.
#[derive(Debug, Clone)]
pub enum Block {
    /// A first-level heading, numbered by the caller (“一、基本情况”).
    Heading(String),
    /// A second-level heading (“（一）按单位类别”).
    Subheading(String),
    Paragraph(String),
    Table {
        columns: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// A chart (SVG from [`crate::chart`]), placed as an image.
    Chart(String),
}

/// A document to be issued.
#[derive(Debug, Clone)]
pub struct OfficialDocument {
    /// 发文机关: the court.
    pub issuer: String,
    /// 发文字号, once the report is sealed; a draft shows “（未编号）”.
    pub number: Option<String>,
    /// 签发人: the leader who approved it (a report to a superior names one).
    pub signer: Option<String>,
    pub title: String,
    /// 主送机关.
    pub addressees: Vec<String>,
    pub body: Vec<Block>,
    /// 附件说明, one line each.
    pub attachments: Vec<String>,
    /// 成文日期, as “2026年4月10日”.
    pub date: String,
    /// 抄送机关.
    pub copy_to: Vec<String>,
    /// A draft not yet approved carries a mark saying so above the title.
    pub draft: bool,
}

// Sizes in half-points: 2号 22 pt, 3号 16 pt, 4号 14 pt, 小四 12 pt.
const SIZE_TITLE: usize = 44;
const SIZE_BODY: usize = 32;
const SIZE_SMALL: usize = 28;
const SIZE_TABLE: usize = 24;
/// 22 lines in the 225 mm text area: 28.95 pt a line, in twentieths of a point.
const LINE: i32 = 579;
/// The text area is 156 mm wide, in twips (1 mm = 56.7 twips).
const TEXT_WIDTH: usize = 8845;
const RED: &str = "C00000";
/// Two characters of 3号 (16 pt), in twips: the indent of a paragraph's first line.
const INDENT: i32 = 640;

fn fonts(east_asia: &str) -> RunFonts {
    RunFonts::new().east_asia(east_asia).ascii("Times New Roman").hi_ansi("Times New Roman")
}

fn run(text: &str, font: &str, size: usize) -> Run {
    Run::new().add_text(text).fonts(fonts(font)).size(size)
}

fn line_spacing() -> LineSpacing {
    LineSpacing::new().line_rule(LineSpacingType::Exact).line(LINE)
}

fn body_paragraph(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, "仿宋_GB2312", SIZE_BODY))
        .align(AlignmentType::Both)
        .line_spacing(line_spacing())
        .indent(None, Some(SpecialIndentType::FirstLine(INDENT)), None, None)
}

fn heading(text: &str, font: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, font, SIZE_BODY))
        .line_spacing(line_spacing())
        .indent(None, Some(SpecialIndentType::FirstLine(INDENT)), None, None)
        .keep_next(true)
}

fn rule(color: &str, size: usize) -> ParagraphBorders {
    ParagraphBorders::with_empty()
        .set(ParagraphBorder::new(ParagraphBorderPosition::Bottom).val(BorderType::Single).size(size).color(color))
}

fn table(columns: &[String], rows: &[Vec<String>]) -> Table {
    // The first column takes what the others leave; the others share the rest evenly, a narrow
    // count column for two-column tables.
    let widths: Vec<usize> = match columns.len() {
        0 => vec![],
        1 => vec![TEXT_WIDTH],
        2 => vec![TEXT_WIDTH - 1800, 1800],
        n => {
            let rest = (TEXT_WIDTH - 1700) / (n - 1);
            std::iter::once(TEXT_WIDTH - rest * (n - 1)).chain(std::iter::repeat_n(rest, n - 1)).collect()
        }
    };
    let cell = |text: &str, header: bool, width: usize| {
        let mut p = Paragraph::new().add_run(run(text, if header { "黑体" } else { "仿宋_GB2312" }, SIZE_TABLE));
        if header {
            p = p.align(AlignmentType::Center);
        }
        let c = TableCell::new().add_paragraph(p).width(width, WidthType::Dxa);
        if header { c.shading(Shading::new().fill("F2F2F2")) } else { c }
    };
    let row = |texts: &[String], header: bool| {
        TableRow::new(texts.iter().zip(&widths).map(|(t, w)| cell(t, header, *w)).collect())
    };
    let mut all = vec![row(columns, true)];
    all.extend(rows.iter().map(|r| row(r, false)));
    Table::new(all).set_grid(widths.clone()).width(TEXT_WIDTH, WidthType::Dxa)
}

fn chart(svg: &str) -> Result<Paragraph, String> {
    let (png, w, h) = crate::chart::png(svg, 2.0)?;
    // 150 mm wide, in EMU (36,000 a millimetre), the height in proportion.
    let width_emu: u32 = 150 * 36_000;
    let height_emu = (u64::from(width_emu) * u64::from(h) / u64::from(w)) as u32;
    Ok(Paragraph::new()
        .add_run(Run::new().add_image(Pic::new_with_dimensions(png, w, h).size(width_emu, height_emu)))
        .align(AlignmentType::Center))
}

/// The document as a DOCX file.
pub fn to_docx(doc: &OfficialDocument) -> Result<Vec<u8>, String> {
    let mm = |x: f64| (x * 56.7).round() as i32;
    let footer = Footer::new().add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(run("— ", "宋体", SIZE_SMALL))
            .add_page_num(PageNum::new())
            .add_run(run(" —", "宋体", SIZE_SMALL)),
    );
    let mut d = Docx::new()
        .page_size(11906, 16838)
        .page_margin(PageMargin {
            top: mm(37.0),
            left: mm(28.0),
            bottom: mm(35.0),
            right: mm(26.0),
            header: mm(15.0),
            footer: mm(28.0),
            gutter: 0,
        })
        .default_fonts(fonts("仿宋_GB2312"))
        .default_size(SIZE_BODY)
        .footer(footer);

    // 版头: the issuer's mark in red, 发文字号 and 签发人, the red rule.
    if doc.draft {
        d = d.add_paragraph(
            Paragraph::new().add_run(run("（草稿，未经审批，不得报送）", "黑体", SIZE_SMALL).color(RED)),
        );
    }
    d = d.add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .line_spacing(LineSpacing::new().before(240).after(480))
            .add_run(run(&doc.issuer, "方正小标宋简体", 64).color(RED).character_spacing(20)),
    );
    let number = doc.number.clone().unwrap_or_else(|| "（未编号）".into());
    let mut head = Paragraph::new()
        .line_spacing(line_spacing())
        .set_borders(rule(RED, 16))
        .add_tab(Tab::new().val(TabValueType::Right).pos(TEXT_WIDTH - 320))
        .indent(Some(320), None, None, None)
        .add_run(run(&number, "仿宋_GB2312", SIZE_BODY));
    if let Some(signer) = &doc.signer {
        head = head.add_run(Run::new().add_tab()).add_run(run("签发人：", "仿宋_GB2312", SIZE_BODY)).add_run(run(
            signer,
            "楷体_GB2312",
            SIZE_BODY,
        ));
    }
    d = d.add_paragraph(head);

    // 标题 and 主送机关.
    d = d.add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .line_spacing(LineSpacing::new().before(LINE as u32).after(LINE as u32).line(700))
            .add_run(run(&doc.title, "方正小标宋简体", SIZE_TITLE)),
    );
    if !doc.addressees.is_empty() {
        d = d.add_paragraph(Paragraph::new().line_spacing(line_spacing()).add_run(run(
            &format!("{}：", doc.addressees.join("、")),
            "仿宋_GB2312",
            SIZE_BODY,
        )));
    }

    for block in &doc.body {
        match block {
            Block::Heading(t) => d = d.add_paragraph(heading(t, "黑体")),
            Block::Subheading(t) => d = d.add_paragraph(heading(t, "楷体_GB2312")),
            Block::Paragraph(t) => d = d.add_paragraph(body_paragraph(t)),
            Block::Table { columns, rows } => {
                d = d.add_table(table(columns, rows)).add_paragraph(Paragraph::new().size(SIZE_TABLE))
            }
            Block::Chart(svg) => d = d.add_paragraph(chart(svg)?),
        }
    }

    // 附件说明: a blank line, then “附件：1. …”, the next ones aligned under the first.
    if !doc.attachments.is_empty() {
        d = d.add_paragraph(Paragraph::new().line_spacing(line_spacing()));
        for (i, a) in doc.attachments.iter().enumerate() {
            let lead = if i == 0 { "附件：" } else { "　　　" };
            d = d.add_paragraph(
                Paragraph::new()
                    .line_spacing(line_spacing())
                    .indent(None, Some(SpecialIndentType::FirstLine(INDENT)), None, None)
                    .add_run(run(&format!("{lead}{}. {a}", i + 1), "仿宋_GB2312", SIZE_BODY)),
            );
        }
    }

    // 发文机关署名 and 成文日期, right, four characters in from the margin.
    let right = |text: &str| {
        Paragraph::new()
            .align(AlignmentType::Right)
            .line_spacing(line_spacing())
            .indent(None, None, Some(4 * 320), None)
            .add_run(run(text, "仿宋_GB2312", SIZE_BODY))
    };
    d = d
        .add_paragraph(Paragraph::new().line_spacing(line_spacing()))
        .add_paragraph(Paragraph::new().line_spacing(line_spacing()))
        .add_paragraph(right(&doc.issuer))
        .add_paragraph(right(&doc.date));

    // 版记: 抄送, then 印发机关和印发日期, between rules.
    d = d.add_paragraph(Paragraph::new().line_spacing(line_spacing()));
    let mut first = true;
    let edition = |text: String, top: bool| {
        let mut borders = rule("000000", 8);
        if top {
            borders = borders.set(
                ParagraphBorder::new(ParagraphBorderPosition::Top).val(BorderType::Single).size(8).color("000000"),
            );
        }
        Paragraph::new()
            .line_spacing(line_spacing())
            .set_borders(borders)
            .indent(Some(320), None, Some(320), None)
            .add_run(run(&text, "仿宋_GB2312", SIZE_SMALL))
    };
    if !doc.copy_to.is_empty() {
        d = d.add_paragraph(edition(format!("抄送：{}。", doc.copy_to.join("，")), true));
        first = false;
    }
    let printed = Paragraph::new()
        .line_spacing(line_spacing())
        .set_borders(rule("000000", 8))
        .add_tab(Tab::new().val(TabValueType::Right).pos(TEXT_WIDTH - 320))
        .indent(Some(320), None, None, None)
        .add_run(run(&format!("{}办公室", doc.issuer), "仿宋_GB2312", SIZE_SMALL))
        .add_run(Run::new().add_tab())
        .add_run(run(&format!("{}印发", doc.date), "仿宋_GB2312", SIZE_SMALL));
    let printed =
        if first {
            printed.set_borders(rule("000000", 8).set(
                ParagraphBorder::new(ParagraphBorderPosition::Top).val(BorderType::Single).size(8).color("000000"),
            ))
        } else {
            printed
        };
    d = d.add_paragraph(printed);

    let mut buffer = std::io::Cursor::new(Vec::new());
    d.build().pack(&mut buffer).map_err(|e| format!("docx: {e}"))?;
    Ok(buffer.into_inner())
}

/// A date as an official document writes it: “2026年4月10日”.
pub fn date_zh(date: time::Date) -> String {
    format!("{}年{}月{}日", date.year(), u8::from(date.month()), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document_xml(docx: &[u8]) -> String {
        // The body is the one part a reader needs; unzip it with the zip crate docx-rs brings.
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
        let mut part = archive.by_name("word/document.xml").unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut part, &mut xml).unwrap();
        xml
    }

    #[test]
    fn a_document_has_the_parts_of_an_official_document() {
        let doc = OfficialDocument {
            issuer: "示例市甲区人民法院".into(),
            number: Some("示0101法〔2026〕3号".into()),
            signer: Some("李某".into()),
            title: "示例市甲区人民法院关于2026年第一季度领导干部过问案件情况的报告".into(),
            addressees: vec!["示例市甲区党委政法委".into(), "示例市中级人民法院".into()],
            body: vec![
                Block::Heading("一、基本情况".into()),
                Block::Paragraph("本季度共记录 3 条。".into()),
                Block::Table {
                    columns: vec!["类别".into(), "条数".into()],
                    rows: vec![vec!["口头".into(), "3".into()]],
                },
            ],
            attachments: vec!["分类统计表".into()],
            date: date_zh(time::macros::date!(2026 - 04 - 10)),
            copy_to: vec![],
            draft: false,
        };
        let xml = document_xml(&to_docx(&doc).unwrap());
        for part in [
            "示0101法〔2026〕3号",
            "签发人：",
            "示例市甲区党委政法委、示例市中级人民法院：",
            "一、基本情况",
            "附件：1. 分类统计表",
            "2026年4月10日",
            "示例市甲区人民法院办公室",
            "w:color w:val=\"C00000\"",
            "w:pgMar w:top=\"2098\"",
        ] {
            assert!(xml.contains(part), "{part} missing");
        }
        assert!(!xml.contains("草稿"));
    }
}
