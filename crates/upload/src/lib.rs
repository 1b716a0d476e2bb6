//! Reading a material upload (R5): a `multipart/form-data` body whose short text fields
//! (`category`, `disposition`, `whereabouts`, and a page's `csrf`) come first and whose `file`
//! comes last. The text fields are read into memory up to `MAX_TEXT_BYTES` each and parsed into a
//! `MaterialMeta`; the file is handed back unread, as a stream, so that it never sits in memory.
//!
//! No I/O of its own: the body arrives as a stream of chunks. The server feeds it a request's body;
//! the fuzz target (`fuzz/fuzz_targets/upload.rs`) feeds it arbitrary bytes.

use bytes::Bytes;
use futures::Stream;
use liuhen_rules::{MaterialForm, MaterialMeta, Problem};
pub use multer::{self, Multipart, parse_boundary};

/// The most a text field may hold, in bytes: text fields are read into memory, so they are held
/// far below the upload's own limit.
pub const MAX_TEXT_BYTES: usize = 4096;

/// Why an upload was refused before its file was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The body is not well-formed multipart; the parser's words.
    Malformed(String),
    /// A page's upload whose anti-forgery token was missing, wrong, or came after the file.
    Forged,
    /// The fields break the rules of R5, or a text field is too long or not UTF-8.
    Invalid(Vec<Problem>),
}

/// An upload whose description passed the rules, with its file still to be read.
pub struct Upload<'r> {
    pub meta: MaterialMeta,
    pub file: multer::Field<'r>,
}

/// A multipart body read from `chunks`, split at `boundary` (from the request's Content-Type:
/// `multer::parse_boundary`).
pub fn multipart<'r, S, E>(chunks: S, boundary: impl Into<String>) -> multer::Multipart<'r>
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'r,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'r,
{
    multer::Multipart::new(chunks, boundary)
}

/// Read the fields before `file` and parse them into a description. From a page, `csrf` is the
/// session's anti-forgery token, which the form's `csrf` field must match before the file; over
/// the API (a bearer token) it is `None`. Fields with other names are skipped.
pub async fn read_upload<'r>(multipart: &mut multer::Multipart<'r>, csrf: Option<&str>) -> Result<Upload<'r>, Refusal> {
    let mut form = MaterialForm::default();
    let mut csrf_matched = false;
    loop {
        let Some(field) = multipart.next_field().await.map_err(malformed)? else {
            // No file: every problem with what did come, the missing file among them.
            let problems = MaterialMeta::parse(&form).err().unwrap_or_default();
            return Err(Refusal::Invalid(problems));
        };
        match field.name().unwrap_or("") {
            "category" => form.category = Some(small_text(field, "category").await?),
            "disposition" => form.disposition = Some(small_text(field, "disposition").await?),
            "whereabouts" => form.whereabouts = Some(small_text(field, "whereabouts").await?),
            "csrf" if csrf.is_some() => {
                let sent = small_text(field, "csrf").await?;
                csrf_matched = csrf.is_some_and(|expected| !expected.is_empty() && expected == sent);
            }
            "file" => {
                if csrf.is_some() && !csrf_matched {
                    return Err(Refusal::Forged);
                }
                form.file_name = field.file_name().unwrap_or("").to_string();
                let meta = MaterialMeta::parse(&form).map_err(Refusal::Invalid)?;
                return Ok(Upload { meta, file: field });
            }
            _ => {}
        }
    }
}

fn malformed(e: multer::Error) -> Refusal {
    Refusal::Malformed(e.to_string())
}

