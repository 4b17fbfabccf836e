//! Text edge lists: one edge per record, `src SEP dst` or `src SEP dst SEP weight`.
//!
//! The separator is a tab, a comma or a semicolon, read as delimited text with RFC 4180
//! quoting by `csv-core` (a quoted field may hold the separator, `""` for a quote, and line
//! breaks), or a run of blanks (SNAP style, no quoting). Which one a file uses is decided in
//! `detect`. Records whose first field starts with `#` or `%`, and blank lines, are skipped;
//! CRLF endings and a UTF-8 byte-order mark are accepted. Blanks around an unquoted field are
//! not part of it; a quoted field keeps everything inside its quotes.
//!
//! The reader reuses its buffers; it never holds more than one record of text, and a record
//! longer than [`LINE_LIMIT`] is an error instead of a buffer that grows without end.

use std::io::BufRead;

use crate::error::{Error, Result};

/// The longest record (a line, or several joined by a quoted line break) a reader accepts:
/// 64 MiB. Longer ones are an error naming the file and line: no edge list has such lines,
/// and a binary or corrupt file would otherwise grow one buffer until memory runs out.
pub const LINE_LIMIT: usize = 64 << 20;

/// How fields are separated on a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Separator {
    /// One tab between fields (quoted fields as in CSV).
    Tab,
    /// A comma, with CSV quoting.
    Comma,
    /// A semicolon, with CSV quoting (spreadsheets in many locales write these).
    Semicolon,
    /// Any run of spaces and tabs (no quoting).
    Space,
}

impl Separator {
    /// Every separator, in the order of preference when several read a file identically.
    pub const ALL: [Separator; 4] = [Separator::Tab, Separator::Comma, Separator::Semicolon, Separator::Space];

    /// The byte between fields (a space for runs of blanks).
    pub fn byte(self) -> u8 {
        match self {
            Separator::Tab => b'\t',
            Separator::Comma => b',',
            Separator::Semicolon => b';',
            Separator::Space => b' ',
        }
    }

    /// Its name as `--sep` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Separator::Tab => "tab",
            Separator::Comma => "comma",
            Separator::Semicolon => "semicolon",
            Separator::Space => "space",
        }
    }
}

/// One parsed edge record: the two endpoint ids as raw text and the optional weight text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct EdgeFields<'a> {
    /// The source id's text.
    pub source: &'a [u8],
    /// The destination id's text.
    pub target: &'a [u8],
    /// The third field, if there was one.
    pub weight: Option<&'a [u8]>,
}

/// What feeding a line to a [`RecordParser`] gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feed {
    /// The record is complete: read its fields.
    Complete,
    /// A quoted field is still open: the record goes on on the next line.
    Open,
}

/// Splits records into fields for one separator, reusing its buffers.
///
/// Delimited separators go through `csv-core` (quoting, `""`, line breaks inside quotes);
/// [`Separator::Space`] splits at runs of blanks. Lines are fed without their line ending;
/// a record continued over several lines joins them with `\n`.
pub(crate) struct RecordParser {
    separator: Separator,
    csv: Option<csv_core::Reader>,
    out: Vec<u8>,
    ends: Vec<usize>,
    out_len: usize,
    ends_len: usize,
    /// Which fields of the record were quoted (their blanks are theirs), tracked only for
    /// records whose first line holds a quote.
    quotes: QuoteScan,
}

/// Follows a record's raw bytes as csv-core reads them, to tell which fields were quoted: a
/// field is quoted when its first byte is `"`; inside it, each `"` toggles (`""` is an
/// escaped quote); outside quotes the delimiter ends a field.
#[derive(Default)]
struct QuoteScan {
    /// Tracking this record (its first line held a quote).
    active: bool,
    /// No line of the record fed yet.
    fresh: bool,
    at_start: bool,
    quoted: bool,
    inside: bool,
    /// Bytes of the current quoted field after its closing quote.
    tail: usize,
    /// Per finished field: whether it was quoted, and its bytes after the closing quote.
    flags: Vec<(bool, usize)>,
}

impl QuoteScan {
    fn reset(&mut self) {
        *self = QuoteScan {
            fresh: true,
            at_start: true,
            flags: std::mem::take(&mut self.flags),
            ..QuoteScan::default()
        };
        self.flags.clear();
    }

