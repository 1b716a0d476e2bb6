//! The closed lists of the regulations (docs/regulations.md). Codes are stable identifiers that are
//! stored; the Chinese and English labels are display text and may change without touching data.

/// One entry of a closed list: its stored code and its labels.
pub trait Listed: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn code(self) -> &'static str;
    fn zh(self) -> &'static str;
    fn en(self) -> &'static str;
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }
    fn codes() -> Vec<&'static str> {
        Self::ALL.iter().map(|v| v.code()).collect()
    }
}

macro_rules! closed_list {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $(#[serde(rename = $code)] $variant,)+ }
        impl Listed for $name {
            const ALL: &'static [Self] = &[$(Self::$variant,)+];
            fn code(self) -> &'static str { match self { $(Self::$variant => $code,)+ } }
            fn zh(self) -> &'static str { match self { $(Self::$variant => $zh,)+ } }
            fn en(self) -> &'static str { match self { $(Self::$variant => $en,)+ } }
        }
    };
}

closed_list! {
    /// Forms of inquiry (S4, C8 (四)); R4 makes some fields depend on the form.
    Form {
        OfficialLetter = "official_letter", "函文", "official letter";
        Letter = "letter", "信件", "letter";
        InPerson = "in_person", "当面口头", "in person (oral)";
        Phone = "phone", "电话", "telephone";
        Sms = "sms", "短信", "text message";
        Weibo = "weibo", "微博", "Weibo";
        Wechat = "wechat", "微信", "WeChat";
        Email = "email", "电子邮件", "e-mail";
        OtherNetwork = "other_network", "其他网络方式", "other network means";
        Briefing = "briefing", "听取汇报", "hearing a briefing";
        CoordinationMeeting = "coordination_meeting", "协调会", "coordination meeting";
        Document = "document", "发文件", "issuing a document";
        Other = "other", "其他", "other";
    }
}

impl Form {
    /// S4 ¶1: inquiries by network means also record the storage medium.
    pub fn is_network(self) -> bool {
        matches!(self, Form::Sms | Form::Weibo | Form::Wechat | Form::Email | Form::OtherNetwork)
    }
    /// S4 ¶1: oral inquiries record place and persons present; court staff present co-sign.
    pub fn is_oral(self) -> bool {
        matches!(self, Form::InPerson | Form::Phone | Form::Briefing | Form::CoordinationMeeting)
    }
    /// A telephone call has no shared place and its only other party is the caller, so place and
    /// persons present are asked for only where people met.
    pub fn needs_place(self) -> bool {
        self.is_oral() && self != Form::Phone
    }
}

closed_list! {
    /// Unit types of the intervener (C12, S10).
    UnitType {
        Party = "party", "党的机关", "Party organ";
        Congress = "congress", "人大机关", "people's congress";
        Government = "government", "行政机关", "administrative organ";
        Cppcc = "cppcc", "政协机关", "CPPCC";
        Court = "court", "审判机关", "judicial (court) organ";
        Procuratorate = "procuratorate", "检察机关", "procuratorate";
        Military = "military", "军事机关", "military organ";
        Enterprise = "enterprise", "公司、企业", "company or enterprise";
        PublicInstitution = "public_institution", "事业单位", "public institution";
        SocialOrganisation = "social_organisation", "社会团体", "social organisation";
        Other = "other", "其他", "other";
    }
}

closed_list! {
    /// Stage of the case when the inquiry came (C8 (一)).
    Stage {
        FilingReview = "filing_review", "立案", "case filing";
        Trial = "trial", "审判", "trial";
        Enforcement = "enforcement", "执行", "enforcement";
        SentenceChange = "sentence_change", "减刑、假释", "commutation and parole";
        Preservation = "preservation", "保全", "preservation";
        Other = "other", "其他", "other";
    }
}

closed_list! {
    /// The intervener's relation to the leading cadre behind the inquiry (R2, S2 ¶2, C5 ¶2).
    Relation {
        Themself = "self", "本人", "the cadre in person";
        InNameOfOrganisation = "in_name_of_organisation", "以组织名义", "in the name of an organisation";
        CadreStaff = "cadre_staff", "身边工作人员", "the cadre's staff";
        Relative = "relative", "亲属", "the cadre's relative";
        Other = "other", "其他", "other";
    }
}

impl Relation {
    /// R2: staff and relatives may be linked to the principal cadre.
    pub fn has_principal(self) -> bool {
        matches!(self, Relation::CadreStaff | Relation::Relative)
    }
}

