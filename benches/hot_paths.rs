//! Criterion benchmarks of crawlrank's hot paths, each reporting throughput and checking its
//! answer: parsing integer and URL edge lists, building the sharded graph, one PageRank
//! iteration, and writing rank part files. Inputs are generated in memory (R-MAT, the same
//! generator as `crawlrank generate`), never read from the repository.
//!
//! Run: `cargo bench --features internals --bench hot_paths` (add `-- --quick` for a short
//! run); the `internals` feature exposes the engine pieces measured here.

use std::hint::black_box;

use crawlrank::algo::{PageRankConfig, Precision};
use crawlrank::generate::{GenerateOptions, Model, generate};
use crawlrank::internals::{Edges, Round, Strategy, pagerank, parse_lines, parse_parallel};
use crawlrank::output::{Exporter, OutputCompression, PartFiles, Ranked};
use crawlrank::prelude::*;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// An R-MAT edge list as text.
fn rmat_text(scale: u32, urls: bool) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.tsv");
    let options = GenerateOptions {
        model: Model::GRAPH500,
        scale,
        edge_factor: 16,
        seed: 1,
        urls,
    };
    generate(&options, &path, &mut |_, _| {}).unwrap();
    std::fs::read(&path).unwrap()
}

fn load(text: &[u8]) -> Graph {
    parse_parallel(text).unwrap().build()
}

fn parsing(c: &mut Criterion) {
    let ints = rmat_text(18, false);
    let urls = rmat_text(16, true);
    let mut group = c.benchmark_group("parse");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(ints.len() as u64));
    group.bench_function("integer edge list (parallel)", |b| {
        b.iter(|| {
            let edges = parse_parallel(&ints).unwrap();
            assert_eq!(edges.len(), 16 << 18);
            black_box(edges.len())
        })
    });
    group.throughput(Throughput::Bytes(urls.len() as u64));
    group.bench_function("URL edge list", |b| {
        b.iter(|| {
            let edges = parse_lines(&urls).unwrap();
            assert_eq!(edges.len(), 16 << 16);
            black_box(edges.len())
        })
    });
    group.finish();
}

fn building(c: &mut Criterion) {
    let edges: Edges = parse_parallel(&rmat_text(18, false)).unwrap();
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.throughput(Throughput::Elements(edges.len() as u64));
    group.bench_function("sort, dedup, degrees, shards", |b| {
        b.iter(|| {
            let graph = edges.build();
            assert_eq!(graph.stats().edges + graph.stats().duplicate_edges, 16 << 18);
            black_box(graph.edge_count())
        })
    });
    group.finish();
}

fn iteration(c: &mut Criterion) {
    let graph = load(&rmat_text(20, false));
    let mut round = Round::new(&graph).unwrap();
    let mut group = c.benchmark_group("pagerank");
    group.sample_size(20);
    group.throughput(Throughput::Elements(graph.edge_count()));
    group.bench_function("one iteration, R-MAT scale 20", |b| {
        b.iter(|| {
            let change = round.run(&graph);
            let total: f64 = round.ranks().iter().sum();
            assert!((total - 1.0).abs() < 1e-9, "ranks sum to 1");
            black_box(change)
        })
    });
    // Whole runs of five rounds in each strategy and precision (plan and buffers included),
    // checked against the fused f64 ranks: blocked f64 bit-identical, f32 within 1e-6 (L1).
    let five = PageRankConfig {
        tolerance: 0.0,
        max_iterations: 5,
        ..Default::default()
    };
    let reference = pagerank(&graph, &five, Strategy::Fused).unwrap();
    group.throughput(Throughput::Elements(5 * graph.edge_count()));
    for (name, strategy, precision) in [
        ("five rounds, fused, f64", Strategy::Fused, Precision::F64),
        (
            "five rounds, blocked, f64",
            Strategy::Blocked { group_edges: 1 << 24 },
            Precision::F64,
        ),
        ("five rounds, fused, f32", Strategy::Fused, Precision::F32),
        (
            "five rounds, blocked, f32",
            Strategy::Blocked { group_edges: 1 << 24 },
            Precision::F32,
        ),
    ] {
        let config = PageRankConfig {
            precision,
            ..five.clone()
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let ranks = pagerank(&graph, &config, strategy).unwrap();
                let l1: f64 = ranks.iter().zip(&reference).map(|(a, b)| (a - b).abs()).sum();
                match precision {
                    Precision::F64 => assert!(l1 == 0.0, "{name}: L1 {l1:e} to fused f64"),
                    Precision::F32 => assert!(l1 < 1e-6, "{name}: L1 {l1:e} to fused f64"),
                }
                black_box(ranks.len())
            })
        });
    }
    group.finish();
}

fn writing(c: &mut Criterion) {
    let graph = load(&rmat_text(18, false));
    let ranks = vec![1.0 / graph.node_count() as f64; graph.node_count()];
    let ranked = Ranked::new(&graph, &ranks);
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("write");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ranks.len() as u64));
    group.bench_function("gzip part files", |b| {
        b.iter(|| {
            PartFiles {
                compression: OutputCompression::Gzip,
            }
            .export(&ranked, dir.path())
            .unwrap();
            assert!(dir.path().join("ranks/part-00000.gz").metadata().unwrap().len() > 1000);
        })
    });
    group.finish();
}

criterion_group!(benches, parsing, building, iteration, writing);
criterion_main!(benches);
