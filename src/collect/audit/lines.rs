//! Reading an audit log file in bounded pieces: lines, or the elements of a JSON document.
//!
//! A file is opened through [`crate::base::input::open`] (regular files only; streamed, so the
//! `--max-file-size` cap does not apply), hashed as its bytes go by (the sha256 of the file
//! as stored, compressed or not), and decompressed when its first bytes are the gzip magic
//! (whatever its name; every member of a multi-member file, as `zcat` does). Lines are read
//! into one reused buffer; a line longer than the limit is skipped without being held. A
//! file that is one JSON document (a pretty-printed array, or an object wrapping an array
//! of records) is streamed element by element, each element bounded the same way.

use std::cell::{Cell, RefCell};
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use flate2::bufread::MultiGzDecoder;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::base::input::{self, InputError};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const READ_BUFFER: usize = 256 << 10;

/// The sha256 and length of a file's bytes as read from disk, shared between the reader
/// that feeds them and [`Opened::finish`].
type SharedDigest = Rc<RefCell<(Sha256, u64)>>;

/// A file's bytes as read from disk, hashed on the way.
struct Hashing<R> {
    inner: R,
    digest: SharedDigest,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut d = self.digest.borrow_mut();
        d.0.update(&buf[..n]);
        d.1 += n as u64;
        Ok(n)
    }
}

/// An opened audit log: decompressed when it is gzip, hashed as it is read.
pub(super) struct Opened {
    pub(super) reader: Box<dyn BufRead>,
    pub(super) gzip: bool,
    digest: SharedDigest,
}

impl Opened {
    /// Reads what is left of the file (so the hash covers all of it) and returns the
    /// sha256 of its bytes as stored, and their number.
    pub(super) fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self.reader, &mut io::sink())?;
        let (hasher, bytes) = std::mem::take(&mut *self.digest.borrow_mut());
        Ok((hex::encode(hasher.finalize()), bytes))
    }
}

/// Opens a user-given file for streaming (see the module doc).
pub(super) fn open(path: &Path) -> Result<Opened, InputError> {
    from_reader(input::open(path)?.into_file())
}

/// As [`open`], from any reader (tests and fuzzing read bytes in memory).
pub(super) fn from_reader<R: Read + 'static>(inner: R) -> Result<Opened, InputError> {
    let digest = SharedDigest::default();
    let mut raw = BufReader::with_capacity(
        READ_BUFFER,
        Hashing {
            inner,
            digest: Rc::clone(&digest),
        },
    );
    let gzip = raw.fill_buf()?.starts_with(&GZIP_MAGIC);
    let reader: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::with_capacity(
            READ_BUFFER,
            MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    Ok(Opened {
        reader,
        gzip,
        digest,
    })
}

/// One line, or why it was not kept.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Line {
    /// The line is in the buffer, without its line ending.
    Text,
    /// The line was longer than the limit: skipped, `bytes` long.
    TooLong { bytes: u64 },
}

