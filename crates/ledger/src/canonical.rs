//! Canonical JSON, written straight from the typed event: compact, every object's keys sorted by
//! their UTF-8 bytes, strings escaped exactly as serde_json escapes them, integers only. It is a
//! serde_json `Formatter` that builds each object in a buffer and sorts it when the object closes,
//! so encoding an event costs one pass and no intermediate `serde_json::Value`.

use std::io;

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter, Serializer};

use crate::LedgerError;

/// The canonical bytes of `value`.
pub(crate) fn to_canonical_vec<T: Serialize>(value: &T, capacity: usize) -> Result<Vec<u8>, LedgerError> {
    let mut out = Vec::with_capacity(capacity);
    let mut serializer = Serializer::with_formatter(&mut out, Canonical::default());
    value.serialize(&mut serializer).map_err(|e| match e.io_error_kind() {
        Some(io::ErrorKind::InvalidData) => LedgerError::FloatNotAllowed,
        _ => LedgerError::Decode(e.to_string()),
    })?;
    Ok(out)
}

#[derive(Default)]
struct Canonical {
    /// The objects being written, innermost last.
    open: Vec<Object>,
    /// Closed objects kept for their buffers' capacity.
    spare: Vec<Object>,
}

/// An object being written: its entries as ranges of one buffer, sorted when it closes.
#[derive(Default)]
struct Object {
    buf: Vec<u8>,
    entries: Vec<Entry>,
    in_key: bool,
}

/// `buf[start..key_end]` is the key as written (quotes included), `buf[key_end..end]` the value.
#[derive(Default, Clone, Copy)]
struct Entry {
    start: usize,
    key_end: usize,
    end: usize,
    /// Whether the key has escapes, so that its written form is not its bytes.
    escaped: bool,
}

impl Object {
    /// The key's own bytes, for sorting.
    fn raw_key(&self, entry: &Entry) -> std::borrow::Cow<'_, [u8]> {
        let written = &self.buf[entry.start..entry.key_end];
        if !entry.escaped {
            return std::borrow::Cow::Borrowed(&written[1..written.len() - 1]);
        }
        let unescaped: String = serde_json::from_slice(written).unwrap_or_default();
        std::borrow::Cow::Owned(unescaped.into_bytes())
    }
}

fn float_refused() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "floating-point numbers are not allowed in ledger entries")
}

impl Canonical {
    /// Write to the innermost open object, or to the output when no object is open.
    fn put<W: ?Sized + io::Write>(&mut self, writer: &mut W, bytes: &[u8]) -> io::Result<()> {
        match self.open.last_mut() {
            None => writer.write_all(bytes),
            Some(object) => {
                object.buf.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    fn put_integer<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: impl itoa::Integer) -> io::Result<()> {
        let mut buffer = itoa::Buffer::new();
        self.put(writer, buffer.format(value).as_bytes())
    }
}

macro_rules! integers {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: $ty) -> io::Result<()> {
            self.put_integer(writer, value)
        })*
    };
}

impl Formatter for Canonical {
    integers!(write_i8: i8, write_i16: i16, write_i32: i32, write_i64: i64, write_i128: i128,
              write_u8: u8, write_u16: u16, write_u32: u32, write_u64: u64, write_u128: u128);