    fn scan(&mut self, bytes: &[u8], delimiter: u8) {
        for &b in bytes {
            if self.at_start {
                self.at_start = false;
                self.quoted = b == b'"';
                self.inside = self.quoted;
                self.tail = 0;
                if self.quoted {
                    continue;
                }
            }
            if self.quoted && b == b'"' {
                self.inside = !self.inside;
                // A quote after the closing one is an escaped quote: part of the field.
                self.tail = 0;
            } else if !self.inside && (b == delimiter || b == b'\n') {
                self.flags.push((self.quoted, self.tail));
                self.at_start = true;
                self.quoted = false;
            } else if self.quoted && !self.inside {
                self.tail += 1;
            }
        }
    }

    /// Field `i` as the record gives it: a quoted field keeps what its quotes held, less
    /// blanks after its closing quote; an unquoted one loses the blanks around it.
    fn field<'f>(&self, i: usize, field: &'f [u8]) -> &'f [u8] {
        match self.flags.get(i) {
            Some(&(true, tail)) if self.active && tail <= field.len() => {
                let (body, after) = field.split_at(field.len() - tail);
                if after.trim_ascii().is_empty() {
                    body
                } else {
                    field.trim_ascii_end()
                }
            }
            _ => field.trim_ascii(),
        }
    }
}

impl RecordParser {
    /// A parser for `separator`.
    pub(crate) fn new(separator: Separator) -> RecordParser {
        let csv = (separator != Separator::Space).then(|| {
            csv_core::ReaderBuilder::new()
                .delimiter(separator.byte())
                .terminator(csv_core::Terminator::Any(b'\n'))
                .quoting(true)
                .double_quote(true)
                .build()
        });
        RecordParser {
            separator,
            csv,
            out: vec![0; 256],
            ends: vec![0; 8],
            out_len: 0,
            ends_len: 0,
            quotes: QuoteScan {
                fresh: true,
                at_start: true,
                ..QuoteScan::default()
            },
        }
    }

    /// Bytes of the record so far.
    pub(crate) fn len(&self) -> usize {
        self.out_len
    }

    /// Feeds one line (without its line ending) of the current record.
    pub(crate) fn feed(&mut self, line: &[u8]) -> Feed {
        let Some(csv) = self.csv.as_mut() else {
            self.out_len = 0;
            self.ends_len = 0;
            for field in line.split(|&b| b == b' ' || b == b'\t').filter(|f| !f.is_empty()) {
                let start = self.out_len;
                put(&mut self.out, &mut self.out_len, field);
                push_end(&mut self.ends, &mut self.ends_len, start + field.len());
            }
            return Feed::Complete;
        };
        if self.quotes.fresh {
            self.quotes.fresh = false;
            self.quotes.active = memchr::memchr(b'"', line).is_some();
        }
        if self.quotes.active {
            let delimiter = self.separator.byte();
            self.quotes.scan(line, delimiter);
            self.quotes.scan(b"\n", delimiter);
        }
        // An empty slice means the end of the input to csv-core: a blank line inside a quoted
        // field is fed as its line break alone.
        for input in [line, b"\n"] {
            if input.is_empty() {
                continue;
            }
            let mut input = input;
            loop {
                let (result, read, written, ended) =
                    csv.read_record(input, &mut self.out[self.out_len..], &mut self.ends[self.ends_len..]);
                input = &input[read..];
                self.out_len += written;
                self.ends_len += ended;
                match result {
                    csv_core::ReadRecordResult::InputEmpty => break,
                    csv_core::ReadRecordResult::OutputFull => {
                        let grown = self.out.len() * 2;
                        self.out.resize(grown, 0);
                    }
                    csv_core::ReadRecordResult::OutputEndsFull => {
                        let grown = self.ends.len() * 2;
                        self.ends.resize(grown, 0);
                    }
                    csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => {
                        self.decimal_comma();
                        return Feed::Complete;
                    }
                }
            }
        }
        Feed::Open
    }

    /// In a semicolon-separated record (a spreadsheet's CSV in a locale whose decimal mark is
    /// a comma), a third field such as `1,5` is the weight 1.5: its comma becomes a point,
    /// when it has one comma and no point.
    fn decimal_comma(&mut self) {
        if self.separator != Separator::Semicolon || self.ends_len != 3 {
            return;
        }
        let weight = &mut self.out[self.ends[1]..self.ends[2]];
        if memchr::memchr(b'.', weight).is_none() && memchr::memchr_iter(b',', weight).count() == 1 {
            for b in weight.iter_mut().filter(|b| **b == b',') {
                *b = b'.';
            }
        }
    }