/// Reads the next line of `reader` into `buf` (cleared first), holding at most `max` bytes:
/// None at the end of the input.
pub(super) fn next_line(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<Option<Line>> {
    buf.clear();
    let mut skipped: u64 = 0;
    let mut any = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            break;
        }
        any = true;
        let (chunk, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        if skipped > 0 || buf.len() + chunk.len() > max {
            skipped += (buf.len() + chunk.len()) as u64;
            buf.clear();
        } else {
            buf.extend_from_slice(chunk);
        }
        let used = done.unwrap_or(available.len());
        reader.consume(used);
        if done.is_some() {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if skipped > 0 {
        return Ok(Some(Line::TooLong { bytes: skipped }));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(Line::Text))
}

/// Counts the bytes and lines serde_json takes from a document, and refuses an element
/// that grows past the limit (so a huge element is never held whole).
struct Counting<R> {
    inner: R,
    state: Rc<CountState>,
}

#[derive(Default)]
struct CountState {
    /// Newlines read so far.
    newlines: Cell<u64>,
    /// Bytes read since the current element started (None: between elements).
    element: Cell<Option<u64>>,
    max: Cell<u64>,
    /// Set when an element went over `max`.
    too_long: Cell<bool>,
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // serde_json reads a byte at a time through io::Bytes; serve them from the buffer.
        let n = {
            let available = self.inner.fill_buf()?;
            let n = available.len().min(buf.len());
            buf[..n].copy_from_slice(&available[..n]);
            n
        };
        self.inner.consume(n);
        let lines = memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        self.state.newlines.set(self.state.newlines.get() + lines);
        if let Some(seen) = self.state.element.get() {
            let seen = seen + n as u64;
            if seen > self.state.max.get() {
                self.state.too_long.set(true);
                return Err(io::Error::other("a record is over the size limit"));
            }
            self.state.element.set(Some(seen));
        }
        Ok(n)
    }
}

/// Keys of a wrapping object whose array holds the records: `events` (`aws logs
/// filter-log-events` and `get-log-events`), `logEvents` (a CloudWatch Logs subscription
/// payload, as Firehose writes it), `records` (Azure diagnostic logs through Event Hubs or
/// older storage blobs), `entries` (the Cloud Logging API's `entries.list`).
pub(super) const RECORD_ARRAYS: [&str; 4] = ["events", "logEvents", "records", "entries"];

/// Why a document stopped being read.
#[derive(Debug)]
pub(super) struct DocumentError {
    /// The line the reader had reached.
    pub(super) line: u64,
    pub(super) message: String,
}

/// Streams a file that is one JSON document, or several concatenated: every element of a
/// top-level array, or of the record array of a top-level object (see [`RECORD_ARRAYS`]),
/// is given to `each` with the line it starts on and its place among the file's records
/// (0-based). Other keys are skipped. An element over
/// `max` bytes, or JSON that does not parse, stops the file: the error says at which line.
pub(super) fn stream_document(
    reader: &mut dyn BufRead,
    max: usize,
    each: &mut dyn FnMut(&str, u64, u64),
) -> Result<(), DocumentError> {
    let state = Rc::new(CountState::default());
    state.max.set(max as u64);
    let counting = Counting {
        inner: reader,
        state: Rc::clone(&state),
    };
    let mut de = serde_json::Deserializer::from_reader(counting);
    let mut elements = Elements {
        state: &state,
        each,
        count: 0,
    };
    // Concatenated documents (Firehose writes records back to back) are read in turn,
    // until nothing but whitespace is left.
    while de.end().is_err() {
        if let Err(e) = de::Deserializer::deserialize_any(&mut de, TopLevel(&mut elements)) {
            let message = if state.too_long.get() {
                format!(
                    "a record is over the {max}-byte limit on a record; the rest of the file \
                     was not read"
                )
            } else {
                format!("the JSON document does not parse ({e}); the rest of the file was not read")
            };
            return Err(DocumentError {
                line: state.newlines.get() + 1,
                message,
            });
        }
    }
    Ok(())
}

struct Elements<'s, 'f> {
    state: &'s CountState,
    each: &'f mut dyn FnMut(&str, u64, u64),
    /// Records given so far, over the whole file.
    count: u64,
}

/// A top-level value: an array of records, or an object holding one.
struct TopLevel<'e, 's, 'f>(&'e mut Elements<'s, 'f>);

impl<'de> Visitor<'de> for TopLevel<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of records or an object holding one")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        records(self.0, seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if RECORD_ARRAYS.contains(&key.as_ref()) {
                map.next_value_seed(RecordArray(self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct RecordArray<'e, 's, 'f>(&'e mut Elements<'s, 'f>);

impl<'de> DeserializeSeed<'de> for RecordArray<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RecordArray<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        records(self.0, seq)
    }
}

fn records<'de, A: SeqAccess<'de>>(
    elements: &mut Elements<'_, '_>,
    mut seq: A,
) -> Result<(), A::Error> {
    while seq.next_element_seed(Record(elements))?.is_some() {}
    Ok(())
}

/// One element, taken whole as raw JSON text (bounded by the counting reader).
struct Record<'e, 's, 'f>(&'e mut Elements<'s, 'f>);

impl<'de> DeserializeSeed<'de> for Record<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // serde_json has read the element's first byte: the line count is its line.
        let line = self.0.state.newlines.get() + 1;
        self.0.state.element.set(Some(0));
        let raw: Box<RawValue> = de::Deserialize::deserialize(d)?;
        self.0.state.element.set(None);
        (self.0.each)(raw.get(), line, self.0.count);
        self.0.count += 1;
        Ok(())
    }
}