    fn write_null<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.put(writer, b"null")
    }

    fn write_bool<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: bool) -> io::Result<()> {
        self.put(writer, if value { b"true" } else { b"false" })
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, _: &mut W, _: f32) -> io::Result<()> {
        Err(float_refused())
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, _: &mut W, _: f64) -> io::Result<()> {
        Err(float_refused())
    }

    fn write_number_str<W: ?Sized + io::Write>(&mut self, _: &mut W, _: &str) -> io::Result<()> {
        Err(float_refused())
    }

    fn write_raw_fragment<W: ?Sized + io::Write>(&mut self, _: &mut W, _: &str) -> io::Result<()> {
        Err(io::Error::other("raw JSON fragments are not allowed in ledger entries"))
    }

    fn begin_string<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.put(writer, b"\"")
    }

    fn end_string<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.put(writer, b"\"")
    }

    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        self.put(writer, fragment.as_bytes())
    }

    fn write_char_escape<W: ?Sized + io::Write>(&mut self, writer: &mut W, escape: CharEscape) -> io::Result<()> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        if let Some(object) = self.open.last_mut()
            && object.in_key
            && let Some(entry) = object.entries.last_mut()
        {
            entry.escaped = true;
        }
        let written: &[u8] = match escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Solidus => b"\\/",
            CharEscape::Backspace => b"\\b",
            CharEscape::FormFeed => b"\\f",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::AsciiControl(byte) => {
                let written = [b'\\', b'u', b'0', b'0', HEX[(byte >> 4) as usize], HEX[(byte & 0xf) as usize]];
                return self.put(writer, &written);
            }
        };
        self.put(writer, written)
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.put(writer, b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.put(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { self.put(writer, b",") }
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, _: &mut W) -> io::Result<()> {
        let object = self.spare.pop().unwrap_or_default();
        self.open.push(object);
        Ok(())
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, _: &mut W, _first: bool) -> io::Result<()> {
        let object = self.open.last_mut().ok_or_else(|| io::Error::other("a key outside any object"))?;
        let start = object.buf.len();
        object.entries.push(Entry { start, key_end: start, end: start, escaped: false });
        object.in_key = true;
        Ok(())
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, _: &mut W) -> io::Result<()> {
        let object = self.open.last_mut().ok_or_else(|| io::Error::other("a key outside any object"))?;
        object.in_key = false;
        let end = object.buf.len();
        if let Some(entry) = object.entries.last_mut() {
            entry.key_end = end;
        }
        Ok(())
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, _: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _: &mut W) -> io::Result<()> {
        let object = self.open.last_mut().ok_or_else(|| io::Error::other("a value outside any object"))?;
        let end = object.buf.len();
        if let Some(entry) = object.entries.last_mut() {
            entry.end = end;
        }
        Ok(())
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        let mut object = self.open.pop().ok_or_else(|| io::Error::other("an object closed twice"))?;
        let mut entries = std::mem::take(&mut object.entries);
        if !entries.is_sorted_by(|a, b| object.raw_key(a) <= object.raw_key(b)) {
            entries.sort_unstable_by(|a, b| object.raw_key(a).cmp(&object.raw_key(b)));
        }
        if entries.windows(2).any(|w| object.raw_key(&w[0]) == object.raw_key(&w[1])) {
            return Err(io::Error::other("an object has the same key twice"));
        }
        let result = (|| {
            self.put(writer, b"{")?;
            for (i, entry) in entries.iter().enumerate() {
                if i > 0 {
                    self.put(writer, b",")?;
                }
                self.put(writer, &object.buf[entry.start..entry.key_end])?;
                self.put(writer, b":")?;
                self.put(writer, &object.buf[entry.key_end..entry.end])?;
            }
            self.put(writer, b"}")
        })();
        entries.clear();
        object.buf.clear();
        object.entries = entries;
        object.in_key = false;
        self.spare.push(object);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The reference: canonical writing of a `serde_json::Value`, whose maps are sorted.
    fn reference(value: &serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(value).unwrap()
    }

    #[test]
    fn matches_sorted_serde_json_output() {
        let values = [
            json!({"b": 1, "a": {"z": [1, "x", null, true], "y": -5}, "é": "ä\n\t\"\\/\u{1}", "A": false}),
            json!([{"k": {}}, [], "", 0, u64::MAX, i64::MIN]),
            json!("top-level string with \u{7f} and 法院"),
            json!({"nested": {"deeper": {"deepest": {"b": 2, "a": 1}}}, "0": "zero", "10": "ten", "9": "nine"}),
        ];
        for value in values {
            assert_eq!(to_canonical_vec(&value, 0).unwrap(), reference(&value), "{value}");
        }
    }

    #[test]
    fn keys_sort_by_their_unescaped_bytes() {
        // "\"" (0x22) sorts before "#" (0x23), though its escaped form "\\\"" starts with 0x5c.
        let value = json!({"#": 1, "\"": 2, "\n": 3});
        assert_eq!(to_canonical_vec(&value, 0).unwrap(), br##"{"\n":3,"\"":2,"#":1}"##);
    }

    #[test]
    fn floats_are_refused() {
        assert!(matches!(to_canonical_vec(&json!({"a": 1.5}), 0), Err(LedgerError::FloatNotAllowed)));
        assert!(matches!(to_canonical_vec(&1.0f64, 0), Err(LedgerError::FloatNotAllowed)));
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let mut map = std::collections::BTreeMap::new();
        map.insert("a", 1);
        #[derive(Serialize)]
        struct Twice {
            a: u8,
            #[serde(flatten)]
            more: std::collections::BTreeMap<&'static str, u8>,
        }
        assert!(to_canonical_vec(&Twice { a: 2, more: map }, 0).is_err());
    }
}
