//! 案号 — case numbers under the SPC rules on case numbers (《关于人民法院案件案号的若干规定》):
//! （收案年度）+ 法院代字 + [专门审判代字] + 类型代字 + 编号 + 号.
//! 法院代字: 最高法 for the Supreme People's Court; a province abbreviation for a high court; the
//! abbreviation and 2 digits for an intermediate court; the abbreviation and 4 digits for a basic court.

use serde::Serialize;

use crate::lists::CourtLevel;

/// A case number taken apart. `text` is the normalised form (full-width parentheses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseNumber {
    pub text: String,
    pub year: u16,
    pub court_code: String,
    /// The province (or 兵 for the Production and Construction Corps, 军 for military courts);
    /// 最高法 for the Supreme People's Court.
    pub region: String,
    pub court_level: CourtLevel,
    pub special_trial_code: Option<String>,
    pub case_type_code: String,
    /// The name of the case type where the code is in the table, e.g. 民事一审.
    pub case_type_name: Option<String>,
    /// The broad category: 刑事, 民事, 行政, 执行 …
    pub case_category: String,
    pub sequence: u32,
}

/// Why a case number was refused: a stable code and a message in each language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseNumberError {
    pub code: &'static str,
    pub zh: String,
    pub en: String,
}

fn err(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> CaseNumberError {
    CaseNumberError { code, zh: zh.into(), en: en.into() }
}

/// Abbreviations used as 法院代字 (provinces, autonomous regions, municipalities, the Corps, military).
const REGIONS: &[&str] = &[
    "京", "津", "冀", "晋", "内", "辽", "吉", "黑", "沪", "苏", "浙", "皖", "闽", "赣", "鲁", "豫", "鄂", "湘", "粤",
    "桂", "琼", "渝", "川", "黔", "云", "藏", "陕", "甘", "青", "宁", "新", "兵", "军",
];

/// 专门审判代字 (e.g. 知 for the SPC's intellectual-property tribunal).
const SPECIAL_TRIAL_CODES: &[&str] = &["知"];

/// 类型代字 with their names. The table covers the types a court meets in this register; a code not
/// in it is accepted when its category prefix is known, so a rare type never blocks a clerk.
const CASE_TYPES: &[(&str, &str)] = &[
    ("刑初", "刑事一审"),
    ("刑终", "刑事二审"),
    ("刑核", "刑事复核"),
    ("刑申", "刑事申诉审查"),
    ("刑再", "刑事再审"),
    ("刑抗", "刑事抗诉"),
    ("刑更", "刑罚变更（减刑、假释）"),
    ("刑医", "强制医疗"),
    ("刑医解", "解除强制医疗"),
    ("刑没", "违法所得没收"),
    ("刑他", "其他刑事"),
    ("刑辖", "刑事管辖"),
    ("刑监", "刑事审判监督"),
    ("民初", "民事一审"),
    ("民终", "民事二审"),
    ("民申", "民事申请再审审查"),
    ("民再", "民事再审"),
    ("民抗", "民事抗诉"),
    ("民监", "民事审判监督"),
    ("民特", "民事特别程序"),
    ("民催", "公示催告"),
    ("民督", "督促程序"),
    ("民撤", "第三人撤销之诉"),
    ("民他", "其他民事"),
    ("民辖", "民事管辖"),
    ("民辖终", "民事管辖上诉"),
    ("民辖监", "民事管辖监督"),
    ("行初", "行政一审"),
    ("行终", "行政二审"),
    ("行申", "行政申请再审审查"),
    ("行再", "行政再审"),
    ("行抗", "行政抗诉"),
    ("行监", "行政审判监督"),
    ("行审", "非诉行政执行审查"),
    ("行审复", "非诉行政执行审查复议"),
    ("行他", "其他行政"),
    ("行辖", "行政管辖"),
    ("行辖终", "行政管辖上诉"),
    ("行赔初", "行政赔偿一审"),
    ("行赔终", "行政赔偿二审"),
    ("执", "首次执行"),
    ("执恢", "恢复执行"),
    ("执保", "财产保全执行"),
    ("执异", "执行异议"),
    ("执复", "执行复议"),
    ("执监", "执行监督"),
    ("执协", "执行协调"),
    ("执他", "其他执行"),
    ("财保", "诉前财产保全"),
    ("行保", "行政非诉保全"),
    ("证保", "证据保全"),
    ("破申", "破产申请审查"),
    ("破", "破产"),
    ("破终", "破产上诉"),
    ("破监", "破产监督"),
    ("强清", "强制清算"),
    ("清申", "强制清算申请审查"),
    ("强清终", "强制清算上诉"),
    ("法赔", "法院作为赔偿义务机关"),
    ("委赔", "赔偿委员会审理赔偿"),
    ("委赔监", "赔偿监督"),
    ("委赔提", "赔偿监督提审"),
    ("委赔再", "赔偿重审"),
    ("司救刑", "刑事司法救助"),
    ("司救民", "民事司法救助"),
    ("司救行", "行政司法救助"),
    ("司救执", "执行司法救助"),
    ("司救访", "涉诉信访司法救助"),
    ("司救赔", "国家赔偿司法救助"),
    ("司惩", "司法制裁"),
    ("司惩复", "司法制裁复议"),
    ("认港", "认可与执行香港特区判决"),
    ("认澳", "认可与执行澳门特区判决"),
    ("认台", "认可与执行台湾地区判决"),
    ("协外认", "承认与执行外国判决"),
];

/// Category prefixes of 类型代字, longest first so that 司救 wins over 司.
const CATEGORIES: &[(&str, &str)] = &[
    ("司救", "司法救助"),
    ("司惩", "司法制裁"),
    ("法赔", "国家赔偿"),
    ("委赔", "国家赔偿"),
    ("强清", "强制清算"),
    ("清申", "强制清算"),
    ("财保", "非诉保全"),
    ("证保", "非诉保全"),
    ("行保", "非诉保全"),
    ("刑", "刑事"),
    ("民", "民事"),
    ("行", "行政"),
    ("执", "执行"),
    ("破", "破产"),
    ("赔", "国家赔偿"),
    ("认", "区际司法协助"),
    ("请", "司法协助"),
    ("协", "国际司法协助"),
    ("港", "区际司法协助"),
    ("澳", "区际司法协助"),
    ("台", "区际司法协助"),
    ("外", "国际司法协助"),
];

fn category_of(type_code: &str) -> Option<&'static str> {
    CATEGORIES.iter().find(|(p, _)| type_code.starts_with(p)).map(|(_, c)| *c)
}

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// Parse a case number. Half-width parentheses are accepted and normalised, since clerks type them.
pub fn parse_case_number(input: &str) -> Result<CaseNumber, CaseNumberError> {
    parse_case_number_with(input, &[])
}