    /// Forgets the current record (complete, or open at the end of the input).
    pub(crate) fn clear(&mut self) {
        self.out_len = 0;
        self.ends_len = 0;
        self.quotes.reset();
        if let Some(csv) = self.csv.as_mut() {
            csv.reset();
        }
    }

    /// The fields of the complete record, blanks around unquoted ones trimmed (a quoted
    /// field keeps what is inside its quotes).
    pub(crate) fn fields(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends[..self.ends_len].iter().enumerate().map(move |(i, &end)| {
            let field = &self.out[start..end];
            start = end;
            self.quotes.field(i, field)
        })
    }

    /// The fields of the complete record as read, blanks around them kept.
    pub(crate) fn raw_fields(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends[..self.ends_len].iter().map(move |&end| {
            let field = &self.out[start..end];
            start = end;
            field
        })
    }

    /// The number of fields of the complete record.
    pub(crate) fn field_count(&self) -> usize {
        self.ends_len
    }

    /// The complete record as an edge.
    pub(crate) fn edge(&self) -> Result<EdgeFields<'_>, String> {
        let count = self.field_count();
        let mut fields = self.fields();
        if count != 2 && count != 3 {
            let hint = match self.separator {
                Separator::Space => "",
                _ if count == 1 => "; is the separator right? (--sep)",
                _ => "; quote fields that hold the separator",
            };
            return Err(format!(
                "expected 2 or 3 fields (source, target, optional weight) separated by {}, found {count}{hint}",
                describe(self.separator)
            ));
        }
        let source = fields.next().unwrap_or_default();
        let target = fields.next().unwrap_or_default();
        if source.is_empty() || target.is_empty() {
            return Err("empty node id".to_string());
        }
        Ok(EdgeFields {
            source,
            target,
            weight: fields.next(),
        })
    }
}

/// How a separator is named in messages.
pub(crate) fn describe(separator: Separator) -> &'static str {
    match separator {
        Separator::Tab => "tabs",
        Separator::Comma => "commas",
        Separator::Semicolon => "semicolons",
        Separator::Space => "blanks",
    }
}

fn put(out: &mut Vec<u8>, len: &mut usize, bytes: &[u8]) {
    if out.len() < *len + bytes.len() {
        out.resize((*len + bytes.len()).next_power_of_two(), 0);
    }
    out[*len..*len + bytes.len()].copy_from_slice(bytes);
    *len += bytes.len();
}

fn push_end(ends: &mut Vec<usize>, len: &mut usize, end: usize) {
    if ends.len() == *len {
        ends.resize(*len * 2 + 1, 0);
    }
    ends[*len] = end;
    *len += 1;
}

/// Splits one complete line (no line break inside a quoted field) into an edge: the parser
/// for lines that are not bare integer pairs. `Ok(None)` when a quoted field is left open.
pub(crate) fn split_line<'p>(line: &[u8], parser: &'p mut RecordParser) -> Result<Option<EdgeFields<'p>>, String> {
    parser.clear();
    match parser.feed(line) {
        Feed::Complete => parser.edge().map(Some),
        Feed::Open => {
            parser.clear();
            Ok(None)
        }
    }
}

/// Parses an unsigned decimal integer that fits in `u64`.
#[inline]
pub(crate) fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 20 {
        return None;
    }
    let mut value: u64 = 0;
    for &b in text {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(digit as u64)?;
    }
    Some(value)
}

/// Parses a node id as an integer: as [`parse_u64`], and when `canonical` (ids read with
/// `--ids auto`) only in the form an integer is written back, without leading zeros, so that
/// an id such as `007` or `00123` stays text and comes back byte for byte.
#[inline]
pub(crate) fn parse_id(text: &[u8], canonical: bool) -> Option<u64> {
    if canonical && text.len() > 1 && text[0] == b'0' {
        return None;
    }
    parse_u64(text)
}

/// The message for a node id that is not an unsigned 64-bit integer when ids must be
/// integers.
pub(crate) fn not_an_integer(bad: &[u8]) -> String {
    format!(
        "node id {} is not an unsigned 64-bit integer, as integer ids must be; read the ids as strings for text ids",
        crate::error::quote(bad)
    )
}

