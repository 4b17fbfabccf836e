//! Node names: files that give the nodes of an integer-id graph the names people read
//! (`--names`), such as the vertex files of a Common Crawl host or domain graph or the
//! `.urls` list of a LAW BVGraph.
//!
//! Two layouts, told apart by the first data line of each file:
//!
//! - **id and name**: `id<TAB>name[<TAB>more columns]`, in any order, ids unique (Common
//!   Crawl's vertices: `123<TAB>com.example.www`; its domain graphs add the host count);
//! - **node order**: one name a line, line `i` (from 0, over the files in order) naming node
//!   `i` (LAW's `BASE.urls`, `BASE.ids`). A file is in this layout when its first data line
//!   is not an integer followed by a tab.
//!
//! Lines starting with `#` are comments; the first one of a file that holds a tab names the
//! columns (`#id<TAB>name<TAB>host_count`). Without such a header, a single extra column of
//! integers is called `host_count` (Common Crawl's domain graphs), other extra columns
//! `column3`, `column4`... Extra columns are kept as text and shown in `top.tsv` and the GEXF.
//!
//! Files are read in parallel, one thread a file (Common Crawl splits its vertices over
//! many), each decompressed by its magic number as edge files are.

use std::io::BufRead;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::strings::StringTable;
use super::{InputFile, compression};
use crate::error::{Error, Result};
use crate::input::text::parse_u64;

/// Where the names come from and how to show them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamesOptions {
    /// Files, folders and glob patterns, as for edge lists.
    pub files: Vec<String>,
    /// The names are reversed host names (`com.example.www`, Common Crawl's order): show
    /// them the usual way round (`www.example.com`).
    pub reversed: bool,
}

impl NamesOptions {
    /// The same options with each file or folder that exists as an absolute path, so that
    /// `export` finds them from another working directory.
    pub fn absolute(&self) -> NamesOptions {
        NamesOptions {
            files: self
                .files
                .iter()
                .map(|f| match std::fs::canonicalize(f) {
                    Ok(p) if f != "-" => p.display().to_string(),
                    _ => f.clone(),
                })
                .collect(),
            reversed: self.reversed,
        }
    }
}

/// How the lines of a names file give ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NamesLayout {
    /// `id<TAB>name[<TAB>more]`.
    IdName,
    /// One name a line, in node order.
    NodeOrder,
}

/// What one names file held.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NamesFileReport {
    /// The file as named.
    pub path: String,
    /// Names read from it.
    pub names: u64,
    /// Malformed lines skipped (with `--skip-bad-lines`).
    pub bad_lines: u64,
    /// Why the file was not read, when it was found in a folder or by a pattern and is not
    /// a names file (a README, metadata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// The names read, before they are matched with the graph's nodes.
pub(crate) struct NameList {
    /// The layout of every file.
    pub layout: NamesLayout,
    /// The id of each name, in file order (empty in node order: name `i` is node `i`).
    pub ids: Vec<u64>,
    /// The names, in file order (turned the usual way round when asked).
    pub names: StringTable,
    /// The extra columns of each name, tab-joined, when any line has some.
    pub extra: Option<StringTable>,
    /// The extra columns' names.
    pub columns: Vec<String>,
    /// Whether every value of each extra column is an integer.
    pub integer_columns: Vec<bool>,
    /// One report a file.
    pub files: Vec<NamesFileReport>,
}

impl NameList {
    /// Number of names.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
}

/// One file's share of a [`NameList`].
struct Part {
    layout: Option<NamesLayout>,
    ids: Vec<u64>,
    names: StringTable,
    extra: StringTable,
    has_extra: bool,
    header: Option<Vec<String>>,
    /// Per extra column: every value an integer so far.
    integer_columns: Vec<bool>,
    report: NamesFileReport,
}

impl Part {
    /// Nothing read yet from the file `path`.
    fn empty(path: String) -> Part {
        Part {
            layout: None,
            ids: Vec::new(),
            names: StringTable::default(),
            extra: StringTable::default(),
            has_extra: false,
            header: None,
            integer_columns: Vec::new(),
            report: NamesFileReport {
                path,
                names: 0,
                bad_lines: 0,
                skipped: None,
            },
        }
    }
}