closed_list! {
    /// Which Party committee manages the cadre (干部管理权限, C7 ¶2, R13).
    ManagingLevel {
        Central = "central", "中央管理", "managed by the Central Committee";
        Provincial = "provincial", "省级党委管理", "managed by a provincial Party committee";
        Municipal = "municipal", "市级党委管理", "managed by a municipal Party committee";
        County = "county", "县级党委管理", "managed by a county Party committee";
        OtherOrganisation = "other_organisation", "其他党组织管理", "managed by another Party organisation";
        Unknown = "unknown", "不详", "not known";
    }
}

closed_list! {
    /// Categories of materials (S4 ¶2, R5).
    MaterialCategory {
        OfficialLetter = "official_letter", "函文", "official letter";
        Letter = "letter", "信件", "letter";
        Audiovisual = "audiovisual", "视听资料", "audio-visual material";
        ElectronicData = "electronic_data", "电子数据", "electronic data";
        Other = "other", "其他", "other";
    }
}

closed_list! {
    /// Where a material goes when the case is archived (S4 ¶2, R5).
    Disposition {
        FiledWithCase = "filed_with_case", "书面材料附卷归档", "filed with the case file";
        Whereabouts = "whereabouts", "其他材料注明去向", "other material, whereabouts noted";
    }
}

closed_list! {
    /// Which register an entry belongs in: the store itself, the S5 path or the S10 ¶3 path.
    Register {
        Store = "store", "外部人员过问信息专库", "store of outside inquiries";
        EntrustedOpinion = "entrusted_opinion", "受托/许可参考意见（存入案件正卷）", "entrusted or permitted opinion (kept in the main case file)";
        InternalInquiry = "internal_inquiry", "内部人员过问登记", "register of inquiries by court personnel";
    }
}

closed_list! {
    /// Court levels (the hierarchy of the people's courts).
    CourtLevel {
        Supreme = "supreme", "最高人民法院", "Supreme People's Court";
        High = "high", "高级人民法院", "high people's court";
        Intermediate = "intermediate", "中级人民法院", "intermediate people's court";
        Basic = "basic", "基层人民法院", "basic people's court";
        Special = "special", "专门人民法院", "special court";
    }
}

closed_list! {
    /// Roles (docs/security.md): what each may do is `access::PermissionMatrix`.
    Role {
        Recorder = "recorder", "录入人", "recorder";
        StoreMaintainer = "store_maintainer", "专库管理员", "store maintainer";
        CourtLeader = "court_leader", "院领导", "court leader";
        DisciplineInspector = "discipline_inspector", "纪检监察", "discipline inspector";
        SystemAdministrator = "system_administrator", "系统管理员", "system administrator";
        SecurityAdministrator = "security_administrator", "安全保密管理员", "security administrator";
        SecurityAuditor = "security_auditor", "安全审计员", "security auditor";
        Auditor = "auditor", "审计账户（只读日志全部条目）", "auditor (reads every log entry)";
        Witness = "witness", "见证账户（只读检查点和哈希瓦片）", "witness (reads checkpoints and hash tiles)";
        ReportRecipient = "report_recipient", "报送对象（政法委、纪委、组织部）", "report recipient (political-legal committee, discipline commission, organisation department)";
        CaseSystem = "case_system", "案件管理系统接口账户（推送记录和来访来信登记）", "case-management system (pushes records and logged contacts)";
    }
}

impl Role {
    /// Whether the role is held by court staff who record and co-sign (S3), rather than one of
    /// the three administrative roles (三员) or a service account or outside body.
    pub fn is_court_staff(self) -> bool {
        match self {
            Role::Recorder | Role::StoreMaintainer | Role::CourtLeader | Role::DisciplineInspector => true,
            Role::SystemAdministrator
            | Role::SecurityAdministrator
            | Role::SecurityAuditor
            | Role::Auditor
            | Role::Witness
            | Role::ReportRecipient
            | Role::CaseSystem => false,
        }
    }
}

