//! Where a report goes, computed from the court hierarchy and never typed (R8, C7, R13):
//! - the quarterly report: to the same-level 党委政法委 and to the court one level up;
//! - entries involving a main leader of the same-level Party committee or political-legal committee:
//!   as a separate part, to the political-legal committee one level up and the court one level up;
//! - the Supreme People's Court's own: to the central political-legal committee;
//! - each entry also says which Party committee manages the cadre (C7 ¶2), where it must go next.

use liuhen_rules::{CourtLevel, Listed, ManagingLevel};
use serde::Serialize;

/// A court as routing needs it: its name and level, and the court above.
#[derive(Debug, Clone)]
pub struct CourtNode {
    pub id: String,
    pub name: String,
    pub level: CourtLevel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Recipient {
    /// `political_legal_committee` or `court`.
    pub kind: String,
    /// For a court, its id; for a committee, the court whose same-level committee it is.
    pub court_id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Routing {
    /// Where the report goes.
    pub main: Vec<Recipient>,
    /// Where the separate part on same-level main leaders goes (R8, C7).
    pub main_leaders_part: Vec<Recipient>,
}

/// The political-legal committee at the level of `court`: the committee of the Party committee of
/// the court's area (示例市甲区人民法院 → 示例市甲区党委政法委); the SPC's is the central one.
pub fn committee_of(court: &CourtNode) -> Recipient {
    let name = if court.level == CourtLevel::Supreme {
        "中央政法委".to_string()
    } else {
        let area = ["高级人民法院", "中级人民法院", "人民法院"]
            .iter()
            .find_map(|suffix| court.name.strip_suffix(suffix))
            .unwrap_or(&court.name);
        // 北京市第一中级人民法院 sits in 北京市: its committee is the city's.
        let area = match area.rfind('第') {
            Some(at) if area[at + '第'.len_utf8()..].chars().all(|c| "一二三四五六七八九十".contains(c)) => {
                &area[..at]
            }
            _ => area,
        };
        format!("{area}党委政法委")
    };
    Recipient { kind: "political_legal_committee".into(), court_id: court.id.clone(), name }
}

fn court(c: &CourtNode) -> Recipient {
    Recipient { kind: "court".into(), court_id: c.id.clone(), name: c.name.clone() }
}

/// Where the quarterly report of `reporting` goes; `chain` is the courts above it, nearest first.
pub fn route(reporting: &CourtNode, chain: &[CourtNode]) -> Routing {
    match chain.first() {
        // The SPC: its own go to the central political-legal committee, the main leaders' part too.
        None => Routing { main: vec![committee_of(reporting)], main_leaders_part: vec![committee_of(reporting)] },
        Some(up) => Routing {
            main: vec![committee_of(reporting), court(up)],
            main_leaders_part: vec![committee_of(up), court(up)],
        },
    }
}

/// C7 ¶2, R13: the Party committee that manages the cadre, where the entry must go next.
pub fn next_for(level: Option<ManagingLevel>) -> (&'static str, &'static str) {
    match level {
        Some(ManagingLevel::Central) => {
            ("党中央（中央纪委、中央组织部）", "the Central Committee (its discipline and organisation departments)")
        }
        Some(ManagingLevel::Provincial) => ("省级党委（省纪委、省委组织部）", "the provincial Party committee"),
        Some(ManagingLevel::Municipal) => ("市级党委（市纪委、市委组织部）", "the municipal Party committee"),
        Some(ManagingLevel::County) => ("县级党委（县纪委、县委组织部）", "the county Party committee"),
        Some(ManagingLevel::OtherOrganisation) => {
            ("管理该干部的党组织", "the Party organisation that manages the cadre")
        }
        Some(ManagingLevel::Unknown) | None => {
            ("干部管理权限不详，由政法委确定", "managing level unknown: for the political-legal committee to determine")
        }
    }
}

/// A level's name, for labels.
pub fn level_name(level: ManagingLevel) -> &'static str {
    level.zh()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, name: &str, level: CourtLevel) -> CourtNode {
        CourtNode { id: id.into(), name: name.into(), level }
    }

    #[test]
    fn a_basic_court_reports_to_its_committee_and_the_court_above() {
        let basic = node("b", "示例市甲区人民法院", CourtLevel::Basic);
        let mid = node("m", "示例市中级人民法院", CourtLevel::Intermediate);
        let high = node("h", "示例省高级人民法院", CourtLevel::High);
        let r = route(&basic, &[mid.clone(), high]);
        assert_eq!(
            r.main.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
            ["示例市甲区党委政法委", "示例市中级人民法院"]
        );
        // R8, C7: the same-level main leaders' part goes one level up, to the committee and court.
        assert_eq!(
            r.main_leaders_part.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
            ["示例市党委政法委", "示例市中级人民法院"]
        );
    }

    #[test]
    fn the_supreme_peoples_court_reports_to_the_central_committee() {
        let spc = node("spc", "最高人民法院", CourtLevel::Supreme);
        let r = route(&spc, &[]);
        assert_eq!(r.main[0].name, "中央政法委");
        assert_eq!(r.main_leaders_part[0].name, "中央政法委");
        let high = node("h", "示例省高级人民法院", CourtLevel::High);
        assert_eq!(route(&high, &[spc]).main[0].name, "示例省党委政法委");
        let numbered = node("m1", "示例市第一中级人民法院", CourtLevel::Intermediate);
        assert_eq!(committee_of(&numbered).name, "示例市党委政法委");
    }

    #[test]
    fn each_entry_goes_next_to_the_committee_that_manages_the_cadre() {
        assert!(next_for(Some(ManagingLevel::Provincial)).0.starts_with("省级党委"));
        assert!(next_for(None).0.contains("不详"));
    }
}