/// Parses a weight field: a finite, non-negative number.
pub(crate) fn parse_weight(text: &[u8]) -> Result<f64, String> {
    let value: f64 = std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "the weight is not a number".to_string())?;
    check_weight(value)
}

/// A weight a graph can use: finite and not negative.
pub(crate) fn check_weight(value: f64) -> Result<f64, String> {
    if !value.is_finite() {
        return Err("the weight is not finite".to_string());
    }
    if value < 0.0 {
        return Err("the weight is negative".to_string());
    }
    Ok(value)
}

/// Options of the text parser.
#[derive(Clone, Debug, Default)]
pub struct ParseOptions {
    /// Forced separator; `None` decides it per file (from the name's extension, else from the
    /// first lines taken together).
    pub separator: Option<Separator>,
    /// Every line must carry a valid weight.
    pub weighted: bool,
    /// Count malformed lines and go on, instead of failing on the first.
    pub skip_bad_lines: bool,
    /// Whether each file's first record is a header (`source,target`) to skip: `Some(true)`
    /// always, `Some(false)` never, `None` when the file's first lines show one.
    pub header: Option<bool>,
}

/// Where a file's separator came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeparatorSource {
    /// `--sep` (or the library's option).
    Given,
    /// The file name's extension (`.csv`, `.tsv`, `.tab`, before any compression extension),
    /// unless another separator reads more of the first records as edges.
    Extension,
    /// The file's first lines, taken together.
    Content,
    /// The file's lines did not tell on their own; the separator of the input's earlier
    /// files was used.
    Earlier,
}

/// What one file held.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct TextStats {
    /// Lines read, including comments and blank lines.
    pub lines: u64,
    /// Edge lines handed to the sink.
    pub edges: u64,
    /// Malformed lines skipped with `--skip-bad-lines`.
    pub bad_lines: u64,
    /// The separator used.
    pub separator: Option<Separator>,
    /// How the separator was decided.
    #[serde(default)]
    pub separator_source: Option<SeparatorSource>,
    /// The header record skipped, as text (lossy UTF-8), if the file had one.
    #[serde(default)]
    pub header: Option<String>,
}

/// Receives the edges of a text edge list, one call per edge line, or in batches of integer
/// ids on the parallel fast path.
pub trait EdgeSink {
    /// Takes one edge. An `Err` is a message about this line (for example an id that is not
    /// an integer in integer mode); the reader adds file, line and text.
    fn edge(&mut self, source: &[u8], target: &[u8], weight: Option<f64>) -> Result<(), String>;

    /// Whether integer ids may be handed over in batches: `None` if not, `Some(true)` if a
    /// non-integer id is an error, `Some(false)` if it switches the sink to string ids
    /// (then the reader goes on line by line with [`edge`](Self::edge)).
    fn integer_batches(&self) -> Option<bool> {
        None
    }

    /// Takes a batch of edges with integer ids, in input order, with their weights when the
    /// sink keeps weights. Only called after [`integer_batches`](Self::integer_batches)
    /// said yes.
    fn integer_edges(&mut self, batch: IntegerBatch<'_>, weights: &[f64]) {
        let _ = (batch, weights);
        unreachable!("integer_edges called on a sink that takes no integer batches");
    }

    /// Declares the integer ids `0..count` nodes of the graph, whether or not an edge names
    /// them (a BVGraph's isolated nodes). Only called after
    /// [`integer_batches`](Self::integer_batches) said yes.
    fn integer_nodes(&mut self, count: u64) {
        let _ = count;
        unreachable!("integer_nodes called on a sink that takes no integer batches");
    }
}

