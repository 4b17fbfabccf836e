//! What a file is, decided from evidence before its records are read: edge text or another
//! format, its separator, and whether its first record is a header.
//!
//! Evidence is the file's first records taken together (up to [`EVIDENCE_RECORDS`] of them in
//! its first [`EVIDENCE_BYTES`]), never one line: each candidate separator reads them all, a
//! record that reads as an edge (two ids, and a number if there is a third field) counts for
//! it, and a record that no candidate reads as an edge is no evidence at all. The candidates
//! reading the most records win; if they split those records differently, the one whose ids
//! do not contain the others' separators wins (`1, 2` is comma-separated, not `1,` and `2`),
//! and if that does not settle it the file is ambiguous: an error naming the candidates and
//! `--sep`, never a guess.

use std::path::Path;

use super::text::{Feed, RecordParser, Separator, is_comment_or_blank, without_ending};

/// Bytes of a file's start read as evidence.
pub(crate) const EVIDENCE_BYTES: usize = 256 << 10;
/// Records read as evidence, at most.
pub(crate) const EVIDENCE_RECORDS: usize = 500;

/// The separator a file name's extension calls for: `.csv` comma, `.tsv` and `.tab` tab,
/// looked for before a compression extension (`links.csv.gz`).
pub(crate) fn separator_from_name(path: &Path) -> Option<Separator> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let name = ["gz", "gzip", "bz2", "zst", "zstd"]
        .iter()
        .find_map(|ext| name.strip_suffix(&format!(".{ext}")))
        .unwrap_or(&name);
    match name.rsplit_once('.')?.1 {
        "csv" => Some(Separator::Comma),
        "tsv" | "tab" => Some(Separator::Tab),
        _ => None,
    }
}

/// A format that is not an edge list, recognised from a file's name or first bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NotEdges {
    /// What it is, as a noun phrase ("a Parquet file").
    pub what: String,
    /// What to do instead.
    pub advice: &'static str,
}

/// Recognises files that are not edge lists by their name: documentation, metadata, images,
/// and graph formats that are not read (yet).
pub(crate) fn known_by_name(path: &Path) -> Option<NotEdges> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let stem = name.split('.').next().unwrap_or("");
    if [
        "readme",
        "license",
        "licence",
        "copying",
        "notice",
        "changelog",
        "changes",
        "authors",
    ]
    .contains(&stem)
    {
        return Some(NotEdges {
            what: "documentation".to_string(),
            advice: "it is not an edge list",
        });
    }
    let extension = name.rsplit_once('.')?.1;
    let (what, advice) = match extension {
        "md" | "markdown" | "rst" | "html" | "htm" | "pdf" | "doc" | "docx" | "ipynb" => {
            ("documentation", "it is not an edge list")
        }
        "json" | "jsonl" | "yaml" | "yml" | "toml" | "ini" | "cfg" | "log" | "crc" | "sha1" | "sha256" | "md5" => {
            ("metadata", "it is not an edge list")
        }
        "png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "bmp" | "tif" | "tiff" => {
            ("an image", "it is not an edge list")
        }
        "py" | "sh" | "r" | "java" | "rs" | "js" => ("source code", "it is not an edge list"),
        "graph" | "offsets" | "ef" | "obl" | "properties" | "labels" => (
            "part of a LAW WebGraph BVGraph",
            "a BVGraph is read when both BASE.graph and BASE.properties are there; name it by its basename BASE",
        ),
        "parquet" | "orc" | "avro" => (
            "a columnar file (Parquet, ORC or Avro)",
            "this format is not read yet; write the edges as CSV or TSV (e.g. `df.write.csv(...)` in Spark)",
        ),
        "gexf" | "graphml" | "gml" | "xml" | "dot" | "net" | "pajek" => (
            "a graph file in a format that is not read",
            "write its edges as an edge list (networkx: `nx.write_edgelist`)",
        ),
        "zip" | "7z" | "rar" | "tar" | "tgz" | "xz" | "lz4" | "lzma" => (
            "an archive or compression that is not read",
            "unpack it, or recompress the edge list with gzip, bzip2 or zstd",
        ),
        _ => return None,
    };
    Some(NotEdges {
        what: format!("{what} (.{extension})"),
        advice,
    })
}