/// Whether this first non-empty line starts a JSON document rather than a record a line:
/// an array, an object that does not end on its line, or objects back to back.
pub(super) fn starts_document(line: &[u8]) -> bool {
    let text = line.trim_ascii_start();
    match text.first() {
        Some(b'[') => true,
        Some(b'{') => {
            let mut values = serde_json::Deserializer::from_slice(text).into_iter::<IgnoredAny>();
            match values.next() {
                Some(Err(e)) => e.is_eof(),
                Some(Ok(_)) => matches!(values.next(), Some(Ok(_))),
                None => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn lines(input: &[u8], max: usize) -> Vec<Result<String, u64>> {
        let mut reader: Box<dyn BufRead> =
            Box::new(BufReader::with_capacity(4, Cursor::new(input.to_vec())));
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = next_line(&mut *reader, &mut buf, max).unwrap() {
            out.push(match line {
                Line::Text => Ok(String::from_utf8(buf.clone()).unwrap()),
                Line::TooLong { bytes } => Err(bytes),
            });
        }
        out
    }

    #[test]
    fn lines_are_bounded_and_a_long_one_is_skipped_whole() {
        assert_eq!(
            lines(b"ab\r\n0123456789\ncd\n\nef", 5),
            [
                Ok("ab".into()),
                Err(10),
                Ok("cd".into()),
                Ok(String::new()),
                Ok("ef".into())
            ]
        );
        assert!(lines(b"", 5).is_empty());
    }

    #[test]
    fn gzip_is_told_by_its_magic_and_every_member_is_read() {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let mut bytes = Vec::new();
        for part in ["one\n", "two\n"] {
            let mut e = GzEncoder::new(Vec::new(), Compression::fast());
            e.write_all(part.as_bytes()).unwrap();
            bytes.extend(e.finish().unwrap());
        }
        let expected = crate::evidence::record::sha256_hex(&bytes);
        let mut opened = from_reader(Cursor::new(bytes.clone())).unwrap();
        assert!(opened.gzip);
        let mut text = String::new();
        opened.reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "one\ntwo\n");
        assert_eq!(opened.finish().unwrap(), (expected, bytes.len() as u64));
        let plain = from_reader(Cursor::new(b"one\n".to_vec())).unwrap();
        assert!(!plain.gzip);
    }

    #[test]
    fn documents_are_streamed_element_by_element_with_their_lines() {
        let doc = b"{\n  \"nextToken\": \"x\",\n  \"events\": [\n    {\"message\": \"a\"},\n    {\n      \"message\": \"b\"\n    }\n  ]\n}\n[1,\n2]";
        let mut reader: Box<dyn BufRead> = Box::new(Cursor::new(doc.to_vec()));
        let mut seen = Vec::new();
        stream_document(&mut *reader, 1000, &mut |text, line, _| {
            seen.push((text.to_string(), line))
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                ("{\"message\": \"a\"}".to_string(), 4),
                ("{\n      \"message\": \"b\"\n    }".to_string(), 5),
                ("1".to_string(), 10),
                ("2".to_string(), 11),
            ]
        );
        let mut reader: Box<dyn BufRead> =
            Box::new(Cursor::new(b"[\n{\"a\": \"0123456789\"}]".to_vec()));
        let e = stream_document(&mut *reader, 10, &mut |_, _, _| {}).unwrap_err();
        assert!(e.message.contains("over the 10-byte limit"), "{e:?}");
        let mut reader: Box<dyn BufRead> = Box::new(Cursor::new(b"[\n{\"a\": }]".to_vec()));
        let e = stream_document(&mut *reader, 100, &mut |_, _, _| {}).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("does not parse"), "{e:?}");
    }

    #[test]
    fn a_document_is_told_from_a_record_a_line() {
        assert!(starts_document(b"["));
        assert!(starts_document(b"  {"));
        assert!(starts_document(b"{\"events\": ["));
        assert!(!starts_document(b"{\"kind\": \"Event\"}"));
        assert!(!starts_document(b"{\"kind\": }"));
        assert!(starts_document(b"{\"logEvents\": []}{\"logEvents\": []}"));
        assert!(!starts_document(b"{\"kind\": \"Event\"} x"));
        assert!(!starts_document(b"2026-07-01T00:00:00.000Z {}"));
    }
}