/// Reads every names file of `options`, in parallel; `skip_bad` counts malformed lines
/// instead of stopping at the first.
pub(crate) fn read_names(options: &NamesOptions, skip_bad: bool) -> Result<NameList> {
    let files = super::expand(&options.files)?;
    if files.is_empty() {
        return Err(Error::Input(format!("--names {}: no files", options.files.join(" "))));
    }
    for file in &files {
        if matches!(file, InputFile::BvGraph { .. } | InputFile::Bundled { .. }) {
            return Err(Error::Input(format!(
                "--names {}: a graph, not a names file (one `id<TAB>name` or one name a line)",
                file.name()
            )));
        }
    }
    let parts: Vec<Part> = files
        .par_iter()
        .map(|file| read_part(file, options.reversed, skip_bad))
        .collect::<Result<_>>()?;
    let mut layout = None;
    for (part, file) in parts.iter().zip(&files) {
        match (&layout, part.layout) {
            (_, None) => {}
            (None, Some(l)) => layout = Some((l, file.name())),
            (Some((l, _)), Some(m)) if *l == m => {}
            (Some((l, first)), Some(m)) => {
                return Err(Error::Input(format!(
                    "--names: {first} is {} but {} is {}; give names files of one layout",
                    describe(*l),
                    file.name(),
                    describe(m)
                )));
            }
        }
    }
    let Some((layout, _)) = layout else {
        let names: Vec<String> = files.iter().map(InputFile::name).collect();
        return Err(Error::Input(format!(
            "--names {}: no names in these files (every line blank or a comment)",
            names.join(", ")
        )));
    };
    let width = parts.iter().map(|p| p.integer_columns.len()).max().unwrap_or(0);
    let header = parts.iter().find_map(|p| p.header.clone());
    let mut list = NameList {
        layout,
        ids: Vec::with_capacity(parts.iter().map(|p| p.ids.len()).sum()),
        names: StringTable::default(),
        extra: parts.iter().any(|p| p.has_extra).then(StringTable::default),
        columns: Vec::new(),
        integer_columns: vec![true; width],
        files: Vec::with_capacity(parts.len()),
    };
    for part in parts {
        list.ids.extend_from_slice(&part.ids);
        list.names.append(&part.names);
        if let Some(extra) = &mut list.extra {
            if part.has_extra {
                extra.append(&part.extra);
            } else {
                for _ in 0..part.names.len() {
                    extra.push(b"");
                }
            }
        }
        for (all, this) in list.integer_columns.iter_mut().zip(&part.integer_columns) {
            *all &= this;
        }
        list.files.push(part.report);
    }
    list.columns = (0..width)
        .map(|c| match &header {
            Some(h) if h.len() == width + 2 => h[c + 2].clone(),
            _ if width == 1 && list.integer_columns[0] => "host_count".to_string(),
            _ => format!("column{}", c + 3),
        })
        .collect();
    Ok(list)
}

fn describe(layout: NamesLayout) -> &'static str {
    match layout {
        NamesLayout::IdName => "`id<TAB>name` lines",
        NamesLayout::NodeOrder => "one name a line in node order",
    }
}

/// `Some(what)` when `line` is an integer, then a space, comma or semicolon, then more: an
/// id and a name with the wrong separator.
fn id_then_other_separator(line: &[u8]) -> Option<&'static str> {
    let at = line.iter().position(|b| !b.is_ascii_digit())?;
    if at == 0 || at + 1 >= line.len() {
        return None;
    }
    match line[at] {
        b' ' => Some("a space"),
        b',' => Some("a comma"),
        b';' => Some("a semicolon"),
        _ => None,
    }
}

/// The layout a data line belongs to.
fn layout_of(line: &[u8]) -> NamesLayout {
    match memchr::memchr(b'\t', line) {
        Some(tab) if parse_u64(&line[..tab]).is_some() => NamesLayout::IdName,
        _ => NamesLayout::NodeOrder,
    }
}