/// Recognises content that is not edge text from a file's first (decompressed) bytes:
/// formats with a magic number, and binary data (NUL bytes, or mostly bytes that text does
/// not hold).
pub(crate) fn known_by_content(head: &[u8]) -> Option<NotEdges> {
    let magic: [(&[u8], &str, &'static str); 9] = [
        (
            b"PAR1",
            "a Parquet file",
            "Parquet is not read yet; write the edges as CSV or TSV (e.g. `df.write.csv(...)` in Spark)",
        ),
        (
            b"PK\x03\x04",
            "a zip archive",
            "unzip it and give the edge lists inside",
        ),
        (
            b"\xFD7zXZ\x00",
            "an xz stream",
            "decompress it, or recompress with gzip, bzip2 or zstd",
        ),
        (
            b"7z\xBC\xAF\x27\x1C",
            "a 7-zip archive",
            "unpack it and give the edge lists inside",
        ),
        (b"\x89PNG", "a PNG image", "it is not an edge list"),
        (b"\xFF\xD8\xFF", "a JPEG image", "it is not an edge list"),
        (b"GIF8", "a GIF image", "it is not an edge list"),
        (b"%PDF", "a PDF document", "it is not an edge list"),
        (
            b"Obj\x01",
            "an Avro file",
            "this format is not read yet; write the edges as CSV or TSV",
        ),
    ];
    for (prefix, what, advice) in magic {
        if head.starts_with(prefix) {
            return Some(NotEdges {
                what: what.to_string(),
                advice,
            });
        }
    }
    if head.len() > 262 && &head[257..262] == b"ustar" {
        return Some(NotEdges {
            what: "a tar archive".to_string(),
            advice: "unpack it (`tar xf`) and give the edge lists inside",
        });
    }
    let sample = &head[..head.len().min(8192)];
    let odd = sample
        .iter()
        .filter(|&&b| b == 0 || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)) || b == 0x7F)
        .count();
    if sample.contains(&0) || odd * 10 > sample.len() {
        return Some(NotEdges {
            what: "binary data".to_string(),
            advice: "it is not a text edge list (a BVGraph `.graph`? a compressed format not read?)",
        });
    }
    None
}

/// A candidate separator's reading of the evidence.
struct Reading {
    separator: Separator,
    /// Each record as its fields, `None` when it is a comment, or not an edge for this
    /// separator.
    records: Vec<Option<Vec<Vec<u8>>>>,
    /// Records read as edges.
    score: usize,
    /// Ids that held a tab before blanks around them were trimmed.
    tabs: usize,
}

/// What the evidence says about a file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SeparatorEvidence {
    /// One separator reads the records best.
    Found(Separator),
    /// No record reads as an edge with any separator (or there is no record).
    Nothing,
    /// Several separators read the records equally well, and differently: for each, its
    /// reading of the first record where they differ.
    Ambiguous(Vec<(Separator, Vec<Vec<u8>>)>),
}

/// Whether a record's fields read as an edge: two non-empty ids, and a number if there is a
/// third field.
fn is_edge(fields: &[Vec<u8>]) -> bool {
    let ids = fields.len() >= 2 && !fields[0].is_empty() && !fields[1].is_empty();
    let weight = match fields.get(2) {
        None => true,
        Some(w) => std::str::from_utf8(w)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .is_some(),
    };
    ids && weight && fields.len() <= 3
}

/// The records of `head` as `separator` reads them: comment and blank records are `None`,
/// the others their fields (edge or not). `complete` says whether `head` is the whole file
/// (otherwise its last, possibly cut, line is left out).
fn records(head: &[u8], separator: Separator, complete: bool) -> Vec<Option<Vec<Vec<u8>>>> {
    records_and_tabs(head, separator, complete).0
}

