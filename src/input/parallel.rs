//! The parallel fast path for integer edge lists: the decoded text is read in batches of a
//! few megabytes a thread, each batch is cut at line boundaries into chunks parsed in
//! parallel, and the chunks' edges are handed to the sink in input order.
//!
//! Errors name the same file, line and text as the line-by-line reader: chunks count their
//! lines, and line numbers are added up in order. A line this path does not handle (a
//! non-integer id in `--ids auto`, a quoted CSV field) hands the rest of the file, from that
//! line on, to the line-by-line reader.

use std::io::{BufRead, Cursor, Read};

use rayon::prelude::*;

use super::text::{
    EdgeSink, IntegerBatch, ParseOptions, Separator, TextStats, line_weight, not_an_integer, parse_u64,
    read_edges_from, read_error, split_fields,
};
use crate::error::{Error, Result};

/// Bytes per chunk parsed by one task.
const CHUNK: usize = 4 << 20;

/// Why a chunk stopped early.
enum Stop {
    /// A malformed line (its one-based number in the chunk, the message, the line).
    Error(u64, String, Vec<u8>),
    /// A line the fast path does not handle, at this byte offset in the chunk, after this
    /// many lines.
    Handover(usize, u64),
}

/// What a chunk held.
#[derive(Default)]
struct Parsed {
    lines: u64,
    /// Edges packed as `source << 32 | target` while every id fits in 32 bits.
    packed: Vec<u64>,
    /// All edges, once an id needed 64 bits (then `packed` is empty).
    pairs: Vec<(u64, u64)>,
    weights: Vec<f64>,
    bad: u64,
    stop: Option<Stop>,
}

impl Parsed {
    #[inline]
    fn push(&mut self, (s, t): (u64, u64)) {
        const LOW: u64 = u32::MAX as u64;
        if self.pairs.is_empty() && s <= LOW && t <= LOW {
            self.packed.push((s << 32) | t);
        } else {
            if self.pairs.is_empty() {
                self.pairs = self.packed.drain(..).map(|k| (k >> 32, k & LOW)).collect();
            }
            self.pairs.push((s, t));
        }
    }

    fn edges(&self) -> usize {
        self.packed.len() + self.pairs.len()
    }

    fn batch(&self) -> IntegerBatch<'_> {
        if self.pairs.is_empty() {
            IntegerBatch::Packed(&self.packed)
        } else {
            IntegerBatch::Pairs(&self.pairs)
        }
    }
}

fn parse_chunk(chunk: &[u8], separator: Separator, options: &ParseOptions, strict: bool) -> Parsed {
    let mut out = Parsed {
        packed: Vec::with_capacity(chunk.len() / 12),
        ..Parsed::default()
    };
    let mut scratch = Vec::new();
    let mut start = 0;
    while start < chunk.len() {
        if !options.weighted
            && let Some((pair, next)) = bare_line(chunk, start, separator)
        {
            out.lines += 1;
            out.push(pair);
            start = next;
            continue;
        }
        let end = memchr::memchr(b'\n', &chunk[start..]).map_or(chunk.len(), |i| start + i);
        let raw = &chunk[start..end];
        let line_start = start;
        start = end + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let content = line.trim_ascii_start();
        if content.is_empty() || content[0] == b'#' || content[0] == b'%' {
            out.lines += 1;
            continue;
        }
        if !options.weighted
            && let Some(pair) = two_integers(content, separator)
        {
            out.lines += 1;
            out.push(pair);
            continue;
        }
        if separator == Separator::Comma && content.contains(&b'"') {
            out.stop = Some(Stop::Handover(line_start, out.lines));
            return out;
        }
        let parsed = split_fields(content, separator, &mut scratch).and_then(|fields| {
            let weight = line_weight(&fields, options)?;
            match (parse_u64(fields.source), parse_u64(fields.target)) {
                (Some(s), Some(t)) => Ok(Some((s, t, weight))),
                _ if strict => {
                    let bad = if parse_u64(fields.source).is_none() {
                        fields.source
                    } else {
                        fields.target
                    };
                    Err(not_an_integer(bad))
                }
                _ => Ok(None),
            }
        });
        match parsed {
            Ok(Some((s, t, weight))) => {
                out.lines += 1;
                out.push((s, t));
                if let Some(w) = weight {
                    out.weights.push(w);
                }
            }
            Ok(None) => {
                out.stop = Some(Stop::Handover(line_start, out.lines));
                return out;
            }
            Err(_) if options.skip_bad_lines => {
                out.lines += 1;
                out.bad += 1;
            }
            Err(message) => {
                out.stop = Some(Stop::Error(out.lines + 1, message, line.to_vec()));
                return out;
            }
        }
    }
    out
}

