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
    EdgeSink, IntegerBatch, LINE_LIMIT, ParseOptions, RecordParser, Separator, TextStats, is_comment_or_blank,
    line_weight, not_an_integer, parse_id, parse_u64, read_edges_from, read_error, split_line, too_long,
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

/// Parses a chunk of whole lines: bare integer pairs in one pass, every other line through
/// the record parser (the same as the line-by-line reader's), as long as its ids are
/// integers and no quoted field runs past the line's end.
fn parse_chunk(chunk: &[u8], separator: Separator, options: &ParseOptions, strict: bool) -> Parsed {
    let mut out = Parsed {
        packed: Vec::with_capacity(chunk.len() / 12),
        ..Parsed::default()
    };
    let mut parser = RecordParser::new(separator);
    let mut start = 0;
    while start < chunk.len() {
        if !options.weighted
            && let Some((pair, next)) = bare_line(chunk, start, separator, !strict)
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
        if is_comment_or_blank(line) {
            out.lines += 1;
            continue;
        }
        let parsed = split_line(line, &mut parser).and_then(|fields| {
            let Some(fields) = fields else {
                return Ok(None); // a quoted field goes on past this line
            };
            let weight = line_weight(&fields, options)?;
            // Strict is --ids int; otherwise (auto) an integer must be written as it reads
            // back: `007` hands the file over to the line reader, which reads it as text.
            match (parse_id(fields.source, !strict), parse_id(fields.target, !strict)) {
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
/// comments, a third field) returns `None` and goes the way of every other line, through the
/// record parser, which reads what this accepts the same (a unit test checks it).
#[inline]
fn bare_line(chunk: &[u8], start: usize, separator: Separator, canonical: bool) -> Option<((u64, u64), usize)> {
    let mut at = start;
    let pair = pair_at(chunk, &mut at, separator, canonical)?;
    match chunk.get(at) {
        Some(b'\n') => Some((pair, at + 1)),
        None => Some((pair, at)),
        _ => None,
    }
}

/// `digits SEP digits` at `bytes[*at..]` (SEP the separator's byte, or a run of blanks for
/// [`Separator::Space`]), advancing `at` past the second number; `None` for anything else
/// (with `canonical`, also for a number with a leading zero, as [`parse_id`]).
#[inline]
fn pair_at(bytes: &[u8], at: &mut usize, separator: Separator, canonical: bool) -> Option<(u64, u64)> {
    let source = digits(bytes, at, canonical)?;
    match separator {
        Separator::Space if matches!(bytes.get(*at), Some(b' ' | b'\t')) => {
            while matches!(bytes.get(*at), Some(b' ' | b'\t')) {
                *at += 1;
            }
        }
        Separator::Space => return None,
        _ if bytes.get(*at) == Some(&separator.byte()) => *at += 1,
        _ => return None,
    }
    Some((source, digits(bytes, at, canonical)?))
}

/// An unsigned decimal at `bytes[*at..]`, advancing `at` past it; `None` without digits, on
/// overflow, and with `canonical` for a leading zero followed by more digits.
#[inline]
fn digits(bytes: &[u8], at: &mut usize, canonical: bool) -> Option<u64> {
    let start = *at;
    if canonical && bytes.get(start) == Some(&b'0') && bytes.get(start + 1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
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

/// Reads the rest of a file (after `stats.lines` lines) like
/// [`read_edges_from`](super::text::read_edges_from), parsing integer ids in parallel on the
/// current rayon pool. `strict` is the sink's answer to [`EdgeSink::integer_batches`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_edges_parallel<R: BufRead, S: EdgeSink>(
    name: &str,
    reader: R,
    options: &ParseOptions,
    separator: Separator,
    strict: bool,
    stats: TextStats,
    sink: &mut S,
    on_lines: &mut dyn FnMut(u64),
) -> Result<TextStats> {
    read_in_chunks(name, reader, options, separator, strict, stats, sink, on_lines, CHUNK)
}

#[allow(clippy::too_many_arguments)]
fn read_in_chunks<R: BufRead, S: EdgeSink>(
    name: &str,
    mut reader: R,
    options: &ParseOptions,
    separator: Separator,
    strict: bool,
    mut stats: TextStats,
    sink: &mut S,
    on_lines: &mut dyn FnMut(u64),
    chunk: usize,
) -> Result<TextStats> {
    let batch = chunk * 2 * rayon::current_num_threads().max(1);
    let mut buffer: Vec<u8> = Vec::with_capacity(batch + chunk);
    let mut eof = false;
    let mut first = stats.lines == 0;
    // A read error, reported once the complete lines before it are read.
    let mut failed: Option<std::io::Error> = None;
    loop {
        let mut want = batch;
        // Fill the batch; a line longer than the batch makes it grow, up to the line limit.
        let end = loop {
            while buffer.len() < want && !eof {
                let available = match reader.fill_buf() {
                    Ok(a) => a,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        failed = Some(e);
                        eof = true;
                        break;
                    }
                };
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
            let last_line_end = memchr::memrchr(b'\n', &buffer).map(|i| i + 1);
            if failed.is_some() {
                // The cut line after the last complete one is not read.
                break last_line_end.unwrap_or(0);
            }
            if eof {
                break buffer.len();
            }
            match last_line_end {
                Some(i) => break i,
                None if buffer.len() > LINE_LIMIT => return Err(too_long(name, stats.lines + 1, &buffer)),
                None => want = buffer.len() * 2,
            }
        };
        let region = &buffer[..end];
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
                    // The rest of the batch, then whatever the reader still holds (or its error).
                    let rest = Cursor::new(buffer[chunk_start + offset..].to_vec());
                    return match failed {
                        None => read_edges_from(name, rest.chain(reader), options, separator, stats, sink, on_lines),
                        Some(e) => {
                            let failing = FailAtEnd(rest, Some(e));
                            read_edges_from(
                                name,
                                std::io::BufReader::new(failing),
                                options,
                                separator,
                                stats,
                                sink,
                                on_lines,
                            )
                        }
                    };
                }
            }
        }
        on_lines(stats.edges);
        if let Some(e) = failed {
            return Err(read_error(name, stats.lines, e));
        }
        buffer.drain(..end);
        if eof && buffer.is_empty() {
            return Ok(stats);
        }
    }
}

/// Bytes already read, then the read error that stopped the reading.
struct FailAtEnd(Cursor<Vec<u8>>, Option<std::io::Error>);

impl Read for FailAtEnd {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(buf)? {
            0 => match self.1.take() {
                Some(e) => Err(e),
                None => Ok(0),
            },
            n => Ok(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{EdgeCollector, IdMode};
    use crate::input::detect::{SeparatorEvidence, separator_from_content};

    fn separator(text: &str) -> Separator {
        match separator_from_content(text.as_bytes(), true) {
            SeparatorEvidence::Found(s) => s,
            _ => Separator::Space,
        }
    }

    /// Labelled edges and stats from one path: line by line, or parallel in tiny chunks.
    fn read(
        text: &str,
        options: &ParseOptions,
        mode: IdMode,
        parallel: bool,
    ) -> Result<(Vec<(String, String)>, TextStats)> {
        let mut sink = EdgeCollector::new(mode, options.weighted);
        let sep = separator(text);
        let fresh = TextStats::default();
        let stats = if parallel {
            let strict = sink.integer_batches().expect("integers first");
            read_in_chunks(
                "t.txt",
                text.as_bytes(),
                options,
                sep,
                strict,
                fresh,
                &mut sink,
                &mut |_| {},
                40,
            )?
        } else {
            read_edges_from("t.txt", text.as_bytes(), options, sep, fresh, &mut sink, &mut |_| {})?
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
                "t.txt:301: expected 2 or 3 fields (source, target, optional weight) separated by blanks, found 4: \"1 2 3 4\""
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
        let sep = Separator::Space;
        let fresh = TextStats::default;
        let mut a = EdgeCollector::new(IdMode::Auto, true);
        let sa = read_edges_from("t", text.as_bytes(), &options, sep, fresh(), &mut a, &mut |_| {}).unwrap();
        let mut b = EdgeCollector::new(IdMode::Auto, true);
        let sb = read_in_chunks(
            "t",
            text.as_bytes(),
            &options,
            sep,
            false,
            fresh(),
            &mut b,
            &mut |_| {},
            64,
        )
        .unwrap();
        assert_eq!((sa.edges, sa.bad_lines), (sb.edges, sb.bad_lines));
        assert_eq!(sb.bad_lines, 8);
        let (a, b) = (a.finish().unwrap(), b.finish().unwrap());
        assert_eq!(a.keys, b.keys);
        assert_eq!(a.weights, b.weights);
    }

    #[test]
    fn bare_lines_are_read_as_the_general_path_reads_them() {
        assert_eq!(bare_line(b"12\t34\n5", 0, Separator::Tab, true), Some(((12, 34), 6)));
        assert_eq!(bare_line(b"x\n12 34", 2, Separator::Space, true), Some(((12, 34), 7)));
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
                bare_line(line, 0, Separator::Tab, true),
                None,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        assert_eq!(
            bare_line(b"12 \t 34\n", 0, Separator::Space, true),
            Some(((12, 34), 8)),
            "a run of blanks"
        );
        assert_eq!(bare_line(b"12,34\n", 0, Separator::Comma, true), Some(((12, 34), 6)));
        assert_eq!(bare_line(b"12;34", 0, Separator::Semicolon, true), Some(((12, 34), 5)));
        assert_eq!(bare_line(b"12,34\n", 0, Separator::Tab, true), None);
        // Leading zeros: text in auto mode (it must read back as written), a number with
        // --ids int; a lone zero is a number either way.
        assert_eq!(bare_line(b"007\t1\n", 0, Separator::Tab, true), None);
        assert_eq!(bare_line(b"1\t00123\n", 0, Separator::Tab, true), None);
        assert_eq!(bare_line(b"007\t1\n", 0, Separator::Tab, false), Some(((7, 1), 6)));
        assert_eq!(bare_line(b"0\t10\n", 0, Separator::Tab, true), Some(((0, 10), 5)));
        // What a bare line reads, the record parser reads the same.
        for separator in Separator::ALL {
            let mut parser = RecordParser::new(separator);
            let sep = if separator == Separator::Space {
                "  ".to_string()
            } else {
                (separator.byte() as char).to_string()
            };
            let line = format!("4294967296{sep}17");
            let fast = bare_line(line.as_bytes(), 0, separator, true).unwrap().0;
            let fields = split_line(line.as_bytes(), &mut parser).unwrap().unwrap();
            assert_eq!(
                (parse_u64(fields.source), parse_u64(fields.target)),
                (Some(fast.0), Some(fast.1))
            );
        }
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
            Separator::Space,
            false,
            TextStats::default(),
            &mut sink,
            &mut |_| {},
            4,
        )
        .unwrap();
        assert_eq!(stats.edges, 2);
    }
}