/// [`records`], and how many of their ids held a tab before blanks were trimmed (a tab beside
/// a comma or semicolon is a sign of tab-separated text).
fn records_and_tabs(head: &[u8], separator: Separator, complete: bool) -> (Vec<Option<Vec<Vec<u8>>>>, usize) {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let whole = if complete {
        head
    } else {
        match memchr::memrchr(b'\n', head) {
            Some(i) => &head[..=i],
            None => &[],
        }
    };
    let mut parser = RecordParser::new(separator);
    let mut out = Vec::new();
    let mut tabs = 0;
    let mut open = false;
    for line in whole.split_inclusive(|&b| b == b'\n') {
        if out.len() >= EVIDENCE_RECORDS {
            break;
        }
        let line = without_ending(line);
        if !open {
            if is_comment_or_blank(line) {
                continue;
            }
            parser.clear();
        }
        open = parser.feed(line) == Feed::Open;
        if separator == Separator::Space && memchr::memchr(b'"', line).is_some() {
            // Blank-separated files have no quoting: a line with quotes (perhaps a piece of
            // a quoted field over lines) is no evidence for blanks.
            out.push(None);
        } else if !open {
            out.push(Some(parser.fields().map(<[u8]>::to_vec).collect()));
            tabs += parser.raw_fields().take(2).filter(|f| f.contains(&b'\t')).count();
        }
    }
    (out, tabs)
}

/// Decides the separator of a file from its first bytes `head` (`complete` when they are
/// the whole file).
pub(crate) fn separator_from_content(head: &[u8], complete: bool) -> SeparatorEvidence {
    let mut readings: Vec<Reading> = Separator::ALL
        .iter()
        .map(|&separator| {
            let (records, tabs) = records_and_tabs(head, separator, complete);
            let records: Vec<Option<Vec<Vec<u8>>>> = records.into_iter().map(|r| r.filter(|f| is_edge(f))).collect();
            // The first record may be a header: it votes only when no later record does.
            let voters = if records.len() > 1 { &records[1..] } else { &records[..] };
            let score = voters.iter().filter(|r| r.is_some()).count();
            Reading {
                separator,
                records,
                score,
                tabs,
            }
        })
        .collect();
    if readings.iter().all(|r| r.score == 0) {
        // No later record reads as an edge: the first one votes after all.
        for reading in &mut readings {
            reading.score = usize::from(reading.records.first().is_some_and(Option::is_some));
        }
    }
    let best = readings.iter().map(|r| r.score).max().unwrap_or(0);
    if best == 0 {
        return SeparatorEvidence::Nothing;
    }
    let mut winners: Vec<&Reading> = readings.iter().filter(|r| r.score == best).collect();
    if all_agree(&winners) {
        return SeparatorEvidence::Found(winners[0].separator);
    }
    // Readings that give every edge record as many fields beat those that do not (`0 0<TAB>42`
    // then `0<TAB>42` is two ids a line, not a weight on one line and none on the next).
    let uniform = |reading: &Reading| {
        let mut counts = reading.records.iter().flatten().map(Vec::len);
        let first = counts.next();
        counts.all(|c| Some(c) == first)
    };
    if winners.iter().any(|w| uniform(w)) {
        winners.retain(|w| uniform(w));
        if all_agree(&winners) {
            return SeparatorEvidence::Found(winners[0].separator);
        }
    }
    // The first record did not vote (it may be a header); unless it names columns, readings
    // that take it for an edge beat those that do not.
    let first_names_columns = records(head, Separator::Comma, complete)
        .into_iter()
        .next()
        .flatten()
        .is_some_and(|first| names_a_header(&first));
    if !first_names_columns && winners.iter().any(|w| w.records.first().is_some_and(Option::is_some)) {
        winners.retain(|w| w.records.first().is_some_and(Option::is_some));
        if all_agree(&winners) {
            return SeparatorEvidence::Found(winners[0].separator);
        }
    }
    // Ids holding another winner's separator suggest that separator is the real one.
    let foreign = |reading: &Reading| -> usize {
        let others: Vec<u8> = winners
            .iter()
            .filter(|w| w.separator != reading.separator)
            .map(|w| w.separator.byte())
            .collect();
        let tabs = if reading.separator != Separator::Space && others.contains(&b'\t') {
            reading.tabs
        } else {
            0
        };
        tabs + reading
            .records
            .iter()
            .flatten()
            .flat_map(|fields| fields.iter().take(2))
            .filter(|id| id.iter().any(|b| others.contains(b)))
            .count()
    };
    // Only a clean reading wins this way: when every reading has such ids, it stays open.
    let fewest = winners.iter().map(|w| foreign(w)).min().unwrap_or(0);
    let remaining: Vec<&Reading> = if fewest == 0 {
        winners.iter().copied().filter(|w| foreign(w) == 0).collect()
    } else {
        winners.clone()
    };
    if all_agree(&remaining) {
        return SeparatorEvidence::Found(remaining[0].separator);
    }
    // Show the first record the remaining candidates read differently.
    let count = remaining[0].records.len();
    let differing = (0..count)
        .find(|&i| {
            remaining
                .iter()
                .any(|r| r.records.get(i) != remaining[0].records.get(i))
        })
        .unwrap_or(0);
    SeparatorEvidence::Ambiguous(
        remaining
            .iter()
            .map(|r| {
                (
                    r.separator,
                    r.records.get(differing).cloned().flatten().unwrap_or_default(),
                )
            })
            .collect(),
    )
}