/// The most common line of all, `digits SEP digits` and its newline (or the chunk's end),
/// read in one pass from `chunk[start..]` without looking for the line's end first: returns
/// the pair and where the next line starts. Anything else (blanks or `\r` at the end,
/// comments, a third field) returns `None` and goes the way of every other line; what this
/// accepts, [`two_integers`] reads the same (both read the pair with [`pair_at`]).
#[inline]
fn bare_line(chunk: &[u8], start: usize, separator: Separator) -> Option<((u64, u64), usize)> {
    let mut at = start;
    let pair = pair_at(chunk, &mut at, separator)?;
    match chunk.get(at) {
        Some(b'\n') => Some((pair, at + 1)),
        None => Some((pair, at)),
        _ => None,
    }
}

/// `digits SEP digits` at `bytes[*at..]` (SEP a tab, or a run of blanks for
/// [`Separator::Space`]), advancing `at` past the second number; `None` for anything else.
#[inline]
fn pair_at(bytes: &[u8], at: &mut usize, separator: Separator) -> Option<(u64, u64)> {
    let source = digits(bytes, at)?;
    match separator {
        Separator::Tab if bytes.get(*at) == Some(&b'\t') => *at += 1,
        Separator::Space if matches!(bytes.get(*at), Some(b' ' | b'\t')) => {
            while matches!(bytes.get(*at), Some(b' ' | b'\t')) {
                *at += 1;
            }
        }
        _ => return None,
    }
    Some((source, digits(bytes, at)?))
}

/// An unsigned decimal at `bytes[*at..]`, advancing `at` past it; `None` without digits or on
/// overflow.
#[inline]
fn digits(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let start = *at;
    let mut value: u64 = 0;
    while let Some(&b) = bytes.get(*at) {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        value = value.checked_mul(10)?.checked_add(digit as u64)?;
        *at += 1;
    }
    (*at > start).then_some(value)
}

/// The common line, `digits SEP digits`, read straight from its bytes: `Some` only when the
/// general path would read exactly these two integer ids and no weight; anything else
/// (a third field, text, overflow, other blanks) returns `None` and takes the general path.
#[inline]
fn two_integers(line: &[u8], separator: Separator) -> Option<(u64, u64)> {
    let mut at = 0;
    let pair = pair_at(line, &mut at, separator)?;
    let rest = &line[at..];
    let clean = match separator {
        Separator::Tab => rest.iter().all(|&b| b == b' '),
        _ => rest.iter().all(|&b| b == b' ' || b == b'\t'),
    };
    clean.then_some(pair)
}

/// Cuts `region` (whole lines) into chunks of about `chunk` bytes at line ends.
fn chunk_bounds(region: &[u8], chunk: usize) -> Vec<(usize, usize)> {
    let mut bounds = Vec::new();
    let mut start = 0;
    while start < region.len() {
        let target = (start + chunk).min(region.len());
        let end = if target == region.len() {
            target
        } else {
            memchr::memchr(b'\n', &region[target..]).map_or(region.len(), |i| target + i + 1)
        };
        bounds.push((start, end));
        start = end;
    }
    bounds
}

/// The separator of the first edge line in `text`, if `text` has one.
fn first_separator(text: &[u8]) -> Option<Separator> {
    text.split(|&b| b == b'\n').find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line).trim_ascii_start();
        (!line.is_empty() && line[0] != b'#' && line[0] != b'%').then(|| Separator::detect(line))
    })
}

