//! `report.html`: well-formed (XHTML-style, any XML parser reads it), self-contained, with
//! every chart and the top table of `top.tsv`; hostile ids stay text and only `http(s)` ids
//! become links; the command line is shown so that a shell gives back the words that ran; the
//! numbers carry the names they have in `summary.json`. (What the page does in a browser,
//! sorting, filtering and layout, is checked in Chromium by `tests/interop/report_check.py`.)
//!
//! Needs the binary and the charts (`Cargo.toml` has no `[[test]]` entry for this file, so
//! the whole file is switched off without those features).
#![cfg(all(feature = "cli", feature = "plots"))]

use std::path::{Path, PathBuf};

use crawlrank::plot::Chart;
use quick_xml::events::{BytesStart, Event};
use serde_json::Value;

mod common;

/// An element of the page, with its children.
#[derive(Debug)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    fn new(start: &BytesStart<'_>) -> Element {
        let attributes = start
            .attributes()
            .map(|a| {
                let a = a.unwrap_or_else(|e| panic!("bad attribute: {e}"));
                let value = quick_xml::escape::unescape(&a.value)
                    .unwrap_or_else(|e| panic!("bad attribute value {:?}: {e}", a.value))
                    .into_owned();
                (a.key.as_ref().to_string(), value)
            })
            .collect();
        Element {
            name: start.name().as_ref().to_string(),
            attributes,
            children: Vec::new(),
        }
    }

    fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.iter().find(|a| a.0 == key).map(|a| a.1.as_str())
    }

    /// Every element below this one, in document order.
    fn descendants(&self) -> Vec<&Element> {
        let mut found = Vec::new();
        for child in &self.children {
            if let Node::Element(e) = child {
                found.push(e);
                found.extend(e.descendants());
            }
        }
        found
    }

    fn all(&self, name: &str) -> Vec<&Element> {
        self.descendants().into_iter().filter(|e| e.name == name).collect()
    }

    fn with_id(&self, id: &str) -> &Element {
        let found: Vec<&Element> = self
            .descendants()
            .into_iter()
            .filter(|e| e.attribute("id") == Some(id))
            .collect();
        assert_eq!(found.len(), 1, "elements with id {id:?}");
        found[0]
    }

    fn elements(&self) -> Vec<&Element> {
        self.children
            .iter()
            .filter_map(|c| match c {
                Node::Element(e) => Some(e),
                Node::Text(_) => None,
            })
            .collect()
    }

    /// All the text inside, as a browser shows it (entities resolved).
    fn text(&self) -> String {
        self.children
            .iter()
            .map(|c| match c {
                Node::Element(e) => e.text(),
                Node::Text(t) => t.clone(),
            })
            .collect()
    }

    fn has_class(&self, class: &str) -> bool {
        self.attribute("class")
            .is_some_and(|c| c.split_whitespace().any(|c| c == class))
    }
}