closed_list! {
    /// What a role may do (S3: 录入、存储、报送、查看、处理). Deny by default: a role holds only the
    /// permissions granted to it (`access::PermissionMatrix`).
    Permission {
        RecordCreate = "record.create", "录入过问记录，修改本人录入的记录", "record inquiries and amend one's own";
        RecordReadOwn = "record.read_own", "查看本人录入或在场的记录", "read records one recorded or was present at";
        RecordReadCourt = "record.read_court", "查看本院专库的全部记录", "read every record of the court's store";
        RecordSeeRecorder = "record.see_recorder", "查看他人记录的录入人", "see who recorded others' records";
        RecordViews = "record.views", "查看记录被谁查看过", "see who viewed a record";
        RecordCosign = "record.cosign", "对在场的口头过问记录签字确认或提出异议", "confirm or dispute oral records one was present at";
        LogTiles = "log.tiles", "读取日志检查点和哈希瓦片", "read the log's checkpoints and hash tiles";
        LogEntries = "log.entries", "读取日志全部条目", "read every log entry";
        ReportView = "report.view", "查看本院（及下级法院）的季度分析等报告", "see the analyses and reports of the court (and the courts below)";
        ReportDraft = "report.draft", "起草报告", "draft reports";
        ReportApprove = "report.approve", "审批报告（不能审批本人起草的）", "approve reports (never one's own)";
        RecordScreen = "record.screen", "甄别、核查过问记录，确认同一干部，登记监督机关的处理结果", "screen and check records, confirm who is the same cadre, note what oversight bodies decided";
        FilingOversee = "filing.oversee", "查看零报告、录入及时性和交叉核对情况并催报", "see zero reports, timeliness and cross-checks, and send reminders";
        FindingRecord = "finding.record", "认定不记录、不如实记录并决定处理（第八条）", "record findings of not recording and decide the sanction (S8)";
        ComplaintHandle = "complaint.handle", "办理下级法院工作人员的打击报复控告（第九条）", "handle retaliation complaints from the courts below (S9)";
        ContactReport = "contact.report", "报送案件管理系统登记的来访、来信等接触", "send contacts logged by the case-management system";
        AdminUsers = "admin.users", "管理用户账号", "manage user accounts";
        AdminCourts = "admin.courts", "管理法院", "manage courts";
        SecurityApprove = "security.approve", "批准授予可查看内容的角色、重置其凭据和签发内容令牌（双人规则）", "approve grants of content-reading roles, resets of their credentials and content tokens (two-person rule)";
        AuditRead = "audit.read", "查看管理和安全审计记录（不含记录内容）", "read the administrative and security audit trail (no contents)";
    }
}

closed_list! {
    /// Changes that need a second person's approval (two-person rule, 三员分立; issue 17).
    ApprovalAction {
        GrantRole = "grant_role", "授予可查看内容（或审批、审计）的角色", "grant a role that reads contents (or approves or audits)";
        ResetPassword = "reset_password", "重置可查看内容账号的密码", "reset the password of an account that reads contents";
        ResetSecondFactor = "reset_second_factor", "重置可查看内容账号的第二因素", "reset the second factor of an account that reads contents";
        ContentToken = "content_token", "签发可查看内容的令牌", "issue a token with a content scope";
        SetPermissions = "set_permissions", "更改权限矩阵", "change the permission matrix";
    }
}

closed_list! {
    /// Co-signature state of one court staff member present at an oral inquiry (R4).
    CosignState {
        Pending = "pending", "待确认", "awaiting confirmation";
        Confirmed = "confirmed", "已确认", "confirmed";
        Disputed = "disputed", "有异议", "disputed";
    }
}

/// A numbered item of a regulation's list: the special report items of S7, (一)…(十五), and the
/// kinds of illegal interference of C8, (一)…(五).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegulationItem {
    pub number: u8,
    pub numeral: &'static str,
    pub short_zh: &'static str,
    pub text_zh: &'static str,
    pub text_en: &'static str,
}

impl RegulationItem {
    /// The item as a list shows it: its numeral, then its text in `lang`.
    pub fn label(&self, lang: crate::Lang) -> String {
        format!("{}{}", self.numeral, lang.pick(self.text_zh, self.text_en))
    }
}

