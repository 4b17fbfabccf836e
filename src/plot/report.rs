//! `report.html`: one self-contained page per run (no scripts, fonts, styles or images from
//! elsewhere) with the parameters, the key numbers, every chart inline as SVG, the top-100
//! table and the inputs. It is well-formed XML as well as HTML, so any XML parser can check
//! it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{Chart, ChartData, draw_svg};
use crate::error::{Error, Result};
use crate::output::{Summary, TopRow};

/// Escapes text for HTML content and attribute values (the page is also well-formed XML, so
/// characters XML forbids are dropped).
fn esc(text: &str) -> String {
    let allowed: String = text
        .chars()
        .filter(|&c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..))
        .collect();
    quick_xml::escape::escape(&allowed).into_owned()
}

fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format!("{s:.2} s")
    }
}

/// Builds the page.
pub fn render(summary: &Summary, top: &[TopRow]) -> Result<String> {
    let data = ChartData::new(summary, top);
    let g = &summary.graph;
    let p = &summary.parameters;
    let title = format!("crawlrank report: {}", data.input);
    let mut h = String::with_capacity(1 << 20);
    let w = &mut h;
    let _ = write!(
        w,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1120px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }}
h1 {{ font-size: 1.7em; margin-bottom: 0.2em; }}
h2 {{ margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }}
.lead {{ font-size: 1.1em; color: #444; }}
table {{ border-collapse: collapse; margin: 0.5em 0; }}
th, td {{ padding: 3px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
td.id {{ font-family: ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); gap: 0 2em; }}
figure {{ margin: 1.5em 0; }}
figure svg {{ max-width: 100%; height: auto; border: 1px solid #eee; }}
figcaption {{ color: #555; font-size: 0.95em; }}
code {{ font-size: 0.9em; word-break: break-all; }}
footer {{ margin-top: 3em; color: #777; font-size: 0.9em; }}
</style>
</head>
<body>
<h1>{title}</h1>
"#,
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

    let _ = writeln!(w, "<div class=\"grid\"><div><h2>Key numbers</h2><table>");
    let peak = summary
        .peak_rss_bytes
        .map_or("unknown".to_string(), |b| format!("{:.1} MiB", b as f64 / 1048576.0));
    let rows: Vec<(&str, String)> = vec![
        ("nodes", g.nodes.to_string()),
        ("edges", g.edges.to_string()),
        ("edge lines read", g.edges_read.to_string()),
        ("duplicate edges collapsed", g.duplicate_edges.to_string()),
        ("self-loops", g.self_loops.to_string()),
        ("dangling nodes", g.dangling_nodes.to_string()),
        ("malformed lines skipped", summary.bad_lines_skipped.to_string()),
        ("iterations", summary.iterations_run.to_string()),
        ("converged", summary.converged.to_string()),
        ("last L1 change", format!("{:.3e}", summary.residual)),
        ("L1 error bound", format!("{:.3e}", summary.error_bound)),
        ("sum of ranks", format!("{:.12}", summary.rank_sum)),
        ("read", seconds(summary.phases.read)),
        ("partition", seconds(summary.phases.partition)),
        ("iterate", seconds(summary.phases.iterate)),
        ("write", seconds(summary.phases.write)),
        ("total", seconds(summary.phases.total)),
        ("peak memory", peak),
    ];
    for (k, v) in rows {
        let _ = writeln!(w, "<tr><th>{}</th><td class=\"n\">{}</td></tr>", esc(k), esc(&v));
    }
    let _ = writeln!(w, "</table></div><div><h2>Parameters</h2><table>");
    let params: Vec<(&str, String)> = vec![
        ("damping α", p.damping.to_string()),
        ("tolerance (L1)", format!("{:e}", p.tolerance)),
        ("iteration limit", p.max_iterations.to_string()),
        ("teleport", p.teleport.clone()),
        (
            "personalization",
            p.personalization.clone().unwrap_or_else(|| "none".to_string()),
        ),
        ("dangling mass", format!("{:?}", p.dangling).to_lowercase()),
        ("weighted", p.weighted.to_string()),
        ("parallel edges kept", p.multi.to_string()),
        ("ids", format!("{:?}", summary.ids).to_lowercase()),
        (
            "shards",
            format!(
                "{}{}",
                p.shards,
                if p.shards_by_default {
                    " (default for this size)"
                } else {
                    ""
                }
            ),
        ),
        ("threads", p.threads.to_string()),
        ("precision", p.precision.clone()),
        ("crawlrank", summary.crawlrank_version.clone()),
    ];
    for (k, v) in params {
        let _ = writeln!(w, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    let _ = writeln!(
        w,
        "</table><p>Command: <code>{}</code></p></div></div>",
        esc(&summary.command.join(" "))
    );

    let _ = writeln!(w, "<h2>Charts</h2>");
    for chart in Chart::ALL {
        let svg = draw_svg(chart, &data)?;
        let svg = svg.trim_start_matches(|c| c != '<');
        let svg = if svg.starts_with("<?xml") {
            &svg[svg.find("?>").map_or(0, |i| i + 2)..]
        } else {
            svg
        };
        let _ = writeln!(
            w,
            "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>",
            chart.name(),
            svg.trim(),
            esc(chart.caption())
        );
    }

    let shown = top.len().min(100);
    let _ = writeln!(
        w,
        "<h2>Top {shown}</h2>\n<table id=\"top\">\n<tr><th>#</th><th>id</th><th>PageRank</th><th>in-degree</th><th>out-degree</th></tr>"
    );
    // An id that is not UTF-8 is shown with U+FFFD for its bad bytes (the page is UTF-8), as
    // in the GEXF file; top.tsv and the part files hold its bytes.
    for r in top.iter().take(100) {
        let _ = writeln!(
            w,
            "<tr><td class=\"n\">{}</td><td class=\"id\">{}</td><td class=\"n\">{:.6e}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            r.position,
            esc(&r.label()),
            r.pagerank,
            r.in_degree,
            r.out_degree
        );
    }
    let _ = writeln!(w, "</table>");

    let _ = writeln!(
        w,
        "<h2>Inputs</h2>\n<table>\n<tr><th>file</th><th>compression</th><th>bytes</th><th>lines</th><th>edges</th><th>skipped</th></tr>"
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
        "</table>\n<footer>Made by crawlrank {} from summary.json and top.tsv; redraw with <code>crawlrank plot DIR</code>.</footer>\n</body>\n</html>",
        esc(&summary.crawlrank_version)
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
