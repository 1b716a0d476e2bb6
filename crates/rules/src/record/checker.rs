//! Reading a draft's fields one by one, noting every problem rather than stopping at the first.

use crate::lists::Listed;
use crate::problem::Problem;

use super::{MAX_PERSONS, MAX_SHORT_CHARS};

/// The problems found so far in one draft.
#[derive(Default)]
pub(crate) struct Checker {
    pub(crate) problems: Vec<Problem>,
}

/// A text field's value without surrounding white space; none when it is empty.
pub(crate) fn trimmed(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// A field of the draft as its problems name it: its path, the rule that governs it, and its
/// label in both languages.
#[derive(Clone, Copy)]
pub(crate) struct Field<'a> {
    pub(crate) name: &'a str,
    pub(crate) rule: &'static str,
    pub(crate) zh: &'a str,
    pub(crate) en: &'a str,
}

pub(crate) fn field<'a>(name: &'a str, rule: &'static str, zh: &'a str, en: &'a str) -> Field<'a> {
    Field { name, rule, zh, en }
}

impl Checker {
    /// A text the field must have, at most `max` characters.
    pub(crate) fn required(&mut self, f: Field<'_>, v: &Option<String>, max: usize) -> Option<String> {
        match trimmed(v) {
            None => {
                self.push(f.name, f.rule, "required", format!("请填写{}", f.zh), format!("{} is required", f.en));
                None
            }
            Some(s) => self.length(f, s, max),
        }
    }

    /// A text the field may have, at most `max` characters.
    pub(crate) fn optional(&mut self, f: Field<'_>, v: &Option<String>, max: usize) -> Option<String> {
        trimmed(v).and_then(|s| self.length(f, s, max))
    }

    fn length(&mut self, f: Field<'_>, s: String, max: usize) -> Option<String> {
        let n = s.chars().count();
        if n > max {
            self.push(
                f.name,
                f.rule,
                "too_long",
                format!("{}最多 {max} 字，现为 {n} 字；更长的内容请作为材料上传", f.zh),
                format!("{} may have at most {max} characters, it has {n}; upload longer text as a material", f.en),
            );
            return None;
        }
        Some(s)
    }

    /// A code the field must have, one of `T`'s list.
    pub(crate) fn code<T: Listed>(&mut self, f: Field<'_>, v: &Option<String>) -> Option<T> {
        let Some(code) = trimmed(v) else {
            self.push(f.name, f.rule, "required", format!("请选择{}", f.zh), format!("{} is required", f.en));
            return None;
        };
        let found = T::from_code(&code);
        if found.is_none() {
            let allowed_zh: Vec<String> = T::ALL.iter().map(|t| format!("{}（{}）", t.code(), t.zh())).collect();
            self.push(
                f.name,
                f.rule,
                "invalid",
                format!("{}“{code}”不在列表中，可选：{}", f.zh, allowed_zh.join("、")),
                format!("{} \"{code}\" is not one of: {}", f.en, T::codes().join(", ")),
            );
        }
        found
    }

    pub(crate) fn push(
        &mut self,
        field: &str,
        rule: &'static str,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) {
        self.problems.push(Problem::new(field, rule, code, zh, en));
    }

    pub(crate) fn persons(
        &mut self,
        field: &str,
        label_zh: &str,
        label_en: &str,
        v: &Option<Vec<String>>,
    ) -> Vec<String> {
        let list: Vec<String> = v.iter().flatten().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        if list.len() > MAX_PERSONS {
            self.push(
                field,
                "R4",
                "too_long",
                format!("{label_zh}最多 {MAX_PERSONS} 人"),
                format!("{label_en} may list at most {MAX_PERSONS} people"),
            );
        }
        for (i, p) in list.iter().enumerate() {
            if p.chars().count() > MAX_SHORT_CHARS {
                self.push(
                    &format!("{field}[{i}]"),
                    "R4",
                    "too_long",
                    format!("{label_zh}中的姓名过长"),
                    format!("a name in {label_en} is too long"),
                );
            }
        }
        let mut unique = list.clone();
        unique.sort();
        unique.dedup();
        if unique.len() != list.len() {
            self.push(
                field,
                "R4",
                "duplicate",
                format!("{label_zh}中有重复的人"),
                format!("{label_en} names someone twice"),
            );
        }
        list
    }
}