/// Whether the first records of `head` read as edges with `found` clearly better than with
/// `named` (the separator a file's name calls for): more of them, or as many with ids that
/// hold `found`'s separator when read with `named` and not the other way round (`A;B;1,5`
/// in a `.csv`).
pub(crate) fn contradicts(head: &[u8], found: Separator, named: Separator, complete: bool) -> bool {
    if found == named {
        return false;
    }
    let edges = |separator: Separator| -> Vec<Vec<Vec<u8>>> {
        records(head, separator, complete)
            .into_iter()
            .flatten()
            .filter(|f| is_edge(f))
            .collect()
    };
    let (with_found, with_named) = (edges(found), edges(named));
    let holds =
        |records: &[Vec<Vec<u8>>], byte: u8| records.iter().any(|f| f.iter().take(2).any(|id| id.contains(&byte)));
    with_found.len() > with_named.len()
        || (with_found.len() == with_named.len()
            && holds(&with_named, found.byte())
            && !holds(&with_found, named.byte()))
}

/// For a file in which no record reads as an edge: the first separator that splits its first
/// record into two or three fields (a header with nothing below it), else blanks.
pub(crate) fn fallback_separator(head: &[u8], complete: bool) -> Separator {
    Separator::ALL
        .into_iter()
        .find(|&separator| {
            records(head, separator, complete)
                .first()
                .and_then(Option::as_ref)
                .is_some_and(|first| (2..=3).contains(&first.len()))
        })
        .unwrap_or(Separator::Space)
}

/// Whether every reading splits every record the same way (then the choice does not matter).
fn all_agree(readings: &[&Reading]) -> bool {
    readings.windows(2).all(|pair| pair[0].records == pair[1].records)
}

/// Field names that headers of edge lists use (compared lower-case, without quotes or `#`).
pub const HEADER_NAMES: &[&str] = &[
    "source",
    "target",
    "src",
    "dst",
    "dest",
    "destination",
    "from",
    "to",
    "u",
    "v",
    "head",
    "tail",
    "node",
    "node1",
    "node2",
    "node_1",
    "node_2",
    "source_id",
    "target_id",
    "src_id",
    "dst_id",
    "from_id",
    "to_id",
    "fromnodeid",
    "tonodeid",
    "from_node",
    "to_node",
    "source_node",
    "target_node",
    "start",
    "end",
    "id1",
    "id2",
    "parent",
    "child",
    "citing",
    "cited",
    "follower",
    "followee",
    "url",
    "source_url",
    "target_url",
    "from_url",
    "to_url",
    "page",
    "link",
    "host",
    "domain",
];

/// Names of a weight column.
const WEIGHT_NAMES: &[&str] = &["weight", "w", "value", "count", "weights", "score", "strength", "n"];

/// Whether a record's fields are header names: two id column names, then perhaps a weight
/// column's name, also when a separator split them differently (`Source<TAB>Target Weight`).
fn names_a_header(first: &[Vec<u8>]) -> bool {
    let name = |field: &[u8]| {
        String::from_utf8_lossy(field)
            .trim_start_matches('#')
            .trim()
            .to_ascii_lowercase()
    };
    let named = (2..=3).contains(&first.len())
        && HEADER_NAMES.contains(&name(&first[0]).as_str())
        && HEADER_NAMES.contains(&name(&first[1]).as_str())
        && first
            .get(2)
            .is_none_or(|w| WEIGHT_NAMES.contains(&name(w).as_str()) || !is_edge(first));
    let mut words = first
        .iter()
        .flat_map(|f| f.split(|b| matches!(b, b' ' | b'\t' | b',' | b';' | b'"')))
        .filter(|w| !w.is_empty())
        .map(name);
    let named_words = words.next().is_some_and(|w| HEADER_NAMES.contains(&w.as_str()))
        && words.next().is_some_and(|w| HEADER_NAMES.contains(&w.as_str()))
        && words.all(|w| WEIGHT_NAMES.contains(&w.as_str()) || w.parse::<f64>().is_err());
    named || named_words
}

