//! A material's description (R5, S4 ¶2): what the uploader says about a file attached to a record.
//! `MaterialForm` is what a form or multipart upload sent, as text; `MaterialMeta` is a description
//! that meets the rules, so whoever holds one need not check it again.

use crate::lists::{Disposition, MaterialCategory};
use crate::problem::Problem;
use crate::record::checker::{Checker, field, trimmed};

/// Longest file name kept, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 255;
/// Longest note of where a non-written material went, in characters.
pub const MAX_WHEREABOUTS_CHARS: usize = 500;

/// The description as sent: codes as text, every field possibly missing, so that every problem
/// can be reported at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaterialForm {
    pub category: Option<String>,
    pub disposition: Option<String>,
    pub whereabouts: Option<String>,
    /// The name the client gave the file, possibly with a path in front.
    pub file_name: String,
}

/// A description that meets R5 and S4 ¶2: a known category; written materials (letters) filed with
/// the case; other materials filed with the case too, or, by default, kept elsewhere with a note of
/// where they went; a file name of one path component, not empty, not too long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialMeta {
    category: MaterialCategory,
    disposition: Disposition,
    whereabouts: Option<String>,
    file_name: String,
}

impl MaterialMeta {
    pub fn category(&self) -> MaterialCategory {
        self.category
    }
    pub fn disposition(&self) -> Disposition {
        self.disposition
    }
    /// Where a non-written material went: trimmed, never empty.
    pub fn whereabouts(&self) -> Option<&str> {
        self.whereabouts.as_deref()
    }
    /// The file's name without any path, trimmed, never empty.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// Check the form against R5 and S4 ¶2, reporting every problem at once.
    pub fn parse(form: &MaterialForm) -> Result<MaterialMeta, Vec<Problem>> {
        let mut check = Checker::default();
        // A missing category says that it must precede the file: the one order the reader needs.
        let category = if trimmed(&form.category).is_none() {
            check.push(
                "category",
                "R5",
                "required",
                "请先选择材料类别（category 字段须在文件之前）",
                "choose the category first (the category field must precede the file)",
            );
            None
        } else {
            check.code::<MaterialCategory>(field("category", "R5", "材料类别", "the category"), &form.category)
        };
        let disposition = trimmed(&form.disposition).and_then(|_| {
            check.code::<Disposition>(field("disposition", "R5", "归档方式", "the disposition"), &form.disposition)
        });
        let whereabouts = form.whereabouts.as_deref().map(str::trim).filter(|w| !w.is_empty());
        if whereabouts.is_some_and(|w| w.chars().count() > MAX_WHEREABOUTS_CHARS) {
            check.push(
                "whereabouts",
                "R5",
                "too_long",
                format!("去向最多 {MAX_WHEREABOUTS_CHARS} 字"),
                format!("whereabouts may have at most {MAX_WHEREABOUTS_CHARS} characters"),
            );
        }
        // Keep only the last path component: browsers on some systems send full paths.
        let file_name = form.file_name.rsplit(['/', '\\']).next().unwrap_or("").trim();
        if file_name.is_empty() || file_name.chars().count() > MAX_FILE_NAME_CHARS {
            check.push(
                "file",
                "R5",
                "invalid",
                format!("请选择要上传的文件（文件名不超过 {MAX_FILE_NAME_CHARS} 字）"),
                format!("choose a file to upload (name at most {MAX_FILE_NAME_CHARS} characters)"),
            );
        }
        let Some(category) = category else { return Err(check.problems) };
        let written = matches!(category, MaterialCategory::OfficialLetter | MaterialCategory::Letter);
        let disposition =
            disposition.unwrap_or(if written { Disposition::FiledWithCase } else { Disposition::Whereabouts });
        if written && disposition != Disposition::FiledWithCase {
            check.push(
                "disposition",
                "R5",
                "not_allowed",
                "书面材料（函文、信件）一律附随案件卷宗归档（S4 第二款）",
                "written materials (letters) are always filed with the case (S4 ¶2)",
            );
        }
        if disposition == Disposition::Whereabouts && whereabouts.is_none() {
            check.push(
                "whereabouts",
                "R5",
                "required",
                "其他材料归档时应当注明去向（S4 第二款）",
                "for other materials, say where they went (S4 ¶2)",
            );
        }
        if !check.problems.is_empty() {
            return Err(check.problems);
        }
        Ok(MaterialMeta {
            category,
            disposition,
            whereabouts: whereabouts.map(str::to_string),
            file_name: file_name.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(category: &str, disposition: &str, whereabouts: &str, file_name: &str) -> MaterialForm {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        MaterialForm {
            category: some(category),
            disposition: some(disposition),
            whereabouts: some(whereabouts),
            file_name: file_name.into(),
        }
    }

    fn fields(problems: Vec<Problem>) -> Vec<(String, &'static str)> {
        problems.into_iter().map(|p| (p.field, p.code)).collect()
    }

    #[test]
    fn a_letter_is_filed_with_the_case_and_keeps_only_its_name() {
        let meta = MaterialMeta::parse(&form(" letter ", "", "", "C:\\Users\\示例\\来信.pdf ")).unwrap();
        assert_eq!(meta.category(), MaterialCategory::Letter);
        assert_eq!(meta.disposition(), Disposition::FiledWithCase);
        assert_eq!(meta.file_name(), "来信.pdf");
        assert_eq!(meta.whereabouts(), None);
    }

    #[test]
    fn other_material_needs_its_whereabouts() {
        let meta = MaterialMeta::parse(&form("audiovisual", "", "  交档案室保存 ", "录音.mp3")).unwrap();
        assert_eq!(meta.disposition(), Disposition::Whereabouts);
        assert_eq!(meta.whereabouts(), Some("交档案室保存"));
        assert_eq!(
            fields(MaterialMeta::parse(&form("audiovisual", "", "   ", "录音.mp3")).unwrap_err()),
            [("whereabouts".to_string(), "required")]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let long = "去".repeat(MAX_WHEREABOUTS_CHARS + 1);
        let problems = MaterialMeta::parse(&form("letter", "whereabouts", &long, "dir/")).unwrap_err();
        assert_eq!(
            fields(problems),
            [
                ("whereabouts".to_string(), "too_long"),
                ("file".to_string(), "invalid"),
                ("disposition".to_string(), "not_allowed"),
            ]
        );
        let problems = MaterialMeta::parse(&form("memo", "shredded", "", "a.pdf")).unwrap_err();
        assert_eq!(fields(problems), [("category".to_string(), "invalid"), ("disposition".to_string(), "invalid")]);
        let problems = MaterialMeta::parse(&form("", "", "", &"名".repeat(MAX_FILE_NAME_CHARS + 1))).unwrap_err();
        assert_eq!(fields(problems), [("category".to_string(), "required"), ("file".to_string(), "invalid")]);
    }
}