/// Reads a whole file like [`read_edges`](super::text::read_edges), parsing integer ids in
/// parallel on the current rayon pool. `strict` is the sink's answer to
/// [`EdgeSink::integer_batches`].
pub(crate) fn read_edges_parallel<R: BufRead, S: EdgeSink>(
    name: &str,
    reader: R,
    options: &ParseOptions,
    strict: bool,
    sink: &mut S,
    on_lines: &mut dyn FnMut(u64),
) -> Result<TextStats> {
    read_in_chunks(name, reader, options, strict, sink, on_lines, CHUNK)
}

fn read_in_chunks<R: BufRead, S: EdgeSink>(
    name: &str,
    mut reader: R,
    options: &ParseOptions,
    strict: bool,
    sink: &mut S,
    on_lines: &mut dyn FnMut(u64),
    chunk: usize,
) -> Result<TextStats> {
    let mut stats = TextStats {
        separator: options.separator,
        ..TextStats::default()
    };
    let batch = chunk * 2 * rayon::current_num_threads().max(1);
    let mut buffer: Vec<u8> = Vec::with_capacity(batch + chunk);
    let mut eof = false;
    let mut first = true;
    loop {
        let mut want = batch;
        // Fill the batch; a line longer than the batch makes it grow.
        let end = loop {
            while buffer.len() < want && !eof {
                let available = reader.fill_buf().map_err(|e| read_error(name, stats.lines, e))?;
                if available.is_empty() {
                    eof = true;
                    break;
                }
                let n = available.len().min(want - buffer.len());
                buffer.extend_from_slice(&available[..n]);
                reader.consume(n);
            }
            if first {
                first = false;
                if buffer.starts_with(b"\xEF\xBB\xBF") {
                    buffer.drain(..3);
                }
            }
            if eof {
                break buffer.len();
            }
            match memchr::memrchr(b'\n', &buffer) {
                Some(i) => break i + 1,
                None => want = buffer.len() * 2,
            }
        };
        if end == 0 {
            return Ok(stats);
        }
        let region = &buffer[..end];
        let separator = match stats.separator {
            Some(s) => s,
            None => match first_separator(region) {
                Some(s) => *stats.separator.insert(s),
                None => {
                    // Only comments and blank lines so far: count them and go on.
                    stats.lines +=
                        memchr::memchr_iter(b'\n', region).count() as u64 + u64::from(eof && !region.ends_with(b"\n"));
                    buffer.drain(..end);
                    if eof {
                        return Ok(stats);
                    }
                    continue;
                }
            },
        };
        let bounds = chunk_bounds(region, chunk);
        let parsed: Vec<Parsed> = bounds
            .par_iter()
            .map(|&(a, b)| parse_chunk(&region[a..b], separator, options, strict))
            .collect();
        for ((chunk_start, _), chunk) in bounds.iter().zip(parsed) {
            sink.integer_edges(chunk.batch(), &chunk.weights);
            stats.edges += chunk.edges() as u64;
            stats.bad_lines += chunk.bad;
            match chunk.stop {
                None => stats.lines += chunk.lines,
                Some(Stop::Error(line, message, text)) => {
                    return Err(Error::parse(name, stats.lines + line, message, &text));
                }
                Some(Stop::Handover(offset, lines)) => {
                    stats.lines += lines;
                    // The rest of the batch, then whatever the reader still holds.
                    let rest = Cursor::new(buffer[chunk_start + offset..].to_vec()).chain(reader);
                    return read_edges_from(name, rest, options, false, stats, sink, on_lines);
                }
            }
        }
        on_lines(stats.edges);
        buffer.drain(..end);
        if eof && buffer.is_empty() {
            return Ok(stats);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{EdgeCollector, IdMode};
    use crate::input::text::read_edges;

    /// Labelled edges and stats from one path: line by line, or parallel in tiny chunks.
    fn read(
        text: &str,
        options: &ParseOptions,
        mode: IdMode,
        parallel: bool,
    ) -> Result<(Vec<(String, String)>, TextStats)> {
        let mut sink = EdgeCollector::new(mode, options.weighted);
        let stats = if parallel {
            let strict = sink.integer_batches().expect("integers first");
            read_in_chunks("t.txt", text.as_bytes(), options, strict, &mut sink, &mut |_| {}, 40)?
        } else {
            read_edges("t.txt", text.as_bytes(), options, &mut sink, &mut |_| {})?
        };
        let dense = sink.finish()?;
        let edges = dense
            .keys
            .iter()
            .map(|&k| {
                let (s, t) = crate::graph::collect::unpack(k);
                (dense.nodes.label(s), dense.nodes.label(t))
            })
            .collect();
        Ok((edges, stats))
    }

    fn both(text: &str, options: &ParseOptions, mode: IdMode) -> (Vec<(String, String)>, u64, u64) {
        let (a, sa) = read(text, options, mode, false).unwrap();
        let (b, sb) = read(text, options, mode, true).unwrap();
        assert_eq!(a, b, "the parallel path reads the same edges");
        assert_eq!((sa.lines, sa.edges, sa.bad_lines), (sb.lines, sb.edges, sb.bad_lines));
        (b, sb.lines, sb.edges)
    }

    fn numbered(lines: usize) -> String {
        (0..lines)
            .map(|i| format!("{} {}\r\n", i * 7919 % 1000, i % 13 + 4_000_000_000))
            .collect()
    }

    #[test]
    fn many_chunks_give_the_same_edges_as_line_by_line() {
        let text = format!(
            "\u{feff}# header comment\n\n{}% trailing comment\n{}",
            numbered(500),
            "5 6"
        );
        let (edges, lines, count) = both(&text, &ParseOptions::default(), IdMode::Auto);
        assert_eq!(count, 501);
        assert_eq!(lines, 504);
        assert_eq!(edges.last().unwrap(), &("5".to_string(), "6".to_string()));
    }

    #[test]
    fn errors_in_late_chunks_name_the_right_line() {
        let text = format!("{}1 2 3 4\n{}", numbered(300), numbered(10));
        for parallel in [false, true] {
            let err = read(&text, &ParseOptions::default(), IdMode::Auto, parallel)
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                "t.txt:301: expected 2 or 3 fields (source, target, optional weight), found 4: \"1 2 3 4\""
            );
        }
        let strict = format!("{}7 x9\n", numbered(200));
        let err = read(&strict, &ParseOptions::default(), IdMode::Int, true)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t.txt:201: node id \"x9\" is not an unsigned 64-bit integer"),
            "{err}"
        );
    }

    #[test]
    fn text_ids_hand_the_rest_of_the_file_to_the_line_reader() {
        let text = format!("{}http://a/ 7\n{}", numbered(250), numbered(100));
        let (edges, _, count) = both(&text, &ParseOptions::default(), IdMode::Auto);
        assert_eq!(count, 351);
        assert_eq!(edges[250], ("http://a/".to_string(), "7".to_string()));
        // Quoted CSV fields take the same road.
        let csv = format!(
            "{}\"1\",\"2\"\n3,4\n",
            (0..100).map(|i| format!("{i},{}\n", i + 1)).collect::<String>()
        );
        let (edges, _, _) = both(&csv, &ParseOptions::default(), IdMode::Auto);
        assert_eq!(edges[100], ("1".to_string(), "2".to_string()));
    }

    #[test]
    fn weights_and_skipped_lines_match() {
        let text: String = (0..300)
            .map(|i| {
                if i % 37 == 5 {
                    "bad line here too\n".to_string()
                } else {
                    format!("{i} {} {}.5\n", i + 1, i % 4)
                }
            })
            .collect();
        let options = ParseOptions {
            weighted: true,
            skip_bad_lines: true,
            ..ParseOptions::default()
        };
        let mut a = EdgeCollector::new(IdMode::Auto, true);
        let sa = read_edges("t", text.as_bytes(), &options, &mut a, &mut |_| {}).unwrap();
        let mut b = EdgeCollector::new(IdMode::Auto, true);
        let sb = read_in_chunks("t", text.as_bytes(), &options, false, &mut b, &mut |_| {}, 64).unwrap();
        assert_eq!((sa.edges, sa.bad_lines), (sb.edges, sb.bad_lines));
        assert_eq!(sb.bad_lines, 8);
        let (a, b) = (a.finish().unwrap(), b.finish().unwrap());
        assert_eq!(a.keys, b.keys);
        assert_eq!(a.weights, b.weights);
    }

    #[test]
    fn the_two_integer_shortcut_only_takes_what_the_general_path_would() {
        assert_eq!(two_integers(b"12\t34", Separator::Tab), Some((12, 34)));
        assert_eq!(two_integers(b"12  34 \t", Separator::Space), Some((12, 34)));
        assert_eq!(
            two_integers(b"12\t34\t", Separator::Tab),
            None,
            "an empty third field is an error"
        );
        assert_eq!(two_integers(b"12\t34 5", Separator::Tab), None);
        assert_eq!(two_integers(b"12 34 5", Separator::Space), None, "a weight column");
        assert_eq!(two_integers(b"12 x", Separator::Space), None);
        assert_eq!(
            two_integers(b"99999999999999999999 1", Separator::Space),
            None,
            "overflow"
        );
        assert_eq!(two_integers(b"1,2", Separator::Comma), None);
        let mut scratch = Vec::new();
        for line in [&b"7\t8"[..], b"7 8", b"  7   8  "] {
            let separator = Separator::detect(line.trim_ascii_start());
            let general = split_fields(line.trim_ascii_start(), separator, &mut scratch).unwrap();
            let fast = two_integers(line.trim_ascii_start(), separator).unwrap();
            assert_eq!(
                (parse_u64(general.source), parse_u64(general.target)),
                (Some(fast.0), Some(fast.1))
            );
        }
    }

    #[test]
    fn bare_lines_are_read_as_the_general_path_reads_them() {
        assert_eq!(bare_line(b"12\t34\n5", 0, Separator::Tab), Some(((12, 34), 6)));
        assert_eq!(bare_line(b"x\n12 34", 2, Separator::Space), Some(((12, 34), 7)));
        for line in [
            &b"12\t34\r\n"[..],
            b"12\t34 \n",
            b" 12\t34\n",
            b"12\t34\t5\n",
            b"#1\t2\n",
            b"1\t\n",
            b"99999999999999999999\t1\n",
        ] {
            assert_eq!(
                bare_line(line, 0, Separator::Tab),
                None,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        assert_eq!(
            bare_line(b"12 \t 34\n", 0, Separator::Space),
            Some(((12, 34), 8)),
            "a run of blanks"
        );
        assert_eq!(bare_line(b"12,34\n", 0, Separator::Comma), None);
        // Files mixing bare lines with every other kind read the same in parallel and line by
        // line (`both` compares them), with every line counted.
        for (separator, blanks) in [("\t", "\t"), (" ", "  ")] {
            let text: String = (0..600)
                .map(|i| match i % 6 {
                    0 => format!("{i}{blanks}{}\r\n", i + 1),
                    1 => format!("{i}{separator}{} \n", i * 3),
                    2 => "# a comment\n\n".to_string(),
                    _ => format!("{i}{separator}{}\n", i % 7),
                })
                .collect();
            let (edges, lines, count) = both(&text, &ParseOptions::default(), IdMode::Auto);
            assert_eq!((count, lines), (500, 700));
            assert_eq!(edges[1], ("1".to_string(), "3".to_string()));
        }
    }

    #[test]
    fn a_line_longer_than_a_batch_is_read_whole() {
        let long = format!("{} {}\n1 2\n", "9".repeat(19), "1".repeat(19));
        let mut sink = EdgeCollector::new(IdMode::Auto, false);
        let stats = read_in_chunks(
            "t",
            long.as_bytes(),
            &ParseOptions::default(),
            false,
            &mut sink,
            &mut |_| {},
            4,
        )
        .unwrap();
        assert_eq!(stats.edges, 2);
    }
}
