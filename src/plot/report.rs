//! `report.html`: one self-contained page per run (no scripts, fonts, styles or images from
//! elsewhere) with the command line, the key numbers under their `summary.json` names, every
//! chart inline as SVG with a note on how to read it, the top-100 table and the inputs.
//!
//! The page fits a laptop screen: the numbers in three columns, the charts two by two, the
//! table full width; on a narrow window everything falls into one column. A few lines of
//! inline JavaScript make the top table sortable (click a heading) and filterable (by id);
//! without scripts the table is there, in rank order. Ids that are `http`/`https` URLs are
//! links (`rel="noopener noreferrer"`); every id is escaped text, so a hostile id never
//! becomes markup or a link to another scheme. The page is well-formed XML as well as HTML,
//! so any XML parser can check it.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Chart, ChartData, draw_svg};
use crate::error::{Error, Result};
use crate::output::{Summary, TopRow};

/// Rows of the top table (`top.tsv` may hold more).
const TOP_ROWS: usize = 100;

/// Whether XML allows the character (the page is also well-formed XML).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes text for HTML content and attribute values (characters XML forbids are dropped).
fn esc(text: &str) -> String {
    let allowed: String = text.chars().filter(|&c| xml_char(c)).collect();
    quick_xml::escape::escape(&allowed).into_owned()
}

/// Whether an id is shown as a link: an `http://` or `https://` URL with a host, made only of
/// characters that go into an attribute unchanged (no whitespace, control characters or
/// U+FFFD standing for bytes that were not UTF-8, which would link somewhere else).
fn is_web_link(id: &str) -> bool {
    let after_scheme = ["https://", "http://"].iter().find_map(|scheme| {
        id.get(..scheme.len())
            .filter(|head| head.eq_ignore_ascii_case(scheme))
            .map(|_| &id[scheme.len()..])
    });
    after_scheme.is_some_and(|rest| {
        !rest.is_empty()
            && !rest.starts_with('/')
            && id
                .chars()
                .all(|c| xml_char(c) && !c.is_whitespace() && !c.is_control() && c != '\u{FFFD}')
    })
}

/// One word of a command line, quoted for a POSIX shell when it needs it, so that the line
/// shown can be pasted back.
fn shell_word(word: &str) -> Cow<'_, str> {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if plain {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
    }
}

/// The command line as a shell would take it.
fn command_line(words: &[String]) -> String {
    words.iter().map(|w| shell_word(w)).collect::<Vec<_>>().join(" ")
}

fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format!("{s:.2} s")
    }
}

/// How a number of `summary.json` is shown.
#[derive(Clone, Copy)]
enum Shown {
    /// As `summary.json` has it.
    AsIs,
    /// Four significant digits, `9.562e-11`.
    Scientific,
    /// Twelve decimals (the sum of ranks).
    Fixed,
    /// Milliseconds or seconds.
    Seconds,
    /// MiB.
    Bytes,
}

/// A number of `summary.json`, named by its path there (`graph.nodes`); the report shows the
/// last part of the path, so that the page and the file use the same names.
struct Fact {
    path: &'static str,
    /// What the name means, when it does not say so itself.
    gloss: &'static str,
    shown: Shown,
}

const fn fact(path: &'static str, gloss: &'static str, shown: Shown) -> Fact {
    Fact { path, gloss, shown }
}