/// As [`parse_case_number`], also accepting extra region abbreviations a deployment configures
/// (S11; the demo's fictional 示例省 uses 示).
pub fn parse_case_number_with(input: &str, extra_regions: &[String]) -> Result<CaseNumber, CaseNumberError> {
    parse(input, |region| REGIONS.contains(&region) || extra_regions.iter().any(|r| r == region))
}

/// The parts of a case number that was accepted when its record was made. Which regions count was
/// checked then, against that day's configuration; what is derived from a stored record (its
/// projection rows, a rebuild, a report) must not change when the configuration does, or a rebuild
/// would differ from the tables and look like tampering.
pub fn parse_recorded_case_number(input: &str) -> Result<CaseNumber, CaseNumberError> {
    parse(input, |_| true)
}

fn parse(input: &str, known_region: impl Fn(&str) -> bool) -> Result<CaseNumber, CaseNumberError> {
    let s: String = input
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '(' => '（',
            ')' => '）',
            c => c,
        })
        .collect();
    if s.is_empty() {
        return Err(err("empty", "案号为空", "the case number is empty"));
    }
    let rest = s.strip_prefix('（').ok_or_else(|| {
        err(
            "year_missing",
            "案号应以括号中的收案年度开头，如（2024）",
            "a case number begins with the year in parentheses, e.g. （2024）",
        )
    })?;
    let (year_text, rest) = rest.split_once('）').ok_or_else(|| {
        err("year_missing", "收案年度后缺少右括号“）”", "the closing parenthesis after the year is missing")
    })?;
    if year_text.len() != 4 || !year_text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(
            "year_invalid",
            format!("收案年度“{year_text}”应为四位阿拉伯数字"),
            format!("the year \"{year_text}\" must be four digits"),
        ));
    }
    let year: u16 = year_text.parse().expect("four ascii digits");
    if !(1950..=2100).contains(&year) {
        return Err(err(
            "year_invalid",
            format!("收案年度 {year} 不在合理范围内"),
            format!("the year {year} is out of range"),
        ));
    }

    let (region, court_digits, level, rest) = if let Some(r) = rest.strip_prefix("最高法") {
        ("最高法".to_string(), String::new(), CourtLevel::Supreme, r)
    } else {
        let first =
            rest.chars().next().ok_or_else(|| err("court_missing", "缺少法院代字", "the court code is missing"))?;
        let region = first.to_string();
        if !known_region(&region) {
            return Err(err(
                "court_invalid",
                format!("法院代字应以最高法或省级行政区简称开头，“{first}”不是"),
                format!("the court code must start with 最高法 or a province abbreviation; \"{first}\" is neither"),
            ));
        }
        let after = &rest[first.len_utf8()..];
        let digits: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
        let level = match digits.len() {
            0 => CourtLevel::High,
            2 => CourtLevel::Intermediate,
            4 => CourtLevel::Basic,
            n => {
                return Err(err(
                    "court_invalid",
                    format!(
                        "法院代字“{region}{digits}”的数字为 {n} 位：高级法院不带数字，中级法院 2 位，基层法院 4 位"
                    ),
                    format!(
                        "the court code \"{region}{digits}\" has {n} digits: none for a high court, 2 for an intermediate court, 4 for a basic court"
                    ),
                ));
            }
        };
        let rest = &after[digits.len()..];
        (region, digits, level, rest)
    };
    let court_code = format!("{region}{court_digits}");

    let body = rest
        .strip_suffix('号')
        .ok_or_else(|| err("suffix_missing", "案号应以“号”结尾", "a case number ends with 号"))?;
    let seq_start = body.char_indices().rev().take_while(|(_, c)| c.is_ascii_digit()).last().map(|(i, _)| i);
    let Some(seq_start) = seq_start else {
        return Err(err(
            "sequence_missing",
            "“号”前缺少案件编号（阿拉伯数字）",
            "the sequence number (digits) before 号 is missing",
        ));
    };
    let (type_part, seq_text) = body.split_at(seq_start);
    if seq_text.starts_with('0') {
        return Err(err(
            "sequence_invalid",
            format!("案件编号“{seq_text}”不应以 0 开头"),
            format!("the sequence \"{seq_text}\" must not start with 0"),
        ));
    }
    let sequence: u32 = seq_text.parse().map_err(|_| {
        err("sequence_invalid", format!("案件编号“{seq_text}”过长"), format!("the sequence \"{seq_text}\" is too long"))
    })?;
    if type_part.is_empty() {
        return Err(err(
            "type_missing",
            "缺少类型代字（如民初、刑终、执）",
            "the case-type code (e.g. 民初, 刑终, 执) is missing",
        ));
    }
    if !type_part.chars().all(is_han) {
        return Err(err(
            "type_invalid",
            format!("类型代字“{type_part}”只能由汉字组成"),
            format!("the case-type code \"{type_part}\" must consist of Chinese characters only"),
        ));
    }

    let (special, type_code) = match SPECIAL_TRIAL_CODES.iter().find(|sp| type_part.starts_with(**sp)) {
        Some(sp) if category_of(&type_part[sp.len()..]).is_some() => (Some(sp.to_string()), &type_part[sp.len()..]),
        _ => (None, type_part),
    };
    let case_category = category_of(type_code).ok_or_else(|| {
        err(
            "type_invalid",
            format!("类型代字“{type_code}”不在案号规定的类型代字表中"),
            format!("the case-type code \"{type_code}\" is not in the table of case-type codes"),
        )
    })?;
    let case_type_name = CASE_TYPES.iter().find(|(c, _)| *c == type_code).map(|(_, n)| n.to_string());
    if type_code.chars().count() > 5 {
        return Err(err(
            "type_invalid",
            format!("类型代字“{type_code}”过长"),
            format!("the case-type code \"{type_code}\" is too long"),
        ));
    }

    Ok(CaseNumber {
        text: s.clone(),
        year,
        court_code,
        region,
        court_level: level,
        special_trial_code: special,
        case_type_code: type_code.to_string(),
        case_type_name,
        case_category: case_category.to_string(),
        sequence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_court_enforcement_objection() {
        let c = parse_case_number("（2021）京0105执异4546号").unwrap();
        assert_eq!(c.year, 2021);
        assert_eq!(c.court_code, "京0105");
        assert_eq!(c.court_level, CourtLevel::Basic);
        assert_eq!(c.special_trial_code, None);
        assert_eq!(c.case_type_code, "执异");
        assert_eq!(c.case_type_name.as_deref(), Some("执行异议"));
        assert_eq!(c.case_category, "执行");
        assert_eq!(c.sequence, 4546);
    }

    #[test]
    fn supreme_court_ip_tribunal() {
        let c = parse_case_number("（2021）最高法知民终1469号").unwrap();
        assert_eq!(c.court_code, "最高法");
        assert_eq!(c.court_level, CourtLevel::Supreme);
        assert_eq!(c.special_trial_code.as_deref(), Some("知"));
        assert_eq!(c.case_type_code, "民终");
        assert_eq!(c.sequence, 1469);
    }

    #[test]
    fn basic_court_civil_first_instance() {
        let c = parse_case_number("（2024）甘0191民初4488号").unwrap();
        assert_eq!((c.region.as_str(), c.court_level, c.case_type_code.as_str()), ("甘", CourtLevel::Basic, "民初"));
    }

    #[test]
    fn intermediate_and_high_courts() {
        assert_eq!(parse_case_number("（2023）沪01刑终12号").unwrap().court_level, CourtLevel::Intermediate);
        assert_eq!(parse_case_number("（2023）苏刑再3号").unwrap().court_level, CourtLevel::High);
        assert_eq!(parse_case_number("（2022）京执1号").unwrap().case_type_code, "执");
    }

    #[test]
    fn configured_regions_are_accepted() {
        assert!(parse_case_number("（2026）示0101民初1号").is_err());
        let c = parse_case_number_with("（2026）示0101民初1号", &["示".to_string()]).unwrap();
        assert_eq!(c.court_code, "示0101");
    }

    #[test]
    fn half_width_parentheses_are_normalised() {
        let c = parse_case_number(" (2024)甘0191民初4488号 ").unwrap();
        assert_eq!(c.text, "（2024）甘0191民初4488号");
    }

    #[test]
    fn rare_type_with_known_category_is_accepted_without_a_name() {
        let c = parse_case_number("（2024）京0105民诉前调1号").unwrap();
        assert_eq!(c.case_category, "民事");
        assert_eq!(c.case_type_name, None);
    }

    #[test]
    fn malformed_numbers_say_what_is_wrong() {
        let cases = [
            ("2021京0105执异4546号", "year_missing"),
            ("（21）京0105执异4546号", "year_invalid"),
            ("（2021）X0105执异4546号", "court_invalid"),
            ("（2021）京105执异4546号", "court_invalid"),
            ("（2021）京0105执异4546", "suffix_missing"),
            ("（2021）京0105执异号", "sequence_missing"),
            ("（2021）京0105执异0046号", "sequence_invalid"),
            ("（2021）京01054546号", "court_invalid"),
            ("（2021）最高法1469号", "type_missing"),
            ("（2021）京0105abc4546号", "type_invalid"),
            ("（2021）京0105某某4546号", "type_invalid"),
            ("", "empty"),
        ];
        for (input, code) in cases {
            let e = parse_case_number(input).expect_err(input);
            assert_eq!(e.code, code, "{input}: {}", e.zh);
            assert!(!e.zh.is_empty() && !e.en.is_empty());
        }
    }
}
