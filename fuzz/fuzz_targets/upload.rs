//! A material upload (R5) as the server reads it (`liuhen-upload`): arbitrary bytes as the
//! multipart body, fed in chunks of a size the input's first byte chooses (parts and headers then
//! split anywhere), with or without a page's anti-forgery token. It must never panic, and a
//! description it accepts must meet the rules.
#![no_main]

use std::convert::Infallible;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use liuhen_rules::{Disposition, MaterialCategory};

/// The boundary the seeds in fuzz/seeds/upload use.
const BOUNDARY: &str = "liuhen-fuzz";

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else { return };
    let chunk = usize::from(first & 0x3f) + 1;
    let csrf = (first & 0x80 != 0).then_some("fuzz-token");
    let chunks: Vec<Result<Bytes, Infallible>> = body.chunks(chunk).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    let mut parts = liuhen_upload::UploadBody::new(futures::stream::iter(chunks), BOUNDARY);
    futures::executor::block_on(async {
        let Ok(mut upload) = liuhen_upload::read_upload(&mut parts, csrf).await else { return };
        let meta = &upload.meta;
        let name = meta.file_name();
        assert!(!name.is_empty() && !name.contains(['/', '\\']) && name.trim() == name);
        assert!(name.chars().count() <= liuhen_rules::material::MAX_FILE_NAME_CHARS);
        if matches!(meta.category(), MaterialCategory::OfficialLetter | MaterialCategory::Letter) {
            assert_eq!(meta.disposition(), Disposition::FiledWithCase);
        }
        // Other materials may be filed with the case too; one kept elsewhere says where (S4 ¶2).
        if meta.disposition() == Disposition::Whereabouts {
            assert!(meta.whereabouts().is_some_and(|w| !w.is_empty() && w.trim() == w));
        }
        // The file itself streams to its end or to the parser's error, never to a panic.
        while let Ok(Some(_)) = upload.file.chunk().await {}
    });
});
