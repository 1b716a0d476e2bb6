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
/// Without a province's additions; see [`route_with`].
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

/// Which part of a report a configured recipient receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingPart {
    /// The report itself.
    #[default]
    Main,
    /// The separate part on the same-level main leaders.
    MainLeaders,
}

/// A recipient a high court adds to the reports of its province (S11, R19): say the
/// discipline-inspection group stationed at the court, or a committee the rules do not name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ExtraRecipient {
    /// The high court (or the SPC) making the rule: it applies to that court's reports and to
    /// those of every court below it.
    pub court: String,
    /// Only reports of courts at these levels; every level when empty.
    #[serde(default)]
    pub levels: Vec<CourtLevel>,
    #[serde(default)]
    pub part: RoutingPart,
    pub name: String,
}

/// A province's additions to the routing rules (configuration, `[report_routing]`). The rules of
/// R8 and C7 always apply; these only add to them or name a committee properly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RoutingRules {
    /// The political-legal committee of a court's area by its proper name, where the name made
    /// from the court's name is not right: court id → name.
    #[serde(default)]
    pub committee_names: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub extra: Vec<ExtraRecipient>,
}

/// A court as the rules' check needs it.
pub struct KnownCourt<'a> {
    pub id: &'a str,
    pub level: CourtLevel,
}

impl RoutingRules {
    /// What is wrong with the rules against the courts there are, one line each (in Chinese and
    /// English): unknown courts, a rule made by a court that is not a high court or the SPC,
    /// empty names.
    pub fn problems(&self, courts: &[KnownCourt]) -> Vec<String> {
        let level = |id: &str| courts.iter().find(|c| c.id == id).map(|c| c.level);
        let mut problems = Vec::new();
        for (i, rule) in self.extra.iter().enumerate() {
            let at = format!("report_routing.extra[{i}]");
            match level(&rule.court) {
                None => problems.push(format!("{at}.court：没有编号为 {} 的法院 (no such court)", rule.court)),
                Some(CourtLevel::High | CourtLevel::Supreme) => {}
                Some(_) => problems.push(format!(
                    "{at}.court：报送规则由高级人民法院制定（实施办法第十一条），{} 不是高级人民法院 (only a high court or the SPC extends the routing rules)",
                    rule.court
                )),
            }
            if rule.name.trim().is_empty() {
                problems.push(format!("{at}.name：须写明接收单位名称 (the recipient's name is required)"));
            }
        }
        for (court, name) in &self.committee_names {
            if level(court).is_none() {
                problems.push(format!("report_routing.committee_names.{court}：没有这个法院 (no such court)"));
            }
            if name.trim().is_empty() {
                problems.push(format!("report_routing.committee_names.{court}：名称为空 (the name is empty)"));
            }
        }
        problems
    }
}

/// [`route`] with a province's rules: committees by their configured names, and the recipients a
/// high court added for reports of `reporting` (made by that court or one above it).
pub fn route_with(reporting: &CourtNode, chain: &[CourtNode], rules: &RoutingRules) -> Routing {
    let mut routing = route(reporting, chain);
    for r in routing.main.iter_mut().chain(routing.main_leaders_part.iter_mut()) {
        if r.kind == "political_legal_committee"
            && let Some(name) = rules.committee_names.get(&r.court_id)
        {
            r.name = name.clone();
        }
    }
    let applies = |rule: &ExtraRecipient| {
        (rule.court == reporting.id || chain.iter().any(|c| c.id == rule.court))
            && (rule.levels.is_empty() || rule.levels.contains(&reporting.level))
    };
    for rule in rules.extra.iter().filter(|r| applies(r)) {
        let recipient = Recipient { kind: "other".into(), court_id: rule.court.clone(), name: rule.name.clone() };
        let list = match rule.part {
            RoutingPart::Main => &mut routing.main,
            RoutingPart::MainLeaders => &mut routing.main_leaders_part,
        };
        if !list.contains(&recipient) {
            list.push(recipient);
        }
    }
    routing
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
    fn a_high_court_adds_recipients_for_its_province() {
        let basic = node("b", "示例市甲区人民法院", CourtLevel::Basic);
        let mid = node("m", "示例市中级人民法院", CourtLevel::Intermediate);
        let high = node("h", "示例省高级人民法院", CourtLevel::High);
        let rules = RoutingRules {
            committee_names: [("b".to_string(), "中共示例市甲区委政法委员会".to_string())].into(),
            extra: vec![
                ExtraRecipient {
                    court: "h".into(),
                    levels: vec![CourtLevel::Basic],
                    part: RoutingPart::Main,
                    name: "示例省纪委监委驻省高级人民法院纪检监察组".into(),
                },
                ExtraRecipient {
                    court: "h".into(),
                    levels: vec![],
                    part: RoutingPart::MainLeaders,
                    name: "示例省委组织部".into(),
                },
                ExtraRecipient { court: "h2".into(), levels: vec![], part: RoutingPart::Main, name: "别省".into() },
            ],
        };
        let r = route_with(&basic, &[mid.clone(), high.clone()], &rules);
        let names = |list: &[Recipient]| list.iter().map(|x| x.name.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&r.main),
            ["中共示例市甲区委政法委员会", "示例市中级人民法院", "示例省纪委监委驻省高级人民法院纪检监察组"]
        );
        assert_eq!(names(&r.main_leaders_part), ["示例市党委政法委", "示例市中级人民法院", "示例省委组织部"]);
        // The intermediate court is not a basic court: only the rule for every level reaches it.
        let r = route_with(&mid, std::slice::from_ref(&high), &rules);
        assert_eq!(names(&r.main), ["示例市党委政法委", "示例省高级人民法院"]);
        assert_eq!(r.main_leaders_part.last().unwrap().name, "示例省委组织部");
        // Another province's rule never applies; without rules, route_with is route.
        assert!(!names(&route_with(&basic, &[mid.clone(), high.clone()], &rules).main).contains(&"别省".to_string()));
        assert_eq!(
            route_with(&basic, &[mid.clone(), high.clone()], &RoutingRules::default()),
            route(&basic, &[mid, high])
        );
    }

    #[test]
    fn rules_name_known_high_courts_only() {
        let rules = RoutingRules {
            committee_names: [("x".to_string(), "某委".to_string())].into(),
            extra: vec![
                ExtraRecipient { court: "b".into(), levels: vec![], part: RoutingPart::Main, name: "某组".into() },
                ExtraRecipient { court: "h".into(), levels: vec![], part: RoutingPart::Main, name: " ".into() },
            ],
        };
        let courts =
            [KnownCourt { id: "h", level: CourtLevel::High }, KnownCourt { id: "b", level: CourtLevel::Basic }];
        let problems = rules.problems(&courts);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("report_routing.extra[0].court") && problems[0].contains("不是高级人民法院"));
        assert!(problems[1].starts_with("report_routing.extra[1].name"));
        assert!(problems[2].starts_with("report_routing.committee_names.x"));
    }

    #[test]
    fn each_entry_goes_next_to_the_committee_that_manages_the_cadre() {
        assert!(next_for(Some(ManagingLevel::Provincial)).0.starts_with("省级党委"));
        assert!(next_for(None).0.contains("不详"));
    }
}