/// The three tables of numbers at the top of the page.
const FACTS: [(&str, &[Fact]); 3] = [
    (
        "Graph",
        &[
            fact("graph.nodes", "", Shown::AsIs),
            fact("graph.edges", "kept", Shown::AsIs),
            fact("graph.edges_read", "edge lines read", Shown::AsIs),
            fact("graph.duplicate_edges", "collapsed", Shown::AsIs),
            fact("graph.self_loops", "", Shown::AsIs),
            fact("graph.dangling_nodes", "no out-links", Shown::AsIs),
            fact("bad_lines_skipped", "malformed lines", Shown::AsIs),
            fact("ids", "kind of node ids", Shown::AsIs),
            fact("graph_bytes", "memory of the graph", Shown::Bytes),
        ],
    ),
    (
        "Result",
        &[
            fact("iterations_run", "", Shown::AsIs),
            fact("converged", "residual below tolerance", Shown::AsIs),
            fact("residual", "last L1 change", Shown::Scientific),
            fact("error_bound", "L1 error ≤ α/(1−α)·residual", Shown::Scientific),
            fact("rank_sum", "sum of ranks", Shown::Fixed),
            fact("phases.read", "seconds reading", Shown::Seconds),
            fact("phases.partition", "seconds partitioning", Shown::Seconds),
            fact("phases.iterate", "seconds iterating", Shown::Seconds),
            fact("phases.write", "seconds writing", Shown::Seconds),
            fact("phases.total", "seconds in all", Shown::Seconds),
            fact("peak_rss_bytes", "peak memory", Shown::Bytes),
        ],
    ),
    (
        "Parameters",
        &[
            fact("parameters.damping", "α", Shown::AsIs),
            fact("parameters.tolerance", "L1", Shown::AsIs),
            fact("parameters.max_iterations", "", Shown::AsIs),
            fact("parameters.teleport", "", Shown::AsIs),
            fact("parameters.personalization", "", Shown::AsIs),
            fact("parameters.dangling", "where dangling rank goes", Shown::AsIs),
            fact("parameters.weighted", "", Shown::AsIs),
            fact("parameters.multi", "parallel edges kept", Shown::AsIs),
            fact("parameters.shards", "", Shown::AsIs),
            fact(
                "parameters.shards_by_default",
                "chosen from the graph's size",
                Shown::AsIs,
            ),
            fact("parameters.threads", "speed only", Shown::AsIs),
            fact("parameters.precision", "of the shares sent along edges", Shown::AsIs),
            fact("crawlrank_version", "", Shown::AsIs),
        ],
    ),
];

/// A value of `summary.json` as the report shows it, with its exact form for a tooltip when
/// the shown one is rounded.
fn show(value: &Value, shown: Shown) -> (String, Option<String>) {
    let number = value.as_f64();
    match (value, shown, number) {
        (Value::Null, Shown::Bytes, _) => ("unknown".to_string(), None),
        (Value::Null, ..) => ("none".to_string(), None),
        (Value::String(s), ..) => (s.clone(), None),
        (_, Shown::Scientific, Some(x)) => (format!("{x:.3e}"), Some(value.to_string())),
        (_, Shown::Fixed, Some(x)) => (format!("{x:.12}"), Some(value.to_string())),
        (_, Shown::Seconds, Some(x)) => (seconds(x), Some(format!("{value} s"))),
        (_, Shown::Bytes, Some(x)) => (format!("{:.1} MiB", x / 1048576.0), Some(format!("{value} bytes"))),
        _ => (value.to_string(), None),
    }
}

/// What a reader should look at in a chart (its caption says what it shows).
fn how_to_read(chart: Chart) -> &'static str {
    match chart {
        Chart::Convergence => {
            "The y axis is logarithmic: a straight falling line is steady convergence, and its steepness is the speed (steeper with a smaller α). The run stops where the L1 change crosses the tolerance line; a line that flattens above it means the iteration limit came first (converged is false)."
        }
        Chart::RankDistribution => {
            "Read a point as \"a fraction y of the nodes have PageRank ≥ x\". A long straight stretch on these log-log axes is a power-law tail, typical of the web; the flatter the fitted line (the smaller its exponent), the more the rank is concentrated in a few nodes."
        }
        Chart::DegreeDistribution => {
            "Each point is the share of nodes per unit of degree in one bin. Straight falling lines are typical of crawls; a spike or a gap hints at crawl artefacts (templates, link farms, pages cut at a fixed number of links). Nodes with degree 0 cannot be drawn on log axes and are counted in the legend."
        }
        Chart::Phases => {
            "Wall-clock seconds per phase. iterate is PageRank itself; a long read points at decompression or the disk, a long partition at building the graph in memory."
        }
        Chart::TopNodes => {
            "Longer bars are higher PageRank. The same nodes, with their degrees, are in the table below, which can be sorted and filtered."
        }
        #[allow(unreachable_patterns)] // a chart added later still gets its caption
        _ => "",
    }
}

/// A chart as SVG text to place inside the page (without its XML declaration).
fn inline_svg(chart: Chart, data: &ChartData<'_>) -> Result<String> {
    let svg = draw_svg(chart, data)?;
    let svg = svg.trim_start_matches(|c| c != '<');
    let svg = if svg.starts_with("<?xml") {
        &svg[svg.find("?>").map_or(0, |i| i + 2)..]
    } else {
        svg
    };
    Ok(svg.trim().to_string())
}

