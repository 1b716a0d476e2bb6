//! A problem found in input: which field, which rule (R-id), and a message a clerk can act on in
//! Chinese and English. Validation collects every problem at once rather than stopping at the first.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// Chinese unless the client asks for English first (`Accept-Language: en`, `en-US, zh;q=0.5` …).
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else { return Lang::Zh };
        let first = header.split(',').next().unwrap_or("").trim().to_ascii_lowercase();
        if first.starts_with("en") { Lang::En } else { Lang::Zh }
    }
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// JSON path of the field, e.g. `intervener.name`.
    pub field: String,
    /// The requirement the rule comes from (docs/regulations.md), e.g. `R4`.
    pub rule: &'static str,
    /// A stable code for programs: `required`, `invalid`, `too_long`, `not_allowed` …
    pub code: &'static str,
    pub zh: String,
    pub en: String,
}

impl Problem {
    pub fn new(
        field: impl Into<String>,
        rule: &'static str,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Problem { field: field.into(), rule, code, zh: zh.into(), en: en.into() }
    }
    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_unless_english_comes_first() {
        assert_eq!(Lang::from_accept_language(None), Lang::Zh);
        assert_eq!(Lang::from_accept_language(Some("en")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("en-US,zh;q=0.5")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("zh-CN,en;q=0.8")), Lang::Zh);
    }
}