fn is_integer(field: &[u8]) -> bool {
    !field.is_empty() && field.iter().all(u8::is_ascii_digit)
}

fn is_url(field: &[u8]) -> bool {
    memchr::memmem::find(field, b"://").is_some()
}

/// Whether a file's first record is a header, from its first bytes `head` read with
/// `separator`: its fields are common header names, or not ids of the kind the rest of the
/// file has (words above integers, a word above weights, plain words above URLs).
pub(crate) fn header_from_content(head: &[u8], separator: Separator, complete: bool) -> bool {
    let records: Vec<Vec<Vec<u8>>> = records(head, separator, complete).into_iter().flatten().collect();
    let Some((first, rest)) = records.split_first() else {
        return false;
    };
    if names_a_header(first) {
        return true;
    }
    if first.len() < 2 || first.len() > 3 {
        return false;
    }
    let rest: Vec<&Vec<Vec<u8>>> = rest.iter().filter(|r| is_edge(r)).collect();
    if rest.is_empty() {
        return false;
    }
    let all = |test: fn(&[u8]) -> bool| rest.iter().all(|r| test(&r[0]) && test(&r[1]));
    let words_above_integers = all(is_integer) && !is_integer(&first[0]) && !is_integer(&first[1]);
    let words_above_urls = all(is_url) && !is_url(&first[0]) && !is_url(&first[1]);
    let word_above_weights = first.len() == 3 && !is_edge(first) && rest.iter().all(|r| r.len() == 3);
    words_above_integers || words_above_urls || word_above_weights
}

#[cfg(test)]
mod tests {
    use super::*;
    use SeparatorEvidence::{Ambiguous, Found, Nothing};

    fn decide(text: &str) -> SeparatorEvidence {
        separator_from_content(text.as_bytes(), true)
    }

    #[test]
    fn separators_come_from_all_the_first_lines() {
        assert_eq!(decide("1\t2\n3\t4\n"), Found(Separator::Tab));
        assert_eq!(decide("1 2\n3 4\n"), Found(Separator::Space));
        assert_eq!(decide("1,2\n3,4\n"), Found(Separator::Comma));
        assert_eq!(decide("1;2\n3;4\n"), Found(Separator::Semicolon));
        assert_eq!(decide("1, 2, 0.5\n3, 4, 1\n"), Found(Separator::Comma));
        // A space inside a field of one line does not make the file space-separated.
        assert_eq!(
            decide("https://x.example/a b,https://y.example/\nhttps://x.example/c,https://y.example/d\n"),
            Found(Separator::Comma)
        );
        // Commas inside URLs of a space-separated file.
        assert_eq!(
            decide("http://a/x,y http://b/\nhttp://a/ http://c/\n"),
            Found(Separator::Space)
        );
        // A header with a weight column does not vote (it is no edge with the real separator,
        // and may be one with another).
        assert_eq!(decide("src\tdst weight\n1\t2 0.5\n3\t4 1\n"), Found(Separator::Space));
        // Field counts that change from line to line make a reading less likely.
        assert_eq!(decide("0 0\t42\n0\t42\n"), Found(Separator::Tab));
        // Pieces of a quoted field over lines are no evidence for blanks.
        assert_eq!(decide("\"0\n0\"\t\"0\n0\"\n"), Found(Separator::Tab));
        // The first record votes when nothing after it reads as an edge.
        assert_eq!(decide("4 5\n5 six seven eight\n"), Found(Separator::Space));
        // The first record counts when it is no header.
        assert_eq!(decide("0 0\t0 0\n0\t0.\n"), Found(Separator::Tab));
        // Every reading with ids that hold another's separator: ambiguous, not the fewest.
        assert!(matches!(decide("0;\t0;\t0\n"), Ambiguous(_)));
        // Tabs trimmed from around semicolon-separated ids are a sign of tabs too: ambiguous.
        assert!(matches!(decide("0;\t 0 \n 0;\t  0\n"), Ambiguous(_)));
        // A malformed line is not evidence against the others.
        assert_eq!(decide("oops this is prose\n1,2\n3,4\n"), Found(Separator::Comma));
        // Quoted separators.
        assert_eq!(decide("\"a,b\",c\n\"d\",\"e,f\"\n"), Found(Separator::Comma));
    }