const STYLE: &str = r#"* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; background: #fff; }
main { max-width: 1680px; margin: 0 auto; padding: 0.6em 1.5em 2em; }
h1 { font-size: 1.5em; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.15em; margin: 1em 0 0.4em; border-bottom: 1px solid #ddd; padding-bottom: 0.15em; }
p { margin: 0.3em 0; }
.lead { color: #444; }
.command { display: flex; gap: 0.6em; align-items: baseline; }
.command code { flex: 1; background: #f6f6f6; border: 1px solid #e2e2e2; padding: 0.2em 0.6em; white-space: pre-wrap; word-break: break-all; }
code, .key, td.id { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9em; }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 0 2em; }
table { border-collapse: collapse; }
th, td { padding: 2px 8px; border-bottom: 1px solid #e8e8e8; text-align: left; vertical-align: top; }
thead th { background: #f2f2f2; white-space: nowrap; }
th.n { text-align: right; }
table.kv { width: 100%; font-size: 0.93em; }
table.kv th { font-weight: normal; }
.gloss, .note { color: #666; }
.note { font-size: 0.9em; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.id { word-break: break-all; }
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 1.2em 2em; align-items: start; }
@media (max-width: 960px) { .charts { grid-template-columns: minmax(0, 1fr); } main { padding: 0.5em 0.8em 2em; } }
figure { margin: 0; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.9em; margin-top: 0.3em; }
aside { font-size: 0.9em; color: #444; background: #fafafa; border: 1px solid #eee; padding: 0.2em 1em 0.6em; }
aside h3 { font-size: 1em; margin: 0.6em 0 0.2em; }
table.wide { width: 100%; }
#top td:nth-child(1) { width: 4em; }
#top thead th button { font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; color: #1a4d8c; }
#top thead th[aria-sort="ascending"] button::after { content: " ▲"; }
#top thead th[aria-sort="descending"] button::after { content: " ▼"; }
#top tbody tr:hover { background: #f6f9ff; }
.tools { display: flex; gap: 1em; align-items: center; flex-wrap: wrap; margin: 0.3em 0; }
.tools input { font: inherit; padding: 0.2em 0.5em; min-width: 18em; }
a { color: #1a4d8c; }
footer { margin-top: 2em; color: #777; font-size: 0.9em; }"#;

/// Sorting and filtering of the top table. It only moves the table's own rows and sets
/// `hidden` on them; it never turns text into markup.
const SCRIPT: &str = r#"(function () {
  "use strict";
  var table = document.getElementById("top");
  if (!table || !table.tHead || !table.tBodies.length) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var heads = table.tHead.rows[0].cells;
  var ID = 1;
  function value(row, column) {
    var text = row.cells[column].textContent;
    if (column === ID) { return text; }
    var number = parseFloat(text);
    if (text === "inf") { return Infinity; }
    return isNaN(number) ? -Infinity : number;
  }
  var state = { column: 0, descending: false };
  function sortBy(column) {
    var descending = state.column === column ? !state.descending : column > ID;
    var order = rows.slice().sort(function (a, b) {
      var x = value(a, column), y = value(b, column);
      var c = column === ID ? x.localeCompare(y) : (x === y ? 0 : (x > y ? 1 : -1));
      return (descending ? -c : c) || value(a, 0) - value(b, 0);
    });
    order.forEach(function (row) { body.appendChild(row); });
    state = { column: column, descending: descending };
    Array.prototype.forEach.call(heads, function (th, i) {
      th.setAttribute("aria-sort", i === column ? (descending ? "descending" : "ascending") : "none");
    });
  }
  Array.prototype.forEach.call(heads, function (th, column) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    button.title = "sort by " + th.textContent + " (click again to reverse)";
    button.addEventListener("click", function () { sortBy(column); });
    th.textContent = "";
    th.appendChild(button);
    th.setAttribute("aria-sort", column === 0 ? "ascending" : "none");
  });
  var tools = document.createElement("div");
  tools.className = "tools";
  var label = document.createElement("label");
  label.textContent = "filter ids ";
  var filter = document.createElement("input");
  filter.type = "search";
  filter.id = "top-filter";
  filter.placeholder = "part of an id, e.g. example.org";
  label.appendChild(filter);
  var count = document.createElement("span");
  count.id = "top-count";
  var hint = document.createElement("span");
  hint.className = "note";
  hint.textContent = "Click a column heading to sort, again to reverse.";
  tools.appendChild(label);
  tools.appendChild(count);
  tools.appendChild(hint);
  table.parentNode.insertBefore(tools, table);
  function applyFilter() {
    var words = filter.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var match = row.cells[ID].textContent.toLowerCase().indexOf(words) !== -1;
      row.hidden = !match;
      shown += match ? 1 : 0;
    });
    count.textContent = shown + " of " + rows.length + " rows";
  }
  filter.addEventListener("input", applyFilter);
  applyFilter();
})();"#;

/// Builds the page.
pub fn render(summary: &Summary, top: &[TopRow]) -> Result<String> {
    let data = ChartData::new(summary, top);
    let json = serde_json::to_value(summary)
        .map_err(|e| Error::Input(format!("the summary cannot be turned into JSON: {e}")))?;
    let g = &summary.graph;
    let title = format!("crawlrank report: {}", data.input);
    let mut h = String::with_capacity(1 << 20);
    let w = &mut h;
    let _ = write!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <title>{title}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n",
        title = esc(&title)
    );
    let verdict = if summary.converged {
        format!("converged after {} iterations", summary.iterations_run)
    } else {
        format!("did not converge within {} iterations", summary.iterations_run)
    };
    let _ = writeln!(
        w,
        "<p class=\"lead\">{} nodes and {} edges ranked with PageRank in {}; {verdict} (L1 error ≤ {:.1e}).</p>",
        g.nodes,
        g.edges,
        seconds(summary.phases.total),
        summary.error_bound
    );
    let _ = writeln!(
        w,
        "<p class=\"command\" id=\"command\"><span>command</span><code>{}</code></p>",
        esc(&command_line(&summary.command))
    );

    let _ = writeln!(w, "<div class=\"facts\" id=\"numbers\">");
    for (heading, facts) in FACTS {
        let _ = writeln!(w, "<section>\n<h2>{heading}</h2>\n<table class=\"kv\">");
        for fact in facts {
            let Some(value) = json.pointer(&format!("/{}", fact.path.replace('.', "/"))) else {
                continue;
            };
            let (text, exact) = show(value, fact.shown);
            let name = fact.path.rsplit('.').next().unwrap_or(fact.path);
            let gloss = if fact.gloss.is_empty() {
                String::new()
            } else {
                format!(" <span class=\"gloss\">({})</span>", esc(fact.gloss))
            };
            let exact = exact.map_or_else(String::new, |e| format!(" title=\"{}\"", esc(&e)));
            let _ = writeln!(
                w,
                "<tr data-path=\"{path}\" title=\"summary.json: {path}\"><th><span class=\"key\">{name}</span>{gloss}</th><td class=\"n\"{exact}>{text}</td></tr>",
                path = esc(fact.path),
                name = esc(name),
                text = esc(&text)
            );
        }
        let _ = writeln!(w, "</table>\n</section>");
    }
    let _ = writeln!(
        w,
        "</div>\n<p class=\"note\">Names as in <code>summary.json</code> (hover a row for its path there).</p>"
    );

    let _ = writeln!(w, "<h2 id=\"charts\">Charts</h2>\n<div class=\"charts\">");
    for chart in Chart::ALL {
        let note = how_to_read(chart);
        let note = if note.is_empty() {
            String::new()
        } else {
            format!(" <b>How to read it:</b> {}", esc(note))
        };
        let _ = writeln!(
            w,
            "<figure id=\"{}\">\n{}\n<figcaption><b>What it shows:</b> {}{note}</figcaption>\n</figure>",
            chart.name(),
            inline_svg(chart, &data)?,
            esc(chart.caption())
        );
    }
    let files = match &summary.outputs.gexf {
        Some(_) => ", a GEXF file of the top nodes for Gephi",
        None => "",
    };
    let _ = writeln!(
        w,
        "<aside id=\"about\">\n<h3>The numbers</h3>\n\
         <p><span class=\"key\">residual</span> is how much the ranks moved (L1) in the last iteration; the run stops when it falls below <span class=\"key\">tolerance</span>. \
         <span class=\"key\">error_bound</span> = α/(1−α) × residual bounds the L1 distance of these ranks to the exact PageRank. \
         <span class=\"key\">rank_sum</span> is 1 up to rounding.</p>\n\
         <h3>The files beside this page</h3>\n\
         <p><code>summary.json</code> (every number here), <code>{top}</code> (the top table, tab-separated), <code>{ranks}/</code> (the PageRank of every node, in {parts}), <code>plots/</code> (these charts as image files){files}. \
         Redraw the charts and this page with <code>crawlrank plot DIR</code>.</p>\n</aside>\n</div>",
        top = esc(&summary.outputs.top),
        ranks = esc(&summary.outputs.ranks),
        parts = match summary.outputs.part_files {
            1 => "one part file".to_string(),
            n => format!("{n} part files"),
        },
    );

    let shown = top.len().min(TOP_ROWS);
    let _ = writeln!(
        w,
        "<section id=\"top-nodes\">\n<h2>Top {shown}</h2>\n<p class=\"note\">In rank order, with the column names of <code>{}</code>.</p>\n\
         <table id=\"top\" class=\"wide\">\n<thead><tr><th class=\"n\">position</th><th>id</th><th class=\"n\">pagerank</th><th class=\"n\">in_degree</th><th class=\"n\">out_degree</th></tr></thead>\n<tbody>",
        esc(&summary.outputs.top)
    );
    // An id that is not UTF-8 is shown with U+FFFD for its bad bytes (the page is UTF-8), as
    // in the GEXF file; top.tsv and the part files hold its bytes.
    for r in top.iter().take(TOP_ROWS) {
        let label = r.label();
        let id = if is_web_link(&label) {
            format!(
                "<a href=\"{0}\" rel=\"noopener noreferrer\" target=\"_blank\">{0}</a>",
                esc(&label)
            )
        } else {
            esc(&label)
        };
        let _ = writeln!(
            w,
            "<tr><td class=\"n\">{}</td><td class=\"id\">{id}</td><td class=\"n\">{:.6e}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            r.position, r.pagerank, r.in_degree, r.out_degree
        );
    }
    let _ = writeln!(w, "</tbody>\n</table>\n</section>");

    let _ = writeln!(
        w,
        "<section id=\"inputs\">\n<h2>Inputs</h2>\n<table class=\"wide\">\n<thead><tr><th>path</th><th>compression</th><th>bytes</th><th>lines</th><th>edges</th><th>bad_lines</th></tr></thead>\n<tbody>"
    );
    for f in &summary.inputs {
        let _ = writeln!(
            w,
            "<tr><td class=\"id\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&f.path),
            format!("{:?}", f.compression).to_lowercase(),
            f.bytes,
            f.text.lines,
            f.text.edges,
            f.text.bad_lines
        );
    }
    let _ = writeln!(
        w,
        "</tbody>\n</table>\n</section>\n<footer>Made by crawlrank {} from summary.json and {}; redraw with <code>crawlrank plot DIR</code>.</footer>\n</main>\n\
         <script>//<![CDATA[\n{SCRIPT}\n//]]></script>\n</body>\n</html>",
        esc(&summary.crawlrank_version),
        esc(&summary.outputs.top)
    );
    Ok(h)
}

/// Writes `dir/report.html` (through a partial file renamed when complete).
pub fn write(summary: &Summary, top: &[TopRow], dir: &Path) -> Result<PathBuf> {
    let page = render(summary, top)?;
    let path = dir.join("report.html");
    let partial = dir.join(format!(".report.html.partial-{}", std::process::id()));
    std::fs::write(&partial, page)
        .and_then(|()| std::fs::rename(&partial, &path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            Error::io(&path, e)
        })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_with_a_host_are_links() {
        for link in [
            "https://example.org/",
            "http://a.example/x?y=1&z=<2>",
            "HTTPS://EXAMPLE.ORG",
        ] {
            assert!(is_web_link(link), "{link}");
        }
        for text in [
            "javascript:alert(1)",
            "JavaScript://example.org/%0aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            " https://example.org/",
            "https://",
            "https:///path",
            "https://exa mple.org/",
            "https://example.org/\u{1}",
            "https://example.org/\u{FFFD}",
            "ftp://example.org/",
            "//example.org/",
            "42",
        ] {
            assert!(!is_web_link(text), "{text:?}");
        }
    }

    #[test]
    fn command_lines_are_quoted_for_a_shell() {
        let words: Vec<String> = ["crawlrank", "rank", "-o", "my out", "it's", "", "a/b.tsv"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            command_line(&words),
            r#"crawlrank rank -o 'my out' 'it'\''s' '' a/b.tsv"#
        );
    }
}