fn read_part(file: &InputFile, reversed: bool, skip_bad: bool) -> Result<Part> {
    let name = file.name();
    if let InputFile::Listed(path) = file
        && let Some(not) = super::detect::known_by_name(path)
    {
        let mut part = Part::empty(name);
        part.report.skipped = Some(not.what);
        return Ok(part);
    }
    let reader: Box<dyn BufRead + Send> = match file {
        InputFile::Stdin => {
            let (_, r) = compression::decode(std::io::stdin()).map_err(|e| Error::Input(format!("<stdin>: {e}")))?;
            r
        }
        _ => {
            let path = file.path().expect("a names file is a file or standard input");
            let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            compression::decode(f).map_err(|e| Error::io(path, e))?.1
        }
    };
    let mut part = Part::empty(name.clone());
    let mut reader = reader;
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut shown = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::Input(format!("{name}: reading line {}: {e}", number + 1)))?;
        if n == 0 {
            break;
        }
        number += 1;
        let mut text: &[u8] = &line;
        if let Some(t) = text.strip_suffix(b"\n") {
            text = t;
        }
        if let Some(t) = text.strip_suffix(b"\r") {
            text = t;
        }
        if number == 1 {
            text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        }
        if let Some(comment) = text.strip_prefix(b"#") {
            if part.header.is_none() && part.report.names == 0 && memchr::memchr(b'\t', comment).is_some() {
                part.header = Some(
                    comment
                        .split(|&b| b == b'\t')
                        .map(|f| String::from_utf8_lossy(f).trim().trim_start_matches('#').to_string())
                        .collect(),
                );
            }
            continue;
        }
        let bad = |message: &str| Error::parse(&name, number, message, text);
        if part.layout.is_none() {
            let layout = layout_of(text);
            if layout == NamesLayout::NodeOrder
                && let Some(separator) = id_then_other_separator(text)
            {
                // `12 com.example` would name node 0 "12 com.example": refuse rather than guess.
                return Err(bad(&format!(
                    "this reads as an id and a name separated by {separator}; names files separate them \
                     with a tab (`id<TAB>name`), or hold one name a line in node order"
                )));
            }
            part.layout = Some(layout);
        }
        let layout = part.layout.expect("decided above");
        let (id, label, rest) = match layout {
            NamesLayout::NodeOrder => {
                if text.is_empty() {
                    // A blank line would shift every later name onto the wrong node.
                    return Err(bad(
                        "a blank line in a names file in node order (one name a line): which node is it?",
                    ));
                }
                (None, text, None)
            }
            NamesLayout::IdName => {
                if text.is_empty() {
                    continue;
                }
                let mut fields = text.splitn(3, |&b| b == b'\t');
                let id = fields.next().unwrap_or_default();
                let label = fields.next();
                let rest = fields.next();
                let problem = match (parse_u64(id), label) {
                    (None, _) => Some("expected `id<TAB>name`: the id is not an unsigned integer"),
                    (Some(_), None) => Some("expected `id<TAB>name`: no tab after the id"),
                    (Some(_), Some([])) => Some("expected `id<TAB>name`: the name is empty"),
                    _ => None,
                };
                if let Some(problem) = problem {
                    if skip_bad {
                        part.report.bad_lines += 1;
                        continue;
                    }
                    return Err(bad(problem));
                }
                (parse_u64(id), label.unwrap_or_default(), rest)
            }
        };
        if let Some(id) = id {
            part.ids.push(id);
        }
        if reversed {
            shown.clear();
            unreverse_host(label, &mut shown);
            part.names.push(&shown);
        } else {
            part.names.push(label);
        }
        match rest {
            Some(rest) => {
                if !part.has_extra {
                    part.has_extra = true;
                    for _ in 0..part.report.names {
                        part.extra.push(b"");
                    }
                }
                for (c, value) in rest.split(|&b| b == b'\t').enumerate() {
                    if c >= part.integer_columns.len() {
                        part.integer_columns.push(true);
                    }
                    part.integer_columns[c] &= parse_u64(value).is_some();
                }
                part.extra.push(rest);
            }
            None if part.has_extra => part.extra.push(b""),
            None => {}
        }
        part.report.names += 1;
    }
    Ok(part)
}

/// Appends `name` with its dot-separated labels in reverse order: `com.example.www` becomes
/// `www.example.com` (and back). Common Crawl writes host names reversed so that a domain's
/// hosts sort together; a trailing port or path is not part of its names.
pub(crate) fn unreverse_host(name: &[u8], out: &mut Vec<u8>) {
    for (i, label) in name.rsplit(|&b| b == b'.').enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        out.extend_from_slice(label);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_turn_round_and_back() {
        let mut out = Vec::new();
        unreverse_host(b"com.example.www", &mut out);
        assert_eq!(out, b"www.example.com");
        let mut back = Vec::new();
        unreverse_host(&out, &mut back);
        assert_eq!(back, b"com.example.www");
        out.clear();
        unreverse_host(b"localhost", &mut out);
        assert_eq!(out, b"localhost");
    }

    #[test]
    fn layouts_are_told_apart_by_the_first_line() {
        assert_eq!(layout_of(b"12\tcom.example"), NamesLayout::IdName);
        assert_eq!(layout_of(b"http://a.example/"), NamesLayout::NodeOrder);
        assert_eq!(layout_of(b"x12\tfoo"), NamesLayout::NodeOrder);
        assert_eq!(layout_of(b"12"), NamesLayout::NodeOrder);
        assert_eq!(id_then_other_separator(b"12 com.example"), Some("a space"));
        assert_eq!(id_then_other_separator(b"12,com.example"), Some("a comma"));
        assert_eq!(id_then_other_separator(b"http://a.example/"), None);
        assert_eq!(id_then_other_separator(b"123"), None);
        assert_eq!(id_then_other_separator(b"12.example.com"), None);
    }
}
