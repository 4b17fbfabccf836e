#!/usr/bin/env python3
"""crawlrank against LAW's own PageRank (`webgraph-rank pagerank`, from `cargo install
webgraph-cli`), on cnr-2000 and on a generated R-MAT graph.

For each graph the script
  1. writes the edge list with dense ids 0..n-1 in crawlrank's order (sorted distinct ids),
     so that both tools rank the same node set (a BVGraph has every node 0..n-1; a text run
     only the ids it sees);
  2. builds the BVGraph with `webgraph from arcs`, its Elias-Fano offsets, and the transpose
     `webgraph-rank` needs (`webgraph transform transpose`);
  3. times `webgraph-rank pagerank` (parallel Gauss-Seidel) and `crawlrank rank` (power
     method) at the same damping and L1 threshold, each with 2 threads, and records wall
     seconds and peak memory (wait4's ru_maxrss);
  4. compares the two rank vectors: L1 distance, largest difference, top-100 overlap.

Usage: python3 benches/law_pagerank.py CRAWLRANK [WORK_DIR] [RMAT_SCALE] [THRESHOLD]
(defaults: target/law, 18, 1e-12). Needs ../shared/data/cnr-2000 (or CRAWLRANK_SHARED) and
`webgraph`, `webgraph-rank` on the PATH. Prints a Markdown table for docs/benchmarks.md.
"""

import gzip
import json
import os
import re
import subprocess
import sys
import time


def run(command, stdin=None, env=None):
    """Runs `command` under GNU time; returns (wall seconds, peak RSS in MiB, stderr text)."""
    started = time.monotonic()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "__peak_kb %M"] + command,
        stdin=stdin,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    wall = time.monotonic() - started
    stderr = done.stderr.decode(errors="replace")
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{stderr}")
    peak = re.findall(r"__peak_kb (\d+)", stderr)
    return wall, int(peak[-1]) / 1024 if peak else float("nan"), stderr


def dense_edge_list(source, target):
    """Writes `target` with ids renumbered densely in sorted order; returns (nodes, edges)."""
    opener = gzip.open if source.endswith(".gz") else open
    edges = []
    with opener(source, "rt") as lines:
        for line in lines:
            if not line.strip() or line[0] in "#%":
                continue
            a, b = line.split()[:2]
            edges.append((int(a), int(b)))
    ids = sorted({i for edge in edges for i in edge})
    dense = {old: new for new, old in enumerate(ids)}
    unique = sorted({(dense[a], dense[b]) for a, b in edges})
    with open(target, "w") as out:
        out.writelines(f"{a}\t{b}\n" for a, b in unique)
    return len(ids), len(unique)


def crawlrank_ranks(folder):
    ranks = {}
    for name in sorted(os.listdir(os.path.join(folder, "ranks"))):
        if name.startswith("part-"):
            with open(os.path.join(folder, "ranks", name)) as part:
                for line in part:
                    node, rank = line.split("\t")
                    ranks[int(node)] = float(rank)
    return [ranks[i] for i in range(len(ranks))]


def compare(ours, law):
    l1 = sum(abs(a - b) for a, b in zip(ours, law))
    largest = max(abs(a - b) for a, b in zip(ours, law))
    top = lambda v: set(sorted(range(len(v)), key=lambda i: -v[i])[:100])
    return l1, largest, len(top(ours) & top(law))


def bench(crawlrank, work, name, source, threshold):
    base = os.path.join(work, name)
    dense = base + ".tsv"
    nodes, arcs = dense_edge_list(source, dense)
    with open(dense) as arcs_in:
        run(["webgraph", "from", "arcs", "--num-nodes", str(nodes), "--num-arcs", str(arcs), base], stdin=arcs_in)
    run(["webgraph", "build", "ef", base])
    run(["webgraph", "transform", "transpose", base, base + "-t"])
    run(["webgraph", "build", "ef", base + "-t"])
    law_out = base + ".law.txt"
    env = dict(os.environ, RUST_LOG="info", RUST_MIN_STACK="8388608")
    law_wall, law_rss, law_log = run(
        ["webgraph-rank", "pagerank", "--threshold", str(threshold), "--max-iter", "10000",
         "--precision", "17", "-t", "2", "-o", law_out, base + "-t"],
        env=env,
    )
    iterations = re.findall(r"Completed after (\d+) iteration", law_log)
    law_iterations = iterations[-1] if iterations else "?"
    per_iteration = re.findall(r"([\d.]+) ms/iteration", law_log)
    law_iterate = float(per_iteration[-1]) * int(law_iterations) / 1000 if per_iteration and iterations else float("nan")
    ours_dir = base + ".crawlrank"
    ours_wall, ours_rss, _ = run(
        [crawlrank, "rank", dense, "-o", ours_dir, "-q", "--compress", "none", "--tol", str(threshold),
         "--threads", "2"]
    )
    summary = json.load(open(os.path.join(ours_dir, "summary.json")))
    with open(law_out) as values:
        law = [float(v) for v in values if v.strip()]
    ours = crawlrank_ranks(ours_dir)
    assert len(law) == len(ours) == nodes, (len(law), len(ours), nodes)
    l1, largest, overlap = compare(ours, law)
    return {
        "graph": name, "nodes": nodes, "arcs": arcs,
        "law": (law_wall, law_iterations, law_rss, law_iterate),
        "ours": (ours_wall, summary["iterations_run"], ours_rss, summary["phases"]["iterate"]),
        "l1": l1, "largest": largest, "top100": overlap,
    }


def main():
    crawlrank = os.path.abspath(sys.argv[1])
    work = sys.argv[2] if len(sys.argv) > 2 else "target/law"
    scale = int(sys.argv[3]) if len(sys.argv) > 3 else 18
    threshold = float(sys.argv[4]) if len(sys.argv) > 4 else 1e-12
    shared = os.environ.get("CRAWLRANK_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
    os.makedirs(work, exist_ok=True)
    rmat = os.path.join(work, f"rmat{scale}.src.tsv")
    if not os.path.exists(rmat):
        run([crawlrank, "generate", "rmat", "--scale", str(scale), "-o", rmat, "-q"])
    rows = [
        bench(crawlrank, work, "cnr-2000", os.path.join(shared, "data/cnr-2000/cnr-2000.el.gz"), threshold),
        bench(crawlrank, work, f"rmat{scale}", rmat, threshold),
    ]
    print(f"threshold {threshold:g}, damping 0.85, 2 threads each; wall seconds of the whole command")
    print("| graph | nodes | arcs | LAW wall s | LAW iterations | LAW iterate s | LAW peak MiB | crawlrank wall s "
          "| crawlrank iterations | crawlrank iterate s | crawlrank peak MiB | L1 | largest diff | top-100 overlap |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        lw, li, lr, lit = r["law"]
        ow, oi, orss, oit = r["ours"]
        print(f"| {r['graph']} | {r['nodes']:,} | {r['arcs']:,} | {lw:.2f} | {li} | {lit:.2f} | {lr:.0f} | {ow:.2f} "
              f"| {oi} | {oit:.3f} | {orss:.0f} | {r['l1']:.2e} | {r['largest']:.2e} | {r['top100']} |")
    bad = [r["graph"] for r in rows if r["l1"] > 1e-8]
    if bad:
        sys.exit(f"L1 above 1e-8 on {', '.join(bad)}")


if __name__ == "__main__":
    main()
