//! The demo: a fictional court hierarchy (最高人民法院 → 示例省高级人民法院 → two 中级 → four 基层)
//! and fictional records spread over every form, S7 item, stage and court. Every name is obviously
//! invented (张某, 某区人民政府); 示 is a region abbreviation that no real province uses.

use liuhen_rules::{CourtLevel, Form, IntervenerDraft, Listed, PrincipalDraft, RecordDraft, Role, Stage, UnitType};
use liuhen_store::{NewCourt, NewUser, Store, User};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

pub const REGION: &str = "示";
pub const PASSWORD: &str = "liuhen-demo-2026";

/// (id, name, level, parent, 法院代字)
pub const COURTS: [(&str, &str, CourtLevel, Option<&str>, &str); 8] = [
    ("spc", "最高人民法院", CourtLevel::Supreme, None, "最高法"),
    ("demo-high", "示例省高级人民法院", CourtLevel::High, Some("spc"), "示"),
    ("demo-01", "示例省第一中级人民法院", CourtLevel::Intermediate, Some("demo-high"), "示01"),
    ("demo-02", "示例省第二中级人民法院", CourtLevel::Intermediate, Some("demo-high"), "示02"),
    ("demo-0101", "示例市甲区人民法院", CourtLevel::Basic, Some("demo-01"), "示0101"),
    ("demo-0102", "示例市乙区人民法院", CourtLevel::Basic, Some("demo-01"), "示0102"),
    ("demo-0201", "示例县丙县人民法院", CourtLevel::Basic, Some("demo-02"), "示0201"),
    ("demo-0202", "示例县丁县人民法院", CourtLevel::Basic, Some("demo-02"), "示0202"),
];

/// Accounts of the 甲区 court, one per role, listed in the README.
/// The file that marks a data directory as the demo's own: only there does the demo (or `serve`
/// with second factors off) run.
pub const MARKER: &str = "DEMO-DATA";

/// The demo court's accounts. The security administrator is made last: once a deployment has
/// one, granting roles that read contents needs their approval (two-person rule).
pub const ACCOUNTS: [(&str, &str, Role); 9] = [
    ("clerk", "书记员张某", Role::Recorder),
    ("judge", "法官李某", Role::Recorder),
    ("office", "审管办王某", Role::StoreMaintainer),
    ("president", "院长赵某", Role::CourtLeader),
    ("inspector", "纪检监察刘某", Role::DisciplineInspector),
    ("admin", "系统管理员陈某", Role::SystemAdministrator),
    ("auditor", "审计账户某丁", Role::Auditor),
    ("secaudit", "安全审计员某戊", Role::SecurityAuditor),
    ("security", "安全保密管理员某己", Role::SecurityAdministrator),
];

const SURNAMES: [&str; 12] = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "孙", "郑"];

/// (unit, post, unit type, leading cadre)
const UNITS: [(&str, &str, UnitType, bool); 12] = [
    ("某区人民政府", "副区长", UnitType::Government, true),
    ("某市人大常委会", "副主任", UnitType::Congress, true),
    ("某县委", "常委", UnitType::Party, true),
    ("某市政协", "副主席", UnitType::Cppcc, true),
    ("某区人民检察院", "副检察长", UnitType::Procuratorate, true),
    ("某部队", "政委", UnitType::Military, true),
    ("某某有限公司", "董事长", UnitType::Enterprise, true),
    ("某市第一医院", "院长", UnitType::PublicInstitution, true),
    ("某市工商联", "秘书长", UnitType::SocialOrganisation, true),
    ("某街道办事处", "科员", UnitType::Government, false),
    ("某村民委员会", "主任", UnitType::Other, false),
    ("某律师协会", "会员", UnitType::SocialOrganisation, false),
];

const CONTENTS: [&str; 6] = [
    "询问案件进展，希望“关照”一方当事人，尽快作出有利于其的处理。",
    "要求对被执行人名下房产暂缓查封，称涉及当地重点项目。",
    "转来当事人单方提交的专家意见书，请承办法官“认真研究”。",
    "要求安排与当事人私下见面，听取其意见。",
    "在协调会上提出案件应当驳回起诉，称关系地方稳定。",
    "打听合议庭评议情况，并要求尽快结案。",
];

