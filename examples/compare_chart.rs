//! Draws the chart of `docs/benchmarks.md` from the JSON that `benches/compare.sh --json`
//! writes: for every peer, how many times longer than crawlrank it took per phase, on a log
//! axis.
//!
//! Usage: `cargo run --release --example compare_chart -- RESULTS.json [MORE.json ...] OUT.png`

use plotters::prelude::*;
use serde_json::Value;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (inputs, out) = args.split_at(args.len().saturating_sub(1));
    let out = out
        .first()
        .ok_or("usage: compare_chart RESULTS.json [MORE.json ...] OUT.png")?;
    // (label, phase, ratio) for every peer and phase with a number.
    let mut bars: Vec<(String, &str, f64)> = Vec::new();
    for input in inputs {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(input)?)?;
        let graph = std::path::Path::new(v["graph"].as_str().unwrap_or("graph"))
            .file_stem()
            .map_or("graph".into(), |s| s.to_string_lossy().into_owned());
        let rows = v["rows"].as_array().ok_or("no rows")?;
        let base = rows
            .iter()
            .find(|r| r["tool"] == "crawlrank")
            .ok_or("no crawlrank row")?;
        for row in rows
            .iter()
            .filter(|r| !r["tool"].as_str().unwrap_or("").starts_with("crawlrank"))
        {
            for (phase, key) in [
                ("read + build", "build"),
                ("per iteration", "per_iteration"),
                ("end to end", "total"),
            ] {
                if let (Some(x), Some(b)) = (row[key].as_f64(), base[key].as_f64()) {
                    bars.push((
                        format!("{} · {graph}", row["tool"].as_str().unwrap_or("?")),
                        phase,
                        x / b,
                    ));
                }
            }
        }
    }
    let labels: Vec<String> = {
        let mut l: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
        l.dedup();
        l
    };
    let phases = ["read + build", "per iteration", "end to end"];
    let colors = [RGBColor(31, 119, 180), RGBColor(255, 127, 14), RGBColor(44, 160, 44)];
    let height = 120 + 90 * labels.len() as u32;
    // crawlrank's own PNG text path: plotters' bitmap text spaces glyphs unevenly.
    let root = crawlrank::plot::GlyphText::new(BitMapBackend::new(out, (1100, height))).into_drawing_area();
    root.fill(&WHITE)?;
    let high = bars.iter().map(|b| b.2).fold(1.0, f64::max) * 3.0;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "How many times longer than crawlrank (same machine, same run, 2 threads)",
            ("sans-serif", 24),
        )
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(260)
        .build_cartesian_2d((0.3f64..high).log_scale(), (0..labels.len() * 4).into_segmented())?;
    chart
        .configure_mesh()
        .x_desc("time relative to crawlrank (log scale; 1 = as fast)")
        .y_labels(labels.len() * 4)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if i % 4 == 1 => labels[labels.len() - 1 - i / 4].clone(),
            _ => String::new(),
        })
        .label_style(("sans-serif", 17))
        .disable_y_mesh()
        .draw()?;
    for (p, phase) in phases.iter().enumerate() {
        let color = colors[p];
        chart
            .draw_series(bars.iter().filter(|b| b.1 == *phase).map(|b| {
                let row = labels.len() - 1 - labels.iter().position(|l| *l == b.0).unwrap_or(0);
                let y = row * 4 + 2 - p;
                Rectangle::new(
                    [(0.3, SegmentValue::Exact(y)), (b.2, SegmentValue::Exact(y + 1))],
                    color.filled(),
                )
            }))?
            .label(*phase)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], color.filled()));
        chart.draw_series(bars.iter().filter(|b| b.1 == *phase).map(|b| {
            let row = labels.len() - 1 - labels.iter().position(|l| *l == b.0).unwrap_or(0);
            Text::new(
                format!(" {:.1}×", b.2),
                (b.2, SegmentValue::CenterOf(row * 4 + 2 - p)),
                ("sans-serif", 14),
            )
        }))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    root.present()?;
    Ok(())
}
