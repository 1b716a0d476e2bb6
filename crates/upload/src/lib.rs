//! Reading a material upload (R5): a `multipart/form-data` body whose short text fields
//! (`category`, `disposition`, `whereabouts`, and a page's `csrf`) come first and whose `file`
//! comes last. The text fields are read into memory up to `MAX_TEXT_BYTES` each and parsed into a
//! `MaterialMeta`; the file is handed back unread, as a stream, so that it never sits in memory.
//! What comes before the file is held to `MAX_HEAD_BYTES` in all: the multipart parser keeps a
//! part's headers in memory until they end, so without it one endless header would be held up to
//! the upload's own limit.
//!
//! No I/O of its own: the body arrives as a stream of chunks. The server feeds it a request's body;
//! the fuzz target (`fuzz/fuzz_targets/upload.rs`) feeds it arbitrary bytes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use liuhen_rules::{MaterialForm, MaterialMeta, Problem};
pub use multer::{self, parse_boundary};

/// The most a text field may hold, in bytes: text fields are read into memory, so they are held
/// far below the upload's own limit.
pub const MAX_TEXT_BYTES: usize = 4096;

/// The most that may be read before the file's part begins, in bytes: the text fields, any parts
/// the reader skips, and the headers of every part, the file's own included. The parser may pull
/// the chunk that holds the file's first bytes too before it hands the file over, so this leaves
/// room for one large chunk (a server's read buffer is some hundreds of KiB) beyond a real form's
/// few KiB.
pub const MAX_HEAD_BYTES: usize = 1 << 20;

/// Why an upload was refused before its file was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The body is not well-formed multipart; the parser's words.
    Malformed(String),
    /// A page's upload whose anti-forgery token was missing, wrong, or came after the file.
    Forged,
    /// The fields break the rules of R5, or a text field is too long or not UTF-8.
    Invalid(Vec<Problem>),
    /// More than `MAX_HEAD_BYTES` came before the file's part began.
    HeadTooLarge,
}

/// An upload whose description passed the rules, with its file still to be read.
pub struct Upload<'r> {
    pub meta: MaterialMeta,
    pub file: multer::Field<'r>,
}

/// An upload's body, not yet read: its chunks, split into parts at the boundary, with a count of
/// what was read before the file.
pub struct UploadBody<'r> {
    parts: multer::Multipart<'r>,
    file_reached: Arc<AtomicBool>,
}

/// The stream's error once more than `MAX_HEAD_BYTES` came before the file.
#[derive(Debug)]
struct HeadTooLarge;

impl std::fmt::Display for HeadTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {MAX_HEAD_BYTES} bytes before the file")
    }
}

impl std::error::Error for HeadTooLarge {}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<'r> UploadBody<'r> {
    /// A multipart body read from `chunks`, split at `boundary` (from the request's Content-Type:
    /// `multer::parse_boundary`).
    pub fn new<S, E>(chunks: S, boundary: impl Into<String>) -> UploadBody<'r>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'r,
        E: Into<BoxError> + 'r,
    {
        let file_reached = Arc::new(AtomicBool::new(false));
        let paced = Paced {
            chunks: Box::pin(chunks.map(|chunk| chunk.map_err(Into::into))),
            just_gave: false,
            read: 0,
            file_reached: file_reached.clone(),
        };
        UploadBody { parts: multer::Multipart::new(paced, boundary), file_reached }
    }
}

/// The body's chunks as the parser gets them: one per poll, and counted until the file begins.
/// The parser takes every chunk that is ready whenever it is polled; from a fast client that could
/// be much of the body at once, held in its buffer, and the count before the file would include
/// the file's first megabytes. Handed one at a time (a chunk, then a yield that wakes the task at
/// once), it holds about one chunk beyond what it has parsed.
struct Paced<'r> {
    chunks: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send + 'r>>,
    just_gave: bool,
    read: usize,
    file_reached: Arc<AtomicBool>,
}