/// Edges with integer ids, as the parallel reader hands them over.
#[derive(Clone, Copy, Debug)]
pub enum IntegerBatch<'a> {
    /// Every id fits in 32 bits: `source << 32 | target`.
    Packed(&'a [u64]),
    /// Some id needs 64 bits.
    Pairs(&'a [(u64, u64)]),
}

/// The weight of a split line: parsed and checked with `--weighted`; otherwise, if present,
/// it must still be a number (a third column of words is a mistake) and is ignored.
pub(crate) fn line_weight(fields: &EdgeFields<'_>, options: &ParseOptions) -> Result<Option<f64>, String> {
    match (fields.weight, options.weighted) {
        (Some(text), true) => Ok(Some(parse_weight(text)?)),
        (None, true) => Err("a weighted graph needs a weight on every line (source target weight)".to_string()),
        (Some(text), false) => {
            std::str::from_utf8(text)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .ok_or_else(|| "the third field (weight) is not a number".to_string())?;
            Ok(None)
        }
        (None, false) => Ok(None),
    }
}

/// Whether a record starting with this line (without its ending) is skipped: blank, or a
/// comment (`#`, `%`).
#[inline]
pub(crate) fn is_comment_or_blank(line: &[u8]) -> bool {
    let content = line.trim_ascii_start();
    content.is_empty() || content[0] == b'#' || content[0] == b'%'
}

/// A line without its ending (`\n`, `\r\n`).
#[inline]
pub(crate) fn without_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Reads one line, its ending included, into `buffer` (cleared first); `Ok(0)` at the end.
/// A line longer than `limit` is `Err(None)` after `limit` bytes; an I/O error is
/// `Err(Some(e))`.
pub(crate) fn read_line<R: BufRead>(
    reader: &mut R,
    buffer: &mut Vec<u8>,
    limit: usize,
) -> Result<usize, Option<std::io::Error>> {
    buffer.clear();
    loop {
        let available = match reader.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Some(e)),
        };
        if available.is_empty() {
            return Ok(buffer.len());
        }
        let (take, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        let room = limit.saturating_sub(buffer.len());
        if take > room {
            return Err(None);
        }
        buffer.extend_from_slice(&available[..take]);
        reader.consume(take);
        if done {
            return Ok(buffer.len());
        }
    }
}

/// The error for a record longer than [`LINE_LIMIT`].
pub(crate) fn too_long(name: &str, line: u64, text: &[u8]) -> Error {
    Error::parse(
        name,
        line,
        format!(
            "the line is longer than {} MiB, the limit; this is not an edge list (or a quoted field is never closed)",
            LINE_LIMIT >> 20
        ),
        text,
    )
}

/// Reads every record of `reader` into `sink`, starting after `stats.lines` lines already
/// read (a header consumed, or the part of the file the parallel reader took): the reader of
/// every record that is not a bare integer pair.
///
/// `name` is used in error messages; `on_lines` is called every 64 Ki lines with the number of
/// edges read so far in this file (for progress reports).
pub(crate) fn read_edges_from<R: BufRead, S: EdgeSink>(
    name: &str,
    mut reader: R,
    options: &ParseOptions,
    separator: Separator,
    mut stats: TextStats,
    sink: &mut S,
    on_lines: &mut dyn FnMut(u64),
) -> Result<TextStats> {
    read_records(
        name,
        &mut reader,
        options,
        separator,
        &mut stats,
        sink,
        on_lines,
        LINE_LIMIT,
    )?;
    Ok(stats)
}

#[allow(clippy::too_many_arguments)] // the limit is a parameter only so that tests can lower it
pub(crate) fn read_records<R: BufRead, S: EdgeSink>(
    name: &str,
    reader: &mut R,
    options: &ParseOptions,
    separator: Separator,
    stats: &mut TextStats,
    sink: &mut S,
    on_lines: &mut dyn FnMut(u64),
    limit: usize,
) -> Result<()> {
    let mut buffer = Vec::with_capacity(256);
    let mut parser = RecordParser::new(separator);
    // The record being read: its first line's number and text, while a quoted field is open.
    let mut open: Option<(u64, Vec<u8>)> = None;
    loop {
        let room = limit.saturating_sub(parser.len());
        match read_line(reader, &mut buffer, room) {
            Ok(0) => break,
            Ok(_) => {}
            Err(None) => {
                let (line, text) = open.take().unwrap_or((stats.lines + 1, buffer.clone()));
                return Err(too_long(name, line, &text));
            }
            Err(Some(e)) => return Err(read_error(name, open.as_ref().map_or(stats.lines, |o| o.0 - 1), e)),
        }
        stats.lines += 1;
        if stats.lines.is_multiple_of(1 << 16) {
            on_lines(stats.edges);
        }
        let mut line = without_ending(&buffer);
        if stats.lines == 1 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        let first = match &open {
            Some(_) => None,
            None if is_comment_or_blank(line) => continue,
            None => {
                parser.clear();
                Some(stats.lines)
            }
        };
        if parser.feed(line) == Feed::Open {
            if let Some(number) = first {
                open = Some((number, line.to_vec()));
            }
            continue;
        }
        let (number, text) = match open.take() {
            Some((number, text)) => (number, text),
            None => (stats.lines, line.to_vec()),
        };
        let outcome = parser
            .edge()
            .and_then(|fields| sink.edge(fields.source, fields.target, line_weight(&fields, options)?));
        match outcome {
            Ok(()) => stats.edges += 1,
            Err(_) if options.skip_bad_lines => stats.bad_lines += 1,
            Err(message) => return Err(Error::parse(name, number, message, &text)),
        }
    }
    if let Some((number, text)) = open {
        let message = "a quoted field opened on this line is never closed (the file ends inside it)";
        if !options.skip_bad_lines {
            return Err(Error::parse(name, number, message, &text));
        }
        stats.bad_lines += 1;
    }
    Ok(())
}