/// A text field, read chunk by chunk and refused, naming it, once it passes `MAX_TEXT_BYTES`.
async fn small_text(mut field: multer::Field<'_>, name: &str) -> Result<String, Refusal> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        if bytes.len() + chunk.len() > MAX_TEXT_BYTES {
            return Err(Refusal::Invalid(vec![Problem::new(
                name,
                "R5",
                "too_long",
                format!("字段 {name} 过长（最多 {MAX_TEXT_BYTES} 字节）"),
                format!("the field {name} is too long (at most {MAX_TEXT_BYTES} bytes)"),
            )]));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| {
        Refusal::Invalid(vec![Problem::new(
            name,
            "R5",
            "invalid",
            format!("字段 {name} 不是 UTF-8 文本"),
            format!("the field {name} is not UTF-8 text"),
        )])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use liuhen_rules::{Disposition, MaterialCategory};
    use std::convert::Infallible;

    const BOUNDARY: &str = "liuhen-test-boundary";

    fn body(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, file_name, value) in parts {
            out.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
            );
            if let Some(f) = file_name {
                out.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
            }
            out.extend_from_slice(b"\r\n\r\n");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        out
    }

    /// Read an upload fed in chunks of `chunk` bytes, and the file's bytes when it passed.
    fn read(bytes: Vec<u8>, chunk: usize, csrf: Option<&str>) -> Result<(MaterialMeta, Vec<u8>), Refusal> {
        let chunks: Vec<Result<Bytes, Infallible>> =
            bytes.chunks(chunk).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        let mut parts = multipart(futures::stream::iter(chunks), BOUNDARY);
        block_on(async {
            let Upload { meta, mut file } = read_upload(&mut parts, csrf).await?;
            let mut content = Vec::new();
            while let Some(c) = file.chunk().await.map_err(malformed)? {
                content.extend_from_slice(&c);
            }
            Ok((meta, content))
        })
    }

    fn problem_fields(refusal: Refusal) -> Vec<(String, &'static str)> {
        match refusal {
            Refusal::Invalid(problems) => problems.into_iter().map(|p| (p.field, p.code)).collect(),
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn the_fields_become_a_description_and_the_file_is_left_to_stream() {
        let upload = body(&[
            ("category", None, b"audiovisual"),
            ("note", None, b"ignored"),
            ("whereabouts", None, "交档案室".as_bytes()),
            ("file", Some("D:\\录音\\示例.mp3"), b"ID3 fictional audio"),
        ]);
        for chunk in [1, 7, 4096] {
            let (meta, content) = read(upload.clone(), chunk, None).unwrap();
            assert_eq!(meta.category(), MaterialCategory::Audiovisual);
            assert_eq!(meta.disposition(), Disposition::Whereabouts);
            assert_eq!(meta.whereabouts(), Some("交档案室"));
            assert_eq!(meta.file_name(), "示例.mp3");
            assert_eq!(content, b"ID3 fictional audio");
        }
    }

    #[test]
    fn the_category_must_come_before_the_file() {
        let upload = body(&[("file", Some("a.pdf"), b"%PDF"), ("category", None, b"letter")]);
        assert_eq!(problem_fields(read(upload, 64, None).unwrap_err()), [("category".to_string(), "required")]);
    }

    #[test]
    fn no_file_is_a_problem_named_with_the_others() {
        let upload = body(&[("category", None, b"memo")]);
        assert_eq!(
            problem_fields(read(upload, 64, None).unwrap_err()),
            [("category".to_string(), "invalid"), ("file".to_string(), "invalid")]
        );
    }

    #[test]
    fn a_text_field_over_the_limit_or_not_utf8_is_refused_by_name() {
        let long = vec![b'x'; MAX_TEXT_BYTES + 1];
        let upload = body(&[("category", None, b"letter"), ("whereabouts", None, &long), ("file", Some("a"), b"")]);
        assert_eq!(problem_fields(read(upload, 512, None).unwrap_err()), [("whereabouts".to_string(), "too_long")]);
        let upload = body(&[("category", None, b"\xff\xfe"), ("file", Some("a"), b"")]);
        assert_eq!(problem_fields(read(upload, 512, None).unwrap_err()), [("category".to_string(), "invalid")]);
    }

    #[test]
    fn a_page_upload_needs_its_token_before_the_file() {
        let good = body(&[("csrf", None, b"t0ken"), ("category", None, b"letter"), ("file", Some("a.pdf"), b"%PDF")]);
        assert!(read(good.clone(), 64, Some("t0ken")).is_ok());
        assert_eq!(read(good, 64, Some("other")).unwrap_err(), Refusal::Forged);
        let late = body(&[("category", None, b"letter"), ("file", Some("a.pdf"), b"%PDF"), ("csrf", None, b"t0ken")]);
        assert_eq!(read(late, 64, Some("t0ken")).unwrap_err(), Refusal::Forged);
        // An empty session token never matches, not even an empty field.
        let empty = body(&[("csrf", None, b""), ("category", None, b"letter"), ("file", Some("a.pdf"), b"%PDF")]);
        assert_eq!(read(empty, 64, Some("")).unwrap_err(), Refusal::Forged);
    }

    #[test]
    fn a_body_that_is_not_multipart_is_malformed() {
        let refusal = read(b"--elsewhere\r\nnot a part".to_vec(), 64, None).unwrap_err();
        assert!(matches!(refusal, Refusal::Malformed(_)), "{refusal:?}");
    }
}
