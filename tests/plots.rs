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
                    if matches!(a.key.as_ref(), "src" | "href") {
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
