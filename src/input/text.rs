//! Text edge lists: one edge per line, `src dst` or `src dst weight`.
//!
//! Fields are separated by tabs, runs of blanks, or commas (detected from a file's first edge
//! line, or forced with [`Separator`]). In comma mode a field may be quoted as in CSV
//! (`"a,b"`, with `""` for a quote), since URLs contain commas. Lines starting with `#` or `%`
//! and blank lines are skipped; CRLF endings and a UTF-8 byte-order mark are accepted.
//!
//! The reader reuses one line buffer; it never holds more than a line of text.

use std::io::BufRead;

use crate::error::{Error, Result};

/// How fields are separated on a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Separator {
    /// One tab between fields; fields may contain blanks.
    Tab,
    /// Any run of spaces and tabs.
    Space,
    /// A comma, with CSV quoting.
    Comma,
}

impl Separator {
    /// Guesses the separator from a file's first edge line.
    ///
    /// A tab wins; otherwise blanks, unless the blank-separated fields end in commas (`1, 2`)
    /// or there is only one of them (`a,b`), which is comma-separated text.
    pub fn detect(line: &[u8]) -> Separator {
        if line.contains(&b'\t') {
            return Separator::Tab;
        }
        let fields: Vec<&[u8]> = line.split(|&b| b == b' ').filter(|f| !f.is_empty()).collect();
        if fields.len() >= 2 && !fields.iter().any(|f| f.ends_with(b",")) {
            Separator::Space
        } else if line.contains(&b',') {
            Separator::Comma
        } else {
            Separator::Space
        }
    }
}

/// One parsed edge line: the two endpoint ids as raw text and the optional weight text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct EdgeFields<'a> {
    /// The source id's text.
    pub source: &'a [u8],
    /// The destination id's text.
    pub target: &'a [u8],
    /// The third field, if there was one.
    pub weight: Option<&'a [u8]>,
}

/// Splits `line` (without its line ending) into fields.
///
/// Quoted comma fields that contain `""` are unescaped into `scratch`.
pub(crate) fn split_fields<'a>(
    line: &'a [u8],
    sep: Separator,
    scratch: &'a mut Vec<u8>,
) -> Result<EdgeFields<'a>, String> {
    let mut fields: [&[u8]; 3] = [&[]; 3];
    let mut count = 0;
    let mut push = |f: &'a [u8], count: &mut usize| {
        if *count < 3 {
            fields[*count] = f;
        }
        *count += 1;
    };
    match sep {
        Separator::Tab => {
            for f in line.split(|&b| b == b'\t') {
                push(f.trim_ascii(), &mut count);
            }
        }
        Separator::Space => {
            for f in line.split(|&b| b == b' ' || b == b'\t').filter(|f| !f.is_empty()) {
                push(f, &mut count);
            }
        }
        Separator::Comma if !line.contains(&b'"') => {
            for f in line.split(|&b| b == b',') {
                push(f.trim_ascii(), &mut count);
            }
        }
        Separator::Comma => {
            let ranges = unquote_csv(line, scratch)?;
            let scratch: &'a [u8] = scratch;
            for (start, end) in ranges {
                push(&scratch[start..end], &mut count);
            }
        }
    }
    if count != 2 && count != 3 {
        return Err(format!(
            "expected 2 or 3 fields (source, target, optional weight), found {count}"
        ));
    }
    if fields[0].is_empty() || fields[1].is_empty() {
        return Err("empty node id".to_string());
    }
    Ok(EdgeFields {
        source: fields[0],
        target: fields[1],
        weight: (count == 3).then_some(fields[2]),
    })
}