/// S7 in full: the UI shows this text so the recorder chooses from what the regulation says.
pub const SPECIAL_ITEMS: [RegulationItem; 15] = [
    RegulationItem {
        number: 1,
        numeral: "（一）",
        short_zh: "请托说情",
        text_zh: "在审判、执行等环节为案件当事人请托说情的",
        text_en: "Interceding for a party at trial, enforcement or another stage",
    },
    RegulationItem {
        number: 2,
        numeral: "（二）",
        short_zh: "要求私下会见",
        text_zh: "要求人民法院工作人员私下会见、联系案件当事人或者其辩护人、诉讼代理人、近亲属以及其他与案件有利害关系的人的",
        text_en: "Asking court staff to meet or contact in private a party, their defender, agent, close relatives or others with an interest in the case",
    },
    RegulationItem {
        number: 3,
        numeral: "（三）",
        short_zh: "授意纵容身边人员说情",
        text_zh: "授意、纵容身边工作人员或者亲属为案件当事人请托说情的",
        text_en: "Instructing or letting staff or relatives intercede for a party",
    },
    RegulationItem {
        number: 4,
        numeral: "（四）",
        short_zh: "超越职权提出倾向性意见",
        text_zh: "以听取汇报、开协调会、发文件、打电话等形式，超越职权对案件处理提出倾向性意见或者具体要求的",
        text_en: "Giving, beyond one's authority, leanings or specific demands on a case through briefings, coordination meetings, documents, calls or the like",
    },
    RegulationItem {
        number: 5,
        numeral: "（五）",
        short_zh: "干预立案",
        text_zh: "要求人民法院立案、不予立案、拖延立案或者人为控制立案的",
        text_en: "Demanding that the court file, refuse, delay or otherwise control the filing of a case",
    },
    RegulationItem {
        number: 6,
        numeral: "（六）",
        short_zh: "拖延或压缩办案时间",
        text_zh: "要求人民法院采取中止审理、延长审限、不计入审限等措施拖延结案或者压缩办案时间结案的",
        text_en: "Demanding suspension, extension or exclusion of time limits to delay a case, or compressing the time to close it",
    },
    RegulationItem {
        number: 7,
        numeral: "（七）",
        short_zh: "干预查封扣押冻结",
        text_zh: "要求人民法院对保全标的物、执行标的物采取、暂缓或者解除扣押、查封和冻结措施的",
        text_en: "Demanding that seizure, sealing-up or freezing of preserved or enforced property be taken, deferred or lifted",
    },
    RegulationItem {
        number: 8,
        numeral: "（八）",
        short_zh: "指定鉴定评估拍卖管理人",
        text_zh: "要求人民法院选择特定鉴定机构、资产评估机构、拍卖机构或者破产企业资产管理人的",
        text_en: "Demanding a particular appraiser, asset valuer, auction house or bankruptcy administrator",
    },
    RegulationItem {
        number: 9,
        numeral: "（九）",
        short_zh: "优先发放执行案款",
        text_zh: "要求人民法院将执行案款优先发放给特定申请执行人的",
        text_en: "Demanding that enforcement money be paid first to a particular applicant",
    },
    RegulationItem {
        number: 10,
        numeral: "（十）",
        short_zh: "拖延或中止终结执行",
        text_zh: "要求人民法院对案件拖延执行或者作中止执行、终结执行处理的",
        text_en: "Demanding that enforcement be delayed, suspended or terminated",
    },
    RegulationItem {
        number: 11,
        numeral: "（十一）",
        short_zh: "干预刑事涉案财物处置",
        text_zh: "要求人民法院将刑事涉案财物发还特定被害人或者移交特定机关的",
        text_en: "Demanding that property in a criminal case be returned to a particular victim or handed to a particular organ",
    },
    RegulationItem {
        number: 12,
        numeral: "（十二）",
        short_zh: "干预强制措施",
        text_zh: "要求人民法院对当事人采取强制措施，或者要求对被依法采取强制措施的当事人解除、变更强制措施的",
        text_en: "Demanding compulsory measures against a party, or their lifting or change",
    },
    RegulationItem {
        number: 13,
        numeral: "（十三）",
        short_zh: "干预减刑假释",
        text_zh: "要求人民法院在减刑、假释案件审理过程中对罪犯从严或者从宽处理的",
        text_en: "Demanding harsher or more lenient treatment of an offender in commutation or parole proceedings",
    },
    RegulationItem {
        number: 14,
        numeral: "（十四）",
        short_zh: "批转单方材料或专家意见",
        text_zh: "批转案件当事人或者其辩护人、诉讼代理人、近亲属以及其他与案件有利害关系的人单方提交的涉案材料或者专家意见书的",
        text_en: "Forwarding with endorsement materials or expert opinions submitted one-sidedly by a party or those connected to them",
    },
    RegulationItem {
        number: 15,
        numeral: "（十五）",
        short_zh: "其他",
        text_zh: "其它有必要作为特别报告事项的行为",
        text_en: "Other conduct that should be specially reported",
    },
];