pub(crate) fn read_error(name: &str, lines: u64, e: std::io::Error) -> Error {
    let what = match e.kind() {
        std::io::ErrorKind::UnexpectedEof => "the compressed stream is truncated",
        std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput => "the compressed stream is corrupt",
        _ => "reading failed",
    };
    let after = if lines == 0 {
        "before its first complete line".to_string()
    } else {
        format!("after line {lines}, the last complete one")
    };
    Error::Input(format!(
        "{name}: {what} {after} ({e}); re-download or re-create the file"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str, sep: Separator) -> Result<(String, String, Option<String>), String> {
        let mut parser = RecordParser::new(sep);
        let f = split_line(line.as_bytes(), &mut parser)?.ok_or("open quote")?;
        let s = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
        Ok((s(f.source), s(f.target), f.weight.map(s)))
    }

    #[test]
    fn splits_each_separator() {
        assert_eq!(
            fields("a\tb c", Separator::Tab).unwrap(),
            ("a".into(), "b c".into(), None)
        );
        assert_eq!(
            fields("  a   b\t 2.5", Separator::Space).unwrap(),
            ("a".into(), "b".into(), Some("2.5".into()))
        );
        assert_eq!(
            fields("a, b", Separator::Comma).unwrap(),
            ("a".into(), "b".into(), None)
        );
        assert_eq!(
            fields("a;b c", Separator::Semicolon).unwrap(),
            ("a".into(), "b c".into(), None)
        );
        assert_eq!(
            fields(r#""http://x/?a=1,2", "say ""hi""",3"#, Separator::Comma).unwrap(),
            (
                "http://x/?a=1,2".into(),
                " \"say \"\"hi\"\"\"".trim().into(),
                Some("3".into())
            )
        );
        assert_eq!(
            fields(r#""http://x/?a=1,2","say ""hi""",3"#, Separator::Comma).unwrap(),
            ("http://x/?a=1,2".into(), "say \"hi\"".into(), Some("3".into()))
        );
        assert_eq!(
            fields("\"  spaced  \"  , plain ,\"x\"\"\" ", Separator::Comma).unwrap(),
            ("  spaced  ".into(), "plain".into(), Some("x\"".into())),
            "a quoted field keeps its blanks, an unquoted one loses them"
        );
        assert_eq!(
            fields("\"a\tb\"\tc", Separator::Tab).unwrap(),
            ("a\tb".into(), "c".into(), None),
            "a quoted tab in a TSV"
        );
    }

    #[test]
    fn rejects_wrong_field_counts() {
        assert!(fields("a", Separator::Space).unwrap_err().contains("found 1"));
        assert!(fields("a b c d", Separator::Space).unwrap_err().contains("found 4"));
        assert!(fields("a\t\t", Separator::Tab).is_err());
        let one = fields("New York Boston", Separator::Comma).unwrap_err();
        assert!(one.contains("found 1; is the separator right? (--sep)"), "{one}");
        assert_eq!(fields("\"open,b", Separator::Comma).unwrap_err(), "open quote");
    }

    #[test]
    fn parses_u64_edges_of_range() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"-1"), None);
        assert_eq!(parse_u64(b"12a"), None);
        assert_eq!(parse_u64(b""), None);
    }

    #[test]
    fn weights_must_be_finite_and_non_negative() {
        assert_eq!(parse_weight(b"2.5"), Ok(2.5));
        assert!(parse_weight(b"-1").is_err());
        assert!(parse_weight(b"NaN").is_err());
        assert!(parse_weight(b"inf").is_err());
        assert!(parse_weight(b"heavy").is_err());
    }

    #[derive(Debug, Default)]
    struct Collect(Vec<(String, String, Option<f64>)>);
    impl EdgeSink for Collect {
        fn edge(&mut self, s: &[u8], t: &[u8], w: Option<f64>) -> Result<(), String> {
            self.0
                .push((String::from_utf8_lossy(s).into(), String::from_utf8_lossy(t).into(), w));
            Ok(())
        }
    }

    fn read_with(text: &str, sep: Separator, options: &ParseOptions, limit: usize) -> Result<(Collect, TextStats)> {
        let mut sink = Collect::default();
        let mut stats = TextStats::default();
        let mut reader = text.as_bytes();
        read_records(
            "t.tsv",
            &mut reader,
            options,
            sep,
            &mut stats,
            &mut sink,
            &mut |_| {},
            limit,
        )?;
        Ok((sink, stats))
    }

    fn read(text: &str, options: &ParseOptions) -> Result<(Collect, TextStats)> {
        read_with(text, Separator::Space, options, LINE_LIMIT)
    }

    #[test]
    fn skips_comments_blank_lines_bom_and_crlf() {
        let (sink, stats) = read_with(
            "\u{feff}# comment\r\n% matrix market\r\n\r\n1\t2\r\n  \n3\t4",
            Separator::Tab,
            &ParseOptions::default(),
            LINE_LIMIT,
        )
        .unwrap();
        assert_eq!(
            sink.0,
            vec![("1".into(), "2".into(), None), ("3".into(), "4".into(), None)]
        );
        assert_eq!((stats.lines, stats.edges), (6, 2));
    }

    #[test]
    fn quoted_fields_span_lines_and_keep_their_line_number() {
        let text = "a,\"multi\r\nline\"\n\"x,y\",\"say \"\"hi\"\"\"\nc,d\n";
        let (sink, stats) = read_with(text, Separator::Comma, &ParseOptions::default(), LINE_LIMIT).unwrap();
        assert_eq!(
            sink.0,
            vec![
                ("a".into(), "multi\nline".into(), None),
                ("x,y".into(), "say \"hi\"".into(), None),
                ("c".into(), "d".into(), None)
            ]
        );
        assert_eq!(stats.lines, 4);
        let err = read_with(
            "a,b\nc,d\n\"never closed,e\nf,g\n",
            Separator::Comma,
            &ParseOptions::default(),
            LINE_LIMIT,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("t.tsv:3: a quoted field opened on this line is never closed"),
            "{err}"
        );
    }

    #[test]
    fn a_line_past_the_limit_is_an_error_naming_it() {
        let text = format!("1 2\n3 {}\n", "4".repeat(100));
        let err = read_with(&text, Separator::Space, &ParseOptions::default(), 64)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("t.tsv:2: the line is longer than 64 MiB"), "{err}");
        // An open quote runs into the limit too, and the error names where it opened.
        let text = format!("a,b\n\"c,d\n{}", "e,f\n".repeat(40));
        let err = read_with(&text, Separator::Comma, &ParseOptions::default(), 64)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("t.tsv:2: the line is longer"), "{err}");
    }

    #[test]
    fn bad_line_names_file_line_and_text() {
        let err = read("1 2\n3 4\nfive\n", &ParseOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "t.tsv:3: expected 2 or 3 fields (source, target, optional weight) separated by blanks, found 1: \"five\""
        );
    }

    #[test]
    fn skip_bad_lines_counts_them() {
        let options = ParseOptions {
            skip_bad_lines: true,
            ..Default::default()
        };
        let (sink, stats) = read("1 2\nfive\n3 4 x\n5 6\n", &options).unwrap();
        assert_eq!(sink.0.len(), 2);
        assert_eq!(stats.bad_lines, 2);
    }

    #[test]
    fn weighted_needs_weights() {
        let options = ParseOptions {
            weighted: true,
            ..Default::default()
        };
        let (sink, _) = read("a b 2\n", &options).unwrap();
        assert_eq!(sink.0[0].2, Some(2.0));
        let err = read("a b 2\nc d\n", &options).unwrap_err().to_string();
        assert!(err.starts_with("t.tsv:2: a weighted graph needs a weight"), "{err}");
        let err = read("a b -2\n", &options).unwrap_err().to_string();
        assert!(err.contains("negative"), "{err}");
    }
}