    #[test]
    fn one_line_that_reads_two_ways_is_ambiguous() {
        let Ambiguous(candidates) = decide("New York,Boston\n") else {
            panic!("New York,Boston alone is ambiguous");
        };
        let separators: Vec<Separator> = candidates.iter().map(|c| c.0).collect();
        assert_eq!(separators, [Separator::Comma, Separator::Space]);
        assert_eq!(candidates[0].1, [b"New York".to_vec(), b"Boston".to_vec()]);
        // More lines settle it.
        assert_eq!(decide("New York,Boston\nParis,Rome\n"), Found(Separator::Comma));
    }

    #[test]
    fn prose_and_comments_are_no_evidence() {
        assert_eq!(decide("# only a comment\n\n"), Nothing);
        assert_eq!(decide("This is the README of the data set.\nIt has prose.\n"), Nothing);
    }

    #[test]
    fn a_cut_last_line_is_left_out_unless_the_head_is_the_whole_file() {
        assert_eq!(
            separator_from_content(b"1,2\n3,4\n5 6 7 8", false),
            Found(Separator::Comma)
        );
        assert_eq!(separator_from_content(b"1 2", true), Found(Separator::Space));
        assert_eq!(separator_from_content(b"1 2", false), Nothing);
    }

    #[test]
    fn headers_are_recognised_by_name_and_by_kind() {
        let header = |text: &str, sep| header_from_content(text.as_bytes(), sep, true);
        assert!(header("source,target\na,b\n", Separator::Comma));
        assert!(header("Source, Target, Weight\nx,y,1\n", Separator::Comma));
        assert!(
            !header("# FromNodeId\tToNodeId\n1\t2\n", Separator::Tab),
            "a comment, not a header"
        );
        assert!(header("src dst\n", Separator::Space), "names alone, no data line");
        assert!(
            header("Source \t Target Weight .\n", Separator::Tab),
            "names split by another separator"
        );
        assert!(
            header("alpha,beta\n1,2\n3,4\n", Separator::Comma),
            "words above integers"
        );
        assert!(
            header("page,linked\nhttp://a/,http://b/\n", Separator::Comma),
            "words above URLs"
        );
        assert!(
            header("1,2,strength_of_link\n1,2,0.5\n", Separator::Comma),
            "a word above weights"
        );
        assert!(!header("a,b\nc,d\n", Separator::Comma), "string ids throughout");
        assert!(!header("1,2\n3,4\n", Separator::Comma));
        assert!(!header("http://a/,http://b/\nhttp://c/,http://d/\n", Separator::Comma));
    }

    #[test]
    fn extensions_and_known_formats() {
        assert_eq!(separator_from_name(Path::new("a/links.csv.gz")), Some(Separator::Comma));
        assert_eq!(separator_from_name(Path::new("x.TSV")), Some(Separator::Tab));
        assert_eq!(separator_from_name(Path::new("x.tab.zst")), Some(Separator::Tab));
        assert_eq!(separator_from_name(Path::new("x.txt")), None);
        assert_eq!(separator_from_name(Path::new("csv")), None);
        assert!(known_by_name(Path::new("d/README.md")).is_some());
        assert!(known_by_name(Path::new("d/README")).is_some());
        assert!(
            known_by_name(Path::new("cnr-2000.graph"))
                .unwrap()
                .what
                .contains("BVGraph")
        );
        assert!(
            known_by_name(Path::new("part-0.snappy.parquet"))
                .unwrap()
                .what
                .contains("Parquet")
        );
        assert!(known_by_name(Path::new("edges.txt")).is_none());
        assert!(known_by_name(Path::new("part-00000")).is_none());
        assert!(known_by_content(b"PAR1\x15\x04").unwrap().what.contains("Parquet"));
        assert!(known_by_content(b"\x00\x01\x02binary").unwrap().what.contains("binary"));
        assert!(known_by_content("1\t2\nhttp://é/ 3\n".as_bytes()).is_none());
    }
}