/// Parses the page as XML (panics unless it is well-formed) into a tree under `#document`.
fn parse(page: &str) -> Element {
    let mut reader = quick_xml::Reader::from_str(page);
    let mut open = vec![Element {
        name: "#document".to_string(),
        attributes: Vec::new(),
        children: Vec::new(),
    }];
    let text = |open: &mut Vec<Element>, t: &str| {
        let parent = open.last_mut().unwrap();
        if let Some(Node::Text(before)) = parent.children.last_mut() {
            before.push_str(t);
        } else {
            parent.children.push(Node::Text(t.to_string()));
        }
    };
    loop {
        match reader.read_event().unwrap_or_else(|e| {
            panic!(
                "report.html is not well-formed at byte {}: {e}",
                reader.buffer_position()
            )
        }) {
            Event::Start(e) => open.push(Element::new(&e)),
            Event::Empty(e) => open.last_mut().unwrap().children.push(Node::Element(Element::new(&e))),
            Event::End(_) => {
                let done = open.pop().unwrap();
                open.last_mut()
                    .expect("an end tag without a start")
                    .children
                    .push(Node::Element(done));
            }
            Event::Text(t) => text(&mut open, &t.into_inner()),
            Event::CData(t) => text(&mut open, &t.into_inner()),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().unwrap() {
                    Some(c) => c.to_string(),
                    None => match &*r {
                        "lt" => "<",
                        "gt" => ">",
                        "amp" => "&",
                        "quot" => "\"",
                        "apos" => "'",
                        other => panic!("an entity XML does not define: &{other};"),
                    }
                    .to_string(),
                };
                text(&mut open, &resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(open.len(), 1, "elements left open");
    open.pop().unwrap()
}

/// Ranks `input` (the bundled sample when `None`) into `dir/name` with plots; returns the
/// result folder.
fn rank(dir: &Path, name: &str, input: Option<&Path>) -> PathBuf {
    let out = dir.join(name);
    let mut args = vec!["rank", "-q", "--plots", "-o", out.to_str().unwrap()];
    if let Some(input) = input {
        args.push(input.to_str().unwrap());
    }
    let (code, _, stderr) = common::crawlrank(&args);
    assert_eq!(code, 0, "{stderr}");
    out
}

fn read_report(out: &Path) -> (String, Element) {
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    let tree = parse(&page);
    (page, tree)
}

fn summary_json(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

/// The rows of the top table: the cells of each `tr` of its `tbody`.
fn top_rows(tree: &Element) -> Vec<Vec<&Element>> {
    let table = tree.with_id("top");
    let bodies = table.all("tbody");
    assert_eq!(bodies.len(), 1, "one tbody");
    bodies[0]
        .elements()
        .into_iter()
        .map(|tr| {
            assert_eq!(tr.name, "tr");
            tr.elements()
        })
        .collect()
}

/// Ids of the top table (as text) with the link each one has, if any.
fn id_cells(tree: &Element) -> Vec<(String, Option<&Element>)> {
    top_rows(tree)
        .into_iter()
        .map(|cells| {
            let cell = cells[1];
            assert!(cell.has_class("id"), "the second cell is the id");
            let links = cell.elements();
            assert!(
                links.iter().all(|e| e.name == "a") && links.len() <= 1,
                "an id cell holds text or one link: {cell:?}"
            );
            (cell.text(), links.first().copied())
        })
        .collect()
}

#[test]
fn report_is_well_formed_with_every_chart_the_top_table_and_nothing_fetched() {
    let dir = tempfile::tempdir().unwrap();
    let out = rank(dir.path(), "sample", None);
    let (page, tree) = read_report(&out);
    assert!(page.starts_with("<!DOCTYPE html>"));

    let html = tree.elements();
    assert_eq!(html.len(), 1, "one root element");
    let html = html[0];
    assert_eq!((html.name.as_str(), html.attribute("lang")), ("html", Some("en")));
    let parts: Vec<&str> = html.elements().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(parts, ["head", "body"]);
    assert_eq!(html.all("title")[0].text(), "crawlrank report: web-sample.tsv.gz");
    assert!(
        html.all("meta").iter().any(|m| m.attribute("charset") == Some("utf-8")),
        "declares UTF-8"
    );

    // Every chart, inline, in its figure with its caption.
    assert_eq!(tree.all("svg").len(), Chart::ALL.len(), "an svg per chart and no other");
    for chart in Chart::ALL {
        let figure = tree.with_id(chart.name());
        assert_eq!(figure.name, "figure");
        assert_eq!(figure.all("svg").len(), 1, "{}", chart.name());
        let caption = figure.all("figcaption");
        assert_eq!(caption.len(), 1, "{}", chart.name());
        assert!(
            caption[0].text().contains(chart.caption()),
            "{}: {}",
            chart.name(),
            caption[0].text()
        );
    }

    // The top table is top.tsv: its column names, then its first 100 rows in rank order.
    let top = std::fs::read_to_string(out.join("top.tsv")).unwrap();
    let mut lines = top.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let head = tree.with_id("top").all("thead");
    assert_eq!(head.len(), 1);
    let names: Vec<String> = head[0].all("th").iter().map(|th| th.text()).collect();
    assert_eq!(names, header, "the column names of top.tsv");
    let rows = top_rows(&tree);
    assert_eq!(rows.len(), 100);
    for (cells, line) in rows.iter().zip(lines) {
        let fields: Vec<&str> = line.split('\t').collect();
        let texts: Vec<String> = cells.iter().map(|c| c.text()).collect();
        assert_eq!(
            [&texts[0], &texts[1], &texts[3], &texts[4]],
            [fields[0], fields[1], fields[3], fields[4]]
        );
        let (shown, exact): (f64, f64) = (texts[2].parse().unwrap(), fields[2].parse().unwrap());
        assert!((shown - exact).abs() <= exact * 1e-6, "{shown} vs {exact}");
    }

    // Self-contained: nothing to fetch, one inline script, links only to web pages.
    for e in tree.descendants() {
        assert!(e.attribute("src").is_none(), "fetches {e:?}");
        assert!(
            !matches!(e.name.as_str(), "link" | "iframe" | "object" | "embed" | "img"),
            "{}",
            e.name
        );
        if let Some(href) = e.attribute("href") {
            assert_eq!(e.name, "a");
            assert!(href.starts_with("https://") || href.starts_with("http://"), "{href}");
        }
    }
    assert_eq!(tree.all("script").len(), 1);
    for style in tree.all("style") {
        let css = style.text();
        assert!(
            !css.contains("url(") && !css.contains("@import"),
            "the style fetches something"
        );
    }
    // The sample's ids are URLs: every one of them is a link to itself.
    for (id, link) in id_cells(&tree) {
        let link = link.unwrap_or_else(|| panic!("{id} is not a link"));
        assert_eq!(link.attribute("href"), Some(id.as_str()));
    }
}

#[test]
fn hostile_ids_stay_text_and_only_http_and_https_ids_become_links() {
    let dir = tempfile::tempdir().unwrap();
    let links = [
        "https://ok.example/a?b=1&c=<2>",
        r#"http://x.example/"onmouseover="alert(1)"#,
        "HTTPS://UPPER.example/",
    ];
    let texts = [
        "<script>alert(1)</script>",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(2)",
        "https://evil.example/<img src=x onerror=alert(1)>",
        "data:text/html,<b>x</b>",
        "]]><!-- x -->&amp;",
        "https://",
        "42",
    ];
    let ids: Vec<&str> = links.iter().chain(&texts).copied().collect();
    // A ring, so that every id is a ranked node.
    let edges: String = ids
        .iter()
        .zip(ids.iter().cycle().skip(1))
        .map(|(a, b)| format!("{a}\t{b}\n"))
        .collect();
    let input = dir.path().join("hostile.tsv");
    std::fs::write(&input, edges).unwrap();
    let out = rank(dir.path(), "hostile", Some(&input));
    let (page, tree) = read_report(&out);

    let cells = id_cells(&tree);
    let mut shown: Vec<&str> = cells.iter().map(|(id, _)| id.as_str()).collect();
    let mut expected = ids.clone();
    shown.sort_unstable();
    expected.sort_unstable();
    assert_eq!(shown, expected, "every id shown as its own text");
    for (id, link) in &cells {
        if links.contains(&id.as_str()) {
            let link = link.unwrap_or_else(|| panic!("{id} is not a link"));
            assert_eq!(link.attribute("href"), Some(id.as_str()), "the link goes to the id");
            assert_eq!(link.text(), *id);
            let rel = link.attribute("rel").unwrap_or_default();
            assert!(rel.split_whitespace().any(|r| r == "noopener"), "rel {rel:?}");
        } else {
            assert!(link.is_none(), "{id} became a link");
        }
    }
    // No id became markup: one script (the page's own), no image, no event handler, and
    // every link is one of the table's.
    let scripts = tree.all("script");
    assert_eq!(scripts.len(), 1, "an id became a script");
    assert!(!scripts[0].text().contains("alert"));
    for e in tree.descendants() {
        assert!(
            !matches!(e.name.as_str(), "img" | "iframe"),
            "an id became an {}",
            e.name
        );
        for (key, value) in &e.attributes {
            assert!(!key.starts_with("on"), "an id became an attribute: {key}={value}");
        }
    }
    assert_eq!(tree.all("a").len(), links.len());
    assert!(
        !page.contains("<script>alert") && !page.contains("<img"),
        "raw markup from an id"
    );
}

#[test]
fn integer_ids_are_never_links() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.tsv");
    std::fs::write(&input, "1\t2\n2\t3\n3\t1\n4\t1\n").unwrap();
    let out = rank(dir.path(), "numbers", Some(&input));
    let (_, tree) = read_report(&out);
    let cells = id_cells(&tree);
    assert_eq!(cells.len(), 4);
    assert!(cells.iter().all(|(_, link)| link.is_none()));
    assert!(tree.all("a").is_empty());
}

#[test]
fn the_command_line_is_shown_so_that_a_shell_gives_back_the_words_that_ran() {
    let dir = tempfile::tempdir().unwrap();
    let urls = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/urls.tsv");
    let out = rank(dir.path(), "it's a <run> & more", Some(&urls));
    let (_, tree) = read_report(&out);
    let summary = summary_json(&out);
    let command: Vec<&str> = summary["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(
        command[1..],
        [
            "rank",
            "-q",
            "--plots",
            "-o",
            out.to_str().unwrap(),
            urls.to_str().unwrap()
        ]
    );

    let shown = tree.with_id("command").all("code")[0].text();
    assert!(shown.contains(r"'\''s a <run> & more'"), "{shown}");
    // What a POSIX shell makes of the line shown: one word per NUL.
    let echoed = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("printf '%s\\0' {shown}"))
        .output()
        .unwrap();
    assert!(echoed.status.success());
    let words: Vec<String> = String::from_utf8(echoed.stdout)
        .unwrap()
        .split_terminator('\0')
        .map(str::to_string)
        .collect();
    assert_eq!(words, command);
}

#[test]
fn the_numbers_carry_their_summary_json_names() {
    let dir = tempfile::tempdir().unwrap();
    let urls = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/urls.tsv");
    let out = rank(dir.path(), "names", Some(&urls));
    let (_, tree) = read_report(&out);
    let summary = summary_json(&out);

    let rows: Vec<&Element> = tree
        .all("tr")
        .into_iter()
        .filter(|tr| tr.attribute("data-path").is_some())
        .collect();
    let mut paths = Vec::new();
    for row in rows {
        let path = row.attribute("data-path").unwrap();
        paths.push(path.to_string());
        let value = summary
            .pointer(&format!("/{}", path.replace('.', "/")))
            .unwrap_or_else(|| panic!("{path} is not in summary.json"));
        let keys: Vec<&Element> = row.descendants().into_iter().filter(|e| e.has_class("key")).collect();
        assert_eq!(keys.len(), 1, "{path}");
        assert_eq!(
            keys[0].text(),
            path.rsplit('.').next().unwrap(),
            "the name shown for {path}"
        );
        let cell = row.all("td")[0];
        let text = cell.text();
        match value {
            Value::Null => assert!(text == "none" || text == "unknown", "{path}: {text}"),
            Value::Bool(b) => assert_eq!(text, b.to_string(), "{path}"),
            Value::String(s) => assert_eq!(&text, s, "{path}"),
            Value::Number(n) if n.is_u64() || n.is_i64() => {
                // Counts are shown as they are; byte counts in MiB with the exact count on hover.
                let exact = cell
                    .attribute("title")
                    .map_or(text.as_str(), |t| t.trim_end_matches(" bytes"));
                assert_eq!(exact, n.to_string(), "{path}");
            }
            Value::Number(n) => {
                // Rounded numbers carry the exact value on hover.
                let exact = cell.attribute("title").unwrap_or(text.as_str());
                let exact = exact.split_whitespace().next().unwrap();
                assert_eq!(exact.parse::<f64>().ok(), n.as_f64(), "{path}: {text} ({exact})");
            }
            other => panic!("{path} is not a single value: {other}"),
        }
    }
    for path in [
        "graph.nodes",
        "graph.edges",
        "graph.dangling_nodes",
        "iterations_run",
        "converged",
        "residual",
        "error_bound",
        "rank_sum",
        "phases.total",
        "parameters.damping",
        "parameters.tolerance",
        "parameters.max_iterations",
        "parameters.dangling",
        "parameters.shards",
    ] {
        assert!(paths.iter().any(|p| p == path), "{path} missing from the report");
    }
    // "last L1 change" is only the gloss of residual now.
    let residual = tree
        .all("tr")
        .into_iter()
        .find(|tr| tr.attribute("data-path") == Some("residual"))
        .unwrap();
    assert!(
        residual.text().starts_with("residual (last L1 change)"),
        "{}",
        residual.text()
    );
}