pub fn special_item(number: u8) -> Option<&'static RegulationItem> {
    SPECIAL_ITEMS.get(usize::from(number).checked_sub(1)?)
}

/// The kinds of illegal interference of C8 (R12).
pub const C8_KINDS: [RegulationItem; 5] = [
    RegulationItem {
        number: 1,
        numeral: "（一）",
        short_zh: "请托说情",
        text_zh: "在线索核查、立案、侦查、审查起诉、审判、执行等环节为案件当事人请托说情的",
        text_en: "Interceding for a party at any stage of a case",
    },
    RegulationItem {
        number: 2,
        numeral: "（二）",
        short_zh: "要求私下会见",
        text_zh: "要求办案人员或办案单位负责人私下会见案件当事人或其辩护人、诉讼代理人、近亲属以及其他与案件有利害关系的人的",
        text_en: "Asking case handlers to meet parties or those connected to them in private",
    },
    RegulationItem {
        number: 3,
        numeral: "（三）",
        short_zh: "授意、纵容身边工作人员或亲属说情",
        text_zh: "授意、纵容身边工作人员或者亲属为案件当事人请托说情的",
        text_en: "Instructing or letting staff or relatives intercede",
    },
    RegulationItem {
        number: 4,
        numeral: "（四）",
        short_zh: "超越职权提出倾向性意见或具体要求",
        text_zh: "为了地方利益或者部门利益，以听取汇报、开协调会、发文件等形式，超越职权对案件处理提出倾向性意见或者具体要求的",
        text_en: "Giving leanings or demands beyond one's authority for local or departmental interest",
    },
    RegulationItem {
        number: 5,
        numeral: "（五）",
        short_zh: "其他",
        text_zh: "其他违法干预司法活动、妨碍司法公正的行为",
        text_en: "Other illegal interference obstructing judicial fairness",
    },
];

pub fn c8_kind(number: u8) -> Option<&'static RegulationItem> {
    C8_KINDS.get(usize::from(number).checked_sub(1)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        fn check<T: Listed + PartialEq + std::fmt::Debug>() {
            let codes = T::codes();
            let mut sorted = codes.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), codes.len(), "duplicate code");
            for v in T::ALL {
                assert_eq!(T::from_code(v.code()), Some(*v));
                assert!(!v.zh().is_empty() && !v.en().is_empty());
            }
        }
        check::<Form>();
        check::<UnitType>();
        check::<Stage>();
        check::<Relation>();
        check::<ManagingLevel>();
        check::<MaterialCategory>();
        check::<Disposition>();
        check::<Register>();
        check::<CourtLevel>();
        check::<Role>();
        check::<CosignState>();
    }

    #[test]
    fn serde_uses_the_stored_code() {
        assert_eq!(serde_json::to_string(&Form::CoordinationMeeting).unwrap(), "\"coordination_meeting\"");
        assert_eq!(serde_json::to_string(&Relation::Themself).unwrap(), "\"self\"");
        let f: Form = serde_json::from_str("\"wechat\"").unwrap();
        assert_eq!(f, Form::Wechat);
    }

    #[test]
    fn network_and_oral_forms_follow_the_glossary() {
        let network: Vec<_> = Form::ALL.iter().filter(|f| f.is_network()).map(|f| f.code()).collect();
        assert_eq!(network, ["sms", "weibo", "wechat", "email", "other_network"]);
        let oral: Vec<_> = Form::ALL.iter().filter(|f| f.is_oral()).map(|f| f.code()).collect();
        assert_eq!(oral, ["in_person", "phone", "briefing", "coordination_meeting"]);
        assert!(!Form::Phone.needs_place());
        assert!(Form::InPerson.needs_place());
    }

    #[test]
    fn fifteen_special_items_numbered_in_order() {
        for (i, item) in SPECIAL_ITEMS.iter().enumerate() {
            assert_eq!(usize::from(item.number), i + 1);
        }
        assert!(special_item(0).is_none());
        assert!(special_item(16).is_none());
        assert_eq!(special_item(13).unwrap().numeral, "（十三）");
        assert_eq!(c8_kind(2).unwrap().label(crate::Lang::Zh), format!("（二）{}", c8_kind(2).unwrap().text_zh));
        assert!(special_item(1).unwrap().label(crate::Lang::En).starts_with("（一）"));
        assert_eq!(c8_kind(5).unwrap().short_zh, "其他");
    }
}
