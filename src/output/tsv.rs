//! Ids as fields of the tab-separated result files (`ranks/part-*` and `top.tsv`), written so
//! that they read back byte for byte, here and in pandas or Spark.
//!
//! An id is written as it is, unless it holds the separator (tab), a double quote, a line feed
//! or a carriage return, or is empty: then it is quoted as in RFC 4180, wrapped in `"` with
//! every inner `"` doubled. Integer ids never need quotes. Bytes are copied, never decoded, so
//! a string id that is not UTF-8 is written byte for byte. The readers here parse the same
//! dialect with the `csv` crate (tab delimiter, `"` quote, doubled `""` inside quotes).
//!
//! Files written before ids were quoted held a tab of an id as it was; the readers take such
//! a line's extra fields back into its id, as the old readers did (no file written now has
//! them).

use std::borrow::Cow;
use std::io::Read;

/// Whether `id` must be quoted to read back as the same single field: it holds a tab, a `"`,
/// a line feed or a carriage return, or is empty (unquoted, Spark reads an empty field as
/// null).
#[inline]
pub(crate) fn needs_quotes(id: &[u8]) -> bool {
    // Every byte that asks for quotes is at most `"` (0x22), and most ids (URLs, names) have
    // no byte that low: a branch-free pass over the id, which the compiler vectorises, clears
    // them; only ids with such a byte (a space, say) are looked at again.
    let low = id.iter().fold(false, |low, &b| low | (b <= b'"'));
    id.is_empty() || (low && id.iter().any(|&b| matches!(b, b'\t' | b'\n' | b'\r' | b'"')))
}

/// Quotes the id that occupies `line[start..]` in place, if it needs quotes.
#[inline]
pub(crate) fn quote_from(line: &mut Vec<u8>, start: usize) {
    if needs_quotes(&line[start..]) {
        quote_tail(line, start);
    }
}

#[cold]
fn quote_tail(line: &mut Vec<u8>, start: usize) {
    let id = line.split_off(start);
    line.reserve(id.len() + 2);
    line.push(b'"');
    for &b in &id {
        if b == b'"' {
            line.push(b'"');
        }
        line.push(b);
    }
    line.push(b'"');
}

/// A reader of the result files' dialect over `input`; with `headers`, the first record is
/// a header and not returned.
pub(crate) fn reader<R: Read>(input: R, headers: bool) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .quote(b'"')
        .double_quote(true)
        .has_headers(headers)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(input)
}

/// The id of `record`, whose first `before` and last `after` fields are not part of it; `None`
/// when the record has too few fields. More fields than that come from a file written before
/// ids were quoted: the id held tabs, and its pieces are joined again.
pub(crate) fn id_field(record: &csv::ByteRecord, before: usize, after: usize) -> Option<Cow<'_, [u8]>> {
    let n = record.len();
    if n < before + 1 + after {
        return None;
    }
    if n == before + 1 + after {
        return Some(Cow::Borrowed(&record[before]));
    }
    let pieces: Vec<&[u8]> = (before..n - after).map(|i| &record[i]).collect();
    Some(Cow::Owned(pieces.join(&b'\t')))
}

/// The line of `record` for an error message: its fields joined by tabs.
pub(crate) fn record_text(record: &csv::ByteRecord) -> Vec<u8> {
    record.iter().collect::<Vec<_>>().join(&b'\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `id` as written after a first field.
    fn quoted(id: &[u8]) -> Vec<u8> {
        let mut line = b"first\t".to_vec();
        line.extend_from_slice(id);
        quote_from(&mut line, 6);
        assert_eq!(&line[..6], b"first\t", "the fields before the id are left alone");
        line.split_off(6)
    }

    #[test]
    fn plain_ids_are_written_as_they_are() {
        for id in [
            &b"https://a.example/x?q=1,2"[..],
            b"42",
            b"NA",
            b"a b",
            b"x\xff\xfey",
            b"caf\xc3\xa9",
        ] {
            assert!(!needs_quotes(id), "{id:?}");
            assert_eq!(quoted(id), id);
        }
    }

    #[test]
    fn ids_with_a_separator_quote_or_line_end_are_quoted() {
        let cases: [(&[u8], &[u8]); 7] = [
            (b"a\tb", b"\"a\tb\""),
            (b"a\"b", b"\"a\"\"b\""),
            (b"\"lead", b"\"\"\"lead\""),
            (b"line\nfeed", b"\"line\nfeed\""),
            (b"car\rriage", b"\"car\rriage\""),
            (b"\"", b"\"\"\"\""),
            (b"", b"\"\""),
        ];
        for (id, expected) in cases {
            assert!(needs_quotes(id), "{id:?}");
            assert_eq!(quoted(id), expected, "{id:?}");
        }
    }

    #[test]
    fn the_reader_gives_back_the_written_bytes() {
        let ids: [&[u8]; 10] = [
            b"a\tb",
            b"q\"uote",
            b"\"lead",
            b"new\nline",
            b"cr\r",
            b"comma,id",
            b"\xff\xfe invalid",
            b"https://a.example/",
            b"123",
            b"",
        ];
        let mut text = Vec::new();
        for id in ids {
            let start = text.len();
            text.extend_from_slice(id);
            quote_from(&mut text, start);
            text.extend_from_slice(b"\t0.5\n");
        }
        let mut reader = reader(&text[..], false);
        let mut record = csv::ByteRecord::new();
        let mut read = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            read.push(id_field(&record, 0, 1).unwrap().into_owned());
            assert_eq!(&record[1], b"0.5");
        }
        assert_eq!(read, ids.map(<[u8]>::to_vec));
    }

    #[test]
    fn lines_from_before_quoting_join_their_extra_fields_into_the_id() {
        let mut reader = reader(&b"1\ta\tb\t0.5\t2\t3\n"[..], false);
        let mut record = csv::ByteRecord::new();
        assert!(reader.read_byte_record(&mut record).unwrap());
        assert_eq!(id_field(&record, 1, 3).unwrap().as_ref(), b"a\tb");
        assert_eq!(id_field(&record, 1, 4).unwrap().as_ref(), b"a");
        assert!(id_field(&record, 3, 3).is_none());
    }
}