pub async fn populate(store: &Store, records: usize) -> anyhow::Result<usize> {
    for (id, name, level, parent, code) in COURTS {
        store.console().add_court(&NewCourt::new(id, name, level, parent, code)).await?;
    }
    let mut recorders: Vec<(User, User)> = Vec::new();
    let demo_account = |username: &str, name: &str, court: &str, role: Role| NewUser {
        username: username.into(),
        display_name: name.into(),
        court_id: court.into(),
        role,
        password: PASSWORD.into(),
        reason: "演示数据".into(),
    };
    for (username, name, role) in ACCOUNTS.iter().filter(|a| a.2 != Role::SecurityAdministrator) {
        store.console().add_user(demo_account(username, name, "demo-0101", *role)).await?;
    }
    recorders.push((store.user("clerk").await?.expect("added"), store.user("judge").await?.expect("added")));
    for (id, _, _, _, _) in COURTS.iter().filter(|c| c.0 != "demo-0101") {
        let short = id.replace('-', "");
        for (suffix, name, role) in [
            ("judge1", "法官某甲", Role::Recorder),
            ("judge2", "法官某乙", Role::Recorder),
            ("office", "审管办某丙", Role::StoreMaintainer),
        ] {
            store.console().add_user(demo_account(&format!("{short}-{suffix}"), name, id, role)).await?;
        }
        let user = async |suffix: &str| -> anyhow::Result<User> {
            Ok(store.user(&format!("{short}-{suffix}")).await?.expect("added"))
        };
        recorders.push((user("judge1").await?, user("judge2").await?));
    }
    for (username, name, role) in ACCOUNTS.iter().filter(|a| a.2 == Role::SecurityAdministrator) {
        store.console().add_user(demo_account(username, name, "demo-0101", *role)).await?;
    }

    let mut rng = StdRng::seed_from_u64(2015_0818);
    let now = time::OffsetDateTime::now_utc();
    let case_types = ["民初", "民终", "刑初", "行初", "执", "执异", "刑更", "财保"];
    let mut made = 0;
    for i in 0..records {
        // Round-robin over courts, forms and items so every one of them appears.
        let (recorder, colleague) = &recorders[i % recorders.len()];
        let court = COURTS.iter().find(|c| c.0 == recorder.court_id).expect("court");
        let form = Form::ALL[i % Form::ALL.len()];
        let stage = Stage::ALL[(i / 3) % Stage::ALL.len()];
        let (unit, post, unit_type, leading) = UNITS[(i * 7 + 3) % UNITS.len()];
        let relation = if leading {
            ["self", "self", "in_name_of_organisation", "cadre_staff", "relative"][i % 5]
        } else {
            "other"
        };
        let days_ago = rng.random_range(1..420);
        let occurred = now - time::Duration::days(days_ago) - time::Duration::minutes(rng.random_range(0..600));
        let year = (occurred + time::Duration::hours(8)).year();
        let case_type = case_types[i % case_types.len()];
        let mut draft = RecordDraft {
            case_number: Some(format!("（{year}）{}{case_type}{}号", court.4, rng.random_range(1..3000))),
            stage: Some(stage.code().into()),
            intervener: Some(IntervenerDraft {
                name: Some(format!("{}某", SURNAMES.choose(&mut rng).expect("non-empty"))),
                unit: Some(unit.into()),
                post: Some(post.into()),
                unit_type: Some(unit_type.code().into()),
                leading_cadre: Some(leading),
                retired: Some(i % 17 == 0),
                relation: Some(relation.into()),
                principal: (relation == "cadre_staff" || relation == "relative").then(|| PrincipalDraft {
                    name: Some(format!("{}某", SURNAMES[i % SURNAMES.len()])),
                    unit: Some(unit.into()),
                    post: Some(post.into()),
                }),
                managing_level: leading
                    .then(|| ["central", "provincial", "municipal", "county", "unknown"][i % 5].into()),
            }),
            occurred_at: Some(liuhen_rules::period::format_utc(occurred)),
            form: Some(form.code().into()),
            content: Some(CONTENTS[i % CONTENTS.len()].into()),
            handling: (i % 3 != 0).then(|| "已告知依法办理，未采纳其要求，已记录在案。".into()),
            special_items: Some(if leading { vec![u8::try_from(i % 15).expect("small") + 1] } else { vec![] }),
            c8_kind: (leading && i % 4 == 0).then(|| u8::try_from(i % 5).expect("small") + 1),
            serious: Some(leading && i % 29 == 0),
            ..Default::default()
        };
        if form.is_network() {
            draft.storage_medium = Some("截屏已打印附卷，原始信息保存于专用U盘".into());
        }
        if form.is_oral() {
            draft.court_staff_present = Some(if i % 2 == 0 { vec![colleague.username.clone()] } else { vec![] });
            if form.needs_place() {
                draft.place = Some("某区人民政府第二会议室".into());
                draft.persons_present =
                    Some(vec![format!("{}某", SURNAMES[(i + 3) % SURNAMES.len()]), "某办公室工作人员".into()]);
            }
        }
        if stage == Stage::FilingReview && i % 2 == 0 {
            draft.case_number = None;
            draft.case_title = Some("某某有限公司诉某区人民政府合同纠纷（尚未立案）".into());
        }
        let created = store.create_record(recorder, &draft, "web", None, None).await?;
        made += 1;
        if draft.court_staff_present.as_ref().is_some_and(|s| !s.is_empty()) {
            match i % 3 {
                0 => {
                    store.cosign(colleague, created.record_id, Some(1)).await?;
                }
                1 => {
                    store
                        .dispute(
                            colleague,
                            created.record_id,
                            Some(1),
                            "记录中的要求表述不完整，对方还提到了结案时间。",
                        )
                        .await?;
                }
                _ => {}
            }
        }
    }
    Ok(made)
}

pub fn print_accounts() {
    println!("演示账号（密码均为 {PASSWORD}；示例市甲区人民法院）/ demo accounts (password {PASSWORD}):");
    for (username, name, role) in ACCOUNTS {
        println!("  {username:<10} {name}（{}）", role.zh());
    }
    println!(
        "  其他法院：<法院>-judge1 / -judge2 / -office，例如 demohigh-judge1 (other courts: e.g. demohigh-judge1)"
    );
}
