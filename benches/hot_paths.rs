//! Criterion benchmarks of crawlrank's hot paths, each reporting throughput and checking its
//! answer: parsing integer and URL edge lists, building the sharded graph, one PageRank
//! iteration, and writing rank part files. Inputs are generated in memory (R-MAT, the same
//! generator as `crawlrank generate`), never read from the repository.
//!
//! Run: `cargo bench --bench hot_paths` (add `-- --quick` for a short run).

use std::hint::black_box;

use crawlrank::algo::{PageRank, PageRankConfig, Precision, pagerank_with};
use crawlrank::engine::LocalExecutor;
use crawlrank::engine::local::Strategy;
use crawlrank::generate::{GenerateOptions, Model, generate};
use crawlrank::graph::{BuildOptions, DenseEdges, EdgeCollector, IdMode, NodeTable, ShardedGraph, build};
use crawlrank::input::{ParseOptions, parallel::read_edges_parallel, text::read_edges};
use crawlrank::output::{Exporter, OutputCompression, PartFiles, Ranked};
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

/// Integer edges with dense ids, read the way `crawlrank rank` reads them.
fn dense_edges(text: &[u8]) -> DenseEdges {
    let mut collector = EdgeCollector::new(IdMode::Auto, false);
    read_edges_parallel(
        "bench",
        text,
        &ParseOptions::default(),
        false,
        &mut collector,
        &mut |_| {},
    )
    .unwrap();
    collector.finish().unwrap()
}

fn load(text: &[u8]) -> (NodeTable, ShardedGraph) {
    let dense = dense_edges(text);
    let n = dense.nodes.len() as u32;
    let graph = build(dense.keys, None, n, &BuildOptions::default());
    (dense.nodes, graph)
}

fn parsing(c: &mut Criterion) {
    let ints = rmat_text(18, false);
    let urls = rmat_text(16, true);
    let mut group = c.benchmark_group("parse");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(ints.len() as u64));
    group.bench_function("integer edge list (parallel)", |b| {
        b.iter(|| {
            let mut collector = EdgeCollector::new(IdMode::Auto, false);
            let stats = read_edges_parallel(
                "bench",
                &ints[..],
                &ParseOptions::default(),
                false,
                &mut collector,
                &mut |_| {},
            )
            .unwrap();
            assert_eq!(stats.edges, 16 << 18);
            black_box(collector.len())
        })
    });
    group.throughput(Throughput::Bytes(urls.len() as u64));
    group.bench_function("URL edge list", |b| {
        b.iter(|| {
            let mut collector = EdgeCollector::new(IdMode::Auto, false);
            let stats = read_edges(
                "bench",
                &urls[..],
                &ParseOptions::default(),
                &mut collector,
                &mut |_| {},
            )
            .unwrap();
            assert_eq!(stats.edges, 16 << 16);
            black_box(collector.len())
        })
    });
    group.finish();
}

fn building(c: &mut Criterion) {
    let dense = dense_edges(&rmat_text(18, false));
    let n = dense.nodes.len() as u32;
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.throughput(Throughput::Elements(dense.keys.len() as u64));
    group.bench_function("sort, dedup, degrees, shards", |b| {
        b.iter(|| {
            let graph = build(dense.keys.clone(), None, n, &BuildOptions::default());
            assert_eq!(graph.stats().edges + graph.stats().duplicate_edges, 16 << 18);
            black_box(graph.stats().edges)
        })
    });
    group.finish();
}

fn iteration(c: &mut Criterion) {
    let (_, graph) = load(&rmat_text(20, false));
    let program = PageRank::new(&graph, &PageRankConfig::default(), None).unwrap();
    let n = graph.nodes() as usize;
    let states = vec![1.0 / n as f64; n];
    let mut messages = vec![0.0; n];
    let mut next = vec![0.0; n];
    let mut group = c.benchmark_group("pagerank");
    group.sample_size(20);
    group.throughput(Throughput::Elements(graph.stats().edges));
    group.bench_function("one iteration, R-MAT scale 20", |b| {
        b.iter(|| {
            let change = LocalExecutor::default().round(&graph, &program, &states, &mut messages, &mut next);
            let total: f64 = next.iter().sum();
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
    let reference = pagerank_with(&LocalExecutor::default(), &graph, &five, None, &mut |_| {})
        .unwrap()
        .ranks;
    group.throughput(Throughput::Elements(5 * graph.stats().edges));
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
                let ranks = pagerank_with(&LocalExecutor { strategy }, &graph, &config, None, &mut |_| {})
                    .unwrap()
                    .ranks;
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
    let (nodes, graph) = load(&rmat_text(18, false));
    let ranks = vec![1.0 / graph.nodes() as f64; graph.nodes() as usize];
    let ranked = Ranked {
        graph: &graph,
        nodes: &nodes,
        ranks: &ranks,
    };
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
