//! Charts and the report: every chart renders for a small run and for a one-node,
//! one-iteration run, as valid PNG and SVG of the promised size; `crawlrank plot` redraws them
//! from a finished run; `report.html` is well-formed and holds the charts and the top table.

use std::path::Path;

use crawlrank::plot::Chart;
use quick_xml::events::Event;

mod common;

fn cli(args: &[&str]) -> (i32, String) {
    let (code, _, stderr) = common::crawlrank(args);
    (code, stderr)
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

/// Parses an XML document to the end; returns the attributes of its root element.
fn xml_root(text: &str) -> Vec<(String, String)> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut root = None;
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("not well-formed: {e}")) {
            Event::Start(e) if root.is_none() => {
                root = Some(
                    e.attributes()
                        .map(|a| {
                            let a = a.unwrap();
                            (a.key.as_ref().to_string(), a.value.to_string())
                        })
                        .collect(),
                );
            }
            Event::Eof => return root.expect("a root element"),
            _ => {}
        }
    }
}

fn check_charts(dir: &Path, extension: &str) {
    for chart in Chart::ALL {
        let path = dir.join("plots").join(format!("{}.{extension}", chart.name()));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(bytes.len() > 1000, "{} is nearly empty", path.display());
        let (w, h) = chart.size();
        if extension == "png" {
            assert_eq!(png_size(&bytes), (w, h), "{}", path.display());
        } else {
            let text = String::from_utf8(bytes).unwrap();
            let root = xml_root(&text);
            let get = |k: &str| root.iter().find(|a| a.0 == k).map(|a| a.1.clone());
            assert_eq!(get("width"), Some(w.to_string()), "{}", path.display());
            assert_eq!(get("height"), Some(h.to_string()), "{}", path.display());
        }
    }
}

#[test]
fn every_chart_renders_for_a_small_and_a_one_node_run_in_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    let urls = format!("{}/tests/data/urls.tsv", env!("CARGO_MANIFEST_DIR"));
    let lonely = dir.path().join("one.tsv");
    std::fs::write(&lonely, "only only\n").unwrap();
    for (name, input, extra) in [
        ("small", urls.as_str(), vec![]),
        ("one", lonely.to_str().unwrap(), vec!["--max-iter", "1"]),
    ] {
        for format in ["png", "svg"] {
            let out = dir.path().join(format!("{name}-{format}"));
            let mut args = vec![
                "rank",
                "-q",
                "--plots",
                "--plot-format",
                format,
                "-o",
                out.to_str().unwrap(),
                input,
            ];
            args.extend(extra.iter().copied());
            let (code, err) = cli(&args);
            assert_eq!(code, 0, "{name} {format}: {err}");
            check_charts(&out, format);
            assert!(out.join("report.html").is_file());
        }
    }
}

#[test]
fn plot_redraws_a_finished_run_and_refuses_an_unfinished_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let urls = format!("{}/tests/data/urls.tsv", env!("CARGO_MANIFEST_DIR"));
    assert_eq!(cli(&["rank", "-q", "-o", out.to_str().unwrap(), &urls]).0, 0);
    assert!(!out.join("plots").exists(), "no plots without --plots");
    let (code, err) = cli(&["plot", out.to_str().unwrap(), "--plot-format", "svg", "-q"]);
    assert_eq!(code, 0, "{err}");
    check_charts(&out, "svg");
    std::fs::remove_file(out.join("ranks/_SUCCESS")).unwrap();
    let (code, err) = cli(&["plot", out.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("not a complete crawlrank result"), "{err}");
}