/// Copies the fields of a CSV line with quotes into `out`, returning their ranges.
fn unquote_csv(line: &[u8], out: &mut Vec<u8>) -> Result<Vec<(usize, usize)>, String> {
    out.clear();
    let mut ranges = Vec::with_capacity(3);
    let mut i = 0;
    loop {
        while i < line.len() && line[i] == b' ' {
            i += 1;
        }
        let start = out.len();
        if i < line.len() && line[i] == b'"' {
            i += 1;
            loop {
                match line.get(i) {
                    None => return Err("unterminated quoted field".to_string()),
                    Some(b'"') if line.get(i + 1) == Some(&b'"') => {
                        out.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&b) => {
                        out.push(b);
                        i += 1;
                    }
                }
            }
            while i < line.len() && line[i] == b' ' {
                i += 1;
            }
            if i < line.len() && line[i] != b',' {
                return Err("text after a closing quote".to_string());
            }
        } else {
            while i < line.len() && line[i] != b',' {
                out.push(line[i]);
                i += 1;
            }
            while out.len() > start && out.last() == Some(&b' ') {
                out.pop();
            }
        }
        ranges.push((start, out.len()));
        if i >= line.len() {
            return Ok(ranges);
        }
        i += 1; // the comma
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
    /// Forced separator; `None` detects it per file.
    pub separator: Option<Separator>,
    /// Every line must carry a valid weight.
    pub weighted: bool,
    /// Count malformed lines and go on, instead of failing on the first.
    pub skip_bad_lines: bool,
    /// Each file's first edge line is a header (`source,target`) to skip.
    pub header: bool,
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

/// Reads every edge line of `reader` into `sink`.
///
/// `name` is used in error messages; `on_lines` is called every 64 Ki lines with the number of
/// edges read so far in this file (for progress reports).
pub(crate) fn read_edges<R: BufRead, S: EdgeSink>(
    name: &str,
    reader: R,
    options: &ParseOptions,
    sink: &mut S,
    on_lines: &mut dyn FnMut(u64),
) -> Result<TextStats> {
    let stats = TextStats {
        separator: options.separator,
        ..TextStats::default()
    };
    read_edges_from(name, reader, options, options.header, stats, sink, on_lines)
}

/// [`read_edges`] that goes on from `stats` (lines already read, separator found), as the
/// parallel reader does when it hands the rest of a file over.
pub(crate) fn read_edges_from<R: BufRead, S: EdgeSink>(
    name: &str,
    mut reader: R,
    options: &ParseOptions,
    mut header_pending: bool,
    mut stats: TextStats,
    sink: &mut S,
    on_lines: &mut dyn FnMut(u64),
) -> Result<TextStats> {
    let mut buffer = Vec::with_capacity(256);
    let mut scratch = Vec::new();
    loop {
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(|e| read_error(name, stats.lines, e))?;
        if read == 0 {
            return Ok(stats);
        }
        stats.lines += 1;
        if stats.lines.is_multiple_of(1 << 16) {
            on_lines(stats.edges);
        }
        let mut line = &buffer[..];
        if stats.lines == 1 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        line = line.strip_suffix(b"\n").unwrap_or(line);
        line = line.strip_suffix(b"\r").unwrap_or(line);
        let content = line.trim_ascii_start();
        if content.is_empty() || content[0] == b'#' || content[0] == b'%' {
            continue;
        }
        if header_pending {
            header_pending = false;
            continue;
        }
        let separator = *stats.separator.get_or_insert_with(|| Separator::detect(content));
        let outcome = split_fields(content, separator, &mut scratch)
            .and_then(|fields| sink.edge(fields.source, fields.target, line_weight(&fields, options)?));
        match outcome {
            Ok(()) => stats.edges += 1,
            Err(_) if options.skip_bad_lines => stats.bad_lines += 1,
            Err(message) => return Err(Error::parse(name, stats.lines, message, line)),
        }
    }
}

pub(crate) fn read_error(name: &str, lines: u64, e: std::io::Error) -> Error {
    let what = match e.kind() {
        std::io::ErrorKind::UnexpectedEof => "the compressed stream is truncated",
        std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput => "the compressed stream is corrupt",
        _ => "reading failed",
    };
    Error::Input(format!(
        "{name}: {what} after line {lines} ({e}); re-download or re-create the file"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str, sep: Separator) -> Result<(String, String, Option<String>), String> {
        let mut scratch = Vec::new();
        let f = split_fields(line.as_bytes(), sep, &mut scratch)?;
        let s = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
        Ok((s(f.source), s(f.target), f.weight.map(s)))
    }

    #[test]
    fn detects_separators() {
        assert_eq!(Separator::detect(b"1\t2"), Separator::Tab);
        assert_eq!(Separator::detect(b"1 2"), Separator::Space);
        assert_eq!(Separator::detect(b"1,2"), Separator::Comma);
        assert_eq!(Separator::detect(b"1, 2, 0.5"), Separator::Comma);
        assert_eq!(Separator::detect(b"http://a/x,y http://b/"), Separator::Space);
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
            fields(r#""http://x/?a=1,2", "say ""hi""",3"#, Separator::Comma).unwrap(),
            ("http://x/?a=1,2".into(), "say \"hi\"".into(), Some("3".into()))
        );
    }

    #[test]
    fn rejects_wrong_field_counts() {
        assert!(fields("a", Separator::Space).unwrap_err().contains("found 1"));
        assert!(fields("a b c d", Separator::Space).unwrap_err().contains("found 4"));
        assert!(fields("a\t\t", Separator::Tab).is_err());
        assert!(
            fields("\"open,b", Separator::Comma)
                .unwrap_err()
                .contains("unterminated")
        );
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

    fn read(text: &str, options: &ParseOptions) -> Result<(Collect, TextStats)> {
        let mut sink = Collect::default();
        let stats = read_edges("t.tsv", text.as_bytes(), options, &mut sink, &mut |_| {})?;
        Ok((sink, stats))
    }

    #[test]
    fn skips_comments_blank_lines_bom_and_crlf() {
        let (sink, stats) = read(
            "\u{feff}# comment\r\n% matrix market\r\n\r\n1\t2\r\n  \n3\t4",
            &ParseOptions::default(),
        )
        .unwrap();
        assert_eq!(
            sink.0,
            vec![("1".into(), "2".into(), None), ("3".into(), "4".into(), None)]
        );
        assert_eq!((stats.lines, stats.edges), (6, 2));
    }

    #[test]
    fn header_lines_are_skipped_only_when_asked() {
        let options = ParseOptions {
            header: true,
            ..Default::default()
        };
        let (sink, _) = read("# made by pandas\nsource,target\na,b\n", &options).unwrap();
        assert_eq!(sink.0, vec![("a".into(), "b".into(), None)]);
        let (sink, _) = read("source,target\na,b\n", &ParseOptions::default()).unwrap();
        assert_eq!(sink.0.len(), 2);
    }

    #[test]
    fn bad_line_names_file_line_and_text() {
        let err = read("1 2\n3 4\nfive\n", &ParseOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "t.tsv:3: expected 2 or 3 fields (source, target, optional weight), found 1: \"five\""
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