impl Stream for Paced<'_> {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.just_gave {
            self.just_gave = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let chunk = match self.chunks.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => chunk,
            other => return other,
        };
        self.just_gave = true;
        if !self.file_reached.load(Ordering::Relaxed) {
            self.read = self.read.saturating_add(chunk.len());
            if self.read > MAX_HEAD_BYTES {
                return Poll::Ready(Some(Err(Box::new(HeadTooLarge))));
            }
        }
        Poll::Ready(Some(Ok(chunk)))
    }
}

/// Read the fields before `file` and parse them into a description. From a page, `csrf` is the
/// session's anti-forgery token, which the form's `csrf` field must match before the file; over
/// the API (a bearer token) it is `None`. Fields with other names are skipped. A page's upload
/// without its token is refused as forged whatever else is wrong with it, so that a forged form
/// learns nothing of the fields' rules.
pub async fn read_upload<'r>(body: &mut UploadBody<'r>, csrf: Option<&str>) -> Result<Upload<'r>, Refusal> {
    let mut csrf_matched = csrf.is_none();
    match read_fields(body, csrf, &mut csrf_matched).await {
        Err(Refusal::Invalid(_)) if !csrf_matched => Err(Refusal::Forged),
        other => other,
    }
}

async fn read_fields<'r>(
    body: &mut UploadBody<'r>,
    csrf: Option<&str>,
    csrf_matched: &mut bool,
) -> Result<Upload<'r>, Refusal> {
    let mut form = MaterialForm::default();
    let multipart = &mut body.parts;
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
                *csrf_matched = csrf.is_some_and(|expected| !expected.is_empty() && expected == sent);
            }
            "file" => {
                body.file_reached.store(true, Ordering::Relaxed);
                if !*csrf_matched {
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
    match &e {
        multer::Error::StreamReadFailed(source) if source.downcast_ref::<HeadTooLarge>().is_some() => {
            Refusal::HeadTooLarge
        }
        _ => Refusal::Malformed(e.to_string()),
    }
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
        let mut parts = UploadBody::new(futures::stream::iter(chunks), BOUNDARY);
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
        // Without the token, the fields' problems are not told: the form is forged, whatever it holds.
        let no_file = body(&[("category", None, b"memo")]);
        assert_eq!(read(no_file, 64, Some("t0ken")).unwrap_err(), Refusal::Forged);
        let long = vec![b'x'; MAX_TEXT_BYTES + 1];
        let too_long = body(&[("whereabouts", None, &long), ("csrf", None, b"t0ken")]);
        assert_eq!(read(too_long, 64, Some("t0ken")).unwrap_err(), Refusal::Forged);
    }

    #[test]
    fn what_comes_before_the_file_is_bounded() {
        // An endless header, or parts the reader skips, are refused once they pass the bound.
        let mut endless =
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\nX-Pad: ")
                .into_bytes();
        endless.resize(MAX_HEAD_BYTES + 1, b'x');
        assert_eq!(read(endless, 8192, None).unwrap_err(), Refusal::HeadTooLarge);
        let skipped = vec![b'y'; MAX_HEAD_BYTES];
        let upload = body(&[("note", None, &skipped), ("category", None, b"letter"), ("file", Some("a.pdf"), b"%PDF")]);
        assert_eq!(read(upload, 8192, None).unwrap_err(), Refusal::HeadTooLarge);
        // The file itself is not counted: it may be as large as the upload's own limit.
        let large = vec![b'z'; 3 * MAX_HEAD_BYTES];
        let upload = body(&[("category", None, b"letter"), ("file", Some("a.pdf"), &large)]);
        assert_eq!(read(upload, 64 * 1024, None).unwrap().1.len(), large.len());
    }

    #[test]
    fn a_body_that_is_not_multipart_is_malformed() {
        let refusal = read(b"--elsewhere\r\nnot a part".to_vec(), 64, None).unwrap_err();
        assert!(matches!(refusal, Refusal::Malformed(_)), "{refusal:?}");
    }
}