#[test]
fn report_is_well_formed_with_charts_and_the_top_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sample");
    // The bundled sample: plots and report are on by default.
    let (code, err) = cli(&["rank", "-q", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    check_charts(&out, "png");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let mut reader = quick_xml::Reader::from_str(&html);
    let (mut svgs, mut top_rows, mut in_top, mut title, mut in_title) = (0, 0, false, String::new(), false);
    let mut external = Vec::new();
    loop {
        match reader
            .read_event()
            .unwrap_or_else(|e| panic!("report.html is not well-formed: {e}"))
        {
            Event::Start(e) => {
                let name = e.name().as_ref().to_string();
                for a in e.attributes() {
                    let a = a.unwrap();
                    // Anything the page would load; an `a` element's href is a link a person
                    // follows (URL ids are links), not a resource.
                    let loaded = match a.key.as_ref() {
                        "src" => true,
                        "href" => name != "a",
                        _ => false,
                    };
                    if loaded {
                        external.push(a.value.to_string());
                    }
                }
                match name.as_str() {
                    "svg" => svgs += 1,
                    "title" => in_title = true,
                    "table" => in_top = e.try_get_attribute("id").unwrap().is_some_and(|a| a.value == "top"),
                    "tr" if in_top => top_rows += 1,
                    _ => {}
                }
            }
            Event::Text(t) if in_title => title.push_str(&t.into_inner()),
            Event::End(e) if e.name().as_ref() == "title" => in_title = false,
            Event::End(e) if e.name().as_ref() == "table" => in_top = false,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(title, "crawlrank report: web-sample.tsv.gz");
    assert_eq!(svgs, Chart::ALL.len(), "every chart embedded as SVG");
    assert_eq!(top_rows, 101, "header and the top 100");
    assert!(external.is_empty(), "self-contained: {external:?}");
    assert!(html.contains("https://www.science1.example.org/"));
}

/// A text element of an SVG chart.
#[derive(Debug)]
struct SvgText {
    x: f64,
    anchor: String,
    rotated: bool,
    text: String,
}

/// A polyline of an SVG chart: stroke colour, stroke width, points.
type Polyline = (String, String, Vec<(f64, f64)>);

/// The text elements and polylines of an SVG chart.
fn svg_parts(svg: &str) -> (Vec<SvgText>, Vec<Polyline>) {
    let mut reader = quick_xml::Reader::from_str(svg);
    let (mut texts, mut lines, mut open): (Vec<SvgText>, Vec<_>, Option<SvgText>) = (Vec::new(), Vec::new(), None);
    let attributes = |e: &quick_xml::events::BytesStart| -> Vec<(String, String)> {
        e.attributes()
            .map(|a| {
                let a = a.unwrap();
                (a.key.as_ref().to_string(), a.value.to_string())
            })
            .collect()
    };
    let get = |a: &[(String, String)], k: &str| a.iter().find(|x| x.0 == k).map(|x| x.1.clone()).unwrap_or_default();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == "text" => {
                let a = attributes(&e);
                open = Some(SvgText {
                    x: get(&a, "x").parse().unwrap(),
                    anchor: get(&a, "text-anchor"),
                    rotated: !get(&a, "transform").is_empty(),
                    text: String::new(),
                });
            }
            Event::Text(t) => {
                if let Some(o) = open.as_mut() {
                    o.text.push_str(t.into_inner().trim());
                }
            }
            Event::End(e) if e.name().as_ref() == "text" => texts.extend(open.take()),
            Event::Empty(e) if e.name().as_ref() == "polyline" => {
                let a = attributes(&e);
                let points = get(&a, "points")
                    .split_whitespace()
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect();
                lines.push((get(&a, "stroke"), get(&a, "stroke-width"), points));
            }
            Event::Eof => return (texts, lines),
            _ => {}
        }
    }
}

/// The value of a log-axis tick label, which must read `<digit>e<exponent>` (`1e-3`, `5e2`).
fn power_label(label: &str) -> f64 {
    let (mantissa, exponent) = label
        .split_once('e')
        .unwrap_or_else(|| panic!("{label:?} is not written 1e-3 like the other log ticks"));
    assert!(
        mantissa.len() == 1 && mantissa != "0" && exponent.parse::<i32>().is_ok(),
        "{label:?} is not written 1e-3 like the other log ticks"
    );
    label.parse().unwrap()
}

/// Tick labels of a chart: (x axis, y axis), each as (value text, pixel x), lowest first.
/// x ticks are centred under the axis and y ticks right-aligned beside it; both start with
/// a digit (titles, axis names and the top chart's ids do not).
fn ticks(texts: &[SvgText]) -> (Vec<(String, f64)>, Vec<String>) {
    let numeric = |t: &&SvgText| !t.rotated && t.text.starts_with(|c: char| c.is_ascii_digit());
    let x = texts
        .iter()
        .filter(numeric)
        .filter(|t| t.anchor == "middle")
        .map(|t| (t.text.clone(), t.x))
        .collect();
    let y = texts
        .iter()
        .filter(numeric)
        .filter(|t| t.anchor == "end")
        .map(|t| t.text.clone())
        .collect();
    (x, y)
}

/// The axis `ticks` covers `[low, high]` and ends within one tick step of it.
fn assert_tight(ticks: &[f64], low: f64, high: f64, what: &str) {
    let n = ticks.len();
    assert!(n >= 2 && ticks.windows(2).all(|w| w[0] < w[1]), "{what}: {ticks:?}");
    let slack = 1.0 + 1e-9;
    assert!(
        ticks[0] <= low * slack && ticks[1] > low / slack,
        "{what}: {ticks:?} for data from {low}"
    );
    assert!(
        ticks[n - 1] >= high / slack && ticks[n - 2] < high * slack,
        "{what}: {ticks:?} for data up to {high}"
    );
}

fn decimals(label: &str) -> usize {
    label
        .split_once('.')
        .map_or(0, |d| d.1.trim_end_matches(|c: char| !c.is_ascii_digit()).len())
}

/// Checks the SVG charts of the finished run in `out` against its summary and top table.
fn check_axes(out: &Path, name: &str) {
    let summary = crawlrank::output::Summary::read(out).unwrap();
    let top = crawlrank::output::read_top(&out.join("top.tsv")).unwrap();
    let chart = |c: Chart| std::fs::read_to_string(out.join("plots").join(format!("{}.svg", c.name()))).unwrap();
    let d = &summary.distributions;

    // Rank distribution: fractions up to 1, axes from the data to the next tick, the fit over
    // x_min .. the largest rank with its quality in the legend.
    let (texts, lines) = svg_parts(&chart(Chart::RankDistribution));
    let (x, y) = ticks(&texts);
    let y: Vec<f64> = y.iter().map(|l| power_label(l)).collect();
    let x_values: Vec<f64> = x.iter().map(|l| power_label(&l.0)).collect();
    assert!(y.iter().all(|&v| v <= 1.0), "{name}: a fraction above 1: {y:?}");
    let largest = top[0].pagerank;
    let fit = d.rank_power_law.as_ref().expect("a fit");
    let fit_end = fit.tail_fraction * (largest / fit.x_min).powf(fit.ccdf_slope);
    let fraction_low = d.rank_ccdf.iter().map(|p| p[1]).fold(fit_end, f64::min);
    assert_tight(&y, fraction_low, 1.0, &format!("{name} rank distribution y"));
    assert_tight(
        &x_values,
        d.rank_ccdf[0][0],
        largest,
        &format!("{name} rank distribution x"),
    );
    // Pixels to ranks by the first and last x ticks.
    let ((p0, t0), (p1, t1)) = ((x[0].1, x_values[0]), (x[x.len() - 1].1, x_values[x.len() - 1]));
    let rank_at = |px: f64| 10f64.powf(t0.log10() + (px - p0) / (p1 - p0) * (t1 / t0).log10());
    let pixel = (t1 / t0).log10() / (p1 - p0); // decades per pixel
    let fit_line = lines
        .iter()
        .filter(|l| l.0 == "#FF0000" && l.2.len() == 2)
        .max_by(|a, b| (a.2[1].0 - a.2[0].0).total_cmp(&(b.2[1].0 - b.2[0].0)))
        .expect("the fit line");
    let (from, to) = (rank_at(fit_line.2[0].0), rank_at(fit_line.2[1].0));
    assert!(
        (from / fit.x_min).log10().abs() <= 1.5 * pixel,
        "{name}: fit drawn from {from}, fitted from {}",
        fit.x_min
    );
    assert!(
        (to / largest).log10().abs() <= 1.5 * pixel,
        "{name}: fit drawn to {to}, largest rank {largest}"
    );
    let legend: Vec<&str> = texts
        .iter()
        .filter(|t| t.anchor == "start")
        .map(|t| t.text.as_str())
        .collect();
    let has = |s: &str| legend.iter().any(|l| l.contains(s));
    assert!(
        has(&format!("Kolmogorov–Smirnov distance {:.3}", fit.ks_distance)),
        "{name}: {legend:?}"
    );
    assert!(has(&format!("α = {:.2}", fit.alpha)), "{name}: {legend:?}");
    assert!(
        has(&format!("({})", fit.tail_nodes)) && has("fitted for rank "),
        "{name}: {legend:?}"
    );

    // Degree distributions: both axes tight around the plotted bins.
    let (texts, _) = svg_parts(&chart(Chart::DegreeDistribution));
    let (x, y) = ticks(&texts);
    let x: Vec<f64> = x.iter().map(|l| power_label(&l.0)).collect();
    let y: Vec<f64> = y.iter().map(|l| power_label(l)).collect();
    let bins = || d.in_degree.bins.iter().chain(&d.out_degree.bins);
    let middle = |b: &crawlrank::analysis::DegreeBin| (f64::from(b.low) * f64::from(b.high)).sqrt();
    let (x_low, x_high) = bins().fold((f64::INFINITY, 0f64), |(lo, hi), b| {
        (lo.min(middle(b)), hi.max(middle(b)))
    });
    let (y_low, y_high) = bins().fold((f64::INFINITY, 0f64), |(lo, hi), b| {
        (lo.min(b.density), hi.max(b.density))
    });
    assert_tight(&x, x_low, x_high, &format!("{name} degree x"));
    assert_tight(&y, y_low, y_high, &format!("{name} degree y"));

    // Convergence: whole iterations; the change, its bound and the tolerance inside the y axis.
    let (texts, _) = svg_parts(&chart(Chart::Convergence));
    let (x, y) = ticks(&texts);
    let x: Vec<f64> = x.iter().map(|l| l.0.parse().expect("whole iterations")).collect();
    assert_tight(
        &x,
        0.0,
        summary.iterations.len() as f64,
        &format!("{name} convergence x"),
    );
    let y: Vec<f64> = y.iter().map(|l| power_label(l)).collect();
    let a = summary.parameters.damping;
    let changes = || summary.iterations.iter().map(|r| r.change.max(1e-18));
    let low = changes().fold(summary.parameters.tolerance, f64::min);
    let high = changes().map(|c| c.max(a / (1.0 - a) * c)).fold(0.0, f64::max);
    assert_tight(&y, low, high, &format!("{name} convergence y"));

    // Bars: one notation and one number of decimals on every bar and every tick.
    let (texts, _) = svg_parts(&chart(Chart::TopNodes));
    let bars: Vec<&str> = texts
        .iter()
        .filter(|t| t.anchor == "start" && t.text.starts_with(|c: char| c.is_ascii_digit()))
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(bars.len(), top.len().min(25), "{name}: {bars:?}");
    assert!(
        bars.iter().all(|b| decimals(b) == 3 && !b.contains('e')),
        "{name}: {bars:?}"
    );
    let unit = 10f64.powf(largest.log10().floor());
    let best: f64 = bars[bars.len() - 1].parse().unwrap();
    assert!(
        (best * unit / largest - 1.0).abs() < 1e-3,
        "{name}: best bar {best} × {unit} for {largest}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.text == format!("PageRank (× 1e{})", largest.log10().floor()))
    );
    let (x, _) = ticks(&texts);
    assert!(x.iter().all(|t| decimals(&t.0) == decimals(&x[1].0)), "{name}: {x:?}");
    let x: Vec<f64> = x.iter().map(|t| t.0.parse().unwrap()).collect();
    assert!(
        x[x.len() - 2] < best && x[x.len() - 1] >= best,
        "{name}: {x:?} for {best}"
    );

    let (texts, _) = svg_parts(&chart(Chart::Phases));
    let bars: Vec<&str> = texts
        .iter()
        .filter(|t| t.anchor == "start" && t.text.starts_with(|c: char| c.is_ascii_digit()))
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(bars.len(), 4, "{name}: {bars:?}");
    let unit = bars[0].rsplit_once(' ').unwrap().1;
    assert!(
        bars.iter()
            .all(|b| b.ends_with(&format!(" {unit}")) && decimals(b) == decimals(bars[0])),
        "{name}: {bars:?}"
    );
}

#[test]
fn chart_axes_end_at_the_tick_next_to_the_data_and_read_one_way() {
    let dir = tempfile::tempdir().unwrap();
    let rmat = dir.path().join("rmat.tsv");
    common::generate_rmat(&rmat, 13);
    for (name, input) in [("sample", None), ("rmat", Some(rmat.to_str().unwrap()))] {
        let out = dir.path().join(name);
        let mut args = vec![
            "rank",
            "-q",
            "--plots",
            "--plot-format",
            "svg",
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend(input);
        let (code, err) = cli(&args);
        assert_eq!(code, 0, "{name}: {err}");
        check_axes(&out, name);
    }
}
